/* Timer service: heap order, stop/restart, the manual clock's exact firing times,
 * a large randomised cross-check against a sorted reference, and the libuv clock
 * over a real loop (bounded by a watchdog timer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <uv.h>

#include "siphon/timer.h"

#define container_of(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

struct rec {
	struct sip_timer t;
	struct sip_timers *ts;
	int id;
	uint64_t fired_at;
	int fired;
	int restart_ms; /* >= 0: restart itself once with this delay */
};

static int order[64];
static int norder;

static void rec_cb(struct sip_timer *t)
{
	struct rec *r = container_of(t, struct rec, t);

	r->fired++;
	r->fired_at = sip_timers_now(r->ts);
	if (norder < 64)
		order[norder++] = r->id;
	if (r->restart_ms >= 0) {
		int ms = r->restart_ms;
		r->restart_ms = -1;
		sip_timer_start(r->ts, &r->t, (uint64_t)ms, rec_cb);
	}
}

static void test_order_and_exact_times(void **state)
{
	(void)state;
	struct sip_timers ts;
	struct rec r[5];
	const int delays[5] = { 300, 100, 200, 100, 50 };

	sip_timers_init_manual(&ts, 1000);
	norder = 0;
	for (int i = 0; i < 5; i++) {
		r[i] = (struct rec){ .ts = &ts, .id = i, .restart_ms = -1 };
		sip_timer_start(&ts, &r[i].t, (uint64_t)delays[i], rec_cb);
	}
	assert_int_equal(ts.count, 5);
	assert_int_equal(sip_timers_next(&ts), 1050);
	sip_timers_advance(&ts, 49);
	assert_int_equal(norder, 0);
	sip_timers_advance(&ts, 1);
	assert_int_equal(norder, 1);
	assert_int_equal(r[4].fired_at, 1050);
	sip_timers_advance(&ts, 1000);
	assert_int_equal(norder, 5);
	/* Deadline order; equal deadlines (ids 1 and 3) in start order. */
	assert_int_equal(order[0], 4);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 3);
	assert_int_equal(order[3], 2);
	assert_int_equal(order[4], 0);
	assert_int_equal(r[1].fired_at, 1100);
	assert_int_equal(r[2].fired_at, 1200);
	assert_int_equal(r[0].fired_at, 1300);
	assert_int_equal(sip_timers_now(&ts), 2050);
	assert_int_equal(ts.count, 0);
	assert_int_equal(sip_timers_next(&ts), UINT64_MAX);
}

static void test_stop_restart(void **state)
{
	(void)state;
	struct sip_timers ts;
	struct rec a = { .id = 1, .restart_ms = -1 }, b = { .id = 2, .restart_ms = -1 };

	sip_timers_init_manual(&ts, 0);
	a.ts = b.ts = &ts;
	norder = 0;
	sip_timer_start(&ts, &a.t, 100, rec_cb);
	sip_timer_start(&ts, &b.t, 200, rec_cb);
	sip_timer_stop(&ts, &a.t);
	sip_timer_stop(&ts, &a.t); /* stopping twice is a no-op */
	assert_false(sip_timer_active(&a.t));
	assert_int_equal(ts.count, 1);
	/* Restarting an active timer moves its deadline. */
	sip_timer_start(&ts, &b.t, 500, rec_cb);
	assert_int_equal(ts.count, 1);
	sip_timers_advance(&ts, 499);
	assert_int_equal(b.fired, 0);
	assert_int_equal(a.fired, 0);
	sip_timers_advance(&ts, 1);
	assert_int_equal(b.fired, 1);
	assert_int_equal(b.fired_at, 500);

	/* A callback that restarts itself fires again at the new deadline, inside the
	 * same advance window; a 0 ms timer fires on advance(0). */
	a.restart_ms = 30;
	sip_timer_start(&ts, &a.t, 10, rec_cb);
	sip_timers_advance(&ts, 100);
	assert_int_equal(a.fired, 2);
	assert_int_equal(a.fired_at, 540);
	sip_timer_start(&ts, &b.t, 0, rec_cb);
	assert_int_equal(b.fired, 1); /* never inside start */
	sip_timers_advance(&ts, 0);
	assert_int_equal(b.fired, 2);
	assert_int_equal(b.fired_at, 600);
}

/* Many timers with random deadlines, random stops and restarts: fire order must be
 * (deadline, start order), every live timer fires exactly once at its deadline. */
#define NRAND 20000
static struct rec rnd[NRAND];
static uint64_t last_due, last_seq;
static int rand_fired;
static bool rand_order_ok = true;

static void rand_cb(struct sip_timer *t)
{
	struct rec *r = container_of(t, struct rec, t);
	uint64_t now = sip_timers_now(r->ts);

	if (now != t->due || now < last_due || (now == last_due && t->seq < last_seq))
		rand_order_ok = false;
	last_due = now;
	last_seq = t->seq;
	r->fired++;
	rand_fired++;
}

static void test_random_against_reference(void **state)
{
	(void)state;
	struct sip_timers ts;
	int live = 0;

	srand(12345);
	sip_timers_init_manual(&ts, 0);
	for (int i = 0; i < NRAND; i++) {
		rnd[i] = (struct rec){ .ts = &ts, .id = i, .restart_ms = -1 };
		sip_timer_start(&ts, &rnd[i].t, (uint64_t)(rand() % 5000), rand_cb);
	}
	/* Advance in steps while stopping and restarting random timers. */
	for (int step = 0; step < 100; step++) {
		for (int k = 0; k < 200; k++) {
			struct rec *r = &rnd[rand() % NRAND];
			if (rand() & 1)
				sip_timer_stop(&ts, &r->t);
			else if (!r->fired)
				sip_timer_start(&ts, &r->t, (uint64_t)(rand() % 3000), rand_cb);
		}
		sip_timers_advance(&ts, 37);
	}
	sip_timers_advance(&ts, 10000);
	for (int i = 0; i < NRAND; i++) {
		assert_true(rnd[i].fired <= 1);
		live += rnd[i].fired;
		assert_false(sip_timer_active(&rnd[i].t));
	}
	assert_true(rand_order_ok);
	assert_int_equal(live, rand_fired);
	assert_true(rand_fired > NRAND / 3); /* most were not stopped */
	assert_int_equal(ts.count, 0);
}

/* libuv clock over a real loop: two timers fire in order, close frees the handle. */
static struct sip_timers uvts;
static int uv_seen[4];
static int uv_nseen;
static void uv_rec_cb(struct sip_timer *t)
{
	struct rec *r = container_of(t, struct rec, t);
	if (uv_nseen < 4)
		uv_seen[uv_nseen++] = r->id;
	if (uv_nseen == 2)
		sip_timers_close(&uvts);
}

static void watchdog_cb(uv_timer_t *h)
{
	uv_stop(h->loop);
}

static void test_uv_clock(void **state)
{
	(void)state;
	uv_loop_t loop;
	uv_timer_t watchdog;
	struct rec a = { .id = 1, .restart_ms = -1 }, b = { .id = 2, .restart_ms = -1 };

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(sip_timers_init_uv(&uvts, &loop), 0);
	uv_timer_init(&loop, &watchdog);
	uv_timer_start(&watchdog, watchdog_cb, 5000, 0);
	uv_unref((uv_handle_t *)&watchdog);
	sip_timer_start(&uvts, &b.t, 20, uv_rec_cb);
	sip_timer_start(&uvts, &a.t, 5, uv_rec_cb);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_nseen, 2);
	assert_int_equal(uv_seen[0], 1);
	assert_int_equal(uv_seen[1], 2);
	uv_close((uv_handle_t *)&watchdog, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_exact_times),
		cmocka_unit_test(test_stop_restart),
		cmocka_unit_test(test_random_against_reference),
		cmocka_unit_test(test_uv_clock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

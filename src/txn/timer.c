/* siphon txn layer: timer service (intrusive pairing heap) with a manual and a
 * libuv clock. Why a pairing heap: see include/siphon/timer.h. */
#include "siphon/timer.h"

#include <errno.h>
#include <stdlib.h>
#include <uv.h>

static bool timer_before(const struct sip_timer *a, const struct sip_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* Meld two heap roots (both with next == prev == NULL); the later one becomes the
 * leftmost child of the earlier one. */
static struct sip_timer *heap_meld(struct sip_timer *a, struct sip_timer *b)
{
	if (timer_before(b, a)) {
		struct sip_timer *tmp = a;
		a = b;
		b = tmp;
	}
	b->prev = a;
	b->next = a->child;
	if (a->child)
		a->child->prev = b;
	a->child = b;
	return a;
}

/* The classic two-pass merge of a sibling list, iterative so a long child list
 * cannot exhaust the stack: pair left to right, then meld the pairs right to left. */
static struct sip_timer *heap_merge_pairs(struct sip_timer *first)
{
	struct sip_timer *pairs = NULL;

	while (first) {
		struct sip_timer *a = first, *b = a->next, *rest = b ? b->next : NULL;

		a->next = a->prev = NULL;
		if (b) {
			b->next = b->prev = NULL;
			a = heap_meld(a, b);
		}
		a->next = pairs; /* stack of melded pairs, last pair on top */
		pairs = a;
		first = rest;
	}
	if (!pairs)
		return NULL;
	struct sip_timer *res = pairs;
	pairs = pairs->next;
	res->next = NULL;
	while (pairs) {
		struct sip_timer *n = pairs->next;
		pairs->next = NULL;
		res = heap_meld(res, pairs);
		pairs = n;
	}
	res->prev = NULL;
	return res;
}

static void heap_remove(struct sip_timers *ts, struct sip_timer *t)
{
	struct sip_timer *sub;

	if (t == ts->root) {
		ts->root = heap_merge_pairs(t->child);
	} else {
		if (t->prev->child == t)
			t->prev->child = t->next;
		else
			t->prev->next = t->next;
		if (t->next)
			t->next->prev = t->prev;
		sub = heap_merge_pairs(t->child);
		if (sub)
			ts->root = heap_meld(ts->root, sub);
	}
	t->child = t->next = t->prev = NULL;
	t->active = false;
	ts->count--;
}

/* Tell the backend about a new earliest deadline. */
static void timers_rearm(struct sip_timers *ts)
{
	uint64_t next = sip_timers_next(ts);

	if (ts->arm && next != ts->armed) {
		ts->armed = next;
		ts->arm(ts, next);
	}
}

uint64_t sip_timers_next(const struct sip_timers *ts)
{
	return ts->root ? ts->root->due : UINT64_MAX;
}

uint64_t sip_timers_now(struct sip_timers *ts)
{
	return ts->now(ts);
}

void sip_timer_start(struct sip_timers *ts, struct sip_timer *t, uint64_t ms, sip_timer_cb cb)
{
	uint64_t now = ts->now(ts);

	if (t->active)
		heap_remove(ts, t);
	t->child = t->next = t->prev = NULL;
	t->due = ms > UINT64_MAX - now ? UINT64_MAX - 1 : now + ms;
	t->seq = ts->seq++;
	t->cb = cb;
	t->active = true;
	ts->count++;
	ts->root = ts->root ? heap_meld(ts->root, t) : t;
	timers_rearm(ts);
}

void sip_timer_stop(struct sip_timers *ts, struct sip_timer *t)
{
	if (!t->active)
		return;
	heap_remove(ts, t);
	timers_rearm(ts);
}

/* Pop the root and call it. The callback may start and stop any timer. */
static void timers_fire_root(struct sip_timers *ts)
{
	struct sip_timer *t = ts->root;

	heap_remove(ts, t);
	t->cb(t);
}

size_t sip_timers_run(struct sip_timers *ts)
{
	uint64_t now = ts->now(ts), seq_limit = ts->seq;
	size_t n = 0;

	/* Timers started by the callbacks of this run wait for the next run, so a
	 * callback that restarts itself with 0 ms cannot spin here forever. */
	while (ts->root && ts->root->due <= now && ts->root->seq < seq_limit) {
		timers_fire_root(ts);
		n++;
	}
	timers_rearm(ts);
	return n;
}

/* Manual clock. */

static uint64_t manual_now(struct sip_timers *ts)
{
	return ts->now_ms;
}

void sip_timers_init_manual(struct sip_timers *ts, uint64_t start_ms)
{
	*ts = (struct sip_timers){ .now_ms = start_ms, .armed = UINT64_MAX, .now = manual_now };
}

void sip_timers_advance(struct sip_timers *ts, uint64_t ms)
{
	uint64_t target = ts->now_ms + ms;

	while (ts->root && ts->root->due <= target) {
		if (ts->root->due > ts->now_ms)
			ts->now_ms = ts->root->due;
		timers_fire_root(ts);
	}
	ts->now_ms = target;
}

/* libuv clock: one uv_timer_t armed for the heap's earliest deadline. */

static uint64_t uv_clock_now(struct sip_timers *ts)
{
	uv_timer_t *h = ts->backend;

	return uv_now(h->loop);
}

static void uv_clock_fire(uv_timer_t *h)
{
	struct sip_timers *ts = h->data;

	/* The loop's cached time is what uv_now() returns: fire what is due by it. */
	ts->armed = UINT64_MAX;
	sip_timers_run(ts);
}

static void uv_clock_arm(struct sip_timers *ts, uint64_t due)
{
	uv_timer_t *h = ts->backend;

	if (due == UINT64_MAX) {
		uv_timer_stop(h);
		return;
	}
	uint64_t now = uv_now(h->loop);
	uv_timer_start(h, uv_clock_fire, due > now ? due - now : 0, 0);
}

int sip_timers_init_uv(struct sip_timers *ts, void *loop)
{
	uv_timer_t *h = malloc(sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	err = uv_timer_init(loop, h);
	if (err) {
		free(h);
		return err;
	}
	*ts = (struct sip_timers){ .armed = UINT64_MAX, .now = uv_clock_now, .arm = uv_clock_arm,
				   .backend = h };
	h->data = ts;
	return 0;
}

static void uv_clock_closed(uv_handle_t *h)
{
	free(h);
}

void sip_timers_close(struct sip_timers *ts)
{
	if (ts->backend) {
		uv_timer_t *h = ts->backend;

		uv_timer_stop(h);
		h->data = NULL;
		uv_close((uv_handle_t *)h, uv_clock_closed);
		ts->backend = NULL;
	}
	ts->arm = NULL;
	ts->now = manual_now; /* no dangling backend if someone still asks the time */
	ts->root = NULL;
	ts->count = 0;
}

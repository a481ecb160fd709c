/* The per-source request rate limit (src/server/ratelimit.c): the token bucket's
 * burst and refill, the 503 budget beyond which a flood is dropped, sources kept
 * apart (IPv6 by /64), and a table that stays bounded under many sources. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server_int.h"

static struct sip_net_addr ip(const char *s)
{
	struct sip_net_addr a;

	assert_int_equal(sip_net_addr_set(&a, sip_str_from_cstr(s), 5060), 0);
	return a;
}

/* n requests from a at time t: how many got each verdict. */
static void burst(struct server_rl *rl, const struct sip_net_addr *a, uint64_t t, int n,
		  int *pass, int *rej, int *drop)
{
	*pass = *rej = *drop = 0;
	for (int i = 0; i < n; i++) {
		uint32_t ra = 0;
		switch (server_rl_check(rl, a, t, &ra)) {
		case SERVER_RL_PASS: (*pass)++; break;
		case SERVER_RL_REJECT:
			(*rej)++;
			assert_int_equal(ra, 1);
			break;
		case SERVER_RL_DROP: (*drop)++; break;
		}
	}
}

static void test_bucket(void **state)
{
	struct server_rl *rl;
	struct sip_net_addr a = ip("192.0.2.1"), b = ip("192.0.2.2");
	int pass, rej, drop;

	(void)state;
	assert_int_equal(server_rl_alloc(&rl, 0, 0, 1), -EINVAL);
	/* 5 a second, burst 10 (the default: 2 x rate). */
	assert_int_equal(server_rl_alloc(&rl, 5, 0, 42), 0);
	/* The burst passes, then 3 x rate get 503, then the flood is dropped. */
	burst(rl, &a, 1000, 40, &pass, &rej, &drop);
	assert_int_equal(pass, 10);
	assert_int_equal(rej, 15);
	assert_int_equal(drop, 15);
	/* Another source has its own bucket. */
	burst(rl, &b, 1000, 10, &pass, &rej, &drop);
	assert_int_equal(pass, 10);
	/* 400 ms later: 2 tokens back (5/s), and 6 answers of the 503 budget. */
	burst(rl, &a, 1400, 10, &pass, &rej, &drop);
	assert_int_equal(pass, 2);
	assert_int_equal(rej, 6);
	assert_int_equal(drop, 2);
	/* A source at the rate is never refused: one request every 200 ms. */
	for (uint64_t t = 10000; t < 20000; t += 200) {
		burst(rl, &a, t, 1, &pass, &rej, &drop);
		assert_int_equal(pass, 1);
	}
	/* Idle long enough, the bucket is full again, never more than the burst. */
	burst(rl, &a, 1000000, 12, &pass, &rej, &drop);
	assert_int_equal(pass, 10);
	assert_int_equal(rej, 2);
	/* A clock that goes back refills nothing (and breaks nothing). */
	burst(rl, &a, 500, 2, &pass, &rej, &drop);
	assert_int_equal(pass, 0);
	assert_int_equal(rej, 2);
	server_rl_free(rl);

	/* An explicit burst. */
	assert_int_equal(server_rl_alloc(&rl, 100, 3, 7), 0);
	burst(rl, &a, 5, 4, &pass, &rej, &drop);
	assert_int_equal(pass, 3);
	assert_int_equal(rej, 1);
	server_rl_free(rl);
}

static void test_sources(void **state)
{
	struct server_rl *rl;
	struct sip_net_addr v6a = ip("2001:db8:1:2::1"), v6b = ip("2001:db8:1:2:ffff::9"),
			    v6c = ip("2001:db8:1:3::1"), un;
	int pass, rej, drop;

	(void)state;
	assert_int_equal(server_rl_alloc(&rl, 1, 2, 99), 0);
	/* IPv6: one bucket per /64. */
	burst(rl, &v6a, 1, 2, &pass, &rej, &drop);
	assert_int_equal(pass, 2);
	burst(rl, &v6b, 1, 1, &pass, &rej, &drop);
	assert_int_equal(pass, 0);
	burst(rl, &v6c, 1, 1, &pass, &rej, &drop);
	assert_int_equal(pass, 1);
	/* A source that is not IP is not limited. */
	memset(&un, 0, sizeof(un));
	un.u.sa.sa_family = AF_UNIX;
	burst(rl, &un, 1, 10, &pass, &rej, &drop);
	assert_int_equal(pass, 10);
	server_rl_free(rl);
}

/* More sources than slots (4096): each new source starts with a full bucket, the
 * table does not grow (it is one fixed allocation), and a source that keeps
 * talking stays remembered: its bucket is not reset by the churn around it. */
static void test_eviction(void **state)
{
	struct server_rl *rl;
	struct sip_net_addr hot = ip("198.51.100.1"), a;
	char s[32];
	int pass, rej, drop, hot_pass = 0;

	(void)state;
	assert_int_equal(server_rl_alloc(&rl, 1, 1, 5), 0);
	burst(rl, &hot, 1000, 1, &pass, &rej, &drop);
	assert_int_equal(pass, 1);
	/* 20,000 sources, one a ms; the hot one asks every 16 ms. */
	for (int i = 0; i < 20000; i++) {
		uint64_t t = 1000 + (uint64_t)i;

		snprintf(s, sizeof(s), "10.%d.%d.%d", (i >> 16) & 255, (i >> 8) & 255, i & 255);
		a = ip(s);
		burst(rl, &a, t, 1, &pass, &rej, &drop);
		assert_int_equal(pass, 1);
		if (i % 16 == 0) {
			burst(rl, &hot, t, 1, &pass, &rej, &drop);
			hot_pass += pass;
		}
	}
	/* 20 s at 1/s: about 20 tokens came back. Had the hot source been evicted and
	 * re-added each time, it would have passed all 1,250 times. */
	assert_true(hot_pass >= 18 && hot_pass <= 21);
	server_rl_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

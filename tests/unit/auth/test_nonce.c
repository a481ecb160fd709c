/* Unit tests for src/auth/nonce.c: stateless nonces (MAC, expiry, binding) and
 * the nonce-count table (replay window, eviction, restart). A manual clock
 * replaces the wall clock, so nothing sleeps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "siphon/auth.h"

#define S(lit) SIP_STR(lit)
#define T0 UINT64_C(1790000000000) /* an arbitrary wall-clock start, in ms */

static uint64_t manual_clock(void *arg)
{
	return *(const uint64_t *)arg;
}

static const uint8_t secret[] = "a test secret, not random";

static struct sip_nonce_state *state_new(uint64_t *clock, uint32_t lifetime_s, uint32_t entries)
{
	struct sip_nonce_cfg cfg = {
		.secret = secret,
		.secret_len = sizeof(secret) - 1,
		.lifetime_s = lifetime_s,
		.max_entries = entries,
		.clock_ms = manual_clock,
		.clock_arg = clock,
	};
	struct sip_nonce_state *ns = NULL;

	assert_int_equal(sip_nonce_state_alloc(&ns, &cfg), 0);
	assert_non_null(ns);
	return ns;
}

static void test_make_check(void **state)
{
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 300, 0);
	char a[SIP_NONCE_LEN + 1], b[SIP_NONCE_LEN + 1];
	struct sip_nonce_info ia, ib;
	size_t i;

	(void)state;
	assert_int_equal(sip_nonce_make(ns, a, S("example.com"), SIP_STR_NULL), 0);
	assert_int_equal(sip_nonce_make(ns, b, S("example.com"), SIP_STR_NULL), 0);
	assert_int_equal(strlen(a), SIP_NONCE_LEN);
	/* base64url only: safe inside a quoted-string, no escaping */
	for (i = 0; i < SIP_NONCE_LEN; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", a[i]));
	/* same millisecond, still distinct */
	assert_string_not_equal(a, b);
	assert_int_equal(sip_nonce_check(ns, &ia, sip_str_from_cstr(a), S("example.com"), SIP_STR_NULL),
			 SIP_NONCE_VALID);
	assert_int_equal(sip_nonce_check(ns, &ib, sip_str_from_cstr(b), S("example.com"), SIP_STR_NULL),
			 SIP_NONCE_VALID);
	assert_true(ia.issued_ms == T0);
	assert_true(ib.serial == ia.serial + 1);
	/* checking twice gives the same answer (the MAC context is re-used) */
	assert_int_equal(sip_nonce_check(ns, &ia, sip_str_from_cstr(a), S("example.com"), SIP_STR_NULL),
			 SIP_NONCE_VALID);
	sip_nonce_state_free(ns);
}

static void test_expiry(void **state)
{
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 300, 0);
	char n[SIP_NONCE_LEN + 1];
	struct sip_nonce_info info;
	struct sip_str ns_n;

	(void)state;
	assert_int_equal(sip_nonce_make(ns, n, S("r"), SIP_STR_NULL), 0);
	ns_n = sip_str_from_cstr(n);
	now = T0 + 299999;
	assert_int_equal(sip_nonce_check(ns, &info, ns_n, S("r"), SIP_STR_NULL), SIP_NONCE_VALID);
	now = T0 + 300000;
	memset(&info, 0, sizeof(info));
	assert_int_equal(sip_nonce_check(ns, &info, ns_n, S("r"), SIP_STR_NULL), SIP_NONCE_STALE);
	assert_true(info.issued_ms == T0); /* authentic, so its contents are reported */
	now = T0 + 86400000;
	assert_int_equal(sip_nonce_check(ns, &info, ns_n, S("r"), SIP_STR_NULL), SIP_NONCE_STALE);
	/* clock stepped back: slightly is tolerated, an hour is stale */
	now = T0 - 500;
	assert_int_equal(sip_nonce_check(ns, &info, ns_n, S("r"), SIP_STR_NULL), SIP_NONCE_VALID);
	now = T0 - 3600000;
	assert_int_equal(sip_nonce_check(ns, &info, ns_n, S("r"), SIP_STR_NULL), SIP_NONCE_STALE);
	sip_nonce_state_free(ns);
}

/* Every single-character change of a nonce is refused, as are other realms,
 * other bindings, other secrets and anything not 40 base64url chars. */
static void test_forgery(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 300, 0), *other;
	struct sip_nonce_cfg ocfg = { .clock_ms = manual_clock, .clock_arg = &now };
	char n[SIP_NONCE_LEN + 1], m[SIP_NONCE_LEN + 2];
	struct sip_nonce_info info;
	size_t i, k;
	int refused = 0;

	(void)state;
	assert_int_equal(sip_nonce_make(ns, n, S("r"), S("10.0.0.1")), 0);
	for (i = 0; i < SIP_NONCE_LEN; i++) {
		for (k = 0; k < 3; k++) {
			memcpy(m, n, sizeof(n));
			/* three different replacements per position */
			m[i] = alphabet[(strchr(alphabet, n[i]) - alphabet + 1 + 21 * (long)k) % 64];
			assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(m), S("r"), S("10.0.0.1")),
					 SIP_NONCE_INVALID);
			refused++;
		}
	}
	assert_int_equal(refused, 3 * SIP_NONCE_LEN);
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(n), S("r"), S("10.0.0.1")),
			 SIP_NONCE_VALID);
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(n), S("R"), S("10.0.0.1")),
			 SIP_NONCE_INVALID);
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(n), S("r"), S("10.0.0.2")),
			 SIP_NONCE_INVALID);
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(n), S("r"), SIP_STR_NULL),
			 SIP_NONCE_INVALID);
	/* truncated, extended, bad alphabet, empty */
	assert_int_equal(sip_nonce_check(ns, &info, (struct sip_str){ n, SIP_NONCE_LEN - 1 }, S("r"), S("10.0.0.1")),
			 SIP_NONCE_INVALID);
	memcpy(m, n, SIP_NONCE_LEN);
	m[SIP_NONCE_LEN] = 'A';
	m[SIP_NONCE_LEN + 1] = '\0';
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(m), S("r"), S("10.0.0.1")),
			 SIP_NONCE_INVALID);
	memcpy(m, n, sizeof(n));
	m[7] = '+'; /* standard base64, not base64url */
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(m), S("r"), S("10.0.0.1")),
			 SIP_NONCE_INVALID);
	assert_int_equal(sip_nonce_check(ns, &info, SIP_STR_NULL, S("r"), S("10.0.0.1")), SIP_NONCE_INVALID);
	/* a state with its own random secret does not know our nonces */
	assert_int_equal(sip_nonce_state_alloc(&other, &ocfg), 0);
	assert_int_equal(sip_nonce_check(other, &info, sip_str_from_cstr(n), S("r"), S("10.0.0.1")),
			 SIP_NONCE_INVALID);
	sip_nonce_state_free(other);
	sip_nonce_state_free(ns);
}

static void test_alloc_args(void **state)
{
	struct sip_nonce_state *ns = NULL;
	struct sip_nonce_cfg cfg = { .secret = secret, .secret_len = 0 };
	struct sip_nonce_stats st;

	(void)state;
	assert_int_equal(sip_nonce_state_alloc(&ns, &cfg), -EINVAL);
	cfg.secret_len = 1000;
	assert_int_equal(sip_nonce_state_alloc(&ns, &cfg), -EINVAL);
	assert_null(ns);
	/* defaults: real clock, random secret, 16384 entries */
	assert_int_equal(sip_nonce_state_alloc(&ns, NULL), 0);
	sip_nonce_stats(ns, &st);
	assert_int_equal(st.capacity, 16384);
	assert_int_equal(st.entries, 0);
	sip_nonce_state_free(ns);
	cfg.secret_len = 4;
	cfg.max_entries = 1000; /* rounded up */
	assert_int_equal(sip_nonce_state_alloc(&ns, &cfg), 0);
	sip_nonce_stats(ns, &st);
	assert_int_equal(st.capacity, 1024);
	sip_nonce_state_free(ns);
	sip_nonce_state_free(NULL);
}

static struct sip_nonce_info fresh_nonce(struct sip_nonce_state *ns)
{
	char n[SIP_NONCE_LEN + 1];
	struct sip_nonce_info info;

	assert_int_equal(sip_nonce_make(ns, n, S("r"), SIP_STR_NULL), 0);
	assert_int_equal(sip_nonce_check(ns, &info, sip_str_from_cstr(n), S("r"), SIP_STR_NULL), SIP_NONCE_VALID);
	return info;
}

static void test_nc_window(void **state)
{
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 300, 64);
	struct sip_nonce_info a = fresh_nonce(ns), b = fresh_nonce(ns);

	(void)state;
	assert_int_equal(sip_nonce_count_peek(ns, &a, 1), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_peek(ns, &a, 1), SIP_NC_FRESH); /* peek records nothing */
	assert_int_equal(sip_nonce_count_use(ns, &a, 1), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_peek(ns, &a, 1), SIP_NC_REPLAY);
	assert_int_equal(sip_nonce_count_use(ns, &a, 1), SIP_NC_REPLAY);
	assert_int_equal(sip_nonce_count_use(ns, &a, 2), SIP_NC_FRESH);
	/* a jump, then the skipped counts arrive late: each once */
	assert_int_equal(sip_nonce_count_use(ns, &a, 5), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &a, 4), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &a, 3), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &a, 3), SIP_NC_REPLAY);
	assert_int_equal(sip_nonce_count_use(ns, &a, 5), SIP_NC_REPLAY);
	/* beyond the 64-wide window below the top: refused even if unused */
	assert_int_equal(sip_nonce_count_use(ns, &a, 100), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &a, 37), SIP_NC_FRESH);  /* 100 - 63: the window's last bit */
	assert_int_equal(sip_nonce_count_use(ns, &a, 36), SIP_NC_REPLAY); /* out of the window */
	assert_int_equal(sip_nonce_count_use(ns, &a, 6), SIP_NC_REPLAY);
	assert_int_equal(sip_nonce_count_use(ns, &a, 0xffffffffu), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &a, 0xffffffffu), SIP_NC_REPLAY);
	/* nc 0 never exists */
	assert_int_equal(sip_nonce_count_use(ns, &b, 0), SIP_NC_REPLAY);
	/* nonces are tracked separately */
	assert_int_equal(sip_nonce_count_use(ns, &b, 1), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &b, 2), SIP_NC_FRESH);
	sip_nonce_state_free(ns);
}

/* A full table evicts, and an evicted nonce is never taken for a new one:
 * it comes back FORGOTTEN (stale=true), never FRESH. */
static void test_nc_full(void **state)
{
	enum { CAP = 16, N = 200 };
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 300, CAP);
	struct sip_nonce_info info[N], late;
	struct sip_nonce_stats st;
	int i, tracked = 0, forgotten = 0;

	(void)state;
	late = fresh_nonce(ns); /* issued first, used only at the end */
	for (i = 0; i < N; i++) {
		info[i] = fresh_nonce(ns);
		assert_int_equal(sip_nonce_count_use(ns, &info[i], 1), SIP_NC_FRESH);
	}
	sip_nonce_stats(ns, &st);
	assert_int_equal(st.capacity, CAP);
	assert_true(st.entries <= CAP);
	assert_true(st.evictions >= N - CAP);
	assert_true(st.issued == N + 1);
	/* Replaying nc 1 on any of them: never accepted. */
	for (i = 0; i < N; i++) {
		enum sip_nc_status s = sip_nonce_count_use(ns, &info[i], 1);

		assert_true(s == SIP_NC_REPLAY || s == SIP_NC_FORGOTTEN);
		tracked += s == SIP_NC_REPLAY;
		forgotten += s == SIP_NC_FORGOTTEN;
	}
	assert_true(tracked >= 1 && tracked <= CAP);
	assert_int_equal(tracked + forgotten, N);
	/* An unused older nonce cannot be told from an evicted one: forgotten. */
	assert_int_equal(sip_nonce_count_use(ns, &late, 1), SIP_NC_FORGOTTEN);
	/* A nonce issued now is tracked normally. */
	late = fresh_nonce(ns);
	assert_int_equal(sip_nonce_count_use(ns, &late, 1), SIP_NC_FRESH);
	assert_int_equal(sip_nonce_count_use(ns, &late, 1), SIP_NC_REPLAY);
	sip_nonce_state_free(ns);
}

/* Entries die with their nonces: after a lifetime the table refills without
 * evicting anything. */
static void test_nc_expiry_reuse(void **state)
{
	enum { CAP = 16 };
	uint64_t now = T0;
	struct sip_nonce_state *ns = state_new(&now, 10, CAP);
	struct sip_nonce_info info;
	struct sip_nonce_stats st;
	int i, round;

	(void)state;
	for (round = 0; round < 4; round++) {
		/* half the capacity per round keeps the probe windows roomy */
		for (i = 0; i < CAP / 2; i++) {
			info = fresh_nonce(ns);
			assert_int_equal(sip_nonce_count_use(ns, &info, 1), SIP_NC_FRESH);
		}
		now += 10000;
		/* the last one is now stale and its entry dead */
		assert_int_equal(sip_nonce_count_peek(ns, &info, 2), SIP_NC_FORGOTTEN);
	}
	sip_nonce_stats(ns, &st);
	assert_true(st.evictions == 0);
	assert_true(st.entries <= CAP);
	sip_nonce_state_free(ns);
}

/* A restart with the same secret: old nonces still verify, but the new
 * process cannot know which counts were used, so they are FORGOTTEN. */
static void test_restart(void **state)
{
	uint64_t now = T0;
	struct sip_nonce_state *before = state_new(&now, 300, 0), *after;
	char n[SIP_NONCE_LEN + 1];
	struct sip_nonce_info info;

	(void)state;
	assert_int_equal(sip_nonce_make(before, n, S("r"), SIP_STR_NULL), 0);
	assert_int_equal(sip_nonce_check(before, &info, sip_str_from_cstr(n), S("r"), SIP_STR_NULL),
			 SIP_NONCE_VALID);
	assert_int_equal(sip_nonce_count_use(before, &info, 1), SIP_NC_FRESH);
	sip_nonce_state_free(before);

	now += 1;
	after = state_new(&now, 300, 0);
	assert_int_equal(sip_nonce_check(after, &info, sip_str_from_cstr(n), S("r"), SIP_STR_NULL),
			 SIP_NONCE_VALID);
	assert_int_equal(sip_nonce_count_use(after, &info, 1), SIP_NC_FORGOTTEN);
	assert_int_equal(sip_nonce_count_use(after, &info, 2), SIP_NC_FORGOTTEN);
	info = fresh_nonce(after);
	assert_int_equal(sip_nonce_count_use(after, &info, 1), SIP_NC_FRESH);
	sip_nonce_state_free(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_check),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_forgery),
		cmocka_unit_test(test_alloc_args),
		cmocka_unit_test(test_nc_window),
		cmocka_unit_test(test_nc_full),
		cmocka_unit_test(test_nc_expiry_reuse),
		cmocka_unit_test(test_restart),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

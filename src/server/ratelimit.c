/* siphon server: the per-source request rate limit ([limits] request_rate).
 *
 * A token bucket per source address: it holds up to `burst` tokens, refills at
 * `rate` tokens a second, and each new request takes one. A request finding the
 * bucket empty is refused with 503 and Retry-After (RFC 3261 21.5.4), but the
 * refusals have a budget of their own, 3 x rate a second: a source sending more
 * than about 4 x rate is flooding, and its excess is dropped without an answer, so
 * a spoofed UDP source cannot turn the server into a reflector.
 *
 * Tokens are counted in thousandths so the refill is integer arithmetic on the
 * loop's millisecond clock: `rate` tokens a second is `rate` thousandths a ms.
 *
 * Memory is bounded: RL_SETS sets of RL_WAYS slots, a source hashed (with a random
 * key, so nobody can aim at one set) to one set; a new source takes the slot seen
 * least recently. An evicted source comes back with a full bucket, so eviction
 * errs towards letting traffic through: an attacker who churns the table from
 * many addresses could flood from those addresses anyway. IPv6 sources are keyed
 * by their /64, the block a single host or site usually gets (RFC 6177), so
 * rotating through one's own addresses does not buy a fresh bucket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "server_int.h"

#define RL_WAYS 4
#define RL_SETS 1024 /* 4096 sources, 40 bytes each: 160 KiB */

struct rl_slot {
	uint64_t last_ms;   /* 0: free */
	uint64_t tok;       /* thousandths of a token */
	uint64_t ans;       /* thousandths of a 503 we may still send */
	uint8_t key[16];
};

struct server_rl {
	uint64_t rate, burst; /* tokens a second, bucket depth */
	uint64_t seed;
	struct rl_slot slot[RL_SETS][RL_WAYS];
};

int server_rl_alloc(struct server_rl **out, uint32_t rate, uint32_t burst, uint64_t seed)
{
	struct server_rl *rl;

	if (!rate)
		return -EINVAL;
	rl = calloc(1, sizeof(*rl));
	if (!rl)
		return -ENOMEM;
	rl->rate = rate;
	rl->burst = burst ? burst : 2 * (uint64_t)rate;
	rl->seed = seed | 1;
	*out = rl;
	return 0;
}

void server_rl_free(struct server_rl *rl)
{
	free(rl);
}

/* The source as 16 bytes: an IPv4 address mapped into IPv6 (::ffff:a.b.c.d), an
 * IPv6 address cut to its /64. */
static int rl_key(uint8_t key[16], const struct sip_net_addr *a)
{
	memset(key, 0, 16);
	if (a->u.sa.sa_family == AF_INET) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &a->u.in4.sin_addr, 4);
		return 0;
	}
	if (a->u.sa.sa_family == AF_INET6) {
		memcpy(key, &a->u.in6.sin6_addr, 8);
		return 0;
	}
	return -EINVAL;
}

static size_t rl_set(const struct server_rl *rl, const uint8_t key[16])
{
	uint64_t a, b, h;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	/* Two rounds of a keyed multiply-xorshift mix (splitmix64's finaliser). */
	h = (a ^ rl->seed) * 0x9e3779b97f4a7c15ull;
	h ^= b + (h >> 29);
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 31;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 32;
	return (size_t)(h % RL_SETS);
}

enum server_rl_verdict server_rl_check(struct server_rl *rl, const struct sip_net_addr *src,
				       uint64_t now_ms, uint32_t *retry_after)
{
	uint8_t key[16];
	struct rl_slot *set, *e = NULL, *old;
	uint64_t dt, need;

	if (rl_key(key, src) != 0)
		return SERVER_RL_PASS;
	/* 0 marks a free slot: a clock that starts at 0 still counts as seen. */
	if (now_ms == 0)
		now_ms = 1;
	set = rl->slot[rl_set(rl, key)];
	old = &set[0];
	for (int i = 0; i < RL_WAYS; i++) {
		if (set[i].last_ms && !memcmp(set[i].key, key, 16)) {
			e = &set[i];
			break;
		}
		if (set[i].last_ms < old->last_ms)
			old = &set[i];
	}
	if (!e) {
		e = old;
		memcpy(e->key, key, 16);
		e->tok = rl->burst * 1000;
		e->ans = 3 * rl->rate * 1000;
		e->last_ms = now_ms;
	}
	/* Refill for the time since the source was last seen (a clock going
	 * backwards refills nothing). */
	dt = now_ms > e->last_ms ? now_ms - e->last_ms : 0;
	e->last_ms = now_ms;
	if (dt > 0) {
		/* dt beyond a few seconds fills any bucket: clamp before multiplying. */
		if (dt > 1000000)
			dt = 1000000;
		e->tok += dt * rl->rate;
		if (e->tok > rl->burst * 1000)
			e->tok = rl->burst * 1000;
		e->ans += dt * 3 * rl->rate;
		if (e->ans > 3 * rl->rate * 1000)
			e->ans = 3 * rl->rate * 1000;
	}
	if (e->tok >= 1000) {
		e->tok -= 1000;
		return SERVER_RL_PASS;
	}
	if (e->ans < 1000)
		return SERVER_RL_DROP;
	e->ans -= 1000;
	if (retry_after) {
		/* Whole seconds until a token is back (RFC 3261 20.33), at least 1. */
		need = (1000 - e->tok + rl->rate - 1) / rl->rate; /* ms */
		*retry_after = (uint32_t)((need + 999) / 1000);
		if (*retry_after == 0)
			*retry_after = 1;
	}
	return SERVER_RL_REJECT;
}

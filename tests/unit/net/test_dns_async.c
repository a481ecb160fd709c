/* sip_dns_resolve_async on a real libuv loop: IP literals answered at once (no
 * thread, no callback), names resolved in the thread pool against a tiny DNS
 * responder run by this test on 127.0.0.1 (a thread answering A questions with
 * 127.0.0.1 for names under "ok.test", NXDOMAIN for the rest, nothing else),
 * overlapping lookups of one name sharing one resolution, answers and failures
 * cached (the responder counts its questions), and entries expiring. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "siphon/dns.h"

static int dns_fd = -1;
static uint16_t dns_port;
static atomic_int questions;
static atomic_bool stop_flag;

/* Answer one query: the question copied, an A record 127.0.0.1 (TTL 60) for a
 * name ending in "ok.test" asked for A, NODATA for other types, NXDOMAIN else. */
static void *responder(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_flag)) {
		uint8_t q[512], r[600];
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		ssize_t n = recvfrom(dns_fd, q, sizeof(q), 0, (struct sockaddr *)&peer, &pl);
		if (n < 17)
			continue;
		atomic_fetch_add(&questions, 1);
		size_t pos = 12;
		char name[256];
		size_t nl = 0;
		while (pos < (size_t)n && q[pos] && nl < 200) {
			size_t l = q[pos];
			if (pos + 1 + l > (size_t)n)
				break;
			if (nl)
				name[nl++] = '.';
			memcpy(name + nl, q + pos + 1, l);
			nl += l;
			pos += 1 + l;
		}
		name[nl] = '\0';
		if (pos + 5 > (size_t)n)
			continue;
		uint16_t qtype = (uint16_t)(q[pos + 1] << 8 | q[pos + 2]);
		size_t qend = pos + 5;
		bool ok = nl >= 7 && strcmp(name + nl - 7, "ok.test") == 0;
		memcpy(r, q, qend);
		r[2] = 0x84 | (q[2] & 1);
		r[3] = 0x80 | (ok ? 0 : 3);
		r[4] = 0, r[5] = 1, r[6] = 0, r[7] = 0, r[8] = r[9] = r[10] = r[11] = 0;
		size_t len = qend;
		if (ok && qtype == 1) {
			static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1 };
			memcpy(r + len, rr, sizeof(rr));
			len += sizeof(rr);
			r[7] = 1;
		}
		(void)sendto(dns_fd, r, len, 0, (struct sockaddr *)&peer, pl);
	}
	return NULL;
}

static pthread_t thr;

static int setup(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { 0, 100000 };
	socklen_t al = sizeof(a);

	(void)state;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dns_fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (dns_fd < 0 || bind(dns_fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(dns_fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	setsockopt(dns_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	dns_port = ntohs(a.sin_port);
	return pthread_create(&thr, NULL, responder, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	atomic_store(&stop_flag, true);
	pthread_join(thr, NULL);
	close(dns_fd);
	return 0;
}

struct got {
	int calls;
	int err;
	char ip[SIP_NET_IPSTR];
	uint16_t port;
	enum sip_tp tp;
};

static void done(void *arg, int err, const struct sip_dns_result *res)
{
	struct got *g = arg;

	g->calls++;
	g->err = err;
	if (!err) {
		sip_net_addr_ip(g->ip, &res->t[0].addr);
		g->port = sip_net_addr_port(&res->t[0].addr);
		g->tp = res->t[0].tp;
	}
}

static struct sip_dns_cache *cache_new(uv_loop_t *loop, uint32_t neg_ms)
{
	char server[32];
	struct sip_dns_cache *c;
	struct sip_dns_cache_config cfg = { .server = server, .neg_ttl_ms = neg_ms };

	snprintf(server, sizeof(server), "127.0.0.1:%u", dns_port);
	assert_int_equal(sip_dns_cache_alloc(&c, loop, &cfg), 0);
	return c;
}

/* Run the loop until every lookup ended (bounded: 10 s of 10 ms turns). */
static void drain(uv_loop_t *loop, struct sip_dns_cache *c)
{
	for (int i = 0; i < 1000 && sip_dns_cache_pending(c); i++) {
		uv_run(loop, UV_RUN_NOWAIT);
		if (sip_dns_cache_pending(c))
			usleep(10000);
	}
	assert_int_equal(sip_dns_cache_pending(c), 0);
}

static void test_numeric(void **state)
{
	uv_loop_t loop;
	struct sip_dns_cache *c;
	struct sip_dns_result res;
	struct sip_dns_query q = { .host = SIP_STR("192.0.2.7"), .port = 5070 };
	struct got g = { 0 };
	char ip[SIP_NET_IPSTR];

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c = cache_new(&loop, 0);
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), 0);
	assert_int_equal(res.n, 1);
	assert_true(res.t[0].numeric);
	assert_int_equal(res.t[0].tp, SIP_TP_UDP);
	sip_net_addr_ip(ip, &res.t[0].addr);
	assert_string_equal(ip, "192.0.2.7");
	assert_int_equal(sip_net_addr_port(&res.t[0].addr), 5070);
	assert_int_equal(sip_dns_cache_pending(c), 0);
	/* IPv6 in brackets, sips: TLS at 5061. */
	q = (struct sip_dns_query){ .host = SIP_STR("[2001:db8::1]"), .sips = true };
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), 0);
	assert_int_equal(res.t[0].tp, SIP_TP_TLS);
	assert_int_equal(sip_net_addr_port(&res.t[0].addr), 5061);
	/* sips over UDP is not a thing (RFC 3263 4.1). */
	q.tp = SIP_TP_UDP;
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), -EINVAL);
	assert_int_equal(g.calls, 0);
	assert_int_equal(questions, 0);
	sip_dns_cache_free(c);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_name_cached(void **state)
{
	uv_loop_t loop;
	struct sip_dns_cache *c;
	struct sip_dns_result res;
	struct sip_dns_query q = { .host = SIP_STR("a.ok.test"), .port = 5080 };
	struct got g1 = { 0 }, g2 = { 0 };
	char ip[SIP_NET_IPSTR];
	int before = atomic_load(&questions);

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c = cache_new(&loop, 0);
	/* Without a callback a miss starts nothing. */
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, NULL, NULL), -EAGAIN);
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g1), SIP_DNS_PENDING);
	/* The same name (other case) while pending: one resolution for both. */
	q.host = SIP_STR("A.OK.test");
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g2), SIP_DNS_PENDING);
	assert_int_equal(sip_dns_cache_pending(c), 1);
	assert_int_equal(g1.calls, 0); /* only from the loop */
	drain(&loop, c);
	assert_int_equal(g1.calls, 1);
	assert_int_equal(g2.calls, 1);
	assert_int_equal(g1.err, 0);
	assert_string_equal(g1.ip, "127.0.0.1");
	assert_int_equal(g1.port, 5080);
	assert_string_equal(g2.ip, "127.0.0.1");
	/* An explicit port: A and AAAA only (4.2). */
	int asked = atomic_load(&questions) - before;
	assert_int_equal(asked, 2);
	/* Now from the cache, at once, with no question. */
	memset(&res, 0, sizeof(res));
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g1), 0);
	assert_int_equal(res.n, 1);
	sip_net_addr_ip(ip, &res.t[0].addr);
	assert_string_equal(ip, "127.0.0.1");
	assert_string_equal(res.t[0].host, "a.ok.test");
	assert_int_equal(atomic_load(&questions) - before, asked);
	assert_int_equal(g1.calls, 1);
	/* Another port is another query. */
	q.port = 5090;
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g1), SIP_DNS_PENDING);
	drain(&loop, c);
	assert_int_equal(g1.calls, 2);
	assert_int_equal(g1.port, 5090);
	sip_dns_cache_free(c);
	assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_negative(void **state)
{
	uv_loop_t loop;
	struct sip_dns_cache *c;
	struct sip_dns_result res;
	struct sip_dns_query q = { .host = SIP_STR("no.such.test"), .port = 5060 };
	struct got g = { 0 };
	int before;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c = cache_new(&loop, 300);
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), SIP_DNS_PENDING);
	drain(&loop, c);
	assert_int_equal(g.calls, 1);
	assert_int_equal(g.err, SIP_DNS_NXDOMAIN);
	/* The failure is cached: answered at once, no question. */
	before = atomic_load(&questions);
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), SIP_DNS_NXDOMAIN);
	assert_int_equal(atomic_load(&questions), before);
	/* ... briefly: after neg_ttl_ms it is asked again (bounded wait). */
	for (int i = 0; i < 100; i++) {
		usleep(10000);
		uv_update_time(&loop);
		if (sip_dns_resolve_async(c, &res, &q, NULL, NULL) == -EAGAIN)
			break;
	}
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), SIP_DNS_PENDING);
	drain(&loop, c);
	assert_int_equal(g.calls, 2);
	assert_true(atomic_load(&questions) > before);
	sip_dns_cache_free(c);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* Freed with a lookup running: no callback, and the loop still ends cleanly. */
static void test_free_pending(void **state)
{
	uv_loop_t loop;
	struct sip_dns_cache *c;
	struct sip_dns_result res;
	struct sip_dns_query q = { .host = SIP_STR("b.ok.test"), .port = 5060 };
	struct got g = { 0 };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	c = cache_new(&loop, 0);
	assert_int_equal(sip_dns_resolve_async(c, &res, &q, done, &g), SIP_DNS_PENDING);
	sip_dns_cache_free(c);
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(g.calls, 0);
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_name_cached),
		cmocka_unit_test(test_negative),
		cmocka_unit_test(test_free_pending),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

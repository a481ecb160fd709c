/* RFC 3263 server location pieces that need no name server: parsing real answer
 * packets (captured from tests/e2e/dnsd.py into tests/data/dns, see zone.txt there)
 * and hand-built ones (compression pointers, truncation, bad lengths), the RFC 2782
 * SRV order (priority, then weighted random with a seeded generator: frequencies
 * over 20,000 draws), the NAPTR order, numeric URIs (4.2: no DNS at all) and the
 * --verbose description of a target. The DNS path itself runs in
 * tests/e2e/test_toolkit_dns.sh against dnsd.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "guard.h"
#include "siphon/dns.h"

static size_t load(uint8_t *buf, size_t size, const char *name)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/dns/%s", SIPHON_TEST_DATA, name);
	f = fopen(path, "rb");
	assert_non_null(f);
	n = fread(buf, 1, size, f);
	fclose(f);
	assert_true(n > 12 && n < size);
	return n;
}

static void test_parse_naptr(void **state)
{
	uint8_t pkt[1024];
	size_t len = load(pkt, sizeof(pkt), "naptr.bin"), n = 0;
	struct sip_dns_naptr v[8];

	(void)state;
	const uint8_t *g = (const uint8_t *)guard_copy((const char *)pkt, len);
	assert_int_equal(sip_dns_parse_naptr(v, 8, &n, g, len), 0);
	assert_int_equal(n, 4);
	/* In the zone's order. */
	assert_int_equal(v[0].order, 20);
	assert_int_equal(v[0].pref, 10);
	assert_string_equal(v[0].flags, "s");
	assert_string_equal(v[0].service, "SIPS+D2T");
	assert_string_equal(v[0].replacement, "_sips._tcp.example.test");
	assert_string_equal(v[2].service, "SIP+D2U");
	assert_string_equal(v[3].flags, "u");
	assert_string_equal(v[3].service, "E2U+sip");
	assert_string_equal(v[3].replacement, ""); /* "." */
	/* RFC 3403 4.1: order first, then preference. */
	sip_dns_naptr_order(v, n);
	assert_string_equal(v[0].service, "E2U+sip");
	assert_string_equal(v[1].service, "SIP+D2U");  /* 10 10 */
	assert_string_equal(v[2].service, "SIP+D2T");  /* 10 20 */
	assert_string_equal(v[3].service, "SIPS+D2T"); /* 20 10 */
	/* max caps the count; the rest is not an error. */
	assert_int_equal(sip_dns_parse_naptr(v, 2, &n, g, len), 0);
	assert_int_equal(n, 2);
	/* The SRV parser finds no SRV records in it. */
	struct sip_dns_srv s[4];
	assert_int_equal(sip_dns_parse_srv(s, 4, &n, g, len), 0);
	assert_int_equal(n, 0);
	guard_release();
}

static void test_parse_srv_addr(void **state)
{
	uint8_t pkt[1024];
	size_t len = load(pkt, sizeof(pkt), "srv.bin"), n = 0;
	struct sip_dns_srv v[8];
	struct sip_net_addr a[4];
	char ip[SIP_NET_IPSTR];

	(void)state;
	const uint8_t *g = (const uint8_t *)guard_copy((const char *)pkt, len);
	assert_int_equal(sip_dns_parse_srv(v, 8, &n, g, len), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].priority, 20);
	assert_int_equal(v[0].weight, 0);
	assert_int_equal(v[0].port, 5080);
	assert_string_equal(v[0].target, "sip3.example.test");
	assert_int_equal(v[1].weight, 60);
	assert_int_equal(v[1].port, 5070);
	assert_string_equal(v[2].target, "sip2.example.test");

	len = load(pkt, sizeof(pkt), "a.bin");
	g = (const uint8_t *)guard_copy((const char *)pkt, len);
	assert_int_equal(sip_dns_parse_addr(a, 4, &n, g, len, AF_INET, 5070), 0);
	assert_int_equal(n, 2);
	sip_net_addr_ip(ip, &a[0]);
	assert_string_equal(ip, "127.0.0.1");
	sip_net_addr_ip(ip, &a[1]);
	assert_string_equal(ip, "192.0.2.7");
	assert_int_equal(sip_net_addr_port(&a[1]), 5070);
	/* No AAAA in an A answer. */
	assert_int_equal(sip_dns_parse_addr(a, 4, &n, g, len, AF_INET6, 5070), 0);
	assert_int_equal(n, 0);

	len = load(pkt, sizeof(pkt), "aaaa.bin");
	g = (const uint8_t *)guard_copy((const char *)pkt, len);
	assert_int_equal(sip_dns_parse_addr(a, 4, &n, g, len, AF_INET6, 5061), 0);
	assert_int_equal(n, 1);
	sip_net_addr_ip(ip, &a[0]);
	assert_string_equal(ip, "2001:db8::7");
	assert_int_equal(sip_net_addr_port(&a[0]), 5061);

	/* NXDOMAIN and NODATA answers parse, with no records. */
	len = load(pkt, sizeof(pkt), "nxdomain.bin");
	assert_int_equal(pkt[3] & 15, 3);
	assert_int_equal(sip_dns_parse_addr(a, 4, &n, pkt, len, AF_INET, 1), 0);
	assert_int_equal(n, 0);
	len = load(pkt, sizeof(pkt), "nodata.bin");
	assert_int_equal(pkt[3] & 15, 0);
	assert_int_equal(sip_dns_parse_srv(v, 4, &n, pkt, len), 0);
	assert_int_equal(n, 0);
	guard_release();
}

/* A response to "_sip._udp.x.test SRV" with one SRV record whose target is given
 * as raw bytes (tail), with rdlength rdlen. */
static size_t build_srv(uint8_t *p, const uint8_t *tail, size_t tail_len, uint16_t rdlen)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0,
		/* offset 12: _sip._udp.x.test */
		4, '_', 's', 'i', 'p', 4, '_', 'u', 'd', 'p', 1, 'x', 4, 't', 'e', 's', 't', 0,
		0, 33, 0, 1,
		0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60,
	};
	size_t n = sizeof(head);

	memcpy(p, head, n);
	p[n++] = (uint8_t)(rdlen >> 8);
	p[n++] = (uint8_t)rdlen;
	memcpy(p + n, "\x00\x0a\x00\x05\x13\xc4", 6); /* priority 10, weight 5, port 5060 */
	n += 6;
	memcpy(p + n, tail, tail_len);
	return n + tail_len;
}

static void test_parse_handmade(void **state)
{
	uint8_t pkt[256];
	struct sip_dns_srv v[2];
	size_t len, n = 0;
	const uint8_t *g;

	(void)state;
	/* A target compressed as "s1" + a pointer to "x.test" (offset 22). */
	static const uint8_t comp[] = { 2, 's', '1', 0xc0, 22 };
	len = build_srv(pkt, comp, sizeof(comp), 6 + sizeof(comp));
	g = (const uint8_t *)guard_copy((const char *)pkt, len);
	assert_int_equal(sip_dns_parse_srv(v, 2, &n, g, len), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].target, "s1.x.test");
	assert_int_equal(v[0].port, 5060);
	/* Each truncation of it is refused, never read past. */
	for (size_t cut = 0; cut < len; cut++) {
		g = (const uint8_t *)guard_copy((const char *)pkt, cut);
		assert_int_equal(sip_dns_parse_srv(v, 2, &n, g, cut), SIP_DNS_BADANSWER);
	}
	/* RDLENGTH shorter than the fixed fields, or ending inside the name (the
	 * message ends with the record: RDATA starts at offset 46). */
	build_srv(pkt, comp, sizeof(comp), 5);
	assert_int_equal(sip_dns_parse_srv(v, 2, &n, pkt, 46 + 5), SIP_DNS_BADANSWER);
	build_srv(pkt, comp, sizeof(comp), 6 + 2);
	assert_int_equal(sip_dns_parse_srv(v, 2, &n, pkt, 46 + 6 + 2), SIP_DNS_BADANSWER);
	/* A pointer to itself (a loop) and a pointer past the record. */
	static const uint8_t loop[] = { 0xc0, 52 };
	len = build_srv(pkt, loop, sizeof(loop), 6 + sizeof(loop));
	assert_int_equal(pkt[52], 0xc0); /* the pointer sits at offset 52 */
	assert_int_equal(sip_dns_parse_srv(v, 2, &n, pkt, len), SIP_DNS_BADANSWER);
	static const uint8_t fwd[] = { 0xc0, 200 };
	len = build_srv(pkt, fwd, sizeof(fwd), 6 + sizeof(fwd));
	assert_int_equal(sip_dns_parse_srv(v, 2, &n, pkt, len), SIP_DNS_BADANSWER);
	/* An A record of the wrong length. */
	static const uint8_t short_a[] = {
		0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1,
		0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 1, 0, 3, 127, 0, 0,
	};
	struct sip_net_addr a[1];
	assert_int_equal(sip_dns_parse_addr(a, 1, &n, short_a, sizeof(short_a), AF_INET, 1), SIP_DNS_BADANSWER);
	guard_release();
}

static void test_naptr_bad(void **state)
{
	uint8_t pkt[1024];
	size_t len = load(pkt, sizeof(pkt), "naptr.bin"), n = 0;
	struct sip_dns_naptr v[8];
	const uint8_t *g;

	(void)state;
	/* Every truncation is refused (the header counts four records), never read past. */
	for (size_t cut = 0; cut < len; cut++) {
		g = (const uint8_t *)guard_copy((const char *)pkt, cut);
		assert_int_equal(sip_dns_parse_naptr(v, 8, &n, g, cut), SIP_DNS_BADANSWER);
	}
	/* A character-string longer than its record: the first record's FLAGS length
	 * byte (after the question, 12 bytes of RR header and ORDER/PREF). */
	size_t q = 12;
	while (pkt[q])
		q += 1u + pkt[q];
	size_t flags_at = q + 1 + 4 + 12 + 4;
	assert_int_equal(pkt[flags_at], 1);
	pkt[flags_at] = 200;
	assert_int_equal(sip_dns_parse_naptr(v, 8, &n, pkt, len), SIP_DNS_BADANSWER);
	guard_release();
}

static void test_srv_priority(void **state)
{
	struct sip_dns_srv v[5] = {
		{ .priority = 30, .weight = 1, .target = "c" },
		{ .priority = 10, .weight = 1, .target = "a" },
		{ .priority = 20, .weight = 0, .target = "b" },
		{ .priority = 65535, .weight = 9, .target = "e" },
		{ .priority = 0, .weight = 0, .target = "z" },
	};
	uint64_t rng = 42;

	(void)state;
	sip_dns_srv_order(v, 5, &rng);
	assert_string_equal(v[0].target, "z");
	assert_string_equal(v[1].target, "a");
	assert_string_equal(v[2].target, "b");
	assert_string_equal(v[3].target, "c");
	assert_string_equal(v[4].target, "e");
	/* One record, and none. */
	sip_dns_srv_order(v, 1, &rng);
	assert_string_equal(v[0].target, "z");
	sip_dns_srv_order(v, 0, &rng);
}

/* RFC 2782: within a priority, a record comes first with probability
 * weight / sum (weight 0: only on a draw of 0, 1 / (sum + 1)); the lower priority
 * always before. 20,000 orderings with a fixed seed; each share within 1.5 points. */
static void test_srv_weights(void **state)
{
	int first[4] = { 0 }, second_of_b = 0, rounds = 20000;
	uint64_t rng = 0x5eed;

	(void)state;
	for (int i = 0; i < rounds; i++) {
		struct sip_dns_srv v[5] = {
			{ .priority = 1, .weight = 10, .target = "a" },
			{ .priority = 1, .weight = 30, .target = "b" },
			{ .priority = 2, .weight = 100, .target = "low" },
			{ .priority = 1, .weight = 60, .target = "c" },
			{ .priority = 1, .weight = 0, .target = "zero" },
		};
		sip_dns_srv_order(v, 5, &rng);
		assert_string_equal(v[4].target, "low");
		int seen = 0;
		for (int k = 0; k < 4; k++) {
			assert_int_equal(v[k].priority, 1);
			seen |= 1 << (v[k].target[0] == 'z' ? 3 : v[k].target[0] - 'a');
		}
		assert_int_equal(seen, 15); /* a permutation */
		first[v[0].target[0] == 'z' ? 3 : v[0].target[0] - 'a']++;
		if (v[0].target[0] == 'a' && v[1].target[0] == 'b')
			second_of_b++;
	}
	/* sum = 100: a 10/101, b 30/101, c 60/101, zero 1/101. */
	double share[4];
	for (int k = 0; k < 4; k++)
		share[k] = 100.0 * first[k] / rounds;
	assert_true(share[0] > 9.9 - 1.5 && share[0] < 9.9 + 1.5);
	assert_true(share[1] > 29.7 - 1.5 && share[1] < 29.7 + 1.5);
	assert_true(share[2] > 59.4 - 1.5 && share[2] < 59.4 + 1.5);
	assert_true(share[3] > 0.1 && share[3] < 2.5);
	/* After a first: b next with 30 / 91. */
	double p_b = (double)second_of_b / first[0];
	assert_true(p_b > 0.33 - 0.08 && p_b < 0.33 + 0.08);

	/* The same seed gives the same order; weights all 0 keep every record. */
	struct sip_dns_srv x[3] = { { .weight = 0, .target = "p" }, { .weight = 0, .target = "q" }, { .weight = 0, .target = "r" } };
	struct sip_dns_srv y[3];
	memcpy(y, x, sizeof(x));
	uint64_t r1 = 7, r2 = 7;
	sip_dns_srv_order(x, 3, &r1);
	sip_dns_srv_order(y, 3, &r2);
	assert_memory_equal(x, y, sizeof(x));
	assert_int_equal(x[0].target[0] + x[1].target[0] + x[2].target[0], 'p' + 'q' + 'r');
}

static void resolve_uri_ok(struct sip_dns_result *r, const char *uri)
{
	struct sip_uri u;
	struct sip_dns_query q;

	assert_int_equal(sip_uri_parse(&u, sip_str_from_cstr(uri)), 0);
	assert_int_equal(sip_dns_query_from_uri(&q, &u), 0);
	assert_int_equal(sip_dns_resolve(r, &q, NULL), 0);
}

/* 4.2: numeric hosts need no name server (none is configured for this test). */
static void test_numeric(void **state)
{
	struct sip_dns_result r;
	char text[256];
	struct sip_uri u;
	struct sip_dns_query q;

	(void)state;
	resolve_uri_ok(&r, "sip:192.0.2.1");
	assert_int_equal(r.n, 1);
	assert_int_equal(r.t[0].tp, SIP_TP_UDP);
	assert_true(r.t[0].numeric);
	assert_int_equal(sip_net_addr_port(&r.t[0].addr), 5060);
	sip_dns_target_describe(text, sizeof(text), &r.t[0], SIP_STR("192.0.2.1"));
	assert_string_equal(text, "192.0.2.1:5060");

	resolve_uri_ok(&r, "sips:alice@[2001:db8::1]");
	assert_int_equal(r.t[0].tp, SIP_TP_TLS);
	assert_int_equal(r.t[0].addr.u.sa.sa_family, AF_INET6);
	assert_int_equal(sip_net_addr_port(&r.t[0].addr), 5061);

	resolve_uri_ok(&r, "sip:192.0.2.1:5070;transport=tcp");
	assert_int_equal(r.t[0].tp, SIP_TP_TCP);
	assert_int_equal(sip_net_addr_port(&r.t[0].addr), 5070);

	/* maddr wins over the host (RFC 3261 19.1.1). */
	resolve_uri_ok(&r, "sip:bob@example.test;maddr=192.0.2.9");
	sip_net_addr_ip(text, &r.t[0].addr);
	assert_string_equal(text, "192.0.2.9");

	/* sips over UDP does not exist; an unknown transport is refused. */
	assert_int_equal(sip_uri_parse(&u, SIP_STR("sips:192.0.2.1;transport=udp")), 0);
	assert_int_equal(sip_dns_query_from_uri(&q, &u), -EINVAL);
	assert_int_equal(sip_uri_parse(&u, SIP_STR("sip:192.0.2.1;transport=pigeon")), 0);
	assert_int_equal(sip_dns_query_from_uri(&q, &u), -EINVAL);
	assert_string_equal(sip_dns_strerror(SIP_DNS_NXDOMAIN), "NXDOMAIN");
}

static void test_describe(void **state)
{
	struct sip_dns_target t = { .tp = SIP_TP_UDP, .naptr = true };
	char text[300], small[20];

	(void)state;
	assert_int_equal(sip_net_addr_set(&t.addr, SIP_STR("127.0.0.1"), 5070), 0);
	snprintf(t.host, sizeof(t.host), "sip1.example.test");
	snprintf(t.srv, sizeof(t.srv), "_sip._udp.example.test");
	size_t n = sip_dns_target_describe(text, sizeof(text), &t, SIP_STR("example.test"));
	assert_string_equal(text, "NAPTR example.test -> SRV _sip._udp.example.test -> sip1.example.test:5070 -> 127.0.0.1");
	assert_int_equal(n, strlen(text));
	t.naptr = false;
	t.srv[0] = '\0';
	sip_dns_target_describe(text, sizeof(text), &t, SIP_STR("sip1.example.test"));
	assert_string_equal(text, "sip1.example.test:5070 -> 127.0.0.1");
	/* Cut, NUL-terminated. */
	n = sip_dns_target_describe(small, sizeof(small), &t, SIP_STR("x"));
	assert_int_equal(n, sizeof(small) - 1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_naptr),
		cmocka_unit_test(test_parse_srv_addr),
		cmocka_unit_test(test_parse_handmade),
		cmocka_unit_test(test_naptr_bad),
		cmocka_unit_test(test_srv_priority),
		cmocka_unit_test(test_srv_weights),
		cmocka_unit_test(test_numeric),
		cmocka_unit_test(test_describe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for src/msg/via.c: sip_via_parse and sip_via_branch_is_rfc3261.
 * Every case also runs at the end of a guarded page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/hdr.h"

/* Case tables list only the leading fields they care about. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct via_case {
	const char *in;
	const char *protocol, *transport, *host;
	enum sip_host_type host_type;
	int port; /* -1: absent */
	const char *params, *branch, *received;
	int rport; /* -2: absent, -1: present without value */
	const char *maddr;
	int ttl;
};

static const struct via_case valid[] = {
	{ "SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds", "SIP/2.0", "UDP",
	  "pc33.atlanta.com", SIP_HOST_NAME, -1, "branch=z9hG4bK776asdhds", "z9hG4bK776asdhds",
	  NULL, -2, NULL, -1 },
	{ "SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74b43", "SIP/2.0", "TCP",
	  "client.atlanta.example.com", SIP_HOST_NAME, 5060, "branch=z9hG4bK74b43",
	  "z9hG4bK74b43", NULL, -2, NULL, -1 },
	{ "SIP/2.0/UDP 192.0.2.1:5060;received=192.0.2.207;branch=z9hG4bK77asjd;rport=5061",
	  "SIP/2.0", "UDP", "192.0.2.1", SIP_HOST_IPV4, 5060,
	  "received=192.0.2.207;branch=z9hG4bK77asjd;rport=5061", "z9hG4bK77asjd",
	  "192.0.2.207", 5061, NULL, -1 },
	/* RFC 3581: rport without a value. RFC 4475 3.1.1.11 */
	{ "SIP/2.0/UDP 127.0.0.1:5070\r\n ;branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport",
	  "SIP/2.0", "UDP", "127.0.0.1", SIP_HOST_IPV4, 5070,
	  "branch=z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-;rport",
	  "z9hG4bK-d87543-4dade06d0bdb11ee-1--d87543-", NULL, -1, NULL, -1 },
	/* RFC 4475 3.1.1.1: LWS and folding everywhere */
	{ "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw", "SIP  /   2.0", "UDP",
	  "192.0.2.2", SIP_HOST_IPV4, -1, "branch=390skdjuw", "390skdjuw", NULL, -2, NULL, -1 },
	{ "SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8",
	  "SIP  / 2.0", "TCP", "spindle.example.com", SIP_HOST_NAME, -1,
	  "\r\n  branch  =   z9hG4bK9ikj8", "z9hG4bK9ikj8", NULL, -2, NULL, -1 },
	{ "SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239", "SIP  /    2.0",
	  "UDP", "192.168.255.111", SIP_HOST_IPV4, -1, " branch=\r\n z9hG4bK30239",
	  "z9hG4bK30239", NULL, -2, NULL, -1 },
	/* RFC 4475 3.1.1.2: all token characters in a branch */
	{ "SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+`'~", "SIP/2.0", "TCP",
	  "host1.example.com", SIP_HOST_NAME, -1, "branch=z9hG4bK-.!%66*_+`'~",
	  "z9hG4bK-.!%66*_+`'~", NULL, -2, NULL, -1 },
	/* RFC 4475 3.1.1.10: unknown transports */
	{ "SIP/2.0/UNKNOWN t4.example.com;branch=z9hG4bKasd0f3en", "SIP/2.0", "UNKNOWN",
	  "t4.example.com", SIP_HOST_NAME, -1, "branch=z9hG4bKasd0f3en", "z9hG4bKasd0f3en", NULL,
	  -2, NULL, -1 },
	{ "SIP/2.0/SCTP t2.example.com;branch=z9hG4bKklasjdhf", "SIP/2.0", "SCTP",
	  "t2.example.com", SIP_HOST_NAME, -1, "branch=z9hG4bKklasjdhf", "z9hG4bKklasjdhf", NULL,
	  -2, NULL, -1 },
	{ "SIP/2.0/TCP sip33.example.com", "SIP/2.0", "TCP", "sip33.example.com", SIP_HOST_NAME,
	  -1, NULL, NULL, NULL, -2, NULL, -1 },
	/* RFC 4475 3.2.1: empty transaction id after the cookie is still well formed */
	{ "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK", "SIP/2.0", "UDP", "192.0.2.1", SIP_HOST_IPV4,
	  -1, "branch=z9hG4bK", "z9hG4bK", NULL, -2, NULL, -1 },
	/* RFC 5118 4.5, 4.7, 4.9 */
	{ "SIP/2.0/UDP [2001:db8::9:1];received=[2001:db8::9:255];branch=z9hG4bKas3-111",
	  "SIP/2.0", "UDP", "[2001:db8::9:1]", SIP_HOST_IPV6, -1,
	  "received=[2001:db8::9:255];branch=z9hG4bKas3-111", "z9hG4bKas3-111",
	  "[2001:db8::9:255]", -2, NULL, -1 },
	{ "SIP/2.0/UDP [2001:db8::9:1];received=2001:db8::9:255;branch=z9hG4bKas3", "SIP/2.0",
	  "UDP", "[2001:db8::9:1]", SIP_HOST_IPV6, -1,
	  "received=2001:db8::9:255;branch=z9hG4bKas3", "z9hG4bKas3", "2001:db8::9:255", -2,
	  NULL, -1 },
	{ "SIP/2.0/UDP [2001:db8::9:1]:6050;branch=z9hG4bKas3-111", "SIP/2.0", "UDP",
	  "[2001:db8::9:1]", SIP_HOST_IPV6, 6050, "branch=z9hG4bKas3-111", "z9hG4bKas3-111", NULL,
	  -2, NULL, -1 },
	{ "SIP/2.0/TCP [2001:db8::9:255];branch=z9hG4bK451jj;\r\n received=192.0.2.200",
	  "SIP/2.0", "TCP", "[2001:db8::9:255]", SIP_HOST_IPV6, -1,
	  "branch=z9hG4bK451jj;\r\n received=192.0.2.200", "z9hG4bK451jj", "192.0.2.200", -2,
	  NULL, -1 },
	{ "SIP/2.0/UDP [::ffff:192.0.2.10]:19823;branch=z9hG4bKbh19", "SIP/2.0", "UDP",
	  "[::ffff:192.0.2.10]", SIP_HOST_IPV6, 19823, "branch=z9hG4bKbh19", "z9hG4bKbh19", NULL,
	  -2, NULL, -1 },
	/* maddr, ttl, extensions, spaces around ':' of sent-by */
	{ "SIP/2.0/UDP h.example.com : 5062 ;maddr=224.2.0.1;ttl=16;x-ext=\"quoted;v\";flag",
	  "SIP/2.0", "UDP", "h.example.com", SIP_HOST_NAME, 5062,
	  "maddr=224.2.0.1;ttl=16;x-ext=\"quoted;v\";flag", NULL, NULL, -2, "224.2.0.1", 16 },
	{ "SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKasudf;RPORT;TTL=0;Maddr=[::1]",
	  "SIP/2.0", "WSS", "df7jal23ls0d.invalid", SIP_HOST_NAME, -1,
	  "branch=z9hG4bKasudf;RPORT;TTL=0;Maddr=[::1]", "z9hG4bKasudf", NULL, -1, "[::1]", 0 },
	{ "SIP/2.0/UDP h;x=[2001:db8::1]", "SIP/2.0", "UDP", "h", SIP_HOST_NAME, -1,
	  "x=[2001:db8::1]", NULL, NULL, -2, NULL, -1 },
	{ "SIP/2.0/ UDP h", "SIP/2.0", "UDP", "h", SIP_HOST_NAME, -1, NULL, NULL, NULL, -2, NULL,
	  -1 },
	{ "SIP/2.0 /UDP h", "SIP/2.0", "UDP", "h", SIP_HOST_NAME, -1, NULL, NULL, NULL, -2, NULL,
	  -1 },
	{ "  SIP/2.0/UDP h  ", "SIP/2.0", "UDP", "h", SIP_HOST_NAME, -1, NULL, NULL, NULL, -2,
	  NULL, -1 },
};

static const char *const invalid[] = {
	"",
	"SIP/2.0/UDP",
	"SIP/2.0/UDP ",
	"SIP/2.0 UDP host",
	"SIP//UDP host",
	"SIP/2.0/ host",
	"/2.0/UDP host",
	"SIP/2.0/UDPhost",
	"SIP/2.0/UDP;branch=x",
	"SIP/2.0/UDP host:",
	"SIP/2.0/UDP host:65536",
	"SIP/2.0/UDP host:abc",
	"SIP/2.0/UDP host;",
	"SIP/2.0/UDP host;;branch=x",
	"SIP/2.0/UDP 192.0.2.15;;,;,,", /* RFC 4475 3.1.2.1 */
	"SIP/2.0/UDP host;branch",
	"SIP/2.0/UDP host;branch=",
	"SIP/2.0/UDP host;branch=\"x\"",
	"SIP/2.0/UDP host;branch=a b",
	"SIP/2.0/UDP host;=x",
	"SIP/2.0/UDP host;ttl=256",
	"SIP/2.0/UDP host;ttl=1000",
	"SIP/2.0/UDP host;ttl",
	"SIP/2.0/UDP host;ttl=x",
	"SIP/2.0/UDP host;rport=65536",
	"SIP/2.0/UDP host;rport=x",
	"SIP/2.0/UDP host;rport=",
	"SIP/2.0/UDP host;received=host.example.com",
	"SIP/2.0/UDP host;received",
	"SIP/2.0/UDP host;received=1.2.3",
	"SIP/2.0/UDP host;received=[1.2.3.4]",
	"SIP/2.0/UDP host;received=2001:db8::g",
	"SIP/2.0/UDP host;maddr",
	"SIP/2.0/UDP host;maddr=bad_host",
	"SIP/2.0/UDP host;x=a:b",
	"SIP/2.0/UDP host;x=\"open",
	"SIP/2.0/UDP 2001:db8::1", /* RFC 5118: sent-by needs the brackets */
	"SIP/2.0/UDP [2001:db8::1",
	"SIP/2.0/UDP [2001:db8::1]:",
	"SIP/2.0/UDP host extra",
	"SIP/2.0/UDP host,SIP/2.0/UDP other",
	"SIP/2.0/UDP host;branch=x\r\nVia: SIP/2.0/UDP other",
	"SIP/2.0/UDP host;branch=x\r",
	"SIP/2.0/UDP bad_host",
};

static void check_valid(const struct via_case *c, struct sip_str in)
{
	struct sip_via v;

	if (sip_via_parse(&v, in) != 0) {
		fprintf(stderr, "rejected: %s\n", c->in);
		fail();
	}
	assert_slice(v.protocol, c->protocol);
	assert_slice(v.transport, c->transport);
	assert_slice(v.host, c->host);
	assert_int_equal(v.host_type, c->host_type);
	assert_int_equal(v.has_port, c->port >= 0);
	assert_int_equal(v.port, c->port >= 0 ? c->port : 0);
	assert_slice(v.params, c->params);
	assert_slice(v.branch, c->branch);
	assert_slice(v.received, c->received);
	assert_int_equal(v.has_rport, c->rport != -2);
	assert_int_equal(v.rport, c->rport > 0 ? c->rport : 0);
	assert_slice(v.maddr, c->maddr);
	assert_int_equal(v.ttl, c->ttl);
}

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		struct sip_str in = cstr(valid[i].in);
		check_valid(&valid[i], in);
		in.p = guard_copy(in.p, in.len);
		check_valid(&valid[i], in);
		guard_release();
	}
}

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct sip_via v;
		struct sip_str in = cstr(invalid[i]);
		memset(&v, 0xa5, sizeof v);
		if (sip_via_parse(&v, in) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", invalid[i]);
			fail();
		}
		assert_int_equal(((unsigned char *)&v)[0], 0xa5);
		in.p = guard_copy(in.p, in.len);
		assert_int_equal(sip_via_parse(&v, in), SIP_EPARSE);
		guard_release();
	}
}

static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		size_t n = strlen(valid[i].in);
		for (size_t k = 0; k <= n; k++) {
			struct sip_via v;
			int rc = sip_via_parse(&v, (struct sip_str){ guard_copy(valid[i].in, k), k });
			assert_true(rc == 0 || rc == SIP_EPARSE);
		}
	}
	guard_release();
}

static void test_branch_cookie(void **state)
{
	struct sip_via v;

	(void)state;
	assert_int_equal(sip_via_parse(&v, cstr("SIP/2.0/UDP h;branch=z9hG4bK776asdhds")), 0);
	assert_true(sip_via_branch_is_rfc3261(&v));
	assert_int_equal(sip_via_parse(&v, cstr("SIP/2.0/UDP h;branch=z9hG4bK")), 0);
	assert_true(sip_via_branch_is_rfc3261(&v));
	assert_int_equal(sip_via_parse(&v, cstr("SIP/2.0/UDP h;branch=Z9HG4BK776")), 0);
	assert_false(sip_via_branch_is_rfc3261(&v));
	assert_int_equal(sip_via_parse(&v, cstr("SIP/2.0/UDP h;branch=390skdjuw")), 0);
	assert_false(sip_via_branch_is_rfc3261(&v));
	assert_int_equal(sip_via_parse(&v, cstr("SIP/2.0/UDP h")), 0);
	assert_false(sip_via_branch_is_rfc3261(&v));
}

/* A Via header with several values, split with sip_list_next. */
static void test_list(void **state)
{
	struct sip_str rest = cstr("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
				   "  branch  =   z9hG4bK9ikj8  ,\r\n SIP  /    2.0   / UDP  "
				   "192.168.255.111   ; branch=\r\n z9hG4bK30239");
	struct sip_str item;
	struct sip_via v;

	(void)state;
	assert_true(sip_list_next(&rest, &item));
	assert_int_equal(sip_via_parse(&v, item), 0);
	assert_slice(v.host, "spindle.example.com");
	assert_slice(v.branch, "z9hG4bK9ikj8");
	assert_true(sip_list_next(&rest, &item));
	assert_int_equal(sip_via_parse(&v, item), 0);
	assert_slice(v.host, "192.168.255.111");
	assert_slice(v.branch, "z9hG4bK30239");
	assert_false(sip_list_next(&rest, &item));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),         cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_prefixes),      cmocka_unit_test(test_branch_cookie),
		cmocka_unit_test(test_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

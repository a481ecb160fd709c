/* Unit tests for src/net/addr.c and the byte-level parts of src/net/via.c:
 * transport names, addresses, listen specs, the 18.1.1 transport choice and the
 * in-place Via transport rewrite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nettest.h"

static void test_tp_names(void **state)
{
	(void)state;
	assert_string_equal(sip_tp_name(SIP_TP_UDP), "UDP");
	assert_string_equal(sip_tp_name(SIP_TP_TLS), "TLS");
	assert_string_equal(sip_tp_name(SIP_TP_NONE), "");
	assert_int_equal(sip_tp_from_str(SIP_STR("tcp")), SIP_TP_TCP);
	assert_int_equal(sip_tp_from_str(SIP_STR("WSS")), SIP_TP_WSS);
	assert_int_equal(sip_tp_from_str(SIP_STR("SCTP")), SIP_TP_NONE);
	assert_int_equal(sip_tp_from_str(SIP_STR("")), SIP_TP_NONE);
	assert_false(sip_tp_reliable(SIP_TP_UDP));
	assert_true(sip_tp_reliable(SIP_TP_TCP));
	assert_true(sip_tp_reliable(SIP_TP_TLS));
	assert_int_equal(sip_tp_default_port(SIP_TP_UDP), 5060);
	assert_int_equal(sip_tp_default_port(SIP_TP_TCP), 5060);
	assert_int_equal(sip_tp_default_port(SIP_TP_TLS), 5061);
}

static void test_addr(void **state)
{
	struct sip_net_addr a, b;
	char s[SIP_NET_ADDRSTR];

	(void)state;
	assert_int_equal(sip_net_addr_set(&a, SIP_STR("192.0.2.7"), 5070), 0);
	assert_int_equal(a.u.sa.sa_family, AF_INET);
	assert_int_equal(sip_net_addr_port(&a), 5070);
	sip_net_addr_format(s, &a);
	assert_string_equal(s, "192.0.2.7:5070");
	sip_net_addr_ip(s, &a);
	assert_string_equal(s, "192.0.2.7");

	assert_int_equal(sip_net_addr_set(&b, SIP_STR("[2001:db8::1]"), 5061), 0);
	assert_int_equal(b.u.sa.sa_family, AF_INET6);
	sip_net_addr_format(s, &b);
	assert_string_equal(s, "[2001:db8::1]:5061");
	assert_false(sip_net_addr_eq(&a, &b));
	assert_int_equal(sip_net_addr_set(&b, SIP_STR("2001:db8::1"), 5061), 0);
	sip_net_addr_ip(s, &b);
	assert_string_equal(s, "2001:db8::1");

	b = a;
	assert_true(sip_net_addr_eq(&a, &b));
	sip_net_addr_set_port(&b, 1);
	assert_false(sip_net_addr_eq(&a, &b));

	/* Names and junk are not addresses; the out-param stays untouched. */
	b = a;
	assert_int_equal(sip_net_addr_set(&b, SIP_STR("example.com"), 1), -EINVAL);
	assert_int_equal(sip_net_addr_set(&b, SIP_STR(""), 1), -EINVAL);
	assert_int_equal(sip_net_addr_set(&b, SIP_STR("1.2.3.4.5"), 1), -EINVAL);
	assert_int_equal(sip_net_addr_set(&b, SIP_STR("[::1"), 1), -EINVAL);
	assert_true(sip_net_addr_eq(&a, &b));
}

static void test_listen_spec(void **state)
{
	struct sip_listen_spec s;
	char str[SIP_NET_ADDRSTR];

	(void)state;
	assert_int_equal(sip_listen_spec_parse(&s, "udp:127.0.0.1:5060"), 0);
	assert_int_equal(s.tp, SIP_TP_UDP);
	sip_net_addr_format(str, &s.addr);
	assert_string_equal(str, "127.0.0.1:5060");
	assert_int_equal(sip_listen_spec_parse(&s, "TCP:0.0.0.0:0"), 0);
	assert_int_equal(s.tp, SIP_TP_TCP);
	assert_int_equal(sip_net_addr_port(&s.addr), 0);
	assert_int_equal(sip_listen_spec_parse(&s, "tls:[::1]:5061"), 0);
	assert_int_equal(s.tp, SIP_TP_TLS);
	assert_int_equal(s.addr.u.sa.sa_family, AF_INET6);
	sip_net_addr_format(str, &s.addr);
	assert_string_equal(str, "[::1]:5061");

	static const char *const bad[] = {
		"", "udp", "udp:", "udp:127.0.0.1", "udp:127.0.0.1:", "udp:127.0.0.1:65536",
		"udp:127.0.0.1:-1", "udp:127.0.0.1:50a", "sctp:127.0.0.1:5060", "ws:127.0.0.1:80",
		"udp:::1:5060", "udp:[::1]5060", "udp:[::1]:", "udp:[::1", "udp:localhost:5060",
		":127.0.0.1:5060",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.tp = SIP_TP_WS;
		assert_int_equal(sip_listen_spec_parse(&s, bad[i]), -EINVAL);
		assert_int_equal(s.tp, SIP_TP_WS); /* untouched on failure */
	}
}

static void test_request_tp(void **state)
{
	(void)state;
	/* RFC 3261 18.1.1: over 1300 bytes, UDP becomes TCP unless forbidden. */
	assert_int_equal(sip_net_request_tp(SIP_TP_UDP, 1300, true), SIP_TP_UDP);
	assert_int_equal(sip_net_request_tp(SIP_TP_UDP, 1301, true), SIP_TP_TCP);
	assert_int_equal(sip_net_request_tp(SIP_TP_UDP, 1301, false), SIP_TP_UDP);
	assert_int_equal(sip_net_request_tp(SIP_TP_TLS, 9000, true), SIP_TP_TLS);
	assert_int_equal(sip_net_request_tp(SIP_TP_TCP, 10, true), SIP_TP_TCP);
}

static void test_via_set_tp(void **state)
{
	char m1[] = "INVITE sip:b@example.com SIP/2.0\r\n"
		    "Max-Forwards: 70\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
		    "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2\r\n"
		    "\r\n";
	char m2[] = "OPTIONS sip:b@example.com SIP/2.0\r\n"
		    "v : SIP / 2.0 / udp host.example.com;branch=z9hG4bK3\r\n\r\n";
	char m3[] = "OPTIONS sip:b@example.com SIP/2.0\r\nTo: <sip:b@example.com>\r\n\r\n"
		    "Via: SIP/2.0/UDP in.the.body\r\n";
	char m4[] = "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n";
	char m5[] = "OPTIONS sip:b SIP/2.0\r\nVia: SIP/2.0\r\n\r\n";

	(void)state;
	assert_int_equal(sip_net_via_set_tp(m1, strlen(m1), SIP_TP_TCP), 0);
	assert_non_null(strstr(m1, "Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK1\r\n"));
	/* Only the top Via changes. */
	assert_non_null(strstr(m1, "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK2\r\n"));
	/* Compact form, LWS around the slashes (RFC 3261 20.42 allows it). */
	assert_int_equal(sip_net_via_set_tp(m2, strlen(m2), SIP_TP_TLS), 0);
	assert_non_null(strstr(m2, "v : SIP / 2.0 / TLS host.example.com;"));
	/* Lengths differ: refused, nothing written. */
	assert_int_equal(sip_net_via_set_tp(m2, strlen(m2), SIP_TP_WS), -EINVAL);
	assert_non_null(strstr(m2, "/ TLS host"));
	/* A Via in the body is not a header. */
	assert_int_equal(sip_net_via_set_tp(m3, strlen(m3), SIP_TP_TCP), SIP_ENOTFOUND);
	assert_non_null(strstr(m3, "SIP/2.0/UDP in.the.body"));
	/* Truncated at every length: never past the end, never a crash. */
	for (size_t n = 0; n <= strlen(m4); n++) {
		char copy[sizeof(m4)];
		int r;

		memcpy(copy, m4, sizeof(m4));
		r = sip_net_via_set_tp(copy, n, SIP_TP_TCP);
		assert_true(r == 0 || r == SIP_ENOTFOUND || r == SIP_EPARSE || r == -EINVAL);
		if (r == 0)
			assert_non_null(strstr(copy, "SIP/2.0/TCP h"));
	}
	assert_int_equal(sip_net_via_set_tp(m5, strlen(m5), SIP_TP_TCP), SIP_EPARSE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tp_names),
		cmocka_unit_test(test_addr),
		cmocka_unit_test(test_listen_spec),
		cmocka_unit_test(test_request_tp),
		cmocka_unit_test(test_via_set_tp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Via processing on parsed messages: received/rport on requests (RFC 3261
 * 18.2.1, RFC 3581 4), the response routing rules of RFC 3261 18.2.2, writing
 * the fix into a response (builder), the transport of a URI (sips: needs TLS),
 * and the UDP to TCP switch for big requests (18.1.1) over real sockets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nettest.h"
#include "siphon/build.h"
#include "siphon/buf.h"

static struct sip_msg *req_with_via(const char *via)
{
	char buf[1024];
	struct sip_msg *m = NULL;
	int n = snprintf(buf, sizeof(buf),
			 "OPTIONS sip:b@example.com SIP/2.0\r\n"
			 "%s%s%s"
			 "Via: SIP/2.0/UDP 192.0.2.200;branch=z9hG4bKsecond\r\n"
			 "Max-Forwards: 70\r\nFrom: <sip:a@example.com>;tag=1\r\n"
			 "To: <sip:b@example.com>\r\nCall-ID: via-test\r\nCSeq: 1 OPTIONS\r\n"
			 "Content-Length: 0\r\n\r\n",
			 via ? "Via: " : "", via ? via : "", via ? "\r\n" : "");

	assert_int_equal(sip_msg_parse(&m, buf, (size_t)n, NULL, NULL), 0);
	return m;
}

static struct sip_net_src src_of(enum sip_tp tp, const char *ip, uint16_t port)
{
	struct sip_net_src s;

	memset(&s, 0, sizeof(s));
	s.tp = tp;
	assert_int_equal(sip_net_addr_set(&s.remote, sip_str_from_cstr(ip), port), 0);
	s.conn_id = sip_tp_reliable(tp) ? 7 : 0;
	return s;
}

static void expect_fix(const char *via, const char *ip, uint16_t port, bool received,
		       bool rport)
{
	struct sip_msg *m = req_with_via(via);
	struct sip_net_src s = src_of(SIP_TP_UDP, ip, port);
	struct sip_net_via_fix f;

	assert_int_equal(sip_net_via_fix(&f, m, &s), 0);
	assert_int_equal(f.add_received, received);
	assert_int_equal(f.fill_rport, rport);
	assert_string_equal(f.received, ip);
	assert_int_equal(f.rport, port);
	sip_msg_free(m);
}

static void test_via_fix(void **state)
{
	(void)state;
	/* 18.2.1: sent-by equal to the source IP: nothing to add (the port does
	 * not matter). */
	expect_fix("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1", "192.0.2.1", 40000, false, false);
	/* Another IP, or a name: received=. */
	expect_fix("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "203.0.113.5", 5060, true, false);
	expect_fix("SIP/2.0/UDP pc33.example.com;branch=z9hG4bK1", "192.0.2.1", 5060, true, false);
	/* RFC 3581 4: rport asks for the source port, and received always. */
	expect_fix("SIP/2.0/UDP 192.0.2.1:5060;rport;branch=z9hG4bK1", "192.0.2.1", 41234, true,
		   true);
	expect_fix("SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bK1;rport", "198.51.100.7", 1024, true,
		   true);
	/* IPv6 (RFC 5118): compared as addresses, not as text. */
	expect_fix("SIP/2.0/UDP [2001:db8:0::1]:5060;branch=z9hG4bK1", "2001:db8::1", 5060, false,
		   false);
	expect_fix("SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK1", "2001:db8::2", 5060, true,
		   false);
	/* IPv4 sent-by, IPv6 source. */
	expect_fix("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1", "::1", 5060, true, false);

	/* Only the top Via counts: here 192.0.2.200, not the source. */
	struct sip_msg *m = req_with_via(NULL);
	struct sip_net_src s = src_of(SIP_TP_UDP, "192.0.2.1", 5060);
	struct sip_net_via_fix f;
	assert_int_equal(sip_net_via_fix(&f, m, &s), 0);
	assert_true(f.add_received);
	assert_false(f.fill_rport);
	sip_msg_free(m);
}

struct dest_case {
	const char *via;
	int ret;
	enum sip_tp tp;
	const char *addr; /* formatted */
};

static void test_response_dest_via(void **state)
{
	static const struct dest_case cases[] = {
		/* 18.2.2: sent-by IP and port. */
		{ "SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1", 0, SIP_TP_UDP, "192.0.2.1:5070" },
		/* received IP, sent-by port (default 5060). */
		{ "SIP/2.0/UDP pc.example.com;branch=z9hG4bK1;received=192.0.2.9", 0, SIP_TP_UDP,
		  "192.0.2.9:5060" },
		{ "SIP/2.0/UDP 10.1.1.1:5080;received=192.0.2.9", 0, SIP_TP_UDP, "192.0.2.9:5080" },
		/* RFC 3581 4: received + rport value. */
		{ "SIP/2.0/UDP 10.0.0.1:5070;rport=40000;received=192.0.2.9", 0, SIP_TP_UDP,
		  "192.0.2.9:40000" },
		/* rport without a value: as if absent. */
		{ "SIP/2.0/UDP 10.0.0.1;rport;received=192.0.2.9", 0, SIP_TP_UDP, "192.0.2.9:5060" },
		/* rport without received: sent-by. */
		{ "SIP/2.0/UDP 192.0.2.3:5070;rport=40000", 0, SIP_TP_UDP, "192.0.2.3:5070" },
		/* Reliable: received and sent-by port, rport does not apply. */
		{ "SIP/2.0/TCP 10.0.0.1:5070;rport=40000;received=192.0.2.9", 0, SIP_TP_TCP,
		  "192.0.2.9:5070" },
		{ "SIP/2.0/TLS host.example.com;received=192.0.2.9", 0, SIP_TP_TLS,
		  "192.0.2.9:5061" },
		/* maddr: unicast is used with the sent-by port, multicast unsupported. */
		{ "SIP/2.0/UDP 10.0.0.1:5080;maddr=192.0.2.44", 0, SIP_TP_UDP, "192.0.2.44:5080" },
		{ "SIP/2.0/UDP 10.0.0.1;maddr=239.255.255.1;ttl=1", -ENOTSUP, SIP_TP_NONE, NULL },
		{ "SIP/2.0/UDP 10.0.0.1;maddr=[ff02::1]", -ENOTSUP, SIP_TP_NONE, NULL },
		/* A name without received: resolve first (RFC 3263 5). */
		{ "SIP/2.0/UDP pc.example.com:5060", SIP_ENOTFOUND, SIP_TP_NONE, NULL },
		{ "SIP/2.0/SCTP 192.0.2.1", SIP_EPARSE, SIP_TP_NONE, NULL },
		{ "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK1", 0, SIP_TP_UDP,
		  "[2001:db8::1]:5070" },
		{ "SIP/2.0/UDP [2001:db8::1];rport=7000;received=2001:db8::9", 0, SIP_TP_UDP,
		  "[2001:db8::9]:7000" },
	};
	char got[SIP_NET_ADDRSTR];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_via v;
		struct sip_net_dest d;

		memset(&d, 0, sizeof(d));
		assert_int_equal(sip_via_parse(&v, sip_str_from_cstr(cases[i].via)), 0);
		assert_int_equal(sip_net_response_dest_via(&d, &v), cases[i].ret);
		if (cases[i].ret != 0) {
			assert_int_equal(d.tp, SIP_TP_NONE); /* untouched */
			continue;
		}
		assert_int_equal(d.tp, cases[i].tp);
		assert_int_equal(d.conn_id, 0);
		sip_net_addr_format(got, &d.remote);
		assert_string_equal(got, cases[i].addr);
	}
}

static void test_response_dest(void **state)
{
	struct sip_net_dest d;
	struct sip_msg *m;
	struct sip_net_src s;
	char got[SIP_NET_ADDRSTR];

	(void)state;
	/* UDP with rport: straight back to the source (the NAT binding). */
	m = req_with_via("SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK1");
	s = src_of(SIP_TP_UDP, "198.51.100.7", 1024);
	s.lis = (struct sip_listener *)&s; /* any non-NULL token: it is passed through */
	assert_int_equal(sip_net_response_dest(&d, m, &s), 0);
	sip_net_addr_format(got, &d.remote);
	assert_string_equal(got, "198.51.100.7:1024");
	assert_int_equal(d.tp, SIP_TP_UDP);
	assert_ptr_equal(d.lis, s.lis);
	sip_msg_free(m);

	/* UDP without rport: source IP, sent-by port. */
	m = req_with_via("SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bK1");
	s = src_of(SIP_TP_UDP, "198.51.100.7", 1024);
	assert_int_equal(sip_net_response_dest(&d, m, &s), 0);
	sip_net_addr_format(got, &d.remote);
	assert_string_equal(got, "198.51.100.7:5062");
	sip_msg_free(m);

	/* UDP, sent-by is the source: sent-by as is. */
	m = req_with_via("SIP/2.0/UDP 198.51.100.7;branch=z9hG4bK1");
	assert_int_equal(sip_net_response_dest(&d, m, &s), 0);
	sip_net_addr_format(got, &d.remote);
	assert_string_equal(got, "198.51.100.7:5060");
	sip_msg_free(m);

	/* TCP: the request's connection, and the fallback address received +
	 * sent-by port for when it has closed. */
	m = req_with_via("SIP/2.0/TCP 10.0.0.2:5070;rport;branch=z9hG4bK1");
	s = src_of(SIP_TP_TCP, "198.51.100.7", 33333);
	assert_int_equal(sip_net_response_dest(&d, m, &s), 0);
	assert_int_equal(d.tp, SIP_TP_TCP);
	assert_int_equal(d.conn_id, 7);
	assert_null(d.lis);
	sip_net_addr_format(got, &d.remote);
	assert_string_equal(got, "198.51.100.7:5070");
	sip_msg_free(m);

	/* maddr to a multicast group: a clear error. */
	m = req_with_via("SIP/2.0/UDP 10.0.0.2;maddr=224.0.1.75;branch=z9hG4bK1");
	s = src_of(SIP_TP_UDP, "198.51.100.7", 1024);
	assert_int_equal(sip_net_response_dest(&d, m, &s), -ENOTSUP);
	sip_msg_free(m);
}

/* The fix written into a response built from the request. */
static void test_via_apply(void **state)
{
	struct sip_msg *m, *r;
	struct sip_net_src s;
	struct sip_net_via_fix f;
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;
	const struct sip_via *v;

	(void)state;
	m = req_with_via("SIP/2.0/UDP 10.0.0.2:5060;received=1.1.1.1;branch=z9hG4bKx;rport=9");
	s = src_of(SIP_TP_UDP, "198.51.100.7", 1024);
	assert_int_equal(sip_net_via_fix(&f, m, &s), 0);
	assert_int_equal(sip_out_response_to(&o, m, 200, NULL, SIP_STR("totag")), 0);
	assert_int_equal(sip_net_via_apply(o, m, &f), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	assert_non_null(strstr(b.p, "Via: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKx;"
				    "received=198.51.100.7;rport=1024\r\n"));
	assert_non_null(strstr(b.p, "Via: SIP/2.0/UDP 192.0.2.200;branch=z9hG4bKsecond\r\n"));
	/* The result parses and routes to the source (a stateless view). */
	assert_int_equal(sip_msg_parse(&r, b.p, b.len, NULL, NULL), 0);
	assert_int_equal(sip_msg_via_count(r), 2);
	assert_int_equal(sip_msg_via(r, 0, &v), 0);
	struct sip_net_dest d;
	char got[SIP_NET_ADDRSTR];
	assert_int_equal(sip_net_response_dest_via(&d, v), 0);
	sip_net_addr_format(got, &d.remote);
	assert_string_equal(got, "198.51.100.7:1024");
	sip_msg_free(r);
	sip_buf_free(&b);
	sip_out_free(o);

	/* Nothing to fix: the message stays as it was. */
	memset(&f, 0, sizeof(f));
	assert_int_equal(sip_out_response_to(&o, m, 200, NULL, SIP_STR("totag")), 0);
	assert_int_equal(sip_net_via_apply(o, m, &f), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	assert_non_null(strstr(b.p, "Via: SIP/2.0/UDP 10.0.0.2:5060;received=1.1.1.1;"
				    "branch=z9hG4bKx;rport=9\r\n"));
	sip_buf_free(&b);
	sip_out_free(o);
	sip_msg_free(m);
}

static void expect_uri_tp(const char *uri, int ret, enum sip_tp tp)
{
	struct sip_uri u;
	enum sip_tp got = SIP_TP_NONE;

	assert_int_equal(sip_uri_parse(&u, sip_str_from_cstr(uri)), 0);
	assert_int_equal(sip_net_uri_tp(&got, &u), ret);
	assert_int_equal(got, ret == 0 ? tp : SIP_TP_NONE);
}

static void test_uri_tp(void **state)
{
	(void)state;
	expect_uri_tp("sip:a@example.com", 0, SIP_TP_UDP);
	expect_uri_tp("sip:a@example.com;transport=tcp", 0, SIP_TP_TCP);
	expect_uri_tp("sip:a@example.com;transport=TLS", 0, SIP_TP_TLS);
	expect_uri_tp("sips:a@example.com", 0, SIP_TP_TLS);
	/* RFC 3261 26.2.2: sips with transport=tcp is TLS over TCP. */
	expect_uri_tp("sips:a@example.com;transport=tcp", 0, SIP_TP_TLS);
	expect_uri_tp("sips:a@example.com;transport=udp", -EINVAL, SIP_TP_NONE);
	expect_uri_tp("sip:a@example.com;transport=carrier-pigeon", -EINVAL, SIP_TP_NONE);
	expect_uri_tp("tel:+15551234567", -EINVAL, SIP_TP_NONE);
}

static int big_request(char *buf, size_t cap, size_t body_len, int i)
{
	char body[4096];
	int n;

	assert_true(body_len < sizeof(body));
	memset(body, 'b', body_len);
	body[body_len] = '\0';
	n = snprintf(buf, cap,
		     "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbig%d\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n"
		     "To: <sip:b@127.0.0.1>\r\nCall-ID: big-%d\r\nCSeq: 1 MESSAGE\r\n"
		     "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		     i, i, body_len, body);
	assert_true(n > 0 && (size_t)n < cap);
	return n;
}

/* RFC 3261 18.1.1 over real sockets: the server listens on UDP and TCP on one
 * port; a big request leaves over TCP with its Via rewritten, a small one (or a
 * big one where TCP is not allowed) over UDP. */
static void test_udp_to_tcp_switch(void **state)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_listener *su, *st;
	struct sip_net_dest d;
	char spec[64], m[6000];
	enum sip_tp used = SIP_TP_NONE;
	const struct sip_via *v;
	uint64_t cid = 0;
	int n;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_init(&cli, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:127.0.0.1:0", &su), 0);
	snprintf(spec, sizeof(spec), "tcp:127.0.0.1:%u", sip_net_addr_port(sip_listener_addr(su)));
	if (nt_listen(&srv, spec, &st) != 0) {
		/* The TCP twin of the UDP port is taken: nothing to test here. */
		assert_true(nt_fini(&srv));
		assert_true(nt_fini(&cli));
		assert_int_equal(nt_loop_close(&loop), 0);
		skip();
	}
	assert_int_equal(nt_listen(&cli, "udp:127.0.0.1:0", NULL), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_UDP;
	d.remote = *sip_listener_addr(su);

	/* Small: stays on UDP. */
	n = big_request(m, sizeof(m), 100, 0);
	assert_int_equal(sip_net_send_request(cli.net, &d, m, (size_t)n, true, &used, &cid), 0);
	assert_int_equal(used, SIP_TP_UDP);
	assert_int_equal(cid, 0);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));
	assert_int_equal(srv.msgs[0].src.tp, SIP_TP_UDP);

	/* Over 1300 bytes: TCP, and the Via says so. */
	n = big_request(m, sizeof(m), 2000, 1);
	assert_true(n > SIP_NET_UDP_MTU_LIMIT);
	assert_int_equal(sip_net_send_request(cli.net, &d, m, (size_t)n, true, &used, &cid), 0);
	assert_int_equal(used, SIP_TP_TCP);
	assert_int_not_equal(cid, 0);
	assert_non_null(strstr(m, "Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKbig1\r\n"));
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 2, 2000));
	assert_int_equal(srv.msgs[1].src.tp, SIP_TP_TCP);
	assert_ptr_equal(srv.msgs[1].src.lis, st);
	assert_int_equal(srv.msgs[1].msg->body.len, 2000);
	assert_int_equal(sip_msg_via(srv.msgs[1].msg, 0, &v), 0);
	assert_true(sip_str_eq(v->transport, SIP_STR("TCP")));

	/* Big, but the target insists on UDP: one datagram (loopback carries it). */
	n = big_request(m, sizeof(m), 2000, 2);
	assert_int_equal(sip_net_send_request(cli.net, &d, m, (size_t)n, false, &used, NULL), 0);
	assert_int_equal(used, SIP_TP_UDP);
	assert_non_null(strstr(m, "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKbig2\r\n"));
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 3, 2000));
	assert_int_equal(srv.msgs[2].src.tp, SIP_TP_UDP);

	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_via_fix),
		cmocka_unit_test(test_response_dest_via),
		cmocka_unit_test(test_response_dest),
		cmocka_unit_test(test_via_apply),
		cmocka_unit_test(test_uri_tp),
		cmocka_unit_test(test_udp_to_tcp_switch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

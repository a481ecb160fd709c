/* UDP transport over real sockets on 127.0.0.1 and ::1: a corpus message and its
 * response routed back by the Via (RFC 3581), a burst (batched receive), and bad
 * datagrams that must be dropped without harm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nettest.h"

static char *corpus(const char *name, size_t *len)
{
	char path[512];
	char *p;

	snprintf(path, sizeof(path), "%s/corpus/%s", SIPHON_SHARED_DIR, name);
	p = nt_read_file(path, len);
	assert_non_null(p);
	return p;
}

static void udp_roundtrip(const char *ip)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_listener *sl, *cl;
	struct sip_net_dest d;
	char spec[64];
	size_t len;
	char *req = corpus("15_options_compact.sip", &len);
	static const char resp[] = "SIP/2.0 200 OK\r\n"
				   "v: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK-3e8f1a6c;rport\r\n"
				   "f: <sip:keepalive@ss1.atlanta.example.com>;tag=72d0a4e1\r\n"
				   "t: <sip:ss2.biloxi.example.com>;tag=1\r\n"
				   "i: 0c9f3b7e5a1d4826@198.51.100.10\r\n"
				   "CSeq: 30412 OPTIONS\r\n"
				   "l: 0\r\n\r\n";
	uint64_t conn_id = 99;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_init(&cli, &loop), 0);
	snprintf(spec, sizeof(spec), strchr(ip, ':') ? "udp:[%s]:0" : "udp:%s:0", ip);
	assert_int_equal(nt_listen(&srv, spec, &sl), 0);
	assert_int_equal(nt_listen(&cli, spec, &cl), 0);
	/* Port 0: the kernel's port is reported. */
	assert_int_not_equal(sip_net_addr_port(sip_listener_addr(sl)), 0);
	assert_int_equal(sip_listener_tp(sl), SIP_TP_UDP);
	assert_ptr_equal(sip_net_find_listener(srv.net, SIP_TP_UDP, NULL), sl);
	assert_null(sip_net_find_listener(srv.net, SIP_TP_TCP, NULL));

	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_UDP;
	d.remote = *sip_listener_addr(sl);
	assert_int_equal(sip_net_send(cli.net, &d, req, len, &conn_id), 0);
	assert_int_equal(conn_id, 0);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));

	struct nt_msg *m = &srv.msgs[0];
	assert_true(m->msg->is_request);
	assert_int_equal(m->msg->method, SIP_METHOD_OPTIONS);
	assert_int_equal(m->msg->len, len);
	assert_memory_equal(m->msg->buf, req, len);
	assert_int_equal(m->src.tp, SIP_TP_UDP);
	assert_int_equal(m->src.conn_id, 0);
	assert_ptr_equal(m->src.lis, sl);
	assert_true(sip_net_addr_eq(&m->src.remote, sip_listener_addr(cl)));
	assert_true(sip_net_addr_eq(&m->src.local, sip_listener_addr(sl)));

	/* The corpus Via says 198.51.100.10 with rport: the response goes to the
	 * source address and port (RFC 3581 4), from the socket it came on. */
	struct sip_net_via_fix fix;
	assert_int_equal(sip_net_via_fix(&fix, m->msg, &m->src), 0);
	assert_true(fix.add_received);
	assert_true(fix.fill_rport);
	assert_string_equal(fix.received, ip);
	assert_int_equal(fix.rport, sip_net_addr_port(sip_listener_addr(cl)));
	assert_int_equal(sip_net_response_dest(&d, m->msg, &m->src), 0);
	assert_int_equal(d.tp, SIP_TP_UDP);
	assert_ptr_equal(d.lis, sl);
	assert_true(sip_net_addr_eq(&d.remote, sip_listener_addr(cl)));
	assert_int_equal(sip_net_send(srv.net, &d, resp, sizeof(resp) - 1, NULL), 0);
	assert_true(nt_wait_count(&cli, &cli.nmsgs, 1, 2000));
	assert_false(cli.msgs[0].msg->is_request);
	assert_int_equal(cli.msgs[0].msg->status, 200);
	assert_true(sip_net_addr_eq(&cli.msgs[0].src.remote, sip_listener_addr(sl)));

	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
	free(req);
}

static void test_udp_ipv4(void **state)
{
	(void)state;
	udp_roundtrip("127.0.0.1");
}

static void test_udp_ipv6(void **state)
{
	(void)state;
	if (!nt_have_ipv6())
		skip();
	udp_roundtrip("::1");
}

static int raw_udp(const struct sip_net_addr *to)
{
	int fd = socket(to->u.sa.sa_family, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(connect(fd, &to->u.sa, nt_addrlen(to)), 0);
	return fd;
}

/* A burst of datagrams sent before the loop runs: they queue in the socket and
 * come up through the batched (recvmmsg) receive path, every one intact. */
static void test_udp_burst(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *sl;
	char msg[512];
	int fd, n;
	bool seen[40] = { false };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:127.0.0.1:0", &sl), 0);
	fd = raw_udp(sip_listener_addr(sl));
	for (int i = 0; i < 40; i++) {
		n = snprintf(msg, sizeof(msg),
			     "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
			     "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKburst%d\r\n"
			     "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n"
			     "To: <sip:b@127.0.0.1>\r\nCall-ID: burst-%d\r\nCSeq: %d MESSAGE\r\n"
			     "Content-Length: 2\r\n\r\nhi",
			     i, i, i + 1);
		assert_int_equal(send(fd, msg, (size_t)n, 0), n);
	}
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 40, 3000));
	for (unsigned i = 0; i < srv.nmsgs; i++) {
		struct sip_str cid;
		uint32_t k;

		assert_int_equal(sip_msg_call_id(srv.msgs[i].msg, &cid), 0);
		assert_true(cid.len > 6);
		assert_int_equal(sip_str_to_u32((struct sip_str){ cid.p + 6, cid.len - 6 }, &k), 0);
		assert_true(k < 40);
		assert_false(seen[k]);
		seen[k] = true;
		assert_int_equal(srv.msgs[i].msg->body.len, 2);
		assert_memory_equal(srv.msgs[i].msg->body.p, "hi", 2);
	}
	close(fd);
	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void cork_check(struct nt *srv, uint32_t from, struct sip_listener *c1,
		       struct sip_listener *c2, bool *seen)
{
	for (unsigned i = 0; i < srv->nmsgs; i++) {
		struct sip_str cid;
		uint32_t k;

		assert_int_equal(sip_msg_call_id(srv->msgs[i].msg, &cid), 0);
		assert_int_equal(sip_str_to_u32((struct sip_str){ cid.p + 5, cid.len - 5 }, &k), 0);
		assert_true(k >= from && k < 70);
		assert_false(seen[k]);
		seen[k] = true;
		assert_true(sip_net_addr_eq(&srv->msgs[i].src.remote, sip_listener_addr(k % 3 ? c1 : c2)));
		assert_memory_equal(srv->msgs[i].msg->body.p, "hi", 2);
	}
}

/* Corked sends (sip_net_cork): nothing leaves before the outermost uncork, then
 * every datagram arrives intact, also past the 64-datagram batch (70 sent) and from two
 * sockets interleaved (one sendmmsg per run of the same socket). */
static void test_udp_cork(void **state)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_listener *sl, *c1, *c2;
	struct sip_net_dest d;
	char msg[512];
	bool seen[70] = { false };

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_init(&cli, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:127.0.0.1:0", &sl), 0);
	assert_int_equal(nt_listen(&cli, "udp:127.0.0.1:0", &c1), 0);
	assert_int_equal(nt_listen(&cli, "udp:127.0.0.1:0", &c2), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_UDP;
	d.remote = *sip_listener_addr(sl);
	sip_net_cork(cli.net);
	sip_net_cork(cli.net);
	for (int i = 0; i < 70; i++) {
		int n = snprintf(msg, sizeof(msg),
				 "MESSAGE sip:b@127.0.0.1 SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKcork%d\r\n"
				 "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a\r\n"
				 "To: <sip:b@127.0.0.1>\r\nCall-ID: cork-%d\r\nCSeq: %d MESSAGE\r\n"
				 "Content-Length: 2\r\n\r\nhi",
				 i, i, i + 1);
		d.lis = i % 3 ? c1 : c2;
		assert_int_equal(sip_net_send(cli.net, &d, msg, (size_t)n, NULL), 0);
		if (i == 10) {
			/* Only the outermost uncork sends. */
			sip_net_uncork(cli.net);
			nt_spin(&srv, 50);
			assert_int_equal(srv.nmsgs, 0);
		}
	}
	nt_spin(&srv, 50);
	/* The 65th datagram flushed the first 64 already. */
	assert_int_equal(srv.nmsgs, 64);
	cork_check(&srv, 0, c1, c2, seen);
	nt_drop_msgs(&srv);
	sip_net_uncork(cli.net);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 6, 3000));
	cork_check(&srv, 64, c1, c2, seen);
	for (int i = 0; i < 70; i++)
		assert_true(seen[i]);
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* Not SIP, truncated, binary, empty: dropped (logged at debug), and the socket
 * keeps working for the valid message that follows. */
static void test_udp_bad_input(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *sl;
	char junk[1500];
	size_t len;
	char *inv = corpus("01_invite_sdp.sip", &len);
	char *ok = corpus("15_options_compact.sip", &len);
	uint32_t x = 12345;
	int fd;

	(void)state;
	sip_log_set_level(SIP_LOG_DEBUG);
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:127.0.0.1:0", &sl), 0);
	fd = raw_udp(sip_listener_addr(sl));

	assert_int_equal(send(fd, "hello world\r\n\r\n", 15, 0), 15);
	assert_int_equal(send(fd, "", 0, 0), 0);
	assert_int_equal(send(fd, "\r\n\r\n", 4, 0), 4);
	/* A truncated INVITE: its Content-Length promises more than arrives. */
	assert_int_equal(send(fd, inv, strlen(inv) - 20, 0), (ssize_t)strlen(inv) - 20);
	/* Headers cut mid-line. */
	assert_int_equal(send(fd, inv, 100, 0), 100);
	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (char)(x >> 16);
		}
		if (round & 1)
			memcpy(junk, "INVITE sip:", 11); /* a plausible start, then garbage */
		assert_int_equal(send(fd, junk, 1 + (size_t)round * 70, 0), 1 + round * 70);
	}
	nt_spin(&srv, 50);
	assert_int_equal(srv.nmsgs, 0);
	assert_int_equal(send(fd, ok, len, 0), (ssize_t)len);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));
	assert_int_equal(srv.msgs[0].msg->method, SIP_METHOD_OPTIONS);
	nt_spin(&srv, 20);
	assert_int_equal(srv.nmsgs, 1);
	sip_log_set_level(SIP_LOG_INFO);
	close(fd);
	free(inv);
	free(ok);
	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void test_udp_send_errors(void **state)
{
	uv_loop_t loop;
	struct nt t;
	struct sip_net_dest d;
	struct sip_listener *sl;
	char *big;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&t, &loop), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_UDP;
	assert_int_equal(sip_net_addr_set(&d.remote, SIP_STR("127.0.0.1"), 5060), 0);
	/* No UDP socket to send from yet. */
	assert_int_equal(sip_net_send(t.net, &d, "x", 1, NULL), -EAFNOSUPPORT);
	assert_int_equal(nt_listen(&t, "udp:127.0.0.1:0", &sl), 0);
	/* Source selection: same family only. */
	{
		struct sip_net_addr v6;

		assert_ptr_equal(sip_net_find_listener(t.net, SIP_TP_UDP, &d.remote), sl);
		assert_ptr_equal(sip_net_find_listener(t.net, SIP_TP_UDP, NULL), sl);
		assert_int_equal(sip_net_addr_set(&v6, SIP_STR("::1"), 5060), 0);
		assert_null(sip_net_find_listener(t.net, SIP_TP_UDP, &v6));
		d.remote = v6;
		assert_int_equal(sip_net_send(t.net, &d, "x", 1, NULL), -EAFNOSUPPORT);
		assert_int_equal(sip_net_addr_set(&d.remote, SIP_STR("127.0.0.1"), 5060), 0);
	}
	/* Listening twice on the same port fails cleanly. */
	char spec[64];
	snprintf(spec, sizeof(spec), "udp:127.0.0.1:%u", sip_net_addr_port(sip_listener_addr(sl)));
	assert_true(nt_listen(&t, spec, NULL) < 0);
	big = calloc(1, 70000);
	assert_non_null(big);
	assert_int_equal(sip_net_send(t.net, &d, big, 70000, NULL), SIP_ETOOBIG);
	free(big);
	d.tp = SIP_TP_WS;
	assert_int_equal(sip_net_send(t.net, &d, "x", 1, NULL), -ENOTSUP);
	d.tp = SIP_TP_NONE;
	assert_int_equal(sip_net_send(t.net, &d, "x", 1, NULL), -EINVAL);
	assert_true(nt_fini(&t));
	assert_int_equal(nt_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_udp_ipv4),
		cmocka_unit_test(test_udp_ipv6),
		cmocka_unit_test(test_udp_burst),
		cmocka_unit_test(test_udp_cork),
		cmocka_unit_test(test_udp_bad_input),
		cmocka_unit_test(test_udp_send_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

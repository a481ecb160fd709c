/* TCP transport over real sockets: framing (split writes, several messages per
 * write, trickled bytes, keep-alives), responses on the request's connection,
 * connection reuse toward a peer that connected to us, and the limits: framing
 * errors answered 400 then closed, header floods, the connection cap, the idle
 * timeout, and connect failures reported to the layer above. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nettest.h"

static int fmt_msg(char *buf, size_t cap, const char *method, int i, const char *body)
{
	return snprintf(buf, cap,
			"%s sip:b@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKtcp%d\r\n"
			"Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=a%d\r\n"
			"To: <sip:b@127.0.0.1>\r\nCall-ID: tcp-%d\r\nCSeq: %d %s\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			method, i, i, i, i + 1, method, strlen(body), body);
}

static void check_call_id(struct sip_msg *m, int i)
{
	struct sip_str cid;
	char want[32];

	snprintf(want, sizeof(want), "tcp-%d", i);
	assert_int_equal(sip_msg_call_id(m, &cid), 0);
	assert_true(sip_str_eq(cid, sip_str_from_cstr(want)));
}

struct tcp_fixture {
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *lis;
};

static void fixture_up(struct tcp_fixture *f, struct sip_net_config *cfg, const char *spec)
{
	struct sip_net_config def;

	if (!cfg) {
		memset(&def, 0, sizeof(def));
		cfg = &def;
	}
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(nt_init_cfg(&f->srv, &f->loop, cfg), 0);
	assert_int_equal(nt_listen(&f->srv, spec, &f->lis), 0);
	assert_int_not_equal(sip_net_addr_port(sip_listener_addr(f->lis)), 0);
}

static void fixture_down(struct tcp_fixture *f)
{
	assert_true(nt_fini(&f->srv));
	assert_int_equal(nt_loop_close(&f->loop), 0);
}

static void framing(const char *spec)
{
	struct tcp_fixture f;
	char a[600], b[600], both[1200], rd[2048];
	int na, nb, fd;
	bool eof;
	size_t got;

	fixture_up(&f, NULL, spec);
	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);

	/* One message in three writes, cut inside a header and inside the body. */
	na = fmt_msg(a, sizeof(a), "MESSAGE", 0, "hello body");
	assert_true(nt_send_all(fd, a, 40));
	nt_spin(&f.srv, 20);
	assert_int_equal(f.srv.nmsgs, 0);
	assert_true(nt_send_all(fd, a + 40, (size_t)na - 45));
	nt_spin(&f.srv, 20);
	assert_int_equal(f.srv.nmsgs, 0);
	assert_true(nt_send_all(fd, a + na - 5, 5));
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 1, 2000));
	check_call_id(f.srv.msgs[0].msg, 0);
	assert_int_equal(f.srv.msgs[0].msg->body.len, 10);
	assert_memory_equal(f.srv.msgs[0].msg->body.p, "hello body", 10);
	assert_int_equal(f.srv.msgs[0].src.tp, sip_listener_tp(f.lis));
	assert_int_not_equal(f.srv.msgs[0].src.conn_id, 0);
	assert_ptr_equal(f.srv.msgs[0].src.lis, f.lis);

	/* Two messages and the start of a third in one write, keep-alive CRLFs
	 * between them (RFC 5626 3.5.1 ping). */
	na = fmt_msg(a, sizeof(a), "OPTIONS", 1, "");
	nb = fmt_msg(b, sizeof(b), "MESSAGE", 2, "x");
	memcpy(both, a, (size_t)na);
	memcpy(both + na, "\r\n\r\n", 4);
	memcpy(both + na + 4, b, (size_t)nb);
	memcpy(both + na + 4 + nb, a, 30);
	assert_true(nt_send_all(fd, both, (size_t)na + 4 + (size_t)nb + 30));
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 3, 2000));
	check_call_id(f.srv.msgs[1].msg, 1);
	check_call_id(f.srv.msgs[2].msg, 2);
	assert_int_equal(f.srv.msgs[1].src.conn_id, f.srv.msgs[0].src.conn_id);
	/* The ping got its pong. */
	got = nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, "\r\n", &eof, 1000);
	assert_int_equal(got, 2);
	assert_string_equal(rd, "\r\n");
	/* The rest of the third message, trickled a byte at a time. */
	for (int i = 30; i < na; i++) {
		assert_true(nt_send_all(fd, a + i, 1));
		if (i % 16 == 0)
			nt_spin(&f.srv, 1);
	}
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 4, 2000));
	check_call_id(f.srv.msgs[3].msg, 1);

	/* The response goes back on the same connection (RFC 3261 18.2.2). */
	struct sip_net_dest d;
	uint64_t used = 0;
	static const char resp[] = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKtcp1\r\n"
				   "Content-Length: 0\r\n\r\n";
	assert_int_equal(sip_net_response_dest(&d, f.srv.msgs[3].msg, &f.srv.msgs[3].src), 0);
	assert_int_equal(d.conn_id, f.srv.msgs[3].src.conn_id);
	assert_int_equal(sip_net_send(f.srv.net, &d, resp, sizeof(resp) - 1, &used), 0);
	assert_int_equal(used, d.conn_id);
	got = nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, "Content-Length: 0\r\n\r\n", &eof, 2000);
	assert_int_equal(got, sizeof(resp) - 1);
	assert_string_equal(rd, resp);
	assert_int_equal(sip_net_conn_count(f.srv.net), 1);

	/* The peer closes: the connection goes away, and the layer above hears it
	 * (an orderly end: err 0, no loss reported). */
	assert_int_equal(f.srv.nconn_closed, 0);
	close(fd);
	for (int i = 0; i < 1000 && sip_net_conn_count(f.srv.net) > 0; i++)
		nt_spin(&f.srv, 1);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);
	assert_false(sip_net_conn_alive(f.srv.net, d.conn_id));
	assert_int_equal(f.srv.nconn_closed, 1);
	assert_int_equal(f.srv.last_closed_conn, d.conn_id);
	assert_int_equal(f.srv.last_closed_err, 0);
	assert_int_equal(f.srv.nerrors, 0);
	fixture_down(&f);
}

static void test_tcp_framing_ipv4(void **state)
{
	(void)state;
	framing("tcp:127.0.0.1:0");
}

static void test_tcp_framing_ipv6(void **state)
{
	(void)state;
	if (!nt_have_ipv6())
		skip();
	framing("tcp:[::1]:0");
}

/* A framing error is answered with the parser's status and reason, then the
 * connection is closed (RFC 3261 18.3: a stream cannot be resynchronised). */
static void test_tcp_framing_error(void **state)
{
	static const char *const bad[] = {
		/* Content-Length is mandatory on streams. */
		"OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n",
		"OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK2\r\n"
		"Max-Forwards: 70\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@127.0.0.1>\r\n"
		"Call-ID: nolen\r\nCSeq: 7 OPTIONS\r\n\r\n",
		"OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nContent-Length: ten\r\n\r\n",
		"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", /* a TLS ClientHello on TCP */
	};
	static const char *const want[] = {
		"SIP/2.0 400 Bad Request (Missing Content-Length)\r\n",
		"SIP/2.0 400 Bad Request (Missing Content-Length)\r\n",
		"SIP/2.0 400 Bad Request (Malformed Content-Length)\r\n",
		"SIP/2.0 400 Bad Request (Not a SIP message)\r\n",
	};
	struct tcp_fixture f;
	char rd[1024];
	bool eof;

	(void)state;
	fixture_up(&f, NULL, "tcp:127.0.0.1:0");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd = nt_tcp_connect(sip_listener_addr(f.lis));

		assert_true(fd >= 0);
		assert_true(nt_send_all(fd, bad[i], strlen(bad[i])));
		nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, NULL, &eof, 2000);
		assert_true(eof);
		assert_true(strncmp(rd, want[i], strlen(want[i])) == 0);
		assert_non_null(strstr(rd, "Content-Length: 0\r\n\r\n"));
		if (i == 1) {
			/* A whole header section: a real response the client can match. */
			assert_non_null(strstr(rd, "Via: SIP/2.0/TCP h;branch=z9hG4bK2\r\n"));
			assert_non_null(strstr(rd, "Call-ID: nolen\r\n"));
			assert_non_null(strstr(rd, "CSeq: 7 OPTIONS\r\n"));
			assert_non_null(strstr(rd, "To: <sip:b@127.0.0.1>;tag="));
		} else {
			assert_null(strstr(rd, "Via:"));
		}
		close(fd);
	}
	/* An ACK is never answered (RFC 3261 17.2.1), only closed. */
	{
		int afd = nt_tcp_connect(sip_listener_addr(f.lis));
		static const char ack[] = "ACK sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n";

		assert_true(nt_send_all(afd, ack, sizeof(ack) - 1));
		assert_int_equal(nt_raw_read(&f.srv, afd, rd, sizeof(rd), 0, NULL, &eof, 2000), 0);
		assert_true(eof);
		close(afd);
	}
	/* A message cut short by the peer closing: nothing delivered, no answer. */
	{
		char m[600];
		int n = fmt_msg(m, sizeof(m), "MESSAGE", 9, "a body of some length");
		int cfd = nt_tcp_connect(sip_listener_addr(f.lis));

		assert_true(cfd >= 0);
		assert_true(nt_send_all(cfd, m, (size_t)n - 7));
		nt_spin(&f.srv, 20);
		assert_int_equal(sip_net_conn_count(f.srv.net), 1);
		close(cfd);
		for (int i = 0; i < 1000 && sip_net_conn_count(f.srv.net) > 0; i++)
			nt_spin(&f.srv, 1);
		assert_int_equal(sip_net_conn_count(f.srv.net), 0);
		assert_int_equal(f.srv.nmsgs, 0);
	}
	/* A broken response is not answered, only closed. */
	int fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(nt_send_all(fd, "SIP/2.0 200 OK\r\nVia: x\r\n\r\n", 26));
	size_t got = nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, NULL, &eof, 2000);
	assert_true(eof);
	assert_int_equal(got, 0);
	close(fd);
	assert_int_equal(f.srv.nmsgs, 0);
	for (int i = 0; i < 1000 && sip_net_conn_count(f.srv.net) > 0; i++)
		nt_spin(&f.srv, 1);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);
	fixture_down(&f);
}

/* Headers that never end: the connection is closed when the buffered bytes pass
 * the limit, long before the peer is done sending. */
static void test_tcp_header_flood(void **state)
{
	struct sip_net_config cfg;
	struct tcp_fixture f;
	char line[1024], rd[1024];
	size_t sent = 0;
	bool eof = false;
	int fd;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.limits.max_msg_size = 16384;
	fixture_up(&f, &cfg, "tcp:127.0.0.1:0");
	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);
	assert_true(nt_send_all(fd, "INVITE sip:b@127.0.0.1 SIP/2.0\r\n", 32));
	memset(line, 'a', sizeof(line));
	memcpy(line, "X-Flood: ", 9);
	line[sizeof(line) - 2] = '\r';
	line[sizeof(line) - 1] = '\n';
	/* Up to 1 MiB of header lines; the server must give up after ~16 KiB. */
	for (int i = 0; i < 1024 && !eof; i++) {
		ssize_t w = send(fd, line, sizeof(line), MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w > 0)
			sent += (size_t)w;
		else if (w < 0 && errno != EAGAIN)
			eof = true; /* reset by the server */
		uv_run(&f.loop, UV_RUN_NOWAIT);
		if (sip_net_conn_count(f.srv.net) == 0)
			break;
	}
	for (int i = 0; i < 2000 && sip_net_conn_count(f.srv.net) > 0; i++)
		nt_spin(&f.srv, 1);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);
	assert_true(sent < 1024 * 1024);
	nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, NULL, &eof, 2000);
	assert_true(eof);
	/* The answer (if the peer could read it before the reset) is a 513: the
	 * header block alone is over the limit (RFC 3261 21.5.7). */
	if (rd[0] != '\0')
		assert_true(strncmp(rd, "SIP/2.0 513 ", 12) == 0);
	assert_int_equal(f.srv.nmsgs, 0);
	close(fd);
	fixture_down(&f);
}

/* More connections than the cap: the extra ones are accepted and closed at once,
 * the admitted ones keep working. */
static void test_tcp_conn_cap(void **state)
{
	struct sip_net_config cfg;
	struct tcp_fixture f;
	int fds[12];
	unsigned closed = 0, alive_idx[12], nalive = 0;
	char rd[64], m[600];
	bool eof;
	int n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 3;
	fixture_up(&f, &cfg, "tcp:127.0.0.1:0");
	for (int i = 0; i < 12; i++) {
		fds[i] = nt_tcp_connect(sip_listener_addr(f.lis));
		assert_true(fds[i] >= 0);
		nt_spin(&f.srv, 2); /* accept in order */
	}
	nt_spin(&f.srv, 50);
	assert_int_equal(sip_net_conn_count(f.srv.net), 3);
	for (int i = 0; i < 12; i++) {
		nt_raw_read(&f.srv, fds[i], rd, sizeof(rd), 0, NULL, &eof, 30);
		if (eof)
			closed++;
		else
			alive_idx[nalive++] = (unsigned)i;
	}
	assert_int_equal(closed, 9);
	assert_int_equal(nalive, 3);
	for (unsigned k = 0; k < nalive; k++) {
		n = fmt_msg(m, sizeof(m), "OPTIONS", (int)k, "");
		assert_true(nt_send_all(fds[alive_idx[k]], m, (size_t)n));
	}
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 3, 2000));
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	fixture_down(&f);
}

static void test_tcp_idle_timeout(void **state)
{
	struct sip_net_config cfg;
	struct tcp_fixture f;
	char rd[64], m[600];
	uint64_t t0;
	bool eof;
	int fd, n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.idle_timeout_ms = 200;
	fixture_up(&f, &cfg, "tcp:127.0.0.1:0");
	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);
	/* Activity keeps it open past one idle period... */
	for (int i = 0; i < 3; i++) {
		n = fmt_msg(m, sizeof(m), "OPTIONS", i, "");
		assert_true(nt_send_all(fd, m, (size_t)n));
		nt_spin(&f.srv, 120);
	}
	assert_int_equal(f.srv.nmsgs, 3);
	assert_int_equal(sip_net_conn_count(f.srv.net), 1);
	/* ...silence closes it. */
	t0 = nt_now_ms();
	nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, NULL, &eof, 3000);
	assert_true(eof);
	assert_true(nt_now_ms() - t0 >= 30);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);
	assert_int_equal(f.srv.nconn_closed, 1);
	close(fd);
	fixture_down(&f);
}

/* sip_net as a client: a request opens a connection; the server's request to
 * the client's Via sent-by reuses it when the Via says ;alias (RFC 5923), and
 * opens a new connection to the sent-by when it does not. */
static void reuse(bool alias)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_listener *sl, *cl;
	struct sip_net_dest d;
	char m[800];
	uint64_t cid = 0, back = 0;
	int n;

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_init(&cli, &loop), 0);
	assert_int_equal(nt_listen(&srv, "tcp:127.0.0.1:0", &sl), 0);
	assert_int_equal(nt_listen(&cli, "tcp:127.0.0.1:0", &cl), 0);
	n = snprintf(m, sizeof(m),
		     "REGISTER sip:127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:%u;branch=z9hG4bKreuse%s\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\n"
		     "Call-ID: reuse\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n",
		     sip_net_addr_port(sip_listener_addr(cl)), alias ? ";alias" : "");
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TCP;
	d.remote = *sip_listener_addr(sl);
	/* Queued while connecting; a second send reuses the pending connection. */
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, &cid), 0);
	assert_int_not_equal(cid, 0);
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, &back), 0);
	assert_int_equal(back, cid);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 2, 2000));
	assert_int_equal(sip_net_conn_count(cli.net), 1);
	assert_int_equal(sip_net_conn_count(srv.net), 1);

	/* Server to client, addressed to the client's listening port. */
	n = snprintf(m, sizeof(m),
		     "OPTIONS sip:a@127.0.0.1:%u;transport=tcp SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:%u;branch=z9hG4bKback\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:s@127.0.0.1>;tag=2\r\nTo: <sip:a@127.0.0.1>\r\n"
		     "Call-ID: back\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		     sip_net_addr_port(sip_listener_addr(cl)), sip_net_addr_port(sip_listener_addr(sl)));
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TCP;
	d.remote = *sip_listener_addr(cl);
	assert_int_equal(sip_net_send(srv.net, &d, m, (size_t)n, &back), 0);
	assert_true(nt_wait_count(&cli, &cli.nmsgs, 1, 2000));
	if (alias) {
		assert_int_equal(back, srv.msgs[0].src.conn_id);
		assert_int_equal(cli.msgs[0].src.conn_id, cid);
		assert_null(cli.msgs[0].src.lis); /* our own outgoing connection */
		assert_int_equal(sip_net_conn_count(cli.net), 1);
		assert_int_equal(sip_net_conn_count(srv.net), 1);
	} else {
		assert_int_not_equal(back, srv.msgs[0].src.conn_id);
		assert_int_not_equal(cli.msgs[0].src.conn_id, cid);
		assert_ptr_equal(cli.msgs[0].src.lis, cl); /* accepted on the listener */
		assert_int_equal(sip_net_conn_count(cli.net), 2);
		assert_int_equal(sip_net_conn_count(srv.net), 2);
	}

	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void test_tcp_reuse_alias(void **state)
{
	(void)state;
	reuse(true);
}

static void test_tcp_no_alias(void **state)
{
	(void)state;
	reuse(false);
}

static void close_on_first(struct nt *t, struct nt_msg *m)
{
	(void)m;
	if (t->nmsgs == 1) {
		sip_net_close(t->net, nt_closed, t);
		t->net = NULL;
	}
}

/* The receive callback closes the whole net while more messages wait in the
 * same read: nothing more is delivered, nothing is touched after free. */
static void test_tcp_close_from_callback(void **state)
{
	struct tcp_fixture f;
	char all[2000];
	size_t len = 0;
	int fd;

	(void)state;
	fixture_up(&f, NULL, "tcp:127.0.0.1:0");
	f.srv.hook = close_on_first;
	for (int i = 0; i < 3; i++)
		len += (size_t)fmt_msg(all + len, sizeof(all) - len, "OPTIONS", i, "");
	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);
	assert_true(nt_send_all(fd, all, len));
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 1, 2000));
	for (int i = 0; i < 2000 && !f.srv.closed; i++)
		nt_spin(&f.srv, 1);
	assert_true(f.srv.closed);
	assert_int_equal(f.srv.nmsgs, 1);
	close(fd);
	fixture_down(&f);
}

/* RFC 3261 18.2.2: the request's connection has closed; the response opens a new
 * one to the sent-by address. */
static void test_tcp_response_after_close(void **state)
{
	struct tcp_fixture f;
	struct sip_net_addr la;
	struct sip_net_dest d;
	socklen_t alen = sizeof(la.u);
	char m[800], rd[1024];
	uint64_t used = 0;
	int lfd, fd, afd = -1, n;
	bool eof;
	static const char resp[] = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

	(void)state;
	fixture_up(&f, NULL, "tcp:127.0.0.1:0");
	/* The peer's own listening socket. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&la, 0, sizeof(la));
	la.u.in4.sin_family = AF_INET;
	la.u.in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, &la.u.sa, sizeof(la.u.in4)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(getsockname(lfd, &la.u.sa, &alen), 0);
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);

	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);
	n = snprintf(m, sizeof(m),
		     "OPTIONS sip:b@127.0.0.1 SIP/2.0\r\n"
		     "Via: SIP/2.0/TCP 127.0.0.1:%u;branch=z9hG4bKgone\r\n"
		     "Max-Forwards: 70\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\n"
		     "Call-ID: gone\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n",
		     sip_net_addr_port(&la));
	assert_true(nt_send_all(fd, m, (size_t)n));
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 1, 2000));
	close(fd);
	for (int i = 0; i < 2000 && sip_net_conn_count(f.srv.net) > 0; i++)
		nt_spin(&f.srv, 1);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);

	assert_int_equal(sip_net_response_dest(&d, f.srv.msgs[0].msg, &f.srv.msgs[0].src), 0);
	assert_int_equal(d.conn_id, f.srv.msgs[0].src.conn_id);
	assert_true(sip_net_addr_eq(&d.remote, &la));
	assert_false(sip_net_conn_alive(f.srv.net, d.conn_id));
	assert_int_equal(sip_net_send(f.srv.net, &d, resp, sizeof(resp) - 1, &used), 0);
	assert_int_not_equal(used, d.conn_id);
	for (int i = 0; i < 2000 && afd < 0; i++) {
		nt_spin(&f.srv, 1);
		afd = accept(lfd, NULL, NULL);
	}
	assert_true(afd >= 0);
	fcntl(afd, F_SETFL, fcntl(afd, F_GETFL) | O_NONBLOCK);
	nt_raw_read(&f.srv, afd, rd, sizeof(rd), 0, "\r\n\r\n", &eof, 2000);
	assert_string_equal(rd, resp);
	close(afd);
	close(lfd);
	fixture_down(&f);
}

static uint32_t rnd(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

/* Many messages with random bodies and keep-alives, sent in random chunks: every
 * message arrives once, in order, intact (framing, buffering and compaction). */
static void test_tcp_random_chunks(void **state)
{
	struct tcp_fixture f;
	enum { N = 60 };
	char *stream = malloc(N * 2600), body[2048];
	size_t len = 0, blen[N], off = 0;
	uint32_t x = 4711;
	int fd;

	(void)state;
	assert_non_null(stream);
	for (int i = 0; i < N; i++) {
		blen[i] = rnd(&x) % 2000;
		for (size_t k = 0; k < blen[i]; k++)
			body[k] = (char)('a' + (i + (int)k) % 26);
		body[blen[i]] = '\0';
		if (rnd(&x) % 4 == 0) {
			memcpy(stream + len, "\r\n\r\n", 4);
			len += 4;
		}
		len += (size_t)fmt_msg(stream + len, 2600, "MESSAGE", i, body);
	}
	fixture_up(&f, NULL, "tcp:127.0.0.1:0");
	fd = nt_tcp_connect(sip_listener_addr(f.lis));
	assert_true(fd >= 0);
	while (off < len) {
		size_t n = 1 + rnd(&x) % 700;

		if (n > len - off)
			n = len - off;
		assert_true(nt_send_all(fd, stream + off, n));
		off += n;
		uv_run(&f.loop, UV_RUN_NOWAIT);
	}
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, N, 3000));
	for (int i = 0; i < N; i++) {
		check_call_id(f.srv.msgs[i].msg, i);
		assert_int_equal(f.srv.msgs[i].msg->body.len, blen[i]);
		if (blen[i])
			assert_int_equal(f.srv.msgs[i].msg->body.p[blen[i] - 1],
					 'a' + (i + (int)blen[i] - 1) % 26);
	}
	close(fd);
	free(stream);
	fixture_down(&f);
}

/* Valid streams with random bytes flipped, sent in random chunks over fresh
 * connections: whatever happens (messages, a 400, a close), nothing crashes or
 * reads out of bounds (run under ASan by `make sanitize`), and every connection
 * is gone at the end. */
static void test_tcp_mutated_streams(void **state)
{
	struct tcp_fixture f;
	char stream[6000], body[300], rd[4096];
	uint32_t x = 99;
	unsigned delivered = 0;
	bool eof;

	(void)state;
	fixture_up(&f, NULL, "tcp:127.0.0.1:0");
	for (int round = 0; round < 30; round++) {
		size_t len = 0, off = 0;
		int fd = nt_tcp_connect(sip_listener_addr(f.lis));

		assert_true(fd >= 0);
		for (int i = 0; i < 8; i++) {
			size_t bl = rnd(&x) % sizeof(body);

			memset(body, 'q', bl);
			body[bl] = '\0';
			len += (size_t)fmt_msg(stream + len, sizeof(stream) - len, "INFO", i, body);
		}
		for (int k = 0; k < 1 + round % 5; k++) {
			size_t at = rnd(&x) % len;
			static const char evil[] = { '\0', '\r', '\n', ':', ';', '"', '<', '\xff',
						     '9', ' ' };

			stream[at] = evil[rnd(&x) % sizeof(evil)];
		}
		while (off < len) {
			size_t n = 1 + rnd(&x) % 400;

			if (n > len - off)
				n = len - off;
			if (!nt_send_all(fd, stream + off, n))
				break; /* the server closed on us */
			off += n;
			uv_run(&f.loop, UV_RUN_NOWAIT);
		}
		nt_raw_read(&f.srv, fd, rd, sizeof(rd), 0, NULL, &eof, 20);
		close(fd);
		/* Whatever was delivered is a whole message of this stream. */
		for (unsigned i = 0; i < f.srv.nmsgs; i++)
			assert_true(f.srv.msgs[i].msg->len <= len);
		delivered += f.srv.nmsgs;
		nt_drop_msgs(&f.srv);
	}
	for (int i = 0; i < 2000 && sip_net_conn_count(f.srv.net) > 0; i++)
		nt_spin(&f.srv, 1);
	assert_int_equal(sip_net_conn_count(f.srv.net), 0);
	/* Mutations break some messages, not all (one to five bytes per 8). */
	assert_true(delivered > 0 && delivered < 30 * 8);
	fixture_down(&f);
}

/* A peer that never reads: our write queue stops at the cap, the connection is
 * closed and the loss reported; memory stays bounded. */
static void test_tcp_slow_reader(void **state)
{
	struct sip_net_config cfg;
	struct tcp_fixture f;
	struct sip_net_dest d;
	char m[600], chunk[4096];
	int fd, n, small = 2048, err = 0;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conn_wbuf = 64 * 1024;
	fixture_up(&f, &cfg, "tcp:127.0.0.1:0");
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(fd, &sip_listener_addr(f.lis)->u.sa, sizeof(struct sockaddr_in)), 0);
	n = fmt_msg(m, sizeof(m), "OPTIONS", 0, "");
	assert_true(nt_send_all(fd, m, (size_t)n));
	assert_true(nt_wait_count(&f.srv, &f.srv.nmsgs, 1, 2000));
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TCP;
	d.remote = f.srv.msgs[0].src.remote;
	d.conn_id = f.srv.msgs[0].src.conn_id;
	memset(chunk, 'x', sizeof(chunk));
	/* At most 64 MiB: far beyond any kernel buffer plus the cap. */
	for (int i = 0; i < 16384 && err == 0; i++) {
		err = sip_net_send(f.srv.net, &d, chunk, sizeof(chunk), NULL);
		if (i % 64 == 0)
			uv_run(&f.loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(err, SIP_ETOOBIG);
	assert_int_equal(f.srv.nerrors, 1);
	assert_int_equal(f.srv.last_error, SIP_ETOOBIG);
	assert_int_equal(f.srv.last_error_dest.conn_id, d.conn_id);
	assert_false(sip_net_conn_alive(f.srv.net, d.conn_id));
	close(fd);
	fixture_down(&f);
}

/* Connecting to a port nobody listens on: the queued bytes are reported lost. */
static void test_tcp_connect_refused(void **state)
{
	uv_loop_t loop;
	struct nt cli;
	struct sip_net_dest d;
	uint64_t cid = 0;
	int fd;
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);

	(void)state;
	/* A port that was free a moment ago. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	close(fd);

	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&cli, &loop), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TCP;
	memcpy(&d.remote.u.in4, &a, sizeof(a));
	assert_int_equal(sip_net_send(cli.net, &d, "OPTIONS x\r\n", 11, &cid), 0);
	assert_true(nt_wait_count(&cli, &cli.nerrors, 1, 2000));
	assert_int_equal(cli.last_error, -ECONNREFUSED);
	assert_int_equal(cli.nconn_closed, 1);
	assert_int_equal(cli.last_closed_err, -ECONNREFUSED);
	assert_int_equal(cli.last_error_dest.conn_id, cid);
	assert_true(sip_net_addr_eq(&cli.last_error_dest.remote, &d.remote));
	assert_int_equal(sip_net_conn_count(cli.net), 0);
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_framing_ipv4),
		cmocka_unit_test(test_tcp_framing_ipv6),
		cmocka_unit_test(test_tcp_framing_error),
		cmocka_unit_test(test_tcp_header_flood),
		cmocka_unit_test(test_tcp_conn_cap),
		cmocka_unit_test(test_tcp_idle_timeout),
		cmocka_unit_test(test_tcp_reuse_alias),
		cmocka_unit_test(test_tcp_no_alias),
		cmocka_unit_test(test_tcp_close_from_callback),
		cmocka_unit_test(test_tcp_response_after_close),
		cmocka_unit_test(test_tcp_random_chunks),
		cmocka_unit_test(test_tcp_mutated_streams),
		cmocka_unit_test(test_tcp_slow_reader),
		cmocka_unit_test(test_tcp_connect_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Server transactions (RFC 3261 17.2, RFC 6026 7.1): every state and timer
 * transition of the INVITE and non-INVITE machines over UDP and TCP, the 200 ms
 * 100 Trying, response destinations (18.2.2, RFC 3581), CANCEL, transport errors. */
#include "txn_fixture.h"

#define BR "z9hG4bKserver1"

static struct sip_txn_dest src_udp(void)
{
	return fx_dest(SIP_TXN_UDP, "127.0.0.1", 5070, 0);
}

static struct sip_txn_dest src_tcp(void)
{
	return fx_dest(SIP_TXN_TCP, "127.0.0.1", 40000, 11);
}

/* The request arrives (again, for a retransmission: a new parse of the same text). */
static void recv_req(struct fx *f, const char *method, const char *branch, enum sip_txn_proto proto)
{
	struct sip_txn_dest src = proto == SIP_TXN_UDP ? src_udp() : src_tcp();
	fx_recv(f, fx_req(method, branch, 1, proto == SIP_TXN_UDP ? "UDP" : "TCP", 5070, NULL,
			  strcmp(method, "ACK") == 0 ? "uas1" : NULL),
		&src);
}

static void check_times(const struct fx *f, const char *prefix, const uint64_t *want, int nwant)
{
	uint64_t got[MAX_SENT];
	int n = fx_sent_times(f, 0, prefix, got, MAX_SENT);

	assert_int_equal(n, nwant);
	for (int i = 0; i < n; i++) {
		if (got[i] != want[i])
			fail_msg("send %d of '%s' at %llu, want %llu", i, prefix, (unsigned long long)got[i],
				 (unsigned long long)want[i]);
	}
}

/* The TU is silent: 100 Trying after exactly 200 ms (17.2.1), resent for a
 * retransmitted INVITE, which the TU never sees. */
static void test_invite_100_trying(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 1);
	struct sip_txn *st = f->req_txn[0];
	assert_false(sip_txn_is_client(st));
	assert_int_equal(sip_txn_state(st), SIP_TXN_PROCEEDING);
	assert_null(f->req_cancelled[0]);
	sip_timers_advance(&f->ts, 199);
	assert_int_equal(f->nsent, 0);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->nsent, 1);
	const char *b = f->sent[0].buf;
	assert_int_equal(f->sent[0].at, 200);
	assert_int_equal(strncmp(b, "SIP/2.0 100 Trying\r\n", 20), 0);
	assert_non_null(strstr(b, "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=" BR "\r\n"));
	assert_non_null(strstr(b, "CSeq: 1 INVITE\r\n"));
	assert_null(strstr(b, "tag=uas1")); /* no To tag on a 100 (8.2.6.1) */
	sip_timers_advance(&f->ts, 5000);
	assert_int_equal(f->nsent, 1); /* only once */

	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 1);
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].buf, f->sent[0].buf);
	assert_int_equal(fx_respond(st, 180), 0);
	assert_int_equal(sip_txn_state(st), SIP_TXN_PROCEEDING);
	assert_int_equal(strncmp(f->sent[2].buf, "SIP/2.0 180 ", 12), 0);
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(strncmp(f->sent[3].buf, "SIP/2.0 180 ", 12), 0); /* the latest provisional */
	assert_int_equal(f->nreq, 1);
	assert_int_equal(f->nev, 0);
	fx_free(f);
}

/* The transaction's own 100 Trying carries received and rport (18.2.1, RFC 3581)
 * when the client asked for rport or its sent-by is not the source address. */
static void test_100_trying_received_rport(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = fx_dest(SIP_TXN_UDP, "127.0.0.1", 40000, 0);

	fx_recv(f, fx_req("INVITE", "z9hG4bKr1", 1, "UDP", 5070, ";rport;x=1", NULL), &src);
	fx_recv(f, fx_msg("INVITE sip:bob@127.0.0.1 SIP/2.0\n"
			  "Via: SIP/2.0/UDP client.example.com:5072;branch=z9hG4bKr2;received=10.0.0.9\n"
			  "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\n"
			  "From: <sip:a@example.com>;tag=1\nTo: <sip:bob@127.0.0.1>\n"
			  "Call-ID: r2\nCSeq: 1 INVITE\nMax-Forwards: 70\nContent-Length: 0\n\n"),
		&src);
	sip_timers_advance(&f->ts, 200);
	assert_int_equal(f->nsent, 2);
	assert_non_null(strstr(f->sent[0].buf,
			       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKr1;x=1;received=127.0.0.1;rport=40000\r\n"));
	assert_int_equal(fx_port(&f->sent[0].dst), 40000);
	assert_non_null(strstr(f->sent[1].buf,
			       "Via: SIP/2.0/UDP client.example.com:5072;branch=z9hG4bKr2;received=127.0.0.1\r\n"));
	assert_non_null(strstr(f->sent[1].buf, "Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\n"));
	assert_true(strstr(f->sent[1].buf, "client.example.com") < strstr(f->sent[1].buf, "proxy.example.com"));
	assert_int_equal(fx_port(&f->sent[1].dst), 5072);
	/* Each still parses as a response for its transaction. */
	for (int i = 0; i < 2; i++) {
		struct sip_msg *m;
		assert_int_equal(sip_msg_parse(&m, f->sent[i].buf, f->sent[i].len, NULL, NULL), 0);
		assert_int_equal(m->status, 100);
		sip_msg_free(m);
	}
	fx_free(f);
}

/* The TU answers within 200 ms: no 100 Trying. */
static void test_invite_tu_answers_first(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->auto_status = 180;
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->auto_err, 0);
	sip_timers_advance(&f->ts, 1000);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(strncmp(f->sent[0].buf, "SIP/2.0 180 Ringing\r\n", 21), 0);
	assert_non_null(strstr(f->sent[0].buf, "tag=uas1"));
	fx_free(f);
}

/* 486 over UDP, no ACK: Timer G doubles up to T2, Timer H gives up at 64*T1 and
 * the TU hears of it. */
static void test_invite_udp_timer_g_h(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };

	f->auto_status = 486;
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	assert_int_equal(sip_txn_state(st), SIP_TXN_COMPLETED);
	sip_timers_advance(&f->ts, 31999);
	check_times(f, "SIP/2.0 486 Busy Here\r\n", want, 11);
	assert_int_equal(f->nsent, 11);
	assert_int_equal(f->nev, 0);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[0].timer, 'H');
	assert_int_equal(f->ev[0].at, 32000);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	/* A late ACK now matches nothing and goes to the TU as stray. */
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	assert_int_equal(f->nstray, 1);
	fx_free(f);
}

/* Completed: a retransmitted INVITE gets the 486 again; the ACK moves to Confirmed
 * (G and H stop), further ACKs are absorbed, Timer I = T4. */
static void test_invite_udp_confirmed_timer_i(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->auto_status = 486;
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	sip_timers_advance(&f->ts, 600);
	assert_int_equal(f->nsent, 2);
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].buf, f->sent[0].buf);
	assert_int_equal(f->nreq, 1);
	sip_timers_advance(&f->ts, 100);
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	assert_int_equal(sip_txn_state(st), SIP_TXN_CONFIRMED);
	assert_int_equal(f->nstray, 0);
	assert_int_equal(f->nev, 0); /* the ACK for a non-2xx is the transaction's */
	sip_timers_advance(&f->ts, 4000);
	assert_int_equal(f->nsent, 3); /* no more G */
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 3);
	assert_int_equal(f->nstray, 0);
	assert_int_equal(f->nreq, 1);
	sip_timers_advance(&f->ts, 999);
	assert_int_equal(sip_txn_state(st), SIP_TXN_CONFIRMED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[0].timer, 'I');
	assert_int_equal(f->ev[0].at, 700 + 5000);
	fx_free(f);
}

/* TCP: no G; ACK -> Confirmed -> I = 0. Without ACK, H still fires. */
static void test_invite_tcp_completed(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->auto_status = 603;
	recv_req(f, "INVITE", BR, SIP_TXN_TCP);
	struct sip_txn *st = f->req_txn[0];
	assert_true(sip_txn_is_reliable(st));
	sip_timers_advance(&f->ts, 10000);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].dst.conn_id, 11);
	recv_req(f, "ACK", BR, SIP_TXN_TCP);
	assert_int_equal(sip_txn_state(st), SIP_TXN_CONFIRMED);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[0].timer, 'I');
	assert_int_equal(f->ev[0].at, 10000);

	recv_req(f, "INVITE", "z9hG4bKsecond", SIP_TXN_TCP);
	assert_int_equal(f->nreq, 2);
	sip_timers_advance(&f->ts, 32000);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[1].timer, 'H');
	assert_int_equal(f->ev[1].at, 42000);
	fx_free(f);
}

/* RFC 6026: 2xx -> Accepted. The transaction never retransmits the 2xx itself, the
 * TU's retransmissions are sent, INVITE retransmissions are absorbed, ACKs go to the
 * TU, Timer L ends it. */
static void test_invite_accepted_timer_l(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->auto_status = 200;
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	assert_int_equal(sip_txn_state(st), SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 10000);
	assert_int_equal(f->nsent, 1);
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->nreq, 1);
	assert_int_equal(fx_respond(st, 200), 0);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(strncmp(f->sent[1].buf, "SIP/2.0 200 OK\r\n", 16), 0);
	assert_int_equal(fx_respond(st, 486), -EINVAL);
	assert_int_equal(fx_respond(st, 180), -EINVAL);
	assert_int_equal(f->nsent, 2);
	/* The ACK for a 2xx normally has its own branch: stray, for the TU's dialog. */
	recv_req(f, "ACK", "z9hG4bKack2xx", SIP_TXN_UDP);
	assert_int_equal(f->nstray, 1);
	assert_int_equal(f->stray_method, SIP_METHOD_ACK);
	/* One that matches the transaction is passed up as an event (RFC 6026 7.1). */
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_ACK);
	assert_int_equal(sip_txn_state(st), SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 32000 - 10000 - 1);
	assert_int_equal(sip_txn_state(st), SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[1].timer, 'L');
	assert_int_equal(f->ev[1].at, 32000);
	fx_free(f);
}

/* sip_txn_lean on INVITE server transactions: the request stays through the
 * call that passes the final response, goes at the first Timer G (Completed) or
 * on the next timer turn (Accepted), and matching still works on branch, sent-by
 * and method: retransmitted INVITEs and ACKs are absorbed, the ACK in Accepted
 * goes to the TU, another sent-by is another transaction. An RFC 2543 transaction
 * keeps its request (its matching needs it). */
static void test_invite_lean(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest other = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5071, 0);

	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	sip_txn_lean(st);
	assert_int_equal(fx_respond(st, 486), 0);
	assert_non_null(sip_txn_request(st)); /* the caller may still read it */
	sip_timers_advance(&f->ts, 500);  /* Timer G */
	assert_null(sip_txn_request(st));
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].buf, f->sent[0].buf);
	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 1);
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].buf, f->sent[0].buf);
	/* Same branch, another sent-by port: not this transaction (17.2.3). */
	fx_recv(f, fx_req("INVITE", BR, 1, "UDP", 5071, NULL, NULL), &other);
	assert_int_equal(f->nreq, 2);
	assert_int_equal(fx_respond(f->req_txn[1], 480), 0);
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	assert_int_equal(sip_txn_state(st), SIP_TXN_CONFIRMED);
	recv_req(f, "ACK", BR, SIP_TXN_UDP);
	assert_int_equal(f->nstray, 0);
	assert_int_equal(f->nev, 0);

	/* Accepted: the request goes on the next turn; the TU's 2xx retransmission
	 * is still taken, a matching ACK still passed up. */
	recv_req(f, "INVITE", "z9hG4bKlean2", SIP_TXN_UDP);
	st = f->req_txn[2];
	sip_txn_lean(st);
	assert_int_equal(fx_respond(st, 200), 0);
	assert_int_equal(sip_txn_state(st), SIP_TXN_ACCEPTED);
	assert_non_null(sip_txn_request(st));
	int n2xx = f->nsent - 1;
	assert_int_equal(strncmp(f->sent[n2xx].buf, "SIP/2.0 200 OK\r\n", 16), 0);
	sip_timers_advance(&f->ts, 0);
	assert_null(sip_txn_request(st));
	recv_req(f, "INVITE", "z9hG4bKlean2", SIP_TXN_UDP);
	assert_int_equal(f->nreq, 3);
	int before = f->nsent;
	assert_int_equal(sip_txn_respond(st, f->sent[n2xx].buf, f->sent[n2xx].len), 0);
	assert_int_equal(f->nsent, before + 1);
	int nev = f->nev;
	recv_req(f, "ACK", "z9hG4bKlean2", SIP_TXN_UDP);
	assert_int_equal(f->nev, nev + 1);
	assert_int_equal(f->ev[nev].type, SIP_TXN_EV_ACK);
	assert_ptr_equal(f->ev[nev].t, st);

	/* RFC 2543 (no magic cookie): kept through Completed. */
	struct sip_txn_dest src = src_udp();
	fx_recv(f, fx_req("INVITE", NULL, 7, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(f->nreq, 4);
	st = f->req_txn[3];
	sip_txn_lean(st);
	assert_int_equal(fx_respond(st, 486), 0);
	sip_timers_advance(&f->ts, 500);
	assert_int_equal(sip_txn_state(st), SIP_TXN_COMPLETED);
	assert_non_null(sip_txn_request(st));
	fx_free(f);
}

/* 17.2.4 as amended by RFC 6026 8.8: transport errors are reported, the state stays. */
static void test_invite_transport_errors(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	/* The 100 Trying cannot be sent: an event, still Proceeding. */
	recv_req(f, "INVITE", "z9hG4bKfirst", SIP_TXN_UDP);
	struct sip_txn *a = f->req_txn[0];
	f->fail_err = -EHOSTUNREACH;
	sip_timers_advance(&f->ts, 200);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[0].err, -EHOSTUNREACH);
	assert_int_equal(sip_txn_state(a), SIP_TXN_PROCEEDING);

	/* The TU's 486 cannot be sent: its call fails (no callback), Completed anyway. */
	f->nev = 0;
	assert_int_equal(fx_respond(a, 486), -EHOSTUNREACH);
	assert_int_equal(f->nev, 0);
	assert_int_equal(sip_txn_state(a), SIP_TXN_COMPLETED);
	/* Timer G's retransmission fails: an event, still Completed; then it works. */
	sip_timers_advance(&f->ts, 500);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(sip_txn_state(a), SIP_TXN_COMPLETED);
	f->fail_err = 0;
	sip_timers_advance(&f->ts, 1000);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(strncmp(f->sent[0].buf, "SIP/2.0 486 ", 12), 0);
	assert_int_equal(f->sent[0].at, 1700);

	/* A connection failure reported later: an event, the state stays. */
	f->auto_status = 180;
	recv_req(f, "INVITE", "z9hG4bKtcp", SIP_TXN_TCP);
	struct sip_txn *b = f->req_txn[1];
	int nev = f->nev;
	sip_txn_layer_transport_error(f->l, 11, -ECONNRESET);
	assert_int_equal(f->nev, nev + 1);
	assert_ptr_equal(f->ev[nev].t, b);
	assert_int_equal(f->ev[nev].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(sip_txn_state(b), SIP_TXN_PROCEEDING);
	fx_free(f);
}

/* non-INVITE over UDP: Trying absorbs retransmissions (no 100 Trying from the
 * transaction), Proceeding resends the provisional, Completed the final; J = 64*T1. */
static void test_noninvite_udp(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	assert_int_equal(sip_txn_state(st), SIP_TXN_TRYING);
	assert_false(sip_txn_is_invite(st));
	sip_timers_advance(&f->ts, 1000);
	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 0);
	assert_int_equal(f->nreq, 1);
	assert_int_equal(fx_respond(st, 100), 0);
	assert_int_equal(sip_txn_state(st), SIP_TXN_PROCEEDING);
	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 2);
	assert_string_equal(f->sent[1].buf, f->sent[0].buf);
	assert_int_equal(fx_respond(st, 200), 0);
	assert_int_equal(sip_txn_state(st), SIP_TXN_COMPLETED);
	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	assert_int_equal(f->nsent, 4);
	assert_int_equal(strncmp(f->sent[3].buf, "SIP/2.0 200 OK\r\n", 16), 0);
	assert_int_equal(fx_respond(st, 500), -EINVAL);
	assert_int_equal(f->nreq, 1);
	sip_timers_advance(&f->ts, 31999);
	assert_int_equal(f->nsent, 4); /* no retransmission of its own */
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[0].timer, 'J');
	assert_int_equal(f->ev[0].at, 33000);
	/* After J the same request is new again. */
	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 2);
	fx_free(f);
}

/* TCP: final from Trying, J = 0. A transport error on respond: the error is
 * returned, no callback, Completed, and J still ends it. */
static void test_noninvite_tcp(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->auto_status = 404;
	recv_req(f, "REGISTER", BR, SIP_TXN_TCP);
	struct sip_txn *st = f->req_txn[0];
	assert_int_equal(sip_txn_state(st), SIP_TXN_COMPLETED);
	/* The connection it came on; its address with the sent-by port in case the
	 * connection has closed (18.2.2). */
	assert_int_equal(f->sent[0].dst.conn_id, 11);
	assert_int_equal(fx_port(&f->sent[0].dst), 5070);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[0].timer, 'J');

	f->auto_status = 0;
	recv_req(f, "MESSAGE", BR, SIP_TXN_TCP);
	st = f->req_txn[1];
	f->fail_err = -EPIPE;
	assert_int_equal(fx_respond(st, 200), -EPIPE);
	assert_int_equal(f->nev, 1);
	assert_int_equal(sip_txn_state(st), SIP_TXN_COMPLETED);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* 18.2.2 / RFC 3581: where responses go. */
static void test_response_destination(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = fx_dest(SIP_TXN_UDP, "127.0.0.1", 40000, 0);

	f->auto_status = 200;
	/* No rport: the sent-by port. */
	fx_recv(f, fx_req("OPTIONS", "z9hG4bKd1", 1, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(fx_port(&f->sent[0].dst), 5070);
	assert_int_equal(fx_port(sip_txn_dest(f->req_txn[0])), 5070);
	/* rport: the source port. */
	fx_recv(f, fx_req("OPTIONS", "z9hG4bKd2", 1, "UDP", 5070, ";rport", NULL), &src);
	assert_int_equal(fx_port(&f->sent[1].dst), 40000);
	/* No port in sent-by: 5060. */
	fx_recv(f, fx_msg("OPTIONS sip:bob@127.0.0.1 SIP/2.0\n"
			  "Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKd3\n"
			  "From: <sip:a@127.0.0.1>;tag=1\nTo: <sip:bob@127.0.0.1>\n"
			  "Call-ID: d3\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n"),
		&src);
	assert_int_equal(fx_port(&f->sent[2].dst), 5060);
	/* TLS, no port in sent-by: the connection, else the address at 5061. */
	struct sip_txn_dest tls = fx_dest(SIP_TXN_TLS, "127.0.0.1", 40001, 77);
	fx_recv(f, fx_msg("OPTIONS sips:bob@127.0.0.1 SIP/2.0\n"
			  "Via: SIP/2.0/TLS 127.0.0.1;branch=z9hG4bKd4\n"
			  "From: <sips:a@127.0.0.1>;tag=1\nTo: <sips:bob@127.0.0.1>\n"
			  "Call-ID: d4\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n"),
		&tls);
	assert_int_equal(f->sent[3].dst.proto, SIP_TXN_TLS);
	assert_int_equal(f->sent[3].dst.conn_id, 77);
	assert_int_equal(fx_port(&f->sent[3].dst), 5061);
	assert_true(sip_txn_is_reliable(f->req_txn[3]));
	for (int i = 0; i < 3; i++) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &f->sent[i].dst.addr.in.sin_addr, ip, sizeof(ip));
		assert_string_equal(ip, "127.0.0.1");
		assert_int_equal(f->sent[i].dst.proto, SIP_TXN_UDP);
	}
	fx_free(f);
}

/* What sip_txn_respond refuses. */
static void test_respond_rejects(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	static const char *bad[] = { "HELLO", "SIP/2.0 99 Low\r\n\r\n", "SIP/2.0 700 High\r\n\r\n",
				     "SIP/2.0 2x0 OK\r\n\r\n", "SIP/2.0 200" };

	recv_req(f, "OPTIONS", BR, SIP_TXN_UDP);
	struct sip_txn *st = f->req_txn[0];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sip_txn_respond(st, bad[i], strlen(bad[i])), -EINVAL);
	assert_int_equal(sip_txn_respond(NULL, "SIP/2.0 200 OK\r\n\r\n", 18), -EINVAL);
	assert_int_equal(f->nsent, 0);
	assert_int_equal(sip_txn_state(st), SIP_TXN_TRYING);

	struct sip_txn *ct;
	struct sip_txn_dest d = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);
	assert_int_equal(sip_txn_client_alloc(&ct, f->l, fx_req("OPTIONS", "z9hG4bKc", 1, "UDP", 5080, NULL, NULL),
					      &d, fx_event, f),
			 0);
	assert_int_equal(sip_txn_respond(ct, "SIP/2.0 200 OK\r\n\r\n", 18), -EINVAL);
	fx_free(f);
}

/* 9.2: a CANCEL is its own server transaction; the TU is given the INVITE it
 * cancels, or NULL. */
static void test_cancel(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	recv_req(f, "INVITE", BR, SIP_TXN_UDP);
	struct sip_txn *inv = f->req_txn[0];
	recv_req(f, "CANCEL", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 2);
	assert_int_equal(f->req_method[1], SIP_METHOD_CANCEL);
	assert_ptr_not_equal(f->req_txn[1], inv);
	assert_ptr_equal(f->req_cancelled[1], inv);
	assert_int_equal(sip_txn_layer_count(f->l), 2);
	/* Its retransmission matches the CANCEL transaction, not the INVITE. */
	recv_req(f, "CANCEL", BR, SIP_TXN_UDP);
	assert_int_equal(f->nreq, 2);
	/* The TU answers 200 to the CANCEL and 487 to the INVITE. */
	assert_int_equal(fx_respond(f->req_txn[1], 200), 0);
	assert_int_equal(fx_respond(inv, 487), 0);
	assert_int_equal(sip_txn_state(inv), SIP_TXN_COMPLETED);
	/* A CANCEL for nothing. */
	recv_req(f, "CANCEL", "z9hG4bKnothing", SIP_TXN_UDP);
	assert_int_equal(f->nreq, 3);
	assert_null(f->req_cancelled[2]);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite_100_trying),
		cmocka_unit_test(test_100_trying_received_rport),
		cmocka_unit_test(test_invite_tu_answers_first),
		cmocka_unit_test(test_invite_udp_timer_g_h),
		cmocka_unit_test(test_invite_udp_confirmed_timer_i),
		cmocka_unit_test(test_invite_tcp_completed),
		cmocka_unit_test(test_invite_accepted_timer_l),
		cmocka_unit_test(test_invite_lean),
		cmocka_unit_test(test_invite_transport_errors),
		cmocka_unit_test(test_noninvite_udp),
		cmocka_unit_test(test_noninvite_tcp),
		cmocka_unit_test(test_response_destination),
		cmocka_unit_test(test_respond_rejects),
		cmocka_unit_test(test_cancel),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

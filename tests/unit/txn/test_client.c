/* Client transactions (RFC 3261 17.1, RFC 6026 7.2): every state and timer
 * transition of the INVITE and non-INVITE machines over UDP and TCP, with exact
 * retransmission times on the manual clock and real parsed messages. */
#include "txn_fixture.h"

#define BR "z9hG4bKclient1"

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

static struct sip_txn *start(struct fx *f, const char *method, enum sip_txn_proto proto, uint64_t conn)
{
	struct sip_txn *t;
	struct sip_msg *req = fx_req(method, BR, 1, proto == SIP_TXN_UDP ? "UDP" : "TCP", 5070, ";rport", NULL);
	struct sip_txn_dest d = fx_dest(proto, "127.0.0.1", 5060, conn);

	assert_int_equal(sip_txn_client_alloc(&t, f->l, req, &d, fx_event, f), 0);
	assert_ptr_equal(sip_txn_request(t), req);
	assert_true(sip_txn_is_client(t));
	return t;
}

static void recv_resp(struct fx *f, int status, const char *reason, const char *method, const char *tag)
{
	struct sip_txn_dest src = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);
	fx_recv(f, fx_resp(status, reason, BR, 1, method, tag), &src);
}

/* INVITE over UDP, no answer: Timer A doubles without a cap (17.1.1.2), Timer B
 * ends it at 64*T1 with a timeout for the TU. */
static void test_invite_udp_timer_a_b(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_UDP, 0);
	const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 15500, 31500 };

	assert_int_equal(sip_txn_state(t), SIP_TXN_CALLING);
	assert_true(sip_txn_is_invite(t));
	assert_false(sip_txn_is_reliable(t));
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].len, sip_txn_request(t)->len);
	assert_memory_equal(f->sent[0].buf, sip_txn_request(t)->buf, f->sent[0].len);
	assert_int_equal(fx_port(&f->sent[0].dst), 5060);
	sip_timers_advance(&f->ts, 31999);
	check_times(f, "INVITE sip:bob@127.0.0.1:5060 SIP/2.0\r\n", want, 7);
	for (int i = 1; i < f->nsent; i++)
		assert_memory_equal(f->sent[i].buf, f->sent[0].buf, f->sent[0].len);
	assert_int_equal(f->nev, 0);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[0].timer, 'B');
	assert_int_equal(f->ev[0].err, SIP_ETIMEOUT);
	assert_int_equal(f->ev[0].at, 32000);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[1].timer, 'B');
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	assert_int_equal(f->ts.count, 0);
	fx_free(f);
}

/* T1 is configurable: A and B follow it. */
static void test_invite_udp_custom_t1(void **state)
{
	(void)state;
	struct sip_txn_config cfg = { .t1_ms = 100 };
	struct fx *f = fx_new(&cfg);
	const uint64_t want[] = { 0, 100, 300, 700, 1500, 3100, 6300 };

	start(f, "INVITE", SIP_TXN_UDP, 0);
	sip_timers_advance(&f->ts, 6399);
	check_times(f, "INVITE ", want, 7);
	assert_int_equal(f->nev, 0);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(fx_count_ev(f, SIP_TXN_EV_TIMEOUT), 1);
	assert_int_equal(f->ev[0].at, 6400);
	fx_free(f);
}

/* Reliable transport: no Timer A, Timer B still. */
static void test_invite_tcp_timer_b(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_TCP, 3);

	assert_true(sip_txn_is_reliable(t));
	sip_timers_advance(&f->ts, 31999);
	assert_int_equal(f->nsent, 1);
	assert_int_equal(f->sent[0].dst.conn_id, 3);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[0].timer, 'B');
	assert_int_equal(fx_last_ev(f)->type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* Calling -1xx-> Proceeding (retransmissions and B stop) -486-> Completed: ACK sent
 * (17.1.1.3), retransmitted 486 re-ACKed and absorbed, Timer D = 32 s. */
static void test_invite_udp_proceeding_completed(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_UDP, 0);

	sip_timers_advance(&f->ts, 600);
	assert_int_equal(f->nsent, 2);
	recv_resp(f, 180, "Ringing", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
	assert_int_equal(f->nev, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_RESPONSE);
	assert_int_equal(f->ev[0].status, 180);
	assert_int_equal(f->ev[0].state, SIP_TXN_PROCEEDING);
	recv_resp(f, 183, "Session Progress", "INVITE", "b1");
	assert_int_equal(f->ev[1].status, 183);
	sip_timers_advance(&f->ts, 60000); /* no A, no B in Proceeding */
	assert_int_equal(f->nsent, 2);
	assert_int_equal(f->nev, 2);
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);

	recv_resp(f, 486, "Busy Here", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_int_equal(f->nev, 3);
	assert_int_equal(f->ev[2].status, 486);
	assert_int_equal(f->nsent, 3);
	const struct sent *ack = &f->sent[2];
	assert_non_null(strstr(ack->buf, "ACK sip:bob@127.0.0.1:5060 SIP/2.0\r\n"));
	assert_non_null(strstr(ack->buf, "CSeq: 1 ACK\r\n"));
	assert_non_null(strstr(ack->buf, "branch=" BR));
	assert_non_null(strstr(ack->buf, "tag=b1"));
	assert_non_null(strstr(ack->buf, "Call-ID: call-1@127.0.0.1\r\n"));
	assert_int_equal(fx_port(&ack->dst), 5060);
	/* The ACK parses and is an ACK. */
	struct sip_msg *am;
	assert_int_equal(sip_msg_parse(&am, ack->buf, ack->len, NULL, NULL), 0);
	assert_int_equal(am->method, SIP_METHOD_ACK);
	sip_msg_free(am);

	recv_resp(f, 486, "Busy Here", "INVITE", "b1");
	assert_int_equal(f->nsent, 4);
	assert_string_equal(f->sent[3].buf, f->sent[2].buf);
	assert_int_equal(f->nev, 3); /* absorbed */
	sip_timers_advance(&f->ts, 31999);
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->nev, 4);
	assert_int_equal(f->ev[3].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[3].timer, 'D');
	assert_int_equal(f->ev[3].at, 60600 + 32000);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* Final non-2xx straight from Calling over TCP: ACK, then Timer D = 0. */
static void test_invite_tcp_completed_d_zero(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_TCP, 9);

	sip_timers_advance(&f->ts, 100);
	recv_resp(f, 603, "Decline", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(strncmp(f->sent[1].buf, "ACK ", 4), 0);
	assert_int_equal(f->sent[1].dst.conn_id, 9);
	assert_int_equal(f->nev, 1);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[1].timer, 'D');
	assert_int_equal(f->ev[1].at, 100);
	fx_free(f);
}

/* RFC 6026: 2xx -> Accepted (no ACK from the transaction), every 2xx (retransmission
 * or another fork) goes to the TU, other responses are dropped, Timer M ends it;
 * a 2xx after that is stray. */
static void test_invite_accepted_timer_m(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_UDP, 0);

	sip_timers_advance(&f->ts, 1000);
	recv_resp(f, 200, "OK", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_ACCEPTED);
	assert_int_equal(f->nsent, 2); /* INVITE + one A retransmission, no ACK */
	assert_int_equal(f->ev[0].status, 200);
	assert_int_equal(f->ev[0].state, SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 5000);
	assert_int_equal(f->nsent, 2); /* A stopped */
	recv_resp(f, 200, "OK", "INVITE", "b1");
	recv_resp(f, 200, "OK", "INVITE", "b2");
	recv_resp(f, 486, "Busy Here", "INVITE", "b3");
	recv_resp(f, 180, "Ringing", "INVITE", "b3");
	assert_int_equal(f->nev, 3);
	assert_string_equal(f->ev[1].to_tag, "b1");
	assert_string_equal(f->ev[2].to_tag, "b2");
	assert_int_equal(f->nsent, 2);
	sip_timers_advance(&f->ts, 32000 - 5000 - 1);
	assert_int_equal(sip_txn_state(t), SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[3].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[3].timer, 'M');
	assert_int_equal(f->ev[3].at, 33000);
	recv_resp(f, 200, "OK", "INVITE", "b1");
	assert_int_equal(f->nstray, 1);
	assert_int_equal(f->stray_status, 200);
	assert_int_equal(f->nev, 4);
	fx_free(f);
}

/* sip_txn_lean: the request stays while it may be retransmitted (Calling,
 * Proceeding), goes with the final response (after the ACK for a non-2xx is built
 * from it, 17.1.1.3), and matching still works on the branch and method alone:
 * a retransmitted 486 gets the same ACK again, a CANCEL-method response with the
 * same branch is not this transaction's, and Timer D still ends it. */
static void test_invite_lean_drops_request(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_UDP, 0);

	sip_txn_lean(t);
	recv_resp(f, 180, "Ringing", "INVITE", "b1");
	assert_non_null(sip_txn_request(t)); /* Proceeding: a 486 would need it */
	recv_resp(f, 486, "Busy Here", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_null(sip_txn_request(t));
	assert_int_equal(f->nsent, 2);
	assert_non_null(strstr(f->sent[1].buf, "ACK sip:bob@127.0.0.1:5060 SIP/2.0\r\n"));
	assert_non_null(strstr(f->sent[1].buf, "branch=" BR));
	assert_non_null(strstr(f->sent[1].buf, "tag=b1"));
	recv_resp(f, 486, "Busy Here", "INVITE", "b1");
	assert_int_equal(f->nsent, 3);
	assert_string_equal(f->sent[2].buf, f->sent[1].buf);
	recv_resp(f, 200, "OK", "CANCEL", NULL);
	assert_int_equal(f->nstray, 1); /* same branch, other method: no match */
	assert_int_equal(f->nev, 2);    /* 180, 486 */
	sip_timers_advance(&f->ts, 32000);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[2].timer, 'D');
	assert_int_equal(sip_txn_layer_count(f->l), 0);

	/* 2xx: Accepted without the request, every 2xx still reaches the TU. */
	t = start(f, "INVITE", SIP_TXN_UDP, 0);
	sip_txn_lean(t);
	recv_resp(f, 200, "OK", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_ACCEPTED);
	assert_null(sip_txn_request(t));
	recv_resp(f, 200, "OK", "INVITE", "b2");
	assert_int_equal(f->nev, 5);
	assert_string_equal(f->ev[3].to_tag, "b1");
	assert_string_equal(f->ev[4].to_tag, "b2");
	sip_timers_advance(&f->ts, 32000);
	assert_int_equal(f->ev[5].timer, 'M');

	/* non-INVITE: kept through Proceeding (Timer E retransmits), dropped at
	 * Completed; the retransmitted final is absorbed. */
	t = start(f, "OPTIONS", SIP_TXN_UDP, 0);
	sip_txn_lean(t);
	recv_resp(f, 100, "Trying", "OPTIONS", NULL);
	assert_non_null(sip_txn_request(t));
	recv_resp(f, 200, "OK", "OPTIONS", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_null(sip_txn_request(t));
	recv_resp(f, 200, "OK", "OPTIONS", "b1");
	assert_int_equal(f->nev, 8);
	assert_int_equal(f->nstray, 1);
	sip_timers_advance(&f->ts, 5000);
	assert_int_equal(f->ev[8].timer, 'K');
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* Proceeding -2xx-> Accepted (RFC 6026 7.2), Timer M from then on. */
static void test_invite_proceeding_accepted(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "INVITE", SIP_TXN_UDP, 0);

	recv_resp(f, 100, "Trying", "INVITE", NULL);
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
	sip_timers_advance(&f->ts, 40000);
	recv_resp(f, 200, "OK", "INVITE", "b1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_ACCEPTED);
	assert_int_equal(f->ev[1].status, 200);
	assert_int_equal(f->nsent, 1);
	sip_timers_advance(&f->ts, 31999);
	assert_int_equal(sip_txn_state(t), SIP_TXN_ACCEPTED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[2].timer, 'M');
	assert_int_equal(f->ev[2].at, 72000);
	fx_free(f);
}

/* 17.1.4: a failed first send is the caller's error and no callback; a failed
 * retransmission or ACK is a TRANSPORT_ERROR event and the end. */
static void test_invite_transport_errors(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = NULL;
	struct sip_msg *req = fx_req("INVITE", BR, 1, "UDP", 5070, NULL, NULL);
	struct sip_txn_dest d = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);

	f->fail_err = -ECONNREFUSED;
	assert_int_equal(sip_txn_client_alloc(&t, f->l, req, &d, fx_event, f), -ECONNREFUSED);
	assert_null(t);
	assert_int_equal(f->nev, 0);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	assert_int_equal(f->ts.count, 0);
	sip_msg_free(req); /* still ours */

	f->fail_err = 0;
	start(f, "INVITE", SIP_TXN_UDP, 0);
	f->fail_err = -ENETUNREACH;
	sip_timers_advance(&f->ts, 500);
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[0].err, -ENETUNREACH);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);

	/* The ACK for a 486 cannot be sent: response first, then the error. */
	f->fail_err = 0;
	f->nev = 0;
	start(f, "INVITE", SIP_TXN_TCP, 4);
	f->fail_err = -EPIPE;
	recv_resp(f, 486, "Busy Here", "INVITE", "b1");
	assert_int_equal(f->nev, 3);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_RESPONSE);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[1].err, -EPIPE);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* An asynchronous connection failure reported by the transport ends the client
 * transactions on that connection only. */
static void test_layer_transport_error(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *a = start(f, "INVITE", SIP_TXN_TCP, 7);
	struct sip_msg *req2 = fx_req("OPTIONS", "z9hG4bKother", 2, "TCP", 5070, NULL, NULL);
	struct sip_txn_dest d8 = fx_dest(SIP_TXN_TCP, "127.0.0.1", 5060, 8);
	struct sip_txn *b;

	assert_int_equal(sip_txn_client_alloc(&b, f->l, req2, &d8, fx_event, f), 0);
	sip_txn_layer_transport_error(f->l, 7, -ECONNRESET);
	assert_int_equal(f->nev, 2);
	assert_ptr_equal(f->ev[0].t, a);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[0].err, -ECONNRESET);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 1);
	assert_int_equal(sip_txn_state(b), SIP_TXN_TRYING);
	fx_free(f);
}

/* The transport opened a connection for the request (conn_id 0 in the
 * destination): the transaction records it, and a failure of that connection
 * reported later (a refused connect, a failed TLS handshake) ends it at once with
 * one TRANSPORT_ERROR (17.1.4; the TU acts as on a 503, 8.1.3.1), not at Timer B
 * or F. INVITE and non-INVITE alike; a transaction on another connection stays. */
static void test_opened_conn_error_later(void **state)
{
	(void)state;
	const char *methods[] = { "INVITE", "OPTIONS" };

	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_new(NULL);
		struct sip_msg *req2 = fx_req(methods[k], "z9hG4bKother", 2, "TCP", 5070, NULL, NULL);
		struct sip_txn_dest d = fx_dest(SIP_TXN_TCP, "127.0.0.1", 5062, 0);
		struct sip_txn *a, *b;

		f->next_conn = 41;
		a = start(f, methods[k], SIP_TXN_TCP, 0);
		assert_int_equal(sip_txn_dest(a)->conn_id, 41);
		assert_int_equal(f->sent[0].dst.conn_id, 0); /* asked for none */
		assert_int_equal(sip_txn_client_alloc(&b, f->l, req2, &d, fx_event, f), 0);
		assert_int_equal(sip_txn_dest(b)->conn_id, 42);
		sip_timers_advance(&f->ts, 10);
		assert_int_equal(f->nev, 0);

		sip_txn_layer_transport_error(f->l, 41, -ECONNREFUSED);
		assert_int_equal(f->nev, 2);
		assert_ptr_equal(f->ev[0].t, a);
		assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
		assert_int_equal(f->ev[0].err, -ECONNREFUSED);
		assert_int_equal(f->ev[0].state, SIP_TXN_TERMINATED);
		assert_ptr_equal(f->ev[1].t, a);
		assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
		assert_int_equal(f->ev[1].timer, 0);
		assert_int_equal(sip_txn_layer_count(f->l), 1);
		assert_int_equal(sip_txn_state(b), k == 0 ? SIP_TXN_CALLING : SIP_TXN_TRYING);

		/* A second report of the same connection finds nothing; the other
		 * transaction ends with its own timer, a's never fires. */
		sip_txn_layer_transport_error(f->l, 41, -ECONNRESET);
		assert_int_equal(f->nev, 2);
		sip_timers_advance(&f->ts, 64 * 500);
		assert_int_equal(f->nev, 4);
		assert_ptr_equal(f->ev[2].t, b);
		assert_int_equal(f->ev[2].type, SIP_TXN_EV_TIMEOUT);
		assert_int_equal(f->ev[3].type, SIP_TXN_EV_TERMINATED);
		assert_int_equal(fx_count_ev(f, SIP_TXN_EV_TRANSPORT_ERROR), 1);
		assert_int_equal(f->nterminated, 2);
		assert_int_equal(sip_txn_layer_count(f->l), 0);
		fx_free(f);
	}
}

/* UDP has no connection: the destination keeps conn_id 0 through every
 * retransmission and a report naming no connection touches nothing. */
static void test_udp_records_no_conn(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t;

	f->next_conn = 9;
	t = start(f, "OPTIONS", SIP_TXN_UDP, 0);
	sip_timers_advance(&f->ts, 1500);
	assert_int_equal(f->nsent, 3); /* 0, 500, 1500 (Timer E) */
	for (int i = 0; i < f->nsent; i++)
		assert_int_equal(f->sent[i].dst.conn_id, 0);
	assert_int_equal(sip_txn_dest(t)->conn_id, 0);
	sip_txn_layer_transport_error(f->l, 0, -ECONNRESET);
	sip_txn_layer_transport_error(f->l, 9, -ECONNRESET);
	assert_int_equal(f->nev, 0);
	assert_int_equal(sip_txn_state(t), SIP_TXN_TRYING);
	fx_free(f);
}

/* The transport fails the new connection inside the send of the request, before
 * the transaction knows its connection (src/net closes a connection whose write
 * fails at once). Send accepted the bytes: the report is delivered after the
 * call, from the zero-delay timer, and ends the transaction once; sip_txn_client_
 * alloc itself runs no callback. Send refused them: the caller gets the error,
 * nothing is kept and the report finds nothing. */
static void test_opened_conn_error_sync(void **state)
{
	(void)state;
	const char *methods[] = { "INVITE", "MESSAGE" };

	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_new(NULL);
		struct sip_txn *t;

		f->next_conn = 51;
		f->sync_err = -ECONNRESET;
		t = start(f, methods[k], SIP_TXN_TLS, 0);
		assert_int_equal(f->nsync, 1);
		assert_int_equal(f->nev, 0); /* not inside sip_txn_client_alloc */
		assert_int_equal(sip_txn_dest(t)->conn_id, 51);
		assert_int_equal(sip_txn_state(t), k == 0 ? SIP_TXN_CALLING : SIP_TXN_TRYING);
		sip_timers_advance(&f->ts, 0);
		assert_int_equal(f->nev, 2);
		assert_ptr_equal(f->ev[0].t, t);
		assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
		assert_int_equal(f->ev[0].err, -ECONNRESET);
		assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
		assert_int_equal(sip_txn_layer_count(f->l), 0);
		assert_int_equal(f->ts.count, 0); /* Timer B / F went with it */
		sip_timers_advance(&f->ts, 64 * 500);
		assert_int_equal(f->nev, 2);

		/* The send fails as well: the caller's error, no callback ever. */
		struct sip_msg *req = fx_req(methods[k], "z9hG4bKsync2", 2, "TCP", 5070, NULL, NULL);
		struct sip_txn_dest d = fx_dest(SIP_TXN_TCP, "127.0.0.1", 5060, 0);
		struct sip_txn *t2 = NULL;
		f->sync_ret = -ECONNRESET;
		assert_int_equal(sip_txn_client_alloc(&t2, f->l, req, &d, fx_event, f), -ECONNRESET);
		assert_null(t2);
		assert_int_equal(f->nsync, 2);
		sip_msg_free(req); /* still ours */
		sip_timers_advance(&f->ts, 0);
		assert_int_equal(f->nev, 2);
		assert_int_equal(sip_txn_layer_count(f->l), 0);
		fx_free(f);
	}
}

/* The ACK for a 486 goes on the INVITE's connection, whose write fails and is
 * reported inside the send (the layer is in the middle of the response): the
 * transaction ends once, whether the send also failed (TRANSPORT_ERROR) or
 * took the bytes (Timer D, zero over TCP, ends it first; the late report then
 * finds nothing). */
static void test_ack_conn_error_sync(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_new(NULL);
		struct sip_txn *t;

		f->next_conn = 61;
		t = start(f, "INVITE", SIP_TXN_TCP, 0);
		f->sync_err = -EPIPE;
		f->sync_ret = k == 0 ? -EPIPE : 0;
		recv_resp(f, 486, "Busy Here", "INVITE", "b1");
		assert_int_equal(f->nsync, 1);
		assert_int_equal(f->ev[0].type, SIP_TXN_EV_RESPONSE);
		assert_int_equal(f->ev[0].status, 486);
		if (k == 0) {
			assert_int_equal(f->nev, 3);
			assert_int_equal(f->ev[1].type, SIP_TXN_EV_TRANSPORT_ERROR);
			assert_int_equal(f->ev[1].err, -EPIPE);
			assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);
		} else {
			assert_int_equal(f->nev, 1);
			assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
			assert_int_equal(f->sent[1].dst.conn_id, 61);
		}
		sip_timers_advance(&f->ts, 0);
		assert_int_equal(f->nterminated, 1);
		assert_int_equal(fx_count_ev(f, SIP_TXN_EV_TRANSPORT_ERROR), k == 0 ? 1 : 0);
		assert_int_equal(sip_txn_layer_count(f->l), 0);
		fx_free(f);
	}
}

/* A report that comes while a TU callback runs (the TU sent something itself and
 * its transport failed at once) waits for the callback to return: the
 * transaction the TU is looking at is not ended under it. */
static struct fx *report_fx;
static void report_in_cb(struct sip_txn *t, const struct sip_txn_event *e, void *arg)
{
	fx_event(t, e, arg);
	if (e->type == SIP_TXN_EV_RESPONSE) {
		sip_txn_layer_transport_error(report_fx->l, sip_txn_dest(t)->conn_id, -ECONNRESET);
		/* Still alive and still Proceeding in the callback. */
		assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
		assert_int_equal(report_fx->nev, 1);
	}
}

static void test_conn_error_inside_callback(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_msg *req = fx_req("INVITE", BR, 1, "TCP", 5070, NULL, NULL);
	struct sip_txn_dest d = fx_dest(SIP_TXN_TCP, "127.0.0.1", 5060, 0);
	struct sip_txn *t;

	report_fx = f;
	f->next_conn = 71;
	assert_int_equal(sip_txn_client_alloc(&t, f->l, req, &d, report_in_cb, f), 0);
	recv_resp(f, 180, "Ringing", "INVITE", "b1");
	assert_int_equal(f->nev, 1);
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->nev, 3);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[1].err, -ECONNRESET);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* A report still queued when the layer is freed goes with it. */
static void test_queued_error_layer_free(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);

	f->next_conn = 81;
	f->sync_err = -ECONNREFUSED;
	start(f, "OPTIONS", SIP_TXN_TCP, 0);
	assert_int_equal(f->nsync, 1);
	assert_int_equal(f->nev, 0);
	fx_free(f); /* checks that no timer is left */
}

/* non-INVITE over UDP, no answer: E doubles up to T2 (17.1.2.2), F at 64*T1. */
static void test_noninvite_udp_timer_e_f(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "OPTIONS", SIP_TXN_UDP, 0);
	const uint64_t want[] = { 0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500 };

	assert_int_equal(sip_txn_state(t), SIP_TXN_TRYING);
	assert_false(sip_txn_is_invite(t));
	sip_timers_advance(&f->ts, 31999);
	check_times(f, "OPTIONS ", want, 11);
	assert_int_equal(f->nev, 0);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[0].timer, 'F');
	assert_int_equal(f->ev[0].at, 32000);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* Proceeding is not a way out of Timer F (17.1.2.2), and a failed Timer E
 * retransmission ends the transaction with a transport error (17.1.4). */
static void test_noninvite_proceeding_timer_f_and_error(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "OPTIONS", SIP_TXN_UDP, 0);

	recv_resp(f, 100, "Trying", "OPTIONS", NULL);
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
	sip_timers_advance(&f->ts, 31999);
	assert_int_equal(f->nev, 1);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[1].timer, 'F');
	assert_int_equal(f->ev[1].state, SIP_TXN_TERMINATED);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TERMINATED);

	f->nev = 0;
	start(f, "OPTIONS", SIP_TXN_UDP, 0);
	sip_timers_advance(&f->ts, 500); /* first E: fine */
	f->fail_err = -ENOBUFS;
	sip_timers_advance(&f->ts, 1000); /* second E fails */
	assert_int_equal(f->nev, 2);
	assert_int_equal(f->ev[0].type, SIP_TXN_EV_TRANSPORT_ERROR);
	assert_int_equal(f->ev[0].err, -ENOBUFS);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

/* T2 is configurable: E caps at it. */
static void test_noninvite_udp_custom_t2(void **state)
{
	(void)state;
	struct sip_txn_config cfg = { .t1_ms = 500, .t2_ms = 1000 };
	struct fx *f = fx_new(&cfg);
	const uint64_t want[] = { 0, 500, 1500, 2500, 3500 };

	start(f, "OPTIONS", SIP_TXN_UDP, 0);
	sip_timers_advance(&f->ts, 3600);
	check_times(f, "OPTIONS ", want, 5);
	fx_free(f);
}

/* Trying -1xx-> Proceeding: E continues, and is reset to T2 when it fires in
 * Proceeding; -200-> Completed: retransmissions absorbed, Timer K = T4. */
static void test_noninvite_udp_proceeding_completed(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "REGISTER", SIP_TXN_UDP, 0);
	const uint64_t want[] = { 0, 500, 1500, 5500, 9500 };

	sip_timers_advance(&f->ts, 600);
	recv_resp(f, 100, "Trying", "REGISTER", NULL);
	assert_int_equal(sip_txn_state(t), SIP_TXN_PROCEEDING);
	assert_int_equal(f->ev[0].status, 100);
	recv_resp(f, 100, "Trying", "REGISTER", NULL);
	assert_int_equal(f->nev, 2); /* every provisional goes up in Proceeding */
	sip_timers_advance(&f->ts, 10000 - 600);
	check_times(f, "REGISTER ", want, 5);
	recv_resp(f, 200, "OK", "REGISTER", "r1");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_int_equal(f->ev[2].status, 200);
	recv_resp(f, 200, "OK", "REGISTER", "r1");
	recv_resp(f, 100, "Trying", "REGISTER", NULL);
	assert_int_equal(f->nev, 3);
	sip_timers_advance(&f->ts, 4999);
	assert_int_equal(f->nsent, 5); /* no E in Completed */
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(f->ev[3].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[3].timer, 'K');
	assert_int_equal(f->ev[3].at, 15000);
	fx_free(f);
}

/* TCP: no E; final from Trying -> Completed, K = 0; F still times out. */
static void test_noninvite_tcp(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = start(f, "OPTIONS", SIP_TXN_TCP, 5);

	sip_timers_advance(&f->ts, 20000);
	assert_int_equal(f->nsent, 1);
	recv_resp(f, 404, "Not Found", "OPTIONS", "x");
	assert_int_equal(sip_txn_state(t), SIP_TXN_COMPLETED);
	assert_int_equal(f->ev[0].status, 404);
	sip_timers_advance(&f->ts, 0);
	assert_int_equal(f->ev[1].type, SIP_TXN_EV_TERMINATED);
	assert_int_equal(f->ev[1].timer, 'K');
	assert_int_equal(f->ev[1].at, 20000);

	start(f, "OPTIONS", SIP_TXN_TCP, 5);
	sip_timers_advance(&f->ts, 32000);
	assert_int_equal(f->ev[2].type, SIP_TXN_EV_TIMEOUT);
	assert_int_equal(f->ev[2].timer, 'F');
	assert_int_equal(f->ev[2].at, 52000);
	assert_int_equal(f->nsent, 2);
	fx_free(f);
}

/* What sip_txn_client_alloc refuses, with nothing kept. */
static void test_client_alloc_rejects(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn *t = NULL;
	struct sip_txn_dest d = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);
	struct sip_msg *bad[] = {
		fx_req("ACK", BR, 1, "UDP", 5070, NULL, NULL),           /* no client txn for ACK */
		fx_req("INVITE", "abc123", 1, "UDP", 5070, NULL, NULL),  /* no magic cookie */
		fx_req("INVITE", NULL, 1, "UDP", 5070, NULL, NULL),      /* no branch */
		fx_resp(200, "OK", BR, 1, "INVITE", NULL),               /* not a request */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sip_txn_client_alloc(&t, f->l, bad[i], &d, fx_event, f), -EINVAL);
		assert_null(t);
		sip_msg_free(bad[i]);
	}
	assert_int_equal(f->nsent, 0);
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invite_udp_timer_a_b),
		cmocka_unit_test(test_invite_udp_custom_t1),
		cmocka_unit_test(test_invite_tcp_timer_b),
		cmocka_unit_test(test_invite_udp_proceeding_completed),
		cmocka_unit_test(test_invite_tcp_completed_d_zero),
		cmocka_unit_test(test_invite_accepted_timer_m),
		cmocka_unit_test(test_invite_proceeding_accepted),
		cmocka_unit_test(test_invite_lean_drops_request),
		cmocka_unit_test(test_invite_transport_errors),
		cmocka_unit_test(test_layer_transport_error),
		cmocka_unit_test(test_opened_conn_error_later),
		cmocka_unit_test(test_udp_records_no_conn),
		cmocka_unit_test(test_opened_conn_error_sync),
		cmocka_unit_test(test_ack_conn_error_sync),
		cmocka_unit_test(test_conn_error_inside_callback),
		cmocka_unit_test(test_queued_error_layer_free),
		cmocka_unit_test(test_noninvite_udp_timer_e_f),
		cmocka_unit_test(test_noninvite_proceeding_timer_f_and_error),
		cmocka_unit_test(test_noninvite_udp_custom_t2),
		cmocka_unit_test(test_noninvite_udp_proceeding_completed),
		cmocka_unit_test(test_noninvite_tcp),
		cmocka_unit_test(test_client_alloc_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

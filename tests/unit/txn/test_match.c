/* Matching (RFC 3261 17.1.3, 17.2.3, 9.2) with RFC 3261 branches and the RFC 2543
 * fallback, ACK and CANCEL to their INVITE, and the hash tables under load. */
#include "txn_fixture.h"

#define BR "z9hG4bKmatch1"

static struct sip_txn_dest src_udp(void)
{
	return fx_dest(SIP_TXN_UDP, "127.0.0.1", 5070, 0);
}

/* An RFC 2543 request (no branch) with every field the fallback compares. */
static struct sip_msg *req2543(const char *method, const char *ruri, const char *from_tag, const char *to_tag,
			       unsigned cseq, unsigned via_port)
{
	char to_param[64] = "";

	if (to_tag)
		snprintf(to_param, sizeof(to_param), ";tag=%s", to_tag);
	return fx_msg("%s %s SIP/2.0\n"
		      "Via: SIP/2.0/UDP 127.0.0.1:%u\n"
		      "From: <sip:alice@127.0.0.1>;tag=%s\n"
		      "To: <sip:bob@127.0.0.1>%s\n"
		      "Call-ID: old-1@127.0.0.1\n"
		      "CSeq: %u %s\n"
		      "Max-Forwards: 70\n"
		      "Content-Length: 0\n\n",
		      method, ruri, via_port, from_tag, to_param, cseq, method);
}

/* 17.2.3: branch (a token: case-insensitive), sent-by, method. */
static void test_server_branch_rules(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = src_udp();

	fx_recv(f, fx_req("INVITE", BR, 1, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(f->nreq, 1);
	struct sip_txn *inv = f->req_txn[0];

	fx_recv(f, fx_req("INVITE", "z9hG4bKMATCH1", 1, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(f->nreq, 1); /* same transaction */
	fx_recv(f, fx_req("INVITE", BR, 1, "UDP", 5071, NULL, NULL), &src);
	assert_int_equal(f->nreq, 2); /* other sent-by: another client's transaction */
	fx_recv(f, fx_req("OPTIONS", BR, 1, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(f->nreq, 3); /* other method */
	assert_int_equal(sip_txn_layer_count(f->l), 3);

	struct sip_msg *ack = fx_req("ACK", BR, 1, "UDP", 5070, NULL, "t");
	assert_ptr_equal(sip_txn_match(f->l, ack), inv);
	sip_msg_free(ack);
	struct sip_msg *retr = fx_req("INVITE", BR, 1, "UDP", 5070, NULL, NULL);
	assert_ptr_equal(sip_txn_match(f->l, retr), inv);
	assert_null(sip_txn_match_cancel(f->l, retr)); /* not a CANCEL */
	sip_msg_free(retr);
	struct sip_msg *cancel = fx_req("CANCEL", BR, 1, "UDP", 5070, NULL, NULL);
	assert_ptr_equal(sip_txn_match_cancel(f->l, cancel), inv);
	assert_null(sip_txn_match(f->l, cancel)); /* no CANCEL transaction yet */
	sip_msg_free(cancel);
	struct sip_msg *other = fx_req("CANCEL", BR, 1, "UDP", 5099, NULL, NULL);
	assert_null(sip_txn_match_cancel(f->l, other));
	sip_msg_free(other);
	fx_free(f);
}

/* 17.1.3: the top Via branch and the CSeq method; an INVITE and its CANCEL share
 * the branch and are two client transactions. */
static void test_client_matching(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest d = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);
	struct sip_txn *inv, *can;

	assert_int_equal(sip_txn_client_alloc(&inv, f->l, fx_req("INVITE", BR, 1, "UDP", 5070, NULL, NULL), &d,
					      fx_event, f),
			 0);
	assert_int_equal(sip_txn_client_alloc(&can, f->l, fx_req("CANCEL", BR, 1, "UDP", 5070, NULL, NULL), &d,
					      fx_event, f),
			 0);
	struct sip_msg *r1 = fx_resp(180, "Ringing", BR, 1, "INVITE", "x");
	struct sip_msg *r2 = fx_resp(200, "OK", BR, 1, "CANCEL", "x");
	struct sip_msg *r3 = fx_resp(200, "OK", "z9hG4bKother", 1, "INVITE", "x");
	struct sip_msg *r4 = fx_resp(200, "OK", "oldbranch", 1, "INVITE", "x");
	struct sip_msg *r5 = fx_resp(200, "OK", "z9hG4bKMATCH1", 1, "INVITE", "x");
	assert_ptr_equal(sip_txn_match(f->l, r1), inv);
	assert_ptr_equal(sip_txn_match(f->l, r2), can);
	assert_null(sip_txn_match(f->l, r3));
	assert_null(sip_txn_match(f->l, r4));
	assert_ptr_equal(sip_txn_match(f->l, r5), inv);

	struct sip_txn_dest src = fx_dest(SIP_TXN_UDP, "127.0.0.1", 5060, 0);
	fx_recv(f, r2, &src);
	assert_int_equal(sip_txn_state(can), SIP_TXN_COMPLETED);
	assert_int_equal(sip_txn_state(inv), SIP_TXN_CALLING);
	fx_recv(f, r3, &src);
	fx_recv(f, r4, &src);
	assert_int_equal(f->nstray, 2);
	fx_recv(f, r1, &src);
	assert_int_equal(sip_txn_state(inv), SIP_TXN_PROCEEDING);
	sip_msg_free(r5);
	fx_free(f);
}

/* 17.2.3 fallback: Request-URI, To tag, From tag, Call-ID, CSeq and top Via. */
static void test_rfc2543_requests(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = src_udp();

	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 1);
	f->auto_status = 0;
	/* The same request again, with an equivalent Request-URI (19.1.4). */
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1;transport=udp", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 2); /* transport=udp differs from absent (19.1.4) */
	fx_recv(f, req2543("INVITE", "SIP:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 2); /* scheme is case-insensitive */
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f2", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 3);
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", "t9", 1, 5070), &src);
	assert_int_equal(f->nreq, 4);
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", NULL, 2, 5070), &src);
	assert_int_equal(f->nreq, 5);
	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", NULL, 1, 5072), &src);
	assert_int_equal(f->nreq, 6);
	fx_recv(f, req2543("INVITE", "sip:carol@127.0.0.1", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 7);
	fx_recv(f, req2543("OPTIONS", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 8);
	fx_recv(f, req2543("OPTIONS", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	assert_int_equal(f->nreq, 8);
	/* A request with the cookie never matches an RFC 2543 transaction. */
	fx_recv(f, fx_req("INVITE", BR, 1, "UDP", 5070, NULL, NULL), &src);
	assert_int_equal(f->nreq, 9);
	assert_int_equal(sip_txn_layer_count(f->l), 9);
	fx_free(f);
}

/* 17.2.3 fallback for ACK: the To tag of the ACK against the To tag of the response
 * sent; in Accepted the ACK goes to the TU (RFC 6026 6). 9.2 for CANCEL. */
static void test_rfc2543_ack_cancel(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = src_udp();

	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070), &src);
	struct sip_txn *a = f->req_txn[0];
	struct sip_msg *can = req2543("CANCEL", "sip:bob@127.0.0.1", "f1", NULL, 1, 5070);
	assert_ptr_equal(sip_txn_match_cancel(f->l, can), a);
	fx_recv(f, can, &src);
	assert_ptr_equal(f->req_cancelled[1], a);
	struct sip_msg *can2 = req2543("CANCEL", "sip:bob@127.0.0.1", "f1", NULL, 7, 5070);
	assert_null(sip_txn_match_cancel(f->l, can2));
	sip_msg_free(can2);

	assert_int_equal(fx_respond(a, 486), 0); /* To tag uas1 */
	fx_recv(f, req2543("ACK", "sip:bob@127.0.0.1", "f1", "wrong", 1, 5070), &src);
	assert_int_equal(sip_txn_state(a), SIP_TXN_COMPLETED);
	assert_int_equal(f->nstray, 1);
	fx_recv(f, req2543("ACK", "sip:bob@127.0.0.1", "f1", "uas1", 1, 5070), &src);
	assert_int_equal(sip_txn_state(a), SIP_TXN_CONFIRMED);
	assert_int_equal(f->nstray, 1);

	fx_recv(f, req2543("INVITE", "sip:bob@127.0.0.1", "f3", NULL, 1, 5070), &src);
	struct sip_txn *b = f->req_txn[2];
	assert_int_equal(fx_respond(b, 200), 0);
	assert_int_equal(sip_txn_state(b), SIP_TXN_ACCEPTED);
	int nev = f->nev;
	fx_recv(f, req2543("ACK", "sip:bob@127.0.0.1", "f3", "uas1", 1, 5070), &src);
	assert_int_equal(f->nev, nev + 1);
	assert_int_equal(f->ev[nev].type, SIP_TXN_EV_ACK);
	assert_ptr_equal(f->ev[nev].t, b);
	fx_free(f);
}

/* Thousands of live transactions: every one is found (the bucket array grows from
 * 1,024), and they all go away. */
static void test_many(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = fx_dest(SIP_TXN_TCP, "127.0.0.1", 40000, 1);
	enum { N = 5000 };
	static struct sip_txn *txns[N];
	char br[64];

	f->no_record = true;
	for (int i = 0; i < N; i++) {
		snprintf(br, sizeof(br), "z9hG4bKmany%d", i);
		struct sip_msg *m = fx_req("OPTIONS", br, 1, "TCP", 5070, NULL, NULL);
		assert_int_equal(sip_txn_layer_recv(f->l, m, &src), 0);
		f->nreq = 0; /* the fixture keeps 16; only count here */
	}
	assert_int_equal(sip_txn_layer_count(f->l), N);
	for (int i = 0; i < N; i++) {
		snprintf(br, sizeof(br), "z9hG4bKmany%d", i);
		struct sip_msg *m = fx_req("OPTIONS", br, 1, "TCP", 5070, NULL, NULL);
		txns[i] = sip_txn_match(f->l, m);
		assert_non_null(txns[i]);
		assert_int_equal(sip_txn_state(txns[i]), SIP_TXN_TRYING);
		assert_true(strstr(sip_txn_request(txns[i])->buf, br) != NULL);
		sip_msg_free(m);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(sip_txn_respond(txns[i], "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 37), 0);
	assert_int_equal(f->ntotal, N);
	f->nev = 0;
	sip_timers_advance(&f->ts, 0); /* J = 0 on TCP */
	assert_int_equal(sip_txn_layer_count(f->l), 0);
	assert_int_equal(f->nterminated, N);
	fx_free(f);
}

/* Messages matching cannot use are dropped with SIP_EPARSE, no crash, no leak. */
static void test_unmatchable(void **state)
{
	(void)state;
	struct fx *f = fx_new(NULL);
	struct sip_txn_dest src = src_udp();

	struct sip_msg *bad_via = fx_msg("OPTIONS sip:bob@127.0.0.1 SIP/2.0\n"
					 "Via: not a via\n"
					 "From: <sip:a@127.0.0.1>;tag=1\nTo: <sip:bob@127.0.0.1>\n"
					 "Call-ID: x\nCSeq: 1 OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n");
	assert_null(sip_txn_match(f->l, bad_via));
	assert_int_equal(sip_txn_layer_recv(f->l, bad_via, &src), SIP_EPARSE);
	struct sip_msg *bad_resp = fx_msg("SIP/2.0 200 OK\n"
					  "Via: SIP/2.0/UDP\n"
					  "From: <sip:a@127.0.0.1>;tag=1\nTo: <sip:bob@127.0.0.1>\n"
					  "Call-ID: x\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n");
	assert_int_equal(sip_txn_layer_recv(f->l, bad_resp, &src), SIP_EPARSE);
	assert_int_equal(f->nreq, 0);
	assert_int_equal(f->nstray, 0);
	assert_int_equal(sip_txn_layer_recv(f->l, NULL, &src), -EINVAL);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_branch_rules),
		cmocka_unit_test(test_client_matching),
		cmocka_unit_test(test_rfc2543_requests),
		cmocka_unit_test(test_rfc2543_ack_cancel),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_unmatchable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

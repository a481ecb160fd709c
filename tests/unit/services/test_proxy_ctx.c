/* Proxy response context tests (RFC 3261 16.6, 16.7, 16.8, 16.10): every response
 * selection scenario of issue 6, fed in the orders that matter. The "server" here
 * is a recorder behind struct sip_proxy_ops: it keeps what the core asked to send
 * (requests per branch, CANCELs, responses upstream) and which timers run. The
 * responses fed back are real SIP responses, built from the request each branch
 * actually sent (so they carry the proxy's Via) and parsed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proxy_testutil.h"
#include "siphon/proxy.h"

#define MAXB 8
#define MAXR 16

struct rec {
	struct sip_buf req[MAXB];
	struct sip_buf hop[MAXB];
	unsigned nreq;                /* send_request calls */
	struct sip_buf cancel[MAXB];  /* CANCEL sent per branch */
	unsigned ncancel;
	struct sip_buf resp[MAXR];    /* upstream responses, in order */
	int status[MAXR];
	unsigned nresp;
	bool timer_c[MAXB];
	uint32_t timer_c_ms[MAXB];
	bool decline;
	uint32_t decline_ms;
	int fail_send;                /* send_request fails for this branch (-1: none) */
};

static int rec_request(void *arg, unsigned i, struct sip_str msg, struct sip_str hop)
{
	struct rec *r = arg;

	assert_true(i < MAXB);
	r->nreq++;
	sip_buf_reset(&r->req[i]);
	sip_buf_reset(&r->hop[i]);
	assert_int_equal(sip_buf_append_str(&r->req[i], msg), 0);
	assert_int_equal(sip_buf_append_str(&r->hop[i], hop), 0);
	return (int)i == r->fail_send ? SIP_ETRANSPORT : 0;
}

static int rec_cancel(void *arg, unsigned i, struct sip_str msg)
{
	struct rec *r = arg;

	assert_true(i < MAXB);
	assert_int_equal(r->cancel[i].len, 0); /* one CANCEL per branch */
	r->ncancel++;
	return sip_buf_append_str(&r->cancel[i], msg);
}

static int rec_response(void *arg, int status, struct sip_str msg)
{
	struct rec *r = arg;

	assert_true(r->nresp < MAXR);
	r->status[r->nresp] = status;
	return sip_buf_append_str(&r->resp[r->nresp++], msg);
}

static void rec_timer_start(void *arg, enum sip_proxy_timer t, unsigned b, uint32_t ms)
{
	struct rec *r = arg;

	if (t == SIP_PROXY_TIMER_C) {
		assert_true(b < MAXB);
		r->timer_c[b] = true;
		r->timer_c_ms[b] = ms;
	} else {
		assert_int_equal(t, SIP_PROXY_TIMER_DECLINE);
		r->decline = true;
		r->decline_ms = ms;
	}
}

static void rec_timer_stop(void *arg, enum sip_proxy_timer t, unsigned b)
{
	struct rec *r = arg;

	if (t == SIP_PROXY_TIMER_C)
		r->timer_c[b] = false;
	else
		r->decline = false;
}

static void rec_free(struct rec *r)
{
	for (unsigned i = 0; i < MAXB; i++) {
		sip_buf_free(&r->req[i]);
		sip_buf_free(&r->hop[i]);
		sip_buf_free(&r->cancel[i]);
	}
	for (unsigned i = 0; i < MAXR; i++)
		sip_buf_free(&r->resp[i]);
}

/* ---- Fixture: an INVITE from alice to bob, proxied by 192.0.2.1 ---- */

static const char invite_s[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKcaller1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	"From: Alice <sip:alice@example.com>;tag=a1\r\n"
	"Call-ID: fork-test-1@198.51.100.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@198.51.100.7:5060>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n\r\n"
	"v=0\n";

static const struct sip_proxy_self self[] = { { SIP_STR_INIT("192.0.2.1"), 5060 } };

struct fx {
	struct sip_proxy_config cfg;
	struct sip_proxy_ops ops;
	struct sip_proxy_fwd def;
	struct sip_proxy_req req;
	struct sip_msg *invite;
	struct sip_proxy_ctx *ctx;
	struct rec rec;
};

static void fx_init(struct fx *f, const char *request)
{
	struct sip_proxy_check chk;

	memset(f, 0, sizeof(*f));
	f->rec.fail_send = -1;
	f->cfg.self = self;
	f->cfg.nself = 1;
	f->cfg.timer_c_ms = 181000;
	f->cfg.decline_wait_ms = 3000;
	f->ops = (struct sip_proxy_ops){ rec_request, rec_cancel, rec_response, rec_timer_start,
					 rec_timer_stop, &f->rec };
	f->def.via = SIP_STR("SIP/2.0/UDP 192.0.2.1:5060");
	f->def.rr = SIP_STR("sip:192.0.2.1:5060;lr");
	f->invite = parse(request ? request : invite_s);
	assert_int_equal(sip_proxy_validate(&chk, &f->cfg, f->invite), 0);
	assert_int_equal(chk.status, 0);
	assert_int_equal(sip_proxy_preprocess(&f->req, &f->cfg, f->invite, &chk), 0);
}

/* Targets given as "uri" strings with q-values. */
static void fx_start(struct fx *f, const char *const *uris, const int *qs, size_t n)
{
	struct sip_proxy_target t[MAXB];

	memset(t, 0, sizeof(t));
	for (size_t i = 0; i < n; i++) {
		t[i].uri = sip_str_from_cstr(uris[i]);
		t[i].q = qs ? qs[i] : -1;
	}
	assert_int_equal(sip_proxy_ctx_alloc(&f->ctx, &f->cfg, &f->ops, &f->req, &f->def, t, n), 0);
	assert_int_equal(sip_proxy_ctx_start(f->ctx), 0);
}

static void fx_free(struct fx *f)
{
	sip_proxy_ctx_free(f->ctx);
	sip_msg_free(f->invite);
	rec_free(&f->rec);
}

/* The request branch i sent, parsed. */
static struct sip_msg *sent(struct fx *f, unsigned i)
{
	assert_true(f->rec.req[i].len > 0);
	return parse_n(f->rec.req[i].p, f->rec.req[i].len);
}

/* Feed branch i a response with this code, built by the callee from the request
 * it received. extra: header lines to add ("Name: value\r\n"...), or NULL. */
static void answer(struct fx *f, unsigned i, int code, const char *extra)
{
	struct sip_msg *req = sent(f, i), *resp;
	struct sip_out *o;
	char tag[16];

	snprintf(tag, sizeof(tag), "callee%u", i);
	assert_int_equal(sip_out_response_to(&o, req, code, NULL, sip_str_from_cstr(tag)), 0);
	while (extra && *extra) {
		const char *colon = strchr(extra, ':'), *eol = strstr(extra, "\r\n");
		assert_non_null(colon);
		assert_non_null(eol);
		assert_int_equal(sip_out_add_name(o, (struct sip_str){ extra, (size_t)(colon - extra) },
						  sip_str_trim((struct sip_str){ colon + 1, (size_t)(eol - colon - 1) })),
				 0);
		extra = eol + 2;
	}
	if (code >= 200 && code < 300)
		assert_int_equal(sip_out_add(o, SIP_HDR_CONTACT, SIP_STR("<sip:bob@203.0.113.5>")), 0);
	resp = roundtrip(o);
	assert_int_equal(sip_proxy_ctx_response(f->ctx, i, resp), 0);
	sip_msg_free(resp);
	sip_msg_free(req);
}

/* Upstream response k, parsed. */
static struct sip_msg *upstream(struct fx *f, unsigned k)
{
	assert_true(k < f->rec.nresp);
	return parse_n(f->rec.resp[k].p, f->rec.resp[k].len);
}

/* Check the CANCEL of branch i: 9.1 shape and Reason (NULL: none). */
static void assert_cancel(struct fx *f, unsigned i, const char *reason)
{
	struct sip_msg *req = sent(f, i), *c;
	const struct sip_via *v1, *v2;
	const struct sip_cseq *cs;

	assert_true(f->rec.cancel[i].len > 0);
	c = parse_n(f->rec.cancel[i].p, f->rec.cancel[i].len);
	assert_int_equal(c->method, SIP_METHOD_CANCEL);
	assert_true(sip_str_eq(c->ruri_str, req->ruri_str));
	assert_int_equal(sip_msg_via_count(c), 1);
	assert_int_equal(sip_msg_via(c, 0, &v1), 0);
	assert_int_equal(sip_msg_via(req, 0, &v2), 0);
	assert_true(sip_str_eq(v1->branch, v2->branch)); /* same branch as the INVITE */
	assert_int_equal(sip_msg_cseq(c, &cs), 0);
	assert_int_equal(cs->seq, 1);
	assert_int_equal(cs->method, SIP_METHOD_CANCEL);
	if (reason)
		assert_string_equal(hdr_value(c, "Reason"), reason);
	else
		assert_false(sip_msg_has(c, SIP_HDR_REASON));
	sip_msg_free(c);
	sip_msg_free(req);
}

/* The upstream response k is a relay of a callee's response (not made up here):
 * the proxy's Via is gone and the caller's Via is on top. */
static void assert_relayed(struct fx *f, unsigned k, int status, const char *to_tag)
{
	struct sip_msg *m = upstream(f, k);
	const struct sip_via *v;
	const struct sip_addr *to;

	assert_int_equal(m->status, status);
	assert_int_equal(f->rec.status[k], status);
	assert_int_equal(sip_msg_via_count(m), 1);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_str(v->branch, "z9hG4bKcaller1");
	assert_int_equal(sip_msg_to(m, &to), 0);
	assert_string_equal(to_tag, (sip_str_copy((char[32]){ 0 }, 32, to->tag)));
	sip_msg_free(m);
}

static const char *const two[] = { "sip:bob@203.0.113.5:5060", "sip:bob@203.0.113.6:5062" };
static const char reason603[] = "SIP;cause=603;text=\"Decline\"";

/* ---- Scenarios ---- */

/* 603 from the only contact: goes upstream as is, nothing cancelled. */
static void test_603_only_contact(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 1);
	assert_int_equal(f.rec.nreq, 1);
	assert_true(f.rec.timer_c[0]);
	assert_int_equal(f.rec.timer_c_ms[0], 181000);
	answer(&f, 0, 100, NULL);
	assert_int_equal(f.rec.nresp, 0); /* 100 is never forwarded */
	answer(&f, 0, 603, NULL);
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 603, "callee0");
	assert_int_equal(f.rec.ncancel, 0);
	assert_false(f.rec.timer_c[0]);
	assert_false(f.rec.decline);
	assert_int_equal(sip_proxy_ctx_final_status(f.ctx), 603);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* Two contacts: one rings, the other declines. The 180 goes up; the ringing
 * branch is cancelled with Reason 603 "Decline"; when it ends with 487 the caller
 * gets the 603, not the 487. */
static void test_ringing_and_603(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	assert_int_equal(f.rec.nreq, 2);
	assert_str(sip_buf_str(&f.rec.hop[0]), "sip:bob@203.0.113.5:5060");
	assert_str(sip_buf_str(&f.rec.hop[1]), "sip:bob@203.0.113.6:5062");
	answer(&f, 0, 180, NULL);
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 180, "callee0");
	answer(&f, 1, 603, NULL);
	/* Held, not forwarded; branch 0 cancelled with the decline's Reason. */
	assert_int_equal(f.rec.nresp, 1);
	assert_int_equal(f.rec.ncancel, 1);
	assert_cancel(&f, 0, reason603);
	assert_true(f.rec.decline);
	assert_int_equal(f.rec.decline_ms, 3000);
	assert_int_equal(sip_proxy_ctx_final_status(f.ctx), 0);
	answer(&f, 0, 487, NULL);
	assert_int_equal(f.rec.nresp, 2);
	assert_relayed(&f, 1, 603, "callee1");
	assert_false(f.rec.decline);
	assert_int_equal(f.rec.ncancel, 1);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* The other branch has not answered at all when the 603 comes: its CANCEL waits
 * for a provisional response (9.1); if none comes, the bound sends the 603. */
static void test_603_with_silent_branch(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 1, 603, NULL);
	assert_int_equal(f.rec.ncancel, 0); /* no provisional yet on branch 0 */
	assert_int_equal(f.rec.nresp, 0);
	answer(&f, 0, 100, NULL);
	assert_int_equal(f.rec.ncancel, 1); /* now it may be cancelled */
	assert_cancel(&f, 0, reason603);
	/* The callee never answers the INVITE: the bound passes. */
	assert_true(f.rec.decline);
	assert_int_equal(sip_proxy_ctx_timer(f.ctx, SIP_PROXY_TIMER_DECLINE, 0), 0);
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 603, "callee1");
	assert_false(sip_proxy_ctx_done(f.ctx)); /* branch 0 still runs */
	answer(&f, 0, 487, NULL);
	assert_int_equal(f.rec.nresp, 1); /* absorbed */
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* Both answer 486: the caller gets 486 (the first one). */
static void test_both_486(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 1, 486, NULL);
	assert_int_equal(f.rec.nresp, 0);
	answer(&f, 0, 486, NULL);
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 486, "callee1");
	assert_int_equal(f.rec.ncancel, 0);
	fx_free(&f);
}

/* 2xx first: forwarded at once, the other branch cancelled with Reason 200;
 * the 6xx that follows is not forwarded. */
static void test_2xx_then_6xx(void **state)
{
	struct fx f;
	struct sip_msg *m;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 1, 180, NULL);
	answer(&f, 0, 200, NULL);
	assert_int_equal(f.rec.nresp, 2);
	assert_relayed(&f, 1, 200, "callee0");
	m = upstream(&f, 1);
	assert_string_equal(hdr_value(m, "Contact"), "<sip:bob@203.0.113.5>");
	sip_msg_free(m);
	assert_int_equal(f.rec.ncancel, 1);
	assert_cancel(&f, 1, "SIP;cause=200;text=\"Call completed elsewhere\"");
	answer(&f, 1, 603, NULL);
	assert_int_equal(f.rec.nresp, 2);
	assert_false(f.rec.decline);
	assert_int_equal(sip_proxy_ctx_final_status(f.ctx), 200);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* 6xx first: branches cancelled; a 2xx that arrives before the CANCEL takes
 * effect is still forwarded (16.7 step 5), and the 6xx never goes up. */
static void test_6xx_then_2xx(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 180, NULL);
	answer(&f, 1, 600, NULL);
	assert_int_equal(f.rec.nresp, 1);
	assert_cancel(&f, 0, "SIP;cause=600;text=\"Busy Everywhere\"");
	answer(&f, 0, 200, NULL);
	assert_int_equal(f.rec.nresp, 2);
	assert_relayed(&f, 1, 200, "callee0");
	assert_false(f.rec.decline);
	assert_int_equal(sip_proxy_ctx_final_status(f.ctx), 200);
	assert_true(sip_proxy_ctx_done(f.ctx));
	/* A second 2xx (another fork downstream) is forwarded too. */
	answer(&f, 0, 200, NULL);
	assert_int_equal(f.rec.nresp, 3);
	assert_int_equal(f.rec.status[2], 200);
	fx_free(&f);
}

/* q groups: the 1.0 group forks in parallel; when it all fails the 0.5 group is
 * tried; after a 6xx no further group starts. */
static void test_q_groups(void **state)
{
	static const char *const uris[] = { "sip:bob@203.0.113.9", "sip:bob@203.0.113.5",
					    "sip:bob@203.0.113.6", "sip:bob@203.0.113.5;transport=udp" };
	static const int qs[] = { 500, 1000, -1, 1000 };
	struct fx f;
	bool started;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, uris, qs, 4);
	/* Sorted: .5 (q=1), .6 (absent = 1), .5;transport=udp (q=1, not the same
	 * URI per 19.1.4), .9 (q=0.5). */
	assert_int_equal(sip_proxy_ctx_branch_count(f.ctx), 4);
	assert_int_equal(f.rec.nreq, 3);
	assert_str(sip_buf_str(&f.rec.hop[0]), "sip:bob@203.0.113.5");
	assert_str(sip_buf_str(&f.rec.hop[1]), "sip:bob@203.0.113.6");
	assert_str(sip_buf_str(&f.rec.hop[2]), "sip:bob@203.0.113.5;transport=udp");
	sip_proxy_ctx_branch_status(f.ctx, 3, &started);
	assert_false(started);
	answer(&f, 0, 486, NULL);
	answer(&f, 2, 480, NULL);
	assert_int_equal(f.rec.nreq, 3);
	answer(&f, 1, 404, NULL);
	/* The first group all failed: the next one starts, nothing went up. */
	assert_int_equal(f.rec.nreq, 4);
	assert_int_equal(f.rec.nresp, 0);
	assert_str(sip_buf_str(&f.rec.hop[3]), "sip:bob@203.0.113.9");
	answer(&f, 3, 302, "Contact: <sip:bob@elsewhere.example>\r\n");
	/* Best: the lowest class, 3xx (not recursed), with its Contact. */
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 302, "callee3");
	fx_free(&f);

	/* Same targets, but the first group declines: the second never starts. */
	fx_init(&f, NULL);
	fx_start(&f, uris, qs, 4);
	answer(&f, 0, 486, NULL);
	answer(&f, 1, 603, NULL);
	answer(&f, 2, 100, NULL);
	assert_cancel(&f, 2, reason603);
	answer(&f, 2, 487, NULL);
	assert_int_equal(f.rec.nreq, 3);
	sip_proxy_ctx_branch_status(f.ctx, 3, &started);
	assert_false(started);
	assert_int_equal(f.rec.nresp, 1);
	assert_relayed(&f, 0, 603, "callee1");
	fx_free(&f);
}

/* 401 and 407 from two branches: the chosen one carries every challenge. */
static void test_auth_aggregation(void **state)
{
	struct fx f;
	struct sip_msg *m;
	const struct sip_auth *a;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 407, "Proxy-Authenticate: Digest realm=\"a.example\", nonce=\"n1\"\r\n");
	answer(&f, 1, 401, "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"n2\"\r\n"
			   "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"n3\", algorithm=SHA-256\r\n");
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 407); /* first of the preferred 4xx */
	assert_int_equal(hdr_lines(m, SIP_HDR_PROXY_AUTHENTICATE), 1);
	assert_int_equal(hdr_lines(m, SIP_HDR_WWW_AUTHENTICATE), 2);
	assert_int_equal(sip_msg_auth(m, SIP_HDR_PROXY_AUTHENTICATE, 0, &a), 0);
	assert_str(a->realm, "a.example");
	assert_int_equal(sip_msg_auth(m, SIP_HDR_WWW_AUTHENTICATE, 1, &a), 0);
	assert_str(a->nonce, "n3");
	assert_str(a->algorithm, "SHA-256");
	sip_msg_free(m);
	fx_free(&f);

	/* A 401 preferred over a 404 that came first. */
	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 404, NULL);
	answer(&f, 1, 401, "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"n2\"\r\n");
	assert_relayed(&f, 0, 401, "callee1");
	fx_free(&f);
}

/* 16.7 with three branches: only the best response so far and the 401/407 are
 * kept while branches run (a beaten one is dropped at once); what goes up is
 * still the best, with every challenge (step 7). */
static void test_keep_best_and_challenges(void **state)
{
	static const char *const three[] = { "sip:bob@203.0.113.5:5060", "sip:bob@203.0.113.6:5062",
					     "sip:bob@203.0.113.7:5064" };
	struct fx f;
	struct sip_msg *m;
	const struct sip_addr *to;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, three, NULL, 3);
	answer(&f, 0, 486, NULL); /* best so far */
	answer(&f, 1, 401, "WWW-Authenticate: Digest realm=\"b.example\", nonce=\"n1\"\r\n");
	answer(&f, 2, 407, "Proxy-Authenticate: Digest realm=\"c.example\", nonce=\"n2\"\r\n");
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 401); /* the first of the preferred 4xx */
	assert_int_equal(sip_msg_to(m, &to), 0);
	assert_str(to->tag, "callee1");
	assert_int_equal(hdr_lines(m, SIP_HDR_WWW_AUTHENTICATE), 1);
	assert_int_equal(hdr_lines(m, SIP_HDR_PROXY_AUTHENTICATE), 1);
	sip_msg_free(m);
	fx_free(&f);

	/* Equal ranks: the first stays best, the later ones are not kept. */
	fx_init(&f, NULL);
	fx_start(&f, three, NULL, 3);
	answer(&f, 0, 480, NULL);
	answer(&f, 1, 404, NULL);
	answer(&f, 2, 500, NULL);
	assert_relayed(&f, 0, 480, "callee0");
	fx_free(&f);
}

/* 16.7 step 5 after the held 6xx went up (the decline wait ended): a 200 from the
 * branch that was still running is relayed all the same, and its retransmission
 * too; nothing else is. */
static void test_2xx_after_6xx_sent(void **state)
{
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 603, NULL);
	assert_int_equal(f.rec.nresp, 0); /* held */
	assert_int_equal(sip_proxy_ctx_timer(f.ctx, SIP_PROXY_TIMER_DECLINE, 0), 0);
	assert_relayed(&f, 0, 603, "callee0");
	assert_false(sip_proxy_ctx_done(f.ctx));
	answer(&f, 1, 200, NULL);
	answer(&f, 1, 200, NULL);
	assert_int_equal(f.rec.nresp, 3);
	assert_relayed(&f, 1, 200, "callee1");
	assert_relayed(&f, 2, 200, "callee1");
	assert_int_equal(sip_proxy_ctx_final_status(f.ctx), 603);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* 503 is never forwarded: 500 instead; another 5xx is preferred to it, and a
 * 4xx to both. */
static void test_503_becomes_500(void **state)
{
	struct fx f;
	struct sip_msg *m;
	const struct sip_addr *to;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 1);
	answer(&f, 0, 503, "Retry-After: 30\r\n");
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 500);
	assert_false(sip_msg_has(m, SIP_HDR_RETRY_AFTER)); /* made here, not the 503 */
	assert_int_equal(sip_msg_to(m, &to), 0);
	assert_true(to->tag.len > 0);
	assert_string_equal(hdr_value(m, "Call-ID"), "fork-test-1@198.51.100.7");
	assert_int_equal(sip_msg_via_count(m), 1);
	sip_msg_free(m);
	fx_free(&f);

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 503, NULL);
	answer(&f, 1, 502, NULL);
	assert_relayed(&f, 0, 502, "callee1");
	fx_free(&f);

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 503, NULL);
	answer(&f, 1, 480, NULL);
	assert_relayed(&f, 0, 480, "callee1");
	fx_free(&f);
}

/* Timer C: a ringing branch is cancelled and counts as 408; one that never
 * answered counts as 408 and is cancelled if it rings later. */
static void test_timer_c(void **state)
{
	struct fx f;
	struct sip_msg *m;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 180, NULL);
	assert_true(f.rec.timer_c[0]);
	answer(&f, 1, 486, NULL);
	assert_int_equal(sip_proxy_ctx_timer(f.ctx, SIP_PROXY_TIMER_C, 0), 0);
	assert_int_equal(f.rec.ncancel, 1);
	assert_cancel(&f, 0, NULL);
	/* 408 and 486: both 4xx, 486 came first. */
	assert_int_equal(f.rec.nresp, 2);
	assert_relayed(&f, 1, 486, "callee1");
	assert_int_equal(sip_proxy_ctx_branch_status(f.ctx, 0, NULL), 408);
	answer(&f, 0, 487, NULL);
	assert_int_equal(f.rec.nresp, 2);
	fx_free(&f);

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 1);
	assert_int_equal(sip_proxy_ctx_timer(f.ctx, SIP_PROXY_TIMER_C, 0), 0);
	assert_int_equal(f.rec.ncancel, 0); /* 9.1: no provisional, no CANCEL */
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 408);
	sip_msg_free(m);
	answer(&f, 0, 180, NULL); /* it rings after all: cancelled, not forwarded */
	assert_int_equal(f.rec.ncancel, 1);
	assert_int_equal(f.rec.nresp, 1);
	fx_free(&f);

	/* A client transaction timeout (timer B) is a 408 too; a transport failure a
	 * 503, which goes up as 500. */
	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	assert_int_equal(sip_proxy_ctx_timeout(f.ctx, 0), 0);
	assert_int_equal(sip_proxy_ctx_transport_error(f.ctx, 1), 0);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 408);
	sip_msg_free(m);
	fx_free(&f);
}

/* Caller CANCEL: every pending branch cancelled (Reason copied), 487 upstream;
 * the branches' 487s are absorbed. */
static void test_caller_cancel(void **state)
{
	static const char cancel_s[] =
		"CANCEL sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKcaller1;rport\r\n"
		"Max-Forwards: 70\r\n"
		"To: Bob <sip:bob@example.com>\r\n"
		"From: Alice <sip:alice@example.com>;tag=a1\r\n"
		"Call-ID: fork-test-1@198.51.100.7\r\n"
		"CSeq: 1 CANCEL\r\n"
		"Reason: Q.850;cause=16;text=\"Terminated\"\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *cancel = parse(cancel_s), *m;
	struct fx f;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 2);
	answer(&f, 0, 180, NULL);
	answer(&f, 1, 100, NULL);
	assert_int_equal(sip_proxy_ctx_cancel(f.ctx, cancel), 0);
	assert_int_equal(f.rec.ncancel, 2);
	assert_cancel(&f, 0, "Q.850;cause=16;text=\"Terminated\"");
	assert_cancel(&f, 1, "Q.850;cause=16;text=\"Terminated\"");
	assert_int_equal(f.rec.nresp, 2);
	m = upstream(&f, 1);
	assert_int_equal(m->status, 487);
	assert_int_equal(sip_msg_via_count(m), 1);
	{
		/* 9.2: the server's 200 to the CANCEL can use the same To tag. */
		const struct sip_addr *to;
		assert_int_equal(sip_msg_to(m, &to), 0);
		assert_true(sip_str_eq(to->tag, sip_proxy_ctx_to_tag(f.ctx)));
		assert_true(to->tag.len > 0);
	}
	sip_msg_free(m);
	assert_false(sip_proxy_ctx_done(f.ctx));
	answer(&f, 0, 487, NULL);
	answer(&f, 1, 487, NULL);
	assert_int_equal(f.rec.nresp, 2);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
	sip_msg_free(cancel);
}

/* A branch whose send fails counts as 503; with no other branch, 500 goes up. A
 * duplicate target is dropped; no target at all is refused. */
static void test_send_failure_and_targets(void **state)
{
	static const char *const dup[] = { "sip:bob@example.net", "sip:bob@EXAMPLE.net;foo=1",
					   "sip:BOB@example.net", "sip:bob@example.net:5060" };
	struct fx f;
	struct sip_msg *m;
	struct sip_proxy_ctx *c;
	(void)state;

	fx_init(&f, NULL);
	f.rec.fail_send = 0;
	fx_start(&f, two, NULL, 1);
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 500);
	sip_msg_free(m);
	assert_false(f.rec.timer_c[0]);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);

	fx_init(&f, NULL);
	fx_start(&f, dup, NULL, 4);
	/* 19.1.4: host case and a parameter only one side has do not matter (the
	 * second is the first again); the user part is case-sensitive and an
	 * explicit default port differs from none (the third and fourth stay). */
	assert_int_equal(sip_proxy_ctx_branch_count(f.ctx), 3);
	assert_int_equal(f.rec.nreq, 3);
	assert_str(sip_buf_str(&f.rec.hop[1]), "sip:BOB@example.net");
	fx_free(&f);

	fx_init(&f, NULL);
	{
		struct sip_proxy_target t[2] = { { SIP_STR("sip:bob@203.0.113.5;lr"), 1000, { 0 }, { 0 }, { 0 } },
						 { SIP_STR("sip:bob@203.0.113.5;lr"), 500, { 0 }, { 0 }, { 0 } } };
		assert_int_equal(sip_proxy_ctx_alloc(&c, &f.cfg, &f.ops, &f.req, &f.def, t, 2), 0);
		assert_int_equal(sip_proxy_ctx_branch_count(c), 1);
		sip_proxy_ctx_free(c);
		assert_int_equal(sip_proxy_ctx_alloc(&c, &f.cfg, &f.ops, &f.req, &f.def, t, 0), -EINVAL);
	}
	fx_free(&f);
}

/* A non-INVITE request (MESSAGE) forked: no timer C, no CANCEL, only the first
 * final response goes up. */
static void test_non_invite(void **state)
{
	static const char msg_s[] =
		"MESSAGE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKcaller1\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"Call-ID: msg-1\r\n"
		"CSeq: 5 MESSAGE\r\n"
		"Content-Type: text/plain\r\n"
		"Content-Length: 2\r\n\r\nhi";
	struct fx f;
	(void)state;

	fx_init(&f, msg_s);
	fx_start(&f, two, NULL, 2);
	assert_false(f.rec.timer_c[0]);
	answer(&f, 1, 200, NULL);
	assert_relayed(&f, 0, 200, "callee1");
	assert_int_equal(f.rec.ncancel, 0);
	answer(&f, 0, 200, NULL);
	assert_int_equal(f.rec.nresp, 1);
	assert_true(sip_proxy_ctx_done(f.ctx));
	fx_free(&f);
}

/* A downstream element that drops Via values: with ours popped nothing would be
 * left (16.7 item 3), so the response is not relayed; a failure is answered as
 * made here, a 1xx is dropped. */
static void test_viasless_response(void **state)
{
	struct fx f;
	struct sip_msg *req, *resp, *m;
	struct sip_out *o;
	const struct sip_via *v;
	(void)state;

	fx_init(&f, NULL);
	fx_start(&f, two, NULL, 1);
	req = sent(&f, 0);
	for (int code = 180; code; code = code == 180 ? 486 : 0) {
		assert_int_equal(sip_out_response_to(&o, req, code, NULL, SIP_STR("cut")), 0);
		resp = roundtrip(o);
		assert_int_equal(sip_out_from_msg(&o, resp), 0);
		assert_int_equal(sip_out_remove(o, SIP_HDR_VIA, NULL), 0);
		assert_int_equal(sip_out_add(o, SIP_HDR_VIA, SIP_STR("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx")), 0);
		m = roundtrip(o);
		sip_msg_free(resp);
		assert_int_equal(sip_proxy_ctx_response(f.ctx, 0, m), 0);
		sip_msg_free(m);
	}
	assert_int_equal(f.rec.nresp, 1);
	m = upstream(&f, 0);
	assert_int_equal(m->status, 486);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_str(v->branch, "z9hG4bKcaller1");
	sip_msg_free(m);
	sip_msg_free(req);
	fx_free(&f);
}

/* Any order: random interleavings (fixed seed, bounded count) of 1-4 branches,
 * each answering 0-2 provisional responses and one final response, checked
 * against a model of 16.7: every 2xx goes up and the first final one upstream
 * is the first 2xx if any; otherwise exactly one final response goes up when the
 * last branch ends: the first 6xx if any, else the best by step 6 (503 as 500);
 * provisionals other than 100 go up only before the first final; a 6xx held
 * while others run cancels every branch that had a provisional. */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static int model_rank(int st)
{
	int cls = st / 100;

	if (cls == 6)
		return 0;
	if (cls == 4)
		return (st == 401 || st == 407 || st == 415 || st == 420 || st == 484) ? 40 : 41;
	if (cls == 5)
		return st == 503 ? 51 : 50;
	return cls * 10;
}

static void test_random_orders(void **state)
{
	static const char *const uris[] = { "sip:b@203.0.113.1", "sip:b@203.0.113.2", "sip:b@203.0.113.3",
					    "sip:b@203.0.113.4" };
	static const int finals[] = { 200, 486, 404, 603, 600, 503, 502, 401, 407, 302, 480, 487 };
	uint32_t seed = 0x603u;
	(void)state;

	for (int round = 0; round < 400; round++) {
		struct { unsigned br; int code; } ev[4 * 3];
		unsigned nev = 0, nb = 1 + lcg(&seed) % 4, left[4], pos[4];
		int codes[4][3];
		struct fx f;
		int first_2xx = -1, n2xx = 0, best = -1, sixx = 0;
		unsigned prov_up = 0, k;
		bool final_seen = false;

		/* Each branch: 0-2 provisionals, then a final. */
		for (unsigned b = 0; b < nb; b++) {
			unsigned np = lcg(&seed) % 3;
			for (unsigned j = 0; j < np; j++)
				codes[b][j] = (lcg(&seed) & 1) ? 180 : 100;
			codes[b][np] = finals[lcg(&seed) % (sizeof(finals) / sizeof(finals[0]))];
			left[b] = np + 1;
			pos[b] = 0;
		}
		/* A random interleaving keeping each branch's order. */
		for (;;) {
			unsigned live = 0, pick;
			for (unsigned b = 0; b < nb; b++)
				live += left[b] > 0;
			if (!live)
				break;
			pick = lcg(&seed) % live;
			for (unsigned b = 0; b < nb; b++)
				if (left[b] && pick-- == 0) {
					ev[nev].br = b;
					ev[nev++].code = codes[b][pos[b]++];
					left[b]--;
					break;
				}
		}
		/* The model. */
		for (k = 0; k < nev; k++) {
			int c = ev[k].code;
			if (c >= 200 && c < 300) {
				n2xx++;
				if (first_2xx < 0)
					first_2xx = (int)k;
			}
		}
		{
			unsigned ended = 0;
			for (k = 0; k < nev; k++) {
				int c = ev[k].code;
				if (c < 200) {
					if (c > 100 && !final_seen)
						prov_up++;
					continue;
				}
				ended++;
				if (c >= 600 && !sixx)
					sixx = c;
				if (c >= 300 && (best < 0 || model_rank(c) < model_rank(best)))
					best = c;
				if ((int)k == first_2xx || (first_2xx < 0 && ended == nb))
					final_seen = true;
			}
		}

		fx_init(&f, NULL);
		fx_start(&f, uris, NULL, nb);
		for (k = 0; k < nev; k++)
			answer(&f, ev[k].br, ev[k].code, NULL);

		/* Upstream: provisionals, then finals. */
		{
			unsigned nprov = 0, nfinal = 0, n2 = 0;
			int first_final = 0;
			for (unsigned r = 0; r < f.rec.nresp; r++) {
				int st = f.rec.status[r];
				assert_true(st > 100);
				if (st < 200) {
					assert_int_equal(nfinal, 0); /* never after a final */
					nprov++;
					continue;
				}
				if (!nfinal)
					first_final = st;
				nfinal++;
				if (st < 300)
					n2++;
				else
					assert_int_equal(nfinal, 1); /* one non-2xx, and only first */
			}
			assert_int_equal(nprov, prov_up);
			assert_int_equal(n2, n2xx);
			if (first_2xx >= 0) {
				assert_int_equal(first_final, 200);
			} else {
				int want = sixx ? sixx : (best == 503 ? 500 : best);
				assert_int_equal(nfinal, 1);
				if (want != first_final)
					fail_msg("round %d: want %d got %d", round, want, first_final);
			}
		}
		assert_true(sip_proxy_ctx_done(f.ctx));
		assert_false(f.rec.decline);
		for (unsigned b = 0; b < nb; b++)
			assert_false(f.rec.timer_c[b]);
		fx_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_603_only_contact),
		cmocka_unit_test(test_ringing_and_603),
		cmocka_unit_test(test_603_with_silent_branch),
		cmocka_unit_test(test_both_486),
		cmocka_unit_test(test_2xx_then_6xx),
		cmocka_unit_test(test_6xx_then_2xx),
		cmocka_unit_test(test_q_groups),
		cmocka_unit_test(test_auth_aggregation),
		cmocka_unit_test(test_keep_best_and_challenges),
		cmocka_unit_test(test_2xx_after_6xx_sent),
		cmocka_unit_test(test_503_becomes_500),
		cmocka_unit_test(test_timer_c),
		cmocka_unit_test(test_caller_cancel),
		cmocka_unit_test(test_send_failure_and_targets),
		cmocka_unit_test(test_non_invite),
		cmocka_unit_test(test_viasless_response),
		cmocka_unit_test(test_random_orders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Dialog tests (RFC 3261 12): creation as UAC and UAS with Record-Route route sets,
 * in-dialog requests through loose and strict routers (12.2.1.1 and its example),
 * CSeq rules (12.2.2), target refresh, and the dialog table. Every request built is
 * serialized and parsed back, and its values are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siphon/dialog.h"
#include "siphon/err.h"

static struct sip_msg *parse(const char *s)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error e = { 0, NULL, 0 };
	int err = sip_msg_parse(&m, s, strlen(s), NULL, &e);

	if (err)
		fail_msg("parse failed (%d): %s in:\n%s", err, e.reason ? e.reason : "", s);
	return m;
}

/* Serialize o, free it, parse the bytes back. */
static struct sip_msg *roundtrip(struct sip_out *o)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m;

	assert_int_equal(sip_out_serialize(o, &b), 0);
	sip_out_free(o);
	m = parse(b.p);
	sip_buf_free(&b);
	return m;
}

#define assert_str(s, c)                                                              \
	do {                                                                          \
		struct sip_str s_ = (s);                                              \
		if (s_.len != strlen(c) || memcmp(s_.p, (c), s_.len) != 0)            \
			fail_msg("expected \"%s\", got \"%.*s\"", (c), SIP_STR_ARG(s_)); \
	} while (0)

static const char *hdr_contact(struct sip_msg *m)
{
	static char buf[256];
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTACT);

	buf[0] = '\0';
	if (h)
		sip_str_copy(buf, sizeof(buf), h->value);
	return buf;
}

/* The Route values of m, joined by "," for easy comparison. */
static void routes_of(struct sip_msg *m, char *dst, size_t n)
{
	int count = sip_msg_route_count(m);

	dst[0] = '\0';
	for (int i = 0; i < count; i++) {
		const struct sip_addr *a;
		assert_int_equal(sip_msg_route(m, (unsigned)i, &a), 0);
		snprintf(dst + strlen(dst), n - strlen(dst), "%s%.*s", i ? "," : "", SIP_STR_ARG(a->uri_str));
	}
}

static const struct sip_dialog_req_opts via_only = { SIP_STR_INIT("SIP/2.0/UDP 192.0.2.10:5060"), { NULL, 0 }, 0 };

/* The INVITE of the 12.2.1.1 / 16.12.1.1 examples, as it reaches the callee. */
static const char invite_at_uas[] =
	"INVITE sip:callee@u2.domain.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP p2.domain.com;branch=z9hG4bK2d4790.1\r\n"
	"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bK2d4790.2\r\n"
	"Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKnashds8\r\n"
	"Max-Forwards: 68\r\n"
	"To: Callee <sip:callee@domain.com>\r\n"
	"From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@u1.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:caller@u1.example.com>\r\n"
	"Record-Route: <sip:p2.domain.com;lr>\r\n"
	"Record-Route: <sip:p1.example.com;lr>\r\n"
	"Content-Length: 0\r\n\r\n";

/* The INVITE the caller sent, and the 200 it got back through both proxies. */
static const char invite_at_uac[] =
	"INVITE sip:callee@domain.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKnashds8\r\n"
	"Max-Forwards: 70\r\n"
	"To: Callee <sip:callee@domain.com>\r\n"
	"From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@u1.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:caller@u1.example.com>\r\n"
	"Content-Length: 0\r\n\r\n";

static const char ok_at_uac[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKnashds8\r\n"
	"To: Callee <sip:callee@domain.com>;tag=a6c85cf\r\n"
	"From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@u1.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:callee@u2.domain.com>\r\n"
	"Record-Route: <sip:p2.domain.com;lr>\r\n"
	"Record-Route: <sip:p1.example.com;lr>\r\n"
	"Content-Length: 0\r\n\r\n";

static void test_uac_create_reverses_route_set(void **state)
{
	struct sip_msg *req = parse(invite_at_uac), *resp = parse(ok_at_uac), *bye;
	struct sip_dialog_req_opts opts = { SIP_STR("SIP/2.0/UDP u1.example.com"), SIP_STR_NULL, 0 };
	const struct sip_cseq *cseq;
	const struct sip_addr *a;
	const struct sip_via *v;
	struct sip_dialog *d;
	struct sip_out *o;
	struct sip_str cid;
	char routes[256];
	(void)state;

	assert_int_equal(sip_dialog_uac_alloc(&d, req, resp, false), 0);
	sip_msg_free(resp);
	sip_msg_free(req); /* the dialog owns copies */
	assert_true(d->uac);
	assert_int_equal(d->state, SIP_DIALOG_CONFIRMED);
	assert_false(d->secure);
	assert_str(d->id.call_id, "a84b4c76e66710@u1.example.com");
	assert_str(d->id.local_tag, "1928301774");
	assert_str(d->id.remote_tag, "a6c85cf");
	assert_str(d->local_uri, "sip:caller@example.com");
	assert_str(d->remote_uri, "sip:callee@domain.com");
	assert_str(d->remote_target, "sip:callee@u2.domain.com");
	assert_true(d->local_seq_set);
	assert_int_equal(d->local_seq, 314159);
	assert_false(d->remote_seq_set);
	/* 12.1.2: reverse order; 16.12.1.1: (<sip:p1.example.com;lr>,<sip:p2.domain.com;lr>) */
	assert_int_equal(sip_dialog_route_count(d), 2);
	assert_str(sip_dialog_route(d, 0), "<sip:p1.example.com;lr>");
	assert_str(sip_dialog_route(d, 1), "<sip:p2.domain.com;lr>");
	assert_str(sip_dialog_next_hop(d), "sip:p1.example.com;lr");

	/* The BYE of 16.12.1.1. */
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("BYE"), &opts), 0);
	bye = roundtrip(o);
	assert_int_equal(bye->method, SIP_METHOD_BYE);
	assert_str(bye->ruri_str, "sip:callee@u2.domain.com");
	routes_of(bye, routes, sizeof(routes));
	assert_string_equal(routes, "sip:p1.example.com;lr,sip:p2.domain.com;lr");
	assert_int_equal(sip_msg_cseq(bye, &cseq), 0);
	assert_int_equal(cseq->seq, 314160);
	assert_int_equal(cseq->method, SIP_METHOD_BYE);
	assert_int_equal(sip_msg_to(bye, &a), 0);
	assert_str(a->uri_str, "sip:callee@domain.com");
	assert_str(a->tag, "a6c85cf");
	assert_int_equal(sip_msg_from(bye, &a), 0);
	assert_str(a->uri_str, "sip:caller@example.com");
	assert_str(a->tag, "1928301774");
	assert_int_equal(sip_msg_call_id(bye, &cid), 0);
	assert_str(cid, "a84b4c76e66710@u1.example.com");
	assert_int_equal(sip_msg_via(bye, 0, &v), 0);
	assert_str(v->host, "u1.example.com");
	assert_true(sip_via_branch_is_rfc3261(v));
	assert_false(sip_msg_has(bye, SIP_HDR_CONTACT));
	sip_msg_free(bye);
	assert_int_equal(d->local_seq, 314160);
	sip_dialog_free(d);
}

static void test_uas_create_keeps_order(void **state)
{
	struct sip_msg *req = parse(invite_at_uas), *bye;
	struct sip_dialog *d;
	struct sip_out *o;
	const struct sip_cseq *cseq;
	char routes[256];
	(void)state;

	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("a6c85cf"), false), 0);
	sip_msg_free(req);
	assert_false(d->uac);
	assert_int_equal(d->state, SIP_DIALOG_CONFIRMED);
	assert_str(d->id.local_tag, "a6c85cf");
	assert_str(d->id.remote_tag, "1928301774");
	assert_str(d->local_uri, "sip:callee@domain.com");
	assert_str(d->remote_uri, "sip:caller@example.com");
	assert_str(d->remote_target, "sip:caller@u1.example.com");
	assert_true(d->remote_seq_set);
	assert_int_equal(d->remote_seq, 314159);
	assert_false(d->local_seq_set);
	/* 16.12.1.1: the callee's route set is (<sip:p2.domain.com;lr>,<sip:p1.example.com;lr>). */
	assert_int_equal(sip_dialog_route_count(d), 2);
	assert_str(sip_dialog_route(d, 0), "<sip:p2.domain.com;lr>");
	assert_str(sip_dialog_route(d, 1), "<sip:p1.example.com;lr>");

	/* The callee hangs up: first local CSeq chosen per 8.1.1.5, then +1. */
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("BYE"), &via_only), 0);
	bye = roundtrip(o);
	assert_str(bye->ruri_str, "sip:caller@u1.example.com");
	routes_of(bye, routes, sizeof(routes));
	assert_string_equal(routes, "sip:p2.domain.com;lr,sip:p1.example.com;lr");
	assert_int_equal(sip_msg_cseq(bye, &cseq), 0);
	assert_true(cseq->seq >= 1 && cseq->seq < 0x80000000u);
	assert_int_equal(cseq->seq, d->local_seq);
	sip_msg_free(bye);
	{
		uint32_t first = d->local_seq;
		assert_int_equal(sip_dialog_request(&o, d, SIP_STR("INFO"), &via_only), 0);
		bye = roundtrip(o);
		assert_int_equal(sip_msg_cseq(bye, &cseq), 0);
		assert_int_equal(cseq->seq, first + 1);
		assert_str(cseq->method_str, "INFO");
		sip_msg_free(bye);
	}
	sip_dialog_free(d);
}

/* 12.2.1.1's example: route set <sip:proxy1>,<sip:proxy2>,<sip:proxy3;lr>,<sip:proxy4>
 * and remote target sip:user@remoteua give "METHOD sip:proxy1" and
 * Route: <sip:proxy2>,<sip:proxy3;lr>,<sip:proxy4>,<sip:user@remoteua>. */
static void test_strict_router_first(void **state)
{
	static const char req_s[] =
		"INVITE sip:user@remoteua SIP/2.0\r\n"
		"Via: SIP/2.0/UDP ua.example.com;branch=z9hG4bKst1\r\n"
		"To: <sip:user@remote.example>\r\n"
		"From: <sip:me@local.example>;tag=lt\r\n"
		"Call-ID: strict-1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Contact: <sip:me@ua.example.com>\r\n"
		"Content-Length: 0\r\n\r\n";
	/* The response lists the proxies callee side first: reversed they read
	 * proxy1..proxy4. proxy1 carries method= and a header, which a Request-URI
	 * may not (19.1.1). */
	static const char resp_s[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP ua.example.com;branch=z9hG4bKst1\r\n"
		"To: <sip:user@remote.example>;tag=rt\r\n"
		"From: <sip:me@local.example>;tag=lt\r\n"
		"Call-ID: strict-1\r\n"
		"CSeq: 7 INVITE\r\n"
		"Contact: <sip:user@remoteua>\r\n"
		"Record-Route: <sip:proxy4>, <sip:proxy3;lr>\r\n"
		"Record-Route: <sip:proxy2>, <sip:proxy1;transport=tcp;method=INVITE?X=1>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(req_s), *resp = parse(resp_s), *m;
	struct sip_dialog *d;
	struct sip_out *o;
	const struct sip_cseq *cseq;
	char routes[256];
	(void)state;

	assert_int_equal(sip_dialog_uac_alloc(&d, req, resp, false), 0);
	sip_msg_free(req);
	sip_msg_free(resp);
	assert_int_equal(sip_dialog_route_count(d), 4);
	assert_str(sip_dialog_route(d, 0), "<sip:proxy1;transport=tcp;method=INVITE?X=1>");
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("BYE"), &via_only), 0);
	m = roundtrip(o);
	assert_str(m->ruri_str, "sip:proxy1;transport=tcp");
	routes_of(m, routes, sizeof(routes));
	assert_string_equal(routes, "sip:proxy2,sip:proxy3;lr,sip:proxy4,sip:user@remoteua");
	assert_int_equal(sip_msg_cseq(m, &cseq), 0);
	assert_int_equal(cseq->seq, 8);
	sip_msg_free(m);
	/* The request goes to the strict router itself (8.1.2). */
	assert_str(sip_dialog_next_hop(d), "sip:proxy1;transport=tcp;method=INVITE?X=1");

	/* ACK for the 2xx: the INVITE's number, local sequence untouched. */
	{
		struct sip_dialog_req_opts opts = { SIP_STR("SIP/2.0/TCP ua.example.com"), SIP_STR_NULL, 7 };
		assert_int_equal(sip_dialog_request(&o, d, SIP_STR("ACK"), &opts), 0);
		m = roundtrip(o);
		assert_int_equal(sip_msg_cseq(m, &cseq), 0);
		assert_int_equal(cseq->seq, 7);
		assert_int_equal(cseq->method, SIP_METHOD_ACK);
		assert_int_equal(d->local_seq, 8);
		sip_msg_free(m);
	}
	/* CANCEL is never a dialog request. */
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("CANCEL"), NULL), -EINVAL);
	sip_dialog_free(d);
}

/* Route set entries keep every URI and header parameter (12.1.1); display
 * names and line folding are not routing information. */
static void test_route_params_kept(void **state)
{
	static const char req_s[] =
		"INVITE sip:b@h SIP/2.0\r\n"
		"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKrp\r\n"
		"To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: rp\r\nCSeq: 3 INVITE\r\n"
		"Contact: <sip:a@192.0.2.3>\r\n"
		"Record-Route: \"Edge\" <sip:p1.example.com;transport=tcp;lr>;x-id=7,\r\n"
		" <sips:[2001:db8::5]:5061;lr>\r\n"
		"\r\n";
	struct sip_msg *req = parse(req_s), *m;
	struct sip_dialog *d;
	struct sip_out *o;
	(void)state;

	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("t"), false), 0);
	sip_msg_free(req);
	assert_int_equal(sip_dialog_route_count(d), 2);
	assert_str(sip_dialog_route(d, 0), "<sip:p1.example.com;transport=tcp;lr>;x-id=7");
	assert_str(sip_dialog_route(d, 1), "<sips:[2001:db8::5]:5061;lr>");
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("BYE"), &via_only), 0);
	m = roundtrip(o);
	assert_int_equal(sip_msg_route_count(m), 2);
	{
		const struct sip_addr *a;
		assert_int_equal(sip_msg_route(m, 0, &a), 0);
		assert_str(a->params, "x-id=7");
		assert_true(a->uri.lr);
		assert_int_equal(sip_msg_route(m, 1, &a), 0);
		assert_int_equal(a->uri.host_type, SIP_HOST_IPV6);
	}
	sip_msg_free(m);
	sip_dialog_free(d);
}

static void test_ruri_from_uri(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "sip:p1.example.com;lr", "sip:p1.example.com;lr" },
		{ "sip:p1.example.com;method=INVITE;lr", "sip:p1.example.com;lr" },
		{ "sip:u@h:5070;METHOD=BYE?Subject=x", "sip:u@h:5070" },
		{ "sips:u@h?a=b", "sips:u@h" },
		{ "sip:u@h", "sip:u@h" },
		{ "tel:+1-201-555-0123", "tel:+1-201-555-0123" },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_buf b = SIP_BUF_INIT;
		assert_int_equal(sip_dialog_ruri_from_uri(&b, sip_str_from_cstr(cases[i].in)), 0);
		assert_string_equal(b.p, cases[i].out);
		sip_buf_free(&b);
	}
	{
		struct sip_buf b = SIP_BUF_INIT;
		assert_int_equal(sip_dialog_ruri_from_uri(&b, SIP_STR("sip:")), SIP_EPARSE);
		sip_buf_free(&b);
	}
}

static struct sip_msg *in_dialog_req(const char *method, unsigned cseq, const char *contact)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "%s sip:callee@u2.domain.com SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP p2.domain.com;branch=z9hG4bKx%u\r\n"
		 "To: <sip:callee@domain.com>;tag=a6c85cf\r\n"
		 "From: <sip:caller@example.com>;tag=1928301774\r\n"
		 "Call-ID: a84b4c76e66710@u1.example.com\r\n"
		 "CSeq: %u %s\r\n"
		 "%s%s%s"
		 "Content-Length: 0\r\n\r\n",
		 method, cseq, cseq, method, contact ? "Contact: <" : "", contact ? contact : "",
		 contact ? ">\r\n" : "");
	return parse(buf);
}

static void test_uas_cseq_rules(void **state)
{
	struct sip_msg *req = parse(invite_at_uas), *m;
	struct sip_dialog *d;
	int st = -1;
	(void)state;

	assert_int_equal(sip_dialog_uas_alloc(&d, req, 180, SIP_STR("a6c85cf"), false), 0);
	sip_msg_free(req);
	assert_int_equal(d->state, SIP_DIALOG_EARLY);
	sip_dialog_confirm(d);
	assert_int_equal(d->state, SIP_DIALOG_CONFIRMED);

	/* ACK for the 2xx: same number as the INVITE, in order. */
	m = in_dialog_req("ACK", 314159, NULL);
	assert_int_equal(sip_dialog_uas_request(d, m, &st), 0);
	assert_int_equal(st, 0);
	sip_msg_free(m);
	/* Lower: 500, no change. */
	m = in_dialog_req("BYE", 314158, NULL);
	assert_int_equal(sip_dialog_uas_request(d, m, &st), 0);
	assert_int_equal(st, 500);
	assert_int_equal(d->remote_seq, 314159);
	sip_msg_free(m);
	/* Equal for a new request: 500 too. */
	m = in_dialog_req("INFO", 314159, NULL);
	assert_int_equal(sip_dialog_uas_request(d, m, &st), 0);
	assert_int_equal(st, 500);
	sip_msg_free(m);
	/* Higher by more than one: fine (12.2.2: a challenged request leaves a gap). */
	m = in_dialog_req("INFO", 314170, NULL);
	assert_int_equal(sip_dialog_uas_request(d, m, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(d->remote_seq, 314170);
	/* INFO is not a target refresh. */
	assert_int_equal(sip_dialog_refresh_target(d, m), -EINVAL);
	sip_msg_free(m);

	/* re-INVITE with a new Contact refreshes the target, not the route set. */
	m = in_dialog_req("INVITE", 314171, "sip:caller@192.0.2.77:5080");
	assert_int_equal(sip_dialog_uas_request(d, m, &st), 0);
	assert_int_equal(st, 0);
	assert_int_equal(sip_dialog_refresh_target(d, m), 0);
	assert_str(d->remote_target, "sip:caller@192.0.2.77:5080");
	assert_int_equal(sip_dialog_route_count(d), 2);
	sip_msg_free(m);
	/* UPDATE without Contact: target unchanged. */
	m = in_dialog_req("UPDATE", 314172, NULL);
	assert_int_equal(sip_dialog_refresh_target(d, m), 0);
	assert_str(d->remote_target, "sip:caller@192.0.2.77:5080");
	sip_msg_free(m);
	sip_dialog_free(d);
}

/* Early dialog from a 183 with its own Record-Route; the 2xx replaces the route
 * set and the target; a 2xx to a re-INVITE refreshes the target. */
static void test_uac_early_then_confirmed(void **state)
{
	static const char p183[] =
		"SIP/2.0 183 Session Progress\r\n"
		"Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKnashds8\r\n"
		"To: Callee <sip:callee@domain.com>;tag=a6c85cf\r\n"
		"From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@u1.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Record-Route: <sip:early.example.com;lr>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char reinvite_ok[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKre\r\n"
		"To: Callee <sip:callee@domain.com>;tag=a6c85cf\r\n"
		"From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@u1.example.com\r\n"
		"CSeq: 314160 INVITE\r\n"
		"Contact: <sip:callee@198.51.100.9>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(invite_at_uac), *r1 = parse(p183), *r2 = parse(ok_at_uac);
	struct sip_msg *r3 = parse(reinvite_ok);
	struct sip_dialog *d;
	(void)state;

	assert_int_equal(sip_dialog_uac_alloc(&d, req, r1, false), 0);
	assert_int_equal(d->state, SIP_DIALOG_EARLY);
	assert_int_equal(d->remote_target.len, 0); /* 183 had no Contact */
	assert_int_equal(sip_dialog_route_count(d), 1);
	/* Building needs a target. */
	{
		struct sip_out *o = NULL;
		assert_int_equal(sip_dialog_request(&o, d, SIP_STR("PRACK"), NULL), -EINVAL);
		assert_null(o);
	}
	assert_int_equal(sip_dialog_uac_update(d, r2), 0);
	assert_int_equal(d->state, SIP_DIALOG_CONFIRMED);
	assert_str(d->remote_target, "sip:callee@u2.domain.com");
	assert_int_equal(sip_dialog_route_count(d), 2);
	assert_str(sip_dialog_route(d, 0), "<sip:p1.example.com;lr>");
	assert_str(d->id.call_id, "a84b4c76e66710@u1.example.com");
	assert_str(d->id.remote_tag, "a6c85cf");
	assert_int_equal(sip_dialog_refresh_target(d, r3), 0);
	assert_str(d->remote_target, "sip:callee@198.51.100.9");
	assert_int_equal(sip_dialog_route_count(d), 2);
	/* A response of another dialog is refused. */
	sip_msg_free(r1);
	r1 = parse("SIP/2.0 200 OK\r\n"
		   "Via: SIP/2.0/UDP u1.example.com;branch=z9hG4bKnashds8\r\n"
		   "To: Callee <sip:callee@domain.com>;tag=other\r\n"
		   "From: \"Caller\" <sip:caller@example.com>;tag=1928301774\r\n"
		   "Call-ID: a84b4c76e66710@u1.example.com\r\n"
		   "CSeq: 314159 INVITE\r\n"
		   "Contact: <sip:x@y>\r\n"
		   "Content-Length: 0\r\n\r\n");
	assert_int_equal(sip_dialog_uac_update(d, r1), -EINVAL);
	sip_msg_free(req);
	sip_msg_free(r1);
	sip_msg_free(r2);
	sip_msg_free(r3);
	sip_dialog_free(d);
}

static void test_secure_and_null_tags(void **state)
{
	static const char req_s[] =
		"INVITE sips:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TLS pc33.example.com;branch=z9hG4bKsec\r\n"
		"To: <sips:bob@biloxi.example.com>\r\n"
		"From: <sips:alice@atlanta.example.com>\r\n" /* RFC 2543 peer: no tag */
		"Call-ID: sec-1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sips:alice@pc33.example.com>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(req_s), *m;
	const struct sip_addr *a;
	struct sip_dialog *d;
	struct sip_out *o;
	(void)state;

	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("b0b"), true), 0);
	assert_true(d->secure);
	assert_int_equal(d->id.remote_tag.len, 0);
	assert_int_equal(sip_dialog_route_count(d), 0);
	assert_str(sip_dialog_next_hop(d), "sips:alice@pc33.example.com");
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("BYE"), &via_only), 0);
	m = roundtrip(o);
	assert_str(m->ruri_str, "sips:alice@pc33.example.com");
	assert_false(sip_msg_has(m, SIP_HDR_ROUTE));
	assert_int_equal(sip_msg_to(m, &a), 0);
	assert_int_equal(a->tag.len, 0); /* 12.2.1.1: null tag, no tag parameter */
	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_str(a->tag, "b0b");
	sip_msg_free(m);
	sip_dialog_free(d);
	/* Not over TLS: not secure. A UAS needs a Contact and a local tag. */
	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("b0b"), false), 0);
	assert_false(d->secure);
	sip_dialog_free(d);
	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR_NULL, false), -EINVAL);
	assert_int_equal(sip_dialog_uas_alloc(&d, req, 100, SIP_STR("x"), false), -EINVAL);
	sip_msg_free(req);
	req = parse("INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		    "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n");
	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("x"), false), SIP_ENOTFOUND);
	sip_msg_free(req);
}

static void test_table(void **state)
{
	struct sip_dialog_table *t;
	struct sip_dialog *ds[300];
	struct sip_msg *req;
	char buf[1024];
	(void)state;

	assert_int_equal(sip_dialog_table_alloc(&t), 0);
	/* Enough dialogs to make the table grow a few times. */
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf),
			 "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK%d\r\n"
			 "To: <sip:b@h>\r\nFrom: <sip:a@h>;tag=f%d\r\nCall-ID: call-%d\r\n"
			 "CSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.1>\r\n\r\n", i, i, i / 2);
		req = parse(buf);
		assert_int_equal(sip_dialog_uas_alloc(&ds[i], req, 200, SIP_STR("t"), false), 0);
		assert_int_equal(sip_dialog_table_add(t, ds[i]), 0);
		/* The same id again is refused. */
		if (i == 5) {
			struct sip_dialog *dup;
			assert_int_equal(sip_dialog_uas_alloc(&dup, req, 200, SIP_STR("t"), false), 0);
			assert_int_equal(sip_dialog_table_add(t, dup), -EEXIST);
			sip_dialog_free(dup);
		}
		sip_msg_free(req);
	}
	assert_int_equal(sip_dialog_table_count(t), 300);
	for (int i = 0; i < 300; i++) {
		snprintf(buf, sizeof(buf),
			 "BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKb%d\r\n"
			 "To: <sip:b@h>;tag=t\r\nFrom: <sip:a@h>;tag=f%d\r\nCall-ID: call-%d\r\n"
			 "CSeq: 2 BYE\r\n\r\n", i, i, i / 2);
		req = parse(buf);
		assert_ptr_equal(sip_dialog_table_match(t, req), ds[i]);
		sip_msg_free(req);
	}
	/* A response seen by the UAC: local tag from From. */
	{
		struct sip_dialog_id id = { SIP_STR("call-3"), SIP_STR("t"), SIP_STR("f7") };
		assert_ptr_equal(sip_dialog_table_find(t, &id), ds[7]);
		id.remote_tag = SIP_STR("f8");
		assert_null(sip_dialog_table_find(t, &id));
	}
	for (int i = 0; i < 300; i += 2) {
		sip_dialog_table_remove(t, ds[i]);
		assert_null(sip_dialog_table_find(t, &ds[i]->id));
		sip_dialog_free(ds[i]);
	}
	assert_int_equal(sip_dialog_table_count(t), 150);
	assert_ptr_equal(sip_dialog_table_find(t, &ds[151]->id), ds[151]);
	sip_dialog_table_free(t); /* frees the rest */
}

/* RFC 6665 4.1.2.4: the NOTIFY creates the subscriber's dialog. */
static void test_notify_creates_dialog(void **state)
{
	static const char sub_s[] =
		"SUBSCRIBE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKsub1\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=sub-a\r\n"
		"Call-ID: sub-1\r\n"
		"CSeq: 20 SUBSCRIBE\r\n"
		"Event: presence\r\n"
		"Contact: <sip:alice@192.0.2.10>\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char notify_s[] =
		"NOTIFY sip:alice@192.0.2.10 SIP/2.0\r\n"
		"Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKn1\r\n"
		"To: <sip:alice@example.com>;tag=sub-a\r\n"
		"From: <sip:bob@example.com>;tag=notifier-b\r\n"
		"Call-ID: sub-1\r\n"
		"CSeq: 7 NOTIFY\r\n"
		"Event: presence\r\n"
		"Subscription-State: active;expires=600\r\n"
		"Contact: <sip:pres@198.51.100.3>\r\n"
		"Record-Route: <sip:192.0.2.1;lr>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *sub = parse(sub_s), *notify = parse(notify_s), *m;
	const struct sip_cseq *cseq;
	struct sip_dialog *d;
	struct sip_out *o;
	int st;
	(void)state;

	assert_int_equal(sip_dialog_notify_alloc(&d, sub, notify, false), 0);
	assert_true(d->uac);
	assert_int_equal(d->state, SIP_DIALOG_CONFIRMED);
	assert_str(d->id.local_tag, "sub-a");
	assert_str(d->id.remote_tag, "notifier-b");
	assert_str(d->local_uri, "sip:alice@example.com");
	assert_str(d->remote_uri, "sip:bob@example.com");
	assert_str(d->remote_target, "sip:pres@198.51.100.3");
	assert_int_equal(d->remote_seq, 7);
	assert_int_equal(sip_dialog_route_count(d), 1);
	/* The id of the NOTIFY (a request received) finds it. */
	{
		struct sip_dialog_id id;
		assert_int_equal(sip_dialog_id_of(&id, notify), 0);
		assert_true(sip_str_eq(id.local_tag, d->id.local_tag) && sip_str_eq(id.remote_tag, d->id.remote_tag));
	}
	/* The next NOTIFY must be higher; the refresh SUBSCRIBE is CSeq 21. */
	assert_int_equal(sip_dialog_uas_request(d, notify, &st), 0);
	assert_int_equal(st, 500);
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("SUBSCRIBE"), &via_only), 0);
	m = roundtrip(o);
	assert_int_equal(sip_msg_cseq(m, &cseq), 0);
	assert_int_equal(cseq->seq, 21);
	assert_str(m->ruri_str, "sip:pres@198.51.100.3");
	sip_msg_free(m);
	sip_dialog_free(d);
	/* A NOTIFY for another subscription does not create this dialog. */
	sip_msg_free(notify);
	notify = parse("NOTIFY sip:alice@192.0.2.10 SIP/2.0\r\n"
		       "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKn2\r\n"
		       "To: <sip:alice@example.com>;tag=other\r\n"
		       "From: <sip:bob@example.com>;tag=notifier-b\r\n"
		       "Call-ID: sub-1\r\nCSeq: 8 NOTIFY\r\nContact: <sip:p@h>\r\n\r\n");
	assert_int_equal(sip_dialog_notify_alloc(&d, sub, notify, false), -EINVAL);
	sip_msg_free(notify);
	sip_msg_free(sub);
}

/* 12.2.1.1: a secure dialog's Contact must be SIPS. */
static void test_secure_contact(void **state)
{
	static const char req_s[] =
		"INVITE sips:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TLS pc33.example.com;branch=z9hG4bKsec\r\n"
		"To: <sips:bob@biloxi.example.com>\r\n"
		"From: <sips:alice@atlanta.example.com>;tag=s1\r\n"
		"Call-ID: sec-2\r\nCSeq: 1 INVITE\r\n"
		"Contact: <sips:alice@pc33.example.com>\r\n\r\n";
	struct sip_msg *req = parse(req_s), *m;
	struct sip_dialog_req_opts bad = { SIP_STR("SIP/2.0/TLS b.example.com"), SIP_STR("<sip:bob@b.example.com>"), 0 };
	struct sip_dialog_req_opts good = { SIP_STR("SIP/2.0/TLS b.example.com"), SIP_STR("<sips:bob@b.example.com>"), 0 };
	struct sip_dialog *d;
	struct sip_out *o;
	(void)state;

	assert_int_equal(sip_dialog_uas_alloc(&d, req, 200, SIP_STR("b"), true), 0);
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("INVITE"), &bad), -EINVAL);
	assert_false(d->local_seq_set); /* a failed call changes nothing */
	assert_int_equal(sip_dialog_request(&o, d, SIP_STR("INVITE"), &good), 0);
	m = roundtrip(o);
	assert_string_equal(hdr_contact(m), "<sips:bob@b.example.com>");
	sip_msg_free(m);
	sip_dialog_free(d);
	sip_msg_free(req);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uac_create_reverses_route_set),
		cmocka_unit_test(test_uas_create_keeps_order),
		cmocka_unit_test(test_strict_router_first),
		cmocka_unit_test(test_route_params_kept),
		cmocka_unit_test(test_ruri_from_uri),
		cmocka_unit_test(test_uas_cseq_rules),
		cmocka_unit_test(test_uac_early_then_confirmed),
		cmocka_unit_test(test_secure_and_null_tags),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_notify_creates_dialog),
		cmocka_unit_test(test_secure_contact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

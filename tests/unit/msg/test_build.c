/* Builder tests: responses from requests (RFC 3261 8.2.6), proxy edits against a
 * parsed message, CANCEL and ACK, identifiers. Every built message is serialized
 * and read back with sip_msg_parse, and its values are checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/msg.h"
#include "siphon/status.h"

/* ---- helpers ---- */

static struct sip_msg *parse(const char *s)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error e = { 0, NULL, 0 };
	int err = sip_msg_parse(&m, s, strlen(s), NULL, &e);

	if (err)
		fail_msg("parse failed (%d): %u %s at %zu in:\n%s", err, e.status,
			 e.reason ? e.reason : "", e.offset, s);
	return m;
}

/* Serialize o into a fresh NUL-terminated string (free it). */
static char *ser(const struct sip_out *o)
{
	struct sip_buf b = SIP_BUF_INIT;

	assert_int_equal(sip_out_serialize(o, &b), 0);
	assert_non_null(b.p);
	return b.p;
}

static bool str_is(struct sip_str s, const char *c)
{
	return s.len == strlen(c) && memcmp(s.p, c, s.len) == 0;
}

#define assert_str(s, c)                                                          \
	do {                                                                      \
		struct sip_str s_ = (s);                                          \
		if (!str_is(s_, (c)))                                             \
			fail_msg("expected \"%s\", got \"%.*s\"", (c), SIP_STR_ARG(s_)); \
	} while (0)

static void assert_via_branch(struct sip_msg *m, unsigned idx, const char *branch)
{
	const struct sip_via *v;

	assert_int_equal(sip_msg_via(m, idx, &v), 0);
	assert_str(v->branch, branch);
}

static unsigned count_lines(struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h))
		n++;
	return n;
}

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1a, SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2b\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKuac;received=192.0.2.1\r\n"
	"Max-Forwards: 68\r\n"
	"Record-Route: <sip:p1.example.com;lr>\r\n"
	"Record-Route: <sip:p2.example.com;lr>\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Route: <sip:p3.example.com;lr>\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	"Subject: lunch   (untouched spacing)\r\n"
	"X-Custom:  keep me\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 14\r\n"
	"\r\n"
	"v=0\r\no=x y z\r\n";

/* ---- responses (RFC 3261 8.2.6) ---- */

static void test_response_invite_180(void **state)
{
	struct sip_msg *req = parse(invite), *r;
	struct sip_out *o;
	const struct sip_addr *to, *from, *rr;
	const struct sip_cseq *cseq;
	struct sip_str callid;
	uint32_t cl;
	char *s;

	(void)state;
	assert_int_equal(sip_out_response_to(&o, req, 180, NULL, SIP_STR("t-5a9")), 0);
	s = ser(o);
	r = parse(s);
	assert_false(r->is_request);
	assert_int_equal(r->status, 180);
	assert_str(r->reason, sip_status_phrase(180));
	assert_str(r->reason, "Ringing");
	/* Every Via value, in order (two on one line, then one). */
	assert_int_equal(sip_msg_via_count(r), 3);
	assert_via_branch(r, 0, "z9hG4bKp1a");
	assert_via_branch(r, 1, "z9hG4bKp2b");
	assert_via_branch(r, 2, "z9hG4bKuac");
	assert_int_equal(sip_msg_to(r, &to), 0);
	assert_str(to->tag, "t-5a9");
	assert_str(to->uri_str, "sip:bob@biloxi.example.com");
	assert_str(to->display, "Bob");
	assert_int_equal(sip_msg_from(r, &from), 0);
	assert_str(from->tag, "1928301774");
	assert_int_equal(sip_msg_call_id(r, &callid), 0);
	assert_str(callid, "a84b4c76e66710@pc33.atlanta.example.com");
	assert_int_equal(sip_msg_cseq(r, &cseq), 0);
	assert_int_equal(cseq->seq, 314159);
	assert_int_equal(cseq->method, SIP_METHOD_INVITE);
	/* A 180 to INVITE can create a dialog: Record-Route copied in order (12.1.1). */
	assert_int_equal(sip_msg_record_route_count(r), 2);
	assert_int_equal(sip_msg_record_route(r, 0, &rr), 0);
	assert_str(rr->uri_str, "sip:p1.example.com;lr");
	/* Nothing else of the request leaks into the response. */
	assert_false(sip_msg_has(r, SIP_HDR_ROUTE));
	assert_false(sip_msg_has(r, SIP_HDR_CONTACT));
	assert_false(sip_msg_has(r, SIP_HDR_MAX_FORWARDS));
	assert_null(sip_msg_hdr_by_name(r, SIP_STR("X-Custom")));
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, 0);
	assert_int_equal(r->body.len, 0);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	/* The response owns its bytes: it survives the request. */
	assert_int_equal(sip_out_response_to(&o, req, 486, "Busy Here (in a meeting)", SIP_STR("x1")), 0);
	sip_msg_free(req);
	s = ser(o);
	r = parse(s);
	assert_int_equal(r->status, 486);
	assert_str(r->reason, "Busy Here (in a meeting)");
	/* A 486 creates no dialog: no Record-Route. */
	assert_false(sip_msg_has(r, SIP_HDR_RECORD_ROUTE));
	assert_int_equal(sip_msg_via_count(r), 3);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
}

static void test_response_register_keeps_tag(void **state)
{
	static const char reg[] =
		"REGISTER sip:registrar.biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TCP bobspc.biloxi.example.com:5060;branch=z9hG4bKnashds7\r\n"
		"v: SIP/2.0/TCP edge.example.com;branch=z9hG4bKedge;rport=5070\r\n"
		"Max-Forwards: 70\r\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=already\r\n"
		"From: Bob <sip:bob@biloxi.example.com>;tag=456248\r\n"
		"i: 843817637684230@998sdasdh09\r\n"
		"CSeq: 1826 REGISTER\r\n"
		"Contact: <sip:bob@192.0.2.4>\r\n"
		"Expires: 7200\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(reg), *r;
	const struct sip_addr *to;
	const struct sip_cseq *cseq;
	const struct sip_via *v;
	struct sip_str callid;
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_response_to(&o, req, 200, NULL, SIP_STR("ignored")), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(r->status, 200);
	assert_str(r->reason, "OK");
	assert_int_equal(sip_msg_to(r, &to), 0);
	assert_str(to->tag, "already"); /* the request had one: unchanged */
	assert_null(strstr(s, "ignored"));
	assert_int_equal(sip_msg_via_count(r), 2);
	assert_int_equal(sip_msg_via(r, 1, &v), 0);
	assert_true(v->has_rport);
	assert_int_equal(v->rport, 5070);
	/* A compact Call-ID is copied under its full name. */
	assert_int_equal(sip_msg_call_id(r, &callid), 0);
	assert_str(callid, "843817637684230@998sdasdh09");
	assert_non_null(strstr(s, "\r\nCall-ID: 843817637684230@998sdasdh09\r\n"));
	assert_int_equal(sip_msg_cseq(r, &cseq), 0);
	assert_int_equal(cseq->method, SIP_METHOD_REGISTER);
	assert_int_equal(cseq->seq, 1826);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(req);
}

static void test_response_subscribe(void **state)
{
	static const char sub[] =
		"SUBSCRIBE sip:presentity@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP watcher.example.com;branch=z9hG4bKsub1\r\n"
		"Via: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKsub0\r\n"
		"Record-Route: <sip:proxy.example.com;lr>\r\n"
		"Max-Forwards: 69\r\n"
		"To: <sip:presentity@example.com>\r\n"
		"From: <sip:watcher@example.com>;tag=ffd2\r\n"
		"Call-ID: 12345678@watcher.example.com\r\n"
		"CSeq: 17766 SUBSCRIBE\r\n"
		"Event: presence\r\n"
		"Expires: 600\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(sub), *r;
	const struct sip_addr *to;
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_response_to(&o, req, 202, NULL, SIP_STR("n0t1fy")), 0);
	assert_int_equal(sip_out_add(o, SIP_HDR_EXPIRES, SIP_STR("600")), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(r->status, 202);
	assert_str(r->reason, sip_status_phrase(202));
	assert_int_equal(sip_msg_via_count(r), 2);
	assert_via_branch(r, 0, "z9hG4bKsub1");
	assert_via_branch(r, 1, "z9hG4bKsub0");
	assert_int_equal(sip_msg_to(r, &to), 0);
	assert_str(to->tag, "n0t1fy");
	/* 2xx to SUBSCRIBE creates a dialog (RFC 6665 4.1.2.4): Record-Route copied. */
	assert_int_equal(sip_msg_record_route_count(r), 1);
	assert_false(sip_msg_has(r, SIP_HDR_EVENT));
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	/* A 489 does not: no Record-Route. */
	assert_int_equal(sip_out_response_to(&o, req, 489, NULL, SIP_STR("n0t1fy")), 0);
	s = ser(o);
	r = parse(s);
	assert_str(r->reason, "Bad Event");
	assert_false(sip_msg_has(r, SIP_HDR_RECORD_ROUTE));
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(req);
}

static void test_response_100_trying(void **state)
{
	static const char req_timestamp[] =
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK100\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"Call-ID: ts1@a.example.com\r\n"
		"CSeq: 1 INVITE\r\n"
		"Timestamp: 54.3 0.2\r\n"
		"Record-Route: <sip:rr.example.com;lr>\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(req_timestamp), *r;
	const struct sip_hdr *ts;
	const struct sip_addr *to;
	struct sip_out *o;
	char *s;

	(void)state;
	/* No tag needed for a 100 (8.2.6.2): an empty to_tag is fine. */
	assert_int_equal(sip_out_response_to(&o, req, 100, NULL, SIP_STR_NULL), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(r->status, 100);
	assert_str(r->reason, "Trying");
	ts = sip_msg_hdr(r, SIP_HDR_TIMESTAMP);
	assert_non_null(ts);
	assert_str(ts->value, "54.3 0.2"); /* 8.2.6.1 */
	assert_int_equal(sip_msg_to(r, &to), 0);
	assert_int_equal(to->tag.len, 0);
	/* A 100 establishes nothing: no Record-Route. */
	assert_false(sip_msg_has(r, SIP_HDR_RECORD_ROUTE));
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	/* Only the 100 copies Timestamp. */
	assert_int_equal(sip_out_response_to(&o, req, 200, NULL, SIP_STR("b2")), 0);
	s = ser(o);
	r = parse(s);
	assert_false(sip_msg_has(r, SIP_HDR_TIMESTAMP));
	assert_true(sip_msg_has(r, SIP_HDR_RECORD_ROUTE));
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(req);
}

static void test_response_errors(void **state)
{
	static const char ack[] =
		"ACK sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKack\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:bob@example.com>;tag=b\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: ack1@a.example.com\r\n"
		"CSeq: 1 ACK\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *req = parse(invite), *a = parse(ack);
	struct sip_out *o = NULL;

	(void)state;
	/* The request has no To tag: a 2xx needs one from the caller. */
	assert_int_equal(sip_out_response_to(&o, req, 200, NULL, SIP_STR_NULL), -EINVAL);
	assert_int_equal(sip_out_response_to(&o, req, 200, NULL, SIP_STR("bad tag")), -EINVAL);
	assert_int_equal(sip_out_response_to(&o, req, 99, NULL, SIP_STR("t")), -EINVAL);
	assert_int_equal(sip_out_response_to(&o, req, 700, NULL, SIP_STR("t")), -EINVAL);
	assert_int_equal(sip_out_response_to(&o, req, 200, "OK\r\nX: injected", SIP_STR("t")), -EINVAL);
	/* 17.1.1.3: an ACK is never answered. */
	assert_int_equal(sip_out_response_to(&o, a, 200, NULL, SIP_STR("t")), -EINVAL);
	assert_null(o);
	sip_msg_free(a);
	sip_msg_free(req);
}

/* ---- edits against a parsed message ---- */

static void test_untouched_is_identical(void **state)
{
	struct sip_msg *m = parse(invite);
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	s = ser(o);
	assert_string_equal(s, invite);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_proxy_forward_edits(void **state)
{
	struct sip_msg *m = parse(invite), *r;
	struct sip_out *o;
	const struct sip_addr *rr;
	uint32_t mf;
	char *s, *expect;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	/* RFC 3261 16.6: Max-Forwards, Record-Route, Via. */
	assert_int_equal(sip_out_max_forwards_dec(o), 0);
	assert_int_equal(sip_out_record_route_push(o, SIP_STR("<sip:me.example.com;lr>")), 0);
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP me.example.com;branch=z9hG4bKme")), 0);
	s = ser(o);
	/* Exactly the original bytes plus the three edits: every untouched span is
	 * copied verbatim, spacing and order included. */
	expect =
		"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP me.example.com;branch=z9hG4bKme\r\n"
		"Via: SIP/2.0/UDP p1.example.com;branch=z9hG4bKp1a, SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2b\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKuac;received=192.0.2.1\r\n"
		"Max-Forwards: 67\r\n"
		"Record-Route: <sip:me.example.com;lr>\r\n"
		"Record-Route: <sip:p1.example.com;lr>\r\n"
		"Record-Route: <sip:p2.example.com;lr>\r\n"
		"To: Bob <sip:bob@biloxi.example.com>\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Route: <sip:p3.example.com;lr>\r\n"
		"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
		"Subject: lunch   (untouched spacing)\r\n"
		"X-Custom:  keep me\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 14\r\n"
		"\r\n"
		"v=0\r\no=x y z\r\n";
	assert_string_equal(s, expect);
	r = parse(s);
	assert_int_equal(sip_msg_via_count(r), 4);
	assert_via_branch(r, 0, "z9hG4bKme");
	assert_via_branch(r, 1, "z9hG4bKp1a");
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 67);
	assert_int_equal(sip_msg_record_route_count(r), 3);
	assert_int_equal(sip_msg_record_route(r, 0, &rr), 0);
	assert_str(rr->uri_str, "sip:me.example.com;lr");
	assert_int_equal(r->body.len, 14);
	assert_memory_equal(r->body.p, "v=0\r\no=x y z\r\n", 14);
	sip_msg_free(r);
	free(s);
	/* Two more pushes: the last pushed is on top; decrement again. */
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/TCP top.example.com;branch=z9hG4bKtop")), 0);
	assert_int_equal(sip_out_record_route_push(o, SIP_STR("<sip:top.example.com;lr>")), 0);
	assert_int_equal(sip_out_max_forwards_dec(o), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_via_count(r), 5);
	assert_via_branch(r, 0, "z9hG4bKtop");
	assert_via_branch(r, 1, "z9hG4bKme");
	assert_int_equal(sip_msg_record_route(r, 0, &rr), 0);
	assert_str(rr->uri_str, "sip:top.example.com;lr");
	assert_int_equal(sip_msg_record_route(r, 1, &rr), 0);
	assert_str(rr->uri_str, "sip:me.example.com;lr");
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 66);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_via_pop(void **state)
{
	static const char resp[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP me.example.com;branch=z9hG4bKme, SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n"
		"Via: SIP/2.0/UDP uac.example.com;branch=z9hG4bKuac\r\n"
		"To: <sip:bob@example.com>;tag=b\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: pop@example.com\r\n"
		"CSeq: 2 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(resp), *r;
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	/* RFC 3261 16.7 step 3: only the topmost value, the rest of the line stays. */
	assert_int_equal(sip_out_via_pop(o), 0);
	s = ser(o);
	assert_non_null(strstr(s, "\r\nVia: SIP/2.0/UDP p2.example.com;branch=z9hG4bKp2\r\n"));
	assert_null(strstr(s, "z9hG4bKme"));
	r = parse(s);
	assert_int_equal(sip_msg_via_count(r), 2);
	assert_via_branch(r, 0, "z9hG4bKp2");
	assert_via_branch(r, 1, "z9hG4bKuac");
	sip_msg_free(r);
	free(s);
	/* The line's last value: the whole line goes. */
	assert_int_equal(sip_out_via_pop(o), 0);
	s = ser(o);
	assert_null(strstr(s, "p2.example.com"));
	r = parse(s);
	assert_int_equal(sip_msg_via_count(r), 1);
	assert_via_branch(r, 0, "z9hG4bKuac");
	sip_msg_free(r);
	free(s);
	/* A pushed value is popped first. */
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP x.example.com;branch=z9hG4bKx")), 0);
	assert_int_equal(sip_out_via_pop(o), 0);
	s = ser(o);
	assert_null(strstr(s, "z9hG4bKx"));
	assert_non_null(strstr(s, "z9hG4bKuac"));
	free(s);
	assert_int_equal(sip_out_via_pop(o), 0);
	assert_int_equal(sip_out_via_pop(o), SIP_ENOTFOUND);
	s = ser(o);
	assert_null(strstr(s, "Via"));
	assert_string_equal(s,
		"SIP/2.0 200 OK\r\n"
		"To: <sip:bob@example.com>;tag=b\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: pop@example.com\r\n"
		"CSeq: 2 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n");
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_max_forwards(void **state)
{
	static const char zero[] =
		"OPTIONS sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKmf\r\n"
		"Max-Forwards: 0\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: mf@example.com\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char none[] =
		"OPTIONS sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKmf\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: mf@example.com\r\n"
		"CSeq: 1 OPTIONS\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = parse(zero), *r;
	struct sip_out *o;
	uint32_t mf;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	assert_int_equal(sip_out_max_forwards_dec(o), -ELOOP); /* 16.3: answer 483 */
	s = ser(o);
	assert_string_equal(s, zero); /* unchanged */
	free(s);
	sip_out_free(o);
	sip_msg_free(m);

	m = parse(none);
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	assert_int_equal(sip_out_max_forwards_dec(o), 0); /* 16.6 step 3: adds 70 */
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 70);
	sip_msg_free(r);
	free(s);
	assert_int_equal(sip_out_max_forwards_dec(o), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 69);
	assert_int_equal(count_lines(r, SIP_HDR_MAX_FORWARDS), 1);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_set_body(void **state)
{
	static const char sdp[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\n";
	static const char pidf[] = "<presence/>";
	struct sip_msg *m = parse(invite), *r;
	const struct sip_ctype *ct;
	struct sip_out *o;
	uint32_t cl;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	assert_int_equal(sip_out_set_body(o, SIP_STR_NULL, sip_str_from_cstr(sdp)), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, strlen(sdp));
	assert_int_equal(r->body.len, strlen(sdp));
	assert_memory_equal(r->body.p, sdp, strlen(sdp));
	assert_int_equal(count_lines(r, SIP_HDR_CONTENT_LENGTH), 1);
	assert_int_equal(sip_msg_content_type(r, &ct), 0); /* kept */
	assert_str(ct->subtype, "sdp");
	sip_msg_free(r);
	free(s);
	/* New type and body; then no body at all. */
	assert_int_equal(sip_out_set_body(o, SIP_STR("application/pidf+xml"), sip_str_from_cstr(pidf)), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_content_type(r, &ct), 0);
	assert_str(ct->type, "application");
	assert_str(ct->subtype, "pidf+xml");
	assert_int_equal(count_lines(r, SIP_HDR_CONTENT_TYPE), 1);
	assert_int_equal(r->body.len, strlen(pidf));
	assert_memory_equal(r->body.p, pidf, strlen(pidf));
	sip_msg_free(r);
	free(s);
	assert_int_equal(sip_out_set_body(o, SIP_STR_NULL, SIP_STR_NULL), 0);
	s = ser(o);
	r = parse(s);
	assert_false(sip_msg_has(r, SIP_HDR_CONTENT_TYPE));
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, 0);
	assert_int_equal(r->body.len, 0);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_missing_content_length_is_added(void **state)
{
	/* UDP allows no Content-Length (RFC 3261 18.3, RFC 4475 3.4.1); what siphon
	 * sends always has a correct one. */
	static const char nocl[] =
		"MESSAGE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKnocl\r\n"
		"Max-Forwards: 70\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a\r\n"
		"Call-ID: nocl@example.com\r\n"
		"CSeq: 1 MESSAGE\r\n"
		"Content-Type: text/plain\r\n"
		"\r\n"
		"hello there";
	struct sip_msg *m = parse(nocl), *r;
	struct sip_out *o;
	uint32_t cl;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	s = ser(o);
	r = parse(s);
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, 11);
	assert_int_equal(r->body.len, 11);
	assert_memory_equal(r->body.p, "hello there", 11);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_add_remove_replace(void **state)
{
	struct sip_msg *m = parse(invite), *r;
	const struct sip_hdr *h;
	struct sip_out *o;
	unsigned n;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	/* By id, covering both lines. */
	assert_int_equal(sip_out_remove(o, SIP_HDR_RECORD_ROUTE, &n), 0);
	assert_int_equal(n, 2);
	/* By name, unknown header, any case. */
	assert_int_equal(sip_out_remove_name(o, SIP_STR("x-custom"), &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sip_out_remove_name(o, SIP_STR("X-Absent"), &n), 0);
	assert_int_equal(n, 0);
	/* By compact name: "s" is Subject. */
	assert_int_equal(sip_out_replace_name(o, SIP_STR("s"), SIP_STR("dinner")), 0);
	assert_int_equal(sip_out_add_name(o, SIP_STR("X-Added"), SIP_STR("one")), 0);
	assert_int_equal(sip_out_add_name(o, SIP_STR("X-Added"), SIP_STR("two")), 0);
	assert_int_equal(sip_out_addf(o, SIP_HDR_USER_AGENT, "siphon/%d.%d", 0, 1), 0);
	assert_int_equal(sip_out_set_ruri(o, SIP_STR("sip:bob@192.0.2.4:5062;transport=tcp")), 0);
	s = ser(o);
	r = parse(s);
	assert_false(sip_msg_has(r, SIP_HDR_RECORD_ROUTE));
	assert_null(sip_msg_hdr_by_name(r, SIP_STR("X-Custom")));
	h = sip_msg_hdr(r, SIP_HDR_SUBJECT);
	assert_non_null(h);
	assert_str(h->value, "dinner");
	assert_null(sip_msg_hdr_next(r, h));
	h = sip_msg_hdr_by_name(r, SIP_STR("x-added"));
	assert_non_null(h);
	assert_str(h->value, "one");
	h = sip_msg_hdr_next(r, h);
	assert_non_null(h);
	assert_str(h->value, "two");
	h = sip_msg_hdr(r, SIP_HDR_USER_AGENT);
	assert_non_null(h);
	assert_str(h->value, "siphon/0.1");
	assert_str(r->ruri_str, "sip:bob@192.0.2.4:5062;transport=tcp");
	assert_str(r->method_str, "INVITE");
	/* Replace where Subject was: between Contact and Content-Type. */
	assert_non_null(strstr(s, "Contact: <sip:alice@pc33.atlanta.example.com>\r\nSubject: dinner\r\n"
				  "Content-Type: application/sdp\r\n"));
	sip_msg_free(r);
	free(s);
	/* Replacing an added header keeps one line; removing it drops it. */
	assert_int_equal(sip_out_replace_name(o, SIP_STR("X-Added"), SIP_STR("three")), 0);
	s = ser(o);
	assert_non_null(strstr(s, "X-Added: three\r\n"));
	assert_null(strstr(s, "X-Added: one"));
	assert_null(strstr(s, "X-Added: two"));
	free(s);
	assert_int_equal(sip_out_remove_name(o, SIP_STR("X-ADDED"), &n), 0);
	assert_int_equal(n, 1);
	s = ser(o);
	assert_null(strstr(s, "X-Added"));
	free(s);
	/* Bad input changes nothing. */
	assert_int_equal(sip_out_add_name(o, SIP_STR("Bad Name"), SIP_STR("v")), -EINVAL);
	assert_int_equal(sip_out_add(o, SIP_HDR_SUBJECT, SIP_STR("a\r\nVia: evil")), -EINVAL);
	assert_int_equal(sip_out_add(o, SIP_HDR_CONTENT_LENGTH, SIP_STR("5")), -EINVAL);
	assert_int_equal(sip_out_add(o, SIP_HDR_OTHER, SIP_STR("5")), -EINVAL);
	assert_int_equal(sip_out_set_ruri(o, SIP_STR("sip:a b")), -EINVAL);
	assert_int_equal(sip_out_replace_name(o, SIP_STR("l"), SIP_STR("1")), -EINVAL);
	/* Removing Content-Length by hand still leaves one correct line. */
	assert_int_equal(sip_out_remove_name(o, SIP_STR("l"), &n), 0);
	assert_int_equal(n, 1);
	s = ser(o);
	assert_null(strstr(s, "evil"));
	r = parse(s);
	assert_str(r->ruri_str, "sip:bob@192.0.2.4:5062;transport=tcp");
	assert_int_equal(count_lines(r, SIP_HDR_CONTENT_LENGTH), 1);
	assert_int_equal(r->body.len, 14);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

static void test_remove_then_push(void **state)
{
	/* Removing every Via, then pushing one: the push lands where they were. */
	struct sip_msg *m = parse(invite), *r;
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_from_msg(&o, m), 0);
	assert_int_equal(sip_out_remove(o, SIP_HDR_VIA, NULL), 0);
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP only.example.com;branch=z9hG4bKonly")), 0);
	s = ser(o);
	{
		static const char head[] = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
					   "Via: SIP/2.0/UDP only.example.com;branch=z9hG4bKonly\r\n"
					   "Max-Forwards: 68\r\n";
		assert_int_equal(strncmp(s, head, strlen(head)), 0);
	}
	r = parse(s);
	assert_int_equal(sip_msg_via_count(r), 1);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	sip_msg_free(m);
}

/* ---- UAC requests, CANCEL, ACK ---- */

static void test_uac_request(void **state)
{
	char branch[SIP_BRANCH_SIZE], branch2[SIP_BRANCH_SIZE], tag[SIP_TAG_SIZE];
	char callid[SIP_CALL_ID_SIZE];
	struct sip_msg *r;
	struct sip_out *o;
	const struct sip_via *v;
	const struct sip_addr *from, *to;
	const struct sip_cseq *cseq;
	struct sip_str cid;
	uint32_t mf, cl;
	char *s;

	(void)state;
	assert_int_equal(sip_branch_new(branch, sizeof(branch)), 0);
	assert_int_equal(sip_branch_new(branch2, sizeof(branch2)), 0);
	assert_int_equal(sip_tag_new(tag, sizeof(tag)), 0);
	assert_int_equal(sip_call_id_new(callid, sizeof(callid)), 0);
	assert_int_equal(strlen(branch), SIP_BRANCH_SIZE - 1);
	assert_int_equal(strncmp(branch, "z9hG4bK", 7), 0);
	assert_int_equal(strspn(branch + 7, "0123456789abcdef"), SIP_BRANCH_SIZE - 8);
	assert_string_not_equal(branch, branch2); /* 128 random bits: never equal */
	assert_int_equal(strlen(tag), SIP_TAG_SIZE - 1);
	assert_int_equal(strspn(tag, "0123456789abcdef"), SIP_TAG_SIZE - 1);
	assert_int_equal(strlen(callid), SIP_CALL_ID_SIZE - 1);
	assert_int_equal(sip_branch_new(branch, 10), -EINVAL);

	assert_int_equal(sip_out_request(&o, SIP_STR("INVITE"), SIP_STR("sip:bob@example.com")), 0);
	/* Headers in any order; the Via push goes on top all the same. */
	assert_int_equal(sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70")), 0);
	assert_int_equal(sip_out_addf(o, SIP_HDR_FROM, "<sip:alice@example.com>;tag=%s", tag), 0);
	assert_int_equal(sip_out_add(o, SIP_HDR_TO, SIP_STR("<sip:bob@example.com>")), 0);
	assert_int_equal(sip_out_addf(o, SIP_HDR_CALL_ID, "%s@192.0.2.1", callid), 0);
	assert_int_equal(sip_out_add(o, SIP_HDR_CSEQ, SIP_STR("1 INVITE")), 0);
	assert_int_equal(sip_out_addf(o, SIP_HDR_VIA, "SIP/2.0/UDP 192.0.2.1:5060;branch=%s;rport", branch), 0);
	assert_int_equal(sip_out_add(o, SIP_HDR_CONTACT, SIP_STR("<sip:alice@192.0.2.1:5060>")), 0);
	assert_int_equal(sip_out_set_body(o, SIP_STR("application/sdp"), SIP_STR("v=0\r\n")), 0);
	s = ser(o);
	{
		static const char head[] = "INVITE sip:bob@example.com SIP/2.0\r\nMax-Forwards: 70\r\n";
		assert_int_equal(strncmp(s, head, strlen(head)), 0);
	}
	r = parse(s);
	assert_true(r->is_request);
	assert_int_equal(r->method, SIP_METHOD_INVITE);
	assert_str(r->ruri_str, "sip:bob@example.com");
	assert_int_equal(sip_msg_via(r, 0, &v), 0);
	assert_str(v->branch, branch);
	assert_true(sip_via_branch_is_rfc3261(v));
	assert_true(v->has_rport);
	assert_int_equal(sip_msg_from(r, &from), 0);
	assert_str(from->tag, tag);
	assert_int_equal(sip_msg_to(r, &to), 0);
	assert_int_equal(to->tag.len, 0);
	assert_int_equal(sip_msg_call_id(r, &cid), 0);
	assert_int_equal(cid.len, strlen(callid) + strlen("@192.0.2.1"));
	assert_int_equal(sip_msg_cseq(r, &cseq), 0);
	assert_int_equal(cseq->seq, 1);
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 70);
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, 5);
	assert_memory_equal(r->body.p, "v=0\r\n", 5);
	sip_msg_free(r);
	free(s);
	/* A Via pushed on a scratch request goes above the appended one. */
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP outbound.example.com;branch=z9hG4bKob")), 0);
	assert_int_equal(sip_out_set_ruri(o, SIP_STR("sip:bob@192.0.2.99")), 0);
	s = ser(o);
	r = parse(s);
	assert_via_branch(r, 0, "z9hG4bKob");
	assert_via_branch(r, 1, branch);
	assert_str(r->ruri_str, "sip:bob@192.0.2.99");
	sip_msg_free(r);
	free(s);
	sip_out_free(o);

	assert_int_equal(sip_out_request(&o, SIP_STR("IN VITE"), SIP_STR("sip:x")), -EINVAL);
	assert_int_equal(sip_out_request(&o, SIP_STR("INVITE"), SIP_STR("sip:x y")), -EINVAL);
	assert_int_equal(sip_out_request(&o, SIP_STR("INVITE"), SIP_STR_NULL), -EINVAL);
}

static const char uac_invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, SIP/2.0/UDP never.example.com;branch=z9hG4bKno\r\n"
	"Via: SIP/2.0/UDP also-never.example.com;branch=z9hG4bKno2\r\n"
	"Max-Forwards: 70\r\n"
	"Route: <sip:outbound.example.com;lr>\r\n"
	"Route: <sip:core.example.com;lr>\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\n";

static void check_hop(struct sip_msg *r, enum sip_method method, const char *mname, const char *to_tag)
{
	const struct sip_addr *to, *from, *route;
	const struct sip_cseq *cseq;
	struct sip_str callid;
	uint32_t mf, cl;

	assert_true(r->is_request);
	assert_int_equal(r->method, method);
	assert_str(r->ruri_str, "sip:bob@biloxi.example.com");
	assert_int_equal(sip_msg_via_count(r), 1);
	assert_via_branch(r, 0, "z9hG4bK776asdhds");
	assert_int_equal(sip_msg_from(r, &from), 0);
	assert_str(from->tag, "1928301774");
	assert_int_equal(sip_msg_to(r, &to), 0);
	if (to_tag)
		assert_str(to->tag, to_tag);
	else
		assert_int_equal(to->tag.len, 0);
	assert_int_equal(sip_msg_call_id(r, &callid), 0);
	assert_str(callid, "a84b4c76e66710@pc33.atlanta.example.com");
	assert_int_equal(sip_msg_cseq(r, &cseq), 0);
	assert_int_equal(cseq->seq, 314159);
	assert_int_equal(cseq->method, method);
	assert_str(cseq->method_str, mname);
	assert_int_equal(sip_msg_route_count(r), 2);
	assert_int_equal(sip_msg_route(r, 0, &route), 0);
	assert_str(route->uri_str, "sip:outbound.example.com;lr");
	assert_int_equal(sip_msg_route(r, 1, &route), 0);
	assert_str(route->uri_str, "sip:core.example.com;lr");
	assert_int_equal(sip_msg_max_forwards(r, &mf), 0);
	assert_int_equal(mf, 70);
	assert_int_equal(sip_msg_content_length(r, &cl), 0);
	assert_int_equal(cl, 0);
	assert_false(sip_msg_has(r, SIP_HDR_CONTACT));
	assert_false(sip_msg_has(r, SIP_HDR_CONTENT_TYPE));
}

static void test_cancel(void **state)
{
	struct sip_msg *inv = parse(uac_invite), *r;
	struct sip_out *o;
	char *s;

	(void)state;
	assert_int_equal(sip_out_cancel(&o, inv), 0);
	sip_msg_free(inv); /* the CANCEL owns its copies */
	s = ser(o);
	r = parse(s);
	check_hop(r, SIP_METHOD_CANCEL, "CANCEL", NULL);
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
}

static void test_ack_non2xx(void **state)
{
	static const char busy[] =
		"SIP/2.0 486 Busy Here\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	static const char ok[] =
		"SIP/2.0 200 OK\r\n"
		"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
		"To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf\r\n"
		"From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
		"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
		"CSeq: 314159 INVITE\r\n"
		"Content-Length: 0\r\n\r\n";
	struct sip_msg *inv = parse(uac_invite), *resp = parse(busy), *r, *okr = parse(ok);
	struct sip_out *o = NULL;
	char *s;

	(void)state;
	assert_int_equal(sip_out_ack(&o, inv, resp), 0);
	s = ser(o);
	r = parse(s);
	/* 17.1.1.3: To from the response (with its tag). */
	check_hop(r, SIP_METHOD_ACK, "ACK", "a6c85cf");
	sip_msg_free(r);
	free(s);
	sip_out_free(o);
	o = NULL;
	/* A 2xx is ACKed by the dialog (13.2.2.4), not here. */
	assert_int_equal(sip_out_ack(&o, inv, okr), -EINVAL);
	/* CANCEL and ACK are built from an INVITE only. */
	assert_int_equal(sip_out_cancel(&o, resp), -EINVAL);
	assert_null(o);
	sip_msg_free(okr);
	sip_msg_free(resp);
	sip_msg_free(inv);
}

static void test_serialize_appends(void **state)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_out *o;

	(void)state;
	assert_int_equal(sip_out_response(&o, 404, NULL), 0);
	assert_int_equal(sip_buf_append_cstr(&b, "prefix|"), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	assert_string_equal(b.p, "prefix|SIP/2.0 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	sip_buf_free(&b);
	sip_out_free(o);
	assert_int_equal(sip_out_response(&o, 99, NULL), -EINVAL);
	assert_int_equal(sip_out_response(&o, 700, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response_invite_180),
		cmocka_unit_test(test_response_register_keeps_tag),
		cmocka_unit_test(test_response_subscribe),
		cmocka_unit_test(test_response_100_trying),
		cmocka_unit_test(test_response_errors),
		cmocka_unit_test(test_untouched_is_identical),
		cmocka_unit_test(test_proxy_forward_edits),
		cmocka_unit_test(test_via_pop),
		cmocka_unit_test(test_max_forwards),
		cmocka_unit_test(test_set_body),
		cmocka_unit_test(test_missing_content_length_is_added),
		cmocka_unit_test(test_add_remove_replace),
		cmocka_unit_test(test_remove_then_push),
		cmocka_unit_test(test_uac_request),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_ack_non2xx),
		cmocka_unit_test(test_serialize_appends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Proxy request processing tests: validation (RFC 3261 16.3: 400, 416, 483,
 * OPTIONS answered locally, 482 loops against spirals per RFC 5393, 420 with
 * Unsupported), route preprocessing (16.4, the 16.12.1.2 strict-router example),
 * the forwarded copy (16.6: Request-URI, Max-Forwards, Record-Route and double
 * Record-Route, Route, Via, body) and the decline policy. Every built message is
 * serialized and parsed back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proxy_testutil.h"
#include "siphon/proxy.h"

static const struct sip_proxy_self self[] = {
	{ SIP_STR_INIT("192.0.2.1"), 5060 },
	{ SIP_STR_INIT("proxy.example.com"), 0 },
};
static const struct sip_str tags[] = { SIP_STR_INIT("path"), SIP_STR_INIT("sec-agree") };
static const struct sip_proxy_config cfg = { self, 2, tags, 2, 0, 0 };

static char *req_text(const char *start, const char *extra)
{
	static char buf[2048];

	snprintf(buf, sizeof(buf),
		 "%s SIP/2.0\r\n"
		 "Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bKorig1\r\n"
		 "To: <sip:bob@example.com>\r\n"
		 "From: <sip:alice@example.com>;tag=a1\r\n"
		 "Call-ID: req-1\r\n"
		 "CSeq: 9 %.*s\r\n"
		 "%s"
		 "Content-Length: 0\r\n\r\n",
		 start, (int)strcspn(start, " "), start, extra ? extra : "");
	return buf;
}

static struct sip_proxy_check check(const char *start, const char *extra)
{
	struct sip_msg *m = parse(req_text(start, extra));
	struct sip_proxy_check c;

	assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
	sip_msg_free(m);
	return c;
}

static void test_validate(void **state)
{
	struct sip_proxy_check c;
	(void)state;

	c = check("INVITE sip:bob@example.com", "Max-Forwards: 5\r\n");
	assert_int_equal(c.status, 0);
	assert_false(c.options_local);
	/* No Max-Forwards passes. */
	assert_int_equal(check("INVITE sip:bob@example.com", NULL).status, 0);
	/* 2. URI scheme. */
	c = check("INVITE mailto:bob@example.com", NULL);
	assert_int_equal(c.status, 416);
	assert_int_equal(check("INVITE tel:+15551234567", NULL).status, 0);
	assert_int_equal(check("INVITE sips:bob@example.com", NULL).status, 0);
	/* 3. Max-Forwards 0. */
	c = check("INVITE sip:bob@example.com", "Max-Forwards: 0\r\n");
	assert_int_equal(c.status, 483);
	c = check("OPTIONS sip:bob@example.com", "Max-Forwards: 0\r\n");
	assert_int_equal(c.status, 0);
	assert_true(c.options_local);
	/* OPTIONS to the proxy itself, with or without an explicit port. */
	assert_true(check("OPTIONS sip:192.0.2.1", NULL).options_local);
	assert_true(check("OPTIONS sip:proxy.example.com:5070", NULL).options_local);
	assert_false(check("OPTIONS sip:192.0.2.1:5070", NULL).options_local);
	assert_false(check("OPTIONS sip:bob@192.0.2.1", NULL).options_local);
	/* 5. Proxy-Require. */
	{
		/* The option-tags are slices of the request: check them while it lives. */
		struct sip_msg *m = parse(req_text("INVITE sip:bob@example.com",
						   "Proxy-Require: path, foo\r\nProxy-Require: bar\r\n"));
		assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
		assert_int_equal(c.status, 420);
		assert_int_equal(c.nunsupported, 2);
		assert_str(c.unsupported[0], "foo");
		assert_str(c.unsupported[1], "bar");
		sip_msg_free(m);
	}
	assert_int_equal(check("INVITE sip:bob@example.com", "Proxy-Require: SEC-AGREE\r\n").status, 0);
	/* 1. Syntax of what forwarding reads. */
	c = check("INVITE sip:bob@example.com", "Max-Forwards: many\r\n");
	assert_int_equal(c.status, 400);
	assert_string_equal(c.reason, "Bad Request (Bad Max-Forwards)");
	c = check("INVITE sip:bob@example.com", "Route: <sip:p1.example.com;lr\r\n");
	assert_int_equal(c.status, 400);
	{
		/* A Via further down that does not parse (loop detection reads all). */
		struct sip_msg *m = parse("BYE sip:bob@example.com SIP/2.0\r\n"
					  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
					  "Via: SIP/2.0 nonsense\r\n"
					  "To: <sip:bob@example.com>\r\nFrom: <sip:a@h>;tag=1\r\n"
					  "Call-ID: x\r\nCSeq: 1 BYE\r\n\r\n");
		assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
		assert_int_equal(c.status, 400);
		assert_string_equal(c.reason, "Bad Request (Bad Via)");
		sip_msg_free(m);
	}
}

static void test_reply_420(void **state)
{
	struct sip_msg *m = parse(req_text("INVITE sip:bob@example.com", "Proxy-Require: foo, bar\r\n"));
	struct sip_proxy_check c;
	struct sip_out *o;
	struct sip_msg *r;
	(void)state;

	assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
	assert_int_equal(sip_proxy_reply(&o, m, &c, SIP_STR("t1")), 0);
	r = roundtrip(o);
	assert_int_equal(r->status, 420);
	assert_str(r->reason, "Bad Extension");
	assert_string_equal(hdr_value(r, "Unsupported"), "foo, bar");
	assert_true(sip_msg_has_token(r, SIP_HDR_UNSUPPORTED, SIP_STR("bar")));
	sip_msg_free(r);
	/* 483 and 416 carry the catalogue's phrase. */
	sip_msg_free(m);
	m = parse(req_text("INVITE sip:bob@example.com", "Max-Forwards: 0\r\n"));
	assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
	assert_int_equal(sip_proxy_reply(&o, m, &c, SIP_STR("t1")), 0);
	r = roundtrip(o);
	assert_int_equal(r->status, 483);
	assert_str(r->reason, "Too Many Hops");
	assert_false(sip_msg_has(r, SIP_HDR_UNSUPPORTED));
	sip_msg_free(r);
	sip_msg_free(m);
}

static char last_ruri[256]; /* the Request-URI after 16.4 of the last proxy_once */

/* Validate, preprocess and forward text to target; returns the forwarded copy
 * parsed, next hop in hop. */
static struct sip_msg *proxy_once(const char *text, const char *target, const struct sip_proxy_fwd *base,
				  char *hop, size_t hopsz, struct sip_proxy_req *rout)
{
	struct sip_msg *m = parse(text), *out;
	struct sip_proxy_check c;
	struct sip_proxy_req r;
	struct sip_proxy_fwd f;
	struct sip_buf nh = SIP_BUF_INIT;
	char branch[SIP_PROXY_BRANCH_SIZE];
	struct sip_out *o;

	assert_int_equal(sip_proxy_validate(&c, &cfg, m), 0);
	assert_int_equal(c.status, 0);
	assert_int_equal(sip_proxy_preprocess(&r, &cfg, m, &c), 0);
	/* r borrows from m, freed below: keep only its plain fields. */
	sip_str_copy(last_ruri, sizeof(last_ruri), r.ruri);
	if (rout) {
		*rout = r;
		rout->msg = NULL;
		rout->ruri = SIP_STR_NULL;
	}
	if (base)
		f = *base;
	else
		f = (struct sip_proxy_fwd){ .via = SIP_STR("SIP/2.0/UDP 192.0.2.1:5060") };
	f.target = target ? sip_str_from_cstr(target) : r.ruri;
	assert_int_equal(sip_proxy_forward(&o, &nh, branch, &r, &f), 0);
	assert_int_equal(strlen(branch), SIP_PROXY_BRANCH_SIZE - 1);
	out = roundtrip(o);
	{
		const struct sip_via *v;
		assert_int_equal(sip_msg_via(out, 0, &v), 0);
		assert_str(v->branch, branch);
	}
	if (hop)
		sip_str_copy(hop, hopsz, sip_buf_str(&nh));
	sip_buf_free(&nh);
	sip_msg_free(m);
	return out;
}

static void test_forward_edits(void **state)
{
	static const char invite[] =
		"INVITE sip:bob@example.com SIP/2.0\r\n"
		"Via: SIP/2.0/TCP 198.51.100.7:5060;branch=z9hG4bKorig1\r\n"
		"Max-Forwards: 70\r\n"
		"Record-Route: <sip:edge.example.net;lr>\r\n"
		"To: <sip:bob@example.com>\r\n"
		"From: <sip:alice@example.com>;tag=a1\r\n"
		"Call-ID: fwd-1\r\n"
		"CSeq: 1 INVITE\r\n"
		"Contact: <sip:alice@198.51.100.7;transport=tcp>\r\n"
		"X-Unknown: kept as it is\r\n"
		"Content-Type: application/sdp\r\n"
		"Content-Length: 6\r\n\r\n"
		"v=0\r\ns";
	struct sip_proxy_fwd f = { .via = SIP_STR("SIP/2.0/UDP 192.0.2.1:5060"),
				   .rr = SIP_STR("sip:192.0.2.1:5060;lr"),
				   .rr_in = SIP_STR("sip:192.0.2.1:5060;transport=tcp;lr") };
	const struct sip_addr *a;
	const struct sip_via *v;
	struct sip_msg *out;
	uint32_t mf;
	char hop[256];
	(void)state;

	out = proxy_once(invite, "sip:bob@203.0.113.5:5062;method=INVITE;ob", &f, hop, sizeof(hop), NULL);
	/* Item 2: target without method=. */
	assert_str(out->ruri_str, "sip:bob@203.0.113.5:5062;ob");
	assert_string_equal(hop, "sip:bob@203.0.113.5:5062;ob");
	/* Item 3. */
	assert_int_equal(sip_msg_max_forwards(out, &mf), 0);
	assert_int_equal(mf, 69);
	/* Item 4: double Record-Route, outgoing side on top, then the existing one. */
	assert_int_equal(sip_msg_record_route_count(out), 3);
	assert_int_equal(sip_msg_record_route(out, 0, &a), 0);
	assert_str(a->uri_str, "sip:192.0.2.1:5060;lr");
	assert_int_equal(sip_msg_record_route(out, 1, &a), 0);
	assert_str(a->uri_str, "sip:192.0.2.1:5060;transport=tcp;lr");
	assert_int_equal(sip_msg_record_route(out, 2, &a), 0);
	assert_str(a->uri_str, "sip:edge.example.net;lr");
	/* Item 8: our Via on top, with the loop hash; the caller's below. */
	assert_int_equal(sip_msg_via_count(out), 2);
	assert_int_equal(sip_msg_via(out, 0, &v), 0);
	assert_str(v->transport, "UDP");
	assert_str(v->host, "192.0.2.1");
	assert_true(sip_via_branch_is_rfc3261(v));
	assert_int_equal(v->branch.p[SIP_BRANCH_SIZE - 1], '.');
	assert_int_equal(sip_msg_via(out, 1, &v), 0);
	assert_str(v->branch, "z9hG4bKorig1");
	/* Items 1 and 9: everything else and the body untouched. */
	assert_string_equal(hdr_value(out, "X-Unknown"), "kept as it is");
	assert_str(out->body, "v=0\r\ns");
	assert_false(sip_msg_has(out, SIP_HDR_ROUTE));
	sip_msg_free(out);

	/* Same interface both ways: one Record-Route. No Max-Forwards: 70 added. */
	f.rr_in = f.rr;
	out = proxy_once(req_text("INVITE sip:bob@example.com", NULL), "sip:bob@203.0.113.5", &f, NULL, 0, NULL);
	assert_int_equal(sip_msg_record_route_count(out), 1);
	assert_int_equal(sip_msg_max_forwards(out, &mf), 0);
	assert_int_equal(mf, 70);
	sip_msg_free(out);

	/* Policy route pushed on top (item 6): the request goes there. */
	{
		static const struct sip_str policy[] = { SIP_STR_INIT("<sip:sbc.example.com;lr>") };
		char routes[256] = "";
		f.routes = policy;
		f.nroutes = 1;
		f.rr = SIP_STR_NULL;
		out = proxy_once(req_text("INVITE sip:bob@example.com", "Route: <sip:192.0.2.1;lr>, <sip:p2.example.org;lr>\r\n"),
				 "sip:bob@203.0.113.5", &f, hop, sizeof(hop), NULL);
		assert_string_equal(hop, "sip:sbc.example.com;lr");
		for (int i = 0; i < sip_msg_route_count(out); i++) {
			assert_int_equal(sip_msg_route(out, (unsigned)i, &a), 0);
			snprintf(routes + strlen(routes), sizeof(routes) - strlen(routes), "%s%.*s", i ? "," : "",
				 SIP_STR_ARG(a->uri_str));
		}
		assert_string_equal(routes, "sip:sbc.example.com;lr,sip:p2.example.org;lr");
		assert_false(sip_msg_has(out, SIP_HDR_RECORD_ROUTE));
		sip_msg_free(out);
	}
}

/* 16.12.1.1: P1 finds itself on top of Route and removes it; the request goes
 * to the next Route value, the Request-URI is untouched. Two values of ours on top
 * (a double Record-Route) both go. */
static void test_route_removal(void **state)
{
	struct sip_proxy_req r;
	struct sip_msg *out;
	char hop[256];
	(void)state;

	out = proxy_once(req_text("BYE sip:callee@u2.domain.com",
				  "Route: <sip:proxy.example.com;lr>,<sip:p2.domain.com;lr>\r\n"),
			 NULL, NULL, hop, sizeof(hop), &r);
	assert_int_equal(r.route_first, 1);
	assert_false(r.strict_fixup);
	assert_true(sip_proxy_req_routed(&r));
	assert_str(out->ruri_str, "sip:callee@u2.domain.com");
	assert_string_equal(hdr_value(out, "Route"), "<sip:p2.domain.com;lr>");
	assert_string_equal(hop, "sip:p2.domain.com;lr");
	sip_msg_free(out);

	out = proxy_once(req_text("BYE sip:callee@u2.domain.com",
				  "Route: <sip:192.0.2.1;transport=tcp;lr>\r\nRoute: <sip:192.0.2.1:5060;lr>\r\n"),
			 NULL, NULL, hop, sizeof(hop), &r);
	assert_int_equal(r.route_first, 2);
	assert_false(sip_proxy_req_routed(&r));
	assert_false(sip_msg_has(out, SIP_HDR_ROUTE));
	assert_string_equal(hop, "sip:callee@u2.domain.com");
	sip_msg_free(out);
}

/* 16.12.1.2: P2 gets "BYE sip:p2.example.com;lr" from the strict router P3 and
 * restores the Request-URI from the last Route value; P4 before it turns the
 * request around for P3 (a strict router: no lr). */
static void test_strict_routing(void **state)
{
	struct sip_proxy_req r;
	struct sip_msg *out;
	char hop[256];
	(void)state;

	/* We are P2 (proxy.example.com). */
	out = proxy_once(req_text("BYE sip:proxy.example.com;lr",
				  "Route: <sip:p1.example.com;lr>\r\nRoute: <sip:caller@u1.example.com>\r\n"),
			 NULL, NULL, hop, sizeof(hop), &r);
	assert_true(r.strict_fixup);
	assert_string_equal(last_ruri, "sip:caller@u1.example.com");
	assert_str(out->ruri_str, "sip:caller@u1.example.com");
	assert_int_equal(sip_msg_route_count(out), 1);
	assert_string_equal(hdr_value(out, "Route"), "<sip:p1.example.com;lr>");
	assert_string_equal(hop, "sip:p1.example.com;lr");
	sip_msg_free(out);

	/* We are P4 (192.0.2.1): the next hop P3 is a strict router. */
	out = proxy_once(req_text("BYE sip:caller@u1.example.com",
				  "Route: <sip:192.0.2.1;lr>\r\nRoute: <sip:p3.middle.com>\r\n"
				  "Route: <sip:p2.example.com;lr>\r\nRoute: <sip:p1.example.com;lr>\r\n"),
			 NULL, NULL, hop, sizeof(hop), &r);
	assert_false(r.strict_fixup);
	assert_str(out->ruri_str, "sip:p3.middle.com");
	assert_string_equal(hop, "sip:p3.middle.com");
	{
		char routes[256] = "";
		const struct sip_addr *a;
		for (int i = 0; i < sip_msg_route_count(out); i++) {
			assert_int_equal(sip_msg_route(out, (unsigned)i, &a), 0);
			snprintf(routes + strlen(routes), sizeof(routes) - strlen(routes), "%s%.*s", i ? "," : "",
				 SIP_STR_ARG(a->uri_str));
		}
		assert_string_equal(routes, "sip:p2.example.com;lr,sip:p1.example.com;lr,sip:caller@u1.example.com");
	}
	sip_msg_free(out);
	/* Our own address without lr in the Request-URI is not a Record-Route value. */
	out = proxy_once(req_text("MESSAGE sip:192.0.2.1", "Route: <sip:p1.example.com;lr>\r\n"),
			 NULL, NULL, NULL, 0, &r);
	assert_false(r.strict_fixup);
	sip_msg_free(out);
}

/* 16.3 item 4 / RFC 5393: a request that comes back unchanged has looped (482);
 * one whose Request-URI changed in between is spiralling and passes. */
static void test_loop_detection(void **state)
{
	struct sip_proxy_check c;
	struct sip_msg *out, *again;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_out *o;
	(void)state;

	/* Not our domain: forwarded with the Request-URI as is... and it comes back. */
	out = proxy_once(req_text("INVITE sip:bob@elsewhere.example", "Max-Forwards: 70\r\n"), NULL, NULL,
			 NULL, 0, NULL);
	assert_int_equal(sip_proxy_validate(&c, &cfg, out), 0);
	assert_int_equal(c.status, 482);
	/* After another proxy pushed its own Via on top, still a loop. */
	assert_int_equal(sip_out_from_msg(&o, out), 0);
	assert_int_equal(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP 203.0.113.77;branch=z9hG4bKother")), 0);
	assert_int_equal(sip_out_max_forwards_dec(o), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	sip_out_free(o);
	again = parse_n(b.p, b.len);
	assert_int_equal(sip_proxy_validate(&c, &cfg, again), 0);
	assert_int_equal(c.status, 482);
	sip_msg_free(again);
	sip_buf_free(&b);
	sip_msg_free(out);

	/* Retargeted to a contact that leads back here: a spiral. */
	out = proxy_once(req_text("INVITE sip:bob@example.com", NULL), "sip:bob@elsewhere.example", NULL,
			 NULL, 0, NULL);
	assert_int_equal(sip_proxy_validate(&c, &cfg, out), 0);
	assert_int_equal(c.status, 0);
	sip_msg_free(out);
}

static void test_stateless_response(void **state)
{
	struct sip_msg *m = parse("SIP/2.0 200 OK\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1\r\n"
				  "Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKc1\r\n"
				  "To: <sip:b@h>;tag=2\r\nFrom: <sip:a@h>;tag=1\r\n"
				  "Call-ID: late\r\nCSeq: 1 INVITE\r\n\r\n");
	struct sip_out *o;
	struct sip_msg *out;
	const struct sip_via *v;
	(void)state;

	assert_int_equal(sip_proxy_response_stateless(&o, m), 0);
	out = roundtrip(o);
	assert_int_equal(sip_msg_via_count(out), 1);
	assert_int_equal(sip_msg_via(out, 0, &v), 0);
	assert_str(v->branch, "z9hG4bKc1");
	sip_msg_free(out);
	sip_msg_free(m);
	m = parse("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp1\r\n"
		  "To: <sip:b@h>;tag=2\r\nFrom: <sip:a@h>;tag=1\r\nCall-ID: c\r\nCSeq: 1 CANCEL\r\n\r\n");
	assert_int_equal(sip_proxy_response_stateless(&o, m), SIP_ENOTFOUND);
	sip_msg_free(m);
}

/* ---- Decline policy ---- */

static struct sip_decline decide(const struct sip_decline_policy *p, const char *start, const char *extra)
{
	struct sip_msg *m = parse(req_text(start, extra));
	struct sip_decline d;

	assert_int_equal(sip_proxy_decline_decide(&d, p, m), 0);
	sip_msg_free(m);
	return d;
}

static void test_decline_policy(void **state)
{
	static const struct sip_str blocked[] = { SIP_STR_INIT("sip:mallory@evil.example"),
						  SIP_STR_INIT("<tel:+1-555-0100>") };
	struct sip_decline_policy p = { true, NULL, 0, 0 };
	struct sip_decline d;
	struct sip_msg *m, *r;
	struct sip_out *o;
	const struct sip_reason *rs;
	(void)state;

	/* Do not disturb: 603 with the reason. */
	d = decide(&p, "INVITE sip:bob@example.com", NULL);
	assert_int_equal(d.status, 603);
	assert_string_equal(d.why, "dnd");
	m = parse(req_text("INVITE sip:bob@example.com", NULL));
	assert_int_equal(sip_proxy_decline_response(&o, m, &d, SIP_STR("dnd1")), 0);
	r = roundtrip(o);
	assert_int_equal(r->status, 603);
	assert_str(r->reason, "Decline");
	assert_string_equal(hdr_value(r, "Reason"), "SIP;cause=603;text=\"Do Not Disturb\"");
	assert_int_equal(sip_msg_reason(r, &rs), 0);
	assert_int_equal(rs->cause, 603);
	assert_str(rs->text, "Do Not Disturb");
	sip_msg_free(r);
	sip_msg_free(m);
	/* DND is about calls: a MESSAGE passes, and so does anything in a dialog. */
	assert_int_equal(decide(&p, "MESSAGE sip:bob@example.com", NULL).status, 0);
	{
		struct sip_msg *in = parse("INVITE sip:bob@203.0.113.5 SIP/2.0\r\n"
					   "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
					   "To: <sip:bob@example.com>;tag=b1\r\nFrom: <sip:alice@example.com>;tag=a1\r\n"
					   "Call-ID: x\r\nCSeq: 2 INVITE\r\n\r\n");
		assert_int_equal(sip_proxy_decline_decide(&d, &p, in), 0);
		assert_int_equal(d.status, 0);
		sip_msg_free(in);
	}

	/* Blocklist, checked first: 603 "Caller Blocked", or 607 when configured. */
	p.blocked = blocked;
	p.nblocked = 2;
	d = decide(&p, "INVITE sip:bob@example.com", NULL);
	assert_string_equal(d.why, "dnd"); /* alice is not blocked */
	m = parse("INVITE sip:bob@example.com SIP/2.0\r\n"
		  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
		  "To: <sip:bob@example.com>\r\nFrom: \"M\" <sip:mallory@EVIL.example;transport=udp>;tag=m1\r\n"
		  "Call-ID: y\r\nCSeq: 1 INVITE\r\n\r\n");
	assert_int_equal(sip_proxy_decline_decide(&d, &p, m), 0);
	assert_int_equal(d.status, 603);
	assert_string_equal(d.why, "blocklist");
	assert_string_equal(d.text, "Caller Blocked");
	p.block_status = 607;
	p.dnd = false;
	assert_int_equal(sip_proxy_decline_decide(&d, &p, m), 0);
	assert_int_equal(d.status, 607);
	assert_int_equal(sip_proxy_decline_response(&o, m, &d, SIP_STR("b1")), 0);
	r = roundtrip(o);
	assert_int_equal(r->status, 607);
	assert_str(r->reason, "Unwanted");
	assert_string_equal(hdr_value(r, "Reason"), "SIP;cause=607;text=\"Unwanted\"");
	sip_msg_free(r);
	sip_msg_free(m);
	/* A number, from a user=phone SIP URI with other separators, and through
	 * P-Asserted-Identity. */
	d = decide(&p, "INVITE sip:bob@example.com",
		   "P-Asserted-Identity: <sip:+1555.0100@gw.example;user=phone>\r\n");
	assert_int_equal(d.status, 607);
	assert_int_equal(decide(&p, "INVITE sip:bob@example.com",
				"P-Asserted-Identity: <sip:+15550101@gw.example;user=phone>\r\n").status, 0);
	/* Not blocked, no DND: nothing. REGISTER is never declined. */
	assert_int_equal(decide(&p, "INVITE sip:bob@example.com", NULL).status, 0);
	p.dnd = true;
	assert_int_equal(decide(&p, "REGISTER sip:example.com", NULL).status, 0);
	p.block_status = 486;
	m = parse(req_text("INVITE sip:bob@example.com", NULL));
	assert_int_equal(sip_proxy_decline_decide(&d, &p, m), -EINVAL);
	sip_msg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_reply_420),
		cmocka_unit_test(test_forward_edits),
		cmocka_unit_test(test_route_removal),
		cmocka_unit_test(test_strict_routing),
		cmocka_unit_test(test_loop_detection),
		cmocka_unit_test(test_stateless_response),
		cmocka_unit_test(test_decline_policy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

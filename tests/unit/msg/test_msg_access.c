/* Unit tests for the typed accessors (src/msg/access*.c): values read back from
 * the shared corpus, memoization (same object, same error on every call), values
 * split over lines and commas, absent and malformed headers, and that a fully
 * read message still lives in its one heap block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "siphon/err.h"
#include "siphon/msg.h"

#include "msg_int.h"
#include "msg_testutil.h"

static bool str_is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, sip_str_from_cstr(lit));
}

static struct sip_msg *load_parse(struct corpus_file *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(c[i].name, name)) {
			struct sip_msg *m;
			struct sip_parse_error e;
			if (sip_msg_parse(&m, c[i].data, c[i].len, NULL, &e))
				fail_msg("%s: %s", name, e.reason);
			return m;
		}
	}
	fail_msg("corpus file %s missing", name);
	return NULL;
}

static int ok_or_absent(int e)
{
	return e == 0 || e == SIP_ENOTFOUND;
}

/* Every accessor on every corpus message: no error but "absent", and the message
 * still fits its one block. */
static void test_corpus_all_accessors(void **state)
{
	static const enum sip_hdr_id auth_ids[] = { SIP_HDR_AUTHORIZATION, SIP_HDR_PROXY_AUTHORIZATION,
						    SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE };
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct sip_msg *m;
		struct sip_parse_error pe;
		const struct sip_via *v;
		const struct sip_addr *a, *a2;
		const struct sip_uri *u;
		const struct sip_ctype *ct;
		const struct sip_event *ev;
		const struct sip_subscription_state *ss;
		const struct sip_reason *rs;
		const struct sip_retry_after *ra;
		const struct sip_rack *rk;
		const struct sip_session_expires *se;
		const struct sip_auth *au;
		struct sip_str s;
		uint32_t x;
		struct expect e;
		int nv;

		assert_int_equal(expect_scan(c[i].data, c[i].len, &e), 0);
		assert_int_equal(sip_msg_parse(&m, c[i].data, c[i].len, NULL, &pe), 0);
		nv = sip_msg_via_count(m);
		assert_int_equal(nv, e.vias);
		for (int k = 0; k < nv; k++) {
			assert_int_equal(sip_msg_via(m, (unsigned)k, &v), 0);
			assert_true(str_is(v->protocol, "SIP/2.0"));
			assert_true(sip_str_casestarts(v->branch, SIP_STR("z9hG4bK")));
		}
		assert_int_equal(sip_msg_via(m, (unsigned)nv, &v), SIP_ENOTFOUND);
		assert_int_equal(sip_msg_from(m, &a), 0);
		assert_true(a->tag.len > 0);
		assert_int_equal(sip_msg_from(m, &a2), 0);
		assert_ptr_equal(a, a2);
		assert_int_equal(sip_msg_to(m, &a), 0);
		assert_int_equal(sip_msg_call_id(m, &s), 0);
		assert_true(str_is(s, e.call_id));
		if (m->is_request) {
			assert_int_equal(sip_msg_ruri(m, &u), 0);
			assert_true(u->scheme == SIP_URI_SIP);
		} else {
			assert_int_equal(sip_msg_ruri(m, &u), SIP_ENOTFOUND);
		}
		assert_true(ok_or_absent(sip_msg_max_forwards(m, &x)));
		assert_true(ok_or_absent(sip_msg_content_type(m, &ct)));
		assert_int_equal(sip_msg_content_type(m, &ct) == 0, m->body.len > 0);
		for (int k = 0, cnt = sip_msg_contact_count(m); k < cnt; k++)
			assert_int_equal(sip_msg_contact(m, (unsigned)k, &a), 0);
		for (int k = 0, cnt = sip_msg_route_count(m); k < cnt; k++)
			assert_int_equal(sip_msg_route(m, (unsigned)k, &a), 0);
		for (int k = 0, cnt = sip_msg_record_route_count(m); k < cnt; k++)
			assert_int_equal(sip_msg_record_route(m, (unsigned)k, &a), 0);
		assert_int_equal(sip_msg_path_count(m), 0);
		assert_true(ok_or_absent(sip_msg_expires(m, &x)));
		assert_true(ok_or_absent(sip_msg_min_expires(m, &x)));
		assert_true(ok_or_absent(sip_msg_event(m, &ev)));
		assert_true(ok_or_absent(sip_msg_subscription_state(m, &ss)));
		assert_true(ok_or_absent(sip_msg_etag(m, SIP_HDR_SIP_ETAG, &s)));
		assert_true(ok_or_absent(sip_msg_etag(m, SIP_HDR_SIP_IF_MATCH, &s)));
		assert_true(ok_or_absent(sip_msg_etag(m, SIP_HDR_SUPPRESS_IF_MATCH, &s)));
		for (size_t k = 0; k < 4; k++)
			for (unsigned j = 0; j < 4; j++)
				assert_true(ok_or_absent(sip_msg_auth(m, auth_ids[k], j, &au)));
		assert_true(ok_or_absent(sip_msg_reason(m, &rs)));
		assert_true(ok_or_absent(sip_msg_retry_after(m, &ra)));
		assert_true(ok_or_absent(sip_msg_rseq(m, &x)));
		assert_true(ok_or_absent(sip_msg_rack(m, &rk)));
		assert_true(ok_or_absent(sip_msg_session_expires(m, &se)));
		assert_true(ok_or_absent(sip_msg_refer_to(m, &a)));
		/* DESIGN.md: one heap allocation per message, even fully read. */
		assert_null(m->arena.extra);
		sip_msg_free(m);
	}
	corpus_free(c, n);
}

static void test_corpus_values(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);
	struct sip_msg *m;
	const struct sip_via *v;
	const struct sip_addr *a;
	const struct sip_uri *u;
	const struct sip_ctype *ct;
	const struct sip_session_expires *se;
	const struct sip_auth *au;
	const struct sip_event *ev;
	const struct sip_subscription_state *ss;
	const struct sip_reason *rs;
	struct sip_str s;
	uint32_t x;

	(void)state;
	m = load_parse(c, n, "01_invite_sdp.sip");
	assert_int_equal(sip_msg_via_count(m), 3);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_true(str_is(v->host, "ss2.biloxi.example.com"));
	assert_int_equal(v->port, 5060);
	assert_true(str_is(v->transport, "UDP"));
	assert_true(str_is(v->branch, "z9hG4bKc3f27d91.1"));
	assert_int_equal(sip_msg_via(m, 2, &v), 0);
	assert_true(str_is(v->received, "198.51.100.23"));
	assert_true(v->has_rport);
	assert_int_equal(v->rport, 50123);
	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_true(str_is(a->display, "Alice Liddell"));
	assert_true(str_is(a->tag, "8d2f1c3ab7"));
	assert_true(str_is(a->uri.host, "atlanta.example.com"));
	assert_int_equal(sip_msg_to(m, &a), 0);
	assert_int_equal(a->tag.len, 0);
	assert_int_equal(sip_msg_record_route_count(m), 2);
	assert_int_equal(sip_msg_record_route(m, 1, &a), 0);
	assert_true(str_is(a->uri.host, "ss1.atlanta.example.com"));
	assert_true(a->uri.lr);
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	assert_true(str_is(a->instance, "<urn:uuid:0f3c2a71-5b9e-4d08-a6c4-93e1b27d58fa>"));
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_true(str_is(u->host, "203.0.113.55"));
	assert_int_equal(u->port, 5060);
	assert_true(str_is(u->transport, "udp"));
	assert_int_equal(sip_msg_content_type(m, &ct), 0);
	assert_true(str_is(ct->type, "application"));
	assert_true(str_is(ct->subtype, "sdp"));
	assert_int_equal(sip_msg_session_expires(m, &se), 0);
	assert_int_equal(se->delta, 1800);
	assert_true(str_is(se->refresher, "uac"));
	assert_int_equal(sip_msg_max_forwards(m, &x), 0);
	assert_int_equal(x, 68);
	assert_true(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("TIMER")));
	assert_true(sip_msg_has_token(m, SIP_HDR_ALLOW, SIP_STR("subscribe")));
	assert_false(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("path")));
	assert_false(sip_msg_has_token(m, SIP_HDR_REQUIRE, SIP_STR("timer")));
	assert_int_equal(sip_msg_path_count(m), 0);
	assert_int_equal(sip_msg_path(m, 0, &a), SIP_ENOTFOUND);
	sip_msg_free(m);

	/* Two Contact values on one line (RFC 3261 20.10). */
	m = load_parse(c, n, "17_200_ok_register.sip");
	assert_int_equal(sip_msg_contact_count(m), 2);
	assert_int_equal(sip_msg_contact(m, 1, &a), 0);
	assert_true(a->has_expires);
	assert_int_equal(a->expires, 1287);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	assert_true(a->has_reg_id);
	assert_int_equal(a->reg_id, 1);
	sip_msg_free(m);

	m = load_parse(c, n, "08_register_auth.sip");
	assert_int_equal(sip_msg_auth(m, SIP_HDR_AUTHORIZATION, 0, &au), 0);
	assert_true(str_is(au->scheme, "Digest"));
	assert_true(str_is(au->username, "bob"));
	assert_true(str_is(au->realm, "biloxi.example.com"));
	assert_true(str_is(au->nc, "00000001"));
	assert_int_equal(sip_msg_auth(m, SIP_HDR_AUTHORIZATION, 1, &au), SIP_ENOTFOUND);
	assert_int_equal(sip_msg_auth(m, SIP_HDR_VIA, 0, &au), -EINVAL);
	assert_int_equal(sip_msg_expires(m, &x), 0);
	assert_int_equal(x, 3600);
	sip_msg_free(m);

	/* Two challenges: each line by index. */
	m = load_parse(c, n, "09_401_www_authenticate.sip");
	assert_int_equal(sip_msg_auth(m, SIP_HDR_WWW_AUTHENTICATE, 0, &au), 0);
	assert_true(str_is(au->algorithm, "SHA-256"));
	assert_int_equal(sip_msg_auth(m, SIP_HDR_WWW_AUTHENTICATE, 1, &au), 0);
	assert_true(str_is(au->algorithm, "MD5"));
	assert_int_equal(sip_msg_auth(m, SIP_HDR_WWW_AUTHENTICATE, 2, &au), SIP_ENOTFOUND);
	sip_msg_free(m);

	m = load_parse(c, n, "10_subscribe_suppress_if_match.sip");
	assert_int_equal(sip_msg_event(m, &ev), 0);
	assert_true(str_is(ev->package, "presence"));
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SUPPRESS_IF_MATCH, &s), 0);
	assert_true(str_is(s, "b4cf7a31"));
	assert_true(sip_msg_has_token(m, SIP_HDR_ALLOW_EVENTS, SIP_STR("dialog")));
	sip_msg_free(m);

	m = load_parse(c, n, "12_notify_pidf.sip");
	assert_int_equal(sip_msg_subscription_state(m, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_ACTIVE);
	assert_int_equal(ss->expires, 3599);
	sip_msg_free(m);

	m = load_parse(c, n, "13_publish_sip_if_match.sip");
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SIP_IF_MATCH, &s), 0);
	assert_true(str_is(s, "7f3e1c9d4b"));
	sip_msg_free(m);

	m = load_parse(c, n, "14_603_decline.sip");
	assert_int_equal(sip_msg_reason(m, &rs), 0);
	assert_true(str_is(rs->protocol, "SIP"));
	assert_int_equal(rs->cause, 603);
	assert_true(str_is(rs->text, "Decline"));
	sip_msg_free(m);

	m = load_parse(c, n, "05_ack.sip");
	assert_int_equal(sip_msg_route_count(m), 2);
	assert_int_equal(sip_msg_route(m, 0, &a), 0);
	assert_true(str_is(a->uri.host, "ss1.atlanta.example.com"));
	assert_int_equal(sip_msg_route(m, 1, &a), 0);
	assert_true(str_is(a->uri.host, "ss2.biloxi.example.com"));
	sip_msg_free(m);
	corpus_free(c, n);
}

static void test_lists_and_errors(void **state)
{
	/* Values over several lines and commas, a comma inside a quoted display
	 * name, a malformed value among good ones, and malformed singletons. */
	const char *s =
		"REGISTER sip:example.com SIP/2.0\r\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2\r\n"
		"v: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK3;rport\r\n"
		"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: x\r\n"
		"CSeq: 1 REGISTER\r\n"
		"Contact: \"Doe, John\" <sip:j@h1>;expires=60, <sip:j@h2>;q=0.5\r\n"
		"m: <sip:j@h3>\r\n"
		"Contact: <sip:bad@\r\n"
		"Path: <sip:p1.example.com;lr>,<sip:p2.example.com;lr>\r\n"
		"Event: \r\n"
		"Content-Type: nosubtype\r\n"
		"Refer-To: <sip:r@example.com>\r\n"
		"Allow-Events: presence;x=\"a, b\" , dialog\r\n"
		"Supported: 100rel,,  timer ;x\r\nk: path\r\n"
		"\r\n";
	struct sip_msg *m;
	struct sip_parse_error pe;
	const struct sip_via *v;
	const struct sip_addr *a;
	const struct sip_ctype *ct;
	const struct sip_event *ev;
	const struct sip_uri *u;

	(void)state;
	assert_int_equal(sip_msg_parse(&m, s, strlen(s), NULL, &pe), 0);
	assert_int_equal(sip_msg_via_count(m), 3);
	assert_int_equal(sip_msg_via(m, 1, &v), 0);
	assert_true(str_is(v->host, "b.example.com"));
	assert_int_equal(sip_msg_via(m, 2, &v), 0);
	assert_true(str_is(v->host, "[2001:db8::1]"));
	assert_int_equal(v->host_type, SIP_HOST_IPV6);
	assert_int_equal(v->port, 5070);
	assert_int_equal(sip_msg_contact_count(m), 4);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	assert_true(str_is(a->display, "Doe, John"));
	assert_int_equal(a->expires, 60);
	assert_int_equal(sip_msg_contact(m, 1, &a), 0);
	assert_int_equal(a->q, 500);
	assert_int_equal(sip_msg_contact(m, 2, &a), 0);
	assert_true(str_is(a->uri.host, "h3"));
	assert_int_equal(sip_msg_contact(m, 3, &a), SIP_EPARSE);
	assert_int_equal(sip_msg_contact(m, 3, &a), SIP_EPARSE);
	assert_int_equal(sip_msg_path_count(m), 2);
	assert_int_equal(sip_msg_path(m, 1, &a), 0);
	assert_true(str_is(a->uri.host, "p2.example.com"));
	assert_int_equal(sip_msg_event(m, &ev), SIP_EPARSE);
	assert_int_equal(sip_msg_content_type(m, &ct), SIP_EPARSE);
	assert_int_equal(sip_msg_content_type(m, &ct), SIP_EPARSE);
	assert_int_equal(sip_msg_refer_to(m, &a), 0);
	assert_true(str_is(a->uri.user, "r"));
	assert_int_equal(sip_msg_ruri(m, &u), 0);
	assert_true(str_is(u->host, "example.com"));
	assert_int_equal(sip_msg_route_count(m), 0);
	assert_int_equal(sip_msg_route(m, 0, &a), SIP_ENOTFOUND);
	/* Token lists: params, LWS, empty elements, quotes, several lines. */
	assert_true(sip_msg_has_token(m, SIP_HDR_ALLOW_EVENTS, SIP_STR("presence")));
	assert_true(sip_msg_has_token(m, SIP_HDR_ALLOW_EVENTS, SIP_STR("dialog")));
	assert_false(sip_msg_has_token(m, SIP_HDR_ALLOW_EVENTS, SIP_STR("b\"")));
	assert_true(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("Timer")));
	assert_true(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("100rel")));
	assert_true(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("path")));
	assert_false(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("time")));
	assert_false(sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("")));
	assert_false(sip_msg_has_token(m, SIP_HDR_REQUIRE, SIP_STR("timer")));
	assert_false(sip_msg_has_token(m, (enum sip_hdr_id)99, SIP_STR("timer")));
	sip_msg_free(m);
}

static void test_many_values(void **state)
{
	/* More values than the split's stack buffer: counted, then filled. */
	static char big[8192];
	size_t len;
	struct sip_msg *m;
	struct sip_parse_error pe;
	const struct sip_addr *a;

	(void)state;
	len = (size_t)snprintf(big, sizeof(big),
			       "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
			       "From: <sip:a@x>;tag=1\r\nTo: <sip:a@x>;tag=2\r\nCall-ID: y\r\nCSeq: 1 REGISTER\r\n"
			       "Contact: ");
	for (int i = 0; i < 50; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s<sip:u%d@h>", i ? ", " : "", i);
	len += (size_t)snprintf(big + len, sizeof(big) - len, "\r\n\r\n");
	assert_int_equal(sip_msg_parse(&m, big, len, NULL, &pe), 0);
	assert_int_equal(sip_msg_contact_count(m), 50);
	for (unsigned i = 0; i < 50; i++) {
		char user[8];
		snprintf(user, sizeof(user), "u%u", i);
		assert_int_equal(sip_msg_contact(m, i, &a), 0);
		assert_true(str_is(a->uri.user, user));
	}
	sip_msg_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_all_accessors),
		cmocka_unit_test(test_corpus_values),
		cmocka_unit_test(test_lists_and_errors),
		cmocka_unit_test(test_many_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the smaller header-value parsers: sip_list_next (list.c), Event
 * and Subscription-State (event.c), Content-Type, Reason, Retry-After and
 * Session-Expires (misc_hdr.c). Every case also runs at the end of a guarded page
 * and every prefix of every valid case is parsed there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/hdr.h"

/* One adapter per parser so the tables can share the guard/prefix/invalid loops. */
union any_out {
	struct sip_event ev;
	struct sip_subscription_state ss;
	struct sip_ctype ct;
	struct sip_reason rs;
	struct sip_retry_after ra;
	struct sip_session_expires se;
};
typedef int (*parse_fn)(union any_out *o, struct sip_str in);
static int p_event(union any_out *o, struct sip_str in) { return sip_event_parse(&o->ev, in); }
static int p_substate(union any_out *o, struct sip_str in)
{
	return sip_subscription_state_parse(&o->ss, in);
}
static int p_ctype(union any_out *o, struct sip_str in) { return sip_ctype_parse(&o->ct, in); }
static int p_reason(union any_out *o, struct sip_str in) { return sip_reason_parse(&o->rs, in); }
static int p_retry(union any_out *o, struct sip_str in)
{
	return sip_retry_after_parse(&o->ra, in);
}
static int p_se(union any_out *o, struct sip_str in)
{
	return sip_session_expires_parse(&o->se, in);
}

/* Parse in (plain, then guarded) and require success; the result stays in *o
 * (from the plain run, whose slices point into the caller's string). */
static void parse_ok(parse_fn f, const char *in, union any_out *o)
{
	struct sip_str s = cstr(in);
	union any_out g;

	if (f(o, s) != 0) {
		fprintf(stderr, "rejected: %s\n", in);
		fail();
	}
	assert_int_equal(f(&g, (struct sip_str){ guard_copy(in, s.len), s.len }), 0);
	for (size_t k = 0; k < s.len; k++) {
		int rc = f(&g, (struct sip_str){ guard_copy(in, k), k });
		assert_true(rc == 0 || rc == SIP_EPARSE);
	}
	guard_release();
}

static void parse_bad(parse_fn f, const char *const *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		union any_out o;
		struct sip_str s = cstr(cases[i]);
		memset(&o, 0xa5, sizeof o);
		if (f(&o, s) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", cases[i]);
			fail();
		}
		assert_int_equal(((unsigned char *)&o)[0], 0xa5);
		assert_int_equal(f(&o, (struct sip_str){ guard_copy(s.p, s.len), s.len }), SIP_EPARSE);
	}
	guard_release();
}
#define PARSE_BAD(f, arr) parse_bad((f), (arr), sizeof(arr) / sizeof((arr)[0]))

static void test_list(void **state)
{
	struct sip_str rest, item;
	static const struct {
		const char *in;
		const char *items[5];
	} cases[] = {
		{ "INVITE, ACK,BYE ,\tCANCEL", { "INVITE", "ACK", "BYE", "CANCEL" } },
		{ "  one  ", { "one" } },
		{ "", { NULL } },
		{ " \r\n ", { NULL } },
		{ "a,,b, ,c,", { "a", "b", "c" } },
		{ "\"Bell, Alexander\" <sip:a@b.c>;x=\"1,2\", <sip:x@y,z>;q=1",
		  { "\"Bell, Alexander\" <sip:a@b.c>;x=\"1,2\"", "<sip:x@y,z>;q=1" } },
		{ "\"esc \\\", still\" <sip:a@b>, b",
		  { "\"esc \\\", still\" <sip:a@b>", "b" } },
		{ "\"open, never closed", { "\"open, never closed" } },
		{ "a ,\r\n b", { "a", "b" } },
		{ "<sip:a@b.c,d>, e", { "<sip:a@b.c,d>", "e" } },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (int pass = 0; pass < 2; pass++) {
			size_t n = strlen(cases[i].in), k = 0;
			rest = (struct sip_str){ pass ? guard_copy(cases[i].in, n) : cases[i].in, n };
			while (sip_list_next(&rest, &item)) {
				assert_true(k < 5);
				assert_non_null(cases[i].items[k]);
				assert_slice(item, cases[i].items[k]);
				k++;
			}
			assert_true(k == 5 || cases[i].items[k] == NULL);
			assert_int_equal(rest.len, 0);
			/* Stays false once exhausted. */
			assert_false(sip_list_next(&rest, &item));
		}
	}
	guard_release();
}

static void test_event(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_event, "presence", &o);
	assert_slice(o.ev.package, "presence");
	assert_slice(o.ev.id, NULL);
	assert_slice(o.ev.params, NULL);
	parse_ok(p_event, "dialog;id=1234 ; call-id=\"x@y\"", &o);
	assert_slice(o.ev.package, "dialog");
	assert_slice(o.ev.id, "1234");
	assert_slice(o.ev.params, "id=1234 ; call-id=\"x@y\"");
	parse_ok(p_event, "presence.winfo", &o);
	assert_slice(o.ev.package, "presence.winfo");
	parse_ok(p_event, " message-summary ;ID=a.b-c", &o);
	assert_slice(o.ev.package, "message-summary");
	assert_slice(o.ev.id, "a.b-c");
	parse_ok(p_event, "reg", &o);
	assert_slice(o.ev.package, "reg");
	static const char *const bad[] = {
		"", ";id=1", "pres ence", "presence;", "presence;id", "presence;id=\"1\"",
		".presence", "presence.", "presence..winfo", "presence;id=1;", "presence,dialog",
		"pres/ence", "presence;x=a:b",
	};
	PARSE_BAD(p_event, bad);
}

static void test_substate(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_substate, "active;expires=3600", &o);
	assert_int_equal(o.ss.state, SIP_SUBSTATE_ACTIVE);
	assert_slice(o.ss.state_str, "active");
	assert_int_equal(o.ss.expires, 3600);
	assert_int_equal(o.ss.retry_after, -1);
	assert_slice(o.ss.reason, NULL);
	parse_ok(p_substate, "terminated;reason=timeout", &o);
	assert_int_equal(o.ss.state, SIP_SUBSTATE_TERMINATED);
	assert_slice(o.ss.reason, "timeout");
	assert_int_equal(o.ss.expires, -1);
	parse_ok(p_substate, "Terminated ; Reason = probation ; Retry-After = 120", &o);
	assert_int_equal(o.ss.state, SIP_SUBSTATE_TERMINATED);
	assert_slice(o.ss.reason, "probation");
	assert_int_equal(o.ss.retry_after, 120);
	parse_ok(p_substate, "pending", &o);
	assert_int_equal(o.ss.state, SIP_SUBSTATE_PENDING);
	parse_ok(p_substate, "waiting;expires=99999999999;x", &o);
	assert_int_equal(o.ss.state, SIP_SUBSTATE_OTHER);
	assert_slice(o.ss.state_str, "waiting");
	assert_int_equal(o.ss.expires, 4294967295LL); /* clamped to 2**32-1 */
	static const char *const bad[] = {
		"", ";expires=1", "active;expires", "active;expires=", "active;expires=-1",
		"active;expires=1h", "active;expires=\"1\"", "terminated;reason=\"x\"",
		"terminated;reason", "active;retry-after=x", "active;", "active expires=1",
		"active,pending",
	};
	PARSE_BAD(p_substate, bad);
}

static void test_ctype(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_ctype, "application/sdp", &o);
	assert_slice(o.ct.type, "application");
	assert_slice(o.ct.subtype, "sdp");
	assert_slice(o.ct.params, NULL);
	parse_ok(p_ctype, "text/html; charset=ISO-8859-4", &o);
	assert_slice(o.ct.type, "text");
	assert_slice(o.ct.subtype, "html");
	assert_slice(o.ct.params, " charset=ISO-8859-4");
	parse_ok(p_ctype, "multipart/mixed;boundary=7a9cbec02ceef655", &o);
	assert_slice(o.ct.subtype, "mixed");
	assert_slice(o.ct.params, "boundary=7a9cbec02ceef655");
	parse_ok(p_ctype, "multipart/signed ; protocol=\"application/pkcs7-signature\" ;\r\n "
			  "micalg=sha1;boundary=boundary42", &o);
	assert_slice(o.ct.type, "multipart");
	assert_slice(o.ct.subtype, "signed");
	parse_ok(p_ctype, "Application / PIDF+XML", &o);
	assert_slice(o.ct.type, "Application");
	assert_slice(o.ct.subtype, "PIDF+XML");
	static const char *const bad[] = {
		"", "application", "application/", "/sdp", "application/sdp;", "application/sdp;x",
		"application/sdp;x=", "text/html charset=x", "app lication/sdp", "a/b/c",
		"application/sdp,text/plain", "application/sdp;x=[::1]",
	};
	PARSE_BAD(p_ctype, bad);
}

static void test_reason(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_reason, "SIP ;cause=200 ;text=\"Call completed elsewhere\"", &o);
	assert_slice(o.rs.protocol, "SIP");
	assert_int_equal(o.rs.cause, 200);
	assert_slice(o.rs.text, "Call completed elsewhere");
	parse_ok(p_reason, "Q.850;cause=16;text=\"Terminated\"", &o);
	assert_slice(o.rs.protocol, "Q.850");
	assert_int_equal(o.rs.cause, 16);
	parse_ok(p_reason, "SIP;text=\"semi;colon \\\"q\\\"\"", &o);
	assert_int_equal(o.rs.cause, -1);
	assert_slice(o.rs.text, "semi;colon \\\"q\\\"");
	parse_ok(p_reason, "preemption ;cause=1 ;text=\"UA Preemption\";x-ext=1", &o);
	assert_slice(o.rs.protocol, "preemption");
	assert_int_equal(o.rs.cause, 1);
	static const char *const bad[] = {
		"", ";cause=1", "SIP;cause", "SIP;cause=", "SIP;cause=abc", "SIP;cause=99999999999",
		"SIP;text=unquoted", "SIP;text=\"open", "SIP cause=1", "SIP;", "SIP;cause=-1",
	};
	PARSE_BAD(p_reason, bad);
}

static void test_retry_after(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_retry, "18000;duration=3600", &o);
	assert_int_equal(o.ra.seconds, 18000);
	assert_int_equal(o.ra.duration, 3600);
	assert_slice(o.ra.comment, NULL);
	parse_ok(p_retry, "120 (I'm in a meeting)", &o);
	assert_int_equal(o.ra.seconds, 120);
	assert_slice(o.ra.comment, "I'm in a meeting");
	assert_int_equal(o.ra.duration, -1);
	parse_ok(p_retry, "5(nested (comment) \\) here) ; duration = 10 ; x=y", &o);
	assert_int_equal(o.ra.seconds, 5);
	assert_slice(o.ra.comment, "nested (comment) \\) here");
	assert_int_equal(o.ra.duration, 10);
	parse_ok(p_retry, "4294967295", &o);
	assert_int_equal(o.ra.seconds, 4294967295u);
	static const char *const bad[] = {
		"", "abc", "949302838503028349304023988", /* RFC 4475 3.1.2.5 */
		"4294967296", "120 (open", "120 (a))", "120 x", "120;duration", "120;duration=x",
		"120;", "-1", "120 (ctl\x01)", "120 (a) (b)",
	};
	PARSE_BAD(p_retry, bad);
}

static void test_session_expires(void **state)
{
	union any_out o;

	(void)state;
	parse_ok(p_se, "4000;refresher=uac", &o);
	assert_int_equal(o.se.delta, 4000);
	assert_slice(o.se.refresher, "uac");
	parse_ok(p_se, "1800", &o);
	assert_int_equal(o.se.delta, 1800);
	assert_slice(o.se.refresher, NULL);
	parse_ok(p_se, " 90 ; REFRESHER = UAS ; x", &o);
	assert_int_equal(o.se.delta, 90);
	assert_slice(o.se.refresher, "UAS");
	static const char *const bad[] = {
		"", "abc", "4294967296", "4000;refresher=both", "4000;refresher", "4000;refresher=",
		"4000;", "4000 refresher=uac", "4000;refresher=\"uac\"", "-4000",
	};
	PARSE_BAD(p_se, bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),         cmocka_unit_test(test_event),
		cmocka_unit_test(test_substate),     cmocka_unit_test(test_ctype),
		cmocka_unit_test(test_reason),       cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_session_expires),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

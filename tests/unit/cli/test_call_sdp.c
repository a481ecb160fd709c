/* `siphon call`'s session descriptions (src/cli/call_sdp.c): the offer, the answer
 * to a callee's offer (RFC 3264 6, 8) and the check of an answer to our offer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "call_sdp.h"
#include "siphon/err.h"

static struct sip_str S(const char *s)
{
	return sip_str_from_cstr(s);
}

/* The line of b that starts with prefix (NUL-terminated copy in out), or NULL. */
static const char *line(const struct sip_buf *b, const char *prefix, char *out, size_t cap)
{
	const char *p = b->p, *end = b->p + b->len;

	while (p < end) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (len >= strlen(prefix) && !strncmp(p, prefix, strlen(prefix))) {
			snprintf(out, cap, "%.*s", (int)len, p);
			return out;
		}
		p += len + 2;
	}
	return NULL;
}

static void assert_line(const struct sip_buf *b, const char *want)
{
	char got[256];

	if (!line(b, want, got, sizeof(got)))
		fail_msg("no line '%s' in:\n%s", want, b->p);
	assert_string_equal(got, want);
}

static int count(const struct sip_buf *b, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(b->p, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static void test_offer_versions(void **state)
{
	struct call_sdp s = { .ip = "192.0.2.7", .sess_id = 4242, .version = 1 };
	struct sip_buf b = SIP_BUF_INIT;

	(void)state;
	assert_int_equal(call_sdp_offer(&s, &b, true), 0);
	assert_line(&b, "v=0");
	assert_line(&b, "o=siphon 4242 1 IN IP4 192.0.2.7");
	assert_line(&b, "c=IN IP4 192.0.2.7");
	assert_line(&b, "m=audio 49170 RTP/AVP 0 8 101");
	assert_line(&b, "a=rtpmap:101 telephone-event/8000");
	assert_line(&b, "a=sendrecv");
	/* RFC 3264 8: the session id stays, the version goes up by one each time. */
	assert_int_equal(call_sdp_offer(&s, &b, false), 0);
	assert_line(&b, "o=siphon 4242 2 IN IP4 192.0.2.7");
	assert_int_equal(count(&b, "o=siphon"), 1);
	/* Our own offer reads back as an acceptable answer (one stream, port != 0). */
	assert_true(call_sdp_answer_ok(sip_buf_str(&b)));

	struct call_sdp s6 = { .ip = "2001:db8::7", .sess_id = 1, .version = 1 };
	assert_int_equal(call_sdp_offer(&s6, &b, true), 0);
	assert_line(&b, "o=siphon 1 1 IN IP6 2001:db8::7");
	assert_line(&b, "c=IN IP6 2001:db8::7");
	sip_buf_free(&b);
}

static void test_answer_common_codecs(void **state)
{
	struct call_sdp s = { .ip = "192.0.2.7", .sess_id = 9, .version = 3 };
	struct sip_buf b = SIP_BUF_INIT;
	bool hold = true;

	(void)state;
	/* PCMA and a dynamic telephone-event type (96), with LF line ends and a
	 * codec we lack (18, G.729): the answer keeps the offer's order of streams,
	 * names only what both have, and mirrors sendrecv. */
	assert_int_equal(call_sdp_answer(&s, &b,
					 S("v=0\no=bob 1 1 IN IP4 192.0.2.20\ns=-\nc=IN IP4 192.0.2.20\n"
					   "t=100 200\nm=audio 30000 RTP/AVP 18 8 96\na=rtpmap:96 telephone-event/8000\n"),
					 &hold),
			 1);
	assert_false(hold);
	assert_line(&b, "o=siphon 9 4 IN IP4 192.0.2.7");
	assert_line(&b, "t=100 200"); /* RFC 3264 6: the answer's t= is the offer's */
	assert_line(&b, "m=audio 49170 RTP/AVP 8 96");
	assert_line(&b, "a=rtpmap:8 PCMA/8000");
	assert_line(&b, "a=rtpmap:96 telephone-event/8000");
	assert_line(&b, "a=sendrecv");
	assert_int_equal(count(&b, "PCMU"), 0);
	assert_int_equal(count(&b, " 18"), 0);
	assert_int_equal(s.version, 4);
	sip_buf_free(&b);
}

static void test_answer_hold_and_rejected_streams(void **state)
{
	struct call_sdp s = { .ip = "192.0.2.7", .sess_id = 9, .version = 1 };
	struct sip_buf b = SIP_BUF_INIT;
	bool hold = false;

	(void)state;
	/* A video stream first (rejected with port 0, kept in place), then audio put
	 * on hold with sendonly: we answer recvonly (RFC 3264 6.1, 8.4). A second
	 * audio stream is rejected: one is all the toolkit takes. */
	assert_int_equal(call_sdp_answer(&s, &b,
					 S("v=0\r\no=bob 1 2 IN IP4 192.0.2.20\r\ns=-\r\nc=IN IP4 192.0.2.20\r\nt=0 0\r\n"
					   "m=video 5000 RTP/AVP 96\r\n"
					   "m=audio 4000 RTP/AVP 0\r\na=sendonly\r\n"
					   "m=audio 4002 RTP/AVP 0\r\n"),
					 &hold),
			 1);
	assert_true(hold);
	assert_line(&b, "m=video 0 RTP/AVP 96");
	assert_line(&b, "m=audio 49170 RTP/AVP 0");
	assert_line(&b, "a=recvonly");
	assert_line(&b, "m=audio 0 RTP/AVP 0");
	/* m-lines in the offer's order: video, audio, audio. */
	assert_true(strstr(b.p, "m=video") < strstr(b.p, "m=audio 49170"));
	assert_true(strstr(b.p, "m=audio 49170") < strstr(b.p, "m=audio 0"));

	/* RFC 2543 hold: c=IN IP4 0.0.0.0 at session level. */
	assert_int_equal(call_sdp_answer(&s, &b,
					 S("v=0\r\no=bob 1 3 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
					   "m=audio 4000 RTP/AVP 8\r\n"),
					 &hold),
			 1);
	assert_true(hold);
	assert_line(&b, "a=sendrecv");
	/* inactive mirrors to inactive. */
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=inactive\r\n"), &hold),
			 1);
	assert_true(hold);
	assert_line(&b, "a=inactive");
	sip_buf_free(&b);
}

static void test_answer_nothing_usable(void **state)
{
	struct call_sdp s = { .ip = "192.0.2.7", .sess_id = 9, .version = 1 };
	struct sip_buf b = SIP_BUF_INIT;
	bool hold;

	(void)state;
	/* No codec in common, a disabled stream, a T.38 image stream: 0 accepted (the
	 * call answers 488), every stream rejected in place. */
	assert_int_equal(call_sdp_answer(&s, &b,
					 S("v=0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\nm=audio 0 RTP/AVP 0\r\n"
					   "m=image 6000 udptl t38\r\n"),
					 &hold),
			 0);
	assert_line(&b, "m=audio 0 RTP/AVP 18");
	assert_line(&b, "m=image 0 udptl t38");
	assert_false(call_sdp_answer_ok(sip_buf_str(&b)));
	/* Not SDP at all. */
	assert_int_equal(call_sdp_answer(&s, &b, S(""), &hold), SIP_EPARSE);
	assert_int_equal(call_sdp_answer(&s, &b, S("hello\r\n"), &hold), SIP_EPARSE);
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nt=0 0\r\n"), &hold), SIP_EPARSE); /* no m= */
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nm\r\n"), &hold), SIP_EPARSE);   /* not type=value */
	assert_int_equal(call_sdp_answer(&s, &b, S("v=1\r\nm=audio 1 RTP/AVP 0\r\n"), &hold), SIP_EPARSE);
	/* Parts of a rejected m-line are copied into our answer: a control character
	 * or a line missing <proto> or <fmt> (RFC 4566 5.14) is not answered at all. */
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nm=audio 0 \rio 0\r\n"), &hold), SIP_EPARSE);
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nm=audio 4000 RTP/AVP\r\n"), &hold), SIP_EPARSE);
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\nm=video\r\nm=audio 4000 RTP/AVP 0\r\n"), &hold),
			 SIP_EPARSE);
	assert_int_equal(call_sdp_answer(&s, &b, S("v=0\r\n1=x\r\nm=audio 4000 RTP/AVP 0\r\n"), &hold), SIP_EPARSE);
	/* An offer longer than any real one (257 lines) is refused, not cut short; the
	 * answer to a 256-line one (255 streams) still reads back as accepted. */
	{
		struct sip_buf big = SIP_BUF_INIT;
		assert_int_equal(sip_buf_append_cstr(&big, "v=0\r\n"), 0);
		for (int i = 0; i < 254; i++)
			assert_int_equal(sip_buf_append_cstr(&big, "m=video 0 RTP/AVP 96\r\n"), 0);
		assert_int_equal(sip_buf_append_cstr(&big, "m=audio 4000 RTP/AVP 0\r\n"), 0);
		assert_int_equal(call_sdp_answer(&s, &b, sip_buf_str(&big), &hold), 1);
		assert_true(call_sdp_answer_ok(sip_buf_str(&b)));
		assert_int_equal(sip_buf_append_cstr(&big, "a=sendrecv\r\n"), 0);
		assert_int_equal(call_sdp_answer(&s, &b, sip_buf_str(&big), &hold), SIP_EPARSE);
		sip_buf_free(&big);
	}
	sip_buf_free(&b);
}

static void test_answer_ok(void **state)
{
	(void)state;
	assert_true(call_sdp_answer_ok(S("v=0\r\no=x 1 1 IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 0\r\n")));
	assert_true(call_sdp_answer_ok(S("v=0\nm=video 0 RTP/AVP 96\nm=audio 4000 RTP/AVP 0\n")));
	assert_false(call_sdp_answer_ok(S("v=0\r\nm=audio 0 RTP/AVP 0\r\n")));
	assert_false(call_sdp_answer_ok(S("v=0\r\n")));
	assert_false(call_sdp_answer_ok(S("")));
	assert_false(call_sdp_answer_ok(S("m=audio 4000 RTP/AVP 0\r\n")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offer_versions),
		cmocka_unit_test(test_answer_common_codecs),
		cmocka_unit_test(test_answer_hold_and_rejected_streams),
		cmocka_unit_test(test_answer_nothing_usable),
		cmocka_unit_test(test_answer_ok),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

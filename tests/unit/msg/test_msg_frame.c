/* Unit tests for src/msg/frame.c: stream framing (RFC 3261 18.3). Every prefix of
 * every corpus message is SIP_EINCOMPLETE and never an error; the whole message is
 * framed with its exact length, one-shot and byte by byte with last_len; CRLF
 * keep-alives; errors and limits; guard-page over-read check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "siphon/err.h"
#include "siphon/msg.h"

#include "guard.h"
#include "msg_testutil.h"

static int frame(const char *s, size_t len, size_t last_len, const struct sip_limits *lim,
		 size_t *skip, size_t *msg_len, struct sip_parse_error *e)
{
	return sip_msg_frame(s, len, last_len, lim, skip, msg_len, e);
}

static void test_corpus_prefixes(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);

	(void)state;
	assert_true(n >= 18);
	for (size_t i = 0; i < n; i++) {
		size_t skip = 99, ml = 99;
		struct sip_parse_error e;
		size_t hend = (size_t)((char *)memmem(c[i].data, c[i].len, "\r\n\r\n", 4) - c[i].data) + 4;

		for (size_t len = 0; len < c[i].len; len++) {
			int r = frame(c[i].data, len, 0, NULL, &skip, &ml, &e);
			if (r != SIP_EINCOMPLETE)
				fail_msg("%s: prefix %zu: %d (%s)", c[i].name, len, r,
					 r == SIP_EPARSE || r == SIP_ETOOBIG ? e.reason : "");
			assert_int_equal(skip, 0);
			/* Once the header section is complete the length is known. */
			assert_int_equal(ml, len >= hend ? c[i].len : 0);
		}
		assert_int_equal(frame(c[i].data, c[i].len, 0, NULL, &skip, &ml, &e), 0);
		assert_int_equal(skip, 0);
		assert_int_equal(ml, c[i].len);
	}
	corpus_free(c, n);
}

/* Feed s one byte at a time following the last_len contract of msg.h. */
static int trickle(const char *s, size_t total, size_t *skip, size_t *ml, size_t *calls)
{
	size_t last = 0;
	struct sip_parse_error e;

	*calls = 0;
	for (size_t len = 1; len <= total; len++) {
		int r = frame(s, len, last, NULL, skip, ml, &e);
		(*calls)++;
		if (r == 0)
			return (int)len;
		if (r != SIP_EINCOMPLETE)
			return -1;
		last = *ml ? 0 : len;
		/* Waiting for a known length needs no call until it is there. */
		if (*ml && *skip + *ml > len + 1)
			len = *skip + *ml - 1;
	}
	return 0;
}

static void test_corpus_trickle(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);
	char buf[8192];

	(void)state;
	for (size_t i = 0; i < n; i++) {
		size_t skip, ml, calls;

		assert_int_equal(trickle(c[i].data, c[i].len, &skip, &ml, &calls), (int)c[i].len);
		assert_int_equal(skip, 0);
		assert_int_equal(ml, c[i].len);
		/* With keep-alives in front and the next message behind. */
		assert_true(c[i].len * 2 + 4 < sizeof(buf));
		memcpy(buf, "\r\n\r\n", 4);
		memcpy(buf + 4, c[i].data, c[i].len);
		memcpy(buf + 4 + c[i].len, c[i].data, c[i].len);
		assert_int_equal(trickle(buf, c[i].len * 2 + 4, &skip, &ml, &calls), (int)c[i].len + 4);
		assert_int_equal(skip, 4);
		assert_int_equal(ml, c[i].len);
		{
			struct sip_parse_error e;
			assert_int_equal(frame(buf, c[i].len * 2 + 4, 0, NULL, &skip, &ml, &e), 0);
			assert_int_equal(skip, 4);
			assert_int_equal(ml, c[i].len);
			assert_int_equal(frame(buf + 4 + ml, c[i].len, 0, NULL, &skip, &ml, &e), 0);
			assert_int_equal(skip, 0);
			assert_int_equal(ml, c[i].len);
		}
	}
	corpus_free(c, n);
}

#define MSG_HDRS "OPTIONS sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n" \
	"From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n"

static void test_keepalive_and_lf(void **state)
{
	size_t skip = 0, ml = 7;
	struct sip_parse_error e;
	const char *lf = "MESSAGE sip:b@x SIP/2.0\nl: 5\nVia: SIP/2.0/TCP h\n\nhelloNEXT";

	(void)state;
	/* RFC 5626 3.5.1 double-CRLF ping alone: nothing to frame yet. */
	assert_int_equal(frame("\r\n\r\n", 4, 0, NULL, &skip, &ml, &e), SIP_EINCOMPLETE);
	assert_int_equal(skip, 4);
	assert_int_equal(ml, 0);
	assert_int_equal(frame("", 0, 0, NULL, &skip, &ml, &e), SIP_EINCOMPLETE);
	assert_int_equal(skip, 0);
	/* Bare LF line ends, compact Content-Length. */
	assert_int_equal(frame(lf, strlen(lf), 0, NULL, &skip, &ml, &e), 0);
	assert_int_equal(ml, strlen(lf) - 4);
	/* Body incomplete: the length is announced. */
	assert_int_equal(frame(lf, strlen(lf) - 6, 0, NULL, &skip, &ml, &e), SIP_EINCOMPLETE);
	assert_int_equal(ml, strlen(lf) - 4);
	/* Folded and spaced Content-Length, any case. */
	{
		const char *s = MSG_HDRS "content-LENGTH  :\r\n  3\r\n\r\nabcd";
		assert_int_equal(frame(s, strlen(s), 0, NULL, &skip, &ml, &e), 0);
		assert_int_equal(ml, strlen(s) - 1);
	}
	/* Equal duplicates are fine. */
	{
		const char *s = MSG_HDRS "l: 2\r\nContent-Length: 2\r\n\r\nab";
		assert_int_equal(frame(s, strlen(s), 0, NULL, &skip, &ml, &e), 0);
		assert_int_equal(ml, strlen(s));
	}
}

struct frame_err {
	const char *msg;
	int code;
	uint16_t status;
	const char *reason;
};

static const struct frame_err frame_errs[] = {
	{ MSG_HDRS "\r\n", SIP_EPARSE, 400, "Bad Request (Missing Content-Length)" },
	{ MSG_HDRS "Content-Length: 13\r\nl: 5\r\n\r\nabcde", SIP_EPARSE, 400,
	  "Bad Request (Conflicting Content-Length)" },
	{ MSG_HDRS "Content-Length: -999\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed Content-Length)" },
	{ MSG_HDRS "Content-Length: five\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed Content-Length)" },
	{ MSG_HDRS "Content-Length 5\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed Content-Length)" },
	{ MSG_HDRS "Content-Length: 70000\r\n\r\n", SIP_ETOOBIG, 413, "Request Entity Too Large" },
	{ "\x16\x03\x01\x02\x00\x01", SIP_EPARSE, 400, "Bad Request (Not a SIP message)" },
	{ "\r\n <html>", SIP_EPARSE, 400, "Bad Request (Not a SIP message)" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(frame_errs) / sizeof(frame_errs[0]); i++) {
		size_t skip = 77, ml = 77;
		struct sip_parse_error e = { 0, NULL, 0 };
		int r = frame(frame_errs[i].msg, strlen(frame_errs[i].msg), 0, NULL, &skip, &ml, &e);

		if (r != frame_errs[i].code || e.status != frame_errs[i].status || !e.reason ||
		    strcmp(e.reason, frame_errs[i].reason))
			fail_msg("case %zu: %d %u %s", i, r, e.status, e.reason ? e.reason : "(null)");
		/* Out-params untouched on error. */
		assert_int_equal(skip, 77);
		assert_int_equal(ml, 77);
	}
}

static void test_limits(void **state)
{
	static char big[4096];
	struct sip_limits lim = { 1000, 0, 0, 0 };
	size_t skip, ml, n, last = 0;
	struct sip_parse_error e;
	int r = SIP_EINCOMPLETE;

	(void)state;
	/* A peer sending headers forever: SIP_ETOOBIG once past max_msg_size. */
	n = (size_t)snprintf(big, sizeof(big), "%s", MSG_HDRS);
	while (n + 16 < sizeof(big))
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad: %06zu\r\n", n);
	for (size_t len = 64; len <= n; len += 64) {
		r = frame(big, len, last, &lim, &skip, &ml, &e);
		if (r != SIP_EINCOMPLETE)
			break;
		last = len;
		assert_true(len <= lim.max_msg_size);
	}
	/* The header block alone is over the limit: RFC 3261 21.5.7. */
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 513);

	/* A whole message above the limit is refused from its Content-Length. */
	n = (size_t)snprintf(big, sizeof(big), "%sContent-Length: 990\r\n\r\n", MSG_HDRS);
	assert_int_equal(frame(big, n, 0, &lim, &skip, &ml, &e), SIP_ETOOBIG);
	n = (size_t)snprintf(big, sizeof(big), "%sContent-Length: 10\r\n\r\n", MSG_HDRS);
	assert_int_equal(frame(big, n, 0, &lim, &skip, &ml, &e), SIP_EINCOMPLETE);
	assert_int_equal(ml, n + 10);
}

static void test_guard_page(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);

	(void)state;
	for (size_t i = 0; i < n; i++) {
		for (size_t len = 0; len <= c[i].len; len++) {
			size_t skip, ml;
			struct sip_parse_error e;
			const char *g = guard_copy(c[i].data, len);
			int r;

			r = frame(g, len, 0, NULL, &skip, &ml, &e);
			assert_int_equal(r, len == c[i].len ? 0 : SIP_EINCOMPLETE);
			if (len > 3) {
				r = frame(g, len, len - 3, NULL, &skip, &ml, &e);
				assert_true(r == 0 || r == SIP_EINCOMPLETE);
			}
			guard_release();
		}
	}
	corpus_free(c, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus_prefixes),
		cmocka_unit_test(test_corpus_trickle),
		cmocka_unit_test(test_keepalive_and_lf),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_guard_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

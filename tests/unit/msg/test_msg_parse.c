/* Unit tests for src/msg/parse.c, hdrname.c and access.c: the corpus, start lines,
 * header splitting (compact forms, folding, space before the colon, bare LF,
 * multiple and comma-separated Vias, unknown headers), errors as data, limits,
 * and a guard-page over-read check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "siphon/err.h"
#include "siphon/msg.h"

#include "msg_int.h"
#include "guard.h"
#include "msg_testutil.h"

static struct sip_msg *parse_ok(const char *s)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error e = { 0, NULL, 0 };
	int r = sip_msg_parse(&m, s, strlen(s), NULL, &e);

	if (r)
		fail_msg("parse failed: %d %u %s at %zu", r, e.status, e.reason ? e.reason : "",
			 e.offset);
	return m;
}

static bool str_is(struct sip_str s, const char *lit)
{
	return sip_str_eq(s, sip_str_from_cstr(lit));
}

/* Via values over all Via lines, counted from the header table. */
static int count_vias(const struct sip_msg *m)
{
	int n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA); h; h = sip_msg_hdr_next(m, h)) {
		n++;
		for (size_t i = 0; i < h->value.len; i++)
			n += h->value.p[i] == ',';
	}
	return n;
}

static void test_corpus(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);

	(void)state;
	assert_true(n >= 18);
	for (size_t i = 0; i < n; i++) {
		struct expect e;
		struct sip_msg *m = NULL;
		struct sip_parse_error pe;
		struct sip_str cid;
		const struct sip_cseq *cs;
		uint32_t clen;

		assert_int_equal(expect_scan(c[i].data, c[i].len, &e), 0);
		if (sip_msg_parse(&m, c[i].data, c[i].len, NULL, &pe))
			fail_msg("%s: %u %s at %zu", c[i].name, pe.status, pe.reason, pe.offset);
		assert_int_equal(m->is_request, e.is_request);
		if (e.is_request) {
			assert_true(str_is(m->method_str, e.method));
			assert_int_equal(m->method, sip_method_from_str(m->method_str));
			assert_true(m->ruri_str.len > 4);
		} else {
			assert_int_equal(m->status, e.status);
			assert_true(m->reason.len > 0);
		}
		assert_true(str_is(m->version, "SIP/2.0"));
		assert_int_equal(sip_msg_call_id(m, &cid), 0);
		assert_true(str_is(cid, e.call_id));
		assert_int_equal(sip_msg_cseq(m, &cs), 0);
		assert_int_equal(cs->seq, e.cseq);
		if (e.is_request)
			assert_true(sip_str_eq(cs->method_str, m->method_str));
		assert_int_equal(count_vias(m), e.vias);
		assert_int_equal(m->cache->via_values, (unsigned)e.vias);
		assert_int_equal(m->body.len, (size_t)e.body_len);
		assert_ptr_equal(m->body.p, m->buf + c[i].len - (size_t)e.body_len);
		assert_int_equal(sip_msg_content_length(m, &clen), 0);
		assert_int_equal(clen, (uint32_t)e.body_len);
		/* The whole table and cache fit the message's one block. */
		assert_null(m->arena.extra);
		/* Every header line is in exactly one chain, in wire order. */
		{
			unsigned seen = 0;
			for (int id = 0; id < SIP_HDR__COUNT; id++) {
				int prev = -1;
				for (const struct sip_hdr *h = sip_msg_hdr(m, (enum sip_hdr_id)id); h;
				     h = sip_msg_hdr_next(m, h)) {
					assert_int_equal(h->id, id);
					assert_true(h - m->hdrs > prev);
					prev = (int)(h - m->hdrs);
					seen++;
				}
				assert_int_equal(sip_msg_has(m, (enum sip_hdr_id)id), prev >= 0);
			}
			assert_int_equal(seen, m->nhdrs);
		}
		sip_msg_free(m);
	}
	corpus_free(c, n);
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		enum sip_hdr_id id;
	} cases[] = {
		{ "i", SIP_HDR_CALL_ID }, { "m", SIP_HDR_CONTACT }, { "e", SIP_HDR_CONTENT_ENCODING },
		{ "l", SIP_HDR_CONTENT_LENGTH }, { "c", SIP_HDR_CONTENT_TYPE }, { "f", SIP_HDR_FROM },
		{ "s", SIP_HDR_SUBJECT }, { "k", SIP_HDR_SUPPORTED }, { "t", SIP_HDR_TO },
		{ "v", SIP_HDR_VIA }, { "o", SIP_HDR_EVENT }, { "u", SIP_HDR_ALLOW_EVENTS },
		{ "r", SIP_HDR_REFER_TO }, { "b", SIP_HDR_REFERRED_BY }, { "x", SIP_HDR_SESSION_EXPIRES },
		{ "y", SIP_HDR_IDENTITY }, { "a", SIP_HDR_ACCEPT_CONTACT }, { "d", SIP_HDR_REQUEST_DISPOSITION },
		{ "j", SIP_HDR_REJECT_CONTACT }, { "V", SIP_HDR_VIA }, { "I", SIP_HDR_CALL_ID },
		{ "call-id", SIP_HDR_CALL_ID }, { "CALL-ID", SIP_HDR_CALL_ID }, { "cSeQ", SIP_HDR_CSEQ },
		{ "www-authenticate", SIP_HDR_WWW_AUTHENTICATE },
		{ "Proxy-Authorization", SIP_HDR_PROXY_AUTHORIZATION },
		{ "Subscription-State", SIP_HDR_SUBSCRIPTION_STATE }, { "SIP-ETag", SIP_HDR_SIP_ETAG },
		{ "sip-if-match", SIP_HDR_SIP_IF_MATCH }, { "Suppress-If-Match", SIP_HDR_SUPPRESS_IF_MATCH },
		{ "RSeq", SIP_HDR_RSEQ }, { "RAck", SIP_HDR_RACK }, { "Min-SE", SIP_HDR_MIN_SE },
		/* Same length and same first/last letters as known names, or near misses:
		 * the full compare must reject them. */
		{ "Vie", SIP_HDR_OTHER }, { "Gda", SIP_HDR_OTHER }, { "Det", SIP_HDR_OTHER },
		{ "Call-IE", SIP_HDR_OTHER }, { "Cbll-ID", SIP_HDR_OTHER }, { "Call_ID", SIP_HDR_OTHER },
		{ "z", SIP_HDR_OTHER }, { "q", SIP_HDR_OTHER }, { "", SIP_HDR_OTHER },
		{ "Via ", SIP_HDR_OTHER }, { "Call\rID", SIP_HDR_OTHER }, { "X-Via", SIP_HDR_OTHER },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum sip_hdr_id id = sip_hdr_lookup(sip_str_from_cstr(cases[i].name));
		if (id != cases[i].id)
			fail_msg("'%s': %d != %d", cases[i].name, id, cases[i].id);
	}
	/* Every canonical name maps back to its id. */
	for (int id = 1; id < SIP_HDR__COUNT; id++)
		assert_int_equal(sip_hdr_lookup(sip_str_from_cstr(sip_hdr_name((enum sip_hdr_id)id))), id);
	assert_string_equal(sip_hdr_name(SIP_HDR_CALL_ID), "Call-ID");
	assert_string_equal(sip_hdr_name(SIP_HDR_OTHER), "");
	assert_string_equal(sip_hdr_name((enum sip_hdr_id)200), "");
}

#define HDRS_MIN "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n" \
	"Call-ID: abc@h\r\n"

static void test_compact_and_spacing(void **state)
{
	const char *s =
		"OPTIONS sip:b@example.com SIP/2.0\r\n"
		"v: SIP/2.0/UDP h1;branch=z9hG4bK1\r\n"
		"f: <sip:a@example.com>;tag=1\r\n"
		"T   :   <sip:b@example.com>  \r\n"
		"i:\tabc@h\r\n"
		"cseq\t: 7 OPTIONS\r\n"
		"k: timer\r\n"
		"X-Custom-Header: hello\r\n"
		"x-custom-header: second\r\n"
		"l: 0\r\n\r\n";
	struct sip_msg *m = parse_ok(s);
	const struct sip_hdr *h;
	struct sip_str v;

	(void)state;
	assert_int_equal(m->nhdrs, 9);
	h = sip_msg_hdr(m, SIP_HDR_TO);
	assert_non_null(h);
	assert_true(str_is(h->name, "T"));
	assert_true(str_is(h->value, "<sip:b@example.com>"));
	assert_int_equal(sip_msg_call_id(m, &v), 0);
	assert_true(str_is(v, "abc@h"));
	h = sip_msg_hdr_by_name(m, SIP_STR("x-CUSTOM-header"));
	assert_non_null(h);
	assert_int_equal(h->id, SIP_HDR_OTHER);
	assert_true(str_is(h->value, "hello"));
	h = sip_msg_hdr_next(m, h);
	assert_non_null(h);
	assert_true(str_is(h->value, "second"));
	assert_null(sip_msg_hdr_next(m, h));
	assert_null(sip_msg_hdr_by_name(m, SIP_STR("X-Other")));
	/* By name works for compact and full names alike. */
	h = sip_msg_hdr_by_name(m, SIP_STR("Supported"));
	assert_non_null(h);
	assert_true(str_is(h->value, "timer"));
	assert_ptr_equal(sip_msg_hdr_by_name(m, SIP_STR("Call-ID")), sip_msg_hdr(m, SIP_HDR_CALL_ID));
	assert_true(sip_msg_has(m, SIP_HDR_SUPPORTED));
	assert_false(sip_msg_has(m, SIP_HDR_CONTACT));
	assert_null(sip_msg_hdr(m, SIP_HDR_CONTACT));
	assert_null(sip_msg_hdr(m, (enum sip_hdr_id)SIP_HDR__COUNT));
	sip_msg_free(m);
}

static void test_folding(void **state)
{
	/* RFC 3261 7.3.1 / RFC 4475 3.1.1.1 (wsinv): values continue on lines that
	 * start with SP or HTAB, even right after the colon. */
	const char *s =
		"INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0\r\n"
		"TO :\r\n sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n\r\n"
		"from   : \"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n"
		"  ;\r\n  tag = 98asjd8\r\n"
		"MaX-fOrWaRdS: 0068\r\n"
		"Call-ID: wsinv.ndaksdj@192.0.2.1\r\n"
		"Content-Length   : 0\r\n"
		"cseq: 0009\r\n  INVITE\r\n"
		"Via  : SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw\r\n"
		"s :\r\n"
		"NewFangledHeader:   newfangled value\r\n continued newfangled value\r\n"
		"UnknownHeaderWithUnusualValue: ;;,,;;,;\r\n"
		"v:  SIP  / 2.0  / TCP     spindle.example.com   ;\r\n"
		"  branch  =   z9hG4bK9ikj8  ,\r\n"
		" SIP  /    2.0   / UDP  192.168.255.111   ; branch=\r\n z9hG4bK30239\r\n"
		"\r\n";
	struct sip_msg *m = parse_ok(s);
	const struct sip_hdr *h;
	const struct sip_cseq *cs;
	uint32_t mf;

	(void)state;
	h = sip_msg_hdr(m, SIP_HDR_TO);
	assert_true(str_is(h->value, "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n"));
	h = sip_msg_hdr(m, SIP_HDR_FROM);
	assert_true(str_is(h->value,
			   "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8"));
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, 9);
	assert_int_equal(cs->method, SIP_METHOD_INVITE);
	assert_int_equal(sip_msg_max_forwards(m, &mf), 0);
	assert_int_equal(mf, 68);
	h = sip_msg_hdr(m, SIP_HDR_SUBJECT);
	assert_non_null(h);
	assert_int_equal(h->value.len, 0);
	h = sip_msg_hdr_by_name(m, SIP_STR("newfangledheader"));
	assert_true(str_is(h->value, "newfangled value\r\n continued newfangled value"));
	h = sip_msg_hdr_by_name(m, SIP_STR("UnknownHeaderWithUnusualValue"));
	assert_true(str_is(h->value, ";;,,;;,;"));
	/* Two Via lines, the second holding two values. */
	assert_int_equal(m->cache->via_values, 3);
	h = sip_msg_hdr(m, SIP_HDR_VIA);
	assert_true(str_is(h->value, "SIP  /   2.0\r\n /UDP\r\n    192.0.2.2;branch=390skdjuw"));
	h = sip_msg_hdr_next(m, h);
	assert_true(str_is(h->name, "v"));
	assert_null(sip_msg_hdr_next(m, h));
	assert_int_equal(m->body.len, 0);
	sip_msg_free(m);
}

static void test_bare_lf_and_body(void **state)
{
	/* Bare LF line ends (RFC 3261 7.5 robustness); no Content-Length on a
	 * datagram means the body is the rest (18.3). */
	const char *s = "MESSAGE sip:b@example.com SIP/2.0\n"
			"Via: SIP/2.0/UDP h;branch=z9hG4bKx\n" HDRS_MIN
			"CSeq: 1 MESSAGE\n"
			"\n"
			"hello\r\nworld";
	struct sip_msg *m = parse_ok(s);
	uint32_t cl;

	(void)state;
	assert_int_equal(m->nhdrs, 5);
	assert_true(str_is(sip_msg_hdr(m, SIP_HDR_CALL_ID)->value, "abc@h"));
	assert_true(str_is(m->body, "hello\r\nworld"));
	assert_int_equal(sip_msg_content_length(m, &cl), SIP_ENOTFOUND);
	sip_msg_free(m);

	/* Extra octets after Content-Length bytes are discarded (RFC 4475 3.1.1.8). */
	m = parse_ok("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN
		     "CSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\nabcdefgh");
	assert_true(str_is(m->body, "abc"));
	assert_int_equal(m->len, strlen("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN
					 "CSeq: 1 INVITE\r\nContent-Length: 3\r\n\r\nabc"));
	assert_int_equal(m->status, 200);
	assert_true(str_is(m->reason, "OK"));
	assert_false(m->is_request);
	sip_msg_free(m);

	/* Leading CRLFs are ignored (RFC 3261 7.5). */
	m = parse_ok("\r\n\r\nBYE sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN
		     "CSeq: 2 BYE\r\n\r\n");
	assert_int_equal(m->method, SIP_METHOD_BYE);
	assert_int_equal(m->body.len, 0);
	assert_int_equal(m->buf[0], 'B');
	sip_msg_free(m);
}

static void test_start_lines(void **state)
{
	struct sip_msg *m;

	(void)state;
	/* Empty reason phrase (RFC 4475 3.1.1.13), with and without the SP. */
	m = parse_ok("SIP/2.0 100 \r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n");
	assert_int_equal(m->status, 100);
	assert_int_equal(m->reason.len, 0);
	sip_msg_free(m);
	m = parse_ok("SIP/2.0 699\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n");
	assert_int_equal(m->status, 699);
	sip_msg_free(m);
	/* Unusual reason phrase with UTF-8 and HTAB (RFC 4475 3.1.1.12). */
	m = parse_ok("SIP/2.0 200 = 2**3 * 5**2 \xd0\xbd\xd0\xbe\tsto\r\n"
		     "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n");
	assert_true(str_is(m->reason, "= 2**3 * 5**2 \xd0\xbd\xd0\xbe\tsto"));
	sip_msg_free(m);
	/* Unknown method: kept as text. Version is case-insensitive. */
	m = parse_ok("NEWMETHOD sip:b@example.com sip/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n" HDRS_MIN
		     "CSeq: 1 NEWMETHOD\r\n\r\n");
	assert_int_equal(m->method, SIP_METHOD_OTHER);
	assert_true(str_is(m->method_str, "NEWMETHOD"));
	assert_true(str_is(m->version, "sip/2.0"));
	sip_msg_free(m);
}

struct err_case {
	const char *msg;
	int code;
	uint16_t status;
	const char *reason;
	long offset; /* -1: not checked */
};

#define VIA "Via: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
#define REQ(m) m " sip:b@example.com SIP/2.0\r\n"

static const struct err_case err_cases[] = {
	{ REQ("INVITE") VIA "From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Missing Call-ID)", -1 },
	{ REQ("INVITE") VIA "To: <sip:b@x>\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Missing From)", -1 },
	{ REQ("INVITE") VIA "From: <sip:a@x>;tag=1\r\nCall-ID: a\r\nCSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Missing To)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "\r\n", SIP_EPARSE, 400, "Bad Request (Missing CSeq)", -1 },
	{ REQ("INVITE") HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Missing Via)", -1 },
	/* RFC 4475 3.1.2.17 mismatch01. */
	{ REQ("OPTIONS") VIA HDRS_MIN "CSeq: 8 INVITE\r\nl: 0\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (CSeq method does not match)", -1 },
	/* RFC 4475 3.1.2.16 badvers. */
	{ "OPTIONS sip:t.watson@example.org SIP/7.0\r\n" VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n",
	  SIP_EPARSE, 505, "Version Not Supported", 33 },
	{ "SIP/3.0 200 OK\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 505,
	  "Version Not Supported", 0 },
	{ "OPTIONS sip:b@example.com SIP/2.\r\n" VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Malformed SIP-Version)", 26 },
	/* RFC 4475 3.1.2.19 bigcode. */
	{ "SIP/2.0 4294967301 better not break the receiver\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Malformed Status-Code)", 8 },
	{ "SIP/2.0 099 Low\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed Status-Code)", 8 },
	{ "SIP/2.0 700 High\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed Status-Code)", 8 },
	{ "SIP/2.0 20 Short\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed Status-Code)", 8 },
	/* RFC 4475 3.1.2.9 lwsstart, 3.1.2.10 trws, 3.1.2.7 ltgtruri, 3.1.2.8 lwsruri. */
	{ "INVITE  sip:user@example.com  SIP/2.0\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Malformed Request-URI)", 7 },
	{ "OPTIONS sip:remote-target@example.com SIP/2.0  \r\n" VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Malformed SIP-Version)", 38 },
	{ "INVITE <sip:user@example.com> SIP/2.0\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Malformed Request-URI)", 7 },
	{ "INVITE sip:user@example.com; lr SIP/2.0\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n",
	  SIP_EPARSE, 400, "Bad Request (Whitespace inside Request-URI)", 29 },
	{ " INVITE sip:b@example.com SIP/2.0\r\n", SIP_EPARSE, 400, "Bad Request (Malformed Method)", 0 },
	{ "INVITE sip:b@example.com SIP/2.0", SIP_EPARSE, 400, "Bad Request (Truncated Start-Line)", 32 },
	{ "INVITE\r\n", SIP_EPARSE, 400, "Bad Request (Malformed Method)", 6 },
	{ "INVITE sip:b@example.com SIP/2.0\rX", SIP_EPARSE, 400, "Bad Request (Bare CR)", 32 },
	{ "INV\001TE sip:b@example.com SIP/2.0\r\n", SIP_EPARSE, 400,
	  "Bad Request (Control character in Start-Line)", 3 },
	{ "", SIP_EPARSE, 400, "Bad Request (Empty message)", 0 },
	{ REQ("BYE") VIA HDRS_MIN "CSeq: 2 BYE\r\n", SIP_EPARSE, 400,
	  "Bad Request (Missing empty line after headers)", -1 },
	{ "\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Empty message)", 4 },
	/* Header lines. */
	{ REQ("INVITE") "Via SIP/2.0/UDP h\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Missing colon after header name)", 38 },
	{ REQ("INVITE") ": value\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed header name)", 34 },
	{ REQ("INVITE") " folded-start: x\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed header name)", 34 },
	{ REQ("INVITE") VIA "From: <sip:a@x>\r\nTo: <sip:b@x>\r\nCall-ID: abc", SIP_EPARSE, 400,
	  "Bad Request (Truncated header)", -1 },
	{ REQ("INVITE") "X-A: a\0b\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Control character in header)", 40 },
	/* RFC 4475 3.3.8 multi01, 3.3.9 mcl01, 3.1.2.3 ncl, 3.1.2.2 clerr, 3.1.2.4 scalar02. */
	{ REQ("INVITE") VIA HDRS_MIN "Call-ID: other@h\r\nCSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Duplicate Call-ID)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\nCSeq: 2 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Duplicate CSeq)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "t: <sip:c@x>\r\nCSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Duplicate To)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "f: <sip:c@x>\r\nCSeq: 1 INVITE\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Duplicate From)", -1 },
	{ REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\nContent-Length: 13\r\nl: 5\r\n\r\n"
	  "There's no way to know how many octets are supposed to be here.",
	  SIP_EPARSE, 400, "Bad Request (Conflicting Content-Length)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\nContent-Length: -999\r\n\r\nabc", SIP_EPARSE, 400,
	  "Bad Request (Malformed Content-Length)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\nContent-Length: five\r\n\r\nabc", SIP_EPARSE, 400,
	  "Bad Request (Malformed Content-Length)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\nContent-Length: 9999\r\n\r\nabc", SIP_EPARSE, 400,
	  "Bad Request (Content-Length larger than message)", -1 },
	{ REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\nContent-Length: 99999999999\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed Content-Length)", -1 },
	{ REQ("REGISTER") VIA HDRS_MIN "CSeq: 36893488147419103232 REGISTER\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed CSeq)", -1 },
	{ REQ("REGISTER") VIA HDRS_MIN "CSeq: REGISTER\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed CSeq)", -1 },
	{ REQ("REGISTER") VIA HDRS_MIN "CSeq: 1\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Malformed CSeq)", -1 },
	{ REQ("REGISTER") VIA HDRS_MIN "CSeq: 1 REG ISTER\r\n\r\n", SIP_EPARSE, 400,
	  "Bad Request (Malformed CSeq)", -1 },
	{ REQ("REGISTER") VIA "From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n"
	  "Call-ID:   \r\nCSeq: 1 REGISTER\r\n\r\n", SIP_EPARSE, 400, "Bad Request (Empty Call-ID)", -1 },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
		const struct err_case *c = &err_cases[i];
		/* The NUL-in-header case needs its real length. */
		size_t len = strlen(c->msg);
		struct sip_msg *m = (struct sip_msg *)(uintptr_t)1;
		struct sip_parse_error e = { 0, NULL, 0 };
		int r;

		if (strstr(c->msg, "X-A: a") == c->msg + strlen(REQ("INVITE")))
			len += 1 + strlen("b\r\n\r\n");
		r = sip_msg_parse(&m, c->msg, len, NULL, &e);
		if (r != c->code || e.status != c->status || !e.reason || strcmp(e.reason, c->reason) ||
		    (c->offset >= 0 && e.offset != (size_t)c->offset))
			fail_msg("case %zu: got %d %u '%s' @%zu, want %d %u '%s' @%ld", i, r, e.status,
				 e.reason ? e.reason : "(null)", e.offset, c->code, c->status, c->reason,
				 c->offset);
		/* Out-params are written only on success. */
		assert_ptr_equal(m, (struct sip_msg *)(uintptr_t)1);
	}
	/* err may be NULL. */
	{
		struct sip_msg *m = NULL;
		assert_int_equal(sip_msg_parse(&m, "x", 1, NULL, NULL), SIP_EPARSE);
		assert_null(m);
	}
}

/* RFC 3261 25.1: quoted-pair = "\\" (%x00-09 / %x0B-0C / %x0E-7F). A NUL or BEL
 * escaped inside a quoted-string is legal (RFC 4475 3.1.1.2); the same byte raw,
 * or after a backslash outside quotes, is not. */
static void test_quoted_pair_ctl(void **state)
{
	static const char ok[] = REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n"
				 "X-Q: \"a\\\0b\\\x07" "c\" ; p=\"\\\x01\"\r\n\r\n";
	static const char raw[] = REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n"
				  "X-Q: \"a\x07" "b\"\r\n\r\n";
	static const char unquoted[] = REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n"
				       "X-Q: a\\\x07" "b\r\n\r\n";
	static const char closed[] = REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n"
				     "X-Q: \"a\\\\\"\x07" "b\r\n\r\n";
	struct sip_parse_error e = { 0, NULL, 0 };
	struct sip_msg *m = NULL;
	const struct sip_hdr *h;
	(void)state;

	assert_int_equal(sip_msg_parse(&m, ok, sizeof(ok) - 1, NULL, &e), 0);
	h = sip_msg_hdr_by_name(m, SIP_STR("X-Q"));
	assert_non_null(h);
	assert_int_equal(h->value.len, 18);
	assert_memory_equal(h->value.p, "\"a\\\0b\\\x07" "c\" ; p=\"\\\x01\"", 18);
	sip_msg_free(m);
	m = NULL;

	assert_int_equal(sip_msg_parse(&m, raw, sizeof(raw) - 1, NULL, &e), SIP_EPARSE);
	assert_string_equal(e.reason, "Bad Request (Control character in header)");
	assert_int_equal(e.offset, (size_t)(strstr(raw, "a\x07") + 1 - raw));
	assert_int_equal(sip_msg_parse(&m, unquoted, sizeof(unquoted) - 1, NULL, &e), SIP_EPARSE);
	assert_string_equal(e.reason, "Bad Request (Control character in header)");
	/* "a\\" closes with an escaped backslash, so the BEL after the quote is raw. */
	assert_int_equal(sip_msg_parse(&m, closed, sizeof(closed) - 1, NULL, &e), SIP_EPARSE);
	assert_string_equal(e.reason, "Bad Request (Control character in header)");
	assert_null(m);
}

static void test_limits(void **state)
{
	char big[2000];
	struct sip_msg *m = NULL;
	struct sip_parse_error e;
	struct sip_limits lim = { 0, 0, 0, 0 };
	const char *base = REQ("INVITE") VIA HDRS_MIN "CSeq: 1 INVITE\r\n";
	size_t n;
	int r;

	(void)state;
	/* Message size: 513 for a request whose header block alone is over the
	 * limit, 413 when its body is what makes it too large, 513 for a response. */
	lim.max_msg_size = 100;
	snprintf(big, sizeof(big), "%s\r\n", base);
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 513);
	assert_string_equal(e.reason, "Message Too Large");
	lim.max_msg_size = strlen(base) + 2 + 10;
	snprintf(big, sizeof(big), "%s\r\n%0100d", base, 0);
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 413);
	assert_string_equal(e.reason, "Request Entity Too Large");
	lim.max_msg_size = 100;
	snprintf(big, sizeof(big), "SIP/2.0 200 OK\r\n%s\r\n", base + strlen(REQ("INVITE")));
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 513);

	/* Start line: 414 for a long Request-URI. */
	lim = (struct sip_limits){ 0, 40, 0, 0 };
	snprintf(big, sizeof(big), "INVITE sip:%0100d@example.com SIP/2.0\r\n" VIA HDRS_MIN "CSeq: 1 INVITE\r\n\r\n", 0);
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 414);
	assert_string_equal(e.reason, "Request-URI Too Long");
	/* Header line too long. */
	snprintf(big, sizeof(big), "%sX-Long: %0100d\r\n\r\n", base, 0);
	lim = (struct sip_limits){ 0, 80, 0, 0 };
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_int_equal(e.status, 400);
	assert_string_equal(e.reason, "Bad Request (Header line too long)");
	assert_int_equal(e.offset, strlen(base));

	/* Header count: exactly the limit passes, one more fails; also beyond the
	 * first table estimate (the table grows in the arena). */
	n = (size_t)snprintf(big, sizeof(big), "%s", base);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "X-%d: %d\r\n", i, i);
	snprintf(big + n, sizeof(big) - n, "\r\n");
	lim = (struct sip_limits){ 0, 0, 46, 0 };
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, 0);
	assert_int_equal(m->nhdrs, 45);
	assert_true(str_is(sip_msg_hdr_by_name(m, SIP_STR("x-39"))->value, "39"));
	sip_msg_free(m);
	lim.max_headers = 44;
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_string_equal(e.reason, "Bad Request (Too many headers)");

	/* Via values, over lines and commas. */
	snprintf(big, sizeof(big), REQ("INVITE") "Via: SIP/2.0/UDP a, SIP/2.0/UDP b\r\n"
		 "v: SIP/2.0/UDP c;x=\"q,q\"\r\n" HDRS_MIN "CSeq: 1 INVITE\r\n\r\n");
	lim = (struct sip_limits){ 0, 0, 0, 3 };
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, 0);
	assert_int_equal(m->cache->via_values, 3);
	sip_msg_free(m);
	lim.max_vias = 2;
	r = sip_msg_parse(&m, big, strlen(big), &lim, &e);
	assert_int_equal(r, SIP_ETOOBIG);
	assert_string_equal(e.reason, "Bad Request (Too many Via values)");
}

static void test_scalars(void **state)
{
	struct sip_msg *m = parse_ok(REQ("SUBSCRIBE") VIA HDRS_MIN "CSeq: 1 SUBSCRIBE\r\n"
				     "Max-Forwards: 300\r\nExpires: 3600\r\nMin-Expires: x\r\nRSeq: 5\r\n"
				     "SIP-ETag: dx200xyz\r\nSIP-If-Match: bad tag\r\n"
				     "Suppress-If-Match: *\r\n\r\n");
	uint32_t v = 77;
	struct sip_str s;

	(void)state;
	assert_int_equal(sip_msg_max_forwards(m, &v), SIP_EPARSE); /* > 255 */
	assert_int_equal(sip_msg_max_forwards(m, &v), SIP_EPARSE); /* memoized */
	assert_int_equal(v, 77);
	assert_int_equal(sip_msg_expires(m, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(sip_msg_expires(m, &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(sip_msg_min_expires(m, &v), SIP_EPARSE);
	assert_int_equal(sip_msg_rseq(m, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SIP_ETAG, &s), 0);
	assert_true(str_is(s, "dx200xyz"));
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SIP_IF_MATCH, &s), SIP_EPARSE);
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SUPPRESS_IF_MATCH, &s), 0);
	assert_true(str_is(s, "*"));
	assert_int_equal(sip_msg_etag(m, SIP_HDR_VIA, &s), -EINVAL);
	sip_msg_free(m);

	m = parse_ok(REQ("OPTIONS") VIA HDRS_MIN "CSeq: 1 OPTIONS\r\n\r\n");
	assert_int_equal(sip_msg_max_forwards(m, &v), SIP_ENOTFOUND);
	assert_int_equal(sip_msg_expires(m, &v), SIP_ENOTFOUND);
	assert_int_equal(sip_msg_etag(m, SIP_HDR_SIP_ETAG, &s), SIP_ENOTFOUND);
	assert_int_equal(sip_msg_content_length(m, &v), SIP_ENOTFOUND);
	sip_msg_free(m);
}

static void test_guard_page(void **state)
{
	struct corpus_file c[CORPUS_MAX];
	size_t n = corpus_load(SIPHON_SHARED_DIR "/corpus", c);

	(void)state;
	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		/* Every prefix ends at the guard page: parse either succeeds or fails
		 * cleanly, and never reads past the end. */
		for (size_t len = 0; len <= c[i].len; len += (len < 64 || len + 64 > c[i].len) ? 1 : 7) {
			struct sip_msg *m;
			struct sip_parse_error e;
			const char *g = guard_copy(c[i].data, len);

			if (sip_msg_parse(&m, g, len, NULL, &e) == 0) {
				assert_int_equal(len, c[i].len);
				sip_msg_free(m);
			} else {
				assert_true(len < c[i].len);
				assert_true(e.status == 400 && e.offset <= len);
			}
			guard_release();
		}
	}
	corpus_free(c, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_corpus),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_compact_and_spacing),
		cmocka_unit_test(test_folding),
		cmocka_unit_test(test_bare_lf_and_body),
		cmocka_unit_test(test_start_lines),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_quoted_pair_ctl),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_guard_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

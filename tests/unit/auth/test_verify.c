/* Unit tests for src/auth/server.c: challenges and credential verification,
 * with the client of src/auth/client.c on the other side (challenge -> client
 * response -> verify). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "siphon/auth.h"

#define S(lit) SIP_STR(lit)
#define T0 UINT64_C(1790000000000)
#define REALM "example.com"
#define RURI "sip:example.com"

/* Our builders' output read back by the msg layer's parser, as the server and
 * the client will do with real headers. */
static void parse_digest(struct sip_auth *a, const char *text)
{
	assert_int_equal(sip_auth_parse(a, sip_str_from_cstr(text)), 0);
	assert_true(sip_str_eq(a->scheme, S("Digest")));
}

struct fixture {
	uint64_t now;
	struct sip_nonce_state *ns;
	struct sip_buf ch[SIP_DIGEST_ALG_COUNT];
	struct sip_auth parsed[SIP_DIGEST_ALG_COUNT];
	size_t nch;
	struct sip_buf cred_text;
	struct sip_auth cred;
	struct sip_auth_request req;
	char ha1[SIP_DIGEST_ALG_COUNT][SIP_DIGEST_HEX_SIZE];
};

static uint64_t fx_clock(void *arg)
{
	return ((struct fixture *)arg)->now;
}

static int setup(void **state)
{
	static struct fixture fx;
	static const uint8_t key[] = "verify-test-key";
	struct sip_nonce_cfg cfg = {
		.secret = key, .secret_len = sizeof(key) - 1, .lifetime_s = 300,
		.clock_ms = fx_clock, .clock_arg = &fx,
	};

	memset(&fx, 0, sizeof(fx));
	fx.now = T0;
	assert_int_equal(sip_nonce_state_alloc(&fx.ns, &cfg), 0);
	fx.req.realm = S(REALM);
	fx.req.method = S("REGISTER");
	fx.req.request_uri = S(RURI);
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_MD5, S("alice"), S(REALM), S("secret"), fx.ha1[SIP_DIGEST_MD5]), 0);
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_SHA256, S("alice"), S(REALM), S("secret"),
					fx.ha1[SIP_DIGEST_SHA256]), 0);
	*state = &fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	size_t i;

	for (i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_free(&fx->ch[i]);
	sip_buf_free(&fx->cred_text);
	sip_nonce_state_free(fx->ns);
	return 0;
}

/* Server challenges (both algorithms unless algs says otherwise). */
static void challenge(struct fixture *fx, unsigned algs, bool stale)
{
	struct sip_auth_challenge_opts o = { .realm = S(REALM), .algs = algs, .stale = stale };
	size_t i;

	for (i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_reset(&fx->ch[i]);
	assert_int_equal(sip_auth_challenge(fx->ch, &fx->nch, fx->ns, &o), 0);
	for (i = 0; i < fx->nch; i++)
		parse_digest(&fx->parsed[i], fx->ch[i].p);
}

/* Client answers the current challenges with password and nc. */
static void answer(struct fixture *fx, const char *password, uint32_t nc)
{
	struct sip_auth_client_args a = {
		.username = S("alice"), .password = sip_str_from_cstr(password),
		.method = S("REGISTER"), .uri = S(RURI), .cnonce = S("c-n0nce"), .nc = nc,
	};

	sip_buf_reset(&fx->cred_text);
	assert_int_equal(sip_auth_client_respond(&fx->cred_text, fx->parsed, fx->nch, &a), 0);
	parse_digest(&fx->cred, fx->cred_text.p);
}

/* Server verifies fx->cred with the HA1 of its algorithm. */
static enum sip_auth_result verify(struct fixture *fx)
{
	struct sip_auth_verdict v;
	enum sip_digest_alg alg;

	memset(&v, 0xa5, sizeof(v));
	assert_int_equal(sip_auth_cred_alg(&alg, &fx->cred), 0);
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[alg])), 0);
	assert_non_null(v.reason);
	assert_true(v.reason[0] != '\0');
	return v.result;
}

static void test_challenge_values(void **state)
{
	struct fixture *fx = *state;
	struct sip_buf b = SIP_BUF_INIT;

	challenge(fx, 0, false);
	assert_int_equal(fx->nch, 2);
	/* RFC 8760: SHA-256 first, each its own value; same nonce in both */
	assert_true(sip_str_eq(fx->parsed[0].algorithm, S("SHA-256")));
	assert_true(sip_str_eq(fx->parsed[1].algorithm, S("MD5")));
	assert_true(sip_str_eq(fx->parsed[0].nonce, fx->parsed[1].nonce));
	assert_int_equal(fx->parsed[0].nonce.len, SIP_NONCE_LEN);
	assert_true(sip_str_eq(fx->parsed[0].realm, S(REALM)));
	assert_true(sip_str_eq(fx->parsed[0].qop, S("auth")));
	assert_false(fx->parsed[0].stale);
	assert_null(strstr(fx->ch[0].p, "stale"));

	challenge(fx, SIP_DIGEST_BIT(SIP_DIGEST_MD5), true);
	assert_int_equal(fx->nch, 1);
	assert_true(sip_str_eq(fx->parsed[0].algorithm, S("MD5")));
	assert_true(fx->parsed[0].stale);

	/* exact text, with opaque and an escaped realm */
	assert_int_equal(sip_auth_challenge_format(&b, SIP_DIGEST_SHA256, S("a\"b"), S("NONCE"), S("op"), true), 0);
	assert_string_equal(b.p, "Digest realm=\"a\\\"b\", nonce=\"NONCE\", opaque=\"op\", stale=true, "
				 "algorithm=SHA-256, qop=\"auth\"");
	sip_buf_free(&b);
}

static void test_round_trip(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth_verdict v;

	/* SHA-256 chosen by the client, accepted */
	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	assert_true(sip_str_eq(fx->cred.algorithm, S("SHA-256")));
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	/* the same request again: replay */
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY);
	/* next count with the same nonce: accepted */
	answer(fx, "secret", 2);
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	answer(fx, "secret", 3);
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[SIP_DIGEST_SHA256])), 0);
	assert_int_equal(v.result, SIP_AUTH_OK);
	assert_int_equal(v.nc, 3);
	assert_int_equal(v.alg, SIP_DIGEST_SHA256);
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY);
	answer(fx, "secret", 2);
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY);

	/* MD5 only */
	challenge(fx, SIP_DIGEST_BIT(SIP_DIGEST_MD5), false);
	answer(fx, "secret", 1);
	assert_true(sip_str_eq(fx->cred.algorithm, S("MD5")));
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY);
}

static void test_wrong_password(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth_verdict v;

	challenge(fx, 0, false);
	answer(fx, "Secret", 1);
	assert_int_equal(verify(fx), SIP_AUTH_BAD_PASSWORD);
	/* unknown user: same answer */
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, SIP_STR_NULL), 0);
	assert_int_equal(v.result, SIP_AUTH_BAD_PASSWORD);
	/* the failed attempts did not burn nc 1 */
	answer(fx, "secret", 1);
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	/* HA1 of the other algorithm's length: a caller error */
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[SIP_DIGEST_MD5])),
			 -EINVAL);
}

static void test_stale(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth_verdict v;

	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	fx->now += 300 * 1000;
	assert_int_equal(verify(fx), SIP_AUTH_STALE);
	/* a wrong password on an expired nonce is stale too: no password check
	 * until a fresh nonce */
	answer(fx, "wrong", 2);
	assert_int_equal(verify(fx), SIP_AUTH_STALE);
	/* the client retries on stale=true without asking the user */
	challenge(fx, 0, true);
	assert_true(fx->parsed[0].stale);
	answer(fx, "secret", 1);
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[SIP_DIGEST_SHA256])), 0);
	assert_int_equal(v.result, SIP_AUTH_OK);
}

static void test_forged_nonce(void **state)
{
	struct fixture *fx = *state;
	char nonce[SIP_NONCE_LEN + 1];

	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	/* The client recomputes the response over a modified nonce (an attacker
	 * knowing the password still cannot extend or invent nonces). */
	sip_str_copy(nonce, sizeof(nonce), fx->parsed[0].nonce);
	nonce[3] = nonce[3] == 'A' ? 'B' : 'A';
	fx->parsed[0].nonce = sip_str_from_cstr(nonce);
	fx->parsed[1].nonce = sip_str_from_cstr(nonce);
	answer(fx, "secret", 1);
	assert_int_equal(verify(fx), SIP_AUTH_BAD_NONCE);
	/* one made up from scratch */
	fx->parsed[0].nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093");
	fx->parsed[1].nonce = fx->parsed[0].nonce;
	answer(fx, "secret", 1);
	assert_int_equal(verify(fx), SIP_AUTH_BAD_NONCE);
}

static void test_realm_uri(void **state)
{
	struct fixture *fx = *state;

	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	fx->req.realm = S("other.org");
	assert_int_equal(verify(fx), SIP_AUTH_WRONG_REALM);
	fx->req.realm = S(REALM);

	/* Request-URI differs from uri=: 400 */
	fx->req.request_uri = S("sip:bob@example.com");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	/* a proxy may skip that check (RFC 3261 22.4 item 6) */
	fx->req.skip_uri_check = true;
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	fx->req.skip_uri_check = false;
	fx->req.request_uri = S(RURI);
	/* RFC 3261 19.1.4 equivalence: scheme and host case do not matter ... */
	answer(fx, "secret", 2);
	fx->req.request_uri = S("SIP:EXAMPLE.COM");
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	/* ... a transport= on one side only does, and so does an unparsable URI */
	answer(fx, "secret", 3);
	fx->req.request_uri = S("sip:example.com;transport=tcp");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->req.request_uri = S("sip:exa mple.com");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->req.request_uri = S(RURI);
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	/* the method is in the hash: a response made for REGISTER fails for INVITE */
	answer(fx, "secret", 30);
	fx->req.method = S("INVITE");
	assert_int_equal(verify(fx), SIP_AUTH_BAD_PASSWORD);
	fx->req.method = S("REGISTER");
	/* user parts compare case-sensitively, escapes decoded */
	{
		struct sip_auth_client_args a = {
			.username = S("alice"), .password = S("secret"), .method = S("REGISTER"),
			.uri = S("sip:%61lice@example.com"), .cnonce = S("c"), .nc = 31,
		};

		sip_buf_reset(&fx->cred_text);
		assert_int_equal(sip_auth_client_respond(&fx->cred_text, fx->parsed, fx->nch, &a), 0);
		parse_digest(&fx->cred, fx->cred_text.p);
		fx->req.request_uri = S("sip:ALICE@example.com");
		assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
		fx->req.request_uri = S("sip:alice@example.com");
		assert_int_equal(verify(fx), SIP_AUTH_OK);
		fx->req.request_uri = S(RURI);
	}
	/* a nonce issued for another realm, answered for ours: not our nonce */
	{
		struct sip_auth_challenge_opts o = { .realm = S("other.org") };
		size_t i;

		for (i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
			sip_buf_reset(&fx->ch[i]);
		assert_int_equal(sip_auth_challenge(fx->ch, &fx->nch, fx->ns, &o), 0);
		for (i = 0; i < fx->nch; i++) {
			parse_digest(&fx->parsed[i], fx->ch[i].p);
			fx->parsed[i].realm = S(REALM);
		}
		answer(fx, "secret", 1);
		assert_int_equal(verify(fx), SIP_AUTH_BAD_NONCE);
	}
}

/* Credentials written by another client: other parameter order, folding,
 * quoted qop, lower-case algorithm, upper-case hex response. */
static void test_foreign_client(void **state)
{
	struct fixture *fx = *state;
	char resp[SIP_DIGEST_HEX_SIZE], text[1024];
	struct sip_digest_input in = {
		.alg = SIP_DIGEST_SHA256, .method = S("REGISTER"), .uri = S(RURI),
		.qop = S("auth"), .nc = S("0000000a"), .cnonce = S("xyz \"q\""),
	};
	size_t i;

	challenge(fx, 0, false);
	in.ha1 = sip_str_from_cstr(fx->ha1[SIP_DIGEST_SHA256]);
	in.nonce = fx->parsed[0].nonce;
	assert_int_equal(sip_digest_response(&in, resp), 0);
	for (i = 0; resp[i]; i++)
		if (resp[i] >= 'a' && resp[i] <= 'f')
			resp[i] = (char)(resp[i] - 32);
	snprintf(text, sizeof(text),
		 "Digest algorithm=sha-256,qop=\"auth\" ,\r\n nc=0000000a, cnonce=\"xyz \\\"q\\\"\",\r\n"
		 "\tresponse=\"%s\", uri=\"%s\", nonce=\"%.*s\", realm=\"%s\", username=\"alice\"",
		 resp, RURI, SIP_STR_ARG(fx->parsed[0].nonce), REALM);
	parse_digest(&fx->cred, text);
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY);
}

/* The RFC 7616 3.9.1 headers, parsed, answered by our client. */
static void test_rfc7616_parsed(void **state)
{
	static const char *const ch_text[2] = {
		"Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n algorithm=MD5,\r\n"
		" nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
		" opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
		"Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n algorithm=SHA-256,\r\n"
		" nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n"
		" opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"",
	};
	const struct sip_auth_client_args a = {
		.username = S("Mufasa"), .password = S("Circle of Life"), .method = S("GET"),
		.uri = S("/dir/index.html"), .cnonce = S("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"), .nc = 1,
	};
	struct sip_auth ch[2], cred;
	struct sip_buf b = SIP_BUF_INIT;

	(void)state;
	parse_digest(&ch[0], ch_text[0]);
	parse_digest(&ch[1], ch_text[1]);
	assert_int_equal(sip_auth_client_respond(&b, ch, 2, &a), 0);
	parse_digest(&cred, b.p);
	assert_true(sip_str_eq(cred.algorithm, S("SHA-256")));
	assert_true(sip_str_eq(cred.response, S("753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1")));
	assert_true(sip_str_eq(cred.opaque, S("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")));
	assert_true(sip_str_eq(cred.nc, S("00000001")));
	sip_buf_reset(&b);
	assert_int_equal(sip_auth_client_respond(&b, ch, 1, &a), 0);
	parse_digest(&cred, b.p);
	assert_true(sip_str_eq(cred.response, S("8ca523f5e9506fed4657c9700eebdbec")));
	sip_buf_free(&b);
}

/* Each malformed field gets its own verdict; none of them is OK. */
static void test_malformed(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth good;
	struct sip_auth_verdict v;

	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	good = fx->cred;

	fx->cred.nc = S("0000001g");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred.nc = S("1");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred.nc = S("000000001");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred.nc = S("00000000");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred = good;
	fx->cred.cnonce = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred = good;
	fx->cred.username = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred = good;
	fx->cred.nonce = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred = good;
	fx->cred.uri = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred = good;
	fx->cred.response = S("abc");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->cred.response = S("zz00000000000000000000000000000000000000000000000000000000000000");
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	/* qop absent: refused unless RFC 2069 mode is allowed */
	fx->cred = good;
	fx->cred.qop = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED); /* nc and cnonce without qop */
	fx->cred.nc = SIP_STR_NULL;
	fx->cred.cnonce = SIP_STR_NULL;
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED); /* qop missing */

	/* unsupported: algorithm, qop, userhash, scheme */
	fx->cred = good;
	fx->cred.algorithm = S("SHA-512-256");
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[SIP_DIGEST_SHA256])), 0);
	assert_int_equal(v.result, SIP_AUTH_UNSUPPORTED);
	assert_string_equal(v.reason, "algorithm not supported");
	fx->cred.algorithm = S("MD5-sess");
	assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req, sip_str_from_cstr(fx->ha1[SIP_DIGEST_MD5])), 0);
	assert_int_equal(v.result, SIP_AUTH_UNSUPPORTED);
	fx->cred = good;
	fx->cred.qop = S("auth-int");
	assert_int_equal(verify(fx), SIP_AUTH_UNSUPPORTED);
	fx->cred = good;
	fx->cred.userhash = true;
	assert_int_equal(verify(fx), SIP_AUTH_UNSUPPORTED);
	fx->cred = good;
	fx->cred.scheme = S("Basic");
	assert_int_equal(verify(fx), SIP_AUTH_UNSUPPORTED);

	/* after all that, the good credentials still pass with nc 1 */
	fx->cred = good;
	assert_int_equal(verify(fx), SIP_AUTH_OK);
}

/* RFC 2069 clients (no qop), MD5 only and one use per nonce, when allowed. */
static void test_rfc2069(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth_client_args a = {
		.username = S("alice"), .password = S("secret"),
		.method = S("REGISTER"), .uri = S(RURI), .cnonce = S("x"), .nc = 1,
	};
	size_t i;

	challenge(fx, 0, false);
	for (i = 0; i < fx->nch; i++)
		fx->parsed[i].qop = SIP_STR_NULL; /* a client that ignores qop */
	sip_buf_reset(&fx->cred_text);
	assert_int_equal(sip_auth_client_respond(&fx->cred_text, &fx->parsed[1], 1, &a), 0);
	parse_digest(&fx->cred, fx->cred_text.p);
	assert_int_equal(fx->cred.qop.len, 0);
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED); /* off by default */
	fx->req.allow_rfc2069 = true;
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	assert_int_equal(verify(fx), SIP_AUTH_REPLAY); /* single use */

	/* SHA-256 without qop is not accepted even then */
	sip_buf_reset(&fx->cred_text);
	assert_int_equal(sip_auth_client_respond(&fx->cred_text, &fx->parsed[0], 1, &a), 0);
	parse_digest(&fx->cred, fx->cred_text.p);
	assert_true(sip_str_eq(fx->cred.algorithm, S("SHA-256")));
	assert_int_equal(verify(fx), SIP_AUTH_MALFORMED);
	fx->req.allow_rfc2069 = false;
}

/* A full nonce-count table makes the server re-challenge (stale), never accept a replay. */
static void test_table_full(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t key[] = "k";
	struct sip_nonce_cfg cfg = {
		.secret = key, .secret_len = 1, .max_entries = 8, .clock_ms = fx_clock, .clock_arg = fx,
	};
	struct sip_nonce_state *big = fx->ns;
	struct sip_auth first;
	char firstbuf[1024];
	int i;

	assert_int_equal(sip_nonce_state_alloc(&fx->ns, &cfg), 0);
	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	assert_int_equal(verify(fx), SIP_AUTH_OK);
	/* keep a copy of the accepted credentials to replay later */
	assert_true(fx->cred_text.len < sizeof(firstbuf));
	memcpy(firstbuf, fx->cred_text.p, fx->cred_text.len + 1);
	parse_digest(&first, firstbuf);
	for (i = 0; i < 40; i++) {
		fx->now += 1; /* distinct expiries: the oldest entry goes first */
		challenge(fx, 0, false);
		answer(fx, "secret", 1);
		assert_int_equal(verify(fx), SIP_AUTH_OK);
	}
	fx->cred = first;
	assert_int_equal(verify(fx), SIP_AUTH_STALE);
	sip_nonce_state_free(fx->ns);
	fx->ns = big;
}

/* Deterministic mutation of every credential field (bounded: 3000 rounds):
 * never a crash or an over-read (run under ASan), and never OK for anything
 * but the original credentials. */
static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void test_mutations(void **state)
{
	struct fixture *fx = *state;
	struct sip_auth good;
	struct sip_str *fields[] = {
		&fx->cred.username, &fx->cred.realm, &fx->cred.nonce, &fx->cred.uri, &fx->cred.response,
		&fx->cred.algorithm, &fx->cred.cnonce, &fx->cred.qop, &fx->cred.nc, &fx->cred.scheme,
	};
	enum { NF = sizeof(fields) / sizeof(fields[0]) };
	static char pool[4][80];
	uint32_t x = 2463534242u;
	int round, ok = 0, changed = 0;

	challenge(fx, 0, false);
	answer(fx, "secret", 1);
	good = fx->cred;
	for (round = 0; round < 3000; round++) {
		struct sip_auth_verdict v;
		size_t f = rnd(&x) % NF, len, j;
		char *buf = pool[round % 4];
		struct sip_str old;

		fx->cred = good;
		old = *fields[f];
		/* a copy of the field with one to three bytes changed, or a random length */
		len = (rnd(&x) % 4 == 0) ? rnd(&x) % sizeof(pool[0]) : old.len;
		if (len > sizeof(pool[0]))
			len = sizeof(pool[0]);
		for (j = 0; j < len; j++)
			buf[j] = j < old.len ? old.p[j] : (char)rnd(&x);
		for (j = 0; len && j < 1 + rnd(&x) % 3; j++)
			buf[rnd(&x) % len] = (char)rnd(&x);
		*fields[f] = (struct sip_str){ buf, len };
		if (!sip_str_eq(*fields[f], old))
			changed++;
		/* the caller's user lookup: the username is bound through its HA1 */
		assert_int_equal(sip_auth_verify(&v, fx->ns, &fx->cred, &fx->req,
						 sip_str_eq(fx->cred.username, S("alice"))
							 ? sip_str_from_cstr(fx->ha1[SIP_DIGEST_SHA256])
							 : SIP_STR_NULL),
				 0);
		if (v.result == SIP_AUTH_OK) {
			/* only a change that keeps the meaning: case in hex or tokens */
			if (!sip_str_caseeq(*fields[f], old))
				fail_msg("OK with field %zu = '%.*s'", f, SIP_STR_ARG(*fields[f]));
			ok++;
		}
	}
	assert_true(changed > 2500);
	/* at most one OK: nc 1 can be accepted once */
	assert_true(ok <= 1);
	fx->cred = good;
	assert_int_equal(verify(fx), ok ? SIP_AUTH_REPLAY : SIP_AUTH_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_challenge_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_nonce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_realm_uri, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc2069, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mutations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rfc7616_parsed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

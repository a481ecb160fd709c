/* Unit tests for src/auth/digest.c and src/auth/client.c: RFC test vectors,
 * algorithm names, the client's choice and Authorization value. */
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

/* RFC 2617 3.5: Mufasa / testrealm@host.com / "Circle Of Life", GET /dir/index.html. */
static void test_rfc2617_vector(void **state)
{
	char ha1[SIP_DIGEST_HEX_SIZE], resp[SIP_DIGEST_HEX_SIZE];
	struct sip_digest_input in = {
		.alg = SIP_DIGEST_MD5,
		.method = S("GET"),
		.uri = S("/dir/index.html"),
		.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093"),
		.qop = S("auth"),
		.nc = S("00000001"),
		.cnonce = S("0a4f113b"),
	};

	(void)state;
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_MD5, S("Mufasa"), S("testrealm@host.com"),
					S("Circle Of Life"), ha1), 0);
	assert_string_equal(ha1, "939e7578ed9e3c518a452acee763bce9");
	in.ha1 = sip_str_from_cstr(ha1);
	assert_int_equal(sip_digest_response(&in, resp), 0);
	assert_string_equal(resp, "6629fae49393a05397450978507c4ef1");

	/* RFC 2069 form (no qop): same inputs; value computed independently with
	 * Python's hashlib: md5(HA1:nonce:md5("GET:/dir/index.html")). */
	in.qop = SIP_STR_NULL;
	in.nc = SIP_STR_NULL;
	in.cnonce = SIP_STR_NULL;
	assert_int_equal(sip_digest_response(&in, resp), 0);
	assert_string_equal(resp, "670fd8c2df070c60b045671b8b24ff02");
}

/* RFC 7616 3.9.1: the same request answered with SHA-256 and with MD5. The
 * password there is "Circle of Life" (lower-case "of", unlike RFC 2617). */
static void test_rfc7616_vectors(void **state)
{
	char ha1[SIP_DIGEST_HEX_SIZE], resp[SIP_DIGEST_HEX_SIZE];
	struct sip_digest_input in = {
		.method = S("GET"),
		.uri = S("/dir/index.html"),
		.nonce = S("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"),
		.qop = S("auth"),
		.nc = S("00000001"),
		.cnonce = S("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
	};

	(void)state;
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_SHA256, S("Mufasa"), S("http-auth@example.org"),
					S("Circle of Life"), ha1), 0);
	assert_int_equal(strlen(ha1), 64);
	in.alg = SIP_DIGEST_SHA256;
	in.ha1 = sip_str_from_cstr(ha1);
	assert_int_equal(sip_digest_response(&in, resp), 0);
	assert_string_equal(resp, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");

	assert_int_equal(sip_digest_ha1(SIP_DIGEST_MD5, S("Mufasa"), S("http-auth@example.org"),
					S("Circle of Life"), ha1), 0);
	assert_int_equal(strlen(ha1), 32);
	in.alg = SIP_DIGEST_MD5;
	in.ha1 = sip_str_from_cstr(ha1);
	assert_int_equal(sip_digest_response(&in, resp), 0);
	assert_string_equal(resp, "8ca523f5e9506fed4657c9700eebdbec");
}

static void test_alg_names(void **state)
{
	enum sip_digest_alg a = SIP_DIGEST_SHA256;
	char out[SIP_DIGEST_HEX_SIZE] = "untouched";
	struct sip_digest_input in = { .alg = SIP_DIGEST_MD5, .ha1 = S("x"), .qop = S("auth-int") };

	(void)state;
	assert_int_equal(sip_digest_alg_parse(&a, SIP_STR_NULL), 0);
	assert_int_equal(a, SIP_DIGEST_MD5); /* RFC 2617 3.2.1 default */
	assert_int_equal(sip_digest_alg_parse(&a, S("sha-256")), 0);
	assert_int_equal(a, SIP_DIGEST_SHA256);
	assert_int_equal(sip_digest_alg_parse(&a, S("md5")), 0);
	assert_int_equal(a, SIP_DIGEST_MD5);
	a = SIP_DIGEST_SHA256;
	assert_int_equal(sip_digest_alg_parse(&a, S("MD5-sess")), -ENOTSUP);
	assert_int_equal(sip_digest_alg_parse(&a, S("SHA-512-256")), -ENOTSUP);
	assert_int_equal(sip_digest_alg_parse(&a, S("SHA-256x")), -ENOTSUP);
	assert_int_equal(a, SIP_DIGEST_SHA256);
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_SHA256), "SHA-256");
	assert_string_equal(sip_digest_alg_name(SIP_DIGEST_MD5), "MD5");
	assert_int_equal(sip_digest_hex_len(SIP_DIGEST_MD5), 32);
	assert_int_equal(sip_digest_hex_len(SIP_DIGEST_SHA256), 64);

	/* unknown algorithm and auth-int are refused, out untouched */
	assert_int_equal(sip_digest_ha1((enum sip_digest_alg)7, S("u"), S("r"), S("p"), out), -EINVAL);
	assert_int_equal(sip_digest_response(&in, out), -EINVAL);
	assert_string_equal(out, "untouched");
}

/* The two challenges of RFC 7616 3.9.1 as a header parser fills them. */
static void rfc7616_challenges(struct sip_auth ch[2])
{
	int i;

	memset(ch, 0, 2 * sizeof(*ch));
	for (i = 0; i < 2; i++) {
		ch[i].scheme = S("Digest");
		ch[i].realm = S("http-auth@example.org");
		ch[i].qop = S("auth, auth-int");
		ch[i].nonce = S("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v");
		ch[i].opaque = S("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	}
	ch[0].algorithm = S("SHA-256");
	ch[1].algorithm = S("MD5");
}

static const struct sip_auth_client_args mufasa = {
	.username = SIP_STR_INIT("Mufasa"),
	.password = SIP_STR_INIT("Circle of Life"),
	.method = SIP_STR_INIT("GET"),
	.uri = SIP_STR_INIT("/dir/index.html"),
	.cnonce = SIP_STR_INIT("f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"),
	.nc = 1,
};

static void test_client_rfc7616(void **state)
{
	struct sip_auth ch[2], swapped[2];
	struct sip_buf b = SIP_BUF_INIT;
	size_t idx = 9;

	(void)state;
	rfc7616_challenges(ch);
	assert_int_equal(sip_auth_client_pick(&idx, ch, 2), 0);
	assert_int_equal(idx, 0);
	assert_int_equal(sip_auth_client_respond(&b, ch, 2, &mufasa), 0);
	assert_string_equal(b.p,
			    "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", "
			    "nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", uri=\"/dir/index.html\", "
			    "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
			    "algorithm=SHA-256, cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", "
			    "qop=auth, nc=00000001, opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");

	/* SHA-256 is preferred even when the server lists MD5 first. */
	swapped[0] = ch[1];
	swapped[1] = ch[0];
	assert_int_equal(sip_auth_client_pick(&idx, swapped, 2), 0);
	assert_int_equal(idx, 1);

	/* MD5 only: the RFC's MD5 response. */
	sip_buf_reset(&b);
	assert_int_equal(sip_auth_client_respond(&b, &ch[1], 1, &mufasa), 0);
	assert_non_null(strstr(b.p, "response=\"8ca523f5e9506fed4657c9700eebdbec\", algorithm=MD5,"));
	sip_buf_free(&b);
}

static void test_client_unusable(void **state)
{
	struct sip_auth ch[2];
	struct sip_buf b = SIP_BUF_INIT;
	size_t idx = 42;

	(void)state;
	rfc7616_challenges(ch);
	ch[0].algorithm = S("SHA-512-256");
	ch[1].algorithm = S("MD5-sess");
	assert_int_equal(sip_auth_client_pick(&idx, ch, 2), -ENOTSUP);
	assert_int_equal(idx, 42);
	assert_int_equal(sip_auth_client_respond(&b, ch, 2, &mufasa), -ENOTSUP);
	assert_int_equal(b.len, 0);

	/* only auth-int offered */
	rfc7616_challenges(ch);
	ch[0].qop = S("auth-int");
	ch[1].qop = S("auth-int");
	assert_int_equal(sip_auth_client_pick(&idx, ch, 2), -ENOTSUP);
	/* not Digest, or no nonce */
	rfc7616_challenges(ch);
	ch[0].scheme = S("Basic");
	ch[1].nonce = SIP_STR_NULL;
	assert_int_equal(sip_auth_client_pick(&idx, ch, 2), -ENOTSUP);
	/* MD5 without algorithm= and an "auth-int,auth" list is usable */
	rfc7616_challenges(ch);
	ch[1].algorithm = SIP_STR_NULL;
	ch[1].qop = S("auth-int,auth");
	assert_int_equal(sip_auth_client_pick(&idx, &ch[1], 1), 0);
	assert_int_equal(idx, 0);
	sip_buf_free(&b);
}

/* RFC 2069 challenge (no qop): no cnonce, nc or qop in the answer. */
static void test_client_rfc2069(void **state)
{
	struct sip_auth ch;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_auth_client_args a = mufasa;

	(void)state;
	memset(&ch, 0, sizeof(ch));
	ch.scheme = S("Digest");
	ch.realm = S("testrealm@host.com");
	ch.nonce = S("dcd98b7102dd2f0e8b11d0f600bfb0c093");
	a.password = S("Circle Of Life");
	assert_int_equal(sip_auth_client_respond(&b, &ch, 1, &a), 0);
	assert_string_equal(b.p, "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", "
				 "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", "
				 "response=\"670fd8c2df070c60b045671b8b24ff02\", algorithm=MD5");
	sip_buf_free(&b);
}

/* Quoted values: a username with a quote is escaped; a realm with an escape
 * from the parser is hashed unescaped and sent back as it came. */
static void test_client_quoting(void **state)
{
	struct sip_auth ch;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_auth_client_args a = mufasa;
	char ha1[SIP_DIGEST_HEX_SIZE], resp[SIP_DIGEST_HEX_SIZE], want[128];
	struct sip_digest_input in = {
		.alg = SIP_DIGEST_MD5,
		.method = S("GET"),
		.uri = S("/dir/index.html"),
		.nonce = S("abc"),
		.qop = S("auth"),
		.nc = S("00000001"),
	};

	(void)state;
	memset(&ch, 0, sizeof(ch));
	ch.scheme = S("Digest");
	ch.realm = S("a\\\"b"); /* on the wire: realm="a\"b" */
	ch.nonce = S("abc");
	ch.qop = S("auth");
	a.username = S("say \"hi\"");
	assert_int_equal(sip_auth_client_respond(&b, &ch, 1, &a), 0);
	assert_non_null(strstr(b.p, "username=\"say \\\"hi\\\"\", realm=\"a\\\"b\", nonce=\"abc\""));

	assert_int_equal(sip_digest_ha1(SIP_DIGEST_MD5, S("say \"hi\""), S("a\"b"), a.password, ha1), 0);
	in.ha1 = sip_str_from_cstr(ha1);
	in.cnonce = a.cnonce;
	assert_int_equal(sip_digest_response(&in, resp), 0);
	snprintf(want, sizeof(want), "response=\"%s\"", resp);
	assert_non_null(strstr(b.p, want));

	/* a CR cannot be quoted: refused, buffer unchanged */
	sip_buf_reset(&b);
	a.username = S("bad\r\nInjected: x");
	assert_int_equal(sip_auth_client_respond(&b, &ch, 1, &a), -EINVAL);
	assert_int_equal(b.len, 0);
	/* nc 0 does not exist with qop */
	a = mufasa;
	a.nc = 0;
	assert_int_equal(sip_auth_client_respond(&b, &ch, 1, &a), -EINVAL);
	sip_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc2617_vector),
		cmocka_unit_test(test_rfc7616_vectors),
		cmocka_unit_test(test_alg_names),
		cmocka_unit_test(test_client_rfc7616),
		cmocka_unit_test(test_client_unusable),
		cmocka_unit_test(test_client_rfc2069),
		cmocka_unit_test(test_client_quoting),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

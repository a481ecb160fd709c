/* Unit tests for src/msg/auth.c: sip_auth_parse (digest credentials and
 * challenges). Every case also runs at the end of a guarded page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/hdr.h"

/* Parse plain and guarded, and every prefix guarded; result from the plain run. */
static void auth_ok(const char *in, struct sip_auth *a)
{
	struct sip_str s = cstr(in);
	struct sip_auth g;

	if (sip_auth_parse(a, s) != 0) {
		fprintf(stderr, "rejected: %s\n", in);
		fail();
	}
	assert_int_equal(sip_auth_parse(&g, (struct sip_str){ guard_copy(in, s.len), s.len }), 0);
	for (size_t k = 0; k < s.len; k++) {
		int rc = sip_auth_parse(&g, (struct sip_str){ guard_copy(in, k), k });
		assert_true(rc == 0 || rc == SIP_EPARSE);
	}
	guard_release();
}

static void test_credentials(void **state)
{
	struct sip_auth a;

	(void)state;
	/* RFC 3261 20.7 / 22.4 */
	auth_ok("Digest username=\"Alice\", realm=\"atlanta.com\",\r\n"
		"  nonce=\"84a4cc6f3082121f32b42a2187831a9e\",\r\n"
		"  response=\"7587245234b3434cc3412213e5f113a5432\"", &a);
	assert_slice(a.scheme, "Digest");
	assert_slice(a.username, "Alice");
	assert_slice(a.realm, "atlanta.com");
	assert_slice(a.nonce, "84a4cc6f3082121f32b42a2187831a9e");
	assert_slice(a.response, "7587245234b3434cc3412213e5f113a5432");
	assert_slice(a.uri, NULL);
	assert_false(a.stale);

	/* RFC 7616 3.9.1 style with qop, nc, cnonce, opaque, userhash; the uri
	 * holds a comma inside its quotes. */
	auth_ok("digest USERNAME=\"Mufasa\",realm=\"http-auth@example.org\", "
		"uri=\"sip:bob@biloxi.com;x=\\\"a,b\\\"\", algorithm=SHA-256, "
		"nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001, "
		"cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth, "
		"response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\", "
		"opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\", userhash=TRUE", &a);
	assert_slice(a.scheme, "digest");
	assert_slice(a.username, "Mufasa");
	assert_slice(a.realm, "http-auth@example.org");
	assert_slice(a.uri, "sip:bob@biloxi.com;x=\\\"a,b\\\"");
	assert_slice(a.algorithm, "SHA-256");
	assert_slice(a.nc, "00000001");
	assert_slice(a.cnonce, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ");
	assert_slice(a.qop, "auth");
	assert_slice(a.opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	assert_slice(a.response, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
	assert_true(a.userhash);

	/* Unknown parameters are kept out of the way; SHA-512-256 (RFC 8760). */
	auth_ok("Digest username=\"bob\", realm=\"biloxi.com\", nonce=\"dcd98b\", "
		"uri=\"sip:bob@biloxi.com\", response=\"6629fae4\", algorithm=SHA-512-256-sess, "
		"x-ext=token, x-q=\"quoted, with comma\"", &a);
	assert_slice(a.algorithm, "SHA-512-256-sess");
	assert_slice(a.uri, "sip:bob@biloxi.com");

	/* RFC 4475 3.3.7: unknown scheme */
	auth_ok("NoOneKnowsThisScheme opaque-data=here", &a);
	assert_slice(a.scheme, "NoOneKnowsThisScheme");
	assert_slice(a.opaque, NULL);
}

static void test_challenges(void **state)
{
	struct sip_auth a;

	(void)state;
	auth_ok("Digest realm=\"atlanta.com\", domain=\"sip:boxesbybob.com\", qop=\"auth\", "
		"nonce=\"f84f1cec41e6cbe5aea9c8e88d359\", opaque=\"\", stale=FALSE, algorithm=MD5",
		&a);
	assert_slice(a.realm, "atlanta.com");
	assert_slice(a.domain, "sip:boxesbybob.com");
	assert_slice(a.qop, "auth");
	assert_slice(a.nonce, "f84f1cec41e6cbe5aea9c8e88d359");
	assert_non_null(a.opaque.p);
	assert_int_equal(a.opaque.len, 0);
	assert_false(a.stale);
	assert_slice(a.algorithm, "MD5");

	auth_ok("Digest realm=\"biloxi.com\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8\","
		" stale=true", &a);
	assert_slice(a.qop, "auth,auth-int");
	assert_true(a.stale);
	assert_false(a.userhash);

	auth_ok("Digest\r\n realm = \"x\"\r\n\t,\r\n nonce=\"y\" ", &a);
	assert_slice(a.realm, "x");
	assert_slice(a.nonce, "y");
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"Digest",
		"Digest ",
		"Digestrealm=\"x\"",
		"Digest realm",
		"Digest realm=",
		"Digest realm=\"x\",",
		"Digest , realm=\"x\"",
		"Digest realm=\"x\",,nonce=\"y\"",
		"Digest realm=\"x\" nonce=\"y\"",
		"Digest realm=\"x\"; nonce=\"y\"",
		"Digest realm=x",            /* Digest: quoted-string required */
		"Digest nonce=abc",
		"Digest username=bob",
		"Digest uri=sip:a@b",
		"Digest response=abc",
		"Digest realm=\"x\", realm=\"y\"", /* RFC 7235 2.1: once only */
		"Digest Realm=\"x\", REALM=\"y\"",
		"Digest stale=maybe",
		"Digest stale=\"yes\"",
		"Digest userhash=1",
		"Digest nc=0001",
		"Digest nc=0000000g",
		"Digest nc=000000001",
		"Digest realm=\"open",
		"Digest realm=\"bad\\\r\n\"",
		"Digest realm=\"ctl\x01\"",
		"Digest realm=\"x\"\r\n",
		"Digest realm=<x>",
		"Digest =\"x\"",
		"Basic",
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sip_auth a;
		struct sip_str s = cstr(bad[i]);
		memset(&a, 0xa5, sizeof a);
		if (sip_auth_parse(&a, s) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			fail();
		}
		assert_int_equal(((unsigned char *)&a)[0], 0xa5);
		s.p = guard_copy(s.p, s.len);
		assert_int_equal(sip_auth_parse(&a, s), SIP_EPARSE);
	}
	guard_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_credentials),
		cmocka_unit_test(test_challenges),
		cmocka_unit_test(test_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

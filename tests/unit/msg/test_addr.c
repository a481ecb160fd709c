/* Unit tests for src/msg/addr.c: sip_addr_parse (From, To, Contact, Route, ...).
 * Every case also runs at the end of a guarded page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/hdr.h"

/* Case tables list only the leading fields they care about. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct addr_case {
	const char *in;
	size_t len; /* 0: strlen(in) */
	const char *display, *uri;
	enum sip_uri_scheme scheme;
	bool angle;
	const char *params, *tag;
	int64_t expires; /* -1: absent */
	int q;
	const char *instance;
	int64_t reg_id; /* 0: absent (valid reg-ids start at 1) */
	const char *uri_user; /* checked when non-NULL */
};

static const char nulto[] = "\"BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F\" "
			    "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>";

static const struct addr_case valid[] = {
	{ "\"Bob\" <sips:bob@biloxi.com>;tag=a48s", 0, "Bob", "sips:bob@biloxi.com", SIP_URI_SIPS,
	  true, "tag=a48s", "a48s", -1, -1, NULL, 0, "bob" },
	{ "Anonymous <sip:c8oqz84zk7z@privacy.org>;tag=hyh8", 0, "Anonymous",
	  "sip:c8oqz84zk7z@privacy.org", SIP_URI_SIP, true, "tag=hyh8", "hyh8", -1, -1 },
	{ "sip:+12125551212@phone2net.com;tag=887s", 0, NULL, "sip:+12125551212@phone2net.com",
	  SIP_URI_SIP, false, "tag=887s", "887s", -1, -1, NULL, 0, "+12125551212" },
	/* RFC 4475 3.1.1.1 */
	{ "\"J Rosenberg \\\\\\\"\"       <sip:jdrosen@example.com>\r\n  ;\r\n  tag = 98asjd8", 0,
	  "J Rosenberg \\\\\\\"", "sip:jdrosen@example.com", SIP_URI_SIP, true,
	  "\r\n  tag = 98asjd8", "98asjd8", -1, -1 },
	{ "sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n", 0, NULL,
	  "sip:vivekg@chair-dnrc.example.com", SIP_URI_SIP, false, "   tag    = 1918181833n",
	  "1918181833n", -1, -1 },
	{ "\"Quoted string \\\"\\\"\" <sip:jdrosen@example.com> ; newparam =\r\n      newvalue ;"
	  "\r\n  secondparam ; q = 0.33",
	  0, "Quoted string \\\"\\\"", "sip:jdrosen@example.com", SIP_URI_SIP, true,
	  " newparam =\r\n      newvalue ;\r\n  secondparam ; q = 0.33", NULL, -1, 330 },
	{ "<sip:services.example.com;lr;unknownwith=value;unknown-no-value>", 0, NULL,
	  "sip:services.example.com;lr;unknownwith=value;unknown-no-value", SIP_URI_SIP, true,
	  NULL, NULL, -1, -1 },
	/* RFC 4475 3.1.1.2: token display name, odd params, UTF-8 quoted value */
	{ "token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="
	  "\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9\""
	  ";tag=_token~1'+`*%!-.",
	  0, "token1~` token2'+_ token3*%!.-", "sip:mundane@example.com", SIP_URI_SIP, true,
	  "fromParam''~+*_!.-%=\"\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89"
	  "\xD0\xB8\xD0\xB9\";tag=_token~1'+`*%!-.",
	  "_token~1'+`*%!-.", -1, -1 },
	{ nulto, sizeof nulto - 1, "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F",
	  "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com", SIP_URI_SIP, true,
	  NULL, NULL, -1, -1, NULL, 0, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*" },
	/* RFC 4475 3.1.1.3 - 3.1.1.6 */
	{ "sip:%75se%72@example.com", 0, NULL, "sip:%75se%72@example.com", SIP_URI_SIP, false,
	  NULL, NULL, -1, -1, NULL, 0, "%75se%72" },
	{ "<sip:I%20have%20spaces@example.net>;tag=938", 0, NULL,
	  "sip:I%20have%20spaces@example.net", SIP_URI_SIP, true, "tag=938", "938", -1, -1 },
	{ "<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>", 0, NULL,
	  "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", SIP_URI_SIP, true,
	  NULL, NULL, -1, -1 },
	{ "sip:null-%00-null@example.com;tag=839923423", 0, NULL, "sip:null-%00-null@example.com",
	  SIP_URI_SIP, false, "tag=839923423", "839923423", -1, -1 },
	{ "\"%Z%45\" <sip:resource@example.com>;tag=f232jadfj23", 0, "%Z%45",
	  "sip:resource@example.com", SIP_URI_SIP, true, "tag=f232jadfj23", "f232jadfj23", -1,
	  -1 },
	{ "caller<sip:caller@example.com>;tag=323", 0, "caller", "sip:caller@example.com",
	  SIP_URI_SIP, true, "tag=323", "323", -1, -1 },
	{ "A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe", 0, "A. Bell",
	  "sip:a.g.bell@example.com", SIP_URI_SIP, true, "tag=qweoiqpe", "qweoiqpe", -1, -1 },
	{ "\"Bell, Alexander\" <sip:a.g.bell@example.com>;tag=433423", 0, "Bell, Alexander",
	  "sip:a.g.bell@example.com", SIP_URI_SIP, true, "tag=433423", "433423", -1, -1 },
	{ "\"\" <sip:a@b.c>", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, NULL, NULL, -1, -1 },
	{ "\"I have a user name of\r\n extreme proportion\"<sip:user@example.com:6000;p=v>", 0,
	  "I have a user name of\r\n extreme proportion", "sip:user@example.com:6000;p=v",
	  SIP_URI_SIP, true, NULL, NULL, -1, -1 },
	/* RFC 4475 3.1.2.4 (Contact expires beyond 2**32-1 taken as 2**32-1) */
	{ "<sip:user@host129.example.com>\r\n  ;expires=280297596632815", 0, NULL,
	  "sip:user@host129.example.com", SIP_URI_SIP, true, "expires=280297596632815", NULL,
	  4294967295LL, -1 },
	/* RFC 3261 10.2.1.1: malformed expires is 3600 */
	{ "<sip:a@b.c>;expires=soon", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, "expires=soon",
	  NULL, 3600, -1 },
	/* Contact with many params (RFC 5626 5.2 style) */
	{ "<sip:alice@pc33.atlanta.com;ob>;q=0.7;expires=3600;+sip.instance=\"<urn:uuid:"
	  "00000000-0000-1000-8000-AABBCCDDEEFF>\";reg-id=1;methods=\"INVITE, BYE\"",
	  0, NULL, "sip:alice@pc33.atlanta.com;ob", SIP_URI_SIP, true,
	  "q=0.7;expires=3600;+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>\";"
	  "reg-id=1;methods=\"INVITE, BYE\"",
	  NULL, 3600, 700, "<urn:uuid:00000000-0000-1000-8000-AABBCCDDEEFF>", 1, "alice" },
	{ "<sip:a@b.c>;Q=1.000;EXPIRES=0;REG-ID=2147483647", 0, NULL, "sip:a@b.c", SIP_URI_SIP,
	  true, "Q=1.000;EXPIRES=0;REG-ID=2147483647", NULL, 0, 1000, NULL, 2147483647LL },
	{ "<sip:a@b.c>;q=0", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, "q=0", NULL, -1, 0 },
	{ "<sip:a@b.c>;q=0.001", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, "q=0.001", NULL, -1, 1 },
	{ "<sip:a@b.c>;q=1.", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, "q=1.", NULL, -1, 1000 },
	{ "<sip:a@b.c>;q=0.5", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true, "q=0.5", NULL, -1, 500 },
	/* RFC 5118 */
	{ "\"Caller\" <sip:caller@[2001:db8::9:1]>", 0, "Caller", "sip:caller@[2001:db8::9:1]",
	  SIP_URI_SIP, true, NULL, NULL, -1, -1 },
	{ "\"T. desk phone\" <sip:ted@[::ffff:192.0.2.2]>", 0, "T. desk phone",
	  "sip:ted@[::ffff:192.0.2.2]", SIP_URI_SIP, true, NULL, NULL, -1, -1 },
	{ "sip:user@[2001:db8::10]", 0, NULL, "sip:user@[2001:db8::10]", SIP_URI_SIP, false,
	  NULL, NULL, -1, -1 },
	/* Unknown schemes (RFC 4475 3.3.4), tel: */
	{ "<mailto:watson@bell-telephone.com>", 0, NULL, "mailto:watson@bell-telephone.com",
	  SIP_URI_OTHER, true, NULL, NULL, -1, -1 },
	{ "Watson <http://www.example.com/watson>;tag=9", 0, "Watson",
	  "http://www.example.com/watson", SIP_URI_OTHER, true, "tag=9", "9", -1, -1 },
	{ "tel:+1-201-555-0123;tag=x", 0, NULL, "tel:+1-201-555-0123", SIP_URI_TEL, false,
	  "tag=x", "x", -1, -1, NULL, 0, "+1-201-555-0123" },
	{ "<tel:+1-201-555-0123;phone-context=example.com>", 0, NULL,
	  "tel:+1-201-555-0123;phone-context=example.com", SIP_URI_TEL, true, NULL, NULL, -1,
	  -1 },
	{ "<sip:a@b.c>;x=[2001:db8::1]", 0, NULL, "sip:a@b.c", SIP_URI_SIP, true,
	  "x=[2001:db8::1]", NULL, -1, -1 },
};

static const char *const invalid[] = {
	"",
	"   ",
	"\"Mr. J. User <sip:j.user@example.com>", /* RFC 4475 3.1.2.6 */
	"\"Watson, Thomas\" < sip:t.watson@example.org >", /* 3.1.2.14 */
	"\"Watson\" <sip:t.watson@example.org >",
	"Bell, Alexander <sip:a.g.bell@example.com>;tag=43", /* 3.1.2.15 */
	"\"Joe\" <sip:joe@example.org>;;;;", /* 3.1.2.1 */
	"sip:user@example.com?Route=%3Csip:sip.example.com%3E", /* 3.1.2.13 */
	"<sip:user@example.com",
	"sip:user@example.com>",
	"<>",
	"\"x\"",
	"\"x\"sip:a@b.c",
	"name",
	"name sip:a@b.c",
	"<sip:a b@c>",
	"<sip:a@b.c> junk",
	"<sip:a@b.c>>",
	"<sip:a@b.c>;",
	"<sip:a@b.c>;tag",
	"<sip:a@b.c>;tag=",
	"<sip:a@b.c>;tag=\"x\"",
	"<sip:a@b.c>;q=2",
	"<sip:a@b.c>;q=1.5",
	"<sip:a@b.c>;q=1.001",
	"<sip:a@b.c>;q=0.1234",
	"<sip:a@b.c>;q=.5",
	"<sip:a@b.c>;q=",
	"<sip:a@b.c>;q",
	"<sip:a@b.c>;q=\"0.5\"",
	"<sip:a@b.c>;reg-id=x",
	"<sip:a@b.c>;reg-id=2147483648",
	"<sip:a@b.c>;reg-id",
	"<sip:a@b.c>;+sip.instance",
	"<sip:a@b.c>;x=a:b",
	"<sip:a@b.c>;x=\"open",
	"<sip:a@b.c>;expires=a:b",
	"sip:a@b.c,sip:c@d.e",
	"sip:a@b.c, <sip:c@d.e>",
	"*;expires=0",
	"* x",
	"**",
	"\"a\\\r\n\" <sip:a@b.c>",
	"\"ctrl\x01\" <sip:a@b.c>",
	"\"a\" \"b\" <sip:a@b.c>",
	"<sip:2001:db8::10>", /* RFC 5118 4.2 */
	"<sip:a@b.c>\r\nTo: x",
	"sip:",
	"tel:7042",
	"<mailto:>",
};

static void check_valid(const struct addr_case *c, struct sip_str in)
{
	struct sip_addr a;

	if (sip_addr_parse(&a, in) != 0) {
		fprintf(stderr, "rejected: %s\n", c->in);
		fail();
	}
	if (c->len)
		assert_memory_equal(a.display.p, c->display, a.display.len);
	else
		assert_slice(a.display, c->display);
	assert_slice(a.uri_str, c->uri);
	assert_int_equal(a.uri.scheme, c->scheme);
	assert_ptr_equal(a.uri.raw.p, a.uri_str.p);
	assert_int_equal(a.angle, c->angle);
	assert_slice(a.params, c->params);
	assert_slice(a.tag, c->tag);
	assert_false(a.star);
	assert_int_equal(a.has_expires, c->expires >= 0);
	assert_int_equal(a.expires, c->expires >= 0 ? c->expires : 0);
	assert_int_equal(a.q, c->q);
	assert_slice(a.instance, c->instance);
	assert_int_equal(a.has_reg_id, c->reg_id > 0);
	assert_int_equal(a.reg_id, c->reg_id);
	if (c->uri_user)
		assert_slice(a.uri.user, c->uri_user);
}

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		struct sip_str in = { valid[i].in, valid[i].len ? valid[i].len : strlen(valid[i].in) };
		check_valid(&valid[i], in);
		in.p = guard_copy(in.p, in.len);
		check_valid(&valid[i], in);
		guard_release();
	}
}

static void test_invalid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct sip_addr a;
		struct sip_str in = cstr(invalid[i]);
		memset(&a, 0xa5, sizeof a);
		if (sip_addr_parse(&a, in) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", invalid[i]);
			fail();
		}
		assert_int_equal(((unsigned char *)&a)[0], 0xa5);
		in.p = guard_copy(in.p, in.len);
		assert_int_equal(sip_addr_parse(&a, in), SIP_EPARSE);
		guard_release();
	}
}

static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		size_t n = valid[i].len ? valid[i].len : strlen(valid[i].in);
		for (size_t k = 0; k <= n; k++) {
			struct sip_addr a;
			int rc = sip_addr_parse(&a, (struct sip_str){ guard_copy(valid[i].in, k), k });
			assert_true(rc == 0 || rc == SIP_EPARSE);
		}
	}
	guard_release();
}

static void test_star(void **state)
{
	struct sip_addr a;

	(void)state;
	assert_int_equal(sip_addr_parse(&a, cstr("*")), 0);
	assert_true(a.star);
	assert_int_equal(a.uri_str.len, 0);
	assert_int_equal(a.q, -1);
	assert_int_equal(sip_addr_parse(&a, cstr(" \t*\r\n ")), 0);
	assert_true(a.star);
	const char *g = guard_copy("*", 1);
	assert_int_equal(sip_addr_parse(&a, (struct sip_str){ g, 1 }), 0);
	assert_true(a.star);
	guard_release();
}

/* A Contact header with several values (RFC 4475 3.1.1.5: two values, not three). */
static void test_contact_list(void **state)
{
	struct sip_str rest = cstr("\"Mr. Watson\" <sip:watson@worcester.bell-telephone.com>"
				   ";q=0.7; expires=3600, \"Mr. Watson\" "
				   "<mailto:watson@bell-telephone.com> ;q=0.1");
	struct sip_str item;
	struct sip_addr a;

	(void)state;
	assert_true(sip_list_next(&rest, &item));
	assert_int_equal(sip_addr_parse(&a, item), 0);
	assert_slice(a.display, "Mr. Watson");
	assert_slice(a.uri.host, "worcester.bell-telephone.com");
	assert_int_equal(a.q, 700);
	assert_int_equal(a.expires, 3600);
	assert_true(sip_list_next(&rest, &item));
	assert_int_equal(sip_addr_parse(&a, item), 0);
	assert_int_equal(a.uri.scheme, SIP_URI_OTHER);
	assert_slice(a.uri.scheme_str, "mailto");
	assert_int_equal(a.q, 100);
	assert_false(a.has_expires);
	assert_false(sip_list_next(&rest, &item));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),    cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_prefixes), cmocka_unit_test(test_star),
		cmocka_unit_test(test_contact_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

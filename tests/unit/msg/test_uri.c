/* Unit tests for src/msg/uri.c: sip_uri_parse, sip_uri_eq, sip_param_find,
 * sip_unescape. Every case also runs at the end of a guarded page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/uri.h"

/* Case tables list only the leading fields they care about. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct uri_case {
	const char *in;
	enum sip_uri_scheme scheme;
	const char *user, *password, *host;
	enum sip_host_type host_type;
	int port; /* -1: absent */
	const char *params, *headers;
	const char *transport, *user_param, *method, *maddr;
	bool lr;
};

static const struct uri_case valid[] = {
	{ "sip:alice@atlanta.com", SIP_URI_SIP, "alice", NULL, "atlanta.com", SIP_HOST_NAME, -1 },
	{ "SIP:Alice@AtLanTa.CoM;Transport=UDP", SIP_URI_SIP, "Alice", NULL, "AtLanTa.CoM",
	  SIP_HOST_NAME, -1, "Transport=UDP", NULL, "UDP" },
	{ "sips:bob:secret@biloxi.com:5061;transport=tcp;lr", SIP_URI_SIPS, "bob", "secret",
	  "biloxi.com", SIP_HOST_NAME, 5061, "transport=tcp;lr", NULL, "tcp", NULL, NULL, NULL,
	  true },
	{ "sip:+1-212-555-1212:1234@gateway.com;user=phone", SIP_URI_SIP, "+1-212-555-1212",
	  "1234", "gateway.com", SIP_HOST_NAME, -1, "user=phone", NULL, NULL, "phone" },
	{ "sip:alice@192.0.2.4", SIP_URI_SIP, "alice", NULL, "192.0.2.4", SIP_HOST_IPV4, -1 },
	{ "sip:192.0.2.4:0", SIP_URI_SIP, NULL, NULL, "192.0.2.4", SIP_HOST_IPV4, 0 },
	{ "sip:atlanta.com;method=REGISTER?to=alice%40atlanta.com", SIP_URI_SIP, NULL, NULL,
	  "atlanta.com", SIP_HOST_NAME, -1, "method=REGISTER", "to=alice%40atlanta.com", NULL,
	  NULL, "REGISTER" },
	{ "sip:alice;day=tuesday@atlanta.com", SIP_URI_SIP, "alice;day=tuesday", NULL,
	  "atlanta.com", SIP_HOST_NAME, -1 },
	{ "sip:host.example.com.", SIP_URI_SIP, NULL, NULL, "host.example.com.", SIP_HOST_NAME,
	  -1 },
	{ "sip:a@x-1.example.com:65535", SIP_URI_SIP, "a", NULL, "x-1.example.com",
	  SIP_HOST_NAME, 65535 },
	{ "sip:u@h;maddr=239.255.255.1;ttl=15", SIP_URI_SIP, "u", NULL, "h", SIP_HOST_NAME, -1,
	  "maddr=239.255.255.1;ttl=15", NULL, NULL, NULL, NULL, "239.255.255.1" },
	{ "sip:u@h?subject=project%20x&priority=urgent", SIP_URI_SIP, "u", NULL, "h",
	  SIP_HOST_NAME, -1, NULL, "subject=project%20x&priority=urgent" },
	{ "sip:u@h?x=", SIP_URI_SIP, "u", NULL, "h", SIP_HOST_NAME, -1, NULL, "x=" },
	{ "sip:u:@h", SIP_URI_SIP, "u", NULL, "h", SIP_HOST_NAME, -1 },
	/* RFC 5118 */
	{ "sip:[2001:db8::10]", SIP_URI_SIP, NULL, NULL, "[2001:db8::10]", SIP_HOST_IPV6, -1 },
	{ "sip:[2001:db8::10]:5070", SIP_URI_SIP, NULL, NULL, "[2001:db8::10]", SIP_HOST_IPV6,
	  5070 },
	{ "sip:[2001:db8::10:5070]", SIP_URI_SIP, NULL, NULL, "[2001:db8::10:5070]",
	  SIP_HOST_IPV6, -1 },
	{ "sip:ted@[::ffff:192.0.2.2]", SIP_URI_SIP, "ted", NULL, "[::ffff:192.0.2.2]",
	  SIP_HOST_IPV6, -1 },
	{ "sip:user@[2001:db8:::192.0.2.1]", SIP_URI_SIP, "user", NULL, "[2001:db8:::192.0.2.1]",
	  SIP_HOST_IPV6, -1 },
	{ "sip:user@[2001:db8::192.0.2.1]", SIP_URI_SIP, "user", NULL, "[2001:db8::192.0.2.1]",
	  SIP_HOST_IPV6, -1 },
	{ "sip:[::1]:5060;transport=tcp", SIP_URI_SIP, NULL, NULL, "[::1]", SIP_HOST_IPV6, 5060,
	  "transport=tcp", NULL, "tcp" },
	{ "sip:[1:2:3:4:5:6:7:8]", SIP_URI_SIP, NULL, NULL, "[1:2:3:4:5:6:7:8]", SIP_HOST_IPV6,
	  -1 },
	{ "sip:[::]", SIP_URI_SIP, NULL, NULL, "[::]", SIP_HOST_IPV6, -1 },
	/* RFC 4475 3.1.1.2, 3.1.1.3, 3.1.1.4, 3.1.1.9 */
	{ "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
	  "(doesn't-it)@example.com",
	  SIP_URI_SIP, "1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*",
	  "&it+has=1,weird!*pas$wo~d_too.(doesn't-it)", "example.com", SIP_HOST_NAME, -1 },
	{ "sip:sips%3Auser%40example.com@example.net", SIP_URI_SIP, "sips%3Auser%40example.com",
	  NULL, "example.net", SIP_HOST_NAME, -1 },
	{ "sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31", SIP_URI_SIP,
	  "cal%6Cer", NULL, "host5.example.net", SIP_HOST_NAME, -1,
	  "%6C%72;n%61me=v%61lue%25%34%31", NULL, NULL, NULL, NULL, NULL, true },
	{ "sip:null-%00-null@example.com", SIP_URI_SIP, "null-%00-null", NULL, "example.com",
	  SIP_HOST_NAME, -1 },
	{ "sip:user;par=u%40example.net@example.com", SIP_URI_SIP, "user;par=u%40example.net",
	  NULL, "example.com", SIP_HOST_NAME, -1 },
	{ "sip:vivekg@chair-dnrc.example.com;unknownparam", SIP_URI_SIP, "vivekg", NULL,
	  "chair-dnrc.example.com", SIP_HOST_NAME, -1, "unknownparam" },
	{ "sip:services.example.com;lr;unknownwith=value;unknown-no-value", SIP_URI_SIP, NULL,
	  NULL, "services.example.com", SIP_HOST_NAME, -1,
	  "lr;unknownwith=value;unknown-no-value", NULL, NULL, NULL, NULL, NULL, true },
	/* RFC 3966 tel: */
	{ "tel:+1-201-555-0123", SIP_URI_TEL, "+1-201-555-0123", NULL, NULL, SIP_HOST_NONE, -1 },
	{ "tel:+1-201-555-0123;phone-context=+1-201", SIP_URI_TEL, "+1-201-555-0123", NULL, NULL,
	  SIP_HOST_NONE, -1, "phone-context=+1-201" },
	{ "tel:7042;phone-context=example.com", SIP_URI_TEL, "7042", NULL, NULL, SIP_HOST_NONE,
	  -1, "phone-context=example.com" },
	{ "tel:863-1234;phone-context=+1-914-555", SIP_URI_TEL, "863-1234", NULL, NULL,
	  SIP_HOST_NONE, -1, "phone-context=+1-914-555" },
	{ "tel:+1-201-555-0123;ext=1234;isub=abc", SIP_URI_TEL, "+1-201-555-0123", NULL, NULL,
	  SIP_HOST_NONE, -1, "ext=1234;isub=abc" },
	{ "TEL:*31#;phone-context=operator.example", SIP_URI_TEL, "*31#", NULL, NULL,
	  SIP_HOST_NONE, -1, "phone-context=operator.example" },
	/* Other schemes: kept, not interpreted (RFC 4475 3.3.2, 3.3.4). */
	{ "mailto:alice@example.com", SIP_URI_OTHER },
	{ "http://www.example.com/a?b=c", SIP_URI_OTHER },
	{ "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6", SIP_URI_OTHER },
	{ "tels:+1234", SIP_URI_OTHER },
};

static const char *const invalid[] = {
	"",
	"sip",
	"sip:",
	":alice@host",
	"1sip:host",
	"sip:alice@",
	"sip:@host",
	"sip:alice@host:",
	"sip:alice@host:65536",
	"sip:alice@host:99999999999",
	"sip:alice@host:50a",
	"sip:alice@ho st",
	"sip:alice@host;",
	"sip:alice@host;=x",
	"sip:alice@host;a=",
	"sip:alice@host;a=b;",
	"sip:alice@host?",
	"sip:alice@host?a",
	"sip:alice@host?=b",
	"sip:alice@host?a=b&",
	"sip:al ice@host",
	"sip:al%4@host",
	"sip:al%4",
	"sip:alice@host%41",
	"sip:alice@host;a=%zz",
	"sip:a:b:c@host",
	"sip:a:p@ss@host",
	"sip:alice@-host.com",
	"sip:alice@host-.com",
	"sip:alice@host..com",
	"sip:alice@.host",
	"sip:alice@host_name.com",
	"sip:alice@1.2.3.4.5",
	"sip:alice@256.1.1.1",
	"sip:alice@example.123",
	"sip:alice@host.com..",
	/* RFC 5118 4.2: an IPv6 address needs its brackets. */
	"sip:2001:db8::10",
	"sip:user@2001:db8::10",
	"sip:[2001:db8::10",
	"sip:[2001:db8::10]]",
	"sip:[2001:db8::g]",
	"sip:[1:2:3:4:5:6:7:8:9]",
	"sip:[1::2::3]",
	"sip:[12345::1]",
	"sip:[1:2:3:4:5:6:7]",
	"sip:[:1]",
	"sip:[1:]",
	"sip:[1:2:3:4:5:6:7:1.2.3.4]",
	"sip:[::1.2.3]",
	"sip:[::256.0.0.1]",
	"sip:[]",
	"sip:[2001:db8::10]5070",
	"sip:[2001:db8::10]:",
	"sip:alice@host>",
	"sip:<alice@host>",
	"tel:",
	"tel:+",
	"tel:+-",
	"tel:12ab",
	"tel:7042",
	"tel:+1-201;",
	"tel:+1-201;ext",
	"tel:+1-201;ext=12a",
	"tel:+1 201",
	"tel:7042;phone-context=",
	"tel:7042;phone-context=+",
	"tel:7042;phone-context=-bad-.com",
	"tel:+1234?x=y",
	"tel:+12;na_me=x",
	"mailto:",
	"mailto:a b@c",
	"http://x/%zz",
	"urn:a<b>",
};

static void check_valid(const struct uri_case *c, struct sip_str in)
{
	struct sip_uri u;

	if (sip_uri_parse(&u, in) != 0) {
		fprintf(stderr, "rejected: %s\n", c->in);
		fail();
	}
	assert_int_equal(u.scheme, c->scheme);
	assert_ptr_equal(u.raw.p, in.p);
	assert_int_equal(u.raw.len, in.len);
	if (c->scheme == SIP_URI_OTHER) {
		assert_int_equal(u.scheme_str.len, (size_t)(strchr(c->in, ':') - c->in));
		assert_slice(u.user, NULL);
		assert_slice(u.host, NULL);
		return;
	}
	assert_slice(u.user, c->user);
	assert_slice(u.password, c->password);
	assert_slice(u.host, c->host);
	assert_int_equal(u.host_type, c->host_type);
	assert_int_equal(u.has_port, c->port >= 0);
	assert_int_equal(u.port, c->port >= 0 ? c->port : 0);
	assert_slice(u.params, c->params);
	assert_slice(u.headers, c->headers);
	assert_slice(u.transport, c->transport);
	assert_slice(u.user_param, c->user_param);
	assert_slice(u.method, c->method);
	assert_slice(u.maddr, c->maddr);
	assert_int_equal(u.lr, c->lr);
}

static void test_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		struct sip_str in = cstr(valid[i].in);
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
		struct sip_uri u;
		struct sip_str in = cstr(invalid[i]);
		memset(&u, 0xa5, sizeof u);
		if (sip_uri_parse(&u, in) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", invalid[i]);
			fail();
		}
		/* Out-param untouched on failure. */
		assert_int_equal(((unsigned char *)&u)[0], 0xa5);
		assert_int_equal(((unsigned char *)&u)[sizeof u - 1], 0xa5);
		in.p = guard_copy(in.p, in.len);
		assert_int_equal(sip_uri_parse(&u, in), SIP_EPARSE);
		guard_release();
	}
}

/* Every prefix of every valid URI parses or fails cleanly inside the guard. */
static void test_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		size_t n = strlen(valid[i].in);
		for (size_t k = 0; k <= n; k++) {
			struct sip_uri u;
			struct sip_str in = { guard_copy(valid[i].in, k), k };
			int rc = sip_uri_parse(&u, in);
			assert_true(rc == 0 || rc == SIP_EPARSE);
			if (rc == 0)
				assert_true(sip_uri_eq(&u, &u));
		}
	}
	guard_release();
}

struct eq_case {
	const char *a, *b;
	bool eq;
};

static const struct eq_case eqs[] = {
	/* RFC 3261 19.1.4, equivalent pairs */
	{ "sip:%61lice@atlanta.com;transport=TCP", "sip:alice@AtLanTa.CoM;Transport=tcp", true },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com;newparam=5", true },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com;security=on", true },
	{ "sip:carol@chicago.com;newparam=5", "sip:carol@chicago.com;security=on", true },
	{ "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
	  "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com", true },
	{ "sip:alice@atlanta.com?subject=project%20x&priority=urgent",
	  "sip:alice@atlanta.com?priority=urgent&subject=project%20x", true },
	/* RFC 3261 19.1.4, non-equivalent pairs */
	{ "SIP:ALICE@AtLanTa.CoM;Transport=udp", "sip:alice@AtLanTa.CoM;Transport=UDP", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:5060", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com;transport=udp", false },
	{ "sip:bob@biloxi.com", "sip:bob@biloxi.com:6000;transport=tcp", false },
	{ "sip:carol@chicago.com", "sip:carol@chicago.com?Subject=next%20meeting", false },
	{ "sip:bob@phone21.boxesbybob.com", "sip:bob@192.0.2.4", false },
	{ "sip:carol@chicago.com;security=on", "sip:carol@chicago.com;security=off", false },
	/* More rules */
	{ "sip:alice@atlanta.com", "sips:alice@atlanta.com", false },
	{ "sip:alice:pw@atlanta.com", "sip:alice:PW@atlanta.com", false },
	{ "sip:alice:pw@atlanta.com", "sip:alice@atlanta.com", false },
	{ "sip:a@h;user=phone", "sip:a@h", false },
	{ "sip:a@h;ttl=1", "sip:a@h", false },
	{ "sip:a@h;method=INVITE", "sip:a@h", false },
	{ "sip:a@h;maddr=1.2.3.4", "sip:a@h", false },
	{ "sip:a@h;lr", "sip:a@h", true },
	{ "sip:a@h;LR", "sip:a@h;lr", true },
	{ "sip:a@h;%6C%72", "sip:a@h;lr", true },
	{ "sip:a@h;maddr=X.COM", "sip:a@h;MADDR=x.com", true },
	{ "sip:a@h?x=1", "sip:a@h?x=1&y=2", false },
	{ "sip:a@h?x=A", "sip:a@h?x=a", false },
	{ "sip:a@h?X=a", "sip:a@h?x=%61", true },
	{ "sip:a%3bb@h", "sip:a;b@h", false }, /* escaped reserved is not the char */
	{ "sip:a%2Db@h", "sip:a-b@h", true },
	{ "sip:null-%00-null@h", "sip:null-%00-null@h", true },
	{ "sip:%00@h", "sip:%00%00@h", false },
	{ "sip:[2001:db8::10]", "sip:[2001:DB8:0:0:0:0:0:10]", true },
	{ "sip:[::ffff:192.0.2.2]", "sip:[::FFFF:c000:202]", true },
	{ "sip:[2001:db8::10]:5070", "sip:[2001:db8::10]", false },
	{ "sip:[1::]", "sip:[1:0:0:0:0:0:0:0]", true },
	{ "sip:[::2:3:4:5:6:7:8]", "sip:[0:2:3:4:5:6:7:8]", true },
	{ "sip:[1:2:3:4:5:6:7::]", "sip:[1:2:3:4:5:6:7:0]", true },
	{ "sip:[2001:db8:::192.0.2.1]", "sip:[2001:db8::c000:201]", true },
	{ "sip:[::1]", "sip:[::2]", false },
	{ "sip:[::1]", "sip:localhost", false },
	{ "sip:[2001:db8::1]", "sip:[2001:db8::2]", false },
	{ "tel:+1-201-555-0123", "tel:+12015550123", true },
	{ "tel:+1-201-555-0123", "tel:+12015550124", false },
	{ "tel:7042;phone-context=EXAMPLE.com", "tel:7042;phone-context=example.com", true },
	{ "tel:7042;phone-context=+1-914", "tel:7042;phone-context=+1914", true },
	{ "tel:+1234;ext=1;x=y", "tel:+1234;x=Y;ext=1", true },
	{ "tel:+1234;ext=1", "tel:+1234", false },
	{ "tel:+1234", "tel:+1234;foo=bar", false },
	{ "tel:+1234", "sip:+1234@h", false },
	{ "mailto:a@b.c", "MAILTO:a@b.c", true },
	{ "mailto:a@b.c", "mailto:A@b.c", false },
};

static void test_eq(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof eqs / sizeof eqs[0]; i++) {
		struct sip_uri a, b;
		assert_int_equal(sip_uri_parse(&a, cstr(eqs[i].a)), 0);
		assert_int_equal(sip_uri_parse(&b, cstr(eqs[i].b)), 0);
		if (sip_uri_eq(&a, &b) != eqs[i].eq || sip_uri_eq(&b, &a) != eqs[i].eq) {
			fprintf(stderr, "eq(%s, %s) != %d\n", eqs[i].a, eqs[i].b, eqs[i].eq);
			fail();
		}
		assert_true(sip_uri_eq(&a, &a));
	}
}

static void test_param_find(void **state)
{
	struct sip_str v;

	(void)state;
	assert_int_equal(sip_param_find(cstr("transport=tcp;lr;maddr=1.2.3.4"), "LR", &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_find(cstr(";transport=tcp;lr"), "Transport", &v), 0);
	assert_slice(v, "tcp");
	assert_int_equal(sip_param_find(cstr("a=1;b=2"), "b", &v), 0);
	assert_slice(v, "2");
	assert_int_equal(sip_param_find(cstr("ab=1"), "a", &v), SIP_ENOTFOUND);
	assert_int_equal(sip_param_find(cstr("a=1"), "ab", &v), SIP_ENOTFOUND);
	assert_int_equal(sip_param_find(cstr(""), "a", &v), SIP_ENOTFOUND);
	/* Header-parameter style: LWS, folding, quoted values with ';' inside. */
	assert_int_equal(sip_param_find(cstr(" ;  tag    = 1918181833n"), "tag", &v), 0);
	assert_slice(v, "1918181833n");
	assert_int_equal(sip_param_find(cstr("text=\"a;b=c\";cause=200"), "cause", &v), 0);
	assert_slice(v, "200");
	assert_int_equal(sip_param_find(cstr("text=\"a;b=c\";cause=200"), "text", &v), 0);
	assert_slice(v, "a;b=c");
	assert_int_equal(sip_param_find(cstr("x=1 ;\r\n y = 2"), "y", &v), 0);
	assert_slice(v, "2");
	assert_int_equal(sip_param_find(cstr("x=\"open;y=2"), "y", &v), SIP_ENOTFOUND);
	assert_int_equal(sip_param_find(cstr("x=\"open"), "x", &v), 0);
	assert_slice(v, "open");
	assert_int_equal(sip_param_find(cstr(";;=;a"), "a", &v), 0);
	assert_int_equal(v.len, 0);
	/* Guarded: no over-read on a value ending the buffer. */
	const char *g = guard_copy("lr;x=\"", 6);
	assert_int_equal(sip_param_find((struct sip_str){ g, 6 }, "x", &v), 0);
	assert_int_equal(v.len, 0);
	assert_int_equal(sip_param_find((struct sip_str){ g, 6 }, "y", &v), SIP_ENOTFOUND);
	guard_release();
}

static void test_unescape(void **state)
{
	char buf[32];

	(void)state;
	memset(buf, 'x', sizeof buf);
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("I%20have%20spaces")), 13);
	assert_string_equal(buf, "I have spaces");
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("null-%00-null")), 11);
	assert_memory_equal(buf, "null-\0-null", 12);
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("%6c%6C")), 2);
	assert_string_equal(buf, "ll");
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("")), 0);
	assert_string_equal(buf, "");
	strcpy(buf, "keep");
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("bad%2")), SIP_EPARSE);
	assert_int_equal(sip_unescape(buf, sizeof buf, cstr("bad%zz")), SIP_EPARSE);
	assert_int_equal(sip_unescape(buf, 4, cstr("abcd")), SIP_ETOOBIG);
	assert_string_equal(buf, "keep");
	assert_int_equal(sip_unescape(buf, 5, cstr("abcd")), 4);
	assert_string_equal(buf, "abcd");
	const char *g = guard_copy("a%4", 3);
	assert_int_equal(sip_unescape(buf, sizeof buf, (struct sip_str){ g, 3 }), SIP_EPARSE);
	guard_release();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),     cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_prefixes),  cmocka_unit_test(test_eq),
		cmocka_unit_test(test_param_find), cmocka_unit_test(test_unescape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

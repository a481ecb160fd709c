/* Unit tests for src/msg/cseq.c: sip_cseq_parse and sip_rack_parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "guard.h"
#include "hv_assert.h"
#include "siphon/err.h"
#include "siphon/hdr.h"

struct cseq_case {
	const char *in;
	uint32_t seq;
	enum sip_method method;
	const char *method_str;
};

static const struct cseq_case valid[] = {
	{ "4711 INVITE", 4711, SIP_METHOD_INVITE, "INVITE" },
	{ "1 REGISTER", 1, SIP_METHOD_REGISTER, "REGISTER" },
	{ "0 ACK", 0, SIP_METHOD_ACK, "ACK" },
	{ "2147483647 BYE", 2147483647u, SIP_METHOD_BYE, "BYE" },
	{ "0009\r\n  INVITE", 9, SIP_METHOD_INVITE, "INVITE" }, /* RFC 4475 3.1.1.1 */
	{ " 12 \t NOTIFY  ", 12, SIP_METHOD_NOTIFY, "NOTIFY" },
	{ "139122385 !interesting-Method0123456789_*+`.%indeed'~", 139122385u, SIP_METHOD_OTHER,
	  "!interesting-Method0123456789_*+`.%indeed'~" }, /* RFC 4475 3.1.1.2 */
	{ "29344 RE%47IST%45R", 29344, SIP_METHOD_OTHER, "RE%47IST%45R" }, /* 3.1.1.5 */
	{ "1 invite", 1, SIP_METHOD_OTHER, "invite" }, /* methods are case-sensitive */
	{ "5 PRACK", 5, SIP_METHOD_PRACK, "PRACK" },
};

static const char *const invalid[] = {
	"",
	"INVITE",
	"1",
	"1 ",
	"1INVITE",
	"-1 INVITE",
	"+1 INVITE",
	"2147483648 INVITE", /* RFC 3261 8.1.1.5: below 2**31 */
	"4294967296 INVITE",
	"36893488147419103232 REGISTER",           /* RFC 4475 3.1.2.4 */
	"9292394834772304023312 OPTIONS",          /* RFC 4475 3.1.2.5 */
	"1 INVITE BYE",
	"1 INV(ITE",
	"1 INVITE\r\n",
	"1 INVITE;x",
	"1.0 INVITE",
	"1\r\nINVITE",
};

static void test_cseq(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
		struct sip_cseq c;
		struct sip_str in = cstr(valid[i].in);
		for (int pass = 0; pass < 2; pass++) {
			if (pass)
				in.p = guard_copy(in.p, in.len);
			memset(&c, 0, sizeof c);
			assert_int_equal(sip_cseq_parse(&c, in), 0);
			assert_int_equal(c.seq, valid[i].seq);
			assert_int_equal(c.method, valid[i].method);
			assert_slice(c.method_str, valid[i].method_str);
		}
		for (size_t k = 0; k < in.len; k++) {
			struct sip_str pre = { guard_copy(valid[i].in, k), k };
			int rc = sip_cseq_parse(&c, pre);
			assert_true(rc == 0 || rc == SIP_EPARSE);
		}
		guard_release();
	}
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		struct sip_cseq c = { 77, SIP_METHOD_BYE, SIP_STR_INIT("x") };
		struct sip_str in = cstr(invalid[i]);
		if (sip_cseq_parse(&c, in) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", invalid[i]);
			fail();
		}
		assert_int_equal(c.seq, 77);
		assert_int_equal(c.method, SIP_METHOD_BYE);
		in.p = guard_copy(in.p, in.len);
		assert_int_equal(sip_cseq_parse(&c, in), SIP_EPARSE);
		guard_release();
	}
}

static void test_rack(void **state)
{
	struct sip_rack r;

	(void)state;
	assert_int_equal(sip_rack_parse(&r, cstr("776656 1 INVITE")), 0);
	assert_int_equal(r.rseq, 776656);
	assert_int_equal(r.cseq, 1);
	assert_int_equal(r.method, SIP_METHOD_INVITE);
	assert_slice(r.method_str, "INVITE");
	assert_int_equal(sip_rack_parse(&r, cstr(" 2147483647\r\n 314159 FOO ")), 0);
	assert_int_equal(r.rseq, 2147483647u);
	assert_int_equal(r.cseq, 314159);
	assert_int_equal(r.method, SIP_METHOD_OTHER);
	assert_slice(r.method_str, "FOO");

	static const char *const bad[] = {
		"", "1", "1 2", "1 2 ", "0 1 INVITE", "2147483648 1 INVITE", "1 2147483648 INVITE",
		"1 1INVITE", "1INVITE 1", "a 1 INVITE", "1 1 INVITE x", "1 -1 INVITE",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct sip_str in = cstr(bad[i]);
		r.rseq = 99;
		if (sip_rack_parse(&r, in) != SIP_EPARSE) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			fail();
		}
		assert_int_equal(r.rseq, 99);
		in.p = guard_copy(in.p, in.len);
		assert_int_equal(sip_rack_parse(&r, in), SIP_EPARSE);
		guard_release();
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cseq),
		cmocka_unit_test(test_rack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

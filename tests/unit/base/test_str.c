/* Unit tests for src/base/str.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "siphon/err.h"
#include "siphon/str.h"

static void test_eq(void **state)
{
	(void)state;
	assert_true(sip_str_eq(SIP_STR("abc"), SIP_STR("abc")));
	assert_false(sip_str_eq(SIP_STR("abc"), SIP_STR("abC")));
	assert_false(sip_str_eq(SIP_STR("abc"), SIP_STR("ab")));
	assert_true(sip_str_eq(SIP_STR_NULL, SIP_STR("")));
	assert_true(sip_str_caseeq(SIP_STR("Call-ID"), SIP_STR("call-id")));
	assert_false(sip_str_caseeq(SIP_STR("Call-ID"), SIP_STR("call-if")));
	/* '@' and '`' differ from 'A'/'a' only by the case bit: not letters. */
	assert_false(sip_str_caseeq(SIP_STR("@"), SIP_STR("`")));
	assert_true(sip_str_caseeq_cstr(SIP_STR("VIA"), "via"));
	assert_true(sip_str_casestarts(SIP_STR("z9hG4bKabc"), SIP_STR("Z9HG4BK")));
	assert_false(sip_str_casestarts(SIP_STR("z9"), SIP_STR("z9hG4bK")));
}

static void test_trim(void **state)
{
	struct sip_str t;

	(void)state;
	t = sip_str_trim(SIP_STR(" \t value \r\n"));
	assert_true(sip_str_eq(t, SIP_STR("value")));
	t = sip_str_trim(SIP_STR("   "));
	assert_int_equal(t.len, 0);
}

static void test_numbers(void **state)
{
	uint32_t v = 7;
	uint64_t w = 0;

	(void)state;
	assert_int_equal(sip_str_to_u32(SIP_STR("4711"), &v), 0);
	assert_int_equal(v, 4711);
	assert_int_equal(sip_str_to_u32(SIP_STR("4294967295"), &v), 0);
	assert_int_equal(v, 4294967295u);
	v = 7;
	assert_int_equal(sip_str_to_u32(SIP_STR("4294967296"), &v), -ERANGE);
	assert_int_equal(v, 7); /* untouched on failure */
	assert_int_equal(sip_str_to_u32(SIP_STR(""), &v), -EINVAL);
	assert_int_equal(sip_str_to_u32(SIP_STR("12a"), &v), -EINVAL);
	assert_int_equal(sip_str_to_u32(SIP_STR("-1"), &v), -EINVAL);
	assert_int_equal(sip_str_to_u64(SIP_STR("18446744073709551615"), &w), 0);
	assert_true(w == UINT64_MAX);
	assert_int_equal(sip_str_to_u64(SIP_STR("18446744073709551616"), &w), -ERANGE);
}

static void test_chr_copy(void **state)
{
	char out[4];

	(void)state;
	assert_int_equal(sip_str_chr(SIP_STR("a;b"), ';'), 1);
	assert_int_equal(sip_str_chr(SIP_STR("ab"), ';'), -1);
	assert_int_equal(sip_str_chr(SIP_STR_NULL, ';'), -1);
	assert_string_equal(sip_str_copy(out, sizeof(out), SIP_STR("abcdef")), "abc");
	assert_string_equal(sip_str_copy(out, sizeof(out), SIP_STR("")), "");
}

static void test_strerror(void **state)
{
	(void)state;
	assert_string_equal(sip_strerror(0), "success");
	assert_string_equal(sip_strerror(SIP_EINCOMPLETE), "incomplete message");
	assert_string_equal(sip_strerror(-ENOMEM), "Cannot allocate memory");
}

/* FNV-1a 32-bit reference values (the FNV authors' test vectors). */
static void test_hash(void **state)
{
	(void)state;
	assert_int_equal(sip_str_hash(SIP_STR("")), 0x811c9dc5u);
	assert_int_equal(sip_str_hash(SIP_STR("a")), 0xe40c292cu);
	assert_int_equal(sip_str_hash(SIP_STR("foobar")), 0xbf9cf968u);
	assert_int_not_equal(sip_str_hash(SIP_STR("sip:alice@example.com")),
			     sip_str_hash(SIP_STR("sip:alicf@example.com")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eq),
		cmocka_unit_test(test_trim),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_chr_copy),
		cmocka_unit_test(test_strerror),
		cmocka_unit_test(test_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for src/base/arena.c and src/base/buf.c. */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "siphon/arena.h"
#include "siphon/buf.h"

static void test_arena_first_block(void **state)
{
	alignas(max_align_t) char mem[256];
	struct sip_arena a;
	char *p, *q;

	(void)state;
	sip_arena_init(&a, mem, sizeof(mem));
	p = sip_arena_alloc(&a, 10);
	q = sip_arena_alloc(&a, 10);
	assert_non_null(p);
	assert_non_null(q);
	/* Both come from the embedded block, aligned, without overlap. */
	assert_true(p >= mem && q + 10 <= mem + sizeof(mem));
	assert_int_equal((uintptr_t)q % alignof(max_align_t), 0);
	assert_true(q >= p + 10);
	assert_null(a.extra);
	sip_arena_free(&a);
}

static void test_arena_overflow(void **state)
{
	alignas(max_align_t) char mem[64];
	struct sip_arena a;
	char *big;

	(void)state;
	sip_arena_init(&a, mem, sizeof(mem));
	big = sip_arena_zalloc(&a, 5000);
	assert_non_null(big);
	assert_non_null(a.extra);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(big[i], 0);
	memset(big, 'x', 5000);
	assert_non_null(sip_arena_memdup(&a, "hello", 5));
	sip_arena_free(&a); /* ASan reports a leak if any extra block is left */
}

static void test_buf(void **state)
{
	struct sip_buf b = SIP_BUF_INIT;

	(void)state;
	assert_int_equal(sip_buf_append_cstr(&b, "SIP/2.0 "), 0);
	assert_int_equal(sip_buf_append_u64(&b, 603), 0);
	assert_int_equal(sip_buf_printf(&b, " %s", "Decline"), 0);
	assert_string_equal(b.p, "SIP/2.0 603 Decline");
	assert_int_equal(b.len, strlen("SIP/2.0 603 Decline"));
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sip_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 19 + 10000);
	assert_int_equal(b.p[b.len], '\0');
	sip_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.p, "");
	sip_buf_free(&b);
	assert_null(b.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_first_block),
		cmocka_unit_test(test_arena_overflow),
		cmocka_unit_test(test_buf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

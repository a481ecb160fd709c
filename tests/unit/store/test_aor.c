/* Unit tests for sip_store_aor_canon (RFC 3261 10.3 step 5 canonical AORs). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "siphon/buf.h"
#include "siphon/store.h"

static void test_canon_valid(void **state)
{
	static const struct {
		const char *in, *out, *user, *host;
	} cases[] = {
		{ "alice@example.com", "sip:alice@example.com", "alice", "example.com" },
		{ "sip:alice@example.com", "sip:alice@example.com", "alice", "example.com" },
		{ "SIP:Alice@EXAMPLE.com", "sip:Alice@example.com", "Alice", "example.com" },
		{ "sips:bob@Example.org", "sips:bob@example.org", "bob", "example.org" },
		{ "<sip:bob@h;transport=tcp>", "sip:bob@h", "bob", "h" },
		{ "sip:bob@h?subject=x", "sip:bob@h", "bob", "h" },
		{ "sip:bob:secret@h", "sip:bob@h", "bob", "h" },
		{ "sip:b%6Fb@h:5070", "sip:bob@h:5070", "bob", "h:5070" },
		{ "  decline@127.0.0.1 ", "sip:decline@127.0.0.1", "decline", "127.0.0.1" },
		{ "sip:v6@[2001:DB8::1]:5060", "sip:v6@[2001:db8::1]:5060", "v6", "[2001:db8::1]:5060" },
		{ "sip:%2B1555@h", "sip:+1555@h", "+1555", "h" },
	};
	struct sip_buf out = SIP_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sip_str user, host;
		int err = sip_store_aor_canon(&out, &user, &host, sip_str_from_cstr(cases[i].in));

		if (err)
			fail_msg("'%s': %d", cases[i].in, err);
		assert_string_equal(out.p, cases[i].out);
		assert_true(sip_str_eq(user, sip_str_from_cstr(cases[i].user)));
		assert_true(sip_str_eq(host, sip_str_from_cstr(cases[i].host)));
	}
	sip_buf_free(&out);
}

static void test_canon_invalid(void **state)
{
	static const char *const bad[] = {
		"", "alice", "@example.com", "alice@", "tel:+15550100", "sip:@h", "sip:a b@h",
		"sip:a%zz@h", "sip:a%4@h", "sip:a%00@h", "sip:a@h%41", "sip:<a>@h", "sip::pw@h",
		"sip:a@;transport=udp", "sip:a@b@c",
	};
	struct sip_buf out = SIP_BUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sip_str user = SIP_STR("untouched");
		int err = sip_store_aor_canon(&out, &user, NULL, sip_str_from_cstr(bad[i]));

		if (err != -EINVAL)
			fail_msg("'%s' gave %d, want -EINVAL", bad[i], err);
		assert_true(sip_str_eq(user, SIP_STR("untouched")));
	}
	sip_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canon_valid),
		cmocka_unit_test(test_canon_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

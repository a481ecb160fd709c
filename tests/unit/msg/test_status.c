/* Unit tests for src/msg/status.c and the table generated from data/status/. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "siphon/status.h"

/* The IANA SIP response-code registry, written out independently of the data
 * file so that a code dropped from (or added to) the data shows up here. */
static const int registry[] = {
	100, 180, 181, 182, 183, 199,
	200, 202, 204,
	300, 301, 302, 305, 380,
	400, 401, 402, 403, 404, 405, 406, 407, 408, 410, 412, 413, 414, 415, 416, 417,
	420, 421, 422, 423, 424, 425, 428, 429, 430, 433, 436, 437, 438, 439, 440,
	469, 470, 480, 481, 482, 483, 484, 485, 486, 487, 488, 489, 491, 493, 494,
	500, 501, 502, 503, 504, 505, 513, 555, 580,
	600, 603, 604, 606, 607, 608,
};
#define NREGISTRY (sizeof(registry) / sizeof(registry[0]))

static void test_phrases(void **state)
{
	static const struct {
		int code;
		const char *phrase;
	} cases[] = {
		{ 100, "Trying" },
		{ 180, "Ringing" },
		{ 183, "Session Progress" },
		{ 199, "Early Dialog Terminated" },
		{ 200, "OK" },
		{ 202, "Accepted" },
		{ 204, "No Notification" },
		{ 302, "Moved Temporarily" },
		{ 401, "Unauthorized" },
		{ 407, "Proxy Authentication Required" },
		{ 412, "Conditional Request Failed" },
		{ 423, "Interval Too Brief" },
		{ 430, "Flow Failed" },
		{ 481, "Call/Transaction Does Not Exist" },
		{ 489, "Bad Event" },
		{ 494, "Security Agreement Required" },
		{ 503, "Service Unavailable" },
		{ 555, "Push Notification Service Not Supported" },
		{ 580, "Precondition Failure" },
		{ 603, "Decline" },
		{ 606, "Not Acceptable" },
		{ 607, "Unwanted" },
		{ 608, "Rejected" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(sip_status_phrase(cases[i].code), cases[i].phrase);
		assert_true(sip_status_registered(cases[i].code));
	}
}

static void test_class_fallback(void **state)
{
	struct sip_status_info e;

	(void)state;
	/* Unregistered codes in range: the class (RFC 3261 8.1.3.2). */
	assert_false(sip_status_registered(499));
	assert_string_equal(sip_status_phrase(499), "Client Error");
	assert_string_equal(sip_status_phrase(699), "Global Failure");
	assert_string_equal(sip_status_phrase(150), "Provisional");
	assert_string_equal(sip_status_phrase(303), "Redirection");
	assert_int_equal(sip_status_class_of(499), SIP_STATUS_CLIENT_ERROR);

	assert_int_equal(sip_status_lookup(&e, 499, NULL), 0);
	assert_false(e.registered);
	assert_int_equal(e.code, 499);
	assert_int_equal(e.treated_as, 400);
	assert_int_equal(e.cls, SIP_STATUS_CLIENT_ERROR);
	assert_int_equal(e.outcome, SIP_STATUS_OUTCOME_FAILURE);
	assert_string_equal(e.section, "8.1.3.2");
	assert_non_null(strstr(e.receiver, "400"));

	assert_int_equal(sip_status_lookup(&e, 699, NULL), 0);
	assert_false(e.registered);
	assert_int_equal(e.treated_as, 600);
	assert_int_equal(e.proxy, SIP_STATUS_PROXY_CANCEL);

	/* An unknown 1xx is treated as 183, not 100 (RFC 3261 8.1.3.2). */
	assert_int_equal(sip_status_lookup(&e, 150, NULL), 0);
	assert_false(e.registered);
	assert_int_equal(e.treated_as, 183);
	assert_int_equal(e.outcome, SIP_STATUS_OUTCOME_PROVISIONAL);
}

static void test_out_of_range(void **state)
{
	struct sip_status_info e;
	static const int bad[] = { -1, 0, 99, 700, 999, 1000, INT32_MAX, INT32_MIN };

	(void)state;
	memset(&e, 0x5a, sizeof(e));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_string_equal(sip_status_phrase(bad[i]), "Unknown");
		assert_false(sip_status_registered(bad[i]));
		assert_int_equal(sip_status_class_of(bad[i]), SIP_STATUS_CLASS_NONE);
		assert_int_equal(sip_status_lookup(&e, bad[i], NULL), -EINVAL);
		/* Out-params are written only on success. */
		assert_int_equal(e.code, 0x5a5a5a5a);
	}
}

static void test_registry_complete(void **state)
{
	size_t n = 0;

	(void)state;
	for (size_t i = 0; i < NREGISTRY; i++)
		assert_true(sip_status_registered(registry[i]));
	/* And nothing else is. */
	for (int c = SIP_STATUS_MIN; c <= SIP_STATUS_MAX; c++)
		if (sip_status_registered(c))
			n++;
	assert_int_equal(n, NREGISTRY);
}

static void assert_text(const char *s)
{
	assert_non_null(s);
	assert_true(strlen(s) > 0);
}

static void test_every_locale_every_code(void **state)
{
	struct sip_status_info e;

	(void)state;
	assert_true(sip_status_locale_count() >= 2);
	for (size_t l = 0; l < sip_status_locale_count(); l++) {
		const struct sip_status_locale *loc = sip_status_locale_at(l);

		assert_non_null(loc);
		for (int lab = 0; lab < SIP_STATUS_L__COUNT; lab++)
			assert_text(sip_status_label(loc, (enum sip_status_label)lab));
		for (int c = SIP_STATUS_MIN; c <= SIP_STATUS_MAX; c++) {
			assert_int_equal(sip_status_lookup(&e, c, loc), 0);
			assert_int_equal(e.code, c);
			assert_int_equal((int)e.cls, c / 100);
			assert_text(e.phrase);
			assert_text(e.rfc);
			assert_text(e.section);
			assert_text(e.methods);
			assert_text(e.class_name);
			assert_text(e.description);
			assert_text(e.when);
			assert_text(e.action);
			assert_text(e.receiver);
			assert_text(e.proxy_text);
			assert_true(e.senders != 0);
			assert_true(strncmp(e.rfc, "RFC ", 4) == 0);
			/* The canonical phrase does not depend on the locale. */
			assert_string_equal(e.phrase, sip_status_phrase(c));
		}
	}
	assert_null(sip_status_locale_at(sip_status_locale_count()));
}

static void test_locales(void **state)
{
	const struct sip_status_locale *en, *vi;
	struct sip_status_info e;

	(void)state;
	en = sip_status_locale_find("en");
	vi = sip_status_locale_find("vi");
	assert_non_null(en);
	assert_non_null(vi);
	assert_ptr_equal(sip_status_locale_default(), en);
	assert_ptr_equal(sip_status_locale_find("vi_VN.UTF-8"), vi);
	assert_ptr_equal(sip_status_locale_find("vi_VN"), vi);
	assert_ptr_equal(sip_status_locale_find("vi-VN"), vi);
	assert_ptr_equal(sip_status_locale_find("en_US.UTF-8"), en);
	assert_null(sip_status_locale_find("de"));
	assert_null(sip_status_locale_find("vie"));
	assert_null(sip_status_locale_find("v"));
	assert_null(sip_status_locale_find(""));
	assert_null(sip_status_locale_find(NULL));
	assert_string_equal(sip_status_locale_name(vi), "vi");
	assert_string_equal(sip_status_locale_native(vi), "Tiếng Việt");

	assert_string_equal(sip_status_label(vi, SIP_STATUS_L_DESCRIPTION), "Mô tả");
	assert_string_equal(sip_status_label(vi, SIP_STATUS_L_WHEN), "Khi bạn thấy mã này");
	assert_string_equal(sip_status_label(vi, SIP_STATUS_L_ACTION), "Cách khắc phục");
	assert_string_equal(sip_status_label(vi, SIP_STATUS_L_KEY_DIFFERENCES), "Sự khác biệt chính");
	assert_string_equal(sip_status_label(vi, SIP_STATUS_L_WHEN_TO_USE), "Khi nào dùng cái nào");
	assert_string_equal(sip_status_label(en, SIP_STATUS_L_DESCRIPTION), "Description");
	assert_string_equal(sip_status_label(en, SIP_STATUS_L__COUNT), "");

	/* Same canonical facts, translated texts. */
	assert_int_equal(sip_status_lookup(&e, 603, vi), 0);
	assert_string_equal(e.phrase, "Decline");
	assert_non_null(strstr(e.description, "từ chối"));
	assert_int_equal(sip_status_lookup(&e, 603, en), 0);
	assert_non_null(strstr(e.description, "declined"));

	assert_string_equal(sip_status_sender_name(en, SIP_STATUS_BY_REGISTRAR), "registrar");
	assert_string_equal(sip_status_sender_name(en, 0), "");
	assert_string_equal(sip_status_sender_name(en, SIP_STATUS_BY_UAS | SIP_STATUS_BY_PROXY), "");
	assert_string_equal(sip_status_sender_name(en, 1u << SIP_STATUS_SENDER__COUNT), "");
	assert_string_equal(sip_status_class_name(en, SIP_STATUS_CLASS_NONE), "");
	assert_string_equal(sip_status_class_name(en, SIP_STATUS_GLOBAL_FAILURE), "Global Failure");
	assert_string_equal(sip_status_outcome_name(en, SIP_STATUS_OUTCOME__COUNT), "");
	assert_string_equal(sip_status_proxy_name(en, SIP_STATUS_PROXY__COUNT), "");
}

/* The structured facts `siphon compare` relies on. */
static void test_facts(void **state)
{
	struct sip_status_info e;

	(void)state;
	assert_int_equal(sip_status_lookup(&e, 204, NULL), 0);
	assert_string_equal(e.rfc, "RFC 5839");
	assert_string_equal(e.methods, "SUBSCRIBE");
	assert_true(e.in_dialog);
	assert_int_equal(e.senders, SIP_STATUS_BY_NOTIFIER);
	assert_int_equal(e.outcome, SIP_STATUS_OUTCOME_SUCCESS);
	assert_non_null(strstr(e.receiver, "Suppress-If-Match"));
	assert_non_null(strstr(e.receiver, "6.3"));

	assert_int_equal(sip_status_lookup(&e, 603, NULL), 0);
	assert_int_equal(e.cls, SIP_STATUS_GLOBAL_FAILURE);
	assert_int_equal(e.proxy, SIP_STATUS_PROXY_CANCEL);
	assert_non_null(strstr(e.proxy_text, "no new"));
	assert_non_null(strstr(e.proxy_text, "16.7"));

	assert_int_equal(sip_status_lookup(&e, 401, NULL), 0);
	assert_string_equal(e.headers, "WWW-Authenticate");
	assert_int_equal(sip_status_lookup(&e, 407, NULL), 0);
	assert_string_equal(e.headers, "Proxy-Authenticate");
	assert_int_equal(e.senders, SIP_STATUS_BY_PROXY);
	assert_int_equal(sip_status_lookup(&e, 423, NULL), 0);
	assert_string_equal(e.headers, "Min-Expires");
	assert_int_equal(sip_status_lookup(&e, 489, NULL), 0);
	assert_string_equal(e.headers, "Allow-Events");
	assert_int_equal(sip_status_lookup(&e, 302, NULL), 0);
	assert_non_null(strstr(e.headers, "Contact"));
	assert_int_equal(e.proxy, SIP_STATUS_PROXY_RECURSE);
	assert_int_equal(sip_status_lookup(&e, 100, NULL), 0);
	assert_int_equal(e.proxy, SIP_STATUS_PROXY_ABSORB);
	assert_int_equal(sip_status_lookup(&e, 202, NULL), 0);
	assert_true(e.deprecated);
	assert_string_equal(e.rfc, "RFC 6665");

	/* Every 6xx makes a forking proxy cancel the other branches; no other class does. */
	for (size_t i = 0; i < NREGISTRY; i++) {
		assert_int_equal(sip_status_lookup(&e, registry[i], NULL), 0);
		assert_int_equal(e.proxy == SIP_STATUS_PROXY_CANCEL, registry[i] >= 600);
		assert_int_equal(e.proxy == SIP_STATUS_PROXY_RECURSE, registry[i] / 100 == 3);
		assert_true(e.registered);
		assert_int_equal(e.treated_as, registry[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_phrases),
		cmocka_unit_test(test_class_fallback),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_registry_complete),
		cmocka_unit_test(test_every_locale_every_code),
		cmocka_unit_test(test_locales),
		cmocka_unit_test(test_facts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

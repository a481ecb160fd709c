/* RFC 5839 conditional notification, one test per bullet of issue 7's section:
 * 204 on a matching in-dialog refresh and nothing after it, "*", 200 + body-less
 * NOTIFY outside a dialog, 200 + full NOTIFY once the state changed, fetch. */
#include "events_fixture.h"

/* Establish a presence subscription with published state; returns the To tag and
 * the tag of the state in the first NOTIFY. */
static void establish(struct fx *f, char *totag, size_t tcap, char *etag, size_t ecap)
{
	struct sip_msg *r;

	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600, .cseq = 1 });
	assert_int_equal(r->status, 200);
	fx_to_tag(r, totag, tcap);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_etag(f->n[0].msg, etag, ecap);
	fx_clear(f);
}

static void test_inline_refresh_match_204(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* RFC 5839 6.3 / 5.6: 204 with Expires, and no NOTIFY. */
	f->now += 500;
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = etag, .cseq = 2 });
	assert_int_equal(r->status, 204);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "600");
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* The subscription was extended: past the first expiry (t+600) nothing ends,
	 * and nothing is sent while the condition holds. */
	f->now += 200;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	assert_int_equal(f->timer, f->now - 200 + 600);
	/* A PUBLISH refresh changes nothing reportable: still no NOTIFY. */
	{
		char ptag[64];

		r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
		fx_etag(r, ptag, sizeof(ptag));
		sip_msg_free(r);
		/* Same composed document (a second publication with the same tuple):
		 * same entity, no new tag, no NOTIFY. */
		assert_int_equal(f->nn, 0);
	}
	/* And another matching refresh is 204 again. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = etag, .cseq = 3 });
	assert_int_equal(r->status, 204);
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
}

static void test_inline_refresh_stale_tag_200(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64], e2[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* The state changes: the subscriber gets it (plain NOTIFY with the new tag). */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	fx_etag(f->n[0].msg, e2, sizeof(e2));
	assert_string_not_equal(e2, etag);
	fx_clear(f);
	/* A refresh with the old tag: condition false -> 200 and a full NOTIFY. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = etag, .cseq = 2 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, e2);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_TYPE, "application/pidf+xml");
}

static void test_match_then_state_change_notifies(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64], e2[64], e3[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = etag, .cseq = 2 });
	assert_int_equal(r->status, 204);
	sip_msg_free(r);
	/* The condition stops holding when the state changes: 200+NOTIFY behaviour
	 * with the full state and its new tag. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_etag(f->n[0].msg, e2, sizeof(e2));
	assert_string_not_equal(e2, etag);
	fx_clear(f);
	/* And the next change too (the condition was dropped, not re-armed). */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	fx_etag(f->n[0].msg, e3, sizeof(e3));
	assert_string_not_equal(e3, e2);
	assert_string_not_equal(e3, etag);
}

static void test_star_sleeps(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64], now_tag[64];
	struct sip_msg *r;
	struct sip_str cur;
	const struct sip_subscription_state *ss;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = "*", .cseq = 2 });
	assert_int_equal(r->status, 204);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "600");
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* Asleep: state changes are not notified at all. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_etag(f->ev, SIP_STR("sip:bob@example.com"), SIP_STR("presence"), &cur), 0);
	sip_str_copy(now_tag, sizeof(now_tag), cur);
	assert_string_not_equal(now_tag, etag);
	/* A subscription-state change is: expiry -> terminated, without a body, with
	 * the current tag. */
	f->now += 601;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 1);
	assert_false(f->n[0].has_body);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_TERMINATED);
	assert_true(sip_str_eq(ss->reason, SIP_STR("timeout")));
	assert_false(sip_msg_has(f->n[0].msg, SIP_HDR_CONTENT_TYPE));
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_LENGTH, "0");
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, now_tag);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_star_then_plain_refresh_wakes(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = "*", .cseq = 2 });
	sip_msg_free(r);
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* Without Suppress-If-Match the subscriber sees plain RFC 6665 again. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .cseq = 3 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	assert_non_null(strstr(f->n[0].msg->body.p, "closed"));
	fx_clear(f);
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
}

static void test_out_of_dialog_match_bodyless(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;
	const struct sip_subscription_state *ss;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* Resuming (RFC 5839 5.5): a new dialog with the tag last seen. Never 204
	 * outside a dialog (6.3): 200 and a NOTIFY with the body suppressed (6.2). */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "call-2@192.0.2.10", .from_tag = "b2",
					      .expires = 600, .sim = etag });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "600");
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_false(f->n[0].has_body);
	assert_false(sip_msg_has(f->n[0].msg, SIP_HDR_CONTENT_TYPE));
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_LENGTH, "0");
	assert_int_equal(f->n[0].msg->body.len, 0);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, etag);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_ACTIVE);
	assert_int_equal(sip_events_sub_count(f->ev), 2);
}

static void test_out_of_dialog_stale_full(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64], e2[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	fx_clear(f);
	/* Condition false (the state changed): 200 and the full state with its tag. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "call-3@192.0.2.10", .from_tag = "c3",
					      .expires = 600, .sim = etag });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_TYPE, "application/pidf+xml");
	fx_etag(f->n[0].msg, e2, sizeof(e2));
	assert_string_not_equal(e2, etag);
	assert_non_null(strstr(f->n[0].msg->body.p, "<basic>closed</basic>"));
}

static void test_fetch_match_and_not(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;
	const struct sip_subscription_state *ss;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* Polling (RFC 5839 5.4): Expires 0 with the current tag: 200, one terminated
	 * NOTIFY without body, same tag, and no subscription left. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "poll-1", .from_tag = "p1", .expires = 0, .sim = etag });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "0");
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_false(f->n[0].has_body);
	assert_true(f->n[0].terminated);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_LENGTH, "0");
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, etag);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_TERMINATED);
	assert_true(sip_str_eq(ss->reason, SIP_STR("timeout")));
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	fx_clear(f);
	/* A fetch with a stale tag gets the state. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "poll-2", .from_tag = "p2", .expires = 0,
					      .sim = "0000stale" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, etag);
	assert_non_null(strstr(f->n[0].msg->body.p, "<basic>open</basic>"));
	fx_clear(f);
	/* Fetch with "*": body-less too. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "poll-3", .from_tag = "p3", .expires = 0, .sim = "*" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_false(f->n[0].has_body);
	assert_int_equal(sip_events_sub_count(f->ev), 1);
}

static void test_inline_unsubscribe_match_204(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* RFC 5839 5.7: Expires 0 with a true condition: 204 concludes it, no NOTIFY. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 0, .sim = etag, .cseq = 2 });
	assert_int_equal(r->status, 204);
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	assert_int_equal(f->sub_dels, 1);
}

static void test_match_holds_state_change_bodyless(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .sim = etag, .cseq = 2 });
	sip_msg_free(r);
	/* RFC 5839 6.2: condition true, a reportable header change (the subscription
	 * ends): the NOTIFY goes, its body does not, the tag is unchanged. */
	f->now += 601;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 1);
	assert_false(f->n[0].has_body);
	assert_true(f->n[0].terminated);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, etag);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_LENGTH, "0");
}

static void test_plain_subscriber_rfc6665(void **state)
{
	struct fx *f = *state;
	char totag[64], etag[64];
	struct sip_msg *r;

	establish(f, totag, sizeof(totag), etag, sizeof(etag));
	/* No Suppress-If-Match: a refresh is 200 and a full NOTIFY, which carries
	 * SIP-ETag like every NOTIFY. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .cseq = 2 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_SIP_ETAG, etag);
}

static void test_tags_never_star_and_distinct(void **state)
{
	struct fx *f = *state;
	char seen[20][64];
	struct sip_msg *r;

	/* Notification tags change with every state and never equal "*" or a
	 * publication tag (separate spaces, RFC 5839 6.1). */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600 });
	sip_msg_free(r);
	fx_clear(f);
	for (int i = 0; i < 10; i++) {
		char ptag[64];

		r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = i % 2 ? FX_PIDF_OPEN : FX_PIDF_CLOSED,
						    .ifmatch = i ? seen[2 * i - 1] : NULL });
		assert_int_equal(r->status, 200);
		fx_etag(r, ptag, sizeof(ptag));
		sip_msg_free(r);
		assert_int_equal(f->nn, 1);
		fx_etag(f->n[0].msg, seen[2 * i], sizeof(seen[0]));
		strcpy(seen[2 * i + 1], ptag);
		fx_clear(f);
	}
	for (int i = 0; i < 20; i++) {
		assert_string_not_equal(seen[i], "*");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(seen[i], seen[j]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inline_refresh_match_204, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inline_refresh_stale_tag_200, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_match_then_state_change_notifies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_star_sleeps, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_star_then_plain_refresh_wakes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_dialog_match_bodyless, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_out_of_dialog_stale_full, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_fetch_match_and_not, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inline_unsubscribe_match_204, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_match_holds_state_change_bodyless, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plain_subscriber_rfc6665, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_tags_never_star_and_distinct, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The dialog (RFC 4235), message-summary (RFC 3842) and reg (RFC 3680) packages:
 * every body is parsed back (libxml2 for XML) and its values checked. */
#include "events_fixture.h"
#include "xml_check.h"

static void test_dialog_full_and_partial(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_str body;
	char buf[128], totag[64];
	struct sip_events_dialog d = {
		.id = SIP_STR("d1"), .call_id = SIP_STR("abc@192.0.2.5"), .local_tag = SIP_STR("lt1"),
		.remote_tag = SIP_STR("rt1"), .state = SIP_EVENTS_DLG_EARLY, .initiator = false,
		.local_identity = SIP_STR("sip:bob@example.com"),
		.remote_identity = SIP_STR("sip:alice@example.com"), .remote_display = SIP_STR("Alice & Co"),
	};

	/* Initial SUBSCRIBE: full state, version 0, no dialogs. */
	r = fx_subscribe(f, &(struct fx_sub){ .event = "dialog", .expires = 600 });
	assert_int_equal(r->status, 200);
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_TYPE, "application/dialog-info+xml");
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/d:dialog-info/@version)"), 0);
	assert_string_equal(xml_string(body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "full");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/@entity)", buf, sizeof(buf)), "sip:bob@example.com");
	assert_int_equal(xml_number(body, "count(/d:dialog-info/d:dialog)"), 0);
	fx_clear(f);
	/* Ringing (early), incoming: partial, version 1. */
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	assert_int_equal(f->nn, 1);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/d:dialog-info/@version)"), 1);
	assert_string_equal(xml_string(body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "partial");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/@id)", buf, sizeof(buf)), "d1");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/@direction)", buf, sizeof(buf)), "recipient");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/@call-id)", buf, sizeof(buf)), "abc@192.0.2.5");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:state)", buf, sizeof(buf)), "early");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:remote/d:identity)", buf, sizeof(buf)),
			    "sip:alice@example.com");
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:remote/d:identity/@display)", buf,
				       sizeof(buf)), "Alice & Co");
	fx_clear(f);
	/* Confirmed: version 2. */
	d.state = SIP_EVENTS_DLG_CONFIRMED;
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/d:dialog-info/@version)"), 2);
	assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:state)", buf, sizeof(buf)), "confirmed");
	fx_clear(f);
	/* A second watcher gets full state with its own version 0. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "w2", .from_tag = "w2", .event = "dialog", .expires = 600 });
	sip_msg_free(r);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/d:dialog-info/@version)"), 0);
	assert_string_equal(xml_string(body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "full");
	assert_int_equal(xml_number(body, "count(/d:dialog-info/d:dialog[@id='d1'])"), 1);
	fx_clear(f);
	/* A refresh of the first watcher: full state, version 3. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "dialog", .expires = 600, .cseq = 2 });
	sip_msg_free(r);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/d:dialog-info/@version)"), 3);
	assert_string_equal(xml_string(body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "full");
	fx_clear(f);
	/* Hang-up: terminated with the event, reported once, then gone. */
	d.state = SIP_EVENTS_DLG_TERMINATED;
	d.event = SIP_STR("remote-bye");
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	assert_int_equal(f->nn, 2);
	for (size_t i = 0; i < 2; i++) {
		body = f->n[i].msg->body;
		assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:state)", buf, sizeof(buf)),
				    "terminated");
		assert_string_equal(xml_string(body, "string(/d:dialog-info/d:dialog/d:state/@event)", buf, sizeof(buf)),
				    "remote-bye");
	}
	assert_int_equal(xml_number(f->n[0].msg->body, "number(/d:dialog-info/@version)") +
			 xml_number(f->n[1].msg->body, "number(/d:dialog-info/@version)"), 4 + 1);
	{
		struct sip_str ct;

		assert_int_equal(sip_events_body(f->ev, SIP_STR("sip:bob@example.com"), SIP_STR("dialog"), &ct, &body), 0);
		assert_int_equal(xml_number(body, "count(/d:dialog-info/d:dialog)"), 0);
	}
}

static void test_dialog_delta_only_for_holders(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char totag[64], etag[64], buf[64];
	struct sip_events_dialog d = { .id = SIP_STR("x"), .call_id = SIP_STR("c"), .local_tag = SIP_STR("l"),
				       .state = SIP_EVENTS_DLG_TRYING, .initiator = true };

	r = fx_subscribe(f, &(struct fx_sub){ .event = "dialog", .expires = 600 });
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	fx_etag(f->n[0].msg, etag, sizeof(etag));
	fx_clear(f);
	/* Asleep with "*", it misses a change... */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "dialog", .expires = 600, .sim = "*", .cseq = 2 });
	assert_int_equal(r->status, 204);
	sip_msg_free(r);
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	assert_int_equal(f->nn, 0);
	/* ...so when awake, the next change comes as full state (RFC 5839 6.4: a delta
	 * only to who holds the state it applies to). */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "dialog", .expires = 600, .sim = etag, .cseq = 3 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "full");
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/d:dialog-info/d:dialog/@direction)", buf, sizeof(buf)),
			    "initiator");
	fx_clear(f);
	d.state = SIP_EVENTS_DLG_PROCEEDING;
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "partial");
	/* A 204 on the current tag means the subscriber holds that state: the next
	 * change is a delta against it. */
	fx_etag(f->n[0].msg, etag, sizeof(etag));
	fx_clear(f);
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "dialog", .expires = 600, .sim = etag, .cseq = 4 });
	assert_int_equal(r->status, 204);
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	d.state = SIP_EVENTS_DLG_CONFIRMED;
	assert_int_equal(sip_events_dialog_update(f->ev, SIP_STR("sip:bob@example.com"), &d), 0);
	assert_int_equal(f->nn, 1);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/d:dialog-info/@state)", buf, sizeof(buf)), "partial");
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/d:dialog-info/d:dialog/d:state)", buf, sizeof(buf)),
			    "confirmed");
}

static void test_mwi_set_and_publish(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_events_mwi m = { .new_msgs = 2, .old_msgs = 8 };
	char body[512];

	assert_int_equal(sip_events_mwi_set(f->ev, SIP_STR("sip:alice@example.com"), &m), 0);
	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:alice@example.com", .event = "message-summary",
					      .expires = 600 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_TYPE, "application/simple-message-summary");
	sip_str_copy(body, sizeof(body), f->n[0].msg->body);
	assert_string_equal(body, "Messages-Waiting: yes\r\n"
				  "Message-Account: sip:alice@example.com\r\n"
				  "Voice-Message: 2/8 (0/0)\r\n");
	fx_clear(f);
	m.new_msgs = 0;
	m.old_msgs = 10;
	assert_int_equal(sip_events_mwi_set(f->ev, SIP_STR("sip:alice@example.com"), &m), 0);
	assert_int_equal(f->nn, 1);
	sip_str_copy(body, sizeof(body), f->n[0].msg->body);
	assert_non_null(strstr(body, "Messages-Waiting: no\r\n"));
	assert_non_null(strstr(body, "Voice-Message: 0/10 (0/0)\r\n"));
	fx_clear(f);
	/* The same state again: same entity, no NOTIFY. */
	assert_int_equal(sip_events_mwi_set(f->ev, SIP_STR("sip:alice@example.com"), &m), 0);
	assert_int_equal(f->nn, 0);
	/* PUBLISH of a message summary (RFC 3903 with RFC 3842 bodies). */
	r = fx_publish(f, &(struct fx_pub){ .ruri = "sip:alice@example.com", .event = "message-summary",
					    .expires = 600, .ctype = "application/simple-message-summary",
					    .body = "Messages-Waiting: yes\r\nVoice-Message: 3/1 (1/0)\r\n" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	sip_str_copy(body, sizeof(body), f->n[0].msg->body);
	assert_non_null(strstr(body, "Messages-Waiting: yes\r\n"));
	assert_non_null(strstr(body, "Voice-Message: 3/1 (1/0)\r\n"));
	/* A malformed summary is 400. */
	r = fx_publish(f, &(struct fx_pub){ .ruri = "sip:alice@example.com", .event = "message-summary",
					    .expires = 600, .ctype = "application/simple-message-summary",
					    .body = "Voice-Message: 3/1\r\n" });
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
	r = fx_publish(f, &(struct fx_pub){ .ruri = "sip:alice@example.com", .event = "message-summary",
					    .expires = 600, .ctype = "application/simple-message-summary",
					    .body = "Messages-Waiting: yes\r\nVoice-Message: x/1\r\n" });
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
}

static void test_reg_full_and_partial(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_str body;
	char buf[128], regid[64];
	struct sip_events_reg_contact c = {
		.uri = SIP_STR("sip:joe@pc34.example.com"), .active = true, .event = SIP_STR("registered"),
		.expires = 3600, .q = 800, .call_id = SIP_STR("88askjda9@pc34"), .cseq = 9976,
	};

	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:joe@example.com", .event = "reg", .expires = 600 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	/* RFC 3680 6: no binding: state init, version 0, full. */
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTENT_TYPE, "application/reginfo+xml");
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/r:reginfo/@version)"), 0);
	assert_string_equal(xml_string(body, "string(/r:reginfo/@state)", buf, sizeof(buf)), "full");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@aor)", buf, sizeof(buf)),
			    "sip:joe@example.com");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@state)", buf, sizeof(buf)), "init");
	xml_string(body, "string(/r:reginfo/r:registration/@id)", regid, sizeof(regid));
	assert_true(strlen(regid) > 0);
	fx_clear(f);
	/* REGISTER: partial, version 1, registration active with the contact. */
	assert_int_equal(sip_events_reg_update(f->ev, SIP_STR("sip:joe@example.com"), &c), 0);
	assert_int_equal(f->nn, 1);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/r:reginfo/@version)"), 1);
	assert_string_equal(xml_string(body, "string(/r:reginfo/@state)", buf, sizeof(buf)), "partial");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@state)", buf, sizeof(buf)), "active");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@id)", buf, sizeof(buf)), regid);
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/r:uri)", buf, sizeof(buf)),
			    "sip:joe@pc34.example.com");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/@event)", buf, sizeof(buf)),
			    "registered");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/@state)", buf, sizeof(buf)),
			    "active");
	assert_int_equal(xml_number(body, "number(/r:reginfo/r:registration/r:contact/@expires)"), 3600);
	assert_int_equal(xml_number(body, "number(/r:reginfo/r:registration/r:contact/@cseq)"), 9976);
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/@q)", buf, sizeof(buf)), "0.800");
	fx_clear(f);
	/* Expired: contact terminated, registration terminated (no other contact). */
	c.active = false;
	c.event = SIP_STR("expired");
	assert_int_equal(sip_events_reg_update(f->ev, SIP_STR("sip:joe@example.com"), &c), 0);
	body = f->n[0].msg->body;
	assert_int_equal(xml_number(body, "number(/r:reginfo/@version)"), 2);
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@state)", buf, sizeof(buf)), "terminated");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/@state)", buf, sizeof(buf)),
			    "terminated");
	assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/r:contact/@event)", buf, sizeof(buf)),
			    "expired");
	{
		struct sip_str ct;

		assert_int_equal(sip_events_body(f->ev, SIP_STR("sip:joe@example.com"), SIP_STR("reg"), &ct, &body), 0);
		assert_string_equal(xml_string(body, "string(/r:reginfo/r:registration/@state)", buf, sizeof(buf)), "init");
		assert_int_equal(xml_number(body, "count(//r:contact)"), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dialog_full_and_partial, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dialog_delta_only_for_holders, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_mwi_set_and_publish, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_reg_full_and_partial, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

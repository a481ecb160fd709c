/* RFC 3903 PUBLISH in the notifier core and PIDF composition (RFC 3863/3856):
 * create, refresh, modify, remove, 412, 489, 423, 415, 400, expiry, tuples merged
 * with the newest winning, and the 'closed' document without publications. */
#include "events_fixture.h"
#include "xml_check.h"

static const char PIDF_T2[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@example.com\">"
	"<tuple id=\"t2\"><status><basic>open</basic></status><contact>sip:bob@mobile.example.com</contact></tuple>"
	"</presence>";

static const char PIDF_T1_CLOSED_T2[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<impp:presence xmlns:impp=\"urn:ietf:params:xml:ns:pidf\" entity=\"pres:bob@example.com\">"
	"<impp:tuple id=\"t1\"><impp:status><impp:basic>closed</impp:basic></impp:status></impp:tuple>"
	"<impp:tuple id=\"t2\"><impp:status><impp:basic>open</impp:basic></impp:status></impp:tuple>"
	"<impp:note>in a meeting</impp:note>"
	"</impp:presence>";

static struct sip_str current_body(struct fx *f)
{
	struct sip_str ct, body;

	assert_int_equal(sip_events_body(f->ev, SIP_STR("sip:bob@example.com"), SIP_STR("presence"), &ct, &body), 0);
	assert_true(sip_str_eq(ct, SIP_STR("application/pidf+xml")));
	return body;
}

static void test_publish_lifecycle(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char t1[64], t2[64], t3[64], buf[64];

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 3600 });
	sip_msg_free(r);
	fx_clear(f);
	/* Initial: 200 with SIP-ETag and Expires; subscribers notified. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 1800, .body = FX_PIDF_OPEN });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "1800");
	fx_etag(r, t1, sizeof(t1));
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/p:presence/p:tuple[@id='t1']/p:status/p:basic)",
				       buf, sizeof(buf)), "open");
	assert_int_equal(f->pub_puts, 1);
	fx_clear(f);
	/* Refresh: SIP-If-Match, no body: a new tag, no NOTIFY (RFC 3903 4.3). */
	f->now += 1000;
	r = fx_publish(f, &(struct fx_pub){ .expires = 1800, .ifmatch = t1 });
	assert_int_equal(r->status, 200);
	fx_etag(r, t2, sizeof(t2));
	assert_string_not_equal(t1, t2);
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* The old tag is gone. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 1800, .ifmatch = t1 });
	assert_int_equal(r->status, 412);
	sip_msg_free(r);
	/* The refresh extended it past the first expiry. */
	f->now += 1000;
	sip_events_run_timers(f->ev);
	assert_int_equal(sip_events_pub_count(f->ev), 1);
	/* Modify: SIP-If-Match and a body. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 1800, .ifmatch = t2, .body = FX_PIDF_CLOSED });
	assert_int_equal(r->status, 200);
	fx_etag(r, t3, sizeof(t3));
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/p:presence/p:tuple[@id='t1']/p:status/p:basic)",
				       buf, sizeof(buf)), "closed");
	fx_clear(f);
	/* Remove: Expires 0: state gone, back to the neutral document. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 0, .ifmatch = t3 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "0");
	sip_msg_free(r);
	assert_int_equal(sip_events_pub_count(f->ev), 0);
	assert_int_equal(f->pub_dels, 1);
	assert_int_equal(f->nn, 1);
	assert_int_equal(xml_number(f->n[0].msg->body, "count(/p:presence/p:tuple[@id='t1'])"), 0);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/p:presence/p:tuple/p:status/p:basic)",
				       buf, sizeof(buf)), "closed");
	r = fx_publish(f, &(struct fx_pub){ .expires = 1800, .ifmatch = t3 });
	assert_int_equal(r->status, 412);
	sip_msg_free(r);
}

static void test_publish_errors(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;

	/* 412 for a tag never given. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 600, .ifmatch = "nope" });
	assert_int_equal(r->status, 412);
	sip_msg_free(r);
	/* 489 for an unknown package, and for packages fed only from inside. */
	r = fx_publish(f, &(struct fx_pub){ .event = "weather", .expires = 600, .body = FX_PIDF_OPEN });
	assert_int_equal(r->status, 489);
	assert_true(sip_msg_has(r, SIP_HDR_ALLOW_EVENTS));
	sip_msg_free(r);
	r = fx_publish(f, &(struct fx_pub){ .event = "dialog", .expires = 600, .body = FX_PIDF_OPEN });
	assert_int_equal(r->status, 489);
	sip_msg_free(r);
	/* 423 with Min-Expires. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 10, .body = FX_PIDF_OPEN });
	assert_int_equal(r->status, 423);
	fx_assert_hdr(r, SIP_HDR_MIN_EXPIRES, "60");
	sip_msg_free(r);
	/* 415 for a body of another type (RFC 3903 6 step 5). */
	r = fx_publish(f, &(struct fx_pub){ .expires = 600, .ctype = "text/plain", .body = "open" });
	assert_int_equal(r->status, 415);
	fx_assert_hdr(r, SIP_HDR_ACCEPT, "application/pidf+xml");
	sip_msg_free(r);
	/* 400 for an initial PUBLISH without body. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 600 });
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
	assert_int_equal(sip_events_pub_count(f->ev), 0);
	assert_int_equal(f->nn, 0);
}

static void test_invalid_pidf_400(void **state)
{
	struct fx *f = *state;
	static const char *const bad[] = {
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:b@x\"><tuple id=\"a\">",
		"not xml at all",
		/* wrong namespace */
		"<presence xmlns=\"urn:example\" entity=\"sip:b@x\"/>",
		/* no entity */
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\"/>",
		/* tuple without id */
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:b@x\"><tuple><status><basic>open</basic></status></tuple></presence>",
		/* tuple without status */
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:b@x\"><tuple id=\"a\"/></presence>",
		/* empty status */
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:b@x\"><tuple id=\"a\"><status/></tuple></presence>",
		/* basic neither open nor closed */
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:b@x\"><tuple id=\"a\"><status><basic>maybe</basic></status></tuple></presence>",
		/* the text "<basic>open</basic>" in a comment does not make a document */
		"<!-- <presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"x\"><tuple id=\"a\"><status><basic>open</basic></status></tuple></presence> --><x/>",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sip_msg *r = fx_publish(f, &(struct fx_pub){ .expires = 600, .body = bad[i] });

		assert_int_equal(r->status, 400);
		sip_msg_free(r);
		assert_int_equal(sip_pidf_validate(sip_str_from_cstr(bad[i])), SIP_EPARSE);
	}
	assert_int_equal(sip_events_pub_count(f->ev), 0);
	assert_int_equal(sip_pidf_validate(sip_str_from_cstr(FX_PIDF_OPEN)), 0);
	assert_int_equal(sip_pidf_validate(sip_str_from_cstr(PIDF_T1_CLOSED_T2)), 0);
}

static void test_expired_tag_412(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char t1[64];

	r = fx_publish(f, &(struct fx_pub){ .expires = 120, .body = FX_PIDF_OPEN });
	fx_etag(r, t1, sizeof(t1));
	sip_msg_free(r);
	assert_int_equal(f->timer, f->now + 120);
	f->now += 121;
	sip_events_run_timers(f->ev);
	assert_int_equal(sip_events_pub_count(f->ev), 0);
	assert_int_equal(f->pub_dels, 1);
	r = fx_publish(f, &(struct fx_pub){ .expires = 120, .ifmatch = t1 });
	assert_int_equal(r->status, 412);
	sip_msg_free(r);
}

static void test_expiry_notifies(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char buf[64];

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 3600 });
	sip_msg_free(r);
	r = fx_publish(f, &(struct fx_pub){ .expires = 120, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	fx_clear(f);
	f->now += 120;
	sip_events_run_timers(f->ev);
	/* The publication expired: subscribers learn the presentity is closed. */
	assert_int_equal(f->nn, 1);
	assert_string_equal(xml_string(f->n[0].msg->body, "string(/p:presence/p:tuple/p:status/p:basic)",
				       buf, sizeof(buf)), "closed");
}

static void test_no_publication_closed(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_str body;
	char buf[128];

	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:dave@example.com", .expires = 600 });
	sip_msg_free(r);
	body = f->n[0].msg->body;
	assert_int_equal(sip_pidf_validate(body), 0);
	assert_string_equal(xml_string(body, "string(/p:presence/@entity)", buf, sizeof(buf)), "sip:dave@example.com");
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple)"), 1);
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple/p:status/p:basic)", buf, sizeof(buf)), "closed");
}

static void test_composition_newest_wins(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_str body;
	char ta[64], tb[64], buf[128];

	/* Two devices publish for one presentity: tuples merged. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	fx_etag(r, ta, sizeof(ta));
	sip_msg_free(r);
	f->now += 1;
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = PIDF_T2 });
	fx_etag(r, tb, sizeof(tb));
	sip_msg_free(r);
	body = current_body(f);
	assert_int_equal(sip_pidf_validate(body), 0);
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple)"), 2);
	assert_string_equal(xml_string(body, "string(/p:presence/@entity)", buf, sizeof(buf)), "sip:bob@example.com");
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple[@id='t1']/p:contact)", buf, sizeof(buf)),
			    "sip:bob@pc.example.com");
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple[@id='t2']/p:contact)", buf, sizeof(buf)),
			    "sip:bob@mobile.example.com");
	/* B now also reports t1 (closed), with a prefixed namespace and a note: the
	 * newest wins per tuple id, the entity stays the presentity. */
	f->now += 1;
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .ifmatch = tb, .body = PIDF_T1_CLOSED_T2 });
	assert_int_equal(r->status, 200);
	fx_etag(r, tb, sizeof(tb));
	sip_msg_free(r);
	body = current_body(f);
	assert_int_equal(sip_pidf_validate(body), 0);
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple)"), 2);
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple[@id='t1'])"), 1);
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple[@id='t1']/p:status/p:basic)", buf, sizeof(buf)),
			    "closed");
	assert_string_equal(xml_string(body, "string(/p:presence/p:note)", buf, sizeof(buf)), "in a meeting");
	assert_string_equal(xml_string(body, "string(/p:presence/@entity)", buf, sizeof(buf)), "sip:bob@example.com");
	/* A modifies: A is now the newest: t1 open again, t2 still from B. */
	f->now += 1;
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .ifmatch = ta, .body = FX_PIDF_OPEN });
	fx_etag(r, ta, sizeof(ta));
	sip_msg_free(r);
	body = current_body(f);
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple[@id='t1']/p:status/p:basic)", buf, sizeof(buf)),
			    "open");
	assert_string_equal(xml_string(body, "string(/p:presence/p:tuple[@id='t2']/p:status/p:basic)", buf, sizeof(buf)),
			    "open");
	/* B removed: its tuples go, A's stay. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 0, .ifmatch = tb });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	body = current_body(f);
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple)"), 1);
	assert_int_equal(xml_number(body, "count(/p:presence/p:tuple[@id='t1'])"), 1);
	assert_int_equal(xml_number(body, "count(/p:presence/p:note)"), 0);
}

static void test_pub_and_notify_tags_separate(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char pt[64], nt[64];
	struct sip_str cur;

	r = fx_publish(f, &(struct fx_pub){ .expires = 600, .body = FX_PIDF_OPEN });
	fx_etag(r, pt, sizeof(pt));
	sip_msg_free(r);
	assert_int_equal(sip_events_etag(f->ev, SIP_STR("sip:bob@example.com"), SIP_STR("presence"), &cur), 0);
	sip_str_copy(nt, sizeof(nt), cur);
	assert_string_not_equal(pt, nt);
	/* A notification tag is not a publication tag (RFC 5839 4): 412. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 600, .ifmatch = nt });
	assert_int_equal(r->status, 412);
	sip_msg_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_publish_lifecycle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_publish_errors, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_invalid_pidf_400, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expired_tag_412, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiry_notifies, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_no_publication_closed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_composition_newest_wins, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pub_and_notify_tags_separate, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* RFC 6665 subscriptions in the notifier core: 200 (never 202) and the immediate
 * NOTIFY, 489, 423, 481, 603, pending, expiry on a manual clock, unsubscribe,
 * NOTIFY failures, several subscriptions in one dialog, route set, restore. */
#include "events_fixture.h"

static void test_subscribe_200_and_notify(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r, *n;
	const struct sip_subscription_state *ss;
	const struct sip_cseq *cs;
	const struct sip_event *ev;
	const struct sip_addr *from, *to;
	char totag[64];

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "600");
	/* Our Contact is the address the SUBSCRIBE arrived on (RFC 3261 12.1.1), not
	 * the configured domain one, so refreshes reach this notifier. */
	fx_assert_hdr(r, SIP_HDR_CONTACT, "<sip:192.0.2.1:5060>");
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	n = f->n[0].msg;
	assert_true(n->is_request);
	assert_int_equal(n->method, SIP_METHOD_NOTIFY);
	assert_true(sip_str_eq(n->ruri_str, SIP_STR("sip:alice@192.0.2.10:5060")));
	fx_assert_hdr(n, SIP_HDR_CONTACT, "<sip:192.0.2.1:5060>");
	assert_string_equal(f->n[0].next_hop, "sip:alice@192.0.2.10:5060");
	assert_int_equal(sip_msg_subscription_state(n, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_ACTIVE);
	assert_true(ss->expires >= 0);
	assert_int_equal(ss->expires, 600);
	assert_int_equal(sip_msg_event(n, &ev), 0);
	assert_true(sip_str_eq(ev->package, SIP_STR("presence")));
	assert_int_equal(sip_msg_from(n, &from), 0);
	assert_int_equal(sip_msg_to(n, &to), 0);
	assert_true(sip_str_eq(from->tag, sip_str_from_cstr(totag)));
	assert_true(sip_str_eq(to->tag, SIP_STR("a1")));
	assert_true(sip_str_eq(to->uri_str, SIP_STR("sip:alice@example.com")));
	assert_int_equal(sip_msg_cseq(n, &cs), 0);
	assert_int_equal(cs->method, SIP_METHOD_NOTIFY);
	/* No publication yet: a valid neutral 'closed' document, with its tag. */
	fx_assert_hdr(n, SIP_HDR_CONTENT_TYPE, "application/pidf+xml");
	assert_int_equal(sip_pidf_validate(n->body), 0);
	assert_non_null(strstr(n->body.p, "closed"));
	assert_true(sip_msg_has(n, SIP_HDR_SIP_ETAG));
	assert_int_equal(f->sub_puts, 1);
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	assert_int_equal(f->timer, f->now + 600);
}

static void test_bad_event_489(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;

	r = fx_subscribe(f, &(struct fx_sub){ .event = "conference", .expires = 600 });
	assert_int_equal(r->status, 489);
	assert_true(sip_msg_has_token(r, SIP_HDR_ALLOW_EVENTS, SIP_STR("presence")));
	assert_true(sip_msg_has_token(r, SIP_HDR_ALLOW_EVENTS, SIP_STR("dialog")));
	assert_true(sip_msg_has_token(r, SIP_HDR_ALLOW_EVENTS, SIP_STR("message-summary")));
	assert_true(sip_msg_has_token(r, SIP_HDR_ALLOW_EVENTS, SIP_STR("reg")));
	sip_msg_free(r);
	/* Event types compare byte by byte (RFC 6665 8.2.1). */
	r = fx_subscribe(f, &(struct fx_sub){ .event = "Presence", .expires = 600 });
	assert_int_equal(r->status, 489);
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_interval_too_brief_423(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 30 });
	assert_int_equal(r->status, 423);
	fx_assert_hdr(r, SIP_HDR_MIN_EXPIRES, "60");
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* Too long is shortened, never refused (RFC 6665 4.2.1.1). */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 100000 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "7200");
	sip_msg_free(r);
	/* Absent: the package default (RFC 3856 6.4: 3600). */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "c2", .expires = -1 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "3600");
	sip_msg_free(r);
}

static void test_unknown_subscription_481(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char totag[64];

	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = "nosuchtag", .expires = 600, .cseq = 2 });
	assert_int_equal(r->status, 481);
	sip_msg_free(r);
	/* Known dialog, wrong From tag: not that dialog. */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600 });
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .from_tag = "other", .expires = 600, .cseq = 2 });
	assert_int_equal(r->status, 481);
	sip_msg_free(r);
}

static void test_blocked_watcher_603(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;

	f->blocked = "sip:mallory@example.com";
	r = fx_subscribe(f, &(struct fx_sub){ .from = "sip:mallory@example.com", .expires = 600 });
	assert_int_equal(r->status, 603);
	{
		const struct sip_reason *rs;

		assert_int_equal(sip_msg_reason(r, &rs), 0);
		assert_true(sip_str_eq(rs->protocol, SIP_STR("SIP")));
		assert_int_equal(rs->cause, 603);
	}
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	/* Others are still welcome. */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
}

static void test_pending_then_granted(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	const struct sip_subscription_state *ss;
	char pend_tag[64], act_tag[64];

	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	f->pending = "sip:carol@example.com";
	r = fx_subscribe(f, &(struct fx_sub){ .from = "sip:carol@example.com", .expires = 600 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_PENDING);
	assert_int_equal(ss->expires, 600);
	/* Nothing of the state leaks to a pending watcher. */
	assert_false(f->n[0].has_body);
	fx_etag(f->n[0].msg, pend_tag, sizeof(pend_tag));
	fx_clear(f);
	/* State changes are not sent to it. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_CLOSED });
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	/* Approved: active with the state. */
	assert_int_equal(sip_events_policy_changed(f->ev, SIP_STR("sip:bob@example.com"),
						   SIP_STR("sip:carol@example.com"), SIP_EVENTS_ALLOW), 1);
	assert_int_equal(f->nn, 1);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_ACTIVE);
	assert_true(f->n[0].has_body);
	fx_etag(f->n[0].msg, act_tag, sizeof(act_tag));
	assert_string_not_equal(pend_tag, act_tag);
	fx_clear(f);
	/* Then blocked: terminated;reason=rejected, no body, gone. */
	assert_int_equal(sip_events_policy_changed(f->ev, SIP_STR("sip:bob@example.com"),
						   SIP_STR("sip:carol@example.com"), SIP_EVENTS_REJECT), 1);
	assert_int_equal(f->nn, 1);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_TERMINATED);
	assert_true(sip_str_eq(ss->reason, SIP_STR("rejected")));
	assert_false(f->n[0].has_body);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_expiry_manual_clock(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	const struct sip_subscription_state *ss;

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 120 });
	sip_msg_free(r);
	fx_clear(f);
	assert_int_equal(f->timer, f->now + 120);
	f->now += 119;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 0);
	f->now += 1;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].terminated);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_TERMINATED);
	assert_true(sip_str_eq(ss->reason, SIP_STR("timeout")));
	assert_int_equal(ss->expires, -1);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	assert_int_equal(f->sub_dels, 1);
	assert_true(f->sub_rec_removed);
	assert_int_equal(f->timer, INT64_MAX);
}

static void test_refresh_extends_and_unsubscribe(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	const struct sip_subscription_state *ss;
	const struct sip_cseq *c1, *c2;
	char totag[64];

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 120, .cseq = 1 });
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	f->now += 100;
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 300, .cseq = 2 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "300");
	sip_msg_free(r);
	assert_int_equal(f->nn, 2);
	assert_int_equal(sip_msg_cseq(f->n[0].msg, &c1), 0);
	assert_int_equal(sip_msg_cseq(f->n[1].msg, &c2), 0);
	assert_int_equal(c2->seq, c1->seq + 1);
	assert_int_equal(sip_msg_subscription_state(f->n[1].msg, &ss), 0);
	assert_int_equal(ss->expires, 300);
	fx_clear(f);
	f->now += 100;
	sip_events_run_timers(f->ev);
	assert_int_equal(f->nn, 0);
	/* An out-of-order CSeq is refused (RFC 3261 12.2.2). */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 300, .cseq = 1 });
	assert_int_equal(r->status, 500);
	sip_msg_free(r);
	/* Unsubscribe: 200, final NOTIFY terminated;reason=timeout with the state. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 0, .cseq = 3 });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_EXPIRES, "0");
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].terminated);
	assert_true(f->n[0].has_body);
	assert_int_equal(sip_msg_subscription_state(f->n[0].msg, &ss), 0);
	assert_int_equal(ss->state, SIP_SUBSTATE_TERMINATED);
	assert_true(sip_str_eq(ss->reason, SIP_STR("timeout")));
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	/* And the dialog is gone. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 300, .cseq = 4 });
	assert_int_equal(r->status, 481);
	sip_msg_free(r);
}

static void test_notify_481_ends_subscription(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	uint64_t id;

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600 });
	sip_msg_free(r);
	id = f->n[0].sub_id;
	fx_clear(f);
	/* 200 keeps it. */
	assert_int_equal(sip_events_notify_result(f->ev, id, 200), 0);
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	assert_int_equal(sip_events_notify_result(f->ev, id, 481), 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	assert_int_equal(f->sub_dels, 1);
	/* Nothing more is sent to it. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_notify_result(f->ev, id, 200), SIP_ENOTFOUND);
	/* A timeout (408) ends one too. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "c9", .expires = 600 });
	sip_msg_free(r);
	id = f->n[0].sub_id;
	assert_int_equal(sip_events_notify_result(f->ev, id, 408), 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_two_subscriptions_one_dialog(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	const struct sip_event *ev;
	const struct sip_cseq *cs;
	char totag[64];
	uint32_t last = 0;

	r = fx_subscribe(f, &(struct fx_sub){ .event = "presence;id=1", .expires = 600, .cseq = 1 });
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	/* Same dialog, another id: a second subscription sharing the dialog (RFC 6665
	 * 4.5.2), matched by Event id (8.2.1). */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "presence;id=2", .expires = 600, .cseq = 2 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(sip_events_sub_count(f->ev), 2);
	assert_int_equal(f->nn, 2);
	assert_int_equal(sip_msg_event(f->n[1].msg, &ev), 0);
	assert_true(sip_str_eq(ev->id, SIP_STR("2")));
	fx_clear(f);
	/* One state change: one NOTIFY each, CSeqs increasing in the shared dialog. */
	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	assert_int_equal(f->nn, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(sip_msg_cseq(f->n[i].msg, &cs), 0);
		assert_true(cs->seq > last);
		last = cs->seq;
	}
	fx_clear(f);
	/* Unsubscribing id=1 leaves id=2. */
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "presence;id=1", .expires = 0, .cseq = 3 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(sip_msg_event(f->n[0].msg, &ev), 0);
	assert_true(sip_str_eq(ev->id, SIP_STR("1")));
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	/* Without id it is not the same subscription: a new one in the dialog. */
	fx_clear(f);
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .event = "presence", .expires = 600, .cseq = 4 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(sip_events_sub_count(f->ev), 2);
}

static void test_route_set_and_accept(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	const struct sip_addr *rt;

	r = fx_subscribe(f, &(struct fx_sub){
		.expires = 600,
		.extra = "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\n" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	/* RFC 3261 12.1.1: the UAS route set is the Record-Route in order. */
	assert_int_equal(sip_msg_route_count(f->n[0].msg), 2);
	assert_int_equal(sip_msg_route(f->n[0].msg, 0, &rt), 0);
	assert_true(sip_str_eq(rt->uri_str, SIP_STR("sip:p1.example.com;lr")));
	assert_int_equal(sip_msg_route(f->n[0].msg, 1, &rt), 0);
	assert_true(sip_str_eq(rt->uri_str, SIP_STR("sip:p2.example.com;lr")));
	assert_string_equal(f->n[0].next_hop, "sip:p1.example.com;lr");
	fx_clear(f);
	/* Accept without the package's type: 406. */
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "c5", .expires = 600, .extra = "Accept: text/plain\n" });
	assert_int_equal(r->status, 406);
	sip_msg_free(r);
	r = fx_subscribe(f, &(struct fx_sub){ .call_id = "c6", .expires = 600,
					      .extra = "Accept: text/plain, application/pidf+xml\n" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
}

static void test_missing_event_and_contact(void **state)
{
	struct fx *f = *state;
	struct sip_events_req req = { 0 };
	struct sip_out *o = NULL;
	struct sip_msg *r;

	req.msg = fx_parse("SUBSCRIBE sip:bob@example.com SIP/2.0\n"
			   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx1\n"
			   "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>\n"
			   "Call-ID: ne\nCSeq: 1 SUBSCRIBE\nContact: <sip:a@192.0.2.10>\n", NULL);
	assert_int_equal(sip_events_subscribe(f->ev, &o, &req), 0);
	r = fx_resp(o);
	/* RFC 6665 4.2.3: no Event (no PINT here) is 489. */
	assert_int_equal(r->status, 489);
	sip_msg_free(r);
	sip_msg_free(req.msg);
	req.msg = fx_parse("SUBSCRIBE sip:bob@example.com SIP/2.0\n"
			   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx2\n"
			   "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>\n"
			   "Call-ID: nc\nCSeq: 1 SUBSCRIBE\nEvent: presence\n", NULL);
	assert_int_equal(sip_events_subscribe(f->ev, &o, &req), 0);
	r = fx_resp(o);
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
	sip_msg_free(req.msg);
	/* Not a SUBSCRIBE: the caller's mistake. */
	req.msg = fx_parse("OPTIONS sip:bob@example.com SIP/2.0\n"
			   "Via: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKx3\n"
			   "From: <sip:alice@example.com>;tag=a1\nTo: <sip:bob@example.com>\n"
			   "Call-ID: no\nCSeq: 1 OPTIONS\n", NULL);
	assert_int_equal(sip_events_subscribe(f->ev, &o, &req), -EINVAL);
	sip_msg_free(req.msg);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_restore_subscription(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	struct sip_events_sub_record rec;
	struct sip_events_pub_record prec;
	char subbuf[4096], pubbuf[4096];
	const struct sip_cseq *cs;
	const struct sip_addr *to;
	uint32_t cseq_before;
	uint64_t id;

	r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .body = FX_PIDF_OPEN });
	sip_msg_free(r);
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600,
					      .extra = "Record-Route: <sip:p1.example.com;lr>\n" });
	sip_msg_free(r);
	assert_int_equal(sip_msg_cseq(f->n[0].msg, &cs), 0);
	cseq_before = cs->seq;
	/* Keep the persisted records across a "restart". */
	memcpy(subbuf, f->sub_buf, sizeof(subbuf));
	memcpy(pubbuf, f->pub_buf, sizeof(pubbuf));
	rec = f->sub_rec;
	prec = f->pub_rec;
	{
		struct sip_str *fields[] = { &rec.call_id, &rec.local_tag, &rec.remote_tag, &rec.event, &rec.event_id,
					     &rec.resource, &rec.watcher, &rec.contact, &rec.route_set, &rec.local_uri,
					     &rec.remote_uri, &rec.accept, &rec.transport, &rec.dest, &rec.local,
					     &rec.last_etag, &rec.suppress_etag };
		struct sip_str *pf[] = { &prec.entity, &prec.event, &prec.etag, &prec.content_type, &prec.body };

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			fields[i]->p = subbuf + (fields[i]->p - f->sub_buf);
		for (size_t i = 0; i < sizeof(pf) / sizeof(pf[0]); i++)
			pf[i]->p = pubbuf + (pf[i]->p - f->pub_buf);
	}
	fx_stop(f);
	fx_start(f);
	f->now += 10;
	assert_int_equal(sip_events_restore_pub(f->ev, &prec), 0);
	assert_int_equal(sip_events_restore_sub(f->ev, &rec, &id), 0);
	assert_int_equal(sip_events_restore_sub(f->ev, &rec, NULL), -EEXIST);
	assert_int_equal(f->nn, 0);
	assert_int_equal(sip_events_sub_count(f->ev), 1);
	assert_int_equal(sip_events_pub_count(f->ev), 1);
	/* The timer resumes at the stored expiry. */
	assert_int_equal(f->timer, rec.expires_at);
	/* The restored publication is still refreshable by its tag. */
	{
		char ifm[64];

		sip_str_copy(ifm, sizeof(ifm), prec.etag);
		r = fx_publish(f, &(struct fx_pub){ .expires = 3600, .ifmatch = ifm, .body = FX_PIDF_CLOSED });
		assert_int_equal(r->status, 200);
		sip_msg_free(r);
	}
	/* The change reaches the restored subscription, in its dialog, with a CSeq
	 * above the old ones and the stored route set. */
	assert_int_equal(f->nn, 1);
	assert_int_equal(f->n[0].sub_id, id);
	assert_int_equal(sip_msg_cseq(f->n[0].msg, &cs), 0);
	assert_true(cs->seq > cseq_before);
	assert_int_equal(sip_msg_to(f->n[0].msg, &to), 0);
	assert_true(sip_str_eq(to->tag, SIP_STR("a1")));
	assert_int_equal(sip_msg_route_count(f->n[0].msg), 1);
	assert_string_equal(f->n[0].next_hop, "sip:p1.example.com;lr");
	assert_non_null(strstr(f->n[0].msg->body.p, "<basic>closed</basic>"));
	/* And its refresh in the old dialog is recognised. */
	fx_clear(f);
	{
		char totag[64];

		sip_str_copy(totag, sizeof(totag), rec.local_tag);
		r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .cseq = 5 });
		assert_int_equal(r->status, 200);
		sip_msg_free(r);
	}
	/* Expired records are dropped on restore. */
	fx_stop(f);
	fx_start(f);
	f->now = rec.expires_at + 1;
	assert_int_equal(sip_events_restore_sub(f->ev, &rec, NULL), 0);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
}

static void test_malformed_headers_400(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;
	char totag[64];

	r = fx_subscribe(f, &(struct fx_sub){ .expires = -1, .extra = "Expires: soon\n" });
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
	/* RFC 5839 7.3: one entity-tag or "*", not a list. */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600, .sim = "a, b" });
	assert_int_equal(r->status, 400);
	sip_msg_free(r);
	assert_int_equal(sip_events_sub_count(f->ev), 0);
	/* A Suppress-If-Match longer than any tag of ours can never match: plain. */
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600,
					      .sim = "0123456789abcdef0123456789abcdef0123456789abcdef" });
	assert_int_equal(r->status, 200);
	fx_to_tag(r, totag, sizeof(totag));
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_true(f->n[0].has_body);
	fx_clear(f);
	r = fx_subscribe(f, &(struct fx_sub){ .to_tag = totag, .expires = 600, .cseq = 2,
					      .sim = "0123456789abcdef0123456789abcdef0123456789abcdef" });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_true(f->n[0].has_body);
}

/* Our Contact follows the transport the SUBSCRIBE came on; a wildcard bind
 * (0.0.0.0, [::]) names no reachable address, so the configured Contact is used. */
static void test_contact_follows_arrival(void **state)
{
	struct fx *f = *state;
	struct sip_msg *r;

	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600, .transport = "TCP", .local = "[2001:db8::1]:5062",
					      .call_id = "c-tcp" });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_CONTACT, "<sip:[2001:db8::1]:5062;transport=tcp>");
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	fx_assert_hdr(f->n[0].msg, SIP_HDR_CONTACT, "<sip:[2001:db8::1]:5062;transport=tcp>");
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600, .local = "0.0.0.0:5060", .call_id = "c-any" });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_CONTACT, "<sip:ps.example.com:5060>");
	sip_msg_free(r);
	r = fx_subscribe(f, &(struct fx_sub){ .expires = 600, .local = "[::]:5060", .call_id = "c-any6" });
	assert_int_equal(r->status, 200);
	fx_assert_hdr(r, SIP_HDR_CONTACT, "<sip:ps.example.com:5060>");
	sip_msg_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subscribe_200_and_notify, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_event_489, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_interval_too_brief_423, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_subscription_481, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_blocked_watcher_603, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_pending_then_granted, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_expiry_manual_clock, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_refresh_extends_and_unsubscribe, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_notify_481_ends_subscription, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_two_subscriptions_one_dialog, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_route_set_and_accept, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_missing_event_and_contact, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_subscription, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_malformed_headers_400, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_contact_follows_arrival, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

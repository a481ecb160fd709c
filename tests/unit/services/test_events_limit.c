/* The events core's per-watcher subscription limit ([limits] subscriptions_per_user,
 * sip_events_config.max_subs_per_watcher): a new subscription beyond it gets 403
 * "Forbidden (too many subscriptions)", refreshes and fetches never do, and the
 * count follows every way a subscription ends (unsubscribe, expiry, NOTIFY
 * failure, rejection) and restore after a restart. */
#include "events_fixture.h"

#define LIMIT 2

static void fx_start_limited(struct fx *f, uint32_t limit)
{
	struct sip_events_config cfg = { .min_expires = 60, .max_expires = 7200,
					 .max_subs_per_watcher = limit,
					 .contact = SIP_STR("<sip:ps.example.com:5060>") };
	struct sip_events_ops ops = { .now = fx_now, .authorize = fx_authorize, .send_notify = fx_send,
				      .persist_sub = fx_persist_sub, .persist_pub = fx_persist_pub,
				      .set_timer = fx_set_timer, .arg = f };

	f->now = 1000000;
	f->timer = INT64_MAX;
	assert_int_equal(sip_events_alloc(&f->ev, &cfg, &ops), 0);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_start_limited(f, LIMIT);
	*state = f;
	return 0;
}

#define ALICE SIP_STR("sip:alice@example.com")

/* A new subscription of alice's to ruri in its own dialog: the response status. */
static int sub(struct fx *f, const char *ruri, const char *call_id, int expires, char *totag)
{
	struct sip_msg *r = fx_subscribe(f, &(struct fx_sub){ .ruri = ruri, .call_id = call_id,
							      .expires = expires });
	int st = r->status;

	if (st == 403)
		assert_true(sip_str_eq(r->reason, SIP_STR("Forbidden (too many subscriptions)")));
	if (totag)
		fx_to_tag(r, totag, 64);
	sip_msg_free(r);
	return st;
}

static void test_limit_and_release(void **state)
{
	struct fx *f = *state;
	char t1[64], t2[64];
	struct sip_msg *r;
	size_t puts;

	assert_int_equal(sub(f, "sip:bob@example.com", "c1", 600, t1), 200);
	assert_int_equal(sub(f, "sip:carol@example.com", "c2", 600, t2), 200);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 2);
	fx_clear(f);
	/* The third is refused: no state, no NOTIFY, nothing stored. */
	puts = f->sub_puts;
	assert_int_equal(sub(f, "sip:dave@example.com", "c3", 600, NULL), 403);
	assert_int_equal(f->nn, 0);
	assert_int_equal(f->sub_puts, puts);
	assert_int_equal(sip_events_sub_count(f->ev), 2);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 2);
	/* Another watcher has its own count. */
	r = fx_subscribe(f, &(struct fx_sub){ .from = "sip:zed@example.com", .call_id = "z1",
					      .expires = 600 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, SIP_STR("sip:zed@example.com")), 1);
	/* A refresh at the limit is never refused. */
	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:bob@example.com", .call_id = "c1",
					      .to_tag = t1, .expires = 900, .cseq = 2 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	/* Nor a fetch: it leaves no subscription. */
	assert_int_equal(sub(f, "sip:dave@example.com", "c4", 0, NULL), 200);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 2);
	/* Unsubscribe frees a place. */
	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:bob@example.com", .call_id = "c1",
					      .to_tag = t1, .expires = 0, .cseq = 3 });
	assert_int_equal(r->status, 200);
	sip_msg_free(r);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 1);
	assert_int_equal(sub(f, "sip:dave@example.com", "c5", 600, NULL), 200);
	assert_int_equal(sub(f, "sip:erin@example.com", "c6", 600, NULL), 403);
	/* A NOTIFY answered 481 ends one (RFC 6665 4.2.2): a place again. */
	fx_clear(f);
	r = fx_subscribe(f, &(struct fx_sub){ .ruri = "sip:carol@example.com", .call_id = "c2",
					      .to_tag = t2, .expires = 600, .cseq = 2 });
	sip_msg_free(r);
	assert_int_equal(f->nn, 1);
	assert_int_equal(sip_events_notify_result(f->ev, f->n[0].sub_id, 481), 0);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 1);
	assert_int_equal(sub(f, "sip:erin@example.com", "c7", 300, NULL), 200);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 2);
	/* Expiry: erin's (300 s) ends first, then dave's (600 s). */
	f->now += 301;
	sip_events_run_timers(f->ev);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 1);
	f->now += 300;
	sip_events_run_timers(f->ev);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 0);
	assert_int_equal(sub(f, "sip:bob@example.com", "c8", 600, NULL), 200);
	assert_int_equal(sub(f, "sip:carol@example.com", "c9", 600, NULL), 200);
	assert_int_equal(sub(f, "sip:dave@example.com", "c10", 600, NULL), 403);
	/* A watcher blocked by a resource loses that subscription and its place. */
	f->blocked = "sip:alice@example.com";
	assert_int_equal(sip_events_policy_changed(f->ev, SIP_STR("sip:bob@example.com"), ALICE,
						   SIP_EVENTS_REJECT), 1);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 1);
	f->blocked = NULL;
	assert_int_equal(sub(f, "sip:dave@example.com", "c11", 600, NULL), 200);
}

/* Restore counts what it brings back (and is never refused: those subscriptions
 * were accepted before the restart), so the limit holds across it. */
static void test_restore_counts(void **state)
{
	struct fx *f = *state;
	struct sip_events_sub_record rec;
	char buf[4096];

	assert_int_equal(sub(f, "sip:bob@example.com", "r1", 600, NULL), 200);
	memcpy(buf, f->sub_buf, sizeof(buf));
	rec = f->sub_rec;
	{
		struct sip_str *fields[] = { &rec.call_id, &rec.local_tag, &rec.remote_tag, &rec.event, &rec.event_id,
					     &rec.resource, &rec.watcher, &rec.contact, &rec.route_set, &rec.local_uri,
					     &rec.remote_uri, &rec.accept, &rec.transport, &rec.dest, &rec.local,
					     &rec.last_etag, &rec.suppress_etag };

		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
			fields[i]->p = buf + (fields[i]->p - f->sub_buf);
	}
	fx_stop(f);
	/* Restarted with a limit of 1: the restored one fills it. */
	fx_start_limited(f, 1);
	f->now += 10;
	assert_int_equal(sip_events_restore_sub(f->ev, &rec, NULL), 0);
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 1);
	assert_int_equal(sub(f, "sip:carol@example.com", "r2", 600, NULL), 403);
	fx_stop(f);
	/* Restarted with a limit of 0 (none) after a lower limit: nothing refused. */
	fx_start_limited(f, 0);
	f->now += 10;
	assert_int_equal(sip_events_restore_sub(f->ev, &rec, NULL), 0);
	for (int i = 0; i < 5; i++) {
		char cid[16];

		snprintf(cid, sizeof(cid), "u%d", i);
		assert_int_equal(sub(f, "sip:carol@example.com", cid, 600, NULL), 200);
	}
	assert_int_equal(sip_events_watcher_sub_count(f->ev, ALICE), 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_limit_and_release, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_restore_counts, setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the SQLite store: CRUD of every record type, expiry queries, batch
 * atomicity, argument checks and the schema version. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store_test.h"

struct fixture {
	struct tmpdir t;
	struct sip_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	tmpdir_make(&f->t);
	f->st = store_open_at(f->t.db);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sip_store_close(f->st);
	tmpdir_remove(&f->t);
	free(f);
	return 0;
}

#define MD5A "0123456789abcdef0123456789abcdef"
#define SHAA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define MD5B "fedcba9876543210fedcba9876543210"
#define SHAB "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static int add_user(struct sip_store *st, const char *aor, const char *user, const char *realm,
		    const char *md5, const char *sha)
{
	struct sip_store_batch *b = batch();
	struct sip_store_user u = {
		.aor = sip_str_from_cstr(aor),
		.username = sip_str_from_cstr(user),
		.realm = sip_str_from_cstr(realm),
		.ha1_md5 = sip_str_from_cstr(md5),
		.ha1_sha256 = sip_str_from_cstr(sha),
	};

	assert_int_equal(sip_store_batch_user_put(b, &u), 0);
	return submit_wait(st, b);
}

/* Collect AORs / URIs / contacts seen by an iteration into one string. */
struct seen {
	char text[1024];
	int n;
};

static void seen_add(struct seen *s, struct sip_str v)
{
	size_t len = strlen(s->text);
	snprintf(s->text + len, sizeof(s->text) - len, "%s%.*s", s->n ? "," : "", SIP_STR_ARG(v));
	s->n++;
}

static int user_seen(const struct sip_store_user *u, void *arg)
{
	seen_add(arg, u->aor);
	return 0;
}

static int block_seen(const struct sip_store_block *e, void *arg)
{
	seen_add(arg, e->uri);
	return 0;
}

static int binding_seen(const struct sip_store_binding *b, void *arg)
{
	seen_add(arg, b->contact);
	return 0;
}

static void test_users(void **state)
{
	struct fixture *f = *state;
	struct sip_store_user u;
	struct sip_store_batch *b;
	struct seen s = { "", 0 };

	assert_int_equal(sip_store_user_get(f->st, S("sip:alice@example.com"), &u), SIP_ENOTFOUND);
	assert_int_equal(add_user(f->st, "sip:alice@example.com", "alice", "example.com", MD5A, SHAA), 0);
	assert_int_equal(add_user(f->st, "sip:bob@example.com", "bob", "example.com", MD5B, SHAB), 0);

	assert_int_equal(sip_store_user_get(f->st, S("sip:alice@example.com"), &u), 0);
	assert_str(u.aor, "sip:alice@example.com");
	assert_str(u.username, "alice");
	assert_str(u.realm, "example.com");
	assert_str(u.ha1_md5, MD5A);
	assert_str(u.ha1_sha256, SHAA);
	assert_false(u.dnd);
	assert_int_equal(u.decline_code, 603);
	assert_true(u.updated_at > 1600000000);
	assert_non_null(u.mem);
	sip_store_user_clear(&u);
	assert_null(u.mem);

	/* Policy: dnd on, then decline code 607, each leaving the other as it was. */
	b = batch();
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:alice@example.com"),
						     SIP_STORE_POLICY_DND, true, 0), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	b = batch();
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:alice@example.com"),
						     SIP_STORE_POLICY_DECLINE_CODE, false, 607), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_user_get(f->st, S("sip:alice@example.com"), &u), 0);
	assert_true(u.dnd);
	assert_int_equal(u.decline_code, 607);
	sip_store_user_clear(&u);

	/* A new password replaces the hashes and keeps the policy. */
	assert_int_equal(add_user(f->st, "sip:alice@example.com", "alice", "example.com", MD5B, SHAB), 0);
	assert_int_equal(sip_store_user_get(f->st, S("sip:alice@example.com"), &u), 0);
	assert_str(u.ha1_md5, MD5B);
	assert_str(u.ha1_sha256, SHAB);
	assert_true(u.dnd);
	assert_int_equal(u.decline_code, 607);
	sip_store_user_clear(&u);

	/* Policy of an unknown user fails the batch. */
	b = batch();
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:nobody@example.com"),
						     SIP_STORE_POLICY_DND, true, 0), 0);
	assert_int_equal(submit_wait(f->st, b), SIP_ENOTFOUND);

	assert_int_equal(sip_store_user_each(f->st, user_seen, &s), 0);
	assert_string_equal(s.text, "sip:alice@example.com,sip:bob@example.com");

	b = batch();
	assert_int_equal(sip_store_batch_user_del(b, S("sip:bob@example.com")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_user_get(f->st, S("sip:bob@example.com"), &u), SIP_ENOTFOUND);
	b = batch();
	assert_int_equal(sip_store_batch_user_del(b, S("sip:bob@example.com")), 0);
	assert_int_equal(submit_wait(f->st, b), SIP_ENOTFOUND);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_user_each(f->st, user_seen, &s), 0);
	assert_string_equal(s.text, "sip:alice@example.com");
}

/* The users generation moves with every committed user or block-list change and
 * with nothing else (nor with a refused change). */
static void test_users_generation(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b;
	struct sip_store_block e = { S("sip:g@h"), S("sip:x@h"), 0 };
	struct sip_store_binding bd = { .aor = S("sip:g@h"), .contact = S("sip:c@h"), .expires_at = 9 };
	uint64_t g0, g1, g2, g3, g4;

	assert_int_equal(sip_store_users_generation(f->st, &g0), 0);
	assert_int_equal(add_user(f->st, "sip:g@h", "g", "h", MD5A, SHAA), 0);
	assert_int_equal(sip_store_users_generation(f->st, &g1), 0);
	assert_true(g1 > g0);
	b = batch();
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_users_generation(f->st, &g2), 0);
	assert_true(g2 == g1);   /* a binding is not a user change */
	b = batch();
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:none@h"), SIP_STORE_POLICY_DND,
						     true, 0), 0);
	assert_int_equal(submit_wait(f->st, b), SIP_ENOTFOUND);
	assert_int_equal(sip_store_users_generation(f->st, &g3), 0);
	assert_true(g3 == g2);   /* refused: rolled back with its batch */
	b = batch();
	assert_int_equal(sip_store_batch_block_add(b, &e), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_users_generation(f->st, &g4), 0);
	assert_true(g4 > g3);
}

static void test_blocks(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b;
	struct sip_store_block e = { S("sip:carol@example.com"), S("sip:spam@bad.example"), 0 };
	struct seen s = { "", 0 };
	uint16_t code = 0;

	/* Blocking for an unknown user fails. */
	b = batch();
	assert_int_equal(sip_store_batch_block_add(b, &e), 0);
	assert_int_equal(submit_wait(f->st, b), SIP_ENOTFOUND);

	assert_int_equal(add_user(f->st, "sip:carol@example.com", "carol", "example.com", MD5A, SHAA), 0);
	b = batch();
	assert_int_equal(sip_store_batch_block_add(b, &e), 0);
	e.uri = S("sip:robot@bad.example");
	e.code = 607;
	assert_int_equal(sip_store_batch_block_add(b, &e), 0);
	assert_int_equal(submit_wait(f->st, b), 0);

	assert_int_equal(sip_store_block_find(f->st, S("sip:carol@example.com"),
					      S("sip:spam@bad.example"), &code), 0);
	assert_int_equal(code, 603);  /* the user's default */
	assert_int_equal(sip_store_block_find(f->st, S("sip:carol@example.com"),
					      S("sip:robot@bad.example"), &code), 0);
	assert_int_equal(code, 607);  /* the entry's own */
	code = 1;
	assert_int_equal(sip_store_block_find(f->st, S("sip:carol@example.com"),
					      S("sip:friend@example.com"), &code), SIP_ENOTFOUND);
	assert_int_equal(code, 1);    /* out-param untouched on failure */

	/* The user's default decline code applies to entries without their own. */
	b = batch();
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:carol@example.com"),
						     SIP_STORE_POLICY_DECLINE_CODE, false, 607), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_block_find(f->st, S("sip:carol@example.com"),
					      S("sip:spam@bad.example"), &code), 0);
	assert_int_equal(code, 607);

	assert_int_equal(sip_store_block_each(f->st, S("sip:carol@example.com"), block_seen, &s), 0);
	assert_string_equal(s.text, "sip:robot@bad.example,sip:spam@bad.example");

	b = batch();
	assert_int_equal(sip_store_batch_block_del(b, S("sip:carol@example.com"),
						   S("sip:spam@bad.example")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_block_find(f->st, S("sip:carol@example.com"),
					      S("sip:spam@bad.example"), &code), SIP_ENOTFOUND);
	b = batch();
	assert_int_equal(sip_store_batch_block_del(b, S("sip:carol@example.com"),
						   S("sip:spam@bad.example")), 0);
	assert_int_equal(submit_wait(f->st, b), SIP_ENOTFOUND);

	/* Deleting the user deletes the block list. */
	b = batch();
	assert_int_equal(sip_store_batch_user_del(b, S("sip:carol@example.com")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_block_each(f->st, S("sip:carol@example.com"), block_seen, &s), 0);
	assert_int_equal(s.n, 0);
}

static struct sip_store_binding full_binding(void)
{
	struct sip_store_binding b = {
		.aor = S("sip:alice@example.com"),
		.contact = S("sip:alice@192.0.2.10:5062;transport=tcp"),
		.params = S("+sip.instance=\"<urn:uuid:00000000-0000-1000-8000-000A95A0E128>\";reg-id=1"),
		.expires_at = 2000000000,
		.q = 700,
		.call_id = S("a84b4c76e66710@pc33.example.com"),
		.cseq = 314159,
		.path = S("<sip:edge1.example.com;lr>, <sip:edge2.example.com;lr>"),
		.instance = S("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"),
		.reg_id = 1,
		.transport = S("tcp"),
		.received = S("198.51.100.7:40001"),
		.local = S("127.0.0.1:5060"),
		.flow_id = UINT64_C(0xfedcba9876543210),
		.user_agent = S("baresip v2.0"),
		.updated_at = 1999999000,
	};
	return b;
}

static int binding_copy(const struct sip_store_binding *b, void *arg)
{
	struct sip_store_binding *out = arg;
	static char buf[16][256];
	struct sip_str in[10] = { b->aor, b->contact, b->params, b->call_id, b->path, b->instance,
				  b->transport, b->received, b->local, b->user_agent };
	struct sip_str *o[10] = { &out->aor, &out->contact, &out->params, &out->call_id, &out->path,
				  &out->instance, &out->transport, &out->received, &out->local,
				  &out->user_agent };

	*out = *b;
	for (int i = 0; i < 10; i++) {
		assert_true(in[i].len < sizeof(buf[i]));
		memcpy(buf[i], in[i].p, in[i].len);
		*o[i] = (struct sip_str){ buf[i], in[i].len };
	}
	return 0;
}

static void test_bindings(void **state)
{
	struct fixture *f = *state;
	struct sip_store_binding bd = full_binding(), got;
	struct sip_store_batch *b;
	struct seen s = { "", 0 };

	b = batch();
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	assert_int_equal(submit_wait(f->st, b), 0);

	/* Every field round-trips. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(sip_store_binding_each_aor(f->st, bd.aor, 1000, binding_copy, &got), 0);
	assert_str(got.aor, "sip:alice@example.com");
	assert_str(got.contact, "sip:alice@192.0.2.10:5062;transport=tcp");
	assert_true(sip_str_eq(got.params, bd.params));
	assert_int_equal(got.expires_at, 2000000000);
	assert_int_equal(got.q, 700);
	assert_true(sip_str_eq(got.call_id, bd.call_id));
	assert_int_equal(got.cseq, 314159);
	assert_true(sip_str_eq(got.path, bd.path));
	assert_true(sip_str_eq(got.instance, bd.instance));
	assert_int_equal(got.reg_id, 1);
	assert_str(got.transport, "tcp");
	assert_str(got.received, "198.51.100.7:40001");
	assert_str(got.local, "127.0.0.1:5060");
	assert_true(got.flow_id == UINT64_C(0xfedcba9876543210));
	assert_str(got.user_agent, "baresip v2.0");
	assert_int_equal(got.updated_at, 1999999000);

	/* Three more: q ordering, expiry filter, another AOR. */
	b = batch();
	bd = (struct sip_store_binding){ .aor = S("sip:alice@example.com"), .contact = S("sip:a2@h"),
					 .expires_at = 1500, .q = 1000, .updated_at = 10 };
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	bd.contact = S("sip:a3@h");
	bd.expires_at = 900;   /* expired at now=1000 */
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	bd.contact = S("sip:a4@h");
	bd.q = 700;
	bd.expires_at = 1200;
	bd.updated_at = 20;    /* same q as the first, more recent */
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	bd.aor = S("sip:bob@example.com");
	bd.contact = S("sip:b1@h");
	bd.expires_at = 800;
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	assert_int_equal(submit_wait(f->st, b), 0);

	assert_int_equal(sip_store_binding_each_aor(f->st, S("sip:alice@example.com"), 1000,
						    binding_seen, &s), 0);
	assert_string_equal(s.text, "sip:a2@h,sip:alice@192.0.2.10:5062;transport=tcp,sip:a4@h");

	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_binding_each_expired(f->st, 1000, binding_seen, &s), 0);
	assert_string_equal(s.text, "sip:b1@h,sip:a3@h");

	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_binding_each(f->st, binding_seen, &s), 0);
	assert_int_equal(s.n, 5);

	/* Replacing (aor, contact) keeps one row with the new values. */
	b = batch();
	bd = (struct sip_store_binding){ .aor = S("sip:alice@example.com"), .contact = S("sip:a2@h"),
					 .expires_at = 5000, .q = 100, .cseq = 2 };
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_binding_each_aor(f->st, S("sip:alice@example.com"), 1000,
						    binding_seen, &s), 0);
	assert_string_equal(s.text, "sip:alice@192.0.2.10:5062;transport=tcp,sip:a4@h,sip:a2@h");

	/* Purge removes the expired ones; del removes one; del_aor removes all. */
	b = batch();
	assert_int_equal(sip_store_batch_binding_purge(b, 1000), 0);
	assert_int_equal(sip_store_batch_binding_del(b, S("sip:alice@example.com"), S("sip:a4@h")), 0);
	assert_int_equal(sip_store_batch_binding_del(b, S("sip:alice@example.com"), S("sip:none@h")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_binding_each(f->st, binding_seen, &s), 0);
	assert_string_equal(s.text, "sip:a2@h,sip:alice@192.0.2.10:5062;transport=tcp");

	b = batch();
	assert_int_equal(sip_store_batch_binding_del_aor(b, S("sip:alice@example.com")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_store_binding_each(f->st, binding_seen, &s), 0);
	assert_int_equal(s.n, 0);
}

/* An iteration stops on a non-zero return and passes it back. */
static int stop_after_one(const struct sip_store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 42;
}

static void test_iteration_stops(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b = batch();
	struct sip_store_binding bd = { .aor = S("sip:x@h"), .contact = S("sip:1@h"), .expires_at = 10 };
	int calls = 0;

	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	bd.contact = S("sip:2@h");
	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_binding_each(f->st, stop_after_one, &calls), 42);
	assert_int_equal(calls, 1);
	/* The statement was reset: a second iteration starts over. */
	calls = 0;
	assert_int_equal(sip_store_binding_each(f->st, stop_after_one, &calls), 42);
	assert_int_equal(calls, 1);
}

static struct sip_store_subscription make_sub(const char *callid, const char *resource,
					      int64_t expires)
{
	struct sip_store_subscription s = {
		.key = { sip_str_from_cstr(callid), S("nt1"), S("sb1"), S("presence"), S("") },
		.resource = sip_str_from_cstr(resource),
		.watcher = S("sip:bob@example.com"),
		.contact = S("sip:bob@192.0.2.4:5060"),
		.route_set = S("<sip:p1.example.com;lr>"),
		.local_uri = S("sip:alice@example.com"),
		.accept = S("application/pidf+xml"),
		.transport = S("udp"),
		.dest = S("192.0.2.4:5060"),
		.local = S("127.0.0.1:5060"),
		.flow_id = 7,
		.expires_at = expires,
		.local_cseq = 3,
		.remote_cseq = 2,
		.state = SIP_STORE_SUB_ACTIVE,
		.last_etag = S("e1"),
		.suppress_etag = S("*"),
		.suppress = SIP_STORE_SUPPRESS_ALL,
		.updated_at = expires - 100,
	};
	return s;
}

static int sub_seen(const struct sip_store_subscription *s, void *arg)
{
	seen_add(arg, s->key.call_id);
	return 0;
}

static void test_subscriptions(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b = batch();
	struct sip_store_subscription s1 = make_sub("c1", "sip:alice@example.com", 2000);
	struct sip_store_subscription s2 = make_sub("c2", "sip:alice@example.com", 500);
	struct sip_store_subscription s3 = make_sub("c3", "sip:carol@example.com", 3000);
	struct sip_store_subscription got;
	struct sip_store_sub_key k;
	struct seen seen = { "", 0 };

	assert_int_equal(sip_store_batch_sub_put(b, &s1), 0);
	assert_int_equal(sip_store_batch_sub_put(b, &s2), 0);
	assert_int_equal(sip_store_batch_sub_put(b, &s3), 0);
	/* Same dialog, another event package: a separate subscription (RFC 6665 4.1.2). */
	s3.key.event = S("dialog");
	s3.key.event_id = S("7");
	assert_int_equal(sip_store_batch_sub_put(b, &s3), 0);
	assert_int_equal(submit_wait(f->st, b), 0);

	k = s1.key;
	assert_int_equal(sip_store_sub_get(f->st, &k, &got), 0);
	assert_str(got.key.call_id, "c1");
	assert_str(got.key.local_tag, "nt1");
	assert_str(got.key.remote_tag, "sb1");
	assert_str(got.key.event, "presence");
	assert_int_equal(got.key.event_id.len, 0);
	assert_str(got.resource, "sip:alice@example.com");
	assert_str(got.watcher, "sip:bob@example.com");
	assert_str(got.contact, "sip:bob@192.0.2.4:5060");
	assert_str(got.route_set, "<sip:p1.example.com;lr>");
	assert_str(got.local_uri, "sip:alice@example.com");
	assert_str(got.accept, "application/pidf+xml");
	assert_str(got.transport, "udp");
	assert_str(got.dest, "192.0.2.4:5060");
	assert_str(got.local, "127.0.0.1:5060");
	assert_int_equal(got.flow_id, 7);
	assert_int_equal(got.expires_at, 2000);
	assert_int_equal(got.local_cseq, 3);
	assert_int_equal(got.remote_cseq, 2);
	assert_int_equal(got.state, SIP_STORE_SUB_ACTIVE);
	assert_str(got.last_etag, "e1");
	assert_str(got.suppress_etag, "*");
	assert_int_equal(got.suppress, SIP_STORE_SUPPRESS_ALL);
	assert_int_equal(got.updated_at, 1900);
	sip_store_sub_clear(&got);

	k.event = S("dialog");
	assert_int_equal(sip_store_sub_get(f->st, &k, &got), SIP_ENOTFOUND);
	k = s3.key;
	assert_int_equal(sip_store_sub_get(f->st, &k, &got), 0);
	assert_str(got.key.event_id, "7");
	sip_store_sub_clear(&got);

	/* Fan-out list: valid at now=1000 only c1; with now=0 both, oldest first. */
	assert_int_equal(sip_store_sub_each_resource(f->st, S("sip:alice@example.com"),
						     S("presence"), 1000, sub_seen, &seen), 0);
	assert_string_equal(seen.text, "c1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sip_store_sub_each_resource(f->st, S("sip:alice@example.com"),
						     S("presence"), 0, sub_seen, &seen), 0);
	assert_string_equal(seen.text, "c2,c1");

	/* Update in place (refresh: new expiry, new CSeq, state). */
	b = batch();
	s1.expires_at = 9000;
	s1.local_cseq = 4;
	s1.state = SIP_STORE_SUB_TERMINATED;
	s1.suppress = 0;
	s1.suppress_etag = S("");
	assert_int_equal(sip_store_batch_sub_put(b, &s1), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	k = s1.key;
	assert_int_equal(sip_store_sub_get(f->st, &k, &got), 0);
	assert_int_equal(got.expires_at, 9000);
	assert_int_equal(got.local_cseq, 4);
	assert_int_equal(got.state, SIP_STORE_SUB_TERMINATED);
	assert_int_equal(got.suppress, 0);
	assert_int_equal(got.suppress_etag.len, 0);
	sip_store_sub_clear(&got);

	/* Purge (c2 expired at 1000), delete c1: c3's two remain. */
	b = batch();
	assert_int_equal(sip_store_batch_sub_purge(b, 1000), 0);
	assert_int_equal(sip_store_batch_sub_del(b, &s1.key), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sip_store_sub_each(f->st, sub_seen, &seen), 0);
	assert_string_equal(seen.text, "c3,c3");
}

static int pub_seen(const struct sip_store_publication *p, void *arg)
{
	seen_add(arg, p->etag);
	return 0;
}

static void test_publications(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "<?xml version=\"1.0\"?>\0binary";
	struct sip_store_publication p = {
		.entity = S("sip:alice@example.com"), .event = S("presence"), .etag = S("t1"),
		.expires_at = 4000, .content_type = S("application/pidf+xml"),
		.body = { body, sizeof(body) - 1 }, .updated_at = 300,
	};
	struct sip_store_publication got;
	struct sip_store_batch *b = batch();
	struct seen seen = { "", 0 };

	assert_int_equal(sip_store_batch_pub_put(b, &p), 0);
	p.etag = S("t2");
	p.updated_at = 200;
	p.expires_at = 800;
	p.body = S("");
	assert_int_equal(sip_store_batch_pub_put(b, &p), 0);
	p.event = S("dialog");
	p.etag = S("t3");
	assert_int_equal(sip_store_batch_pub_put(b, &p), 0);
	assert_int_equal(submit_wait(f->st, b), 0);

	assert_int_equal(sip_store_pub_get(f->st, S("sip:alice@example.com"), S("presence"),
					   S("t1"), &got), 0);
	assert_str(got.entity, "sip:alice@example.com");
	assert_str(got.event, "presence");
	assert_str(got.etag, "t1");
	assert_int_equal(got.expires_at, 4000);
	assert_str(got.content_type, "application/pidf+xml");
	assert_int_equal(got.body.len, sizeof(body) - 1);
	assert_memory_equal(got.body.p, body, sizeof(body) - 1);  /* NUL inside kept */
	assert_int_equal(got.updated_at, 300);
	sip_store_pub_clear(&got);
	assert_int_equal(sip_store_pub_get(f->st, S("sip:alice@example.com"), S("presence"),
					   S("t9"), &got), SIP_ENOTFOUND);

	assert_int_equal(sip_store_pub_each_entity(f->st, S("sip:alice@example.com"),
						   S("presence"), 0, pub_seen, &seen), 0);
	assert_string_equal(seen.text, "t2,t1");  /* oldest update first */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sip_store_pub_each_entity(f->st, S("sip:alice@example.com"),
						   S("presence"), 1000, pub_seen, &seen), 0);
	assert_string_equal(seen.text, "t1");

	b = batch();
	assert_int_equal(sip_store_batch_pub_purge(b, 1000), 0);  /* t2, t3 */
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sip_store_pub_each(f->st, pub_seen, &seen), 0);
	assert_string_equal(seen.text, "t1");
	b = batch();
	assert_int_equal(sip_store_batch_pub_del(b, S("sip:alice@example.com"), S("presence"),
						 S("t1")), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sip_store_pub_each(f->st, pub_seen, &seen), 0);
	assert_int_equal(seen.n, 0);
}

static void test_mwi(void **state)
{
	struct fixture *f = *state;
	struct sip_store_mwi m = { .aor = S("sip:alice@example.com"), .new_msgs = 2, .old_msgs = 8,
				   .urgent_new = 1 };
	struct sip_store_mwi got;
	struct sip_store_batch *b = batch();

	assert_int_equal(sip_store_mwi_get(f->st, m.aor, &got), SIP_ENOTFOUND);
	assert_int_equal(sip_store_batch_mwi_put(b, &m), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_mwi_get(f->st, m.aor, &got), 0);
	assert_str(got.aor, "sip:alice@example.com");
	assert_int_equal(got.new_msgs, 2);
	assert_int_equal(got.old_msgs, 8);
	assert_int_equal(got.urgent_new, 1);
	assert_int_equal(got.urgent_old, 0);
	assert_true(got.updated_at > 1600000000);  /* 0 given: the commit time */
	sip_store_mwi_clear(&got);

	b = batch();
	m.new_msgs = 0;
	m.old_msgs = 10;
	assert_int_equal(sip_store_batch_mwi_put(b, &m), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_mwi_get(f->st, m.aor, &got), 0);
	assert_int_equal(got.new_msgs, 0);
	assert_int_equal(got.old_msgs, 10);
	sip_store_mwi_clear(&got);

	b = batch();
	assert_int_equal(sip_store_batch_mwi_del(b, m.aor), 0);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_mwi_get(f->st, m.aor, &got), SIP_ENOTFOUND);
}

/* A failing batch is undone alone: its earlier operations vanish, and a batch
 * submitted right after it (usually in the same group commit) stays. */
static void test_batch_atomic(void **state)
{
	struct fixture *f = *state;
	struct sip_store_binding bd = { .aor = S("sip:x@h"), .contact = S("sip:bad@h"), .expires_at = 10 };
	struct sip_store_batch *bad = batch(), *good = batch();
	struct done_rec dbad = { 0, 0 }, dgood = { 0, 0 };
	struct seen s = { "", 0 };

	assert_int_equal(sip_store_batch_binding_put(bad, &bd), 0);
	assert_int_equal(sip_store_batch_user_policy(bad, S("sip:ghost@h"), SIP_STORE_POLICY_DND,
						     true, 0), 0);
	bd.contact = S("sip:good@h");
	assert_int_equal(sip_store_batch_binding_put(good, &bd), 0);
	assert_int_equal(sip_store_batch_count(bad), 2);
	assert_int_equal(sip_store_submit(f->st, bad, done_cb, &dbad), 0);
	assert_int_equal(sip_store_submit(f->st, good, done_cb, &dgood), 0);
	assert_int_equal(sip_store_pending(f->st), 2);
	assert_int_equal(sip_store_flush(f->st, 10000), 0);
	assert_int_equal(sip_store_pending(f->st), 0);
	assert_int_equal(dbad.calls, 1);
	assert_int_equal(dbad.err, SIP_ENOTFOUND);
	assert_int_equal(dgood.calls, 1);
	assert_int_equal(dgood.err, 0);
	assert_int_equal(sip_store_binding_each(f->st, binding_seen, &s), 0);
	assert_string_equal(s.text, "sip:good@h");
}

static void test_invalid(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b = batch();
	struct sip_store_user u = { .aor = S("sip:a@h"), .username = S("a"), .realm = S("h"),
				    .ha1_md5 = S("xyz") };
	struct sip_store_binding bd = { .aor = S("sip:a@h"), .contact = S("sip:c@h"), .q = 1001 };
	struct sip_store_block e = { S("sip:a@h"), S("sip:b@h"), 486 };
	struct sip_store_sub_key k = { S("c"), S(""), S("r"), S("presence"), S("") };
	struct sip_store_subscription sub = make_sub("c", "sip:a@h", 10);

	assert_int_equal(sip_store_batch_user_put(b, &u), -EINVAL);        /* bad HA1 */
	u.ha1_md5 = S(MD5A);
	u.decline_code = 486;
	assert_int_equal(sip_store_batch_user_put(b, &u), -EINVAL);        /* not 603/607 */
	u.decline_code = 0;
	u.realm = S("");
	assert_int_equal(sip_store_batch_user_put(b, &u), -EINVAL);        /* no realm */
	assert_int_equal(sip_store_batch_binding_put(b, &bd), -EINVAL);    /* q > 1.0 */
	bd.q = 0;
	bd.contact = S("");
	assert_int_equal(sip_store_batch_binding_put(b, &bd), -EINVAL);    /* no contact */
	assert_int_equal(sip_store_batch_block_add(b, &e), -EINVAL);
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:a@h"), 0, true, 0), -EINVAL);
	assert_int_equal(sip_store_batch_user_policy(b, S("sip:a@h"),
						     SIP_STORE_POLICY_DECLINE_CODE, false, 600), -EINVAL);
	assert_int_equal(sip_store_batch_sub_del(b, &k), -EINVAL);         /* no local tag */
	sub.state = 7;
	assert_int_equal(sip_store_batch_sub_put(b, &sub), -EINVAL);
	assert_int_equal(sip_store_batch_pub_del(b, S("e"), S(""), S("t")), -EINVAL);
	assert_int_equal(sip_store_batch_mwi_del(b, S("")), -EINVAL);
	{
		static char huge_body[(16u << 20) + 1];
		struct sip_store_publication p = { .entity = S("e"), .event = S("presence"),
						   .etag = S("t"),
						   .body = { huge_body, sizeof(huge_body) } };
		assert_int_equal(sip_store_batch_pub_put(b, &p), SIP_ETOOBIG);
	}
	assert_int_equal(sip_store_batch_count(b), 0);
	/* An empty batch is refused (and freed: ASan checks). */
	assert_int_equal(sip_store_submit(f->st, b, done_cb, NULL), -EINVAL);
	assert_int_equal(sip_store_pending(f->st), 0);
}

/* A batch of many operations (grows past the inline array and the arena's first block). */
static void test_big_batch(void **state)
{
	struct fixture *f = *state;
	struct sip_store_batch *b = batch();
	char contact[64], ua[300];
	struct seen s = { "", 0 };

	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	for (int i = 0; i < 100; i++) {
		struct sip_store_binding bd = { .aor = S("sip:many@h"), .expires_at = 50,
						.user_agent = sip_str_from_cstr(ua) };
		snprintf(contact, sizeof(contact), "sip:c%03d@h", i);
		bd.contact = sip_str_from_cstr(contact);
		assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	}
	assert_int_equal(sip_store_batch_count(b), 100);
	assert_int_equal(submit_wait(f->st, b), 0);
	assert_int_equal(sip_store_binding_each(f->st, binding_seen, &s), 0);
	assert_int_equal(s.n, 100);
}

static void test_schema_version(void **state)
{
	struct fixture *f = *state;
	struct sip_store_options opt = { .path = f->t.db };
	struct sip_store *st2 = NULL;
	sqlite3 *db;
	sqlite3_stmt *q;

	sip_store_close(f->st);
	f->st = NULL;
	assert_int_equal(sqlite3_open(f->t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), SIP_STORE_SQLITE_SCHEMA);
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	/* A database from a newer siphon is refused, not damaged. */
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(sip_store_open(&st2, &opt), -EIO);
	assert_null(st2);
	/* Back to ours: it opens again and the tables are there. */
	assert_int_equal(sqlite3_open(f->t.db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	f->st = store_open_at(f->t.db);
	/* A path in a missing directory cannot be opened. */
	opt.path = "/nonexistent-dir/x/y.db";
	assert_int_equal(sip_store_open(&st2, &opt), -EIO);
	opt.path = "";
	assert_int_equal(sip_store_open(&st2, &opt), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_users, setup, teardown),
		cmocka_unit_test_setup_teardown(test_users_generation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bindings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iteration_stops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_subscriptions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publications, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mwi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_atomic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_big_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_version, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

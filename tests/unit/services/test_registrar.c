/* Registrar internals that do not need sockets: Contact params kept for the 200,
 * restoring the location index from the store (live bindings with their timers,
 * expired ones purged), lookup order (q, then newest) and expiry on the manual clock
 * with the store forgetting the expired binding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "registrar_int.h"
#include "siphon/err.h"
#include "siphon/store.h"
#include "siphon/timer.h"

static void strip_is(const char *in, const char *want)
{
	struct sip_buf b = SIP_BUF_INIT;

	assert_int_equal(reg_params_strip(&b, sip_str_from_cstr(in)), 0);
	assert_string_equal(b.p ? b.p : "", want);
	sip_buf_free(&b);
}

static void test_params_strip(void **state)
{
	(void)state;
	strip_is("", "");
	strip_is("expires=60", "");
	strip_is("expires=60;q=0.5", "");
	strip_is("q=1;+sip.instance=\"<urn:uuid:1>\";reg-id=1;ob",
		 "+sip.instance=\"<urn:uuid:1>\";reg-id=1;ob");
	strip_is(" Expires = 10 ; foo=bar ; Q=0.1;baz", "foo=bar;baz");
	/* A parameter whose name only starts with expires is kept. */
	strip_is("expiresx=1;qq=2", "expiresx=1;qq=2");
}

struct fixture {
	char dir[64];
	char db[128];
	struct sip_store *st;
	struct sip_timers ts;
	struct sip_svc_env env;
	struct sip_registrar *reg;
};

static void put(struct sip_store *st, const char *aor, const char *contact, int64_t expires_at,
		uint16_t q, int64_t updated)
{
	struct sip_store_batch *b;
	struct sip_store_binding sb = {
		.aor = sip_str_from_cstr(aor),
		.contact = sip_str_from_cstr(contact),
		.params = SIP_STR("ob"),
		.expires_at = expires_at,
		.q = q,
		.call_id = SIP_STR("cid"),
		.cseq = 7,
		.path = SIP_STR("<sip:edge.test;lr>"),
		.received = SIP_STR("192.0.2.1:5060"),
		.updated_at = updated,
	};

	assert_int_equal(sip_store_batch_new(&b), 0);
	assert_int_equal(sip_store_batch_binding_put(b, &sb), 0);
	assert_int_equal(sip_store_submit(st, b, NULL, NULL), 0);
	assert_int_equal(sip_store_flush(st, 5000), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sip_store_options opt = { 0 };

	snprintf(f->dir, sizeof(f->dir), "/tmp/siphon-reg-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/reg.db", f->dir);
	opt.path = f->db;
	assert_int_equal(sip_store_open(&f->st, &opt), 0);
	sip_timers_init_manual(&f->ts, 0);
	f->env = (struct sip_svc_env){
		.timers = &f->ts,
		.store = f->st,
		.domain = SIP_STR("example.test"),
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[256];

	sip_registrar_free(f->reg);
	sip_store_close(f->st);
	unlink(f->db);
	snprintf(path, sizeof(path), "%s-wal", f->db);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", f->db);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

struct seen {
	char contact[8][64];
	uint16_t q[8];
	char path[64];
	int n;
};

static int collect(const struct sip_location *l, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		sip_str_copy(s->contact[s->n], sizeof(s->contact[0]), l->contact);
		s->q[s->n] = l->q;
		sip_str_copy(s->path, sizeof(s->path), l->path);
		s->n++;
	}
	return 0;
}

static int count_store(const struct sip_store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static void test_restore_lookup_expire(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	struct seen s = { 0 };
	int n = 0;

	put(f->st, "sip:alice@example.test", "sip:a@192.0.2.1", now + 100, 500, now - 5);
	put(f->st, "sip:alice@example.test", "sip:b@192.0.2.2", now + 3, 1000, now - 4);
	put(f->st, "sip:alice@example.test", "sip:c@192.0.2.3", now + 100, 1000, now - 3);
	put(f->st, "sip:bob@example.test", "sip:old@192.0.2.4", now - 10, 1000, now - 20);

	assert_int_equal(sip_registrar_alloc(&f->reg, &f->env, NULL), 0);
	assert_int_equal(sip_registrar_restore(f->reg), 0);
	/* Bob's only binding had expired while the server was down. */
	assert_int_equal(sip_registrar_aor_count(f->reg), 1);
	assert_int_equal(sip_registrar_binding_count(f->reg), 3);
	assert_int_equal(sip_registrar_lookup(f->reg, SIP_STR("sip:bob@example.test"), collect, &s), 0);
	assert_int_equal(s.n, 0);

	/* Highest q first; among equals the later one in the index first. */
	assert_int_equal(sip_registrar_lookup(f->reg, SIP_STR("sip:alice@example.test"), collect, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.q[0], 1000);
	assert_int_equal(s.q[1], 1000);
	assert_string_equal(s.contact[2], "sip:a@192.0.2.1");
	assert_int_equal(s.q[2], 500);
	assert_string_equal(s.path, "<sip:edge.test;lr>");

	/* The purge of Bob's expired binding reached the store. */
	assert_int_equal(sip_store_flush(f->st, 5000), 0);
	assert_int_equal(sip_store_binding_each(f->st, count_store, &n), 0);
	assert_int_equal(n, 3);

	/* b expires after its 3 s (restored timer); a and c stay. */
	sip_timers_advance(&f->ts, 4000);
	assert_int_equal(sip_registrar_binding_count(f->reg), 2);
	memset(&s, 0, sizeof(s));
	assert_int_equal(sip_registrar_lookup(f->reg, SIP_STR("sip:alice@example.test"), collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_true(strcmp(s.contact[0], "sip:b@192.0.2.2") != 0 && strcmp(s.contact[1], "sip:b@192.0.2.2") != 0);
	/* ... and the store forgets it too. */
	sip_timers_advance(&f->ts, 1);
	assert_int_equal(sip_store_flush(f->st, 5000), 0);
	n = 0;
	assert_int_equal(sip_store_binding_each(f->st, count_store, &n), 0);
	assert_int_equal(n, 2);

	/* Everything else expires in time; the AOR goes with its last binding. */
	sip_timers_advance(&f->ts, 101000);
	assert_int_equal(sip_registrar_binding_count(f->reg), 0);
	assert_int_equal(sip_registrar_aor_count(f->reg), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_strip),
		cmocka_unit_test_setup_teardown(test_restore_lookup_expire, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the store's threading and durability contract (store.h): completions
 * run on the owner thread only after COMMIT, in submission order; close runs what is
 * pending; everything survives a reopen and a kill -9 of the writing process; reads
 * run while the writer commits and never see half a batch. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store/store_test.h"

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sip_store_batch *binding_batch(const char *aor, const char *contact)
{
	struct sip_store_batch *b = batch();
	struct sip_store_binding bd = { .aor = sip_str_from_cstr(aor),
					.contact = sip_str_from_cstr(contact),
					.expires_at = 4000000000, .q = 1000 };

	assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
	return b;
}

/* ------------------------------------------------------------------ after commit */

struct commit_check {
	pthread_t owner;
	sqlite3 *raw;          /* an independent connection: sees only committed data */
	sqlite3_stmt *q;
	int next;              /* the index the next callback must carry */
	int ok, calls;
};

struct commit_arg {
	struct commit_check *c;
	int index;
};

static void commit_cb(int err, void *arg)
{
	struct commit_arg *a = arg;
	struct commit_check *c = a->c;
	char contact[32];

	c->calls++;
	if (err || !pthread_equal(pthread_self(), c->owner) || a->index != c->next)
		return;
	c->next++;
	snprintf(contact, sizeof(contact), "sip:%d@h", a->index);
	sqlite3_bind_text(c->q, 1, contact, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(c->q) == SQLITE_ROW && sqlite3_column_int(c->q, 0) == 1)
		c->ok++;
	sqlite3_reset(c->q);
}

static void test_completion_after_commit(void **state)
{
	enum { N = 300 };
	struct tmpdir t;
	struct sip_store *st;
	struct commit_check c = { .owner = pthread_self() };
	static struct commit_arg args[N];
	char contact[32];
	int64_t deadline;

	(void)state;
	tmpdir_make(&t);
	st = store_open_at(t.db);
	assert_int_equal(sqlite3_open(t.db, &c.raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(c.raw, "SELECT count(*) FROM bindings WHERE contact = ?1",
					    -1, &c.q, NULL), SQLITE_OK);
	for (int i = 0; i < N; i++) {
		snprintf(contact, sizeof(contact), "sip:%d@h", i);
		args[i] = (struct commit_arg){ &c, i };
		assert_int_equal(sip_store_submit(st, binding_batch("sip:a@h", contact), commit_cb,
						  &args[i]), 0);
	}
	/* Drive completions the way the server's loop will: poll the fd, process. */
	deadline = mono_ms() + 10000;
	while (c.calls < N && mono_ms() < deadline) {
		struct pollfd pfd = { .fd = sip_store_fd(st), .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0)
			sip_store_process(st);
	}
	assert_int_equal(c.calls, N);
	assert_int_equal(c.next, N);  /* on the owner thread, in submission order */
	assert_int_equal(c.ok, N);    /* each row visible to another connection */
	assert_int_equal(sip_store_pending(st), 0);
	assert_int_equal(sip_store_process(st), 0);
	sqlite3_finalize(c.q);
	sqlite3_close(c.raw);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* ------------------------------------------------------------------ close, reopen */

static int count_binding(const struct sip_store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

static void test_close_and_reopen(void **state)
{
	enum { N = 50 };
	struct tmpdir t;
	struct sip_store *st;
	struct done_rec d[N];
	struct sip_store_batch *b;
	struct sip_store_user u = { .aor = S("sip:alice@example.com"), .username = S("alice"),
				    .realm = S("example.com"),
				    .ha1_md5 = S("0123456789abcdef0123456789abcdef") };
	struct sip_store_user gu;
	struct sip_store_subscription gs;
	struct sip_store_publication gp;
	struct sip_store_mwi gm;
	struct sip_store_sub_key k = { S("cid"), S("lt"), S("rt"), S("presence"), S("") };
	struct sip_store_subscription sub = { .key = k, .resource = S("sip:alice@example.com"),
					      .expires_at = 77, .state = SIP_STORE_SUB_ACTIVE,
					      .last_etag = S("x1") };
	struct sip_store_publication pub = { .entity = S("sip:alice@example.com"),
					     .event = S("presence"), .etag = S("p1"),
					     .expires_at = 88, .body = S("<presence/>") };
	struct sip_store_mwi mwi = { .aor = S("sip:alice@example.com"), .new_msgs = 2, .old_msgs = 8 };
	char contact[32];
	int n = 0;

	(void)state;
	tmpdir_make(&t);
	st = store_open_at(t.db);
	b = batch();
	assert_int_equal(sip_store_batch_user_put(b, &u), 0);
	assert_int_equal(sip_store_batch_user_policy(b, u.aor, SIP_STORE_POLICY_DND, true, 0), 0);
	assert_int_equal(sip_store_batch_sub_put(b, &sub), 0);
	assert_int_equal(sip_store_batch_pub_put(b, &pub), 0);
	assert_int_equal(sip_store_batch_mwi_put(b, &mwi), 0);
	assert_int_equal(sip_store_submit(st, b, NULL, NULL), 0);
	for (int i = 0; i < N; i++) {
		d[i] = (struct done_rec){ 0, -1 };
		snprintf(contact, sizeof(contact), "sip:%d@h", i);
		assert_int_equal(sip_store_submit(st, binding_batch("sip:r@h", contact), done_cb,
						  &d[i]), 0);
	}
	/* Close at once: it waits for the writer and runs every callback. */
	sip_store_close(st);
	for (int i = 0; i < N; i++) {
		assert_int_equal(d[i].calls, 1);
		assert_int_equal(d[i].err, 0);
	}

	st = store_open_at(t.db);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, N);
	assert_int_equal(sip_store_user_get(st, u.aor, &gu), 0);
	assert_true(gu.dnd);
	assert_str(gu.ha1_md5, "0123456789abcdef0123456789abcdef");
	sip_store_user_clear(&gu);
	assert_int_equal(sip_store_sub_get(st, &k, &gs), 0);
	assert_int_equal(gs.expires_at, 77);
	assert_str(gs.last_etag, "x1");
	sip_store_sub_clear(&gs);
	assert_int_equal(sip_store_pub_get(st, pub.entity, pub.event, pub.etag, &gp), 0);
	assert_str(gp.body, "<presence/>");
	sip_store_pub_clear(&gp);
	assert_int_equal(sip_store_mwi_get(st, mwi.aor, &gm), 0);
	assert_int_equal(gm.new_msgs, 2);
	assert_int_equal(gm.old_msgs, 8);
	sip_store_mwi_clear(&gm);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* ------------------------------------------------------------------ kill -9 */

struct child_ctx {
	int wfd;
	int failed;
};

struct child_arg {
	struct child_ctx *c;
	int32_t id;
};

static void child_done(int err, void *arg)
{
	struct child_arg *a = arg;

	if (err) {
		a->c->failed = 1;
	} else if (write(a->c->wfd, &a->id, sizeof(a->id)) != (ssize_t)sizeof(a->id)) {
		a->c->failed = 1;
	}
	free(a);
}

/* The child: write bindings as fast as it can, report each completed id on the
 * pipe, until killed (or 20 s / 200,000 writes, whichever first). */
static void child_main(const char *db, int wfd)
{
	struct sip_store_options opt = { .path = db };
	struct sip_store *st;
	struct child_ctx c = { wfd, 0 };
	int64_t deadline = mono_ms() + 20000;
	char contact[32];

	if (sip_store_open(&st, &opt) != 0)
		_exit(3);
	for (int32_t id = 0; id < 200000 && mono_ms() < deadline && !c.failed;) {
		while (sip_store_pending(st) < 64 && id < 200000) {
			struct child_arg *a = malloc(sizeof(*a));
			struct sip_store_batch *b;
			struct sip_store_binding bd = { .aor = S("sip:crash@h"), .expires_at = 4000000000 };

			if (!a || sip_store_batch_new(&b) != 0)
				_exit(4);
			snprintf(contact, sizeof(contact), "sip:%d@h", (int)id);
			bd.contact = sip_str_from_cstr(contact);
			if (sip_store_batch_binding_put(b, &bd) != 0)
				_exit(5);
			*a = (struct child_arg){ &c, id++ };
			if (sip_store_submit(st, b, child_done, a) != 0)
				_exit(6);
		}
		struct pollfd pfd = { .fd = sip_store_fd(st), .events = POLLIN };
		if (poll(&pfd, 1, 100) > 0)
			sip_store_process(st);
	}
	_exit(c.failed ? 7 : 8);  /* reaching here means the parent never killed us */
}

static void test_kill9_loses_nothing_acknowledged(void **state)
{
	enum { KILL_AFTER = 2000, MAXID = 200000 };
	struct tmpdir t;
	int fds[2], status;
	pid_t pid;
	static unsigned char acked[MAXID], found[MAXID];
	int nacked = 0, nfound = 0, missing = 0;
	int64_t deadline;
	struct sip_store *st;

	(void)state;
	memset(acked, 0, sizeof(acked));
	memset(found, 0, sizeof(found));
	tmpdir_make(&t);
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_main(t.db, fds[1]);
	}
	close(fds[1]);
	deadline = mono_ms() + 20000;
	/* Read acknowledged ids; kill -9 the writer right after the KILL_AFTER-th. */
	for (bool killed = false; mono_ms() < deadline;) {
		int32_t id;
		ssize_t r = read(fds[0], &id, sizeof(id));

		if (r == 0)
			break;  /* the child is dead and the pipe drained */
		if (r < 0 && errno == EINTR)
			continue;
		assert_int_equal(r, (ssize_t)sizeof(id));
		assert_true(id >= 0 && id < MAXID);
		acked[id] = 1;
		nacked++;
		if (!killed && nacked >= KILL_AFTER) {
			kill(pid, SIGKILL);
			killed = true;
		}
	}
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_true(nacked >= KILL_AFTER);

	/* Reopen (recovering the WAL the dead process left): every acknowledged write is
	 * there. */
	st = store_open_at(t.db);
	sip_store_close(st);
	{
		sqlite3 *db;
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_open(t.db, &db), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(db, "SELECT contact FROM bindings WHERE aor = 'sip:crash@h'",
						    -1, &q, NULL), SQLITE_OK);
		while (sqlite3_step(q) == SQLITE_ROW) {
			int id = -1;
			if (sscanf((const char *)sqlite3_column_text(q, 0), "sip:%d@h", &id) == 1 &&
			    id >= 0 && id < MAXID) {
				found[id] = 1;
				nfound++;
			}
		}
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	for (int i = 0; i < MAXID; i++)
		if (acked[i] && !found[i])
			missing++;
	print_message("kill -9 after %d acknowledged writes: %d rows on reopen, %d missing\n",
		      nacked, nfound, missing);
	assert_int_equal(missing, 0);
	assert_true(nfound >= nacked);
	tmpdir_remove(&t);
}

/* ------------------------------------------------------------------ concurrent reads */

struct pair_arg {
	unsigned char *done;
	int i;
};

static void pair_done(int err, void *arg)
{
	struct pair_arg *a = arg;
	if (!err)
		a->done[a->i] = 1;
}

static void test_reads_while_writing(void **state)
{
	enum { N = 3000 };
	struct tmpdir t;
	struct sip_store *st;
	static unsigned char done[N];
	static struct pair_arg args[N];
	char aor[32];
	int torn = 0, stale = 0, reads = 0;
	int64_t deadline;

	(void)state;
	memset(done, 0, sizeof(done));
	tmpdir_make(&t);
	st = store_open_at(t.db);
	srand(7);
	deadline = mono_ms() + 60000;
	for (int i = 0; i < N && mono_ms() < deadline; i++) {
		struct sip_store_batch *b = batch();
		struct sip_store_binding bd = { .expires_at = 4000000000 };

		snprintf(aor, sizeof(aor), "sip:pair%d@h", i);
		bd.aor = sip_str_from_cstr(aor);
		bd.contact = S("sip:a@h");
		assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
		bd.contact = S("sip:b@h");
		assert_int_equal(sip_store_batch_binding_put(b, &bd), 0);
		args[i] = (struct pair_arg){ done, i };
		assert_int_equal(sip_store_submit(st, b, pair_done, &args[i]), 0);
		sip_store_process(st);
		/* Read some earlier pair while the writer works: both or none, and both
		 * once its completion has run. */
		for (int r = 0; r < 2; r++) {
			int j = rand() % (i + 1), n = 0;
			bool was_done = done[j];

			snprintf(aor, sizeof(aor), "sip:pair%d@h", j);
			assert_int_equal(sip_store_binding_each_aor(st, sip_str_from_cstr(aor), 0,
								    count_binding, &n), 0);
			reads++;
			if (n == 1)
				torn++;
			if (was_done && n != 2)
				stale++;
		}
	}
	assert_int_equal(sip_store_flush(st, 10000), 0);
	for (int i = 0; i < N; i++)
		assert_int_equal(done[i], 1);
	assert_int_equal(reads, 2 * N);
	assert_int_equal(torn, 0);
	assert_int_equal(stale, 0);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* A second process (the CLI) holding the write lock delays the writer; it does not
 * fail it, and the owner's reads go on meanwhile. */
static void test_other_writer_lock(void **state)
{
	struct tmpdir t;
	struct sip_store *st;
	struct done_rec d = { 0, -1 };
	sqlite3 *other;
	int n = 0;

	(void)state;
	tmpdir_make(&t);
	st = store_open_at(t.db);
	assert_int_equal(sqlite3_open(t.db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sip_store_submit(st, binding_batch("sip:l@h", "sip:1@h"), done_cb, &d), 0);
	assert_int_equal(sip_store_flush(st, 300), SIP_ETIMEOUT);  /* still waiting for the lock */
	assert_int_equal(d.calls, 0);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(d.calls, 1);
	assert_int_equal(d.err, 0);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, 1);
	sqlite3_close(other);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* A lock held longer than busy_timeout_ms fails the waiting batches with -EBUSY (their
 * callbacks say so; nothing of them is applied) and the store keeps working. */
static void test_lock_timeout(void **state)
{
	struct tmpdir t;
	struct sip_store_options opt = { .busy_timeout_ms = 100 };
	struct sip_store *st;
	struct done_rec d1 = { 0, 0 }, d2 = { 0, -1 };
	sqlite3 *other;
	int n = 0;

	(void)state;
	tmpdir_make(&t);
	opt.path = t.db;
	assert_int_equal(sip_store_open(&st, &opt), 0);
	assert_int_equal(sqlite3_open(t.db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sip_store_submit(st, binding_batch("sip:t@h", "sip:1@h"), done_cb, &d1), 0);
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(d1.calls, 1);
	assert_int_equal(d1.err, -EBUSY);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(other);
	assert_int_equal(sip_store_submit(st, binding_batch("sip:t@h", "sip:2@h"), done_cb, &d2), 0);
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(d2.err, 0);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, 1);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* A batch without a savepoint (bindings only) that fails half-way (here a trigger
 * added from outside refuses one contact) fails alone: its first put is undone, the
 * batches of the same group commit. */
static void test_failure_without_savepoint(void **state)
{
	struct tmpdir t;
	struct sip_store *st;
	struct done_rec d1 = { 0, -1 }, d2 = { 0, 0 }, d3 = { 0, -1 };
	struct sip_store_batch *bad;
	struct sip_store_binding bd = { .aor = S("sip:t@h"), .expires_at = 4000000000 };
	sqlite3 *other;
	int n = 0;
	char contacts[64] = "";

	(void)state;
	tmpdir_make(&t);
	st = store_open_at(t.db);
	assert_int_equal(sqlite3_open(t.db, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "CREATE TRIGGER refuse BEFORE INSERT ON bindings"
				      " WHEN new.contact = 'sip:boom@h'"
				      " BEGIN SELECT RAISE(ABORT, 'refused'); END", NULL, NULL, NULL),
			 SQLITE_OK);
	/* Hold the lock so that the writer blocks on the first group and the next two
	 * batches gather into one group behind it. */
	assert_int_equal(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sip_store_submit(st, binding_batch("sip:t@h", "sip:one@h"), done_cb, &d1), 0);
	usleep(50000);
	bad = batch();
	bd.contact = S("sip:half@h");
	assert_int_equal(sip_store_batch_binding_put(bad, &bd), 0);
	bd.contact = S("sip:boom@h");
	assert_int_equal(sip_store_batch_binding_put(bad, &bd), 0);
	assert_int_equal(sip_store_submit(st, bad, done_cb, &d2), 0);
	assert_int_equal(sip_store_submit(st, binding_batch("sip:t@h", "sip:three@h"), done_cb, &d3), 0);
	assert_int_equal(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(d1.err, 0);
	assert_int_equal(d2.calls, 1);
	assert_int_equal(d2.err, -EIO);
	assert_int_equal(d3.err, 0);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, 2);
	{
		sqlite3_stmt *q;
		assert_int_equal(sqlite3_prepare_v2(other, "SELECT group_concat(contact, ',') FROM"
						    " (SELECT contact FROM bindings ORDER BY contact)",
						    -1, &q, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(q), SQLITE_ROW);
		snprintf(contacts, sizeof(contacts), "%s", sqlite3_column_text(q, 0));
		sqlite3_finalize(q);
	}
	assert_string_equal(contacts, "sip:one@h,sip:three@h");
	sqlite3_close(other);
	sip_store_close(st);
	tmpdir_remove(&t);
}

/* The WAL stays bounded under a steady stream of commits: checkpoints (the
 * checkpointer thread's pass, finished by the writer) let it restart. Without them
 * 30,000 upserts of distinct AORs leave about 40,000 frames (160 MB). */
static void test_wal_bounded(void **state)
{
	enum { N = 30000 };
	struct tmpdir t;
	struct sip_store *st;
	char wal[160], aor[48];
	struct stat sb;
	int n = 0, max_pages = 0;

	(void)state;
	tmpdir_make(&t);
	st = store_open_at(t.db);
	snprintf(wal, sizeof(wal), "%s-wal", t.db);
	for (int i = 0; i < N; i++) {
		snprintf(aor, sizeof(aor), "sip:w%d@h", (i * 7919) % N);
		assert_int_equal(sip_store_submit(st, binding_batch(aor, "sip:c@h"), NULL, NULL), 0);
		if (sip_store_pending(st) >= 256)
			assert_int_equal(sip_store_flush(st, 10000), 0);
		if (i % 1000 == 0 && stat(wal, &sb) == 0 && sb.st_size / 4096 > max_pages)
			max_pages = (int)(sb.st_size / 4096);
	}
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(stat(wal, &sb), 0);
	if (sb.st_size / 4096 > max_pages)
		max_pages = (int)(sb.st_size / 4096);
	print_message("WAL high-water mark: %d pages\n", max_pages);
	/* Restarted about every 1,000-2,000 frames (two-step checkpoints); 8,000 is
	 * the writer's last-resort bound. */
	assert_true(max_pages < 5000);
	assert_int_equal(sip_store_binding_each(st, count_binding, &n), 0);
	assert_int_equal(n, N);
	sip_store_close(st);
	/* Closed cleanly: the WAL was checkpointed and removed. */
	assert_int_not_equal(stat(wal, &sb), 0);
	tmpdir_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_completion_after_commit),
		cmocka_unit_test(test_close_and_reopen),
		cmocka_unit_test(test_kill9_loses_nothing_acknowledged),
		cmocka_unit_test(test_reads_while_writing),
		cmocka_unit_test(test_other_writer_lock),
		cmocka_unit_test(test_lock_timeout),
		cmocka_unit_test(test_failure_without_savepoint),
		cmocka_unit_test(test_wal_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The SQLite backend: opening and migrating the database, the writer thread with its
 * group commit, and completions handed back to the owner thread through an eventfd.
 *
 * Two connections to one file in WAL mode: the writer thread owns `wdb` and applies
 * batches; the owner thread owns `rdb` and reads. WAL lets the reader go on while the
 * writer commits, so a read never waits for a write. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "siphon/err.h"
#include "siphon/log.h"
#include "sqlite_int.h"

/* Schema version 1. Keys are the natural keys of each record; WITHOUT ROWID keeps a
 * row in its primary-key B-tree only (one lookup, less space per binding). Bindings
 * have no index on expires_at: the registrar keeps expiry timers in memory, so only
 * start-up and purges look bindings up by expiry (a scan), while a second B-tree
 * would cost every REGISTER another page write (bench/store.c: about 20 % of the
 * writer's CPU per write). */
static const char schema_v1[] =
	"CREATE TABLE users ("
	" aor TEXT PRIMARY KEY, username TEXT NOT NULL, realm TEXT NOT NULL,"
	" ha1_md5 TEXT NOT NULL, ha1_sha256 TEXT NOT NULL,"
	" dnd INTEGER NOT NULL DEFAULT 0, decline_code INTEGER NOT NULL DEFAULT 603,"
	" updated_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE blocks ("
	" aor TEXT NOT NULL, uri TEXT NOT NULL, code INTEGER NOT NULL DEFAULT 0,"
	" PRIMARY KEY (aor, uri)) WITHOUT ROWID;"
	"CREATE TABLE bindings ("
	" aor TEXT NOT NULL, contact TEXT NOT NULL, params TEXT NOT NULL,"
	" expires_at INTEGER NOT NULL, q INTEGER NOT NULL, call_id TEXT NOT NULL,"
	" cseq INTEGER NOT NULL, path TEXT NOT NULL, instance TEXT NOT NULL,"
	" reg_id INTEGER NOT NULL, transport TEXT NOT NULL, received TEXT NOT NULL,"
	" local TEXT NOT NULL, flow_id INTEGER NOT NULL, user_agent TEXT NOT NULL,"
	" updated_at INTEGER NOT NULL, PRIMARY KEY (aor, contact)) WITHOUT ROWID;"
	"CREATE TABLE subscriptions ("
	" call_id TEXT NOT NULL, local_tag TEXT NOT NULL, remote_tag TEXT NOT NULL,"
	" event TEXT NOT NULL, event_id TEXT NOT NULL, resource TEXT NOT NULL,"
	" watcher TEXT NOT NULL, contact TEXT NOT NULL, route_set TEXT NOT NULL,"
	" local_uri TEXT NOT NULL, accept TEXT NOT NULL, transport TEXT NOT NULL,"
	" dest TEXT NOT NULL, local TEXT NOT NULL, flow_id INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL, local_cseq INTEGER NOT NULL,"
	" remote_cseq INTEGER NOT NULL, state INTEGER NOT NULL, last_etag TEXT NOT NULL,"
	" suppress_etag TEXT NOT NULL, suppress INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL,"
	" PRIMARY KEY (call_id, local_tag, remote_tag, event, event_id)) WITHOUT ROWID;"
	"CREATE INDEX subscriptions_resource ON subscriptions (resource, event);"
	"CREATE INDEX subscriptions_expiry ON subscriptions (expires_at);"
	"CREATE TABLE publications ("
	" entity TEXT NOT NULL, event TEXT NOT NULL, etag TEXT NOT NULL,"
	" expires_at INTEGER NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,"
	" updated_at INTEGER NOT NULL, PRIMARY KEY (entity, event, etag)) WITHOUT ROWID;"
	"CREATE INDEX publications_expiry ON publications (expires_at);"
	"CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;"
	"INSERT INTO meta (name, value) VALUES ('users', 0);"
	"CREATE TABLE mwi ("
	" aor TEXT PRIMARY KEY, new_msgs INTEGER NOT NULL, old_msgs INTEGER NOT NULL,"
	" urgent_new INTEGER NOT NULL, urgent_old INTEGER NOT NULL,"
	" updated_at INTEGER NOT NULL) WITHOUT ROWID;";

#define BINDING_COLS \
	"aor, contact, params, expires_at, q, call_id, cseq, path, instance, reg_id," \
	" transport, received, local, flow_id, user_agent, updated_at"
#define SUB_COLS \
	"call_id, local_tag, remote_tag, event, event_id, resource, watcher, contact," \
	" route_set, local_uri, accept, transport, dest, local, flow_id, expires_at," \
	" local_cseq, remote_cseq, state, last_etag, suppress_etag, suppress, updated_at"
#define SUB_KEY "call_id = ?1 AND local_tag = ?2 AND remote_tag = ?3 AND event = ?4" \
	" AND event_id = ?5"
#define PUB_COLS "entity, event, etag, expires_at, content_type, body, updated_at"
#define USER_COLS "aor, username, realm, ha1_md5, ha1_sha256, dnd, decline_code, updated_at"

const char *const store_sqlite_wsql[W_COUNT] = {
	[W_BEGIN] = "BEGIN IMMEDIATE",
	[W_COMMIT] = "COMMIT",
	[W_ROLLBACK] = "ROLLBACK",
	[W_SAVEPOINT] = "SAVEPOINT batch",
	[W_RELEASE] = "RELEASE batch",
	[W_ROLLBACK_TO] = "ROLLBACK TO batch",
	[W_USER_PUT] = "INSERT INTO users (" USER_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
		" ON CONFLICT (aor) DO UPDATE SET username = excluded.username,"
		" realm = excluded.realm, ha1_md5 = excluded.ha1_md5,"
		" ha1_sha256 = excluded.ha1_sha256, updated_at = excluded.updated_at",
	[W_USER_DEL] = "DELETE FROM users WHERE aor = ?1",
	[W_USER_POLICY] = "UPDATE users SET dnd = CASE WHEN ?2 THEN ?3 ELSE dnd END,"
		" decline_code = CASE WHEN ?4 THEN ?5 ELSE decline_code END, updated_at = ?6"
		" WHERE aor = ?1",
	[W_USER_EXISTS] = "SELECT 1 FROM users WHERE aor = ?1",
	[W_BLOCK_ADD] = "INSERT INTO blocks (aor, uri, code) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (aor, uri) DO UPDATE SET code = excluded.code",
	[W_BLOCK_DEL] = "DELETE FROM blocks WHERE aor = ?1 AND uri = ?2",
	[W_BLOCK_DEL_AOR] = "DELETE FROM blocks WHERE aor = ?1",
	/* An upsert, not INSERT OR REPLACE: a refresh updates the row in place instead
	 * of deleting and inserting it. */
	[W_BINDING_PUT] = "INSERT INTO bindings (" BINDING_COLS ") VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
		" ON CONFLICT (aor, contact) DO UPDATE SET params = excluded.params,"
		" expires_at = excluded.expires_at, q = excluded.q, call_id = excluded.call_id,"
		" cseq = excluded.cseq, path = excluded.path, instance = excluded.instance,"
		" reg_id = excluded.reg_id, transport = excluded.transport,"
		" received = excluded.received, local = excluded.local,"
		" flow_id = excluded.flow_id, user_agent = excluded.user_agent,"
		" updated_at = excluded.updated_at",
	[W_BINDING_DEL] = "DELETE FROM bindings WHERE aor = ?1 AND contact = ?2",
	[W_BINDING_DEL_AOR] = "DELETE FROM bindings WHERE aor = ?1",
	[W_BINDING_PURGE] = "DELETE FROM bindings WHERE expires_at <= ?1",
	[W_SUB_PUT] = "INSERT OR REPLACE INTO subscriptions (" SUB_COLS ") VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
		" ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
	[W_SUB_DEL] = "DELETE FROM subscriptions WHERE " SUB_KEY,
	[W_SUB_PURGE] = "DELETE FROM subscriptions WHERE expires_at <= ?1",
	[W_PUB_PUT] = "INSERT OR REPLACE INTO publications (" PUB_COLS ") VALUES"
		" (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[W_PUB_DEL] = "DELETE FROM publications WHERE entity = ?1 AND event = ?2 AND etag = ?3",
	[W_PUB_PURGE] = "DELETE FROM publications WHERE expires_at <= ?1",
	[W_MWI_PUT] = "INSERT OR REPLACE INTO mwi (aor, new_msgs, old_msgs, urgent_new,"
		" urgent_old, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[W_MWI_DEL] = "DELETE FROM mwi WHERE aor = ?1",
	[W_USERS_BUMP] = "UPDATE meta SET value = value + 1 WHERE name = 'users'",
};

const char *const store_sqlite_rsql[R_COUNT] = {
	[R_USER_GET] = "SELECT " USER_COLS " FROM users WHERE aor = ?1",
	[R_USER_EACH] = "SELECT " USER_COLS " FROM users ORDER BY aor",
	[R_BLOCK_FIND] = "SELECT b.code, u.decline_code FROM blocks b JOIN users u"
		" ON u.aor = b.aor WHERE b.aor = ?1 AND b.uri = ?2",
	[R_BLOCK_EACH] = "SELECT aor, uri, code FROM blocks WHERE aor = ?1 ORDER BY uri",
	[R_BINDING_AOR] = "SELECT " BINDING_COLS " FROM bindings WHERE aor = ?1"
		" AND expires_at > ?2 ORDER BY q DESC, updated_at DESC, contact",
	[R_BINDING_ALL] = "SELECT " BINDING_COLS " FROM bindings ORDER BY aor, contact",
	[R_BINDING_EXPIRED] = "SELECT " BINDING_COLS " FROM bindings WHERE expires_at <= ?1"
		" ORDER BY expires_at, aor, contact",
	[R_SUB_GET] = "SELECT " SUB_COLS " FROM subscriptions WHERE " SUB_KEY,
	[R_SUB_RESOURCE] = "SELECT " SUB_COLS " FROM subscriptions WHERE resource = ?1"
		" AND event = ?2 AND (?3 = 0 OR expires_at > ?3)"
		" ORDER BY updated_at, call_id, event_id",
	[R_SUB_ALL] = "SELECT " SUB_COLS " FROM subscriptions ORDER BY call_id, local_tag,"
		" remote_tag, event, event_id",
	[R_PUB_GET] = "SELECT " PUB_COLS " FROM publications WHERE entity = ?1 AND event = ?2"
		" AND etag = ?3",
	[R_PUB_ENTITY] = "SELECT " PUB_COLS " FROM publications WHERE entity = ?1"
		" AND event = ?2 AND (?3 = 0 OR expires_at > ?3) ORDER BY updated_at, etag",
	[R_PUB_ALL] = "SELECT " PUB_COLS " FROM publications ORDER BY entity, event, etag",
	[R_MWI_GET] = "SELECT aor, new_msgs, old_msgs, urgent_new, urgent_old, updated_at"
		" FROM mwi WHERE aor = ?1",
	[R_USERS_GEN] = "SELECT value FROM meta WHERE name = 'users'",
};

static int exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		sip_log_error("store", "sqlite: %s: %s", sql, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return -EIO;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/* Bring the schema to SIP_STORE_SQLITE_SCHEMA in one transaction (a crash midway
 * leaves the old version). A future version N adds `case N-1:` steps below. */
static int migrate(sqlite3 *db, const char *path)
{
	int v, err;

	err = exec(db, "BEGIN IMMEDIATE");
	if (err)
		return err;
	err = user_version(db, &v);
	if (err)
		goto fail;
	if (v > SIP_STORE_SQLITE_SCHEMA) {
		sip_log_error("store", "%s: schema version %d is newer than this siphon's (%d)",
			      path, v, SIP_STORE_SQLITE_SCHEMA);
		err = -EIO;
		goto fail;
	}
	switch (v) {
	case 0:
		err = exec(db, schema_v1);
		if (err)
			goto fail;
		/* fall through */
	default:
		break;
	}
	if (v != SIP_STORE_SQLITE_SCHEMA) {
		char sql[64];
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SIP_STORE_SQLITE_SCHEMA);
		err = exec(db, sql);
		if (err)
			goto fail;
	}
	return exec(db, "COMMIT");
fail:
	exec(db, "ROLLBACK");
	return err;
}

static int open_conn(sqlite3 **dbp, const char *path, int busy_ms)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);

	if (rc != SQLITE_OK) {
		sip_log_error("store", "%s: %s", path, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db, busy_ms);
	*dbp = db;
	return 0;
}

static int prepare_all(sqlite3 *db, sqlite3_stmt **out, const char *const *sql, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int rc = sqlite3_prepare_v3(db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &out[i], NULL);
		if (rc != SQLITE_OK) {
			sip_log_error("store", "sqlite prepare: %s: %s", sql[i], sqlite3_errmsg(db));
			return -EIO;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ checkpoints */

/* The WAL is copied back into the database (a checkpoint, with its fsyncs) in two
 * steps so that the writer is never held up for long:
 *  1. every CKPT_PAGES new frames, the checkpointer thread copies what the WAL holds
 *     (PASSIVE: concurrent with the writer, tens of ms for 1,000 pages);
 *  2. the WAL can restart from its beginning only when a checkpoint has copied every
 *     frame, which under a steady stream of commits the checkpointer never quite
 *     does; so when it reports a pass done, the writer, between two groups, copies
 *     the few frames appended meanwhile itself, and its next commit restarts the WAL.
 * Past CKPT_FORCE frames (the checkpointer failing or far behind) the writer copies
 * everything itself. */
#define CKPT_PAGES 1000
#define CKPT_FORCE 8000

static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct store_sqlite *s = arg;

	(void)db;
	(void)name;
	/* Once per CKPT_PAGES new frames, not on every commit past the mark: each
	 * checkpoint costs fsyncs. */
	s->wal_frames = frames;
	if (frames >= s->ckpt_next) {
		s->ckpt_next = frames + CKPT_PAGES;
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_wanted = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
	}
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	struct store_sqlite *s = arg;

	for (;;) {
		int log = 0, done = 0, rc;

		pthread_mutex_lock(&s->ckpt_lock);
		while (!s->ckpt_wanted && !s->ckpt_stop)
			pthread_cond_wait(&s->ckpt_cond, &s->ckpt_lock);
		if (s->ckpt_stop) {
			pthread_mutex_unlock(&s->ckpt_lock);
			break;
		}
		s->ckpt_wanted = false;
		pthread_mutex_unlock(&s->ckpt_lock);
		rc = sqlite3_wal_checkpoint_v2(s->cdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		/* Frames appended during the pass are the writer's to finish (step 2). */
		if (rc == SQLITE_OK && done > 0)
			atomic_store(&s->ckpt_caught_up, true);
		else if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			sip_log_warn("store", "sqlite checkpoint: %s", sqlite3_errmsg(s->cdb));
	}
	return NULL;
}

/* Writer thread, between groups: step 2 above, or the CKPT_FORCE bound. */
static void writer_checkpoint(struct store_sqlite *s)
{
	int log = 0, done = 0;

	if (!atomic_exchange(&s->ckpt_caught_up, false) && s->wal_frames < CKPT_FORCE)
		return;
	if (sqlite3_wal_checkpoint_v2(s->wdb, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done) ==
	    SQLITE_OK && done == log) {
		/* The next commit restarts the WAL: count from zero again. */
		s->wal_frames = 0;
		s->ckpt_next = CKPT_PAGES;
	}
}

/* ------------------------------------------------------------------ writer thread */

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *writer_main(void *arg)
{
	struct store_sqlite *s = arg;

	for (;;) {
		struct sip_store_batch *first, *last;
		unsigned n = 1;
		uint64_t one = 1;

		pthread_mutex_lock(&s->lock);
		while (!s->q_head && !s->stop)
			pthread_cond_wait(&s->cond, &s->lock);
		if (!s->q_head) {
			pthread_mutex_unlock(&s->lock);
			break;
		}
		/* Commit pacing: a commit costs far more than a batch (about 100 us of CPU
		 * on the 2-core dev VM: fcntl locks, one pwrite per WAL frame header and
		 * page, wal-index), so under load the writer lets batches gather for what
		 * remains of commit_interval since the previous commit began. An isolated
		 * write after a quiet spell commits at once. bench/store.c at 5,000
		 * writes/s, writer CPU per write: 13-19 us at 1 ms, 9-12 us at 2 ms, 7-8 us
		 * at 5 ms (the default; completion p50 3 ms, p99 9 ms). */
		if (!s->stop && s->commit_interval_ns) {
			int64_t wait = s->last_commit_ns + s->commit_interval_ns - mono_ns();
			if (wait > 0) {
				struct timespec ts = { wait / 1000000000, wait % 1000000000 };
				pthread_mutex_unlock(&s->lock);
				nanosleep(&ts, NULL);
				pthread_mutex_lock(&s->lock);
			}
		}
		s->last_commit_ns = mono_ns();
		/* Group commit: take everything queued (up to max_batches) into one
		 * transaction; what arrives meanwhile forms the next group. */
		first = last = s->q_head;
		while (last->next && n < s->max_batches) {
			last = last->next;
			n++;
		}
		s->q_head = last->next;
		if (!s->q_head)
			s->q_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&s->lock);

		store_sqlite_run_group(s, first);

		pthread_mutex_lock(&s->lock);
		if (s->d_tail)
			s->d_tail->next = first;
		else
			s->d_head = first;
		s->d_tail = last;
		pthread_mutex_unlock(&s->lock);
		/* Only now, after COMMIT returned, may the owner learn of it. */
		while (write(s->efd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		atomic_store(&s->efd_signaled, true);
		writer_checkpoint(s);
	}
	return NULL;
}

/* ------------------------------------------------------------------ owner side */

static int sq_fd(const struct sip_store *st)
{
	return ((const struct store_sqlite *)st)->efd;
}

static size_t sq_pending(const struct sip_store *st)
{
	return ((const struct store_sqlite *)st)->pending;
}

static int sq_process(struct sip_store *st)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	struct sip_store_batch *b;
	uint64_t v;
	int n = 0;

	/* Drain the counter first: a completion posted after this read re-arms it. The
	 * flag spares the read(2) when nothing was signalled (a loop may call this on
	 * every turn); it is set after the write, so a counter left readable is seen
	 * set at the next call. */
	if (atomic_exchange(&s->efd_signaled, false))
		while (read(s->efd, &v, sizeof(v)) < 0 && errno == EINTR)
			;
	pthread_mutex_lock(&s->lock);
	b = s->d_head;
	s->d_head = s->d_tail = NULL;
	pthread_mutex_unlock(&s->lock);
	while (b) {
		struct sip_store_batch *next = b->next;
		sip_store_done_cb cb = b->cb;
		void *arg = b->arg;
		int err = b->err;

		sip_store_batch_free(b);
		s->pending--;
		n++;
		if (cb)
			cb(err, arg);
		b = next;
	}
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sq_flush(struct sip_store *st, int timeout_ms)
{
	struct store_sqlite *s = (struct store_sqlite *)st;
	int64_t deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;

	sq_process(st);
	while (s->pending) {
		struct pollfd pfd = { .fd = s->efd, .events = POLLIN };
		int wait = -1;

		if (timeout_ms >= 0) {
			int64_t left = deadline - now_ms();
			if (left <= 0)
				return SIP_ETIMEOUT;
			wait = (int)left;
		}
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return -errno;
		sq_process(st);
	}
	return 0;
}

static int sq_submit(struct sip_store *st, struct sip_store_batch *b, sip_store_done_cb cb,
		     void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)st;

	b->cb = cb;
	b->arg = arg;
	b->err = 0;
	b->next = NULL;
	pthread_mutex_lock(&s->lock);
	if (s->stop) {
		pthread_mutex_unlock(&s->lock);
		sip_store_batch_free(b);
		return -EIO;
	}
	if (s->q_tail)
		s->q_tail->next = b;
	else
		s->q_head = b;
	s->q_tail = b;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	s->pending++;
	return 0;
}

static void destroy(struct store_sqlite *s)
{
	for (size_t i = 0; i < W_COUNT; i++)
		sqlite3_finalize(s->w[i]);
	for (size_t i = 0; i < R_COUNT; i++)
		sqlite3_finalize(s->r[i]);
	sqlite3_close(s->rdb);
	sqlite3_close(s->wdb);
	sqlite3_close(s->cdb);
	if (s->efd >= 0)
		close(s->efd);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->ckpt_cond);
	pthread_mutex_destroy(&s->ckpt_lock);
	free(s);
}

static void sq_close(struct sip_store *st)
{
	struct store_sqlite *s = (struct store_sqlite *)st;

	if (s->thread_started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		/* The writer empties its queue before it stops. */
		pthread_join(s->thread, NULL);
	}
	if (s->ckpt_started) {
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_stop = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
		pthread_join(s->ckpt_thread, NULL);
	}
	sq_process(st);
	/* Closing the last connection checkpoints the WAL and removes it. */
	destroy(s);
}

static const struct sip_store_ops sqlite_ops = {
	.name = "sqlite",
	.close = sq_close,
	.fd = sq_fd,
	.process = sq_process,
	.flush = sq_flush,
	.pending = sq_pending,
	.submit = sq_submit,
	.user_get = store_sqlite_user_get,
	.user_each = store_sqlite_user_each,
	.block_find = store_sqlite_block_find,
	.block_each = store_sqlite_block_each,
	.binding_each_aor = store_sqlite_binding_each_aor,
	.binding_each = store_sqlite_binding_each,
	.binding_each_expired = store_sqlite_binding_each_expired,
	.sub_get = store_sqlite_sub_get,
	.sub_each_resource = store_sqlite_sub_each_resource,
	.sub_each = store_sqlite_sub_each,
	.pub_get = store_sqlite_pub_get,
	.pub_each_entity = store_sqlite_pub_each_entity,
	.pub_each = store_sqlite_pub_each,
	.mwi_get = store_sqlite_mwi_get,
	.users_generation = store_sqlite_users_generation,
};

int store_sqlite_open(struct sip_store **stp, const struct sip_store_options *opt)
{
	struct store_sqlite *s = calloc(1, sizeof(*s));
	int busy = opt->busy_timeout_ms > 0 ? opt->busy_timeout_ms : 5000;
	int err;

	if (!s)
		return -ENOMEM;
	s->base.ops = &sqlite_ops;
	s->max_batches = opt->max_batches ? opt->max_batches : 1024;
	s->ckpt_next = CKPT_PAGES;
	s->commit_interval_ns = opt->commit_interval_us < 0 ? 0
				: (int64_t)(opt->commit_interval_us ? opt->commit_interval_us : 5000) * 1000;
	s->efd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	pthread_mutex_init(&s->ckpt_lock, NULL);
	pthread_cond_init(&s->ckpt_cond, NULL);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		err = -errno;
		goto fail;
	}
	err = open_conn(&s->wdb, opt->path, busy);
	if (err)
		goto fail;
	/* WAL: readers and the writer do not block each other. synchronous=NORMAL: a
	 * commit is written to the WAL before COMMIT returns (durable against a process
	 * crash), fsync'ed only at checkpoints; FULL adds an fsync per commit (see
	 * store.h, DURABILITY). */
	err = exec(s->wdb, "PRAGMA journal_mode = WAL");
	if (!err)
		err = exec(s->wdb, opt->sync_full ? "PRAGMA synchronous = FULL"
						  : "PRAGMA synchronous = NORMAL");
	if (!err)
		err = exec(s->wdb, "PRAGMA wal_autocheckpoint = 0");
	if (!err) /* a WAL that grew under a burst is truncated back when it restarts */
		err = exec(s->wdb, "PRAGMA journal_size_limit = 67108864");
	if (!err)
		err = migrate(s->wdb, opt->path);
	if (!err)
		err = prepare_all(s->wdb, s->w, store_sqlite_wsql, W_COUNT);
	if (!err)
		err = open_conn(&s->rdb, opt->path, busy);
	if (!err)
		err = exec(s->rdb, "PRAGMA query_only = 1");
	if (!err)
		err = prepare_all(s->rdb, s->r, store_sqlite_rsql, R_COUNT);
	if (!err)
		err = open_conn(&s->cdb, opt->path, busy);
	/* A connection opens the file lazily: read once so that it sees WAL mode
	 * (until then a checkpoint through it does nothing). */
	if (!err)
		err = exec(s->cdb, "SELECT count(*) FROM sqlite_master");
	if (err)
		goto fail;
	sqlite3_wal_hook(s->wdb, wal_hook, s);
	if (pthread_create(&s->ckpt_thread, NULL, checkpointer_main, s) != 0) {
		err = -EAGAIN;
		goto fail;
	}
	s->ckpt_started = true;
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		err = -EAGAIN;
		goto fail;
	}
	s->thread_started = true;
	/* Named for top -H and perf. */
	pthread_setname_np(s->thread, "siphon-store-w");
	pthread_setname_np(s->ckpt_thread, "siphon-store-c");
	*stp = &s->base;
	return 0;
fail:
	if (s->ckpt_started) {
		pthread_mutex_lock(&s->ckpt_lock);
		s->ckpt_stop = true;
		pthread_cond_signal(&s->ckpt_cond);
		pthread_mutex_unlock(&s->ckpt_lock);
		pthread_join(s->ckpt_thread, NULL);
	}
	destroy(s);
	return err;
}

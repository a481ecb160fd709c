/* Private interface of the SQLite backend (sqlite.c, sqlite_write.c, sqlite_read.c). */
#ifndef SIPHON_STORE_SQLITE_INT_H
#define SIPHON_STORE_SQLITE_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>

#include "store_int.h"

/* Statements of the writer connection (used by the writer thread only). */
enum {
	W_BEGIN, W_COMMIT, W_ROLLBACK, W_SAVEPOINT, W_RELEASE, W_ROLLBACK_TO,
	W_USER_PUT, W_USER_DEL, W_USER_POLICY, W_USER_EXISTS,
	W_BLOCK_ADD, W_BLOCK_DEL, W_BLOCK_DEL_AOR,
	W_BINDING_PUT, W_BINDING_DEL, W_BINDING_DEL_AOR, W_BINDING_PURGE,
	W_SUB_PUT, W_SUB_DEL, W_SUB_PURGE,
	W_PUB_PUT, W_PUB_DEL, W_PUB_PURGE,
	W_MWI_PUT, W_MWI_DEL,
	W_USERS_BUMP,
	W_COUNT
};

/* Statements of the reader connection (used by the owner thread only). */
enum {
	R_USER_GET, R_USER_EACH, R_BLOCK_FIND, R_BLOCK_EACH,
	R_BINDING_AOR, R_BINDING_ALL, R_BINDING_EXPIRED,
	R_SUB_GET, R_SUB_RESOURCE, R_SUB_ALL,
	R_PUB_GET, R_PUB_ENTITY, R_PUB_ALL,
	R_MWI_GET, R_USERS_GEN,
	R_COUNT
};

struct store_sqlite {
	struct sip_store base;
	sqlite3 *wdb;                  /* writer connection: the writer thread's */
	sqlite3 *rdb;                  /* reader connection: the owner thread's */
	sqlite3_stmt *w[W_COUNT];      /* prepared once, reused (reset after each use) */
	sqlite3_stmt *r[R_COUNT];
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock;          /* guards the two queues and stop */
	pthread_cond_t cond;           /* the writer waits on it for work */
	struct sip_store_batch *q_head, *q_tail;  /* submitted, not yet taken by the writer */
	struct sip_store_batch *d_head, *d_tail;  /* finished, callbacks not yet run */
	bool stop;
	/* Checkpoints: SQLite's automatic one would run on the writer thread and stall
	 * commits for its fsyncs; a checkpointer thread with its own connection does
	 * them instead (sqlite.c). */
	sqlite3 *cdb;                  /* checkpointer connection */
	pthread_t ckpt_thread;
	bool ckpt_started;
	pthread_mutex_t ckpt_lock;     /* guards ckpt_wanted and ckpt_stop */
	pthread_cond_t ckpt_cond;
	bool ckpt_wanted, ckpt_stop;
	atomic_bool ckpt_caught_up;    /* the checkpointer backfilled all it saw */
	int wal_frames;                /* writer only: WAL size after its last commit */
	int ckpt_next;                 /* writer only: WAL size that wakes the checkpointer */
	int efd;                       /* eventfd: finished batches are waiting */
	atomic_bool efd_signaled;      /* set by the writer after writing efd */
	size_t pending;                /* owner only: submitted, callback not yet run */
	unsigned max_batches;
	int64_t commit_interval_ns;    /* least time between the starts of two commits */
	int64_t last_commit_ns;        /* writer only: when the last group started */
};

extern const char *const store_sqlite_wsql[W_COUNT];
extern const char *const store_sqlite_rsql[R_COUNT];

/* Run one group of batches (linked by next, at most max_batches) in one transaction,
 * setting each batch's err (writer thread). */
void store_sqlite_run_group(struct store_sqlite *s, struct sip_store_batch *first);

/* The read half of the ops table (sqlite_read.c). */
int store_sqlite_user_get(struct sip_store *st, struct sip_str aor, struct sip_store_user *out);
int store_sqlite_user_each(struct sip_store *st, sip_store_user_cb cb, void *arg);
int store_sqlite_block_find(struct sip_store *st, struct sip_str aor, struct sip_str uri,
			    uint16_t *code);
int store_sqlite_block_each(struct sip_store *st, struct sip_str aor, sip_store_block_cb cb,
			    void *arg);
int store_sqlite_binding_each_aor(struct sip_store *st, struct sip_str aor, int64_t now,
				  sip_store_binding_cb cb, void *arg);
int store_sqlite_binding_each(struct sip_store *st, sip_store_binding_cb cb, void *arg);
int store_sqlite_binding_each_expired(struct sip_store *st, int64_t now,
				      sip_store_binding_cb cb, void *arg);
int store_sqlite_sub_get(struct sip_store *st, const struct sip_store_sub_key *k,
			 struct sip_store_subscription *out);
int store_sqlite_sub_each_resource(struct sip_store *st, struct sip_str resource,
				   struct sip_str event, int64_t now, sip_store_sub_cb cb,
				   void *arg);
int store_sqlite_sub_each(struct sip_store *st, sip_store_sub_cb cb, void *arg);
int store_sqlite_pub_get(struct sip_store *st, struct sip_str entity, struct sip_str event,
			 struct sip_str etag, struct sip_store_publication *out);
int store_sqlite_pub_each_entity(struct sip_store *st, struct sip_str entity,
				 struct sip_str event, int64_t now, sip_store_pub_cb cb,
				 void *arg);
int store_sqlite_pub_each(struct sip_store *st, sip_store_pub_cb cb, void *arg);
int store_sqlite_mwi_get(struct sip_store *st, struct sip_str aor, struct sip_store_mwi *out);
int store_sqlite_users_generation(struct sip_store *st, uint64_t *gen);

/* Bind a slice as text (SQLITE_STATIC: the caller keeps it alive until reset). */
static inline int store_bind_str(sqlite3_stmt *st, int i, struct sip_str s)
{
	return sqlite3_bind_text(st, i, s.len ? s.p : "", (int)s.len, SQLITE_STATIC);
}

static inline struct sip_str store_col_str(sqlite3_stmt *st, int i)
{
	const unsigned char *p = sqlite3_column_text(st, i);
	int n = sqlite3_column_bytes(st, i);
	return p ? (struct sip_str){ (const char *)p, (size_t)n } : (struct sip_str){ "", 0 };
}

#endif

/* siphon store layer: durable state (users, bindings, subscriptions, publications,
 * message-summary counts) behind one interface.
 *
 * BACKENDS. struct sip_store is a handle whose first member points at a table of
 * operations (struct sip_store_ops, at the end of this header). The services call only
 * the sip_store_* functions below, which dispatch through that table, so another
 * backend (Redis, for more than one machine) is a new ops table, not a change in the
 * services. SQLite is the embedded default (src/store/sqlite*.c).
 *
 * THREADING. A store is owned by one thread, the "owner" (the server's event-loop
 * thread, or the CLI's only thread): every sip_store_* call is made from it. The store
 * runs its own writer thread internally; nothing else is shared.
 *
 * WRITES are asynchronous and never wait on disk. The caller builds a batch
 * (struct sip_store_batch: a list of puts and deletes, copied into the batch as they
 * are added) and submits it with a completion callback. The writer thread commits
 * whatever batches are pending in ONE transaction (group commit: at 20,000
 * REGISTER/s one commit carries many batches) and each batch is applied atomically:
 * inside the transaction every batch is its own savepoint, so a batch that fails (say
 * SIP_ENOTFOUND for a policy change on an unknown user) is rolled back alone and the
 * others still commit.
 *
 * COMPLETIONS run on the owner thread, never on the writer: the writer signals an
 * eventfd (sip_store_fd) that the owner watches in its loop (the server adds it to
 * libuv with uv_poll_t; the store itself does not depend on libuv) and, when it is
 * readable, the owner calls sip_store_process(), which runs the callbacks of every
 * finished batch in submission order. Without a loop, sip_store_flush() waits for
 * every submitted batch and runs their callbacks (CLI, tests, shutdown). A callback
 * may submit and read, but must not close the store.
 *
 * DURABILITY. A completion with err == 0 fires only after the transaction holding the
 * batch has committed. SQLite runs in WAL mode with synchronous=NORMAL: a commit has
 * written its frames to the WAL file with write(2) before COMMIT returns, so the data
 * is in the kernel and survives a crash of the process (kill -9 of the server loses
 * nothing whose completion fired, which is when the server may answer 200). It is not
 * fsync'ed per commit, so a power loss or kernel crash may lose the last commits;
 * opt.sync_full selects synchronous=FULL (one fsync per group commit) for that.
 * NORMAL is the default because the contract is "kill -9 loses nothing acknowledged"
 * and an fsync per commit would tie REGISTER throughput to the disk. Checkpoints (the
 * WAL copied back into the database, with fsyncs) run on a third, internal thread so
 * they do not stall commits; the WAL is kept near 8,000 pages at most.
 *
 * READS are synchronous, on the owner thread, through a second connection of the
 * backend (WAL lets it read while the writer commits; it never waits for the writer).
 * A read sees every batch whose completion has fired (and possibly later ones that
 * committed since), never a half-applied batch, and nothing of a batch still
 * pending: a service that must read its own pending write keeps it in memory until
 * the completion. A lookup costs 6-13 us for a user and 13-30 us for an AOR's
 * bindings (bench/store.c, 2-core dev VM under load; most of it is the WAL read
 * lock, fcntl(2) on the -shm file, taken per read) when its pages are cached; a cold
 * page is a disk read. So the services keep their own compact in-memory index for
 * the hottest path (the registrar's location index), restored at start with the
 * *_each() iterators, and may cache users and policies, revalidated with
 * sip_store_users_generation so that `siphon user set` still acts on a running
 * server. Inside an iteration callback, do not start the same iteration again (one
 * statement each).
 *
 * COST of a write (bench/store.c, same VM): about 4-5 us of CPU in the store's
 * threads per binding upsert when saturated (about 100,000 durable writes/s); paced,
 * 5-12 us at 20,000 writes/s and 7-8 us at 5,000/s on a small table, up to ~20 us at
 * 5,000/s with 200,000 rows where nearly every write dirties a page of its own (a
 * WAL frame and its checkpoint copy each); the owner thread adds about 2 us (batch
 * copy, submit, completion). A commit has a fixed cost (~100 us: file locks, two
 * writes per WAL frame), which opt.commit_interval_us amortizes.
 *
 * RECORDS are plain structs of slices (struct sip_str) and integers.
 *  - Passed to a batch_*() function, the slices borrow from the caller for the
 *    duration of the call only: the batch copies them.
 *  - Given to an iteration callback, they borrow from the backend and are valid only
 *    until the callback returns (copy what you keep).
 *  - Filled by a *_get() function, they are owned: every slice points into one block,
 *    rec->mem, that the matching *_clear() releases.
 * Strings are stored byte for byte: keys are compared exactly, so callers pass
 * canonical AORs (sip_store_aor_canon). Times are absolute wall-clock seconds since
 * the Unix epoch (time(NULL)), so they mean the same after a restart. An updated_at
 * of 0 in a written record means "the commit time".
 *
 * ERRORS. Functions return 0 or a negative code (siphon/err.h): SIP_ENOTFOUND for a
 * missing record, -EINVAL for a bad argument, -ENOMEM, -EIO for a backend failure. A
 * call that returns an error never calls its callback (the libuv rule). */
#ifndef SIPHON_STORE_H
#define SIPHON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/str.h"

struct sip_store;
struct sip_store_batch;

/* ------------------------------------------------------------------ records */

/* A user of the domain: digest credentials and call policy. */
struct sip_store_user {
	struct sip_str aor;        /* key: canonical AOR, "sip:alice@example.com" */
	struct sip_str username;   /* digest username, "alice" */
	struct sip_str realm;      /* digest realm: the AOR's domain */
	struct sip_str ha1_md5;    /* 32 lower-case hex digits: MD5(user:realm:password) */
	struct sip_str ha1_sha256; /* 64 hex digits: SHA-256(user:realm:password), RFC 7616 */
	bool dnd;                  /* do-not-disturb: INVITE answered 603 Decline */
	uint16_t decline_code;     /* answer to blocked callers: 603 (default) or 607 (RFC 8197) */
	int64_t updated_at;        /* last write (0 when writing: the commit time) */
	void *mem;                 /* owner of the slices when filled by sip_store_user_get */
};

/* One entry of a user's block list (callers and watchers, RFC 8197 / RFC 6665). */
struct sip_store_block {
	struct sip_str aor;    /* the user who blocks */
	struct sip_str uri;    /* the blocked caller/watcher URI: canonical (sip_store_aor_canon)
				* for a sip/sips user@host URI, so the proxy and the notifier
				* look up the canonical From URI; other schemes as given */
	uint16_t code;         /* 603 or 607 for this entry; 0: use the user's decline_code */
};

/* A registration binding (RFC 3261 10.3, Path RFC 3327, outbound RFC 5626).
 * Key: (aor, contact). */
struct sip_store_binding {
	struct sip_str aor;
	struct sip_str contact;    /* the Contact URI (without the header's params) */
	struct sip_str params;     /* the Contact header params to give back, raw, or empty */
	int64_t expires_at;        /* absolute wall-clock second the binding ends */
	uint16_t q;                /* q-value times 1000 (0..1000); 1000 when absent */
	struct sip_str call_id;    /* Call-ID of the REGISTER (10.3 step 7 ordering) */
	uint32_t cseq;
	struct sip_str path;       /* Path header values, comma-joined, in order, or empty */
	struct sip_str instance;   /* +sip.instance value, or empty */
	uint32_t reg_id;           /* reg-id, 0 when absent */
	struct sip_str transport;  /* "udp", "tcp", "tls", "ws", "wss" the REGISTER came over */
	struct sip_str received;   /* source address "ip:port" ("[v6]:port") of the REGISTER */
	struct sip_str local;      /* local address "ip:port" it arrived on */
	uint64_t flow_id;          /* the connection it came on (0: none; meaningless after restart) */
	struct sip_str user_agent;
	int64_t updated_at;        /* wall clock of the REGISTER (0: the commit time) */
};

enum sip_store_sub_state {
	SIP_STORE_SUB_PENDING = 0,
	SIP_STORE_SUB_ACTIVE = 1,
	SIP_STORE_SUB_TERMINATED = 2,
};

/* Suppression flags of a subscription (RFC 5839 conditional notification). */
enum {
	SIP_STORE_SUPPRESS_MATCH = 1u << 0, /* Suppress-If-Match set: bodies suppressed while it matches */
	SIP_STORE_SUPPRESS_ALL = 1u << 1,   /* Suppress-If-Match: * : asleep, state changes only */
};

/* Key of a subscription: the dialog and the event (RFC 6665 4.1.2: several per dialog). */
struct sip_store_sub_key {
	struct sip_str call_id;
	struct sip_str local_tag;   /* the notifier's tag (To tag of the SUBSCRIBE dialog) */
	struct sip_str remote_tag;  /* the subscriber's tag (From tag) */
	struct sip_str event;       /* event package, "presence", "dialog", ... */
	struct sip_str event_id;    /* Event header id parameter, or empty */
};

/* A subscription held by the notifier (RFC 6665). */
struct sip_store_subscription {
	struct sip_store_sub_key key;
	struct sip_str resource;    /* the watched resource: canonical AOR */
	struct sip_str watcher;     /* the subscriber's URI (From) */
	struct sip_str contact;     /* the subscriber's Contact: remote target of NOTIFYs */
	struct sip_str route_set;   /* Record-Route set, comma-joined in NOTIFY order, or empty */
	struct sip_str local_uri;   /* the dialog's local URI (To of the SUBSCRIBE) */
	struct sip_str accept;      /* Accept header of the SUBSCRIBE, or empty */
	struct sip_str transport;   /* transport to send NOTIFYs over */
	struct sip_str dest;        /* destination "ip:port" the SUBSCRIBE came from */
	struct sip_str local;       /* local address it arrived on */
	uint64_t flow_id;
	int64_t expires_at;
	uint32_t local_cseq;        /* CSeq of the last NOTIFY sent */
	uint32_t remote_cseq;       /* CSeq of the last SUBSCRIBE received */
	enum sip_store_sub_state state;
	struct sip_str last_etag;   /* entity tag of the state last notified (RFC 5839) */
	struct sip_str suppress_etag; /* Suppress-If-Match value in force, or empty */
	unsigned suppress;          /* SIP_STORE_SUPPRESS_* flags */
	int64_t updated_at;
	void *mem;                  /* owner when filled by sip_store_sub_get */
};

/* An event publication (RFC 3903). Key: (entity, event, etag). */
struct sip_store_publication {
	struct sip_str entity;       /* canonical AOR of the presentity */
	struct sip_str event;
	struct sip_str etag;         /* SIP-ETag the ESC gave it */
	int64_t expires_at;
	struct sip_str content_type;
	struct sip_str body;         /* bytes, not NUL-terminated */
	int64_t updated_at;          /* ordering for composition (newest wins) */
	void *mem;                   /* owner when filled by sip_store_pub_get */
};

/* Message-summary counts of a mailbox (RFC 3842 voice-message). Key: aor. */
struct sip_store_mwi {
	struct sip_str aor;
	uint32_t new_msgs, old_msgs;
	uint32_t urgent_new, urgent_old;
	int64_t updated_at;
	void *mem;                   /* owner when filled by sip_store_mwi_get */
};

/* Release an owned record filled by a *_get() function and zero it. Safe on a
 * zeroed record. */
void sip_store_user_clear(struct sip_store_user *u);
void sip_store_sub_clear(struct sip_store_subscription *s);
void sip_store_pub_clear(struct sip_store_publication *p);
void sip_store_mwi_clear(struct sip_store_mwi *m);

/* ------------------------------------------------------------------ open / close */

struct sip_store_options {
	const char *path;          /* SQLite database file (created when absent) */
	bool sync_full;            /* fsync every commit (power-loss durable); default off */
	unsigned max_batches;      /* most batches per transaction; 0: 1024 */
	int commit_interval_us;    /* least time between two commits under load (batches
				    * gather meanwhile: less CPU per write, a few ms more
				    * latency); 0: 5000; <0: none */
	int busy_timeout_ms;       /* wait for another process's lock (e.g. the CLI); 0: 5000 */
};

/* Open (create, migrate) the store at opt->path and start its writer thread. The
 * calling thread becomes the owner. 0, -EINVAL, -ENOMEM, -EIO (cannot open, or a
 * schema newer than this build: see SIP_STORE_SQLITE_SCHEMA). */
int sip_store_open(struct sip_store **stp, const struct sip_store_options *opt);

/* Wait for every submitted batch to commit, run their callbacks, stop the writer and
 * free the store. NULL is accepted. */
void sip_store_close(struct sip_store *st);

/* The SQLite schema version this build writes in PRAGMA user_version. */
#define SIP_STORE_SQLITE_SCHEMA 1

/* ------------------------------------------------------------------ completions */

/* A batch finished: err is 0 once it is committed (durable, see above), or the
 * negative code of its failure, nothing of the batch applied: an operation's own
 * (SIP_ENOTFOUND...), -EBUSY when another process kept the database locked past
 * busy_timeout_ms, -EIO when the backend failed. Runs on the owner
 * thread from sip_store_process / sip_store_flush / sip_store_close. */
typedef void (*sip_store_done_cb)(int err, void *arg);

/* A file descriptor that becomes readable when completions are ready: add it to the
 * event loop (read events) and call sip_store_process when it fires. */
int sip_store_fd(const struct sip_store *st);
/* Run the callbacks of every finished batch, in submission order; never blocks.
 * Returns how many ran. */
int sip_store_process(struct sip_store *st);
/* Block until every batch submitted so far has completed (running their callbacks),
 * at most timeout_ms (<0: no limit). 0 or SIP_ETIMEOUT. */
int sip_store_flush(struct sip_store *st, int timeout_ms);
/* Batches submitted whose callback has not run yet. */
size_t sip_store_pending(const struct sip_store *st);

/* ------------------------------------------------------------------ writes */

int sip_store_batch_new(struct sip_store_batch **bp);
/* Free a batch that was not submitted. NULL is accepted. */
void sip_store_batch_free(struct sip_store_batch *b);
/* Number of operations in b. */
size_t sip_store_batch_count(const struct sip_store_batch *b);

/* Each adds one operation, copying the record; 0, -EINVAL (missing key, bad value),
 * SIP_ETOOBIG (a string over 16 MiB), -ENOMEM; on error the batch is unchanged.
 * Semantics when the batch runs:
 *  user_put: insert the user, or on an existing AOR replace username, realm and both
 *    HA1s (the call policy and block list of an existing user are kept);
 *  user_del: remove the user, its block list and its message summary; SIP_ENOTFOUND
 *    when there is no such user (the whole batch fails);
 *  user_policy: for the bits set in mask (SIP_STORE_POLICY_*) set dnd and/or
 *    decline_code (603 or 607); SIP_ENOTFOUND for an unknown user;
 *  block_add: add or update (code) a block entry; SIP_ENOTFOUND for an unknown user;
 *  block_del: SIP_ENOTFOUND when the entry does not exist;
 *  binding_put: insert or replace the binding (aor, contact);
 *  binding_del / binding_del_aor: remove one / all bindings of an AOR (idempotent);
 *  binding_purge: remove every binding with expires_at <= now;
 *  sub_put / sub_del / sub_purge, pub_put / pub_del / pub_purge: the same for
 *    subscriptions and publications (deletes idempotent);
 *  mwi_put: insert or replace the counts; mwi_del: idempotent. */
enum {
	SIP_STORE_POLICY_DND = 1u << 0,
	SIP_STORE_POLICY_DECLINE_CODE = 1u << 1,
};
int sip_store_batch_user_put(struct sip_store_batch *b, const struct sip_store_user *u);
int sip_store_batch_user_del(struct sip_store_batch *b, struct sip_str aor);
int sip_store_batch_user_policy(struct sip_store_batch *b, struct sip_str aor, unsigned mask,
				bool dnd, uint16_t decline_code);
int sip_store_batch_block_add(struct sip_store_batch *b, const struct sip_store_block *e);
int sip_store_batch_block_del(struct sip_store_batch *b, struct sip_str aor, struct sip_str uri);
int sip_store_batch_binding_put(struct sip_store_batch *b, const struct sip_store_binding *bd);
int sip_store_batch_binding_del(struct sip_store_batch *b, struct sip_str aor,
				struct sip_str contact);
int sip_store_batch_binding_del_aor(struct sip_store_batch *b, struct sip_str aor);
int sip_store_batch_binding_purge(struct sip_store_batch *b, int64_t now);
int sip_store_batch_sub_put(struct sip_store_batch *b, const struct sip_store_subscription *s);
int sip_store_batch_sub_del(struct sip_store_batch *b, const struct sip_store_sub_key *k);
int sip_store_batch_sub_purge(struct sip_store_batch *b, int64_t now);
int sip_store_batch_pub_put(struct sip_store_batch *b, const struct sip_store_publication *p);
int sip_store_batch_pub_del(struct sip_store_batch *b, struct sip_str entity,
			    struct sip_str event, struct sip_str etag);
int sip_store_batch_pub_purge(struct sip_store_batch *b, int64_t now);
int sip_store_batch_mwi_put(struct sip_store_batch *b, const struct sip_store_mwi *m);
int sip_store_batch_mwi_del(struct sip_store_batch *b, struct sip_str aor);

/* Submit b; the store takes ownership of b in every case (freed on error too). cb
 * (may be NULL) runs once the batch has committed or failed. 0, -EINVAL for an empty
 * batch, -EIO when the store is failing or closing. */
int sip_store_submit(struct sip_store *st, struct sip_store_batch *b, sip_store_done_cb cb,
		     void *arg);

/* ------------------------------------------------------------------ reads */

/* Iteration callbacks: return 0 to go on, anything else stops the iteration and is
 * returned by the *_each function. The record borrows from the store until return. */
typedef int (*sip_store_user_cb)(const struct sip_store_user *u, void *arg);
typedef int (*sip_store_block_cb)(const struct sip_store_block *e, void *arg);
typedef int (*sip_store_binding_cb)(const struct sip_store_binding *b, void *arg);
typedef int (*sip_store_sub_cb)(const struct sip_store_subscription *s, void *arg);
typedef int (*sip_store_pub_cb)(const struct sip_store_publication *p, void *arg);

/* The user with this AOR (owned: sip_store_user_clear). 0 or SIP_ENOTFOUND. */
int sip_store_user_get(struct sip_store *st, struct sip_str aor, struct sip_store_user *out);
/* Every user, ordered by AOR. */
int sip_store_user_each(struct sip_store *st, sip_store_user_cb cb, void *arg);
/* Is uri on aor's block list? On 0, *code is the answer to give (603 or 607: the
 * entry's own code, else the user's decline_code). SIP_ENOTFOUND when not blocked. */
int sip_store_block_find(struct sip_store *st, struct sip_str aor, struct sip_str uri,
			 uint16_t *code);
/* aor's block list, ordered by URI. */
int sip_store_block_each(struct sip_store *st, struct sip_str aor, sip_store_block_cb cb,
			 void *arg);

/* The bindings of aor still valid at now (expires_at > now), highest q first then most
 * recently updated first: the location lookup and the REGISTER 200's Contact list. */
int sip_store_binding_each_aor(struct sip_store *st, struct sip_str aor, int64_t now,
			       sip_store_binding_cb cb, void *arg);
/* Every binding, expired or not, ordered by (aor, contact): restore at start. */
int sip_store_binding_each(struct sip_store *st, sip_store_binding_cb cb, void *arg);
/* Every binding with expires_at <= now, ordered by expires_at. */
int sip_store_binding_each_expired(struct sip_store *st, int64_t now, sip_store_binding_cb cb,
				   void *arg);

/* One subscription (owned: sip_store_sub_clear). 0 or SIP_ENOTFOUND. */
int sip_store_sub_get(struct sip_store *st, const struct sip_store_sub_key *k,
		      struct sip_store_subscription *out);
/* The subscriptions to (resource, event) still valid at now (0: all), oldest first:
 * the fan-out list of a state change. */
int sip_store_sub_each_resource(struct sip_store *st, struct sip_str resource,
				struct sip_str event, int64_t now, sip_store_sub_cb cb, void *arg);
/* Every subscription: restore at start. */
int sip_store_sub_each(struct sip_store *st, sip_store_sub_cb cb, void *arg);

/* One publication (owned: sip_store_pub_clear). 0 or SIP_ENOTFOUND. */
int sip_store_pub_get(struct sip_store *st, struct sip_str entity, struct sip_str event,
		      struct sip_str etag, struct sip_store_publication *out);
/* The publications of (entity, event) still valid at now (0: all), oldest update
 * first (so composing them in order lets the newest win). */
int sip_store_pub_each_entity(struct sip_store *st, struct sip_str entity, struct sip_str event,
			      int64_t now, sip_store_pub_cb cb, void *arg);
/* Every publication: restore at start. */
int sip_store_pub_each(struct sip_store *st, sip_store_pub_cb cb, void *arg);

/* Message-summary counts of aor (owned: sip_store_mwi_clear). 0 or SIP_ENOTFOUND. */
int sip_store_mwi_get(struct sip_store *st, struct sip_str aor, struct sip_store_mwi *out);

/* A counter that every committed change to a user or a block list increases, by
 * whatever process made it (the CLI included). A service that caches users and
 * policies (a store read costs ~10 us: bench/store.c) reads it now and then (say once
 * a second) and drops its cache when it moved. 0 or a negative code. */
int sip_store_users_generation(struct sip_store *st, uint64_t *gen);

/* ------------------------------------------------------------------ helpers */

/* Canonical AOR of in, written to out (reset first): "alice@Example.COM",
 * "sip:alice@example.com;transport=udp" and "SIP:alice@example.com" all give
 * "sip:alice@example.com" (RFC 3261 10.3 step 5: URI parameters and headers removed,
 * escapes in the user part decoded, scheme and host lower-cased; the user part keeps
 * its case; a port is kept). A missing scheme means sip:. user and host (either may be
 * NULL) receive slices of out. 0, or -EINVAL when in is not user@host (a sip/sips
 * scheme, a non-empty user, a non-empty host), -ENOMEM. */
int sip_store_aor_canon(struct sip_buf *out, struct sip_str *user, struct sip_str *host,
			struct sip_str in);

/* ------------------------------------------------------------------ backend interface
 * What a backend implements; the services never call these directly. A backend's
 * handle starts with struct sip_store (first member) and sets ops. A batch reaches the
 * backend as an array of operations (struct sip_store_op) whose slices live in the
 * batch. */

enum sip_store_op_kind {
	SIP_STORE_OP_USER_PUT = 1,
	SIP_STORE_OP_USER_DEL,
	SIP_STORE_OP_USER_POLICY,
	SIP_STORE_OP_BLOCK_ADD,
	SIP_STORE_OP_BLOCK_DEL,
	SIP_STORE_OP_BINDING_PUT,
	SIP_STORE_OP_BINDING_DEL,
	SIP_STORE_OP_BINDING_DEL_AOR,
	SIP_STORE_OP_BINDING_PURGE,
	SIP_STORE_OP_SUB_PUT,
	SIP_STORE_OP_SUB_DEL,
	SIP_STORE_OP_SUB_PURGE,
	SIP_STORE_OP_PUB_PUT,
	SIP_STORE_OP_PUB_DEL,
	SIP_STORE_OP_PUB_PURGE,
	SIP_STORE_OP_MWI_PUT,
	SIP_STORE_OP_MWI_DEL,
};

struct sip_store_op {
	enum sip_store_op_kind kind;
	union {
		struct sip_store_user user;           /* USER_PUT; USER_DEL (aor only) */
		struct {
			struct sip_str aor;
			unsigned mask;
			bool dnd;
			uint16_t decline_code;
		} policy;                             /* USER_POLICY */
		struct sip_store_block block;         /* BLOCK_ADD, BLOCK_DEL */
		struct sip_store_binding binding;     /* BINDING_PUT, _DEL, _DEL_AOR (aor) */
		struct sip_store_subscription sub;    /* SUB_PUT, SUB_DEL (key) */
		struct sip_store_publication pub;     /* PUB_PUT, PUB_DEL (key) */
		struct sip_store_mwi mwi;             /* MWI_PUT, MWI_DEL (aor) */
		int64_t now;                          /* *_PURGE */
	} u;
};

/* The operations of b, in the order they were added. */
const struct sip_store_op *sip_store_batch_ops(const struct sip_store_batch *b, size_t *n);

struct sip_store_ops {
	const char *name;
	void (*close)(struct sip_store *st);
	int (*fd)(const struct sip_store *st);
	int (*process)(struct sip_store *st);
	int (*flush)(struct sip_store *st, int timeout_ms);
	size_t (*pending)(const struct sip_store *st);
	int (*submit)(struct sip_store *st, struct sip_store_batch *b, sip_store_done_cb cb,
		      void *arg);
	int (*user_get)(struct sip_store *st, struct sip_str aor, struct sip_store_user *out);
	int (*user_each)(struct sip_store *st, sip_store_user_cb cb, void *arg);
	int (*block_find)(struct sip_store *st, struct sip_str aor, struct sip_str uri,
			  uint16_t *code);
	int (*block_each)(struct sip_store *st, struct sip_str aor, sip_store_block_cb cb,
			  void *arg);
	int (*binding_each_aor)(struct sip_store *st, struct sip_str aor, int64_t now,
				sip_store_binding_cb cb, void *arg);
	int (*binding_each)(struct sip_store *st, sip_store_binding_cb cb, void *arg);
	int (*binding_each_expired)(struct sip_store *st, int64_t now, sip_store_binding_cb cb,
				    void *arg);
	int (*sub_get)(struct sip_store *st, const struct sip_store_sub_key *k,
		       struct sip_store_subscription *out);
	int (*sub_each_resource)(struct sip_store *st, struct sip_str resource,
				 struct sip_str event, int64_t now, sip_store_sub_cb cb, void *arg);
	int (*sub_each)(struct sip_store *st, sip_store_sub_cb cb, void *arg);
	int (*pub_get)(struct sip_store *st, struct sip_str entity, struct sip_str event,
		       struct sip_str etag, struct sip_store_publication *out);
	int (*pub_each_entity)(struct sip_store *st, struct sip_str entity, struct sip_str event,
			       int64_t now, sip_store_pub_cb cb, void *arg);
	int (*pub_each)(struct sip_store *st, sip_store_pub_cb cb, void *arg);
	int (*mwi_get)(struct sip_store *st, struct sip_str aor, struct sip_store_mwi *out);
	int (*users_generation)(struct sip_store *st, uint64_t *gen);
};

struct sip_store {
	const struct sip_store_ops *ops;
};

#endif

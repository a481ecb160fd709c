/* The SQLite backend, writer side: one group of batches per transaction, each batch
 * in its own savepoint so that a failing batch is undone alone (store.h). Runs on the
 * writer thread only, with the writer connection and its prepared statements. */
#include <errno.h>
#include <time.h>

#include "siphon/err.h"
#include "siphon/log.h"
#include "sqlite_int.h"

/* Step a statement that returns no row, then reset it. 0 or -EIO. */
static int run(struct store_sqlite *s, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		sip_log_error("store", "sqlite: %.48s...: %s", sqlite3_sql(st), sqlite3_errmsg(s->wdb));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	/* Another process kept the database locked past busy_timeout_ms. */
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? -EBUSY : -EIO;
}

/* Rows changed by the last statement run. */
static int changes(struct store_sqlite *s)
{
	return sqlite3_changes(s->wdb);
}

static int user_exists(struct store_sqlite *s, struct sip_str aor, bool *yes)
{
	sqlite3_stmt *st = s->w[W_USER_EXISTS];
	int rc;

	store_bind_str(st, 1, aor);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return -EIO;
	*yes = rc == SQLITE_ROW;
	return 0;
}

static int by_aor(struct store_sqlite *s, int stmt, struct sip_str aor)
{
	sqlite3_stmt *st = s->w[stmt];
	store_bind_str(st, 1, aor);
	return run(s, st);
}

static int purge(struct store_sqlite *s, int stmt, int64_t now)
{
	sqlite3_stmt *st = s->w[stmt];
	sqlite3_bind_int64(st, 1, now);
	return run(s, st);
}

static int user_put(struct store_sqlite *s, const struct sip_store_user *u, int64_t now)
{
	sqlite3_stmt *st = s->w[W_USER_PUT];

	store_bind_str(st, 1, u->aor);
	store_bind_str(st, 2, u->username);
	store_bind_str(st, 3, u->realm);
	store_bind_str(st, 4, u->ha1_md5);
	store_bind_str(st, 5, u->ha1_sha256);
	sqlite3_bind_int(st, 6, u->dnd);
	sqlite3_bind_int(st, 7, u->decline_code);
	sqlite3_bind_int64(st, 8, u->updated_at ? u->updated_at : now);
	return run(s, st);
}

static int user_del(struct store_sqlite *s, struct sip_str aor)
{
	int err = by_aor(s, W_USER_DEL, aor);

	if (err)
		return err;
	if (!changes(s))
		return SIP_ENOTFOUND;
	err = by_aor(s, W_BLOCK_DEL_AOR, aor);
	if (!err)
		err = by_aor(s, W_MWI_DEL, aor);
	return err;
}

static int user_policy(struct store_sqlite *s, const struct sip_store_op *op, int64_t now)
{
	sqlite3_stmt *st = s->w[W_USER_POLICY];
	int err;

	store_bind_str(st, 1, op->u.policy.aor);
	sqlite3_bind_int(st, 2, !!(op->u.policy.mask & SIP_STORE_POLICY_DND));
	sqlite3_bind_int(st, 3, op->u.policy.dnd);
	sqlite3_bind_int(st, 4, !!(op->u.policy.mask & SIP_STORE_POLICY_DECLINE_CODE));
	sqlite3_bind_int(st, 5, op->u.policy.decline_code);
	sqlite3_bind_int64(st, 6, now);
	err = run(s, st);
	if (!err && !changes(s))
		err = SIP_ENOTFOUND;
	return err;
}

static int block_add(struct store_sqlite *s, const struct sip_store_block *e)
{
	sqlite3_stmt *st = s->w[W_BLOCK_ADD];
	bool yes;
	int err = user_exists(s, e->aor, &yes);

	if (err)
		return err;
	if (!yes)
		return SIP_ENOTFOUND;
	store_bind_str(st, 1, e->aor);
	store_bind_str(st, 2, e->uri);
	sqlite3_bind_int(st, 3, e->code);
	return run(s, st);
}

static int block_del(struct store_sqlite *s, const struct sip_store_block *e)
{
	sqlite3_stmt *st = s->w[W_BLOCK_DEL];
	int err;

	store_bind_str(st, 1, e->aor);
	store_bind_str(st, 2, e->uri);
	err = run(s, st);
	if (!err && !changes(s))
		err = SIP_ENOTFOUND;
	return err;
}

static int binding_put(struct store_sqlite *s, const struct sip_store_binding *b, int64_t now)
{
	sqlite3_stmt *st = s->w[W_BINDING_PUT];

	store_bind_str(st, 1, b->aor);
	store_bind_str(st, 2, b->contact);
	store_bind_str(st, 3, b->params);
	sqlite3_bind_int64(st, 4, b->expires_at);
	sqlite3_bind_int(st, 5, b->q);
	store_bind_str(st, 6, b->call_id);
	sqlite3_bind_int64(st, 7, b->cseq);
	store_bind_str(st, 8, b->path);
	store_bind_str(st, 9, b->instance);
	sqlite3_bind_int64(st, 10, b->reg_id);
	store_bind_str(st, 11, b->transport);
	store_bind_str(st, 12, b->received);
	store_bind_str(st, 13, b->local);
	/* SQLite integers are signed 64-bit: the flow id round-trips bit for bit. */
	sqlite3_bind_int64(st, 14, (sqlite3_int64)b->flow_id);
	store_bind_str(st, 15, b->user_agent);
	sqlite3_bind_int64(st, 16, b->updated_at ? b->updated_at : now);
	return run(s, st);
}

static int binding_del(struct store_sqlite *s, const struct sip_store_binding *b)
{
	sqlite3_stmt *st = s->w[W_BINDING_DEL];

	store_bind_str(st, 1, b->aor);
	store_bind_str(st, 2, b->contact);
	return run(s, st);
}

static void bind_sub_key(sqlite3_stmt *st, const struct sip_store_sub_key *k)
{
	store_bind_str(st, 1, k->call_id);
	store_bind_str(st, 2, k->local_tag);
	store_bind_str(st, 3, k->remote_tag);
	store_bind_str(st, 4, k->event);
	store_bind_str(st, 5, k->event_id);
}

static int sub_put(struct store_sqlite *s, const struct sip_store_subscription *r, int64_t now)
{
	sqlite3_stmt *st = s->w[W_SUB_PUT];

	bind_sub_key(st, &r->key);
	store_bind_str(st, 6, r->resource);
	store_bind_str(st, 7, r->watcher);
	store_bind_str(st, 8, r->contact);
	store_bind_str(st, 9, r->route_set);
	store_bind_str(st, 10, r->local_uri);
	store_bind_str(st, 11, r->accept);
	store_bind_str(st, 12, r->transport);
	store_bind_str(st, 13, r->dest);
	store_bind_str(st, 14, r->local);
	sqlite3_bind_int64(st, 15, (sqlite3_int64)r->flow_id);
	sqlite3_bind_int64(st, 16, r->expires_at);
	sqlite3_bind_int64(st, 17, r->local_cseq);
	sqlite3_bind_int64(st, 18, r->remote_cseq);
	sqlite3_bind_int(st, 19, (int)r->state);
	store_bind_str(st, 20, r->last_etag);
	store_bind_str(st, 21, r->suppress_etag);
	sqlite3_bind_int(st, 22, (int)r->suppress);
	sqlite3_bind_int64(st, 23, r->updated_at ? r->updated_at : now);
	return run(s, st);
}

static int sub_del(struct store_sqlite *s, const struct sip_store_sub_key *k)
{
	sqlite3_stmt *st = s->w[W_SUB_DEL];

	bind_sub_key(st, k);
	return run(s, st);
}

static int pub_put(struct store_sqlite *s, const struct sip_store_publication *p, int64_t now)
{
	sqlite3_stmt *st = s->w[W_PUB_PUT];

	store_bind_str(st, 1, p->entity);
	store_bind_str(st, 2, p->event);
	store_bind_str(st, 3, p->etag);
	sqlite3_bind_int64(st, 4, p->expires_at);
	store_bind_str(st, 5, p->content_type);
	sqlite3_bind_blob(st, 6, p->body.len ? p->body.p : "", (int)p->body.len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, p->updated_at ? p->updated_at : now);
	return run(s, st);
}

static int pub_del(struct store_sqlite *s, const struct sip_store_publication *p)
{
	sqlite3_stmt *st = s->w[W_PUB_DEL];

	store_bind_str(st, 1, p->entity);
	store_bind_str(st, 2, p->event);
	store_bind_str(st, 3, p->etag);
	return run(s, st);
}

static int mwi_put(struct store_sqlite *s, const struct sip_store_mwi *m, int64_t now)
{
	sqlite3_stmt *st = s->w[W_MWI_PUT];

	store_bind_str(st, 1, m->aor);
	sqlite3_bind_int64(st, 2, m->new_msgs);
	sqlite3_bind_int64(st, 3, m->old_msgs);
	sqlite3_bind_int64(st, 4, m->urgent_new);
	sqlite3_bind_int64(st, 5, m->urgent_old);
	sqlite3_bind_int64(st, 6, m->updated_at ? m->updated_at : now);
	return run(s, st);
}

/* Does this operation change a user or a block list (sip_store_users_generation)? */
static bool touches_users(enum sip_store_op_kind kind)
{
	return kind == SIP_STORE_OP_USER_PUT || kind == SIP_STORE_OP_USER_DEL ||
	       kind == SIP_STORE_OP_USER_POLICY || kind == SIP_STORE_OP_BLOCK_ADD ||
	       kind == SIP_STORE_OP_BLOCK_DEL;
}

static int apply_op(struct store_sqlite *s, const struct sip_store_op *op, int64_t now);

static int apply(struct store_sqlite *s, const struct sip_store_op *op, int64_t now)
{
	int err = apply_op(s, op, now);

	/* Same transaction, same savepoint: the generation moves exactly when the
	 * change commits. */
	if (!err && touches_users(op->kind))
		err = run(s, s->w[W_USERS_BUMP]);
	return err;
}

static int apply_op(struct store_sqlite *s, const struct sip_store_op *op, int64_t now)
{
	switch (op->kind) {
	case SIP_STORE_OP_USER_PUT: return user_put(s, &op->u.user, now);
	case SIP_STORE_OP_USER_DEL: return user_del(s, op->u.user.aor);
	case SIP_STORE_OP_USER_POLICY: return user_policy(s, op, now);
	case SIP_STORE_OP_BLOCK_ADD: return block_add(s, &op->u.block);
	case SIP_STORE_OP_BLOCK_DEL: return block_del(s, &op->u.block);
	case SIP_STORE_OP_BINDING_PUT: return binding_put(s, &op->u.binding, now);
	case SIP_STORE_OP_BINDING_DEL: return binding_del(s, &op->u.binding);
	case SIP_STORE_OP_BINDING_DEL_AOR: return by_aor(s, W_BINDING_DEL_AOR, op->u.binding.aor);
	case SIP_STORE_OP_BINDING_PURGE: return purge(s, W_BINDING_PURGE, op->u.now);
	case SIP_STORE_OP_SUB_PUT: return sub_put(s, &op->u.sub, now);
	case SIP_STORE_OP_SUB_DEL: return sub_del(s, &op->u.sub.key);
	case SIP_STORE_OP_SUB_PURGE: return purge(s, W_SUB_PURGE, op->u.now);
	case SIP_STORE_OP_PUB_PUT: return pub_put(s, &op->u.pub, now);
	case SIP_STORE_OP_PUB_DEL: return pub_del(s, &op->u.pub);
	case SIP_STORE_OP_PUB_PURGE: return purge(s, W_PUB_PURGE, op->u.now);
	case SIP_STORE_OP_MWI_PUT: return mwi_put(s, &op->u.mwi, now);
	case SIP_STORE_OP_MWI_DEL: return by_aor(s, W_MWI_DEL, op->u.mwi.aor);
	}
	return -EINVAL;
}

/* Can this operation fail for a reason other than the database failing? Only then
 * does its batch need a savepoint of its own. */
static bool may_refuse(enum sip_store_op_kind kind)
{
	return kind == SIP_STORE_OP_USER_DEL || kind == SIP_STORE_OP_USER_POLICY ||
	       kind == SIP_STORE_OP_BLOCK_ADD || kind == SIP_STORE_OP_BLOCK_DEL;
}

/* Apply one batch. A batch that may refuse (SIP_ENOTFOUND...) runs in a savepoint
 * and is undone alone. The others (bindings, subscriptions, publications: upserts
 * and deletes that cannot refuse) skip the savepoint, which is most of the writes;
 * *unsafe is set when such a batch fails anyway (a database error), since its partial
 * effects cannot be undone without undoing the whole transaction. */
static int run_batch(struct store_sqlite *s, struct sip_store_batch *b, int64_t now,
		     bool always_savepoint, bool *unsafe)
{
	size_t n;
	const struct sip_store_op *ops = sip_store_batch_ops(b, &n);
	bool savepoint = always_savepoint;
	int err = 0;

	for (size_t i = 0; i < n && !savepoint; i++)
		savepoint = may_refuse(ops[i].kind);
	if (savepoint) {
		err = run(s, s->w[W_SAVEPOINT]);
		if (err)
			return err;
	}
	for (size_t i = 0; i < n && !err; i++)
		err = apply(s, &ops[i], now);
	if (!savepoint) {
		if (err)
			*unsafe = true;
		return err;
	}
	if (err) {
		/* Undo this batch only; the transaction goes on for the others. */
		run(s, s->w[W_ROLLBACK_TO]);
	}
	run(s, s->w[W_RELEASE]);
	return err;
}

/* One transaction over the group. Returns false when it had to be abandoned because
 * a batch without a savepoint failed half-way (nothing committed then). */
static bool run_once(struct store_sqlite *s, struct sip_store_batch *first, int64_t now,
		     bool always_savepoint)
{
	struct sip_store_batch *b;
	bool unsafe = false;
	int err = run(s, s->w[W_BEGIN]);

	if (err) {
		for (b = first; b; b = b->next)
			b->err = err;
		return true;
	}
	for (b = first; b && !unsafe; b = b->next)
		b->err = run_batch(s, b, now, always_savepoint, &unsafe);
	if (unsafe) {
		run(s, s->w[W_ROLLBACK]);
		return false;
	}
	err = run(s, s->w[W_COMMIT]);
	if (err) {
		run(s, s->w[W_ROLLBACK]);
		for (b = first; b; b = b->next)
			if (!b->err)
				b->err = err;
	}
	return true;
}

void store_sqlite_run_group(struct store_sqlite *s, struct sip_store_batch *first)
{
	int64_t now = (int64_t)time(NULL);

	/* The rare failure of a batch without savepoint: redo the whole group with a
	 * savepoint for every batch, so that only the failing ones fail. */
	if (!run_once(s, first, now, false))
		run_once(s, first, now, true);
}

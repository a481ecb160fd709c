/* The SQLite backend, reader side: synchronous reads on the owner thread through the
 * reader connection. Every statement is reset as soon as it is done so that no read
 * transaction stays open (an open one would pin an old snapshot and hold back WAL
 * checkpoints). */
#include <errno.h>
#include <string.h>

#include "siphon/err.h"
#include "siphon/log.h"
#include "sqlite_int.h"

static sqlite3_stmt *stmt(struct sip_store *st, int i)
{
	return ((struct store_sqlite *)st)->r[i];
}

static int done(sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
		sip_log_error("store", "sqlite read: %.48s...: %s", sqlite3_sql(st),
			      sqlite3_errmsg(sqlite3_db_handle(st)));
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW || rc == SQLITE_OK ? 0 : -EIO;
}

/* Step a single-row lookup. 0: a row is ready (finish with done(st, SQLITE_ROW));
 * otherwise the statement is reset and SIP_ENOTFOUND or the read error returned. */
static int step_row(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st), err;

	if (rc == SQLITE_ROW)
		return 0;
	err = done(st, rc);
	return err ? err : SIP_ENOTFOUND;
}

/* ------------------------------------------------------------------ rows */

static void row_user(sqlite3_stmt *st, struct sip_store_user *u)
{
	memset(u, 0, sizeof(*u));
	u->aor = store_col_str(st, 0);
	u->username = store_col_str(st, 1);
	u->realm = store_col_str(st, 2);
	u->ha1_md5 = store_col_str(st, 3);
	u->ha1_sha256 = store_col_str(st, 4);
	u->dnd = sqlite3_column_int(st, 5) != 0;
	u->decline_code = (uint16_t)sqlite3_column_int(st, 6);
	u->updated_at = sqlite3_column_int64(st, 7);
}

static void row_binding(sqlite3_stmt *st, struct sip_store_binding *b)
{
	memset(b, 0, sizeof(*b));
	b->aor = store_col_str(st, 0);
	b->contact = store_col_str(st, 1);
	b->params = store_col_str(st, 2);
	b->expires_at = sqlite3_column_int64(st, 3);
	b->q = (uint16_t)sqlite3_column_int(st, 4);
	b->call_id = store_col_str(st, 5);
	b->cseq = (uint32_t)sqlite3_column_int64(st, 6);
	b->path = store_col_str(st, 7);
	b->instance = store_col_str(st, 8);
	b->reg_id = (uint32_t)sqlite3_column_int64(st, 9);
	b->transport = store_col_str(st, 10);
	b->received = store_col_str(st, 11);
	b->local = store_col_str(st, 12);
	b->flow_id = (uint64_t)sqlite3_column_int64(st, 13);
	b->user_agent = store_col_str(st, 14);
	b->updated_at = sqlite3_column_int64(st, 15);
}

static void row_sub(sqlite3_stmt *st, struct sip_store_subscription *s)
{
	memset(s, 0, sizeof(*s));
	s->key.call_id = store_col_str(st, 0);
	s->key.local_tag = store_col_str(st, 1);
	s->key.remote_tag = store_col_str(st, 2);
	s->key.event = store_col_str(st, 3);
	s->key.event_id = store_col_str(st, 4);
	s->resource = store_col_str(st, 5);
	s->watcher = store_col_str(st, 6);
	s->contact = store_col_str(st, 7);
	s->route_set = store_col_str(st, 8);
	s->local_uri = store_col_str(st, 9);
	s->accept = store_col_str(st, 10);
	s->transport = store_col_str(st, 11);
	s->dest = store_col_str(st, 12);
	s->local = store_col_str(st, 13);
	s->flow_id = (uint64_t)sqlite3_column_int64(st, 14);
	s->expires_at = sqlite3_column_int64(st, 15);
	s->local_cseq = (uint32_t)sqlite3_column_int64(st, 16);
	s->remote_cseq = (uint32_t)sqlite3_column_int64(st, 17);
	s->state = (enum sip_store_sub_state)sqlite3_column_int(st, 18);
	s->last_etag = store_col_str(st, 19);
	s->suppress_etag = store_col_str(st, 20);
	s->suppress = (unsigned)sqlite3_column_int(st, 21);
	s->updated_at = sqlite3_column_int64(st, 22);
}

static void row_pub(sqlite3_stmt *st, struct sip_store_publication *p)
{
	const void *body;

	memset(p, 0, sizeof(*p));
	p->entity = store_col_str(st, 0);
	p->event = store_col_str(st, 1);
	p->etag = store_col_str(st, 2);
	p->expires_at = sqlite3_column_int64(st, 3);
	p->content_type = store_col_str(st, 4);
	body = sqlite3_column_blob(st, 5);
	p->body = (struct sip_str){ body ? body : "", (size_t)sqlite3_column_bytes(st, 5) };
	p->updated_at = sqlite3_column_int64(st, 6);
}

/* ------------------------------------------------------------------ users */

int store_sqlite_user_get(struct sip_store *sto, struct sip_str aor, struct sip_store_user *out)
{
	sqlite3_stmt *st = stmt(sto, R_USER_GET);
	struct sip_store_user u;
	struct sip_str *f[STORE_MAX_FIELDS];
	int err;

	store_bind_str(st, 1, aor);
	err = step_row(st);
	if (err)
		return err;
	row_user(st, &u);
	err = store_own(&u.mem, f, store_user_fields(&u, f));
	done(st, SQLITE_ROW);
	if (err)
		return err;
	*out = u;
	return 0;
}

int store_sqlite_user_each(struct sip_store *sto, sip_store_user_cb cb, void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_USER_EACH);
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_user u;
		row_user(st, &u);
		ret = cb(&u, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

int store_sqlite_block_find(struct sip_store *sto, struct sip_str aor, struct sip_str uri,
			    uint16_t *code)
{
	sqlite3_stmt *st = stmt(sto, R_BLOCK_FIND);
	int err, c;

	store_bind_str(st, 1, aor);
	store_bind_str(st, 2, uri);
	err = step_row(st);
	if (err)
		return err;
	/* The entry's own code wins over the user's default (RFC 8197 607 or 603). */
	c = sqlite3_column_int(st, 0);
	if (!c)
		c = sqlite3_column_int(st, 1);
	done(st, SQLITE_ROW);
	*code = (uint16_t)c;
	return 0;
}

int store_sqlite_block_each(struct sip_store *sto, struct sip_str aor, sip_store_block_cb cb,
			    void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_BLOCK_EACH);
	int rc, ret = 0;

	store_bind_str(st, 1, aor);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_block e = {
			store_col_str(st, 0), store_col_str(st, 1), (uint16_t)sqlite3_column_int(st, 2)
		};
		ret = cb(&e, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

/* ------------------------------------------------------------------ bindings */

static int each_binding(sqlite3_stmt *st, sip_store_binding_cb cb, void *arg)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_binding b;
		row_binding(st, &b);
		ret = cb(&b, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

int store_sqlite_binding_each_aor(struct sip_store *sto, struct sip_str aor, int64_t now,
				  sip_store_binding_cb cb, void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_BINDING_AOR);

	store_bind_str(st, 1, aor);
	sqlite3_bind_int64(st, 2, now);
	return each_binding(st, cb, arg);
}

int store_sqlite_binding_each(struct sip_store *sto, sip_store_binding_cb cb, void *arg)
{
	return each_binding(stmt(sto, R_BINDING_ALL), cb, arg);
}

int store_sqlite_binding_each_expired(struct sip_store *sto, int64_t now,
				      sip_store_binding_cb cb, void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_BINDING_EXPIRED);

	sqlite3_bind_int64(st, 1, now);
	return each_binding(st, cb, arg);
}

/* ------------------------------------------------------------------ subscriptions */

static int each_sub(sqlite3_stmt *st, sip_store_sub_cb cb, void *arg)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_subscription s;
		row_sub(st, &s);
		ret = cb(&s, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

int store_sqlite_sub_get(struct sip_store *sto, const struct sip_store_sub_key *k,
			 struct sip_store_subscription *out)
{
	sqlite3_stmt *st = stmt(sto, R_SUB_GET);
	struct sip_store_subscription s;
	struct sip_str *f[STORE_MAX_FIELDS];
	int err;

	store_bind_str(st, 1, k->call_id);
	store_bind_str(st, 2, k->local_tag);
	store_bind_str(st, 3, k->remote_tag);
	store_bind_str(st, 4, k->event);
	store_bind_str(st, 5, k->event_id);
	err = step_row(st);
	if (err)
		return err;
	row_sub(st, &s);
	err = store_own(&s.mem, f, store_sub_fields(&s, f));
	done(st, SQLITE_ROW);
	if (err)
		return err;
	*out = s;
	return 0;
}

int store_sqlite_sub_each_resource(struct sip_store *sto, struct sip_str resource,
				   struct sip_str event, int64_t now, sip_store_sub_cb cb,
				   void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_SUB_RESOURCE);

	store_bind_str(st, 1, resource);
	store_bind_str(st, 2, event);
	sqlite3_bind_int64(st, 3, now);
	return each_sub(st, cb, arg);
}

int store_sqlite_sub_each(struct sip_store *sto, sip_store_sub_cb cb, void *arg)
{
	return each_sub(stmt(sto, R_SUB_ALL), cb, arg);
}

/* ------------------------------------------------------------------ publications */

static int each_pub(sqlite3_stmt *st, sip_store_pub_cb cb, void *arg)
{
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_publication p;
		row_pub(st, &p);
		ret = cb(&p, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

int store_sqlite_pub_get(struct sip_store *sto, struct sip_str entity, struct sip_str event,
			 struct sip_str etag, struct sip_store_publication *out)
{
	sqlite3_stmt *st = stmt(sto, R_PUB_GET);
	struct sip_store_publication p;
	struct sip_str *f[STORE_MAX_FIELDS];
	int err;

	store_bind_str(st, 1, entity);
	store_bind_str(st, 2, event);
	store_bind_str(st, 3, etag);
	err = step_row(st);
	if (err)
		return err;
	row_pub(st, &p);
	err = store_own(&p.mem, f, store_pub_fields(&p, f));
	done(st, SQLITE_ROW);
	if (err)
		return err;
	*out = p;
	return 0;
}

int store_sqlite_pub_each_entity(struct sip_store *sto, struct sip_str entity,
				 struct sip_str event, int64_t now, sip_store_pub_cb cb,
				 void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_PUB_ENTITY);

	store_bind_str(st, 1, entity);
	store_bind_str(st, 2, event);
	sqlite3_bind_int64(st, 3, now);
	return each_pub(st, cb, arg);
}

int store_sqlite_pub_each(struct sip_store *sto, sip_store_pub_cb cb, void *arg)
{
	return each_pub(stmt(sto, R_PUB_ALL), cb, arg);
}

/* ------------------------------------------------------------------ message summary */

static void row_mwi(sqlite3_stmt *st, struct sip_store_mwi *m)
{
	memset(m, 0, sizeof(*m));
	m->aor = store_col_str(st, 0);
	m->new_msgs = (uint32_t)sqlite3_column_int64(st, 1);
	m->old_msgs = (uint32_t)sqlite3_column_int64(st, 2);
	m->urgent_new = (uint32_t)sqlite3_column_int64(st, 3);
	m->urgent_old = (uint32_t)sqlite3_column_int64(st, 4);
	m->updated_at = sqlite3_column_int64(st, 5);
}

int store_sqlite_mwi_get(struct sip_store *sto, struct sip_str aor, struct sip_store_mwi *out)
{
	sqlite3_stmt *st = stmt(sto, R_MWI_GET);
	struct sip_store_mwi m;
	struct sip_str *f[1];
	int err;

	store_bind_str(st, 1, aor);
	err = step_row(st);
	if (err)
		return err;
	row_mwi(st, &m);
	f[0] = &m.aor;
	err = store_own(&m.mem, f, 1);
	done(st, SQLITE_ROW);
	if (err)
		return err;
	*out = m;
	return 0;
}

int store_sqlite_mwi_each(struct sip_store *sto, sip_store_mwi_cb cb, void *arg)
{
	sqlite3_stmt *st = stmt(sto, R_MWI_ALL);
	int rc, ret = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct sip_store_mwi m;
		row_mwi(st, &m);
		ret = cb(&m, arg);
		if (ret)
			break;
	}
	rc = done(st, rc);
	return ret ? ret : rc;
}

int store_sqlite_mwi_generation(struct sip_store *sto, uint64_t *gen)
{
	sqlite3_stmt *st = stmt(sto, R_MWI_GEN);
	int rc = sqlite3_step(st);
	uint64_t v = 0;

	/* No row yet: nothing was ever written. */
	if (rc == SQLITE_ROW)
		v = (uint64_t)sqlite3_column_int64(st, 0);
	rc = done(st, rc);
	if (rc)
		return rc;
	*gen = v;
	return 0;
}

int store_sqlite_users_generation(struct sip_store *sto, uint64_t *gen)
{
	sqlite3_stmt *st = stmt(sto, R_USERS_GEN);
	int rc = sqlite3_step(st);
	uint64_t v;

	if (rc != SQLITE_ROW) {
		int err = done(st, rc);
		return err ? err : -EIO;
	}
	v = (uint64_t)sqlite3_column_int64(st, 0);
	done(st, rc);
	*gen = v;
	return 0;
}

/* The store interface: batches (backend-independent copies of the operations), the
 * dispatch of sip_store_* through the backend's ops table, owned records and the
 * canonical AOR helper. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"
#include "store_int.h"

/* ------------------------------------------------------------------ records */

size_t store_user_fields(struct sip_store_user *u, struct sip_str **f)
{
	f[0] = &u->aor;
	f[1] = &u->username;
	f[2] = &u->realm;
	f[3] = &u->ha1_md5;
	f[4] = &u->ha1_sha256;
	return 5;
}

size_t store_binding_fields(struct sip_store_binding *b, struct sip_str **f)
{
	f[0] = &b->aor;
	f[1] = &b->contact;
	f[2] = &b->params;
	f[3] = &b->call_id;
	f[4] = &b->path;
	f[5] = &b->instance;
	f[6] = &b->transport;
	f[7] = &b->received;
	f[8] = &b->local;
	f[9] = &b->user_agent;
	return 10;
}

size_t store_sub_fields(struct sip_store_subscription *s, struct sip_str **f)
{
	f[0] = &s->key.call_id;
	f[1] = &s->key.local_tag;
	f[2] = &s->key.remote_tag;
	f[3] = &s->key.event;
	f[4] = &s->key.event_id;
	f[5] = &s->resource;
	f[6] = &s->watcher;
	f[7] = &s->contact;
	f[8] = &s->route_set;
	f[9] = &s->local_uri;
	f[10] = &s->accept;
	f[11] = &s->transport;
	f[12] = &s->dest;
	f[13] = &s->local;
	f[14] = &s->last_etag;
	f[15] = &s->suppress_etag;
	return 16;
}

size_t store_pub_fields(struct sip_store_publication *p, struct sip_str **f)
{
	f[0] = &p->entity;
	f[1] = &p->event;
	f[2] = &p->etag;
	f[3] = &p->content_type;
	f[4] = &p->body;
	return 5;
}

int store_own(void **mem, struct sip_str *const *f, size_t n)
{
	size_t total = 1, off = 0;
	char *block;

	for (size_t i = 0; i < n; i++)
		total += f[i]->len;
	block = malloc(total);
	if (!block)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (f[i]->len)
			memcpy(block + off, f[i]->p, f[i]->len);
		f[i]->p = block + off;
		off += f[i]->len;
	}
	block[off] = '\0';
	*mem = block;
	return 0;
}

void sip_store_user_clear(struct sip_store_user *u)
{
	free(u->mem);
	memset(u, 0, sizeof(*u));
}

void sip_store_sub_clear(struct sip_store_subscription *s)
{
	free(s->mem);
	memset(s, 0, sizeof(*s));
}

void sip_store_pub_clear(struct sip_store_publication *p)
{
	free(p->mem);
	memset(p, 0, sizeof(*p));
}

void sip_store_mwi_clear(struct sip_store_mwi *m)
{
	free(m->mem);
	memset(m, 0, sizeof(*m));
}

/* ------------------------------------------------------------------ batches */

int sip_store_batch_new(struct sip_store_batch **bp)
{
	struct sip_store_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return -ENOMEM;
	b->ops = b->inline_ops;
	b->cap = sizeof(b->inline_ops) / sizeof(b->inline_ops[0]);
	sip_arena_init(&b->arena, b->first, sizeof(b->first));
	*bp = b;
	return 0;
}

void sip_store_batch_free(struct sip_store_batch *b)
{
	if (!b)
		return;
	if (b->ops != b->inline_ops)
		free(b->ops);
	sip_arena_free(&b->arena);
	free(b);
}

size_t sip_store_batch_count(const struct sip_store_batch *b)
{
	return b->n;
}

const struct sip_store_op *sip_store_batch_ops(const struct sip_store_batch *b, size_t *n)
{
	*n = b->n;
	return b->ops;
}

/* A new zeroed operation at the end of b (not counted until commit_op). */
static struct sip_store_op *new_op(struct sip_store_batch *b, enum sip_store_op_kind kind)
{
	struct sip_store_op *op;

	if (b->n == b->cap) {
		size_t cap = b->cap * 2;
		struct sip_store_op *ops;

		if (b->ops == b->inline_ops) {
			ops = malloc(cap * sizeof(*ops));
			if (ops)
				memcpy(ops, b->inline_ops, b->n * sizeof(*ops));
		} else {
			ops = realloc(b->ops, cap * sizeof(*ops));
		}
		if (!ops)
			return NULL;
		b->ops = ops;
		b->cap = cap;
	}
	op = &b->ops[b->n];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

/* The largest string a record may hold (a PIDF body is far smaller); SQLite takes
 * lengths as int, so this also keeps every length well inside its range. */
#define STORE_MAX_FIELD (16u << 20)

/* Copy the slices f[0..n) into the batch's arena. */
static int copy_fields(struct sip_store_batch *b, struct sip_str *const *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p;

		if (f[i]->len > STORE_MAX_FIELD)
			return SIP_ETOOBIG;
		if (!f[i]->len) {
			*f[i] = (struct sip_str){ "", 0 };
			continue;
		}
		if (!f[i]->p)
			return -EINVAL;
		p = sip_arena_memdup(&b->arena, f[i]->p, f[i]->len);
		if (!p)
			return -ENOMEM;
		f[i]->p = p;
	}
	return 0;
}

static int copy_str(struct sip_store_batch *b, struct sip_str *s)
{
	struct sip_str *f[1] = { s };
	return copy_fields(b, f, 1);
}

static bool is_hex(struct sip_str s, size_t len)
{
	if (s.len != len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s.p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

static bool valid_decline(uint16_t code)
{
	/* RFC 8197: 607 Unwanted; otherwise RFC 3261 603 Decline. */
	return code == 603 || code == 607;
}

int sip_store_batch_user_put(struct sip_store_batch *b, const struct sip_store_user *u)
{
	struct sip_str *f[STORE_MAX_FIELDS];
	struct sip_store_op *op;
	size_t n;
	int err;

	if (!u->aor.len || !u->username.len || !u->realm.len)
		return -EINVAL;
	if ((u->ha1_md5.len && !is_hex(u->ha1_md5, 32)) ||
	    (u->ha1_sha256.len && !is_hex(u->ha1_sha256, 64)))
		return -EINVAL;
	if (u->decline_code && !valid_decline(u->decline_code))
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_USER_PUT);
	if (!op)
		return -ENOMEM;
	op->u.user = *u;
	op->u.user.mem = NULL;
	if (!op->u.user.decline_code)
		op->u.user.decline_code = 603;
	n = store_user_fields(&op->u.user, f);
	err = copy_fields(b, f, n);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_user_del(struct sip_store_batch *b, struct sip_str aor)
{
	struct sip_store_op *op;
	int err;

	if (!aor.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_USER_DEL);
	if (!op)
		return -ENOMEM;
	op->u.user.aor = aor;
	err = copy_str(b, &op->u.user.aor);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_user_policy(struct sip_store_batch *b, struct sip_str aor, unsigned mask,
				bool dnd, uint16_t decline_code)
{
	struct sip_store_op *op;
	int err;

	if (!aor.len || !mask ||
	    (mask & ~(unsigned)(SIP_STORE_POLICY_DND | SIP_STORE_POLICY_DECLINE_CODE)))
		return -EINVAL;
	if ((mask & SIP_STORE_POLICY_DECLINE_CODE) && !valid_decline(decline_code))
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_USER_POLICY);
	if (!op)
		return -ENOMEM;
	op->u.policy.aor = aor;
	op->u.policy.mask = mask;
	op->u.policy.dnd = dnd;
	op->u.policy.decline_code = decline_code;
	err = copy_str(b, &op->u.policy.aor);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_block_add(struct sip_store_batch *b, const struct sip_store_block *e)
{
	struct sip_store_op *op;
	struct sip_str *f[2];
	int err;

	if (!e->aor.len || !e->uri.len || (e->code && !valid_decline(e->code)))
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_BLOCK_ADD);
	if (!op)
		return -ENOMEM;
	op->u.block = *e;
	f[0] = &op->u.block.aor;
	f[1] = &op->u.block.uri;
	err = copy_fields(b, f, 2);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_block_del(struct sip_store_batch *b, struct sip_str aor, struct sip_str uri)
{
	struct sip_store_block e = { aor, uri, 0 };
	int err;

	err = sip_store_batch_block_add(b, &e);
	if (err)
		return err;
	b->ops[b->n - 1].kind = SIP_STORE_OP_BLOCK_DEL;
	return 0;
}

int sip_store_batch_binding_put(struct sip_store_batch *b, const struct sip_store_binding *bd)
{
	struct sip_str *f[STORE_MAX_FIELDS];
	struct sip_store_op *op;
	size_t n;
	int err;

	if (!bd->aor.len || !bd->contact.len || bd->q > 1000)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_BINDING_PUT);
	if (!op)
		return -ENOMEM;
	op->u.binding = *bd;
	n = store_binding_fields(&op->u.binding, f);
	err = copy_fields(b, f, n);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_binding_del(struct sip_store_batch *b, struct sip_str aor,
				struct sip_str contact)
{
	struct sip_store_op *op;
	struct sip_str *f[2];
	int err;

	if (!aor.len || !contact.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_BINDING_DEL);
	if (!op)
		return -ENOMEM;
	op->u.binding.aor = aor;
	op->u.binding.contact = contact;
	f[0] = &op->u.binding.aor;
	f[1] = &op->u.binding.contact;
	err = copy_fields(b, f, 2);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_binding_del_aor(struct sip_store_batch *b, struct sip_str aor)
{
	struct sip_store_op *op;
	int err;

	if (!aor.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_BINDING_DEL_AOR);
	if (!op)
		return -ENOMEM;
	op->u.binding.aor = aor;
	err = copy_str(b, &op->u.binding.aor);
	if (err)
		return err;
	b->n++;
	return 0;
}

static int add_purge(struct sip_store_batch *b, enum sip_store_op_kind kind, int64_t now)
{
	struct sip_store_op *op = new_op(b, kind);

	if (!op)
		return -ENOMEM;
	op->u.now = now;
	b->n++;
	return 0;
}

int sip_store_batch_binding_purge(struct sip_store_batch *b, int64_t now)
{
	return add_purge(b, SIP_STORE_OP_BINDING_PURGE, now);
}

static bool sub_key_valid(const struct sip_store_sub_key *k)
{
	return k->call_id.len && k->local_tag.len && k->remote_tag.len && k->event.len;
}

int sip_store_batch_sub_put(struct sip_store_batch *b, const struct sip_store_subscription *s)
{
	struct sip_str *f[STORE_MAX_FIELDS];
	struct sip_store_op *op;
	size_t n;
	int err;

	if (!sub_key_valid(&s->key) || !s->resource.len || s->state > SIP_STORE_SUB_TERMINATED ||
	    (s->suppress & ~(unsigned)(SIP_STORE_SUPPRESS_MATCH | SIP_STORE_SUPPRESS_ALL)))
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_SUB_PUT);
	if (!op)
		return -ENOMEM;
	op->u.sub = *s;
	op->u.sub.mem = NULL;
	n = store_sub_fields(&op->u.sub, f);
	err = copy_fields(b, f, n);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_sub_del(struct sip_store_batch *b, const struct sip_store_sub_key *k)
{
	struct sip_str *f[STORE_MAX_FIELDS];
	struct sip_store_op *op;
	int err;

	if (!sub_key_valid(k))
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_SUB_DEL);
	if (!op)
		return -ENOMEM;
	op->u.sub.key = *k;
	/* The first five fields of a subscription are its key. */
	store_sub_fields(&op->u.sub, f);
	err = copy_fields(b, f, 5);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_sub_purge(struct sip_store_batch *b, int64_t now)
{
	return add_purge(b, SIP_STORE_OP_SUB_PURGE, now);
}

int sip_store_batch_pub_put(struct sip_store_batch *b, const struct sip_store_publication *p)
{
	struct sip_str *f[STORE_MAX_FIELDS];
	struct sip_store_op *op;
	size_t n;
	int err;

	if (!p->entity.len || !p->event.len || !p->etag.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_PUB_PUT);
	if (!op)
		return -ENOMEM;
	op->u.pub = *p;
	op->u.pub.mem = NULL;
	n = store_pub_fields(&op->u.pub, f);
	err = copy_fields(b, f, n);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_pub_del(struct sip_store_batch *b, struct sip_str entity,
			    struct sip_str event, struct sip_str etag)
{
	struct sip_str *f[3];
	struct sip_store_op *op;
	int err;

	if (!entity.len || !event.len || !etag.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_PUB_DEL);
	if (!op)
		return -ENOMEM;
	op->u.pub.entity = entity;
	op->u.pub.event = event;
	op->u.pub.etag = etag;
	f[0] = &op->u.pub.entity;
	f[1] = &op->u.pub.event;
	f[2] = &op->u.pub.etag;
	err = copy_fields(b, f, 3);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_pub_purge(struct sip_store_batch *b, int64_t now)
{
	return add_purge(b, SIP_STORE_OP_PUB_PURGE, now);
}

int sip_store_batch_mwi_put(struct sip_store_batch *b, const struct sip_store_mwi *m)
{
	struct sip_store_op *op;
	int err;

	if (!m->aor.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_MWI_PUT);
	if (!op)
		return -ENOMEM;
	op->u.mwi = *m;
	op->u.mwi.mem = NULL;
	err = copy_str(b, &op->u.mwi.aor);
	if (err)
		return err;
	b->n++;
	return 0;
}

int sip_store_batch_mwi_del(struct sip_store_batch *b, struct sip_str aor)
{
	struct sip_store_op *op;
	int err;

	if (!aor.len)
		return -EINVAL;
	op = new_op(b, SIP_STORE_OP_MWI_DEL);
	if (!op)
		return -ENOMEM;
	op->u.mwi.aor = aor;
	err = copy_str(b, &op->u.mwi.aor);
	if (err)
		return err;
	b->n++;
	return 0;
}

/* ------------------------------------------------------------------ dispatch */

int sip_store_open(struct sip_store **stp, const struct sip_store_options *opt)
{
	if (!stp || !opt || !opt->path || !opt->path[0])
		return -EINVAL;
	return store_sqlite_open(stp, opt);
}

void sip_store_close(struct sip_store *st)
{
	if (st)
		st->ops->close(st);
}

int sip_store_fd(const struct sip_store *st)
{
	return st->ops->fd(st);
}

int sip_store_process(struct sip_store *st)
{
	return st->ops->process(st);
}

int sip_store_flush(struct sip_store *st, int timeout_ms)
{
	return st->ops->flush(st, timeout_ms);
}

size_t sip_store_pending(const struct sip_store *st)
{
	return st->ops->pending(st);
}

int sip_store_submit(struct sip_store *st, struct sip_store_batch *b, sip_store_done_cb cb,
		     void *arg)
{
	if (!b)
		return -EINVAL;
	if (!b->n) {
		sip_store_batch_free(b);
		return -EINVAL;
	}
	return st->ops->submit(st, b, cb, arg);
}

int sip_store_user_get(struct sip_store *st, struct sip_str aor, struct sip_store_user *out)
{
	return st->ops->user_get(st, aor, out);
}

int sip_store_user_each(struct sip_store *st, sip_store_user_cb cb, void *arg)
{
	return st->ops->user_each(st, cb, arg);
}

int sip_store_block_find(struct sip_store *st, struct sip_str aor, struct sip_str uri,
			 uint16_t *code)
{
	return st->ops->block_find(st, aor, uri, code);
}

int sip_store_block_each(struct sip_store *st, struct sip_str aor, sip_store_block_cb cb,
			 void *arg)
{
	return st->ops->block_each(st, aor, cb, arg);
}

int sip_store_binding_each_aor(struct sip_store *st, struct sip_str aor, int64_t now,
			       sip_store_binding_cb cb, void *arg)
{
	return st->ops->binding_each_aor(st, aor, now, cb, arg);
}

int sip_store_binding_each(struct sip_store *st, sip_store_binding_cb cb, void *arg)
{
	return st->ops->binding_each(st, cb, arg);
}

int sip_store_binding_each_expired(struct sip_store *st, int64_t now, sip_store_binding_cb cb,
				   void *arg)
{
	return st->ops->binding_each_expired(st, now, cb, arg);
}

int sip_store_sub_get(struct sip_store *st, const struct sip_store_sub_key *k,
		      struct sip_store_subscription *out)
{
	return st->ops->sub_get(st, k, out);
}

int sip_store_sub_each_resource(struct sip_store *st, struct sip_str resource,
				struct sip_str event, int64_t now, sip_store_sub_cb cb, void *arg)
{
	return st->ops->sub_each_resource(st, resource, event, now, cb, arg);
}

int sip_store_sub_each(struct sip_store *st, sip_store_sub_cb cb, void *arg)
{
	return st->ops->sub_each(st, cb, arg);
}

int sip_store_pub_get(struct sip_store *st, struct sip_str entity, struct sip_str event,
		      struct sip_str etag, struct sip_store_publication *out)
{
	return st->ops->pub_get(st, entity, event, etag, out);
}

int sip_store_pub_each_entity(struct sip_store *st, struct sip_str entity, struct sip_str event,
			      int64_t now, sip_store_pub_cb cb, void *arg)
{
	return st->ops->pub_each_entity(st, entity, event, now, cb, arg);
}

int sip_store_pub_each(struct sip_store *st, sip_store_pub_cb cb, void *arg)
{
	return st->ops->pub_each(st, cb, arg);
}

int sip_store_mwi_get(struct sip_store *st, struct sip_str aor, struct sip_store_mwi *out)
{
	return st->ops->mwi_get(st, aor, out);
}

int sip_store_users_generation(struct sip_store *st, uint64_t *gen)
{
	return st->ops->users_generation(st, gen);
}

int sip_store_mwi_each(struct sip_store *st, sip_store_mwi_cb cb, void *arg)
{
	return st->ops->mwi_each(st, cb, arg);
}

int sip_store_mwi_generation(struct sip_store *st, uint64_t *gen)
{
	return st->ops->mwi_generation(st, gen);
}

/* ------------------------------------------------------------------ AOR */

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Characters that cannot appear in a user or host as typed (controls, spaces, the
 * delimiters of a name-addr). */
static bool bad_char(unsigned char c)
{
	return c <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == '"' || c == '@';
}

int sip_store_aor_canon(struct sip_buf *out, struct sip_str *user, struct sip_str *host,
			struct sip_str in)
{
	struct sip_str s = sip_str_trim(in), u, h;
	const char *scheme = "sip:";
	size_t i, at, ustart, hstart;
	long pos;
	int err;

	if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>') {
		s.p++;
		s.len -= 2;
	}
	if (sip_str_casestarts(s, SIP_STR("sip:"))) {
		s.p += 4;
		s.len -= 4;
	} else if (sip_str_casestarts(s, SIP_STR("sips:"))) {
		scheme = "sips:";
		s.p += 5;
		s.len -= 5;
	}
	pos = sip_str_chr(s, '@');
	if (pos <= 0)
		return -EINVAL;
	at = (size_t)pos;
	u = (struct sip_str){ s.p, at };
	/* userinfo = user [ ":" password ]: the password is not part of the AOR. */
	pos = sip_str_chr(u, ':');
	if (pos == 0)
		return -EINVAL;
	if (pos > 0)
		u.len = (size_t)pos;
	h = (struct sip_str){ s.p + at + 1, s.len - at - 1 };
	for (i = 0; i < h.len && h.p[i] != ';' && h.p[i] != '?'; i++)
		;
	h.len = i;
	if (!h.len)
		return -EINVAL;

	sip_buf_reset(out);
	err = sip_buf_append_cstr(out, scheme);
	ustart = out->len;
	for (i = 0; !err && i < u.len; i++) {
		unsigned char c = (unsigned char)u.p[i];
		if (c == '%') {
			int hi = i + 2 < u.len ? sip_hex_digit(u.p[i + 1]) : -1;
			int lo = i + 2 < u.len ? sip_hex_digit(u.p[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi * 16 + lo);
			if (c == 0)
				return -EINVAL;
			i += 2;
		} else if (bad_char(c)) {
			return -EINVAL;
		}
		err = sip_buf_append(out, &c, 1);
	}
	if (!err)
		err = sip_buf_append(out, "@", 1);
	hstart = out->len;
	for (i = 0; !err && i < h.len; i++) {
		char c = lower(h.p[i]);
		if (bad_char((unsigned char)c) || c == '%')
			return -EINVAL;
		err = sip_buf_append(out, &c, 1);
	}
	if (err)
		return err;
	if (user)
		*user = (struct sip_str){ out->p + ustart, hstart - 1 - ustart };
	if (host)
		*host = (struct sip_str){ out->p + hstart, out->len - hstart };
	return 0;
}

/* siphon services: the registrar (include/siphon/registrar.h). RFC 3261 10.3 step
 * numbers are cited where each rule is applied. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/auth.h"
#include "siphon/err.h"
#include "siphon/events.h"
#include "siphon/log.h"
#include "siphon/registrar.h"
#include "siphon/store.h"
#include "siphon/timer.h"

#include "siphon/events.h"

#include "registrar_int.h"

#define container_of(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

/* ------------------------------------------------------------------ the index */

static int index_grow(struct sip_registrar *reg)
{
	uint32_t n = reg->mask ? (reg->mask + 1) * 2 : 1024;
	struct reg_aor **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; reg->buckets && i <= reg->mask; i++) {
		struct reg_aor *a = reg->buckets[i], *next;
		for (; a; a = next) {
			next = a->hnext;
			a->hnext = b[a->hash & (n - 1)];
			b[a->hash & (n - 1)] = a;
		}
	}
	free(reg->buckets);
	reg->buckets = b;
	reg->mask = n - 1;
	return 0;
}

struct reg_aor *reg_aor_find(struct sip_registrar *reg, struct sip_str aor)
{
	uint32_t h;

	if (!reg->buckets)
		return NULL;
	h = sip_str_hash(aor);
	for (struct reg_aor *a = reg->buckets[h & reg->mask]; a; a = a->hnext)
		if (a->hash == h && a->aor_len == aor.len && memcmp(a->aor, aor.p, aor.len) == 0)
			return a;
	return NULL;
}

struct reg_aor *reg_aor_get(struct sip_registrar *reg, struct sip_str aor)
{
	struct reg_aor *a = reg_aor_find(reg, aor);

	if (a)
		return a;
	if (aor.len > UINT16_MAX)
		return NULL;
	if (reg->naors >= reg->mask && index_grow(reg) != 0)
		return NULL;
	a = calloc(1, sizeof(*a) + aor.len);
	if (!a)
		return NULL;
	a->hash = sip_str_hash(aor);
	a->aor_len = (uint16_t)aor.len;
	memcpy(a->aor, aor.p, aor.len);
	a->hnext = reg->buckets[a->hash & reg->mask];
	reg->buckets[a->hash & reg->mask] = a;
	reg->naors++;
	return a;
}

/* Free a when nothing refers to it any more. */
void reg_aor_release(struct sip_registrar *reg, struct reg_aor *a)
{
	struct reg_aor **pp;

	if (a->bindings || a->pending || a->wait_head)
		return;
	for (pp = &reg->buckets[a->hash & reg->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == a) {
			*pp = a->hnext;
			break;
		}
	}
	reg->naors--;
	free(a);
}

/* ------------------------------------------------------------------ bindings */

struct sip_str reg_b_contact(const struct reg_binding *b)
{
	return (struct sip_str){ b->s, b->len[RB_CONTACT] };
}

struct sip_str reg_b_field(const struct reg_binding *b, enum rb_field f)
{
	size_t off = 0;

	for (int i = 0; i < (int)f; i++)
		off += b->len[i];
	return (struct sip_str){ b->s + off, b->len[f] };
}

struct reg_binding *reg_binding_new(const struct sip_str fields[RB__COUNT])
{
	size_t total = 0;
	struct reg_binding *b;
	char *p;

	for (int i = 0; i < RB__COUNT; i++) {
		if (fields[i].len > UINT16_MAX)
			return NULL;
		total += fields[i].len;
	}
	b = calloc(1, sizeof(*b) + total);
	if (!b)
		return NULL;
	p = b->s;
	for (int i = 0; i < RB__COUNT; i++) {
		b->len[i] = (uint16_t)fields[i].len;
		if (fields[i].len)
			memcpy(p, fields[i].p, fields[i].len);
		p += fields[i].len;
	}
	return b;
}

/* RFC 3680: the reg package hears of every binding change (env->events, fed when
 * the events service runs). */
static void reg_feed(struct sip_registrar *reg, const struct reg_binding *b, bool active,
		     const char *event, int64_t now)
{
	struct sip_events *ev = reg->env->events;
	struct sip_events_reg_contact c;
	int64_t left = b->expires_at - now;

	if (!ev)
		return;
	c = (struct sip_events_reg_contact){
		.uri = reg_b_contact(b), .active = active, .event = sip_str_from_cstr(event),
		.expires = active && left > 0 ? (uint32_t)left : 0, .q = b->q,
		.call_id = reg_b_field(b, RB_CALL_ID), .cseq = b->cseq,
	};
	(void)sip_events_reg_update(ev, (struct sip_str){ b->aor->aor, b->aor->aor_len }, &c);
}

static void binding_expired(struct sip_timer *t);

static void binding_link(struct sip_registrar *reg, struct reg_aor *a, struct reg_binding *b,
			 int64_t now)
{
	struct reg_binding **pp;
	int64_t left = b->expires_at - now;

	/* Keep the list in the order lookups want: highest q first, newest first. */
	for (pp = &a->bindings; *pp && (*pp)->q > b->q; pp = &(*pp)->next)
		;
	b->next = *pp;
	*pp = b;
	b->aor = a;
	reg->nbindings++;
	sip_timer_init(&b->timer);
	sip_timer_start(reg->env->timers, &b->timer, left > 0 ? (uint64_t)left * 1000 : 0,
			binding_expired);
}

static void binding_unlink(struct sip_registrar *reg, struct reg_binding *b)
{
	struct reg_binding **pp;

	for (pp = &b->aor->bindings; *pp; pp = &(*pp)->next) {
		if (*pp == b) {
			*pp = b->next;
			break;
		}
	}
	sip_timer_stop(reg->env->timers, &b->timer);
	reg->nbindings--;
}

static void expire_flush(struct sip_timer *t)
{
	struct sip_registrar *reg = container_of(t, struct sip_registrar, expire_timer);
	struct sip_store_batch *batch = reg->expire_batch;

	reg->expire_batch = NULL;
	if (batch && sip_store_submit(reg->env->store, batch, NULL, NULL) != 0)
		sip_log_warn("registrar", "could not queue the removal of expired bindings");
}

/* RFC 3261 10.3: a binding ends when its expiry passes. The store forgets it in a
 * batch gathered over this loop turn (nobody waits for it: a restart skips expired
 * bindings anyway). */
static void binding_expired(struct sip_timer *t)
{
	struct reg_binding *b = container_of(t, struct reg_binding, timer);
	struct reg_aor *a = b->aor;
	struct sip_registrar *reg = a->reg;

	if (a->pending) {
		/* A write for this AOR is in flight and may refer to b: look again soon. */
		sip_timer_start(reg->env->timers, &b->timer, 1000, binding_expired);
		return;
	}
	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug("registrar", "binding expired: %.*s -> %.*s", (int)a->aor_len, a->aor,
			      SIP_STR_ARG(reg_b_contact(b)));
	if (!reg->expire_batch && sip_store_batch_new(&reg->expire_batch) != 0)
		reg->expire_batch = NULL;
	if (reg->expire_batch)
		(void)sip_store_batch_binding_del(reg->expire_batch, (struct sip_str){ a->aor, a->aor_len },
						  reg_b_contact(b));
	if (!sip_timer_active(&reg->expire_timer))
		sip_timer_start(reg->env->timers, &reg->expire_timer, 0, expire_flush);
	reg_feed(reg, b, false, "expired", (int64_t)time(NULL));
	binding_unlink(reg, b);
	free(b);
	reg_aor_release(reg, a);
}

/* ------------------------------------------------------------------ restore */

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

static int restore_one(const struct sip_store_binding *sb, void *arg)
{
	struct sip_registrar *reg = arg;
	struct sip_str f[RB__COUNT] = { 0 };
	struct reg_binding *b;
	struct reg_aor *a;

	if (sb->expires_at <= reg->restore_now) {
		reg->restore_expired++;
		return 0;
	}
	f[RB_CONTACT] = sb->contact;
	f[RB_PARAMS] = sb->params;
	f[RB_CALL_ID] = sb->call_id;
	f[RB_PATH] = sb->path;
	f[RB_INSTANCE] = sb->instance;
	f[RB_RECEIVED] = sb->received;
	a = reg_aor_get(reg, sb->aor);
	b = a ? reg_binding_new(f) : NULL;
	if (!b)
		return -ENOMEM;
	b->expires_at = sb->expires_at;
	b->cseq = sb->cseq;
	b->q = sb->q;
	b->reg_id = sb->reg_id;
	/* A connection id means nothing after a restart (RFC 5626 flows are gone). */
	b->flow_id = 0;
	a->reg = reg;
	binding_link(reg, a, b, reg->restore_now);
	reg_feed(reg, b, true, "registered", reg->restore_now);
	return 0;
}

int sip_registrar_restore(struct sip_registrar *reg)
{
	int err;

	reg->restore_now = wall_now();
	reg->restore_expired = 0;
	err = sip_store_binding_each(reg->env->store, restore_one, reg);
	if (err)
		return err;
	if (reg->restore_expired) {
		struct sip_store_batch *b;
		if (sip_store_batch_new(&b) == 0) {
			if (sip_store_batch_binding_purge(b, reg->restore_now) == 0)
				(void)sip_store_submit(reg->env->store, b, NULL, NULL);
			else
				sip_store_batch_free(b);
		}
	}
	sip_log_info("registrar", "restored %zu bindings of %zu AORs (%zu expired while down)",
		     reg->nbindings, reg->naors, reg->restore_expired);
	return 0;
}

/* ------------------------------------------------------------------ lookup */

int sip_registrar_lookup(struct sip_registrar *reg, struct sip_str aor, sip_location_cb cb, void *arg)
{
	struct reg_aor *a = reg_aor_find(reg, aor);
	int64_t now = wall_now();

	if (!a)
		return 0;
	for (struct reg_binding *b = a->bindings; b; b = b->next) {
		struct sip_location l = {
			.contact = reg_b_contact(b),
			.path = reg_b_field(b, RB_PATH),
			.instance = reg_b_field(b, RB_INSTANCE),
			.received = reg_b_field(b, RB_RECEIVED),
			.flow_id = b->flow_id,
			.q = b->q,
			.expires_at = b->expires_at,
		};
		int rc;
		if (b->expires_at <= now)
			continue;
		rc = cb(&l, arg);
		if (rc)
			return rc;
	}
	return 0;
}

size_t sip_registrar_aor_count(const struct sip_registrar *reg)
{
	return reg->naors;
}

size_t sip_registrar_binding_count(const struct sip_registrar *reg)
{
	return reg->nbindings;
}

/* ------------------------------------------------------------------ life */

int sip_registrar_alloc(struct sip_registrar **rp, struct sip_svc_env *env,
			const struct sip_registrar_config *cfg)
{
	struct sip_registrar *reg = calloc(1, sizeof(*reg));

	if (!reg)
		return -ENOMEM;
	reg->env = env;
	sip_svc_auth_init(&reg->auth, env, SIP_SVC_AUTH_UAS);
	if (cfg)
		reg->cfg = *cfg;
	if (!reg->cfg.min_expires)
		reg->cfg.min_expires = 60;
	if (!reg->cfg.max_expires)
		reg->cfg.max_expires = 7200;
	if (reg->cfg.max_expires < reg->cfg.min_expires)
		reg->cfg.max_expires = reg->cfg.min_expires;
	if (!reg->cfg.default_expires)
		reg->cfg.default_expires = 3600;
	if (reg->cfg.default_expires < reg->cfg.min_expires)
		reg->cfg.default_expires = reg->cfg.min_expires;
	if (reg->cfg.default_expires > reg->cfg.max_expires)
		reg->cfg.default_expires = reg->cfg.max_expires;
	if (!reg->cfg.max_bindings)
		reg->cfg.max_bindings = 16;
	if (reg->cfg.max_bindings > 64)
		reg->cfg.max_bindings = 64; /* bounds the per-request work arrays */
	if (index_grow(reg) != 0) {
		free(reg);
		return -ENOMEM;
	}
	*rp = reg;
	return 0;
}

static void reg_stop(void *ctx)
{
	struct sip_registrar *reg = ctx;

	reg->stopping = true;
	sip_timer_stop(reg->env->timers, &reg->expire_timer);
	expire_flush(&reg->expire_timer);
	/* Requests queued behind a pending write are dropped (the client retransmits
	 * to the next instance); the pending writes themselves complete when the store
	 * closes and answer then. */
	for (uint32_t i = 0; reg->buckets && i <= reg->mask; i++) {
		for (struct reg_aor *a = reg->buckets[i]; a; a = a->hnext) {
			struct reg_wait *w, *next;
			for (w = a->wait_head; w; w = next) {
				next = w->next;
				sip_req_done(&w->req);
				free(w);
			}
			a->wait_head = a->wait_tail = NULL;
			a->nwait = 0;
			for (struct reg_binding *b = a->bindings; b; b = b->next)
				sip_timer_stop(reg->env->timers, &b->timer);
		}
	}
}

void sip_registrar_free(struct sip_registrar *reg)
{
	if (!reg)
		return;
	for (uint32_t i = 0; reg->buckets && i <= reg->mask; i++) {
		struct reg_aor *a = reg->buckets[i], *an;
		for (; a; a = an) {
			struct reg_binding *b, *bn;
			an = a->hnext;
			for (b = a->bindings; b; b = bn) {
				bn = b->next;
				free(b);
			}
			free(a);
		}
	}
	sip_store_batch_free(reg->expire_batch);
	free(reg->buckets);
	sip_buf_free(&reg->canon);
	sip_buf_free(&reg->tmp);
	sip_svc_auth_free(&reg->auth);
	free(reg);
}

static void reg_free_cb(void *ctx)
{
	sip_registrar_free(ctx);
}

void sip_registrar_service(struct sip_registrar *reg, struct sip_service *out)
{
	*out = (struct sip_service){
		.name = "registrar",
		.methods = SIP_METHOD_BIT(SIP_METHOD_REGISTER),
		.stateful = false,
		.option_tags = SIP_STR("path"),
		.accepts = reg_accepts,
		.handle = reg_handle,
		.stop = reg_stop,
		.free = reg_free_cb,
		.ctx = reg,
	};
}

/* Apply a committed REGISTER to the index: the replaced and removed bindings go,
 * the new ones come with their timers. */
void reg_apply(struct sip_registrar *reg, struct reg_op *op, int64_t now)
{
	uint64_t refreshed = 0; /* adds that replace a binding of the same contact */

	for (unsigned i = 0; i < op->ndel; i++) {
		bool replaced = false;

		for (unsigned k = 0; k < op->nadd && k < 64; k++) {
			if (sip_str_eq(reg_b_contact(op->add[k]), reg_b_contact(op->del[i]))) {
				refreshed |= 1ull << k;
				replaced = true;
			}
		}
		/* A binding replaced by its refresh is reported with the new one. */
		if (!replaced)
			reg_feed(reg, op->del[i], false, "unregistered", now);
		binding_unlink(reg, op->del[i]);
		free(op->del[i]);
		op->del[i] = NULL;
	}
	for (unsigned i = 0; i < op->nadd; i++) {
		binding_link(reg, op->aor, op->add[i], now);
		reg_feed(reg, op->add[i], true,
			 i < 64 && (refreshed >> i & 1) ? "refreshed" : "registered", now);
		op->add[i] = NULL;
	}
	op->ndel = op->nadd = 0;
}

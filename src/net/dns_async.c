/* siphon net layer: RFC 3263 resolution off the loop thread, with a cache
 * (include/siphon/dns.h, sip_dns_resolve_async).
 *
 * An entry per query (host lowercased, port, transport, sips, transports): PENDING
 * while a worker resolves it, with the callers waiting for it; then an answer or a
 * failure until it expires. A worker owns a struct work that points at its entry;
 * the entry is never dropped while pending (nor while its waiters are called), so
 * the worker's result always has a home. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "siphon/dns.h"

#define NBUCKETS 256u

struct waiter {
	struct waiter *next;
	sip_dns_done_cb cb;
	void *arg;
};

struct entry {
	struct entry *next;
	uint32_t hash;
	bool pending;
	bool busy;                /* its waiters are being called */
	int err;
	uint64_t expires;         /* uv_now() ms */
	struct sip_dns_result *res; /* when err == 0 and not pending */
	struct waiter *waiters, **wtail;
	struct sip_dns_query q;   /* q.host points into key */
	size_t key_len;
	char key[];               /* lowercased host */
};

struct sip_dns_cache {
	uv_loop_t *loop;
	char *server;
	uint32_t pos_ttl, neg_ttl;
	size_t max, count, pending;
	bool closing;
	struct entry *b[NBUCKETS];
};

struct work {
	uv_work_t w;
	struct sip_dns_cache *c;
	struct entry *e;
	struct sip_dns_result *res;
	int err;
};

int sip_dns_cache_alloc(struct sip_dns_cache **out, void *uv_loop, const struct sip_dns_cache_config *cfg)
{
	struct sip_dns_cache *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->loop = uv_loop;
	c->pos_ttl = cfg && cfg->pos_ttl_ms ? cfg->pos_ttl_ms : 30000;
	c->neg_ttl = cfg && cfg->neg_ttl_ms ? cfg->neg_ttl_ms : 5000;
	c->max = cfg && cfg->max_entries ? cfg->max_entries : 1024;
	if (cfg && cfg->server && !(c->server = strdup(cfg->server))) {
		free(c);
		return -ENOMEM;
	}
	*out = c;
	return 0;
}

static void entry_free(struct entry *e)
{
	while (e->waiters) {
		struct waiter *w = e->waiters;
		e->waiters = w->next;
		free(w);
	}
	free(e->res);
	free(e);
}

static void cache_destroy(struct sip_dns_cache *c)
{
	for (unsigned i = 0; i < NBUCKETS; i++) {
		while (c->b[i]) {
			struct entry *e = c->b[i];
			c->b[i] = e->next;
			entry_free(e);
		}
	}
	free(c->server);
	free(c);
}

void sip_dns_cache_free(struct sip_dns_cache *c)
{
	if (!c)
		return;
	if (c->pending) {
		/* Workers still point at their entries: the last one to finish frees. */
		c->closing = true;
		return;
	}
	cache_destroy(c);
}

size_t sip_dns_cache_pending(const struct sip_dns_cache *c)
{
	return c->pending;
}

/* 4.2: an IP literal is the target as it is, at the URI's port or the default
 * of the transport. 1: not a literal. */
static int numeric(struct sip_dns_result *out, const struct sip_dns_query *q)
{
	struct sip_str h = q->host;
	struct sip_net_addr a;
	enum sip_tp tp = q->tp;

	if (h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']') {
		h.p++;
		h.len -= 2;
	}
	if (!h.len || h.len >= SIP_DNS_NAME)
		return -EINVAL;
	if (q->sips) {
		if (tp == SIP_TP_UDP)
			return -EINVAL;
		if (tp == SIP_TP_TCP || tp == SIP_TP_NONE)
			tp = SIP_TP_TLS;
	} else if (tp == SIP_TP_NONE) {
		tp = SIP_TP_UDP;
	}
	if (sip_net_addr_set(&a, h, q->port ? q->port : sip_tp_default_port(tp)) != 0)
		return 1;
	struct sip_dns_target *t = &out->t[0];
	t->tp = tp;
	t->addr = a;
	sip_str_copy(t->host, sizeof(t->host), h);
	t->srv[0] = '\0';
	t->naptr = false;
	t->numeric = true;
	out->n = 1;
	return 0;
}

static uint32_t query_hash(const char *host, size_t len, const struct sip_dns_query *q)
{
	uint32_t h = sip_str_hash((struct sip_str){ host, len });

	h ^= (uint32_t)q->port * 31u + (uint32_t)q->tp * 7u + (q->sips ? 1u : 0u) + q->tps * 131u;
	h *= 16777619u;
	return h;
}

static bool same_query(const struct entry *e, const char *host, size_t len, const struct sip_dns_query *q)
{
	return e->key_len == len && !memcmp(e->key, host, len) && e->q.port == q->port && e->q.tp == q->tp &&
	       e->q.sips == q->sips && e->q.tps == q->tps;
}

static void copy_result(struct sip_dns_result *out, const struct sip_dns_result *r)
{
	out->n = r->n;
	memcpy(out->t, r->t, r->n * sizeof(r->t[0]));
}

/* Make room: drop what has expired; when nothing has, every settled entry
 * (a flood of distinct names must not grow the cache without bound). */
static void evict(struct sip_dns_cache *c, uint64_t now)
{
	for (int pass = 0; pass < 2 && c->count >= c->max; pass++) {
		for (unsigned i = 0; i < NBUCKETS; i++) {
			for (struct entry **pp = &c->b[i]; *pp;) {
				struct entry *e = *pp;
				if (!e->pending && !e->busy && (pass == 1 || e->expires <= now)) {
					*pp = e->next;
					c->count--;
					entry_free(e);
				} else {
					pp = &e->next;
				}
			}
		}
	}
}

static void work_run(uv_work_t *w)
{
	struct work *k = w->data;
	struct sip_dns_opts opts = { .server = k->c->server };

	/* The worker touches only its own result and the entry's query, which
	 * nobody changes while it is pending. */
	k->err = sip_dns_resolve(k->res, &k->e->q, &opts);
}

static void work_done(uv_work_t *w, int status)
{
	struct work *k = w->data;
	struct sip_dns_cache *c = k->c;
	struct entry *e = k->e;
	struct waiter *ws;
	int err = status == UV_ECANCELED ? -ECANCELED : k->err;

	free(k);
	c->pending--;
	if (c->closing) {
		/* Its entry is still in the table: freed with it. */
		if (!c->pending)
			cache_destroy(c);
		return;
	}
	e->pending = false;
	e->err = err;
	if (err == 0 && !e->res)
		e->err = err = -ENOMEM;
	if (err != 0) {
		free(e->res);
		e->res = NULL;
	}
	e->expires = uv_now(c->loop) + (err == 0 ? c->pos_ttl : c->neg_ttl);
	ws = e->waiters;
	e->waiters = NULL;
	e->wtail = &e->waiters;
	e->busy = true; /* a waiter's callback may resolve again: keep e */
	while (ws) {
		struct waiter *n = ws->next;
		ws->cb(ws->arg, err, e->res);
		free(ws);
		ws = n;
	}
	e->busy = false;
}

int sip_dns_resolve_async(struct sip_dns_cache *c, struct sip_dns_result *out, const struct sip_dns_query *q,
			  sip_dns_done_cb cb, void *arg)
{
	char host[SIP_DNS_NAME];
	struct entry *e;
	uint64_t now;
	uint32_t h;
	int err = numeric(out, q);

	if (err <= 0)
		return err;
	/* Names are case-insensitive (RFC 4343): one entry per name. */
	for (size_t i = 0; i < q->host.len; i++)
		host[i] = (char)tolower((unsigned char)q->host.p[i]);
	h = query_hash(host, q->host.len, q);
	now = uv_now(c->loop);
	for (struct entry **pp = &c->b[h & (NBUCKETS - 1)]; (e = *pp); pp = &e->next) {
		if (e->hash != h || !same_query(e, host, q->host.len, q))
			continue;
		if (e->pending)
			break;
		if (e->expires > now) {
			if (e->err)
				return e->err;
			copy_result(out, e->res);
			return 0;
		}
		if (e->busy) {
			/* Expired while its waiters run: leave it, start afresh. */
			e = NULL;
			break;
		}
		*pp = e->next;
		c->count--;
		entry_free(e);
		e = NULL;
		break;
	}
	if (!cb)
		return -EAGAIN;
	struct waiter *w = malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->next = NULL;
	w->cb = cb;
	w->arg = arg;
	if (!e) {
		struct work *k;
		evict(c, now);
		e = calloc(1, sizeof(*e) + q->host.len + 1);
		k = calloc(1, sizeof(*k));
		if (e)
			e->res = malloc(sizeof(*e->res));
		if (!e || !k || !e->res) {
			if (e)
				free(e->res);
			free(e);
			free(k);
			free(w);
			return -ENOMEM;
		}
		memcpy(e->key, host, q->host.len);
		e->key_len = q->host.len;
		e->hash = h;
		e->q = *q;
		e->q.host = (struct sip_str){ e->key, e->key_len };
		e->pending = true;
		e->wtail = &e->waiters;
		k->w.data = k;
		k->c = c;
		k->e = e;
		k->res = e->res;
		err = uv_queue_work(c->loop, &k->w, work_run, work_done);
		if (err) {
			entry_free(e);
			free(k);
			free(w);
			return err;
		}
		e->next = c->b[h & (NBUCKETS - 1)];
		c->b[h & (NBUCKETS - 1)] = e;
		c->count++;
		c->pending++;
	}
	*e->wtail = w;
	e->wtail = &w->next;
	return SIP_DNS_PENDING;
}

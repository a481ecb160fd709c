/* Events notifier core: tables, entity tags, deadlines, resources. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "events_int.h"
#include "siphon/err.h"

/* ---------------------------------------------------------------- hashing */

uint64_t ev_hash(uint64_t seed, const void *p, size_t n)
{
	/* FNV-1a 64 over a seeded basis: keys are AORs, tags and ids the peer chooses,
	 * the per-process seed keeps chains from being aimed at. */
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	for (size_t i = 0; i < n; i++) {
		h ^= c[i];
		h *= 0x100000001b3ull;
	}
	return h ^ (h >> 29);
}

static int htab_grow(struct ev_htab *t)
{
	size_t nb = t->b ? (t->mask + 1) * 2 : 64;
	struct ev_hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return -ENOMEM;
	if (t->b) {
		for (size_t i = 0; i <= t->mask; i++) {
			struct ev_hnode *n = t->b[i], *next;

			for (; n; n = next) {
				next = n->next;
				n->next = b[n->h & (nb - 1)];
				b[n->h & (nb - 1)] = n;
			}
		}
		free(t->b);
	}
	t->b = b;
	t->mask = nb - 1;
	return 0;
}

int ev_htab_insert(struct ev_htab *t, struct ev_hnode *n)
{
	if (!t->b || t->n >= t->mask + 1) {
		int err = htab_grow(t);

		/* A table that cannot grow still works, with longer chains. */
		if (err && !t->b)
			return err;
	}
	n->next = t->b[n->h & t->mask];
	t->b[n->h & t->mask] = n;
	t->n++;
	return 0;
}

void ev_htab_remove(struct ev_htab *t, struct ev_hnode *n)
{
	struct ev_hnode **pp;

	if (!t->b)
		return;
	for (pp = &t->b[n->h & t->mask]; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			t->n--;
			return;
		}
	}
}

void ev_htab_free(struct ev_htab *t)
{
	free(t->b);
	memset(t, 0, sizeof(*t));
}

/* ---------------------------------------------------------------- tags */

void ev_tag_new(struct sip_events *ev, struct ev_tag *t, char space)
{
	static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	char rev[14];
	uint64_t c = ++ev->tag_counter;
	size_t n = 0;

	memcpy(t->s, ev->prefix, 16);
	t->s[16] = space;
	do {
		rev[n++] = digits[c % 36];
		c /= 36;
	} while (c);
	for (size_t i = 0; i < n; i++)
		t->s[17 + i] = rev[n - 1 - i];
	t->len = (uint8_t)(17 + n);
}

bool ev_tag_eq(const struct ev_tag *t, struct sip_str s)
{
	return t->len && t->len == s.len && memcmp(t->s, s.p, s.len) == 0;
}

void ev_tag_set(struct ev_tag *t, struct sip_str s)
{
	/* A tag longer than ours was never ours: it can match nothing, so forget it. */
	if (s.len > EV_TAG_MAX) {
		t->len = 0;
		return;
	}
	memcpy(t->s, s.p, s.len);
	t->len = (uint8_t)s.len;
}

/* ---------------------------------------------------------------- deadlines */

int64_t ev_now(struct sip_events *ev)
{
	return ev->ops.now(ev->ops.arg);
}

static void heap_swap(struct ev_heap *h, size_t a, size_t b)
{
	struct ev_timer *t = h->v[a];

	h->v[a] = h->v[b];
	h->v[b] = t;
	h->v[a]->idx = a;
	h->v[b]->idx = b;
}

static void heap_up(struct ev_heap *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (h->v[p]->at <= h->v[i]->at)
			break;
		heap_swap(h, p, i);
		i = p;
	}
}

static void heap_down(struct ev_heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < h->n && h->v[l]->at < h->v[m]->at)
			m = l;
		if (r < h->n && h->v[r]->at < h->v[m]->at)
			m = r;
		if (m == i)
			return;
		heap_swap(h, i, m);
		i = m;
	}
}

void ev_timer_cancel(struct sip_events *ev, struct ev_timer *t)
{
	struct ev_heap *h = &ev->heap;
	size_t i = t->idx;

	if (i == SIZE_MAX)
		return;
	t->idx = SIZE_MAX;
	h->n--;
	if (i == h->n)
		return;
	h->v[i] = h->v[h->n];
	h->v[i]->idx = i;
	heap_up(h, i);
	heap_down(h, h->v[i]->idx);
}

void ev_timer_set(struct sip_events *ev, struct ev_timer *t, int64_t at)
{
	struct ev_heap *h = &ev->heap;

	if (t->idx != SIZE_MAX) {
		t->at = at;
		heap_up(h, t->idx);
		heap_down(h, t->idx);
		return;
	}
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct ev_timer **v = realloc(h->v, cap * sizeof(*v));

		/* Out of memory: the entry is not armed; it still ends on the next
		 * refresh or NOTIFY failure. Rare enough not to fail the request for. */
		if (!v)
			return;
		h->v = v;
		h->cap = cap;
	}
	t->at = at;
	t->idx = h->n;
	h->v[h->n++] = t;
	heap_up(h, t->idx);
}

int64_t sip_events_next_timer(const struct sip_events *ev)
{
	return ev->heap.n ? ev->heap.v[0]->at : INT64_MAX;
}

void ev_timer_report(struct sip_events *ev)
{
	int64_t at = sip_events_next_timer(ev);

	if (at != ev->timer_reported) {
		ev->timer_reported = at;
		if (ev->ops.set_timer)
			ev->ops.set_timer(ev->ops.arg, at);
	}
}

void sip_events_run_timers(struct sip_events *ev)
{
	int64_t now = ev_now(ev);

	while (ev->heap.n && ev->heap.v[0]->at <= now) {
		struct ev_timer *t = ev->heap.v[0];

		ev_timer_cancel(ev, t);
		if (t->kind == EV_TIMER_SUB)
			ev_sub_expire(ev, EV_CONTAINER(t, struct ev_sub, tm));
		else
			ev_pub_expire(ev, EV_CONTAINER(t, struct ev_pub, tm));
	}
	ev_timer_report(ev);
}

/* ---------------------------------------------------------------- bodies */

struct ev_body *ev_body_new(struct sip_str data, size_t ver_at, bool versioned)
{
	struct ev_body *b = malloc(sizeof(*b) + data.len + 1);

	if (!b)
		return NULL;
	b->refs = 1;
	b->len = data.len;
	b->ver_at = ver_at;
	b->versioned = versioned;
	if (data.len)
		memcpy(b->data, data.p, data.len);
	b->data[data.len] = '\0';
	return b;
}

void ev_body_unref(struct ev_body *b)
{
	if (b && --b->refs == 0)
		free(b);
}

/* ---------------------------------------------------------------- resources */

static uint64_t res_hash(const struct sip_events *ev, enum ev_pkg_id pkg, struct sip_str aor)
{
	return ev_hash(ev->seed + (uint64_t)pkg, aor.p, aor.len);
}

struct ev_res *ev_res_find(struct sip_events *ev, enum ev_pkg_id pkg, struct sip_str aor)
{
	uint64_t h = res_hash(ev, pkg, aor);

	for (struct ev_hnode *n = ev_htab_first(&ev->res_tab, h); n; n = n->next) {
		struct ev_res *r = EV_CONTAINER(n, struct ev_res, hn);

		if (n->h == h && r->pkg == pkg && sip_str_eq(r->aor, aor))
			return r;
	}
	return NULL;
}

int ev_res_get(struct sip_events *ev, struct ev_res **rp, enum ev_pkg_id pkg, struct sip_str aor)
{
	struct ev_res *r = ev_res_find(ev, pkg, aor);
	int err;

	if (r) {
		*rp = r;
		return 0;
	}
	r = calloc(1, sizeof(*r) + aor.len + 1);
	if (!r)
		return -ENOMEM;
	memcpy((char *)(r + 1), aor.p, aor.len);
	r->aor = (struct sip_str){ (char *)(r + 1), aor.len };
	r->pkg = pkg;
	r->hn.h = res_hash(ev, pkg, aor);
	ev_tag_new(ev, &r->neutral_etag, 'z');
	ev_tag_new(ev, &r->reg_id, 'r');
	/* Every resource has a state from the start (RFC 6665 4.2.1.2: a neutral one
	 * when nothing is known), so every NOTIFY can carry its tag. */
	err = ev_pkg_full(ev, r, &r->full);
	if (!err)
		err = ev_htab_insert(&ev->res_tab, &r->hn);
	if (err) {
		ev_body_unref(r->full);
		free(r);
		return err;
	}
	ev_tag_new(ev, &r->etag, 'n');
	*rp = r;
	return 0;
}

static void res_free_state(struct ev_res *r)
{
	for (struct ev_dinfo *d = r->dialogs, *n; d; d = n) {
		n = d->next;
		free(d->mem);
		free(d);
	}
	for (struct ev_regc *c = r->contacts, *n; c; c = n) {
		n = c->next;
		free(c->mem);
		free(c);
	}
	ev_body_unref(r->full);
	ev_body_unref(r->delta);
}

void ev_res_maybe_free(struct sip_events *ev, struct ev_res *r)
{
	if (r->nsubs || r->npubs || r->dialogs || r->contacts || r->mwi_set)
		return;
	ev_htab_remove(&ev->res_tab, &r->hn);
	res_free_state(r);
	free(r);
}

int ev_res_update(struct sip_events *ev, struct ev_res *r, struct ev_body *delta)
{
	struct ev_body *full;
	int err = ev_pkg_full(ev, r, &full);

	if (err) {
		ev_body_unref(delta);
		return err;
	}
	/* RFC 5839 6.1: a new tag only for a new entity. The same bytes are the same
	 * entity: keep the tag and notify nobody (e.g. a refresh-like modify). */
	if (!delta && r->full && full->len == r->full->len &&
	    memcmp(full->data, r->full->data, full->len) == 0) {
		ev_body_unref(full);
		return 0;
	}
	ev_body_unref(r->full);
	ev_body_unref(r->delta);
	r->full = full;
	r->delta = delta;
	r->prev_etag = r->etag;
	ev_tag_new(ev, &r->etag, 'n');
	ev_res_fanout(ev, r);
	return 0;
}

/* ---------------------------------------------------------------- alloc / free */

int sip_events_alloc(struct sip_events **evp, const struct sip_events_config *cfg,
		     const struct sip_events_ops *ops)
{
	struct sip_events *ev;
	unsigned char rnd[16];

	if (!cfg || !ops || !ops->now || !ops->send_notify || !cfg->contact.len ||
	    memchr(cfg->contact.p, '\r', cfg->contact.len) || memchr(cfg->contact.p, '\n', cfg->contact.len))
		return -EINVAL;
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -EIO;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->contact = malloc(cfg->contact.len + 1);
	if (!ev->contact) {
		free(ev);
		return -ENOMEM;
	}
	memcpy(ev->contact, cfg->contact.p, cfg->contact.len);
	ev->contact[cfg->contact.len] = '\0';
	ev->cfg = *cfg;
	ev->cfg.contact = (struct sip_str){ ev->contact, cfg->contact.len };
	if (!ev->cfg.min_expires)
		ev->cfg.min_expires = 60;
	if (!ev->cfg.max_expires)
		ev->cfg.max_expires = 86400;
	if (!ev->cfg.pub_min_expires)
		ev->cfg.pub_min_expires = 60;
	if (!ev->cfg.pub_max_expires)
		ev->cfg.pub_max_expires = 86400;
	if (!ev->cfg.pub_default_expires)
		ev->cfg.pub_default_expires = 3600;
	ev->ops = *ops;
	for (int i = 0; i < 8; i++) {
		static const char hex[] = "0123456789abcdef";

		ev->prefix[2 * i] = hex[rnd[i] >> 4];
		ev->prefix[2 * i + 1] = hex[rnd[i] & 15];
	}
	memcpy(&ev->seed, rnd + 8, sizeof(ev->seed));
	ev->timer_reported = INT64_MAX;
	sip_buf_init(&ev->nbuf);
	sip_buf_init(&ev->tmp);
	*evp = ev;
	return 0;
}

void sip_events_free(struct sip_events *ev)
{
	if (!ev)
		return;
	/* Subscriptions and publications first (they point at resources and dialogs). */
	while (ev->heap.n) {
		struct ev_timer *t = ev->heap.v[0];

		ev_timer_cancel(ev, t);
		(void)t;
	}
	if (ev->sub_tab.b) {
		for (size_t i = 0; i <= ev->sub_tab.mask; i++) {
			while (ev->sub_tab.b[i])
				ev_sub_destroy(ev, EV_CONTAINER(ev->sub_tab.b[i], struct ev_sub, idn), false);
		}
	}
	if (ev->pub_tab.b) {
		for (size_t i = 0; i <= ev->pub_tab.mask; i++) {
			while (ev->pub_tab.b[i])
				ev_pub_destroy(ev, EV_CONTAINER(ev->pub_tab.b[i], struct ev_pub, hn));
		}
	}
	if (ev->res_tab.b) {
		for (size_t i = 0; i <= ev->res_tab.mask; i++) {
			struct ev_hnode *n = ev->res_tab.b[i], *next;

			for (; n; n = next) {
				struct ev_res *r = EV_CONTAINER(n, struct ev_res, hn);

				next = n->next;
				res_free_state(r);
				free(r);
			}
		}
	}
	ev_htab_free(&ev->res_tab);
	ev_htab_free(&ev->dlg_tab);
	ev_htab_free(&ev->sub_tab);
	ev_htab_free(&ev->pub_tab);
	ev_htab_free(&ev->watch_tab); /* empty: every subscription is gone */
	free(ev->heap.v);
	sip_buf_free(&ev->nbuf);
	sip_buf_free(&ev->tmp);
	free(ev->contact);
	free(ev);
}

/* ---------------------------------------------------------------- inspection */

struct sip_str sip_events_allow_events(void)
{
	return SIP_STR("presence, dialog, message-summary, reg");
}

static int find_pkg_res(struct sip_events *ev, struct sip_str resource, struct sip_str package,
			struct ev_res **rp)
{
	int pkg = ev_pkg_find(package);
	struct ev_res *r;

	if (pkg < 0)
		return SIP_ENOTFOUND;
	r = ev_res_find(ev, (enum ev_pkg_id)pkg, resource);
	if (!r)
		return SIP_ENOTFOUND;
	*rp = r;
	return 0;
}

int sip_events_etag(struct sip_events *ev, struct sip_str resource, struct sip_str package,
		    struct sip_str *out)
{
	struct ev_res *r;
	int err = find_pkg_res(ev, resource, package, &r);

	if (err)
		return err;
	*out = ev_tag_str(&r->etag);
	return 0;
}

int sip_events_body(struct sip_events *ev, struct sip_str resource, struct sip_str package,
		    struct sip_str *ctype, struct sip_str *body)
{
	struct ev_res *r;
	int err = find_pkg_res(ev, resource, package, &r);

	if (err)
		return err;
	sip_buf_reset(&ev->tmp);
	if (r->full->versioned) {
		/* Version 0 for inspection: the caller sees the document's shape. */
		if (sip_buf_append(&ev->tmp, r->full->data, r->full->ver_at) ||
		    sip_buf_append(&ev->tmp, "0", 1) ||
		    sip_buf_append(&ev->tmp, r->full->data + r->full->ver_at, r->full->len - r->full->ver_at))
			return -ENOMEM;
	} else if (sip_buf_append(&ev->tmp, r->full->data, r->full->len)) {
		return -ENOMEM;
	}
	*ctype = ev_pkgs[r->pkg].ctype;
	*body = sip_buf_str(&ev->tmp);
	return 0;
}

size_t sip_events_sub_count(const struct sip_events *ev)
{
	return ev->nsubs;
}

size_t sip_events_pub_count(const struct sip_events *ev)
{
	return ev->npubs;
}

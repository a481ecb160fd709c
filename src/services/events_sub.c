/* Events notifier: subscriptions (RFC 6665) with conditional notification
 * (RFC 5839), NOTIFY generation and fan-out. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_int.h"
#include "siphon/err.h"
#include "siphon/net.h"

enum ev_nb { NB_NONE, NB_FULL, NB_DELTA };

/* ---------------------------------------------------------------- helpers */

static char *pack(struct sip_str *const *dst, const struct sip_str *src, size_t n)
{
	size_t total = 0, off = 0;
	char *mem;

	for (size_t i = 0; i < n; i++)
		total += src[i].len + 1;
	mem = malloc(total ? total : 1);
	if (!mem)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (src[i].len)
			memcpy(mem + off, src[i].p, src[i].len);
		mem[off + src[i].len] = '\0';
		*dst[i] = (struct sip_str){ mem + off, src[i].len };
		off += src[i].len + 1;
	}
	return mem;
}

static int respond_reason(struct sip_out **resp, struct sip_msg *m, int code, const char *reason,
			  struct sip_str to_tag)
{
	char tag[SIP_TAG_SIZE];
	const struct sip_addr *to;

	/* RFC 3261 8.2.6.2: a response to a request without To tag gets one. */
	if (!to_tag.len && sip_msg_to(m, &to) == 0 && !to->tag.len) {
		int err = sip_tag_new(tag, sizeof(tag));

		if (err)
			return err;
		to_tag = sip_str_from_cstr(tag);
	}
	return sip_out_response_to(resp, m, code, reason, to_tag);
}

int ev_respond(struct sip_out **resp, struct sip_msg *m, int code, struct sip_str to_tag)
{
	return respond_reason(resp, m, code, NULL, to_tag);
}

/* ---------------------------------------------------------------- watcher counts */

static struct ev_watch *watch_find(const struct sip_events *ev, struct sip_str watcher)
{
	uint64_t h = ev_hash(ev->seed, watcher.p, watcher.len);

	for (struct ev_hnode *n = ev_htab_first(&ev->watch_tab, h); n; n = n->next) {
		struct ev_watch *w = EV_CONTAINER(n, struct ev_watch, hn);

		if (n->h == h && w->len == watcher.len && !memcmp(w->name, watcher.p, watcher.len))
			return w;
	}
	return NULL;
}

/* One more subscription for watcher: its count, made on first use. */
static int watch_ref(struct sip_events *ev, struct ev_watch **wp, struct sip_str watcher)
{
	struct ev_watch *w = watch_find(ev, watcher);

	if (!w) {
		w = calloc(1, sizeof(*w) + watcher.len + 1);
		if (!w)
			return -ENOMEM;
		if (watcher.len)
			memcpy(w->name, watcher.p, watcher.len);
		w->len = watcher.len;
		w->hn.h = ev_hash(ev->seed, watcher.p, watcher.len);
		if (ev_htab_insert(&ev->watch_tab, &w->hn)) {
			free(w);
			return -ENOMEM;
		}
	}
	w->nsubs++;
	*wp = w;
	return 0;
}

static void watch_unref(struct sip_events *ev, struct ev_watch *w)
{
	if (--w->nsubs == 0) {
		ev_htab_remove(&ev->watch_tab, &w->hn);
		free(w);
	}
}

size_t sip_events_watcher_sub_count(const struct sip_events *ev, struct sip_str watcher)
{
	const struct ev_watch *w = watch_find(ev, watcher);

	return w ? w->nsubs : 0;
}

static int respond_allow_events(struct sip_out **resp, struct sip_msg *m, int code)
{
	int err = ev_respond(resp, m, code, SIP_STR_NULL);

	if (!err) {
		/* RFC 6665 4.2.1.1 / 8.3.2: 489 lists what we understand. */
		err = sip_out_add(*resp, SIP_HDR_ALLOW_EVENTS, sip_events_allow_events());
		if (err) {
			sip_out_free(*resp);
			*resp = NULL;
		}
	}
	return err;
}

/* RFC 6665 4.2.1.3: a blocked watcher gets 603 Decline; the Reason says the
 * policy declined without telling why (6.2: reveal nothing private). */
static int respond_declined(struct sip_out **resp, struct sip_msg *m)
{
	int err = ev_respond(resp, m, 603, SIP_STR_NULL);

	if (!err && (err = sip_out_add(*resp, SIP_HDR_REASON, SIP_STR("SIP;cause=603;text=\"Declined\"")))) {
		sip_out_free(*resp);
		*resp = NULL;
	}
	return err;
}

static const struct ev_tag *view_tag(const struct ev_sub *s)
{
	/* A pending watcher sees the neutral (empty) entity, which has its own tag:
	 * never the tag of state it was not allowed to see (RFC 5839 4). */
	return s->state == SIP_EVENTS_SUB_PENDING ? &s->res->neutral_etag : &s->res->etag;
}

/* RFC 5839 6.2/6.3: does the subscription's Suppress-If-Match condition hold? */
static bool cond_true(const struct ev_sub *s)
{
	const struct ev_tag *t = view_tag(s);

	if (s->suppress & SIP_EVENTS_SUPPRESS_ALL)
		return true;
	return (s->suppress & SIP_EVENTS_SUPPRESS_MATCH) && s->suppress_etag.len == t->len &&
	       memcmp(s->suppress_etag.s, t->s, t->len) == 0;
}

void ev_sub_record(const struct ev_sub *s, struct sip_events_sub_record *r)
{
	const struct ev_dlg *d = s->dlg;

	memset(r, 0, sizeof(*r));
	r->sub_id = s->id;
	r->call_id = d->call_id;
	r->local_tag = d->local_tag;
	r->remote_tag = d->remote_tag;
	r->event = ev_pkgs[s->res->pkg].name;
	r->event_id = s->event_id;
	r->resource = s->res->aor;
	r->watcher = s->watcher;
	r->contact = d->contact;
	r->route_set = d->route_set;
	r->local_uri = d->local_uri;
	r->remote_uri = d->remote_uri;
	r->accept = s->accept;
	r->transport = d->transport;
	r->dest = d->dest;
	r->local = d->local;
	r->flow_id = d->flow_id;
	r->expires_at = s->tm.at;
	r->local_cseq = d->local_cseq;
	r->remote_cseq = d->remote_cseq;
	r->version = s->version;
	r->state = s->state;
	r->last_etag = ev_tag_str(&s->last_etag);
	r->suppress_etag = ev_tag_str(&s->suppress_etag);
	r->suppress = s->suppress;
}

static void persist(struct sip_events *ev, const struct ev_sub *s, bool removed)
{
	struct sip_events_sub_record r;

	if (!ev->ops.persist_sub)
		return;
	ev_sub_record(s, &r);
	ev->ops.persist_sub(ev->ops.arg, &r, removed);
}

/* ---------------------------------------------------------------- NOTIFY */

#define APPEND(b, lit) sip_buf_append((b), (lit), sizeof(lit) - 1)

static int append_body(struct sip_buf *b, const struct ev_body *body, uint32_t version)
{
	char num[16];
	size_t n = 0;
	uint32_t v = version;
	char rev[16];

	if (!body->versioned)
		return sip_buf_append(b, body->data, body->len);
	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		num[i] = rev[n - 1 - i];
	if (sip_buf_append(b, body->data, body->ver_at) || sip_buf_append(b, num, n))
		return -ENOMEM;
	return sip_buf_append(b, body->data + body->ver_at, body->len - body->ver_at);
}

static size_t body_len(const struct ev_body *body, uint32_t version)
{
	size_t n = body->len;

	if (body->versioned) {
		do {
			n++;
			version /= 10;
		} while (version);
	}
	return n;
}

/* Our Contact in d's dialog (RFC 3261 12.1.1, RFC 6665 4.1.1: a URI that reaches
 * this notifier): the address advertised to the subscriber when the SUBSCRIBE
 * arrived (sip_net_src_advertised: never a wildcard bind), with its transport, so
 * a refresh or an unsubscribe comes back here whatever port or host the server
 * runs on; the configured Contact (the domain) when that address is unknown (or a
 * wildcard, as subscriptions stored before advertising recorded it). out holds
 * EV_CONTACT_MAX bytes. */
#define EV_CONTACT_MAX (SIP_NET_HOSTPORTSTR + 32)
static bool local_is_wildcard(struct sip_str l)
{
	return (l.len > 8 && !memcmp(l.p, "0.0.0.0:", 8)) || (l.len > 5 && !memcmp(l.p, "[::]:", 5));
}

static struct sip_str dlg_contact(const struct sip_events *ev, const struct ev_dlg *d, char *out)
{
	struct sip_str tp = d->transport;
	const char *param = "";
	int n;

	if (!d->local.len || d->local.len >= SIP_NET_HOSTPORTSTR || local_is_wildcard(d->local))
		return ev->cfg.contact;
	if (sip_str_caseeq(tp, SIP_STR("TCP")))
		param = ";transport=tcp";
	else if (sip_str_caseeq(tp, SIP_STR("TLS")))
		param = ";transport=tls";
	else if (sip_str_caseeq(tp, SIP_STR("WS")) || sip_str_caseeq(tp, SIP_STR("WSS")))
		param = ";transport=ws";
	n = snprintf(out, EV_CONTACT_MAX, "<sip:%.*s%s>", SIP_STR_ARG(d->local), param);
	return (struct sip_str){ out, (size_t)n };
}

/* Build and send one NOTIFY for s (RFC 6665 4.2.2, RFC 5839 6.2). The request is
 * written straight into one reused buffer: every piece is either ours or a slice
 * the parser validated, and the body is shared by all subscribers of the version. */
static int send_notify(struct sip_events *ev, struct ev_sub *s, int64_t now,
		       enum sip_events_substate st, const char *reason, enum ev_nb nb)
{
	struct ev_dlg *d = s->dlg;
	struct ev_res *r = s->res;
	const struct ev_pkg *pkg = &ev_pkgs[r->pkg];
	struct sip_buf *b = &ev->nbuf;
	const struct ev_body *body = nb == NB_DELTA ? r->delta : nb == NB_FULL ? r->full : NULL;
	const struct ev_tag *tag = view_tag(s);
	uint32_t version = s->version;
	struct sip_events_notify n;
	char ct[EV_CONTACT_MAX];
	int err = 0;

	sip_buf_reset(b);
	d->local_cseq++;
	err |= APPEND(b, "NOTIFY ");
	err |= sip_buf_append_str(b, d->contact);
	err |= APPEND(b, " SIP/2.0\r\nVia: SIP/2.0/");
	err |= sip_buf_append_str(b, d->transport.len ? d->transport : SIP_STR("UDP"));
	err |= APPEND(b, " ");
	err |= sip_buf_append_str(b, d->local.len ? d->local : SIP_STR("siphon.invalid"));
	/* Branch: magic cookie, process prefix, counter: unique per transaction
	 * (RFC 3261 8.1.1.7) without a getrandom() per NOTIFY. */
	err |= APPEND(b, ";branch=z9hG4bK");
	err |= sip_buf_append(b, ev->prefix, 16);
	err |= APPEND(b, ".");
	err |= sip_buf_append_u64(b, ++ev->branch_counter);
	err |= APPEND(b, "\r\nMax-Forwards: 70\r\n");
	if (d->route_set.len) {
		err |= APPEND(b, "Route: ");
		err |= sip_buf_append_str(b, d->route_set);
		err |= APPEND(b, "\r\n");
	}
	err |= APPEND(b, "From: <");
	err |= sip_buf_append_str(b, d->local_uri);
	err |= APPEND(b, ">;tag=");
	err |= sip_buf_append_str(b, d->local_tag);
	err |= APPEND(b, "\r\nTo: <");
	err |= sip_buf_append_str(b, d->remote_uri);
	err |= APPEND(b, ">;tag=");
	err |= sip_buf_append_str(b, d->remote_tag);
	err |= APPEND(b, "\r\nCall-ID: ");
	err |= sip_buf_append_str(b, d->call_id);
	err |= APPEND(b, "\r\nCSeq: ");
	err |= sip_buf_append_u64(b, d->local_cseq);
	err |= APPEND(b, " NOTIFY\r\nContact: ");
	err |= sip_buf_append_str(b, dlg_contact(ev, d, ct));
	/* RFC 6665 8.2.1: the Event of the SUBSCRIBE, id included. */
	err |= APPEND(b, "\r\nEvent: ");
	err |= sip_buf_append_str(b, pkg->name);
	if (s->event_id.len) {
		err |= APPEND(b, ";id=");
		err |= sip_buf_append_str(b, s->event_id);
	}
	err |= APPEND(b, "\r\nSubscription-State: ");
	if (st == SIP_EVENTS_SUB_TERMINATED) {
		err |= APPEND(b, "terminated;reason=");
		err |= sip_buf_append_cstr(b, reason ? reason : "timeout");
	} else {
		int64_t left = s->tm.at - now;

		err |= st == SIP_EVENTS_SUB_ACTIVE ? APPEND(b, "active;expires=") : APPEND(b, "pending;expires=");
		err |= sip_buf_append_u64(b, left > 0 ? (unsigned long long)left : 0);
	}
	/* RFC 5839 6.2: every NOTIFY carries the tag of the state it reports, also
	 * when its body is suppressed. */
	err |= APPEND(b, "\r\nSIP-ETag: ");
	err |= sip_buf_append(b, tag->s, tag->len);
	if (body) {
		err |= APPEND(b, "\r\nContent-Type: ");
		err |= sip_buf_append_str(b, pkg->ctype);
		err |= APPEND(b, "\r\nContent-Length: ");
		err |= sip_buf_append_u64(b, body_len(body, version));
		err |= APPEND(b, "\r\n\r\n");
		err |= append_body(b, body, version);
	} else {
		err |= APPEND(b, "\r\nContent-Length: 0\r\n\r\n");
	}
	if (err)
		return -ENOMEM;
	if (body) {
		/* RFC 4235 4.1 / RFC 3680 5.1: versions count the documents sent. */
		if (pkg->versioned)
			s->version++;
		s->last_etag = *tag;
	}
	n = (struct sip_events_notify){
		.sub_id = s->id, .msg = sip_buf_str(b),
		.next_hop = d->first_route.len ? d->first_route : d->contact,
		.transport = d->transport, .dest = d->dest, .local = d->local, .flow_id = d->flow_id,
		.cseq = d->local_cseq, .terminated = st == SIP_EVENTS_SUB_TERMINATED, .has_body = body != NULL,
	};
	ev->ops.send_notify(ev->ops.arg, &n);
	return 0;
}

void ev_res_fanout(struct sip_events *ev, struct ev_res *r)
{
	int64_t now = ev_now(ev);
	const struct ev_pkg *pkg = &ev_pkgs[r->pkg];

	for (struct ev_sub *s = r->subs, *next; s; s = next) {
		enum ev_nb nb = NB_FULL;

		next = s->rnext;
		/* Pending watchers see nothing of the state (RFC 3856 6.6.2). */
		if (s->state != SIP_EVENTS_SUB_ACTIVE)
			continue;
		/* RFC 5839 5.2: "*" quenches the subscription: only subscription-state
		 * changes are notified. */
		if (s->suppress & SIP_EVENTS_SUPPRESS_ALL)
			continue;
		if (s->suppress & SIP_EVENTS_SUPPRESS_MATCH) {
			if (cond_true(s))
				continue;
			/* The tag changed: the condition is false for good (tags are never
			 * reused), default behaviour from now on (RFC 5839 5.2). */
			s->suppress = 0;
			s->suppress_etag.len = 0;
			persist(ev, s, false);
		}
		/* RFC 5839 6.4: a delta only to a subscriber that holds the state it
		 * applies to; the SIP-ETag still names the full state. */
		if (pkg->partial && r->delta && s->last_etag.len == r->prev_etag.len &&
		    memcmp(s->last_etag.s, r->prev_etag.s, r->prev_etag.len) == 0)
			nb = NB_DELTA;
		send_notify(ev, s, now, SIP_EVENTS_SUB_ACTIVE, NULL, nb);
	}
}

/* ---------------------------------------------------------------- lifetime */

static void dlg_free(struct sip_events *ev, struct ev_dlg *d)
{
	ev_htab_remove(&ev->dlg_tab, &d->hn);
	free(d->mem);
	free(d);
}

void ev_sub_destroy(struct sip_events *ev, struct ev_sub *s, bool do_persist)
{
	struct ev_res *r = s->res;
	struct ev_dlg *d = s->dlg;

	if (do_persist)
		persist(ev, s, true);
	ev_timer_cancel(ev, &s->tm);
	ev_htab_remove(&ev->sub_tab, &s->idn);
	if (s->rprev)
		s->rprev->rnext = s->rnext;
	else
		r->subs = s->rnext;
	if (s->rnext)
		s->rnext->rprev = s->rprev;
	r->nsubs--;
	for (struct ev_sub **pp = &d->subs; *pp; pp = &(*pp)->dnext) {
		if (*pp == s) {
			*pp = s->dnext;
			break;
		}
	}
	if (--d->nsubs == 0)
		dlg_free(ev, d);
	watch_unref(ev, s->wc);
	free(s->mem);
	free(s);
	ev->nsubs--;
	ev_res_maybe_free(ev, r);
}

/* Final NOTIFY and removal. RFC 6665 4.2.1.4: terminal NOTIFYs may carry the
 * state; they do unless suppressed (RFC 5839 6.2) or the watcher never saw it. */
static void sub_terminate(struct sip_events *ev, struct ev_sub *s, const char *reason, bool body)
{
	enum ev_nb nb = NB_NONE;

	if (body && s->state == SIP_EVENTS_SUB_ACTIVE && !cond_true(s))
		nb = NB_FULL;
	send_notify(ev, s, ev_now(ev), SIP_EVENTS_SUB_TERMINATED, reason, nb);
	ev_sub_destroy(ev, s, true);
}

void ev_sub_expire(struct sip_events *ev, struct ev_sub *s)
{
	/* RFC 6665 4.2.1.4: reason=timeout. */
	sub_terminate(ev, s, "timeout", true);
}

int sip_events_notify_result(struct sip_events *ev, uint64_t sub_id, int status)
{
	uint64_t h = ev_hash(ev->seed, &sub_id, sizeof(sub_id));
	struct ev_sub *s = NULL;

	for (struct ev_hnode *n = ev_htab_first(&ev->sub_tab, h); n; n = n->next) {
		struct ev_sub *c = EV_CONTAINER(n, struct ev_sub, idn);

		if (c->id == sub_id) {
			s = c;
			break;
		}
	}
	if (!s)
		return SIP_ENOTFOUND;
	/* RFC 6665 4.2.2: these responses (and a Timer F timeout, seen as 408) remove
	 * the subscription, without another NOTIFY. */
	if (status == 404 || status == 405 || status == 408 || status == 410 || status == 416 ||
	    (status >= 480 && status <= 485) || status == 489 || status == 501 || status == 604) {
		ev_sub_destroy(ev, s, true);
		ev_timer_report(ev);
	}
	return 0;
}

/* ---------------------------------------------------------------- SUBSCRIBE */

static struct ev_dlg *dlg_find(struct sip_events *ev, struct sip_str call_id, struct sip_str local_tag,
			       struct sip_str remote_tag)
{
	uint64_t h = ev_hash(ev->seed, local_tag.p, local_tag.len);

	for (struct ev_hnode *n = ev_htab_first(&ev->dlg_tab, h); n; n = n->next) {
		struct ev_dlg *d = EV_CONTAINER(n, struct ev_dlg, hn);

		if (n->h == h && sip_str_eq(d->local_tag, local_tag) && sip_str_eq(d->call_id, call_id) &&
		    sip_str_eq(d->remote_tag, remote_tag))
			return d;
	}
	return NULL;
}

/* Everything of a dialog, as strings (from a SUBSCRIBE or a stored record). */
struct dlg_fields {
	struct sip_str call_id, local_tag, remote_tag, local_uri, remote_uri;
	struct sip_str contact, route_set, first_route, transport, dest, local;
};

static int dlg_fill(struct ev_dlg *d, const struct dlg_fields *f)
{
	struct sip_str *const dst[] = {
		&d->call_id, &d->local_tag, &d->remote_tag, &d->local_uri, &d->remote_uri,
		&d->contact, &d->route_set, &d->first_route, &d->transport, &d->dest, &d->local,
	};
	const struct sip_str src[] = {
		f->call_id, f->local_tag, f->remote_tag, f->local_uri, f->remote_uri,
		f->contact, f->route_set, f->first_route, f->transport, f->dest, f->local,
	};
	char *mem = pack(dst, src, sizeof(src) / sizeof(src[0]));

	if (!mem)
		return -ENOMEM;
	free(d->mem);
	d->mem = mem;
	return 0;
}

static int dlg_new(struct sip_events *ev, struct ev_dlg **dp, const struct dlg_fields *f)
{
	struct ev_dlg *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		return -ENOMEM;
	err = dlg_fill(d, f);
	if (!err) {
		d->hn.h = ev_hash(ev->seed, d->local_tag.p, d->local_tag.len);
		err = ev_htab_insert(&ev->dlg_tab, &d->hn);
	}
	if (err) {
		free(d->mem);
		free(d);
		return err;
	}
	*dp = d;
	return 0;
}

static int sub_new(struct sip_events *ev, struct ev_sub **sp, struct ev_res *r, struct ev_dlg *d,
		   struct sip_str event_id, struct sip_str watcher, struct sip_str accept)
{
	struct ev_sub *s = calloc(1, sizeof(*s));
	struct sip_str *const dst[] = { &s->event_id, &s->watcher, &s->accept };
	const struct sip_str src[] = { event_id, watcher, accept };

	if (!s)
		return -ENOMEM;
	s->mem = pack(dst, src, 3);
	if (!s->mem) {
		free(s);
		return -ENOMEM;
	}
	if (watch_ref(ev, &s->wc, s->watcher)) {
		free(s->mem);
		free(s);
		return -ENOMEM;
	}
	s->id = ++ev->sub_ids;
	s->idn.h = ev_hash(ev->seed, &s->id, sizeof(s->id));
	if (ev_htab_insert(&ev->sub_tab, &s->idn)) {
		watch_unref(ev, s->wc);
		free(s->mem);
		free(s);
		return -ENOMEM;
	}
	s->tm.idx = SIZE_MAX;
	s->tm.kind = EV_TIMER_SUB;
	s->res = r;
	s->rnext = r->subs;
	if (r->subs)
		r->subs->rprev = s;
	r->subs = s;
	r->nsubs++;
	s->dlg = d;
	s->dnext = d->subs;
	d->subs = s;
	d->nsubs++;
	ev->nsubs++;
	*sp = s;
	return 0;
}

/* Does the Accept header (if any) allow the package's body type (RFC 6665 3.1.3)? */
static bool accept_ok(struct sip_msg *m, const struct ev_pkg *pkg)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ACCEPT);
	struct sip_str slash = pkg->ctype;
	long at = sip_str_chr(slash, '/');
	struct sip_str type = { pkg->ctype.p, (size_t)at };

	if (!h)
		return true;
	for (; h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str rest = h->value, item;

		while (sip_list_next(&rest, &item)) {
			struct sip_ctype ct;

			if (sip_ctype_parse(&ct, item))
				continue;
			if (sip_str_eq(ct.type, SIP_STR("*")) ||
			    (sip_str_caseeq(ct.type, type) &&
			     (sip_str_eq(ct.subtype, SIP_STR("*")) ||
			      sip_str_caseeq(ct.subtype, (struct sip_str){ pkg->ctype.p + at + 1,
									   pkg->ctype.len - (size_t)at - 1 }))))
				return true;
		}
	}
	return false;
}

/* The resource of a request: given by the server, or sip:user@host of the R-URI. */
int ev_req_resource(struct sip_events *ev, const struct sip_events_req *req, struct sip_str *out)
{
	const struct sip_uri *u;

	if (req->resource.len) {
		*out = req->resource;
		return 0;
	}
	if (sip_msg_ruri(req->msg, &u))
		return SIP_EPARSE;
	if ((u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS) || !u->host.len) {
		/* tel: and other URIs name the resource as they are. */
		*out = u->raw;
		return 0;
	}
	sip_buf_reset(&ev->tmp);
	if (sip_buf_append_str(&ev->tmp, u->scheme == SIP_URI_SIPS ? SIP_STR("sips:") : SIP_STR("sip:")))
		return -ENOMEM;
	if (u->user.len && (sip_buf_append_str(&ev->tmp, u->user) || sip_buf_append(&ev->tmp, "@", 1)))
		return -ENOMEM;
	if (sip_buf_append_str(&ev->tmp, u->host))
		return -ENOMEM;
	*out = sip_buf_str(&ev->tmp);
	return 0;
}

static int add_expires(struct sip_out **resp, uint32_t expires)
{
	int err = sip_out_addf(*resp, SIP_HDR_EXPIRES, "%u", expires);

	if (err) {
		sip_out_free(*resp);
		*resp = NULL;
	}
	return err;
}

/* 200/204 to a SUBSCRIBE: Expires (RFC 6665 3.1.1) and Contact (dialog target). */
static int respond_ok(struct sip_events *ev, struct sip_out **resp, struct sip_msg *m,
		      const struct ev_dlg *d, int code, struct sip_str to_tag, uint32_t expires)
{
	char ct[EV_CONTACT_MAX];
	int err = ev_respond(resp, m, code, to_tag);

	if (err)
		return err;
	err = sip_out_add(*resp, SIP_HDR_CONTACT, dlg_contact(ev, d, ct));
	if (err) {
		sip_out_free(*resp);
		*resp = NULL;
		return err;
	}
	return add_expires(resp, expires);
}

/* Called when the condition is true. */
static void set_condition(struct ev_sub *s, bool star, struct sip_str tag)
{
	if (star) {
		s->suppress = SIP_EVENTS_SUPPRESS_ALL;
		s->suppress_etag.len = 0;
	} else {
		s->suppress = SIP_EVENTS_SUPPRESS_MATCH;
		ev_tag_set(&s->suppress_etag, tag);
		/* RFC 5839 5.2: the subscriber holds (or can recreate) that entity, so a
		 * later delta against it is meaningful (6.4). */
		s->last_etag = *view_tag(s);
	}
}

static void clear_condition(struct ev_sub *s)
{
	s->suppress = 0;
	s->suppress_etag.len = 0;
}

/* Is the SUBSCRIBE's condition true for the view s has (RFC 5839 6.2, 6.3)? */
static bool sim_true(const struct ev_sub *s, bool has_sim, bool star, struct sip_str tag)
{
	const struct ev_tag *t = view_tag(s);

	return has_sim && (star || (tag.len == t->len && memcmp(tag.p, t->s, t->len) == 0));
}

struct sub_ctx {
	struct sip_events *ev;
	struct sip_out **resp;
	const struct sip_events_req *req;
	struct sip_msg *m;
	enum ev_pkg_id pkg;
	struct sip_str event_id;
	uint32_t expires;
	bool has_sim, star;
	struct sip_str sim;
	struct sip_str watcher;
	uint32_t cseq;
};

/* A SUBSCRIBE that matches an existing subscription (RFC 6665 4.2.1.4). */
static int sub_refresh(struct sub_ctx *c, struct ev_sub *s, enum sip_events_policy pol)
{
	struct sip_events *ev = c->ev;
	struct ev_dlg *d = s->dlg;
	const struct sip_addr *contact;
	int err;

	if (pol == SIP_EVENTS_REJECT) {
		err = respond_declined(c->resp, c->m);
		if (!err)
			sub_terminate(ev, s, "rejected", false);
		return err;
	}
	if (pol == SIP_EVENTS_ALLOW && s->state == SIP_EVENTS_SUB_PENDING)
		s->state = SIP_EVENTS_SUB_ACTIVE;
	d->remote_cseq = c->cseq;
	/* SUBSCRIBE is a target refresh request (RFC 6665 3.1). */
	if (sip_msg_contact(c->m, 0, &contact) == 0 && !contact->star &&
	    !sip_str_eq(contact->uri_str, d->contact)) {
		struct dlg_fields f = {
			d->call_id, d->local_tag, d->remote_tag, d->local_uri, d->remote_uri,
			contact->uri_str, d->route_set, d->first_route, d->transport, d->dest, d->local,
		};
		char *old = d->mem;

		d->mem = NULL;
		err = dlg_fill(d, &f);
		if (err) {
			d->mem = old;
			return err;
		}
		free(old);
	}
	if (sim_true(s, c->has_sim, c->star, c->sim)) {
		/* RFC 5839 6.3: in-dialog, condition true: 204 with Expires, no NOTIFY,
		 * the subscription extended (5.6) or concluded (5.7). */
		err = respond_ok(ev, c->resp, c->m, d, 204, SIP_STR_NULL, c->expires);
		if (err)
			return err;
		if (c->expires == 0) {
			ev_sub_destroy(ev, s, true);
			return 0;
		}
		set_condition(s, c->star, c->sim);
		ev_timer_set(ev, &s->tm, ev_now(ev) + c->expires);
		persist(ev, s, false);
		return 0;
	}
	/* Condition absent or false: plain RFC 6665 (5839 5.2). */
	clear_condition(s);
	err = respond_ok(ev, c->resp, c->m, d, 200, SIP_STR_NULL, c->expires);
	if (err)
		return err;
	if (c->expires == 0) {
		/* Unsubscribe: final NOTIFY with the state (RFC 6665 4.2.1.4, 4.4.3). */
		sub_terminate(ev, s, "timeout", true);
		return 0;
	}
	ev_timer_set(ev, &s->tm, ev_now(ev) + c->expires);
	persist(ev, s, false);
	send_notify(ev, s, ev_now(ev), s->state,
		    NULL, s->state == SIP_EVENTS_SUB_ACTIVE ? NB_FULL : NB_NONE);
	return 0;
}

/* A new subscription, in a new dialog (d NULL) or sharing d (RFC 6665 4.5.2). */
static int sub_create(struct sub_ctx *c, struct ev_dlg *d, struct sip_str resource,
		      enum sip_events_policy pol)
{
	struct sip_events *ev = c->ev;
	struct sip_msg *m = c->m;
	const struct sip_addr *from, *to, *contact;
	struct sip_str call_id;
	struct ev_res *r;
	struct ev_sub *s;
	char tag[SIP_TAG_SIZE];
	bool new_dlg = d == NULL;
	int err;

	if (pol == SIP_EVENTS_REJECT)
		return respond_declined(c->resp, m);
	/* The watcher's quota ([limits] subscriptions_per_user). RFC 6665 has no
	 * code for it; 403 is what 4.2.1.3 gives a subscriber refused by "some other
	 * automated mechanism", and RFC 3261 21.4.4 says the request should not be
	 * repeated as is, which holds until the watcher ends a subscription (503
	 * would say the whole server is overloaded, 21.5.4; 486 and 480 are about a
	 * callee). The phrase says why. A fetch (Expires: 0) is not refused: it
	 * leaves no subscription behind. */
	if (ev->cfg.max_subs_per_watcher && c->expires > 0 &&
	    sip_events_watcher_sub_count(ev, c->watcher) >= ev->cfg.max_subs_per_watcher)
		return respond_reason(c->resp, m, 403, "Forbidden (too many subscriptions)", SIP_STR_NULL);
	err = ev_res_get(ev, &r, c->pkg, resource);
	if (err)
		return err;
	if (new_dlg) {
		struct sip_buf routes = SIP_BUF_INIT;
		struct sip_str first = SIP_STR_NULL;
		int nrr = sip_msg_record_route_count(m);
		struct dlg_fields f;

		/* RFC 6665 4.2.1.1 / RFC 3261 12.1.1: a dialog needs the From tag, a
		 * Contact (remote target) and a well-formed Record-Route. */
		if (sip_msg_from(m, &from) || !from->tag.len || sip_msg_to(m, &to) ||
		    sip_msg_call_id(m, &call_id) || sip_msg_contact(m, 0, &contact) || contact->star ||
		    nrr < 0) {
			ev_res_maybe_free(ev, r);
			return ev_respond(c->resp, m, 400, SIP_STR_NULL);
		}
		for (int i = 0; i < nrr; i++) {
			const struct sip_addr *rr;

			if (sip_msg_record_route(m, (unsigned)i, &rr)) {
				sip_buf_free(&routes);
				ev_res_maybe_free(ev, r);
				return ev_respond(c->resp, m, 400, SIP_STR_NULL);
			}
			if (i == 0)
				first = rr->uri_str;
			if ((i && sip_buf_append(&routes, ", ", 2)) || sip_buf_append(&routes, "<", 1) ||
			    sip_buf_append_str(&routes, rr->uri_str) || sip_buf_append(&routes, ">", 1)) {
				sip_buf_free(&routes);
				ev_res_maybe_free(ev, r);
				return -ENOMEM;
			}
		}
		err = sip_tag_new(tag, sizeof(tag));
		if (!err) {
			f = (struct dlg_fields){
				call_id, sip_str_from_cstr(tag), from->tag, to->uri_str, from->uri_str,
				contact->uri_str, sip_buf_str(&routes), first,
				c->req->transport, c->req->dest, c->req->local,
			};
			err = dlg_new(ev, &d, &f);
		}
		sip_buf_free(&routes);
		if (err) {
			ev_res_maybe_free(ev, r);
			return err;
		}
		d->flow_id = c->req->flow_id;
	}
	d->remote_cseq = c->cseq;
	{
		const struct sip_hdr *acc = sip_msg_hdr(m, SIP_HDR_ACCEPT);

		err = sub_new(ev, &s, r, d, c->event_id, c->watcher, acc ? acc->value : SIP_STR_NULL);
	}
	if (err) {
		if (new_dlg)
			dlg_free(ev, d);
		ev_res_maybe_free(ev, r);
		return err;
	}
	s->state = pol == SIP_EVENTS_PENDING ? SIP_EVENTS_SUB_PENDING : SIP_EVENTS_SUB_ACTIVE;
	ev_timer_set(ev, &s->tm, ev_now(ev) + c->expires);
	err = respond_ok(ev, c->resp, m, d, 200, new_dlg ? d->local_tag : SIP_STR_NULL, c->expires);
	if (err) {
		ev_sub_destroy(ev, s, false);
		return err;
	}
	/* RFC 5839 6.2: outside a dialog a true condition never suppresses the NOTIFY
	 * (never 204, 6.3), only its body; and it stays in force for later NOTIFYs. */
	if (sim_true(s, c->has_sim, c->star, c->sim))
		set_condition(s, c->star, c->sim);
	if (c->expires == 0) {
		/* A fetch (RFC 6665 4.4.3, RFC 5839 5.4): one NOTIFY, terminated. */
		enum ev_nb nb = s->state == SIP_EVENTS_SUB_ACTIVE && !cond_true(s) ? NB_FULL : NB_NONE;

		send_notify(ev, s, ev_now(ev), SIP_EVENTS_SUB_TERMINATED, "timeout", nb);
		ev_sub_destroy(ev, s, false);
		return 0;
	}
	persist(ev, s, false);
	send_notify(ev, s, ev_now(ev), s->state, NULL,
		    s->state == SIP_EVENTS_SUB_ACTIVE && !cond_true(s) ? NB_FULL : NB_NONE);
	return 0;
}

static struct ev_sub *dlg_sub(struct ev_dlg *d, enum ev_pkg_id pkg, struct sip_str id)
{
	/* RFC 6665 8.2.1: package and id compared byte by byte; an id never matches
	 * its absence. */
	for (struct ev_sub *s = d->subs; s; s = s->dnext)
		if (s->res->pkg == pkg && sip_str_eq(s->event_id, id))
			return s;
	return NULL;
}

int sip_events_subscribe(struct sip_events *ev, struct sip_out **resp, const struct sip_events_req *req)
{
	struct sub_ctx c = { .ev = ev, .resp = resp, .req = req, .m = req ? req->msg : NULL };
	const struct sip_event *event;
	const struct sip_addr *from, *to;
	const struct sip_cseq *cseq;
	struct sip_str resource, call_id;
	enum sip_events_policy pol = SIP_EVENTS_ALLOW;
	struct ev_dlg *d = NULL;
	struct ev_sub *s = NULL;
	int pkg, err;

	if (!c.m || !c.m->is_request || c.m->method != SIP_METHOD_SUBSCRIBE)
		return -EINVAL;
	if (sip_msg_from(c.m, &from) || sip_msg_to(c.m, &to) || sip_msg_cseq(c.m, &cseq) ||
	    sip_msg_call_id(c.m, &call_id))
		return ev_respond(resp, c.m, 400, SIP_STR_NULL);
	c.cseq = cseq->seq;
	/* RFC 6665 4.2.1.1, 4.2.3: no Event or an unknown package is 489 with the
	 * packages we do know. */
	err = sip_msg_event(c.m, &event);
	if (err == SIP_ENOTFOUND)
		return respond_allow_events(resp, c.m, 489);
	if (err)
		return ev_respond(resp, c.m, 400, SIP_STR_NULL);
	pkg = ev_pkg_find(event->package);
	if (pkg < 0)
		return respond_allow_events(resp, c.m, 489);
	c.pkg = (enum ev_pkg_id)pkg;
	c.event_id = event->id;
	err = sip_msg_expires(c.m, &c.expires);
	if (err == SIP_ENOTFOUND)
		c.expires = ev_pkgs[pkg].default_expires;
	else if (err)
		return ev_respond(resp, c.m, 400, SIP_STR_NULL);
	/* RFC 6665 4.2.1.1: 423 only between 0 and the minimum (never for 0). */
	if (c.expires > 0 && c.expires < ev->cfg.min_expires) {
		err = ev_respond(resp, c.m, 423, SIP_STR_NULL);
		if (!err && (err = sip_out_addf(*resp, SIP_HDR_MIN_EXPIRES, "%u", ev->cfg.min_expires))) {
			sip_out_free(*resp);
			*resp = NULL;
		}
		return err;
	}
	/* The notifier may shorten, never lengthen (RFC 6665 4.2.1.1). */
	if (c.expires > ev->cfg.max_expires)
		c.expires = ev->cfg.max_expires;
	if (!accept_ok(c.m, &ev_pkgs[pkg])) {
		err = ev_respond(resp, c.m, 406, SIP_STR_NULL);
		if (!err && (err = sip_out_add(*resp, SIP_HDR_ACCEPT, ev_pkgs[pkg].ctype))) {
			sip_out_free(*resp);
			*resp = NULL;
		}
		return err;
	}
	/* RFC 5839 7.2: one entity-tag or "*". */
	err = sip_msg_etag(c.m, SIP_HDR_SUPPRESS_IF_MATCH, &c.sim);
	if (err == 0) {
		c.has_sim = true;
		c.star = sip_str_eq(c.sim, SIP_STR("*"));
	} else if (err != SIP_ENOTFOUND) {
		return ev_respond(resp, c.m, 400, SIP_STR_NULL);
	}
	c.watcher = req->watcher.len ? req->watcher : from->uri_str;

	if (to->tag.len) {
		/* Within a dialog: it must be one of ours (RFC 6665 4.1.2.2: 481). */
		d = dlg_find(ev, call_id, to->tag, from->tag);
		if (!d)
			return ev_respond(resp, c.m, 481, SIP_STR_NULL);
		/* RFC 3261 12.2.2: a lower CSeq is out of order. */
		if (c.cseq < d->remote_cseq)
			return ev_respond(resp, c.m, 500, SIP_STR_NULL);
		s = dlg_sub(d, c.pkg, c.event_id);
	}
	if (s) {
		resource = s->res->aor;
	} else {
		err = ev_req_resource(ev, req, &resource);
		if (err == SIP_EPARSE)
			return ev_respond(resp, c.m, 400, SIP_STR_NULL);
		if (err)
			return err;
	}
	if (ev->ops.authorize)
		pol = ev->ops.authorize(ev->ops.arg, resource, ev_pkgs[pkg].name, c.watcher);
	err = s ? sub_refresh(&c, s, pol) : sub_create(&c, d, resource, pol);
	ev_timer_report(ev);
	return err;
}

/* ---------------------------------------------------------------- policy */

int sip_events_policy_changed(struct sip_events *ev, struct sip_str resource,
			      struct sip_str watcher, enum sip_events_policy policy)
{
	int changed = 0;

	for (int p = 0; p < EV_PKG__COUNT; p++) {
		struct ev_res *r = ev_res_find(ev, (enum ev_pkg_id)p, resource);

		/* The resource may go away with its last subscription: stop then. */
		while (r) {
			struct ev_sub *hit = NULL;

			for (struct ev_sub *s = r->subs; s; s = s->rnext) {
				if (!sip_str_eq(s->watcher, watcher))
					continue;
				if ((policy == SIP_EVENTS_ALLOW && s->state == SIP_EVENTS_SUB_PENDING) ||
				    policy == SIP_EVENTS_REJECT) {
					hit = s;
					break;
				}
			}
			if (!hit)
				break;
			changed++;
			if (policy == SIP_EVENTS_REJECT) {
				/* RFC 6665 4.2.1.3: terminated;reason=rejected. */
				bool last = r->nsubs == 1;

				sub_terminate(ev, hit, "rejected", false);
				if (last)
					r = ev_res_find(ev, (enum ev_pkg_id)p, resource);
			} else {
				/* RFC 3856 6.7: granted: a NOTIFY with the current state. */
				hit->state = SIP_EVENTS_SUB_ACTIVE;
				persist(ev, hit, false);
				send_notify(ev, hit, ev_now(ev), SIP_EVENTS_SUB_ACTIVE, NULL,
					    cond_true(hit) ? NB_NONE : NB_FULL);
			}
		}
	}
	ev_timer_report(ev);
	return changed;
}

/* ---------------------------------------------------------------- restore */

int sip_events_restore_sub(struct sip_events *ev, const struct sip_events_sub_record *rec,
			   uint64_t *sub_id)
{
	struct ev_dlg *d;
	struct ev_res *r;
	struct ev_sub *s;
	bool new_dlg = false;
	int pkg = ev_pkg_find(rec->event);
	int err;

	if (pkg < 0 || !rec->call_id.len || !rec->local_tag.len || !rec->remote_tag.len ||
	    !rec->contact.len || !rec->resource.len)
		return -EINVAL;
	if ((unsigned)rec->state > SIP_EVENTS_SUB_TERMINATED)
		return -EINVAL;
	if (rec->state == SIP_EVENTS_SUB_TERMINATED || rec->expires_at <= ev_now(ev))
		return 0;
	d = dlg_find(ev, rec->call_id, rec->local_tag, rec->remote_tag);
	if (d && dlg_sub(d, (enum ev_pkg_id)pkg, rec->event_id))
		return -EEXIST;
	if (!d) {
		struct sip_str first = rec->route_set, item;
		struct dlg_fields f;

		if (sip_list_next(&first, &item) && item.len >= 2 && item.p[0] == '<')
			first = (struct sip_str){ item.p + 1, item.len - 2 };
		else
			first = SIP_STR_NULL;
		f = (struct dlg_fields){
			rec->call_id, rec->local_tag, rec->remote_tag, rec->local_uri, rec->remote_uri,
			rec->contact, rec->route_set, first, rec->transport, rec->dest, rec->local,
		};
		err = dlg_new(ev, &d, &f);
		if (err)
			return err;
		new_dlg = true;
		d->flow_id = rec->flow_id;
		/* NOTIFY CSeqs are not persisted one by one: jump well past the last
		 * stored one so they keep increasing (RFC 3261 12.2.1.1). */
		d->local_cseq = rec->local_cseq + 10000;
		d->remote_cseq = rec->remote_cseq;
	}
	err = ev_res_get(ev, &r, (enum ev_pkg_id)pkg, rec->resource);
	if (!err)
		err = sub_new(ev, &s, r, d, rec->event_id, rec->watcher, rec->accept);
	if (err) {
		if (new_dlg)
			dlg_free(ev, d);
		return err;
	}
	s->state = rec->state;
	s->version = rec->version;
	s->suppress = rec->suppress & (SIP_EVENTS_SUPPRESS_MATCH | SIP_EVENTS_SUPPRESS_ALL);
	ev_tag_set(&s->suppress_etag, rec->suppress_etag);
	ev_tag_set(&s->last_etag, rec->last_etag);
	ev_timer_set(ev, &s->tm, rec->expires_at);
	ev_timer_report(ev);
	if (sub_id)
		*sub_id = s->id;
	return 0;
}

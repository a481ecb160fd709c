/* siphon services: the events service of `siphon serve` (include/siphon/events_svc.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/err.h"
#include "siphon/events_svc.h"
#include "siphon/log.h"
#include "siphon/store.h"
#include "siphon/timer.h"
#include "siphon/txn.h"
#include "siphon/txn_net.h"

#include "siphon/svc_auth.h"

#define container_of(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

/* A NOTIFY made while its cause (a SUBSCRIBE, a PUBLISH) waits for the store: it
 * follows the response (RFC 6665 4.1.2.4 allows either order; this one keeps what
 * is announced durable first). */
struct held {
	struct held *next;
	uint64_t sub_id;
	struct sip_msg *msg;
	struct sip_txn_dest dst;
};

/* A request being processed or waiting for its store batch. */
struct es_op {
	struct sip_events_svc *es;
	struct sip_req req;
	struct sip_out *resp;
	struct sip_store_batch *batch;
	struct held *head, **tail;
};

/* One NOTIFY client transaction. */
struct es_nt {
	struct es_nt *next, *prev;
	struct sip_events_svc *es;
	uint64_t sub_id;
	bool answered;
};

/* A list of owned strings (AORs). */
struct strlist {
	char **aor;
	size_t n, cap;
};

struct sip_events_svc {
	struct sip_svc_env *env;
	struct sip_events *ev;
	struct sip_svc_auth auth;
	struct es_op *cur;                 /* the request inside sip_events_subscribe/publish */
	struct es_op *last_pending;        /* the newest request waiting for the store */
	struct sip_store_batch *idle;      /* changes made outside a request (timers, feeds) */
	struct sip_timer core_tm, flush_tm, mwi_tm, boot_tm;
	/* NOTIFYs made while the server starts (the registrar's restored bindings feed
	 * the reg package before the transports listen) wait for the first loop turn. */
	struct es_op boot;
	bool booting;
	uint64_t mwi_gen, users_gen;
	struct strlist mwi;               /* mailboxes of the last load, sorted */
	struct es_nt *nts;                 /* NOTIFY transactions in flight */
	struct sip_buf canon, watcher, contact;
	bool stopping;
};

static int64_t wall_now(void *arg)
{
	(void)arg;
	return (int64_t)time(NULL);
}

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ persistence */

static void flush_idle(struct sip_timer *t)
{
	struct sip_events_svc *es = container_of(t, struct sip_events_svc, flush_tm);
	struct sip_store_batch *b = es->idle;

	es->idle = NULL;
	if (b && sip_store_submit(es->env->store, b, NULL, NULL) != 0)
		sip_log_warn("events", "could not queue subscription changes for the store");
}

/* The batch a change goes into: the current request's (answered when it commits)
 * or the idle one, submitted at the end of this loop turn (nobody waits for it). */
static struct sip_store_batch *batch_for_change(struct sip_events_svc *es)
{
	struct sip_store_batch **bp = es->cur ? &es->cur->batch : &es->idle;

	if (!*bp && sip_store_batch_new(bp) != 0) {
		*bp = NULL;
		return NULL;
	}
	if (!es->cur && !es->stopping && !sip_timer_active(&es->flush_tm))
		sip_timer_start(es->env->timers, &es->flush_tm, 0, flush_idle);
	return *bp;
}

static void persist_sub(void *arg, const struct sip_events_sub_record *r, bool removed)
{
	struct sip_events_svc *es = arg;
	struct sip_store_batch *b = batch_for_change(es);
	struct sip_store_subscription s = {
		.key = { r->call_id, r->local_tag, r->remote_tag, r->event, r->event_id },
		.resource = r->resource, .watcher = r->watcher, .contact = r->contact,
		.route_set = r->route_set, .local_uri = r->local_uri, .accept = r->accept,
		.transport = r->transport, .dest = r->dest, .local = r->local,
		.flow_id = r->flow_id, .expires_at = r->expires_at, .local_cseq = r->local_cseq,
		.remote_cseq = r->remote_cseq, .state = (enum sip_store_sub_state)r->state,
		.last_etag = r->last_etag, .suppress_etag = r->suppress_etag, .suppress = r->suppress,
	};
	int err;

	if (!b) {
		sip_log_warn("events", "out of memory: a subscription change is not stored");
		return;
	}
	err = removed ? sip_store_batch_sub_del(b, &s.key) : sip_store_batch_sub_put(b, &s);
	if (err)
		sip_log_warn("events", "subscription not stored: %s", sip_strerror(err));
}

static void persist_pub(void *arg, const struct sip_events_pub_record *r, bool removed)
{
	struct sip_events_svc *es = arg;
	struct sip_store_batch *b = batch_for_change(es);
	struct sip_store_publication p = {
		.entity = r->entity, .event = r->event, .etag = r->etag, .expires_at = r->expires_at,
		.content_type = r->content_type, .body = r->body, .updated_at = r->updated_at,
	};
	int err;

	if (!b) {
		sip_log_warn("events", "out of memory: a publication change is not stored");
		return;
	}
	err = removed ? sip_store_batch_pub_del(b, r->entity, r->event, r->etag)
		      : sip_store_batch_pub_put(b, &p);
	if (err)
		sip_log_warn("events", "publication not stored: %s", sip_strerror(err));
}

/* ------------------------------------------------------------------ NOTIFY */

/* "ip:port" or "[v6]:port" (as the core keeps the subscriber's address). */
static int addr_parse(struct sip_net_addr *out, struct sip_str s)
{
	long colon = -1;
	uint32_t port;
	struct sip_str ip;

	for (size_t i = s.len; i > 0; i--) {
		if (s.p[i - 1] == ':') {
			colon = (long)i - 1;
			break;
		}
		if (s.p[i - 1] == ']')
			break;
	}
	if (colon <= 0 || sip_str_to_u32((struct sip_str){ s.p + colon + 1, s.len - (size_t)colon - 1 }, &port) ||
	    port == 0 || port > 65535)
		return -EINVAL;
	ip = (struct sip_str){ s.p, (size_t)colon };
	return sip_net_addr_set(out, ip, (uint16_t)port);
}

/* Where a NOTIFY goes: the first route (or the remote target when there is no
 * route set, RFC 3261 12.2.1.1) when it is an IP literal; a name (which would need
 * RFC 3263 resolution) falls back to the address the SUBSCRIBE came from. Over a
 * stream the subscriber's connection is reused while it is open (the flow). */
static int notify_dest(struct sip_txn_dest *d, const struct sip_events_notify *n)
{
	enum sip_tp tp = sip_tp_from_str(n->transport);
	struct sip_net_addr a;
	struct sip_uri u;

	if (tp == SIP_TP_NONE)
		tp = SIP_TP_UDP;
	memset(d, 0, sizeof(*d));
	if (sip_uri_parse(&u, n->next_hop) == 0 &&
	    (u.host_type == SIP_HOST_IPV4 || u.host_type == SIP_HOST_IPV6)) {
		enum sip_tp utp;
		struct sip_str host = u.host;

		if (sip_net_uri_tp(&utp, &u) != 0)
			return -EINVAL;
		if (u.transport.len || u.scheme == SIP_URI_SIPS)
			tp = utp;
		if (host.len > 2 && host.p[0] == '[')
			host = (struct sip_str){ host.p + 1, host.len - 2 };
		if (sip_net_addr_set(&a, host, u.has_port ? u.port : sip_tp_default_port(tp)) != 0)
			return -EINVAL;
	} else if (addr_parse(&a, n->dest) != 0) {
		return -EINVAL;
	}
	/* Every field set: the caller's dst is not initialised (an unset tls_host
	 * or conn_id would reach the transport). */
	sip_txn_dest_set(d, tp, &a, sip_tp_reliable(tp) ? n->flow_id : 0);
	return 0;
}

static void nt_event(struct sip_txn *t, const struct sip_txn_event *e, void *arg)
{
	struct es_nt *nt = arg;
	struct sip_events_svc *es = nt->es;
	int status = 0;

	(void)t;
	switch (e->type) {
	case SIP_TXN_EV_RESPONSE:
		if (e->msg->status >= 200)
			status = e->msg->status;
		break;
	case SIP_TXN_EV_TIMEOUT:
		status = 408; /* RFC 6665 4.2.2: a timed-out NOTIFY ends the subscription */
		break;
	case SIP_TXN_EV_TRANSPORT_ERROR:
		status = 503; /* RFC 3261 8.1.3.1 */
		break;
	case SIP_TXN_EV_TERMINATED:
		if (nt->prev)
			nt->prev->next = nt->next;
		else
			es->nts = nt->next;
		if (nt->next)
			nt->next->prev = nt->prev;
		free(nt);
		return;
	default:
		break;
	}
	if (status && !nt->answered) {
		nt->answered = true;
		if (!es->stopping)
			(void)sip_events_notify_result(es->ev, nt->sub_id, status);
	}
}

static void notify_start(struct sip_events_svc *es, uint64_t sub_id, struct sip_msg *m,
			 const struct sip_txn_dest *dst)
{
	struct es_nt *nt = calloc(1, sizeof(*nt));
	struct sip_txn *t;

	if (!nt) {
		sip_msg_free(m);
		return;
	}
	nt->es = es;
	nt->sub_id = sub_id;
	if (sip_txn_client_alloc(&t, es->env->txn, m, dst, nt_event, nt) != 0) {
		sip_log_debug("events", "NOTIFY for subscription %llu could not be sent",
			      (unsigned long long)sub_id);
		sip_msg_free(m);
		free(nt);
		return;
	}
	nt->next = es->nts;
	if (es->nts)
		es->nts->prev = nt;
	es->nts = nt;
}

static void send_notify(void *arg, const struct sip_events_notify *n)
{
	struct sip_events_svc *es = arg;
	struct sip_txn_dest dst;
	struct sip_msg *m;

	if (es->stopping)
		return;
	if (notify_dest(&dst, n) != 0) {
		sip_log_warn("events", "NOTIFY for subscription %llu: no usable destination (%.*s)",
			     (unsigned long long)n->sub_id, SIP_STR_ARG(n->next_hop));
		return;
	}
	if (sip_msg_parse(&m, n->msg.p, n->msg.len, NULL, NULL) != 0)
		return;
	/* NOTIFYs leave in the order they were made: while a request's NOTIFYs wait
	 * for its commit, later ones (a timer's, a feed's) queue behind them, or a
	 * subscriber could get a NOTIFY of newer state before one of older state. */
	if (es->cur || es->last_pending || es->booting) {
		struct es_op *op = es->cur ? es->cur : es->last_pending ? es->last_pending : &es->boot;
		struct held *h = malloc(sizeof(*h));
		if (!h) {
			sip_msg_free(m);
			return;
		}
		*h = (struct held){ .sub_id = n->sub_id, .msg = m, .dst = dst };
		*op->tail = h;
		op->tail = &h->next;
		return;
	}
	notify_start(es, n->sub_id, m, &dst);
}

/* ------------------------------------------------------------------ timers */

static void set_timer(void *arg, int64_t at);

static void core_timer(struct sip_timer *t)
{
	struct sip_events_svc *es = container_of(t, struct sip_events_svc, core_tm);

	if (es->stopping)
		return;
	sip_events_run_timers(es->ev);
	/* The loop's clock may fire a little before the wall clock's second turns:
	 * then nothing was due and the core, whose deadline did not change, does not
	 * ask again. */
	if (!sip_timer_active(&es->core_tm) && sip_events_next_timer(es->ev) != INT64_MAX)
		set_timer(es, sip_events_next_timer(es->ev));
}

static void set_timer(void *arg, int64_t at)
{
	struct sip_events_svc *es = arg;
	uint64_t now = wall_ms(), due;

	if (es->stopping || at == INT64_MAX) {
		sip_timer_stop(es->env->timers, &es->core_tm);
		return;
	}
	due = at <= 0 ? 0 : (uint64_t)at * 1000u + 2;
	sip_timer_start(es->env->timers, &es->core_tm, due > now ? due - now : 0, core_timer);
}

/* ------------------------------------------------------------------ policy */

/* RFC 6665 4.2.1.3: the domain's users may watch each other, unless the resource's
 * user blocked the watcher (`siphon user block`, the list that blocks callers). */
static enum sip_events_policy authorize(void *arg, struct sip_str resource, struct sip_str package,
					struct sip_str watcher)
{
	struct sip_events_svc *es = arg;
	uint16_t code;

	(void)package;
	if (sip_store_block_find(es->env->store, resource, watcher, &code) == 0)
		return SIP_EVENTS_REJECT;
	return SIP_EVENTS_ALLOW;
}

/* ------------------------------------------------------------------ message summary */

static void strlist_free(struct strlist *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->aor[i]);
	free(s->aor);
	*s = (struct strlist){ 0 };
}

static int strlist_add(struct strlist *s, struct sip_str aor)
{
	char *c;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->aor, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->aor = v;
		s->cap = cap;
	}
	c = malloc(aor.len + 1);
	if (!c)
		return -ENOMEM;
	memcpy(c, aor.p, aor.len);
	c[aor.len] = '\0';
	s->aor[s->n++] = c;
	return 0;
}

struct mwi_load {
	struct sip_events_svc *es;
	struct strlist now;
	int err;
};

static int mwi_row(const struct sip_store_mwi *m, void *arg)
{
	struct mwi_load *l = arg;
	struct sip_events_mwi v = { m->new_msgs, m->old_msgs, m->urgent_new, m->urgent_old };

	/* The core gives a new tag (and NOTIFYs) only when the document changes. */
	(void)sip_events_mwi_set(l->es->ev, m->aor, &v);
	l->err = strlist_add(&l->now, m->aor);
	return l->err;
}

static int mwi_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* (Re)load every mailbox's counts; a mailbox gone since the last load (mwi clear,
 * user deleted) is reported as empty (RFC 3842 5.2: 0/0). */
static int mwi_load(struct sip_events_svc *es)
{
	struct mwi_load l = { .es = es };
	static const struct sip_events_mwi zero;
	int err = sip_store_mwi_each(es->env->store, mwi_row, &l);

	if (err || l.err) {
		strlist_free(&l.now);
		return err ? err : l.err;
	}
	if (l.now.n)
		qsort(l.now.aor, l.now.n, sizeof(char *), mwi_cmp);
	for (size_t i = 0; i < es->mwi.n; i++) {
		char *key = es->mwi.aor[i];
		if (!l.now.n || !bsearch(&key, l.now.aor, l.now.n, sizeof(char *), mwi_cmp))
			(void)sip_events_mwi_set(es->ev, sip_str_from_cstr(key), &zero);
	}
	strlist_free(&es->mwi);
	es->mwi = l.now;
	return 0;
}

/* ------------------------------------------------------------------ block lists */

static int user_aor(const struct sip_store_user *u, void *arg)
{
	return strlist_add(arg, u->aor);
}

static int block_entry(const struct sip_store_block *e, void *arg)
{
	struct sip_events_svc *es = arg;

	/* RFC 6665 4.2.1.3: a watcher blocked now loses its subscriptions
	 * (terminated;reason=rejected); the core skips pairs it has none for. */
	(void)sip_events_policy_changed(es->ev, e->aor, e->uri, SIP_EVENTS_REJECT);
	return 0;
}

/* The users or block lists changed (`siphon user block` on a running server):
 * every blocked watcher's subscriptions end. */
static void blocks_apply(struct sip_events_svc *es)
{
	struct strlist users = { 0 };

	if (sip_events_sub_count(es->ev) == 0)
		return;
	if (sip_store_user_each(es->env->store, user_aor, &users) == 0)
		for (size_t i = 0; i < users.n; i++)
			(void)sip_store_block_each(es->env->store, sip_str_from_cstr(users.aor[i]),
						   block_entry, es);
	strlist_free(&users);
}

static void mwi_poll(struct sip_timer *t)
{
	struct sip_events_svc *es = container_of(t, struct sip_events_svc, mwi_tm);
	uint64_t gen;

	if (es->stopping)
		return;
	if (sip_store_users_generation(es->env->store, &gen) == 0 && gen != es->users_gen) {
		es->users_gen = gen;
		blocks_apply(es);
	}
	/* One indexed read a second (the generation moves with every committed change,
	 * `siphon mwi set` from another process included). */
	if (sip_store_mwi_generation(es->env->store, &gen) == 0 && gen != es->mwi_gen) {
		if (mwi_load(es) == 0)
			es->mwi_gen = gen;
	}
	sip_timer_start(es->env->timers, &es->mwi_tm, 1000, mwi_poll);
}

/* ------------------------------------------------------------------ requests */

/* Is u (no user part) the address r arrived on, or the one advertised to its
 * sender? Our Contact in a subscription's dialog is the advertised one
 * (sip_net_src_advertised, events_sub.c dlg_contact), so refreshes and
 * unsubscribes are sent to it. */
static bool ruri_is_arrival_addr(const struct sip_uri *u, const struct sip_req *r)
{
	char ip[SIP_NET_IPSTR], adv[SIP_NET_HOSTPORTSTR];
	size_t n = sip_net_addr_ip(ip, &r->src.local);
	struct sip_str host = u->host, ahost = { adv, sip_net_src_advertised(adv, &r->src) };
	uint16_t port = u->has_port ? u->port : sip_tp_default_port(r->src.tp);
	long colon;
	uint32_t aport;

	if (u->user.len || (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS))
		return false;
	/* adv is "host:port", the port after the last ':'. */
	for (colon = (long)ahost.len - 1; colon >= 0 && adv[colon] != ':'; colon--)
		;
	if (colon > 0 && sip_str_to_u32((struct sip_str){ adv + colon + 1, ahost.len - (size_t)colon - 1 },
					&aport) == 0) {
		ahost.len = (size_t)colon;
		if (sip_str_caseeq(host, ahost) && port == aport)
			return true;
	}
	if (host.len >= 2 && host.p[0] == '[') {
		host.p++;
		host.len -= 2;
	}
	return sip_str_caseeq(host, (struct sip_str){ ip, n }) && port == sip_net_addr_port(&r->src.local);
}

static bool es_accepts(void *ctx, struct sip_req *r)
{
	struct sip_events_svc *es = ctx;
	const struct sip_uri *ruri;
	const struct sip_addr *to;

	/* Our domain's resources, and SUBSCRIBEs inside a subscription's dialog,
	 * sent to our Contact (the address they first arrived on). */
	if (sip_msg_ruri(r->msg, &ruri) != 0)
		return false;
	if (sip_svc_is_our_domain(es->env, ruri))
		return true;
	return r->msg->method == SIP_METHOD_SUBSCRIBE && sip_msg_to(r->msg, &to) == 0 && to->tag.len &&
	       ruri_is_arrival_addr(ruri, r);
}

/* The response, then the NOTIFYs it caused. The caller frees op. */
static void op_finish(struct es_op *op, struct sip_req *r, int store_err)
{
	struct sip_events_svc *es = op->es;

	if (store_err) {
		sip_log_warn("events", "%.*s call-id %.*s: store failed: %s", SIP_STR_ARG(r->msg->method_str),
			     SIP_STR_ARG(sip_req_call_id(r)), sip_strerror(store_err));
		sip_out_free(op->resp);
		op->resp = NULL;
		/* The core has the change in memory all the same: its NOTIFYs (and those
		 * queued behind them) still go out, in order. */
		(void)sip_req_reply(r, 500, "Server Internal Error (storage failed)");
	} else if (op->resp) {
		(void)sip_req_send(r, op->resp);
		op->resp = NULL;
	}
	if (es->last_pending == op)
		es->last_pending = NULL;
	if (es->last_pending && op->head) {
		/* Answered at once, but an earlier request still holds NOTIFYs: these
		 * go after them. */
		*es->last_pending->tail = op->head;
		es->last_pending->tail = op->tail;
		op->head = NULL;
		op->tail = &op->head;
	}
	while (op->head) {
		struct held *h = op->head;
		op->head = h->next;
		if (es->stopping)
			sip_msg_free(h->msg);
		else
			notify_start(es, h->sub_id, h->msg, &h->dst);
		free(h);
	}
}

static void op_done(int err, void *arg)
{
	struct es_op *op = arg;

	op_finish(op, &op->req, err);
	sip_req_done(&op->req);
	free(op);
}

/* "transport", "local" and "dest" of the core's request from the source. */
struct src_text {
	char local[SIP_NET_HOSTPORTSTR], dest[SIP_NET_ADDRSTR];
};

static void reply_forbidden(struct sip_req *r, const char *reason)
{
	(void)sip_req_reply(r, 403, reason);
}

static void es_handle(void *ctx, struct sip_req *r)
{
	struct sip_events_svc *es = ctx;
	struct sip_msg *m = r->msg;
	struct sip_store_user user = { 0 };
	struct sip_events_req er = { .msg = m };
	const struct sip_addr *from;
	struct src_text st;
	struct sip_net_via_fix fix;
	struct es_op *op;
	int err;

	if (es->stopping) {
		(void)sip_req_reply(r, 503, NULL);
		return;
	}
	if (es->env->auth) {
		if (!sip_svc_auth_user(&es->auth, r, "events", &user))
			return;
	}
	/* The resource: the canonical AOR of the Request-URI (RFC 3856 6.2); a URI
	 * without a user part is left to the core (it names no user). */
	sip_buf_reset(&es->canon);
	if (sip_store_aor_canon(&es->canon, NULL, NULL, m->ruri_str) == 0)
		er.resource = sip_buf_str(&es->canon);
	/* The watcher: the authenticated user, else the canonical From URI (the form
	 * the block list holds). */
	sip_buf_reset(&es->watcher);
	if (user.aor.len) {
		if (sip_buf_append_str(&es->watcher, user.aor) == 0)
			er.watcher = sip_buf_str(&es->watcher);
	} else if (sip_msg_from(m, &from) == 0 &&
		   sip_store_aor_canon(&es->watcher, NULL, NULL, from->uri_str) == 0) {
		er.watcher = sip_buf_str(&es->watcher);
	}
	/* RFC 3903 6 step 2: a user publishes its own state only. */
	if (m->method == SIP_METHOD_PUBLISH && es->env->auth && !sip_str_eq(user.aor, er.resource)) {
		sip_store_user_clear(&user);
		reply_forbidden(r, "Forbidden (not the owner of this presentity)");
		return;
	}
	sip_store_user_clear(&user);
	/* The NOTIFYs' Via sent-by and Contact: what the subscriber can reach, not a
	 * wildcard bind (sip_net_src_advertised). */
	sip_net_src_advertised(st.local, &r->src);
	sip_net_addr_format(st.dest, &r->src.remote);
	er.transport = sip_str_from_cstr(sip_tp_name(r->src.tp));
	er.local = sip_str_from_cstr(st.local);
	er.dest = sip_str_from_cstr(st.dest);
	er.flow_id = r->src.conn_id;

	op = calloc(1, sizeof(*op));
	if (!op) {
		(void)sip_req_reply(r, 500, NULL);
		return;
	}
	op->es = es;
	op->tail = &op->head;
	es->cur = op;
	err = m->method == SIP_METHOD_SUBSCRIBE ? sip_events_subscribe(es->ev, &op->resp, &er)
						: sip_events_publish(es->ev, &op->resp, &er);
	es->cur = NULL;
	if (err) {
		sip_store_batch_free(op->batch);
		op->batch = NULL;
		op_finish(op, r, err);
		free(op);
		return;
	}
	/* RFC 3261 18.2.1 / RFC 3581: received and rport in the top Via. */
	if (sip_net_via_fix(&fix, m, &r->src) == 0 && (fix.add_received || fix.fill_rport))
		(void)sip_net_via_apply(op->resp, m, &fix);
	if (!op->batch) {
		op_finish(op, r, 0);
		free(op);
		return;
	}
	/* Answer once the change is durable: a kill -9 after the 200 loses nothing. */
	op->req = *r;
	r->msg = NULL;
	err = sip_store_submit(es->env->store, op->batch, op_done, op);
	op->batch = NULL;
	if (!err)
		es->last_pending = op;
	if (err) {
		op_finish(op, &op->req, err);
		sip_req_done(&op->req);
		free(op);
	}
}

/* ------------------------------------------------------------------ restore */

static int restore_pub(const struct sip_store_publication *p, void *arg)
{
	struct sip_events_svc *es = arg;
	struct sip_events_pub_record r = {
		.entity = p->entity, .event = p->event, .etag = p->etag, .expires_at = p->expires_at,
		.content_type = p->content_type, .body = p->body, .updated_at = p->updated_at,
	};
	int err = sip_events_restore_pub(es->ev, &r);

	if (err && err != -ENOMEM) {
		sip_log_warn("events", "stored publication %.*s/%.*s skipped: %s", SIP_STR_ARG(p->entity),
			     SIP_STR_ARG(p->event), sip_strerror(err));
		err = 0;
	}
	return err;
}

static int restore_sub(const struct sip_store_subscription *s, void *arg)
{
	struct sip_events_svc *es = arg;
	struct sip_events_sub_record r = {
		.call_id = s->key.call_id, .local_tag = s->key.local_tag, .remote_tag = s->key.remote_tag,
		.event = s->key.event, .event_id = s->key.event_id, .resource = s->resource,
		.watcher = s->watcher, .contact = s->contact, .route_set = s->route_set,
		.local_uri = s->local_uri,
		/* The store keeps the subscriber's canonical URI as the watcher, not its
		 * From URI as sent: the dialog's remote URI becomes that (RFC 3261 12.2.1.1
		 * To of requests; dialogs are matched by tags, never by URI). */
		.remote_uri = s->watcher,
		.accept = s->accept, .transport = s->transport, .dest = s->dest, .local = s->local,
		.flow_id = 0, /* connections do not survive a restart */
		.expires_at = s->expires_at, .local_cseq = s->local_cseq, .remote_cseq = s->remote_cseq,
		/* Document versions (RFC 4235 4.1, RFC 3680 5.1) are not stored; they never
		 * exceed the NOTIFY CSeq, which the core restores 10000 higher: so do they. */
		.version = s->local_cseq + 10000,
		.state = (enum sip_events_substate)s->state, .last_etag = s->last_etag,
		.suppress_etag = s->suppress_etag, .suppress = s->suppress,
	};
	int err = sip_events_restore_sub(es->ev, &r, NULL);

	if (err && err != -ENOMEM) {
		sip_log_warn("events", "stored subscription %.*s (%.*s) skipped: %s", SIP_STR_ARG(s->key.call_id),
			     SIP_STR_ARG(s->key.event), sip_strerror(err));
		err = 0;
	}
	return err;
}

static void boot_release(struct sip_timer *t)
{
	struct sip_events_svc *es = container_of(t, struct sip_events_svc, boot_tm);

	es->booting = false;
	while (es->boot.head) {
		struct held *h = es->boot.head;
		es->boot.head = h->next;
		if (es->stopping)
			sip_msg_free(h->msg);
		else
			notify_start(es, h->sub_id, h->msg, &h->dst);
		free(h);
	}
	es->boot.tail = &es->boot.head;
}

int sip_events_svc_restore(struct sip_events_svc *es)
{
	struct sip_store_batch *b = NULL;
	int64_t now = wall_now(NULL);
	int err;

	/* Publications first: the subscriptions' state is composed from them. */
	err = sip_store_pub_each(es->env->store, restore_pub, es);
	if (!err)
		err = sip_store_sub_each(es->env->store, restore_sub, es);
	if (!err)
		err = sip_store_mwi_generation(es->env->store, &es->mwi_gen);
	if (!err)
		err = sip_store_users_generation(es->env->store, &es->users_gen);
	if (!err)
		err = mwi_load(es);
	if (err)
		return err;
	/* What expired while the server was down is gone for good. */
	if (sip_store_batch_new(&b) == 0) {
		if (sip_store_batch_sub_purge(b, now) != 0 || sip_store_batch_pub_purge(b, now) != 0 ||
		    sip_store_submit(es->env->store, b, NULL, NULL) != 0)
			sip_log_warn("events", "could not purge expired subscriptions");
	}
	/* Blocks added while the server was down end those subscriptions now. */
	blocks_apply(es);
	sip_log_info("events", "restored %zu subscriptions and %zu publications",
		     sip_events_sub_count(es->ev), sip_events_pub_count(es->ev));
	sip_timer_start(es->env->timers, &es->mwi_tm, 1000, mwi_poll);
	/* The server listens once start-up is over: the first loop turn. */
	sip_timer_start(es->env->timers, &es->boot_tm, 0, boot_release);
	return 0;
}

/* ------------------------------------------------------------------ life */

int sip_events_svc_alloc(struct sip_events_svc **out, struct sip_svc_env *env,
			 const struct sip_events_svc_config *cfg)
{
	struct sip_events_svc *es = calloc(1, sizeof(*es));
	struct sip_events_config ec = { 0 };
	struct sip_events_ops ops = {
		.now = wall_now, .authorize = authorize, .send_notify = send_notify,
		.persist_sub = persist_sub, .persist_pub = persist_pub, .set_timer = set_timer,
	};
	int err;

	if (!es)
		return -ENOMEM;
	es->env = env;
	sip_svc_auth_init(&es->auth, env, SIP_SVC_AUTH_UAS);
	ops.arg = es;
	if (cfg) {
		ec.min_expires = cfg->min_expires;
		ec.max_expires = cfg->max_expires;
		ec.pub_min_expires = cfg->pub_min_expires;
		ec.pub_max_expires = cfg->pub_max_expires;
		ec.max_subs_per_watcher = cfg->max_subs_per_watcher;
	}
	/* Our Contact names the domain, so in-dialog SUBSCRIBEs come back to this
	 * service (es_accepts). */
	if (sip_buf_append(&es->contact, "<sip:", 5) || sip_buf_append_str(&es->contact, env->domain) ||
	    sip_buf_append(&es->contact, ">", 1)) {
		sip_buf_free(&es->contact);
		free(es);
		return -ENOMEM;
	}
	ec.contact = sip_buf_str(&es->contact);
	err = sip_events_alloc(&es->ev, &ec, &ops);
	if (err) {
		sip_buf_free(&es->contact);
		free(es);
		return err;
	}
	sip_timer_init(&es->core_tm);
	sip_timer_init(&es->flush_tm);
	sip_timer_init(&es->mwi_tm);
	sip_timer_init(&es->boot_tm);
	es->boot.es = es;
	es->boot.tail = &es->boot.head;
	es->booting = true;
	env->events = es->ev;
	*out = es;
	return 0;
}

static void es_stop(void *ctx)
{
	struct sip_events_svc *es = ctx;
	struct sip_store_batch *b = es->idle;

	/* Changes made outside requests still reach the store (it commits what is
	 * pending before it closes); nothing new is sent. */
	es->idle = NULL;
	if (b)
		(void)sip_store_submit(es->env->store, b, NULL, NULL);
	es->stopping = true;
	sip_timer_stop(es->env->timers, &es->core_tm);
	sip_timer_stop(es->env->timers, &es->flush_tm);
	sip_timer_stop(es->env->timers, &es->mwi_tm);
	sip_timer_stop(es->env->timers, &es->boot_tm);
	boot_release(&es->boot_tm);
}

void sip_events_svc_free(struct sip_events_svc *es)
{
	if (!es)
		return;
	/* The transaction layer freed its transactions without callbacks. */
	while (es->boot.head) {
		struct held *h = es->boot.head;
		es->boot.head = h->next;
		sip_msg_free(h->msg);
		free(h);
	}
	while (es->nts) {
		struct es_nt *nt = es->nts;
		es->nts = nt->next;
		free(nt);
	}
	if (es->env->events == es->ev)
		es->env->events = NULL;
	sip_events_free(es->ev);
	sip_store_batch_free(es->idle);
	strlist_free(&es->mwi);
	sip_svc_auth_free(&es->auth);
	sip_buf_free(&es->canon);
	sip_buf_free(&es->watcher);
	sip_buf_free(&es->contact);
	free(es);
}

static void es_free(void *ctx)
{
	sip_events_svc_free(ctx);
}

void sip_events_svc_service(struct sip_events_svc *es, struct sip_service *out)
{
	*out = (struct sip_service){
		.name = "events",
		.methods = SIP_METHOD_BIT(SIP_METHOD_SUBSCRIBE) | SIP_METHOD_BIT(SIP_METHOD_PUBLISH),
		.stateful = true,
		.accepts = es_accepts,
		.handle = es_handle,
		.stop = es_stop,
		.free = es_free,
		.ctx = es,
	};
}

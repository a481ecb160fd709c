/* siphon services: the stateful proxy service of `siphon serve`
 * (include/siphon/proxy_svc.h; the core is include/siphon/proxy.h). */
#include <arpa/inet.h>
#include <netdb.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "siphon/dns.h"
#include "siphon/err.h"
#include "siphon/events.h"
#include "siphon/log.h"
#include "siphon/net.h"
#include "siphon/proxy.h"
#include "siphon/proxy_svc.h"
#include "siphon/registrar.h"
#include "siphon/store.h"
#include "siphon/svc_auth.h"
#include "siphon/txn_net.h"
#include "siphon/timer.h"
#include "siphon/txn.h"

#define container_of(p, type, member) ((type *)(void *)((char *)(p) - offsetof(type, member)))

/* Transports the proxy forwards on (index into the per-transport strings). */
enum { TPI_UDP = 0, TPI_TCP, TPI_TLS, TPI__COUNT };

#define USER_CACHE_MAX 65536u   /* entries before the cache is dropped and refilled */
#define MAX_TARGETS 32
/* Addresses recognised as this proxy (advertised, bound, interface addresses of a
 * wildcard bind, the domain at each port). */
#define PROXY_SELF_MAX 48

/* A user of the domain as the proxy needs it (cached; exists = false caches "no
 * such user" so that a flood of calls to an unknown user does not read SQLite). */
struct puser {
	struct puser *next;
	uint32_t hash;
	bool exists;
	bool dnd;
	uint16_t decline_code;
	size_t n603, n607;
	struct sip_str *b603, *b607; /* blocked caller URIs by answer */
	size_t aor_len;
	char *aor;
	char mem[];                  /* aor, then the blocked URIs' texts */
};

struct pcall;

/* A branch whose next hop is a name (RFC 3263): the URI's host, the TLS identity
 * of every target (RFC 5922 7.3), and the targets found, in order, for 4.3: on a
 * transport error, a timeout or a 503 before any other response, the request
 * goes again, as a new transaction (a new Via branch), to the next target. */
struct phop {
	char host[SIP_DNS_NAME];
	char orig[SIP_PROXY_BRANCH_SIZE]; /* the Via branch the context knows */
	char cur[SIP_PROXY_BRANCH_SIZE];  /* the one on the wire now */
	bool answered;                    /* a response other than 100/503 came */
	struct sip_buf req;               /* the request, while a target is left */
	unsigned n, next;
	struct sip_txn_dest t[];
};

struct pbranch {
	struct pcall *call;
	unsigned i;
	struct sip_txn *ct;          /* its INVITE/non-INVITE client transaction */
	struct sip_txn_dest dst;
	bool dst_ok;
	struct phop *hop;            /* a name's targets (dst.tls_host is its host) */
	struct sip_timer timer_c;
};

/* What a call needs from its start to its context. On the stack when every next
 * hop is known at once (IP literals: the common case); copied to the heap while
 * names are being resolved (RFC 3263), when the request (preq's slices) is the
 * server transaction's, which keeps it until a final response. */
struct pstart {
	struct sip_proxy_req preq;
	int in;                      /* index of the transport it came on */
	unsigned pending;            /* lookups running */
	bool answered;               /* a CANCEL was answered meanwhile (487) */
	unsigned n;
	struct {
		size_t off, len;     /* the target URI in the call's strs */
		int q;
		int err;             /* its next hop did not resolve */
	} t[MAX_TARGETS];
};

/* One proxied request: the response context and the transactions that point back
 * at it. It lives while any of them does (refs). */
struct pcall {
	struct pcall *hnext;         /* in the service's table, keyed by the server txn */
	struct pcall *prev, *next;   /* every live call (freed at exit if transactions
				      * that still pointed at it were dropped) */
	struct sip_proxy_svc *p;
	struct sip_txn *st;
	struct sip_txn_dest up;      /* where st sends its responses (18.2.2) */
	struct sip_proxy_ctx *ctx;
	unsigned refs;
	unsigned nbr;
	struct pbranch *br;
	struct sip_timer timer_decline;
	struct sip_buf strs;         /* the targets' URIs until the context has copied them */
	/* Dialog events (only with a hook): the callee's and the caller's AORs,
	 * when they are users of the domain, in strs-independent storage. */
	struct sip_buf dlg;          /* callee AOR, then caller AOR */
	size_t dlg_callee, dlg_caller;
	bool dlg_final;
	struct pstart *start;        /* while next hops are being resolved */
};

struct sip_proxy_svc {
	struct sip_svc_env *env;
	struct sip_registrar *reg;
	struct sip_proxy_config pcfg;
	bool self_ready;
	struct sip_proxy_self self[PROXY_SELF_MAX];
	char self_host[PROXY_SELF_MAX][SIP_NET_HOSTMAX];
	bool has_tp[TPI__COUNT];
	char via[TPI__COUNT][SIP_NET_HOSTMAX + 32];
	char rr[TPI__COUNT][SIP_NET_HOSTMAX + 40];
	struct sip_proxy_ops ops;
	/* users */
	struct puser **ub;
	uint32_t umask;
	size_t nusers;
	uint64_t gen;
	bool gen_known;
	uint64_t gen_checked_ms;
	/* calls by server transaction */
	struct pcall **cb;
	uint32_t cmask;
	size_t ncalls;
	struct pcall *all;
	struct sip_buf tmp, out, canon;
	struct sip_svc_auth auth;
	sip_proxy_dialog_hook dialog;
	void *dialog_arg;
	uint64_t tagctr;
	bool stopping;
	struct sip_dns_cache *dns;
	unsigned dns_tps;            /* transports with a listener, for NAPTR/SRV */
};

/* ------------------------------------------------------------------ helpers */

static uint32_t hash_ptr(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdull;
	v ^= v >> 33;
	return (uint32_t)v;
}

static int tp_index(enum sip_tp tp)
{
	switch (tp) {
	case SIP_TP_UDP: return TPI_UDP;
	case SIP_TP_TCP: return TPI_TCP;
	case SIP_TP_TLS: return TPI_TLS;
	default: return -1;
	}
}

/* One address of this proxy for 16.3/16.4 (sip_net_self_each), once. */
static void self_add(void *arg, struct sip_str host, uint16_t port)
{
	struct sip_proxy_svc *p = arg;
	size_t n = p->pcfg.nself;

	if (!host.len || host.len >= SIP_NET_HOSTMAX)
		return;
	for (size_t i = 0; i < n; i++)
		if (p->self[i].port == port && sip_str_caseeq(p->self[i].host, host))
			return;
	if (n == PROXY_SELF_MAX) {
		sip_log_debug("proxy", "more than %d own addresses: %.*s:%u not recognised as ours",
			      PROXY_SELF_MAX, SIP_STR_ARG(host), port);
		return;
	}
	memcpy(p->self_host[n], host.p, host.len);
	p->self[n].host = (struct sip_str){ p->self_host[n], host.len };
	p->self[n].port = port;
	p->pcfg.nself = n + 1;
}

/* Our own addresses, from the transports' listeners, on first use (the listeners
 * open after the services are made): Via sent-by (16.6 item 8) and Record-Route
 * (item 4) carry the listener's advertised address (never a wildcard bind: peers
 * send in-dialog requests there); 16.3/16.4 recognise that, the bound and
 * interface addresses (sip_net_self_each) and the domain at each of our ports. */
static void self_init(struct sip_proxy_svc *p)
{
	static const enum sip_tp tps[TPI__COUNT] = { SIP_TP_UDP, SIP_TP_TCP, SIP_TP_TLS };
	static const char *const vianame[TPI__COUNT] = { "UDP", "TCP", "TLS" };
	static const char *const rrtp[TPI__COUNT] = { "", ";transport=tcp", ";transport=tls" };

	if (p->self_ready)
		return;
	p->self_ready = true;
	p->pcfg.self = p->self;
	p->pcfg.nself = 0;
	for (int i = 0; i < TPI__COUNT; i++) {
		struct sip_listener *l = sip_net_find_listener(p->env->net, tps[i], NULL);
		const struct sip_net_hostport *a;

		if (!l)
			continue;
		a = sip_listener_advertised(l);
		snprintf(p->via[i], sizeof(p->via[i]), "SIP/2.0/%s %s:%u", vianame[i], a->host, a->port);
		snprintf(p->rr[i], sizeof(p->rr[i]), "sip:%s:%u%s;lr", a->host, a->port, rrtp[i]);
		p->has_tp[i] = true;
		p->dns_tps |= 1u << tps[i];
	}
	sip_net_self_each(p->env->net, self_add, p);
	for (struct sip_listener *l = sip_net_listener_next(p->env->net, NULL); l;
	     l = sip_net_listener_next(p->env->net, l))
	{
		self_add(p, p->env->domain, sip_net_addr_port(sip_listener_addr(l)));
		self_add(p, p->env->domain, sip_listener_advertised(l)->port);
	}
}

/* The query for a URI's next hop (RFC 3263 4: maddr or host, port, transport=,
 * sips), limited to the transports this proxy listens on. */
static int hop_query(struct sip_proxy_svc *p, struct sip_dns_query *q, struct sip_str uristr)
{
	struct sip_uri u;
	enum sip_tp tp;

	if (sip_uri_parse(&u, uristr) != 0 || sip_dns_query_from_uri(q, &u) != 0)
		return -EINVAL;
	if (u.transport.len && (sip_net_uri_tp(&tp, &u) != 0 || tp_index(tp) < 0))
		return -EINVAL;
	q->tps = p->dns_tps;
	return 0;
}

static void dest_from_target(struct sip_txn_dest *out, const struct sip_dns_target *t)
{
	sip_txn_dest_set(out, t->tp, &t->addr, 0);
}

/* Where a URI's request goes, when known now (RFC 3261 18.1.1, RFC 3263 4): an IP
 * literal (4.2: no DNS, no allocation, the common case), or a name with a cached
 * answer, the first target (4.3 order). -EAGAIN: a name not in the cache (it must
 * be resolved with hop_resolve first); another negative code: it cannot be
 * reached. host (SIP_DNS_NAME bytes, may be NULL) is set to the name for TLS
 * (RFC 5922 7.3: the URI's domain), or "" for an IP literal. */
static int uri_dest(struct sip_proxy_svc *p, struct sip_txn_dest *out, char *host, struct sip_str uristr,
		    struct sip_dns_result **resp)
{
	struct sip_dns_query q;
	struct sip_dns_result *res;
	struct sip_net_addr a;
	struct sip_str h;
	int err;

	if (hop_query(p, &q, uristr) != 0)
		return -EINVAL;
	h = q.host;
	if (h.len >= 2 && h.p[0] == '[') {
		h.p++;
		h.len -= 2;
	}
	if (sip_net_addr_set(&a, h, 0) == 0) {
		/* The common case without a copy of a whole result. */
		enum sip_tp tp = q.tp != SIP_TP_NONE ? q.tp : q.sips ? SIP_TP_TLS : SIP_TP_UDP;
		if (q.sips && tp == SIP_TP_TCP)
			tp = SIP_TP_TLS;
		if (tp_index(tp) < 0)
			return -EINVAL;
		sip_net_addr_set_port(&a, q.port ? q.port : sip_tp_default_port(tp));
		sip_txn_dest_set(out, tp, &a, 0);
		if (host)
			host[0] = '\0';
		if (resp)
			*resp = NULL;
		return 0;
	}
	res = malloc(sizeof(*res));
	if (!res)
		return -ENOMEM;
	err = sip_dns_resolve_async(p->dns, res, &q, NULL, NULL);
	if (err == 0) {
		dest_from_target(out, &res->t[0]);
		if (host)
			sip_str_copy(host, SIP_DNS_NAME, q.host);
		if (resp) {
			*resp = res; /* every target, for 4.3 */
			return 0;
		}
	}
	free(res);
	return err;
}

/* A To tag for the responses made here: unique per process, cheap (no syscall). */
static struct sip_str own_tag(struct sip_proxy_svc *p, char buf[24])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t v = ++p->tagctr * 0x9e3779b97f4a7c15ull ^ p->env->tag_key;

	buf[0] = 'p';
	for (int i = 16; i >= 1; i--) {
		buf[i] = hex[v & 15];
		v >>= 4;
	}
	buf[17] = '\0';
	return (struct sip_str){ buf, 17 };
}

static int send_out(struct sip_proxy_svc *p, struct sip_req *r, struct sip_out *o)
{
	(void)p;
	return sip_req_send(r, o);
}

/* ------------------------------------------------------------------ users */

static void users_flush(struct sip_proxy_svc *p)
{
	for (uint32_t i = 0; p->ub && i <= p->umask; i++) {
		struct puser *u = p->ub[i];
		while (u) {
			struct puser *n = u->next;
			free(u);
			u = n;
		}
		p->ub[i] = NULL;
	}
	p->nusers = 0;
}

/* Drop the cache when the store's users changed (the CLI edits policies of a
 * running server), looking at most once a second. */
static void users_revalidate(struct sip_proxy_svc *p)
{
	uint64_t now = uv_now(p->env->loop), gen;

	if (p->gen_known && now - p->gen_checked_ms < 1000)
		return;
	p->gen_checked_ms = now;
	if (sip_store_users_generation(p->env->store, &gen) != 0)
		return;
	if (!p->gen_known || gen != p->gen) {
		if (p->gen_known)
			sip_log_debug("proxy", "users changed in the store: cache dropped");
		users_flush(p);
	}
	p->gen = gen;
	p->gen_known = true;
}

struct block_acc {
	struct sip_buf texts;   /* uri '\0' code(2 bytes) ... */
	size_t n603, n607, bytes;
	uint16_t user_code;
};

static int block_cb(const struct sip_store_block *e, void *arg)
{
	struct block_acc *acc = arg;
	uint16_t code = e->code ? e->code : acc->user_code;
	uint16_t len = (uint16_t)(e->uri.len > 0xffff ? 0xffff : e->uri.len);

	if (code == 607)
		acc->n607++;
	else
		acc->n603++;
	acc->bytes += len;
	if (sip_buf_append(&acc->texts, &code, sizeof(code)) || sip_buf_append(&acc->texts, &len, sizeof(len)) ||
	    sip_buf_append(&acc->texts, e->uri.p, len))
		return -ENOMEM;
	return 0;
}

/* The cached entry of aor (canonical), read from the store on a miss. NULL: no
 * memory or the store failed (the caller answers 500). */
static struct puser *user_get(struct sip_proxy_svc *p, struct sip_str aor)
{
	uint32_t h = sip_str_hash(aor);
	struct puser *u;
	struct sip_store_user su = { 0 };
	struct block_acc acc = { .texts = SIP_BUF_INIT };
	int rc;

	users_revalidate(p);
	for (u = p->ub[h & p->umask]; u; u = u->next)
		if (u->hash == h && u->aor_len == aor.len && !memcmp(u->aor, aor.p, aor.len))
			return u;
	if (p->nusers >= USER_CACHE_MAX)
		users_flush(p);
	rc = sip_store_user_get(p->env->store, aor, &su);
	if (rc != 0 && rc != SIP_ENOTFOUND)
		return NULL;
	if (rc == 0) {
		acc.user_code = su.decline_code == 607 ? 607 : 603;
		if (sip_store_block_each(p->env->store, aor, block_cb, &acc) != 0) {
			sip_store_user_clear(&su);
			sip_buf_free(&acc.texts);
			return NULL;
		}
	}
	size_t nb = acc.n603 + acc.n607;
	u = calloc(1, sizeof(*u) + aor.len + 1 + acc.bytes + nb * sizeof(struct sip_str));
	if (!u) {
		sip_store_user_clear(&su);
		sip_buf_free(&acc.texts);
		return NULL;
	}
	u->hash = h;
	u->exists = rc == 0;
	u->dnd = rc == 0 && su.dnd;
	u->decline_code = acc.user_code;
	/* Layout: the slices first (aligned), then the texts. */
	u->b603 = (struct sip_str *)(void *)u->mem;
	u->b607 = u->b603 + acc.n603;
	char *t = u->mem + nb * sizeof(struct sip_str);
	u->aor = t;
	memcpy(t, aor.p, aor.len);
	t[aor.len] = '\0';
	u->aor_len = aor.len;
	t += aor.len + 1;
	for (size_t off = 0; off < acc.texts.len;) {
		uint16_t code, len;
		memcpy(&code, acc.texts.p + off, 2);
		memcpy(&len, acc.texts.p + off + 2, 2);
		memcpy(t, acc.texts.p + off + 4, len);
		if (code == 607)
			u->b607[u->n607++] = (struct sip_str){ t, len };
		else
			u->b603[u->n603++] = (struct sip_str){ t, len };
		t += len;
		off += 4u + len;
	}
	sip_store_user_clear(&su);
	sip_buf_free(&acc.texts);
	u->next = p->ub[h & p->umask];
	p->ub[h & p->umask] = u;
	p->nusers++;
	return u;
}

/* ------------------------------------------------------------------ calls */

static void calls_insert(struct sip_proxy_svc *p, struct pcall *c)
{
	uint32_t b = hash_ptr(c->st) & p->cmask;

	c->hnext = p->cb[b];
	p->cb[b] = c;
	p->ncalls++;
}

static void calls_remove(struct sip_proxy_svc *p, struct pcall *c)
{
	struct pcall **pp = &p->cb[hash_ptr(c->st) & p->cmask];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			p->ncalls--;
			return;
		}
	}
}

static struct pcall *calls_find(struct sip_proxy_svc *p, const struct sip_txn *st)
{
	for (struct pcall *c = p->cb[hash_ptr(st) & p->cmask]; c; c = c->hnext)
		if (c->st == st)
			return c;
	return NULL;
}

static void call_stop_timers(struct pcall *c)
{
	struct sip_timers *ts = c->p->env->timers;

	for (unsigned i = 0; i < c->nbr; i++)
		sip_timer_stop(ts, &c->br[i].timer_c);
	sip_timer_stop(ts, &c->timer_decline);
}

static void hop_free(struct phop *h)
{
	if (h) {
		sip_buf_free(&h->req);
		free(h);
	}
}

static void call_free(struct pcall *c)
{
	free(c->start);
	for (unsigned i = 0; i < c->nbr; i++)
		hop_free(c->br[i].hop);
	sip_buf_free(&c->strs);
	sip_buf_free(&c->dlg);
	free(c->br);
	free(c);
}

static void call_unref(struct pcall *c)
{
	if (--c->refs)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		c->p->all = c->next;
	if (c->next)
		c->next->prev = c->prev;
	call_stop_timers(c);
	call_free(c);
}

/* RFC 4235 states of a proxied INVITE for the events service: the INVITE (msg, the
 * server transaction's request) and, when there is one, the response going
 * upstream (resp, parsed by the caller). */
static void dialog_report(struct pcall *c, enum sip_events_dialog_state state, int code,
			  struct sip_msg *resp, const char *event)
{
	struct sip_proxy_svc *p = c->p;
	struct sip_msg *req = c->st ? sip_txn_request(c->st) : NULL;
	const struct sip_addr *from, *to, *rto;
	struct sip_events_dialog d = { .state = state, .code = code };

	if (!p->dialog || !req || (!c->dlg_callee && !c->dlg_caller) ||
	    sip_msg_from(req, &from) != 0 || sip_msg_to(req, &to) != 0 ||
	    sip_msg_call_id(req, &d.call_id) != 0)
		return;
	if (event)
		d.event = sip_str_from_cstr(event);
	if (resp && sip_msg_to(resp, &rto) == 0)
		d.remote_tag = rto->tag;
	d.id = d.call_id;
	if (c->dlg_callee) {
		/* The callee's view: local = the To side. */
		d.initiator = false;
		d.local_tag = d.remote_tag;
		d.remote_tag = from->tag;
		d.local_identity = to->uri_str;
		d.remote_identity = from->uri_str;
		d.remote_display = from->display;
		p->dialog(p->dialog_arg, (struct sip_str){ c->dlg.p, c->dlg_callee }, &d);
		d.remote_tag = d.local_tag;
	}
	if (c->dlg_caller) {
		d.initiator = true;
		d.local_tag = from->tag;
		d.local_identity = from->uri_str;
		d.remote_identity = to->uri_str;
		d.remote_display = to->display;
		p->dialog(p->dialog_arg, (struct sip_str){ c->dlg.p + c->dlg_callee, c->dlg_caller }, &d);
	}
}

/* The context is no longer needed once its final response went upstream and every
 * branch ended (late 2xx retransmissions reach the Accepted server transaction
 * directly), or when the server transaction is gone. */
static void call_ctx_end(struct pcall *c)
{
	if (!c->ctx)
		return;
	call_stop_timers(c);
	sip_proxy_ctx_free(c->ctx);
	c->ctx = NULL;
	/* Dialog events are reported for what the context sends upstream only. */
	sip_buf_free(&c->dlg);
	c->dlg_callee = c->dlg_caller = 0;
	call_unref(c);
}

static void call_check(struct pcall *c)
{
	if (c->ctx && sip_proxy_ctx_done(c->ctx))
		call_ctx_end(c);
}

static void srv_cb(struct sip_txn *t, const struct sip_txn_event *ev, void *arg);

/* A 2xx for the caller: every one goes upstream (16.7 step 5), the first, a
 * retransmission, or another fork's. Through the server transaction while it
 * takes a 2xx (Proceeding, or Accepted: RFC 6026 7.1); once it cannot (it sent a
 * 487 or a 6xx and is Completed, or it ended with Timer L before this branch's
 * Timer M) straight to where its responses went (18.2.2). That is not forwarding
 * a stray response (RFC 6026 7.3 forbids that): the 2xx matched a client
 * transaction of this call, and goes only to the address the INVITE came from. */
/* A 2xx goes upstream through the server transaction: at once for the first,
 * and in its Accepted state for every later one (RFC 3261 16.7 step 5, RFC 6026
 * 7.1). When that transaction can no longer send it (gone after Timer L, or
 * Completed because a 6xx or 487 went up first) the 2xx is discarded: RFC 6026
 * 8.3 replaced 16.7 step 9's stateless forwarding with exactly that, and the
 * caller, which already has its final response, could not use it. The callee
 * gets no ACK and ends that dialog itself (RFC 3261 13.3.1.4). */
static int send_2xx_up(struct pcall *c, const char *buf, size_t len)
{
	int err = c->st ? sip_txn_respond(c->st, buf, len) : -EINVAL;

	if (err == -EINVAL) {
		char peer[SIP_NET_ADDRSTR];
		struct sip_net_addr a;

		sip_txn_dest_addr(&a, &c->up);
		sip_net_addr_format(peer, &a);
		sip_log_info("proxy", "2xx for the INVITE from %s discarded: its final response already went up "
				      "(RFC 6026 8.3)", peer);
	}
	return err;
}

static bool failover(struct pcall *c, struct pbranch *b);

static void cl_cb(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct pbranch *b = arg;
	struct pcall *c = b->call;

	c->refs++; /* the call stays while this runs */
	if (t != b->ct && ev->type != SIP_TXN_EV_TERMINATED) {
		/* A target given up for the next one (RFC 3263 4.3). */
		call_unref(c);
		return;
	}
	switch (ev->type) {
	case SIP_TXN_EV_RESPONSE:
		if (b->hop && !b->hop->answered && ev->msg->status > 100) {
			if (ev->msg->status == 503 && failover(c, b))
				break;
			b->hop->answered = true;
			sip_buf_free(&b->hop->req);
		}
		if (c->ctx)
			(void)sip_proxy_ctx_response(c->ctx, b->i, ev->msg);
		else if (ev->msg->status >= 200 && ev->msg->status < 300) {
			/* A 2xx after the context ended (the client transaction is
			 * Accepted, RFC 6026 7.2): a retransmission, or a fork's that
			 * raced the others' ends. */
			struct sip_out *o;
			if (sip_proxy_response_stateless(&o, ev->msg) == 0) {
				sip_buf_reset(&c->p->out);
				if (sip_out_serialize(o, &c->p->out) == 0)
					(void)send_2xx_up(c, c->p->out.p, c->p->out.len);
				sip_out_free(o);
			}
		}
		break;
	case SIP_TXN_EV_TIMEOUT:
		if (b->hop && !b->hop->answered && failover(c, b))
			break;
		if (c->ctx)
			(void)sip_proxy_ctx_timeout(c->ctx, b->i);
		break;
	case SIP_TXN_EV_TRANSPORT_ERROR:
		if (b->hop && !b->hop->answered && failover(c, b))
			break;
		if (c->ctx)
			(void)sip_proxy_ctx_transport_error(c->ctx, b->i);
		break;
	case SIP_TXN_EV_TERMINATED:
		if (b->ct == t)
			b->ct = NULL;
		call_unref(c);
		break;
	default:
		break;
	}
	call_check(c);
	call_unref(c);
}

static void cancel_cb(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct pbranch *b = arg;

	(void)t;
	/* 9.1: the response to a CANCEL says nothing about the INVITE. */
	if (ev->type == SIP_TXN_EV_TERMINATED)
		call_unref(b->call);
}

/* Branch b's next hop: dst is set already; for a name (host not empty), its
 * targets res (NULL: dst only) are kept with the host, which dst and every
 * transaction of the branch borrow as their TLS identity (RFC 5922 7.3). */
static int branch_set_hop(struct pbranch *b, const char *host, const struct sip_dns_result *res)
{
	unsigned n = res ? res->n : 1;
	struct phop *h;

	hop_free(b->hop);
	b->hop = NULL;
	b->dst.tls_host = NULL;
	if (!host[0])
		return 0;
	if (!(h = calloc(1, sizeof(*h) + n * sizeof(h->t[0]))))
		return -ENOMEM;
	sip_str_copy(h->host, sizeof(h->host), sip_str_from_cstr(host));
	h->req = (struct sip_buf)SIP_BUF_INIT;
	h->n = n;
	h->next = 1;
	h->t[0] = b->dst;
	for (unsigned k = 1; k < n; k++)
		dest_from_target(&h->t[k], &res->t[k]);
	for (unsigned k = 0; k < n; k++)
		h->t[k].tls_host = h->host;
	b->hop = h;
	b->dst.tls_host = h->host;
	return 0;
}

/* RFC 3263 4.3: branch b's target failed (a transport error, a timeout, a 503)
 * before answering anything else: the same request, as a new transaction, to
 * the next target. The context never hears of the failed one; its CANCEL gets
 * the new branch (op_send_cancel). true: sent. */
static bool failover(struct pcall *c, struct pbranch *b)
{
	struct phop *h = b->hop;
	size_t blen = h ? strlen(h->cur) : 0;

	if (!c->ctx || !h || !h->req.len || blen != SIP_PROXY_BRANCH_SIZE - 1)
		return false;
	while (h->next < h->n) {
		struct sip_txn_dest *d = &h->t[h->next++];
		struct sip_msg *m, *kept;
		struct sip_txn *ct;
		char *at = memmem(h->req.p, h->req.len, h->cur, blen);
		if (!at)
			return false;
		/* A new branch: the random part's last digit moves on (at most 15
		 * times: SIP_DNS_MAX_TARGETS is 16); the loop hash after the '.'
		 * (16.6 item 8) stays. */
		char *dg = &h->cur[SIP_BRANCH_SIZE - 2];
		*dg = *dg == '9' ? 'a' : *dg == 'f' ? '0' : (char)(*dg + 1);
		memcpy(at, h->cur, blen);
		if (sip_msg_parse(&m, h->req.p, h->req.len, NULL, NULL) != 0)
			return false;
		int vias = sip_msg_via_count(m);
		if (sip_msg_clone_compact(&kept, m, (size_t)(vias > 0 ? vias : 1) * 256u + 512u) == 0) {
			sip_msg_free(m);
			m = kept;
		}
		if (sip_txn_client_alloc(&ct, c->p->env->txn, m, d, cl_cb, b) != 0) {
			sip_msg_free(m);
			continue;
		}
		sip_txn_lean(ct);
		char ip[SIP_NET_IPSTR];
		struct sip_net_addr a;
		sip_txn_dest_addr(&a, d);
		sip_net_addr_ip(ip, &a);
		sip_log_info("proxy", "branch %u to %s: target failed, next target %s:%u (RFC 3263 4.3)", b->i,
			     h->host, ip, sip_net_addr_port(&a));
		b->ct = ct;
		b->dst = *d;
		c->refs++;
		if (h->next >= h->n)
			sip_buf_free(&h->req);
		return true;
	}
	sip_buf_free(&h->req);
	return false;
}

static int op_send_request(void *arg, unsigned i, struct sip_str msg, struct sip_str next_hop)
{
	struct pcall *c = arg;
	struct pbranch *b;
	struct sip_msg *m;
	int err;

	if (i >= c->nbr)
		return -EINVAL;
	b = &c->br[i];
	if (!b->dst_ok) {
		/* The next hop is a Route value or the target itself (16.6 item 7),
		 * resolved before the context was made (call_start): known now. */
		char host[SIP_DNS_NAME];
		struct sip_dns_result *res = NULL;
		err = uri_dest(c->p, &b->dst, host, next_hop, &res);
		if (!err)
			err = branch_set_hop(b, host, res);
		free(res);
		if (err)
			return -EHOSTUNREACH;
		b->dst_ok = true;
	}
	err = sip_msg_parse(&m, msg.p, msg.len, NULL, NULL);
	if (err)
		return err;
	/* The transaction keeps the request while it may retransmit it (up to Timer
	 * B, or while the callee rings): a compact copy, not the parser's block,
	 * which has room for a full parse. Arena room for what is parsed again: the
	 * Via list (the top one at once), and From, To and Route for the ACK of a
	 * non-2xx (17.1.1.3). On -ENOMEM the parsed block is kept. */
	struct sip_msg *kept;
	int vias = sip_msg_via_count(m);
	if (sip_msg_clone_compact(&kept, m, (size_t)(vias > 0 ? vias : 1) * 256u + 512u) == 0) {
		sip_msg_free(m);
		m = kept;
	}
	if (b->hop && b->hop->n > 1) {
		/* Another target is left (4.3): the request and its branch, to send
		 * it again. */
		const struct sip_via *v;
		if (sip_msg_via(m, 0, &v) == 0 && v->branch.len < sizeof(b->hop->orig) &&
		    sip_buf_append_str(&b->hop->req, msg) == 0) {
			sip_str_copy(b->hop->orig, sizeof(b->hop->orig), v->branch);
			memcpy(b->hop->cur, b->hop->orig, sizeof(b->hop->cur));
		}
	}
	err = sip_txn_client_alloc(&b->ct, c->p->env->txn, m, &b->dst, cl_cb, b);
	if (err) {
		sip_msg_free(m);
		if (b->hop)
			sip_buf_free(&b->hop->req);
		return err;
	}
	/* The context builds its CANCELs from its own copy and never asks the
	 * transaction for the request: it is freed with the final response. */
	sip_txn_lean(b->ct);
	c->refs++;
	return 0;
}

static int op_send_cancel(void *arg, unsigned i, struct sip_str msg)
{
	struct pcall *c = arg;
	struct sip_txn *ct;
	struct sip_msg *m;
	int err;

	if (i >= c->nbr || !c->br[i].dst_ok)
		return -EINVAL;
	struct phop *h = c->br[i].hop;
	struct sip_buf fixed = SIP_BUF_INIT;
	if (h && h->orig[0] && strcmp(h->orig, h->cur) != 0 && sip_buf_append_str(&fixed, msg) == 0) {
		/* The request went again to another target (4.3): the CANCEL
		 * names the transaction on the wire (9.1). */
		char *at = memmem(fixed.p, fixed.len, h->orig, strlen(h->orig));
		if (at)
			memcpy(at, h->cur, strlen(h->cur));
		msg = sip_buf_str(&fixed);
	}
	err = sip_msg_parse(&m, msg.p, msg.len, NULL, NULL);
	sip_buf_free(&fixed);
	if (err)
		return err;
	err = sip_txn_client_alloc(&ct, c->p->env->txn, m, &c->br[i].dst, cancel_cb, &c->br[i]);
	if (err) {
		sip_msg_free(m);
		return err;
	}
	sip_txn_lean(ct); /* nothing reads the CANCEL after its response */
	c->refs++;
	return 0;
}

static int op_send_response(void *arg, int status, struct sip_str msg)
{
	struct pcall *c = arg;
	int err;

	if (status >= 200 && status < 300)
		err = send_2xx_up(c, msg.p, msg.len);
	else if (!c->st)
		return -ENOTCONN;
	else
		err = sip_txn_respond(c->st, msg.p, msg.len);
	if (c->p->dialog && (c->dlg_callee || c->dlg_caller) && !c->dlg_final && status > 100) {
		struct sip_msg *m;
		if (sip_msg_parse(&m, msg.p, msg.len, NULL, NULL) == 0) {
			if (status < 200)
				dialog_report(c, SIP_EVENTS_DLG_EARLY, status, m, NULL);
			else if (status < 300)
				dialog_report(c, SIP_EVENTS_DLG_CONFIRMED, status, m, NULL);
			else
				dialog_report(c, SIP_EVENTS_DLG_TERMINATED, status, m,
					      status == 487 ? "cancelled" : "rejected");
			sip_msg_free(m);
		}
		c->dlg_final = status >= 200;
	}
	return err;
}

static void timer_c_fired(struct sip_timer *t)
{
	struct pbranch *b = container_of(t, struct pbranch, timer_c);
	struct pcall *c = b->call;

	if (!c->ctx)
		return;
	c->refs++;
	(void)sip_proxy_ctx_timer(c->ctx, SIP_PROXY_TIMER_C, b->i);
	call_check(c);
	call_unref(c);
}

static void timer_decline_fired(struct sip_timer *t)
{
	struct pcall *c = container_of(t, struct pcall, timer_decline);

	if (!c->ctx)
		return;
	c->refs++;
	(void)sip_proxy_ctx_timer(c->ctx, SIP_PROXY_TIMER_DECLINE, 0);
	call_check(c);
	call_unref(c);
}

static void op_timer_start(void *arg, enum sip_proxy_timer t, unsigned branch, uint32_t ms)
{
	struct pcall *c = arg;
	struct sip_timers *ts = c->p->env->timers;

	if (t == SIP_PROXY_TIMER_C && branch < c->nbr)
		sip_timer_start(ts, &c->br[branch].timer_c, ms, timer_c_fired);
	else if (t == SIP_PROXY_TIMER_DECLINE)
		sip_timer_start(ts, &c->timer_decline, ms, timer_decline_fired);
}

static void op_timer_stop(void *arg, enum sip_proxy_timer t, unsigned branch)
{
	struct pcall *c = arg;
	struct sip_timers *ts = c->p->env->timers;

	if (t == SIP_PROXY_TIMER_C && branch < c->nbr)
		sip_timer_stop(ts, &c->br[branch].timer_c);
	else if (t == SIP_PROXY_TIMER_DECLINE)
		sip_timer_stop(ts, &c->timer_decline);
}

static void forward_stateless(struct sip_proxy_svc *p, struct sip_req *r);

static void srv_cb(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct pcall *c = arg;

	(void)t;
	if (ev->type == SIP_TXN_EV_ACK && ev->msg) {
		/* RFC 6026 7.1: an ACK that matches the Accepted transaction (an RFC
		 * 2543 client's, or one that reuses the INVITE's branch) is the TU's:
		 * the ACK for a 2xx, which a proxy forwards like any other (16.11). */
		struct sip_req r = { .env = c->p->env, .msg = ev->msg };
		r.src.tp = sip_txn_proto_tp(c->up.proto);
		forward_stateless(c->p, &r);
		return;
	}
	if (ev->type != SIP_TXN_EV_TERMINATED)
		return; /* Timer H, a transport error: nothing for the proxy */
	c->refs++;
	calls_remove(c->p, c);
	c->st = NULL;
	/* The request the context borrows goes with the transaction. */
	call_ctx_end(c);
	call_unref(c); /* the server transaction's reference */
	call_unref(c);
}

/* ------------------------------------------------------------------ requests */

struct tgt_acc {
	struct sip_proxy_svc *p;
	struct sip_buf *strs;
	size_t n;
	size_t off[MAX_TARGETS], len[MAX_TARGETS];
	int q[MAX_TARGETS];
	struct sip_txn_dest dst[MAX_TARGETS];
	bool dst_ok[MAX_TARGETS];
};

/* A binding: its Contact is the target; an RFC 5626 binding (with an instance)
 * whose flow is still up is reached on that connection instead (5626 5.3). */
static int loc_cb(const struct sip_location *l, void *arg)
{
	struct tgt_acc *a = arg;
	size_t k = a->n;

	if (k >= MAX_TARGETS)
		return 0;
	a->off[k] = a->strs->len;
	a->len[k] = l->contact.len;
	if (sip_buf_append_str(a->strs, l->contact))
		return -ENOMEM;
	a->q[k] = l->q;
	a->dst_ok[k] = false;
	if (l->flow_id && l->instance.len && sip_net_conn_alive(a->p->env->net, l->flow_id)) {
		struct sip_uri u;
		enum sip_tp tp;
		struct sip_net_addr na;
		long colon = sip_str_chr(l->received, ':');
		/* received is "ip:port" (IPv6 "[ip]:port"): the last ':' splits. */
		for (size_t j = l->received.len; j > 0; j--) {
			if (l->received.p[j - 1] == ':') {
				colon = (long)(j - 1);
				break;
			}
		}
		uint32_t port;
		if (colon > 0 && sip_uri_parse(&u, l->contact) == 0 && sip_net_uri_tp(&tp, &u) == 0 &&
		    sip_str_to_u32((struct sip_str){ l->received.p + colon + 1, l->received.len - (size_t)colon - 1 },
				   &port) == 0 && port < 65536) {
			struct sip_str ip = { l->received.p, (size_t)colon };
			if (ip.len >= 2 && ip.p[0] == '[') {
				ip.p++;
				ip.len -= 2;
			}
			if (sip_net_addr_set(&na, ip, (uint16_t)port) == 0) {
				/* A flow is a connection: TCP when the Contact names UDP; a
				 * transport the proxy has no listener for goes as UDP. */
				sip_txn_dest_set(&a->dst[k], tp == SIP_TP_UDP ? SIP_TP_TCP : tp_index(tp) < 0 ? SIP_TP_UDP : tp,
						 &na, l->flow_id);
				a->dst_ok[k] = true;
			}
		}
	}
	a->n++;
	return 0;
}

static void reply(struct sip_req *r, int code, const char *reason)
{
	char peer[SIP_REQ_PEERSTR];

	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug("proxy", "%.*s from %s call-id %.*s: %d", SIP_STR_ARG(r->msg->method_str),
			      sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)), code);
	(void)sip_req_reply(r, code, reason);
}

/* Is u addressed to a user of the served domain (host = domain, and its port, if
 * any, one of ours)? */
static bool is_local(struct sip_proxy_svc *p, const struct sip_uri *u)
{
	if (!sip_svc_is_our_domain(p->env, u))
		return false;
	if (!u->has_port)
		return true;
	for (size_t i = 0; i < p->pcfg.nself; i++)
		if (p->self[i].port == u->port)
			return true;
	return false;
}

/* The canonical AOR "sip:user@domain" of a local Request-URI into p->canon. */
static int local_aor(struct sip_proxy_svc *p, struct sip_str *aor, const struct sip_uri *u)
{
	sip_buf_reset(&p->tmp);
	sip_buf_reset(&p->canon);
	if (sip_buf_append(&p->tmp, "sip:", 4) || sip_buf_append_str(&p->tmp, u->user) ||
	    sip_buf_append(&p->tmp, "@", 1) || sip_buf_append_str(&p->tmp, p->env->domain))
		return -ENOMEM;
	int err = sip_store_aor_canon(&p->canon, NULL, NULL, sip_buf_str(&p->tmp));
	if (err)
		return err;
	*aor = sip_buf_str(&p->canon);
	return 0;
}

/* The callee's policy (16.5 is preceded by local policy, RFC 3261 16.4 last
 * paragraph): true when the request was answered. */
static bool decline_check(struct sip_proxy_svc *p, struct sip_req *r, const struct puser *u)
{
	struct sip_decline_policy pol = { .dnd = false };
	struct sip_decline d = { 0 };
	char tagbuf[24], peer[SIP_REQ_PEERSTR];
	struct sip_out *o;

	if (!u->exists)
		return false;
	/* Blocked callers first (607 entries, then 603), then do-not-disturb. */
	if (u->n607) {
		pol.blocked = u->b607;
		pol.nblocked = u->n607;
		pol.block_status = 607;
		if (sip_proxy_decline_decide(&d, &pol, r->msg) != 0)
			return false;
	}
	if (!d.status) {
		pol.blocked = u->b603;
		pol.nblocked = u->n603;
		pol.block_status = 603;
		pol.dnd = u->dnd;
		if (sip_proxy_decline_decide(&d, &pol, r->msg) != 0)
			return false;
	}
	if (!d.status)
		return false;
	sip_log_info("proxy", "%.*s to %.*s from %s call-id %.*s: declined %d (%s)", SIP_STR_ARG(r->msg->method_str),
		     (int)u->aor_len, u->aor, sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)), d.status,
		     d.why);
	if (sip_proxy_decline_response(&o, r->msg, &d, own_tag(p, tagbuf)) == 0)
		(void)send_out(p, r, o);
	else
		(void)sip_req_reply(r, 500, NULL);
	return true;
}

/* With authentication on, a request from a user of the domain must come from
 * that user (RFC 3261 22.3: 407, Proxy-Authorization). true: go on. */
static bool authorize(struct sip_proxy_svc *p, struct sip_req *r)
{
	const struct sip_addr *from, *to;
	struct sip_str aor;

	if (!p->env->auth || r->msg->method == SIP_METHOD_ACK || r->msg->method == SIP_METHOD_CANCEL)
		return true;
	if (sip_msg_to(r->msg, &to) == 0 && to->tag.len)
		return true; /* in-dialog: the dialog was authorised when it was made */
	if (sip_msg_from(r->msg, &from) != 0 || !sip_svc_is_our_domain(p->env, &from->uri))
		return true; /* a call from elsewhere into the domain */
	if (local_aor(p, &aor, &from->uri) != 0) {
		(void)sip_req_reply(r, 403, "Forbidden (bad From)");
		return false;
	}
	return sip_svc_auth_check(&p->auth, r, aor, "proxy");
}

/* The AORs a proxied INVITE reports dialog events for: the callee's (callee, when
 * the Request-URI was a user of the domain) and the caller's (From in the domain). */
static void dialog_setup(struct sip_proxy_svc *p, struct pcall *c, struct sip_req *r, struct sip_str callee)
{
	const struct sip_addr *from, *to;
	struct sip_str aor;

	if (!p->dialog || r->msg->method != SIP_METHOD_INVITE ||
	    (sip_msg_to(r->msg, &to) == 0 && to->tag.len))
		return;
	if (callee.len && sip_buf_append_str(&c->dlg, callee) == 0)
		c->dlg_callee = callee.len;
	if (sip_msg_from(r->msg, &from) == 0 && sip_svc_is_our_domain(p->env, &from->uri) &&
	    local_aor(p, &aor, &from->uri) == 0 && sip_buf_append_str(&c->dlg, aor) == 0)
		c->dlg_caller = aor.len;
}

/* A BYE through the proxy (it record-routes, so every BYE of a dialog it set up
 * passes here) ends the dialog for the dialog subscribers of both parties (RFC 4235
 * 4.1.2: local-bye for the sender, remote-bye for the receiver; RFC 3261 15: the
 * dialog ends when the BYE is sent). Unknown dialogs are ignored by the package. */
static void dialog_bye(struct sip_proxy_svc *p, struct sip_req *r)
{
	const struct sip_addr *from, *to;
	struct sip_events_dialog d = { .state = SIP_EVENTS_DLG_TERMINATED };
	struct sip_str aor;

	if (!p->dialog || r->msg->method != SIP_METHOD_BYE || sip_msg_from(r->msg, &from) != 0 ||
	    sip_msg_to(r->msg, &to) != 0 || !to->tag.len || sip_msg_call_id(r->msg, &d.call_id) != 0)
		return;
	d.id = d.call_id;
	if (from->uri.user.len && sip_svc_is_our_domain(p->env, &from->uri) &&
	    local_aor(p, &aor, &from->uri) == 0) {
		d.event = SIP_STR("local-bye");
		d.local_tag = from->tag;
		d.remote_tag = to->tag;
		d.local_identity = from->uri_str;
		d.remote_identity = to->uri_str;
		d.remote_display = to->display;
		p->dialog(p->dialog_arg, aor, &d);
	}
	if (to->uri.user.len && sip_svc_is_our_domain(p->env, &to->uri) &&
	    local_aor(p, &aor, &to->uri) == 0) {
		d.event = SIP_STR("remote-bye");
		d.local_tag = to->tag;
		d.remote_tag = from->tag;
		d.local_identity = to->uri_str;
		d.remote_identity = from->uri_str;
		d.remote_display = from->display;
		p->dialog(p->dialog_arg, aor, &d);
	}
}

/* The final response made here for a call that never got a context (the caller's
 * CANCEL while resolving: 487; no target resolved: 500), through the server
 * transaction, with To tag tag. */
static void call_answer(struct pcall *c, int code, const char *reason, struct sip_str tag)
{
	struct sip_proxy_svc *p = c->p;
	struct sip_msg *req = c->st ? sip_txn_request(c->st) : NULL;
	struct sip_out *o;

	if (!req || sip_out_response_to(&o, req, code, reason, tag) != 0)
		return;
	sip_buf_reset(&p->out);
	if (sip_out_serialize(o, &p->out) == 0)
		(void)sip_txn_respond(c->st, p->out.p, p->out.len);
	sip_out_free(o);
}

/* No branch has a next hop: 500 naming the host of the first (16.9 counts a
 * branch that cannot be sent as a 503, and 16.7 step 6 turns a lone 503 into a
 * 500: the failure is this request's, not the proxy's). */
static void call_unresolved(struct pcall *c, const struct pstart *s, struct sip_msg *req, unsigned k)
{
	struct sip_proxy_svc *p = c->p;
	char reason[SIP_DNS_NAME + 64], tagbuf[24];
	struct sip_str host = SIP_STR("the next hop"), cid = { NULL, 0 };
	struct sip_str hop = { c->strs.p + s->t[k].off, s->t[k].len };
	struct sip_dns_query q;
	const struct sip_addr *ra;

	if (sip_proxy_req_routed(&s->preq) && sip_msg_route(req, s->preq.route_first, &ra) == 0)
		hop = ra->uri_str;
	if (hop_query(p, &q, hop) == 0)
		host = q.host;
	snprintf(reason, sizeof(reason), "Server Internal Error (cannot resolve %.*s)",
		 (int)(host.len > SIP_DNS_NAME ? SIP_DNS_NAME : host.len), host.p);
	(void)sip_msg_call_id(req, &cid);
	sip_log_info("proxy", "%.*s call-id %.*s: %s: %s", SIP_STR_ARG(req->method_str), SIP_STR_ARG(cid), reason,
		     sip_dns_strerror(s->t[k].err));
	call_answer(c, 500, reason, own_tag(p, tagbuf));
}

/* Every next hop is known (or known not to resolve): make the context and start
 * it (16.6). A branch whose next hop did not resolve is left out: 16.9 would
 * count it as a 503, which 16.7 step 6 ranks below any other response. */
static void call_go(struct pcall *c, const struct pstart *s)
{
	struct sip_proxy_svc *p = c->p;
	struct sip_proxy_target tg[MAX_TARGETS];
	struct sip_proxy_fwd def = { 0 };
	struct sip_msg *req = sip_txn_request(c->st);
	const struct sip_addr *to;
	bool dialog_creating = false;
	unsigned n = 0;
	int err, failed = -1;

	/* 16.6 item 4: record-route requests that can make a dialog (RFC 3261 12,
	 * RFC 6665 for SUBSCRIBE, RFC 3515 for REFER). */
	if (req->method == SIP_METHOD_INVITE || req->method == SIP_METHOD_SUBSCRIBE ||
	    req->method == SIP_METHOD_REFER)
		dialog_creating = !(sip_msg_to(req, &to) == 0 && to->tag.len);
	def.via = sip_str_from_cstr(p->via[s->in]);
	if (dialog_creating)
		def.rr = def.rr_in = sip_str_from_cstr(p->rr[s->in]);
	for (unsigned k = 0; k < c->nbr; k++) {
		int out = s->in;
		if (s->t[k].err) {
			if (failed < 0)
				failed = (int)k;
			continue;
		}
		if (c->br[k].dst_ok) {
			out = tp_index(sip_txn_proto_tp(c->br[k].dst.proto));
			if (out < 0 || !p->has_tp[out])
				out = TPI_UDP;
		}
		/* The branches with a next hop first, in their order. */
		if (n != k) {
			struct pbranch t = c->br[n];
			c->br[n] = c->br[k];
			c->br[k] = t;
		}
		c->br[n].i = n;
		tg[n] = (struct sip_proxy_target){ .uri = { c->strs.p + s->t[k].off, s->t[k].len }, .q = s->t[k].q };
		tg[n].via = sip_str_from_cstr(p->via[out]);
		if (dialog_creating) {
			/* Double Record-Route when the transport changes (RFC 5658). */
			tg[n].rr = sip_str_from_cstr(p->rr[out]);
			tg[n].rr_in = sip_str_from_cstr(p->rr[s->in]);
		}
		n++;
	}
	if (!n) {
		call_unresolved(c, s, req, (unsigned)failed);
		return;
	}
	struct sip_proxy_ops ops = p->ops;
	ops.arg = c;
	err = sip_proxy_ctx_alloc(&c->ctx, &p->pcfg, &ops, &s->preq, &def, tg, n);
	if (err) {
		char tagbuf[24];
		call_answer(c, 500, NULL, own_tag(p, tagbuf));
		return;
	}
	if (sip_proxy_ctx_branch_count(c->ctx) != n) {
		/* Duplicates were merged: the branch indexes no longer match our
		 * destinations, so every branch finds its next hop again (cached). */
		for (unsigned k = 0; k < c->nbr; k++)
			c->br[k].dst_ok = false;
	}
	sip_buf_free(&c->strs); /* the context made its own copy */
	c->nbr = n;
	c->refs++; /* the context's */
	/* The context reads the request until its final response is sent, and
	 * nothing here reads it after that: the server transaction may let it go
	 * once it has (sip_txn_lean: not inside the call that sends it). */
	sip_txn_lean(c->st);
	dialog_report(c, SIP_EVENTS_DLG_TRYING, 0, NULL, NULL);
	c->refs++;
	(void)sip_proxy_ctx_start(c->ctx);
	call_check(c);
	call_unref(c);
}

struct hop_wait {
	struct pcall *c;
	unsigned k;
	char host[SIP_DNS_NAME];
};

/* A next hop's name resolved (or not), on the loop thread. The call held a
 * reference for the lookup, so c is valid; its server transaction may be gone,
 * or the caller may have cancelled meanwhile: then nothing is sent. */
static void hop_resolved(void *arg, int err, const struct sip_dns_result *res)
{
	struct hop_wait *w = arg;
	struct pcall *c = w->c;
	struct pstart *s = c->start;
	struct pbranch *b = &c->br[w->k];

	if (err == 0) {
		/* RFC 3263 4.3: the first target (the list's order). */
		dest_from_target(&b->dst, &res->t[0]);
		if (branch_set_hop(b, w->host, res) == 0)
			b->dst_ok = true;
		else
			s->t[w->k].err = -ENOMEM;
	} else {
		s->t[w->k].err = err;
	}
	free(w);
	s->pending--;
	if (c->p->stopping) {
		/* The service is going: svc_free releases what is left. */
		if (c->refs > 1)
			c->refs--;
		return;
	}
	if (!s->pending) {
		c->start = NULL;
		if (c->st && !s->answered && !c->ctx)
			call_go(c, s);
		free(s);
	}
	call_unref(c);
}

/* Find where branch k's request goes: at once (an IP literal, a cached name), or
 * later through hop_resolved (s->pending counts those). */
static void hop_resolve(struct pcall *c, struct pstart *s, unsigned k, struct sip_str hop,
			struct hop_wait **waits)
{
	struct sip_proxy_svc *p = c->p;
	struct pbranch *b = &c->br[k];
	struct sip_dns_query q;
	char host[SIP_DNS_NAME];
	struct sip_dns_result *res = NULL;
	int err = uri_dest(p, &b->dst, host, hop, &res);

	if (err == 0) {
		if (branch_set_hop(b, host, res) != 0)
			s->t[k].err = -ENOMEM;
		else
			b->dst_ok = true;
		free(res);
		return;
	}
	if (err != -EAGAIN || hop_query(p, &q, hop) != 0) {
		s->t[k].err = err;
		return;
	}
	/* Started once the call's pstart is on the heap (call_start). */
	struct hop_wait *w = malloc(sizeof(*w));
	if (!w) {
		s->t[k].err = -ENOMEM;
		return;
	}
	w->c = c;
	w->k = k;
	sip_str_copy(w->host, sizeof(w->host), q.host);
	waits[k] = w;
	s->pending++;
}

static int call_start(struct sip_proxy_svc *p, struct sip_req *r, const struct sip_proxy_req *preq,
		      struct tgt_acc *acc, struct sip_str callee)
{
	struct pcall *c;
	struct pstart s;
	struct hop_wait *waits[MAX_TARGETS] = { NULL };
	int in = tp_index(r->src.tp);

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->br = calloc(acc->n, sizeof(*c->br));
	if (!c->br) {
		free(c);
		return -ENOMEM;
	}
	c->p = p;
	c->st = r->st;
	c->up = *sip_txn_dest(r->st);
	c->nbr = (unsigned)acc->n;
	c->strs = *acc->strs; /* the URIs now belong to the call */
	*acc->strs = (struct sip_buf)SIP_BUF_INIT;
	sip_timer_init(&c->timer_decline);
	if (in < 0 || !p->has_tp[in])
		in = TPI_UDP;
	s.preq = *preq;
	s.in = in;
	s.pending = 0;
	s.answered = false;
	s.n = (unsigned)acc->n;
	for (unsigned k = 0; k < s.n; k++) {
		struct pbranch *b = &c->br[k];
		b->call = c;
		b->i = k;
		sip_timer_init(&b->timer_c);
		s.t[k].off = acc->off[k];
		s.t[k].len = acc->len[k];
		s.t[k].q = acc->q[k];
		s.t[k].err = 0;
		if (acc->dst_ok[k]) {
			b->dst = acc->dst[k];
			b->dst_ok = true;
		} else if (!sip_proxy_req_routed(preq)) {
			hop_resolve(c, &s, k, (struct sip_str){ c->strs.p + acc->off[k], acc->len[k] }, waits);
		} else {
			/* 16.6 item 7: the next hop is the first Route value left (a
			 * strict router's too: it becomes the Request-URI). Known
			 * before the request is built, so the Via names the transport
			 * the request leaves on. */
			const struct sip_addr *ra;
			if (sip_msg_route(r->msg, preq->route_first, &ra) == 0)
				hop_resolve(c, &s, k, ra->uri_str, waits);
			else
				s.t[k].err = -EINVAL;
		}
	}
	c->refs = 1; /* the server transaction's */
	calls_insert(p, c);
	c->next = p->all;
	if (p->all)
		p->all->prev = c;
	p->all = c;
	sip_txn_set_cb(r->st, srv_cb, c);
	dialog_setup(p, c, r, callee);
	c->refs++; /* this function's */
	if (s.pending && !(c->start = malloc(sizeof(s)))) {
		for (unsigned k = 0; k < s.n; k++)
			if (waits[k]) {
				free(waits[k]);
				s.t[k].err = -ENOMEM;
			}
		s.pending = 0;
	}
	if (s.pending) {
		struct sip_dns_result *res = malloc(sizeof(*res));
		*c->start = s;
		/* The RFC 3263 lookups block: workers of libuv's pool do them. */
		for (unsigned k = 0; k < s.n; k++) {
			struct sip_dns_query q;
			struct hop_wait *w = waits[k];
			int err = -ENOMEM;
			if (!w)
				continue;
			struct sip_str hop = { c->strs.p + s.t[k].off, s.t[k].len };
			const struct sip_addr *ra;
			if (sip_proxy_req_routed(preq) && sip_msg_route(r->msg, preq->route_first, &ra) == 0)
				hop = ra->uri_str;
			c->refs++; /* the lookup's */
			if (res && hop_query(p, &q, hop) == 0)
				err = sip_dns_resolve_async(p->dns, res, &q, hop_resolved, w);
			if (err == SIP_DNS_PENDING)
				continue;
			/* Answered now after all (no memory, or a query that does
			 * not parse): delivered the same way, counted in pending. */
			hop_resolved(w, err, res);
		}
		free(res);
		/* hop_resolved ran call_go if every lookup ended meanwhile. */
	} else {
		call_go(c, &s);
	}
	call_unref(c);
	return 0;
}

static void forward_stateless_msg(struct sip_proxy_svc *p, struct sip_msg *m, enum sip_tp src_tp, bool wait);

struct stateless_wait {
	struct sip_proxy_svc *p;
	struct sip_msg *m;  /* a copy of the request */
	enum sip_tp src_tp;
};

/* The next hop of a statelessly forwarded request resolved: forward it now, from
 * the cache (or not at all: it does not resolve). */
static void stateless_resolved(void *arg, int err, const struct sip_dns_result *res)
{
	struct stateless_wait *w = arg;

	(void)err;
	(void)res;
	if (!w->p->stopping)
		forward_stateless_msg(w->p, w->m, w->src_tp, false);
	sip_msg_free(w->m);
	free(w);
}

/* ACK for a 2xx (its own transaction, 17.1.1.3) and any request a transaction
 * does not hold: forwarded statelessly (16.11), no Record-Route. A next hop
 * whose name is not in the cache is resolved first (wait) with a copy of the
 * request; one that does not resolve drops the request (16.11: no state, no
 * answer to an ACK). */
static void forward_stateless(struct sip_proxy_svc *p, struct sip_req *r)
{
	forward_stateless_msg(p, r->msg, r->src.tp, true);
}

static void forward_stateless_msg(struct sip_proxy_svc *p, struct sip_msg *m, enum sip_tp src_tp, bool wait)
{
	struct sip_proxy_check chk;
	struct sip_proxy_req preq;
	struct sip_proxy_fwd f = { 0 };
	struct sip_buf hop = SIP_BUF_INIT;
	struct sip_txn_dest d;
	char branch[SIP_PROXY_BRANCH_SIZE], host[SIP_DNS_NAME];
	struct sip_out *o;
	int in, err;

	if (sip_proxy_validate(&chk, &p->pcfg, m) != 0 || chk.status ||
	    sip_proxy_preprocess(&preq, &p->pcfg, m, &chk) != 0)
		return;
	in = tp_index(src_tp);
	f.target = preq.ruri;
	f.via = sip_str_from_cstr(p->via[in >= 0 && p->has_tp[in] ? in : TPI_UDP]);
	if (sip_proxy_forward(&o, &hop, branch, &preq, &f) != 0)
		return;
	err = uri_dest(p, &d, host, sip_buf_str(&hop), NULL);
	if (err == -EAGAIN && wait) {
		struct stateless_wait *w = malloc(sizeof(*w));
		struct sip_dns_result *res = malloc(sizeof(*res));
		struct sip_dns_query q;
		if (w && res && hop_query(p, &q, sip_buf_str(&hop)) == 0 &&
		    sip_msg_clone_compact(&w->m, m, 1024) == 0) {
			w->p = p;
			w->src_tp = src_tp;
			int rc = sip_dns_resolve_async(p->dns, res, &q, stateless_resolved, w);
			if (rc == SIP_DNS_PENDING) {
				w = NULL;
			} else if (rc == 0) {
				/* Cached meanwhile (cannot happen on one thread, but
				 * cheap to handle). */
				forward_stateless_msg(p, w->m, src_tp, false);
				sip_msg_free(w->m);
			} else {
				sip_msg_free(w->m);
			}
		}
		free(w);
		free(res);
	} else if (err == 0) {
		d.tls_host = host[0] ? host : NULL;
		int out = tp_index(sip_txn_proto_tp(d.proto));
		if (out != in && out >= 0 && p->has_tp[out]) {
			/* The Via must name the transport actually used. */
			sip_out_free(o);
			f.via = sip_str_from_cstr(p->via[out]);
			sip_buf_reset(&hop);
			if (sip_proxy_forward(&o, &hop, branch, &preq, &f) != 0) {
				sip_buf_free(&hop);
				return;
			}
		}
		sip_buf_reset(&p->out);
		if (sip_out_serialize(o, &p->out) == 0)
			(void)sip_txn_layer_send(p->env->txn, &d, p->out.p, p->out.len);
	}
	sip_out_free(o);
	sip_buf_free(&hop);
}

static void handle_cancel(struct sip_proxy_svc *p, struct sip_req *r)
{
	struct sip_txn *inv = sip_txn_match_cancel(p->env->txn, r->msg);
	struct pcall *c = inv ? calls_find(p, inv) : NULL;
	struct sip_out *o;

	if (!inv) {
		reply(r, 481, NULL); /* 9.2 */
		return;
	}
	if (c && !c->ctx && c->start && !c->start->answered) {
		/* 9.2 while the next hops are being resolved: nothing was sent
		 * downstream, so the INVITE is answered 487 here (one To tag for
		 * both responses) and nothing will be. */
		char tagbuf[24];
		struct sip_str tag = own_tag(p, tagbuf);
		c->start->answered = true;
		if (sip_out_response_to(&o, r->msg, 200, NULL, tag) == 0)
			(void)send_out(p, r, o);
		call_answer(c, 487, NULL, tag);
		return;
	}
	if (!c || !c->ctx) {
		(void)sip_req_reply(r, 200, NULL);
		return;
	}
	/* 9.2 and 16.10: 200 to the CANCEL with the context's To tag, then CANCEL on
	 * every pending branch and 487 upstream. */
	if (sip_out_response_to(&o, r->msg, 200, NULL, sip_proxy_ctx_to_tag(c->ctx)) == 0)
		(void)send_out(p, r, o);
	c->refs++;
	(void)sip_proxy_ctx_cancel(c->ctx, r->msg);
	call_check(c);
	call_unref(c);
}

static void handle(void *ctx, struct sip_req *r)
{
	struct sip_proxy_svc *p = ctx;
	struct sip_proxy_check chk;
	struct sip_proxy_req preq;
	struct sip_buf strs = SIP_BUF_INIT;
	struct tgt_acc acc = { .p = p, .strs = &strs };
	const struct sip_uri *ru;
	struct sip_uri ruri;
	struct sip_buf callee = SIP_BUF_INIT;
	int err;

	self_init(p);
	if (r->msg->method == SIP_METHOD_ACK || !r->st) {
		forward_stateless(p, r);
		return;
	}
	if (r->msg->method == SIP_METHOD_CANCEL) {
		handle_cancel(p, r);
		return;
	}
	if (sip_proxy_validate(&chk, &p->pcfg, r->msg) != 0) {
		reply(r, 400, NULL);
		return;
	}
	if (chk.status) {
		struct sip_out *o;
		char tagbuf[24];
		if (sip_proxy_reply(&o, r->msg, &chk, own_tag(p, tagbuf)) == 0)
			(void)send_out(p, r, o);
		return;
	}
	if (sip_proxy_preprocess(&preq, &p->pcfg, r->msg, &chk) != 0) {
		reply(r, 400, "Bad Request (malformed Route)");
		return;
	}
	if (!authorize(p, r))
		return;
	dialog_bye(p, r);
	if (sip_uri_parse(&ruri, preq.ruri) != 0) {
		reply(r, 400, "Bad Request (malformed Request-URI)");
		return;
	}
	ru = &ruri;
	if (!sip_proxy_req_routed(&preq) && is_local(p, ru)) {
		struct sip_str aor;
		struct puser *u;
		if (!ru->user.len || local_aor(p, &aor, ru) != 0) {
			reply(r, 404, NULL);
			return;
		}
		u = user_get(p, aor);
		if (!u) {
			reply(r, 500, NULL);
			return;
		}
		if (decline_check(p, r, u))
			return;
		if (p->reg && sip_registrar_lookup(p->reg, aor, loc_cb, &acc) != 0) {
			sip_buf_free(&strs);
			reply(r, 500, NULL);
			return;
		}
		if (p->dialog && sip_buf_append_str(&callee, aor) != 0) {
			sip_buf_free(&strs);
			reply(r, 500, NULL);
			return;
		}
		if (!acc.n) {
			sip_buf_free(&callee);
			/* 16.5: no target. An AOR with nobody registered is
			 * temporarily unavailable; one that is nobody's is not found. */
			if (u->exists)
				reply(r, 480, "Temporarily Unavailable (no registered contact)");
			else
				reply(r, 404, "Not Found (no such user)");
			sip_buf_free(&strs);
			return;
		}
	} else {
		acc.off[0] = 0;
		acc.len[0] = preq.ruri.len;
		acc.q[0] = -1;
		acc.dst_ok[0] = false;
		if (sip_buf_append_str(&strs, preq.ruri)) {
			reply(r, 500, NULL);
			return;
		}
		acc.n = 1;
	}
	err = call_start(p, r, &preq, &acc, sip_buf_str(&callee));
	sip_buf_free(&callee);
	sip_buf_free(&strs);
	if (err)
		reply(r, 500, NULL);
}

static void stop(void *ctx)
{
	struct sip_proxy_svc *p = ctx;

	p->stopping = true;
}

static void svc_free(void *ctx)
{
	struct sip_proxy_svc *p = ctx;

	if (!p)
		return;
	/* The transaction layer is gone (no more callbacks): release what is left. */
	for (struct pcall *c = p->all, *n; c; c = n) {
		n = c->next;
		if (c->ctx)
			sip_proxy_ctx_free(c->ctx);
		call_free(c);
	}
	sip_dns_cache_free(p->dns);
	users_flush(p);
	free(p->ub);
	free(p->cb);
	sip_svc_auth_free(&p->auth);
	sip_buf_free(&p->tmp);
	sip_buf_free(&p->out);
	sip_buf_free(&p->canon);
	free(p);
}

int sip_proxy_svc_alloc(struct sip_proxy_svc **pp, struct sip_svc_env *env,
			const struct sip_proxy_svc_config *cfg)
{
	struct sip_proxy_svc *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->env = env;
	p->reg = cfg->registrar;
	p->dialog = cfg->dialog;
	p->dialog_arg = cfg->dialog_arg;
	p->pcfg.timer_c_ms = cfg->timer_c_ms;
	p->pcfg.decline_wait_ms = cfg->decline_wait_ms;
	p->umask = 4095;
	p->cmask = 16383;
	p->ub = calloc(p->umask + 1u, sizeof(*p->ub));
	p->cb = calloc(p->cmask + 1u, sizeof(*p->cb));
	if (!p->ub || !p->cb) {
		free(p->ub);
		free(p->cb);
		free(p);
		return -ENOMEM;
	}
	if (sip_dns_cache_alloc(&p->dns, env->loop, NULL) != 0) {
		free(p->ub);
		free(p->cb);
		free(p);
		return -ENOMEM;
	}
	sip_svc_auth_init(&p->auth, env, SIP_SVC_AUTH_PROXY);
	p->ops = (struct sip_proxy_ops){ op_send_request, op_send_cancel, op_send_response,
					 op_timer_start, op_timer_stop, NULL };
	*pp = p;
	return 0;
}

void sip_proxy_svc_service(struct sip_proxy_svc *p, struct sip_service *out)
{
	*out = (struct sip_service){
		.name = "proxy",
		.methods = SIP_METHOD_BIT(SIP_METHOD_INVITE) | SIP_METHOD_BIT(SIP_METHOD_ACK) |
			   SIP_METHOD_BIT(SIP_METHOD_CANCEL) | SIP_METHOD_BIT(SIP_METHOD_BYE) |
			   SIP_METHOD_BIT(SIP_METHOD_UPDATE) | SIP_METHOD_BIT(SIP_METHOD_INFO) |
			   SIP_METHOD_BIT(SIP_METHOD_PRACK) | SIP_METHOD_BIT(SIP_METHOD_MESSAGE) |
			   SIP_METHOD_BIT(SIP_METHOD_NOTIFY) | SIP_METHOD_BIT(SIP_METHOD_REFER),
		.stateful = true,
		.accepts = NULL,
		.handle = handle,
		.stop = stop,
		.free = svc_free,
		.ctx = p,
	};
}

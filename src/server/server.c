/* siphon server: the loop, the wiring of the layers, request routing and the core's
 * own answers (RFC 3261 8.2 UAS checks, 11.2 OPTIONS). See include/siphon/server.h
 * and include/siphon/service.h for how requests reach services. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <uv.h>

#include "siphon/auth.h"
#include "siphon/err.h"
#include "siphon/events.h"
#include "siphon/events_svc.h"
#include "siphon/log.h"
#include "siphon/net.h"
#include "siphon/proxy_svc.h"
#include "siphon/registrar.h"
#include "siphon/server.h"
#include "siphon/service.h"
#include "siphon/store.h"
#include "siphon/timer.h"
#include "siphon/txn.h"
#include "siphon/txn_net.h"

#include "server_int.h"

#define MAX_SERVICES 8

struct server {
	uv_loop_t loop;
	uv_signal_t sig_term, sig_int;
	uv_poll_t store_poll;
	bool store_polling;
	struct sip_timers timers;
	bool timers_up;
	struct sip_svc_env env;
	struct sip_service svc[MAX_SERVICES];
	size_t nsvc;
	uint32_t methods;              /* union of the services' methods, plus OPTIONS */
	struct sip_registrar *registrar;
	const struct sip_net_src *cur_src; /* the source of the message being received */
	struct server_rl *rl;          /* [limits] request_rate; NULL: off */
	char allow[160];
	char supported[96];
	bool signals_up;
	bool stopping;
};

/* ------------------------------------------------------------------ core answers */

/* RFC 3261 11.2: OPTIONS to the server itself: 200 with what it can do. */
static void core_options(struct server *s, struct sip_req *r)
{
	struct sip_out *o;

	if (sip_req_response(&o, r, 200, NULL) != 0)
		return;
	if (sip_out_add(o, SIP_HDR_ALLOW, s->env.allow) != 0 ||
	    (s->env.supported.len && sip_out_add(o, SIP_HDR_SUPPORTED, s->env.supported) != 0) ||
	    sip_out_add(o, SIP_HDR_ACCEPT, SIP_STR("application/sdp")) != 0 ||
	    /* RFC 6665 8.2.2: the event packages we notify for. */
	    (s->env.events && sip_out_add(o, SIP_HDR_ALLOW_EVENTS, sip_events_allow_events()) != 0)) {
		sip_out_free(o);
		return;
	}
	(void)sip_req_send(r, o);
}

/* RFC 3261 8.2.2.3: the option tags of Require we do not support, comma-joined into
 * out. Returns how many. */
static int unsupported_tags(struct server *s, struct sip_msg *m, struct sip_buf *out)
{
	int n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_REQUIRE); h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str rest = h->value, tag;
		while (sip_list_next(&rest, &tag)) {
			bool ok = false;
			struct sip_str srest = s->env.supported, st;
			while (!ok && sip_list_next(&srest, &st))
				ok = sip_str_caseeq(st, tag);
			if (ok)
				continue;
			if ((out->len && sip_buf_append(out, ", ", 2)) || sip_buf_append_str(out, tag))
				return -ENOMEM;
			n++;
		}
	}
	return n;
}

static void log_answer(struct sip_req *r, int code, const char *why)
{
	char peer[SIP_REQ_PEERSTR];

	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug("server", "%.*s from %s call-id %.*s: %d %s", SIP_STR_ARG(r->msg->method_str),
			      sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)), code, why);
}

/* A request: the RFC 3261 8.2 checks, then the first service that takes it, else the
 * core's answer. r->msg is released by the caller afterwards (sip_req_done). */
static void route(struct server *s, struct sip_req *r)
{
	struct sip_msg *m = r->msg;
	const struct sip_uri *ruri;
	const struct sip_cseq *cseq;
	uint32_t mf;
	int rc;

	if (m->method == SIP_METHOD_ACK) {
		/* Never answered (17.2.1). An ACK that matched no transaction (for a
		 * 2xx: its own transaction, 17.1.1.3) goes to a service that forwards
		 * it (the proxy), if any. */
		for (size_t i = 0; i < s->nsvc; i++) {
			struct sip_service *sv = &s->svc[i];
			if ((sv->methods & SIP_METHOD_BIT(m->method)) && (!sv->accepts || sv->accepts(sv->ctx, r))) {
				sv->handle(sv->ctx, r);
				return;
			}
		}
		return;
	}
	/* 8.2.1: a method nobody here handles. */
	if (m->method == SIP_METHOD_OTHER || !(s->methods & SIP_METHOD_BIT(m->method))) {
		struct sip_out *o;
		log_answer(r, 405, "method not handled");
		if (sip_req_response(&o, r, 405, NULL) == 0) {
			if (sip_out_add(o, SIP_HDR_ALLOW, s->env.allow) == 0)
				(void)sip_req_send(r, o);
			else
				sip_out_free(o);
		}
		return;
	}
	/* 8.2.2.1: a Request-URI scheme we cannot handle. */
	rc = sip_msg_ruri(m, &ruri);
	if (rc != 0 || ruri->scheme == SIP_URI_OTHER) {
		log_answer(r, 416, "bad Request-URI");
		(void)sip_req_reply(r, rc ? 400 : 416, rc ? "Bad Request (malformed Request-URI)" : NULL);
		return;
	}
	if (sip_msg_cseq(m, &cseq) != 0 || cseq->method != m->method ||
	    (m->method == SIP_METHOD_OTHER && !sip_str_eq(cseq->method_str, m->method_str))) {
		log_answer(r, 400, "CSeq");
		(void)sip_req_reply(r, 400, "Bad Request (CSeq method does not match the request)");
		return;
	}
	rc = sip_msg_max_forwards(m, &mf);
	if (rc != 0 && rc != SIP_ENOTFOUND) {
		(void)sip_req_reply(r, 400, "Bad Request (malformed Max-Forwards)");
		return;
	}
	/* 8.2.2.3: Require with an extension we do not support (not for CANCEL). */
	if (m->method != SIP_METHOD_CANCEL && sip_msg_has(m, SIP_HDR_REQUIRE)) {
		struct sip_buf tags = SIP_BUF_INIT;
		int n = unsupported_tags(s, m, &tags);
		if (n != 0) {
			struct sip_out *o;
			log_answer(r, 420, "unsupported Require");
			if (n > 0 && sip_req_response(&o, r, 420, NULL) == 0) {
				if (sip_out_add(o, SIP_HDR_UNSUPPORTED, sip_buf_str(&tags)) == 0)
					(void)sip_req_send(r, o);
				else
					sip_out_free(o);
			}
			sip_buf_free(&tags);
			return;
		}
		sip_buf_free(&tags);
	}
	for (size_t i = 0; i < s->nsvc; i++) {
		struct sip_service *sv = &s->svc[i];
		if (!(sv->methods & SIP_METHOD_BIT(m->method)))
			continue;
		if (sv->accepts && !sv->accepts(sv->ctx, r))
			continue;
		sv->handle(sv->ctx, r);
		return;
	}
	if (m->method == SIP_METHOD_OPTIONS) {
		core_options(s, r);
		return;
	}
	if (m->method == SIP_METHOD_CANCEL) {
		/* 9.2: no transaction to cancel. */
		(void)sip_req_reply(r, 481, NULL);
		return;
	}
	/* A request no service takes: not for our domain, and no proxy to forward it
	 * (10.3 step 1 for REGISTER). */
	log_answer(r, 404, "no service for this target");
	(void)sip_req_reply(r, 404, "Not Found (domain not served here)");
}

/* ------------------------------------------------------------------ transports */

static int tp_send(void *arg, const struct sip_txn_dest *d, const char *buf, size_t len, uint64_t *conn_id)
{
	struct server *s = arg;
	struct sip_net_dest nd;

	sip_txn_dest_to_net(&nd, d);
	return sip_net_send(s->env.net, &nd, buf, len, conn_id);
}

static bool tp_reliable(void *arg, const struct sip_txn_dest *d)
{
	(void)arg;
	return sip_tp_reliable(sip_txn_proto_tp(d->proto));
}

static void net_error(const struct sip_net_dest *dst, int err, void *arg)
{
	struct server *s = arg;

	if (s->env.txn)
		sip_txn_layer_transport_error(s->env.txn, dst->conn_id, err);
}

static bool stateful(struct server *s, struct sip_msg *m)
{
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].stateful && (s->svc[i].methods & SIP_METHOD_BIT(m->method)))
			return true;
	return false;
}

/* [limits] request_rate, before any service sees the request (ratelimit.c). ACK
 * and CANCEL are never limited (an ACK completes a transaction already paid for;
 * refusing a CANCEL would keep a call ringing), nor are responses, nor
 * retransmissions of a request whose transaction exists (its answer is already
 * owed). true: go on; false: m was answered with 503 or dropped, and freed. */
static bool rate_ok(struct server *s, struct sip_msg *m, const struct sip_net_src *src, bool sf)
{
	uint32_t retry = 1;
	enum server_rl_verdict v;
	struct sip_out *o;
	char peer[SIP_REQ_PEERSTR];

	if (!s->rl || !m->is_request || m->method == SIP_METHOD_ACK || m->method == SIP_METHOD_CANCEL)
		return true;
	if (sf && sip_txn_match(s->env.txn, m))
		return true;
	v = server_rl_check(s->rl, &src->remote, uv_now(&s->loop), &retry);
	if (v == SERVER_RL_PASS)
		return true;
	struct sip_req r = { .env = &s->env, .msg = m, .src = *src };
	/* A source far over its rate over UDP gets nothing: its address may be
	 * forged, and answers would make us a reflector. A stream peer has proved
	 * its address (the handshake): it is always answered. */
	if (v == SERVER_RL_DROP && src->tp == SIP_TP_UDP) {
		if (sip_log_enabled(SIP_LOG_DEBUG))
			sip_log_debug("server", "%.*s from %s: over the request rate, dropped",
				      SIP_STR_ARG(m->method_str), sip_req_peer(&r, peer));
		sip_req_done(&r);
		return false;
	}
	log_answer(&r, 503, "over the request rate");
	/* RFC 3261 21.5.4: 503 with Retry-After: the client may come back then
	 * (and must not treat this server as failed for other requests, 20.33). */
	if (sip_req_response(&o, &r, 503, NULL) == 0) {
		if (sip_out_addf(o, SIP_HDR_RETRY_AFTER, "%u", retry) == 0)
			(void)sip_req_send(&r, o);
		else
			sip_out_free(o);
	}
	sip_req_done(&r);
	return false;
}

static void net_recv(struct sip_msg *m, const struct sip_net_src *src, void *arg)
{
	struct server *s = arg;

	bool sf;

	if (s->stopping) {
		sip_msg_free(m);
		return;
	}
	sf = m->is_request && stateful(s, m);
	if (!rate_ok(s, m, src, sf))
		return;
	/* Responses, ACKs and CANCELs, and requests of stateful services, go through the
	 * transaction layer; the rest is answered statelessly (8.2.7). */
	if (!m->is_request || m->method == SIP_METHOD_ACK || m->method == SIP_METHOD_CANCEL || sf) {
		struct sip_txn_dest d;
		sip_txn_dest_set(&d, src->tp, &src->remote, src->conn_id);
		s->cur_src = src;
		(void)sip_txn_layer_recv(s->env.txn, m, &d);
		s->cur_src = NULL;
		return;
	}
	struct sip_req r = { .env = &s->env, .msg = m, .src = *src };
	route(s, &r);
	sip_req_done(&r);
}

static void net_bad(const char *buf, size_t len, const struct sip_parse_error *perr,
		    const struct sip_net_src *src, void *arg)
{
	struct server *s = arg;
	struct sip_net_dest d = { .tp = src->tp, .remote = src->remote, .lis = src->lis,
				   .conn_id = src->conn_id };
	char tag[SIP_TAG_SIZE];

	if (s->stopping || sip_tag_new(tag, sizeof(tag)) != 0)
		return;
	if (server_bad_answer(&s->env.out, buf, len, perr->status, perr->reason,
			      sip_str_from_cstr(tag)) != 0)
		return;
	/* An answerable broken request counts against the source's rate too; over
	 * it, it is not answered (no 503 for what we cannot even parse). */
	if (s->rl && server_rl_check(s->rl, &src->remote, uv_now(&s->loop), NULL) != SERVER_RL_PASS)
		return;
	(void)sip_net_send(s->env.net, &d, s->env.out.p, s->env.out.len, NULL);
}

/* The transaction layer's TU. */
static void txn_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	(void)t;
	(void)ev;
	(void)arg;
}

static void txn_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	struct server *s = arg;
	struct sip_req r = { .env = &s->env, .msg = req, .st = st };

	(void)cancelled; /* no stateful service yet takes INVITE; the core answers CANCEL */
	if (s->cur_src)
		r.src = *s->cur_src;
	sip_txn_set_cb(st, txn_event, s);
	route(s, &r);
	sip_req_done(&r);
}

static void txn_stray(struct sip_msg *m, const struct sip_txn_dest *src, void *arg)
{
	struct server *s = arg;

	(void)src;
	/* An ACK for a 2xx: to the service that forwards it (m is borrowed: the
	 * service handles it during the call). A stray response: nothing of ours. */
	if (s->stopping || !m->is_request || m->method != SIP_METHOD_ACK)
		return;
	struct sip_req r = { .env = &s->env, .msg = m };
	if (s->cur_src)
		r.src = *s->cur_src;
	route(s, &r);
}

/* ------------------------------------------------------------------ life */

/* The proxy's dialog-state hook: RFC 4235 dialog events for busy lamp fields. */
static void proxy_dialog_event(void *arg, struct sip_str entity, const struct sip_events_dialog *d)
{
	struct sip_svc_env *env = arg;

	if (env->events)
		(void)sip_events_dialog_update(env->events, entity, d);
}

static void store_ready(uv_poll_t *h, int status, int events)
{
	struct server *s = h->data;

	(void)status;
	(void)events;
	/* The 200s one commit releases leave in one sendmmsg. */
	if (s->env.net)
		sip_net_cork(s->env.net);
	sip_store_process(s->env.store);
	if (s->env.net)
		sip_net_uncork(s->env.net);
}

static void net_closed(void *arg)
{
	(void)arg;
}

static void stop(struct server *s, const char *why)
{
	if (s->stopping)
		return;
	s->stopping = true;
	sip_log_info("server", "stopping (%s)", why);
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].stop)
			s->svc[i].stop(s->svc[i].ctx);
	if (s->store_polling) {
		uv_poll_stop(&s->store_poll);
		uv_close((uv_handle_t *)&s->store_poll, NULL);
		s->store_polling = false;
	}
	/* Pending writes commit and are answered while the transports are still up. */
	sip_store_close(s->env.store);
	s->env.store = NULL;
	if (s->signals_up) {
		uv_signal_stop(&s->sig_term);
		uv_signal_stop(&s->sig_int);
		uv_close((uv_handle_t *)&s->sig_term, NULL);
		uv_close((uv_handle_t *)&s->sig_int, NULL);
		s->signals_up = false;
	}
	/* Transactions and their timers go before the clock does. */
	if (s->env.txn) {
		sip_txn_layer_free(s->env.txn);
		s->env.txn = NULL;
	}
	if (s->env.net) {
		sip_net_close(s->env.net, net_closed, s);
		s->env.net = NULL;
	}
	if (s->timers_up) {
		sip_timers_close(&s->timers);
		s->timers_up = false;
	}
}

static void on_signal(uv_signal_t *h, int signum)
{
	stop(h->data, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

static void add_service(struct server *s, const struct sip_service *sv)
{
	if (s->nsvc < MAX_SERVICES)
		s->svc[s->nsvc++] = *sv;
}

/* Allow and Supported from the service table (RFC 3261 20.5, 20.37). */
static void describe(struct server *s)
{
	size_t n = 0, k = 0;

	s->methods = SIP_METHOD_BIT(SIP_METHOD_OPTIONS);
	for (size_t i = 0; i < s->nsvc; i++)
		s->methods |= s->svc[i].methods;
	if (s->methods & SIP_METHOD_BIT(SIP_METHOD_INVITE))
		s->methods |= SIP_METHOD_BIT(SIP_METHOD_ACK) | SIP_METHOD_BIT(SIP_METHOD_CANCEL);
	for (int m = 1; m < SIP_METHOD__COUNT; m++) {
		if (!(s->methods & SIP_METHOD_BIT(m)))
			continue;
		n += (size_t)snprintf(s->allow + n, sizeof(s->allow) - n, "%s%s", n ? ", " : "",
				      sip_method_name((enum sip_method)m));
	}
	for (size_t i = 0; i < s->nsvc; i++) {
		struct sip_str t = s->svc[i].option_tags;
		if (t.len && k + t.len + 3 < sizeof(s->supported))
			k += (size_t)snprintf(s->supported + k, sizeof(s->supported) - k, "%s%.*s",
					      k ? ", " : "", SIP_STR_ARG(t));
	}
	s->env.allow = sip_str_from_cstr(s->allow);
	s->env.supported = sip_str_from_cstr(s->supported);
}

static int start(struct server *s, const struct sip_server_config *c)
{
	struct sip_store_options so = {
		.path = c->db, .sync_full = c->sync_full, .commit_interval_us = c->commit_interval_us,
	};
	struct sip_nonce_cfg nc = { .lifetime_s = c->nonce_lifetime };
	struct sip_net_config ncfg = {
		.loop = &s->loop, .on_recv = net_recv, .on_bad = net_bad, .on_error = net_error, .arg = s,
		.tls_cert_file = c->tls_cert, .tls_key_file = c->tls_key,
		/* RFC 3261 26.3.1: forwarding and NOTIFY over a new TLS connection
		 * check the server's certificate (its IP: the targets are resolved). */
		.tls_ca_file = c->tls_ca, .tls_ca_dir = c->tls_ca_dir, .tls_no_verify = !c->tls_verify,
		/* 4 MiB, as the bench gives Kamailio (capped by net.core.rmem_max). */
		.udp_rcvbuf = 4u << 20,
		/* [limits]: the parser's size limit also caps what a stream connection
		 * buffers (max_conn_rbuf 0: the message size limit). */
		.limits = { .max_msg_size = c->max_message_size },
		.max_conns = c->max_connections,
	};
	struct sip_txn_transport tp = { .send = tp_send, .reliable = tp_reliable, .arg = s };
	struct sip_txn_tu tu = { .request = txn_request, .stray = txn_stray, .arg = s };
	struct sip_registrar_config rc = {
		.min_expires = c->min_expires, .max_expires = c->max_expires,
		.default_expires = c->default_expires, .max_bindings = c->max_bindings,
	};
	struct sip_events_svc_config ec = {
		.min_expires = c->ev_min_expires, .max_expires = c->ev_max_expires,
		.pub_min_expires = c->ev_pub_min_expires, .pub_max_expires = c->ev_pub_max_expires,
		.max_subs_per_watcher = c->subs_per_user,
	};
	struct sip_events_svc *events = NULL;
	struct sip_service sv, evsv;
	int err;

	s->env.loop = &s->loop;
	s->env.domain = sip_str_from_cstr(c->domain);
	s->env.auth = c->auth;
	s->env.auth_algs = c->auth_algs;
	if (getrandom(&s->env.tag_key, sizeof(s->env.tag_key), 0) != sizeof(s->env.tag_key))
		s->env.tag_key = (uint64_t)uv_hrtime();
	if (c->request_rate) {
		err = server_rl_alloc(&s->rl, c->request_rate, c->request_burst,
				      s->env.tag_key ^ uv_hrtime());
		if (err)
			return err;
	}
	err = sip_timers_init_uv(&s->timers, &s->loop);
	if (err)
		return err;
	s->timers_up = true;
	s->env.timers = &s->timers;
	err = sip_store_open(&s->env.store, &so);
	if (err) {
		sip_log_error("server", "cannot open the store %s: %s", c->db, sip_strerror(err));
		return err;
	}
	err = sip_nonce_state_alloc(&s->env.nonces, &nc);
	if (!err)
		err = sip_net_alloc(&s->env.net, &ncfg);
	if (!err)
		err = sip_txn_layer_alloc(&s->env.txn, &s->timers, &tp, &tu, NULL);
	if (!err)
		err = sip_registrar_alloc(&s->registrar, &s->env, &rc);
	if (err)
		return err;
	sip_registrar_service(s->registrar, &sv);
	s->registrar = NULL; /* the service table owns it now */
	add_service(s, &sv);
	/* The events service (include/siphon/events_svc.h) sets env.events, which the
	 * registrar feeds: it restores before the registrar does. */
	err = sip_events_svc_alloc(&events, &s->env, &ec);
	if (err)
		return err;
	sip_events_svc_service(events, &evsv);
	add_service(s, &evsv);
	struct sip_registrar *reg = sv.ctx;
	{
		/* The proxy last: it takes what the services before it leave. Its
		 * dialog-state hook feeds the dialog event package (RFC 4235). */
		struct sip_proxy_svc_config pc = { .registrar = reg, .timer_c_ms = c->proxy_timer_c_ms,
						   .decline_wait_ms = c->proxy_decline_wait_ms,
						   .dialog = proxy_dialog_event, .dialog_arg = &s->env };
		struct sip_proxy_svc *px;
		struct sip_service psv;
		err = sip_proxy_svc_alloc(&px, &s->env, &pc);
		if (err)
			return err;
		sip_proxy_svc_service(px, &psv);
		add_service(s, &psv);
	}
	describe(s);
	err = sip_events_svc_restore(events);
	if (err) {
		sip_log_error("server", "cannot restore the subscriptions from %s: %s", c->db, sip_strerror(err));
		return err;
	}
	err = sip_registrar_restore(reg);
	if (err) {
		sip_log_error("server", "cannot restore the bindings from %s: %s", c->db, sip_strerror(err));
		return err;
	}
	err = uv_poll_init(&s->loop, &s->store_poll, sip_store_fd(s->env.store));
	if (err)
		return err;
	s->store_poll.data = s;
	s->store_polling = true;
	uv_poll_start(&s->store_poll, UV_READABLE, store_ready);
	for (size_t i = 0; i < c->nlisten; i++) {
		struct sip_listen_spec spec;
		if (sip_listen_spec_parse(&spec, c->listen[i]) != 0) {
			sip_log_error("server", "bad listen address '%s': %s", c->listen[i],
				      sip_listen_spec_check(c->listen[i]));
			return -EINVAL;
		}
		err = sip_net_listen(s->env.net, &spec, NULL);
		if (err) {
			sip_log_error("server", "cannot listen on %s: %s", c->listen[i], sip_strerror(err));
			return err;
		}
	}
	uv_signal_init(&s->loop, &s->sig_term);
	uv_signal_init(&s->loop, &s->sig_int);
	s->sig_term.data = s->sig_int.data = s;
	uv_signal_start(&s->sig_term, on_signal, SIGTERM);
	uv_signal_start(&s->sig_int, on_signal, SIGINT);
	s->signals_up = true;
	sip_log_info("server", "serving domain %s (auth %s, store %s); Allow: %s", c->domain,
		     c->auth ? "on" : "off", c->db, s->allow);
	if (c->request_rate)
		sip_log_info("server", "limits: %u-byte messages, %u connections, %u subscriptions per user, "
			     "%u requests/s per source (burst %u)", c->max_message_size, c->max_connections,
			     c->subs_per_user, c->request_rate, c->request_burst ? c->request_burst : 2 * c->request_rate);
	else
		sip_log_info("server", "limits: %u-byte messages, %u connections, %u subscriptions per user, "
			     "no request rate limit", c->max_message_size, c->max_connections, c->subs_per_user);
	return 0;
}

static void walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int sip_server_run(const struct sip_server_config *c)
{
	struct server *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return -ENOMEM;
	sip_log_set_level(c->log_level);
	/* A peer closing a TCP connection mid-write must not kill the server. */
	signal(SIGPIPE, SIG_IGN);
	err = uv_loop_init(&s->loop);
	if (err) {
		free(s);
		return err;
	}
	err = start(s, c);
	if (err) {
		sip_log_error("server", "cannot start: %s", sip_strerror(err));
		stop(s, "start failed");
	} else {
		uv_run(&s->loop, UV_RUN_DEFAULT);
	}
	/* Every handle is closed by now, or closed here after a failed start. */
	uv_walk(&s->loop, walk_close, NULL);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	for (size_t i = 0; i < s->nsvc; i++)
		if (s->svc[i].free)
			s->svc[i].free(s->svc[i].ctx);
	if (s->registrar)
		sip_registrar_free(s->registrar);
	sip_nonce_state_free(s->env.nonces);
	sip_store_close(s->env.store);
	sip_buf_free(&s->env.out);
	server_rl_free(s->rl);
	uv_loop_close(&s->loop);
	if (!err)
		sip_log_info("server", "stopped");
	free(s);
	return err;
}

/* siphon services: REGISTER processing (RFC 3261 10.3) and digest authentication of
 * REGISTER (RFC 3261 22, RFC 7616, RFC 8760). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/auth.h"
#include "siphon/err.h"
#include "siphon/log.h"
#include "siphon/store.h"

#include "registrar_int.h"
#include "siphon/svc_auth.h"

#define MAX_CONTACTS 32

static int64_t wall_now(void)
{
	return (int64_t)time(NULL);
}

bool reg_accepts(void *ctx, struct sip_req *r)
{
	struct sip_registrar *reg = ctx;
	const struct sip_uri *ruri;

	/* 10.3 step 1: only REGISTERs for our domain; others are for a proxy (or the
	 * core's 404 when there is none). */
	if (sip_msg_ruri(r->msg, &ruri) != 0)
		return false;
	return sip_svc_is_our_domain(reg->env, ruri);
}

int reg_params_strip(struct sip_buf *out, struct sip_str params)
{
	struct sip_str rest = params;

	while (rest.len) {
		long semi = sip_str_chr(rest, ';');
		struct sip_str p = { rest.p, semi < 0 ? rest.len : (size_t)semi };
		struct sip_str name = p;
		long eq = sip_str_chr(p, '=');

		rest.p += p.len + (semi < 0 ? 0 : 1);
		rest.len -= p.len + (semi < 0 ? 0 : 1);
		if (eq >= 0)
			name.len = (size_t)eq;
		name = sip_str_trim(name);
		p = sip_str_trim(p);
		if (!p.len || sip_str_caseeq_cstr(name, "expires") || sip_str_caseeq_cstr(name, "q"))
			continue;
		if ((out->len && sip_buf_append(out, ";", 1) != 0) || sip_buf_append_str(out, p) != 0)
			return -ENOMEM;
	}
	return 0;
}

static void log_req(struct sip_req *r, const char *what, struct sip_str aor)
{
	char peer[SIP_REQ_PEERSTR];

	sip_log_debug("registrar", "%s %.*s from %s call-id %.*s", what, SIP_STR_ARG(aor),
		      sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)));
}

static void reply_err(struct sip_req *r, int code, const char *reason)
{
	char peer[SIP_REQ_PEERSTR];

	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug("registrar", "REGISTER from %s call-id %.*s: %d %s", sip_req_peer(r, peer),
			      SIP_STR_ARG(sip_req_call_id(r)), code, reason ? reason : "");
	(void)sip_req_reply(r, code, reason);
}

/* RFC 3261 10.3 step 8: the 200 lists every current binding with its expires,
 * counted from now, the time the request was processed: the durable 200 may go
 * out a group commit later, across a second boundary, and must still say the
 * interval that was granted (90, not 89). */
static void reply_ok(struct sip_registrar *reg, struct reg_aor *a, struct sip_req *r, int64_t now)
{
	struct sip_out *o;
	int err = sip_req_response(&o, r, 200, NULL);

	if (err) {
		(void)sip_req_reply(r, 500, NULL);
		return;
	}
	for (struct reg_binding *b = a->bindings; b && !err; b = b->next) {
		int64_t left = b->expires_at - now;
		struct sip_str params = reg_b_field(b, RB_PARAMS);
		char num[48];
		int n;

		if (left <= 0)
			continue;
		sip_buf_reset(&reg->tmp);
		if (b->q != 1000) {
			n = snprintf(num, sizeof(num), ";q=%u.%03u", b->q / 1000, b->q % 1000);
			while (num[n - 1] == '0')
				n--;
			if (num[n - 1] == '.')
				n--;
		} else {
			n = 0;
		}
		if (sip_buf_append(&reg->tmp, "<", 1) || sip_buf_append_str(&reg->tmp, reg_b_contact(b)) ||
		    sip_buf_append(&reg->tmp, ">;expires=", 10) ||
		    sip_buf_append_u64(&reg->tmp, (unsigned long long)left) ||
		    sip_buf_append(&reg->tmp, num, (size_t)n) ||
		    (params.len && (sip_buf_append(&reg->tmp, ";", 1) || sip_buf_append_str(&reg->tmp, params))))
			err = -ENOMEM;
		else
			err = sip_out_add(o, SIP_HDR_CONTACT, sip_buf_str(&reg->tmp));
	}
	/* 10.3 step 8: "The response SHOULD include a Date header field" (a UA without
	 * a clock sets it from there). Formatted once per second. */
	if (!err) {
		if (reg->date_sec != now) {
			struct tm tm;
			time_t t = (time_t)now;
			gmtime_r(&t, &tm);
			strftime(reg->date, sizeof(reg->date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
			reg->date_sec = now;
		}
		err = sip_out_add_name(o, SIP_STR("Date"), sip_str_from_cstr(reg->date));
	}
	/* RFC 3327 5.3: the Path the binding was stored with goes back to a UA that
	 * supports it. */
	if (!err && sip_msg_has(r->msg, SIP_HDR_PATH) &&
	    sip_msg_has_token(r->msg, SIP_HDR_SUPPORTED, SIP_STR("path"))) {
		for (const struct sip_hdr *h = sip_msg_hdr(r->msg, SIP_HDR_PATH); h && !err;
		     h = sip_msg_hdr_next(r->msg, h))
			err = sip_out_add(o, SIP_HDR_PATH, h->value);
	}
	if (err) {
		sip_out_free(o);
		(void)sip_req_reply(r, 500, NULL);
		return;
	}
	(void)sip_req_send(r, o);
}

/* ------------------------------------------------------------------ authentication */

/* RFC 3261 10.3 steps 3 and 4: authenticate (401, WWW-Authenticate), then check
 * that the user owns aor (the digest code shared with the proxy: svc_auth.c).
 * true: go on; false: answered. */
static bool authenticate(struct sip_registrar *reg, struct sip_req *r, struct sip_str aor)
{
	return sip_svc_auth_check(&reg->auth, r, aor, "registrar");
}

/* ------------------------------------------------------------------ processing */

static void op_free(struct reg_op *op)
{
	for (unsigned i = 0; i < op->nadd; i++)
		free(op->add[i]);
	free(op);
}

static void process(struct sip_registrar *reg, struct reg_aor *a, struct sip_req *r);

static void drain(struct sip_registrar *reg, struct reg_aor *a)
{
	while (!a->pending && a->wait_head) {
		struct reg_wait *w = a->wait_head;
		a->wait_head = w->next;
		if (!a->wait_head)
			a->wait_tail = NULL;
		a->nwait--;
		process(reg, a, &w->req);
		sip_req_done(&w->req);
		free(w);
	}
	reg_aor_release(reg, a);
}

static void op_done(int err, void *arg)
{
	struct reg_op *op = arg;
	struct sip_registrar *reg = op->reg;
	struct reg_aor *a = op->aor;
	char peer[SIP_REQ_PEERSTR];

	a->pending = NULL;
	if (err) {
		sip_log_warn("registrar", "REGISTER %.*s from %s call-id %.*s: store failed: %s",
			     (int)a->aor_len, a->aor, sip_req_peer(&op->req, peer),
			     SIP_STR_ARG(sip_req_call_id(&op->req)), sip_strerror(err));
		(void)sip_req_reply(&op->req, 500, "Server Internal Error (storage failed)");
	} else {
		reg_apply(reg, op, wall_now());
		if (sip_log_enabled(SIP_LOG_DEBUG))
			log_req(&op->req, "registered", (struct sip_str){ a->aor, a->aor_len });
		reply_ok(reg, a, &op->req, op->now);
	}
	sip_req_done(&op->req);
	op_free(op);
	drain(reg, a);
}

static bool binding_matches(const struct reg_binding *b, const struct sip_addr *c)
{
	struct sip_str bc = reg_b_contact(b);
	struct sip_uri u;

	/* RFC 5626 6: a device (instance) re-registering the same flow (reg-id)
	 * replaces its binding whatever its Contact URI is now. */
	if (c->instance.len && b->len[RB_INSTANCE] &&
	    sip_str_eq(c->instance, reg_b_field(b, RB_INSTANCE)) &&
	    (c->has_reg_id ? c->reg_id : 0) == b->reg_id)
		return true;
	/* RFC 3261 10.3 step 7: Contact URIs compare by 19.1.4. The same URI is always
	 * the same binding (it is the store's key with the AOR), so two flows of one
	 * instance need distinct Contact URIs to be kept apart. */
	if (sip_str_eq(bc, c->uri_str))
		return true;
	return sip_uri_parse(&u, bc) == 0 && sip_uri_eq(&u, &c->uri);
}

static bool in_list(struct reg_binding *const *v, unsigned n, const struct reg_binding *b)
{
	for (unsigned i = 0; i < n; i++)
		if (v[i] == b)
			return true;
	return false;
}

/* Path values of the request, comma-joined (RFC 3327 5.3: stored with the binding). */
static int path_join(struct sip_buf *out, struct sip_msg *m)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_PATH); h; h = sip_msg_hdr_next(m, h)) {
		if ((out->len && sip_buf_append(out, ", ", 2)) || sip_buf_append_str(out, h->value))
			return -ENOMEM;
	}
	return 0;
}

static int batch_put(struct sip_store_batch *batch, struct reg_aor *a, struct reg_binding *b,
		     struct sip_req *r, const struct sip_cseq *cseq)
{
	char recv[SIP_NET_ADDRSTR], local[SIP_NET_ADDRSTR];
	static const char *const tpn[] = { "", "udp", "tcp", "tls", "ws", "wss" };
	struct sip_str ua = SIP_STR_NULL;
	const struct sip_hdr *h = sip_msg_hdr(r->msg, SIP_HDR_USER_AGENT);
	struct sip_store_binding sb;

	if (h)
		ua = h->value;
	sip_net_addr_format(recv, &r->src.remote);
	sip_net_addr_format(local, &r->src.local);
	sb = (struct sip_store_binding){
		.aor = { a->aor, a->aor_len },
		.contact = reg_b_contact(b),
		.params = reg_b_field(b, RB_PARAMS),
		.expires_at = b->expires_at,
		.q = b->q,
		.call_id = reg_b_field(b, RB_CALL_ID),
		.cseq = cseq->seq,
		.path = reg_b_field(b, RB_PATH),
		.instance = reg_b_field(b, RB_INSTANCE),
		.reg_id = b->reg_id,
		.transport = sip_str_from_cstr(r->src.tp < SIP_TP__COUNT ? tpn[r->src.tp] : ""),
		.received = sip_str_from_cstr(recv),
		.local = sip_str_from_cstr(local),
		.flow_id = b->flow_id,
		.user_agent = ua,
	};
	return sip_store_batch_binding_put(batch, &sb);
}

/* One REGISTER for AOR a, no write pending on a. Answers at once, or starts a
 * store write (r is then moved into the op: r->msg becomes NULL). */
static void process(struct sip_registrar *reg, struct reg_aor *a, struct sip_req *r)
{
	struct sip_msg *m = r->msg;
	const struct sip_addr *c[MAX_CONTACTS];
	const struct sip_cseq *cseq;
	struct sip_str call_id;
	struct reg_binding *add[MAX_CONTACTS], *del[MAX_CONTACTS + 64];
	unsigned nadd = 0, ndel = 0, nbind = 0;
	uint32_t hdr_exp = 0;
	bool has_hdr_exp, retrans = false, disorder = false;
	struct sip_store_batch *batch = NULL;
	struct reg_op *op;
	int64_t now = wall_now();
	int n, rc;

	if (sip_msg_cseq(m, &cseq) != 0 || sip_msg_call_id(m, &call_id) != 0) {
		reply_err(r, 400, "Bad Request (malformed CSeq or Call-ID)");
		return;
	}
	rc = sip_msg_expires(m, &hdr_exp);
	if (rc != 0 && rc != SIP_ENOTFOUND) {
		reply_err(r, 400, "Bad Request (malformed Expires)");
		return;
	}
	has_hdr_exp = rc == 0;
	n = sip_msg_contact_count(m);
	if (n < 0) {
		reply_err(r, 400, "Bad Request (malformed Contact)");
		return;
	}
	if (n == 0) {
		/* 10.3 step 6 (no Contact): a query; the 200 lists the bindings. */
		if (sip_log_enabled(SIP_LOG_DEBUG))
			log_req(r, "query", (struct sip_str){ a->aor, a->aor_len });
		reply_ok(reg, a, r, now);
		return;
	}
	if (n > MAX_CONTACTS) {
		reply_err(r, 403, "Forbidden (too many Contacts)");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (sip_msg_contact(m, (unsigned)i, &c[i]) != 0) {
			reply_err(r, 400, "Bad Request (malformed Contact)");
			return;
		}
	}
	for (struct reg_binding *b = a->bindings; b; b = b->next)
		nbind++;

	if (c[0]->star || n > 1) {
		for (int i = 0; i < n; i++) {
			/* 10.3 step 6: "*" only alone and with Expires: 0. */
			if (c[i]->star && (n > 1 || !has_hdr_exp || hdr_exp != 0 || c[i]->has_expires)) {
				reply_err(r, 400, "Bad Request (Contact: * needs Expires: 0 and no other Contact)");
				return;
			}
		}
	}
	if (c[0]->star) {
		/* Remove every binding, unless one is newer than this request (step 7). */
		for (struct reg_binding *b = a->bindings; b; b = b->next) {
			if (sip_str_eq(reg_b_field(b, RB_CALL_ID), call_id)) {
				if (cseq->seq == b->cseq)
					retrans = true;
				else if (cseq->seq < b->cseq)
					disorder = true;
			}
			if (ndel < sizeof(del) / sizeof(del[0]))
				del[ndel++] = b;
		}
	} else {
		/* Step 7 checks every Contact before anything changes: the request applies
		 * as a whole or not at all. */
		for (int i = 0; i < n; i++) {
			uint32_t e = c[i]->has_expires ? c[i]->expires
				   : has_hdr_exp       ? hdr_exp
						       : reg->cfg.default_expires;
			if (e != 0 && e < reg->cfg.min_expires) {
				struct sip_out *o;
				if (sip_req_response(&o, r, 423, NULL) == 0 &&
				    sip_out_addf(o, SIP_HDR_MIN_EXPIRES, "%u", reg->cfg.min_expires) == 0)
					(void)sip_req_send(r, o);
				else
					reply_err(r, 500, NULL);
				goto undo;
			}
		}
		for (int i = 0; i < n; i++) {
			uint32_t e = c[i]->has_expires ? c[i]->expires
				   : has_hdr_exp       ? hdr_exp
						       : reg->cfg.default_expires;
			struct reg_binding *old = NULL;

			if (e > reg->cfg.max_expires)
				e = reg->cfg.max_expires;
			for (struct reg_binding *b = a->bindings; b; b = b->next) {
				if (binding_matches(b, c[i])) {
					old = b;
					break;
				}
			}
			if (old && sip_str_eq(reg_b_field(old, RB_CALL_ID), call_id)) {
				if (cseq->seq == old->cseq)
					retrans = true;
				else if (cseq->seq < old->cseq)
					disorder = true;
			}
			if (old && !in_list(del, ndel, old))
				del[ndel++] = old;
			if (e > 0) {
				struct sip_str f[RB__COUNT] = { 0 };
				struct reg_binding *nb;

				sip_buf_reset(&reg->tmp);
				if (reg_params_strip(&reg->tmp, c[i]->params) != 0)
					goto oom;
				f[RB_CONTACT] = c[i]->uri_str;
				f[RB_CALL_ID] = call_id;
				f[RB_INSTANCE] = c[i]->instance;
				f[RB_PARAMS] = sip_buf_str(&reg->tmp);
				{
					struct sip_buf pb = SIP_BUF_INIT;
					char recv[SIP_NET_ADDRSTR];
					if (path_join(&pb, m) != 0) {
						sip_buf_free(&pb);
						goto oom;
					}
					f[RB_PATH] = sip_buf_str(&pb);
					sip_net_addr_format(recv, &r->src.remote);
					f[RB_RECEIVED] = sip_str_from_cstr(recv);
					nb = reg_binding_new(f);
					sip_buf_free(&pb);
				}
				if (!nb)
					goto oom;
				nb->expires_at = now + e;
				nb->cseq = cseq->seq;
				nb->q = c[i]->q < 0 ? 1000 : (uint16_t)c[i]->q;
				nb->reg_id = c[i]->has_reg_id ? c[i]->reg_id : 0;
				nb->flow_id = r->src.conn_id;
				/* A later Contact for the same binding in this request wins. */
				for (unsigned k = 0; k < nadd; k++) {
					if (sip_str_eq(reg_b_contact(add[k]), reg_b_contact(nb))) {
						free(add[k]);
						add[k] = add[--nadd];
						break;
					}
				}
				add[nadd++] = nb;
			}
		}
	}
	if (retrans) {
		/* The same Call-ID and CSeq: a retransmission of a REGISTER already
		 * applied (this registrar is stateless, 8.2.7): the same answer again. */
		for (unsigned k = 0; k < nadd; k++)
			free(add[k]);
		reply_ok(reg, a, r, now);
		return;
	}
	if (disorder) {
		/* 10.3 step 7: an older CSeq of the same Call-ID: "the request fails". */
		reply_err(r, 500, "Server Internal Error (CSeq out of order for this Call-ID)");
		goto undo;
	}
	if (nbind - ndel + nadd > reg->cfg.max_bindings) {
		reply_err(r, 403, "Forbidden (too many bindings for this address of record)");
		goto undo;
	}
	if (nadd == 0 && ndel == 0) {
		reply_ok(reg, a, r, now);
		return;
	}
	/* The store first; memory and the 200 when it is durable. */
	if (sip_store_batch_new(&batch) != 0)
		goto oom;
	for (unsigned k = 0; k < ndel; k++) {
		bool reput = false;
		for (unsigned j = 0; j < nadd && !reput; j++)
			reput = sip_str_eq(reg_b_contact(add[j]), reg_b_contact(del[k]));
		if (!reput && sip_store_batch_binding_del(batch, (struct sip_str){ a->aor, a->aor_len },
							  reg_b_contact(del[k])) != 0)
			goto oom;
	}
	for (unsigned k = 0; k < nadd; k++)
		if (batch_put(batch, a, add[k], r, cseq) != 0)
			goto oom;
	op = malloc(sizeof(*op) + (nadd + ndel) * sizeof(struct reg_binding *));
	if (!op)
		goto oom;
	*op = (struct reg_op){ .reg = reg, .aor = a, .req = *r, .nadd = nadd, .ndel = ndel, .now = now };
	op->add = (struct reg_binding **)(op + 1);
	op->del = op->add + nadd;
	memcpy(op->add, add, nadd * sizeof(*add));
	memcpy(op->del, del, ndel * sizeof(*del));
	rc = sip_store_submit(reg->env->store, batch, op_done, op);
	batch = NULL;
	if (rc != 0) {
		op->nadd = 0;
		free(op);
		reply_err(r, 500, "Server Internal Error (storage unavailable)");
		goto undo;
	}
	a->pending = op;
	r->msg = NULL; /* the op owns the request now */
	return;

oom:
	reply_err(r, 500, NULL);
undo:
	sip_store_batch_free(batch);
	for (unsigned k = 0; k < nadd; k++)
		free(add[k]);
}

void reg_handle(void *ctx, struct sip_req *r)
{
	struct sip_registrar *reg = ctx;
	const struct sip_addr *to;
	struct sip_str aor;
	struct reg_aor *a;

	if (reg->stopping) {
		reply_err(r, 503, NULL);
		return;
	}
	if (sip_msg_to(r->msg, &to) != 0) {
		reply_err(r, 400, "Bad Request (malformed To)");
		return;
	}
	/* 10.3 step 5: the To URI is the AOR, and it must be one of our domain's. */
	sip_buf_reset(&reg->canon);
	if (!sip_svc_is_our_domain(reg->env, &to->uri) ||
	    sip_store_aor_canon(&reg->canon, NULL, NULL, to->uri_str) != 0) {
		reply_err(r, 404, "Not Found (address of record not in this domain)");
		return;
	}
	aor = sip_buf_str(&reg->canon);
	if (reg->env->auth && !authenticate(reg, r, aor))
		return;
	a = reg_aor_get(reg, aor);
	if (!a) {
		reply_err(r, 500, NULL);
		return;
	}
	a->reg = reg;
	if (a->pending) {
		/* Wait behind the write in flight (see registrar.h), a few at most: a
		 * flood on one AOR must not grow memory while the disk is slow. */
		struct reg_wait *w = a->nwait < 32 ? malloc(sizeof(*w)) : NULL;
		if (!w && a->nwait >= 32) {
			struct sip_out *o;
			if (sip_req_response(&o, r, 503, NULL) != 0)
				return;
			if (sip_out_add(o, SIP_HDR_RETRY_AFTER, SIP_STR("1")) == 0)
				(void)sip_req_send(r, o);
			else
				sip_out_free(o);
			return;
		}
		if (!w) {
			reply_err(r, 500, NULL);
			return;
		}
		w->next = NULL;
		w->req = *r;
		a->nwait++;
		r->msg = NULL;
		if (a->wait_tail)
			a->wait_tail->next = w;
		else
			a->wait_head = w;
		a->wait_tail = w;
		return;
	}
	process(reg, a, r);
	reg_aor_release(reg, a);
}

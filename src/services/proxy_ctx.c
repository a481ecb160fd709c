/* The proxy's response context (RFC 3261 16.6, 16.7, 16.8, 16.10): the branches of
 * one proxied request, what each has answered, and the choice of what goes
 * upstream.
 *
 * A branch is IDLE until its q group starts, CALLING once its request is sent,
 * PROCEEDING after a provisional response (any, 100 included: 9.1 allows a CANCEL
 * only then), DONE once it has a final status: a response, or 408 (timeout, timer
 * C) or 503 (transport error) made up for it. While other branches run, a final
 * response is kept (a compact parsed copy) only if 16.7 can still use it: as the
 * best response so far (step 6) or as a 401/407 whose challenges are aggregated
 * (step 7); the response that completes the context is used in place, so a
 * request with one branch (the common case) never copies its response. The copy
 * of the request sent on a branch, kept for its CANCEL (9.1), goes when the
 * branch ends (unless a CANCEL is still owed to it), and the kept responses go
 * once a final response has been sent: afterwards only 2xx are relayed, as they
 * come.
 *
 * settle() is the one place that moves the context forward once branches end:
 * start the next q group, or send the best final response (16.7 step 6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_int.h"
#include "siphon/err.h"
#include "siphon/status.h"

enum br_state { BR_IDLE = 0, BR_CALLING, BR_PROCEEDING, BR_DONE };

struct branch {
	struct sip_proxy_target t; /* slices into ctx->strs */
	int q;
	uint8_t state;             /* enum br_state */
	bool got_prov;             /* a provisional response arrived (9.1) */
	bool cancel_wanted;        /* owed a CANCEL once a provisional arrives */
	bool cancel_reason;        /* that CANCEL carries ctx->reason */
	bool cancel_sent;
	bool timer_c;
	int status;                /* final status, 0 while pending */
	uint32_t order;            /* arrival order of the final status */
	struct sip_msg *resp;      /* kept final response (owned), or NULL */
	struct sip_buf req;        /* the request sent on this branch */
};

struct sip_proxy_ctx {
	struct sip_proxy_config cfg;
	struct sip_proxy_ops ops;
	struct sip_proxy_req req;
	struct sip_proxy_fwd def;
	struct branch *br;
	unsigned n;
	unsigned group_end;        /* branches [0, group_end) have been started */
	bool invite;
	int final_status;          /* first final response sent upstream */
	int declined;              /* the 6xx held (16.7 step 5), 0 if none */
	bool cancelled;            /* the caller cancelled (16.10) */
	bool decline_timer;
	uint32_t order;
	struct sip_buf reason;     /* Reason of the CANCELs this context sends */
	char *strs;
	char to_tag[SIP_TAG_SIZE];
};

/* ---- Allocation ---- */

static size_t target_len(const struct sip_proxy_target *t)
{
	return t->uri.len + t->via.len + t->rr.len + t->rr_in.len;
}

static char *copy_str(char *p, struct sip_str *s)
{
	if (s->len)
		memcpy(p, s->p, s->len);
	s->p = p;
	return p + s->len;
}

static bool same_target(const struct sip_proxy_target *a, const struct sip_proxy_target *b)
{
	struct sip_uri ua, ub;

	if (sip_uri_parse(&ua, a->uri) || sip_uri_parse(&ub, b->uri) ||
	    ua.scheme == SIP_URI_OTHER || ub.scheme == SIP_URI_OTHER)
		return sip_str_eq(a->uri, b->uri);
	return sip_uri_eq(&ua, &ub);
}

int sip_proxy_ctx_alloc(struct sip_proxy_ctx **cp, const struct sip_proxy_config *cfg,
			const struct sip_proxy_ops *ops, const struct sip_proxy_req *r,
			const struct sip_proxy_fwd *defaults, const struct sip_proxy_target *targets,
			size_t ntargets)
{
	struct sip_proxy_ctx *c;
	size_t total = 0;
	char *p;

	if (!cp || !cfg || !ops || !r || !r->msg || !defaults || !targets || ntargets == 0 ||
	    ntargets > 1024 || !ops->send_request || !ops->send_cancel || !ops->send_response ||
	    !ops->timer_start || !ops->timer_stop)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->br = calloc(ntargets, sizeof(*c->br));
	for (size_t i = 0; i < ntargets; i++)
		total += target_len(&targets[i]);
	c->strs = malloc(total + 1);
	if (!c->br || !c->strs) {
		free(c->br);
		free(c->strs);
		free(c);
		return -ENOMEM;
	}
	c->cfg = *cfg;
	if (!c->cfg.timer_c_ms)
		c->cfg.timer_c_ms = PROXY_TIMER_C_DEFAULT_MS;
	if (!c->cfg.decline_wait_ms)
		c->cfg.decline_wait_ms = PROXY_DECLINE_WAIT_DEFAULT_MS;
	c->ops = *ops;
	c->req = *r;
	c->def = *defaults;
	c->invite = r->msg->method == SIP_METHOD_INVITE;
	/* 16.6: highest q first; equal q keep their order (a stable insertion);
	 * 16.5: a target already in the set is not added again. */
	p = c->strs;
	for (size_t i = 0; i < ntargets; i++) {
		struct sip_proxy_target t = targets[i];
		int q = t.q < 0 ? 1000 : t.q;
		unsigned k;
		bool dup = false;
		if (t.uri.len == 0)
			continue;
		for (k = 0; k < c->n && !dup; k++)
			dup = same_target(&c->br[k].t, &t);
		if (dup)
			continue;
		p = copy_str(p, &t.uri);
		p = copy_str(p, &t.via);
		p = copy_str(p, &t.rr);
		p = copy_str(p, &t.rr_in);
		for (k = c->n; k > 0 && c->br[k - 1].q < q; k--)
			c->br[k] = c->br[k - 1];
		memset(&c->br[k], 0, sizeof(c->br[k]));
		c->br[k].t = t;
		c->br[k].q = q;
		c->n++;
	}
	if (c->n == 0) {
		sip_proxy_ctx_free(c);
		return -EINVAL;
	}
	*cp = c;
	return 0;
}

void sip_proxy_ctx_free(struct sip_proxy_ctx *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		sip_msg_free(c->br[i].resp);
		sip_buf_free(&c->br[i].req);
	}
	sip_buf_free(&c->reason);
	free(c->br);
	free(c->strs);
	free(c);
}

/* ---- Sending ---- */

static int send_out(struct sip_proxy_ctx *c, struct sip_out *o, int status)
{
	struct sip_buf b = SIP_BUF_INIT;
	int err = sip_out_serialize(o, &b);

	sip_out_free(o);
	if (!err)
		err = c->ops.send_response(c->ops.arg, status, sip_buf_str(&b));
	sip_buf_free(&b);
	return err;
}

/* The To tag of our own responses, made on first use: most contexts relay a
 * callee's response and never need one (and getrandom is a system call). */
static int own_tag(struct sip_proxy_ctx *c)
{
	if (c->to_tag[0])
		return 0;
	return sip_tag_new(c->to_tag, sizeof(c->to_tag));
}

/* A response made here (408, 487, 500) for the received request. */
static int send_own(struct sip_proxy_ctx *c, int status)
{
	struct sip_out *o;
	int err = own_tag(c);

	if (!err)
		err = sip_out_response_to(&o, c->req.msg, status, NULL, sip_str_from_cstr(c->to_tag));
	if (err)
		return err;
	return send_out(c, o, status);
}

/* Header values are written on one line: folding becomes spaces. */
static int add_clean(struct sip_out *o, enum sip_hdr_id id, struct sip_str v)
{
	struct sip_buf b = SIP_BUF_INIT;
	int err = sip_buf_append_str(&b, v);

	for (size_t i = 0; !err && i < b.len; i++)
		if (b.p[i] == '\r' || b.p[i] == '\n' || b.p[i] == '\t')
			b.p[i] = ' ';
	if (!err)
		err = sip_out_add(o, id, sip_buf_str(&b));
	sip_buf_free(&b);
	return err;
}

static int add_challenges(struct sip_out *o, struct sip_msg *m)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE };
	int err = 0;

	for (size_t k = 0; k < 2 && !err; k++)
		for (const struct sip_hdr *h = sip_msg_hdr(m, ids[k]); h && !err; h = sip_msg_hdr_next(m, h))
			err = add_clean(o, ids[k], h->value);
	return err;
}

/* The response of branch i: the kept copy, or cur while it is being processed. */
static struct sip_msg *resp_of(struct sip_proxy_ctx *c, unsigned i, int cur_i, struct sip_msg *cur)
{
	if (c->br[i].resp)
		return c->br[i].resp;
	return (int)i == cur_i ? cur : NULL;
}

/* Relay a received response upstream (16.7 steps 3, 7, 9). For a 401/407, the
 * challenges of every other 401/407 of the context are added (step 7). */
static int relay(struct sip_proxy_ctx *c, struct sip_msg *resp, int self_i, int cur_i,
		 struct sip_msg *cur)
{
	struct sip_out *o;
	int err;

	/* 16.7 item 3: with our Via gone nothing would be left: the response was not
	 * for the caller (a broken downstream element). A 1xx or 2xx cannot be made
	 * up here (its To tag makes dialogs): dropped; a failure is answered with
	 * the same code made here. */
	if (sip_msg_via_count(resp) < 2)
		return resp->status >= 300 ? send_own(c, resp->status) : 0;
	if ((err = sip_out_from_msg(&o, resp)))
		return err;
	err = sip_out_via_pop(o);
	if (!err && (resp->status == 401 || resp->status == 407))
		for (unsigned i = 0; i < c->n && !err; i++) {
			struct sip_msg *m;
			if ((int)i == self_i || (c->br[i].status != 401 && c->br[i].status != 407))
				continue;
			if ((m = resp_of(c, i, cur_i, cur)))
				err = add_challenges(o, m);
		}
	if (err) {
		sip_out_free(o);
		return err;
	}
	return send_out(c, o, resp->status);
}

static void set_reason(struct sip_proxy_ctx *c, const char *fmt_reason)
{
	/* The first reason stays: a branch is cancelled for the first cause. */
	if (c->reason.len == 0 && fmt_reason)
		sip_buf_append_cstr(&c->reason, fmt_reason);
}

/* CANCEL for branch i (9.1), with the context's Reason when asked (RFC 3326). */
static int send_cancel(struct sip_proxy_ctx *c, unsigned i)
{
	struct branch *b = &c->br[i];
	struct sip_buf out = SIP_BUF_INIT;
	struct sip_msg *sent;
	struct sip_out *o;
	int err;

	b->cancel_sent = true;
	if ((err = sip_msg_parse(&sent, b->req.p, b->req.len, NULL, NULL)))
		return err;
	err = sip_out_cancel(&o, sent);
	if (!err) {
		if (b->cancel_reason && c->reason.len)
			err = sip_out_add(o, SIP_HDR_REASON, sip_buf_str(&c->reason));
		if (!err)
			err = sip_out_serialize(o, &out);
		sip_out_free(o);
	}
	sip_msg_free(sent);
	if (!err)
		err = c->ops.send_cancel(c->ops.arg, i, sip_buf_str(&out));
	sip_buf_free(&out);
	if (b->state == BR_DONE)
		sip_buf_free(&b->req); /* the CANCEL a late provisional was owed */
	return err;
}

/* 16.7 step 10, 16.10: every pending branch is cancelled, now if it has had a
 * provisional response, else as soon as it has one (9.1). Only INVITE (9.1). */
static void cancel_pending(struct sip_proxy_ctx *c, const char *reason)
{
	if (!c->invite)
		return;
	set_reason(c, reason);
	for (unsigned i = 0; i < c->group_end; i++) {
		struct branch *b = &c->br[i];
		if (b->state == BR_IDLE || b->state == BR_DONE || b->cancel_sent || b->cancel_wanted)
			continue;
		b->cancel_wanted = true;
		b->cancel_reason = true;
		if (b->got_prov)
			send_cancel(c, i);
	}
}

static void stop_timer_c(struct sip_proxy_ctx *c, unsigned i)
{
	if (c->br[i].timer_c) {
		c->br[i].timer_c = false;
		c->ops.timer_stop(c->ops.arg, SIP_PROXY_TIMER_C, i);
	}
}

static void stop_decline_timer(struct sip_proxy_ctx *c)
{
	if (c->decline_timer) {
		c->decline_timer = false;
		c->ops.timer_stop(c->ops.arg, SIP_PROXY_TIMER_DECLINE, 0);
	}
}

static void branch_end(struct sip_proxy_ctx *c, unsigned i, int status)
{
	struct branch *b = &c->br[i];

	stop_timer_c(c, i);
	b->state = BR_DONE;
	b->status = status;
	b->order = ++c->order;
	/* The copy sent is only needed for a CANCEL (9.1): one is still owed when
	 * timer C gave up on a branch that has had no provisional response yet. */
	if (!b->cancel_wanted || b->cancel_sent)
		sip_buf_free(&b->req);
}

/* Once a final response went upstream nothing is relayed but 2xx, which are
 * relayed as they come: the responses kept for 16.7 steps 6 and 7 go. */
static void drop_kept(struct sip_proxy_ctx *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		sip_msg_free(c->br[i].resp);
		c->br[i].resp = NULL;
	}
}

/* ---- Forwarding ---- */

static void forward_branch(struct sip_proxy_ctx *c, unsigned i)
{
	struct branch *b = &c->br[i];
	struct sip_proxy_fwd f = c->def;
	struct sip_buf hop = SIP_BUF_INIT;
	char branch[SIP_PROXY_BRANCH_SIZE];
	struct sip_out *o = NULL;
	int err;

	f.target = b->t.uri;
	if (b->t.via.len)
		f.via = b->t.via;
	if (b->t.rr.len)
		f.rr = b->t.rr;
	if (b->t.rr_in.len)
		f.rr_in = b->t.rr_in;
	b->state = BR_CALLING;
	err = sip_proxy_forward(&o, &hop, branch, &c->req, &f);
	if (!err)
		err = sip_out_serialize(o, &b->req);
	sip_out_free(o);
	if (!err) {
		/* 16.6 item 11 before the send: a synchronous answer may stop it. */
		if (c->invite) {
			b->timer_c = true;
			c->ops.timer_start(c->ops.arg, SIP_PROXY_TIMER_C, i, c->cfg.timer_c_ms);
		}
		err = c->ops.send_request(c->ops.arg, i, sip_buf_str(&b->req), sip_buf_str(&hop));
	}
	sip_buf_free(&hop);
	/* 16.9: a failure to send is a 503 from that branch. */
	if (err && b->state != BR_DONE)
		branch_end(c, i, 503);
}

/* Start the next q group (16.6: groups in sequence, a group in parallel). */
static void start_group(struct sip_proxy_ctx *c)
{
	unsigned first = c->group_end, end = first;

	while (end < c->n && c->br[end].q == c->br[first].q)
		end++;
	c->group_end = end;
	for (unsigned i = first; i < end; i++)
		if (c->br[i].state == BR_IDLE)
			forward_branch(c, i);
}

static bool any_pending(const struct sip_proxy_ctx *c)
{
	for (unsigned i = 0; i < c->group_end; i++)
		if (c->br[i].state == BR_CALLING || c->br[i].state == BR_PROCEEDING)
			return true;
	return false;
}

static int rank(int status);

/* Does branch a's final status beat b's (16.7 step 6; the earlier wins a tie)? */
static bool beats(const struct branch *a, const struct branch *b)
{
	return rank(a->status) < rank(b->status) || (rank(a->status) == rank(b->status) && a->order < b->order);
}

/* Keep a compact copy of branch i's final response while other branches run,
 * but only what 16.7 can still use: the best response so far (step 6) and every
 * 401/407 (their challenges are aggregated, step 7). A response beaten once is
 * beaten for good (ranks do not change), so it is dropped at once. */
static void keep(struct sip_proxy_ctx *c, unsigned i, struct sip_msg *resp)
{
	struct branch *b = &c->br[i];
	bool challenge = b->status == 401 || b->status == 407, best = true;

	if (!resp || b->resp)
		return;
	for (unsigned k = 0; k < c->group_end && best; k++)
		if (k != i && c->br[k].state == BR_DONE && c->br[k].status && beats(&c->br[k], b))
			best = false;
	if (!best && !challenge)
		return;
	if (best)
		for (unsigned k = 0; k < c->group_end; k++) {
			struct branch *o = &c->br[k];
			if (k != i && o->resp && o->status != 401 && o->status != 407) {
				sip_msg_free(o->resp);
				o->resp = NULL;
			}
		}
	if (sip_msg_clone_compact(&b->resp, resp, 512) != 0)
		b->resp = NULL;
}

/* 16.7 step 6: rank of a final status, lower is better. A 6xx first; then the
 * lowest class; inside 4xx the responses that let the caller resubmit (401,
 * 407, 415, 420, 484); inside 5xx anything but 503. */
static int rank(int status)
{
	int cls = status / 100;

	if (cls == 6)
		return 0;
	if (cls == 4)
		return (status == 401 || status == 407 || status == 415 || status == 420 ||
			status == 484) ? 40 : 41;
	if (cls == 5)
		return status == 503 ? 51 : 50;
	return cls * 10;
}

static int send_best(struct sip_proxy_ctx *c, int cur_i, struct sip_msg *cur)
{
	int best = -1, status, err;
	struct sip_msg *m;

	stop_decline_timer(c);
	for (unsigned i = 0; i < c->group_end; i++) {
		const struct branch *b = &c->br[i];
		if (b->state != BR_DONE || !b->status)
			continue;
		if (best < 0 || beats(b, &c->br[best]))
			best = (int)i;
	}
	if (best < 0) {
		/* No final response at all: 408 (16.7 step 6). */
		c->final_status = 408;
		err = send_own(c, 408);
	} else {
		status = c->br[best].status;
		m = resp_of(c, (unsigned)best, cur_i, cur);
		/* A 503 says this proxy cannot serve any request: send 500 instead. */
		if (status == 503 || !m) {
			status = status == 503 ? 500 : status;
			c->final_status = status;
			err = send_own(c, status);
		} else {
			c->final_status = status;
			err = relay(c, m, best, cur_i, cur);
		}
	}
	drop_kept(c);
	/* 16.7 step 10: a final response went upstream; whatever still runs (after
	 * the bound on waiting for a 6xx) is cancelled. */
	cancel_pending(c, NULL);
	return err;
}

/* Move on after a branch ended: the next q group, or the best response. cur is
 * branch cur_i's response when it has not been kept. */
static int settle(struct sip_proxy_ctx *c, int cur_i, struct sip_msg *cur)
{
	for (;;) {
		if (c->final_status || any_pending(c))
			return 0;
		if (c->declined || c->cancelled || c->group_end >= c->n)
			return send_best(c, cur_i, cur);
		if (cur_i >= 0)
			keep(c, (unsigned)cur_i, cur);
		start_group(c);
	}
}

int sip_proxy_ctx_start(struct sip_proxy_ctx *c)
{
	if (!c || c->group_end)
		return -EINVAL;
	start_group(c);
	return settle(c, -1, NULL);
}

/* ---- Events ---- */

int sip_proxy_ctx_response(struct sip_proxy_ctx *c, unsigned i, struct sip_msg *resp)
{
	struct branch *b;
	int code;

	if (!c || !resp || resp->is_request || i >= c->group_end || c->br[i].state == BR_IDLE)
		return -EINVAL;
	b = &c->br[i];
	code = resp->status;
	if (code < 100 || code > 699)
		return -EINVAL;
	if (code < 200) {
		/* A late provisional on a branch given up (timer C): cancel it now. */
		if (b->state != BR_DONE) {
			b->got_prov = true;
			b->state = BR_PROCEEDING;
			/* 16.7 step 2: 101-199 restart timer C. */
			if (c->invite && code > 100) {
				b->timer_c = true;
				c->ops.timer_start(c->ops.arg, SIP_PROXY_TIMER_C, i, c->cfg.timer_c_ms);
			}
		}
		if (c->invite && b->cancel_wanted && !b->cancel_sent)
			send_cancel(c, i);
		/* Step 5: forwarded at once, except 100, until a final was sent. */
		if (code > 100 && !c->final_status && b->state != BR_DONE)
			return relay(c, resp, (int)i, -1, NULL);
		return 0;
	}
	if (code < 300) {
		bool first = !c->final_status;
		if (b->state != BR_DONE)
			branch_end(c, i, code);
		/* Step 5: every 2xx to INVITE goes up, even after a final response (a
		 * 2xx racing a 6xx or a CANCEL); for other methods only the first. */
		if (!c->invite && !first)
			return 0;
		if (first) {
			c->final_status = code;
			stop_decline_timer(c);
		}
		{
			int err = relay(c, resp, (int)i, -1, NULL);
			/* Step 10, RFC 3326 3.1. */
			if (first) {
				drop_kept(c);
				cancel_pending(c, "SIP;cause=200;text=\"Call completed elsewhere\"");
			}
			return err;
		}
	}
	if (b->state == BR_DONE)
		return 0; /* already counted (a 487 after timer C's 408) */
	branch_end(c, i, code);
	if (c->final_status)
		return 0; /* nothing more goes up but 2xx */
	if (code >= 600 && !c->declined) {
		char reason[96];
		/* Step 5: hold the 6xx, cancel everything, start nothing more. */
		c->declined = code;
		snprintf(reason, sizeof(reason), "SIP;cause=%d;text=\"%s\"", code, sip_status_phrase(code));
		cancel_pending(c, reason);
		if (any_pending(c)) {
			c->decline_timer = true;
			c->ops.timer_start(c->ops.arg, SIP_PROXY_TIMER_DECLINE, 0, c->cfg.decline_wait_ms);
		}
	}
	if (any_pending(c))
		keep(c, i, resp);
	return settle(c, (int)i, resp);
}

static int fail_branch(struct sip_proxy_ctx *c, unsigned i, int status)
{
	if (!c || i >= c->group_end || c->br[i].state == BR_IDLE)
		return -EINVAL;
	if (c->br[i].state == BR_DONE)
		return 0;
	branch_end(c, i, status);
	return settle(c, -1, NULL);
}

int sip_proxy_ctx_timeout(struct sip_proxy_ctx *c, unsigned i)
{
	return fail_branch(c, i, 408);
}

int sip_proxy_ctx_transport_error(struct sip_proxy_ctx *c, unsigned i)
{
	return fail_branch(c, i, 503);
}

int sip_proxy_ctx_timer(struct sip_proxy_ctx *c, enum sip_proxy_timer t, unsigned branch)
{
	struct branch *b;

	if (!c)
		return -EINVAL;
	if (t == SIP_PROXY_TIMER_DECLINE) {
		c->decline_timer = false;
		if (c->final_status)
			return 0;
		return send_best(c, -1, NULL);
	}
	if (t != SIP_PROXY_TIMER_C || branch >= c->group_end)
		return -EINVAL;
	b = &c->br[branch];
	b->timer_c = false;
	if (b->state == BR_IDLE || b->state == BR_DONE)
		return 0;
	/* 16.8: cancel a branch that has had a provisional response (one that has not
	 * is cancelled if one arrives later); either way it counts as a 408. */
	if (c->invite && !b->cancel_sent) {
		b->cancel_wanted = true;
		if (b->got_prov)
			send_cancel(c, branch);
	}
	return fail_branch(c, branch, 408);
}

int sip_proxy_ctx_cancel(struct sip_proxy_ctx *c, struct sip_msg *cancel)
{
	struct sip_buf reason = SIP_BUF_INIT;

	if (!c)
		return -EINVAL;
	c->cancelled = true;
	/* RFC 3326 2: a CANCEL caused by a CANCEL carries its Reason on. */
	if (cancel)
		for (const struct sip_hdr *h = sip_msg_hdr(cancel, SIP_HDR_REASON); h;
		     h = sip_msg_hdr_next(cancel, h))
			if (sip_buf_printf(&reason, "%s%.*s", reason.len ? ", " : "", SIP_STR_ARG(h->value)))
				break;
	for (size_t k = 0; k < reason.len; k++)
		if (reason.p[k] == '\r' || reason.p[k] == '\n' || reason.p[k] == '\t')
			reason.p[k] = ' ';
	cancel_pending(c, reason.len ? reason.p : NULL);
	sip_buf_free(&reason);
	if (c->final_status)
		return 0;
	/* 9.2: the INVITE is answered 487 at once. */
	stop_decline_timer(c);
	c->final_status = 487;
	drop_kept(c);
	return send_own(c, 487);
}

/* ---- State ---- */

int sip_proxy_ctx_final_status(const struct sip_proxy_ctx *c)
{
	return c ? c->final_status : 0;
}

bool sip_proxy_ctx_done(const struct sip_proxy_ctx *c)
{
	return c && c->final_status && !any_pending(c);
}

struct sip_str sip_proxy_ctx_to_tag(struct sip_proxy_ctx *c)
{
	if (!c || own_tag(c))
		return SIP_STR_NULL;
	return sip_str_from_cstr(c->to_tag);
}

unsigned sip_proxy_ctx_branch_count(const struct sip_proxy_ctx *c)
{
	return c ? c->n : 0;
}

int sip_proxy_ctx_branch_status(const struct sip_proxy_ctx *c, unsigned i, bool *started)
{
	if (!c || i >= c->n)
		return -EINVAL;
	if (started)
		*started = c->br[i].state != BR_IDLE;
	return c->br[i].status;
}

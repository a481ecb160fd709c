/* siphon txn layer: client transactions (RFC 3261 17.1, RFC 6026 7.2).
 *
 * INVITE (17.1.1): Calling -> Proceeding -> Completed (non-2xx, ACK sent here) or
 * Accepted (2xx, RFC 6026: the TU sends the ACK and gets every 2xx until Timer M).
 * non-INVITE (17.1.2): Trying -> Proceeding -> Completed.
 * t_retx is Timer A or E (unreliable transports only), t_end is B, F, D, K or M. */
#include <string.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "txn_int.h"

static void client_retx_fired(struct sip_timer *tm);
static void client_end_fired(struct sip_timer *tm);

static void client_start_end(struct sip_txn *t, char which, uint64_t ms)
{
	t->end_timer = which;
	sip_timer_start(t->layer->ts, &t->t_end, ms, client_end_fired);
}

static void client_stop_timers(struct sip_txn *t)
{
	sip_timer_stop(t->layer->ts, &t->t_retx);
	sip_timer_stop(t->layer->ts, &t->t_end);
}

/* 17.1.4: a transport failure ends a client transaction; the TU is told. */
static void client_fail(struct sip_txn *t, int err)
{
	t->state = SIP_TXN_TERMINATED;
	txn_event(t, SIP_TXN_EV_TRANSPORT_ERROR, NULL, err, 0);
	txn_terminate(t, 0);
}

int sip_txn_client_alloc(struct sip_txn **tp, struct sip_txn_layer *l, struct sip_msg *req,
			 const struct sip_txn_dest *dst, sip_txn_cb cb, void *arg)
{
	const struct sip_via *via;
	const struct sip_cseq *cseq;
	struct sip_str call_id;
	struct sip_txn *t;
	const struct sip_txn_config *c;
	int err;

	if (!tp || !l || !req || !dst || !req->is_request || req->method == SIP_METHOD_ACK)
		return -EINVAL;
	if (sip_msg_via(req, 0, &via) != 0 || sip_msg_cseq(req, &cseq) != 0 || sip_msg_call_id(req, &call_id) != 0)
		return -EINVAL;
	/* Our branches are unique (8.1.1.7), so 17.1.3 matching needs only them. */
	if (!sip_via_branch_is_rfc3261(via) || via->branch.len <= 7)
		return -EINVAL;
	if (!txn_method_eq(req->method, req->method_str, cseq->method, cseq->method_str))
		return -EINVAL;
	t = txn_new(l, req, via, true);
	if (!t)
		return -ENOMEM;
	t->dest = *dst;
	t->reliable = txn_reliable(l, dst);
	t->cb = cb;
	t->arg = arg;
	t->hash = txn_hash(t);
	err = txn_send(t, req->buf, req->len);
	if (err) {
		t->req = NULL; /* still the caller's */
		txn_destroy(t);
		return err;
	}
	txn_table_insert(&l->clients, t);
	c = &l->cfg;
	t->interval = c->t1_ms;
	if (t->invite) {
		/* 17.1.1.2: Timer A = T1 on unreliable transports, Timer B = 64*T1. */
		t->state = SIP_TXN_CALLING;
		client_start_end(t, 'B', 64ull * c->t1_ms);
	} else {
		/* 17.1.2.2: Timer E = T1 on unreliable transports, Timer F = 64*T1. */
		t->state = SIP_TXN_TRYING;
		client_start_end(t, 'F', 64ull * c->t1_ms);
	}
	if (!t->reliable)
		sip_timer_start(l->ts, &t->t_retx, c->t1_ms, client_retx_fired);
	*tp = t;
	return 0;
}

/* Timer A (INVITE, Calling) or E (non-INVITE, Trying / Proceeding). */
static void client_retx_fired(struct sip_timer *tm)
{
	struct sip_txn *t = container_of(tm, struct sip_txn, t_retx);
	const struct sip_txn_config *c = &t->layer->cfg;
	int err = txn_send(t, t->req->buf, t->req->len);

	if (err) {
		client_fail(t, err);
		return;
	}
	if (t->invite) {
		/* 17.1.1.2: Timer A doubles each time, with no cap (B ends it). */
		t->interval = t->interval > UINT32_MAX / 2 ? UINT32_MAX : t->interval * 2;
	} else if (t->state == SIP_TXN_TRYING) {
		/* 17.1.2.2: E doubles, capped at T2. */
		t->interval = t->interval * 2 > c->t2_ms ? c->t2_ms : t->interval * 2;
	} else {
		/* 17.1.2.2: in Proceeding, E is reset to T2. */
		t->interval = c->t2_ms;
	}
	sip_timer_start(t->layer->ts, &t->t_retx, t->interval, client_retx_fired);
}

static void client_end_fired(struct sip_timer *tm)
{
	struct sip_txn *t = container_of(tm, struct sip_txn, t_end);
	char which = t->end_timer;

	if (which == 'B' || which == 'F') {
		/* 17.1.1.2 / 17.1.2.2: a timeout; the TU treats it as a 408 (8.1.3.1). */
		sip_timer_stop(t->layer->ts, &t->t_retx);
		t->state = SIP_TXN_TERMINATED;
		txn_event(t, SIP_TXN_EV_TIMEOUT, NULL, SIP_ETIMEOUT, which);
	}
	/* B, F, D, K, M: Terminated. */
	txn_terminate(t, which);
}

/* 17.1.1.3: the ACK for a non-2xx final response, built by the msg layer
 * (sip_out_ack: Request-URI, Call-ID, From, CSeq number, top Via and Route of the
 * INVITE, To of the response). Kept in t->out for retransmitted responses. */
static int client_build_ack(struct sip_buf *b, struct sip_msg *req, struct sip_msg *resp)
{
	struct sip_out *o;
	int err = sip_out_ack(&o, req, resp);

	if (err)
		return err;
	sip_buf_reset(b);
	err = sip_out_serialize(o, b);
	sip_out_free(o);
	return err;
}

static void client_invite_response(struct sip_txn *t, struct sip_msg *m)
{
	struct sip_txn_layer *l = t->layer;
	uint16_t status = m->status;
	int err;

	switch (t->state) {
	case SIP_TXN_CALLING:
	case SIP_TXN_PROCEEDING:
		t->status = status;
		client_stop_timers(t);
		if (status < 200) {
			/* 17.1.1.2: no more retransmissions; Timer B belongs to Calling. */
			t->state = SIP_TXN_PROCEEDING;
			txn_event(t, SIP_TXN_EV_RESPONSE, m, 0, 0);
		} else if (status < 300) {
			/* RFC 6026 7.2: Accepted, Timer M = 64*T1, no ACK from here. */
			t->state = SIP_TXN_ACCEPTED;
			txn_drop_req(t); /* the TU ACKs a 2xx */
			client_start_end(t, 'M', 64ull * l->cfg.t1_ms);
			txn_event(t, SIP_TXN_EV_RESPONSE, m, 0, 0);
		} else {
			/* 17.1.1.2: ACK, Completed, Timer D (> 32 s unreliable, 0 reliable). */
			t->state = SIP_TXN_COMPLETED;
			client_start_end(t, 'D', t->reliable ? 0 : l->cfg.timer_d_ms);
			err = client_build_ack(&t->out, t->req, m);
			txn_drop_req(t); /* the ACK is all that is sent from now on */
			if (!err)
				err = txn_send(t, t->out.p, t->out.len);
			txn_event(t, SIP_TXN_EV_RESPONSE, m, 0, 0);
			if (err)
				client_fail(t, err);
		}
		break;
	case SIP_TXN_COMPLETED:
		/* A retransmitted final response: send the ACK again, tell nobody. */
		if (status >= 300 && t->out.len) {
			err = txn_send(t, t->out.p, t->out.len);
			if (err)
				client_fail(t, err);
		}
		break;
	case SIP_TXN_ACCEPTED:
		/* RFC 6026 7.2: every 2xx goes to the TU (retransmissions, other forks). */
		if (status >= 200 && status < 300)
			txn_event(t, SIP_TXN_EV_RESPONSE, m, 0, 0);
		break;
	default:
		break;
	}
}

static void client_noninvite_response(struct sip_txn *t, struct sip_msg *m)
{
	struct sip_txn_layer *l = t->layer;
	uint16_t status = m->status;

	if (t->state != SIP_TXN_TRYING && t->state != SIP_TXN_PROCEEDING)
		return; /* Completed: retransmitted finals are absorbed (17.1.2.2) */
	t->status = status;
	if (status < 200) {
		t->state = SIP_TXN_PROCEEDING;
	} else {
		/* 17.1.2.2: Completed, Timer K = T4 unreliable, 0 reliable. */
		t->state = SIP_TXN_COMPLETED;
		client_stop_timers(t);
		txn_drop_req(t); /* 17.1.2.2: no more retransmissions */
		client_start_end(t, 'K', t->reliable ? 0 : l->cfg.t4_ms);
	}
	txn_event(t, SIP_TXN_EV_RESPONSE, m, 0, 0);
}

int txn_client_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct txn_key *k,
		    const struct sip_txn_dest *src)
{
	struct sip_txn *t;

	if (m->status < 100 || m->status > 699) {
		sip_msg_free(m);
		return SIP_EPARSE;
	}
	t = txn_find_client(l, m, k);
	if (!t) {
		/* No transaction: a 2xx retransmission after Timer M or for a forgotten
		 * INVITE; the TU (a proxy core forwards 2xx statelessly) decides. */
		txn_tu_stray(l, m, src);
	} else if (t->invite) {
		client_invite_response(t, m);
	} else {
		client_noninvite_response(t, m);
	}
	sip_msg_free(m);
	return 0;
}

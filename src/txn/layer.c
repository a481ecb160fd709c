/* siphon txn layer: the layer object, dispatch of received messages, sending,
 * events to the TU and the end of a transaction. The state machines are in
 * client.c (17.1) and server.c (17.2); matching in match.c. */
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"
#include "txn_int.h"

#define TABLE_BITS 10 /* 1024 buckets to start with; doubles as transactions come */

static void config_defaults(struct sip_txn_config *c, const struct sip_txn_config *in)
{
	*c = in ? *in : (struct sip_txn_config){ 0 };
	if (!c->t1_ms)
		c->t1_ms = 500;
	if (!c->t2_ms)
		c->t2_ms = 4000;
	if (!c->t4_ms)
		c->t4_ms = 5000;
	if (!c->timer_d_ms)
		c->timer_d_ms = 32000;
	if (!c->trying_ms)
		c->trying_ms = 200;
}

int sip_txn_layer_alloc(struct sip_txn_layer **lp, struct sip_timers *ts, const struct sip_txn_transport *tp,
			const struct sip_txn_tu *tu, const struct sip_txn_config *cfg)
{
	struct sip_txn_layer *l;

	if (!lp || !ts || !tp || !tp->send || !tu || !tu->request)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ts = ts;
	l->tp = *tp;
	l->tu = *tu;
	config_defaults(&l->cfg, cfg);
	if (txn_table_init(&l->clients, TABLE_BITS) != 0 || txn_table_init(&l->servers, TABLE_BITS) != 0) {
		txn_table_free(&l->clients);
		free(l);
		return -ENOMEM;
	}
	*lp = l;
	return 0;
}

static void table_destroy_all(struct txn_table *tb)
{
	for (size_t i = 0; i <= tb->mask; i++) {
		while (tb->b[i])
			txn_destroy(tb->b[i]);
	}
}

void sip_txn_layer_free(struct sip_txn_layer *l)
{
	if (!l)
		return;
	table_destroy_all(&l->clients);
	table_destroy_all(&l->servers);
	sip_timer_stop(l->ts, &l->t_err);
	free(l->errs);
	txn_table_free(&l->clients);
	txn_table_free(&l->servers);
	free(l);
}

size_t sip_txn_layer_count(const struct sip_txn_layer *l)
{
	return l->clients.n + l->servers.n;
}

int sip_txn_layer_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct sip_txn_dest *src)
{
	struct txn_key k;

	if (!l || !m || !src) {
		sip_msg_free(m);
		return -EINVAL;
	}
	if (txn_key_get(m, &k) != 0) {
		sip_msg_free(m);
		return SIP_EPARSE;
	}
	if (m->is_request)
		return txn_server_recv(l, m, &k, src);
	return txn_client_recv(l, m, &k, src);
}

int sip_txn_layer_send(struct sip_txn_layer *l, const struct sip_txn_dest *dst, const char *buf, size_t len)
{
	uint64_t conn_id = 0;
	int err;

	if (!l || !dst || !buf)
		return -EINVAL;
	l->busy++;
	err = l->tp.send(l->tp.arg, dst, buf, len, &conn_id);
	l->busy--;
	return err;
}

/* Tell every live transaction on conn_id (17.1.4, RFC 6026 8.8). */
static void transport_error_now(struct sip_txn_layer *l, uint64_t conn_id, int err)
{
	struct txn_table *tables[2] = { &l->clients, &l->servers };
	struct sip_txn **hit = NULL;
	size_t n = 0, cap = 0;

	/* Collect first: the callbacks may add transactions (and grow the tables). A
	 * collected transaction stays alive until handled: only this loop ends it. */
	for (int ti = 0; ti < 2; ti++) {
		for (size_t i = 0; i <= tables[ti]->mask; i++) {
			for (struct sip_txn *t = tables[ti]->b[i]; t; t = t->hnext) {
				if (t->dest.conn_id != conn_id || t->state == SIP_TXN_TERMINATED)
					continue;
				if (n == cap) {
					size_t ncap = cap ? cap * 2 : 16;
					struct sip_txn **nh = realloc(hit, ncap * sizeof(*nh));
					if (!nh)
						goto run;
					hit = nh;
					cap = ncap;
				}
				hit[n++] = t;
			}
		}
	}
run:
	for (size_t i = 0; i < n; i++) {
		struct sip_txn *t = hit[i];
		if (t->client) {
			/* 17.1.4: inform the TU, the client transaction is over. */
			t->state = SIP_TXN_TERMINATED;
			txn_event(t, SIP_TXN_EV_TRANSPORT_ERROR, NULL, err, 0);
			txn_terminate(t, 0);
		} else {
			/* RFC 6026 8.8: inform the TU, remain in the current state. */
			txn_event(t, SIP_TXN_EV_TRANSPORT_ERROR, NULL, err, 0);
		}
	}
	free(hit);
}

/* The zero-delay timer: reports that came in while the layer was busy. Taken
 * off the queue one by one, as a callback may queue more (they wait for the
 * next turn: the timer is started again). */
static void transport_errors_fired(struct sip_timer *tm)
{
	struct sip_txn_layer *l = container_of(tm, struct sip_txn_layer, t_err);
	size_t n = l->nerrs;

	for (size_t i = 0; i < n && l->nerrs > 0; i++) {
		struct txn_conn_err e = l->errs[0];

		memmove(l->errs, l->errs + 1, (l->nerrs - 1) * sizeof(*l->errs));
		l->nerrs--;
		l->busy++; /* what this delivers may report more: queued behind */
		transport_error_now(l, e.conn_id, e.err);
		l->busy--;
	}
	if (l->nerrs > 0 && !sip_timer_active(&l->t_err))
		sip_timer_start(l->ts, &l->t_err, 0, transport_errors_fired);
}

void sip_txn_layer_transport_error(struct sip_txn_layer *l, uint64_t conn_id, int err)
{
	if (!l || !conn_id)
		return;
	if (!l->busy) {
		transport_error_now(l, conn_id, err);
		return;
	}
	/* Inside a send (the transport failed the connection synchronously, maybe
	 * before the transaction has recorded it) or a TU callback: later. */
	for (size_t i = 0; i < l->nerrs; i++)
		if (l->errs[i].conn_id == conn_id)
			return; /* one report per connection ends its transactions */
	if (l->nerrs == l->caperrs) {
		size_t ncap = l->caperrs ? l->caperrs * 2 : 4;
		struct txn_conn_err *ne = realloc(l->errs, ncap * sizeof(*ne));
		if (!ne)
			return; /* the transactions end with their timers (B, F) */
		l->errs = ne;
		l->caperrs = ncap;
	}
	l->errs[l->nerrs++] = (struct txn_conn_err){ .conn_id = conn_id, .err = err };
	if (!sip_timer_active(&l->t_err))
		sip_timer_start(l->ts, &l->t_err, 0, transport_errors_fired);
}

struct sip_txn *txn_new(struct sip_txn_layer *l, struct sip_msg *req, const struct sip_via *via, bool client)
{
	struct sip_txn *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->layer = l;
	t->client = client;
	t->req = req;
	t->via = via;
	t->branch = via->branch;
	t->sent_host = via->host;
	t->sent_port = via->port;
	t->method = req->method;
	t->method_str = req->method_str;
	t->invite = req->method == SIP_METHOD_INVITE;
	t->rfc2543 = !sip_via_branch_is_rfc3261(via);
	sip_buf_init(&t->out);
	return t;
}

void sip_txn_lean(struct sip_txn *t)
{
	if (t)
		t->lean = true;
}

void txn_drop_req(struct sip_txn *t)
{
	size_t n;
	char *k;

	if (!t->lean || !t->req || t->rfc2543)
		return;
	n = t->branch.len + t->sent_host.len + t->method_str.len;
	k = malloc(n + 1);
	if (!k)
		return; /* kept as it is */
	memcpy(k, t->branch.p, t->branch.len);
	memcpy(k + t->branch.len, t->sent_host.p, t->sent_host.len);
	if (t->method_str.len)
		memcpy(k + t->branch.len + t->sent_host.len, t->method_str.p, t->method_str.len);
	t->branch.p = k;
	t->sent_host.p = k + t->branch.len;
	t->method_str.p = k + t->branch.len + t->sent_host.len;
	t->key_mem = k;
	sip_msg_free(t->req);
	t->req = NULL;
	t->via = NULL;
}

/* Every send of a transaction goes through here: the connection it used (a new
 * one for the first request to a stream destination) becomes the transaction's,
 * so sip_txn_layer_transport_error finds the transaction when it fails (17.1.4).
 * 0 (UDP, or a transport that does not say) keeps what was there. */
int txn_send(struct sip_txn *t, const char *buf, size_t len)
{
	struct sip_txn_layer *l = t->layer;
	uint64_t conn_id = 0;
	int err;

	l->busy++;
	err = l->tp.send(l->tp.arg, &t->dest, buf, len, &conn_id);
	l->busy--;
	if (!err && conn_id)
		t->dest.conn_id = conn_id;
	return err;
}

void txn_event(struct sip_txn *t, enum sip_txn_event_type type, struct sip_msg *m, int err, char timer)
{
	struct sip_txn_layer *l = t->layer;
	sip_txn_cb cb = t->cb;
	void *arg = t->arg;

	if (!cb)
		return;
	l->busy++;
	cb(t, &(struct sip_txn_event){ .type = type, .msg = m, .err = err, .timer = timer }, arg);
	l->busy--;
}

void txn_tu_request(struct sip_txn_layer *l, struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled)
{
	l->busy++;
	l->tu.request(st, req, cancelled, l->tu.arg);
	l->busy--;
}

void txn_tu_stray(struct sip_txn_layer *l, struct sip_msg *m, const struct sip_txn_dest *src)
{
	if (!l->tu.stray)
		return;
	l->busy++;
	l->tu.stray(m, src, l->tu.arg);
	l->busy--;
}

/* Leave the tables and the timers, tell the TU (TERMINATED is the last event it
 * gets), then free. The transaction's owner is this layer only, so nothing the TU
 * does in the callback can free t under us; a call it makes on t sees the
 * Terminated state and fails with -EINVAL. */
void txn_terminate(struct sip_txn *t, char timer)
{
	struct sip_txn_layer *l = t->layer;

	t->state = SIP_TXN_TERMINATED;
	txn_table_remove(t->client ? &l->clients : &l->servers, t);
	sip_timer_stop(l->ts, &t->t_retx);
	sip_timer_stop(l->ts, &t->t_end);
	txn_event(t, SIP_TXN_EV_TERMINATED, NULL, 0, timer);
	txn_destroy(t);
}

void txn_destroy(struct sip_txn *t)
{
	struct sip_txn_layer *l = t->layer;

	txn_table_remove(t->client ? &l->clients : &l->servers, t);
	sip_timer_stop(l->ts, &t->t_retx);
	sip_timer_stop(l->ts, &t->t_end);
	sip_msg_free(t->req);
	free(t->key_mem);
	sip_buf_free(&t->out);
	free(t);
}

void sip_txn_set_cb(struct sip_txn *t, sip_txn_cb cb, void *arg)
{
	if (!t)
		return;
	t->cb = cb;
	t->arg = arg;
}

enum sip_txn_state sip_txn_state(const struct sip_txn *t)
{
	return (enum sip_txn_state)t->state;
}

bool sip_txn_is_client(const struct sip_txn *t)
{
	return t->client;
}

bool sip_txn_is_invite(const struct sip_txn *t)
{
	return t->invite;
}

bool sip_txn_is_reliable(const struct sip_txn *t)
{
	return t->reliable;
}

struct sip_msg *sip_txn_request(const struct sip_txn *t)
{
	return t->req;
}

const struct sip_txn_dest *sip_txn_dest(const struct sip_txn *t)
{
	return &t->dest;
}

const char *sip_txn_state_name(enum sip_txn_state s)
{
	switch (s) {
	case SIP_TXN_CALLING: return "Calling";
	case SIP_TXN_TRYING: return "Trying";
	case SIP_TXN_PROCEEDING: return "Proceeding";
	case SIP_TXN_COMPLETED: return "Completed";
	case SIP_TXN_CONFIRMED: return "Confirmed";
	case SIP_TXN_ACCEPTED: return "Accepted";
	case SIP_TXN_TERMINATED: return "Terminated";
	}
	return "?";
}

bool txn_reliable(struct sip_txn_layer *l, const struct sip_txn_dest *dst)
{
	if (l->tp.reliable)
		return l->tp.reliable(l->tp.arg, dst);
	return dst->proto != SIP_TXN_UDP;
}

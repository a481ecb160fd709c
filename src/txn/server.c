/* siphon txn layer: server transactions (RFC 3261 17.2, RFC 6026 7.1).
 *
 * INVITE (17.2.1): Proceeding -> Completed (300-699; Timer G retransmits, H gives
 * up) -> Confirmed (ACK; Timer I absorbs ACKs), or Proceeding -> Accepted (2xx;
 * Timer L absorbs INVITE retransmissions, ACKs go to the TU).
 * non-INVITE (17.2.2): Trying -> Proceeding -> Completed (Timer J).
 * t_retx is Timer G, or while the INVITE is in Proceeding the 200 ms 100 Trying
 * delay; t_end is H, I, J or L.
 * A transport error is reported to the TU and never ends a server transaction
 * (RFC 6026 8.8 replacing 17.2.4): its timers will. */
#include <arpa/inet.h>
#include <string.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "txn_int.h"

static void server_retx_fired(struct sip_timer *tm);
static void server_end_fired(struct sip_timer *tm);

static void server_start_end(struct sip_txn *t, char which, uint64_t ms)
{
	t->end_timer = which;
	sip_timer_start(t->layer->ts, &t->t_end, ms, server_end_fired);
}

static void server_send_out(struct sip_txn *t)
{
	int err;

	if (!t->out.len)
		return;
	err = txn_send(t, t->out.p, t->out.len);
	if (err)
		txn_event(t, SIP_TXN_EV_TRANSPORT_ERROR, NULL, err, 0);
}

/* 18.2.2 and RFC 3581: over a reliable transport the response goes back on the
 * connection the request came on (conn_id); should it have closed, the transport
 * opens one to the source address and the sent-by port (5060, 5061 for TLS). Over
 * UDP it goes to the source address (what received= says) and, unless the client
 * asked for rport, to the sent-by port (5060 by default). maddr is not honoured:
 * it would need resolution, and 18.2.2 lets the source address stand when
 * responses are sent to where the request came from. */
static void server_response_dest(struct sip_txn_dest *d, const struct sip_txn_dest *src, const struct sip_via *via,
				 bool reliable)
{
	uint16_t port;

	*d = *src;
	if (!reliable && via->has_rport)
		return;
	if (via->has_port && via->port)
		port = via->port;
	else
		port = src->proto == SIP_TXN_TLS || src->proto == SIP_TXN_WSS ? 5061 : 5060;
	if (d->addr.sa.sa_family == AF_INET)
		d->addr.in.sin_port = htons(port);
	else if (d->addr.sa.sa_family == AF_INET6)
		d->addr.in6.sin6_port = htons(port);
}

/* RFC 3261 18.2.1 and RFC 3581 4: the top Via of the 100 Trying this transaction
 * makes on its own says where the request came from: received= when the sent-by
 * host is not the source IP (always with rport), rport= filled with the source
 * port when the client asked for it. (A TU does the same for its responses with the
 * net layer's sip_net_via_fix; the txn layer cannot call up into src/net.) The
 * source IP is t->dest's: 18.2.2 only ever changes its port. */
static int server_trying_via(struct sip_out *o, const struct sip_txn *t)
{
	const struct sip_via *via = t->via;
	const struct sip_hdr *h = sip_msg_hdr(t->req, SIP_HDR_VIA);
	int fam = t->dest.addr.sa.sa_family;
	const void *src = fam == AF_INET ? (const void *)&t->dest.addr.in.sin_addr
					 : (const void *)&t->dest.addr.in6.sin6_addr;
	uint16_t port = fam == AF_INET ? t->dest.addr.in.sin_port : t->dest.addr.in6.sin6_port;
	char ip[INET6_ADDRSTRLEN], host[INET6_ADDRSTRLEN];
	unsigned char bin[16];
	struct sip_str rest, top, params, hs = via->host;
	struct sip_buf b = SIP_BUF_INIT;
	bool same_ip = false;
	long semi;
	int err;

	if ((fam != AF_INET && fam != AF_INET6) || !h || !inet_ntop(fam, src, ip, sizeof(ip)))
		return 0;
	if (hs.len >= 2 && hs.p[0] == '[') {
		hs.p++;
		hs.len -= 2;
	}
	if (hs.len < sizeof(host)) {
		sip_str_copy(host, sizeof(host), hs);
		same_ip = inet_pton(fam, host, bin) == 1 && memcmp(bin, src, fam == AF_INET ? 4 : 16) == 0;
	}
	if (same_ip && !via->has_rport)
		return 0;
	rest = h->value;
	if (!sip_list_next(&rest, &top))
		return SIP_EPARSE;
	/* sent-protocol and sent-by, then every parameter except received and rport. */
	semi = sip_str_chr(top, ';');
	err = sip_buf_append(&b, top.p, semi < 0 ? top.len : (size_t)semi);
	params = semi < 0 ? SIP_STR_NULL : (struct sip_str){ top.p + semi + 1, top.len - (size_t)semi - 1 };
	while (!err && params.len) {
		long next = sip_str_chr(params, ';'), eq;
		struct sip_str param = { params.p, next < 0 ? params.len : (size_t)next }, name = param;

		params = next < 0 ? SIP_STR_NULL : (struct sip_str){ params.p + next + 1, params.len - (size_t)next - 1 };
		eq = sip_str_chr(param, '=');
		if (eq >= 0)
			name.len = (size_t)eq;
		name = sip_str_trim(name);
		if (sip_str_caseeq_cstr(name, "received") || sip_str_caseeq_cstr(name, "rport"))
			continue;
		err = sip_buf_printf(&b, ";%.*s", SIP_STR_ARG(param));
	}
	if (!err)
		err = sip_buf_printf(&b, ";received=%s", ip);
	if (!err && via->has_rport)
		err = sip_buf_printf(&b, ";rport=%u", (unsigned)ntohs(port));
	if (!err)
		err = sip_out_via_pop(o);
	if (!err)
		err = sip_out_via_push(o, sip_buf_str(&b));
	sip_buf_free(&b);
	return err;
}

/* 8.2.6.1: 100 Trying copies the Via lines, From, To, Call-ID, CSeq and Timestamp,
 * with no To tag (sip_out_response_to). */
static int server_build_trying(struct sip_buf *b, const struct sip_txn *t)
{
	struct sip_out *o;
	int err = sip_out_response_to(&o, t->req, 100, NULL, SIP_STR_NULL);

	if (err)
		return err;
	err = server_trying_via(o, t);
	sip_buf_reset(b);
	if (!err)
		err = sip_out_serialize(o, b);
	sip_out_free(o);
	return err;
}

/* t_retx: the 100 Trying delay (Proceeding) or Timer G (Completed). */
static void server_retx_fired(struct sip_timer *tm)
{
	struct sip_txn *t = container_of(tm, struct sip_txn, t_retx);
	const struct sip_txn_config *c = &t->layer->cfg;

	if (t->state == SIP_TXN_ACCEPTED) {
		/* The turn after the 2xx (sip_txn_lean): the TU's call is over. */
		txn_drop_req(t);
		return;
	}
	if (t->state == SIP_TXN_PROCEEDING) {
		/* 17.2.1: the TU said nothing within 200 ms: send 100 Trying. It is also
		 * the provisional a retransmitted INVITE gets from now on. */
		if (!t->responded && server_build_trying(&t->out, t) == 0) {
			t->status = 100;
			server_send_out(t);
		}
		return;
	}
	if (t->state != SIP_TXN_COMPLETED)
		return;
	txn_drop_req(t); /* lean: Completed sends only the response it keeps */
	/* 17.2.1: Timer G: retransmit, double, cap at T2. */
	t->interval = t->interval * 2 > c->t2_ms ? c->t2_ms : t->interval * 2;
	sip_timer_start(t->layer->ts, &t->t_retx, t->interval, server_retx_fired);
	server_send_out(t);
}

static void server_end_fired(struct sip_timer *tm)
{
	struct sip_txn *t = container_of(tm, struct sip_txn, t_end);
	char which = t->end_timer;

	if (which == 'H') {
		/* 17.2.1: no ACK came: Terminated, and the TU learns of the failure. */
		sip_timer_stop(t->layer->ts, &t->t_retx);
		t->state = SIP_TXN_TERMINATED;
		txn_event(t, SIP_TXN_EV_TIMEOUT, NULL, SIP_ETIMEOUT, 'H');
	}
	/* H, I, J, L: Terminated. */
	txn_terminate(t, which);
}

/* "SIP/2.0 NNN " -> NNN, or 0. */
static unsigned parse_status(const char *buf, size_t len)
{
	if (len < 12 || !sip_str_caseeq((struct sip_str){ buf, 8 }, SIP_STR("SIP/2.0 ")))
		return 0;
	for (int i = 8; i < 11; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return 0;
	}
	if (buf[11] != ' ' && buf[11] != '\r')
		return 0;
	unsigned s = (unsigned)(buf[8] - '0') * 100 + (unsigned)(buf[9] - '0') * 10 + (unsigned)(buf[10] - '0');
	return s >= 100 && s <= 699 ? s : 0;
}

int sip_txn_respond(struct sip_txn *st, const char *buf, size_t len)
{
	struct sip_txn_layer *l;
	unsigned status;
	bool ok;

	if (!st || st->client || !buf)
		return -EINVAL;
	status = parse_status(buf, len);
	if (!status)
		return -EINVAL;
	l = st->layer;
	if (st->invite)
		ok = st->state == SIP_TXN_PROCEEDING ||
		     (st->state == SIP_TXN_ACCEPTED && status >= 200 && status < 300);
	else
		ok = st->state == SIP_TXN_TRYING || st->state == SIP_TXN_PROCEEDING;
	if (!ok)
		return -EINVAL;
	/* Make room first so the copy cannot fail half way. */
	if (sip_buf_reserve(&st->out, len) != 0)
		return -ENOMEM;
	sip_buf_reset(&st->out);
	sip_buf_append(&st->out, buf, len);
	st->status = (uint16_t)status;
	st->responded = true;

	if (st->invite) {
		if (st->state == SIP_TXN_PROCEEDING) {
			sip_timer_stop(l->ts, &st->t_retx); /* no 100 Trying needed now */
			if (status >= 200 && status < 300) {
				/* RFC 6026 7.1: Accepted, Timer L = 64*T1; the TU retransmits the 2xx. */
				st->state = SIP_TXN_ACCEPTED;
				server_start_end(st, 'L', 64ull * l->cfg.t1_ms);
				/* Lean: the request goes on the next turn, once the
				 * TU's call (which may still read it) has returned. */
				if (st->lean)
					sip_timer_start(l->ts, &st->t_retx, 0, server_retx_fired);
			} else if (status >= 300) {
				/* 17.2.1: Completed; G = T1 (unreliable), H = 64*T1. */
				st->state = SIP_TXN_COMPLETED;
				st->interval = l->cfg.t1_ms;
				if (!st->reliable)
					sip_timer_start(l->ts, &st->t_retx, st->interval, server_retx_fired);
				server_start_end(st, 'H', 64ull * l->cfg.t1_ms);
			}
		}
	} else if (status < 200) {
		st->state = SIP_TXN_PROCEEDING;
	} else {
		/* 17.2.2: Completed; J = 64*T1 unreliable, 0 reliable. */
		st->state = SIP_TXN_COMPLETED;
		server_start_end(st, 'J', st->reliable ? 0 : 64ull * l->cfg.t1_ms);
	}
	return txn_send(st, st->out.p, st->out.len);
}

static void server_retransmission(struct sip_txn *t)
{
	switch (t->state) {
	case SIP_TXN_PROCEEDING: /* the last provisional, if any was sent */
	case SIP_TXN_COMPLETED:  /* the final response */
		server_send_out(t);
		break;
	default:
		/* Trying: the TU has not answered yet (17.2.2); Confirmed: nothing to say;
		 * Accepted: absorbed, the TU retransmits its 2xx (RFC 6026 7.1). */
		break;
	}
}

static void server_ack(struct sip_txn *t, struct sip_msg *ack)
{
	struct sip_txn_layer *l = t->layer;

	switch (t->state) {
	case SIP_TXN_COMPLETED:
		/* 17.2.1: Confirmed; Timer I = T4 unreliable, 0 reliable. */
		t->state = SIP_TXN_CONFIRMED;
		sip_timer_stop(l->ts, &t->t_retx);
		txn_drop_req(t); /* lean: only ACKs to absorb from now on */
		server_start_end(t, 'I', t->reliable ? 0 : l->cfg.t4_ms);
		break;
	case SIP_TXN_ACCEPTED:
		/* RFC 6026 7.1: ACKs in Accepted go to the TU. */
		txn_event(t, SIP_TXN_EV_ACK, ack, 0, 0);
		break;
	default:
		break; /* Confirmed absorbs ACK retransmissions; Proceeding has no final yet */
	}
}

/* Arena room of a kept request for what is parsed again: its Via list (the
 * layer reads the top one at once; a sip_via and its list entry take under 256
 * bytes, bench_txn spills a block at 128) and To for the response the TU sends
 * (sip_out_response_to). Anything more chains an arena block as usual. */
static size_t kept_slack(struct sip_msg *m)
{
	int vias = sip_msg_via_count(m);

	return (size_t)(vias > 0 ? vias : 1) * 256u + 512u;
}

int txn_server_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct txn_key *k,
		    const struct sip_txn_dest *src)
{
	struct sip_txn *t, *cancelled = NULL;

	if (m->method == SIP_METHOD_ACK) {
		t = txn_find_server(l, m, k, TXN_MATCH_ACK);
		if (t)
			server_ack(t, m);
		else
			txn_tu_stray(l, m, src); /* the ACK for a 2xx (13.3.1.4) */
		sip_msg_free(m);
		return 0;
	}
	t = txn_find_server(l, m, k, TXN_MATCH_SAME);
	if (t) {
		server_retransmission(t);
		sip_msg_free(m);
		return 0;
	}
	if (m->method == SIP_METHOD_CANCEL)
		cancelled = txn_find_server(l, m, k, TXN_MATCH_CANCEL);
	/* The transaction keeps its request until it terminates (32 s for a UDP
	 * INVITE): keep a compact copy rather than the parser's block, which is
	 * sized for a full parse. build/bench/bench_txn (100,000 server + 100,000
	 * client transactions live): 4,497 -> 3,505 bytes per live transaction on
	 * average, so about 4,500 -> 2,500 for a server one. On -ENOMEM the
	 * original is kept. */
	const struct sip_via *via = k->via;
	struct sip_msg *kept;
	if (sip_msg_clone_compact(&kept, m, kept_slack(m)) == 0) {
		if (sip_msg_via(kept, 0, &via) == 0) {
			sip_msg_free(m);
			m = kept;
		} else {
			via = k->via; /* cannot happen: the same bytes parsed before */
			sip_msg_free(kept);
		}
	}
	t = txn_new(l, m, via, false);
	if (!t) {
		sip_msg_free(m);
		return -ENOMEM;
	}
	t->reliable = txn_reliable(l, src);
	server_response_dest(&t->dest, src, via, t->reliable);
	t->hash = txn_hash(t);
	txn_table_insert(&l->servers, t);
	if (t->invite) {
		t->state = SIP_TXN_PROCEEDING;
		sip_timer_start(l->ts, &t->t_retx, l->cfg.trying_ms, server_retx_fired);
	} else {
		t->state = SIP_TXN_TRYING;
	}
	txn_tu_request(l, t, m, cancelled);
	return 0;
}

/* txn_peer: the transaction layer over real sockets (src/net) with a minimal TU, for
 * the SIPp end-to-end tests (tests/e2e/test_txn_*.sh). Loopback only.
 *
 *   txn_peer --listen udp:127.0.0.1:0 [--listen tcp:127.0.0.1:0]
 *            [--invite CODE] [--answer-delay MS] [--t1 MS] [--t4 MS] [--run-ms MS]
 *            [--uac METHOD --to udp|tcp:IP:PORT [--linger-ms MS]]
 *
 * As UAS it answers INVITE with CODE (486 by default; a 200 is retransmitted by
 * the TU until the ACK, RFC 3261 13.3.1.4), CANCEL with 200 (+ 487 to the INVITE)
 * or 481, any other request with 200. As UAC it sends one METHOD request to --to
 * and exits once that client transaction has terminated (after --linger-ms, 300 by
 * default, so a TCP peer is not cut off in the middle of its scenario); a timeout (Timer B or F)
 * is the 408 the TU makes of it (RFC 3261 8.1.3.1).
 * SIGTERM or --run-ms (30 s by default) ends it cleanly (exit status 0).
 * It prints one line per event on stdout, which the test scripts count:
 *   listen PROTO PORT | recv WHAT | send WHAT | request METHOD | stray WHAT |
 *   ack | response STATUS | timeout TIMER | result STATUS | terminated TIMER |
 *   transport-error ERR
 * where WHAT is a method or a status code. */
#include <errno.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "siphon/build.h"
#include "siphon/net.h"
#include "siphon/err.h"
#include "siphon/txn.h"
#include "siphon/txn_net.h"

struct peer {
	uv_loop_t loop;
	uv_timer_t run_timer;     /* --run-ms */
	uv_timer_t answer_timer;  /* --answer-delay */
	uv_timer_t retx_timer;    /* the TU's 2xx retransmission */
	uv_timer_t exit_timer;    /* UAC: linger after the transaction ends */
	uv_signal_t sigterm;      /* the test script ends a UAS run with SIGTERM */
	struct sip_net *net;
	struct sip_timers ts;
	struct sip_txn_layer *l;
	struct sip_listener *lis[2];
	int nlis;
	int invite_code;
	unsigned answer_delay;
	uint32_t t1;
	uint32_t t4;
	unsigned linger_ms;
	/* The INVITE being answered (one at a time: the tests send one). */
	struct sip_txn *pending;
	struct sip_net_src pending_src;
	struct sip_buf ok2xx;     /* the 2xx the TU retransmits */
	struct sip_txn *ok_txn;
	char ok_call_id[128];
	uint64_t retx_ms;
	/* The source of the message being received (valid during recv). */
	const struct sip_net_src *cur_src;
	bool stopping;
};

static struct peer P;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* "INVITE" or "486" from the first line of a message. */
static void first_word(char *dst, size_t sz, const char *buf, size_t len)
{
	size_t i = 0, j = 0;

	if (len > 8 && memcmp(buf, "SIP/2.0 ", 8) == 0)
		i = 8;
	while (i < len && buf[i] != ' ' && buf[i] != '\r' && j + 1 < sz)
		dst[j++] = buf[i++];
	dst[j] = '\0';
}

/* The transport interface of the transaction layer, on src/net. */
static int tp_send(void *arg, const struct sip_txn_dest *d, const char *buf, size_t len, uint64_t *conn_id)
{
	struct peer *p = arg;
	struct sip_net_dest nd;
	char what[32];

	sip_txn_dest_to_net(&nd, d);
	first_word(what, sizeof(what), buf, len);
	say("send %s", what);
	return sip_net_send(p->net, &nd, buf, len, conn_id);
}

static void net_error(const struct sip_net_dest *dst, int err, void *arg)
{
	struct peer *p = arg;

	say("transport-error %d", err);
	if (p->l)
		sip_txn_layer_transport_error(p->l, dst->conn_id, err);
}

static void net_recv(struct sip_msg *m, const struct sip_net_src *src, void *arg)
{
	struct peer *p = arg;
	struct sip_txn_dest d;
	char what[32];

	first_word(what, sizeof(what), m->buf, m->len);
	say("recv %s", what);
	sip_txn_dest_set(&d, src->tp, &src->remote, src->conn_id);
	p->cur_src = src;
	sip_txn_layer_recv(p->l, m, &d);
	p->cur_src = NULL;
}

/* A response to the request of st, with received/rport (RFC 3261 18.2.1, RFC 3581)
 * in its top Via, passed to the transaction. The bytes stay in out. */
static int answer(struct sip_txn *st, const struct sip_net_src *src, int code, struct sip_buf *out)
{
	struct sip_msg *req = sip_txn_request(st);
	struct sip_out *o;
	struct sip_net_via_fix fix;
	int err;

	err = sip_out_response_to(&o, req, code, NULL, SIP_STR("peer1"));
	if (err)
		return err;
	if (sip_net_via_fix(&fix, req, src) == 0)
		err = sip_net_via_apply(o, req, &fix);
	if (!err && code >= 200 && code < 300 && req->method == SIP_METHOD_INVITE)
		err = sip_out_add(o, SIP_HDR_CONTACT, SIP_STR("<sip:peer@127.0.0.1>"));
	sip_buf_reset(out);
	if (!err)
		err = sip_out_serialize(o, out);
	sip_out_free(o);
	if (!err)
		err = sip_txn_respond(st, out->p, out->len);
	return err;
}

static void stop_2xx_retx(struct peer *p)
{
	uv_timer_stop(&p->retx_timer);
	p->ok_txn = NULL;
}

/* 13.3.1.4: the UAS core retransmits its 2xx, T1 doubling up to T2, until the ACK;
 * the INVITE server transaction sends each one (RFC 6026 Accepted). */
static void retx_2xx(uv_timer_t *h)
{
	struct peer *p = h->data;

	if (!p->ok_txn)
		return;
	sip_txn_respond(p->ok_txn, p->ok2xx.p, p->ok2xx.len);
	p->retx_ms = p->retx_ms * 2 > 4000 ? 4000 : p->retx_ms * 2;
	uv_timer_start(&p->retx_timer, retx_2xx, p->retx_ms, 0);
}

static void answer_invite(struct peer *p)
{
	struct sip_txn *st = p->pending;
	struct sip_buf out = SIP_BUF_INIT;

	p->pending = NULL;
	if (answer(st, &p->pending_src, p->invite_code, &out) == 0 && p->invite_code >= 200 && p->invite_code < 300) {
		struct sip_str cid;
		sip_buf_reset(&p->ok2xx);
		sip_buf_append(&p->ok2xx, out.p, out.len);
		p->ok_txn = st;
		if (sip_msg_call_id(sip_txn_request(st), &cid) == 0)
			sip_str_copy(p->ok_call_id, sizeof(p->ok_call_id), cid);
		p->retx_ms = p->t1;
		uv_timer_start(&p->retx_timer, retx_2xx, p->retx_ms, 0);
	}
	sip_buf_free(&out);
}

static void answer_timer_cb(uv_timer_t *h)
{
	struct peer *p = h->data;

	if (p->pending)
		answer_invite(p);
}

static void server_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct peer *p = arg;

	switch (ev->type) {
	case SIP_TXN_EV_ACK:
		say("ack");
		if (t == p->ok_txn)
			stop_2xx_retx(p);
		break;
	case SIP_TXN_EV_TIMEOUT:
		say("timeout %c", ev->timer);
		break;
	case SIP_TXN_EV_TRANSPORT_ERROR:
		say("transport-error %d", ev->err);
		break;
	case SIP_TXN_EV_TERMINATED:
		say("terminated %c", ev->timer ? ev->timer : '-');
		if (t == p->pending)
			p->pending = NULL;
		if (t == p->ok_txn)
			stop_2xx_retx(p);
		break;
	default:
		break;
	}
}

static void on_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	struct peer *p = arg;
	struct sip_buf out = SIP_BUF_INIT;

	say("request %.*s", SIP_STR_ARG(req->method_str));
	sip_txn_set_cb(st, server_event, p);
	if (req->method == SIP_METHOD_INVITE) {
		p->pending = st;
		p->pending_src = *p->cur_src;
		if (p->answer_delay)
			uv_timer_start(&p->answer_timer, answer_timer_cb, p->answer_delay, 0);
		else
			answer_invite(p);
	} else if (req->method == SIP_METHOD_CANCEL) {
		answer(st, p->cur_src, cancelled ? 200 : 481, &out);
		if (cancelled && cancelled == p->pending) {
			p->pending = NULL;
			uv_timer_stop(&p->answer_timer);
			answer(cancelled, &p->pending_src, 487, &out);
		}
	} else {
		answer(st, p->cur_src, 200, &out);
	}
	sip_buf_free(&out);
}

static void on_stray(struct sip_msg *m, const struct sip_txn_dest *src, void *arg)
{
	struct peer *p = arg;
	struct sip_str cid;

	(void)src;
	if (m->is_request) {
		say("stray %.*s", SIP_STR_ARG(m->method_str));
		/* The ACK for our 2xx has its own branch: match it by Call-ID. */
		if (m->method == SIP_METHOD_ACK && p->ok_txn && sip_msg_call_id(m, &cid) == 0 &&
		    sip_str_eq(cid, sip_str_from_cstr(p->ok_call_id))) {
			say("ack");
			stop_2xx_retx(p);
		}
	} else {
		say("stray %u", m->status);
	}
}

static void closed_cb(void *arg)
{
	(void)arg;
}

static void shutdown_peer(struct peer *p)
{
	if (p->stopping)
		return;
	p->stopping = true;
	uv_timer_stop(&p->run_timer);
	uv_timer_stop(&p->answer_timer);
	uv_timer_stop(&p->retx_timer);
	uv_timer_stop(&p->exit_timer);
	sip_txn_layer_free(p->l);
	p->l = NULL;
	sip_timers_close(&p->ts);
	sip_net_close(p->net, closed_cb, p);
	uv_close((uv_handle_t *)&p->run_timer, NULL);
	uv_close((uv_handle_t *)&p->answer_timer, NULL);
	uv_close((uv_handle_t *)&p->retx_timer, NULL);
	uv_close((uv_handle_t *)&p->exit_timer, NULL);
	uv_signal_stop(&p->sigterm);
	uv_close((uv_handle_t *)&p->sigterm, NULL);
}

static void sigterm_cb(uv_signal_t *h, int signum)
{
	(void)signum;
	shutdown_peer(h->data);
}

static void run_timer_cb(uv_timer_t *h)
{
	shutdown_peer(h->data);
}

static void client_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct peer *p = arg;

	(void)t;
	switch (ev->type) {
	case SIP_TXN_EV_RESPONSE:
		say("response %u", ev->msg->status);
		if (ev->msg->status >= 200)
			say("result %u", ev->msg->status);
		break;
	case SIP_TXN_EV_TIMEOUT:
		say("timeout %c", ev->timer);
		say("result 408"); /* 8.1.3.1: a transaction timeout is a 408 for the TU */
		break;
	case SIP_TXN_EV_TRANSPORT_ERROR:
		say("transport-error %d", ev->err);
		say("result 503"); /* 8.1.3.1: a transport failure is a 503 for the TU */
		break;
	case SIP_TXN_EV_TERMINATED:
		say("terminated %c", ev->timer ? ev->timer : '-');
		/* Linger a little so late retransmissions are seen absorbed or stray. */
		uv_timer_start(&p->exit_timer, run_timer_cb, p->linger_ms, 0);
		break;
	default:
		break;
	}
}

static int start_uac(struct peer *p, const char *method, const char *to)
{
	struct sip_listen_spec spec;
	struct sip_txn_dest d = { 0 };
	struct sip_listener *lis = NULL;
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *req;
	struct sip_txn *t;
	char ruri[128], via[256], branch[SIP_BRANCH_SIZE], tag[SIP_TAG_SIZE], cid[SIP_CALL_ID_SIZE];
	char host[SIP_NET_ADDRSTR];
	int err;

	if (sip_listen_spec_parse(&spec, to) != 0)
		return -EINVAL;
	for (int i = 0; i < p->nlis; i++) {
		if (sip_listener_tp(p->lis[i]) == spec.tp)
			lis = p->lis[i];
	}
	if (!lis)
		return -EINVAL;
	sip_net_addr_format(host, &spec.addr);
	sip_branch_new(branch, sizeof(branch));
	sip_tag_new(tag, sizeof(tag));
	sip_call_id_new(cid, sizeof(cid));
	snprintf(ruri, sizeof(ruri), "sip:sipp@%s", host);
	snprintf(via, sizeof(via), "SIP/2.0/%s 127.0.0.1:%u;branch=%s;rport", sip_tp_name(spec.tp),
		 sip_net_addr_port(sip_listener_addr(lis)), branch);
	err = sip_out_request(&o, sip_str_from_cstr(method), sip_str_from_cstr(ruri));
	if (err)
		return err;
	err = sip_out_add(o, SIP_HDR_VIA, sip_str_from_cstr(via));
	if (!err)
		err = sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70"));
	if (!err)
		err = sip_out_addf(o, SIP_HDR_FROM, "<sip:peer@127.0.0.1>;tag=%s", tag);
	if (!err)
		err = sip_out_addf(o, SIP_HDR_TO, "<%s>", ruri);
	if (!err)
		err = sip_out_add(o, SIP_HDR_CALL_ID, sip_str_from_cstr(cid));
	if (!err)
		err = sip_out_addf(o, SIP_HDR_CSEQ, "1 %s", method);
	if (!err)
		err = sip_out_addf(o, SIP_HDR_CONTACT, "<sip:peer@127.0.0.1:%u>",
				   sip_net_addr_port(sip_listener_addr(lis)));
	if (!err)
		err = sip_out_serialize(o, &b);
	sip_out_free(o);
	if (!err)
		err = sip_msg_parse(&req, b.p, b.len, NULL, NULL);
	sip_buf_free(&b);
	if (err)
		return err;
	sip_txn_dest_set(&d, spec.tp, &spec.addr, 0);
	err = sip_txn_client_alloc(&t, p->l, req, &d, client_event, p);
	if (err)
		sip_msg_free(req);
	return err;
}

static void usage(void)
{
	fprintf(stderr, "usage: txn_peer --listen SPEC... [--invite CODE] [--answer-delay MS] [--t1 MS] [--t4 MS]\n"
			"                [--run-ms MS] [--uac METHOD --to SPEC [--linger-ms MS]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct peer *p = &P;
	const char *listens[2] = { NULL, NULL }, *uac = NULL, *to = NULL;
	int nlisten = 0;
	unsigned run_ms = 30000;
	int err;

	p->invite_code = 486;
	p->t1 = 500;
	p->linger_ms = 300;
	/* Every option takes a value: step over option and value together. */
	for (int i = 1; i < argc; i += 2) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (strcmp(a, "--listen") == 0 && nlisten < 2)
			listens[nlisten++] = v;
		else if (strcmp(a, "--invite") == 0)
			p->invite_code = atoi(v);
		else if (strcmp(a, "--answer-delay") == 0)
			p->answer_delay = (unsigned)atoi(v);
		else if (strcmp(a, "--t1") == 0)
			p->t1 = (uint32_t)atoi(v);
		else if (strcmp(a, "--t4") == 0)
			p->t4 = (uint32_t)atoi(v);
		else if (strcmp(a, "--linger-ms") == 0)
			p->linger_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--run-ms") == 0)
			run_ms = (unsigned)atoi(v);
		else if (strcmp(a, "--uac") == 0)
			uac = v;
		else if (strcmp(a, "--to") == 0)
			to = v;
		else
			usage();
	}
	if (!nlisten || p->invite_code < 100 || p->invite_code > 699 || !p->t1 || (uac && !to))
		usage();
	signal(SIGPIPE, SIG_IGN);
	uv_loop_init(&p->loop);
	struct sip_net_config ncfg = { .loop = &p->loop, .on_recv = net_recv, .on_error = net_error, .arg = p };
	err = sip_net_alloc(&p->net, &ncfg);
	if (err) {
		fprintf(stderr, "txn_peer: net: %s\n", sip_strerror(err));
		return 1;
	}
	for (int i = 0; i < nlisten; i++) {
		struct sip_listen_spec spec;
		char ip[SIP_NET_IPSTR];
		if (sip_listen_spec_parse(&spec, listens[i]) != 0)
			usage();
		/* Loopback only: these are tests. */
		sip_net_addr_ip(ip, &spec.addr);
		if (strcmp(ip, "127.0.0.1") != 0 && strcmp(ip, "::1") != 0)
			usage();
		err = sip_net_listen(p->net, &spec, &p->lis[p->nlis]);
		if (err) {
			fprintf(stderr, "txn_peer: listen %s: %s\n", listens[i], sip_strerror(err));
			return 1;
		}
		say("listen %s %u", sip_tp_name(spec.tp), sip_net_addr_port(sip_listener_addr(p->lis[p->nlis])));
		p->nlis++;
	}
	err = sip_timers_init_uv(&p->ts, &p->loop);
	struct sip_txn_transport tp = { .send = tp_send, .arg = p };
	struct sip_txn_tu tu = { .request = on_request, .stray = on_stray, .arg = p };
	struct sip_txn_config tcfg = { .t1_ms = p->t1, .t4_ms = p->t4 };
	if (!err)
		err = sip_txn_layer_alloc(&p->l, &p->ts, &tp, &tu, &tcfg);
	if (err) {
		fprintf(stderr, "txn_peer: txn: %s\n", sip_strerror(err));
		return 1;
	}
	uv_timer_init(&p->loop, &p->run_timer);
	uv_timer_init(&p->loop, &p->answer_timer);
	uv_timer_init(&p->loop, &p->retx_timer);
	uv_timer_init(&p->loop, &p->exit_timer);
	p->run_timer.data = p->answer_timer.data = p->retx_timer.data = p->exit_timer.data = p;
	uv_timer_start(&p->run_timer, run_timer_cb, run_ms, 0);
	uv_signal_init(&p->loop, &p->sigterm);
	p->sigterm.data = p;
	uv_signal_start(&p->sigterm, sigterm_cb, SIGTERM);
	if (uac) {
		err = start_uac(p, uac, to);
		if (err) {
			fprintf(stderr, "txn_peer: uac: %s\n", sip_strerror(err));
			shutdown_peer(p);
		}
	}
	uv_run(&p->loop, UV_RUN_DEFAULT);
	sip_buf_free(&p->ok2xx);
	uv_loop_close(&p->loop);
	return err ? 1 : 0;
}

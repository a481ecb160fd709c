/* Test fixture for the txn unit tests: a manual clock, a capturing fake transport
 * (a test double for the network: it records what the layer sends and can be told
 * to fail), a recording TU, and helpers that build real SIP text and parse it with
 * the real parser. Included by each test_*.c (static functions, one copy each). */
#ifndef TXN_FIXTURE_H
#define TXN_FIXTURE_H

#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/msg.h"
#include "siphon/txn.h"

#define FX static __attribute__((unused))

#define MAX_SENT 128
#define MAX_EVENTS 64
#define MAX_REQS 16

struct sent {
	uint64_t at;               /* clock time of the send */
	struct sip_txn_dest dst;
	char buf[2048];
	size_t len;
};

struct ev {
	uint64_t at;
	struct sip_txn *t;
	enum sip_txn_event_type type;
	uint16_t status;           /* RESPONSE */
	char timer;
	int err;
	char to_tag[32];           /* RESPONSE: the To tag */
	enum sip_txn_state state;  /* state seen during the callback */
};

struct fx {
	struct sip_timers ts;
	struct sip_txn_layer *l;
	/* transport */
	struct sent sent[MAX_SENT];
	int nsent;
	int fail_err;              /* nonzero: every send fails with it */
	/* Stream connections, as src/net has them: a send to a stream destination
	 * without a connection id opens connection next_conn (then counts up) and says
	 * so through *conn_id; one naming a connection uses it. */
	uint64_t next_conn;
	/* nonzero: the send also reports sync_err on its connection inside the call
	 * (sip_txn_layer_transport_error), as src/net does for a write that fails
	 * and closes the connection; sync_ret is what the send then returns. */
	int sync_err;
	int sync_ret;
	int nsync;                 /* reports made inside a send */
	bool no_record;            /* count sends in ntotal only (load tests) */
	int ntotal;                /* every successful send */
	int nterminated;           /* every TERMINATED event */
	/* TU */
	struct ev ev[MAX_EVENTS];
	int nev;
	struct sip_txn *req_txn[MAX_REQS];
	struct sip_txn *req_cancelled[MAX_REQS];
	enum sip_method req_method[MAX_REQS];
	int nreq;
	int nstray;
	enum sip_method stray_method;
	uint16_t stray_status;
	int auto_status;           /* nonzero: answer every new request with it */
	int auto_err;              /* result of that sip_txn_respond */
};

FX int fx_send(void *arg, const struct sip_txn_dest *dst, const char *buf, size_t len, uint64_t *conn_id)
{
	struct fx *f = arg;
	uint64_t used = dst->conn_id;

	if (f->fail_err)
		return f->fail_err;
	if (!used && dst->proto != SIP_TXN_UDP && f->next_conn)
		used = f->next_conn++;
	if (f->sync_err && used) {
		f->nsync++;
		sip_txn_layer_transport_error(f->l, used, f->sync_err);
		if (f->sync_ret)
			return f->sync_ret;
	}
	*conn_id = dst->proto == SIP_TXN_UDP ? 0 : used;
	f->ntotal++;
	if (f->no_record)
		return 0;
	assert_true(f->nsent < MAX_SENT);
	assert_true(len < sizeof(f->sent[0].buf));
	struct sent *s = &f->sent[f->nsent++];
	s->at = sip_timers_now(&f->ts);
	s->dst = *dst;
	memcpy(s->buf, buf, len);
	s->buf[len] = '\0';
	s->len = len;
	return 0;
}

FX void fx_event(struct sip_txn *t, const struct sip_txn_event *e, void *arg)
{
	struct fx *f = arg;

	f->nterminated += e->type == SIP_TXN_EV_TERMINATED;
	if (f->no_record)
		return;
	assert_true(f->nev < MAX_EVENTS);
	struct ev *r = &f->ev[f->nev++];
	*r = (struct ev){ .at = sip_timers_now(&f->ts), .t = t, .type = e->type, .timer = e->timer,
			  .err = e->err, .state = sip_txn_state(t) };
	if (e->msg && !e->msg->is_request) {
		const struct sip_addr *to;
		r->status = e->msg->status;
		if (sip_msg_to(e->msg, &to) == 0)
			sip_str_copy(r->to_tag, sizeof(r->to_tag), to->tag);
	}
}

/* A response to st's request built by the msg layer (8.2.6), To tag "uas1". */
FX int fx_respond(struct sip_txn *st, int code)
{
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;
	int err;

	assert_int_equal(sip_out_response_to(&o, sip_txn_request(st), code, NULL, SIP_STR("uas1")), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	sip_out_free(o);
	err = sip_txn_respond(st, b.p, b.len);
	sip_buf_free(&b);
	return err;
}

FX void fx_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	struct fx *f = arg;

	assert_true(f->nreq < MAX_REQS);
	f->req_txn[f->nreq] = st;
	f->req_cancelled[f->nreq] = cancelled;
	f->req_method[f->nreq] = req->method;
	f->nreq++;
	sip_txn_set_cb(st, fx_event, f);
	if (f->auto_status)
		f->auto_err = fx_respond(st, f->auto_status);
}

FX void fx_stray(struct sip_msg *m, const struct sip_txn_dest *src, void *arg)
{
	struct fx *f = arg;

	(void)src;
	f->nstray++;
	f->stray_method = m->is_request ? m->method : SIP_METHOD_OTHER;
	f->stray_status = m->is_request ? 0 : m->status;
}

FX struct fx *fx_new(const struct sip_txn_config *cfg)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	sip_timers_init_manual(&f->ts, 0);
	struct sip_txn_transport tp = { .send = fx_send, .arg = f };
	struct sip_txn_tu tu = { .request = fx_request, .stray = fx_stray, .arg = f };
	assert_int_equal(sip_txn_layer_alloc(&f->l, &f->ts, &tp, &tu, cfg), 0);
	return f;
}

FX void fx_free(struct fx *f)
{
	sip_txn_layer_free(f->l);
	assert_int_equal(f->ts.count, 0); /* every timer went with its transaction */
	free(f);
}

FX struct sip_txn_dest fx_dest(enum sip_txn_proto proto, const char *ip, uint16_t port, uint64_t conn)
{
	struct sip_txn_dest d = { .proto = proto, .conn_id = conn };

	d.addr.in.sin_family = AF_INET;
	d.addr.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &d.addr.in.sin_addr);
	return d;
}

FX uint16_t fx_port(const struct sip_txn_dest *d)
{
	return ntohs(d->addr.in.sin_port);
}

/* Parse printf-formatted SIP text whose lines end in "\n" (turned into CRLF). */
__attribute__((format(printf, 1, 2))) FX struct sip_msg *fx_msg(const char *fmt, ...)
{
	char text[4096], wire[8192];
	size_t n = 0;
	va_list ap;
	struct sip_msg *m;
	struct sip_parse_error perr;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	for (const char *p = text; *p && n < sizeof(wire) - 2; p++) {
		if (*p == '\n')
			wire[n++] = '\r';
		wire[n++] = *p;
	}
	int err = sip_msg_parse(&m, wire, n, NULL, &perr);
	if (err)
		fail_msg("parse failed (%d, %s) for:\n%s", err, perr.reason ? perr.reason : "", text);
	return m;
}

/* A request: method, branch (may lack the cookie), CSeq number, proto in Via,
 * Via sent-by port, extra Via params (e.g. ";rport"), To tag (NULL: none). */
FX struct sip_msg *fx_req(const char *method, const char *branch, unsigned cseq, const char *via_proto,
			      unsigned via_port, const char *via_params, const char *to_tag)
{
	char branch_param[128] = "";
	char to_param[64] = "";

	if (branch)
		snprintf(branch_param, sizeof(branch_param), ";branch=%s", branch);
	if (to_tag)
		snprintf(to_param, sizeof(to_param), ";tag=%s", to_tag);
	return fx_msg("%s sip:bob@127.0.0.1:5060 SIP/2.0\n"
		      "Via: SIP/2.0/%s 127.0.0.1:%u%s%s\n"
		      "Max-Forwards: 70\n"
		      "From: \"Alice\" <sip:alice@127.0.0.1>;tag=from1\n"
		      "To: <sip:bob@127.0.0.1>%s\n"
		      "Call-ID: call-1@127.0.0.1\n"
		      "CSeq: %u %s\n"
		      "Contact: <sip:alice@127.0.0.1:%u>\n"
		      "Content-Length: 0\n\n",
		      method, via_proto, via_port, branch_param, via_params ? via_params : "", to_param, cseq,
		      method, via_port);
}

/* A response for a request with this branch and CSeq, To tag to_tag (NULL: none). */
FX struct sip_msg *fx_resp(int status, const char *reason, const char *branch, unsigned cseq,
			       const char *method, const char *to_tag)
{
	char to_param[64] = "";

	if (to_tag)
		snprintf(to_param, sizeof(to_param), ";tag=%s", to_tag);
	return fx_msg("SIP/2.0 %d %s\n"
		      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=%s\n"
		      "From: \"Alice\" <sip:alice@127.0.0.1>;tag=from1\n"
		      "To: <sip:bob@127.0.0.1>%s\n"
		      "Call-ID: call-1@127.0.0.1\n"
		      "CSeq: %u %s\n"
		      "Content-Length: 0\n\n",
		      status, reason, branch, to_param, cseq, method);
}

FX void fx_recv(struct fx *f, struct sip_msg *m, const struct sip_txn_dest *src)
{
	assert_int_equal(sip_txn_layer_recv(f->l, m, src), 0);
}

/* Times (relative to t0) of sends since index from whose bytes start with prefix. */
FX int fx_sent_times(const struct fx *f, int from, const char *prefix, uint64_t *times, int max)
{
	int n = 0;

	for (int i = from; i < f->nsent; i++) {
		if (strncmp(f->sent[i].buf, prefix, strlen(prefix)) == 0 && n < max)
			times[n++] = f->sent[i].at;
	}
	return n;
}

FX int fx_count_ev(const struct fx *f, enum sip_txn_event_type type)
{
	int n = 0;

	for (int i = 0; i < f->nev; i++)
		n += f->ev[i].type == type;
	return n;
}

FX const struct ev *fx_last_ev(const struct fx *f)
{
	assert_true(f->nev > 0);
	return &f->ev[f->nev - 1];
}

#endif

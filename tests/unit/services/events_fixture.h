/* Shared fixture for the events notifier tests: a manual clock, captured NOTIFYs
 * (parsed back with the msg layer), persisted records, and helpers that build real
 * SUBSCRIBE / PUBLISH requests as text and parse them. */
#ifndef EVENTS_FIXTURE_H
#define EVENTS_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/events.h"
#include "siphon/msg.h"

#define FX_MAX_NOTIFY 64

struct fx_notify {
	struct sip_msg *msg;
	uint64_t sub_id;
	bool terminated, has_body;
	char next_hop[128];
};

struct fx {
	struct sip_events *ev;
	int64_t now;
	int64_t timer;
	struct fx_notify n[FX_MAX_NOTIFY];
	size_t nn;
	const char *blocked;   /* watcher URI answered REJECT */
	const char *pending;   /* watcher URI answered PENDING */
	size_t sub_puts, sub_dels, pub_puts, pub_dels;
	/* Last persisted subscription, deep copy (for restore). */
	char sub_buf[4096];
	struct sip_events_sub_record sub_rec;
	bool sub_rec_removed;
	char pub_buf[4096];
	struct sip_events_pub_record pub_rec;
	int seq;
};

static inline int64_t fx_now(void *arg)
{
	return ((struct fx *)arg)->now;
}

static inline enum sip_events_policy fx_authorize(void *arg, struct sip_str resource,
						  struct sip_str package, struct sip_str watcher)
{
	struct fx *f = arg;

	(void)resource;
	(void)package;
	if (f->blocked && sip_str_eq(watcher, sip_str_from_cstr(f->blocked)))
		return SIP_EVENTS_REJECT;
	if (f->pending && sip_str_eq(watcher, sip_str_from_cstr(f->pending)))
		return SIP_EVENTS_PENDING;
	return SIP_EVENTS_ALLOW;
}

static inline void fx_send(void *arg, const struct sip_events_notify *n)
{
	struct fx *f = arg;
	struct sip_parse_error perr;
	struct fx_notify *c;

	assert_true(f->nn < FX_MAX_NOTIFY);
	c = &f->n[f->nn++];
	assert_int_equal(sip_msg_parse(&c->msg, n->msg.p, n->msg.len, NULL, &perr), 0);
	c->sub_id = n->sub_id;
	c->terminated = n->terminated;
	c->has_body = n->has_body;
	sip_str_copy(c->next_hop, sizeof(c->next_hop), n->next_hop);
}

/* Copy a slice into buf at *off, repointing dst. */
static inline void fx_keep(char *buf, size_t cap, size_t *off, struct sip_str *dst)
{
	assert_true(*off + dst->len + 1 <= cap);
	if (dst->len)
		memcpy(buf + *off, dst->p, dst->len);
	dst->p = buf + *off;
	*off += dst->len + 1;
}

static inline void fx_persist_sub(void *arg, const struct sip_events_sub_record *r, bool removed)
{
	struct fx *f = arg;
	size_t off = 0;
	struct sip_events_sub_record *k = &f->sub_rec;

	if (removed)
		f->sub_dels++;
	else
		f->sub_puts++;
	*k = *r;
	f->sub_rec_removed = removed;
	struct sip_str *fields[] = { &k->call_id, &k->local_tag, &k->remote_tag, &k->event, &k->event_id,
				     &k->resource, &k->watcher, &k->contact, &k->route_set, &k->local_uri,
				     &k->remote_uri, &k->accept, &k->transport, &k->dest, &k->local,
				     &k->last_etag, &k->suppress_etag };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fx_keep(f->sub_buf, sizeof(f->sub_buf), &off, fields[i]);
}

static inline void fx_persist_pub(void *arg, const struct sip_events_pub_record *r, bool removed)
{
	struct fx *f = arg;
	size_t off = 0;
	struct sip_events_pub_record *k = &f->pub_rec;

	if (removed)
		f->pub_dels++;
	else
		f->pub_puts++;
	*k = *r;
	struct sip_str *fields[] = { &k->entity, &k->event, &k->etag, &k->content_type, &k->body };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		fx_keep(f->pub_buf, sizeof(f->pub_buf), &off, fields[i]);
}

static inline void fx_set_timer(void *arg, int64_t at)
{
	((struct fx *)arg)->timer = at;
}

static inline void fx_clear(struct fx *f)
{
	for (size_t i = 0; i < f->nn; i++)
		sip_msg_free(f->n[i].msg);
	f->nn = 0;
}

static inline void fx_start(struct fx *f)
{
	struct sip_events_config cfg = { .min_expires = 60, .max_expires = 7200,
					 .contact = SIP_STR("<sip:ps.example.com:5060>") };
	struct sip_events_ops ops = { .now = fx_now, .authorize = fx_authorize, .send_notify = fx_send,
				      .persist_sub = fx_persist_sub, .persist_pub = fx_persist_pub,
				      .set_timer = fx_set_timer, .arg = f };

	f->now = 1000000;
	f->timer = INT64_MAX;
	assert_int_equal(sip_events_alloc(&f->ev, &cfg, &ops), 0);
}

static inline void fx_stop(struct fx *f)
{
	fx_clear(f);
	sip_events_free(f->ev);
	f->ev = NULL;
}

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fx_start(f);
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	fx_stop(f);
	free(f);
	return 0;
}

/* A message from header lines ("\n"-separated, no Content-Length) and a body:
 * CRLF line ends, Content-Length computed, then parsed. */
static inline struct sip_msg *fx_parse(const char *hdrs, const char *body)
{
	char buf[8192];
	size_t n = 0;
	struct sip_msg *m;
	struct sip_parse_error perr;

	for (const char *p = hdrs; *p; p++) {
		assert_true(n + 2 < sizeof(buf));
		if (*p == '\n')
			buf[n++] = '\r';
		buf[n++] = *p;
	}
	n += (size_t)snprintf(buf + n, sizeof(buf) - n, "Content-Length: %zu\r\n\r\n%s",
			      body ? strlen(body) : 0, body ? body : "");
	assert_true(n < sizeof(buf));
	assert_int_equal(sip_msg_parse(&m, buf, n, NULL, &perr), 0);
	return m;
}

/* Serialize a response built by the core and parse it back. */
static inline struct sip_msg *fx_resp(struct sip_out *o)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m;
	struct sip_parse_error perr;

	assert_non_null(o);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	assert_int_equal(sip_msg_parse(&m, b.p, b.len, NULL, &perr), 0);
	sip_buf_free(&b);
	sip_out_free(o);
	return m;
}

struct fx_sub {
	const char *ruri;      /* default sip:bob@example.com */
	const char *from;      /* default sip:alice@example.com */
	const char *call_id;   /* default derived from seq */
	const char *from_tag;  /* default "a1" */
	const char *to_tag;    /* NULL: initial */
	const char *event;     /* default "presence" */
	int expires;           /* -1: absent */
	const char *sim;       /* Suppress-If-Match */
	int cseq;
	const char *extra;     /* more header lines, each ending "\n" */
	const char *transport; /* where it arrived: default "UDP" */
	const char *local;     /* default "192.0.2.1:5060" */
};

/* Send a SUBSCRIBE through the core; returns the parsed response. */
static inline struct sip_msg *fx_subscribe(struct fx *f, const struct fx_sub *s)
{
	char hdrs[4096], exp[48] = "", sim[128] = "", totag[96] = "";
	struct sip_events_req req = { .transport = SIP_STR("UDP"), .local = SIP_STR("192.0.2.1:5060"),
				      .dest = SIP_STR("192.0.2.10:5060") };
	struct sip_out *o = NULL;
	struct sip_msg *resp;

	if (s->transport)
		req.transport = sip_str_from_cstr(s->transport);
	if (s->local)
		req.local = sip_str_from_cstr(s->local);
	if (s->expires >= 0)
		snprintf(exp, sizeof(exp), "Expires: %d\n", s->expires);
	if (s->sim)
		snprintf(sim, sizeof(sim), "Suppress-If-Match: %s\n", s->sim);
	if (s->to_tag)
		snprintf(totag, sizeof(totag), ";tag=%s", s->to_tag);
	snprintf(hdrs, sizeof(hdrs),
		 "SUBSCRIBE %s SIP/2.0\n"
		 "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKsub%d\n"
		 "Max-Forwards: 70\n"
		 "From: <%s>;tag=%s\n"
		 "To: <%s>%s\n"
		 "Call-ID: %s\n"
		 "CSeq: %d SUBSCRIBE\n"
		 "Contact: <sip:alice@192.0.2.10:5060>\n"
		 "Event: %s\n"
		 "%s%s%s",
		 s->ruri ? s->ruri : "sip:bob@example.com", ++f->seq,
		 s->from ? s->from : "sip:alice@example.com", s->from_tag ? s->from_tag : "a1",
		 s->ruri ? s->ruri : "sip:bob@example.com", totag,
		 s->call_id ? s->call_id : "call-1@192.0.2.10", s->cseq ? s->cseq : 1,
		 s->event ? s->event : "presence", exp, sim, s->extra ? s->extra : "");
	req.msg = fx_parse(hdrs, NULL);
	assert_int_equal(sip_events_subscribe(f->ev, &o, &req), 0);
	resp = fx_resp(o);
	sip_msg_free(req.msg);
	return resp;
}

struct fx_pub {
	const char *ruri;      /* default sip:bob@example.com */
	const char *event;     /* default presence */
	int expires;           /* -1: absent */
	const char *ifmatch;
	const char *ctype;     /* default application/pidf+xml when body */
	const char *body;
};

static inline struct sip_msg *fx_publish(struct fx *f, const struct fx_pub *p)
{
	char hdrs[4096], exp[48] = "", ifm[128] = "", ct[128] = "";
	struct sip_events_req req = { .transport = SIP_STR("UDP") };
	struct sip_out *o = NULL;
	struct sip_msg *resp;

	if (p->expires >= 0)
		snprintf(exp, sizeof(exp), "Expires: %d\n", p->expires);
	f->seq++;
	if (p->ifmatch)
		snprintf(ifm, sizeof(ifm), "SIP-If-Match: %s\n", p->ifmatch);
	if (p->body)
		snprintf(ct, sizeof(ct), "Content-Type: %s\n", p->ctype ? p->ctype : "application/pidf+xml");
	snprintf(hdrs, sizeof(hdrs),
		 "PUBLISH %s SIP/2.0\n"
		 "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKpub%d\n"
		 "Max-Forwards: 70\n"
		 "From: <%s>;tag=p1\n"
		 "To: <%s>\n"
		 "Call-ID: pub-%d@192.0.2.20\n"
		 "CSeq: 1 PUBLISH\n"
		 "Event: %s\n"
		 "%s%s%s",
		 p->ruri ? p->ruri : "sip:bob@example.com", f->seq,
		 p->ruri ? p->ruri : "sip:bob@example.com", p->ruri ? p->ruri : "sip:bob@example.com",
		 f->seq, p->event ? p->event : "presence", exp, ifm, ct);
	req.msg = fx_parse(hdrs, p->body);
	assert_int_equal(sip_events_publish(f->ev, &o, &req), 0);
	resp = fx_resp(o);
	sip_msg_free(req.msg);
	return resp;
}

/* Value of a header (first line) as a NUL-terminated copy in out. */
static inline const char *fx_hdr(struct sip_msg *m, enum sip_hdr_id id, char *out, size_t cap)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (!h)
		return NULL;
	sip_str_copy(out, cap, h->value);
	return out;
}

static inline void fx_assert_hdr(struct sip_msg *m, enum sip_hdr_id id, const char *want)
{
	char buf[512];

	assert_non_null(fx_hdr(m, id, buf, sizeof(buf)));
	assert_string_equal(buf, want);
}

/* The To tag of a response (to continue the dialog). */
static inline void fx_to_tag(struct sip_msg *resp, char *out, size_t cap)
{
	const struct sip_addr *to;

	assert_int_equal(sip_msg_to(resp, &to), 0);
	assert_true(to->tag.len > 0);
	sip_str_copy(out, cap, to->tag);
}

static inline void fx_etag(struct sip_msg *m, char *out, size_t cap)
{
	struct sip_str t;

	assert_int_equal(sip_msg_etag(m, SIP_HDR_SIP_ETAG, &t), 0);
	assert_true(t.len > 0);
	sip_str_copy(out, cap, t);
}

static const char FX_PIDF_OPEN[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@example.com\">\n"
	"<tuple id=\"t1\"><status><basic>open</basic></status><contact>sip:bob@pc.example.com</contact></tuple>\n"
	"</presence>\n";

static const char FX_PIDF_CLOSED[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@example.com\">\n"
	"<tuple id=\"t1\"><status><basic>closed</basic></status></tuple>\n"
	"</presence>\n";

#endif

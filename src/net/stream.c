/* Stream connections (TCP, and TLS through its sip_transport_ops): listeners,
 * outgoing connections, framing with the parser's incremental mode, connection
 * reuse, and the limits that keep a hostile peer from holding memory: a cap on
 * connections, on bytes buffered per connection (both ways) and an idle timeout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"
#include "siphon/build.h"
#include "siphon/buf.h"
#include "siphon/err.h"
#include "siphon/log.h"

#define LISTEN_BACKLOG 128

/* --- indexes --- */

static size_t addr_hash(enum sip_tp tp, const struct sip_net_addr *a)
{
	/* FNV-1a over transport, port and IP bytes. */
	const unsigned char *p;
	size_t n, h = 2166136261u;
	uint16_t port = sip_net_addr_port(a);

	if (a->u.sa.sa_family == AF_INET6) {
		p = (const unsigned char *)&a->u.in6.sin6_addr;
		n = 16;
	} else {
		p = (const unsigned char *)&a->u.in4.sin_addr;
		n = 4;
	}
	h = (h ^ (size_t)tp) * 16777619u;
	h = (h ^ (port & 0xff)) * 16777619u;
	h = (h ^ (port >> 8)) * 16777619u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % NET_CONN_BUCKETS;
}

static void key_unlink(struct sip_conn *c, int k)
{
	struct conn_key *key = &c->keys[k], **pp;

	if (!key->set)
		return;
	pp = &c->net->by_key[addr_hash(c->ops->tp, &key->addr)];
	while (*pp && *pp != key)
		pp = &(*pp)->next;
	if (*pp)
		*pp = key->next;
	key->next = NULL;
	key->set = false;
}

static void key_link(struct sip_conn *c, int k, const struct sip_net_addr *a)
{
	struct conn_key *key = &c->keys[k], **head;

	key_unlink(c, k);
	key->addr = *a;
	key->conn = c;
	key->set = true;
	head = &c->net->by_key[addr_hash(c->ops->tp, a)];
	key->next = *head;
	*head = key;
}

static struct sip_conn *conn_find_key(const struct sip_net *net, enum sip_tp tp,
				      const struct sip_net_addr *a)
{
	struct sip_conn *alias = NULL;

	for (struct conn_key *k = net->by_key[addr_hash(tp, a)]; k; k = k->next) {
		if (k->conn->ops->tp != tp || !sip_net_addr_eq(&k->addr, a))
			continue;
		if (k == &k->conn->keys[0])
			return k->conn; /* the real remote address wins over an alias */
		if (!alias)
			alias = k->conn;
	}
	return alias;
}

struct sip_conn *sip_conn_find_id(const struct sip_net *net, uint64_t id)
{
	struct sip_conn *c;

	if (id == 0)
		return NULL;
	for (c = net->by_id[id % NET_CONN_BUCKETS]; c; c = c->id_next) {
		if (c->id == id)
			return c;
	}
	return NULL;
}

static void conn_unlink(struct sip_conn *c)
{
	struct sip_net *net = c->net;
	struct sip_conn **pp = &net->by_id[c->id % NET_CONN_BUCKETS];

	while (*pp && *pp != c)
		pp = &(*pp)->id_next;
	if (*pp)
		*pp = c->id_next;
	for (int k = 0; k < CONN_KEYS; k++)
		key_unlink(c, k);
	if (c->all_prev)
		c->all_prev->all_next = c->all_next;
	else
		net->conns = c->all_next;
	if (c->all_next)
		c->all_next->all_prev = c->all_prev;
	net->nconns--;
}

void sip_conn_set_alias(struct sip_conn *c, const struct sip_net_addr *alias)
{
	if (c->state == CONN_CLOSING || sip_net_addr_eq(alias, &c->remote))
		return;
	if (c->keys[1].set && sip_net_addr_eq(alias, &c->keys[1].addr))
		return;
	key_link(c, 1, alias);
}

void sip_conn_src(const struct sip_conn *c, struct sip_net_src *src)
{
	memset(src, 0, sizeof(*src));
	src->tp = c->ops->tp;
	src->remote = c->remote;
	src->local = c->local;
	src->lis = c->lis;
	src->conn_id = c->id;
}

/* --- lifecycle --- */

static void conn_handle_closed(uv_handle_t *h)
{
	struct sip_conn *c = h->data;
	struct sip_net *net = c->net;

	if (--c->handles == 0) {
		if (c->ops->free)
			c->ops->free(c);
		free(c->rbuf);
		free(c->pend);
		free(c->tls_host);
		free(c);
	}
	sip_net_handle_closed(net);
}

static struct sip_conn *conn_new(struct sip_net *net, const struct sip_transport_ops *ops,
				 struct sip_listener *lis)
{
	struct sip_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (uv_tcp_init(net->loop, &c->tcp) != 0) {
		free(c);
		return NULL;
	}
	uv_timer_init(net->loop, &c->timer);
	c->tcp.data = c->timer.data = c;
	c->handles = 2;
	net->nhandles += 2;
	c->net = net;
	c->ops = ops;
	c->lis = lis;
	c->server = lis != NULL;
	c->state = CONN_CONNECTING;
	c->id = net->next_conn_id++;
	c->id_next = net->by_id[c->id % NET_CONN_BUCKETS];
	net->by_id[c->id % NET_CONN_BUCKETS] = c;
	c->all_next = net->conns;
	if (net->conns)
		net->conns->all_prev = c;
	net->conns = c;
	net->nconns++;
	c->last_active = uv_now(net->loop);
	return c;
}

void sip_conn_close(struct sip_conn *c, int err)
{
	struct sip_net *net = c->net;
	bool undelivered = c->plen > 0 || c->wqueued > 0;
	char where[SIP_NET_ADDRSTR];

	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	conn_unlink(c);
	if (sip_log_enabled(SIP_LOG_DEBUG)) {
		sip_net_addr_format(where, &c->remote);
		sip_log_debug("net", "%s connection %llu with %s closed: %s", sip_tp_name(c->ops->tp),
			      (unsigned long long)c->id, where, err ? sip_strerror(err) : "done");
	}
	uv_close((uv_handle_t *)&c->tcp, conn_handle_closed);
	uv_close((uv_handle_t *)&c->timer, conn_handle_closed);
	/* The user callback comes last (STYLE.md 12); c stays allocated until the
	 * close callbacks run, on a later loop turn. */
	if (!net->closing)
		sip_net_report_close(net, c, err, undelivered);
}

static void conn_touch(struct sip_conn *c)
{
	c->last_active = uv_now(c->net->loop);
}

static void conn_timer_cb(uv_timer_t *t)
{
	struct sip_conn *c = t->data;
	uint64_t now = uv_now(c->net->loop), idle = c->net->cfg.idle_timeout_ms;

	if (c->state != CONN_READY) {
		sip_conn_close(c, SIP_ETIMEOUT); /* connect or handshake took too long */
		return;
	}
	/* The timer is not restarted on every read (a heap operation each time): it
	 * fires once per idle period and re-arms for what is left. */
	if (now - c->last_active >= idle) {
		sip_conn_close(c, 0);
		return;
	}
	uv_timer_start(&c->timer, conn_timer_cb, idle - (now - c->last_active), 0);
}

/* --- writing --- */

struct write_req {
	uv_write_t req;
	struct sip_conn *c;
	size_t len;
	char data[];
};

static void conn_written(uv_write_t *req, int status)
{
	struct write_req *w = (struct write_req *)req;
	struct sip_conn *c = w->c;

	c->wqueued -= w->len;
	free(w);
	if (status < 0) {
		sip_conn_close(c, status);
		return;
	}
	if (c->close_after_write && c->wqueued == 0)
		sip_conn_close(c, 0);
}

int sip_conn_write_raw(struct sip_conn *c, const char *buf, size_t len)
{
	struct write_req *w;
	uv_buf_t b;
	int n;

	if (c->state == CONN_CLOSING)
		return SIP_ETRANSPORT;
	/* A peer that does not read must not make us hold unbounded memory. */
	if (c->wqueued + len > c->net->cfg.max_conn_wbuf) {
		sip_conn_close(c, SIP_ETOOBIG);
		return SIP_ETOOBIG;
	}
	conn_touch(c);
	b = uv_buf_init((char *)buf, (unsigned)len);
	n = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
	if (n == (int)len)
		return 0;
	if (n < 0 && n != UV_EAGAIN) {
		sip_conn_close(c, n);
		return n;
	}
	if (n < 0)
		n = 0;
	w = malloc(sizeof(*w) + len - (size_t)n);
	if (!w) {
		sip_conn_close(c, -ENOMEM);
		return -ENOMEM;
	}
	w->c = c;
	w->len = len - (size_t)n;
	memcpy(w->data, buf + n, w->len);
	b = uv_buf_init(w->data, (unsigned)w->len);
	n = uv_write(&w->req, (uv_stream_t *)&c->tcp, &b, 1, conn_written);
	if (n) {
		free(w);
		sip_conn_close(c, n);
		return n;
	}
	c->wqueued += w->len;
	return 0;
}

/* SIP bytes: through the transport now, or queued until the connection is up. */
static int conn_send(struct sip_conn *c, const char *buf, size_t len)
{
	size_t cap;
	char *p;

	if (c->state == CONN_READY)
		return c->ops->write(c, buf, len);
	if (c->state == CONN_CLOSING)
		return SIP_ETRANSPORT;
	if (c->plen + len > c->net->cfg.max_conn_wbuf)
		return SIP_ETOOBIG;
	if (c->plen + len > c->pcap) {
		cap = c->pcap ? c->pcap : 4096;
		while (cap < c->plen + len)
			cap *= 2;
		p = realloc(c->pend, cap);
		if (!p)
			return -ENOMEM;
		c->pend = p;
		c->pcap = cap;
	}
	memcpy(c->pend + c->plen, buf, len);
	c->plen += len;
	return 0;
}

/* --- reading and framing --- */

static void conn_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct sip_conn *c = h->data;

	(void)suggested;
	/* Every read lands in the net's shared buffer: the common case (whole
	 * messages per read) is framed and parsed straight from it, and only the
	 * tail of an incomplete message is copied into the connection. */
	*buf = uv_buf_init(c->net->sbuf, (unsigned)c->net->sbuf_size);
}

static void conn_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct sip_conn *c = s->data;
	int err;

	if (c->state == CONN_CLOSING || nread == 0)
		return;
	if (nread < 0) {
		sip_conn_close(c, nread == UV_EOF ? (c->plen || c->wqueued ? -ECONNRESET : 0)
						  : (int)nread);
		return;
	}
	conn_touch(c);
	err = c->ops->read(c, buf->base, (size_t)nread);
	if (err < 0)
		sip_conn_close(c, err);
}

/* The answer to a request whose framing failed. When its header section is
 * complete and parses (e.g. only Content-Length is missing), a real response
 * (RFC 3261 8.2.6: Via, From, To with a tag, Call-ID, CSeq) the client can match;
 * otherwise just the status line, which still tells a human what went wrong. */
static int frame_error_answer(struct sip_buf *b, const struct sip_conn *c, const char *p,
			      size_t n, unsigned status, const char *reason)
{
	const char *end = memmem(p, n, "\r\n\r\n", 4);
	struct sip_msg *m = NULL;
	struct sip_out *o = NULL;
	char tag[SIP_TAG_SIZE];
	int err = -1;

	if (end && sip_msg_parse(&m, p, (size_t)(end + 4 - p), &c->net->cfg.limits, NULL) == 0 &&
	    m->is_request && sip_tag_new(tag, sizeof(tag)) == 0 &&
	    sip_out_response_to(&o, m, (int)status, reason, sip_str_from_cstr(tag)) == 0)
		err = sip_out_serialize(o, b);
	sip_out_free(o);
	sip_msg_free(m);
	if (err == 0)
		return 0;
	sip_buf_reset(b);
	return sip_buf_printf(b, "SIP/2.0 %u %s\r\nContent-Length: 0\r\n\r\n", status, reason);
}

/* RFC 3261 18.3: a framing error on a stream cannot be resynchronised; answer
 * the request (when it is one) with the parser's status and reason, then close
 * once the answer is written. */
static void conn_frame_error(struct sip_conn *c, const char *p, size_t n,
			     const struct sip_parse_error *perr, int err)
{
	struct sip_buf resp = SIP_BUF_INIT;
	char where[SIP_NET_ADDRSTR];
	unsigned status = perr->status >= 400 && perr->status < 700 ? perr->status : 400;
	const char *reason = perr->reason ? perr->reason : "Bad Request";
	int werr;

	sip_net_addr_format(where, &c->remote);
	sip_log_debug("net", "%s framing error from %s: %s (%s at %zu)", sip_tp_name(c->ops->tp),
		      where, sip_strerror(err), reason, perr->offset);
	uv_read_stop((uv_stream_t *)&c->tcp);
	/* Never answer a response (RFC 3261 8.2) or an ACK (17.2.1). */
	if ((n >= 4 && memcmp(p, "SIP/", 4) == 0) || (n >= 4 && memcmp(p, "ACK ", 4) == 0) ||
	    frame_error_answer(&resp, c, p, n, status, reason) != 0) {
		sip_buf_free(&resp);
		sip_conn_close(c, 0);
		return;
	}
	c->close_after_write = true;
	werr = c->ops->write(c, resp.p, resp.len);
	sip_buf_free(&resp);
	if (werr == 0 && c->state != CONN_CLOSING && c->wqueued == 0)
		sip_conn_close(c, 0);
}

/* RFC 5626 3.5.1: a CRLF CRLF "ping" between messages is answered with a CRLF
 * "pong"; lone CRLFs are ignored (RFC 3261 7.5). Returns the bytes consumed. */
static size_t conn_keepalive(struct sip_conn *c, const char *p, size_t n)
{
	static const char ping[4] = { '\r', '\n', '\r', '\n' };
	size_t i;

	for (i = 0; i < n && (p[i] == '\r' || p[i] == '\n'); i++) {
		if (p[i] == ping[c->ka])
			c->ka++;
		else
			c->ka = p[i] == '\r' ? 1 : 0;
		if (c->ka == 4) {
			c->ka = 0;
			c->ops->write(c, "\r\n", 2);
			if (c->state != CONN_READY)
				return i + 1;
		}
	}
	return i;
}

int sip_conn_input(struct sip_conn *c, const char *buf, size_t len)
{
	const struct sip_limits *lim = &c->net->cfg.limits;
	size_t max = c->net->cfg.max_conn_rbuf;
	const char *p;
	size_t n, off = 0, last, skip, mlen, rest;
	struct sip_parse_error perr;
	struct sip_net_src src;
	int r = SIP_EINCOMPLETE;

	if (c->close_after_write)
		return 0; /* answered a framing error: nothing more is read */
	if (c->rlen == 0) {
		p = buf; /* zero copy: frame straight from the read buffer */
		n = len;
		last = 0;
	} else {
		/* rlen <= max here and len <= the read buffer: bounded. */
		if (c->rlen + len > c->rcap) {
			size_t cap = c->rcap ? c->rcap : 4096;
			char *np;

			while (cap < c->rlen + len)
				cap *= 2;
			np = realloc(c->rbuf, cap);
			if (!np)
				return -ENOMEM;
			c->rbuf = np;
			c->rcap = cap;
		}
		memcpy(c->rbuf + c->rlen, buf, len);
		c->rlen += len;
		p = c->rbuf;
		n = c->rlen;
		last = c->last_len;
	}
	/* The headers are complete and the body length known: wait for it all
	 * without framing again. */
	if (p == c->rbuf && c->need > 0 && n < c->need)
		goto keep;
	while (off < n && c->state == CONN_READY) {
		if (p[off] == '\r' || p[off] == '\n') {
			off += conn_keepalive(c, p + off, n - off);
			last = 0;
			continue;
		}
		c->ka = 0;
		memset(&perr, 0, sizeof(perr));
		skip = mlen = 0;
		r = sip_msg_frame(p + off, n - off, last, lim, &skip, &mlen, &perr);
		if (r == SIP_EINCOMPLETE) {
			/* last_len is only valid while the headers are incomplete. */
			c->need = mlen ? skip + mlen : 0;
			c->last_len = mlen ? 0 : n - off;
			break;
		}
		c->need = 0;
		c->last_len = 0;
		if (r != 0) {
			conn_frame_error(c, p + off, n - off, &perr, r);
			return 0;
		}
		sip_conn_src(c, &src);
		sip_net_deliver(c->net, p + off + skip, mlen, &src);
		off += skip + mlen;
		last = 0;
	}
	if (c->state != CONN_READY)
		return 0;
keep:
	rest = n - off;
	if (rest > max) {
		/* Headers that never end (or a body beyond the limit the parser did
		 * not catch): close without buffering more; RFC 3261 21.5.7. */
		struct sip_parse_error big = { 513, "Message Too Large", n };

		conn_frame_error(c, p + off, rest, &big, SIP_ETOOBIG);
		return 0;
	}
	if (p == c->rbuf) {
		if (off > 0 && rest > 0)
			memmove(c->rbuf, c->rbuf + off, rest);
		c->rlen = rest;
	} else if (rest > 0) {
		size_t cap = c->rcap;

		if (cap < rest) {
			char *np;

			cap = 4096;
			while (cap < rest)
				cap *= 2;
			np = realloc(c->rbuf, cap);
			if (!np)
				return -ENOMEM;
			c->rbuf = np;
			c->rcap = cap;
		}
		memcpy(c->rbuf, p + off, rest);
		c->rlen = rest;
	}
	if (rest == 0) {
		c->need = 0;
		c->last_len = 0;
	}
	if (rest == 0 && c->rcap > 16384) {
		/* Give back a buffer a big message grew; idle connections stay small. */
		free(c->rbuf);
		c->rbuf = NULL;
		c->rcap = 0;
	}
	return 0;
}

/* --- setup --- */

void sip_conn_ready(struct sip_conn *c)
{
	int err;

	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_READY;
	conn_touch(c);
	uv_timer_start(&c->timer, conn_timer_cb, c->net->cfg.idle_timeout_ms, 0);
	if (c->plen > 0) {
		size_t n = c->plen;

		/* Hand the queue over before writing: a write error closes c. */
		c->plen = 0;
		err = c->ops->write(c, c->pend, n);
		if (err < 0) {
			c->plen = n;
			sip_conn_close(c, err);
			return;
		}
		free(c->pend);
		c->pend = NULL;
		c->pcap = 0;
	}
}

static int conn_start(struct sip_conn *c)
{
	int namelen = sizeof(c->local.u);
	int err;

	uv_tcp_nodelay(&c->tcp, 1);
	uv_tcp_getsockname(&c->tcp, &c->local.u.sa, &namelen);
	c->state = CONN_HANDSHAKE;
	uv_timer_start(&c->timer, conn_timer_cb, c->net->cfg.connect_timeout_ms, 0);
	err = uv_read_start((uv_stream_t *)&c->tcp, conn_alloc, conn_read);
	if (err)
		return err;
	return c->ops->start(c);
}

static void reject_closed(uv_handle_t *h)
{
	struct sip_net *net = h->data;

	free(h);
	sip_net_handle_closed(net);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct sip_listener *lis = server->data;
	struct sip_net *net = lis->net;
	struct sip_conn *c;
	int namelen = sizeof(c->remote.u);
	int err;

	if (status < 0 || net->closing) {
		sip_log_debug("net", "accept: %s", uv_strerror(status));
		return;
	}
	if (net->nconns >= net->cfg.max_conns) {
		/* Take the connection off the backlog and close it at once: a refused
		 * peer costs one short-lived handle, never a buffer. */
		uv_tcp_t *t = malloc(sizeof(*t));

		/* One warning per minute at most: a flood must not flood the log too. */
		if (!net->cap_logged || uv_now(net->loop) - net->cap_logged >= 60000) {
			net->cap_logged = uv_now(net->loop);
			sip_log_warn("net", "connection cap (%u) reached: refusing %s connections",
				     net->cfg.max_conns, sip_tp_name(lis->tp));
		}
		if (!t || uv_tcp_init(net->loop, t) != 0) {
			free(t);
			return;
		}
		t->data = net;
		net->nhandles++;
		uv_accept(server, (uv_stream_t *)t);
		uv_close((uv_handle_t *)t, reject_closed);
		return;
	}
	c = conn_new(net, lis->ops, lis);
	if (!c)
		return;
	err = uv_accept(server, (uv_stream_t *)&c->tcp);
	if (!err)
		err = uv_tcp_getpeername(&c->tcp, &c->remote.u.sa, &namelen);
	if (!err)
		err = c->ops->init(c, true);
	if (!err) {
		key_link(c, 0, &c->remote);
		err = conn_start(c);
	}
	if (err)
		sip_conn_close(c, err);
}

static void listener_closed(uv_handle_t *h)
{
	struct sip_listener *lis = h->data;
	struct sip_net *net = lis->net;

	free(lis);
	sip_net_handle_closed(net);
}

int sip_stream_listen(struct sip_listener *lis)
{
	struct sip_net *net = lis->net;
	int family = lis->addr.u.sa.sa_family;
	int namelen = sizeof(lis->addr.u);
	int err;

	err = uv_tcp_init_ex(net->loop, &lis->h.tcp, (unsigned)family);
	if (err) {
		free(lis);
		return err;
	}
	lis->h.tcp.data = lis;
	net->nhandles++;
	err = uv_tcp_bind(&lis->h.tcp, &lis->addr.u.sa, family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
	if (!err)
		err = uv_listen((uv_stream_t *)&lis->h.tcp, LISTEN_BACKLOG, on_connection);
	if (!err)
		err = uv_tcp_getsockname(&lis->h.tcp, &lis->addr.u.sa, &namelen);
	if (err) {
		uv_close((uv_handle_t *)&lis->h.tcp, listener_closed);
		return err;
	}
	return 0;
}

void sip_stream_close_listener(struct sip_listener *lis)
{
	uv_close((uv_handle_t *)&lis->h.tcp, listener_closed);
}

static void conn_connected(uv_connect_t *req, int status)
{
	struct sip_conn *c = req->data;
	int err;

	if (c->state == CONN_CLOSING)
		return;
	if (status < 0) {
		sip_conn_close(c, status);
		return;
	}
	err = conn_start(c);
	if (err)
		sip_conn_close(c, err);
}

int sip_stream_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		    size_t len, uint64_t *conn_id)
{
	const struct sip_transport_ops *ops = dst->tp == SIP_TP_TLS ? &sip_tls_ops : &sip_tcp_ops;
	struct sip_conn *c = sip_conn_find_id(net, dst->conn_id);
	int err;

	if (c && c->ops->tp != dst->tp)
		c = NULL;
	/* RFC 3261 18.2.2 / RFC 5923: a response goes back on its request's
	 * connection; otherwise any open connection to that address and transport. */
	if (!c)
		c = conn_find_key(net, dst->tp, &dst->remote);
	if (!c) {
		if (net->nconns >= net->cfg.max_conns)
			return SIP_ETOOBIG;
		if (dst->tp == SIP_TP_TLS) {
			err = sip_tls_ctx_init(net, false);
			if (err)
				return err;
		}
		c = conn_new(net, ops, NULL);
		if (!c)
			return -ENOMEM;
		c->remote = dst->remote;
		if (dst->tp == SIP_TP_TLS && dst->tls_host.len > 0) {
			/* Kept only by TLS client connections that name a domain. */
			c->tls_host = malloc(dst->tls_host.len + 1);
			if (!c->tls_host) {
				sip_conn_close(c, 0);
				return -ENOMEM;
			}
			sip_str_copy(c->tls_host, dst->tls_host.len + 1, dst->tls_host);
		}
		err = c->ops->init(c, false);
		if (!err) {
			c->connect_req.data = c;
			err = uv_tcp_connect(&c->connect_req, &c->tcp, &dst->remote.u.sa,
					     conn_connected);
		}
		if (err) {
			sip_conn_close(c, 0);
			return err;
		}
		key_link(c, 0, &c->remote);
		uv_timer_start(&c->timer, conn_timer_cb, net->cfg.connect_timeout_ms, 0);
	}
	err = conn_send(c, buf, len);
	if (err)
		return err;
	if (conn_id)
		*conn_id = c->id;
	return 0;
}

/* --- plain TCP --- */

static int tcp_init(struct sip_conn *c, bool server)
{
	(void)c;
	(void)server;
	return 0;
}

static int tcp_start(struct sip_conn *c)
{
	sip_conn_ready(c);
	return 0;
}

static int tcp_read(struct sip_conn *c, const char *buf, size_t len)
{
	return sip_conn_input(c, buf, len);
}

static int tcp_write(struct sip_conn *c, const char *buf, size_t len)
{
	return sip_conn_write_raw(c, buf, len);
}

const struct sip_transport_ops sip_tcp_ops = {
	.tp = SIP_TP_TCP,
	.init = tcp_init,
	.start = tcp_start,
	.read = tcp_read,
	.write = tcp_write,
	.free = NULL,
};

/* The transport set: configuration, listeners, sending, closing, and the parse
 * step that turns received bytes into messages for the layer above. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"
#include "siphon/err.h"
#include "siphon/log.h"

/* Shared stream read buffer: one TLS record or a good TCP read. */
#define NET_SBUF_SIZE (64 * 1024)

int sip_net_alloc(struct sip_net **netp, const struct sip_net_config *cfg)
{
	struct sip_net *net;

	if (!cfg || !cfg->loop || !cfg->on_recv)
		return -EINVAL;
	net = calloc(1, sizeof(*net));
	if (!net)
		return -ENOMEM;
	net->sbuf_size = NET_SBUF_SIZE;
	net->sbuf = malloc(net->sbuf_size);
	if (!net->sbuf) {
		free(net);
		return -ENOMEM;
	}
	net->loop = cfg->loop;
	net->cfg = *cfg;
	if (!net->cfg.limits.max_msg_size)
		net->cfg.limits.max_msg_size = 65535;
	if (!net->cfg.max_conns)
		net->cfg.max_conns = 1024;
	if (!net->cfg.max_conn_rbuf)
		net->cfg.max_conn_rbuf = net->cfg.limits.max_msg_size;
	if (!net->cfg.max_conn_wbuf)
		net->cfg.max_conn_wbuf = 1024 * 1024;
	if (!net->cfg.idle_timeout_ms)
		net->cfg.idle_timeout_ms = 120000;
	if (!net->cfg.connect_timeout_ms)
		net->cfg.connect_timeout_ms = 10000;
	net->next_conn_id = 1;
	*netp = net;
	return 0;
}

/* What lis tells peers (sip_listener_advertised): the spec's advertise=, else
 * the primary address for a wildcard bind, else the bound address. The port is
 * the bound one (the kernel's, when the spec asked for 0) unless given. */
static void listener_advertise(struct sip_listener *lis, const struct sip_net_hostport *want)
{
	uint16_t port = sip_net_addr_port(&lis->addr);

	if (want && want->host[0]) {
		lis->adv = *want;
		lis->adv_explicit = true;
		if (!lis->adv.port)
			lis->adv.port = port;
		return;
	}
	if (sip_net_addr_is_any(&lis->addr)) {
		struct sip_net_addr a;

		sip_net_primary_addr(&a, lis->addr.u.sa.sa_family);
		sip_net_addr_host(lis->adv.host, &a);
	} else {
		sip_net_addr_host(lis->adv.host, &lis->addr);
	}
	lis->adv.port = port;
}

int sip_net_listen(struct sip_net *net, const struct sip_listen_spec *spec,
		   struct sip_listener **lisp)
{
	struct sip_listener *lis;
	char where[SIP_NET_ADDRSTR];
	int err;

	if (net->closing)
		return -EINVAL;
	lis = calloc(1, sizeof(*lis));
	if (!lis)
		return -ENOMEM;
	lis->net = net;
	lis->tp = spec->tp;
	lis->addr = spec->addr;
	/* On failure the listen functions free lis (through uv_close once a handle
	 * exists). */
	switch (spec->tp) {
	case SIP_TP_UDP:
		err = sip_udp_listen(lis);
		break;
	case SIP_TP_TLS:
		err = sip_tls_ctx_init(net, true);
		if (err) {
			free(lis);
			return err;
		}
		lis->ops = &sip_tls_ops;
		err = sip_stream_listen(lis);
		break;
	case SIP_TP_TCP:
		lis->ops = &sip_tcp_ops;
		err = sip_stream_listen(lis);
		break;
	default:
		free(lis);
		return -ENOTSUP;
	}
	if (err)
		return err;
	lis->next = net->listeners;
	net->listeners = lis;
	listener_advertise(lis, &spec->advertise);
	sip_net_addr_format(where, &lis->addr);
	if (lis->adv_explicit || sip_net_addr_is_any(&lis->addr))
		sip_log_info("net", "listening on %s:%s, advertising %s:%u", sip_tp_name(lis->tp),
			     where, lis->adv.host, lis->adv.port);
	else
		sip_log_info("net", "listening on %s:%s", sip_tp_name(lis->tp), where);
	if (lisp)
		*lisp = lis;
	return 0;
}

const struct sip_net_addr *sip_listener_addr(const struct sip_listener *lis)
{
	return &lis->addr;
}

enum sip_tp sip_listener_tp(const struct sip_listener *lis)
{
	return lis->tp;
}

const struct sip_net_hostport *sip_listener_advertised(const struct sip_listener *lis)
{
	return &lis->adv;
}

bool sip_listener_advertise_explicit(const struct sip_listener *lis)
{
	return lis->adv_explicit;
}

struct sip_listener *sip_net_listener_next(struct sip_net *net, struct sip_listener *prev)
{
	return prev ? prev->next : net->listeners;
}

static size_t hostport_format(char *dst, const char *host, uint16_t port)
{
	int n = snprintf(dst, SIP_NET_HOSTPORTSTR, "%s:%u", host, port);

	return n > 0 && n < SIP_NET_HOSTPORTSTR ? (size_t)n : 0;
}

size_t sip_net_src_advertised(char *dst, const struct sip_net_src *src)
{
	const struct sip_listener *lis = src->lis;
	int fam = src->local.u.sa.sa_family;

	dst[0] = '\0';
	if (lis && lis->adv_explicit)
		return hostport_format(dst, lis->adv.host, lis->adv.port);
	if ((fam == AF_INET || fam == AF_INET6) && !sip_net_addr_is_any(&src->local))
		return sip_net_addr_format(dst, &src->local);
	if (lis)
		return hostport_format(dst, lis->adv.host, lis->adv.port);
	return 0;
}

void sip_net_self_each(struct sip_net *net, sip_net_self_cb cb, void *arg)
{
	struct ifaddrs *ifs = NULL;
	bool ifs_read = false;
	char host[SIP_NET_IPSTR + 2];

	for (struct sip_listener *l = net->listeners; l; l = l->next) {
		uint16_t port = sip_net_addr_port(&l->addr);
		int fam = l->addr.u.sa.sa_family;

		cb(arg, sip_str_from_cstr(l->adv.host), l->adv.port);
		if (!sip_net_addr_is_any(&l->addr)) {
			cb(arg, (struct sip_str){ host, sip_net_addr_host(host, &l->addr) }, port);
			continue;
		}
		/* A wildcard socket is reached at every address of its family. */
		if (!ifs_read) {
			ifs_read = true;
			if (getifaddrs(&ifs) != 0)
				ifs = NULL;
		}
		for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
			struct sip_net_addr a;

			if (!i->ifa_addr || i->ifa_addr->sa_family != fam)
				continue;
			memset(&a, 0, sizeof(a));
			memcpy(&a.u, i->ifa_addr, fam == AF_INET6 ? sizeof(a.u.in6) : sizeof(a.u.in4));
			cb(arg, (struct sip_str){ host, sip_net_addr_host(host, &a) }, port);
		}
	}
	if (ifs)
		freeifaddrs(ifs);
}

static bool addr_is_loopback(const struct sip_net_addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return (ntohl(a->u.in4.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->u.in6.sin6_addr);
}

struct sip_listener *sip_net_find_listener(struct sip_net *net, enum sip_tp tp,
					   const struct sip_net_addr *want)
{
	struct sip_listener *best = NULL;
	int best_score = -1;

	/* Same family required; then a socket that can reach want: a wildcard
	 * bind, or loopback for loopback and the rest for the rest. Ties go to
	 * the listener opened first (the list is newest first). */
	for (struct sip_listener *l = net->listeners; l; l = l->next) {
		int score = 0;

		if (l->tp != tp)
			continue;
		if (want) {
			if (l->addr.u.sa.sa_family != want->u.sa.sa_family)
				continue;
			if (sip_net_addr_is_any(&l->addr) ||
			    addr_is_loopback(&l->addr) == addr_is_loopback(want))
				score = 1;
		}
		if (score >= best_score) {
			best = l;
			best_score = score;
		}
	}
	return best;
}

int sip_net_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		 size_t len, uint64_t *conn_id)
{
	int err;

	if (net->closing || !dst || !buf || len == 0)
		return -EINVAL;
	switch (dst->tp) {
	case SIP_TP_UDP:
		err = sip_udp_send(net, dst, buf, len);
		if (!err && conn_id)
			*conn_id = 0;
		return err;
	case SIP_TP_TCP:
	case SIP_TP_TLS:
		return sip_stream_send(net, dst, buf, len, conn_id);
	case SIP_TP_WS:
	case SIP_TP_WSS:
		return -ENOTSUP; /* RFC 7118: a sip_transport_ops to come */
	default:
		return -EINVAL;
	}
}

void sip_net_handle_closed(struct sip_net *net)
{
	sip_net_closed_cb cb;
	void *arg;

	if (--net->nhandles > 0 || !net->closing)
		return;
	cb = net->closed_cb;
	arg = net->closed_arg;
	sip_tls_ctx_free(net);
	free(net->sbuf);
	free(net->pbuf);
	free(net);
	if (cb)
		cb(arg);
}

void sip_net_cork(struct sip_net *net)
{
	net->cork++;
}

void sip_net_uncork(struct sip_net *net)
{
	if (net->cork && --net->cork == 0)
		sip_udp_flush(net);
}

void sip_net_close(struct sip_net *net, sip_net_closed_cb cb, void *arg)
{
	struct sip_listener *lis, *next;

	if (net->closing)
		return;
	sip_udp_flush(net);
	net->cork = 0;
	net->closing = true;
	net->closed_cb = cb;
	net->closed_arg = arg;
	while (net->conns)
		sip_conn_close(net->conns, 0);
	for (lis = net->listeners; lis; lis = next) {
		next = lis->next;
		if (lis->tp == SIP_TP_UDP)
			sip_udp_close(lis);
		else
			sip_stream_close_listener(lis);
	}
	net->listeners = NULL;
	/* Nothing open at all: finish now (uv_close callbacks would never come). */
	if (net->nhandles == 0) {
		net->nhandles = 1;
		sip_net_handle_closed(net);
	}
}

unsigned sip_net_conn_count(const struct sip_net *net)
{
	return net->nconns;
}

bool sip_net_conn_alive(const struct sip_net *net, uint64_t conn_id)
{
	return sip_conn_find_id(net, conn_id) != NULL;
}

/* RFC 5923 5: a peer that puts ";alias" in its Via asks us to reach its sent-by
 * over the connection it opened. Accepted only when the sent-by host is the
 * address the connection comes from, so a peer can only alias its own address;
 * lookups prefer a connection's real remote address over an alias. */
void sip_net_alias_from_via(struct sip_net *net, struct sip_msg *msg,
			    const struct sip_net_src *src)
{
	const struct sip_via *via;
	struct sip_net_addr host, alias;
	struct sip_str val;
	struct sip_conn *c = sip_conn_find_id(net, src->conn_id);

	if (!c || sip_msg_via(msg, 0, &via) != 0 ||
	    sip_param_find(via->params, "alias", &val) != 0)
		return;
	if (sip_net_addr_set(&host, via->host, 0) != 0 ||
	    host.u.sa.sa_family != src->remote.u.sa.sa_family)
		return;
	alias = src->remote;
	sip_net_addr_set_port(&host, sip_net_addr_port(&alias));
	if (!sip_net_addr_eq(&host, &alias))
		return; /* another IP: not the peer's own address */
	sip_net_addr_set_port(&alias, via->has_port ? via->port : sip_tp_default_port(src->tp));
	sip_conn_set_alias(c, &alias);
}

void sip_net_report_close(struct sip_net *net, const struct sip_conn *c, int err,
			  bool undelivered)
{
	sip_net_error_cb on_error = undelivered && err ? net->cfg.on_error : NULL;
	sip_net_conn_closed_cb on_closed = net->cfg.on_conn_closed;
	struct sip_net_dest d;

	memset(&d, 0, sizeof(d));
	d.tp = c->ops->tp;
	d.remote = c->remote;
	d.conn_id = c->id;
	d.lis = c->lis;
	/* Loss first (the transaction layer fails its transactions), then the
	 * connection's end. A callback may call sip_net_close: the net stays
	 * allocated (c's handles are still closing) but says no more. */
	net->err_detail = c->err_detail;
	if (on_error)
		on_error(&d, err, net->cfg.arg);
	if (on_closed && !net->closing)
		on_closed(&d, err, net->cfg.arg);
	net->err_detail = NULL;
}

const char *sip_net_error_detail(const struct sip_net *net)
{
	return net->err_detail ? net->err_detail : "";
}

/* The parse step (RFC 3261 18.3): one datagram, or one frame cut by
 * sip_msg_frame, becomes a struct sip_msg. Unparseable input is dropped here
 * and logged at debug level: the sender of a broken datagram cannot be trusted to
 * be a SIP element (and a stream's framing errors are answered in stream.c). */
void sip_net_deliver(struct sip_net *net, const char *buf, size_t len,
		     const struct sip_net_src *src)
{
	struct sip_parse_error perr = { 0, NULL, 0 };
	struct sip_msg *msg;
	char where[SIP_NET_ADDRSTR];
	int err;

	err = sip_msg_parse(&msg, buf, len, &net->cfg.limits, &perr);
	if (err) {
		if (sip_log_enabled(SIP_LOG_DEBUG)) {
			sip_net_addr_format(where, &src->remote);
			sip_log_debug("net", "dropped %zu bytes from %s:%s: %s (%s at %zu)", len,
				      sip_tp_name(src->tp), where, sip_strerror(err),
				      perr.reason ? perr.reason : "-", perr.offset);
		}
		if (net->cfg.on_bad && err != -ENOMEM)
			net->cfg.on_bad(buf, len, &perr, src, net->cfg.arg);
		return;
	}
	if (msg->is_request && src->conn_id)
		sip_net_alias_from_via(net, msg, src);
	net->cfg.on_recv(msg, src, net->cfg.arg);
}

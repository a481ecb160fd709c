/* Via processing at the transport layer: received/rport on requests (RFC 3261
 * 18.2.1, RFC 3581 4), where responses go (RFC 3261 18.2.2, RFC 3581 4), the
 * transport a URI asks for, and the UDP to TCP switch for big requests (18.1.1). */
#include <errno.h>
#include <string.h>

#include "net_int.h"
#include "siphon/build.h"
#include "siphon/buf.h"
#include "siphon/err.h"
#include "siphon/log.h"

static bool same_ip(const struct sip_net_addr *a, const struct sip_net_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	return memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
}

int sip_net_via_fix(struct sip_net_via_fix *out, struct sip_msg *req,
		    const struct sip_net_src *src)
{
	const struct sip_via *via;
	struct sip_net_via_fix f;
	struct sip_net_addr host;
	int err;

	err = sip_msg_via(req, 0, &via);
	if (err)
		return err;
	memset(&f, 0, sizeof(f));
	sip_net_addr_ip(f.received, &src->remote);
	f.rport = sip_net_addr_port(&src->remote);
	/* RFC 3261 18.2.1: received= when sent-by is a name or another IP. */
	f.add_received = !((via->host_type == SIP_HOST_IPV4 || via->host_type == SIP_HOST_IPV6) &&
			   sip_net_addr_set(&host, via->host, 0) == 0 &&
			   same_ip(&host, &src->remote));
	/* RFC 3581 4: with rport, the source port goes into rport and received is
	 * added even when it equals sent-by. */
	if (via->has_rport) {
		f.fill_rport = true;
		f.add_received = true;
	}
	*out = f;
	return 0;
}

int sip_net_via_apply(struct sip_out *o, struct sip_msg *req, const struct sip_net_via_fix *fix)
{
	const struct sip_hdr *h;
	struct sip_str rest, top, param, name;
	struct sip_buf b = SIP_BUF_INIT;
	long semi;
	int err = 0;

	if (!fix->add_received && !fix->fill_rport)
		return 0;
	h = sip_msg_hdr(req, SIP_HDR_VIA);
	if (!h)
		return SIP_ENOTFOUND;
	rest = h->value;
	if (!sip_list_next(&rest, &top))
		return SIP_EPARSE;
	/* sent-protocol and sent-by, then each parameter but received and rport. */
	semi = sip_str_chr(top, ';');
	rest = semi < 0 ? SIP_STR_NULL
			: (struct sip_str){ top.p + semi + 1, top.len - (size_t)semi - 1 };
	err = sip_buf_append(&b, top.p, semi < 0 ? top.len : (size_t)semi);
	while (!err && rest.len > 0) {
		long eq;

		semi = sip_str_chr(rest, ';');
		param = semi < 0 ? rest : (struct sip_str){ rest.p, (size_t)semi };
		rest = semi < 0 ? SIP_STR_NULL
				: (struct sip_str){ rest.p + semi + 1, rest.len - (size_t)semi - 1 };
		param = sip_str_trim(param);
		eq = sip_str_chr(param, '=');
		name = sip_str_trim(eq < 0 ? param : (struct sip_str){ param.p, (size_t)eq });
		if (param.len == 0 || sip_str_caseeq_cstr(name, "received") ||
		    sip_str_caseeq_cstr(name, "rport"))
			continue;
		err = sip_buf_append(&b, ";", 1);
		if (!err)
			err = sip_buf_append_str(&b, param);
	}
	/* RFC 3261 20.42 / RFC 3581: received carries the bare IP (no brackets). */
	if (!err && fix->add_received) {
		err = sip_buf_append(&b, ";received=", 10);
		if (!err)
			err = sip_buf_append_cstr(&b, fix->received);
	}
	if (!err && fix->fill_rport) {
		err = sip_buf_append(&b, ";rport=", 7);
		if (!err)
			err = sip_buf_append_u64(&b, fix->rport);
	}
	if (!err)
		err = sip_out_via_pop(o);
	if (!err)
		err = sip_out_via_push(o, sip_buf_str(&b));
	sip_buf_free(&b);
	return err;
}

static bool is_multicast(const struct sip_net_addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return (ntohl(a->u.in4.sin_addr.s_addr) >> 28) == 0xe;
	return a->u.in6.sin6_addr.s6_addr[0] == 0xff;
}

int sip_net_response_dest_via(struct sip_net_dest *out, const struct sip_via *via)
{
	struct sip_net_dest d;
	enum sip_tp tp = sip_tp_from_str(via->transport);
	struct sip_str ip;
	uint16_t port;

	if (tp == SIP_TP_NONE)
		return SIP_EPARSE;
	memset(&d, 0, sizeof(d));
	d.tp = tp;
	port = via->has_port ? via->port : sip_tp_default_port(tp);
	if (!sip_tp_reliable(tp) && via->maddr.len > 0) {
		/* 18.2.2: maddr, with the sent-by port. */
		if (sip_net_addr_set(&d.remote, via->maddr, port) != 0)
			return SIP_ENOTFOUND; /* a name: resolve it first */
		if (is_multicast(&d.remote)) {
			sip_log_debug("net", "response to multicast maddr %.*s: not supported",
				      SIP_STR_ARG(via->maddr));
			return -ENOTSUP;
		}
		*out = d;
		return 0;
	}
	/* 18.2.2: received, else the sent-by host itself when it is an IP. */
	ip = via->received.len > 0 ? via->received : via->host;
	if (sip_net_addr_set(&d.remote, ip, port) != 0)
		return SIP_ENOTFOUND;
	/* RFC 3581 4: unreliable transport, received and rport: that IP and port. */
	if (!sip_tp_reliable(tp) && via->received.len > 0 && via->has_rport && via->rport != 0)
		sip_net_addr_set_port(&d.remote, via->rport);
	*out = d;
	return 0;
}

int sip_net_response_dest(struct sip_net_dest *out, struct sip_msg *req,
			  const struct sip_net_src *src)
{
	const struct sip_via *via;
	struct sip_net_via_fix fix;
	struct sip_via v;
	struct sip_net_dest d;
	int err;

	err = sip_msg_via(req, 0, &via);
	if (!err)
		err = sip_net_via_fix(&fix, req, src);
	if (err)
		return err;
	v = *via;
	if (fix.add_received)
		v.received = sip_str_from_cstr(fix.received);
	if (fix.fill_rport)
		v.rport = fix.rport;
	err = sip_net_response_dest_via(&d, &v);
	if (err)
		return err;
	if (sip_tp_reliable(src->tp)) {
		/* 18.2.2: back on the request's connection while it is open. */
		d.tp = src->tp;
		d.conn_id = src->conn_id;
	} else {
		d.lis = src->lis;
	}
	*out = d;
	return 0;
}

int sip_net_uri_tp(enum sip_tp *out, const struct sip_uri *uri)
{
	enum sip_tp tp;

	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return -EINVAL;
	if (uri->transport.len > 0) {
		tp = sip_tp_from_str(uri->transport);
		if (tp == SIP_TP_NONE)
			return -EINVAL;
	} else {
		tp = uri->scheme == SIP_URI_SIPS ? SIP_TP_TLS : SIP_TP_UDP;
	}
	if (uri->scheme == SIP_URI_SIPS) {
		/* RFC 3261 26.2.2: sips is TLS on every hop; transport=tcp means TLS
		 * over TCP, and there is no sips over UDP. */
		if (tp == SIP_TP_UDP)
			return -EINVAL;
		if (tp == SIP_TP_TCP)
			tp = SIP_TP_TLS;
		if (tp == SIP_TP_WS)
			tp = SIP_TP_WSS;
	}
	*out = tp;
	return 0;
}

enum sip_tp sip_net_request_tp(enum sip_tp tp, size_t len, bool tcp_allowed)
{
	if (tp == SIP_TP_UDP && len > SIP_NET_UDP_MTU_LIMIT && tcp_allowed)
		return SIP_TP_TCP;
	return tp;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_token(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+' ||
	       c == '`' || c == '\'' || c == '~';
}

int sip_net_via_set_tp(char *buf, size_t len, enum sip_tp tp)
{
	const char *name = sip_tp_name(tp);
	size_t nlen = strlen(name), i = 0, line;

	if (nlen == 0)
		return -EINVAL;
	/* Skip the start line, then look at each header line's name. */
	while (i < len && buf[i] != '\n')
		i++;
	while (++i < len) {
		size_t n;
		int slashes = 0;

		line = i;
		if (buf[i] == '\r' || buf[i] == '\n')
			return SIP_ENOTFOUND; /* end of headers */
		while (i < len && is_token(buf[i]))
			i++;
		n = i - line;
		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i < len && buf[i] == ':' &&
		    ((n == 3 && sip_str_caseeq((struct sip_str){ buf + line, 3 }, SIP_STR("Via"))) ||
		     (n == 1 && (buf[line] == 'v' || buf[line] == 'V')))) {
			/* sent-protocol = name LWS? "/" LWS? version LWS? "/" LWS? transport */
			for (i++; i < len && slashes < 2; i++) {
				if (buf[i] == '/')
					slashes++;
				else if (!is_ws(buf[i]) && !is_token(buf[i]))
					return SIP_EPARSE;
			}
			while (i < len && is_ws(buf[i]))
				i++;
			n = i;
			while (i < len && is_token(buf[i]))
				i++;
			if (slashes < 2 || i == n)
				return SIP_EPARSE;
			if (i - n != nlen)
				return -EINVAL;
			memcpy(buf + n, name, nlen);
			return 0;
		}
		while (i < len && buf[i] != '\n')
			i++;
	}
	return SIP_ENOTFOUND;
}

int sip_net_send_request(struct sip_net *net, const struct sip_net_dest *dst, char *buf,
			 size_t len, bool tcp_allowed, enum sip_tp *used_tp, uint64_t *conn_id)
{
	struct sip_net_dest d = *dst;
	int err;

	d.tp = sip_net_request_tp(dst->tp, len, tcp_allowed);
	if (d.tp != dst->tp) {
		/* 18.1.1: the top Via must name the transport actually used. */
		err = sip_net_via_set_tp(buf, len, d.tp);
		if (err)
			return err;
		d.conn_id = 0;
		d.lis = NULL;
	}
	err = sip_net_send(net, &d, buf, len, conn_id);
	if (err)
		return err;
	if (used_tp)
		*used_tp = d.tp;
	return 0;
}

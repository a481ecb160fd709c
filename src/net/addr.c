/* Transport names, socket addresses and listen specs. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "siphon/net.h"

static const char *const tp_names[SIP_TP__COUNT] = {
	[SIP_TP_NONE] = "", [SIP_TP_UDP] = "UDP", [SIP_TP_TCP] = "TCP",
	[SIP_TP_TLS] = "TLS", [SIP_TP_WS] = "WS", [SIP_TP_WSS] = "WSS",
};

const char *sip_tp_name(enum sip_tp tp)
{
	return (unsigned)tp < SIP_TP__COUNT ? tp_names[tp] : "";
}

enum sip_tp sip_tp_from_str(struct sip_str s)
{
	for (int t = SIP_TP_UDP; t < SIP_TP__COUNT; t++) {
		if (sip_str_caseeq_cstr(s, tp_names[t]))
			return (enum sip_tp)t;
	}
	return SIP_TP_NONE;
}

bool sip_tp_reliable(enum sip_tp tp)
{
	return tp == SIP_TP_TCP || tp == SIP_TP_TLS || tp == SIP_TP_WS || tp == SIP_TP_WSS;
}

uint16_t sip_tp_default_port(enum sip_tp tp)
{
	/* RFC 3261 19.1.2; RFC 7118 has no SIP default (the HTTP ports apply). */
	switch (tp) {
	case SIP_TP_TLS: return 5061;
	case SIP_TP_WS: return 80;
	case SIP_TP_WSS: return 443;
	default: return 5060;
	}
}

int sip_net_addr_set(struct sip_net_addr *out, struct sip_str ip, uint16_t port)
{
	char tmp[SIP_NET_IPSTR];
	struct sip_net_addr a;

	if (ip.len >= 2 && ip.p[0] == '[' && ip.p[ip.len - 1] == ']') {
		ip.p++;
		ip.len -= 2;
	}
	if (ip.len == 0 || ip.len >= sizeof(tmp))
		return -EINVAL;
	memcpy(tmp, ip.p, ip.len);
	tmp[ip.len] = '\0';
	memset(&a, 0, sizeof(a));
	if (inet_pton(AF_INET, tmp, &a.u.in4.sin_addr) == 1) {
		a.u.in4.sin_family = AF_INET;
		a.u.in4.sin_port = htons(port);
	} else if (inet_pton(AF_INET6, tmp, &a.u.in6.sin6_addr) == 1) {
		a.u.in6.sin6_family = AF_INET6;
		a.u.in6.sin6_port = htons(port);
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

uint16_t sip_net_addr_port(const struct sip_net_addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return ntohs(a->u.in4.sin_port);
	if (a->u.sa.sa_family == AF_INET6)
		return ntohs(a->u.in6.sin6_port);
	return 0;
}

void sip_net_addr_set_port(struct sip_net_addr *a, uint16_t port)
{
	if (a->u.sa.sa_family == AF_INET)
		a->u.in4.sin_port = htons(port);
	else if (a->u.sa.sa_family == AF_INET6)
		a->u.in6.sin6_port = htons(port);
}

bool sip_net_addr_eq(const struct sip_net_addr *a, const struct sip_net_addr *b)
{
	if (a->u.sa.sa_family != b->u.sa.sa_family)
		return false;
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_port == b->u.in4.sin_port &&
		       a->u.in4.sin_addr.s_addr == b->u.in4.sin_addr.s_addr;
	if (a->u.sa.sa_family == AF_INET6)
		return a->u.in6.sin6_port == b->u.in6.sin6_port &&
		       memcmp(&a->u.in6.sin6_addr, &b->u.in6.sin6_addr, 16) == 0;
	return false;
}

/* Dotted quad without inet_ntop, whose IPv4 path is a sprintf: every response's
 * received= and every registration's source go through here. */
static size_t ip4_format(char *dst, const unsigned char *ip)
{
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		unsigned v = ip[i];
		if (v >= 100)
			dst[n++] = (char)('0' + v / 100);
		if (v >= 10)
			dst[n++] = (char)('0' + v / 10 % 10);
		dst[n++] = (char)('0' + v % 10);
		if (i < 3)
			dst[n++] = '.';
	}
	dst[n] = '\0';
	return n;
}

static size_t u16_format(char *dst, unsigned v)
{
	char tmp[6];
	size_t k = 0, n = 0;

	do {
		tmp[k++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (k)
		dst[n++] = tmp[--k];
	dst[n] = '\0';
	return n;
}

size_t sip_net_addr_ip(char *dst, const struct sip_net_addr *a)
{
	const void *src = a->u.sa.sa_family == AF_INET6 ? (const void *)&a->u.in6.sin6_addr
							 : (const void *)&a->u.in4.sin_addr;

	if (a->u.sa.sa_family == AF_INET)
		return ip4_format(dst, (const unsigned char *)&a->u.in4.sin_addr);
	if ((a->u.sa.sa_family != AF_INET && a->u.sa.sa_family != AF_INET6) ||
	    !inet_ntop(a->u.sa.sa_family, src, dst, SIP_NET_IPSTR)) {
		dst[0] = '\0';
		return 0;
	}
	return strlen(dst);
}

size_t sip_net_addr_format(char *dst, const struct sip_net_addr *a)
{
	char ip[SIP_NET_IPSTR];
	int n;

	if (a->u.sa.sa_family == AF_INET) {
		size_t k = ip4_format(dst, (const unsigned char *)&a->u.in4.sin_addr);
		dst[k++] = ':';
		return k + u16_format(dst + k, sip_net_addr_port(a));
	}
	sip_net_addr_ip(ip, a);
	if (a->u.sa.sa_family == AF_INET6)
		n = snprintf(dst, SIP_NET_ADDRSTR, "[%s]:%u", ip, sip_net_addr_port(a));
	else
		n = snprintf(dst, SIP_NET_ADDRSTR, "%s:%u", ip, sip_net_addr_port(a));
	return n > 0 ? (size_t)n : 0;
}

bool sip_net_addr_is_any(const struct sip_net_addr *a)
{
	if (a->u.sa.sa_family == AF_INET)
		return a->u.in4.sin_addr.s_addr == htonl(INADDR_ANY);
	if (a->u.sa.sa_family == AF_INET6)
		return IN6_IS_ADDR_UNSPECIFIED(&a->u.in6.sin6_addr);
	return false;
}

size_t sip_net_addr_host(char *dst, const struct sip_net_addr *a)
{
	size_t n;

	if (a->u.sa.sa_family != AF_INET6)
		return sip_net_addr_ip(dst, a);
	dst[0] = '[';
	n = sip_net_addr_ip(dst + 1, a);
	dst[n + 1] = ']';
	dst[n + 2] = '\0';
	return n + 2;
}

/* RFC 3261 25.1: hostname = *( domainlabel "." ) toplabel [ "." ], labels of
 * alphanumerics and inner hyphens. An IPv4 literal is such a name too. */
static bool hostname_ok(struct sip_str h)
{
	size_t label = 0;

	if (h.len == 0 || h.len > 253)
		return false;
	for (size_t i = 0; i < h.len; i++) {
		char c = h.p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (c == '.') {
			if (label == 0 || h.p[i - 1] == '-')
				return false;
			label = 0;
		} else if (alnum || (c == '-' && label > 0)) {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label == 0 || h.p[h.len - 1] != '-';
}

/* HOST[:PORT] of "/advertise=": a host name, IPv4 literal or bracketed IPv6. */
static const char *advertise_parse(struct sip_net_hostport *out, struct sip_str s)
{
	struct sip_str host = s, port_s = SIP_STR_NULL;
	struct sip_net_addr a;
	uint32_t port = 0;
	long colon;

	if (s.len > 0 && s.p[0] == '[') {
		long close = sip_str_chr(s, ']');

		if (close < 0)
			return "advertise: IPv6 address without ']'";
		host = (struct sip_str){ s.p, (size_t)close + 1 };
		if ((size_t)close + 1 < s.len) {
			if (s.p[close + 1] != ':')
				return "advertise: junk after the IPv6 address";
			port_s = (struct sip_str){ s.p + close + 2, s.len - (size_t)close - 2 };
		}
		if (sip_net_addr_set(&a, host, 0) != 0 || a.u.sa.sa_family != AF_INET6)
			return "advertise: bad IPv6 address";
		if (sip_net_addr_is_any(&a))
			return "advertise: a wildcard address cannot be advertised";
	} else {
		colon = sip_str_chr(s, ':');
		if (colon >= 0) {
			host = (struct sip_str){ s.p, (size_t)colon };
			port_s = (struct sip_str){ s.p + colon + 1, s.len - (size_t)colon - 1 };
			if (sip_str_chr(port_s, ':') >= 0)
				return "advertise: an IPv6 address needs brackets ([2001:db8::1]:5060)";
		}
		if (!hostname_ok(host))
			return "advertise: bad host name (want a name or an IP address)";
		if (sip_net_addr_set(&a, host, 0) == 0 && sip_net_addr_is_any(&a))
			return "advertise: a wildcard address cannot be advertised";
	}
	if (port_s.p && (sip_str_to_u32(port_s, &port) != 0 || port == 0 || port > 65535))
		return "advertise: bad port (want 1-65535)";
	memcpy(out->host, host.p, host.len);
	out->host[host.len] = '\0';
	out->port = (uint16_t)port;
	return NULL;
}

static const char *spec_parse(struct sip_listen_spec *out, const char *spec)
{
	static const char opt[] = "advertise=";
	struct sip_str s = sip_str_from_cstr(spec), ip, port_s;
	struct sip_listen_spec r;
	uint32_t port;
	long colon, slash;

	memset(&r, 0, sizeof(r));
	colon = sip_str_chr(s, ':');
	if (colon <= 0)
		return "want udp|tcp|tls:ADDR:PORT[/advertise=HOST[:PORT]]";
	r.tp = sip_tp_from_str((struct sip_str){ s.p, (size_t)colon });
	if (r.tp != SIP_TP_UDP && r.tp != SIP_TP_TCP && r.tp != SIP_TP_TLS)
		return "unknown transport (want udp, tcp or tls)";
	s.p += colon + 1;
	s.len -= (size_t)colon + 1;
	/* Options follow the first '/', which no address contains. */
	slash = sip_str_chr(s, '/');
	if (slash >= 0) {
		struct sip_str o = { s.p + slash + 1, s.len - (size_t)slash - 1 };
		const char *why;

		if (o.len < sizeof(opt) - 1 || memcmp(o.p, opt, sizeof(opt) - 1) != 0)
			return "unknown option after '/' (want /advertise=HOST[:PORT])";
		o.p += sizeof(opt) - 1;
		o.len -= sizeof(opt) - 1;
		why = advertise_parse(&r.advertise, o);
		if (why)
			return why;
		s.len = (size_t)slash;
	}
	/* The port follows the last ':' (an IPv6 address must be bracketed). */
	if (s.len > 0 && s.p[0] == '[') {
		long close = sip_str_chr(s, ']');

		if (close < 0 || (size_t)close + 1 >= s.len || s.p[close + 1] != ':')
			return "want [IPv6]:PORT";
		ip = (struct sip_str){ s.p, (size_t)close + 1 };
		port_s = (struct sip_str){ s.p + close + 2, s.len - (size_t)close - 2 };
	} else {
		colon = sip_str_chr(s, ':');
		if (colon < 0)
			return "no port (want ADDR:PORT)";
		ip = (struct sip_str){ s.p, (size_t)colon };
		port_s = (struct sip_str){ s.p + colon + 1, s.len - (size_t)colon - 1 };
		if (sip_str_chr(port_s, ':') >= 0)
			return "an IPv6 address needs brackets ([::]:5060)";
	}
	if (sip_str_to_u32(port_s, &port) != 0 || port > 65535)
		return "bad port (want 0-65535)";
	if (sip_net_addr_set(&r.addr, ip, (uint16_t)port) != 0)
		return "bad IP address (a listener binds an IP literal, not a name)";
	*out = r;
	return NULL;
}

int sip_listen_spec_parse(struct sip_listen_spec *out, const char *spec)
{
	return spec && !spec_parse(out, spec) ? 0 : -EINVAL;
}

const char *sip_listen_spec_check(const char *spec)
{
	struct sip_listen_spec r;

	return spec ? spec_parse(&r, spec) : "no listen address";
}

int sip_net_source_addr(struct sip_net_addr *out, const struct sip_net_addr *towards)
{
	struct sip_net_addr a;
	socklen_t alen = sizeof(a.u);
	socklen_t tlen = towards->u.sa.sa_family == AF_INET6 ? sizeof(towards->u.in6)
							      : sizeof(towards->u.in4);
	int fd, err = 0;

	if (towards->u.sa.sa_family != AF_INET && towards->u.sa.sa_family != AF_INET6)
		return -EAFNOSUPPORT;
	fd = socket(towards->u.sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A UDP connect only looks the route up and fixes the source address. */
	memset(&a, 0, sizeof(a));
	if (connect(fd, &towards->u.sa, tlen) != 0 || getsockname(fd, &a.u.sa, &alen) != 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	if (a.u.sa.sa_family != towards->u.sa.sa_family || sip_net_addr_is_any(&a))
		return -ENETUNREACH;
	sip_net_addr_set_port(&a, 0);
	*out = a;
	return 0;
}

void sip_net_primary_addr(struct sip_net_addr *out, int family)
{
	struct sip_net_addr probe;
	bool v6 = family == AF_INET6;

	(void)sip_net_addr_set(&probe, v6 ? SIP_STR("2001:db8::1") : SIP_STR("192.0.2.1"), 9);
	if (sip_net_source_addr(out, &probe) == 0)
		return;
	(void)sip_net_addr_set(out, v6 ? SIP_STR("::1") : SIP_STR("127.0.0.1"), 0);
}

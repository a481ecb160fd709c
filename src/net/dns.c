/* Locating SIP servers (RFC 3263 4) on top of the system resolver library.
 * See include/siphon/dns.h for the procedure and the blocking contract. */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "siphon/dns.h"
#include "siphon/err.h"

/* An answer fits here: a UDP answer is at most 512 bytes without EDNS0, and
 * glibc retries a truncated one over TCP, which these record sets never need. */
#define DNS_ANSWER_MAX 8192

const char *sip_dns_strerror(int err)
{
	switch (err) {
	case SIP_DNS_NXDOMAIN: return "NXDOMAIN";
	case SIP_DNS_NODATA: return "no records";
	case SIP_DNS_SERVFAIL: return "server failure or no answer";
	case SIP_DNS_BADANSWER: return "bad answer";
	default: return sip_strerror(err);
	}
}

static const unsigned all_tps = (1u << SIP_TP_UDP) | (1u << SIP_TP_TCP) | (1u << SIP_TP_TLS);

int sip_dns_query_from_uri(struct sip_dns_query *out, const struct sip_uri *uri)
{
	struct sip_dns_query q = { 0 };

	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return -EINVAL;
	/* RFC 3261 19.1.1: maddr overrides the host for the next hop. */
	q.host = uri->maddr.len ? uri->maddr : uri->host;
	q.port = uri->has_port ? uri->port : 0;
	q.sips = uri->scheme == SIP_URI_SIPS;
	if (uri->transport.len && sip_net_uri_tp(&q.tp, uri) != 0)
		return -EINVAL;
	*out = q;
	return 0;
}

/* ---- Ordering ---- */

static uint64_t rng_next(uint64_t *s)
{
	/* xorshift64: the choice needs spread, not secrecy. */
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* Move v[j] to v[i] (i <= j), shifting v[i..j) up: the rest keep their order. */
static void srv_rotate(struct sip_dns_srv *v, size_t i, size_t j)
{
	struct sip_dns_srv tmp;

	if (i == j)
		return;
	tmp = v[j];
	memmove(&v[i + 1], &v[i], (j - i) * sizeof(*v));
	v[i] = tmp;
}

void sip_dns_srv_order(struct sip_dns_srv *v, size_t n, uint64_t *rng)
{
	/* Stable insertion sort by priority (n is at most a few dozen). */
	for (size_t i = 1; i < n; i++) {
		size_t j = i;
		while (j > 0 && v[j - 1].priority > v[i].priority)
			j--;
		srv_rotate(v, j, i);
	}
	for (size_t a = 0; a < n;) {
		size_t b = a;
		while (b < n && v[b].priority == v[a].priority)
			b++;
		/* RFC 2782: weight 0 records first, then repeatedly pick one with
		 * probability weight / (sum of the unordered weights); a weight-0 record
		 * is picked only while the draw is 0 or everything left weighs 0. */
		for (size_t i = a, k = a; i < b; i++)
			if (v[i].weight == 0)
				srv_rotate(v, k++, i);
		for (size_t i = a; i + 1 < b; i++) {
			uint64_t sum = 0, run = 0, r;
			size_t j;
			for (j = i; j < b; j++)
				sum += v[j].weight;
			r = rng_next(rng) % (sum + 1);
			for (j = i; j < b; j++) {
				run += v[j].weight;
				if (run >= r)
					break;
			}
			srv_rotate(v, i, j < b ? j : b - 1);
		}
		a = b;
	}
}

void sip_dns_naptr_order(struct sip_dns_naptr *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct sip_dns_naptr tmp = v[i];
		size_t j = i;
		while (j > 0 && (v[j - 1].order > tmp.order || (v[j - 1].order == tmp.order && v[j - 1].pref > tmp.pref))) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = tmp;
	}
}

/* ---- Answer parsing ---- */

/* The answer records of type type, one at a time: 0 with *rr set, 1 at the end,
 * SIP_DNS_BADANSWER. */
static int next_rr(ns_msg *h, int *i, ns_type type, ns_rr *rr)
{
	while (*i < ns_msg_count(*h, ns_s_an)) {
		if (ns_parserr(h, ns_s_an, (*i)++, rr) != 0)
			return SIP_DNS_BADANSWER;
		if (ns_rr_type(*rr) == type && ns_rr_class(*rr) == ns_c_in)
			return 0;
	}
	return 1;
}

/* A domain name inside the RDATA [p, end): compression pointers may point back
 * into the message, never past the record. Returns its length in the RDATA. */
static int rdata_name(char *dst, size_t size, const ns_msg *h, const uint8_t *p, const uint8_t *end)
{
	int n;

	if (p >= end)
		return -1;
	n = dn_expand(ns_msg_base(*h), end, p, dst, (int)size);
	return n;
}

/* A <character-string> (RFC 1035 3.3): a length byte and that many bytes. Copied
 * NUL-terminated (too long for dst: an error). */
static int rdata_cstr(char *dst, size_t size, const uint8_t **p, const uint8_t *end)
{
	size_t len;

	if (*p >= end)
		return -1;
	len = **p;
	if ((size_t)(end - *p - 1) < len || len >= size)
		return -1;
	memcpy(dst, *p + 1, len);
	dst[len] = '\0';
	*p += 1 + len;
	return 0;
}

static int answer_init(ns_msg *h, const uint8_t *pkt, size_t len)
{
	if (len > DNS_ANSWER_MAX * 8 || ns_initparse(pkt, (int)len, h) != 0)
		return SIP_DNS_BADANSWER;
	return 0;
}

int sip_dns_parse_naptr(struct sip_dns_naptr *out, size_t max, size_t *n, const uint8_t *pkt, size_t len)
{
	ns_msg h;
	ns_rr rr;
	int i = 0, err;
	size_t k = 0;

	if ((err = answer_init(&h, pkt, len)) != 0)
		return err;
	while (k < max && (err = next_rr(&h, &i, ns_t_naptr, &rr)) == 0) {
		/* RFC 3403 4.1: ORDER, PREFERENCE, FLAGS, SERVICES, REGEXP, REPLACEMENT. */
		const uint8_t *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
		struct sip_dns_naptr *x = &out[k];
		char regexp[256];
		if (end - p < 4)
			return SIP_DNS_BADANSWER;
		x->order = (uint16_t)ns_get16(p);
		x->pref = (uint16_t)ns_get16(p + 2);
		p += 4;
		if (rdata_cstr(x->flags, sizeof(x->flags), &p, end) != 0 ||
		    rdata_cstr(x->service, sizeof(x->service), &p, end) != 0 ||
		    rdata_cstr(regexp, sizeof(regexp), &p, end) != 0 ||
		    rdata_name(x->replacement, sizeof(x->replacement), &h, p, end) < 0)
			return SIP_DNS_BADANSWER;
		k++;
	}
	if (err < 0)
		return err;
	*n = k;
	return 0;
}

int sip_dns_parse_srv(struct sip_dns_srv *out, size_t max, size_t *n, const uint8_t *pkt, size_t len)
{
	ns_msg h;
	ns_rr rr;
	int i = 0, err;
	size_t k = 0;

	if ((err = answer_init(&h, pkt, len)) != 0)
		return err;
	while (k < max && (err = next_rr(&h, &i, ns_t_srv, &rr)) == 0) {
		/* RFC 2782: Priority, Weight, Port, Target. */
		const uint8_t *p = ns_rr_rdata(rr), *end = p + ns_rr_rdlen(rr);
		struct sip_dns_srv *x = &out[k];
		if (end - p < 7)
			return SIP_DNS_BADANSWER;
		x->priority = (uint16_t)ns_get16(p);
		x->weight = (uint16_t)ns_get16(p + 2);
		x->port = (uint16_t)ns_get16(p + 4);
		if (rdata_name(x->target, sizeof(x->target), &h, p + 6, end) < 0)
			return SIP_DNS_BADANSWER;
		k++;
	}
	if (err < 0)
		return err;
	*n = k;
	return 0;
}

int sip_dns_parse_addr(struct sip_net_addr *out, size_t max, size_t *n, const uint8_t *pkt, size_t len, int family,
		       uint16_t port)
{
	ns_msg h;
	ns_rr rr;
	int i = 0, err;
	size_t k = 0;
	ns_type type = family == AF_INET6 ? ns_t_aaaa : ns_t_a;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	if ((err = answer_init(&h, pkt, len)) != 0)
		return err;
	while (k < max && (err = next_rr(&h, &i, type, &rr)) == 0) {
		struct sip_net_addr *a = &out[k];
		memset(a, 0, sizeof(*a));
		if (family == AF_INET) {
			if (ns_rr_rdlen(rr) != 4)
				return SIP_DNS_BADANSWER;
			a->u.in4.sin_family = AF_INET;
			memcpy(&a->u.in4.sin_addr, ns_rr_rdata(rr), 4);
		} else {
			if (ns_rr_rdlen(rr) != 16)
				return SIP_DNS_BADANSWER;
			a->u.in6.sin6_family = AF_INET6;
			memcpy(&a->u.in6.sin6_addr, ns_rr_rdata(rr), 16);
		}
		sip_net_addr_set_port(a, port);
		k++;
	}
	if (err < 0)
		return err;
	*n = k;
	return 0;
}

/* ---- Resolution ---- */

struct dns_ctx {
	struct __res_state rs;
	bool override;          /* SIPHON_DNS_SERVER: A/AAAA through DNS too */
	uint64_t rng;
	uint8_t ans[DNS_ANSWER_MAX];
	struct sip_dns_result *out;
	struct sip_str domain;
};

static int ctx_init(struct dns_ctx *c, const struct sip_dns_opts *o)
{
	const char *server = o && o->server ? o->server : getenv("SIPHON_DNS_SERVER");

	memset(&c->rs, 0, sizeof(c->rs));
	if (res_ninit(&c->rs) != 0)
		return SIP_DNS_SERVFAIL;
	/* Start-up waits for this: at most 2 s a try and 2 tries per server. */
	if (c->rs.retrans > 2)
		c->rs.retrans = 2;
	if (c->rs.retry > 2)
		c->rs.retry = 2;
	c->rng = o && o->seed ? o->seed : ((uint64_t)time(NULL) << 20) ^ (uint64_t)clock() ^ (uint64_t)(uintptr_t)c;
	if (server && *server) {
		/* Test-only: one IPv4 name server on any port (glibc reads nsaddr_list[i]
		 * when its family is set). */
		char ip[64];
		const char *colon = strrchr(server, ':');
		struct sockaddr_in sin = { .sin_family = AF_INET };
		char *end;
		unsigned long port = colon ? strtoul(colon + 1, &end, 10) : 0;
		size_t iplen = colon ? (size_t)(colon - server) : 0;
		if (!colon || *end || port == 0 || port > 65535 || iplen >= sizeof(ip)) {
			res_nclose(&c->rs);
			return -EINVAL;
		}
		memcpy(ip, server, iplen);
		ip[iplen] = '\0';
		if (inet_pton(AF_INET, ip, &sin.sin_addr) != 1) {
			res_nclose(&c->rs);
			return -EINVAL;
		}
		sin.sin_port = htons((uint16_t)port);
		c->rs.nsaddr_list[0] = sin;
		c->rs.nscount = 1;
		c->rs.retrans = 1;
		c->override = true;
	}
	return 0;
}

/* One query: 0 with *len, or SIP_DNS_NXDOMAIN / NODATA / SERVFAIL. */
static int query(struct dns_ctx *c, const char *name, int type, size_t *len)
{
	int n = res_nquery(&c->rs, name, ns_c_in, type, c->ans, (int)sizeof(c->ans));

	if (n < 0) {
		switch (c->rs.res_h_errno) {
		case HOST_NOT_FOUND: return SIP_DNS_NXDOMAIN;
		case NO_DATA: return SIP_DNS_NODATA;
		default: return SIP_DNS_SERVFAIL;
		}
	}
	/* res_nquery returns the full length of a truncated answer. */
	*len = (size_t)n < sizeof(c->ans) ? (size_t)n : sizeof(c->ans);
	return 0;
}

static void add_target(struct dns_ctx *c, enum sip_tp tp, const struct sip_net_addr *a, const char *host,
		       const char *srv, bool naptr)
{
	struct sip_dns_result *r = c->out;
	struct sip_dns_target *t;

	for (unsigned i = 0; i < r->n; i++)
		if (r->t[i].tp == tp && sip_net_addr_eq(&r->t[i].addr, a))
			return;
	if (r->n >= SIP_DNS_MAX_TARGETS)
		return;
	t = &r->t[r->n++];
	memset(t, 0, sizeof(*t));
	t->tp = tp;
	t->addr = *a;
	snprintf(t->host, sizeof(t->host), "%s", host);
	snprintf(t->srv, sizeof(t->srv), "%s", srv ? srv : "");
	t->naptr = naptr;
}

/* A and AAAA of host (4.2 last step, and every SRV target). 0 when at least one
 * address was added. */
static int add_addresses(struct dns_ctx *c, enum sip_tp tp, const char *host, uint16_t port, const char *srv,
			 bool naptr)
{
	struct sip_net_addr a[SIP_DNS_MAX_TARGETS];
	size_t n;
	int err = SIP_DNS_NODATA, e;
	unsigned before = c->out->n;

	if (sip_net_addr_set(&a[0], sip_str_from_cstr(host), port) == 0) {
		add_target(c, tp, &a[0], host, srv, naptr);
		return 0;
	}
	if (!c->override) {
		/* The system's name service: /etc/hosts first, then DNS. */
		struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res, *ai;
		int g = getaddrinfo(host, NULL, &hints, &res);
		if (g != 0)
			return g == EAI_NONAME ? SIP_DNS_NXDOMAIN
			     : g == EAI_NODATA || g == EAI_ADDRFAMILY ? SIP_DNS_NODATA
								     : SIP_DNS_SERVFAIL;
		for (ai = res; ai; ai = ai->ai_next) {
			struct sip_net_addr x;
			if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
				continue;
			memset(&x, 0, sizeof(x));
			memcpy(&x.u, ai->ai_addr, ai->ai_addrlen < sizeof(x.u) ? ai->ai_addrlen : sizeof(x.u));
			sip_net_addr_set_port(&x, port);
			add_target(c, tp, &x, host, srv, naptr);
		}
		freeaddrinfo(res);
		return c->out->n > before ? 0 : SIP_DNS_NODATA;
	}
	static const int fams[2] = { AF_INET, AF_INET6 };
	for (int f = 0; f < 2; f++) {
		size_t len;
		e = query(c, host, fams[f] == AF_INET ? ns_t_a : ns_t_aaaa, &len);
		if (e == 0)
			e = sip_dns_parse_addr(a, SIP_DNS_MAX_TARGETS, &n, c->ans, len, fams[f], port);
		if (e == 0)
			for (size_t i = 0; i < n; i++)
				add_target(c, tp, &a[i], host, srv, naptr);
		else if (err == SIP_DNS_NODATA || e == SIP_DNS_NXDOMAIN)
			err = e;
		if (e == SIP_DNS_NXDOMAIN)
			break; /* no AAAA either */
	}
	return c->out->n > before ? 0 : err;
}

/* SRV owner -> targets in RFC 2782 order -> their addresses. 0 when an address
 * was added; SIP_DNS_NODATA/NXDOMAIN when there is no SRV record. */
static int add_srv(struct dns_ctx *c, enum sip_tp tp, const char *owner, bool naptr)
{
	struct sip_dns_srv v[SIP_DNS_MAX_RR];
	size_t n, len, k = 0;
	int err;
	unsigned before = c->out->n;

	if ((err = query(c, owner, ns_t_srv, &len)) != 0)
		return err;
	if ((err = sip_dns_parse_srv(v, SIP_DNS_MAX_RR, &n, c->ans, len)) != 0)
		return err;
	/* RFC 2782: a Target of "." means the service is decidedly not offered. */
	for (size_t i = 0; i < n; i++)
		if (v[i].target[0] && strcmp(v[i].target, ".") != 0)
			v[k++] = v[i];
	if (k == 0)
		return SIP_DNS_NODATA;
	sip_dns_srv_order(v, k, &c->rng);
	for (size_t i = 0; i < k; i++)
		add_addresses(c, tp, v[i].target, v[i].port, owner, naptr);
	return c->out->n > before ? 0 : SIP_DNS_NODATA;
}

static const char *srv_prefix(enum sip_tp tp)
{
	/* RFC 3263 4.1: _sips for TLS, _sip otherwise. */
	switch (tp) {
	case SIP_TP_UDP: return "_sip._udp";
	case SIP_TP_TCP: return "_sip._tcp";
	default: return "_sips._tcp";
	}
}

/* RFC 3263 4.1: NAPTR records whose service the client supports, in order.
 * 0 when one of them led to an address. */
static int add_naptr(struct dns_ctx *c, const char *domain, unsigned tps, bool sips)
{
	static const struct { const char *svc; enum sip_tp tp; } svcs[] = {
		{ "SIP+D2U", SIP_TP_UDP },
		{ "SIP+D2T", SIP_TP_TCP },
		{ "SIPS+D2T", SIP_TP_TLS },
	};
	struct sip_dns_naptr v[SIP_DNS_MAX_RR];
	size_t n, len;
	int err;
	unsigned before = c->out->n;

	if ((err = query(c, domain, ns_t_naptr, &len)) != 0)
		return err;
	if ((err = sip_dns_parse_naptr(v, SIP_DNS_MAX_RR, &n, c->ans, len)) != 0)
		return err;
	sip_dns_naptr_order(v, n);
	for (size_t i = 0; i < n; i++) {
		/* 4.1: the "s" flag (the replacement is an SRV owner); other flags and
		 * regexp rewriting are not SIP's. */
		if (strcasecmp(v[i].flags, "s") != 0 || !v[i].replacement[0])
			continue;
		for (size_t s = 0; s < sizeof(svcs) / sizeof(svcs[0]); s++) {
			if (strcasecmp(v[i].service, svcs[s].svc) != 0 || !(tps & (1u << svcs[s].tp)))
				continue;
			if (sips && svcs[s].tp != SIP_TP_TLS)
				continue;
			add_srv(c, svcs[s].tp, v[i].replacement, true);
		}
	}
	return c->out->n > before ? 0 : SIP_DNS_NODATA;
}

int sip_dns_resolve(struct sip_dns_result *out, const struct sip_dns_query *q, const struct sip_dns_opts *opts)
{
	struct dns_ctx *c;
	struct sip_str h = q->host;
	char host[SIP_DNS_NAME], owner[SIP_DNS_NAME + 16];
	unsigned tps = q->tps ? q->tps : all_tps;
	enum sip_tp tp = q->tp;
	int err, nerr = 0;

	if (h.len >= 2 && h.p[0] == '[' && h.p[h.len - 1] == ']') {
		h.p++;
		h.len -= 2;
	}
	if (!h.len || h.len >= sizeof(host))
		return -EINVAL;
	sip_str_copy(host, sizeof(host), h);
	if (q->sips) {
		/* 4.1: a sips URI is TLS; transport=tcp there means TLS over TCP. */
		if (tp == SIP_TP_UDP)
			return -EINVAL;
		if (tp == SIP_TP_TCP)
			tp = SIP_TP_TLS;
		tps &= 1u << SIP_TP_TLS;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->out = calloc(1, sizeof(*c->out));
	if (!c->out) {
		free(c);
		return -ENOMEM;
	}
	struct sip_net_addr ip;
	enum sip_tp deftp = tp != SIP_TP_NONE ? tp : q->sips ? SIP_TP_TLS : SIP_TP_UDP;
	if (sip_net_addr_set(&ip, h, q->port ? q->port : sip_tp_default_port(deftp)) == 0) {
		/* 4.2: a numeric IP is used as it is. */
		add_target(c, deftp, &ip, host, NULL, false);
		c->out->t[0].numeric = true;
		err = 0;
		goto done;
	}
	if ((err = ctx_init(c, opts)) != 0)
		goto done;
	if (q->port) {
		/* 4.2: an explicit port: A/AAAA only. */
		err = add_addresses(c, deftp, host, q->port, NULL, false);
	} else if (tp != SIP_TP_NONE) {
		snprintf(owner, sizeof(owner), "%s.%s", srv_prefix(tp), host);
		err = add_srv(c, tp, owner, false);
	} else {
		nerr = err = add_naptr(c, host, tps, q->sips);
		/* No usable NAPTR: SRV for each transport the client supports. After
		 * NXDOMAIN the _sip._x names under it cannot exist either. */
		for (enum sip_tp t = SIP_TP_UDP; err && nerr != SIP_DNS_NXDOMAIN && t <= SIP_TP_TLS; t++) {
			if (!(tps & (1u << t)))
				continue;
			snprintf(owner, sizeof(owner), "%s.%s", srv_prefix(t), host);
			if (add_srv(c, t, owner, false) == 0)
				err = 0;
		}
	}
	if (err && !q->port) {
		/* 4.2: no SRV records: A/AAAA at the default port. */
		err = add_addresses(c, deftp, host, sip_tp_default_port(deftp), NULL, false);
	}
	res_nclose(&c->rs);
done:
	if (!err && c->out->n == 0)
		err = SIP_DNS_NODATA;
	if (!err)
		memcpy(out, c->out, sizeof(*out));
	free(c->out);
	free(c);
	return err;
}

size_t sip_dns_target_describe(char *dst, size_t size, const struct sip_dns_target *t, struct sip_str domain)
{
	char ip[SIP_NET_IPSTR];
	int n = 0, k;

	if (!size)
		return 0;
	dst[0] = '\0';
	sip_net_addr_ip(ip, &t->addr);
	if (t->naptr) {
		k = snprintf(dst, size, "NAPTR %.*s -> ", SIP_STR_ARG(domain));
		n = k < 0 ? 0 : k;
	}
	if (t->srv[0] && (size_t)n < size) {
		k = snprintf(dst + n, size - (size_t)n, "SRV %s -> ", t->srv);
		n += k < 0 ? 0 : k;
	}
	if ((size_t)n < size) {
		if (t->numeric)
			k = snprintf(dst + n, size - (size_t)n, "%s:%u", ip, sip_net_addr_port(&t->addr));
		else
			k = snprintf(dst + n, size - (size_t)n, "%s:%u -> %s", t->host, sip_net_addr_port(&t->addr), ip);
		n += k < 0 ? 0 : k;
	}
	return (size_t)n < size ? (size_t)n : size - 1;
}

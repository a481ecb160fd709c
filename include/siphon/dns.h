/* siphon net layer: locating SIP servers in DNS (RFC 3263 4, RFC 2782, RFC 3403).
 *
 * sip_dns_resolve turns the host part of a SIP URI into an ordered list of
 * targets (transport, address, port, and the host name the address came from):
 *
 *   numeric IP, or an explicit port   -> no NAPTR/SRV (4.2): the IP, or A/AAAA of
 *                                        the host, at that port (or the default);
 *   transport= or a fixed transport   -> SRV _sip._<tp>.host (4.1, 4.2);
 *   otherwise                         -> NAPTR host, keeping SIP+D2U, SIP+D2T,
 *                                        SIPS+D2T (only SIPS+ for a sips: URI),
 *                                        ordered by order then preference; each
 *                                        names an SRV owner; with no usable NAPTR,
 *                                        SRV for each supported transport in turn;
 *   no SRV                            -> A/AAAA of host at the default port.
 *
 * SRV records are ordered by priority, and by weighted random choice within a
 * priority (RFC 2782 "Usage rules"). Every SRV target's A and AAAA records follow
 * in that order (A first).
 *
 * It BLOCKS: res_nquery waits for the name server (bounded by the resolver's
 * retrans/retry, 2 s x 2 tries per query here). The toolkit calls it once at
 * command start-up. It must not run on a server's loop thread; to resolve from the
 * proxy, run it in libuv's thread pool (uv_queue_work with the query and a result
 * struct; the res_state is per call, so calls in several threads are safe) and
 * continue in the after-work callback, as uv_getaddrinfo does.
 *
 * Records come from the system resolver library (libresolv: res_nquery, and
 * ns_initparse/ns_parserr to walk the answer). NAPTR and SRV RDATA have no
 * libresolv accessor, so their fixed fields and character-strings are read here,
 * bounds-checked (dn_expand reads the names). A/AAAA: with the test override (see
 * sip_dns_opts.server) they are DNS queries too; otherwise getaddrinfo, so names in
 * /etc/hosts keep working. */
#ifndef SIPHON_DNS_H
#define SIPHON_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/net.h"
#include "siphon/str.h"
#include "siphon/uri.h"

#define SIP_DNS_NAME 256       /* a domain name, NUL-terminated */
#define SIP_DNS_MAX_TARGETS 16 /* addresses kept (the rest are dropped) */
#define SIP_DNS_MAX_RR 32      /* NAPTR or SRV records kept per answer */

/* Failures, besides -EINVAL / -ENOMEM. */
enum sip_dns_err {
	SIP_DNS_NXDOMAIN = -31001, /* the name does not exist */
	SIP_DNS_NODATA = -31002,   /* it exists, but with no usable record */
	SIP_DNS_SERVFAIL = -31003, /* the server failed, or no answer in time */
	SIP_DNS_BADANSWER = -31004 /* an answer that does not parse */
};
/* "NXDOMAIN", "no records", "server failure", "bad answer", or sip_strerror's. */
const char *sip_dns_strerror(int err);

/* What to resolve: the parts of a URI that RFC 3263 looks at. */
struct sip_dns_query {
	struct sip_str host;  /* a name or an IP literal (IPv6 with or without brackets) */
	uint16_t port;        /* 0: the URI has none */
	enum sip_tp tp;       /* SIP_TP_NONE: not fixed (no transport=, no --transport) */
	bool sips;            /* a sips: URI: TLS only (4.1) */
	unsigned tps;         /* transports the client supports, bits (1u << SIP_TP_x);
				 0: UDP, TCP and TLS */
};

/* The query for uri's next hop: maddr when present, else host; its port,
 * transport= and scheme. 0, or -EINVAL for a transport siphon does not have. */
int sip_dns_query_from_uri(struct sip_dns_query *out, const struct sip_uri *uri);

struct sip_dns_opts {
	/* Test-only name server "IPv4:PORT" used instead of /etc/resolv.conf (and for
	 * A/AAAA too). NULL: the environment's SIPHON_DNS_SERVER, if set. */
	const char *server;
	/* Seed of the weighted SRV choice; 0: from the clock. */
	uint64_t seed;
};

/* One place to send to, and how it was found (for the toolkit's --verbose). */
struct sip_dns_target {
	enum sip_tp tp;
	struct sip_net_addr addr;     /* with the port */
	char host[SIP_DNS_NAME];      /* the SRV target, or the URI host. Not the TLS
				         identity: RFC 5922 7.3 checks the certificate
				         against the URI's domain (the query's host),
				         as DNS is not trusted */
	char srv[SIP_DNS_NAME];       /* the SRV owner ("_sip._udp.example.com"), or "" */
	bool naptr;                   /* the SRV owner came from a NAPTR record */
	bool numeric;                 /* the URI host was an IP literal */
};

struct sip_dns_result {
	struct sip_dns_target t[SIP_DNS_MAX_TARGETS];
	unsigned n;
};

/* Resolve q (RFC 3263 4). BLOCKING, see above. 0 with out->n >= 1, or a negative
 * code (SIP_DNS_* for a DNS failure of the last step tried). */
int sip_dns_resolve(struct sip_dns_result *out, const struct sip_dns_query *q, const struct sip_dns_opts *opts);

/* "NAPTR example.com -> SRV _sip._udp.example.com -> sip1.example.com:5070 ->
 * 192.0.2.1" for target t of a resolution of domain. Returns the length. */
size_t sip_dns_target_describe(char *dst, size_t size, const struct sip_dns_target *t, struct sip_str domain);

/* ---- Answer parsing and ordering (exposed for the unit tests and fuzzer) ---- */

struct sip_dns_naptr {
	uint16_t order, pref;
	char flags[16];
	char service[32];
	char replacement[SIP_DNS_NAME];
};

struct sip_dns_srv {
	uint16_t priority, weight, port;
	char target[SIP_DNS_NAME];
};

/* The NAPTR / SRV records of the answer section of a DNS response (pkt, len);
 * other record types are skipped. *n is the count written to out (at most max).
 * 0, or SIP_DNS_BADANSWER. */
int sip_dns_parse_naptr(struct sip_dns_naptr *out, size_t max, size_t *n, const uint8_t *pkt, size_t len);
int sip_dns_parse_srv(struct sip_dns_srv *out, size_t max, size_t *n, const uint8_t *pkt, size_t len);
/* The A (AF_INET) or AAAA (AF_INET6) records of the answer, with port set. */
int sip_dns_parse_addr(struct sip_net_addr *out, size_t max, size_t *n, const uint8_t *pkt, size_t len, int family,
		       uint16_t port);

/* Order SRV records in place: ascending priority; within a priority, the RFC 2782
 * weighted random selection driven by *rng (a xorshift state, never 0). */
void sip_dns_srv_order(struct sip_dns_srv *v, size_t n, uint64_t *rng);
/* Order NAPTR records: ascending order, then preference (RFC 3403 4.1). Stable. */
void sip_dns_naptr_order(struct sip_dns_naptr *v, size_t n);

/* ---- Asynchronous resolution with a cache, for a server's loop thread ----
 *
 * sip_dns_resolve_async answers on the caller's stack when it can: an IP literal
 * (4.2, no DNS: no allocation, no thread) or a cached answer. Otherwise the
 * lookup runs sip_dns_resolve in libuv's thread pool (uv_queue_work) and cb is
 * called on the loop thread with the result. Lookups of the same query that
 * overlap share one resolution. Answers are kept pos_ttl_ms (the resolver does
 * not expose the records' TTLs: a fixed short time), failures neg_ttl_ms
 * (RFC 2308 negative caching, short). Not thread-safe: one cache per loop. */
struct sip_dns_cache;

struct sip_dns_cache_config {
	const char *server;     /* as sip_dns_opts.server (copied); NULL: environment */
	uint32_t pos_ttl_ms;    /* 0: 30000 */
	uint32_t neg_ttl_ms;    /* 0: 5000 */
	size_t max_entries;     /* 0: 1024 */
};

/* The lookup of an earlier sip_dns_resolve_async ended: err 0 and res (valid
 * during the call only), or a negative code as sip_dns_resolve's. */
typedef void (*sip_dns_done_cb)(void *arg, int err, const struct sip_dns_result *res);

#define SIP_DNS_PENDING 1 /* sip_dns_resolve_async: cb will be called */

/* loop is borrowed; cfg may be NULL. 0, -ENOMEM. */
int sip_dns_cache_alloc(struct sip_dns_cache **out, void *uv_loop, const struct sip_dns_cache_config *cfg);
/* Free the cache. Lookups still running are detached: their callbacks are not
 * called, and the last one frees what is left when the loop runs it. */
void sip_dns_cache_free(struct sip_dns_cache *c);

/* Resolve q. 0: *out is the answer now (cb is not called); a negative code: the
 * query is invalid or a cached failure (cb is not called); SIP_DNS_PENDING: cb(arg,
 * ...) will be called once, from the loop. With cb NULL nothing is started on a
 * miss: -EAGAIN. */
int sip_dns_resolve_async(struct sip_dns_cache *c, struct sip_dns_result *out, const struct sip_dns_query *q,
			  sip_dns_done_cb cb, void *arg);
/* Lookups waiting for the thread pool or running in it. */
size_t sip_dns_cache_pending(const struct sip_dns_cache *c);

#endif

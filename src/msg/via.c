/* Via header values (RFC 3261 20.42 and 25.1, RFC 3581 rport, RFC 5118 IPv6).
 *
 *   via-parm      = sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 *   sent-by       = host [ COLON port ]
 *   via-params    = via-ttl / via-maddr / via-received / via-branch / response-port
 *                   / via-extension
 * The well-known parameters are held to their own rules (a ttl of 300 or a
 * received that is not an address is an error, RFC 4475 3.1.2.4 lists the ttl
 * among the scalar fields to reject); others are generic-params. */
#include <string.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "msg_int.h"
#include "scan.h"

static inline bool is_lws_start(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* via-received = "received" EQUAL (IPv4address / IPv6address). RFC 5118 4.5 asks
 * to accept an IPv6reference (with brackets) too. */
static bool received_ok(struct sip_str v)
{
	const char *p = v.p, *e = v.p + v.len;

	if (v.len >= 2 && p[0] == '[' && e[-1] == ']')
		return sip_scan_ipv6(p + 1, e - 1, NULL);
	if (memchr(p, ':', v.len))
		return sip_scan_ipv6(p, e, NULL);
	return sip_scan_ipv4(p, e, NULL);
}

static int via_param(struct sip_via *v, const struct scan_param *prm)
{
	struct sip_str n = prm->name, val = prm->value;
	uint32_t x;

	switch (n.len) {
	case 3:
		if (SCAN_NAME_IS(n, "ttl")) {
			/* ttl = 1*3DIGIT ; 0 to 255 */
			if (prm->kind != SCAN_PV_TOKEN || val.len > 3 ||
			    sip_scan_uint(val.p, val.p + val.len, 255, &x) != val.p + val.len)
				return SIP_EPARSE;
			v->ttl = (int)x;
			return 0;
		}
		break;
	case 5:
		if (SCAN_NAME_IS(n, "rport")) {
			/* RFC 3581: response-port = "rport" [EQUAL 1*DIGIT] */
			if (prm->kind == SCAN_PV_NONE) {
				v->rport = 0;
			} else if (prm->kind != SCAN_PV_TOKEN ||
				   sip_scan_uint(val.p, val.p + val.len, 65535, &x) !=
					   val.p + val.len) {
				return SIP_EPARSE;
			} else {
				v->rport = (uint16_t)x;
			}
			v->has_rport = true;
			return 0;
		}
		if (SCAN_NAME_IS(n, "maddr")) {
			enum sip_host_type t;
			if (prm->kind == SCAN_PV_NONE || prm->kind == SCAN_PV_QUOTED ||
			    sip_scan_host(val.p, val.p + val.len, &t) != val.p + val.len)
				return SIP_EPARSE;
			v->maddr = val;
			return 0;
		}
		break;
	case 6:
		if (SCAN_NAME_IS(n, "branch")) {
			if (prm->kind != SCAN_PV_TOKEN)
				return SIP_EPARSE;
			v->branch = val;
			return 0;
		}
		break;
	case 8:
		if (SCAN_NAME_IS(n, "received")) {
			if (prm->kind == SCAN_PV_NONE || prm->kind == SCAN_PV_QUOTED ||
			    !received_ok(val))
				return SIP_EPARSE;
			v->received = val;
			return 0;
		}
		break;
	default:
		break;
	}
	return sip_scan_genvalue_ok(prm) ? 0 : SIP_EPARSE;
}

/* Parse into *v directly (zeroed here); on failure *v holds partial results
 * (see sip_addr_parse_in_). */
int sip_via_parse_in_(struct sip_via *v, struct sip_str value)
{
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s, *q;

	memset(v, 0, sizeof *v);
	v->ttl = -1;

	/* sent-protocol; SLASH = SWS "/" SWS. Nearly every Via says "SIP/2.0/":
	 * take that in one compare. */
	p = scan_lws(p, end);
	s = p;
	if (end - p >= 8 && memcmp(p, "SIP/2.0/", 8) == 0) {
		v->protocol = (struct sip_str){ p, 7 };
		p = scan_lws(p + 8, end);
		goto transport;
	}
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	p = scan_lws(p, end);
	if (p == end || *p != '/')
		return SIP_EPARSE;
	p = scan_lws(p + 1, end);
	q = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == q)
		return SIP_EPARSE;
	v->protocol = (struct sip_str){ s, (size_t)(p - s) };
	p = scan_lws(p, end);
	if (p == end || *p != '/')
		return SIP_EPARSE;
	p = scan_lws(p + 1, end);
transport:
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	v->transport = (struct sip_str){ s, (size_t)(p - s) };

	/* LWS sent-by */
	if (p == end || !is_lws_start(*p))
		return SIP_EPARSE;
	q = scan_lws(p, end);
	if (q == p)
		return SIP_EPARSE;
	p = q;
	s = p;
	p = sip_scan_host(p, end, &v->host_type);
	if (!p)
		return SIP_EPARSE;
	v->host = (struct sip_str){ s, (size_t)(p - s) };
	q = scan_lws(p, end);
	if (q < end && *q == ':') {
		uint32_t port;
		p = sip_scan_uint(scan_lws(q + 1, end), end, 65535, &port);
		if (!p)
			return SIP_EPARSE;
		v->port = (uint16_t)port;
		v->has_port = true;
	}

	/* *( SEMI via-params ) */
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0)
		if (via_param(v, &prm))
			return SIP_EPARSE;
	if (rc < 0)
		return SIP_EPARSE;
	v->params = it.all;
	return 0;
}

int sip_via_parse(struct sip_via *out, struct sip_str value)
{
	struct sip_via v;
	int e = sip_via_parse_in_(&v, value);

	if (!e)
		*out = v;
	return e;
}

bool sip_via_branch_is_rfc3261(const struct sip_via *v)
{
	/* RFC 3261 8.1.1.7: the cookie is case-sensitive. */
	return v->branch.len >= 7 && memcmp(v->branch.p, "z9hG4bK", 7) == 0;
}

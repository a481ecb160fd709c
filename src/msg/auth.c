/* Authorization, Proxy-Authorization, WWW-Authenticate and Proxy-Authenticate
 * values (RFC 3261 20.7, 20.27, 20.28, 20.44 and 25.1; RFC 7616 3.3-3.4 for
 * userhash and SHA-256 digests; RFC 8760 for SHA-512-256).
 *
 *   credentials / challenge = auth-scheme LWS auth-param *(COMMA auth-param)
 *   auth-param = auth-param-name EQUAL ( token / quoted-string )
 * For the Digest scheme the parameters the grammar defines as quoted-strings
 * (username, realm, nonce, uri, response, cnonce, opaque, domain) must be quoted.
 * A parameter may appear only once (RFC 7235 2.1); commas inside quoted strings
 * do not separate. */
#include <string.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "scan.h"

enum {
	F_USERNAME = 1u << 0, F_REALM = 1u << 1, F_NONCE = 1u << 2, F_URI = 1u << 3,
	F_RESPONSE = 1u << 4, F_ALGORITHM = 1u << 5, F_CNONCE = 1u << 6, F_OPAQUE = 1u << 7,
	F_QOP = 1u << 8, F_NC = 1u << 9, F_DOMAIN = 1u << 10, F_STALE = 1u << 11,
	F_USERHASH = 1u << 12,
	F_QUOTED = F_USERNAME | F_REALM | F_NONCE | F_URI | F_RESPONSE | F_CNONCE | F_OPAQUE |
		   F_DOMAIN,
};

/* Which field a parameter name designates, or 0. */
static unsigned field_of(struct sip_str n)
{
	switch (n.len) {
	case 2:
		return SCAN_NAME_IS(n, "nc") ? F_NC : 0;
	case 3:
		if (SCAN_NAME_IS(n, "uri"))
			return F_URI;
		return SCAN_NAME_IS(n, "qop") ? F_QOP : 0;
	case 5:
		if (SCAN_NAME_IS(n, "realm"))
			return F_REALM;
		if (SCAN_NAME_IS(n, "nonce"))
			return F_NONCE;
		return SCAN_NAME_IS(n, "stale") ? F_STALE : 0;
	case 6:
		if (SCAN_NAME_IS(n, "cnonce"))
			return F_CNONCE;
		if (SCAN_NAME_IS(n, "opaque"))
			return F_OPAQUE;
		return SCAN_NAME_IS(n, "domain") ? F_DOMAIN : 0;
	case 8:
		if (SCAN_NAME_IS(n, "username"))
			return F_USERNAME;
		if (SCAN_NAME_IS(n, "response"))
			return F_RESPONSE;
		return SCAN_NAME_IS(n, "userhash") ? F_USERHASH : 0;
	case 9:
		return SCAN_NAME_IS(n, "algorithm") ? F_ALGORITHM : 0;
	default:
		return 0;
	}
}

static bool parse_bool(struct sip_str v, bool *b)
{
	if (SCAN_NAME_IS(v, "true"))
		*b = true;
	else if (SCAN_NAME_IS(v, "false"))
		*b = false;
	else
		return false;
	return true;
}

static int set_field(struct sip_auth *a, unsigned f, struct sip_str v, bool quoted, bool digest)
{
	if (digest && (f & F_QUOTED) && !quoted)
		return SIP_EPARSE;
	switch (f) {
	case F_USERNAME: a->username = v; break;
	case F_REALM: a->realm = v; break;
	case F_NONCE: a->nonce = v; break;
	case F_URI: a->uri = v; break;
	case F_RESPONSE: a->response = v; break;
	case F_ALGORITHM: a->algorithm = v; break;
	case F_CNONCE: a->cnonce = v; break;
	case F_OPAQUE: a->opaque = v; break;
	case F_QOP: a->qop = v; break;
	case F_DOMAIN: a->domain = v; break;
	case F_NC:
		/* nonce-count = "nc" EQUAL 8LHEX */
		if (digest) {
			if (v.len != 8)
				return SIP_EPARSE;
			for (size_t i = 0; i < 8; i++)
				if (!scan_is(v.p[i], SC_HEX))
					return SIP_EPARSE;
		}
		a->nc = v;
		break;
	case F_STALE:
		if (!parse_bool(v, &a->stale))
			return SIP_EPARSE;
		break;
	case F_USERHASH:
		if (!parse_bool(v, &a->userhash))
			return SIP_EPARSE;
		break;
	default:
		break;
	}
	return 0;
}

int sip_auth_parse(struct sip_auth *out, struct sip_str value)
{
	struct sip_auth a;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s, *q;
	unsigned seen = 0;
	bool digest;

	memset(&a, 0, sizeof a);
	p = scan_lws(p, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	a.scheme = (struct sip_str){ s, (size_t)(p - s) };
	digest = SCAN_NAME_IS(a.scheme, "digest");
	q = scan_lws(p, end);
	if (q == p || q == end)
		return SIP_EPARSE; /* LWS and at least one auth-param */
	p = q;
	for (;;) {
		struct sip_str n, v;
		bool quoted = false;

		s = p;
		p = scan_class(p, end, SC_TOKEN);
		if (p == s)
			return SIP_EPARSE;
		n = (struct sip_str){ s, (size_t)(p - s) };
		p = scan_lws(p, end);
		if (p == end || *p != '=')
			return SIP_EPARSE;
		p = scan_lws(p + 1, end);
		if (p < end && *p == '"') {
			p = sip_scan_quoted(p, end, &v);
			if (!p)
				return SIP_EPARSE;
			quoted = true;
		} else {
			s = p;
			p = scan_class(p, end, SC_TOKEN);
			if (p == s)
				return SIP_EPARSE;
			v = (struct sip_str){ s, (size_t)(p - s) };
		}
		unsigned f = field_of(n);
		if (f) {
			if (seen & f)
				return SIP_EPARSE;
			seen |= f;
			if (set_field(&a, f, v, quoted, digest))
				return SIP_EPARSE;
		}
		p = scan_lws(p, end);
		if (p == end)
			break;
		if (*p != ',')
			return SIP_EPARSE;
		p = scan_lws(p + 1, end);
	}
	*out = a;
	return 0;
}

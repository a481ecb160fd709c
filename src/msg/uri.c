/* SIP, SIPS and tel URIs: parsing (RFC 3261 19.1 and 25.1, RFC 3966, RFC 5118),
 * comparison (RFC 3261 19.1.4, RFC 3966 4) and unescaping.
 *
 * The parser is one left-to-right pass over the slice; it records slices and never
 * copies or unescapes. Comparison unescapes on the fly, one character at a time. */
#include <string.h>

#include "siphon/err.h"
#include "siphon/uri.h"
#include "scan.h"

/* Skip 1*( chars of class / escaped ), telling in *esc whether an escape was
 * seen. Returns NULL on a bad escape. */
static inline const char *scan_esc_note(const char *p, const char *end, unsigned mask, bool *esc)
{
	while (p < end) {
		if (scan_is(*p, mask)) {
			p++;
		} else if (*p == '%') {
			if (!scan_escape_ok(p, end))
				return NULL;
			*esc = true;
			p += 3;
		} else {
			break;
		}
	}
	return p;
}

static const char *scan_esc(const char *p, const char *end, unsigned mask)
{
	bool esc;

	return scan_esc_note(p, end, mask, &esc);
}

/* One "canonical" character of an escaped string for comparison (RFC 3261 19.1.4:
 * characters other than those in the reserved set are equivalent to their escape,
 * reserved ones are not). Returns the character, or 0x100 | c for an escaped
 * reserved character, and advances *i. */
static unsigned esc_unit(struct sip_str s, size_t *i)
{
	unsigned char c = (unsigned char)s.p[*i];

	if (c == '%' && *i + 2 < s.len && scan_is(s.p[*i + 1], SC_HEX) &&
	    scan_is(s.p[*i + 2], SC_HEX)) {
		unsigned d = scan_hexval(s.p[*i + 1]) << 4 | scan_hexval(s.p[*i + 2]);
		*i += 3;
		if (d < 128 && strchr(";/?:@&=+$,", (int)d) && d != 0)
			return 0x100 | d;
		return d;
	}
	*i += 1;
	return c;
}

static unsigned fold(unsigned c)
{
	return c - 'A' < 26u ? c | 0x20 : c;
}

/* Visual separators of RFC 3966 (ignored when comparing numbers). */
static bool is_visual(unsigned c)
{
	return c == '-' || c == '.' || c == '(' || c == ')';
}

/* Next comparison unit of s, or -1 at its end (separators skipped if asked). */
static int next_unit(struct sip_str s, size_t *i, bool novisual)
{
	while (*i < s.len) {
		unsigned c = esc_unit(s, i);
		if (!novisual || !is_visual(c))
			return (int)c;
	}
	return -1;
}

static bool esc_eq_opt(struct sip_str a, struct sip_str b, bool icase, bool novisual)
{
	size_t i = 0, j = 0;

	for (;;) {
		int x = next_unit(a, &i, novisual), y = next_unit(b, &j, novisual);
		if (x < 0 || y < 0)
			return x == y;
		if (icase && fold((unsigned)x) != fold((unsigned)y))
			return false;
		if (!icase && x != y)
			return false;
	}
}

static bool esc_eq(struct sip_str a, struct sip_str b, bool icase)
{
	/* Fast path: identical bytes are equal whatever the escapes. */
	if (a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0))
		return true;
	return esc_eq_opt(a, b, icase, false);
}

/* Does a (possibly escaped) parameter name equal a lowercase literal? */
static bool pname_is(struct sip_str n, const char *lit, size_t len)
{
	if (n.len == len) {
		size_t i = 0;
		while (i < len && (n.p[i] | 0x20) == lit[i])
			i++;
		if (i == len)
			return true;
	}
	if (n.len < 3 || !memchr(n.p, '%', n.len))
		return false;
	return esc_eq(n, (struct sip_str){ lit, len }, true);
}
#define PNAME_IS(n, lit) pname_is((n), (lit), sizeof(lit) - 1)

/* uri-parameters = *( ";" uri-parameter ); uri-parameter = pname [ "=" pvalue ];
 * pname = pvalue = 1*paramchar. The well-known ones are recorded. */
static const char *parse_params(struct sip_uri *u, const char *p, const char *end)
{
	u->params.p = p + 1;
	while (p < end && *p == ';') {
		struct sip_str n, v = SIP_STR_NULL;
		const char *s = ++p;
		bool esc = false;
		p = scan_esc_note(p, end, SC_PARAM, &esc);
		if (!p || p == s)
			return NULL;
		n = (struct sip_str){ s, (size_t)(p - s) };
		if (p < end && *p == '=') {
			s = ++p;
			p = scan_esc(p, end, SC_PARAM);
			if (!p || p == s)
				return NULL;
			v = (struct sip_str){ s, (size_t)(p - s) };
		}
		if (esc) {
			/* Rare: an escaped name ("%6C%72" is "lr", RFC 4475 3.1.1.3). */
			if (PNAME_IS(n, "lr"))
				u->lr = true;
			else if (PNAME_IS(n, "user"))
				u->user_param = v;
			else if (PNAME_IS(n, "maddr"))
				u->maddr = v;
			else if (PNAME_IS(n, "method"))
				u->method = v;
			else if (PNAME_IS(n, "transport"))
				u->transport = v;
			continue;
		}
		switch (n.len) {
		case 2:
			if (PNAME_IS(n, "lr"))
				u->lr = true;
			break;
		case 4:
			if (PNAME_IS(n, "user"))
				u->user_param = v;
			break;
		case 5:
			if (PNAME_IS(n, "maddr"))
				u->maddr = v;
			break;
		case 6:
			if (PNAME_IS(n, "method"))
				u->method = v;
			break;
		case 9:
			if (PNAME_IS(n, "transport"))
				u->transport = v;
			break;
		default:
			break;
		}
	}
	u->params.len = (size_t)(p - u->params.p);
	return p;
}

/* headers = "?" header *( "&" header ); header = hname "=" hvalue */
static const char *parse_headers(struct sip_uri *u, const char *p, const char *end)
{
	u->headers.p = p + 1;
	do {
		const char *s = ++p;
		p = scan_esc(p, end, SC_HNV);
		if (!p || p == s || p == end || *p != '=')
			return NULL;
		p = scan_esc(p + 1, end, SC_HNV);
		if (!p)
			return NULL;
	} while (p < end && *p == '&');
	u->headers.len = (size_t)(p - u->headers.p);
	return p;
}

/* SIP-URI = "sip:" [ userinfo ] hostport uri-parameters [ headers ] */
static int parse_sip(struct sip_uri *u, const char *p, const char *end)
{
	/* '@' is in no production after userinfo, so the first one ends it. */
	const char *at = memchr(p, '@', (size_t)(end - p));

	if (at) {
		const char *q = scan_esc(p, at, SC_USER);
		if (!q || q == p)
			return SIP_EPARSE;
		u->user = (struct sip_str){ p, (size_t)(q - p) };
		if (q < at) {
			if (*q != ':')
				return SIP_EPARSE;
			const char *s = q + 1;
			q = scan_esc(s, at, SC_PASS);
			if (q != at)
				return SIP_EPARSE;
			u->password = (struct sip_str){ s, (size_t)(q - s) };
		}
		p = at + 1;
	}
	const char *h = p;
	p = sip_scan_host(p, end, &u->host_type);
	if (!p)
		return SIP_EPARSE;
	u->host = (struct sip_str){ h, (size_t)(p - h) };
	if (p < end && *p == ':') {
		uint32_t port;
		p = sip_scan_uint(p + 1, end, 65535, &port);
		if (!p)
			return SIP_EPARSE;
		u->port = (uint16_t)port;
		u->has_port = true;
	}
	if (p < end && *p == ';') {
		p = parse_params(u, p, end);
		if (!p)
			return SIP_EPARSE;
	}
	if (p < end && *p == '?') {
		p = parse_headers(u, p, end);
		if (!p)
			return SIP_EPARSE;
	}
	return p == end ? 0 : SIP_EPARSE;
}

/* RFC 3966 3:
 *   telephone-subscriber = global-number / local-number
 *   global-number-digits = "+" *phonedigit DIGIT *phonedigit
 *   local-number-digits  = *phonedigit-hex (HEXDIG / "*" / "#") *phonedigit-hex
 *   par = parameter / extension / isdn-subaddress; a local number needs a context */
static int parse_tel(struct sip_uri *u, const char *p, const char *end)
{
	const char *s = p;
	bool global = p < end && *p == '+', ctx = false;
	int ndig = 0;

	if (global)
		p++;
	for (; p < end && *p != ';'; p++) {
		unsigned char c = (unsigned char)*p;
		if (scan_is((char)c, SC_DIGIT) ||
		    (!global && (scan_is((char)c, SC_HEX) || c == '*' || c == '#')))
			ndig++;
		else if (!is_visual(c))
			return SIP_EPARSE;
	}
	if (ndig == 0)
		return SIP_EPARSE;
	u->user = (struct sip_str){ s, (size_t)(p - s) };
	if (p < end)
		u->params.p = p + 1;
	while (p < end) {
		/* parameter = ";" pname ["=" pvalue ]; pname = 1*( alphanum / "-" ) */
		s = ++p;
		while (p < end && (scan_is(*p, SC_DIGIT | SC_ALPHA) || *p == '-'))
			p++;
		if (p == s)
			return SIP_EPARSE;
		struct sip_str n = { s, (size_t)(p - s) };
		if (p < end && *p == '=') {
			s = ++p;
			p = scan_esc(p, end, SC_PARAM);
			if (!p || p == s)
				return SIP_EPARSE;
		} else if (SCAN_NAME_IS(n, "phone-context") || SCAN_NAME_IS(n, "ext") ||
			   SCAN_NAME_IS(n, "isub")) {
			return SIP_EPARSE; /* these three need a value */
		}
		struct sip_str v = { s, (size_t)(p - s) };
		if (SCAN_NAME_IS(n, "phone-context")) {
			/* descriptor = domainname / global-number-digits */
			if (v.len && v.p[0] == '+') {
				int d = 0;
				for (size_t i = 1; i < v.len; i++) {
					if (scan_is(v.p[i], SC_DIGIT))
						d++;
					else if (!is_visual((unsigned char)v.p[i]))
						return SIP_EPARSE;
				}
				if (!d)
					return SIP_EPARSE;
			} else if (sip_scan_hostname(v.p, v.p + v.len) != SIP_HOST_NAME) {
				return SIP_EPARSE;
			}
			ctx = true;
		} else if (SCAN_NAME_IS(n, "ext")) {
			/* extension = ";ext=" 1*phonedigit */
			for (size_t i = 0; i < v.len; i++)
				if (!scan_is(v.p[i], SC_DIGIT) && !is_visual((unsigned char)v.p[i]))
					return SIP_EPARSE;
		}
		if (p < end && *p != ';')
			return SIP_EPARSE;
	}
	if (u->params.p)
		u->params.len = (size_t)(end - u->params.p);
	if (!global && !ctx)
		return SIP_EPARSE; /* RFC 3966 5.1.5: local numbers MUST carry a context */
	return 0;
}

/* absoluteURI = scheme ":" ( hier-part / opaque-part ) (RFC 2396): 1*uric. */
static int check_other(const char *p, const char *end)
{
	if (p == end)
		return SIP_EPARSE;
	p = scan_esc(p, end, SC_URIC);
	return p == end ? 0 : SIP_EPARSE;
}

/* For parsers that embed a URI in a struct they already zeroed (name-addr): u
 * must be zeroed; on failure it holds partial results the caller discards. */
int sip_scan_uri(struct sip_uri *u, struct sip_str s)
{
	SCAN_NONNULL(s);
	const char *p = s.p, *end = s.p + s.len, *q;
	int err;

	u->raw = s;
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
	if (p == end || !scan_is(*p, SC_ALPHA))
		return SIP_EPARSE;
	q = scan_class(p + 1, end, SC_SCHEME);
	if (q == end || *q != ':')
		return SIP_EPARSE;
	u->scheme_str = (struct sip_str){ p, (size_t)(q - p) };
	if (SCAN_NAME_IS(u->scheme_str, "sip"))
		u->scheme = SIP_URI_SIP;
	else if (SCAN_NAME_IS(u->scheme_str, "sips"))
		u->scheme = SIP_URI_SIPS;
	else if (SCAN_NAME_IS(u->scheme_str, "tel"))
		u->scheme = SIP_URI_TEL;
	p = q + 1;
	switch (u->scheme) {
	case SIP_URI_SIP:
	case SIP_URI_SIPS:
		err = parse_sip(u, p, end);
		break;
	case SIP_URI_TEL:
		err = parse_tel(u, p, end);
		break;
	default:
		err = check_other(p, end);
		break;
	}
	return err;
}

int sip_uri_parse(struct sip_uri *out, struct sip_str s)
{
	struct sip_uri u;

	memset(&u, 0, sizeof u);
	int err = sip_scan_uri(&u, s);
	if (err)
		return err;
	*out = u;
	return 0;
}

/* Look for parameter name in validated URI parameters (names may be escaped).
 * Returns 0 when absent, 1 when present with other values only, 2 when present
 * with a value equal to v. Looking at every occurrence keeps the comparison
 * reflexive and symmetric even with duplicated names. */
static int uparam_match(struct sip_str params, struct sip_str name, struct sip_str v,
			bool novisual)
{
	int found = 0;

	if (params.len == 0)
		return 0;
	const char *p = params.p, *end = p + params.len;
	while (p < end) {
		const char *s = p;
		while (p < end && *p != ';' && *p != '=')
			p++;
		struct sip_str n = { s, (size_t)(p - s) }, w = SIP_STR_NULL;
		if (p < end && *p == '=') {
			s = ++p;
			while (p < end && *p != ';')
				p++;
			w = (struct sip_str){ s, (size_t)(p - s) };
		}
		if (esc_eq(n, name, true)) {
			if (esc_eq_opt(v, w, true, novisual))
				return 2;
			found = 1;
		}
		if (p < end)
			p++;
	}
	return found;
}

/* RFC 3261 19.1.4: these parameters make URIs differ when only one has them. */
static bool param_must_match(struct sip_str n)
{
	return PNAME_IS(n, "user") || PNAME_IS(n, "ttl") || PNAME_IS(n, "method") ||
	       PNAME_IS(n, "maddr") || PNAME_IS(n, "transport");
}

/* Every parameter of a that b has too must have an equal value; a parameter of a
 * missing in b is an inequality when strict (all of them) or when must-match. */
static bool params_cover(struct sip_str a, struct sip_str b, bool strict, bool novisual)
{
	if (a.len == 0)
		return true;
	const char *p = a.p, *end = p + a.len;

	while (p < end) {
		const char *s = p;
		while (p < end && *p != ';' && *p != '=')
			p++;
		struct sip_str n = { s, (size_t)(p - s) }, v = SIP_STR_NULL;
		if (p < end && *p == '=') {
			s = ++p;
			while (p < end && *p != ';')
				p++;
			v = (struct sip_str){ s, (size_t)(p - s) };
		}
		if (p < end)
			p++;
		bool vis = novisual && (PNAME_IS(n, "phone-context") || PNAME_IS(n, "ext"));
		int m = uparam_match(b, n, v, vis);
		if (m == 1 || (m == 0 && (strict || param_must_match(n))))
			return false;
	}
	return true;
}

/* URI headers: each header of a must be in b with the same value; names compare
 * case-insensitively, values exactly after unescaping. */
static bool headers_cover(struct sip_str a, struct sip_str b)
{
	if (a.len == 0)
		return true;
	if (b.len == 0)
		return false;
	const char *p = a.p, *end = p + a.len;

	while (p < end) {
		const char *s = p;
		while (p < end && *p != '=')
			p++;
		struct sip_str n = { s, (size_t)(p - s) };
		s = p < end ? ++p : p;
		while (p < end && *p != '&')
			p++;
		struct sip_str v = { s, (size_t)(p - s) };
		if (p < end)
			p++;
		bool found = false;
		const char *r = b.p, *rend = r + b.len;
		while (r < rend && !found) {
			const char *t = r;
			while (r < rend && *r != '=')
				r++;
			struct sip_str m = { t, (size_t)(r - t) };
			t = r < rend ? ++r : r;
			while (r < rend && *r != '&')
				r++;
			struct sip_str w = { t, (size_t)(r - t) };
			if (r < rend)
				r++;
			found = esc_eq(n, m, true) && esc_eq(v, w, false);
		}
		if (!found)
			return false;
	}
	return true;
}

static bool host_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->host_type != b->host_type)
		return false;
	if (a->host_type == SIP_HOST_IPV6) {
		/* RFC 5118: the same address in another text form is the same host. */
		uint8_t x[16], y[16];
		if (a->host.len < 2 || b->host.len < 2 ||
		    !sip_scan_ipv6(a->host.p + 1, a->host.p + a->host.len - 1, x) ||
		    !sip_scan_ipv6(b->host.p + 1, b->host.p + b->host.len - 1, y))
			return sip_str_caseeq(a->host, b->host);
		return memcmp(x, y, 16) == 0;
	}
	return sip_str_caseeq(a->host, b->host);
}

bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b)
{
	if (a->scheme != b->scheme)
		return false;
	switch (a->scheme) {
	case SIP_URI_OTHER:
		/* Not interpreted: same scheme (case-insensitive) and same text. */
		if (!sip_str_caseeq(a->scheme_str, b->scheme_str) || a->raw.len != b->raw.len)
			return false;
		if (a->raw.len <= a->scheme_str.len)
			return true;
		return memcmp(a->raw.p + a->scheme_str.len, b->raw.p + b->scheme_str.len,
			      a->raw.len - a->scheme_str.len) == 0;
	case SIP_URI_TEL:
		/* RFC 3966 4: numbers without visual separators, every parameter in
		 * both, any order, case-insensitive. */
		return esc_eq_opt(a->user, b->user, true, true) &&
		       params_cover(a->params, b->params, true, true) &&
		       params_cover(b->params, a->params, true, true);
	default:
		break;
	}
	/* RFC 3261 19.1.4: user and password case-sensitive, host case-insensitive,
	 * an omitted port differs from an explicit 5060. */
	if (!esc_eq(a->user, b->user, false) || !esc_eq(a->password, b->password, false))
		return false;
	if (!host_eq(a, b) || a->has_port != b->has_port || a->port != b->port)
		return false;
	if (!params_cover(a->params, b->params, false, false) ||
	    !params_cover(b->params, a->params, false, false))
		return false;
	/* Headers are never ignored: the same set on both sides. */
	return headers_cover(a->headers, b->headers) && headers_cover(b->headers, a->headers);
}

int sip_unescape(char *dst, size_t dstsz, struct sip_str s)
{
	size_t n = 0;

	/* Validate and measure first: dst is written only on success. */
	for (size_t i = 0; i < s.len; i++, n++) {
		if (s.p[i] != '%')
			continue;
		if (!scan_escape_ok(s.p + i, s.p + s.len))
			return SIP_EPARSE;
		i += 2;
	}
	if (n >= dstsz || n > INT32_MAX)
		return SIP_ETOOBIG;
	for (size_t i = 0, k = 0; i < s.len; i++, k++) {
		if (s.p[i] == '%') {
			dst[k] = (char)(scan_hexval(s.p[i + 1]) << 4 | scan_hexval(s.p[i + 2]));
			i += 2;
		} else {
			dst[k] = s.p[i];
		}
	}
	dst[n] = '\0';
	return (int)n;
}

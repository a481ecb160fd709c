/* Shared scanning pieces of the header-value and URI parsers (see scan.h). */
#include <string.h>

#include "siphon/err.h"
#include "scan.h"

/* The class table is computed by the compiler from the RFC 3261 25.1 sets below,
 * so there is no generator to keep in sync and no hand-typed hex to get wrong. */
#define IS_ALPHA(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z'))
#define IS_DIGIT(c) ((c) >= '0' && (c) <= '9')
#define IS_ALNUM(c) (IS_ALPHA(c) || IS_DIGIT(c))
#define IS_HEX(c) (IS_DIGIT(c) || ((c) >= 'a' && (c) <= 'f') || ((c) >= 'A' && (c) <= 'F'))
#define IS_MARK(c) ((c) == '-' || (c) == '_' || (c) == '.' || (c) == '!' || (c) == '~' || \
		    (c) == '*' || (c) == '\'' || (c) == '(' || (c) == ')')
#define IS_UNRES(c) (IS_ALNUM(c) || IS_MARK(c))
#define IS_TOKEN(c) (IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '!' || (c) == '%' || \
		     (c) == '*' || (c) == '_' || (c) == '+' || (c) == '`' || (c) == '\'' || (c) == '~')
#define IS_RESERVED(c) ((c) == ';' || (c) == '/' || (c) == '?' || (c) == ':' || (c) == '@' || \
			(c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || (c) == ',')
#define IS_USER(c) (IS_UNRES(c) || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		    (c) == ',' || (c) == ';' || (c) == '?' || (c) == '/')
#define IS_PASS(c) (IS_UNRES(c) || (c) == '&' || (c) == '=' || (c) == '+' || (c) == '$' || \
		    (c) == ',')
#define IS_PARAM(c) (IS_UNRES(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == ':' || \
		     (c) == '&' || (c) == '+' || (c) == '$')
#define IS_HNV(c) (IS_UNRES(c) || (c) == '[' || (c) == ']' || (c) == '/' || (c) == '?' || \
		   (c) == ':' || (c) == '+' || (c) == '$')
#define IS_QDTEXT(c) ((c) == 0x21 || ((c) >= 0x23 && (c) <= 0x5b) || \
		      ((c) >= 0x5d && (c) <= 0x7e) || (c) >= 0x80)
#define IS_WORD(c) (IS_TOKEN(c) || (c) == '(' || (c) == ')' || (c) == '<' || (c) == '>' || \
		    (c) == ':' || (c) == '\\' || (c) == '"' || (c) == '/' || (c) == '[' || \
		    (c) == ']' || (c) == '?' || (c) == '{' || (c) == '}')

#define CC(c) (uint32_t)( \
	(IS_TOKEN(c) ? SC_TOKEN : 0) | (IS_UNRES(c) ? SC_UNRES : 0) | \
	(IS_USER(c) ? SC_USER : 0) | (IS_PASS(c) ? SC_PASS : 0) | \
	(IS_PARAM(c) ? SC_PARAM : 0) | (IS_HNV(c) ? SC_HNV : 0) | \
	(IS_HEX(c) ? SC_HEX : 0) | (IS_DIGIT(c) ? SC_DIGIT : 0) | \
	(IS_ALPHA(c) ? SC_ALPHA : 0) | \
	(IS_ALNUM(c) || (c) == '-' || (c) == '.' ? SC_HOST : 0) | \
	((c) == ' ' || (c) == '\t' ? SC_WSP : 0) | \
	(IS_RESERVED(c) || IS_UNRES(c) ? SC_URIC : 0) | \
	(IS_QDTEXT(c) ? SC_QDTEXT : 0) | \
	(IS_ALNUM(c) || (c) == '+' || (c) == '-' || (c) == '.' ? SC_SCHEME : 0) | \
	(IS_TOKEN(c) || (c) == ':' || (c) == '[' || (c) == ']' ? SC_GENVAL : 0) | \
	(IS_WORD(c) ? SC_WORD : 0) | \
	(IS_ALNUM(c) || (c) == '-' ? SC_LDH : 0) | \
	((c) != '"' && (c) != '<' && (c) != '>' && (c) != ',' && (c) != ' ' && (c) != '\t' && \
	 (c) != '\r' && (c) != '\n' ? SC_LPLAIN : 0))
#define C4(n) CC(n), CC((n) + 1), CC((n) + 2), CC((n) + 3)
#define C16(n) C4(n), C4((n) + 4), C4((n) + 8), C4((n) + 12)
#define C64(n) C16(n), C16((n) + 16), C16((n) + 32), C16((n) + 48)

const uint32_t sip_scan_cc[256] = { C64(0), C64(64), C64(128), C64(192) };

const char *sip_scan_quoted(const char *p, const char *end, struct sip_str *inner)
{
	const char *q = p + 1;

	while (q < end) {
		/* Runs of qdtext with the unrolled class scan (digest nonces and
		 * responses are long): callgrind.sh siphon, 10,182 -> 10,162
		 * instructions per message. */
		q = scan_class(q, end, SC_QDTEXT | SC_WSP);
		if (q == end)
			break;
		unsigned char c = (unsigned char)*q;
		if (c == '"') {
			inner->p = p + 1;
			inner->len = (size_t)(q - p - 1);
			return q + 1;
		} else if (c == '\\') {
			/* quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F) */
			if (q + 1 == end)
				return NULL;
			c = (unsigned char)q[1];
			if (c == '\n' || c == '\r' || c > 0x7f)
				return NULL;
			q += 2;
		} else {
			const char *r = scan_lws(q, end);
			if (r == q)
				return NULL; /* a control character or a lone CR/LF */
			q = r;
		}
	}
	return NULL;
}

const char *sip_scan_uint(const char *p, const char *end, uint32_t max, uint32_t *v)
{
	const char *s = p;
	uint64_t n = 0;

	/* n <= max < 2**32 before each step, so n * 10 + 9 cannot wrap: one compare
	 * per digit instead of a division. */
	while (p < end && (unsigned)(*p - '0') < 10u) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > max)
			return NULL;
		p++;
	}
	if (p == s)
		return NULL;
	*v = (uint32_t)n;
	return p;
}

const char *sip_scan_delta(const char *p, const char *end, uint32_t *v)
{
	const char *s = p;
	uint64_t n = 0;

	while (p < end && (unsigned)(*p - '0') < 10u) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > UINT32_MAX)
			n = (uint64_t)UINT32_MAX + 1; /* saturate, keep scanning digits */
		p++;
	}
	if (p == s)
		return NULL;
	*v = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	return p;
}

static inline bool is_digit(const char *p, const char *e)
{
	return p < e && (unsigned)(*p - '0') < 10u;
}

bool sip_scan_ipv4(const char *p, const char *e, uint8_t out[4])
{
	uint8_t a[4];

	for (int i = 0; i < 4; i++) {
		unsigned v;
		if (i) {
			if (p == e || *p != '.')
				return false;
			p++;
		}
		/* 1*3DIGIT, at most 255 */
		if (!is_digit(p, e))
			return false;
		v = (unsigned)(*p++ - '0');
		if (is_digit(p, e)) {
			v = v * 10 + (unsigned)(*p++ - '0');
			if (is_digit(p, e))
				v = v * 10 + (unsigned)(*p++ - '0');
		}
		if (v > 255)
			return false;
		a[i] = (uint8_t)v;
	}
	if (p != e)
		return false;
	if (out)
		memcpy(out, a, 4);
	return true;
}

bool sip_scan_ipv6(const char *p, const char *e, uint8_t out[16])
{
	uint16_t g[8];
	int n = 0, dbl = -1;

	if (e - p >= 2 && p[0] == ':' && p[1] == ':') {
		dbl = 0;
		p += 2;
		if (p < e && *p == ':' && memchr(p, '.', (size_t)(e - p)))
			p++; /* RFC 5118 4.10: tolerate ":::" before an IPv4 tail */
	}
	while (p < e) {
		const char *s = p;
		unsigned v = 0;
		while (p < e && scan_is(*p, SC_HEX) && p - s < 4) {
			v = v << 4 | scan_hexval(*p);
			p++;
		}
		if (p < e && *p == '.') {
			/* ls32 as a dotted IPv4 address: the rest must be exactly that. */
			uint8_t v4[4];
			if (n > 6 || !sip_scan_ipv4(s, e, v4))
				return false;
			g[n++] = (uint16_t)(v4[0] << 8 | v4[1]);
			g[n++] = (uint16_t)(v4[2] << 8 | v4[3]);
			p = e;
			break;
		}
		if (p == s || n == 8)
			return false;
		g[n++] = (uint16_t)v;
		if (p == e)
			break;
		if (*p != ':')
			return false;
		p++;
		if (p < e && *p == ':') {
			if (dbl >= 0)
				return false;
			dbl = n;
			p++;
			if (p < e && *p == ':' && memchr(p, '.', (size_t)(e - p)))
				p++; /* RFC 5118 4.10 */
		} else if (p == e) {
			return false; /* trailing single colon */
		}
	}
	if (dbl < 0 ? n != 8 : n > 7)
		return false;
	if (out) {
		/* The groups after "::" go to the end of the eight; the ones before it
		 * stay in front, the gap is zeros. Every index below is provably in
		 * [0, 8) (gcc 12 -O3 could not bound the former running index and
		 * warned -Wstringop-overflow). */
		uint16_t full[8] = { 0 };
		int head = dbl < 0 ? n : dbl;
		for (int i = 0; i < head; i++)
			full[i] = g[i];
		for (int i = head; i < n; i++)
			full[8 - n + i] = g[i];
		for (int i = 0; i < 8; i++) {
			out[2 * i] = (uint8_t)(full[i] >> 8);
			out[2 * i + 1] = (uint8_t)full[i];
		}
	}
	return true;
}

/* hostname = *( domainlabel "." ) toplabel [ "." ]
 * domainlabel = alphanum / alphanum *( alphanum / "-" ) alphanum
 * toplabel = ALPHA / ALPHA *( alphanum / "-" ) alphanum
 * IPv4address = 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT "." 1*3DIGIT
 * One pass, a label at a time: a tight loop over letters, digits and hyphens, then
 * the checks at the label's ends. The toplabel's first character decides: a
 * letter makes a hostname, a digit can only be an IPv4 address, checked at the
 * end. This runs for every Via and URI host (a per-character state machine here
 * cost 17 instructions a byte under callgrind; this loop costs about 5). */
const char *sip_scan_host(const char *p, const char *end, enum sip_host_type *type)
{
	if (p < end && *p == '[') {
		const char *q = memchr(p, ']', (size_t)(end - p));
		if (!q || !sip_scan_ipv6(p + 1, q, NULL))
			return NULL;
		*type = SIP_HOST_IPV6;
		return q + 1;
	}
	const char *s = p;
	char top;
	if (p < end && scan_is(*p, SC_DIGIT)) {
		/* Dotted quad in one pass (sent-by, received and maddr are mostly
		 * addresses): when four octets end at a byte that cannot continue a
		 * hostname, this is exactly what the label loop and the separate
		 * sip_scan_ipv4 check below would accept. Anything else ("1.2.3.4.5",
		 * "10.example.com", "1234.1.1.1") takes the general path.
		 * Callgrind on the shared corpus: sip_scan_host + sip_scan_ipv4 went
		 * from 1,414 to 1,173 instructions per message (-O2). */
		const char *q = p;
		int i;
		for (i = 0; i < 4; i++) {
			unsigned v;
			if (i) {
				if (q == end || *q != '.')
					break;
				q++;
			}
			if (q == end || !scan_is(*q, SC_DIGIT))
				break;
			v = (unsigned)(*q++ - '0');
			if (q < end && scan_is(*q, SC_DIGIT)) {
				v = v * 10 + (unsigned)(*q++ - '0');
				if (q < end && scan_is(*q, SC_DIGIT))
					v = v * 10 + (unsigned)(*q++ - '0');
			}
			if (v > 255)
				break;
		}
		if (i == 4 && (q == end || (*q != '.' && !scan_is(*q, SC_LDH)))) {
			*type = SIP_HOST_IPV4;
			return q;
		}
	}
	for (;;) {
		/* A label starts with an alphanumeric and does not end with '-'. */
		if (p == end || !scan_is(*p, SC_DIGIT | SC_ALPHA))
			return NULL;
		top = *p;
		p = scan_class(p + 1, end, SC_LDH);
		if (p[-1] == '-')
			return NULL;
		if (p == end || *p != '.')
			break;
		p++;
		if (p == end || !scan_is(*p, SC_DIGIT | SC_ALPHA))
			break; /* a trailing dot ends the host */
	}
	if (scan_is(top, SC_ALPHA)) {
		*type = SIP_HOST_NAME;
		return p;
	}
	if (!sip_scan_ipv4(s, p, NULL))
		return NULL;
	*type = SIP_HOST_IPV4;
	return p;
}

enum sip_host_type sip_scan_hostname(const char *p, const char *e)
{
	enum sip_host_type t;

	if (p == e || *p == '[' || sip_scan_host(p, e, &t) != e)
		return SIP_HOST_NONE;
	return t;
}

const char *sip_scan_param(const char *p, const char *end, struct scan_param *prm)
{
	const char *s;

	p = scan_lws(p + 1, end); /* past ';' */
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return NULL;
	prm->name.p = s;
	prm->name.len = (size_t)(p - s);
	prm->value = SIP_STR_NULL;
	prm->kind = SCAN_PV_NONE;
	/* Only look past LWS for '=': otherwise the LWS belongs to what follows. */
	const char *q = scan_lws(p, end);
	if (q == end || *q != '=')
		return p;
	p = scan_lws(q + 1, end);
	if (p < end && *p == '"') {
		p = sip_scan_quoted(p, end, &prm->value);
		if (!p)
			return NULL;
		prm->kind = SCAN_PV_QUOTED;
		return p;
	}
	/* Token characters with the unrolled class scan; only a ':' '[' or ']'
	 * (an IPv6 value) continues with the wider gen-value class. Together with
	 * the IPv4 fast path of sip_scan_host: callgrind.sh siphon, 11,224 ->
	 * 10,768 instructions per message (gcc 12 -O2). */
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	prm->kind = SCAN_PV_TOKEN;
	if (p < end && scan_is(*p, SC_GENVAL)) {
		p = scan_class(p, end, SC_GENVAL);
		prm->kind = SCAN_PV_HOSTISH;
	}
	if (p == s)
		return NULL;
	prm->value.p = s;
	prm->value.len = (size_t)(p - s);
	return p;
}

bool sip_scan_genvalue_ok(const struct scan_param *prm)
{
	if (prm->kind != SCAN_PV_HOSTISH)
		return true;
	const char *p = prm->value.p, *e = p + prm->value.len;
	return e - p >= 2 && p[0] == '[' && e[-1] == ']' && sip_scan_ipv6(p + 1, e - 1, NULL);
}

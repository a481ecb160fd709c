/* Private scanning helpers of the msg layer: character classes and the small
 * grammar pieces every header-value parser shares (LWS, quoted strings, numbers,
 * hosts, generic parameters).
 *
 * All helpers take [p, end) and never look at end or beyond. Helpers that can fail
 * return NULL (pointer results) or SIP_EPARSE (int results). Character classes are
 * one 256-entry table of bit masks (sip_scan_cc, scan.c) so every inner loop is a
 * load, an AND and a branch. */
#ifndef SIPHON_MSG_SCAN_H
#define SIPHON_MSG_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/err.h"
#include "siphon/str.h"
#include "siphon/uri.h"

/* Character classes (RFC 3261 25.1 unless noted). '%' is never in a URI class:
 * "escaped" (% HEX HEX) is checked by the callers. */
enum {
	SC_TOKEN = 1u << 0,   /* token: alphanum - . ! % * _ + ` ' ~ */
	SC_UNRES = 1u << 1,   /* unreserved: alphanum - _ . ! ~ * ' ( ) */
	SC_USER = 1u << 2,    /* unreserved / user-unreserved (& = + $ , ; ? /) */
	SC_PASS = 1u << 3,    /* password: unreserved / & = + $ , */
	SC_PARAM = 1u << 4,   /* paramchar: unreserved / param-unreserved ([ ] / : & + $) */
	SC_HNV = 1u << 5,     /* hname/hvalue: unreserved / hnv-unreserved ([ ] / ? : + $) */
	SC_HEX = 1u << 6,     /* HEXDIG, either case */
	SC_DIGIT = 1u << 7,
	SC_ALPHA = 1u << 8,
	SC_HOST = 1u << 9,    /* hostname / IPv4 characters: alphanum - . */
	SC_WSP = 1u << 10,    /* SP, HTAB */
	SC_URIC = 1u << 11,   /* uric minus '%': reserved / unreserved (RFC 2396) */
	SC_QDTEXT = 1u << 12, /* qdtext minus LWS: %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII */
	SC_SCHEME = 1u << 13, /* scheme after the first ALPHA: alphanum + - . */
	SC_GENVAL = 1u << 14, /* unquoted gen-value: token / host ([ ] :) */
	SC_WORD = 1u << 15,   /* word (Call-ID): token / ( ) < > : \ " / [ ] ? { } */
	SC_LDH = 1u << 16,    /* letter, digit, hyphen: inside a domain label */
	SC_LPLAIN = 1u << 17, /* nothing sip_list_next looks at: not " < > , or LWS */
};

extern const uint32_t sip_scan_cc[256];

static inline bool scan_is(char c, unsigned mask)
{
	return (sip_scan_cc[(unsigned char)c] & mask) != 0;
}

/* Public entry points accept SIP_STR_NULL: give an empty slice a non-NULL base so
 * that "p + len" is defined (C17 6.5.6; UBSan flags NULL + 0). */
#define SCAN_NONNULL(s) \
	do { \
		if (!(s).p) \
			(s).p = ""; \
	} while (0)

/* Skip chars of a class. Unrolled by four while four bytes remain: one bound
 * check per four bytes (callgrind: about 4 instructions a byte instead of 7). */
static inline const char *scan_class(const char *p, const char *end, unsigned mask)
{
	while (end - p >= 4) {
		if (!(sip_scan_cc[(unsigned char)p[0]] & mask))
			return p;
		if (!(sip_scan_cc[(unsigned char)p[1]] & mask))
			return p + 1;
		if (!(sip_scan_cc[(unsigned char)p[2]] & mask))
			return p + 2;
		if (!(sip_scan_cc[(unsigned char)p[3]] & mask))
			return p + 3;
		p += 4;
	}
	while (p < end && (sip_scan_cc[(unsigned char)*p] & mask))
		p++;
	return p;
}

/* Skip LWS / SWS: SP and HTAB, and line folds (CRLF, or a bare LF, followed by SP or
 * HTAB, RFC 3261 7.3.1). A CR or LF that does not start a fold is not skipped. */
static inline const char *scan_lws(const char *p, const char *end)
{
	/* Fast path: most calls stand on a visible character. */
	if (p == end || (unsigned char)*p > ' ')
		return p;
	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end || (*p != '\r' && *p != '\n'))
			return p;
		const char *q = p + 1;
		if (*p == '\r') {
			if (q == end || *q != '\n')
				return p;
			q++;
		}
		if (q == end || (*q != ' ' && *q != '\t'))
			return p;
		p = q;
	}
}

/* Is p[0..2] a valid escape "%" HEX HEX (with p < end)? */
static inline bool scan_escape_ok(const char *p, const char *end)
{
	return end - p >= 3 && scan_is(p[1], SC_HEX) && scan_is(p[2], SC_HEX);
}

static inline unsigned scan_hexval(char c)
{
	unsigned v = (unsigned char)c;
	return v <= '9' ? v - '0' : (v | 0x20) - 'a' + 10;
}

/* Case-insensitive compare of a token with a lowercase literal of length n. Only
 * valid when s holds token characters (names already scanned as tokens): for those
 * OR-ing 0x20 folds exactly the ASCII letters. */
static inline bool scan_name_is(struct sip_str s, const char *lit, size_t n)
{
	if (s.len != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((s.p[i] | 0x20) != lit[i])
			return false;
	return true;
}
#define SCAN_NAME_IS(s, lit) scan_name_is((s), (lit), sizeof(lit) - 1)

/* A quoted-string starting at p (*p == '"'): qdtext, quoted-pair and folds. On
 * success *inner is the text between the quotes (escapes kept) and the position
 * after the closing quote is returned; NULL when malformed or unterminated. */
const char *sip_scan_quoted(const char *p, const char *end, struct sip_str *inner);

/* 1*DIGIT at p into *v. Returns the end of the digits, or NULL when there is no
 * digit or the value exceeds max. */
const char *sip_scan_uint(const char *p, const char *end, uint32_t max, uint32_t *v);

/* delta-seconds: 1*DIGIT, values above 2**32-1 saturate to it (RFC 3261 10.2.1.1,
 * 20.19 allow treating them as 2**32-1). NULL when there is no digit. */
const char *sip_scan_delta(const char *p, const char *end, uint32_t *v);

/* host = hostname / IPv4address / IPv6reference (RFC 3261 25.1, RFC 5118).
 * Returns the end of the host and its type, or NULL. */
const char *sip_scan_host(const char *p, const char *end, enum sip_host_type *type);

/* Classify [p, e) as a whole: SIP_HOST_NAME, SIP_HOST_IPV4, or SIP_HOST_NONE when
 * it is neither a valid hostname nor an IPv4 address. */
enum sip_host_type sip_scan_hostname(const char *p, const char *e);

/* IPv6address (RFC 4291 2.2 text forms) filling [p, e) exactly, into 16 bytes (may
 * be NULL). Tolerates the extra colon of RFC 5118 4.10 ("2001:db8:::192.0.2.1"). */
bool sip_scan_ipv6(const char *p, const char *e, uint8_t out[16]);

/* IPv4address filling [p, e) exactly, each octet 0-255 (out may be NULL). */
bool sip_scan_ipv4(const char *p, const char *e, uint8_t out[4]);

/* One header parameter: SEMI generic-param (RFC 3261 25.1), the SEMI included.
 *   generic-param = token [ EQUAL gen-value ]; gen-value = token / host / quoted-string
 * p points at the ';' (LWS before it already skipped). */
enum scan_pv {
	SCAN_PV_NONE = 0, /* flag parameter, no value */
	SCAN_PV_TOKEN,    /* unquoted, only token characters */
	SCAN_PV_QUOTED,   /* quoted-string: value is the text inside the quotes */
	SCAN_PV_HOSTISH,  /* unquoted with ':' '[' or ']': an IPv6 address or reference */
};
struct scan_param {
	struct sip_str name;
	struct sip_str value;
	enum scan_pv kind;
};
const char *sip_scan_param(const char *p, const char *end, struct scan_param *prm);

/* Iterator over the *( SEMI param ) tail every header-value parser ends with:
 *   struct scan_params it = SCAN_PARAMS(p, end);
 *   while ((rc = scan_params_next(&it, &prm)) > 0) ... use prm ...;
 *   if (rc < 0) fail; value.params = it.all;
 * Before each parameter only LWS may stand (the ';' itself is required); it.all
 * is the text from after the first ';' to the end of the last parameter, or
 * SIP_STR_NULL when there is none. Inline so the parsers keep their former
 * open-coded speed (callgrind figures in the commit that introduced it). */
struct scan_params {
	const char *p, *end;
	struct sip_str all;
};
#define SCAN_PARAMS(p, end) ((struct scan_params){ (p), (end), SIP_STR_NULL })

/* 1 with *prm filled, 0 at the end of the value, SIP_EPARSE when malformed. */
static inline int scan_params_next(struct scan_params *it, struct scan_param *prm)
{
	const char *p = scan_lws(it->p, it->end);

	if (p == it->end)
		return 0;
	if (*p != ';')
		return SIP_EPARSE;
	if (!it->all.p)
		it->all.p = p + 1;
	p = sip_scan_param(p, it->end, prm);
	if (!p)
		return SIP_EPARSE;
	it->p = p;
	it->all.len = (size_t)(p - it->all.p);
	return 1;
}

/* Is the value of a parameter no specific rule applies to a valid gen-value?
 * Tokens and quoted strings are; a host-like value must be an IPv6reference. */
bool sip_scan_genvalue_ok(const struct scan_param *prm);

/* sip_uri_parse into a URI the caller zeroed, without the local copy (uri.c).
 * On failure *u holds partial results. */
int sip_scan_uri(struct sip_uri *u, struct sip_str s);

#endif

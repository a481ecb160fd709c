/* siphon msg layer: SIP, SIPS and tel URIs (RFC 3261 19.1, RFC 3966).
 *
 * sip_uri_parse splits a URI into slices of the caller's buffer; nothing is copied
 * and nothing is unescaped (compare with sip_uri_eq, which applies RFC 3261 19.1.4:
 * escapes and case rules). Every slice in struct sip_uri borrows from the string that
 * was parsed. */
#ifndef SIPHON_URI_H
#define SIPHON_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "siphon/str.h"

enum sip_uri_scheme {
	SIP_URI_OTHER = 0, /* an absoluteURI siphon does not interpret (e.g. mailto:, http:) */
	SIP_URI_SIP,
	SIP_URI_SIPS,
	SIP_URI_TEL,
};

enum sip_host_type {
	SIP_HOST_NONE = 0,
	SIP_HOST_NAME,  /* hostname (or anything that is not an IP literal) */
	SIP_HOST_IPV4,
	SIP_HOST_IPV6,  /* host holds the reference with brackets: "[2001:db8::1]" */
};

struct sip_uri {
	enum sip_uri_scheme scheme;
	struct sip_str scheme_str;  /* "sip", "SIPS", "tel", "mailto", ... */
	struct sip_str user;        /* escaped as on the wire; for tel: the number */
	struct sip_str password;
	struct sip_str host;        /* empty for tel: */
	enum sip_host_type host_type;
	uint16_t port;              /* 0 when absent */
	bool has_port;
	struct sip_str params;      /* raw uri-parameters after the first ';' (no leading ';') */
	struct sip_str headers;     /* raw headers after '?' (no '?') */
	/* Frequent parameters, found while parsing params. */
	struct sip_str transport;   /* transport= value */
	struct sip_str user_param;  /* user= value (e.g. "phone") */
	struct sip_str method;      /* method= value */
	struct sip_str maddr;       /* maddr= value */
	bool lr;                    /* ;lr present (loose routing, RFC 3261 16.4) */
	struct sip_str raw;         /* the whole URI */
};

/* Parse s as a URI. 0, or SIP_EPARSE for a malformed sip/sips/tel URI. A URI of
 * another scheme is accepted as SIP_URI_OTHER with only scheme_str and raw set. */
int sip_uri_parse(struct sip_uri *out, struct sip_str s);

/* RFC 3261 19.1.4 equivalence of two sip/sips URIs (tel: compared per RFC 3966 5). */
bool sip_uri_eq(const struct sip_uri *a, const struct sip_uri *b);

/* Find parameter name in a ';'-separated parameter list (URI or header params, with
 * or without a leading ';'). Names compare case-insensitively. On success *value is
 * the value (empty for a flag parameter like ;lr; a quoted value without its
 * quotes) and 0 is returned; SIP_ENOTFOUND when absent. LWS around ';' and '='
 * is allowed (header parameters). */
int sip_param_find(struct sip_str params, const char *name, struct sip_str *value);

/* Unescape %HH sequences of s into dst (at most dstsz-1 bytes, NUL-terminated).
 * Returns the length written, SIP_EPARSE for a bad escape, or SIP_ETOOBIG when
 * the result does not fit (dst is written only on success). */
int sip_unescape(char *dst, size_t dstsz, struct sip_str s);

#endif

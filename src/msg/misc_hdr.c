/* Small structured header values: Content-Type (RFC 3261 20.15), Reason
 * (RFC 3326 2), Retry-After (RFC 3261 20.33) and Session-Expires (RFC 4028 4). */
#include <string.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "scan.h"

/*   media-type  = m-type SLASH m-subtype *(SEMI m-parameter)
 *   m-parameter = m-attribute EQUAL m-value; m-value = token / quoted-string */
int sip_ctype_parse(struct sip_ctype *out, struct sip_str value)
{
	struct sip_ctype ct;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s;

	memset(&ct, 0, sizeof ct);
	p = scan_lws(p, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	ct.type = (struct sip_str){ s, (size_t)(p - s) };
	p = scan_lws(p, end);
	if (p == end || *p != '/')
		return SIP_EPARSE;
	p = scan_lws(p + 1, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	ct.subtype = (struct sip_str){ s, (size_t)(p - s) };
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0)
		if (prm.kind == SCAN_PV_NONE || prm.kind == SCAN_PV_HOSTISH)
			return SIP_EPARSE;
	if (rc < 0)
		return SIP_EPARSE;
	ct.params = it.all;
	*out = ct;
	return 0;
}

/*   Reason        = "Reason" HCOLON reason-value *(COMMA reason-value)
 *   reason-value  = protocol *(SEMI reason-params)
 *   protocol      = "SIP" / "Q.850" / token
 *   reason-params = protocol-cause / reason-text / reason-extension
 *   protocol-cause = "cause" EQUAL cause; cause = 1*DIGIT
 *   reason-text   = "text" EQUAL quoted-string */
int sip_reason_parse(struct sip_reason *out, struct sip_str value)
{
	struct sip_reason r;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s;

	memset(&r, 0, sizeof r);
	r.cause = -1;
	p = scan_lws(p, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	r.protocol = (struct sip_str){ s, (size_t)(p - s) };
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0) {
		if (SCAN_NAME_IS(prm.name, "cause")) {
			uint32_t c;
			struct sip_str v = prm.value;
			if (prm.kind != SCAN_PV_TOKEN ||
			    sip_scan_uint(v.p, v.p + v.len, INT32_MAX, &c) != v.p + v.len)
				return SIP_EPARSE;
			r.cause = (int)c;
		} else if (SCAN_NAME_IS(prm.name, "text")) {
			if (prm.kind != SCAN_PV_QUOTED)
				return SIP_EPARSE;
			r.text = prm.value;
		} else if (!sip_scan_genvalue_ok(&prm)) {
			return SIP_EPARSE;
		}
	}
	if (rc < 0)
		return SIP_EPARSE;
	*out = r;
	return 0;
}

/* comment = LPAREN *(ctext / quoted-pair / comment) RPAREN, p at '('. Returns the
 * position after the matching ')', or NULL. Nesting is bounded by the input. */
static const char *scan_comment(const char *p, const char *end)
{
	size_t depth = 0;

	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth == 0)
				return p + 1;
		} else if (c == '\\') {
			if (p + 1 == end || p[1] == '\r' || p[1] == '\n' || (unsigned char)p[1] > 0x7f)
				return NULL;
			p++;
		} else if (c == '\r' || c == '\n') {
			const char *q = scan_lws(p, end);
			if (q == p)
				return NULL;
			p = q - 1;
		} else if (c < 0x20 && c != '\t') {
			return NULL; /* ctext excludes controls */
		} else if (c == 0x7f) {
			return NULL;
		}
	}
	return NULL;
}

/*   Retry-After = "Retry-After" HCOLON delta-seconds [ comment ] *( SEMI retry-param )
 *   retry-param = ("duration" EQUAL delta-seconds) / generic-param
 * RFC 4475 3.1.2.5: an overlarge value is rejected rather than clamped. */
int sip_retry_after_parse(struct sip_retry_after *out, struct sip_str value)
{
	struct sip_retry_after ra;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len;

	memset(&ra, 0, sizeof ra);
	ra.duration = -1;
	p = sip_scan_uint(scan_lws(p, end), end, UINT32_MAX, &ra.seconds);
	if (!p)
		return SIP_EPARSE;
	const char *q = scan_lws(p, end);
	if (q < end && *q == '(') {
		/* LPAREN = SWS "(" SWS; the comment slice is its text, parens off. */
		const char *e = scan_comment(q, end);
		if (!e)
			return SIP_EPARSE;
		ra.comment = sip_str_trim((struct sip_str){ q + 1, (size_t)(e - q - 2) });
		p = e;
	}
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0) {
		if (SCAN_NAME_IS(prm.name, "duration")) {
			uint32_t d;
			struct sip_str v = prm.value;
			if (prm.kind != SCAN_PV_TOKEN ||
			    sip_scan_uint(v.p, v.p + v.len, UINT32_MAX, &d) != v.p + v.len)
				return SIP_EPARSE;
			ra.duration = d;
		} else if (!sip_scan_genvalue_ok(&prm)) {
			return SIP_EPARSE;
		}
	}
	if (rc < 0)
		return SIP_EPARSE;
	*out = ra;
	return 0;
}

/*   Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params)
 *   se-params       = refresher-param / generic-param
 *   refresher-param = "refresher" EQUAL ("uas" / "uac") */
int sip_session_expires_parse(struct sip_session_expires *out, struct sip_str value)
{
	struct sip_session_expires se;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len;

	memset(&se, 0, sizeof se);
	p = sip_scan_uint(scan_lws(p, end), end, UINT32_MAX, &se.delta);
	if (!p)
		return SIP_EPARSE;
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0) {
		if (SCAN_NAME_IS(prm.name, "refresher")) {
			if (prm.kind != SCAN_PV_TOKEN || (!SCAN_NAME_IS(prm.value, "uac") &&
							  !SCAN_NAME_IS(prm.value, "uas")))
				return SIP_EPARSE;
			se.refresher = prm.value;
		} else if (!sip_scan_genvalue_ok(&prm)) {
			return SIP_EPARSE;
		}
	}
	if (rc < 0)
		return SIP_EPARSE;
	*out = se;
	return 0;
}

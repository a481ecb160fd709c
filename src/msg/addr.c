/* name-addr / addr-spec values with header parameters: From, To, Contact, Route,
 * Record-Route, Path, Refer-To, ... (RFC 3261 20.10, 20.20, 20.39 and 25.1;
 * RFC 5626 for +sip.instance and reg-id).
 *
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr    = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *(token LWS) / quoted-string
 * RFC 4475 3.1.1.6: no LWS is needed between a token display name and "<".
 * RFC 3261 20.10: without <>, the URI ends at the first ';' (what follows are
 * header parameters) and may not contain ',', '?' or ';' at all. */
#include <string.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "msg_int.h"
#include "scan.h"

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths. */
static int parse_q(struct sip_str v, int *q)
{
	const char *p = v.p, *e = v.p + v.len;
	int val, scale = 100;

	if (p == e || (*p != '0' && *p != '1'))
		return SIP_EPARSE;
	val = (*p - '0') * 1000;
	p++;
	if (p < e) {
		if (*p != '.' || e - p > 4)
			return SIP_EPARSE;
		for (p++; p < e; p++, scale /= 10) {
			if (!scan_is(*p, SC_DIGIT))
				return SIP_EPARSE;
			val += (*p - '0') * scale;
		}
		if (val > 1000)
			return SIP_EPARSE;
	}
	*q = val;
	return 0;
}

static int addr_param(struct sip_addr *a, const struct scan_param *prm)
{
	struct sip_str n = prm->name, v = prm->value;
	uint32_t x;

	switch (n.len) {
	case 1:
		if ((n.p[0] | 0x20) == 'q') {
			if (prm->kind != SCAN_PV_TOKEN || parse_q(v, &a->q))
				return SIP_EPARSE;
			return 0;
		}
		break;
	case 3:
		if (SCAN_NAME_IS(n, "tag")) {
			/* tag-param = "tag" EQUAL token */
			if (prm->kind != SCAN_PV_TOKEN)
				return SIP_EPARSE;
			a->tag = v;
			return 0;
		}
		break;
	case 6:
		if (SCAN_NAME_IS(n, "reg-id")) {
			/* RFC 5626 4.2: reg-id = "reg-id" EQUAL 1*DIGIT (1 to 2**31-1) */
			if (prm->kind != SCAN_PV_TOKEN ||
			    sip_scan_uint(v.p, v.p + v.len, INT32_MAX, &x) != v.p + v.len)
				return SIP_EPARSE;
			a->reg_id = x;
			a->has_reg_id = true;
			return 0;
		}
		break;
	case 7:
		if (SCAN_NAME_IS(n, "expires")) {
			if (!sip_scan_genvalue_ok(prm))
				return SIP_EPARSE;
			/* RFC 3261 10.2.1.1: values above 2**32-1 may be taken as 2**32-1;
			 * malformed values SHOULD be taken as 3600. */
			if (prm->kind != SCAN_PV_TOKEN ||
			    sip_scan_delta(v.p, v.p + v.len, &x) != v.p + v.len)
				x = 3600;
			a->expires = x;
			a->has_expires = true;
			return 0;
		}
		break;
	case 13:
		if (SCAN_NAME_IS(n, "+sip.instance")) {
			/* RFC 5626 4.1: the value is a quoted "<urn:...>"; a token is
			 * taken as is. */
			if (prm->kind != SCAN_PV_QUOTED && prm->kind != SCAN_PV_TOKEN)
				return SIP_EPARSE;
			a->instance = v;
			return 0;
		}
		break;
	default:
		break;
	}
	return sip_scan_genvalue_ok(prm) ? 0 : SIP_EPARSE;
}

static inline bool is_lws_start(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse into *a directly (zeroed here); on failure *a holds partial results.
 * For the typed accessors, whose arena slot is dropped on failure anyway: this
 * saves sip_addr_parse's copy of the large struct (callgrind figure in
 * msg_int.h). */
int sip_addr_parse_in_(struct sip_addr *a, struct sip_str value)
{
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s, *q;

	memset(a, 0, sizeof *a);
	a->q = -1;
	p = scan_lws(p, end);
	if (p == end)
		return SIP_EPARSE;

	if (*p == '*') {
		/* Contact: STAR = SWS "*" SWS (RFC 3261 20.10); nothing else. */
		if (scan_lws(p + 1, end) != end)
			return SIP_EPARSE;
		a->star = true;
		return 0;
	}

	if (*p == '"') {
		p = sip_scan_quoted(p, end, &a->display);
		if (!p)
			return SIP_EPARSE;
		p = scan_lws(p, end);
		if (p == end || *p != '<')
			return SIP_EPARSE;
	} else if (*p != '<') {
		/* Either *(token LWS) "<" or an addr-spec: a scheme is a token
		 * followed by ':', which no display name can contain. */
		s = p;
		q = scan_class(p, end, SC_TOKEN);
		if (q == p)
			return SIP_EPARSE;
		if (q < end && *q == ':') {
			/* addr-spec without <>: up to ';' or LWS. */
			while (q < end && *q != ';' && !is_lws_start(*q))
				q++;
			a->uri_str = (struct sip_str){ s, (size_t)(q - s) };
			if (sip_scan_uri(&a->uri, a->uri_str) ||
			    memchr(s, '?', a->uri_str.len) || memchr(s, ',', a->uri_str.len))
				return SIP_EPARSE;
			p = q;
			goto params;
		}
		const char *last = q;
		p = q;
		for (;;) {
			q = scan_lws(p, end);
			if (q < end && *q == '<')
				break;
			if (q == p)
				return SIP_EPARSE; /* a non-token character */
			p = scan_class(q, end, SC_TOKEN);
			if (p == q)
				return SIP_EPARSE;
			last = p;
		}
		a->display = (struct sip_str){ s, (size_t)(last - s) };
		p = q;
	}

	/* LAQUOT addr-spec RAQUOT: no LWS inside (RFC 4475 3.1.2.14). */
	s = p + 1;
	q = memchr(s, '>', (size_t)(end - s));
	if (!q)
		return SIP_EPARSE;
	a->uri_str = (struct sip_str){ s, (size_t)(q - s) };
	if (sip_scan_uri(&a->uri, a->uri_str))
		return SIP_EPARSE;
	a->angle = true;
	p = q + 1;

params:;
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0)
		if (addr_param(a, &prm))
			return SIP_EPARSE;
	if (rc < 0)
		return SIP_EPARSE;
	a->params = it.all;
	return 0;
}

int sip_addr_parse(struct sip_addr *out, struct sip_str value)
{
	struct sip_addr a;
	int e = sip_addr_parse_in_(&a, value);

	if (!e)
		*out = a;
	return e;
}

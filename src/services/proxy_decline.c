/* The callee's decline policy: do-not-disturb and a caller blocklist answered
 * 603 Decline (RFC 3261 21.6.2) or 607 Unwanted (RFC 8197) with a Reason header
 * (RFC 3326) saying why, before any branch is created. */
#include <stdio.h>
#include <string.h>

#include "proxy_int.h"
#include "siphon/err.h"
#include "siphon/status.h"

/* A telephone number: the user part of a tel: URI or of a user=phone SIP URI. */
static bool is_number(const struct sip_uri *u)
{
	return u->scheme == SIP_URI_TEL || sip_str_caseeq_cstr(u->user_param, "phone");
}

/* RFC 3966 5.1.1: visual separators carry no meaning. Writes at most n-1 bytes;
 * false when the number does not fit. */
static bool digits(char *dst, size_t n, struct sip_str s)
{
	size_t k = 0;

	for (size_t i = 0; i < s.len; i++) {
		char ch = s.p[i];
		if (ch == '-' || ch == '.' || ch == '(' || ch == ')')
			continue;
		if (ch == ';')
			break; /* a tel: number's parameters inside a SIP user part */
		if (k + 1 >= n)
			return false;
		dst[k++] = ch;
	}
	dst[k] = '\0';
	return k > 0;
}

static bool same_user(struct sip_str a, struct sip_str b)
{
	char ua[256], ub[256];
	int la = sip_unescape(ua, sizeof(ua), a), lb = sip_unescape(ub, sizeof(ub), b);

	if (la < 0 || lb < 0)
		return sip_str_eq(a, b);
	return la == lb && memcmp(ua, ub, (size_t)la) == 0;
}

static bool caller_matches(const struct sip_uri *caller, const struct sip_uri *blocked)
{
	if (is_number(caller) || is_number(blocked)) {
		char a[64], b[64];
		return digits(a, sizeof(a), caller->user) && digits(b, sizeof(b), blocked->user) &&
		       strcmp(a, b) == 0;
	}
	if ((caller->scheme != SIP_URI_SIP && caller->scheme != SIP_URI_SIPS) ||
	    (blocked->scheme != SIP_URI_SIP && blocked->scheme != SIP_URI_SIPS))
		return sip_str_eq(caller->raw, blocked->raw);
	return same_user(caller->user, blocked->user) && sip_str_caseeq(caller->host, blocked->host);
}

static bool blocked_uri(const struct sip_decline_policy *p, const struct sip_uri *caller)
{
	for (size_t i = 0; i < p->nblocked; i++) {
		struct sip_str s = sip_str_trim(p->blocked[i]);
		struct sip_uri u;
		if (s.len >= 2 && s.p[0] == '<' && s.p[s.len - 1] == '>')
			s = (struct sip_str){ s.p + 1, s.len - 2 };
		if (sip_uri_parse(&u, s) == 0 && caller_matches(caller, &u))
			return true;
	}
	return false;
}

/* From, then every P-Asserted-Identity (RFC 3325) value. */
static bool caller_blocked(const struct sip_decline_policy *p, struct sip_msg *req)
{
	const struct sip_addr *from;

	if (sip_msg_from(req, &from) == 0 && blocked_uri(p, &from->uri))
		return true;
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_P_ASSERTED_IDENTITY); h;
	     h = sip_msg_hdr_next(req, h)) {
		struct sip_str rest = h->value, item;
		while (sip_list_next(&rest, &item)) {
			struct sip_addr a;
			if (sip_addr_parse(&a, item) == 0 && blocked_uri(p, &a.uri))
				return true;
		}
	}
	return false;
}

int sip_proxy_decline_decide(struct sip_decline *out, const struct sip_decline_policy *p,
			     struct sip_msg *req)
{
	struct sip_decline d = { 0, NULL, NULL };
	const struct sip_addr *to;

	if (!out || !p || !req || !req->is_request ||
	    (p->block_status != 0 && p->block_status != 603 && p->block_status != 607))
		return -EINVAL;
	/* Only new calls, messages and subscriptions; never inside a dialog. */
	if ((req->method != SIP_METHOD_INVITE && req->method != SIP_METHOD_MESSAGE &&
	     req->method != SIP_METHOD_SUBSCRIBE) ||
	    (sip_msg_to(req, &to) == 0 && to->tag.len)) {
		*out = d;
		return 0;
	}
	if (p->nblocked && caller_blocked(p, req)) {
		d.status = p->block_status == 607 ? 607 : 603;
		d.text = d.status == 607 ? "Unwanted" : "Caller Blocked";
		d.why = "blocklist";
	} else if (p->dnd && req->method == SIP_METHOD_INVITE) {
		d.status = 603;
		d.text = "Do Not Disturb";
		d.why = "dnd";
	}
	*out = d;
	return 0;
}

int sip_proxy_decline_response(struct sip_out **op, struct sip_msg *req,
			       const struct sip_decline *d, struct sip_str to_tag)
{
	struct sip_out *o;
	int err;

	if (!op || !d || (d->status != 603 && d->status != 607) || !d->text)
		return -EINVAL;
	if ((err = sip_out_response_to(&o, req, d->status, NULL, to_tag)))
		return err;
	if ((err = sip_out_addf(o, SIP_HDR_REASON, "SIP;cause=%d;text=\"%s\"", d->status, d->text))) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

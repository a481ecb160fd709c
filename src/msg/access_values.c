/* Typed accessors for the event, session-timer, reason and credential headers:
 * same memoizing scheme as access_typed.c. */
#include "siphon/err.h"

#include "msg_int.h"

SIP_PARSE_WRAP_(p_ctype, struct sip_ctype, sip_ctype_parse)
SIP_PARSE_WRAP_(p_event, struct sip_event, sip_event_parse)
SIP_PARSE_WRAP_(p_substate, struct sip_subscription_state, sip_subscription_state_parse)
SIP_PARSE_WRAP_(p_reason, struct sip_reason, sip_reason_parse)
SIP_PARSE_WRAP_(p_retry_after, struct sip_retry_after, sip_retry_after_parse)
SIP_PARSE_WRAP_(p_session_expires, struct sip_session_expires, sip_session_expires_parse)

SIP_SINGLE_ACCESSOR_(sip_msg_content_type, SIP_HDR_CONTENT_TYPE, SIP_CS_CTYPE, ctype,
		     struct sip_ctype, p_ctype)
SIP_SINGLE_ACCESSOR_(sip_msg_event, SIP_HDR_EVENT, SIP_CS_EVENT, event, struct sip_event, p_event)
SIP_SINGLE_ACCESSOR_(sip_msg_subscription_state, SIP_HDR_SUBSCRIPTION_STATE, SIP_CS_SUBSTATE,
		     substate, struct sip_subscription_state, p_substate)
SIP_SINGLE_ACCESSOR_(sip_msg_reason, SIP_HDR_REASON, SIP_CS_REASON, reason, struct sip_reason,
		     p_reason)
SIP_SINGLE_ACCESSOR_(sip_msg_retry_after, SIP_HDR_RETRY_AFTER, SIP_CS_RETRY_AFTER, retry_after,
		     struct sip_retry_after, p_retry_after)
SIP_SINGLE_ACCESSOR_(sip_msg_session_expires, SIP_HDR_SESSION_EXPIRES, SIP_CS_SESSION_EXPIRES,
		     session_expires, struct sip_session_expires, p_session_expires)

/* ---- credentials and challenges ------------------------------------------------ */

int sip_msg_auth(struct sip_msg *m, enum sip_hdr_id id, unsigned idx, const struct sip_auth **out)
{
	struct sip_msg_auths *a;
	const struct sip_hdr *h;
	unsigned k, i;

	switch (id) {
	case SIP_HDR_AUTHORIZATION: k = 0; break;
	case SIP_HDR_PROXY_AUTHORIZATION: k = 1; break;
	case SIP_HDR_WWW_AUTHENTICATE: k = 2; break;
	case SIP_HDR_PROXY_AUTHENTICATE: k = 3; break;
	default: return -EINVAL;
	}
	if (!sip_msg_has(m, id))
		return SIP_ENOTFOUND;
	a = &m->cache->auths[k];
	if (!a->counted) {
		unsigned n = 0;
		for (h = sip_msg_hdr_(m, id); h; h = sip_msg_hdr_next_(m, h))
			n++;
		if (n) {
			a->st = sip_msg_alloc_(m, n);
			if (a->st)
				memset(a->st, 0, n);
			a->v = sip_msg_alloc_(m, n * sizeof(*a->v));
			if (!a->st || !a->v)
				return -ENOMEM;
		}
		a->n = n;
		a->counted = true;
	}
	if (idx >= a->n)
		return SIP_ENOTFOUND;
	if (a->st[idx] == 0) {
		h = sip_msg_hdr_(m, id);
		for (i = 0; i < idx; i++)
			h = sip_msg_hdr_next_(m, h);
		a->st[idx] = sip_auth_parse(&a->v[idx], h->value) ? -1 : 1;
	}
	if (a->st[idx] < 0)
		return SIP_EPARSE;
	*out = &a->v[idx];
	return 0;
}

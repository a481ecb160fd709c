/* Event / Allow-Events values (RFC 6665 8.2.1, 8.2.2) and Subscription-State
 * (RFC 6665 8.2.3).
 *
 *   Event              = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )
 *   event-type         = event-package *( "." event-template )
 *   event-package      = token-nodot
 *   event-param        = generic-param / ( "id" EQUAL token )
 *   Subscription-State = substate-value *( SEMI subexp-params )
 *   subexp-params      = ("reason" EQUAL event-reason-value)
 *                        / ("expires" EQUAL delta-seconds)
 *                        / ("retry-after" EQUAL delta-seconds) / generic-param */
#include <string.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "scan.h"

int sip_event_parse(struct sip_event *out, struct sip_str value)
{
	struct sip_event ev;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s;

	memset(&ev, 0, sizeof ev);
	p = scan_lws(p, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	/* token-nodot parts separated by single dots. */
	if (*s == '.' || p[-1] == '.')
		return SIP_EPARSE;
	for (const char *q = s + 1; q < p; q++)
		if (q[0] == '.' && q[-1] == '.')
			return SIP_EPARSE;
	ev.package = (struct sip_str){ s, (size_t)(p - s) };
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0) {
		if (SCAN_NAME_IS(prm.name, "id")) {
			if (prm.kind != SCAN_PV_TOKEN)
				return SIP_EPARSE;
			ev.id = prm.value;
		} else if (!sip_scan_genvalue_ok(&prm)) {
			return SIP_EPARSE;
		}
	}
	if (rc < 0)
		return SIP_EPARSE;
	ev.params = it.all;
	*out = ev;
	return 0;
}

static int delta_param(const struct scan_param *prm, int64_t *out)
{
	struct sip_str v = prm->value;
	uint32_t x;

	if (prm->kind != SCAN_PV_TOKEN || sip_scan_delta(v.p, v.p + v.len, &x) != v.p + v.len)
		return SIP_EPARSE;
	*out = x;
	return 0;
}

int sip_subscription_state_parse(struct sip_subscription_state *out, struct sip_str value)
{
	struct sip_subscription_state ss;
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *s;

	memset(&ss, 0, sizeof ss);
	ss.expires = -1;
	ss.retry_after = -1;
	p = scan_lws(p, end);
	s = p;
	p = scan_class(p, end, SC_TOKEN);
	if (p == s)
		return SIP_EPARSE;
	ss.state_str = (struct sip_str){ s, (size_t)(p - s) };
	/* substate-value = "active" / "pending" / "terminated" / extension-substate */
	if (SCAN_NAME_IS(ss.state_str, "active"))
		ss.state = SIP_SUBSTATE_ACTIVE;
	else if (SCAN_NAME_IS(ss.state_str, "pending"))
		ss.state = SIP_SUBSTATE_PENDING;
	else if (SCAN_NAME_IS(ss.state_str, "terminated"))
		ss.state = SIP_SUBSTATE_TERMINATED;
	struct scan_params it = SCAN_PARAMS(p, end);
	struct scan_param prm;
	int rc;
	while ((rc = scan_params_next(&it, &prm)) > 0) {
		if (SCAN_NAME_IS(prm.name, "reason")) {
			/* event-reason-value: the registered values or a token */
			if (prm.kind != SCAN_PV_TOKEN)
				return SIP_EPARSE;
			ss.reason = prm.value;
		} else if (SCAN_NAME_IS(prm.name, "expires")) {
			if (delta_param(&prm, &ss.expires))
				return SIP_EPARSE;
		} else if (SCAN_NAME_IS(prm.name, "retry-after")) {
			if (delta_param(&prm, &ss.retry_after))
				return SIP_EPARSE;
		} else if (!sip_scan_genvalue_ok(&prm)) {
			return SIP_EPARSE;
		}
	}
	if (rc < 0)
		return SIP_EPARSE;
	*out = ss;
	return 0;
}

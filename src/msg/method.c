/* Request methods: text to enum and back. Methods are case-sensitive tokens
 * (RFC 3261 7.1), so the compare is exact. */
#include <string.h>

#include "siphon/hdr.h"

static const struct sip_str names[SIP_METHOD__COUNT] = {
	[SIP_METHOD_OTHER] = { "", 0 },
	[SIP_METHOD_INVITE] = SIP_STR_INIT("INVITE"),
	[SIP_METHOD_ACK] = SIP_STR_INIT("ACK"),
	[SIP_METHOD_BYE] = SIP_STR_INIT("BYE"),
	[SIP_METHOD_CANCEL] = SIP_STR_INIT("CANCEL"),
	[SIP_METHOD_OPTIONS] = SIP_STR_INIT("OPTIONS"),
	[SIP_METHOD_REGISTER] = SIP_STR_INIT("REGISTER"),
	[SIP_METHOD_PRACK] = SIP_STR_INIT("PRACK"),
	[SIP_METHOD_SUBSCRIBE] = SIP_STR_INIT("SUBSCRIBE"),
	[SIP_METHOD_NOTIFY] = SIP_STR_INIT("NOTIFY"),
	[SIP_METHOD_PUBLISH] = SIP_STR_INIT("PUBLISH"),
	[SIP_METHOD_INFO] = SIP_STR_INIT("INFO"),
	[SIP_METHOD_REFER] = SIP_STR_INIT("REFER"),
	[SIP_METHOD_MESSAGE] = SIP_STR_INIT("MESSAGE"),
	[SIP_METHOD_UPDATE] = SIP_STR_INIT("UPDATE"),
};

enum sip_method sip_method_from_str(struct sip_str s)
{
	/* Dispatch on the first letter; at most three candidates share one. */
	if (s.len < 3)
		return SIP_METHOD_OTHER;
	for (int m = 1; m < SIP_METHOD__COUNT; m++)
		if (names[m].p[0] == s.p[0] && sip_str_eq(names[m], s))
			return (enum sip_method)m;
	return SIP_METHOD_OTHER;
}

const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_METHOD__COUNT ? names[m].p : "";
}

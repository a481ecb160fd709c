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

static inline enum sip_method is(struct sip_str s, enum sip_method m)
{
	return memcmp(s.p, names[m].p, s.len) == 0 ? m : SIP_METHOD_OTHER;
}

enum sip_method sip_method_from_str(struct sip_str s)
{
	/* Length, then first letter: one candidate, one memcmp (every message
	 * looks its method up twice, start line and CSeq). */
	switch (s.len) {
	case 3:
		return s.p[0] == 'A' ? is(s, SIP_METHOD_ACK) : s.p[0] == 'B' ? is(s, SIP_METHOD_BYE) :
									  SIP_METHOD_OTHER;
	case 4:
		return is(s, SIP_METHOD_INFO);
	case 5:
		return s.p[0] == 'P' ? is(s, SIP_METHOD_PRACK) : is(s, SIP_METHOD_REFER);
	case 6:
		switch (s.p[0]) {
		case 'I': return is(s, SIP_METHOD_INVITE);
		case 'C': return is(s, SIP_METHOD_CANCEL);
		case 'N': return is(s, SIP_METHOD_NOTIFY);
		case 'U': return is(s, SIP_METHOD_UPDATE);
		default: return SIP_METHOD_OTHER;
		}
	case 7:
		switch (s.p[0]) {
		case 'O': return is(s, SIP_METHOD_OPTIONS);
		case 'P': return is(s, SIP_METHOD_PUBLISH);
		case 'M': return is(s, SIP_METHOD_MESSAGE);
		default: return SIP_METHOD_OTHER;
		}
	case 8:
		return is(s, SIP_METHOD_REGISTER);
	case 9:
		return is(s, SIP_METHOD_SUBSCRIBE);
	default:
		return SIP_METHOD_OTHER;
	}
}

const char *sip_method_name(enum sip_method m)
{
	return (unsigned)m < SIP_METHOD__COUNT ? names[m].p : "";
}

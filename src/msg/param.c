/* Parameter lookup in ';'-separated lists: URI parameters (RFC 3261 19.1.1) and
 * header parameters (generic-param, RFC 3261 25.1). */
#include "siphon/err.h"
#include "siphon/uri.h"
#include "scan.h"

static bool name_eq(struct sip_str s, const char *name)
{
	size_t i = 0;

	for (; i < s.len; i++) {
		unsigned char a = (unsigned char)s.p[i], b = (unsigned char)name[i];
		if (b == 0)
			return false;
		if ((unsigned)(a - 'A') < 26u)
			a |= 0x20;
		if ((unsigned)(b - 'A') < 26u)
			b |= 0x20;
		if (a != b)
			return false;
	}
	return name[i] == 0;
}

int sip_param_find(struct sip_str params, const char *name, struct sip_str *value)
{
	SCAN_NONNULL(params);
	const char *p = params.p, *end = params.p + params.len;

	/* Lenient walk: the list was validated by whoever parsed it. LWS is allowed
	 * around ';' and '=' (header parameters), and ';' inside a quoted value does
	 * not separate. */
	while (p < end) {
		p = scan_lws(p, end);
		if (p < end && *p == ';')
			p = scan_lws(p + 1, end);
		const char *s = p;
		while (p < end && *p != ';' && *p != '=' && !scan_is(*p, SC_WSP) &&
		       *p != '\r' && *p != '\n')
			p++;
		struct sip_str n = { s, (size_t)(p - s) }, v = { p, 0 };
		const char *q = scan_lws(p, end);
		if (q < end && *q == '=') {
			p = scan_lws(q + 1, end);
			if (p < end && *p == '"') {
				const char *r = sip_scan_quoted(p, end, &v);
				if (!r) {
					/* Unterminated: take the rest without the quote. */
					v.p = p + 1;
					v.len = (size_t)(end - p - 1);
					r = end;
				}
				p = r;
			} else {
				s = p;
				while (p < end && *p != ';' && !scan_is(*p, SC_WSP) && *p != '\r' &&
				       *p != '\n')
					p++;
				v.p = s;
				v.len = (size_t)(p - s);
			}
		}
		if (n.len && name_eq(n, name)) {
			*value = v;
			return 0;
		}
		/* Skip anything up to the next ';' (garbage in an unvalidated list). */
		while (p < end && *p != ';')
			p++;
	}
	return SIP_ENOTFOUND;
}

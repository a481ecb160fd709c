/* Comma-separated header values (RFC 3261 7.3.1): split without copying. */
#include "siphon/hdr.h"
#include "scan.h"

/* Skip one quoted-string leniently: used only to find the element boundary, so an
 * unterminated quote swallows the rest and the element parser rejects it. */
static const char *skip_quoted(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if (*p == '\\' && p + 1 < end)
			p++;
	}
	return end;
}

bool sip_list_next(struct sip_str *rest, struct sip_str *item)
{
	if (rest->len == 0)
		return false;
	const char *p = rest->p, *end = rest->p + rest->len;

	/* Empty elements (",,") are skipped, as the #rule of RFC 7230 7 asks;
	 * no SIP grammar gives them a meaning. */
	for (;;) {
		p = scan_lws(p, end);
		if (p == end) {
			rest->p = end;
			rest->len = 0;
			return false;
		}
		if (*p != ',')
			break;
		p++;
	}

	const char *s = p, *last = p;
	int angle = 0;
	while (p < end) {
		/* Runs of bytes that decide nothing with the unrolled class scan
		 * (callgrind.sh siphon: 10,014 -> 9,945 instructions per message). */
		const char *q = scan_class(p, end, SC_LPLAIN);
		if (q != p) {
			p = last = q;
			if (p == end)
				break;
		}
		char c = *p;
		if (c == '"') {
			p = skip_quoted(p, end);
			last = p;
			continue;
		}
		if (c == '<') {
			angle = 1;
		} else if (c == '>') {
			angle = 0;
		} else if (c == ',' && !angle) {
			break;
		}
		p++;
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			last = p;
	}
	item->p = s;
	item->len = (size_t)(last - s);
	if (p < end)
		p++; /* the comma */
	rest->p = p;
	rest->len = (size_t)(end - p);
	return true;
}

/* siphon server: answering a datagram the parser refused (RFC 3261 8.2, 21.4.1).
 *
 * The message did not parse, so there is no struct sip_msg to build a response
 * from; the lines a client needs to match the answer (Via, From, To, Call-ID, CSeq;
 * 8.2.6.2) are copied as text from the datagram, the To gets a tag, and the status
 * and reason are the parser's ("400 Bad Request (Missing Call-ID)"). The answer goes
 * back to the datagram's source address and port (the Via may be what is broken, so
 * this is RFC 3581's rport behaviour whether asked or not). Nothing is answered when
 * one of those five lines is missing, for a response, or for an ACK (17.2.1). */
#include <string.h>

#include "server_int.h"
#include "siphon/build.h"
#include "siphon/log.h"

static bool line_is(const char *p, size_t n, const char *full, char compact)
{
	size_t fl = strlen(full), i = 0;

	if (n > fl && strncasecmp(p, full, fl) == 0)
		i = fl;
	else if (compact && n > 1 && (p[0] | 0x20) == compact)
		i = 1;
	else
		return false;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return i < n && p[i] == ':';
}

int server_bad_answer(struct sip_buf *b, const char *buf, size_t len, unsigned status,
		      const char *reason, struct sip_str tag)
{
	static const struct { const char *name; char compact; } want[] = {
		{ "Via", 'v' }, { "From", 'f' }, { "To", 't' }, { "Call-ID", 'i' }, { "CSeq", 0 },
	};
	const char *end = memmem(buf, len, "\r\n\r\n", 4), *p, *eol;
	unsigned seen = 0;

	if (!end || len < 4 || memcmp(buf, "SIP/", 4) == 0 || memcmp(buf, "ACK ", 4) == 0)
		return -1;
	if (memchr(buf, '\0', (size_t)(end - buf)))
		return -1;
	if (status < 400 || status > 699)
		status = 400;
	sip_buf_reset(b);
	if (sip_buf_printf(b, "SIP/2.0 %u %s\r\n", status, reason ? reason : "Bad Request") < 0)
		return -1;
	p = memmem(buf, (size_t)(end - buf) + 2, "\r\n", 2);
	for (p = p ? p + 2 : end; p < end; p = eol + 2) {
		size_t n;
		eol = memmem(p, (size_t)(end + 2 - p), "\r\n", 2);
		if (!eol)
			break;
		n = (size_t)(eol - p);
		/* Folded continuation lines are dropped with their header. */
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			if (!line_is(p, n, want[k].name, want[k].compact))
				continue;
			/* One From, To, Call-ID and CSeq; every Via line. */
			if (k != 0 && (seen & (1u << k)))
				break;
			seen |= 1u << k;
			if (sip_buf_append(b, p, n) != 0)
				return -1;
			if (k == 2 && !memmem(p, n, "tag=", 4) &&
			    (sip_buf_append(b, ";tag=", 5) != 0 || sip_buf_append_str(b, tag) != 0))
				return -1;
			if (sip_buf_append(b, "\r\n", 2) != 0)
				return -1;
			break;
		}
	}
	if (seen != 0x1f)
		return -1;
	return sip_buf_append_cstr(b, "Content-Length: 0\r\n\r\n");
}

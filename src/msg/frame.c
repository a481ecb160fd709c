/* sip_msg_frame: cut one message out of a byte stream (TCP, TLS, WebSocket
 * fallback), RFC 3261 18.3: the header section ends at the first empty line and
 * Content-Length, mandatory on streams, gives the body.
 *
 * Stateless like picohttpparser's phr_parse_request: the caller passes the length
 * it had the previous time (last_len) and only the new bytes (plus the 3 before
 * them, which may hold the start of the empty line) are searched again, so a peer
 * trickling its headers byte by byte costs O(new bytes) per call. The caller's
 * buffer has no padding: the SSE2 loop loads 16 bytes only while 16 remain. */
#include "siphon/err.h"

#include "msg_int.h"

static int fail(struct sip_parse_error *err, int code, uint16_t status, const char *reason,
		size_t off)
{
	if (err) {
		err->status = status;
		err->reason = reason;
		err->offset = off;
	}
	return code;
}

/* Is the LF at p[j] the first LF of an empty line ("\n\n" or "\n\r\n")? Returns
 * the offset just past that empty line, or 0 (not one, or not decidable yet). */
static inline size_t blank_at(const char *p, size_t j, size_t n)
{
	if (j + 1 < n && p[j + 1] == '\n')
		return j + 2;
	if (j + 2 < n && p[j + 1] == '\r' && p[j + 2] == '\n')
		return j + 3;
	return 0;
}

static size_t find_header_end(const char *p, size_t i, size_t n)
{
	size_t r;

#ifdef SIP_SSE2
	const __m128i lf = _mm_set1_epi8('\n');

	while (i + 16 <= n) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, lf));

		while (mask) {
			r = blank_at(p, i + (unsigned)__builtin_ctz(mask), n);
			if (r)
				return r;
			mask &= mask - 1;
		}
		i += 16;
	}
#endif
	for (; i < n; i++)
		if (p[i] == '\n' && (r = blank_at(p, i, n)) != 0)
			return r;
	return 0;
}

/* Content-Length of the header section p[0..hend): every line after the start
 * line is checked by name (full or compact "l", any case). 0 with *clen set, 1
 * when absent, SIP_EPARSE (with err) when malformed or conflicting. */
static int find_content_length(const char *p, size_t hend, uint32_t *clen, size_t *bad_off,
			       const char **why)
{
	bool found = false;
	uint32_t val = 0;
	size_t line, q, nl;
	const char *x;

	/* Offsets, not pointers: every memchr bound is hend - i with i < hend. */
	x = memchr(p, '\n', hend);
	if (!x)
		return 1;
	line = (size_t)(x - p) + 1;
	while (line < hend) {
		uint32_t n;

		q = line;
		while (q < hend && sip_is_token((unsigned char)p[q]))
			q++;
		if (q == hend || !(x = memchr(p + q, '\n', hend - q)))
			break;
		nl = (size_t)(x - p);
		if (q > line && sip_hdr_id_token(p + line, q - line) == SIP_HDR_CONTENT_LENGTH) {
			size_t vs;

			while (p[q] == ' ' || p[q] == '\t')
				q++;
			if (p[q] != ':')
				goto bad;
			vs = q + 1;
			/* Folded continuation lines belong to the value. */
			while (nl + 1 < hend && (p[nl + 1] == ' ' || p[nl + 1] == '\t')) {
				x = memchr(p + nl + 1, '\n', hend - (nl + 1));
				if (!x)
					break;
				nl = (size_t)(x - p);
			}
			if (sip_msg_clen_parse_(sip_str_trim((struct sip_str){ p + vs, nl - vs }), &n))
				goto bad;
			if (found && n != val) {
				*why = "Bad Request (Conflicting Content-Length)";
				*bad_off = line;
				return SIP_EPARSE;
			}
			found = true;
			val = n;
		}
		line = nl + 1;
	}
	if (!found)
		return 1;
	*clen = val;
	return 0;
bad:
	*why = "Bad Request (Malformed Content-Length)";
	*bad_off = line;
	return SIP_EPARSE;
}

int sip_msg_frame(const char *buf, size_t len, size_t last_len, const struct sip_limits *limp,
		  size_t *skip, size_t *msg_len, struct sip_parse_error *err)
{
	struct sip_limits lim;
	size_t s = 0, n, from, hend, bad_off = 0;
	const char *p, *why = NULL;
	uint32_t clen;
	int r;

	sip_limits_resolve(&lim, limp);
	/* RFC 3261 7.5 / RFC 5626 3.5.1: CRLFs before a start-line are keep-alives. */
	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	if (s == len) {
		*skip = s;
		*msg_len = 0;
		return SIP_EINCOMPLETE;
	}
	p = buf + s;
	n = len - s;
	/* A start line begins with a method or "SIP/", both tokens: anything else
	 * (a TLS record on a TCP port, binary junk) fails now, not at the size limit. */
	if (!sip_is_token((unsigned char)p[0]))
		return fail(err, SIP_EPARSE, 400, "Bad Request (Not a SIP message)", s);

	from = last_len > s + 3 ? last_len - s - 3 : 0;
	if (from > n)
		from = 0;
	hend = find_header_end(p, from, n);
	/* Over the size limit: RFC 3261 21.4.11 413 when the body is what makes it too
	 * large (the client may retry without it, 8.1.3.5), 21.5.7 513 Message Too
	 * Large when the header block alone is. */
	if (!hend) {
		if (n > lim.max_msg_size)
			return fail(err, SIP_ETOOBIG, 513, "Message Too Large", s);
		*skip = s;
		*msg_len = 0;
		return SIP_EINCOMPLETE;
	}
	if (hend > lim.max_msg_size)
		return fail(err, SIP_ETOOBIG, 513, "Message Too Large", s);

	r = find_content_length(p, hend, &clen, &bad_off, &why);
	if (r < 0)
		return fail(err, r, 400, why, s + bad_off);
	if (r > 0)
		return fail(err, SIP_EPARSE, 400, "Bad Request (Missing Content-Length)", s + hend);
	if ((uint64_t)hend + clen > lim.max_msg_size)
		return fail(err, SIP_ETOOBIG, 413, "Request Entity Too Large", s);
	*skip = s;
	*msg_len = hend + clen;
	return n >= hend + clen ? 0 : SIP_EINCOMPLETE;
}

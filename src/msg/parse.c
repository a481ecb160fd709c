/* sip_msg_parse: one heap block per message, the start line by hand, every header
 * split in one pass into a fixed-capacity table (RFC 3261 7, 7.3, 18.3, 25).
 *
 * The block holds, in order: struct sip_msg, a copy of the bytes (NUL-terminated
 * and followed by zero bytes, PAD in all, so the SSE2 scanners may load 16 bytes
 * from any position up to the end and a header name may be compared 8 bytes at a
 * time, 24 bytes from its start), then the first arena block, which receives the header
 * table and the typed-value cache. A typical message therefore costs one malloc;
 * only a message with an unusual number of headers or values chains an arena
 * block. */
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"

#include "msg_int.h"

#define PAD 32u
#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

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

int sip_msg_clen_parse_(struct sip_str v, uint32_t *out)
{
	uint64_t n = 0;

	if (v.len == 0 || v.len > 10)
		return SIP_EPARSE;
	for (size_t i = 0; i < v.len; i++) {
		unsigned d = (unsigned char)v.p[i] - '0';
		if (d > 9)
			return SIP_EPARSE;
		n = n * 10 + d;
	}
	if (n > UINT32_MAX)
		return SIP_EPARSE;
	*out = (uint32_t)n;
	return 0;
}

static inline bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* CSeq = 1*DIGIT LWS Method (RFC 3261 20.16). The number must fit 32 bits
 * (8.1.1.5: "expressible as a 32-bit unsigned integer"); the value is already
 * trimmed, folded LWS may separate the two parts (RFC 4475 3.1.1.1). */
static int cseq_parse(struct sip_cseq *out, struct sip_str v)
{
	const char *p = v.p, *e = v.p + v.len;
	uint64_t n = 0;
	size_t digits = 0;
	const char *ms;

	while (p < e && (unsigned)(*p - '0') <= 9) {
		n = n * 10 + (unsigned)(*p - '0');
		if (++digits > 10)
			return SIP_EPARSE;
		p++;
	}
	if (!digits || n > UINT32_MAX || p == e || !is_lws(*p))
		return SIP_EPARSE;
	while (p < e && is_lws(*p))
		p++;
	ms = p;
	while (p < e && sip_is_token((unsigned char)*p))
		p++;
	if (p == ms || p != e)
		return SIP_EPARSE;
	out->seq = (uint32_t)n;
	out->method_str = (struct sip_str){ ms, (size_t)(e - ms) };
	out->method = sip_method_from_str(out->method_str);
	return 0;
}

/* Via values on one line: commas outside quoted strings separate values. */
static unsigned via_values(struct sip_str v, bool no_comma)
{
	unsigned n = 1;
	bool q = false;

	if (no_comma)
		return 1;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (c == '\\' && q)
			i++;
		else if (c == '"')
			q = !q;
		else if (c == ',' && !q)
			n++;
	}
	return n;
}

/* SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive (RFC 3261 7.1).
 * 0 for SIP/2.0; 505 for a well-formed other version; 400 when malformed. */
static unsigned version_check(const char *p, const char *e)
{
	const char *maj, *min, *dot;

	if (e - p < 7 || (p[0] | 0x20) != 's' || (p[1] | 0x20) != 'i' || (p[2] | 0x20) != 'p' ||
	    p[3] != '/')
		return 400;
	maj = p + 4;
	dot = maj;
	while (dot < e && (unsigned)(*dot - '0') <= 9)
		dot++;
	if (dot == maj || dot == e || *dot != '.')
		return 400;
	min = dot + 1;
	p = min;
	while (p < e && (unsigned)(*p - '0') <= 9)
		p++;
	if (p == min || p != e)
		return 400;
	if (dot - maj == 1 && maj[0] == '2' && e - min == 1 && min[0] == '0')
		return 0;
	return 505;
}

/* Is the control character at c (inside the value starting at vs) the second
 * byte of a quoted-pair inside a quoted-string? RFC 3261 25.1:
 *   quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F)
 * so NUL, BEL, DEL and friends may appear escaped in a quoted string (RFC 4475
 * 3.1.1.2 intmeth), while a raw CTL anywhere else is malformed. Only reached on
 * the rare path where the split stops at such a byte, so it rescans the value
 * from its start to learn the quoting state. */
static bool ctl_is_quoted_pair(const char *vs, const char *c)
{
	bool quoted = false;

	for (const char *t = vs; t < c; t++) {
		if (!quoted) {
			if (*t == '"')
				quoted = true;
		} else if (*t == '\\') {
			if (t + 1 == c)
				return true;
			t++;
		} else if (*t == '"') {
			quoted = false;
		}
	}
	return false;
}

static int parse_start_line(struct sip_msg *m, const char *p, const struct sip_limits *lim,
			    struct sip_parse_error *err, const char **nextp)
{
	const char *b = m->buf, *end = m->buf + m->len;
	const char *eol = p, *q, *u, *v, *nl;
	unsigned vs;

	for (;;) {
		eol = sip_scan_ctl(eol);
		if (*eol != '\t')
			break;
		eol++;
	}
	if (eol >= end)
		return fail(err, SIP_EPARSE, 400, "Bad Request (Truncated Start-Line)",
			    (size_t)(eol - b));
	if (*eol == '\r') {
		if (eol[1] != '\n')
			return fail(err, SIP_EPARSE, 400, "Bad Request (Bare CR)", (size_t)(eol - b));
		nl = eol + 2;
	} else if (*eol == '\n') {
		nl = eol + 1;
	} else {
		return fail(err, SIP_EPARSE, 400, "Bad Request (Control character in Start-Line)",
			    (size_t)(eol - b));
	}

	if ((p[0] | 0x20) == 's' && (p[1] | 0x20) == 'i' && (p[2] | 0x20) == 'p' && p[3] == '/') {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF. '/' is
		 * not a token character, so no method can look like this. */
		m->is_request = false;
		if ((size_t)(eol - p) > lim->max_line)
			return fail(err, SIP_ETOOBIG, 400, "Bad Request (Status-Line too long)",
				    (size_t)(p - b));
		q = p;
		while (q < eol && *q != ' ')
			q++;
		vs = version_check(p, q);
		if (vs == 505)
			return fail(err, SIP_EPARSE, 505, "Version Not Supported", (size_t)(p - b));
		if (vs || q == eol || eol - q < 4)
			return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed Status-Line)",
				    (size_t)(p - b));
		m->version = (struct sip_str){ p, (size_t)(q - p) };
		q++;
		/* Status-Code = 3DIGIT, 100..699 (RFC 3261 7.2, 21): anything longer,
		 * e.g. RFC 4475 3.1.2.19's 4294967301, is malformed. */
		if ((unsigned)(q[0] - '1') > 5 || (unsigned)(q[1] - '0') > 9 ||
		    (unsigned)(q[2] - '0') > 9 || (q + 3 != eol && q[3] != ' '))
			return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed Status-Code)",
				    (size_t)(q - b));
		m->status = (uint16_t)((q[0] - '0') * 100 + (q[1] - '0') * 10 + (q[2] - '0'));
		/* Reason-Phrase may be empty; a missing SP before it is tolerated. */
		q += 3;
		if (q < eol)
			q++;
		m->reason = (struct sip_str){ q, (size_t)(eol - q) };
		*nextp = nl;
		return 0;
	}

	/* Request-Line = Method SP Request-URI SP SIP-Version CRLF, single SPs
	 * (RFC 4475 3.1.2.9/3.1.2.10 lwsstart and trws are rejected). */
	m->is_request = true;
	if ((size_t)(eol - p) > lim->max_line)
		return fail(err, SIP_ETOOBIG, 414, "Request-URI Too Long", (size_t)(p - b));
	q = p;
	while (sip_is_token((unsigned char)*q))
		q++;
	if (q == p || *q != ' ')
		return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed Method)", (size_t)(q - b));
	m->method_str = (struct sip_str){ p, (size_t)(q - p) };
	m->method = sip_method_from_str(m->method_str);
	u = q + 1;
	q = sip_scan_sp(u);
	/* RFC 4475 3.1.2.7: a Request-URI in <> is not a Request-URI. */
	if (q == u || *q != ' ' || *u == '<')
		return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed Request-URI)",
			    (size_t)(u - b));
	m->ruri_str = (struct sip_str){ u, (size_t)(q - u) };
	v = q + 1;
	vs = version_check(v, eol);
	if (vs == 505)
		return fail(err, SIP_EPARSE, 505, "Version Not Supported", (size_t)(v - b));
	if (vs) {
		/* RFC 4475 3.1.2.8 lwsruri: the Request-URI ends at the first SP, so
		 * whitespace inside it leaves URI text before a well-formed version.
		 * Name that fault rather than the version it displaced. */
		const char *sp = eol;
		while (sp > v && sp[-1] != ' ' && sp[-1] != '\t')
			sp--;
		if (sp > v && version_check(sp, eol) != 400)
			return fail(err, SIP_EPARSE, 400,
				    "Bad Request (Whitespace inside Request-URI)", (size_t)(v - b));
		return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed SIP-Version)",
			    (size_t)(v - b));
	}
	m->version = (struct sip_str){ v, (size_t)(eol - v) };
	*nextp = nl;
	return 0;
}

/* Grow the header table in the arena (only for messages with more header lines
 * than the first estimate). */
static int grow_table(struct sip_msg *m, uint16_t *cap, uint16_t max)
{
	size_t ncap = (size_t)*cap * 2;
	struct sip_hdr *t;

	if (ncap > max)
		ncap = max;
	t = sip_arena_alloc(&m->arena, ncap * sizeof(*t));
	if (!t)
		return -ENOMEM;
	memcpy(t, m->hdrs, (size_t)m->nhdrs * sizeof(*t));
	m->hdrs = t;
	*cap = (uint16_t)ncap;
	return 0;
}

static int parse_headers(struct sip_msg *m, const char *p, const struct sip_limits *lim,
			 uint16_t cap, struct sip_parse_error *err, const char **bodyp)
{
	const char *b = m->buf, *end = m->buf + m->len;
	uint16_t last[SIP_HDR__COUNT];
	/* The table, count and mask live in locals while splitting: the stores of
	 * uint8_t fields below may alias anything, which would otherwise reload
	 * them from *m on every line. */
	struct sip_hdr *hdrs = m->hdrs;
	uint16_t *first = m->first;
	unsigned n = 0;
	uint64_t present = 0;
	const size_t max_line = lim->max_line;

	for (;;) {
		const char *name = p, *q, *vs, *eol, *nl, *ve;
		unsigned commas;
		enum sip_hdr_id id;
		struct sip_hdr *h;
		struct sip_str val;
		size_t nlen;

		/* End of the header section: an empty line (bare LF tolerated,
		 * RFC 3261 7.5 robustness). It is mandatory (RFC 3261 7): without it
		 * a truncated datagram would pass for a whole one. */
		if (SIP_UNLIKELY((unsigned char)*p <= '\r')) {
			if ((*p == '\r' && p[1] == '\n') || *p == '\n') {
				*bodyp = p + (*p == '\r' ? 2 : 1);
				m->nhdrs = (uint16_t)n;
				m->present = present;
				return 0;
			}
			if (p >= end)
				return fail(err, SIP_EPARSE, 400,
					    "Bad Request (Missing empty line after headers)", (size_t)(p - b));
		}

		q = sip_scan_name_end(p);
		nlen = (size_t)(q - name);
		if (SIP_UNLIKELY(nlen == 0))
			return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed header name)",
				    (size_t)(p - b));
		id = sip_hdr_id_padded(name, nlen);
		/* A known name is a token by construction; check the others. */
		if (id == SIP_HDR_OTHER)
			for (const char *t = name; t < q; t++)
				if (SIP_UNLIKELY(!sip_is_token((unsigned char)*t)))
					return fail(err, SIP_EPARSE, 400,
						    "Bad Request (Malformed header name)", (size_t)(t - b));
		/* SP/HTAB before the colon is allowed in SIP (RFC 3261 7.3.1). */
		if (SIP_UNLIKELY(*q != ':')) {
			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != ':')
				return fail(err, SIP_EPARSE, 400,
					    "Bad Request (Missing colon after header name)", (size_t)(q - b));
		}
		q++;
		/* Leading LWS, including a fold right after the colon ("To :\r\n sip:...");
		 * the usual single SP first. */
		if (q[0] == ' ' && (unsigned char)q[1] > ' ')
			q++;
		else for (;;) {
			while (*q == ' ' || *q == '\t')
				q++;
			if (q[0] == '\r' && q[1] == '\n' && (q[2] == ' ' || q[2] == '\t'))
				q += 3;
			else if (q[0] == '\n' && (q[1] == ' ' || q[1] == '\t'))
				q += 2;
			else
				break;
		}
		vs = q;
		commas = 0;
		/* The value runs to a line end not followed by SP/HTAB (folding,
		 * RFC 3261 7.3.1). */
		for (;;) {
			eol = sip_scan_ctl_commas(q, &commas);
			if (*eol == '\r' && eol[1] == '\n') {
				nl = eol + 2;
			} else if (*eol == '\n') {
				nl = eol + 1;
			} else if (*eol == '\t') {
				q = eol + 1;
				continue;
			} else if (eol >= end) {
				return fail(err, SIP_EPARSE, 400, "Bad Request (Truncated header)",
					    (size_t)(p - b));
			} else if (ctl_is_quoted_pair(vs, eol)) {
				q = eol + 1;
				continue;
			} else {
				return fail(err, SIP_EPARSE, 400,
					    "Bad Request (Control character in header)",
					    (size_t)(eol - b));
			}
			if (*nl != ' ' && *nl != '\t')
				break;
			q = nl;
		}
		if (SIP_UNLIKELY((size_t)(eol - p) > max_line))
			return fail(err, SIP_ETOOBIG, 400, "Bad Request (Header line too long)",
				    (size_t)(p - b));
		/* Only SP, HTAB, CR and LF can be below 0x21 inside a value here. */
		ve = eol;
		while (ve > vs && (unsigned char)ve[-1] <= ' ')
			ve--;
		val = (struct sip_str){ vs, (size_t)(ve - vs) };

		if (SIP_UNLIKELY(n == cap)) {
			int e;
			if (cap >= lim->max_headers)
				return fail(err, SIP_ETOOBIG, 400, "Bad Request (Too many headers)",
					    (size_t)(p - b));
			m->nhdrs = (uint16_t)n;
			e = grow_table(m, &cap, lim->max_headers);
			if (e)
				return e;
			hdrs = m->hdrs;
		}
		h = &hdrs[n];
		*h = (struct sip_hdr){ .name = { name, nlen },
				       .value = val,
				       .id = (uint8_t)id,
				       .flags = commas ? 0 : SIP_HDR_F_NO_COMMA,
				       .next = SIP_HDR_NONE };
		if (first[id] == SIP_HDR_NONE) {
			first[id] = (uint16_t)n;
			present |= (uint64_t)1 << id;
		} else {
			hdrs[last[id]].next = (uint16_t)n;
		}
		last[id] = (uint16_t)n;
		n++;

		p = nl;
	}
}

/* The headers the parser itself must understand, checked once the section is
 * split (keeping id-specific branches out of the per-line loop): singletons
 * (RFC 4475 3.3.8 multi01, 3.3.9 mcl01), CSeq, Content-Length, Call-ID, and the
 * Via value count against its limit. */
static int check_headers(struct sip_msg *m, const struct sip_limits *lim,
			 struct sip_parse_error *err)
{
	static const struct {
		enum sip_hdr_id id;
		const char *why;
	} singletons[] = {
		{ SIP_HDR_CALL_ID, "Bad Request (Duplicate Call-ID)" },
		{ SIP_HDR_FROM, "Bad Request (Duplicate From)" },
		{ SIP_HDR_TO, "Bad Request (Duplicate To)" },
		{ SIP_HDR_CSEQ, "Bad Request (Duplicate CSeq)" },
	};
	const char *b = m->buf;
	struct sip_msg_cache *c = m->cache;
	const struct sip_hdr *h;

	for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++) {
		h = sip_msg_hdr_(m, singletons[i].id);
		if (h && h->next != SIP_HDR_NONE)
			return fail(err, SIP_EPARSE, 400, singletons[i].why,
				    (size_t)(m->hdrs[h->next].name.p - b));
	}
	for (h = sip_msg_hdr_(m, SIP_HDR_VIA); h; h = sip_msg_hdr_next_(m, h)) {
		c->via_values += via_values(h->value, h->flags & SIP_HDR_F_NO_COMMA);
		if (c->via_values > lim->max_vias)
			return fail(err, SIP_ETOOBIG, 400, "Bad Request (Too many Via values)",
				    (size_t)(h->name.p - b));
	}
	h = sip_msg_hdr_(m, SIP_HDR_CSEQ);
	if (h && cseq_parse(&c->cseq, h->value))
		return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed CSeq)",
			    (size_t)(h->value.p - b));
	for (h = sip_msg_hdr_(m, SIP_HDR_CONTENT_LENGTH); h; h = sip_msg_hdr_next_(m, h)) {
		uint32_t cl;
		if (sip_msg_clen_parse_(h->value, &cl))
			return fail(err, SIP_EPARSE, 400, "Bad Request (Malformed Content-Length)",
				    (size_t)(h->value.p - b));
		if (c->has_content_length && cl != c->content_length)
			return fail(err, SIP_EPARSE, 400, "Bad Request (Conflicting Content-Length)",
				    (size_t)(h->name.p - b));
		c->content_length = cl;
		c->has_content_length = true;
	}
	h = sip_msg_hdr_(m, SIP_HDR_CALL_ID);
	if (h && h->value.len == 0)
		return fail(err, SIP_EPARSE, 400, "Bad Request (Empty Call-ID)", (size_t)(h->name.p - b));
	return 0;
}

int sip_msg_parse(struct sip_msg **mp, const char *buf, size_t len, const struct sip_limits *limp,
		  struct sip_parse_error *err)
{
	struct sip_limits lim;
	struct sip_msg *m;
	struct sip_msg_cache *c;
	size_t skip = 0, hcap, msz, bsz, asz, body_off, avail;
	char *block, *copy;
	const char *p, *body;
	int e;

	sip_limits_resolve(&lim, limp);
	/* RFC 3261 7.5: CRLFs before the start-line are ignored. */
	while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
		skip++;
	/* The size arithmetic below stays far from overflow even with a huge limit. */
	if (len - skip > lim.max_msg_size || len - skip > SIZE_MAX / 8) {
		bool resp = len - skip >= 4 && (buf[skip] | 0x20) == 's' &&
			    (buf[skip + 1] | 0x20) == 'i' && (buf[skip + 2] | 0x20) == 'p' &&
			    buf[skip + 3] == '/';
		/* A request whose header block ends within the limit is too large because
		 * of its body: 413 (RFC 3261 21.4.11; the client may retry without it,
		 * 8.1.3.5). Otherwise the message as such is: 513 (21.5.7). */
		size_t hlen = lim.max_msg_size < len - skip ? lim.max_msg_size : len - skip;
		bool for_body = !resp && memmem(buf + skip, hlen, "\r\n\r\n", 4) != NULL;

		return fail(err, SIP_ETOOBIG, for_body ? 413 : 513,
			    for_body ? "Request Entity Too Large" : "Message Too Large", skip);
	}
	if (len == skip)
		return fail(err, SIP_EPARSE, 400, "Bad Request (Empty message)", skip);
	buf += skip;
	len -= skip;

	/* Header table: room for a line per 16 bytes plus some, capped by the limit;
	 * typed values get room proportional to the message. */
	hcap = len / 16 + 8;
	if (hcap > lim.max_headers)
		hcap = lim.max_headers;
	msz = ALIGN16(sizeof(struct sip_msg));
	bsz = ALIGN16(len + PAD);
	asz = hcap * sizeof(struct sip_hdr) + ALIGN16(sizeof(struct sip_msg_cache)) + 1024 + 3 * len;
	block = malloc(msz + bsz + asz);
	if (!block)
		return -ENOMEM;
	m = (struct sip_msg *)(void *)block;
	copy = block + msz;
	memcpy(copy, buf, len);
	memset(copy + len, 0, PAD);

	/* Every field by name: memset of the whole struct compiles to rep stos,
	 * whose start-up cost showed up as 6% of this function under perf. */
	m->buf = copy;
	m->len = len;
	m->is_request = false;
	m->method = SIP_METHOD_OTHER;
	m->method_str = m->ruri_str = m->reason = m->version = m->body = SIP_STR_NULL;
	m->status = 0;
	m->nhdrs = 0;
	m->present = 0;
	memset(m->first, 0xff, sizeof(m->first));
	sip_arena_init(&m->arena, block + msz + bsz, asz);
	m->hdrs = sip_arena_alloc(&m->arena, hcap * sizeof(struct sip_hdr));
	c = sip_arena_zalloc(&m->arena, sizeof(*c));
	m->cache = c;
	if (!m->hdrs || !c) { /* cannot happen: the first block was sized for both */
		free(block);
		return -ENOMEM;
	}

	e = parse_start_line(m, copy, &lim, err, &p);
	if (e)
		goto fail;
	e = parse_headers(m, p, &lim, (uint16_t)hcap, err, &body);
	if (e)
		goto fail;
	e = check_headers(m, &lim, err);
	if (e)
		goto fail;
	body_off = (size_t)(body - copy);

	/* RFC 3261 8.1.1 / 8.2.2 mandatory headers; the reason names the missing one. */
#define NEED(bit, why)                                                              \
	if (!(m->present & ((uint64_t)1 << (bit)))) {                                      \
		e = fail(err, SIP_EPARSE, 400, why, body_off);                        \
		goto fail;                                                                 \
	}
	NEED(SIP_HDR_CALL_ID, "Bad Request (Missing Call-ID)");
	NEED(SIP_HDR_FROM, "Bad Request (Missing From)");
	NEED(SIP_HDR_TO, "Bad Request (Missing To)");
	NEED(SIP_HDR_CSEQ, "Bad Request (Missing CSeq)");
	NEED(SIP_HDR_VIA, "Bad Request (Missing Via)");
#undef NEED
	/* RFC 3261 8.2.2 / RFC 4475 3.1.2.17: the CSeq method names the request. */
	if (m->is_request && !sip_str_eq(c->cseq.method_str, m->method_str)) {
		e = fail(err, SIP_EPARSE, 400, "Bad Request (CSeq method does not match)",
			 (size_t)(m->hdrs[m->first[SIP_HDR_CSEQ]].value.p - copy));
		goto fail;
	}

	/* RFC 3261 18.3: on a datagram the body is Content-Length bytes; fewer is an
	 * error, extra bytes are discarded; without Content-Length it is the rest. */
	avail = len - body_off;
	if (c->has_content_length) {
		if (c->content_length > avail) {
			e = fail(err, SIP_EPARSE, 400,
				 "Bad Request (Content-Length larger than message)", body_off);
			goto fail;
		}
		avail = c->content_length;
		m->len = body_off + avail;
		copy[m->len] = '\0'; /* msg.h: buf is NUL-terminated */
	}
	m->body = (struct sip_str){ body, avail };
	*mp = m;
	return 0;
fail:
	/* Offsets so far are into the copy, which starts after the skipped CRLFs. */
	if (err && (e == SIP_EPARSE || e == SIP_ETOOBIG))
		err->offset += skip;
	sip_arena_free(&m->arena);
	free(block);
	return e;
}

void sip_msg_free(struct sip_msg *m)
{
	if (!m)
		return;
	sip_arena_free(&m->arena);
	free(m);
}

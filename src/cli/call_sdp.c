/* SDP offer and answer for `siphon call` (RFC 4566, RFC 3264). See call_sdp.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "call_sdp.h"
#include "siphon/err.h"

#define SDP_MAX_LINES 256
#define SDP_MAX_FMTS 32

static bool eq(struct sip_str a, const char *b)
{
	return sip_str_eq(a, sip_str_from_cstr(b));
}

static const char *addr_type(const struct call_sdp *s)
{
	return strchr(s->ip, ':') ? "IP6" : "IP4";
}

int call_sdp_offer(struct call_sdp *s, struct sip_buf *b, bool first)
{
	const char *at = addr_type(s);

	if (!first)
		s->version++; /* RFC 3264 8: each new description, version + 1 */
	sip_buf_reset(b);
	return sip_buf_printf(b,
			      "v=0\r\no=siphon %llu %llu IN %s %s\r\ns=siphon call\r\nc=IN %s %s\r\nt=0 0\r\n"
			      "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
			      "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n",
			      (unsigned long long)s->sess_id, (unsigned long long)s->version, at, s->ip, at, s->ip);
}

/* The description's lines (CRLF or LF), without their line ends; empty lines are
 * skipped. More than max lines: SIZE_MAX (no real offer is that long, and an
 * answer built from a cut offer would be wrong). */
static size_t split_lines(struct sip_str *out, size_t max, struct sip_str text)
{
	const char *p = text.p, *end = text.p + text.len;
	size_t n = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct sip_str l = { p, len };
		if (l.len && l.p[l.len - 1] == '\r')
			l.len--;
		if (l.len) {
			if (n == max)
				return SIZE_MAX;
			out[n++] = l;
		}
		p += len + 1;
	}
	return n;
}

/* RFC 4566 5: "<type>=<value>", the type one letter, the value text without
 * control characters (we copy parts of it into our answer, so a stray CR or NUL
 * must not get through). */
static bool line_ok(struct sip_str l)
{
	if (l.len < 2 || l.p[1] != '=' || !((l.p[0] >= 'a' && l.p[0] <= 'z') || (l.p[0] >= 'A' && l.p[0] <= 'Z')))
		return false;
	for (size_t i = 2; i < l.len; i++)
		if ((unsigned char)l.p[i] < 0x20 && l.p[i] != '\t')
			return false;
	return true;
}

/* The next space-separated word of *rest. */
static struct sip_str word(struct sip_str *rest)
{
	size_t i = 0, j;

	while (i < rest->len && rest->p[i] == ' ')
		i++;
	j = i;
	while (j < rest->len && rest->p[j] != ' ')
		j++;
	struct sip_str w = { rest->p + i, j - i };
	*rest = (struct sip_str){ rest->p + j, rest->len - j };
	return w;
}

static bool starts(struct sip_str l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l.len >= n && memcmp(l.p, prefix, n) == 0;
}

/* Only visible ASCII (what an SDP token may hold, RFC 4566 9). */
static bool visible(struct sip_str w)
{
	for (size_t i = 0; i < w.len; i++)
		if ((unsigned char)w.p[i] <= 0x20 || (unsigned char)w.p[i] >= 0x7f)
			return false;
	return true;
}

/* A direction attribute (RFC 4566 6), or NULL. */
static const char *direction(struct sip_str l)
{
	static const char *const dirs[] = { "sendrecv", "sendonly", "recvonly", "inactive" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (l.len == 2 + strlen(dirs[i]) && starts(l, "a=") && memcmp(l.p + 2, dirs[i], l.len - 2) == 0)
			return dirs[i];
	return NULL;
}

/* RFC 3264 6.1: the answer's direction for the offer's. */
static const char *mirror(const char *dir)
{
	if (strcmp(dir, "sendonly") == 0)
		return "recvonly";
	if (strcmp(dir, "recvonly") == 0)
		return "sendonly";
	return dir;
}

/* c=IN IP4 0.0.0.0: the RFC 2543 way of putting a stream on hold (RFC 3264 8.4). */
static bool null_connection(struct sip_str l)
{
	return l.len >= 16 && memcmp(l.p + l.len - 8, " 0.0.0.0", 8) == 0 && starts(l, "c=IN IP4");
}

/* One m= section of the offer: lines [first, end). */
struct media {
	struct sip_str kind, port, proto;
	struct sip_str fmts[SDP_MAX_FMTS];
	size_t nfmts;
	struct sip_str dtmf; /* the telephone-event payload type, if offered */
	const char *dir;
	bool has_c, null_c;   /* a c= line of its own (RFC 4566 5.7), and 0.0.0.0 */
};

static void read_media(struct media *m, const struct sip_str *lines, size_t first, size_t end)
{
	struct sip_str rest = { lines[first].p + 2, lines[first].len - 2 };

	memset(m, 0, sizeof(*m));
	m->kind = word(&rest);
	m->port = word(&rest);
	m->proto = word(&rest);
	for (struct sip_str f = word(&rest); f.len && m->nfmts < SDP_MAX_FMTS; f = word(&rest))
		m->fmts[m->nfmts++] = f;
	for (size_t i = first + 1; i < end; i++) {
		struct sip_str l = lines[i];
		if (direction(l))
			m->dir = direction(l);
		else if (starts(l, "c=")) {
			m->has_c = true;
			m->null_c = null_connection(l);
		}
		else if (starts(l, "a=rtpmap:")) {
			struct sip_str r = { l.p + 9, l.len - 9 };
			struct sip_str pt = word(&r), enc = word(&r);
			if (enc.len >= 15 && strncasecmp(enc.p, "telephone-event", 15) == 0)
				m->dtmf = pt;
		}
	}
}

static bool has_fmt_str(const struct media *m, struct sip_str pt)
{
	for (size_t i = 0; i < m->nfmts; i++)
		if (sip_str_eq(m->fmts[i], pt))
			return true;
	return false;
}

static bool has_fmt(const struct media *m, const char *pt)
{
	return has_fmt_str(m, sip_str_from_cstr(pt));
}

/* The codecs siphon call names: the static RTP/AVP payload types (RFC 3551). */
static const struct {
	const char *pt, *rtpmap;
} codecs[] = { { "0", "PCMU/8000" }, { "8", "PCMA/8000" } };

/* An accepted audio stream (RFC 3264 6.1): the offer's formats we have, its
 * telephone-event (with its payload type), and the direction dir. */
static int answer_audio(struct sip_buf *b, const struct media *m, const char *dir)
{
	bool dtmf = m->dtmf.len && has_fmt_str(m, m->dtmf);
	int err = sip_buf_append_cstr(b, "m=audio 49170 RTP/AVP");

	for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]) && !err; k++)
		if (has_fmt(m, codecs[k].pt))
			err = sip_buf_printf(b, " %s", codecs[k].pt);
	if (!err && dtmf)
		err = sip_buf_printf(b, " %.*s", SIP_STR_ARG(m->dtmf));
	for (size_t k = 0; k < sizeof(codecs) / sizeof(codecs[0]) && !err; k++)
		if (has_fmt(m, codecs[k].pt))
			err = sip_buf_printf(b, "\r\na=rtpmap:%s %s", codecs[k].pt, codecs[k].rtpmap);
	if (!err && dtmf)
		err = sip_buf_printf(b, "\r\na=rtpmap:%.*s telephone-event/8000", SIP_STR_ARG(m->dtmf));
	if (!err)
		err = sip_buf_printf(b, "\r\na=%s\r\n", dir);
	return err;
}

int call_sdp_answer(struct call_sdp *s, struct sip_buf *b, struct sip_str offer, bool *hold)
{
	struct sip_str lines[SDP_MAX_LINES], t = SIP_STR("t=0 0");
	size_t n = split_lines(lines, SDP_MAX_LINES, offer), first_m = n;
	const char *sess_dir = "sendrecv", *at = addr_type(s);
	bool sess_null_c = false;
	int accepted = 0, err;

	*hold = false;
	if (n == 0 || n == SIZE_MAX || !eq(lines[0], "v=0"))
		return SIP_EPARSE;
	for (size_t i = 0; i < n; i++) {
		if (!line_ok(lines[i]))
			return SIP_EPARSE;
		if (lines[i].p[0] == 'm' && first_m == n)
			first_m = i;
		if (first_m != n)
			continue;
		if (lines[i].p[0] == 't')
			t = lines[i]; /* RFC 3264 6: the answer's t= is the offer's */
		else if (direction(lines[i]))
			sess_dir = direction(lines[i]);
		else if (starts(lines[i], "c="))
			sess_null_c = null_connection(lines[i]);
	}
	if (first_m == n)
		return SIP_EPARSE;
	s->version++; /* RFC 3264 8 */
	sip_buf_reset(b);
	err = sip_buf_printf(b, "v=0\r\no=siphon %llu %llu IN %s %s\r\ns=siphon call\r\nc=IN %s %s\r\n%.*s\r\n",
			     (unsigned long long)s->sess_id, (unsigned long long)s->version, at, s->ip, at, s->ip,
			     SIP_STR_ARG(t));
	for (size_t i = first_m; i < n && !err; i++) {
		struct media m;
		size_t end = i + 1;
		while (end < n && lines[end].p[0] != 'm')
			end++;
		read_media(&m, lines, i, end);
		/* RFC 4566 5.14: m=<media> <port> <proto> <fmt> ...: all four, or the
		 * offer is not one we can answer (not even with a rejection). */
		if (!m.kind.len || !m.port.len || !m.proto.len || !m.nfmts || !visible(m.kind) ||
		    !visible(m.proto) || !visible(m.fmts[0]))
			return SIP_EPARSE;
		bool audio = eq(m.kind, "audio") && eq(m.proto, "RTP/AVP") &&
			     !eq(m.port, "0") && (has_fmt(&m, "0") || has_fmt(&m, "8"));
		if (!audio || accepted) {
			/* RFC 3264 6: a rejected stream keeps its place with port 0 (one
			 * audio stream is all the toolkit takes). */
			err = sip_buf_printf(b, "m=%.*s 0 %.*s %.*s\r\n", SIP_STR_ARG(m.kind), SIP_STR_ARG(m.proto),
					     m.nfmts ? (int)m.fmts[0].len : 1, m.nfmts ? m.fmts[0].p : "0");
		} else {
			const char *dir = m.dir ? m.dir : sess_dir;
			accepted++;
			*hold = strcmp(dir, "sendonly") == 0 || strcmp(dir, "inactive") == 0 ||
				(m.has_c ? m.null_c : sess_null_c);
			err = answer_audio(b, &m, mirror(dir));
		}
		i = end - 1;
	}
	return err ? err : accepted;
}

bool call_sdp_answer_ok(struct sip_str answer)
{
	/* Room for our own answer to the longest offer we take: its session lines and
	 * the accepted stream's attributes on top of one m-line per offered one. */
	struct sip_str lines[SDP_MAX_LINES + 16];
	size_t n = split_lines(lines, SDP_MAX_LINES + 16, answer);

	if (n == 0 || n == SIZE_MAX || !eq(lines[0], "v=0"))
		return false;
	for (size_t i = 1; i < n; i++) {
		if (starts(lines[i], "m=")) {
			struct sip_str rest = { lines[i].p + 2, lines[i].len - 2 };
			(void)word(&rest);
			if (!eq(word(&rest), "0"))
				return true;
		}
	}
	return false;
}

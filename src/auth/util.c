/* Small text helpers of the auth layer: quoted-strings and hex. */
#include <errno.h>
#include <string.h>

#include "auth_int.h"

int auth_unquote(struct sip_str *out, char *buf, size_t cap, struct sip_str s)
{
	size_t i, n = 0;

	if (!memchr(s.p ? s.p : "", '\\', s.len)) {
		*out = s;
		return 0;
	}
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '\\') {
			/* RFC 3261 25.1 quoted-pair: the next char stands for itself. */
			if (++i == s.len)
				return -EINVAL;
			c = s.p[i];
		}
		if (n == cap)
			return -EINVAL;
		buf[n++] = c;
	}
	out->p = buf;
	out->len = n;
	return 0;
}

static int append_quoted(struct sip_buf *b, struct sip_str s, bool escape)
{
	size_t i;
	int err;

	err = sip_buf_reserve(b, 2 * s.len + 2);
	if (err)
		return err;
	/* Validate first so a refused value leaves b unchanged. */
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!escape && c == '\\') {
			/* keep the parser's quoted-pair, but not one escaping our closing quote */
			if (i + 1 == s.len)
				return -EINVAL;
			c = s.p[++i];
		} else if (!escape && c == '"') {
			return -EINVAL;
		}
		if (c == '\r' || c == '\n' || c == '\0')
			return -EINVAL;
	}
	b->p[b->len++] = '"';
	for (i = 0; i < s.len; i++) {
		if (escape && (s.p[i] == '"' || s.p[i] == '\\'))
			b->p[b->len++] = '\\';
		b->p[b->len++] = s.p[i];
	}
	b->p[b->len++] = '"';
	b->p[b->len] = '\0';
	return 0;
}

int auth_append_quoted(struct sip_buf *b, struct sip_str s)
{
	return append_quoted(b, s, true);
}

int auth_append_quoted_raw(struct sip_buf *b, struct sip_str s)
{
	return append_quoted(b, s, false);
}

bool auth_is_hex(struct sip_str s, size_t n)
{
	size_t i;

	if (s.len != n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s.p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

void auth_hex(char *out, const uint8_t *in, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

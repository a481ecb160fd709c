/* Slices: comparisons, trimming and number conversion without copies. */
#include <errno.h>
#include <string.h>

#include "siphon/str.h"

static inline unsigned char lower(unsigned char c)
{
	return (unsigned char)(c - 'A') < 26u ? (unsigned char)(c | 0x20) : c;
}

struct sip_str sip_str_from_cstr(const char *s)
{
	return s ? (struct sip_str){ s, strlen(s) } : SIP_STR_NULL;
}

bool sip_str_eq(struct sip_str a, struct sip_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

uint32_t sip_str_hash(struct sip_str s)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 16777619u;
	}
	return h;
}

bool sip_str_caseeq(struct sip_str a, struct sip_str b)
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++)
		if (lower((unsigned char)a.p[i]) != lower((unsigned char)b.p[i]))
			return false;
	return true;
}

bool sip_str_caseeq_cstr(struct sip_str a, const char *b)
{
	return sip_str_caseeq(a, sip_str_from_cstr(b));
}

bool sip_str_casestarts(struct sip_str s, struct sip_str prefix)
{
	if (s.len < prefix.len)
		return false;
	s.len = prefix.len;
	return sip_str_caseeq(s, prefix);
}

static inline bool is_lws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

struct sip_str sip_str_trim(struct sip_str s)
{
	while (s.len && is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}

int sip_str_to_u64(struct sip_str s, uint64_t *out)
{
	uint64_t v = 0;

	if (s.len == 0)
		return -EINVAL;
	for (size_t i = 0; i < s.len; i++) {
		unsigned d = (unsigned char)s.p[i] - '0';
		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int sip_str_to_u32(struct sip_str s, uint32_t *out)
{
	uint64_t v;
	int err = sip_str_to_u64(s, &v);

	if (err)
		return err;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

long sip_str_chr(struct sip_str s, char c)
{
	const char *hit = s.len ? memchr(s.p, c, s.len) : NULL;
	return hit ? (long)(hit - s.p) : -1;
}

char *sip_str_copy(char *dst, size_t dstsz, struct sip_str s)
{
	size_t n;

	if (dstsz == 0)
		return dst;
	n = s.len < dstsz - 1 ? s.len : dstsz - 1;
	if (n)
		memcpy(dst, s.p, n);
	dst[n] = '\0';
	return dst;
}

/* Growable buffers, always NUL-terminated. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/buf.h"

void sip_buf_init(struct sip_buf *b)
{
	b->p = NULL;
	b->len = b->cap = 0;
}

void sip_buf_free(struct sip_buf *b)
{
	free(b->p);
	sip_buf_init(b);
}

void sip_buf_reset(struct sip_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
}

int sip_buf_reserve(struct sip_buf *b, size_t n)
{
	size_t need = b->len + n + 1, cap;
	char *p;

	if (need < n)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int sip_buf_append(struct sip_buf *b, const void *p, size_t n)
{
	int err = sip_buf_reserve(b, n);
	if (err)
		return err;
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

int sip_buf_append_str(struct sip_buf *b, struct sip_str s)
{
	return sip_buf_append(b, s.p, s.len);
}

int sip_buf_append_cstr(struct sip_buf *b, const char *s)
{
	return sip_buf_append(b, s, strlen(s));
}

int sip_buf_append_u64(struct sip_buf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return sip_buf_append(b, tmp + i, sizeof(tmp) - i);
}

int sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, err;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	err = sip_buf_reserve(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
{
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = sip_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

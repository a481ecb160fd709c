/* siphon base layer: growable byte buffers for building messages and output.
 *
 * Builders take a struct sip_buf * and never return a pointer the caller must
 * reassign (the sds pitfall of shared/STYLE.md). The buffer is always kept
 * NUL-terminated so its contents can go to libc directly. */
#ifndef SIPHON_BUF_H
#define SIPHON_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "siphon/str.h"

struct sip_buf {
	char *p;     /* owned, NUL-terminated (NULL until the first write) */
	size_t len;  /* bytes used, not counting the NUL */
	size_t cap;  /* bytes allocated */
};

#define SIP_BUF_INIT { NULL, 0, 0 }

void sip_buf_init(struct sip_buf *b);
void sip_buf_free(struct sip_buf *b);
/* Keep the allocation, drop the contents. */
void sip_buf_reset(struct sip_buf *b);
/* Make room for n more bytes. 0 or -ENOMEM. */
int sip_buf_reserve(struct sip_buf *b, size_t n);
int sip_buf_append(struct sip_buf *b, const void *p, size_t n);
int sip_buf_append_str(struct sip_buf *b, struct sip_str s);
int sip_buf_append_cstr(struct sip_buf *b, const char *s);
int sip_buf_append_u64(struct sip_buf *b, unsigned long long v);
int sip_buf_printf(struct sip_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sip_buf_vprintf(struct sip_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static inline struct sip_str sip_buf_str(const struct sip_buf *b)
{
	return (struct sip_str){ b->p, b->len };
}

#endif

/* siphon base layer: string slices.
 *
 * struct sip_str is the one slice type of siphon: a const pointer and a length into a
 * buffer somebody else owns. It is never assumed NUL-terminated; print it with
 * printf("%.*s", SIP_STR_ARG(s)). Every struct that holds slices says which buffer
 * they borrow from. */
#ifndef SIPHON_STR_H
#define SIPHON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sip_str {
	const char *p;
	size_t len;
};

/* A slice of a string literal: SIP_STR("INVITE"). In a static initializer, where a
 * compound literal is not a constant, use SIP_STR_INIT("INVITE"). */
#define SIP_STR(lit) ((struct sip_str){ (lit), sizeof(lit) - 1 })
#define SIP_STR_INIT(lit) { (lit), sizeof(lit) - 1 }
/* For printf: printf("%.*s", SIP_STR_ARG(s)). */
#define SIP_STR_ARG(s) (int)(s).len, (s).p
#define SIP_STR_NULL ((struct sip_str){ NULL, 0 })

/* A slice of a NUL-terminated C string (NULL gives the empty slice). */
struct sip_str sip_str_from_cstr(const char *s);

static inline bool sip_str_empty(struct sip_str s) { return s.len == 0; }

/* Byte-wise equality. */
bool sip_str_eq(struct sip_str a, struct sip_str b);
/* 32-bit FNV-1a of the bytes of s: the hash of the tables keyed by strings
 * (registrar AORs, proxy calls, the DNS cache). */
uint32_t sip_str_hash(struct sip_str s);
/* ASCII case-insensitive equality (SIP tokens, header names, methods are ASCII). */
bool sip_str_caseeq(struct sip_str a, struct sip_str b);
/* Case-insensitive compare with a C string literal or NUL-terminated string. */
bool sip_str_caseeq_cstr(struct sip_str a, const char *b);
/* Does s start with prefix, ignoring ASCII case? */
bool sip_str_casestarts(struct sip_str s, struct sip_str prefix);

/* Strip SP, HTAB, CR and LF from both ends. */
struct sip_str sip_str_trim(struct sip_str s);

/* Parse a decimal number that must fill all of s (no sign, no spaces).
 * Returns 0, or -EINVAL for an empty or non-digit string, -ERANGE on overflow;
 * *out is written only on success. */
int sip_str_to_u32(struct sip_str s, uint32_t *out);
int sip_str_to_u64(struct sip_str s, uint64_t *out);

/* The value of one hexadecimal digit (either case), or -1. */
static inline int sip_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* First occurrence of c in s: its index, or -1. */
long sip_str_chr(struct sip_str s, char c);

/* Copy s into dst (size dstsz, NUL-terminated, truncated if needed); returns dst. */
char *sip_str_copy(char *dst, size_t dstsz, struct sip_str s);

#endif

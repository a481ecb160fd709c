/* siphon msg layer: private declarations shared by parse.c, frame.c, access.c and
 * the generated header-name table. Nothing here is public API. */
#ifndef SIPHON_MSG_INT_H
#define SIPHON_MSG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* SSE2 is part of the x86-64 baseline; SIPHON_NO_SIMD forces the scalar loops
 * (to compare them, or for other targets). */
#if defined(__SSE2__) && !defined(SIPHON_NO_SIMD)
#define SIP_SSE2 1
#include <emmintrin.h>
#endif

#include "siphon/msg.h"

#include "hdrname_hash.h"

#if defined(__GNUC__)
#define SIP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SIP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define SIP_LIKELY(x) (x)
#define SIP_UNLIKELY(x) (x)
#endif

/* Generated from data/headers.txt (hdrname_table.c). */
extern const struct sip_str sip_hdr_names_[SIP_HDR__COUNT];
extern const char *const sip_hdr_lcnames_[SIP_HDR__COUNT];
extern const uint16_t sip_hdr_hash_[SIP_HDR_HASH_SIZE]; /* (len << 8) | id */
extern const uint8_t sip_hdr_compact_[256];
struct sip_hdr_words {
	uint64_t w[3];    /* lower-case name, little-endian, zero-padded */
	uint64_t mask[3]; /* 0xff for each byte of the name */
};
extern const struct sip_hdr_words sip_hdr_lcw_[SIP_HDR__COUNT];

/* Character classes (hdrname.c). SIP_C_TOKEN: RFC 3261 25.1 token characters
 * (alphanum and -.!%*_+`'~). */
enum { SIP_C_TOKEN = 1 };
extern const uint8_t sip_cclass_[256];
extern const uint8_t sip_lower_[256];

static inline bool sip_is_token(unsigned char c)
{
	return sip_cclass_[c] & SIP_C_TOKEN;
}

/* Id of a header name already known to be a non-empty token (so OR-ing 0x20 folds
 * case exactly: no token character maps onto '-' or a letter it is not). */
static inline enum sip_hdr_id sip_hdr_id_token(const char *p, size_t n)
{
	unsigned id, cand;
	const char *lc;

	if (n == 1)
		return (enum sip_hdr_id)sip_hdr_compact_[(unsigned char)p[0]];
	cand = sip_hdr_hash_[SIP_HDR_HASH(n, (unsigned char)p[0] | 0x20u,
					  (unsigned char)p[n - 1] | 0x20u)];
	if ((cand >> 8) != n)
		return SIP_HDR_OTHER;
	id = cand & 0xffu;
	lc = sip_hdr_lcnames_[id];
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] | 0x20u) != (unsigned char)lc[i])
			return SIP_HDR_OTHER;
	return (enum sip_hdr_id)id;
}

static inline uint64_t sip_load64(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Id of a header name inside a padded buffer (24 bytes readable from p): the
 * candidate from the perfect hash is confirmed 8 bytes at a time. OR-ing 0x20
 * folds case exactly here even for non-token bytes: only a letter ORs onto a
 * lower-case letter, and only CR (never inside a name) ORs onto '-'. */
static inline enum sip_hdr_id sip_hdr_id_padded(const char *p, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t fold = 0x2020202020202020u;
	const struct sip_hdr_words *w;
	uint64_t d;
	unsigned id, cand;

	if (n == 1)
		return (enum sip_hdr_id)sip_hdr_compact_[(unsigned char)p[0]];
	/* One load gives the candidate and its length (0 never equals n >= 2). */
	cand = sip_hdr_hash_[SIP_HDR_HASH(n, (unsigned char)p[0] | 0x20u,
					  (unsigned char)p[n - 1] | 0x20u)];
	if ((cand >> 8) != n)
		return SIP_HDR_OTHER;
	id = cand & 0xffu;
	/* Three words compared under the candidate's length masks, without a
	 * branch on the length (header names of 2..19 bytes alternate, so such a
	 * branch mispredicts). */
	w = &sip_hdr_lcw_[id];
	d = (((sip_load64(p) | fold) ^ w->w[0]) & w->mask[0]) |
	    (((sip_load64(p + 8) | fold) ^ w->w[1]) & w->mask[1]) |
	    (((sip_load64(p + 16) | fold) ^ w->w[2]) & w->mask[2]);
	return d ? SIP_HDR_OTHER : (enum sip_hdr_id)id;
#else
	return sip_hdr_id_token(p, n);
#endif
}

/* End of a header name in the padded message copy: the first ':', SP, HTAB or
 * byte below 0x20 at or after p (the NUL at the end of the copy stops it). */
static inline const char *sip_scan_name_end(const char *p)
{
#ifdef SIP_SSE2
	const __m128i sp = _mm_set1_epi8(' ');
	const __m128i colon = _mm_set1_epi8(':');

	for (;;) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i c = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, sp), sp),
					 _mm_cmpeq_epi8(x, colon));
		unsigned mask = (unsigned)_mm_movemask_epi8(c);

		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#else
	while ((unsigned char)*p > ' ' && *p != ':')
		p++;
	return p;
#endif
}

/* Find the first byte below 0x20 (CR, LF, HTAB, NUL and the other CTLs) at or
 * after p. The caller guarantees such a byte exists before the end of readable
 * memory and that 16 bytes from any position up to it are readable: sip_msg_parse
 * copies the message into a block with a NUL at buf[len] and 16 zero bytes after.
 *
 * SSE2 compare+movemask (max_epu8 then cmpeq: "byte <= 0x1f") rather than SSE4.2
 * pcmpestri: the x86-64 baseline has SSE2 only, and pcmpestri is a multi-uop
 * instruction (latency ~11 cycles on Zen) where this loop is three simple ops per
 * 16 bytes. Measured on the shared corpus (18 messages, avg 764 bytes; gcc 12
 * -O2, 2-core EPYC KVM guest), this SSE2 path (name end, value end, commas)
 * against the same build with -DSIPHON_NO_SIMD (byte loops):
 *   valgrind --tool=callgrind --toggle-collect=sip_msg_parse build/bench/bench_parse -n 100
 *     3,380 vs 7,356 instructions per sip_msg_parse call;
 *   build/bench/bench_parse -t 1 (split row, best of two, cpu >= 97%)
 *     362 vs 708 ns/msg. */
static inline const char *sip_scan_ctl(const char *p)
{
#ifdef SIP_SSE2
	const __m128i lim = _mm_set1_epi8(0x1f);

	for (;;) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i c = _mm_cmpeq_epi8(_mm_max_epu8(x, lim), lim);
		unsigned mask = (unsigned)_mm_movemask_epi8(c);

		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#else
	while ((unsigned char)*p >= 0x20)
		p++;
	return p;
#endif
}

/* First byte at or after p that is SP or below it (the Request-URI ends there);
 * same padding contract as sip_scan_ctl. */
static inline const char *sip_scan_sp(const char *p)
{
#ifdef SIP_SSE2
	const __m128i sp = _mm_set1_epi8(' ');

	for (;;) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, sp), sp));

		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
#else
	while ((unsigned char)*p > ' ')
		p++;
	return p;
#endif
}

/* sip_scan_ctl that also ORs into *commas a bit for every ',' before the byte
 * it stops at (the parser records "no comma" per header line on the way). */
static inline const char *sip_scan_ctl_commas(const char *p, unsigned *commas)
{
#ifdef SIP_SSE2
	const __m128i lim = _mm_set1_epi8(0x1f);
	const __m128i comma = _mm_set1_epi8(',');

	for (;;) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(x, lim), lim));
		unsigned cm = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, comma));

		if (mask) {
			*commas |= cm & ((mask & (0u - mask)) - 1u);
			return p + __builtin_ctz(mask);
		}
		*commas |= cm;
		p += 16;
	}
#else
	while ((unsigned char)*p >= 0x20) {
		*commas |= *p == ',';
		p++;
	}
	return p;
#endif
}


/* Cached typed values of one message (allocated in the message arena by
 * sip_msg_parse). st[] is the state of each single-valued slot: 0 not parsed yet,
 * 1 parsed (value valid), else the negative error code to return again. */
enum sip_cache_slot {
	SIP_CS_FROM,
	SIP_CS_TO,
	SIP_CS_RURI,
	SIP_CS_CTYPE,
	SIP_CS_MAX_FORWARDS,
	SIP_CS_EXPIRES,
	SIP_CS_MIN_EXPIRES,
	SIP_CS_RSEQ,
	SIP_CS_EVENT,
	SIP_CS_SUBSTATE,
	SIP_CS_REASON,
	SIP_CS_RETRY_AFTER,
	SIP_CS_RACK,
	SIP_CS_SESSION_EXPIRES,
	SIP_CS_REFER_TO,
	SIP_CS__COUNT
};

/* Values of a multi-valued header over all its lines (Via, Contact, Route, ...):
 * raw[] from sip_list_next, parsed[] filled per index on first use. */
enum sip_list_kind { SIP_LK_VIA, SIP_LK_CONTACT, SIP_LK_ROUTE, SIP_LK_RECORD_ROUTE, SIP_LK_PATH, SIP_LK__COUNT };

struct sip_msg_list {
	int split;                 /* 0 not yet, 1 split, <0 error code */
	unsigned n;
	struct sip_str *raw;
	int8_t *st;                /* per value: 0 not parsed, 1 ok, -1 malformed */
	void *parsed;              /* struct sip_via[n] or struct sip_addr[n] */
};

/* Authorization-type headers: the parsed value per line, by line order. */
struct sip_msg_auths {
	unsigned n;                /* lines of this id (0 = not counted yet) */
	bool counted;
	int8_t *st;
	struct sip_auth *v;
};

struct sip_msg_cache {
	/* Filled by sip_msg_parse (the parser needs them anyway). */
	struct sip_cseq cseq;
	uint32_t content_length;
	bool has_content_length;
	unsigned via_values;       /* Via values counted while splitting */

	int8_t st[SIP_CS__COUNT];
	struct sip_addr *from, *to, *refer_to;
	struct sip_uri *ruri;
	struct sip_ctype *ctype;
	struct sip_event *event;
	struct sip_subscription_state *substate;
	struct sip_reason *reason;
	struct sip_retry_after *retry_after;
	struct sip_rack *rack;
	struct sip_session_expires *session_expires;
	uint32_t max_forwards, expires, min_expires, rseq;

	struct sip_msg_list lists[SIP_LK__COUNT];
	struct sip_msg_auths auths[4]; /* Authorization, Proxy-Authorization, WWW-, Proxy-Authenticate */
};

/* Default limits (msg.h documents them). */
#define SIP_DEF_MAX_MSG_SIZE 65535u
#define SIP_DEF_MAX_LINE 8192u
#define SIP_DEF_MAX_HEADERS 256u
#define SIP_DEF_MAX_VIAS 64u

static inline void sip_limits_resolve(struct sip_limits *out, const struct sip_limits *in)
{
	out->max_msg_size = in && in->max_msg_size ? in->max_msg_size : SIP_DEF_MAX_MSG_SIZE;
	out->max_line = in && in->max_line ? in->max_line : SIP_DEF_MAX_LINE;
	out->max_headers = in && in->max_headers ? in->max_headers : SIP_DEF_MAX_HEADERS;
	out->max_vias = in && in->max_vias ? in->max_vias : SIP_DEF_MAX_VIAS;
}

/* Content-Length value (already trimmed of outer LWS): 1*DIGIT, at most
 * 10 digits and below 2^32. Returns 0 or SIP_EPARSE. */
int sip_msg_clen_parse_(struct sip_str v, uint32_t *out);

/* Inline forms of sip_msg_hdr / sip_msg_hdr_next for the accessors' hot paths. */
static inline const struct sip_hdr *sip_msg_hdr_(const struct sip_msg *m, enum sip_hdr_id id)
{
	uint16_t i = m->first[id];

	return i == SIP_HDR_NONE ? NULL : &m->hdrs[i];
}

static inline const struct sip_hdr *sip_msg_hdr_next_(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h->next == SIP_HDR_NONE ? NULL : &m->hdrs[h->next];
}

/* Bump allocation from the message arena: the inline fast path of
 * sip_arena_alloc for the first block (16-byte alignment is enough for every
 * struct the msg layer puts there). */
static inline void *sip_msg_alloc_(struct sip_msg *m, size_t n)
{
	uintptr_t at = ((uintptr_t)m->arena.cur + 15u) & ~(uintptr_t)15u;

	if (SIP_LIKELY(m->arena.cur && at <= (uintptr_t)m->arena.end &&
		       n <= (size_t)((uintptr_t)m->arena.end - at))) {
		m->arena.cur = (char *)at + n;
		return (void *)at;
	}
	return sip_arena_alloc(&m->arena, n);
}

/* Does p[0..n) contain c? Never reads outside p[0..n) (header values may come
 * from a message the builder made, not from the padded parser copy): blocks of 16,
 * then one last block ending exactly at p + n. */
static inline bool sip_has_byte_(const char *p, size_t n, char c)
{
#ifdef SIP_SSE2
	if (n >= 16) {
		const __m128i v = _mm_set1_epi8(c);
		size_t i = 0;

		for (;;) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			if (_mm_movemask_epi8(_mm_cmpeq_epi8(x, v)))
				return true;
			if (i + 16 >= n)
				return false;
			i = i + 32 <= n ? i + 16 : n - 16;
		}
	}
#endif
	for (size_t i = 0; i < n; i++)
		if (p[i] == c)
			return true;
	return false;
}

/* sip_addr_parse / sip_via_parse into the caller's (arena) struct, without the
 * local copy the public functions make to write *out only on success: the
 * accessors drop the slot on failure anyway. On failure *out holds partial
 * results. callgrind.sh siphon: 10,162 -> 10,014 instructions per message. */
int sip_addr_parse_in_(struct sip_addr *out, struct sip_str value);
int sip_via_parse_in_(struct sip_via *out, struct sip_str value);

/* Typed single-valued accessors (access_typed.c): parse value with fn into a
 * struct of size sz in the arena, memoized in cache slot cs / *slot. */
typedef int (*sip_parse_fn_)(void *out, struct sip_str value);
int sip_msg_single_(struct sip_msg *m, enum sip_cache_slot cs, void **slot, size_t sz,
		    struct sip_str value, bool present, sip_parse_fn_ fn, const void **out);
int sip_msg_single_hdr_(struct sip_msg *m, enum sip_hdr_id id, enum sip_cache_slot cs, void **slot,
			size_t sz, sip_parse_fn_ fn, const void **out);

#define SIP_PARSE_WRAP_(name, type, fn)                                        \
	static int name(void *out, struct sip_str v)                           \
	{                                                                      \
		return fn((type *)out, v);                                     \
	}

#define SIP_SINGLE_ACCESSOR_(fnname, id, slotname, field, type, parser)                \
	int fnname(struct sip_msg *m, const type **out)                               \
	{                                                                              \
		const void *v;                                                         \
		int e;                                                                 \
		if (!sip_msg_has(m, id))                                               \
			return SIP_ENOTFOUND;                                          \
		e = sip_msg_single_hdr_(m, id, slotname, (void **)&m->cache->field,     \
					sizeof(type), parser, &v);                      \
		if (!e)                                                                \
			*out = v;                                                      \
		return e;                                                              \
	}

#endif

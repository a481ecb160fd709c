/* Header lookup by id and by name, and the scalar accessors (Call-ID, CSeq,
 * Content-Length, Max-Forwards, Expires, Min-Expires, RSeq, entity tags). Values
 * the parser already decoded come straight from the cache; the others are decoded
 * on first use and memoized in the message (struct sip_msg_cache). */
#include "siphon/err.h"

#include "msg_int.h"

const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id)
{
	if ((unsigned)id >= SIP_HDR__COUNT || m->first[id] == SIP_HDR_NONE)
		return NULL;
	return &m->hdrs[m->first[id]];
}

const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h)
{
	return h && h->next != SIP_HDR_NONE ? &m->hdrs[h->next] : NULL;
}

const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, struct sip_str name)
{
	enum sip_hdr_id id = sip_hdr_lookup(name);
	const struct sip_hdr *h;

	if (id != SIP_HDR_OTHER)
		return sip_msg_hdr(m, id);
	/* Unknown headers are chained under SIP_HDR_OTHER in wire order. */
	for (h = sip_msg_hdr(m, SIP_HDR_OTHER); h; h = sip_msg_hdr_next(m, h))
		if (sip_str_caseeq(h->name, name))
			return h;
	return NULL;
}

int sip_msg_call_id(struct sip_msg *m, struct sip_str *out)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CALL_ID);

	if (!h)
		return SIP_ENOTFOUND;
	*out = h->value;
	return 0;
}

int sip_msg_cseq(struct sip_msg *m, const struct sip_cseq **out)
{
	/* sip_msg_parse decoded and checked it (it must match the method). */
	if (!sip_msg_has(m, SIP_HDR_CSEQ))
		return SIP_ENOTFOUND;
	*out = &m->cache->cseq;
	return 0;
}

int sip_msg_content_length(struct sip_msg *m, uint32_t *out)
{
	if (!m->cache->has_content_length)
		return SIP_ENOTFOUND;
	*out = m->cache->content_length;
	return 0;
}

/* A decimal header value (delta-seconds, Max-Forwards, RSeq), memoized in *slot.
 * Values above max are malformed. */
static int scalar(struct sip_msg *m, enum sip_hdr_id id, enum sip_cache_slot cs, uint32_t *slot,
		  uint32_t max, uint32_t *out)
{
	struct sip_msg_cache *c = m->cache;
	int8_t st;

	if (!sip_msg_has(m, id))
		return SIP_ENOTFOUND;
	st = c->st[cs];
	if (st == 0) {
		const struct sip_hdr *h = sip_msg_hdr_(m, id);
		uint32_t v;

		if (!h)
			st = -1;
		else if (sip_str_to_u32(h->value, &v) || v > max)
			st = -2;
		else {
			*slot = v;
			st = 1;
		}
		c->st[cs] = st;
	}
	if (st == 1) {
		*out = *slot;
		return 0;
	}
	return st == -1 ? SIP_ENOTFOUND : SIP_EPARSE;
}

int sip_msg_max_forwards(struct sip_msg *m, uint32_t *out)
{
	/* RFC 3261 20.22: an integer in the range 0-255. */
	return scalar(m, SIP_HDR_MAX_FORWARDS, SIP_CS_MAX_FORWARDS, &m->cache->max_forwards, 255,
		      out);
}

int sip_msg_expires(struct sip_msg *m, uint32_t *out)
{
	/* RFC 3261 20.19: 0..2**32-1; a malformed value is the caller's to replace
	 * with its default (RFC 4475 3.1.2.4). */
	return scalar(m, SIP_HDR_EXPIRES, SIP_CS_EXPIRES, &m->cache->expires, UINT32_MAX, out);
}

int sip_msg_min_expires(struct sip_msg *m, uint32_t *out)
{
	return scalar(m, SIP_HDR_MIN_EXPIRES, SIP_CS_MIN_EXPIRES, &m->cache->min_expires,
		      UINT32_MAX, out);
}

int sip_msg_rseq(struct sip_msg *m, uint32_t *out)
{
	/* RFC 3262 7.1: 1..2**31-1. */
	return scalar(m, SIP_HDR_RSEQ, SIP_CS_RSEQ, &m->cache->rseq, 0x7fffffffu, out);
}

int sip_msg_etag(struct sip_msg *m, enum sip_hdr_id id, struct sip_str *out)
{
	const struct sip_hdr *h;

	if (id != SIP_HDR_SIP_ETAG && id != SIP_HDR_SIP_IF_MATCH && id != SIP_HDR_SUPPRESS_IF_MATCH)
		return -EINVAL;
	h = sip_msg_hdr(m, id);
	if (!h)
		return SIP_ENOTFOUND;
	/* RFC 3903 11.3.1 entity-tag = token (RFC 5839's "*" is a token too). */
	if (h->value.len == 0)
		return SIP_EPARSE;
	for (size_t i = 0; i < h->value.len; i++)
		if (!sip_is_token((unsigned char)h->value.p[i]))
			return SIP_EPARSE;
	*out = h->value;
	return 0;
}

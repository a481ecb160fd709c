/* sip_msg_clone_compact: a parsed message in a block sized to its contents (see
 * msg.h). Kept apart from parse.c so the one-shot parse is untouched. */
#include <stdlib.h>

#include "siphon/err.h"

#include "msg_int.h"

/* Same layout contract as parse.c: the copy of the bytes is followed by PAD zero
 * bytes, which the SSE2 scanners rely on. */
#define PAD 32u
#define ALIGN16(n) (((n) + 15u) & ~(size_t)15u)

/* A slice of the old copy moved to the same offset in the new one; slices that
 * point elsewhere (static empty strings) are kept. */
static struct sip_str rebase(struct sip_str s, const char *from, size_t len, const char *to)
{
	if (s.p && s.p >= from && s.p <= from + len)
		s.p = to + (s.p - from);
	return s;
}

int sip_msg_clone_compact(struct sip_msg **out, const struct sip_msg *m, size_t slack)
{
	const char *ob = m->buf;
	size_t msz = ALIGN16(sizeof(struct sip_msg)), bsz = ALIGN16(m->len + PAD);
	size_t hsz = ALIGN16((size_t)m->nhdrs * sizeof(struct sip_hdr));
	size_t csz = ALIGN16(sizeof(struct sip_msg_cache));
	size_t asz = hsz + csz + ALIGN16(slack);
	struct sip_msg_cache *c;
	struct sip_msg *n;
	char *block, *copy;

	block = malloc(msz + bsz + asz);
	if (!block)
		return -ENOMEM;
	n = (struct sip_msg *)(void *)block;
	copy = block + msz;
	memcpy(copy, ob, m->len);
	memset(copy + m->len, 0, PAD);

	n->buf = copy;
	n->len = m->len;
	n->is_request = m->is_request;
	n->method = m->method;
	n->method_str = rebase(m->method_str, ob, m->len, copy);
	n->ruri_str = rebase(m->ruri_str, ob, m->len, copy);
	n->status = m->status;
	n->reason = rebase(m->reason, ob, m->len, copy);
	n->version = rebase(m->version, ob, m->len, copy);
	n->nhdrs = m->nhdrs;
	n->present = m->present;
	memcpy(n->first, m->first, sizeof(n->first));
	n->body = rebase(m->body, ob, m->len, copy);
	/* Header table and cache first in the block: both fit by construction. */
	sip_arena_init(&n->arena, block + msz + bsz, asz);
	n->hdrs = sip_arena_alloc(&n->arena, hsz ? hsz : 1);
	c = sip_arena_zalloc(&n->arena, sizeof(*c));
	n->cache = c;
	if (!n->hdrs || !c) {
		sip_arena_free(&n->arena);
		free(block);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < m->nhdrs; i++) {
		n->hdrs[i] = m->hdrs[i];
		n->hdrs[i].name = rebase(m->hdrs[i].name, ob, m->len, copy);
		n->hdrs[i].value = rebase(m->hdrs[i].value, ob, m->len, copy);
	}
	/* What sip_msg_parse computed itself; every lazily parsed value starts over. */
	c->cseq = m->cache->cseq;
	c->cseq.method_str = rebase(c->cseq.method_str, ob, m->len, copy);
	c->content_length = m->cache->content_length;
	c->has_content_length = m->cache->has_content_length;
	c->via_values = m->cache->via_values;
	*out = n;
	return 0;
}

/* Typed accessors over the value parsers of hdr.h/uri.h: parse on first use,
 * memoize in the message arena, and return the same answer (value or error) on
 * every later call. Multi-valued headers (Via, Contact, Route, Record-Route, Path)
 * are split once over all their lines; each value is parsed when first asked
 * for, so a proxy reading only the top Via never parses the others. */
#include "siphon/err.h"

#include "msg_int.h"

int sip_msg_single_(struct sip_msg *m, enum sip_cache_slot cs, void **slot, size_t sz,
		    struct sip_str value, bool present, sip_parse_fn_ fn, const void **out)
{
	struct sip_msg_cache *c = m->cache;
	int8_t st = c->st[cs];

	if (st == 0) {
		if (!present) {
			st = -1;
		} else {
			void *v = sip_msg_alloc_(m, sz);
			if (!v)
				return -ENOMEM;
			if (fn(v, value)) {
				st = -2;
			} else {
				*slot = v;
				st = 1;
			}
		}
		c->st[cs] = st;
	}
	if (st == 1) {
		*out = *slot;
		return 0;
	}
	return st == -1 ? SIP_ENOTFOUND : SIP_EPARSE;
}

int sip_msg_single_hdr_(struct sip_msg *m, enum sip_hdr_id id, enum sip_cache_slot cs, void **slot,
			size_t sz, sip_parse_fn_ fn, const void **out)
{
	const struct sip_hdr *h = sip_msg_hdr_(m, id);

	return sip_msg_single_(m, cs, slot, sz, h ? h->value : SIP_STR_NULL, h != NULL, fn, out);
}

/* Wrappers adapt each typed parser to sip_parse_fn_: calling a function through a
 * pointer of another type is undefined behaviour (and UBSan's -fsanitize=function
 * says so). */
SIP_PARSE_WRAP_(p_addr, struct sip_addr, sip_addr_parse_in_)
SIP_PARSE_WRAP_(p_uri, struct sip_uri, sip_uri_parse)
SIP_PARSE_WRAP_(p_rack, struct sip_rack, sip_rack_parse)
SIP_PARSE_WRAP_(p_via, struct sip_via, sip_via_parse_in_)

SIP_SINGLE_ACCESSOR_(sip_msg_from, SIP_HDR_FROM, SIP_CS_FROM, from, struct sip_addr, p_addr)
SIP_SINGLE_ACCESSOR_(sip_msg_to, SIP_HDR_TO, SIP_CS_TO, to, struct sip_addr, p_addr)
SIP_SINGLE_ACCESSOR_(sip_msg_refer_to, SIP_HDR_REFER_TO, SIP_CS_REFER_TO, refer_to,
		     struct sip_addr, p_addr)
SIP_SINGLE_ACCESSOR_(sip_msg_rack, SIP_HDR_RACK, SIP_CS_RACK, rack, struct sip_rack, p_rack)

int sip_msg_ruri(struct sip_msg *m, const struct sip_uri **out)
{
	const void *v;
	int e = sip_msg_single_(m, SIP_CS_RURI, (void **)&m->cache->ruri, sizeof(struct sip_uri),
		       m->ruri_str, m->is_request, p_uri, &v);

	if (!e)
		*out = v;
	return e;
}

/* ---- multi-valued headers ---------------------------------------------------- */

static const struct {
	enum sip_hdr_id id;
	size_t size;
	sip_parse_fn_ fn;
} list_kinds[SIP_LK__COUNT] = {
	[SIP_LK_VIA] = { SIP_HDR_VIA, sizeof(struct sip_via), p_via },
	[SIP_LK_CONTACT] = { SIP_HDR_CONTACT, sizeof(struct sip_addr), p_addr },
	[SIP_LK_ROUTE] = { SIP_HDR_ROUTE, sizeof(struct sip_addr), p_addr },
	[SIP_LK_RECORD_ROUTE] = { SIP_HDR_RECORD_ROUTE, sizeof(struct sip_addr), p_addr },
	[SIP_LK_PATH] = { SIP_HDR_PATH, sizeof(struct sip_addr), p_addr },
};

#define LIST_STACK 32

/* Split every line of the kind's header into values, once. */
static int list_split(struct sip_msg *m, enum sip_list_kind k)
{
	struct sip_msg_list *l = &m->cache->lists[k];
	struct sip_str stack[LIST_STACK], *raw, rest, item;
	const struct sip_hdr *h, *first = sip_msg_hdr_(m, list_kinds[k].id);
	unsigned n = 0;

	if (l->split)
		return l->split < 0 ? l->split : 0;
	/* One pass into a stack buffer covers every realistic message; a header
	 * with more values is counted first. */
	for (h = first; h; h = sip_msg_hdr_next_(m, h)) {
		/* Most lines hold one value: the parser trimmed it and saw no comma
		 * in it, so sip_list_next would return it whole. */
		if ((h->flags & SIP_HDR_F_NO_COMMA) && h->value.len) {
			if (n < LIST_STACK)
				stack[n] = h->value;
			n++;
			continue;
		}
		rest = h->value;
		while (sip_list_next(&rest, &item)) {
			if (n < LIST_STACK)
				stack[n] = item;
			n++;
		}
	}
	l->n = n;
	if (n == 0) {
		l->split = 1;
		return 0;
	}
	raw = sip_msg_alloc_(m, n * sizeof(*raw));
	l->st = sip_msg_alloc_(m, n);
	if (l->st)
		memset(l->st, 0, n);
	l->parsed = sip_msg_alloc_(m, n * list_kinds[k].size);
	if (!raw || !l->st || !l->parsed)
		return -ENOMEM;
	if (n <= LIST_STACK) {
		memcpy(raw, stack, n * sizeof(*raw));
	} else {
		unsigned i = 0;
		for (h = first; h; h = sip_msg_hdr_next_(m, h)) {
			if ((h->flags & SIP_HDR_F_NO_COMMA) && h->value.len) {
				if (i < n)
					raw[i++] = h->value;
				continue;
			}
			rest = h->value;
			while (i < n && sip_list_next(&rest, &item))
				raw[i++] = item;
		}
	}
	l->raw = raw;
	l->split = 1;
	return 0;
}

static int list_count(struct sip_msg *m, enum sip_list_kind k)
{
	int e;

	if (!sip_msg_has(m, list_kinds[k].id))
		return 0;
	e = list_split(m, k);

	return e ? e : (int)m->cache->lists[k].n;
}

static int list_get(struct sip_msg *m, enum sip_list_kind k, unsigned idx, const void **out)
{
	struct sip_msg_list *l = &m->cache->lists[k];
	void *v;
	int e;

	if (!sip_msg_has(m, list_kinds[k].id))
		return SIP_ENOTFOUND;
	if (SIP_UNLIKELY(l->split != 1)) {
		e = list_split(m, k);
		if (e)
			return e;
	}
	if (idx >= l->n)
		return SIP_ENOTFOUND;
	v = (char *)l->parsed + (size_t)idx * list_kinds[k].size;
	if (l->st[idx] == 0)
		l->st[idx] = list_kinds[k].fn(v, l->raw[idx]) ? -1 : 1;
	if (l->st[idx] < 0)
		return SIP_EPARSE;
	*out = v;
	return 0;
}

int sip_msg_via_count(struct sip_msg *m)
{
	return list_count(m, SIP_LK_VIA);
}

int sip_msg_via(struct sip_msg *m, unsigned idx, const struct sip_via **out)
{
	const void *v;
	int e = list_get(m, SIP_LK_VIA, idx, &v);

	if (!e)
		*out = v;
	return e;
}

#define LIST_ADDR(count_fn, get_fn, kind)                                            \
	int count_fn(struct sip_msg *m)                                              \
	{                                                                            \
		return list_count(m, kind);                                          \
	}                                                                            \
	int get_fn(struct sip_msg *m, unsigned idx, const struct sip_addr **out)     \
	{                                                                            \
		const void *v;                                                       \
		int e = list_get(m, kind, idx, &v);                                  \
		if (!e)                                                              \
			*out = v;                                                    \
		return e;                                                            \
	}
LIST_ADDR(sip_msg_contact_count, sip_msg_contact, SIP_LK_CONTACT)
LIST_ADDR(sip_msg_route_count, sip_msg_route, SIP_LK_ROUTE)
LIST_ADDR(sip_msg_record_route_count, sip_msg_record_route, SIP_LK_RECORD_ROUTE)
LIST_ADDR(sip_msg_path_count, sip_msg_path, SIP_LK_PATH)
#undef LIST_ADDR

/* ---- option tags and event lists ---------------------------------------------- */

/* Does the element el (a token, maybe with ;params and LWS) equal token? */
static bool token_is(struct sip_str el, struct sip_str token)
{
	long semi = sip_str_chr(el, ';');

	if (semi >= 0)
		el.len = (size_t)semi;
	el = sip_str_trim(el);
	return sip_str_caseeq(el, token);
}

bool sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_id id, struct sip_str token)
{
	const struct sip_hdr *h;
	struct sip_str rest, item;

	if ((unsigned)id >= SIP_HDR__COUNT || !sip_msg_has(m, id) || token.len == 0)
		return false;
	for (h = sip_msg_hdr_(m, id); h; h = sip_msg_hdr_next_(m, h)) {
		const char *p = h->value.p, *e = p + h->value.len, *s = p;
		bool quoted = false;

		/* Option tags and event types are tokens: split at commas directly,
		 * comparing only elements of the token's length; a quote anywhere
		 * sends the line through sip_list_next instead. */
		for (; p <= e; p++) {
			if (p < e && *p == '"') {
				quoted = true;
				break;
			}
			if (p == e || *p == ',') {
				struct sip_str el = { s, (size_t)(p - s) };
				if (el.len >= token.len && token_is(el, token))
					return true;
				s = p + 1;
			}
		}
		if (!quoted)
			continue;
		rest = h->value;
		while (sip_list_next(&rest, &item))
			if (token_is(item, token))
				return true;
	}
	return false;
}

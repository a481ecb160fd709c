/* The outgoing-message builder: edits recorded against the bytes of a base
 * message (or of nothing, for a message built from scratch), applied only when the
 * message is serialized.
 *
 * Model. The base's bytes up to the blank line are the "header region": the start
 * line [0, sl_end) and the header lines [sl_end, hdr_end). An edit is
 * {off, del, text}: at offset off of the base, emit text and skip del base bytes.
 * Deleting a header line is {line start, line length, ""}; inserting one is
 * {offset, 0, "Name: value\r\n"}; replacing the Request-URI or a Max-Forwards value
 * is {value offset, value length, new value}. A message from scratch has an empty
 * base (sl_end = hdr_end = 0): its start line and every header are insertions.
 *
 * Order. Edits are sorted when serialized by (off, group, seq): the start line of
 * a scratch message first, then "top" insertions (Via and Record-Route pushes) in
 * reverse order, so the value pushed last is the topmost (RFC 3261 16.6 steps 4
 * and 8), then everything else in call order. The body and Content-Length are not
 * edits: they are written after the header region.
 *
 * Edits are never removed from the array (their indices stay valid); an edit that
 * is undone or covered by a later line deletion is marked dead. */
#include <stdalign.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "build_int.h"
#include "siphon/err.h"
#include "siphon/status.h"

enum edit_group {
	GROUP_START = 0, /* the start line of a scratch message */
	GROUP_TOP = 1,   /* pushes: reverse call order */
	GROUP_MAIN = 2,  /* deletions, replacements and appends: call order */
};

struct out_edit {
	uint32_t off;        /* offset in the base */
	uint32_t del;        /* base bytes skipped from off */
	const char *text;    /* emitted at off (arena), tlen bytes */
	uint32_t tlen;
	uint32_t seq;        /* call order */
	uint8_t group;       /* enum edit_group */
	uint8_t id;          /* enum sip_hdr_id of an inserted header line */
	bool hdr;            /* text is one header line "Name: value\r\n" */
	bool dead;
	uint32_t name_len;   /* hdr: the name is text[0..name_len), the value starts at name_len+2 */
};

#define OUT_ARENA 2048

struct sip_out {
	struct sip_msg *base;   /* borrowed; NULL from scratch */
	const char *bbuf;       /* the base bytes ("" from scratch) */
	uint32_t sl_end;        /* end of the start line, after its line break */
	uint32_t hdr_end;       /* end of the last header line = start of the blank line */
	bool is_request;
	uint8_t *gone;          /* per base header line: deleted (arena) */
	uint16_t *vpop;         /* per base Via line: values popped off its front (arena) */
	struct out_edit *edits; /* small[] until it grows, then a heap array */
	uint32_t nedits;
	uint32_t cap;
	uint32_t seq;
	int start_edit;         /* scratch: the start line; base request: the R-URI edit; -1 */
	int mf_edit;            /* in-place edit of the base's Max-Forwards value; -1 */
	struct sip_str method;  /* scratch request: the method (arena) */
	bool body_set;
	bool cl_auto;           /* write Content-Length ourselves */
	struct sip_str body;    /* the new body (arena) when body_set */
	struct out_edit small[16]; /* a response or a proxy's edits fit here: no allocation */
	struct sip_arena arena;
	alignas(max_align_t) char mem[OUT_ARENA]; /* first arena block; never needs zeroing */
};

/* ---- Small helpers ---- */

bool sip_out_is_token(struct sip_str s)
{
	if (s.len == 0)
		return false;
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
			continue;
		if (!strchr("-.!%*_+`'~", c) || c == 0)
			return false;
	}
	return true;
}

/* No CR, LF or NUL: a value can never smuggle a header line in. */
static bool value_ok(struct sip_str v)
{
	return !v.len || (!memchr(v.p, '\r', v.len) && !memchr(v.p, '\n', v.len) &&
			  !memchr(v.p, '\0', v.len));
}

/* Like value_ok, but CRLF followed by SP or HTAB (folding, RFC 3261 7.3.1) is
 * allowed: values copied from a parsed message keep their folding. So is a NUL
 * escaped inside a quoted-string (quoted-pair, RFC 3261 25.1; RFC 4475 3.1.1.2),
 * which the parser accepts. */
static bool copied_value_ok(struct sip_str v)
{
	bool quoted = false;

	if (!v.len || (!memchr(v.p, '\r', v.len) && !memchr(v.p, '\n', v.len) &&
		       !memchr(v.p, '\0', v.len)))
		return true;
	for (size_t i = 0; i < v.len; i++) {
		char c = v.p[i];
		if (quoted && c == '\\' && i + 1 < v.len && v.p[i + 1] != '\r' && v.p[i + 1] != '\n') {
			i++;
			continue;
		}
		if (c == '"')
			quoted = !quoted;
		if (c == '\0')
			return false;
		if (c == '\r') {
			if (i + 2 >= v.len || v.p[i + 1] != '\n' || (v.p[i + 2] != ' ' && v.p[i + 2] != '\t'))
				return false;
			i++;
		} else if (c == '\n') {
			if (i + 1 >= v.len || (v.p[i + 1] != ' ' && v.p[i + 1] != '\t'))
				return false;
		}
	}
	return true;
}

static uint32_t boff(const struct sip_out *o, const char *p)
{
	return (uint32_t)(p - o->bbuf);
}

static uint32_t line_start(const struct sip_out *o, uint16_t i)
{
	return boff(o, o->base->hdrs[i].name.p);
}

/* A header line runs to the start of the next one; the last one to hdr_end. */
static uint32_t line_end(const struct sip_out *o, uint16_t i)
{
	if (i + 1 < o->base->nhdrs)
		return boff(o, o->base->hdrs[i + 1].name.p);
	return o->hdr_end;
}

static int edit_reserve(struct sip_out *o, uint32_t n)
{
	struct out_edit *e;
	uint32_t cap;

	if (o->nedits + n <= o->cap)
		return 0;
	if (n > UINT32_MAX / 4 - o->nedits)
		return -ENOMEM;
	cap = o->cap * 2;
	while (cap < o->nedits + n)
		cap *= 2;
	if (o->edits == o->small) {
		e = malloc((size_t)cap * sizeof(*e));
		if (e)
			memcpy(e, o->small, sizeof(o->small));
	} else {
		e = realloc(o->edits, (size_t)cap * sizeof(*e));
	}
	if (!e)
		return -ENOMEM;
	o->edits = e;
	o->cap = cap;
	return 0;
}

/* Append an edit; room must have been reserved. Returns its index. */
static int edit_push(struct sip_out *o, uint32_t off, uint32_t del, const char *text,
		     uint32_t tlen, enum edit_group group)
{
	struct out_edit *e = &o->edits[o->nedits];

	memset(e, 0, sizeof(*e));
	e->off = off;
	e->del = del;
	e->text = text;
	e->tlen = tlen;
	e->seq = o->seq++;
	e->group = (uint8_t)group;
	e->id = SIP_HDR_OTHER;
	return (int)o->nedits++;
}

/* "Name: value\r\n" in the arena. */
static char *make_line(struct sip_out *o, struct sip_str name, struct sip_str value, uint32_t *len)
{
	size_t n = name.len + 2 + value.len + 2;
	char *t;

	if (name.len > UINT16_MAX || n > UINT32_MAX)
		return NULL;
	t = sip_arena_alloc(&o->arena, n);
	if (!t)
		return NULL;
	memcpy(t, name.p, name.len);
	memcpy(t + name.len, ": ", 2);
	if (value.len)
		memcpy(t + name.len + 2, value.p, value.len);
	memcpy(t + n - 2, "\r\n", 2);
	*len = (uint32_t)n;
	return t;
}

/* The value of an inserted header line. */
static struct sip_str edit_value(const struct out_edit *e)
{
	return (struct sip_str){ e->text + e->name_len + 2, e->tlen - e->name_len - 4 };
}

static bool edit_matches(const struct out_edit *e, enum sip_hdr_id id, struct sip_str name)
{
	if (e->dead || !e->hdr || e->id != id)
		return false;
	return id != SIP_HDR_OTHER || sip_str_caseeq((struct sip_str){ e->text, e->name_len }, name);
}

static bool base_matches(const struct sip_out *o, uint16_t i, enum sip_hdr_id id, struct sip_str name)
{
	const struct sip_hdr *h = &o->base->hdrs[i];

	if (o->gone[i] || h->id != id)
		return false;
	return id != SIP_HDR_OTHER || sip_str_caseeq(h->name, name);
}

/* Mark dead every live edit that falls inside the base span [a, b), except plain
 * insertions exactly at a (they belong before the span, not in it). */
static void absorb(struct sip_out *o, uint32_t a, uint32_t b, int keep)
{
	for (uint32_t k = 0; k < o->nedits; k++) {
		struct out_edit *e = &o->edits[k];
		if ((int)k == keep || e->dead || e->off < a || e->off >= b)
			continue;
		if (e->off == a && e->del == 0)
			continue;
		e->dead = true;
	}
}

/* Delete base header line i; room for one edit must be reserved. */
static void delete_line(struct sip_out *o, uint16_t i)
{
	uint32_t a = line_start(o, i), b = line_end(o, i);
	int k = edit_push(o, a, b - a, NULL, 0, GROUP_MAIN);

	absorb(o, a, b, k);
	o->gone[i] = 1;
}

/* ---- Creating ---- */

static struct sip_out *out_new(void)
{
	/* Only the fields before the edit array and the arena need zeroing. */
	struct sip_out *o = malloc(sizeof(*o));

	if (!o)
		return NULL;
	memset(o, 0, offsetof(struct sip_out, small));
	sip_arena_init(&o->arena, o->mem, sizeof(o->mem));
	o->bbuf = "";
	o->start_edit = -1;
	o->mf_edit = -1;
	o->edits = o->small;
	o->cap = sizeof(o->small) / sizeof(o->small[0]);
	return o;
}

void sip_out_free(struct sip_out *o)
{
	if (!o)
		return;
	if (o->edits != o->small)
		free(o->edits);
	sip_arena_free(&o->arena);
	free(o);
}

/* The concatenation of n slices, in the arena. */
static char *concat(struct sip_out *o, const struct sip_str *parts, size_t n, size_t *lenp)
{
	size_t len = 0, at = 0;
	char *t;

	for (size_t i = 0; i < n; i++)
		len += parts[i].len;
	if (len > UINT32_MAX / 2)
		return NULL;
	t = sip_arena_alloc(&o->arena, len ? len : 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (parts[i].len)
			memcpy(t + at, parts[i].p, parts[i].len);
		at += parts[i].len;
	}
	*lenp = len;
	return t;
}

/* "METHOD Request-URI SIP/2.0\r\n" or "SIP/2.0 code reason\r\n" from its parts. */
static int set_start_line(struct sip_out *o, const struct sip_str *parts, size_t n)
{
	size_t len;
	char *t = concat(o, parts, n, &len);

	if (!t)
		return -ENOMEM;
	if (o->start_edit < 0) {
		if (edit_reserve(o, 1))
			return -ENOMEM;
		o->start_edit = edit_push(o, 0, 0, t, (uint32_t)len, GROUP_START);
	} else {
		o->edits[o->start_edit].text = t;
		o->edits[o->start_edit].tlen = (uint32_t)len;
	}
	return 0;
}

int sip_out_request(struct sip_out **op, struct sip_str method, struct sip_str ruri)
{
	struct sip_out *o;
	int err;

	if (!sip_out_is_token(method) || ruri.len == 0 || !value_ok(ruri) ||
	    memchr(ruri.p, ' ', ruri.len))
		return -EINVAL;
	o = out_new();
	if (!o)
		return -ENOMEM;
	o->is_request = true;
	o->cl_auto = true;
	o->method.p = sip_arena_memdup(&o->arena, method.p, method.len);
	o->method.len = method.len;
	err = o->method.p ? 0 : -ENOMEM;
	if (!err) {
		const struct sip_str parts[] = { method, SIP_STR(" "), ruri, SIP_STR(" SIP/2.0\r\n") };
		err = set_start_line(o, parts, 4);
	}
	if (err) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

int sip_out_response(struct sip_out **op, int code, const char *reason)
{
	struct sip_out *o;
	char digits[4];
	int err;

	if (code < 100 || code > 699)
		return -EINVAL;
	if (!reason)
		reason = sip_status_phrase(code);
	if (!value_ok(sip_str_from_cstr(reason)))
		return -EINVAL;
	o = out_new();
	if (!o)
		return -ENOMEM;
	o->cl_auto = true;
	digits[0] = (char)('0' + code / 100);
	digits[1] = (char)('0' + code / 10 % 10);
	digits[2] = (char)('0' + code % 10);
	digits[3] = ' ';
	{
		const struct sip_str parts[] = { SIP_STR("SIP/2.0 "), { digits, 4 },
						 sip_str_from_cstr(reason), SIP_STR("\r\n") };
		err = set_start_line(o, parts, 4);
	}
	if (err) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

/* End of the line that starts at p: after the LF that is not followed by SP or
 * HTAB (a folded line continues), or len. */
static size_t scan_line_end(const char *buf, size_t len, size_t p)
{
	while (p < len) {
		if (buf[p] == '\n' && (p + 1 >= len || (buf[p + 1] != ' ' && buf[p + 1] != '\t')))
			return p + 1;
		p++;
	}
	return len;
}

int sip_out_from_msg(struct sip_out **op, struct sip_msg *m)
{
	struct sip_out *o;
	unsigned ncl = 0;
	uint32_t cl;

	if (!m || !m->buf || m->len >= UINT32_MAX)
		return -EINVAL;
	o = out_new();
	if (!o)
		return -ENOMEM;
	o->base = m;
	o->bbuf = m->buf;
	o->is_request = m->is_request;
	o->sl_end = (uint32_t)scan_line_end(m->buf, m->len, 0);
	if (m->nhdrs) {
		size_t last = (size_t)(m->hdrs[m->nhdrs - 1].name.p - m->buf);
		o->hdr_end = (uint32_t)scan_line_end(m->buf, m->len, last);
	} else {
		o->hdr_end = o->sl_end;
	}
	o->gone = sip_arena_zalloc(&o->arena, m->nhdrs ? m->nhdrs : 1u);
	o->vpop = sip_arena_zalloc(&o->arena, (m->nhdrs ? m->nhdrs : 1u) * sizeof(*o->vpop));
	if (!o->gone || !o->vpop) {
		sip_out_free(o);
		return -ENOMEM;
	}
	/* One correct Content-Length or we write our own (RFC 3261 18.3, 20.14). */
	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_CONTENT_LENGTH); h;
	     h = sip_msg_hdr_next(m, h))
		ncl++;
	if (ncl != 1 || sip_msg_content_length(m, &cl) != 0 || cl != m->body.len) {
		int err = sip_out_remove(o, SIP_HDR_CONTENT_LENGTH, NULL);
		if (err) {
			sip_out_free(o);
			return err;
		}
		o->cl_auto = true;
	}
	*op = o;
	return 0;
}

/* ---- Header lines ---- */

/* Insert the header line name ": " vparts... CRLF. */
static int add_line_parts(struct sip_out *o, enum sip_hdr_id id, struct sip_str name,
			  const struct sip_str *vparts, size_t nv, uint32_t off, enum edit_group group)
{
	struct sip_str parts[6];
	size_t len;
	char *t;
	int k;

	if (name.len > UINT16_MAX || nv > 3)
		return -EINVAL;
	if (edit_reserve(o, 1))
		return -ENOMEM;
	parts[0] = name;
	parts[1] = SIP_STR(": ");
	for (size_t i = 0; i < nv; i++)
		parts[2 + i] = vparts[i];
	parts[2 + nv] = SIP_STR("\r\n");
	t = concat(o, parts, 3 + nv, &len);
	if (!t)
		return -ENOMEM;
	k = edit_push(o, off, 0, t, (uint32_t)len, group);
	o->edits[k].hdr = true;
	o->edits[k].id = (uint8_t)id;
	o->edits[k].name_len = (uint32_t)name.len;
	return 0;
}

static int add_line(struct sip_out *o, enum sip_hdr_id id, struct sip_str name,
		    struct sip_str value, uint32_t off, enum edit_group group)
{
	return add_line_parts(o, id, name, &value, 1, off, group);
}

static struct sip_str canonical(enum sip_hdr_id id)
{
	return sip_str_from_cstr(sip_hdr_name(id));
}

int sip_out_add_copy(struct sip_out *o, enum sip_hdr_id id, struct sip_str value)
{
	if (id == SIP_HDR_OTHER || id >= SIP_HDR__COUNT || id == SIP_HDR_CONTENT_LENGTH ||
	    !copied_value_ok(value))
		return -EINVAL;
	return add_line(o, id, canonical(id), value, o->hdr_end, GROUP_MAIN);
}

int sip_out_add_copy_tagged(struct sip_out *o, enum sip_hdr_id id, struct sip_str value,
			    struct sip_str tag)
{
	const struct sip_str parts[] = { value, SIP_STR(";tag="), tag };

	if (id == SIP_HDR_OTHER || id >= SIP_HDR__COUNT || id == SIP_HDR_CONTENT_LENGTH ||
	    !copied_value_ok(value) || !sip_out_is_token(tag))
		return -EINVAL;
	return add_line_parts(o, id, canonical(id), parts, 3, o->hdr_end, GROUP_MAIN);
}

int sip_out_add(struct sip_out *o, enum sip_hdr_id id, struct sip_str value)
{
	if (id == SIP_HDR_OTHER || id >= SIP_HDR__COUNT || id == SIP_HDR_CONTENT_LENGTH ||
	    !value_ok(value))
		return -EINVAL;
	return add_line(o, id, canonical(id), value, o->hdr_end, GROUP_MAIN);
}

int sip_out_add_name(struct sip_out *o, struct sip_str name, struct sip_str value)
{
	enum sip_hdr_id id;

	if (!sip_out_is_token(name))
		return -EINVAL;
	id = sip_hdr_lookup(name);
	if (id != SIP_HDR_OTHER)
		return sip_out_add(o, id, value);
	if (!value_ok(value))
		return -EINVAL;
	return add_line(o, SIP_HDR_OTHER, name, value, o->hdr_end, GROUP_MAIN);
}

int sip_out_addf(struct sip_out *o, enum sip_hdr_id id, const char *fmt, ...)
{
	struct sip_buf b = SIP_BUF_INIT;
	va_list ap;
	int err;

	va_start(ap, fmt);
	err = sip_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (!err)
		err = sip_out_add(o, id, sip_buf_str(&b));
	sip_buf_free(&b);
	return err;
}

/* Remove every line of (id, name); room for the base lines is reserved first so
 * that nothing changes on failure. */
static int remove_lines(struct sip_out *o, enum sip_hdr_id id, struct sip_str name, unsigned *nremoved)
{
	unsigned n = 0, nbase = 0;

	if (o->base) {
		for (uint16_t i = 0; i < o->base->nhdrs; i++)
			if (base_matches(o, i, id, name))
				nbase++;
		if (edit_reserve(o, nbase))
			return -ENOMEM;
		for (uint16_t i = 0; i < o->base->nhdrs; i++)
			if (base_matches(o, i, id, name)) {
				delete_line(o, i);
				n++;
			}
	}
	for (uint32_t k = 0; k < o->nedits; k++)
		if (edit_matches(&o->edits[k], id, name)) {
			o->edits[k].dead = true;
			n++;
		}
	if (id == SIP_HDR_MAX_FORWARDS)
		o->mf_edit = -1;
	if (id == SIP_HDR_CONTENT_LENGTH)
		o->cl_auto = true; /* one correct Content-Length, always */
	if (nremoved)
		*nremoved = n;
	return 0;
}

int sip_out_remove(struct sip_out *o, enum sip_hdr_id id, unsigned *nremoved)
{
	if (id == SIP_HDR_OTHER || id >= SIP_HDR__COUNT)
		return -EINVAL;
	return remove_lines(o, id, SIP_STR_NULL, nremoved);
}

int sip_out_remove_name(struct sip_out *o, struct sip_str name, unsigned *nremoved)
{
	if (!sip_out_is_token(name))
		return -EINVAL;
	return remove_lines(o, sip_hdr_lookup(name), name, nremoved);
}

static int replace_lines(struct sip_out *o, enum sip_hdr_id id, struct sip_str name,
			 struct sip_str value)
{
	int first_base = -1, first_edit = -1, k;
	uint32_t len;
	char *t;

	if (!value_ok(value))
		return -EINVAL;
	if (o->base)
		for (uint16_t i = 0; i < o->base->nhdrs && first_base < 0; i++)
			if (base_matches(o, i, id, name))
				first_base = i;
	for (uint32_t e = 0; e < o->nedits && first_edit < 0; e++)
		if (edit_matches(&o->edits[e], id, name))
			first_edit = (int)e;
	if (first_base < 0 && first_edit < 0)
		return add_line(o, id, name, value, o->hdr_end, GROUP_MAIN);
	/* Everything that can fail happens before the first change. */
	t = make_line(o, name, value, &len);
	if (!t || edit_reserve(o, o->base ? (uint32_t)o->base->nhdrs + 1 : 1))
		return -ENOMEM;
	if (first_base >= 0) {
		uint32_t at = line_start(o, (uint16_t)first_base);
		remove_lines(o, id, name, NULL); /* cannot fail: room is reserved */
		k = edit_push(o, at, 0, t, len, GROUP_MAIN);
	} else {
		/* Reuse the slot of the first added line so the order stays. */
		struct out_edit keep = o->edits[first_edit];
		remove_lines(o, id, name, NULL);
		k = first_edit;
		o->edits[k] = keep;
		o->edits[k].text = t;
		o->edits[k].tlen = len;
	}
	o->edits[k].hdr = true;
	o->edits[k].id = (uint8_t)id;
	o->edits[k].name_len = (uint32_t)name.len;
	return 0;
}

int sip_out_replace(struct sip_out *o, enum sip_hdr_id id, struct sip_str value)
{
	if (id == SIP_HDR_OTHER || id >= SIP_HDR__COUNT || id == SIP_HDR_CONTENT_LENGTH)
		return -EINVAL;
	return replace_lines(o, id, canonical(id), value);
}

int sip_out_replace_name(struct sip_out *o, struct sip_str name, struct sip_str value)
{
	enum sip_hdr_id id;

	if (!sip_out_is_token(name))
		return -EINVAL;
	id = sip_hdr_lookup(name);
	if (id != SIP_HDR_OTHER)
		return sip_out_replace(o, id, value);
	return replace_lines(o, SIP_HDR_OTHER, name, value);
}

/* ---- Via, Record-Route, Max-Forwards ---- */

static uint32_t first_line_or(const struct sip_out *o, enum sip_hdr_id id, uint32_t dflt)
{
	if (o->base && o->base->first[id] != SIP_HDR_NONE)
		return line_start(o, o->base->first[id]);
	return dflt;
}

int sip_out_via_push(struct sip_out *o, struct sip_str value)
{
	if (value.len == 0 || !value_ok(value))
		return -EINVAL;
	return add_line(o, SIP_HDR_VIA, canonical(SIP_HDR_VIA), value,
			first_line_or(o, SIP_HDR_VIA, o->sl_end), GROUP_TOP);
}

int sip_out_record_route_push(struct sip_out *o, struct sip_str value)
{
	if (value.len == 0 || !value_ok(value))
		return -EINVAL;
	return add_line(o, SIP_HDR_RECORD_ROUTE, canonical(SIP_HDR_RECORD_ROUTE), value,
			first_line_or(o, SIP_HDR_RECORD_ROUTE, o->hdr_end), GROUP_TOP);
}

/* Pop a Via value of base line i: the whole line when it is its last value. */
static int pop_base_via(struct sip_out *o, uint16_t i)
{
	struct sip_str rest = o->base->hdrs[i].value, item;
	const char *start_k = NULL, *start_next = NULL;
	unsigned n = 0, k = o->vpop[i];

	while (sip_list_next(&rest, &item)) {
		if (n == k)
			start_k = item.p;
		else if (n == k + 1)
			start_next = item.p;
		n++;
	}
	if (edit_reserve(o, 1))
		return -ENOMEM;
	if (!start_next || !start_k) {
		delete_line(o, i);
		return 0;
	}
	/* Drop "value, " up to the next value (RFC 3261 7.3.1 comma lists). */
	edit_push(o, boff(o, start_k), (uint32_t)(start_next - start_k), NULL, 0, GROUP_MAIN);
	o->vpop[i]++;
	return 0;
}

int sip_out_via_pop(struct sip_out *o)
{
	int best = -1;

	/* 1. The value pushed last is the topmost. */
	for (uint32_t k = 0; k < o->nedits; k++) {
		const struct out_edit *e = &o->edits[k];
		if (!e->dead && e->hdr && e->id == SIP_HDR_VIA && e->group == GROUP_TOP &&
		    (best < 0 || e->seq > o->edits[best].seq))
			best = (int)k;
	}
	if (best >= 0) {
		o->edits[best].dead = true;
		return 0;
	}
	/* 2. Then the base's Via values, in order. */
	if (o->base)
		for (uint16_t i = o->base->first[SIP_HDR_VIA]; i != SIP_HDR_NONE;
		     i = o->base->hdrs[i].next)
			if (!o->gone[i])
				return pop_base_via(o, i);
	/* 3. Then Via lines that were appended, in order. */
	for (uint32_t k = 0; k < o->nedits; k++) {
		struct out_edit *e = &o->edits[k];
		if (!e->dead && e->hdr && e->id == SIP_HDR_VIA) {
			e->dead = true;
			return 0;
		}
	}
	return SIP_ENOTFOUND;
}

static int rewrite_number(struct sip_out *o, int k, uint32_t v, bool whole_line)
{
	char num[16];
	int n = 0;
	struct out_edit *e = &o->edits[k];

	/* Digits by hand: printf costs more than the rest of a proxy's edits. */
	do {
		num[sizeof(num) - 1 - (size_t)n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memmove(num, num + sizeof(num) - (size_t)n, (size_t)n);
	uint32_t len;
	char *t;

	if (whole_line)
		t = make_line(o, (struct sip_str){ e->text, e->name_len },
			      (struct sip_str){ num, (size_t)n }, &len);
	else
		t = sip_arena_memdup(&o->arena, num, (size_t)n), len = (uint32_t)n;
	if (!t)
		return -ENOMEM;
	e->text = t;
	e->tlen = len;
	return 0;
}

int sip_out_max_forwards_dec(struct sip_out *o)
{
	uint32_t v;
	int k;

	/* An added line, if any, is the message's Max-Forwards now. */
	for (uint32_t e = 0; e < o->nedits; e++)
		if (edit_matches(&o->edits[e], SIP_HDR_MAX_FORWARDS, SIP_STR_NULL)) {
			if (sip_str_to_u32(sip_str_trim(edit_value(&o->edits[e])), &v))
				return SIP_EPARSE;
			if (v == 0)
				return -ELOOP;
			return rewrite_number(o, (int)e, v - 1, true);
		}
	if (o->base && o->base->first[SIP_HDR_MAX_FORWARDS] != SIP_HDR_NONE &&
	    !o->gone[o->base->first[SIP_HDR_MAX_FORWARDS]]) {
		const struct sip_hdr *h = &o->base->hdrs[o->base->first[SIP_HDR_MAX_FORWARDS]];
		if (o->mf_edit >= 0 && !o->edits[o->mf_edit].dead) {
			struct out_edit *e = &o->edits[o->mf_edit];
			if (sip_str_to_u32((struct sip_str){ e->text, e->tlen }, &v))
				return SIP_EPARSE;
		} else {
			int err = sip_msg_max_forwards(o->base, &v);
			if (err)
				return err;
		}
		if (v == 0)
			return -ELOOP;
		if (o->mf_edit < 0 || o->edits[o->mf_edit].dead) {
			if (edit_reserve(o, 1))
				return -ENOMEM;
			k = edit_push(o, boff(o, h->value.p), (uint32_t)h->value.len, "", 0, GROUP_MAIN);
			if (rewrite_number(o, k, v - 1, false)) {
				o->nedits--;
				return -ENOMEM;
			}
			o->mf_edit = k;
			return 0;
		}
		return rewrite_number(o, o->mf_edit, v - 1, false);
	}
	/* RFC 3261 16.6 step 3: none there, add one with 70. */
	return sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70"));
}

/* ---- Start line and body ---- */

int sip_out_set_ruri(struct sip_out *o, struct sip_str ruri)
{
	char *t;

	if (!o->is_request || ruri.len == 0 || !value_ok(ruri) || memchr(ruri.p, ' ', ruri.len))
		return -EINVAL;
	if (!o->base) {
		const struct sip_str parts[] = { o->method, SIP_STR(" "), ruri, SIP_STR(" SIP/2.0\r\n") };
		return set_start_line(o, parts, 4);
	}
	t = sip_arena_memdup(&o->arena, ruri.p, ruri.len);
	if (!t)
		return -ENOMEM;
	if (o->start_edit < 0) {
		if (edit_reserve(o, 1))
			return -ENOMEM;
		o->start_edit = edit_push(o, boff(o, o->base->ruri_str.p),
					  (uint32_t)o->base->ruri_str.len, t, (uint32_t)ruri.len,
					  GROUP_MAIN);
	} else {
		o->edits[o->start_edit].text = t;
		o->edits[o->start_edit].tlen = (uint32_t)ruri.len;
	}
	return 0;
}

int sip_out_set_body(struct sip_out *o, struct sip_str ctype, struct sip_str body)
{
	char *copy = NULL;
	int err;

	if (body.len > UINT32_MAX || (ctype.len && !value_ok(ctype)))
		return -EINVAL;
	if (body.len) {
		copy = sip_arena_memdup(&o->arena, body.p, body.len);
		if (!copy)
			return -ENOMEM;
	}
	/* Room for every edit below, so that they cannot fail half-way. */
	if (edit_reserve(o, (o->base ? o->base->nhdrs : 0u) + 4u))
		return -ENOMEM;
	if (ctype.len)
		err = sip_out_replace(o, SIP_HDR_CONTENT_TYPE, ctype);
	else if (body.len == 0)
		err = sip_out_remove(o, SIP_HDR_CONTENT_TYPE, NULL);
	else
		err = 0;
	if (err)
		return err;
	sip_out_remove(o, SIP_HDR_CONTENT_LENGTH, NULL);
	o->body = (struct sip_str){ copy, body.len };
	o->body_set = true;
	o->cl_auto = true;
	return 0;
}

/* ---- Serializing ---- */

static int edit_cmp(const struct out_edit *a, const struct out_edit *b)
{
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->seq == b->seq)
		return 0;
	/* Pushes: the last one pushed goes on top. */
	if (a->group == GROUP_TOP)
		return a->seq > b->seq ? -1 : 1;
	return a->seq < b->seq ? -1 : 1;
}

/* Insertion sort: edits are few (a proxy makes three or four) and already almost
 * in order, and unlike qsort it needs no global to reach the edit array. */
static void sort_edits(const struct sip_out *o, uint32_t *idx, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		uint32_t x = idx[i], j = i;
		while (j > 0 && edit_cmp(&o->edits[idx[j - 1]], &o->edits[x]) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = x;
	}
}

int sip_out_serialize(const struct sip_out *o, struct sip_buf *b)
{
	uint32_t stack_idx[64], *idx = stack_idx, n = 0, cursor = 0;
	size_t body_len = o->body_set ? o->body.len : (o->base ? o->base->body.len : 0);
	const char *body = o->body_set ? o->body.p : (o->base ? o->base->body.p : NULL);
	size_t start = b->len;
	int err = 0;

	if (o->nedits > sizeof(stack_idx) / sizeof(stack_idx[0])) {
		idx = malloc(o->nedits * sizeof(*idx));
		if (!idx)
			return -ENOMEM;
	}
	for (uint32_t k = 0; k < o->nedits; k++)
		if (!o->edits[k].dead)
			idx[n++] = k;
	sort_edits(o, idx, n);
	for (uint32_t i = 0; i < n && !err; i++) {
		const struct out_edit *e = &o->edits[idx[i]];
		if (e->off > cursor) {
			err = sip_buf_append(b, o->bbuf + cursor, e->off - cursor);
			cursor = e->off;
		}
		if (!err && e->tlen)
			err = sip_buf_append(b, e->text, e->tlen);
		if (e->off + e->del > cursor)
			cursor = e->off + e->del;
	}
	if (!err && cursor < o->hdr_end)
		err = sip_buf_append(b, o->bbuf + cursor, o->hdr_end - cursor);
	if (!err && o->cl_auto) {
		err = sip_buf_append(b, "Content-Length: ", 16);
		if (!err)
			err = sip_buf_append_u64(b, body_len);
		if (!err)
			err = sip_buf_append(b, "\r\n", 2);
	}
	if (!err)
		err = sip_buf_append(b, "\r\n", 2);
	if (!err && body_len)
		err = sip_buf_append(b, body, body_len);
	if (idx != stack_idx)
		free(idx);
	if (err) {
		/* Leave b as it was. */
		b->len = start;
		if (b->p)
			b->p[start] = '\0';
	}
	return err;
}

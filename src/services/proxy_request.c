/* Proxy request processing: validation (RFC 3261 16.3, loop detection per RFC 5393
 * 4.2), route information preprocessing (16.4) and the forwarded copy (16.6 items
 * 1 to 9), all as builder edits against the received request. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_int.h"
#include "siphon/dialog.h"
#include "siphon/err.h"

/* ---- Who we are ---- */

static bool self_match(const struct sip_proxy_config *cfg, struct sip_str host, uint16_t port)
{
	for (size_t i = 0; i < cfg->nself; i++) {
		const struct sip_proxy_self *s = &cfg->self[i];
		if (sip_str_caseeq(s->host, host) && (s->port == 0 || s->port == port))
			return true;
	}
	return false;
}

bool sip_proxy_is_self(const struct sip_proxy_config *cfg, const struct sip_uri *u)
{
	uint16_t port;

	if (!cfg || !u || (u->scheme != SIP_URI_SIP && u->scheme != SIP_URI_SIPS))
		return false;
	port = u->has_port ? u->port : (u->scheme == SIP_URI_SIPS ? 5061 : 5060);
	return self_match(cfg, u->host, port);
}

/* A Via sent-by this proxy wrote (default port by transport, RFC 3261 18.2.2). */
static bool via_is_self(const struct sip_proxy_config *cfg, const struct sip_via *v)
{
	uint16_t port = v->has_port ? v->port : 5060;

	if (!v->has_port && (sip_str_caseeq_cstr(v->transport, "TLS") ||
			     sip_str_caseeq_cstr(v->transport, "WSS")))
		port = 5061;
	return self_match(cfg, v->host, port);
}

/* ---- Loop detection (16.6 item 8, RFC 5393 4.2) ---- */

static uint64_t fnv(uint64_t h, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 0x100000001b3ull;
	}
	/* A separator so adjacent fields cannot trade bytes. */
	h ^= 0xffu;
	h *= 0x100000001b3ull;
	return h;
}

static uint64_t fnv_lines(uint64_t h, struct sip_msg *m, enum sip_hdr_id id)
{
	for (const struct sip_hdr *x = sip_msg_hdr(m, id); x; x = sip_msg_hdr_next(m, x))
		h = fnv(h, x->value);
	return fnv(h, SIP_STR("|"));
}

/* Everything that affects where this proxy sends the request (RFC 5393 4.2.1:
 * at least the received Request-URI and the Route values) and varies between
 * transactions (4.2.4: Call-ID, CSeq number), plus the fields 16.6 item 8 lists.
 * Never the method, so a CANCEL hashes like its INVITE. MD5 is only a suggestion;
 * 4.2.4 accepts a 32-bit CRC, and a 64-bit FNV-1a is plenty for at most 70 hops. */
static uint64_t loop_hash(struct sip_msg *req, const struct sip_cseq *cseq,
			  const struct sip_addr *from, const struct sip_addr *to, struct sip_str cid)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char num[4] = { (char)(cseq->seq >> 24), (char)(cseq->seq >> 16), (char)(cseq->seq >> 8),
			(char)cseq->seq };

	h = fnv(h, req->ruri_str);
	h = fnv_lines(h, req, SIP_HDR_ROUTE);
	h = fnv(h, cid);
	h = fnv(h, (struct sip_str){ num, sizeof(num) });
	h = fnv(h, from->tag);
	h = fnv(h, to->tag);
	h = fnv_lines(h, req, SIP_HDR_PROXY_REQUIRE);
	h = fnv_lines(h, req, SIP_HDR_PROXY_AUTHORIZATION);
	return h;
}

/* Our branches are "z9hG4bK" + 32 hex digits + "." + 16 hex digits of the hash. */
static void hex16(char *dst, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 15; i >= 0; i--, v >>= 4)
		dst[i] = digits[v & 15];
}

static bool branch_has_hash(struct sip_str branch, uint64_t hash)
{
	char hex[16];

	if (branch.len != SIP_PROXY_BRANCH_SIZE - 1 || branch.p[SIP_BRANCH_SIZE - 1] != '.')
		return false;
	hex16(hex, hash);
	return memcmp(branch.p + SIP_BRANCH_SIZE, hex, 16) == 0;
}

/* ---- Validation (16.3) ---- */

static void verdict(struct sip_proxy_check *out, int status, const char *reason)
{
	out->status = status;
	out->reason = reason;
}

static bool supported(const struct sip_proxy_config *cfg, struct sip_str tag)
{
	for (size_t i = 0; i < cfg->nsupported; i++)
		if (sip_str_caseeq(cfg->supported[i], tag))
			return true;
	return false;
}

/* Every Route value parses (16.4 and 16.6 item 6 read them). */
static bool routes_ok(struct sip_msg *req)
{
	int n = sip_msg_route_count(req);

	if (n == SIP_ENOTFOUND)
		return true;
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++) {
		const struct sip_addr *a;
		if (sip_msg_route(req, (unsigned)i, &a))
			return false;
	}
	return true;
}

int sip_proxy_validate(struct sip_proxy_check *out, const struct sip_proxy_config *cfg,
		       struct sip_msg *req)
{
	struct sip_proxy_check c;
	const struct sip_addr *from, *to;
	const struct sip_cseq *cseq;
	const struct sip_uri *ruri;
	struct sip_str cid;
	uint32_t mf = 1;
	int nvia, err;

	if (!out || !cfg || !req || !req->is_request)
		return -EINVAL;
	memset(&c, 0, sizeof(c));
	/* 1. Reasonable syntax: what the rest of 16.3 and 16.6 reads must parse. */
	if (sip_msg_from(req, &from))
		verdict(&c, 400, "Bad Request (Bad From)");
	else if (sip_msg_to(req, &to))
		verdict(&c, 400, "Bad Request (Bad To)");
	else if (sip_msg_call_id(req, &cid))
		verdict(&c, 400, "Bad Request (Bad Call-ID)");
	else if (sip_msg_cseq(req, &cseq) || cseq->method != req->method ||
		 (req->method == SIP_METHOD_OTHER && !sip_str_eq(cseq->method_str, req->method_str)))
		verdict(&c, 400, "Bad Request (Bad CSeq)");
	else if ((nvia = sip_msg_via_count(req)) <= 0)
		verdict(&c, 400, "Bad Request (Bad Via)");
	else if ((err = sip_msg_max_forwards(req, &mf)) && err != SIP_ENOTFOUND)
		verdict(&c, 400, "Bad Request (Bad Max-Forwards)");
	else if (!routes_ok(req))
		verdict(&c, 400, "Bad Request (Bad Route)");
	else if (sip_msg_ruri(req, &ruri))
		verdict(&c, 400, "Bad Request (Bad Request-URI)");
	/* 2. URI scheme. */
	else if (ruri->scheme == SIP_URI_OTHER)
		verdict(&c, 416, NULL);
	if (c.status)
		goto out;
	c.loop_hash = loop_hash(req, cseq, from, to, cid);
	/* 3. Max-Forwards. An OPTIONS to this proxy is the server's to answer (11). */
	if (req->method == SIP_METHOD_OPTIONS &&
	    (mf == 0 || (sip_proxy_is_self(cfg, ruri) && ruri->user.len == 0 &&
			 sip_msg_route_count(req) <= 0))) {
		c.options_local = true;
		goto out;
	}
	if (mf == 0) {
		verdict(&c, 483, NULL);
		goto out;
	}
	/* 4. Loop detection: every Via this proxy wrote (RFC 5393 4.2.2). */
	for (int i = 0; i < nvia; i++) {
		const struct sip_via *v;
		if (sip_msg_via(req, (unsigned)i, &v)) {
			verdict(&c, 400, "Bad Request (Bad Via)");
			goto out;
		}
		if (via_is_self(cfg, v) && branch_has_hash(v->branch, c.loop_hash)) {
			verdict(&c, 482, NULL);
			goto out;
		}
	}
	/* 5. Proxy-Require. */
	for (const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_PROXY_REQUIRE); h;
	     h = sip_msg_hdr_next(req, h)) {
		struct sip_str rest = h->value, item;
		while (sip_list_next(&rest, &item))
			if (!supported(cfg, item) && c.nunsupported < SIP_PROXY_MAX_UNSUPPORTED)
				c.unsupported[c.nunsupported++] = item;
	}
	if (c.nunsupported)
		verdict(&c, 420, NULL);
out:
	*out = c;
	return 0;
}

int sip_proxy_reply(struct sip_out **op, struct sip_msg *req, const struct sip_proxy_check *chk,
		    struct sip_str to_tag)
{
	struct sip_buf v = SIP_BUF_INIT;
	struct sip_out *o;
	int err;

	if (!op || !chk || chk->status < 300 || chk->status > 699)
		return -EINVAL;
	if ((err = sip_out_response_to(&o, req, chk->status, chk->reason, to_tag)))
		return err;
	/* 16.3 item 5 / 20.40: the option-tags not understood. */
	for (unsigned i = 0; i < chk->nunsupported && !err; i++)
		err = sip_buf_printf(&v, "%s%.*s", i ? ", " : "", SIP_STR_ARG(chk->unsupported[i]));
	if (!err && v.len)
		err = sip_out_add(o, SIP_HDR_UNSUPPORTED, sip_buf_str(&v));
	sip_buf_free(&v);
	if (err) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

/* ---- Preprocessing (16.4) ---- */

int sip_proxy_preprocess(struct sip_proxy_req *out, const struct sip_proxy_config *cfg,
			 struct sip_msg *req, const struct sip_proxy_check *chk)
{
	struct sip_proxy_req r;
	const struct sip_uri *ruri;
	const struct sip_addr *a;
	int n, err;

	if (!out || !cfg || !req || !chk || chk->status)
		return -EINVAL;
	if ((err = sip_msg_ruri(req, &ruri)))
		return err;
	n = sip_msg_route_count(req);
	if (n == SIP_ENOTFOUND)
		n = 0;
	if (n < 0)
		return n;
	memset(&r, 0, sizeof(r));
	r.msg = req;
	r.ruri = req->ruri_str;
	r.route_end = (unsigned)n;
	r.loop_hash = chk->loop_hash;
	/* The Request-URI is our Record-Route value (ours, no user, lr): a strict
	 * router sent it; the real Request-URI is the last Route value. */
	if (n > 0 && ruri->user.len == 0 && ruri->lr && sip_proxy_is_self(cfg, ruri)) {
		if ((err = sip_msg_route(req, (unsigned)n - 1, &a)))
			return err;
		r.ruri = a->uri_str;
		r.route_end = (unsigned)n - 1;
		r.strict_fixup = true;
	}
	/* Then the top Route values that are us (two after a double Record-Route). */
	while (r.route_first < r.route_end) {
		if ((err = sip_msg_route(req, r.route_first, &a)))
			return err;
		if (!sip_proxy_is_self(cfg, &a->uri))
			break;
		r.route_first++;
	}
	*out = r;
	return 0;
}

/* ---- Forwarding (16.6) ---- */

/* The raw Route values of m in order (sip_list_next over every line: the same
 * split the msg layer's Route accessor makes). *vp is a heap array. */
static int raw_routes(struct sip_str **vp, unsigned *np, struct sip_msg *m)
{
	unsigned n = 0, cap = 0;
	struct sip_str *v = NULL;

	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ROUTE); h; h = sip_msg_hdr_next(m, h)) {
		struct sip_str rest = h->value, item;
		while (sip_list_next(&rest, &item)) {
			if (n == cap) {
				unsigned nc = cap ? cap * 2 : 8;
				struct sip_str *t = realloc(v, nc * sizeof(*t));
				if (!t) {
					free(v);
					return -ENOMEM;
				}
				v = t;
				cap = nc;
			}
			v[n++] = item;
		}
	}
	*vp = v;
	*np = n;
	return 0;
}

/* Folded values keep CRLF SP inside; a value written back as one line must not. */
static int append_clean(struct sip_buf *b, struct sip_str s)
{
	size_t start = b->len;
	int err = sip_buf_append_str(b, s);

	if (err)
		return err;
	for (size_t i = start; i < b->len; i++)
		if (b->p[i] == '\r' || b->p[i] == '\n' || b->p[i] == '\t')
			b->p[i] = ' ';
	return 0;
}

/* Push "a" b "c" as a Via or Record-Route value on top (plain concatenation:
 * this runs for every forwarded request, printf is measurably slower). */
static int push3(struct sip_out *o, enum sip_hdr_id id, const char *a, struct sip_str b, const char *c)
{
	char small[256];
	size_t la = strlen(a), lc = strlen(c), n = la + b.len + lc;
	char *v = n <= sizeof(small) ? small : malloc(n);
	int err;

	if (!v)
		return -ENOMEM;
	memcpy(v, a, la);
	if (b.len)
		memcpy(v + la, b.p, b.len);
	memcpy(v + la + b.len, c, lc);
	err = id == SIP_HDR_VIA ? sip_out_via_push(o, (struct sip_str){ v, n })
				: sip_out_record_route_push(o, (struct sip_str){ v, n });
	if (v != small)
		free(v);
	return err;
}

int sip_proxy_forward(struct sip_out **op, struct sip_buf *next_hop, char *branch,
		      const struct sip_proxy_req *r, const struct sip_proxy_fwd *f)
{
	struct sip_buf ruri = SIP_BUF_INIT, route = SIP_BUF_INIT;
	struct sip_str *raw = NULL, *list = NULL;
	unsigned nraw = 0, nlist = 0, first = 0;
	struct sip_out *o = NULL;
	struct sip_addr top;
	bool strict = false, rewrite;
	char br[SIP_PROXY_BRANCH_SIZE];
	int err;

	if (!op || !next_hop || !branch || !r || !r->msg || !f || f->target.len == 0 || f->via.len == 0)
		return -EINVAL;
	/* Item 2: the target, without what a Request-URI may not carry. */
	if ((err = sip_dialog_ruri_from_uri(&ruri, f->target)))
		goto out;
	/* Item 6: policy routes on top of the values 16.4 kept. */
	if ((err = raw_routes(&raw, &nraw, r->msg)))
		goto out;
	if (r->route_end > nraw || r->route_first > r->route_end) {
		err = -EINVAL;
		goto out;
	}
	nlist = (unsigned)f->nroutes + (r->route_end - r->route_first);
	if (nlist) {
		list = malloc(nlist * sizeof(*list));
		if (!list) {
			err = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < f->nroutes; i++)
			list[i] = f->routes[i];
		for (unsigned i = r->route_first; i < r->route_end; i++)
			list[f->nroutes + i - r->route_first] = raw[i];
		if ((err = sip_addr_parse(&top, list[0])))
			goto out;
		strict = !top.uri.lr;
	}
	rewrite = f->nroutes || r->route_first || r->route_end != nraw || strict;
	if ((err = sip_out_from_msg(&o, r->msg)))
		goto out;
	if (strict) {
		/* Item 6: the Request-URI goes last in Route, the first Route value
		 * becomes the Request-URI. */
		struct sip_buf tmp = SIP_BUF_INIT;
		if (!(err = sip_buf_printf(&route, "<%.*s>", SIP_STR_ARG(ruri))))
			err = sip_dialog_ruri_from_uri(&tmp, top.uri_str);
		if (!err) {
			sip_buf_reset(&ruri);
			err = sip_buf_append_str(&ruri, sip_buf_str(&tmp));
		}
		sip_buf_free(&tmp);
		first = 1;
		if (err)
			goto out;
	}
	if (rewrite) {
		struct sip_buf v = SIP_BUF_INIT;
		for (unsigned i = first; i < nlist && !err; i++) {
			if (v.len)
				err = sip_buf_append(&v, ", ", 2);
			if (!err)
				err = append_clean(&v, list[i]);
		}
		if (!err && route.len)
			err = sip_buf_printf(&v, "%s%.*s", v.len ? ", " : "", SIP_STR_ARG(sip_buf_str(&route)));
		if (!err)
			err = v.len ? sip_out_replace(o, SIP_HDR_ROUTE, sip_buf_str(&v))
				    : sip_out_remove(o, SIP_HDR_ROUTE, NULL);
		sip_buf_free(&v);
		if (err)
			goto out;
	}
	if (!sip_str_eq(sip_buf_str(&ruri), r->msg->ruri_str) &&
	    (err = sip_out_set_ruri(o, sip_buf_str(&ruri))))
		goto out;
	/* Item 3. */
	if ((err = sip_out_max_forwards_dec(o)))
		goto out;
	/* Item 4: the incoming side's value below the outgoing side's. */
	if (f->rr.len) {
		if (f->rr_in.len && !sip_str_eq(f->rr_in, f->rr) &&
		    (err = push3(o, SIP_HDR_RECORD_ROUTE, "<", f->rr_in, ">")))
			goto out;
		if ((err = push3(o, SIP_HDR_RECORD_ROUTE, "<", f->rr, ">")))
			goto out;
	}
	/* Item 8: a unique branch with the loop hash as its second part. */
	if ((err = sip_branch_new(br, SIP_BRANCH_SIZE)))
		goto out;
	br[SIP_BRANCH_SIZE - 1] = '.';
	hex16(br + SIP_BRANCH_SIZE, r->loop_hash);
	br[SIP_PROXY_BRANCH_SIZE - 1] = '\0';
	{
		char tail[8 + SIP_PROXY_BRANCH_SIZE];
		memcpy(tail, ";branch=", 8);
		memcpy(tail + 8, br, SIP_PROXY_BRANCH_SIZE);
		if ((err = push3(o, SIP_HDR_VIA, "", f->via, tail)))
			goto out;
	}
	/* Item 7: where it goes. */
	if (strict)
		err = sip_buf_append_str(next_hop, sip_buf_str(&ruri));
	else if (nlist)
		err = sip_buf_append_str(next_hop, top.uri_str);
	else
		err = sip_buf_append_str(next_hop, sip_buf_str(&ruri));
	if (err)
		goto out;
	memcpy(branch, br, sizeof(br));
out:
	free(raw);
	free(list);
	sip_buf_free(&ruri);
	sip_buf_free(&route);
	if (err) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

int sip_proxy_response_stateless(struct sip_out **op, struct sip_msg *resp)
{
	struct sip_out *o;
	int n, err;

	if (!op || !resp || resp->is_request)
		return -EINVAL;
	n = sip_msg_via_count(resp);
	if (n < 0)
		return n;
	if (n < 2)
		return SIP_ENOTFOUND; /* 16.7 item 3: it was meant for this element */
	if ((err = sip_out_from_msg(&o, resp)))
		return err;
	if ((err = sip_out_via_pop(o))) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

/* Dialog state (RFC 3261 12): creation on the UAC and UAS sides, updates from
 * later responses, target refresh and the UAS CSeq check.
 *
 * Storage. Everything a dialog keeps that does not change during its life (the id,
 * the URIs, the route set) is packed into one heap block, d->fixed: the route
 * entries first, then the bytes. A 2xx that confirms an early dialog replaces the
 * route set (12.1.2), so the block is rebuilt then: the new block is filled before
 * the old one is freed, so its slices may be the source. The remote target lives
 * in its own block, d->target, because target refreshes replace it. */
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dialog_int.h"
#include "siphon/err.h"

/* ---- Packing ---- */

struct pack_in {
	struct sip_str call_id, local_tag, remote_tag, local_uri, remote_uri;
	const struct sip_dialog_route *routes; /* values and uris may borrow from anywhere */
	unsigned nroutes;
};

/* Folded header values keep CRLF SP inside (7.3.1); a value the dialog writes
 * back into a header line must be one line, so line breaks and tabs become SP. */
static char *put(char *dst, struct sip_str s, struct sip_str *out)
{
	for (size_t i = 0; i < s.len; i++) {
		char c = s.p[i];
		dst[i] = (c == '\r' || c == '\n' || c == '\t') ? ' ' : c;
	}
	*out = (struct sip_str){ dst, s.len };
	return dst + s.len;
}

/* Build a new fixed block for d from in; on success the old block is freed. */
static int pack(struct sip_dialog *d, const struct pack_in *in)
{
	size_t head = (size_t)in->nroutes * sizeof(struct sip_dialog_route);
	size_t n = in->call_id.len + in->local_tag.len + in->remote_tag.len +
		   in->local_uri.len + in->remote_uri.len;
	struct sip_dialog_route *r;
	char *blk, *p;

	for (unsigned i = 0; i < in->nroutes; i++)
		n += in->routes[i].value.len;
	blk = malloc(head + n + 1);
	if (!blk)
		return -ENOMEM;
	r = (struct sip_dialog_route *)(void *)blk;
	p = blk + head;
	p = put(p, in->call_id, &d->id.call_id);
	p = put(p, in->local_tag, &d->id.local_tag);
	p = put(p, in->remote_tag, &d->id.remote_tag);
	p = put(p, in->local_uri, &d->local_uri);
	p = put(p, in->remote_uri, &d->remote_uri);
	for (unsigned i = 0; i < in->nroutes; i++) {
		const struct sip_dialog_route *src = &in->routes[i];
		char *start = p;
		p = put(p, src->value, &r[i].value);
		/* The URI sits at the same offset inside the value. */
		r[i].uri = (struct sip_str){ start + (src->uri.p - src->value.p), src->uri.len };
		r[i].lr = src->lr;
	}
	*p = '\0';
	free(d->fixed);
	d->fixed = blk;
	d->routes = in->nroutes ? r : NULL;
	d->nroutes = in->nroutes;
	return 0;
}

static int set_target(struct sip_dialog *d, struct sip_str uri)
{
	char *t = malloc(uri.len + 1);

	if (!t)
		return -ENOMEM;
	put(t, uri, &d->remote_target);
	t[uri.len] = '\0';
	free(d->target);
	d->target = t;
	return 0;
}

/* ---- Reading messages ---- */

/* The route set from m's Record-Route values (12.1.1 in order, 12.1.2 reversed).
 * Each entry is written back as "<uri>;params" (display names carry no routing
 * information); *routesp is a heap array borrowing from m, NULL when empty. */
static int read_routes(struct sip_dialog_route **routesp, unsigned *np, struct sip_msg *m,
		       bool reverse, struct sip_buf *text)
{
	int n = sip_msg_record_route_count(m);
	struct sip_dialog_route *r;
	size_t *off;

	*routesp = NULL;
	*np = 0;
	if (n == SIP_ENOTFOUND || n == 0)
		return 0;
	if (n < 0)
		return n;
	r = calloc((size_t)n, sizeof(*r));
	off = calloc((size_t)n, sizeof(*off));
	if (!r || !off) {
		free(r);
		free(off);
		return -ENOMEM;
	}
	/* Values are printed into text first (it may move while growing), then
	 * sliced. */
	for (int i = 0; i < n; i++) {
		const struct sip_addr *a;
		int err = sip_msg_record_route(m, (unsigned)i, &a);
		unsigned k = reverse ? (unsigned)(n - 1 - i) : (unsigned)i;
		if (!err && a->uri.scheme != SIP_URI_SIP && a->uri.scheme != SIP_URI_SIPS)
			err = SIP_EPARSE; /* 16.6 item 4: Record-Route URIs are SIP or SIPS */
		if (!err) {
			off[k] = text->len;
			err = sip_buf_printf(text, "<%.*s>%s%.*s", SIP_STR_ARG(a->uri_str),
					     a->params.len ? ";" : "", SIP_STR_ARG(a->params));
		}
		if (err) {
			free(r);
			free(off);
			return err;
		}
		r[k].uri.len = a->uri_str.len;
		r[k].value.len = text->len - off[k];
		r[k].lr = a->uri.lr;
	}
	for (int k = 0; k < n; k++) {
		r[k].value.p = text->p + off[k];
		r[k].uri.p = r[k].value.p + 1;
	}
	free(off);
	*routesp = r;
	*np = (unsigned)n;
	return 0;
}

/* The URI of m's first Contact; SIP_ENOTFOUND when there is none. A Contact
 * in a dialog must be a SIP or SIPS URI (12.1.1, 12.1.2). */
static int contact_uri(struct sip_msg *m, struct sip_str *out)
{
	const struct sip_addr *a;
	int err = sip_msg_contact(m, 0, &a);

	if (err)
		return err;
	if (a->star || (a->uri.scheme != SIP_URI_SIP && a->uri.scheme != SIP_URI_SIPS))
		return SIP_EPARSE;
	*out = a->uri_str;
	return 0;
}

static bool ruri_is_sips(struct sip_msg *req)
{
	const struct sip_uri *u;

	return sip_msg_ruri(req, &u) == 0 && u->scheme == SIP_URI_SIPS;
}

int sip_dialog_id_of(struct sip_dialog_id *out, struct sip_msg *m)
{
	const struct sip_addr *from, *to;
	struct sip_str cid;
	int err;

	if (!m)
		return -EINVAL;
	if ((err = sip_msg_call_id(m, &cid)) || (err = sip_msg_from(m, &from)) ||
	    (err = sip_msg_to(m, &to)))
		return err;
	out->call_id = cid;
	out->local_tag = m->is_request ? to->tag : from->tag;
	out->remote_tag = m->is_request ? from->tag : to->tag;
	return 0;
}

/* ---- Creation ---- */

static struct sip_dialog *dialog_new(void)
{
	struct sip_dialog *d = calloc(1, sizeof(*d));

	return d;
}

void sip_dialog_free(struct sip_dialog *d)
{
	if (!d)
		return;
	free(d->fixed);
	free(d->target);
	free(d);
}

/* What every creation shares: the route set from rr_msg's Record-Route (in
 * order for a request received, 12.1.1; reversed for a response, 12.1.2), the
 * fixed block from in (its routes are filled here) and the remote target. */
static int dialog_make(struct sip_dialog **dp, struct pack_in *in, struct sip_msg *rr_msg, bool reverse,
		       struct sip_str target)
{
	struct sip_dialog_route *routes = NULL;
	struct sip_buf text = SIP_BUF_INIT;
	struct sip_dialog *d = NULL;
	int err;

	err = read_routes(&routes, &in->nroutes, rr_msg, reverse, &text);
	in->routes = routes;
	if (!err && !(d = dialog_new()))
		err = -ENOMEM;
	if (!err && !(err = pack(d, in)))
		err = set_target(d, target);
	free(routes);
	sip_buf_free(&text);
	if (err) {
		sip_dialog_free(d);
		return err;
	}
	*dp = d;
	return 0;
}

int sip_dialog_uac_alloc(struct sip_dialog **dp, struct sip_msg *req, struct sip_msg *resp,
			 bool secure_transport)
{
	const struct sip_addr *from, *to, *rto;
	const struct sip_cseq *cseq, *rcseq;
	struct sip_str cid, rcid, target = SIP_STR_NULL;
	struct sip_dialog *d;
	struct pack_in in;
	int err;

	if (!dp || !req || !resp || !req->is_request || resp->is_request ||
	    resp->status <= 100 || resp->status >= 300)
		return -EINVAL;
	if ((err = sip_msg_call_id(req, &cid)) || (err = sip_msg_from(req, &from)) ||
	    (err = sip_msg_to(req, &to)) || (err = sip_msg_cseq(req, &cseq)) ||
	    (err = sip_msg_call_id(resp, &rcid)) || (err = sip_msg_to(resp, &rto)) ||
	    (err = sip_msg_cseq(resp, &rcseq)))
		return err;
	if (!sip_str_eq(cid, rcid) || rcseq->seq != cseq->seq ||
	    !sip_str_eq(rcseq->method_str, cseq->method_str))
		return -EINVAL; /* not a response to req */
	/* 12.1.2: the remote target is the response's Contact; a 1xx without one
	 * leaves it empty until the 2xx. */
	err = contact_uri(resp, &target);
	if (err && !(err == SIP_ENOTFOUND && resp->status < 200))
		return err;
	in = (struct pack_in){ cid, from->tag, rto->tag, from->uri_str, to->uri_str, NULL, 0 };
	if ((err = dialog_make(&d, &in, resp, true, target)))
		return err;
	d->uac = true;
	d->state = resp->status < 200 ? SIP_DIALOG_EARLY : SIP_DIALOG_CONFIRMED;
	d->secure = secure_transport && ruri_is_sips(req);
	d->local_seq = cseq->seq;
	d->local_seq_set = true;
	*dp = d;
	return 0;
}

int sip_dialog_uas_alloc(struct sip_dialog **dp, struct sip_msg *req, int status,
			 struct sip_str local_tag, bool secure_transport)
{
	const struct sip_addr *from, *to;
	const struct sip_cseq *cseq;
	struct sip_str cid, target;
	struct sip_dialog *d;
	struct pack_in in;
	int err;

	if (!dp || !req || !req->is_request || status <= 100 || status >= 300 || local_tag.len == 0)
		return -EINVAL;
	if ((err = sip_msg_call_id(req, &cid)) || (err = sip_msg_from(req, &from)) ||
	    (err = sip_msg_to(req, &to)) || (err = sip_msg_cseq(req, &cseq)) ||
	    (err = contact_uri(req, &target)))
		return err;
	/* 12.1.1: remote tag from From (may be null), local tag from our To. */
	in = (struct pack_in){ cid, local_tag, from->tag, to->uri_str, from->uri_str, NULL, 0 };
	if ((err = dialog_make(&d, &in, req, false, target)))
		return err;
	d->uac = false;
	d->state = status < 200 ? SIP_DIALOG_EARLY : SIP_DIALOG_CONFIRMED;
	d->secure = secure_transport && ruri_is_sips(req);
	d->remote_seq = cseq->seq;
	d->remote_seq_set = true;
	*dp = d;
	return 0;
}

int sip_dialog_notify_alloc(struct sip_dialog **dp, struct sip_msg *subscribe, struct sip_msg *notify,
			    bool secure_transport)
{
	const struct sip_addr *sfrom, *sto, *nfrom, *nto;
	const struct sip_cseq *scseq, *ncseq;
	struct sip_str scid, ncid, target;
	struct sip_dialog *d;
	struct pack_in in;
	int err;

	if (!dp || !subscribe || !notify || !subscribe->is_request || !notify->is_request ||
	    subscribe->method != SIP_METHOD_SUBSCRIBE || notify->method != SIP_METHOD_NOTIFY)
		return -EINVAL;
	if ((err = sip_msg_call_id(subscribe, &scid)) || (err = sip_msg_from(subscribe, &sfrom)) ||
	    (err = sip_msg_to(subscribe, &sto)) || (err = sip_msg_cseq(subscribe, &scseq)) ||
	    (err = sip_msg_call_id(notify, &ncid)) || (err = sip_msg_from(notify, &nfrom)) ||
	    (err = sip_msg_to(notify, &nto)) || (err = sip_msg_cseq(notify, &ncseq)))
		return err;
	if (!sip_str_eq(scid, ncid) || !sip_str_eq(sfrom->tag, nto->tag))
		return -EINVAL;
	if ((err = contact_uri(notify, &target)))
		return err;
	in = (struct pack_in){ scid, sfrom->tag, nfrom->tag, sfrom->uri_str, sto->uri_str, NULL, 0 };
	if ((err = dialog_make(&d, &in, notify, false, target)))
		return err;
	d->uac = true;
	d->state = SIP_DIALOG_CONFIRMED;
	d->secure = secure_transport && ruri_is_sips(subscribe);
	d->local_seq = scseq->seq;
	d->local_seq_set = true;
	d->remote_seq = ncseq->seq;
	d->remote_seq_set = true;
	*dp = d;
	return 0;
}

/* ---- Updates ---- */

static bool same_id(const struct sip_dialog *d, const struct sip_dialog_id *id)
{
	return sip_str_eq(d->id.call_id, id->call_id) && sip_str_eq(d->id.local_tag, id->local_tag) &&
	       sip_str_eq(d->id.remote_tag, id->remote_tag);
}

int sip_dialog_uac_update(struct sip_dialog *d, struct sip_msg *resp)
{
	struct sip_dialog_route *routes = NULL;
	struct sip_buf text = SIP_BUF_INIT;
	struct sip_str target = SIP_STR_NULL;
	struct sip_dialog_id id;
	unsigned nroutes = 0;
	int err;

	if (!d || !d->uac || !resp || resp->is_request || resp->status <= 100 || resp->status >= 300)
		return -EINVAL;
	if ((err = sip_dialog_id_of(&id, resp)))
		return err;
	if (!same_id(d, &id))
		return -EINVAL;
	err = contact_uri(resp, &target);
	if (err == SIP_ENOTFOUND && (resp->status < 200 || d->state == SIP_DIALOG_CONFIRMED))
		return 0; /* nothing to learn from it */
	if (err)
		return err;
	if (resp->status >= 200 && d->state == SIP_DIALOG_EARLY) {
		struct pack_in in;
		/* The 2xx establishes the dialog: its route set wins (12.1.2). */
		if ((err = read_routes(&routes, &nroutes, resp, true, &text)))
			goto out;
		in = (struct pack_in){ d->id.call_id, d->id.local_tag, d->id.remote_tag,
				       d->local_uri, d->remote_uri, routes, nroutes };
		if ((err = set_target(d, target)) || (err = pack(d, &in)))
			goto out;
		d->state = SIP_DIALOG_CONFIRMED;
	} else {
		err = set_target(d, target);
	}
out:
	free(routes);
	sip_buf_free(&text);
	return err;
}

void sip_dialog_confirm(struct sip_dialog *d)
{
	if (d)
		d->state = SIP_DIALOG_CONFIRMED;
}

bool sip_dialog_is_target_refresh(enum sip_method method)
{
	switch (method) {
	case SIP_METHOD_INVITE:    /* 12.2, 14 */
	case SIP_METHOD_UPDATE:    /* RFC 3311 5.1 */
	case SIP_METHOD_SUBSCRIBE: /* RFC 6665 4.1.2.1 */
	case SIP_METHOD_NOTIFY:    /* RFC 6665 4.2.1 */
		return true;
	default:
		return false;
	}
}

int sip_dialog_refresh_target(struct sip_dialog *d, struct sip_msg *m)
{
	struct sip_str target;
	enum sip_method method;
	int err;

	if (!d || !m)
		return -EINVAL;
	if (m->is_request) {
		method = m->method;
	} else {
		const struct sip_cseq *cseq;
		if (m->status < 200 || m->status >= 300)
			return -EINVAL;
		if ((err = sip_msg_cseq(m, &cseq)))
			return err;
		method = cseq->method;
	}
	if (!sip_dialog_is_target_refresh(method))
		return -EINVAL;
	err = contact_uri(m, &target);
	if (err == SIP_ENOTFOUND)
		return 0; /* "if present" (12.2.1.2, 12.2.2) */
	if (err)
		return err;
	return set_target(d, target);
}

int sip_dialog_uas_request(struct sip_dialog *d, struct sip_msg *req, int *status)
{
	const struct sip_cseq *cseq;
	int err;

	if (!d || !req || !req->is_request || !status)
		return -EINVAL;
	if ((err = sip_msg_cseq(req, &cseq)))
		return err;
	if (req->method == SIP_METHOD_CANCEL) {
		*status = 0;
		return 0;
	}
	if (d->remote_seq_set) {
		bool ack = req->method == SIP_METHOD_ACK;
		if (cseq->seq < d->remote_seq || (cseq->seq == d->remote_seq && !ack)) {
			*status = 500; /* 12.2.2: out of order */
			return 0;
		}
	}
	d->remote_seq = cseq->seq;
	d->remote_seq_set = true;
	*status = 0;
	return 0;
}

/* ---- Accessors ---- */

struct sip_str sip_dialog_next_hop(const struct sip_dialog *d)
{
	if (d->nroutes)
		return d->routes[0].uri;
	return d->remote_target;
}

unsigned sip_dialog_route_count(const struct sip_dialog *d)
{
	return d->nroutes;
}

struct sip_str sip_dialog_route(const struct sip_dialog *d, unsigned i)
{
	if (i >= d->nroutes)
		return SIP_STR_NULL;
	return d->routes[i].value;
}

/* 8.1.1.5: an initial CSeq below 2**31; leave room for a long dialog. */
uint32_t sip_dialog_initial_cseq(void)
{
	uint32_t v;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v))
		v = (uint32_t)time(NULL) ^ (uint32_t)clock();
	return (v & 0x3fffffffu) + 1;
}

/* RFC 3261 constructions on top of the builder: a response from a request
 * (8.2.6), CANCEL (9.1), ACK for a non-2xx response (17.1.1.3), and the random
 * identifiers a UAC needs (branch 8.1.1.7, tag 19.3, Call-ID 8.1.1.4). */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "build_int.h"
#include "siphon/err.h"

/* Copy every line of header id from m, in order, values verbatim. */
static int copy_lines(struct sip_out *o, struct sip_msg *m, enum sip_hdr_id id)
{
	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h)) {
		int err = sip_out_add_copy(o, id, h->value);
		if (err)
			return err;
	}
	return 0;
}

/* A header that must be there exactly as the RFC requires it. */
static int copy_one(struct sip_out *o, struct sip_msg *m, enum sip_hdr_id id)
{
	const struct sip_hdr *h = sip_msg_hdr(m, id);

	if (!h)
		return SIP_ENOTFOUND;
	return sip_out_add_copy(o, id, h->value);
}

/* Does a response with this code to this method establish (or possibly establish)
 * a dialog? RFC 3261 12.1: 101..199 and 2xx to INVITE; RFC 6665 4.1.2.4 and
 * RFC 3515: 2xx to SUBSCRIBE and REFER; a NOTIFY can create the dialog (6665 4.1.2.4). */
static bool creates_dialog(enum sip_method method, int code)
{
	switch (method) {
	case SIP_METHOD_INVITE:
		return code > 100 && code < 300;
	case SIP_METHOD_SUBSCRIBE:
	case SIP_METHOD_REFER:
	case SIP_METHOD_NOTIFY:
		return code >= 200 && code < 300;
	default:
		return false;
	}
}

static int build_response(struct sip_out *o, struct sip_msg *req, int code, struct sip_str to_tag)
{
	const struct sip_addr *to;
	const struct sip_hdr *h;
	int err;

	/* 8.2.6.2: Via values in order, From, To, Call-ID, CSeq. */
	if (!sip_msg_has(req, SIP_HDR_VIA))
		return SIP_ENOTFOUND;
	if ((err = copy_lines(o, req, SIP_HDR_VIA)) || (err = copy_one(o, req, SIP_HDR_FROM)))
		return err;
	h = sip_msg_hdr(req, SIP_HDR_TO);
	if (!h)
		return SIP_ENOTFOUND;
	if ((err = sip_msg_to(req, &to)))
		return err;
	if (to->tag.len == 0 && code > 100) {
		if (!sip_out_is_token(to_tag))
			return -EINVAL;
		err = sip_out_add_copy_tagged(o, SIP_HDR_TO, h->value, to_tag);
	} else {
		err = sip_out_add_copy(o, SIP_HDR_TO, h->value);
	}
	if (err || (err = copy_one(o, req, SIP_HDR_CALL_ID)) || (err = copy_one(o, req, SIP_HDR_CSEQ)))
		return err;
	/* 8.2.6.1: a 100 Trying carries the request's Timestamp back. */
	if (code == 100 && (err = copy_lines(o, req, SIP_HDR_TIMESTAMP)))
		return err;
	/* 12.1.1: a dialog-creating response copies Record-Route in order. */
	if (creates_dialog(req->method, code) && (err = copy_lines(o, req, SIP_HDR_RECORD_ROUTE)))
		return err;
	return 0;
}

int sip_out_response_to(struct sip_out **op, struct sip_msg *req, int code,
			const char *reason, struct sip_str to_tag)
{
	struct sip_out *o;
	int err;

	if (!req || !req->is_request || req->method == SIP_METHOD_ACK)
		return -EINVAL; /* 17.1.1.3: an ACK is never answered */
	if ((err = sip_out_response(&o, code, reason)))
		return err;
	if ((err = build_response(o, req, code, to_tag))) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

/* The top Via value of m: the first element of its first Via line. */
static int top_via(struct sip_msg *m, struct sip_str *out)
{
	const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_VIA);
	struct sip_str rest, item;

	if (!h)
		return SIP_ENOTFOUND;
	rest = h->value;
	if (!sip_list_next(&rest, &item))
		return SIP_EPARSE;
	*out = item;
	return 0;
}

/* Shared by CANCEL and ACK: R-URI, top Via, From, To (from to_src), Call-ID,
 * CSeq (number of the INVITE, new method), Route, Max-Forwards. */
static int build_hop(struct sip_out **op, struct sip_msg *invite, struct sip_msg *to_src,
		     const char *method)
{
	const struct sip_cseq *cseq;
	struct sip_str via;
	struct sip_out *o;
	int err;

	if (!invite || !invite->is_request || invite->method != SIP_METHOD_INVITE)
		return -EINVAL;
	if ((err = top_via(invite, &via)) || (err = sip_msg_cseq(invite, &cseq)))
		return err;
	if ((err = sip_out_request(&o, sip_str_from_cstr(method), invite->ruri_str)))
		return err;
	if (!(err = sip_out_add_copy(o, SIP_HDR_VIA, via)) &&
	    !(err = copy_one(o, invite, SIP_HDR_FROM)) &&
	    !(err = copy_one(o, to_src, SIP_HDR_TO)) &&
	    !(err = copy_one(o, invite, SIP_HDR_CALL_ID)) &&
	    !(err = sip_out_addf(o, SIP_HDR_CSEQ, "%u %s", (unsigned)cseq->seq, method)) &&
	    !(err = copy_lines(o, invite, SIP_HDR_ROUTE)))
		err = sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70"));
	if (err) {
		sip_out_free(o);
		return err;
	}
	*op = o;
	return 0;
}

int sip_out_cancel(struct sip_out **op, struct sip_msg *invite)
{
	return build_hop(op, invite, invite, "CANCEL");
}

int sip_out_ack(struct sip_out **op, struct sip_msg *invite, struct sip_msg *resp)
{
	if (!resp || resp->is_request || resp->status < 300 || resp->status > 699)
		return -EINVAL;
	return build_hop(op, invite, resp, "ACK");
}

/* ---- Random identifiers ---- */

/* Random bytes from the kernel's CSPRNG, drawn 256 at a time: a proxy makes a
 * branch per forwarded request, and one getrandom system call per branch was a
 * measurable part of a relayed INVITE. The bytes are as unpredictable as before;
 * each is handed out once. One pool per thread. */
static _Thread_local unsigned char rnd_pool[256];
static _Thread_local size_t rnd_left;

static int random_bytes(unsigned char *dst, size_t n)
{
	while (n) {
		if (!rnd_left) {
			size_t got = 0;
			while (got < sizeof(rnd_pool)) {
				ssize_t r = getrandom(rnd_pool + got, sizeof(rnd_pool) - got, 0);
				if (r < 0) {
					if (errno == EINTR)
						continue;
					return -errno;
				}
				got += (size_t)r;
			}
			rnd_left = sizeof(rnd_pool);
		}
		size_t k = n < rnd_left ? n : rnd_left;
		unsigned char *src = rnd_pool + sizeof(rnd_pool) - rnd_left;
		memcpy(dst, src, k);
		memset(src, 0, k); /* never reused, never left behind */
		rnd_left -= k;
		dst += k;
		n -= k;
	}
	return 0;
}

static int random_hex(char *dst, size_t ndigits)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32];
	size_t nbytes = (ndigits + 1) / 2;
	int err;

	if (nbytes > sizeof(raw))
		return -EINVAL;
	if ((err = random_bytes(raw, nbytes)))
		return err;
	for (size_t i = 0; i < ndigits; i++)
		dst[i] = hex[(raw[i / 2] >> ((i & 1) ? 0 : 4)) & 0xf];
	dst[ndigits] = '\0';
	return 0;
}

int sip_branch_new(char *dst, size_t dstsz)
{
	/* 8.1.1.7: the magic cookie marks an RFC 3261 branch, unique in space and time. */
	if (!dst || dstsz < SIP_BRANCH_SIZE)
		return -EINVAL;
	memcpy(dst, "z9hG4bK", 7);
	return random_hex(dst + 7, SIP_BRANCH_SIZE - 8);
}

int sip_tag_new(char *dst, size_t dstsz)
{
	if (!dst || dstsz < SIP_TAG_SIZE)
		return -EINVAL;
	return random_hex(dst, SIP_TAG_SIZE - 1);
}

int sip_call_id_new(char *dst, size_t dstsz)
{
	if (!dst || dstsz < SIP_CALL_ID_SIZE)
		return -EINVAL;
	return random_hex(dst, SIP_CALL_ID_SIZE - 1);
}

/* siphon services: answering a request (include/siphon/service.h). */
#include <stdio.h>
#include <string.h>

#include "siphon/err.h"
#include "siphon/service.h"
#include "siphon/txn.h"

/* FNV-1a, 64 bits, continued from h. */
static uint64_t fnv1a(uint64_t h, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* RFC 3261 8.2.7: a stateless UAS must give a retransmitted request the same To
 * tag, so the tag is derived from what identifies the request (Call-ID, From tag)
 * and a per-process secret (so tags are not predictable across servers). */
static void stateless_tag(char out[17], struct sip_req *r)
{
	static const char hex[] = "0123456789abcdef";
	const struct sip_addr *from;
	struct sip_str cid = SIP_STR_NULL;
	uint64_t h = 0xcbf29ce484222325ull ^ r->env->tag_key;

	(void)sip_msg_call_id(r->msg, &cid);
	h = fnv1a(h, cid);
	if (sip_msg_from(r->msg, &from) == 0)
		h = fnv1a(h, from->tag);
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	for (int i = 15; i >= 0; i--) {
		out[i] = hex[h & 15];
		h >>= 4;
	}
	out[16] = '\0';
}

int sip_req_response(struct sip_out **op, struct sip_req *r, int code, const char *reason)
{
	struct sip_net_via_fix fix;
	struct sip_out *o;
	char tag[17];
	int err;

	stateless_tag(tag, r);
	err = sip_out_response_to(&o, r->msg, code, reason, (struct sip_str){ tag, 16 });
	if (err)
		return err;
	/* RFC 3261 18.2.1 / RFC 3581: received and rport in the response's top Via. */
	if (sip_net_via_fix(&fix, r->msg, &r->src) == 0 && (fix.add_received || fix.fill_rport)) {
		err = sip_net_via_apply(o, r->msg, &fix);
		if (err) {
			sip_out_free(o);
			return err;
		}
	}
	*op = o;
	return 0;
}

int sip_req_send(struct sip_req *r, struct sip_out *o)
{
	struct sip_buf *b = &r->env->out;
	struct sip_net_dest dst;
	int err;

	sip_buf_reset(b);
	err = sip_out_serialize(o, b);
	sip_out_free(o);
	if (err)
		return err;
	if (r->st)
		return sip_txn_respond(r->st, b->p, b->len);
	/* RFC 3261 18.2.2: back on the request's connection, or to received/rport. */
	err = sip_net_response_dest(&dst, r->msg, &r->src);
	if (err)
		return err;
	if (r->src.tp == SIP_TP_UDP)
		dst.lis = r->src.lis;
	return sip_net_send(r->env->net, &dst, b->p, b->len, NULL);
}

int sip_req_reply(struct sip_req *r, int code, const char *reason)
{
	struct sip_out *o;
	int err = sip_req_response(&o, r, code, reason);

	return err ? err : sip_req_send(r, o);
}

void sip_req_done(struct sip_req *r)
{
	/* A stateful request's message belongs to its transaction. */
	if (r->msg && !r->st)
		sip_msg_free(r->msg);
	r->msg = NULL;
}

const char *sip_req_peer(const struct sip_req *r, char dst[SIP_REQ_PEERSTR])
{
	char a[SIP_NET_ADDRSTR];
	const char *tp = sip_tp_name(r->src.tp);
	size_t i;

	sip_net_addr_format(a, &r->src.remote);
	for (i = 0; tp[i] && i < 4; i++)
		dst[i] = (char)(tp[i] | 0x20);
	dst[i++] = ':';
	memcpy(dst + i, a, strlen(a) + 1);
	return dst;
}

struct sip_str sip_req_call_id(struct sip_req *r)
{
	struct sip_str cid;

	if (!r->msg || sip_msg_call_id(r->msg, &cid) != 0)
		return SIP_STR("-");
	return cid;
}

bool sip_svc_is_our_domain(const struct sip_svc_env *env, const struct sip_uri *uri)
{
	if (uri->scheme != SIP_URI_SIP && uri->scheme != SIP_URI_SIPS)
		return false;
	return sip_str_caseeq(uri->host, env->domain);
}

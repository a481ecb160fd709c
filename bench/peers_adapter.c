/* siphon's row in ../shared/bench-peers (see its README and bench.h): parse() is
 * the same full parse as build/bench/bench_parse (bench/full_parse.h): one copy of
 * the datagram into the message's single heap block, the start line, every header
 * split, and every header the registrar, proxy and events server read decoded. */
#include <string.h>

#include "bench.h"
#include "full_parse.h"

#ifndef SIPHON_VERSION
#define SIPHON_VERSION "dev"
#endif

static void *siphon_parse(const char *buf, size_t len)
{
	return full_parse(buf, len);
}

static int siphon_view(void *h, struct sipb_view *v)
{
	struct sip_msg *m = h;
	const struct sip_cseq *cs;
	struct sip_str cid;
	int n;

	v->is_request = m->is_request;
	if (m->is_request)
		sipb_copy(v->method, sizeof(v->method), m->method_str.p, m->method_str.len);
	v->status = m->status;
	if (sip_msg_call_id(m, &cid) || sip_msg_cseq(m, &cs))
		return -1;
	sipb_copy(v->call_id, sizeof(v->call_id), cid.p, cid.len);
	v->cseq = cs->seq;
	n = sip_msg_via_count(m);
	if (n < 0)
		return -1;
	v->via_count = n;
	v->body_len = (long)m->body.len;
	/* Headers siphon keeps as raw text only (no typed accessor). */
	v->raw_headers = 0;
	for (const struct sip_hdr *x = sip_msg_hdr(m, SIP_HDR_OTHER); x; x = sip_msg_hdr_next(m, x))
		v->raw_headers++;
	v->bad_headers = 0;
	return 0;
}

static void siphon_release(void *h)
{
	sip_msg_free(h);
}

const struct sipb_parser siphon_parser = {
	.id = "siphon",
	.label = "siphon sip_msg_parse + typed accessors",
	.version = SIPHON_VERSION,
	.init = NULL,
	.parse = siphon_parse,
	.view = siphon_view,
	.release = siphon_release,
};

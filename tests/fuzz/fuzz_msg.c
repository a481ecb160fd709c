/* libFuzzer target: sip_msg_parse on arbitrary bytes (default limits, then tight
 * ones), then every accessor of msg.h. Every slice must lie inside the message
 * copy, the header chains must cover each line once in wire order, a failure
 * must carry a status and a reason, and everything must be freed (ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"
#include "siphon/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_msg(const struct sip_msg *m, struct sip_str s)
{
	if (s.len && (s.p < m->buf || s.p + s.len > m->buf + m->len))
		abort();
}

static void check_chains(const struct sip_msg *m)
{
	unsigned seen = 0;

	for (int id = 0; id < SIP_HDR__COUNT; id++) {
		long prev = -1;
		for (const struct sip_hdr *h = sip_msg_hdr(m, (enum sip_hdr_id)id); h;
		     h = sip_msg_hdr_next(m, h)) {
			if (h->id != id || h - m->hdrs <= prev || ++seen > m->nhdrs)
				abort();
			prev = h - m->hdrs;
			in_msg(m, h->name);
			in_msg(m, h->value);
			if (sip_msg_hdr_by_name(m, h->name) == NULL)
				abort();
		}
		if (sip_msg_has(m, (enum sip_hdr_id)id) != (prev >= 0))
			abort();
	}
	if (seen != m->nhdrs)
		abort();
}

static void all_accessors(struct sip_msg *m)
{
	static const enum sip_hdr_id auth_ids[] = { SIP_HDR_AUTHORIZATION, SIP_HDR_PROXY_AUTHORIZATION,
						    SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE };
	const struct sip_via *v;
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	const struct sip_uri *u;
	const struct sip_ctype *ct;
	const struct sip_event *ev;
	const struct sip_subscription_state *ss;
	const struct sip_reason *rs;
	const struct sip_retry_after *ra;
	const struct sip_rack *rk;
	const struct sip_session_expires *se;
	const struct sip_auth *au;
	struct sip_str s;
	uint32_t x;
	int n;

	/* Twice: the second round reads the memoized values. */
	for (int round = 0; round < 2; round++) {
		n = sip_msg_via_count(m);
		for (int i = 0; i < n; i++)
			if (sip_msg_via(m, (unsigned)i, &v) == 0)
				in_msg(m, v->host);
		(void)sip_msg_from(m, &a);
		(void)sip_msg_to(m, &a);
		if (sip_msg_cseq(m, &cs) == 0 && m->is_request && !sip_str_eq(cs->method_str, m->method_str))
			abort();
		if (sip_msg_call_id(m, &s) == 0)
			in_msg(m, s);
		(void)sip_msg_ruri(m, &u);
		(void)sip_msg_max_forwards(m, &x);
		if (sip_msg_content_length(m, &x) == 0 && x != m->body.len)
			abort();
		(void)sip_msg_content_type(m, &ct);
		(void)sip_msg_expires(m, &x);
		(void)sip_msg_min_expires(m, &x);
		n = sip_msg_contact_count(m);
		for (int i = 0; i <= n; i++)
			(void)sip_msg_contact(m, (unsigned)i, &a);
		n = sip_msg_route_count(m);
		for (int i = 0; i <= n; i++)
			(void)sip_msg_route(m, (unsigned)i, &a);
		n = sip_msg_record_route_count(m);
		for (int i = 0; i <= n; i++)
			(void)sip_msg_record_route(m, (unsigned)i, &a);
		n = sip_msg_path_count(m);
		for (int i = 0; i <= n; i++)
			(void)sip_msg_path(m, (unsigned)i, &a);
		(void)sip_msg_event(m, &ev);
		(void)sip_msg_subscription_state(m, &ss);
		(void)sip_msg_reason(m, &rs);
		(void)sip_msg_retry_after(m, &ra);
		(void)sip_msg_rseq(m, &x);
		(void)sip_msg_rack(m, &rk);
		(void)sip_msg_session_expires(m, &se);
		(void)sip_msg_refer_to(m, &a);
		(void)sip_msg_etag(m, SIP_HDR_SIP_ETAG, &s);
		(void)sip_msg_etag(m, SIP_HDR_SIP_IF_MATCH, &s);
		(void)sip_msg_etag(m, SIP_HDR_SUPPRESS_IF_MATCH, &s);
		for (unsigned k = 0; k < 4; k++)
			for (unsigned i = 0; i < 3; i++)
				(void)sip_msg_auth(m, auth_ids[k], i, &au);
		(void)sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("timer"));
		(void)sip_msg_has_token(m, SIP_HDR_ALLOW_EVENTS, SIP_STR("presence"));
	}
}

static void one(const uint8_t *data, size_t size, const struct sip_limits *lim)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error e = { 0, NULL, 0 };
	int r = sip_msg_parse(&m, (const char *)data, size, lim, &e);

	if (r) {
		if ((r != SIP_EPARSE && r != SIP_ETOOBIG && r != -ENOMEM) || m)
			abort();
		if (r != -ENOMEM && (e.status < 400 || e.status > 599 || !e.reason || e.offset > size))
			abort();
		return;
	}
	if (m->len > size || m->buf[m->len] != '\0')
		abort();
	in_msg(m, m->body);
	in_msg(m, m->method_str);
	in_msg(m, m->ruri_str);
	in_msg(m, m->reason);
	in_msg(m, m->version);
	if (m->is_request ? m->method_str.len == 0 : (m->status < 100 || m->status > 699))
		abort();
	check_chains(m);
	all_accessors(m);
	sip_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_limits tight = { 512, 128, 12, 3 };

	one(data, size, NULL);
	one(data, size, &tight);
	return 0;
}

/* The "full parse" both siphon benchmarks time: sip_msg_parse plus every typed
 * accessor the registrar, proxy and events server read, for every value of every
 * such header (all Vias, all Contacts, Routes, Record-Routes, Paths, every
 * credential/challenge line). Shared by bench/parse.c and bench/peers_adapter.c
 * so both rows measure the same work. Returns the message, or NULL when the parser
 * or any accessor rejects it (an absent header is fine). */
#ifndef SIPHON_BENCH_FULL_PARSE_H
#define SIPHON_BENCH_FULL_PARSE_H

#include "siphon/err.h"
#include "siphon/msg.h"

static inline int full_bad(int e)
{
	return e != 0 && e != SIP_ENOTFOUND;
}

static inline int full_list(struct sip_msg *m, int n,
			    int (*get)(struct sip_msg *, unsigned, const struct sip_addr **))
{
	const struct sip_addr *a;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (get(m, (unsigned)i, &a))
			return -1;
	return 0;
}

static inline struct sip_msg *full_parse(const char *buf, size_t len)
{
	static const enum sip_hdr_id auth_ids[] = { SIP_HDR_AUTHORIZATION, SIP_HDR_PROXY_AUTHORIZATION,
						    SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE };
	static const enum sip_hdr_id etag_ids[] = { SIP_HDR_SIP_ETAG, SIP_HDR_SIP_IF_MATCH,
						    SIP_HDR_SUPPRESS_IF_MATCH };
	struct sip_msg *m;
	const struct sip_via *via;
	const struct sip_addr *addr;
	const struct sip_cseq *cseq;
	const struct sip_uri *uri;
	const struct sip_ctype *ct;
	const struct sip_event *ev;
	const struct sip_subscription_state *ss;
	const struct sip_reason *rs;
	const struct sip_retry_after *ra;
	const struct sip_rack *rack;
	const struct sip_session_expires *se;
	const struct sip_auth *auth;
	struct sip_str s;
	uint32_t u;
	int n, bad = 0;

	if (sip_msg_parse(&m, buf, len, NULL, NULL))
		return NULL;
	n = sip_msg_via_count(m);
	if (n <= 0)
		goto fail;
	for (int i = 0; i < n; i++)
		if (sip_msg_via(m, (unsigned)i, &via))
			goto fail;
	bad |= sip_msg_from(m, &addr) != 0;
	bad |= sip_msg_to(m, &addr) != 0;
	bad |= sip_msg_cseq(m, &cseq) != 0;
	bad |= sip_msg_call_id(m, &s) != 0;
	if (m->is_request)
		bad |= sip_msg_ruri(m, &uri) != 0;
	bad |= full_bad(sip_msg_max_forwards(m, &u));
	bad |= full_bad(sip_msg_content_length(m, &u));
	bad |= full_bad(sip_msg_content_type(m, &ct));
	bad |= full_list(m, sip_msg_contact_count(m), sip_msg_contact);
	bad |= full_list(m, sip_msg_route_count(m), sip_msg_route);
	bad |= full_list(m, sip_msg_record_route_count(m), sip_msg_record_route);
	bad |= full_list(m, sip_msg_path_count(m), sip_msg_path);
	bad |= full_bad(sip_msg_expires(m, &u));
	bad |= full_bad(sip_msg_min_expires(m, &u));
	bad |= full_bad(sip_msg_event(m, &ev));
	bad |= full_bad(sip_msg_subscription_state(m, &ss));
	for (unsigned i = 0; i < sizeof(etag_ids) / sizeof(etag_ids[0]); i++)
		bad |= full_bad(sip_msg_etag(m, etag_ids[i], &s));
	for (unsigned i = 0; i < sizeof(auth_ids) / sizeof(auth_ids[0]); i++) {
		int e;
		for (unsigned k = 0; (e = sip_msg_auth(m, auth_ids[i], k, &auth)) == 0; k++)
			;
		bad |= full_bad(e);
	}
	bad |= full_bad(sip_msg_reason(m, &rs));
	bad |= full_bad(sip_msg_retry_after(m, &ra));
	bad |= full_bad(sip_msg_rseq(m, &u));
	bad |= full_bad(sip_msg_rack(m, &rack));
	bad |= full_bad(sip_msg_session_expires(m, &se));
	bad |= full_bad(sip_msg_refer_to(m, &addr));
	/* Option tags the server checks (RFC 3261 8.2.2.3, 16.3 item 6). */
	(void)sip_msg_has_token(m, SIP_HDR_REQUIRE, SIP_STR("100rel"));
	(void)sip_msg_has_token(m, SIP_HDR_PROXY_REQUIRE, SIP_STR("sec-agree"));
	(void)sip_msg_has_token(m, SIP_HDR_SUPPORTED, SIP_STR("timer"));
	if (bad)
		goto fail;
	return m;
fail:
	sip_msg_free(m);
	return NULL;
}

#endif

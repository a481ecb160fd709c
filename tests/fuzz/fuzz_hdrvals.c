/* libFuzzer target: every header-value parser of hdr.h on the same input (Via,
 * name-addr, CSeq, RAck, digest auth, Event, Subscription-State, Content-Type,
 * Reason, Retry-After, Session-Expires), directly and on each element that
 * sip_list_next splits off. A slice outside the input aborts. */
#include <stdint.h>
#include <stdlib.h>

#include "siphon/hdr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sip_str in_all;

static void in_bounds(struct sip_str s)
{
	if (s.len && (s.p < in_all.p || s.p + s.len > in_all.p + in_all.len))
		abort();
}

static void parse_all(struct sip_str v)
{
	struct sip_via via;
	struct sip_addr addr;
	struct sip_cseq cseq;
	struct sip_rack rack;
	struct sip_auth auth;
	struct sip_event ev;
	struct sip_subscription_state ss;
	struct sip_ctype ct;
	struct sip_reason rs;
	struct sip_retry_after ra;
	struct sip_session_expires se;
	struct sip_str p;

	if (sip_via_parse(&via, v) == 0) {
		in_bounds(via.host);
		in_bounds(via.params);
		in_bounds(via.branch);
		in_bounds(via.received);
		(void)sip_via_branch_is_rfc3261(&via);
		if (sip_param_find(via.params, "branch", &p) == 0)
			in_bounds(p);
	}
	if (sip_addr_parse(&addr, v) == 0) {
		in_bounds(addr.display);
		in_bounds(addr.uri_str);
		in_bounds(addr.uri.host);
		in_bounds(addr.params);
		in_bounds(addr.tag);
		in_bounds(addr.instance);
		if (addr.q > 1000 || !sip_uri_eq(&addr.uri, &addr.uri))
			abort();
	}
	if (sip_cseq_parse(&cseq, v) == 0 && cseq.seq > 2147483647u)
		abort();
	if (sip_rack_parse(&rack, v) == 0)
		in_bounds(rack.method_str);
	if (sip_auth_parse(&auth, v) == 0) {
		in_bounds(auth.username);
		in_bounds(auth.uri);
		in_bounds(auth.response);
	}
	if (sip_event_parse(&ev, v) == 0)
		in_bounds(ev.id);
	if (sip_subscription_state_parse(&ss, v) == 0)
		in_bounds(ss.reason);
	if (sip_ctype_parse(&ct, v) == 0)
		in_bounds(ct.params);
	if (sip_reason_parse(&rs, v) == 0)
		in_bounds(rs.text);
	if (sip_retry_after_parse(&ra, v) == 0)
		in_bounds(ra.comment);
	if (sip_session_expires_parse(&se, v) == 0)
		in_bounds(se.refresher);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_str rest = { (const char *)data, size }, item;
	unsigned n = 0;

	in_all = rest;
	parse_all(rest);
	while (sip_list_next(&rest, &item)) {
		in_bounds(item);
		parse_all(item);
		if (++n > size + 1)
			abort(); /* every element consumes at least one byte */
	}
	return 0;
}

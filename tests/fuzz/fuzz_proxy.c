/* libFuzzer target: the proxy core and the dialog layer on arbitrary messages.
 * A request is validated, preprocessed and forwarded (the forwarded copy must
 * parse again, with one more Via), checked against a decline policy, and made
 * into a UAS dialog whose BYE must parse; a response is relayed statelessly, fed
 * to a response context as a branch's answer, and made into a UAC dialog. Any
 * crash, sanitizer report or unparsable output aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/dialog.h"
#include "siphon/proxy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct sip_proxy_self self[] = { { SIP_STR_INIT("192.0.2.1"), 5060 } };
static const struct sip_proxy_config cfg = { self, 1, NULL, 0, 0, 0 };

static const char invite_s[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKf1\r\n"
	"To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=a\r\n"
	"Call-ID: fz\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@198.51.100.7>\r\n\r\n";

/* Serialized output must parse back. */
static struct sip_msg *reparse(struct sip_out *o)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m = NULL;

	if (sip_out_serialize(o, &b) == 0 && sip_msg_parse(&m, b.p, b.len, NULL, NULL) != 0)
		abort();
	sip_out_free(o);
	sip_buf_free(&b);
	return m;
}

static int nop_req(void *arg, unsigned i, struct sip_str msg, struct sip_str hop)
{
	(void)arg, (void)i, (void)msg, (void)hop;
	return 0;
}
static int nop_cancel(void *arg, unsigned i, struct sip_str msg)
{
	(void)arg, (void)i, (void)msg;
	return 0;
}
static int nop_resp(void *arg, int status, struct sip_str msg)
{
	struct sip_msg *m = NULL;

	(void)arg;
	if (sip_msg_parse(&m, msg.p, msg.len, NULL, NULL) != 0 || m->status != status)
		abort();
	sip_msg_free(m);
	return 0;
}
static void nop_start(void *arg, enum sip_proxy_timer t, unsigned b, uint32_t ms)
{
	(void)arg, (void)t, (void)b, (void)ms;
}
static void nop_stop(void *arg, enum sip_proxy_timer t, unsigned b)
{
	(void)arg, (void)t, (void)b;
}

static void request(struct sip_msg *m)
{
	struct sip_proxy_check chk;
	struct sip_proxy_req r;
	struct sip_proxy_fwd f = { .via = SIP_STR("SIP/2.0/UDP 192.0.2.1:5060"),
				   .rr = SIP_STR("sip:192.0.2.1;lr"),
				   .rr_in = SIP_STR("sip:192.0.2.1;transport=tcp;lr") };
	struct sip_buf hop = SIP_BUF_INIT;
	char branch[SIP_PROXY_BRANCH_SIZE];
	struct sip_out *o;
	struct sip_msg *out;
	struct sip_dialog *d;
	struct sip_decline dec;
	static const struct sip_str blocked[] = { SIP_STR_INIT("tel:+1555"), SIP_STR_INIT("sip:x@y") };
	struct sip_decline_policy pol = { true, blocked, 2, 607 };

	if (sip_proxy_validate(&chk, &cfg, m))
		abort();
	if (chk.status >= 300 && sip_proxy_reply(&o, m, &chk, SIP_STR("t")) == 0)
		sip_msg_free(reparse(o));
	if (chk.status == 0 && sip_proxy_preprocess(&r, &cfg, m, &chk) == 0) {
		f.target = r.ruri;
		if (sip_proxy_forward(&o, &hop, branch, &r, &f) == 0) {
			out = reparse(o);
			if (out && sip_msg_via_count(out) != sip_msg_via_count(m) + 1)
				abort();
			sip_msg_free(out);
		}
	}
	sip_buf_free(&hop);
	if (sip_proxy_decline_decide(&dec, &pol, m) == 0 && dec.status &&
	    sip_proxy_decline_response(&o, m, &dec, SIP_STR("t")) == 0)
		sip_msg_free(reparse(o));
	if (sip_dialog_uas_alloc(&d, m, 200, SIP_STR("t"), false) == 0) {
		struct sip_dialog_req_opts opts = { SIP_STR("SIP/2.0/UDP 192.0.2.2"), SIP_STR_NULL, 0 };
		int st;
		if (sip_dialog_request(&o, d, SIP_STR("BYE"), &opts) == 0)
			sip_msg_free(reparse(o));
		(void)sip_dialog_uas_request(d, m, &st);
		(void)sip_dialog_refresh_target(d, m);
		sip_dialog_free(d);
	}
}

static void response(struct sip_msg *m)
{
	struct sip_out *o;
	struct sip_msg *inv = NULL;
	struct sip_dialog *d;
	struct sip_dialog_id id;

	if (sip_proxy_response_stateless(&o, m) == 0)
		sip_msg_free(reparse(o));
	(void)sip_dialog_id_of(&id, m);
	if (sip_msg_parse(&inv, invite_s, sizeof(invite_s) - 1, NULL, NULL))
		abort();
	if (sip_dialog_uac_alloc(&d, inv, m, false) == 0) {
		(void)sip_dialog_uac_update(d, m);
		sip_dialog_free(d);
	}
	{
		struct sip_proxy_check chk;
		struct sip_proxy_req r;
		struct sip_proxy_ops ops = { nop_req, nop_cancel, nop_resp, nop_start, nop_stop, NULL };
		struct sip_proxy_fwd f = { .via = SIP_STR("SIP/2.0/UDP 192.0.2.1:5060") };
		struct sip_proxy_target t[2] = { { SIP_STR("sip:b@203.0.113.1"), -1, { 0 }, { 0 }, { 0 } },
						 { SIP_STR("sip:b@203.0.113.2"), -1, { 0 }, { 0 }, { 0 } } };
		struct sip_proxy_ctx *c;
		if (sip_proxy_validate(&chk, &cfg, inv) || chk.status ||
		    sip_proxy_preprocess(&r, &cfg, inv, &chk) ||
		    sip_proxy_ctx_alloc(&c, &cfg, &ops, &r, &f, t, 2) || sip_proxy_ctx_start(c))
			abort();
		(void)sip_proxy_ctx_response(c, 0, m);
		(void)sip_proxy_ctx_response(c, 1, m);
		(void)sip_proxy_ctx_timer(c, SIP_PROXY_TIMER_DECLINE, 0);
		sip_proxy_ctx_free(c);
	}
	sip_msg_free(inv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m = NULL;

	if (sip_msg_parse(&m, (const char *)data, size, NULL, NULL))
		return 0;
	if (m->is_request)
		request(m);
	else
		response(m);
	sip_msg_free(m);
	return 0;
}

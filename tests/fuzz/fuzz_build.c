/* libFuzzer target for the builder: whatever sip_msg_parse accepts, the builder
 * must edit and serialize into a message sip_msg_parse accepts again, with the
 * edits visible (top Via, Max-Forwards, body) and no over-read (ASan). The first
 * input byte chooses which edits run; the rest is the message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void edit_and_check(struct sip_msg *m, unsigned ops)
{
	static const char body[] = "v=0\r\ns=fuzz\r\n";
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *r = NULL;
	struct sip_out *o;
	const struct sip_via *v;
	uint32_t mf_before = 0, mf_after = 0;
	int mf_err = -1, err;
	bool pushed = false;

	if (sip_out_from_msg(&o, m))
		return;
	if (ops & 1) {
		if (sip_msg_max_forwards(m, &mf_before) == 0) {
			mf_err = sip_out_max_forwards_dec(o);
		} else if (!sip_msg_has(m, SIP_HDR_MAX_FORWARDS)) {
			mf_err = sip_out_max_forwards_dec(o);
			mf_before = 71; /* none: 70 is added (RFC 3261 16.6 step 3) */
		}
	}
	if (ops & 2)
		pushed = sip_out_via_push(o, SIP_STR("SIP/2.0/UDP fuzz.invalid;branch=z9hG4bKfuzz")) == 0;
	if (ops & 4)
		check(sip_out_record_route_push(o, SIP_STR("<sip:fuzz.invalid;lr>")) == 0);
	if (ops & 8)
		check(sip_out_replace(o, SIP_HDR_SUBJECT, SIP_STR("fuzzed")) == 0);
	if (ops & 16)
		check(sip_out_set_body(o, SIP_STR("application/sdp"), SIP_STR(body)) == 0);
	if ((ops & 32) && m->is_request)
		check(sip_out_set_ruri(o, SIP_STR("sip:fuzz@192.0.2.1")) == 0);
	if (ops & 64) {
		check(sip_out_add_name(o, SIP_STR("X-Fuzz"), SIP_STR("1")) == 0);
		check(sip_out_remove_name(o, SIP_STR("x-fuzz"), NULL) == 0);
	}
	if (ops & 128) {
		/* A push and a pop cancel out. */
		check(sip_out_via_push(o, SIP_STR("SIP/2.0/UDP gone.invalid;branch=z9hG4bKgone")) == 0);
		check(sip_out_via_pop(o) == 0);
	}
	check(sip_out_serialize(o, &b) == 0);
	err = sip_msg_parse(&r, b.p, b.len, NULL, NULL);
	check(err == 0 || err == SIP_ETOOBIG);
	if (err == 0) {
		if (pushed && sip_msg_via(r, 0, &v) == 0)
			check(v->branch.len == 11 && memcmp(v->branch.p, "z9hG4bKfuzz", 11) == 0);
		if (ops & 16)
			check(r->body.len == sizeof(body) - 1 && memcmp(r->body.p, body, r->body.len) == 0);
		if ((ops & 32) && m->is_request)
			check(r->ruri_str.len == 18);
		if (mf_err == 0 && sip_msg_max_forwards(r, &mf_after) == 0)
			check(mf_after == mf_before - 1);
		sip_msg_free(r);
	}
	sip_out_free(o);
	sip_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m = NULL, *r = NULL;
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;

	if (size < 1)
		return 0;
	if (sip_msg_parse(&m, (const char *)data + 1, size - 1, NULL, NULL))
		return 0;
	edit_and_check(m, data[0]);
	if (m->is_request && sip_out_response_to(&o, m, 486, NULL, SIP_STR("fz")) == 0) {
		check(sip_out_serialize(o, &b) == 0);
		check(sip_msg_parse(&r, b.p, b.len, NULL, NULL) == 0);
		check(r->status == 486);
		sip_msg_free(r);
		sip_out_free(o);
	}
	if (m->is_request && m->method == SIP_METHOD_INVITE && sip_out_cancel(&o, m) == 0) {
		sip_buf_reset(&b);
		check(sip_out_serialize(o, &b) == 0);
		check(sip_msg_parse(&r, b.p, b.len, NULL, NULL) == 0);
		check(r->method == SIP_METHOD_CANCEL);
		sip_msg_free(r);
		sip_out_free(o);
	}
	sip_buf_free(&b);
	sip_msg_free(m);
	return 0;
}

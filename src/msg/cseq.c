/* CSeq (RFC 3261 20.16) and RAck (RFC 3262 7.2): numbers and a method.
 *
 *   CSeq = "CSeq" HCOLON 1*DIGIT LWS Method
 *   RAck = "RAck" HCOLON response-num LWS CSeq-num LWS Method
 * The sequence number must be below 2**31 (RFC 3261 8.1.1.5); RFC 4475 3.1.2.4
 * and 3.1.2.5 require overlarge values to be rejected. */
#include "siphon/err.h"
#include "siphon/hdr.h"
#include "scan.h"

#define SEQ_MAX 2147483647u /* 2**31 - 1 */

/* 1*DIGIT followed by LWS (required) at p. */
static const char *num_lws(const char *p, const char *end, uint32_t *v)
{
	const char *q = sip_scan_uint(p, end, SEQ_MAX, v);

	if (!q)
		return NULL;
	p = scan_lws(q, end);
	return p == q ? NULL : p;
}

/* Method = token, then only LWS up to the end. */
static const char *method_end(const char *p, const char *end)
{
	const char *q = scan_class(p, end, SC_TOKEN);

	if (q == p || scan_lws(q, end) != end)
		return NULL;
	return q;
}

int sip_cseq_parse(struct sip_cseq *out, struct sip_str value)
{
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *q;
	uint32_t seq;

	p = num_lws(scan_lws(p, end), end, &seq);
	if (!p || !(q = method_end(p, end)))
		return SIP_EPARSE;
	out->seq = seq;
	out->method_str = (struct sip_str){ p, (size_t)(q - p) };
	out->method = sip_method_from_str(out->method_str);
	return 0;
}

int sip_rack_parse(struct sip_rack *out, struct sip_str value)
{
	SCAN_NONNULL(value);
	const char *p = value.p, *end = value.p + value.len, *q;
	uint32_t rseq, cseq;

	/* RFC 3262 7.1: RSeq is 1 to 2**31-1. */
	p = num_lws(scan_lws(p, end), end, &rseq);
	if (!p || rseq == 0)
		return SIP_EPARSE;
	p = num_lws(p, end, &cseq);
	if (!p || !(q = method_end(p, end)))
		return SIP_EPARSE;
	out->rseq = rseq;
	out->cseq = cseq;
	out->method_str = (struct sip_str){ p, (size_t)(q - p) };
	out->method = sip_method_from_str(out->method_str);
	return 0;
}

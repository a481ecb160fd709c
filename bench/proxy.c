/* bench_proxy: the proxy core's work for one INVITE proxied to a UAS that answers
 * 603 (the proxy603 workload of shared/bench-server, minus sockets and
 * transactions): parse the INVITE, validate (16.3), preprocess (16.4), create the
 * response context with one target, forward (16.6: the copy is built and
 * serialized), take the 603 (parsed once up front, as a transaction would hand
 * it over) and relay it upstream (16.7). Prints calls per second last. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/proxy.h"

static const char invite_s[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-bench-1;rport\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@example.com>\r\n"
	"From: Alice <sip:alice@example.com>;tag=9fxced76sl\r\n"
	"Call-ID: 3848276298220188511@198.51.100.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@198.51.100.7:5060>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 116\r\n\r\n"
	"v=0\r\no=alice 2890844526 2890844526 IN IP4 198.51.100.7\r\ns=-\r\n"
	"c=IN IP4 198.51.100.7\r\nt=0 0\r\nm=audio 49172 RTP/AVP 0\r\n";

static const char decline_s[] =
	"SIP/2.0 603 Decline\r\n"
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK00000000000000000000000000000000.0000000000000000\r\n"
	"Via: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-bench-1;rport=5060;received=198.51.100.7\r\n"
	"To: Bob <sip:bob@example.com>;tag=8321234356\r\n"
	"From: Alice <sip:alice@example.com>;tag=9fxced76sl\r\n"
	"Call-ID: 3848276298220188511@198.51.100.7\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: 0\r\n\r\n";

static size_t sent_bytes, resp_bytes;

static int on_req(void *arg, unsigned i, struct sip_str msg, struct sip_str hop)
{
	(void)arg, (void)i, (void)hop;
	sent_bytes += msg.len;
	return 0;
}
static int on_cancel(void *arg, unsigned i, struct sip_str msg)
{
	(void)arg, (void)i, (void)msg;
	return 0;
}
static int on_resp(void *arg, int status, struct sip_str msg)
{
	(void)arg;
	if (status != 603)
		abort();
	resp_bytes += msg.len;
	return 0;
}
static void on_start(void *arg, enum sip_proxy_timer t, unsigned b, uint32_t ms)
{
	(void)arg, (void)t, (void)b, (void)ms;
}
static void on_stop(void *arg, enum sip_proxy_timer t, unsigned b)
{
	(void)arg, (void)t, (void)b;
}

int main(int argc, char **argv)
{
	static const struct sip_proxy_self self[] = { { SIP_STR_INIT("192.0.2.1"), 5060 } };
	const struct sip_proxy_config cfg = { self, 1, NULL, 0, 0, 0 };
	const struct sip_proxy_ops ops = { on_req, on_cancel, on_resp, on_start, on_stop, NULL };
	const struct sip_proxy_fwd def = { .via = SIP_STR_INIT("SIP/2.0/UDP 192.0.2.1:5060"),
					   .rr = SIP_STR_INIT("sip:192.0.2.1:5060;lr") };
	const struct sip_proxy_target t = { SIP_STR_INIT("sip:bob@203.0.113.5:5060"), -1, { 0 }, { 0 }, { 0 } };
	long n = argc > 1 ? atol(argv[1]) : 200000;
	struct sip_msg *decline;
	struct timespec a, b;
	double secs;

	if (n <= 0 || sip_msg_parse(&decline, decline_s, sizeof(decline_s) - 1, NULL, NULL))
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long k = 0; k < n; k++) {
		struct sip_msg *m;
		struct sip_proxy_check chk;
		struct sip_proxy_req r;
		struct sip_proxy_ctx *c;
		if (sip_msg_parse(&m, invite_s, sizeof(invite_s) - 1, NULL, NULL) ||
		    sip_proxy_validate(&chk, &cfg, m) || chk.status ||
		    sip_proxy_preprocess(&r, &cfg, m, &chk) ||
		    sip_proxy_ctx_alloc(&c, &cfg, &ops, &r, &def, &t, 1) || sip_proxy_ctx_start(c) ||
		    sip_proxy_ctx_response(c, 0, decline) || !sip_proxy_ctx_done(c))
			return 1;
		sip_proxy_ctx_free(c);
		sip_msg_free(m);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	sip_msg_free(decline);
	printf("bench_proxy: %ld INVITE->603 calls, %zu bytes forwarded, %zu bytes relayed\n", n,
	       sent_bytes, resp_bytes);
	printf("bench_proxy: %.2f us per call, %.0f calls/s\n", secs * 1e6 / (double)n, (double)n / secs);
	return 0;
}

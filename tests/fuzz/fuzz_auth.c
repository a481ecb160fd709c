/* libFuzzer target for the auth layer: the input is parsed as credentials and
 * verified, parsed as a challenge and answered, and checked as a raw nonce.
 * A nonce of "N" in the credentials is replaced by a valid nonce of ours, so
 * the fuzzer reaches the nonce-count and hash paths it could not forge its way
 * to. The clock is fixed; an OK verdict must carry the nc the input sent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/auth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fixed_clock(void *arg)
{
	(void)arg;
	return UINT64_C(1790000000000);
}

static struct sip_nonce_state *ns;
static char nonce[SIP_NONCE_LEN + 1];
static char ha1[SIP_DIGEST_ALG_COUNT][SIP_DIGEST_HEX_SIZE];

static void init(void)
{
	static const uint8_t key[] = "fuzz";
	struct sip_nonce_cfg cfg = {
		.secret = key, .secret_len = 4, .max_entries = 64, .clock_ms = fixed_clock,
	};

	if (sip_nonce_state_alloc(&ns, &cfg) ||
	    sip_nonce_make(ns, nonce, SIP_STR("example.com"), SIP_STR_NULL) ||
	    sip_digest_ha1(SIP_DIGEST_MD5, SIP_STR("alice"), SIP_STR("example.com"), SIP_STR("secret"),
			   ha1[SIP_DIGEST_MD5]) ||
	    sip_digest_ha1(SIP_DIGEST_SHA256, SIP_STR("alice"), SIP_STR("example.com"), SIP_STR("secret"),
			   ha1[SIP_DIGEST_SHA256]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_str in = { (const char *)data, size };
	struct sip_auth a;
	struct sip_auth_verdict v;
	struct sip_auth_request req = {
		.realm = SIP_STR("example.com"), .method = SIP_STR("REGISTER"),
		.request_uri = SIP_STR("sip:example.com"), .allow_rfc2069 = size & 1,
	};
	struct sip_auth_client_args ca = {
		.username = SIP_STR("alice"), .password = SIP_STR("secret"), .method = SIP_STR("REGISTER"),
		.uri = SIP_STR("sip:example.com"), .cnonce = SIP_STR("c"), .nc = 1,
	};
	struct sip_nonce_info info;
	struct sip_buf b = SIP_BUF_INIT;
	enum sip_digest_alg alg;

	if (!ns)
		init();
	(void)sip_nonce_check(ns, &info, in, req.realm, SIP_STR_NULL);
	if (sip_auth_parse(&a, in) != 0)
		return 0;
	if (sip_str_eq(a.nonce, SIP_STR("N")))
		a.nonce = sip_str_from_cstr(nonce);
	alg = sip_auth_cred_alg(&alg, &a) == 0 ? alg : SIP_DIGEST_MD5;
	if (sip_auth_verify(&v, ns, &a, &req, sip_str_from_cstr(ha1[alg])) == 0) {
		if (!v.reason || (v.result == SIP_AUTH_OK && v.nc == 0))
			abort();
	}
	(void)sip_auth_verify(&v, ns, &a, &req, SIP_STR_NULL);
	if (sip_auth_client_respond(&b, &a, 1, &ca) == 0 && (!b.p || strncmp(b.p, "Digest ", 7) != 0))
		abort();
	sip_buf_free(&b);
	return 0;
}

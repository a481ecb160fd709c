/* Digest authentication throughput: nonces made, nonces checked and complete
 * verifications (MAC + age + nc table + two hashes) per second, for SHA-256 and
 * MD5. Every verification uses a new nonce-count, so the replay table does its
 * real work. Usage: bench_auth [count] (default 200000). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/auth.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct cred {
	char nc[9];
	char resp[SIP_DIGEST_HEX_SIZE];
};

static int bench_verify(struct sip_nonce_state *ns, enum sip_digest_alg alg, long n)
{
	const struct sip_str realm = SIP_STR("example.com"), uri = SIP_STR("sip:example.com");
	const struct sip_str method = SIP_STR("REGISTER"), cnonce = SIP_STR("0a4f113b");
	char ha1[SIP_DIGEST_HEX_SIZE], nonce[SIP_NONCE_LEN + 1];
	struct sip_auth_request req = { .realm = realm, .method = method, .request_uri = uri };
	struct sip_auth cred;
	struct cred *c = calloc((size_t)n, sizeof(*c));
	long i, ok = 0;
	double t;

	if (!c || sip_digest_ha1(alg, SIP_STR("alice"), realm, SIP_STR("secret"), ha1) ||
	    sip_nonce_make(ns, nonce, realm, SIP_STR_NULL)) {
		free(c);
		return -1;
	}
	/* The client side, done beforehand so only the server is timed. */
	for (i = 0; i < n; i++) {
		struct sip_digest_input in = {
			.alg = alg, .ha1 = sip_str_from_cstr(ha1), .method = method, .uri = uri,
			.nonce = sip_str_from_cstr(nonce), .qop = SIP_STR("auth"), .cnonce = cnonce,
		};

		snprintf(c[i].nc, sizeof(c[i].nc), "%08x", (unsigned)(i + 1) & 0xffffffffu);
		in.nc = sip_str_from_cstr(c[i].nc);
		if (sip_digest_response(&in, c[i].resp)) {
			free(c);
			return -1;
		}
	}
	memset(&cred, 0, sizeof(cred));
	cred.scheme = SIP_STR("Digest");
	cred.username = SIP_STR("alice");
	cred.realm = realm;
	cred.nonce = sip_str_from_cstr(nonce);
	cred.uri = uri;
	cred.algorithm = sip_str_from_cstr(sip_digest_alg_name(alg));
	cred.qop = SIP_STR("auth");
	cred.cnonce = cnonce;
	t = now_s();
	for (i = 0; i < n; i++) {
		struct sip_auth_verdict v;

		cred.nc = sip_str_from_cstr(c[i].nc);
		cred.response = sip_str_from_cstr(c[i].resp);
		if (sip_auth_verify(&v, ns, &cred, &req, sip_str_from_cstr(ha1)) == 0 && v.result == SIP_AUTH_OK)
			ok++;
	}
	t = now_s() - t;
	printf("auth: verify %-7s %8.0f /s (%ld of %ld OK, %.3f s)\n", sip_digest_alg_name(alg), (double)n / t,
	       ok, n, t);
	free(c);
	return ok == n ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct sip_str realm = SIP_STR("example.com");
	struct sip_nonce_state *ns;
	char nonce[SIP_NONCE_LEN + 1];
	struct sip_nonce_info info;
	long n = argc > 1 ? atol(argv[1]) : 200000, i, valid = 0;
	double t;
	int rc = 0;

	if (n <= 0 || n > 0xffffffffL || sip_nonce_state_alloc(&ns, NULL))
		return 2;
	t = now_s();
	for (i = 0; i < n; i++)
		if (sip_nonce_make(ns, nonce, realm, SIP_STR_NULL))
			return 1;
	t = now_s() - t;
	printf("auth: nonce make     %8.0f /s\n", (double)n / t);
	t = now_s();
	for (i = 0; i < n; i++)
		valid += sip_nonce_check(ns, &info, sip_str_from_cstr(nonce), realm, SIP_STR_NULL) == SIP_NONCE_VALID;
	t = now_s() - t;
	printf("auth: nonce check    %8.0f /s\n", (double)n / t);
	if (valid != n)
		rc = 1;
	if (bench_verify(ns, SIP_DIGEST_SHA256, n) || bench_verify(ns, SIP_DIGEST_MD5, n))
		rc = 1;
	sip_nonce_state_free(ns);
	return rc;
}

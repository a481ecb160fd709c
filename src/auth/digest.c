/* Digest primitives: HA1 and request-digest for MD5 and SHA-256.
 *
 * RFC 2617 3.2.2.1-3.2.2.3 define A1 = user:realm:password, A2 = Method:uri
 * and the request-digest; RFC 7616 3.4.1 keeps the same shape for SHA-256.
 * Hashes go through OpenSSL's EVP interface with digests fetched once per
 * process: OpenSSL 3's EVP_md5()/EVP_sha256() would fetch on every
 * EVP_DigestInit_ex, a lock and a table lookup per hash. */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth_int.h"

static EVP_MD *g_md[SIP_DIGEST_ALG_COUNT];
static pthread_once_t g_md_once = PTHREAD_ONCE_INIT;

/* Never freed: the process keeps them to the end (the pointers stay reachable,
 * so LeakSanitizer does not count them). */
static void md_fetch(void)
{
	g_md[SIP_DIGEST_MD5] = EVP_MD_fetch(NULL, "MD5", NULL);
	g_md[SIP_DIGEST_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

static const EVP_MD *md_get(enum sip_digest_alg alg)
{
	if ((unsigned)alg >= SIP_DIGEST_ALG_COUNT)
		return NULL;
	pthread_once(&g_md_once, md_fetch);
	return g_md[alg];
}

const char *sip_digest_alg_name(enum sip_digest_alg alg)
{
	switch (alg) {
	case SIP_DIGEST_MD5:
		return "MD5";
	case SIP_DIGEST_SHA256:
		return "SHA-256";
	}
	return "";
}

size_t sip_digest_hex_len(enum sip_digest_alg alg)
{
	switch (alg) {
	case SIP_DIGEST_MD5:
		return 32;
	case SIP_DIGEST_SHA256:
		return 64;
	}
	return 0;
}

int sip_digest_alg_parse(enum sip_digest_alg *out, struct sip_str token)
{
	/* RFC 2617 3.2.1: "If this is not present it is assumed to be MD5". */
	if (token.len == 0 || sip_str_caseeq(token, SIP_STR("MD5"))) {
		*out = SIP_DIGEST_MD5;
		return 0;
	}
	if (sip_str_caseeq(token, SIP_STR("SHA-256"))) {
		*out = SIP_DIGEST_SHA256;
		return 0;
	}
	/* The -sess variants hash the cnonce into A1, so a stored HA1 no longer
	 * suffices per request; RFC 8760 does not require them and siphon does
	 * not offer them. */
	return -ENOTSUP;
}

/* An incremental hash whose first error sticks, so callers feed every piece
 * and check once at the end. */
struct auth_hash {
	EVP_MD_CTX *ctx;
	enum sip_digest_alg alg;
	int err;
};

static void hash_begin(struct auth_hash *h, enum sip_digest_alg alg)
{
	const EVP_MD *md = md_get(alg);

	h->alg = alg;
	h->err = 0;
	h->ctx = NULL;
	if (!md) {
		h->err = sip_digest_hex_len(alg) ? -EIO : -EINVAL;
		return;
	}
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx) {
		h->err = -ENOMEM;
		return;
	}
	if (EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
		h->err = -EIO;
}

static void hash_add(struct auth_hash *h, struct sip_str s)
{
	if (h->err || s.len == 0)
		return;
	if (EVP_DigestUpdate(h->ctx, s.p, s.len) != 1)
		h->err = -EIO;
}

static void hash_colon(struct auth_hash *h)
{
	hash_add(h, SIP_STR(":"));
}

/* Finish into lower-case hex (out has SIP_DIGEST_HEX_SIZE bytes); frees ctx. */
static int hash_end_hex(struct auth_hash *h, char out[SIP_DIGEST_HEX_SIZE])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int err = h->err;

	if (!err && (EVP_DigestFinal_ex(h->ctx, md, &mdlen) != 1 ||
		     2 * (size_t)mdlen != sip_digest_hex_len(h->alg)))
		err = -EIO;
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
	if (!err)
		auth_hex(out, md, mdlen);
	return err;
}

int sip_digest_ha1(enum sip_digest_alg alg, struct sip_str user, struct sip_str realm,
		   struct sip_str password, char out[SIP_DIGEST_HEX_SIZE])
{
	struct auth_hash h;

	hash_begin(&h, alg);
	hash_add(&h, user);
	hash_colon(&h);
	hash_add(&h, realm);
	hash_colon(&h);
	hash_add(&h, password);
	return hash_end_hex(&h, out);
}

int sip_digest_response(const struct sip_digest_input *in, char out[SIP_DIGEST_HEX_SIZE])
{
	char ha2[SIP_DIGEST_HEX_SIZE];
	struct auth_hash h;
	size_t hexlen = sip_digest_hex_len(in->alg);
	bool qop = in->qop.len != 0;
	int err;

	if (!hexlen)
		return -EINVAL;
	/* Only qop=auth: auth-int would need the body hash in A2 (RFC 2617
	 * 3.2.2.3) and RFC 3261 22.4 makes it optional; siphon never offers it. */
	if (qop && !sip_str_caseeq(in->qop, SIP_STR("auth")))
		return -EINVAL;

	/* A2 = Method ":" digest-uri-value (RFC 2617 3.2.2.3, qop=auth or none). */
	hash_begin(&h, in->alg);
	hash_add(&h, in->method);
	hash_colon(&h);
	hash_add(&h, in->uri);
	err = hash_end_hex(&h, ha2);
	if (err)
		return err;

	/* RFC 2617 3.2.2.1: KD(H(A1), nonce:nc:cnonce:qop:H(A2)), or
	 * KD(H(A1), nonce:H(A2)) for RFC 2069 clients that ignore qop. */
	hash_begin(&h, in->alg);
	hash_add(&h, in->ha1);
	hash_colon(&h);
	hash_add(&h, in->nonce);
	hash_colon(&h);
	if (qop) {
		hash_add(&h, in->nc);
		hash_colon(&h);
		hash_add(&h, in->cnonce);
		hash_colon(&h);
		hash_add(&h, in->qop); /* as sent; RFC 2617 hashes the qop-value */
		hash_colon(&h);
	}
	hash_add(&h, (struct sip_str){ ha2, hexlen });
	return hash_end_hex(&h, out);
}

/* Server side of digest: challenge values and credential verification.
 *
 * RFC 3261 22.1-22.4 (401/407 challenges, realm per protection domain),
 * RFC 7616 3.3-3.5 (challenge fields, stale), RFC 8760 2.4 (SHA-256 and MD5,
 * one header field each, preferred first), RFC 2617 3.2.2 (credentials). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "siphon/uri.h"

#include "auth_int.h"

int sip_auth_challenge_format(struct sip_buf *out, enum sip_digest_alg alg, struct sip_str realm,
			      struct sip_str nonce, struct sip_str opaque, bool stale)
{
	size_t mark = out->len;
	int err;

	if (!sip_digest_hex_len(alg))
		return -EINVAL;
	err = sip_buf_append_cstr(out, "Digest realm=");
	if (!err)
		err = auth_append_quoted(out, realm);
	if (!err)
		err = sip_buf_append_cstr(out, ", nonce=");
	if (!err)
		err = auth_append_quoted(out, nonce);
	if (!err && opaque.len) {
		err = sip_buf_append_cstr(out, ", opaque=");
		if (!err)
			err = auth_append_quoted(out, opaque);
	}
	/* RFC 7616 3.3: stale is a token, sent only when true. */
	if (!err && stale)
		err = sip_buf_append_cstr(out, ", stale=true");
	if (!err)
		err = sip_buf_printf(out, ", algorithm=%s, qop=\"auth\"", sip_digest_alg_name(alg));
	if (err) {
		/* leave out as it was */
		out->len = mark;
		if (out->p)
			out->p[mark] = '\0';
	}
	return err;
}

int sip_auth_challenge(struct sip_buf out[SIP_DIGEST_ALG_COUNT], size_t *np, struct sip_nonce_state *ns,
		       const struct sip_auth_challenge_opts *o)
{
	/* RFC 8760 2.4: the preferred algorithm's header field comes first. */
	static const enum sip_digest_alg order[SIP_DIGEST_ALG_COUNT] = { SIP_DIGEST_SHA256, SIP_DIGEST_MD5 };
	char nonce[SIP_NONCE_LEN + 1];
	unsigned algs = o->algs ? o->algs : SIP_DIGEST_ALL;
	size_t i, n = 0;
	int err;

	if (!(algs & SIP_DIGEST_ALL))
		return -EINVAL;
	/* One nonce for all the values, as in RFC 7616 3.9.1: the client answers
	 * only one of them and the nonce is not tied to an algorithm. */
	err = sip_nonce_make(ns, nonce, o->realm, o->bind);
	if (err)
		return err;
	for (i = 0; i < SIP_DIGEST_ALG_COUNT; i++) {
		if (!(algs & SIP_DIGEST_BIT(order[i])))
			continue;
		err = sip_auth_challenge_format(&out[n], order[i], o->realm, sip_str_from_cstr(nonce),
						o->opaque, o->stale);
		if (err)
			return err;
		n++;
	}
	*np = n;
	return 0;
}

int sip_auth_cred_alg(enum sip_digest_alg *out, const struct sip_auth *cred)
{
	return sip_digest_alg_parse(out, cred->algorithm);
}

/* nc is exactly 8 hex digits (RFC 2617 3.2.2: nc-value = 8LHEX). */
static int parse_nc(struct sip_str s, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (!auth_is_hex(s, 8))
		return -EINVAL;
	for (i = 0; i < 8; i++) {
		char c = s.p[i];
		uint32_t d = c <= '9' ? (uint32_t)(c - '0') : (uint32_t)((c | 0x20) - 'a' + 10);

		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* The uri= value against the Request-URI (RFC 2617 3.2.2.5: they must name the
 * same resource, else 400). Clients copy the Request-URI, so a byte compare
 * decides almost always; otherwise the two must be equivalent SIP URIs by RFC
 * 3261 19.1.4 (case-insensitive host and parameters, escapes). The uri is in
 * the hash anyway, so this check guards against a response computed for
 * another resource being replayed here, not against forgery. */
static bool uri_matches(struct sip_str cred_uri, struct sip_str request_uri)
{
	struct sip_uri a, b;

	if (sip_str_eq(cred_uri, request_uri))
		return true;
	if (sip_uri_parse(&a, cred_uri) != 0 || sip_uri_parse(&b, request_uri) != 0)
		return false;
	if (a.scheme == SIP_URI_OTHER || b.scheme == SIP_URI_OTHER)
		return false; /* no equivalence rule: bytes only */
	return sip_uri_eq(&a, &b);
}

static int verdict(struct sip_auth_verdict *out, struct sip_auth_verdict *v, enum sip_auth_result r,
		   const char *reason)
{
	v->result = r;
	v->reason = reason;
	*out = *v;
	return 0;
}

static enum sip_auth_result nc_result(enum sip_nc_status st, const char **reason)
{
	switch (st) {
	case SIP_NC_FRESH:
		*reason = "ok";
		return SIP_AUTH_OK;
	case SIP_NC_REPLAY:
		*reason = "nonce-count already used";
		return SIP_AUTH_REPLAY;
	case SIP_NC_FORGOTTEN:
		break;
	}
	*reason = "nonce no longer tracked";
	return SIP_AUTH_STALE;
}

int sip_auth_verify(struct sip_auth_verdict *out, struct sip_nonce_state *ns, const struct sip_auth *cred,
		    const struct sip_auth_request *req, struct sip_str ha1)
{
	struct sip_auth_verdict v = { .result = SIP_AUTH_MALFORMED, .reason = "", .alg = SIP_DIGEST_MD5 };
	char expect[SIP_DIGEST_HEX_SIZE], got[SIP_DIGEST_HEX_SIZE], cnbuf[AUTH_UNQUOTE_MAX];
	struct sip_digest_input in;
	struct sip_nonce_info info;
	struct sip_str cnonce = SIP_STR_NULL;
	enum sip_nc_status ncst;
	enum sip_auth_result r;
	const char *reason;
	bool qop = cred->qop.len != 0;
	size_t hexlen, i;
	int err;

	if (!sip_str_caseeq(cred->scheme, SIP_STR("Digest")))
		return verdict(out, &v, SIP_AUTH_UNSUPPORTED, "scheme is not Digest");
	/* RFC 2617 3.2.2: username, realm, nonce, uri and response are required. */
	if (!cred->username.len)
		return verdict(out, &v, SIP_AUTH_MALFORMED, "username missing");
	if (!cred->nonce.len)
		return verdict(out, &v, SIP_AUTH_MALFORMED, "nonce missing");
	if (!cred->uri.len)
		return verdict(out, &v, SIP_AUTH_MALFORMED, "uri missing");
	if (!cred->response.len)
		return verdict(out, &v, SIP_AUTH_MALFORMED, "response missing");
	/* RFC 3261 22.3: credentials for another realm are someone else's. */
	if (!sip_str_eq(cred->realm, req->realm))
		return verdict(out, &v, SIP_AUTH_WRONG_REALM, "realm is not ours");
	if (sip_digest_alg_parse(&v.alg, cred->algorithm) != 0)
		return verdict(out, &v, SIP_AUTH_UNSUPPORTED, "algorithm not supported");
	/* RFC 7616 3.4.4: a hashed username would need a lookup by hash. */
	if (cred->userhash)
		return verdict(out, &v, SIP_AUTH_UNSUPPORTED, "userhash not supported");
	if (qop) {
		if (!sip_str_caseeq(cred->qop, SIP_STR("auth")))
			return verdict(out, &v, SIP_AUTH_UNSUPPORTED, "qop not supported");
		/* RFC 2617 3.2.2: with qop, cnonce and nc MUST be sent. */
		if (!cred->cnonce.len)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "cnonce missing");
		if (parse_nc(cred->nc, &v.nc) != 0)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "nc is not 8 hex digits");
		if (v.nc == 0)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "nc is zero");
		if (auth_unquote(&cnonce, cnbuf, sizeof(cnbuf), cred->cnonce) != 0)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "cnonce too long");
	} else {
		/* RFC 2617 3.2.2: without qop, cnonce and nc MUST NOT be sent. */
		if (cred->cnonce.len || cred->nc.len)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "cnonce or nc without qop");
		/* RFC 7616 3.4: we always offer qop, and an RFC 2069 response has
		 * no nc to guard replays: accepted only when allowed, MD5 only,
		 * and then the nonce is good once (recorded as nc 1). */
		if (!req->allow_rfc2069 || v.alg != SIP_DIGEST_MD5)
			return verdict(out, &v, SIP_AUTH_MALFORMED, "qop missing");
		v.nc = 1;
	}
	if (!req->skip_uri_check && !uri_matches(cred->uri, req->request_uri))
		return verdict(out, &v, SIP_AUTH_MALFORMED, "uri does not match the Request-URI");
	hexlen = sip_digest_hex_len(v.alg);
	if (!auth_is_hex(cred->response, hexlen))
		return verdict(out, &v, SIP_AUTH_MALFORMED, "response is not a hex digest");
	if (ha1.len && !auth_is_hex(ha1, hexlen))
		return -EINVAL;

	switch (sip_nonce_check(ns, &info, cred->nonce, req->realm, req->bind)) {
	case SIP_NONCE_VALID:
		break;
	case SIP_NONCE_STALE:
		return verdict(out, &v, SIP_AUTH_STALE, "nonce expired");
	case SIP_NONCE_INVALID:
		return verdict(out, &v, SIP_AUTH_BAD_NONCE, "nonce not issued by us");
	}
	/* Refuse a replay before spending two hashes on it. */
	ncst = sip_nonce_count_peek(ns, &info, v.nc);
	if (ncst != SIP_NC_FRESH) {
		r = nc_result(ncst, &reason);
		return verdict(out, &v, r, reason);
	}
	if (!ha1.len)
		return verdict(out, &v, SIP_AUTH_BAD_PASSWORD, "wrong credentials");

	in.alg = v.alg;
	in.ha1 = ha1;
	in.method = req->method;
	in.uri = cred->uri;
	in.nonce = cred->nonce;
	in.qop = qop ? cred->qop : SIP_STR_NULL;
	in.nc = cred->nc;
	in.cnonce = cnonce;
	/* A stored HA1 in upper case would hash differently: KD uses it as text. */
	memcpy(got, ha1.p, hexlen);
	for (i = 0; i < hexlen; i++)
		if (got[i] >= 'A' && got[i] <= 'F')
			got[i] = (char)(got[i] | 0x20);
	in.ha1 = (struct sip_str){ got, hexlen };
	err = sip_digest_response(&in, expect);
	if (err)
		return err;
	/* LHEX per RFC 2617, but accept upper case from sloppy clients. */
	for (i = 0; i < hexlen; i++) {
		char c = cred->response.p[i];

		got[i] = (c >= 'A' && c <= 'F') ? (char)(c | 0x20) : c;
	}
	if (CRYPTO_memcmp(got, expect, hexlen) != 0)
		return verdict(out, &v, SIP_AUTH_BAD_PASSWORD, "wrong credentials");
	/* Record the count now that the response is proven; a copy verified
	 * meanwhile has already taken it. */
	ncst = sip_nonce_count_use(ns, &info, v.nc);
	r = nc_result(ncst, &reason);
	return verdict(out, &v, r, reason);
}

/* Client side of digest: answer a 401/407 challenge (RFC 3261 22.2-22.3,
 * RFC 2617 3.2.2, RFC 7616 3.4, RFC 8760 2.4). */
#include <errno.h>
#include <stdio.h>

#include "auth_int.h"

/* Does the challenge's qop list (e.g. "auth, auth-int") offer auth? The
 * quotes are gone and qop-values are tokens, so a plain comma split will do. */
static bool qop_offers_auth(struct sip_str list)
{
	size_t i = 0, start;

	while (i <= list.len) {
		start = i;
		while (i < list.len && list.p[i] != ',')
			i++;
		if (sip_str_caseeq(sip_str_trim((struct sip_str){ list.p + start, i - start }), SIP_STR("auth")))
			return true;
		i++;
	}
	return false;
}

/* Usable: Digest, an algorithm we do, qop absent (RFC 2069) or offering auth,
 * and a nonce. Writes its algorithm. */
static bool usable(const struct sip_auth *ch, enum sip_digest_alg *alg)
{
	if (!sip_str_caseeq(ch->scheme, SIP_STR("Digest")) || !ch->nonce.len)
		return false;
	if (sip_digest_alg_parse(alg, ch->algorithm) != 0)
		return false;
	return ch->qop.len == 0 || qop_offers_auth(ch->qop);
}

int sip_auth_client_pick(size_t *idx, const struct sip_auth *ch, size_t n)
{
	enum sip_digest_alg alg, best_alg = SIP_DIGEST_MD5;
	size_t i, best = n;

	for (i = 0; i < n; i++) {
		if (!usable(&ch[i], &alg))
			continue;
		/* RFC 8760 2.4: the UAC uses the strongest it supports; on a tie
		 * keep the server's first, its preferred. */
		if (best == n || (alg == SIP_DIGEST_SHA256 && best_alg != SIP_DIGEST_SHA256)) {
			best = i;
			best_alg = alg;
		}
	}
	if (best == n)
		return -ENOTSUP;
	*idx = best;
	return 0;
}

int sip_auth_client_respond(struct sip_buf *out, const struct sip_auth *ch, size_t n,
			    const struct sip_auth_client_args *a)
{
	char rbuf[AUTH_UNQUOTE_MAX], nbuf[AUTH_UNQUOTE_MAX];
	char ha1[SIP_DIGEST_HEX_SIZE], resp[SIP_DIGEST_HEX_SIZE], nc[9];
	struct sip_digest_input in;
	struct sip_str realm, nonce;
	const struct sip_auth *c;
	enum sip_digest_alg alg;
	size_t idx, mark = out->len;
	bool qop;
	int err;

	err = sip_auth_client_pick(&idx, ch, n);
	if (err)
		return err;
	c = &ch[idx];
	usable(c, &alg);
	qop = c->qop.len != 0;
	if (qop && a->nc == 0)
		return -EINVAL;
	/* The parser keeps quoted-pair escapes; the hashes use the plain text. */
	if (auth_unquote(&realm, rbuf, sizeof(rbuf), c->realm) != 0 ||
	    auth_unquote(&nonce, nbuf, sizeof(nbuf), c->nonce) != 0)
		return -EINVAL;
	err = sip_digest_ha1(alg, a->username, realm, a->password, ha1);
	if (err)
		return err;
	snprintf(nc, sizeof(nc), "%08x", (unsigned)a->nc);
	in.alg = alg;
	in.ha1 = sip_str_from_cstr(ha1);
	in.method = a->method;
	in.uri = a->uri;
	in.nonce = nonce;
	in.qop = qop ? SIP_STR("auth") : SIP_STR_NULL;
	in.nc = sip_str_from_cstr(nc);
	in.cnonce = a->cnonce;
	err = sip_digest_response(&in, resp);
	if (err)
		return err;

	/* RFC 3261 22.4 item 2: uri is quoted in SIP. Values copied from the
	 * challenge keep their escapes (raw); ours are escaped here. */
	err = sip_buf_append_cstr(out, "Digest username=");
	if (!err)
		err = auth_append_quoted(out, a->username);
	if (!err)
		err = sip_buf_append_cstr(out, ", realm=");
	if (!err)
		err = auth_append_quoted_raw(out, c->realm);
	if (!err)
		err = sip_buf_append_cstr(out, ", nonce=");
	if (!err)
		err = auth_append_quoted_raw(out, c->nonce);
	if (!err)
		err = sip_buf_append_cstr(out, ", uri=");
	if (!err)
		err = auth_append_quoted(out, a->uri);
	if (!err)
		err = sip_buf_printf(out, ", response=\"%s\", algorithm=%s", resp, sip_digest_alg_name(alg));
	if (!err && qop) {
		err = sip_buf_append_cstr(out, ", cnonce=");
		if (!err)
			err = auth_append_quoted(out, a->cnonce);
		if (!err)
			err = sip_buf_printf(out, ", qop=auth, nc=%s", nc);
	}
	/* RFC 2617 3.2.2: opaque is returned unchanged. */
	if (!err && c->opaque.len) {
		err = sip_buf_append_cstr(out, ", opaque=");
		if (!err)
			err = auth_append_quoted_raw(out, c->opaque);
	}
	if (err) {
		out->len = mark;
		if (out->p)
			out->p[mark] = '\0';
	}
	return err;
}

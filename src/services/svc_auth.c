/* siphon services: digest authentication of requests (svc_auth.h). */
#include <stdio.h>

#include "siphon/err.h"
#include "siphon/log.h"

#include "svc_auth.h"

static void reply(struct svc_auth *a, struct sip_req *r, int code, const char *reason)
{
	char peer[SIP_REQ_PEERSTR];

	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug(a->who, "%.*s from %s call-id %.*s: %d %s", SIP_STR_ARG(r->msg->method_str),
			      sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)), code,
			      reason ? reason : "");
	(void)sip_req_reply(r, code, reason);
}

void svc_auth_challenge(struct svc_auth *a, struct sip_req *r, bool stale)
{
	struct sip_auth_challenge_opts opts = {
		.realm = r->env->domain, .stale = stale, .algs = r->env->auth_algs,
	};
	struct sip_out *o;
	size_t n = 0;

	for (int i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_reset(&a->chal[i]);
	if (sip_auth_challenge(a->chal, &n, r->env->nonces, &opts) != 0 ||
	    sip_req_response(&o, r, 401, NULL) != 0) {
		(void)sip_req_reply(r, 500, NULL);
		return;
	}
	/* RFC 8760 2.4: one WWW-Authenticate per algorithm, SHA-256 first. */
	for (size_t i = 0; i < n; i++) {
		if (sip_out_add(o, SIP_HDR_WWW_AUTHENTICATE, sip_buf_str(&a->chal[i])) != 0) {
			sip_out_free(o);
			(void)sip_req_reply(r, 500, NULL);
			return;
		}
	}
	(void)sip_req_send(r, o);
}

bool svc_auth_check(struct svc_auth *a, struct sip_req *r, struct sip_store_user *user)
{
	const struct sip_auth *cred = NULL, *c;
	struct sip_store_user u = { 0 };
	struct sip_auth_verdict v;
	struct sip_auth_request areq = {
		.realm = r->env->domain,
		.method = r->msg->method_str,
		.request_uri = r->msg->ruri_str,
	};
	enum sip_digest_alg alg;
	struct sip_str ha1 = SIP_STR_NULL;
	char reason[160], peer[SIP_REQ_PEERSTR];
	bool ok = false;
	int rc;

	for (unsigned idx = 0;; idx++) {
		rc = sip_msg_auth(r->msg, SIP_HDR_AUTHORIZATION, idx, &c);
		if (rc == SIP_ENOTFOUND)
			break;
		if (rc) {
			reply(a, r, 400, "Bad Request (malformed Authorization)");
			return false;
		}
		if (sip_str_caseeq_cstr(c->scheme, "Digest") && sip_str_caseeq(c->realm, r->env->domain)) {
			cred = c;
			break;
		}
	}
	if (!cred || sip_auth_cred_alg(&alg, cred) != 0) {
		svc_auth_challenge(a, r, false);
		return false;
	}
	/* The user's record: username@domain, canonical like the store's keys. */
	sip_buf_reset(&a->tmp);
	if (sip_buf_append(&a->tmp, "sip:", 4) || sip_buf_append_str(&a->tmp, cred->username) ||
	    sip_buf_append(&a->tmp, "@", 1) || sip_buf_append_str(&a->tmp, r->env->domain)) {
		reply(a, r, 500, NULL);
		return false;
	}
	{
		struct sip_buf kb = SIP_BUF_INIT;
		if (sip_store_aor_canon(&kb, NULL, NULL, sip_buf_str(&a->tmp)) == 0 &&
		    sip_store_user_get(r->env->store, sip_buf_str(&kb), &u) == 0)
			ha1 = alg == SIP_DIGEST_SHA256 ? u.ha1_sha256 : u.ha1_md5;
		sip_buf_free(&kb);
	}
	if (sip_auth_verify(&v, r->env->nonces, cred, &areq, ha1) != 0) {
		sip_store_user_clear(&u);
		reply(a, r, 500, NULL);
		return false;
	}
	switch (v.result) {
	case SIP_AUTH_OK:
		ok = true;
		break;
	case SIP_AUTH_MALFORMED:
		snprintf(reason, sizeof(reason), "Bad Request (%s)", v.reason);
		reply(a, r, 400, reason);
		break;
	case SIP_AUTH_STALE:
	case SIP_AUTH_REPLAY:
		/* RFC 7616 3.3: stale=true asks for a new nonce without a new password. */
		if (v.result == SIP_AUTH_REPLAY)
			sip_log_info(a->who, "%.*s from %s call-id %.*s: replayed nonce count",
				     SIP_STR_ARG(r->msg->method_str), sip_req_peer(r, peer),
				     SIP_STR_ARG(sip_req_call_id(r)));
		svc_auth_challenge(a, r, true);
		break;
	case SIP_AUTH_BAD_PASSWORD:
		sip_log_info(a->who, "%.*s from %s call-id %.*s: bad credentials for %.*s (403)",
			     SIP_STR_ARG(r->msg->method_str), sip_req_peer(r, peer),
			     SIP_STR_ARG(sip_req_call_id(r)), SIP_STR_ARG(cred->username));
		reply(a, r, 403, "Forbidden (bad credentials)");
		break;
	default:
		svc_auth_challenge(a, r, false);
		break;
	}
	if (ok) {
		*user = u;
		return true;
	}
	sip_store_user_clear(&u);
	return false;
}

void svc_auth_free(struct svc_auth *a)
{
	for (int i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_free(&a->chal[i]);
	sip_buf_free(&a->tmp);
}

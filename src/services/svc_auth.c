/* siphon services: digest authentication for services (include/siphon/svc_auth.h). */
#include <stdio.h>
#include <string.h>

#include "siphon/err.h"
#include "siphon/log.h"
#include "siphon/store.h"
#include "siphon/svc_auth.h"

void sip_svc_auth_init(struct sip_svc_auth *a, struct sip_svc_env *env, enum sip_svc_auth_kind kind)
{
	memset(a, 0, sizeof(*a));
	a->env = env;
	a->kind = kind;
}

void sip_svc_auth_free(struct sip_svc_auth *a)
{
	for (int i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_free(&a->chal[i]);
	sip_buf_free(&a->tmp);
}

static void answer(struct sip_svc_auth *a, struct sip_req *r, int code, const char *reason, const char *who)
{
	char peer[SIP_REQ_PEERSTR];

	(void)a;
	if (sip_log_enabled(SIP_LOG_DEBUG))
		sip_log_debug(who, "%.*s from %s call-id %.*s: %d %s", SIP_STR_ARG(r->msg->method_str),
			      sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)), code, reason ? reason : "");
	(void)sip_req_reply(r, code, reason);
}

static void challenge(struct sip_svc_auth *a, struct sip_req *r, bool stale)
{
	struct sip_auth_challenge_opts opts = {
		.realm = a->env->domain, .stale = stale, .algs = a->env->auth_algs,
	};
	bool proxy = a->kind == SIP_SVC_AUTH_PROXY;
	struct sip_out *o;
	size_t n = 0;

	for (int i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
		sip_buf_reset(&a->chal[i]);
	if (sip_auth_challenge(a->chal, &n, a->env->nonces, &opts) != 0 ||
	    sip_req_response(&o, r, proxy ? 407 : 401, NULL) != 0) {
		(void)sip_req_reply(r, 500, NULL);
		return;
	}
	/* RFC 8760 2.4: one challenge per algorithm, SHA-256 first. */
	for (size_t i = 0; i < n; i++) {
		if (sip_out_add(o, proxy ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE,
				sip_buf_str(&a->chal[i])) != 0) {
			sip_out_free(o);
			(void)sip_req_reply(r, 500, NULL);
			return;
		}
	}
	(void)sip_req_send(r, o);
}

/* Find our realm's digest credentials in r, verify them and, on success, hand the
 * user's record to *u (owned by the caller). Otherwise answer r and return false. */
static bool authenticate(struct sip_svc_auth *a, struct sip_req *r, const char *who,
			 struct sip_store_user *u)
{
	bool proxy = a->kind == SIP_SVC_AUTH_PROXY;
	const struct sip_auth *cred = NULL, *c;
	struct sip_auth_verdict v;
	struct sip_auth_request areq = {
		.realm = a->env->domain,
		.method = r->msg->method_str,
		.request_uri = r->msg->ruri_str,
		/* 22.4 item 6 allows a proxy to skip the uri check; the Request-URI a
		 * proxy sees is still the one the client hashed at the first hop. */
		.skip_uri_check = false,
	};
	enum sip_digest_alg alg;
	struct sip_str ha1 = SIP_STR_NULL;
	char reason[160], peer[SIP_REQ_PEERSTR];
	int rc;

	memset(u, 0, sizeof(*u));
	for (unsigned idx = 0;; idx++) {
		rc = sip_msg_auth(r->msg, proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION, idx, &c);
		if (rc == SIP_ENOTFOUND)
			break;
		if (rc) {
			answer(a, r, 400, proxy ? "Bad Request (malformed Proxy-Authorization)"
						: "Bad Request (malformed Authorization)", who);
			return false;
		}
		if (sip_str_caseeq_cstr(c->scheme, "Digest") && sip_str_caseeq(c->realm, a->env->domain)) {
			cred = c;
			break;
		}
	}
	if (!cred || sip_auth_cred_alg(&alg, cred) != 0) {
		challenge(a, r, false);
		return false;
	}
	/* The user's record: username@domain, canonical like the store's keys. */
	sip_buf_reset(&a->tmp);
	if (sip_buf_append_str(&a->tmp, cred->username) || sip_buf_append(&a->tmp, "@", 1) ||
	    sip_buf_append_str(&a->tmp, a->env->domain)) {
		answer(a, r, 500, NULL, who);
		return false;
	}
	{
		struct sip_buf kb = SIP_BUF_INIT;
		if (sip_store_aor_canon(&kb, NULL, NULL, sip_buf_str(&a->tmp)) == 0 &&
		    sip_store_user_get(a->env->store, sip_buf_str(&kb), u) == 0)
			ha1 = alg == SIP_DIGEST_SHA256 ? u->ha1_sha256 : u->ha1_md5;
		sip_buf_free(&kb);
	}
	if (sip_auth_verify(&v, a->env->nonces, cred, &areq, ha1) != 0) {
		sip_store_user_clear(u);
		answer(a, r, 500, NULL, who);
		return false;
	}
	switch (v.result) {
	case SIP_AUTH_OK:
		return true;
	case SIP_AUTH_MALFORMED:
		snprintf(reason, sizeof(reason), "Bad Request (%s)", v.reason);
		answer(a, r, 400, reason, who);
		break;
	case SIP_AUTH_STALE:
	case SIP_AUTH_REPLAY:
		/* RFC 7616 3.3: stale=true asks for a new nonce without a new password. */
		if (v.result == SIP_AUTH_REPLAY)
			sip_log_info(who, "%.*s %.*s from %s call-id %.*s: replayed nonce count",
				     SIP_STR_ARG(r->msg->method_str), SIP_STR_ARG(r->msg->ruri_str),
				     sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)));
		challenge(a, r, true);
		break;
	case SIP_AUTH_BAD_PASSWORD:
		sip_log_info(who, "%.*s %.*s from %s call-id %.*s: bad credentials for %.*s (403)",
			     SIP_STR_ARG(r->msg->method_str), SIP_STR_ARG(r->msg->ruri_str),
			     sip_req_peer(r, peer), SIP_STR_ARG(sip_req_call_id(r)),
			     SIP_STR_ARG(cred->username));
		answer(a, r, 403, "Forbidden (bad credentials)", who);
		break;
	default:
		challenge(a, r, false);
		break;
	}
	sip_store_user_clear(u);
	return false;
}

bool sip_svc_auth_user(struct sip_svc_auth *a, struct sip_req *r, const char *who,
		       struct sip_store_user *user)
{
	return authenticate(a, r, who, user);
}

bool sip_svc_auth_check(struct sip_svc_auth *a, struct sip_req *r, struct sip_str aor, const char *who)
{
	bool proxy = a->kind == SIP_SVC_AUTH_PROXY;
	struct sip_store_user u;
	char peer[SIP_REQ_PEERSTR];
	bool ok;

	if (!authenticate(a, r, who, &u))
		return false;
	ok = sip_str_eq(u.aor, aor);
	if (!ok) {
		sip_log_info(who, "%.*s %.*s from %s call-id %.*s: user %.*s %s (403)",
			     SIP_STR_ARG(r->msg->method_str), SIP_STR_ARG(aor), sip_req_peer(r, peer),
			     SIP_STR_ARG(sip_req_call_id(r)), SIP_STR_ARG(u.aor),
			     proxy ? "is not the From user" : "does not own it");
		answer(a, r, 403, proxy ? "Forbidden (From is not the authenticated user)"
					: "Forbidden (not the owner of this address of record)", who);
	}
	sip_store_user_clear(&u);
	return ok;
}

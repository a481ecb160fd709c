/* siphon services: digest authentication of a request by a service (RFC 3261 22,
 * RFC 7616, RFC 8760), shared by the registrar (401, WWW-Authenticate /
 * Authorization, 22.2) and the proxy (407, Proxy-Authenticate /
 * Proxy-Authorization, 22.3). The credentials are checked against the store's
 * users (HA1 per algorithm, realm = the served domain) with the server's nonce
 * state, and the authenticated user must own the AOR the service names. */
#ifndef SIPHON_SVC_AUTH_H
#define SIPHON_SVC_AUTH_H

#include <stdbool.h>

#include "siphon/auth.h"
#include "siphon/buf.h"
#include "siphon/service.h"

enum sip_svc_auth_kind {
	SIP_SVC_AUTH_UAS,   /* 401, WWW-Authenticate, Authorization */
	SIP_SVC_AUTH_PROXY, /* 407, Proxy-Authenticate, Proxy-Authorization */
};

/* Scratch buffers of one service (reused per request). */
struct sip_svc_auth {
	struct sip_svc_env *env;
	enum sip_svc_auth_kind kind;
	struct sip_buf chal[SIP_DIGEST_ALG_COUNT];
	struct sip_buf tmp;
};

void sip_svc_auth_init(struct sip_svc_auth *a, struct sip_svc_env *env, enum sip_svc_auth_kind kind);
void sip_svc_auth_free(struct sip_svc_auth *a);

struct sip_store_user;

/* Authenticate r. true: the credentials are a user's of our realm and *user is that
 * user's record (owned: sip_store_user_clear). false: r was answered (the challenge,
 * stale=true for an old or replayed nonce, 400 for malformed credentials, 403 for a
 * bad password or an unknown user, which are not told apart so users cannot be
 * enumerated, 500). who names the service in the log lines. */
bool sip_svc_auth_user(struct sip_svc_auth *a, struct sip_req *r, const char *who,
		       struct sip_store_user *user);

/* Authenticate r and check that the user owns aor (canonical). true: go on. false:
 * r was answered (the challenge, 400 for malformed credentials, 403 for bad ones or
 * for a user who does not own aor; who names the service in the log lines). */
bool sip_svc_auth_check(struct sip_svc_auth *a, struct sip_req *r, struct sip_str aor, const char *who);

#endif

/* siphon services: digest authentication of requests to the domain's users
 * (RFC 3261 22, RFC 7616, RFC 8760), shared by the registrar, the events service
 * and the proxy. The server's nonce state and the store's users (HA1s) do the work;
 * this is the UAS side: find the credentials for our realm, verify them, answer 401
 * (with a fresh challenge, stale=true for an old or replayed nonce), 400 or 403. */
#ifndef SIPHON_SVC_AUTH_H
#define SIPHON_SVC_AUTH_H

#include <stdbool.h>

#include "siphon/auth.h"
#include "siphon/buf.h"
#include "siphon/service.h"
#include "siphon/store.h"

/* Scratch buffers of one service (reused per request). Zero-initialise; free with
 * svc_auth_free. */
struct svc_auth {
	struct sip_buf chal[SIP_DIGEST_ALG_COUNT];
	struct sip_buf tmp;
	const char *who;            /* log tag: "registrar", "events", ... */
};

/* Answer r with 401 and one WWW-Authenticate per offered algorithm, SHA-256 first
 * (RFC 8760 2.4); stale=true asks for a new nonce only (RFC 7616 3.3). */
void svc_auth_challenge(struct svc_auth *a, struct sip_req *r, bool stale);

/* Authenticate r. true: the credentials are a user's (*user is that user's record,
 * owned: sip_store_user_clear); false: r has been answered (401 challenge, 400 for
 * malformed credentials, 403 for a bad password or an unknown user, which are not
 * told apart so users cannot be enumerated, 500). */
bool svc_auth_check(struct svc_auth *a, struct sip_req *r, struct sip_store_user *user);

void svc_auth_free(struct svc_auth *a);

#endif

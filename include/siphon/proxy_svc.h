/* siphon services: the stateful proxy as a service of `siphon serve` (RFC 3261 16).
 *
 * It wires the proxy core (include/siphon/proxy.h) to the server: requests arrive
 * through the transaction layer (r->st), each branch is a client transaction
 * (sip_txn_client_alloc), responses and timeouts are fed to the response context,
 * timer C and the decline bound run on the server's clock, the caller's CANCEL is
 * matched with sip_txn_match_cancel. ACK for a 2xx is forwarded statelessly (it
 * is its own transaction, 17.1.1.3, and needs no state here).
 *
 * Targets (16.5): a request still carrying Route values after 16.4, or addressed
 * to another host, goes to its Request-URI (IP literals and names the resolver
 * answers from /etc/hosts); a request to a user of the served domain goes to every
 * binding of the AOR in the registrar's location index (q groups: 16.6). Before
 * forking an out-of-dialog INVITE, MESSAGE or SUBSCRIBE, the callee's call policy
 * from the store (do-not-disturb, block list) may decline it: 603 Decline or 607
 * Unwanted (RFC 8197) with a Reason header (RFC 3326), logged at info level. Users
 * and policies are cached, revalidated with sip_store_users_generation at most once
 * a second, so the hot path never reads SQLite. Unknown user: 404; a known user (or
 * an AOR of the domain) with no binding: 480.
 *
 * With authentication on, an out-of-dialog request whose From is a user of the
 * domain is challenged with 407 (Proxy-Authenticate) and the authenticated user
 * must be the From user (403 otherwise). */
#ifndef SIPHON_PROXY_SVC_H
#define SIPHON_PROXY_SVC_H

#include <stdint.h>

#include "siphon/service.h"

struct sip_registrar;
struct sip_proxy_svc;
struct sip_events_dialog;

/* The dialog-event feed (RFC 4235): called when a proxied INVITE of a user of the
 * domain changes state (trying, early on a 1xx, confirmed on a 2xx, terminated on a
 * failure, a CANCEL or a BYE), once for the callee's AOR and once for the caller's
 * when the caller is one of ours too (d->initiator). The events service plugs
 * sip_events_dialog_update in here; d and its slices are valid during the call. */
typedef void (*sip_proxy_dialog_hook)(void *arg, struct sip_str entity, const struct sip_events_dialog *d);

struct sip_proxy_svc_config {
	struct sip_registrar *registrar; /* the location service (borrowed); NULL: none */
	uint32_t timer_c_ms;             /* 16.8; 0: the core's default (180.5 s) */
	uint32_t decline_wait_ms;        /* bound on waiting after a 6xx; 0: 4 s */
	sip_proxy_dialog_hook dialog;    /* NULL: no dialog events */
	void *dialog_arg;
};

/* 0 or -ENOMEM. env and the registrar are borrowed and must outlive the service. */
int sip_proxy_svc_alloc(struct sip_proxy_svc **pp, struct sip_svc_env *env,
			const struct sip_proxy_svc_config *cfg);
/* The service table entry (the service's free() releases it). */
void sip_proxy_svc_service(struct sip_proxy_svc *p, struct sip_service *out);

#endif

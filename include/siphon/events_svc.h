/* siphon services: the events service of `siphon serve` (RFC 6665, RFC 3903,
 * RFC 5839), the events core (include/siphon/events.h) wired to the server.
 *
 * SUBSCRIBE and PUBLISH addressed to the served domain reach it through the
 * transaction layer (stateful). With authentication on, they need the digest
 * credentials of a user of the domain (svc_auth.c, the registrar's code); the
 * authenticated user is the watcher, and a PUBLISH must be for the user's own AOR
 * (403). A watcher on the resource's block list (`siphon user block`) gets 603;
 * when the users generation moves (polled every second) the block lists are
 * re-read and blocked watchers' subscriptions end (terminated;reason=rejected).
 * Every subscription and publication change is written to the store and the 200
 * (or 204) is sent only when the store reports it durable; the NOTIFYs a request
 * causes follow its response. NOTIFYs are client transactions sent through the
 * subscription's route set over its transport; their final responses (408 on a
 * timeout) go back to the core (481 and friends end the subscription). One timer
 * drives the core's expiries. At start every stored publication and subscription is
 * restored with its timer, and the mailboxes' message-summary counts loaded; the
 * counts are reloaded when the store's mwi generation moves (polled every second),
 * so `siphon mwi set` reaches subscribers of a running server.
 *
 * The registrar and the proxy feed the reg and dialog packages by calling
 * sip_events_reg_update / sip_events_dialog_update on env->events (service.h) when
 * it is not NULL; the NOTIFYs that causes go out on their own. */
#ifndef SIPHON_EVENTS_SVC_H
#define SIPHON_EVENTS_SVC_H

#include <stdint.h>

#include "siphon/events.h"
#include "siphon/service.h"

struct sip_events_svc;

struct sip_events_svc_config {
	uint32_t min_expires, max_expires;         /* SUBSCRIBE; 0: the core's defaults */
	uint32_t pub_min_expires, pub_max_expires; /* PUBLISH; 0: the core's defaults */
	uint32_t max_subs_per_watcher;  /* per watcher (the authenticated user, else the
					   canonical From URI); 0: no limit (events.h) */
};

/* Create the service and its notifier on env (borrowed; must outlive it) and set
 * env->events. 0, -EINVAL, -ENOMEM. */
int sip_events_svc_alloc(struct sip_events_svc **out, struct sip_svc_env *env,
			 const struct sip_events_svc_config *cfg);
/* Restore the stored publications, then subscriptions (their timers resume;
 * expired ones are purged), and load the message-summary counts. Call before the
 * registrar restores its bindings (they feed the reg package). 0 or the store's
 * error. */
int sip_events_svc_restore(struct sip_events_svc *es);
/* The service table entry (SUBSCRIBE and PUBLISH for the served domain). The table
 * owns es afterwards (its free). */
void sip_events_svc_service(struct sip_events_svc *es, struct sip_service *out);
void sip_events_svc_free(struct sip_events_svc *es);

#endif

/* siphon services: the registrar and location service (RFC 3261 10.3, Path RFC 3327,
 * instance and reg-id of RFC 5626).
 *
 * The location index lives in memory (a hash table of AORs, each with its bindings
 * and one expiry timer per binding), restored from the store at start. Every change
 * is written to the store first and applied to memory and answered with 200 only when
 * the store reports the batch durable (include/siphon/store.h): a kill -9 after a
 * 200 loses nothing. While one REGISTER of an AOR waits for the store, later REGISTERs
 * of the same AOR wait behind it, so 10.3 step 7's Call-ID/CSeq rule always sees the
 * state the previous 200 announced.
 *
 * AORs: only the domain's (the To URI's host must be the served domain, else 404,
 * step 5). With authentication on, the AORs are the store's users, and the
 * authenticated user must own the To AOR (403, step 4): an unknown AOR is refused
 * with 403 after authentication, never 404 before it (no user enumeration). With
 * authentication off (a lab), any user of the domain may register. */
#ifndef SIPHON_REGISTRAR_H
#define SIPHON_REGISTRAR_H

#include <stdint.h>

#include "siphon/service.h"
#include "siphon/str.h"

struct sip_registrar;

struct sip_registrar_config {
	uint32_t min_expires;      /* below: 423 with Min-Expires (10.3 step 7); 0: 60 */
	uint32_t max_expires;      /* above: lowered to it; 0: 7200 */
	uint32_t default_expires;  /* no expires param, no Expires header; 0: 3600 */
	uint32_t max_bindings;     /* per AOR; more is 403; 0: 16 */
};

/* Create the registrar on env (borrowed, must outlive it). 0 or -ENOMEM. */
int sip_registrar_alloc(struct sip_registrar **rp, struct sip_svc_env *env,
			const struct sip_registrar_config *cfg);
/* Load the store's bindings: live ones into the index with their timers, expired
 * ones purged. 0 or the store's error. */
int sip_registrar_restore(struct sip_registrar *reg);
/* The service table entry (REGISTER for our domain). */
void sip_registrar_service(struct sip_registrar *reg, struct sip_service *out);
void sip_registrar_free(struct sip_registrar *reg);

/* The location service (for the proxy): the bindings of aor (canonical,
 * "sip:alice@example.com"), highest q first. Slices borrow from the index and are
 * valid until the loop runs again. */
struct sip_location {
	struct sip_str contact;
	struct sip_str path;       /* comma-joined Path values, or empty */
	struct sip_str instance;
	struct sip_str received;   /* "ip:port" the REGISTER came from */
	uint64_t flow_id;          /* its connection (0: none) */
	uint16_t q;
	int64_t expires_at;
};
typedef int (*sip_location_cb)(const struct sip_location *l, void *arg);
int sip_registrar_lookup(struct sip_registrar *reg, struct sip_str aor, sip_location_cb cb,
			 void *arg);
/* AORs and bindings in the index. */
size_t sip_registrar_aor_count(const struct sip_registrar *reg);
size_t sip_registrar_binding_count(const struct sip_registrar *reg);

#endif

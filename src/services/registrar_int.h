/* siphon services: private structures of the registrar (registrar.c: index, timers,
 * restore; registrar_req.c: REGISTER processing and authentication). */
#ifndef SIPHON_REGISTRAR_INT_H
#define SIPHON_REGISTRAR_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "siphon/auth.h"
#include "siphon/buf.h"
#include "siphon/registrar.h"
#include "siphon/svc_auth.h"
#include "siphon/timer.h"

#include "siphon/svc_auth.h"

/* The strings a binding keeps, stored back to back after the struct. */
enum rb_field {
	RB_CONTACT = 0, /* the Contact URI */
	RB_PARAMS,      /* its header params without expires and q, raw */
	RB_CALL_ID,
	RB_PATH,
	RB_INSTANCE,
	RB_RECEIVED,
	RB__COUNT
};

struct reg_aor;

/* One binding: about 100 bytes plus its strings (memory per registration is a
 * benchmark target: shared/DESIGN.md). */
struct reg_binding {
	struct reg_binding *next;  /* in its AOR's list, highest q first */
	struct reg_aor *aor;
	struct sip_timer timer;    /* expiry */
	int64_t expires_at;        /* wall-clock second */
	uint64_t flow_id;
	uint32_t cseq;
	uint32_t reg_id;
	uint16_t q;
	uint16_t len[RB__COUNT];
	char s[];
};

struct reg_wait {
	struct reg_wait *next;
	struct sip_req req;
};

struct reg_op;

struct reg_aor {
	struct reg_aor *hnext;
	struct sip_registrar *reg;
	struct reg_binding *bindings;
	struct reg_op *pending;     /* a store write in flight for this AOR */
	struct reg_wait *wait_head, *wait_tail; /* REGISTERs waiting for it */
	uint32_t hash;
	uint16_t aor_len;
	uint16_t nwait;             /* entries in the wait queue (bounded) */
	char aor[];
};

/* A REGISTER whose changes wait for the store. */
struct reg_op {
	struct sip_registrar *reg;
	struct reg_aor *aor;
	struct sip_req req;
	unsigned nadd, ndel;
	struct reg_binding **add;  /* new bindings (replacing those in del) */
	struct reg_binding **del;  /* existing bindings to remove */
	int64_t now;               /* wall clock when processed: the 200's expires count from it */
};

struct sip_registrar {
	struct sip_svc_env *env;
	struct sip_registrar_config cfg;
	struct reg_aor **buckets;
	uint32_t mask;
	size_t naors, nbindings;
	struct sip_timer expire_timer;        /* flushes expire_batch */
	struct sip_store_batch *expire_batch;
	int64_t restore_now;
	size_t restore_expired;
	bool stopping;
	struct sip_buf canon;                 /* canonical To AOR of the request at hand */
	int64_t date_sec;                     /* the second date[] was formatted for */
	char date[40];                        /* Date header value (RFC 3261 20.17) */
	struct sip_buf tmp;
	struct sip_svc_auth auth;            /* 401 challenges and digest checks */
};

struct reg_aor *reg_aor_find(struct sip_registrar *reg, struct sip_str aor);
struct reg_aor *reg_aor_get(struct sip_registrar *reg, struct sip_str aor);
void reg_aor_release(struct sip_registrar *reg, struct reg_aor *a);
struct reg_binding *reg_binding_new(const struct sip_str fields[RB__COUNT]);
struct sip_str reg_b_contact(const struct reg_binding *b);
struct sip_str reg_b_field(const struct reg_binding *b, enum rb_field f);
void reg_apply(struct sip_registrar *reg, struct reg_op *op, int64_t now);

/* registrar_req.c */
bool reg_accepts(void *ctx, struct sip_req *r);
void reg_handle(void *ctx, struct sip_req *r);

/* Remove the expires and q parameters from raw Contact params (the 200 writes its
 * own), keeping the others in order. Appends to out. 0 or -ENOMEM. */
int reg_params_strip(struct sip_buf *out, struct sip_str params);

#endif

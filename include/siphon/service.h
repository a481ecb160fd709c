/* siphon services: what a service (registrar, proxy, events) sees of the server.
 *
 * The server (src/server) owns the event loop, the transports, the transaction layer,
 * the store and the nonce state, and hands each received request to ONE service, the
 * first of its service table that takes it:
 *
 *   - every service declares the methods it handles (a bit mask of enum sip_method);
 *   - among the services that declare the request's method, the first whose
 *     accepts() says yes (NULL: always) gets the request. accepts() looks at the
 *     request target: the registrar takes REGISTER for our domain, a proxy takes
 *     anything addressed elsewhere or to a registered user, the events service takes
 *     SUBSCRIBE/PUBLISH for a package it knows;
 *   - a stateful service (stateful = true) receives its requests through the RFC 3261
 *     17 transaction layer (retransmissions absorbed there, r->st set); a stateless
 *     one receives them directly and answers with sip_req_send (RFC 3261 8.2.7:
 *     a stateless UAS regenerates its response for a retransmission). The registrar
 *     is stateless: its answers are idempotent, and keeping a transaction (and the
 *     request) for Timer J's 32 s per REGISTER would cost more memory than the binding.
 *   - what no service takes gets the server core's answer: 405 with Allow (RFC 3261
 *     8.2.1), 200 to OPTIONS (11.2), and so on (src/server/core.c).
 *
 * A request in a service's hands is a struct sip_req. handle() may answer at once or
 * later (the registrar answers when the store says the binding is durable): to keep
 * the request past handle(), copy the struct and set r->msg = NULL in the original
 * (the copy now owns the message). Every request gets exactly one final answer
 * followed by sip_req_done(). */
#ifndef SIPHON_SERVICE_H
#define SIPHON_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/build.h"
#include "siphon/msg.h"
#include "siphon/net.h"
#include "siphon/str.h"

struct sip_txn;
struct sip_txn_layer;
struct sip_timers;
struct sip_store;
struct sip_nonce_state;
struct uv_loop_s;

/* What the server gives every service. Owned by the server; valid until the
 * services are closed. */
struct sip_svc_env {
	struct uv_loop_s *loop;
	struct sip_net *net;
	struct sip_txn_layer *txn;
	struct sip_timers *timers;
	struct sip_store *store;
	struct sip_nonce_state *nonces;
	struct sip_str domain;      /* the domain served (also the digest realm) */
	bool auth;                  /* digest authentication on (false: --no-auth) */
	unsigned auth_algs;         /* SIP_DIGEST_BIT mask to challenge with; 0: both */
	struct sip_str allow;       /* "INVITE, ACK, ..." : the methods the server handles */
	struct sip_str supported;   /* option tags the server supports, "path, outbound" */
	uint64_t tag_key;           /* secret mixed into stateless To tags */
	struct sip_buf out;         /* scratch for serialising one response (reused) */
};

/* A request being handled. */
struct sip_req {
	struct sip_svc_env *env;
	struct sip_msg *msg;        /* owned; NULL once handed on (see above) */
	struct sip_net_src src;     /* where it came from (a copy) */
	struct sip_txn *st;         /* its server transaction, NULL when stateless */
};

/* The response to r (RFC 3261 8.2.6): status line, Via (with received/rport, RFC
 * 3581), From, To with our tag, Call-ID, CSeq. reason NULL: the catalogue's phrase.
 * The To tag of a stateless response is a keyed hash of the request's Call-ID and
 * From tag, so a retransmission gets the same tag (8.2.7). 0 or negative. */
int sip_req_response(struct sip_out **op, struct sip_req *r, int code, const char *reason);
/* Serialise o, send it (through r->st when stateful, else to the 18.2.2 destination)
 * and free o. 0 or the transport's error (o is freed in every case). */
int sip_req_send(struct sip_req *r, struct sip_out *o);
/* sip_req_response + sip_req_send. */
int sip_req_reply(struct sip_req *r, int code, const char *reason);
/* Release the request (its message). The struct itself is the caller's. */
void sip_req_done(struct sip_req *r);

/* "udp:192.0.2.1:5060" of r's peer into dst (SIP_NET_ADDRSTR + 8 bytes), for logs. */
#define SIP_REQ_PEERSTR (SIP_NET_ADDRSTR + 8)
const char *sip_req_peer(const struct sip_req *r, char dst[SIP_REQ_PEERSTR]);
/* The Call-ID for logs ("-" when absent). */
struct sip_str sip_req_call_id(struct sip_req *r);

/* Is uri addressed to our domain (host equal, case-insensitive; any port)? */
bool sip_svc_is_our_domain(const struct sip_svc_env *env, const struct sip_uri *uri);

#define SIP_METHOD_BIT(m) (1u << (m))

struct sip_service {
	const char *name;
	uint32_t methods;           /* SIP_METHOD_BIT mask */
	bool stateful;
	struct sip_str option_tags; /* extensions it supports (for Supported / Require), or empty */
	bool (*accepts)(void *ctx, struct sip_req *r);
	void (*handle)(void *ctx, struct sip_req *r);
	/* Stop: answer or drop what is pending, stop timers. Called before the store
	 * closes (which still runs pending completions). */
	void (*stop)(void *ctx);
	void (*free)(void *ctx);
	void *ctx;
};

#endif

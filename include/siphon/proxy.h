/* siphon services layer: the stateful proxy core (RFC 3261 section 16).
 *
 * The core decides and produces messages; it never touches a socket, a transaction
 * or a clock. The server (siphon serve) wires it:
 *
 *   request from a new server transaction
 *     -> sip_proxy_validate (16.3)            status != 0: answer with sip_proxy_reply
 *     -> sip_proxy_preprocess (16.4)
 *     -> targets (16.5: location service, or the Request-URI itself)
 *     -> sip_proxy_ctx_alloc + sip_proxy_ctx_start (16.6: one branch per target,
 *        forked in parallel inside the highest q group, groups in sequence)
 *   then feeds the context what happens to its branches:
 *     sip_proxy_ctx_response   a response from branch i's client transaction
 *     sip_proxy_ctx_timeout    branch i's client transaction timed out (a 408)
 *     sip_proxy_ctx_transport_error  sending on branch i failed (a 503, 16.9)
 *     sip_proxy_ctx_timer      a timer the context asked for fired (timer C, 16.8;
 *                              the bound on waiting after a 6xx)
 *     sip_proxy_ctx_cancel     the caller's CANCEL matched the server transaction
 *   and the context calls back (struct sip_proxy_ops) to send requests, CANCELs and
 *   responses and to arm timers.
 *
 * Response selection is RFC 3261 16.7 exactly: 1xx other than 100 forwarded while no
 * final response was sent; every 2xx to INVITE forwarded, the first one at once
 * with a CANCEL (Reason: SIP;cause=200) to every pending branch (step 10); a 6xx is
 * held: every pending branch is cancelled with Reason: SIP;cause=6xx;text="phrase"
 * (RFC 3326), no branch and no further q group is started, and the 6xx goes
 * upstream once every branch has ended or decline_wait_ms passed; otherwise, once
 * every branch has ended, the best final response (step 6: a 6xx, else the lowest
 * class, 401/407/415/420/484 first among 4xx, 503 only when nothing else, and then
 * as 500), with the WWW-/Proxy-Authenticate values of every 401/407 aggregated
 * (step 7). A branch that timed out counts as a 408, one that failed to send as a
 * 503. 3xx responses are not recursed on. ACK for a non-2xx final response is hop
 * by hop: the transaction layer absorbs it and the core never sees it; an ACK for
 * a 2xx is a new request the server forwards with sip_proxy_forward.
 *
 * Slices. Everything the core passes to a callback is valid during the call only.
 * Not thread-safe; callbacks must not call back into the same context. */
#ifndef SIPHON_PROXY_H
#define SIPHON_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/build.h"
#include "siphon/msg.h"
#include "siphon/str.h"

/* ---- Configuration ---- */

/* An address this proxy is: what it writes as Via sent-by and in Record-Route,
 * and recognises in Route, Request-URI and Via (16.3 item 4, 16.4). */
struct sip_proxy_self {
	struct sip_str host; /* host name or IP literal (IPv6 with brackets) */
	uint16_t port;       /* 0: any port */
};

struct sip_proxy_config {
	const struct sip_proxy_self *self;
	size_t nself;
	/* Option-tags this proxy understands in Proxy-Require (16.3 item 5). */
	const struct sip_str *supported;
	size_t nsupported;
	uint32_t timer_c_ms;      /* 16.6 item 11, more than 3 minutes: 0 takes 180500 */
	uint32_t decline_wait_ms; /* after a 6xx, wait at most this for the cancelled
				   * branches to end before sending the 6xx: 0 takes 4000 */
};

/* Is u one of the proxy's own addresses (host case-insensitive; a URI without a
 * port matches 5060, or 5061 for sips)? */
bool sip_proxy_is_self(const struct sip_proxy_config *cfg, const struct sip_uri *u);

/* ---- Request validation (16.3) ---- */

#define SIP_PROXY_MAX_UNSUPPORTED 16

struct sip_proxy_check {
	int status;          /* 0: go on; else the response to answer (400, 416, 420, 482, 483) */
	const char *reason;  /* phrase for status (static), NULL: the catalogue's */
	/* OPTIONS that the server answers itself (section 11) instead of forwarding:
	 * Max-Forwards 0 (16.3 item 3), or a Request-URI that is this proxy with no
	 * user part. status is 0 then. */
	bool options_local;
	/* 420: the option-tags not understood (slices of the request). */
	struct sip_str unsupported[SIP_PROXY_MAX_UNSUPPORTED];
	unsigned nunsupported;
	/* Loop detection value of this request (16.6 item 8 as updated by RFC 5393
	 * 4.2: Request-URI, Route values, Call-ID, CSeq number, From and To tags,
	 * Proxy-Require and Proxy-Authorization; never the method). */
	uint64_t loop_hash;
};

/* Validate req (16.3): 1. the headers forwarding needs parse (From, To, Call-ID,
 * CSeq, Via, Max-Forwards, Route, Request-URI): 400 with the fault; 2. the
 * Request-URI scheme is sip, sips or tel: else 416; 3. Max-Forwards 0: 483, or
 * options_local for OPTIONS; 4. a Via whose sent-by is this proxy and whose branch
 * carries this request's loop hash: 482 (a spiral has another hash and passes);
 * 5. Proxy-Require option-tags not in cfg->supported: 420 with the list.
 * Proxy-Authorization (item 6) is the auth layer's. Returns 0 (the verdict is in
 * *out), or -EINVAL. */
int sip_proxy_validate(struct sip_proxy_check *out, const struct sip_proxy_config *cfg,
		       struct sip_msg *req);

/* The response for a failed check (8.2.6 via sip_out_response_to), with
 * Unsupported for a 420. to_tag as in sip_out_response_to. */
int sip_proxy_reply(struct sip_out **op, struct sip_msg *req, const struct sip_proxy_check *chk,
		    struct sip_str to_tag);

/* ---- Route information preprocessing (16.4) ---- */

/* A validated request after 16.4. Slices borrow from msg. */
struct sip_proxy_req {
	struct sip_msg *msg;   /* the received request (borrowed) */
	struct sip_str ruri;   /* the Request-URI to work with */
	bool strict_fixup;     /* the Request-URI was our Record-Route value: it was
				* replaced by the last Route value (a strict router
				* sent the request) */
	unsigned route_first;  /* Route values kept: indexes [route_first, route_end) */
	unsigned route_end;    /*   of sip_msg_route(msg, ...) */
	uint64_t loop_hash;    /* from the check */
};

/* 16.4: when the Request-URI is a value this proxy put in Record-Route (one of its
 * addresses, no user part, lr), it becomes the last Route value, which is removed;
 * then every top Route value that is this proxy is removed (two of them after a
 * double Record-Route). Returns 0, SIP_EPARSE for a bad Route. */
int sip_proxy_preprocess(struct sip_proxy_req *out, const struct sip_proxy_config *cfg,
			 struct sip_msg *req, const struct sip_proxy_check *chk);

/* Does the request still carry Route values after 16.4 (then its target is the
 * Request-URI as it is: 16.5, 16.12)? */
static inline bool sip_proxy_req_routed(const struct sip_proxy_req *r)
{
	return r->route_end > r->route_first;
}

/* ---- Request forwarding (16.6) ---- */

/* Per-branch inputs of 16.6. */
struct sip_proxy_fwd {
	struct sip_str target;  /* the target URI: the copy's Request-URI (item 2) */
	struct sip_str via;     /* "SIP/2.0/UDP 192.0.2.1:5060": sent-by of the
				 * outgoing interface (item 8) */
	struct sip_str rr;      /* Record-Route URI of the outgoing side ("sip:192.0.2.1;lr");
				 * empty: do not record-route (item 4) */
	struct sip_str rr_in;   /* Record-Route URI of the side the request came in
				 * on. When set and different from rr (the transport
				 * or the interface changes), both are inserted, rr on
				 * top ("double Record-Route"), so each side of the
				 * dialog routes to the address it can reach. */
	const struct sip_str *routes; /* local policy Route values to push, in order
				       * (item 6), each a loose router "<sip:...;lr>" */
	size_t nroutes;
};

#define SIP_PROXY_BRANCH_SIZE (SIP_BRANCH_SIZE + 17)

/* Build the forwarded copy of r for one target (16.6 items 1-9): Request-URI =
 * target without the parameters a Request-URI may not carry, Max-Forwards - 1
 * (or 70), Record-Route values, the Route values 16.4 kept with the policy routes
 * on top, strict-router reformatting when the first Route lacks lr (item 6: the
 * Request-URI goes last in Route and the first Route becomes the Request-URI), a
 * new top Via with branch "z9hG4bK<random>.<loop hash>" (item 8 and RFC 5393), and
 * a correct Content-Length (item 9). The result is built by the builder's edits
 * against r->msg (which must outlive *op).
 * next_hop (appended) gets the URI whose address the request goes to (item 7:
 * the Request-URI after strict reformatting, else the first Route, else the
 * Request-URI); branch (SIP_PROXY_BRANCH_SIZE bytes) the Via branch. */
int sip_proxy_forward(struct sip_out **op, struct sip_buf *next_hop, char *branch,
		      const struct sip_proxy_req *r, const struct sip_proxy_fwd *f);

/* A response that matched no client transaction (16.7 first paragraph: forwarded
 * statelessly, e.g. a late 2xx): its top Via removed. SIP_ENOTFOUND when no Via
 * would be left (the response was for this element). */
int sip_proxy_response_stateless(struct sip_out **op, struct sip_msg *resp);

/* ---- The response context (16.6, 16.7, 16.8, 16.10) ---- */

enum sip_proxy_timer {
	SIP_PROXY_TIMER_C = 1,  /* per INVITE branch (16.6 item 11, 16.8) */
	SIP_PROXY_TIMER_DECLINE, /* per context: the bound on waiting after a 6xx */
};

/* What the server provides. arg is the server's, given back to every call. */
struct sip_proxy_ops {
	/* Send msg (a request) on a new client transaction for branch i to the
	 * address of next_hop (16.6 items 7 and 10). A non-zero return is a transport
	 * failure: the branch counts as a 503 (16.9). */
	int (*send_request)(void *arg, unsigned i, struct sip_str msg, struct sip_str next_hop);
	/* Send msg (a CANCEL for branch i, 9.1) on a new client transaction to the
	 * destination branch i's request went to. */
	int (*send_cancel)(void *arg, unsigned i, struct sip_str msg);
	/* Send msg (a response with this status) on the server transaction. */
	int (*send_response)(void *arg, int status, struct sip_str msg);
	/* Arm (or re-arm) / disarm a timer; branch is the branch index for timer C,
	 * 0 for the decline timer. When it fires call sip_proxy_ctx_timer. */
	void (*timer_start)(void *arg, enum sip_proxy_timer t, unsigned branch, uint32_t ms);
	void (*timer_stop)(void *arg, enum sip_proxy_timer t, unsigned branch);
	void *arg;
};

/* A target (16.5) and how to reach it. */
struct sip_proxy_target {
	struct sip_str uri; /* e.g. a Contact of the AOR's bindings */
	int q;              /* q-value in thousandths; -1 (absent) counts as 1000 */
	/* Per-target overrides of the context's defaults (empty: the default). */
	struct sip_str via, rr, rr_in;
};

struct sip_proxy_ctx;

/* Create the response context for r (validated and preprocessed) and its targets.
 * Targets are sorted by q, highest first (equal q keep their order); a target
 * equal (19.1.4) to an earlier one is dropped (16.5); branch i is the i-th target
 * after that. defaults gives via, rr, rr_in and the policy routes (its target is
 * ignored). cfg, ops and defaults are copied (the strings they point to must
 * outlive the context). r->msg is borrowed: it must stay valid until the
 * context's final response has been sent (sip_proxy_ctx_final_status != 0).
 * -EINVAL when there is no target (the server answers 480, 16.5). */
int sip_proxy_ctx_alloc(struct sip_proxy_ctx **cp, const struct sip_proxy_config *cfg,
			const struct sip_proxy_ops *ops, const struct sip_proxy_req *r,
			const struct sip_proxy_fwd *defaults, const struct sip_proxy_target *targets,
			size_t ntargets);
void sip_proxy_ctx_free(struct sip_proxy_ctx *c);

/* Forward to the first q group. */
int sip_proxy_ctx_start(struct sip_proxy_ctx *c);

/* A response from branch i's client transaction (borrowed for the call). */
int sip_proxy_ctx_response(struct sip_proxy_ctx *c, unsigned i, struct sip_msg *resp);
/* Branch i's client transaction timed out (timer B or F): a 408. */
int sip_proxy_ctx_timeout(struct sip_proxy_ctx *c, unsigned i);
/* Branch i's client transaction reported a transport error: a 503 (16.9). */
int sip_proxy_ctx_transport_error(struct sip_proxy_ctx *c, unsigned i);
/* A timer armed through ops->timer_start fired. Timer C (16.8): a branch that had
 * a provisional response is cancelled, and either way the branch counts as a 408. */
int sip_proxy_ctx_timer(struct sip_proxy_ctx *c, enum sip_proxy_timer t, unsigned branch);
/* The caller's CANCEL for the request (16.10): every pending branch is cancelled
 * (the CANCEL's Reason copied, RFC 3326 2), no branch is started any more, and
 * when no final response was sent yet a 487 goes upstream. The server answers
 * the CANCEL itself with 200 (9.2: sip_out_response_to(cancel, 200, NULL,
 * sip_proxy_ctx_to_tag(c)), so both carry the same To tag). cancel may be NULL. */
int sip_proxy_ctx_cancel(struct sip_proxy_ctx *c, struct sip_msg *cancel);

/* The status of the final response sent upstream (the first one), 0 before. */
int sip_proxy_ctx_final_status(const struct sip_proxy_ctx *c);
/* A final response was sent and every branch has ended: the context may go
 * (after the server transaction, if the server wants late 2xx forwarded
 * statefully; later ones go through sip_proxy_response_stateless). */
bool sip_proxy_ctx_done(const struct sip_proxy_ctx *c);
/* The To tag of the responses the context makes itself (408, 487, 500): the
 * server's 200 to the caller's CANCEL should carry the same (9.2). */
struct sip_str sip_proxy_ctx_to_tag(struct sip_proxy_ctx *c);
unsigned sip_proxy_ctx_branch_count(const struct sip_proxy_ctx *c);
/* Branch i: final status (0 while pending or never started; 408 for a timeout,
 * 503 for a transport error) and whether it was started. */
int sip_proxy_ctx_branch_status(const struct sip_proxy_ctx *c, unsigned i, bool *started);

/* ---- Decline policy (the callee's call policy) ---- */

struct sip_decline_policy {
	bool dnd;                    /* do not disturb: decline every new call */
	const struct sip_str *blocked; /* caller URIs (AORs, tel: numbers) */
	size_t nblocked;
	int block_status;            /* 603 (also when 0) or 607 Unwanted (RFC 8197) */
};

struct sip_decline {
	int status;                  /* 0: no decline; 603 or 607 */
	const char *text;            /* Reason text: "Do Not Disturb", "Caller Blocked",
				      * "Unwanted" */
	const char *why;             /* for the log: "dnd" or "blocklist" */
};

/* Decide whether the callee's policy declines req (an out-of-dialog INVITE,
 * MESSAGE or SUBSCRIBE; anything else, or a request with a To tag, is never
 * declined). The caller is the From URI and any P-Asserted-Identity; a blocked
 * entry matches on user and host (host case-insensitive), or on the number when
 * either side is a tel: URI or user=phone (visual separators ignored). The
 * blocklist is checked before DND. Returns 0 (decision in *out) or -EINVAL. */
int sip_proxy_decline_decide(struct sip_decline *out, const struct sip_decline_policy *p,
			     struct sip_msg *req);

/* The final response for a decision: status, the catalogue's phrase and
 * Reason: SIP;cause=<status>;text="<text>" (RFC 3326). */
int sip_proxy_decline_response(struct sip_out **op, struct sip_msg *req,
			       const struct sip_decline *d, struct sip_str to_tag);

#endif

/* siphon services layer: the SIP events notifier core (RFC 6665 subscriptions,
 * RFC 3903 publications, RFC 5839 conditional notification) with the presence
 * (RFC 3856/3863), dialog (RFC 4235), message-summary (RFC 3842) and reg (RFC 3680)
 * packages.
 *
 * The core is transport independent: the server hands it parsed SUBSCRIBE and
 * PUBLISH requests and gets back the response to send (a struct sip_out built with
 * the msg layer's builder), while NOTIFY requests come out serialized through the
 * send_notify callback. Everything the core needs from the outside world comes in
 * through struct sip_events_ops: the clock, the authorization policy, persistence
 * and one timer. So it is unit-tested without sockets, and `siphon serve` stays thin:
 *
 *   SUBSCRIBE -> sip_events_subscribe()  -> send *resp on the server transaction
 *   PUBLISH   -> sip_events_publish()    -> send *resp
 *   send_notify(n) -> start a client transaction for n->msg towards n->sub's flow;
 *                     its final response (or 408 on timeout) -> sip_events_notify_result()
 *   set_timer(at)  -> arm the one timer at `at` (seconds, ops->now's clock);
 *                     when it fires -> sip_events_run_timers()
 *   persist_sub / persist_pub -> write or delete the record in the store
 *   at start: sip_events_restore_pub() / sip_events_restore_sub() for every stored
 *             record, publications first (then the timers are re-armed by set_timer)
 *   proxy: sip_events_dialog_update(); registrar: sip_events_reg_update();
 *   `siphon mwi set`: sip_events_mwi_set().
 *
 * Entity tags (RFC 5839 6.1): each (resource, package) state version gets a tag
 * made of a per-process random prefix and a counter, never "*", unique across
 * versions and restarts; publication tags (RFC 3903) use a separate prefix letter,
 * so the two spaces never meet (RFC 5839 4, 6.1).
 *
 * Threading: one owner thread; no call is reentrant from inside a callback except
 * that callbacks may read the notify/record they are given. */
#ifndef SIPHON_EVENTS_H
#define SIPHON_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/build.h"
#include "siphon/msg.h"
#include "siphon/str.h"

struct sip_events;

/* Authorization decision for a watcher (RFC 6665 4.2.1.3, RFC 3856 6.6.2). */
enum sip_events_policy {
	SIP_EVENTS_ALLOW = 0,   /* active */
	SIP_EVENTS_PENDING,     /* 200 + NOTIFY pending (no state revealed) */
	SIP_EVENTS_REJECT,      /* 603 Decline (blocked watcher) */
};

enum sip_events_substate {
	SIP_EVENTS_SUB_PENDING = 0,
	SIP_EVENTS_SUB_ACTIVE = 1,
	SIP_EVENTS_SUB_TERMINATED = 2,
};

/* RFC 5839 suppression flags of a subscription (same values as the store's). */
enum {
	SIP_EVENTS_SUPPRESS_MATCH = 1u << 0, /* Suppress-If-Match: tag, in force while it matches */
	SIP_EVENTS_SUPPRESS_ALL = 1u << 1,   /* Suppress-If-Match: *: asleep, state changes only */
};

/* Where a request came from; copied into the subscription so its NOTIFYs go back
 * the same way (RFC 6665: NOTIFY over the subscription's transport). */
struct sip_events_req {
	struct sip_msg *msg;        /* the parsed SUBSCRIBE or PUBLISH (borrowed) */
	struct sip_str resource;    /* canonical AOR of the target; empty: sip:user@host of the R-URI */
	struct sip_str watcher;     /* authenticated identity; empty: the From URI */
	struct sip_str transport;   /* "UDP", "TCP", "TLS", "WS", ...: Via of the NOTIFYs */
	struct sip_str local;       /* "host:port" it arrived on: Via sent-by of the NOTIFYs */
	struct sip_str dest;        /* "ip:port" it came from */
	uint64_t flow_id;           /* connection it came on (0: none) */
};

/* A NOTIFY to send. Every slice is valid only during the send_notify call. */
struct sip_events_notify {
	uint64_t sub_id;            /* pass back to sip_events_notify_result */
	struct sip_str msg;         /* the complete serialized request */
	struct sip_str next_hop;    /* first Route URI, else the remote target (RFC 3261 12.2.1.1) */
	struct sip_str transport, dest, local;
	uint64_t flow_id;
	uint32_t cseq;
	bool terminated;            /* Subscription-State: terminated (the subscription is gone) */
	bool has_body;
};

/* A subscription as persisted and restored (mirrors the store's record). */
struct sip_events_sub_record {
	uint64_t sub_id;            /* ignored by restore (a new id is given) */
	struct sip_str call_id, local_tag, remote_tag;
	struct sip_str event, event_id;
	struct sip_str resource;    /* canonical AOR */
	struct sip_str watcher;
	struct sip_str contact;     /* remote target (URI) */
	struct sip_str route_set;   /* route URIs with <>, comma-joined, NOTIFY order */
	struct sip_str local_uri;   /* our URI in the dialog (To of the SUBSCRIBE) */
	struct sip_str remote_uri;  /* the subscriber's URI (From of the SUBSCRIBE) */
	struct sip_str accept;
	struct sip_str transport, dest, local;
	uint64_t flow_id;
	int64_t expires_at;
	uint32_t local_cseq, remote_cseq;
	uint32_t version;           /* dialog-info / reginfo document version (RFC 4235 4.1) */
	enum sip_events_substate state;
	struct sip_str last_etag;   /* tag of the state last notified */
	struct sip_str suppress_etag;
	unsigned suppress;          /* SIP_EVENTS_SUPPRESS_* */
};

/* A publication as persisted and restored (RFC 3903; mirrors the store's record). */
struct sip_events_pub_record {
	struct sip_str entity, event, etag;
	int64_t expires_at;
	struct sip_str content_type, body;
	int64_t updated_at;         /* composition order: newest wins */
};

struct sip_events_ops {
	/* Current time in seconds (any epoch, monotonic enough; tests use a manual clock). */
	int64_t (*now)(void *arg);
	/* May watcher see package state of resource? NULL: everyone is allowed. */
	enum sip_events_policy (*authorize)(void *arg, struct sip_str resource,
					    struct sip_str package, struct sip_str watcher);
	/* Send a NOTIFY (required). */
	void (*send_notify)(void *arg, const struct sip_events_notify *n);
	/* A subscription was created or changed (removed false) or is gone (removed true). */
	void (*persist_sub)(void *arg, const struct sip_events_sub_record *r, bool removed);
	void (*persist_pub)(void *arg, const struct sip_events_pub_record *r, bool removed);
	/* The earliest deadline changed: arm the timer at `at`; INT64_MAX: cancel it. */
	void (*set_timer)(void *arg, int64_t at);
	void *arg;
};

struct sip_events_config {
	uint32_t min_expires;       /* SUBSCRIBE Min-Expires (423 below it); 0: 60 */
	uint32_t max_expires;       /* SUBSCRIBE expires are shortened to this; 0: 86400 */
	uint32_t pub_min_expires;   /* PUBLISH Min-Expires; 0: 60 */
	uint32_t pub_max_expires;   /* 0: 86400 */
	uint32_t pub_default_expires; /* PUBLISH without Expires (RFC 3903 6 step 4); 0: 3600 */
	uint32_t max_subs_per_watcher; /* subscriptions one watcher may hold; a SUBSCRIBE that
					* would create one more gets 403 "Forbidden (too many
					* subscriptions)"; refreshes, unsubscribes, fetches and
					* restores are never refused; 0: no limit */
	struct sip_str contact;     /* Contact of the notifier, e.g. "<sip:ps.example.com>" (required) */
};

/* Create a notifier. cfg and ops are copied (cfg->contact too). 0, -EINVAL, -ENOMEM. */
int sip_events_alloc(struct sip_events **evp, const struct sip_events_config *cfg,
		     const struct sip_events_ops *ops);
/* Free everything without sending anything. NULL is accepted. */
void sip_events_free(struct sip_events *ev);

/* Process a SUBSCRIBE. On 0, *resp is the response to send (the caller frees it):
 * 200 (never 202, RFC 6665 8.3.1), 204 (RFC 5839 6.3), 400, 403 (the watcher's
 * max_subs_per_watcher reached), 406, 423, 481, 489, 500, 603. NOTIFYs it triggers go out through send_notify before the call returns; the
 * server may hold them until the response is on its way (a NOTIFY may also overtake
 * the 200, RFC 6665 4.1.2.4). persist_sub is called before the call returns too, so
 * the server can send the 200 once that record is committed (nothing acknowledged
 * is lost).
 * -EINVAL when req->msg is not a SUBSCRIBE request, -ENOMEM. */
int sip_events_subscribe(struct sip_events *ev, struct sip_out **resp, const struct sip_events_req *req);

/* Process a PUBLISH (RFC 3903 6): 200 with SIP-ETag and Expires, 400, 412, 415, 423,
 * 489. A change of the composed state notifies every subscriber of the resource. */
int sip_events_publish(struct sip_events *ev, struct sip_out **resp, const struct sip_events_req *req);

/* The final response to a NOTIFY (status 200..699; 408 for a transaction timeout).
 * 404, 405, 408, 410, 416, 480-485, 489, 501, 604 end the subscription
 * (RFC 6665 4.2.2). SIP_ENOTFOUND for an unknown (already ended) subscription. */
int sip_events_notify_result(struct sip_events *ev, uint64_t sub_id, int status);

/* Expire every subscription and publication due at ops->now(): final NOTIFYs with
 * terminated;reason=timeout, composed state updated. Call when the timer fires. */
void sip_events_run_timers(struct sip_events *ev);
/* The earliest deadline, or INT64_MAX. */
int64_t sip_events_next_timer(const struct sip_events *ev);

/* Authorization of watcher for resource changed (RFC 6665 4.2.1.3): pending
 * subscriptions become active (NOTIFY with state) or are rejected
 * (terminated;reason=rejected); active ones can be rejected. Returns how many
 * subscriptions changed. */
int sip_events_policy_changed(struct sip_events *ev, struct sip_str resource,
			      struct sip_str watcher, enum sip_events_policy policy);

/* ---- dialog package (RFC 4235), fed by the proxy ---- */
enum sip_events_dialog_state {
	SIP_EVENTS_DLG_TRYING, SIP_EVENTS_DLG_PROCEEDING, SIP_EVENTS_DLG_EARLY,
	SIP_EVENTS_DLG_CONFIRMED, SIP_EVENTS_DLG_TERMINATED,
};
struct sip_events_dialog {
	struct sip_str id;          /* unique among the entity's current dialogs */
	struct sip_str call_id, local_tag, remote_tag;
	enum sip_events_dialog_state state;
	bool initiator;             /* direction: the entity sent the INVITE */
	struct sip_str local_identity, remote_identity, remote_display;
	struct sip_str event;       /* terminated: cancelled, rejected, replaced, local-bye, ... */
	int code;                   /* response code with the transition, 0: none */
};
/* Record a dialog state change of entity (its AOR): subscribers get a partial
 * dialog-info document (full after a SUBSCRIBE). Terminated dialogs are reported
 * once and then dropped. */
int sip_events_dialog_update(struct sip_events *ev, struct sip_str entity,
			     const struct sip_events_dialog *d);

/* ---- reg package (RFC 3680), fed by the registrar ---- */
struct sip_events_reg_contact {
	struct sip_str id;          /* contact id; empty: derived from the URI */
	struct sip_str uri;
	bool active;
	struct sip_str event;       /* registered, created, refreshed, shortened, expired,
				     * deactivated, probation, unregistered, rejected */
	uint32_t expires;           /* seconds left (written when active) */
	uint32_t duration_registered;
	int q;                      /* thousandths, -1: absent */
	struct sip_str call_id;
	uint32_t cseq;
};
int sip_events_reg_update(struct sip_events *ev, struct sip_str aor,
			  const struct sip_events_reg_contact *c);

/* ---- message-summary package (RFC 3842) ---- */
struct sip_events_mwi {
	uint32_t new_msgs, old_msgs, urgent_new, urgent_old;
};
int sip_events_mwi_set(struct sip_events *ev, struct sip_str aor, const struct sip_events_mwi *m);

/* ---- restore after restart ---- */
/* Recreate a publication (no NOTIFY; expired records are dropped: returns 0). */
int sip_events_restore_pub(struct sip_events *ev, const struct sip_events_pub_record *r);
/* Recreate a subscription (no NOTIFY; expired or terminated records are dropped:
 * returns 0). Its local CSeq continues 10000 above the stored one, because NOTIFY
 * CSeqs are not persisted one by one (RFC 3261 12.2.1.1 only asks for an
 * increase). *sub_id (may be NULL) gets its new id. -EEXIST when that
 * subscription (dialog, package, id) is already there, -EINVAL for an incomplete
 * record. */
int sip_events_restore_sub(struct sip_events *ev, const struct sip_events_sub_record *r,
			   uint64_t *sub_id);

/* ---- inspection ---- */
/* "presence, dialog, message-summary, reg" (for Allow-Events). */
struct sip_str sip_events_allow_events(void);
/* Current entity tag of (resource, package); SIP_ENOTFOUND when the resource has
 * no state yet. The slice is valid until the next call into ev. */
int sip_events_etag(struct sip_events *ev, struct sip_str resource, struct sip_str package,
		    struct sip_str *out);
/* Current full body of (resource, package) (valid until the next call into ev). */
int sip_events_body(struct sip_events *ev, struct sip_str resource, struct sip_str package,
		    struct sip_str *ctype, struct sip_str *body);
size_t sip_events_sub_count(const struct sip_events *ev);
/* The subscriptions watcher holds (the count max_subs_per_watcher limits). */
size_t sip_events_watcher_sub_count(const struct sip_events *ev, struct sip_str watcher);
size_t sip_events_pub_count(const struct sip_events *ev);

/* ---- PIDF (RFC 3863), used by the presence package ---- */
/* Check that body is a PIDF document: well-formed XML, root <presence> in
 * urn:ietf:params:xml:ns:pidf with an entity, tuples with an id and a <status>
 * holding at least one element, <basic> open or closed. 0 or SIP_EPARSE. */
int sip_pidf_validate(struct sip_str body);

#endif

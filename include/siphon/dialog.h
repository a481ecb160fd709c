/* siphon dialog layer: dialogs (RFC 3261 section 12).
 *
 * A struct sip_dialog is the state one UA keeps for one dialog: the dialog id
 * (Call-ID, local tag, remote tag), the local and remote sequence numbers, the
 * local and remote URIs, the remote target, the route set, the secure flag and
 * whether the dialog is early or confirmed (12, 12.1). It is created from the
 * request and the response that establish it, on the UAC side (12.1.2) or the UAS
 * side (12.1.1), builds the requests this UA sends inside it (12.2.1.1), checks the
 * requests it receives (12.2.2) and follows target refreshes.
 *
 * Ownership. A dialog owns copies of everything it keeps: the messages it was
 * created from may be freed right after the call. Slices in struct sip_dialog
 * borrow from the dialog and stay valid until it is freed, except remote_target,
 * which a target refresh replaces (read it again after sip_dialog_refresh_target).
 *
 * The dialog table indexes dialogs by id in a hash table (O(1) find, add and
 * remove; intrusive: indexing never allocates). Not thread-safe.
 *
 * Every function returns 0 or a negative error (-EINVAL, -ENOMEM, SIP_ENOTFOUND for
 * a missing header, SIP_EPARSE for one that does not parse); out-params are written
 * only on success. */
#ifndef SIPHON_DIALOG_H
#define SIPHON_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/build.h"
#include "siphon/msg.h"
#include "siphon/str.h"

/* The dialog id (12): an empty tag is the "null" tag of an RFC 2543 peer. */
struct sip_dialog_id {
	struct sip_str call_id;
	struct sip_str local_tag;
	struct sip_str remote_tag;
};

/* The id of a message this UA received (12): a request is seen as UAS (local tag
 * from To, remote tag from From), a response as UAC (local tag from From, remote
 * tag from To). Slices borrow from m. */
int sip_dialog_id_of(struct sip_dialog_id *out, struct sip_msg *m);

enum sip_dialog_state {
	SIP_DIALOG_EARLY = 1,  /* created by a 101-199 response */
	SIP_DIALOG_CONFIRMED,  /* a 2xx arrived or was sent */
};

struct sip_dialog_route; /* one route set entry (private) */

struct sip_dialog {
	struct sip_dialog_id id;
	enum sip_dialog_state state;
	bool uac;                    /* created as UAC (12.1.2) or UAS (12.1.1) */
	bool secure;                 /* TLS and a SIPS Request-URI (12.1.1, 12.1.2) */
	bool local_seq_set;          /* false: the local sequence number is "empty" */
	bool remote_seq_set;
	uint32_t local_seq;
	uint32_t remote_seq;
	struct sip_str local_uri;    /* URI text, without < > */
	struct sip_str remote_uri;
	struct sip_str remote_target; /* empty until a Contact is seen */
	/* Private: route set, storage, table links. */
	struct sip_dialog_route *routes;
	unsigned nroutes;
	char *fixed;                 /* id, URIs and route set (one block) */
	char *target;                /* remote_target (replaced on refresh) */
	struct sip_dialog *hnext;    /* dialog table chain */
	uint64_t hash;
	bool in_table;
};

/* UAC side (12.1.2): req is the request this UA sent (INVITE, SUBSCRIBE, ...),
 * resp the 101-299 response that establishes the dialog (a 1xx makes it early).
 * Route set: resp's Record-Route values in reverse order; remote target: resp's
 * Contact URI (empty when a 1xx had none); local sequence number from req's CSeq;
 * remote sequence number empty. secure_transport: req was sent over TLS. */
int sip_dialog_uac_alloc(struct sip_dialog **dp, struct sip_msg *req, struct sip_msg *resp,
			 bool secure_transport);

/* UAS side (12.1.1): req is the request this UA received, status the 101-299
 * response it sends and local_tag the To tag of that response (never empty).
 * Route set: req's Record-Route values in order; remote target: req's Contact URI
 * (required: SIP_ENOTFOUND without one); remote sequence number from req's CSeq;
 * local sequence number empty. secure_transport: req arrived over TLS. */
int sip_dialog_uas_alloc(struct sip_dialog **dp, struct sip_msg *req, int status,
			 struct sip_str local_tag, bool secure_transport);

/* Subscriber side (RFC 6665 4.1.2.4): a NOTIFY for the SUBSCRIBE this UA sent
 * creates the dialog, whether or not the 2xx to the SUBSCRIBE came first (and
 * each NOTIFY from another notifier of a forked SUBSCRIBE creates its own). The
 * NOTIFY is a request this UA received, so 12.1.1 applies to it: route set from
 * its Record-Route in order, remote target from its Contact (required), remote
 * sequence number from its CSeq, remote tag from its From; the local tag, local
 * URI, remote URI and local sequence number come from the SUBSCRIBE. The dialog
 * is confirmed. -EINVAL when the NOTIFY does not match the SUBSCRIBE (Call-ID, or
 * its To tag is not the SUBSCRIBE's From tag). */
int sip_dialog_notify_alloc(struct sip_dialog **dp, struct sip_msg *subscribe, struct sip_msg *notify,
			    bool secure_transport);

/* Free a dialog (after removing it from its table, if any). NULL is ignored. */
void sip_dialog_free(struct sip_dialog *d);

/* UAC: a further response resp to the dialog-creating request arrived on this
 * dialog (same id). A 2xx confirms an early dialog and, as the 2xx establishes the
 * dialog, its Record-Route values replace the route set (12.1.2: "overrides any
 * pre-existing route set") and its Contact the remote target; a 1xx with a Contact
 * updates the remote target of an early dialog. -EINVAL if resp does not belong to
 * the dialog or is not 101-299. */
int sip_dialog_uac_update(struct sip_dialog *d, struct sip_msg *resp);

/* UAS: the UA sends a 2xx after the 1xx that made the dialog early. */
void sip_dialog_confirm(struct sip_dialog *d);

/* Is method a target refresh request (12.2: re-INVITE; RFC 3311 UPDATE; RFC 6665
 * 4.1.2 and 4.2.1: SUBSCRIBE and NOTIFY)? ACK is not. */
bool sip_dialog_is_target_refresh(enum sip_method method);

/* Target refresh (12.2.1.2, 12.2.2): m is a target refresh request the UA received
 * and accepts, or a 2xx response to one it sent. The remote target becomes m's
 * Contact URI, if m has one (no Contact: nothing changes, 0). -EINVAL when m is
 * not a target refresh request or a 2xx to one. The route set never changes. */
int sip_dialog_refresh_target(struct sip_dialog *d, struct sip_msg *m);

/* UAS check of a request received within the dialog (12.2.2). *status gets 0
 * when the request is in order (the remote sequence number is then set to its
 * CSeq), or 500 when it is out of order: its CSeq is lower than the remote
 * sequence number, or equal for anything but ACK (requests are "strictly
 * monotonically increasing", 12.2.1.1; an ACK for a 2xx carries the INVITE's
 * number, 13.2.2.4). A rejected request changes nothing. CANCEL is hop by hop
 * and belongs to the transaction, not the dialog: *status 0, no change.
 * SIP_ENOTFOUND / SIP_EPARSE for a missing or bad CSeq (answer 400). */
int sip_dialog_uas_request(struct sip_dialog *d, struct sip_msg *req, int *status);

/* Options for building a request within the dialog. */
struct sip_dialog_req_opts {
	/* "SIP/2.0/UDP host:port": when set, a top Via with this sent-by and a new
	 * RFC 3261 branch is added; when empty the caller adds the Via. */
	struct sip_str via;
	/* Contact value (e.g. "<sip:alice@192.0.2.1>") to add; should be set for a
	 * target refresh request (12.2.1.1), and must be a SIPS URI when the dialog
	 * is secure (-EINVAL otherwise). Empty: none. */
	struct sip_str contact;
	/* ACK for a 2xx (13.2.2.4): the CSeq number of the INVITE. */
	uint32_t ack_cseq;
};

/* Build a request within the dialog (12.2.1.1): To = remote URI with the remote
 * tag, From = local URI with the local tag (tags omitted when null), Call-ID,
 * CSeq = local sequence number + 1 (the first one is chosen per 8.1.1.5) with the
 * method, Max-Forwards: 70, and Request-URI and Route from the remote target and
 * the route set: empty route set: Request-URI = remote target, no Route; first
 * route with lr: Request-URI = remote target, Route = the route set; first route
 * without lr (strict router): Request-URI = the first route's URI without the
 * parameters a Request-URI may not carry (method, headers; 19.1.1), Route = the
 * rest of the route set followed by the remote target. An ACK takes ack_cseq and
 * leaves the local sequence number alone; any other method increments it (CANCEL
 * is not built here: use sip_out_cancel). -EINVAL when the remote target is empty
 * or method is not a token. The caller adds the body and other headers. */
int sip_dialog_request(struct sip_out **op, struct sip_dialog *d, struct sip_str method,
		       const struct sip_dialog_req_opts *opts);

/* Where a request built by sip_dialog_request goes (8.1.2): the first route set
 * URI when the route set is not empty, else the remote target. Borrowed from d. */
struct sip_str sip_dialog_next_hop(const struct sip_dialog *d);

/* The route set: number of entries and entry i as it appeared in Record-Route
 * (name-addr with its parameters, e.g. "<sip:p1.example.com;lr>"). */
unsigned sip_dialog_route_count(const struct sip_dialog *d);
struct sip_str sip_dialog_route(const struct sip_dialog *d, unsigned i);

/* Append to b the URI uri (text, no < >) as it may appear in a Request-URI: the
 * parameters RFC 3261 19.1.1 does not allow there (method) and the headers part
 * are removed, everything else is kept verbatim. SIP_EPARSE for a bad URI. Used
 * for a strict router's Request-URI (12.2.1.1) and by proxies (16.6 item 2). */
int sip_dialog_ruri_from_uri(struct sip_buf *b, struct sip_str uri);

/* ---- The dialog table ---- */

struct sip_dialog_table;

int sip_dialog_table_alloc(struct sip_dialog_table **tp);
/* Free the table and every dialog still in it. */
void sip_dialog_table_free(struct sip_dialog_table *t);
size_t sip_dialog_table_count(const struct sip_dialog_table *t);
/* Add d (not in a table yet): -EEXIST when a dialog with the same id is there,
 * -ENOMEM if the table could not grow. */
int sip_dialog_table_add(struct sip_dialog_table *t, struct sip_dialog *d);
/* Remove d from t (no-op if it is not in a table). The dialog is not freed. */
void sip_dialog_table_remove(struct sip_dialog_table *t, struct sip_dialog *d);
/* The dialog with this id, or NULL. Call-ID and tags compare byte-wise. */
struct sip_dialog *sip_dialog_table_find(const struct sip_dialog_table *t,
					 const struct sip_dialog_id *id);
/* The dialog a received message belongs to (sip_dialog_id_of + find), or NULL. */
struct sip_dialog *sip_dialog_table_match(const struct sip_dialog_table *t, struct sip_msg *m);

#endif

/* siphon txn layer: RFC 3261 section 17 transactions, with RFC 6026.
 *
 * A struct sip_txn_layer holds every client and server transaction of one SIP
 * element, indexed by hash tables (O(1) matching, 17.1.3 and 17.2.3) and timed by a
 * struct sip_timers (timer.h: a manual clock in tests, libuv in the server). It does
 * not know sockets: it sends through struct sip_txn_transport, a function pointer
 * the transport layer (src/net) provides, and it is fed received messages with
 * sip_txn_layer_recv. tests/e2e/txn_peer.c wires it to src/net: the transport's
 * send is sip_net_send (sip_txn_dest and sip_net_dest map field by field), net's
 * on_recv calls sip_txn_layer_recv, net's on_error calls
 * sip_txn_layer_transport_error.
 *
 * Upward, the transaction user (TU: UA core, proxy core, dialogs) gets:
 *   - sip_txn_tu.request: a request created a new server transaction;
 *   - sip_txn_tu.stray: a message that matched no transaction and created none (an
 *     ACK for a 2xx, 17.2.3 / 13.3.1.4; a response with no client transaction, e.g.
 *     a 2xx retransmission after Timer M; RFC 6026 7.2);
 *   - per-transaction events through sip_txn_cb: responses (client), ACK in the
 *     Accepted state (server, RFC 6026 7.1), timeouts (B, F, H), transport errors
 *     (17.1.4, 17.2.4) and, last, TERMINATED.
 *
 * Lifetimes and callbacks (shared/STYLE.md 12): the layer owns every transaction and
 * destroys it only from its own timer callbacks or receive path, never inside a
 * call the TU made (sip_txn_respond, sip_txn_client_alloc), so a transaction pointer
 * stays valid until its SIP_TXN_EV_TERMINATED event; after that callback returns it
 * is freed. Callbacks are copied before the call and called after the state is
 * updated. A call that returns an error never calls a callback. A transport
 * error the transport reports while the layer is inside one of its sends or a
 * TU callback waits for a zero-delay timer (sip_txn_layer_transport_error).
 * Not thread-safe: one layer per event loop. */
#ifndef SIPHON_TXN_H
#define SIPHON_TXN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "siphon/msg.h"
#include "siphon/timer.h"

/* Transport protocols. Only UDP is unreliable (RFC 3261 17: "unreliable transport"
 * is UDP; TCP, TLS, SCTP and WebSocket are reliable). */
enum sip_txn_proto {
	SIP_TXN_UDP = 0,
	SIP_TXN_TCP,
	SIP_TXN_TLS,
	SIP_TXN_WS,
	SIP_TXN_WSS,
};

/* Where a message goes, or where a received one came from. */
struct sip_txn_dest {
	enum sip_txn_proto proto;
	union {
		struct sockaddr sa;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} addr;           /* address and port (network order, as in sockaddr) */
	uint64_t conn_id; /* stream connection to use / it arrived on; 0: none or any */
	/* TLS: the server identity a new connection's certificate is checked
	 * against, the host of the URI addr was resolved from (RFC 5922 7.3: the
	 * domain before any SRV step; sip_net_dest.tls_host). NUL-terminated,
	 * borrowed: it must stay valid while a transaction holding this
	 * destination lives. NULL: the certificate must name addr's IP. */
	const char *tls_host;
};

/* The transport interface (implemented by src/net; a test double in unit tests).
 * send: hand buf[0..len) to the transport for dst. Returns 0 when accepted, or a
 * negative error (the transaction reports it to the TU: 17.1.4, 17.2.4); the bytes
 * need not outlive the call. On success *conn_id is the stream connection the
 * bytes went on or were queued on, a new one when send opened it (0: none, UDP):
 * the layer records it as the transaction's destination (sip_txn_dest), so a later
 * failure of that connection, reported with sip_txn_layer_transport_error, finds
 * the transaction that opened it (a TCP connect refused, a TLS handshake or
 * certificate check that fails). send must not call the layer, except that it
 * may report such a failure with sip_txn_layer_transport_error inside the call
 * (a write that fails and closes the connection); the layer delivers that report
 * after the call, from a zero-delay timer.
 * reliable: is the transport used for dst reliable? NULL means "every protocol
 * except UDP". */
struct sip_txn_transport {
	int (*send)(void *arg, const struct sip_txn_dest *dst, const char *buf, size_t len, uint64_t *conn_id);
	bool (*reliable)(void *arg, const struct sip_txn_dest *dst);
	void *arg;
};

/* Timer values (RFC 3261 17.1.1.1, table 4). Zero fields take the RFC default. */
struct sip_txn_config {
	uint32_t t1_ms;     /* RTT estimate, 500 */
	uint32_t t2_ms;     /* cap on non-INVITE request and INVITE response retransmission, 4000 */
	uint32_t t4_ms;     /* time a message stays in the network, 5000 */
	uint32_t timer_d_ms; /* INVITE client Completed over UDP: > 32 s, 32000 */
	uint32_t trying_ms; /* INVITE server sends 100 Trying if the TU is silent this long, 200 */
};

enum sip_txn_state {
	SIP_TXN_CALLING = 1, /* INVITE client */
	SIP_TXN_TRYING,      /* non-INVITE client and server */
	SIP_TXN_PROCEEDING,
	SIP_TXN_COMPLETED,
	SIP_TXN_CONFIRMED,   /* INVITE server */
	SIP_TXN_ACCEPTED,    /* INVITE client and server (RFC 6026) */
	SIP_TXN_TERMINATED,
};
const char *sip_txn_state_name(enum sip_txn_state s);

enum sip_txn_event_type {
	SIP_TXN_EV_RESPONSE = 1,    /* client: a response for the TU (msg) */
	SIP_TXN_EV_ACK,             /* INVITE server in Accepted: an ACK (msg), RFC 6026 */
	SIP_TXN_EV_TIMEOUT,         /* client: Timer B or F (the TU acts as on a 408);
				     * INVITE server: Timer H, the ACK never came */
	SIP_TXN_EV_TRANSPORT_ERROR, /* a send made by the transaction itself failed (err) */
	SIP_TXN_EV_TERMINATED,      /* last event: the transaction is freed after it */
};

struct sip_txn_event {
	enum sip_txn_event_type type;
	struct sip_msg *msg; /* RESPONSE, ACK: borrowed, valid during the callback only */
	int err;             /* TIMEOUT: SIP_ETIMEOUT; TRANSPORT_ERROR: the send error */
	char timer;          /* TIMEOUT: 'B', 'F' or 'H'; TERMINATED: the timer that ended
			      * it ('D', 'K', 'I', 'J', 'L', 'M', 'B', 'F', 'H') or 0 */
};

struct sip_txn;
struct sip_txn_layer;

typedef void (*sip_txn_cb)(struct sip_txn *t, const struct sip_txn_event *ev, void *arg);
/* A new server transaction st for req (owned by st, valid while st lives). For a
 * CANCEL, cancelled is the INVITE server transaction it matches (9.2), or NULL (the
 * TU answers 481). Set the transaction's event callback with sip_txn_set_cb. */
typedef void (*sip_txn_request_cb)(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled,
				   void *arg);
/* A message that matched no transaction and created none; m is borrowed for the call;
 * src is where it came from. */
typedef void (*sip_txn_stray_cb)(struct sip_msg *m, const struct sip_txn_dest *src, void *arg);

struct sip_txn_tu {
	sip_txn_request_cb request;
	sip_txn_stray_cb stray;
	void *arg;
};

/* Create a layer. ts, tp and tu are copied (ts is borrowed and must outlive the
 * layer); cfg may be NULL. 0 or -EINVAL / -ENOMEM. */
int sip_txn_layer_alloc(struct sip_txn_layer **lp, struct sip_timers *ts, const struct sip_txn_transport *tp,
			const struct sip_txn_tu *tu, const struct sip_txn_config *cfg);
/* Destroy every transaction (no callbacks) and the layer. Not from a callback. */
void sip_txn_layer_free(struct sip_txn_layer *l);
/* Live transactions. */
size_t sip_txn_layer_count(const struct sip_txn_layer *l);

/* A message received from src. The layer takes m in every case (it keeps it as the
 * request of a new server transaction, or frees it). Returns 0, or SIP_EPARSE when
 * the message lacks what matching needs (a Via, a CSeq; it is dropped: 17.1.3 /
 * 18.1.2 discard a response whose top Via is not ours), -ENOMEM. */
int sip_txn_layer_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct sip_txn_dest *src);

/* Send bytes outside any transaction (an ACK for a 2xx, 13.2.2.4; a stateless
 * response). The transport's error is returned. */
int sip_txn_layer_send(struct sip_txn_layer *l, const struct sip_txn_dest *dst, const char *buf, size_t len);

/* The transport reports that sending to conn_id failed after send returned 0 (a
 * connection that closed or never opened). Every transaction whose destination is
 * that connection (the one its send used or opened) gets a TRANSPORT_ERROR
 * (client transactions then terminate, 17.1.4: the TU acts as on a 503, 8.1.3.1;
 * server transactions keep their state, RFC 6026 8.8). O(transactions).
 * Delivered at once when called from outside the layer (the transport's own event
 * callback); when it comes in while the layer is busy (inside a send, or inside
 * a TU callback: a synchronous report), it is queued and delivered from a
 * zero-delay timer, so no TU callback is re-entered and no transaction is freed
 * under a caller that holds it. A client transaction ends once: a report for a
 * transaction that already ended (its send failed, the report came too) is
 * dropped. */
void sip_txn_layer_transport_error(struct sip_txn_layer *l, uint64_t conn_id, int err);

/* Start a client transaction: send req to dst and run 17.1.1 (INVITE) or 17.1.2.
 * req must be a request other than ACK whose top Via carries an RFC 3261 branch
 * (z9hG4bK...); its bytes (req->buf) are what is sent and retransmitted. On success
 * the transaction owns req and *tp is set; on failure (-EINVAL, -ENOMEM, the
 * transport's error) nothing is kept, req is still the caller's, no callback runs. */
int sip_txn_client_alloc(struct sip_txn **tp, struct sip_txn_layer *l, struct sip_msg *req,
			 const struct sip_txn_dest *dst, sip_txn_cb cb, void *arg);

/* The TU of t will not ask for its request once a final response has been
 * passed (a proxy core: it forwards responses and builds its CANCELs from its
 * own copy). The transaction then frees the request as soon as it no longer
 * needs it and keeps only what it matches messages on: the top Via branch and
 * sent-by and the method (17.1.3, 17.2.3). So the long states hold little more
 * than the message they resend: Completed (Timer D, 32 s over UDP) and Accepted
 * (Timer M) of an INVITE client, Confirmed (Timer I) and Accepted (Timer L) of
 * an INVITE server transaction.
 *   client: on a final response (INVITE: after the ACK for a non-2xx is built
 *     from it, 17.1.1.3; non-INVITE: Completed, 17.1.2.2);
 *   INVITE server: on the ACK (Confirmed), at the first Timer G (Completed), or
 *     on the timer turn after the 2xx (Accepted): never inside the call that
 *     passed the response, whose caller may still read the request.
 *     A transaction made by an RFC 2543 request (no magic cookie) keeps it: its
 *     matching compares most of the request (17.2.3).
 * From then on sip_txn_request(t) is NULL. */
void sip_txn_lean(struct sip_txn *t);

/* Pass a response from the TU to server transaction st: buf[0..len) is one whole
 * response (copied). It is sent to the request's source per 18.2.2 / RFC 3581
 * and drives 17.2.1 / 17.2.2. Returns 0; -EINVAL when buf is not a status line or
 * st is not a server transaction or does not take a response now (Completed,
 * Confirmed, Terminated; Accepted takes only 2xx retransmissions); or the
 * transport's error, in which case the transaction still moved as if sent (RFC 6026
 * 8.8: a transport error does not destroy server transaction state). */
int sip_txn_respond(struct sip_txn *st, const char *buf, size_t len);

/* Set the event callback (server transactions start without one). */
void sip_txn_set_cb(struct sip_txn *t, sip_txn_cb cb, void *arg);

enum sip_txn_state sip_txn_state(const struct sip_txn *t);
bool sip_txn_is_client(const struct sip_txn *t);
bool sip_txn_is_invite(const struct sip_txn *t);
bool sip_txn_is_reliable(const struct sip_txn *t);
/* The request that created the transaction (owned by it); NULL once a lean
 * transaction has dropped it (sip_txn_lean). */
struct sip_msg *sip_txn_request(const struct sip_txn *t);
/* Where the transaction sends: the request's destination (client) or the response
 * destination computed from the request's source and top Via (server, 18.2.2);
 * conn_id is the stream connection its last send used (transport send). */
const struct sip_txn_dest *sip_txn_dest(const struct sip_txn *t);

/* Matching (17.1.3, 17.2.3), for the TU and for tests: the transaction m would be
 * delivered to, without delivering it. A response finds its client transaction;
 * a request its server transaction (an ACK finds the INVITE's). NULL when none. */
struct sip_txn *sip_txn_match(struct sip_txn_layer *l, struct sip_msg *m);
/* The INVITE server transaction a CANCEL request cancels (9.2), or NULL. */
struct sip_txn *sip_txn_match_cancel(struct sip_txn_layer *l, struct sip_msg *cancel);

#endif

/* siphon txn layer: private structures shared by client.c, server.c, match.c and
 * layer.c. */
#ifndef SIPHON_TXN_INT_H
#define SIPHON_TXN_INT_H

#include "siphon/buf.h"
#include "siphon/txn.h"

#define container_of(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

struct sip_txn {
	/* Hash chain (embedded: indexing never allocates). */
	struct sip_txn *hnext;
	struct sip_txn **hpprev;
	uint32_t hash;
	uint8_t state;           /* enum sip_txn_state */
	bool client;
	bool invite;
	bool reliable;
	bool rfc2543;            /* server: the request's branch lacks the magic cookie */
	bool responded;          /* server: the TU passed a response */
	bool lean;               /* free req once it is not needed (sip_txn_lean) */
	char end_timer;          /* which timer t_end is: 'B','F','H','D','K','I','J','L','M' */
	uint16_t status;         /* last response sent (server) or received (client) */
	uint32_t interval;       /* current A / E / G interval, ms */
	struct sip_txn_layer *layer;
	struct sip_timer t_retx; /* A, E, G; in INVITE server Proceeding: the 100 Trying delay */
	struct sip_timer t_end;  /* B, F, H, D, K, I, J, L, M */
	struct sip_txn_dest dest;
	struct sip_msg *req;     /* the request that created the transaction (owned);
				  * NULL once a lean client transaction dropped it */
	const struct sip_via *via; /* req's top Via (in req's arena); NULL with req */
	/* Matching key of an RFC 3261 transaction (17.1.3, 17.2.3): the top Via
	 * branch and sent-by, and the method; slices of req, or of key_mem once
	 * req is dropped (sip_txn_lean). */
	struct sip_str branch;
	struct sip_str sent_host;
	uint16_t sent_port;
	struct sip_str method_str;
	enum sip_method method;
	char *key_mem;
	struct sip_buf out;      /* server: last response sent; client: ACK for a non-2xx */
	sip_txn_cb cb;
	void *arg;
};

struct txn_table {
	struct sip_txn **b;
	uint32_t mask;           /* buckets - 1 (a power of two) */
	size_t n;
};

/* A transport error reported while the layer was busy, delivered later. */
struct txn_conn_err {
	uint64_t conn_id;
	int err;
};

struct sip_txn_layer {
	struct sip_timers *ts;
	struct sip_txn_transport tp;
	struct sip_txn_tu tu;
	struct sip_txn_config cfg; /* defaults filled in */
	struct txn_table clients;
	struct txn_table servers;
	/* Depth of transport sends and TU callbacks in progress: a transport error
	 * reported meanwhile waits in errs for the zero-delay timer t_err. */
	unsigned busy;
	struct txn_conn_err *errs;
	size_t nerrs, caperrs;
	struct sip_timer t_err;
};

/* What matching needs from a message (all borrowed from it). */
struct txn_key {
	const struct sip_via *via;
	bool cookie;                 /* branch starts with z9hG4bK */
	enum sip_method method;      /* request method, or CSeq method of a response */
	struct sip_str method_str;
	const struct sip_cseq *cseq;
	struct sip_str call_id;
};

/* Matching modes for server transactions (17.2.3, 9.2). */
enum txn_match_mode {
	TXN_MATCH_SAME,   /* a retransmission of the request that created it */
	TXN_MATCH_ACK,    /* an ACK: the INVITE it acknowledges */
	TXN_MATCH_CANCEL, /* a CANCEL: the INVITE it cancels */
};

/* match.c */
int txn_key_get(struct sip_msg *m, struct txn_key *k);
uint32_t txn_hash(const struct sip_txn *t);
int txn_table_init(struct txn_table *tb, unsigned bits);
void txn_table_free(struct txn_table *tb);
void txn_table_insert(struct txn_table *tb, struct sip_txn *t);
void txn_table_remove(struct txn_table *tb, struct sip_txn *t);
struct sip_txn *txn_find_client(struct sip_txn_layer *l, struct sip_msg *resp, const struct txn_key *k);
struct sip_txn *txn_find_server(struct sip_txn_layer *l, struct sip_msg *req, const struct txn_key *k,
				enum txn_match_mode mode);
bool txn_method_eq(enum sip_method a, struct sip_str as, enum sip_method b, struct sip_str bs);

/* layer.c */
/* Free a lean transaction's request, keeping its matching key (no-op unless
 * lean, or for an RFC 2543 transaction, whose matching needs the request). */
void txn_drop_req(struct sip_txn *t);
int txn_send(struct sip_txn *t, const char *buf, size_t len);
void txn_event(struct sip_txn *t, enum sip_txn_event_type type, struct sip_msg *m, int err, char timer);
/* Call the TU's request / stray callback (the layer is busy meanwhile). */
void txn_tu_request(struct sip_txn_layer *l, struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled);
void txn_tu_stray(struct sip_txn_layer *l, struct sip_msg *m, const struct sip_txn_dest *src);
void txn_terminate(struct sip_txn *t, char timer);
void txn_destroy(struct sip_txn *t);
/* Is the transport to dst reliable? Retransmission timers are skipped on it and
 * D, I, J, K are zero (17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2). */
bool txn_reliable(struct sip_txn_layer *l, const struct sip_txn_dest *dst);
struct sip_txn *txn_new(struct sip_txn_layer *l, struct sip_msg *req, const struct sip_via *via, bool client);

/* client.c / server.c */
int txn_client_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct txn_key *k,
		    const struct sip_txn_dest *src);
int txn_server_recv(struct sip_txn_layer *l, struct sip_msg *m, const struct txn_key *k,
		    const struct sip_txn_dest *src);

#endif

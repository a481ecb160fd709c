/* Private interface of the net layer (src/net). */
#ifndef SIPHON_NET_INT_H
#define SIPHON_NET_INT_H

#include <uv.h>

#include "siphon/net.h"

struct ssl_ctx_st;
struct ssl_st;
struct bio_st;
struct sip_conn;

/* A stream transport (Redis' ConnectionType): what differs between TCP, TLS and,
 * later, WebSocket once a TCP connection exists. The common code (stream.c) owns
 * the socket, the framing, the caps and the timers; ops only transform bytes. */
struct sip_transport_ops {
	enum sip_tp tp;
	/* Set up a new connection (accepted when server is true). 0 or negative. */
	int (*init)(struct sip_conn *c, bool server);
	/* The TCP connection is up: start any handshake. Calls sip_conn_ready when the
	 * connection can carry SIP. */
	int (*start)(struct sip_conn *c);
	/* Bytes read from the socket: decode them and pass SIP bytes to
	 * sip_conn_input. Negative to close the connection. */
	int (*read)(struct sip_conn *c, const char *buf, size_t len);
	/* SIP bytes to send on a ready connection: encode and sip_conn_write_raw. */
	int (*write)(struct sip_conn *c, const char *buf, size_t len);
	/* Free what init allocated (called once, from the close callback). */
	void (*free)(struct sip_conn *c);
};

extern const struct sip_transport_ops sip_tcp_ops;
extern const struct sip_transport_ops sip_tls_ops;

struct sip_listener {
	struct sip_net *net;
	enum sip_tp tp;
	struct sip_net_addr addr;         /* bound address (real port) */
	struct sip_net_hostport adv;      /* advertised (sip_listener_advertised) */
	bool adv_explicit;                /* adv came from the spec's advertise= */
	const struct sip_transport_ops *ops; /* streams */
	struct sip_listener *next;
	union {
		uv_udp_t udp;
		uv_tcp_t tcp;
	} h;
	char *rbuf;                       /* UDP receive buffer (recvmmsg chunks) */
	size_t rbuf_size;
};

enum conn_state {
	CONN_CONNECTING,  /* TCP connect in progress (client side) */
	CONN_HANDSHAKE,   /* transport handshake (TLS) */
	CONN_READY,
	CONN_CLOSING,     /* uv_close called; waiting for the close callbacks */
};

#define CONN_KEYS 2   /* remote address, alias (the peer's listening sent-by) */

/* One (transport, address) under which a connection can be found. */
struct conn_key {
	struct conn_key *next;            /* bucket chain */
	struct sip_conn *conn;
	struct sip_net_addr addr;
	bool set;
};

struct sip_conn {
	uv_tcp_t tcp;                     /* first: handle->data is also the conn */
	uv_timer_t timer;                 /* idle / connect timeout */
	struct sip_net *net;
	const struct sip_transport_ops *ops;
	struct sip_listener *lis;         /* accepting listener, NULL for client connections */
	enum conn_state state;
	bool server;
	bool close_after_write;           /* answered a framing error: close when flushed */
	uint8_t handles;                  /* open uv handles (tcp, timer) */
	uint8_t ka;                       /* bytes of a CRLFCRLF keep-alive ping seen */
	uint64_t last_active;             /* uv_now of the last read or write */
	uv_connect_t connect_req;
	uint64_t id;
	struct sip_net_addr remote;
	struct sip_net_addr local;
	/* Indexes: by id, and by (tp, address) under up to CONN_KEYS keys. */
	struct sip_conn *id_next;
	struct conn_key keys[CONN_KEYS];
	struct sip_conn *all_prev, *all_next;
	/* Receive side: bytes of an incomplete message (or several) not yet framed. */
	char *rbuf;
	size_t rlen, rcap;
	size_t last_len;                  /* sip_msg_frame's last_len for rbuf */
	size_t need;                      /* bytes the framed message needs (0: unknown) */
	/* SIP bytes queued before the connection is ready. */
	char *pend;
	size_t plen, pcap;
	size_t wqueued;                   /* bytes in uv_write requests not yet done */
	/* TLS. */
	char *tls_host;                   /* client: the host to verify (RFC 5922), or NULL */
	const char *err_detail;           /* why it failed, beyond the error code (static
					     text, e.g. OpenSSL's verify reason), or NULL */
	struct ssl_st *ssl;
	struct bio_st *rbio, *wbio;
};

#define NET_CONN_BUCKETS 1024

#define NET_UDP_BATCH 64

struct sip_net {
	uv_loop_t *loop;
	struct sip_net_config cfg;        /* defaults filled in */
	struct sip_listener *listeners;
	struct sip_conn *conns;           /* all connections not closing */
	unsigned nconns;
	unsigned nhandles;                /* open uv handles: close completes at 0 */
	uint64_t next_conn_id;
	struct sip_conn *by_id[NET_CONN_BUCKETS];
	struct conn_key *by_key[NET_CONN_BUCKETS];
	bool closing;
	uint64_t cap_logged;              /* uv_now of the last "cap reached" warning */
	sip_net_closed_cb closed_cb;
	void *closed_arg;
	char *sbuf;                       /* shared stream read buffer (one loop thread) */
	size_t sbuf_size;
	struct ssl_ctx_st *tls_server;
	struct ssl_ctx_st *tls_client;
	const char *err_detail;           /* sip_net_error_detail during a callback */
	/* Corked UDP sends (sip_net_cork): gathered for sendmmsg(2). */
	unsigned cork;
	unsigned npend;
	struct udp_pend {
		struct sip_listener *lis;
		struct sip_net_addr to;
		size_t off, len;
	} pend[NET_UDP_BATCH];
	char *pbuf;
	size_t plen, pcap;
};

/* net.c */
void sip_net_handle_closed(struct sip_net *net);
/* The parse step: one received message (datagram or frame) to the callback. */
void sip_net_deliver(struct sip_net *net, const char *buf, size_t len,
		     const struct sip_net_src *src);
/* A connection closed: on_error if bytes were lost (err != 0), then on_conn_closed. */
void sip_net_report_close(struct sip_net *net, const struct sip_conn *c, int err,
			  bool undelivered);
void sip_net_alias_from_via(struct sip_net *net, struct sip_msg *msg,
			    const struct sip_net_src *src);

/* udp.c */
int sip_udp_listen(struct sip_listener *lis);
int sip_udp_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		 size_t len);
void sip_udp_close(struct sip_listener *lis);
/* Hand the corked datagrams to the kernel. */
void sip_udp_flush(struct sip_net *net);

/* stream.c */
int sip_stream_listen(struct sip_listener *lis);
void sip_stream_close_listener(struct sip_listener *lis);
int sip_stream_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		    size_t len, uint64_t *conn_id);
struct sip_conn *sip_conn_find_id(const struct sip_net *net, uint64_t id);
void sip_conn_close(struct sip_conn *c, int err);
void sip_conn_ready(struct sip_conn *c);
int sip_conn_input(struct sip_conn *c, const char *buf, size_t len);
int sip_conn_write_raw(struct sip_conn *c, const char *buf, size_t len);
void sip_conn_set_alias(struct sip_conn *c, const struct sip_net_addr *alias);
void sip_conn_src(const struct sip_conn *c, struct sip_net_src *src);

/* tls.c */
int sip_tls_ctx_init(struct sip_net *net, bool server);
void sip_tls_ctx_free(struct sip_net *net);

#endif

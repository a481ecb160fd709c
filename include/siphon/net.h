/* siphon net layer: SIP transports on a libuv loop.
 *
 * A struct sip_net owns every socket of one SIP element: the listeners (UDP, TCP,
 * TLS; IPv4 and IPv6) and the stream connections, accepted or opened by us. It
 * hands every received message up as a parsed struct sip_msg with its source
 * (struct sip_net_src), and sends bytes down to a destination (struct sip_net_dest)
 * over UDP or a stream connection, reusing a connection to the same peer when one
 * is open (RFC 5923 spirit) and opening one otherwise.
 *
 * Each stream transport is a struct sip_transport_ops (src/net/net_int.h): TCP and
 * TLS today, WebSocket (RFC 7118) later, invisible to the layers above. A TLS
 * connection we open authenticates the server (RFC 3261 26.3.1, RFC 5922 7.3) by
 * default: see sip_net_config.tls_ca_file and sip_net_dest.tls_host.
 *
 * Everything runs on the loop's thread; nothing here starts a thread. Callbacks
 * may call any function of this header, including sip_net_close.
 *
 * Use (the transaction layer's view):
 *   sip_net_alloc(&net, &cfg)  with cfg.on_recv (every parsed message and its
 *                              struct sip_net_src) and cfg.on_error (bytes that
 *                              could not be delivered, by conn_id);
 *   sip_net_listen(net, spec)  per "udp:ADDR:PORT" / "tcp:..." / "tls:..." spec;
 *   requests:  sip_net_send_request (applies the 18.1.1 UDP->TCP switch and
 *              rewrites the top Via), or sip_net_send;
 *   responses: sip_net_response_dest(req, src) gives the 18.2.2 destination
 *              (the request's connection first); sip_net_via_fix + _apply write
 *              received/rport into the response's top Via (RFC 3581);
 *   sip_net_close(net, cb, arg) and keep running the loop until cb. */
#ifndef SIPHON_NET_H
#define SIPHON_NET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "siphon/msg.h"
#include "siphon/str.h"

struct uv_loop_s;

/* Transport protocols, as written in Via sent-protocol and URI transport=. */
enum sip_tp {
	SIP_TP_NONE = 0,
	SIP_TP_UDP,
	SIP_TP_TCP,
	SIP_TP_TLS,
	SIP_TP_WS,
	SIP_TP_WSS,
	SIP_TP__COUNT
};

/* "UDP", "TCP", "TLS", "WS", "WSS" ("" for NONE). */
const char *sip_tp_name(enum sip_tp tp);
/* Case-insensitive; SIP_TP_NONE for anything else. */
enum sip_tp sip_tp_from_str(struct sip_str s);
/* Reliable (stream) transports skip retransmissions (RFC 3261 17.1.1.2). */
bool sip_tp_reliable(enum sip_tp tp);
/* RFC 3261 19.1.2: 5060, or 5061 over TLS. */
uint16_t sip_tp_default_port(enum sip_tp tp);

/* A socket address, IPv4 or IPv6. */
struct sip_net_addr {
	union {
		struct sockaddr sa;
		struct sockaddr_in in4;
		struct sockaddr_in6 in6;
	} u;
};

/* IP literal (IPv6 with or without brackets) and port. 0 or -EINVAL. */
int sip_net_addr_set(struct sip_net_addr *out, struct sip_str ip, uint16_t port);
uint16_t sip_net_addr_port(const struct sip_net_addr *a);
void sip_net_addr_set_port(struct sip_net_addr *a, uint16_t port);
/* Same family, IP and port. */
bool sip_net_addr_eq(const struct sip_net_addr *a, const struct sip_net_addr *b);
/* The IP alone: "192.0.2.1" or "2001:db8::1" (no brackets); dst must hold
 * SIP_NET_IPSTR bytes. Returns the length. */
#define SIP_NET_IPSTR 46
size_t sip_net_addr_ip(char *dst, const struct sip_net_addr *a);
/* "192.0.2.1:5060" or "[2001:db8::1]:5060"; dst must hold SIP_NET_ADDRSTR bytes. */
#define SIP_NET_ADDRSTR 56
size_t sip_net_addr_format(char *dst, const struct sip_net_addr *a);

/* A host and port as told to peers (Via sent-by, Record-Route, Contact): a name
 * or an IP literal, IPv6 in brackets. host "" means not set. */
#define SIP_NET_HOSTMAX 256
struct sip_net_hostport {
	char host[SIP_NET_HOSTMAX];   /* NUL-terminated */
	uint16_t port;                /* 0: not given */
};
/* "host:port" text of a struct sip_net_hostport: dst holds SIP_NET_HOSTPORTSTR bytes. */
#define SIP_NET_HOSTPORTSTR (SIP_NET_HOSTMAX + 6)

/* A listening socket spec: "udp:ADDR:PORT", "tcp:...", "tls:...", IPv6 as
 * "udp:[::1]:5060". Port 0 asks the kernel for a free port. An optional suffix
 * "/advertise=HOST[:PORT]" names the address peers are told to use for this socket
 * (Kamailio's "advertise", OpenSIPS's "as"): a bind to 0.0.0.0, a private address
 * behind a static NAT, or a DNS name. HOST is a host name or an IP literal (IPv6 in
 * brackets), not a wildcard; PORT defaults to the bound port. Without it a
 * wildcard bind advertises the host's primary address (sip_net_primary_addr).
 * 0 or -EINVAL. */
struct sip_listen_spec {
	enum sip_tp tp;
	struct sip_net_addr addr;
	struct sip_net_hostport advertise; /* host "": none given */
};
int sip_listen_spec_parse(struct sip_listen_spec *out, const char *spec);
/* Why spec does not parse (static text naming the fault), or NULL when it does. */
const char *sip_listen_spec_check(const char *spec);

/* Does a names the unspecified address (0.0.0.0 or ::)? */
bool sip_net_addr_is_any(const struct sip_net_addr *a);
/* IP text as it goes in a URI or a Via sent-by: IPv6 in brackets. dst holds
 * SIP_NET_IPSTR + 2 bytes. Returns the length. */
size_t sip_net_addr_host(char *dst, const struct sip_net_addr *a);
/* The local address the kernel would send from towards `towards`: a UDP socket is
 * connected (a route lookup, no packet leaves) and asked for its name. Port 0.
 * 0, or a negative errno (-ENETUNREACH when there is no route). */
int sip_net_source_addr(struct sip_net_addr *out, const struct sip_net_addr *towards);
/* The host's primary address of family (AF_INET or AF_INET6): the source address
 * towards the default route (probed with the documentation addresses 192.0.2.1 and
 * 2001:db8::1, which no host uses, so the default route is what the kernel picks),
 * or the loopback address (127.0.0.1, ::1) when there is no route. Port 0. */
void sip_net_primary_addr(struct sip_net_addr *out, int family);

struct sip_net;
struct sip_listener;

/* Where a received message came from. Valid during the receive callback; copy it
 * (it is a plain value) to answer later. */
struct sip_net_src {
	enum sip_tp tp;
	struct sip_net_addr remote;
	struct sip_net_addr local;
	struct sip_listener *lis;  /* UDP: the socket it came on (answer from it); streams: the
				      listener that accepted the connection, or NULL */
	uint64_t conn_id;          /* stream connection id (never reused), 0 for UDP */
};

/* Where to send. tp and remote are required; conn_id, when not 0, names the
 * connection to use if it is still open (a response goes back on the connection
 * its request came on, RFC 3261 18.2.2); lis picks the UDP socket to send from.
 * tls_host (borrowed for the call), for a new TLS connection, is the host of the
 * URI remote was resolved from (RFC 3261 26.3.1, RFC 5922 7.3: the domain before
 * any SRV step): a name is sent as SNI (RFC 6066 3) and must be a dNSName of the
 * server's certificate, matched whole, no wildcards (RFC 5922 7.2); an IP literal
 * ("192.0.2.1", "[2001:db8::1]") must be an iPAddress of it (RFC 6125). Empty: the
 * certificate must name remote's IP. An open connection to remote is reused
 * without a new check (RFC 5923). */
struct sip_net_dest {
	enum sip_tp tp;
	struct sip_net_addr remote;
	uint64_t conn_id;
	struct sip_listener *lis;
	struct sip_str tls_host;
};

/* A received message. The callback owns msg (sip_msg_free it, or keep it). */
typedef void (*sip_net_recv_cb)(struct sip_msg *msg, const struct sip_net_src *src, void *arg);
/* Bytes handed to sip_net_send could not be delivered: the connection failed to
 * open, the TLS handshake failed, a write failed, or the peer closed it with data
 * still queued (RFC 3261 17.1.4 / 17.2.4: the transaction layer turns this into a
 * transport error). dst->conn_id names the connection. */
typedef void (*sip_net_error_cb)(const struct sip_net_dest *dst, int err, void *arg);
typedef void (*sip_net_closed_cb)(void *arg);
/* A stream connection closed (peer, idle timeout, error, cap): RFC 5626 flows
 * bound to it are gone. err is 0 for an orderly end. Not called by sip_net_close. */
typedef void (*sip_net_conn_closed_cb)(const struct sip_net_dest *conn, int err, void *arg);

/* A message that sip_msg_parse refused: a datagram, or a whole frame of a stream
 * (framing errors themselves are answered by the net layer, which then closes the
 * connection): its bytes, the parser's verdict and its source. The server may answer
 * it (RFC 3261 8.2: 400 with the parser's reason). */
typedef void (*sip_net_bad_cb)(const char *buf, size_t len, const struct sip_parse_error *perr,
			       const struct sip_net_src *src, void *arg);

struct sip_net_config {
	struct uv_loop_s *loop;
	sip_net_recv_cb on_recv;
	sip_net_bad_cb on_bad;         /* may be NULL: unparseable datagrams are dropped */
	sip_net_error_cb on_error;     /* may be NULL */
	sip_net_conn_closed_cb on_conn_closed; /* may be NULL */
	void *arg;                     /* passed to every callback above */
	struct sip_limits limits;      /* parser limits (zeros: defaults) */
	unsigned max_conns;            /* open stream connections; 0: 1024 */
	unsigned udp_rcvbuf;           /* SO_RCVBUF of UDP listeners in bytes; 0: the kernel's */
	size_t max_conn_rbuf;          /* bytes buffered per connection for an incomplete
					  message; 0: the message size limit */
	size_t max_conn_wbuf;          /* bytes queued for writing per connection; 0: 1 MiB */
	unsigned idle_timeout_ms;      /* close a connection idle this long; 0: 120000 */
	unsigned connect_timeout_ms;   /* TCP connect + TLS handshake; 0: 10000 */
	/* TLS: PEM certificate chain and key (required for a tls: listener). */
	const char *tls_cert_file;
	const char *tls_key_file;
	/* TLS client side (RFC 3261 26.3.1, RFC 5922 7.3): every server we connect to
	 * must present a certificate chain to a trusted CA naming the host it was
	 * reached by (sip_net_dest.tls_host), or the connection closes before any SIP
	 * byte is sent (on_error gets SIP_ETLSVERIFY, sip_net_error_detail the reason).
	 * Trusted: the CAs of tls_ca_file (PEM bundle) and tls_ca_dir (c_rehash
	 * directory) when either is set, else the system's store. tls_no_verify
	 * turns the check off (testing against a self-signed server only). */
	const char *tls_ca_file;
	const char *tls_ca_dir;
	bool tls_no_verify;
};

/* Create the transport set (no sockets yet). 0, -EINVAL or -ENOMEM. */
int sip_net_alloc(struct sip_net **netp, const struct sip_net_config *cfg);
/* Bind and listen. *lisp (may be NULL) is the new listener. The bound address
 * (with the kernel's port when spec asked for 0) is logged at info level and
 * given by sip_listener_addr. Negative libuv / OpenSSL error on failure. */
int sip_net_listen(struct sip_net *net, const struct sip_listen_spec *spec,
		   struct sip_listener **lisp);
const struct sip_net_addr *sip_listener_addr(const struct sip_listener *lis);
enum sip_tp sip_listener_tp(const struct sip_listener *lis);
/* What peers are told to use for lis (Via sent-by, Record-Route, Contact): the
 * spec's advertise= (port: the bound one unless given); else, for a wildcard
 * bind, the host's primary address (sip_net_primary_addr, probed once at listen
 * time) with the bound port; else the bound address. Logged at listen time. */
const struct sip_net_hostport *sip_listener_advertised(const struct sip_listener *lis);
/* True when the advertised address came from the spec's advertise=. */
bool sip_listener_advertise_explicit(const struct sip_listener *lis);
/* Iterate the listeners: NULL gives the first, then each in turn, NULL at the end. */
struct sip_listener *sip_net_listener_next(struct sip_net *net, struct sip_listener *prev);
/* "host:port" (SIP_NET_HOSTPORTSTR bytes) to advertise to the peer that sent a
 * message from src, e.g. as the Contact and Via of requests in a dialog it opened:
 * the listener's explicit advertise= when there is one; else the local address the
 * message came to when it is a real address (for a stream, the connection's own
 * address, exact even on a wildcard bind); else the listener's advertised address.
 * Limit: a UDP datagram to a wildcard socket gets the listener's advertised
 * address, not its actual destination (IP_PKTINFO needs recvmsg, which libuv's UDP
 * receive does not expose). Returns the length (0 with dst "" if src knows no
 * local address). */
size_t sip_net_src_advertised(char *dst, const struct sip_net_src *src);
/* Every host:port this net answers to, for recognising URIs that point at us
 * (RFC 3261 16.4, 16.3 item 4): per listener its advertised address and its bound
 * address, and for a wildcard bind every address of that family on the host's
 * interfaces (getifaddrs). cb gets host text (IPv6 in brackets; valid during the
 * call) and port; an address may come more than once. */
typedef void (*sip_net_self_cb)(void *arg, struct sip_str host, uint16_t port);
void sip_net_self_each(struct sip_net *net, sip_net_self_cb cb, void *arg);
/* A listener of transport tp for talking to want (NULL: any): same address family,
 * preferring a wildcard bind or one on the same side of loopback as want, then
 * the one opened first; NULL if none. UDP sends without dst->lis use it; the
 * transaction layer can use it to write its Via sent-by. */
struct sip_listener *sip_net_find_listener(struct sip_net *net, enum sip_tp tp,
					   const struct sip_net_addr *want);

/* Send one whole message. UDP: one datagram now. Streams: appended to the
 * connection named by dst->conn_id if open, else to an open connection to
 * (dst->tp, dst->remote), else to a new connection (queued until it is up).
 * Returns 0 when sent or queued (later failures go to on_error), negative when it
 * cannot even be queued (-EINVAL, -ENOTSUP for WS, SIP_ETOOBIG over a queue cap or
 * for a datagram over 65507 bytes, -ENOMEM, or a libuv error). *conn_id, when
 * not NULL, is the connection used (0 for UDP). */
int sip_net_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		 size_t len, uint64_t *conn_id);

/* Batch UDP sends. Between sip_net_cork and the matching sip_net_uncork (they
 * nest), UDP datagrams are copied aside and handed to the kernel together with
 * sendmmsg(2) at the outermost uncork (or every 64): one system call for a burst
 * of responses, e.g. the registrar's 200s released by one store commit. A corked
 * UDP send returns 0 once copied; a later failure is logged (UDP reports nothing
 * useful to the sender anyway). Stream sends are not affected. */
void sip_net_cork(struct sip_net *net);
void sip_net_uncork(struct sip_net *net);

/* Close every socket. cb (may be NULL) runs once every handle is closed, after
 * the net has been freed; keep running the loop until then. */
void sip_net_close(struct sip_net *net, sip_net_closed_cb cb, void *arg);

/* During an on_error or on_conn_closed callback: what the transport knows beyond
 * err, for the user (SIP_ETLSVERIFY: OpenSSL's verify reason, e.g. "self-signed
 * certificate", "hostname mismatch", "certificate has expired"); "" when nothing. */
const char *sip_net_error_detail(const struct sip_net *net);

/* Introspection (tests, stats). */
unsigned sip_net_conn_count(const struct sip_net *net);
bool sip_net_conn_alive(const struct sip_net *net, uint64_t conn_id);

/* --- Via processing (RFC 3261 18.2.1, RFC 3581) --- */

/* What the server must add to the top Via of a request received from src: the
 * received= parameter when the sent-by host is not the source IP (18.2.1), and
 * rport= with the source port when the request asked for it (RFC 3581 4). The
 * transaction layer writes these into every response's top Via; a proxy writes them
 * into the Via it forwards. received is the source IP text (no brackets). */
struct sip_net_via_fix {
	bool add_received;
	bool fill_rport;
	char received[SIP_NET_IPSTR];
	uint16_t rport;
};
/* 0, or SIP_ENOTFOUND (no Via) / SIP_EPARSE (bad top Via). */
int sip_net_via_fix(struct sip_net_via_fix *out, struct sip_msg *req,
		    const struct sip_net_src *src);

/* Write fix into the top Via of o, an outgoing message whose top Via value is
 * the top Via of req: a response made by sip_out_response_to(req), or req being
 * forwarded (sip_out_from_msg, before the proxy pushes its own Via). Any received
 * and rport parameters are replaced; the other parameters keep their order.
 * 0 (also when fix asks for nothing), SIP_ENOTFOUND, SIP_EPARSE, -ENOMEM. */
struct sip_out;
int sip_net_via_apply(struct sip_out *o, struct sip_msg *req, const struct sip_net_via_fix *fix);

/* RFC 3261 18.2.2 and RFC 3581 4: where to send a response whose top Via is via
 * (with received/rport already filled in, as a stateless proxy sees it).
 * Reliable transports: received (else sent-by) IP and sent-by port; unreliable:
 * received IP and rport when both are there, else received (else sent-by) IP and
 * sent-by port; the default port is 5060 (5061 for TLS). Returns 0, -ENOTSUP for
 * maddr (multicast is not supported), SIP_ENOTFOUND when the sent-by host is a
 * name and there is no received (the caller must resolve it, RFC 3263 5),
 * SIP_EPARSE for an unknown transport. */
int sip_net_response_dest_via(struct sip_net_dest *out, const struct sip_via *via);
/* The same for a response to req, received from src: applies src's received/rport
 * (sip_net_via_fix) and, over a stream, names the connection the request came on
 * (sip_net_send falls back to a connection to the address if it has closed). */
int sip_net_response_dest(struct sip_net_dest *out, struct sip_msg *req,
			  const struct sip_net_src *src);

/* The transport a URI asks for (RFC 3261 18.1.1, 19.1.2, 26.2): its transport=
 * parameter, else TLS for sips:, else UDP. 0, or -EINVAL for sips: with
 * transport=udp (sips needs TLS on every hop) or an unknown transport value. */
int sip_net_uri_tp(enum sip_tp *out, const struct sip_uri *uri);

/* RFC 3261 18.1.1: a request over UDP larger than 1300 bytes (path MTU unknown) must
 * go over a congestion-controlled transport. Given the transport chosen for a
 * request of len bytes, returns the transport to use: TCP instead of UDP when len
 * > SIP_NET_UDP_MTU_LIMIT and tcp_allowed (false when the target said transport=udp
 * explicitly or is known to lack TCP), else tp unchanged. */
#define SIP_NET_UDP_MTU_LIMIT 1300
enum sip_tp sip_net_request_tp(enum sip_tp tp, size_t len, bool tcp_allowed);
/* Rewrite the transport of the top Via of the request in buf[0..len) to tp in
 * place. UDP, TCP and TLS have the same length, so the message does not move.
 * 0, SIP_ENOTFOUND (no Via line), -EINVAL (lengths differ). */
int sip_net_via_set_tp(char *buf, size_t len, enum sip_tp tp);
/* Send a request, applying the 18.1.1 switch: when dst->tp is UDP, buf is larger
 * than the limit and tcp_allowed, rewrites the top Via to TCP and sends over TCP.
 * *used_tp is the transport used (the Via now says it). */
int sip_net_send_request(struct sip_net *net, const struct sip_net_dest *dst, char *buf,
			 size_t len, bool tcp_allowed, enum sip_tp *used_tp, uint64_t *conn_id);

#endif

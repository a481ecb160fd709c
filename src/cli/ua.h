/* The toolkit's user agent (src/cli/ua.c): what `siphon options`, `register`,
 * `message`, `call`, `publish` and `subscribe` share.
 *
 * One libuv loop, one struct sip_net (a UDP or TCP listener on the local address
 * that reaches the target, so responses and in-dialog requests come back), one
 * struct sip_txn_layer: every request goes through an RFC 3261 17 client
 * transaction, which owns retransmissions and Timers B/F. On top of that the UA
 * core (RFC 3261 8.1) builds requests, answers a 401/407 challenge once per
 * request (22.2, 22.3; again only when the server says stale=true), prints each
 * message and response with the catalogue's one-line explanation, and maps the
 * outcome to the exit status (UA_EXIT_*). Private to the CLI: it prints. */
#ifndef SIPHON_CLI_UA_H
#define SIPHON_CLI_UA_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "siphon/buf.h"
#include "siphon/build.h"
#include "siphon/dialog.h"
#include "siphon/dns.h"
#include "siphon/msg.h"
#include "siphon/net.h"
#include "siphon/timer.h"
#include "siphon/txn.h"

/* Exit statuses of the toolkit commands (documented in `siphon help` and README):
 * the class of the final response, so a script can tell "rejected" from "lost". */
enum ua_exit {
	UA_EXIT_OK = 0,        /* 2xx */
	UA_EXIT_ERROR = 1,     /* local error: resolution, socket, bad answer */
	UA_EXIT_USAGE = 2,
	UA_EXIT_3XX = 3,
	UA_EXIT_4XX = 4,
	UA_EXIT_5XX = 5,
	UA_EXIT_6XX = 6,
	UA_EXIT_TIMEOUT = 7,   /* no final response in time (Timer B/F or --timeout) */
};

/* The exit status for a final response code. */
int ua_exit_for(int code);

/* Options every toolkit command takes. */
struct ua_opts {
	const char *from;      /* From URI; default sip:USER@local-address */
	const char *user;      /* digest user name; default the From user */
	const char *password;
	const char *transport; /* udp|tcp|tls; default from the URI (transport=, sips) or DNS (RFC 3263) */
	const char *proxy;     /* outbound proxy: host[:port] or a SIP URI */
	double timeout_s;      /* wait for a final response; default 32 (64*T1) */
	const char *tls_ca;    /* --tls-ca: trust this CA bundle (else the system's) */
	bool insecure;         /* --insecure: do not verify the TLS server at all */
	bool verbose;
	bool json;
};

/* Parse the common option at argv[*i] (advancing *i past its value). 1 when it
 * was one, 0 when it is not a common option, -1 on a bad value (printed). */
int ua_opts_parse(struct ua_opts *o, int argc, char **argv, int *i);
/* A command's --expires value: whole seconds, 0..2^32-1, into *out. On a bad
 * value "siphon CMD: --expires wants seconds" is printed and -1 returned. */
int ua_arg_expires(const char *cmd, const char *v, unsigned *out);

struct ua;
struct ua_req;

/* What a request ended with, or a provisional response on the way. */
struct ua_result {
	struct sip_msg *msg;   /* the response (borrowed for the callback); NULL on timeout/error */
	int code;              /* msg's status, or 408 (timeout) / 503 (transport error) */
	bool final;
	bool timeout;
	bool retransmission;   /* a 2xx to INVITE seen again (the ACK must be resent) */
	bool answering;        /* a 401/407 the UA answers now (no advice printed) */
	double rtt_ms;         /* since the request (its last authenticated copy) was sent */
	struct sip_msg *req;   /* the request that was answered (owned by the UA) */
};

typedef void (*ua_result_cb)(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg);

/* A request to send. Strings are copied by ua_send. */
struct ua_req_spec {
	const char *method;
	const char *ruri;      /* Request-URI */
	const char *to;        /* To value (with ;tag= inside a dialog); default <ruri> */
	const char *call_id;   /* default: the UA's Call-ID */
	uint32_t cseq;         /* 0: the UA's next number */
	bool contact;          /* add the UA's Contact */
	const char *contact_value; /* a Contact value instead of the UA's */
	const char *headers;   /* extra header lines "Name: value\r\n..." */
	const char *route;     /* Route lines "Route: <...>\r\n" (dialog route set) */
	const char *ctype;     /* body Content-Type */
	const char *body;
	size_t body_len;
	const struct sip_txn_dest *dst; /* next hop; default the target or --proxy */
	/* Inside this dialog (12.2.1.1): Request-URI, From, To, Call-ID, CSeq and
	 * Route come from it (ruri, to, call_id, route are ignored; cseq is the ACK's). */
	struct sip_dialog *dlg;
};

struct ua {
	uv_loop_t loop;
	struct sip_net *net;
	struct sip_timers ts;
	struct sip_txn_layer *txl;
	struct sip_listener *lis;
	uv_signal_t sigint;
	uv_timer_t tick;          /* the command's own timer (refresh, duration, interval) */
	struct ua_opts opt;
	enum sip_tp tp;
	/* RFC 3263 targets of the target URI or --proxy, in order; requests go to
	 * targets.t[target] (the next one after a failure, 4.3). */
	struct sip_dns_result targets;
	unsigned target;
	char hop_name[SIP_DNS_NAME];  /* the host they were resolved from: the name a
					 TLS server's certificate must carry (RFC 5922
					 7.3), not the SRV target */
	struct sip_net_dest dst;  /* where requests go (target or --proxy) */
	struct sip_txn_dest tdst; /* the same for the transaction layer */
	char dst_text[SIP_NET_ADDRSTR + 8];
	char tls_host[256];       /* the next hop URI's host: the TLS server's identity */
	char local_ip[SIP_NET_IPSTR];
	uint16_t local_port;
	char host[SIP_NET_ADDRSTR + 2]; /* local "ip:port" for Via and Contact */
	char from_uri[512];
	char from_tag[SIP_TAG_SIZE];
	char call_id[SIP_CALL_ID_SIZE];
	char contact[600];
	uint32_t cseq;
	/* The last challenge (copied header values) answered again for each new
	 * request with the next nonce count (RFC 2617 3.2.2: nc counts uses). */
	struct sip_buf challenge;
	bool challenge_proxy;
	uint32_t nc;
	struct ua_req *reqs;      /* live requests */
	/* Hooks of the command. */
	void (*on_sigint)(struct ua *ua);
	void (*on_request)(struct ua *ua, struct sip_txn *st, struct sip_msg *req);
	void (*on_stray)(struct ua *ua, struct sip_msg *m);
	void (*on_tick)(struct ua *ua);
	void *cmd;
	const struct sip_net_src *cur_src; /* during a receive */
	int status;               /* the exit status */
	bool stopping;
	int sigints;
	uint64_t last_sigint_ns;
};

/* Set up the loop, resolve target_uri (or opt->proxy), open the listener.
 * from_default_user names the From user when --from is absent. On failure a
 * message is printed and UA_EXIT_ERROR/USAGE returned. */
int ua_init(struct ua *ua, const struct ua_opts *opt, const char *target_uri);
/* Run the loop until ua_stop; free everything; return ua->status. */
int ua_run(struct ua *ua);
/* End the run with this exit status (may be called from any callback). */
void ua_stop(struct ua *ua, int status);

/* Send a request. 0 or a negative error (printed). *rp (may be NULL) names the
 * request until its final result has been delivered. */
int ua_send(struct ua *ua, const struct ua_req_spec *spec, ua_result_cb cb, void *arg, struct ua_req **rp);
/* The request r last sent (owned by its transaction). */
struct sip_msg *ua_req_msg(struct ua_req *r);
/* Stop waiting for r (its transaction runs on, silently). */
void ua_req_forget(struct ua *ua, struct ua_req *r);

/* Send bytes outside a transaction (ACK for a 2xx, 13.2.2.4) to dst (NULL: the
 * default next hop). */
int ua_send_raw(struct ua *ua, const struct sip_buf *b, const struct sip_txn_dest *dst);
/* CANCEL the INVITE r (9.1), a transaction of its own; cb gets its result. */
int ua_cancel(struct ua *ua, struct ua_req *r, ua_result_cb cb, void *arg);
/* The next hop for d's requests (12.2.1.1, 8.1.2): --proxy when given, else the
 * first route or the remote target, resolved (RFC 3263, the UA's transport). 0 or -ENOENT. */
int ua_dialog_dest(struct ua *ua, struct sip_txn_dest *out, const struct sip_dialog *d);
/* Build a message of spec (as ua_send would) into b, without sending. */
int ua_build(struct ua *ua, struct sip_buf *b, const struct ua_req_spec *spec, char *branch_out);

/* Answer an incoming request (server transaction st) with code, extra header
 * lines (may be NULL), printed. */
int ua_respond(struct ua *ua, struct sip_txn *st, int code, const char *headers);
/* The same with a body of type ctype (body NULL: none); sent (may be NULL) gets
 * the response's bytes, for a UA core that retransmits a 2xx to INVITE itself
 * (RFC 3261 13.3.1.4). */
int ua_respond_body(struct ua *ua, struct sip_txn *st, int code, const char *headers, const char *ctype,
		    const char *body, size_t body_len, struct sip_buf *sent);

/* Start the command timer (ms) calling ua->on_tick; 0 stops it. */
void ua_tick(struct ua *ua, uint64_t ms);

/* Printing: one line per event (text) or one JSON object (--json). */
void ua_print_response(struct ua *ua, const struct ua_result *res);
/* A note in text mode; in JSON {"event":EVENT,"text":...}. */
void ua_note(struct ua *ua, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append s as a JSON string (quoted, escaped). */
void ua_json_str(struct sip_buf *b, const char *s, size_t len);
/* Emit a JSON object built by the caller (without braces: "\"a\":1,..."). */
void ua_json_emit(struct ua *ua, const char *event, const struct sip_buf *fields);

#endif

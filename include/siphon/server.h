/* siphon server: `siphon serve` (shared/DESIGN.md, layer 9).
 *
 * One process, one libuv loop on one thread: the transports (net), the transaction
 * layer (txn), the services (registrar today; proxy and events plug into the same
 * table, include/siphon/service.h), the nonce state (auth) and the store, whose
 * writer thread delivers completions into the loop through an eventfd. The loop never
 * waits on disk.
 *
 * Configuration: the embedded defaults, then an INI file (--config FILE, read with
 * inih), then the command line, each overriding the one before. Keys (the command
 * line option is the key with --, e.g. --log-level; listen may repeat):
 *
 *   [server]    listen = udp:127.0.0.1:5060   (repeat for more; the first listen on
 *                                              the command line replaces the file's)
 *               listen = udp:0.0.0.0:5060/advertise=sip.example.com:5060
 *                                             (the address peers are told for that
 *                                              socket: Via, Record-Route, Contact;
 *                                              see sip_listen_spec_parse. Without it
 *                                              a wildcard bind advertises the host's
 *                                              primary address)
 *               domain = localhost
 *               db = siphon.db
 *               auth = on | off               (--no-auth is auth = off)
 *               log_level = error | warn | info | debug
 *               tls_cert = FILE, tls_key = FILE
 *               tls_ca = FILE, tls_ca_dir = DIR  (the CAs trusted for servers we
 *                                              connect to over TLS: forwarding, NOTIFY;
 *                                              default the system's store)
 *               tls_verify = on | off         (off: do not verify those servers,
 *                                              RFC 5922 7.3; lab use only)
 *               sync_full = on | off          (fsync every store commit)
 *               commit_interval_ms = 20       (least time between two store commits
 *                                              under load: less CPU per REGISTER, a
 *                                              little more latency)
 *   [registrar] min_expires = 60, max_expires = 7200, default_expires = 3600,
 *               max_bindings = 16
 *   [events]    min_expires = 60, max_expires = 86400   (SUBSCRIBE: 423 below, shortened
 *                                                         above)
 *               pub_min_expires = 60, pub_max_expires = 86400 (PUBLISH)
 *   [proxy]     timer_c = 180500              (ms, RFC 3261 16.8)
 *               decline_wait = 4000           (ms: after a 6xx, the longest wait for
 *                                              the cancelled branches to end)
 *   [auth]      nonce_lifetime = 300
 *               algorithms = sha-256, md5     (the challenges offered, SHA-256 first
 *                                              (RFC 8760); md5 alone for clients that
 *                                              read only the first one, e.g. SIPp)
 *   [limits]    max_message_size = 65535      (bytes of one message, 1024..1048576: a
 *                                              request over it gets 413, or 513 when
 *                                              its header block alone is over; over a
 *                                              stream the connection then closes)
 *               max_connections = 1024        (open TCP/TLS connections; more are
 *                                              refused at accept)
 *               subscriptions_per_user = 100  (subscriptions one watcher holds; a new
 *                                              one beyond is 403; 0: no limit)
 *               request_rate = 0              (requests per second per source IP; 0:
 *                                              off; beyond: 503 with Retry-After)
 *               request_burst = 0             (the token bucket's depth; 0: 2 x rate) */
#ifndef SIPHON_SERVER_H
#define SIPHON_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/log.h"

#define SIP_SERVER_MAX_LISTEN 16

struct sip_server_config {
	char *listen[SIP_SERVER_MAX_LISTEN]; /* owned strings */
	size_t nlisten;
	bool listen_from_cli;       /* the command line's listens replace the file's */
	char *domain;
	char *db;
	bool auth;
	enum sip_log_level log_level;
	char *tls_cert, *tls_key;
	char *tls_ca, *tls_ca_dir;  /* NULL: the system's trust store */
	bool tls_verify;            /* default on */
	bool sync_full;
	int commit_interval_us;      /* store group-commit pacing; <0: none */
	uint32_t min_expires, max_expires, default_expires, max_bindings;
	uint32_t ev_min_expires, ev_max_expires;         /* [events]; 0: the core's defaults */
	uint32_t ev_pub_min_expires, ev_pub_max_expires;
	uint32_t nonce_lifetime;
	uint32_t proxy_timer_c_ms, proxy_decline_wait_ms; /* 0: the proxy core's defaults */
	unsigned auth_algs;         /* SIP_DIGEST_BIT mask offered in challenges; 0: both */
	/* [limits] (DESIGN.md: limits configurable with safe defaults; the defaults and
	 * their reasons are in config.c). */
	uint32_t max_message_size;
	uint32_t max_connections;
	uint32_t subs_per_user;     /* 0: no limit */
	uint32_t request_rate;      /* per source IP per second; 0: off */
	uint32_t request_burst;     /* 0: 2 x request_rate */
};

/* The embedded defaults: UDP and TCP on 127.0.0.1:5060, domain localhost,
 * siphon.db in the working directory, authentication on, log level info, TLS
 * servers verified against the system's trust store.
 * 0 or -ENOMEM. */
int sip_server_config_init(struct sip_server_config *c);
void sip_server_config_free(struct sip_server_config *c);
/* Set one key (see above; '-' and '_' are the same). 0, -EINVAL (unknown key or
 * bad value, msg says which), -ENOMEM. */
int sip_server_config_set(struct sip_server_config *c, const char *section, const char *key,
			  const char *value, char *msg, size_t msgsz);
/* Read an INI file. 0, or -ENOENT / -EINVAL with msg naming the file, line and
 * fault. */
int sip_server_config_load(struct sip_server_config *c, const char *path, char *msg, size_t msgsz);

/* Run the server until SIGTERM or SIGINT, then stop gracefully (the store's pending
 * writes are committed and answered). 0, or a negative error when it cannot start
 * (logged). */
int sip_server_run(const struct sip_server_config *c);

#endif

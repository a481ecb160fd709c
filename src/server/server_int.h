/* siphon server: private helpers shared by the server's files. */
#ifndef SIPHON_SERVER_INT_H
#define SIPHON_SERVER_INT_H

#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/net.h"
#include "siphon/str.h"

/* The text of a response to an unparseable request buf[0..len) (badreq.c): the
 * status line, the request's Via, From, To (with tag added when it has none),
 * Call-ID and CSeq lines, Content-Length: 0. 0, or -1 when it must not or cannot be
 * answered. */
int server_bad_answer(struct sip_buf *b, const char *buf, size_t len, unsigned status,
		      const char *reason, struct sip_str tag);

/* The per-source request rate limit (ratelimit.c, [limits] request_rate): a token
 * bucket per source IP (IPv6: per /64) in a fixed-size table. */
struct server_rl;
enum server_rl_verdict {
	SERVER_RL_PASS = 0, /* within the rate: handle it */
	SERVER_RL_REJECT,   /* over: answer 503 with Retry-After */
	SERVER_RL_DROP,     /* far over (beyond about 4 x rate): drop without an answer */
};
/* rate tokens a second (> 0), burst the bucket's depth (0: 2 x rate), seed keys
 * the hash. 0, -EINVAL, -ENOMEM. */
int server_rl_alloc(struct server_rl **out, uint32_t rate, uint32_t burst, uint64_t seed);
void server_rl_free(struct server_rl *rl);
/* Count one request from src at now_ms (a monotonic millisecond clock). On
 * SERVER_RL_REJECT, *retry_after (may be NULL) is the seconds to wait, >= 1.
 * Addresses other than IPv4 and IPv6 pass. */
enum server_rl_verdict server_rl_check(struct server_rl *rl, const struct sip_net_addr *src,
				       uint64_t now_ms, uint32_t *retry_after);

#endif

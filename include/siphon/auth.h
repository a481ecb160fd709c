/* siphon auth layer: HTTP Digest authentication for SIP.
 *
 * RFC 3261 22 (Digest in SIP), RFC 2617 (qop=auth), RFC 7616 (SHA-256, stale),
 * RFC 8760 (SHA-256 and MD5 challenges in SIP, strongest first).
 *
 * Three parts:
 *   - digest primitives: HA1 and the request-digest for MD5 and SHA-256;
 *   - a nonce state (struct sip_nonce_state): stateless, self-expiring, MAC'ed
 *     nonces plus a bounded nonce-count table that refuses replays;
 *   - server side (challenge values, credential verification) and client side
 *     (the Authorization value answering a challenge).
 *
 * Passwords are never stored: a server keeps HA1 = H(username:realm:password),
 * one per algorithm, and hands the one matching the credentials to
 * sip_auth_verify(). Slices passed in are only borrowed for the call. */
#ifndef SIPHON_AUTH_H
#define SIPHON_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/hdr.h"
#include "siphon/str.h"

/* ---- Digest primitives ------------------------------------------------- */

enum sip_digest_alg {
	SIP_DIGEST_MD5 = 0,    /* RFC 2617; the default when algorithm= is absent */
	SIP_DIGEST_SHA256 = 1, /* RFC 7616 "SHA-256" */
};
#define SIP_DIGEST_ALG_COUNT 2
/* Bit for an algorithm in an algorithm mask. */
#define SIP_DIGEST_BIT(alg) (1u << (alg))
#define SIP_DIGEST_ALL (SIP_DIGEST_BIT(SIP_DIGEST_MD5) | SIP_DIGEST_BIT(SIP_DIGEST_SHA256))
/* Room for the longest lower-case hex digest (SHA-256: 64 digits) and a NUL. */
#define SIP_DIGEST_HEX_SIZE 65

/* "MD5" or "SHA-256" (the algorithm= token); "" for an unknown value. */
const char *sip_digest_alg_name(enum sip_digest_alg alg);
/* Hex length of a digest: 32 (MD5) or 64 (SHA-256); 0 for an unknown value. */
size_t sip_digest_hex_len(enum sip_digest_alg alg);
/* The algorithm= token (case-insensitive). An empty token means MD5 (RFC 2617
 * 3.2.1). 0, or -ENOTSUP for anything else (SHA-512-256, the -sess variants,
 * unknown names). */
int sip_digest_alg_parse(enum sip_digest_alg *out, struct sip_str token);

/* HA1 = H(username ":" realm ":" password) as lower-case hex into out
 * (NUL-terminated, 32 or 64 digits). This is what the user store keeps.
 * The out-param is last here (unlike the rest of siphon) because this is the
 * signature shared with the store layer. 0, -EINVAL (unknown alg), -ENOMEM or
 * -EIO (the crypto library failed); out is written only on success. */
int sip_digest_ha1(enum sip_digest_alg alg, struct sip_str user, struct sip_str realm,
		   struct sip_str password, char out[SIP_DIGEST_HEX_SIZE]);

/* Inputs of the request-digest (RFC 2617 3.2.2.1, RFC 7616 3.4.1). */
struct sip_digest_input {
	enum sip_digest_alg alg;
	struct sip_str ha1;    /* stored HA1, hex */
	struct sip_str method; /* request method, e.g. "REGISTER" (A2's Method) */
	struct sip_str uri;    /* the digest-uri as sent in uri= */
	struct sip_str nonce;
	struct sip_str qop;    /* "auth", or empty for the RFC 2069 form */
	struct sip_str nc;     /* 8 hex digits as sent (qop only) */
	struct sip_str cnonce; /* qop only */
};
/* response = H(HA1:nonce:nc:cnonce:qop:H(method:uri)) with qop, or
 * H(HA1:nonce:H(method:uri)) without (RFC 2069). Lower-case hex into out.
 * 0, -EINVAL (unknown alg, qop other than auth), -ENOMEM or -EIO. */
int sip_digest_response(const struct sip_digest_input *in, char out[SIP_DIGEST_HEX_SIZE]);

/* ---- Nonces and nonce counts -------------------------------------------- */

/* Length of a nonce: 30 bytes (6 issue time, 8 serial, 16 MAC) in base64url
 * without padding. See src/auth/nonce.c for the layout and its reasons. */
#define SIP_NONCE_LEN 40

struct sip_nonce_cfg {
	/* HMAC key. NULL: 32 random bytes drawn at alloc (a restart then
	 * invalidates every outstanding nonce, which clients survive through the
	 * next challenge). Supply one to share nonces across restarts. */
	const uint8_t *secret;
	size_t secret_len;
	uint32_t lifetime_s;   /* nonce lifetime; 0: 300 s */
	uint32_t max_entries;  /* nonce-count table capacity; 0: 16384 (rounded up to a power of two) */
	/* Wall clock in milliseconds since the epoch; NULL: CLOCK_REALTIME.
	 * Tests supply a manual clock. */
	uint64_t (*clock_ms)(void *arg);
	void *clock_arg;
};

/* One per event loop: not thread-safe (it holds a keyed MAC context and the
 * nonce-count table without locks). */
struct sip_nonce_state;

int sip_nonce_state_alloc(struct sip_nonce_state **nsp, const struct sip_nonce_cfg *cfg);
void sip_nonce_state_free(struct sip_nonce_state *ns);

/* A fresh nonce for realm into out (SIP_NONCE_LEN chars and a NUL). bind is
 * optional data the nonce is tied to (for example the client's address); the
 * same bytes must be presented to sip_nonce_check. 0, -EIO. */
int sip_nonce_make(struct sip_nonce_state *ns, char out[SIP_NONCE_LEN + 1], struct sip_str realm,
		   struct sip_str bind);

enum sip_nonce_status {
	SIP_NONCE_VALID = 0,
	SIP_NONCE_STALE,   /* authentic, but older than the lifetime (or from the future) */
	SIP_NONCE_INVALID, /* not one of ours: bad length, alphabet or MAC, other realm or bind */
};
/* What an authentic nonce carries. */
struct sip_nonce_info {
	uint64_t issued_ms;
	uint64_t serial;
};
/* Check a nonce's MAC (constant time) and age. info is written for VALID and STALE. */
enum sip_nonce_status sip_nonce_check(struct sip_nonce_state *ns, struct sip_nonce_info *info,
				      struct sip_str nonce, struct sip_str realm, struct sip_str bind);

enum sip_nc_status {
	SIP_NC_FRESH = 0,   /* not seen before for this nonce */
	SIP_NC_REPLAY,      /* this nonce-count (or an older one out of the window) was used */
	SIP_NC_FORGOTTEN,   /* the table may have dropped this nonce: force a new one (stale=true) */
};
/* Read-only: would nc be accepted for this (valid) nonce? */
enum sip_nc_status sip_nonce_count_peek(struct sip_nonce_state *ns, const struct sip_nonce_info *info,
					uint32_t nc);
/* Accept nc and remember it: check and record in one step, so two copies of a
 * request verified concurrently (HA1 looked up asynchronously) cannot both
 * pass. nc must be at least 1. */
enum sip_nc_status sip_nonce_count_use(struct sip_nonce_state *ns, const struct sip_nonce_info *info,
				       uint32_t nc);

struct sip_nonce_stats {
	uint64_t issued;
	uint32_t entries;     /* live entries in the nonce-count table */
	uint32_t capacity;
	uint64_t evictions;   /* live entries dropped because the table was full */
};
void sip_nonce_stats(const struct sip_nonce_state *ns, struct sip_nonce_stats *out);

/* ---- Server side --------------------------------------------------------- */

struct sip_auth_challenge_opts {
	struct sip_str realm;  /* protection domain, usually the SIP domain */
	struct sip_str opaque; /* optional, echoed back by clients */
	struct sip_str bind;   /* optional nonce binding (see sip_nonce_make) */
	bool stale;            /* RFC 7616 3.3: the previous nonce expired */
	unsigned algs;         /* SIP_DIGEST_BIT mask; 0 means both */
};

/* One challenge value (for WWW-Authenticate or Proxy-Authenticate) appended to
 * out: Digest realm="...", nonce="...", [opaque="...",] [stale=true,]
 * algorithm=ALG, qop="auth". Quoted values are escaped. 0 or -ENOMEM. */
int sip_auth_challenge_format(struct sip_buf *out, enum sip_digest_alg alg, struct sip_str realm,
			      struct sip_str nonce, struct sip_str opaque, bool stale);

/* A fresh nonce and one challenge value per offered algorithm, SHA-256 first
 * (RFC 8760 2.4: the server lists algorithms in order of preference, each in
 * its own header field). out[i] are appended to (reset them first if reused);
 * *np receives the number of values written. 0, -ENOMEM, -EIO. */
int sip_auth_challenge(struct sip_buf out[SIP_DIGEST_ALG_COUNT], size_t *np, struct sip_nonce_state *ns,
		       const struct sip_auth_challenge_opts *o);

/* The request being authenticated. */
struct sip_auth_request {
	struct sip_str realm;       /* our realm: credentials for another one are not ours */
	struct sip_str method;      /* request method text */
	struct sip_str request_uri; /* Request-URI text */
	struct sip_str bind;        /* as given to the challenge */
	/* RFC 3261 22.4 item 6: a proxy may see a Request-URI rewritten on the
	 * way, so it can skip the uri= check (the uri is still in the hash). */
	bool skip_uri_check;
	/* Accept an RFC 2069 response (no qop) with MD5. Off by default: without
	 * qop there is no nc and no cnonce, so such a nonce is accepted only once
	 * (it is recorded as nc 1) which costs the client a challenge per request. */
	bool allow_rfc2069;
};

/* Outcome of sip_auth_verify and what the server should answer (UAS 401 with
 * WWW-Authenticate; a proxy 407 with Proxy-Authenticate instead). */
enum sip_auth_result {
	SIP_AUTH_OK = 0,
	SIP_AUTH_MALFORMED,     /* 400 Bad Request with the reason (missing or bad fields, uri mismatch) */
	SIP_AUTH_WRONG_REALM,   /* not our credentials: try the next Authorization header; none left: challenge */
	SIP_AUTH_UNSUPPORTED,   /* algorithm, qop or userhash we do not do: challenge again */
	SIP_AUTH_BAD_NONCE,     /* not a nonce we issued (forged, modified, other realm): challenge, stale=false */
	SIP_AUTH_STALE,         /* authentic but expired or forgotten: challenge with stale=true */
	SIP_AUTH_REPLAY,        /* nonce-count reused: challenge with stale=true (a new nonce, no password prompt) */
	/* Wrong password or unknown user (the two are not distinguished, so
	 * usernames cannot be probed). Answer 403 Forbidden, which stops the
	 * client; or re-challenge (401, stale=false) so a human can retype the
	 * password, rate-limited because a UA with a stored wrong password loops. */
	SIP_AUTH_BAD_PASSWORD,
};

struct sip_auth_verdict {
	enum sip_auth_result result;
	const char *reason;       /* static English text, never NULL */
	enum sip_digest_alg alg;  /* the credentials' algorithm, when parsed */
	uint32_t nc;              /* the accepted nonce-count (1 for RFC 2069) */
};

/* The algorithm of the credentials, so the caller can fetch the matching HA1
 * before sip_auth_verify. 0 or -ENOTSUP. */
int sip_auth_cred_alg(enum sip_digest_alg *out, const struct sip_auth *cred);

/* Verify parsed credentials (Authorization or Proxy-Authorization) against
 * req, the stored HA1 for (cred->username, realm, alg) and the nonce state.
 * ha1 empty means "no such user": the result is then BAD_PASSWORD after every
 * other check, like a wrong password. The nonce-count is recorded only when the
 * response is correct, so forged requests cannot burn a client's counts.
 * The username itself is bound only through the HA1 the caller looked up for
 * it (cred->username is as parsed, escapes kept). opaque is not checked: the
 * nonce already carries and authenticates everything the server needs.
 * Returns 0 with *out filled, or -EINVAL (ha1 of the wrong length), -ENOMEM,
 * -EIO (crypto failure). */
int sip_auth_verify(struct sip_auth_verdict *out, struct sip_nonce_state *ns, const struct sip_auth *cred,
		    const struct sip_auth_request *req, struct sip_str ha1);

/* ---- Client side --------------------------------------------------------- */

struct sip_auth_client_args {
	struct sip_str username;
	struct sip_str password;
	struct sip_str method;
	struct sip_str uri;     /* the Request-URI the request is sent to */
	struct sip_str cnonce;  /* fresh random token chosen by the caller */
	uint32_t nc;            /* 1 for the first use of a nonce, then 2, 3... */
};

/* Among n parsed challenges (one per WWW-/Proxy-Authenticate value) the best
 * one siphon can answer: Digest, SHA-256 over MD5 (RFC 8760 2.4), qop auth or
 * absent. *idx is its index. 0 or -ENOTSUP (none usable). */
int sip_auth_client_pick(size_t *idx, const struct sip_auth *ch, size_t n);

/* Append to out the Authorization (or Proxy-Authorization) value answering the
 * best of the n challenges. 0, -ENOTSUP (no usable challenge), -EINVAL (a
 * field too long or with a character that cannot be quoted), -ENOMEM, -EIO. */
int sip_auth_client_respond(struct sip_buf *out, const struct sip_auth *ch, size_t n,
			    const struct sip_auth_client_args *a);

#endif

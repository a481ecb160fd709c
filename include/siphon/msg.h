/* siphon msg layer: the SIP message.
 *
 * sip_msg_parse copies one received message into a single heap block (the message,
 * its bytes, its header table and an arena for typed values) and splits the start
 * line and every header in one pass. Typed accessors parse a header value on first
 * use and cache the result in the message (no call-order rules, no void *).
 * Every slice reachable from a struct sip_msg borrows from msg->buf, which lives as
 * long as the message. Errors are data (struct sip_parse_error) so the server can
 * answer 400 "Bad Request (Missing Call-ID)", 413, 414, 505, ... precisely. */
#ifndef SIPHON_MSG_H
#define SIPHON_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/arena.h"
#include "siphon/hdr.h"
#include "siphon/str.h"
#include "siphon/uri.h"

/* Well-known headers. SIP_HDR_OTHER is every header siphon has no id for; it is
 * still kept and reachable by name. Ids stay below 64 (the presence bit mask). */
enum sip_hdr_id {
	SIP_HDR_OTHER = 0,
	SIP_HDR_VIA,                 /* v */
	SIP_HDR_FROM,                /* f */
	SIP_HDR_TO,                  /* t */
	SIP_HDR_CALL_ID,             /* i */
	SIP_HDR_CSEQ,
	SIP_HDR_MAX_FORWARDS,
	SIP_HDR_CONTENT_LENGTH,      /* l */
	SIP_HDR_CONTENT_TYPE,        /* c */
	SIP_HDR_CONTACT,             /* m */
	SIP_HDR_ROUTE,
	SIP_HDR_RECORD_ROUTE,
	SIP_HDR_PATH,
	SIP_HDR_EXPIRES,
	SIP_HDR_MIN_EXPIRES,
	SIP_HDR_ALLOW,
	SIP_HDR_SUPPORTED,           /* k */
	SIP_HDR_REQUIRE,
	SIP_HDR_PROXY_REQUIRE,
	SIP_HDR_UNSUPPORTED,
	SIP_HDR_EVENT,               /* o */
	SIP_HDR_ALLOW_EVENTS,        /* u */
	SIP_HDR_SUBSCRIPTION_STATE,
	SIP_HDR_SIP_ETAG,
	SIP_HDR_SIP_IF_MATCH,
	SIP_HDR_SUPPRESS_IF_MATCH,
	SIP_HDR_REASON,
	SIP_HDR_RETRY_AFTER,
	SIP_HDR_AUTHORIZATION,
	SIP_HDR_PROXY_AUTHORIZATION,
	SIP_HDR_WWW_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_AUTHENTICATION_INFO,
	SIP_HDR_RSEQ,
	SIP_HDR_RACK,
	SIP_HDR_REFER_TO,            /* r */
	SIP_HDR_REFERRED_BY,         /* b */
	SIP_HDR_SESSION_EXPIRES,     /* x */
	SIP_HDR_MIN_SE,
	SIP_HDR_CONTENT_ENCODING,    /* e */
	SIP_HDR_CONTENT_DISPOSITION,
	SIP_HDR_ACCEPT,
	SIP_HDR_USER_AGENT,
	SIP_HDR_SERVER,
	SIP_HDR_SUBJECT,             /* s */
	SIP_HDR_TIMESTAMP,
	SIP_HDR_WARNING,
	SIP_HDR_P_ASSERTED_IDENTITY,
	SIP_HDR_IDENTITY,            /* y */
	SIP_HDR_ACCEPT_CONTACT,      /* a */
	SIP_HDR_REJECT_CONTACT,      /* j */
	SIP_HDR_REQUEST_DISPOSITION, /* d */
	SIP_HDR__COUNT
};

/* Canonical name of a header id ("Call-ID"); "" for SIP_HDR_OTHER. */
const char *sip_hdr_name(enum sip_hdr_id id);
/* Id of a header name, full or compact, case-insensitive; SIP_HDR_OTHER if unknown. */
enum sip_hdr_id sip_hdr_lookup(struct sip_str name);

#define SIP_HDR_NONE UINT16_MAX

/* One header line. Slices borrow from the message buffer. */
struct sip_hdr {
	struct sip_str name;   /* as on the wire (may be compact) */
	struct sip_str value;  /* leading/trailing LWS trimmed; folded lines stay inside */
	uint8_t id;            /* enum sip_hdr_id */
	uint8_t flags;         /* SIP_HDR_F_*: facts sip_msg_parse established (0 = none known) */
	uint16_t next;         /* index of the next header line with the same id, or SIP_HDR_NONE */
};

/* flags: the value holds no ',' at all, so it is a single list element (set by
 * sip_msg_parse; a header line made by other code may leave it 0). */
#define SIP_HDR_F_NO_COMMA 0x01u

/* Limits on what the parser accepts (0 means the default shown). */
struct sip_limits {
	size_t max_msg_size;   /* 65535: larger is 413 Request Entity Too Large (513 for responses) */
	size_t max_line;       /* 8192: longer start line is 414 (request-URI) / 400; header line 400 */
	uint16_t max_headers;  /* 256 header lines: more is 400 */
	uint16_t max_vias;     /* 64 Via values: more is 400 */
};

/* Why a message was rejected: the status to answer (400, 413, 414, 505, ...), a
 * reason phrase naming the fault ("Bad Request (Missing Call-ID)") and the byte
 * offset where the fault was found. reason points to static storage. */
struct sip_parse_error {
	uint16_t status;
	const char *reason;
	size_t offset;
};

struct sip_msg_cache; /* typed-value caches (private to the msg layer) */

struct sip_msg {
	const char *buf;              /* the message bytes (owned copy, NUL-terminated) */
	size_t len;
	bool is_request;
	/* Request line. */
	enum sip_method method;
	struct sip_str method_str;
	struct sip_str ruri_str;
	/* Status line. */
	uint16_t status;
	struct sip_str reason;
	struct sip_str version;       /* "SIP/2.0" */
	/* Headers, in wire order. */
	struct sip_hdr *hdrs;
	uint16_t nhdrs;
	uint64_t present;             /* bit id set when a header of that id is present */
	uint16_t first[SIP_HDR__COUNT]; /* index of the first header of each id, or SIP_HDR_NONE */
	struct sip_str body;          /* Content-Length bytes after the blank line */
	struct sip_msg_cache *cache;  /* typed values parsed so far (in the arena) */
	struct sip_arena arena;
};

/* Parse one complete message (a UDP datagram, or a frame cut by sip_msg_frame).
 * The bytes are copied: buf need not outlive the call. lim may be NULL (defaults).
 * On success *mp is the message (free with sip_msg_free) and 0 is returned.
 * On failure returns SIP_EPARSE or SIP_ETOOBIG and fills *err if err is non-NULL;
 * -ENOMEM when out of memory. A datagram's Content-Length, when present, must not
 * exceed the bytes received (RFC 3261 18.3); extra bytes after it are discarded. */
int sip_msg_parse(struct sip_msg **mp, const char *buf, size_t len,
		  const struct sip_limits *lim, struct sip_parse_error *err);
void sip_msg_free(struct sip_msg *m);

/* A copy of a parsed message in one heap block sized to what it holds: the bytes,
 * the header table and the values sip_msg_parse itself computed (CSeq,
 * Content-Length), with `slack` bytes of arena room for typed values parsed
 * later (more chain heap blocks as usual). Typed values already cached in m are
 * not carried over: they are parsed again on first use. For a message kept for
 * long, e.g. by a transaction: sip_msg_parse sizes its block for a full parse
 * (arena room of 1 KiB plus three times the length). m is left unchanged; free
 * the copy with sip_msg_free. 0, or -ENOMEM. */
int sip_msg_clone_compact(struct sip_msg **out, const struct sip_msg *m, size_t slack);

/* Stream framing (TCP, TLS; RFC 3261 18.3: Content-Length is mandatory on streams).
 * Looks for one whole message at the start of buf[0..len).
 * Returns 0 when a whole message is there: *skip bytes of leading CRLF (RFC 5626
 * keep-alives) come first, then the message of *msg_len bytes (give
 * buf + *skip, *msg_len to sip_msg_parse).
 * Returns SIP_EINCOMPLETE when more bytes are needed; *skip is set too (drop those
 * keep-alive bytes whenever convenient) and *msg_len is 0 while the header section
 * is incomplete, or the length the whole message will have once the headers are
 * complete (wait for that many bytes after *skip).
 * Returns SIP_EPARSE / SIP_ETOOBIG (with *err) when the stream is broken: close it.
 * last_len makes trickled input cost only the new bytes (picohttpparser's trick):
 * pass the len of the previous call for this message when that call returned
 * SIP_EINCOMPLETE with *msg_len == 0 (same buffer start), else 0. */
int sip_msg_frame(const char *buf, size_t len, size_t last_len, const struct sip_limits *lim,
		  size_t *skip, size_t *msg_len, struct sip_parse_error *err);

/* Headers by id or name. */
static inline bool sip_msg_has(const struct sip_msg *m, enum sip_hdr_id id)
{
	return (m->present >> id) & 1u;
}
/* First header line with this id, or NULL. */
const struct sip_hdr *sip_msg_hdr(const struct sip_msg *m, enum sip_hdr_id id);
/* Next header line with the same id as h, or NULL. */
const struct sip_hdr *sip_msg_hdr_next(const struct sip_msg *m, const struct sip_hdr *h);
/* First header line with this name (full or compact form), or NULL. Works for
 * unknown headers too. */
const struct sip_hdr *sip_msg_hdr_by_name(const struct sip_msg *m, struct sip_str name);

/* Typed accessors: parse on first use, cache, and return 0 with *out pointing into
 * the message; SIP_ENOTFOUND when the header is absent; SIP_EPARSE when malformed.
 * The result lives as long as the message. */
int sip_msg_via_count(struct sip_msg *m);  /* Via values over all Via lines; <0 on error */
int sip_msg_via(struct sip_msg *m, unsigned idx, const struct sip_via **out);
int sip_msg_from(struct sip_msg *m, const struct sip_addr **out);
int sip_msg_to(struct sip_msg *m, const struct sip_addr **out);
int sip_msg_cseq(struct sip_msg *m, const struct sip_cseq **out);
int sip_msg_call_id(struct sip_msg *m, struct sip_str *out);
int sip_msg_max_forwards(struct sip_msg *m, uint32_t *out);
int sip_msg_content_length(struct sip_msg *m, uint32_t *out);
int sip_msg_content_type(struct sip_msg *m, const struct sip_ctype **out);
int sip_msg_expires(struct sip_msg *m, uint32_t *out);
int sip_msg_min_expires(struct sip_msg *m, uint32_t *out);
int sip_msg_ruri(struct sip_msg *m, const struct sip_uri **out);
/* Multi-valued name-addr headers: values over all lines, in order. */
int sip_msg_contact_count(struct sip_msg *m);
int sip_msg_contact(struct sip_msg *m, unsigned idx, const struct sip_addr **out);
int sip_msg_route_count(struct sip_msg *m);
int sip_msg_route(struct sip_msg *m, unsigned idx, const struct sip_addr **out);
int sip_msg_record_route_count(struct sip_msg *m);
int sip_msg_record_route(struct sip_msg *m, unsigned idx, const struct sip_addr **out);
int sip_msg_path_count(struct sip_msg *m);
int sip_msg_path(struct sip_msg *m, unsigned idx, const struct sip_addr **out);
int sip_msg_event(struct sip_msg *m, const struct sip_event **out);
int sip_msg_subscription_state(struct sip_msg *m, const struct sip_subscription_state **out);
int sip_msg_reason(struct sip_msg *m, const struct sip_reason **out);
int sip_msg_retry_after(struct sip_msg *m, const struct sip_retry_after **out);
int sip_msg_rseq(struct sip_msg *m, uint32_t *out);
int sip_msg_rack(struct sip_msg *m, const struct sip_rack **out);
int sip_msg_session_expires(struct sip_msg *m, const struct sip_session_expires **out);
int sip_msg_refer_to(struct sip_msg *m, const struct sip_addr **out);
/* SIP-ETag, SIP-If-Match, Suppress-If-Match (RFC 3903, RFC 5839): the token. */
int sip_msg_etag(struct sip_msg *m, enum sip_hdr_id id, struct sip_str *out);
/* Authorization / Proxy-Authorization / WWW-Authenticate / Proxy-Authenticate:
 * the idx-th header line of that id. */
int sip_msg_auth(struct sip_msg *m, enum sip_hdr_id id, unsigned idx, const struct sip_auth **out);
/* Token lists (Allow, Supported, Require, Proxy-Require, Unsupported, Allow-Events):
 * does any value of any line of header id equal token (case-insensitive)? */
bool sip_msg_has_token(const struct sip_msg *m, enum sip_hdr_id id, struct sip_str token);

#endif

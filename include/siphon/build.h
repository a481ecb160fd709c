/* siphon msg layer: building and serializing outgoing messages.
 *
 * A struct sip_out is one outgoing message. It starts either
 *   - from scratch: a request line (sip_out_request) or a status line
 *     (sip_out_response), to which headers are added in order; or
 *   - from a parsed message (sip_out_from_msg), e.g. a request a proxy forwards
 *     or a response it relays. The parsed message is the "base": the sip_out
 *     records edits against its bytes (insert a line before offset X, delete the
 *     span [X, Y), replace a span) instead of rebuilding it, and
 *     sip_out_serialize copies every untouched span verbatim. Nothing that was not
 *     edited is re-parsed or re-printed (the idea of Kamailio's "lumps").
 *
 * Ownership. A sip_out owns every byte it adds: values passed to the functions
 * below are copied, so the caller's strings need not outlive the call. The base
 * message is borrowed: it must outlive the sip_out and is never modified (only its
 * memoizing accessors run, which is why it is not const). sip_out_free releases
 * the sip_out, never the base. A sip_out is one heap block holding its first 2 KB
 * of copied text and room for 16 edits: a response built from a request, or a
 * proxy's forwarding edits, allocate nothing more (bench/build.c measures it).
 *
 * Content-Length. The serialized message always carries exactly one correct
 * Content-Length (RFC 3261 18.3 requires it on streams; 20.14): it is written last
 * among the headers for messages built from scratch, for a base whose body was
 * replaced, and for a base whose Content-Length was missing, repeated or wrong.
 * Otherwise the base's line is copied verbatim. Callers never add it themselves
 * (sip_out_add refuses Content-Length with -EINVAL).
 *
 * Values passed in must not contain CR, LF or NUL (no header injection): -EINVAL.
 * Header names must be tokens (RFC 3261 25.1). Lines siphon writes end in CRLF.
 *
 * Every function returns 0 or a negative error (-EINVAL, -ENOMEM, SIP_ENOTFOUND,
 * SIP_EPARSE from a base header that does not parse); a failed call leaves the
 * sip_out as it was. */
#ifndef SIPHON_BUILD_H
#define SIPHON_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/msg.h"
#include "siphon/str.h"

struct sip_out;

/* ---- Creating and freeing ---- */

/* A request from scratch: "METHOD Request-URI SIP/2.0". method is a token
 * (extension methods allowed); ruri is the Request-URI as text. */
int sip_out_request(struct sip_out **op, struct sip_str method, struct sip_str ruri);

/* A response from scratch: "SIP/2.0 code reason". reason NULL takes the phrase
 * of the response-code catalogue (sip_status_phrase). code is 100..699. */
int sip_out_response(struct sip_out **op, int code, const char *reason);

/* An outgoing copy of a parsed message, to be edited (proxy forwarding, relaying
 * a response). m is borrowed (see Ownership above). */
int sip_out_from_msg(struct sip_out **op, struct sip_msg *m);

void sip_out_free(struct sip_out *o);

/* ---- RFC 3261 constructions ---- */

/* The response to request req (RFC 3261 8.2.6): status line with code and reason
 * (NULL: the catalogue's phrase); every Via value in order, From, To, Call-ID and
 * CSeq copied. If the request's To has no tag and code > 100, to_tag is added
 * (8.2.6.2; an empty to_tag is then -EINVAL); a tag is never added to a 100.
 * A 100 Trying also copies Timestamp (8.2.6.1). A response that can establish a
 * dialog (101..299 to INVITE, SUBSCRIBE, REFER, NOTIFY) copies the Record-Route
 * lines (12.1.1; RFC 6665 4.1.2.4). The result owns copies of everything: req may be
 * freed before it. Content-Length: 0 until sip_out_set_body. */
int sip_out_response_to(struct sip_out **op, struct sip_msg *req, int code,
			const char *reason, struct sip_str to_tag);

/* CANCEL for an INVITE this UAC sent (RFC 3261 9.1): same Request-URI, Call-ID,
 * From, To; the top Via value only (same branch); CSeq with the INVITE's number
 * and method CANCEL; the INVITE's Route lines; Max-Forwards: 70. */
int sip_out_cancel(struct sip_out **op, struct sip_msg *invite);

/* ACK for a non-2xx final response (RFC 3261 17.1.1.3): Request-URI, Call-ID, From
 * and Route from the INVITE, To from the response (it carries the tag), the
 * INVITE's top Via value only, CSeq with the INVITE's number and method ACK,
 * Max-Forwards: 70. resp must be a 300..699 response. */
int sip_out_ack(struct sip_out **op, struct sip_msg *invite, struct sip_msg *resp);

/* ---- Edits ---- */

/* Append a header line at the end of the headers (in call order). The name
 * written is the canonical one (sip_hdr_name); id must not be SIP_HDR_OTHER. */
int sip_out_add(struct sip_out *o, enum sip_hdr_id id, struct sip_str value);
/* The same with any header name (a known name maps to its id). */
int sip_out_add_name(struct sip_out *o, struct sip_str name, struct sip_str value);
/* The same with a printf-formatted value. */
int sip_out_addf(struct sip_out *o, enum sip_hdr_id id, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Remove every line of this header (base lines and lines added earlier). *nremoved
 * (may be NULL) gets how many lines went; removing nothing is not an error. */
int sip_out_remove(struct sip_out *o, enum sip_hdr_id id, unsigned *nremoved);
int sip_out_remove_name(struct sip_out *o, struct sip_str name, unsigned *nremoved);

/* Replace every line of this header by one line with value, at the place of the
 * first line that was there (appended when there was none). */
int sip_out_replace(struct sip_out *o, enum sip_hdr_id id, struct sip_str value);
int sip_out_replace_name(struct sip_out *o, struct sip_str name, struct sip_str value);

/* Insert a Via value above all others (RFC 3261 16.6 step 8, 8.1.1.7). */
int sip_out_via_push(struct sip_out *o, struct sip_str value);
/* Remove the topmost Via value (RFC 3261 16.7 step 3): only that value when a
 * line holds several, the line when it held one. SIP_ENOTFOUND if none is left. */
int sip_out_via_pop(struct sip_out *o);
/* Insert a Record-Route value above the existing ones (RFC 3261 16.6 step 4). */
int sip_out_record_route_push(struct sip_out *o, struct sip_str value);

/* RFC 3261 16.6 step 3: decrement Max-Forwards, or add "Max-Forwards: 70" when the
 * message has none. -ELOOP when it is already 0 (the proxy answers 483, 16.3). */
int sip_out_max_forwards_dec(struct sip_out *o);

/* Replace the Request-URI (requests only: -EINVAL for a response). */
int sip_out_set_ruri(struct sip_out *o, struct sip_str ruri);

/* Set the body. A non-empty ctype replaces Content-Type; an empty body with an
 * empty ctype removes Content-Type; otherwise Content-Type is left as it is.
 * Content-Length follows the body (see above). */
int sip_out_set_body(struct sip_out *o, struct sip_str ctype, struct sip_str body);

/* ---- Output ---- */

/* Append the message to b. The sip_out is unchanged and may be edited and
 * serialized again. */
int sip_out_serialize(const struct sip_out *o, struct sip_buf *b);

/* ---- Identifiers (RFC 3261 8.1.1.7, 19.3) from getrandom() ---- */

/* "z9hG4bK" and 32 hex digits (128 random bits) */
#define SIP_BRANCH_SIZE 40
/* 16 hex digits (64 random bits; RFC 3261 19.3 asks for at least 32) */
#define SIP_TAG_SIZE 17
/* 32 hex digits (128 random bits) */
#define SIP_CALL_ID_SIZE 33

/* Write a NUL-terminated identifier into dst (dstsz at least the size above).
 * 0, -EINVAL when dst is too small, or -errno from getrandom(). */
int sip_branch_new(char *dst, size_t dstsz);
int sip_tag_new(char *dst, size_t dstsz);
int sip_call_id_new(char *dst, size_t dstsz);

#endif

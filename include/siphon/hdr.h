/* siphon msg layer: typed header values.
 *
 * Pure parsers: each takes one header value (one element of a comma list, already
 * split with sip_list_next) and fills a struct whose slices borrow from that value.
 * They never allocate. struct sip_msg memoizes their results (see msg.h). */
#ifndef SIPHON_HDR_H
#define SIPHON_HDR_H

#include <stdbool.h>
#include <stdint.h>

#include "siphon/str.h"
#include "siphon/uri.h"

/* Request methods siphon knows; anything else is SIP_METHOD_OTHER (its text is kept). */
enum sip_method {
	SIP_METHOD_OTHER = 0,
	SIP_METHOD_INVITE,
	SIP_METHOD_ACK,
	SIP_METHOD_BYE,
	SIP_METHOD_CANCEL,
	SIP_METHOD_OPTIONS,
	SIP_METHOD_REGISTER,
	SIP_METHOD_PRACK,
	SIP_METHOD_SUBSCRIBE,
	SIP_METHOD_NOTIFY,
	SIP_METHOD_PUBLISH,
	SIP_METHOD_INFO,
	SIP_METHOD_REFER,
	SIP_METHOD_MESSAGE,
	SIP_METHOD_UPDATE,
	SIP_METHOD__COUNT
};

/* Methods are case-sensitive (RFC 3261 7.1). */
enum sip_method sip_method_from_str(struct sip_str s);
const char *sip_method_name(enum sip_method m); /* "INVITE", ...; "" for OTHER */

/* Split the next element off a comma-separated header value. Commas inside quoted
 * strings and <...> do not split. *rest advances past the element and its comma.
 * Returns true and the trimmed element in *item, or false when nothing is left.
 * Empty elements (",,") are skipped. */
bool sip_list_next(struct sip_str *rest, struct sip_str *item);

/* Via (RFC 3261 20.42, RFC 3581, RFC 5118 for IPv6). */
struct sip_via {
	struct sip_str protocol;   /* "SIP/2.0" */
	struct sip_str transport;  /* "UDP", "TCP", "TLS", "WS", ... */
	struct sip_str host;       /* sent-by host; IPv6 keeps its brackets */
	enum sip_host_type host_type;
	uint16_t port;             /* 0 when absent */
	bool has_port;
	struct sip_str params;     /* raw params (no leading ';') */
	struct sip_str branch;
	struct sip_str received;
	bool has_rport;            /* rport present, with or without a value */
	uint16_t rport;            /* 0 when rport has no value */
	struct sip_str maddr;
	int ttl;                   /* -1 when absent */
};
int sip_via_parse(struct sip_via *out, struct sip_str value);
/* RFC 3261 17.2.3: the branch begins with the magic cookie "z9hG4bK". */
bool sip_via_branch_is_rfc3261(const struct sip_via *v);

/* name-addr / addr-spec with header parameters: From, To, Contact, Route,
 * Record-Route, Path, Refer-To, Reply-To, P-Asserted-Identity (RFC 3261 20.10). */
struct sip_addr {
	struct sip_str display;    /* display name, quotes removed (escapes kept) */
	struct sip_str uri_str;    /* the URI text, without < > */
	struct sip_uri uri;        /* parsed uri_str */
	bool angle;                /* written as name-addr (<...>) */
	struct sip_str params;     /* raw header params (no leading ';') */
	struct sip_str tag;        /* tag= (From/To) */
	bool star;                 /* Contact: * (RFC 3261 10.2.2) */
	/* Contact parameters (RFC 3261 20.10, RFC 5626). */
	bool has_expires;
	uint32_t expires;          /* above 2**32-1 reads 2**32-1, malformed 3600 (RFC 3261 10.2.1.1) */
	int q;                     /* q-value in thousandths (1000 = 1.0); -1 when absent */
	struct sip_str instance;   /* +sip.instance value, quotes removed */
	bool has_reg_id;
	uint32_t reg_id;
};
int sip_addr_parse(struct sip_addr *out, struct sip_str value);

/* CSeq (RFC 3261 20.16): sequence number below 2**31 and method. */
struct sip_cseq {
	uint32_t seq;
	enum sip_method method;
	struct sip_str method_str;
};
int sip_cseq_parse(struct sip_cseq *out, struct sip_str value);

/* Event (RFC 6665 8.2.1) and Allow-Events elements. */
struct sip_event {
	struct sip_str package;    /* e.g. "presence", "dialog", "message-summary", "reg" */
	struct sip_str id;         /* id= parameter */
	struct sip_str params;
};
int sip_event_parse(struct sip_event *out, struct sip_str value);

/* Subscription-State (RFC 6665 8.2.3). */
enum sip_substate { SIP_SUBSTATE_OTHER = 0, SIP_SUBSTATE_ACTIVE, SIP_SUBSTATE_PENDING, SIP_SUBSTATE_TERMINATED };
struct sip_subscription_state {
	enum sip_substate state;
	struct sip_str state_str;
	struct sip_str reason;
	int64_t expires;           /* -1 when absent */
	int64_t retry_after;       /* -1 when absent */
};
int sip_subscription_state_parse(struct sip_subscription_state *out, struct sip_str value);

/* Content-Type (RFC 3261 20.15): type/subtype and params. */
struct sip_ctype {
	struct sip_str type;
	struct sip_str subtype;
	struct sip_str params;
};
int sip_ctype_parse(struct sip_ctype *out, struct sip_str value);

/* Reason (RFC 3326): protocol ;cause= ;text= */
struct sip_reason {
	struct sip_str protocol;   /* "SIP", "Q.850" */
	int cause;                 /* -1 when absent */
	struct sip_str text;       /* quotes removed */
};
int sip_reason_parse(struct sip_reason *out, struct sip_str value);

/* Retry-After (RFC 3261 20.33). */
struct sip_retry_after {
	uint32_t seconds;
	struct sip_str comment;
	int64_t duration;          /* -1 when absent */
};
int sip_retry_after_parse(struct sip_retry_after *out, struct sip_str value);

/* Digest credentials and challenges: Authorization, Proxy-Authorization,
 * WWW-Authenticate, Proxy-Authenticate (RFC 3261 20.7, RFC 7616, RFC 8760).
 * Quoted values have their quotes removed (escapes kept). */
struct sip_auth {
	struct sip_str scheme;     /* "Digest" */
	struct sip_str username, realm, nonce, uri, response, algorithm;
	struct sip_str cnonce, opaque, qop, nc, domain;
	bool stale;
	bool userhash;
};
int sip_auth_parse(struct sip_auth *out, struct sip_str value);

/* RAck (RFC 3262 7.2). */
struct sip_rack {
	uint32_t rseq;
	uint32_t cseq;
	enum sip_method method;
	struct sip_str method_str;
};
int sip_rack_parse(struct sip_rack *out, struct sip_str value);

/* Session-Expires (RFC 4028). */
struct sip_session_expires {
	uint32_t delta;
	struct sip_str refresher;  /* "uac" / "uas" / empty */
};
int sip_session_expires_parse(struct sip_session_expires *out, struct sip_str value);

#endif

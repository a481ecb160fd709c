/* siphon msg layer: the SIP response-code catalogue.
 *
 * Every code of the IANA SIP response-code registry with its reason phrase and an
 * explanation (meaning, when you see it, what to do, protocol consequences), in
 * every locale data/status/ carries. The C table is generated from data/ by
 * scripts/gen_status.py; do not edit src/msg/status_table.c by hand.
 *
 * All strings returned here are static, NUL-terminated UTF-8 and never NULL. */
#ifndef SIPHON_STATUS_H
#define SIPHON_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* Lowest and highest code a SIP status line can carry (RFC 3261 7.2, 25.1). */
#define SIP_STATUS_MIN 100
#define SIP_STATUS_MAX 699

/* The class is the first digit (RFC 3261 7.2). */
enum sip_status_class {
	SIP_STATUS_CLASS_NONE = 0,
	SIP_STATUS_PROVISIONAL = 1,
	SIP_STATUS_SUCCESS = 2,
	SIP_STATUS_REDIRECTION = 3,
	SIP_STATUS_CLIENT_ERROR = 4,
	SIP_STATUS_SERVER_ERROR = 5,
	SIP_STATUS_GLOBAL_FAILURE = 6,
};

/* What the code means for the request, as seen by its sender. */
enum sip_status_outcome {
	SIP_STATUS_OUTCOME_PROVISIONAL, /* 1xx: not final yet */
	SIP_STATUS_OUTCOME_SUCCESS,     /* 2xx */
	SIP_STATUS_OUTCOME_REDIRECTION, /* 3xx: try elsewhere */
	SIP_STATUS_OUTCOME_FAILURE,     /* 4xx, 5xx, 6xx */
	SIP_STATUS_OUTCOME__COUNT
};

/* Who typically sends the code: a bit set. */
enum sip_status_sender {
	SIP_STATUS_BY_UAS = 1u << 0,
	SIP_STATUS_BY_PROXY = 1u << 1,
	SIP_STATUS_BY_REGISTRAR = 1u << 2,
	SIP_STATUS_BY_REDIRECT = 1u << 3,  /* redirect server */
	SIP_STATUS_BY_NOTIFIER = 1u << 4,  /* SUBSCRIBE/NOTIFY notifier (RFC 6665) */
	SIP_STATUS_BY_ESC = 1u << 5,       /* PUBLISH event state compositor (RFC 3903) */
};
#define SIP_STATUS_SENDER__COUNT 6

/* What a stateful proxy does with the code when a branch returns it (RFC 3261 16.7). */
enum sip_status_proxy {
	SIP_STATUS_PROXY_ABSORB,  /* not forwarded (100: hop by hop) */
	SIP_STATUS_PROXY_FORWARD, /* forwarded upstream at once (1xx, 2xx) */
	SIP_STATUS_PROXY_RECURSE, /* may recurse on its Contacts (3xx) */
	SIP_STATUS_PROXY_COLLECT, /* kept until all branches end, best one forwarded */
	SIP_STATUS_PROXY_CANCEL,  /* other branches cancelled, no new branch (6xx) */
	SIP_STATUS_PROXY__COUNT
};

/* Section and field labels every locale translates. */
enum sip_status_label {
	SIP_STATUS_L_DESCRIPTION,
	SIP_STATUS_L_WHEN,
	SIP_STATUS_L_ACTION,
	SIP_STATUS_L_CONSEQUENCES,
	SIP_STATUS_L_RFC,
	SIP_STATUS_L_CLASS,
	SIP_STATUS_L_OUTCOME,
	SIP_STATUS_L_REQUESTS,
	SIP_STATUS_L_SENDERS,
	SIP_STATUS_L_HEADERS,
	SIP_STATUS_L_RECEIVER,
	SIP_STATUS_L_PROXY,
	SIP_STATUS_L_KEY_DIFFERENCES,
	SIP_STATUS_L_WHEN_TO_USE,
	SIP_STATUS_L_UNREGISTERED,
	SIP_STATUS_L_DEPRECATED,
	SIP_STATUS_L_ANY_REQUEST,
	SIP_STATUS_L_IN_DIALOG,
	SIP_STATUS_L_NONE,
	SIP_STATUS_L_NO_DIFFERENCES,
	SIP_STATUS_L_SAME,
	SIP_STATUS_L__COUNT
};

/* A locale of the catalogue (one data/status/<name>.json). Opaque. */
struct sip_status_locale;

/* The entry for one code in one locale. Canonical fields (phrase, RFC, methods,
 * headers) are the registry's and are not translated; the texts are the locale's. */
struct sip_status_info {
	int code;                   /* the code asked for */
	bool registered;            /* in the IANA registry */
	bool deprecated;            /* e.g. 202 (RFC 6665 8.3.1) */
	int treated_as;             /* code itself, or for an unregistered code the
				     * code a UAC treats it as: x00, 183 for 1xx
				     * (RFC 3261 8.1.3.2) */
	enum sip_status_class cls;
	enum sip_status_outcome outcome;
	const char *phrase;         /* registry reason phrase; class name if unregistered */
	const char *rfc;            /* "RFC 3261" */
	const char *section;        /* "21.4.2" */
	const char *methods;        /* requests it answers: "*" (any) or "INVITE UPDATE" */
	bool in_dialog;             /* answers only requests within a dialog */
	unsigned senders;           /* enum sip_status_sender bits */
	enum sip_status_proxy proxy;
	const char *headers;        /* header fields it carries: "Min-Expires", or "" */
	/* Locale texts. */
	const char *class_name;
	const char *description;
	const char *when;
	const char *action;
	const char *receiver;       /* what the receiver must do */
	const char *proxy_text;     /* what a proxy does: the code's own note, else the
				     * locale's text for .proxy */
};

/* Reason phrase of a code: the registry's phrase for a registered code, else the
 * name of its class ("Client Error" for an unknown 4xx, which a UAC treats as 400,
 * RFC 3261 8.1.3.2) for 100..699, else "Unknown". Never NULL. O(1): it is meant
 * for every response the server builds. */
const char *sip_status_phrase(int code);

/* Is code in the IANA registry? */
bool sip_status_registered(int code);

/* Class of a code in 100..699, else SIP_STATUS_CLASS_NONE. */
enum sip_status_class sip_status_class_of(int code);

/* Fill *info with the entry for code in locale loc (NULL: the default locale, en).
 * An unregistered code in 100..699 gets its class entry with registered = false.
 * Returns 0, or -EINVAL if code is outside 100..699 (*info untouched). */
int sip_status_lookup(struct sip_status_info *info, int code, const struct sip_status_locale *loc);

/* Locales: count, by index (NULL past the end), default (en), and by name. Find
 * accepts the exact name ("vi") or a POSIX locale starting with it and a
 * separator ("vi_VN.UTF-8", "vi.UTF-8", "vi-VN"); NULL if none matches. */
size_t sip_status_locale_count(void);
const struct sip_status_locale *sip_status_locale_at(size_t i);
const struct sip_status_locale *sip_status_locale_default(void);
const struct sip_status_locale *sip_status_locale_find(const char *name);
const char *sip_status_locale_name(const struct sip_status_locale *loc);   /* "vi" */
const char *sip_status_locale_native(const struct sip_status_locale *loc); /* "Tiếng Việt" */

/* Localised words. Each returns "" for an out-of-range argument. */
const char *sip_status_label(const struct sip_status_locale *loc, enum sip_status_label l);
const char *sip_status_class_name(const struct sip_status_locale *loc, enum sip_status_class c);
const char *sip_status_outcome_name(const struct sip_status_locale *loc, enum sip_status_outcome o);
/* sender is one SIP_STATUS_BY_* bit. */
const char *sip_status_sender_name(const struct sip_status_locale *loc, unsigned sender);
const char *sip_status_proxy_name(const struct sip_status_locale *loc, enum sip_status_proxy p);

#endif

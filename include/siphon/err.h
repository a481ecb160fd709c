/* siphon base layer: error codes.
 *
 * Functions return int: 0 on success, a negative code on failure. Codes are negated
 * errno values (compatible with libuv's UV_E* on Unix) plus siphon's own codes in a
 * reserved range below SIP_ERR_BASE. Out-params are written only on success. */
#ifndef SIPHON_ERR_H
#define SIPHON_ERR_H

#include <errno.h>

#define SIP_ERR_BASE (-30000)

enum sip_err {
	SIP_EINCOMPLETE = SIP_ERR_BASE - 1, /* stream input ends before the message does */
	SIP_EPARSE = SIP_ERR_BASE - 2,      /* malformed input */
	SIP_ETOOBIG = SIP_ERR_BASE - 3,     /* a configured limit was exceeded */
	SIP_ENOTFOUND = SIP_ERR_BASE - 4,   /* no such header / entry */
	SIP_ETIMEOUT = SIP_ERR_BASE - 5,    /* a transaction or operation timed out */
	SIP_ETRANSPORT = SIP_ERR_BASE - 6,  /* the transport failed to send */
	SIP_ETLSVERIFY = SIP_ERR_BASE - 7,  /* the TLS peer's certificate failed verification
					       (RFC 5922 7: untrusted, expired, wrong name) */
};

/* A short English description of err (0, -errno or a siphon code). Never NULL. */
const char *sip_strerror(int err);

#endif

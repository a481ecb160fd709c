/* siphon auth layer: helpers shared by the files of src/auth (not public). */
#ifndef SIPHON_AUTH_INT_H
#define SIPHON_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/auth.h"
#include "siphon/buf.h"
#include "siphon/str.h"

/* Longest quoted value (after unescaping) we hash: usernames, realms, cnonces.
 * Anything longer is refused as malformed rather than copied to the heap. */
#define AUTH_UNQUOTE_MAX 256

/* Remove quoted-pair escapes (RFC 3261 25.1: "\" followed by any char) from a
 * value whose surrounding quotes the header parser already removed. When s has
 * no backslash *out is s itself; otherwise the text is copied to buf (cap
 * bytes). 0, or -EINVAL (too long, or a trailing lone backslash). */
int auth_unquote(struct sip_str *out, char *buf, size_t cap, struct sip_str s);

/* Append "s" with '"' and '\' escaped (s is plain text). -EINVAL for CR, LF or
 * NUL, which a quoted-string cannot carry; 0 or -ENOMEM otherwise. */
int auth_append_quoted(struct sip_buf *b, struct sip_str s);
/* Append "s" where s is already in quoted-string form (escapes kept by the
 * parser); refuses a bare '"', CR, LF or NUL with -EINVAL. */
int auth_append_quoted_raw(struct sip_buf *b, struct sip_str s);

/* Is s exactly n hex digits (either case)? */
bool auth_is_hex(struct sip_str s, size_t n);

/* Lower-case hex of n bytes into out (2n chars and a NUL). */
void auth_hex(char *out, const uint8_t *in, size_t n);

#endif

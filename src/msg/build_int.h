/* Private interface between the builder's files (src/msg/build*.c). */
#ifndef SIPHON_BUILD_INT_H
#define SIPHON_BUILD_INT_H

#include <stdbool.h>

#include "siphon/build.h"

/* Append a header line copied from a parsed message: value may hold folded
 * continuation lines (CRLF + SP/HT), which stay as they are. Any other CR or LF,
 * or a NUL, is -EINVAL. */
int sip_out_add_copy(struct sip_out *o, enum sip_hdr_id id, struct sip_str value);

/* The same with ";tag=" and tag appended to the value (RFC 3261 8.2.6.2). */
int sip_out_add_copy_tagged(struct sip_out *o, enum sip_hdr_id id, struct sip_str value,
			    struct sip_str tag);

/* Is s a non-empty token (RFC 3261 25.1)? */
bool sip_out_is_token(struct sip_str s);

#endif

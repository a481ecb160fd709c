/* siphon server: private helpers shared by the server's files. */
#ifndef SIPHON_SERVER_INT_H
#define SIPHON_SERVER_INT_H

#include "siphon/buf.h"
#include "siphon/str.h"

/* The text of a response to an unparseable request buf[0..len) (badreq.c): the
 * status line, the request's Via, From, To (with tag added when it has none),
 * Call-ID and CSeq lines, Content-Length: 0. 0, or -1 when it must not or cannot be
 * answered. */
int server_bad_answer(struct sip_buf *b, const char *buf, size_t len, unsigned status,
		      const char *reason, struct sip_str tag);

#endif

/* Shared helpers of the proxy tests: parsing, serializing, slice checks. */
#ifndef PROXY_TESTUTIL_H
#define PROXY_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/msg.h"

static inline struct sip_msg *parse_n(const char *s, size_t n)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error e = { 0, NULL, 0 };
	int err = sip_msg_parse(&m, s, n, NULL, &e);

	if (err)
		fail_msg("parse failed (%d): %s in:\n%.*s", err, e.reason ? e.reason : "", (int)n, s);
	return m;
}

static inline struct sip_msg *parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Serialize o (freed) and parse the bytes back. */
static inline struct sip_msg *roundtrip(struct sip_out *o)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m;

	assert_int_equal(sip_out_serialize(o, &b), 0);
	sip_out_free(o);
	m = parse_n(b.p, b.len);
	sip_buf_free(&b);
	return m;
}

#define assert_str(s, c)                                                              \
	do {                                                                          \
		struct sip_str s_ = (s);                                              \
		if (s_.len != strlen(c) || memcmp(s_.p, (c), s_.len) != 0)            \
			fail_msg("expected \"%s\", got \"%.*s\"", (c), SIP_STR_ARG(s_)); \
	} while (0)

/* The value of the first header line with this name, or "" (a NUL-terminated copy). */
static inline const char *hdr_value(struct sip_msg *m, const char *name)
{
	static char buf[1024];
	const struct sip_hdr *h = sip_msg_hdr_by_name(m, sip_str_from_cstr(name));

	buf[0] = '\0';
	if (h)
		sip_str_copy(buf, sizeof(buf), h->value);
	return buf;
}

static inline unsigned hdr_lines(struct sip_msg *m, enum sip_hdr_id id)
{
	unsigned n = 0;

	for (const struct sip_hdr *h = sip_msg_hdr(m, id); h; h = sip_msg_hdr_next(m, h))
		n++;
	return n;
}

#endif

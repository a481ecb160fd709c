/* libFuzzer target: sip_uri_parse, then sip_uri_eq as a relation (reflexive and
 * symmetric) and the helpers that walk a parsed URI (sip_param_find,
 * sip_unescape). The input is also split at its first '\n' into two URIs that are
 * compared with each other. Any slice outside the input, or a broken relation,
 * aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void in_bounds(struct sip_str s, struct sip_str in)
{
	if (s.len && (s.p < in.p || s.p + s.len > in.p + in.len))
		abort();
}

static int parse_checked(struct sip_uri *u, struct sip_str in)
{
	int rc = sip_uri_parse(u, in);
	char buf[256];
	struct sip_str v;

	if (rc)
		return rc;
	in_bounds(u->scheme_str, in);
	in_bounds(u->user, in);
	in_bounds(u->password, in);
	in_bounds(u->host, in);
	in_bounds(u->params, in);
	in_bounds(u->headers, in);
	in_bounds(u->transport, in);
	in_bounds(u->maddr, in);
	if (!sip_uri_eq(u, u))
		abort();
	if (sip_param_find(u->params, "transport", &v) == 0)
		in_bounds(v, in);
	(void)sip_unescape(buf, sizeof buf, u->user);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_str in = { (const char *)data, size };
	struct sip_uri a, b;

	parse_checked(&a, in);
	const char *nl = size ? memchr(data, '\n', size) : NULL;
	if (nl) {
		struct sip_str x = { in.p, (size_t)(nl - in.p) };
		struct sip_str y = { nl + 1, size - x.len - 1 };
		if (parse_checked(&a, x) == 0 && parse_checked(&b, y) == 0 &&
		    sip_uri_eq(&a, &b) != sip_uri_eq(&b, &a))
			abort();
	}
	return 0;
}

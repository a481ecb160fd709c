/* siphon parse [--json] [FILE|-]: a lint tool for one SIP message.
 *
 * Valid: exit 0 and a readable summary (or a JSON object with --json) of the
 * start line and every header siphon knows, parsed by the library's own typed
 * accessors, so what it prints is what the server would read. Invalid: exit 1 with
 * the parser's status and reason and the offending line with a caret; a typed
 * header that does not parse (a Via without sent-by, a From that is no name-addr)
 * is invalid too and is reported on its own line. Usage errors exit 2.
 *
 * Files written in an editor usually end their lines in LF only. When the input
 * has no CR at all, every LF is read as CRLF (SIP requires CRLF, RFC 3261 7);
 * input with any CR is parsed byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "siphon/buf.h"
#include "siphon/err.h"
#include "siphon/msg.h"

#define PARSE_MAX_INPUT (16u << 20) /* far above any SIP message; refuses runaway input */

static int read_all(FILE *f, struct sip_buf *b)
{
	char chunk[8192];
	size_t n;

	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (b->len + n > PARSE_MAX_INPUT)
			return -EFBIG;
		if (sip_buf_append(b, chunk, n))
			return -ENOMEM;
	}
	return ferror(f) ? -EIO : 0;
}

/* LF -> CRLF when the input has no CR at all (see the top of the file). */
static int lf_to_crlf(struct sip_buf *b, bool *converted)
{
	struct sip_buf out = SIP_BUF_INIT;

	*converted = false;
	if (b->len == 0 || memchr(b->p, '\r', b->len) || !memchr(b->p, '\n', b->len))
		return 0;
	for (size_t i = 0; i < b->len; i++) {
		if (b->p[i] == '\n' && sip_buf_append(&out, "\r", 1))
			goto nomem;
		if (sip_buf_append(&out, &b->p[i], 1))
			goto nomem;
	}
	sip_buf_free(b);
	*b = out;
	*converted = true;
	return 0;
nomem:
	sip_buf_free(&out);
	return -ENOMEM;
}

/* ---- JSON output helpers ---- */

static void json_str(struct sip_buf *o, struct sip_str s)
{
	sip_buf_append(o, "\"", 1);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			sip_buf_append(o, esc, 2);
		} else if (c == '\r' || c == '\n' || c == '\t') {
			char esc[2] = { '\\', c == '\r' ? 'r' : c == '\n' ? 'n' : 't' };
			sip_buf_append(o, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			sip_buf_printf(o, "\\u%04x", c);
		} else {
			sip_buf_append(o, &s.p[i], 1);
		}
	}
	sip_buf_append(o, "\"", 1);
}

static void json_key(struct sip_buf *o, bool *first, const char *key)
{
	sip_buf_printf(o, "%s\"%s\":", *first ? "" : ",", key);
	*first = false;
}

static void json_kstr(struct sip_buf *o, bool *first, const char *key, struct sip_str v)
{
	json_key(o, first, key);
	json_str(o, v);
}

static void json_knum(struct sip_buf *o, bool *first, const char *key, long long v)
{
	json_key(o, first, key);
	sip_buf_printf(o, "%lld", v);
}

/* Text output: printable bytes as they are, others as \xHH (a message may carry
 * anything; the terminal should not get control bytes). */
static void text_str(struct sip_buf *o, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c == '\r' && i + 1 < s.len && s.p[i + 1] == '\n') {
			sip_buf_append(o, "\\r\\n", 4);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			sip_buf_printf(o, "\\x%02x", c);
		} else {
			sip_buf_append(o, &s.p[i], 1);
		}
	}
}

/* The value without its LWS ("SIP  /   2.0" folded over lines is SIP/2.0). */
static void text_nolws(struct sip_buf *o, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++)
		if (s.p[i] != ' ' && s.p[i] != '\t' && s.p[i] != '\r' && s.p[i] != '\n')
			text_str(o, (struct sip_str){ s.p + i, 1 });
}

/* q in thousandths -> "0.7", "1", "0.005". */
static void q_text(char *dst, size_t n, int q)
{
	int frac = q % 1000, digits = 3;

	if (frac == 0) {
		snprintf(dst, n, "%d", q / 1000);
		return;
	}
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	snprintf(dst, n, "%d.%0*d", q / 1000, digits, frac);
}

/* ---- The report ---- */

struct report {
	struct sip_msg *m;
	bool json;
	struct sip_buf out;
	/* The first typed value that failed to parse: a header line, or the
	 * Request-URI when bad is NULL. */
	bool failed;
	const struct sip_hdr *bad;
	const char *bad_what;
};

static void fail_hdr(struct report *r, enum sip_hdr_id id, const char *what)
{
	if (!r->failed) {
		r->failed = true;
		r->bad = sip_msg_hdr(r->m, id);
		r->bad_what = what;
	}
}

static void text_addr(struct sip_buf *o, const char *label, const struct sip_addr *a)
{
	sip_buf_printf(o, "%-16s", label);
	if (a->star) {
		sip_buf_append_cstr(o, "*");
	} else {
		if (a->display.len) {
			sip_buf_append_cstr(o, "\"");
			text_str(o, a->display);
			sip_buf_append_cstr(o, "\" ");
		}
		sip_buf_append_cstr(o, "<");
		text_str(o, a->uri_str);
		sip_buf_append_cstr(o, ">");
	}
	if (a->tag.len) {
		sip_buf_append_cstr(o, "  tag=");
		text_str(o, a->tag);
	}
	if (a->has_expires)
		sip_buf_printf(o, "  expires=%u", (unsigned)a->expires);
	if (a->q >= 0) {
		char q[16];
		q_text(q, sizeof(q), a->q);
		sip_buf_printf(o, "  q=%s", q);
	}
	if (a->instance.len) {
		sip_buf_append_cstr(o, "  +sip.instance=");
		text_str(o, a->instance);
	}
	if (a->has_reg_id)
		sip_buf_printf(o, "  reg-id=%u", (unsigned)a->reg_id);
	sip_buf_append_cstr(o, "\n");
}

static void json_addr(struct sip_buf *o, const struct sip_addr *a)
{
	bool f = true;

	sip_buf_append_cstr(o, "{");
	if (a->star) {
		json_key(o, &f, "star");
		sip_buf_append_cstr(o, "true");
	} else {
		json_kstr(o, &f, "display", a->display);
		json_kstr(o, &f, "uri", a->uri_str);
	}
	if (a->tag.len)
		json_kstr(o, &f, "tag", a->tag);
	if (a->has_expires)
		json_knum(o, &f, "expires", a->expires);
	if (a->q >= 0) {
		char q[16];
		q_text(q, sizeof(q), a->q);
		json_key(o, &f, "q");
		sip_buf_append_cstr(o, q);
	}
	if (a->instance.len)
		json_kstr(o, &f, "instance", a->instance);
	if (a->has_reg_id)
		json_knum(o, &f, "reg_id", a->reg_id);
	if (a->params.len)
		json_kstr(o, &f, "params", a->params);
	sip_buf_append_cstr(o, "}");
}

static void one_addr(struct report *r, bool *first, enum sip_hdr_id id, const char *label,
		     const char *key, int (*get)(struct sip_msg *, const struct sip_addr **))
{
	const struct sip_addr *a;
	int err;

	if (!sip_msg_has(r->m, id))
		return;
	err = get(r->m, &a);
	if (err) {
		fail_hdr(r, id, label);
		return;
	}
	if (r->json) {
		json_key(&r->out, first, key);
		json_addr(&r->out, a);
	} else {
		char l[32];
		snprintf(l, sizeof(l), "%s:", label);
		text_addr(&r->out, l, a);
	}
}

static void addr_list(struct report *r, bool *first, enum sip_hdr_id id, const char *label,
		      const char *key, int (*count)(struct sip_msg *),
		      int (*get)(struct sip_msg *, unsigned, const struct sip_addr **))
{
	int n;

	if (!sip_msg_has(r->m, id))
		return;
	n = count(r->m);
	if (n < 0) {
		fail_hdr(r, id, label);
		return;
	}
	if (r->json) {
		json_key(&r->out, first, key);
		sip_buf_append_cstr(&r->out, "[");
	}
	for (int i = 0; i < n; i++) {
		const struct sip_addr *a;
		if (get(r->m, (unsigned)i, &a)) {
			fail_hdr(r, id, label);
			break;
		}
		if (r->json) {
			if (i)
				sip_buf_append_cstr(&r->out, ",");
			json_addr(&r->out, a);
		} else {
			char l[32];
			snprintf(l, sizeof(l), "%s[%d]:", label, i);
			text_addr(&r->out, l, a);
		}
	}
	if (r->json)
		sip_buf_append_cstr(&r->out, "]");
}

static void vias(struct report *r, bool *first)
{
	int n = sip_msg_via_count(r->m);

	if (n < 0) {
		fail_hdr(r, SIP_HDR_VIA, "Via");
		return;
	}
	if (r->json) {
		json_key(&r->out, first, "via");
		sip_buf_append_cstr(&r->out, "[");
	}
	for (int i = 0; i < n; i++) {
		const struct sip_via *v;
		struct sip_buf *o = &r->out;
		if (sip_msg_via(r->m, (unsigned)i, &v)) {
			fail_hdr(r, SIP_HDR_VIA, "Via");
			break;
		}
		if (r->json) {
			bool f = true;
			sip_buf_append_cstr(o, i ? ",{" : "{");
			json_kstr(o, &f, "transport", v->transport);
			json_kstr(o, &f, "host", v->host);
			if (v->has_port)
				json_knum(o, &f, "port", v->port);
			json_kstr(o, &f, "branch", v->branch);
			if (v->received.len)
				json_kstr(o, &f, "received", v->received);
			if (v->has_rport) {
				json_key(o, &f, "rport");
				if (v->rport)
					sip_buf_printf(o, "%u", v->rport);
				else
					sip_buf_append_cstr(o, "true");
			}
			if (v->maddr.len)
				json_kstr(o, &f, "maddr", v->maddr);
			if (v->ttl >= 0)
				json_knum(o, &f, "ttl", v->ttl);
			sip_buf_append_cstr(o, "}");
		} else {
			sip_buf_printf(o, "Via[%d]:%*s", i, i < 10 ? 9 : 8, "");
			text_nolws(o, v->protocol);
			sip_buf_append_cstr(o, "/");
			text_str(o, v->transport);
			sip_buf_append_cstr(o, " ");
			text_str(o, v->host);
			if (v->has_port)
				sip_buf_printf(o, ":%u", v->port);
			sip_buf_append_cstr(o, "  branch=");
			text_str(o, v->branch);
			if (v->branch.len && !sip_via_branch_is_rfc3261(v))
				sip_buf_append_cstr(o, " (no RFC 3261 magic cookie)");
			if (v->received.len) {
				sip_buf_append_cstr(o, "  received=");
				text_str(o, v->received);
			}
			if (v->has_rport) {
				if (v->rport)
					sip_buf_printf(o, "  rport=%u", v->rport);
				else
					sip_buf_append_cstr(o, "  rport");
			}
			if (v->maddr.len) {
				sip_buf_append_cstr(o, "  maddr=");
				text_str(o, v->maddr);
			}
			if (v->ttl >= 0)
				sip_buf_printf(o, "  ttl=%d", v->ttl);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (r->json)
		sip_buf_append_cstr(&r->out, "]");
}

static void number(struct report *r, bool *first, enum sip_hdr_id id, const char *label,
		   const char *key, int (*get)(struct sip_msg *, uint32_t *))
{
	uint32_t v;

	if (!sip_msg_has(r->m, id))
		return;
	if (get(r->m, &v)) {
		fail_hdr(r, id, label);
		return;
	}
	if (r->json)
		json_knum(&r->out, first, key, v);
	else
		sip_buf_printf(&r->out, "%-16s%u\n", label, (unsigned)v);
}

/* Headers that the sections above already printed. */
static bool summarised(enum sip_hdr_id id)
{
	switch (id) {
	case SIP_HDR_VIA: case SIP_HDR_FROM: case SIP_HDR_TO: case SIP_HDR_CALL_ID:
	case SIP_HDR_CSEQ: case SIP_HDR_MAX_FORWARDS: case SIP_HDR_CONTENT_LENGTH:
	case SIP_HDR_CONTENT_TYPE: case SIP_HDR_CONTACT: case SIP_HDR_ROUTE:
	case SIP_HDR_RECORD_ROUTE: case SIP_HDR_EXPIRES: case SIP_HDR_MIN_EXPIRES:
	case SIP_HDR_EVENT: case SIP_HDR_SUBSCRIPTION_STATE: case SIP_HDR_REASON:
	case SIP_HDR_RETRY_AFTER: case SIP_HDR_RSEQ: case SIP_HDR_RACK:
	case SIP_HDR_SESSION_EXPIRES: case SIP_HDR_REFER_TO: case SIP_HDR_SIP_ETAG:
	case SIP_HDR_SIP_IF_MATCH: case SIP_HDR_SUPPRESS_IF_MATCH: case SIP_HDR_AUTHORIZATION:
	case SIP_HDR_PROXY_AUTHORIZATION: case SIP_HDR_WWW_AUTHENTICATE:
	case SIP_HDR_PROXY_AUTHENTICATE:
		return true;
	default:
		return false;
	}
}

/* ---- Event, Subscription-State, Reason, RAck, digest, ... ---- */

/* A text field "  name=value" (skipped when empty). */
static void text_field(struct sip_buf *o, const char *name, struct sip_str v)
{
	if (!v.len)
		return;
	sip_buf_printf(o, "  %s=", name);
	text_str(o, v);
}

static void label(struct report *r, const char *l)
{
	sip_buf_printf(&r->out, "%-16s", l);
}

static void events(struct report *r, bool *first)
{
	struct sip_buf *o = &r->out;
	const struct sip_event *ev;
	const struct sip_subscription_state *ss;

	if (sip_msg_has(r->m, SIP_HDR_EVENT)) {
		if (sip_msg_event(r->m, &ev)) {
			fail_hdr(r, SIP_HDR_EVENT, "Event");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "event");
			sip_buf_append_cstr(o, "{");
			json_kstr(o, &f, "package", ev->package);
			if (ev->id.len)
				json_kstr(o, &f, "id", ev->id);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "Event:");
			text_str(o, ev->package);
			text_field(o, "id", ev->id);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (sip_msg_has(r->m, SIP_HDR_SUBSCRIPTION_STATE)) {
		if (sip_msg_subscription_state(r->m, &ss)) {
			fail_hdr(r, SIP_HDR_SUBSCRIPTION_STATE, "Subscription-State");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "subscription_state");
			sip_buf_append_cstr(o, "{");
			json_kstr(o, &f, "state", ss->state_str);
			if (ss->reason.len)
				json_kstr(o, &f, "reason", ss->reason);
			if (ss->expires >= 0)
				json_knum(o, &f, "expires", ss->expires);
			if (ss->retry_after >= 0)
				json_knum(o, &f, "retry_after", ss->retry_after);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "Sub-State:");
			text_str(o, ss->state_str);
			text_field(o, "reason", ss->reason);
			if (ss->expires >= 0)
				sip_buf_printf(o, "  expires=%lld", (long long)ss->expires);
			if (ss->retry_after >= 0)
				sip_buf_printf(o, "  retry-after=%lld", (long long)ss->retry_after);
			sip_buf_append_cstr(o, "\n");
		}
	}
}

static void etags(struct report *r, bool *first)
{
	static const struct { enum sip_hdr_id id; const char *label, *key; } t[] = {
		{ SIP_HDR_SIP_ETAG, "SIP-ETag:", "sip_etag" },
		{ SIP_HDR_SIP_IF_MATCH, "SIP-If-Match:", "sip_if_match" },
		{ SIP_HDR_SUPPRESS_IF_MATCH, "Suppress-If-M.:", "suppress_if_match" },
	};
	struct sip_str v;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!sip_msg_has(r->m, t[i].id))
			continue;
		if (sip_msg_etag(r->m, t[i].id, &v)) {
			fail_hdr(r, t[i].id, sip_hdr_name(t[i].id));
		} else if (r->json) {
			json_kstr(&r->out, first, t[i].key, v);
		} else {
			label(r, t[i].label);
			text_str(&r->out, v);
			sip_buf_append_cstr(&r->out, "\n");
		}
	}
}

static void reasons(struct report *r, bool *first)
{
	struct sip_buf *o = &r->out;
	const struct sip_reason *rs;
	const struct sip_retry_after *ra;

	if (sip_msg_has(r->m, SIP_HDR_REASON)) {
		if (sip_msg_reason(r->m, &rs)) {
			fail_hdr(r, SIP_HDR_REASON, "Reason");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "reason_header");
			sip_buf_append_cstr(o, "{");
			json_kstr(o, &f, "protocol", rs->protocol);
			if (rs->cause >= 0)
				json_knum(o, &f, "cause", rs->cause);
			if (rs->text.len)
				json_kstr(o, &f, "text", rs->text);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "Reason:");
			text_str(o, rs->protocol);
			if (rs->cause >= 0)
				sip_buf_printf(o, "  cause=%d", rs->cause);
			text_field(o, "text", rs->text);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (sip_msg_has(r->m, SIP_HDR_RETRY_AFTER)) {
		if (sip_msg_retry_after(r->m, &ra)) {
			fail_hdr(r, SIP_HDR_RETRY_AFTER, "Retry-After");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "retry_after");
			sip_buf_append_cstr(o, "{");
			json_knum(o, &f, "seconds", ra->seconds);
			if (ra->duration >= 0)
				json_knum(o, &f, "duration", ra->duration);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "Retry-After:");
			sip_buf_printf(o, "%u", (unsigned)ra->seconds);
			if (ra->duration >= 0)
				sip_buf_printf(o, "  duration=%lld", (long long)ra->duration);
			sip_buf_append_cstr(o, "\n");
		}
	}
}

static void reliability(struct report *r, bool *first)
{
	struct sip_buf *o = &r->out;
	const struct sip_rack *rack;
	const struct sip_session_expires *se;

	number(r, first, SIP_HDR_RSEQ, "RSeq:", "rseq", sip_msg_rseq);
	if (sip_msg_has(r->m, SIP_HDR_RACK)) {
		if (sip_msg_rack(r->m, &rack)) {
			fail_hdr(r, SIP_HDR_RACK, "RAck");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "rack");
			sip_buf_append_cstr(o, "{");
			json_knum(o, &f, "rseq", rack->rseq);
			json_knum(o, &f, "cseq", rack->cseq);
			json_kstr(o, &f, "method", rack->method_str);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "RAck:");
			sip_buf_printf(o, "%u %u ", (unsigned)rack->rseq, (unsigned)rack->cseq);
			text_str(o, rack->method_str);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (sip_msg_has(r->m, SIP_HDR_SESSION_EXPIRES)) {
		if (sip_msg_session_expires(r->m, &se)) {
			fail_hdr(r, SIP_HDR_SESSION_EXPIRES, "Session-Expires");
		} else if (r->json) {
			bool f = true;
			json_key(o, first, "session_expires");
			sip_buf_append_cstr(o, "{");
			json_knum(o, &f, "delta", se->delta);
			if (se->refresher.len)
				json_kstr(o, &f, "refresher", se->refresher);
			sip_buf_append_cstr(o, "}");
		} else {
			label(r, "Session-Exp.:");
			sip_buf_printf(o, "%u", (unsigned)se->delta);
			text_field(o, "refresher", se->refresher);
			sip_buf_append_cstr(o, "\n");
		}
	}
}

static void auths(struct report *r, bool *first)
{
	static const struct { enum sip_hdr_id id; const char *key; } t[] = {
		{ SIP_HDR_AUTHORIZATION, "authorization" },
		{ SIP_HDR_PROXY_AUTHORIZATION, "proxy_authorization" },
		{ SIP_HDR_WWW_AUTHENTICATE, "www_authenticate" },
		{ SIP_HDR_PROXY_AUTHENTICATE, "proxy_authenticate" },
	};
	struct sip_buf *o = &r->out;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		unsigned n = 0;
		if (!sip_msg_has(r->m, t[i].id))
			continue;
		if (r->json) {
			json_key(o, first, t[i].key);
			sip_buf_append_cstr(o, "[");
		}
		for (const struct sip_hdr *h = sip_msg_hdr(r->m, t[i].id); h;
		     h = sip_msg_hdr_next(r->m, h), n++) {
			const struct sip_auth *a;
			const char *name = sip_hdr_name(t[i].id);
			if (sip_msg_auth(r->m, t[i].id, n, &a)) {
				if (!r->failed) {
					r->failed = true;
					r->bad = h;
					r->bad_what = name;
				}
				break;
			}
			if (r->json) {
				bool f = true;
				sip_buf_append_cstr(o, n ? ",{" : "{");
				json_kstr(o, &f, "scheme", a->scheme);
#define AUTH_FIELD(fld) if (a->fld.len) json_kstr(o, &f, #fld, a->fld)
				AUTH_FIELD(username); AUTH_FIELD(realm); AUTH_FIELD(nonce);
				AUTH_FIELD(uri); AUTH_FIELD(response); AUTH_FIELD(algorithm);
				AUTH_FIELD(cnonce); AUTH_FIELD(opaque); AUTH_FIELD(qop); AUTH_FIELD(nc);
				AUTH_FIELD(domain);
#undef AUTH_FIELD
				if (a->stale) {
					json_key(o, &f, "stale");
					sip_buf_append_cstr(o, "true");
				}
				sip_buf_append_cstr(o, "}");
			} else {
				char l[40];
				snprintf(l, sizeof(l), "%s:", name);
				sip_buf_printf(o, "%-15s ", l);
				text_str(o, a->scheme);
				text_field(o, "username", a->username);
				text_field(o, "realm", a->realm);
				text_field(o, "algorithm", a->algorithm);
				text_field(o, "qop", a->qop);
				text_field(o, "nc", a->nc);
				text_field(o, "uri", a->uri);
				if (a->stale)
					sip_buf_append_cstr(o, "  stale");
				sip_buf_append_cstr(o, "\n");
			}
		}
		if (r->json)
			sip_buf_append_cstr(o, "]");
	}
}

static void report_msg(struct report *r)
{
	struct sip_msg *m = r->m;
	struct sip_buf *o = &r->out;
	bool first = true;
	const struct sip_cseq *cseq;
	const struct sip_ctype *ct;
	struct sip_str callid;
	unsigned nunknown = 0;

	if (r->json) {
		sip_buf_append_cstr(o, "{\"valid\":true");
		first = false;
		if (m->is_request) {
			json_kstr(o, &first, "type", SIP_STR("request"));
			json_kstr(o, &first, "method", m->method_str);
			json_kstr(o, &first, "request_uri", m->ruri_str);
		} else {
			json_kstr(o, &first, "type", SIP_STR("response"));
			json_knum(o, &first, "status", m->status);
			json_kstr(o, &first, "reason", m->reason);
		}
		json_kstr(o, &first, "version", m->version);
	} else if (m->is_request) {
		sip_buf_append_cstr(o, "request:        ");
		text_str(o, m->method_str);
		sip_buf_append_cstr(o, " ");
		text_str(o, m->ruri_str);
		sip_buf_append_cstr(o, " ");
		text_str(o, m->version);
		sip_buf_append_cstr(o, "\n");
	} else {
		sip_buf_printf(o, "response:       %u ", m->status);
		text_str(o, m->reason);
		sip_buf_append_cstr(o, " (");
		text_str(o, m->version);
		sip_buf_append_cstr(o, ")\n");
	}
	if (m->is_request) {
		const struct sip_uri *u;
		if (sip_msg_ruri(m, &u)) {
			r->failed = true;
			r->bad_what = "Request-URI";
		} else if (!r->json) {
			sip_buf_append_cstr(o, "request-uri:    scheme ");
			text_str(o, u->scheme_str);
			if (u->user.len) {
				sip_buf_append_cstr(o, ", user ");
				text_str(o, u->user);
			}
			if (u->host.len) {
				sip_buf_append_cstr(o, ", host ");
				text_str(o, u->host);
			}
			if (u->has_port)
				sip_buf_printf(o, ", port %u", u->port);
			if (u->params.len) {
				sip_buf_append_cstr(o, ", params ");
				text_str(o, u->params);
			}
			sip_buf_append_cstr(o, "\n");
		}
	}
	vias(r, &first);
	one_addr(r, &first, SIP_HDR_FROM, "From", "from", sip_msg_from);
	one_addr(r, &first, SIP_HDR_TO, "To", "to", sip_msg_to);
	if (sip_msg_call_id(m, &callid) == 0) {
		if (r->json) {
			json_kstr(o, &first, "call_id", callid);
		} else {
			sip_buf_append_cstr(o, "Call-ID:        ");
			text_str(o, callid);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (sip_msg_has(m, SIP_HDR_CSEQ)) {
		if (sip_msg_cseq(m, &cseq)) {
			fail_hdr(r, SIP_HDR_CSEQ, "CSeq");
		} else if (r->json) {
			bool f = true;
			json_key(o, &first, "cseq");
			sip_buf_append_cstr(o, "{");
			json_knum(o, &f, "seq", cseq->seq);
			json_kstr(o, &f, "method", cseq->method_str);
			sip_buf_append_cstr(o, "}");
		} else {
			sip_buf_printf(o, "CSeq:           %u ", (unsigned)cseq->seq);
			text_str(o, cseq->method_str);
			sip_buf_append_cstr(o, "\n");
		}
	}
	addr_list(r, &first, SIP_HDR_CONTACT, "Contact", "contact", sip_msg_contact_count,
		  sip_msg_contact);
	addr_list(r, &first, SIP_HDR_ROUTE, "Route", "route", sip_msg_route_count, sip_msg_route);
	addr_list(r, &first, SIP_HDR_RECORD_ROUTE, "Record-Route", "record_route",
		  sip_msg_record_route_count, sip_msg_record_route);
	number(r, &first, SIP_HDR_MAX_FORWARDS, "Max-Forwards:", "max_forwards", sip_msg_max_forwards);
	number(r, &first, SIP_HDR_EXPIRES, "Expires:", "expires", sip_msg_expires);
	number(r, &first, SIP_HDR_MIN_EXPIRES, "Min-Expires:", "min_expires", sip_msg_min_expires);
	one_addr(r, &first, SIP_HDR_REFER_TO, "Refer-To", "refer_to", sip_msg_refer_to);
	events(r, &first);
	etags(r, &first);
	reasons(r, &first);
	reliability(r, &first);
	auths(r, &first);
	if (sip_msg_has(m, SIP_HDR_CONTENT_TYPE)) {
		if (sip_msg_content_type(m, &ct)) {
			fail_hdr(r, SIP_HDR_CONTENT_TYPE, "Content-Type");
		} else if (r->json) {
			json_key(o, &first, "content_type");
			sip_buf_append_cstr(o, "\"");
			sip_buf_printf(o, "%.*s/%.*s", SIP_STR_ARG(ct->type), SIP_STR_ARG(ct->subtype));
			sip_buf_append_cstr(o, "\"");
		} else {
			sip_buf_append_cstr(o, "Content-Type:   ");
			text_str(o, ct->type);
			sip_buf_append_cstr(o, "/");
			text_str(o, ct->subtype);
			sip_buf_append_cstr(o, "\n");
		}
	}
	number(r, &first, SIP_HDR_CONTENT_LENGTH, "Content-Length:", "content_length",
	       sip_msg_content_length);
	if (r->json)
		json_knum(o, &first, "body_length", (long long)m->body.len);
	else
		sip_buf_printf(o, "body:           %zu bytes\n", m->body.len);

	/* Every header line, known or not, so nothing is hidden. */
	if (r->json) {
		json_key(o, &first, "headers");
		sip_buf_append_cstr(o, "[");
	}
	for (uint16_t i = 0; i < m->nhdrs; i++) {
		const struct sip_hdr *h = &m->hdrs[i];
		if (r->json) {
			bool f = true;
			sip_buf_append_cstr(o, i ? ",{" : "{");
			json_kstr(o, &f, "name", h->name);
			json_kstr(o, &f, "value", h->value);
			json_key(o, &f, "known");
			sip_buf_append_cstr(o, h->id != SIP_HDR_OTHER ? "true" : "false");
			sip_buf_append_cstr(o, "}");
		} else if (h->id == SIP_HDR_OTHER) {
			nunknown++;
		} else if (!summarised((enum sip_hdr_id)h->id)) {
			sip_buf_printf(o, "%-16s", "");
			sip_buf_printf(o, "%s: ", sip_hdr_name((enum sip_hdr_id)h->id));
			text_str(o, h->value);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (r->json) {
		sip_buf_append_cstr(o, "]");
	} else if (nunknown) {
		sip_buf_printf(o, "unknown headers (%u):\n", nunknown);
		for (uint16_t i = 0; i < m->nhdrs; i++) {
			const struct sip_hdr *h = &m->hdrs[i];
			if (h->id != SIP_HDR_OTHER)
				continue;
			sip_buf_printf(o, "%-16s", "");
			text_str(o, h->name);
			sip_buf_append_cstr(o, ": ");
			text_str(o, h->value);
			sip_buf_append_cstr(o, "\n");
		}
	}
	if (r->json)
		sip_buf_append_cstr(o, "}\n");
}

/* Line number (from 1), column (from 1) and text of the line holding offset. */
static void locate(struct sip_str in, size_t off, unsigned *line, size_t *col, struct sip_str *text)
{
	size_t start = 0, end;

	if (off > in.len)
		off = in.len;
	*line = 1;
	for (size_t i = 0; i < off; i++)
		if (in.p[i] == '\n') {
			(*line)++;
			start = i + 1;
		}
	end = start;
	while (end < in.len && in.p[end] != '\r' && in.p[end] != '\n')
		end++;
	*col = off - start + 1;
	*text = (struct sip_str){ in.p + start, end - start };
}

static int report_error(struct sip_str in, bool json, unsigned status, const char *reason,
			size_t offset, bool converted)
{
	struct sip_buf o = SIP_BUF_INIT;
	struct sip_str text;
	unsigned line;
	size_t col;
	bool at_end;

	locate(in, offset, &line, &col, &text);
	/* An offset right after the blank line (a missing header is found there)
	 * is shown on the blank line: the fault is in the headers, not the body. */
	at_end = offset >= 2 && offset <= in.len && in.p[offset - 1] == '\n' &&
		 (in.p[offset - 2] == '\n' || (offset >= 3 && in.p[offset - 2] == '\r' &&
						in.p[offset - 3] == '\n'));
	if (at_end) {
		line--;
		col = 1;
		text = (struct sip_str){ "", 0 };
	}
	if (json) {
		bool f = false;
		sip_buf_append_cstr(&o, "{\"valid\":false");
		json_knum(&o, &f, "status", status);
		json_kstr(&o, &f, "reason", sip_str_from_cstr(reason));
		json_knum(&o, &f, "offset", (long long)offset);
		json_knum(&o, &f, "line", line);
		json_knum(&o, &f, "column", (long long)col);
		json_kstr(&o, &f, "text", text);
		json_key(&o, &f, "lf_converted");
		sip_buf_append_cstr(&o, converted ? "true}\n" : "false}\n");
		fwrite(o.p, 1, o.len, stdout);
	} else {
		sip_buf_printf(&o, "invalid: %u %s\n", status, reason);
		if (at_end)
			sip_buf_printf(&o, "line %u, the end of the headers (byte %zu%s):\n", line,
				       offset, converted ? ", LF line ends read as CRLF" : "");
		else
			sip_buf_printf(&o, "line %u, column %zu (byte %zu%s):\n", line, col, offset,
				       converted ? ", LF line ends read as CRLF" : "");
		sip_buf_append_cstr(&o, "  ");
		text_str(&o, text);
		sip_buf_append_cstr(&o, "\n  ");
		/* The caret sits under the column; control bytes before it print wider. */
		for (size_t i = 0; i + 1 < col && i < text.len; i++) {
			unsigned char c = (unsigned char)text.p[i];
			sip_buf_append_cstr(&o, (c < 0x20 || c == 0x7f) ? "    " : " ");
		}
		sip_buf_append_cstr(&o, "^\n");
		fwrite(o.p, 1, o.len, stderr);
	}
	sip_buf_free(&o);
	return CLI_FAIL;
}

int cmd_parse(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false, converted = false;
	struct sip_buf in = SIP_BUF_INIT;
	struct sip_parse_error perr = { 0, NULL, 0 };
	struct report r = { 0 };
	FILE *f;
	int err, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "siphon parse: unknown option '%s'\n", argv[i]);
			return cli_usage("parse");
		} else if (path) {
			fprintf(stderr, "siphon parse: one message at a time\n");
			return cli_usage("parse");
		} else {
			path = argv[i];
		}
	}
	if (!path || strcmp(path, "-") == 0) {
		f = stdin;
		path = "-";
	} else {
		f = fopen(path, "rb");
		if (!f) {
			fprintf(stderr, "siphon parse: cannot read %s: %s\n", path, strerror(errno));
			return CLI_USAGE;
		}
	}
	err = read_all(f, &in);
	if (f != stdin)
		fclose(f);
	if (err) {
		fprintf(stderr, "siphon parse: cannot read %s: %s\n", path,
			err == -EFBIG ? "larger than 16 MiB" : sip_strerror(err));
		sip_buf_free(&in);
		return CLI_USAGE;
	}
	if (in.len == 0) {
		sip_buf_free(&in);
		return report_error((struct sip_str){ "", 0 }, json, 400, "Bad Request (empty input)",
				    0, false);
	}
	if (lf_to_crlf(&in, &converted)) {
		sip_buf_free(&in);
		fprintf(stderr, "siphon parse: out of memory\n");
		return CLI_FAIL;
	}
	err = sip_msg_parse(&r.m, in.p, in.len, NULL, &perr);
	if (err) {
		if (err == -ENOMEM || !perr.reason) {
			fprintf(stderr, "siphon parse: %s\n", sip_strerror(err));
			sip_buf_free(&in);
			return CLI_FAIL;
		}
		rc = report_error(sip_buf_str(&in), json, perr.status, perr.reason, perr.offset,
				  converted);
		sip_buf_free(&in);
		return rc;
	}
	r.json = json;
	report_msg(&r);
	if (r.failed) {
		/* A header the parser split but that does not parse as its type. */
		struct sip_buf reason = SIP_BUF_INIT;
		size_t off = r.bad ? (size_t)(r.bad->name.p - r.m->buf) : 0;
		if (!r.bad && r.m->is_request)
			off = (size_t)(r.m->ruri_str.p - r.m->buf);
		sip_buf_printf(&reason, "Bad Request (malformed %s)", r.bad_what);
		rc = report_error((struct sip_str){ r.m->buf, r.m->len }, json, 400,
				  reason.p ? reason.p : "Bad Request", off, converted);
		sip_buf_free(&reason);
	} else {
		if (!json && converted)
			sip_buf_append_cstr(&r.out, "note:           LF line ends read as CRLF\n");
		fwrite(r.out.p, 1, r.out.len, stdout);
		rc = CLI_OK;
	}
	sip_buf_free(&r.out);
	sip_msg_free(r.m);
	sip_buf_free(&in);
	return rc;
}

/* The toolkit's user agent: loop, transports, transactions, challenges, printing.
 * See ua.h for the shape; the RFC 3261 sections are cited where they decide. */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siphon/auth.h"
#include "siphon/build.h"
#include "siphon/err.h"
#include "siphon/log.h"
#include "siphon/status.h"
#include "siphon/uri.h"
#include "siphon/txn_net.h"
#include "ua.h"

#define UA_CONTAINER(p, type, field) ((type *)(void *)((char *)(p) - offsetof(type, field)))

struct ua_req {
	struct ua_req *next;
	struct ua *ua;
	struct sip_txn *txn;       /* the current transaction (replaced on a challenge) */
	struct sip_timer deadline; /* --timeout */
	ua_result_cb cb;
	void *arg;
	uint64_t sent_ns;          /* uv_hrtime() when last sent */
	int auth_tries;
	bool done;                 /* the final result has been delivered */
	bool has_dst;
	struct sip_txn_dest dst;
	/* The spec, copied, to resend with credentials (22.2). */
	char *method, *ruri, *to, *call_id, *contact_value, *headers, *route, *ctype, *body;
	size_t body_len;
	bool contact;
	struct sip_dialog *dlg;    /* borrowed from the command */
};


int ua_exit_for(int code)
{
	if (code >= 200 && code < 300)
		return UA_EXIT_OK;
	if (code >= 300 && code <= 699)
		return code / 100;
	return UA_EXIT_ERROR;
}

/* ---- Options ---- */

int ua_arg_expires(const char *cmd, const char *v, unsigned *out)
{
	uint32_t n;

	if (sip_str_to_u32(sip_str_from_cstr(v), &n) != 0) {
		fprintf(stderr, "siphon %s: --expires wants seconds\n", cmd);
		return -1;
	}
	*out = n;
	return 0;
}

int ua_opts_parse(struct ua_opts *o, int argc, char **argv, int *i)
{
	const char *a = argv[*i];
	const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
	const char **slot = NULL;

	if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
		o->verbose = true;
		return 1;
	}
	if (strcmp(a, "--json") == 0) {
		o->json = true;
		return 1;
	}
	if (strcmp(a, "--insecure") == 0) {
		o->insecure = true;
		return 1;
	}
	if (strcmp(a, "--from") == 0)
		slot = &o->from;
	else if (strcmp(a, "--user") == 0)
		slot = &o->user;
	else if (strcmp(a, "--password") == 0)
		slot = &o->password;
	else if (strcmp(a, "--transport") == 0)
		slot = &o->transport;
	else if (strcmp(a, "--proxy") == 0)
		slot = &o->proxy;
	else if (strcmp(a, "--tls-ca") == 0)
		slot = &o->tls_ca;
	else if (strcmp(a, "--timeout") != 0)
		return 0;
	if (!v) {
		fprintf(stderr, "siphon: %s needs a value\n", a);
		return -1;
	}
	/* A bad value leaves *o and *i as they were. */
	if (slot) {
		if (slot == &o->transport && strcmp(v, "udp") != 0 && strcmp(v, "tcp") != 0 &&
		    strcmp(v, "tls") != 0) {
			fprintf(stderr, "siphon: --transport must be udp, tcp or tls\n");
			return -1;
		}
		*slot = v;
		(*i)++;
		return 1;
	}
	char *end;
	double t = strtod(v, &end);
	if (*end || !(t > 0) || t > 86400) {
		fprintf(stderr, "siphon: --timeout wants seconds (0 < S <= 86400)\n");
		return -1;
	}
	o->timeout_s = t;
	(*i)++;
	return 1;
}

/* ---- Printing ---- */

void ua_json_str(struct sip_buf *b, const char *s, size_t len)
{
	sip_buf_append(b, "\"", 1);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char e[2] = { '\\', (char)c };
			sip_buf_append(b, e, 2);
		} else if (c == '\n') {
			sip_buf_append(b, "\\n", 2);
		} else if (c == '\r') {
			sip_buf_append(b, "\\r", 2);
		} else if (c == '\t') {
			sip_buf_append(b, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			sip_buf_printf(b, "\\u%04x", c);
		} else {
			sip_buf_append(b, &s[i], 1);
		}
	}
	sip_buf_append(b, "\"", 1);
}

void ua_json_emit(struct ua *ua, const char *event, const struct sip_buf *fields)
{
	(void)ua;
	printf("{\"event\":\"%s\"%s%.*s}\n", event, fields && fields->len ? "," : "",
	       fields ? (int)fields->len : 0, fields && fields->p ? fields->p : "");
	fflush(stdout);
}

void ua_note(struct ua *ua, const char *event, const char *fmt, ...)
{
	char text[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (ua->opt.json) {
		struct sip_buf b = SIP_BUF_INIT;
		sip_buf_append_cstr(&b, "\"text\":");
		ua_json_str(&b, text, strlen(text));
		ua_json_emit(ua, event, &b);
		sip_buf_free(&b);
	} else {
		printf("%s\n", text);
		fflush(stdout);
	}
}

/* "global failure" from "Global Failure": the class name as a phrase. */
static void lower_copy(char *dst, size_t sz, const char *s)
{
	size_t i = 0;

	for (; s[i] && i + 1 < sz; i++)
		dst[i] = (char)tolower((unsigned char)s[i]);
	dst[i] = '\0';
}

void ua_print_response(struct ua *ua, const struct ua_result *res)
{
	struct sip_status_info info;
	char cls[64] = "";
	struct sip_str reason = SIP_STR_NULL;
	struct sip_str mstr = SIP_STR_NULL;
	const struct sip_cseq *cs;

	if (res->req)
		mstr = res->req->method_str;
	if (res->msg) {
		reason = res->msg->reason;
		if (sip_msg_cseq(res->msg, &cs) == 0)
			mstr = cs->method_str;
	}
	if (sip_status_lookup(&info, res->code, NULL) != 0)
		return;
	lower_copy(cls, sizeof(cls), info.class_name);
	if (!res->msg)
		reason = sip_str_from_cstr(res->timeout ? "Request Timeout" : info.phrase);
	if (ua->opt.json) {
		struct sip_buf b = SIP_BUF_INIT;
		sip_buf_append_cstr(&b, "\"method\":");
		ua_json_str(&b, mstr.p ? mstr.p : "", mstr.len);
		sip_buf_printf(&b, ",\"code\":%d,\"reason\":", res->code);
		ua_json_str(&b, reason.p ? reason.p : "", reason.len);
		sip_buf_printf(&b, ",\"final\":%s,\"timeout\":%s,\"local\":%s", res->final ? "true" : "false",
			       res->timeout ? "true" : "false", res->msg ? "false" : "true");
		if (res->msg)
			sip_buf_printf(&b, ",\"rtt_ms\":%.3f", res->rtt_ms);
		sip_buf_printf(&b, ",\"class\":\"%dxx\",\"class_name\":", res->code / 100);
		ua_json_str(&b, cls, strlen(cls));
		sip_buf_append_cstr(&b, ",\"explanation\":");
		ua_json_str(&b, info.description, strlen(info.description));
		if (res->final && res->code >= 300 && !res->answering) {
			sip_buf_append_cstr(&b, ",\"action\":");
			ua_json_str(&b, info.action, strlen(info.action));
		}
		ua_json_emit(ua, "response", &b);
		sip_buf_free(&b);
		return;
	}
	if (res->timeout) {
		printf("<- no final response to %.*s (timeout after %.1f s): treated as 408 Request Timeout (RFC 3261 8.1.3.1)\n",
		       SIP_STR_ARG(mstr), res->rtt_ms / 1000.0);
	} else if (!res->msg) {
		printf("<- %d %s (local: the transport failed, RFC 3261 8.1.3.1)  %dxx %s: %s\n", res->code,
		       info.phrase, res->code / 100, cls, info.description);
	} else {
		printf("<- %d %.*s  %dxx %s: %s  [%.*s, %.1f ms]\n", res->code, SIP_STR_ARG(reason), res->code / 100,
		       cls, info.description, SIP_STR_ARG(mstr), res->rtt_ms);
	}
	if (res->final && res->code >= 300 && !res->timeout && !res->answering)
		printf("   what to do: %s\n", info.action);
	/* 21.3: a redirection lists where to try in its Contacts. */
	if (res->msg && res->code >= 300 && res->code < 400) {
		const struct sip_addr *c;
		int n = sip_msg_contact_count(res->msg);
		for (int i = 0; i < n; i++)
			if (sip_msg_contact(res->msg, (unsigned)i, &c) == 0)
				printf("   try: %.*s\n", SIP_STR_ARG(c->uri_str));
	}
	fflush(stdout);
}

static void print_wire(struct ua *ua, bool sent, const char *peer, const char *buf, size_t len)
{
	if (!ua->opt.verbose)
		return;
	if (ua->opt.json) {
		struct sip_buf b = SIP_BUF_INIT;
		sip_buf_append_cstr(&b, sent ? "\"to\":" : "\"from\":");
		ua_json_str(&b, peer, strlen(peer));
		sip_buf_append_cstr(&b, ",\"message\":");
		ua_json_str(&b, buf, len);
		ua_json_emit(ua, sent ? "sent" : "received", &b);
		sip_buf_free(&b);
		return;
	}
	printf("--- %s %s (%zu bytes)\n%.*s%s", sent ? "sent to" : "received from", peer, len, (int)len, buf,
	       len && buf[len - 1] == '\n' ? "" : "\n");
	printf("---\n");
	fflush(stdout);
}

/* ---- Transport glue: txn <-> net ---- */

static void dest_text(char *out, size_t sz, enum sip_tp tp, const struct sip_net_addr *a)
{
	char addr[SIP_NET_ADDRSTR];

	sip_net_addr_format(addr, a);
	snprintf(out, sz, "%s:%s", sip_tp_name(tp), addr);
	for (char *p = out; *p && *p != ':'; p++)
		*p = (char)tolower((unsigned char)*p);
}

static int tp_send(void *arg, const struct sip_txn_dest *d, const char *buf, size_t len, uint64_t *conn_id)
{
	struct ua *ua = arg;
	struct sip_net_dest nd;
	char peer[SIP_NET_ADDRSTR + 8];

	sip_txn_dest_to_net(&nd, d);
	nd.lis = ua->tp == SIP_TP_UDP ? ua->lis : NULL;
	/* RFC 5922 7.3: a new TLS connection to the next hop checks the host of its URI. */
	if (nd.tp == SIP_TP_TLS && sip_net_addr_eq(&nd.remote, &ua->dst.remote))
		nd.tls_host = sip_str_from_cstr(ua->tls_host);
	dest_text(peer, sizeof(peer), nd.tp, &nd.remote);
	print_wire(ua, true, peer, buf, len);
	return sip_net_send(ua->net, &nd, buf, len, conn_id);
}

static bool tp_reliable(void *arg, const struct sip_txn_dest *d)
{
	(void)arg;
	return sip_tp_reliable(sip_txn_proto_tp(d->proto));
}

static void net_error(const struct sip_net_dest *dst, int err, void *arg)
{
	struct ua *ua = arg;

	/* RFC 3261 26.3.1: the server is not who the URI names (or cannot be told):
	 * nothing was sent. Say why in one line and end: a 503 for each request
	 * would bury the reason. */
	if (err == SIP_ETLSVERIFY && !ua->stopping) {
		const char *why = sip_net_error_detail(ua->net);
		char ip[SIP_NET_IPSTR];

		sip_net_addr_ip(ip, &dst->remote);
		ua_note(ua, "tls_error", "TLS: cannot verify %s: %s; %s",
			sip_net_addr_eq(&dst->remote, &ua->dst.remote) ? ua->tls_host : ip,
			*why ? why : "certificate verify failed",
			strstr(why, "mismatch") ? "the certificate names another host (--insecure to connect anyway)"
						: "use --tls-ca FILE to trust its CA, or --insecure");
		ua_stop(ua, UA_EXIT_ERROR);
		return;
	}
	/* A connection that failed (refused, reset): the layer knows which
	 * transactions went out on it, also the one that opened it, and ends them
	 * (17.1.4); client_event treats that as a 503 and tries the next target
	 * (RFC 3263 4.3). */
	if (ua->txl)
		sip_txn_layer_transport_error(ua->txl, dst->conn_id, err);
}

static void net_recv(struct sip_msg *m, const struct sip_net_src *src, void *arg)
{
	struct ua *ua = arg;
	struct sip_txn_dest d;
	char peer[SIP_NET_ADDRSTR + 8];

	if (!ua->txl) {
		sip_msg_free(m);
		return;
	}
	dest_text(peer, sizeof(peer), src->tp, &src->remote);
	print_wire(ua, false, peer, m->buf, m->len);
	sip_txn_dest_set(&d, src->tp, &src->remote, src->conn_id);
	ua->cur_src = src;
	sip_txn_layer_recv(ua->txl, m, &d);
	ua->cur_src = NULL;
}

/* ---- Incoming requests ---- */

int ua_respond(struct ua *ua, struct sip_txn *st, int code, const char *headers)
{
	return ua_respond_body(ua, st, code, headers, NULL, NULL, 0, NULL);
}

int ua_respond_body(struct ua *ua, struct sip_txn *st, int code, const char *headers, const char *ctype,
		    const char *body, size_t body_len, struct sip_buf *sent)
{
	struct sip_msg *req = sip_txn_request(st);
	struct sip_out *o;
	struct sip_net_via_fix fix;
	struct sip_buf b = SIP_BUF_INIT;
	int err;

	err = sip_out_response_to(&o, req, code, NULL, sip_str_from_cstr(ua->from_tag));
	if (err)
		return err;
	if (ua->cur_src && sip_net_via_fix(&fix, req, ua->cur_src) == 0)
		err = sip_net_via_apply(o, req, &fix);
	for (const char *p = headers; !err && p && *p;) {
		const char *eol = strstr(p, "\r\n"), *colon = strchr(p, ':');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (!colon || (size_t)(colon - p) >= n)
			break;
		err = sip_out_add_name(o, sip_str_trim((struct sip_str){ p, (size_t)(colon - p) }),
				       sip_str_trim((struct sip_str){ colon + 1, n - (size_t)(colon - p) - 1 }));
		p += n + (eol ? 2 : 0);
	}
	if (!err)
		err = sip_out_add(o, SIP_HDR_USER_AGENT, SIP_STR("siphon/" SIPHON_VERSION));
	if (!err && body)
		err = sip_out_set_body(o, sip_str_from_cstr(ctype), (struct sip_str){ body, body_len });
	if (!err)
		err = sip_out_serialize(o, &b);
	sip_out_free(o);
	if (!err && sent) {
		sip_buf_reset(sent);
		err = sip_buf_append(sent, b.p, b.len);
	}
	if (!err)
		err = sip_txn_respond(st, b.p, b.len);
	if (!err && !ua->opt.json)
		printf("-> %d %s (to the %.*s)\n", code, sip_status_phrase(code), SIP_STR_ARG(req->method_str));
	sip_buf_free(&b);
	return err;
}

static void server_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	(void)t;
	(void)ev;
	(void)arg;
}

static void on_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	struct ua *ua = arg;

	(void)cancelled;
	sip_txn_set_cb(st, server_event, ua);
	if (ua->stopping) {
		ua_respond(ua, st, 503, NULL);
		return;
	}
	if (ua->on_request) {
		ua->on_request(ua, st, req);
		return;
	}
	/* 11.2: a UA answers OPTIONS as it would an INVITE; nothing else is expected
	 * outside the command's dialog (12.2.2: 481 for an unknown dialog). */
	ua_respond(ua, st, req->method == SIP_METHOD_OPTIONS ? 200 : 481, NULL);
}

static void on_stray(struct sip_msg *m, const struct sip_txn_dest *src, void *arg)
{
	struct ua *ua = arg;

	(void)src;
	if (ua->on_stray && !ua->stopping)
		ua->on_stray(ua, m);
}

/* ---- Requests ---- */

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void req_free(struct ua_req *r)
{
	free(r->method);
	free(r->ruri);
	free(r->to);
	free(r->call_id);
	free(r->contact_value);
	free(r->headers);
	free(r->route);
	free(r->ctype);
	free(r->body);
	free(r);
}

static void req_unlink(struct ua *ua, struct ua_req *r)
{
	for (struct ua_req **pp = &ua->reqs; *pp; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	}
	sip_timer_stop(&ua->ts, &r->deadline);
	req_free(r);
}

static struct ua_req *req_find(struct ua *ua, struct sip_txn *t)
{
	for (struct ua_req *r = ua->reqs; r; r = r->next)
		if (r->txn == t)
			return r;
	return NULL;
}

static int add_lines(struct sip_out *o, const char *text)
{
	int err = 0;

	for (const char *p = text; p && *p && !err;) {
		const char *eol = strstr(p, "\r\n"), *colon = strchr(p, ':');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (!colon || (size_t)(colon - p) >= n)
			return -EINVAL;
		err = sip_out_add_name(o, sip_str_trim((struct sip_str){ p, (size_t)(colon - p) }),
				       sip_str_trim((struct sip_str){ colon + 1, n - (size_t)(colon - p) - 1 }));
		p += n + (eol ? 2 : 0);
	}
	return err;
}

/* --user, else the user part of the From URI. */
static const char *digest_user(struct ua *ua, char *buf, size_t sz)
{
	struct sip_uri fu;

	if (ua->opt.user)
		return ua->opt.user;
	buf[0] = '\0';
	if (sip_uri_parse(&fu, sip_str_from_cstr(ua->from_uri)) == 0)
		sip_str_copy(buf, sz, fu.user);
	return buf;
}

/* The credentials for a new request from the cached challenge (22.2, 22.3):
 * every request answers it again with the next nonce count. */
static int add_credentials(struct ua *ua, struct sip_out *o, const char *method, const char *ruri)
{
	struct sip_auth ch[8];
	size_t n = 0;
	struct sip_buf val = SIP_BUF_INIT;
	char cnonce[SIP_TAG_SIZE];
	const char *user;
	int err;

	if (!ua->challenge.len || !ua->opt.password)
		return 0;
	for (const char *p = ua->challenge.p; *p && n < 8;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (sip_auth_parse(&ch[n], (struct sip_str){ p, len }) == 0)
			n++;
		p += len + (nl ? 1 : 0);
	}
	char ubuf[256];
	user = digest_user(ua, ubuf, sizeof(ubuf));
	if (sip_tag_new(cnonce, sizeof(cnonce)) != 0)
		return -EIO;
	struct sip_auth_client_args a = {
		.username = sip_str_from_cstr(user),
		.password = sip_str_from_cstr(ua->opt.password),
		.method = sip_str_from_cstr(method),
		.uri = sip_str_from_cstr(ruri),
		.cnonce = sip_str_from_cstr(cnonce),
		.nc = ++ua->nc,
	};
	err = sip_auth_client_respond(&val, ch, n, &a);
	if (!err)
		err = sip_out_add(o, ua->challenge_proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION,
				  (struct sip_str){ val.p, val.len });
	sip_buf_free(&val);
	return err;
}

/* The parts every request gets after the dialog or the UA core made its start:
 * Contact, credentials, User-Agent, the command's headers and the body. */
static int add_common(struct ua *ua, struct sip_out *o, const struct ua_req_spec *s, const char *ruri)
{
	int err = 0;

	if (s->contact_value)
		err = sip_out_add(o, SIP_HDR_CONTACT, sip_str_from_cstr(s->contact_value));
	else if (s->contact && !s->dlg)
		err = sip_out_add(o, SIP_HDR_CONTACT, sip_str_from_cstr(ua->contact));
	if (!err && strcmp(s->method, "ACK") != 0 && strcmp(s->method, "CANCEL") != 0)
		err = add_credentials(ua, o, s->method, ruri);
	if (!err)
		err = sip_out_add(o, SIP_HDR_USER_AGENT, SIP_STR("siphon/" SIPHON_VERSION));
	if (!err && s->headers)
		err = add_lines(o, s->headers);
	if (!err && s->body)
		err = sip_out_set_body(o, sip_str_from_cstr(s->ctype ? s->ctype : "text/plain"),
				       (struct sip_str){ s->body, s->body_len });
	return err;
}

/* A request inside s->dlg (12.2.1.1): the dialog layer writes the start line,
 * Via (a new branch), From, To, Call-ID, CSeq, Max-Forwards and Route. */
static int build_in_dialog(struct ua *ua, struct sip_buf *b, const struct ua_req_spec *s, char branch[SIP_BRANCH_SIZE],
			   uint32_t *cseq_out)
{
	char via[SIP_NET_ADDRSTR + 32];
	struct sip_out *o;
	struct sip_msg *m;
	const struct sip_cseq *cs;
	const struct sip_via *v;
	struct sip_dialog_req_opts dopts = { .ack_cseq = s->cseq };
	int err;

	/* rport as outside a dialog (RFC 3581); the dialog layer adds the branch. */
	snprintf(via, sizeof(via), "SIP/2.0/%s %s;rport", sip_tp_name(ua->tp), ua->host);
	dopts.via = sip_str_from_cstr(via);
	if (s->contact)
		dopts.contact = sip_str_from_cstr(ua->contact);
	err = sip_dialog_request(&o, s->dlg, sip_str_from_cstr(s->method), &dopts);
	if (err)
		return err;
	/* The Request-URI the dialog chose is the digest-uri (RFC 2617 3.2.2). */
	struct sip_buf tmp = SIP_BUF_INIT;
	err = sip_out_serialize(o, &tmp);
	if (!err)
		err = sip_msg_parse(&m, tmp.p, tmp.len, NULL, NULL);
	sip_buf_free(&tmp);
	if (!err) {
		char ruri[1024];
		sip_str_copy(ruri, sizeof(ruri), m->ruri_str);
		if (cseq_out && sip_msg_cseq(m, &cs) == 0)
			*cseq_out = cs->seq;
		/* The branch the dialog layer chose is the one ua_build reports. */
		if (sip_msg_via(m, 0, &v) == 0)
			sip_str_copy(branch, SIP_BRANCH_SIZE, v->branch);
		sip_msg_free(m);
		err = add_common(ua, o, s, ruri);
	}
	if (!err)
		err = sip_out_serialize(o, b);
	sip_out_free(o);
	return err;
}

static int build_spec(struct ua *ua, struct sip_buf *b, const struct ua_req_spec *s, char branch[SIP_BRANCH_SIZE],
		      uint32_t *cseq_out)
{
	struct sip_out *o;
	uint32_t cseq = s->cseq ? s->cseq : ++ua->cseq;
	int err;

	if (sip_branch_new(branch, SIP_BRANCH_SIZE) != 0)
		return -EIO;
	if (s->dlg)
		return build_in_dialog(ua, b, s, branch, cseq_out);
	err = sip_out_request(&o, sip_str_from_cstr(s->method), sip_str_from_cstr(s->ruri));
	if (err)
		return err;
	/* 8.1.1.7, RFC 3581: rport so a NAT or a wildcard socket still gets the answer. */
	err = sip_out_addf(o, SIP_HDR_VIA, "SIP/2.0/%s %s;branch=%s;rport", sip_tp_name(ua->tp), ua->host, branch);
	if (!err)
		err = sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70"));
	if (!err)
		err = sip_out_addf(o, SIP_HDR_FROM, "<%s>;tag=%s", ua->from_uri, ua->from_tag);
	if (!err && s->to)
		err = sip_out_add(o, SIP_HDR_TO, sip_str_from_cstr(s->to));
	else if (!err)
		err = sip_out_addf(o, SIP_HDR_TO, "<%s>", s->ruri);
	if (!err)
		err = sip_out_add(o, SIP_HDR_CALL_ID, sip_str_from_cstr(s->call_id ? s->call_id : ua->call_id));
	if (!err)
		err = sip_out_addf(o, SIP_HDR_CSEQ, "%u %s", cseq, s->method);
	if (!err && s->route)
		err = add_lines(o, s->route);
	if (!err)
		err = add_common(ua, o, s, s->ruri);
	if (!err)
		err = sip_out_serialize(o, b);
	sip_out_free(o);
	if (!err && cseq_out)
		*cseq_out = cseq;
	return err;
}

int ua_build(struct ua *ua, struct sip_buf *b, const struct ua_req_spec *spec, char *branch_out)
{
	char branch[SIP_BRANCH_SIZE];
	int err = build_spec(ua, b, spec, branch, NULL);

	if (!err && branch_out)
		memcpy(branch_out, branch, sizeof(branch));
	return err;
}

static void client_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg);
static void deadline_cb(struct sip_timer *tm);
static bool next_target(struct ua *ua);

static void req_spec_of(const struct ua_req *r, struct ua_req_spec *s)
{
	*s = (struct ua_req_spec){
		.method = r->method, .ruri = r->ruri, .to = r->to, .call_id = r->call_id,
		.contact = r->contact, .contact_value = r->contact_value, .headers = r->headers,
		.route = r->route, .ctype = r->ctype, .body = r->body, .body_len = r->body_len,
		.dlg = r->dlg,
	};
}

/* Build r's request (a new branch and CSeq) and start its client transaction. */
static int req_start(struct ua *ua, struct ua_req *r)
{
	struct ua_req_spec s;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m;
	char branch[SIP_BRANCH_SIZE];
	int err;

	req_spec_of(r, &s);
	err = build_spec(ua, &b, &s, branch, NULL);
	if (!err)
		err = sip_msg_parse(&m, b.p, b.len, NULL, NULL);
	sip_buf_free(&b);
	if (err)
		return err;
	const struct sip_txn_dest *d = r->has_dst ? &r->dst : &ua->tdst;
	struct sip_net_addr na;
	char where[SIP_NET_ADDRSTR + 8];
	/* Credentials also go out unasked, for a challenge answered before (22.2). */
	bool creds = sip_msg_has(m, SIP_HDR_AUTHORIZATION) || sip_msg_has(m, SIP_HDR_PROXY_AUTHORIZATION);

	err = sip_txn_client_alloc(&r->txn, ua->txl, m, d, client_event, ua);
	if (err) {
		sip_msg_free(m);
		return err;
	}
	r->sent_ns = uv_hrtime();
	/* m is the transaction's now, and lives as long as it. */
	sip_txn_dest_addr(&na, d);
	dest_text(where, sizeof(where), sip_txn_proto_tp(d->proto), &na);
	if (ua->opt.json) {
		struct sip_buf j = SIP_BUF_INIT;
		sip_buf_append_cstr(&j, "\"method\":");
		ua_json_str(&j, r->method, strlen(r->method));
		sip_buf_append_cstr(&j, ",\"uri\":");
		ua_json_str(&j, m->ruri_str.p, m->ruri_str.len);
		sip_buf_printf(&j, ",\"to\":\"%s\",\"auth\":%s", where, creds ? "true" : "false");
		ua_json_emit(ua, "request", &j);
		sip_buf_free(&j);
	} else {
		printf("-> %s %.*s (%s%s)\n", r->method, SIP_STR_ARG(m->ruri_str), where,
		       creds ? ", with credentials" : "");
		fflush(stdout);
	}
	return 0;
}

int ua_send(struct ua *ua, const struct ua_req_spec *spec, ua_result_cb cb, void *arg, struct ua_req **rp)
{
	struct ua_req *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return -ENOMEM;
	r->ua = ua;
	r->cb = cb;
	r->arg = arg;
	r->method = dup_or_null(spec->method);
	r->ruri = dup_or_null(spec->ruri);
	r->to = dup_or_null(spec->to);
	r->call_id = dup_or_null(spec->call_id);
	r->contact = spec->contact;
	r->dlg = spec->dlg;
	if (spec->dst) {
		r->has_dst = true;
		r->dst = *spec->dst;
	}
	r->contact_value = dup_or_null(spec->contact_value);
	r->headers = dup_or_null(spec->headers);
	r->route = dup_or_null(spec->route);
	r->ctype = dup_or_null(spec->ctype);
	if (spec->body) {
		r->body = malloc(spec->body_len + 1);
		if (r->body) {
			memcpy(r->body, spec->body, spec->body_len);
			r->body[spec->body_len] = '\0';
		}
		r->body_len = spec->body_len;
	}
	if (!r->method || (!r->ruri && !r->dlg) || (spec->body && !r->body)) {
		req_free(r);
		return -ENOMEM;
	}
	err = req_start(ua, r);
	if (err) {
		fprintf(stderr, "siphon: cannot send %s: %s\n", spec->method, sip_strerror(err));
		req_free(r);
		return err;
	}
	sip_timer_init(&r->deadline);
	sip_timer_start(&ua->ts, &r->deadline, (uint64_t)(ua->opt.timeout_s * 1000.0), deadline_cb);
	r->next = ua->reqs;
	ua->reqs = r;
	if (rp)
		*rp = r;
	return 0;
}

void ua_req_forget(struct ua *ua, struct ua_req *r)
{
	r->done = true;
	r->cb = NULL;
	sip_timer_stop(&ua->ts, &r->deadline);
}

struct sip_msg *ua_req_msg(struct ua_req *r)
{
	return r->txn ? sip_txn_request(r->txn) : NULL;
}

static void deliver(struct ua *ua, struct ua_req *r, struct ua_result *res)
{
	res->req = r->txn ? sip_txn_request(r->txn) : NULL;
	if (res->final && !res->retransmission) {
		r->done = true;
		sip_timer_stop(&ua->ts, &r->deadline);
	}
	if (r->cb)
		r->cb(ua, r, res, r->arg);
}

static void deadline_cb(struct sip_timer *tm)
{
	struct ua_req *r = UA_CONTAINER(tm, struct ua_req, deadline);
	struct ua *ua = r->ua;
	struct ua_result res = { .code = 408, .final = true, .timeout = true };

	if (r->done)
		return;
	res.rtt_ms = (double)(uv_hrtime() - r->sent_ns) / 1e6;
	deliver(ua, r, &res);
}

/* Keep the challenges of a 401/407 (every WWW-/Proxy-Authenticate line). */
static bool keep_challenge(struct ua *ua, struct sip_msg *m, bool *stale)
{
	enum sip_hdr_id id = m->status == 407 ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE;
	const struct sip_auth *a;

	*stale = false;
	sip_buf_reset(&ua->challenge);
	for (unsigned i = 0; i < 8 && sip_msg_auth(m, id, i, &a) == 0; i++) {
		const struct sip_hdr *h = sip_msg_hdr(m, id);
		for (unsigned k = 0; k < i && h; k++)
			h = sip_msg_hdr_next(m, h);
		if (!h)
			break;
		if (a->stale)
			*stale = true;
		sip_buf_append_str(&ua->challenge, h->value);
		sip_buf_append(&ua->challenge, "\n", 1);
	}
	ua->challenge_proxy = m->status == 407;
	ua->nc = 0;
	return ua->challenge.len > 0;
}

/* RFC 3263 4.3: a request to the default next hop that timed out, failed in
 * the transport or got a 503 is sent again, a new transaction, to the next target.
 * Not CANCEL (9.1: it follows its INVITE) nor requests with their own hop. */
static bool retry_next(struct ua *ua, struct ua_req *r)
{
	if (r->has_dst || r->dlg || ua->stopping || strcmp(r->method, "CANCEL") == 0 || !next_target(ua))
		return false;
	return req_start(ua, r) == 0;
}

static void client_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct ua *ua = arg;
	struct ua_req *r = req_find(ua, t);
	struct ua_result res = { 0 };

	if (!r)
		return;
	if (ev->type == SIP_TXN_EV_TERMINATED) {
		if (!r->done) {
			res.code = 503;
			res.final = true;
			deliver(ua, r, &res);
		}
		req_unlink(ua, r);
		return;
	}
	res.rtt_ms = (double)(uv_hrtime() - r->sent_ns) / 1e6;
	if (ev->type == SIP_TXN_EV_TIMEOUT || ev->type == SIP_TXN_EV_TRANSPORT_ERROR) {
		if (r->done)
			return;
		if (retry_next(ua, r))
			return;
		res.final = true;
		res.timeout = ev->type == SIP_TXN_EV_TIMEOUT;
		res.code = res.timeout ? 408 : 503; /* 8.1.3.1 */
		deliver(ua, r, &res);
		return;
	}
	if (ev->type != SIP_TXN_EV_RESPONSE || !ev->msg)
		return;
	res.msg = ev->msg;
	res.code = ev->msg->status;
	res.final = res.code >= 200;
	if (r->done) {
		/* 13.2.2.4: each 2xx retransmission to INVITE is ACKed again. */
		if (res.code >= 200 && res.code < 300 && sip_txn_is_invite(t)) {
			res.retransmission = true;
			deliver(ua, r, &res);
		}
		return;
	}
	if ((res.code == 401 || res.code == 407) && ua->opt.password && !ua->stopping) {
		bool stale;
		/* 22.2: answer a challenge once; again only for stale=true (RFC 7616 3.3:
		 * the nonce expired, the password was right). */
		if (keep_challenge(ua, ev->msg, &stale) && (r->auth_tries == 0 || (stale && r->auth_tries < 3))) {
			char user[256];
			res.answering = true;
			ua_print_response(ua, &res);
			ua_note(ua, "auth", "   answering the %s challenge%s as user '%s'", res.code == 407 ? "proxy" : "server",
				stale ? " (stale nonce)" : "", digest_user(ua, user, sizeof(user)));
			r->auth_tries++;
			sip_timer_stop(&ua->ts, &r->deadline);
			if (req_start(ua, r) == 0) {
				sip_timer_start(&ua->ts, &r->deadline, (uint64_t)(ua->opt.timeout_s * 1000.0), deadline_cb);
				return;
			}
			/* The request could not be resent: report the challenge as final. */
			r->txn = t;
		}
	}
	if (res.code == 503) {
		char was[sizeof(ua->dst_text)];
		snprintf(was, sizeof(was), "%s", ua->dst_text);
		if (retry_next(ua, r)) {
			ua_note(ua, "failover", "   (503 from %s: sent to the next target)", was);
			return;
		}
	}
	deliver(ua, r, &res);
}

/* ---- Setup and teardown ---- */

static void sigint_cb(uv_signal_t *h, int signum)
{
	struct ua *ua = h->data;

	(void)signum;
	/* timeout(1) passes a SIGINT on to its child and to the process group, so
	 * one Ctrl-C can arrive twice at once: only a second one later counts. */
	uint64_t now = uv_hrtime();
	if (ua->sigints && now - ua->last_sigint_ns < 300000000ull)
		return;
	ua->last_sigint_ns = now;
	if (++ua->sigints > 1 || !ua->on_sigint) {
		ua_note(ua, "interrupted", "interrupted");
		ua_stop(ua, ua->status ? ua->status : UA_EXIT_ERROR);
		return;
	}
	ua->on_sigint(ua);
}

static void tick_cb(uv_timer_t *h)
{
	struct ua *ua = h->data;

	if (ua->on_tick && !ua->stopping)
		ua->on_tick(ua);
}

void ua_tick(struct ua *ua, uint64_t ms)
{
	if (ms)
		uv_timer_start(&ua->tick, tick_cb, ms, 0);
	else
		uv_timer_stop(&ua->tick);
}

/* The local address the kernel would use to reach dst (a connected UDP socket
 * sends nothing): what Via and Contact must carry. */
static int local_addr_for(struct sip_net_addr *out, const struct sip_net_addr *dst)
{
	int fd = socket(dst->u.sa.sa_family, SOCK_DGRAM, 0);
	socklen_t len = sizeof(out->u);
	int err = 0;

	if (fd < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	if (connect(fd, &dst->u.sa, dst->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
								    : sizeof(struct sockaddr_in)) != 0 ||
	    getsockname(fd, &out->u.sa, &len) != 0)
		err = -errno;
	close(fd);
	return err;
}

/* RFC 3263 4 for uri (the target, --proxy, or a dialog's next hop): its
 * targets in order into *out. tp fixes the transport (--transport, or the
 * dialog's); SIP_TP_NONE lets the URI and DNS choose. Blocks (sip_dns_resolve):
 * the toolkit resolves at start-up and on a dialog's first request only. */
static int resolve_uri(struct sip_dns_result *out, const struct sip_uri *uri, enum sip_tp tp)
{
	struct sip_dns_query q;
	int err = sip_dns_query_from_uri(&q, uri);

	if (err)
		return err;
	if (tp != SIP_TP_NONE)
		q.tp = tp;
	return sip_dns_resolve(out, &q, NULL);
}

/* Make target i of ua->targets the default next hop. */
static void use_target(struct ua *ua, unsigned i)
{
	const struct sip_dns_target *t = &ua->targets.t[i];

	ua->target = i;
	ua->dst.remote = t->addr;
	ua->dst.tp = ua->tp;
	sip_txn_dest_set(&ua->tdst, ua->tp, &t->addr, 0);
	dest_text(ua->dst_text, sizeof(ua->dst_text), ua->tp, &t->addr);
}

static void note_target(struct ua *ua, const char *what, struct sip_str domain)
{
	char chain[3 * SIP_DNS_NAME + 64];

	sip_dns_target_describe(chain, sizeof(chain), &ua->targets.t[ua->target], domain);
	ua_note(ua, "resolve", "%s %s", what, chain);
}

/* RFC 3263 4.3: after a timeout, a transport error or a 503, a new transaction
 * goes to the next target. Only one with the transport and local address of the
 * first: the listener, Via and Contact are theirs. */
static bool next_target(struct ua *ua)
{
	struct sip_net_addr cur, loc;

	if (local_addr_for(&cur, &ua->dst.remote) != 0)
		return false;
	for (unsigned i = ua->target + 1; i < ua->targets.n; i++) {
		const struct sip_dns_target *t = &ua->targets.t[i];
		sip_net_addr_set_port(&cur, 0);
		if (t->tp != ua->tp || local_addr_for(&loc, &t->addr) != 0)
			continue;
		sip_net_addr_set_port(&loc, 0);
		if (!sip_net_addr_eq(&loc, &cur))
			continue;
		use_target(ua, i);
		note_target(ua, "next target:", sip_str_from_cstr(ua->hop_name));
		return true;
	}
	return false;
}

static void stop_timer_cb(uv_timer_t *h);

int ua_init(struct ua *ua, const struct ua_opts *opt, const char *target_uri)
{
	struct sip_uri uri, puri;
	struct sip_net_addr local;
	struct sip_listen_spec ls;
	char pbuf[512];
	const struct sip_uri *hop = &uri;
	int err;

	memset(ua, 0, sizeof(*ua));
	ua->opt = *opt;
	if (!(ua->opt.timeout_s > 0))
		ua->opt.timeout_s = 32;
	if (sip_uri_parse(&uri, sip_str_from_cstr(target_uri)) != 0 ||
	    (uri.scheme != SIP_URI_SIP && uri.scheme != SIP_URI_SIPS) || !uri.host.len) {
		fprintf(stderr, "siphon: '%s' is not a sip: or sips: URI\n", target_uri);
		return UA_EXIT_USAGE;
	}
	if (opt->proxy) {
		if (strncmp(opt->proxy, "sip:", 4) == 0 || strncmp(opt->proxy, "sips:", 5) == 0)
			snprintf(pbuf, sizeof(pbuf), "%s", opt->proxy);
		else
			snprintf(pbuf, sizeof(pbuf), "sip:%s", opt->proxy);
		if (sip_uri_parse(&puri, sip_str_from_cstr(pbuf)) != 0 || !puri.host.len) {
			fprintf(stderr, "siphon: bad --proxy '%s'\n", opt->proxy);
			return UA_EXIT_USAGE;
		}
		hop = &puri;
	}
	if (opt->transport) {
		ua->tp = sip_tp_from_str(sip_str_from_cstr(opt->transport));
	} else if (sip_net_uri_tp(&ua->tp, hop) != 0) {
		fprintf(stderr, "siphon: the URI asks for a transport siphon does not have\n");
		return UA_EXIT_USAGE;
	}
	if (ua->tp != SIP_TP_UDP && ua->tp != SIP_TP_TCP && ua->tp != SIP_TP_TLS) {
		fprintf(stderr, "siphon: transport must be udp, tcp or tls\n");
		return UA_EXIT_USAGE;
	}
	/* RFC 3261 26.2.2, 19.1.2: a sips: target is reached over TLS on every hop,
	 * the first one (--proxy) included; anything else would send it in clear. */
	if (uri.scheme == SIP_URI_SIPS && ua->tp != SIP_TP_TLS) {
		if (opt->transport || hop->transport.len) {
			fprintf(stderr, "siphon: a sips: URI is reached over TLS only (RFC 3261 26.2.2); "
					"drop --transport or the proxy's transport=\n");
			return UA_EXIT_USAGE;
		}
		ua->tp = SIP_TP_TLS;
	}
	/* RFC 3263 4: NAPTR, SRV, then A/AAAA (a numeric IP or a port skips the
	 * first two; --transport or transport= fix the transport, TLS for sips:). */
	sip_str_copy(ua->hop_name, sizeof(ua->hop_name), hop->maddr.len ? hop->maddr : hop->host);
	err = resolve_uri(&ua->targets, hop,
			  opt->transport || (uri.scheme == SIP_URI_SIPS && hop != &uri) ? ua->tp : SIP_TP_NONE);
	if (err) {
		fprintf(stderr, "siphon: cannot resolve %s (%s)\n", ua->hop_name, sip_dns_strerror(err));
		return UA_EXIT_ERROR;
	}
	/* RFC 5922 7.3: the certificate must name the URI's own host, never what DNS
	 * (SRV targets) answered. */
	sip_str_copy(ua->tls_host, sizeof(ua->tls_host), hop->host);
	if (opt->verbose && !ua->targets.t[0].numeric) {
		for (unsigned i = 0; i < ua->targets.n; i++) {
			ua->target = i;
			note_target(ua, i ? "  then" : "resolved:", sip_str_from_cstr(ua->hop_name));
		}
	}
	/* The first target this host has a route to (an AAAA without IPv6...). */
	for (unsigned i = 0; i < ua->targets.n; i++) {
		ua->tp = ua->targets.t[i].tp;
		use_target(ua, i);
		if ((err = local_addr_for(&local, &ua->dst.remote)) == 0)
			break;
	}
	if (err) {
		fprintf(stderr, "siphon: no route to %s: %s\n", ua->dst_text, sip_strerror(err));
		return UA_EXIT_ERROR;
	}
	sip_net_addr_ip(ua->local_ip, &local);

	if (opt->tls_ca && access(opt->tls_ca, R_OK) != 0) {
		fprintf(stderr, "siphon: cannot read --tls-ca %s: %s\n", opt->tls_ca, strerror(errno));
		return UA_EXIT_USAGE;
	}
	if (opt->insecure)
		fprintf(stderr, "siphon: warning: --insecure: TLS servers are not verified (anyone can pose as %s)\n",
			ua->tls_host);

	signal(SIGPIPE, SIG_IGN);
	/* The toolkit prints its own events; the layers' info lines are noise here. */
	sip_log_set_level(opt->verbose ? SIP_LOG_INFO : SIP_LOG_WARN);
	if ((err = uv_loop_init(&ua->loop)) != 0)
		return UA_EXIT_ERROR;
	struct sip_net_config ncfg = { .loop = &ua->loop, .on_recv = net_recv, .on_error = net_error, .arg = ua,
				       .tls_ca_file = opt->tls_ca, .tls_no_verify = opt->insecure };
	if ((err = sip_net_alloc(&ua->net, &ncfg)) != 0) {
		fprintf(stderr, "siphon: %s\n", sip_strerror(err));
		uv_loop_close(&ua->loop);
		return UA_EXIT_ERROR;
	}
	/* A listener on the local address: UDP responses and requests inside our
	 * dialogs (NOTIFY, BYE) come to it. TLS needs a certificate to listen, so
	 * over TLS everything comes back on the connection we open. */
	if (ua->tp != SIP_TP_TLS) {
		ls.tp = ua->tp;
		ls.addr = local;
		sip_net_addr_set_port(&ls.addr, 0);
		if ((err = sip_net_listen(ua->net, &ls, &ua->lis)) != 0) {
			fprintf(stderr, "siphon: cannot listen on %s: %s\n", ua->local_ip, sip_strerror(err));
			sip_net_close(ua->net, NULL, NULL);
			uv_run(&ua->loop, UV_RUN_DEFAULT);
			uv_loop_close(&ua->loop);
			return UA_EXIT_ERROR;
		}
		ua->local_port = sip_net_addr_port(sip_listener_addr(ua->lis));
		sip_net_addr_format(ua->host, sip_listener_addr(ua->lis));
	} else {
		snprintf(ua->host, sizeof(ua->host), local.u.sa.sa_family == AF_INET6 ? "[%s]" : "%s", ua->local_ip);
	}
	struct sip_txn_transport tp = { .send = tp_send, .reliable = tp_reliable, .arg = ua };
	struct sip_txn_tu tu = { .request = on_request, .stray = on_stray, .arg = ua };
	if ((err = sip_timers_init_uv(&ua->ts, &ua->loop)) != 0 ||
	    (err = sip_txn_layer_alloc(&ua->txl, &ua->ts, &tp, &tu, NULL)) != 0) {
		fprintf(stderr, "siphon: %s\n", sip_strerror(err));
		if (ua->ts.backend)
			sip_timers_close(&ua->ts);
		sip_net_close(ua->net, NULL, NULL);
		uv_run(&ua->loop, UV_RUN_DEFAULT);
		uv_loop_close(&ua->loop);
		return UA_EXIT_ERROR;
	}

	if (opt->from)
		snprintf(ua->from_uri, sizeof(ua->from_uri), "%s", opt->from);
	else
		snprintf(ua->from_uri, sizeof(ua->from_uri), "sip:%s@%s", opt->user ? opt->user : "siphon", ua->host);
	{
		struct sip_uri fu;
		const char *cuser = "siphon";
		char ubuf[128];
		if (sip_uri_parse(&fu, sip_str_from_cstr(ua->from_uri)) == 0 && fu.user.len) {
			sip_str_copy(ubuf, sizeof(ubuf), fu.user);
			cuser = ubuf;
		}
		snprintf(ua->contact, sizeof(ua->contact), "<sip:%s@%s%s>", cuser, ua->host,
			 ua->tp == SIP_TP_TCP ? ";transport=tcp" : ua->tp == SIP_TP_TLS ? ";transport=tls" : "");
	}
	sip_tag_new(ua->from_tag, sizeof(ua->from_tag));
	sip_call_id_new(ua->call_id, sizeof(ua->call_id));
	ua->cseq = 0;
	uv_signal_init(&ua->loop, &ua->sigint);
	ua->sigint.data = ua;
	uv_signal_start(&ua->sigint, sigint_cb, SIGINT);
	uv_timer_init(&ua->loop, &ua->tick);
	ua->tick.data = ua;
	ua->status = UA_EXIT_ERROR;
	return 0;
}

/* The timer that ends the run (ua_stop). Static, as a command runs one UA per
 * process, so it needs no field that ua_init must remember to initialise. */
static uv_timer_t *stop_timer(struct ua *ua)
{
	static uv_timer_t t;
	(void)ua;
	return &t;
}

static void shutdown_ua(struct ua *ua)
{
	sip_txn_layer_free(ua->txl);
	ua->txl = NULL;
	while (ua->reqs) {
		struct ua_req *r = ua->reqs;
		ua->reqs = r->next;
		req_free(r);
	}
	sip_timers_close(&ua->ts);
	sip_net_close(ua->net, NULL, NULL);
	ua->net = NULL;
	uv_timer_stop(&ua->tick);
	uv_close((uv_handle_t *)&ua->tick, NULL);
	uv_signal_stop(&ua->sigint);
	uv_close((uv_handle_t *)&ua->sigint, NULL);
	uv_close((uv_handle_t *)stop_timer(ua), NULL);
}

static void stop_timer_cb(uv_timer_t *h)
{
	shutdown_ua(h->data);
}

void ua_stop(struct ua *ua, int status)
{
	if (ua->stopping)
		return;
	ua->stopping = true;
	ua->status = status;
	/* Not from inside a transaction callback (sip_txn_layer_free forbids it), and
	 * a moment later so a queued stream write (an ACK over TCP) goes out. */
	uv_timer_init(&ua->loop, stop_timer(ua));
	stop_timer(ua)->data = ua;
	uv_timer_start(stop_timer(ua), stop_timer_cb, ua->tp == SIP_TP_UDP ? 0 : 50, 0);
}

int ua_run(struct ua *ua)
{
	uv_run(&ua->loop, UV_RUN_DEFAULT);
	uv_loop_close(&ua->loop);
	sip_buf_free(&ua->challenge);
	return ua->status;
}

int ua_send_raw(struct ua *ua, const struct sip_buf *b, const struct sip_txn_dest *dst)
{
	return sip_txn_layer_send(ua->txl, dst ? dst : &ua->tdst, b->p, b->len);
}


int ua_cancel(struct ua *ua, struct ua_req *inv, ua_result_cb cb, void *arg)
{
	struct sip_msg *im = ua_req_msg(inv), *m;
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;
	struct ua_req *r;
	int err;

	if (!im)
		return -EINVAL;
	err = sip_out_cancel(&o, im);
	if (err)
		return err;
	err = sip_out_serialize(o, &b);
	sip_out_free(o);
	if (!err)
		err = sip_msg_parse(&m, b.p, b.len, NULL, NULL);
	sip_buf_free(&b);
	if (err)
		return err;
	r = calloc(1, sizeof(*r));
	if (!r || !(r->method = strdup("CANCEL")) || !(r->ruri = strdup(inv->ruri))) {
		if (r)
			req_free(r);
		sip_msg_free(m);
		return -ENOMEM;
	}
	r->ua = ua;
	r->cb = cb;
	r->arg = arg;
	r->auth_tries = 99; /* 22.1: a CANCEL is never resent with credentials */
	/* 9.1: the CANCEL goes where the INVITE went. */
	err = sip_txn_client_alloc(&r->txn, ua->txl, m, sip_txn_dest(inv->txn), client_event, ua);
	if (err) {
		sip_msg_free(m);
		req_free(r);
		return err;
	}
	r->sent_ns = uv_hrtime();
	ua_note(ua, "request", "-> CANCEL %s (%s)", r->ruri, ua->dst_text);
	sip_timer_init(&r->deadline);
	sip_timer_start(&ua->ts, &r->deadline, (uint64_t)(ua->opt.timeout_s * 1000.0), deadline_cb);
	r->next = ua->reqs;
	ua->reqs = r;
	return 0;
}

int ua_dialog_dest(struct ua *ua, struct sip_txn_dest *out, const struct sip_dialog *d)
{
	struct sip_str hop = sip_dialog_next_hop(d);
	struct sip_addr a;
	struct sip_dns_result r;

	*out = ua->tdst;
	if (ua->opt.proxy)
		return 0;
	/* A route set entry is a name-addr ("<sip:p1;lr>"), a remote target a bare URI. */
	if (sip_addr_parse(&a, hop) != 0 || (a.uri.scheme != SIP_URI_SIP && a.uri.scheme != SIP_URI_SIPS))
		return -ENOENT;
	/* RFC 3263 with the dialog's transport fixed: the first target. */
	if (resolve_uri(&r, &a.uri, ua->tp) != 0)
		return -ENOENT;
	memcpy(&out->addr, &r.t[0].addr.u, sizeof(out->addr));
	return 0;
}

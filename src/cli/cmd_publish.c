/* siphon publish URI --status open|closed: publish presence (RFC 3903 PUBLISH
 * with a PIDF document, RFC 3863). The event state compositor answers with an
 * entity tag (SIP-ETag); refreshing, modifying and removing the publication name
 * it in SIP-If-Match (RFC 3903 4.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ua.h"

struct publish_run {
	const char *uri;
	const char *status;     /* open | closed, NULL for a refresh or removal */
	const char *note;
	unsigned expires;
	bool keep;
	bool remove;            /* --remove: Expires 0 with --etag */
	bool removing;
	bool retried_423;
	char etag[256];         /* the current entity tag */
	int status_code;
};

static void send_publish(struct ua *ua, bool with_body, unsigned expires);

/* XML-escape text into b (the note is free text). */
static void xml_escape(struct sip_buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': sip_buf_append_cstr(b, "&lt;"); break;
		case '>': sip_buf_append_cstr(b, "&gt;"); break;
		case '&': sip_buf_append_cstr(b, "&amp;"); break;
		case '"': sip_buf_append_cstr(b, "&quot;"); break;
		default: sip_buf_append(b, s, 1);
		}
	}
}

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct publish_run *o = arg;
	struct sip_str etag;
	uint32_t min, e;

	(void)r;
	ua_print_response(ua, res);
	if (!res->final)
		return;
	/* RFC 3903 6 step 5 / RFC 3261 10.2.8: 423 names the shortest expiry. */
	if (res->code == 423 && res->msg && !o->retried_423 && !o->removing &&
	    sip_msg_min_expires(res->msg, &min) == 0 && min > o->expires) {
		o->retried_423 = true;
		o->expires = min;
		ua_note(ua, "retry", "   publishing again with Expires: %u (the server's Min-Expires)", min);
		send_publish(ua, o->status != NULL && !o->etag[0], min);
		return;
	}
	o->status_code = res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code);
	if (res->code == 412)
		ua_note(ua, "etag", "   the server no longer knows entity tag '%s': publish the full state again", o->etag);
	if (res->code >= 200 && res->code < 300 && res->msg) {
		if (sip_msg_etag(res->msg, SIP_HDR_SIP_ETAG, &etag) == 0) {
			sip_str_copy(o->etag, sizeof(o->etag), etag);
			if (sip_msg_expires(res->msg, &e) != 0)
				e = o->expires;
			if (!o->removing)
				ua_note(ua, "etag", "   entity tag %s, expires in %u s", o->etag, e);
		}
		if (o->removing)
			ua_note(ua, "removed", "publication removed");
	}
	if (o->removing || !o->keep || o->status_code != UA_EXIT_OK) {
		ua_stop(ua, o->status_code);
		return;
	}
	if (sip_msg_expires(res->msg, &e) != 0)
		e = o->expires;
	uint64_t ms = e > 10 ? (uint64_t)e * 1000 / 2 : (e ? (uint64_t)e * 500 : 1000);
	ua_note(ua, "refresh", "   refreshing in %.1f s with SIP-If-Match (Ctrl-C removes the publication)",
		(double)ms / 1000.0);
	ua_tick(ua, ms);
}

static void send_publish(struct ua *ua, bool with_body, unsigned expires)
{
	struct publish_run *o = ua->cmd;
	struct sip_buf hdr = SIP_BUF_INIT, body = SIP_BUF_INIT;
	struct ua_req_spec s = { .method = "PUBLISH", .ruri = o->uri };
	char id[SIP_TAG_SIZE];

	sip_buf_printf(&hdr, "Event: presence\r\nExpires: %u\r\n", expires);
	/* RFC 3903 4.1: a refresh, modify or removal names the entity tag. */
	if (o->etag[0])
		sip_buf_printf(&hdr, "SIP-If-Match: %s\r\n", o->etag);
	if (with_body) {
		sip_tag_new(id, sizeof(id));
		sip_buf_append_cstr(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
					   "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"");
		xml_escape(&body, o->uri);
		sip_buf_printf(&body, "\">\n  <tuple id=\"t%s\">\n    <status><basic>%s</basic></status>\n", id, o->status);
		if (o->note) {
			sip_buf_append_cstr(&body, "    <note>");
			xml_escape(&body, o->note);
			sip_buf_append_cstr(&body, "</note>\n");
		}
		sip_buf_append_cstr(&body, "  </tuple>\n</presence>\n");
		s.ctype = "application/pidf+xml";
		s.body = body.p;
		s.body_len = body.len;
	}
	s.headers = hdr.p;
	if (ua_send(ua, &s, on_result, o, NULL) != 0)
		ua_stop(ua, UA_EXIT_ERROR);
	sip_buf_free(&hdr);
	sip_buf_free(&body);
}

static void on_tick(struct ua *ua)
{
	struct publish_run *o = ua->cmd;

	/* RFC 3903 4.3: a refresh carries no body. */
	send_publish(ua, false, o->expires);
}

static void on_sigint(struct ua *ua)
{
	struct publish_run *o = ua->cmd;

	if (o->removing || !o->keep || !o->etag[0]) {
		ua_stop(ua, o->status_code);
		return;
	}
	ua_tick(ua, 0);
	o->removing = true;
	ua_note(ua, "remove", "interrupted: removing the publication (Expires: 0, SIP-If-Match: %s)", o->etag);
	send_publish(ua, false, 0);
}

int cmd_publish(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct publish_run o = { .expires = 3600, .status_code = UA_EXIT_ERROR };
	const char *etag = NULL;
	struct ua ua;
	int rc;

	for (int i = 1; i < argc; i++) {
		int c = ua_opts_parse(&opt, argc, argv, &i);
		if (c < 0)
			return cli_usage("publish");
		if (c > 0)
			continue;
		if (strcmp(argv[i], "--status") == 0 && i + 1 < argc) {
			o.status = argv[++i];
			if (strcmp(o.status, "open") != 0 && strcmp(o.status, "closed") != 0) {
				fprintf(stderr, "siphon publish: --status is open or closed\n");
				return CLI_USAGE;
			}
		} else if (strcmp(argv[i], "--note") == 0 && i + 1 < argc) {
			o.note = argv[++i];
		} else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
			if (ua_arg_expires("publish", argv[++i], &o.expires) != 0)
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--etag") == 0 && i + 1 < argc) {
			etag = argv[++i];
		} else if (strcmp(argv[i], "--keep") == 0) {
			o.keep = true;
		} else if (strcmp(argv[i], "--remove") == 0) {
			o.remove = true;
		} else if (!cli_is_option(argv[i]) && !o.uri) {
			o.uri = argv[i];
		} else {
			fprintf(stderr, "siphon publish: unexpected '%s'\n", argv[i]);
			return cli_usage("publish");
		}
	}
	if (!o.uri)
		return cli_usage("publish");
	if (etag) {
		if (strlen(etag) >= sizeof(o.etag) || strpbrk(etag, "\r\n \t,;")) {
			fprintf(stderr, "siphon publish: bad --etag\n");
			return CLI_USAGE;
		}
		strcpy(o.etag, etag);
	}
	/* A first publication carries state; a refresh (--etag) or removal may not. */
	if (!o.status && !o.etag[0]) {
		fprintf(stderr, "siphon publish: --status open|closed is needed (or --etag E to refresh or --remove)\n");
		return cli_usage("publish");
	}
	if (o.remove && !o.etag[0]) {
		fprintf(stderr, "siphon publish: --remove needs --etag E\n");
		return CLI_USAGE;
	}
	/* RFC 3903 4: the Request-URI names the presentity; From defaults to it. */
	if (!opt.from)
		opt.from = o.uri;
	rc = ua_init(&ua, &opt, o.uri);
	if (rc)
		return rc;
	ua.cmd = &o;
	ua.on_tick = on_tick;
	ua.on_sigint = on_sigint;
	if (o.remove) {
		o.removing = true;
		send_publish(&ua, false, 0);
	} else {
		send_publish(&ua, o.status != NULL, o.expires);
	}
	return ua_run(&ua);
}

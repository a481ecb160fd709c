/* siphon subscribe URI --event PACKAGE: subscribe (RFC 6665) and print every
 * NOTIFY (state, entity tag, body pretty-printed). Refreshes carry
 * Suppress-If-Match with the last entity tag (RFC 5839 4), so a notifier with
 * nothing new answers 204 No Notification; Ctrl-C unsubscribes (Expires: 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ua.h"

struct subscribe_run {
	const char *uri;
	const char *event;
	const char *accept;
	unsigned expires;
	struct ua_req *initial; /* the first SUBSCRIBE, until its final response */
	bool unsubscribing;
	bool done;
	bool retried_423;
	unsigned notifies;
	char etag[256];         /* the entity tag of the last NOTIFY */
	struct sip_dialog *dlg; /* made by the 2xx or the first NOTIFY (RFC 6665 4.1.2.4) */
	struct sip_txn_dest dst; /* its next hop */
	int status;
};

static void send_subscribe(struct ua *ua, unsigned expires);

static const char *accept_for(const char *event)
{
	if (strcmp(event, "presence") == 0)
		return "application/pidf+xml";
	if (strcmp(event, "dialog") == 0)
		return "application/dialog-info+xml"; /* RFC 4235 */
	if (strcmp(event, "message-summary") == 0)
		return "application/simple-message-summary"; /* RFC 3842 */
	if (strcmp(event, "reg") == 0)
		return "application/reginfo+xml"; /* RFC 3680 */
	return NULL;
}

/* Print an XML document one element per line, indented by depth; other bodies
 * line by line. Only for reading: nothing is validated. */
static void print_body(struct sip_str ctype, struct sip_str body)
{
	const char *p = body.p, *end = body.p + body.len;
	int depth = 0;

	if (!body.len)
		return;
	if (!(ctype.len >= 4 && sip_str_caseeq_cstr((struct sip_str){ ctype.p + ctype.len - 4, 4 }, "+xml")) &&
	    !(body.len && body.p[0] == '<')) {
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			printf("   | %.*s\n", (int)(n && p[n - 1] == '\r' ? n - 1 : n), p);
			p += n + 1;
		}
		return;
	}
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
			p++;
		if (p >= end)
			break;
		if (*p == '<') {
			const char *q = memchr(p, '>', (size_t)(end - p));
			size_t n = q ? (size_t)(q - p + 1) : (size_t)(end - p);
			bool closing = n > 1 && p[1] == '/';
			bool decl = n > 1 && (p[1] == '?' || p[1] == '!');
			bool empty = n > 1 && p[n - 2] == '/';
			if (closing && depth > 0)
				depth--;
			if (!closing && !decl && !empty && p + n < end) {
				/* <basic>open</basic>: a text-only element stays on one line. */
				const char *t = p + n, *lt = memchr(t, '<', (size_t)(end - t));
				const char *gt = lt ? memchr(lt, '>', (size_t)(end - lt)) : NULL;
				if (lt && gt && lt + 1 < end && lt[1] == '/' && !memchr(t, '\n', (size_t)(lt - t))) {
					printf("   | %*s%.*s\n", depth * 2, "", (int)(gt + 1 - p), p);
					p = gt + 1;
					continue;
				}
			}
			printf("   | %*s%.*s\n", depth * 2, "", (int)n, p);
			if (!closing && !decl && !empty)
				depth++;
			p += n;
		} else {
			const char *q = memchr(p, '<', (size_t)(end - p));
			size_t n = q ? (size_t)(q - p) : (size_t)(end - p);
			while (n && (p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == '\r' || p[n - 1] == '\t'))
				n--;
			printf("   | %*s%.*s\n", depth * 2, "", (int)n, p);
			p = q ? q : end;
		}
	}
}

static void terminate(struct ua *ua, struct subscribe_run *o, int status)
{
	o->done = true;
	ua_stop(ua, status);
}

static void refresh_later(struct ua *ua, struct subscribe_run *o, uint32_t granted)
{
	uint64_t ms = granted > 10 ? (uint64_t)granted * 1000 / 2 : (granted ? (uint64_t)granted * 500 : 1000);

	ua_note(ua, "refresh", "   refreshing in %.1f s%s (Ctrl-C unsubscribes)", (double)ms / 1000.0,
		o->etag[0] ? " with Suppress-If-Match" : "");
	ua_tick(ua, ms);
}

/* The dialog's next hop, once it exists or its target changed. */
static void dialog_ready(struct ua *ua, struct subscribe_run *o)
{
	if (ua_dialog_dest(ua, &o->dst, o->dlg) != 0)
		ua_note(ua, "error", "cannot resolve the dialog's next hop %.*s: refreshes go to the first hop",
			SIP_STR_ARG(sip_dialog_next_hop(o->dlg)));
}

/* A 2xx to a SUBSCRIBE: the first makes the dialog (12.1.2); a later one (a
 * refresh, a target refresh request, RFC 6665 4.1.2.1) may move the target. */
static void keep_dialog(struct ua *ua, struct subscribe_run *o, struct sip_msg *req, struct sip_msg *resp)
{
	if (o->dlg) {
		if (sip_dialog_refresh_target(o->dlg, resp) == 0)
			dialog_ready(ua, o);
		return;
	}
	if (req && resp->status != 204 && sip_dialog_uac_alloc(&o->dlg, req, resp, ua->tp == SIP_TP_TLS) == 0)
		dialog_ready(ua, o);
}

/* A 489 (RFC 6665 8.3.2) from a notifier usually carries Allow-Events, the
 * packages it serves (4.4.4); say which, so the user can pick one. */
static void print_allow_events(struct ua *ua, const struct sip_msg *m)
{
	struct sip_buf b = SIP_BUF_INIT;

	for (const struct sip_hdr *h = sip_msg_hdr(m, SIP_HDR_ALLOW_EVENTS); h; h = sip_msg_hdr_next(m, h)) {
		if (b.len)
			sip_buf_append_cstr(&b, ", ");
		sip_buf_append_str(&b, h->value);
	}
	if (b.len)
		ua_note(ua, "allow-events", "   the notifier serves: %s", b.p);
	sip_buf_free(&b);
}

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct subscribe_run *o = arg;
	uint32_t e, min;

	ua_print_response(ua, res);
	if (!res->final || o->done)
		return;
	if (r == o->initial)
		o->initial = NULL;
	if (res->code == 423 && res->msg && !o->retried_423 && !o->unsubscribing &&
	    sip_msg_min_expires(res->msg, &min) == 0 && min > o->expires) {
		o->retried_423 = true;
		o->expires = min;
		ua_note(ua, "retry", "   subscribing again with Expires: %u (the notifier's Min-Expires)", min);
		send_subscribe(ua, min);
		return;
	}
	if (o->unsubscribing) {
		/* RFC 6665 4.1.2.3: a final NOTIFY (terminated) follows; wait a moment. */
		o->status = o->status ? o->status : (res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code));
		ua_note(ua, "unsubscribed", "unsubscribed");
		ua_tick(ua, 1000);
		return;
	}
	if (res->code == 489 && res->msg)
		print_allow_events(ua, res->msg);
	if (res->code < 200 || res->code >= 300 || !res->msg) {
		/* 4.1.2.1: a failed refresh ends the subscription too. */
		terminate(ua, o, res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code));
		return;
	}
	o->status = UA_EXIT_OK;
	if (res->code == 204)
		ua_note(ua, "no-notification", "   no NOTIFY will follow: the state with entity tag %s is current (RFC 5839)",
			o->etag);
	keep_dialog(ua, o, res->req, res->msg);
	if (sip_msg_expires(res->msg, &e) != 0)
		e = o->expires;
	if (e == 0) {
		/* RFC 6665 4.4.3: asking for Expires 0 is a fetch (one NOTIFY, then over). */
		if (o->expires == 0)
			ua_note(ua, "ended", "a fetch (Expires: 0): one NOTIFY with the current state follows");
		else
			ua_note(ua, "ended", "the notifier granted no time (Expires: 0)");
		ua_tick(ua, 1000);
		o->unsubscribing = true;
		return;
	}
	refresh_later(ua, o, e);
}

static void send_subscribe(struct ua *ua, unsigned expires)
{
	struct subscribe_run *o = ua->cmd;
	struct sip_buf hdr = SIP_BUF_INIT;
	struct ua_req_spec s = {
		.method = "SUBSCRIBE",
		.ruri = o->uri,
		.contact = true,
	};

	sip_buf_printf(&hdr, "Event: %s\r\nAccept: %s\r\nExpires: %u\r\n", o->event, o->accept, expires);
	/* RFC 5839 4: a refresh names the state we hold; the notifier answers 204
	 * and sends no NOTIFY when it has not changed. Not on the removal. */
	if (o->etag[0] && expires)
		sip_buf_printf(&hdr, "Suppress-If-Match: %s\r\n", o->etag);
	s.headers = hdr.p;
	if (o->dlg) {
		/* 12.2.1.1: inside the dialog. */
		s.dlg = o->dlg;
		s.dst = &o->dst;
	}
	if (ua_send(ua, &s, on_result, o, o->dlg ? NULL : &o->initial) != 0)
		terminate(ua, o, UA_EXIT_ERROR);
	sip_buf_free(&hdr);
}

static void on_tick(struct ua *ua)
{
	struct subscribe_run *o = ua->cmd;

	if (o->unsubscribing) {
		terminate(ua, o, o->status);
		return;
	}
	send_subscribe(ua, o->expires);
}

static void on_sigint(struct ua *ua)
{
	struct subscribe_run *o = ua->cmd;

	if (o->unsubscribing || !o->dlg) {
		terminate(ua, o, o->status);
		return;
	}
	ua_tick(ua, 0);
	o->unsubscribing = true;
	ua_note(ua, "unsubscribe", "interrupted: unsubscribing (Expires: 0)");
	send_subscribe(ua, 0);
}

static void print_notify(struct ua *ua, struct subscribe_run *o, struct sip_msg *req)
{
	const struct sip_subscription_state *ss = NULL;
	struct sip_str etag = SIP_STR_NULL, ctype = SIP_STR_NULL;
	const struct sip_hdr *h = sip_msg_hdr(req, SIP_HDR_CONTENT_TYPE);

	sip_msg_subscription_state(req, &ss);
	if (sip_msg_etag(req, SIP_HDR_SIP_ETAG, &etag) == 0)
		sip_str_copy(o->etag, sizeof(o->etag), etag);
	if (h)
		ctype = h->value;
	if (ua->opt.json) {
		struct sip_buf b = SIP_BUF_INIT;
		sip_buf_append_cstr(&b, "\"state\":");
		ua_json_str(&b, ss ? ss->state_str.p : "", ss ? ss->state_str.len : 0);
		if (ss && ss->expires >= 0)
			sip_buf_printf(&b, ",\"expires\":%lld", (long long)ss->expires);
		if (ss && ss->reason.len) {
			sip_buf_append_cstr(&b, ",\"reason\":");
			ua_json_str(&b, ss->reason.p, ss->reason.len);
		}
		if (etag.len) {
			sip_buf_append_cstr(&b, ",\"etag\":");
			ua_json_str(&b, etag.p, etag.len);
		}
		sip_buf_append_cstr(&b, ",\"content_type\":");
		ua_json_str(&b, ctype.p ? ctype.p : "", ctype.len);
		sip_buf_append_cstr(&b, ",\"body\":");
		ua_json_str(&b, req->body.p ? req->body.p : "", req->body.len);
		ua_json_emit(ua, "notify", &b);
		sip_buf_free(&b);
		return;
	}
	printf("<- NOTIFY #%u  state %.*s", o->notifies, ss ? (int)ss->state_str.len : 1, ss ? ss->state_str.p : "?");
	if (ss && ss->expires >= 0)
		printf(" (expires in %lld s)", (long long)ss->expires);
	if (ss && ss->reason.len)
		printf(" (reason %.*s)", SIP_STR_ARG(ss->reason));
	if (etag.len)
		printf("  etag %.*s", SIP_STR_ARG(etag));
	if (ctype.len)
		printf("  %.*s", SIP_STR_ARG(ctype));
	printf("\n");
	print_body(ctype, req->body);
	fflush(stdout);
}

static void on_request(struct ua *ua, struct sip_txn *st, struct sip_msg *req)
{
	struct subscribe_run *o = ua->cmd;
	const struct sip_subscription_state *ss;
	struct sip_dialog_id id;
	int status;

	if (req->method != SIP_METHOD_NOTIFY || sip_dialog_id_of(&id, req) != 0 ||
	    !sip_str_eq(id.call_id, sip_str_from_cstr(ua->call_id)) ||
	    !sip_str_eq(id.local_tag, sip_str_from_cstr(ua->from_tag))) {
		ua_respond(ua, st, req->method == SIP_METHOD_OPTIONS ? 200 : 481, NULL);
		return;
	}
	if (!o->dlg) {
		/* RFC 6665 4.1.2.4: a NOTIFY may come before the 2xx; it makes the dialog. */
		struct sip_msg *sub = o->initial ? ua_req_msg(o->initial) : NULL;
		if (!sub || sip_dialog_notify_alloc(&o->dlg, sub, req, ua->tp == SIP_TP_TLS) != 0) {
			ua_respond(ua, st, 481, NULL);
			return;
		}
		dialog_ready(ua, o);
	} else if (!sip_str_eq(id.remote_tag, o->dlg->id.remote_tag)) {
		/* Another notifier of a forked SUBSCRIBE: the toolkit follows one. */
		ua_respond(ua, st, 481, NULL);
		return;
	} else if (sip_dialog_uas_request(o->dlg, req, &status) != 0 || status) {
		ua_respond(ua, st, status ? status : 400, NULL); /* 12.2.2 */
		return;
	} else if (sip_dialog_refresh_target(o->dlg, req) == 0) {
		dialog_ready(ua, o); /* NOTIFY is a target refresh (RFC 6665 4.1.2) */
	}
	o->notifies++;
	print_notify(ua, o, req);
	ua_respond(ua, st, 200, NULL);
	if (sip_msg_subscription_state(req, &ss) == 0 && ss->state == SIP_SUBSTATE_TERMINATED) {
		/* 4.1.3: the subscription is over; the reason says whether to retry. */
		ua_note(ua, "terminated", "subscription terminated%s%.*s", ss->reason.len ? ": " : "",
			SIP_STR_ARG(ss->reason));
		terminate(ua, o, o->unsubscribing ? o->status : UA_EXIT_OK);
	}
}

int cmd_subscribe(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct subscribe_run o = { .expires = 3600, .status = UA_EXIT_ERROR };
	struct ua ua;
	int rc;

	for (int i = 1; i < argc; i++) {
		int c = ua_opts_parse(&opt, argc, argv, &i);
		if (c < 0)
			return cli_usage("subscribe");
		if (c > 0)
			continue;
		if (strcmp(argv[i], "--event") == 0 && i + 1 < argc) {
			o.event = argv[++i];
		} else if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
			if (ua_arg_expires("subscribe", argv[++i], &o.expires) != 0)
				return CLI_USAGE;
		} else if (!cli_is_option(argv[i]) && !o.uri) {
			o.uri = argv[i];
		} else {
			fprintf(stderr, "siphon subscribe: unexpected '%s'\n", argv[i]);
			return cli_usage("subscribe");
		}
	}
	if (!o.uri || !o.event)
		return cli_usage("subscribe");
	o.accept = accept_for(o.event);
	if (!o.accept) {
		fprintf(stderr, "siphon subscribe: --event is presence, dialog, message-summary or reg\n");
		return CLI_USAGE;
	}
	rc = ua_init(&ua, &opt, o.uri);
	if (rc)
		return rc;
	ua.cmd = &o;
	ua.on_tick = on_tick;
	ua.on_sigint = on_sigint;
	ua.on_request = on_request;
	send_subscribe(&ua, o.expires);
	rc = ua_run(&ua);
	sip_dialog_free(o.dlg);
	return rc;
}

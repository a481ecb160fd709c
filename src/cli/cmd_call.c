/* siphon call URI: place a call (RFC 3261 13) with an SDP offer and no media
 * engine; show every provisional and final response, ACK a 2xx (13.2.2.4), hang up
 * with BYE after --duration or on Ctrl-C (15.1.1), CANCEL a call that is still
 * ringing (9.1), and for a failure say what it means and what to do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ua.h"

enum call_state { CALL_TRYING, CALL_EARLY, CALL_UP, CALL_BYE, CALL_DONE };

struct call_run {
	const char *uri;
	double duration_s;      /* 0: until Ctrl-C or the callee hangs up */
	enum call_state state;
	struct ua_req *invite;  /* until its final response */
	uint32_t invite_cseq;
	bool cancel_wanted;     /* Ctrl-C before any provisional: CANCEL once one comes (9.1) */
	bool cancelled;
	bool timed_out;
	int status;
	struct sip_dialog *dlg;  /* made by the 2xx (12.1.2) */
	struct sip_txn_dest dst; /* its next hop */
};

static void send_cancel(struct ua *ua, struct call_run *c);

static void finish(struct ua *ua, struct call_run *c, int status)
{
	c->state = CALL_DONE;
	ua_stop(ua, status);
}

static void send_ack(struct ua *ua, struct call_run *c)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct ua_req_spec s = {
		.method = "ACK",
		.dlg = c->dlg,
		.cseq = c->invite_cseq, /* 13.2.2.4: the INVITE's CSeq number */
	};

	/* 13.2.2.4: the ACK for a 2xx is built by the dialog and sent outside any
	 * transaction, to the dialog's next hop. */
	if (ua_build(ua, &b, &s, NULL) == 0 && ua_send_raw(ua, &b, &c->dst) == 0)
		ua_note(ua, "ack", "-> ACK %.*s", SIP_STR_ARG(c->dlg->remote_target));
	sip_buf_free(&b);
}

static void on_bye(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct call_run *c = arg;

	(void)r;
	ua_print_response(ua, res);
	if (!res->final)
		return;
	ua_note(ua, "hangup", "call ended");
	/* The call itself succeeded; a failed BYE is reported above. */
	finish(ua, c, c->status);
}

static void hang_up(struct ua *ua, struct call_run *c)
{
	struct ua_req_spec s = {
		.method = "BYE",
		.dlg = c->dlg,
		.dst = &c->dst,
	};

	ua_tick(ua, 0);
	c->state = CALL_BYE;
	if (ua_send(ua, &s, on_bye, c, NULL) != 0)
		finish(ua, c, UA_EXIT_ERROR);
}

static void on_cancel(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	(void)r;
	(void)arg;
	ua_print_response(ua, res);
	/* The INVITE's 487 (or a 2xx that crossed the CANCEL) decides the end. */
}

static void established(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	struct sip_str sdp = m->body;

	if (!req || sip_dialog_uac_alloc(&c->dlg, req, m, ua->tp == SIP_TP_TLS) != 0 ||
	    !c->dlg->remote_target.len) {
		ua_note(ua, "error", "the 2xx has no usable Contact or To tag: cannot ACK it (RFC 3261 13.2.2.4)");
		finish(ua, c, UA_EXIT_ERROR);
		return;
	}
	if (ua_dialog_dest(ua, &c->dst, c->dlg) != 0) {
		ua_note(ua, "error", "cannot resolve the dialog's next hop %.*s", SIP_STR_ARG(sip_dialog_next_hop(c->dlg)));
		finish(ua, c, UA_EXIT_ERROR);
		return;
	}
	c->state = CALL_UP;
	c->status = UA_EXIT_OK;
	send_ack(ua, c);
	if (c->cancel_wanted || c->cancelled) {
		/* 15: a 2xx that crossed our CANCEL is a call we no longer want. */
		ua_note(ua, "established", "call answered although cancelled: hanging up");
		hang_up(ua, c);
		return;
	}
	if (!ua->opt.json) {
		/* The answer's media line, so one can see what the callee accepted. */
		const char *p = sdp.p, *end = sdp.p ? sdp.p + sdp.len : NULL;
		printf("call established with %.*s\n", SIP_STR_ARG(c->dlg->remote_target));
		while (p && p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (n > 2 && (p[0] == 'm' || p[0] == 'c') && p[1] == '=')
				printf("   answer %.*s\n", (int)(n && p[n - 1] == '\r' ? n - 1 : n), p);
			p += n + 1;
		}
		fflush(stdout);
	} else {
		ua_note(ua, "established", "call established");
	}
	if (c->duration_s > 0)
		ua_tick(ua, (uint64_t)(c->duration_s * 1000.0));
	else
		ua_note(ua, "waiting", "   press Ctrl-C to hang up");
}

static void on_invite(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct call_run *c = arg;
	const struct sip_cseq *cs;

	if (res->retransmission) {
		/* 13.2.2.4: the 2xx came again, so our ACK was lost: resend it. */
		if (c->state == CALL_UP || c->state == CALL_BYE)
			send_ack(ua, c);
		return;
	}
	ua_print_response(ua, res);
	if (!res->final) {
		if (res->code > 100 && c->state == CALL_TRYING) {
			c->state = CALL_EARLY;
		}
		if (c->cancel_wanted && !c->cancelled)
			send_cancel(ua, c);
		return;
	}
	c->invite = NULL;
	if (res->msg && sip_msg_cseq(res->msg, &cs) == 0)
		c->invite_cseq = cs->seq;
	else if (res->req && sip_msg_cseq(res->req, &cs) == 0)
		c->invite_cseq = cs->seq;
	if (res->code >= 200 && res->code < 300 && res->msg) {
		established(ua, c, res->req, res->msg);
		return;
	}
	if (res->timeout) {
		/* --timeout while ringing: give up on the call (9.1). */
		c->timed_out = true;
		if (c->state == CALL_EARLY) {
			c->invite = r;
			send_cancel(ua, c);
		}
		finish(ua, c, UA_EXIT_TIMEOUT);
		return;
	}
	if (res->code == 487 && c->cancelled)
		ua_note(ua, "cancelled", "call cancelled before it was answered");
	finish(ua, c, ua_exit_for(res->code));
}

static void send_cancel(struct ua *ua, struct call_run *c)
{
	if (!c->invite || c->cancelled)
		return;
	c->cancelled = true;
	if (ua_cancel(ua, c->invite, on_cancel, c) != 0)
		finish(ua, c, UA_EXIT_ERROR);
}

static void on_tick(struct ua *ua)
{
	struct call_run *c = ua->cmd;

	if (c->state == CALL_UP)
		hang_up(ua, c);
}

static void on_sigint(struct ua *ua)
{
	struct call_run *c = ua->cmd;

	switch (c->state) {
	case CALL_TRYING:
		/* 9.1: a CANCEL must wait for a provisional response. */
		ua_note(ua, "interrupted", "interrupted: cancelling the call");
		c->cancel_wanted = true;
		break;
	case CALL_EARLY:
		ua_note(ua, "interrupted", "interrupted: cancelling the call");
		send_cancel(ua, c);
		break;
	case CALL_UP:
		ua_note(ua, "interrupted", "interrupted: hanging up");
		hang_up(ua, c);
		break;
	default:
		finish(ua, c, c->status);
	}
}

/* A request from the callee: BYE ends the call (15.1.2); others in the dialog get 200. */
static void on_request(struct ua *ua, struct sip_txn *st, struct sip_msg *req)
{
	struct call_run *c = ua->cmd;
	struct sip_dialog_id id;
	int status;

	if (!c->dlg || sip_dialog_id_of(&id, req) != 0 || !sip_str_eq(id.call_id, c->dlg->id.call_id) ||
	    !sip_str_eq(id.local_tag, c->dlg->id.local_tag) || !sip_str_eq(id.remote_tag, c->dlg->id.remote_tag)) {
		/* 12.2.2: no such dialog. */
		ua_respond(ua, st, req->method == SIP_METHOD_OPTIONS ? 200 : 481, NULL);
		return;
	}
	ua_note(ua, "request", "<- %.*s from the callee", SIP_STR_ARG(req->method_str));
	if (sip_dialog_uas_request(c->dlg, req, &status) != 0) {
		ua_respond(ua, st, 400, NULL);
		return;
	}
	if (status) {
		ua_respond(ua, st, status, NULL); /* 12.2.2: out of order, 500 */
		return;
	}
	if (req->method == SIP_METHOD_BYE) {
		ua_respond(ua, st, 200, NULL);
		ua_note(ua, "hangup", "the callee hung up");
		finish(ua, c, c->status);
		return;
	}
	/* A re-INVITE would need an answer; the toolkit keeps its one offer (488). */
	ua_respond(ua, st, req->method == SIP_METHOD_INVITE ? 488 : 200, NULL);
}

/* A 2xx retransmission after the INVITE transaction ended (RFC 6026: stray). */
static void on_stray(struct ua *ua, struct sip_msg *m)
{
	struct call_run *c = ua->cmd;
	const struct sip_cseq *cs;

	if (!m->is_request && m->status >= 200 && m->status < 300 && sip_msg_cseq(m, &cs) == 0 &&
	    cs->method == SIP_METHOD_INVITE && (c->state == CALL_UP || c->state == CALL_BYE))
		send_ack(ua, c);
}

int cmd_call(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct call_run c = { 0 };
	struct ua ua;
	char sdp[1024];
	int rc;

	for (int i = 1; i < argc; i++) {
		int k = ua_opts_parse(&opt, argc, argv, &i);
		char *end;
		if (k < 0)
			return cli_usage("call");
		if (k > 0)
			continue;
		if (strcmp(argv[i], "--duration") == 0 && i + 1 < argc) {
			c.duration_s = strtod(argv[++i], &end);
			if (*end || c.duration_s < 0 || c.duration_s > 86400) {
				fprintf(stderr, "siphon call: --duration wants seconds (0..86400)\n");
				return CLI_USAGE;
			}
		} else if (!cli_is_option(argv[i]) && !c.uri) {
			c.uri = argv[i];
		} else {
			fprintf(stderr, "siphon call: unexpected '%s'\n", argv[i]);
			return cli_usage("call");
		}
	}
	if (!c.uri)
		return cli_usage("call");
	rc = ua_init(&ua, &opt, c.uri);
	if (rc)
		return rc;
	ua.cmd = &c;
	ua.on_tick = on_tick;
	ua.on_sigint = on_sigint;
	ua.on_request = on_request;
	ua.on_stray = on_stray;
	c.status = UA_EXIT_ERROR;
	/* An audio offer (RFC 3264) that names the local address; no media engine
	 * runs, so nothing listens on the port. */
	unsigned long sess = (unsigned long)uv_hrtime() / 1000000UL;
	const char *ipv = strchr(ua.local_ip, ':') ? "IP6" : "IP4";
	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=siphon %lu %lu IN %s %s\r\ns=siphon call\r\nc=IN %s %s\r\nt=0 0\r\n"
		 "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
		 "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n",
		 sess, sess, ipv, ua.local_ip, ipv, ua.local_ip);
	struct ua_req_spec s = {
		.method = "INVITE",
		.ruri = c.uri,
		.contact = true,
		.headers = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS\r\n",
		.ctype = "application/sdp",
		.body = sdp,
		.body_len = strlen(sdp),
	};
	if (ua_send(&ua, &s, on_invite, &c, &c.invite) != 0)
		ua_stop(&ua, UA_EXIT_ERROR);
	rc = ua_run(&ua);
	sip_dialog_free(c.dlg);
	return rc;
}

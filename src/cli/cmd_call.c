/* siphon call URI: place a call (RFC 3261 13) with an SDP offer and no media
 * engine; show every provisional and final response, ACK a 2xx (13.2.2.4), hang up
 * with BYE after --duration or on Ctrl-C (15.1.1), CANCEL a call that is still
 * ringing (9.1), and for a failure say what it means and what to do.
 *
 * Forking (13.2.2.4, 12.1.2): each To tag of a provisional response is an early
 * dialog, each 2xx confirms its own dialog and is ACKed in it; the first 2xx is
 * the call, any later one from another fork is ACKed and ended with BYE at once.
 * Inside the call the callee may re-INVITE (14.2: answered 200 with our SDP answer,
 * or our offer when it made none, the 2xx retransmitted until its ACK, 13.3.1.4),
 * UPDATE (RFC 3311), send OPTIONS, or hang up with BYE. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_sdp.h"
#include "cli.h"
#include "ua.h"

enum call_state { CALL_TRYING, CALL_EARLY, CALL_UP, CALL_BYE, CALL_DONE };

/* What siphon call accepts inside its dialog (8.2.1: Allow in 405 and OPTIONS). */
#define CALL_ALLOW "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n"
#define CALL_LEGS 8
#define CALL_T1_MS 500u  /* 17.1.1.1 defaults, used for the 2xx retransmission (13.3.1.4) */
#define CALL_T2_MS 4000u

/* One dialog the INVITE made. A forking proxy can deliver several provisional
 * responses with different To tags (one early dialog each, 12.1, 13.2.2.4) and
 * several 2xx (one confirmed dialog each, 12.1.2); the call keeps one. */
struct call_leg {
	struct sip_dialog *dlg;
	struct sip_txn_dest dst;  /* its next hop, once confirmed */
	uint32_t invite_cseq;     /* the ACK's CSeq (13.2.2.4) */
	bool extra;               /* a further 2xx: ACKed and ended with BYE */
};

/* A re-INVITE from the callee whose 2xx waits for its ACK: the UA core, not the
 * transaction, retransmits that 2xx (13.3.1.4; RFC 6026 7.1). */
struct call_rx {
	bool active;
	bool offer_pending;       /* our 2xx carried the offer: the ACK carries the answer */
	uint32_t cseq;
	struct sip_buf resp;
	struct sip_txn_dest dst;
	uint64_t interval_ms;
	uint64_t started_ns;
	struct sip_timer retx;
};

struct call_run {
	struct ua *ua;
	const char *uri;
	double duration_s;      /* 0: until Ctrl-C or the callee hangs up */
	enum call_state state;
	struct ua_req *invite;  /* until its final response */
	uint32_t invite_cseq;
	bool cancel_wanted;     /* Ctrl-C before any provisional: CANCEL once one comes (9.1) */
	bool cancelled;
	bool timed_out;
	int status;
	struct call_leg legs[CALL_LEGS];
	unsigned nlegs;
	struct call_leg *main;  /* the dialog of the first 2xx: the call */
	struct sip_msg *invite_copy; /* for a 2xx that comes after the transaction ended */
	struct call_sdp sdp;
	struct call_rx rx;
	struct sip_buf ack_headers; /* the INVITE's credentials, for every ACK */
};

static void send_cancel(struct ua *ua, struct call_run *c);

static void finish(struct ua *ua, struct call_run *c, int status)
{
	c->state = CALL_DONE;
	c->rx.active = false;
	sip_timer_stop(&ua->ts, &c->rx.retx);
	ua_stop(ua, status);
}

/* ---- The dialogs of the INVITE ---- */

static bool same_dialog(const struct sip_dialog *d, const struct sip_dialog_id *id)
{
	return sip_str_eq(id->call_id, d->id.call_id) && sip_str_eq(id->local_tag, d->id.local_tag) &&
	       sip_str_eq(id->remote_tag, d->id.remote_tag);
}

/* The leg a message received belongs to (12: its dialog id), or NULL. */
static struct call_leg *leg_of(struct call_run *c, struct sip_msg *m)
{
	struct sip_dialog_id id;

	if (sip_dialog_id_of(&id, m) != 0)
		return NULL;
	for (unsigned i = 0; i < c->nlegs; i++)
		if (same_dialog(c->legs[i].dlg, &id))
			return &c->legs[i];
	return NULL;
}

static struct call_leg *leg_new(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	struct call_leg *leg;
	const struct sip_cseq *cs;

	if (c->nlegs == CALL_LEGS || !req || sip_msg_cseq(m, &cs) != 0)
		return NULL;
	leg = &c->legs[c->nlegs];
	*leg = (struct call_leg){ .invite_cseq = cs->seq };
	if (sip_dialog_uac_alloc(&leg->dlg, req, m, ua->tp == SIP_TP_TLS) != 0)
		return NULL;
	c->nlegs++;
	return leg;
}

/* 12.1 / 13.2.2.4: a provisional response with a To tag makes an early dialog,
 * one per tag (each fork of a forking proxy answers with its own). */
static void early(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	const struct sip_addr *to;
	struct call_leg *leg;

	if (sip_msg_to(m, &to) != 0 || !to->tag.len)
		return;
	leg = leg_of(c, m);
	if (leg) {
		(void)sip_dialog_uac_update(leg->dlg, m); /* a later Contact (12.1.2) */
		return;
	}
	if ((leg = leg_new(ua, c, req, m)) != NULL)
		ua_note(ua, "early", "   early dialog with tag %.*s%s%.*s", SIP_STR_ARG(to->tag),
			leg->dlg->remote_target.len ? " at " : "", SIP_STR_ARG(leg->dlg->remote_target));
}

/* A 2xx confirms its early dialog or makes a new one (12.1.2: its Record-Route
 * and Contact decide the route set and the remote target); NULL when it cannot
 * be ACKed (printed). */
static struct call_leg *leg_confirm(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	struct call_leg *leg = leg_of(c, m);

	if (leg && sip_dialog_uac_update(leg->dlg, m) != 0)
		leg = NULL;
	else if (!leg)
		leg = leg_new(ua, c, req, m);
	if (!leg && c->nlegs == CALL_LEGS) {
		ua_note(ua, "error", "more than %d dialogs from one INVITE: this 2xx is not ACKed", CALL_LEGS);
		return NULL;
	}
	if (!leg || leg->dlg->state != SIP_DIALOG_CONFIRMED || !leg->dlg->remote_target.len) {
		ua_note(ua, "error", "the 2xx has no usable Contact or To tag: cannot ACK it (RFC 3261 13.2.2.4)");
		return NULL;
	}
	if (ua_dialog_dest(ua, &leg->dst, leg->dlg) != 0) {
		ua_note(ua, "error", "cannot resolve the dialog's next hop %.*s",
			SIP_STR_ARG(sip_dialog_next_hop(leg->dlg)));
		return NULL;
	}
	return leg;
}

/* 13.2.2.4: "The ACK MUST contain the same credentials as the INVITE." */
static void keep_credentials(struct call_run *c, struct sip_msg *inv)
{
	static const enum sip_hdr_id ids[] = { SIP_HDR_AUTHORIZATION, SIP_HDR_PROXY_AUTHORIZATION };
	static const char *const names[] = { "Authorization", "Proxy-Authorization" };

	sip_buf_reset(&c->ack_headers);
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		for (const struct sip_hdr *h = sip_msg_hdr(inv, ids[i]); h; h = sip_msg_hdr_next(inv, h))
			(void)sip_buf_printf(&c->ack_headers, "%s: %.*s\r\n", names[i], SIP_STR_ARG(h->value));
}

static void send_ack(struct ua *ua, struct call_run *c, struct call_leg *leg)
{
	struct sip_buf b = SIP_BUF_INIT;
	struct ua_req_spec s = {
		.method = "ACK",
		.dlg = leg->dlg,
		.cseq = leg->invite_cseq, /* 13.2.2.4: the INVITE's CSeq number */
		.headers = c->ack_headers.len ? c->ack_headers.p : NULL,
	};

	/* 13.2.2.4: the ACK for a 2xx is built by its dialog (Request-URI, Route) and
	 * sent outside any transaction, to that dialog's next hop. */
	if (ua_build(ua, &b, &s, NULL) == 0 && ua_send_raw(ua, &b, &leg->dst) == 0)
		ua_note(ua, "ack", "-> ACK %.*s", SIP_STR_ARG(leg->dlg->remote_target));
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
		.dlg = c->main->dlg,
		.dst = &c->main->dst,
	};

	ua_tick(ua, 0);
	c->rx.active = false;
	sip_timer_stop(&ua->ts, &c->rx.retx);
	c->state = CALL_BYE;
	if (ua_send(ua, &s, on_bye, c, NULL) != 0)
		finish(ua, c, UA_EXIT_ERROR);
}

static void on_extra_bye(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	(void)r;
	(void)arg;
	ua_print_response(ua, res);
}

/* 13.2.2.4: "the UAC core MUST generate an ACK" for each 2xx from another fork,
 * "and then a BYE" when it wants one call only: the first 2xx is the call. */
static void extra_answer(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	struct call_leg *leg = leg_confirm(ua, c, req, m);
	unsigned extras = 0;

	if (!leg)
		return;
	for (unsigned i = 0; i < c->nlegs; i++)
		extras += c->legs[i].extra;
	leg->extra = true;
	send_ack(ua, c, leg);
	ua_note(ua, "forked", "%s answer from %.*s (tag %.*s): ACKed and ended with BYE", extras ? "another" : "second",
		SIP_STR_ARG(leg->dlg->remote_target), SIP_STR_ARG(leg->dlg->id.remote_tag));
	struct ua_req_spec s = { .method = "BYE", .dlg = leg->dlg, .dst = &leg->dst };
	if (ua_send(ua, &s, on_extra_bye, c, NULL) != 0)
		ua_note(ua, "error", "cannot send the BYE for that answer");
}

/* A 2xx after the INVITE's final response: a retransmission of one we ACKed
 * (its ACK was lost: ACK again in the same dialog, 13.2.2.4) or another fork's. */
static void answer_again(struct ua *ua, struct call_run *c, struct sip_msg *req, struct sip_msg *m)
{
	struct call_leg *leg;

	if (c->state != CALL_UP && c->state != CALL_BYE)
		return;
	leg = leg_of(c, m);
	if (leg && leg->dlg->state == SIP_DIALOG_CONFIRMED)
		send_ack(ua, c, leg);
	else
		extra_answer(ua, c, req, m);
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

	if (!req || !(c->main = leg_confirm(ua, c, req, m))) {
		finish(ua, c, UA_EXIT_ERROR);
		return;
	}
	/* Kept for a 2xx of another fork after the transaction ends (RFC 6026 7.2). */
	if (!c->invite_copy && sip_msg_parse(&c->invite_copy, req->buf, req->len, NULL, NULL) != 0)
		c->invite_copy = NULL;
	keep_credentials(c, req);
	c->state = CALL_UP;
	c->status = UA_EXIT_OK;
	send_ack(ua, c, c->main);
	if (c->cancel_wanted || c->cancelled) {
		/* 15: a 2xx that crossed our CANCEL is a call we no longer want. */
		ua_note(ua, "established", "call answered although cancelled: hanging up");
		hang_up(ua, c);
		return;
	}
	if (!ua->opt.json) {
		/* The answer's media line, so one can see what the callee accepted. */
		const char *p = sdp.p, *end = sdp.p ? sdp.p + sdp.len : NULL;
		printf("call established with %.*s\n", SIP_STR_ARG(c->main->dlg->remote_target));
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
		if (res->msg)
			answer_again(ua, c, res->req, res->msg);
		return;
	}
	ua_print_response(ua, res);
	if (!res->final) {
		if (res->code > 100 && res->msg)
			early(ua, c, res->req, res->msg);
		if (res->code > 100 && c->state == CALL_TRYING)
			c->state = CALL_EARLY;
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

/* ---- Requests from the callee inside the call ---- */

static bool has_sdp(struct sip_msg *m)
{
	const struct sip_ctype *ct;

	return m->body.len && sip_msg_content_type(m, &ct) == 0 && sip_str_caseeq_cstr(ct->type, "application") &&
	       sip_str_caseeq_cstr(ct->subtype, "sdp");
}

/* 12.2.2: a target refresh that is accepted replaces the remote target with its
 * Contact; the next hop follows when there is no route set. */
static void refresh_target(struct ua *ua, struct call_leg *leg, struct sip_msg *req)
{
	char old[512];
	struct sip_txn_dest dst;

	sip_str_copy(old, sizeof(old), leg->dlg->remote_target);
	if (sip_dialog_refresh_target(leg->dlg, req) != 0 ||
	    sip_str_eq(leg->dlg->remote_target, sip_str_from_cstr(old)))
		return;
	if (ua_dialog_dest(ua, &dst, leg->dlg) == 0)
		leg->dst = dst;
	ua_note(ua, "target", "   remote target now %.*s (RFC 3261 12.2.2 target refresh)",
		SIP_STR_ARG(leg->dlg->remote_target));
}

static void reinvite_retx(struct sip_timer *t)
{
	struct call_rx *rx = (struct call_rx *)(void *)((char *)t - offsetof(struct call_rx, retx));
	struct call_run *c = (struct call_run *)(void *)((char *)rx - offsetof(struct call_run, rx));
	struct ua *ua = c->ua;

	if (!rx->active || ua->stopping)
		return;
	if (uv_hrtime() - rx->started_ns >= 64ull * CALL_T1_MS * 1000000ull) {
		/* 13.3.1.4: no ACK in 64*T1: the session SHOULD be ended with BYE. */
		rx->active = false;
		ua_note(ua, "error", "no ACK for our 200 to the re-INVITE in %u s: hanging up (RFC 3261 13.3.1.4)",
			64u * CALL_T1_MS / 1000u);
		if (c->state == CALL_UP)
			hang_up(ua, c);
		return;
	}
	(void)ua_send_raw(ua, &rx->resp, &rx->dst);
	rx->interval_ms = rx->interval_ms * 2 > CALL_T2_MS ? CALL_T2_MS : rx->interval_ms * 2;
	sip_timer_start(&ua->ts, t, rx->interval_ms, reinvite_retx);
}

/* Answer an offer (re-INVITE or UPDATE with SDP) or, with no offer, make one; the
 * 200 carries Contact (12.2.2: target refresh requests). 0 when answered 200. */
static int answer_session(struct ua *ua, struct call_run *c, struct sip_txn *st, struct sip_msg *req,
			  const char *what)
{
	struct sip_buf sdp = SIP_BUF_INIT;
	char hdrs[700];
	bool hold = false, offer = has_sdp(req);
	int n, err;

	if (offer) {
		n = call_sdp_answer(&c->sdp, &sdp, req->body, &hold);
		if (n <= 0) {
			/* 14.2, RFC 3264 6: nothing we can take; the session stays as it was. */
			ua_note(ua, "request", "<- %s from %.*s: %s: 488, the session stays as it was (RFC 3261 14.2)",
				what, SIP_STR_ARG(c->main->dlg->remote_target),
				n < 0 ? "the offer is not SDP" : "no audio stream with PCMU or PCMA offered");
			sip_buf_free(&sdp);
			return ua_respond(ua, st, 488, "Accept: application/sdp\r\n") == 0 ? 1 : -1;
		}
		ua_note(ua, "request", "<- %s from %.*s: session refreshed, offer answered%s", what,
			SIP_STR_ARG(c->main->dlg->remote_target), hold ? " (the callee puts the call on hold)" : "");
	} else if (req->method == SIP_METHOD_INVITE) {
		/* 14.2 / RFC 3264 5: no offer in the re-INVITE: ours goes in the 200 and
		 * the answer comes in the ACK (RFC 3261 13.2.1). */
		(void)call_sdp_offer(&c->sdp, &sdp, false);
		ua_note(ua, "request", "<- %s from %.*s without an offer: session refreshed, our offer goes in the 200",
			what, SIP_STR_ARG(c->main->dlg->remote_target));
	} else {
		ua_note(ua, "request", "<- %s from %.*s without an offer: session refreshed", what,
			SIP_STR_ARG(c->main->dlg->remote_target));
	}
	refresh_target(ua, c->main, req);
	snprintf(hdrs, sizeof(hdrs), "Contact: %s\r\n" CALL_ALLOW, ua->contact);
	err = ua_respond_body(ua, st, 200, hdrs, sdp.len ? "application/sdp" : NULL, sdp.len ? sdp.p : NULL,
			      sdp.len, req->method == SIP_METHOD_INVITE ? &c->rx.resp : NULL);
	if (!err && req->method == SIP_METHOD_INVITE)
		c->rx.offer_pending = !offer;
	sip_buf_free(&sdp);
	return err;
}

/* 14.2: a re-INVITE within the call. */
static void on_reinvite(struct ua *ua, struct call_run *c, struct sip_txn *st, struct sip_msg *req)
{
	const struct sip_cseq *cs;

	if (c->rx.active) {
		if (c->rx.offer_pending) {
			/* 14.2, RFC 3264 4: our offer (in the last 200) waits for its answer: a
			 * new offer now is glare. */
			ua_note(ua, "request", "<- re-INVITE while our offer waits for its answer: 491 (RFC 3261 14.2)");
			ua_respond(ua, st, 491, NULL);
		} else {
			/* 14.2: the last re-INVITE is not over (its ACK is missing). */
			ua_note(ua, "request", "<- re-INVITE before the last one's ACK: 500, retry later (RFC 3261 14.2)");
			ua_respond(ua, st, 500, "Retry-After: 1\r\n");
		}
		return;
	}
	if (sip_msg_cseq(req, &cs) != 0 || answer_session(ua, c, st, req, "re-INVITE") != 0)
		return;
	/* 13.3.1.4: the 2xx is retransmitted (T1, doubling up to T2) until the ACK. */
	c->rx.active = true;
	c->rx.cseq = cs->seq;
	c->rx.dst = *sip_txn_dest(st);
	c->rx.interval_ms = CALL_T1_MS;
	c->rx.started_ns = uv_hrtime();
	sip_timer_start(&ua->ts, &c->rx.retx, CALL_T1_MS, reinvite_retx);
}

/* The ACK for our 200 to a re-INVITE (a new transaction: it reaches the UA core
 * as a stray request, 17.2.3, RFC 6026 7.1). */
static void reinvite_ack(struct ua *ua, struct call_run *c, struct sip_msg *ack)
{
	const struct sip_cseq *cs;

	/* Its CSeq is the re-INVITE's (13.2.2.4), which may be below the remote
	 * sequence number by now (a later request got 491): no 12.2.2 order check. */
	if (!c->main || leg_of(c, ack) != c->main || !c->rx.active || sip_msg_cseq(ack, &cs) != 0 ||
	    cs->seq != c->rx.cseq)
		return;
	c->rx.active = false;
	sip_timer_stop(&ua->ts, &c->rx.retx);
	ua_note(ua, "ack", "<- ACK for our 200 to the re-INVITE");
	if (c->rx.offer_pending) {
		/* 13.2.1: an offer in the 2xx is answered in the ACK. */
		if (has_sdp(ack) && call_sdp_answer_ok(ack->body))
			ua_note(ua, "ack", "   the ACK answers our offer");
		else
			ua_note(ua, "ack", "   the ACK carries no usable answer to our offer (RFC 3261 13.2.1)");
		c->rx.offer_pending = false;
	}
}

/* A request from the callee: BYE ends the call (15.1.2), a re-INVITE or an UPDATE
 * changes the session (14.2, RFC 3311), OPTIONS asks what we take (11.2). */
static void on_request(struct ua *ua, struct sip_txn *st, struct sip_msg *req)
{
	struct call_run *c = ua->cmd;
	struct call_leg *leg = leg_of(c, req);
	int status;

	if (!leg || leg->dlg->state != SIP_DIALOG_CONFIRMED) {
		/* 12.2.2: no such dialog; 11.2: OPTIONS outside a dialog is fine. */
		ua_respond(ua, st, req->method == SIP_METHOD_OPTIONS ? 200 : 481,
			   req->method == SIP_METHOD_OPTIONS ? CALL_ALLOW : NULL);
		return;
	}
	if (sip_dialog_uas_request(leg->dlg, req, &status) != 0) {
		ua_respond(ua, st, 400, NULL);
		return;
	}
	if (status) {
		ua_respond(ua, st, status, NULL); /* 12.2.2: out of order, 500 */
		return;
	}
	if (leg != c->main || c->state != CALL_UP) {
		/* A dialog we are ending (another fork's, or the call after our BYE):
		 * a BYE that crosses ours is fine, anything else is too late (15). */
		ua_note(ua, "request", "<- %.*s in a dialog being ended", SIP_STR_ARG(req->method_str));
		ua_respond(ua, st, req->method == SIP_METHOD_BYE || req->method == SIP_METHOD_CANCEL ? 200 : 481, NULL);
		return;
	}
	switch (req->method) {
	case SIP_METHOD_BYE:
		ua_note(ua, "request", "<- BYE from the callee");
		ua_respond(ua, st, 200, NULL);
		ua_note(ua, "hangup", "the callee hung up");
		finish(ua, c, c->status);
		return;
	case SIP_METHOD_INVITE:
		on_reinvite(ua, c, st, req);
		return;
	case SIP_METHOD_UPDATE:
		if (c->rx.offer_pending && has_sdp(req)) {
			/* RFC 3311 5.2: an offer while ours is unanswered: 491. */
			ua_note(ua, "request", "<- UPDATE while our offer waits for its answer: 491 (RFC 3311 5.2)");
			ua_respond(ua, st, 491, NULL);
			return;
		}
		(void)answer_session(ua, c, st, req, "UPDATE");
		return;
	case SIP_METHOD_OPTIONS:
		ua_note(ua, "request", "<- OPTIONS in the call");
		ua_respond(ua, st, 200, CALL_ALLOW "Accept: application/sdp\r\n");
		return;
	case SIP_METHOD_CANCEL:
		/* 9.2: every request of ours is answered at once, so nothing is left to
		 * cancel; the CANCEL itself is answered 200. */
		ua_respond(ua, st, 200, NULL);
		return;
	default:
		ua_note(ua, "request", "<- %.*s in the call: not something siphon call takes",
			SIP_STR_ARG(req->method_str));
		ua_respond(ua, st, 405, CALL_ALLOW); /* 8.2.1 */
		return;
	}
}

/* Outside any transaction: a 2xx to the INVITE after Timer M (RFC 6026 7.2), or
 * the ACK for our 200 to a re-INVITE. */
static void on_stray(struct ua *ua, struct sip_msg *m)
{
	struct call_run *c = ua->cmd;
	const struct sip_cseq *cs;

	if (m->is_request) {
		if (m->method == SIP_METHOD_ACK)
			reinvite_ack(ua, c, m);
		return;
	}
	if (m->status >= 200 && m->status < 300 && sip_msg_cseq(m, &cs) == 0 && cs->method == SIP_METHOD_INVITE &&
	    cs->seq == c->invite_cseq)
		answer_again(ua, c, c->invite_copy, m);
}

int cmd_call(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct call_run c = { 0 };
	struct ua ua;
	struct sip_buf sdp = SIP_BUF_INIT;
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
	c.ua = &ua;
	/* An audio offer (RFC 3264) that names the local address; no media engine
	 * runs, so nothing listens on the port. */
	snprintf(c.sdp.ip, sizeof(c.sdp.ip), "%s", ua.local_ip);
	c.sdp.sess_id = (uint64_t)uv_hrtime() / 1000000u;
	c.sdp.version = c.sdp.sess_id;
	rc = call_sdp_offer(&c.sdp, &sdp, true);
	struct ua_req_spec s = {
		.method = "INVITE",
		.ruri = c.uri,
		.contact = true,
		.headers = CALL_ALLOW,
		.ctype = "application/sdp",
		.body = sdp.p,
		.body_len = sdp.len,
	};
	if (rc != 0 || ua_send(&ua, &s, on_invite, &c, &c.invite) != 0)
		ua_stop(&ua, UA_EXIT_ERROR);
	rc = ua_run(&ua);
	for (unsigned i = 0; i < c.nlegs; i++)
		sip_dialog_free(c.legs[i].dlg);
	sip_msg_free(c.invite_copy);
	sip_buf_free(&c.rx.resp);
	sip_buf_free(&c.ack_headers);
	sip_buf_free(&sdp);
	return rc;
}

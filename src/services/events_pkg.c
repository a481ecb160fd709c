/* Event packages: the state documents of presence (RFC 3856), dialog (RFC 4235),
 * message-summary (RFC 3842) and reg (RFC 3680), and the APIs that feed them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events_int.h"
#include "siphon/err.h"

const struct ev_pkg ev_pkgs[EV_PKG__COUNT] = {
	[EV_PKG_PRESENCE] = { SIP_STR_INIT("presence"), SIP_STR_INIT("application/pidf+xml"), 3600, false, false, true },
	[EV_PKG_DIALOG] = { SIP_STR_INIT("dialog"), SIP_STR_INIT("application/dialog-info+xml"), 3600, true, true, false },
	[EV_PKG_MWI] = { SIP_STR_INIT("message-summary"), SIP_STR_INIT("application/simple-message-summary"), 3600, false, false, true },
	[EV_PKG_REG] = { SIP_STR_INIT("reg"), SIP_STR_INIT("application/reginfo+xml"), 3600, true, true, false },
};

int ev_pkg_find(struct sip_str name)
{
	/* RFC 6665 8.2.1: event types compare byte by byte. */
	for (int i = 0; i < EV_PKG__COUNT; i++)
		if (sip_str_eq(name, ev_pkgs[i].name))
			return i;
	return -1;
}

void ev_xml_escape(struct sip_buf *b, struct sip_str s)
{
	size_t start = 0;

	for (size_t i = 0; i < s.len; i++) {
		const char *rep;

		switch (s.p[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&apos;"; break;
		default: continue;
		}
		sip_buf_append(b, s.p + start, i - start);
		sip_buf_append_cstr(b, rep);
		start = i + 1;
	}
	sip_buf_append(b, s.p + start, s.len - start);
}

static void attr(struct sip_buf *b, const char *name, struct sip_str v)
{
	if (!v.len)
		return;
	sip_buf_printf(b, " %s=\"", name);
	ev_xml_escape(b, v);
	sip_buf_append(b, "\"", 1);
}

/* ---------------------------------------------------------------- dialog */

static const char *const dlg_state_names[] = { "trying", "proceeding", "early", "confirmed", "terminated" };

static void dialog_xml(struct sip_buf *b, const struct sip_events_dialog *d)
{
	/* RFC 4235 4.1.1 - 4.1.6. */
	sip_buf_append_cstr(b, "<dialog");
	attr(b, "id", d->id);
	attr(b, "call-id", d->call_id);
	attr(b, "local-tag", d->local_tag);
	attr(b, "remote-tag", d->remote_tag);
	sip_buf_append_cstr(b, d->initiator ? " direction=\"initiator\">" : " direction=\"recipient\">");
	sip_buf_append_cstr(b, "<state");
	if (d->state == SIP_EVENTS_DLG_TERMINATED)
		attr(b, "event", d->event);
	if (d->code >= 100 && d->code <= 699)
		sip_buf_printf(b, " code=\"%d\"", d->code);
	sip_buf_printf(b, ">%s</state>", dlg_state_names[d->state]);
	if (d->local_identity.len) {
		sip_buf_append_cstr(b, "<local><identity>");
		ev_xml_escape(b, d->local_identity);
		sip_buf_append_cstr(b, "</identity></local>");
	}
	if (d->remote_identity.len) {
		sip_buf_append_cstr(b, "<remote><identity");
		attr(b, "display", d->remote_display);
		sip_buf_append(b, ">", 1);
		ev_xml_escape(b, d->remote_identity);
		sip_buf_append_cstr(b, "</identity></remote>");
	}
	sip_buf_append_cstr(b, "</dialog>");
}

/* The document head up to the version number: the version is per subscription
 * (RFC 4235 4.1, RFC 3680 5.1), so bodies are stored split around it. */
static size_t dialog_head(struct sip_buf *b, const struct ev_res *r, bool full)
{
	size_t at;

	sip_buf_append_cstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"");
	at = b->len;
	sip_buf_append_cstr(b, full ? "\" state=\"full\"" : "\" state=\"partial\"");
	attr(b, "entity", r->aor);
	sip_buf_append_cstr(b, ">");
	return at;
}

/* ---------------------------------------------------------------- reg */

static void contact_id(char out[17], struct sip_str uri)
{
	/* RFC 3680 5.1: the same URI should keep its id; a hash of the URI does. */
	uint64_t h = ev_hash(0, uri.p, uri.len);

	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

static void contact_xml(struct sip_buf *b, const struct sip_events_reg_contact *c)
{
	char id[17];

	if (!c->id.len)
		contact_id(id, c->uri);
	sip_buf_append_cstr(b, "<contact");
	attr(b, "id", c->id.len ? c->id : sip_str_from_cstr(id));
	sip_buf_append_cstr(b, c->active ? " state=\"active\"" : " state=\"terminated\"");
	attr(b, "event", c->event.len ? c->event : (c->active ? SIP_STR("registered") : SIP_STR("unregistered")));
	if (c->active)
		sip_buf_printf(b, " expires=\"%u\"", c->expires);
	sip_buf_printf(b, " duration-registered=\"%u\"", c->duration_registered);
	if (c->q >= 0 && c->q <= 1000)
		sip_buf_printf(b, " q=\"%d.%03d\"", c->q / 1000, c->q % 1000);
	attr(b, "callid", c->call_id);
	if (c->cseq)
		sip_buf_printf(b, " cseq=\"%u\"", c->cseq);
	sip_buf_append_cstr(b, "><uri>");
	ev_xml_escape(b, c->uri);
	sip_buf_append_cstr(b, "</uri></contact>");
}

static size_t reg_head(struct sip_buf *b, const struct ev_res *r, bool full, const char *state)
{
	size_t at;

	sip_buf_append_cstr(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"");
	at = b->len;
	sip_buf_printf(b, "\" state=\"%s\"><registration", full ? "full" : "partial");
	attr(b, "aor", r->aor);
	attr(b, "id", ev_tag_str(&r->reg_id));
	sip_buf_printf(b, " state=\"%s\">", state);
	return at;
}

/* ---------------------------------------------------------------- mwi */

static void mwi_text(struct sip_buf *b, const struct ev_res *r, const struct sip_events_mwi *m)
{
	/* RFC 3842 5.2. */
	sip_buf_printf(b, "Messages-Waiting: %s\r\n", m->new_msgs ? "yes" : "no");
	sip_buf_append_cstr(b, "Message-Account: ");
	sip_buf_append_str(b, r->aor);
	sip_buf_printf(b, "\r\nVoice-Message: %u/%u (%u/%u)\r\n", m->new_msgs, m->old_msgs,
		       m->urgent_new, m->urgent_old);
}

static int count_parse(struct sip_str s, uint32_t *out)
{
	return sip_str_to_u32(sip_str_trim(s), out);
}

/* "n/o" or "n/o (un/uo)". */
static int summary_parse(struct sip_str v, uint32_t c[4])
{
	long slash = sip_str_chr(v, '/');
	long paren = sip_str_chr(v, '(');
	struct sip_str rest;

	c[2] = c[3] = 0;
	if (slash < 0 || (paren >= 0 && paren < slash))
		return SIP_EPARSE;
	if (count_parse((struct sip_str){ v.p, (size_t)slash }, &c[0]))
		return SIP_EPARSE;
	rest = (struct sip_str){ v.p + slash + 1, v.len - (size_t)slash - 1 };
	if (paren < 0)
		return count_parse(rest, &c[1]) ? SIP_EPARSE : 0;
	if (count_parse((struct sip_str){ rest.p, (size_t)(paren - slash - 1) }, &c[1]))
		return SIP_EPARSE;
	rest = sip_str_trim((struct sip_str){ v.p + paren + 1, v.len - (size_t)paren - 1 });
	if (!rest.len || rest.p[rest.len - 1] != ')')
		return SIP_EPARSE;
	rest.len--;
	slash = sip_str_chr(rest, '/');
	if (slash < 0 || count_parse((struct sip_str){ rest.p, (size_t)slash }, &c[2]) ||
	    count_parse((struct sip_str){ rest.p + slash + 1, rest.len - (size_t)slash - 1 }, &c[3]))
		return SIP_EPARSE;
	return 0;
}

int ev_mwi_parse(struct sip_events_mwi *m, struct sip_str body)
{
	struct sip_events_mwi out = { 0 };
	size_t pos = 0;
	bool first = true, waiting = false;

	while (pos < body.len) {
		size_t end = pos;
		struct sip_str line, name, value;
		long colon;

		while (end < body.len && body.p[end] != '\n')
			end++;
		line = sip_str_trim((struct sip_str){ body.p + pos, end - pos });
		pos = end + 1;
		/* RFC 3842 5.2: optional message headers follow an empty line. */
		if (!line.len)
			break;
		colon = sip_str_chr(line, ':');
		if (colon <= 0)
			return SIP_EPARSE;
		name = sip_str_trim((struct sip_str){ line.p, (size_t)colon });
		value = sip_str_trim((struct sip_str){ line.p + colon + 1, line.len - (size_t)colon - 1 });
		if (first) {
			/* msg-status-line first (names are case-insensitive). */
			if (!sip_str_caseeq_cstr(name, "Messages-Waiting"))
				return SIP_EPARSE;
			if (sip_str_caseeq_cstr(value, "yes"))
				waiting = true;
			else if (!sip_str_caseeq_cstr(value, "no"))
				return SIP_EPARSE;
			first = false;
			continue;
		}
		if (sip_str_caseeq_cstr(name, "Voice-Message")) {
			uint32_t c[4];

			if (summary_parse(value, c))
				return SIP_EPARSE;
			out.new_msgs = c[0];
			out.old_msgs = c[1];
			out.urgent_new = c[2];
			out.urgent_old = c[3];
		}
	}
	if (first)
		return SIP_EPARSE;
	(void)waiting;
	*m = out;
	return 0;
}

/* ---------------------------------------------------------------- full state */

int ev_pkg_full(struct sip_events *ev, struct ev_res *r, struct ev_body **out)
{
	struct sip_buf b = SIP_BUF_INIT;
	size_t at = 0;
	bool versioned = ev_pkgs[r->pkg].versioned;
	struct ev_body *body;
	int err = 0;

	(void)ev;
	switch (r->pkg) {
	case EV_PKG_PRESENCE: {
		void **dv = NULL;
		size_t n = 0;

		if (r->npubs) {
			dv = malloc(r->npubs * sizeof(*dv));
			if (!dv)
				return -ENOMEM;
		}
		for (struct ev_pub *p = r->pubs; p && n < r->npubs; p = p->next)
			dv[n++] = p->doc;
		err = ev_pidf_compose(&b, r->aor, dv, n);
		free(dv);
		break;
	}
	case EV_PKG_DIALOG:
		at = dialog_head(&b, r, true);
		for (const struct ev_dinfo *d = r->dialogs; d; d = d->next)
			dialog_xml(&b, &d->d);
		sip_buf_append_cstr(&b, "</dialog-info>\n");
		break;
	case EV_PKG_MWI: {
		/* The newest publication wins over counts set by the API. */
		const struct sip_events_mwi *m = &r->mwi;

		for (const struct ev_pub *p = r->pubs; p; p = p->next)
			m = &p->mwi;
		mwi_text(&b, r, m);
		break;
	}
	case EV_PKG_REG: {
		bool any = r->contacts != NULL;

		at = reg_head(&b, r, true, any ? "active" : "init");
		for (const struct ev_regc *c = r->contacts; c; c = c->next)
			contact_xml(&b, &c->c);
		sip_buf_append_cstr(&b, "</registration></reginfo>\n");
		break;
	}
	default:
		err = -EINVAL;
	}
	/* sip_buf keeps going after a failed append only by luck: check it ended whole. */
	if (!err && !b.p)
		err = -ENOMEM;
	if (err) {
		sip_buf_free(&b);
		return err;
	}
	body = ev_body_new(sip_buf_str(&b), at, versioned);
	sip_buf_free(&b);
	if (!body)
		return -ENOMEM;
	*out = body;
	return 0;
}

/* ---------------------------------------------------------------- feeds */

/* Copy the strings *f[0..n) into one malloc'd block, each NUL-terminated, and point
 * the slices at the copies: a record keeps its strings with one allocation. NULL
 * when out of memory (the slices are then unchanged). */
static char *strs_pack(struct sip_str *const *f, size_t n)
{
	size_t total = 0, off = 0;
	char *mem;

	for (size_t i = 0; i < n; i++)
		total += f[i]->len + 1;
	mem = malloc(total);
	if (!mem)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (f[i]->len)
			memcpy(mem + off, f[i]->p, f[i]->len);
		mem[off + f[i]->len] = '\0';
		*f[i] = (struct sip_str){ mem + off, f[i]->len };
		off += f[i]->len + 1;
	}
	return mem;
}

int sip_events_dialog_update(struct sip_events *ev, struct sip_str entity, const struct sip_events_dialog *d)
{
	struct ev_res *r;
	struct ev_dinfo **pp, *di;
	struct sip_buf b = SIP_BUF_INIT;
	struct ev_body *delta;
	size_t at;
	int err;

	if (!d || !d->id.len || (unsigned)d->state > SIP_EVENTS_DLG_TERMINATED || !entity.len)
		return -EINVAL;
	err = ev_res_get(ev, &r, EV_PKG_DIALOG, entity);
	if (err)
		return err;
	for (pp = &r->dialogs; *pp && !sip_str_eq((*pp)->d.id, d->id); pp = &(*pp)->next)
		;
	di = *pp;
	if (!di && d->state == SIP_EVENTS_DLG_TERMINATED) {
		/* Never reported: nothing to say. */
		ev_res_maybe_free(ev, r);
		return 0;
	}
	/* RFC 4235 3.7: notify only the changed dialog (partial state). */
	struct sip_events_dialog t = *d;
	if (di && d->state == SIP_EVENTS_DLG_TERMINATED) {
		/* A termination seen on a BYE knows less than the record: the
		 * direction is the dialog's, fixed when it was created (4.1.1), and
		 * what the update lacks is taken from what was reported before. */
		struct sip_str *const tf[] = { &t.call_id, &t.local_tag, &t.remote_tag, &t.local_identity,
					       &t.remote_identity, &t.remote_display };
		const struct sip_str *const rf[] = { &di->d.call_id, &di->d.local_tag, &di->d.remote_tag,
						     &di->d.local_identity, &di->d.remote_identity,
						     &di->d.remote_display };
		t.initiator = di->d.initiator;
		for (size_t i = 0; i < sizeof(tf) / sizeof(tf[0]); i++)
			if (!tf[i]->len)
				*tf[i] = *rf[i];
	}
	at = dialog_head(&b, r, false);
	dialog_xml(&b, &t);
	sip_buf_append_cstr(&b, "</dialog-info>\n");
	if (!b.p) {
		ev_res_maybe_free(ev, r);
		return -ENOMEM;
	}
	delta = ev_body_new(sip_buf_str(&b), at, true);
	sip_buf_free(&b);
	if (!delta) {
		ev_res_maybe_free(ev, r);
		return -ENOMEM;
	}
	if (d->state == SIP_EVENTS_DLG_TERMINATED) {
		/* Reported once (the delta), then gone from the full state. */
		*pp = di->next;
		free(di->mem);
		free(di);
	} else {
		struct sip_events_dialog c = *d;
		struct sip_str *const f[] = { &c.id, &c.call_id, &c.local_tag, &c.remote_tag,
					      &c.local_identity, &c.remote_identity, &c.remote_display, &c.event };
		char *mem = strs_pack(f, sizeof(f) / sizeof(f[0]));

		if (!mem || (!di && !(di = calloc(1, sizeof(*di))))) {
			free(mem);
			ev_body_unref(delta);
			ev_res_maybe_free(ev, r);
			return -ENOMEM;
		}
		free(di->mem);
		di->mem = mem;
		di->d = c;
		if (!*pp) {
			di->next = NULL;
			*pp = di;
		}
	}
	err = ev_res_update(ev, r, delta);
	ev_res_maybe_free(ev, r);
	ev_timer_report(ev);
	return err;
}

int sip_events_reg_update(struct sip_events *ev, struct sip_str aor, const struct sip_events_reg_contact *c)
{
	struct ev_res *r;
	struct ev_regc **pp, *rc;
	struct sip_events_reg_contact cc;
	struct sip_buf b = SIP_BUF_INIT;
	struct ev_body *delta;
	char idbuf[17];
	size_t at;
	bool any_active;
	int err;

	if (!c || !c->uri.len || !aor.len)
		return -EINVAL;
	cc = *c;
	if (!cc.id.len) {
		contact_id(idbuf, cc.uri);
		cc.id = sip_str_from_cstr(idbuf);
	}
	err = ev_res_get(ev, &r, EV_PKG_REG, aor);
	if (err)
		return err;
	for (pp = &r->contacts; *pp && !sip_str_eq((*pp)->c.id, cc.id); pp = &(*pp)->next)
		;
	rc = *pp;
	if (!rc && !cc.active) {
		ev_res_maybe_free(ev, r);
		return 0;
	}
	/* After this change, is any contact still active (RFC 3680 4.7.1)? */
	any_active = cc.active;
	for (const struct ev_regc *o = r->contacts; o && !any_active; o = o->next)
		any_active = o != rc;
	at = reg_head(&b, r, false, any_active ? "active" : "terminated");
	contact_xml(&b, &cc);
	sip_buf_append_cstr(&b, "</registration></reginfo>\n");
	if (!b.p) {
		ev_res_maybe_free(ev, r);
		return -ENOMEM;
	}
	delta = ev_body_new(sip_buf_str(&b), at, true);
	sip_buf_free(&b);
	if (!delta) {
		ev_res_maybe_free(ev, r);
		return -ENOMEM;
	}
	if (!cc.active) {
		*pp = rc->next;
		free(rc->mem);
		free(rc);
	} else {
		struct sip_str *const f[] = { &cc.id, &cc.uri, &cc.event, &cc.call_id };
		char *mem = strs_pack(f, sizeof(f) / sizeof(f[0]));

		if (!mem || (!rc && !(rc = calloc(1, sizeof(*rc))))) {
			free(mem);
			ev_body_unref(delta);
			ev_res_maybe_free(ev, r);
			return -ENOMEM;
		}
		free(rc->mem);
		rc->mem = mem;
		rc->c = cc;
		if (!*pp) {
			rc->next = NULL;
			*pp = rc;
		}
	}
	err = ev_res_update(ev, r, delta);
	ev_res_maybe_free(ev, r);
	ev_timer_report(ev);
	return err;
}

int sip_events_mwi_set(struct sip_events *ev, struct sip_str aor, const struct sip_events_mwi *m)
{
	struct ev_res *r;
	int err;

	if (!m || !aor.len)
		return -EINVAL;
	err = ev_res_get(ev, &r, EV_PKG_MWI, aor);
	if (err)
		return err;
	r->mwi = *m;
	r->mwi_set = true;
	err = ev_res_update(ev, r, NULL);
	ev_timer_report(ev);
	return err;
}

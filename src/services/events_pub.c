/* Events notifier: publications (RFC 3903), the Event State Compositor side. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "events_int.h"
#include "siphon/err.h"

static uint64_t pub_hash(const struct sip_events *ev, struct sip_str etag)
{
	return ev_hash(~ev->seed, etag.p, etag.len);
}

static struct ev_pub *pub_find(struct sip_events *ev, struct ev_res *r, struct sip_str etag)
{
	uint64_t h = pub_hash(ev, etag);

	for (struct ev_hnode *n = ev_htab_first(&ev->pub_tab, h); n; n = n->next) {
		struct ev_pub *p = EV_CONTAINER(n, struct ev_pub, hn);

		/* RFC 3903 6 step 3: matched against the tags of this resource and package. */
		if (n->h == h && p->res == r && ev_tag_eq(&p->etag, etag))
			return p;
	}
	return NULL;
}

static void pub_persist(struct sip_events *ev, const struct ev_pub *p, bool removed)
{
	struct sip_events_pub_record rec;

	if (!ev->ops.persist_pub)
		return;
	rec = (struct sip_events_pub_record){
		.entity = p->res->aor, .event = ev_pkgs[p->res->pkg].name, .etag = ev_tag_str(&p->etag),
		.expires_at = p->tm.at, .content_type = sip_str_from_cstr(p->ctype),
		.body = { p->body, p->body_len }, .updated_at = p->updated_at,
	};
	ev->ops.persist_pub(ev->ops.arg, &rec, removed);
}

/* Composition order: oldest first, so the newest wins (RFC 3903 10.3 leaves the
 * policy to us; RFC 3863 4.1.2 tuples are merged by id). */
static void pub_link(struct ev_res *r, struct ev_pub *p)
{
	struct ev_pub *at = r->pubs, *prev = NULL;

	while (at && (at->updated_at < p->updated_at ||
		      (at->updated_at == p->updated_at && at->seq < p->seq))) {
		prev = at;
		at = at->next;
	}
	p->prev = prev;
	p->next = at;
	if (prev)
		prev->next = p;
	else
		r->pubs = p;
	if (at)
		at->prev = p;
	r->npubs++;
}

static void pub_unlink(struct ev_res *r, struct ev_pub *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		r->pubs = p->next;
	if (p->next)
		p->next->prev = p->prev;
	p->next = p->prev = NULL;
	r->npubs--;
}

static void pub_free_content(struct ev_pub *p)
{
	free(p->ctype);
	free(p->body);
	ev_pidf_free(p->doc);
	p->ctype = p->body = NULL;
	p->doc = NULL;
}

void ev_pub_destroy(struct sip_events *ev, struct ev_pub *p)
{
	ev_timer_cancel(ev, &p->tm);
	ev_htab_remove(&ev->pub_tab, &p->hn);
	pub_unlink(p->res, p);
	pub_free_content(p);
	free(p);
	ev->npubs--;
}

void ev_pub_expire(struct sip_events *ev, struct ev_pub *p)
{
	struct ev_res *r = p->res;

	pub_persist(ev, p, true);
	ev_pub_destroy(ev, p);
	(void)ev_res_update(ev, r, NULL);
	ev_res_maybe_free(ev, r);
}

/* Parse and check a body for the package; fills doc / mwi. 0, SIP_EPARSE. */
static int content_check(enum ev_pkg_id pkg, struct sip_str body, void **doc, struct sip_events_mwi *mwi)
{
	if (pkg == EV_PKG_PRESENCE)
		return ev_pidf_parse(doc, body);
	return ev_mwi_parse(mwi, body);
}

static int set_content(struct ev_pub *p, struct sip_str ctype, struct sip_str body, void *doc,
		       const struct sip_events_mwi *mwi)
{
	char *ct = malloc(ctype.len + 1), *b = malloc(body.len ? body.len : 1);

	if (!ct || !b) {
		free(ct);
		free(b);
		return -ENOMEM;
	}
	memcpy(ct, ctype.p, ctype.len);
	ct[ctype.len] = '\0';
	if (body.len)
		memcpy(b, body.p, body.len);
	pub_free_content(p);
	p->ctype = ct;
	p->body = b;
	p->body_len = body.len;
	p->doc = doc;
	if (mwi)
		p->mwi = *mwi;
	return 0;
}

static int pub_new(struct sip_events *ev, struct ev_pub **pp, struct ev_res *r, int64_t updated_at)
{
	struct ev_pub *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->tm.idx = SIZE_MAX;
	p->tm.kind = EV_TIMER_PUB;
	p->res = r;
	p->updated_at = updated_at;
	p->seq = ++ev->pub_seq;
	*pp = p;
	return 0;
}

static int pub_insert(struct sip_events *ev, struct ev_pub *p)
{
	struct sip_str t = ev_tag_str(&p->etag);

	p->hn.h = pub_hash(ev, t);
	if (ev_htab_insert(&ev->pub_tab, &p->hn))
		return -ENOMEM;
	pub_link(p->res, p);
	ev->npubs++;
	return 0;
}

static int respond_pub_ok(struct sip_out **resp, struct sip_msg *m, struct sip_str etag, uint32_t expires)
{
	int err = ev_respond(resp, m, 200, SIP_STR_NULL);

	/* RFC 3903 6 step 6: Expires and SIP-ETag. */
	if (!err && !(err = sip_out_addf(*resp, SIP_HDR_EXPIRES, "%u", expires)))
		err = sip_out_add(*resp, SIP_HDR_SIP_ETAG, etag);
	if (err && *resp) {
		sip_out_free(*resp);
		*resp = NULL;
	}
	return err;
}

static int respond_hdr(struct sip_out **resp, struct sip_msg *m, int code, enum sip_hdr_id id,
		       struct sip_str value)
{
	int err = ev_respond(resp, m, code, SIP_STR_NULL);

	if (!err && (err = sip_out_add(*resp, id, value))) {
		sip_out_free(*resp);
		*resp = NULL;
	}
	return err;
}

int sip_events_publish(struct sip_events *ev, struct sip_out **resp, const struct sip_events_req *req)
{
	struct sip_msg *m = req ? req->msg : NULL;
	const struct sip_event *event;
	const struct sip_ctype *ct = NULL;
	struct sip_str ifm, resource, body;
	struct sip_events_mwi mwi = { 0 };
	struct ev_res *r = NULL;
	struct ev_pub *p = NULL;
	struct ev_tag newtag;
	uint32_t expires;
	bool has_ifm;
	void *doc = NULL;
	int pkg, err;

	if (!m || !m->is_request || m->method != SIP_METHOD_PUBLISH)
		return -EINVAL;
	/* Step 2: Event missing or not publishable here: 489. */
	err = sip_msg_event(m, &event);
	if (err && err != SIP_ENOTFOUND)
		return ev_respond(resp, m, 400, SIP_STR_NULL);
	pkg = err ? -1 : ev_pkg_find(event->package);
	if (pkg < 0 || !ev_pkgs[pkg].publish)
		return respond_hdr(resp, m, 489, SIP_HDR_ALLOW_EVENTS, sip_events_allow_events());
	err = ev_req_resource(ev, req, &resource);
	if (err == SIP_EPARSE)
		return ev_respond(resp, m, 400, SIP_STR_NULL);
	if (err)
		return err;
	/* Step 3: SIP-If-Match holds one entity-tag (a list does not parse: 400). */
	err = sip_msg_etag(m, SIP_HDR_SIP_IF_MATCH, &ifm);
	if (err && err != SIP_ENOTFOUND)
		return ev_respond(resp, m, 400, SIP_STR_NULL);
	has_ifm = err == 0;
	if (has_ifm) {
		r = ev_res_find(ev, (enum ev_pkg_id)pkg, resource);
		p = r ? pub_find(ev, r, ifm) : NULL;
		if (!p)
			return ev_respond(resp, m, 412, SIP_STR_NULL);
	}
	/* Step 4: Expires. */
	err = sip_msg_expires(m, &expires);
	if (err == SIP_ENOTFOUND)
		expires = ev->cfg.pub_default_expires;
	else if (err)
		return ev_respond(resp, m, 400, SIP_STR_NULL);
	if (expires > 0 && expires < ev->cfg.pub_min_expires) {
		err = ev_respond(resp, m, 423, SIP_STR_NULL);
		if (!err && (err = sip_out_addf(*resp, SIP_HDR_MIN_EXPIRES, "%u", ev->cfg.pub_min_expires))) {
			sip_out_free(*resp);
			*resp = NULL;
		}
		return err;
	}
	if (expires > ev->cfg.pub_max_expires)
		expires = ev->cfg.pub_max_expires;
	/* Step 5: the body. */
	body = m->body;
	if (!body.len && !has_ifm)
		return ev_respond(resp, m, 400, SIP_STR_NULL);
	if (body.len && expires > 0) {
		struct sip_str want = ev_pkgs[pkg].ctype;

		if (sip_msg_content_type(m, &ct) || ct->type.len + 1 + ct->subtype.len != want.len ||
		    !sip_str_caseeq(ct->type, (struct sip_str){ want.p, ct->type.len }) ||
		    want.p[ct->type.len] != '/' ||
		    !sip_str_caseeq(ct->subtype, (struct sip_str){ want.p + ct->type.len + 1, ct->subtype.len }))
			return respond_hdr(resp, m, 415, SIP_HDR_ACCEPT, want);
		if (content_check((enum ev_pkg_id)pkg, body, &doc, &mwi))
			return ev_respond(resp, m, 400, SIP_STR_NULL);
	}
	/* Step 6: a new tag for every successful publication. */
	ev_tag_new(ev, &newtag, 'p');
	if (expires == 0) {
		/* Removal (or an initial publication that expires at once: nothing is
		 * stored, RFC 3903 6 step 5). */
		ev_pidf_free(doc);
		err = respond_pub_ok(resp, m, ev_tag_str(&newtag), 0);
		if (err || !p)
			return err;
		pub_persist(ev, p, true);
		ev_pub_destroy(ev, p);
		err = ev_res_update(ev, r, NULL);
		ev_res_maybe_free(ev, r);
		ev_timer_report(ev);
		return err;
	}
	if (!p) {
		err = ev_res_get(ev, &r, (enum ev_pkg_id)pkg, resource);
		if (!err)
			err = pub_new(ev, &p, r, ev_now(ev));
		if (!err)
			err = set_content(p, ev_pkgs[pkg].ctype, body, doc, &mwi);
		if (err) {
			if (p)
				free(p);
			ev_pidf_free(doc);
			if (r)
				ev_res_maybe_free(ev, r);
			return err;
		}
		p->etag = newtag;
		err = pub_insert(ev, p);
		if (err) {
			pub_free_content(p);
			free(p);
			ev_res_maybe_free(ev, r);
			return err;
		}
	} else {
		if (body.len) {
			/* Modify: new content, and it is now the newest. */
			err = set_content(p, ev_pkgs[pkg].ctype, body, doc, &mwi);
			if (err) {
				ev_pidf_free(doc);
				return err;
			}
			pub_unlink(r, p);
			p->updated_at = ev_now(ev);
			p->seq = ++ev->pub_seq;
			pub_link(r, p);
		}
		ev_htab_remove(&ev->pub_tab, &p->hn);
		p->etag = newtag;
		p->hn.h = pub_hash(ev, ev_tag_str(&p->etag));
		(void)ev_htab_insert(&ev->pub_tab, &p->hn);
	}
	ev_timer_set(ev, &p->tm, ev_now(ev) + expires);
	err = respond_pub_ok(resp, m, ev_tag_str(&p->etag), expires);
	if (!err) {
		pub_persist(ev, p, false);
		/* A refresh changes no state (RFC 3903 4.3); new content is composed
		 * and, when the composed document changed, notified. */
		if (body.len)
			err = ev_res_update(ev, r, NULL);
	}
	ev_timer_report(ev);
	return err;
}

int sip_events_restore_pub(struct sip_events *ev, const struct sip_events_pub_record *rec)
{
	int pkg = ev_pkg_find(rec->event);
	struct sip_events_mwi mwi = { 0 };
	struct ev_res *r;
	struct ev_pub *p;
	void *doc = NULL;
	int err;

	if (pkg < 0 || !ev_pkgs[pkg].publish || !rec->entity.len || !rec->etag.len ||
	    rec->etag.len > EV_TAG_MAX)
		return -EINVAL;
	if (rec->expires_at <= ev_now(ev))
		return 0;
	if (content_check((enum ev_pkg_id)pkg, rec->body, &doc, &mwi))
		return SIP_EPARSE;
	err = ev_res_get(ev, &r, (enum ev_pkg_id)pkg, rec->entity);
	if (err) {
		ev_pidf_free(doc);
		return err;
	}
	err = pub_new(ev, &p, r, rec->updated_at);
	if (!err) {
		err = set_content(p, ev_pkgs[pkg].ctype, rec->body, doc, &mwi);
		if (err)
			free(p);
	}
	if (err) {
		ev_pidf_free(doc);
		ev_res_maybe_free(ev, r);
		return err;
	}
	ev_tag_set(&p->etag, rec->etag);
	err = pub_insert(ev, p);
	if (err) {
		pub_free_content(p);
		free(p);
		ev_res_maybe_free(ev, r);
		return err;
	}
	ev_timer_set(ev, &p->tm, rec->expires_at);
	/* No subscription exists yet at restore time: this only recomposes. */
	err = ev_res_update(ev, r, NULL);
	ev_timer_report(ev);
	return err;
}

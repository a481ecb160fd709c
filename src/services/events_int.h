/* Private structures of the events notifier (src/services/events_*.c, pidf.c). */
#ifndef SIPHON_EVENTS_INT_H
#define SIPHON_EVENTS_INT_H

#include <stddef.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/events.h"

#define EV_CONTAINER(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Entity tags siphon generates: 16 hex digits of process randomness, one letter for
 * the space ('n' notification state, 'p' publication, 'z' neutral view) and a
 * base-36 counter: at most 16 + 1 + 13 characters. */
#define EV_TAG_MAX 32

struct ev_tag {
	uint8_t len;
	char s[EV_TAG_MAX];
};

/* ---- intrusive chained hash table ---- */
struct ev_hnode {
	struct ev_hnode *next;
	uint64_t h;
};
struct ev_htab {
	struct ev_hnode **b;
	size_t mask;  /* buckets - 1 */
	size_t n;
};
uint64_t ev_hash(uint64_t seed, const void *p, size_t n);
int ev_htab_insert(struct ev_htab *t, struct ev_hnode *n);
void ev_htab_remove(struct ev_htab *t, struct ev_hnode *n);
static inline struct ev_hnode *ev_htab_first(const struct ev_htab *t, uint64_t h)
{
	return t->b ? t->b[h & t->mask] : NULL;
}
void ev_htab_free(struct ev_htab *t);

/* ---- deadline heap ---- */
enum ev_timer_kind { EV_TIMER_SUB = 1, EV_TIMER_PUB = 2 };
struct ev_timer {
	int64_t at;
	size_t idx;     /* position in the heap, SIZE_MAX when not armed */
	uint8_t kind;
};
struct ev_heap {
	struct ev_timer **v;
	size_t n, cap;
};

/* ---- packages ---- */
enum ev_pkg_id { EV_PKG_PRESENCE = 0, EV_PKG_DIALOG, EV_PKG_MWI, EV_PKG_REG, EV_PKG__COUNT };
struct ev_pkg {
	struct sip_str name;
	struct sip_str ctype;
	uint32_t default_expires;   /* RFC 3856 6.4, RFC 4235 3.4, RFC 3842 3.4, RFC 3680 4.4 */
	bool versioned;             /* body carries a per-subscription version */
	bool partial;               /* changes can be sent as partial state */
	bool publish;               /* accepts PUBLISH */
};
extern const struct ev_pkg ev_pkgs[EV_PKG__COUNT];
int ev_pkg_find(struct sip_str name); /* index or -1 */

/* One state version's body, shared by every NOTIFY that reports it. A versioned
 * body (dialog-info, reginfo) is data[0..ver_at) + version + data[ver_at..len). */
struct ev_body {
	unsigned refs;
	size_t len;
	size_t ver_at;
	bool versioned;
	char data[];
};
struct ev_body *ev_body_new(struct sip_str data, size_t ver_at, bool versioned);
void ev_body_unref(struct ev_body *b);

/* Dialog package state of one entity (RFC 4235). */
struct ev_dinfo {
	struct ev_dinfo *next;
	struct sip_events_dialog d;  /* slices into mem */
	char *mem;
};
/* reg package contact (RFC 3680). */
struct ev_regc {
	struct ev_regc *next;
	struct sip_events_reg_contact c; /* slices into mem */
	char *mem;
};

struct ev_sub;
struct ev_pub;

/* A resource: (AOR, package) with its current state. */
struct ev_res {
	struct ev_hnode hn;
	enum ev_pkg_id pkg;
	struct sip_str aor;          /* into the allocation after the struct */
	struct ev_tag etag;          /* tag of the current full state */
	struct ev_tag prev_etag;     /* the state delta applies to */
	struct ev_tag neutral_etag;  /* tag of the empty view pending watchers get */
	struct ev_body *full;
	struct ev_body *delta;       /* partial state prev_etag -> etag, or NULL */
	struct ev_sub *subs;
	size_t nsubs;
	struct ev_pub *pubs;         /* oldest first */
	size_t npubs;
	struct sip_events_mwi mwi;   /* counts set by sip_events_mwi_set */
	bool mwi_set;
	struct ev_dinfo *dialogs;
	struct ev_regc *contacts;
	struct ev_tag reg_id;        /* RFC 3680 5.1 registration id */
	bool reg_was_active;
};

/* A dialog carrying one or more subscriptions (RFC 6665 4.5.2). */
struct ev_dlg {
	struct ev_hnode hn;          /* by local tag */
	unsigned nsubs;
	struct ev_sub *subs;
	uint32_t local_cseq, remote_cseq;
	struct sip_str call_id, local_tag, remote_tag, local_uri, remote_uri;
	struct sip_str contact, route_set, first_route;
	struct sip_str transport, dest, local;
	uint64_t flow_id;
	char *mem;
};

/* How many subscriptions one watcher holds ([limits] subscriptions_per_user):
 * kept from sub_new to ev_sub_destroy, the only ways in and out, so unsubscribe,
 * expiry, NOTIFY failure, rejection and restore all count. Freed at zero. */
struct ev_watch {
	struct ev_hnode hn;
	size_t nsubs;
	size_t len;
	char name[];
};

struct ev_sub {
	struct ev_timer tm;
	struct ev_hnode idn;         /* by id */
	uint64_t id;
	struct ev_res *res;
	struct ev_sub *rnext, *rprev;
	struct ev_dlg *dlg;
	struct ev_sub *dnext;
	struct ev_watch *wc;         /* its watcher's count */
	struct sip_str event_id, watcher, accept;  /* into mem */
	char *mem;
	enum sip_events_substate state;
	uint32_t version;
	unsigned suppress;
	struct ev_tag last_etag;
	struct ev_tag suppress_etag;
};

struct ev_pub {
	struct ev_timer tm;
	struct ev_hnode hn;          /* by etag */
	struct ev_res *res;
	struct ev_pub *next, *prev;
	struct ev_tag etag;
	int64_t updated_at;
	uint64_t seq;
	char *ctype;
	char *body;
	size_t body_len;
	void *doc;                   /* xmlDocPtr (presence) */
	struct sip_events_mwi mwi;   /* message-summary */
};

struct sip_events {
	struct sip_events_config cfg;
	struct sip_events_ops ops;
	char *contact;
	struct ev_htab res_tab, dlg_tab, sub_tab, pub_tab;
	struct ev_htab watch_tab;    /* struct ev_watch by watcher */
	struct ev_heap heap;
	int64_t timer_reported;
	char prefix[17];             /* per-process random hex */
	uint64_t tag_counter;
	uint64_t branch_counter;
	uint64_t sub_ids;
	uint64_t pub_seq;
	size_t nsubs, npubs;
	struct sip_buf nbuf;         /* NOTIFY being built */
	struct sip_buf tmp;
	uint64_t seed;
};

/* events_core.c */
void ev_tag_new(struct sip_events *ev, struct ev_tag *t, char space);
static inline struct sip_str ev_tag_str(const struct ev_tag *t)
{
	return (struct sip_str){ t->s, t->len };
}
bool ev_tag_eq(const struct ev_tag *t, struct sip_str s);
void ev_tag_set(struct ev_tag *t, struct sip_str s); /* empty when s is too long */
int64_t ev_now(struct sip_events *ev);
void ev_timer_set(struct sip_events *ev, struct ev_timer *t, int64_t at);
void ev_timer_cancel(struct sip_events *ev, struct ev_timer *t);
void ev_timer_report(struct sip_events *ev);
struct ev_res *ev_res_find(struct sip_events *ev, enum ev_pkg_id pkg, struct sip_str aor);
int ev_res_get(struct sip_events *ev, struct ev_res **rp, enum ev_pkg_id pkg, struct sip_str aor);
void ev_res_maybe_free(struct sip_events *ev, struct ev_res *r);
/* Recompute the resource's state; when it changed, give it a new tag and notify. */
int ev_res_update(struct sip_events *ev, struct ev_res *r, struct ev_body *delta);

/* events_sub.c */
int ev_respond(struct sip_out **resp, struct sip_msg *m, int code, struct sip_str to_tag);
int ev_req_resource(struct sip_events *ev, const struct sip_events_req *req, struct sip_str *out);
void ev_res_fanout(struct sip_events *ev, struct ev_res *r);
void ev_sub_expire(struct sip_events *ev, struct ev_sub *s);
void ev_sub_destroy(struct sip_events *ev, struct ev_sub *s, bool persist);
void ev_sub_record(const struct ev_sub *s, struct sip_events_sub_record *r);

/* events_pub.c */
void ev_pub_expire(struct sip_events *ev, struct ev_pub *p);
void ev_pub_destroy(struct sip_events *ev, struct ev_pub *p);

/* events_pkg.c: full state of a resource (and the delta for a change). */
int ev_pkg_full(struct sip_events *ev, struct ev_res *r, struct ev_body **out);
int ev_mwi_parse(struct sip_events_mwi *m, struct sip_str body);
void ev_xml_escape(struct sip_buf *b, struct sip_str s);

/* pidf.c */
int ev_pidf_parse(void **docp, struct sip_str body);
void ev_pidf_free(void *doc);
/* Compose docs (oldest first) into one PIDF document for entity; no docs: closed. */
int ev_pidf_compose(struct sip_buf *out, struct sip_str entity, void *const *docs, size_t n);

#endif

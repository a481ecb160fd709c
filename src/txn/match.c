/* siphon txn layer: matching messages to transactions (RFC 3261 17.1.3, 17.2.3,
 * 9.2) and the hash tables that make it O(1).
 *
 * Each table is an array of buckets holding intrusive chains (struct sip_txn's
 * hnext/hpprev), so inserting or removing a transaction never allocates; the bucket
 * array doubles when the table holds more transactions than buckets (amortised,
 * load factor <= 1).
 * Keys: a transaction created by an RFC 3261 request is hashed on its branch and
 * method; one created by an RFC 2543 request (no magic cookie) on its Call-ID, CSeq
 * number and method, the fields its fallback rule compares. ACK and CANCEL look up
 * the INVITE (method INVITE) with the same key, which is why the method is part of
 * the key rather than a filter: an INVITE and the CANCEL for it share a branch but
 * are two transactions (9.2). */
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"
#include "txn_int.h"

#define FNV_OFFSET 2166136261u
#define FNV_PRIME 16777619u

static uint32_t fnv_case(uint32_t h, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		h = (h ^ c) * FNV_PRIME;
	}
	return h;
}

static uint32_t fnv_exact(uint32_t h, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++)
		h = (h ^ (unsigned char)s.p[i]) * FNV_PRIME;
	return h;
}

static uint32_t hash_method(uint32_t h, enum sip_method m, struct sip_str ms)
{
	h = (h ^ (uint32_t)m) * FNV_PRIME;
	if (m == SIP_METHOD_OTHER)
		h = fnv_exact(h, ms); /* methods are case-sensitive (7.1) */
	return h;
}

/* The branch is a token, compared case-insensitively (7.3.1). */
static uint32_t hash_branch(struct sip_str branch, enum sip_method m, struct sip_str ms)
{
	return hash_method(fnv_case(FNV_OFFSET, branch), m, ms);
}

static uint32_t hash_2543(struct sip_str call_id, uint32_t seq, enum sip_method m, struct sip_str ms)
{
	uint32_t h = fnv_exact(FNV_OFFSET, call_id);

	for (int i = 0; i < 4; i++)
		h = (h ^ ((seq >> (8 * i)) & 0xffu)) * FNV_PRIME;
	return hash_method(h, m, ms);
}

bool txn_method_eq(enum sip_method a, struct sip_str as, enum sip_method b, struct sip_str bs)
{
	return a == b && (a != SIP_METHOD_OTHER || sip_str_eq(as, bs));
}

int txn_key_get(struct sip_msg *m, struct txn_key *k)
{
	struct txn_key r = { 0 };

	if (sip_msg_via(m, 0, &r.via) != 0 || sip_msg_cseq(m, &r.cseq) != 0 ||
	    sip_msg_call_id(m, &r.call_id) != 0)
		return SIP_EPARSE;
	r.cookie = sip_via_branch_is_rfc3261(r.via);
	if (m->is_request) {
		r.method = m->method;
		r.method_str = m->method_str;
	} else {
		r.method = r.cseq->method;
		r.method_str = r.cseq->method_str;
	}
	*k = r;
	return 0;
}

uint32_t txn_hash(const struct sip_txn *t)
{
	const struct sip_msg *r = t->req;

	if (!t->rfc2543)
		return hash_branch(t->branch, t->method, t->method_str);
	struct sip_str call_id;
	const struct sip_cseq *cseq;
	/* Both were read when the transaction was created, so these hit the cache. */
	sip_msg_call_id(t->req, &call_id);
	sip_msg_cseq(t->req, &cseq);
	return hash_2543(call_id, cseq->seq, r->method, r->method_str);
}

/* Hash table. */

int txn_table_init(struct txn_table *tb, unsigned bits)
{
	size_t nb = (size_t)1 << bits;

	tb->b = calloc(nb, sizeof(*tb->b));
	if (!tb->b)
		return -ENOMEM;
	tb->mask = (uint32_t)(nb - 1);
	tb->n = 0;
	return 0;
}

void txn_table_free(struct txn_table *tb)
{
	free(tb->b);
	tb->b = NULL;
}

static void bucket_push(struct sip_txn **head, struct sip_txn *t)
{
	t->hnext = *head;
	if (t->hnext)
		t->hnext->hpprev = &t->hnext;
	t->hpprev = head;
	*head = t;
}

/* Double the bucket array. On allocation failure the table keeps working with
 * longer chains. */
static void table_grow(struct txn_table *tb)
{
	size_t nb = ((size_t)tb->mask + 1) * 2;
	struct sip_txn **b;

	if (nb > ((size_t)1 << 30))
		return;
	b = calloc(nb, sizeof(*b));
	if (!b)
		return;
	for (size_t i = 0; i <= tb->mask; i++) {
		struct sip_txn *t = tb->b[i];
		while (t) {
			struct sip_txn *next = t->hnext;
			bucket_push(&b[t->hash & (nb - 1)], t);
			t = next;
		}
	}
	free(tb->b);
	tb->b = b;
	tb->mask = (uint32_t)(nb - 1);
}

void txn_table_insert(struct txn_table *tb, struct sip_txn *t)
{
	if (tb->n >= (size_t)tb->mask + 1)
		table_grow(tb);
	bucket_push(&tb->b[t->hash & tb->mask], t);
	tb->n++;
}

void txn_table_remove(struct txn_table *tb, struct sip_txn *t)
{
	if (!t->hpprev)
		return;
	*t->hpprev = t->hnext;
	if (t->hnext)
		t->hnext->hpprev = t->hpprev;
	t->hnext = NULL;
	t->hpprev = NULL;
	tb->n--;
}

/* Field comparisons. */

/* sent-by: host (case-insensitive, 19.1.4 rules for hosts) and port. */
static bool sent_by_eq(const struct sip_via *a, const struct sip_via *b)
{
	return a->port == b->port && sip_str_caseeq(a->host, b->host);
}

static bool via_eq(const struct sip_via *a, const struct sip_via *b)
{
	return sent_by_eq(a, b) && sip_str_caseeq(a->transport, b->transport) &&
	       sip_str_caseeq(a->params, b->params);
}

static bool ruri_eq(struct sip_msg *a, struct sip_msg *b)
{
	const struct sip_uri *ua, *ub;

	if (sip_msg_ruri(a, &ua) == 0 && sip_msg_ruri(b, &ub) == 0)
		return sip_uri_eq(ua, ub);
	return sip_str_eq(a->ruri_str, b->ruri_str);
}

/* The tag of From (to == false) or To; empty when absent or unparsable. */
static struct sip_str msg_tag(struct sip_msg *m, bool to)
{
	const struct sip_addr *a;

	if ((to ? sip_msg_to(m, &a) : sip_msg_from(m, &a)) != 0)
		return SIP_STR_NULL;
	return a->tag;
}

static bool tag_eq(struct sip_str a, struct sip_str b)
{
	return sip_str_caseeq(a, b); /* tags are tokens (7.3.1) */
}

/* The To tag of the final response the server transaction sent (for the RFC 2543 ACK
 * rule). Parsing the stored bytes again costs a parse, but only for RFC 2543 ACKs. */
static bool response_to_tag_eq(struct sip_txn *t, struct sip_str tag)
{
	struct sip_msg *resp;
	bool eq;

	if (t->status < 200 || !t->out.len)
		return false;
	if (sip_msg_parse(&resp, t->out.p, t->out.len, NULL, NULL) != 0)
		return false;
	eq = tag_eq(msg_tag(resp, true), tag);
	sip_msg_free(resp);
	return eq;
}

/* 17.2.3 for requests without the magic cookie, and 9.2 for CANCEL. */
static bool rfc2543_eq(struct sip_txn *t, struct sip_msg *m, const struct txn_key *k, enum txn_match_mode mode)
{
	struct sip_msg *o = t->req;
	struct sip_str o_call_id;
	const struct sip_cseq *o_cseq;

	if (sip_msg_call_id(o, &o_call_id) != 0 || sip_msg_cseq(o, &o_cseq) != 0)
		return false;
	if (!sip_str_eq(o_call_id, k->call_id) || o_cseq->seq != k->cseq->seq)
		return false;
	if (!via_eq(t->via, k->via) || !ruri_eq(o, m))
		return false;
	if (!tag_eq(msg_tag(o, false), msg_tag(m, false)))
		return false;
	if (mode == TXN_MATCH_ACK)
		return response_to_tag_eq(t, msg_tag(m, true));
	/* SAME also needs the CSeq method, which the hash lookup already compared. */
	return tag_eq(msg_tag(o, true), msg_tag(m, true));
}

struct sip_txn *txn_find_server(struct sip_txn_layer *l, struct sip_msg *req, const struct txn_key *k,
				enum txn_match_mode mode)
{
	enum sip_method tm = k->method;
	struct sip_str tms = k->method_str;
	uint32_t h;

	if (mode != TXN_MATCH_SAME) {
		tm = SIP_METHOD_INVITE;
		tms = SIP_STR("INVITE");
	}
	h = k->cookie ? hash_branch(k->via->branch, tm, tms) : hash_2543(k->call_id, k->cseq->seq, tm, tms);
	for (struct sip_txn *t = l->servers.b[h & l->servers.mask]; t; t = t->hnext) {
		if (t->hash != h || t->state == SIP_TXN_TERMINATED || t->rfc2543 == k->cookie)
			continue;
		if (!txn_method_eq(t->method, t->method_str, tm, tms))
			continue;
		if (k->cookie) {
			/* 17.2.3: branch, sent-by and method. */
			if (sip_str_caseeq(t->branch, k->via->branch) && t->sent_port == k->via->port &&
			    sip_str_caseeq(t->sent_host, k->via->host))
				return t;
		} else if (rfc2543_eq(t, req, k, mode)) {
			return t;
		}
	}
	return NULL;
}

struct sip_txn *txn_find_client(struct sip_txn_layer *l, struct sip_msg *resp, const struct txn_key *k)
{
	(void)resp;
	/* 17.1.3: the top Via branch and the CSeq method. Our branches always carry the
	 * cookie (sip_txn_client_alloc insists), so one without cannot be ours. */
	if (!k->cookie)
		return NULL;
	uint32_t h = hash_branch(k->via->branch, k->method, k->method_str);
	for (struct sip_txn *t = l->clients.b[h & l->clients.mask]; t; t = t->hnext) {
		if (t->hash == h && t->state != SIP_TXN_TERMINATED &&
		    txn_method_eq(t->method, t->method_str, k->method, k->method_str) &&
		    sip_str_caseeq(t->branch, k->via->branch))
			return t;
	}
	return NULL;
}

struct sip_txn *sip_txn_match(struct sip_txn_layer *l, struct sip_msg *m)
{
	struct txn_key k;

	if (!l || !m || txn_key_get(m, &k) != 0)
		return NULL;
	if (!m->is_request)
		return txn_find_client(l, m, &k);
	return txn_find_server(l, m, &k, m->method == SIP_METHOD_ACK ? TXN_MATCH_ACK : TXN_MATCH_SAME);
}

struct sip_txn *sip_txn_match_cancel(struct sip_txn_layer *l, struct sip_msg *cancel)
{
	struct txn_key k;

	if (!l || !cancel || !cancel->is_request || cancel->method != SIP_METHOD_CANCEL ||
	    txn_key_get(cancel, &k) != 0)
		return NULL;
	return txn_find_server(l, cancel, &k, TXN_MATCH_CANCEL);
}

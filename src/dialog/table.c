/* The dialog table: dialogs indexed by id (Call-ID, local tag, remote tag) in a
 * chained hash table whose links are embedded in the dialogs (indexing never
 * allocates). The bucket array doubles when the load passes 1, so find, add and
 * remove are O(1) on average. The hash is seeded per table at random: Call-IDs and
 * tags come from the network, and a fixed hash would let a peer aim every dialog
 * at one bucket. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dialog_int.h"
#include "siphon/err.h"

struct sip_dialog_table {
	struct sip_dialog **buckets;
	size_t nbuckets; /* a power of two */
	size_t count;
	uint64_t seed;
};

#define TABLE_MIN_BUCKETS 64

/* FNV-1a over the seed and the three parts, each followed by its length so
 * ("ab","c") and ("a","bc") differ. */
static uint64_t mix(uint64_t h, struct sip_str s)
{
	for (size_t i = 0; i < s.len; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 0x100000001b3ull;
	}
	h ^= (uint64_t)s.len;
	h *= 0x100000001b3ull;
	return h;
}

static uint64_t id_hash(const struct sip_dialog_table *t, const struct sip_dialog_id *id)
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;

	h = mix(h, id->call_id);
	h = mix(h, id->local_tag);
	h = mix(h, id->remote_tag);
	/* Final avalanche (splitmix64) so the low bits used as index are good. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	return h ^ (h >> 31);
}

static bool id_eq(const struct sip_dialog *d, const struct sip_dialog_id *id)
{
	return sip_str_eq(d->id.call_id, id->call_id) && sip_str_eq(d->id.local_tag, id->local_tag) &&
	       sip_str_eq(d->id.remote_tag, id->remote_tag);
}

int sip_dialog_table_alloc(struct sip_dialog_table **tp)
{
	struct sip_dialog_table *t;

	if (!tp)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buckets = calloc(TABLE_MIN_BUCKETS, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->nbuckets = TABLE_MIN_BUCKETS;
	if (getrandom(&t->seed, sizeof(t->seed), GRND_NONBLOCK) != (ssize_t)sizeof(t->seed))
		t->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t;
	*tp = t;
	return 0;
}

void sip_dialog_table_free(struct sip_dialog_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct sip_dialog *d = t->buckets[i];
		while (d) {
			struct sip_dialog *next = d->hnext;
			sip_dialog_free(d);
			d = next;
		}
	}
	free(t->buckets);
	free(t);
}

size_t sip_dialog_table_count(const struct sip_dialog_table *t)
{
	return t ? t->count : 0;
}

static void grow(struct sip_dialog_table *t)
{
	size_t n = t->nbuckets * 2;
	struct sip_dialog **b;

	if (n > SIZE_MAX / sizeof(*b))
		return;
	b = calloc(n, sizeof(*b));
	if (!b)
		return; /* keep the old array: slower, still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct sip_dialog *d = t->buckets[i];
		while (d) {
			struct sip_dialog *next = d->hnext;
			size_t k = (size_t)d->hash & (n - 1);
			d->hnext = b[k];
			b[k] = d;
			d = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

int sip_dialog_table_add(struct sip_dialog_table *t, struct sip_dialog *d)
{
	size_t k;

	if (!t || !d || d->in_table)
		return -EINVAL;
	if (sip_dialog_table_find(t, &d->id))
		return -EEXIST;
	if (t->count >= t->nbuckets)
		grow(t);
	d->hash = id_hash(t, &d->id);
	k = (size_t)d->hash & (t->nbuckets - 1);
	d->hnext = t->buckets[k];
	t->buckets[k] = d;
	d->in_table = true;
	t->count++;
	return 0;
}

void sip_dialog_table_remove(struct sip_dialog_table *t, struct sip_dialog *d)
{
	struct sip_dialog **pp;

	if (!t || !d || !d->in_table)
		return;
	for (pp = &t->buckets[(size_t)d->hash & (t->nbuckets - 1)]; *pp; pp = &(*pp)->hnext)
		if (*pp == d) {
			*pp = d->hnext;
			d->hnext = NULL;
			d->in_table = false;
			t->count--;
			return;
		}
}

struct sip_dialog *sip_dialog_table_find(const struct sip_dialog_table *t,
					 const struct sip_dialog_id *id)
{
	uint64_t h;

	if (!t || !id)
		return NULL;
	h = id_hash(t, id);
	for (struct sip_dialog *d = t->buckets[(size_t)h & (t->nbuckets - 1)]; d; d = d->hnext)
		if (d->hash == h && id_eq(d, id))
			return d;
	return NULL;
}

struct sip_dialog *sip_dialog_table_match(const struct sip_dialog_table *t, struct sip_msg *m)
{
	struct sip_dialog_id id;

	if (sip_dialog_id_of(&id, m))
		return NULL;
	return sip_dialog_table_find(t, &id);
}

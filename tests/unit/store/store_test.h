/* Helpers shared by the store unit tests: a temporary directory per test, opening a
 * store in it, and submitting a batch and waiting for its completion. */
#ifndef SIPHON_STORE_TEST_H
#define SIPHON_STORE_TEST_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "siphon/err.h"
#include "siphon/store.h"

struct tmpdir {
	char dir[64];
	char db[128];
};

static inline void tmpdir_make(struct tmpdir *t)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/siphon-store-XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->db, sizeof(t->db), "%s/test.db", t->dir);
}

/* Remove every file in the directory (db, -wal, -shm) and the directory. */
static inline void tmpdir_remove(struct tmpdir *t)
{
	DIR *d = opendir(t->dir);
	struct dirent *e;
	char path[512];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(t->dir);
}

static inline struct sip_store *store_open_at(const char *path)
{
	struct sip_store_options opt = { .path = path };
	struct sip_store *st = NULL;

	assert_int_equal(sip_store_open(&st, &opt), 0);
	assert_non_null(st);
	return st;
}

struct done_rec {
	int calls;
	int err;
};

static inline void done_cb(int err, void *arg)
{
	struct done_rec *d = arg;
	d->calls++;
	d->err = err;
}

/* Submit b, wait (bounded: 10 s) for its completion, return its err. */
static inline int submit_wait(struct sip_store *st, struct sip_store_batch *b)
{
	struct done_rec d = { 0, 0 };

	assert_int_equal(sip_store_submit(st, b, done_cb, &d), 0);
	assert_int_equal(sip_store_flush(st, 10000), 0);
	assert_int_equal(d.calls, 1);
	return d.err;
}

static inline struct sip_store_batch *batch(void)
{
	struct sip_store_batch *b = NULL;
	assert_int_equal(sip_store_batch_new(&b), 0);
	return b;
}

#define S(lit) SIP_STR(lit)
#define assert_str(slice, lit)                                                   \
	do {                                                                     \
		struct sip_str s_ = (slice);                                     \
		if (!sip_str_eq(s_, SIP_STR(lit)))                               \
			fail_msg("got '%.*s', want '%s'", SIP_STR_ARG(s_), lit); \
	} while (0)

#endif

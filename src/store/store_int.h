/* Private interface of the store layer (src/store). */
#ifndef SIPHON_STORE_INT_H
#define SIPHON_STORE_INT_H

#include "siphon/arena.h"
#include "siphon/store.h"

/* A batch: its operations, the bytes they point at, and (once submitted) its place in
 * the backend's queues. Operations live in ops[] (grown by realloc); the slices of the
 * records they hold point into the arena, whose first block is inline. */
struct sip_store_batch {
	struct sip_store_batch *next;  /* queue link, owned by the backend once submitted */
	sip_store_done_cb cb;
	void *arg;
	int err;                       /* result, set by the writer */
	struct sip_store_op *ops;
	size_t n, cap;
	struct sip_arena arena;
	struct sip_store_op inline_ops[2];
	_Alignas(max_align_t) char first[512];
};

/* Point every slice listed in f[0..n) into one new heap block (*mem), copying the
 * bytes; slices of length 0 become empty. 0 or -ENOMEM (nothing changed). */
int store_own(void **mem, struct sip_str *const *f, size_t n);

/* The string fields of each record type, for copying (fills f, returns the count;
 * f must hold STORE_MAX_FIELDS). */
#define STORE_MAX_FIELDS 24
size_t store_user_fields(struct sip_store_user *u, struct sip_str **f);
size_t store_binding_fields(struct sip_store_binding *b, struct sip_str **f);
size_t store_sub_fields(struct sip_store_subscription *s, struct sip_str **f);
size_t store_pub_fields(struct sip_store_publication *p, struct sip_str **f);

/* The SQLite backend's constructor (sqlite.c). */
int store_sqlite_open(struct sip_store **stp, const struct sip_store_options *opt);

#endif

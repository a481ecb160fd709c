/* siphon base layer: bump arenas.
 *
 * An arena hands out memory from blocks and frees it all at once. A parsed message
 * lives in one arena whose first block is embedded in the message's own allocation,
 * so parsing a typical message costs a single heap allocation (shared/DESIGN.md).
 * Further blocks are chained only when the first one runs out. */
#ifndef SIPHON_ARENA_H
#define SIPHON_ARENA_H

#include <stddef.h>

struct sip_arena_block;

struct sip_arena {
	char *cur;                      /* next free byte of the current block */
	char *end;                      /* end of the current block */
	struct sip_arena_block *extra;  /* heap blocks chained after the first (owned) */
	size_t next_size;               /* size of the next heap block */
};

/* Use mem[0..size) (owned by the caller, e.g. embedded) as the first block. */
void sip_arena_init(struct sip_arena *a, void *mem, size_t size);
/* Allocate n bytes aligned for any type; NULL when out of memory. */
void *sip_arena_alloc(struct sip_arena *a, size_t n);
/* Like sip_arena_alloc, zero-filled. */
void *sip_arena_zalloc(struct sip_arena *a, size_t n);
/* Copy n bytes into the arena. */
void *sip_arena_memdup(struct sip_arena *a, const void *p, size_t n);
/* Free every extra block; the first block (caller's) is left to the caller. */
void sip_arena_free(struct sip_arena *a);

#endif

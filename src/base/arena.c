/* Bump arenas: one embedded first block, heap blocks chained only on overflow. */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/arena.h"

struct sip_arena_block {
	struct sip_arena_block *next;
	alignas(max_align_t) char mem[];
};

#define ALIGN (alignof(max_align_t))

void sip_arena_init(struct sip_arena *a, void *mem, size_t size)
{
	a->cur = mem;
	a->end = (char *)mem + size;
	a->extra = NULL;
	a->next_size = size < 1024 ? 1024 : size;
}

void *sip_arena_alloc(struct sip_arena *a, size_t n)
{
	uintptr_t at = ((uintptr_t)a->cur + (ALIGN - 1)) & ~(uintptr_t)(ALIGN - 1);
	struct sip_arena_block *b;
	size_t size;

	if (a->cur && at <= (uintptr_t)a->end && n <= (size_t)((uintptr_t)a->end - at)) {
		a->cur = (char *)at + n;
		return (void *)at;
	}
	size = a->next_size;
	while (size < n)
		size *= 2;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->next = a->extra;
	a->extra = b;
	a->next_size = size * 2;
	a->cur = b->mem + n;
	a->end = b->mem + size;
	return b->mem;
}

void *sip_arena_zalloc(struct sip_arena *a, size_t n)
{
	void *p = sip_arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

void *sip_arena_memdup(struct sip_arena *a, const void *p, size_t n)
{
	void *d = sip_arena_alloc(a, n);
	if (d && n)
		memcpy(d, p, n);
	return d;
}

void sip_arena_free(struct sip_arena *a)
{
	while (a->extra) {
		struct sip_arena_block *next = a->extra->next;
		free(a->extra);
		a->extra = next;
	}
	a->cur = a->end = NULL;
}

/* Guard-page helper for parser tests: guard_copy places len bytes so that the last
 * one sits just before a PROT_NONE page, so reading one byte past the input
 * crashes the test instead of passing silently (picohttpparser's trick).
 *
 *   const char *g = guard_copy(buf, len);   parse g[0..len) ...   guard_release();
 *
 * One buffer at a time: guard_copy releases the previous one. The copy itself is
 * read-only, so a parser that writes into its input crashes too. */
#ifndef SIPHON_TEST_GUARD_H
#define SIPHON_TEST_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char *guard_map_;
static size_t guard_map_len_;

static inline void guard_release(void)
{
	if (guard_map_) {
		munmap(guard_map_, guard_map_len_);
		guard_map_ = NULL;
		guard_map_len_ = 0;
	}
}

static inline const char *guard_copy(const char *p, size_t len)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (len + pg - 1) / pg;
	char *m, *dst;

	guard_release();
	if (data == 0)
		data = 1;
	m = mmap(NULL, (data + 1) * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		perror("guard_copy: mmap");
		abort();
	}
	dst = m + data * pg - len;
	if (len)
		memcpy(dst, p, len);
	if (mprotect(m + data * pg, pg, PROT_NONE) || mprotect(m, data * pg, PROT_READ)) {
		perror("guard_copy: mprotect");
		abort();
	}
	guard_map_ = m;
	guard_map_len_ = (data + 1) * pg;
	return dst;
}

#endif

/* Assertions shared by the header-value unit tests (cmocka must be included first). */
#ifndef SIPHON_TEST_HV_ASSERT_H
#define SIPHON_TEST_HV_ASSERT_H

#include <stdio.h>
#include <string.h>

#include "siphon/str.h"

/* Slice s must hold exactly exp (NULL or "" for an empty slice). */
#define assert_slice(s, exp) assert_slice_((s), (exp), #s, __FILE__, __LINE__)
static inline void assert_slice_(struct sip_str s, const char *exp, const char *what,
				 const char *file, int line)
{
	size_t n = exp ? strlen(exp) : 0;

	if (s.len != n || (n && memcmp(s.p, exp, n) != 0)) {
		fprintf(stderr, "%s:%d: %s is \"%.*s\" (%zu), expected \"%s\"\n", file, line,
			what, (int)s.len, s.p ? s.p : "", s.len, exp ? exp : "");
		fail();
	}
}

/* A C string as a slice (strlen is fine in tests). */
static inline struct sip_str cstr(const char *s)
{
	return (struct sip_str){ s, strlen(s) };
}

#endif

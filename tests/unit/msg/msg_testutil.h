/* Helpers shared by the msg parser/framing tests: the shared corpus and an
 * independent scan of the values every parser must read back. The guard-page
 * buffer is tests/unit/guard.h. */
#ifndef SIPHON_TEST_MSG_TESTUTIL_H
#define SIPHON_TEST_MSG_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CORPUS_MAX 64

struct corpus_file {
	char name[128];
	char *data; /* malloc'd, NUL-terminated */
	size_t len;
};

static inline int corpus_cmp(const void *a, const void *b)
{
	return strcmp(((const struct corpus_file *)a)->name, ((const struct corpus_file *)b)->name);
}

/* Load every *.sip file of dir (at most CORPUS_MAX), sorted by name. */
static inline size_t corpus_load(const char *dir, struct corpus_file *out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < CORPUS_MAX) {
		size_t l = strlen(de->d_name);
		char path[1024];
		FILE *f;
		long sz;

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip") || l >= sizeof(out[n].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET)) {
			fclose(f);
			continue;
		}
		out[n].data = malloc((size_t)sz + 1);
		if (!out[n].data || fread(out[n].data, 1, (size_t)sz, f) != (size_t)sz) {
			free(out[n].data);
			fclose(f);
			continue;
		}
		fclose(f);
		out[n].data[sz] = '\0';
		out[n].len = (size_t)sz;
		memcpy(out[n].name, de->d_name, l + 1);
		n++;
	}
	closedir(d);
	qsort(out, n, sizeof(*out), corpus_cmp);
	return n;
}

static inline void corpus_free(struct corpus_file *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(c[i].data);
}

/* Expected values from an independent scan of a corpus message (CRLF lines,
 * no folding there): the fields the bench-peers harness also verifies. */
struct expect {
	int is_request;
	char method[32];
	int status;
	char call_id[256];
	unsigned long cseq;
	int vias;
	long body_len;
};

static inline int ieq_name(const char *a, size_t al, const char *b)
{
	size_t bl = strlen(b);

	if (al != bl)
		return 0;
	for (size_t i = 0; i < al; i++) {
		char x = a[i], y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (char)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (char)(y + 32);
		if (x != y)
			return 0;
	}
	return 1;
}

static inline int expect_scan(const char *p, size_t len, struct expect *e)
{
	const char *end = p + len, *eol, *hend;

	memset(e, 0, sizeof(*e));
	hend = memmem(p, len, "\r\n\r\n", 4);
	if (!hend)
		return -1;
	eol = memmem(p, len, "\r\n", 2);
	if (!strncmp(p, "SIP/2.0 ", 8)) {
		e->status = atoi(p + 8);
	} else {
		const char *sp = memchr(p, ' ', (size_t)(eol - p));
		if (!sp || sp - p >= (long)sizeof(e->method))
			return -1;
		e->is_request = 1;
		memcpy(e->method, p, (size_t)(sp - p));
	}
	for (p = eol + 2; p < hend + 2; p = eol + 2) {
		const char *colon, *v, *ve;
		size_t nl;

		eol = memmem(p, (size_t)(end - p), "\r\n", 2);
		colon = memchr(p, ':', (size_t)(eol - p));
		if (!colon)
			return -1;
		nl = (size_t)(colon - p);
		while (nl && p[nl - 1] == ' ')
			nl--;
		v = colon + 1;
		while (v < eol && *v == ' ')
			v++;
		ve = eol;
		if (ieq_name(p, nl, "Call-ID") || ieq_name(p, nl, "i")) {
			if (ve - v >= (long)sizeof(e->call_id))
				return -1;
			memcpy(e->call_id, v, (size_t)(ve - v));
		} else if (ieq_name(p, nl, "CSeq")) {
			e->cseq = strtoul(v, NULL, 10);
		} else if (ieq_name(p, nl, "Via") || ieq_name(p, nl, "v")) {
			e->vias++;
			for (const char *c = v; c < ve; c++)
				e->vias += *c == ',';
		}
	}
	e->body_len = (long)(end - (hend + 4));
	return 0;
}

#endif

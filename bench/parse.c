/* bench_parse: times siphon's parser on the shared corpus.
 *
 *   build/bench/bench_parse [-t SECONDS] [-n PASSES] [CORPUS_DIR]
 *
 * -n runs exactly PASSES passes of each row instead (for valgrind --tool=callgrind:
 * instructions per message are then total / (PASSES * messages)).
 *
 * Loads every *.sip file of CORPUS_DIR (default: the shared corpus next to the
 * source tree), checks that each one parses fully, then parses the whole corpus
 * over and over for about 2 s: first sip_msg_parse alone (start line + header
 * split), then the full parse (bench/full_parse.h: every header the registrar,
 * proxy and events server read, fully decoded). Prints msgs/s, MB/s and ns/msg;
 * the last line is the full-parse figure. A benchmark, not a test. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "full_parse.h"

#ifndef SIPHON_CORPUS_DIR
#define SIPHON_CORPUS_DIR "../shared/corpus"
#endif

struct item {
	char *data;
	size_t len;
	char name[128];
};

static int cmp(const void *a, const void *b)
{
	return strcmp(((const struct item *)a)->name, ((const struct item *)b)->name);
}

static size_t load(const char *dir, struct item *it, size_t max, size_t *bytes)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	*bytes = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)) && n < max) {
		size_t l = strlen(de->d_name);
		char path[4096];
		FILE *f;
		long sz;

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip") || l >= sizeof(it[n].name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
		    (it[n].data = malloc((size_t)sz)) != NULL) {
			if (fread(it[n].data, 1, (size_t)sz, f) == (size_t)sz) {
				it[n].len = (size_t)sz;
				memcpy(it[n].name, de->d_name, l + 1);
				*bytes += it[n].len;
				n++;
			} else {
				free(it[n].data);
			}
		}
		fclose(f);
	}
	closedir(d);
	qsort(it, n, sizeof(*it), cmp);
	return n;
}

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile size_t sink;

static unsigned long pass(const struct item *it, size_t n, int full)
{
	unsigned long fails = 0;

	for (size_t i = 0; i < n; i++) {
		struct sip_msg *m;

		if (full) {
			m = full_parse(it[i].data, it[i].len);
			if (!m) {
				fails++;
				continue;
			}
		} else if (sip_msg_parse(&m, it[i].data, it[i].len, NULL, NULL)) {
			fails++;
			continue;
		}
		sink += m->nhdrs;
		sip_msg_free(m);
	}
	return fails;
}

static void run(const char *label, const struct item *it, size_t n, size_t bytes, double secs,
		unsigned long fixed, int full)
{
	unsigned long passes = 0, fails = 0, batch = 1;
	double w0, c0, w, c;

	if (fixed) {
		for (unsigned long k = 0; k < fixed; k++)
			fails += pass(it, n, full);
		printf("%-44s %lu passes x %zu messages%s\n", label, fixed, n, fails ? " FAILURES" : "");
		return;
	}

	/* Warm-up: a tenth of the time. */
	w0 = now(CLOCK_MONOTONIC);
	while (now(CLOCK_MONOTONIC) - w0 < secs / 10)
		fails += pass(it, n, full);
	fails = 0;
	w0 = now(CLOCK_MONOTONIC);
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	do {
		for (unsigned long k = 0; k < batch; k++)
			fails += pass(it, n, full);
		passes += batch;
		if (batch < 1024)
			batch *= 2;
	} while (now(CLOCK_MONOTONIC) - w0 < secs);
	w = now(CLOCK_MONOTONIC) - w0;
	c = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("%-44s %10.0f msgs/s %8.1f MB/s %7.0f ns/msg (cpu %3.0f%%)%s\n", label,
	       (double)(passes * n) / w, (double)(passes * bytes) / w / 1e6, w * 1e9 / (double)(passes * n),
	       100.0 * c / w, fails ? " FAILURES" : "");
}

int main(int argc, char **argv)
{
	static struct item it[256];
	const char *dir = SIPHON_CORPUS_DIR;
	double secs = 2.0;
	unsigned long fixed = 0;
	size_t n, bytes;
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-t") && i + 1 < argc)
			secs = atof(argv[++i]);
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			fixed = strtoul(argv[++i], NULL, 10);
		else
			dir = argv[i];
	}
	n = load(dir, it, sizeof(it) / sizeof(it[0]), &bytes);
	if (!n) {
		fprintf(stderr, "bench_parse: no *.sip files in %s\n", dir);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct sip_msg *m = full_parse(it[i].data, it[i].len);
		if (!m) {
			fprintf(stderr, "bench_parse: %s does not parse fully\n", it[i].name);
			bad = 1;
			continue;
		}
		sip_msg_free(m);
	}
	if (bad)
		return 1;
	printf("# corpus: %zu messages, %zu bytes (avg %.0f B/msg) from %s\n", n, bytes,
	       (double)bytes / (double)n, dir);
	run("sip_msg_parse (start line + header split)", it, n, bytes, secs / 2, fixed, 0);
	run("full parse (every header the server reads)", it, n, bytes, secs, fixed, 1);
	for (size_t i = 0; i < n; i++)
		free(it[i].data);
	return 0;
}

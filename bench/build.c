/* bench_build: what a stateless proxy pays to forward a message with the builder.
 *
 *   build/bench/bench_build [-t SECONDS] [CORPUS_DIR]
 *
 * Loads the requests of CORPUS_DIR (default: the shared corpus), then for about
 * SECONDS (default 2) per row times, over the whole set:
 *   parse       sip_msg_parse alone (the baseline every forward pays anyway)
 *   response    parse + sip_out_response_to (486) + sip_out_serialize
 *   forward     parse + sip_out_from_msg + Max-Forwards decrement + Record-Route
 *               and Via pushes + sip_out_serialize into a reused buffer
 * and prints msgs/s and ns/msg for each. The edits copy untouched spans verbatim,
 * so "forward" minus "parse" is the builder's cost. A benchmark, not a test; the
 * last line is the forward figure. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/build.h"
#include "siphon/msg.h"

#ifndef SIPHON_CORPUS_DIR
#define SIPHON_CORPUS_DIR "../shared/corpus"
#endif

#define MAX_ITEMS 256

struct item {
	char *data;
	size_t len;
};

static size_t load(const char *dir, struct item *it)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)) && n < MAX_ITEMS) {
		size_t l = strlen(de->d_name);
		char path[4096];
		struct sip_msg *m;
		FILE *f;
		long sz;

		if (l < 5 || strcmp(de->d_name + l - 4, ".sip"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
		    (it[n].data = malloc((size_t)sz)) != NULL) {
			it[n].len = fread(it[n].data, 1, (size_t)sz, f);
			/* Requests only: that is what a proxy forwards with these edits. */
			if (it[n].len == (size_t)sz && sip_msg_parse(&m, it[n].data, it[n].len, NULL, NULL) == 0) {
				bool req = m->is_request && m->method != SIP_METHOD_ACK;
				sip_msg_free(m);
				if (req) {
					n++;
					fclose(f);
					continue;
				}
			}
			free(it[n].data);
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum row { ROW_PARSE, ROW_RESPONSE, ROW_FORWARD };

static int one(enum row row, const struct item *it, struct sip_buf *b)
{
	struct sip_msg *m;
	struct sip_out *o = NULL;
	int err = sip_msg_parse(&m, it->data, it->len, NULL, NULL);

	if (err)
		return err;
	sip_buf_reset(b);
	if (row == ROW_FORWARD) {
		err = sip_out_from_msg(&o, m);
		if (!err)
			err = sip_out_max_forwards_dec(o);
		if (!err)
			err = sip_out_record_route_push(o, SIP_STR("<sip:proxy.example.com;lr>"));
		if (!err)
			err = sip_out_via_push(o, SIP_STR("SIP/2.0/UDP proxy.example.com;branch=z9hG4bK1a2b3c4d5e"));
		if (!err)
			err = sip_out_serialize(o, b);
	} else if (row == ROW_RESPONSE) {
		err = sip_out_response_to(&o, m, 486, NULL, SIP_STR("8f3a2c1d"));
		if (!err)
			err = sip_out_serialize(o, b);
	}
	sip_out_free(o);
	sip_msg_free(m);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "parse", "response", "forward" };
	struct item items[MAX_ITEMS];
	struct sip_buf b = SIP_BUF_INIT;
	const char *dir = SIPHON_CORPUS_DIR;
	double secs = 2.0;
	size_t n;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-t") == 0 && i + 1 < argc)
			secs = atof(argv[++i]);
		else
			dir = argv[i];
	}
	n = load(dir, items);
	if (n == 0) {
		fprintf(stderr, "bench_build: no requests in %s\n", dir);
		return 1;
	}
	printf("bench_build: %zu requests from %s\n", n, dir);
	for (int row = ROW_PARSE; row <= ROW_FORWARD; row++) {
		unsigned long long msgs = 0;
		double t0 = now(), t;

		for (size_t i = 0; i < n; i++)
			if (one((enum row)row, &items[i], &b)) {
				fprintf(stderr, "bench_build: %s failed on item %zu\n", names[row], i);
				return 1;
			}
		do {
			for (size_t i = 0; i < n; i++)
				one((enum row)row, &items[i], &b);
			msgs += n;
			t = now() - t0;
		} while (t < secs);
		printf("%-9s %12.0f msgs/s %9.1f ns/msg\n", names[row], (double)msgs / t, t * 1e9 / (double)msgs);
	}
	sip_buf_free(&b);
	for (size_t i = 0; i < n; i++)
		free(items[i].data);
	return 0;
}

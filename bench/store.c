/* bench_store: the store's write throughput with durable completions, and the cost of
 * the hot-path reads.
 *
 *   build/bench/bench_store [-n WRITES] [-w WINDOW] [-r RATE] [-i COMMIT_INTERVAL_US] [-d DIR] [--full]
 *
 * 1. Saturation: one batch per simulated REGISTER (one binding upsert of a distinct
 *    AOR, realistic field sizes), at most WINDOW batches in flight (the requests whose
 *    200 is waiting), completions driven by poll() on sip_store_fd like the server's
 *    loop. Reports writes/s from the first submit to the last completion, and the
 *    submit-to-completion latency.
 * 2. Paced: RATE writes/s (default 20,000, the REGISTER target) for 2 s: completion
 *    latency at that load (what a 200 OK waits for the disk).
 * 3. Reads on the owner thread: user lookup (auth), binding list of an AOR (location
 *    lookup, REGISTER 200), each over random keys of the populated database.
 * The last line is the saturation figure. --full selects synchronous=FULL (an fsync
 * per group commit). The database goes in DIR (default: the current directory, a
 * real disk; /tmp may be tmpfs elsewhere) and is removed after. */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "siphon/err.h"
#include "siphon/store.h"

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct req {
	int64_t t0;
	int64_t *lat;    /* where to store the latency */
	int *done;
};

/* CPU time of the whole process (every thread: owner, writer, checkpointer). */
static int64_t cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time of the calling thread (the owner: submits, completions, the bench). */
static int64_t thread_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* CPU time (ns) of this process's threads whose name starts with prefix, from
 * /proc/self/task/TID/stat (clock-tick resolution: 10 ms). */
static int64_t threads_ns(const char *prefix)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int64_t total = 0;
	long hz = sysconf(_SC_CLK_TCK);

	while (d && (e = readdir(d)) != NULL) {
		char path[300], buf[1024], *p;
		unsigned long ut = 0, stt = 0;
		FILE *f;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[n] = '\0';
		p = strchr(buf, '(');
		if (!p || strncmp(p + 1, prefix, strlen(prefix)) != 0)
			continue;
		p = strrchr(buf, ')');
		/* After ") ": state, then fields 4..13, utime is field 14, stime 15. */
		if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
				&ut, &stt) == 2)
			total += (int64_t)(ut + stt) * (1000000000 / hz);
	}
	if (d)
		closedir(d);
	return total;
}

static void req_done(int err, void *arg)
{
	struct req *r = arg;

	if (err) {
		fprintf(stderr, "bench_store: write failed: %s\n", sip_strerror(err));
		exit(1);
	}
	*r->lat = now_ns() - r->t0;
	(*r->done)++;
}

static void submit_binding(struct sip_store *st, int i, struct req *r)
{
	char aor[64], contact[96], callid[64], recv[32];
	struct sip_store_batch *b;
	struct sip_store_binding bd = { 0 };

	snprintf(aor, sizeof(aor), "sip:user%d@example.com", i);
	snprintf(contact, sizeof(contact), "sip:user%d@198.51.100.%d:%d;transport=udp", i,
		 i % 250 + 1, 5060 + i % 1000);
	snprintf(callid, sizeof(callid), "%08x-%04x@198.51.100.%d", (unsigned)i * 2654435761u,
		 (unsigned)i & 0xffff, i % 250 + 1);
	snprintf(recv, sizeof(recv), "198.51.100.%d:%d", i % 250 + 1, 5060 + i % 1000);
	bd.aor = sip_str_from_cstr(aor);
	bd.contact = sip_str_from_cstr(contact);
	bd.expires_at = (int64_t)time(NULL) + 3600;
	bd.q = 1000;
	bd.call_id = sip_str_from_cstr(callid);
	bd.cseq = (uint32_t)i + 1;
	bd.transport = SIP_STR("udp");
	bd.received = sip_str_from_cstr(recv);
	bd.local = SIP_STR("127.0.0.1:5060");
	bd.user_agent = SIP_STR("SIPp/bench");
	if (sip_store_batch_new(&b) || sip_store_batch_binding_put(b, &bd) ||
	    sip_store_submit(st, b, req_done, r)) {
		fprintf(stderr, "bench_store: submit failed\n");
		exit(1);
	}
}

/* Wait up to timeout_ns for completions (like the server's loop) and run them. */
static void drive(struct sip_store *st, int64_t timeout_ns)
{
	struct pollfd pfd = { .fd = sip_store_fd(st), .events = POLLIN };
	struct timespec ts = { timeout_ns / 1000000000, timeout_ns % 1000000000 };

	if (ppoll(&pfd, 1, &ts, NULL) > 0)
		sip_store_process(st);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void latency(const char *what, int64_t *lat, int n)
{
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("%s latency submit->durable completion: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       what, lat[n / 2] / 1e6, lat[(int)(n * 0.99)] / 1e6, lat[n - 1] / 1e6);
}

static int count_cb(const struct sip_store_binding *b, void *arg)
{
	(void)b;
	(*(int *)arg)++;
	return 0;
}

int main(int argc, char **argv)
{
	int n = 200000, window = 4096, rate = 20000, done = 0, users = 10000;
	const char *dir = ".";
	bool full = false, reads = true;
	char path[512];
	struct sip_store *st;
	struct sip_store_options opt = { 0 };
	struct req *reqs;
	int64_t *lat, t0, t1, c0, c1, o0, o1;
	double saturation;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = atoi(argv[++i]);
		else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc)
			window = atoi(argv[++i]);
		else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc)
			rate = atoi(argv[++i]);
		else if (strcmp(argv[i], "-i") == 0 && i + 1 < argc)
			opt.commit_interval_us = atoi(argv[++i]);
		else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
			dir = argv[++i];
		else if (strcmp(argv[i], "--full") == 0)
			full = true;
		else if (strcmp(argv[i], "--no-reads") == 0)
			reads = false;
		else {
			fprintf(stderr, "usage: bench_store [-n WRITES] [-w WINDOW] [-r RATE] [-i COMMIT_INTERVAL_US] [-d DIR] [--full] [--no-reads]\n");
			return 2;
		}
	}
	if (n < 1000 || window < 1 || rate < 1) {
		fprintf(stderr, "bench_store: bad arguments\n");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/bench_store.%d.db", dir, (int)getpid());
	opt.path = path;
	opt.sync_full = full;
	if (sip_store_open(&st, &opt)) {
		fprintf(stderr, "bench_store: cannot open %s\n", path);
		return 1;
	}
	reqs = calloc((size_t)n + (size_t)rate * 2, sizeof(*reqs));
	lat = calloc((size_t)n + (size_t)rate * 2, sizeof(*lat));
	if (!reqs || !lat)
		return 1;

	/* 1. Saturation with a bounded window of requests in flight. */
	t0 = now_ns();
	c0 = cpu_ns();
	o0 = thread_ns();
	for (int i = 0; i < n;) {
		while (i < n && (int)sip_store_pending(st) < window) {
			reqs[i] = (struct req){ now_ns(), &lat[i], &done };
			submit_binding(st, i, &reqs[i]);
			i++;
		}
		drive(st, 1000000000);
	}
	sip_store_flush(st, -1);
	t1 = now_ns();
	c1 = cpu_ns();
	o1 = thread_ns();
	saturation = n / ((t1 - t0) / 1e9);
	printf("saturation: %d binding writes, window %d, synchronous=%s: %.3f s; CPU per write:"
	       " %.2f us writer+checkpointer threads, %.2f us owner thread\n", n, window,
	       full ? "FULL" : "NORMAL", (t1 - t0) / 1e9, ((c1 - c0) - (o1 - o0)) / 1e3 / n,
	       (o1 - o0) / 1e3 / n);
	latency("saturation", lat, n);

	/* 2. Paced at `rate` per second for 2 s (upserts of the same AORs: refreshes). */
	{
		int total = rate * 2, sent = 0;
		int64_t start = now_ns(), step = 1000000000LL / rate, cstart = cpu_ns();
		int64_t ostart = thread_ns(), cend, oend, wstart = threads_ns("siphon-store-w");
		int64_t kstart = threads_ns("siphon-store-c");

		done = 0;
		while (sent < total) {
			int64_t due = start + (int64_t)sent * step, now = now_ns();
			if (now >= due) {
				reqs[sent] = (struct req){ now, &lat[sent], &done };
				submit_binding(st, sent % n, &reqs[sent]);
				sent++;
				sip_store_process(st);
				continue;
			}
			drive(st, due - now);
		}
		sip_store_flush(st, -1);
		cend = cpu_ns();
		oend = thread_ns();
		printf("paced: by /proc: writer %.2f us/write, checkpointer %.2f us/write\n",
		       (threads_ns("siphon-store-w") - wstart) / 1e3 / total,
		       (threads_ns("siphon-store-c") - kstart) / 1e3 / total);
		printf("paced: %d writes/s offered for 2 s, %d completed in %.3f s; CPU per write:"
		       " %.2f us writer+checkpointer threads, %.2f us owner thread (with the pacing"
		       " loop)\n", rate, done, (now_ns() - start) / 1e9,
		       ((cend - cstart) - (oend - ostart)) / 1e3 / total, (oend - ostart) / 1e3 / total);
		latency("paced", lat, total);
	}

	/* 3. Reads: users for auth, bindings for the location lookup. */
	if (reads) {
		struct sip_store_batch *b;
		char aor[64], md5[33], sha[65];
		int rounds = 200000, found = 0, nb = 0;
		int64_t r0;

		memset(md5, 'a', 32);
		md5[32] = '\0';
		memset(sha, 'b', 64);
		sha[64] = '\0';
		sip_store_batch_new(&b);
		for (int i = 0; i < users; i++) {
			struct sip_store_user u = { .username = SIP_STR("u"), .realm = SIP_STR("example.com"),
						    .ha1_md5 = SIP_STR("0123456789abcdef0123456789abcdef") };
			snprintf(aor, sizeof(aor), "sip:user%d@example.com", i);
			u.aor = sip_str_from_cstr(aor);
			u.ha1_sha256 = sip_str_from_cstr(sha);
			sip_store_batch_user_put(b, &u);
		}
		sip_store_submit(st, b, NULL, NULL);
		sip_store_flush(st, -1);
		srand(1);
		r0 = now_ns();
		for (int i = 0; i < rounds; i++) {
			struct sip_store_user u;
			snprintf(aor, sizeof(aor), "sip:user%d@example.com", rand() % users);
			if (sip_store_user_get(st, sip_str_from_cstr(aor), &u) == 0) {
				found++;
				sip_store_user_clear(&u);
			}
		}
		printf("user lookup (sip_store_user_get, %d users): %.2f us each (%d/%d found)\n",
		       users, (now_ns() - r0) / 1e3 / rounds, found, rounds);
		r0 = now_ns();
		for (int i = 0; i < rounds; i++) {
			snprintf(aor, sizeof(aor), "sip:user%d@example.com", rand() % n);
			sip_store_binding_each_aor(st, sip_str_from_cstr(aor), (int64_t)time(NULL),
						   count_cb, &nb);
		}
		printf("location lookup (sip_store_binding_each_aor, %d AORs): %.2f us each (%d bindings)\n",
		       n, (now_ns() - r0) / 1e3 / rounds, nb);
	}

	sip_store_close(st);
	{
		char p2[600];
		unlink(path);
		snprintf(p2, sizeof(p2), "%s-wal", path);
		unlink(p2);
		snprintf(p2, sizeof(p2), "%s-shm", path);
		unlink(p2);
	}
	free(reqs);
	free(lat);
	printf("store: %.0f durable writes/s\n", saturation);
	return 0;
}

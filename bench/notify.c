/* bench_notify: the events server's fan-out (issue 7, "Durability and scale").
 *
 * Starts a real `siphon serve` (UDP on a free loopback port, no authentication, a
 * fresh database in a temporary directory), subscribes N watchers (10,000 by
 * default) to one presentity's presence from a few UDP sockets, answering every
 * NOTIFY with 200, then sends one PUBLISH and measures the time from the PUBLISH
 * until the last of the N NOTIFYs carrying the new state has been answered. Memory
 * per subscription is the server's RSS growth (/proc/PID/status) over the second
 * half of the subscriptions, each half measured once its transactions have ended
 * (Timer J, 32 s over UDP; --settle).
 *
 *   build/bench/bench_notify [-n SUBS] [-s SOCKETS] [-w WINDOW] [--settle SECONDS]
 *                            [--siphon PATH]
 *
 * The last line printed is the fan-out time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKS 64

struct bench {
	int n, nsock, window;
	int sock[MAX_SOCKS];
	uint16_t sport[MAX_SOCKS];
	int pubsock;
	uint16_t pubport;
	uint16_t port;              /* the server's */
	struct sockaddr_in srv;
	unsigned char *got200, *gotfirst, *gotnew;
	int n200, nfirst, nnew, nfail;
	uint64_t notifies, answers;
	double last_new;            /* when the last new-state NOTIFY was answered */
	bool pub_ok;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int buf = 8 << 20;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port free on 127.0.0.1 for UDP (bound, then released). */
static uint16_t free_port(void)
{
	uint16_t p = 0;
	int fd = udp_socket(&p);

	if (fd >= 0)
		close(fd);
	return p;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The value of header name (full form, as siphon writes it) in msg[0..len). */
static const char *hdr(const char *msg, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);
	const char *p = msg, *end = msg + len;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		if (eol == p || (eol == p + 1 && *p == '\r'))
			break; /* end of the header */
		if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			*vlen = (size_t)(eol - v) - (eol[-1] == '\r');
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

/* Call-IDs are "b<index>@bench". */
static int call_index(const char *msg, size_t len, int n)
{
	size_t vl;
	const char *v = hdr(msg, len, "Call-ID", &vl);
	long i;

	if (!v || vl < 2 || v[0] != 'b')
		return -1;
	i = strtol(v + 1, NULL, 10);
	return i >= 0 && i < n ? (int)i : -1;
}

static void answer(struct bench *b, int fd, const char *msg, size_t len, const struct sockaddr_in *to)
{
	static const char *const copy[] = { "Via", "From", "To", "Call-ID", "CSeq" };
	char out[2048];
	size_t o = 0;

	o += (size_t)snprintf(out, sizeof(out), "SIP/2.0 200 OK\r\n");
	for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
		size_t vl;
		const char *v = hdr(msg, len, copy[i], &vl);
		if (!v || o + vl + 32 > sizeof(out))
			return;
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s: %.*s\r\n", copy[i], (int)vl, v);
	}
	o += (size_t)snprintf(out + o, sizeof(out) - o, "Content-Length: 0\r\n\r\n");
	if (sendto(fd, out, o, 0, (const struct sockaddr *)to, sizeof(*to)) == (ssize_t)o)
		b->answers++;
}

static void handle(struct bench *b, int fd, char *msg, size_t len, const struct sockaddr_in *from)
{
	int idx;

	msg[len] = '\0';
	if (len > 7 && memcmp(msg, "NOTIFY ", 7) == 0) {
		idx = call_index(msg, len, b->n);
		b->notifies++;
		answer(b, fd, msg, len, from);
		if (idx < 0)
			return;
		if (strstr(msg, "bench-open")) {
			if (!b->gotnew[idx]) {
				b->gotnew[idx] = 1;
				b->nnew++;
				b->last_new = now_s();
			}
		} else if (!b->gotfirst[idx]) {
			b->gotfirst[idx] = 1;
			b->nfirst++;
		}
		return;
	}
	if (len > 12 && memcmp(msg, "SIP/2.0 ", 8) == 0) {
		int status = atoi(msg + 8);
		size_t vl;
		const char *cseq = hdr(msg, len, "CSeq", &vl);

		if (cseq && memmem(cseq, vl, "PUBLISH", 7)) {
			b->pub_ok = status == 200;
			return;
		}
		idx = call_index(msg, len, b->n);
		if (idx < 0 || b->got200[idx])
			return;
		if (status == 200) {
			b->got200[idx] = 1;
			b->n200++;
		} else if (status >= 300) {
			b->nfail++;
		}
	}
}

/* Receive and handle everything that arrives within ms milliseconds (or until
 * idle once something arrived, when ms is 0). */
static void pump(struct bench *b, int ms)
{
	struct pollfd pf[MAX_SOCKS + 1];
	static char buf[65536];
	int nfd = b->nsock + 1;

	for (int i = 0; i < b->nsock; i++)
		pf[i] = (struct pollfd){ .fd = b->sock[i], .events = POLLIN };
	pf[b->nsock] = (struct pollfd){ .fd = b->pubsock, .events = POLLIN };
	if (poll(pf, (nfds_t)nfd, ms) <= 0)
		return;
	for (int i = 0; i < nfd; i++) {
		if (!(pf[i].revents & POLLIN))
			continue;
		for (int k = 0; k < 256; k++) {
			struct sockaddr_in from;
			socklen_t fl = sizeof(from);
			ssize_t r = recvfrom(pf[i].fd, buf, sizeof(buf) - 1, 0, (struct sockaddr *)&from, &fl);
			if (r <= 0)
				break;
			handle(b, pf[i].fd, buf, (size_t)r, &from);
		}
	}
}

static void send_subscribe(struct bench *b, int i)
{
	char m[1024];
	int s = i % b->nsock;
	int len = snprintf(m, sizeof(m),
			   "SUBSCRIBE sip:alice@bench.test SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKsub%d;rport\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:w%d@bench.test>;tag=f%d\r\n"
			   "To: <sip:alice@bench.test>\r\n"
			   "Call-ID: b%d@bench\r\n"
			   "CSeq: 1 SUBSCRIBE\r\n"
			   "Contact: <sip:w%d@127.0.0.1:%u>\r\n"
			   "Event: presence\r\n"
			   "Expires: 3600\r\n"
			   "Content-Length: 0\r\n\r\n",
			   b->sport[s], i, i, i, i, i, b->sport[s]);

	(void)sendto(b->sock[s], m, (size_t)len, 0, (struct sockaddr *)&b->srv, sizeof(b->srv));
}

static void send_publish(struct bench *b)
{
	static const char body[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:alice@bench.test\">"
		"<tuple id=\"t1\"><status><basic>open</basic></status><note>bench-open</note></tuple>"
		"</presence>";
	char m[2048];
	int len = snprintf(m, sizeof(m),
			   "PUBLISH sip:alice@bench.test SIP/2.0\r\n"
			   "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKpub1;rport\r\n"
			   "Max-Forwards: 70\r\n"
			   "From: <sip:alice@bench.test>;tag=p1\r\n"
			   "To: <sip:alice@bench.test>\r\n"
			   "Call-ID: pub@bench\r\n"
			   "CSeq: 1 PUBLISH\r\n"
			   "Event: presence\r\n"
			   "Expires: 3600\r\n"
			   "Content-Type: application/pidf+xml\r\n"
			   "Content-Length: %zu\r\n\r\n%s",
			   b->pubport, sizeof(body) - 1, body);

	(void)sendto(b->pubsock, m, (size_t)len, 0, (struct sockaddr *)&b->srv, sizeof(b->srv));
}

/* Subscribe watchers [*sent, upto), at most window SUBSCRIBEs unanswered, until
 * every one has its 200 and first NOTIFY (60 s at most). */
static int subscribe_upto(struct bench *b, int upto, int *sent)
{
	double deadline = now_s() + 60, resend = now_s() + 0.5;

	while ((b->n200 + b->nfail < upto || b->nfirst < upto - b->nfail) && now_s() < deadline) {
		while (*sent < upto && *sent - (b->n200 + b->nfail) < b->window)
			send_subscribe(b, (*sent)++);
		pump(b, 10);
		/* UDP: a SUBSCRIBE lost in a full socket buffer is sent again (the same
		 * branch: the server's transaction absorbs duplicates). */
		if (now_s() > resend) {
			for (int i = 0; i < *sent; i++)
				if (!b->got200[i])
					send_subscribe(b, i);
			resend = now_s() + 0.5;
		}
	}
	return b->n200 >= upto && b->nfirst >= upto ? 0 : -1;
}

/* Answer whatever arrives (NOTIFY retransmissions) for seconds. */
static void settle_for(struct bench *b, int seconds)
{
	double deadline = now_s() + seconds;

	while (now_s() < deadline)
		pump(b, 50);
}

static pid_t start_server(const char *siphon, const char *dir, uint16_t port)
{
	char listen[64], db[PATH_MAX], log[PATH_MAX];
	pid_t pid;

	snprintf(listen, sizeof(listen), "udp:127.0.0.1:%u", port);
	snprintf(db, sizeof(db), "%s/bench.db", dir);
	snprintf(log, sizeof(log), "%s/serve.log", dir);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(siphon, siphon, "serve", "--listen", listen, "--domain", "bench.test", "--db", db,
		      "--no-auth", "--log-level", "warn", (char *)NULL);
		_exit(127);
	}
	return pid;
}

int main(int argc, char **argv)
{
	struct bench b = { .n = 10000, .nsock = 4, .window = 256 };
	char siphon[PATH_MAX], dir[] = "/tmp/bench_notify.XXXXXX";
	int settle = 35, sent = 0;
	long rss0, rss1, rss2;
	double t0, t_setup, t_pub, deadline;

	pid_t pid;

	/* build/bench/bench_notify -> build/siphon */
	snprintf(siphon, sizeof(siphon), "%s", argv[0]);
	{
		char *slash = strrchr(siphon, '/');
		if (slash)
			snprintf(slash, sizeof(siphon) - (size_t)(slash - siphon), "/../siphon");
		else
			snprintf(siphon, sizeof(siphon), "../siphon");
	}
	/* Options come in pairs: step over option and value in the loop header. */
	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v) {
			fprintf(stderr, "usage: %s [-n SUBS] [-s SOCKETS] [-w WINDOW] [--settle S] [--siphon PATH]\n", argv[0]);
			return 2;
		}
		if (!strcmp(argv[i], "-n"))
			b.n = atoi(v);
		else if (!strcmp(argv[i], "-s"))
			b.nsock = atoi(v);
		else if (!strcmp(argv[i], "-w"))
			b.window = atoi(v);
		else if (!strcmp(argv[i], "--settle"))
			settle = atoi(v);
		else if (!strcmp(argv[i], "--siphon"))
			snprintf(siphon, sizeof(siphon), "%s", v);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (b.n <= 0 || b.nsock <= 0 || b.nsock > MAX_SOCKS || b.window <= 0) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	b.got200 = calloc((size_t)b.n, 1);
	b.gotfirst = calloc((size_t)b.n, 1);
	b.gotnew = calloc((size_t)b.n, 1);
	if (!b.got200 || !b.gotfirst || !b.gotnew || !mkdtemp(dir))
		return 1;
	for (int i = 0; i < b.nsock; i++)
		if ((b.sock[i] = udp_socket(&b.sport[i])) < 0)
			return 1;
	if ((b.pubsock = udp_socket(&b.pubport)) < 0)
		return 1;
	b.port = free_port();
	b.srv = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(b.port),
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	pid = start_server(siphon, dir, b.port);
	if (pid < 0)
		return 1;
	/* Up when an OPTIONS gets an answer. */
	deadline = now_s() + 10;
	for (;;) {
		char probe[512], buf[4096];
		int pl = snprintf(probe, sizeof(probe),
				  "OPTIONS sip:bench.test SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKprobe\r\n"
				  "From: <sip:p@bench.test>;tag=1\r\nTo: <sip:bench.test>\r\nCall-ID: probe\r\n"
				  "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n", b.pubport);
		(void)sendto(b.pubsock, probe, (size_t)pl, 0, (struct sockaddr *)&b.srv, sizeof(b.srv));
		struct pollfd pf = { .fd = b.pubsock, .events = POLLIN };
		if (poll(&pf, 1, 100) > 0 && recv(b.pubsock, buf, sizeof(buf), 0) > 0)
			break;
		if (now_s() > deadline || waitpid(pid, NULL, WNOHANG) == pid) {
			fprintf(stderr, "siphon serve (%s) did not start; see %s/serve.log\n", siphon, dir);
			return 1;
		}
	}
	rss0 = rss_kb(pid);

	/* Subscribe in two halves, each followed by a settle so the transactions of
	 * its subscribe phase end (Timer J 32 s, Timer K 5 s). The second half's
	 * transactions reuse the memory the first half's freed (the allocator keeps
	 * it, RSS does not shrink), so the RSS growth over the second half is what the
	 * subscriptions themselves keep. */
	t0 = now_s();
	if (subscribe_upto(&b, b.n / 2, &sent) != 0 || (settle_for(&b, settle), 0) ||
	    (rss1 = rss_kb(pid), subscribe_upto(&b, b.n, &sent)) != 0) {
		fprintf(stderr, "subscribe phase incomplete: %d 200s, %d failures, %d first NOTIFYs\n",
			b.n200, b.nfail, b.nfirst);
		kill(pid, SIGKILL);
		return 1;
	}
	t_setup = now_s() - t0 - settle;
	settle_for(&b, settle);
	rss2 = rss_kb(pid);

	/* One PUBLISH; the clock runs until the last new-state NOTIFY is answered. */
	t_pub = now_s();
	send_publish(&b);
	deadline = t_pub + 30;
	while (b.nnew < b.n && now_s() < deadline)
		pump(&b, 10);

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	{
		char cmd[PATH_MAX + 16];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	printf("subscribers:              %d (from %d UDP sockets, window %d)\n", b.n, b.nsock, b.window);
	printf("subscribe phase:          %.3f s (%.0f SUBSCRIBE/s, each 200 after its store commit)\n",
	       t_setup, b.n / t_setup);
	printf("server RSS:               %ld kB at start, %ld kB with %d subscriptions, %ld kB with %d"
	       " (each after a %d s settle)\n", rss0, rss1, b.n / 2, rss2, b.n, settle);
	printf("memory per subscription:  %.0f bytes (RSS growth over the second half / %d);"
	       " %.0f bytes counting the first half's transactions\n",
	       (double)(rss2 - rss1) * 1024.0 / (b.n - b.n / 2), b.n - b.n / 2,
	       (double)(rss2 - rss0) * 1024.0 / b.n);
	printf("PUBLISH answered:         %s\n", b.pub_ok ? "200" : "no");
	printf("NOTIFYs with new state:   %d of %d (%llu NOTIFYs received in all)\n", b.nnew, b.n,
	       (unsigned long long)b.notifies);
	if (b.nnew < b.n) {
		printf("fan-out incomplete after 30 s\n");
		return 1;
	}
	printf("fan-out time:             %.3f s (PUBLISH sent -> %d NOTIFYs answered)\n",
	       b.last_new - t_pub, b.n);
	return 0;
}

/* bench_proxy_mem: memory per live call of `siphon serve`'s stateful proxy under the
 * proxy603 workload (shared/bench-server: INVITE relayed to a UAS that answers 603),
 * through a real server on loopback.
 *
 * The server is sip_server_run in a forked child (udp:127.0.0.1, domain localhost,
 * no auth, a fresh store in a temporary directory), so it is the same code as
 * `siphon serve`. This process is both the caller (UAC socket) and the callee (UAS
 * socket): it sends INVITE sip:uas@127.0.0.1:<uas port>, which the proxy relays
 * (record-routed) to the UAS socket; the UAS answers 603 Decline; the proxy ACKs
 * it hop by hop and relays the 603; the UAC ACKs that. At most WINDOW calls are
 * in progress at once; 603 retransmissions are ACKed again.
 *
 * After a warm-up of 200 calls the child's Pss (/proc/PID/smaps_rollup: its real
 * footprint) is the baseline; then N calls run, Pss is sampled every 100 ms and
 * once at the end, and the figure is (peak Pss - baseline) / N. All N calls are
 * still live in the server at the end when the run is shorter than 5 s: each keeps
 * its INVITE client transaction for Timer D (32 s, RFC 3261 17.1.1.2) and its
 * server transaction for Timer I (5 s after the ACK, 17.2.1). For a steady state
 * of R calls/s the server holds about 32 R client and 5 R server transactions.
 *
 * Usage: bench_proxy_mem [N] (default 20000). Runs for a few seconds; the bound on
 * the whole run is 60 s. Not part of ctest (a benchmark, not a test).
 *
 * Measured (2-core VM, `build/bench/bench_proxy_mem 20000`, all calls live):
 * 12,450-12,700 bytes per live call with the proxy's client transactions keeping
 * the parser's block of the forwarded INVITE until Timer D; 6,300 with lean
 * client transactions (the request freed at the final response); 2,317 with
 * lean server transactions too (the INVITE freed once the ACK came). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "siphon/build.h"
#include "siphon/msg.h"
#include "siphon/server.h"

#define WINDOW 300
#define WARMUP 200
#define RUN_LIMIT_S 60

static uint16_t srv_port, uac_port, uas_port;
static int uac_fd, uas_fd;
static struct sockaddr_in srv_addr;
static unsigned char *done;   /* per call: the 603 reached the UAC */
static long ndone, nsent;

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int udp_socket(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0), sz = 4 << 20;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	*port = ntohs(a.sin_port);
	return fd;
}

/* Pss of pid in KiB, or -1. */
static long pss_kib(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Pss: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void send_to_srv(const char *buf, size_t len)
{
	(void)sendto(uac_fd, buf, len, 0, (const struct sockaddr *)&srv_addr, sizeof(srv_addr));
}

static void send_invite(long i)
{
	static const char sdp[] = "v=0\r\no=user1 53655765 2353687637 IN IP4 127.0.0.1\r\ns=-\r\n"
				  "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\n"
				  "a=rtpmap:0 PCMU/8000\r\n";
	char buf[1024];
	int n = snprintf(buf, sizeof(buf),
			 "INVITE sip:uas@127.0.0.1:%u SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pm-%ld;rport\r\n"
			 "Max-Forwards: 70\r\n"
			 "From: sipp <sip:sipp@127.0.0.1:%u>;tag=%ldSIPpTag00%ld\r\n"
			 "To: uas <sip:uas@127.0.0.1:%u>\r\n"
			 "Call-ID: %ld-pm@127.0.0.1\r\n"
			 "CSeq: 1 INVITE\r\n"
			 "Contact: sip:sipp@127.0.0.1:%u\r\n"
			 "Subject: Performance Test\r\n"
			 "Content-Type: application/sdp\r\n"
			 "Content-Length: %zu\r\n\r\n%s",
			 uas_port, uac_port, i, uac_port, i, i, uas_port, i, uac_port, sizeof(sdp) - 1, sdp);
	send_to_srv(buf, (size_t)n);
}

/* The 603 at the UAC: count it, ACK it (17.1.1.3 shape: the INVITE's Via and
 * From, the response's To). */
static void uac_recv(void)
{
	char buf[4096];
	ssize_t n = recv(uac_fd, buf, sizeof(buf), 0);
	struct sip_msg *m;
	const struct sip_addr *to;
	struct sip_str cid;
	long i;

	if (n <= 0 || sip_msg_parse(&m, buf, (size_t)n, NULL, NULL) != 0)
		return;
	if (!m->is_request && m->status >= 200 && sip_msg_call_id(m, &cid) == 0 && sip_msg_to(m, &to) == 0 &&
	    sscanf(cid.p, "%ld-pm@", &i) == 1 && i >= 0 && i < nsent) {
		char ack[768];
		int k = snprintf(ack, sizeof(ack),
				 "ACK sip:uas@127.0.0.1:%u SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pm-%ld;rport\r\n"
				 "Max-Forwards: 70\r\n"
				 "From: sipp <sip:sipp@127.0.0.1:%u>;tag=%ldSIPpTag00%ld\r\n"
				 "To: uas <sip:uas@127.0.0.1:%u>;tag=%.*s\r\n"
				 "Call-ID: %ld-pm@127.0.0.1\r\n"
				 "CSeq: 1 ACK\r\n"
				 "Content-Length: 0\r\n\r\n",
				 uas_port, uac_port, i, uac_port, i, i, uas_port, SIP_STR_ARG(to->tag), i);
		send_to_srv(ack, (size_t)k);
		if (!done[i]) {
			done[i] = 1;
			ndone++;
		}
	}
	sip_msg_free(m);
}

/* The UAS: 603 to every INVITE (a retransmission too), nothing to the ACK. */
static void uas_recv(void)
{
	char buf[4096];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	ssize_t n = recvfrom(uas_fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
	struct sip_msg *m;
	struct sip_out *o;
	struct sip_buf out = SIP_BUF_INIT;

	if (n <= 0 || sip_msg_parse(&m, buf, (size_t)n, NULL, NULL) != 0)
		return;
	if (m->is_request && m->method == SIP_METHOD_INVITE &&
	    sip_out_response_to(&o, m, 603, NULL, SIP_STR("uas603")) == 0) {
		if (sip_out_serialize(o, &out) == 0)
			(void)sendto(uas_fd, out.p, out.len, 0, (struct sockaddr *)&from, fl);
		sip_out_free(o);
	}
	sip_buf_free(&out);
	sip_msg_free(m);
}

/* Run calls [nsent, upto) with at most WINDOW in progress; sample Pss. 0 when all
 * were answered before the deadline. */
static int run_calls(long upto, pid_t child, long *peak, double deadline)
{
	double next_sample = now_s() + 0.1;

	while (ndone < upto) {
		struct pollfd p[2] = { { uac_fd, POLLIN, 0 }, { uas_fd, POLLIN, 0 } };
		while (nsent < upto && nsent - ndone < WINDOW)
			send_invite(nsent++);
		if (poll(p, 2, 10) < 0 && errno != EINTR)
			return -1;
		if (p[0].revents & POLLIN)
			uac_recv();
		if (p[1].revents & POLLIN)
			uas_recv();
		if (peak && now_s() >= next_sample) {
			long v = pss_kib(child);
			if (v > *peak)
				*peak = v;
			next_sample = now_s() + 0.1;
		}
		if (now_s() > deadline)
			return -1;
	}
	return 0;
}

static int server_child(const char *db)
{
	struct sip_server_config c;
	char listen[64], msg[128];

	snprintf(listen, sizeof(listen), "udp:127.0.0.1:%u", srv_port);
	if (sip_server_config_init(&c) != 0)
		return 1;
	for (size_t i = 0; i < c.nlisten; i++)
		free(c.listen[i]);
	c.nlisten = 0;
	if (sip_server_config_set(&c, "server", "listen", listen, msg, sizeof(msg)) ||
	    sip_server_config_set(&c, "server", "domain", "localhost", msg, sizeof(msg)) ||
	    sip_server_config_set(&c, "server", "db", db, msg, sizeof(msg)) ||
	    sip_server_config_set(&c, "server", "auth", "off", msg, sizeof(msg)) ||
	    sip_server_config_set(&c, "server", "log_level", "error", msg, sizeof(msg))) {
		fprintf(stderr, "bench_proxy_mem: config: %s\n", msg);
		return 1;
	}
	int rc = sip_server_run(&c);
	sip_server_config_free(&c);
	return rc ? 1 : 0;
}

/* OPTIONS to the server until it answers (at most 5 s). */
static int wait_ready(void)
{
	for (int k = 0; k < 100; k++) {
		char buf[512];
		struct pollfd p = { uac_fd, POLLIN, 0 };
		int n = snprintf(buf, sizeof(buf),
				 "OPTIONS sip:127.0.0.1:%u SIP/2.0\r\n"
				 "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bK-pm-ready%d;rport\r\n"
				 "Max-Forwards: 70\r\nFrom: <sip:b@127.0.0.1>;tag=r%d\r\n"
				 "To: <sip:127.0.0.1:%u>\r\nCall-ID: ready%d@pm\r\nCSeq: 1 OPTIONS\r\n"
				 "Content-Length: 0\r\n\r\n",
				 srv_port, uac_port, k, k, srv_port, k);
		send_to_srv(buf, (size_t)n);
		if (poll(&p, 1, 50) == 1) {
			while (poll(&p, 1, 50) == 1)
				(void)recv(uac_fd, buf, sizeof(buf), 0);
			return 0;
		}
	}
	return -1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000, base, peak, end;
	char dir[] = "/tmp/bench_proxy_mem.XXXXXX", db[64];
	double t0, t1, deadline;
	uint16_t p;
	int fd, rc = 1, st;
	pid_t child;

	if (n <= 0 || !mkdtemp(dir))
		return 1;
	snprintf(db, sizeof(db), "%s/siphon.db", dir);
	fd = udp_socket(&p); /* a free port for the server */
	if (fd < 0)
		return 1;
	close(fd);
	srv_port = p;
	uac_fd = udp_socket(&uac_port);
	uas_fd = udp_socket(&uas_port);
	done = calloc((size_t)(n + WARMUP), 1);
	if (uac_fd < 0 || uas_fd < 0 || !done)
		return 1;
	srv_addr = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(srv_port),
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0) {
		close(uac_fd);
		close(uas_fd);
		_exit(server_child(db));
	}
	deadline = now_s() + RUN_LIMIT_S;
	if (wait_ready() != 0) {
		fprintf(stderr, "bench_proxy_mem: the server did not answer\n");
		goto out;
	}
	if (run_calls(WARMUP, child, NULL, deadline) != 0) {
		fprintf(stderr, "bench_proxy_mem: warm-up calls not answered (%ld of %d)\n", ndone, WARMUP);
		goto out;
	}
	base = peak = pss_kib(child);
	t0 = now_s();
	if (run_calls(WARMUP + n, child, &peak, deadline) != 0) {
		fprintf(stderr, "bench_proxy_mem: only %ld of %ld calls answered\n", ndone - WARMUP, n);
		goto out;
	}
	t1 = now_s();
	end = pss_kib(child);
	if (end > peak)
		peak = end;
	printf("bench_proxy_mem: %ld INVITE->603 calls through the proxy in %.2f s (%.0f calls/s)\n", n,
	       t1 - t0, (double)n / (t1 - t0));
	printf("bench_proxy_mem: server Pss %.1f MiB -> peak %.1f MiB: %.0f bytes per live call\n",
	       (double)base / 1024, (double)peak / 1024, (double)(peak - base) * 1024 / (double)n);
	rc = 0;
out:
	kill(child, SIGTERM);
	waitpid(child, &st, 0);
	unlink(db);
	{
		char aux[96];
		snprintf(aux, sizeof(aux), "%s-wal", db);
		unlink(aux);
		snprintf(aux, sizeof(aux), "%s-shm", db);
		unlink(aux);
	}
	rmdir(dir);
	free(done);
	return rc;
}

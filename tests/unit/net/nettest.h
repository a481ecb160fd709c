/* Shared helpers of the net unit tests: a sip_net on a private loop that records
 * what it receives, raw POSIX peers (non-blocking sockets polled between loop
 * turns) and time-bounded waits. Every wait has a deadline in milliseconds. */
#ifndef SIPHON_NETTEST_H
#define SIPHON_NETTEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "siphon/err.h"
#include "siphon/log.h"
#include "siphon/msg.h"
#include "siphon/net.h"

#define NT_MAX_MSGS 64

struct nt_msg {
	struct sip_msg *msg;
	struct sip_net_src src;
};

struct nt {
	uv_loop_t *loop;
	struct sip_net *net;
	struct nt_msg msgs[NT_MAX_MSGS];
	unsigned nmsgs;
	unsigned nerrors;
	int last_error;
	char last_error_detail[128];      /* sip_net_error_detail during on_error */
	struct sip_net_dest last_error_dest;
	bool closed;
	unsigned nconn_closed;
	uint64_t last_closed_conn;
	int last_closed_err;
	/* Optional hook run for each received message (e.g. to answer it). */
	void (*hook)(struct nt *t, struct nt_msg *m);
};

static inline void nt_recv(struct sip_msg *msg, const struct sip_net_src *src, void *arg)
{
	struct nt *t = arg;

	if (t->nmsgs >= NT_MAX_MSGS) {
		sip_msg_free(msg);
		return;
	}
	t->msgs[t->nmsgs].msg = msg;
	t->msgs[t->nmsgs].src = *src;
	t->nmsgs++;
	if (t->hook)
		t->hook(t, &t->msgs[t->nmsgs - 1]);
}

static inline void nt_error(const struct sip_net_dest *dst, int err, void *arg)
{
	struct nt *t = arg;

	t->nerrors++;
	t->last_error = err;
	snprintf(t->last_error_detail, sizeof(t->last_error_detail), "%s",
		 sip_net_error_detail(t->net));
	t->last_error_dest = *dst;
}

static inline void nt_conn_closed(const struct sip_net_dest *conn, int err, void *arg)
{
	struct nt *t = arg;

	t->nconn_closed++;
	t->last_closed_conn = conn->conn_id;
	t->last_closed_err = err;
}

static inline uint64_t nt_now_ms(void)
{
	return uv_hrtime() / 1000000u;
}

static inline void nt_sleep_ms(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Turn the loop without blocking, for about ms milliseconds. */
static inline void nt_spin(struct nt *t, unsigned ms)
{
	uint64_t end = nt_now_ms() + ms;

	while (nt_now_ms() < end) {
		uv_run(t->loop, UV_RUN_NOWAIT);
		nt_sleep_ms(1);
	}
}

/* Turn the loop until *count reaches want or ms pass. Returns whether it did. */
static inline bool nt_wait_count(struct nt *t, const unsigned *count, unsigned want, unsigned ms)
{
	uint64_t end = nt_now_ms() + ms;

	while (*count < want && nt_now_ms() < end) {
		uv_run(t->loop, UV_RUN_NOWAIT);
		if (*count < want)
			nt_sleep_ms(1);
	}
	return *count >= want;
}

/* A recording net on loop with cfg (cfg's loop and callbacks are set here). */
static inline int nt_init_cfg(struct nt *t, uv_loop_t *loop, struct sip_net_config *cfg)
{
	memset(t, 0, sizeof(*t));
	t->loop = loop;
	cfg->loop = loop;
	cfg->on_recv = nt_recv;
	cfg->on_error = nt_error;
	cfg->on_conn_closed = nt_conn_closed;
	cfg->arg = t;
	return sip_net_alloc(&t->net, cfg);
}

static inline int nt_init(struct nt *t, uv_loop_t *loop)
{
	struct sip_net_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	return nt_init_cfg(t, loop, &cfg);
}

static inline void nt_drop_msgs(struct nt *t)
{
	for (unsigned i = 0; i < t->nmsgs; i++)
		sip_msg_free(t->msgs[i].msg);
	t->nmsgs = 0;
}

static inline void nt_closed(void *arg)
{
	((struct nt *)arg)->closed = true;
}

/* Close the net and run the loop until every handle is closed (bounded); free
 * what was received. Returns whether the close completed. */
static inline bool nt_fini(struct nt *t)
{
	uint64_t end = nt_now_ms() + 2000;

	if (t->net)
		sip_net_close(t->net, nt_closed, t);
	t->net = NULL;
	while (!t->closed && nt_now_ms() < end) {
		uv_run(t->loop, UV_RUN_NOWAIT);
		nt_sleep_ms(1);
	}
	nt_drop_msgs(t);
	return t->closed;
}

/* Close a test loop: every handle must be gone (a leaked handle fails). */
static inline int nt_loop_close(uv_loop_t *loop)
{
	uv_run(loop, UV_RUN_NOWAIT);
	return uv_loop_close(loop);
}

static inline int nt_listen(struct nt *t, const char *spec, struct sip_listener **lisp)
{
	struct sip_listen_spec s;
	int err = sip_listen_spec_parse(&s, spec);

	if (err)
		return err;
	return sip_net_listen(t->net, &s, lisp);
}

/* Is ::1 usable on this machine? */
static inline bool nt_have_ipv6(void)
{
	struct sockaddr_in6 a;
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&a, 0, sizeof(a));
	a.sin6_family = AF_INET6;
	a.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static inline socklen_t nt_addrlen(const struct sip_net_addr *a)
{
	return a->u.sa.sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					      : sizeof(struct sockaddr_in);
}

/* A raw TCP client connected to a (blocking connect: the kernel completes it
 * from the listen backlog), then made non-blocking. -1 on failure. */
static inline int nt_tcp_connect(const struct sip_net_addr *a)
{
	int fd = socket(a->u.sa.sa_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	if (connect(fd, &a->u.sa, nt_addrlen(a)) != 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

static inline bool nt_send_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			nt_sleep_ms(1);
			continue;
		}
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Read from a raw peer while turning the loop, until buf holds want (if not
 * NULL), the peer sees EOF (*eof set), or ms pass. Returns bytes held. */
static inline size_t nt_raw_read(struct nt *t, int fd, char *buf, size_t cap, size_t have,
				 const char *want, bool *eof, unsigned ms)
{
	uint64_t end = nt_now_ms() + ms;

	if (eof)
		*eof = false;
	while (nt_now_ms() < end) {
		ssize_t r;

		uv_run(t->loop, UV_RUN_NOWAIT);
		r = recv(fd, buf + have, cap - 1 - have, MSG_DONTWAIT);
		if (r > 0) {
			have += (size_t)r;
			buf[have] = '\0';
			if (want && strstr(buf, want))
				break;
			continue;
		}
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
			if (eof)
				*eof = true;
			break;
		}
		nt_sleep_ms(1);
	}
	buf[have] = '\0';
	return have;
}

/* Read a whole file (test data) into a malloc'd NUL-terminated buffer. */
static inline char *nt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) == (size_t)n) {
			p[n] = '\0';
			*len = (size_t)n;
		} else {
			free(p);
			p = NULL;
		}
	}
	fclose(f);
	return p;
}

#endif

/* UDP listeners: one socket per listen spec, batched receive (recvmmsg) where
 * libuv offers it, one datagram = one message (RFC 3261 18.3). */
#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "net_int.h"
#include "siphon/err.h"
#include "siphon/log.h"

/* libuv cuts a recvmmsg buffer into 64 KiB chunks, one datagram each. Eight
 * datagrams per system call amortise the syscall without holding much memory. */
#define UDP_CHUNK (64 * 1024)
#define UDP_MMSG_CHUNKS 8
/* Largest UDP payload over IPv4 (65535 - 8 - 20). */
#define UDP_MAX_PAYLOAD 65507

static void udp_closed(uv_handle_t *h)
{
	struct sip_listener *lis = h->data;
	struct sip_net *net = lis->net;

	free(lis->rbuf);
	free(lis);
	sip_net_handle_closed(net);
}

static void udp_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct sip_listener *lis = h->data;

	(void)suggested;
	/* One buffer per socket, reused: the datagram is copied by sip_msg_parse
	 * before the next receive, so the MMSG_FREE notification needs no action. */
	*buf = uv_buf_init(lis->rbuf, (unsigned)lis->rbuf_size);
}

static void udp_recv(uv_udp_t *h, ssize_t nread, const uv_buf_t *buf,
		     const struct sockaddr *addr, unsigned flags)
{
	struct sip_listener *lis = h->data;
	struct sip_net *net = lis->net;
	struct sip_net_src src;

	if (net->closing || nread == 0 || !addr)
		return; /* nothing read, or the end of a recvmmsg batch */
	if (nread < 0) {
		sip_log_debug("net", "udp receive: %s", uv_strerror((int)nread));
		return;
	}
	if (flags & UV_UDP_PARTIAL) {
		sip_log_debug("net", "udp: dropped a truncated datagram");
		return;
	}
	memset(&src, 0, sizeof(src));
	src.tp = SIP_TP_UDP;
	if (addr->sa_family == AF_INET)
		memcpy(&src.remote.u.in4, addr, sizeof(src.remote.u.in4));
	else if (addr->sa_family == AF_INET6)
		memcpy(&src.remote.u.in6, addr, sizeof(src.remote.u.in6));
	else
		return;
	src.local = lis->addr;
	src.lis = lis;
	sip_net_deliver(net, buf->base, (size_t)nread, &src);
}

int sip_udp_listen(struct sip_listener *lis)
{
	struct sip_net *net = lis->net;
	int family = lis->addr.u.sa.sa_family;
	int namelen = sizeof(lis->addr.u);
	int err;

	err = uv_udp_init_ex(net->loop, &lis->h.udp, (unsigned)family | UV_UDP_RECVMMSG);
	if (err) {
		free(lis);
		return err;
	}
	lis->h.udp.data = lis;
	net->nhandles++;
	lis->rbuf_size = uv_udp_using_recvmmsg(&lis->h.udp) ? UDP_CHUNK * UDP_MMSG_CHUNKS
							      : UDP_CHUNK;
	lis->rbuf = malloc(lis->rbuf_size);
	if (!lis->rbuf) {
		err = -ENOMEM;
		goto fail;
	}
	/* IPv6 sockets stay IPv6-only: "udp:[::]:5060" and "udp:0.0.0.0:5060" can
	 * then both be listened on, as two specs. */
	err = uv_udp_bind(&lis->h.udp, &lis->addr.u.sa,
			  family == AF_INET6 ? UV_UDP_IPV6ONLY : 0);
	if (err)
		goto fail;
	err = uv_udp_getsockname(&lis->h.udp, &lis->addr.u.sa, &namelen);
	if (err)
		goto fail;
	if (net->cfg.udp_rcvbuf) {
		/* A server's burst absorber: while the loop is busy (or not scheduled
		 * on a loaded host) datagrams wait here instead of being dropped and
		 * retransmitted 500 ms later. The kernel caps it at net.core.rmem_max. */
		int sz = (int)net->cfg.udp_rcvbuf;
		if (uv_recv_buffer_size((uv_handle_t *)&lis->h.udp, &sz) != 0)
			sip_log_debug("net", "could not set the UDP receive buffer to %u bytes",
				      net->cfg.udp_rcvbuf);
	}
	err = uv_udp_recv_start(&lis->h.udp, udp_alloc, udp_recv);
	if (err)
		goto fail;
	sip_log_debug("net", "udp receive: %s", uv_udp_using_recvmmsg(&lis->h.udp)
							? "recvmmsg, 8 datagrams per call"
							: "one datagram per call");
	return 0;
fail:
	uv_close((uv_handle_t *)&lis->h.udp, udp_closed);
	return err;
}

void sip_udp_close(struct sip_listener *lis)
{
	uv_udp_recv_stop(&lis->h.udp);
	uv_close((uv_handle_t *)&lis->h.udp, udp_closed);
}

struct udp_send_req {
	uv_udp_send_t req;
	char data[];
};

static void udp_sent(uv_udp_send_t *req, int status)
{
	if (status)
		sip_log_debug("net", "udp send: %s", uv_strerror(status));
	free(req);
}

static int udp_send_now(struct sip_listener *lis, const struct sip_net_addr *to, const char *buf,
			size_t len)
{
	struct udp_send_req *r;
	uv_buf_t b;
	int n;

	/* Fast path: the kernel takes the datagram now, nothing to allocate. */
	b = uv_buf_init((char *)buf, (unsigned)len);
	n = uv_udp_try_send(&lis->h.udp, &b, 1, &to->u.sa);
	if (n >= 0)
		return 0;
	if (n != UV_EAGAIN)
		return n;
	r = malloc(sizeof(*r) + len);
	if (!r)
		return -ENOMEM;
	memcpy(r->data, buf, len);
	b = uv_buf_init(r->data, (unsigned)len);
	n = uv_udp_send(&r->req, &lis->h.udp, &b, 1, &to->u.sa, udp_sent);
	if (n) {
		free(r);
		return n;
	}
	return 0;
}

void sip_udp_flush(struct sip_net *net)
{
	struct mmsghdr mh[NET_UDP_BATCH];
	struct iovec iov[NET_UDP_BATCH];
	unsigned i = 0;

	while (i < net->npend) {
		struct sip_listener *lis = net->pend[i].lis;
		unsigned k = 0, done = 0;
		uv_os_fd_t fd = -1;

		/* One sendmmsg per run of datagrams from the same socket. */
		while (i + k < net->npend && net->pend[i + k].lis == lis) {
			struct udp_pend *p = &net->pend[i + k];
			iov[k] = (struct iovec){ net->pbuf + p->off, p->len };
			mh[k] = (struct mmsghdr){ .msg_hdr = {
				.msg_name = &p->to.u.sa,
				.msg_namelen = p->to.u.sa.sa_family == AF_INET6 ? sizeof(p->to.u.in6)
										: sizeof(p->to.u.in4),
				.msg_iov = &iov[k],
				.msg_iovlen = 1,
			} };
			k++;
		}
		if (uv_fileno((const uv_handle_t *)&lis->h.udp, &fd) != 0)
			done = k;
		while (done < k) {
			int n = sendmmsg(fd, mh + done, k - done, 0);
			if (n > 0) {
				done += (unsigned)n;
				continue;
			}
			/* The socket is full (or refused this one): the queued path. */
			struct udp_pend *p = &net->pend[i + done];
			int err = udp_send_now(lis, &p->to, net->pbuf + p->off, p->len);
			if (err)
				sip_log_debug("net", "udp send: %s", sip_strerror(err));
			done++;
		}
		i += k;
	}
	net->npend = 0;
	net->plen = 0;
}

int sip_udp_send(struct sip_net *net, const struct sip_net_dest *dst, const char *buf,
		 size_t len)
{
	struct sip_listener *lis = dst->lis;

	if (len > UDP_MAX_PAYLOAD)
		return SIP_ETOOBIG;
	if (!lis || lis->tp != SIP_TP_UDP ||
	    lis->addr.u.sa.sa_family != dst->remote.u.sa.sa_family)
		lis = sip_net_find_listener(net, SIP_TP_UDP, &dst->remote);
	if (!lis)
		return -EAFNOSUPPORT; /* no UDP socket of that family to send from */
	if (net->cork) {
		struct udp_pend *p;
		if (net->npend == NET_UDP_BATCH)
			sip_udp_flush(net);
		if (net->plen + len > net->pcap) {
			size_t cap = net->pcap ? net->pcap : 16384;
			char *nb;
			while (cap < net->plen + len)
				cap *= 2;
			nb = realloc(net->pbuf, cap);
			if (!nb)
				return -ENOMEM;
			net->pbuf = nb;
			net->pcap = cap;
		}
		p = &net->pend[net->npend++];
		p->lis = lis;
		p->to = dst->remote;
		p->off = net->plen;
		p->len = len;
		memcpy(net->pbuf + net->plen, buf, len);
		net->plen += len;
		return 0;
	}
	return udp_send_now(lis, &dst->remote, buf, len);
}

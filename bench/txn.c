/* bench_txn: the transaction layer under 100,000 live server and 100,000 live
 * client transactions.
 *
 * Every message is real SIP text with its own branch, parsed by sip_msg_parse (the
 * parse is counted: it is part of receiving). The clock is the manual one, so no
 * timer fires while transactions are created and answered; the transport is a sink
 * that counts bytes (the network is not what is measured here).
 *   create:    parse + sip_txn_layer_recv of an INVITE (new server transaction) and
 *              parse + sip_txn_client_alloc of an OPTIONS (new client transaction)
 *   match+respond: server: a retransmitted INVITE (matched, absorbed), the TU's 486
 *              (sip_txn_respond), the ACK (matched: Confirmed); client: the 200
 *              response (matched: Completed)
 *   terminate: the clock jumps 40 s; Timers I and K fire and free everything
 * Built by bench/CMakeLists.txt (every bench/<name>.c) as build/bench/bench_txn.
 * Times are process CPU time (user + system, CLOCK_PROCESS_CPUTIME_ID).
 * Memory per live transaction: mallinfo2() in-use bytes (uordblks + hblkhd) after
 * creation minus before, divided by the live count. It includes the parsed request
 * each transaction keeps (the parser's one block), the transaction, its timers and
 * the hash buckets. Usage: bench_txn [N] (default 100000 of each kind). */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/msg.h"
#include "siphon/txn.h"

static size_t sent_bytes, sent_msgs;

static int sink_send(void *arg, const struct sip_txn_dest *dst, const char *buf, size_t len, uint64_t *conn_id)
{
	(void)arg;
	(void)conn_id;
	(void)dst;
	(void)buf;
	sent_bytes += len;
	sent_msgs++;
	return 0;
}

static struct sip_txn **servers;
static size_t nservers;

static void on_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	(void)req;
	(void)cancelled;
	(void)arg;
	servers[nservers++] = st;
}

/* Process CPU time: the machine is shared, so wall time would measure the others. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t mem_in_use(void)
{
	struct mallinfo2 mi = mallinfo2();
	return mi.uordblks + mi.hblkhd;
}

static struct sip_msg *parse_or_die(const char *buf, int len)
{
	struct sip_msg *m;
	struct sip_parse_error perr;

	if (len <= 0 || sip_msg_parse(&m, buf, (size_t)len, NULL, &perr) != 0) {
		fprintf(stderr, "bench_txn: parse failed: %s\n", perr.reason);
		exit(1);
	}
	return m;
}

static int fmt_req(char *b, size_t sz, const char *method, const char *kind, size_t i, const char *to_tag)
{
	return snprintf(b, sz,
			"%s sip:bob@127.0.0.1:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK%s%zu;rport\r\n"
			"Max-Forwards: 70\r\n"
			"From: \"Alice\" <sip:alice@127.0.0.1:5070>;tag=f%zu\r\n"
			"To: <sip:bob@127.0.0.1:5060>%s%s\r\n"
			"Call-ID: %s%zu@127.0.0.1\r\n"
			"CSeq: 1 %s\r\n"
			"Contact: <sip:alice@127.0.0.1:5070>\r\n"
			"User-Agent: bench_txn\r\n"
			"Content-Length: 0\r\n\r\n",
			method, kind, i, i, to_tag ? ";tag=" : "", to_tag ? to_tag : "", kind, i, method);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
	struct sip_timers ts;
	struct sip_txn_layer *l;
	struct sip_txn_transport tp = { .send = sink_send };
	struct sip_txn_tu tu = { .request = on_request };
	struct sip_txn_dest peer = { .proto = SIP_TXN_UDP };
	char buf[2048];
	int len;

	if (!n)
		return 2;
	peer.addr.in.sin_family = AF_INET;
	peer.addr.in.sin_port = htons(5060);
	peer.addr.in.sin_addr.s_addr = htonl(0x7f000001);
	servers = calloc(n, sizeof(*servers));
	if (!servers)
		return 1;
	sip_timers_init_manual(&ts, 0);
	if (sip_txn_layer_alloc(&l, &ts, &tp, &tu, NULL) != 0)
		return 1;

	/* What one kept request costs on its own (the parser's block). */
	size_t m0 = mem_in_use();
	struct sip_msg *probe[1000];
	for (size_t i = 0; i < 1000; i++) {
		len = fmt_req(buf, sizeof(buf), "INVITE", "probe", i, NULL);
		probe[i] = parse_or_die(buf, len);
	}
	size_t per_msg = (mem_in_use() - m0) / 1000;
	for (size_t i = 0; i < 1000; i++)
		sip_msg_free(probe[i]);

	size_t mem0 = mem_in_use();
	double t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		len = fmt_req(buf, sizeof(buf), "INVITE", "srv", i, NULL);
		struct sip_txn_dest src = peer;
		src.addr.in.sin_port = htons(5070);
		if (sip_txn_layer_recv(l, parse_or_die(buf, len), &src) != 0)
			return 1;
		len = fmt_req(buf, sizeof(buf), "OPTIONS", "cli", i, NULL);
		struct sip_msg *req = parse_or_die(buf, len);
		struct sip_txn *ct;
		if (sip_txn_client_alloc(&ct, l, req, &peer, NULL, NULL) != 0)
			return 1;
	}
	double t1 = now_s();
	size_t live = sip_txn_layer_count(l);
	size_t timers = ts.count;
	size_t mem1 = mem_in_use();
	if (live != 2 * n || nservers != n) {
		fprintf(stderr, "bench_txn: %zu live, want %zu\n", live, 2 * n);
		return 1;
	}

	for (size_t i = 0; i < n; i++) {
		struct sip_txn_dest src = peer;
		src.addr.in.sin_port = htons(5070);
		len = fmt_req(buf, sizeof(buf), "INVITE", "srv", i, NULL);
		sip_txn_layer_recv(l, parse_or_die(buf, len), &src);
		len = snprintf(buf, sizeof(buf),
			       "SIP/2.0 486 Busy Here\r\n"
			       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKsrv%zu;rport=5070;received=127.0.0.1\r\n"
			       "From: \"Alice\" <sip:alice@127.0.0.1:5070>;tag=f%zu\r\n"
			       "To: <sip:bob@127.0.0.1:5060>;tag=uas%zu\r\n"
			       "Call-ID: srv%zu@127.0.0.1\r\n"
			       "CSeq: 1 INVITE\r\n"
			       "Content-Length: 0\r\n\r\n",
			       i, i, i, i);
		if (sip_txn_respond(servers[i], buf, (size_t)len) != 0)
			return 1;
		char tag[32];
		snprintf(tag, sizeof(tag), "uas%zu", i);
		len = fmt_req(buf, sizeof(buf), "ACK", "srv", i, tag);
		sip_txn_layer_recv(l, parse_or_die(buf, len), &src);
		if (sip_txn_state(servers[i]) != SIP_TXN_CONFIRMED) {
			fprintf(stderr, "bench_txn: server %zu not Confirmed\n", i);
			return 1;
		}
		len = snprintf(buf, sizeof(buf),
			       "SIP/2.0 200 OK\r\n"
			       "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKcli%zu;rport=5070\r\n"
			       "From: \"Alice\" <sip:alice@127.0.0.1:5070>;tag=f%zu\r\n"
			       "To: <sip:bob@127.0.0.1:5060>;tag=r%zu\r\n"
			       "Call-ID: cli%zu@127.0.0.1\r\n"
			       "CSeq: 1 OPTIONS\r\n"
			       "Content-Length: 0\r\n\r\n",
			       i, i, i, i);
		sip_txn_layer_recv(l, parse_or_die(buf, len), &peer);
	}
	double t2 = now_s();
	sip_timers_advance(&ts, 40000);
	double t3 = now_s();
	if (sip_txn_layer_count(l) != 0 || ts.count != 0) {
		fprintf(stderr, "bench_txn: %zu transactions left\n", sip_txn_layer_count(l));
		return 1;
	}
	sip_txn_layer_free(l);
	free(servers);

	double total = t3 - t0;
	printf("bench_txn: %zu server INVITE + %zu client OPTIONS transactions over a sink UDP transport\n", n, n);
	printf("create (parse + new transaction): %.3f s CPU, %.0f transactions/s\n", t1 - t0, (double)live / (t1 - t0));
	printf("match + respond (retransmission, 486, ACK / 200): %.3f s CPU, %.0f transactions/s\n", t2 - t1,
	       (double)live / (t2 - t1));
	printf("terminate (Timers I and K fire, free): %.3f s CPU, %.0f transactions/s\n", t3 - t2,
	       (double)live / (t3 - t2));
	printf("active timers with every transaction live: %zu (100 Trying delay, Timers E and F)\n", timers);
	printf("sent: %zu messages, %zu bytes\n", sent_msgs, sent_bytes);
	printf("memory: %zu live transactions, %zu bytes each (mallinfo2 uordblks+hblkhd delta), "
	       "of which %zu is the kept parsed request\n",
	       live, (mem1 - mem0) / live, per_msg);
	printf("transactions per second (create + match + respond + terminate): %.0f; bytes per live transaction: %zu\n",
	       (double)live / total, (mem1 - mem0) / live);
	return 0;
}

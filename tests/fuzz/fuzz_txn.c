/* libFuzzer target: the transaction layer fed hostile message sequences.
 *
 * Input: byte 0 picks the transport (bit 0: TCP, else UDP), the status the TU
 * answers new requests with (bits 1-3: none, 100, 180, 200, 302, 486, 503, 603) and
 * whether the first message starts a client transaction (bit 4). The rest is split
 * at "\n--\n" into messages; each one that parses is received by the layer, and the
 * manual clock advances by (first byte of the chunk * 100) ms between them, so
 * every timer path runs. At the end the clock jumps far enough for every timer
 * to fire. The transport double and the TU check that every event belongs to a
 * live transaction and that TERMINATED comes once. Crashes, sanitizer reports and
 * those checks are the findings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int codes[8] = { 0, 100, 180, 200, 302, 486, 503, 603 };

struct fz {
	struct sip_timers ts;
	struct sip_txn_layer *l;
	int code;
	size_t live;       /* transactions the TU was told of and not yet TERMINATED */
	size_t sent;
};

static int fz_send(void *arg, const struct sip_txn_dest *dst, const char *buf, size_t len, uint64_t *conn_id)
{
	struct fz *f = arg;

	(void)dst;
	(void)conn_id;
	if (!buf || !len)
		abort();
	f->sent++;
	return 0;
}

static void fz_event(struct sip_txn *t, const struct sip_txn_event *ev, void *arg)
{
	struct fz *f = arg;

	if (!t || !ev)
		abort();
	if ((ev->type == SIP_TXN_EV_RESPONSE || ev->type == SIP_TXN_EV_ACK) && !ev->msg)
		abort();
	if (ev->type == SIP_TXN_EV_TERMINATED) {
		if (!f->live || sip_txn_state(t) != SIP_TXN_TERMINATED)
			abort();
		f->live--;
	}
}

static void fz_request(struct sip_txn *st, struct sip_msg *req, struct sip_txn *cancelled, void *arg)
{
	struct fz *f = arg;
	char buf[64];

	(void)req;
	if (cancelled && (sip_txn_is_client(cancelled) || !sip_txn_is_invite(cancelled)))
		abort();
	f->live++;
	sip_txn_set_cb(st, fz_event, f);
	if (f->code) {
		int n = snprintf(buf, sizeof(buf), "SIP/2.0 %d X\r\nContent-Length: 0\r\n\r\n", f->code);
		sip_txn_respond(st, buf, (size_t)n);
	}
}

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end)
{
	for (; p + 4 <= end; p++) {
		if (memcmp(p, "\n--\n", 4) == 0)
			return p;
	}
	return end;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { 0 };
	struct sip_txn_transport tp = { .send = fz_send, .arg = &f };
	struct sip_txn_tu tu = { .request = fz_request, .arg = &f };
	struct sip_txn_dest src = { 0 };
	bool first = true;

	if (size < 1)
		return 0;
	src.proto = (data[0] & 1) ? SIP_TXN_TCP : SIP_TXN_UDP;
	src.addr.in.sin_family = AF_INET;
	src.addr.in.sin_port = htons(5070);
	src.addr.in.sin_addr.s_addr = htonl(0x7f000001);
	src.conn_id = (data[0] & 1) ? 1 : 0;
	f.code = codes[(data[0] >> 1) & 7];
	sip_timers_init_manual(&f.ts, 0);
	if (sip_txn_layer_alloc(&f.l, &f.ts, &tp, &tu, NULL) != 0)
		return 0;
	const uint8_t *p = data + 1, *end = data + size;
	while (p < end) {
		const uint8_t *sep = find_sep(p, end);
		struct sip_msg *m;
		if (sip_msg_parse(&m, (const char *)p, (size_t)(sep - p), NULL, NULL) == 0) {
			struct sip_txn *t;
			if (first && (data[0] & 16) && m->is_request &&
			    sip_txn_client_alloc(&t, f.l, m, &src, fz_event, &f) == 0) {
				f.live++;
			} else {
				sip_txn_layer_recv(f.l, m, &src);
			}
		}
		first = false;
		sip_timers_advance(&f.ts, (uint64_t)p[0] * 100);
		p = sep + (sep < end ? 4 : 0);
	}
	sip_timers_advance(&f.ts, 600000);
	/* What is left can only be waiting for the TU (a server transaction it never
	 * answered) or for the peer (an INVITE client in Proceeding). */
	if (sip_txn_layer_count(f.l) > f.live)
		abort();
	sip_txn_layer_free(f.l);
	return 0;
}

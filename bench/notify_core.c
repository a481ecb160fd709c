/* Events notifier fan-out: one presentity with N subscriptions (default 10,000),
 * then PUBLISHes that change its state. Measures the time from handing the PUBLISH
 * to the core until every NOTIFY exists as serialized bytes (PIDF parse, composition,
 * and N NOTIFYs built), and the heap bytes per subscription (mallinfo2 around the
 * subscribe phase). Transport-free: the send callback only counts bytes.
 * Usage: bench_notify_core [subscriptions] [rounds]. Last line: the median time. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "siphon/build.h"
#include "siphon/events.h"
#include "siphon/msg.h"

struct counts {
	size_t notifies, bytes, with_body;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t clock_now(void *arg)
{
	(void)arg;
	return 1000000;
}

static void on_notify(void *arg, const struct sip_events_notify *n)
{
	struct counts *c = arg;

	c->notifies++;
	c->bytes += n->msg.len;
	c->with_body += n->has_body;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int request(struct sip_events *ev, bool subscribe, const char *text, size_t len)
{
	struct sip_msg *m;
	struct sip_parse_error perr;
	struct sip_events_req req = { .transport = SIP_STR("UDP"), .local = SIP_STR("192.0.2.1:5060") };
	struct sip_out *o = NULL;
	int err = sip_msg_parse(&m, text, len, NULL, &perr);

	if (err)
		return err;
	req.msg = m;
	err = subscribe ? sip_events_subscribe(ev, &o, &req) : sip_events_publish(ev, &o, &req);
	sip_out_free(o);
	sip_msg_free(m);
	return err;
}

int main(int argc, char **argv)
{
	long nsubs = argc > 1 ? atol(argv[1]) : 10000;
	int rounds = argc > 2 ? atoi(argv[2]) : 7;
	struct counts c = { 0 };
	struct sip_events_config cfg = { .contact = SIP_STR("<sip:ps.example.com:5060>") };
	struct sip_events_ops ops = { .now = clock_now, .send_notify = on_notify, .arg = &c };
	struct sip_events *ev;
	struct mallinfo2 before, after;
	double *times, t;
	char buf[2048];
	int len;

	if (nsubs <= 0 || rounds <= 0 || rounds > 1000)
		return 2;
	times = calloc((size_t)rounds, sizeof(*times));
	if (!times || sip_events_alloc(&ev, &cfg, &ops))
		return 1;
	before = mallinfo2();
	t = now_s();
	for (long i = 0; i < nsubs; i++) {
		len = snprintf(buf, sizeof(buf),
			       "SUBSCRIBE sip:bob@example.com SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 10.0.%ld.%ld:5060;branch=z9hG4bKs%ld\r\n"
			       "Max-Forwards: 70\r\n"
			       "From: <sip:watcher%ld@example.com>;tag=w%ld\r\n"
			       "To: <sip:bob@example.com>\r\n"
			       "Call-ID: sub-%ld@10.0.0.1\r\n"
			       "CSeq: 1 SUBSCRIBE\r\n"
			       "Contact: <sip:watcher%ld@10.0.%ld.%ld:5060>\r\n"
			       "Event: presence\r\n"
			       "Expires: 3600\r\n"
			       "Accept: application/pidf+xml\r\n"
			       "Content-Length: 0\r\n\r\n",
			       i / 250, i % 250, i, i, i, i, i, i / 250, i % 250);
		if (request(ev, true, buf, (size_t)len)) {
			fprintf(stderr, "subscribe %ld failed\n", i);
			return 1;
		}
	}
	t = now_s() - t;
	after = mallinfo2();
	printf("subscriptions: %zu (created in %.3f s, %.1f us each, including parsing and the initial NOTIFY)\n",
	       sip_events_sub_count(ev), t, t * 1e6 / (double)nsubs);
	printf("memory per subscription: %.0f bytes (heap in use %zu -> %zu)\n",
	       (double)(after.uordblks - before.uordblks) / (double)nsubs, before.uordblks, after.uordblks);
	for (int r = 0; r < rounds; r++) {
		const char *basic = r % 2 ? "open" : "closed";
		char body[512];
		int blen = snprintf(body, sizeof(body),
				    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				    "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:bob@example.com\">"
				    "<tuple id=\"t1\"><status><basic>%s</basic></status>"
				    "<contact>sip:bob@pc.example.com</contact><note>round %d</note></tuple></presence>",
				    basic, r);

		len = snprintf(buf, sizeof(buf),
			       "PUBLISH sip:bob@example.com SIP/2.0\r\n"
			       "Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKp%d\r\n"
			       "Max-Forwards: 70\r\n"
			       "From: <sip:bob@example.com>;tag=p%d\r\n"
			       "To: <sip:bob@example.com>\r\n"
			       "Call-ID: pub-%d@192.0.2.20\r\n"
			       "CSeq: 1 PUBLISH\r\n"
			       "Event: presence\r\n"
			       "Expires: 3600\r\n"
			       "Content-Type: application/pidf+xml\r\n"
			       "Content-Length: %d\r\n\r\n%s",
			       r, r, r, blen, body);
		c = (struct counts){ 0 };
		t = now_s();
		if (request(ev, false, buf, (size_t)len))
			return 1;
		times[r] = now_s() - t;
		if (c.notifies != (size_t)nsubs || c.with_body != (size_t)nsubs) {
			fprintf(stderr, "round %d: %zu NOTIFYs, %zu with body\n", r, c.notifies, c.with_body);
			return 1;
		}
		printf("round %d: %zu NOTIFYs, %zu bytes, %.2f ms\n", r, c.notifies, c.bytes, times[r] * 1e3);
	}
	qsort(times, (size_t)rounds, sizeof(*times), cmp_double);
	printf("min %.2f ms, max %.2f ms, %.0f NOTIFY/s at the median\n", times[0] * 1e3, times[rounds - 1] * 1e3,
	       (double)nsubs / times[rounds / 2]);
	printf("one PUBLISH to %ld subscribers, all NOTIFYs serialized: %.2f ms (median of %d)\n", nsubs,
	       times[rounds / 2] * 1e3, rounds);
	sip_events_free(ev);
	free(times);
	return 0;
}

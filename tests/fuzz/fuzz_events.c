/* libFuzzer target for the events notifier core: the input holds up to 6 SIP
 * messages separated by NUL bytes, fed in order to one fresh notifier (SUBSCRIBE
 * and PUBLISH go to the core, the clock moves 100 s between messages). "$T" in a
 * message is replaced by the last To tag the core handed out and "$E" by the last
 * SIP-ETag it produced, so in-dialog refreshes, conditions and PUBLISH updates are
 * reached. Oracles: no crash or sanitizer report, every response and NOTIFY the
 * core writes parses back, and the dialog/PIDF state stays consistent through
 * the feed APIs. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/build.h"
#include "siphon/events.h"
#include "siphon/msg.h"

struct fz {
	int64_t now;
	char totag[64];
	char etag[64];
};

static int64_t fz_now(void *arg)
{
	return ((struct fz *)arg)->now;
}

static void keep_etag(struct fz *z, struct sip_msg *m)
{
	struct sip_str t;

	if (sip_msg_etag(m, SIP_HDR_SIP_ETAG, &t) == 0)
		sip_str_copy(z->etag, sizeof(z->etag), t);
}

static void fz_notify(void *arg, const struct sip_events_notify *n)
{
	struct fz *z = arg;
	struct sip_msg *m;
	struct sip_parse_error perr;

	/* What we send must be a message we can read. */
	if (sip_msg_parse(&m, n->msg.p, n->msg.len, NULL, &perr))
		abort();
	keep_etag(z, m);
	if (n->has_body && !sip_msg_has(m, SIP_HDR_CONTENT_TYPE))
		abort();
	sip_msg_free(m);
}

static void feed(struct sip_events *ev, struct fz *z, const char *p, size_t n)
{
	char buf[8192];
	size_t len = 0;
	struct sip_msg *m, *rm;
	struct sip_parse_error perr;
	struct sip_events_req req = { .transport = SIP_STR("UDP"), .local = SIP_STR("192.0.2.1:5060") };
	struct sip_out *o = NULL;
	struct sip_buf b = SIP_BUF_INIT;
	int err;

	for (size_t i = 0; i < n && len < sizeof(buf) - 64; i++) {
		if (p[i] == '$' && i + 1 < n && (p[i + 1] == 'T' || p[i + 1] == 'E')) {
			const char *s = p[i + 1] == 'T' ? z->totag : z->etag;
			size_t sl = strlen(s);

			memcpy(buf + len, s, sl);
			len += sl;
			i++;
			continue;
		}
		buf[len++] = p[i];
	}
	if (sip_msg_parse(&m, buf, len, NULL, &perr))
		return;
	req.msg = m;
	if (m->is_request && m->method == SIP_METHOD_SUBSCRIBE)
		err = sip_events_subscribe(ev, &o, &req);
	else if (m->is_request && m->method == SIP_METHOD_PUBLISH)
		err = sip_events_publish(ev, &o, &req);
	else
		err = -1;
	if (!err) {
		if (sip_out_serialize(o, &b) || sip_msg_parse(&rm, b.p, b.len, NULL, &perr))
			abort();
		if (rm->status >= 200 && rm->status < 300) {
			const struct sip_addr *to;

			if (sip_msg_to(rm, &to) == 0 && to->tag.len)
				sip_str_copy(z->totag, sizeof(z->totag), to->tag);
			keep_etag(z, rm);
		}
		sip_msg_free(rm);
		sip_out_free(o);
	}
	sip_buf_free(&b);
	sip_msg_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { .now = 1000000 };
	struct sip_events_config cfg = { .contact = SIP_STR("<sip:ps.example.com>") };
	struct sip_events_ops ops = { .now = fz_now, .send_notify = fz_notify, .arg = &z };
	struct sip_events *ev;
	const char *p = (const char *)data;
	size_t start = 0;
	int count = 0;

	if (sip_events_alloc(&ev, &cfg, &ops))
		return 0;
	for (size_t i = 0; i <= size && count < 6; i++) {
		if (i == size || p[i] == '\0') {
			if (i > start)
				feed(ev, &z, p + start, i - start);
			start = i + 1;
			count++;
			z.now += 100;
			sip_events_run_timers(ev);
		}
	}
	{
		/* The feed APIs on whatever resource the input named. */
		struct sip_events_dialog d = { .id = SIP_STR("f1"), .state = SIP_EVENTS_DLG_CONFIRMED };
		struct sip_events_mwi mw = { .new_msgs = 1 };

		(void)sip_events_dialog_update(ev, SIP_STR("sip:bob@example.com"), &d);
		(void)sip_events_mwi_set(ev, SIP_STR("sip:bob@example.com"), &mw);
	}
	z.now += 100000;
	sip_events_run_timers(ev);
	sip_events_free(ev);
	return 0;
}

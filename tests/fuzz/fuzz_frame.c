/* libFuzzer target: sip_msg_frame on a byte stream fed incrementally, split at
 * points derived from the input itself, following the last_len contract of
 * msg.h. Each step must agree with one-shot framing of the whole input: before
 * the message end only SIP_EINCOMPLETE (or, for a broken stream, the same error),
 * from the message end on the same (skip, msg_len). A framed message is then
 * given to sip_msg_parse, which must not crash. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "siphon/err.h"
#include "siphon/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct sip_limits lim = { 4096, 0, 0, 0 };
	struct sip_parse_error e1 = { 0, NULL, 0 }, e2 = { 0, NULL, 0 };
	size_t skip1 = 0, ml1 = 0, skip2, ml2, len = 0, last = 0;
	uint32_t h = 2166136261u;
	int r1, r2 = SIP_EINCOMPLETE;

	r1 = sip_msg_frame(buf, size, 0, &lim, &skip1, &ml1, &e1);
	if (r1 != 0 && r1 != SIP_EINCOMPLETE && r1 != SIP_EPARSE && r1 != SIP_ETOOBIG)
		abort();
	if (r1 == 0 && skip1 + ml1 > size)
		abort();
	if ((r1 == SIP_EPARSE || r1 == SIP_ETOOBIG) && (!e1.reason || e1.status < 400))
		abort();

	for (size_t i = 0; i < size; i++)
		h = (h ^ data[i]) * 16777619u;
	while (len < size) {
		/* Steps of 1..16 bytes, sometimes a big jump. */
		h = h * 1103515245u + 12345u;
		len += (h >> 16) % 7 == 0 ? 1 + (h >> 8) % 200 : 1 + (h >> 20) % 16;
		if (len > size)
			len = size;
		r2 = sip_msg_frame(buf, len, last, &lim, &skip2, &ml2, &e2);
		if (r1 == 0 && len >= skip1 + ml1) {
			if (r2 != 0 || skip2 != skip1 || ml2 != ml1)
				abort();
			break;
		}
		if (r2 == 0)
			abort(); /* whole message before one-shot framing found one */
		if (r2 != SIP_EINCOMPLETE) {
			if (r2 != r1 || e2.status != e1.status || strcmp(e2.reason, e1.reason))
				abort();
			break;
		}
		if (r1 == 0 && ml2 && ml2 != ml1)
			abort();
		last = ml2 ? 0 : len;
	}
	if (len == size && r1 == SIP_EINCOMPLETE && r2 != SIP_EINCOMPLETE)
		abort();
	if (r1 == 0) {
		struct sip_msg *m;
		if (sip_msg_parse(&m, buf + skip1, ml1, NULL, &e2) == 0) {
			if (m->body.len > ml1)
				abort();
			sip_msg_free(m);
		}
	}
	return 0;
}

/* libFuzzer target: `siphon call`'s SDP answerer (src/cli/call_sdp.c) on offers
 * from the network (a re-INVITE, an UPDATE, a 2xx): any bytes must give an answer,
 * 0 accepted streams or SIP_EPARSE, never a read outside the input. The input is
 * copied to an exact-size heap block so ASan sees any overrun. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "call_sdp.h"
#include "siphon/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct call_sdp s = { .ip = "192.0.2.1", .sess_id = 1, .version = 1 };
	struct sip_buf b = SIP_BUF_INIT;
	char *copy = malloc(size ? size : 1);
	bool hold = false;
	int n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	n = call_sdp_answer(&s, &b, (struct sip_str){ copy, size }, &hold);
	if (n != SIP_EPARSE && n < 0 && n != -ENOMEM)
		abort();
	if (n > 0 && !call_sdp_answer_ok(sip_buf_str(&b)))
		abort(); /* an answer with an accepted stream must read back as one */
	(void)call_sdp_answer_ok((struct sip_str){ copy, size });
	sip_buf_free(&b);
	free(copy);
	return 0;
}

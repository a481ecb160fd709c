/* The session descriptions of `siphon call` (RFC 4566 SDP, RFC 3264 offer/answer):
 * one audio stream offering PCMU, PCMA and telephone-event, and the answer to an
 * offer the callee makes in a re-INVITE, an UPDATE (RFC 3311) or a 2xx to a
 * re-INVITE without a body. No media engine runs: the port is only named. */
#ifndef SIPHON_CLI_CALL_SDP_H
#define SIPHON_CLI_CALL_SDP_H

#include <stdbool.h>
#include <stdint.h>

#include "siphon/buf.h"
#include "siphon/str.h"

/* The origin of every description of one call: RFC 3264 8 keeps the session id
 * and increments the version by one for each new description. */
struct call_sdp {
	char ip[64];       /* the local address (IPv6 when it has a ':') */
	uint64_t sess_id;
	uint64_t version;  /* the version of the last description made */
};

/* Our offer (a new version after the first) into b. 0 or -ENOMEM. */
int call_sdp_offer(struct call_sdp *s, struct sip_buf *b, bool first);

/* The answer to offer (RFC 3264 6): one m-line for each of the offer's, in order;
 * an RTP/AVP audio stream with PCMU or PCMA in common is accepted with those
 * formats (and the offer's telephone-event), its direction mirrored (6.1); any
 * other stream is rejected with port 0. The number of accepted streams, 0 when
 * none (b then holds nothing worth sending: the caller answers 488), or SIP_EPARSE
 * when offer is not SDP (no v= line or no m= line), -ENOMEM. *hold is set when the
 * offer puts the accepted stream on hold (sendonly / inactive, or c= 0.0.0.0). */
int call_sdp_answer(struct call_sdp *s, struct sip_buf *b, struct sip_str offer, bool *hold);

/* Is the answer (to our offer) an SDP with at least one accepted stream? */
bool call_sdp_answer_ok(struct sip_str answer);

#endif

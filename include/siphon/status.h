/* siphon msg layer: the SIP response-code catalogue.
 *
 * Every code of the IANA SIP response-code registry with its reason phrase and an
 * explanation (meaning, when you see it, what to do, protocol consequences), in
 * every locale data/status/ carries. The C table is generated from data/ by
 * scripts/gen_status.py; do not edit src/msg/status_table.c by hand. */
#ifndef SIPHON_STATUS_H
#define SIPHON_STATUS_H

#include <stdbool.h>

/* Reason phrase of a code: the registry's phrase for a registered code, else the
 * phrase of its class ("Bad Request" semantics for an unknown 4xx, RFC 3261 8.1.3.2)
 * for 100..699, else "Unknown". Never NULL. */
const char *sip_status_phrase(int code);

#endif

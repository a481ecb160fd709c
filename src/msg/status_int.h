/* Private to the msg layer: the shape of the generated response-code table
 * (src/msg/status_table.c, written by scripts/gen_status.py from data/status/). */
#ifndef SIPHON_MSG_STATUS_INT_H
#define SIPHON_MSG_STATUS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siphon/status.h"

/* Canonical, non-translatable facts of one registered code (or of one class). */
struct status_row {
	uint16_t code;       /* for a class row: the class digit */
	uint16_t treated_as; /* for a class row: the code an unknown one is treated as */
	uint8_t senders;     /* enum sip_status_sender bits */
	uint8_t proxy;       /* enum sip_status_proxy */
	bool in_dialog;
	bool deprecated;
	const char *phrase;
	const char *rfc;
	const char *section;
	const char *methods; /* "*" or space-separated method names */
	const char *headers; /* comma-separated header names, or "" */
};

/* The texts of one code (or class) in one locale; proxy is NULL when the code has
 * no note of its own and the locale's text for its proxy role applies. */
struct status_text {
	const char *description;
	const char *when;
	const char *action;
	const char *receiver;
	const char *proxy;
};

struct sip_status_locale {
	const char *name;
	const char *native;
	const char *labels[SIP_STATUS_L__COUNT];
	const char *class_names[7]; /* [0] unused */
	const char *outcomes[SIP_STATUS_OUTCOME__COUNT];
	const char *senders[SIP_STATUS_SENDER__COUNT]; /* by bit index */
	const char *proxy_roles[SIP_STATUS_PROXY__COUNT];
	const struct status_text *codes;   /* parallel to status_rows */
	const struct status_text *classes; /* [7], [0] unused */
};

extern const struct status_row status_rows[];
extern const size_t status_row_count;
extern const struct status_row status_class_rows[7];
/* status_index[code] is the row index + 1 of a registered code, 0 otherwise: the
 * O(1) lookup sip_status_phrase needs on every response built. */
extern const uint8_t status_index[SIP_STATUS_MAX + 1];
extern const struct sip_status_locale status_locales[];
extern const size_t status_locale_count;

#endif

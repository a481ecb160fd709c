/* Private to the dialog layer. */
#ifndef SIPHON_DIALOG_INT_H
#define SIPHON_DIALOG_INT_H

#include <stdint.h>

#include "siphon/dialog.h"

/* One route set entry (12.1.1): the value as written in Route ("<uri>;params")
 * and the URI inside it; both borrow from the dialog's fixed block. */
struct sip_dialog_route {
	struct sip_str value;
	struct sip_str uri;
	bool lr;
};

/* A fresh initial local sequence number (8.1.1.5): 1 .. 2**30. */
uint32_t sip_dialog_initial_cseq(void);

#endif

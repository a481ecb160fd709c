/* Private to the proxy core. */
#ifndef SIPHON_PROXY_INT_H
#define SIPHON_PROXY_INT_H

#include "siphon/proxy.h"

#define PROXY_TIMER_C_DEFAULT_MS 180500u  /* 16.6 item 11: more than 3 minutes */
#define PROXY_DECLINE_WAIT_DEFAULT_MS 4000u

#endif

/* Error codes to text. */
#include <string.h>

#include "siphon/err.h"

const char *sip_strerror(int err)
{
	switch (err) {
	case 0: return "success";
	case SIP_EINCOMPLETE: return "incomplete message";
	case SIP_EPARSE: return "malformed input";
	case SIP_ETOOBIG: return "limit exceeded";
	case SIP_ENOTFOUND: return "not found";
	case SIP_ETIMEOUT: return "timed out";
	case SIP_ETRANSPORT: return "transport error";
	case SIP_ETLSVERIFY: return "TLS certificate verify failed";
	default: break;
	}
	if (err < 0 && err > SIP_ERR_BASE)
		return strerror(-err);
	return "unknown error";
}

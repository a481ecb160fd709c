/* libFuzzer target: the DNS answer parsers of src/net/dns.c (NAPTR and SRV RDATA
 * are read there by hand; the rest is libresolv's ns_initparse/ns_parserr and
 * dn_expand) on arbitrary packets, then the RFC 2782 / RFC 3403 orderings of what
 * they found. A count over the limit, a name without its NUL, an order that is not
 * sorted, or a record lost by the SRV shuffle aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "siphon/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void terminated(const char *s, size_t size)
{
	if (!memchr(s, '\0', size))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_dns_naptr nv[SIP_DNS_MAX_RR];
	struct sip_dns_srv sv[SIP_DNS_MAX_RR];
	struct sip_net_addr av[8];
	size_t n = 99, i;

	if (sip_dns_parse_naptr(nv, SIP_DNS_MAX_RR, &n, data, size) == 0) {
		if (n > SIP_DNS_MAX_RR)
			abort();
		for (i = 0; i < n; i++) {
			terminated(nv[i].flags, sizeof(nv[i].flags));
			terminated(nv[i].service, sizeof(nv[i].service));
			terminated(nv[i].replacement, sizeof(nv[i].replacement));
		}
		sip_dns_naptr_order(nv, n);
		for (i = 1; i < n; i++)
			if (nv[i - 1].order > nv[i].order ||
			    (nv[i - 1].order == nv[i].order && nv[i - 1].pref > nv[i].pref))
				abort();
	}
	n = 99;
	if (sip_dns_parse_srv(sv, SIP_DNS_MAX_RR, &n, data, size) == 0) {
		uint64_t rng = size, wsum = 0, wsum2 = 0;
		if (n > SIP_DNS_MAX_RR)
			abort();
		for (i = 0; i < n; i++) {
			terminated(sv[i].target, sizeof(sv[i].target));
			wsum += sv[i].weight * 131u + sv[i].port;
		}
		sip_dns_srv_order(sv, n, &rng);
		for (i = 0; i < n; i++)
			wsum2 += sv[i].weight * 131u + sv[i].port;
		if (wsum != wsum2)
			abort();
		for (i = 1; i < n; i++)
			if (sv[i - 1].priority > sv[i].priority)
				abort();
	}
	for (int f = 0; f < 2; f++) {
		n = 99;
		if (sip_dns_parse_addr(av, 8, &n, data, size, f ? AF_INET6 : AF_INET, 5060) == 0) {
			if (n > 8)
				abort();
			for (i = 0; i < n; i++)
				if (av[i].u.sa.sa_family != (f ? AF_INET6 : AF_INET) || sip_net_addr_port(&av[i]) != 5060)
					abort();
		}
	}
	return 0;
}

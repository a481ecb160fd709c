/* The glue between the transaction layer's destinations (include/siphon/txn.h,
 * which knows nothing of sockets' owners) and the transports of src/net
 * (include/siphon/net.h). Every user of both (the server, the toolkit UA, the
 * services, the txn test peer) converts the same way; header-only, so neither
 * library depends on the other. */
#ifndef SIPHON_TXN_NET_H
#define SIPHON_TXN_NET_H

#include <string.h>

#include "siphon/net.h"
#include "siphon/txn.h"

static inline enum sip_tp sip_txn_proto_tp(enum sip_txn_proto p)
{
	switch (p) {
	case SIP_TXN_UDP: return SIP_TP_UDP;
	case SIP_TXN_TCP: return SIP_TP_TCP;
	case SIP_TXN_TLS: return SIP_TP_TLS;
	case SIP_TXN_WS: return SIP_TP_WS;
	case SIP_TXN_WSS: return SIP_TP_WSS;
	}
	return SIP_TP_NONE;
}

/* SIP_TP_NONE (no transport named) is UDP, RFC 3261 18.1.1's default. */
static inline enum sip_txn_proto sip_tp_txn_proto(enum sip_tp tp)
{
	switch (tp) {
	case SIP_TP_TCP: return SIP_TXN_TCP;
	case SIP_TP_TLS: return SIP_TXN_TLS;
	case SIP_TP_WS: return SIP_TXN_WS;
	case SIP_TP_WSS: return SIP_TXN_WSS;
	default: return SIP_TXN_UDP;
	}
}

/* d as a net destination: transport, address, connection, TLS name (lis unset). */
static inline void sip_txn_dest_to_net(struct sip_net_dest *nd, const struct sip_txn_dest *d)
{
	*nd = (struct sip_net_dest){ .tp = sip_txn_proto_tp(d->proto), .conn_id = d->conn_id };
	memcpy(&nd->remote.u, &d->addr, sizeof(nd->remote.u));
	if (d->tls_host)
		nd->tls_host = sip_str_from_cstr(d->tls_host);
}

/* A transaction destination for address a over tp (connection conn_id, 0: none). */
static inline void sip_txn_dest_set(struct sip_txn_dest *d, enum sip_tp tp, const struct sip_net_addr *a,
				    uint64_t conn_id)
{
	memset(d, 0, sizeof(*d));
	d->proto = sip_tp_txn_proto(tp);
	d->conn_id = conn_id;
	memcpy(&d->addr, &a->u, sizeof(d->addr));
}

/* The address of d as a net address. */
static inline void sip_txn_dest_addr(struct sip_net_addr *a, const struct sip_txn_dest *d)
{
	memset(a, 0, sizeof(*a));
	memcpy(&a->u, &d->addr, sizeof(a->u));
}

#endif

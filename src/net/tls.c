/* TLS (RFC 3261 26.2, OpenSSL 3) as a stream transport: the TCP socket stays
 * libuv's, OpenSSL only transforms bytes through a pair of memory BIOs, so the
 * framing, caps and timers of stream.c apply unchanged. */
#include <errno.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "net_int.h"
#include "siphon/err.h"
#include "siphon/log.h"

/* Log and drain OpenSSL's error queue (it is per thread and must not leak into
 * the next connection's diagnostics). */
static void tls_log_errors_at(enum sip_log_level lvl, const char *what)
{
	unsigned long e;
	char msg[256];

	while ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, msg, sizeof(msg));
		sip_log(lvl, "net", "tls %s: %s", what, msg);
	}
}

static void tls_log_errors(const char *what)
{
	tls_log_errors_at(SIP_LOG_WARN, what);
}

int sip_tls_ctx_init(struct sip_net *net, bool server)
{
	const struct sip_net_config *cfg = &net->cfg;
	SSL_CTX *ctx;

	if (server ? net->tls_server != NULL : net->tls_client != NULL)
		return 0;
	if (server && (!cfg->tls_cert_file || !cfg->tls_key_file)) {
		sip_log_error("net", "a tls listener needs a certificate and a key file");
		return -EINVAL;
	}
	ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	if (!ctx) {
		tls_log_errors("context");
		return -ENOMEM;
	}
	/* RFC 3261 26.2 asks for TLS; nothing older than 1.2 is safe today (RFC 8996). */
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (server) {
		if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1 ||
		    SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1 ||
		    SSL_CTX_check_private_key(ctx) != 1) {
			tls_log_errors("certificate/key");
			SSL_CTX_free(ctx);
			return -EINVAL;
		}
		net->tls_server = ctx;
		return 0;
	}
	/* RFC 3261 26.3.1, RFC 5922 7.3: the client authenticates the server, or
	 * closes the connection. The CAs: the configured ones alone, so that a test
	 * (or a private PKI) trusts exactly what it names; else the system's. */
	if (cfg->tls_no_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	} else {
		int ok = cfg->tls_ca_file || cfg->tls_ca_dir
				 ? SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_file, cfg->tls_ca_dir)
				 : SSL_CTX_set_default_verify_paths(ctx);

		if (ok != 1) {
			sip_log_error("net", "cannot load the TLS trust store %s%s%s",
				      cfg->tls_ca_file ? cfg->tls_ca_file : "",
				      cfg->tls_ca_file && cfg->tls_ca_dir ? " / " : "",
				      cfg->tls_ca_dir ? cfg->tls_ca_dir : "");
			tls_log_errors("CA file");
			SSL_CTX_free(ctx);
			return -EINVAL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	net->tls_client = ctx;
	return 0;
}

void sip_tls_ctx_free(struct sip_net *net)
{
	SSL_CTX_free(net->tls_server);
	SSL_CTX_free(net->tls_client);
	net->tls_server = net->tls_client = NULL;
}

/* The identity the server's certificate must carry (RFC 5922 7.3, RFC 6125):
 * the URI's host, a name (SNI and a dNSName) or an IP literal (an iPAddress),
 * else the IP we connect to. */
static int tls_set_identity(struct sip_conn *c)
{
	X509_VERIFY_PARAM *param = SSL_get0_param(c->ssl);
	bool verify = !c->net->cfg.tls_no_verify;
	char ip[SIP_NET_IPSTR + 2];
	struct sip_net_addr lit;
	const struct sip_net_addr *a = &c->remote;
	size_t n;

	if (c->tls_host && sip_net_addr_set(&lit, sip_str_from_cstr(c->tls_host), 0) != 0) {
		/* RFC 6066 3: SNI carries names only. */
		if (SSL_set_tlsext_host_name(c->ssl, c->tls_host) != 1)
			return -EINVAL;
		if (!verify)
			return 0;
		/* RFC 5922 7.2: the whole name, never a wildcard. */
		X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_WILDCARDS);
		return X509_VERIFY_PARAM_set1_host(param, c->tls_host, 0) == 1 ? 0 : -EINVAL;
	}
	if (!verify)
		return 0;
	if (c->tls_host)
		a = &lit;
	n = sip_net_addr_ip(ip, a);
	ip[n] = '\0';
	return X509_VERIFY_PARAM_set1_ip_asc(param, ip) == 1 ? 0 : -EINVAL;
}

static int tls_init(struct sip_conn *c, bool server)
{
	SSL_CTX *ctx = server ? c->net->tls_server : c->net->tls_client;

	if (!ctx)
		return -EINVAL;
	c->ssl = SSL_new(ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->rbio || !c->wbio) {
		SSL_free(c->ssl);
		BIO_free(c->rbio);
		BIO_free(c->wbio);
		c->ssl = NULL;
		c->rbio = c->wbio = NULL;
		return -ENOMEM;
	}
	SSL_set_bio(c->ssl, c->rbio, c->wbio); /* the SSL owns the BIOs now */
	if (server) {
		SSL_set_accept_state(c->ssl);
		return 0;
	}
	SSL_set_connect_state(c->ssl);
	return tls_set_identity(c);
}

/* Ship whatever OpenSSL wrote (handshake records, ciphertext) to the socket. */
static int tls_flush(struct sip_conn *c)
{
	char tmp[16384];
	int n, err;

	while ((n = BIO_read(c->wbio, tmp, sizeof(tmp))) > 0) {
		err = sip_conn_write_raw(c, tmp, (size_t)n);
		if (err < 0)
			return err;
	}
	return 0;
}

static int tls_handshake(struct sip_conn *c)
{
	int r = SSL_do_handshake(c->ssl), e, err;
	long vr;
	enum sip_log_level lvl;
	char where[SIP_NET_ADDRSTR];

	err = tls_flush(c);
	if (err < 0)
		return err;
	if (r == 1) {
		sip_conn_ready(c);
		return 0;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return 0;
	/* A peer failing to handshake with us is its problem (debug); us failing
	 * to reach a server is ours (warn), unless its certificate was refused: the
	 * caller gets that reason (SIP_ETLSVERIFY, sip_net_error_detail) to show. */
	sip_net_addr_format(where, &c->remote);
	if (!c->server && (vr = SSL_get_verify_result(c->ssl)) != X509_V_OK) {
		c->err_detail = X509_verify_cert_error_string(vr);
		sip_log_info("net", "tls handshake with %s failed: certificate verify failed: %s",
			     where, c->err_detail);
		tls_log_errors_at(SIP_LOG_DEBUG, "handshake");
		return SIP_ETLSVERIFY;
	}
	lvl = c->server ? SIP_LOG_DEBUG : SIP_LOG_WARN;
	sip_log(lvl, "net", "tls handshake with %s failed", where);
	tls_log_errors_at(lvl, "handshake");
	return -EPROTO;
}

static int tls_start(struct sip_conn *c)
{
	return tls_handshake(c);
}

static int tls_read(struct sip_conn *c, const char *buf, size_t len)
{
	char *plain = c->net->sbuf; /* buf is copied into the BIO before reuse */
	int n, e, err;

	if (BIO_write(c->rbio, buf, (int)len) != (int)len)
		return -ENOMEM;
	if (c->state == CONN_HANDSHAKE) {
		err = tls_handshake(c);
		if (err < 0 || c->state != CONN_READY)
			return err;
	}
	while (c->state == CONN_READY && !c->close_after_write) {
		n = SSL_read(c->ssl, plain, (int)c->net->sbuf_size);
		if (n <= 0) {
			e = SSL_get_error(c->ssl, n);
			if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
				break;
			if (e == SSL_ERROR_ZERO_RETURN) {
				sip_conn_close(c, 0); /* close_notify: an orderly end */
				return 0;
			}
			tls_log_errors_at(SIP_LOG_DEBUG, "read");
			return -EPROTO;
		}
		err = sip_conn_input(c, plain, (size_t)n);
		if (err < 0)
			return err;
	}
	/* SSL_read may have produced records of its own (alerts, key updates). */
	return c->state == CONN_CLOSING ? 0 : tls_flush(c);
}

static int tls_write(struct sip_conn *c, const char *buf, size_t len)
{
	int n;

	if (len == 0)
		return 0;
	n = SSL_write(c->ssl, buf, (int)len);
	if (n <= 0) {
		tls_log_errors("write");
		return SIP_ETRANSPORT;
	}
	return tls_flush(c);
}

static void tls_free(struct sip_conn *c)
{
	SSL_free(c->ssl);
	c->ssl = NULL;
}

const struct sip_transport_ops sip_tls_ops = {
	.tp = SIP_TP_TLS,
	.init = tls_init,
	.start = tls_start,
	.read = tls_read,
	.write = tls_write,
	.free = tls_free,
};

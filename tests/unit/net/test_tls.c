/* TLS transport (OpenSSL 3) with a certificate and key the test makes at run
 * time: both sides of siphon talk, the client verifies the server's certificate
 * against its IP; a wrong CA, a plaintext peer and a missing certificate fail
 * cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "nettest.h"

static char dir[64];
static char cert_path[128], key_path[128], other_cert_path[128], other_key_path[128];

static void add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(x, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A self-signed P-256 certificate for 127.0.0.1, ::1 and localhost. */
static void make_cert(const char *cert_file, const char *key_file, const char *cn)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
	add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,IP:::1,DNS:localhost");
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	f = fopen(cert_file, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	f = fopen(key_file, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(key);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/siphon-tls-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(other_cert_path, sizeof(other_cert_path), "%s/other.pem", dir);
	snprintf(other_key_path, sizeof(other_key_path), "%s/other-key.pem", dir);
	make_cert(cert_path, key_path, "siphon test");
	make_cert(other_cert_path, other_key_path, "somebody else");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(cert_path);
	unlink(key_path);
	unlink(other_cert_path);
	unlink(other_key_path);
	rmdir(dir);
	return 0;
}

static int fmt_req(char *buf, size_t cap, int i, const char *body)
{
	return snprintf(buf, cap,
			"MESSAGE sips:b@127.0.0.1 SIP/2.0\r\n"
			"Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls%d\r\n"
			"Max-Forwards: 70\r\nFrom: <sips:a@127.0.0.1>;tag=a\r\n"
			"To: <sips:b@127.0.0.1>\r\nCall-ID: tls-%d\r\nCSeq: %d MESSAGE\r\n"
			"Content-Length: %zu\r\n\r\n%s",
			i, i, i + 1, strlen(body), body);
}

static void tls_roundtrip(const char *spec)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_net_config scfg, ccfg;
	struct sip_listener *sl;
	struct sip_net_dest d;
	char m[1024], big[6000];
	uint64_t cid = 0;
	int n;

	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.tls_ca_file = cert_path;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, &ccfg), 0);
	assert_int_equal(nt_listen(&srv, spec, &sl), 0);
	assert_int_equal(sip_listener_tp(sl), SIP_TP_TLS);

	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	d.remote = *sip_listener_addr(sl);
	/* Queued during connect and handshake, then sent in order. */
	n = fmt_req(m, sizeof(m), 0, "first");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, &cid), 0);
	memset(big, 'z', sizeof(big));
	big[sizeof(big) - 1] = '\0';
	n = fmt_req(m, sizeof(m), 1, "");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, NULL), 0);
	{
		/* A body larger than one TLS record's worth of a small read. */
		char *b2 = malloc(sizeof(big) + 512);
		int n2;

		assert_non_null(b2);
		n2 = fmt_req(b2, sizeof(big) + 512, 2, big);
		assert_int_equal(sip_net_send(cli.net, &d, b2, (size_t)n2, NULL), 0);
		free(b2);
	}
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 3, 3000));
	for (int i = 0; i < 3; i++) {
		struct sip_str cidv;
		char want[16];

		snprintf(want, sizeof(want), "tls-%d", i);
		assert_int_equal(sip_msg_call_id(srv.msgs[i].msg, &cidv), 0);
		assert_true(sip_str_eq(cidv, sip_str_from_cstr(want)));
		assert_int_equal(srv.msgs[i].src.tp, SIP_TP_TLS);
	}
	assert_int_equal(srv.msgs[0].msg->body.len, 5);
	assert_memory_equal(srv.msgs[0].msg->body.p, "first", 5);
	assert_int_equal(srv.msgs[2].msg->body.len, sizeof(big) - 1);

	/* The response rides back on the same TLS connection. */
	static const char resp[] = "SIP/2.0 200 OK\r\n"
				   "Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls0\r\n"
				   "From: <sips:a@127.0.0.1>;tag=a\r\nTo: <sips:b@127.0.0.1>;tag=b\r\n"
				   "Call-ID: tls-0\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n";
	assert_int_equal(sip_net_response_dest(&d, srv.msgs[0].msg, &srv.msgs[0].src), 0);
	assert_int_equal(d.tp, SIP_TP_TLS);
	assert_int_equal(d.conn_id, srv.msgs[0].src.conn_id);
	assert_int_equal(sip_net_send(srv.net, &d, resp, sizeof(resp) - 1, NULL), 0);
	assert_true(nt_wait_count(&cli, &cli.nmsgs, 1, 2000));
	assert_int_equal(cli.msgs[0].msg->status, 200);
	assert_int_equal(cli.msgs[0].src.conn_id, cid);
	assert_int_equal(cli.nerrors, 0);
	assert_int_equal(sip_net_conn_count(cli.net), 1);

	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void test_tls_ipv4(void **state)
{
	(void)state;
	tls_roundtrip("tls:127.0.0.1:0");
}

static void test_tls_ipv6(void **state)
{
	(void)state;
	if (!nt_have_ipv6())
		skip();
	tls_roundtrip("tls:[::1]:0");
}

/* The client trusts another CA: the handshake fails, the queued request is
 * reported lost, the server never sees it. */
static void test_tls_wrong_ca(void **state)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_net_config scfg, ccfg;
	struct sip_listener *sl;
	struct sip_net_dest d;
	char m[1024];
	uint64_t cid = 0;
	int n;

	(void)state;
	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.tls_ca_file = other_cert_path;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, &ccfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	d.remote = *sip_listener_addr(sl);
	n = fmt_req(m, sizeof(m), 0, "secret");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, &cid), 0);
	assert_true(nt_wait_count(&cli, &cli.nerrors, 1, 3000));
	assert_int_equal(cli.last_error, -EPROTO);
	assert_int_equal(cli.last_error_dest.conn_id, cid);
	nt_spin(&srv, 30);
	assert_int_equal(srv.nmsgs, 0);
	assert_int_equal(sip_net_conn_count(cli.net), 0);
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* RFC 5922 7.2: given the domain, the certificate must carry it (DNS SAN). */
static void host_verify(const char *host, bool ok)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_net_config scfg, ccfg;
	struct sip_listener *sl;
	struct sip_net_dest d;
	char m[1024];
	int n;

	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	memset(&ccfg, 0, sizeof(ccfg));
	ccfg.tls_ca_file = cert_path;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, &ccfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	d.remote = *sip_listener_addr(sl);
	d.tls_host = sip_str_from_cstr(host);
	n = fmt_req(m, sizeof(m), 0, "");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, NULL), 0);
	if (ok) {
		assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 3000));
		assert_int_equal(cli.nerrors, 0);
	} else {
		assert_true(nt_wait_count(&cli, &cli.nerrors, 1, 3000));
		assert_int_equal(cli.last_error, -EPROTO);
		nt_spin(&srv, 20);
		assert_int_equal(srv.nmsgs, 0);
	}
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void test_tls_host_ok(void **state)
{
	(void)state;
	host_verify("localhost", true);
}

static void test_tls_host_mismatch(void **state)
{
	(void)state;
	host_verify("sip.example.org", false);
}

/* A framing error inside TLS: nothing after it is delivered, the connection
 * closes (the 400 goes back encrypted). */
static void test_tls_framing_error(void **state)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_net_config scfg, ccfg;
	struct sip_listener *sl;
	struct sip_net_dest d;
	char m[2048];
	static const char bad[] = "OPTIONS sips:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TLS h\r\n\r\n";
	size_t n;

	(void)state;
	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	memset(&ccfg, 0, sizeof(ccfg));
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, &ccfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	d.remote = *sip_listener_addr(sl);
	n = (size_t)fmt_req(m, sizeof(m), 0, "ok");
	memcpy(m + n, bad, sizeof(bad) - 1);
	n += sizeof(bad) - 1;
	n += (size_t)fmt_req(m + n, sizeof(m) - n, 1, "after");
	assert_int_equal(sip_net_send(cli.net, &d, m, n, NULL), 0);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 3000));
	for (int i = 0; i < 2000 && sip_net_conn_count(cli.net) > 0; i++)
		nt_spin(&srv, 1);
	assert_int_equal(sip_net_conn_count(cli.net), 0);
	assert_int_equal(sip_net_conn_count(srv.net), 0);
	assert_int_equal(srv.nmsgs, 1); /* only the message before the error */
	assert_int_equal(srv.msgs[0].msg->body.len, 2);
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* Plain SIP to a TLS port: the handshake fails and the connection closes. */
static void test_tls_plaintext_peer(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_net_config scfg;
	struct sip_listener *sl;
	char m[1024], rd[256];
	bool eof;
	int n, fd;

	(void)state;
	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	fd = nt_tcp_connect(sip_listener_addr(sl));
	assert_true(fd >= 0);
	n = fmt_req(m, sizeof(m), 0, "");
	assert_true(nt_send_all(fd, m, (size_t)n));
	nt_raw_read(&srv, fd, rd, sizeof(rd), 0, NULL, &eof, 2000);
	assert_true(eof);
	assert_int_equal(srv.nmsgs, 0);
	for (int i = 0; i < 1000 && sip_net_conn_count(srv.net) > 0; i++)
		nt_spin(&srv, 1);
	assert_int_equal(sip_net_conn_count(srv.net), 0);
	close(fd);
	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* A peer that connects and never starts the handshake is closed after the
 * connect timeout. */
static void test_tls_handshake_timeout(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_net_config scfg;
	struct sip_listener *sl;
	char rd[64];
	bool eof;
	uint64_t t0;
	int fd;

	(void)state;
	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = cert_path;
	scfg.tls_key_file = key_path;
	scfg.connect_timeout_ms = 150;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	fd = nt_tcp_connect(sip_listener_addr(sl));
	assert_true(fd >= 0);
	t0 = nt_now_ms();
	nt_spin(&srv, 20);
	assert_int_equal(sip_net_conn_count(srv.net), 1);
	nt_raw_read(&srv, fd, rd, sizeof(rd), 0, NULL, &eof, 3000);
	assert_true(eof);
	assert_true(nt_now_ms() - t0 >= 100);
	assert_int_equal(sip_net_conn_count(srv.net), 0);
	close(fd);
	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static void test_tls_config_errors(void **state)
{
	uv_loop_t loop;
	struct nt t;
	struct sip_net_config cfg;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(nt_init_cfg(&t, &loop, &cfg), 0);
	/* No certificate configured. */
	assert_int_equal(nt_listen(&t, "tls:127.0.0.1:0", NULL), -EINVAL);
	assert_true(nt_fini(&t));
	/* A key that does not match the certificate. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.tls_cert_file = cert_path;
	cfg.tls_key_file = other_key_path;
	assert_int_equal(nt_init_cfg(&t, &loop, &cfg), 0);
	assert_int_equal(nt_listen(&t, "tls:127.0.0.1:0", NULL), -EINVAL);
	assert_true(nt_fini(&t));
	assert_int_equal(nt_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_ipv4),
		cmocka_unit_test(test_tls_ipv6),
		cmocka_unit_test(test_tls_wrong_ca),
		cmocka_unit_test(test_tls_host_ok),
		cmocka_unit_test(test_tls_host_mismatch),
		cmocka_unit_test(test_tls_framing_error),
		cmocka_unit_test(test_tls_plaintext_peer),
		cmocka_unit_test(test_tls_handshake_timeout),
		cmocka_unit_test(test_tls_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

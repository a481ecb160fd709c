/* TLS transport (OpenSSL 3) with certificates and keys the test makes at run
 * time: both sides of siphon talk, the client verifies the server's certificate
 * (RFC 5922 7.3) against its IP or the host it was given, trusting a CA file, a
 * hashed CA directory or the system's store, and reports a refused certificate
 * with OpenSSL's reason before any SIP byte leaves; a plaintext peer and a missing
 * certificate fail cleanly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

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

/* A P-256 certificate valid for an hour: self-signed when issuer_cert is NULL,
 * else signed by issuer_cert/issuer_key; san lists its subjectAltName values. */
static void make_cert(const char *cert_file, const char *key_file, const char *cn, const char *san,
		      const char *issuer_cert, const char *issuer_key, bool ca)
{
	EVP_PKEY *key = EVP_EC_gen("P-256"), *ikey = key;
	X509 *x = X509_new(), *ix = x;
	X509_NAME *name;
	FILE *f;

	assert_non_null(key);
	assert_non_null(x);
	if (issuer_cert) {
		f = fopen(issuer_cert, "r");
		assert_non_null(f);
		ix = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
		f = fopen(issuer_key, "r");
		assert_non_null(f);
		ikey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		assert_non_null(ix);
		assert_non_null(ikey);
	}
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), (long)(strlen(cn) * 7 + strlen(san)));
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(ix));
	add_ext(x, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (*san)
		add_ext(x, NID_subject_alt_name, san);
	assert_true(X509_sign(x, ikey, EVP_sha256()) > 0);
	f = fopen(cert_file, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	f = fopen(key_file, "w");
	assert_non_null(f);
	assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	if (ix != x) {
		X509_free(ix);
		EVP_PKEY_free(ikey);
	}
	X509_free(x);
	EVP_PKEY_free(key);
}

static char ca_path[128], ca_key_path[128], leaf_path[128], leaf_key_path[128];
static char wild_path[128], wild_key_path[128], ca_dir[128], ca_link[192];

/* ca_dir holds ca.pem under its subject hash, as c_rehash would name it. */
static void make_ca_dir(void)
{
	X509 *x;
	FILE *f = fopen(ca_path, "r");

	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_int_equal(mkdir(ca_dir, 0700), 0);
	snprintf(ca_link, sizeof(ca_link), "%s/%08lx.0", ca_dir, X509_subject_name_hash(x));
	X509_free(x);
	assert_int_equal(symlink(ca_path, ca_link), 0);
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
	snprintf(ca_path, sizeof(ca_path), "%s/ca.pem", dir);
	snprintf(ca_key_path, sizeof(ca_key_path), "%s/ca-key.pem", dir);
	snprintf(leaf_path, sizeof(leaf_path), "%s/leaf.pem", dir);
	snprintf(leaf_key_path, sizeof(leaf_key_path), "%s/leaf-key.pem", dir);
	snprintf(wild_path, sizeof(wild_path), "%s/wild.pem", dir);
	snprintf(wild_key_path, sizeof(wild_key_path), "%s/wild-key.pem", dir);
	snprintf(ca_dir, sizeof(ca_dir), "%s/cas", dir);
	/* Self-signed, for 127.0.0.1, ::1 and localhost. */
	make_cert(cert_path, key_path, "siphon test", "IP:127.0.0.1,IP:::1,DNS:localhost", NULL, NULL, true);
	make_cert(other_cert_path, other_key_path, "somebody else", "IP:127.0.0.1,IP:::1,DNS:localhost",
		  NULL, NULL, true);
	/* A CA and two server certificates it signed. */
	make_cert(ca_path, ca_key_path, "siphon test CA", "", NULL, NULL, true);
	make_cert(leaf_path, leaf_key_path, "sip.test", "IP:127.0.0.1,DNS:sip.test", ca_path, ca_key_path,
		  false);
	make_cert(wild_path, wild_key_path, "*.sip.test", "DNS:*.sip.test", ca_path, ca_key_path, false);
	make_ca_dir();
	return 0;
}

static int teardown(void **state)
{
	const char *files[] = { cert_path, key_path, other_cert_path, other_key_path, ca_path,
				ca_key_path, leaf_path, leaf_key_path, wild_path, wild_key_path, ca_link };

	(void)state;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(ca_dir);
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
	assert_int_equal(cli.last_error, SIP_ETLSVERIFY);
	assert_string_equal(cli.last_error_detail, "self-signed certificate");
	assert_int_equal(cli.last_error_dest.conn_id, cid);
	nt_spin(&srv, 30);
	assert_int_equal(srv.nmsgs, 0);
	assert_int_equal(sip_net_conn_count(cli.net), 0);
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* One OPTIONS-like request over a new TLS connection from a client configured by
 * ccfg to a server presenting srv_cert, addressed as host (NULL: by IP alone).
 * want_detail NULL: the server receives it; else the client reports
 * SIP_ETLSVERIFY with that reason and the server receives nothing (RFC 5922 7.3:
 * close the connection before sending). */
static void verify_case(const char *srv_cert, const char *srv_key, struct sip_net_config *ccfg,
			const char *host, const char *want_detail)
{
	uv_loop_t loop;
	struct nt srv, cli;
	struct sip_net_config scfg;
	struct sip_listener *sl;
	struct sip_net_dest d;
	char m[1024];
	uint64_t cid = 0;
	int n;

	memset(&scfg, 0, sizeof(scfg));
	scfg.tls_cert_file = srv_cert;
	scfg.tls_key_file = srv_key;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&srv, &loop, &scfg), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, ccfg), 0);
	assert_int_equal(nt_listen(&srv, "tls:127.0.0.1:0", &sl), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	d.remote = *sip_listener_addr(sl);
	if (host)
		d.tls_host = sip_str_from_cstr(host);
	n = fmt_req(m, sizeof(m), 0, "secret");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, &cid), 0);
	if (!want_detail) {
		assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 3000));
		assert_int_equal(srv.msgs[0].msg->body.len, 6);
		assert_int_equal(cli.nerrors, 0);
	} else {
		assert_true(nt_wait_count(&cli, &cli.nerrors, 1, 3000));
		assert_int_equal(cli.last_error, SIP_ETLSVERIFY);
		assert_string_equal(cli.last_error_detail, want_detail);
		assert_int_equal(cli.last_error_dest.conn_id, cid);
		assert_string_equal(sip_net_error_detail(cli.net), ""); /* only during the callback */
		nt_spin(&srv, 30);
		assert_int_equal(srv.nmsgs, 0);
		assert_int_equal(sip_net_conn_count(cli.net), 0);
	}
	assert_true(nt_fini(&srv));
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
}

static struct sip_net_config ca_cfg(const char *file, const char *cadir)
{
	struct sip_net_config c;

	memset(&c, 0, sizeof(c));
	c.tls_ca_file = file;
	c.tls_ca_dir = cadir;
	return c;
}

/* RFC 5922 7.2: given the domain, the certificate must carry it (DNS SAN). */
static void test_tls_host_ok(void **state)
{
	struct sip_net_config c = ca_cfg(cert_path, NULL);

	(void)state;
	verify_case(cert_path, key_path, &c, "localhost", NULL);
	/* An IPv6 literal as a URI writes it (brackets): the certificate's iPAddress
	 * ::1 is checked, whatever address the host was reached at. */
	verify_case(cert_path, key_path, &c, "[::1]", NULL);
	verify_case(cert_path, key_path, &c, "[::2]", "IP address mismatch");
}

static void test_tls_host_mismatch(void **state)
{
	struct sip_net_config c = ca_cfg(cert_path, NULL);

	(void)state;
	verify_case(cert_path, key_path, &c, "sip.example.org", "hostname mismatch");
}

/* A CA-signed server certificate: by IP (iPAddress SAN), by name (dNSName, case
 * insensitive), by IP literal host; the trust from a file or a hashed directory. */
static void test_tls_ca_signed(void **state)
{
	struct sip_net_config c = ca_cfg(ca_path, NULL);

	(void)state;
	verify_case(leaf_path, leaf_key_path, &c, NULL, NULL);
	verify_case(leaf_path, leaf_key_path, &c, "sip.test", NULL);
	verify_case(leaf_path, leaf_key_path, &c, "SIP.Test", NULL);
	verify_case(leaf_path, leaf_key_path, &c, "127.0.0.1", NULL);
	c = ca_cfg(NULL, ca_dir);
	verify_case(leaf_path, leaf_key_path, &c, "sip.test", NULL);
}

/* The CA vouches for the certificate but it names someone else. */
static void test_tls_ca_signed_wrong_name(void **state)
{
	struct sip_net_config c = ca_cfg(ca_path, NULL);

	(void)state;
	verify_case(leaf_path, leaf_key_path, &c, "other.test", "hostname mismatch");
	/* A suffix is not a match (RFC 5922 7.2). */
	verify_case(leaf_path, leaf_key_path, &c, "a.sip.test", "hostname mismatch");
	/* The URI said 127.0.0.2 (the same host answered on 127.0.0.1). */
	verify_case(leaf_path, leaf_key_path, &c, "127.0.0.2", "IP address mismatch");
	/* RFC 5922 7.2: no wildcards, "*.sip.test" does not name a.sip.test. */
	verify_case(wild_path, wild_key_path, &c, "a.sip.test", "hostname mismatch");
	/* A certificate without an iPAddress does not name an IP. */
	verify_case(wild_path, wild_key_path, &c, NULL, "IP address mismatch");
}

/* Nothing configured: the system's store, which trusts neither our CA nor a
 * self-signed certificate. tls_no_verify: anything goes. */
static void test_tls_default_store(void **state)
{
	struct sip_net_config c = ca_cfg(NULL, NULL);

	(void)state;
	verify_case(cert_path, key_path, &c, NULL, "self-signed certificate");
	verify_case(leaf_path, leaf_key_path, &c, "sip.test", "unable to get local issuer certificate");
	c.tls_no_verify = true;
	verify_case(cert_path, key_path, &c, NULL, NULL);
	verify_case(wild_path, wild_key_path, &c, "other.test", NULL);
}

/* A CA file that cannot be read: the first TLS send fails at once. */
static void test_tls_bad_ca_file(void **state)
{
	uv_loop_t loop;
	struct nt cli;
	struct sip_net_config c = ca_cfg("/nonexistent/ca.pem", NULL);
	struct sip_net_dest d;
	char m[512];
	int n;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init_cfg(&cli, &loop, &c), 0);
	memset(&d, 0, sizeof(d));
	d.tp = SIP_TP_TLS;
	assert_int_equal(sip_net_addr_set(&d.remote, SIP_STR("127.0.0.1"), 9), 0);
	n = fmt_req(m, sizeof(m), 0, "");
	assert_int_equal(sip_net_send(cli.net, &d, m, (size_t)n, NULL), -EINVAL);
	assert_int_equal(sip_net_conn_count(cli.net), 0);
	assert_true(nt_fini(&cli));
	assert_int_equal(nt_loop_close(&loop), 0);
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
	ccfg.tls_ca_file = cert_path;
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
		cmocka_unit_test(test_tls_ca_signed),
		cmocka_unit_test(test_tls_ca_signed_wrong_name),
		cmocka_unit_test(test_tls_default_store),
		cmocka_unit_test(test_tls_bad_ca_file),
		cmocka_unit_test(test_tls_framing_error),
		cmocka_unit_test(test_tls_plaintext_peer),
		cmocka_unit_test(test_tls_handshake_timeout),
		cmocka_unit_test(test_tls_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}

/* The server's configuration (embedded defaults, INI file via inih, one setter for
 * the file and the command line) and the text answer to an unparseable request. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "server_int.h"
#include "siphon/auth.h"
#include "siphon/server.h"

static void test_defaults(void **state)
{
	struct sip_server_config c;

	(void)state;
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[0], "udp:127.0.0.1:5060");
	assert_string_equal(c.listen[1], "tcp:127.0.0.1:5060");
	assert_string_equal(c.domain, "localhost");
	assert_string_equal(c.db, "siphon.db");
	assert_true(c.auth);
	assert_int_equal(c.log_level, SIP_LOG_INFO);
	assert_int_equal(c.commit_interval_us, 20000);
	/* RFC 3261 26.3.1: TLS servers are verified, against the system's CAs. */
	assert_true(c.tls_verify);
	assert_null(c.tls_ca);
	assert_null(c.tls_ca_dir);
	sip_server_config_free(&c);
}

static void test_set(void **state)
{
	struct sip_server_config c;
	char msg[128];

	(void)state;
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_set(&c, "server", "domain", "example.com", msg, sizeof(msg)), 0);
	assert_string_equal(c.domain, "example.com");
	assert_int_equal(sip_server_config_set(&c, "server", "log-level", "debug", msg, sizeof(msg)), 0);
	assert_int_equal(c.log_level, SIP_LOG_DEBUG);
	assert_int_equal(sip_server_config_set(&c, "server", "auth", "off", msg, sizeof(msg)), 0);
	assert_false(c.auth);
	assert_int_equal(sip_server_config_set(&c, "registrar", "min_expires", "30", msg, sizeof(msg)), 0);
	assert_int_equal(c.min_expires, 30);
	assert_int_equal(sip_server_config_set(&c, "server", "commit_interval_ms", "0", msg, sizeof(msg)), 0);
	assert_int_equal(c.commit_interval_us, -1);
	assert_int_equal(sip_server_config_set(&c, "server", "commit_interval_ms", "5", msg, sizeof(msg)), 0);
	assert_int_equal(c.commit_interval_us, 5000);
	assert_int_equal(sip_server_config_set(&c, "auth", "algorithms", "md5", msg, sizeof(msg)), 0);
	assert_int_equal(c.auth_algs, SIP_DIGEST_BIT(SIP_DIGEST_MD5));
	assert_int_equal(sip_server_config_set(&c, "auth", "algorithms", "SHA-256, MD5", msg, sizeof(msg)), 0);
	assert_int_equal(c.auth_algs, SIP_DIGEST_ALL);
	assert_int_equal(sip_server_config_set(&c, "server", "tls-ca", "/etc/ca.pem", msg, sizeof(msg)), 0);
	assert_string_equal(c.tls_ca, "/etc/ca.pem");
	assert_int_equal(sip_server_config_set(&c, "server", "tls_ca_dir", "/etc/cas", msg, sizeof(msg)), 0);
	assert_string_equal(c.tls_ca_dir, "/etc/cas");
	assert_int_equal(sip_server_config_set(&c, "server", "tls_verify", "off", msg, sizeof(msg)), 0);
	assert_false(c.tls_verify);
	assert_int_equal(sip_server_config_set(&c, "server", "tls_verify", "sometimes", msg, sizeof(msg)), -EINVAL);
	assert_false(c.tls_verify);
	/* Bad values and unknown keys are refused with a message. */
	assert_int_equal(sip_server_config_set(&c, "auth", "algorithms", "sha-512", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "sha-512"));
	assert_int_equal(sip_server_config_set(&c, "registrar", "min_expires", "-1", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(sip_server_config_set(&c, "server", "auth", "maybe", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(sip_server_config_set(&c, "server", "colour", "red", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "colour"));
	/* A key in the wrong section is unknown there. */
	assert_int_equal(sip_server_config_set(&c, "registrar", "domain", "x", msg, sizeof(msg)), -EINVAL);
	sip_server_config_free(&c);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_load(void **state)
{
	char path[] = "/tmp/siphon-conf-XXXXXX";
	struct sip_server_config c;
	char msg[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "; comment\n[server]\nlisten = udp:127.0.0.1:5070\nlisten = tcp:127.0.0.1:5070\n"
			 "domain = lab.test\ndb = /tmp/x.db\nauth = no\n[registrar]\nmax_expires = 600\n"
			 "[auth]\nnonce_lifetime = 60\n");
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), 0);
	/* The file's listens replace the defaults. */
	assert_int_equal(c.nlisten, 2);
	assert_string_equal(c.listen[0], "udp:127.0.0.1:5070");
	assert_string_equal(c.listen[1], "tcp:127.0.0.1:5070");
	assert_string_equal(c.domain, "lab.test");
	assert_string_equal(c.db, "/tmp/x.db");
	assert_false(c.auth);
	assert_int_equal(c.max_expires, 600);
	assert_int_equal(c.nonce_lifetime, 60);
	sip_server_config_free(&c);

	/* A bad line: its number and the reason. */
	write_file(path, "[server]\ndomain = a.test\n\n[registrar]\nmin_expires = soon\n");
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, ":5: bad value 'soon' for min_expires"));
	sip_server_config_free(&c);

	unlink(path);
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), -ENOENT);
	sip_server_config_free(&c);
}

/* [limits]: the defaults, the file, the command line's section-less form, and the
 * ranges. */
static void test_limits(void **state)
{
	char path[] = "/tmp/siphon-conf-XXXXXX";
	struct sip_server_config c;
	char msg[256];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(c.max_message_size, 65535);
	assert_int_equal(c.max_connections, 1024);
	assert_int_equal(c.subs_per_user, 100);
	assert_int_equal(c.request_rate, 0); /* off: see config.c */
	assert_int_equal(c.request_burst, 0);
	write_file(path, "[limits]\nmax_message_size = 2000\nmax_connections = 16\n"
			 "subscriptions_per_user = 2\nrequest_rate = 5\nrequest-burst = 7\n");
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), 0);
	assert_int_equal(c.max_message_size, 2000);
	assert_int_equal(c.max_connections, 16);
	assert_int_equal(c.subs_per_user, 2);
	assert_int_equal(c.request_rate, 5);
	assert_int_equal(c.request_burst, 7);
	/* The command line sets them in [limits] (cmd_serve.c), '-' for '_'. */
	assert_int_equal(sip_server_config_set(&c, "limits", "max-message-size", "4096", msg, sizeof(msg)), 0);
	assert_int_equal(c.max_message_size, 4096);
	assert_int_equal(sip_server_config_set(&c, "limits", "subscriptions-per-user", "0", msg, sizeof(msg)), 0);
	assert_int_equal(c.subs_per_user, 0);
	assert_int_equal(sip_server_config_set(&c, "limits", "request_rate", "0", msg, sizeof(msg)), 0);
	assert_int_equal(c.request_rate, 0);
	/* Out of range or not a number: refused, the value kept. */
	assert_int_equal(sip_server_config_set(&c, "limits", "max_message_size", "1023", msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, "'1023' for max_message_size"));
	assert_int_equal(sip_server_config_set(&c, "limits", "max_message_size", "1048577", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(c.max_message_size, 4096);
	assert_int_equal(sip_server_config_set(&c, "limits", "max_connections", "0", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(c.max_connections, 16);
	assert_int_equal(sip_server_config_set(&c, "limits", "request_rate", "fast", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(sip_server_config_set(&c, "limits", "request_rate", "-5", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(sip_server_config_set(&c, "limits", "request_rate", "1000001", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(c.request_rate, 0);
	/* The keys live in [limits] only. */
	assert_int_equal(sip_server_config_set(&c, "events", "subscriptions_per_user", "5", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(sip_server_config_set(&c, "limits", "domain", "x.test", msg, sizeof(msg)), -EINVAL);
	assert_int_equal(c.subs_per_user, 0);
	sip_server_config_free(&c);

	write_file(path, "[limits]\nrequest_rate = 10\nmax_connections = lots\n");
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, ":3: bad value 'lots' for max_connections"));
	sip_server_config_free(&c);
	unlink(path);
}

static void test_bad_answer(void **state)
{
	static const char req[] = "OPTIONS sip:a.test SIP/2.0\r\n"
				  "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
				  "v: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK2\r\n"
				  "From: <sip:x@a.test>;tag=1\r\n"
				  "To: <sip:a.test>\r\n"
				  "Subject: hi\r\n"
				  "i: abc\r\n"
				  "CSeq: 1 INFO\r\n"
				  "Content-Length: 0\r\n\r\n";
	struct sip_buf b = SIP_BUF_INIT;

	(void)state;
	assert_int_equal(server_bad_answer(&b, req, sizeof(req) - 1, 400,
					   "Bad Request (CSeq method does not match)", SIP_STR("t1")), 0);
	assert_string_equal(b.p, "SIP/2.0 400 Bad Request (CSeq method does not match)\r\n"
				 "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\r\n"
				 "v: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK2\r\n"
				 "From: <sip:x@a.test>;tag=1\r\n"
				 "To: <sip:a.test>;tag=t1\r\n"
				 "i: abc\r\n"
				 "CSeq: 1 INFO\r\n"
				 "Content-Length: 0\r\n\r\n");
	/* Never for an ACK, a response, an incomplete header section or a missing Call-ID. */
	assert_int_equal(server_bad_answer(&b, "ACK sip:a SIP/2.0\r\n\r\n", 21, 400, NULL, SIP_STR("t")), -1);
	assert_int_equal(server_bad_answer(&b, "SIP/2.0 200 OK\r\n\r\n", 18, 400, NULL, SIP_STR("t")), -1);
	assert_int_equal(server_bad_answer(&b, req, 60, 400, NULL, SIP_STR("t")), -1);
	{
		char cut[sizeof(req)];
		const char *i = strstr(req, "i: abc\r\n");
		size_t head = (size_t)(i - req);
		memcpy(cut, req, head);
		memcpy(cut + head, i + 8, sizeof(req) - head - 8);
		assert_int_equal(server_bad_answer(&b, cut, strlen(cut), 400, NULL, SIP_STR("t")), -1);
	}
	sip_buf_free(&b);
}

/* listen values are checked when set: the advertise= option is kept in the
 * text (the server parses it at start), a fault is named with the value. */
static void test_listen_advertise(void **state)
{
	char path[] = "/tmp/siphon-conf-XXXXXX";
	struct sip_server_config c;
	char msg[256];
	int fd;

	(void)state;
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_set(&c, "server", "listen", "udp:0.0.0.0:5060/advertise=sip.example.com",
					       msg, sizeof(msg)), 0);
	assert_int_equal(c.nlisten, 3);
	assert_string_equal(c.listen[2], "udp:0.0.0.0:5060/advertise=sip.example.com");
	assert_int_equal(sip_server_config_set(&c, "server", "listen", "udp:0.0.0.0:5060/advertise=[::]",
					       msg, sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "bad listen 'udp:0.0.0.0:5060/advertise=[::]': advertise: a wildcard address "
				 "cannot be advertised");
	assert_int_equal(sip_server_config_set(&c, "server", "listen", "udp:example.com:5060", msg, sizeof(msg)),
			 -EINVAL);
	assert_string_equal(msg, "bad listen 'udp:example.com:5060': bad IP address (a listener binds an IP "
				 "literal, not a name)");
	assert_int_equal(c.nlisten, 3);
	sip_server_config_free(&c);

	/* From a file: the line and the reason. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_file(path, "[server]\nlisten = udp:0.0.0.0:5060/advertise=192.0.2.7:5070\n"
			 "listen = tcp:0.0.0.0:5060/advertize=x\n");
	assert_int_equal(sip_server_config_init(&c), 0);
	assert_int_equal(sip_server_config_load(&c, path, msg, sizeof(msg)), -EINVAL);
	assert_non_null(strstr(msg, ":3: bad listen 'tcp:0.0.0.0:5060/advertize=x': unknown option after '/' "
				    "(want /advertise=HOST[:PORT])"));
	sip_server_config_free(&c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_load),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_bad_answer),
		cmocka_unit_test(test_listen_advertise),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

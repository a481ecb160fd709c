/* `siphon parse` end to end: runs SIPHON_BIN on corpus and torture files and on
 * bad input, and checks exit statuses (0 valid, 1 invalid, 2 usage) and what it
 * prints. Every child runs under a deadline. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define DEADLINE_MS 10000

struct run {
	int status;      /* exit status, or -1 if killed */
	char out[65536];
	size_t out_len;
	char err[16384];
	size_t err_len;
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run SIPHON_BIN with args (NULL-terminated, without argv[0]), feeding input
 * (may be NULL: empty stdin). */
static void run(struct run *r, const char *input, size_t input_len, const char *const *args)
{
	int in[2], out[2], err[2], st;
	const char *argv[16];
	size_t n = 0, written = 0;
	long long deadline = now_ms() + DEADLINE_MS;
	pid_t pid;
	bool out_open = true, err_open = true;

	memset(r, 0, sizeof(*r));
	argv[n++] = SIPHON_BIN;
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]); close(out[0]); close(out[1]); close(err[0]); close(err[1]);
		execv(SIPHON_BIN, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (!input || input_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while ((out_open || err_open) && now_ms() < deadline) {
		struct pollfd p[3] = { { out_open ? out[0] : -1, POLLIN, 0 },
				       { err_open ? err[0] : -1, POLLIN, 0 },
				       { in[1], POLLOUT, 0 } };
		if (poll(p, 3, 100) < 0 && errno != EINTR)
			break;
		if (in[1] >= 0 && (p[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in[1], input + written, input_len - written);
			if (w > 0)
				written += (size_t)w;
			if (w < 0 || written == input_len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (p[0].revents) {
			ssize_t k = read(out[0], r->out + r->out_len, sizeof(r->out) - 1 - r->out_len);
			if (k <= 0)
				out_open = false;
			else
				r->out_len += (size_t)k;
		}
		if (p[1].revents) {
			ssize_t k = read(err[0], r->err + r->err_len, sizeof(r->err) - 1 - r->err_len);
			if (k <= 0)
				err_open = false;
			else
				r->err_len += (size_t)k;
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	close(out[0]);
	close(err[0]);
	if (out_open || err_open)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	r->out[r->out_len] = '\0';
	r->err[r->err_len] = '\0';
}

static void run_args(struct run *r, const char *a0, const char *a1, const char *a2, const char *a3)
{
	const char *args[5] = { a0, a1, a2, a3, NULL };

	run(r, NULL, 0, args);
}

#define assert_has(hay, needle)                                                      \
	do {                                                                         \
		if (!strstr((hay), (needle)))                                        \
			fail_msg("missing \"%s\" in output:\n%s", (needle), (hay));  \
	} while (0)

static struct run R; /* large buffers: not on the stack */

static void test_valid_corpus_text(void **state)
{
	(void)state;
	run_args(&R, "parse", SIPHON_SHARED_DIR "/corpus/14_603_decline.sip", NULL, NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "response:       603 Decline");
	assert_has(R.out, "Via[0]:         SIP/2.0/UDP ss1.atlanta.example.com:5060  branch=z9hG4bK2e7c40.1  received=198.51.100.10");
	assert_has(R.out, "branch=z9hG4bK-0a4d8b2f61");
	assert_has(R.out, "rport=50123");
	assert_has(R.out, "From:           \"Alice Liddell\" <sip:alice@atlanta.example.com>  tag=6c2e8a1f");
	assert_has(R.out, "To:             <sip:dave@biloxi.example.com>  tag=f4d19b03");
	assert_has(R.out, "Call-ID:        5b1d9e3a7c0f2846@192.0.2.101");
	assert_has(R.out, "CSeq:           1 INVITE");
	assert_has(R.out, "Content-Length: 0");
	assert_has(R.out, "Reason:         SIP  cause=603  text=Decline");
	assert_int_equal(R.err_len, 0);
	/* Event and RFC 5839 Suppress-If-Match, parsed. */
	run_args(&R, "parse", SIPHON_SHARED_DIR "/corpus/10_subscribe_suppress_if_match.sip", NULL, NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "Event:          presence\n");
	assert_has(R.out, "Suppress-If-M.: b4cf7a31\n");
	/* Digest credentials, parsed. */
	run_args(&R, "parse", "--json", SIPHON_SHARED_DIR "/corpus/08_register_auth.sip", NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "\"authorization\":[{\"scheme\":\"Digest\",\"username\":\"bob\",\"realm\":\"biloxi.example.com\"");
	assert_has(R.out, "\"qop\":\"auth\",\"nc\":\"00000001\"");
}

static void test_valid_torture_text(void **state)
{
	(void)state;
	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/wsinv.dat", NULL, NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "request:        INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0");
	assert_has(R.out, "Via[1]:         SIP/2.0/TCP spindle.example.com  branch=z9hG4bK9ikj8");
	assert_has(R.out, "tag=1918181833n");
	assert_has(R.out, "Contact[0]:     \"Quoted string \\\"\\\"\" <sip:jdrosen@example.com>  q=0.33");
	assert_has(R.out, "Max-Forwards:   68");
	assert_has(R.out, "Content-Type:   application/sdp");
	assert_has(R.out, "body:           150 bytes");
	assert_has(R.out, "unknown headers (2):");
	assert_has(R.out, "UnknownHeaderWithUnusualValue: ;;,,;;,;");
	/* A Contact with expires. */
	run_args(&R, "parse", SIPHON_SHARED_DIR "/corpus/17_200_ok_register.sip", NULL, NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "expires=");
}

static void test_valid_json(void **state)
{
	(void)state;
	run_args(&R, "parse", "--json", SIPHON_TEST_DATA "/rfc4475/wsinv.dat", NULL);
	assert_int_equal(R.status, 0);
	assert_true(strncmp(R.out, "{\"valid\":true,", 14) == 0);
	assert_has(R.out, "\"method\":\"INVITE\"");
	assert_has(R.out, "\"call_id\":\"wsinv.ndaksdj@192.0.2.1\"");
	assert_has(R.out, "\"cseq\":{\"seq\":9,\"method\":\"INVITE\"}");
	assert_has(R.out, "\"max_forwards\":68");
	assert_has(R.out, "\"branch\":\"z9hG4bK30239\"");
	assert_has(R.out, "\"q\":0.33");
	/* The display name's backslashes and quotes are escaped for JSON. */
	assert_has(R.out, "\"display\":\"J Rosenberg \\\\\\\\\\\\\\\"\"");
	/* A folded value: the CRLF is escaped, never raw. */
	assert_has(R.out, "newfangled value\\r\\n continued");
	assert_has(R.out, "\"known\":false");
	assert_int_equal(R.out[R.out_len - 2], '}');
	assert_int_equal(R.out[R.out_len - 1], '\n');
	/* Control bytes and UTF-8 in a JSON string (RFC 5118 / 4475 reason phrase). */
	run_args(&R, "parse", "--json", SIPHON_TEST_DATA "/rfc4475/unreason.dat", NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "\"status\":200");
	assert_has(R.out, "\"reason\":\"= 2**3 * 5**2 \xD0\xBD\xD0\xBE");
}

static void test_invalid_parse(void **state)
{
	(void)state;
	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/insuf.dat", NULL, NULL);
	assert_int_equal(R.status, 1);
	assert_has(R.err, "invalid: 400 Bad Request (Missing Call-ID)");
	assert_has(R.err, "the end of the headers");
	assert_int_equal(R.out_len, 0);

	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/ncl.dat", NULL, NULL);
	assert_int_equal(R.status, 1);
	assert_has(R.err, "invalid: 400 Bad Request (Malformed Content-Length)");
	assert_has(R.err, "line 10, column 17");
	assert_has(R.err, "  Content-Length: -999\n                  ^\n");

	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/badvers.dat", NULL, NULL);
	assert_int_equal(R.status, 1);
	assert_has(R.err, "invalid: 505 Version Not Supported");
	assert_has(R.err, "line 1, column 34 (byte 33)");
	assert_has(R.err, "  OPTIONS sip:t.watson@example.org SIP/7.0\n                                   ^\n");
}

static void test_invalid_typed_header(void **state)
{
	(void)state;
	/* The parser splits it; the To value does not parse: 400 naming To. */
	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/quotbal.dat", NULL, NULL);
	assert_int_equal(R.status, 1);
	assert_has(R.err, "invalid: 400 Bad Request (malformed To)");
	assert_has(R.err, "line 2, column 1");
	assert_has(R.err, "  To: \"Mr. J. User <sip:j.user@example.com>\n  ^\n");

	run_args(&R, "parse", "--json", SIPHON_SHARED_DIR "/rfc/rfc5118.txt", NULL);
	assert_int_equal(R.status, 1); /* a text file is not a SIP message */
	assert_has(R.out, "\"valid\":false");

	run_args(&R, "parse", "--json", SIPHON_TEST_DATA "/rfc5118/ipv6-bad.dat", NULL);
	assert_int_equal(R.status, 1);
	assert_has(R.out, "\"valid\":false");
	assert_has(R.out, "\"reason\":\"Bad Request (malformed Request-URI)\"");
	assert_has(R.out, "\"line\":1");
}

static void test_stdin_and_lf(void **state)
{
	static const char lf_msg[] =
		"OPTIONS sip:bob@example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKlf\n"
		"From: <sip:alice@example.com>;tag=lf1\n"
		"To: <sip:bob@example.com>\n"
		"Call-ID: lf@example.com\n"
		"CSeq: 7 OPTIONS\n"
		"Content-Type: text/plain\n"
		"Content-Length: 7\n"
		"\n"
		"a\nb\nc\n";
	static const char bad_lf[] =
		"OPTIONS sip:bob@example.com SIP/2.0\n"
		"Via: SIP/2.0/UDP a.example.com;branch=z9hG4bKlf\n"
		"From: <sip:alice@example.com>;tag=lf1\n"
		"To: <sip:bob@example.com>\n"
		"CSeq: 7 OPTIONS\n"
		"\n";
	const char *dash[] = { "parse", "-", NULL };
	const char *none[] = { "parse", NULL };
	const char *json[] = { "parse", "--json", NULL };

	(void)state;
	/* Read as CRLF the body is "a\r\nb\r\nc\r\n" (9 bytes); Content-Length
	 * takes 7 of them. */
	run(&R, lf_msg, strlen(lf_msg), dash);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "CSeq:           7 OPTIONS");
	assert_has(R.out, "body:           7 bytes");
	assert_has(R.out, "LF line ends read as CRLF");
	/* No argument is stdin too. */
	run(&R, lf_msg, strlen(lf_msg), none);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "Call-ID:        lf@example.com");
	run(&R, bad_lf, strlen(bad_lf), json);
	assert_int_equal(R.status, 1);
	assert_has(R.out, "\"reason\":\"Bad Request (Missing Call-ID)\"");
	assert_has(R.out, "\"lf_converted\":true");
	/* Empty input is invalid, not a usage error. */
	run(&R, NULL, 0, dash);
	assert_int_equal(R.status, 1);
	assert_has(R.err, "empty");
}

static void test_usage_errors(void **state)
{
	(void)state;
	run_args(&R, "parse", "--bogus", NULL, NULL);
	assert_int_equal(R.status, 2);
	assert_has(R.err, "unknown option '--bogus'");
	assert_has(R.err, "usage: siphon parse");
	run_args(&R, "parse", SIPHON_TEST_DATA "/no-such-file.sip", NULL, NULL);
	assert_int_equal(R.status, 2);
	assert_has(R.err, "cannot read");
	run_args(&R, "parse", SIPHON_TEST_DATA "/rfc4475/wsinv.dat", SIPHON_TEST_DATA "/rfc4475/esc01.dat", NULL);
	assert_int_equal(R.status, 2);
	run_args(&R, "parse", SIPHON_TEST_DATA, NULL, NULL); /* a directory */
	assert_int_equal(R.status, 2);
	/* The help says how LF-only files are read. */
	run_args(&R, "help", "parse", NULL, NULL);
	assert_int_equal(R.status, 0);
	assert_has(R.out, "usage: siphon parse [--json] [FILE|-]");
	assert_has(R.out, "LF");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_corpus_text),
		cmocka_unit_test(test_valid_torture_text),
		cmocka_unit_test(test_valid_json),
		cmocka_unit_test(test_invalid_parse),
		cmocka_unit_test(test_invalid_typed_header),
		cmocka_unit_test(test_stdin_and_lf),
		cmocka_unit_test(test_usage_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

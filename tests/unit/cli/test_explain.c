/* Tests of `siphon explain` and `siphon compare`: run the real executable
 * (SIPHON_BIN) and check what it prints. */
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

#include "siphon/status.h"

#define RUN_SECONDS 20
#define OUT_MAX (256 * 1024)

struct run {
	int status; /* exit status, or -1 if killed or timed out */
	char out[OUT_MAX];
	size_t outlen;
	char err[OUT_MAX];
	size_t errlen;
};

static struct run R; /* one at a time; too big for the stack */

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void drain(int fd, char *buf, size_t *len, bool *open_)
{
	ssize_t n = read(fd, buf + *len, OUT_MAX - 1 - *len);

	if (n > 0) {
		*len += (size_t)n;
		buf[*len] = '\0';
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		*open_ = false;
	}
	/* A full buffer counts as closed: the outputs tested are far smaller. */
	if (*len >= OUT_MAX - 1)
		*open_ = false;
}

/* Run argv (argv[0] is the program) with env (NULL-terminated "K=V" list) and
 * collect stdout, stderr and the exit status, for at most RUN_SECONDS. */
static struct run *run_env(char *const argv[], char *const env[])
{
	int po[2], pe[2];
	pid_t pid;
	bool oo = true, eo = true;
	long deadline = now_ms() + RUN_SECONDS * 1000L;
	int st;

	memset(&R, 0, sizeof(R));
	R.status = -1;
	assert_int_equal(pipe(po), 0);
	assert_int_equal(pipe(pe), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		execve(argv[0], argv, env);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	while ((oo || eo) && now_ms() < deadline) {
		struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };

		if (poll(fds, 2, 100) < 0 && errno != EINTR)
			break;
		if (oo && (fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(po[0], R.out, &R.outlen, &oo);
		if (eo && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(pe[0], R.err, &R.errlen, &eo);
	}
	if (oo || eo)
		kill(pid, SIGKILL);
	close(po[0]);
	close(pe[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!oo && !eo && WIFEXITED(st))
		R.status = WEXITSTATUS(st);
	return &R;
}

/* The environment the tests run siphon in: English unless a test says otherwise. */
static char *env_en[] = { "LANG=C", NULL };
static char *env_vi[] = { "LANG=vi_VN.UTF-8", NULL };

#define SIPHON(...) (char *[]){ SIPHON_BIN, __VA_ARGS__, NULL }

static struct run *run(char *const argv[])
{
	return run_env(argv, env_en);
}

static void assert_has(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("expected '%s' in output:\n%s", needle, hay);
}

static void assert_ok(struct run *r)
{
	if (r->status != 0)
		fail_msg("exit status %d, stderr:\n%s", r->status, r->err);
	assert_int_equal(r->errlen, 0);
}

static void test_explain_204(void **state)
{
	struct run *r = run(SIPHON("explain", "204"));

	(void)state;
	assert_ok(r);
	assert_has(r->out, "204 No Notification");
	assert_has(r->out, "RFC 5839");
	assert_has(r->out, "Suppress-If-Match");
	assert_has(r->out, "2xx Success");
	assert_has(r->out, "Description");
	assert_has(r->out, "When you see this code");
	assert_has(r->out, "What to do");
	assert_has(r->out, "Protocol consequences");
	assert_has(r->out, "SUBSCRIBE, only within an existing dialog");
	assert_has(r->out, "notifier");
}

/* Every line at most 78 columns (code points) and without trailing blanks. */
static void assert_fits(const char *out)
{
	const char *p = out;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int cols = 0;

		for (size_t i = 0; i < len; i++)
			cols += ((unsigned char)p[i] & 0xC0) != 0x80;
		if (cols > 78)
			fail_msg("line of %d columns: %.*s", cols, (int)len, p);
		if (len > 0 && p[len - 1] == ' ')
			fail_msg("trailing blank: %.*s", (int)len, p);
		p += len + (nl ? 1 : 0);
	}
}

static void test_explain_lines_fit(void **state)
{
	static char codes[SIP_STATUS_MAX + 1][4];
	char *argv[SIP_STATUS_MAX + 8];
	int n = 0;
	struct run *r;

	(void)state;
	argv[n++] = SIPHON_BIN;
	argv[n++] = "explain";
	/* Every registered code, plus unregistered ones of each class. */
	for (int c = SIP_STATUS_MIN; c <= SIP_STATUS_MAX; c++) {
		if (!sip_status_registered(c) && c % 100 != 99)
			continue;
		snprintf(codes[c], sizeof(codes[c]), "%d", c);
		argv[n++] = codes[c];
	}
	argv[n++] = "--lang";
	argv[n++] = "en";
	argv[n] = NULL;
	r = run(argv);
	assert_ok(r);
	assert_has(r->out, "401 Unauthorized");
	assert_has(r->out, "WWW-Authenticate");
	assert_has(r->out, "423 Interval Too Brief");
	assert_has(r->out, "Min-Expires");
	assert_has(r->out, "489 Bad Event");
	assert_has(r->out, "Allow-Events");
	assert_has(r->out, "607 Unwanted");
	assert_has(r->out, "608 Rejected");
	assert_has(r->out, "599 Server Error");
	assert_fits(r->out);

	argv[n - 1] = "vi";
	r = run(argv);
	assert_ok(r);
	assert_has(r->out, "Mô tả");
	assert_fits(r->out);

	r = run(SIPHON("compare", "204", "603", "--lang", "vi"));
	assert_ok(r);
	assert_fits(r->out);
	r = run(SIPHON("compare", "499", "150"));
	assert_ok(r);
	assert_fits(r->out);
}

static void test_compare_204_603(void **state)
{
	struct run *r = run(SIPHON("compare", "204", "603"));
	const char *diff;

	(void)state;
	assert_ok(r);
	assert_has(r->out, "204 No Notification");
	assert_has(r->out, "603 Decline");
	assert_has(r->out, "RFC 5839");
	assert_has(r->out, "RFC 3261");
	diff = strstr(r->out, "Key differences");
	assert_non_null(diff);
	/* The differences name each code's class, outcome, requests and proxy role. */
	assert_has(diff, "204: 2xx Success");
	assert_has(diff, "603: 6xx Global Failure");
	assert_has(diff, "204: success");
	assert_has(diff, "603: failure");
	assert_has(diff, "204: SUBSCRIBE");
	assert_has(diff, "603: any request");
	assert_has(diff, "creates no new");
	assert_has(diff, "expect no NOTIFY");
	assert_has(r->out, "When to use which");
}

static void test_compare_same_aspects(void **state)
{
	struct run *r = run(SIPHON("compare", "486", "480"));
	const char *same;

	(void)state;
	assert_ok(r);
	same = strstr(r->out, "Same for both");
	assert_non_null(same);
	assert_has(same, "Class: 4xx Client Error");
	r = run(SIPHON("compare", "486", "486"));
	assert_ok(r);
	assert_has(r->out, "No differences");
}

/* Run `siphon ARGS | python3 CHECK` and return the checker's output. */
static struct run *json_check(const char *args, const char *check)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), "'%s' %s | python3 -c 'import json,sys\n"
		 "d = json.load(sys.stdin)\n%s'", SIPHON_BIN, args, check);
	return run_env((char *[]){ "/bin/sh", "-c", cmd, NULL },
		       (char *[]){ "LANG=C", "PATH=/usr/local/bin:/usr/bin:/bin", NULL });
}

static void test_json(void **state)
{
	struct run *r;

	(void)state;
	r = json_check("explain 603 --json",
		       "print(len(d), d[0][\"code\"], d[0][\"phrase\"], d[0][\"class\"], d[0][\"outcome\"], "
		       "d[0][\"rfc\"], d[0][\"proxy\"], d[0][\"registered\"])");
	assert_ok(r);
	assert_string_equal(r->out, "1 603 Decline 6 failure RFC 3261 cancel True\n");

	r = json_check("explain 204 499 --json",
		       "print(d[0][\"headers\"], d[0][\"in_dialog\"], d[0][\"senders\"], "
		       "d[1][\"registered\"], d[1][\"treated_as\"])");
	assert_ok(r);
	assert_string_equal(r->out, "[] True ['notifier'] False 400\n");

	r = json_check("compare 204 603 --json",
		       "print(d[\"a\"][\"code\"], d[\"b\"][\"phrase\"], "
		       "sorted(x[\"aspect\"] for x in d[\"differences\"]), len(d[\"when_to_use\"]))");
	assert_ok(r);
	assert_string_equal(r->out, "204 Decline ['class', 'headers', 'outcome', 'proxy', "
				    "'receiver', 'requests', 'senders'] 2\n");

	/* Vietnamese texts are valid UTF-8 JSON strings. */
	r = json_check("explain 423 --json --lang vi",
		       "print(d[0][\"locale\"], d[0][\"headers\"], \"Min-Expires\" in d[0][\"receiver\"], "
		       "d[0][\"class_name\"])");
	assert_ok(r);
	assert_string_equal(r->out, "vi ['Min-Expires'] True Lỗi phía client (Client Error)\n");
}

static void test_vietnamese(void **state)
{
	struct run *r;

	(void)state;
	r = run(SIPHON("explain", "603", "--lang", "vi"));
	assert_ok(r);
	assert_has(r->out, "603 Decline");
	assert_has(r->out, "Mô tả");
	assert_has(r->out, "Khi bạn thấy mã này");
	assert_has(r->out, "Cách khắc phục");
	assert_has(r->out, "từ chối");

	r = run(SIPHON("compare", "204", "603", "--lang=vi"));
	assert_ok(r);
	assert_has(r->out, "Sự khác biệt chính");
	assert_has(r->out, "Khi nào dùng cái nào");
	assert_has(r->out, "Suppress-If-Match");

	/* From the environment when --lang is absent... */
	r = run_env(SIPHON("explain", "204"), env_vi);
	assert_ok(r);
	assert_has(r->out, "Mô tả");
	/* ... and --lang wins over it. */
	r = run_env(SIPHON("explain", "204", "--lang", "en"), env_vi);
	assert_ok(r);
	assert_has(r->out, "Description");
	assert_null(strstr(r->out, "Mô tả"));
	/* An unknown locale in the environment falls back to English. */
	r = run_env(SIPHON("explain", "204"), (char *[]){ "LANG=de_DE.UTF-8", NULL });
	assert_ok(r);
	assert_has(r->out, "Description");
}

static void test_unregistered(void **state)
{
	struct run *r = run(SIPHON("explain", "499", "150"));

	(void)state;
	assert_ok(r);
	assert_has(r->out, "499 Client Error");
	assert_has(r->out, "Unregistered code");
	assert_has(r->out, "400 Bad Request");
	assert_has(r->out, "150 Provisional");
	assert_has(r->out, "183 Session Progress");
	r = run(SIPHON("compare", "499", "400"));
	assert_ok(r);
	assert_has(r->out, "499: Unregistered code");
}

static void assert_usage_error(struct run *r, const char *msg)
{
	if (r->status != 2)
		fail_msg("exit status %d, expected 2; stdout:\n%s", r->status, r->out);
	assert_int_equal(r->outlen, 0);
	assert_has(r->err, msg);
}

static void test_errors(void **state)
{
	static const char *const bad[] = { "abc", "99", "", "20x", "1000", "-200", "2 0" };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_usage_error(run(SIPHON("explain", (char *)bad[i])), "is not a SIP response code");
	assert_usage_error(run(SIPHON("explain", "700")), "outside the SIP response-code range");
	assert_usage_error(run(SIPHON("explain", "099")), "outside the SIP response-code range");
	/* One bad code fails the whole command, before anything is printed. */
	assert_usage_error(run(SIPHON("explain", "200", "abc")), "'abc'");
	assert_usage_error(run(SIPHON("explain", "200", "--lang", "xx")), "unknown language 'xx'");
	assert_usage_error(run(SIPHON("explain", "200", "--lang")), "--lang needs a value");
	assert_usage_error(run(SIPHON("explain", "200", "--jsn")), "unknown option '--jsn'");
	assert_usage_error(run(SIPHON("explain")), "usage: siphon explain");
	assert_usage_error(run(SIPHON("compare", "200")), "usage: siphon compare");
	assert_usage_error(run(SIPHON("compare", "200", "201", "202")), "exactly two");
	assert_usage_error(run(SIPHON("compare", "200", "abc")), "'abc'");
}

static void test_help(void **state)
{
	struct run *r;

	(void)state;
	r = run(SIPHON("help", "explain"));
	assert_ok(r);
	assert_has(r->out, "usage: siphon explain CODE...");
	r = run(SIPHON("compare", "--help"));
	assert_ok(r);
	assert_has(r->out, "usage: siphon compare CODE CODE");
	r = run(SIPHON("--help"));
	assert_ok(r);
	assert_has(r->out, "explain");
	assert_has(r->out, "compare");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_explain_204),
		cmocka_unit_test(test_explain_lines_fit),
		cmocka_unit_test(test_compare_204_603),
		cmocka_unit_test(test_compare_same_aspects),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_vietnamese),
		cmocka_unit_test(test_unregistered),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_help),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

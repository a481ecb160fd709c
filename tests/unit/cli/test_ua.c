/* Unit tests of the toolkit's user agent (src/cli/ua.c, linked from siphon_cli):
 * exit statuses, the common options, ua_init's target and defaults, the requests
 * ua_build writes (parsed back with the siphon parser), digest authentication
 * against a responder on a real UDP socket on 127.0.0.1 that checks credentials
 * with siphon's own verifier, the --timeout path, and the printed lines and JSON.
 * Every wait is bounded: the UA's --timeout and a guard timer in the loop. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "siphon/auth.h"
#include "siphon/build.h"
#include "siphon/dialog.h"
#include "siphon/msg.h"
#include "siphon/status.h"
#include "ua.h"

#define REALM "ua.test"
#define PASSWORD "s3cret"
#define GUARD_MS 4000
#define OUT_MAX (64 * 1024)

static struct ua U; /* one UA at a time (ua.c keeps one static stop timer) */
static char OUT[OUT_MAX];

static bool str_is(struct sip_str s, const char *c)
{
	return sip_str_eq(s, sip_str_from_cstr(c));
}

#define assert_str(s, c)                                                                                  \
	do {                                                                                              \
		struct sip_str s_ = (s);                                                                  \
		if (!str_is(s_, (c)))                                                                     \
			fail_msg("'%.*s' != '%s'", (int)s_.len, s_.p ? s_.p : "", (c));                   \
	} while (0)

/* ---- Capturing stdout or stderr into a temporary file ---- */

struct cap {
	int fd;
	int saved;
	FILE *f;
};

static void cap_begin(struct cap *c, int fd)
{
	fflush(fd == STDOUT_FILENO ? stdout : stderr);
	c->fd = fd;
	c->f = tmpfile();
	assert_non_null(c->f);
	c->saved = dup(fd);
	assert_true(c->saved >= 0);
	assert_true(dup2(fileno(c->f), fd) >= 0);
}

/* Restore the descriptor; what was written meanwhile goes to out (NUL-terminated).
 * Call it before asserting, so a failure message is not captured. */
static size_t cap_end(struct cap *c, char *out, size_t sz)
{
	size_t n;

	fflush(c->fd == STDOUT_FILENO ? stdout : stderr);
	dup2(c->saved, c->fd);
	close(c->saved);
	rewind(c->f);
	n = fread(out, 1, sz - 1, c->f);
	out[n] = '\0';
	fclose(c->f);
	return n;
}

static unsigned count_of(const char *hay, const char *needle)
{
	unsigned n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ---- A minimal reader of one flat JSON object ----
 * Keys are strings; values strings, numbers, true, false or null. json_get finds
 * key and copies its value (strings unescaped, \uXXXX below 0x800 as UTF-8):
 * 0 found, 1 absent, -1 when the text is not one well-formed flat object. */

/* Read a JSON string at *pp (at its opening quote) into out; *pp moves past it. */
static int json_string(const char **pp, char *out, size_t sz, size_t *outlen)
{
	const char *p = *pp;
	size_t n = 0;

	if (*p++ != '"')
		return -1;
	for (;;) {
		unsigned char c = (unsigned char)*p++;
		unsigned cp;
		if (c == '\0' || c < 0x20)
			return -1; /* unterminated, or a raw control character */
		if (c == '"')
			break;
		if (c == '\\') {
			char e = *p++;
			switch (e) {
			case '"': case '\\': case '/': cp = (unsigned char)e; break;
			case 'n': cp = '\n'; break;
			case 'r': cp = '\r'; break;
			case 't': cp = '\t'; break;
			case 'b': cp = '\b'; break;
			case 'f': cp = '\f'; break;
			case 'u':
				cp = 0;
				for (int k = 0; k < 4; k++) {
					int h = sip_hex_digit(*p++);
					if (h < 0)
						return -1;
					cp = cp * 16 + (unsigned)h;
				}
				break;
			default:
				return -1;
			}
		} else {
			cp = c; /* a byte of UTF-8 passes as it is */
		}
		if (n + 3 >= sz)
			return -1;
		if (c == '\\' && cp >= 0x80) {
			if (cp >= 0x800)
				return -1;
			out[n++] = (char)(0xc0 | (cp >> 6));
			out[n++] = (char)(0x80 | (cp & 0x3f));
		} else {
			out[n++] = (char)cp;
		}
	}
	out[n] = '\0';
	*outlen = n;
	*pp = p;
	return 0;
}

static int json_get(const char *s, const char *key, char *out, size_t sz)
{
	const char *p = s;
	char k[256], v[4096];
	size_t kl, vl;
	int found = 1;

	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return -1;
	if (*p == '}') {
		p++;
	} else {
		for (;;) {
			if (json_string(&p, k, sizeof(k), &kl) != 0 || *p++ != ':')
				return -1;
			if (*p == '"') {
				if (json_string(&p, v, sizeof(v), &vl) != 0)
					return -1;
			} else {
				vl = strcspn(p, ",}");
				if (vl == 0 || vl >= sizeof(v) || strspn(p, "0123456789.-+eEtrufalsn") != vl)
					return -1;
				memcpy(v, p, vl);
				v[vl] = '\0';
				if (!strchr("-0123456789", v[0]) && strcmp(v, "true") != 0 && strcmp(v, "false") != 0 &&
				    strcmp(v, "null") != 0)
					return -1;
				p += vl;
			}
			if (strcmp(k, key) == 0) {
				if (vl >= sz)
					return -1;
				memcpy(out, v, vl + 1);
				found = 0;
			}
			if (*p == ',') {
				p++;
				continue;
			}
			if (*p++ != '}')
				return -1;
			break;
		}
	}
	if (*p == '\n')
		p++;
	return *p == '\0' ? found : -1;
}

/* The value of key in line, which must be a well-formed flat object. */
static const char *jv(const char *line, const char *key)
{
	static char v[4096];
	int rc = json_get(line, key, v, sizeof(v));

	if (rc < 0)
		fail_msg("not a flat JSON object: %s", line);
	if (rc > 0)
		fail_msg("no key '%s' in %s", key, line);
	return v;
}

static bool jhas(const char *line, const char *key)
{
	char v[4096];
	int rc = json_get(line, key, v, sizeof(v));

	if (rc < 0)
		fail_msg("not a flat JSON object: %s", line);
	return rc == 0;
}

/* Line i (0-based) of text into line. */
static bool nth_line(const char *text, unsigned i, char *line, size_t sz)
{
	const char *p = text;

	for (; i > 0 && p; i--) {
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	if (!p || !*p)
		return false;
	size_t n = strcspn(p, "\n");
	if (n + 1 > sz)
		return false;
	memcpy(line, p, n);
	line[n] = '\0';
	return true;
}

/* ---- ua_exit_for ---- */

static void test_exit_for(void **state)
{
	(void)state;
	/* No final class: nothing a command can report as the outcome. */
	assert_int_equal(ua_exit_for(0), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(-1), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(99), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(100), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(180), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(199), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(700), UA_EXIT_ERROR);
	assert_int_equal(ua_exit_for(1000), UA_EXIT_ERROR);
	for (int c = 200; c <= 299; c++)
		assert_int_equal(ua_exit_for(c), UA_EXIT_OK);
	for (int c = 300; c <= 699; c++)
		assert_int_equal(ua_exit_for(c), c / 100);
	assert_int_equal(ua_exit_for(300), UA_EXIT_3XX);
	assert_int_equal(ua_exit_for(399), UA_EXIT_3XX);
	assert_int_equal(ua_exit_for(400), UA_EXIT_4XX);
	assert_int_equal(ua_exit_for(499), UA_EXIT_4XX);
	assert_int_equal(ua_exit_for(500), UA_EXIT_5XX);
	assert_int_equal(ua_exit_for(599), UA_EXIT_5XX);
	assert_int_equal(ua_exit_for(600), UA_EXIT_6XX);
	assert_int_equal(ua_exit_for(699), UA_EXIT_6XX);
	/* A 408 a server sent is a 4xx answer; a local timeout (no final response,
	 * ua_result.timeout) is UA_EXIT_TIMEOUT, which the commands choose from the
	 * result (test_timeout checks that path). */
	assert_int_equal(ua_exit_for(408), UA_EXIT_4XX);
	assert_int_not_equal(UA_EXIT_TIMEOUT, UA_EXIT_4XX);
	/* Distinct statuses: a script can tell every outcome apart. */
	int all[] = { UA_EXIT_OK, UA_EXIT_ERROR, UA_EXIT_USAGE, UA_EXIT_3XX, UA_EXIT_4XX,
		      UA_EXIT_5XX, UA_EXIT_6XX, UA_EXIT_TIMEOUT };
	for (size_t a = 0; a < sizeof(all) / sizeof(all[0]); a++)
		for (size_t b = a + 1; b < sizeof(all) / sizeof(all[0]); b++)
			assert_int_not_equal(all[a], all[b]);
}

/* ---- ua_opts_parse ---- */

/* Parse argv[i] once with stderr captured into err. */
static int parse1(struct ua_opts *o, int argc, char **argv, int *i, char *err, size_t errsz)
{
	struct cap c;
	int rc;

	cap_begin(&c, STDERR_FILENO);
	rc = ua_opts_parse(o, argc, argv, i);
	cap_end(&c, err, errsz);
	return rc;
}

static void test_opts_all(void **state)
{
	char *argv[] = { "register", "--from", "sip:alice@example.com", "--user", "al", "--password", "pw",
			 "--transport", "tcp", "--proxy", "127.0.0.1:5070", "--timeout", "2.5", "--verbose",
			 "--json", "-v", "sip:bob@example.com", "--count", "3" };
	int argc = (int)(sizeof(argv) / sizeof(argv[0]));
	struct ua_opts o = { 0 };
	char err[512];
	int i = 1;

	(void)state;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 2); /* on the value: the caller's loop steps past it */
	assert_string_equal(o.from, "sip:alice@example.com");
	i = 3;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 4);
	assert_string_equal(o.user, "al");
	i = 5;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 6);
	assert_string_equal(o.password, "pw");
	i = 7;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 8);
	assert_string_equal(o.transport, "tcp");
	i = 9;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 10);
	assert_string_equal(o.proxy, "127.0.0.1:5070");
	i = 11;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 12);
	assert_true(o.timeout_s == 2.5);
	i = 13;
	assert_false(o.verbose);
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 13); /* a flag takes no value */
	assert_true(o.verbose);
	i = 14;
	assert_false(o.json);
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_int_equal(i, 14);
	assert_true(o.json);
	o.verbose = false;
	i = 15;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 1);
	assert_true(o.verbose);
	/* Not common options: 0, nothing consumed, nothing printed. */
	i = 16;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 0);
	assert_int_equal(i, 16);
	i = 17;
	assert_int_equal(parse1(&o, argc, argv, &i, err, sizeof(err)), 0);
	assert_int_equal(i, 17);
	assert_string_equal(err, "");
	/* Each transport the toolkit has. */
	const char *tps[] = { "udp", "tcp", "tls" };
	for (size_t k = 0; k < 3; k++) {
		char *av[] = { "x", "--transport", (char *)tps[k] };
		struct ua_opts t = { 0 };
		i = 1;
		assert_int_equal(parse1(&t, 3, av, &i, err, sizeof(err)), 1);
		assert_string_equal(t.transport, tps[k]);
		assert_int_equal(i, 2);
	}
}

static void test_opts_missing_value(void **state)
{
	const char *names[] = { "--from", "--user", "--password", "--transport", "--proxy", "--timeout" };
	char err[512];

	(void)state;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char *argv[] = { "options", (char *)names[k] };
		struct ua_opts o = { 0 };
		int i = 1;
		assert_int_equal(parse1(&o, 2, argv, &i, err, sizeof(err)), -1);
		assert_int_equal(i, 1);
		assert_null(o.from);
		assert_null(o.user);
		assert_null(o.password);
		assert_null(o.transport);
		assert_null(o.proxy);
		assert_true(o.timeout_s == 0);
		char want[64];
		snprintf(want, sizeof(want), "siphon: %s needs a value\n", names[k]);
		assert_string_equal(err, want);
	}
}

static void test_opts_bad_values(void **state)
{
	const char *bad_tp[] = { "foo", "UDP", "", "sctp", "ws" };
	const char *bad_to[] = { "-1", "abc", "0", "", "1.5x", "86401", "nan", "inf", "-0", " " };
	const char *good_to[] = { "0.25", "1", "86400", "1e1" };
	double good_val[] = { 0.25, 1, 86400, 10 };
	char err[512];

	(void)state;
	for (size_t k = 0; k < sizeof(bad_tp) / sizeof(bad_tp[0]); k++) {
		char *argv[] = { "options", "--transport", (char *)bad_tp[k], "sip:x@y" };
		struct ua_opts o = { .transport = "udp" };
		int i = 1;
		assert_int_equal(parse1(&o, 4, argv, &i, err, sizeof(err)), -1);
		assert_int_equal(i, 1);                  /* nothing consumed */
		assert_string_equal(o.transport, "udp"); /* and nothing written */
		assert_string_equal(err, "siphon: --transport must be udp, tcp or tls\n");
	}
	for (size_t k = 0; k < sizeof(bad_to) / sizeof(bad_to[0]); k++) {
		char *argv[] = { "options", "--timeout", (char *)bad_to[k] };
		struct ua_opts o = { .timeout_s = 7 };
		int i = 1;
		assert_int_equal(parse1(&o, 3, argv, &i, err, sizeof(err)), -1);
		assert_int_equal(i, 1);
		assert_true(o.timeout_s == 7);
		assert_string_equal(err, "siphon: --timeout wants seconds (0 < S <= 86400)\n");
	}
	for (size_t k = 0; k < sizeof(good_to) / sizeof(good_to[0]); k++) {
		char *argv[] = { "options", "--timeout", (char *)good_to[k] };
		struct ua_opts o = { 0 };
		int i = 1;
		assert_int_equal(parse1(&o, 3, argv, &i, err, sizeof(err)), 1);
		assert_int_equal(i, 2);
		assert_true(o.timeout_s == good_val[k]);
	}
}

/* --expires of register, publish, subscribe: whole seconds, 0..2^32-1; a bad
 * value writes nothing and names the command. */
static void test_arg_expires(void **state)
{
	const char *bad[] = { "-1", "abc", "", "4294967296", "1.5", " 5", "60s" };
	unsigned v = 77;
	char err[256];
	struct cap c;

	(void)state;
	assert_int_equal(ua_arg_expires("register", "0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ua_arg_expires("register", "3600", &v), 0);
	assert_int_equal(v, 3600);
	assert_int_equal(ua_arg_expires("register", "4294967295", &v), 0);
	assert_int_equal(v, 4294967295u);
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		v = 77;
		cap_begin(&c, STDERR_FILENO);
		int rc = ua_arg_expires("publish", bad[k], &v);
		cap_end(&c, err, sizeof(err));
		assert_int_equal(rc, -1);
		assert_int_equal(v, 77);
		assert_string_equal(err, "siphon publish: --expires wants seconds\n");
	}
}

/* ---- ua_init ---- */

/* ua_init with stderr captured into OUT; the status. */
static int init_cap(const struct ua_opts *o, const char *uri)
{
	struct cap c;
	int rc;

	cap_begin(&c, STDERR_FILENO);
	rc = ua_init(&U, o, uri);
	cap_end(&c, OUT, sizeof(OUT));
	return rc;
}

/* Tear down a UA that ua_init set up: ua_stop and ua_run free everything. */
static void end_ua(void)
{
	ua_stop(&U, UA_EXIT_3XX);
	assert_int_equal(ua_run(&U), UA_EXIT_3XX);
}

static void test_init_udp(void **state)
{
	struct ua_opts o = { 0 };
	char want[256], tag1[SIP_TAG_SIZE], cid1[SIP_CALL_ID_SIZE];

	(void)state;
	assert_int_equal(init_cap(&o, "sip:bob@127.0.0.1:5999"), 0);
	assert_int_equal(U.tp, SIP_TP_UDP);
	assert_string_equal(U.dst_text, "udp:127.0.0.1:5999");
	assert_int_equal(U.dst.tp, SIP_TP_UDP);
	assert_int_equal(U.dst.remote.u.sa.sa_family, AF_INET);
	assert_int_equal(sip_net_addr_port(&U.dst.remote), 5999);
	assert_int_equal(U.tdst.proto, SIP_TXN_UDP);
	assert_int_equal(U.tdst.addr.in.sin_family, AF_INET);
	assert_int_equal(ntohs(U.tdst.addr.in.sin_port), 5999);
	assert_int_equal(ntohl(U.tdst.addr.in.sin_addr.s_addr), INADDR_LOOPBACK);
	assert_string_equal(U.local_ip, "127.0.0.1");
	assert_non_null(U.lis);
	assert_true(U.local_port > 0);
	assert_int_equal(sip_net_addr_port(sip_listener_addr(U.lis)), U.local_port);
	snprintf(want, sizeof(want), "127.0.0.1:%u", U.local_port);
	assert_string_equal(U.host, want);
	/* Defaults: From sip:siphon@local, Contact the same user at the listener. */
	snprintf(want, sizeof(want), "sip:siphon@127.0.0.1:%u", U.local_port);
	assert_string_equal(U.from_uri, want);
	snprintf(want, sizeof(want), "<sip:siphon@127.0.0.1:%u>", U.local_port);
	assert_string_equal(U.contact, want);
	assert_true(U.opt.timeout_s == 32); /* 64*T1 */
	assert_int_equal(U.cseq, 0);
	assert_int_equal(U.status, UA_EXIT_ERROR); /* until a command decides */
	assert_true(strlen(U.from_tag) >= 8);
	assert_true(strlen(U.call_id) >= 8);
	assert_int_equal(strspn(U.from_tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"),
			 strlen(U.from_tag));
	memcpy(tag1, U.from_tag, sizeof(tag1));
	memcpy(cid1, U.call_id, sizeof(cid1));
	end_ua();

	/* A second UA draws a new tag and Call-ID; no port: 5060. */
	assert_int_equal(init_cap(&o, "sip:127.0.0.1"), 0);
	assert_string_equal(U.dst_text, "udp:127.0.0.1:5060");
	assert_string_not_equal(U.from_tag, tag1);
	assert_string_not_equal(U.call_id, cid1);
	end_ua();
}

static void test_init_user_from(void **state)
{
	struct ua_opts o = { .user = "alice", .timeout_s = 3 };
	char want[256];

	(void)state;
	assert_int_equal(init_cap(&o, "sip:127.0.0.1:5999"), 0);
	snprintf(want, sizeof(want), "sip:alice@127.0.0.1:%u", U.local_port);
	assert_string_equal(U.from_uri, want);
	snprintf(want, sizeof(want), "<sip:alice@127.0.0.1:%u>", U.local_port);
	assert_string_equal(U.contact, want);
	assert_true(U.opt.timeout_s == 3);
	end_ua();

	o = (struct ua_opts){ .from = "sip:bob@example.com", .user = "alice" };
	assert_int_equal(init_cap(&o, "sip:127.0.0.1:5999"), 0);
	assert_string_equal(U.from_uri, "sip:bob@example.com");
	snprintf(want, sizeof(want), "<sip:bob@127.0.0.1:%u>", U.local_port);
	assert_string_equal(U.contact, want);
	end_ua();
}

static void test_init_transports(void **state)
{
	struct ua_opts o = { 0 };
	char want[256];

	(void)state;
	/* sips: is TLS to 5061; TLS has no listener (Via host without a port). */
	assert_int_equal(init_cap(&o, "sips:bob@127.0.0.1"), 0);
	assert_int_equal(U.tp, SIP_TP_TLS);
	assert_int_equal(U.tdst.proto, SIP_TXN_TLS);
	assert_string_equal(U.dst_text, "tls:127.0.0.1:5061");
	assert_null(U.lis);
	assert_string_equal(U.host, "127.0.0.1");
	assert_string_equal(U.contact, "<sip:siphon@127.0.0.1;transport=tls>");
	end_ua();

	/* A sips: target through a host:port proxy: TLS to the proxy too (RFC 3261
	 * 26.2.2), never UDP; a transport that is not TLS is refused. */
	o.proxy = "127.0.0.1:5997";
	assert_int_equal(init_cap(&o, "sips:bob@example.com"), 0);
	assert_int_equal(U.tp, SIP_TP_TLS);
	assert_string_equal(U.dst_text, "tls:127.0.0.1:5997");
	assert_string_equal(U.tls_host, "127.0.0.1");
	end_ua();
	o.transport = "udp";
	assert_int_equal(init_cap(&o, "sips:bob@example.com"), UA_EXIT_USAGE);
	assert_non_null(strstr(OUT, "a sips: URI is reached over TLS only"));
	o.transport = NULL;
	o.proxy = "sip:127.0.0.1:5997;transport=tcp";
	assert_int_equal(init_cap(&o, "sips:bob@example.com"), UA_EXIT_USAGE);
	o.proxy = NULL;

	/* ;transport=tcp: a TCP listener, Contact says so. */
	assert_int_equal(init_cap(&o, "sip:bob@127.0.0.1:5998;transport=tcp"), 0);
	assert_int_equal(U.tp, SIP_TP_TCP);
	assert_int_equal(U.tdst.proto, SIP_TXN_TCP);
	assert_string_equal(U.dst_text, "tcp:127.0.0.1:5998");
	assert_non_null(U.lis);
	snprintf(want, sizeof(want), "<sip:siphon@127.0.0.1:%u;transport=tcp>", U.local_port);
	assert_string_equal(U.contact, want);
	end_ua();

	/* --transport overrides the URI. */
	o.transport = "tcp";
	assert_int_equal(init_cap(&o, "sip:bob@127.0.0.1:5998"), 0);
	assert_int_equal(U.tp, SIP_TP_TCP);
	assert_string_equal(U.dst_text, "tcp:127.0.0.1:5998");
	end_ua();

	/* An IPv6 literal: the local address is ::1 and written in brackets. */
	o.transport = NULL;
	assert_int_equal(init_cap(&o, "sip:bob@[::1]:5997"), 0);
	assert_int_equal(U.tp, SIP_TP_UDP);
	assert_int_equal(U.dst.remote.u.sa.sa_family, AF_INET6);
	assert_int_equal(U.tdst.addr.in6.sin6_family, AF_INET6);
	assert_int_equal(ntohs(U.tdst.addr.in6.sin6_port), 5997);
	assert_string_equal(U.dst_text, "udp:[::1]:5997");
	assert_string_equal(U.local_ip, "::1");
	snprintf(want, sizeof(want), "[::1]:%u", U.local_port);
	assert_string_equal(U.host, want);
	snprintf(want, sizeof(want), "sip:siphon@[::1]:%u", U.local_port);
	assert_string_equal(U.from_uri, want);
	end_ua();
}

static void test_init_proxy(void **state)
{
	struct ua_opts o = { .proxy = "127.0.0.1:5070" };

	(void)state;
	/* The next hop is the proxy: the target's host is never resolved. */
	assert_int_equal(init_cap(&o, "sip:bob@example.invalid"), 0);
	assert_int_equal(U.tp, SIP_TP_UDP);
	assert_string_equal(U.dst_text, "udp:127.0.0.1:5070");
	assert_int_equal(ntohs(U.tdst.addr.in.sin_port), 5070);
	end_ua();

	/* A proxy URI: its transport= decides. */
	o.proxy = "sip:127.0.0.1:5071;transport=tcp;lr";
	assert_int_equal(init_cap(&o, "sip:bob@example.invalid"), 0);
	assert_int_equal(U.tp, SIP_TP_TCP);
	assert_string_equal(U.dst_text, "tcp:127.0.0.1:5071");
	end_ua();

	/* A proxy host without a port: the transport's default. */
	o.proxy = "[::1]";
	assert_int_equal(init_cap(&o, "sip:bob@example.invalid"), 0);
	assert_string_equal(U.dst_text, "udp:[::1]:5060");
	end_ua();

	const char *bad[] = { "sip:", "[::1", "127.0.0.1:99999", "", "sip:@" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		o.proxy = bad[k];
		assert_int_equal(init_cap(&o, "sip:bob@127.0.0.1"), UA_EXIT_USAGE);
		char want[128];
		snprintf(want, sizeof(want), "siphon: bad --proxy '%s'\n", bad[k]);
		assert_string_equal(OUT, want);
	}
}

static void test_init_bad_uri(void **state)
{
	const char *bad[] = { "tel:+15551234567", "http://example.com/", "sip:", "not a uri", "",
			      "mailto:bob@example.com", "sip:bob@", "sip:bob@[::1" };
	const char *bad_tp[] = { "sip:bob@127.0.0.1;transport=sctp", "sips:bob@127.0.0.1;transport=udp",
				 "sip:bob@127.0.0.1;transport=ws" };
	struct ua_opts o = { 0 };
	char want[256];

	(void)state;
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(init_cap(&o, bad[k]), UA_EXIT_USAGE);
		snprintf(want, sizeof(want), "siphon: '%s' is not a sip: or sips: URI\n", bad[k]);
		assert_string_equal(OUT, want);
	}
	for (size_t k = 0; k < sizeof(bad_tp) / sizeof(bad_tp[0]); k++) {
		assert_int_equal(init_cap(&o, bad_tp[k]), UA_EXIT_USAGE);
		assert_non_null(strstr(OUT, "transport"));
	}
}

/* ---- ua_build ---- */

static struct sip_msg *parse_or_fail(const struct sip_buf *b)
{
	struct sip_msg *m = NULL;
	struct sip_parse_error pe = { 0 };

	if (sip_msg_parse(&m, b->p, b->len, NULL, &pe) != 0)
		fail_msg("does not parse (%s at %zu): %.*s", pe.reason ? pe.reason : "?", pe.offset, (int)b->len, b->p);
	return m;
}

static void check_via(struct sip_msg *m, const char *branch)
{
	const struct sip_via *v;

	assert_int_equal(sip_msg_via_count(m), 1);
	assert_int_equal(sip_msg_via(m, 0, &v), 0);
	assert_str(v->protocol, "SIP/2.0");
	assert_str(v->transport, "UDP");
	assert_str(v->host, "127.0.0.1");
	assert_true(v->has_port);
	assert_int_equal(v->port, U.local_port);
	assert_true(sip_via_branch_is_rfc3261(v));
	assert_true(v->branch.len > 7 + 8); /* the cookie and some randomness */
	assert_str(v->branch, branch);
	assert_true(v->has_rport);
	assert_int_equal(v->rport, 0);
}

static void test_build_request(void **state)
{
	const char *ruri = "sip:bob@127.0.0.1:5999";
	const char *body = "h\xc3\xa9llo, Bob";
	struct ua_req_spec s = {
		.method = "MESSAGE", .ruri = ruri, .contact = true,
		.headers = "Subject: greeting\r\nX-Siphon-Test: one, two\r\nPriority: urgent",
		.ctype = "text/plain;charset=UTF-8", .body = body, .body_len = strlen(body),
	};
	struct ua_opts o = { 0 };
	struct sip_buf b = SIP_BUF_INIT;
	char branch[SIP_BRANCH_SIZE], branch1[SIP_BRANCH_SIZE], want[256];
	struct sip_msg *m;
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	const struct sip_ctype *ct;
	const struct sip_hdr *h;
	struct sip_str cid;
	uint32_t u;

	(void)state;
	assert_int_equal(init_cap(&o, "sip:bob@127.0.0.1:5999"), 0);
	assert_int_equal(ua_build(&U, &b, &s, branch), 0);
	m = parse_or_fail(&b);
	assert_true(m->is_request);
	assert_int_equal(m->method, SIP_METHOD_MESSAGE);
	assert_str(m->ruri_str, ruri);
	assert_str(m->version, "SIP/2.0");
	check_via(m, branch);
	assert_int_equal(sip_msg_max_forwards(m, &u), 0);
	assert_int_equal(u, 70);
	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_str(a->uri_str, U.from_uri);
	assert_true(a->angle);
	assert_str(a->tag, U.from_tag);
	assert_int_equal(sip_msg_to(m, &a), 0);
	assert_str(a->uri_str, ruri);
	assert_int_equal(a->tag.len, 0);
	assert_int_equal(sip_msg_call_id(m, &cid), 0);
	assert_str(cid, U.call_id);
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, 1);
	assert_int_equal(cs->method, SIP_METHOD_MESSAGE);
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	snprintf(want, sizeof(want), "sip:siphon@127.0.0.1:%u", U.local_port);
	assert_str(a->uri_str, want);
	h = sip_msg_hdr_by_name(m, SIP_STR("X-Siphon-Test"));
	assert_non_null(h);
	assert_str(h->value, "one, two");
	h = sip_msg_hdr(m, SIP_HDR_SUBJECT);
	assert_non_null(h);
	assert_str(h->value, "greeting");
	h = sip_msg_hdr_by_name(m, SIP_STR("Priority")); /* the last line needs no CRLF */
	assert_non_null(h);
	assert_str(h->value, "urgent");
	h = sip_msg_hdr(m, SIP_HDR_USER_AGENT);
	assert_non_null(h);
	assert_str(h->value, "siphon/" SIPHON_VERSION);
	assert_int_equal(sip_msg_content_type(m, &ct), 0);
	assert_str(ct->type, "text");
	assert_str(ct->subtype, "plain");
	assert_int_equal(sip_msg_content_length(m, &u), 0);
	assert_int_equal(u, strlen(body));
	assert_str(m->body, body);
	/* No credentials without a challenge, no Route outside a dialog. */
	assert_false(sip_msg_has(m, SIP_HDR_AUTHORIZATION));
	assert_false(sip_msg_has(m, SIP_HDR_PROXY_AUTHORIZATION));
	assert_false(sip_msg_has(m, SIP_HDR_ROUTE));
	sip_msg_free(m);
	memcpy(branch1, branch, sizeof(branch1));

	/* The next request: CSeq + 1, a new branch, same Call-ID and tag. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "OPTIONS", .ruri = ruri };
	assert_int_equal(ua_build(&U, &b, &s, branch), 0);
	m = parse_or_fail(&b);
	assert_string_not_equal(branch, branch1);
	check_via(m, branch);
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, 2);
	assert_int_equal(cs->method, SIP_METHOD_OPTIONS);
	assert_int_equal(sip_msg_contact_count(m), 0); /* contact = false */
	assert_int_equal(sip_msg_content_length(m, &u), 0);
	assert_int_equal(u, 0);
	assert_int_equal(m->body.len, 0);
	assert_false(sip_msg_has(m, SIP_HDR_CONTENT_TYPE));
	sip_msg_free(m);

	/* Everything the spec may override. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){
		.method = "NOTIFY", .ruri = "sip:carol@127.0.0.1:5998", .to = "\"Carol\" <sip:carol@example.com>;tag=t9",
		.call_id = "fixed-call@127.0.0.1", .cseq = 77, .contact = true, .contact_value = "<sip:me@192.0.2.1>",
		.route = "Route: <sip:127.0.0.1:5070;lr>\r\nRoute: <sip:127.0.0.1:5071;lr>\r\n",
		.body = "x", .body_len = 1,
	};
	assert_int_equal(ua_build(&U, &b, &s, NULL), 0);
	m = parse_or_fail(&b);
	assert_str(m->ruri_str, "sip:carol@127.0.0.1:5998");
	assert_int_equal(sip_msg_to(m, &a), 0);
	assert_str(a->uri_str, "sip:carol@example.com");
	assert_str(a->display, "Carol");
	assert_str(a->tag, "t9");
	assert_int_equal(sip_msg_call_id(m, &cid), 0);
	assert_str(cid, "fixed-call@127.0.0.1");
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, 77);
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	assert_str(a->uri_str, "sip:me@192.0.2.1");
	assert_int_equal(sip_msg_route_count(m), 2);
	assert_int_equal(sip_msg_route(m, 0, &a), 0);
	assert_str(a->uri_str, "sip:127.0.0.1:5070;lr");
	assert_true(a->uri.lr);
	assert_int_equal(sip_msg_route(m, 1, &a), 0);
	assert_str(a->uri_str, "sip:127.0.0.1:5071;lr");
	assert_int_equal(sip_msg_content_type(m, &ct), 0); /* default type for a body */
	assert_str(ct->type, "text");
	assert_str(ct->subtype, "plain");
	assert_str(m->body, "x");
	sip_msg_free(m);
	/* An explicit CSeq does not use up the UA's counter. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "OPTIONS", .ruri = ruri };
	assert_int_equal(ua_build(&U, &b, &s, NULL), 0);
	m = parse_or_fail(&b);
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, 3);
	sip_msg_free(m);

	/* Bad extra headers are refused, never written. */
	const char *bad[] = { "NoColonHere\r\n", "X-A: 1\r\nbroken line\r\n", "X-A: a\rb\r\n", "Bad Name: v\r\n",
			      "Content-Length: 5\r\n" };
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		sip_buf_reset(&b);
		s = (struct ua_req_spec){ .method = "OPTIONS", .ruri = ruri, .headers = bad[k] };
		assert_true(ua_build(&U, &b, &s, NULL) < 0);
	}
	sip_buf_free(&b);
	end_ua();
}

/* A 200 to req from bob with Record-Route rr (may be NULL) and Contact target. */
static struct sip_msg *answer_200(struct sip_msg *req, const char *rr1, const char *rr2, const char *target)
{
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;
	struct sip_msg *m;

	assert_int_equal(sip_out_response_to(&o, req, 200, NULL, SIP_STR("bobtag")), 0);
	if (rr1)
		assert_int_equal(sip_out_add(o, SIP_HDR_RECORD_ROUTE, sip_str_from_cstr(rr1)), 0);
	if (rr2)
		assert_int_equal(sip_out_add(o, SIP_HDR_RECORD_ROUTE, sip_str_from_cstr(rr2)), 0);
	assert_int_equal(sip_out_add(o, SIP_HDR_CONTACT, sip_str_from_cstr(target)), 0);
	assert_int_equal(sip_out_serialize(o, &b), 0);
	sip_out_free(o);
	m = parse_or_fail(&b);
	sip_buf_free(&b);
	return m;
}

static void test_build_in_dialog(void **state)
{
	const char *ruri = "sip:bob@127.0.0.1:5999";
	struct ua_opts o = { 0 };
	struct sip_buf b = SIP_BUF_INIT;
	struct ua_req_spec s = { .method = "INVITE", .ruri = ruri, .contact = true };
	char branch[SIP_BRANCH_SIZE];
	struct sip_msg *inv, *ok, *m;
	struct sip_dialog *d, *d2;
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	struct sip_str cid;
	struct sip_txn_dest dst;
	uint32_t u, inv_seq;

	(void)state;
	assert_int_equal(init_cap(&o, ruri), 0);
	assert_int_equal(ua_build(&U, &b, &s, NULL), 0);
	inv = parse_or_fail(&b);
	assert_int_equal(sip_msg_cseq(inv, &cs), 0);
	inv_seq = cs->seq;
	/* Two proxies recorded the route; the 2xx lists them last hop first. */
	ok = answer_200(inv, "<sip:127.0.0.1:5072;lr>", "<sip:127.0.0.1:5071;lr>",
			"<sip:bob@127.0.0.1:5999;transport=udp>");
	assert_int_equal(sip_dialog_uac_alloc(&d, inv, ok, false), 0);

	/* BYE: what the spec says about Request-URI, To and Call-ID is ignored. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "BYE", .dlg = d, .ruri = "sip:nobody@192.0.2.9", .to = "<sip:nobody>",
				  .call_id = "ignored" };
	assert_int_equal(ua_build(&U, &b, &s, branch), 0);
	m = parse_or_fail(&b);
	assert_int_equal(m->method, SIP_METHOD_BYE);
	assert_str(m->ruri_str, "sip:bob@127.0.0.1:5999;transport=udp"); /* the remote target */
	check_via(m, branch);
	assert_int_equal(sip_msg_route_count(m), 2);
	assert_int_equal(sip_msg_route(m, 0, &a), 0);
	assert_str(a->uri_str, "sip:127.0.0.1:5071;lr");
	assert_int_equal(sip_msg_route(m, 1, &a), 0);
	assert_str(a->uri_str, "sip:127.0.0.1:5072;lr");
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, inv_seq + 1);
	assert_int_equal(cs->method, SIP_METHOD_BYE);
	assert_int_equal(sip_msg_call_id(m, &cid), 0);
	assert_str(cid, U.call_id);
	assert_int_equal(sip_msg_from(m, &a), 0);
	assert_str(a->uri_str, U.from_uri);
	assert_str(a->tag, U.from_tag);
	assert_int_equal(sip_msg_to(m, &a), 0);
	assert_str(a->uri_str, ruri);
	assert_str(a->tag, "bobtag");
	assert_int_equal(sip_msg_max_forwards(m, &u), 0);
	assert_int_equal(u, 70);
	assert_int_equal(sip_msg_contact_count(m), 0);
	sip_msg_free(m);

	/* ACK for the 2xx: the INVITE's CSeq number, and the local number stays. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "ACK", .dlg = d, .cseq = inv_seq };
	assert_int_equal(ua_build(&U, &b, &s, branch), 0);
	m = parse_or_fail(&b);
	check_via(m, branch);
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, inv_seq);
	assert_int_equal(cs->method, SIP_METHOD_ACK);
	sip_msg_free(m);

	/* A target refresh carries the UA's Contact. */
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "INVITE", .dlg = d, .contact = true };
	assert_int_equal(ua_build(&U, &b, &s, branch), 0);
	m = parse_or_fail(&b);
	assert_int_equal(sip_msg_cseq(m, &cs), 0);
	assert_int_equal(cs->seq, inv_seq + 2);
	assert_int_equal(sip_msg_contact_count(m), 1);
	assert_int_equal(sip_msg_contact(m, 0, &a), 0);
	char want[128];
	snprintf(want, sizeof(want), "sip:siphon@127.0.0.1:%u", U.local_port);
	assert_str(a->uri_str, want);
	sip_msg_free(m);

	/* The next hop: the first route; without a route set, the remote target. */
	assert_int_equal(ua_dialog_dest(&U, &dst, d), 0);
	assert_int_equal(dst.proto, SIP_TXN_UDP);
	assert_int_equal(dst.addr.in.sin_family, AF_INET);
	assert_int_equal(ntohs(dst.addr.in.sin_port), 5071);
	sip_msg_free(ok);
	ok = answer_200(inv, NULL, NULL, "<sip:bob@127.0.0.1:5996>");
	assert_int_equal(sip_dialog_uac_alloc(&d2, inv, ok, false), 0);
	assert_int_equal(ua_dialog_dest(&U, &dst, d2), 0);
	assert_int_equal(ntohs(dst.addr.in.sin_port), 5996);
	sip_buf_reset(&b);
	s = (struct ua_req_spec){ .method = "BYE", .dlg = d2 };
	assert_int_equal(ua_build(&U, &b, &s, NULL), 0);
	m = parse_or_fail(&b);
	assert_str(m->ruri_str, "sip:bob@127.0.0.1:5996");
	assert_false(sip_msg_has(m, SIP_HDR_ROUTE));
	sip_msg_free(m);

	sip_dialog_free(d);
	sip_dialog_free(d2);
	sip_msg_free(ok);
	sip_msg_free(inv);
	sip_buf_free(&b);
	end_ua();
}

/* ---- A responder on a real UDP socket in the UA's loop ---- */

enum peer_mode {
	PEER_AUTH,   /* challenge a request without credentials, 200 when they verify (else 403) */
	PEER_ALWAYS, /* challenge every request */
	PEER_STALE,  /* as PEER_AUTH, but the first credentials get a stale=true challenge */
	PEER_SILENT, /* never answer */
};

struct seen {
	char method[16];
	uint32_t cseq;
	char branch[64];
	bool www;   /* Authorization present */
	bool proxy; /* Proxy-Authorization present */
	char user[32], nonce[64], nc[16], uri[128], alg[16];
	int verdict; /* enum sip_auth_result, or -1 when not verified */
	int vnc;
	int valg;
};

#define MAX_SEEN 8
#define MAX_RES 4

struct peer {
	uv_udp_t udp;
	uv_timer_t guard;
	bool open;
	struct ua *ua;
	struct sip_nonce_state *ns;
	enum peer_mode mode;
	bool proxy;     /* challenge with 407 */
	unsigned algs;  /* offered algorithms */
	int chain;      /* MESSAGE requests the result callback sends after a final */
	char ruri[64];
	unsigned nreq;
	struct seen seen[MAX_SEEN];
	unsigned nres;
	struct {
		int code;
		bool final, timeout, has_msg, has_req;
		double rtt_ms;
	} res[MAX_RES];
	bool guard_fired;
	char rbuf[65536];
};

static struct peer P;

static void peer_finish(struct peer *p, int status)
{
	if (p->open) {
		p->open = false;
		uv_udp_recv_stop(&p->udp);
		uv_close((uv_handle_t *)&p->udp, NULL);
		uv_timer_stop(&p->guard);
		uv_close((uv_handle_t *)&p->guard, NULL);
	}
	ua_stop(p->ua, status);
}

static void guard_cb(uv_timer_t *t)
{
	struct peer *p = t->data;

	p->guard_fired = true;
	peer_finish(p, 99);
}

static void peer_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct peer *p = h->data;

	(void)hint;
	*buf = uv_buf_init(p->rbuf, sizeof(p->rbuf));
}

static void peer_answer(struct peer *p, struct sip_msg *req, int code, bool stale, const struct sockaddr *to)
{
	struct sip_out *o;
	struct sip_buf b = SIP_BUF_INIT;

	if (sip_out_response_to(&o, req, code, NULL, SIP_STR("peertag")) != 0)
		return;
	if (code == 401 || code == 407) {
		struct sip_buf ch[SIP_DIGEST_ALG_COUNT] = { SIP_BUF_INIT, SIP_BUF_INIT };
		struct sip_auth_challenge_opts co = { .realm = SIP_STR(REALM), .stale = stale, .algs = p->algs };
		size_t n = 0;
		if (sip_auth_challenge(ch, &n, p->ns, &co) == 0)
			for (size_t i = 0; i < n; i++)
				sip_out_add(o, code == 407 ? SIP_HDR_PROXY_AUTHENTICATE : SIP_HDR_WWW_AUTHENTICATE,
					    sip_buf_str(&ch[i]));
		for (size_t i = 0; i < SIP_DIGEST_ALG_COUNT; i++)
			sip_buf_free(&ch[i]);
	}
	if (sip_out_serialize(o, &b) == 0) {
		uv_buf_t ub = uv_buf_init(b.p, (unsigned)b.len);
		uv_udp_try_send(&p->udp, &ub, 1, to);
	}
	sip_out_free(o);
	sip_buf_free(&b);
}

/* Verify cred with siphon's verifier against the HA1 of (user, REALM, PASSWORD). */
static int peer_verify(struct peer *p, struct sip_msg *m, const struct sip_auth *cred, struct seen *s)
{
	struct sip_auth_request rq = { .realm = SIP_STR(REALM), .method = m->method_str, .request_uri = m->ruri_str };
	struct sip_auth_verdict v;
	enum sip_digest_alg alg;
	char ha1[SIP_DIGEST_HEX_SIZE];

	if (sip_auth_cred_alg(&alg, cred) != 0 ||
	    sip_digest_ha1(alg, cred->username, SIP_STR(REALM), SIP_STR(PASSWORD), ha1) != 0 ||
	    sip_auth_verify(&v, p->ns, cred, &rq, sip_str_from_cstr(ha1)) != 0)
		return -1;
	s->vnc = (int)v.nc;
	s->valg = (int)alg;
	return (int)v.result;
}

static void peer_recv(uv_udp_t *h, ssize_t n, const uv_buf_t *buf, const struct sockaddr *from, unsigned flags)
{
	struct peer *p = h->data;
	struct sip_msg *m;
	const struct sip_auth *cred = NULL;
	const struct sip_cseq *cs;
	const struct sip_via *v;
	int code;
	bool stale = false;

	(void)flags;
	if (n <= 0 || !from || sip_msg_parse(&m, buf->base, (size_t)n, NULL, NULL) != 0)
		return;
	if (!m->is_request || p->nreq >= MAX_SEEN) {
		sip_msg_free(m);
		return;
	}
	struct seen *s = &p->seen[p->nreq++];
	s->verdict = -1;
	sip_str_copy(s->method, sizeof(s->method), m->method_str);
	if (sip_msg_cseq(m, &cs) == 0)
		s->cseq = cs->seq;
	if (sip_msg_via(m, 0, &v) == 0)
		sip_str_copy(s->branch, sizeof(s->branch), v->branch);
	s->www = sip_msg_has(m, SIP_HDR_AUTHORIZATION);
	s->proxy = sip_msg_has(m, SIP_HDR_PROXY_AUTHORIZATION);
	if (sip_msg_auth(m, p->proxy ? SIP_HDR_PROXY_AUTHORIZATION : SIP_HDR_AUTHORIZATION, 0, &cred) == 0) {
		sip_str_copy(s->user, sizeof(s->user), cred->username);
		sip_str_copy(s->nonce, sizeof(s->nonce), cred->nonce);
		sip_str_copy(s->nc, sizeof(s->nc), cred->nc);
		sip_str_copy(s->uri, sizeof(s->uri), cred->uri);
		sip_str_copy(s->alg, sizeof(s->alg), cred->algorithm);
		s->verdict = peer_verify(p, m, cred, s);
	} else {
		cred = NULL;
	}
	if (p->mode == PEER_SILENT) {
		sip_msg_free(m);
		return;
	}
	if (p->mode == PEER_ALWAYS || !cred) {
		code = p->proxy ? 407 : 401;
	} else if (p->mode == PEER_STALE && p->nreq == 2) {
		code = p->proxy ? 407 : 401; /* as if the nonce had just expired */
		stale = true;
	} else {
		code = s->verdict == SIP_AUTH_OK ? 200 : 403;
	}
	peer_answer(p, m, code, stale, from);
	sip_msg_free(m);
}

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct peer *p = arg;

	(void)r;
	if (p->nres < MAX_RES) {
		p->res[p->nres].code = res->code;
		p->res[p->nres].final = res->final;
		p->res[p->nres].timeout = res->timeout;
		p->res[p->nres].has_msg = res->msg != NULL;
		p->res[p->nres].has_req = res->req != NULL;
		p->res[p->nres].rtt_ms = res->rtt_ms;
	}
	p->nres++;
	ua_print_response(ua, res); /* as every command does */
	if (!res->final)
		return;
	if (p->chain > 0) {
		struct ua_req_spec s = { .method = "MESSAGE", .ruri = p->ruri, .body = "hi", .body_len = 2 };
		p->chain--;
		if (ua_send(ua, &s, on_result, p, NULL) != 0)
			peer_finish(p, 98);
		return;
	}
	/* As the commands do: a timeout is its own status. */
	peer_finish(p, res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code));
}

/* Run one OPTIONS against the responder (P) in mode; stdout is captured to OUT.
 * Returns ua_run's status; P holds what the responder saw and the results. */
static int run_peer(enum peer_mode mode, bool proxy, unsigned algs, int chain, const struct ua_opts *opt)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	struct cap c;
	int fd, rc, status = -1;

	memset(&P, 0, sizeof(P));
	P.mode = mode;
	P.proxy = proxy;
	P.algs = algs;
	P.chain = chain;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(P.ruri, sizeof(P.ruri), "sip:bob@127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(sip_nonce_state_alloc(&P.ns, &(struct sip_nonce_cfg){ 0 }), 0);

	cap_begin(&c, STDOUT_FILENO);
	rc = ua_init(&U, opt, P.ruri);
	if (rc == 0) {
		P.ua = &U;
		uv_udp_init(&U.loop, &P.udp);
		P.udp.data = &P;
		uv_udp_open(&P.udp, fd);
		uv_udp_recv_start(&P.udp, peer_alloc, peer_recv);
		uv_timer_init(&U.loop, &P.guard);
		P.guard.data = &P;
		uv_timer_start(&P.guard, guard_cb, GUARD_MS, 0);
		P.open = true;
		struct ua_req_spec s = { .method = "OPTIONS", .ruri = P.ruri };
		if (ua_send(&U, &s, on_result, &P, NULL) != 0)
			peer_finish(&P, 97);
		status = ua_run(&U);
	} else {
		close(fd);
	}
	cap_end(&c, OUT, sizeof(OUT));
	if (getenv("UA_TEST_SHOW")) /* what the UA printed, to debug a failure */
		fprintf(stderr, "%s", OUT);
	sip_nonce_state_free(P.ns);
	P.ns = NULL;
	assert_int_equal(rc, 0);
	assert_false(P.guard_fired);
	return status;
}

static const struct ua_opts AUTH_OPTS = { .user = "alice", .password = PASSWORD, .timeout_s = 3 };

/* A request's credentials as the responder saw them: verified by siphon's
 * verifier, in the header the challenge asked for, for this user and URI. */
static void check_creds(const struct seen *s, bool proxy, enum sip_digest_alg alg, const char *nc)
{
	assert_int_equal(s->verdict, SIP_AUTH_OK);
	assert_true(proxy ? s->proxy : s->www);
	assert_false(proxy ? s->www : s->proxy); /* only the header the challenge asked for */
	assert_string_equal(s->user, "alice");
	assert_string_equal(s->uri, P.ruri);
	assert_string_equal(s->nc, nc);
	assert_int_equal(s->valg, alg);
	assert_string_equal(s->alg, sip_digest_alg_name(alg));
	assert_int_equal(strlen(s->nonce), SIP_NONCE_LEN);
}

static void test_digest_md5(void **state)
{
	char want[256];

	(void)state;
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_BIT(SIP_DIGEST_MD5), 0, &AUTH_OPTS), UA_EXIT_OK);
	assert_int_equal(P.nreq, 2);
	assert_int_equal(P.nres, 1); /* the challenge is answered, not delivered */
	assert_int_equal(P.res[0].code, 200);
	assert_true(P.res[0].final);
	assert_true(P.res[0].has_msg);
	assert_true(P.res[0].has_req);
	assert_false(P.seen[0].www);
	assert_false(P.seen[0].proxy);
	check_creds(&P.seen[1], false, SIP_DIGEST_MD5, "00000001");
	/* 22.2: the request again, a new transaction and CSeq. */
	assert_string_equal(P.seen[1].method, "OPTIONS");
	assert_int_equal(P.seen[1].cseq, P.seen[0].cseq + 1);
	assert_string_not_equal(P.seen[1].branch, P.seen[0].branch);
	assert_int_equal(strncmp(P.seen[1].branch, "z9hG4bK", 7), 0);
	snprintf(want, sizeof(want), "-> OPTIONS %s (udp:127.0.0.1:", P.ruri);
	assert_int_equal(count_of(OUT, want), 2);
	assert_int_equal(count_of(OUT, ", with credentials)\n"), 1);
	assert_non_null(strstr(OUT, "<- 401 Unauthorized  4xx "));
	assert_non_null(strstr(OUT, "   answering the server challenge as user 'alice'\n"));
	assert_non_null(strstr(OUT, "<- 200 OK  2xx "));
	assert_null(strstr(OUT, "what to do")); /* no advice for an answered challenge or a 2xx */
}

static void test_digest_sha256(void **state)
{
	(void)state;
	/* Both offered (SHA-256 first): the UA takes SHA-256 (RFC 8760). */
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_ALL, 0, &AUTH_OPTS), UA_EXIT_OK);
	assert_int_equal(P.nreq, 2);
	assert_int_equal(P.res[0].code, 200);
	check_creds(&P.seen[1], false, SIP_DIGEST_SHA256, "00000001");
	/* SHA-256 only. */
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_BIT(SIP_DIGEST_SHA256), 0, &AUTH_OPTS), UA_EXIT_OK);
	assert_int_equal(P.nreq, 2);
	check_creds(&P.seen[1], false, SIP_DIGEST_SHA256, "00000001");
}

static void test_digest_second_401_final(void **state)
{
	(void)state;
	assert_int_equal(run_peer(PEER_ALWAYS, false, SIP_DIGEST_ALL, 0, &AUTH_OPTS), UA_EXIT_4XX);
	/* One answer only: the second 401 (stale=false) is the final result. */
	assert_int_equal(P.nreq, 2);
	assert_int_equal(P.nres, 1);
	assert_int_equal(P.res[0].code, 401);
	assert_true(P.res[0].final);
	assert_false(P.seen[0].www);
	assert_true(P.seen[1].www);
	assert_int_equal(P.seen[1].verdict, SIP_AUTH_OK); /* right credentials, refused anyway */
	assert_int_equal(count_of(OUT, "answering the server challenge"), 1);
	assert_int_equal(count_of(OUT, "<- 401 Unauthorized"), 2);
	assert_int_equal(count_of(OUT, "   what to do: "), 1);

	/* Without a password a challenge is final at once. */
	struct ua_opts o = { .user = "alice", .timeout_s = 3 };
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_ALL, 0, &o), UA_EXIT_4XX);
	assert_int_equal(P.nreq, 1);
	assert_int_equal(P.res[0].code, 401);
	assert_null(strstr(OUT, "answering"));
}

static void test_digest_stale(void **state)
{
	(void)state;
	assert_int_equal(run_peer(PEER_STALE, false, SIP_DIGEST_BIT(SIP_DIGEST_MD5), 0, &AUTH_OPTS), UA_EXIT_OK);
	/* stale=true: answered again with the new nonce, its count from 1. */
	assert_int_equal(P.nreq, 3);
	assert_int_equal(P.nres, 1);
	assert_int_equal(P.res[0].code, 200);
	check_creds(&P.seen[1], false, SIP_DIGEST_MD5, "00000001");
	check_creds(&P.seen[2], false, SIP_DIGEST_MD5, "00000001");
	assert_string_not_equal(P.seen[2].nonce, P.seen[1].nonce);
	assert_int_equal(P.seen[2].cseq, P.seen[1].cseq + 1);
	assert_int_equal(count_of(OUT, "answering the server challenge"), 2);
	assert_int_equal(count_of(OUT, "answering the server challenge (stale nonce) as user 'alice'"), 1);
}

static void test_digest_proxy_407(void **state)
{
	(void)state;
	assert_int_equal(run_peer(PEER_AUTH, true, SIP_DIGEST_ALL, 0, &AUTH_OPTS), UA_EXIT_OK);
	assert_int_equal(P.nreq, 2);
	assert_int_equal(P.res[0].code, 200);
	assert_false(P.seen[0].proxy);
	check_creds(&P.seen[1], true, SIP_DIGEST_SHA256, "00000001");
	assert_non_null(strstr(OUT, "<- 407 Proxy Authentication Required  4xx "));
	assert_non_null(strstr(OUT, "   answering the proxy challenge as user 'alice'\n"));
}

static void test_digest_nonce_count(void **state)
{
	(void)state;
	/* After the challenge, the next request answers it at once with nc 2 (and a
	 * third with nc 3): no new 401, the server's verifier accepts the counts. */
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_BIT(SIP_DIGEST_MD5), 2, &AUTH_OPTS), UA_EXIT_OK);
	assert_int_equal(P.nreq, 4);
	assert_int_equal(P.nres, 3);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(P.res[i].code, 200);
	check_creds(&P.seen[1], false, SIP_DIGEST_MD5, "00000001");
	assert_string_equal(P.seen[2].method, "MESSAGE");
	check_creds(&P.seen[2], false, SIP_DIGEST_MD5, "00000002");
	assert_int_equal(P.seen[2].vnc, 2);
	check_creds(&P.seen[3], false, SIP_DIGEST_MD5, "00000003");
	assert_string_equal(P.seen[2].nonce, P.seen[1].nonce);
	assert_string_equal(P.seen[3].nonce, P.seen[1].nonce);
	assert_int_equal(P.seen[2].cseq, P.seen[1].cseq + 1);
	assert_int_equal(P.seen[3].cseq, P.seen[2].cseq + 1);
	assert_int_equal(count_of(OUT, "<- 401"), 1);
	/* Every request that carried credentials says so. */
	assert_int_equal(count_of(OUT, ", with credentials)\n"), 3);
	assert_non_null(strstr(OUT, "-> MESSAGE sip:bob@127.0.0.1:"));
}

static void test_verbose_json(void **state)
{
	struct ua_opts o = AUTH_OPTS;
	char line[8192], ev[16][16];
	unsigned n = 0;

	(void)state;
	o.json = true;
	o.verbose = true;
	assert_int_equal(run_peer(PEER_AUTH, false, SIP_DIGEST_BIT(SIP_DIGEST_MD5), 0, &o), UA_EXIT_OK);
	assert_int_equal(P.nreq, 2);
	/* Every line is one JSON object; the wire messages are in sent/received. */
	for (unsigned i = 0; n < 16 && nth_line(OUT, i, line, sizeof(line)); i++, n++) {
		snprintf(ev[n], sizeof(ev[n]), "%s", jv(line, "event"));
		if (strcmp(ev[n], "sent") == 0) {
			const char *msg = jv(line, "message");
			assert_int_equal(strncmp(msg, "OPTIONS sip:bob@127.0.0.1:", 26), 0);
			assert_non_null(strstr(msg, "\r\nCSeq: "));
			assert_int_equal(strncmp(jv(line, "to"), "udp:127.0.0.1:", 14), 0);
		} else if (strcmp(ev[n], "received") == 0) {
			assert_int_equal(strncmp(jv(line, "message"), "SIP/2.0 ", 8), 0);
			assert_int_equal(strncmp(jv(line, "from"), "udp:127.0.0.1:", 14), 0);
		} else if (strcmp(ev[n], "request") == 0) {
			assert_string_equal(jv(line, "method"), "OPTIONS");
		} else if (strcmp(ev[n], "response") == 0) {
			assert_true(strcmp(jv(line, "code"), "401") == 0 || strcmp(jv(line, "code"), "200") == 0);
		} else if (strcmp(ev[n], "auth") == 0) {
			assert_non_null(strstr(jv(line, "text"), "answering the server challenge as user 'alice'"));
		} else {
			fail_msg("unexpected event %s", ev[n]);
		}
	}
	/* Each request is printed after the transaction sent it. */
	const char *want[] = { "sent", "request", "received", "response", "auth", "sent", "request", "received",
			       "response" };
	assert_int_equal(n, sizeof(want) / sizeof(want[0]));
	for (unsigned i = 0; i < n; i++)
		assert_string_equal(ev[i], want[i]);
	assert_true(nth_line(OUT, 1, line, sizeof(line)));
	assert_string_equal(jv(line, "auth"), "false");
	assert_true(nth_line(OUT, 6, line, sizeof(line)));
	assert_string_equal(jv(line, "auth"), "true");
	assert_true(nth_line(OUT, 5, line, sizeof(line)));
	assert_non_null(strstr(jv(line, "message"), "\r\nAuthorization: Digest username=\"alice\""));
	assert_true(nth_line(OUT, 8, line, sizeof(line)));
	assert_string_equal(jv(line, "code"), "200");
	assert_string_equal(jv(line, "final"), "true");
}

static void test_timeout(void **state)
{
	struct ua_opts o = { .timeout_s = 0.3 };
	char line[1024];

	(void)state;
	assert_int_equal(run_peer(PEER_SILENT, false, 0, 0, &o), UA_EXIT_TIMEOUT);
	assert_true(P.nreq >= 1); /* it arrived; nobody answered */
	assert_int_equal(P.nres, 1);
	assert_true(P.res[0].timeout);
	assert_true(P.res[0].final);
	assert_int_equal(P.res[0].code, 408);
	assert_false(P.res[0].has_msg);
	assert_true(P.res[0].has_req);
	assert_true(P.res[0].rtt_ms >= 290 && P.res[0].rtt_ms < 2000);
	/* "0.3 s" unless the loop ran late; the rest is fixed. */
	assert_non_null(strstr(OUT, "<- no final response to OPTIONS (timeout after 0."));
	assert_non_null(strstr(OUT, " s): treated as 408 Request Timeout (RFC 3261 8.1.3.1)\n"));
	assert_null(strstr(OUT, "what to do"));

	/* The same in JSON: a request event, then the response event. */
	o.json = true;
	assert_int_equal(run_peer(PEER_SILENT, false, 0, 0, &o), UA_EXIT_TIMEOUT);
	assert_true(nth_line(OUT, 0, line, sizeof(line)));
	assert_string_equal(jv(line, "event"), "request");
	assert_string_equal(jv(line, "method"), "OPTIONS");
	assert_string_equal(jv(line, "uri"), P.ruri);
	assert_string_equal(jv(line, "auth"), "false");
	assert_true(nth_line(OUT, 1, line, sizeof(line)));
	assert_string_equal(jv(line, "event"), "response");
	assert_string_equal(jv(line, "code"), "408");
	assert_string_equal(jv(line, "reason"), "Request Timeout");
	assert_string_equal(jv(line, "timeout"), "true");
	assert_string_equal(jv(line, "local"), "true");
	assert_string_equal(jv(line, "final"), "true");
	assert_false(jhas(line, "rtt_ms"));
	assert_false(nth_line(OUT, 2, line, sizeof(line)));
}

/* ---- Printing ---- */

static struct sip_msg *parse_text(const char *t)
{
	struct sip_msg *m = NULL;

	assert_int_equal(sip_msg_parse(&m, t, strlen(t), NULL, NULL), 0);
	return m;
}

static const char *resp_text(char *buf, size_t sz, const char *status_line, const char *method, const char *extra)
{
	snprintf(buf, sz,
		 "%s\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx1\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\n"
		 "To: <sip:b@127.0.0.1>;tag=2\r\nCall-ID: c1\r\nCSeq: 7 %s\r\n%sContent-Length: 0\r\n\r\n",
		 status_line, method, extra);
	return buf;
}

/* ua_print_response into OUT. */
static void print_cap(struct ua *ua, const struct ua_result *res)
{
	struct cap c;

	cap_begin(&c, STDOUT_FILENO);
	ua_print_response(ua, res);
	cap_end(&c, OUT, sizeof(OUT));
}

static void lookup(struct sip_status_info *info, int code, char *cls, size_t sz)
{
	size_t i = 0;

	assert_int_equal(sip_status_lookup(info, code, NULL), 0);
	for (; info->class_name[i] && i + 1 < sz; i++)
		cls[i] = (char)(info->class_name[i] >= 'A' && info->class_name[i] <= 'Z' ? info->class_name[i] + 32
											 : info->class_name[i]);
	cls[i] = '\0';
}

static void test_print_text(void **state)
{
	struct ua ua;
	struct sip_status_info info;
	char buf[1024], cls[64], want[2048];
	struct ua_result res;
	struct sip_msg *m;

	(void)state;
	memset(&ua, 0, sizeof(ua));
	/* The example of the issue: 603 Decline, a 6xx global failure, what to do. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 603 Decline", "INVITE", ""));
	res = (struct ua_result){ .msg = m, .code = 603, .final = true, .rtt_ms = 12.34 };
	print_cap(&ua, &res);
	lookup(&info, 603, cls, sizeof(cls));
	assert_string_equal(cls, "global failure");
	snprintf(want, sizeof(want), "<- 603 Decline  6xx global failure: %s  [INVITE, 12.3 ms]\n   what to do: %s\n",
		 info.description, info.action);
	assert_string_equal(OUT, want);
	sip_msg_free(m);

	/* The reason phrase as the server wrote it; the method from CSeq. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 486 Busy Here, Try Later", "MESSAGE", ""));
	res = (struct ua_result){ .msg = m, .code = 486, .final = true, .rtt_ms = 0.04 };
	print_cap(&ua, &res);
	lookup(&info, 486, cls, sizeof(cls));
	snprintf(want, sizeof(want), "<- 486 Busy Here, Try Later  4xx %s: %s  [MESSAGE, 0.0 ms]\n   what to do: %s\n",
		 cls, info.description, info.action);
	assert_string_equal(OUT, want);
	sip_msg_free(m);

	/* A provisional response: no advice. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 180 Ringing", "INVITE", ""));
	res = (struct ua_result){ .msg = m, .code = 180, .rtt_ms = 5 };
	print_cap(&ua, &res);
	lookup(&info, 180, cls, sizeof(cls));
	snprintf(want, sizeof(want), "<- 180 Ringing  1xx %s: %s  [INVITE, 5.0 ms]\n", cls, info.description);
	assert_string_equal(OUT, want);
	sip_msg_free(m);

	/* A challenge being answered: no advice either. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 401 Unauthorized", "REGISTER", ""));
	res = (struct ua_result){ .msg = m, .code = 401, .final = true, .answering = true, .rtt_ms = 1 };
	print_cap(&ua, &res);
	assert_null(strstr(OUT, "what to do"));
	assert_int_equal(strncmp(OUT, "<- 401 Unauthorized  4xx ", 25), 0);
	sip_msg_free(m);

	/* 3xx: where to try, one line per Contact (21.3). */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 302 Moved Temporarily", "INVITE",
				 "Contact: <sip:bob@192.0.2.7>, <sip:bob@192.0.2.8;transport=tcp>;q=0.5\r\n"));
	res = (struct ua_result){ .msg = m, .code = 302, .final = true, .rtt_ms = 2 };
	print_cap(&ua, &res);
	lookup(&info, 302, cls, sizeof(cls));
	snprintf(want, sizeof(want),
		 "<- 302 Moved Temporarily  3xx %s: %s  [INVITE, 2.0 ms]\n   what to do: %s\n"
		 "   try: sip:bob@192.0.2.7\n   try: sip:bob@192.0.2.8;transport=tcp\n",
		 cls, info.description, info.action);
	assert_string_equal(OUT, want);
	sip_msg_free(m);

	/* A transport failure, no response: a local 503; the method from the request. */
	struct sip_msg *req = parse_text("OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKq\r\n"
					 "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:b@127.0.0.1>\r\nCall-ID: c2\r\n"
					 "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n");
	res = (struct ua_result){ .code = 503, .final = true, .req = req };
	print_cap(&ua, &res);
	lookup(&info, 503, cls, sizeof(cls));
	snprintf(want, sizeof(want),
		 "<- 503 %s (local: the transport failed, RFC 3261 8.1.3.1)  5xx %s: %s\n   what to do: %s\n",
		 info.phrase, cls, info.description, info.action);
	assert_string_equal(OUT, want);

	/* A timeout. */
	res = (struct ua_result){ .code = 408, .final = true, .timeout = true, .req = req, .rtt_ms = 1500 };
	print_cap(&ua, &res);
	assert_string_equal(OUT, "<- no final response to OPTIONS (timeout after 1.5 s): treated as 408 Request Timeout "
				 "(RFC 3261 8.1.3.1)\n");

	/* A code outside 100..699 prints nothing (and does not crash). */
	res = (struct ua_result){ .code = 700, .final = true, .req = req };
	print_cap(&ua, &res);
	assert_string_equal(OUT, "");
	res = (struct ua_result){ .code = 0, .final = true };
	print_cap(&ua, &res);
	assert_string_equal(OUT, "");
	sip_msg_free(req);
}

static void test_print_json(void **state)
{
	struct ua ua;
	struct sip_status_info info;
	char buf[1024], cls[64], line[4096];
	struct ua_result res;
	struct sip_msg *m;

	(void)state;
	memset(&ua, 0, sizeof(ua));
	ua.opt.json = true;
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 603 Decline", "INVITE", ""));
	res = (struct ua_result){ .msg = m, .code = 603, .final = true, .rtt_ms = 12.34 };
	print_cap(&ua, &res);
	lookup(&info, 603, cls, sizeof(cls));
	assert_true(nth_line(OUT, 0, line, sizeof(line)));
	assert_false(nth_line(OUT, 1, buf, sizeof(buf))); /* one object, one line */
	assert_string_equal(jv(line, "event"), "response");
	assert_string_equal(jv(line, "method"), "INVITE");
	assert_string_equal(jv(line, "code"), "603");
	assert_string_equal(jv(line, "reason"), "Decline");
	assert_string_equal(jv(line, "final"), "true");
	assert_string_equal(jv(line, "timeout"), "false");
	assert_string_equal(jv(line, "local"), "false");
	assert_true(strtod(jv(line, "rtt_ms"), NULL) == 12.34);
	assert_string_equal(jv(line, "class"), "6xx");
	assert_string_equal(jv(line, "class_name"), "global failure");
	assert_string_equal(jv(line, "explanation"), info.description);
	assert_string_equal(jv(line, "action"), info.action);
	sip_msg_free(m);

	/* A reason with quotes and a backslash survives the round trip; 1xx has no action. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 183 Say \"hi\" \\ wait", "INVITE", ""));
	res = (struct ua_result){ .msg = m, .code = 183, .rtt_ms = 1 };
	print_cap(&ua, &res);
	assert_true(nth_line(OUT, 0, line, sizeof(line)));
	assert_string_equal(jv(line, "reason"), "Say \"hi\" \\ wait");
	assert_string_equal(jv(line, "final"), "false");
	assert_string_equal(jv(line, "class"), "1xx");
	assert_false(jhas(line, "action"));
	sip_msg_free(m);

	/* A challenge being answered: no action. */
	m = parse_text(resp_text(buf, sizeof(buf), "SIP/2.0 407 Proxy Authentication Required", "INVITE", ""));
	res = (struct ua_result){ .msg = m, .code = 407, .final = true, .answering = true };
	print_cap(&ua, &res);
	assert_true(nth_line(OUT, 0, line, sizeof(line)));
	assert_string_equal(jv(line, "code"), "407");
	assert_false(jhas(line, "action"));
	sip_msg_free(m);

	/* ua_note and ua_json_emit. */
	struct cap c;
	cap_begin(&c, STDOUT_FILENO);
	ua_note(&ua, "auth", "answering as '%s' \"%d\"", "al\\ice", 7);
	ua_json_emit(&ua, "bare", NULL);
	struct sip_buf f = SIP_BUF_INIT;
	sip_buf_append_cstr(&f, "\"n\":3,\"s\":");
	ua_json_str(&f, "x\ny", 3);
	ua_json_emit(&ua, "custom", &f);
	sip_buf_free(&f);
	ua.opt.json = false;
	ua_note(&ua, "auth", "plain %d", 5);
	cap_end(&c, OUT, sizeof(OUT));
	assert_true(nth_line(OUT, 0, line, sizeof(line)));
	assert_string_equal(jv(line, "event"), "auth");
	assert_string_equal(jv(line, "text"), "answering as 'al\\ice' \"7\"");
	assert_true(nth_line(OUT, 1, line, sizeof(line)));
	assert_string_equal(line, "{\"event\":\"bare\"}");
	assert_true(nth_line(OUT, 2, line, sizeof(line)));
	assert_string_equal(jv(line, "event"), "custom");
	assert_string_equal(jv(line, "n"), "3");
	assert_string_equal(jv(line, "s"), "x\ny");
	assert_true(nth_line(OUT, 3, line, sizeof(line)));
	assert_string_equal(line, "plain 5");
}

static void check_json_str(const char *in, size_t len, const char *want)
{
	struct sip_buf b = SIP_BUF_INIT;

	ua_json_str(&b, in, len);
	assert_int_equal(b.len, strlen(want));
	assert_memory_equal(b.p, want, b.len);
	sip_buf_free(&b);
}

static void test_json_str(void **state)
{
	(void)state;
	check_json_str("", 0, "\"\"");
	check_json_str("plain text", 10, "\"plain text\"");
	check_json_str("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"");
	check_json_str("\n\r\t", 3, "\"\\n\\r\\t\"");
	check_json_str("\x01\x08\x0c\x1f\x7f", 5, "\"\\u0001\\u0008\\u000c\\u001f\\u007f\"");
	check_json_str("a\0b", 3, "\"a\\u0000b\""); /* the length counts, not a NUL */
	check_json_str("xyz", 2, "\"xy\"");
	/* UTF-8 passes through untouched: é, €, U+1F600. */
	check_json_str("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");

	/* Every ASCII byte (NUL included) round-trips through a JSON reader. */
	char all[128], obj[1024], back[1024];
	for (int i = 0; i < 128; i++)
		all[i] = (char)i;
	struct sip_buf b = SIP_BUF_INIT;
	sip_buf_append_cstr(&b, "{\"k\":");
	ua_json_str(&b, all, sizeof(all));
	sip_buf_append_cstr(&b, "}");
	assert_true(b.len < sizeof(obj));
	memcpy(obj, b.p, b.len);
	obj[b.len] = '\0';
	sip_buf_free(&b);
	for (size_t i = 0; i < strlen(obj); i++)
		assert_true((unsigned char)obj[i] >= 0x20 && (unsigned char)obj[i] != 0x7f);
	const char *p = strchr(obj, ':') + 1;
	size_t n = 0;
	assert_int_equal(json_string(&p, back, sizeof(back), &n), 0);
	assert_int_equal(n, sizeof(all));
	assert_memory_equal(back, all, sizeof(all));
	assert_string_equal(p, "}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_for),
		cmocka_unit_test(test_opts_all),
		cmocka_unit_test(test_opts_missing_value),
		cmocka_unit_test(test_opts_bad_values),
		cmocka_unit_test(test_arg_expires),
		cmocka_unit_test(test_init_udp),
		cmocka_unit_test(test_init_user_from),
		cmocka_unit_test(test_init_transports),
		cmocka_unit_test(test_init_proxy),
		cmocka_unit_test(test_init_bad_uri),
		cmocka_unit_test(test_build_request),
		cmocka_unit_test(test_build_in_dialog),
		cmocka_unit_test(test_digest_md5),
		cmocka_unit_test(test_digest_sha256),
		cmocka_unit_test(test_digest_second_401_final),
		cmocka_unit_test(test_digest_stale),
		cmocka_unit_test(test_digest_proxy_407),
		cmocka_unit_test(test_digest_nonce_count),
		cmocka_unit_test(test_verbose_json),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_print_text),
		cmocka_unit_test(test_print_json),
		cmocka_unit_test(test_json_str),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

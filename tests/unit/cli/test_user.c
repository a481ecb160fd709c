/* Tests for `siphon user` and `siphon mwi`: they run the real executable (SIPHON_BIN)
 * on a database in a temporary directory and check its output, exit status and the
 * database content (read with the SQLite API, independently of the store layer). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "siphon/auth.h"
#include "siphon/store.h"

struct run {
	int status;        /* exit status, or -1 when killed */
	char out[8192];
	char err[8192];
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Run SIPHON_BIN with args (NULL-terminated), feeding input (may be NULL) on stdin;
 * bounded at 20 s. */
static void run_siphon(struct run *r, const char *input, const char *const *args)
{
	int in[2], out[2], err[2], status;
	size_t nout = 0, nerr = 0;
	const char *argv[32];
	int64_t deadline = mono_ms() + 20000;
	pid_t pid;
	int n = 0;

	argv[n++] = SIPHON_BIN;
	for (int i = 0; args[i]; i++) {
		assert_true(n < 31);
		argv[n++] = args[i];
	}
	argv[n] = NULL;
	memset(r, 0, sizeof(*r));
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]); close(in[1]);
		close(out[0]); close(out[1]);
		close(err[0]); close(err[1]);
		execv(SIPHON_BIN, (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input)
		assert_int_equal(write(in[1], input, strlen(input)), (ssize_t)strlen(input));
	close(in[1]);
	for (int open = 2; open > 0 && mono_ms() < deadline;) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };
		if (poll(p, 2, 200) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			char *buf = i ? r->err : r->out;
			size_t *len = i ? &nerr : &nout;
			ssize_t k;

			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			k = read(p[i].fd, buf + *len, sizeof(r->out) - 1 - *len);
			if (k <= 0) {
				close(i ? err[0] : out[0]);
				if (i)
					err[0] = -1;
				else
					out[0] = -1;
				open--;
			} else {
				*len += (size_t)k;
			}
		}
	}
	if (out[0] >= 0)
		close(out[0]);
	if (err[0] >= 0)
		close(err[0]);
	if (mono_ms() >= deadline)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

#define RUN(r, input, ...)                                                \
	do {                                                              \
		const char *const args_[] = { __VA_ARGS__, NULL };        \
		run_siphon((r), (input), args_);                          \
	} while (0)

struct fixture {
	char dir[64];
	char db[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/siphon-cli-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof(f->db), "%s/users.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char path[512];

	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* One text column of the first row of sql (with one text parameter), into out. */
static bool db_text(const char *db, const char *sql, const char *param, char *out, size_t size)
{
	sqlite3 *h;
	sqlite3_stmt *q;
	bool found = false;

	assert_int_equal(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &q, NULL), SQLITE_OK);
	if (param)
		sqlite3_bind_text(q, 1, param, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(q, 0);
		snprintf(out, size, "%s", t ? (const char *)t : "");
		found = true;
	}
	sqlite3_finalize(q);
	sqlite3_close(h);
	return found;
}

static void expect_ha1(const char *db, const char *aor, const char *user, const char *realm,
		       const char *password)
{
	char want[SIP_DIGEST_HEX_SIZE], got[128];

	assert_int_equal(sip_digest_ha1(SIP_DIGEST_MD5, sip_str_from_cstr(user),
					sip_str_from_cstr(realm), sip_str_from_cstr(password), want), 0);
	assert_true(db_text(db, "SELECT ha1_md5 FROM users WHERE aor = ?1", aor, got, sizeof(got)));
	assert_string_equal(got, want);
	assert_int_equal(sip_digest_ha1(SIP_DIGEST_SHA256, sip_str_from_cstr(user),
					sip_str_from_cstr(realm), sip_str_from_cstr(password), want), 0);
	assert_true(db_text(db, "SELECT ha1_sha256 FROM users WHERE aor = ?1", aor, got, sizeof(got)));
	assert_string_equal(got, want);
	assert_int_equal(strlen(got), 64);
}

/* No file of the directory (database, WAL) contains needle. */
static void assert_not_in_files(const char *dir, const char *needle)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	static char buf[1 << 20];

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[512];
		FILE *fp;
		size_t n;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fp = fopen(path, "rb");
		assert_non_null(fp);
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		assert_null(memmem(buf, n, needle, strlen(needle)));
	}
	closedir(d);
}

static void test_add_list_del(void **state)
{
	struct fixture *f = *state;
	struct run r;
	char v[128];

	RUN(&r, NULL, "user", "add", "alice@localhost", "--password", "s3cret-Pw", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "added sip:alice@localhost (realm localhost)"));
	expect_ha1(f->db, "sip:alice@localhost", "alice", "localhost", "s3cret-Pw");
	assert_true(db_text(f->db, "SELECT realm || '|' || username || '|' || dnd FROM users"
			    " WHERE aor = ?1", "sip:alice@localhost", v, sizeof(v)));
	assert_string_equal(v, "localhost|alice|0");
	/* The password itself is nowhere on disk. */
	assert_not_in_files(f->dir, "s3cret-Pw");

	/* From stdin, with a scheme and upper-case domain: canonical AOR. */
	RUN(&r, "pw-from-stdin\n", "user", "add", "sip:bob@LOCALHOST", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "added sip:bob@localhost"));
	expect_ha1(f->db, "sip:bob@localhost", "bob", "localhost", "pw-from-stdin");

	RUN(&r, NULL, "user", "list", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out,
		"sip:alice@localhost realm=localhost user=alice dnd=off decline=603 blocked=0\n"
		"sip:bob@localhost realm=localhost user=bob dnd=off decline=603 blocked=0\n");
	assert_null(strstr(r.out, "ha1"));
	RUN(&r, NULL, "user", "list", "--verbose", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_true(db_text(f->db, "SELECT ha1_md5 FROM users WHERE aor = ?1", "sip:alice@localhost",
			    v, sizeof(v)));
	assert_non_null(strstr(r.out, v));
	assert_non_null(strstr(r.out, "ha1-sha256="));

	/* Re-adding changes the password and says so. */
	RUN(&r, NULL, "user", "add", "alice@localhost", "--password", "other", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "updated sip:alice@localhost"));
	expect_ha1(f->db, "sip:alice@localhost", "alice", "localhost", "other");

	RUN(&r, NULL, "user", "del", "alice@localhost", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "deleted sip:alice@localhost"));
	assert_false(db_text(f->db, "SELECT aor FROM users WHERE aor = ?1", "sip:alice@localhost",
			     v, sizeof(v)));
	RUN(&r, NULL, "user", "list", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_null(strstr(r.out, "alice"));
	assert_non_null(strstr(r.out, "sip:bob@localhost"));
	/* Deleting an unknown user fails (1), it is not a usage error. */
	RUN(&r, NULL, "user", "del", "alice@localhost", "--db", f->db);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no such user"));
}

/* The exact commands of ../shared/bench-server/siphon_fg.sh, on a fresh path. */
static void test_bench_harness_commands(void **state)
{
	struct fixture *f = *state;
	struct run r;
	char v[64];

	RUN(&r, NULL, "user", "add", "decline@127.0.0.1", "--password", "bench", "--db", f->db);
	assert_int_equal(r.status, 0);
	RUN(&r, NULL, "user", "set", "decline@127.0.0.1", "--dnd", "on", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_true(db_text(f->db, "SELECT dnd FROM users WHERE aor = ?1", "sip:decline@127.0.0.1",
			    v, sizeof(v)));
	assert_string_equal(v, "1");
	expect_ha1(f->db, "sip:decline@127.0.0.1", "decline", "127.0.0.1", "bench");
	RUN(&r, NULL, "user", "list", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sip:decline@127.0.0.1 realm=127.0.0.1 user=decline dnd=on"
			    " decline=603 blocked=0\n");
}

static void test_set_block(void **state)
{
	struct fixture *f = *state;
	struct run r;
	char v[128];

	RUN(&r, NULL, "user", "add", "carol@example.com", "--password", "x", "--db", f->db);
	assert_int_equal(r.status, 0);
	RUN(&r, NULL, "user", "set", "carol@example.com", "--dnd", "on", "--decline-code", "607",
	    "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sip:carol@example.com dnd=on decline=607\n");
	RUN(&r, NULL, "user", "set", "carol@example.com", "--dnd", "off", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_true(db_text(f->db, "SELECT dnd || '/' || decline_code FROM users WHERE aor = ?1",
			    "sip:carol@example.com", v, sizeof(v)));
	assert_string_equal(v, "0/607");
	/* set on an unknown user: failure, not usage. */
	RUN(&r, NULL, "user", "set", "nobody@example.com", "--dnd", "on", "--db", f->db);
	assert_int_equal(r.status, 1);

	RUN(&r, NULL, "user", "block", "carol@example.com", "Spam@Bad.Example", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sip:carol@example.com blocks sip:Spam@bad.example\n");
	RUN(&r, NULL, "user", "block", "carol@example.com", "tel:+15550100", "--code", "603",
	    "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_true(db_text(f->db, "SELECT group_concat(uri || '=' || code, ',') FROM"
			    " (SELECT uri, code FROM blocks WHERE aor = ?1 ORDER BY uri)",
			    "sip:carol@example.com", v, sizeof(v)));
	assert_string_equal(v, "sip:Spam@bad.example=0,tel:+15550100=603");
	RUN(&r, NULL, "user", "list", "--db", f->db);
	assert_non_null(strstr(r.out, "sip:carol@example.com realm=example.com user=carol dnd=off"
				      " decline=607 blocked=2"));
	RUN(&r, NULL, "user", "list", "-v", "--db", f->db);
	assert_non_null(strstr(r.out, "  blocked sip:Spam@bad.example\n"));
	assert_non_null(strstr(r.out, "  blocked tel:+15550100 (603)\n"));
	/* Blocking for an unknown user fails. */
	RUN(&r, NULL, "user", "block", "nobody@example.com", "sip:x@y", "--db", f->db);
	assert_int_equal(r.status, 1);

	RUN(&r, NULL, "user", "unblock", "carol@example.com", "sip:Spam@bad.example", "--db", f->db);
	assert_int_equal(r.status, 0);
	RUN(&r, NULL, "user", "unblock", "carol@example.com", "sip:Spam@bad.example", "--db", f->db);
	assert_int_equal(r.status, 1);
	assert_true(db_text(f->db, "SELECT count(*) FROM blocks WHERE aor = ?1",
			    "sip:carol@example.com", v, sizeof(v)));
	assert_string_equal(v, "1");
	/* Deleting the user removes its block list. */
	RUN(&r, NULL, "user", "del", "carol@example.com", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_true(db_text(f->db, "SELECT count(*) FROM blocks", NULL, v, sizeof(v)));
	assert_string_equal(v, "0");
}

static void test_usage_errors(void **state)
{
	struct fixture *f = *state;
	struct run r;
	static const char *const cases[][10] = {
		{ "user", NULL },
		{ "user", "frob", "--db", "X", NULL },
		{ "user", "add", "--password", "p", "--db", "X", NULL },
		{ "user", "add", "a@h", "b@h", "--password", "p", "--db", "X", NULL },
		{ "user", "add", "a@", "--password", "p", "--db", "X", NULL },
		{ "user", "add", "tel:+123", "--password", "p", "--db", "X", NULL },
		{ "user", "add", "a@h", "--password", "", "--db", "X", NULL },
		{ "user", "add", "a@h", "--password", NULL },
		{ "user", "add", "a@h", "--password", "p", "--bogus", "--db", "X", NULL },
		{ "user", "list", "--password", "p", "--db", "X", NULL },
		{ "user", "set", "a@h", "--db", "X", NULL },
		{ "user", "set", "a@h", "--dnd", "maybe", "--db", "X", NULL },
		{ "user", "set", "a@h", "--decline-code", "600", "--db", "X", NULL },
		{ "user", "block", "a@h", "--db", "X", NULL },
		{ "user", "block", "a@h", "notauri", "--db", "X", NULL },
		{ "user", "block", "a@h", "sip:b@h", "--code", "486", "--db", "X", NULL },
		{ "user", "del", "a@h", "--db", NULL },
		{ "mwi", "set", "a@h", "2", "--db", "X", NULL },
		{ "mwi", "frob", "a@h", "--db", "X", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *args[12];
		size_t n = 0;

		for (; cases[i][n]; n++)
			args[n] = strcmp(cases[i][n], "X") == 0 ? f->db : cases[i][n];
		args[n] = NULL;
		run_siphon(&r, NULL, args);
		if (r.status != 2)
			fail_msg("case %zu (%s %s %s): exit %d, want 2; stderr: %s", i, args[0],
				 n > 1 ? args[1] : "", n > 2 ? args[2] : "", r.status, r.err);
		assert_non_null(strstr(r.err, "usage: siphon"));
	}
	/* None of them created a user (most never opened the database). */
	assert_true(access(f->db, F_OK) != 0 ||
		    !db_text(f->db, "SELECT aor FROM users", NULL, (char[8]){ 0 }, 8));
}

static void test_mwi(void **state)
{
	struct fixture *f = *state;
	struct run r;
	char v[64];

	RUN(&r, NULL, "mwi", "set", "alice", "2/8", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sip:alice@localhost 2/8 (0/0)\n");
	assert_true(db_text(f->db, "SELECT new_msgs || '/' || old_msgs FROM mwi WHERE aor = ?1",
			    "sip:alice@localhost", v, sizeof(v)));
	assert_string_equal(v, "2/8");
	RUN(&r, NULL, "mwi", "set", "alice@localhost", "3/9", "--urgent", "1/0", "--db", f->db);
	assert_int_equal(r.status, 0);
	RUN(&r, NULL, "mwi", "show", "sip:alice@localhost", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "sip:alice@localhost 3/9 (1/0)\n");
	RUN(&r, NULL, "mwi", "clear", "alice", "--db", f->db);
	assert_int_equal(r.status, 0);
	RUN(&r, NULL, "mwi", "show", "alice", "--db", f->db);
	assert_string_equal(r.out, "sip:alice@localhost 0/0 (0/0)\n");
}

/* Run `siphon user add AOR --db DB` on a pseudo-terminal, answering each prompt
 * ("...: ") with the next of answers. Returns the exit status; out gets what the
 * terminal showed. Bounded at 10 s. */
static int run_on_tty(const char *db, const char *aor, const char *const *answers, char *out,
		      size_t outsz)
{
	int fd, status, next = 0;
	size_t len = 0;
	int64_t deadline = mono_ms() + 10000;
	pid_t pid = forkpty(&fd, NULL, NULL, NULL);

	assert_true(pid >= 0);
	if (pid == 0) {
		execl(SIPHON_BIN, SIPHON_BIN, "user", "add", aor, "--db", db, (char *)NULL);
		_exit(127);
	}
	out[0] = '\0';
	while (mono_ms() < deadline) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t k;

		if (poll(&p, 1, 200) <= 0)
			continue;
		k = read(fd, out + len, outsz - 1 - len);
		if (k <= 0)
			break;  /* EIO: the child closed the terminal */
		len += (size_t)k;
		out[len] = '\0';
		if (len >= 2 && strcmp(out + len - 2, ": ") == 0 && answers[next]) {
			assert_int_equal(write(fd, answers[next], strlen(answers[next])),
					 (ssize_t)strlen(answers[next]));
			next++;
		}
	}
	close(fd);
	if (mono_ms() >= deadline)
		kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Without --password on a terminal: asked twice, never echoed. */
static void test_password_prompt(void **state)
{
	struct fixture *f = *state;
	static const char *const same[] = { "tty-Secret\n", "tty-Secret\n", NULL };
	static const char *const differ[] = { "one\n", "two\n", NULL };
	char out[1024], v[8];

	assert_int_equal(run_on_tty(f->db, "tty@localhost", same, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Password: "));
	assert_non_null(strstr(out, "Password (again): "));
	assert_non_null(strstr(out, "added sip:tty@localhost"));
	assert_null(strstr(out, "tty-Secret"));  /* no echo */
	expect_ha1(f->db, "sip:tty@localhost", "tty", "localhost", "tty-Secret");

	assert_int_equal(run_on_tty(f->db, "tty2@localhost", differ, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "the passwords differ"));
	assert_false(db_text(f->db, "SELECT aor FROM users WHERE aor = ?1", "sip:tty2@localhost",
			     v, sizeof(v)));
	/* Nothing on stdin (not a terminal): fails before creating any database. */
	{
		char fresh[160];
		struct run r;

		snprintf(fresh, sizeof(fresh), "%s/fresh.db", f->dir);
		RUN(&r, "", "user", "add", "x@localhost", "--db", fresh);
		assert_int_equal(r.status, 1);
		assert_non_null(strstr(r.err, "no password on stdin"));
		assert_int_not_equal(access(fresh, F_OK), 0);
	}
}

/* `siphon user set` while a store (the server's) has the database open: the open
 * store sees the change and its users generation moves. */
static void test_live_update(void **state)
{
	struct fixture *f = *state;
	struct sip_store_options opt = { .path = f->db };
	struct sip_store *st;
	struct sip_store_user u;
	struct run r;
	uint64_t g0, g1;

	RUN(&r, NULL, "user", "add", "live@localhost", "--password", "x", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_int_equal(sip_store_open(&st, &opt), 0);
	assert_int_equal(sip_store_users_generation(st, &g0), 0);
	assert_int_equal(sip_store_user_get(st, SIP_STR("sip:live@localhost"), &u), 0);
	assert_false(u.dnd);
	sip_store_user_clear(&u);
	RUN(&r, NULL, "user", "set", "live@localhost", "--dnd", "on", "--db", f->db);
	assert_int_equal(r.status, 0);
	assert_int_equal(sip_store_users_generation(st, &g1), 0);
	assert_true(g1 > g0);
	assert_int_equal(sip_store_user_get(st, SIP_STR("sip:live@localhost"), &u), 0);
	assert_true(u.dnd);
	sip_store_user_clear(&u);
	sip_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_add_list_del, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bench_harness_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_set_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mwi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_live_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_prompt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

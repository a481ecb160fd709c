/* siphon user: the domain's users in the store: credentials (kept only as digest HA1
 * hashes, MD5 and SHA-256: RFC 7616 / RFC 8760), do-not-disturb, the decline code for
 * blocked callers (603, or 607 Unwanted: RFC 8197) and the block list of callers and
 * watchers.
 *
 *   siphon user add AOR [--password P] [--db FILE]
 *   siphon user del AOR [--db FILE]
 *   siphon user list [--verbose] [--db FILE]
 *   siphon user set AOR [--dnd on|off] [--decline-code 603|607] [--db FILE]
 *   siphon user block AOR URI [--code 603|607] [--db FILE]
 *   siphon user unblock AOR URI [--db FILE]
 *
 * The realm of a user is the AOR's domain (the host, without a port), which is what
 * `siphon serve --domain D` challenges with. Without --password the password is read
 * from the terminal with echo off (asked twice), or as one line from stdin when stdin
 * is not a terminal. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "cli_store.h"
#include "siphon/auth.h"
#include "siphon/err.h"

/* ------------------------------------------------------------------ shared helpers */

int cli_store_aor(struct sip_buf *out, struct sip_str *user, struct sip_str *host,
		  const char *cmd, const char *arg, const char *domain)
{
	struct sip_buf tmp = SIP_BUF_INIT;
	struct sip_str in = sip_str_from_cstr(arg), h;
	long colon;
	int err;

	/* A bare user name ("alice") belongs to the default domain. */
	if (in.len && sip_str_chr(in, '@') < 0 && sip_str_chr(in, ':') < 0) {
		if (sip_buf_printf(&tmp, "%s@%s", arg, domain) < 0) {
			sip_buf_free(&tmp);
			return CLI_FAIL;
		}
		in = sip_buf_str(&tmp);
	}
	err = sip_store_aor_canon(out, user, &h, in);
	sip_buf_free(&tmp);
	if (err) {
		fprintf(stderr, "siphon %s: '%s' is not an address of record (user@domain)\n",
			cmd, arg);
		return CLI_USAGE;
	}
	/* The realm is the domain without a port; an IPv6 reference keeps its brackets. */
	colon = h.len && h.p[0] == '[' ? -1 : sip_str_chr(h, ':');
	if (h.len && h.p[0] == '[') {
		long close = sip_str_chr(h, ']');
		if (close > 0)
			h.len = (size_t)close + 1;
	} else if (colon >= 0) {
		h.len = (size_t)colon;
	}
	if (!h.len) {
		fprintf(stderr, "siphon %s: '%s' has no domain\n", cmd, arg);
		return CLI_USAGE;
	}
	if (host)
		*host = h;
	return 0;
}

int cli_store_open(struct sip_store **stp, const char *cmd, const char *path)
{
	struct sip_store_options opt = { .path = path };
	int err = sip_store_open(stp, &opt);

	if (err) {
		fprintf(stderr, "siphon %s: cannot open database %s: %s\n", cmd, path,
			sip_strerror(err));
		return CLI_FAIL;
	}
	return 0;
}

struct commit_result {
	int err;
	int done;
};

static void commit_done(int err, void *arg)
{
	struct commit_result *r = arg;
	r->err = err;
	r->done = 1;
}

int cli_store_commit(struct sip_store *st, struct sip_store_batch *b, const char *cmd,
		     const char *what)
{
	struct commit_result r = { 0, 0 };
	int err = sip_store_submit(st, b, commit_done, &r);

	if (!err)
		err = sip_store_flush(st, -1);
	if (!err)
		err = r.err;
	if (err) {
		fprintf(stderr, "siphon %s: %s: %s\n", cmd, what,
			err == SIP_ENOTFOUND ? "no such user or entry" : sip_strerror(err));
		return CLI_FAIL;
	}
	return 0;
}

/* ------------------------------------------------------------------ options */

struct user_opts {
	const char *pos[4];     /* positional words after the subcommand */
	int npos;
	const char *db;
	const char *password;
	const char *dnd;
	const char *decline_code;
	const char *code;
	const char *domain;
	bool verbose;
};

/* Parse argv (argv[0] = "user", argv[1] = subcommand). CLI_USAGE on a bad word. */
static int parse_opts(struct user_opts *o, int argc, char **argv, const char *cmd)
{
	const struct {
		const char *name;
		const char **slot;
	} valued[] = {
		{ "--db", &o->db },
		{ "--password", &o->password },
		{ "--dnd", &o->dnd },
		{ "--decline-code", &o->decline_code },
		{ "--code", &o->code },
		{ "--domain", &o->domain },
	};

	memset(o, 0, sizeof(*o));
	o->db = CLI_DEFAULT_DB;
	o->domain = CLI_DEFAULT_DOMAIN;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		bool matched = false;

		if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
			o->verbose = true;
			continue;
		}
		for (size_t k = 0; k < sizeof(valued) / sizeof(valued[0]); k++) {
			if (strcmp(a, valued[k].name) != 0)
				continue;
			if (i + 1 >= argc) {
				fprintf(stderr, "siphon %s: %s needs a value\n", cmd, a);
				return CLI_USAGE;
			}
			*valued[k].slot = argv[++i];
			matched = true;
			break;
		}
		if (matched)
			continue;
		if (a[0] == '-' && a[1]) {
			fprintf(stderr, "siphon %s: unknown option %s\n", cmd, a);
			return CLI_USAGE;
		}
		if (o->npos == (int)(sizeof(o->pos) / sizeof(o->pos[0]))) {
			fprintf(stderr, "siphon %s: too many arguments\n", cmd);
			return CLI_USAGE;
		}
		o->pos[o->npos++] = a;
	}
	if (!o->db[0]) {
		fprintf(stderr, "siphon %s: --db needs a file name\n", cmd);
		return CLI_USAGE;
	}
	return 0;
}

static int parse_decline(const char *cmd, const char *opt, const char *v, uint16_t *code)
{
	if (strcmp(v, "603") == 0)
		*code = 603;
	else if (strcmp(v, "607") == 0)
		*code = 607;
	else {
		fprintf(stderr, "siphon %s: %s must be 603 (Decline) or 607 (Unwanted)\n", cmd, opt);
		return CLI_USAGE;
	}
	return 0;
}

/* Options a subcommand does not take are usage errors, not silently ignored. */
static int only(const struct user_opts *o, const char *cmd, bool password, bool policy,
		bool code, bool verbose)
{
	const char *bad = NULL;

	if (!password && o->password)
		bad = "--password";
	else if (!policy && o->dnd)
		bad = "--dnd";
	else if (!policy && o->decline_code)
		bad = "--decline-code";
	else if (!code && o->code)
		bad = "--code";
	else if (!verbose && o->verbose)
		bad = "--verbose";
	if (bad) {
		fprintf(stderr, "siphon %s: %s does not apply here\n", cmd, bad);
		return CLI_USAGE;
	}
	return 0;
}

/* ------------------------------------------------------------------ password */

/* Read one line from f into buf without its line end. 0, or -1 at EOF / too long. */
static int read_line(FILE *f, char *buf, size_t size)
{
	size_t n;

	if (!fgets(buf, (int)size, f))
		return -1;
	n = strlen(buf);
	if (n == size - 1 && buf[n - 1] != '\n')
		return -1;
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return 0;
}

/* Ask on the terminal with echo off. */
static int prompt(FILE *tty, const char *text, char *buf, size_t size)
{
	struct termios old, noecho;
	int fd = fileno(tty), rc;
	bool restore = false;

	/* Echo off before the prompt appears, and without discarding input
	 * (TCSANOW): what is typed right after the prompt must not be lost. */
	if (tcgetattr(fd, &old) == 0) {
		noecho = old;
		noecho.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSANOW, &noecho) == 0;
	}
	fputs(text, stderr);
	fflush(stderr);
	rc = read_line(tty, buf, size);
	if (restore)
		tcsetattr(fd, TCSANOW, &old);
	fputc('\n', stderr);
	return rc;
}

static int read_password(const char *cmd, char *buf, size_t size)
{
	if (isatty(STDIN_FILENO)) {
		char again[256];
		int rc;

		rc = prompt(stdin, "Password: ", buf, size);
		if (!rc)
			rc = prompt(stdin, "Password (again): ", again, sizeof(again));
		if (!rc && strcmp(buf, again) != 0) {
			fprintf(stderr, "siphon %s: the passwords differ\n", cmd);
			memset(again, 0, sizeof(again));
			return CLI_FAIL;
		}
		memset(again, 0, sizeof(again));
		if (rc) {
			fprintf(stderr, "siphon %s: no password given\n", cmd);
			return CLI_FAIL;
		}
		return 0;
	}
	if (read_line(stdin, buf, size) != 0) {
		fprintf(stderr, "siphon %s: no password on stdin (one line expected)\n", cmd);
		return CLI_FAIL;
	}
	return 0;
}

/* ------------------------------------------------------------------ subcommands */

/* The password (option, terminal or stdin) turned into both HA1s; done before the
 * database is opened, so that a mistyped password leaves no file behind. Only the
 * HA1s are kept (RFC 7616 3.9.1, RFC 8760): the password goes no further than this
 * stack frame. */
static int hash_password(const struct user_opts *o, struct sip_str user, struct sip_str realm,
			 char md5[SIP_DIGEST_HEX_SIZE], char sha[SIP_DIGEST_HEX_SIZE])
{
	char pw[256];
	int rc;

	if (o->password) {
		if (strlen(o->password) >= sizeof(pw)) {
			fprintf(stderr, "siphon user add: password too long\n");
			return CLI_USAGE;
		}
		strcpy(pw, o->password);
	} else {
		rc = read_password("user add", pw, sizeof(pw));
		if (rc)
			return rc;
	}
	if (!pw[0]) {
		fprintf(stderr, "siphon user add: empty password\n");
		return CLI_FAIL;
	}
	rc = sip_digest_ha1(SIP_DIGEST_MD5, user, realm, sip_str_from_cstr(pw), md5);
	if (!rc)
		rc = sip_digest_ha1(SIP_DIGEST_SHA256, user, realm, sip_str_from_cstr(pw), sha);
	memset(pw, 0, sizeof(pw));
	if (rc) {
		fprintf(stderr, "siphon user add: hashing failed: %s\n", sip_strerror(rc));
		return CLI_FAIL;
	}
	return 0;
}

static int user_add(struct sip_store *st, struct sip_str aor, struct sip_str user,
		    struct sip_str realm, const char *md5, const char *sha)
{
	struct sip_store_user u = { .aor = aor, .username = user, .realm = realm };
	struct sip_store_user old;
	struct sip_store_batch *b;
	bool existed;
	int rc;

	u.ha1_md5 = sip_str_from_cstr(md5);
	u.ha1_sha256 = sip_str_from_cstr(sha);
	existed = sip_store_user_get(st, aor, &old) == 0;
	if (existed)
		sip_store_user_clear(&old);
	if (sip_store_batch_new(&b) != 0)
		return CLI_FAIL;
	rc = sip_store_batch_user_put(b, &u);
	if (rc) {
		sip_store_batch_free(b);
		fprintf(stderr, "siphon user add: %s\n", sip_strerror(rc));
		return CLI_FAIL;
	}
	rc = cli_store_commit(st, b, "user add", "cannot store the user");
	if (rc)
		return rc;
	printf("%s %.*s (realm %.*s)\n", existed ? "updated" : "added", SIP_STR_ARG(aor),
	       SIP_STR_ARG(realm));
	return 0;
}

static int user_del(struct sip_store *st, struct sip_str aor)
{
	struct sip_store_batch *b;
	int rc;

	if (sip_store_batch_new(&b) != 0)
		return CLI_FAIL;
	if (sip_store_batch_user_del(b, aor) != 0) {
		sip_store_batch_free(b);
		return CLI_FAIL;
	}
	/* The user's registrations go with it. */
	if (sip_store_batch_binding_del_aor(b, aor) != 0) {
		sip_store_batch_free(b);
		return CLI_FAIL;
	}
	rc = cli_store_commit(st, b, "user del", "cannot delete the user");
	if (!rc)
		printf("deleted %.*s\n", SIP_STR_ARG(aor));
	return rc;
}

struct list_ctx {
	struct sip_store *st;
	bool verbose;
	int n;
};

static int count_block(const struct sip_store_block *e, void *arg)
{
	(void)e;
	(*(int *)arg)++;
	return 0;
}

static int print_block(const struct sip_store_block *e, void *arg)
{
	(void)arg;
	if (e->code)
		printf("  blocked %.*s (%u)\n", SIP_STR_ARG(e->uri), e->code);
	else
		printf("  blocked %.*s\n", SIP_STR_ARG(e->uri));
	return 0;
}

static int print_user(const struct sip_store_user *u, void *arg)
{
	struct list_ctx *c = arg;
	int blocked = 0;

	/* Another statement of the reader connection: the row's slices stay valid. */
	c->n++;
	printf("%.*s realm=%.*s user=%.*s dnd=%s decline=%u", SIP_STR_ARG(u->aor),
	       SIP_STR_ARG(u->realm), SIP_STR_ARG(u->username), u->dnd ? "on" : "off",
	       u->decline_code);
	if (c->verbose)
		printf(" ha1-md5=%.*s ha1-sha256=%.*s", SIP_STR_ARG(u->ha1_md5),
		       SIP_STR_ARG(u->ha1_sha256));
	sip_store_block_each(c->st, u->aor, count_block, &blocked);
	printf(" blocked=%d\n", blocked);
	if (c->verbose)
		sip_store_block_each(c->st, u->aor, print_block, NULL);
	return 0;
}

static int user_list(const struct user_opts *o, struct sip_store *st)
{
	struct list_ctx c = { st, o->verbose, 0 };
	int err = sip_store_user_each(st, print_user, &c);

	if (err) {
		fprintf(stderr, "siphon user list: %s\n", sip_strerror(err));
		return CLI_FAIL;
	}
	if (!c.n)
		fprintf(stderr, "siphon user list: no users in %s\n", o->db);
	return 0;
}

/* The policy options of `user set`, checked before the database is opened. */
struct policy {
	unsigned mask;
	bool dnd;
	uint16_t decline_code;
};

static int parse_policy(const struct user_opts *o, struct policy *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (o->dnd) {
		if (strcmp(o->dnd, "on") == 0)
			p->dnd = true;
		else if (strcmp(o->dnd, "off") != 0) {
			fprintf(stderr, "siphon user set: --dnd must be on or off\n");
			return CLI_USAGE;
		}
		p->mask |= SIP_STORE_POLICY_DND;
	}
	if (o->decline_code) {
		rc = parse_decline("user set", "--decline-code", o->decline_code, &p->decline_code);
		if (rc)
			return rc;
		p->mask |= SIP_STORE_POLICY_DECLINE_CODE;
	}
	if (!p->mask) {
		fprintf(stderr, "siphon user set: nothing to set (--dnd on|off, --decline-code 603|607)\n");
		return CLI_USAGE;
	}
	return 0;
}

static int user_set(struct sip_store *st, struct sip_str aor, const struct policy *p)
{
	struct sip_store_batch *b;
	int rc;

	if (sip_store_batch_new(&b) != 0)
		return CLI_FAIL;
	if (sip_store_batch_user_policy(b, aor, p->mask, p->dnd, p->decline_code) != 0) {
		sip_store_batch_free(b);
		return CLI_FAIL;
	}
	rc = cli_store_commit(st, b, "user set", "cannot update the user");
	if (rc)
		return rc;
	printf("%.*s", SIP_STR_ARG(aor));
	if (p->mask & SIP_STORE_POLICY_DND)
		printf(" dnd=%s", p->dnd ? "on" : "off");
	if (p->mask & SIP_STORE_POLICY_DECLINE_CODE)
		printf(" decline=%u", p->decline_code);
	printf("\n");
	return 0;
}

/* The blocked URI: canonical when it is a sip/sips user@host URI (so it matches the
 * canonical From the proxy and notifier look up), otherwise as given (tel:, ...). */
static int block_uri(struct sip_buf *out, const char *arg)
{
	struct sip_str in = sip_str_trim(sip_str_from_cstr(arg));

	if (sip_str_chr(in, '@') >= 0 && sip_store_aor_canon(out, NULL, NULL, in) == 0)
		return 0;
	if (!in.len || sip_str_chr(in, ':') <= 0) {
		fprintf(stderr, "siphon user block: '%s' is not a URI\n", arg);
		return CLI_USAGE;
	}
	sip_buf_reset(out);
	return sip_buf_append_str(out, in) ? CLI_FAIL : 0;
}

static int user_block(struct sip_store *st, struct sip_str aor, struct sip_str uri,
		      uint16_t code, bool add)
{
	struct sip_store_block e = { aor, uri, code };
	struct sip_store_batch *b;
	int rc;

	if (sip_store_batch_new(&b) != 0)
		return CLI_FAIL;
	if ((add ? sip_store_batch_block_add(b, &e) : sip_store_batch_block_del(b, aor, uri)) != 0) {
		sip_store_batch_free(b);
		return CLI_FAIL;
	}
	rc = cli_store_commit(st, b, add ? "user block" : "user unblock",
			      add ? "cannot block (unknown user?)" : "cannot unblock (not blocked?)");
	if (!rc)
		printf("%.*s %s %.*s\n", SIP_STR_ARG(aor), add ? "blocks" : "no longer blocks",
		       SIP_STR_ARG(uri));
	return rc;
}

int cmd_user(int argc, char **argv)
{
	struct user_opts o;
	struct sip_buf aorbuf = SIP_BUF_INIT, uribuf = SIP_BUF_INIT;
	struct sip_str aor = SIP_STR_NULL, user = SIP_STR_NULL, realm = SIP_STR_NULL;
	struct policy pol = { 0, false, 0 };
	char md5[SIP_DIGEST_HEX_SIZE] = "", sha[SIP_DIGEST_HEX_SIZE] = "";
	uint16_t code = 0;
	struct sip_store *st = NULL;
	const char *sub;
	int want, rc;

	if (argc < 2)
		return cli_usage("user");
	sub = argv[1];
	rc = parse_opts(&o, argc, argv, "user");
	if (rc)
		return cli_usage("user");
	if (strcmp(sub, "add") == 0) {
		want = 1;
		rc = only(&o, "user add", true, false, false, false);
	} else if (strcmp(sub, "del") == 0) {
		want = 1;
		rc = only(&o, "user del", false, false, false, false);
	} else if (strcmp(sub, "list") == 0) {
		want = 0;
		rc = only(&o, "user list", false, false, false, true);
	} else if (strcmp(sub, "set") == 0) {
		want = 1;
		rc = only(&o, "user set", false, true, false, false);
	} else if (strcmp(sub, "block") == 0) {
		want = 2;
		rc = only(&o, "user block", false, false, true, false);
	} else if (strcmp(sub, "unblock") == 0) {
		want = 2;
		rc = only(&o, "user unblock", false, false, false, false);
	} else {
		fprintf(stderr, "siphon user: unknown subcommand '%s'\n", sub);
		return cli_usage("user");
	}
	if (rc)
		return cli_usage("user");
	if (o.npos != want) {
		fprintf(stderr, "siphon user %s: expected %d argument%s\n", sub, want,
			want == 1 ? "" : "s");
		return cli_usage("user");
	}
	/* Every argument is checked before the database is opened (or created). */
	if (want) {
		rc = cli_store_aor(&aorbuf, &user, &realm, "user", o.pos[0], o.domain);
		if (rc)
			goto usage;
		aor = sip_buf_str(&aorbuf);
	}
	if (strcmp(sub, "add") == 0 && o.password && !o.password[0]) {
		fprintf(stderr, "siphon user add: empty password\n");
		goto usage;
	}
	if (strcmp(sub, "set") == 0 && parse_policy(&o, &pol))
		goto usage;
	if (want == 2) {
		if (o.code && parse_decline("user block", "--code", o.code, &code))
			goto usage;
		if (block_uri(&uribuf, o.pos[1]))
			goto usage;
	}
	if (strcmp(sub, "add") == 0) {
		rc = hash_password(&o, user, realm, md5, sha);
		if (rc)
			goto out;
	}
	rc = cli_store_open(&st, "user", o.db);
	if (rc)
		goto out;
	if (strcmp(sub, "add") == 0)
		rc = user_add(st, aor, user, realm, md5, sha);
	else if (strcmp(sub, "del") == 0)
		rc = user_del(st, aor);
	else if (strcmp(sub, "list") == 0)
		rc = user_list(&o, st);
	else if (strcmp(sub, "set") == 0)
		rc = user_set(st, aor, &pol);
	else
		rc = user_block(st, aor, sip_buf_str(&uribuf), code, strcmp(sub, "block") == 0);
	sip_store_close(st);
	goto out;
usage:
	rc = cli_usage("user");
out:
	sip_buf_free(&aorbuf);
	sip_buf_free(&uribuf);
	return rc;
}

/* siphon mwi: the message-summary counts of a mailbox (RFC 3842 5.2 "Voice-Message:
 * new/old (urgent-new/urgent-old)"), kept in the store for the events server to notify.
 *
 *   siphon mwi set AOR NEW/OLD [--urgent NEW/OLD] [--db FILE]
 *   siphon mwi show AOR [--db FILE]
 *   siphon mwi clear AOR [--db FILE] */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_store.h"
#include "siphon/err.h"

/* "N/M" with two decimal numbers. */
static int parse_pair(const char *s, uint32_t *a, uint32_t *b)
{
	struct sip_str in = sip_str_from_cstr(s);
	long slash = sip_str_chr(in, '/');
	uint32_t x, y;

	if (slash <= 0)
		return -EINVAL;
	if (sip_str_to_u32((struct sip_str){ in.p, (size_t)slash }, &x) ||
	    sip_str_to_u32((struct sip_str){ in.p + slash + 1, in.len - (size_t)slash - 1 }, &y))
		return -EINVAL;
	*a = x;
	*b = y;
	return 0;
}

int cmd_mwi(int argc, char **argv)
{
	const char *pos[3] = { NULL, NULL, NULL }, *db = CLI_DEFAULT_DB, *urgent = NULL;
	const char *domain = CLI_DEFAULT_DOMAIN;
	struct sip_buf aorbuf = SIP_BUF_INIT;
	struct sip_store_mwi m = { 0 };
	struct sip_store *st = NULL;
	struct sip_store_batch *b = NULL;
	int npos = 0, want, rc;

	for (int i = 1; i < argc; i++) {
		const char **slot = NULL;

		if (strcmp(argv[i], "--db") == 0)
			slot = &db;
		else if (strcmp(argv[i], "--urgent") == 0)
			slot = &urgent;
		else if (strcmp(argv[i], "--domain") == 0)
			slot = &domain;
		else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "siphon mwi: unknown option %s\n", argv[i]);
			return cli_usage("mwi");
		} else if (npos < 3) {
			pos[npos++] = argv[i];
			continue;
		} else {
			fprintf(stderr, "siphon mwi: too many arguments\n");
			return cli_usage("mwi");
		}
		if (i + 1 >= argc || !argv[i + 1][0]) {
			fprintf(stderr, "siphon mwi: %s needs a value\n", argv[i]);
			return cli_usage("mwi");
		}
		*slot = argv[++i];
	}
	if (!pos[0])
		return cli_usage("mwi");
	if (strcmp(pos[0], "set") == 0)
		want = 3;
	else if (strcmp(pos[0], "show") == 0 || strcmp(pos[0], "clear") == 0)
		want = 2;
	else {
		fprintf(stderr, "siphon mwi: unknown subcommand '%s'\n", pos[0]);
		return cli_usage("mwi");
	}
	if (npos != want || (urgent && want != 3)) {
		fprintf(stderr, "siphon mwi %s: wrong arguments\n", pos[0]);
		return cli_usage("mwi");
	}
	if (want == 3 && (parse_pair(pos[2], &m.new_msgs, &m.old_msgs) ||
			  (urgent && parse_pair(urgent, &m.urgent_new, &m.urgent_old)))) {
		fprintf(stderr, "siphon mwi set: counts are NEW/OLD, e.g. 2/8\n");
		return cli_usage("mwi");
	}
	rc = cli_store_aor(&aorbuf, NULL, NULL, "mwi", pos[1], domain);
	if (rc) {
		rc = cli_usage("mwi");
		goto out;
	}
	m.aor = sip_buf_str(&aorbuf);
	rc = cli_store_open(&st, "mwi", db);
	if (rc)
		goto out;
	if (strcmp(pos[0], "show") == 0) {
		struct sip_store_mwi got;
		rc = sip_store_mwi_get(st, m.aor, &got);
		if (rc == SIP_ENOTFOUND) {
			printf("%.*s 0/0 (0/0)\n", SIP_STR_ARG(m.aor));
			rc = 0;
		} else if (rc) {
			fprintf(stderr, "siphon mwi show: %s\n", sip_strerror(rc));
			rc = CLI_FAIL;
		} else {
			printf("%.*s %u/%u (%u/%u)\n", SIP_STR_ARG(got.aor), got.new_msgs,
			       got.old_msgs, got.urgent_new, got.urgent_old);
			sip_store_mwi_clear(&got);
		}
		goto out;
	}
	rc = CLI_FAIL;
	if (sip_store_batch_new(&b) != 0)
		goto out;
	if ((want == 3 ? sip_store_batch_mwi_put(b, &m) : sip_store_batch_mwi_del(b, m.aor)) != 0)
		goto out;
	rc = cli_store_commit(st, b, "mwi", "cannot store the counts");
	b = NULL;
	if (!rc && want == 3)
		printf("%.*s %u/%u (%u/%u)\n", SIP_STR_ARG(m.aor), m.new_msgs, m.old_msgs,
		       m.urgent_new, m.urgent_old);
	else if (!rc)
		printf("%.*s cleared\n", SIP_STR_ARG(m.aor));
out:
	sip_store_batch_free(b);
	sip_store_close(st);
	sip_buf_free(&aorbuf);
	return rc;
}

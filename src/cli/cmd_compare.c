/* siphon compare A B: two response codes side by side, then the aspects in which
 * they differ (class, outcome, requests answered, senders, headers, what the
 * receiver must do, what a proxy does) and when each one applies. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "status_view.h"

/* Side-by-side layout: label | A | B, CLI_TEXT_WIDTH columns in all. */
#define COL_LABEL 17
#define COL_A 27
#define COL_B (CLI_TEXT_WIDTH - COL_LABEL - COL_A - 6)

/* One aspect of an entry, as text in the entry's locale. */
struct aspect {
	enum sip_status_label label;
	char a[1024];
	char b[1024];
};

enum { A_CLASS, A_OUTCOME, A_REQUESTS, A_SENDERS, A_HEADERS, A_RECEIVER, A_PROXY, A__COUNT };

static void aspect_text(char *buf, size_t sz, int which, const struct sip_status_info *e,
			const struct sip_status_locale *loc)
{
	switch (which) {
	case A_CLASS:
		cli_status_class_str(buf, sz, e, loc);
		break;
	case A_OUTCOME:
		snprintf(buf, sz, "%s", sip_status_outcome_name(loc, e->outcome));
		break;
	case A_REQUESTS:
		cli_status_requests_str(buf, sz, e, loc);
		break;
	case A_SENDERS:
		cli_status_senders_str(buf, sz, e, loc);
		break;
	case A_HEADERS:
		snprintf(buf, sz, "%s", *e->headers ? e->headers : sip_status_label(loc, SIP_STATUS_L_NONE));
		break;
	case A_RECEIVER:
		snprintf(buf, sz, "%s", e->receiver);
		break;
	default:
		snprintf(buf, sz, "%s", e->proxy_text);
		break;
	}
}

static const enum sip_status_label aspect_labels[A__COUNT] = {
	SIP_STATUS_L_CLASS, SIP_STATUS_L_OUTCOME, SIP_STATUS_L_REQUESTS, SIP_STATUS_L_SENDERS,
	SIP_STATUS_L_HEADERS, SIP_STATUS_L_RECEIVER, SIP_STATUS_L_PROXY,
};
static const char *const aspect_keys[A__COUNT] = {
	"class", "outcome", "requests", "senders", "headers", "receiver", "proxy",
};

/* Append the next line (at most width columns) of *p to out, padded to width
 * unless it is the last column. */
static size_t cell(char *out, size_t o, size_t sz, const char **p, int width, bool last)
{
	const char *line;
	int cols;
	size_t n = cli_wrap_next(p, width, &cols, &line);

	o += (size_t)snprintf(out + o, o < sz ? sz - o : 0, "%.*s%*s", (int)n, line,
			      last ? 0 : width - cols, "");
	return o < sz ? o : sz - 1;
}

/* One table row: each of the three texts wrapped in its own column. Lines are
 * built whole so trailing blanks can be dropped. */
static void row(const char *label, const char *a, const char *b)
{
	const char *pl = label, *pa = a, *pb = b;
	char out[4 * CLI_TEXT_WIDTH + 16]; /* a UTF-8 code point is at most 4 bytes */

	do {
		size_t o = 0;

		o = cell(out, o, sizeof(out), &pl, COL_LABEL, false);
		o += (size_t)snprintf(out + o, sizeof(out) - o, " | ");
		o = cell(out, o, sizeof(out), &pa, COL_A, false);
		o += (size_t)snprintf(out + o, sizeof(out) - o, " | ");
		o = cell(out, o, sizeof(out), &pb, COL_B, true);
		while (o > 0 && out[o - 1] == ' ')
			o--;
		printf("%.*s\n", (int)o, out);
	} while (*pl || *pa || *pb);
}

static void rule(void)
{
	char line[CLI_TEXT_WIDTH + 1];

	memset(line, '-', CLI_TEXT_WIDTH);
	line[CLI_TEXT_WIDTH] = '\0';
	line[COL_LABEL + 1] = '+';
	line[COL_LABEL + 3 + COL_A + 1] = '+';
	printf("%s\n", line);
}

/* The overview table shows the short aspects; the long ones (what the receiver
 * must do, what a proxy does) come in the key differences, so nothing is said
 * twice. */
static bool in_table(int aspect)
{
	return aspect != A_RECEIVER && aspect != A_PROXY;
}

static void print_text(const struct sip_status_info *a, const struct sip_status_info *b,
		       const struct aspect *asp, const struct sip_status_locale *loc)
{
	char ha[128], hb[128], ra[64], rb[64];
	int ndiff = 0, nsame = 0;

	snprintf(ha, sizeof(ha), "%d %s", a->code, a->phrase);
	snprintf(hb, sizeof(hb), "%d %s", b->code, b->phrase);
	row("", ha, hb);
	rule();
	row(sip_status_label(loc, SIP_STATUS_L_DESCRIPTION), a->description, b->description);
	for (int i = 0; i < A__COUNT; i++) {
		if (!in_table(i))
			continue;
		rule();
		row(sip_status_label(loc, asp[i].label), asp[i].a, asp[i].b);
	}
	rule();
	row(sip_status_label(loc, SIP_STATUS_L_RFC), cli_status_rfc_str(ra, sizeof(ra), a),
	    cli_status_rfc_str(rb, sizeof(rb), b));
	for (int k = 0; k < 2; k++) {
		const struct sip_status_info *e = k ? b : a;
		char line[512];

		if (e->registered)
			continue;
		snprintf(line, sizeof(line), "%d: %s %d %s.", e->code,
			 sip_status_label(loc, SIP_STATUS_L_UNREGISTERED), e->treated_as,
			 sip_status_phrase(e->treated_as));
		cli_wrap(stdout, line, 2, 0);
	}

	printf("\n%s\n", sip_status_label(loc, SIP_STATUS_L_KEY_DIFFERENCES));
	for (int i = 0; i < A__COUNT; i++) {
		if (strcmp(asp[i].a, asp[i].b) == 0) {
			nsame++;
			continue;
		}
		ndiff++;
		printf("  %s\n", sip_status_label(loc, asp[i].label));
		printf("    %d: ", a->code);
		cli_wrap(stdout, asp[i].a, 9, 9);
		printf("    %d: ", b->code);
		cli_wrap(stdout, asp[i].b, 9, 9);
	}
	if (ndiff == 0) {
		printf("  ");
		cli_wrap(stdout, sip_status_label(loc, SIP_STATUS_L_NO_DIFFERENCES), 2, 2);
	}
	if (nsame > 0) {
		printf("  %s\n", sip_status_label(loc, SIP_STATUS_L_SAME));
		for (int i = 0; i < A__COUNT; i++) {
			const char *label = sip_status_label(loc, asp[i].label);

			if (strcmp(asp[i].a, asp[i].b) != 0)
				continue;
			printf("    %s: ", label);
			cli_wrap(stdout, asp[i].a, 6, 6 + cli_text_cols(label, strlen(label)));
		}
	}

	printf("\n%s\n", sip_status_label(loc, SIP_STATUS_L_WHEN_TO_USE));
	printf("  %s\n    ", ha);
	cli_wrap(stdout, a->when, 4, 4);
	printf("  %s\n    ", hb);
	cli_wrap(stdout, b->when, 4, 4);
}

static void print_json(const struct sip_status_info *a, const struct sip_status_info *b,
		       const struct aspect *asp, const struct sip_status_locale *loc)
{
	bool first = true;

	printf("{\"locale\": ");
	cli_json_str(stdout, sip_status_locale_name(loc));
	printf(",\n \"a\": ");
	cli_status_json(stdout, a, loc);
	printf(",\n \"b\": ");
	cli_status_json(stdout, b, loc);
	printf(",\n \"differences\": [");
	for (int i = 0; i < A__COUNT; i++) {
		if (strcmp(asp[i].a, asp[i].b) == 0)
			continue;
		printf("%s\n  {\"aspect\": \"%s\", \"label\": ", first ? "" : ",", aspect_keys[i]);
		cli_json_str(stdout, sip_status_label(loc, asp[i].label));
		printf(", \"a\": ");
		cli_json_str(stdout, asp[i].a);
		printf(", \"b\": ");
		cli_json_str(stdout, asp[i].b);
		printf("}");
		first = false;
	}
	printf("],\n \"when_to_use\": [{\"code\": %d, \"text\": ", a->code);
	cli_json_str(stdout, a->when);
	printf("}, {\"code\": %d, \"text\": ", b->code);
	cli_json_str(stdout, b->when);
	printf("}]}\n");
}

int cmd_compare(int argc, char **argv)
{
	struct cli_status_args args;
	struct sip_status_info a, b;
	struct aspect asp[A__COUNT];
	int rc = cli_status_args_parse(&args, argc, argv);

	if (rc != CLI_OK)
		return rc;
	if (args.ncodes != 2) {
		fprintf(stderr, "siphon compare: expected exactly two response codes, got %d\n",
			args.ncodes);
		cli_status_args_free(&args);
		return cli_usage("compare");
	}
	/* Both codes were range-checked while parsing. */
	if (sip_status_lookup(&a, args.codes[0], args.loc) != 0 ||
	    sip_status_lookup(&b, args.codes[1], args.loc) != 0) {
		cli_status_args_free(&args);
		return CLI_USAGE;
	}
	for (int i = 0; i < A__COUNT; i++) {
		asp[i].label = aspect_labels[i];
		aspect_text(asp[i].a, sizeof(asp[i].a), i, &a, args.loc);
		aspect_text(asp[i].b, sizeof(asp[i].b), i, &b, args.loc);
	}
	if (args.json)
		print_json(&a, &b, asp, args.loc);
	else
		print_text(&a, &b, asp, args.loc);
	cli_status_args_free(&args);
	return CLI_OK;
}

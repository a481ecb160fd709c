/* siphon explain CODE...: the reference entry of each response code, as text
 * sections for a terminal or as a JSON array. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "status_view.h"

#define BODY_INDENT 4

/* "    Label: value", the value wrapped under itself at BODY_INDENT + 2. */
static void field(const char *label, const char *value)
{
	int col = BODY_INDENT + cli_text_cols(label, strlen(label)) + 2;

	printf("%*s%s: ", BODY_INDENT, "", label);
	cli_wrap(stdout, value, BODY_INDENT + 2, col);
}

/* "  Label: value" under the title line. */
static void head_field(const char *label, const char *value)
{
	printf("  %s: ", label);
	cli_wrap(stdout, value, 4, 2 + cli_text_cols(label, strlen(label)) + 2);
}

static void section(const char *label, const char *text)
{
	printf("%s\n%*s", label, BODY_INDENT, "");
	cli_wrap(stdout, text, BODY_INDENT, BODY_INDENT);
}

static void print_entry(const struct sip_status_info *e, const struct sip_status_locale *loc)
{
	char cls[128], req[256], snd[512], rfc[64], line[512];

	printf("%d %s", e->code, e->phrase);
	if (e->deprecated)
		printf(" [%s]", sip_status_label(loc, SIP_STATUS_L_DEPRECATED));
	printf("\n");
	if (!e->registered) {
		snprintf(line, sizeof(line), "%s %d %s.", sip_status_label(loc, SIP_STATUS_L_UNREGISTERED),
			 e->treated_as, sip_status_phrase(e->treated_as));
		printf("  ");
		cli_wrap(stdout, line, 2, 2);
	}
	head_field(sip_status_label(loc, SIP_STATUS_L_CLASS), cli_status_class_str(cls, sizeof(cls), e, loc));
	head_field(sip_status_label(loc, SIP_STATUS_L_OUTCOME), sip_status_outcome_name(loc, e->outcome));
	printf("\n");
	section(sip_status_label(loc, SIP_STATUS_L_DESCRIPTION), e->description);
	section(sip_status_label(loc, SIP_STATUS_L_WHEN), e->when);
	section(sip_status_label(loc, SIP_STATUS_L_ACTION), e->action);
	printf("%s\n", sip_status_label(loc, SIP_STATUS_L_CONSEQUENCES));
	field(sip_status_label(loc, SIP_STATUS_L_REQUESTS), cli_status_requests_str(req, sizeof(req), e, loc));
	field(sip_status_label(loc, SIP_STATUS_L_SENDERS), cli_status_senders_str(snd, sizeof(snd), e, loc));
	field(sip_status_label(loc, SIP_STATUS_L_HEADERS),
	      *e->headers ? e->headers : sip_status_label(loc, SIP_STATUS_L_NONE));
	field(sip_status_label(loc, SIP_STATUS_L_RECEIVER), e->receiver);
	field(sip_status_label(loc, SIP_STATUS_L_PROXY), e->proxy_text);
	section(sip_status_label(loc, SIP_STATUS_L_RFC), cli_status_rfc_str(rfc, sizeof(rfc), e));
}

int cmd_explain(int argc, char **argv)
{
	struct cli_status_args a;
	struct sip_status_info e;
	int rc = cli_status_args_parse(&a, argc, argv);

	if (rc != CLI_OK)
		return rc;
	if (a.ncodes == 0) {
		fprintf(stderr, "siphon explain: missing response code\n");
		cli_status_args_free(&a);
		return cli_usage("explain");
	}
	if (a.json)
		printf("[");
	for (int i = 0; i < a.ncodes; i++) {
		/* The codes were range-checked while parsing, so lookup cannot fail. */
		if (sip_status_lookup(&e, a.codes[i], a.loc) != 0)
			continue;
		if (a.json) {
			if (i)
				fputs(",\n ", stdout);
			cli_status_json(stdout, &e, a.loc);
		} else {
			if (i)
				printf("\n");
			print_entry(&e, a.loc);
		}
	}
	if (a.json)
		printf("]\n");
	cli_status_args_free(&a);
	return CLI_OK;
}

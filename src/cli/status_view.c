/* What `siphon explain` and `siphon compare` share: argument parsing, wrapping of
 * UTF-8 text for a terminal, and the JSON form of an entry. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "status_view.h"

/* Canonical tokens for JSON, in the order of the enums in siphon/status.h. They
 * are the words data/status/codes.json uses, so scripts read the same names. */
static const char *const outcome_tokens[SIP_STATUS_OUTCOME__COUNT] = {
	"provisional", "success", "redirection", "failure",
};
static const char *const sender_tokens[SIP_STATUS_SENDER__COUNT] = {
	"uas", "proxy", "registrar", "redirect", "notifier", "esc",
};
static const char *const proxy_tokens[SIP_STATUS_PROXY__COUNT] = {
	"absorb", "forward", "recurse", "collect", "cancel",
};

/* A code is exactly three digits in 100..699 (RFC 3261 25.1 Status-Code). */
static int parse_code(const char *cmd, const char *s, int *code)
{
	bool digits = strlen(s) == 3;

	for (size_t i = 0; digits && i < 3; i++)
		digits = s[i] >= '0' && s[i] <= '9';
	if (!digits) {
		fprintf(stderr, "siphon %s: '%s' is not a SIP response code: expected a"
				" three-digit number from 100 to 699\n", cmd, s);
		return CLI_USAGE;
	}
	*code = (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
	if (*code < SIP_STATUS_MIN || *code > SIP_STATUS_MAX) {
		fprintf(stderr, "siphon %s: %s is outside the SIP response-code range"
				" 100 to 699\n", cmd, s);
		return CLI_USAGE;
	}
	return CLI_OK;
}

static const struct sip_status_locale *locale_from_env(void)
{
	/* POSIX precedence for message catalogues: LC_ALL, LC_MESSAGES, LANG. */
	static const char *const vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };

	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (v && *v) {
			const struct sip_status_locale *l = sip_status_locale_find(v);
			return l ? l : sip_status_locale_default();
		}
	}
	return sip_status_locale_default();
}

static int bad_lang(const char *cmd, const char *lang)
{
	fprintf(stderr, "siphon %s: unknown language '%s'; available:", cmd, lang);
	for (size_t i = 0; i < sip_status_locale_count(); i++)
		fprintf(stderr, " %s", sip_status_locale_name(sip_status_locale_at(i)));
	fputc('\n', stderr);
	return CLI_USAGE;
}

int cli_status_args_parse(struct cli_status_args *a, int argc, char **argv)
{
	const char *cmd = argv[0];
	const char *lang = NULL;
	int rc;

	memset(a, 0, sizeof(*a));
	a->codes = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*a->codes));
	if (!a->codes) {
		fprintf(stderr, "siphon %s: out of memory\n", cmd);
		return CLI_FAIL;
	}
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];

		if (strcmp(arg, "--json") == 0) {
			a->json = true;
		} else if (strcmp(arg, "--lang") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "siphon %s: --lang needs a value (e.g. --lang vi)\n", cmd);
				rc = cli_usage(cmd);
				goto fail;
			}
			lang = argv[++i];
		} else if (strncmp(arg, "--lang=", 7) == 0) {
			lang = arg + 7;
		} else if (cli_is_option(arg)) {
			fprintf(stderr, "siphon %s: unknown option '%s'\n", cmd, arg);
			rc = cli_usage(cmd);
			goto fail;
		} else {
			rc = parse_code(cmd, arg, &a->codes[a->ncodes]);
			if (rc != CLI_OK)
				goto fail;
			a->ncodes++;
		}
	}
	if (lang) {
		a->loc = sip_status_locale_find(lang);
		if (!a->loc) {
			rc = bad_lang(cmd, lang);
			goto fail;
		}
	} else {
		a->loc = locale_from_env();
	}
	return CLI_OK;
fail:
	cli_status_args_free(a);
	return rc;
}

void cli_status_args_free(struct cli_status_args *a)
{
	free(a->codes);
	a->codes = NULL;
	a->ncodes = 0;
}

int cli_text_cols(const char *s, size_t len)
{
	int cols = 0;

	/* Count code points: every byte that is not a UTF-8 continuation byte. The
	 * data is NFC (checked by the generator), so Vietnamese letters are one each. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			cols++;
	return cols;
}

size_t cli_wrap_next(const char **p, int width, int *cols, const char **line)
{
	const char *s = *p;
	size_t end = 0, best = 0;
	int c = 0, best_cols = 0;

	if (width < 1)
		width = 1; /* always make progress */
	while (*s == ' ')
		s++;
	*line = s;
	if (*s == '\0') {
		*p = s;
		*cols = 0;
		return 0;
	}
	/* Walk code point by code point, remembering the last space that fits. */
	while (s[end] != '\0') {
		size_t n = 1;

		while (((unsigned char)s[end + n] & 0xC0) == 0x80)
			n++;
		if (s[end] == ' ') {
			best = end;
			best_cols = c;
		}
		if (c + 1 > width)
			break;
		end += n;
		c++;
	}
	if (s[end] == '\0' || s[end] == ' ') {
		best = end;
		best_cols = c;
	} else if (best == 0) {
		/* One word longer than the line: split it. */
		best = end;
		best_cols = c;
	}
	*p = s + best;
	while (**p == ' ')
		(*p)++;
	*cols = best_cols;
	return best;
}

void cli_wrap(FILE *f, const char *text, int indent, int first_col)
{
	const char *p = text, *line;
	bool first = true;
	int cols;
	size_t n;

	/* A label too long to leave room on its line: start the text below it. */
	if (first_col > CLI_TEXT_WIDTH / 2) {
		fputc('\n', f);
		first_col = 0;
	}

	while ((n = cli_wrap_next(&p, CLI_TEXT_WIDTH - (first && first_col > indent ? first_col : indent),
				  &cols, &line)) > 0) {
		/* The first line continues what the caller wrote; trailing blanks of
		 * the caller's label are not repeated. */
		if (!first)
			fprintf(f, "%*s", indent, "");
		else if (first_col < indent)
			fprintf(f, "%*s", indent - first_col, "");
		fprintf(f, "%.*s\n", (int)n, line);
		first = false;
	}
	if (first)
		fputc('\n', f);
}

const char *cli_status_class_str(char *buf, size_t sz, const struct sip_status_info *e,
				 const struct sip_status_locale *loc)
{
	snprintf(buf, sz, "%dxx %s", (int)e->cls, sip_status_class_name(loc, e->cls));
	return buf;
}

const char *cli_status_requests_str(char *buf, size_t sz, const struct sip_status_info *e,
				    const struct sip_status_locale *loc)
{
	size_t o = 0;

	buf[0] = '\0';
	if (strcmp(e->methods, "*") == 0) {
		o = (size_t)snprintf(buf, sz, "%s", sip_status_label(loc, SIP_STATUS_L_ANY_REQUEST));
	} else {
		for (const char *m = e->methods; *m && o < sz; ) {
			size_t n = strcspn(m, " ");

			o += (size_t)snprintf(buf + o, sz - o, "%s%.*s", o ? ", " : "", (int)n, m);
			m += n;
			while (*m == ' ')
				m++;
		}
	}
	if (e->in_dialog && o < sz)
		snprintf(buf + o, sz - o, ", %s", sip_status_label(loc, SIP_STATUS_L_IN_DIALOG));
	return buf;
}

const char *cli_status_senders_str(char *buf, size_t sz, const struct sip_status_info *e,
				   const struct sip_status_locale *loc)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < SIP_STATUS_SENDER__COUNT && o < sz; i++)
		if (e->senders & (1u << i))
			o += (size_t)snprintf(buf + o, sz - o, "%s%s", o ? ", " : "",
					      sip_status_sender_name(loc, 1u << i));
	return buf;
}

const char *cli_status_rfc_str(char *buf, size_t sz, const struct sip_status_info *e)
{
	snprintf(buf, sz, "%s \xc2\xa7%s", e->rfc, e->section);
	return buf;
}

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			/* UTF-8 passes through (JSON text is UTF-8, RFC 8259 8.1);
			 * other control characters become \u escapes. */
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* A space- or comma-separated canonical list as a JSON array of strings. */
static void json_list(FILE *f, const char *s, const char *seps)
{
	bool first = true;

	fputc('[', f);
	while (*s) {
		size_t n;

		s += strspn(s, seps);
		n = strcspn(s, seps);
		if (n == 0)
			break;
		fprintf(f, "%s\"%.*s\"", first ? "" : ", ", (int)n, s);
		first = false;
		s += n;
	}
	fputc(']', f);
}

static void json_field(FILE *f, const char *name, const char *value)
{
	fprintf(f, ", \"%s\": ", name);
	cli_json_str(f, value);
}

void cli_status_json(FILE *f, const struct sip_status_info *e, const struct sip_status_locale *loc)
{
	bool first = true;

	fprintf(f, "{\"code\": %d, \"phrase\": ", e->code);
	cli_json_str(f, e->phrase);
	fprintf(f, ", \"registered\": %s, \"treated_as\": %d, \"deprecated\": %s, \"class\": %d",
		e->registered ? "true" : "false", e->treated_as, e->deprecated ? "true" : "false",
		(int)e->cls);
	json_field(f, "class_name", e->class_name);
	fprintf(f, ", \"outcome\": \"%s\"", outcome_tokens[e->outcome]);
	json_field(f, "rfc", e->rfc);
	json_field(f, "section", e->section);
	fputs(", \"requests\": ", f);
	json_list(f, e->methods, " ");
	fprintf(f, ", \"in_dialog\": %s, \"senders\": [", e->in_dialog ? "true" : "false");
	for (unsigned i = 0; i < SIP_STATUS_SENDER__COUNT; i++) {
		if (e->senders & (1u << i)) {
			fprintf(f, "%s\"%s\"", first ? "" : ", ", sender_tokens[i]);
			first = false;
		}
	}
	fprintf(f, "], \"proxy\": \"%s\", \"headers\": ", proxy_tokens[e->proxy]);
	json_list(f, e->headers, ", ");
	json_field(f, "locale", sip_status_locale_name(loc));
	json_field(f, "description", e->description);
	json_field(f, "when", e->when);
	json_field(f, "action", e->action);
	json_field(f, "receiver", e->receiver);
	json_field(f, "proxy_text", e->proxy_text);
	fputc('}', f);
}

/* Private to src/cli: what `siphon explain` and `siphon compare` share: their
 * command line (codes, --json, --lang), text wrapping and JSON output of a
 * response-code entry. */
#ifndef SIPHON_CLI_STATUS_VIEW_H
#define SIPHON_CLI_STATUS_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include "siphon/status.h"

/* Terminal width the texts are wrapped to. */
#define CLI_TEXT_WIDTH 78

struct cli_status_args {
	const struct sip_status_locale *loc;
	bool json;
	int *codes; /* heap, ncodes entries; free with cli_status_args_free */
	int ncodes;
};

/* Parse argv (argv[0] = command name): codes, --json, --lang L / --lang=L. Without
 * --lang the locale comes from LC_ALL, LC_MESSAGES or LANG (first set), falling
 * back to en. Returns CLI_OK, or CLI_USAGE after printing why on stderr (a word
 * that is not a code in 100..699, an unknown option or locale). */
int cli_status_args_parse(struct cli_status_args *a, int argc, char **argv);
void cli_status_args_free(struct cli_status_args *a);

/* Write text wrapped at CLI_TEXT_WIDTH columns, every line indented by indent
 * spaces; the first line starts after first_col columns already written. */
void cli_wrap(FILE *f, const char *text, int indent, int first_col);

/* Split off the next line of at most width columns from *p (UTF-8 aware, breaks
 * at spaces, hard-splits longer words): returns its length in bytes, its start
 * in *line and its width in *cols, and advances *p past it and the spaces after
 * it. Returns 0 at the end of the text. */
size_t cli_wrap_next(const char **p, int width, int *cols, const char **line);

/* Column width of a UTF-8 string (one column per code point). */
int cli_text_cols(const char *s, size_t len);

/* "2xx Success": class digit and localised class name, into buf. */
const char *cli_status_class_str(char *buf, size_t sz, const struct sip_status_info *e,
				 const struct sip_status_locale *loc);
/* "SUBSCRIBE, only within an existing dialog" / "any request". */
const char *cli_status_requests_str(char *buf, size_t sz, const struct sip_status_info *e,
				    const struct sip_status_locale *loc);
/* Localised sender names joined with ", ". */
const char *cli_status_senders_str(char *buf, size_t sz, const struct sip_status_info *e,
				   const struct sip_status_locale *loc);
/* "RFC 5839 §7.1". */
const char *cli_status_rfc_str(char *buf, size_t sz, const struct sip_status_info *e);

/* JSON: a string with escapes, and one entry as an object. */
void cli_json_str(FILE *f, const char *s);
void cli_status_json(FILE *f, const struct sip_status_info *e, const struct sip_status_locale *loc);

#endif

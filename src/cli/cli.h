/* Private interface of the siphon command line (src/cli). */
#ifndef SIPHON_CLI_H
#define SIPHON_CLI_H

#include <stdbool.h>

/* Exit statuses shared by every subcommand (documented in `siphon help`). */
enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,      /* the operation ran and failed (e.g. invalid message) */
	CLI_USAGE = 2,     /* bad command line or bad argument */
};

/* The options every toolkit command takes (src/cli/ua.h). */
#define UA_OPTS_USAGE_TEXT "[--from URI] [--user U] [--password P] [--transport udp|tcp|tls] [--proxy HOST[:PORT]] [--timeout S] [--tls-ca FILE] [--insecure] [--verbose] [--json]"

#define SIPHON_CMD(name, fn, min, max, usage, summary) int fn(int argc, char **argv);
#include "commands.h"
#undef SIPHON_CMD

/* Print "usage: siphon <usage>" for the named command to stderr; returns CLI_USAGE. */
int cli_usage(const char *cmd);
/* Is argv[i] an option (starts with "--" or is "-h")? Positional "-" is not. */
bool cli_is_option(const char *arg);

#endif

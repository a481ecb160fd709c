/* siphon: the command-line entry point and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct cli_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	int min_args;
	int max_args;
	const char *usage;
	const char *summary;
};

static const struct cli_cmd commands[] = {
#define SIPHON_CMD(name, fn, min, max, usage, summary) { #name, fn, min, max, usage, summary },
#include "commands.h"
#undef SIPHON_CMD
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

bool cli_is_option(const char *arg)
{
	return (arg[0] == '-' && arg[1] == '-') || strcmp(arg, "-h") == 0;
}

int cli_usage(const char *cmd)
{
	const struct cli_cmd *c = find(cmd);
	if (c)
		fprintf(stderr, "usage: siphon %s\n", c->usage);
	return CLI_USAGE;
}

static void print_help(FILE *f)
{
	fprintf(f, "siphon %s: SIP server, library and toolkit\n\n"
		   "usage: siphon COMMAND [ARGS...]\n\ncommands:\n", SIPHON_VERSION);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n", "help", "show help for a command: siphon help COMMAND");
	fprintf(f, "\noptions: --help, --version\n"
		   "\nexit status: 0 success; 1 the operation failed; 2 usage error"
		   " (bad command, option or argument)\n"
		   "  options, register, message, call, publish, subscribe: 0 final response 2xx;\n"
		   "  3, 4, 5, 6 the final response was 3xx, 4xx, 5xx, 6xx; 7 timeout (no final\n"
		   "  response); 1 local error (resolution, socket, TLS certificate not verified);\n"
		   "  2 usage error\n");
}

static int help_command(const char *name)
{
	const struct cli_cmd *c = find(name);
	if (!c) {
		fprintf(stderr, "siphon: unknown command '%s' (see 'siphon --help')\n", name);
		return CLI_USAGE;
	}
	printf("usage: siphon %s\n\n%s\n", c->usage, c->summary);
	if (strstr(c->usage, "--proxy"))
		printf("\nexit status: 0 the final response was 2xx; 3, 4, 5, 6 it was 3xx, 4xx, 5xx, 6xx;\n"
		       "7 timeout (no final response); 1 local error (also a TLS server whose certificate\n"
		       "is not verified: --tls-ca FILE trusts its CA, --insecure skips the check); 2 usage error\n");
	return CLI_OK;
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;
	int npos = 0;

	if (argc < 2) {
		print_help(stderr);
		return CLI_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		print_help(stdout);
		return CLI_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("siphon %s\n", SIPHON_VERSION);
		return CLI_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc == 2) {
			print_help(stdout);
			return CLI_OK;
		}
		return help_command(argv[2]);
	}
	c = find(argv[1]);
	if (!c) {
		fprintf(stderr, "siphon: unknown command '%s' (see 'siphon --help')\n", argv[1]);
		return CLI_USAGE;
	}
	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return help_command(c->name);
	}
	/* Arity is checked here, once, before any handler runs. Words that are not
	 * options count as positional; an option's value (--lang vi) counts too, so
	 * this is an upper bound and handlers check their own options' values. */
	for (int i = 2; i < argc; i++)
		if (!cli_is_option(argv[i]))
			npos++;
	if (npos < c->min_args) {
		fprintf(stderr, "siphon %s: missing argument\n", c->name);
		return cli_usage(c->name);
	}
	return c->fn(argc - 1, argv + 1);
}

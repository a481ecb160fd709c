/* siphon serve: the SIP server (registrar today; proxy and events to come).
 *
 *   siphon serve [--listen PROTO:ADDR:PORT[/advertise=HOST[:PORT]]]... [--domain D]
 *                [--db FILE] [--no-auth]
 *                [--config FILE] [--log-level error|warn|info|debug]
 *                [--tls-ca FILE] [--tls-verify on|off]
 *                [--max-message-size N] [--max-connections N]
 *                [--subscriptions-per-user N] [--request-rate N] [--request-burst N]
 *
 * Settings come from the embedded defaults, then --config FILE (INI, see
 * include/siphon/server.h), then the other options; SIGTERM or SIGINT stops it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "siphon/server.h"

int cmd_serve(int argc, char **argv)
{
	struct sip_server_config c;
	char msg[256] = "";
	bool cli_listen = false;
	int err;

	if (sip_server_config_init(&c) != 0)
		return CLI_FAIL;
	/* The file first, wherever --config is, so the command line wins. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc) {
				sip_server_config_free(&c);
				return cli_usage("serve");
			}
			if (sip_server_config_load(&c, argv[i + 1], msg, sizeof(msg)) != 0) {
				fprintf(stderr, "siphon serve: %s\n", msg);
				sip_server_config_free(&c);
				return CLI_USAGE;
			}
			i++;
		}
	}
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *key = NULL, *sect = "server";

		if (!strcmp(opt, "--config")) {
			i++;
			continue;
		}
		if (!strcmp(opt, "--no-auth")) {
			c.auth = false;
			continue;
		}
		if (!strcmp(opt, "-h") || !strcmp(opt, "--help")) {
			sip_server_config_free(&c);
			return cli_usage("serve");
		}
		if (!strcmp(opt, "--listen"))
			key = "listen";
		else if (!strcmp(opt, "--domain"))
			key = "domain";
		else if (!strcmp(opt, "--db"))
			key = "db";
		else if (!strcmp(opt, "--log-level"))
			key = "log_level";
		else if (!strcmp(opt, "--tls-ca"))
			key = "tls_ca";
		else if (!strcmp(opt, "--tls-verify"))
			key = "tls_verify";
		else if (!strcmp(opt, "--max-message-size") || !strcmp(opt, "--max-connections") ||
			 !strcmp(opt, "--subscriptions-per-user") || !strcmp(opt, "--request-rate") ||
			 !strcmp(opt, "--request-burst")) {
			/* [limits]: the key is the option without "--" ('-' is '_'). */
			key = opt + 2;
			sect = "limits";
		}
		if (!key || i + 1 >= argc) {
			fprintf(stderr, "siphon serve: %s '%s'\n", key ? "missing value for" : "unknown option", opt);
			sip_server_config_free(&c);
			return cli_usage("serve");
		}
		if (!strcmp(key, "listen") && !cli_listen) {
			/* The command line's listens replace the file's and the defaults. */
			for (size_t k = 0; k < c.nlisten; k++)
				free(c.listen[k]);
			c.nlisten = 0;
			cli_listen = true;
		}
		if (sip_server_config_set(&c, sect, key, argv[++i], msg, sizeof(msg)) != 0) {
			fprintf(stderr, "siphon serve: %s\n", msg);
			sip_server_config_free(&c);
			return CLI_USAGE;
		}
	}
	err = sip_server_run(&c);
	sip_server_config_free(&c);
	return err ? CLI_FAIL : CLI_OK;
}

/* siphon message URI TEXT: send an instant message (RFC 3428 MESSAGE) and show
 * what the recipient's side answered. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ua.h"

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	(void)r;
	(void)arg;
	ua_print_response(ua, res);
	if (!res->final)
		return;
	/* RFC 3428 7: a 2xx says the message was delivered (200) or accepted for
	 * delivery (202), never that a person read it. */
	if (res->code == 202)
		ua_note(ua, "accepted", "   accepted for later delivery (202): not yet delivered");
	ua_stop(ua, res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code));
}

int cmd_message(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	const char *uri = NULL, *text = NULL, *ctype = "text/plain;charset=UTF-8";
	struct ua ua;
	int rc;

	for (int i = 1; i < argc; i++) {
		int c = ua_opts_parse(&opt, argc, argv, &i);
		if (c < 0)
			return cli_usage("message");
		if (c > 0)
			continue;
		if (strcmp(argv[i], "--type") == 0 && i + 1 < argc)
			ctype = argv[++i];
		else if (!cli_is_option(argv[i]) && !uri)
			uri = argv[i];
		else if (!cli_is_option(argv[i]) && !text)
			text = argv[i];
		else {
			fprintf(stderr, "siphon message: unexpected '%s'\n", argv[i]);
			return cli_usage("message");
		}
	}
	if (!uri || !text)
		return cli_usage("message");
	if (strchr(ctype, '\r') || strchr(ctype, '\n')) {
		fprintf(stderr, "siphon message: bad --type\n");
		return CLI_USAGE;
	}
	rc = ua_init(&ua, &opt, uri);
	if (rc)
		return rc;
	struct ua_req_spec s = {
		.method = "MESSAGE",
		.ruri = uri,
		.ctype = ctype,
		.body = text,
		.body_len = strlen(text),
	};
	if (ua_send(&ua, &s, on_result, NULL, NULL) != 0)
		ua_stop(&ua, UA_EXIT_ERROR);
	return ua_run(&ua);
}

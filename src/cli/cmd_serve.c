/* siphon serve: the server. Until the registrar, proxy and events services exist
 * (issues 5 to 7) this says so and exits non-zero rather than pretending to run. */
#include <stdio.h>

#include "cli.h"

int cmd_serve(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "siphon serve: the server is not built yet: transports and transactions,\n"
			"the registrar, the proxy and the events server are still to come.\n"
			"What works today: siphon explain, siphon compare (see siphon --help).\n");
	return CLI_FAIL;
}

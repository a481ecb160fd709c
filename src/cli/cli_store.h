/* Private helpers of the commands that edit the store (cmd_user.c, cmd_mwi.c). */
#ifndef SIPHON_CLI_STORE_H
#define SIPHON_CLI_STORE_H

#include "siphon/buf.h"
#include "siphon/store.h"

/* The database used when --db is not given: the one `siphon serve` uses by default. */
#define CLI_DEFAULT_DB "siphon.db"
/* The domain of a bare user name ("alice"): the one `siphon serve` serves by default. */
#define CLI_DEFAULT_DOMAIN "localhost"

/* The canonical AOR of arg ("alice@example.com", "sip:alice@example.com", or a bare
 * "alice" in domain) into out; user and host (the host without any port) are slices of
 * out. Prints an error naming cmd and returns CLI_USAGE when arg is not an AOR. */
int cli_store_aor(struct sip_buf *out, struct sip_str *user, struct sip_str *host,
		  const char *cmd, const char *arg, const char *domain);

/* Open the store at path, printing an error naming cmd on failure (CLI_FAIL). */
int cli_store_open(struct sip_store **stp, const char *cmd, const char *path);

/* Submit b, wait for it and close st. 0, or prints "siphon CMD: WHAT: error" and
 * returns CLI_FAIL. */
int cli_store_commit(struct sip_store *st, struct sip_store_batch *b, const char *cmd,
		     const char *what);

#endif

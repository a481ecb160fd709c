/* The siphon subcommand table. One line per command:
 *   SIPHON_CMD(name, handler, min_args, max_args, usage, summary)
 * Arity (positional arguments, options not counted) is checked once, in main.c,
 * before any handler runs; max_args -1 means unbounded. A handler gets argv with
 * argv[0] = the command name and returns the process exit status. */
SIPHON_CMD(serve, cmd_serve, 0, 0,
	   "serve [--listen PROTO:ADDR:PORT[/advertise=HOST[:PORT]]]... [--domain D] [--db FILE] [--no-auth]\n"
	   "       [--config FILE] [--log-level error|warn|info|debug] [--tls-ca FILE] [--tls-verify on|off]\n"
	   "       [--max-message-size N] [--max-connections N] [--subscriptions-per-user N]\n"
	   "       [--request-rate N] [--request-burst N]\n"
	   "  defaults: udp and tcp on 127.0.0.1:5060, domain localhost, db siphon.db;\n"
	   "  /advertise=HOST[:PORT] is the address peers are told (Via, Record-Route, Contact) for that\n"
	   "  socket, e.g. udp:0.0.0.0:5060/advertise=sip.example.com (port: the bound one); without it a\n"
	   "  0.0.0.0 or [::] bind advertises the host's primary address (logged at start);\n"
	   "  TLS servers it connects to are verified against the system's CAs (or --tls-ca);\n"
	   "  the config file is INI ([server] listen/domain/db/auth/log_level/tls_cert/tls_key/tls_ca/tls_verify,\n"
	   "  [registrar] min_expires/max_expires/default_expires/max_bindings,\n"
	   "  [limits] max_message_size (65535) / max_connections (1024) / subscriptions_per_user (100)\n"
	   "  / request_rate (0: off) / request_burst (0: 2 x rate))",
	   "run the SIP server (registrar with digest authentication, SQLite store)")
SIPHON_CMD(parse, cmd_parse, 0, 1, "parse [--json] [FILE|-]",
	   "check one SIP message (FILE or stdin): summary or --json, exit 0 if valid, 1 with the reason and line if not; a file without any CR has its LF line ends read as CRLF")
SIPHON_CMD(explain, cmd_explain, 1, -1, "explain CODE... [--json] [--lang en|vi]",
	   "explain SIP response codes: meaning, what to do, RFC")
SIPHON_CMD(compare, cmd_compare, 2, 2, "compare CODE CODE [--json] [--lang en|vi]",
	   "compare two SIP response codes and their key differences")
SIPHON_CMD(options, cmd_options, 1, 1, "options URI [--count N] [--interval S] " UA_OPTS_USAGE_TEXT,
	   "ping a SIP element with OPTIONS: each answer explained, round-trip time; exit 0 only on 2xx")
SIPHON_CMD(register, cmd_register, 1, 1, "register AOR [--password P] [--expires S] [--contact URI] [--keep] " UA_OPTS_USAGE_TEXT,
	   "register a contact for AOR (digest MD5/SHA-256); --keep refreshes until Ctrl-C, then unregisters")
SIPHON_CMD(message, cmd_message, 2, 2, "message URI TEXT [--type CONTENT-TYPE] " UA_OPTS_USAGE_TEXT,
	   "send an instant message (RFC 3428 MESSAGE) and explain the answer")
SIPHON_CMD(call, cmd_call, 1, 1, "call URI [--duration S] " UA_OPTS_USAGE_TEXT,
	   "place a call (INVITE with an SDP offer, no media): responses explained, ACK, BYE after S or on Ctrl-C, CANCEL while ringing")
SIPHON_CMD(publish, cmd_publish, 1, 1, "publish URI --status open|closed [--note TEXT] [--expires S] [--keep] [--etag E [--remove]] " UA_OPTS_USAGE_TEXT,
	   "publish presence (RFC 3903, PIDF); --keep refreshes with SIP-If-Match and removes it on Ctrl-C")
SIPHON_CMD(subscribe, cmd_subscribe, 1, 1, "subscribe URI --event presence|dialog|message-summary|reg [--expires S] " UA_OPTS_USAGE_TEXT,
	   "subscribe (RFC 6665) and print each NOTIFY; refreshes with Suppress-If-Match (RFC 5839); Ctrl-C unsubscribes")
SIPHON_CMD(user, cmd_user, 1, -1,
	   "user add AOR [--password P] [--db FILE]\n"
	   "       siphon user del AOR [--db FILE]\n"
	   "       siphon user list [--verbose] [--db FILE]\n"
	   "       siphon user set AOR [--dnd on|off] [--decline-code 603|607] [--db FILE]\n"
	   "       siphon user block AOR URI [--code 603|607] [--db FILE]\n"
	   "       siphon user unblock AOR URI [--db FILE]\n"
	   "  AOR is user@domain (the realm is the domain); a bare name is in --domain\n"
	   "  (default localhost). Passwords are stored only as MD5 and SHA-256 HA1 hashes;\n"
	   "  without --password it is read from the terminal (no echo) or stdin.\n"
	   "  --db defaults to siphon.db; list never prints hashes unless --verbose",
	   "manage the domain's users: credentials, do-not-disturb, block list")
SIPHON_CMD(mwi, cmd_mwi, 2, -1,
	   "mwi set AOR NEW/OLD [--urgent NEW/OLD] [--db FILE]\n"
	   "       siphon mwi show AOR [--db FILE]\n"
	   "       siphon mwi clear AOR [--db FILE]",
	   "set the voicemail counts behind message-summary (RFC 3842) notifications")

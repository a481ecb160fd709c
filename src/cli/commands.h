/* The siphon subcommand table. One line per command:
 *   SIPHON_CMD(name, handler, min_args, max_args, usage, summary)
 * Arity (positional arguments, options not counted) is checked once, in main.c,
 * before any handler runs; max_args -1 means unbounded. A handler gets argv with
 * argv[0] = the command name and returns the process exit status. */
SIPHON_CMD(serve, cmd_serve, 0, 0, "serve [--listen PROTO:ADDR:PORT]... [--domain D] [--db FILE]",
	   "run the SIP server (registrar, proxy, events)")
SIPHON_CMD(parse, cmd_parse, 0, 1, "parse [--json] [FILE|-]",
	   "check one SIP message (FILE or stdin): summary or --json, exit 0 if valid, 1 with the reason and line if not; a file without any CR has its LF line ends read as CRLF")

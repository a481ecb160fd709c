/* siphon options URI: ping a SIP element with OPTIONS (RFC 3261 11) and show each
 * answer with its round-trip time and its meaning. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ua.h"

struct options_run {
	unsigned count, sent, ok;
	double interval_s;
	const char *uri;
	double rtt_min, rtt_max, rtt_sum;
	unsigned answered;
	int status;        /* the exit status: the last failure's, else 0 */
};

static void ping(struct ua *ua);

static void summary(struct ua *ua)
{
	struct options_run *o = ua->cmd;

	if (o->count < 2 && !ua->opt.json)
		return;
	if (ua->opt.json) {
		struct sip_buf b = SIP_BUF_INIT;
		sip_buf_printf(&b, "\"sent\":%u,\"ok\":%u,\"answered\":%u", o->sent, o->ok, o->answered);
		if (o->answered)
			sip_buf_printf(&b, ",\"rtt_min_ms\":%.3f,\"rtt_avg_ms\":%.3f,\"rtt_max_ms\":%.3f", o->rtt_min,
				       o->rtt_sum / o->answered, o->rtt_max);
		sip_buf_printf(&b, ",\"exit\":%d", o->status);
		ua_json_emit(ua, "summary", &b);
		sip_buf_free(&b);
		return;
	}
	printf("--- %s: %u sent, %u answered 2xx, %u answered", o->uri, o->sent, o->ok, o->answered);
	if (o->answered)
		printf(", rtt min/avg/max %.1f/%.1f/%.1f ms", o->rtt_min, o->rtt_sum / o->answered, o->rtt_max);
	printf("\n");
}

static void finish(struct ua *ua)
{
	struct options_run *o = ua->cmd;

	summary(ua);
	ua_stop(ua, o->status);
}

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct options_run *o = arg;

	(void)r;
	ua_print_response(ua, res);
	if (!res->final)
		return;
	if (res->msg) {
		o->answered++;
		if (o->answered == 1 || res->rtt_ms < o->rtt_min)
			o->rtt_min = res->rtt_ms;
		if (res->rtt_ms > o->rtt_max)
			o->rtt_max = res->rtt_ms;
		o->rtt_sum += res->rtt_ms;
	}
	if (res->code >= 200 && res->code < 300)
		o->ok++;
	else
		o->status = res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code);
	if (o->sent >= o->count)
		finish(ua);
	else
		ua_tick(ua, (uint64_t)(o->interval_s * 1000.0));
}

static void ping(struct ua *ua)
{
	struct options_run *o = ua->cmd;
	struct ua_req_spec s = {
		.method = "OPTIONS",
		.ruri = o->uri,
		.contact = true,
		.headers = "Accept: application/sdp\r\n",
	};

	/* Each ping is a request of its own (its own Call-ID), as a new OPTIONS
	 * outside any dialog is (11.1). */
	char cid[SIP_CALL_ID_SIZE];
	if (o->sent && sip_call_id_new(cid, sizeof(cid)) == 0)
		s.call_id = cid;
	o->sent++;
	if (ua_send(ua, &s, on_result, o, NULL) != 0) {
		o->status = UA_EXIT_ERROR;
		finish(ua);
	}
}

static void on_sigint(struct ua *ua)
{
	struct options_run *o = ua->cmd;

	/* Stop pinging; the answered pings decide the status. */
	if (o->sent > o->answered && o->status == 0)
		o->status = UA_EXIT_TIMEOUT;
	finish(ua);
}

int cmd_options(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct options_run o = { .count = 1, .interval_s = 1.0 };
	struct ua ua;
	int rc;

	for (int i = 1; i < argc; i++) {
		int c = ua_opts_parse(&opt, argc, argv, &i);
		char *end;
		if (c < 0)
			return cli_usage("options");
		if (c > 0)
			continue;
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc) {
			long n = strtol(argv[++i], &end, 10);
			if (*end || n < 1 || n > 1000000) {
				fprintf(stderr, "siphon options: --count wants 1..1000000\n");
				return CLI_USAGE;
			}
			o.count = (unsigned)n;
		} else if (strcmp(argv[i], "--interval") == 0 && i + 1 < argc) {
			o.interval_s = strtod(argv[++i], &end);
			if (*end || o.interval_s < 0 || o.interval_s > 3600) {
				fprintf(stderr, "siphon options: --interval wants seconds (0..3600)\n");
				return CLI_USAGE;
			}
		} else if (!cli_is_option(argv[i]) && !o.uri) {
			o.uri = argv[i];
		} else {
			fprintf(stderr, "siphon options: unexpected '%s'\n", argv[i]);
			return cli_usage("options");
		}
	}
	if (!o.uri)
		return cli_usage("options");
	rc = ua_init(&ua, &opt, o.uri);
	if (rc)
		return rc;
	ua.cmd = &o;
	ua.on_tick = ping;
	ua.on_sigint = on_sigint;
	ping(&ua);
	return ua_run(&ua);
}

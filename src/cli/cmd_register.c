/* siphon register AOR: bind a contact to an address-of-record (RFC 3261 10.2),
 * answering the registrar's digest challenge, optionally keeping the binding
 * refreshed until SIGINT and then removing it (Expires: 0, 10.2.2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "siphon/uri.h"
#include "ua.h"

struct register_run {
	const char *aor;
	char ruri[512];
	const char *contact;     /* --contact, or NULL for the UA's */
	unsigned expires;
	bool keep;
	bool unregistering;
	bool retried_423;
	int status;
};

static void send_register(struct ua *ua, unsigned expires);

/* The expiry the registrar granted our contact: its expires parameter in the 2xx,
 * else the Expires header (10.2.4), else what we asked. */
static unsigned granted(struct ua *ua, struct sip_msg *m, unsigned asked)
{
	const struct register_run *o = ua->cmd;
	const struct sip_addr *c;
	uint32_t e;
	int n = sip_msg_contact_count(m);

	for (int i = 0; i < n; i++) {
		if (sip_msg_contact(m, (unsigned)i, &c) != 0)
			continue;
		/* Our contact: --contact, or the one carrying our host:port. */
		const char *mine = o->contact ? o->contact : ua->host;
		if (c->has_expires && c->uri_str.len && memmem(c->uri_str.p, c->uri_str.len, mine, strlen(mine)))
			return c->expires;
	}
	if (sip_msg_expires(m, &e) == 0)
		return e;
	return asked;
}

static void print_bindings(struct ua *ua, struct sip_msg *m)
{
	const struct sip_addr *c;
	int n = sip_msg_contact_count(m);

	for (int i = 0; i < n; i++) {
		if (sip_msg_contact(m, (unsigned)i, &c) != 0)
			continue;
		if (ua->opt.json) {
			struct sip_buf b = SIP_BUF_INIT;
			sip_buf_append_cstr(&b, "\"contact\":");
			ua_json_str(&b, c->uri_str.p, c->uri_str.len);
			if (c->has_expires)
				sip_buf_printf(&b, ",\"expires\":%u", c->expires);
			ua_json_emit(ua, "binding", &b);
			sip_buf_free(&b);
		} else if (c->has_expires) {
			printf("   binding %.*s expires in %u s\n", SIP_STR_ARG(c->uri_str), c->expires);
		} else {
			printf("   binding %.*s\n", SIP_STR_ARG(c->uri_str));
		}
	}
	if (n <= 0 && !ua->opt.json)
		printf("   no bindings left for %s\n", ((struct register_run *)ua->cmd)->aor);
}

static void on_result(struct ua *ua, struct ua_req *r, const struct ua_result *res, void *arg)
{
	struct register_run *o = arg;
	uint32_t min;

	(void)r;
	ua_print_response(ua, res);
	if (!res->final)
		return;
	/* 10.2.8: 423 carries Min-Expires; ask again with it, once. */
	if (res->code == 423 && res->msg && !o->retried_423 && !o->unregistering &&
	    sip_msg_min_expires(res->msg, &min) == 0 && min > o->expires) {
		o->retried_423 = true;
		o->expires = min;
		ua_note(ua, "retry", "   asking again with Expires: %u (the registrar's Min-Expires)", min);
		send_register(ua, min);
		return;
	}
	o->status = res->timeout ? UA_EXIT_TIMEOUT : ua_exit_for(res->code);
	if (res->code >= 200 && res->code < 300 && res->msg)
		print_bindings(ua, res->msg);
	if (o->unregistering || !o->keep || o->status != UA_EXIT_OK) {
		if (o->unregistering && !ua->opt.json && o->status == UA_EXIT_OK)
			printf("unregistered %s\n", o->aor);
		ua_stop(ua, o->status);
		return;
	}
	/* --keep: refresh well before the binding expires. */
	unsigned g = granted(ua, res->msg, o->expires);
	uint64_t ms = g > 10 ? (uint64_t)g * 1000 / 2 : (g ? (uint64_t)g * 500 : 1000);
	ua_note(ua, "refresh", "   registered; refreshing in %.1f s (Ctrl-C unregisters)", (double)ms / 1000.0);
	ua_tick(ua, ms);
}

static void send_register(struct ua *ua, unsigned expires)
{
	struct register_run *o = ua->cmd;
	char hdr[64];
	char contact[600];
	struct ua_req_spec s = {
		.method = "REGISTER",
		.ruri = o->ruri,
		.to = NULL,
		.headers = hdr,
	};
	char to[600];

	snprintf(hdr, sizeof(hdr), "Expires: %u\r\n", expires);
	snprintf(to, sizeof(to), "<%s>", o->aor);
	s.to = to;
	if (o->contact) {
		snprintf(contact, sizeof(contact), "<%s>", o->contact);
		s.contact_value = contact;
	} else {
		s.contact = true;
	}
	if (ua_send(ua, &s, on_result, o, NULL) != 0)
		ua_stop(ua, UA_EXIT_ERROR);
}

static void on_tick(struct ua *ua)
{
	struct register_run *o = ua->cmd;

	send_register(ua, o->expires);
}

static void on_sigint(struct ua *ua)
{
	struct register_run *o = ua->cmd;

	if (o->unregistering || !o->keep) {
		ua_stop(ua, o->status);
		return;
	}
	ua_tick(ua, 0);
	o->unregistering = true;
	ua_note(ua, "unregister", "interrupted: removing the binding (Expires: 0)");
	send_register(ua, 0);
}

int cmd_register(int argc, char **argv)
{
	struct ua_opts opt = { 0 };
	struct register_run o = { .expires = 3600 };
	struct sip_uri u;
	struct ua ua;
	int rc;

	for (int i = 1; i < argc; i++) {
		int c = ua_opts_parse(&opt, argc, argv, &i);
		if (c < 0)
			return cli_usage("register");
		if (c > 0)
			continue;
		if (strcmp(argv[i], "--expires") == 0 && i + 1 < argc) {
			if (ua_arg_expires("register", argv[++i], &o.expires) != 0)
				return CLI_USAGE;
		} else if (strcmp(argv[i], "--contact") == 0 && i + 1 < argc) {
			o.contact = argv[++i];
		} else if (strcmp(argv[i], "--keep") == 0) {
			o.keep = true;
		} else if (!cli_is_option(argv[i]) && !o.aor) {
			o.aor = argv[i];
		} else {
			fprintf(stderr, "siphon register: unexpected '%s'\n", argv[i]);
			return cli_usage("register");
		}
	}
	if (!o.aor)
		return cli_usage("register");
	if (sip_uri_parse(&u, sip_str_from_cstr(o.aor)) != 0 || (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS) ||
	    !u.host.len) {
		fprintf(stderr, "siphon register: '%s' is not a sip: or sips: address-of-record\n", o.aor);
		return CLI_USAGE;
	}
	/* 10.2: the Request-URI names the registrar's domain, without the user. */
	if (u.has_port)
		snprintf(o.ruri, sizeof(o.ruri), "%.*s:%.*s:%u", SIP_STR_ARG(u.scheme_str), SIP_STR_ARG(u.host), u.port);
	else
		snprintf(o.ruri, sizeof(o.ruri), "%.*s:%.*s", SIP_STR_ARG(u.scheme_str), SIP_STR_ARG(u.host));
	if (u.transport.len) {
		size_t l = strlen(o.ruri);
		snprintf(o.ruri + l, sizeof(o.ruri) - l, ";transport=%.*s", SIP_STR_ARG(u.transport));
	}
	/* 10.2: From and To carry the address-of-record being registered. */
	if (!opt.from)
		opt.from = o.aor;
	if (!opt.password)
		fprintf(stderr, "siphon register: no --password: a registrar's challenge will not be answered\n");
	rc = ua_init(&ua, &opt, o.ruri);
	if (rc)
		return rc;
	ua.cmd = &o;
	ua.on_tick = on_tick;
	ua.on_sigint = on_sigint;
	send_register(&ua, o.expires);
	return ua_run(&ua);
}

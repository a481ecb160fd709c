/* siphon server: configuration (include/siphon/server.h). The file format is INI,
 * read by inih (Debian libinih-dev): a tiny, well-kept parser with no dependencies
 * that hands each key to a callback, so the file and the command line share one
 * setter. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "siphon/auth.h"
#include "siphon/net.h"
#include "siphon/server.h"

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static bool key_is(const char *key, const char *name);
static int parse_u32(uint32_t *out, const char *v);

/* ------------------------------------------------------------------ [limits] */

/* The [limits] defaults (DESIGN.md: "limits ... are configurable with safe
 * defaults"):
 * - max_message_size 65535: RFC 3261 18.1.1 requires handling messages up to the
 *   largest UDP datagram (65,535 bytes with the IP and UDP headers); a stream
 *   connection buffers at most this much of an incomplete message, so 1024
 *   connections hold at most 64 MiB of partial input.
 * - max_connections 1024: the net layer's own default; each connection is a file
 *   descriptor, so raising it means raising `ulimit -n` too (the usual soft limit
 *   is 1024).
 * - subscriptions_per_user 100: a phone watching a busy-lamp field of a few dozen
 *   keys plus presence and message-summary stays well below; a runaway client
 *   cannot fill the notifier (each subscription is a few hundred bytes, a store
 *   row and NOTIFY traffic).
 * - request_rate 0 (off): a per-IP rate has no safe universal value. Many users
 *   behind one NAT or SBC share an address, and a proxy peer forwards all its
 *   users' traffic from one; the bench drives 5,000 requests/s from 127.0.0.1. An
 *   operator facing the open Internet sets it (200/s with the default burst of
 *   400 suits a site of a few hundred users per address). */
static void config_limits_init(struct sip_server_config *c)
{
	c->max_message_size = 65535;
	c->max_connections = 1024;
	c->subs_per_user = 100;
	c->request_rate = 0;
	c->request_burst = 0;
}

/* One [limits] key: 1 when it was one (err set), 0 when not. */
static int config_limits_set(struct sip_server_config *c, const char *key, const char *value,
			     int *err)
{
	uint32_t v;

	if (key_is(key, "max_message_size")) {
		/* Below 1 KiB an INVITE with SDP no longer fits; beyond 1 MiB a
		 * connection's buffer is a memory lever for its peer. */
		*err = parse_u32(&v, value);
		if (!*err && (v < 1024 || v > 1048576))
			*err = -EINVAL;
		if (!*err)
			c->max_message_size = v;
	} else if (key_is(key, "max_connections")) {
		*err = parse_u32(&v, value);
		if (!*err && (v < 1 || v > 1000000))
			*err = -EINVAL;
		if (!*err)
			c->max_connections = v;
	} else if (key_is(key, "subscriptions_per_user")) {
		*err = parse_u32(&c->subs_per_user, value);
	} else if (key_is(key, "request_rate")) {
		*err = parse_u32(&v, value);
		if (!*err && v > 1000000)
			*err = -EINVAL;
		if (!*err)
			c->request_rate = v;
	} else if (key_is(key, "request_burst")) {
		*err = parse_u32(&v, value);
		if (!*err && v > 1000000)
			*err = -EINVAL;
		if (!*err)
			c->request_burst = v;
	} else {
		return 0;
	}
	return 1;
}

int sip_server_config_init(struct sip_server_config *c)
{
	*c = (struct sip_server_config){
		.auth = true,
		.tls_verify = true,
		.log_level = SIP_LOG_INFO,
		/* Group commits at most every 20 ms under load: measured at 5,000
		 * REGISTER/s, the store's writer spends 12 us per REGISTER at 5 ms, 9 us at
		 * 10 ms, 7 us at 20 ms; the 200 waits at most that long (a lone REGISTER
		 * commits at once). */
		.commit_interval_us = 20000,
	};
	config_limits_init(c);
	if (set_str(&c->domain, "localhost") || set_str(&c->db, "siphon.db") ||
	    set_str(&c->listen[0], "udp:127.0.0.1:5060") || set_str(&c->listen[1], "tcp:127.0.0.1:5060")) {
		sip_server_config_free(c);
		return -ENOMEM;
	}
	c->nlisten = 2;
	return 0;
}

void sip_server_config_free(struct sip_server_config *c)
{
	for (size_t i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->domain);
	free(c->db);
	free(c->tls_cert);
	free(c->tls_key);
	free(c->tls_ca);
	free(c->tls_ca_dir);
	*c = (struct sip_server_config){ 0 };
}

static bool key_is(const char *key, const char *name)
{
	for (; *key && *name; key++, name++) {
		char a = *key == '-' ? '_' : *key, b = *name;
		if (a != b)
			return false;
	}
	return !*key && !*name;
}

static int parse_bool(bool *out, const char *v)
{
	if (!strcmp(v, "on") || !strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int parse_u32(uint32_t *out, const char *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(v, &end, 10);
	if (!*v || *end || errno || x > UINT32_MAX || *v == '-')
		return -EINVAL;
	*out = (uint32_t)x;
	return 0;
}

int sip_server_config_set(struct sip_server_config *c, const char *section, const char *key,
			  const char *value, char *msg, size_t msgsz)
{
	bool any = !section || !*section;
	bool srv = any || !strcmp(section, "server");
	bool reg = any || !strcmp(section, "registrar");
	bool au = any || !strcmp(section, "auth");
	bool evs = !any && !strcmp(section, "events");
	bool px = any || !strcmp(section, "proxy");
	bool lim = any || !strcmp(section, "limits");
	int err = -EINVAL;

	if (srv && key_is(key, "listen")) {
		const char *why = sip_listen_spec_check(value);
		if (why) {
			snprintf(msg, msgsz, "bad listen '%s': %s", value, why);
			return -EINVAL;
		}
		if (c->nlisten >= SIP_SERVER_MAX_LISTEN) {
			snprintf(msg, msgsz, "at most %d listen addresses", SIP_SERVER_MAX_LISTEN);
			return -EINVAL;
		}
		c->listen[c->nlisten] = strdup(value);
		if (!c->listen[c->nlisten])
			return -ENOMEM;
		c->nlisten++;
		return 0;
	}
	if (srv && key_is(key, "domain") && *value)
		return set_str(&c->domain, value);
	if (srv && key_is(key, "db") && *value)
		return set_str(&c->db, value);
	if (srv && key_is(key, "tls_cert"))
		return set_str(&c->tls_cert, value);
	if (srv && key_is(key, "tls_key"))
		return set_str(&c->tls_key, value);
	if (srv && key_is(key, "tls_ca") && *value)
		return set_str(&c->tls_ca, value);
	if (srv && key_is(key, "tls_ca_dir") && *value)
		return set_str(&c->tls_ca_dir, value);
	if (srv && key_is(key, "auth"))
		err = parse_bool(&c->auth, value);
	else if (srv && key_is(key, "tls_verify"))
		err = parse_bool(&c->tls_verify, value);
	else if (srv && key_is(key, "sync_full"))
		err = parse_bool(&c->sync_full, value);
	else if (srv && key_is(key, "commit_interval_ms")) {
		uint32_t ms;
		err = parse_u32(&ms, value);
		if (!err && ms > 1000)
			err = -EINVAL;
		if (!err)
			c->commit_interval_us = ms ? (int)ms * 1000 : -1;
	} else if (srv && key_is(key, "log_level"))
		err = sip_log_level_parse(value, &c->log_level);
	else if (evs && key_is(key, "min_expires"))
		err = parse_u32(&c->ev_min_expires, value);
	else if (evs && key_is(key, "max_expires"))
		err = parse_u32(&c->ev_max_expires, value);
	else if (evs && key_is(key, "pub_min_expires"))
		err = parse_u32(&c->ev_pub_min_expires, value);
	else if (evs && key_is(key, "pub_max_expires"))
		err = parse_u32(&c->ev_pub_max_expires, value);
	else if (reg && key_is(key, "min_expires"))
		err = parse_u32(&c->min_expires, value);
	else if (reg && key_is(key, "max_expires"))
		err = parse_u32(&c->max_expires, value);
	else if (reg && key_is(key, "default_expires"))
		err = parse_u32(&c->default_expires, value);
	else if (reg && key_is(key, "max_bindings"))
		err = parse_u32(&c->max_bindings, value);
	else if (px && key_is(key, "timer_c"))
		err = parse_u32(&c->proxy_timer_c_ms, value);
	else if (px && key_is(key, "decline_wait"))
		err = parse_u32(&c->proxy_decline_wait_ms, value);
	else if (lim && config_limits_set(c, key, value, &err)) {
		/* err says how it went */
	}
	else if (au && key_is(key, "algorithms")) {
		char buf[64];
		struct sip_str rest, item;
		unsigned mask = 0;
		enum sip_digest_alg alg;
		snprintf(buf, sizeof(buf), "%s", value);
		rest = sip_str_from_cstr(buf);
		err = 0;
		while (!err && sip_list_next(&rest, &item)) {
			if (sip_digest_alg_parse(&alg, item) != 0 || !item.len)
				err = -EINVAL;
			else
				mask |= SIP_DIGEST_BIT(alg);
		}
		if (!err && !mask)
			err = -EINVAL;
		if (!err)
			c->auth_algs = mask;
	} else if (au && key_is(key, "nonce_lifetime"))
		err = parse_u32(&c->nonce_lifetime, value);
	else {
		snprintf(msg, msgsz, "unknown setting '%s%s%s'", section && *section ? section : "",
			 section && *section ? "." : "", key);
		return -EINVAL;
	}
	if (err)
		snprintf(msg, msgsz, "bad value '%s' for %s", value, key);
	return err;
}

struct load_ctx {
	struct sip_server_config *c;
	char *msg;
	size_t msgsz;
	bool listen_reset;
	int err;
};

static int ini_cb(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *lc = user;
	int err;

	/* The file's first listen replaces the embedded defaults. */
	if (key_is(name, "listen") && !lc->listen_reset) {
		for (size_t i = 0; i < lc->c->nlisten; i++)
			free(lc->c->listen[i]);
		lc->c->nlisten = 0;
		lc->listen_reset = true;
	}
	err = sip_server_config_set(lc->c, section, name, value, lc->msg, lc->msgsz);
	if (err) {
		lc->err = err;
		return 0; /* inih reports the line */
	}
	return 1;
}

int sip_server_config_load(struct sip_server_config *c, const char *path, char *msg, size_t msgsz)
{
	struct load_ctx lc = { .c = c, .msg = msg, .msgsz = msgsz };
	char why[160] = "";
	FILE *f = fopen(path, "r");
	int line;

	if (!f) {
		snprintf(msg, msgsz, "%s: %s", path, strerror(errno));
		return -ENOENT;
	}
	lc.msg = why;
	lc.msgsz = sizeof(why);
	line = ini_parse_file(f, ini_cb, &lc);
	fclose(f);
	if (line != 0) {
		snprintf(msg, msgsz, "%s:%d: %s", path, line, why[0] ? why : "syntax error");
		return lc.err ? lc.err : -EINVAL;
	}
	return 0;
}

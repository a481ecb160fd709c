/* Advertised addresses (src/net/addr.c, src/net/net.c): the "/advertise=HOST[:PORT]"
 * listen option and its faults, the kernel's source-address choice and the primary
 * address, what a listener advertises (explicit, wildcard bind, specific bind), the
 * address advertised to the sender of a message (UDP and TCP on a wildcard socket)
 * and the set of addresses the net answers to. Sockets on 0.0.0.0 are bound, but
 * only 127.0.0.1 is ever sent to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "nettest.h"

static void test_spec_advertise(void **state)
{
	struct sip_listen_spec s;
	char str[SIP_NET_ADDRSTR];

	(void)state;
	/* No option: nothing advertised explicitly. */
	assert_int_equal(sip_listen_spec_parse(&s, "udp:0.0.0.0:5060"), 0);
	assert_string_equal(s.advertise.host, "");
	assert_int_equal(s.advertise.port, 0);
	assert_null(sip_listen_spec_check("udp:0.0.0.0:5060"));

	assert_int_equal(sip_listen_spec_parse(&s, "udp:0.0.0.0:5060/advertise=sip.example.com"), 0);
	assert_int_equal(s.tp, SIP_TP_UDP);
	sip_net_addr_format(str, &s.addr);
	assert_string_equal(str, "0.0.0.0:5060");
	assert_string_equal(s.advertise.host, "sip.example.com");
	assert_int_equal(s.advertise.port, 0);

	assert_int_equal(sip_listen_spec_parse(&s, "tcp:10.0.0.5:5060/advertise=203.0.113.9:15060"), 0);
	assert_int_equal(s.tp, SIP_TP_TCP);
	assert_string_equal(s.advertise.host, "203.0.113.9");
	assert_int_equal(s.advertise.port, 15060);

	assert_int_equal(sip_listen_spec_parse(&s, "tls:[::]:5061/advertise=[2001:db8::7]:5061"), 0);
	assert_int_equal(s.addr.u.sa.sa_family, AF_INET6);
	assert_string_equal(s.advertise.host, "[2001:db8::7]");
	assert_int_equal(s.advertise.port, 5061);
	assert_int_equal(sip_listen_spec_parse(&s, "udp:[::]:5060/advertise=[2001:db8::7]"), 0);
	assert_string_equal(s.advertise.host, "[2001:db8::7]");
	assert_int_equal(s.advertise.port, 0);
	/* A trailing dot (fully qualified) is a host name too. */
	assert_int_equal(sip_listen_spec_parse(&s, "udp:0.0.0.0:5060/advertise=pbx-1.example.com."), 0);
	assert_string_equal(s.advertise.host, "pbx-1.example.com.");

	/* Each fault is named. */
	static const struct {
		const char *spec, *why;
	} bad[] = {
		{ "udp:0.0.0.0:5060/adv=x", "unknown option after '/' (want /advertise=HOST[:PORT])" },
		{ "udp:0.0.0.0:5060/", "unknown option after '/' (want /advertise=HOST[:PORT])" },
		{ "udp:0.0.0.0:5060/advertise=", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=a..b", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=-a.b", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=a-.b", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=a_b", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=h/x", "advertise: bad host name (want a name or an IP address)" },
		{ "udp:0.0.0.0:5060/advertise=0.0.0.0", "advertise: a wildcard address cannot be advertised" },
		{ "udp:[::]:5060/advertise=[::]:5060", "advertise: a wildcard address cannot be advertised" },
		{ "udp:0.0.0.0:5060/advertise=h:0", "advertise: bad port (want 1-65535)" },
		{ "udp:0.0.0.0:5060/advertise=h:65536", "advertise: bad port (want 1-65535)" },
		{ "udp:0.0.0.0:5060/advertise=h:", "advertise: bad port (want 1-65535)" },
		{ "udp:0.0.0.0:5060/advertise=h:5x", "advertise: bad port (want 1-65535)" },
		{ "udp:0.0.0.0:5060/advertise=2001:db8::1", "advertise: an IPv6 address needs brackets ([2001:db8::1]:5060)" },
		{ "udp:0.0.0.0:5060/advertise=[2001:db8::1", "advertise: IPv6 address without ']'" },
		{ "udp:0.0.0.0:5060/advertise=[2001:db8::1]x", "advertise: junk after the IPv6 address" },
		{ "udp:0.0.0.0:5060/advertise=[example.com]", "advertise: bad IPv6 address" },
		{ "udp:0.0.0.0:5060/advertise=[192.0.2.1]", "advertise: bad IPv6 address" },
		{ "sctp:0.0.0.0:5060", "unknown transport (want udp, tcp or tls)" },
		{ "udp:0.0.0.0", "no port (want ADDR:PORT)" },
		{ "udp:0.0.0.0:99999", "bad port (want 0-65535)" },
		{ "udp:::1:5060", "an IPv6 address needs brackets ([::]:5060)" },
		{ "udp:localhost:5060/advertise=h", "bad IP address (a listener binds an IP literal, not a name)" },
		{ "udp", "want udp|tcp|tls:ADDR:PORT[/advertise=HOST[:PORT]]" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = sip_listen_spec_check(bad[i].spec);
		assert_non_null(why);
		assert_string_equal(why, bad[i].why);
		s.tp = SIP_TP_WS;
		assert_int_equal(sip_listen_spec_parse(&s, bad[i].spec), -EINVAL);
		assert_int_equal(s.tp, SIP_TP_WS); /* untouched on failure */
	}
	/* A 63-character label is the most RFC 1035 allows. */
	char spec[160];
	snprintf(spec, sizeof(spec), "udp:0.0.0.0:1/advertise=%.63s.example",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_null(sip_listen_spec_check(spec));
	snprintf(spec, sizeof(spec), "udp:0.0.0.0:1/advertise=%.64s.example",
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_non_null(sip_listen_spec_check(spec));
}

static void test_addr_host_any(void **state)
{
	struct sip_net_addr a;
	char h[SIP_NET_IPSTR + 2];

	(void)state;
	assert_int_equal(sip_net_addr_set(&a, SIP_STR("0.0.0.0"), 5060), 0);
	assert_true(sip_net_addr_is_any(&a));
	assert_int_equal(sip_net_addr_set(&a, SIP_STR("::"), 5060), 0);
	assert_true(sip_net_addr_is_any(&a));
	assert_int_equal(sip_net_addr_host(h, &a), 4);
	assert_string_equal(h, "[::]");
	assert_int_equal(sip_net_addr_set(&a, SIP_STR("192.0.2.7"), 5060), 0);
	assert_false(sip_net_addr_is_any(&a));
	assert_int_equal(sip_net_addr_host(h, &a), 9);
	assert_string_equal(h, "192.0.2.7");
	assert_int_equal(sip_net_addr_set(&a, SIP_STR("2001:db8::7"), 5060), 0);
	assert_false(sip_net_addr_is_any(&a));
	assert_int_equal(sip_net_addr_host(h, &a), 13);
	assert_string_equal(h, "[2001:db8::7]");
}

/* The address can be bound: it is one of this host's. */
static bool bindable(const struct sip_net_addr *a)
{
	int fd = socket(a->u.sa.sa_family, SOCK_DGRAM, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = bind(fd, &a->u.sa, nt_addrlen(a)) == 0;
	close(fd);
	return ok;
}

static void test_source_and_primary(void **state)
{
	struct sip_net_addr to, out, lo;
	char s[SIP_NET_ADDRSTR];

	(void)state;
	/* Towards loopback the kernel picks loopback. */
	assert_int_equal(sip_net_addr_set(&to, SIP_STR("127.0.0.1"), 9), 0);
	assert_int_equal(sip_net_source_addr(&out, &to), 0);
	sip_net_addr_format(s, &out);
	assert_string_equal(s, "127.0.0.1:0");
	if (nt_have_ipv6()) {
		assert_int_equal(sip_net_addr_set(&to, SIP_STR("::1"), 9), 0);
		assert_int_equal(sip_net_source_addr(&out, &to), 0);
		sip_net_addr_format(s, &out);
		assert_string_equal(s, "[::1]:0");
	}
	/* Not an IP family: refused, out untouched. */
	memset(&to, 0, sizeof(to));
	out = lo = (struct sip_net_addr){ 0 };
	assert_int_equal(sip_net_source_addr(&out, &to), -EAFNOSUPPORT);
	assert_memory_equal(&out, &lo, sizeof(out));

	/* The primary IPv4 address is a real address of this host (or loopback
	 * without a default route), and the one the kernel picks towards a
	 * documentation address beyond the default route. */
	sip_net_primary_addr(&out, AF_INET);
	assert_int_equal(out.u.sa.sa_family, AF_INET);
	assert_false(sip_net_addr_is_any(&out));
	assert_int_equal(sip_net_addr_port(&out), 0);
	assert_true(bindable(&out));
	assert_int_equal(sip_net_addr_set(&to, SIP_STR("192.0.2.1"), 9), 0);
	if (sip_net_source_addr(&lo, &to) == 0) {
		assert_true(sip_net_addr_eq(&out, &lo));
	} else {
		assert_int_equal(sip_net_addr_set(&lo, SIP_STR("127.0.0.1"), 0), 0);
		assert_true(sip_net_addr_eq(&out, &lo));
	}
	sip_net_primary_addr(&out, AF_INET6);
	assert_int_equal(out.u.sa.sa_family, AF_INET6);
	assert_false(sip_net_addr_is_any(&out));
	if (nt_have_ipv6())
		assert_true(bindable(&out));
}

struct self_seen {
	unsigned n;
	bool loop4, adv, bound;
	uint16_t port;
	char adv_host[SIP_NET_HOSTMAX];
};

static void self_cb(void *arg, struct sip_str host, uint16_t port)
{
	struct self_seen *s = arg;

	s->n++;
	assert_true(host.len > 0);
	if (port != s->port)
		return;
	if (sip_str_eq(host, SIP_STR("127.0.0.1")))
		s->loop4 = true;
	if (sip_str_eq(host, sip_str_from_cstr(s->adv_host)))
		s->adv = true;
	if (sip_str_eq(host, SIP_STR("0.0.0.0")))
		s->bound = true;
}

static const char options_req[] = "OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
				   "Via: SIP/2.0/%s 127.0.0.1:9;branch=z9hG4bK-adv1\r\n"
				   "Max-Forwards: 70\r\n"
				   "From: <sip:a@127.0.0.1>;tag=1\r\n"
				   "To: <sip:127.0.0.1>\r\n"
				   "Call-ID: adv-1\r\n"
				   "CSeq: 1 OPTIONS\r\n"
				   "Content-Length: 0\r\n\r\n";

/* A wildcard UDP listener without advertise=: it advertises the primary address
 * with its real port, as does a datagram's sender; the loopback and interface
 * addresses are its own, the wildcard is not. */
static void test_listener_wildcard(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *l;
	struct sip_net_addr prim, to;
	char want[SIP_NET_HOSTPORTSTR], got[SIP_NET_HOSTPORTSTR], h[SIP_NET_IPSTR + 2], msg[512];
	const struct sip_net_hostport *hp;
	struct self_seen seen = { 0 };
	uint16_t port;
	int fd, n;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:0.0.0.0:0", &l), 0);
	port = sip_net_addr_port(sip_listener_addr(l));
	assert_int_not_equal(port, 0);
	sip_net_primary_addr(&prim, AF_INET);
	sip_net_addr_host(h, &prim);
	hp = sip_listener_advertised(l);
	assert_false(sip_listener_advertise_explicit(l));
	assert_string_equal(hp->host, h);
	assert_int_equal(hp->port, port);
	snprintf(want, sizeof(want), "%s:%u", h, port);

	/* A datagram to 127.0.0.1: the source knows only the wildcard socket. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	to = *sip_listener_addr(l);
	assert_int_equal(sip_net_addr_set(&to, SIP_STR("127.0.0.1"), port), 0);
	n = snprintf(msg, sizeof(msg), options_req, "UDP");
	assert_int_equal(sendto(fd, msg, (size_t)n, 0, &to.u.sa, nt_addrlen(&to)), n);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));
	close(fd);
	assert_int_equal(sip_net_src_advertised(got, &srv.msgs[0].src), strlen(want));
	assert_string_equal(got, want);

	seen.port = port;
	snprintf(seen.adv_host, sizeof(seen.adv_host), "%s", h);
	sip_net_self_each(srv.net, self_cb, &seen);
	assert_true(seen.loop4);
	assert_true(seen.adv);
	assert_false(seen.bound);
	assert_ptr_equal(sip_net_listener_next(srv.net, NULL), l);
	assert_null(sip_net_listener_next(srv.net, l));

	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* advertise= wins everywhere: the listener, a UDP sender's view, a TCP sender's
 * (whose connection's own address would otherwise be exact). A specific bind
 * without advertise= advertises itself. */
static void test_listener_explicit(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *lu, *lt, *ls;
	struct sip_net_addr to;
	char got[SIP_NET_HOSTPORTSTR], want[SIP_NET_HOSTPORTSTR], spec[96], msg[512];
	const struct sip_net_hostport *hp;
	struct self_seen seen = { 0 };
	uint16_t port;
	int fd, n;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_listen(&srv, "udp:0.0.0.0:0/advertise=sip.example.test", &lu), 0);
	port = sip_net_addr_port(sip_listener_addr(lu));
	hp = sip_listener_advertised(lu);
	assert_true(sip_listener_advertise_explicit(lu));
	assert_string_equal(hp->host, "sip.example.test");
	assert_int_equal(hp->port, port); /* the bound port when none is given */
	snprintf(spec, sizeof(spec), "tcp:0.0.0.0:%u/advertise=[2001:db8::9]:15061", port);
	assert_int_equal(nt_listen(&srv, spec, &lt), 0);
	hp = sip_listener_advertised(lt);
	assert_string_equal(hp->host, "[2001:db8::9]");
	assert_int_equal(hp->port, 15061);
	assert_int_equal(nt_listen(&srv, "tcp:127.0.0.1:0", &ls), 0);
	hp = sip_listener_advertised(ls);
	assert_false(sip_listener_advertise_explicit(ls));
	assert_string_equal(hp->host, "127.0.0.1");
	assert_int_equal(hp->port, sip_net_addr_port(sip_listener_addr(ls)));

	/* UDP sender. */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(sip_net_addr_set(&to, SIP_STR("127.0.0.1"), port), 0);
	n = snprintf(msg, sizeof(msg), options_req, "UDP");
	assert_int_equal(sendto(fd, msg, (size_t)n, 0, &to.u.sa, nt_addrlen(&to)), n);
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));
	close(fd);
	snprintf(want, sizeof(want), "sip.example.test:%u", port);
	sip_net_src_advertised(got, &srv.msgs[0].src);
	assert_string_equal(got, want);

	/* TCP sender to the wildcard listener with advertise=. */
	fd = nt_tcp_connect(&to);
	assert_true(fd >= 0);
	n = snprintf(msg, sizeof(msg), options_req, "TCP");
	assert_true(nt_send_all(fd, msg, (size_t)n));
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 2, 2000));
	assert_ptr_equal(srv.msgs[1].src.lis, lt);
	sip_net_src_advertised(got, &srv.msgs[1].src);
	assert_string_equal(got, "[2001:db8::9]:15061");
	close(fd);

	/* TCP sender to the specific listener: the connection's own address. */
	fd = nt_tcp_connect(sip_listener_addr(ls));
	assert_true(fd >= 0);
	assert_true(nt_send_all(fd, msg, (size_t)n));
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 3, 2000));
	sip_net_addr_format(want, sip_listener_addr(ls));
	sip_net_src_advertised(got, &srv.msgs[2].src);
	assert_string_equal(got, want);
	close(fd);

	seen.port = port;
	snprintf(seen.adv_host, sizeof(seen.adv_host), "sip.example.test");
	sip_net_self_each(srv.net, self_cb, &seen);
	assert_true(seen.adv);
	assert_true(seen.loop4);
	assert_false(seen.bound);

	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

/* A TCP connection to a wildcard listener without advertise=: its getsockname
 * address (127.0.0.1 here) is exact, better than the primary address. */
static void test_tcp_wildcard_exact(void **state)
{
	uv_loop_t loop;
	struct nt srv;
	struct sip_listener *l;
	struct sip_net_addr to;
	char got[SIP_NET_HOSTPORTSTR], want[SIP_NET_HOSTPORTSTR], msg[512];
	uint16_t port;
	int fd, n;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(nt_init(&srv, &loop), 0);
	assert_int_equal(nt_listen(&srv, "tcp:0.0.0.0:0", &l), 0);
	port = sip_net_addr_port(sip_listener_addr(l));
	assert_int_equal(sip_net_addr_set(&to, SIP_STR("127.0.0.1"), port), 0);
	fd = nt_tcp_connect(&to);
	assert_true(fd >= 0);
	n = snprintf(msg, sizeof(msg), options_req, "TCP");
	assert_true(nt_send_all(fd, msg, (size_t)n));
	assert_true(nt_wait_count(&srv, &srv.nmsgs, 1, 2000));
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	sip_net_src_advertised(got, &srv.msgs[0].src);
	assert_string_equal(got, want);
	close(fd);
	assert_true(nt_fini(&srv));
	assert_int_equal(nt_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_advertise),
		cmocka_unit_test(test_addr_host_any),
		cmocka_unit_test(test_source_and_primary),
		cmocka_unit_test(test_listener_wildcard),
		cmocka_unit_test(test_listener_explicit),
		cmocka_unit_test(test_tcp_wildcard_exact),
	};

	sip_log_set_level(SIP_LOG_WARN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

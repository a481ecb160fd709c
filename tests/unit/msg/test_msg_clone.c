/* sip_msg_clone_compact: the copy reads back exactly like the original (every
 * header line, start line, body, the values the parser computed and typed values
 * parsed again), lives on after the original is freed, and is smaller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siphon/err.h"
#include "siphon/hdr.h"
#include "siphon/msg.h"

static const char invite[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds, "
	"SIP/2.0/TCP 192.0.2.1:5061;branch=z9hG4bKx;received=192.0.2.9\r\n"
	"Max-Forwards: 70\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"From: \"Alice \\\"A\\\"\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
	"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
	"CSeq: 314159 INVITE\r\n"
	"Contact: <sip:alice@pc33.atlanta.example.com>;expires=60, <sip:a2@192.0.2.4>\r\n"
	"X-Folded: one\r\n two\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 4\r\n"
	"\r\n"
	"v=0\nEXTRA";

static size_t first_block(const struct sip_msg *m)
{
	return (size_t)(m->arena.end - (const char *)m);
}

static void test_clone_reads_back(void **state)
{
	struct sip_msg *m, *c;
	const struct sip_via *v;
	const struct sip_addr *a;
	const struct sip_cseq *cs;
	struct sip_str cid;
	uint32_t u;
	(void)state;

	assert_int_equal(sip_msg_parse(&m, invite, sizeof(invite) - 1, NULL, NULL), 0);
	/* Typed values parsed on the original are not needed by the copy. */
	assert_int_equal(sip_msg_via(m, 1, &v), 0);
	assert_int_equal(sip_msg_clone_compact(&c, m, 0), 0);
	assert_true(first_block(c) < first_block(m));
	assert_int_equal(c->len, m->len);
	assert_memory_equal(c->buf, m->buf, m->len);
	assert_ptr_not_equal(c->buf, m->buf);
	assert_int_equal(c->buf[c->len], '\0');
	assert_int_equal(c->nhdrs, m->nhdrs);
	for (unsigned i = 0; i < m->nhdrs; i++) {
		assert_int_equal(c->hdrs[i].id, m->hdrs[i].id);
		assert_int_equal(c->hdrs[i].next, m->hdrs[i].next);
		assert_int_equal(c->hdrs[i].flags, m->hdrs[i].flags);
		assert_true(sip_str_eq(c->hdrs[i].name, m->hdrs[i].name));
		assert_true(sip_str_eq(c->hdrs[i].value, m->hdrs[i].value));
		assert_true(c->hdrs[i].value.p >= c->buf && c->hdrs[i].value.p < c->buf + c->len);
	}
	sip_msg_free(m); /* the copy owns everything it points to */

	assert_true(c->is_request);
	assert_int_equal(c->method, SIP_METHOD_INVITE);
	assert_true(sip_str_eq(c->ruri_str, SIP_STR("sip:bob@biloxi.example.com")));
	assert_true(sip_str_eq(c->version, SIP_STR("SIP/2.0")));
	assert_int_equal(c->body.len, 4);
	assert_memory_equal(c->body.p, "v=0\n", 4);
	assert_int_equal(sip_msg_cseq(c, &cs), 0);
	assert_int_equal(cs->seq, 314159);
	assert_true(sip_str_eq(cs->method_str, SIP_STR("INVITE")));
	assert_int_equal(sip_msg_content_length(c, &u), 0);
	assert_int_equal(u, 4);
	assert_int_equal(sip_msg_call_id(c, &cid), 0);
	assert_true(sip_str_eq(cid, SIP_STR("a84b4c76e66710@pc33.atlanta.example.com")));
	/* Typed values parse again, spilling into chained arena blocks (slack 0). */
	assert_int_equal(sip_msg_via_count(c), 2);
	assert_int_equal(sip_msg_via(c, 1, &v), 0);
	assert_true(sip_str_eq(v->received, SIP_STR("192.0.2.9")));
	assert_int_equal(v->port, 5061);
	assert_int_equal(sip_msg_from(c, &a), 0);
	assert_true(sip_str_eq(a->tag, SIP_STR("1928301774")));
	assert_true(sip_str_eq(a->display, SIP_STR("Alice \\\"A\\\"")));
	assert_int_equal(sip_msg_contact_count(c), 2);
	assert_int_equal(sip_msg_contact(c, 0, &a), 0);
	assert_int_equal(a->expires, 60);
	assert_true(sip_str_eq(sip_msg_hdr_by_name(c, SIP_STR("x-folded"))->value,
			       SIP_STR("one\r\n two")));
	sip_msg_free(c);
}

static void test_clone_slack(void **state)
{
	struct sip_msg *m, *c;
	const struct sip_via *v;
	const struct sip_addr *a;
	(void)state;

	assert_int_equal(sip_msg_parse(&m, invite, sizeof(invite) - 1, NULL, NULL), 0);
	assert_int_equal(sip_msg_clone_compact(&c, m, 2 * 256 + 512), 0);
	sip_msg_free(m);
	assert_int_equal(sip_msg_via(c, 0, &v), 0);
	assert_true(sip_str_eq(v->branch, SIP_STR("z9hG4bK776asdhds")));
	assert_int_equal(sip_msg_to(c, &a), 0);
	assert_true(sip_str_eq(a->display, SIP_STR("Bob")));
	/* The Via list (two values) and To fit the slack the transaction layer
	 * gives (256 per Via + 512): no block was chained. */
	assert_null(c->arena.extra);
	assert_true(c->arena.cur > c->arena.end - 1024);
	sip_msg_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clone_reads_back),
		cmocka_unit_test(test_clone_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

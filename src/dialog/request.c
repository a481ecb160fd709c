/* Requests within a dialog (RFC 3261 12.2.1.1): From, To, Call-ID, CSeq and the
 * Request-URI / Route pair computed from the remote target and the route set. */
#include <string.h>

#include "dialog_int.h"
#include "siphon/err.h"

int sip_dialog_ruri_from_uri(struct sip_buf *b, struct sip_str uri)
{
	struct sip_str rest, item;
	struct sip_uri u;
	const char *end;
	int err;

	if ((err = sip_uri_parse(&u, uri)))
		return err;
	if (u.scheme != SIP_URI_SIP && u.scheme != SIP_URI_SIPS)
		return sip_buf_append_str(b, u.raw);
	/* 19.1.1 table: method and headers are "not allowed" in a Request-URI. */
	if (u.params.len)
		end = u.params.p - 1; /* the ';' before the first parameter */
	else if (u.headers.len)
		end = u.headers.p - 1; /* the '?' */
	else
		end = u.raw.p + u.raw.len;
	if ((err = sip_buf_append(b, u.raw.p, (size_t)(end - u.raw.p))))
		return err;
	rest = u.params;
	while (rest.len) {
		long semi = sip_str_chr(rest, ';');
		size_t n = semi < 0 ? rest.len : (size_t)semi;
		struct sip_str name;
		long eq;
		item = (struct sip_str){ rest.p, n };
		rest = semi < 0 ? SIP_STR_NULL : (struct sip_str){ rest.p + n + 1, rest.len - n - 1 };
		eq = sip_str_chr(item, '=');
		name = sip_str_trim(eq < 0 ? item : (struct sip_str){ item.p, (size_t)eq });
		if (item.len == 0 || sip_str_caseeq_cstr(name, "method"))
			continue;
		if ((err = sip_buf_append(b, ";", 1)) || (err = sip_buf_append_str(b, item)))
			return err;
	}
	return 0;
}

/* "<uri>" or "<uri>;tag=x" (12.2.1.1: no tag parameter for a null tag). */
static int add_party(struct sip_out *o, enum sip_hdr_id id, struct sip_str uri, struct sip_str tag)
{
	if (tag.len)
		return sip_out_addf(o, id, "<%.*s>;tag=%.*s", SIP_STR_ARG(uri), SIP_STR_ARG(tag));
	return sip_out_addf(o, id, "<%.*s>", SIP_STR_ARG(uri));
}

static int add_routes(struct sip_out *o, const struct sip_dialog *d, unsigned from,
		      struct sip_str last)
{
	struct sip_buf v = SIP_BUF_INIT;
	int err = 0;

	/* One Route line with the values in order (7.3.1: same as separate lines). */
	for (unsigned i = from; i < d->nroutes && !err; i++)
		err = sip_buf_printf(&v, "%s%.*s", v.len ? ", " : "", SIP_STR_ARG(d->routes[i].value));
	if (!err && last.len)
		err = sip_buf_printf(&v, "%s<%.*s>", v.len ? ", " : "", SIP_STR_ARG(last));
	if (!err && v.len)
		err = sip_out_add(o, SIP_HDR_ROUTE, sip_buf_str(&v));
	sip_buf_free(&v);
	return err;
}

int sip_dialog_request(struct sip_out **op, struct sip_dialog *d, struct sip_str method,
		       const struct sip_dialog_req_opts *opts)
{
	static const struct sip_dialog_req_opts none = { { NULL, 0 }, { NULL, 0 }, 0 };
	struct sip_buf ruri = SIP_BUF_INIT;
	enum sip_method m = sip_method_from_str(method);
	struct sip_out *o = NULL;
	bool strict;
	uint32_t seq;
	int err;

	if (!op || !d || d->remote_target.len == 0 || m == SIP_METHOD_CANCEL)
		return -EINVAL;
	if (!opts)
		opts = &none;
	/* 12.2.1.1: in a secure dialog the Contact is a SIPS URI. */
	if (opts->contact.len && d->secure) {
		struct sip_addr a;
		if (sip_addr_parse(&a, opts->contact) || a.uri.scheme != SIP_URI_SIPS)
			return -EINVAL;
	}
	/* 12.2.1.1: ACK carries the INVITE's number (13.2.2.4); everything else the
	 * next local number, the first one chosen per 8.1.1.5. */
	if (m == SIP_METHOD_ACK)
		seq = opts->ack_cseq;
	else if (!d->local_seq_set)
		seq = sip_dialog_initial_cseq();
	else if (d->local_seq >= 0x7fffffffu)
		return -ERANGE; /* 8.1.1.5: CSeq stays below 2**31 */
	else
		seq = d->local_seq + 1;

	strict = d->nroutes && !d->routes[0].lr;
	if (strict)
		err = sip_dialog_ruri_from_uri(&ruri, d->routes[0].uri);
	else
		err = sip_buf_append_str(&ruri, d->remote_target);
	if (!err)
		err = sip_out_request(&o, method, sip_buf_str(&ruri));
	if (!err && opts->via.len) {
		char branch[SIP_BRANCH_SIZE];
		if (!(err = sip_branch_new(branch, sizeof(branch))))
			err = sip_out_addf(o, SIP_HDR_VIA, "%.*s;branch=%s", SIP_STR_ARG(opts->via), branch);
	}
	if (!err)
		err = sip_out_add(o, SIP_HDR_MAX_FORWARDS, SIP_STR("70"));
	if (!err)
		err = add_party(o, SIP_HDR_TO, d->remote_uri, d->id.remote_tag);
	if (!err)
		err = add_party(o, SIP_HDR_FROM, d->local_uri, d->id.local_tag);
	if (!err)
		err = sip_out_add(o, SIP_HDR_CALL_ID, d->id.call_id);
	if (!err)
		err = sip_out_addf(o, SIP_HDR_CSEQ, "%u %.*s", (unsigned)seq, SIP_STR_ARG(method));
	/* Loose: Route = the route set; strict: the rest, then the remote target. */
	if (!err && d->nroutes)
		err = strict ? add_routes(o, d, 1, d->remote_target) : add_routes(o, d, 0, SIP_STR_NULL);
	if (!err && opts->contact.len)
		err = sip_out_add(o, SIP_HDR_CONTACT, opts->contact);
	sip_buf_free(&ruri);
	if (err) {
		sip_out_free(o);
		return err;
	}
	if (m != SIP_METHOD_ACK) {
		d->local_seq = seq;
		d->local_seq_set = true;
	}
	*op = o;
	return 0;
}

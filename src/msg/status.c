/* The response-code catalogue: lookups over the table scripts/gen_status.py
 * generates from data/status/ (src/msg/status_table.c). */
#include <errno.h>
#include <string.h>

#include "status_int.h"

static bool in_range(int code)
{
	return code >= SIP_STATUS_MIN && code <= SIP_STATUS_MAX;
}

/* The row of a registered code, else NULL. One array load: status_index is
 * indexed by the code itself. */
static const struct status_row *row_of(int code)
{
	if (!in_range(code) || status_index[code] == 0)
		return NULL;
	return &status_rows[status_index[code] - 1];
}

const char *sip_status_phrase(int code)
{
	const struct status_row *r = row_of(code);

	if (r)
		return r->phrase;
	/* An unregistered code is known only by its class (RFC 3261 8.1.3.2). */
	if (in_range(code))
		return status_class_rows[code / 100].phrase;
	return "Unknown";
}

bool sip_status_registered(int code)
{
	return row_of(code) != NULL;
}

enum sip_status_class sip_status_class_of(int code)
{
	return in_range(code) ? (enum sip_status_class)(code / 100) : SIP_STATUS_CLASS_NONE;
}

static enum sip_status_outcome outcome_of(enum sip_status_class c)
{
	switch (c) {
	case SIP_STATUS_PROVISIONAL:
		return SIP_STATUS_OUTCOME_PROVISIONAL;
	case SIP_STATUS_SUCCESS:
		return SIP_STATUS_OUTCOME_SUCCESS;
	case SIP_STATUS_REDIRECTION:
		return SIP_STATUS_OUTCOME_REDIRECTION;
	default:
		return SIP_STATUS_OUTCOME_FAILURE;
	}
}

int sip_status_lookup(struct sip_status_info *info, int code, const struct sip_status_locale *loc)
{
	const struct status_row *r;
	const struct status_text *t;
	enum sip_status_class c;

	if (!in_range(code))
		return -EINVAL;
	if (!loc)
		loc = sip_status_locale_default();
	c = (enum sip_status_class)(code / 100);
	r = row_of(code);
	if (r) {
		t = &loc->codes[r - status_rows];
	} else {
		/* Not in the registry: a UAC treats it as the x00 of its class, or 183
		 * for 1xx (RFC 3261 8.1.3.2), so the class entry explains it. */
		r = &status_class_rows[c];
		t = &loc->classes[c];
	}

	info->code = code;
	info->registered = r->code == code;
	info->deprecated = r->deprecated;
	info->treated_as = info->registered ? code : r->treated_as;
	info->cls = c;
	info->outcome = outcome_of(c);
	info->phrase = r->phrase;
	info->rfc = r->rfc;
	info->section = r->section;
	info->methods = r->methods;
	info->in_dialog = r->in_dialog;
	info->senders = r->senders;
	info->proxy = (enum sip_status_proxy)r->proxy;
	info->headers = r->headers;
	info->class_name = loc->class_names[c];
	info->description = t->description;
	info->when = t->when;
	info->action = t->action;
	info->receiver = t->receiver;
	info->proxy_text = t->proxy ? t->proxy : loc->proxy_roles[r->proxy];
	return 0;
}

size_t sip_status_locale_count(void)
{
	return status_locale_count;
}

const struct sip_status_locale *sip_status_locale_at(size_t i)
{
	return i < status_locale_count ? &status_locales[i] : NULL;
}

const struct sip_status_locale *sip_status_locale_default(void)
{
	/* The generator puts en first. */
	return &status_locales[0];
}

const struct sip_status_locale *sip_status_locale_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < status_locale_count; i++) {
		const char *n = status_locales[i].name;
		size_t len = strlen(n);

		/* "vi", or a POSIX/BCP 47 locale naming it: "vi_VN.UTF-8", "vi-VN". */
		if (strncmp(name, n, len) == 0 &&
		    (name[len] == '\0' || strchr("_.@-", name[len]) != NULL))
			return &status_locales[i];
	}
	return NULL;
}

const char *sip_status_locale_name(const struct sip_status_locale *loc)
{
	return loc ? loc->name : "";
}

const char *sip_status_locale_native(const struct sip_status_locale *loc)
{
	return loc ? loc->native : "";
}

const char *sip_status_label(const struct sip_status_locale *loc, enum sip_status_label l)
{
	if (!loc || (unsigned)l >= SIP_STATUS_L__COUNT)
		return "";
	return loc->labels[l];
}

const char *sip_status_class_name(const struct sip_status_locale *loc, enum sip_status_class c)
{
	if (!loc || c < SIP_STATUS_PROVISIONAL || c > SIP_STATUS_GLOBAL_FAILURE)
		return "";
	return loc->class_names[c];
}

const char *sip_status_outcome_name(const struct sip_status_locale *loc, enum sip_status_outcome o)
{
	if (!loc || (unsigned)o >= SIP_STATUS_OUTCOME__COUNT)
		return "";
	return loc->outcomes[o];
}

const char *sip_status_sender_name(const struct sip_status_locale *loc, unsigned sender)
{
	/* Exactly one known bit. */
	if (!loc || sender == 0 || (sender & (sender - 1)) != 0 ||
	    sender >= (1u << SIP_STATUS_SENDER__COUNT))
		return "";
	for (unsigned i = 0; i < SIP_STATUS_SENDER__COUNT; i++)
		if (sender == 1u << i)
			return loc->senders[i];
	return "";
}

const char *sip_status_proxy_name(const struct sip_status_locale *loc, enum sip_status_proxy p)
{
	if (!loc || (unsigned)p >= SIP_STATUS_PROXY__COUNT)
		return "";
	return loc->proxy_roles[p];
}

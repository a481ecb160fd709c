/* Test helper: evaluate XPath expressions on a body with libxml2, so tests check
 * documents by their structure, not by string search. */
#ifndef XML_CHECK_H
#define XML_CHECK_H

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "siphon/str.h"

/* Parse body and evaluate expr (prefixes: p = PIDF, d = dialog-info, r = reginfo).
 * Returns the number value of expr (count(...), number(...)); fails the test on
 * malformed XML. */
static inline double xml_number(struct sip_str body, const char *expr)
{
	xmlDoc *doc = xmlReadMemory(body.p, (int)body.len, NULL, NULL, XML_PARSE_NONET);
	xmlXPathContext *ctx;
	xmlXPathObject *o;
	double v;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"p", (const xmlChar *)"urn:ietf:params:xml:ns:pidf");
	xmlXPathRegisterNs(ctx, (const xmlChar *)"d", (const xmlChar *)"urn:ietf:params:xml:ns:dialog-info");
	xmlXPathRegisterNs(ctx, (const xmlChar *)"r", (const xmlChar *)"urn:ietf:params:xml:ns:reginfo");
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(o);
	v = xmlXPathCastToNumber(o);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return v;
}

/* String value of expr, copied into out. */
static inline const char *xml_string(struct sip_str body, const char *expr, char *out, size_t cap)
{
	xmlDoc *doc = xmlReadMemory(body.p, (int)body.len, NULL, NULL, XML_PARSE_NONET);
	xmlXPathContext *ctx;
	xmlXPathObject *o;
	xmlChar *s;

	assert_non_null(doc);
	ctx = xmlXPathNewContext(doc);
	assert_non_null(ctx);
	xmlXPathRegisterNs(ctx, (const xmlChar *)"p", (const xmlChar *)"urn:ietf:params:xml:ns:pidf");
	xmlXPathRegisterNs(ctx, (const xmlChar *)"d", (const xmlChar *)"urn:ietf:params:xml:ns:dialog-info");
	xmlXPathRegisterNs(ctx, (const xmlChar *)"r", (const xmlChar *)"urn:ietf:params:xml:ns:reginfo");
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	assert_non_null(o);
	s = xmlXPathCastToString(o);
	assert_non_null(s);
	snprintf(out, cap, "%s", (const char *)s);
	xmlFree(s);
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

#endif

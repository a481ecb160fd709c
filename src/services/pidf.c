/* PIDF (RFC 3863) documents for the presence package (RFC 3856): validation and
 * composition of several publications into one document, with libxml2 (never by
 * string search). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "events_int.h"
#include "siphon/err.h"

#define PIDF_NS ((const xmlChar *)"urn:ietf:params:xml:ns:pidf")

static bool is_pidf(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && xmlStrEqual(n->ns->href, PIDF_NS) &&
	       xmlStrEqual(n->name, (const xmlChar *)name);
}

static bool has_nonempty_prop(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	bool ok = v && v[0];

	xmlFree(v);
	return ok;
}

/* RFC 3863 4.1.4: <basic> is "open" or "closed" (surrounding blanks tolerated). */
static bool basic_ok(const xmlNode *n)
{
	xmlChar *v = xmlNodeGetContent(n);
	const char *p = (const char *)v;
	size_t len;
	bool ok;

	if (!v)
		return false;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' || p[len - 1] == '\n'))
		len--;
	ok = (len == 4 && memcmp(p, "open", 4) == 0) || (len == 6 && memcmp(p, "closed", 6) == 0);
	xmlFree(v);
	return ok;
}

/* RFC 3863 4.1.2, 4.1.3: a tuple has an id and a <status> with at least one
 * element child. */
static bool tuple_ok(const xmlNode *t)
{
	bool status = false;

	if (!has_nonempty_prop(t, "id"))
		return false;
	for (const xmlNode *c = t->children; c; c = c->next) {
		if (!is_pidf(c, "status"))
			continue;
		if (status)
			return false; /* one status per tuple */
		for (const xmlNode *s = c->children; s; s = s->next) {
			if (s->type != XML_ELEMENT_NODE)
				continue;
			if (is_pidf(s, "basic") && !basic_ok(s))
				return false;
			status = true;
		}
		if (!status)
			return false;
	}
	return status;
}

static bool doc_ok(xmlDoc *doc)
{
	const xmlNode *root = xmlDocGetRootElement(doc);

	/* RFC 3863 4.1.1: root <presence> in the PIDF namespace, with an entity. */
	if (!root || !is_pidf(root, "presence") || !has_nonempty_prop(root, "entity"))
		return false;
	for (const xmlNode *c = root->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_pidf(c, "tuple")) {
			if (!tuple_ok(c))
				return false;
		} else if (c->ns && xmlStrEqual(c->ns->href, PIDF_NS) && !is_pidf(c, "note")) {
			return false; /* not a PIDF element at this level */
		}
	}
	return true;
}

int ev_pidf_parse(void **docp, struct sip_str body)
{
	xmlDoc *doc;

	if (!body.len || body.len > INT_MAX)
		return SIP_EPARSE;
	/* No network, no entity substitution, no DTD loading, quiet. */
	doc = xmlReadMemory(body.p, (int)body.len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	if (!doc)
		return SIP_EPARSE;
	if (!doc_ok(doc)) {
		xmlFreeDoc(doc);
		return SIP_EPARSE;
	}
	*docp = doc;
	return 0;
}

void ev_pidf_free(void *doc)
{
	if (doc)
		xmlFreeDoc(doc);
}

int sip_pidf_validate(struct sip_str body)
{
	void *doc;
	int err = ev_pidf_parse(&doc, body);

	if (!err)
		ev_pidf_free(doc);
	return err;
}

/* Identity of a top-level element for merging: namespace, name and id. */
static bool same_key(const xmlNode *a, const xmlNode *b)
{
	xmlChar *ia, *ib;
	bool eq;

	if (!xmlStrEqual(a->name, b->name))
		return false;
	if ((a->ns == NULL) != (b->ns == NULL) || (a->ns && !xmlStrEqual(a->ns->href, b->ns->href)))
		return false;
	ia = xmlGetNoNsProp(a, (const xmlChar *)"id");
	ib = xmlGetNoNsProp(b, (const xmlChar *)"id");
	eq = xmlStrEqual(ia, ib) || (!ia && !ib);
	xmlFree(ia);
	xmlFree(ib);
	return eq;
}

static int copy_into(xmlDoc *nd, xmlNode *root, const xmlNode *src)
{
	xmlNode *cp = NULL;

	/* Cloned against the new parent so the PIDF namespace maps onto the root's
	 * default declaration instead of being declared again on every element. */
	if (xmlDOMWrapCloneNode(NULL, src->doc, (xmlNode *)src, &cp, nd, root, 1, 0) != 0 || !cp) {
		if (cp)
			xmlFreeNode(cp);
		return -ENOMEM;
	}
	if (!xmlAddChild(root, cp)) {
		xmlFreeNode(cp);
		return -ENOMEM;
	}
	return 0;
}

enum { G_TUPLE, G_NOTE, G_OTHER };

static int group_of(const xmlNode *n)
{
	if (is_pidf(n, "tuple"))
		return G_TUPLE;
	if (is_pidf(n, "note"))
		return G_NOTE;
	return G_OTHER;
}

int ev_pidf_compose(struct sip_buf *out, struct sip_str entity, void *const *docs, size_t n)
{
	xmlDoc *nd = xmlNewDoc((const xmlChar *)"1.0");
	xmlNode *root = NULL;
	const xmlNode **picked = NULL;
	size_t npicked = 0, cap = 0;
	char *ent = malloc(entity.len + 1);
	xmlChar *mem = NULL;
	int len = 0, err = -ENOMEM;
	bool notes_taken = false;

	if (!nd || !ent)
		goto out;
	memcpy(ent, entity.p, entity.len);
	ent[entity.len] = '\0';
	root = xmlNewDocNode(nd, NULL, (const xmlChar *)"presence", NULL);
	if (!root)
		goto out;
	xmlDocSetRootElement(nd, root);
	xmlSetNs(root, xmlNewNs(root, PIDF_NS, NULL));
	/* RFC 3863 4.1.1: entity is the presentity, whatever the sources said. */
	if (!xmlNewProp(root, (const xmlChar *)"entity", (const xmlChar *)ent))
		goto out;
	/* Newest publication first: the first element seen with a key wins, so a tuple
	 * id published twice reports the newest (RFC 3903 10.4 segments by tuple id).
	 * Presence-level notes come from the newest publication that has any. */
	for (size_t i = n; i-- > 0;) {
		const xmlNode *r = xmlDocGetRootElement(docs[i]);
		bool had_notes = false;

		for (const xmlNode *c = r ? r->children : NULL; c; c = c->next) {
			bool dup = false;

			if (c->type != XML_ELEMENT_NODE)
				continue;
			if (group_of(c) == G_NOTE) {
				if (notes_taken)
					continue;
				had_notes = true;
			} else {
				for (size_t k = 0; k < npicked && !dup; k++)
					dup = same_key(picked[k], c);
				if (dup)
					continue;
			}
			if (npicked == cap) {
				size_t nc = cap ? cap * 2 : 16;
				const xmlNode **np = realloc(picked, nc * sizeof(*np));

				if (!np)
					goto out;
				picked = np;
				cap = nc;
			}
			picked[npicked++] = c;
		}
		if (had_notes)
			notes_taken = true;
	}
	if (n == 0) {
		/* No publication: a valid document saying the presentity is closed
		 * (RFC 3856 6.6.2: a neutral state). */
		xmlNode *t = xmlNewChild(root, NULL, (const xmlChar *)"tuple", NULL);
		xmlNode *st = t ? xmlNewChild(t, NULL, (const xmlChar *)"status", NULL) : NULL;

		if (!st || !xmlNewProp(t, (const xmlChar *)"id", (const xmlChar *)"siphon-closed") ||
		    !xmlNewChild(st, NULL, (const xmlChar *)"basic", (const xmlChar *)"closed"))
			goto out;
	}
	/* RFC 3863 4.1.1 order: tuples, notes, then extension elements. */
	for (int g = G_TUPLE; g <= G_OTHER; g++) {
		for (size_t k = 0; k < npicked; k++) {
			if (group_of(picked[k]) == g && copy_into(nd, root, picked[k]))
				goto out;
		}
	}
	xmlDocDumpMemoryEnc(nd, &mem, &len, "UTF-8");
	if (!mem || len <= 0)
		goto out;
	err = sip_buf_append(out, mem, (size_t)len);
out:
	xmlFree(mem);
	free(picked);
	free(ent);
	if (nd)
		xmlFreeDoc(nd);
	return err;
}

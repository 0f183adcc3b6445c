/*
 * Atom entries for cxmpp-pubsub.
 *
 * Design notes: an entry is built in a document of its own so that the
 * caller can hand the <entry/> to cx_pubsub_publish (which deep-copies it)
 * and free the document right after. Reading is lenient the way feed
 * readers are: a missing element is just not shown, text is taken from
 * the element's content whatever its type attribute, and only elements in
 * the Atom namespace count (a foreign <title/> inside an entry is not the
 * entry's title).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "examples/pubsub-atom.h"

void
cxe_atom_now(char *buf, size_t len)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static xmlNodePtr
add_text(xmlNodePtr parent, const char *name, const char *text)
{
	/* xmlNewTextChild escapes the text */
	return xmlNewTextChild(parent, NULL, (const xmlChar *)name,
			       (const xmlChar *)text);
}

xmlNodePtr
cxe_atom_build(const cxe_atom_in *in)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr entry = NULL, n;
	char now[32];
	size_t i;

	if (doc == NULL)
		return NULL;
	entry = xmlNewDocNode(doc, NULL, (const xmlChar *)"entry", NULL);
	if (entry == NULL)
		goto fail;
	xmlDocSetRootElement(doc, entry);
	if (xmlNewNs(entry, (const xmlChar *)CXE_NS_ATOM, NULL) == NULL)
		goto fail;
	xmlSetNs(entry, entry->nsDef);
	cxe_atom_now(now, sizeof(now));
	if (in->title && add_text(entry, "title", in->title) == NULL)
		goto fail;
	if (in->id && add_text(entry, "id", in->id) == NULL)
		goto fail;
	if (in->author || in->author_uri) {
		if ((n = xmlNewChild(entry, NULL, (const xmlChar *)"author",
				     NULL)) == NULL)
			goto fail;
		if (in->author && add_text(n, "name", in->author) == NULL)
			goto fail;
		if (in->author_uri && add_text(n, "uri", in->author_uri) == NULL)
			goto fail;
	}
	if (add_text(entry, "published", in->published ? in->published : now) == NULL ||
	    add_text(entry, "updated", in->updated ? in->updated : now) == NULL)
		goto fail;
	if (in->summary && add_text(entry, "summary", in->summary) == NULL)
		goto fail;
	if (in->content) {
		if ((n = add_text(entry, "content", in->content)) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"type",
			       (const xmlChar *)"text") == NULL)
			goto fail;
	}
	for (i = 0; i < in->n_categories; i++) {
		n = xmlNewChild(entry, NULL, (const xmlChar *)"category", NULL);
		if (n == NULL || xmlNewProp(n, (const xmlChar *)"term",
					    (const xmlChar *)in->categories[i]) == NULL)
			goto fail;
	}
	for (i = 0; i < in->n_links; i++) {
		const char *l = in->links[i], *eq = strchr(l, '='),
			   *colon = strchr(l, ':');
		char rel[64] = "alternate";
		const char *href = l;

		/* "rel=URL": a rel is a short token before any ':' of the URL */
		if (eq && (colon == NULL || eq < colon) &&
		    (size_t)(eq - l) < sizeof(rel)) {
			memcpy(rel, l, (size_t)(eq - l));
			rel[eq - l] = '\0';
			href = eq + 1;
		}
		n = xmlNewChild(entry, NULL, (const xmlChar *)"link", NULL);
		if (n == NULL ||
		    xmlNewProp(n, (const xmlChar *)"rel", (const xmlChar *)rel) == NULL ||
		    xmlNewProp(n, (const xmlChar *)"href", (const xmlChar *)href) == NULL)
			goto fail;
	}
	return entry;
fail:
	xmlFreeDoc(doc);
	return NULL;
}

static int
is_atom(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, CXE_NS_ATOM) == 0 &&
	       (name == NULL || strcmp((const char *)n->name, name) == 0);
}

/* The element's text with surrounding white space removed. */
static char *
text_of(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *s, *e, *out;

	if (t == NULL)
		return NULL;
	s = (char *)t;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
			 e[-1] == '\r'))
		e--;
	out = strndup(s, (size_t)(e - s));
	xmlFree(t);
	return out;
}

static xmlChar *
attr(const xmlNode *n, const char *name)
{
	return xmlGetProp(n, (const xmlChar *)name);
}

int
cxe_atom_read(cxe_atom *out, const xmlNode *payload)
{
	const xmlNode *n, *m;
	char **slot;

	memset(out, 0, sizeof(*out));
	if (payload == NULL || !is_atom(payload, "entry"))
		return 0;
	for (n = payload->children; n; n = n->next) {
		slot = NULL;
		if (!is_atom(n, NULL))
			continue;
		if (strcmp((const char *)n->name, "title") == 0)
			slot = &out->title;
		else if (strcmp((const char *)n->name, "id") == 0)
			slot = &out->id;
		else if (strcmp((const char *)n->name, "published") == 0)
			slot = &out->published;
		else if (strcmp((const char *)n->name, "updated") == 0)
			slot = &out->updated;
		else if (strcmp((const char *)n->name, "summary") == 0)
			slot = &out->summary;
		else if (strcmp((const char *)n->name, "content") == 0)
			slot = &out->content;
		if (slot) {
			if (*slot == NULL && (*slot = text_of(n)) == NULL)
				goto nomem;
			continue;
		}
		if (strcmp((const char *)n->name, "author") == 0 &&
		    out->author == NULL) {
			for (m = n->children; m; m = m->next)
				if (is_atom(m, "name"))
					break;
			if (m == NULL)
				for (m = n->children; m; m = m->next)
					if (is_atom(m, "uri") || is_atom(m, "email"))
						break;
			if (m && (out->author = text_of(m)) == NULL)
				goto nomem;
		} else if (strcmp((const char *)n->name, "link") == 0) {
			xmlChar *rel = attr(n, "rel"), *href = attr(n, "href");
			int alt = rel == NULL ||
				  strcmp((const char *)rel, "alternate") == 0;

			/* the alternate link wins over any other */
			if (href && (out->link == NULL || alt)) {
				free(out->link);
				out->link = strdup((const char *)href);
			}
			xmlFree(rel);
			xmlFree(href);
			if (href && out->link == NULL)
				goto nomem;
		} else if (strcmp((const char *)n->name, "category") == 0 &&
			   out->n_categories < CXE_ATOM_MAX_LIST) {
			xmlChar *term = attr(n, "term");

			if (term == NULL)
				continue;
			out->categories[out->n_categories] =
				strdup((const char *)term);
			xmlFree(term);
			if (out->categories[out->n_categories] == NULL)
				goto nomem;
			out->n_categories++;
		}
	}
	return 1;
nomem:
	cxe_atom_clear(out);
	return -1;
}

void
cxe_atom_clear(cxe_atom *a)
{
	size_t i;

	free(a->id);
	free(a->title);
	free(a->author);
	free(a->published);
	free(a->updated);
	free(a->link);
	free(a->summary);
	free(a->content);
	for (i = 0; i < a->n_categories; i++)
		free(a->categories[i]);
	memset(a, 0, sizeof(*a));
}

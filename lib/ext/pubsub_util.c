/*
 * lib/ext/pubsub_util.c - libxml2 helpers for lib/ext/pubsub*, rsm, atom.
 *
 * Design notes: parsers of peer input read attributes through
 * cxi_px_attr, which only accepts an attribute whose value is a single
 * text node (what the XMPP parser produces), so no entity trickery reaches
 * us; copies are bounded by the callers' limits. Builders declare each new
 * namespace once, as the default namespace of the element that introduces
 * it, which is what the serializer writes as xmlns='...'.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"

int
cxi_px_is(const xmlNode *n, const char *ns, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return 0;
	if (name != NULL && strcmp((const char *)n->name, name) != 0)
		return 0;
	if (ns != NULL) {
		if (n->ns == NULL || n->ns->href == NULL ||
		    strcmp((const char *)n->ns->href, ns) != 0)
			return 0;
	}
	return 1;
}

xmlNodePtr
cxi_px_child(const xmlNode *parent, const char *ns, const char *name)
{
	xmlNodePtr c;

	if (parent == NULL)
		return NULL;
	for (c = parent->children; c != NULL; c = c->next)
		if (cxi_px_is(c, ns, name))
			return c;
	return NULL;
}

xmlNodePtr
cxi_px_next(const xmlNode *n, const char *ns, const char *name)
{
	xmlNodePtr c;

	if (n == NULL)
		return NULL;
	for (c = n->next; c != NULL; c = c->next)
		if (cxi_px_is(c, ns, name))
			return c;
	return NULL;
}

const char *
cxi_px_attr(const xmlNode *n, const char *name)
{
	xmlAttrPtr a;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return NULL;
	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns != NULL)
			continue;
		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (a->children == NULL)
			return "";
		if (a->children->next != NULL ||
		    a->children->type != XML_TEXT_NODE)
			return NULL;
		return (const char *)a->children->content;
	}
	return NULL;
}

cx_status
cxi_px_strdup(char **out, const char *s, cx_error *err)
{
	*out = NULL;
	if (s == NULL)
		return CX_OK;
	*out = strdup(s);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

cx_status
cxi_px_attr_dup(char **out, const xmlNode *n, const char *name, cx_error *err)
{
	return cxi_px_strdup(out, cxi_px_attr(n, name), err);
}

cx_status
cxi_px_text_dup(char **out, const xmlNode *n, size_t max, cx_error *err)
{
	const xmlNode *c;
	size_t len = 0, l;
	char *s;

	*out = NULL;
	if (n == NULL)
		return CX_OK;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		len += strlen((const char *)c->content);
		if (len > max)
			return cxi_error_set(err, CX_ERR_PROTOCOL,
					     "<%s/> text longer than %zu bytes",
					     (const char *)n->name, max);
	}
	s = malloc(len + 1);
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	len = 0;
	for (c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_TEXT_NODE && c->type != XML_CDATA_SECTION_NODE)
			continue;
		l = strlen((const char *)c->content);
		memcpy(s + len, c->content, l);
		len += l;
	}
	s[len] = '\0';
	*out = s;
	return CX_OK;
}

int
cxi_px_text_ok(const char *s)
{
	int len;

	if (s == NULL)
		return 1;
	len = (int)strlen(s);
	if (xmlCheckUTF8((const xmlChar *)s) == 0)
		return 0;
	while (len > 0) {
		int l = 4;
		int ch = xmlGetUTF8Char((const xmlChar *)s, &l);

		if (ch < 0 || l <= 0)
			return 0;
		if (!((ch == 0x9 || ch == 0xA || ch == 0xD) ||
		      (ch >= 0x20 && ch <= 0xD7FF) ||
		      (ch >= 0xE000 && ch <= 0xFFFD) ||
		      (ch >= 0x10000 && ch <= 0x10FFFF)))
			return 0;
		s += l;
		len -= l;
	}
	return 1;
}

cx_status
cxi_px_add(xmlNodePtr *out, xmlNodePtr parent, const char *ns,
	   const char *name, const char *text, cx_error *err)
{
	xmlNodePtr n;

	if (out != NULL)
		*out = NULL;
	if (parent == NULL || name == NULL || *name == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "no parent or name");
	if (!cxi_px_text_ok(text))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "text of <%s/> is not valid XML text", name);
	n = xmlNewDocNode(parent->doc, NULL, BAD_CAST name, NULL);
	if (n == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (ns == NULL ||
	    (parent->ns != NULL && strcmp((const char *)parent->ns->href, ns) == 0)) {
		xmlSetNs(n, parent->ns);
	} else {
		xmlNsPtr d = xmlNewNs(n, BAD_CAST ns, NULL);

		if (d == NULL) {
			xmlFreeNode(n);
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
		xmlSetNs(n, d);
	}
	if (text != NULL && *text != '\0') {
		xmlNodePtr t = xmlNewDocText(parent->doc, BAD_CAST text);

		if (t == NULL) {
			xmlFreeNode(n);
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
		xmlAddChild(n, t);
	}
	xmlAddChild(parent, n);
	if (out != NULL)
		*out = n;
	return CX_OK;
}

cx_status
cxi_px_set(xmlNodePtr n, const char *name, const char *value, cx_error *err)
{
	if (value == NULL)
		return CX_OK;
	if (!cxi_px_text_ok(value))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "attribute %s is not valid XML text", name);
	if (xmlSetProp(n, BAD_CAST name, BAD_CAST value) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

cx_status
cxi_px_copy_under(xmlNodePtr *out, xmlNodePtr parent, const xmlNode *src,
		  cx_error *err)
{
	xmlNodePtr copy;

	if (out != NULL)
		*out = NULL;
	if (src == NULL || src->type != XML_ELEMENT_NODE)
		return cxi_error_set(err, CX_ERR_INVALID, "not an element");
	copy = xmlDocCopyNode((xmlNodePtr)src, parent->doc, 1);
	if (copy == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	/* Namespaces declared on src's ancestors: declare them on the copy. */
	if (src->ns != NULL && copy->ns == NULL) {
		xmlNsPtr d = xmlNewNs(copy, src->ns->href, src->ns->prefix);

		if (d == NULL) {
			xmlFreeNode(copy);
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
		xmlSetNs(copy, d);
	}
	xmlAddChild(parent, copy);
	if (xmlReconciliateNs(parent->doc, copy) < 0) {
		xmlUnlinkNode(copy);
		xmlFreeNode(copy);
		return cxi_error_set(err, CX_ERR_NOMEM, "namespace reconciliation failed");
	}
	if (out != NULL)
		*out = copy;
	return CX_OK;
}

/*
 * Stanzas as libxml2 documents.
 *
 * Design notes:
 * - One xmlDoc per stanza, the stanza element as its root. The parser
 *   already builds a document per depth-1 element, so a received stanza is
 *   wrapped (cxi_stanza_adopt) without a copy, and freeing a stanza is one
 *   xmlFreeDoc.
 * - The getters hand out pointers into the tree rather than copies, because
 *   they are on every path (dispatch reads type/from/id of each stanza).
 *   That needs each attribute of the stanza element to be one text node,
 *   which is what xmlSetProp builds; a tree made elsewhere is normalized
 *   once when it is wrapped.
 * - No lock: the rule is "owner mutates, then shares read-only" (see the
 *   public header), and libxml2 reads of a tree nobody writes are safe. The
 *   reference count is the only shared mutable state, and it is atomic.
 * - Text from the caller is checked (UTF-8 and XML characters) here, at the
 *   point it enters a tree: the serializer trusts the tree.
 * - libxml2 sets up its global state lazily, and that lazy set-up races
 *   when several threads make their first libxml2 call at once (even a read
 *   such as xmlNodeGetContent). Every constructor therefore runs
 *   xmlInitParser() once first, in the creating thread, before the stanza
 *   can be shared. (xmlInitParser takes libxml2's own init lock, so it is
 *   safe beside the parser's own one-time initialization.)
 */
#include "config.h"

#include "lib/core/stanza.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>

#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/core/id.h"
#include "lib/core/xml.h"

struct cx_stanza {
	atomic_uint refs;
	xmlDocPtr doc;
	xmlNodePtr root; /* the stanza element: the doc's root */
};

/* Defined conditions and their default types (RFC 6120 section 8.3.3). */
static const struct {
	const char *name;
	const char *type;
} conditions[] = {
	{ CX_STANZA_ERR_BAD_REQUEST, CX_STANZA_ERR_TYPE_MODIFY },
	{ CX_STANZA_ERR_CONFLICT, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_FEATURE_NOT_IMPLEMENTED, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_FORBIDDEN, CX_STANZA_ERR_TYPE_AUTH },
	{ CX_STANZA_ERR_GONE, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_INTERNAL_SERVER_ERROR, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_ITEM_NOT_FOUND, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_JID_MALFORMED, CX_STANZA_ERR_TYPE_MODIFY },
	{ CX_STANZA_ERR_NOT_ACCEPTABLE, CX_STANZA_ERR_TYPE_MODIFY },
	{ CX_STANZA_ERR_NOT_ALLOWED, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_NOT_AUTHORIZED, CX_STANZA_ERR_TYPE_AUTH },
	{ CX_STANZA_ERR_POLICY_VIOLATION, CX_STANZA_ERR_TYPE_MODIFY },
	{ CX_STANZA_ERR_RECIPIENT_UNAVAILABLE, CX_STANZA_ERR_TYPE_WAIT },
	{ CX_STANZA_ERR_REDIRECT, CX_STANZA_ERR_TYPE_MODIFY },
	{ CX_STANZA_ERR_REGISTRATION_REQUIRED, CX_STANZA_ERR_TYPE_AUTH },
	{ CX_STANZA_ERR_REMOTE_SERVER_NOT_FOUND, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_REMOTE_SERVER_TIMEOUT, CX_STANZA_ERR_TYPE_WAIT },
	{ CX_STANZA_ERR_RESOURCE_CONSTRAINT, CX_STANZA_ERR_TYPE_WAIT },
	{ CX_STANZA_ERR_SERVICE_UNAVAILABLE, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_SUBSCRIPTION_REQUIRED, CX_STANZA_ERR_TYPE_AUTH },
	{ CX_STANZA_ERR_UNDEFINED_CONDITION, CX_STANZA_ERR_TYPE_CANCEL },
	{ CX_STANZA_ERR_UNEXPECTED_REQUEST, CX_STANZA_ERR_TYPE_WAIT },
};

static const char *const error_types[] = {
	CX_STANZA_ERR_TYPE_AUTH, CX_STANZA_ERR_TYPE_CANCEL,
	CX_STANZA_ERR_TYPE_CONTINUE, CX_STANZA_ERR_TYPE_MODIFY,
	CX_STANZA_ERR_TYPE_WAIT, NULL
};
static const char *const message_types[] = {
	"chat", "error", "groupchat", "headline", "normal", NULL
};
static const char *const presence_types[] = {
	"error", "probe", "subscribe", "subscribed", "unavailable",
	"unsubscribe", "unsubscribed", NULL
};
static const char *const iq_types[] = {
	"get", "set", "result", "error", NULL
};

static bool
in_list(const char *const *list, const char *v)
{
	if (v == NULL)
		return false;
	for (; *list != NULL; list++)
		if (strcmp(*list, v) == 0)
			return true;
	return false;
}

static bool
streq(const xmlChar *a, const char *b)
{
	return a != NULL && b != NULL && strcmp((const char *)a, b) == 0;
}

static bool
node_ns_is(const xmlNode *n, const char *ns)
{
	return n->ns != NULL && streq(n->ns->href, ns);
}

/*
 * UTF-8 decoding that rejects overlong forms, surrogates and code points
 * above U+10FFFF, and then the characters XML 1.0 does not allow
 * (controls other than tab, LF and CR; U+FFFE and U+FFFF).
 */
int
cxi_stanza_text_valid(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	if (p == NULL)
		return 0;
	while (*p != '\0') {
		unsigned long c;
		int n, i;

		if (*p < 0x80) {
			if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
				return 0;
			p++;
			continue;
		}
		if ((*p & 0xE0) == 0xC0) {
			c = *p & 0x1F;
			n = 1;
		} else if ((*p & 0xF0) == 0xE0) {
			c = *p & 0x0F;
			n = 2;
		} else if ((*p & 0xF8) == 0xF0) {
			c = *p & 0x07;
			n = 3;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return 0; /* also stops at the NUL */
			c = (c << 6) | (p[i] & 0x3F);
		}
		if ((n == 1 && c < 0x80) || (n == 2 && c < 0x800) ||
		    (n == 3 && c < 0x10000))
			return 0;
		if ((c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE ||
		    c == 0xFFFF || c > 0x10FFFF)
			return 0;
		p += n + 1;
	}
	return 1;
}

static cx_status
check_text(const char *text, const char *what, cx_error *err)
{
	if (text != NULL && !cxi_stanza_text_valid(text))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "%s is not valid UTF-8 XML text", what);
	return CX_OK;
}

/* Makes every attribute of the stanza element a single text node, so that
 * the getters can return a pointer into it. */
static cx_status
normalize_attrs(xmlNodePtr root)
{
	xmlAttrPtr a;

	for (a = root->properties; a != NULL; a = a->next) {
		xmlChar *v;
		xmlAttrPtr r;

		if (a->children == NULL ||
		    (a->children->type == XML_TEXT_NODE &&
		     a->children->next == NULL))
			continue;
		v = xmlNodeListGetString(root->doc, a->children, 1);
		if (v == NULL)
			return CX_ERR_NOMEM;
		r = xmlSetNsProp(root, a->ns, a->name, v);
		xmlFree(v);
		if (r == NULL)
			return CX_ERR_NOMEM;
	}
	return CX_OK;
}

static cx_status
wrap(cx_stanza **out, xmlDocPtr doc, cx_error *err)
{
	cx_stanza *s;
	xmlNodePtr root = xmlDocGetRootElement(doc);

	if (root == NULL) {
		xmlFreeDoc(doc);
		return cxi_error_set(err, CX_ERR_INVALID,
				     "document has no element");
	}
	if (!node_ns_is(root, CX_NS_CLIENT)) {
		/* The name lives in the doc: report before freeing it. */
		cxi_error_set(err, CX_ERR_XML_NAMESPACE,
			      "stanza element <%s/> is not in the jabber:client "
			      "namespace", (const char *)root->name);
		xmlFreeDoc(doc);
		return CX_ERR_XML_NAMESPACE;
	}
	if (normalize_attrs(root) != CX_OK) {
		xmlFreeDoc(doc);
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	}
	s = malloc(sizeof(*s));
	if (s == NULL) {
		xmlFreeDoc(doc);
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	}
	atomic_init(&s->refs, 1);
	s->doc = doc;
	s->root = root;
	*out = s;
	return CX_OK;
}

cx_status
cxi_stanza_adopt(cx_stanza **out, xmlDocPtr doc, cx_error *err)
{
	if (out == NULL || doc == NULL) {
		if (doc != NULL)
			xmlFreeDoc(doc);
		return cxi_error_set(err, CX_ERR_INVALID, "no document");
	}
	*out = NULL;
	return wrap(out, doc, err);
}

static pthread_once_t libxml_once = PTHREAD_ONCE_INIT;

static void
libxml_init(void)
{
	pthread_once(&libxml_once, xmlInitParser);
}

/* A new stanza whose root is <name xmlns='jabber:client'/>. */
static cx_status
new_element(cx_stanza **out, const char *name, cx_error *err)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	xmlNsPtr ns;

	libxml_init();
	doc = xmlNewDoc(BAD_CAST "1.0");
	if (doc == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	root = xmlNewDocNode(doc, NULL, BAD_CAST name, NULL);
	if (root == NULL)
		goto nomem;
	xmlDocSetRootElement(doc, root);
	ns = xmlNewNs(root, BAD_CAST CX_NS_CLIENT, NULL);
	if (ns == NULL)
		goto nomem;
	xmlSetNs(root, ns);
	return wrap(out, doc, err);
nomem:
	xmlFreeDoc(doc);
	return cxi_error_set(err, CX_ERR_NOMEM, NULL);
}

/* Plain (un-namespaced) attribute of the stanza element. */
static xmlAttrPtr
find_attr(const xmlNode *n, const char *name, const char *ns)
{
	xmlAttrPtr a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (!streq(a->name, name))
			continue;
		if (ns == NULL ? a->ns == NULL
			       : (a->ns != NULL && streq(a->ns->href, ns)))
			return a;
	}
	return NULL;
}

static const char *
attr_value(const xmlAttr *a)
{
	if (a == NULL)
		return NULL;
	if (a->children == NULL)
		return "";
	if (a->children->type == XML_TEXT_NODE && a->children->content != NULL)
		return (const char *)a->children->content;
	return NULL;
}

static cx_status
set_attr(cx_stanza *s, const char *name, const char *value, cx_error *err)
{
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	if (value == NULL) {
		xmlAttrPtr a = find_attr(s->root, name, NULL);
		if (a != NULL)
			xmlRemoveProp(a);
		return CX_OK;
	}
	if ((st = check_text(value, name, err)) != CX_OK)
		return st;
	/* xmlSetProp stores the value as one text node, taken literally. */
	if (xmlSetProp(s->root, BAD_CAST name, BAD_CAST value) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

static cx_status
set_random_id(cx_stanza *s, cx_error *err)
{
	char id[CXI_ID_SIZE];

	if (cxi_id_generate(id, sizeof(id)) != CX_OK)
		return cxi_error_set(err, CX_ERR_SYSTEM,
				     "the random generator failed");
	return set_attr(s, "id", id, err);
}

cx_status
cx_stanza_set_new_id(cx_stanza *s, cx_error *err)
{
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	return set_random_id(s, err);
}

/* Common part of the three constructors. */
static cx_status
new_stanza(cx_stanza **out, const char *name, const char *to,
	   const char *type, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if ((st = check_text(to, "to", err)) != CX_OK)
		return st;
	if ((st = new_element(&s, name, err)) != CX_OK)
		return st;
	if ((st = set_random_id(s, err)) != CX_OK ||
	    (st = set_attr(s, "to", to, err)) != CX_OK ||
	    (st = set_attr(s, "type", type, err)) != CX_OK) {
		cx_stanza_unref(s);
		return st;
	}
	*out = s;
	return CX_OK;
}

cx_status
cx_stanza_new_message(cx_stanza **out, const char *to, const char *type,
		      const char *body, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (type != NULL && !in_list(message_types, type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "unknown message type '%s'", type);
	if ((st = check_text(body, "body", err)) != CX_OK)
		return st;
	if ((st = new_stanza(&s, "message", to, type, err)) != CX_OK)
		return st;
	if (body != NULL &&
	    (st = cx_stanza_add_body(s, NULL, body, err)) != CX_OK) {
		cx_stanza_unref(s);
		return st;
	}
	*out = s;
	return CX_OK;
}

cx_status
cx_stanza_new_presence(cx_stanza **out, const char *to, const char *type,
		       cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (type != NULL && !in_list(presence_types, type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "unknown presence type '%s'", type);
	return new_stanza(out, "presence", to, type, err);
}

cx_status
cx_stanza_new_iq(cx_stanza **out, const char *type, const char *to,
		 const char *payload_ns, const char *payload_name,
		 cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!in_list(iq_types, type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "iq type must be get, set, result or "
				     "error, not '%s'", type ? type : "(none)");
	if (payload_name == NULL &&
	    (strcmp(type, "get") == 0 || strcmp(type, "set") == 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "an iq of type %s needs a payload", type);
	if (payload_name != NULL &&
	    (payload_ns == NULL || *payload_ns == '\0'))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "the payload needs a namespace");
	if ((st = new_stanza(&s, "iq", to, type, err)) != CX_OK)
		return st;
	if (payload_name != NULL &&
	    (st = cx_stanza_add_child(NULL, s, NULL, payload_ns, payload_name,
				      NULL, err)) != CX_OK) {
		cx_stanza_unref(s);
		return st;
	}
	*out = s;
	return CX_OK;
}

cx_status
cx_stanza_new_from_node(cx_stanza **out, const xmlNode *node, cx_error *err)
{
	xmlDocPtr doc;
	xmlNodePtr copy;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return cxi_error_set(err, CX_ERR_INVALID, "not an element");
	if (!node_ns_is(node, CX_NS_CLIENT))
		return cxi_error_set(err, CX_ERR_XML_NAMESPACE,
				     "stanza element <%s/> is not in the "
				     "jabber:client namespace",
				     (const char *)node->name);
	libxml_init();
	doc = xmlNewDoc(BAD_CAST "1.0");
	if (doc == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	/* xmlDocCopyNode re-declares, on the copy, the namespaces that the
	 * original inherited from its ancestors. */
	copy = xmlDocCopyNode((xmlNodePtr)node, doc, 1);
	if (copy == NULL) {
		xmlFreeDoc(doc);
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	}
	xmlDocSetRootElement(doc, copy);
	return wrap(out, doc, err);
}

cx_status
cx_stanza_copy(cx_stanza **out, const cx_stanza *s, cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	return cx_stanza_new_from_node(out, s->root, err);
}

cx_stanza *
cx_stanza_ref(cx_stanza *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
cx_stanza_unref(cx_stanza *s)
{
	if (s == NULL)
		return;
	/* acq_rel: the freeing thread must see every other thread's last
	 * reads and writes of the tree. */
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	xmlFreeDoc(s->doc);
	free(s);
}

xmlNodePtr
cx_stanza_node(const cx_stanza *s)
{
	return s != NULL ? s->root : NULL;
}

cx_stanza_kind
cx_stanza_get_kind(const cx_stanza *s)
{
	if (s == NULL)
		return CX_STANZA_OTHER;
	if (streq(s->root->name, "message"))
		return CX_STANZA_MESSAGE;
	if (streq(s->root->name, "presence"))
		return CX_STANZA_PRESENCE;
	if (streq(s->root->name, "iq"))
		return CX_STANZA_IQ;
	return CX_STANZA_OTHER;
}

const char *
cx_stanza_get_type(const cx_stanza *s)
{
	return s != NULL ? attr_value(find_attr(s->root, "type", NULL)) : NULL;
}

const char *
cx_stanza_get_id(const cx_stanza *s)
{
	return s != NULL ? attr_value(find_attr(s->root, "id", NULL)) : NULL;
}

const char *
cx_stanza_get_from(const cx_stanza *s)
{
	return s != NULL ? attr_value(find_attr(s->root, "from", NULL)) : NULL;
}

const char *
cx_stanza_get_to(const cx_stanza *s)
{
	return s != NULL ? attr_value(find_attr(s->root, "to", NULL)) : NULL;
}

const char *
cx_stanza_get_lang(const cx_stanza *s)
{
	if (s == NULL)
		return NULL;
	return attr_value(find_attr(s->root, "lang", CXI_NS_XML));
}

cx_status
cx_stanza_set_type(cx_stanza *s, const char *value, cx_error *err)
{
	return set_attr(s, "type", value, err);
}

cx_status
cx_stanza_set_id(cx_stanza *s, const char *value, cx_error *err)
{
	return set_attr(s, "id", value, err);
}

cx_status
cx_stanza_set_from(cx_stanza *s, const char *value, cx_error *err)
{
	return set_attr(s, "from", value, err);
}

cx_status
cx_stanza_set_to(cx_stanza *s, const char *value, cx_error *err)
{
	return set_attr(s, "to", value, err);
}

static cx_status
set_node_lang(xmlNodePtr n, const char *value, cx_error *err)
{
	cx_status st;
	xmlAttrPtr a;

	if (value == NULL) {
		if ((a = find_attr(n, "lang", CXI_NS_XML)) != NULL)
			xmlRemoveProp(a);
		return CX_OK;
	}
	if ((st = check_text(value, "xml:lang", err)) != CX_OK)
		return st;
	xmlNodeSetLang(n, BAD_CAST value);
	/* xmlNodeSetLang reports nothing: check that it took. */
	a = find_attr(n, "lang", CXI_NS_XML);
	if (a == NULL || attr_value(a) == NULL ||
	    strcmp(attr_value(a), value) != 0)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

cx_status
cx_stanza_set_lang(cx_stanza *s, const char *value, cx_error *err)
{
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	return set_node_lang(s->root, value, err);
}

/* Whether n is an element of the tree rooted at root. */
static bool
in_tree(const xmlNode *root, const xmlNode *n)
{
	for (; n != NULL; n = n->parent)
		if (n == root)
			return true;
	return false;
}

cx_status
cx_stanza_add_child(xmlNodePtr *out, cx_stanza *s, xmlNodePtr parent,
		    const char *ns, const char *name, const char *text,
		    cx_error *err)
{
	xmlNodePtr child, t;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (s == NULL || name == NULL || *name == '\0')
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stanza and element name are required");
	if (parent == NULL)
		parent = s->root;
	if (parent->type != XML_ELEMENT_NODE || !in_tree(s->root, parent))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "parent is not an element of this stanza");
	if (ns != NULL && *ns == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "empty namespace");
	if ((st = check_text(name, "element name", err)) != CX_OK ||
	    (st = check_text(ns, "namespace", err)) != CX_OK ||
	    (st = check_text(text, "element text", err)) != CX_OK)
		return st;
	if (xmlValidateNCName(BAD_CAST name, 0) != 0)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "'%s' is not a valid element name", name);
	child = xmlNewDocNode(s->doc, NULL, BAD_CAST name, NULL);
	if (child == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	if (ns == NULL || node_ns_is(parent, ns)) {
		xmlSetNs(child, parent->ns);
	} else {
		xmlNsPtr decl = xmlNewNs(child, BAD_CAST ns, NULL);
		if (decl == NULL)
			goto nomem;
		xmlSetNs(child, decl);
	}
	if (text != NULL && *text != '\0') {
		/* A text node takes the string literally (no entity parsing,
		 * unlike the content argument of xmlNewDocNode). */
		t = xmlNewDocText(s->doc, BAD_CAST text);
		if (t == NULL)
			goto nomem;
		xmlAddChild(child, t);
	}
	if (xmlAddChild(parent, child) == NULL)
		goto nomem;
	if (out != NULL)
		*out = child;
	return CX_OK;
nomem:
	xmlFreeNode(child);
	return cxi_error_set(err, CX_ERR_NOMEM, NULL);
}

xmlNodePtr
cx_stanza_find_child(const cx_stanza *s, const char *ns, const char *name)
{
	xmlNodePtr c;

	if (s == NULL)
		return NULL;
	for (c = s->root->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (ns != NULL && !node_ns_is(c, ns))
			continue;
		if (name != NULL && !streq(c->name, name))
			continue;
		return c;
	}
	return NULL;
}

static bool
is_error_elem(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE && streq(n->name, "error") &&
	       node_ns_is(n, CX_NS_CLIENT);
}

xmlNodePtr
cx_stanza_payload(const cx_stanza *s)
{
	xmlNodePtr c;

	if (s == NULL)
		return NULL;
	for (c = s->root->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !is_error_elem(c))
			return c;
	return NULL;
}

cx_status
cx_stanza_add_body(cx_stanza *s, const char *lang, const char *text,
		   cx_error *err)
{
	xmlNodePtr body;
	cx_status st;

	if (s == NULL || text == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stanza and text are required");
	if ((st = check_text(lang, "xml:lang", err)) != CX_OK)
		return st;
	if ((st = cx_stanza_add_child(&body, s, NULL, CX_NS_CLIENT, "body",
				      text, err)) != CX_OK)
		return st;
	if (lang != NULL && (st = set_node_lang(body, lang, err)) != CX_OK) {
		xmlUnlinkNode(body);
		xmlFreeNode(body);
		return st;
	}
	return CX_OK;
}

static char *
node_text(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *r;

	/* An element without content gives NULL or "": both are "". */
	r = strdup(c != NULL ? (const char *)c : "");
	if (c != NULL)
		xmlFree(c);
	return r;
}

cx_status
cx_stanza_get_body(char **out, const cx_stanza *s, const char *lang,
		   cx_error *err)
{
	xmlNodePtr c, found = NULL, first = NULL, unmarked = NULL;
	const char *own;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	for (c = s->root->children; c != NULL; c = c->next) {
		const char *l;

		if (c->type != XML_ELEMENT_NODE || !streq(c->name, "body") ||
		    !node_ns_is(c, CX_NS_CLIENT))
			continue;
		l = attr_value(find_attr(c, "lang", CXI_NS_XML));
		if (first == NULL)
			first = c;
		if (l == NULL && unmarked == NULL)
			unmarked = c;
		if (lang != NULL && l != NULL && strcasecmp(l, lang) == 0) {
			found = c;
			break;
		}
	}
	if (lang == NULL) {
		found = unmarked != NULL ? unmarked : first;
	} else if (found == NULL && unmarked != NULL) {
		own = cx_stanza_get_lang(s);
		if (own != NULL && strcasecmp(own, lang) == 0)
			found = unmarked;
	}
	if (found == NULL)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "no <body/>%s%s",
				     lang ? " in language " : "",
				     lang ? lang : "");
	*out = node_text(found);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

cx_status
cx_stanza_to_string(char **out, const cx_stanza *s, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stanza");
	st = cxi_xml_serialize(&b, s->root, CX_NS_CLIENT);
	if (st != CX_OK) {
		cxi_buf_free(&b);
		return cxi_error_set(err, st, "cannot serialize the stanza");
	}
	*out = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

/* from_string: a one-stanza stream. */
struct parse_one {
	xmlNodePtr elem; /* the first element; its doc is ours */
	unsigned count;  /* elements seen */
	bool ended;      /* </stream:stream> seen */
};

static void
po_start(void *arg, const char *default_ns, const cxi_xml_attr *attrs,
	 size_t nattrs)
{
	(void)arg;
	(void)default_ns;
	(void)attrs;
	(void)nattrs;
}

static void
po_element(void *arg, xmlNodePtr elem)
{
	struct parse_one *po = arg;

	po->count++;
	if (po->elem == NULL)
		po->elem = elem;
	else
		xmlFreeDoc(elem->doc);
}

static void
po_end(void *arg)
{
	struct parse_one *po = arg;

	po->ended = true;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

cx_status
cx_stanza_from_string(cx_stanza **out, const char *xml, size_t len,
		      cx_error *err)
{
	static const char header[] =
		"<stream:stream xmlns='" CXI_NS_CLIENT "' "
		"xmlns:stream='" CXI_NS_STREAM "'>";
	static const cxi_xml_callbacks cb = { po_start, po_element, po_end };
	const cxi_xml_limits limits = CXI_XML_LIMITS_DEFAULT;
	struct parse_one po = { NULL, 0, false };
	cxi_xml_parser *p = NULL;
	size_t a = 0, b = len;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (xml == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no text");
	/* Only whitespace may surround the element: the stream parser would
	 * take character data between depth-1 elements as keepalives. */
	while (a < b && is_ws(xml[a]))
		a++;
	while (b > a && is_ws(xml[b - 1]))
		b--;
	if (a == b || xml[a] != '<' || xml[b - 1] != '>')
		return cxi_error_set(err, CX_ERR_XML_MALFORMED,
				     "expected exactly one element");
	if ((st = cxi_xml_parser_new(&p, &limits, &cb, &po, err)) != CX_OK)
		return st;
	if ((st = cxi_xml_parser_feed(p, header, sizeof(header) - 1, NULL,
				      err)) != CX_OK ||
	    (st = cxi_xml_parser_feed(p, xml + a, b - a, NULL, err)) != CX_OK)
		goto out;
	if (po.ended) {
		st = cxi_error_set(err, CX_ERR_XML_MALFORMED,
				   "unexpected end of stream");
		goto out;
	}
	if ((st = cxi_xml_parser_feed(p, CXI_XML_STREAM_END,
				      strlen(CXI_XML_STREAM_END), NULL,
				      err)) != CX_OK)
		goto out;
	if (po.count != 1 || !po.ended) {
		st = cxi_error_set(err, CX_ERR_XML_MALFORMED,
				   po.count == 0 ? "incomplete element"
						 : "more than one element");
		goto out;
	}
	st = cxi_stanza_adopt(out, po.elem->doc, err);
	po.elem = NULL;
out:
	if (po.elem != NULL)
		xmlFreeDoc(po.elem->doc);
	cxi_xml_parser_free(p);
	return st;
}

/* ---- Stanza errors ---------------------------------------------------- */

const char *
cx_stanza_error_default_type(const char *condition)
{
	size_t i;

	if (condition == NULL)
		return NULL;
	for (i = 0; i < sizeof(conditions) / sizeof(conditions[0]); i++)
		if (strcmp(conditions[i].name, condition) == 0)
			return conditions[i].type;
	return NULL;
}

int
cx_stanza_error_type_valid(const char *type)
{
	return in_list(error_types, type) ? 1 : 0;
}

static xmlNodePtr
find_error_elem(const cx_stanza *s)
{
	xmlNodePtr c;

	for (c = s->root->children; c != NULL; c = c->next)
		if (is_error_elem(c))
			return c;
	return NULL;
}

cx_status
cx_stanza_new_error_reply(cx_stanza **out, const cx_stanza *request,
			  const char *condition, const char *type,
			  const char *text, cx_error *err)
{
	cx_stanza *r = NULL;
	xmlNodePtr e;
	const char *rtype;
	cx_stanza_kind kind;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (request == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no request");
	if (cx_stanza_error_default_type(condition) == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "'%s' is not a defined stanza error "
				     "condition", condition ? condition : "");
	if (type == NULL)
		type = cx_stanza_error_default_type(condition);
	else if (!cx_stanza_error_type_valid(type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "'%s' is not a stanza error type", type);
	kind = cx_stanza_get_kind(request);
	rtype = cx_stanza_get_type(request);
	if (kind == CX_STANZA_OTHER)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "only message, presence and iq get error "
				     "replies");
	/* RFC 6120 sections 8.2.3 and 8.3.1: never answer an error, nor an
	 * iq result. */
	if ((rtype != NULL && strcmp(rtype, "error") == 0) ||
	    (kind == CX_STANZA_IQ &&
	     (rtype == NULL || strcmp(rtype, "result") == 0)))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "a stanza of type '%s' must not be "
				     "answered with an error",
				     rtype ? rtype : "(none)");
	if ((st = check_text(text, "error text", err)) != CX_OK)
		return st;
	if ((st = new_element(&r, (const char *)request->root->name, err)) !=
	    CX_OK)
		return st;
	if ((st = set_attr(r, "id", cx_stanza_get_id(request), err)) != CX_OK ||
	    (st = set_attr(r, "to", cx_stanza_get_from(request), err)) != CX_OK ||
	    (st = set_attr(r, "from", cx_stanza_get_to(request), err)) != CX_OK ||
	    (st = set_attr(r, "type", "error", err)) != CX_OK ||
	    (st = cx_stanza_add_child(&e, r, NULL, NULL, "error", NULL, err)) !=
		    CX_OK)
		goto fail;
	if (xmlSetProp(e, BAD_CAST "type", BAD_CAST type) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, NULL);
		goto fail;
	}
	if ((st = cx_stanza_add_child(NULL, r, e, CX_NS_STANZAS, condition,
				      NULL, err)) != CX_OK)
		goto fail;
	if (text != NULL &&
	    (st = cx_stanza_add_child(NULL, r, e, CX_NS_STANZAS, "text", text,
				      err)) != CX_OK)
		goto fail;
	*out = r;
	return CX_OK;
fail:
	cx_stanza_unref(r);
	return st;
}

cx_status
cx_stanza_add_error_app_condition(xmlNodePtr *out, cx_stanza *s,
				  const char *ns, const char *name,
				  cx_error *err)
{
	xmlNodePtr e;

	if (out != NULL)
		*out = NULL;
	if (s == NULL || ns == NULL || *ns == '\0' || name == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stanza, namespace and name are required");
	if (strcmp(ns, CX_NS_CLIENT) == 0 || strcmp(ns, CX_NS_STANZAS) == 0)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "an application condition needs its own "
				     "namespace, not %s", ns);
	e = find_error_elem(s);
	if (e == NULL)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "the stanza has no <error/>");
	return cx_stanza_add_child(out, s, e, ns, name, NULL, err);
}

/* Fills the error record; returns status. */
static cx_status
report(cx_error *out, cx_status status, const char *condition,
       const char *type, const xmlNode *text, const xmlNode *app,
       const char *problem)
{
	char *t = NULL;

	if (out == NULL)
		return status;
	cx_error_clear(out);
	out->status = status;
	cxi_strlcpy(out->condition, condition, sizeof(out->condition));
	cxi_strlcpy(out->error_type, type, sizeof(out->error_type));
	if (text != NULL) {
		/* Bounded copy into the record; text that cannot be had for
		 * lack of memory is left out rather than failing the call. */
		t = node_text(text);
		cxi_strlcpy(out->text, t, sizeof(out->text));
		free(t);
	}
	if (app != NULL) {
		cxi_strlcpy(out->app_condition, (const char *)app->name,
			    sizeof(out->app_condition));
		cxi_strlcpy(out->app_ns, (const char *)app->ns->href,
			    sizeof(out->app_ns));
	}
	if (problem != NULL)
		snprintf(out->message, sizeof(out->message),
			 "invalid error stanza: %s", problem);
	else
		snprintf(out->message, sizeof(out->message),
			 "stanza error: %.63s (%.15s)%s%.150s", condition, type,
			 out->text[0] ? ": " : "", out->text);
	return status;
}

cx_status
cx_stanza_get_error(const cx_stanza *s, cx_error *out)
{
	const xmlNode *e, *c, *text = NULL, *app = NULL;
	const char *type, *cond = NULL, *problem = NULL;
	const char *etype;

	if (s == NULL)
		return cxi_error_set(out, CX_ERR_INVALID, "no stanza");
	type = cx_stanza_get_type(s);
	if (type == NULL || strcmp(type, "error") != 0)
		return cxi_error_set(out, CX_ERR_NOT_FOUND,
				     "not an error stanza");
	e = find_error_elem(s);
	if (e == NULL)
		return report(out, CX_ERR_PROTOCOL,
			      CX_STANZA_ERR_UNDEFINED_CONDITION, "", NULL, NULL,
			      "type='error' without an <error/> child");
	for (c = e->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || c->ns == NULL)
			continue;
		if (node_ns_is(c, CX_NS_STANZAS)) {
			if (streq(c->name, "text")) {
				if (text == NULL)
					text = c;
			} else if (cond == NULL) {
				cond = (const char *)c->name;
			}
		} else if (app == NULL && !node_ns_is(c, CX_NS_CLIENT)) {
			app = c;
		}
	}
	etype = attr_value(find_attr(e, "type", NULL));
	if (cond == NULL)
		problem = "no defined condition";
	else if (cx_stanza_error_default_type(cond) == NULL)
		problem = "unknown defined condition";
	else if (etype == NULL)
		problem = "no error type";
	else if (!cx_stanza_error_type_valid(etype))
		problem = "unknown error type";
	if (problem != NULL)
		return report(out, CX_ERR_PROTOCOL,
			      CX_STANZA_ERR_UNDEFINED_CONDITION,
			      cx_stanza_error_type_valid(etype) ? etype : "",
			      text, app, problem);
	return report(out, CX_ERR_STANZA_ERROR, cond, etype, text, app, NULL);
}

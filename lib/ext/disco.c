/*
 * lib/ext/disco.c - XEP-0030 service discovery: content, queries, responder.
 *
 * Design notes:
 * - Content objects (cx_disco_info, cx_disco_items) are plain copies of
 *   what a <query/> holds, detached from any document, so a future can own
 *   a parsed reply after the stanza is gone.
 * - The responder keeps our own disco#info as one cx_disco_info under a
 *   mutex, and answers from a copy taken under the lock, so registration
 *   from any thread never races an answer. A generation counter tells caps
 *   when the verification string must be recomputed.
 * - Node callbacks run without the lock held (they may call into the
 *   client); a registration is refcounted so that removing a node while
 *   its callback runs is safe, and arg_free runs after the last use.
 * - The iq handlers are registered concurrent: an answer to disco never
 *   waits behind the application's slow handlers.
 * - _async twins map the call's future with cx_future_map, which parses on
 *   the thread that settled the call (the reader), never on the pool.
 */
#include "config.h"

#include "cxmpp/disco.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

#define NOMEM() cxi_error_set(err, CX_ERR_NOMEM, "out of memory")

struct cx_disco_info {
	char *node;
	cx_disco_identity *ids;
	size_t nids, capids;
	char **features;
	size_t nfeat, capfeat;
	cx_form **forms;
	size_t nforms, capforms;
};

struct cx_disco_items {
	char *node;
	cx_disco_item *v;
	size_t n, cap;
};

static cx_status
grow(void **v, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return CX_OK;
	size_t ncap = *cap ? *cap * 2 : 8;
	void *nv = realloc(*v, ncap * elem);

	if (nv == NULL)
		return CX_ERR_NOMEM;
	*v = nv;
	*cap = ncap;
	return CX_OK;
}

static bool
streq0(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	       (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* ---- info --------------------------------------------------------------- */

cx_status
cx_disco_info_new(cx_disco_info **out, const char *node, cx_error *err)
{
	cx_disco_info *info;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!cxi_ext_text_ok(node))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "disco: the node is not valid XML text");
	if ((info = calloc(1, sizeof(*info))) == NULL)
		return NOMEM();
	if (cxi_ext_strdup(&info->node, node) != CX_OK) {
		free(info);
		return NOMEM();
	}
	*out = info;
	return CX_OK;
}

static void
identity_clear(cx_disco_identity *id)
{
	free((char *)id->category);
	free((char *)id->type);
	free((char *)id->name);
	free((char *)id->lang);
}

void
cx_disco_info_free(cx_disco_info *info)
{
	if (info == NULL)
		return;
	for (size_t i = 0; i < info->nids; i++)
		identity_clear(&info->ids[i]);
	free(info->ids);
	for (size_t i = 0; i < info->nfeat; i++)
		free(info->features[i]);
	free(info->features);
	for (size_t i = 0; i < info->nforms; i++)
		cx_form_free(info->forms[i]);
	free(info->forms);
	free(info->node);
	free(info);
}

/* Appends an identity without checks (dedupe: skip an identical one). */
static cx_status
info_push_identity(cx_disco_info *info, const char *category,
		   const char *type, const char *name, const char *lang,
		   bool dedupe)
{
	cx_disco_identity id = { NULL, NULL, NULL, NULL };

	if (dedupe) {
		for (size_t i = 0; i < info->nids; i++) {
			const cx_disco_identity *o = &info->ids[i];

			if (strcmp(o->category, category) == 0 &&
			    strcmp(o->type, type) == 0 &&
			    streq0(o->name, name) && streq0(o->lang, lang))
				return CX_OK;
		}
	}
	if (grow((void **)&info->ids, &info->capids, info->nids,
		 sizeof(*info->ids)) != CX_OK)
		return CX_ERR_NOMEM;
	if (cxi_ext_strdup((char **)&id.category, category) != CX_OK ||
	    cxi_ext_strdup((char **)&id.type, type) != CX_OK ||
	    cxi_ext_strdup((char **)&id.name, name) != CX_OK ||
	    cxi_ext_strdup((char **)&id.lang, lang) != CX_OK) {
		identity_clear(&id);
		return CX_ERR_NOMEM;
	}
	info->ids[info->nids++] = id;
	return CX_OK;
}

static cx_status
info_push_feature(cx_disco_info *info, const char *var, bool dedupe)
{
	char *copy;

	if (dedupe && cx_disco_info_has_feature(info, var))
		return CX_OK;
	if (grow((void **)&info->features, &info->capfeat, info->nfeat,
		 sizeof(*info->features)) != CX_OK ||
	    (copy = strdup(var)) == NULL)
		return CX_ERR_NOMEM;
	info->features[info->nfeat++] = copy;
	return CX_OK;
}

/* Takes ownership of form. */
static cx_status
info_push_form(cx_disco_info *info, cx_form *form)
{
	if (grow((void **)&info->forms, &info->capforms, info->nforms,
		 sizeof(*info->forms)) != CX_OK)
		return CX_ERR_NOMEM;
	info->forms[info->nforms++] = form;
	return CX_OK;
}

cx_status
cx_disco_info_add_identity(cx_disco_info *info, const char *category,
			   const char *type, const char *name,
			   const char *lang, cx_error *err)
{
	if (info == NULL || category == NULL || type == NULL ||
	    *category == '\0' || *type == '\0')
		return cxi_error_set(err, CX_ERR_INVALID,
				     "disco: an identity needs a category and a type");
	if (!cxi_ext_text_ok(category) || !cxi_ext_text_ok(type) ||
	    !cxi_ext_text_ok(name) || !cxi_ext_text_ok(lang))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "disco: identity text is not valid XML text");
	if (info->nids >= CX_DISCO_MAX_IDENTITIES)
		return cxi_error_set(err, CX_ERR_FULL,
				     "disco: at most %u identities",
				     CX_DISCO_MAX_IDENTITIES);
	if (info_push_identity(info, category, type, name, lang, true) != CX_OK)
		return NOMEM();
	return CX_OK;
}

cx_status
cx_disco_info_add_feature(cx_disco_info *info, const char *var, cx_error *err)
{
	if (info == NULL || var == NULL || *var == '\0')
		return cxi_error_set(err, CX_ERR_INVALID,
				     "disco: a feature needs a var");
	if (!cxi_ext_text_ok(var))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "disco: the feature is not valid XML text");
	if (info->nfeat >= CX_DISCO_MAX_FEATURES)
		return cxi_error_set(err, CX_ERR_FULL,
				     "disco: at most %u features",
				     CX_DISCO_MAX_FEATURES);
	if (info_push_feature(info, var, true) != CX_OK)
		return NOMEM();
	return CX_OK;
}

cx_status
cx_disco_info_add_form(cx_disco_info *info, const cx_form *form,
		       cx_error *err)
{
	cx_form *copy = NULL;
	cx_status st;

	if (info == NULL || form == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (info->nforms >= CX_DISCO_MAX_FORMS)
		return cxi_error_set(err, CX_ERR_FULL, "disco: at most %u forms",
				     CX_DISCO_MAX_FORMS);
	if ((st = cx_form_copy(&copy, form, err)) != CX_OK)
		return st;
	if (info_push_form(info, copy) != CX_OK) {
		cx_form_free(copy);
		return NOMEM();
	}
	return CX_OK;
}

static cx_status
info_copy(cx_disco_info **out, const cx_disco_info *src, const char *node)
{
	cx_disco_info *info = NULL;

	if (cx_disco_info_new(&info, node, NULL) != CX_OK)
		return CX_ERR_NOMEM;
	for (size_t i = 0; i < src->nids; i++) {
		const cx_disco_identity *id = &src->ids[i];

		if (info_push_identity(info, id->category, id->type, id->name,
				       id->lang, false) != CX_OK)
			goto nomem;
	}
	for (size_t i = 0; i < src->nfeat; i++)
		if (info_push_feature(info, src->features[i], false) != CX_OK)
			goto nomem;
	for (size_t i = 0; i < src->nforms; i++) {
		cx_form *f = NULL;

		if (cx_form_copy(&f, src->forms[i], NULL) != CX_OK)
			goto nomem;
		if (info_push_form(info, f) != CX_OK) {
			cx_form_free(f);
			goto nomem;
		}
	}
	*out = info;
	return CX_OK;
nomem:
	cx_disco_info_free(info);
	return CX_ERR_NOMEM;
}

const char *
cx_disco_info_get_node(const cx_disco_info *info)
{
	return info ? info->node : NULL;
}

size_t
cx_disco_info_identity_count(const cx_disco_info *info)
{
	return info ? info->nids : 0;
}

const cx_disco_identity *
cx_disco_info_identity_at(const cx_disco_info *info, size_t i)
{
	return info && i < info->nids ? &info->ids[i] : NULL;
}

size_t
cx_disco_info_feature_count(const cx_disco_info *info)
{
	return info ? info->nfeat : 0;
}

const char *
cx_disco_info_feature_at(const cx_disco_info *info, size_t i)
{
	return info && i < info->nfeat ? info->features[i] : NULL;
}

int
cx_disco_info_has_feature(const cx_disco_info *info, const char *var)
{
	if (info == NULL || var == NULL)
		return 0;
	for (size_t i = 0; i < info->nfeat; i++)
		if (strcmp(info->features[i], var) == 0)
			return 1;
	return 0;
}

int
cx_disco_info_has_identity(const cx_disco_info *info, const char *category,
			   const char *type)
{
	if (info == NULL || category == NULL)
		return 0;
	for (size_t i = 0; i < info->nids; i++)
		if (strcmp(info->ids[i].category, category) == 0 &&
		    (type == NULL || strcmp(info->ids[i].type, type) == 0))
			return 1;
	return 0;
}

size_t
cx_disco_info_form_count(const cx_disco_info *info)
{
	return info ? info->nforms : 0;
}

const cx_form *
cx_disco_info_form_at(const cx_disco_info *info, size_t i)
{
	return info && i < info->nforms ? info->forms[i] : NULL;
}

const cx_form *
cx_disco_info_find_form(const cx_disco_info *info, const char *form_type)
{
	if (info == NULL || form_type == NULL)
		return NULL;
	for (size_t i = 0; i < info->nforms; i++) {
		const char *ft = cx_form_get_form_type(info->forms[i]);

		if (ft != NULL && strcmp(ft, form_type) == 0)
			return info->forms[i];
	}
	return NULL;
}

static const char *
xml_lang(const xmlNode *n)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (a->ns != NULL && a->ns->href != NULL &&
		    strcmp((const char *)a->ns->href,
			   "http://www.w3.org/XML/1998/namespace") == 0 &&
		    strcmp((const char *)a->name, "lang") == 0 &&
		    a->children != NULL)
			return (const char *)a->children->content;
	return NULL;
}

cx_status
cx_disco_info_parse(cx_disco_info **out, const xmlNode *q, cx_error *err)
{
	cx_disco_info *info = NULL;
	char *node = NULL;
	cx_status st = CX_OK;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || q == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (!cxi_ext_is(q, CX_NS_DISCO_INFO, "query"))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "not a disco#info query");
	if (cxi_ext_attr_dup(&node, q, "node") != CX_OK)
		return NOMEM();
	st = cx_disco_info_new(&info, node, err);
	free(node);
	if (st != CX_OK)
		return st;
	for (const xmlNode *c = q->children; c != NULL; c = c->next) {
		if (cxi_ext_is(c, CX_NS_DISCO_INFO, "identity")) {
			char *cat = NULL, *type = NULL, *name = NULL;
			const char *lang = xml_lang(c);

			if (info->nids >= CX_DISCO_MAX_IDENTITIES) {
				st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
						   "disco#info: more than %u identities",
						   CX_DISCO_MAX_IDENTITIES);
				goto out;
			}
			if (cxi_ext_attr_dup(&cat, c, "category") != CX_OK ||
			    cxi_ext_attr_dup(&type, c, "type") != CX_OK ||
			    cxi_ext_attr_dup(&name, c, "name") != CX_OK) {
				free(cat);
				free(type);
				free(name);
				goto nomem;
			}
			if (cat == NULL || type == NULL || *cat == '\0' ||
			    *type == '\0') {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "disco#info: an identity lacks its %s",
						   cat == NULL || *cat == '\0'
							   ? "category"
							   : "type");
			} else if (info_push_identity(info, cat, type, name, lang,
						      false) != CX_OK) {
				st = NOMEM();
			}
			free(cat);
			free(type);
			free(name);
			if (st != CX_OK)
				goto out;
		} else if (cxi_ext_is(c, CX_NS_DISCO_INFO, "feature")) {
			char *var = NULL;

			if (info->nfeat >= CX_DISCO_MAX_FEATURES) {
				st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
						   "disco#info: more than %u features",
						   CX_DISCO_MAX_FEATURES);
				goto out;
			}
			if (cxi_ext_attr_dup(&var, c, "var") != CX_OK)
				goto nomem;
			if (var == NULL || *var == '\0') {
				free(var);
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "disco#info: a feature lacks its var");
				goto out;
			}
			if (info_push_feature(info, var, false) != CX_OK) {
				free(var);
				goto nomem;
			}
			free(var);
		} else if (cxi_ext_is(c, CX_NS_DATA_FORMS, "x")) {
			cx_form *f = NULL;

			if (info->nforms >= CX_DISCO_MAX_FORMS) {
				st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
						   "disco#info: more than %u forms",
						   CX_DISCO_MAX_FORMS);
				goto out;
			}
			if ((st = cx_form_parse(&f, c, err)) != CX_OK)
				goto out;
			if (info_push_form(info, f) != CX_OK) {
				cx_form_free(f);
				goto nomem;
			}
		}
	}
	*out = info;
	return CX_OK;
nomem:
	st = NOMEM();
out:
	cx_disco_info_free(info);
	return st;
}

/* A detached element in ns (declared as its default namespace). */
static xmlNodePtr
new_query(xmlDocPtr doc, const char *ns, const char *node)
{
	xmlNodePtr q = xmlNewDocNode(doc, NULL, BAD_CAST "query", NULL);
	xmlNsPtr n;

	if (q == NULL)
		return NULL;
	if ((n = xmlNewNs(q, BAD_CAST ns, NULL)) == NULL ||
	    (xmlSetNs(q, n), node != NULL &&
			     !xmlNewProp(q, BAD_CAST "node", BAD_CAST node))) {
		xmlFreeNode(q);
		return NULL;
	}
	return q;
}

cx_status
cx_disco_info_build(xmlNodePtr *out, const cx_disco_info *info,
		    xmlNodePtr parent, cx_error *err)
{
	xmlNodePtr q;

	if (out != NULL)
		*out = NULL;
	if (info == NULL || parent == NULL || parent->type != XML_ELEMENT_NODE)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "info or parent element missing");
	if ((q = new_query(parent->doc, CX_NS_DISCO_INFO, info->node)) == NULL)
		return NOMEM();
	for (size_t i = 0; i < info->nids; i++) {
		const cx_disco_identity *id = &info->ids[i];
		xmlNodePtr e = xmlNewChild(q, q->ns, BAD_CAST "identity", NULL);

		if (e == NULL ||
		    !xmlNewProp(e, BAD_CAST "category", BAD_CAST id->category) ||
		    !xmlNewProp(e, BAD_CAST "type", BAD_CAST id->type) ||
		    (id->name && !xmlNewProp(e, BAD_CAST "name", BAD_CAST id->name)))
			goto nomem;
		if (id->lang != NULL) {
			xmlNsPtr xml = xmlSearchNsByHref(parent->doc, e,
							 XML_XML_NAMESPACE);

			if (xml == NULL ||
			    !xmlNewNsProp(e, xml, BAD_CAST "lang", BAD_CAST id->lang))
				goto nomem;
		}
	}
	for (size_t i = 0; i < info->nfeat; i++) {
		xmlNodePtr e = xmlNewChild(q, q->ns, BAD_CAST "feature", NULL);

		if (e == NULL ||
		    !xmlNewProp(e, BAD_CAST "var", BAD_CAST info->features[i]))
			goto nomem;
	}
	for (size_t i = 0; i < info->nforms; i++)
		if (cx_form_build(NULL, info->forms[i], q, NULL) != CX_OK)
			goto nomem;
	if (xmlAddChild(parent, q) == NULL)
		goto nomem;
	if (out != NULL)
		*out = q;
	return CX_OK;
nomem:
	xmlFreeNode(q);
	return NOMEM();
}

/* ---- items -------------------------------------------------------------- */

cx_status
cx_disco_items_new(cx_disco_items **out, const char *node, cx_error *err)
{
	cx_disco_items *it;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (!cxi_ext_text_ok(node))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "disco: the node is not valid XML text");
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return NOMEM();
	if (cxi_ext_strdup(&it->node, node) != CX_OK) {
		free(it);
		return NOMEM();
	}
	*out = it;
	return CX_OK;
}

static void
item_clear(cx_disco_item *i)
{
	free((char *)i->jid);
	free((char *)i->node);
	free((char *)i->name);
}

void
cx_disco_items_free(cx_disco_items *it)
{
	if (it == NULL)
		return;
	for (size_t i = 0; i < it->n; i++)
		item_clear(&it->v[i]);
	free(it->v);
	free(it->node);
	free(it);
}

static cx_status
items_push(cx_disco_items *it, const char *jid, const char *node,
	   const char *name)
{
	cx_disco_item x = { NULL, NULL, NULL };

	if (grow((void **)&it->v, &it->cap, it->n, sizeof(*it->v)) != CX_OK)
		return CX_ERR_NOMEM;
	if (cxi_ext_strdup((char **)&x.jid, jid) != CX_OK ||
	    cxi_ext_strdup((char **)&x.node, node) != CX_OK ||
	    cxi_ext_strdup((char **)&x.name, name) != CX_OK) {
		item_clear(&x);
		return CX_ERR_NOMEM;
	}
	it->v[it->n++] = x;
	return CX_OK;
}

static cx_status
check_jid(const char *jid, cx_error *err)
{
	cx_jid *j = NULL;
	cx_error e = CX_ERROR_INIT;
	cx_status st = cx_jid_parse(&j, jid, &e);

	cx_jid_free(j);
	if (st == CX_ERR_NOMEM)
		return NOMEM();
	if (st != CX_OK)
		return cxi_error_set(err, CX_ERR_JID, "'%.64s' is not a JID: %s",
				     jid, e.message);
	return CX_OK;
}

cx_status
cx_disco_items_add(cx_disco_items *it, const char *jid, const char *node,
		   const char *name, cx_error *err)
{
	cx_status st;

	if (it == NULL || jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "disco: an item needs a jid");
	if (!cxi_ext_text_ok(node) || !cxi_ext_text_ok(name))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "disco: item text is not valid XML text");
	if ((st = check_jid(jid, err)) != CX_OK)
		return st;
	if (it->n >= CX_DISCO_MAX_ITEMS)
		return cxi_error_set(err, CX_ERR_FULL, "disco: at most %u items",
				     CX_DISCO_MAX_ITEMS);
	if (items_push(it, jid, node, name) != CX_OK)
		return NOMEM();
	return CX_OK;
}

const char *
cx_disco_items_get_node(const cx_disco_items *it)
{
	return it ? it->node : NULL;
}

size_t
cx_disco_items_count(const cx_disco_items *it)
{
	return it ? it->n : 0;
}

const cx_disco_item *
cx_disco_items_at(const cx_disco_items *it, size_t i)
{
	return it && i < it->n ? &it->v[i] : NULL;
}

cx_status
cx_disco_items_parse(cx_disco_items **out, const xmlNode *q, cx_error *err)
{
	cx_disco_items *it = NULL;
	char *node = NULL;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || q == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (!cxi_ext_is(q, CX_NS_DISCO_ITEMS, "query"))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "not a disco#items query");
	if (cxi_ext_attr_dup(&node, q, "node") != CX_OK)
		return NOMEM();
	st = cx_disco_items_new(&it, node, err);
	free(node);
	if (st != CX_OK)
		return st;
	for (const xmlNode *c = q->children; c != NULL; c = c->next) {
		char *jid = NULL, *inode = NULL, *name = NULL;

		if (!cxi_ext_is(c, CX_NS_DISCO_ITEMS, "item"))
			continue;
		if (it->n >= CX_DISCO_MAX_ITEMS) {
			st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
					   "disco#items: more than %u items",
					   CX_DISCO_MAX_ITEMS);
			goto out;
		}
		if (cxi_ext_attr_dup(&jid, c, "jid") != CX_OK ||
		    cxi_ext_attr_dup(&inode, c, "node") != CX_OK ||
		    cxi_ext_attr_dup(&name, c, "name") != CX_OK) {
			st = NOMEM();
		} else if (jid == NULL) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "disco#items: an item lacks its jid");
		} else if (check_jid(jid, err) != CX_OK) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "disco#items: item jid '%.64s' is not a JID",
					   jid);
		} else if (items_push(it, jid, inode, name) != CX_OK) {
			st = NOMEM();
		}
		free(jid);
		free(inode);
		free(name);
		if (st != CX_OK)
			goto out;
	}
	*out = it;
	return CX_OK;
out:
	cx_disco_items_free(it);
	return st;
}

cx_status
cx_disco_items_build(xmlNodePtr *out, const cx_disco_items *it,
		     xmlNodePtr parent, cx_error *err)
{
	xmlNodePtr q;

	if (out != NULL)
		*out = NULL;
	if (it == NULL || parent == NULL || parent->type != XML_ELEMENT_NODE)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "items or parent element missing");
	if ((q = new_query(parent->doc, CX_NS_DISCO_ITEMS, it->node)) == NULL)
		return NOMEM();
	for (size_t i = 0; i < it->n; i++) {
		const cx_disco_item *x = &it->v[i];
		xmlNodePtr e = xmlNewChild(q, q->ns, BAD_CAST "item", NULL);

		if (e == NULL || !xmlNewProp(e, BAD_CAST "jid", BAD_CAST x->jid) ||
		    (x->node && !xmlNewProp(e, BAD_CAST "node", BAD_CAST x->node)) ||
		    (x->name && !xmlNewProp(e, BAD_CAST "name", BAD_CAST x->name)))
			goto nomem;
	}
	if (xmlAddChild(parent, q) == NULL)
		goto nomem;
	if (out != NULL)
		*out = q;
	return CX_OK;
nomem:
	xmlFreeNode(q);
	return NOMEM();
}

/* ---- queries ------------------------------------------------------------ */

cx_status
cx_disco_build_request(cx_stanza **out, int items_ns, const char *to,
		       const char *node, cx_error *err)
{
	cx_stanza *iq = NULL;
	xmlNodePtr q = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	st = cx_stanza_new_iq(&iq, "get", to,
			      items_ns ? CX_NS_DISCO_ITEMS : CX_NS_DISCO_INFO,
			      "query", err);
	if (st != CX_OK)
		return st;
	q = cx_stanza_payload(iq);
	if (node != NULL) {
		if (!cxi_ext_text_ok(node)) {
			cx_stanza_unref(iq);
			return cxi_error_set(err, CX_ERR_XML_ENCODING,
					     "disco: the node is not valid XML text");
		}
		if (!xmlNewProp(q, BAD_CAST "node", BAD_CAST node)) {
			cx_stanza_unref(iq);
			return NOMEM();
		}
	}
	*out = iq;
	return CX_OK;
}

static cx_status
parse_reply(void **out, int items_ns, const cx_stanza *reply, cx_error *err)
{
	xmlNodePtr q = cx_stanza_payload(reply);
	const char *ns = items_ns ? CX_NS_DISCO_ITEMS : CX_NS_DISCO_INFO;

	if (!cxi_ext_is(q, ns, "query"))
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "disco: the result has no %s query", ns);
	if (items_ns)
		return cx_disco_items_parse((cx_disco_items **)out, q, err);
	return cx_disco_info_parse((cx_disco_info **)out, q, err);
}

static cx_status
disco_call(void **out, int items_ns, cx_client *c, const char *to,
	   const char *node, int timeout_ms, cx_error *err)
{
	cx_stanza *iq = NULL, *reply = NULL;
	cx_status st;

	if (out == NULL || c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if ((st = cx_disco_build_request(&iq, items_ns, to, node, err)) != CX_OK)
		return st;
	st = cx_client_call(&reply, c, iq, timeout_ms, err);
	cx_stanza_unref(iq);
	if (st == CX_OK)
		st = parse_reply(out, items_ns, reply, err);
	cx_stanza_unref(reply);
	return st;
}

cx_status
cx_disco_info_call(cx_disco_info **out, cx_client *c, const char *to,
		   const char *node, int timeout_ms, cx_error *err)
{
	return disco_call((void **)out, 0, c, to, node, timeout_ms, err);
}

cx_status
cx_disco_items_call(cx_disco_items **out, cx_client *c, const char *to,
		    const char *node, int timeout_ms, cx_error *err)
{
	return disco_call((void **)out, 1, c, to, node, timeout_ms, err);
}

static cx_status
map_info(void **value, void (**value_free)(void *), cx_future *src,
	 void *arg, cx_error *err)
{
	cx_status st;

	(void)arg;
	if ((st = cx_future_get_error(src, err)) != CX_OK)
		return st;
	*value_free = (void (*)(void *))cx_disco_info_free;
	return parse_reply(value, 0, cx_future_get_value(src), err);
}

static cx_status
map_items(void **value, void (**value_free)(void *), cx_future *src,
	  void *arg, cx_error *err)
{
	cx_status st;

	(void)arg;
	if ((st = cx_future_get_error(src, err)) != CX_OK)
		return st;
	*value_free = (void (*)(void *))cx_disco_items_free;
	return parse_reply(value, 1, cx_future_get_value(src), err);
}

static cx_future *
disco_call_async(int items_ns, cx_client *c, const char *to, const char *node,
		 int timeout_ms)
{
	cx_stanza *iq = NULL;
	cx_future *call, *f;

	if (c == NULL || cx_disco_build_request(&iq, items_ns, to, node, NULL) != CX_OK)
		return NULL;
	call = cx_client_call_async(c, iq, timeout_ms);
	cx_stanza_unref(iq);
	if (call == NULL)
		return NULL;
	f = cx_future_map(call, items_ns ? map_items : map_info, NULL, NULL);
	if (f == NULL)
		cx_future_cancel(call);
	cx_future_unref(call);
	return f;
}

cx_future *
cx_disco_info_call_async(cx_client *c, const char *to, const char *node,
			 int timeout_ms)
{
	return disco_call_async(0, c, to, node, timeout_ms);
}

cx_future *
cx_disco_items_call_async(cx_client *c, const char *to, const char *node,
			  int timeout_ms)
{
	return disco_call_async(1, c, to, node, timeout_ms);
}

/* ---- the responder ------------------------------------------------------ */

typedef struct node_reg {
	struct node_reg *next;
	char *node;
	cx_disco_node_fn fn;
	void *arg;
	void (*arg_free)(void *);
	unsigned refs; /* protected by disco_state.lock */
} node_reg;

typedef struct disco_state {
	pthread_mutex_t lock;       /* protects everything below */
	bool installed;
	bool has_identity;          /* else the default client/pc */
	cx_disco_info *own;         /* node NULL */
	cx_disco_items *items;      /* node NULL */
	node_reg *nodes;
	unsigned long gen;
} disco_state;

static const char disco_key;

static void
node_unref_locked(node_reg *n, node_reg **dead)
{
	if (--n->refs == 0) {
		n->next = *dead;
		*dead = n;
	}
}

static void
node_free_list(node_reg *dead)
{
	while (dead != NULL) {
		node_reg *n = dead;

		dead = n->next;
		if (n->arg_free != NULL)
			n->arg_free(n->arg);
		free(n->node);
		free(n);
	}
}

static void
disco_state_free(void *p)
{
	disco_state *ds = p;
	node_reg *dead = NULL;

	while (ds->nodes != NULL) {
		node_reg *n = ds->nodes;

		ds->nodes = n->next;
		node_unref_locked(n, &dead);
	}
	node_free_list(dead);
	cx_disco_info_free(ds->own);
	cx_disco_items_free(ds->items);
	pthread_mutex_destroy(&ds->lock);
	free(ds);
}

static void *
disco_state_make(void *arg)
{
	disco_state *ds = calloc(1, sizeof(*ds));

	(void)arg;
	if (ds == NULL)
		return NULL;
	if (pthread_mutex_init(&ds->lock, NULL) != 0) {
		free(ds);
		return NULL;
	}
	/* XEP-0030 3.1: an entity that answers disco advertises it. */
	if (cx_disco_info_new(&ds->own, NULL, NULL) != CX_OK ||
	    cx_disco_items_new(&ds->items, NULL, NULL) != CX_OK ||
	    cx_disco_info_add_feature(ds->own, CX_NS_DISCO_INFO, NULL) != CX_OK ||
	    cx_disco_info_add_feature(ds->own, CX_NS_DISCO_ITEMS, NULL) != CX_OK) {
		cx_disco_info_free(ds->own);
		pthread_mutex_destroy(&ds->lock);
		free(ds);
		return NULL;
	}
	return ds;
}

/* Copy of our info (default identity filled in), under the lock. */
static cx_status
own_snapshot_locked(cx_disco_info **out, disco_state *ds, const char *node)
{
	cx_status st = info_copy(out, ds->own, node);

	if (st == CX_OK && !ds->has_identity &&
	    info_push_identity(*out, "client", "pc", NULL, NULL, false) != CX_OK) {
		cx_disco_info_free(*out);
		*out = NULL;
		st = CX_ERR_NOMEM;
	}
	return st;
}

static node_reg *
find_node_locked(disco_state *ds, const char *node)
{
	for (node_reg *n = ds->nodes; n != NULL; n = n->next)
		if (strcmp(n->node, node) == 0)
			return n;
	return NULL;
}

static void
answer_node_error(cx_client *c, const cx_stanza *s, cx_status st,
		  const cx_error *e)
{
	const char *cond = CX_STANZA_ERR_INTERNAL_SERVER_ERROR;

	if (st == CX_ERR_NOT_FOUND)
		cond = CX_STANZA_ERR_ITEM_NOT_FOUND;
	else if (e->condition[0] != '\0' &&
		 cx_stanza_error_default_type(e->condition) != NULL)
		cond = e->condition;
	cxi_ext_send_error(c, s, cond, NULL);
}

static cx_handler_result
on_disco(void *arg, cx_client *c, cx_stanza *s, int items_ns)
{
	disco_state *ds = arg;
	xmlNodePtr q = cx_stanza_payload(s), qn = NULL;
	char *node = NULL;
	cx_disco_info *info = NULL;
	cx_disco_items *items = NULL;
	cx_stanza *reply = NULL;
	node_reg *reg = NULL, *dead = NULL;
	cx_error e = CX_ERROR_INIT;
	cx_status st;

	if (cxi_ext_attr_dup(&node, q, "node") != CX_OK) {
		cxi_ext_send_error(c, s, CX_STANZA_ERR_RESOURCE_CONSTRAINT, NULL);
		return CX_HANDLER_CONSUMED;
	}
	pthread_mutex_lock(&ds->lock);
	if (node == NULL) {
		if (items_ns)
			st = cx_disco_items_new(&items, NULL, NULL) == CX_OK
				     ? CX_OK : CX_ERR_NOMEM;
		else
			st = own_snapshot_locked(&info, ds, NULL);
		for (size_t i = 0; items_ns && st == CX_OK && i < ds->items->n; i++) {
			const cx_disco_item *x = &ds->items->v[i];

			if (items_push(items, x->jid, x->node, x->name) != CX_OK)
				st = CX_ERR_NOMEM;
		}
	} else if ((reg = find_node_locked(ds, node)) != NULL) {
		reg->refs++;
		st = CX_OK;
	} else {
		st = CX_ERR_NOT_FOUND;
	}
	pthread_mutex_unlock(&ds->lock);

	if (st == CX_OK && reg != NULL) {
		st = items_ns ? cx_disco_items_new(&items, node, &e)
			      : cx_disco_info_new(&info, node, &e);
		if (st == CX_OK)
			st = reg->fn(reg->arg, c, s, node, info, items, &e);
		pthread_mutex_lock(&ds->lock);
		node_unref_locked(reg, &dead);
		pthread_mutex_unlock(&ds->lock);
		node_free_list(dead);
	}
	if (st != CX_OK) {
		answer_node_error(c, s, st, &e);
		goto out;
	}
	if (cxi_ext_result_reply(&reply, s, NULL, NULL, NULL, &e) != CX_OK ||
	    (items_ns ? cx_disco_items_build(&qn, items, cx_stanza_node(reply), &e)
		      : cx_disco_info_build(&qn, info, cx_stanza_node(reply), &e)) != CX_OK) {
		cxi_ext_send_error(c, s, CX_STANZA_ERR_RESOURCE_CONSTRAINT, NULL);
		goto out;
	}
	if (cx_client_send(c, reply, &e) != CX_OK)
		cxi_ext_log(c, CX_LOG_INFO, "disco: reply not sent: %s", e.message);
out:
	cx_stanza_unref(reply);
	cx_disco_info_free(info);
	cx_disco_items_free(items);
	free(node);
	return CX_HANDLER_CONSUMED;
}

static cx_handler_result
on_info(void *arg, cx_client *c, cx_stanza *s)
{
	return on_disco(arg, c, s, 0);
}

static cx_handler_result
on_items(void *arg, cx_client *c, cx_stanza *s)
{
	return on_disco(arg, c, s, 1);
}

/* The state, with the handlers installed. */
static disco_state *
disco_state_get(cx_client *c, cx_error *err)
{
	disco_state *ds;
	cx_handler_id h1 = 0, h2 = 0;

	if (c == NULL) {
		cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
		return NULL;
	}
	ds = cx_client_ensure_data(c, &disco_key, disco_state_make, NULL,
				   disco_state_free);
	if (ds == NULL) {
		cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_lock(&ds->lock);
	if (!ds->installed) {
		h1 = cx_client_on_iq(c, "get", CX_NS_DISCO_INFO, "query", on_info,
				     ds, NULL, CX_HANDLER_CONCURRENT);
		h2 = h1 ? cx_client_on_iq(c, "get", CX_NS_DISCO_ITEMS, "query",
					  on_items, ds, NULL,
					  CX_HANDLER_CONCURRENT)
			: 0;
		if (h1 == 0 || h2 == 0) {
			pthread_mutex_unlock(&ds->lock);
			if (h1 != 0)
				cx_client_remove_handler(c, h1);
			cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			return NULL;
		}
		ds->installed = true;
	}
	pthread_mutex_unlock(&ds->lock);
	return ds;
}

cx_status
cx_disco_enable(cx_client *c, cx_error *err)
{
	return disco_state_get(c, err) ? CX_OK
				       : (c ? CX_ERR_NOMEM : CX_ERR_INVALID);
}

#define GET_STATE(c)                                                  \
	disco_state *ds = disco_state_get((c), err);                  \
	if (ds == NULL)                                               \
		return (c) ? CX_ERR_NOMEM : CX_ERR_INVALID

cx_status
cx_disco_add_feature(cx_client *c, const char *var, cx_error *err)
{
	cx_status st;
	GET_STATE(c);

	pthread_mutex_lock(&ds->lock);
	if (!cx_disco_info_has_feature(ds->own, var)) {
		st = cx_disco_info_add_feature(ds->own, var, err);
		if (st == CX_OK)
			ds->gen++;
	} else {
		st = CX_OK;
	}
	pthread_mutex_unlock(&ds->lock);
	return st;
}

cx_status
cx_disco_remove_feature(cx_client *c, const char *var, cx_error *err)
{
	cx_status st = CX_ERR_NOT_FOUND;
	GET_STATE(c);

	if (var == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "var is NULL");
	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->own->nfeat; i++) {
		if (strcmp(ds->own->features[i], var) == 0) {
			free(ds->own->features[i]);
			memmove(&ds->own->features[i], &ds->own->features[i + 1],
				(ds->own->nfeat - i - 1) * sizeof(char *));
			ds->own->nfeat--;
			ds->gen++;
			st = CX_OK;
			break;
		}
	}
	pthread_mutex_unlock(&ds->lock);
	if (st != CX_OK)
		return cxi_error_set(err, st, "disco: feature '%.64s' not advertised",
				     var);
	return CX_OK;
}

cx_status
cx_disco_add_identity(cx_client *c, const char *category, const char *type,
		      const char *name, const char *lang, cx_error *err)
{
	cx_status st;
	GET_STATE(c);

	pthread_mutex_lock(&ds->lock);
	st = cx_disco_info_add_identity(ds->own, category, type, name, lang, err);
	if (st == CX_OK) {
		ds->has_identity = true;
		ds->gen++;
	}
	pthread_mutex_unlock(&ds->lock);
	return st;
}

cx_status
cx_disco_add_form(cx_client *c, const cx_form *form, cx_error *err)
{
	const char *ft = cx_form_get_form_type(form);
	cx_form *copy = NULL;
	cx_status st;
	GET_STATE(c);

	if (ft == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "disco: an extended-info form needs a FORM_TYPE");
	if ((st = cx_form_copy(&copy, form, err)) != CX_OK)
		return st;
	pthread_mutex_lock(&ds->lock);
	for (size_t i = 0; i < ds->own->nforms; i++) {
		const char *oft = cx_form_get_form_type(ds->own->forms[i]);

		if (oft != NULL && strcmp(oft, ft) == 0) {
			cx_form_free(ds->own->forms[i]);
			ds->own->forms[i] = copy;
			copy = NULL;
			break;
		}
	}
	if (copy != NULL && ds->own->nforms >= CX_DISCO_MAX_FORMS)
		st = cxi_error_set(err, CX_ERR_FULL, "disco: at most %u forms",
				   CX_DISCO_MAX_FORMS);
	else if (copy != NULL && info_push_form(ds->own, copy) != CX_OK)
		st = NOMEM();
	else
		copy = NULL;
	if (st == CX_OK)
		ds->gen++;
	pthread_mutex_unlock(&ds->lock);
	cx_form_free(copy);
	return st;
}

cx_status
cx_disco_add_item(cx_client *c, const char *jid, const char *node,
		  const char *name, cx_error *err)
{
	cx_status st;
	GET_STATE(c);

	pthread_mutex_lock(&ds->lock);
	st = cx_disco_items_add(ds->items, jid, node, name, err);
	pthread_mutex_unlock(&ds->lock);
	return st;
}

cx_status
cx_disco_add_node(cx_client *c, const char *node, cx_disco_node_fn fn,
		  void *arg, void (*arg_free)(void *), cx_error *err)
{
	node_reg *n, *old, *dead = NULL;
	GET_STATE(c);

	if (node == NULL || fn == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "disco: node or callback is NULL");
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->node = strdup(node)) == NULL) {
		free(n);
		return NOMEM();
	}
	n->fn = fn;
	n->arg = arg;
	n->arg_free = arg_free;
	n->refs = 1;
	pthread_mutex_lock(&ds->lock);
	if ((old = find_node_locked(ds, node)) != NULL) {
		node_reg **pp = &ds->nodes;

		while (*pp != old)
			pp = &(*pp)->next;
		*pp = old->next;
		node_unref_locked(old, &dead);
	}
	n->next = ds->nodes;
	ds->nodes = n;
	pthread_mutex_unlock(&ds->lock);
	node_free_list(dead);
	return CX_OK;
}

cx_status
cx_disco_remove_node(cx_client *c, const char *node, cx_error *err)
{
	node_reg *old, *dead = NULL;
	GET_STATE(c);

	if (node == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "node is NULL");
	pthread_mutex_lock(&ds->lock);
	if ((old = find_node_locked(ds, node)) != NULL) {
		node_reg **pp = &ds->nodes;

		while (*pp != old)
			pp = &(*pp)->next;
		*pp = old->next;
		node_unref_locked(old, &dead);
	}
	pthread_mutex_unlock(&ds->lock);
	node_free_list(dead);
	if (old == NULL)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "disco: no node '%.64s'", node);
	return CX_OK;
}

cx_status
cx_disco_get_own_info(cx_disco_info **out, cx_client *c, const char *node,
		      cx_error *err)
{
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	GET_STATE(c);
	pthread_mutex_lock(&ds->lock);
	st = own_snapshot_locked(out, ds, node);
	pthread_mutex_unlock(&ds->lock);
	if (st != CX_OK)
		return NOMEM();
	return CX_OK;
}

unsigned long
cx_disco_get_generation(cx_client *c)
{
	disco_state *ds = c ? cx_client_get_data(c, &disco_key) : NULL;
	unsigned long g = 0;

	if (ds == NULL)
		return 0;
	pthread_mutex_lock(&ds->lock);
	g = ds->gen;
	pthread_mutex_unlock(&ds->lock);
	return g;
}

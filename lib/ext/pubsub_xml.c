/*
 * lib/ext/pubsub_xml.c - XEP-0060 stanzas: builders and parsers.
 *
 * Design notes:
 * - Everything here is pure: stanzas in, structures out. The wrappers in
 *   pubsub.c only add the round trip, so every byte we send and every
 *   reply we accept is covered by unit tests against the XEP's examples.
 * - Peer input is bounded: at most CX_PUBSUB_MAX_ITEMS items and
 *   CX_PUBSUB_MAX_ENTRIES entries per reply (counted before anything is
 *   allocated), at most CX_PUBSUB_MAX_FORM_FIELDS form fields read. A
 *   reply that breaks a rule the XEP states (a subscription without jid,
 *   an affiliation with an unknown value, items without node) is
 *   CX_ERR_PROTOCOL, never a half-filled result.
 * - Items are not copied: their payloads are nodes of the reply, which the
 *   result keeps a reference to.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/forms.h"
#include "cxmpp/pubsub.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"
#include "lib/ext/pubsub_xml.h"

/* ---- names ----------------------------------------------------------- */

static const char *const sub_names[] = {
	[CX_PUBSUB_SUB_NONE] = "none",
	[CX_PUBSUB_SUB_PENDING] = "pending",
	[CX_PUBSUB_SUB_UNCONFIGURED] = "unconfigured",
	[CX_PUBSUB_SUB_SUBSCRIBED] = "subscribed",
};

static const char *const aff_names[] = {
	[CX_PUBSUB_AFF_NONE] = "none",
	[CX_PUBSUB_AFF_OWNER] = "owner",
	[CX_PUBSUB_AFF_PUBLISHER] = "publisher",
	[CX_PUBSUB_AFF_PUBLISH_ONLY] = "publish-only",
	[CX_PUBSUB_AFF_MEMBER] = "member",
	[CX_PUBSUB_AFF_OUTCAST] = "outcast",
};

const char *
cx_pubsub_sub_state_name(cx_pubsub_sub_state s)
{
	if ((unsigned)s >= sizeof(sub_names) / sizeof(sub_names[0]))
		return NULL;
	return sub_names[s];
}

const char *
cx_pubsub_affiliation_name(cx_pubsub_affiliation a)
{
	if ((unsigned)a >= sizeof(aff_names) / sizeof(aff_names[0]))
		return NULL;
	return aff_names[a];
}

static int
sub_state_of(cx_pubsub_sub_state *out, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(sub_names) / sizeof(sub_names[0]); i++)
		if (strcmp(s, sub_names[i]) == 0) {
			*out = (cx_pubsub_sub_state)i;
			return 0;
		}
	return -1;
}

static int
aff_of(cx_pubsub_affiliation *out, const char *s)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < sizeof(aff_names) / sizeof(aff_names[0]); i++)
		if (strcmp(s, aff_names[i]) == 0) {
			*out = (cx_pubsub_affiliation)i;
			return 0;
		}
	return -1;
}

/* ---- building -------------------------------------------------------- */

cx_status
cxi_pubsub_new_iq(cx_stanza **out, xmlNodePtr *ps, const char *type,
		  const char *service, const char *ns, cx_error *err)
{
	cx_status st;

	*out = NULL;
	st = cx_stanza_new_iq(out, type, service, ns,
			      strcmp(ns, CXI_NS_DISCO_INFO) == 0 ||
			      strcmp(ns, CXI_NS_DISCO_ITEMS) == 0 ? "query" : "pubsub",
			      err);
	if (st != CX_OK)
		return st;
	*ps = cx_stanza_payload(*out);
	return CX_OK;
}

static cx_status
add_field_node(xmlNodePtr *out, xmlNodePtr x, const char *var, const char *type,
	       const char *value, cx_error *err)
{
	xmlNodePtr f;
	cx_status st;

	if ((st = cxi_px_add(&f, x, NULL, "field", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(f, "var", var, err)) != CX_OK ||
	    (st = cxi_px_set(f, "type", type, err)) != CX_OK ||
	    (st = cxi_px_add(NULL, f, NULL, "value", value, err)) != CX_OK)
		return st;
	if (out != NULL)
		*out = f;
	return CX_OK;
}

static cx_status
add_field(xmlNodePtr x, const char *var, const char *type, const char *value,
	  cx_error *err)
{
	return add_field_node(NULL, x, var, type, value, err);
}

cx_status
cxi_pubsub_add_form(xmlNodePtr *out, xmlNodePtr parent, const char *form_type,
		    const char *const *kv, cx_error *err)
{
	xmlNodePtr x, last = NULL;
	cx_status st;
	size_t i;

	if ((st = cxi_px_add(&x, parent, CX_NS_DATA_FORMS, "x", NULL, err)) != CX_OK)
		return st;
	if ((st = cxi_px_set(x, "type", "submit", err)) != CX_OK)
		return st;
	if ((st = add_field(x, "FORM_TYPE", "hidden", form_type, err)) != CX_OK)
		return st;
	for (i = 0; kv != NULL && kv[i] != NULL; i += 2) {
		if (kv[i + 1] == NULL)
			return cxi_error_set(err, CX_ERR_INVALID,
					     "form field %s has no value", kv[i]);
		if (strcmp(kv[i], "FORM_TYPE") == 0)
			continue;
		/* A var repeated in consecutive pairs is one multi-valued
		 * field (list-multi, jid-multi), as XEP-0004 and the
		 * XEP-0060 examples write it, not several fields. */
		if (last != NULL && i >= 2 && strcmp(kv[i], kv[i - 2]) == 0) {
			if ((st = cxi_px_add(NULL, last, NULL, "value", kv[i + 1],
					     err)) != CX_OK)
				return st;
			continue;
		}
		if ((st = add_field_node(&last, x, kv[i], NULL, kv[i + 1], err)) != CX_OK)
			return st;
	}
	if (out != NULL)
		*out = x;
	return CX_OK;
}

static cx_status
need_node(const char *node, cx_error *err)
{
	if (node == NULL || *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: a node name is required");
	return CX_OK;
}

static cx_status
finish(cx_stanza **out, cx_status st)
{
	if (st != CX_OK) {
		cx_stanza_unref(*out);
		*out = NULL;
	}
	return st;
}

cx_status
cxi_pubsub_build_disco(cx_stanza **out, const char *service, const char *node,
		       int items, cx_error *err)
{
	xmlNodePtr q;
	cx_status st;

	st = cxi_pubsub_new_iq(out, &q, "get", service,
			       items ? CXI_NS_DISCO_ITEMS : CXI_NS_DISCO_INFO, err);
	if (st != CX_OK)
		return st;
	return finish(out, cxi_px_set(q, "node", node, err));
}

cx_status
cxi_pubsub_build_subscriptions(cx_stanza **out, const char *service,
			       const char *node, int owner, cx_error *err)
{
	xmlNodePtr ps, s;
	cx_status st;

	if (owner && (st = need_node(node, err)) != CX_OK)
		return st;
	st = cxi_pubsub_new_iq(out, &ps, "get", service,
			       owner ? CX_NS_PUBSUB_OWNER : CX_NS_PUBSUB, err);
	if (st != CX_OK)
		return st;
	if ((st = cxi_px_add(&s, ps, NULL, "subscriptions", NULL, err)) == CX_OK)
		st = cxi_px_set(s, "node", node, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_affiliations(cx_stanza **out, const char *service,
			      const char *node, int owner, cx_error *err)
{
	xmlNodePtr ps, s;
	cx_status st;

	if (owner && (st = need_node(node, err)) != CX_OK)
		return st;
	st = cxi_pubsub_new_iq(out, &ps, "get", service,
			       owner ? CX_NS_PUBSUB_OWNER : CX_NS_PUBSUB, err);
	if (st != CX_OK)
		return st;
	if ((st = cxi_px_add(&s, ps, NULL, "affiliations", NULL, err)) == CX_OK)
		st = cxi_px_set(s, "node", node, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_subscribe(cx_stanza **out, const char *service,
			   const char *node, const char *jid,
			   const char *const *options, cx_error *err)
{
	xmlNodePtr ps, s, o;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "subscribe: no jid");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&s, ps, NULL, "subscribe", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(s, "node", node, err)) != CX_OK ||
	    (st = cxi_px_set(s, "jid", jid, err)) != CX_OK)
		return finish(out, st);
	if (options != NULL) {
		if ((st = cxi_px_add(&o, ps, NULL, "options", NULL, err)) != CX_OK)
			return finish(out, st);
		st = cxi_pubsub_add_form(NULL, o, CX_NS_PUBSUB_SUB_OPTIONS,
					 options, err);
	}
	return finish(out, st);
}

cx_status
cxi_pubsub_build_unsubscribe(cx_stanza **out, const char *service,
			     const char *node, const char *jid,
			     const char *subid, cx_error *err)
{
	xmlNodePtr ps, s;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "unsubscribe: no jid");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&s, ps, NULL, "unsubscribe", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(s, "node", node, err)) != CX_OK ||
	    (st = cxi_px_set(s, "jid", jid, err)) != CX_OK)
		return finish(out, st);
	return finish(out, cxi_px_set(s, "subid", subid, err));
}

cx_status
cxi_pubsub_build_options(cx_stanza **out, const char *service,
			 const char *node, const char *jid, const char *subid,
			 const char *const *options, cx_error *err)
{
	xmlNodePtr ps, o;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "options: no jid");
	st = cxi_pubsub_new_iq(out, &ps, options ? "set" : "get", service,
			       CX_NS_PUBSUB, err);
	if (st != CX_OK)
		return st;
	if ((st = cxi_px_add(&o, ps, NULL, "options", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(o, "node", node, err)) != CX_OK ||
	    (st = cxi_px_set(o, "jid", jid, err)) != CX_OK ||
	    (st = cxi_px_set(o, "subid", subid, err)) != CX_OK)
		return finish(out, st);
	if (options != NULL)
		st = cxi_pubsub_add_form(NULL, o, CX_NS_PUBSUB_SUB_OPTIONS,
					 options, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_items(cx_stanza **out, const char *service, const char *node,
		       const cx_pubsub_items_query *q, cx_error *err)
{
	xmlNodePtr ps, items, it;
	cx_status st;
	char buf[32];
	size_t i;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (q != NULL && q->version != CX_PUBSUB_ITEMS_QUERY_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID, "items query: bad version");
	if (q != NULL && (q->max_items < 0 || q->max_items > INT32_MAX))
		return cxi_error_set(err, CX_ERR_INVALID, "items query: bad max_items");
	if (q != NULL && q->item_ids != NULL && q->item_ids[0] == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "items query: empty id list");
	if ((st = cxi_pubsub_new_iq(out, &ps, "get", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&items, ps, NULL, "items", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(items, "node", node, err)) != CX_OK)
		return finish(out, st);
	if (q == NULL)
		return CX_OK;
	if ((st = cxi_px_set(items, "subid", q->subid, err)) != CX_OK)
		return finish(out, st);
	if (q->max_items > 0) {
		snprintf(buf, sizeof(buf), "%ld", q->max_items);
		if ((st = cxi_px_set(items, "max_items", buf, err)) != CX_OK)
			return finish(out, st);
	}
	for (i = 0; q->item_ids != NULL && q->item_ids[i] != NULL; i++) {
		if (*q->item_ids[i] == '\0')
			return finish(out, cxi_error_set(err, CX_ERR_INVALID,
							 "items query: empty id"));
		if ((st = cxi_px_add(&it, items, NULL, "item", NULL, err)) != CX_OK ||
		    (st = cxi_px_set(it, "id", q->item_ids[i], err)) != CX_OK)
			return finish(out, st);
	}
	if (q->rsm != NULL)
		st = cx_rsm_add_request(NULL, ps, q->rsm, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_publish(cx_stanza **out, const char *service,
			 const char *node, size_t n,
			 const char *const *item_ids,
			 const xmlNode *const *payloads,
			 const char *const *options, cx_error *err)
{
	xmlNodePtr ps, pub, it, po;
	cx_status st;
	size_t i;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (n == 0 || n > CX_PUBSUB_MAX_ITEMS)
		return cxi_error_set(err, CX_ERR_INVALID, "publish: 1 to %d items",
				     CX_PUBSUB_MAX_ITEMS);
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&pub, ps, NULL, "publish", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(pub, "node", node, err)) != CX_OK)
		return finish(out, st);
	for (i = 0; i < n; i++) {
		const char *id = item_ids ? item_ids[i] : NULL;

		if (id != NULL && *id == '\0')
			return finish(out, cxi_error_set(err, CX_ERR_INVALID,
							 "publish: empty item id"));
		if ((st = cxi_px_add(&it, pub, NULL, "item", NULL, err)) != CX_OK ||
		    (st = cxi_px_set(it, "id", id, err)) != CX_OK)
			return finish(out, st);
		if (payloads != NULL && payloads[i] != NULL &&
		    (st = cxi_px_copy_under(NULL, it, payloads[i], err)) != CX_OK)
			return finish(out, st);
	}
	if (options != NULL) {
		if ((st = cxi_px_add(&po, ps, NULL, "publish-options", NULL, err)) != CX_OK)
			return finish(out, st);
		st = cxi_pubsub_add_form(NULL, po, CX_NS_PUBSUB_PUBLISH_OPTIONS,
					 options, err);
	}
	return finish(out, st);
}

cx_status
cxi_pubsub_build_retract(cx_stanza **out, const char *service,
			 const char *node, const char *item_id, int notify,
			 cx_error *err)
{
	xmlNodePtr ps, r, it;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (item_id == NULL || *item_id == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "retract: no item id");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&r, ps, NULL, "retract", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(r, "node", node, err)) != CX_OK ||
	    (st = cxi_px_set(r, "notify", notify ? "true" : NULL, err)) != CX_OK ||
	    (st = cxi_px_add(&it, r, NULL, "item", NULL, err)) != CX_OK)
		return finish(out, st);
	return finish(out, cxi_px_set(it, "id", item_id, err));
}

cx_status
cxi_pubsub_build_create(cx_stanza **out, const char *service,
			const char *node, const char *const *config,
			cx_error *err)
{
	xmlNodePtr ps, cr, cf;
	cx_status st;

	if (node != NULL && *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "create: empty node name");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&cr, ps, NULL, "create", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(cr, "node", node, err)) != CX_OK)
		return finish(out, st);
	if (config != NULL) {
		if ((st = cxi_px_add(&cf, ps, NULL, "configure", NULL, err)) != CX_OK)
			return finish(out, st);
		st = cxi_pubsub_add_form(NULL, cf, CX_NS_PUBSUB_NODE_CONFIG,
					 config, err);
	}
	return finish(out, st);
}

cx_status
cxi_pubsub_build_configure(cx_stanza **out, const char *service,
			   const char *node, const char *const *config,
			   cx_error *err)
{
	xmlNodePtr ps, cf;
	cx_status st;

	if (node == NULL && config != NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "configure: the default configuration is read-only");
	if (node != NULL && *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "configure: empty node name");
	st = cxi_pubsub_new_iq(out, &ps, config ? "set" : "get", service,
			       CX_NS_PUBSUB_OWNER, err);
	if (st != CX_OK)
		return st;
	if (node == NULL)
		return finish(out, cxi_px_add(NULL, ps, NULL, "default", NULL, err));
	if ((st = cxi_px_add(&cf, ps, NULL, "configure", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(cf, "node", node, err)) != CX_OK)
		return finish(out, st);
	if (config != NULL)
		st = cxi_pubsub_add_form(NULL, cf, CX_NS_PUBSUB_NODE_CONFIG,
					 config, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_delete(cx_stanza **out, const char *service,
			const char *node, const char *redirect, cx_error *err)
{
	xmlNodePtr ps, d, r;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB_OWNER, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&d, ps, NULL, "delete", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(d, "node", node, err)) != CX_OK)
		return finish(out, st);
	if (redirect != NULL) {
		if ((st = cxi_px_add(&r, d, NULL, "redirect", NULL, err)) == CX_OK)
			st = cxi_px_set(r, "uri", redirect, err);
	}
	return finish(out, st);
}

cx_status
cxi_pubsub_build_purge(cx_stanza **out, const char *service, const char *node,
		       cx_error *err)
{
	xmlNodePtr ps, p;
	cx_status st;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB_OWNER, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&p, ps, NULL, "purge", NULL, err)) == CX_OK)
		st = cxi_px_set(p, "node", node, err);
	return finish(out, st);
}

cx_status
cxi_pubsub_build_set_subscriptions(cx_stanza **out, const char *service,
				   const char *node,
				   const cx_pubsub_subscription *s, size_t n,
				   cx_error *err)
{
	xmlNodePtr ps, l, e;
	cx_status st;
	size_t i;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (n == 0 || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no subscriptions to set");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB_OWNER, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&l, ps, NULL, "subscriptions", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(l, "node", node, err)) != CX_OK)
		return finish(out, st);
	for (i = 0; i < n; i++) {
		const char *name = cx_pubsub_sub_state_name(s[i].state);

		if (s[i].jid == NULL || name == NULL)
			return finish(out, cxi_error_set(err, CX_ERR_INVALID,
							 "subscription %zu: no jid or bad state", i));
		if ((st = cxi_px_add(&e, l, NULL, "subscription", NULL, err)) != CX_OK ||
		    (st = cxi_px_set(e, "jid", s[i].jid, err)) != CX_OK ||
		    (st = cxi_px_set(e, "subscription", name, err)) != CX_OK ||
		    (st = cxi_px_set(e, "subid", s[i].subid, err)) != CX_OK)
			return finish(out, st);
	}
	return CX_OK;
}

cx_status
cxi_pubsub_build_set_affiliations(cx_stanza **out, const char *service,
				  const char *node,
				  const cx_pubsub_affiliation_entry *a,
				  size_t n, cx_error *err)
{
	xmlNodePtr ps, l, e;
	cx_status st;
	size_t i;

	if ((st = need_node(node, err)) != CX_OK)
		return st;
	if (n == 0 || a == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no affiliations to set");
	if ((st = cxi_pubsub_new_iq(out, &ps, "set", service, CX_NS_PUBSUB_OWNER, err)) != CX_OK)
		return st;
	if ((st = cxi_px_add(&l, ps, NULL, "affiliations", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(l, "node", node, err)) != CX_OK)
		return finish(out, st);
	for (i = 0; i < n; i++) {
		const char *name = cx_pubsub_affiliation_name(a[i].affiliation);

		if (a[i].jid == NULL || name == NULL)
			return finish(out, cxi_error_set(err, CX_ERR_INVALID,
							 "affiliation %zu: no jid or bad value", i));
		if ((st = cxi_px_add(&e, l, NULL, "affiliation", NULL, err)) != CX_OK ||
		    (st = cxi_px_set(e, "jid", a[i].jid, err)) != CX_OK ||
		    (st = cxi_px_set(e, "affiliation", name, err)) != CX_OK)
			return finish(out, st);
	}
	return CX_OK;
}

cx_status
cxi_pubsub_build_authorization(cx_stanza **out, const cx_pubsub_event *req,
			       int allow, cx_error *err)
{
	xmlNodePtr x;
	cx_status st;
	const char *kv[9];
	size_t k = 0;

	*out = NULL;
	if (req == NULL || req->kind != CX_PUBSUB_EVENT_AUTHORIZATION ||
	    req->node == NULL || req->jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "not an authorization request");
	if ((st = cx_stanza_new_message(out, req->from, NULL, NULL, err)) != CX_OK)
		return st;
	if (req->subid != NULL) {
		kv[k++] = "pubsub#subid";
		kv[k++] = req->subid;
	}
	kv[k++] = "pubsub#node";
	kv[k++] = req->node;
	kv[k++] = "pubsub#subscriber_jid";
	kv[k++] = req->jid;
	kv[k++] = "pubsub#allow";
	kv[k++] = allow ? "true" : "false";
	kv[k] = NULL;
	st = cxi_pubsub_add_form(&x, cx_stanza_node(*out), CX_NS_PUBSUB_SUB_AUTH,
				 kv, err);
	return finish(out, st);
}

/* ---- errors ---------------------------------------------------------- */

cx_status
cxi_pubsub_reply_error(const cx_stanza *reply, cx_error *err)
{
	cx_error e = CX_ERROR_INIT;
	xmlNodePtr er, c;
	const char *feature = NULL;
	cx_status st;

	st = cx_stanza_get_error(reply, &e);
	if (st != CX_ERR_STANZA_ERROR) {
		e.status = CX_ERR_PROTOCOL;
		snprintf(e.message, sizeof(e.message),
			 "an error reply without a valid <error/>");
		cxi_error_copy(err, &e);
		return CX_ERR_PROTOCOL;
	}
	er = cx_stanza_find_child(reply, NULL, "error");
	for (c = er ? er->children : NULL; c != NULL; c = c->next)
		if (cxi_px_is(c, CX_NS_PUBSUB_ERRORS, "unsupported"))
			feature = cxi_px_attr(c, "feature");
	if (strcmp(e.app_ns, CX_NS_PUBSUB_ERRORS) == 0 &&
	    strcmp(e.app_condition, "unsupported") == 0) {
		e.status = CX_ERR_NOT_SUPPORTED;
		snprintf(e.message, sizeof(e.message),
			 "not supported by this service: pubsub#%.100s (%.64s)",
			 feature ? feature : "?", e.condition);
	} else if (strcmp(e.condition, "feature-not-implemented") == 0 &&
		   e.app_condition[0] == '\0') {
		e.status = CX_ERR_NOT_SUPPORTED;
		snprintf(e.message, sizeof(e.message),
			 "not supported by this service (feature-not-implemented%s%.150s)",
			 e.text[0] ? ": " : "", e.text);
	} else {
		e.status = CX_ERR_STANZA_ERROR;
		snprintf(e.message, sizeof(e.message), "pubsub error: %.63s%s%.63s%s%.100s",
			 e.condition, e.app_condition[0] ? "/" : "", e.app_condition,
			 e.text[0] ? ": " : "", e.text);
	}
	cxi_error_copy(err, &e);
	return e.status;
}

/* ---- parsing results ------------------------------------------------- */

static cx_status
protocol(cx_error *err, const char *what)
{
	return cxi_error_set(err, CX_ERR_PROTOCOL, "malformed pubsub reply: %s", what);
}

static xmlNodePtr
reply_child(const cx_stanza *reply, const char *ns, const char *name)
{
	xmlNodePtr ps = cx_stanza_find_child(reply, ns, "pubsub");

	return ps ? cxi_px_child(ps, ns, name) : NULL;
}

static size_t
count_children(const xmlNode *parent, const char *ns, const char *name,
	       size_t cap)
{
	xmlNodePtr c;
	size_t n = 0;

	for (c = cxi_px_child(parent, ns, name); c != NULL && n <= cap;
	     c = cxi_px_next(c, ns, name))
		n++;
	return n;
}

void
cx_pubsub_subscriptions_free(cx_pubsub_subscriptions *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->v[i].node);
		free(l->v[i].jid);
		free(l->v[i].subid);
		free(l->v[i].expiry);
	}
	free(l->v);
	free(l);
}

void
cx_pubsub_affiliations_free(cx_pubsub_affiliations *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->v[i].node);
		free(l->v[i].jid);
	}
	free(l->v);
	free(l);
}

static cx_status
read_subscription(cx_pubsub_subscription *s, const xmlNode *e,
		  const char *dflt_node, int need_jid, cx_error *err)
{
	const char *state = cxi_px_attr(e, "subscription");
	xmlNodePtr so;
	cx_status st;

	if (need_jid && cxi_px_attr(e, "jid") == NULL)
		return protocol(err, "<subscription/> without jid");
	if (state == NULL)
		s->state = CX_PUBSUB_SUB_SUBSCRIBED;
	else if (sub_state_of(&s->state, state) != 0)
		return protocol(err, "unknown subscription state");
	if ((st = cxi_px_attr_dup(&s->jid, e, "jid", err)) != CX_OK ||
	    (st = cxi_px_attr_dup(&s->subid, e, "subid", err)) != CX_OK ||
	    (st = cxi_px_attr_dup(&s->expiry, e, "expiry", err)) != CX_OK)
		return st;
	if (cxi_px_attr(e, "node") != NULL)
		st = cxi_px_attr_dup(&s->node, e, "node", err);
	else
		st = cxi_px_strdup(&s->node, dflt_node, err);
	if (st != CX_OK)
		return st;
	so = cxi_px_child(e, NULL, "subscribe-options");
	if (so != NULL) {
		s->options_supported = 1;
		s->options_required = cxi_px_child(so, NULL, "required") != NULL;
	}
	return CX_OK;
}

static cx_status
alloc_list(void **v, size_t n, size_t size, cx_error *err)
{
	*v = NULL;
	if (n == 0)
		return CX_OK;
	*v = calloc(n, size);
	if (*v == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

cx_status
cxi_pubsub_parse_subscriptions(cx_pubsub_subscriptions **out,
			       const cx_stanza *reply, int owner,
			       cx_error *err)
{
	return cxi_pubsub_parse_subscriptions_at(out, reply, owner, NULL, err);
}

cx_status
cxi_pubsub_parse_subscriptions_at(cx_pubsub_subscriptions **out,
				  const cx_stanza *reply, int owner,
				  const char *asked_node, cx_error *err)
{
	const char *ns = owner ? CX_NS_PUBSUB_OWNER : CX_NS_PUBSUB;
	xmlNodePtr l, e;
	cx_pubsub_subscriptions *r;
	cx_status st;
	size_t n;

	*out = NULL;
	l = reply_child(reply, ns, "subscriptions");
	if (l == NULL)
		return protocol(err, "no <subscriptions/>");
	n = count_children(l, ns, "subscription", CX_PUBSUB_MAX_ENTRIES);
	if (n > CX_PUBSUB_MAX_ENTRIES)
		return protocol(err, "too many subscriptions");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if ((st = alloc_list((void **)&r->v, n, sizeof(*r->v), err)) != CX_OK)
		goto fail;
	for (e = cxi_px_child(l, ns, "subscription"); e != NULL;
	     e = cxi_px_next(e, ns, "subscription")) {
		r->count++;
		/* The node: the entry's, the list's, or (ejabberd names
		 * neither) the one the request asked about. */
		st = read_subscription(&r->v[r->count - 1], e,
				       cxi_px_attr(l, "node") ? cxi_px_attr(l, "node")
							      : asked_node, 1, err);
		if (st != CX_OK)
			goto fail;
		if (!owner && r->v[r->count - 1].node == NULL) {
			st = protocol(err, "<subscription/> without node");
			goto fail;
		}
	}
	*out = r;
	return CX_OK;
fail:
	cx_pubsub_subscriptions_free(r);
	return st;
}

cx_status
cxi_pubsub_parse_subscribe(cx_pubsub_subscriptions **out,
			   const cx_stanza *reply, const char *node,
			   const char *jid, cx_error *err)
{
	cx_pubsub_subscriptions *r;
	xmlNodePtr e;
	cx_status st;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->v = calloc(1, sizeof(*r->v))) == NULL) {
		free(r);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	r->count = 1;
	e = reply_child(reply, CX_NS_PUBSUB, "subscription");
	if (e == NULL) {
		/* 6.1.2: an empty result means subscribed. */
		r->v[0].state = CX_PUBSUB_SUB_SUBSCRIBED;
		if ((st = cxi_px_strdup(&r->v[0].node, node, err)) != CX_OK ||
		    (st = cxi_px_strdup(&r->v[0].jid, jid, err)) != CX_OK)
			goto fail;
	} else if ((st = read_subscription(&r->v[0], e, node, 1, err)) != CX_OK) {
		goto fail;
	}
	*out = r;
	return CX_OK;
fail:
	cx_pubsub_subscriptions_free(r);
	return st;
}

cx_status
cxi_pubsub_parse_affiliations(cx_pubsub_affiliations **out,
			      const cx_stanza *reply, int owner, cx_error *err)
{
	const char *ns = owner ? CX_NS_PUBSUB_OWNER : CX_NS_PUBSUB;
	xmlNodePtr l, e;
	cx_pubsub_affiliations *r;
	cx_status st;
	size_t n;

	*out = NULL;
	l = reply_child(reply, ns, "affiliations");
	if (l == NULL)
		return protocol(err, "no <affiliations/>");
	n = count_children(l, ns, "affiliation", CX_PUBSUB_MAX_ENTRIES);
	if (n > CX_PUBSUB_MAX_ENTRIES)
		return protocol(err, "too many affiliations");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if ((st = alloc_list((void **)&r->v, n, sizeof(*r->v), err)) != CX_OK)
		goto fail;
	for (e = cxi_px_child(l, ns, "affiliation"); e != NULL;
	     e = cxi_px_next(e, ns, "affiliation")) {
		cx_pubsub_affiliation_entry *a = &r->v[r->count++];

		if (aff_of(&a->affiliation, cxi_px_attr(e, "affiliation")) != 0) {
			st = protocol(err, "missing or unknown affiliation");
			goto fail;
		}
		if (owner ? cxi_px_attr(e, "jid") == NULL
			  : cxi_px_attr(e, "node") == NULL) {
			st = protocol(err, owner ? "<affiliation/> without jid"
						 : "<affiliation/> without node");
			goto fail;
		}
		if ((st = cxi_px_attr_dup(&a->jid, e, "jid", err)) != CX_OK)
			goto fail;
		if (cxi_px_attr(e, "node") != NULL)
			st = cxi_px_attr_dup(&a->node, e, "node", err);
		else
			st = cxi_px_strdup(&a->node, cxi_px_attr(l, "node"), err);
		if (st != CX_OK)
			goto fail;
	}
	*out = r;
	return CX_OK;
fail:
	cx_pubsub_affiliations_free(r);
	return st;
}

void
cx_pubsub_items_free(cx_pubsub_items *items)
{
	if (items == NULL)
		return;
	free(items->node);
	free(items->v);
	cx_rsm_result_clear(&items->rsm);
	cx_stanza_unref(items->stanza);
	free(items);
}

static xmlNodePtr
first_element(const xmlNode *n)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

/* Fills v[] (counted by the caller) from the <item/> children of `items`. */
static cx_status
read_items(cx_pubsub_item *v, size_t *count, const xmlNode *items,
	   const char *ns, int need_id, cx_error *err)
{
	xmlNodePtr it;

	*count = 0;
	for (it = cxi_px_child(items, ns, "item"); it != NULL;
	     it = cxi_px_next(it, ns, "item")) {
		cx_pubsub_item *i = &v[(*count)++];

		i->id = cxi_px_attr(it, "id");
		if (need_id && (i->id == NULL || *i->id == '\0'))
			return protocol(err, "<item/> without id");
		i->publisher = cxi_px_attr(it, "publisher");
		i->payload = first_element(it);
	}
	return CX_OK;
}

cx_status
cxi_pubsub_parse_items(cx_pubsub_items **out, cx_stanza *reply, cx_error *err)
{
	xmlNodePtr ps, items;
	cx_pubsub_items *r;
	cx_status st;
	size_t n;

	*out = NULL;
	ps = cx_stanza_find_child(reply, CX_NS_PUBSUB, "pubsub");
	items = ps ? cxi_px_child(ps, CX_NS_PUBSUB, "items") : NULL;
	if (items == NULL)
		return protocol(err, "no <items/>");
	if (cxi_px_attr(items, "node") == NULL)
		return protocol(err, "<items/> without node");
	n = count_children(items, CX_NS_PUBSUB, "item", CX_PUBSUB_MAX_ITEMS);
	if (n > CX_PUBSUB_MAX_ITEMS)
		return protocol(err, "more items than CX_PUBSUB_MAX_ITEMS");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	r->rsm.first_index = r->rsm.count = -1;
	if ((st = alloc_list((void **)&r->v, n, sizeof(*r->v), err)) != CX_OK ||
	    (st = cxi_px_attr_dup(&r->node, items, "node", err)) != CX_OK ||
	    (st = read_items(r->v, &r->count, items, CX_NS_PUBSUB, 1, err)) != CX_OK ||
	    (st = cx_rsm_parse(&r->rsm, ps, err)) != CX_OK)
		goto fail;
	r->stanza = cx_stanza_ref(reply);
	*out = r;
	return CX_OK;
fail:
	cx_pubsub_items_free(r);
	return st;
}

cx_status
cxi_pubsub_parse_publish(char ***ids, size_t *n, const cx_stanza *reply,
			 cx_error *err)
{
	xmlNodePtr pub, it;
	size_t k = 0, cnt;
	char **v;

	*ids = NULL;
	*n = 0;
	pub = reply_child(reply, CX_NS_PUBSUB, "publish");
	if (pub == NULL)
		return CX_OK; /* 7.1.2: the service may return an empty result */
	cnt = count_children(pub, CX_NS_PUBSUB, "item", CX_PUBSUB_MAX_ITEMS);
	if (cnt > CX_PUBSUB_MAX_ITEMS)
		return protocol(err, "too many items in the publish reply");
	if (cnt == 0)
		return CX_OK;
	if ((v = calloc(cnt, sizeof(*v))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	for (it = cxi_px_child(pub, CX_NS_PUBSUB, "item"); it != NULL;
	     it = cxi_px_next(it, CX_NS_PUBSUB, "item")) {
		const char *id = cxi_px_attr(it, "id");

		if (id == NULL || *id == '\0')
			continue;
		if ((v[k] = strdup(id)) == NULL) {
			while (k > 0)
				free(v[--k]);
			free(v);
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
		k++;
	}
	if (k == 0) {
		free(v);
		return CX_OK;
	}
	*ids = v;
	*n = k;
	return CX_OK;
}

cx_status
cxi_pubsub_parse_create(char **node, const cx_stanza *reply, cx_error *err)
{
	xmlNodePtr cr = reply_child(reply, CX_NS_PUBSUB, "create");

	*node = NULL;
	if (cr == NULL)
		return CX_OK;
	return cxi_px_attr_dup(node, cr, "node", err);
}

/* ---- disco ------------------------------------------------------------ */

void
cx_pubsub_info_free(cx_pubsub_info *info)
{
	size_t i;

	if (info == NULL)
		return;
	for (i = 0; i < info->n_features; i++)
		free(info->features[i]);
	free(info->features);
	free(info->category);
	free(info->type);
	cx_stanza_unref(info->stanza);
	free(info);
}

const char *
cx_pubsub_form_value(const xmlNode *form, const char *var)
{
	xmlNodePtr f, v;
	size_t n = 0;

	if (form == NULL || var == NULL)
		return NULL;
	for (f = cxi_px_child(form, CX_NS_DATA_FORMS, "field");
	     f != NULL && n < CX_PUBSUB_MAX_FORM_FIELDS;
	     f = cxi_px_next(f, CX_NS_DATA_FORMS, "field"), n++) {
		const char *fv = cxi_px_attr(f, "var");

		if (fv == NULL || strcmp(fv, var) != 0)
			continue;
		v = cxi_px_child(f, CX_NS_DATA_FORMS, "value");
		if (v == NULL)
			return NULL;
		if (v->children == NULL)
			return "";
		if (v->children->type != XML_TEXT_NODE || v->children->next != NULL)
			return NULL;
		return (const char *)v->children->content;
	}
	return NULL;
}

cx_status
cxi_pubsub_parse_info(cx_pubsub_info **out, cx_stanza *reply, cx_error *err)
{
	xmlNodePtr q, c;
	cx_pubsub_info *r;
	cx_status st;
	size_t n;

	*out = NULL;
	q = cx_stanza_find_child(reply, CXI_NS_DISCO_INFO, "query");
	if (q == NULL)
		return protocol(err, "no disco#info <query/>");
	n = count_children(q, CXI_NS_DISCO_INFO, "feature", CX_PUBSUB_MAX_ENTRIES);
	if (n > CX_PUBSUB_MAX_ENTRIES)
		return protocol(err, "too many features");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if ((st = alloc_list((void **)&r->features, n, sizeof(char *), err)) != CX_OK)
		goto fail;
	for (c = cxi_px_child(q, CXI_NS_DISCO_INFO, "feature"); c != NULL;
	     c = cxi_px_next(c, CXI_NS_DISCO_INFO, "feature")) {
		if (cxi_px_attr(c, "var") == NULL)
			continue;
		if ((st = cxi_px_attr_dup(&r->features[r->n_features], c, "var", err)) != CX_OK)
			goto fail;
		r->n_features++;
	}
	c = cxi_px_child(q, CXI_NS_DISCO_INFO, "identity");
	if (c != NULL &&
	    ((st = cxi_px_attr_dup(&r->category, c, "category", err)) != CX_OK ||
	     (st = cxi_px_attr_dup(&r->type, c, "type", err)) != CX_OK))
		goto fail;
	for (c = cxi_px_child(q, CX_NS_DATA_FORMS, "x"); c != NULL;
	     c = cxi_px_next(c, CX_NS_DATA_FORMS, "x")) {
		const char *ft = cx_pubsub_form_value(c, "FORM_TYPE");

		if (ft != NULL && strcmp(ft, CX_NS_PUBSUB_META_DATA) == 0) {
			r->meta_data = c;
			break;
		}
	}
	r->stanza = cx_stanza_ref(reply);
	*out = r;
	return CX_OK;
fail:
	cx_pubsub_info_free(r);
	return st;
}

int
cx_pubsub_info_has_feature(const cx_pubsub_info *info, const char *feature)
{
	size_t i, pl = strlen(CX_NS_PUBSUB);

	if (info == NULL || feature == NULL)
		return 0;
	for (i = 0; i < info->n_features; i++) {
		const char *f = info->features[i];

		if (strncmp(f, CX_NS_PUBSUB, pl) == 0 && f[pl] == '#' &&
		    strcmp(f + pl + 1, feature) == 0)
			return 1;
		if (strcmp(f, feature) == 0)
			return 1;
	}
	return 0;
}

cx_status
cx_pubsub_require_feature(const cx_pubsub_info *info, const char *feature,
			  cx_error *err)
{
	const char *from;

	if (info == NULL || feature == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no info or feature");
	if (cx_pubsub_info_has_feature(info, feature))
		return CX_OK;
	from = info->stanza ? cx_stanza_get_from(info->stanza) : NULL;
	return cxi_error_set(err, CX_ERR_NOT_SUPPORTED,
			     "not supported by this service: %s lacks pubsub#%s",
			     from ? from : "the service", feature);
}

void
cx_pubsub_node_list_free(cx_pubsub_node_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++) {
		free(l->v[i].jid);
		free(l->v[i].node);
		free(l->v[i].name);
	}
	free(l->v);
	free(l);
}

cx_status
cxi_pubsub_parse_disco_items(cx_pubsub_node_list *list,
			     const cx_stanza *reply, int depth,
			     size_t max_count, cx_error *err)
{
	xmlNodePtr q, c;
	cx_status st;

	q = cx_stanza_find_child(reply, CXI_NS_DISCO_ITEMS, "query");
	if (q == NULL)
		return protocol(err, "no disco#items <query/>");
	for (c = cxi_px_child(q, CXI_NS_DISCO_ITEMS, "item"); c != NULL;
	     c = cxi_px_next(c, CXI_NS_DISCO_ITEMS, "item")) {
		cx_pubsub_node_entry *e, *nv;

		if (cxi_px_attr(c, "jid") == NULL)
			return protocol(err, "disco#items <item/> without jid");
		if (list->count >= max_count) {
			list->truncated = 1;
			return CX_OK;
		}
		if (list->count == 0 ||
		    (list->count >= 8 && (list->count & (list->count - 1)) == 0)) {
			size_t cap = list->count ? list->count * 2 : 8;

			nv = realloc(list->v, cap * sizeof(*nv));
			if (nv == NULL)
				return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			list->v = nv;
		}
		e = &list->v[list->count];
		memset(e, 0, sizeof(*e));
		e->depth = depth;
		list->count++;
		if ((st = cxi_px_attr_dup(&e->jid, c, "jid", err)) != CX_OK ||
		    (st = cxi_px_attr_dup(&e->node, c, "node", err)) != CX_OK ||
		    (st = cxi_px_attr_dup(&e->name, c, "name", err)) != CX_OK)
			return st;
	}
	return CX_OK;
}

xmlNodePtr
cx_pubsub_form_of_reply(const cx_stanza *reply)
{
	xmlNodePtr p, c, x;

	if (reply == NULL || (p = cx_stanza_payload(reply)) == NULL)
		return NULL;
	if ((x = cxi_px_child(p, CX_NS_DATA_FORMS, "x")) != NULL)
		return x;
	for (c = p->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    (x = cxi_px_child(c, CX_NS_DATA_FORMS, "x")) != NULL)
			return x;
	return NULL;
}

/* ---- 8.7 pending subscription requests (XEP-0050 command) ------------- */

cx_status
cxi_pubsub_build_get_pending(cx_stanza **out, const char *service,
			     const char *node, const char *sessionid,
			     const char *form_type, cx_error *err)
{
	xmlNodePtr cmd, x, f;
	cx_status st;

	*out = NULL;
	if (node != NULL && *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: empty node name");
	st = cx_stanza_new_iq(out, "set", service, CXI_NS_COMMANDS, "command", err);
	if (st != CX_OK)
		return st;
	cmd = cx_stanza_payload(*out);
	if ((st = cxi_px_set(cmd, "sessionid", sessionid, err)) != CX_OK ||
	    (st = cxi_px_set(cmd, "node", CXI_PUBSUB_GET_PENDING, err)) != CX_OK ||
	    (st = cxi_px_set(cmd, "action", "execute", err)) != CX_OK || node == NULL)
		return finish(out, st);
	if ((st = cxi_px_add(&x, cmd, CX_NS_DATA_FORMS, "x", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(x, "type", "submit", err)) != CX_OK)
		return finish(out, st);
	if (form_type != NULL &&
	    (st = add_field(x, "FORM_TYPE", "hidden", form_type, err)) != CX_OK)
		return finish(out, st);
	if ((st = cxi_px_add(&f, x, NULL, "field", NULL, err)) != CX_OK ||
	    (st = cxi_px_set(f, "var", "pubsub#node", err)) != CX_OK)
		return finish(out, st);
	return finish(out, cxi_px_add(NULL, f, NULL, "value", node, err));
}

void
cx_pubsub_pending_free(cx_pubsub_pending *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->count; i++)
		free(p->nodes[i]);
	free(p->nodes);
	free(p);
}

/* The nodes offered by the form's pubsub#node field, appended to p. */
static cx_status
pending_options(cx_pubsub_pending *p, const cx_form *form, cx_error *err)
{
	cx_form_field *f = cx_form_find_field(form, "pubsub#node");
	size_t i, n;

	if (f == NULL)
		return protocol(err, "get-pending form without a pubsub#node field");
	n = cx_form_field_option_count(f);
	if (n > CX_PUBSUB_MAX_ENTRIES)
		return protocol(err, "too many nodes in the get-pending form");
	if (n > 0 && (p->nodes = calloc(n, sizeof(*p->nodes))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *v = cx_form_field_get_option_value(f, i);

		if (v == NULL || *v == '\0')
			return protocol(err, "get-pending form offers an empty node name");
		if ((p->nodes[i] = strdup(v)) == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		p->count++;
	}
	return CX_OK;
}

cx_status
cxi_pubsub_parse_get_pending(cx_pubsub_pending **out, char **sessionid,
			     char **form_type, const cx_stanza *reply,
			     cx_error *err)
{
	cx_pubsub_pending *p = NULL;
	cx_form *form = NULL;
	xmlNodePtr cmd = cx_stanza_payload(reply);
	const char *cnode, *status;
	cx_status st;

	*out = NULL;
	if (sessionid != NULL)
		*sessionid = NULL;
	if (form_type != NULL)
		*form_type = NULL;
	if (cmd == NULL || !cxi_px_is(cmd, CXI_NS_COMMANDS, "command"))
		return protocol(err, "get-pending result without a <command/>");
	cnode = cxi_px_attr(cmd, "node");
	if (cnode != NULL && strcmp(cnode, CXI_PUBSUB_GET_PENDING) != 0)
		return protocol(err, "get-pending result for another command");
	status = cxi_px_attr(cmd, "status");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st = cx_form_parse_child(&form, cmd, err);
	if (st == CX_ERR_NOT_FOUND) {
		/* a command that completed at once: nothing is pending */
		if (status != NULL && strcmp(status, "completed") == 0) {
			st = CX_OK;
			goto done;
		}
		st = protocol(err, "get-pending result without a data form");
		goto out;
	}
	if (st == CX_ERR_INVALID)
		st = protocol(err, "get-pending result with a bad data form");
	if (st != CX_OK ||
	    (st = pending_options(p, form, err)) != CX_OK)
		goto out;
	if (form_type != NULL &&
	    (st = cxi_px_strdup(form_type, cx_form_get_form_type(form), err)) != CX_OK)
		goto out;
done:
	if (sessionid != NULL &&
	    (st = cxi_px_attr_dup(sessionid, cmd, "sessionid", err)) != CX_OK)
		goto out;
	*out = p;
	p = NULL;
out:
	if (st != CX_OK) {
		if (form_type != NULL) {
			free(*form_type);
			*form_type = NULL;
		}
	}
	cx_form_free(form);
	cx_pubsub_pending_free(p);
	return st;
}

cx_status
cxi_pubsub_get_pending_error(const cx_stanza *reply, cx_error *err)
{
	cx_error e = CX_ERROR_INIT;
	cx_status st = cxi_pubsub_reply_error(reply, &e);

	if (st == CX_ERR_NOT_SUPPORTED ||
	    (st == CX_ERR_STANZA_ERROR &&
	     (strcmp(e.condition, "service-unavailable") == 0 ||
	      strcmp(e.condition, "feature-not-implemented") == 0))) {
		st = e.status = CX_ERR_NOT_SUPPORTED;
		snprintf(e.message, sizeof(e.message),
			 "not supported by this service: pubsub#get-pending (%.64s)",
			 e.condition);
	}
	cxi_error_copy(err, &e);
	return st;
}

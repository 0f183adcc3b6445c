/*
 * lib/ext/pubsub.c - XEP-0060/XEP-0163 use cases over the public client
 * API: build (pubsub_xml.c) -> cx_client_call -> parse; event dispatch;
 * service and node handles; the RSM pager.
 *
 * Design notes:
 * - Event attribution: a handler registered for a service only sees events
 *   whose 'from' is that service (or, for a PEP service given as a bare
 *   JID, that bare JID or one of its full JIDs). Anyone can send us a
 *   <message/> with a pubsub <event/> naming any node; without this check
 *   a contact could inject items into a node of another service (the
 *   CVE-2023-28686 class).
 * - The pager guarantees termination against a hostile service: every page
 *   must move <last/> forward (a repeated <last/> is an error), an empty
 *   page or a page without <set/> ends the walk, and a page cap bounds it.
 * - The node walk (list_nodes) keeps the nodes it visited, so a service
 *   listing a node under itself cannot make it loop; depth and count are
 *   bounded by the caller.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "cxmpp/pubsub.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"
#include "lib/ext/pubsub_xml.h"

/* ---- the round trip ------------------------------------------------- */

/* Sends iq (consumed) and returns the reply; a stanza error is mapped with
 * the pubsub#errors conditions. */
static cx_status
roundtrip(cx_stanza **reply, cx_client *c, cx_stanza *iq, cx_error *err)
{
	cx_stanza *r = NULL;
	cx_status st;

	*reply = NULL;
	if (c == NULL) {
		cx_stanza_unref(iq);
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: no client");
	}
	st = cx_client_call(&r, c, iq, CX_TIMEOUT_DEFAULT, err);
	cx_stanza_unref(iq);
	if (st == CX_ERR_STANZA_ERROR && r != NULL) {
		st = cxi_pubsub_reply_error(r, err);
		cx_stanza_unref(r);
		return st;
	}
	if (st != CX_OK) {
		cx_stanza_unref(r);
		return st;
	}
	*reply = r;
	return CX_OK;
}

/* Round trip whose result carries nothing we need. */
static cx_status
call_void(cx_client *c, cx_stanza *iq, cx_status built, cx_error *err)
{
	cx_stanza *r = NULL;
	cx_status st;

	if (built != CX_OK)
		return built;
	st = roundtrip(&r, c, iq, err);
	cx_stanza_unref(r);
	return st;
}

static char *
our_bare_jid(cx_client *c)
{
	char *full = cx_client_get_jid(c), *slash;

	if (full != NULL && (slash = strchr(full, '/')) != NULL)
		*slash = '\0';
	return full;
}

/* ---- entity use cases ----------------------------------------------- */

cx_status
cx_pubsub_get_info(cx_pubsub_info **out, cx_client *c, const char *service,
		   const char *node, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_disco(&iq, service, node, 0, err)) != CX_OK)
		return st;
	if ((st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_info(out, r, err);
	cx_stanza_unref(r);
	return st;
}

static int
visited(const cx_pubsub_node_list *l, size_t upto, const char *jid,
	const char *node)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (l->v[i].node && strcmp(l->v[i].node, node) == 0 &&
		    strcmp(l->v[i].jid, jid) == 0)
			return 1;
	return 0;
}

cx_status
cx_pubsub_list_nodes(cx_pubsub_node_list **out, cx_client *c,
		     const char *service, const char *node, int max_depth,
		     size_t max_count, cx_error *err)
{
	cx_pubsub_node_list *l;
	cx_stanza *iq = NULL, *r = NULL;
	size_t level_start = 0, level_end, i;
	int depth;
	cx_status st;

	if (out == NULL || max_count == 0 || max_depth < 0)
		return cxi_error_set(err, CX_ERR_INVALID, "list_nodes: bad arguments");
	*out = NULL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if ((st = cxi_pubsub_build_disco(&iq, service, node, 1, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		goto fail;
	st = cxi_pubsub_parse_disco_items(l, r, 0, max_count, err);
	cx_stanza_unref(r);
	if (st != CX_OK)
		goto fail;
	for (depth = 1; depth <= max_depth && !l->truncated; depth++) {
		level_end = l->count;
		for (i = level_start; i < level_end && !l->truncated; i++) {
			char *jid = l->v[i].jid, *n = l->v[i].node;

			if (n == NULL || visited(l, i, jid, n) ||
			    (node != NULL && strcmp(n, node) == 0))
				continue;
			if ((st = cxi_pubsub_build_disco(&iq, jid, n, 1, err)) != CX_OK)
				goto fail;
			st = roundtrip(&r, c, iq, err);
			if (st == CX_ERR_STANZA_ERROR || st == CX_ERR_NOT_SUPPORTED)
				continue; /* a leaf that does not list children */
			if (st != CX_OK)
				goto fail;
			st = cxi_pubsub_parse_disco_items(l, r, depth, max_count, err);
			cx_stanza_unref(r);
			if (st != CX_OK)
				goto fail;
		}
		level_start = level_end;
	}
	if (err != NULL)
		cx_error_clear(err);
	*out = l;
	return CX_OK;
fail:
	cx_pubsub_node_list_free(l);
	return st;
}

cx_status
cx_pubsub_get_subscriptions(cx_pubsub_subscriptions **out, cx_client *c,
			    const char *service, const char *node,
			    cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_subscriptions(&iq, service, node, 0, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_subscriptions(out, r, 0, err);
	cx_stanza_unref(r);
	return st;
}

cx_status
cx_pubsub_get_affiliations(cx_pubsub_affiliations **out, cx_client *c,
			   const char *service, const char *node,
			   cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_affiliations(&iq, service, node, 0, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_affiliations(out, r, 0, err);
	cx_stanza_unref(r);
	return st;
}

/* ---- subscriber use cases ------------------------------------------- */

cx_status
cx_pubsub_subscribe(cx_pubsub_subscriptions **out, cx_client *c,
		    const char *service, const char *node, const char *jid,
		    const char *const *options, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	char *me = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (jid == NULL && (jid = me = our_bare_jid(c)) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "subscribe: not connected");
	st = cxi_pubsub_build_subscribe(&iq, service, node, jid, options, err);
	if (st == CX_OK && (st = roundtrip(&r, c, iq, err)) == CX_OK) {
		st = cxi_pubsub_parse_subscribe(out, r, node, jid, err);
		cx_stanza_unref(r);
	}
	free(me);
	return st;
}

cx_status
cx_pubsub_unsubscribe(cx_client *c, const char *service, const char *node,
		      const char *jid, const char *subid, cx_error *err)
{
	cx_stanza *iq = NULL;
	char *me = NULL;
	cx_status st;

	if (jid == NULL && (jid = me = our_bare_jid(c)) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "unsubscribe: not connected");
	st = cxi_pubsub_build_unsubscribe(&iq, service, node, jid, subid, err);
	st = call_void(c, iq, st, err);
	free(me);
	return st;
}

cx_status
cx_pubsub_get_options(xmlNodePtr *form, cx_stanza **reply, cx_client *c,
		      const char *service, const char *node, const char *jid,
		      const char *subid, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	char *me = NULL;
	cx_status st;

	if (form == NULL || reply == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form or reply is NULL");
	*form = NULL;
	*reply = NULL;
	if (jid == NULL && (jid = me = our_bare_jid(c)) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "options: not connected");
	st = cxi_pubsub_build_options(&iq, service, node, jid, subid, NULL, err);
	free(me);
	if (st != CX_OK || (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	*form = cx_pubsub_form_of_reply(r);
	if (*form == NULL) {
		cx_stanza_unref(r);
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "malformed pubsub reply: no options form");
	}
	*reply = r;
	return CX_OK;
}

cx_status
cx_pubsub_set_options(cx_client *c, const char *service, const char *node,
		      const char *jid, const char *subid,
		      const char *const *options, cx_error *err)
{
	cx_stanza *iq = NULL;
	char *me = NULL;
	cx_status st;
	static const char *const none[] = { NULL };

	if (jid == NULL && (jid = me = our_bare_jid(c)) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "options: not connected");
	st = cxi_pubsub_build_options(&iq, service, node, jid, subid,
				      options ? options : none, err);
	st = call_void(c, iq, st, err);
	free(me);
	return st;
}

cx_status
cx_pubsub_get_items(cx_pubsub_items **out, cx_client *c, const char *service,
		    const char *node, const cx_pubsub_items_query *query,
		    cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_items(&iq, service, node, query, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_items(out, r, err);
	cx_stanza_unref(r);
	return st;
}

/* ---- the pager ------------------------------------------------------ */

struct cx_pubsub_pager {
	cx_client *c;
	char *service, *node;
	long page_size;
	unsigned max_pages, pages;
	long long seen;
	char *last;          /* <last/> of the previous page */
	cx_status done;      /* CX_OK while going; else the final status */
	int finished;
	char final_msg[256];
};

cx_status
cx_pubsub_pager_new(cx_pubsub_pager **out, cx_client *c, const char *service,
		    const char *node, long page_size, unsigned max_pages,
		    cx_error *err)
{
	cx_pubsub_pager *p;

	if (out == NULL || c == NULL || node == NULL || page_size < 1 ||
	    page_size > INT32_MAX || max_pages < 1)
		return cxi_error_set(err, CX_ERR_INVALID, "pager: bad arguments");
	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (service && (p->service = strdup(service)) == NULL) ||
	    (p->node = strdup(node)) == NULL) {
		if (p)
			free(p->service);
		free(p);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	p->c = c;
	p->page_size = page_size;
	p->max_pages = max_pages;
	*out = p;
	return CX_OK;
}

static cx_status
pager_stop(cx_pubsub_pager *p, cx_status st, cx_error *err, const char *msg)
{
	p->finished = 1;
	p->done = st;
	cxi_strlcpy(p->final_msg, msg, sizeof(p->final_msg));
	if (st == CX_OK)
		return CX_OK;
	return cxi_error_set(err, st, "%s", msg);
}

cx_status
cx_pubsub_pager_next(cx_pubsub_items **page, cx_pubsub_pager *p, cx_error *err)
{
	cx_rsm_request r = CX_RSM_REQUEST_INIT;
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	cx_pubsub_items *it = NULL;
	cx_status st;

	if (page == NULL || p == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pager: bad arguments");
	*page = NULL;
	if (p->finished) {
		if (p->done == CX_OK)
			return CX_OK;
		return cxi_error_set(err, p->done, "%s", p->final_msg);
	}
	if (p->pages >= p->max_pages)
		return pager_stop(p, CX_ERR_FULL, err,
				  "pager: page cap reached before the end of the node");
	r.max = p->page_size;
	r.after = p->last;
	q.rsm = &r;
	st = cx_pubsub_get_items(&it, p->c, p->service, p->node, &q, err);
	if (st != CX_OK) {
		p->finished = 1;
		p->done = st;
		cxi_strlcpy(p->final_msg, err ? err->message : "pager: request failed",
			    sizeof(p->final_msg));
		return st;
	}
	p->pages++;
	if (it->count == 0) {
		cx_pubsub_items_free(it);
		return pager_stop(p, CX_OK, err, "end");
	}
	p->seen += (long long)it->count;
	if (!it->rsm.present || it->rsm.last == NULL) {
		/* No paging from the service: this page is all there is. */
		p->finished = 1;
		p->done = CX_OK;
	} else if (p->last != NULL && strcmp(p->last, it->rsm.last) == 0) {
		cx_pubsub_items_free(it);
		return pager_stop(p, CX_ERR_PROTOCOL, err,
				  "pager: no progress (the same <last/> twice)");
	} else {
		char *l = strdup(it->rsm.last);

		if (l == NULL) {
			cx_pubsub_items_free(it);
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
		free(p->last);
		p->last = l;
		if ((it->rsm.count >= 0 && p->seen >= it->rsm.count) ||
		    it->count < (size_t)p->page_size) {
			p->finished = 1;
			p->done = CX_OK;
		}
	}
	*page = it;
	return CX_OK;
}

void
cx_pubsub_pager_free(cx_pubsub_pager *p)
{
	if (p == NULL)
		return;
	free(p->service);
	free(p->node);
	free(p->last);
	free(p);
}

/* ---- publisher use cases -------------------------------------------- */

cx_status
cx_pubsub_publish_many(char ***ids, size_t *n_ids, cx_client *c,
		       const char *service, const char *node, size_t n,
		       const char *const *item_ids,
		       const xmlNode *const *payloads,
		       const char *const *options, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	char **v = NULL;
	size_t nv = 0, i;
	cx_status st;

	if (ids)
		*ids = NULL;
	if (n_ids)
		*n_ids = 0;
	if ((st = cxi_pubsub_build_publish(&iq, service, node, n, item_ids,
					   payloads, options, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_publish(&v, &nv, r, err);
	cx_stanza_unref(r);
	if (st != CX_OK)
		return st;
	if (ids) {
		*ids = v;
	} else {
		for (i = 0; i < nv; i++)
			free(v[i]);
		free(v);
	}
	if (n_ids)
		*n_ids = nv;
	return CX_OK;
}

cx_status
cx_pubsub_publish(char **id, cx_client *c, const char *service,
		  const char *node, const char *item_id, const xmlNode *payload,
		  const char *const *options, cx_error *err)
{
	const char *ids[1] = { item_id };
	const xmlNode *pl[1] = { payload };
	char **v = NULL;
	size_t n = 0, i;
	cx_status st;

	if (id)
		*id = NULL;
	st = cx_pubsub_publish_many(&v, &n, c, service, node, 1, ids, pl,
				    options, err);
	if (st != CX_OK)
		return st;
	if (id != NULL) {
		if (n > 0) {
			*id = v[0];
			v[0] = NULL;
		} else if (item_id != NULL && (*id = strdup(item_id)) == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	return st;
}

cx_status
cx_pep_publish(char **id, cx_client *c, const char *node, const char *item_id,
	       const xmlNode *payload, const char *const *options,
	       cx_error *err)
{
	return cx_pubsub_publish(id, c, NULL, node, item_id, payload, options,
				 err);
}

cx_status
cx_pubsub_retract(cx_client *c, const char *service, const char *node,
		  const char *item_id, int notify, cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st = cxi_pubsub_build_retract(&iq, service, node, item_id,
						notify, err);

	return call_void(c, iq, st, err);
}

/* ---- owner use cases ------------------------------------------------ */

cx_status
cx_pubsub_create(char **created, cx_client *c, const char *service,
		 const char *node, const char *const *config, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	char *name = NULL;
	cx_status st;

	if (created)
		*created = NULL;
	if ((st = cxi_pubsub_build_create(&iq, service, node, config, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_create(&name, r, err);
	cx_stanza_unref(r);
	if (st != CX_OK)
		return st;
	if (name == NULL && node != NULL && (name = strdup(node)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (name == NULL) {
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "malformed pubsub reply: instant node without a name");
	}
	if (created)
		*created = name;
	else
		free(name);
	return CX_OK;
}

cx_status
cx_pubsub_get_config(xmlNodePtr *form, cx_stanza **reply, cx_client *c,
		     const char *service, const char *node, cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (form == NULL || reply == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form or reply is NULL");
	*form = NULL;
	*reply = NULL;
	if ((st = cxi_pubsub_build_configure(&iq, service, node, NULL, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	*form = cx_pubsub_form_of_reply(r);
	if (*form == NULL) {
		cx_stanza_unref(r);
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "malformed pubsub reply: no configuration form");
	}
	*reply = r;
	return CX_OK;
}

cx_status
cx_pubsub_set_config(cx_client *c, const char *service, const char *node,
		     const char *const *config, cx_error *err)
{
	cx_stanza *iq = NULL;
	static const char *const none[] = { NULL };
	cx_status st;

	if (node == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "set_config: no node");
	st = cxi_pubsub_build_configure(&iq, service, node, config ? config : none, err);
	return call_void(c, iq, st, err);
}

cx_status
cx_pubsub_delete(cx_client *c, const char *service, const char *node,
		 const char *redirect, cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st = cxi_pubsub_build_delete(&iq, service, node, redirect, err);

	return call_void(c, iq, st, err);
}

cx_status
cx_pubsub_purge(cx_client *c, const char *service, const char *node,
		cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st = cxi_pubsub_build_purge(&iq, service, node, err);

	return call_void(c, iq, st, err);
}

cx_status
cx_pubsub_owner_get_subscriptions(cx_pubsub_subscriptions **out, cx_client *c,
				  const char *service, const char *node,
				  cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_subscriptions(&iq, service, node, 1, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_subscriptions(out, r, 1, err);
	cx_stanza_unref(r);
	/* Prosody leaves out the node on the owner's list: it is ours. */
	for (size_t i = 0; st == CX_OK && i < (*out)->count; i++)
		if ((*out)->v[i].node == NULL &&
		    ((*out)->v[i].node = strdup(node)) == NULL) {
			cx_pubsub_subscriptions_free(*out);
			*out = NULL;
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		}
	return st;
}

cx_status
cx_pubsub_owner_set_subscriptions(cx_client *c, const char *service,
				  const char *node,
				  const cx_pubsub_subscription *subs, size_t n,
				  cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st = cxi_pubsub_build_set_subscriptions(&iq, service, node,
							  subs, n, err);

	return call_void(c, iq, st, err);
}

cx_status
cx_pubsub_owner_get_affiliations(cx_pubsub_affiliations **out, cx_client *c,
				 const char *service, const char *node,
				 cx_error *err)
{
	cx_stanza *iq = NULL, *r = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cxi_pubsub_build_affiliations(&iq, service, node, 1, err)) != CX_OK ||
	    (st = roundtrip(&r, c, iq, err)) != CX_OK)
		return st;
	st = cxi_pubsub_parse_affiliations(out, r, 1, err);
	cx_stanza_unref(r);
	return st;
}

cx_status
cx_pubsub_owner_set_affiliations(cx_client *c, const char *service,
				 const char *node,
				 const cx_pubsub_affiliation_entry *affs,
				 size_t n, cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st = cxi_pubsub_build_set_affiliations(&iq, service, node,
							 affs, n, err);

	return call_void(c, iq, st, err);
}

cx_status
cx_pubsub_authorize(cx_client *c, const cx_pubsub_event *request, int allow,
		    cx_error *err)
{
	cx_stanza *m = NULL;
	cx_status st;

	if ((st = cxi_pubsub_build_authorization(&m, request, allow, err)) != CX_OK)
		return st;
	st = cx_client_send(c, m, err);
	cx_stanza_unref(m);
	return st;
}

/* ---- events --------------------------------------------------------- */

struct ev_reg {
	cx_jid *service;     /* NULL: any sender */
	char *node;          /* NULL: any node */
	cx_pubsub_event_fn fn;
	void *arg;
	void (*arg_free)(void *);
};

static void
ev_reg_free(void *p)
{
	struct ev_reg *r = p;

	if (r->arg_free)
		r->arg_free(r->arg);
	cx_jid_free(r->service);
	free(r->node);
	free(r);
}

/* Whether `from` may speak for the registered service. */
static int
from_allowed(const struct ev_reg *r, const char *from)
{
	cx_jid *f = NULL;
	int ok;

	if (r->service == NULL)
		return 1;
	if (cx_jid_parse(&f, from, NULL) != CX_OK)
		return 0;
	if (cx_jid_is_bare(r->service) && cx_jid_local(r->service) != NULL)
		ok = cx_jid_equal_bare(f, r->service); /* PEP: the account */
	else
		ok = cx_jid_equal(f, r->service);
	cx_jid_free(f);
	return ok;
}

static cx_handler_result
on_message(void *arg, cx_client *c, cx_stanza *s)
{
	struct ev_reg *r = arg;
	cx_pubsub_event *ev = NULL;

	if (cx_pubsub_event_parse(&ev, s, NULL) != CX_OK)
		return CX_HANDLER_PASS;
	if (r->node != NULL && strcmp(ev->node, r->node) != 0) {
		cx_pubsub_event_free(ev);
		return CX_HANDLER_PASS;
	}
	if (!from_allowed(r, ev->from)) {
		/* Forged: a node of the service, claimed by someone else. */
		cx_pubsub_event_free(ev);
		return CX_HANDLER_PASS;
	}
	r->fn(r->arg, c, ev);
	cx_pubsub_event_free(ev);
	return CX_HANDLER_CONSUMED;
}

cx_handler_id
cx_pubsub_on_event(cx_client *client, const char *service, const char *node,
		   cx_pubsub_event_fn fn, void *arg, void (*arg_free)(void *))
{
	struct ev_reg *r;

	if (client == NULL || fn == NULL)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 0;
	if ((service && cx_jid_parse(&r->service, service, NULL) != CX_OK) ||
	    (node && (r->node = strdup(node)) == NULL)) {
		cx_jid_free(r->service);
		free(r);
		return 0;
	}
	r->fn = fn;
	r->arg = arg;
	r->arg_free = arg_free;
	return cx_client_on_message(client, on_message, r, ev_reg_free, 0);
}

/* ---- handles -------------------------------------------------------- */

struct cx_pubsub_service {
	cx_client *c;
	char *jid;
	cx_pubsub_info *info; /* cached disco#info; set once */
	int info_set;
};

struct cx_pubsub_node {
	cx_pubsub_service *s;
	char *name;
};

cx_status
cx_pubsub_service_new(cx_pubsub_service **out, cx_client *client,
		      const char *service, cx_error *err)
{
	cx_pubsub_service *s;
	cx_jid *j = NULL;
	cx_status st;

	if (out == NULL || client == NULL || service == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "service_new: bad arguments");
	*out = NULL;
	if ((st = cx_jid_parse(&j, service, err)) != CX_OK)
		return st;
	cx_jid_free(j);
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->jid = strdup(service)) == NULL) {
		free(s);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	s->c = client;
	*out = s;
	return CX_OK;
}

void
cx_pubsub_service_free(cx_pubsub_service *s)
{
	if (s == NULL)
		return;
	cx_pubsub_info_free(s->info);
	free(s->jid);
	free(s);
}

const char *
cx_pubsub_service_jid(const cx_pubsub_service *s)
{
	return s ? s->jid : NULL;
}

cx_client *
cx_pubsub_service_client(const cx_pubsub_service *s)
{
	return s ? s->c : NULL;
}

cx_status
cx_pubsub_service_require(cx_pubsub_service *s, const char *feature,
			  cx_error *err)
{
	cx_pubsub_info *info = NULL;
	cx_status st;

	if (s == NULL || feature == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "require: bad arguments");
	info = __atomic_load_n(&s->info, __ATOMIC_ACQUIRE);
	if (info == NULL) {
		cx_pubsub_info *expected = NULL;

		if ((st = cx_pubsub_get_info(&info, s->c, s->jid, NULL, err)) != CX_OK)
			return st;
		if (!__atomic_compare_exchange_n(&s->info, &expected, info, 0,
						 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			cx_pubsub_info_free(info);
			info = expected;
		}
	}
	return cx_pubsub_require_feature(info, feature, err);
}

cx_status
cx_pubsub_node_new(cx_pubsub_node **out, cx_pubsub_service *service,
		   const char *node, cx_error *err)
{
	cx_pubsub_node *n;

	if (out == NULL || service == NULL || node == NULL || *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "node_new: bad arguments");
	*out = NULL;
	if ((n = calloc(1, sizeof(*n))) == NULL || (n->name = strdup(node)) == NULL) {
		free(n);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	n->s = service;
	*out = n;
	return CX_OK;
}

void
cx_pubsub_node_free(cx_pubsub_node *n)
{
	if (n == NULL)
		return;
	free(n->name);
	free(n);
}

const char *
cx_pubsub_node_name(const cx_pubsub_node *n)
{
	return n ? n->name : NULL;
}

#define NODE_ARGS(n) (n) ? (n)->s->c : NULL, (n) ? (n)->s->jid : NULL, \
	(n) ? (n)->name : NULL

cx_status
cx_pubsub_node_publish(char **id, cx_pubsub_node *n, const char *item_id,
		       const xmlNode *payload, const char *const *options,
		       cx_error *err)
{
	return cx_pubsub_publish(id, NODE_ARGS(n), item_id, payload, options, err);
}

cx_status
cx_pubsub_node_retract(cx_pubsub_node *n, const char *item_id, int notify,
		       cx_error *err)
{
	return cx_pubsub_retract(NODE_ARGS(n), item_id, notify, err);
}

cx_status
cx_pubsub_node_get_items(cx_pubsub_items **out, cx_pubsub_node *n,
			 const cx_pubsub_items_query *query, cx_error *err)
{
	return cx_pubsub_get_items(out, NODE_ARGS(n), query, err);
}

cx_status
cx_pubsub_node_subscribe(cx_pubsub_subscriptions **out, cx_pubsub_node *n,
			 const char *const *options, cx_error *err)
{
	return cx_pubsub_subscribe(out, NODE_ARGS(n), NULL, options, err);
}

cx_status
cx_pubsub_node_unsubscribe(cx_pubsub_node *n, const char *subid, cx_error *err)
{
	return cx_pubsub_unsubscribe(NODE_ARGS(n), NULL, subid, err);
}

cx_status
cx_pubsub_node_create(cx_pubsub_node *n, const char *const *config,
		      cx_error *err)
{
	return cx_pubsub_create(NULL, NODE_ARGS(n), config, err);
}

cx_status
cx_pubsub_node_delete(cx_pubsub_node *n, const char *redirect, cx_error *err)
{
	return cx_pubsub_delete(NODE_ARGS(n), redirect, err);
}

cx_status
cx_pubsub_node_purge(cx_pubsub_node *n, cx_error *err)
{
	return cx_pubsub_purge(NODE_ARGS(n), err);
}

cx_handler_id
cx_pubsub_node_on_event(cx_pubsub_node *n, cx_pubsub_event_fn fn, void *arg,
			void (*arg_free)(void *))
{
	if (n == NULL)
		return 0;
	return cx_pubsub_on_event(n->s->c, n->s->jid, n->name, fn, arg, arg_free);
}

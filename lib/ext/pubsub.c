/*
 * lib/ext/pubsub.c - XEP-0060/XEP-0163 use cases over the public client
 * API: build (pubsub_xml.c) -> cx_client_call_async -> parse; event
 * dispatch; service and node handles; the RSM pager.
 *
 * Design notes:
 * - One code path per use case: a prep_* function builds the request and
 *   names its conversion; the _async twin maps the call's future with it
 *   (cx_future_map, so parsing happens on the reader thread before the
 *   future settles), and the blocking call waits on the call's future and
 *   runs the same conversion itself, so that it owns the result (a
 *   future cannot hand its value over). cx_future_map rather than
 *   cx_client_call_async_map because the conversion must also see stanza
 *   errors, to turn pubsub#errors <unsupported/> into CX_ERR_NOT_SUPPORTED
 *   exactly as the blocking call does.
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

#include "cxmpp/caps.h"
#include "cxmpp/disco.h"
#include "cxmpp/jid.h"
#include "cxmpp/pubsub.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"
#include "lib/ext/pubsub_xml.h"

/* ---- one request, blocking or async ------------------------------------ */

/*
 * A request: the iq to send and what to make of its result. The same
 * request runs both ways: req_async() sends it and maps the call's future
 * with convert() (on the thread that settles the call: the reader, or the
 * timer for a timeout); req_call() sends it, waits, and runs the very same
 * convert() on the settled call future, so that the blocking caller owns
 * the value (a future cannot hand its value over).
 */
typedef struct req req;
typedef cx_status (*conv_fn)(void **value, void (**value_free)(void *),
			     cx_stanza *reply, const req *q, cx_error *err);

struct req {
	cx_stanza *iq;
	conv_fn conv;       /* NULL: the result carries nothing */
	char *node;         /* context some conversions need */
	char *jid;
	char *item_id;
	size_t max_count;
	int command;        /* get-pending: its own not-supported mapping */
};

static void
req_clear(req *q)
{
	cx_stanza_unref(q->iq);
	free(q->node);
	free(q->jid);
	free(q->item_id);
	memset(q, 0, sizeof(*q));
}

static void
req_free(void *p)
{
	req_clear(p);
	free(p);
}

static void
stanza_value_free(void *v)
{
	cx_stanza_unref(v);
}

/*
 * The settled call `src` as the request's outcome: the converted result,
 * or the failure, with a stanza error read for its pubsub#errors condition
 * (CX_ERR_NOT_SUPPORTED for <unsupported/>); the error stanza stays the
 * value of a failure, as with cx_client_call_async.
 */
static cx_status
convert(void **value, void (**value_free)(void *), cx_future *src,
	const req *q, cx_error *err)
{
	cx_stanza *r = cx_future_get_value(src);
	cx_status st = cx_future_get_error(src, err);

	*value = NULL;
	*value_free = NULL;
	if (st == CX_OK)
		return q->conv != NULL ? q->conv(value, value_free, r, q, err) : CX_OK;
	if (st == CX_ERR_STANZA_ERROR && r != NULL) {
		st = q->command ? cxi_pubsub_get_pending_error(r, err)
				: cxi_pubsub_reply_error(r, err);
		*value = cx_stanza_ref(r);
		*value_free = stanza_value_free;
	}
	return st;
}

static cx_status
map_convert(void **value, void (**value_free)(void *), cx_future *src,
	    void *arg, cx_error *err)
{
	return convert(value, value_free, src, arg, err);
}

/* Sends q->iq; *call receives the call's future. */
static cx_status
req_send(cx_future **call, cx_client *c, req *q, cx_error *err)
{
	*call = NULL;
	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: no client");
	*call = cx_client_call_async(c, q->iq, CX_TIMEOUT_DEFAULT);
	if (*call == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

/* The async path; consumes q (moved to the heap, owned by the future). */
static cx_future *
req_async(cx_client *c, req *q, cx_status built)
{
	cx_future *call = NULL, *f = NULL;
	req *h = NULL;

	if (built != CX_OK || req_send(&call, c, q, NULL) != CX_OK)
		goto out;
	if ((h = malloc(sizeof(*h))) == NULL) {
		cx_future_cancel(call);
		goto out;
	}
	*h = *q;
	memset(q, 0, sizeof(*q));
	f = cx_future_map(call, map_convert, h, req_free);
	if (f == NULL) {
		req_free(h);
		cx_future_cancel(call);
	}
out:
	cx_future_unref(call);
	req_clear(q);
	return f;
}

/* The blocking path; consumes q. *value (may be NULL) receives the result. */
static cx_status
req_call(void **value, cx_client *c, req *q, cx_status built, cx_error *err)
{
	cx_future *call = NULL;
	void *v = NULL;
	void (*vf)(void *) = NULL;
	cx_status st = built;

	if (value != NULL)
		*value = NULL;
	if (st != CX_OK || (st = req_send(&call, c, q, err)) != CX_OK)
		goto out;
	/* The call's deadline settles it (timer thread): the wait is bounded. */
	cx_future_wait(call, CX_TIMEOUT_INFINITE, NULL);
	st = convert(&v, &vf, call, q, err);
	if (st == CX_OK && value != NULL) {
		*value = v;
	} else if (v != NULL && vf != NULL) {
		vf(v);
	}
out:
	cx_future_unref(call);
	req_clear(q);
	return st;
}

static cx_status
req_ctx(req *q, const char *node, const char *jid, const char *item_id,
	cx_error *err)
{
	if (cxi_px_strdup(&q->node, node, err) != CX_OK ||
	    cxi_px_strdup(&q->jid, jid, err) != CX_OK ||
	    cxi_px_strdup(&q->item_id, item_id, err) != CX_OK)
		return CX_ERR_NOMEM;
	return CX_OK;
}

static char *
our_bare_jid(cx_client *c)
{
	char *full = c ? cx_client_get_jid(c) : NULL, *slash;

	if (full != NULL && (slash = strchr(full, '/')) != NULL)
		*slash = '\0';
	return full;
}

/* ---- conversions --------------------------------------------------------- */

static void
info_value_free(void *v)
{
	cx_pubsub_info_free(v);
}

static void
subs_value_free(void *v)
{
	cx_pubsub_subscriptions_free(v);
}

static void
affs_value_free(void *v)
{
	cx_pubsub_affiliations_free(v);
}

static void
items_value_free(void *v)
{
	cx_pubsub_items_free(v);
}

static void
list_value_free(void *v)
{
	cx_pubsub_node_list_free(v);
}

static void
published_value_free(void *v)
{
	cx_pubsub_published_free(v);
}

static cx_status
conv_info(void **value, void (**value_free)(void *), cx_stanza *reply,
	  const req *q, cx_error *err)
{
	cx_pubsub_info *info = NULL;
	cx_status st = cxi_pubsub_parse_info(&info, reply, err);

	(void)q;
	*value = info;
	*value_free = info_value_free;
	return st;
}

static cx_status
conv_disco_items(void **value, void (**value_free)(void *), cx_stanza *reply,
		 const req *q, cx_error *err)
{
	cx_pubsub_node_list *l = calloc(1, sizeof(*l));
	cx_status st;

	if (l == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st = cxi_pubsub_parse_disco_items(l, reply, 0, q->max_count, err);
	if (st != CX_OK) {
		cx_pubsub_node_list_free(l);
		return st;
	}
	*value = l;
	*value_free = list_value_free;
	return CX_OK;
}

static cx_status
conv_subs(void **value, void (**value_free)(void *), cx_stanza *reply,
	  const req *q, cx_error *err)
{
	cx_pubsub_subscriptions *l = NULL;
	cx_status st = cxi_pubsub_parse_subscriptions_at(&l, reply, 0, q->node,
							 err);

	*value = l;
	*value_free = subs_value_free;
	return st;
}

static cx_status
conv_owner_subs(void **value, void (**value_free)(void *), cx_stanza *reply,
		const req *q, cx_error *err)
{
	cx_pubsub_subscriptions *l = NULL;
	cx_status st = cxi_pubsub_parse_subscriptions(&l, reply, 1, err);
	size_t i;

	*value = l;
	*value_free = subs_value_free;
	/* Prosody leaves out the node on the owner's list: it is ours. */
	for (i = 0; st == CX_OK && i < l->count; i++)
		if (l->v[i].node == NULL && q->node != NULL &&
		    (l->v[i].node = strdup(q->node)) == NULL)
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return st;
}

static cx_status
conv_subscribe(void **value, void (**value_free)(void *), cx_stanza *reply,
	       const req *q, cx_error *err)
{
	cx_pubsub_subscriptions *l = NULL;
	cx_status st = cxi_pubsub_parse_subscribe(&l, reply, q->node, q->jid, err);

	*value = l;
	*value_free = subs_value_free;
	return st;
}

static cx_status
conv_affs(void **value, void (**value_free)(void *), cx_stanza *reply,
	  const req *q, cx_error *err)
{
	cx_pubsub_affiliations *l = NULL;
	cx_status st = cxi_pubsub_parse_affiliations(&l, reply, q->max_count != 0,
						    err);

	*value = l;
	*value_free = affs_value_free;
	return st;
}

static cx_status
conv_items(void **value, void (**value_free)(void *), cx_stanza *reply,
	   const req *q, cx_error *err)
{
	cx_pubsub_items *it = NULL;
	cx_status st = cxi_pubsub_parse_items(&it, reply, err);

	(void)q;
	*value = it;
	*value_free = items_value_free;
	return st;
}

/* A reply that must carry a data form: the value is the reply itself. */
static cx_status
conv_form(void **value, void (**value_free)(void *), cx_stanza *reply,
	  const req *q, cx_error *err)
{
	(void)q;
	if (cx_pubsub_form_of_reply(reply) == NULL)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "malformed pubsub reply: no data form");
	*value = cx_stanza_ref(reply);
	*value_free = stanza_value_free;
	return CX_OK;
}

static cx_status
conv_published(void **value, void (**value_free)(void *), cx_stanza *reply,
	       const req *q, cx_error *err)
{
	cx_pubsub_published *p = calloc(1, sizeof(*p));
	cx_status st;

	(void)q;
	if (p == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st = cxi_pubsub_parse_publish(&p->ids, &p->count, reply, err);
	*value = p;
	*value_free = published_value_free;
	return st;
}

/* One item: its id, the service's or, if it said none, the one we gave. */
static cx_status
conv_published_one(void **value, void (**value_free)(void *),
		   cx_stanza *reply, const req *q, cx_error *err)
{
	char **v = NULL, *id = NULL;
	size_t n = 0, i;
	cx_status st = cxi_pubsub_parse_publish(&v, &n, reply, err);

	if (st != CX_OK)
		return st;
	if (n > 0) {
		id = v[0];
		v[0] = NULL;
	} else if (q->item_id != NULL && (id = strdup(q->item_id)) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
	*value = id;
	*value_free = free;
	return st;
}

static cx_status
conv_create(void **value, void (**value_free)(void *), cx_stanza *reply,
	    const req *q, cx_error *err)
{
	char *name = NULL;
	cx_status st = cxi_pubsub_parse_create(&name, reply, err);

	if (st != CX_OK)
		return st;
	if (name == NULL && q->node != NULL && (name = strdup(q->node)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (name == NULL)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "malformed pubsub reply: instant node without a name");
	*value = name;
	*value_free = free;
	return CX_OK;
}

void
cx_pubsub_published_free(cx_pubsub_published *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->count; i++)
		free(p->ids[i]);
	free(p->ids);
	free(p);
}

/* ---- requests ------------------------------------------------------------ */

/*
 * Each use case is a prep_* function that builds the iq and fills the
 * request; the public blocking call and its _async twin both run it and
 * differ only in req_call / req_async.
 */

static cx_status
prep_info(req *q, const char *service, const char *node, cx_error *err)
{
	q->conv = conv_info;
	return cxi_pubsub_build_disco(&q->iq, service, node, 0, err);
}

static cx_status
prep_disco_items(req *q, const char *service, const char *node,
		 size_t max_count, cx_error *err)
{
	if (max_count == 0)
		return cxi_error_set(err, CX_ERR_INVALID, "list_nodes: max_count is 0");
	q->conv = conv_disco_items;
	q->max_count = max_count;
	return cxi_pubsub_build_disco(&q->iq, service, node, 1, err);
}

static cx_status
prep_subs(req *q, const char *service, const char *node, int owner,
	  cx_error *err)
{
	cx_status st;

	q->conv = owner ? conv_owner_subs : conv_subs;
	if (owner && node == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "owner subscriptions: no node");
	if ((st = req_ctx(q, node, NULL, NULL, err)) != CX_OK)
		return st;
	return cxi_pubsub_build_subscriptions(&q->iq, service, node, owner, err);
}

static cx_status
prep_affs(req *q, const char *service, const char *node, int owner,
	  cx_error *err)
{
	q->conv = conv_affs;
	q->max_count = owner != 0; /* tells conv_affs which list */
	return cxi_pubsub_build_affiliations(&q->iq, service, node, owner, err);
}

/* jid NULL: our bare JID (copied into q->jid). */
static cx_status
fill_jid(req *q, cx_client *c, const char *jid, const char *what,
	 cx_error *err)
{
	if (jid != NULL)
		return cxi_px_strdup(&q->jid, jid, err);
	if ((q->jid = our_bare_jid(c)) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "%s: not connected", what);
	return CX_OK;
}

static cx_status
prep_subscribe(req *q, cx_client *c, const char *service, const char *node,
	       const char *jid, const char *const *options, cx_error *err)
{
	cx_status st;

	q->conv = conv_subscribe;
	if ((st = fill_jid(q, c, jid, "subscribe", err)) != CX_OK ||
	    (st = cxi_px_strdup(&q->node, node, err)) != CX_OK)
		return st;
	return cxi_pubsub_build_subscribe(&q->iq, service, node, q->jid,
					  options, err);
}

static cx_status
prep_unsubscribe(req *q, cx_client *c, const char *service, const char *node,
		 const char *jid, const char *subid, cx_error *err)
{
	cx_status st;

	if ((st = fill_jid(q, c, jid, "unsubscribe", err)) != CX_OK)
		return st;
	return cxi_pubsub_build_unsubscribe(&q->iq, service, node, q->jid,
					    subid, err);
}

static cx_status
prep_options(req *q, cx_client *c, const char *service, const char *node,
	     const char *jid, const char *subid, const char *const *options,
	     cx_error *err)
{
	cx_status st;

	if ((st = fill_jid(q, c, jid, "options", err)) != CX_OK)
		return st;
	if (options == NULL)
		q->conv = conv_form; /* a get */
	return cxi_pubsub_build_options(&q->iq, service, node, q->jid, subid,
					options, err);
}

static cx_status
prep_items(req *q, const char *service, const char *node,
	   const cx_pubsub_items_query *query, cx_error *err)
{
	q->conv = conv_items;
	return cxi_pubsub_build_items(&q->iq, service, node, query, err);
}

static cx_status
prep_publish(req *q, const char *service, const char *node, size_t n,
	     const char *const *item_ids, const xmlNode *const *payloads,
	     const char *const *options, cx_error *err)
{
	q->conv = conv_published;
	return cxi_pubsub_build_publish(&q->iq, service, node, n, item_ids,
					payloads, options, err);
}

static cx_status
prep_publish_one(req *q, const char *service, const char *node,
		 const char *item_id, const xmlNode *payload,
		 const char *const *options, cx_error *err)
{
	const char *ids[1] = { item_id };
	const xmlNode *pl[1] = { payload };
	cx_status st;

	q->conv = conv_published_one;
	if ((st = req_ctx(q, NULL, NULL, item_id, err)) != CX_OK)
		return st;
	return cxi_pubsub_build_publish(&q->iq, service, node, 1, ids,
					payload != NULL ? pl : NULL, options,
					err);
}

static cx_status
prep_create(req *q, const char *service, const char *node,
	    const char *const *config, cx_error *err)
{
	cx_status st;

	q->conv = conv_create;
	if ((st = req_ctx(q, node, NULL, NULL, err)) != CX_OK)
		return st;
	return cxi_pubsub_build_create(&q->iq, service, node, config, err);
}

static cx_status
prep_set_config(req *q, const char *service, const char *node,
		const char *const *config, cx_error *err)
{
	static const char *const none[] = { NULL };

	if (node == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "set_config: no node");
	return cxi_pubsub_build_configure(&q->iq, service, node,
					  config ? config : none, err);
}

/* ---- entity use cases ----------------------------------------------- */

cx_status
cx_pubsub_get_info(cx_pubsub_info **out, cx_client *c, const char *service,
		   const char *node, cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q, prep_info(&q, service, node, err), err);
}

cx_future *
cx_pubsub_get_info_async(cx_client *c, const char *service, const char *node)
{
	req q = { 0 };

	return req_async(c, &q, prep_info(&q, service, node, NULL));
}

cx_future *
cx_pubsub_list_nodes_async(cx_client *c, const char *service,
			   const char *node, size_t max_count)
{
	req q = { 0 };

	return req_async(c, &q, prep_disco_items(&q, service, node, max_count,
						 NULL));
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

/* Appends one level's entries (from `level`) to l at `depth`, bounded. */
static cx_status
append_level(cx_pubsub_node_list *l, cx_pubsub_node_list *level, int depth,
	     size_t max_count, cx_error *err)
{
	size_t i;
	cx_pubsub_node_entry *v;

	for (i = 0; i < level->count; i++) {
		if (l->count >= max_count) {
			l->truncated = 1;
			break;
		}
		v = realloc(l->v, (l->count + 1) * sizeof(*v));
		if (v == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		l->v = v;
		v[l->count] = level->v[i];
		v[l->count].depth = depth;
		memset(&level->v[i], 0, sizeof(level->v[i]));
		l->count++;
	}
	if (level->truncated)
		l->truncated = 1;
	return CX_OK;
}

cx_status
cx_pubsub_list_nodes(cx_pubsub_node_list **out, cx_client *c,
		     const char *service, const char *node, int max_depth,
		     size_t max_count, cx_error *err)
{
	cx_pubsub_node_list *l = NULL, *level = NULL;
	size_t level_start = 0, level_end, i;
	int depth;
	req q = { 0 };
	cx_status st;

	if (out == NULL || max_count == 0 || max_depth < 0)
		return cxi_error_set(err, CX_ERR_INVALID, "list_nodes: bad arguments");
	*out = NULL;
	st = prep_disco_items(&q, service, node, max_count, err);
	if ((st = req_call((void **)&l, c, &q, st, err)) != CX_OK)
		return st;
	for (depth = 1; depth <= max_depth && !l->truncated; depth++) {
		level_end = l->count;
		for (i = level_start; i < level_end && !l->truncated; i++) {
			const char *jid = l->v[i].jid, *n = l->v[i].node;

			if (n == NULL || visited(l, i, jid, n) ||
			    (node != NULL && strcmp(n, node) == 0))
				continue;
			st = prep_disco_items(&q, jid, n, max_count, err);
			st = req_call((void **)&level, c, &q, st, err);
			if (st == CX_ERR_STANZA_ERROR || st == CX_ERR_NOT_SUPPORTED)
				continue; /* a leaf that does not list children */
			if (st != CX_OK)
				goto fail;
			st = append_level(l, level, depth, max_count, err);
			cx_pubsub_node_list_free(level);
			level = NULL;
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
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_subs(&q, service, node, 0, err), err);
}

cx_future *
cx_pubsub_get_subscriptions_async(cx_client *c, const char *service,
				  const char *node)
{
	req q = { 0 };

	return req_async(c, &q, prep_subs(&q, service, node, 0, NULL));
}

cx_status
cx_pubsub_get_affiliations(cx_pubsub_affiliations **out, cx_client *c,
			   const char *service, const char *node,
			   cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_affs(&q, service, node, 0, err), err);
}

cx_future *
cx_pubsub_get_affiliations_async(cx_client *c, const char *service,
				 const char *node)
{
	req q = { 0 };

	return req_async(c, &q, prep_affs(&q, service, node, 0, NULL));
}

/* ---- subscriber use cases ------------------------------------------- */

cx_status
cx_pubsub_subscribe(cx_pubsub_subscriptions **out, cx_client *c,
		    const char *service, const char *node, const char *jid,
		    const char *const *options, cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_subscribe(&q, c, service, node, jid, options, err),
			err);
}

cx_future *
cx_pubsub_subscribe_async(cx_client *c, const char *service, const char *node,
			  const char *jid, const char *const *options)
{
	req q = { 0 };

	return req_async(c, &q, prep_subscribe(&q, c, service, node, jid,
					       options, NULL));
}

cx_status
cx_pubsub_unsubscribe(cx_client *c, const char *service, const char *node,
		      const char *jid, const char *subid, cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			prep_unsubscribe(&q, c, service, node, jid, subid, err),
			err);
}

cx_future *
cx_pubsub_unsubscribe_async(cx_client *c, const char *service,
			    const char *node, const char *jid,
			    const char *subid)
{
	req q = { 0 };

	return req_async(c, &q, prep_unsubscribe(&q, c, service, node, jid,
						 subid, NULL));
}

cx_status
cx_pubsub_get_options(xmlNodePtr *form, cx_stanza **reply, cx_client *c,
		      const char *service, const char *node, const char *jid,
		      const char *subid, cx_error *err)
{
	req q = { 0 };
	cx_status st;

	if (form == NULL || reply == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form or reply is NULL");
	*form = NULL;
	st = req_call((void **)reply, c, &q,
		      prep_options(&q, c, service, node, jid, subid, NULL, err),
		      err);
	if (st == CX_OK)
		*form = cx_pubsub_form_of_reply(*reply);
	return st;
}

cx_future *
cx_pubsub_get_options_async(cx_client *c, const char *service,
			    const char *node, const char *jid,
			    const char *subid)
{
	req q = { 0 };

	return req_async(c, &q, prep_options(&q, c, service, node, jid, subid,
					     NULL, NULL));
}

cx_status
cx_pubsub_set_options(cx_client *c, const char *service, const char *node,
		      const char *jid, const char *subid,
		      const char *const *options, cx_error *err)
{
	static const char *const none[] = { NULL };
	req q = { 0 };

	return req_call(NULL, c, &q,
			prep_options(&q, c, service, node, jid, subid,
				     options ? options : none, err),
			err);
}

cx_future *
cx_pubsub_set_options_async(cx_client *c, const char *service,
			    const char *node, const char *jid,
			    const char *subid, const char *const *options)
{
	static const char *const none[] = { NULL };
	req q = { 0 };

	return req_async(c, &q, prep_options(&q, c, service, node, jid, subid,
					     options ? options : none, NULL));
}

cx_status
cx_pubsub_get_items(cx_pubsub_items **out, cx_client *c, const char *service,
		    const char *node, const cx_pubsub_items_query *query,
		    cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_items(&q, service, node, query, err), err);
}

cx_future *
cx_pubsub_get_items_async(cx_client *c, const char *service, const char *node,
			  const cx_pubsub_items_query *query)
{
	req q = { 0 };

	return req_async(c, &q, prep_items(&q, service, node, query, NULL));
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
	cx_pubsub_published *p = NULL;
	req q = { 0 };
	cx_status st;

	if (ids)
		*ids = NULL;
	if (n_ids)
		*n_ids = 0;
	st = prep_publish(&q, service, node, n, item_ids, payloads, options, err);
	if ((st = req_call((void **)&p, c, &q, st, err)) != CX_OK)
		return st;
	if (n_ids)
		*n_ids = p->count;
	if (ids) {
		*ids = p->ids;
		p->ids = NULL;
		p->count = 0;
	}
	cx_pubsub_published_free(p);
	return CX_OK;
}

cx_future *
cx_pubsub_publish_many_async(cx_client *c, const char *service,
			     const char *node, size_t n,
			     const char *const *item_ids,
			     const xmlNode *const *payloads,
			     const char *const *options)
{
	req q = { 0 };

	return req_async(c, &q, prep_publish(&q, service, node, n, item_ids,
					     payloads, options, NULL));
}

cx_status
cx_pubsub_publish(char **id, cx_client *c, const char *service,
		  const char *node, const char *item_id, const xmlNode *payload,
		  const char *const *options, cx_error *err)
{
	char *got = NULL;
	req q = { 0 };
	cx_status st;

	if (id)
		*id = NULL;
	st = prep_publish_one(&q, service, node, item_id, payload, options, err);
	if ((st = req_call((void **)&got, c, &q, st, err)) != CX_OK)
		return st;
	if (id)
		*id = got;
	else
		free(got);
	return CX_OK;
}

cx_future *
cx_pubsub_publish_async(cx_client *c, const char *service, const char *node,
			const char *item_id, const xmlNode *payload,
			const char *const *options)
{
	req q = { 0 };

	return req_async(c, &q, prep_publish_one(&q, service, node, item_id,
						 payload, options, NULL));
}

cx_status
cx_pep_publish(char **id, cx_client *c, const char *node, const char *item_id,
	       const xmlNode *payload, const char *const *options,
	       cx_error *err)
{
	return cx_pubsub_publish(id, c, NULL, node, item_id, payload, options,
				 err);
}

cx_future *
cx_pep_publish_async(cx_client *c, const char *node, const char *item_id,
		     const xmlNode *payload, const char *const *options)
{
	return cx_pubsub_publish_async(c, NULL, node, item_id, payload, options);
}

cx_status
cx_pubsub_retract(cx_client *c, const char *service, const char *node,
		  const char *item_id, int notify, cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			cxi_pubsub_build_retract(&q.iq, service, node, item_id,
						 notify, err),
			err);
}

cx_future *
cx_pubsub_retract_async(cx_client *c, const char *service, const char *node,
			const char *item_id, int notify)
{
	req q = { 0 };

	return req_async(c, &q, cxi_pubsub_build_retract(&q.iq, service, node,
							 item_id, notify, NULL));
}

/* ---- owner use cases ------------------------------------------------ */

cx_status
cx_pubsub_create(char **created, cx_client *c, const char *service,
		 const char *node, const char *const *config, cx_error *err)
{
	char *name = NULL;
	req q = { 0 };
	cx_status st;

	if (created)
		*created = NULL;
	st = prep_create(&q, service, node, config, err);
	if ((st = req_call((void **)&name, c, &q, st, err)) != CX_OK)
		return st;
	if (created)
		*created = name;
	else
		free(name);
	return CX_OK;
}

cx_future *
cx_pubsub_create_async(cx_client *c, const char *service, const char *node,
		       const char *const *config)
{
	req q = { 0 };

	return req_async(c, &q, prep_create(&q, service, node, config, NULL));
}

cx_status
cx_pubsub_get_config(xmlNodePtr *form, cx_stanza **reply, cx_client *c,
		     const char *service, const char *node, cx_error *err)
{
	req q = { 0 };
	cx_status st;

	if (form == NULL || reply == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form or reply is NULL");
	*form = NULL;
	q.conv = conv_form;
	st = cxi_pubsub_build_configure(&q.iq, service, node, NULL, err);
	st = req_call((void **)reply, c, &q, st, err);
	if (st == CX_OK)
		*form = cx_pubsub_form_of_reply(*reply);
	return st;
}

cx_future *
cx_pubsub_get_config_async(cx_client *c, const char *service, const char *node)
{
	req q = { 0 };

	q.conv = conv_form;
	return req_async(c, &q, cxi_pubsub_build_configure(&q.iq, service, node,
							   NULL, NULL));
}

cx_status
cx_pubsub_set_config(cx_client *c, const char *service, const char *node,
		     const char *const *config, cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			prep_set_config(&q, service, node, config, err), err);
}

cx_future *
cx_pubsub_set_config_async(cx_client *c, const char *service, const char *node,
			   const char *const *config)
{
	req q = { 0 };

	return req_async(c, &q, prep_set_config(&q, service, node, config, NULL));
}

cx_status
cx_pubsub_delete(cx_client *c, const char *service, const char *node,
		 const char *redirect, cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			cxi_pubsub_build_delete(&q.iq, service, node, redirect,
						err),
			err);
}

cx_future *
cx_pubsub_delete_async(cx_client *c, const char *service, const char *node,
		       const char *redirect)
{
	req q = { 0 };

	return req_async(c, &q, cxi_pubsub_build_delete(&q.iq, service, node,
							redirect, NULL));
}

cx_status
cx_pubsub_purge(cx_client *c, const char *service, const char *node,
		cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			cxi_pubsub_build_purge(&q.iq, service, node, err), err);
}

cx_future *
cx_pubsub_purge_async(cx_client *c, const char *service, const char *node)
{
	req q = { 0 };

	return req_async(c, &q, cxi_pubsub_build_purge(&q.iq, service, node,
						       NULL));
}

cx_status
cx_pubsub_owner_get_subscriptions(cx_pubsub_subscriptions **out, cx_client *c,
				  const char *service, const char *node,
				  cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_subs(&q, service, node, 1, err), err);
}

cx_future *
cx_pubsub_owner_get_subscriptions_async(cx_client *c, const char *service,
					const char *node)
{
	req q = { 0 };

	return req_async(c, &q, prep_subs(&q, service, node, 1, NULL));
}

cx_status
cx_pubsub_owner_set_subscriptions(cx_client *c, const char *service,
				  const char *node,
				  const cx_pubsub_subscription *subs, size_t n,
				  cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			cxi_pubsub_build_set_subscriptions(&q.iq, service, node,
							   subs, n, err),
			err);
}

cx_future *
cx_pubsub_owner_set_subscriptions_async(cx_client *c, const char *service,
					const char *node,
					const cx_pubsub_subscription *subs,
					size_t n)
{
	req q = { 0 };

	return req_async(c, &q, cxi_pubsub_build_set_subscriptions(&q.iq, service,
								   node, subs, n,
								   NULL));
}

cx_status
cx_pubsub_owner_get_affiliations(cx_pubsub_affiliations **out, cx_client *c,
				 const char *service, const char *node,
				 cx_error *err)
{
	req q = { 0 };

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return req_call((void **)out, c, &q,
			prep_affs(&q, service, node, 1, err), err);
}

cx_future *
cx_pubsub_owner_get_affiliations_async(cx_client *c, const char *service,
				       const char *node)
{
	req q = { 0 };

	return req_async(c, &q, prep_affs(&q, service, node, 1, NULL));
}

cx_status
cx_pubsub_owner_set_affiliations(cx_client *c, const char *service,
				 const char *node,
				 const cx_pubsub_affiliation_entry *affs,
				 size_t n, cx_error *err)
{
	req q = { 0 };

	return req_call(NULL, c, &q,
			cxi_pubsub_build_set_affiliations(&q.iq, service, node,
							  affs, n, err),
			err);
}

cx_future *
cx_pubsub_owner_set_affiliations_async(cx_client *c, const char *service,
				       const char *node,
				       const cx_pubsub_affiliation_entry *affs,
				       size_t n)
{
	req q = { 0 };

	return req_async(c, &q, cxi_pubsub_build_set_affiliations(&q.iq, service,
								  node, affs, n,
								  NULL));
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
	int pep_any;         /* any account's PEP service (bare JIDs only) */
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

/*
 * Whether `from` may speak for the registered service. A PEP service is
 * an account's bare JID, and its notifications come from that bare JID
 * (XEP-0163 section 4.3): one of the account's own resources, or anyone
 * else, is not its PEP service.
 */
static int
from_allowed(const struct ev_reg *r, const char *from)
{
	cx_jid *f = NULL;
	int ok;

	if (r->service == NULL && !r->pep_any)
		return 1;
	if (from == NULL || cx_jid_parse(&f, from, NULL) != CX_OK)
		return 0;
	if (r->pep_any)
		ok = cx_jid_is_bare(f) && cx_jid_local(f) != NULL;
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

cx_handler_id
cx_pep_on_event(cx_client *client, const char *node, cx_pubsub_event_fn fn,
		void *arg, void (*arg_free)(void *))
{
	struct ev_reg *r;

	if (client == NULL || fn == NULL || node == NULL)
		return 0;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return 0;
	if ((r->node = strdup(node)) == NULL) {
		free(r);
		return 0;
	}
	r->pep_any = 1;
	r->fn = fn;
	r->arg = arg;
	r->arg_free = arg_free;
	return cx_client_on_message(client, on_message, r, ev_reg_free, 0);
}

/* ---- PEP interest (XEP-0163 section 4.2) ------------------------------- */

static cx_status
notify_feature(char **out, const char *node, cx_error *err)
{
	size_t len;

	*out = NULL;
	if (node == NULL || *node == '\0' || strchr(node, '#') != NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pep: bad node name");
	len = strlen(node) + sizeof("+notify");
	if ((*out = malloc(len)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	snprintf(*out, len, "%s+notify", node);
	return CX_OK;
}

cx_status
cx_pep_add_interest(cx_client *c, const char *node, int send_presence,
		    cx_error *err)
{
	char *feature = NULL, *ver = NULL;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pep: no client");
	if ((st = notify_feature(&feature, node, err)) != CX_OK)
		return st;
	/* Interest travels in caps: turn them on if nobody has. */
	st = cx_caps_get_ver(&ver, c, NULL);
	cx_free(ver);
	if (st == CX_ERR_STATE)
		st = cx_caps_enable(c, NULL, err);
	else if (st != CX_OK)
		st = cxi_error_set(err, st, "pep: caps: %s", cx_strerror(st));
	if (st == CX_OK)
		st = cx_disco_add_feature(c, feature, err);
	if (st == CX_OK && send_presence)
		st = cx_caps_send_presence(c, NULL, err);
	free(feature);
	return st;
}

cx_status
cx_pep_remove_interest(cx_client *c, const char *node, int send_presence,
		       cx_error *err)
{
	char *feature = NULL;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pep: no client");
	if ((st = notify_feature(&feature, node, err)) != CX_OK)
		return st;
	st = cx_disco_remove_feature(c, feature, err);
	if (st == CX_OK && send_presence)
		st = cx_caps_send_presence(c, NULL, err);
	free(feature);
	return st;
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

cx_future *
cx_pubsub_node_publish_async(cx_pubsub_node *n, const char *item_id,
			     const xmlNode *payload, const char *const *options)
{
	return n ? cx_pubsub_publish_async(NODE_ARGS(n), item_id, payload,
					   options) : NULL;
}

cx_future *
cx_pubsub_node_retract_async(cx_pubsub_node *n, const char *item_id,
			     int notify)
{
	return n ? cx_pubsub_retract_async(NODE_ARGS(n), item_id, notify) : NULL;
}

cx_future *
cx_pubsub_node_get_items_async(cx_pubsub_node *n,
			       const cx_pubsub_items_query *query)
{
	return n ? cx_pubsub_get_items_async(NODE_ARGS(n), query) : NULL;
}

cx_future *
cx_pubsub_node_subscribe_async(cx_pubsub_node *n, const char *const *options)
{
	return n ? cx_pubsub_subscribe_async(NODE_ARGS(n), NULL, options) : NULL;
}

cx_future *
cx_pubsub_node_unsubscribe_async(cx_pubsub_node *n, const char *subid)
{
	return n ? cx_pubsub_unsubscribe_async(NODE_ARGS(n), NULL, subid) : NULL;
}

cx_future *
cx_pubsub_node_create_async(cx_pubsub_node *n, const char *const *config)
{
	return n ? cx_pubsub_create_async(NODE_ARGS(n), config) : NULL;
}

cx_future *
cx_pubsub_node_delete_async(cx_pubsub_node *n, const char *redirect)
{
	return n ? cx_pubsub_delete_async(NODE_ARGS(n), redirect) : NULL;
}

cx_future *
cx_pubsub_node_purge_async(cx_pubsub_node *n)
{
	return n ? cx_pubsub_purge_async(NODE_ARGS(n)) : NULL;
}

/* ---- 8.7 pending subscription requests ---------------------------------- */

static void
pending_value_free(void *v)
{
	cx_pubsub_pending_free(v);
}

static cx_status
conv_pending(void **value, void (**value_free)(void *), cx_stanza *reply,
	     const req *q, cx_error *err)
{
	cx_pubsub_pending *p = NULL;
	cx_status st = cxi_pubsub_parse_get_pending(&p, NULL, NULL, reply, err);

	(void)q;
	*value = p;
	*value_free = pending_value_free;
	return st;
}

/* The reply itself (read by cx_pubsub_request_pending). */
static cx_status
conv_reply(void **value, void (**value_free)(void *), cx_stanza *reply,
	   const req *q, cx_error *err)
{
	(void)q;
	(void)err;
	*value = cx_stanza_ref(reply);
	*value_free = stanza_value_free;
	return CX_OK;
}

static cx_status
prep_get_pending(req *q, const char *service, const char *node,
		 const char *sessionid, const char *form_type, conv_fn conv,
		 cx_error *err)
{
	q->command = 1;
	q->conv = conv;
	return cxi_pubsub_build_get_pending(&q->iq, service, node, sessionid,
					    form_type, err);
}

cx_status
cx_pubsub_get_pending_nodes(char ***nodes, size_t *n, cx_client *c,
			    const char *service, cx_error *err)
{
	cx_pubsub_pending *p = NULL;
	req q = { 0 };
	cx_status st;

	if (nodes == NULL || n == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: no result pointers");
	*nodes = NULL;
	*n = 0;
	st = prep_get_pending(&q, service, NULL, NULL, NULL, conv_pending, err);
	if ((st = req_call((void **)&p, c, &q, st, err)) != CX_OK)
		return st;
	*nodes = p->nodes;
	*n = p->count;
	free(p);
	return CX_OK;
}

cx_future *
cx_pubsub_get_pending_nodes_async(cx_client *c, const char *service)
{
	req q = { 0 };

	return req_async(c, &q, prep_get_pending(&q, service, NULL, NULL, NULL,
						 conv_pending, NULL));
}

cx_status
cx_pubsub_request_pending(cx_client *c, const char *service, const char *node,
			  cx_error *err)
{
	cx_stanza *reply = NULL;
	cx_pubsub_pending *p = NULL;
	char *sessionid = NULL, *form_type = NULL;
	req q = { 0 };
	cx_status st;
	size_t i;

	if (node == NULL || *node == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "pubsub: a node name is required");
	st = prep_get_pending(&q, service, NULL, NULL, NULL, conv_reply, err);
	if ((st = req_call((void **)&reply, c, &q, st, err)) != CX_OK)
		goto out;
	st = cxi_pubsub_parse_get_pending(&p, &sessionid, &form_type, reply, err);
	if (st != CX_OK)
		goto out;
	for (i = 0; i < p->count && strcmp(p->nodes[i], node) != 0; i++)
		;
	if (i == p->count) {
		st = cxi_error_set(err, CX_ERR_NOT_FOUND,
				   "pubsub: no pending subscription requests at %.200s", node);
		goto out;
	}
	if (sessionid == NULL) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "malformed pubsub reply: get-pending without a sessionid");
		goto out;
	}
	st = prep_get_pending(&q, service, node, sessionid, form_type, NULL, err);
	st = req_call(NULL, c, &q, st, err);
out:
	cx_pubsub_pending_free(p);
	cx_stanza_unref(reply);
	free(sessionid);
	free(form_type);
	return st;
}

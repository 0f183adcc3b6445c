/*
 * cxmpp/pubsub.h - XEP-0060 publish-subscribe and XEP-0163 PEP.
 *
 * Three layers, one header:
 *  - parsed results (cx_pubsub_items, cx_pubsub_subscriptions, ...) and
 *    event parsing (cx_pubsub_event_parse), usable without a connection;
 *  - one blocking call per XEP-0060 use case (cx_pubsub_subscribe ...);
 *  - handles that read like the old library's Server and Node objects:
 *    cx_pubsub_service (a client + a service JID) and cx_pubsub_node (a
 *    service + a node name), e.g.
 *        cx_pubsub_node_publish(&id, node, "item1", entry, NULL, &err);
 *
 * Asynchronous twins: every request has an `_async` twin taking the same
 * arguments (without the out-parameters and `err`) and returning a
 * cx_future whose value is the parsed result the blocking call would
 * return, owned by the future (borrowed through cx_future_get_value while
 * you hold a reference). The reply is parsed on the thread that settles
 * the call (the client's reader) before the future settles. A stanza
 * error fails the future with the same status and cx_error as the
 * blocking call (cx_future_get_error: err->condition, err->app_condition,
 * CX_ERR_NOT_SUPPORTED for <unsupported/>), and the error stanza stays
 * readable as the failed future's value. A timeout, cx_future_cancel() or a
 * disconnect settle it too. The blocking call is its twin's request plus a
 * wait, converted by the same code. An _async twin returns NULL only when
 * out of memory or when its arguments are invalid (the blocking twin
 * returns the precise status for the same arguments).
 *
 * Callback per request (the old library paired each request with a
 * callback): attach one with cx_future_then() and drop your reference;
 * the callback runs once on the pool, whatever the outcome:
 *
 *     static void
 *     on_items(cx_future *f, void *arg)
 *     {
 *             cx_error e = CX_ERROR_INIT;
 *             const cx_pubsub_items *items = cx_future_get_value(f);
 *
 *             if (cx_future_get_error(f, &e) != CX_OK) {
 *                     ... e.status, e.condition, e.app_condition ...
 *                     return;
 *             }
 *             ... items->count, items->v[i].payload ...
 *     }
 *
 *     cx_future *f = cx_pubsub_get_items_async(c, svc, "node", NULL);
 *     if (f == NULL || cx_future_then(f, on_items, arg, arg_free, &err) != CX_OK)
 *             ... out of memory or invalid arguments ...
 *     cx_future_unref(f);
 *
 * (Inside on_items, `items` is valid until the callback returns; take a
 * cx_future_ref() to keep it longer.) Several requests can be in flight
 * on one client at once; their callbacks run in no guaranteed order.
 * The multi-request walks (cx_pubsub_list_nodes with max_depth > 0, the
 * pager, cx_pubsub_service_require's first call, cx_pubsub_request_pending)
 * are blocking only: their one-request building blocks
 * (cx_pubsub_list_nodes_async, cx_pubsub_get_items_async with an RSM
 * request, cx_pubsub_get_info_async, cx_pubsub_get_pending_nodes_async)
 * are asynchronous.
 *
 * Errors: every call fills `err` from the service's reply: err->condition
 * is the RFC 6120 condition, err->app_condition/app_ns the pubsub#errors
 * condition ("not-subscribed", "precondition-not-met" ...). A reply with
 * <unsupported xmlns='...#errors' feature='F'/> gives CX_ERR_NOT_SUPPORTED
 * with "pubsub#F" in err->message; cx_pubsub_require_feature() gives the
 * same status before a request is sent.
 *
 * Forms: configuration, subscription options and publish-options are
 * passed as flat {var, value, var, value, ..., NULL} string arrays (a
 * submitted XEP-0004 form; a var repeated in consecutive pairs gives one
 * field with several values, e.g. pubsub#show-values), or as a ready
 * <x xmlns='jabber:x:data'/> node; forms that come back (a node's
 * configuration, the default configuration, subscription options) are
 * returned as the <x/> node, borrowed from the reply, so that any XEP-0004
 * reader (cxmpp/forms.h) can read them; cx_pubsub_form_value() reads one
 * field.
 *
 * Threading: every function may be called from any thread, on the same
 * client concurrently, including from handlers (replies are resolved on
 * the reader thread). Event handlers run on the client's pool, in arrival
 * order. Result structures are plain data: once returned they are owned
 * by the caller (or by the future) and read-only for the library. Handles
 * are immutable after creation and may be shared between threads.
 */
#ifndef CXMPP_PUBSUB_H
#define CXMPP_PUBSUB_H

#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/future.h"
#include "cxmpp/rsm.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

/** @name Namespaces @{ */
#define CX_NS_PUBSUB "http://jabber.org/protocol/pubsub"
#define CX_NS_PUBSUB_EVENT "http://jabber.org/protocol/pubsub#event"
#define CX_NS_PUBSUB_OWNER "http://jabber.org/protocol/pubsub#owner"
#define CX_NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"
#define CX_NS_PUBSUB_NODE_CONFIG "http://jabber.org/protocol/pubsub#node_config"
#define CX_NS_PUBSUB_SUB_OPTIONS "http://jabber.org/protocol/pubsub#subscribe_options"
#define CX_NS_PUBSUB_PUBLISH_OPTIONS "http://jabber.org/protocol/pubsub#publish-options"
#define CX_NS_PUBSUB_SUB_AUTH "http://jabber.org/protocol/pubsub#subscribe_authorization"
#define CX_NS_PUBSUB_META_DATA "http://jabber.org/protocol/pubsub#meta-data"
#define CX_NS_DATA_FORMS "jabber:x:data"
/** @} */

/** Bounds on what the parsers accept from a peer (beyond: CX_ERR_PROTOCOL). */
#define CX_PUBSUB_MAX_ITEMS 10000       /**< items or retracts in one reply or event */
#define CX_PUBSUB_MAX_ENTRIES 10000     /**< subscriptions/affiliations/nodes in one reply */
#define CX_PUBSUB_MAX_FORM_FIELDS 1000  /**< fields read from one form */

/** Subscription state (XEP-0060 section 4.2). */
typedef enum cx_pubsub_sub_state {
	CX_PUBSUB_SUB_NONE = 0,
	CX_PUBSUB_SUB_PENDING,
	CX_PUBSUB_SUB_UNCONFIGURED,
	CX_PUBSUB_SUB_SUBSCRIBED
} cx_pubsub_sub_state;

/** Affiliation (XEP-0060 section 4.1). */
typedef enum cx_pubsub_affiliation {
	CX_PUBSUB_AFF_NONE = 0,
	CX_PUBSUB_AFF_OWNER,
	CX_PUBSUB_AFF_PUBLISHER,
	CX_PUBSUB_AFF_PUBLISH_ONLY,
	CX_PUBSUB_AFF_MEMBER,
	CX_PUBSUB_AFF_OUTCAST
} cx_pubsub_affiliation;

/** "subscribed" ... ; NULL for an unknown value. @thread any */
CX_API const char *cx_pubsub_sub_state_name(cx_pubsub_sub_state s);
/** "publish-only" ... ; NULL for an unknown value. @thread any */
CX_API const char *cx_pubsub_affiliation_name(cx_pubsub_affiliation a);

/** One subscription. Strings are owned by the containing list. */
typedef struct cx_pubsub_subscription {
	char *node;                /**< NULL when the reply named none */
	char *jid;                 /**< the subscribed JID */
	char *subid;               /**< NULL when the service uses none */
	char *expiry;              /**< XEP-0082 date-time, or NULL */
	cx_pubsub_sub_state state;
	int options_supported;     /**< <subscribe-options/> present */
	int options_required;      /**< ... with <required/> */
} cx_pubsub_subscription;

/** A list of subscriptions (freed with cx_pubsub_subscriptions_free). */
typedef struct cx_pubsub_subscriptions {
	size_t count;
	cx_pubsub_subscription *v;
} cx_pubsub_subscriptions;

/** One affiliation. */
typedef struct cx_pubsub_affiliation_entry {
	char *node;  /**< set in an entity's list (section 5.7) */
	char *jid;   /**< set in an owner's list (section 8.9) */
	cx_pubsub_affiliation affiliation;
} cx_pubsub_affiliation_entry;

/** A list of affiliations (freed with cx_pubsub_affiliations_free). */
typedef struct cx_pubsub_affiliations {
	size_t count;
	cx_pubsub_affiliation_entry *v;
} cx_pubsub_affiliations;

/** One item; every pointer is borrowed from the stanza it was read from. */
typedef struct cx_pubsub_item {
	const char *id;        /**< NULL if the service sent none */
	const char *publisher; /**< the publisher attribute, or NULL */
	xmlNodePtr payload;    /**< the first child element, or NULL */
} cx_pubsub_item;

/** Items of a retrieval (freed with cx_pubsub_items_free). */
typedef struct cx_pubsub_items {
	char *node;            /**< the node the reply named */
	size_t count;
	cx_pubsub_item *v;
	cx_rsm_result rsm;     /**< the page, when the service pages */
	cx_stanza *stanza;     /**< the reply (one reference), owning v[] */
} cx_pubsub_items;

/** A node or another disco#items entry of a pubsub service. */
typedef struct cx_pubsub_node_entry {
	char *jid;
	char *node;  /**< NULL for an entry without a node */
	char *name;
	int depth;   /**< 0 for the listed level, 1 for its children ... */
} cx_pubsub_node_entry;

/** A node listing (freed with cx_pubsub_node_list_free). */
typedef struct cx_pubsub_node_list {
	size_t count;
	cx_pubsub_node_entry *v;
	int truncated;  /**< 1 if a bound (depth, count) cut the walk short */
} cx_pubsub_node_list;

/** What a service or node says about itself (disco#info). */
typedef struct cx_pubsub_info {
	size_t n_features;
	char **features;        /**< feature vars, owned */
	char *category, *type;  /**< first identity ("pubsub", "service"/"leaf"/"collection"/"pep") */
	xmlNodePtr meta_data;   /**< the pubsub#meta-data form, borrowed from stanza, or NULL */
	cx_stanza *stanza;      /**< the reply (one reference) */
} cx_pubsub_info;

/** @name Freeing results. Each accepts NULL. @thread any @{ */
CX_API void cx_pubsub_subscriptions_free(cx_pubsub_subscriptions *l);
CX_API void cx_pubsub_affiliations_free(cx_pubsub_affiliations *l);
CX_API void cx_pubsub_items_free(cx_pubsub_items *items);
CX_API void cx_pubsub_node_list_free(cx_pubsub_node_list *l);
CX_API void cx_pubsub_info_free(cx_pubsub_info *info);
/** @} */

/**
 * Whether `info` lists "http://jabber.org/protocol/pubsub#<feature>".
 * @param feature the short name ("publish", "retrieve-items" ...)
 * @return 1 or 0
 * @thread any
 */
CX_API int cx_pubsub_info_has_feature(const cx_pubsub_info *info,
				      const char *feature);

/**
 * CX_OK if info lists the feature, else CX_ERR_NOT_SUPPORTED with
 * "service X lacks pubsub#F" in err->message.
 * @thread any
 */
CX_API cx_status cx_pubsub_require_feature(const cx_pubsub_info *info,
					   const char *feature, cx_error *err);

/**
 * The first value of field `var` in a data form node (an
 * <x xmlns='jabber:x:data'/>), borrowed from the form's document, or NULL.
 * @thread any
 */
CX_API const char *cx_pubsub_form_value(const xmlNode *form, const char *var);

/* ------------------------------------------------------------------------
 * Events (section 7 notifications, section 8 owner notifications)
 */

/** What an event says. */
typedef enum cx_pubsub_event_kind {
	CX_PUBSUB_EVENT_ITEMS = 1,      /**< items published and/or retracted */
	CX_PUBSUB_EVENT_PURGE,          /**< all items deleted */
	CX_PUBSUB_EVENT_DELETE,         /**< the node was deleted (redirect maybe) */
	CX_PUBSUB_EVENT_CONFIGURATION,  /**< configuration changed (form maybe) */
	CX_PUBSUB_EVENT_SUBSCRIPTION,   /**< our subscription's state changed */
	CX_PUBSUB_EVENT_AUTHORIZATION,  /**< an owner is asked to approve a subscriber */
	CX_PUBSUB_EVENT_COLLECTION      /**< a node was associated with/dissociated from a collection */
} cx_pubsub_event_kind;

/**
 * A parsed event. Every pointer is borrowed from `stanza` (or owned by the
 * event, for the arrays), valid until cx_pubsub_event_free (or, in a
 * handler, until the handler returns).
 */
typedef struct cx_pubsub_event {
	cx_pubsub_event_kind kind;
	const char *from;        /**< the sender: the service, or a PEP account */
	const char *node;
	size_t n_items;
	cx_pubsub_item *items;   /**< published items (ITEMS) */
	size_t n_retracts;
	const char **retracts;   /**< retracted item ids (ITEMS) */
	const char *redirect;    /**< DELETE: the redirect URI, or NULL */
	xmlNodePtr form;         /**< CONFIGURATION: the new configuration, or
	                              AUTHORIZATION: the request form; or NULL */
	const char *jid;         /**< SUBSCRIPTION/AUTHORIZATION: the subscriber */
	const char *subid;       /**< SUBSCRIPTION/AUTHORIZATION, or NULL */
	cx_pubsub_sub_state state; /**< SUBSCRIPTION */
	const char *collection_child; /**< COLLECTION: the associated/dissociated node */
	int associated;          /**< COLLECTION: 1 associate, 0 disassociate */
	cx_stanza *stanza;       /**< the message (one reference) */
} cx_pubsub_event;

/**
 * Parses a <message/> carrying a pubsub event or a subscription
 * authorization request.
 * @param out the event (owned: cx_pubsub_event_free), NULL on failure
 * @param msg the message (borrowed; the event takes a reference)
 * @return CX_OK; CX_ERR_NOT_FOUND (not a pubsub event); CX_ERR_PROTOCOL
 *         (malformed: no node, an item or retract without id where one is
 *         required, more than CX_PUBSUB_MAX_ITEMS items, an unknown state,
 *         no sender); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_pubsub_event_parse(cx_pubsub_event **out,
				       cx_stanza *msg, cx_error *err);

/** Frees an event (NULL is ignored). @thread any */
CX_API void cx_pubsub_event_free(cx_pubsub_event *ev);

/**
 * An event handler. `ev` is borrowed for the call.
 * @thread runs on pool, in the client's handler order
 */
typedef void (*cx_pubsub_event_fn)(void *arg, cx_client *client,
				   const cx_pubsub_event *ev);

/**
 * Registers a handler for events of `service` (a pubsub service or, for
 * PEP, an account's bare JID) and `node`.
 * An event reaches the handler only if the message's 'from' is exactly
 * the service's JID; for PEP (service = an account's bare JID) that means
 * from the bare JID itself, which is where XEP-0163 notifications come
 * from, not from one of its resources: an event claiming a node but sent
 * by anyone else is dropped (the forged-event class of CVE-2023-28686). With `service`
 * NULL the handler gets every event, each with its true sender in
 * ev->from. Messages with an event are consumed only when a handler took
 * them.
 * @param service the JID events must come from, or NULL for any (copied)
 * @param node the node, or NULL for all of the service's nodes (copied)
 * @param arg_free runs once with arg when the registration ends
 * @return the handler id (remove with cx_client_remove_handler), or 0 when
 *         out of memory or the service is not a valid JID
 * @thread any
 */
CX_API cx_handler_id cx_pubsub_on_event(cx_client *client,
					const char *service, const char *node,
					cx_pubsub_event_fn fn, void *arg,
					void (*arg_free)(void *));

/* ------------------------------------------------------------------------
 * Entity use cases (section 5)
 */

/**
 * disco#info of a service (node NULL) or of a node (its pubsub#meta-data).
 * @param out the info (owned: cx_pubsub_info_free)
 * @param service the service JID (for PEP: the account's bare JID)
 * @param node the node, or NULL
 * @return CX_OK; CX_ERR_STANZA_ERROR; CX_ERR_PROTOCOL (malformed reply);
 *         CX_ERR_TIMEOUT, CX_ERR_DISCONNECTED, CX_ERR_STATE
 * @thread any; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_get_info(cx_pubsub_info **out, cx_client *c,
				    const char *service, const char *node,
				    cx_error *err);

/**
 * Lists nodes (disco#items) of a service or a collection node; with
 * max_depth > 0, walks into each listed node that has a node attribute,
 * up to max_depth levels and max_count entries in all (then
 * out->truncated is 1). Each node is visited once, so a service that
 * lists a node under itself cannot make the walk loop.
 * @param out the list (owned: cx_pubsub_node_list_free)
 * @param node the collection to list, or NULL for the service's root
 * @param max_depth 0 for one level
 * @param max_count at most this many entries (> 0)
 * @return as cx_pubsub_get_info
 * @thread any, not from a handler of c for max_depth > 0 (several calls);
 *         @blocks up to one call timeout per listed node
 */
CX_API cx_status cx_pubsub_list_nodes(cx_pubsub_node_list **out, cx_client *c,
				      const char *service, const char *node,
				      int max_depth, size_t max_count,
				      cx_error *err);

/**
 * Our subscriptions at the service (node NULL) or at one node (5.6).
 * @param out the list (owned: cx_pubsub_subscriptions_free)
 */
CX_API cx_status cx_pubsub_get_subscriptions(cx_pubsub_subscriptions **out,
					     cx_client *c, const char *service,
					     const char *node, cx_error *err);

/** Our affiliations at the service (node NULL) or at one node (5.7). */
CX_API cx_status cx_pubsub_get_affiliations(cx_pubsub_affiliations **out,
					    cx_client *c, const char *service,
					    const char *node, cx_error *err);

/* ------------------------------------------------------------------------
 * Subscriber use cases (section 6)
 */

/**
 * Subscribes `jid` (NULL: our bare JID) to a node (6.1), with options
 * (6.3.7) as {var, value, ..., NULL} or NULL.
 * @param out the subscription (owned: cx_pubsub_subscriptions_free; one
 *        entry), whose state is subscribed, pending or unconfigured
 * @return CX_OK; CX_ERR_STANZA_ERROR with the pubsub condition
 *         (not-authorized/presence-subscription-required ...);
 *         CX_ERR_NOT_SUPPORTED (unsupported feature='subscribe')
 * @thread any; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_subscribe(cx_pubsub_subscriptions **out,
				     cx_client *c, const char *service,
				     const char *node, const char *jid,
				     const char *const *options, cx_error *err);

/** Unsubscribes (6.2); jid NULL: our bare JID; subid NULL for none. */
CX_API cx_status cx_pubsub_unsubscribe(cx_client *c, const char *service,
				       const char *node, const char *jid,
				       const char *subid, cx_error *err);

/**
 * Gets subscription options (6.3): *form is the <x/> node, borrowed from
 * *reply, which the caller owns (cx_stanza_unref).
 */
CX_API cx_status cx_pubsub_get_options(xmlNodePtr *form, cx_stanza **reply,
				       cx_client *c, const char *service,
				       const char *node, const char *jid,
				       const char *subid, cx_error *err);

/** Submits subscription options (6.3.5) as {var, value, ..., NULL}. */
CX_API cx_status cx_pubsub_set_options(cx_client *c, const char *service,
				       const char *node, const char *jid,
				       const char *subid,
				       const char *const *options,
				       cx_error *err);

/**
 * The first data form (<x xmlns='jabber:x:data'/>) anywhere under a
 * reply's payload, borrowed from the reply; NULL if none.
 * @thread any
 */
CX_API xmlNodePtr cx_pubsub_form_of_reply(const cx_stanza *reply);

/** Which items to retrieve (6.5). Zeroed fields: all items. */
typedef struct cx_pubsub_items_query {
	unsigned version;             /**< CX_PUBSUB_ITEMS_QUERY_VERSION */
	long max_items;               /**< the last N (6.5.7), or 0 for all */
	const char *const *item_ids;  /**< NULL-terminated ids (6.5.8), or NULL */
	const char *subid;            /**< subscription id (6.5.3), or NULL */
	const cx_rsm_request *rsm;    /**< a page (6.5.4, XEP-0059), or NULL */
} cx_pubsub_items_query;

#define CX_PUBSUB_ITEMS_QUERY_VERSION 1
#define CX_PUBSUB_ITEMS_QUERY_INIT { CX_PUBSUB_ITEMS_QUERY_VERSION, 0, NULL, NULL, NULL }

/**
 * Retrieves items (6.5): all, the last N, by ids, or a page.
 * @param out the items (owned: cx_pubsub_items_free)
 * @param query what to get, or NULL for all
 * @return CX_OK; CX_ERR_STANZA_ERROR; CX_ERR_NOT_SUPPORTED;
 *         CX_ERR_PROTOCOL (malformed reply, more than CX_PUBSUB_MAX_ITEMS)
 * @thread any; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_get_items(cx_pubsub_items **out, cx_client *c,
				     const char *service, const char *node,
				     const cx_pubsub_items_query *query,
				     cx_error *err);

/** A pager over a node's items with XEP-0059 (opaque). */
typedef struct cx_pubsub_pager cx_pubsub_pager;

/**
 * Starts paging through a node's items, `page_size` at a time, for at most
 * `max_pages` pages.
 * @param out the pager (owned: cx_pubsub_pager_free)
 * @return CX_OK; CX_ERR_INVALID (page_size or max_pages < 1); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_pubsub_pager_new(cx_pubsub_pager **out, cx_client *c,
				     const char *service, const char *node,
				     long page_size, unsigned max_pages,
				     cx_error *err);

/**
 * Fetches the next page. The walk ends, with *page NULL and CX_OK, after a
 * page without a <set/>, an empty page, a page whose <last/> is absent, or
 * when <count/> items were seen. It never loops on a hostile service: a
 * <last/> equal to the previous one gives CX_ERR_PROTOCOL ("no progress"),
 * and the max_pages-th page is followed by CX_ERR_FULL ("page cap").
 * After an error or the end, further calls return the same status.
 * @param page the page (owned: cx_pubsub_items_free), NULL at the end
 * @thread one at a time per pager; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_pager_next(cx_pubsub_items **page,
				      cx_pubsub_pager *p, cx_error *err);

/** Frees a pager (NULL ignored). @thread the pager's user */
CX_API void cx_pubsub_pager_free(cx_pubsub_pager *p);

/* ------------------------------------------------------------------------
 * Publisher use cases (section 7)
 */

/**
 * Publishes an item (7.1).
 * @param id receives the item id (owned: cx_free): the one given, or the
 *        one the service assigned (NULL if the service did not say); may be
 *        NULL
 * @param item_id the id, or NULL to let the service choose
 * @param payload the payload element (borrowed, deep-copied), or NULL for a
 *        notification-only node
 * @param options publish-options {var, value, ..., NULL} (7.1.5), or NULL;
 *        a service that refuses them answers conflict with
 *        precondition-not-met (err->app_condition)
 * @return CX_OK; CX_ERR_STANZA_ERROR; CX_ERR_NOT_SUPPORTED (publish or
 *         publish-options unsupported)
 * @thread any; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_publish(char **id, cx_client *c, const char *service,
				   const char *node, const char *item_id,
				   const xmlNode *payload,
				   const char *const *options, cx_error *err);

/**
 * Publishes several items in one request (where the service allows it).
 * @param ids receives the ids the service returned (owned: free each with
 *        cx_free and the array with cx_free); may be NULL
 * @param n_ids receives their count; may be NULL
 * @param item_ids n ids, each may be NULL (service-assigned); or NULL
 * @param payloads n payload elements (borrowed)
 */
CX_API cx_status cx_pubsub_publish_many(char ***ids, size_t *n_ids,
					cx_client *c, const char *service,
					const char *node, size_t n,
					const char *const *item_ids,
					const xmlNode *const *payloads,
					const char *const *options,
					cx_error *err);

/** Retracts an item (7.2), notifying subscribers when notify is nonzero. */
CX_API cx_status cx_pubsub_retract(cx_client *c, const char *service,
				   const char *node, const char *item_id,
				   int notify, cx_error *err);

/* ------------------------------------------------------------------------
 * Owner use cases (section 8)
 */

/**
 * Creates a node (8.1): named, or instant with node NULL.
 * @param created receives the node name (owned: cx_free): the service's
 *        for an instant node, else the given name; may be NULL
 * @param config {var, value, ..., NULL} for <configure/> (8.1.3), or NULL
 */
CX_API cx_status cx_pubsub_create(char **created, cx_client *c,
				  const char *service, const char *node,
				  const char *const *config, cx_error *err);

/**
 * Gets a node's configuration form (8.2), or with node NULL the default
 * configuration (8.3). *form is borrowed from *reply (owned by the caller).
 */
CX_API cx_status cx_pubsub_get_config(xmlNodePtr *form, cx_stanza **reply,
				      cx_client *c, const char *service,
				      const char *node, cx_error *err);

/** Submits a node's configuration (8.2.5) as {var, value, ..., NULL}. */
CX_API cx_status cx_pubsub_set_config(cx_client *c, const char *service,
				      const char *node,
				      const char *const *config, cx_error *err);

/** Deletes a node (8.4), with a redirect URI for its subscribers or NULL. */
CX_API cx_status cx_pubsub_delete(cx_client *c, const char *service,
				  const char *node, const char *redirect,
				  cx_error *err);

/** Purges all items of a node (8.5). */
CX_API cx_status cx_pubsub_purge(cx_client *c, const char *service,
				 const char *node, cx_error *err);

/** The node's subscriptions, as its owner sees them (8.8.1). */
CX_API cx_status cx_pubsub_owner_get_subscriptions(cx_pubsub_subscriptions **out,
						   cx_client *c,
						   const char *service,
						   const char *node,
						   cx_error *err);

/**
 * Sets subscription states (8.8.2): each entry's jid, state (NONE removes)
 * and subid are sent.
 */
CX_API cx_status cx_pubsub_owner_set_subscriptions(cx_client *c,
						   const char *service,
						   const char *node,
						   const cx_pubsub_subscription *subs,
						   size_t n, cx_error *err);

/** The node's affiliations, as its owner sees them (8.9.1). */
CX_API cx_status cx_pubsub_owner_get_affiliations(cx_pubsub_affiliations **out,
						  cx_client *c,
						  const char *service,
						  const char *node,
						  cx_error *err);

/** Sets affiliations (8.9.2): each entry's jid and affiliation are sent. */
CX_API cx_status cx_pubsub_owner_set_affiliations(cx_client *c,
						  const char *service,
						  const char *node,
						  const cx_pubsub_affiliation_entry *affs,
						  size_t n, cx_error *err);

/**
 * Answers a subscription authorization request (8.6) received as an
 * CX_PUBSUB_EVENT_AUTHORIZATION event: sends the submitted form back to
 * the service with pubsub#allow set.
 * @thread any (sends; does not wait)
 */
CX_API cx_status cx_pubsub_authorize(cx_client *c,
				     const cx_pubsub_event *request,
				     int allow, cx_error *err);

/** Nodes with pending subscription requests (8.7). */
typedef struct cx_pubsub_pending {
	size_t count;
	char **nodes;  /**< node names, owned by the list */
} cx_pubsub_pending;

/** Frees a pending-nodes list (NULL ignored). @thread any */
CX_API void cx_pubsub_pending_free(cx_pubsub_pending *p);

/**
 * Lists the nodes we own that have pending subscription requests (8.7):
 * executes the ad-hoc command (XEP-0050)
 * "http://jabber.org/protocol/pubsub#get-pending" at the service and reads
 * the <option/>s of the pubsub#node field of the form it returns. The
 * command session is left open (services expire it); ask for a node's
 * requests with cx_pubsub_request_pending.
 * @param nodes receives the node names (owned: free each with cx_free and
 *        the array with cx_free; NULL when there are none)
 * @param n receives their count
 * @return CX_OK; CX_ERR_NOT_SUPPORTED naming "pubsub#get-pending" when the
 *         service answers service-unavailable or feature-not-implemented
 *         (Prosody 0.12 does); CX_ERR_STANZA_ERROR (forbidden ...);
 *         CX_ERR_PROTOCOL (no <command/>, no form, no pubsub#node field, an
 *         empty node name, more than CX_PUBSUB_MAX_ENTRIES nodes);
 *         CX_ERR_INVALID; CX_ERR_TIMEOUT, CX_ERR_DISCONNECTED, CX_ERR_STATE
 * @thread any; @blocks up to the call timeout
 */
CX_API cx_status cx_pubsub_get_pending_nodes(char ***nodes, size_t *n,
					     cx_client *c, const char *service,
					     cx_error *err);

/**
 * Asks the service to send again the subscription authorization requests
 * pending at `node` (8.7): executes the get-pending command, then submits
 * its form with the node in the same session. The requests arrive as
 * messages, as CX_PUBSUB_EVENT_AUTHORIZATION events (cx_pubsub_on_event),
 * answered with cx_pubsub_authorize.
 * @param node the node
 * @return as cx_pubsub_get_pending_nodes (either step); CX_ERR_NOT_FOUND
 *         when the service's form does not offer the node (no request is
 *         pending there; nothing is submitted); CX_ERR_PROTOCOL also when
 *         the first answer has no sessionid
 * @thread any, not from a handler of c (two calls); @blocks up to two call
 *         timeouts
 */
CX_API cx_status cx_pubsub_request_pending(cx_client *c, const char *service,
					   const char *node, cx_error *err);

/* ------------------------------------------------------------------------
 * Handles: the old Server and Node objects
 */

/** A service handle: a client and a service JID. Immutable. */
typedef struct cx_pubsub_service cx_pubsub_service;
/** A node handle: a service and a node name. Immutable. */
typedef struct cx_pubsub_node cx_pubsub_node;

/**
 * Makes a service handle.
 * @param client borrowed: it must outlive the handle
 * @param service the service JID (copied; for PEP, the account's bare JID)
 * @return CX_OK; CX_ERR_JID; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_pubsub_service_new(cx_pubsub_service **out,
				       cx_client *client, const char *service,
				       cx_error *err);
/** Frees a service handle (its node handles must be freed first). */
CX_API void cx_pubsub_service_free(cx_pubsub_service *s);
/** The service's JID (borrowed). */
CX_API const char *cx_pubsub_service_jid(const cx_pubsub_service *s);
/** The client (borrowed). */
CX_API cx_client *cx_pubsub_service_client(const cx_pubsub_service *s);

/**
 * disco#info of the service, cached in the handle after the first
 * success, then CX_ERR_NOT_SUPPORTED naming "pubsub#feature" if the
 * service lacks it (CX_OK if it has it).
 * @thread any; @blocks up to the call timeout the first time
 */
CX_API cx_status cx_pubsub_service_require(cx_pubsub_service *s,
					   const char *feature, cx_error *err);

/** Makes a node handle (node name copied; service borrowed). */
CX_API cx_status cx_pubsub_node_new(cx_pubsub_node **out,
				    cx_pubsub_service *service,
				    const char *node, cx_error *err);
CX_API void cx_pubsub_node_free(cx_pubsub_node *n);
CX_API const char *cx_pubsub_node_name(const cx_pubsub_node *n);

/** @name Node operations: the calls above, on a handle @{ */
CX_API cx_status cx_pubsub_node_publish(char **id, cx_pubsub_node *n,
					const char *item_id,
					const xmlNode *payload,
					const char *const *options,
					cx_error *err);
CX_API cx_status cx_pubsub_node_retract(cx_pubsub_node *n, const char *item_id,
					int notify, cx_error *err);
CX_API cx_status cx_pubsub_node_get_items(cx_pubsub_items **out,
					  cx_pubsub_node *n,
					  const cx_pubsub_items_query *query,
					  cx_error *err);
CX_API cx_status cx_pubsub_node_subscribe(cx_pubsub_subscriptions **out,
					  cx_pubsub_node *n,
					  const char *const *options,
					  cx_error *err);
CX_API cx_status cx_pubsub_node_unsubscribe(cx_pubsub_node *n,
					    const char *subid, cx_error *err);
CX_API cx_status cx_pubsub_node_create(cx_pubsub_node *n,
				       const char *const *config,
				       cx_error *err);
CX_API cx_status cx_pubsub_node_delete(cx_pubsub_node *n, const char *redirect,
				       cx_error *err);
CX_API cx_status cx_pubsub_node_purge(cx_pubsub_node *n, cx_error *err);
CX_API cx_handler_id cx_pubsub_node_on_event(cx_pubsub_node *n,
					     cx_pubsub_event_fn fn, void *arg,
					     void (*arg_free)(void *));
/** @} */

/* ------------------------------------------------------------------------
 * PEP (XEP-0163)
 */

/**
 * Publishes to one of our own PEP nodes (publish-and-possibly-create):
 * service = our bare JID; the node is created on first publish.
 * Same as cx_pubsub_publish with service NULL (the account).
 */
CX_API cx_status cx_pep_publish(char **id, cx_client *c, const char *node,
				const char *item_id, const xmlNode *payload,
				const char *const *options, cx_error *err);

/**
 * Subscribes by interest to `node` on our contacts' PEP services
 * (XEP-0163 section 4.2, "filtered notifications"): advertises
 * "<node>+notify" in our disco#info, turning on entity capabilities
 * (cx_caps_enable with the default caps node) if they are not on yet, and
 * with send_presence sends an available presence with the new caps
 * (cx_caps_send_presence), which is how our server and our contacts'
 * servers learn the interest. Contacts whose presence we are subscribed
 * to, and who are subscribed to ours, then send us their events for the
 * node; receive them with cx_pep_on_event or, per contact,
 * cx_pubsub_on_event(client, contact_bare_jid, node, ...).
 * An application that sends its own presence passes send_presence 0 and
 * decorates it with cx_caps_add_to_presence (the caps 'ver' changed).
 * @param node the PEP node ("http://jabber.org/protocol/tune"); no '#'
 * @return CX_OK; CX_ERR_INVALID; the statuses of cx_caps_enable,
 *         cx_disco_add_feature and cx_caps_send_presence
 * @thread any
 */
CX_API cx_status cx_pep_add_interest(cx_client *c, const char *node,
				     int send_presence, cx_error *err);

/** Withdraws the interest (CX_ERR_NOT_FOUND if there was none). @thread any */
CX_API cx_status cx_pep_remove_interest(cx_client *c, const char *node,
					int send_presence, cx_error *err);

/**
 * Registers a handler for PEP events of `node` from any account. An event
 * reaches it only when its 'from' is a bare JID with a local part (an
 * account's PEP service, which ev->from names): an event sent from a full
 * JID or a server JID is dropped, so a contact cannot pass its own message
 * off as someone's PEP data, and ev->from is the account the data belongs
 * to.
 * @param node the node (copied)
 * @return the handler id, or 0 when out of memory or node is NULL
 * @thread any
 */
CX_API cx_handler_id cx_pep_on_event(cx_client *client, const char *node,
				     cx_pubsub_event_fn fn, void *arg,
				     void (*arg_free)(void *));

/* ------------------------------------------------------------------------
 * Asynchronous twins (see the top of this header). Each returns a future
 * (one reference, owned by the caller: cx_future_unref) whose value, owned
 * by the future, is given below; NULL when out of memory or the arguments
 * are invalid. Every pointer argument is borrowed for the call only.
 * @thread any, including handlers and then-callbacks
 */

/** Ids a publish returned (7.1.2); freed with cx_pubsub_published_free. */
typedef struct cx_pubsub_published {
	size_t count;
	char **ids;
} cx_pubsub_published;

/** Frees a publish result (NULL ignored). @thread any */
CX_API void cx_pubsub_published_free(cx_pubsub_published *p);

/** Value: cx_pubsub_info *. */
CX_API cx_future *cx_pubsub_get_info_async(cx_client *c, const char *service,
					   const char *node);
/** One level of cx_pubsub_list_nodes (max_depth 0). Value: cx_pubsub_node_list *. */
CX_API cx_future *cx_pubsub_list_nodes_async(cx_client *c, const char *service,
					     const char *node, size_t max_count);
/** Value: cx_pubsub_subscriptions *. */
CX_API cx_future *cx_pubsub_get_subscriptions_async(cx_client *c,
						    const char *service,
						    const char *node);
/** Value: cx_pubsub_affiliations *. */
CX_API cx_future *cx_pubsub_get_affiliations_async(cx_client *c,
						   const char *service,
						   const char *node);
/** Value: cx_pubsub_subscriptions * (one entry). jid NULL: ours. */
CX_API cx_future *cx_pubsub_subscribe_async(cx_client *c, const char *service,
					    const char *node, const char *jid,
					    const char *const *options);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_unsubscribe_async(cx_client *c,
					      const char *service,
					      const char *node, const char *jid,
					      const char *subid);
/**
 * Value: the reply cx_stanza *, which carries a data form: read it with
 * cx_pubsub_form_of_reply(value).
 */
CX_API cx_future *cx_pubsub_get_options_async(cx_client *c,
					      const char *service,
					      const char *node, const char *jid,
					      const char *subid);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_set_options_async(cx_client *c,
					      const char *service,
					      const char *node, const char *jid,
					      const char *subid,
					      const char *const *options);
/** Value: cx_pubsub_items *. A page: query->rsm. */
CX_API cx_future *cx_pubsub_get_items_async(cx_client *c, const char *service,
					    const char *node,
					    const cx_pubsub_items_query *query);
/** Value: the item id (char *: the service's, else item_id), or NULL. */
CX_API cx_future *cx_pubsub_publish_async(cx_client *c, const char *service,
					  const char *node,
					  const char *item_id,
					  const xmlNode *payload,
					  const char *const *options);
/** Value: cx_pubsub_published *. */
CX_API cx_future *cx_pubsub_publish_many_async(cx_client *c,
					       const char *service,
					       const char *node, size_t n,
					       const char *const *item_ids,
					       const xmlNode *const *payloads,
					       const char *const *options);
/** Value: the item id, as cx_pubsub_publish_async. */
CX_API cx_future *cx_pep_publish_async(cx_client *c, const char *node,
				       const char *item_id,
				       const xmlNode *payload,
				       const char *const *options);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_retract_async(cx_client *c, const char *service,
					  const char *node,
					  const char *item_id, int notify);
/** Value: the node's name (char *). */
CX_API cx_future *cx_pubsub_create_async(cx_client *c, const char *service,
					 const char *node,
					 const char *const *config);
/** Value: the reply cx_stanza * with the form (cx_pubsub_form_of_reply). */
CX_API cx_future *cx_pubsub_get_config_async(cx_client *c,
					     const char *service,
					     const char *node);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_set_config_async(cx_client *c,
					     const char *service,
					     const char *node,
					     const char *const *config);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_delete_async(cx_client *c, const char *service,
					 const char *node,
					 const char *redirect);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_purge_async(cx_client *c, const char *service,
					const char *node);
/** Value: cx_pubsub_subscriptions *. */
CX_API cx_future *cx_pubsub_owner_get_subscriptions_async(cx_client *c,
							  const char *service,
							  const char *node);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_owner_set_subscriptions_async(cx_client *c,
							  const char *service,
							  const char *node,
							  const cx_pubsub_subscription *subs,
							  size_t n);
/** Value: cx_pubsub_affiliations *. */
CX_API cx_future *cx_pubsub_owner_get_affiliations_async(cx_client *c,
							 const char *service,
							 const char *node);
/** Value: none (NULL). */
CX_API cx_future *cx_pubsub_owner_set_affiliations_async(cx_client *c,
							 const char *service,
							 const char *node,
							 const cx_pubsub_affiliation_entry *affs,
							 size_t n);

/** Value: cx_pubsub_pending * (as cx_pubsub_get_pending_nodes). */
CX_API cx_future *cx_pubsub_get_pending_nodes_async(cx_client *c,
						    const char *service);

/** @name Node handle operations, asynchronous (values as above) @{ */
CX_API cx_future *cx_pubsub_node_publish_async(cx_pubsub_node *n,
					       const char *item_id,
					       const xmlNode *payload,
					       const char *const *options);
CX_API cx_future *cx_pubsub_node_retract_async(cx_pubsub_node *n,
					       const char *item_id, int notify);
CX_API cx_future *cx_pubsub_node_get_items_async(cx_pubsub_node *n,
						 const cx_pubsub_items_query *query);
CX_API cx_future *cx_pubsub_node_subscribe_async(cx_pubsub_node *n,
						 const char *const *options);
CX_API cx_future *cx_pubsub_node_unsubscribe_async(cx_pubsub_node *n,
						   const char *subid);
CX_API cx_future *cx_pubsub_node_create_async(cx_pubsub_node *n,
					      const char *const *config);
CX_API cx_future *cx_pubsub_node_delete_async(cx_pubsub_node *n,
					      const char *redirect);
CX_API cx_future *cx_pubsub_node_purge_async(cx_pubsub_node *n);
/** @} */

CX_END_DECLS

#endif

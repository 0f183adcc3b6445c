/*
 * cxmpp/disco.h - XEP-0030 service discovery (and XEP-0128 extended info).
 *
 * Three parts:
 *  - cx_disco_info and cx_disco_items: the parsed (or to-be-built) content
 *    of a disco#info or disco#items <query/>, usable without a connection;
 *  - queries: cx_disco_info_call / cx_disco_items_call block, their _async
 *    twins return a cx_future whose value is the parsed cx_disco_info or
 *    cx_disco_items (owned by the future: valid while you hold a reference);
 *  - the responder that answers disco#info and disco#items requests sent
 *    to this client, from what features registered: identities, features,
 *    extended-info forms, items, and nodes answered by a callback. A
 *    feature (ping, caps, pubsub's "+notify", a user's own) advertises
 *    itself through cx_disco_add_feature - the same door for everybody.
 *    The responder is installed on the first registration (or by
 *    cx_disco_enable) and keeps its state in the client's extension data.
 *    With no identity registered it answers with category "client", type
 *    "pc". A node nobody registered gets <item-not-found/>.
 *
 * Threading: every function may be called from any thread, on the same
 * client concurrently, including from handlers. A cx_disco_info or
 * cx_disco_items has no lock: build it in one thread; once built (or
 * received as a future's value) it is read-only and any thread may read it.
 * Strings returned by getters are borrowed from their object and valid
 * until it is freed.
 */
#ifndef CXMPP_DISCO_H
#define CXMPP_DISCO_H

#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/forms.h"
#include "cxmpp/future.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

#define CX_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define CX_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"

/** @name Parsing limits (CX_ERR_XML_TOO_MANY beyond them) @{ */
#define CX_DISCO_MAX_IDENTITIES 1000u
#define CX_DISCO_MAX_FEATURES 10000u
#define CX_DISCO_MAX_FORMS 100u
#define CX_DISCO_MAX_ITEMS 10000u
/** @} */

/** An identity (XEP-0030 section 3.1). Strings are borrowed. */
typedef struct cx_disco_identity {
	const char *category; /**< "client", "pubsub", "server" ... */
	const char *type;     /**< "pc", "service", "im" ... */
	const char *name;     /**< natural-language name, or NULL */
	const char *lang;     /**< xml:lang of the name, or NULL */
} cx_disco_identity;

/** An item (XEP-0030 section 4.1). Strings are borrowed. */
typedef struct cx_disco_item {
	const char *jid;  /**< the item's JID (always set) */
	const char *node; /**< its node, or NULL */
	const char *name; /**< its name, or NULL */
} cx_disco_item;

/** The content of a disco#info query. Opaque. */
typedef struct cx_disco_info cx_disco_info;
/** The content of a disco#items query. Opaque. */
typedef struct cx_disco_items cx_disco_items;

/* ---- disco#info content ------------------------------------------------ */

/**
 * Makes an empty info.
 * @param out receives it (owned: cx_disco_info_free), NULL on failure
 * @param node the node it describes, or NULL
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_info_new(cx_disco_info **out, const char *node,
				   cx_error *err);

/** Frees an info (NULL is ignored). @thread owner */
CX_API void cx_disco_info_free(cx_disco_info *info);

/**
 * Adds an identity (strings copied). An identical identity (same
 * category, type, lang and name) is not added twice.
 * @return CX_OK; CX_ERR_INVALID (category or type missing or empty);
 *         CX_ERR_XML_ENCODING; CX_ERR_FULL; CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_disco_info_add_identity(cx_disco_info *info,
					    const char *category,
					    const char *type, const char *name,
					    const char *lang, cx_error *err);

/**
 * Adds a feature (copied); one already there is not added twice.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_FULL;
 *         CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_disco_info_add_feature(cx_disco_info *info,
					   const char *var, cx_error *err);

/**
 * Adds an extended-info data form (XEP-0128); the form is copied. It
 * should be of type "result" with a FORM_TYPE.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_FULL; CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_disco_info_add_form(cx_disco_info *info,
					const cx_form *form, cx_error *err);

/** @name Getters (borrowed from info) @{ */
CX_API const char *cx_disco_info_get_node(const cx_disco_info *info);
CX_API size_t cx_disco_info_identity_count(const cx_disco_info *info);
/** The i-th identity, or NULL if out of range. */
CX_API const cx_disco_identity *cx_disco_info_identity_at(
	const cx_disco_info *info, size_t i);
CX_API size_t cx_disco_info_feature_count(const cx_disco_info *info);
/** The i-th feature's var, or NULL if out of range. */
CX_API const char *cx_disco_info_feature_at(const cx_disco_info *info,
					    size_t i);
/** 1 if the feature is listed, else 0. */
CX_API int cx_disco_info_has_feature(const cx_disco_info *info,
				     const char *var);
/** 1 if an identity with this category (and type, unless NULL) is listed. */
CX_API int cx_disco_info_has_identity(const cx_disco_info *info,
				      const char *category, const char *type);
CX_API size_t cx_disco_info_form_count(const cx_disco_info *info);
/** The i-th extended-info form, or NULL. */
CX_API const cx_form *cx_disco_info_form_at(const cx_disco_info *info,
					    size_t i);
/** The extended-info form whose FORM_TYPE is form_type, or NULL. */
CX_API const cx_form *cx_disco_info_find_form(const cx_disco_info *info,
					      const char *form_type);
/** @} */

/**
 * Parses a {disco#info}query element. Identities need category and type,
 * features need var; data forms (jabber:x:data) are parsed with
 * cx_form_parse; other children are ignored. Duplicates are kept as they
 * came (XEP-0115 verification refuses them; see caps.h).
 * @param out receives the info (owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID (not a disco#info query);
 *         CX_ERR_PROTOCOL (a missing attribute, a malformed form: the
 *         message says which); CX_ERR_XML_TOO_MANY; CX_ERR_NOMEM
 * @thread any, provided nobody modifies the node meanwhile
 */
CX_API cx_status cx_disco_info_parse(cx_disco_info **out, const xmlNode *query,
				     cx_error *err);

/**
 * Appends <query xmlns='...disco#info' [node]> with the content to parent.
 * @param out the new element, borrowed from parent's document (may be NULL)
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM (parent unchanged)
 * @thread owner of parent's document
 */
CX_API cx_status cx_disco_info_build(xmlNodePtr *out,
				     const cx_disco_info *info,
				     xmlNodePtr parent, cx_error *err);

/* ---- disco#items content ----------------------------------------------- */

/** Makes an empty item list for `node` (or NULL). @see cx_disco_info_new */
CX_API cx_status cx_disco_items_new(cx_disco_items **out, const char *node,
				    cx_error *err);
/** Frees an item list (NULL is ignored). */
CX_API void cx_disco_items_free(cx_disco_items *items);
/**
 * Appends an item (strings copied).
 * @return CX_OK; CX_ERR_INVALID (jid missing); CX_ERR_JID (jid is not a
 *         valid JID); CX_ERR_XML_ENCODING; CX_ERR_FULL; CX_ERR_NOMEM
 */
CX_API cx_status cx_disco_items_add(cx_disco_items *items, const char *jid,
				    const char *node, const char *name,
				    cx_error *err);
CX_API const char *cx_disco_items_get_node(const cx_disco_items *items);
CX_API size_t cx_disco_items_count(const cx_disco_items *items);
/** The i-th item, or NULL if out of range. */
CX_API const cx_disco_item *cx_disco_items_at(const cx_disco_items *items,
					      size_t i);
/**
 * Parses a {disco#items}query element. Every <item/> needs a jid that is
 * a valid JID.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_PROTOCOL; CX_ERR_XML_TOO_MANY;
 *         CX_ERR_NOMEM
 */
CX_API cx_status cx_disco_items_parse(cx_disco_items **out,
				      const xmlNode *query, cx_error *err);
/** Appends <query xmlns='...disco#items' [node]> to parent. */
CX_API cx_status cx_disco_items_build(xmlNodePtr *out,
				      const cx_disco_items *items,
				      xmlNodePtr parent, cx_error *err);

/* ---- queries ------------------------------------------------------------ */

/**
 * Builds a disco#info or disco#items request ("get" iq).
 * @param out receives the iq (owned), NULL on failure
 * @param items_ns 0 for disco#info, 1 for disco#items
 * @param to the entity (NULL: our server)
 * @param node the node, or NULL
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_build_request(cx_stanza **out, int items_ns,
					const char *to, const char *node,
					cx_error *err);

/**
 * Asks `to` for its disco#info (of `node`) and parses the answer.
 * @param out receives the info (owned: cx_disco_info_free)
 * @param to the entity, or NULL for our server
 * @param node the node, or NULL
 * @param timeout_ms CX_TIMEOUT_DEFAULT or > 0
 * @return CX_OK; CX_ERR_STANZA_ERROR (condition in err: item-not-found,
 *         service-unavailable ...); CX_ERR_PROTOCOL (malformed answer);
 *         CX_ERR_TIMEOUT; CX_ERR_DISCONNECTED; CX_ERR_STATE
 * @thread any, including handlers; @blocks up to timeout_ms
 */
CX_API cx_status cx_disco_info_call(cx_disco_info **out, cx_client *client,
				    const char *to, const char *node,
				    int timeout_ms, cx_error *err);

/**
 * The async twin of cx_disco_info_call: the future's value is the parsed
 * cx_disco_info (owned by the future). NULL only when out of memory or
 * arguments are invalid.
 * @thread any
 */
CX_API cx_future *cx_disco_info_call_async(cx_client *client, const char *to,
					   const char *node, int timeout_ms);

/** As cx_disco_info_call, for disco#items. */
CX_API cx_status cx_disco_items_call(cx_disco_items **out, cx_client *client,
				     const char *to, const char *node,
				     int timeout_ms, cx_error *err);

/** As cx_disco_info_call_async, for disco#items (value: cx_disco_items). */
CX_API cx_future *cx_disco_items_call_async(cx_client *client, const char *to,
					    const char *node, int timeout_ms);

/* ---- the responder ------------------------------------------------------ */

/**
 * Installs the responder (once; later calls do nothing).
 * @return CX_OK; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_enable(cx_client *client, cx_error *err);

/**
 * Advertises a feature in our disco#info (installing the responder).
 * Adding one twice is harmless.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_FULL;
 *         CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_add_feature(cx_client *client, const char *var,
				      cx_error *err);

/** Stops advertising a feature. CX_ERR_NOT_FOUND if it was not. @thread any */
CX_API cx_status cx_disco_remove_feature(cx_client *client, const char *var,
					 cx_error *err);

/**
 * Advertises an identity (replacing the default client/pc).
 * @return as cx_disco_info_add_identity
 * @thread any
 */
CX_API cx_status cx_disco_add_identity(cx_client *client, const char *category,
				       const char *type, const char *name,
				       const char *lang, cx_error *err);

/**
 * Adds an extended-info form (XEP-0128) to our disco#info, replacing one
 * with the same FORM_TYPE. The form is copied.
 * @return CX_OK; CX_ERR_INVALID (no FORM_TYPE); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_add_form(cx_client *client, const cx_form *form,
				   cx_error *err);

/**
 * Lists an item in our disco#items (of no node).
 * @return as cx_disco_items_add
 * @thread any
 */
CX_API cx_status cx_disco_add_item(cx_client *client, const char *jid,
				   const char *node, const char *name,
				   cx_error *err);

/**
 * Answers disco requests for a node. For a disco#info request, `info` is
 * an empty info for the node (items NULL); for disco#items, `items` is an
 * empty list (info NULL). The callback fills it and returns CX_OK; or
 * returns an error: CX_ERR_NOT_FOUND answers item-not-found, and an err
 * whose condition it set (CX_STANZA_ERR_FORBIDDEN ...) answers that
 * condition; anything else answers internal-server-error.
 * @param request the request stanza (borrowed)
 * @thread runs on pool (the client's handler)
 */
typedef cx_status (*cx_disco_node_fn)(void *arg, cx_client *client,
				      const cx_stanza *request,
				      const char *node, cx_disco_info *info,
				      cx_disco_items *items, cx_error *err);

/**
 * Registers (or replaces) a node of ours.
 * @param arg_free runs once with arg when the node is removed, replaced or
 *        the client freed (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (node or fn NULL); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_add_node(cx_client *client, const char *node,
				   cx_disco_node_fn fn, void *arg,
				   void (*arg_free)(void *), cx_error *err);

/**
 * Removes a node. When this returns its callback is not registered any
 * more (a call already running finishes). CX_ERR_NOT_FOUND if unknown.
 * @thread any
 */
CX_API cx_status cx_disco_remove_node(cx_client *client, const char *node,
				      cx_error *err);

/**
 * A snapshot of our own disco#info (of no node), as the responder would
 * answer it now: identities (or the default), features sorted as
 * registered, forms. For caps (XEP-0115) and for tests.
 * @param out receives it (owned: cx_disco_info_free)
 * @param node the node to put on it, or NULL
 * @return CX_OK; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_disco_get_own_info(cx_disco_info **out, cx_client *client,
				       const char *node, cx_error *err);

/**
 * A counter that increases every time our disco#info changes (a feature,
 * identity or form is added or removed); 0 before the first registration.
 * @thread any
 */
CX_API unsigned long cx_disco_get_generation(cx_client *client);

CX_END_DECLS

#endif

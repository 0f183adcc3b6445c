/*
 * cxmpp/roster.h - the roster (RFC 6121 section 2): get with versioning,
 * add/update, remove, pushes, and a cache the application can persist.
 *
 * Two halves. The pure half builds and parses roster stanzas and works on
 * cx_roster values (a version string and a list of items) without a
 * network. The client half keeps one cx_roster per client as a cache:
 * cx_roster_enable registers the push handler (an iq handler for
 * <query xmlns='jabber:iq:roster'/> of type "set"), cx_roster_fetch fills
 * the cache, and every accepted push updates it and is handed to the
 * application's push handler.
 *
 * Versioning (RFC 6121 section 2.6): the client cannot see the stream
 * features, so cx_roster_fetch sends 'ver' whenever the cache has a version
 * (one handed to cx_roster_enable from storage, or one the server sent
 * earlier). A server that does not version ignores it and sends the whole
 * roster; a server that does answers with the whole roster or with an empty
 * result meaning "unchanged" (the changes then come as pushes). Prosody
 * offers versioning; ejabberd does with mod_roster's `versioning: true`
 * (as configured for the tests), else it always sends the whole roster.
 *
 * Security (CVE-2015-8688 class): a push is accepted only with no 'from'
 * or with 'from' equal to the account's bare JID. Any other push is
 * answered with service-unavailable, changes nothing and is logged.
 *
 * Limits: a roster result with more than CX_ROSTER_MAX_ITEMS items is
 * refused with CX_ERR_XML_TOO_MANY before anything is allocated for its
 * items (the cache stays as it was); an item with more than
 * CX_ROSTER_MAX_GROUPS groups is dropped with a log line. (The stream's
 * own limits, CX_SETTING_LIMITS_MAX_STANZA_BYTES and _MAX_CHILDREN, stop
 * much smaller rosters by default: raise them for a big roster.)
 *
 * Threading: every function may be called from any thread. A cx_roster
 * value has one owner and no lock; read it from many threads only while
 * nobody changes it. The per-client cache is locked inside and handed out
 * as copies. Strings returned by getters are borrowed from their object
 * and valid until it is changed or freed.
 */
#ifndef CXMPP_ROSTER_H
#define CXMPP_ROSTER_H

#include <stddef.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/future.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

/** Namespace of the roster. */
#define CX_NS_ROSTER "jabber:iq:roster"
/** Most items a roster result may hold (see the limits above). */
#define CX_ROSTER_MAX_ITEMS 50000
/** Most groups an item may be in. */
#define CX_ROSTER_MAX_GROUPS 128

/** The subscription state of an item (RFC 6121 section 2.1.2.5). */
typedef enum cx_roster_subscription {
	CX_ROSTER_SUB_NONE = 0, /**< "none" (also when absent) */
	CX_ROSTER_SUB_TO,       /**< "to": we see the contact's presence */
	CX_ROSTER_SUB_FROM,     /**< "from": the contact sees ours */
	CX_ROSTER_SUB_BOTH,     /**< "both" */
	CX_ROSTER_SUB_REMOVE    /**< "remove": only in pushes, the item is gone */
} cx_roster_subscription;

/** One roster item. Opaque. */
typedef struct cx_roster_item cx_roster_item;
/** A roster: an optional version and a list of items. Opaque. */
typedef struct cx_roster cx_roster;

/** Name of a subscription state ("both"); NULL outside the enum. */
CX_API const char *cx_roster_subscription_name(cx_roster_subscription sub);

/* ---- items ----------------------------------------------------------- */

/** The item's JID (normalized bare JID), borrowed. */
CX_API const char *cx_roster_item_get_jid(const cx_roster_item *it);
/** The item's name, borrowed; NULL when it has none. */
CX_API const char *cx_roster_item_get_name(const cx_roster_item *it);
/** The subscription state. */
CX_API cx_roster_subscription cx_roster_item_get_subscription(const cx_roster_item *it);
/** 1 when our subscription request is pending (ask='subscribe'), else 0. */
CX_API int cx_roster_item_is_pending_out(const cx_roster_item *it);
/** 1 when the item is pre-approved (approved='true'), else 0. */
CX_API int cx_roster_item_is_approved(const cx_roster_item *it);
/** Number of groups (duplicates and empty names are removed on parse). */
CX_API size_t cx_roster_item_group_count(const cx_roster_item *it);
/** The i-th group, borrowed; NULL when i is out of range. */
CX_API const char *cx_roster_item_group_at(const cx_roster_item *it, size_t i);
/** Deep copy. @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM */
CX_API cx_status cx_roster_item_copy(cx_roster_item **out,
				     const cx_roster_item *it, cx_error *err);
/** Frees an item that the caller owns (NULL is a no-op). */
CX_API void cx_roster_item_free(cx_roster_item *it);

/* ---- roster values --------------------------------------------------- */

/** An empty roster without version. @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM */
CX_API cx_status cx_roster_new(cx_roster **out, cx_error *err);
/** Deep copy. @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM */
CX_API cx_status cx_roster_copy(cx_roster **out, const cx_roster *r,
				cx_error *err);
/** Frees a roster (NULL is a no-op). @thread one owner */
CX_API void cx_roster_free(cx_roster *r);
/** The version, borrowed; NULL when the roster has none. */
CX_API const char *cx_roster_get_version(const cx_roster *r);
/** Number of items. */
CX_API size_t cx_roster_count(const cx_roster *r);
/** The i-th item (in the server's order), borrowed; NULL out of range. */
CX_API const cx_roster_item *cx_roster_item_at(const cx_roster *r, size_t i);
/**
 * The item for a JID (compared as normalized bare JIDs), borrowed; NULL if
 * absent or if jid is not a valid JID.
 */
CX_API const cx_roster_item *cx_roster_find(const cx_roster *r,
					    const char *jid);

/**
 * Applies one pushed item: adds or replaces the item with its JID, or
 * removes it when its subscription is CX_ROSTER_SUB_REMOVE; then sets the
 * version to `ver` if it is not NULL.
 * @param it the item (borrowed; copied)
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_TOO_MANY (the roster already
 *         has CX_ROSTER_MAX_ITEMS items); CX_ERR_NOMEM (r unchanged)
 */
CX_API cx_status cx_roster_apply_push(cx_roster *r, const cx_roster_item *it,
				      const char *ver, cx_error *err);

/**
 * Serializes a roster, version included, as XML text in the namespace
 * "urn:cxmpp:roster-cache:0", for the application to store.
 * @param out receives a NUL-terminated string (owned: cx_free)
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_to_string(char **out, const cx_roster *r,
				     cx_error *err);

/**
 * Reads back what cx_roster_to_string wrote. Restricted XML as on a stream
 * (a DOCTYPE or entity declaration is refused; nothing is fetched); the
 * same item rules and limits as for a roster result.
 * @param out receives the roster (owned: cx_roster_free), NULL on failure
 * @return CX_OK; CX_ERR_XML_MALFORMED; CX_ERR_XML_RESTRICTED;
 *         CX_ERR_XML_NAMESPACE (not a roster cache); CX_ERR_XML_TOO_MANY;
 *         CX_ERR_INVALID; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_from_string(cx_roster **out, const char *xml,
				       size_t len, cx_error *err);

/* ---- stanzas --------------------------------------------------------- */

/**
 * Builds a roster get: <iq type='get'><query xmlns='jabber:iq:roster'
 * ver='...'/></iq>.
 * @param ver the cached version to send, "" to ask for versioning without a
 *        cache, or NULL to send no 'ver'
 * @param out receives the iq (owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_build_get(cx_stanza **out, const char *ver,
				     cx_error *err);

/**
 * Builds a roster set that adds or updates one item (RFC 6121 2.3, 2.4).
 * @param jid the contact (must be a valid JID; sent as its bare JID)
 * @param name the item's name, or NULL
 * @param groups group names (none empty, no duplicates), or NULL
 * @param ngroups their number, at most CX_ROSTER_MAX_GROUPS
 * @return CX_OK; CX_ERR_JID; CX_ERR_INVALID (empty or duplicate group, too
 *         many); CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_build_set(cx_stanza **out, const char *jid,
				     const char *name,
				     const char *const *groups, size_t ngroups,
				     cx_error *err);

/** Builds a roster set with subscription='remove' (RFC 6121 2.5).
 * @return as cx_roster_build_set */
CX_API cx_status cx_roster_build_remove(cx_stanza **out, const char *jid,
					cx_error *err);

/**
 * Parses the result of a roster get.
 * Items that break RFC 6121 (no or bad 'jid', unknown or "remove"
 * subscription, too many groups, a JID seen before) are dropped with a log
 * line; unknown attributes and children are ignored.
 * @param out receives the full roster (owned), or NULL when the result is
 *        empty, which means "unchanged since the version sent"
 * @param reply an <iq type='result'/> (borrowed)
 * @return CX_OK (check *out); CX_ERR_PROTOCOL (not an iq result, or a
 *         payload that is not a roster query); CX_ERR_XML_TOO_MANY (more
 *         than CX_ROSTER_MAX_ITEMS items); CX_ERR_INVALID; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_parse_result(cx_roster **out, const cx_stanza *reply,
					cx_error *err);

/**
 * Whether a push comes from where a push may: no 'from', or 'from' equal
 * to the bare JID of `account_jid` (full or bare; compared normalized).
 * @return 1 if allowed, 0 if not (or on a bad JID)
 */
CX_API int cx_roster_push_sender_ok(const cx_stanza *push,
				    const char *account_jid);

/**
 * Parses a roster push (an <iq type='set'/> with a roster query holding
 * exactly one item). The sender is not checked here: see
 * cx_roster_push_sender_ok.
 * @param item receives the item (owned: cx_roster_item_free)
 * @param ver receives the push's version (owned: cx_free), NULL if none;
 *        may be NULL if not wanted
 * @return CX_OK; CX_ERR_PROTOCOL (not a set, no query, zero or several
 *         items, unknown subscription, too many groups); CX_ERR_JID (bad
 *         'jid'); CX_ERR_INVALID; CX_ERR_NOMEM
 */
CX_API cx_status cx_roster_parse_push(cx_roster_item **item, char **ver,
				      const cx_stanza *push, cx_error *err);

/* ---- the client's roster --------------------------------------------- */

/**
 * A push handler: `item` (borrowed for the call) has been applied to the
 * cache; its subscription is CX_ROSTER_SUB_REMOVE when the contact was
 * removed. `ver` is the push's version or NULL. Runs on a pool thread,
 * after the push was acknowledged.
 */
typedef void (*cx_roster_push_fn)(void *arg, cx_client *client,
				  const cx_roster_item *item, const char *ver);

/**
 * Enables the roster on a client: attaches the cache (a copy of `cache`,
 * e.g. read back with cx_roster_from_string; NULL for an empty one) and
 * registers the push handler. Call it before cx_client_connect: a push
 * that arrives while the roster is not enabled is answered with
 * service-unavailable by the client. Enabling again replaces the cache
 * with a copy of `cache` if it is not NULL and keeps the handler.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_roster_enable(cx_client *client, const cx_roster *cache,
				  cx_error *err);

/**
 * Sets (or, with fn NULL, clears) the application's push handler,
 * replacing the previous one, whose arg_free runs once its last call has
 * returned. arg_free also runs when the client is freed.
 * @return CX_OK; CX_ERR_STATE (roster not enabled); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_roster_set_push_handler(cx_client *client,
					    cx_roster_push_fn fn, void *arg,
					    void (*arg_free)(void *),
					    cx_error *err);

/**
 * Fetches the roster into the cache: sends a get (with 'ver' when the cache
 * has a version) and waits. A full roster replaces the cache; an empty
 * result leaves it as it is. Pushes that arrived while the get was in
 * flight are applied again on top of a full roster, so the cache never
 * goes back in time.
 * @param timeout_ms CX_TIMEOUT_DEFAULT or > 0
 * @return CX_OK; CX_ERR_STATE (roster not enabled, or not connected);
 *         the statuses of cx_client_call and cx_roster_parse_result
 * @thread any, including a handler; @blocks up to timeout_ms
 */
CX_API cx_status cx_roster_fetch(cx_client *client, int timeout_ms,
				 cx_error *err);

/**
 * The async twin of cx_roster_fetch. The result is applied to the cache on
 * the client's reader thread, before the future settles (under the
 * roster's lock, which is only ever held for short work in memory), so
 * that when a waiter wakes or a then-callback runs the cache is already
 * up to date. The future's value is a copy of the cache after the fetch
 * (a cx_roster, owned by the future: valid while the caller holds a
 * reference; cx_roster_copy keeps it), whether the result was a full
 * roster or "unchanged since the version sent".
 * Failures (stanza error, timeout, cancel, disconnect, a malformed result)
 * fail the future with the statuses of cx_roster_fetch and leave the
 * cache as it was.
 * @return the future (owned: cx_future_unref), NULL when out of memory or
 *         the roster is not enabled
 * @thread any
 */
CX_API cx_future *cx_roster_fetch_async(cx_client *client, int timeout_ms);

/**
 * A copy of the cache (version and items), e.g. to persist it with
 * cx_roster_to_string.
 * @param out receives the copy (owned: cx_roster_free)
 * @return CX_OK; CX_ERR_STATE (roster not enabled); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_roster_get_cache(cx_roster **out, cx_client *client,
				     cx_error *err);

/**
 * Adds or updates an item (cx_roster_build_set, then a call). The cache
 * changes when the server's push arrives, not here.
 * @return CX_OK; the build statuses; the call's statuses (a refusal is
 *         CX_ERR_STANZA_ERROR with the condition in err)
 * @thread any; @blocks up to timeout_ms
 */
CX_API cx_status cx_roster_update(cx_client *client, const char *jid,
				  const char *name, const char *const *groups,
				  size_t ngroups, int timeout_ms, cx_error *err);

/** Async twin of cx_roster_update (the blocking call is this plus a wait).
 * The future is done (value NULL: the result carries nothing) when the
 * server accepted the set, and fails with the statuses of
 * cx_roster_update otherwise. NULL if the set cannot be built or memory
 * ran out. @thread any */
CX_API cx_future *cx_roster_update_async(cx_client *client, const char *jid,
					 const char *name,
					 const char *const *groups,
					 size_t ngroups, int timeout_ms);

/** Removes an item (cx_roster_build_remove, then a call); as
 * cx_roster_update. Removing an unknown item is refused with
 * item-not-found by RFC 6121 servers (Prosody); ejabberd 23.01 answers
 * with a result. */
CX_API cx_status cx_roster_remove(cx_client *client, const char *jid,
				  int timeout_ms, cx_error *err);

/** Async twin of cx_roster_remove; its future as cx_roster_update_async's.
 * @thread any */
CX_API cx_future *cx_roster_remove_async(cx_client *client, const char *jid,
					 int timeout_ms);

CX_END_DECLS

#endif

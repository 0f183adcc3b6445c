/*
 * cxmpp/presence.h - presence (RFC 6121 sections 3 and 4): sending
 * show/status/priority, directed and unavailable presence, subscription
 * management, and a per-client cache of who is online.
 *
 * The client already sends the initial presence when CX_SETTING_PRESENCE_INITIAL
 * is true (the default). cx_presence_enable adds a presence handler that
 * keeps a cache per contact and resource (available presence stores show,
 * status and priority; unavailable removes the resource; a presence error
 * from a contact removes all of the contact's resources; the cache is
 * emptied when the connection ends) and hands incoming subscription
 * requests and answers to the application's subscription handler.
 *
 * Going offline: call cx_presence_unavailable before cx_client_disconnect,
 * or cx_presence_disconnect for both. (Servers also broadcast unavailable
 * presence when a stream ends, RFC 6121 4.6.1, but without our status
 * text.)
 *
 * Pre-approval (RFC 6121 3.4): the client cannot see the stream features,
 * so cx_presence_preapprove sends <presence type='subscribed'/> whenever it
 * is asked. A server that offers <sub xmlns='urn:xmpp:features:pre-approval'/>
 * records the pre-approval (the roster item gets approved='true'); a
 * server that does not ignores the stanza (RFC 6121 3.4.1). Prosody 0.12
 * and ejabberd 23.01 do not offer it.
 *
 * Limits: the cache keeps at most CX_PRESENCE_MAX_RESOURCES resources per
 * contact and CX_PRESENCE_MAX_CONTACTS contacts; presence beyond that is
 * dropped with a log line.
 *
 * Threading: every function may be called from any thread. The cache is
 * locked inside and handed out as copies; a cx_presence or
 * cx_presence_list has one owner and is read-only after it was made.
 * Strings returned by getters are borrowed from their object.
 */
#ifndef CXMPP_PRESENCE_H
#define CXMPP_PRESENCE_H

#include <stddef.h>
#include <stdint.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

/** Most resources cached for one contact. */
#define CX_PRESENCE_MAX_RESOURCES 64
/** Most contacts cached. */
#define CX_PRESENCE_MAX_CONTACTS 100000
/** No priority given: cx_presence_send writes no <priority/>. */
#define CX_PRESENCE_NO_PRIORITY INT32_MIN

/** The presence types of RFC 6121. */
typedef enum cx_presence_type {
	CX_PRESENCE_AVAILABLE = 0, /**< no type */
	CX_PRESENCE_UNAVAILABLE,
	CX_PRESENCE_SUBSCRIBE,
	CX_PRESENCE_SUBSCRIBED,
	CX_PRESENCE_UNSUBSCRIBE,
	CX_PRESENCE_UNSUBSCRIBED,
	CX_PRESENCE_PROBE,
	CX_PRESENCE_ERROR
} cx_presence_type;

/** The <show/> values (RFC 6121 4.7.2.1). */
typedef enum cx_presence_show {
	CX_SHOW_ONLINE = 0, /**< no <show/>: available */
	CX_SHOW_CHAT,
	CX_SHOW_AWAY,
	CX_SHOW_XA,
	CX_SHOW_DND
} cx_presence_show;

/** A parsed presence. Opaque. */
typedef struct cx_presence cx_presence;
/** A list of parsed presences (a snapshot of the cache). Opaque. */
typedef struct cx_presence_list cx_presence_list;

/** Name of a type ("unavailable"; "available" for CX_PRESENCE_AVAILABLE);
 * NULL outside the enum. */
CX_API const char *cx_presence_type_name(cx_presence_type type);
/** Name of a show value ("away"; "online" for CX_SHOW_ONLINE); NULL
 * outside the enum. */
CX_API const char *cx_presence_show_name(cx_presence_show show);

/* ---- pure: build and parse ------------------------------------------- */

/**
 * Builds an available presence (broadcast when to is NULL, else directed).
 * @param show CX_SHOW_*
 * @param status free text, or NULL
 * @param priority -128..127, or CX_PRESENCE_NO_PRIORITY
 * @param out receives the stanza (owned)
 * @return CX_OK; CX_ERR_INVALID (show or priority out of range);
 *         CX_ERR_XML_ENCODING; CX_ERR_NOMEM; CX_ERR_SYSTEM
 */
CX_API cx_status cx_presence_build(cx_stanza **out, const char *to,
				   cx_presence_show show, const char *status,
				   int priority, cx_error *err);

/**
 * Parses a <presence/>.
 * @param out receives the presence (owned: cx_presence_free)
 * @return CX_OK; CX_ERR_INVALID (NULL argument); CX_ERR_PROTOCOL (not a
 *         presence, unknown type, unknown <show/>, a <priority/> that is not
 *         an integer in -128..127); CX_ERR_NOMEM
 * Unknown children are ignored; of several <status/>, the one without
 * xml:lang (else the first) is kept.
 */
CX_API cx_status cx_presence_parse(cx_presence **out, const cx_stanza *s,
				   cx_error *err);
/** Deep copy. @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM */
CX_API cx_status cx_presence_copy(cx_presence **out, const cx_presence *p,
				  cx_error *err);
/** Frees (NULL is a no-op). */
CX_API void cx_presence_free(cx_presence *p);
/** The type. */
CX_API cx_presence_type cx_presence_get_type(const cx_presence *p);
/** The 'from', borrowed; NULL when absent. */
CX_API const char *cx_presence_get_from(const cx_presence *p);
/** The show value. */
CX_API cx_presence_show cx_presence_get_show(const cx_presence *p);
/** The status text, borrowed; NULL when absent. */
CX_API const char *cx_presence_get_status(const cx_presence *p);
/** The priority (0 when absent). */
CX_API int cx_presence_get_priority(const cx_presence *p);
/** The XEP-0203 delay (as cx_message_get_delay); CX_ERR_NOT_FOUND if none. */
CX_API cx_status cx_presence_get_delay(const cx_presence *p, int64_t *sec,
				       uint32_t *usec);

/* ---- sending --------------------------------------------------------- */

/**
 * Sends available presence: broadcast (to NULL) or directed (to a JID).
 * @return as cx_presence_build and cx_client_send
 * @thread any
 */
CX_API cx_status cx_presence_send(cx_client *client, const char *to,
				  cx_presence_show show, const char *status,
				  int priority, cx_error *err);

/**
 * Sends unavailable presence: broadcast (to NULL) or directed.
 * @param status a parting text, or NULL
 * @return CX_OK; CX_ERR_STATE when not connected; CX_ERR_INVALID; ...
 * @thread any
 */
CX_API cx_status cx_presence_unavailable(cx_client *client, const char *to,
					 const char *status, cx_error *err);

/**
 * Sends unavailable presence with `status`, then cx_client_disconnect.
 * @return the first failure; CX_ERR_STATE when not connected
 * @thread any; @blocks as cx_client_disconnect
 */
CX_API cx_status cx_presence_disconnect(cx_client *client, const char *status,
					cx_error *err);

/**
 * @name Subscription management (RFC 6121 section 3)
 * Each sends one presence stanza of the given type to the bare JID of
 * `jid`: subscribe asks for the contact's presence; approve answers a
 * request with "subscribed"; deny refuses one with "unsubscribed"; cancel
 * revokes a subscription granted earlier ("unsubscribed"); unsubscribe
 * stops our subscription to the contact; preapprove sends "subscribed"
 * before any request (see the header's paragraph on pre-approval).
 * @return CX_OK; CX_ERR_JID; CX_ERR_STATE when not connected; CX_ERR_NOMEM
 * @thread any
 * @{
 */
CX_API cx_status cx_presence_subscribe(cx_client *client, const char *jid,
				       cx_error *err);
CX_API cx_status cx_presence_approve(cx_client *client, const char *jid,
				     cx_error *err);
CX_API cx_status cx_presence_deny(cx_client *client, const char *jid,
				  cx_error *err);
CX_API cx_status cx_presence_cancel(cx_client *client, const char *jid,
				   cx_error *err);
CX_API cx_status cx_presence_unsubscribe(cx_client *client, const char *jid,
					 cx_error *err);
CX_API cx_status cx_presence_preapprove(cx_client *client, const char *jid,
					cx_error *err);
/** @} */

/* ---- the client's presence cache ------------------------------------- */

/**
 * A subscription handler: `p` (borrowed for the call) is a presence of
 * type subscribe, subscribed, unsubscribe or unsubscribed; its 'from' is
 * always set. Runs on a pool thread. To accept a request, call
 * cx_presence_approve (it may be called from here).
 */
typedef void (*cx_presence_subscription_fn)(void *arg, cx_client *client,
					    const cx_presence *p);

/**
 * Enables the presence cache and the subscription handler on a client.
 * Call it before cx_client_connect, so that no presence is missed (the
 * server sends the contacts' presence right after the initial presence).
 * Enabling twice is harmless.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_presence_enable(cx_client *client, cx_error *err);

/**
 * Sets (or, with fn NULL, clears) the subscription handler, replacing the
 * previous one, whose arg_free runs after its last call returned.
 * @return CX_OK; CX_ERR_STATE (presence not enabled); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_presence_set_subscription_handler(
	cx_client *client, cx_presence_subscription_fn fn, void *arg,
	void (*arg_free)(void *), cx_error *err);

/**
 * A snapshot of the cache: the available resources of one contact (jid: a
 * bare or full JID; its bare JID is used), or of every contact (jid NULL),
 * ordered by contact as first seen, then by resource as it came online.
 * @param out receives the list (owned: cx_presence_list_free); it may be
 *        empty
 * @return CX_OK; CX_ERR_STATE (presence not enabled); CX_ERR_JID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_presence_get_cached(cx_presence_list **out,
					cx_client *client, const char *jid,
					cx_error *err);
/** Number of presences in a list. */
CX_API size_t cx_presence_list_count(const cx_presence_list *l);
/** The i-th presence, borrowed from the list; NULL out of range. */
CX_API const cx_presence *cx_presence_list_at(const cx_presence_list *l,
					      size_t i);
/** Frees a list (NULL is a no-op). */
CX_API void cx_presence_list_free(cx_presence_list *l);

CX_END_DECLS

#endif

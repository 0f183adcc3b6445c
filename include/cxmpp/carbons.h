/*
 * cxmpp/carbons.h - XEP-0280 message carbons (urn:xmpp:carbons:2).
 *
 * With carbons enabled, the server copies to this resource the messages
 * that other resources of the account send and receive, each wrapped in a
 * <received/> or <sent/> element with an XEP-0297 <forwarded/> inside.
 *
 * Security: a carbon is only believed when the wrapping message comes from
 * our own bare JID. Anybody can send a message that looks like a carbon;
 * believing one from another JID lets them forge messages "sent" by us or
 * "received" from anyone (CVE-2017-5589 and its family). cx_carbons_unwrap
 * refuses such a message and the carbon handler drops it with a log line.
 *
 * Threading: every function may be called from any thread; carbon
 * handlers run on the pool like message handlers.
 */
#ifndef CXMPP_CARBONS_H
#define CXMPP_CARBONS_H

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

#define CX_NS_CARBONS "urn:xmpp:carbons:2"
#define CX_NS_FORWARD "urn:xmpp:forward:0"
#define CX_NS_HINTS "urn:xmpp:hints"

/** Which copy a carbon is. */
typedef enum cx_carbon_direction {
	CX_CARBON_RECEIVED = 1, /**< a message another resource received */
	CX_CARBON_SENT = 2      /**< a message another resource sent */
} cx_carbon_direction;

/**
 * Builds the <iq type='set'><enable|disable xmlns='urn:xmpp:carbons:2'/>.
 * @param out receives the iq (owned), NULL on failure
 * @param enable 1 to enable, 0 to disable
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_carbons_build_enable(cx_stanza **out, int enable,
					 cx_error *err);

/**
 * Enables (or disables) carbons for this resource and waits for the
 * server's answer.
 * @return CX_OK; CX_ERR_STANZA_ERROR (the server refused, e.g.
 *         service-unavailable or feature-not-implemented where carbons are
 *         not supported); CX_ERR_TIMEOUT; CX_ERR_DISCONNECTED; CX_ERR_STATE
 * @thread any, including handlers; @blocks up to timeout_ms
 */
CX_API cx_status cx_carbons_enable(cx_client *client, int enable,
				   int timeout_ms, cx_error *err);

/**
 * Recognizes and unwraps a carbon.
 * @param inner receives the forwarded message as a new stanza (owned), or
 *        NULL on failure
 * @param dir receives the direction (may be NULL)
 * @param outer the received message (borrowed)
 * @param own_jid our JID, full or bare (the account's bare JID is what
 *        the wrapper's 'from' must equal)
 * @return CX_OK; CX_ERR_NOT_FOUND (not a carbon: no <received/> or
 *         <sent/> in urn:xmpp:carbons:2); CX_ERR_PROTOCOL (a carbon from
 *         anyone but our bare JID - a forgery - or a malformed one: no
 *         <forwarded/>, no <message/> in it, two carbon elements; the
 *         message says which); CX_ERR_INVALID; CX_ERR_JID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_carbons_unwrap(cx_stanza **inner,
				   cx_carbon_direction *dir,
				   const cx_stanza *outer, const char *own_jid,
				   cx_error *err);

/**
 * A carbon handler. `inner` is the forwarded message (borrowed for the
 * call), `outer` the wrapper.
 * @thread runs on pool
 */
typedef void (*cx_carbon_fn)(void *arg, cx_client *client,
			     cx_carbon_direction dir, cx_stanza *inner,
			     cx_stanza *outer);

/**
 * Registers a message handler that unwraps carbons and passes them to fn.
 * A valid carbon is consumed (later message handlers do not see the
 * wrapper); a forged or malformed carbon is dropped (consumed too) with a
 * warning in the log; other messages pass. Register it before handlers
 * that should not see carbon wrappers.
 * @return the handler id (remove with cx_client_remove_handler), 0 when
 *         out of memory or fn is NULL
 * @thread any
 */
CX_API cx_handler_id cx_carbons_on_carbon(cx_client *client, cx_carbon_fn fn,
					  void *arg, void (*arg_free)(void *));

/**
 * Marks an outgoing message as private, so that the server does not copy
 * it to our other resources: adds <private xmlns='urn:xmpp:carbons:2'/>
 * and the <no-copy xmlns='urn:xmpp:hints'/> hint, as XEP-0280 section 7
 * asks.
 * @return CX_OK; CX_ERR_INVALID (not a message); CX_ERR_NOMEM
 * @thread one at a time, by the owner, before the stanza is shared
 */
CX_API cx_status cx_carbons_add_private(cx_stanza *message, cx_error *err);

CX_END_DECLS

#endif

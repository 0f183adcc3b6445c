/*
 * cxmpp/ping.h - XEP-0199 XMPP ping, the ping responder, and keepalives.
 *
 * - cx_ping / cx_ping_async send <ping xmlns='urn:xmpp:ping'/> and wait
 *   for the answer.
 * - cx_ping_enable_responder answers pings sent to this client and
 *   advertises urn:xmpp:ping in disco#info.
 * - cx_ping_keepalive_enable reads three settings and keeps the connection
 *   alive and checked while it is connected (re-armed at every connect):
 *     keepalive.interval_ms  > 0: a single space (whitespace keepalive,
 *                            RFC 6120 section 4.6.1) once nothing was
 *                            written for this long
 *                            (cx_client_get_send_idle_ms);
 *     ping.interval_ms       > 0: a ping to our server once nothing was
 *                            received for this long
 *                            (cx_client_get_idle_ms): a busy connection
 *                            is not pinged;
 *     ping.timeout_ms        a ping unanswered this long declares the
 *                            connection dead: cx_client_abort() with
 *                            CX_ERR_TIMEOUT, so pending calls fail with
 *                            CX_ERR_DISCONNECTED and the disconnected
 *                            event fires. A dead peer is thus detected
 *                            within 1.2 * ping.interval_ms +
 *                            ping.timeout_ms of the last bytes it sent.
 *   Any answer, a stanza error included, proves the peer alive. Silence is
 *   checked five times per interval, so a space or a ping goes out within
 *   1.2 intervals of the last traffic.
 *
 * Threading: every function may be called from any thread. The keepalive
 * runs on the runtime's timer thread (it only queues and never waits) and
 * its ping results are handled on the pool.
 */
#ifndef CXMPP_PING_H
#define CXMPP_PING_H

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/future.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

#define CX_NS_PING "urn:xmpp:ping"

/**
 * Builds a ping request.
 * @param out receives the iq (owned), NULL on failure
 * @param to the entity to ping, or NULL for our server
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_ping_build(cx_stanza **out, const char *to, cx_error *err);

/**
 * Pings `to` and waits for the answer.
 * @param to the entity (NULL: our server)
 * @param timeout_ms CX_TIMEOUT_DEFAULT or > 0
 * @return CX_OK (pong); CX_ERR_STANZA_ERROR (the entity answered with an
 *         error: it is reachable but does not support ping, e.g.
 *         service-unavailable); CX_ERR_TIMEOUT; CX_ERR_DISCONNECTED;
 *         CX_ERR_STATE
 * @thread any, including handlers; @blocks up to timeout_ms
 */
CX_API cx_status cx_ping(cx_client *client, const char *to, int timeout_ms,
			 cx_error *err);

/**
 * The async twin of cx_ping: the future's value is the reply stanza (as
 * for cx_client_call_async). NULL only when out of memory.
 * @thread any
 */
CX_API cx_future *cx_ping_async(cx_client *client, const char *to,
				int timeout_ms);

/**
 * Answers urn:xmpp:ping requests sent to this client with an empty result
 * and advertises the feature in disco#info. Calling it again is harmless.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_ping_enable_responder(cx_client *client, cx_error *err);

/**
 * Starts the keepalive described above, from the client's settings (read
 * now; change them and call again to apply). If the client is connected
 * the timers start at once, else at the next connect; they stop at every
 * disconnect. With both intervals 0 nothing is armed.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM; CX_ERR_SETTING
 * @thread any
 */
CX_API cx_status cx_ping_keepalive_enable(cx_client *client, cx_error *err);

/**
 * Stops the keepalive. When this returns no keepalive timer callback is
 * running (a ping already sent may still be answered; its result is then
 * ignored).
 * @return CX_OK; CX_ERR_NOT_FOUND if it was not enabled
 * @thread any, not from the runtime's timer thread
 */
CX_API cx_status cx_ping_keepalive_disable(cx_client *client, cx_error *err);

CX_END_DECLS

#endif

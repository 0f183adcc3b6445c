/*
 * cxmpp/client.h - the blocking XMPP client.
 *
 * A cx_client is one XMPP connection: it resolves the server, connects over
 * TCP, negotiates TLS, authenticates with SASL and binds a resource, then
 * sends and receives stanzas. Every blocking call is its _async twin plus a
 * wait on the returned cx_future.
 *
 * Threading: a connected client owns a reader thread and a writer thread.
 * The reader parses what arrives, resolves the futures of pending calls
 * itself (one lock, one wake-up) and queues every other stanza for the
 * handlers, which run on the runtime's worker pool: in arrival order, one at
 * a time per client, unless registered as concurrent. Because replies are
 * resolved on the reader thread, a handler may make blocking calls on its
 * own client. All functions are safe to call from any thread unless their
 * comment says otherwise; cx_client_free is the one exception that needs a
 * single owner.
 */
#ifndef CXMPP_CLIENT_H
#define CXMPP_CLIENT_H

#include <stdint.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"
#include "cxmpp/future.h"
#include "cxmpp/log.h"
#include "cxmpp/runtime.h"
#include "cxmpp/settings.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

typedef struct cx_client cx_client;

/** Identifies a handler registration; 0 is never a valid id. */
typedef unsigned long cx_handler_id;

/** What a stanza handler returns. */
typedef enum cx_handler_result {
	CX_HANDLER_PASS = 0,    /**< let later handlers see the stanza */
	CX_HANDLER_CONSUMED = 1 /**< the stanza is dealt with */
} cx_handler_result;

/** Flags for handler registration. */
enum {
	/** The handler may run in parallel with the client's other handlers
	 * (and with itself); its return value is ignored for dispatch order. */
	CX_HANDLER_CONCURRENT = 1u << 0
};

/**
 * A stanza handler. `stanza` is borrowed for the call (cx_stanza_ref keeps
 * it). Runs on a pool thread.
 */
typedef cx_handler_result (*cx_stanza_handler)(void *arg, cx_client *client,
					       cx_stanza *stanza);

/** Connection events. */
typedef enum cx_client_event {
	CX_EVENT_CONNECTED = 1,    /**< bound and ready; err is NULL */
	CX_EVENT_STREAM_ERROR = 2, /**< the server sent a stream error (err has the condition) */
	CX_EVENT_DISCONNECTED = 3  /**< the connection ended; err says why
	                                (CX_OK status after cx_client_disconnect) */
} cx_client_event;

/** Connection-event handler; runs on a pool thread, in order with stanza
 * handlers. `err` is borrowed for the call. */
typedef void (*cx_client_event_fn)(void *arg, cx_client *client,
				   cx_client_event event, const cx_error *err);

/** Connection state, as seen by cx_client_get_state. */
typedef enum cx_client_state {
	CX_CLIENT_DISCONNECTED = 0,
	CX_CLIENT_CONNECTING,
	CX_CLIENT_CONNECTED,
	CX_CLIENT_DISCONNECTING
} cx_client_state;

/**
 * Creates a client from settings.
 * @param out      the new client (owned; free with cx_client_free)
 * @param settings the configuration; the client takes its own reference and
 *                 reads it again at every connect. CX_SETTING_JID is required.
 * @param runtime  the runtime whose pool runs the handlers; NULL for the
 *                 process-wide default runtime. The client keeps a reference.
 * @return CX_OK, CX_ERR_INVALID (no JID), CX_ERR_JID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_client_new(cx_client **out, cx_settings *settings,
			       cx_runtime *runtime, cx_error *err);

/**
 * Disconnects (as cx_client_disconnect, bounded), fails every pending call
 * with CX_ERR_DISCONNECTED, runs the arg_free of every handler, and frees
 * the client. Threads blocked in calls on this client return with an error.
 * Safe from a handler of this client: the final teardown is then deferred
 * to a thread that is not the pool's.
 * @thread one owner: no other thread may start a call on the client during
 *         or after cx_client_free.
 */
CX_API void cx_client_free(cx_client *client);

/**
 * Connects: DNS SRV lookup (or CX_SETTING_HOST/PORT), TCP, STARTTLS or
 * direct TLS, SASL, resource binding; then, if CX_SETTING_PRESENCE_INITIAL
 * is true (the default), sends the initial available presence before the
 * connected event. Blocks until the stream is ready or
 * fails, at most CX_SETTING_CONNECT_TIMEOUT_MS for each target plus the
 * negotiation timeout.
 * @return CX_OK; CX_ERR_STATE if not disconnected; CX_ERR_DNS,
 *         CX_ERR_CONNECT, CX_ERR_TIMEOUT, CX_ERR_TLS_VERIFY (OpenSSL's
 *         reason in err->message), CX_ERR_TLS_PIN, CX_ERR_TLS_REQUIRED (no
 *         credentials were sent), CX_ERR_AUTH* (err->condition has the SASL
 *         condition), CX_ERR_BIND, CX_ERR_STREAM_ERROR, ...
 * @thread any; @blocks up to the connect and negotiation timeouts
 */
CX_API cx_status cx_client_connect(cx_client *client, cx_error *err);

/** The async twin of cx_client_connect. The future settles when the stream
 * is ready (value NULL) or failed. Returns NULL only when out of memory. */
CX_API cx_future *cx_client_connect_async(cx_client *client);

/**
 * Closes the stream cleanly: flushes what is queued, sends
 * </stream:stream>, waits (bounded by CX_SETTING_TIMEOUT_MS, at most 5 s)
 * for the server's close, and joins the connection threads. Pending calls
 * fail with CX_ERR_DISCONNECTED. While a connect is under way, it cancels
 * it (the connect fails) and returns CX_OK. CX_ERR_STATE when neither
 * connected nor connecting.
 * @thread any, including a handler of this client; @blocks bounded
 */
CX_API cx_status cx_client_disconnect(cx_client *client, cx_error *err);

/**
 * Ends the connection at once, without the closing handshake (for a peer
 * that stopped answering). Pending calls fail with CX_ERR_DISCONNECTED and
 * the disconnected event carries `reason` (or a generic one if NULL).
 * Returns at once; the teardown happens on the reader thread.
 * @return CX_OK; CX_ERR_STATE when not connected or connecting
 * @thread any, including handlers and then-callbacks
 */
CX_API cx_status cx_client_abort(cx_client *client, const cx_error *reason);

/** The current state. @thread any */
CX_API cx_client_state cx_client_get_state(const cx_client *client);

/**
 * The bound full JID ("alice@example.org/laptop"), copied into a new string
 * (free with cx_free); NULL when not connected.
 * @thread any
 */
CX_API char *cx_client_get_jid(const cx_client *client);

/**
 * The SASL mechanism the last login used ("SCRAM-SHA-1-PLUS"), copied into
 * a new string (free with cx_free); NULL before the first login.
 * @thread any
 */
CX_API char *cx_client_get_sasl_mechanism(const cx_client *client);

/**
 * Milliseconds since bytes were last received from the server (any bytes:
 * stanzas, whitespace, TLS records), counted from the connect if nothing
 * came yet. Features use it to act on silence only (a keepalive pings an
 * idle connection, not a busy one).
 * @return the idle time (>= 0); -1 when not connected
 * @thread any
 */
CX_API int64_t cx_client_get_idle_ms(const cx_client *client);

/**
 * Milliseconds since bytes were last written to the server (counted from
 * the connect if nothing was written yet), e.g. to send a whitespace
 * keepalive only when nothing else went out.
 * @return the idle time (>= 0); -1 when not connected
 * @thread any
 */
CX_API int64_t cx_client_get_send_idle_ms(const cx_client *client);

/**
 * Queues a stanza. It is serialized in the calling thread, at the call
 * (`stanza` is borrowed and may be changed or freed when this returns);
 * stanzas sent from one thread go out in the order of the calls.
 * @return CX_OK once queued; CX_ERR_STATE when not connected; CX_ERR_INVALID
 * @thread any
 */
CX_API cx_status cx_client_send(cx_client *client, const cx_stanza *stanza,
				cx_error *err);

/** Flags for cx_client_send_raw. */
enum {
	/** Send the text as it is, without checking that it is one
	 * well-formed element (for tests that send broken XML on purpose). */
	CX_SEND_RAW_UNCHECKED = 1u << 0
};

/**
 * Queues raw XML text. Unless CX_SEND_RAW_UNCHECKED is given, the text must
 * parse as exactly one well-formed element under the stream's rules
 * (CX_ERR_XML_* otherwise, and nothing is sent).
 * @thread any
 */
CX_API cx_status cx_client_send_raw(cx_client *client, const char *xml,
				    unsigned flags, cx_error *err);

/**
 * Sends an <iq type='get'|'set'> and waits for its reply.
 * If the iq has no id, one is set on it (the stanza is otherwise borrowed).
 * A reply is accepted only with the same id, type result or error, and from
 * the JID the request went to (for requests without 'to': from none, our
 * bare JID or our server) - RFC 6120 8.1.2 and 10.1; anything else is
 * dropped and logged.
 * @param reply     the result stanza (owned: cx_stanza_unref), or NULL if
 *                  the caller does not need it
 * @param timeout_ms CX_TIMEOUT_DEFAULT (the settings' timeout) or > 0
 * @return CX_OK on type='result'; CX_ERR_STANZA_ERROR with the condition,
 *         type, text and application condition in err on type='error'
 *         (*reply is then the error stanza); CX_ERR_TIMEOUT;
 *         CX_ERR_DISCONNECTED; CX_ERR_STATE when not connected
 * @thread any, including a handler of this client; @blocks up to timeout_ms
 */
CX_API cx_status cx_client_call(cx_stanza **reply, cx_client *client,
				cx_stanza *iq, int timeout_ms, cx_error *err);

/**
 * The async twin of cx_client_call. The future's value is the reply
 * cx_stanza (borrowed from the future: cx_stanza_ref to keep it); a stanza
 * error fails the future with CX_ERR_STANZA_ERROR and still carries the
 * error stanza as its value. Returns NULL only when out of memory; every
 * other failure is reported through the future.
 * @thread any
 */
CX_API cx_future *cx_client_call_async(cx_client *client, cx_stanza *iq,
				       int timeout_ms);

/**
 * Turns a result stanza into the value of a call's future. Runs on the
 * reader thread when the reply arrives: it must be quick, must not block
 * and must not call blocking functions.
 * @param value  receives the parsed value (owned by the future afterwards)
 * @param reply  the <iq type='result'/>, borrowed for the call
 * @param arg    the `arg` given to cx_client_call_async_map
 * @return CX_OK, or a status that fails the future (with `err`'s details;
 *         the reply stays readable through cx_future_get_value)
 */
typedef cx_status (*cx_reply_parse_fn)(void **value, cx_stanza *reply,
				       void *arg, cx_error *err);

/**
 * As cx_client_call_async, but the future's value is what `parse` makes of
 * the result stanza (freed with `value_free`): the async twin that features
 * (disco, roster, pubsub ...) return, so that a then-callback receives the
 * parsed result. A stanza error fails the future as with
 * cx_client_call_async (parse is not called). `arg_free(arg)` runs once,
 * whatever happens: when a reply arrives, before the future settles; on a
 * timeout, cancel or disconnect, just after it settled.
 * @return the future; NULL only when out of memory or parse is NULL
 *         (arg_free has then run)
 * @thread any
 */
CX_API cx_future *cx_client_call_async_map(cx_client *client, cx_stanza *iq,
					   int timeout_ms,
					   cx_reply_parse_fn parse, void *arg,
					   void (*arg_free)(void *),
					   void (*value_free)(void *));

/**
 * Registers a handler for <message/> stanzas.
 * @param arg_free runs once with arg when the registration ends
 *                 (cx_client_remove_handler or cx_client_free); may be NULL
 * @return the handler id, 0 when out of memory
 * @thread any
 */
CX_API cx_handler_id cx_client_on_message(cx_client *client,
					  cx_stanza_handler fn, void *arg,
					  void (*arg_free)(void *),
					  unsigned flags);

/** Registers a handler for <presence/> stanzas. See cx_client_on_message. */
CX_API cx_handler_id cx_client_on_presence(cx_client *client,
					   cx_stanza_handler fn, void *arg,
					   void (*arg_free)(void *),
					   unsigned flags);

/**
 * Registers a handler for incoming <iq/> requests.
 * @param type "get", "set", or NULL for both
 * @param ns, name the payload element to match; NULL matches any
 * A get/set that no handler consumes is answered with service-unavailable
 * (RFC 6120 8.4). A concurrent handler that matches counts as consuming.
 */
CX_API cx_handler_id cx_client_on_iq(cx_client *client, const char *type,
				     const char *ns, const char *name,
				     cx_stanza_handler fn, void *arg,
				     void (*arg_free)(void *), unsigned flags);

/** Registers a connection-event handler. */
CX_API cx_handler_id cx_client_on_event(cx_client *client,
					cx_client_event_fn fn, void *arg,
					void (*arg_free)(void *));

/**
 * Removes a handler by id. When this returns, the handler is not running
 * and will not run again (unless called from that handler itself), and its
 * arg_free has run. CX_ERR_NOT_FOUND for an unknown id.
 * @thread any
 */
CX_API cx_status cx_client_remove_handler(cx_client *client, cx_handler_id id);

/**
 * Attaches extension data to the client under `key` (any unique address,
 * e.g. of a static variable of the extension), replacing and freeing any
 * previous data under that key. `data_free` runs when the data is replaced
 * or the client is freed. This is the door through which features (disco,
 * caps, pubsub, a user's own) keep per-client state.
 * @return CX_OK; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_client_set_data(cx_client *client, const void *key,
				    void *data, void (*data_free)(void *));

/**
 * The data attached under `key`, or NULL. Borrowed: valid until it is
 * replaced or the client is freed.
 * @thread any
 */
CX_API void *cx_client_get_data(const cx_client *client, const void *key);

/**
 * As cx_client_get_data, but if nothing is attached yet, attaches
 * make(arg) atomically (one winner when threads race) and returns it.
 * @return the data, or NULL if make returned NULL or memory ran out
 * @thread any
 */
CX_API void *cx_client_ensure_data(cx_client *client, const void *key,
				   void *(*make)(void *arg), void *arg,
				   void (*data_free)(void *));

/** The settings the client was created with (borrowed). @thread any */
CX_API cx_settings *cx_client_get_settings(const cx_client *client);

/** The runtime whose pool runs the client's handlers (borrowed). @thread any */
CX_API cx_runtime *cx_client_get_runtime(const cx_client *client);

/**
 * Logs through the client's own sink: the log callback of the client's
 * runtime (cx_runtime_new options or cx_runtime_set_log, as it was when the
 * client was created), else the process default (cx_log_set_default). The
 * door through which features built on the public API (lib/im, lib/ext, a
 * user's own) log where the client logs. The level is checked before
 * `fmt` is formatted.
 * @param client   the client; NULL logs to the process default
 * @param category one of the CX_LOG_CAT_* names of cxmpp/log.h; any other
 *                 string (or NULL) is logged as CX_LOG_CAT_API
 * @param fmt      a printf format (borrowed); never pass secrets
 * @thread any, including handlers and then-callbacks
 */
CX_API void cx_client_log(const cx_client *client, cx_log_level level,
			  const char *category, const char *fmt, ...)
	CX_PRINTF(4, 5);

/**
 * Whether cx_client_log at `level` would reach the sink: test it before
 * building an expensive message (a serialized stanza).
 * @return 1 if enabled, 0 if not
 * @thread any
 */
CX_API int cx_client_log_enabled(const cx_client *client, cx_log_level level);

/* ------------------------------------------------------------------------
 * Collectors: "send this, expect that" for test harnesses.
 */

typedef struct cx_collector cx_collector;

/** What a collector gathers. Zeroed fields match anything. */
typedef struct cx_filter {
	unsigned version;     /**< CX_FILTER_VERSION */
	cx_stanza_kind kind;  /**< CX_STANZA_OTHER: any kind */
	const char *type;     /**< the stanza's type attribute */
	const char *from;     /**< full or bare JID; a bare JID also matches its
	                           full JIDs */
	const char *child_ns; /**< a child element in this namespace ... */
	const char *child_name; /**< ... with this name */
	const char *xpath;    /**< an XPath expression that must select
	                           something; prefixes: "c" jabber:client plus
	                           any declared in `ns_prefixes` */
	const char *const *ns_prefixes; /**< {"p", "uri", ..., NULL} for xpath */
} cx_filter;

#define CX_FILTER_VERSION 1
#define CX_FILTER_INIT { CX_FILTER_VERSION, CX_STANZA_OTHER, NULL, NULL, NULL, NULL, NULL, NULL }

/**
 * Starts collecting incoming stanzas that match `filter` into a queue of at
 * most `max` stanzas (the oldest is dropped, and counted, when full).
 * Stanzas are collected on the reader thread as they arrive, before the
 * handlers see them; collecting does not consume them. Replies to pending
 * calls are not collected.
 * @return CX_OK; CX_ERR_INVALID for a bad XPath expression
 * @thread any
 */
CX_API cx_status cx_collector_new(cx_collector **out, cx_client *client,
				  const cx_filter *filter, size_t max,
				  cx_error *err);

/**
 * Waits for the next collected stanza.
 * @param out the stanza (owned: cx_stanza_unref)
 * @return CX_OK; CX_ERR_TIMEOUT; CX_ERR_DISCONNECTED when the connection
 *         ended and the queue is empty
 * @thread any; @blocks up to timeout_ms
 */
CX_API cx_status cx_collector_next(cx_stanza **out, cx_collector *coll,
				   int timeout_ms, cx_error *err);

/** Number of stanzas dropped because the queue was full. @thread any */
CX_API size_t cx_collector_dropped(const cx_collector *coll);

/** Stops collecting and frees the collector (and what it still holds). */
CX_API void cx_collector_free(cx_collector *coll);

/* ------------------------------------------------------------------------
 * The simple API.
 */

/**
 * Sends one chat message and returns only when the server has it: connects
 * (settings from the environment: CXMPP_HOST, CXMPP_PORT, CXMPP_TLS ...),
 * sends, makes one round trip to the server so that the message is known
 * to have been processed, and closes the stream cleanly.
 * @param jid, password the account
 * @param to  the recipient's JID
 * @param body the text
 * @thread any; @blocks up to the connect timeout plus the call timeout
 */
CX_API cx_status cx_send_message(const char *jid, const char *password,
				 const char *to, const char *body,
				 cx_error *err);

/**
 * As cx_send_message, with every other parameter from `settings`
 * (CX_SETTING_JID and CX_SETTING_PASSWORD included).
 */
CX_API cx_status cx_send_message_with(cx_settings *settings, const char *to,
				      const char *body, cx_error *err);

CX_END_DECLS

#endif

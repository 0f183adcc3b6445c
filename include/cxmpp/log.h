/*
 * cxmpp/log.h - the log hook.
 *
 * Everything the library reports goes through one callback: a level, a
 * category from a closed list, and a message. The categories "in" and "out"
 * carry raw XML as received and as sent (after SASL payloads and passwords
 * have been masked), enough to build an XML console.
 *
 * With no callback set, warnings and errors go to standard error. Setting
 * CXMPP_DEBUG=1 in the environment turns everything on, XML included.
 *
 * Threading: the callback may be called from any library thread (reader,
 * writer, pool) concurrently; it must be thread-safe and must not block for
 * long. cx_log_set_default() may be called from any thread.
 */
#ifndef CXMPP_LOG_H
#define CXMPP_LOG_H

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** Severity, from the most to the least important. */
typedef enum cx_log_level {
	CX_LOG_ERROR = 0,
	CX_LOG_WARN = 1,
	CX_LOG_INFO = 2,
	CX_LOG_DEBUG = 3,
	CX_LOG_TRACE = 4
} cx_log_level;

/** The closed list of categories. */
#define CX_LOG_CAT_IN "in"         /**< raw XML as received */
#define CX_LOG_CAT_OUT "out"       /**< raw XML as sent */
#define CX_LOG_CAT_STREAM "stream" /**< stream negotiation and errors */
#define CX_LOG_CAT_TLS "tls"       /**< TLS handshake and verification */
#define CX_LOG_CAT_SASL "sasl"     /**< authentication (never secrets) */
#define CX_LOG_CAT_NET "net"       /**< DNS, sockets, transports */
#define CX_LOG_CAT_POOL "pool"     /**< worker pool, dispatch, timers */
#define CX_LOG_CAT_API "api"       /**< misuse of the API, dropped stanzas */

/**
 * A log callback. `msg` is borrowed for the duration of the call.
 * @thread called from any library thread, possibly concurrently
 */
typedef void (*cx_log_fn)(void *arg, cx_log_level level, const char *category,
			  const char *msg);

/**
 * Sets the process-wide default log callback and maximum level.
 * Runtimes and clients that have no callback of their own use it.
 * fn == NULL restores the built-in stderr logger (warnings and errors, or
 * everything when CXMPP_DEBUG=1).
 * @thread any
 */
CX_API void cx_log_set_default(cx_log_fn fn, void *arg, cx_log_level max_level);

/** Name of a level ("error", "warn", ...). @thread any */
CX_API const char *cx_log_level_name(cx_log_level level);

CX_END_DECLS

#endif

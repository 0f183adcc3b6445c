/*
 * cxmpp/runtime.h - the runtime: worker pool and timer thread.
 *
 * A cx_runtime owns a fixed set of pool threads, which run handlers and
 * cx_future_then() callbacks, and one timer thread, which fires deadlines
 * and keepalives. Many clients share one runtime: a thousand idle
 * connections do not mean a thousand pool threads. Most programs never make
 * one and use cx_runtime_default(); a server that wants its own pool size,
 * stack size or log sink makes its own.
 *
 * Threading: every function here may be called from any thread. The
 * runtime is reference-counted; the last cx_runtime_unref() stops and joins
 * its threads, or hands that job to the runtime's timer thread when it is
 * called from one of the runtime's own threads (a thread never joins
 * itself). Pool and timer threads run with all signals blocked.
 */
#ifndef CXMPP_RUNTIME_H
#define CXMPP_RUNTIME_H

#include <stddef.h>

#include "cxmpp/common.h"
#include "cxmpp/log.h"

CX_BEGIN_DECLS

/** A worker pool plus a timer thread, shared by clients. Opaque. */
typedef struct cx_runtime cx_runtime;

/** The version of cx_runtime_options this header describes. */
#define CX_RUNTIME_OPTIONS_VERSION 1

/** Default stack size of pool and timer threads: 256 KiB. */
#define CX_RUNTIME_DEFAULT_STACK_SIZE (256u * 1024u)

/** Largest pool size cx_runtime_new() accepts. */
#define CX_RUNTIME_MAX_POOL_SIZE 1024u

/**
 * Options of cx_runtime_new(). Initialize with CX_RUNTIME_OPTIONS_INIT and
 * change fields; later versions only append fields.
 */
typedef struct cx_runtime_options {
	unsigned int version;    /**< CX_RUNTIME_OPTIONS_VERSION */
	unsigned int pool_size;  /**< pool threads; 0 = number of online CPUs */
	size_t stack_size;       /**< bytes per pool/timer thread; 0 = CX_RUNTIME_DEFAULT_STACK_SIZE;
	                              raised to the system minimum if smaller */
	cx_log_fn log_fn;        /**< log sink; NULL = process default (cx_log_set_default) */
	void *log_arg;           /**< passed to log_fn */
	cx_log_level log_level;  /**< most verbose level passed to log_fn */
} cx_runtime_options;

/** Static initializer: every field at its default. */
#define CX_RUNTIME_OPTIONS_INIT \
	{ CX_RUNTIME_OPTIONS_VERSION, 0u, 0u, NULL, NULL, CX_LOG_WARN }

/**
 * Makes a runtime and starts its threads.
 *
 * @param out  receives the runtime (one reference, owned by the caller);
 *             set to NULL on failure
 * @param opt  options (borrowed for the call), NULL for the defaults
 * @param err  details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (NULL out, unknown options version, pool
 *         size above CX_RUNTIME_MAX_POOL_SIZE); CX_ERR_NOMEM;
 *         CX_ERR_SYSTEM (a thread could not be created; errno in err).
 * @thread any
 */
CX_API cx_status cx_runtime_new(cx_runtime **out, const cx_runtime_options *opt,
				cx_error *err);

/**
 * Takes a reference.
 * @param rt  the runtime (NULL is returned as is)
 * @return rt
 * @thread any
 */
CX_API cx_runtime *cx_runtime_ref(cx_runtime *rt);

/**
 * Drops a reference. The last one stops the runtime: the pool finishes the
 * tasks already queued, then every thread is joined and the memory freed.
 * Called from a thread of this runtime (a handler, a then-callback, a timer
 * callback), the teardown is deferred to the runtime's timer thread and
 * this call returns at once. Objects made on the runtime (clients, futures)
 * hold their own references, so the runtime lives until they are gone.
 * NULL is ignored.
 *
 * @blocks (last reference, outside the runtime's threads) until the pool
 *         has drained its queued tasks and the threads have exited.
 * @thread any
 */
CX_API void cx_runtime_unref(cx_runtime *rt);

/**
 * The process-wide runtime, made on first use (pool size = number of CPUs,
 * default stacks, process default log sink). It is never torn down: its
 * idle threads end with the process.
 *
 * @return a borrowed pointer valid until the process exits, or NULL if it
 *         could not be made (out of memory or threads); a later call tries
 *         again. cx_runtime_ref()/cx_runtime_unref() on it are allowed if
 *         balanced (the library keeps a reference of its own).
 * @thread any
 */
CX_API cx_runtime *cx_runtime_default(void);

/**
 * Sets the runtime's log sink. Clients on the runtime that have no sink of
 * their own use it. fn == NULL falls back to the process default
 * (cx_log_set_default).
 *
 * @param rt         the runtime
 * @param fn         callback, called from any library thread, concurrently
 * @param arg        passed to fn; borrowed, must outlive its use
 * @param max_level  most verbose level passed to fn
 * @return CX_OK, CX_ERR_INVALID (rt NULL).
 * @thread any
 */
CX_API cx_status cx_runtime_set_log(cx_runtime *rt, cx_log_fn fn, void *arg,
				    cx_log_level max_level);

/**
 * Number of pool threads of the runtime.
 * @return the count, 0 for NULL.
 * @thread any
 */
CX_API unsigned int cx_runtime_get_pool_size(const cx_runtime *rt);

/* ---- Timers ------------------------------------------------------------ */

/**
 * A timer on the runtime's timer thread: a callback after a delay, once or
 * every period (keepalives, periodic pings, retries). Opaque; owned by its
 * creator (cx_timer_free).
 *
 * Callbacks run on the runtime's single timer thread, which also fires the
 * deadlines of every pending call: a callback must be quick and must never
 * block - no cx_future_wait, no blocking call (cx_client_call), no lock
 * held for long. Start asynchronous work instead (cx_client_call_async +
 * cx_future_then) and return. A repeating timer whose thread ran late
 * skips the missed periods rather than firing in a burst.
 */
typedef struct cx_timer cx_timer;

/**
 * Makes a stopped timer.
 * @param out  receives the timer (owned: cx_timer_free), NULL on failure
 * @param rt   the runtime whose timer thread runs it; NULL for
 *             cx_runtime_default(). The timer keeps a reference.
 * @param fn   the callback, called with arg on the timer thread
 * @param arg  passed to fn (borrowed: must outlive the timer)
 * @return CX_OK; CX_ERR_INVALID (out or fn NULL); CX_ERR_NOMEM;
 *         CX_ERR_SYSTEM (the default runtime could not be made)
 * @thread any
 */
CX_API cx_status cx_runtime_timer_new(cx_timer **out, cx_runtime *rt,
				      void (*fn)(void *arg), void *arg,
				      cx_error *err);

/**
 * Starts (or restarts: a running timer is moved) the timer: fn runs
 * first_ms from now, then every period_ms if period_ms > 0.
 * May be called from the timer's own callback.
 * @param first_ms   delay before the first call, >= 0
 * @param period_ms  0 for a one-shot timer, else the period (> 0)
 * @return CX_OK; CX_ERR_INVALID (t NULL, negative delays); CX_ERR_NOMEM;
 *         CX_ERR_STATE (the runtime is shutting down)
 * @thread any
 */
CX_API cx_status cx_timer_start(cx_timer *t, int first_ms, int period_ms,
				cx_error *err);

/**
 * Stops the timer. When this returns the callback is not running and will
 * not run again until the next cx_timer_start - except when called from
 * the callback itself, which returns at once (the running call finishes
 * normally).
 * @return CX_OK if the timer was armed; CX_ERR_STATE if it was not (never
 *         started, one-shot already fired, already stopped);
 *         CX_ERR_INVALID for NULL
 * @blocks for at most the duration of one running callback
 * @thread any, including the timer's own callback
 */
CX_API cx_status cx_timer_stop(cx_timer *t);

/**
 * Stops (as cx_timer_stop) and frees the timer, and drops its reference
 * on the runtime. NULL is ignored. Allowed from the timer's own callback.
 * @thread any
 */
CX_API void cx_timer_free(cx_timer *t);

CX_END_DECLS

#endif

/*
 * cxmpp/future.h - the result of an operation that completes later.
 *
 * A cx_future is one-shot: it starts pending and settles exactly once, to
 * done (with a value), failed (with a cx_error), cancelled or timed out.
 * Every blocking call of the library is its _async twin plus
 * cx_future_wait(). Settlement wakes every waiter and then queues every
 * cx_future_then() callback on the runtime's worker pool.
 *
 * Threading: every function here may be called from any thread, on the
 * same future concurrently. The library settles futures on its reader,
 * writer and timer threads, never on a pool thread, so a handler (which
 * runs on the pool) may block in cx_future_wait() on a call of its own
 * client. cx_future_cancel() settles the future on the calling thread.
 * Reference counts are atomic; dropping the last reference from any
 * callback is allowed.
 */
#ifndef CXMPP_FUTURE_H
#define CXMPP_FUTURE_H

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** A one-shot, refcounted, thread-safe result. Opaque. */
typedef struct cx_future cx_future;

/** Where a future is in its life. Only PENDING ever changes. */
typedef enum cx_future_state {
	CX_FUTURE_PENDING = 0,   /**< not settled yet */
	CX_FUTURE_DONE = 1,      /**< settled with a value */
	CX_FUTURE_FAILED = 2,    /**< settled with an error (not cancel, not timeout) */
	CX_FUTURE_CANCELLED = 3, /**< cx_future_cancel() won, status CX_ERR_CANCELLED */
	CX_FUTURE_TIMED_OUT = 4  /**< its deadline passed, status CX_ERR_TIMEOUT */
} cx_future_state;

/**
 * Callback of cx_future_then(), run once on a pool thread after the future
 * settled, whatever the outcome.
 * @param f    the settled future, borrowed for the call (take a reference
 *             with cx_future_ref() to keep it)
 * @param arg  the `arg` given to cx_future_then()
 * @thread runs on pool
 */
typedef void (*cx_future_then_fn)(cx_future *f, void *arg);

/**
 * Takes a reference.
 * @param f  the future (NULL is returned as is)
 * @return f
 * @thread any
 */
CX_API cx_future *cx_future_ref(cx_future *f);

/**
 * Drops a reference; the last one frees the future and its value. A future
 * freed while still pending drops its then-callbacks without running them
 * (their arg_free still runs). NULL is ignored.
 * @thread any, including the future's own then-callback
 */
CX_API void cx_future_unref(cx_future *f);

/**
 * Waits until the future settles or `timeout_ms` passes.
 *
 * A wait that times out does NOT settle the future: it returns
 * CX_ERR_TIMEOUT and the future stays pending (cx_future_get_state() tells
 * the two CX_ERR_TIMEOUT cases apart). Call cx_future_cancel() to give up
 * on it.
 *
 * @param f           the future (borrowed)
 * @param timeout_ms  milliseconds (0 polls); CX_TIMEOUT_INFINITE waits
 *                    until it settles; CX_TIMEOUT_DEFAULT waits until it
 *                    settles too, which for the library's calls is bounded
 *                    by the deadline the call was made with
 * @param err         the future's error when it failed, or the wait
 *                    timeout (may be NULL); cleared on CX_OK
 * @return CX_OK if the future is done; its failure status if it failed,
 *         was cancelled (CX_ERR_CANCELLED) or timed out (CX_ERR_TIMEOUT);
 *         CX_ERR_TIMEOUT if the wait timed out; CX_ERR_INVALID.
 * @blocks up to timeout_ms.
 * @thread any; from a pool thread only for futures that are not settled by
 *         pool work (the library's own futures never are)
 */
CX_API cx_status cx_future_wait(cx_future *f, int timeout_ms, cx_error *err);

/**
 * The state now (a snapshot: a pending future may settle right after).
 * @return the state; CX_FUTURE_PENDING for NULL.
 * @thread any
 */
CX_API cx_future_state cx_future_get_state(cx_future *f);

/**
 * The value of a done future (for a call, the reply cx_stanza), or of a
 * failed future that carries one (for a call answered with a stanza error,
 * the error stanza).
 * @return the value, borrowed: valid while the caller holds a reference to
 *         f; NULL if there is none (pending, cancelled, timed out, or a
 *         failure without a value).
 * @thread any
 */
CX_API void *cx_future_get_value(cx_future *f);

/**
 * Copies the future's error into `out` (cleared when the future is done).
 * @param f    the future (borrowed)
 * @param out  receives the error (may be NULL)
 * @return CX_OK if done; the failure status if failed, cancelled or timed
 *         out; CX_ERR_STATE if still pending; CX_ERR_INVALID for NULL f.
 * @thread any
 */
CX_API cx_status cx_future_get_error(cx_future *f, cx_error *out);

/**
 * Runs fn(f, arg) on a pool thread once the future settles, whatever the
 * outcome (done, failed, cancelled, timed out). If it has settled already,
 * the callback is queued at once. Several callbacks may be attached; each
 * runs once, in no guaranteed order relative to the others. The callback
 * may wait on other futures, unref f, attach more callbacks, or free the
 * objects it owns; it should not block for long (it holds a pool thread).
 *
 * @param f         the future (borrowed; the pool holds its own reference
 *                  while the callback is queued or running)
 * @param fn        the callback
 * @param arg       passed to fn
 * @param arg_free  if not NULL, called once with arg after fn returned (or,
 *                  if the future is freed without ever settling, instead of
 *                  fn); not called when this function fails
 * @param err       details on failure (may be NULL)
 * @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM.
 * @thread any
 */
CX_API cx_status cx_future_then(cx_future *f, cx_future_then_fn fn, void *arg,
				void (*arg_free)(void *arg), cx_error *err);

/**
 * Settles a pending future as cancelled (CX_ERR_CANCELLED), on the calling
 * thread: waiters wake at once, then-callbacks are queued, and the owner
 * (for a call: the client) forgets it, so a reply arriving later is
 * dropped. Never blocks beyond short internal locks and never deadlocks
 * with a concurrent settlement: exactly one of them wins.
 * @param f  the future (borrowed)
 * @return CX_OK if this call settled it; CX_ERR_STATE if it had settled
 *         already; CX_ERR_INVALID for NULL.
 * @thread any, including handlers and then-callbacks
 */
CX_API cx_status cx_future_cancel(cx_future *f);

/**
 * Converts a settled source future into the value (or the failure) of a
 * derived future; see cx_future_map().
 * @param value       receives the derived future's value (may stay NULL)
 * @param value_free  receives the destructor of *value (may stay NULL);
 *                    the derived future calls it when it is freed, and at
 *                    once if it had settled already
 * @param src         the settled source (borrowed for the call); read it
 *                    with cx_future_get_value / cx_future_get_error
 * @param arg         the `arg` given to cx_future_map()
 * @param err         to fill when the derived future must fail
 * @return CX_OK to resolve the derived future with *value; a negative
 *         status to fail it with *err (its status is taken from the return
 *         value when err was left empty). *value is kept on failure too.
 * @thread runs on whichever thread settled src (a library reader, writer
 *         or timer thread, or the thread that cancelled it), or on the
 *         caller of cx_future_map if src had settled already: it must be
 *         quick and must not block.
 */
typedef cx_status (*cx_future_map_fn)(void **value,
				      void (**value_free)(void *value),
				      cx_future *src, void *arg,
				      cx_error *err);

/**
 * Makes a future derived from `src`: when src settles, whatever the
 * outcome, fn converts it, and the derived future settles with fn's value
 * or failure. This is how a feature's _async call returns a future whose
 * value is a parsed result (a disco#info reply parsed into a structure).
 * The derived future is settled on the thread that settled src, never on
 * the pool, so a handler may wait on it like on any call.
 * Cancelling the derived future cancels src (for a call, the client
 * forgets the request). A derived future of a source that never settles
 * stays pending: use sources that settle (every call has a deadline).
 *
 * @param src       the source (borrowed; the derived future keeps what it
 *                  needs)
 * @param fn        the conversion, run exactly once
 * @param arg       passed to fn
 * @param arg_free  called once with arg after fn ran (may be NULL)
 * @return the derived future (one reference, owned by the caller), or NULL
 *         when out of memory or src/fn is NULL (arg_free is then not
 *         called)
 * @thread any
 */
CX_API cx_future *cx_future_map(cx_future *src, cx_future_map_fn fn,
				void *arg, void (*arg_free)(void *arg));

CX_END_DECLS

#endif

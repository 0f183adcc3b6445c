/*
 * threads/future.h - making and settling futures (the owner's side).
 *
 * The owner of a future (the client, for a call) makes it, may give it a
 * deadline and a settle hook, and settles it from its reader or writer
 * thread. Users only see include/cxmpp/future.h.
 *
 * Settling (resolve, fail, cancel, deadline) is exactly-once: the first
 * settles, the others lose and free what they brought (a loser's value goes
 * to its value_free at once). The caller of a settling function must hold a
 * reference to the future for the duration of the call.
 *
 * Rule: only the reader, writer and timer threads settle futures, never
 * pool threads (cx_future_cancel excepted: it settles on the caller's
 * thread and never needs a pool thread). That is why a handler may block
 * on a call of its own client.
 */
#ifndef CXI_THREADS_FUTURE_H
#define CXI_THREADS_FUTURE_H

#include "cxmpp/future.h"
#include "cxmpp/runtime.h"

/*
 * Makes a pending future on `rt` (takes a reference on rt). *out holds one
 * reference.
 * @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM, CX_ERR_SYSTEM.
 */
cx_status cxi_future_new(cx_future **out, cx_runtime *rt);

/*
 * Settles the future as done with `value`; the future owns it from now on
 * and calls value_free(value) when it is freed (value_free may be NULL).
 * If the future had settled already, value_free(value) runs at once here.
 * @return CX_OK if this call settled it, CX_ERR_STATE if it lost.
 * @thread reader, writer or timer thread (see the rule above)
 */
cx_status cxi_future_resolve(cx_future *f, void *value,
			     void (*value_free)(void *value));

/*
 * Settles the future as failed with a copy of *err. The state follows
 * err->status: CX_ERR_TIMEOUT gives CX_FUTURE_TIMED_OUT, CX_ERR_CANCELLED
 * gives CX_FUTURE_CANCELLED, any other negative status CX_FUTURE_FAILED.
 * @return CX_OK if this call settled it, CX_ERR_STATE if it lost,
 *         CX_ERR_INVALID if err is NULL or err->status is not negative.
 * @thread reader, writer or timer thread (see the rule above)
 */
cx_status cxi_future_fail(cx_future *f, const cx_error *err);

/*
 * As cxi_future_fail, and the future keeps `value` (owned from now on, as
 * with cxi_future_resolve): for a call answered with a stanza error, the
 * error stanza stays readable through cx_future_get_value.
 * @return as cxi_future_fail; on CX_ERR_STATE/INVALID value_free(value)
 *         has run.
 * @thread reader, writer or timer thread (see the rule above)
 */
cx_status cxi_future_fail_with_value(cx_future *f, const cx_error *err,
				     void *value, void (*value_free)(void *));

/*
 * Gives the future a deadline `timeout_ms` from now: if it is still pending
 * then, the timer thread settles it with CX_ERR_TIMEOUT. The timer holds
 * its own reference until it fires or the future settles otherwise (which
 * cancels the timer). CX_TIMEOUT_INFINITE (or any negative value) is a
 * no-op. On a future that has settled already it is a no-op too.
 * @return CX_OK; CX_ERR_STATE if a deadline was set already or the runtime
 *         is shutting down; CX_ERR_NOMEM.
 * @thread any
 */
cx_status cxi_future_set_deadline(cx_future *f, int timeout_ms);

/*
 * The owner's settle hook: fn(f, arg) is called once, synchronously on
 * whichever thread settles the future (reader, writer, timer, or a user's
 * thread calling cx_future_cancel), after waiters were woken and with no
 * lock of the future held. For the client to drop its pending-request entry
 * when a call is cancelled or times out. It must be quick, must not wait
 * for a pool thread, and must cope with being called while the owner
 * itself is settling the future (do not hold the owner's lock around
 * cxi_future_resolve/fail). Set it before the future is shared.
 * @return CX_OK; CX_ERR_STATE if a hook was set already or the future has
 *         settled.
 * @thread any
 */
cx_status cxi_future_on_settle_internal(cx_future *f,
					void (*fn)(cx_future *f, void *arg),
					void *arg);

/* The runtime of the future (borrowed, valid while f is). */
cx_runtime *cxi_future_runtime(cx_future *f);

#endif

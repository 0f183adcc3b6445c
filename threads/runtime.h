/*
 * threads/runtime.h - the runtime's internals: what a cx_runtime holds, the
 * thread-creation helper every library thread goes through, and thread
 * identity (which runtime and role the calling thread has).
 */
#ifndef CXI_THREADS_RUNTIME_H
#define CXI_THREADS_RUNTIME_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "cxmpp/runtime.h"
#include "lib/core/log.h"
#include "threads/pool.h"
#include "threads/timer.h"

/* The role of a library thread. */
typedef enum cxi_thread_kind {
	CXI_THREAD_NONE = 0,   /* a caller's thread */
	CXI_THREAD_POOL,
	CXI_THREAD_TIMER,
	CXI_THREAD_READER,
	CXI_THREAD_WRITER
} cxi_thread_kind;

struct cx_runtime {
	atomic_uint refs;
	size_t stack_size;
	unsigned pool_size;
	pthread_mutex_t log_lock;   /* protects log */
	cxi_logger log;
	cxi_pool pool;
	cxi_timerq timers;
	/* Set before the runtime is shared; read by the closing thread. */
	void (*destroy_notify)(void *arg);
	void *destroy_arg;
};

/*
 * Starts a library thread of `rt` with the runtime's stack size, all
 * signals blocked, the name `name` (<= 15 chars, for debuggers), and the
 * thread identity (rt, kind) that cxi_thread_kind_of() reports. The thread
 * is joinable. For the client's reader and writer threads too.
 * @return CX_OK or CX_ERR_SYSTEM (errno in err).
 * @thread any
 */
cx_status cxi_thread_create(pthread_t *out, cx_runtime *rt,
			    cxi_thread_kind kind, const char *name,
			    void *(*fn)(void *arg), void *arg, cx_error *err);

/* The role of the calling thread in `rt` (CXI_THREAD_NONE if not one of
 * its threads). */
cxi_thread_kind cxi_thread_kind_of(const cx_runtime *rt);

/* Copies the runtime's log sink (a consistent snapshot). */
void cxi_runtime_get_logger(cx_runtime *rt, cxi_logger *out);

/* Logs through the runtime's sink (category CX_LOG_CAT_POOL etc.). */
void cxi_runtime_log(cx_runtime *rt, cx_log_level level, const char *category,
		     const char *fmt, ...) CX_PRINTF(4, 5);

/*
 * Asks for fn(arg) to be called once the runtime is torn down (threads
 * joined, memory freed), on the thread that tore it down. For tests and
 * for owners that must know when a deferred teardown has finished. Set it
 * while you still hold a reference.
 */
void cxi_runtime_set_destroy_notify(cx_runtime *rt, void (*fn)(void *arg),
				    void *arg);

/* Tears the runtime down; called with refs == 0 from a thread that is not
 * one of its pool threads (the timer thread passes from_timer = true). */
void cxi_runtime_close(cx_runtime *rt, bool from_timer);

#endif

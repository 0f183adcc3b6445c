/*
 * threads/pool.h - the worker pool and per-client serial queues.
 *
 * A runtime owns a fixed number of pool threads that take tasks from one
 * FIFO run queue. Tasks are intrusive (a cxi_task embedded in its owner),
 * so submitting never allocates and never fails: that is what lets a future
 * queue its `then` callbacks on the settling thread without an error path,
 * and what makes the pool usable as the reaper (submit a task that frees an
 * object later, from a thread that holds none of its state).
 *
 * A serial queue (one per client) runs its items in arrival order, one at a
 * time, on whichever pool thread is free: the queue is itself a task in the
 * pool's run queue while it has work. After a batch of items it goes back to
 * the tail of the run queue, so that one busy client does not starve the
 * others. Its state is behind its own lock; the run-queue lock is shared by
 * all queues of the runtime but held only to link or unlink one task.
 *
 * Lock order: q->lock before the pool's run-queue lock (a leaf). Item
 * callbacks and arg_free run with no lock held.
 *
 * Rule for everything that submits work: work in flight must hold a
 * reference on the runtime (through its owner: a future, a serial queue, a
 * client) so that the runtime is never torn down under it. When the last
 * reference goes, the pool still drains what is queued before its threads
 * exit.
 */
#ifndef CXI_THREADS_POOL_H
#define CXI_THREADS_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "cxmpp/common.h"
#include "cxmpp/runtime.h"

typedef struct cxi_task {
	struct cxi_task *next;   /* protected by the run-queue lock */
	void (*fn)(void *arg);
	void *arg;
} cxi_task;

/* Sets the callback of an intrusive task. */
void cxi_task_init(cxi_task *t, void (*fn)(void *arg), void *arg);

/*
 * Queues `t` on the pool; a pool thread calls t->fn(t->arg) once. The task
 * must stay alive until its fn starts; fn may free it (and its owner).
 * Never fails, never blocks beyond the run-queue lock.
 * @thread any
 */
void cxi_pool_submit(cx_runtime *rt, cxi_task *t);

/*
 * Allocating convenience: runs fn(arg) once on a pool thread.
 * @return CX_OK or CX_ERR_NOMEM (then fn is not called).
 * @thread any
 */
cx_status cxi_pool_run(cx_runtime *rt, void (*fn)(void *arg), void *arg);

/* Whether the calling thread is a pool thread of `rt`. @thread any */
bool cxi_pool_is_worker(const cx_runtime *rt);

/* ---- serial queues ---- */

typedef struct cxi_serialq cxi_serialq;

/* Flags for cxi_serialq_push. */
enum {
	/* Run straight on the pool, in parallel with the queue's other items
	 * (still counts against the bound until it returns). */
	CXI_SERIALQ_CONCURRENT = 1u << 0,
	/* Ignore the bound (for rare items that must not be refused, such as
	 * "the connection ended"). */
	CXI_SERIALQ_NOLIMIT = 1u << 1
};

/*
 * Creates a serial queue on `rt` (takes a reference on rt) holding at most
 * `max_items` items queued or running concurrently (0 = no bound).
 * @return CX_OK, CX_ERR_INVALID, CX_ERR_NOMEM, CX_ERR_SYSTEM.
 * @thread any
 */
cx_status cxi_serialq_new(cxi_serialq **out, cx_runtime *rt, size_t max_items);

/*
 * Queues fn(arg). After fn returns, or if the item is discarded without
 * running (cxi_serialq_free), arg_free(arg) is called if not NULL, with no
 * lock held.
 * @return CX_OK; CX_ERR_FULL when the bound is reached (the item is not
 *         queued, arg_free is not called); CX_ERR_CLOSED after
 *         cxi_serialq_close; CX_ERR_NOMEM.
 * @thread any
 */
cx_status cxi_serialq_push(cxi_serialq *q, void (*fn)(void *arg), void *arg,
			   void (*arg_free)(void *arg), unsigned flags);

/*
 * Waits until the queue has room for one more item (for a producer that
 * got CX_ERR_FULL: the reader thread stops reading the socket meanwhile,
 * which is TCP back-pressure).
 * @return CX_OK when there is room; CX_ERR_TIMEOUT; CX_ERR_CLOSED when the
 *         queue is or gets closed; CX_ERR_CANCELLED when cxi_serialq_wake
 *         was called during the wait; CX_ERR_STATE when called from an
 *         item of this queue (it could never get room).
 * @blocks up to timeout_ms (CX_TIMEOUT_INFINITE allowed).
 * @thread any but the queue's own items
 */
cx_status cxi_serialq_wait_room(cxi_serialq *q, int timeout_ms);

/* Wakes the threads now in cxi_serialq_wait_room (CX_ERR_CANCELLED). */
void cxi_serialq_wake(cxi_serialq *q);

/*
 * Refuses further pushes (CX_ERR_CLOSED) and wakes room waiters. Queued
 * items still run: close + drain is a graceful flush. Idempotent.
 * @thread any
 */
void cxi_serialq_close(cxi_serialq *q);

/*
 * Waits until no item is queued or running.
 * @return CX_OK, CX_ERR_TIMEOUT, CX_ERR_STATE from an item of this queue.
 * @blocks up to timeout_ms.
 * @thread any but the queue's own items
 */
cx_status cxi_serialq_drain(cxi_serialq *q, int timeout_ms);

/* Number of items queued or running concurrently (a snapshot). */
size_t cxi_serialq_length(cxi_serialq *q);

/*
 * Closes the queue, discards the items that have not started (their
 * arg_free runs here, on the caller's thread) and releases the queue. Never
 * blocks: if an item is running (including the caller itself, when called
 * from an item of this queue), the memory goes when the last running item
 * returns. No other thread may be inside a call on `q` (close it and stop
 * the producer first). NULL is ignored.
 * @thread any, including the queue's own items
 */
void cxi_serialq_free(cxi_serialq *q);

/* ---- used by threads/runtime.c only ---- */

typedef struct cxi_pool {
	pthread_mutex_t lock;     /* the run-queue lock */
	pthread_cond_t cv;
	cxi_task *head, *tail;
	unsigned idle;            /* threads waiting on cv */
	bool stop;                /* drain, then exit */
	unsigned nthreads;        /* started */
	pthread_t *threads;
} cxi_pool;

cx_status cxi_pool_init(cxi_pool *p);
cx_status cxi_pool_start(cx_runtime *rt, unsigned nthreads);
/* Lets the pool drain its run queue, then joins its threads. */
void cxi_pool_stop(cx_runtime *rt);
void cxi_pool_fini(cxi_pool *p);

#endif

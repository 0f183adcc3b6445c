/*
 * threads/timer.h - monotonic time helpers and the runtime's timer thread.
 *
 * Timers are intrusive: the owner embeds a cxi_timer in its own object
 * (a future embeds its deadline), so arming a timer never allocates a node
 * and cancelling never looks one up. The node must stay alive while it is
 * armed; after cxi_timer_cancel() returns (from any thread but the timer's
 * own callback) the callback is neither running nor going to run, so the
 * owner may free the node.
 *
 * One timer thread per runtime fires every callback, in deadline order.
 * Callbacks run on that thread with no lock held: they must be short and
 * must never wait for a pool thread (the timer thread is what settles
 * deadlines of futures that pool threads may be blocked on).
 *
 * Lock: tq->lock protects the heap, `running` and every armed node's
 * heap_idx/deadline; it is a leaf lock (no other lock is taken under it).
 */
#ifndef CXI_THREADS_TIMER_H
#define CXI_THREADS_TIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxmpp/common.h"
#include "cxmpp/runtime.h"

/* Milliseconds on CLOCK_MONOTONIC (arbitrary origin, never goes back). */
int64_t cxi_now_ms(void);

/*
 * Absolute monotonic deadline for a relative timeout in ms; -1 for
 * CX_TIMEOUT_INFINITE (and any other negative value).
 */
int64_t cxi_deadline_after(int timeout_ms);

/* Initializes a condition variable that waits on CLOCK_MONOTONIC. */
int cxi_cond_init_monotonic(pthread_cond_t *cv);

/*
 * pthread_cond_wait until the absolute monotonic deadline (ms; < 0 waits
 * without limit). Returns 0 or ETIMEDOUT. Call with `m` held.
 */
int cxi_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m,
			int64_t deadline_ms);

typedef struct cxi_timer {
	void (*fn)(void *arg);  /* set by cxi_timer_init */
	void *arg;
	/* The rest is protected by the runtime's tq->lock. */
	int64_t deadline;       /* absolute, cxi_now_ms() scale */
	int64_t period;         /* > 0: repeating */
	uint64_t seq;           /* FIFO among equal deadlines */
	size_t heap_idx;        /* SIZE_MAX when not armed */
} cxi_timer;

/* Prepares a node (not armed). Call once before the first cxi_timer_add. */
void cxi_timer_init(cxi_timer *t, void (*fn)(void *arg), void *arg);

/*
 * Arms `t` to fire once at `deadline_ms` (cxi_now_ms() scale; a deadline in
 * the past fires at once). Re-arming an armed node moves it. May be called
 * from the node's own callback to re-arm it.
 * @return CX_OK, CX_ERR_NOMEM (heap growth failed), CX_ERR_STATE (the
 *         runtime is shutting down).
 * @thread any
 */
cx_status cxi_timer_add(cx_runtime *rt, cxi_timer *t, int64_t deadline_ms);

/*
 * Arms `t` to fire at `first_deadline_ms` and then every `period_ms` (> 0)
 * until cancelled. A late timer thread does not burst: a missed period is
 * skipped. For keepalives.
 * @return as cxi_timer_add, CX_ERR_INVALID for period_ms <= 0.
 * @thread any
 */
cx_status cxi_timer_add_repeating(cx_runtime *rt, cxi_timer *t,
				  int64_t first_deadline_ms, int64_t period_ms);

/*
 * Disarms `t`. Returns true if it was armed (a one-shot timer that had not
 * fired yet, or a repeating timer: its later firings are prevented), false
 * if it was not armed (never armed, already fired, already cancelled).
 * If the callback is running on the timer thread right now, waits for it to
 * return, unless called from that callback itself (then returns at once).
 * @blocks for at most the duration of one running callback.
 * @thread any
 */
bool cxi_timer_cancel(cx_runtime *rt, cxi_timer *t);

/* Whether `t` is armed (a snapshot). @thread any */
bool cxi_timer_armed(cx_runtime *rt, cxi_timer *t);

/* ---- used by threads/runtime.c only ---- */

typedef struct cxi_timerq {
	pthread_mutex_t lock;
	pthread_cond_t cv;        /* the timer thread sleeps here */
	pthread_cond_t done_cv;   /* cancel waits here for `running` */
	cxi_timer **heap;         /* min-heap on (deadline, seq) */
	size_t len, cap;
	uint64_t next_seq;
	cxi_timer *running;       /* node whose callback runs now (not deref'ed) */
	unsigned cancel_waiters;
	/* The deadline the timer thread sleeps until: INT64_MAX with an empty
	 * heap, INT64_MIN while awake (it looks at the heap again before it
	 * sleeps). Arming signals only for an earlier deadline. */
	int64_t sleep_until;
	bool stop;                /* join-style shutdown by an outside thread */
	bool deferred_close;      /* the timer thread tears the runtime down */
	bool started;
	pthread_t thread;
} cxi_timerq;

cx_status cxi_timerq_init(cxi_timerq *tq);
cx_status cxi_timerq_start(cx_runtime *rt);
/* Stops and joins the timer thread (not from the timer thread). */
void cxi_timerq_stop(cx_runtime *rt);
/* Asks the timer thread to tear the runtime down (cxi_runtime_close). */
void cxi_timerq_defer_close(cx_runtime *rt);
void cxi_timerq_fini(cxi_timerq *tq);

#endif

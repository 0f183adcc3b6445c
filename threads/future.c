/*
 * Futures: one-shot results, settled exactly once.
 *
 * Design notes.
 * - Everything about settlement happens under the future's own mutex, and
 *   the first settler wins; a loser frees the value it brought. Waking
 *   waiters is one broadcast on one condition variable, skipped when nobody
 *   waits: on the reply path the reader thread takes one lock and wakes the
 *   caller directly, without a pool hop.
 * - Who settles: the reader thread (replies), the writer thread (a send
 *   that failed), the timer thread (deadlines), and the thread that calls
 *   cx_future_cancel. Never the pool: a handler blocked in cx_future_wait
 *   holds a pool thread, and if every pool thread were blocked that way
 *   while the settlement waited for a pool thread, nothing would move. The
 *   reader, writer and timer threads never wait for pool work, so a
 *   handler may block on a call of its own client. Cancel settles directly
 *   on the caller's thread because it needs no other thread at all.
 * - After the lock is released the winner runs the owner's hook, queues
 *   the then-callbacks (nodes allocated at cx_future_then time, so this
 *   cannot fail) and cancels the deadline timer. cxi_timer_cancel may wait
 *   for a deadline callback that is firing at that moment; that callback
 *   only takes this future's lock, which we no longer hold, and loses.
 * - References: each queued then-callback holds one; an armed deadline
 *   holds one, dropped by whichever of "the timer fired" or "the settler
 *   cancelled the timer" happens. The future holds a reference on its
 *   runtime. A then-callback may therefore drop the user's last reference.
 * - cx_future_map: a derived future is settled by a listener that runs
 *   synchronously on whichever thread settles the source (reader, writer,
 *   timer, canceller), never on the pool, so the settlement rule holds for
 *   derived futures too and a handler may wait on a feature's _async
 *   future. The listener list is separate from the owner's hook, which the
 *   client already uses. Cancelling the derived future cancels the source
 *   (through the derived future's hook), so the client forgets the request.
 * - Lock order: f->lock, then the timer heap lock (set_deadline arms the
 *   timer under f->lock); the timer thread never holds its lock while it
 *   runs a callback, so it never takes f->lock under it.
 */
#include "config.h"

#include "threads/future.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/core/error.h"
#include "threads/pool.h"
#include "threads/runtime.h"
#include "threads/timer.h"

typedef struct listen_node {
	struct listen_node *next;
	void (*fn)(cx_future *src, void *arg); /* runs on the settler */
	void (*drop)(void *arg);               /* src freed unsettled */
	void *arg;
} listen_node;

typedef struct then_node {
	struct then_node *next;
	cxi_task task;
	cx_future *f;
	cx_future_then_fn fn;
	void *arg;
	void (*arg_free)(void *);
} then_node;

struct cx_future {
	atomic_uint refs;
	cx_runtime *rt;              /* a reference */
	pthread_mutex_t lock;        /* protects everything below */
	pthread_cond_t cv;           /* waiters; CLOCK_MONOTONIC */
	cx_future_state state;
	void *value;
	void (*value_free)(void *);
	cx_error error;
	then_node *thens, **thens_tail;
	unsigned waiters;
	bool has_deadline;           /* armed; its reference not yet dropped */
	int deadline_ms;             /* for the timeout message */
	cxi_timer deadline;
	void (*hook)(cx_future *, void *);
	void *hook_arg;
	listen_node *listeners;      /* cx_future_map; run once at settlement */
};

cx_status
cxi_future_new(cx_future **out, cx_runtime *rt)
{
	cx_future *f;

	if (out == NULL || rt == NULL)
		return CX_ERR_INVALID;
	*out = NULL;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return CX_ERR_NOMEM;
	if (pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		return CX_ERR_SYSTEM;
	}
	if (cxi_cond_init_monotonic(&f->cv) != 0) {
		pthread_mutex_destroy(&f->lock);
		free(f);
		return CX_ERR_SYSTEM;
	}
	atomic_init(&f->refs, 1);
	f->rt = cx_runtime_ref(rt);
	f->state = CX_FUTURE_PENDING;
	f->thens_tail = &f->thens;
	cxi_timer_init(&f->deadline, NULL, NULL);
	*out = f;
	return CX_OK;
}

cx_runtime *
cxi_future_runtime(cx_future *f)
{
	return f->rt;
}

cx_future *
cx_future_ref(cx_future *f)
{
	if (f != NULL)
		atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	return f;
}

static void
future_free(cx_future *f)
{
	then_node *n, *next;
	cx_runtime *rt = f->rt;

	/* Only a future that never settled still has nodes. */
	for (n = f->thens; n != NULL; n = next) {
		next = n->next;
		if (n->arg_free != NULL)
			n->arg_free(n->arg);
		free(n);
	}
	while (f->listeners != NULL) {
		listen_node *l = f->listeners;

		f->listeners = l->next;
		l->drop(l->arg);
		free(l);
	}
	if (f->value_free != NULL)
		f->value_free(f->value);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->lock);
	free(f);
	cx_runtime_unref(rt);
}

void
cx_future_unref(cx_future *f)
{
	if (f == NULL)
		return;
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1)
		future_free(f);
}

static void
then_run(void *p)
{
	then_node *n = p;
	cx_future *f = n->f;

	n->fn(f, n->arg);
	if (n->arg_free != NULL)
		n->arg_free(n->arg);
	free(n);
	cx_future_unref(f);
}

/*
 * The one settlement path. `by_deadline`: called from the deadline timer's
 * own callback (which drops the timer's reference itself).
 */
static cx_status
settle(cx_future *f, cx_future_state state, void *value,
       void (*value_free)(void *), const cx_error *err, bool by_deadline)
{
	then_node *thens, *n, *next;
	listen_node *listeners;
	void (*hook)(cx_future *, void *);
	void *hook_arg;
	bool cancel_deadline;
	unsigned nthens = 0;

	pthread_mutex_lock(&f->lock);
	if (f->state != CX_FUTURE_PENDING) {
		pthread_mutex_unlock(&f->lock);
		if (value_free != NULL)
			value_free(value);
		return CX_ERR_STATE;
	}
	f->state = state;
	f->value = value;
	f->value_free = value_free;
	if (err != NULL)
		cxi_error_copy(&f->error, err);
	else
		cx_error_clear(&f->error);
	thens = f->thens;
	f->thens = NULL;
	f->thens_tail = &f->thens;
	for (n = thens; n != NULL; n = n->next)
		nthens++;
	if (nthens > 0)
		atomic_fetch_add_explicit(&f->refs, nthens,
					  memory_order_relaxed);
	cancel_deadline = f->has_deadline && !by_deadline;
	f->has_deadline = false;
	hook = f->hook;
	hook_arg = f->hook_arg;
	f->hook = NULL;
	listeners = f->listeners;
	f->listeners = NULL;
	if (f->waiters > 0)
		pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->lock);

	if (hook != NULL)
		hook(f, hook_arg);
	while (listeners != NULL) {
		listen_node *l = listeners;

		listeners = l->next;
		l->fn(f, l->arg);
		free(l);
	}
	for (n = thens; n != NULL; n = next) {
		next = n->next;
		cxi_pool_submit(f->rt, &n->task);
	}
	/* Not the last reference: our caller holds one. */
	if (cancel_deadline && cxi_timer_cancel(f->rt, &f->deadline))
		atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel);
	return CX_OK;
}

cx_status
cxi_future_resolve(cx_future *f, void *value, void (*value_free)(void *))
{
	if (f == NULL) {
		if (value_free != NULL)
			value_free(value);
		return CX_ERR_INVALID;
	}
	return settle(f, CX_FUTURE_DONE, value, value_free, NULL, false);
}

static cx_future_state
state_of_status(cx_status st)
{
	if (st == CX_ERR_TIMEOUT)
		return CX_FUTURE_TIMED_OUT;
	if (st == CX_ERR_CANCELLED)
		return CX_FUTURE_CANCELLED;
	return CX_FUTURE_FAILED;
}

cx_status
cxi_future_fail(cx_future *f, const cx_error *err)
{
	if (f == NULL || err == NULL || err->status >= 0)
		return CX_ERR_INVALID;
	return settle(f, state_of_status(err->status), NULL, NULL, err, false);
}

cx_status
cxi_future_fail_with_value(cx_future *f, const cx_error *err, void *value,
			   void (*value_free)(void *))
{
	if (f == NULL || err == NULL || err->status >= 0) {
		if (value_free != NULL)
			value_free(value);
		return CX_ERR_INVALID;
	}
	return settle(f, state_of_status(err->status), value, value_free, err,
		      false);
}

cx_status
cx_future_cancel(cx_future *f)
{
	cx_error e;

	if (f == NULL)
		return CX_ERR_INVALID;
	cxi_error_set(&e, CX_ERR_CANCELLED, "cancelled");
	return settle(f, CX_FUTURE_CANCELLED, NULL, NULL, &e, false);
}

static void
deadline_fire(void *arg)
{
	cx_future *f = arg;
	cx_error e;

	cxi_error_set(&e, CX_ERR_TIMEOUT, "no result within %d ms",
		      f->deadline_ms);
	settle(f, CX_FUTURE_TIMED_OUT, NULL, NULL, &e, true);
	cx_future_unref(f); /* the timer's reference; may be the last */
}

cx_status
cxi_future_set_deadline(cx_future *f, int timeout_ms)
{
	cx_status st = CX_OK;

	if (f == NULL)
		return CX_ERR_INVALID;
	if (timeout_ms < 0)
		return CX_OK;
	pthread_mutex_lock(&f->lock);
	if (f->state != CX_FUTURE_PENDING)
		goto out;
	if (f->has_deadline || f->deadline.fn != NULL) {
		st = CX_ERR_STATE;
		goto out;
	}
	f->deadline_ms = timeout_ms;
	cxi_timer_init(&f->deadline, deadline_fire, f);
	atomic_fetch_add_explicit(&f->refs, 1, memory_order_relaxed);
	st = cxi_timer_add(f->rt, &f->deadline, cxi_deadline_after(timeout_ms));
	if (st == CX_OK)
		f->has_deadline = true;
	else
		atomic_fetch_sub_explicit(&f->refs, 1, memory_order_relaxed);
out:
	pthread_mutex_unlock(&f->lock);
	return st;
}

cx_status
cxi_future_on_settle_internal(cx_future *f, void (*fn)(cx_future *, void *),
			      void *arg)
{
	cx_status st = CX_OK;

	if (f == NULL || fn == NULL)
		return CX_ERR_INVALID;
	pthread_mutex_lock(&f->lock);
	if (f->state != CX_FUTURE_PENDING || f->hook != NULL) {
		st = CX_ERR_STATE;
	} else {
		f->hook = fn;
		f->hook_arg = arg;
	}
	pthread_mutex_unlock(&f->lock);
	return st;
}

static cx_status
status_of(const cx_future *f)
{
	return f->state == CX_FUTURE_DONE ? CX_OK : f->error.status;
}

cx_status
cx_future_wait(cx_future *f, int timeout_ms, cx_error *err)
{
	int64_t deadline;
	cx_status st;

	if (f == NULL || timeout_ms < CX_TIMEOUT_DEFAULT)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "invalid future or timeout");
	/* CX_TIMEOUT_DEFAULT: until it settles (its own deadline bounds it). */
	deadline = timeout_ms >= 0 ? cxi_deadline_after(timeout_ms) : -1;
	pthread_mutex_lock(&f->lock);
	while (f->state == CX_FUTURE_PENDING && timeout_ms != 0) {
		int rc;

		f->waiters++;
		rc = cxi_cond_wait_until(&f->cv, &f->lock, deadline);
		f->waiters--;
		if (rc == ETIMEDOUT)
			break;
	}
	if (f->state == CX_FUTURE_PENDING) {
		pthread_mutex_unlock(&f->lock);
		return cxi_error_set(err, CX_ERR_TIMEOUT,
				     "wait timed out after %d ms; the future "
				     "is still pending", timeout_ms);
	}
	st = status_of(f);
	if (err != NULL)
		cxi_error_copy(err, &f->error);
	pthread_mutex_unlock(&f->lock);
	return st;
}

cx_future_state
cx_future_get_state(cx_future *f)
{
	cx_future_state s;

	if (f == NULL)
		return CX_FUTURE_PENDING;
	pthread_mutex_lock(&f->lock);
	s = f->state;
	pthread_mutex_unlock(&f->lock);
	return s;
}

void *
cx_future_get_value(cx_future *f)
{
	void *v = NULL;

	if (f == NULL)
		return NULL;
	pthread_mutex_lock(&f->lock);
	if (f->state == CX_FUTURE_DONE || f->state == CX_FUTURE_FAILED)
		v = f->value;
	pthread_mutex_unlock(&f->lock);
	return v;
}

cx_status
cx_future_get_error(cx_future *f, cx_error *out)
{
	cx_status st;

	if (f == NULL)
		return cxi_error_set(out, CX_ERR_INVALID, "future is NULL");
	pthread_mutex_lock(&f->lock);
	if (f->state == CX_FUTURE_PENDING) {
		pthread_mutex_unlock(&f->lock);
		return cxi_error_set(out, CX_ERR_STATE,
				     "the future is still pending");
	}
	st = status_of(f);
	if (out != NULL)
		cxi_error_copy(out, &f->error);
	pthread_mutex_unlock(&f->lock);
	return st;
}

cx_status
cx_future_then(cx_future *f, cx_future_then_fn fn, void *arg,
	       void (*arg_free)(void *), cx_error *err)
{
	then_node *n;
	bool settled;

	if (f == NULL || fn == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "future or callback is NULL");
	n = malloc(sizeof(*n));
	if (n == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	n->next = NULL;
	n->f = f;
	n->fn = fn;
	n->arg = arg;
	n->arg_free = arg_free;
	cxi_task_init(&n->task, then_run, n);

	pthread_mutex_lock(&f->lock);
	settled = f->state != CX_FUTURE_PENDING;
	if (!settled) {
		*f->thens_tail = n;
		f->thens_tail = &n->next;
	}
	pthread_mutex_unlock(&f->lock);
	if (settled) {
		cx_future_ref(f);
		cxi_pool_submit(f->rt, &n->task);
	}
	return CX_OK;
}

/* ---- derived futures (cx_future_map) ---------------------------------- */

typedef struct map_ctx {
	cx_future *dst;        /* a reference, dropped after settling it */
	cx_future_map_fn fn;
	void *arg;
	void (*arg_free)(void *);
} map_ctx;

static void
map_ctx_free(map_ctx *m)
{
	if (m->arg_free != NULL)
		m->arg_free(m->arg);
	cx_future_unref(m->dst);
	free(m);
}

/* Runs on the thread that settled src. */
static void
map_src_settled(cx_future *src, void *p)
{
	map_ctx *m = p;
	cx_error e;
	void *value = NULL;
	void (*value_free)(void *) = NULL;
	cx_status st;

	cx_error_clear(&e);
	st = m->fn(&value, &value_free, src, m->arg, &e);
	if (st == CX_OK) {
		settle(m->dst, CX_FUTURE_DONE, value, value_free, NULL, false);
	} else {
		if (e.status >= 0)
			cxi_error_set(&e, st < 0 ? st : CX_ERR_INVALID,
				      "%s", cx_strerror(st));
		settle(m->dst, state_of_status(e.status), value, value_free,
		       &e, false);
	}
	map_ctx_free(m);
}

static void
map_src_dropped(void *p)
{
	map_ctx *m = p;
	cx_error e;

	cxi_error_set(&e, CX_ERR_CANCELLED,
		      "the source future was freed before it settled");
	settle(m->dst, CX_FUTURE_CANCELLED, NULL, NULL, &e, false);
	map_ctx_free(m);
}

/* The derived future's hook: when it settles first (cancelled), cancel
 * the source too; in every case drop the reference it held on src. */
static void
map_dst_settled(cx_future *dst, void *p)
{
	cx_future *src = p;

	(void)dst;
	cx_future_cancel(src);
	cx_future_unref(src);
}

cx_future *
cx_future_map(cx_future *src, cx_future_map_fn fn, void *arg,
	      void (*arg_free)(void *))
{
	cx_future *dst = NULL;
	map_ctx *m;
	listen_node *l;
	bool settled;

	if (src == NULL || fn == NULL)
		return NULL;
	m = calloc(1, sizeof(*m));
	l = calloc(1, sizeof(*l));
	if (m == NULL || l == NULL || cxi_future_new(&dst, src->rt) != CX_OK) {
		free(m);
		free(l);
		return NULL;
	}
	/* Cannot fail: dst is new and not shared. */
	cxi_future_on_settle_internal(dst, map_dst_settled, cx_future_ref(src));
	m->dst = cx_future_ref(dst);
	m->fn = fn;
	m->arg = arg;
	m->arg_free = arg_free;
	l->fn = map_src_settled;
	l->drop = map_src_dropped;
	l->arg = m;

	pthread_mutex_lock(&src->lock);
	settled = src->state != CX_FUTURE_PENDING;
	if (!settled) {
		l->next = src->listeners;
		src->listeners = l;
	}
	pthread_mutex_unlock(&src->lock);
	if (settled) {
		free(l);
		map_src_settled(src, m);
	}
	return dst;
}

/*
 * The worker pool and serial queues.
 *
 * Design notes.
 * - One run queue per runtime, a singly linked FIFO of intrusive tasks
 *   under one mutex and one condition variable. Workers count themselves
 *   idle so that a submit signals only when someone sleeps. The lock is
 *   held to link or unlink one task, never while a task runs.
 * - A serial queue is a task of its own: it is in the run queue (or
 *   running) exactly when `scheduled` is set, and only the holder of that
 *   state pops items, which is what makes items of one queue run one at a
 *   time and in order without a per-queue thread. It runs at most
 *   SERIALQ_BATCH items per turn and then goes to the back of the run queue.
 * - Concurrent items bypass the serial list: each is its own pool task, and
 *   counts in `count` (the bound) and `inflight` until it returns.
 * - Freeing a queue never waits: if its task is scheduled or a concurrent
 *   item is in flight, `free_requested` hands the final free to whichever
 *   of them finishes last. This is what makes freeing a queue from one of
 *   its own items legal, and it is the only deferred-free the queue needs.
 * - Room and drain waiters are counted so that the hot path (an item
 *   finishing with nobody waiting) does no broadcast.
 */
#include "config.h"

#include "threads/pool.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/core/error.h"
#include "threads/runtime.h"

#define SERIALQ_BATCH 32

/* ---- pool ---- */

void
cxi_task_init(cxi_task *t, void (*fn)(void *), void *arg)
{
	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
}

void
cxi_pool_submit(cx_runtime *rt, cxi_task *t)
{
	cxi_pool *p = &rt->pool;

	t->next = NULL;
	pthread_mutex_lock(&p->lock);
	if (p->tail != NULL)
		p->tail->next = t;
	else
		p->head = t;
	p->tail = t;
	if (p->idle > 0)
		pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->lock);
}

struct run_once {
	cxi_task task;
	void (*fn)(void *);
	void *arg;
};

static void
run_once(void *p)
{
	struct run_once *r = p;
	void (*fn)(void *) = r->fn;
	void *arg = r->arg;

	free(r);
	fn(arg);
}

cx_status
cxi_pool_run(cx_runtime *rt, void (*fn)(void *), void *arg)
{
	struct run_once *r;

	if (rt == NULL || fn == NULL)
		return CX_ERR_INVALID;
	r = malloc(sizeof(*r));
	if (r == NULL)
		return CX_ERR_NOMEM;
	r->fn = fn;
	r->arg = arg;
	cxi_task_init(&r->task, run_once, r);
	cxi_pool_submit(rt, &r->task);
	return CX_OK;
}

bool
cxi_pool_is_worker(const cx_runtime *rt)
{
	return cxi_thread_kind_of(rt) == CXI_THREAD_POOL;
}

static void *
pool_main(void *arg)
{
	cx_runtime *rt = arg;
	cxi_pool *p = &rt->pool;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		cxi_task *t;

		while (p->head == NULL && !p->stop) {
			p->idle++;
			pthread_cond_wait(&p->cv, &p->lock);
			p->idle--;
		}
		t = p->head;
		if (t == NULL)
			break; /* stopping, and drained */
		p->head = t->next;
		if (p->head == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		t->fn(t->arg); /* may free t */
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

cx_status
cxi_pool_init(cxi_pool *p)
{
	p->head = p->tail = NULL;
	p->idle = 0;
	p->stop = false;
	p->nthreads = 0;
	p->threads = NULL;
	if (pthread_mutex_init(&p->lock, NULL) != 0)
		return CX_ERR_SYSTEM;
	if (pthread_cond_init(&p->cv, NULL) != 0) {
		pthread_mutex_destroy(&p->lock);
		return CX_ERR_SYSTEM;
	}
	return CX_OK;
}

cx_status
cxi_pool_start(cx_runtime *rt, unsigned nthreads)
{
	cxi_pool *p = &rt->pool;
	cx_error e;

	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (p->threads == NULL)
		return CX_ERR_NOMEM;
	for (unsigned i = 0; i < nthreads; i++) {
		cx_status st = cxi_thread_create(&p->threads[i], rt,
						 CXI_THREAD_POOL, "cxmpp-pool",
						 pool_main, rt, &e);
		if (st != CX_OK) {
			errno = e.sys_errno;
			return st;
		}
		p->nthreads++;
	}
	return CX_OK;
}

void
cxi_pool_stop(cx_runtime *rt)
{
	cxi_pool *p = &rt->pool;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->lock);
	for (unsigned i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	p->nthreads = 0;
}

void
cxi_pool_fini(cxi_pool *p)
{
	free(p->threads);
	p->threads = NULL;
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->lock);
}

/* ---- serial queues ---- */

typedef struct sq_item {
	struct sq_item *next;
	void (*fn)(void *);
	void *arg;
	void (*arg_free)(void *);
	cxi_task task;           /* concurrent items only */
	cxi_serialq *q;
} sq_item;

struct cxi_serialq {
	cx_runtime *rt;          /* a reference */
	pthread_mutex_t lock;    /* protects everything below */
	pthread_cond_t room_cv;  /* wait_room sleeps here */
	pthread_cond_t drain_cv; /* drain sleeps here */
	sq_item *head, *tail;    /* serial items not started */
	size_t count;            /* serial queued + concurrent in flight */
	size_t max;
	size_t inflight;         /* concurrent items in flight */
	bool scheduled;          /* task queued in the pool or running */
	bool closed;
	bool free_requested;
	unsigned room_waiters, drain_waiters;
	unsigned wake_gen;       /* bumped by cxi_serialq_wake */
	cxi_task task;
};

/* The queue whose item the calling thread is running (for self-checks). */
static __thread cxi_serialq *tls_current_q;

static void
sq_destroy(cxi_serialq *q)
{
	cx_runtime *rt = q->rt;

	pthread_cond_destroy(&q->drain_cv);
	pthread_cond_destroy(&q->room_cv);
	pthread_mutex_destroy(&q->lock);
	free(q);
	cx_runtime_unref(rt);
}

/* Wakes waiters after count dropped or the queue went idle. q->lock held. */
static void
sq_notify(cxi_serialq *q)
{
	if (q->room_waiters > 0 && q->count < q->max)
		pthread_cond_broadcast(&q->room_cv);
	if (q->drain_waiters > 0 && q->count == 0 && !q->scheduled)
		pthread_cond_broadcast(&q->drain_cv);
}

static void
sq_run_item(sq_item *it)
{
	cxi_serialq *prev = tls_current_q;

	tls_current_q = it->q;
	it->fn(it->arg);
	tls_current_q = prev;
	if (it->arg_free != NULL)
		it->arg_free(it->arg);
}

static void
sq_run(void *arg)
{
	cxi_serialq *q = arg;
	sq_item *it;
	int n;

	pthread_mutex_lock(&q->lock);
	for (n = 0; n < SERIALQ_BATCH && !q->free_requested; n++) {
		it = q->head;
		if (it == NULL)
			break;
		q->head = it->next;
		if (q->head == NULL)
			q->tail = NULL;
		pthread_mutex_unlock(&q->lock);
		sq_run_item(it);
		free(it);
		pthread_mutex_lock(&q->lock);
		q->count--;
		sq_notify(q);
	}
	if (q->free_requested) {
		q->scheduled = false;
		if (q->inflight == 0) {
			pthread_mutex_unlock(&q->lock);
			sq_destroy(q);
			return;
		}
	} else if (q->head != NULL) {
		/* Back to the tail of the run queue: fairness between queues. */
		cxi_pool_submit(q->rt, &q->task);
	} else {
		q->scheduled = false;
		sq_notify(q);
	}
	pthread_mutex_unlock(&q->lock);
}

static void
sq_run_concurrent(void *arg)
{
	sq_item *it = arg;
	cxi_serialq *q = it->q;
	bool destroy;

	sq_run_item(it);
	free(it);
	pthread_mutex_lock(&q->lock);
	q->inflight--;
	q->count--;
	sq_notify(q);
	destroy = q->free_requested && q->inflight == 0 && !q->scheduled;
	pthread_mutex_unlock(&q->lock);
	if (destroy)
		sq_destroy(q);
}

cx_status
cxi_serialq_new(cxi_serialq **out, cx_runtime *rt, size_t max_items)
{
	cxi_serialq *q;

	if (out == NULL || rt == NULL)
		return CX_ERR_INVALID;
	*out = NULL;
	q = calloc(1, sizeof(*q));
	if (q == NULL)
		return CX_ERR_NOMEM;
	if (pthread_mutex_init(&q->lock, NULL) != 0)
		goto fail_mutex;
	if (cxi_cond_init_monotonic(&q->room_cv) != 0)
		goto fail_room;
	if (cxi_cond_init_monotonic(&q->drain_cv) != 0)
		goto fail_drain;
	q->max = max_items != 0 ? max_items : SIZE_MAX;
	q->rt = cx_runtime_ref(rt);
	cxi_task_init(&q->task, sq_run, q);
	*out = q;
	return CX_OK;
fail_drain:
	pthread_cond_destroy(&q->room_cv);
fail_room:
	pthread_mutex_destroy(&q->lock);
fail_mutex:
	free(q);
	return CX_ERR_SYSTEM;
}

cx_status
cxi_serialq_push(cxi_serialq *q, void (*fn)(void *), void *arg,
		 void (*arg_free)(void *), unsigned flags)
{
	sq_item *it;

	if (q == NULL || fn == NULL)
		return CX_ERR_INVALID;
	it = malloc(sizeof(*it));
	if (it == NULL)
		return CX_ERR_NOMEM;
	it->next = NULL;
	it->fn = fn;
	it->arg = arg;
	it->arg_free = arg_free;
	it->q = q;

	pthread_mutex_lock(&q->lock);
	if (q->closed) {
		pthread_mutex_unlock(&q->lock);
		free(it);
		return CX_ERR_CLOSED;
	}
	if (q->count >= q->max && !(flags & CXI_SERIALQ_NOLIMIT)) {
		pthread_mutex_unlock(&q->lock);
		free(it);
		return CX_ERR_FULL;
	}
	q->count++;
	if (flags & CXI_SERIALQ_CONCURRENT) {
		q->inflight++;
		cxi_task_init(&it->task, sq_run_concurrent, it);
		cxi_pool_submit(q->rt, &it->task);
	} else {
		if (q->tail != NULL)
			q->tail->next = it;
		else
			q->head = it;
		q->tail = it;
		if (!q->scheduled) {
			q->scheduled = true;
			cxi_pool_submit(q->rt, &q->task);
		}
	}
	pthread_mutex_unlock(&q->lock);
	return CX_OK;
}

cx_status
cxi_serialq_wait_room(cxi_serialq *q, int timeout_ms)
{
	int64_t deadline;
	unsigned gen;
	cx_status st = CX_OK;

	if (q == NULL || timeout_ms < CX_TIMEOUT_INFINITE)
		return CX_ERR_INVALID;
	if (tls_current_q == q)
		return CX_ERR_STATE;
	deadline = cxi_deadline_after(timeout_ms);
	pthread_mutex_lock(&q->lock);
	gen = q->wake_gen;
	q->room_waiters++;
	for (;;) {
		if (q->closed) {
			st = CX_ERR_CLOSED;
			break;
		}
		if (q->count < q->max)
			break;
		if (q->wake_gen != gen) {
			st = CX_ERR_CANCELLED;
			break;
		}
		if (cxi_cond_wait_until(&q->room_cv, &q->lock, deadline) ==
			    ETIMEDOUT &&
		    q->count >= q->max && !q->closed && q->wake_gen == gen) {
			st = CX_ERR_TIMEOUT;
			break;
		}
	}
	q->room_waiters--;
	pthread_mutex_unlock(&q->lock);
	return st;
}

void
cxi_serialq_wake(cxi_serialq *q)
{
	pthread_mutex_lock(&q->lock);
	q->wake_gen++;
	if (q->room_waiters > 0)
		pthread_cond_broadcast(&q->room_cv);
	pthread_mutex_unlock(&q->lock);
}

void
cxi_serialq_close(cxi_serialq *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	if (q->room_waiters > 0)
		pthread_cond_broadcast(&q->room_cv);
	pthread_mutex_unlock(&q->lock);
}

cx_status
cxi_serialq_drain(cxi_serialq *q, int timeout_ms)
{
	int64_t deadline;
	cx_status st = CX_OK;

	if (q == NULL || timeout_ms < CX_TIMEOUT_INFINITE)
		return CX_ERR_INVALID;
	if (tls_current_q == q)
		return CX_ERR_STATE;
	deadline = cxi_deadline_after(timeout_ms);
	pthread_mutex_lock(&q->lock);
	q->drain_waiters++;
	while (q->count > 0 || q->scheduled) {
		if (cxi_cond_wait_until(&q->drain_cv, &q->lock, deadline) ==
			    ETIMEDOUT &&
		    (q->count > 0 || q->scheduled)) {
			st = CX_ERR_TIMEOUT;
			break;
		}
	}
	q->drain_waiters--;
	pthread_mutex_unlock(&q->lock);
	return st;
}

size_t
cxi_serialq_length(cxi_serialq *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->count;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void
cxi_serialq_free(cxi_serialq *q)
{
	sq_item *it, *next;
	bool destroy;

	if (q == NULL)
		return;
	pthread_mutex_lock(&q->lock);
	q->closed = true;
	it = q->head;
	q->head = q->tail = NULL;
	for (next = it; next != NULL; next = next->next)
		q->count--;
	q->free_requested = true;
	destroy = !q->scheduled && q->inflight == 0;
	pthread_mutex_unlock(&q->lock);
	for (; it != NULL; it = next) {
		next = it->next;
		if (it->arg_free != NULL)
			it->arg_free(it->arg);
		free(it);
	}
	if (destroy)
		sq_destroy(q);
}

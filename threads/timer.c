/*
 * The timer thread: a binary min-heap of intrusive nodes, ordered by
 * (deadline, seq), and one thread that sleeps in pthread_cond_timedwait on
 * CLOCK_MONOTONIC until the earliest deadline.
 *
 * Design notes.
 * - After a callback returns, the thread never touches its node again: the
 *   callback may have freed it (a future whose deadline drops the last
 *   reference frees the node embedded in it). So a repeating timer is
 *   re-armed before its callback runs, and `running` is only compared,
 *   never dereferenced.
 * - cxi_timer_cancel waits while the callback of that node is running,
 *   unless it is called from that very callback. That is what lets an owner
 *   free the node as soon as cancel returns, and it cannot deadlock as long
 *   as callbacks never wait for the thread that cancels them (callbacks
 *   here only take short leaf locks, like a future's).
 * - Deadlines are absolute milliseconds; the heap lock is shared by all
 *   clients of a runtime but held only for O(log n) heap work.
 * - The timer thread is also the runtime's closer when the last reference
 *   is dropped on a pool or timer thread (see threads/runtime.c).
 */
#include "config.h"

#include "threads/timer.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "threads/runtime.h"

int64_t
cxi_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
cxi_deadline_after(int timeout_ms)
{
	if (timeout_ms < 0)
		return -1;
	return cxi_now_ms() + timeout_ms;
}

int
cxi_cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc;

	rc = pthread_condattr_init(&a);
	if (rc != 0)
		return rc;
	rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

int
cxi_cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m,
		    int64_t deadline_ms)
{
	struct timespec ts;

	if (deadline_ms < 0)
		return pthread_cond_wait(cv, m);
	ts.tv_sec = (time_t)(deadline_ms / 1000);
	ts.tv_nsec = (long)(deadline_ms % 1000) * 1000000L;
	return pthread_cond_timedwait(cv, m, &ts);
}

/* ---- heap, all with tq->lock held ---- */

static bool
before(const cxi_timer *a, const cxi_timer *b)
{
	if (a->deadline != b->deadline)
		return a->deadline < b->deadline;
	return a->seq < b->seq;
}

static void
heap_set(cxi_timerq *tq, size_t i, cxi_timer *t)
{
	tq->heap[i] = t;
	t->heap_idx = i;
}

static void
sift_up(cxi_timerq *tq, size_t i)
{
	cxi_timer *t = tq->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!before(t, tq->heap[parent]))
			break;
		heap_set(tq, i, tq->heap[parent]);
		i = parent;
	}
	heap_set(tq, i, t);
}

static void
sift_down(cxi_timerq *tq, size_t i)
{
	cxi_timer *t = tq->heap[i];

	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const cxi_timer *best = t;

		if (l < tq->len && before(tq->heap[l], best)) {
			m = l;
			best = tq->heap[l];
		}
		if (r < tq->len && before(tq->heap[r], best))
			m = r;
		if (m == i)
			break;
		heap_set(tq, i, tq->heap[m]);
		i = m;
	}
	heap_set(tq, i, t);
}

static void
heap_remove(cxi_timerq *tq, cxi_timer *t)
{
	size_t i = t->heap_idx;
	cxi_timer *last;

	t->heap_idx = SIZE_MAX;
	last = tq->heap[--tq->len];
	if (i == tq->len)
		return;
	heap_set(tq, i, last);
	sift_down(tq, i);
	sift_up(tq, last->heap_idx);
}

static cx_status
heap_insert(cxi_timerq *tq, cxi_timer *t)
{
	if (tq->len == tq->cap) {
		size_t cap = tq->cap ? tq->cap * 2 : 64;
		cxi_timer **h = realloc(tq->heap, cap * sizeof(*h));
		if (h == NULL)
			return CX_ERR_NOMEM;
		tq->heap = h;
		tq->cap = cap;
	}
	t->seq = tq->next_seq++;
	tq->heap[tq->len] = t;
	t->heap_idx = tq->len++;
	sift_up(tq, t->heap_idx);
	return CX_OK;
}

/* ---- public-internal API ---- */

void
cxi_timer_init(cxi_timer *t, void (*fn)(void *), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->deadline = 0;
	t->period = 0;
	t->seq = 0;
	t->heap_idx = SIZE_MAX;
}

static cx_status
timer_arm(cx_runtime *rt, cxi_timer *t, int64_t deadline, int64_t period)
{
	cxi_timerq *tq = &rt->timers;
	cx_status st;

	pthread_mutex_lock(&tq->lock);
	if (tq->stop || tq->deferred_close) {
		pthread_mutex_unlock(&tq->lock);
		return CX_ERR_STATE;
	}
	if (t->heap_idx != SIZE_MAX)
		heap_remove(tq, t);
	t->deadline = deadline;
	t->period = period;
	st = heap_insert(tq, t);
	/* Wake the thread only if it sleeps past this deadline: a call that
	 * arms and cancels a deadline per request must not wake it each time. */
	if (st == CX_OK && deadline < tq->sleep_until)
		pthread_cond_signal(&tq->cv);
	pthread_mutex_unlock(&tq->lock);
	return st;
}

cx_status
cxi_timer_add(cx_runtime *rt, cxi_timer *t, int64_t deadline_ms)
{
	if (rt == NULL || t == NULL || t->fn == NULL)
		return CX_ERR_INVALID;
	return timer_arm(rt, t, deadline_ms, 0);
}

cx_status
cxi_timer_add_repeating(cx_runtime *rt, cxi_timer *t,
			int64_t first_deadline_ms, int64_t period_ms)
{
	if (rt == NULL || t == NULL || t->fn == NULL || period_ms <= 0)
		return CX_ERR_INVALID;
	return timer_arm(rt, t, first_deadline_ms, period_ms);
}

bool
cxi_timer_cancel(cx_runtime *rt, cxi_timer *t)
{
	cxi_timerq *tq = &rt->timers;
	bool was_armed = false;
	bool self = cxi_thread_kind_of(rt) == CXI_THREAD_TIMER;

	pthread_mutex_lock(&tq->lock);
	for (;;) {
		if (t->heap_idx != SIZE_MAX) {
			heap_remove(tq, t);
			was_armed = true;
		}
		if (tq->running != t || self)
			break;
		/* The callback may re-arm the node: look again after it. */
		tq->cancel_waiters++;
		pthread_cond_wait(&tq->done_cv, &tq->lock);
		tq->cancel_waiters--;
	}
	pthread_mutex_unlock(&tq->lock);
	return was_armed;
}

bool
cxi_timer_armed(cx_runtime *rt, cxi_timer *t)
{
	bool armed;

	pthread_mutex_lock(&rt->timers.lock);
	armed = t->heap_idx != SIZE_MAX;
	pthread_mutex_unlock(&rt->timers.lock);
	return armed;
}

static void *
timer_main(void *arg)
{
	cx_runtime *rt = arg;
	cxi_timerq *tq = &rt->timers;

	pthread_mutex_lock(&tq->lock);
	while (!tq->stop && !tq->deferred_close) {
		cxi_timer *t;
		int64_t now;
		void (*fn)(void *);
		void *farg;

		if (tq->len == 0) {
			tq->sleep_until = INT64_MAX;
			pthread_cond_wait(&tq->cv, &tq->lock);
			tq->sleep_until = INT64_MIN;
			continue;
		}
		t = tq->heap[0];
		now = cxi_now_ms();
		if (t->deadline > now) {
			tq->sleep_until = t->deadline;
			cxi_cond_wait_until(&tq->cv, &tq->lock, t->deadline);
			tq->sleep_until = INT64_MIN;
			continue;
		}
		heap_remove(tq, t);
		if (t->period > 0) {
			int64_t next = t->deadline + t->period;
			if (next <= now)
				next = now + t->period;
			t->deadline = next;
			if (heap_insert(tq, t) != CX_OK) {
				/* Cannot grow the heap: this firing is the last. */
				t->period = 0;
			}
		}
		fn = t->fn;
		farg = t->arg;
		tq->running = t;
		pthread_mutex_unlock(&tq->lock);
		fn(farg);
		pthread_mutex_lock(&tq->lock);
		tq->running = NULL;
		if (tq->cancel_waiters > 0)
			pthread_cond_broadcast(&tq->done_cv);
	}
	if (tq->deferred_close) {
		pthread_mutex_unlock(&tq->lock);
		cxi_runtime_close(rt, true);
		return NULL;
	}
	pthread_mutex_unlock(&tq->lock);
	return NULL;
}

cx_status
cxi_timerq_init(cxi_timerq *tq)
{
	tq->heap = NULL;
	tq->len = tq->cap = 0;
	tq->next_seq = 0;
	tq->running = NULL;
	tq->cancel_waiters = 0;
	tq->sleep_until = INT64_MIN; /* not asleep: it reads the heap first */
	tq->stop = tq->deferred_close = tq->started = false;
	if (pthread_mutex_init(&tq->lock, NULL) != 0)
		return CX_ERR_SYSTEM;
	if (cxi_cond_init_monotonic(&tq->cv) != 0) {
		pthread_mutex_destroy(&tq->lock);
		return CX_ERR_SYSTEM;
	}
	if (pthread_cond_init(&tq->done_cv, NULL) != 0) {
		pthread_cond_destroy(&tq->cv);
		pthread_mutex_destroy(&tq->lock);
		return CX_ERR_SYSTEM;
	}
	return CX_OK;
}

cx_status
cxi_timerq_start(cx_runtime *rt)
{
	cx_error e;
	cx_status st;

	st = cxi_thread_create(&rt->timers.thread, rt, CXI_THREAD_TIMER,
			       "cxmpp-timer", timer_main, rt, &e);
	if (st != CX_OK) {
		errno = e.sys_errno;
		return st;
	}
	rt->timers.started = true;
	return CX_OK;
}

void
cxi_timerq_stop(cx_runtime *rt)
{
	cxi_timerq *tq = &rt->timers;

	if (!tq->started)
		return;
	pthread_mutex_lock(&tq->lock);
	tq->stop = true;
	pthread_cond_signal(&tq->cv);
	pthread_mutex_unlock(&tq->lock);
	pthread_join(tq->thread, NULL);
	tq->started = false;
}

void
cxi_timerq_defer_close(cx_runtime *rt)
{
	cxi_timerq *tq = &rt->timers;

	pthread_mutex_lock(&tq->lock);
	tq->deferred_close = true;
	pthread_cond_signal(&tq->cv);
	pthread_mutex_unlock(&tq->lock);
}

void
cxi_timerq_fini(cxi_timerq *tq)
{
	/* Nodes still armed belong to their owners: just forget them. */
	for (size_t i = 0; i < tq->len; i++)
		tq->heap[i]->heap_idx = SIZE_MAX;
	free(tq->heap);
	pthread_cond_destroy(&tq->done_cv);
	pthread_cond_destroy(&tq->cv);
	pthread_mutex_destroy(&tq->lock);
}

/*
 * The runtime: a fixed worker pool plus one timer thread, refcounted.
 *
 * Design notes.
 * - Threads are created in one place (cxi_thread_create) so that every
 *   library thread gets a small stack, blocks all signals (a program's
 *   signal handlers run on its own threads, never on ours) and records its
 *   identity (runtime, role) in thread-local storage. Identity is what lets
 *   teardown avoid joining the calling thread, cxi_serialq_drain refuse to
 *   wait for itself, and tests assert on which thread ran a callback.
 * - Teardown at the last reference: from an outside thread we stop the
 *   pool (it drains the run queue first), join it, then stop and join the
 *   timer. From a pool or timer thread we cannot join ourselves, so the
 *   timer thread is asked to do it: it joins the pool threads, detaches
 *   itself and frees the runtime as the very last thing it does. This needs
 *   no allocation and no extra thread, so it cannot fail.
 * - Public timers (cx_timer) wrap the intrusive internal node in a small
 *   allocation that also holds a runtime reference. The timer thread never
 *   touches a node after its callback returned, so a callback may free its
 *   own timer.
 * - The default runtime is made under a mutex (not pthread_once) so that a
 *   failure to make it can be retried by a later call; the fast path is one
 *   acquire load. It is never torn down: tearing down at exit() would race
 *   with threads still using it.
 */
#include "config.h"

#include "threads/runtime.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/error.h"

static __thread const cx_runtime *tls_rt;
static __thread cxi_thread_kind tls_kind;

struct thread_start {
	cx_runtime *rt;
	cxi_thread_kind kind;
	char name[16];
	void *(*fn)(void *);
	void *arg;
};

static void *
thread_trampoline(void *p)
{
	struct thread_start st = *(struct thread_start *)p;

	free(p);
	tls_rt = st.rt;
	tls_kind = st.kind;
#if defined(__GLIBC__)
	pthread_setname_np(pthread_self(), st.name);
#endif
	return st.fn(st.arg);
}

cx_status
cxi_thread_create(pthread_t *out, cx_runtime *rt, cxi_thread_kind kind,
		  const char *name, void *(*fn)(void *), void *arg,
		  cx_error *err)
{
	struct thread_start *st;
	pthread_attr_t attr;
	sigset_t all, old;
	size_t stack;
	int rc;

	st = malloc(sizeof(*st));
	if (st == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st->rt = rt;
	st->kind = kind;
	cxi_strlcpy(st->name, name, sizeof(st->name));
	st->fn = fn;
	st->arg = arg;

	rc = pthread_attr_init(&attr);
	if (rc != 0) {
		free(st);
		return cxi_error_set_errno(err, CX_ERR_SYSTEM, rc,
					   "pthread_attr_init");
	}
	stack = rt != NULL ? rt->stack_size : CX_RUNTIME_DEFAULT_STACK_SIZE;
	if (stack < (size_t)PTHREAD_STACK_MIN)
		stack = (size_t)PTHREAD_STACK_MIN;
	/* Ignore a failure here: the thread then gets the default stack. */
	(void)pthread_attr_setstacksize(&attr, stack);

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(out, &attr, thread_trampoline, st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(st);
		return cxi_error_set_errno(err, CX_ERR_SYSTEM, rc,
					   "cannot start thread %s", name);
	}
	return CX_OK;
}

cxi_thread_kind
cxi_thread_kind_of(const cx_runtime *rt)
{
	if (rt == NULL || tls_rt != rt)
		return CXI_THREAD_NONE;
	return tls_kind;
}

void
cxi_runtime_get_logger(cx_runtime *rt, cxi_logger *out)
{
	pthread_mutex_lock(&rt->log_lock);
	*out = rt->log;
	pthread_mutex_unlock(&rt->log_lock);
}

void
cxi_runtime_log(cx_runtime *rt, cx_log_level level, const char *category,
		const char *fmt, ...)
{
	cxi_logger lg;
	char msg[512];
	va_list ap;

	cxi_runtime_get_logger(rt, &lg);
	if (!cxi_log_enabled(&lg, level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cxi_log(&lg, level, category, "%s", msg);
}

cx_status
cx_runtime_set_log(cx_runtime *rt, cx_log_fn fn, void *arg,
		   cx_log_level max_level)
{
	if (rt == NULL)
		return CX_ERR_INVALID;
	pthread_mutex_lock(&rt->log_lock);
	rt->log.fn = fn;
	rt->log.arg = arg;
	rt->log.max_level = max_level;
	pthread_mutex_unlock(&rt->log_lock);
	return CX_OK;
}

unsigned int
cx_runtime_get_pool_size(const cx_runtime *rt)
{
	return rt != NULL ? rt->pool_size : 0;
}

void
cxi_runtime_set_destroy_notify(cx_runtime *rt, void (*fn)(void *), void *arg)
{
	/* Ordered before teardown by the release in cx_runtime_unref. */
	rt->destroy_notify = fn;
	rt->destroy_arg = arg;
}

static void
runtime_free(cx_runtime *rt)
{
	void (*notify)(void *) = rt->destroy_notify;
	void *notify_arg = rt->destroy_arg;

	cxi_timerq_fini(&rt->timers);
	cxi_pool_fini(&rt->pool);
	pthread_mutex_destroy(&rt->log_lock);
	free(rt);
	if (notify != NULL)
		notify(notify_arg);
}

void
cxi_runtime_close(cx_runtime *rt, bool from_timer)
{
	/* The pool first: its last tasks may still arm or cancel timers. */
	cxi_pool_stop(rt);
	if (from_timer)
		pthread_detach(pthread_self());
	else
		cxi_timerq_stop(rt);
	runtime_free(rt);
}

static unsigned
cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		return 1;
	if (n > (long)CX_RUNTIME_MAX_POOL_SIZE)
		return CX_RUNTIME_MAX_POOL_SIZE;
	return (unsigned)n;
}

cx_status
cx_runtime_new(cx_runtime **out, const cx_runtime_options *opt, cx_error *err)
{
	cx_runtime_options def = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt = NULL;
	cx_status st;
	bool pool_inited = false, timers_inited = false;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (opt == NULL)
		opt = &def;
	if (opt->version != CX_RUNTIME_OPTIONS_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "unknown cx_runtime_options version %u",
				     opt->version);
	if (opt->pool_size > CX_RUNTIME_MAX_POOL_SIZE)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "pool_size %u above the maximum %u",
				     opt->pool_size, CX_RUNTIME_MAX_POOL_SIZE);

	rt = calloc(1, sizeof(*rt));
	if (rt == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	atomic_init(&rt->refs, 1);
	rt->stack_size = opt->stack_size != 0 ? opt->stack_size
					      : CX_RUNTIME_DEFAULT_STACK_SIZE;
	rt->pool_size = opt->pool_size != 0 ? opt->pool_size : cpu_count();
	rt->log.fn = opt->log_fn;
	rt->log.arg = opt->log_arg;
	rt->log.max_level = opt->log_level;
	if (pthread_mutex_init(&rt->log_lock, NULL) != 0) {
		free(rt);
		return cxi_error_set(err, CX_ERR_SYSTEM, "mutex init failed");
	}
	st = cxi_pool_init(&rt->pool);
	if (st != CX_OK) {
		cxi_error_set(err, st, "cannot initialize the pool");
		goto out;
	}
	pool_inited = true;
	st = cxi_timerq_init(&rt->timers);
	if (st != CX_OK) {
		cxi_error_set(err, st, "cannot initialize the timers");
		goto out;
	}
	timers_inited = true;
	st = cxi_timerq_start(rt);
	if (st != CX_OK) {
		cxi_error_set_errno(err, st, errno, "cannot start the timer thread");
		goto out;
	}
	st = cxi_pool_start(rt, rt->pool_size);
	if (st != CX_OK) {
		cxi_error_set_errno(err, st, errno, "cannot start the pool");
		goto out;
	}
	cxi_runtime_log(rt, CX_LOG_DEBUG, CX_LOG_CAT_POOL,
			"runtime started: %u pool threads, %zu-byte stacks",
			rt->pool_size, rt->stack_size);
	*out = rt;
	return CX_OK;
out:
	/* Stop whatever started (stop/join are no-ops for what did not). */
	if (pool_inited)
		cxi_pool_stop(rt);
	if (timers_inited)
		cxi_timerq_stop(rt);
	if (timers_inited)
		cxi_timerq_fini(&rt->timers);
	if (pool_inited)
		cxi_pool_fini(&rt->pool);
	pthread_mutex_destroy(&rt->log_lock);
	free(rt);
	return st;
}

cx_runtime *
cx_runtime_ref(cx_runtime *rt)
{
	if (rt != NULL)
		atomic_fetch_add_explicit(&rt->refs, 1, memory_order_relaxed);
	return rt;
}

void
cx_runtime_unref(cx_runtime *rt)
{
	cxi_thread_kind kind;

	if (rt == NULL)
		return;
	if (atomic_fetch_sub_explicit(&rt->refs, 1, memory_order_acq_rel) != 1)
		return;
	kind = cxi_thread_kind_of(rt);
	if (kind == CXI_THREAD_POOL || kind == CXI_THREAD_TIMER)
		cxi_timerq_defer_close(rt);
	else
		cxi_runtime_close(rt, false);
}

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic(cx_runtime *) default_rt;

cx_runtime *
cx_runtime_default(void)
{
	cx_runtime *rt = atomic_load_explicit(&default_rt, memory_order_acquire);

	if (rt != NULL)
		return rt;
	pthread_mutex_lock(&default_lock);
	rt = atomic_load_explicit(&default_rt, memory_order_relaxed);
	if (rt == NULL && cx_runtime_new(&rt, NULL, NULL) == CX_OK)
		atomic_store_explicit(&default_rt, rt, memory_order_release);
	pthread_mutex_unlock(&default_lock);
	return rt;
}

/* ---- public timers ------------------------------------------------------ */

struct cx_timer {
	cx_runtime *rt;         /* a reference */
	cxi_timer node;
};

cx_status
cx_runtime_timer_new(cx_timer **out, cx_runtime *rt, void (*fn)(void *arg),
		     void *arg, cx_error *err)
{
	cx_timer *t;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || fn == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "timer out-parameter or callback is NULL");
	if (rt == NULL && (rt = cx_runtime_default()) == NULL)
		return cxi_error_set(err, CX_ERR_SYSTEM,
				     "the default runtime could not be made");
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	t->rt = cx_runtime_ref(rt);
	cxi_timer_init(&t->node, fn, arg);
	*out = t;
	return CX_OK;
}

cx_status
cx_timer_start(cx_timer *t, int first_ms, int period_ms, cx_error *err)
{
	int64_t first;
	cx_status st;

	if (t == NULL || first_ms < 0 || period_ms < 0)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "timer NULL or negative delay");
	first = cxi_now_ms() + first_ms;
	if (period_ms > 0)
		st = cxi_timer_add_repeating(t->rt, &t->node, first, period_ms);
	else
		st = cxi_timer_add(t->rt, &t->node, first);
	if (st == CX_ERR_NOMEM)
		return cxi_error_set(err, st, "out of memory");
	if (st != CX_OK)
		return cxi_error_set(err, st, "the runtime is shutting down");
	return CX_OK;
}

cx_status
cx_timer_stop(cx_timer *t)
{
	if (t == NULL)
		return CX_ERR_INVALID;
	return cxi_timer_cancel(t->rt, &t->node) ? CX_OK : CX_ERR_STATE;
}

void
cx_timer_free(cx_timer *t)
{
	if (t == NULL)
		return;
	cxi_timer_cancel(t->rt, &t->node);
	cx_runtime_unref(t->rt);
	free(t);
}

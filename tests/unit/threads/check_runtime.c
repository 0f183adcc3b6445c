/* Unit tests of threads/runtime: options, default runtime, logging,
 * blocking handlers, teardown from every kind of thread. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/error.h"
#include "tests/unit/testutil.h"
#include "threads/future.h"
#include "threads/pool.h"
#include "threads/runtime.h"
#include "threads/timer.h"

/* ---- options ---- */

START_TEST(test_runtime_options_invalid)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt = (cx_runtime *)&o;
	cx_error e = CX_ERROR_INIT;

	ck_assert_int_eq(cx_runtime_new(NULL, NULL, &e), CX_ERR_INVALID);
	o.version = 99;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, &e), CX_ERR_INVALID);
	ck_assert_ptr_null(rt);
	ck_assert_int_eq(e.status, CX_ERR_INVALID);
	o.version = CX_RUNTIME_OPTIONS_VERSION;
	o.pool_size = CX_RUNTIME_MAX_POOL_SIZE + 1;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cx_runtime_set_log(NULL, NULL, NULL, CX_LOG_INFO),
			 CX_ERR_INVALID);
	ck_assert_uint_eq(cx_runtime_get_pool_size(NULL), 0);
	ck_assert_ptr_null(cx_runtime_ref(NULL));
	cx_runtime_unref(NULL);
}
END_TEST

static pthread_mutex_t tid_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t tids[16];
static int ntids;
static pthread_barrier_t size_barrier;

static void
note_thread(void *arg)
{
	pthread_t self = pthread_self();
	bool known = false;

	pthread_mutex_lock(&tid_lock);
	for (int i = 0; i < ntids; i++)
		known |= pthread_equal(tids[i], self) != 0;
	if (!known && ntids < 16)
		tids[ntids++] = self;
	pthread_mutex_unlock(&tid_lock);
	/* Hold the thread until all three are busy: three distinct threads. */
	pthread_barrier_wait(&size_barrier);
}

START_TEST(test_runtime_options_pool_size)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt;

	o.pool_size = 3;
	o.stack_size = 64 * 1024;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
	ck_assert_uint_eq(cx_runtime_get_pool_size(rt), 3);
	ntids = 0;
	pthread_barrier_init(&size_barrier, NULL, 4);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(cxi_pool_run(rt, note_thread, NULL), CX_OK);
	pthread_barrier_wait(&size_barrier);
	ck_assert_int_eq(ntids, 3);
	cx_runtime_unref(rt);
	pthread_barrier_destroy(&size_barrier);

	/* 0 = one per CPU. */
	ck_assert_int_eq(cx_runtime_new(&rt, NULL, NULL), CX_OK);
	ck_assert_uint_eq(cx_runtime_get_pool_size(rt),
			  (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	cx_runtime_unref(rt);
}
END_TEST

/* ---- default runtime ---- */

static sem_t default_sem;

static void
post_sem(void *arg)
{
	sem_post(arg);
}

static void *
get_default(void *arg)
{
	return cx_runtime_default();
}

START_TEST(test_runtime_default_once)
{
	pthread_t th[8];
	void *got[8];
	cx_runtime *d;

	sem_init(&default_sem, 0, 0);

	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, get_default, NULL), 0);
	for (int i = 0; i < 8; i++)
		pthread_join(th[i], &got[i]);
	d = cx_runtime_default();
	ck_assert_ptr_nonnull(d);
	for (int i = 0; i < 8; i++)
		ck_assert_ptr_eq(got[i], d);
	/* Balanced ref/unref never frees it. */
	cx_runtime_unref(cx_runtime_ref(d));
	ck_assert_ptr_eq(cx_runtime_default(), d);
	ck_assert_uint_ge(cx_runtime_get_pool_size(d), 1);
	ck_assert_int_eq(cxi_pool_run(d, post_sem, &default_sem), CX_OK);
	ck_assert_int_eq(sem_wait(&default_sem), 0);
}
END_TEST

/* ---- log ---- */

struct logrec {
	pthread_mutex_t lock;
	int n;
	char last[256];
	char cat[16];
};

static void
log_sink(void *arg, cx_log_level level, const char *category, const char *msg)
{
	struct logrec *r = arg;

	pthread_mutex_lock(&r->lock);
	r->n++;
	cxi_strlcpy(r->last, msg, sizeof(r->last));
	cxi_strlcpy(r->cat, category, sizeof(r->cat));
	pthread_mutex_unlock(&r->lock);
}

START_TEST(test_runtime_log_sink)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	struct logrec a = { PTHREAD_MUTEX_INITIALIZER, 0, "", "" };
	struct logrec b = { PTHREAD_MUTEX_INITIALIZER, 0, "", "" };
	cx_runtime *rt;

	o.pool_size = 1;
	o.log_fn = log_sink;
	o.log_arg = &a;
	o.log_level = CX_LOG_DEBUG;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
	ck_assert_int_eq(a.n, 1);
	ck_assert_str_eq(a.cat, CX_LOG_CAT_POOL);
	ck_assert_ptr_nonnull(strstr(a.last, "1 pool threads"));
	ck_assert_int_eq(cx_runtime_set_log(rt, log_sink, &b, CX_LOG_INFO),
			 CX_OK);
	cxi_runtime_log(rt, CX_LOG_DEBUG, CX_LOG_CAT_POOL, "hidden %d", 1);
	cxi_runtime_log(rt, CX_LOG_INFO, CX_LOG_CAT_API, "shown %d", 2);
	ck_assert_int_eq(a.n, 1);
	ck_assert_int_eq(b.n, 1);
	ck_assert_str_eq(b.last, "shown 2");
	ck_assert_str_eq(b.cat, CX_LOG_CAT_API);
	cx_runtime_unref(rt);
}
END_TEST

/* ---- a handler blocks on a call ---- */

#define BLOCKERS 6

static cx_runtime *brt;
static atomic_int blocked_now, blocked_max, blockers_ok;
static sem_t blockers_done;

struct timer_settle {
	cxi_timer t;
	cx_future *f;
};

static void
settle_from_timer(void *arg)
{
	struct timer_settle *ts = arg;
	int *v = malloc(sizeof(*v));

	*v = 7;
	cxi_future_resolve(ts->f, v, free);
	cx_future_unref(ts->f);
	free(ts);
}

static void
blocking_handler(void *arg)
{
	cx_future *f;
	cx_error e = CX_ERROR_INIT;
	cx_status st;
	int now, max;
	long kind = (long)arg;

	ck_assert_int_eq(cxi_future_new(&f, brt), CX_OK);
	if (kind % 2 == 0) {
		/* Settled by a deadline (timed out call). */
		ck_assert_int_eq(cxi_future_set_deadline(f, 150), CX_OK);
	} else {
		/* Settled by a plain timer (the reply, in a client). */
		struct timer_settle *ts = malloc(sizeof(*ts));
		ck_assert_ptr_nonnull(ts);
		ts->f = cx_future_ref(f);
		cxi_timer_init(&ts->t, settle_from_timer, ts);
		ck_assert_int_eq(cxi_timer_add(brt, &ts->t, cxi_now_ms() + 150),
				 CX_OK);
	}
	now = atomic_fetch_add(&blocked_now, 1) + 1;
	max = atomic_load(&blocked_max);
	while (now > max && !atomic_compare_exchange_weak(&blocked_max, &max, now))
		;
	st = cx_future_wait(f, 10000, &e);
	atomic_fetch_sub(&blocked_now, 1);
	if ((kind % 2 == 0 && st == CX_ERR_TIMEOUT &&
	     cx_future_get_state(f) == CX_FUTURE_TIMED_OUT) ||
	    (kind % 2 == 1 && st == CX_OK &&
	     *(int *)cx_future_get_value(f) == 7))
		atomic_fetch_add(&blockers_ok, 1);
	cx_future_unref(f);
	sem_post(&blockers_done);
}

START_TEST(test_runtime_blocking_all_pool_threads)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cxi_serialq *q[BLOCKERS];

	o.pool_size = 2;
	ck_assert_int_eq(cx_runtime_new(&brt, &o, NULL), CX_OK);
	sem_init(&blockers_done, 0, 0);
	atomic_store(&blocked_now, 0);
	atomic_store(&blocked_max, 0);
	atomic_store(&blockers_ok, 0);
	/* Six clients, each with a handler that blocks on a call: at every
	 * moment both pool threads are blocked, and only the timer thread
	 * can move things on. */
	for (long i = 0; i < BLOCKERS; i++) {
		ck_assert_int_eq(cxi_serialq_new(&q[i], brt, 4), CX_OK);
		ck_assert_int_eq(cxi_serialq_push(q[i], blocking_handler,
						  (void *)i, NULL, 0), CX_OK);
	}
	for (int i = 0; i < BLOCKERS; i++)
		ck_assert_int_eq(sem_wait(&blockers_done), 0);
	ck_assert_int_eq(atomic_load(&blockers_ok), BLOCKERS);
	ck_assert_int_eq(atomic_load(&blocked_max), 2);
	for (int i = 0; i < BLOCKERS; i++)
		cxi_serialq_free(q[i]);
	cx_runtime_unref(brt);
	sem_destroy(&blockers_done);
}
END_TEST

/* ---- teardown ---- */

static sem_t destroyed;

static void
on_destroyed(void *arg)
{
	sem_post(&destroyed);
}

static atomic_int pending_ran;

static void
pending_task(void *arg)
{
	usleep(100);
	atomic_fetch_add(&pending_ran, 1);
}

START_TEST(test_runtime_teardown_pending_work)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt;
	cxi_timer armed;

	o.pool_size = 2;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
	atomic_store(&pending_ran, 0);
	for (int i = 0; i < 1000; i++)
		ck_assert_int_eq(cxi_pool_run(rt, pending_task, NULL), CX_OK);
	/* An armed timer is forgotten, not fired. */
	cxi_timer_init(&armed, pending_task, NULL);
	ck_assert_int_eq(cxi_timer_add(rt, &armed, cxi_now_ms() + 60000), CX_OK);
	/* The last unref drains the run queue, then joins. */
	cx_runtime_unref(rt);
	ck_assert_int_eq(atomic_load(&pending_ran), 1000);
}
END_TEST

static cx_runtime *lastrt;

static void
unref_on_pool(void *arg)
{
	ck_assert(cxi_pool_is_worker(lastrt));
	cx_runtime_unref(lastrt); /* the last reference, on our own pool */
}

START_TEST(test_runtime_teardown_from_pool)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;

	o.pool_size = 2;
	sem_init(&destroyed, 0, 0);
	ck_assert_int_eq(cx_runtime_new(&lastrt, &o, NULL), CX_OK);
	cxi_runtime_set_destroy_notify(lastrt, on_destroyed, NULL);
	ck_assert_int_eq(cxi_pool_run(lastrt, unref_on_pool, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&destroyed), 0);
	sem_destroy(&destroyed);
}
END_TEST

static void
unref_on_timer(void *arg)
{
	ck_assert_int_eq(cxi_thread_kind_of(lastrt), CXI_THREAD_TIMER);
	free(arg);
	cx_runtime_unref(lastrt);
}

START_TEST(test_runtime_teardown_from_timer)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cxi_timer *t = malloc(sizeof(*t));

	o.pool_size = 1;
	sem_init(&destroyed, 0, 0);
	ck_assert_int_eq(cx_runtime_new(&lastrt, &o, NULL), CX_OK);
	cxi_runtime_set_destroy_notify(lastrt, on_destroyed, NULL);
	cxi_timer_init(t, unref_on_timer, t);
	ck_assert_int_eq(cxi_timer_add(lastrt, t, cxi_now_ms() + 10), CX_OK);
	ck_assert_int_eq(sem_wait(&destroyed), 0);
	sem_destroy(&destroyed);
}
END_TEST

static atomic_int q_items_freed;

static void
slow_item(void *arg)
{
	usleep(2000);
}

static void
count_arg(void *arg)
{
	atomic_fetch_add(&q_items_freed, 1);
}

START_TEST(test_runtime_teardown_queue_and_future)
{
	/* The user lets go of everything while work is in flight: the last
	 * reference ends on a pool thread, and the teardown still completes. */
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt;
	cxi_serialq *q;
	cx_future *f;

	o.pool_size = 2;
	sem_init(&destroyed, 0, 0);
	atomic_store(&q_items_freed, 0);
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
	cxi_runtime_set_destroy_notify(rt, on_destroyed, NULL);
	ck_assert_int_eq(cxi_serialq_new(&q, rt, 0), CX_OK);
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(cxi_serialq_push(q, slow_item, NULL, count_arg,
						  0), CX_OK);
	ck_assert_int_eq(cxi_future_new(&f, rt), CX_OK);
	ck_assert_int_eq(cxi_future_set_deadline(f, 30), CX_OK);
	cx_future_unref(f);
	cx_runtime_unref(rt);
	usleep(5000);
	cxi_serialq_free(q);
	ck_assert_int_eq(sem_wait(&destroyed), 0);
	ck_assert_int_eq(atomic_load(&q_items_freed), 50);
	sem_destroy(&destroyed);
}
END_TEST

static Suite *
runtime_suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc;

	tc = tcase_create("options");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_runtime_options_invalid);
	tcase_add_test(tc, test_runtime_options_pool_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("default");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_runtime_default_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_runtime_log_sink);
	suite_add_tcase(s, tc);

	tc = tcase_create("blocking");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_runtime_blocking_all_pool_threads);
	suite_add_tcase(s, tc);

	tc = tcase_create("teardown");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_runtime_teardown_pending_work);
	tcase_add_test(tc, test_runtime_teardown_from_pool);
	tcase_add_test(tc, test_runtime_teardown_from_timer);
	tcase_add_test(tc, test_runtime_teardown_queue_and_future);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(runtime_suite)

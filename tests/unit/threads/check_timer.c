/* Unit tests of threads/timer: ordering, cancel, repeat, time helpers. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "threads/runtime.h"
#include "threads/timer.h"

static cx_runtime *rt;

static void
setup(void)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;

	o.pool_size = 1;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
}

static void
teardown(void)
{
	cx_runtime_unref(rt);
	rt = NULL;
}

START_TEST(test_timer_time_monotonic)
{
	int64_t a = cxi_now_ms(), b;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;

	usleep(20 * 1000);
	b = cxi_now_ms();
	ck_assert_int_ge(b - a, 19);
	ck_assert_int_eq(cxi_deadline_after(CX_TIMEOUT_INFINITE), -1);
	ck_assert_int_ge(cxi_deadline_after(100), b + 100);
	ck_assert_int_eq(cxi_cond_init_monotonic(&cv), 0);
	pthread_mutex_lock(&m);
	a = cxi_now_ms();
	ck_assert_int_eq(cxi_cond_wait_until(&cv, &m, a + 50), ETIMEDOUT);
	ck_assert_int_ge(cxi_now_ms() - a, 49);
	pthread_mutex_unlock(&m);
	pthread_cond_destroy(&cv);
}
END_TEST

/* ---- order ---- */

static int fired[16];
static atomic_int nfired;
static sem_t fired_sem;
static atomic_int on_timer_thread;

static void
record(void *arg)
{
	int i = atomic_fetch_add(&nfired, 1);

	if (cxi_thread_kind_of(rt) == CXI_THREAD_TIMER)
		atomic_fetch_add(&on_timer_thread, 1);
	fired[i] = (int)(long)arg;
	sem_post(&fired_sem);
}

START_TEST(test_timer_order_deadlines)
{
	static const int delays[] = { 120, 30, 90, 30, 60, 0 };
	static const int expect[] = { 5, 1, 3, 4, 2, 0 };
	cxi_timer t[6];
	int64_t now = cxi_now_ms();

	sem_init(&fired_sem, 0, 0);
	atomic_store(&nfired, 0);
	atomic_store(&on_timer_thread, 0);
	for (int i = 0; i < 6; i++) {
		cxi_timer_init(&t[i], record, (void *)(long)i);
		ck_assert_int_eq(cxi_timer_add(rt, &t[i], now + delays[i]), CX_OK);
	}
	for (int i = 0; i < 6; i++)
		sem_wait(&fired_sem);
	ck_assert_int_ge(cxi_now_ms() - now, 115);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(fired[i], expect[i]);
	ck_assert_int_eq(atomic_load(&on_timer_thread), 6);
	for (int i = 0; i < 6; i++)
		ck_assert(!cxi_timer_armed(rt, &t[i]));
	sem_destroy(&fired_sem);
}
END_TEST

/* ---- cancel ---- */

START_TEST(test_timer_cancel_before)
{
	cxi_timer t, u;

	sem_init(&fired_sem, 0, 0);
	atomic_store(&nfired, 0);
	cxi_timer_init(&t, record, (void *)1L);
	cxi_timer_init(&u, record, (void *)2L);
	ck_assert_int_eq(cxi_timer_add(rt, &t, cxi_now_ms() + 50), CX_OK);
	ck_assert_int_eq(cxi_timer_add(rt, &u, cxi_now_ms() + 80), CX_OK);
	ck_assert(cxi_timer_armed(rt, &t));
	ck_assert(cxi_timer_cancel(rt, &t));
	ck_assert(!cxi_timer_cancel(rt, &t));
	sem_wait(&fired_sem);
	usleep(50 * 1000);
	ck_assert_int_eq(atomic_load(&nfired), 1);
	ck_assert_int_eq(fired[0], 2);
	ck_assert(!cxi_timer_cancel(rt, &u)); /* fired already */
	sem_destroy(&fired_sem);
}
END_TEST

static sem_t slow_entered;
static atomic_int slow_finished;

static void
slow_cb(void *arg)
{
	sem_post(&slow_entered);
	usleep(150 * 1000);
	atomic_store(&slow_finished, 1);
}

START_TEST(test_timer_cancel_waits_running)
{
	cxi_timer t;

	sem_init(&slow_entered, 0, 0);
	atomic_store(&slow_finished, 0);
	cxi_timer_init(&t, slow_cb, NULL);
	ck_assert_int_eq(cxi_timer_add(rt, &t, cxi_now_ms()), CX_OK);
	sem_wait(&slow_entered);
	/* It is running: cancel waits for it and reports "too late". */
	ck_assert(!cxi_timer_cancel(rt, &t));
	ck_assert_int_eq(atomic_load(&slow_finished), 1);
	sem_destroy(&slow_entered);
}
END_TEST

static cxi_timer selft;
static atomic_int self_count;
static atomic_int self_cancel_result;

static void
self_cancel_cb(void *arg)
{
	/* Repeating: cancel from inside stops later firings, no deadlock. */
	if (atomic_fetch_add(&self_count, 1) + 1 == 3) {
		atomic_store(&self_cancel_result,
			     cxi_timer_cancel(rt, &selft) ? 1 : 2);
		sem_post(&fired_sem);
	}
}

START_TEST(test_timer_cancel_from_callback)
{
	sem_init(&fired_sem, 0, 0);
	atomic_store(&self_count, 0);
	atomic_store(&self_cancel_result, 0);
	cxi_timer_init(&selft, self_cancel_cb, NULL);
	ck_assert_int_eq(cxi_timer_add_repeating(rt, &selft, cxi_now_ms(), 10),
			 CX_OK);
	sem_wait(&fired_sem);
	usleep(80 * 1000);
	ck_assert_int_eq(atomic_load(&self_count), 3);
	/* The next firing was armed: cancel prevented it. */
	ck_assert_int_eq(atomic_load(&self_cancel_result), 1);
	ck_assert(!cxi_timer_armed(rt, &selft));
	sem_destroy(&fired_sem);
}
END_TEST

/* ---- repeat ---- */

static atomic_int ticks;

static void
tick(void *arg)
{
	atomic_fetch_add(&ticks, 1);
}

START_TEST(test_timer_repeat_period)
{
	cxi_timer t;
	int n;

	atomic_store(&ticks, 0);
	cxi_timer_init(&t, tick, NULL);
	ck_assert_int_eq(cxi_timer_add_repeating(rt, &t, cxi_now_ms(), 0),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_timer_add_repeating(rt, &t, cxi_now_ms() + 20, 20),
			 CX_OK);
	usleep(250 * 1000);
	ck_assert(cxi_timer_cancel(rt, &t));
	n = atomic_load(&ticks);
	/* ~12 expected; generous bounds, this is not a performance test. */
	ck_assert_int_ge(n, 3);
	ck_assert_int_le(n, 14);
	usleep(60 * 1000);
	ck_assert_int_eq(atomic_load(&ticks), n);
}
END_TEST

static cxi_timer rearm_t;
static atomic_int rearm_count;

static void
rearm_cb(void *arg)
{
	if (atomic_fetch_add(&rearm_count, 1) + 1 < 4)
		cxi_timer_add(rt, &rearm_t, cxi_now_ms() + 5);
	else
		sem_post(&fired_sem);
}

START_TEST(test_timer_repeat_rearm_from_callback)
{
	sem_init(&fired_sem, 0, 0);
	atomic_store(&rearm_count, 0);
	cxi_timer_init(&rearm_t, rearm_cb, NULL);
	ck_assert_int_eq(cxi_timer_add(rt, &rearm_t, cxi_now_ms() + 5), CX_OK);
	sem_wait(&fired_sem);
	ck_assert_int_eq(atomic_load(&rearm_count), 4);
	ck_assert(!cxi_timer_armed(rt, &rearm_t));
	sem_destroy(&fired_sem);
}
END_TEST

START_TEST(test_timer_move_armed)
{
	cxi_timer t;
	int64_t t0 = cxi_now_ms();

	sem_init(&fired_sem, 0, 0);
	atomic_store(&nfired, 0);
	cxi_timer_init(&t, record, (void *)7L);
	ck_assert_int_eq(cxi_timer_add(rt, &t, t0 + 10000), CX_OK);
	/* Re-adding an armed node moves it (earlier). */
	ck_assert_int_eq(cxi_timer_add(rt, &t, t0 + 30), CX_OK);
	sem_wait(&fired_sem);
	ck_assert_int_lt(cxi_now_ms() - t0, 5000);
	usleep(20 * 1000);
	ck_assert_int_eq(atomic_load(&nfired), 1);
	ck_assert_int_eq(cxi_timer_add(NULL, &t, 0), CX_ERR_INVALID);
	sem_destroy(&fired_sem);
}
END_TEST

/* Many timers with random deadlines come out in order. */
static int64_t last_deadline;
static atomic_int heap_bad, heap_n;
static cxi_timer heap_t[500];

static void
heap_cb(void *arg)
{
	cxi_timer *t = arg;

	/* Only the timer thread writes last_deadline. */
	if (t->deadline < last_deadline)
		atomic_fetch_add(&heap_bad, 1);
	last_deadline = t->deadline;
	if (atomic_fetch_add(&heap_n, 1) + 1 == 400)
		sem_post(&fired_sem);
}

START_TEST(test_timer_order_heap)
{
	int64_t base = cxi_now_ms() + 50;
	unsigned seed = 12345;

	sem_init(&fired_sem, 0, 0);
	atomic_store(&heap_bad, 0);
	atomic_store(&heap_n, 0);
	last_deadline = 0;
	for (int i = 0; i < 500; i++) {
		cxi_timer_init(&heap_t[i], heap_cb, &heap_t[i]);
		ck_assert_int_eq(cxi_timer_add(rt, &heap_t[i],
					       base + rand_r(&seed) % 100),
				 CX_OK);
	}
	/* Cancel 100 of them, scattered through the heap. */
	for (int i = 0; i < 500; i += 5)
		ck_assert(cxi_timer_cancel(rt, &heap_t[i]));
	sem_wait(&fired_sem);
	usleep(20 * 1000);
	ck_assert_int_eq(atomic_load(&heap_n), 400);
	ck_assert_int_eq(atomic_load(&heap_bad), 0);
	sem_destroy(&fired_sem);
}
END_TEST

/* ---- the public API (cx_runtime_timer_new, cx_timer_*) ---- */

struct pub {
	atomic_int fired;
	sem_t sem;
	pthread_t thread;
	cx_timer *self;     /* freed from its own callback when set */
	int stop_after;     /* stop from the callback after this many */
};

static void
pub_fire(void *arg)
{
	struct pub *p = arg;
	int n = atomic_fetch_add(&p->fired, 1) + 1;

	p->thread = pthread_self();
	ck_assert_int_eq(cxi_thread_kind_of(rt), CXI_THREAD_TIMER);
	if (p->stop_after > 0 && n == p->stop_after)
		ck_assert_int_eq(cx_timer_stop(p->self), CX_OK);
	if (p->self != NULL && p->stop_after == 0) {
		cx_timer_free(p->self);
		p->self = NULL;
	}
	sem_post(&p->sem);
}

START_TEST(test_timer_public_one_shot)
{
	struct pub p;
	cx_timer *t = NULL;
	int64_t t0 = cxi_now_ms();

	memset(&p, 0, sizeof(p));
	sem_init(&p.sem, 0, 0);
	ck_assert_int_eq(cx_runtime_timer_new(&t, rt, pub_fire, &p, NULL), CX_OK);
	ck_assert_int_eq(cx_timer_stop(t), CX_ERR_STATE);
	ck_assert_int_eq(cx_timer_start(t, 50, 0, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&p.sem), 0);
	ck_assert_int_ge(cxi_now_ms() - t0, 49);
	ck_assert(!pthread_equal(p.thread, pthread_self()));
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&p.fired), 1);
	ck_assert_int_eq(cx_timer_stop(t), CX_ERR_STATE);
	/* restart a fired one-shot timer */
	ck_assert_int_eq(cx_timer_start(t, 0, 0, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&p.sem), 0);
	ck_assert_int_eq(atomic_load(&p.fired), 2);
	cx_timer_free(t);
	sem_destroy(&p.sem);
}
END_TEST

START_TEST(test_timer_public_repeat_and_stop)
{
	struct pub p;
	cx_timer *t = NULL;

	memset(&p, 0, sizeof(p));
	sem_init(&p.sem, 0, 0);
	ck_assert_int_eq(cx_runtime_timer_new(&t, rt, pub_fire, &p, NULL), CX_OK);
	ck_assert_int_eq(cx_timer_start(t, 0, 20, NULL), CX_OK);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sem_wait(&p.sem), 0);
	ck_assert_int_eq(cx_timer_stop(t), CX_OK);
	{
		int n = atomic_load(&p.fired);

		usleep(100 * 1000);
		ck_assert_int_eq(atomic_load(&p.fired), n);
	}
	/* moved while armed: the second start wins */
	ck_assert_int_eq(cx_timer_start(t, 10000, 0, NULL), CX_OK);
	ck_assert_int_eq(cx_timer_start(t, 10, 0, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&p.sem), 0);
	cx_timer_free(t);
	sem_destroy(&p.sem);
}
END_TEST

START_TEST(test_timer_public_stop_and_free_from_callback)
{
	struct pub p, q;
	cx_timer *t = NULL, *u = NULL;

	memset(&p, 0, sizeof(p));
	sem_init(&p.sem, 0, 0);
	ck_assert_int_eq(cx_runtime_timer_new(&t, rt, pub_fire, &p, NULL), CX_OK);
	p.self = t;
	p.stop_after = 2;
	ck_assert_int_eq(cx_timer_start(t, 0, 10, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&p.sem), 0);
	ck_assert_int_eq(sem_wait(&p.sem), 0);
	usleep(100 * 1000);
	ck_assert_int_eq(atomic_load(&p.fired), 2);
	cx_timer_free(t);
	sem_destroy(&p.sem);

	/* a repeating timer that frees itself in its first callback */
	memset(&q, 0, sizeof(q));
	sem_init(&q.sem, 0, 0);
	ck_assert_int_eq(cx_runtime_timer_new(&u, rt, pub_fire, &q, NULL), CX_OK);
	q.self = u;
	ck_assert_int_eq(cx_timer_start(u, 0, 5, NULL), CX_OK);
	ck_assert_int_eq(sem_wait(&q.sem), 0);
	usleep(60 * 1000);
	ck_assert_int_eq(atomic_load(&q.fired), 1);
	sem_destroy(&q.sem);
}
END_TEST

START_TEST(test_timer_public_invalid)
{
	cx_timer *t = (cx_timer *)1;
	cx_error err = CX_ERROR_INIT;
	struct pub p;

	memset(&p, 0, sizeof(p));
	ck_assert_int_eq(cx_runtime_timer_new(&t, rt, NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(cx_runtime_timer_new(NULL, rt, pub_fire, &p, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_timer_start(NULL, 0, 0, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_timer_stop(NULL), CX_ERR_INVALID);
	cx_timer_free(NULL);
	ck_assert_int_eq(cx_runtime_timer_new(&t, rt, pub_fire, &p, &err), CX_OK);
	ck_assert_int_eq(cx_timer_start(t, -1, 0, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_timer_start(t, 0, -5, &err), CX_ERR_INVALID);
	cx_timer_free(t);
	/* the default runtime */
	ck_assert_int_eq(cx_runtime_timer_new(&t, NULL, pub_fire, &p, &err), CX_OK);
	cx_timer_free(t);
}
END_TEST

static Suite *
timer_suite(void)
{
	Suite *s = suite_create("timer");
	TCase *tc;

	tc = tcase_create("time");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_timer_time_monotonic);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timer_order_deadlines);
	tcase_add_test(tc, test_timer_order_heap);
	tcase_add_test(tc, test_timer_move_armed);
	suite_add_tcase(s, tc);

	tc = tcase_create("cancel");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timer_cancel_before);
	tcase_add_test(tc, test_timer_cancel_waits_running);
	tcase_add_test(tc, test_timer_cancel_from_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("repeat");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timer_repeat_period);
	tcase_add_test(tc, test_timer_repeat_rearm_from_callback);
	suite_add_tcase(s, tc);

	tc = tcase_create("public");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_timer_public_one_shot);
	tcase_add_test(tc, test_timer_public_repeat_and_stop);
	tcase_add_test(tc, test_timer_public_stop_and_free_from_callback);
	tcase_add_test(tc, test_timer_public_invalid);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(timer_suite)

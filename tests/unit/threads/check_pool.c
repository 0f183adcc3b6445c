/* Unit tests of threads/pool: the worker pool and serial queues. */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/testutil.h"
#include "threads/pool.h"
#include "threads/runtime.h"
#include "threads/timer.h"

static cx_runtime *rt;

static void
setup(void)
{
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;

	o.pool_size = 2;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, NULL), CX_OK);
}

static void
teardown(void)
{
	cx_runtime_unref(rt);
	rt = NULL;
}

/* ---- pool ---- */

static atomic_int pool_ran, pool_on_worker;
static sem_t pool_sem;

static void
pool_task(void *arg)
{
	if (cxi_pool_is_worker(rt))
		atomic_fetch_add(&pool_on_worker, 1);
	atomic_fetch_add(&pool_ran, 1);
	sem_post(&pool_sem);
}

START_TEST(test_pool_run_on_worker)
{
	cxi_task tasks[50];

	sem_init(&pool_sem, 0, 0);
	atomic_store(&pool_ran, 0);
	atomic_store(&pool_on_worker, 0);
	ck_assert(!cxi_pool_is_worker(rt));
	for (int i = 0; i < 50; i++) {
		cxi_task_init(&tasks[i], pool_task, NULL);
		cxi_pool_submit(rt, &tasks[i]);
	}
	for (int i = 0; i < 50; i++)
		ck_assert_int_eq(cxi_pool_run(rt, pool_task, NULL), CX_OK);
	ck_assert_int_eq(cxi_pool_run(rt, NULL, NULL), CX_ERR_INVALID);
	for (int i = 0; i < 100; i++)
		sem_wait(&pool_sem);
	ck_assert_int_eq(atomic_load(&pool_ran), 100);
	ck_assert_int_eq(atomic_load(&pool_on_worker), 100);
	sem_destroy(&pool_sem);
}
END_TEST

/* ---- order ---- */

#define ORDER_N 10000

struct order {
	atomic_int inside;     /* > 1 means two items overlapped */
	atomic_int overlap;
	int next;              /* written by items only: serial means no race */
	atomic_int bad_order;
	atomic_int freed;
	sem_t done;
};

struct order_arg {
	struct order *o;
	int idx;
};

static void
order_item2(void *arg)
{
	struct order_arg *a = arg;
	struct order *o = a->o;

	if (atomic_fetch_add(&o->inside, 1) != 0)
		atomic_fetch_add(&o->overlap, 1);
	if (a->idx != o->next)
		atomic_fetch_add(&o->bad_order, 1);
	o->next = a->idx + 1;
	/* A little work widens the window for an overlap to show. */
	for (volatile int k = 0; k < 50; k++)
		;
	atomic_fetch_sub(&o->inside, 1);
}

static void
order_free(void *arg)
{
	struct order_arg *a = arg;
	struct order *o = a->o;
	int last = a->idx == ORDER_N - 1;

	free(a);
	atomic_fetch_add(&o->freed, 1);
	if (last)
		sem_post(&o->done);
}

START_TEST(test_pool_serial_order)
{
	struct order o;
	cxi_serialq *q;

	memset(&o, 0, sizeof(o));
	sem_init(&o.done, 0, 0);
	ck_assert_int_eq(cxi_serialq_new(&q, rt, 0), CX_OK);
	for (int i = 0; i < ORDER_N; i++) {
		struct order_arg *a = malloc(sizeof(*a));
		ck_assert_ptr_nonnull(a);
		a->o = &o;
		a->idx = i;
		ck_assert_int_eq(cxi_serialq_push(q, order_item2, a, order_free,
						  0), CX_OK);
	}
	sem_wait(&o.done);
	ck_assert_int_eq(cxi_serialq_drain(q, 10000), CX_OK);
	ck_assert_int_eq(atomic_load(&o.overlap), 0);
	ck_assert_int_eq(atomic_load(&o.bad_order), 0);
	ck_assert_int_eq(o.next, ORDER_N);
	ck_assert_int_eq(atomic_load(&o.freed), ORDER_N);
	ck_assert_uint_eq(cxi_serialq_length(q), 0);
	cxi_serialq_free(q);
	sem_destroy(&o.done);
}
END_TEST

/* ---- concurrent items ---- */

static pthread_barrier_t conc_barrier;
static atomic_int conc_done;

static void
conc_item(void *arg)
{
	/* Both items must be running at once to pass the barrier. */
	pthread_barrier_wait(&conc_barrier);
	atomic_fetch_add(&conc_done, 1);
}

START_TEST(test_pool_concurrent_overlap)
{
	cxi_serialq *q;

	pthread_barrier_init(&conc_barrier, NULL, 2);
	atomic_store(&conc_done, 0);
	ck_assert_int_eq(cxi_serialq_new(&q, rt, 8), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, conc_item, NULL, NULL,
					  CXI_SERIALQ_CONCURRENT), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, conc_item, NULL, NULL,
					  CXI_SERIALQ_CONCURRENT), CX_OK);
	ck_assert_int_eq(cxi_serialq_drain(q, 10000), CX_OK);
	ck_assert_int_eq(atomic_load(&conc_done), 2);
	cxi_serialq_free(q);
	pthread_barrier_destroy(&conc_barrier);
}
END_TEST

/* ---- bound and back-pressure ---- */

static sem_t gate, gate_entered;

static void
gated_item(void *arg)
{
	sem_post(&gate_entered);
	sem_wait(&gate);
}

static void
nop_item(void *arg)
{
}

struct room_waiter {
	cxi_serialq *q;
	int timeout;
	cx_status st;
};

static void *
room_waiter_main(void *arg)
{
	struct room_waiter *w = arg;

	w->st = cxi_serialq_wait_room(w->q, w->timeout);
	return NULL;
}

START_TEST(test_pool_bound_backpressure)
{
	cxi_serialq *q;
	struct room_waiter w;
	pthread_t th;
	int64_t t0;

	sem_init(&gate, 0, 0);
	sem_init(&gate_entered, 0, 0);
	ck_assert_int_eq(cxi_serialq_new(&q, rt, 3), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, gated_item, NULL, NULL, 0), CX_OK);
	sem_wait(&gate_entered); /* the first item runs and blocks */
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0),
			 CX_ERR_FULL);
	ck_assert_uint_eq(cxi_serialq_length(q), 3);

	/* A bounded wait times out. */
	t0 = cxi_now_ms();
	ck_assert_int_eq(cxi_serialq_wait_room(q, 100), CX_ERR_TIMEOUT);
	ck_assert_int_ge(cxi_now_ms() - t0, 90);
	ck_assert_int_eq(cxi_serialq_drain(q, 50), CX_ERR_TIMEOUT);

	/* NOLIMIT passes the bound. */
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL,
					  CXI_SERIALQ_NOLIMIT), CX_OK);

	/* wake: the waiter returns CX_ERR_CANCELLED. */
	w.q = q;
	w.timeout = CX_TIMEOUT_INFINITE;
	ck_assert_int_eq(pthread_create(&th, NULL, room_waiter_main, &w), 0);
	usleep(50 * 1000);
	cxi_serialq_wake(q);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.st, CX_ERR_CANCELLED);

	/* A waiter is woken when room appears. */
	ck_assert_int_eq(pthread_create(&th, NULL, room_waiter_main, &w), 0);
	usleep(50 * 1000);
	sem_post(&gate);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.st, CX_OK);
	ck_assert_int_eq(cxi_serialq_drain(q, 10000), CX_OK);
	ck_assert_uint_eq(cxi_serialq_length(q), 0);
	ck_assert_int_eq(cxi_serialq_wait_room(q, 0), CX_OK);

	/* close wakes a waiter with CX_ERR_CLOSED and refuses pushes. */
	ck_assert_int_eq(cxi_serialq_push(q, gated_item, NULL, NULL, 0), CX_OK);
	sem_wait(&gate_entered);
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0), CX_OK);
	ck_assert_int_eq(pthread_create(&th, NULL, room_waiter_main, &w), 0);
	usleep(50 * 1000);
	cxi_serialq_close(q);
	pthread_join(th, NULL);
	ck_assert_int_eq(w.st, CX_ERR_CLOSED);
	ck_assert_int_eq(cxi_serialq_push(q, nop_item, NULL, NULL, 0),
			 CX_ERR_CLOSED);
	/* Queued items still run after close. */
	sem_post(&gate);
	ck_assert_int_eq(cxi_serialq_drain(q, 10000), CX_OK);
	cxi_serialq_free(q);
	sem_destroy(&gate);
	sem_destroy(&gate_entered);
}
END_TEST

/* ---- many queues on two threads ---- */

#define MANYQ 1000
#define MANYQ_ITEMS 20

struct mq {
	cxi_serialq *q;
	atomic_int inside;
	int next;
};

static struct mq *mqs;
static atomic_int mq_overlap, mq_bad, mq_total;
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t seen[8];
static int nseen;

struct mq_arg {
	struct mq *m;
	int idx;
};

static void
mq_item(void *arg)
{
	struct mq_arg *a = arg;
	pthread_t self = pthread_self();
	bool known = false;

	if (atomic_fetch_add(&a->m->inside, 1) != 0)
		atomic_fetch_add(&mq_overlap, 1);
	if (a->m->next != a->idx)
		atomic_fetch_add(&mq_bad, 1);
	a->m->next = a->idx + 1;
	atomic_fetch_sub(&a->m->inside, 1);
	atomic_fetch_add(&mq_total, 1);
	pthread_mutex_lock(&seen_lock);
	for (int i = 0; i < nseen; i++)
		known |= pthread_equal(seen[i], self) != 0;
	if (!known && nseen < 8)
		seen[nseen++] = self;
	pthread_mutex_unlock(&seen_lock);
}

START_TEST(test_pool_many_queues)
{
	mqs = calloc(MANYQ, sizeof(*mqs));
	ck_assert_ptr_nonnull(mqs);
	atomic_store(&mq_overlap, 0);
	atomic_store(&mq_bad, 0);
	atomic_store(&mq_total, 0);
	nseen = 0;
	ck_assert_uint_eq(cx_runtime_get_pool_size(rt), 2);
	for (int i = 0; i < MANYQ; i++)
		ck_assert_int_eq(cxi_serialq_new(&mqs[i].q, rt, 64), CX_OK);
	/* Interleave producers over queues. */
	for (int k = 0; k < MANYQ_ITEMS; k++)
		for (int i = 0; i < MANYQ; i++) {
			struct mq_arg *a = malloc(sizeof(*a));
			ck_assert_ptr_nonnull(a);
			a->m = &mqs[i];
			a->idx = k;
			ck_assert_int_eq(cxi_serialq_push(mqs[i].q, mq_item, a,
							  free, 0), CX_OK);
		}
	for (int i = 0; i < MANYQ; i++) {
		ck_assert_int_eq(cxi_serialq_drain(mqs[i].q, 20000), CX_OK);
		ck_assert_int_eq(mqs[i].next, MANYQ_ITEMS);
		cxi_serialq_free(mqs[i].q);
	}
	ck_assert_int_eq(atomic_load(&mq_total), MANYQ * MANYQ_ITEMS);
	ck_assert_int_eq(atomic_load(&mq_overlap), 0);
	ck_assert_int_eq(atomic_load(&mq_bad), 0);
	ck_assert_int_le(nseen, 2);
	free(mqs);
}
END_TEST

/* ---- free from inside ---- */

static cxi_serialq *selfq;
static atomic_int self_ran, self_freed, self_drain_state;
static sem_t self_sem;

static void
self_free_item(void *arg)
{
	atomic_fetch_add(&self_ran, 1);
	if (cxi_serialq_drain(selfq, 0) == CX_ERR_STATE &&
	    cxi_serialq_wait_room(selfq, 0) == CX_ERR_STATE)
		atomic_store(&self_drain_state, 1);
	if (arg != NULL)
		cxi_serialq_free(selfq); /* our own queue, from its own item */
}

static void
self_arg_free(void *arg)
{
	if (atomic_fetch_add(&self_freed, 1) + 1 == 10)
		sem_post(&self_sem);
}

START_TEST(test_pool_free_inside)
{
	static int marker;

	sem_init(&self_sem, 0, 0);
	sem_init(&gate, 0, 0);
	sem_init(&gate_entered, 0, 0);
	atomic_store(&self_ran, 0);
	atomic_store(&self_freed, 0);
	atomic_store(&self_drain_state, 0);
	ck_assert_int_eq(cxi_serialq_new(&selfq, rt, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(selfq, gated_item, NULL,
					  self_arg_free, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(selfq, self_free_item, &marker,
					  self_arg_free, 0), CX_OK);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(cxi_serialq_push(selfq, self_free_item, NULL,
						  self_arg_free, 0), CX_OK);
	sem_wait(&gate_entered);
	sem_post(&gate);
	/* 10 arg_free: 2 after running, 8 discarded by the free. */
	ck_assert_int_eq(sem_wait(&self_sem), 0);
	ck_assert_int_eq(atomic_load(&self_ran), 1);
	ck_assert_int_eq(atomic_load(&self_drain_state), 1);
	sem_destroy(&self_sem);
}
END_TEST

START_TEST(test_pool_free_pending)
{
	/* Freed from outside while items wait: they are discarded. */
	sem_init(&self_sem, 0, 0);
	sem_init(&gate, 0, 0);
	sem_init(&gate_entered, 0, 0);
	atomic_store(&self_freed, 0);
	atomic_store(&self_ran, 0);
	ck_assert_int_eq(cxi_serialq_new(&selfq, rt, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(selfq, gated_item, NULL,
					  self_arg_free, 0), CX_OK);
	for (int i = 0; i < 9; i++)
		ck_assert_int_eq(cxi_serialq_push(selfq, self_free_item, NULL,
						  self_arg_free, 0), CX_OK);
	sem_wait(&gate_entered);
	cxi_serialq_free(selfq); /* does not wait for the running item */
	ck_assert_int_eq(atomic_load(&self_freed), 9);
	sem_post(&gate);
	ck_assert_int_eq(sem_wait(&self_sem), 0);
	ck_assert_int_eq(atomic_load(&self_ran), 0);
	sem_destroy(&self_sem);
}
END_TEST

START_TEST(test_pool_invalid)
{
	cxi_serialq *q;

	ck_assert_int_eq(cxi_serialq_new(NULL, rt, 0), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_serialq_new(&q, NULL, 0), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_serialq_new(&q, rt, 0), CX_OK);
	ck_assert_int_eq(cxi_serialq_push(q, NULL, NULL, NULL, 0),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_serialq_wait_room(q, -5), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_serialq_drain(q, -5), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_serialq_drain(q, 0), CX_OK);
	cxi_serialq_free(q);
	cxi_serialq_free(NULL);
}
END_TEST

static Suite *
pool_suite(void)
{
	Suite *s = suite_create("pool");
	TCase *tc;

	tc = tcase_create("pool");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pool_run_on_worker);
	tcase_add_test(tc, test_pool_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("serial");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pool_serial_order);
	tcase_add_test(tc, test_pool_concurrent_overlap);
	tcase_add_test(tc, test_pool_many_queues);
	suite_add_tcase(s, tc);

	tc = tcase_create("bound");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pool_bound_backpressure);
	suite_add_tcase(s, tc);

	tc = tcase_create("free");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pool_free_inside);
	tcase_add_test(tc, test_pool_free_pending);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(pool_suite)

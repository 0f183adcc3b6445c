/* Unit tests of threads/future: settlement, waits, then-callbacks, deadlines. */
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

static atomic_int values_freed;

static void
count_free(void *p)
{
	free(p);
	atomic_fetch_add(&values_freed, 1);
}

static cx_future *
new_future(void)
{
	cx_future *f;

	ck_assert_int_eq(cxi_future_new(&f, rt), CX_OK);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_PENDING);
	return f;
}

/* ---- settle ---- */

START_TEST(test_future_settle_resolve)
{
	cx_future *f = new_future();
	cx_error e = CX_ERROR_INIT;
	int *v = malloc(sizeof(*v));

	atomic_store(&values_freed, 0);
	*v = 42;
	ck_assert_ptr_null(cx_future_get_value(f));
	ck_assert_int_eq(cx_future_get_error(f, &e), CX_ERR_STATE);
	ck_assert_int_eq(cxi_future_resolve(f, v, count_free), CX_OK);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_DONE);
	ck_assert_int_eq(cx_future_wait(f, 0, &e), CX_OK);
	ck_assert_int_eq(e.status, CX_OK);
	ck_assert_ptr_eq(cx_future_get_value(f), v);
	ck_assert_int_eq(cx_future_get_error(f, &e), CX_OK);
	/* Losers free their value at once; the winner's value stays. */
	ck_assert_int_eq(cxi_future_resolve(f, malloc(4), count_free),
			 CX_ERR_STATE);
	ck_assert_int_eq(atomic_load(&values_freed), 1);
	ck_assert_int_eq(cx_future_cancel(f), CX_ERR_STATE);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_DONE);
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&values_freed), 2);
}
END_TEST

START_TEST(test_future_settle_fail)
{
	static const struct {
		cx_status status;
		cx_future_state state;
	} cases[] = {
		{ CX_ERR_STANZA_ERROR, CX_FUTURE_FAILED },
		{ CX_ERR_DISCONNECTED, CX_FUTURE_FAILED },
		{ CX_ERR_TIMEOUT, CX_FUTURE_TIMED_OUT },
		{ CX_ERR_CANCELLED, CX_FUTURE_CANCELLED },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cx_future *f = new_future();
		cx_error in = CX_ERROR_INIT, out = CX_ERROR_INIT;

		cxi_error_set(&in, cases[i].status, "case %zu", i);
		cxi_error_set_condition(&in, "item-not-found", "cancel", "gone");
		ck_assert_int_eq(cxi_future_fail(f, &in), CX_OK);
		ck_assert_int_eq(cx_future_get_state(f), cases[i].state);
		ck_assert_int_eq(cx_future_wait(f, 1000, &out), cases[i].status);
		ck_assert_str_eq(out.condition, "item-not-found");
		ck_assert_str_eq(out.text, "gone");
		ck_assert_int_eq(cx_future_get_error(f, NULL), cases[i].status);
		ck_assert_ptr_null(cx_future_get_value(f));
		ck_assert_int_eq(cxi_future_fail(f, &in), CX_ERR_STATE);
		cx_future_unref(f);
	}
}
END_TEST

/* A failure that carries a value (a call answered with a stanza error):
 * the value is readable, owned by the future, and freed with it; a losing
 * settle frees its own value at once. */
START_TEST(test_future_settle_fail_with_value)
{
	cx_future *f = new_future();
	cx_error in = CX_ERROR_INIT, out = CX_ERROR_INIT;
	int *v = malloc(sizeof(*v)), *late = malloc(sizeof(*late));

	atomic_store(&values_freed, 0);
	*v = 42;
	cxi_error_set(&in, CX_ERR_STANZA_ERROR, "refused");
	cxi_error_set_condition(&in, "forbidden", "auth", NULL);
	ck_assert_int_eq(cxi_future_fail_with_value(f, &in, v, count_free), CX_OK);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_FAILED);
	ck_assert_int_eq(cx_future_wait(f, 1000, &out), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(out.condition, "forbidden");
	ck_assert_ptr_eq(cx_future_get_value(f), v);
	ck_assert_int_eq(cxi_future_fail_with_value(f, &in, late, count_free),
			 CX_ERR_STATE);
	ck_assert_int_eq(atomic_load(&values_freed), 1);
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&values_freed), 2);

	/* a non-negative status is refused, and the value still freed */
	f = new_future();
	v = malloc(sizeof(*v));
	cx_error_clear(&in);
	ck_assert_int_eq(cxi_future_fail_with_value(f, &in, v, count_free),
			 CX_ERR_INVALID);
	ck_assert_int_eq(atomic_load(&values_freed), 3);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_PENDING);
	cx_future_unref(f);
}
END_TEST

START_TEST(test_future_settle_cancel)
{
	cx_future *f = new_future();
	cx_error e = CX_ERROR_INIT;

	atomic_store(&values_freed, 0);
	ck_assert_int_eq(cx_future_cancel(f), CX_OK);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_CANCELLED);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_INFINITE, &e),
			 CX_ERR_CANCELLED);
	ck_assert_int_eq(e.status, CX_ERR_CANCELLED);
	ck_assert_int_eq(cx_future_cancel(f), CX_ERR_STATE);
	ck_assert_int_eq(cxi_future_resolve(f, malloc(8), count_free),
			 CX_ERR_STATE);
	ck_assert_int_eq(atomic_load(&values_freed), 1);
	cx_future_unref(f);
}
END_TEST

START_TEST(test_future_settle_invalid)
{
	cx_future *f = new_future();
	cx_error e = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_future_new(NULL, rt), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_future_fail(f, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_future_fail(f, &e), CX_ERR_INVALID); /* CX_OK status */
	ck_assert_int_eq(cx_future_wait(NULL, 0, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cx_future_wait(f, -3, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cx_future_cancel(NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_future_then(f, NULL, NULL, NULL, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_PENDING);
	ck_assert_ptr_null(cx_future_ref(NULL));
	cx_future_unref(NULL);
	cx_future_unref(f);
}
END_TEST

/* ---- races: 100 threads, one winner ---- */

#define RACERS 100
#define ROUNDS 20
#define WAITERS 4

struct race {
	pthread_barrier_t start, done;
	cx_future *f;
	atomic_int wins;
	atomic_int resolve_attempts;
	atomic_int hook_calls;
	atomic_int woken;
	atomic_int waiter_status_ok;
	int round;
	bool quit;
};

static struct race race;

static void
race_hook(cx_future *f, void *arg)
{
	atomic_fetch_add(&race.hook_calls, 1);
}

static void *
racer(void *arg)
{
	long id = (long)arg;

	for (;;) {
		cx_error e = CX_ERROR_INIT;
		cx_status st;

		pthread_barrier_wait(&race.start);
		if (race.quit)
			break;
		switch ((id + race.round) % 3) {
		case 0:
			atomic_fetch_add(&race.resolve_attempts, 1);
			st = cxi_future_resolve(race.f, malloc(16), count_free);
			break;
		case 1:
			cxi_error_set(&e, CX_ERR_DISCONNECTED, "racer %ld", id);
			st = cxi_future_fail(race.f, &e);
			break;
		default:
			st = cx_future_cancel(race.f);
			break;
		}
		if (st == CX_OK)
			atomic_fetch_add(&race.wins, 1);
		else
			ck_assert_int_eq(st, CX_ERR_STATE);
		pthread_barrier_wait(&race.done);
	}
	return NULL;
}

static void *
race_waiter(void *arg)
{
	cx_future *f = arg;
	cx_error e = CX_ERROR_INIT;
	cx_status st = cx_future_wait(f, CX_TIMEOUT_INFINITE, &e);

	/* The status a waiter sees must match the state that won. */
	if (st == cx_future_get_error(f, NULL) && st == e.status)
		atomic_fetch_add(&race.waiter_status_ok, 1);
	atomic_fetch_add(&race.woken, 1);
	cx_future_unref(f);
	return NULL;
}

START_TEST(test_future_race_exactly_once)
{
	pthread_t th[RACERS], wt[WAITERS];
	int deadline_wins = 0;

	memset(&race, 0, sizeof(race));
	pthread_barrier_init(&race.start, NULL, RACERS + 1);
	pthread_barrier_init(&race.done, NULL, RACERS + 1);
	for (long i = 0; i < RACERS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, racer, (void *)i), 0);
	for (int r = 0; r < ROUNDS; r++) {
		cx_future_state s;
		int freed_before;

		atomic_store(&values_freed, 0);
		atomic_store(&race.wins, 0);
		atomic_store(&race.resolve_attempts, 0);
		atomic_store(&race.hook_calls, 0);
		atomic_store(&race.woken, 0);
		atomic_store(&race.waiter_status_ok, 0);
		race.round = r;
		race.f = new_future();
		ck_assert_int_eq(cxi_future_on_settle_internal(race.f, race_hook,
							       NULL), CX_OK);
		/* The deadline races too (0 or 1 ms). */
		ck_assert_int_eq(cxi_future_set_deadline(race.f, r % 2), CX_OK);
		for (int w = 0; w < WAITERS; w++)
			ck_assert_int_eq(pthread_create(&wt[w], NULL, race_waiter,
							cx_future_ref(race.f)), 0);
		pthread_barrier_wait(&race.start);
		pthread_barrier_wait(&race.done);
		for (int w = 0; w < WAITERS; w++)
			pthread_join(wt[w], NULL);

		s = cx_future_get_state(race.f);
		ck_assert_int_ne(s, CX_FUTURE_PENDING);
		if (s == CX_FUTURE_TIMED_OUT) {
			deadline_wins++;
			ck_assert_int_eq(atomic_load(&race.wins), 0);
		} else {
			ck_assert_int_eq(atomic_load(&race.wins), 1);
		}
		ck_assert_int_eq(atomic_load(&race.hook_calls), 1);
		ck_assert_int_eq(atomic_load(&race.woken), WAITERS);
		ck_assert_int_eq(atomic_load(&race.waiter_status_ok), WAITERS);
		/* Every losing value is freed already, the winner's at unref. */
		freed_before = atomic_load(&values_freed);
		if (s == CX_FUTURE_DONE)
			ck_assert_int_eq(freed_before,
					 atomic_load(&race.resolve_attempts) - 1);
		else
			ck_assert_int_eq(freed_before,
					 atomic_load(&race.resolve_attempts));
		cx_future_unref(race.f);
		/* The deadline timer may still hold a reference for a moment
		 * (it fired and is about to drop it): wait for the free. */
		for (int i = 0; i < 2000 && atomic_load(&values_freed) !=
			 atomic_load(&race.resolve_attempts); i++)
			usleep(1000);
		ck_assert_int_eq(atomic_load(&values_freed),
				 atomic_load(&race.resolve_attempts));
	}
	race.quit = true;
	pthread_barrier_wait(&race.start);
	for (int i = 0; i < RACERS; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&race.start);
	pthread_barrier_destroy(&race.done);
	(void)deadline_wins;
}
END_TEST

/* ---- waits ---- */

START_TEST(test_future_wait_timeout)
{
	cx_future *f = new_future();
	cx_error e = CX_ERROR_INIT;
	int64_t t0 = cxi_now_ms(), dt;

	ck_assert_int_eq(cx_future_wait(f, 150, &e), CX_ERR_TIMEOUT);
	dt = cxi_now_ms() - t0;
	ck_assert_int_ge(dt, 140);
	ck_assert_int_lt(dt, 3000);
	ck_assert_int_eq(e.status, CX_ERR_TIMEOUT);
	/* The wait timing out does not settle the future. */
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_PENDING);
	ck_assert_int_eq(cx_future_wait(f, 0, &e), CX_ERR_TIMEOUT);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_PENDING);
	ck_assert_int_eq(cxi_future_resolve(f, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_future_wait(f, 0, &e), CX_OK);
	cx_future_unref(f);
}
END_TEST

static void *
resolve_later(void *arg)
{
	usleep(50 * 1000);
	cxi_future_resolve(arg, NULL, NULL);
	cx_future_unref(arg);
	return NULL;
}

START_TEST(test_future_wait_woken)
{
	cx_future *f = new_future();
	pthread_t th;
	int64_t t0 = cxi_now_ms();

	ck_assert_int_eq(pthread_create(&th, NULL, resolve_later,
					cx_future_ref(f)), 0);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_INFINITE, NULL), CX_OK);
	ck_assert_int_lt(cxi_now_ms() - t0, 3000);
	pthread_join(th, NULL);
	cx_future_unref(f);
}
END_TEST

/* ---- deadlines ---- */

struct then_probe {
	sem_t ran;
	atomic_int calls;
	atomic_int frees;
	atomic_int on_pool;
	pthread_t settler;
	atomic_int not_settler;
	atomic_int seen;
};
static void probe_init(struct then_probe *p);
static void probe_wait(struct then_probe *p, int n);
static void probe_then(cx_future *f, void *arg);
static void probe_free(void *arg);

START_TEST(test_future_deadline_fires)
{
	cx_future *f = new_future();
	cx_error e = CX_ERROR_INIT;
	int64_t t0 = cxi_now_ms(), dt;

	ck_assert_int_eq(cxi_future_set_deadline(f, 80), CX_OK);
	ck_assert_int_eq(cxi_future_set_deadline(f, 80), CX_ERR_STATE);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &e),
			 CX_ERR_TIMEOUT);
	dt = cxi_now_ms() - t0;
	ck_assert_int_ge(dt, 70);
	ck_assert_int_lt(dt, 3000);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_TIMED_OUT);
	ck_assert_ptr_nonnull(strstr(e.message, "80 ms"));
	cx_future_unref(f);
}
END_TEST

START_TEST(test_future_deadline_cancelled_by_resolve)
{
	cx_future *f = new_future();

	ck_assert_int_eq(cxi_future_set_deadline(f, 60), CX_OK);
	ck_assert_int_eq(cxi_future_resolve(f, NULL, NULL), CX_OK);
	usleep(150 * 1000);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_DONE);
	/* Settled: a deadline is a no-op now. */
	ck_assert_int_eq(cxi_future_set_deadline(f, 10), CX_OK);
	ck_assert_int_eq(cxi_future_set_deadline(f, CX_TIMEOUT_INFINITE), CX_OK);
	cx_future_unref(f);
}
END_TEST

START_TEST(test_future_deadline_user_drops_ref)
{
	cx_future *f = new_future();
	struct then_probe p;

	/* Only the timer (and the queued callback) hold the future. */
	probe_init(&p);
	ck_assert_int_eq(cx_future_then(f, probe_then, &p, probe_free, NULL),
			 CX_OK);
	ck_assert_int_eq(cxi_future_set_deadline(f, 20), CX_OK);
	cx_future_unref(f);
	probe_wait(&p, 1);
	ck_assert_int_eq(atomic_load(&p.seen), CX_FUTURE_TIMED_OUT);
	ck_assert_int_eq(atomic_load(&p.on_pool), 1);
	sem_destroy(&p.ran);
}
END_TEST

/* ---- then ---- */


static void
probe_then(cx_future *f, void *arg)
{
	struct then_probe *p = arg;

	if (cxi_pool_is_worker(rt))
		atomic_fetch_add(&p->on_pool, 1);
	if (!pthread_equal(pthread_self(), p->settler))
		atomic_fetch_add(&p->not_settler, 1);
	atomic_store(&p->seen, (int)cx_future_get_state(f));
	atomic_fetch_add(&p->calls, 1);
}

static void
probe_free(void *arg)
{
	struct then_probe *p = arg;

	atomic_fetch_add(&p->frees, 1);
	sem_post(&p->ran);
}

static void
probe_init(struct then_probe *p)
{
	memset(p, 0, sizeof(*p));
	sem_init(&p->ran, 0, 0);
	p->settler = pthread_self();
}

static void
probe_wait(struct then_probe *p, int n)
{
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(sem_wait(&p->ran), 0);
}

START_TEST(test_future_then_outcomes)
{
	/* resolve, fail, cancel, deadline; attached before settlement. */
	for (int k = 0; k < 4; k++) {
		static const cx_future_state want[] = {
			CX_FUTURE_DONE, CX_FUTURE_FAILED, CX_FUTURE_CANCELLED,
			CX_FUTURE_TIMED_OUT };
		struct then_probe p;
		cx_future *f = new_future();
		cx_error e;

		probe_init(&p);
		ck_assert_int_eq(cx_future_then(f, probe_then, &p, probe_free,
						NULL), CX_OK);
		switch (k) {
		case 0: cxi_future_resolve(f, NULL, NULL); break;
		case 1:
			cxi_error_set(&e, CX_ERR_IO, "io");
			cxi_future_fail(f, &e);
			break;
		case 2: cx_future_cancel(f); break;
		default: cxi_future_set_deadline(f, 10); break;
		}
		probe_wait(&p, 1);
		ck_assert_int_eq(atomic_load(&p.calls), 1);
		ck_assert_int_eq(atomic_load(&p.frees), 1);
		ck_assert_int_eq(atomic_load(&p.on_pool), 1);
		ck_assert_int_eq(atomic_load(&p.not_settler), 1);
		ck_assert_int_eq(atomic_load(&p.seen), want[k]);
		cx_future_unref(f);
		sem_destroy(&p.ran);
	}
}
END_TEST

START_TEST(test_future_then_after_settle)
{
	struct then_probe p;
	cx_future *f = new_future();

	probe_init(&p);
	cxi_future_resolve(f, NULL, NULL);
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(cx_future_then(f, probe_then, &p, probe_free,
						NULL), CX_OK);
	/* Drop ours: the queued callbacks keep the future alive. */
	cx_future_unref(f);
	probe_wait(&p, 5);
	ck_assert_int_eq(atomic_load(&p.calls), 5);
	ck_assert_int_eq(atomic_load(&p.on_pool), 5);
	ck_assert_int_eq(atomic_load(&p.not_settler), 5);
	sem_destroy(&p.ran);
}
END_TEST

START_TEST(test_future_then_never_settled)
{
	struct then_probe p;
	cx_future *f = new_future();

	probe_init(&p);
	ck_assert_int_eq(cx_future_then(f, probe_then, &p, probe_free, NULL),
			 CX_OK);
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&p.frees), 1);
	ck_assert_int_eq(atomic_load(&p.calls), 0);
	sem_destroy(&p.ran);
}
END_TEST

static sem_t unref_done;

static void
then_unrefs(cx_future *f, void *arg)
{
	/* arg is the user's own (last) reference. */
	ck_assert_ptr_eq(arg, f);
	cx_future_unref(f);
}

static void
signal_free(void *p)
{
	sem_post(&unref_done);
}

START_TEST(test_future_then_unref_inside)
{
	cx_future *f = new_future();

	sem_init(&unref_done, 0, 0);
	ck_assert_int_eq(cx_future_then(f, then_unrefs, f, NULL, NULL), CX_OK);
	/* From here the callback owns our reference. */
	cxi_future_resolve(f, &unref_done, signal_free);
	ck_assert_int_eq(sem_wait(&unref_done), 0); /* value freed = future freed */
	sem_destroy(&unref_done);
}
END_TEST

static void
hook_thread(cx_future *f, void *arg)
{
	pthread_t *t = arg;

	*t = pthread_self();
}

START_TEST(test_future_then_hook_on_settler)
{
	cx_future *f = new_future();
	pthread_t seen;

	memset(&seen, 0, sizeof(seen));
	ck_assert_int_eq(cxi_future_on_settle_internal(f, hook_thread, &seen),
			 CX_OK);
	ck_assert_int_eq(cxi_future_on_settle_internal(f, hook_thread, &seen),
			 CX_ERR_STATE);
	ck_assert_int_eq(cx_future_cancel(f), CX_OK);
	ck_assert(pthread_equal(seen, pthread_self()));
	ck_assert_int_eq(cxi_future_on_settle_internal(f, hook_thread, &seen),
			 CX_ERR_STATE);
	cx_future_unref(f);
}
END_TEST

/* ---- map ---- */

/* Doubles an int value; fails with CX_ERR_PROTOCOL for a negative one, and
 * passes a failure of the source on. Records the thread it ran on. */
static pthread_t map_thread;

static cx_status
map_double(void **value, void (**value_free)(void *), cx_future *src,
	   void *arg, cx_error *err)
{
	int *in = cx_future_get_value(src), *out;
	cx_status st;

	map_thread = pthread_self();
	if (arg != NULL)
		atomic_fetch_add((atomic_int *)arg, 1);
	if ((st = cx_future_get_error(src, err)) != CX_OK)
		return st;
	if (*in < 0)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "negative");
	if ((out = malloc(sizeof(*out))) == NULL)
		return CX_ERR_NOMEM;
	*out = *in * 2;
	*value = out;
	*value_free = count_free;
	return CX_OK;
}

static atomic_int map_args_freed;

static void
map_arg_free(void *arg)
{
	(void)arg;
	atomic_fetch_add(&map_args_freed, 1);
}

static void *
map_resolve_later(void *p)
{
	cx_future *f = p;
	int *v = malloc(sizeof(*v));

	usleep(50 * 1000);
	*v = 21;
	cxi_future_resolve(f, v, count_free);
	return NULL;
}

START_TEST(test_future_map_resolve_on_settler)
{
	cx_future *src = new_future(), *d;
	atomic_int calls = 0;
	pthread_t th;
	cx_error err = CX_ERROR_INIT;

	atomic_store(&values_freed, 0);
	atomic_store(&map_args_freed, 0);
	d = cx_future_map(src, map_double, &calls, map_arg_free);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(cx_future_get_state(d), CX_FUTURE_PENDING);
	ck_assert_int_eq(pthread_create(&th, NULL, map_resolve_later, src), 0);
	ck_assert_int_eq(cx_future_wait(d, 5000, &err), CX_OK);
	ck_assert_int_eq(*(int *)cx_future_get_value(d), 42);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert(pthread_equal(map_thread, th));
	ck_assert_int_eq(atomic_load(&calls), 1);
	ck_assert_int_eq(atomic_load(&map_args_freed), 1);
	cx_future_unref(d);
	cx_future_unref(src);
	ck_assert_int_eq(atomic_load(&values_freed), 2);
}
END_TEST

START_TEST(test_future_map_failures)
{
	cx_future *src = new_future(), *d;
	int *v = malloc(sizeof(*v));
	cx_error err = CX_ERROR_INIT;

	/* the conversion fails */
	*v = -1;
	d = cx_future_map(src, map_double, NULL, NULL);
	ck_assert_int_eq(cxi_future_resolve(src, v, free), CX_OK);
	ck_assert_int_eq(cx_future_wait(d, 0, &err), CX_ERR_PROTOCOL);
	ck_assert_str_eq(err.message, "negative");
	ck_assert_int_eq(cx_future_get_state(d), CX_FUTURE_FAILED);
	cx_future_unref(d);
	/* a source that settled already: converted at once */
	d = cx_future_map(src, map_double, NULL, NULL);
	ck_assert_int_eq(cx_future_get_state(d), CX_FUTURE_FAILED);
	ck_assert(pthread_equal(map_thread, pthread_self()));
	cx_future_unref(d);
	cx_future_unref(src);
	/* a failed source: its error is passed on, the state follows */
	src = new_future();
	d = cx_future_map(src, map_double, NULL, NULL);
	cxi_error_set(&err, CX_ERR_TIMEOUT, "late");
	ck_assert_int_eq(cxi_future_fail(src, &err), CX_OK);
	cx_error_clear(&err);
	ck_assert_int_eq(cx_future_wait(d, 0, &err), CX_ERR_TIMEOUT);
	ck_assert_int_eq(cx_future_get_state(d), CX_FUTURE_TIMED_OUT);
	cx_future_unref(d);
	cx_future_unref(src);
	ck_assert_ptr_null(cx_future_map(NULL, map_double, NULL, NULL));
}
END_TEST

START_TEST(test_future_map_cancel_derived_cancels_source)
{
	cx_future *src = new_future(), *d;
	atomic_int calls = 0;

	atomic_store(&map_args_freed, 0);
	d = cx_future_map(src, map_double, &calls, map_arg_free);
	ck_assert_int_eq(cx_future_cancel(d), CX_OK);
	ck_assert_int_eq(cx_future_get_state(src), CX_FUTURE_CANCELLED);
	ck_assert_int_eq(cx_future_get_state(d), CX_FUTURE_CANCELLED);
	ck_assert_int_eq(atomic_load(&calls), 1);
	ck_assert_int_eq(atomic_load(&map_args_freed), 1);
	cx_future_unref(src);
	cx_future_unref(d);
}
END_TEST

/* A pool thread waits on a derived future while the only other pool
 * thread is busy too: the settlement needs no pool thread. */
static void
wait_on_derived(void *p)
{
	cx_future *d = p;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_future_wait(d, 5000, &err), CX_OK);
	cx_future_unref(d);
}

static void
task_done(void *p)
{
	sem_post(p);
}

START_TEST(test_future_map_wait_on_pool)
{
	cx_future *src = new_future(), *d;
	cxi_task t1, t2, post1, post2;
	sem_t done;
	pthread_t th;

	sem_init(&done, 0, 0);
	d = cx_future_map(src, map_double, NULL, NULL);
	cxi_task_init(&t1, wait_on_derived, cx_future_ref(d));
	cxi_task_init(&t2, wait_on_derived, cx_future_ref(d));
	cxi_pool_submit(rt, &t1);
	cxi_pool_submit(rt, &t2);
	ck_assert_int_eq(pthread_create(&th, NULL, map_resolve_later, src), 0);
	cxi_task_init(&post1, task_done, &done);
	cxi_task_init(&post2, task_done, &done);
	cxi_pool_submit(rt, &post1);
	cxi_pool_submit(rt, &post2);
	ck_assert_int_eq(sem_wait(&done), 0);
	ck_assert_int_eq(sem_wait(&done), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	ck_assert_int_eq(*(int *)cx_future_get_value(d), 42);
	cx_future_unref(d);
	cx_future_unref(src);
	sem_destroy(&done);
}
END_TEST

static Suite *
future_suite(void)
{
	Suite *s = suite_create("future");
	TCase *tc;

	tc = tcase_create("settle");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_future_settle_resolve);
	tcase_add_test(tc, test_future_settle_fail);
	tcase_add_test(tc, test_future_settle_fail_with_value);
	tcase_add_test(tc, test_future_settle_cancel);
	tcase_add_test(tc, test_future_settle_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("race");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_future_race_exactly_once);
	suite_add_tcase(s, tc);

	tc = tcase_create("wait");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_future_wait_timeout);
	tcase_add_test(tc, test_future_wait_woken);
	suite_add_tcase(s, tc);

	tc = tcase_create("deadline");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_future_deadline_fires);
	tcase_add_test(tc, test_future_deadline_cancelled_by_resolve);
	tcase_add_test(tc, test_future_deadline_user_drops_ref);
	suite_add_tcase(s, tc);

	tc = tcase_create("then");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_future_then_outcomes);
	tcase_add_test(tc, test_future_then_after_settle);
	tcase_add_test(tc, test_future_then_never_settled);
	tcase_add_test(tc, test_future_then_unref_inside);
	tcase_add_test(tc, test_future_then_hook_on_settler);
	suite_add_tcase(s, tc);

	tc = tcase_create("map");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_future_map_resolve_on_settler);
	tcase_add_test(tc, test_future_map_failures);
	tcase_add_test(tc, test_future_map_cancel_derived_cancels_source);
	tcase_add_test(tc, test_future_map_wait_on_pool);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(future_suite)

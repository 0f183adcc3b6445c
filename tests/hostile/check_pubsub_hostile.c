/*
 * The pubsub client against a scripted service (tests/hostile/
 * pubsub_server.py, the hostile server plus a pubsub script): the _async
 * twins and their then-callbacks, pubsub#errors through futures, and the
 * RSM pager against services that repeat <last/>, send empty pages or
 * never end.
 */
#include "config.h"

#include <check.h>

#include "cxmpp/cxmpp.h"
#include "tests/hostile/hostile.h"
#include "tests/unit/testutil.h"

#define SVC "pubsub.localhost"

/* As hs_start, for the pubsub script. */
static void
ps_start(hs_server *hs)
{
	static int serial;
	int in[2], out[2];
	char script[4096], cert[4096], key[4096], line[32];
	struct pollfd pfd;
	size_t n = 0;

	memset(hs, 0, sizeof(*hs));
	snprintf(script, sizeof(script), "%s/tests/hostile/pubsub_server.py", hs_top());
	snprintf(cert, sizeof(cert), "%s/server.pem", hs_certdir);
	snprintf(key, sizeof(key), "%s/server.key", hs_certdir);
	snprintf(hs->log, sizeof(hs->log), "%s/pubsub-%d-%d.log", hs_certdir,
		 (int)getpid(), ++serial);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	hs->pid = fork();
	ck_assert_int_ge(hs->pid, 0);
	if (hs->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl("/usr/bin/python3", "python3", script, "--cert", cert,
		      "--key", key, "--log", hs->log, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	hs->stdin_fd = in[1];
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < sizeof(line) - 1) {
		ck_assert_msg(poll(&pfd, 1, 10000) == 1,
			      "the pubsub server did not start within 10 s");
		ck_assert_msg(read(out[0], line + n, 1) == 1,
			      "the pubsub server exited at start");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	hs->port = atoi(line);
	ck_assert_int_gt(hs->port, 0);
}

static hs_server server;
static cx_settings *settings;
static cx_client *client;

static void
certs_setup(void)
{
	ck_assert_int_eq(hs_make_certs(), 0);
}

static void
certs_teardown(void)
{
	hs_remove_certs();
}

static void
setup(void)
{
	ps_start(&server);
	settings = hs_settings(&server);
	client = hs_connect(settings, NULL);
}

static void
teardown(void)
{
	cx_client_disconnect(client, NULL);
	cx_client_free(client);
	cx_settings_unref(settings);
	hs_stop(&server);
}

/* How many item requests the service saw for `node`. */
static int
item_requests(const char *node)
{
	char detail[64];
	int n = 0;

	snprintf(detail, sizeof(detail), "items %s ", node);
	while (hs_log_wait(&server, "pubsub", detail, n + 1, 0, NULL, 0) >= 0)
		n++;
	return n;
}

/* ---- a then-callback's outcome, handed to the test thread ------------- */

typedef struct outcome {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int done;
	cx_status status;
	cx_error err;
	char text[256];   /* what the callback read of the value */
	size_t count;
	int on_pool;      /* the callback did not run on the test thread */
	pthread_t tester;
} outcome;

static void
outcome_init(outcome *o)
{
	memset(o, 0, sizeof(*o));
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cv, NULL);
	o->tester = pthread_self();
}

static void
outcome_wait(outcome *o)
{
	int64_t deadline = hs_now_ms() + 10000;

	pthread_mutex_lock(&o->lock);
	while (!o->done && hs_now_ms() < deadline) {
		pthread_mutex_unlock(&o->lock);
		hs_sleep_ms(5);
		pthread_mutex_lock(&o->lock);
	}
	ck_assert_msg(o->done, "the then-callback did not run within 10 s");
	pthread_mutex_unlock(&o->lock);
}

static void
outcome_set(outcome *o, cx_future *f)
{
	pthread_mutex_lock(&o->lock);
	o->status = cx_future_get_error(f, &o->err);
	o->on_pool = !pthread_equal(pthread_self(), o->tester);
	o->done = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->lock);
}

/* Reads the items of the blog node: the first entry's title. */
static void
on_items(cx_future *f, void *arg)
{
	outcome *o = arg;
	const cx_pubsub_items *items = cx_future_get_value(f);
	cx_atom_entry *e = NULL;

	if (items != NULL && cx_future_get_state(f) == CX_FUTURE_DONE) {
		o->count = items->count;
		if (items->count > 0 &&
		    cx_atom_entry_parse(&e, items->v[0].payload, NULL) == CX_OK) {
			snprintf(o->text, sizeof(o->text), "%s by %s (%s)",
				 e->title.value ? e->title.value : "?",
				 e->author.name ? e->author.name : "?",
				 items->v[0].publisher ? items->v[0].publisher : "?");
			cx_atom_entry_free(e);
		}
	}
	outcome_set(o, f);
}

START_TEST(test_pubsub_async_then_items)
{
	outcome o;
	cx_future *f;

	outcome_init(&o);
	f = cx_pubsub_get_items_async(client, SVC, "blog", NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_then(f, on_items, &o, NULL, NULL), CX_OK);
	cx_future_unref(f); /* the callback still runs */
	outcome_wait(&o);
	ck_assert_int_eq(o.status, CX_OK);
	ck_assert(o.on_pool);
	ck_assert_uint_eq(o.count, 1);
	ck_assert_str_eq(o.text, "Soliloquy by Hamlet (hamlet@denmark.lit)");
}
END_TEST

/* Records the error stanza's id of a failed future. */
static void
on_failed(cx_future *f, void *arg)
{
	outcome *o = arg;
	cx_stanza *s = cx_future_get_value(f);

	if (s != NULL && cx_stanza_get_type(s) != NULL)
		snprintf(o->text, sizeof(o->text), "%s", cx_stanza_get_type(s));
	outcome_set(o, f);
}

START_TEST(test_pubsub_async_then_error)
{
	outcome o;
	cx_future *f;
	cx_error err = CX_ERROR_INIT;
	char *id = (char *)"x";
	xmlDocPtr d = xmlReadMemory("<x xmlns='urn:t'/>", 18, NULL, NULL, 0);

	ck_assert_ptr_nonnull(d);
	outcome_init(&o);
	f = cx_pubsub_publish_async(client, SVC, "restricted", "item1",
				    xmlDocGetRootElement(d), NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_then(f, on_failed, &o, NULL, NULL), CX_OK);
	cx_future_unref(f);
	outcome_wait(&o);
	ck_assert_int_eq(o.status, CX_ERR_STANZA_ERROR);
	ck_assert_int_eq(o.err.status, CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(o.err.condition, "conflict");
	ck_assert_str_eq(o.err.app_condition, "precondition-not-met");
	ck_assert_str_eq(o.err.app_ns, CX_NS_PUBSUB_ERRORS);
	ck_assert_str_eq(o.text, "error"); /* the error stanza is the value */

	/* The blocking twin says exactly the same. */
	ck_assert_int_eq(cx_pubsub_publish(&id, client, SVC, "restricted", "item1",
					   xmlDocGetRootElement(d), NULL, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_ptr_null(id);
	ck_assert_str_eq(err.condition, "conflict");
	ck_assert_str_eq(err.app_condition, "precondition-not-met");
	ck_assert_str_eq(err.message, o.err.message);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_pubsub_async_unsupported)
{
	outcome o;
	cx_future *f;
	cx_pubsub_items *items = (cx_pubsub_items *)&o;
	cx_error err = CX_ERROR_INIT;

	outcome_init(&o);
	f = cx_pubsub_get_items_async(client, SVC, "unsupported", NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_then(f, on_items, &o, NULL, NULL), CX_OK);
	/* waiting on the future works as well as the callback */
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_ERR_NOT_SUPPORTED);
	ck_assert_int_eq(cx_future_get_state(f), CX_FUTURE_FAILED);
	cx_future_unref(f);
	outcome_wait(&o);
	ck_assert_int_eq(o.status, CX_ERR_NOT_SUPPORTED);
	ck_assert_msg(strstr(o.err.message, "pubsub#retrieve-items") != NULL, "%s",
		      o.err.message);
	ck_assert_uint_eq(o.count, 0);

	cx_error_clear(&err);
	ck_assert_int_eq(cx_pubsub_get_items(&items, client, SVC, "unsupported",
					     NULL, &err), CX_ERR_NOT_SUPPORTED);
	ck_assert_ptr_null(items);
	ck_assert_str_eq(err.message, o.err.message);
}
END_TEST

START_TEST(test_pubsub_async_values)
{
	cx_future *f;
	cx_error err = CX_ERROR_INIT;
	const cx_pubsub_subscriptions *subs;
	const char *id;

	/* subscribe: a pending subscription with its subid */
	f = cx_pubsub_subscribe_async(client, SVC, "moderated", NULL, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_OK);
	subs = cx_future_get_value(f);
	ck_assert_uint_eq(subs->count, 1);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_PENDING);
	ck_assert_str_eq(subs->v[0].subid, "sub-1");
	ck_assert_str_eq(subs->v[0].jid, "alice@localhost");
	cx_future_unref(f);

	/* publish without an id: the service's id is the value */
	f = cx_pubsub_publish_async(client, SVC, "plain", NULL, NULL, NULL);
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_OK);
	id = cx_future_get_value(f);
	ck_assert_str_eq(id, "srv-1");
	cx_future_unref(f);

	/* a request without a payload worth parsing: done, no value */
	f = cx_pubsub_purge_async(client, SVC, "plain");
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_OK);
	ck_assert_ptr_null(cx_future_get_value(f));
	cx_future_unref(f);

	/* invalid arguments: NULL, and the blocking twin names the status */
	ck_assert_ptr_null(cx_pubsub_get_items_async(client, SVC, NULL, NULL));
	ck_assert_ptr_null(cx_pubsub_purge_async(NULL, SVC, "plain"));
	ck_assert_int_eq(cx_pubsub_purge(NULL, SVC, "plain", &err), CX_ERR_INVALID);
}
END_TEST

#define IN_FLIGHT 32

static void
on_published(cx_future *f, void *arg)
{
	outcome *o = arg;
	const char *id = cx_future_get_value(f);

	if (id != NULL)
		snprintf(o->text, sizeof(o->text), "%s", id);
	outcome_set(o, f);
}

START_TEST(test_pubsub_async_in_flight)
{
	/* Many requests at once, each with its own callback: each gets its
	 * own reply. */
	static outcome o[IN_FLIGHT];
	char ids[IN_FLIGHT][16];
	int i;

	for (i = 0; i < IN_FLIGHT; i++) {
		cx_future *f;

		outcome_init(&o[i]);
		snprintf(ids[i], sizeof(ids[i]), "id-%d", i);
		f = cx_pubsub_publish_async(client, SVC, "plain", ids[i], NULL, NULL);
		ck_assert_ptr_nonnull(f);
		ck_assert_int_eq(cx_future_then(f, on_published, &o[i], NULL, NULL), CX_OK);
		cx_future_unref(f);
	}
	for (i = 0; i < IN_FLIGHT; i++) {
		outcome_wait(&o[i]);
		ck_assert_int_eq(o[i].status, CX_OK);
		ck_assert_str_eq(o[i].text, ids[i]);
	}
}
END_TEST

/* ---- the pager against hostile services -------------------------------- */

/* Walks a node; returns the final status, the pages and the items seen. */
static cx_status
walk(const char *node, long page_size, unsigned max_pages, unsigned *pages,
     size_t *items, cx_error *err)
{
	cx_pubsub_pager *p = NULL;
	cx_pubsub_items *page = NULL;
	cx_status st;
	unsigned guard;

	*pages = 0;
	*items = 0;
	ck_assert_int_eq(cx_pubsub_pager_new(&p, client, SVC, node, page_size,
					     max_pages, NULL), CX_OK);
	for (guard = 0; guard < 1000; guard++) {
		st = cx_pubsub_pager_next(&page, p, err);
		if (st != CX_OK || page == NULL)
			break;
		(*pages)++;
		*items += page->count;
		cx_pubsub_items_free(page);
	}
	ck_assert_uint_lt(guard, 1000);
	ck_assert_ptr_null(page);
	/* after the end or an error, the same answer again, without a request */
	{
		int before = item_requests(node);
		cx_status again = cx_pubsub_pager_next(&page, p, NULL);

		ck_assert_int_eq(again, st);
		ck_assert_ptr_null(page);
		ck_assert_int_eq(item_requests(node), before);
	}
	cx_pubsub_pager_free(p);
	return st;
}

START_TEST(test_pubsub_pager_honest)
{
	unsigned pages;
	size_t items;

	ck_assert_int_eq(walk("paged", 10, 100, &pages, &items, NULL), CX_OK);
	ck_assert_uint_eq(pages, 3);
	ck_assert_uint_eq(items, 25);
	ck_assert_int_eq(item_requests("paged"), 3);
}
END_TEST

START_TEST(test_pubsub_pager_same_last)
{
	unsigned pages;
	size_t items;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(walk("same-last", 2, 100, &pages, &items, &err),
			 CX_ERR_PROTOCOL);
	ck_assert_msg(strstr(err.message, "no progress") != NULL, "%s", err.message);
	ck_assert_uint_eq(pages, 1);
	ck_assert_int_eq(item_requests("same-last"), 2);
}
END_TEST

START_TEST(test_pubsub_pager_empty_page)
{
	unsigned pages;
	size_t items;

	/* the service claims 10 items but the second page is empty: the end */
	ck_assert_int_eq(walk("empty-page", 2, 100, &pages, &items, NULL), CX_OK);
	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(items, 2);
	ck_assert_int_eq(item_requests("empty-page"), 2);
}
END_TEST

START_TEST(test_pubsub_pager_endless)
{
	unsigned pages;
	size_t items;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(walk("endless", 5, 7, &pages, &items, &err), CX_ERR_FULL);
	ck_assert_msg(strstr(err.message, "page cap") != NULL, "%s", err.message);
	ck_assert_uint_eq(pages, 7);
	ck_assert_uint_eq(items, 35);
	ck_assert_int_eq(item_requests("endless"), 7);
}
END_TEST

START_TEST(test_pubsub_pager_no_set)
{
	unsigned pages;
	size_t items;

	ck_assert_int_eq(walk("no-set", 2, 100, &pages, &items, NULL), CX_OK);
	ck_assert_uint_eq(pages, 1);
	ck_assert_uint_eq(items, 3);
	ck_assert_int_eq(item_requests("no-set"), 1);
}
END_TEST

static Suite *
pubsub_hostile_suite(void)
{
	Suite *s = suite_create("pubsub_hostile");
	TCase *tc;

	tc = tcase_create("async");
	tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubsub_async_then_items);
	tcase_add_test(tc, test_pubsub_async_then_error);
	tcase_add_test(tc, test_pubsub_async_unsupported);
	tcase_add_test(tc, test_pubsub_async_values);
	tcase_add_test(tc, test_pubsub_async_in_flight);
	suite_add_tcase(s, tc);

	tc = tcase_create("pager");
	tcase_add_unchecked_fixture(tc, certs_setup, certs_teardown);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubsub_pager_honest);
	tcase_add_test(tc, test_pubsub_pager_same_last);
	tcase_add_test(tc, test_pubsub_pager_empty_page);
	tcase_add_test(tc, test_pubsub_pager_endless);
	tcase_add_test(tc, test_pubsub_pager_no_set);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(pubsub_hostile_suite)

/*
 * Integration tests of XEP-0060 pubsub and XEP-0163 PEP against Prosody's
 * and ejabberd's mod_pubsub (pubsub.localhost), started by
 * tests/servers/with-server.sh. On Prosody only alice (account 1) may
 * create nodes at pubsub.localhost; on ejabberd any local user may.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include "cxmpp/cxmpp.h"
#include "cxmpp/pubsub.h"
#include "tests/integration/harness.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "%s is not set", name);
	return v;
}

static int
is_prosody(void)
{
	return strcmp(env("CX_TEST_SERVER"), "prosody") == 0;
}

static void
set(cx_settings *s, const char *key, const char *value)
{
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_settings_set_from_string(s, key, value, &err) == CX_OK,
		      "%s: %s", key, err.message);
}

static cx_client *
connect_account(int n)
{
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	char name[32];

	ck_assert_int_eq(cx_settings_new(&s, &err), CX_OK);
	snprintf(name, sizeof(name), "CX_TEST_USER%d", n);
	set(s, "jid", env(name));
	snprintf(name, sizeof(name), "CX_TEST_PASS%d", n);
	set(s, "password", env(name));
	set(s, "host", env("CX_TEST_HOST"));
	set(s, "port", env("CX_TEST_PORT"));
	set(s, "tls.ca_file", env("CX_TEST_CA"));
	set(s, "timeout_ms", "10000");
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_settings_unref(s);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect %d: %s", n, err.message);
	return c;
}

static void
unique_node(char *buf, size_t len, const char *what)
{
	static unsigned seq;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(buf, len, "cxt-%s-%ld-%09ld-%u", what, (long)ts.tv_sec, ts.tv_nsec, seq++);
}

static xmlNodePtr
entry(cx_stanza **holder, const char *title)
{
	char xml[512];
	cx_error err = CX_ERROR_INIT;

	snprintf(xml, sizeof(xml), "<message><entry xmlns='http://www.w3.org/2005/Atom'>"
		 "<title>%s</title></entry></message>", title);
	ck_assert_int_eq(cx_stanza_from_string(holder, xml, strlen(xml), &err), CX_OK);
	return cx_stanza_find_child(*holder, "http://www.w3.org/2005/Atom", "entry");
}

/* ---- collecting events ------------------------------------------------ */

#define MAX_EVENTS 64

struct events {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int n;
	cx_pubsub_event_kind kind[MAX_EVENTS];
	char node[MAX_EVENTS][128];
	char item[MAX_EVENTS][128];     /* first item id or retract id */
	char title[MAX_EVENTS][128];    /* first payload's <title/> */
	char publisher[MAX_EVENTS][128];
	char redirect[MAX_EVENTS][128];
	char from[MAX_EVENTS][256];
};

static void
events_init(struct events *e)
{
	memset(e, 0, sizeof(*e));
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->cond, NULL);
}

static void
events_destroy(struct events *e)
{
	pthread_mutex_destroy(&e->lock);
	pthread_cond_destroy(&e->cond);
}

static void
copy(char *dst, const char *src)
{
	snprintf(dst, 128, "%s", src ? src : "");
}

static void
on_event(void *arg, cx_client *c, const cx_pubsub_event *ev)
{
	struct events *e = arg;
	int i;

	(void)c;
	pthread_mutex_lock(&e->lock);
	if (e->n < MAX_EVENTS) {
		i = e->n++;
		e->kind[i] = ev->kind;
		copy(e->node[i], ev->node);
		snprintf(e->from[i], sizeof(e->from[i]), "%s", ev->from);
		if (ev->n_items > 0) {
			copy(e->item[i], ev->items[0].id);
			copy(e->publisher[i], ev->items[0].publisher);
			if (ev->items[0].payload && ev->items[0].payload->children) {
				xmlChar *t = xmlNodeGetContent(ev->items[0].payload->children);
				copy(e->title[i], (const char *)t);
				xmlFree(t);
			}
		} else if (ev->n_retracts > 0) {
			copy(e->item[i], ev->retracts[0]);
		}
		copy(e->redirect[i], ev->redirect);
	}
	pthread_cond_broadcast(&e->cond);
	pthread_mutex_unlock(&e->lock);
}

/* Waits until at least n events arrived (or 10 s). Returns the count. */
static int
events_wait(struct events *e, int n)
{
	struct timespec dl;
	int got;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&e->lock);
	while (e->n < n && pthread_cond_timedwait(&e->cond, &e->lock, &dl) == 0)
		;
	got = e->n;
	pthread_mutex_unlock(&e->lock);
	return got;
}

/* Waits (10 s at most) for an event of `kind` with item id `item` (or any
 * if NULL) at index >= from; returns its index or -1. */
static int
events_find(struct events *e, int from, cx_pubsub_event_kind kind,
	    const char *item)
{
	struct timespec dl;
	int i, found = -1;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 10;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		for (i = from; i < e->n && found < 0; i++)
			if (e->kind[i] == kind &&
			    (item == NULL || strcmp(e->item[i], item) == 0))
				found = i;
		if (found >= 0 ||
		    pthread_cond_timedwait(&e->cond, &e->lock, &dl) != 0)
			break;
	}
	if (found < 0)
		for (i = 0; i < e->n; i++)
			fprintf(stderr, "event %d: kind %d node %s item %s from %s\n",
				i, (int)e->kind[i], e->node[i], e->item[i], e->from[i]);
	pthread_mutex_unlock(&e->lock);
	return found;
}

/* As events_find, waiting `secs` seconds at most, without the dump. */
static int
events_find_for(struct events *e, int from, cx_pubsub_event_kind kind,
		const char *item, int secs)
{
	struct timespec dl;
	int i, found = -1;

	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += secs;
	pthread_mutex_lock(&e->lock);
	for (;;) {
		for (i = from; i < e->n && found < 0; i++)
			if (e->kind[i] == kind && strcmp(e->item[i], item) == 0)
				found = i;
		if (found >= 0 ||
		    pthread_cond_timedwait(&e->cond, &e->lock, &dl) != 0)
			break;
	}
	pthread_mutex_unlock(&e->lock);
	return found;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_pubsub_entity_features)
{
	cx_client *c = connect_account(1);
	cx_pubsub_info *info = NULL;
	cx_pubsub_service *svc = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_pubsub_get_info(&info, c, env("CX_TEST_PUBSUB"), NULL, &err), CX_OK);
	ck_assert_str_eq(info->category, "pubsub");
	ck_assert(cx_pubsub_info_has_feature(info, "publish"));
	ck_assert(cx_pubsub_info_has_feature(info, "create-nodes"));
	ck_assert(cx_pubsub_info_has_feature(info, "retrieve-items"));
	cx_pubsub_info_free(info);

	ck_assert_int_eq(cx_pubsub_service_new(&svc, c, env("CX_TEST_PUBSUB"), &err), CX_OK);
	ck_assert_int_eq(cx_pubsub_service_require(svc, "subscribe", &err), CX_OK);
	/* Neither server does XEP-0060 "leased-subscription". */
	ck_assert_int_eq(cx_pubsub_service_require(svc, "leased-subscription", &err),
			 CX_ERR_NOT_SUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "pubsub#leased-subscription"));
	cx_pubsub_service_free(svc);
	cx_client_free(c);
}
END_TEST

START_TEST(test_pubsub_lifecycle)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2),
		  *forger = connect_account(3);
	const char *svc = env("CX_TEST_PUBSUB");
	static const char *const config[] = { "pubsub#max_items", "100",
					      "pubsub#title", "cxmpp test",
					      "pubsub#notify_delete", "1", NULL };
	static const char *const config2[] = { "pubsub#title", "renamed", NULL };
	cx_error err = CX_ERROR_INIT;
	char node[128], *created = NULL, *id = NULL, **ids = NULL, *sub_jid;
	cx_stanza *h1, *h2, *h3, *reply = NULL;
	const xmlNode *payloads[2];
	const char *two_ids[2] = { "many-1", "many-2" };
	size_t n_ids = 0;
	cx_pubsub_items *items = NULL;
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	cx_pubsub_subscriptions *subs = NULL;
	cx_pubsub_affiliations *affs = NULL;
	cx_pubsub_pager *pager = NULL;
	cx_pubsub_node_list *nodes = NULL;
	xmlNodePtr form = NULL;
	struct events ev;
	cx_handler_id hid;
	char forged[1024];
	int i, found, pages, total;
	cx_status st;
	size_t k;

	events_init(&ev);
	unique_node(node, sizeof(node), "life");

	/* 8.1 create with a configuration form */
	ck_assert_msg(cx_pubsub_create(&created, owner, svc, node, config, &err) == CX_OK,
		      "create: %s", err.message);
	ck_assert_str_eq(created, node);
	cx_free(created);

	/* 5.2 the node is listed */
	ck_assert_int_eq(cx_pubsub_list_nodes(&nodes, owner, svc, NULL, 1, 1000, &err), CX_OK);
	for (k = 0, found = 0; k < nodes->count; k++)
		found |= nodes->v[k].node && strcmp(nodes->v[k].node, node) == 0;
	ck_assert(found);
	cx_pubsub_node_list_free(nodes);

	/* 8.2 configuration: get, submit, read back */
	ck_assert_msg(cx_pubsub_get_config(&form, &reply, owner, svc, node, &err) == CX_OK,
		      "get_config: %s", err.message);
	ck_assert_str_eq(cx_pubsub_form_value(form, "pubsub#title"), "cxmpp test");
	cx_stanza_unref(reply);
	ck_assert_msg(cx_pubsub_set_config(owner, svc, node, config2, &err) == CX_OK,
		      "set_config: %s", err.message);
	ck_assert_int_eq(cx_pubsub_get_config(&form, &reply, owner, svc, node, &err), CX_OK);
	ck_assert_str_eq(cx_pubsub_form_value(form, "pubsub#title"), "renamed");
	cx_stanza_unref(reply);

	/* 8.3 default configuration */
	ck_assert_msg(cx_pubsub_get_config(&form, &reply, owner, svc, NULL, &err) == CX_OK,
		      "default config: %s", err.message);
	ck_assert_ptr_nonnull(cx_pubsub_form_value(form, "FORM_TYPE"));
	cx_stanza_unref(reply);

	/* 6.1 subscribe, events registered for the service and node */
	hid = cx_pubsub_on_event(sub, svc, node, on_event, &ev, NULL);
	ck_assert(hid != 0);
	ck_assert_msg(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, NULL, &err) == CX_OK,
		      "subscribe: %s", err.message);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_SUBSCRIBED);
	cx_pubsub_subscriptions_free(subs);

	/* 5.6 our subscriptions, all and for the node */
	ck_assert_msg(cx_pubsub_get_subscriptions(&subs, sub, svc, NULL, &err) == CX_OK,
		      "subscriptions: %s", err.message);
	for (k = 0, found = 0; k < subs->count; k++)
		found |= strcmp(subs->v[k].node, node) == 0;
	ck_assert(found);
	cx_pubsub_subscriptions_free(subs);

	/* 7.1 publish with and without an id */
	ck_assert_msg(cx_pubsub_publish(&id, owner, svc, node, "item-1",
					entry(&h1, "first"), NULL, &err) == CX_OK,
		      "publish: %s", err.message);
	ck_assert_str_eq(id, "item-1");
	cx_free(id);
	ck_assert_int_eq(cx_pubsub_publish(&id, owner, svc, node, NULL,
					   entry(&h2, "second"), NULL, &err), CX_OK);
	ck_assert_ptr_nonnull(id);
	ck_assert(strlen(id) > 0);
	cx_free(id);

	/* 7.1 the subscriber gets the events, payload and all */
	ck_assert_int_ge(events_wait(&ev, 2), 2);
	ck_assert_int_eq(ev.kind[0], CX_PUBSUB_EVENT_ITEMS);
	ck_assert_str_eq(ev.item[0], "item-1");
	ck_assert_str_eq(ev.title[0], "first");
	ck_assert_str_eq(ev.from[0], svc);

	/* 5 (forged): a client sends the subscriber an event claiming the
	 * node; its 'from' is that client, so the handler must not see it. */
	sub_jid = cx_client_get_jid(sub);
	snprintf(forged, sizeof(forged),
		 "<message to='%s'><event xmlns='http://jabber.org/protocol/pubsub#event'>"
		 "<items node='%s'><item id='forged'><entry xmlns='http://www.w3.org/2005/Atom'>"
		 "<title>forged</title></entry></item></items></event></message>",
		 sub_jid, node);
	cx_free(sub_jid);
	ck_assert_int_eq(cx_client_send_raw(forger, forged, 0, &err), CX_OK);

	/* several items in one request */
	payloads[0] = entry(&h3, "many");
	payloads[1] = payloads[0];
	st = cx_pubsub_publish_many(&ids, &n_ids, owner, svc, node, 2, two_ids,
				    payloads, NULL, &err);
	if (is_prosody()) {
		/* Prosody 0.12 takes the first <item/> of the request and
		 * ignores the rest: one id comes back */
		ck_assert_msg(st == CX_OK, "publish_many: %s", err.message);
		ck_assert_uint_eq(n_ids, 1);
		ck_assert_str_eq(ids[0], "many-1");
	} else {
		/* ejabberd 23.01 refuses more than one item (7.1.3.6) */
		ck_assert_int_eq(st, CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(err.condition, "bad-request");
		ck_assert_str_eq(err.app_condition, "invalid-payload");
		ck_assert_uint_eq(n_ids, 0);
	}
	for (k = 0; k < n_ids; k++)
		cx_free(ids[k]);
	cx_free(ids);

	/* 6.5 all items, the last one, by id */
	ck_assert_int_eq(cx_pubsub_get_items(&items, sub, svc, node, NULL, &err), CX_OK);
	ck_assert_int_ge(items->count, 2);
	ck_assert_ptr_nonnull(items->v[0].payload);
	total = (int)items->count;
	cx_pubsub_items_free(items);
	q.max_items = 1;
	ck_assert_int_eq(cx_pubsub_get_items(&items, sub, svc, node, &q, &err), CX_OK);
	ck_assert_int_eq(items->count, 1);
	cx_pubsub_items_free(items);
	{
		static const char *const want[] = { "item-1", NULL };
		cx_pubsub_items_query qi = CX_PUBSUB_ITEMS_QUERY_INIT;

		qi.item_ids = want;
		ck_assert_int_eq(cx_pubsub_get_items(&items, sub, svc, node, &qi, &err), CX_OK);
		ck_assert_int_eq(items->count, 1);
		ck_assert_str_eq(items->v[0].id, "item-1");
		cx_pubsub_items_free(items);
	}

	/* 6.5.4 paged: the pager ends, whatever the service does with RSM */
	ck_assert_int_eq(cx_pubsub_pager_new(&pager, sub, svc, node, 1, 50, &err), CX_OK);
	for (pages = 0, i = 0;; pages++) {
		cx_status pst = cx_pubsub_pager_next(&items, pager, &err);

		ck_assert_msg(pst == CX_OK, "pager: %s", err.message);
		if (items == NULL)
			break;
		i += (int)items->count;
		cx_pubsub_items_free(items);
	}
	ck_assert_int_ge(i, 1);
	ck_assert_int_le(i, total);
	cx_pubsub_pager_free(pager);

	/* 7.2 retract with notify: the subscriber sees the retraction */
	ck_assert_msg(cx_pubsub_retract(owner, svc, node, "item-1", 1, &err) == CX_OK,
		      "retract: %s", err.message);
	i = events_find(&ev, 2, CX_PUBSUB_EVENT_ITEMS, "item-1");
	found = i >= 0 && ev.title[i][0] == '\0';
	ck_assert_msg(found, "no retract event");

	/* 8.8 / 8.9 owner views and changes */
	ck_assert_msg(cx_pubsub_owner_get_subscriptions(&subs, owner, svc, node, &err) == CX_OK,
		      "owner subscriptions: %s", err.message);
	ck_assert_int_ge(subs->count, 1);
	cx_pubsub_subscriptions_free(subs);
	{
		cx_pubsub_affiliation_entry a = { NULL, (char *)env("CX_TEST_USER3"),
						  CX_PUBSUB_AFF_PUBLISHER };

		ck_assert_msg(cx_pubsub_owner_set_affiliations(owner, svc, node, &a, 1, &err) == CX_OK,
			      "set affiliations: %s", err.message);
	}
	ck_assert_msg(cx_pubsub_owner_get_affiliations(&affs, owner, svc, node, &err) == CX_OK,
		      "owner affiliations: %s", err.message);
	for (k = 0, found = 0; k < affs->count; k++)
		found |= strcmp(affs->v[k].jid, env("CX_TEST_USER3")) == 0 &&
			 affs->v[k].affiliation == CX_PUBSUB_AFF_PUBLISHER;
	ck_assert(found);
	cx_pubsub_affiliations_free(affs);
	{
		/* 5.7 our affiliations: Prosody 0.12 does not do it (it does
		 * not advertise pubsub#retrieve-affiliations and answers
		 * service-unavailable); ejabberd does. */
		cx_pubsub_service *hs = NULL;

		ck_assert_int_eq(cx_pubsub_service_new(&hs, owner, svc, &err), CX_OK);
		st = cx_pubsub_service_require(hs, "retrieve-affiliations", &err);
		cx_pubsub_service_free(hs);
		if (is_prosody()) {
			ck_assert_int_eq(st, CX_ERR_NOT_SUPPORTED);
			ck_assert_ptr_nonnull(strstr(err.message, "pubsub#retrieve-affiliations"));
			ck_assert_int_eq(cx_pubsub_get_affiliations(&affs, owner, svc, NULL, &err),
					 CX_ERR_STANZA_ERROR);
			ck_assert_str_eq(err.condition, "service-unavailable");
		} else {
			ck_assert_int_eq(st, CX_OK);
			ck_assert_msg(cx_pubsub_get_affiliations(&affs, owner, svc, NULL, &err) == CX_OK,
				      "affiliations: %s", err.message);
			for (k = 0, found = 0; k < affs->count; k++)
				found |= strcmp(affs->v[k].node, node) == 0 &&
					 affs->v[k].affiliation == CX_PUBSUB_AFF_OWNER;
			ck_assert(found);
			cx_pubsub_affiliations_free(affs);
		}
	}

	/* 8.5 purge, 8.4 delete with redirect; 6.2 unsubscribe before */
	ck_assert_msg(cx_pubsub_purge(owner, svc, node, &err) == CX_OK, "purge: %s", err.message);
	ck_assert_int_eq(cx_pubsub_get_items(&items, owner, svc, node, NULL, &err), CX_OK);
	ck_assert_int_eq(items->count, 0);
	cx_pubsub_items_free(items);
	ck_assert_msg(cx_pubsub_delete(owner, svc, node, "xmpp:localhost?;node=elsewhere", &err) == CX_OK,
		      "delete: %s", err.message);
	found = events_find(&ev, 0, CX_PUBSUB_EVENT_DELETE, NULL) >= 0;
	ck_assert_msg(found, "no delete event");

	/* the forged event never reached the handler */
	pthread_mutex_lock(&ev.lock);
	for (i = 0; i < ev.n; i++) {
		ck_assert_str_ne(ev.item[i], "forged");
		ck_assert_str_eq(ev.from[i], svc);
	}
	pthread_mutex_unlock(&ev.lock);

	/* the node is gone: a clear stanza error */
	ck_assert_int_eq(cx_pubsub_get_items(&items, owner, svc, node, NULL, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "item-not-found");

	cx_client_remove_handler(sub, hid);
	cx_stanza_unref(h1);
	cx_stanza_unref(h2);
	cx_stanza_unref(h3);
	cx_client_free(forger);
	cx_client_free(sub);
	cx_client_free(owner);
	events_destroy(&ev);
}
END_TEST

START_TEST(test_pubsub_instant_node_and_errors)
{
	cx_client *owner = connect_account(1);
	const char *svc = env("CX_TEST_PUBSUB");
	cx_error err = CX_ERROR_INIT;
	char *created = NULL, *id = NULL, node[128];
	cx_stanza *h;
	static const char *const opts[] = { "pubsub#access_model", "whitelist", NULL };
	static const char *const cfg[] = { "pubsub#access_model", "open", NULL };
	cx_status st;

	/* 8.1.2 instant node */
	st = cx_pubsub_create(&created, owner, svc, NULL, NULL, &err);
	ck_assert_msg(st == CX_OK, "instant: %s", err.message);
	ck_assert(strlen(created) > 0);
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, created, NULL, &err), CX_OK);
	cx_free(created);

	/* 7.1.5 publish-options that do not match: precondition-not-met */
	unique_node(node, sizeof(node), "precond");
	ck_assert_int_eq(cx_pubsub_create(NULL, owner, svc, node, cfg, &err), CX_OK);
	st = cx_pubsub_publish(&id, owner, svc, node, "x", entry(&h, "p"), opts, &err);
	ck_assert_msg(st == CX_ERR_STANZA_ERROR, "publish-options: %s", err.message);
	ck_assert_str_eq(err.app_condition, "precondition-not-met");
	ck_assert_str_eq(err.condition, "conflict");
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);

	/* creating the same node twice: conflict */
	unique_node(node, sizeof(node), "dup");
	ck_assert_int_eq(cx_pubsub_create(NULL, owner, svc, node, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_pubsub_create(NULL, owner, svc, node, NULL, &err), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "conflict");
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
	cx_stanza_unref(h);
	cx_client_free(owner);
}
END_TEST

START_TEST(test_pubsub_create_permission)
{
	/* Only alice may create nodes on Prosody's pubsub.localhost. */
	cx_client *c = connect_account(2);
	cx_error err = CX_ERROR_INIT;
	char node[128];
	cx_status st;

	unique_node(node, sizeof(node), "perm");
	st = cx_pubsub_create(NULL, c, env("CX_TEST_PUBSUB"), node, NULL, &err);
	if (is_prosody()) {
		ck_assert_int_eq(st, CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(err.condition, "forbidden");
	} else {
		ck_assert_msg(st == CX_OK, "create: %s", err.message);
		ck_assert_int_eq(cx_pubsub_delete(c, env("CX_TEST_PUBSUB"), node, NULL, &err), CX_OK);
	}
	cx_client_free(c);
}
END_TEST

START_TEST(test_pubsub_pep_publish_and_read)
{
	cx_client *c = connect_account(4);
	cx_error err = CX_ERROR_INIT;
	char *id = NULL;
	cx_stanza *h;
	cx_pubsub_items *items = NULL;

	ck_assert_msg(cx_pep_publish(&id, c, "urn:xmpp:cxmpp:test:0", "current",
				     entry(&h, "pep"), NULL, &err) == CX_OK,
		      "pep publish: %s", err.message);
	ck_assert_str_eq(id, "current");
	cx_free(id);
	ck_assert_msg(cx_pubsub_get_items(&items, c, env("CX_TEST_USER4"),
					  "urn:xmpp:cxmpp:test:0", NULL, &err) == CX_OK,
		      "pep items: %s", err.message);
	ck_assert_int_eq(items->count, 1);
	ck_assert_str_eq(items->v[0].id, "current");
	cx_pubsub_items_free(items);
	cx_stanza_unref(h);
	cx_client_free(c);
}
END_TEST

/* ---- PEP by interest (XEP-0163 section 4) -------------------------------- */

struct subs_state {
	pthread_mutex_t lock;
	int subscribed;  /* 'subscribed' answers received */
};

/* Approves every subscription request and counts approvals received. */
static cx_handler_result
auto_approve(void *arg, cx_client *c, cx_stanza *s)
{
	struct subs_state *st = arg;
	const char *type = cx_stanza_get_type(s), *from = cx_stanza_get_from(s);
	char xml[512];

	if (type == NULL || from == NULL)
		return CX_HANDLER_PASS;
	if (strcmp(type, "subscribe") == 0) {
		snprintf(xml, sizeof(xml), "<presence to='%s' type='subscribed'/>", from);
		cx_client_send_raw(c, xml, 0, NULL);
		return CX_HANDLER_CONSUMED;
	}
	if (strcmp(type, "subscribed") == 0) {
		pthread_mutex_lock(&st->lock);
		st->subscribed++;
		pthread_mutex_unlock(&st->lock);
		return CX_HANDLER_CONSUMED;
	}
	return CX_HANDLER_PASS;
}

static int
subscribed_count(struct subs_state *st)
{
	int n;

	pthread_mutex_lock(&st->lock);
	n = st->subscribed;
	pthread_mutex_unlock(&st->lock);
	return n;
}

START_TEST(test_pubsub_pep_notify_interest)
{
	cx_client *a = connect_account(4), *b = connect_account(5),
		  *forger = connect_account(3);
	const char *a_jid = env("CX_TEST_USER4"), *b_jid = env("CX_TEST_USER5");
	struct subs_state sa = { PTHREAD_MUTEX_INITIALIZER, 0 },
			  sb = { PTHREAD_MUTEX_INITIALIZER, 0 };
	cx_error err = CX_ERROR_INIT;
	struct events ev;
	char node[128], xml[1024], item[64], *b_full, *ver = NULL;
	cx_handler_id ha, hb, hev;
	cx_stanza *h = NULL;
	int i, found = -1, tries;
	cx_disco_info *own = NULL;

	events_init(&ev);
	unique_node(node, sizeof(node), "urn:pep");
	ha = cx_client_on_presence(a, auto_approve, &sa, NULL, 0);
	hb = cx_client_on_presence(b, auto_approve, &sb, NULL, 0);
	ck_assert(ha != 0 && hb != 0);

	/* a mutual presence subscription; Prosody routes subscription
	 * presence to interested resources only (RFC 6121 2.1.6: those that
	 * asked for the roster) */
	for (i = 0; i < 2; i++) {
		cx_stanza *iq = NULL;

		ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", NULL, "jabber:iq:roster",
						  "query", NULL), CX_OK);
		ck_assert_msg(cx_client_call(NULL, i ? b : a, iq, 10000, &err) == CX_OK,
			      "roster: %s", err.message);
		cx_stanza_unref(iq);
	}
	snprintf(xml, sizeof(xml), "<presence to='%s' type='subscribe'/>", b_jid);
	ck_assert_int_eq(cx_client_send_raw(a, xml, 0, &err), CX_OK);
	snprintf(xml, sizeof(xml), "<presence to='%s' type='subscribe'/>", a_jid);
	ck_assert_int_eq(cx_client_send_raw(b, xml, 0, &err), CX_OK);
	for (i = 0; i < 200 && (subscribed_count(&sa) < 1 || subscribed_count(&sb) < 1); i++)
		usleep(50 * 1000);
	ck_assert_msg(subscribed_count(&sa) >= 1 && subscribed_count(&sb) >= 1,
		      "no mutual subscription within 10 s");

	/* without interest, a's publication does not reach b */
	hev = cx_pep_on_event(b, node, on_event, &ev, NULL);
	ck_assert(hev != 0);
	ck_assert_msg(cx_pep_publish(NULL, a, node, "before", entry(&h, "before"), NULL,
				     &err) == CX_OK, "pep publish: %s", err.message);
	ck_assert_int_eq(events_find_for(&ev, 0, CX_PUBSUB_EVENT_ITEMS, "before", 2), -1);

	/* b's interest: node+notify in its caps, announced in presence */
	ck_assert_msg(cx_pep_add_interest(b, node, 1, &err) == CX_OK,
		      "add_interest: %s", err.message);
	ck_assert_int_eq(cx_disco_get_own_info(&own, b, NULL, &err), CX_OK);
	snprintf(xml, sizeof(xml), "%s+notify", node);
	ck_assert(cx_disco_info_has_feature(own, xml));
	cx_disco_info_free(own);
	ck_assert_int_eq(cx_caps_get_ver(&ver, b, &err), CX_OK);
	cx_free(ver);

	/* a publishes until the event arrives (the servers learn b's caps
	 * asynchronously: disco#info to b for node#ver) */
	for (tries = 0; tries < 8 && found < 0; tries++) {
		snprintf(item, sizeof(item), "pep-%d", tries);
		cx_stanza_unref(h);
		h = NULL;
		ck_assert_msg(cx_pep_publish(NULL, a, node, item, entry(&h, "tune"), NULL,
					     &err) == CX_OK, "pep publish: %s", err.message);
		found = events_find_for(&ev, 0, CX_PUBSUB_EVENT_ITEMS, item, 3);
	}
	ck_assert_msg(found >= 0, "no PEP event for %s on %s", node,
		      env("CX_TEST_SERVER"));
	ck_assert_str_eq(ev.from[found], a_jid);
	ck_assert_str_eq(ev.node[found], node);
	ck_assert_str_eq(ev.title[found], "tune");

	/* attribution: an event for the node sent by another account (from
	 * its full JID) is not PEP data of anyone: dropped */
	b_full = cx_client_get_jid(b);
	snprintf(xml, sizeof(xml),
		 "<message to='%s'><event xmlns='http://jabber.org/protocol/pubsub#event'>"
		 "<items node='%s'><item id='forged'><entry xmlns='http://www.w3.org/2005/Atom'>"
		 "<title>forged</title></entry></item></items></event></message>",
		 b_full, node);
	cx_free(b_full);
	ck_assert_int_eq(cx_client_send_raw(forger, xml, 0, &err), CX_OK);
	/* a marker published after the forgery arrives after it */
	cx_stanza_unref(h);
	h = NULL;
	ck_assert_int_eq(cx_pep_publish(NULL, a, node, "marker", entry(&h, "m"), NULL, &err), CX_OK);
	ck_assert_int_ge(events_find_for(&ev, 0, CX_PUBSUB_EVENT_ITEMS, "marker", 10), 0);
	pthread_mutex_lock(&ev.lock);
	for (i = 0; i < ev.n; i++) {
		ck_assert_str_ne(ev.item[i], "forged");
		ck_assert_str_eq(ev.from[i], a_jid);
	}
	pthread_mutex_unlock(&ev.lock);

	/* no more interest: the feature is gone from b's caps */
	ck_assert_int_eq(cx_pep_remove_interest(b, node, 1, &err), CX_OK);
	ck_assert_int_eq(cx_pep_remove_interest(b, node, 0, &err), CX_ERR_NOT_FOUND);
	ck_assert_int_eq(cx_pep_add_interest(b, "bad#node", 0, &err), CX_ERR_INVALID);

	cx_client_remove_handler(b, hev);
	cx_client_remove_handler(a, ha);
	cx_client_remove_handler(b, hb);
	cx_stanza_unref(h);
	cx_client_free(forger);
	cx_client_free(b);
	cx_client_free(a);
	events_destroy(&ev);
}
END_TEST

/* ---- subscriber options, authorize access model, owner subscriptions ---- */

/* Authorization requests seen by an owner (8.6), answered by the test. */
struct auth_requests {
	pthread_mutex_t lock;
	int n;
	cx_pubsub_event *ev[8];
};

static void
on_auth(void *arg, cx_client *c, const cx_pubsub_event *ev)
{
	struct auth_requests *a = arg;
	cx_pubsub_event *copy = NULL;

	(void)c;
	if (ev->kind != CX_PUBSUB_EVENT_AUTHORIZATION)
		return;
	/* keep our own parse of the message for after the handler */
	if (cx_pubsub_event_parse(&copy, ev->stanza, NULL) != CX_OK)
		return;
	pthread_mutex_lock(&a->lock);
	if (a->n < 8)
		a->ev[a->n++] = copy;
	else
		cx_pubsub_event_free(copy);
	pthread_mutex_unlock(&a->lock);
}

static cx_pubsub_event *
auth_wait(struct auth_requests *a, const char *jid_prefix)
{
	int i, t;
	cx_pubsub_event *found = NULL;

	for (t = 0; t < 200 && found == NULL; t++) {
		pthread_mutex_lock(&a->lock);
		for (i = 0; i < a->n && found == NULL; i++)
			if (a->ev[i]->jid && strncmp(a->ev[i]->jid, jid_prefix,
						     strlen(jid_prefix)) == 0)
				found = a->ev[i];
		pthread_mutex_unlock(&a->lock);
		if (found == NULL)
			usleep(50 * 1000);
	}
	return found;
}

/* Our subscription state at a node (NONE if not listed). */
static cx_pubsub_sub_state
my_state(cx_client *c, const char *svc, const char *node)
{
	cx_pubsub_subscriptions *subs = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_sub_state st = CX_PUBSUB_SUB_NONE;
	size_t k;

	ck_assert_msg(cx_pubsub_get_subscriptions(&subs, c, svc, node, &err) == CX_OK,
		      "subscriptions: %s", err.message);
	for (k = 0; k < subs->count; k++)
		if (subs->v[k].node && strcmp(subs->v[k].node, node) == 0)
			st = subs->v[k].state;
	cx_pubsub_subscriptions_free(subs);
	return st;
}

START_TEST(test_pubsub_subscriber_options_and_owner)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2);
	const char *svc = env("CX_TEST_PUBSUB"), *carol = env("CX_TEST_USER3");
	static const char *const open_cfg[] = { "pubsub#access_model", "open", NULL };
	static const char *const sub_opts[] = { "pubsub#deliver", "1", NULL };
	static const char *const sub_opts2[] = { "pubsub#deliver", "0", NULL };
	cx_error err = CX_ERROR_INIT;
	char node[128], *subid = NULL;
	cx_pubsub_subscriptions *subs = NULL;
	xmlNodePtr form = NULL;
	cx_stanza *reply = NULL;
	cx_pubsub_subscription s1 = { NULL, (char *)carol, NULL, NULL,
				      CX_PUBSUB_SUB_SUBSCRIBED, 0, 0 };
	cx_status st;
	size_t k;
	int found;

	unique_node(node, sizeof(node), "opts");
	ck_assert_int_eq(cx_pubsub_create(NULL, owner, svc, node, open_cfg, &err), CX_OK);

	/* 6.3.7 subscribe with options */
	ck_assert_msg(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, sub_opts, &err) == CX_OK,
		      "subscribe with options: %s", err.message);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_SUBSCRIBED);
	if (is_prosody()) {
		ck_assert_ptr_null(subs->v[0].subid); /* Prosody uses no subids */
	} else {
		ck_assert_ptr_nonnull(subs->v[0].subid);
		subid = strdup(subs->v[0].subid);
	}
	cx_pubsub_subscriptions_free(subs);

	/* 6.3 get and set subscription options: Prosody does them; ejabberd
	 * 23.01 answers feature-not-implemented + unsupported */
	st = cx_pubsub_get_options(&form, &reply, sub, svc, node, NULL, subid, &err);
	if (is_prosody()) {
		ck_assert_msg(st == CX_OK, "get_options: %s", err.message);
		ck_assert_str_eq(cx_pubsub_form_value(form, "FORM_TYPE"), CX_NS_PUBSUB_SUB_OPTIONS);
		cx_stanza_unref(reply);
		ck_assert_msg(cx_pubsub_set_options(sub, svc, node, NULL, subid, sub_opts2, &err) == CX_OK,
			      "set_options: %s", err.message);
	} else {
		ck_assert_int_eq(st, CX_ERR_NOT_SUPPORTED);
		ck_assert_ptr_nonnull(strstr(err.message, "pubsub#subscription-options"));
		ck_assert_int_eq(cx_pubsub_set_options(sub, svc, node, NULL, subid, sub_opts2, &err),
				 CX_ERR_NOT_SUPPORTED);
	}

	/* 6.2 unsubscribe with the subid (none on Prosody) */
	ck_assert_msg(cx_pubsub_unsubscribe(sub, svc, node, NULL, subid, &err) == CX_OK,
		      "unsubscribe: %s", err.message);
	ck_assert_int_eq(my_state(sub, svc, node), CX_PUBSUB_SUB_NONE);
	free(subid);

	/* 8.8.2 the owner subscribes carol, then removes her */
	ck_assert_msg(cx_pubsub_owner_set_subscriptions(owner, svc, node, &s1, 1, &err) == CX_OK,
		      "owner set subscriptions: %s", err.message);
	ck_assert_int_eq(cx_pubsub_owner_get_subscriptions(&subs, owner, svc, node, &err), CX_OK);
	for (k = 0, found = 0; k < subs->count; k++)
		found |= strncmp(subs->v[k].jid, carol, strlen(carol)) == 0 &&
			 subs->v[k].state == CX_PUBSUB_SUB_SUBSCRIBED;
	ck_assert(found);
	cx_pubsub_subscriptions_free(subs);
	s1.state = CX_PUBSUB_SUB_NONE;
	ck_assert_msg(cx_pubsub_owner_set_subscriptions(owner, svc, node, &s1, 1, &err) == CX_OK,
		      "owner remove subscription: %s", err.message);
	ck_assert_int_eq(cx_pubsub_owner_get_subscriptions(&subs, owner, svc, node, &err), CX_OK);
	for (k = 0; k < subs->count; k++)
		ck_assert_int_ne(strncmp(subs->v[k].jid, carol, strlen(carol)), 0);
	cx_pubsub_subscriptions_free(subs);

	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
	cx_client_free(sub);
	cx_client_free(owner);
}
END_TEST

START_TEST(test_pubsub_authorize_access_model)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2),
		  *carol = connect_account(3);
	const char *svc = env("CX_TEST_PUBSUB");
	static const char *const auth_cfg[] = { "pubsub#access_model", "authorize", NULL };
	struct auth_requests ar = { PTHREAD_MUTEX_INITIALIZER, 0, { NULL } };
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *subs = NULL;
	cx_pubsub_event *req;
	cx_handler_id hid;
	char node[128];
	cx_status st;
	int i;

	unique_node(node, sizeof(node), "auth");
	hid = cx_pubsub_on_event(owner, svc, node, on_auth, &ar, NULL);
	ck_assert(hid != 0);
	st = cx_pubsub_create(NULL, owner, svc, node, auth_cfg, &err);
	if (is_prosody()) {
		/* Prosody 0.12 has no "authorize" access model */
		ck_assert_int_eq(st, CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(err.condition, "not-acceptable");
		goto out;
	}
	ck_assert_msg(st == CX_OK, "create: %s", err.message);

	/* 6.1.5 a pending subscription, and 8.6 the owner's request */
	ck_assert_int_eq(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_PENDING);
	cx_pubsub_subscriptions_free(subs);
	ck_assert_int_eq(cx_pubsub_subscribe(&subs, carol, svc, node, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_PENDING);
	cx_pubsub_subscriptions_free(subs);
	ck_assert_int_eq(my_state(sub, svc, node), CX_PUBSUB_SUB_PENDING);

	/* approve bob, deny carol through the authorization form */
	req = auth_wait(&ar, env("CX_TEST_USER2"));
	ck_assert_msg(req != NULL, "no authorization request for bob");
	ck_assert_str_eq(req->node, node);
	ck_assert_int_eq(cx_pubsub_authorize(owner, req, 1, &err), CX_OK);
	req = auth_wait(&ar, env("CX_TEST_USER3"));
	ck_assert_msg(req != NULL, "no authorization request for carol");
	ck_assert_int_eq(cx_pubsub_authorize(owner, req, 0, &err), CX_OK);
	for (i = 0; i < 100 && my_state(sub, svc, node) != CX_PUBSUB_SUB_SUBSCRIBED; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(my_state(sub, svc, node), CX_PUBSUB_SUB_SUBSCRIBED);
	for (i = 0; i < 100 && my_state(carol, svc, node) != CX_PUBSUB_SUB_NONE; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(my_state(carol, svc, node), CX_PUBSUB_SUB_NONE);
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
out:
	cx_client_remove_handler(owner, hid);
	for (i = 0; i < ar.n; i++)
		cx_pubsub_event_free(ar.ev[i]);
	cx_client_free(carol);
	cx_client_free(sub);
	cx_client_free(owner);
}
END_TEST

/* Authorization requests received for subscribers whose JID starts with
 * jid_prefix. */
static int
auth_count(struct auth_requests *a, const char *jid_prefix)
{
	int i, n = 0;

	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->n; i++)
		n += a->ev[i]->jid && strncmp(a->ev[i]->jid, jid_prefix,
					      strlen(jid_prefix)) == 0;
	pthread_mutex_unlock(&a->lock);
	return n;
}

/* The newest authorization request for jid_prefix after `seen` of them
 * (10 s at most), or NULL. */
static cx_pubsub_event *
auth_wait_new(struct auth_requests *a, const char *jid_prefix, int seen)
{
	cx_pubsub_event *found = NULL;
	int i, t;

	for (t = 0; t < 200 && auth_count(a, jid_prefix) <= seen; t++)
		usleep(50 * 1000);
	pthread_mutex_lock(&a->lock);
	for (i = 0; i < a->n; i++)
		if (a->ev[i]->jid && strncmp(a->ev[i]->jid, jid_prefix,
					     strlen(jid_prefix)) == 0)
			found = a->ev[i];
	pthread_mutex_unlock(&a->lock);
	return auth_count(a, jid_prefix) > seen ? found : NULL;
}

static int
has_node(char **nodes, size_t n, const char *node)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(nodes[i], node) == 0)
			return 1;
	return 0;
}

static void
free_names(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		cx_free(v[i]);
	cx_free(v);
}

/* 8.7 the get-pending command: ejabberd lists the node with a pending
 * request and sends its authorization request again when asked; Prosody
 * 0.12 answers the command with service-unavailable. */
START_TEST(test_pubsub_get_pending)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2);
	const char *svc = env("CX_TEST_PUBSUB"), *bob = env("CX_TEST_USER2");
	static const char *const auth_cfg[] = { "pubsub#access_model", "authorize", NULL };
	struct auth_requests ar = { PTHREAD_MUTEX_INITIALIZER, 0, { NULL } };
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *subs = NULL;
	const cx_pubsub_pending *pv;
	cx_pubsub_event *req;
	cx_future *f;
	cx_handler_id hid;
	char node[128], **nodes = NULL;
	size_t n = 0;
	cx_status st;
	int i, seen;

	unique_node(node, sizeof(node), "pending");
	hid = cx_pubsub_on_event(owner, svc, NULL, on_auth, &ar, NULL);
	ck_assert(hid != 0);
	if (is_prosody()) {
		st = cx_pubsub_get_pending_nodes(&nodes, &n, owner, svc, &err);
		ck_assert_int_eq(st, CX_ERR_NOT_SUPPORTED);
		ck_assert_str_eq(err.condition, "service-unavailable");
		ck_assert_msg(strstr(err.message, "pubsub#get-pending") != NULL, "%s", err.message);
		ck_assert_ptr_null(nodes);
		ck_assert_int_eq(cx_pubsub_request_pending(owner, svc, "any", &err),
				 CX_ERR_NOT_SUPPORTED);
		ck_assert_msg(strstr(err.message, "pubsub#get-pending") != NULL, "%s", err.message);
		f = cx_pubsub_get_pending_nodes_async(owner, svc);
		ck_assert_ptr_nonnull(f);
		cx_future_wait(f, CX_TIMEOUT_INFINITE, NULL);
		ck_assert_int_eq(cx_future_get_error(f, &err), CX_ERR_NOT_SUPPORTED);
		ck_assert_msg(strstr(err.message, "pubsub#get-pending") != NULL, "%s", err.message);
		cx_future_unref(f);
		goto out;
	}
	ck_assert_msg(cx_pubsub_create(NULL, owner, svc, node, auth_cfg, &err) == CX_OK,
		      "create: %s", err.message);
	/* nothing pending yet at this node: request_pending refuses it */
	ck_assert_int_eq(cx_pubsub_request_pending(owner, svc, node, &err), CX_ERR_NOT_FOUND);

	ck_assert_int_eq(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_PENDING);
	cx_pubsub_subscriptions_free(subs);
	ck_assert_msg(auth_wait_new(&ar, bob, 0) != NULL, "no first authorization request");
	seen = auth_count(&ar, bob);

	/* the list, blocking and through the future */
	ck_assert_msg(cx_pubsub_get_pending_nodes(&nodes, &n, owner, svc, &err) == CX_OK,
		      "get-pending: %s", err.message);
	ck_assert_msg(has_node(nodes, n, node), "%s not among %zu pending nodes", node, n);
	free_names(nodes, n);
	f = cx_pubsub_get_pending_nodes_async(owner, svc);
	ck_assert_ptr_nonnull(f);
	cx_future_wait(f, CX_TIMEOUT_INFINITE, NULL);
	ck_assert_int_eq(cx_future_get_error(f, &err), CX_OK);
	pv = cx_future_get_value(f);
	ck_assert(has_node(pv->nodes, pv->count, node));
	cx_future_unref(f);

	/* asking for the node's requests sends bob's again; approve that one */
	ck_assert_msg(cx_pubsub_request_pending(owner, svc, node, &err) == CX_OK,
		      "request pending: %s", err.message);
	req = auth_wait_new(&ar, bob, seen);
	ck_assert_msg(req != NULL, "no authorization request after get-pending");
	ck_assert_str_eq(req->node, node);
	ck_assert_int_eq(cx_pubsub_authorize(owner, req, 1, &err), CX_OK);
	for (i = 0; i < 100 && my_state(sub, svc, node) != CX_PUBSUB_SUB_SUBSCRIBED; i++)
		usleep(50 * 1000);
	ck_assert_int_eq(my_state(sub, svc, node), CX_PUBSUB_SUB_SUBSCRIBED);

	/* approved: the node is no longer listed */
	ck_assert_int_eq(cx_pubsub_get_pending_nodes(&nodes, &n, owner, svc, &err), CX_OK);
	ck_assert(!has_node(nodes, n, node));
	free_names(nodes, n);
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
out:
	cx_client_remove_handler(owner, hid);
	for (i = 0; i < ar.n; i++)
		cx_pubsub_event_free(ar.ev[i]);
	cx_client_free(sub);
	cx_client_free(owner);
}
END_TEST

/* Entries named `node` in a listing, and the depth of the last one (-1). */
static int
listed_depth(const cx_pubsub_node_list *l, const char *node)
{
	size_t k;
	int d = -1;

	for (k = 0; k < l->count; k++)
		if (l->v[k].node && strcmp(l->v[k].node, node) == 0)
			d = l->v[k].depth;
	return d;
}

/*
 * Section 9 collections, measured: a collection node and a leaf created
 * with pubsub#collection naming it. Prosody 0.12 has no collections (no
 * pubsub#collections feature; node_type and collection are ignored: both
 * nodes are leaves). ejabberd 23.01 (nodetree tree, plugin flat)
 * advertises pubsub#collections, creates a collection node and keeps the
 * leaf's pubsub#collection in its configuration, but the flat plugin
 * takes a node's parents from its name only: the collection lists no
 * children and its subscribers get no events of the leaf. No setting of
 * ejabberd 23.01 changes that: it accepts only the flat and pep plugins
 * (hometree and dag were removed; nodetree dag does not exist), and it
 * advertises pubsub#collections whatever the plugin. The missing
 * event is shown without a sleep: the subscriber then subscribes to the
 * leaf itself and receives a second item, which the service sent after
 * the first one's notification would have been.
 */
START_TEST(test_pubsub_collections)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2);
	const char *svc = env("CX_TEST_PUBSUB");
	static const char *const coll_cfg[] = { "pubsub#node_type", "collection", NULL };
	static const char *const sub_opts[] = { "pubsub#subscription_type", "items",
						"pubsub#subscription_depth", "all", NULL };
	const char *leaf_cfg[] = { "pubsub#collection", NULL,
				   "pubsub#send_last_published_item", "never", NULL };
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *subs = NULL;
	cx_pubsub_node_list *nodes = NULL;
	cx_pubsub_info *info = NULL;
	xmlNodePtr form = NULL;
	cx_stanza *reply = NULL, *h1, *h2;
	struct events ev;
	cx_handler_id hid;
	char coll[128], leaf[128];
	int i;

	events_init(&ev);
	unique_node(coll, sizeof(coll), "coll");
	unique_node(leaf, sizeof(leaf), "leaf");
	leaf_cfg[1] = coll;
	hid = cx_pubsub_on_event(sub, svc, NULL, on_event, &ev, NULL);
	ck_assert(hid != 0);

	/* the service's feature */
	ck_assert_int_eq(cx_pubsub_get_info(&info, owner, svc, NULL, &err), CX_OK);
	if (is_prosody()) {
		ck_assert_int_eq(cx_pubsub_require_feature(info, "collections", &err),
				 CX_ERR_NOT_SUPPORTED);
		ck_assert_msg(strstr(err.message, "pubsub#collections") != NULL, "%s", err.message);
	} else {
		ck_assert_int_eq(cx_pubsub_require_feature(info, "collections", &err), CX_OK);
	}
	cx_pubsub_info_free(info);
	info = NULL;

	/* a collection node: accepted by both; a collection only on ejabberd */
	ck_assert_msg(cx_pubsub_create(NULL, owner, svc, coll, coll_cfg, &err) == CX_OK,
		      "create collection: %s", err.message);
	ck_assert_int_eq(cx_pubsub_get_info(&info, owner, svc, coll, &err), CX_OK);
	ck_assert_str_eq(info->type, is_prosody() ? "leaf" : "collection");
	cx_pubsub_info_free(info);
	info = NULL;
	ck_assert_int_eq(cx_pubsub_get_config(&form, &reply, owner, svc, coll, &err), CX_OK);
	if (is_prosody())
		ck_assert_ptr_null(cx_pubsub_form_value(form, "pubsub#node_type"));
	else
		ck_assert_str_eq(cx_pubsub_form_value(form, "pubsub#node_type"), "collection");
	cx_stanza_unref(reply);
	reply = NULL;

	/* a leaf associated with it: ejabberd keeps the association */
	ck_assert_msg(cx_pubsub_create(NULL, owner, svc, leaf, leaf_cfg, &err) == CX_OK,
		      "create leaf: %s", err.message);
	ck_assert_int_eq(cx_pubsub_get_config(&form, &reply, owner, svc, leaf, &err), CX_OK);
	if (is_prosody())
		ck_assert_ptr_null(cx_pubsub_form_value(form, "pubsub#collection"));
	else
		ck_assert_str_eq(cx_pubsub_form_value(form, "pubsub#collection"), coll);
	cx_stanza_unref(reply);
	reply = NULL;

	/* the walk: neither server lists the leaf under the collection */
	ck_assert_int_eq(cx_pubsub_list_nodes(&nodes, owner, svc, coll, 0, 100, &err), CX_OK);
	ck_assert_int_eq(listed_depth(nodes, leaf), -1);
	cx_pubsub_node_list_free(nodes);
	ck_assert_int_eq(cx_pubsub_list_nodes(&nodes, owner, svc, NULL, 1, 1000, &err), CX_OK);
	ck_assert_int_eq(listed_depth(nodes, coll), 0);
	ck_assert_int_eq(listed_depth(nodes, leaf), 0); /* at the root, not at depth 1 */
	cx_pubsub_node_list_free(nodes);

	/* subscribing to the collection (items, all depths) is accepted ... */
	ck_assert_msg(cx_pubsub_subscribe(&subs, sub, svc, coll, NULL, sub_opts, &err) == CX_OK,
		      "subscribe to the collection: %s", err.message);
	ck_assert_int_eq(subs->v[0].state, CX_PUBSUB_SUB_SUBSCRIBED);
	cx_pubsub_subscriptions_free(subs);
	ck_assert_int_eq(cx_pubsub_publish(NULL, owner, svc, leaf, "c1", entry(&h1, "one"),
					   NULL, &err), CX_OK);
	/* ... but brings no event of the leaf: only the leaf's own
	 * subscribers get them (c2 arrives, c1 never did) */
	ck_assert_int_eq(cx_pubsub_subscribe(&subs, sub, svc, leaf, NULL, NULL, &err), CX_OK);
	cx_pubsub_subscriptions_free(subs);
	ck_assert_int_eq(cx_pubsub_publish(NULL, owner, svc, leaf, "c2", entry(&h2, "two"),
					   NULL, &err), CX_OK);
	i = events_find(&ev, 0, CX_PUBSUB_EVENT_ITEMS, "c2");
	ck_assert_msg(i >= 0, "no event for an item of the leaf");
	ck_assert_str_eq(ev.node[i], leaf);
	ck_assert_int_eq(events_find_for(&ev, 0, CX_PUBSUB_EVENT_ITEMS, "c1", 0), -1);
	cx_stanza_unref(h1);
	cx_stanza_unref(h2);

	ck_assert_int_eq(cx_pubsub_delete(owner, svc, leaf, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, coll, NULL, &err), CX_OK);
	cx_client_remove_handler(sub, hid);
	cx_client_free(sub);
	cx_client_free(owner);
	events_destroy(&ev);
}
END_TEST

/*
 * 5.3 node metadata: disco#info of a node carries a pubsub#meta-data form
 * with what its configuration set. Both servers give title, description,
 * type and access model; ejabberd 23.01 also the owner and the number of
 * subscribers, which Prosody 0.12 leaves out.
 */
START_TEST(test_pubsub_node_metadata)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2);
	const char *svc = env("CX_TEST_PUBSUB"), *alice = env("CX_TEST_USER1");
	static const char *const cfg[] = { "pubsub#title", "cxmpp metadata",
					   "pubsub#description", "a node to read back",
					   "pubsub#type", "http://www.w3.org/2005/Atom",
					   "pubsub#access_model", "open", NULL };
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *subs = NULL;
	cx_pubsub_info *info = NULL;
	cx_form *form = NULL;
	const char *v;
	char node[128];

	unique_node(node, sizeof(node), "meta");
	ck_assert_msg(cx_pubsub_create(NULL, owner, svc, node, cfg, &err) == CX_OK,
		      "create: %s", err.message);
	ck_assert_msg(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, NULL, &err) == CX_OK,
		      "subscribe: %s", err.message);
	cx_pubsub_subscriptions_free(subs);

	ck_assert_msg(cx_pubsub_get_info(&info, sub, svc, node, &err) == CX_OK,
		      "info: %s", err.message);
	ck_assert_str_eq(info->category, "pubsub");
	ck_assert_str_eq(info->type, "leaf");
	ck_assert_ptr_nonnull(info->meta_data);
	/* a well-formed XEP-0004 result form of the meta-data FORM_TYPE */
	ck_assert_msg(cx_form_parse(&form, info->meta_data, &err) == CX_OK,
		      "meta-data form: %s", err.message);
	ck_assert_int_eq(cx_form_get_type(form), CX_FORM_RESULT);
	ck_assert_str_eq(cx_form_get_form_type(form), CX_NS_PUBSUB_META_DATA);
	cx_form_free(form);

	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#title"), "cxmpp metadata");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#description"),
			 "a node to read back");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#type"),
			 "http://www.w3.org/2005/Atom");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#access_model"), "open");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#publish_model"), "publishers");
	v = cx_pubsub_form_value(info->meta_data, "pubsub#owner");
	if (is_prosody()) {
		ck_assert_ptr_null(v);
		ck_assert_ptr_null(cx_pubsub_form_value(info->meta_data, "pubsub#num_subscribers"));
	} else {
		ck_assert_ptr_nonnull(v);
		ck_assert_str_eq(v, alice); /* the bare JID */
		ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#num_subscribers"), "1");
	}
	cx_pubsub_info_free(info);
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
	cx_client_free(sub);
	cx_client_free(owner);
}
END_TEST

/* ---- interop with slixmpp (tests/interop/slix_pubsub.py) ---------------- */

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts slix_pubsub.py (account 5); *out_fd is its stdout. */
static pid_t
slix_start(const char *mode, const char *node, int *out_fd)
{
	char script[4096];
	int pfd[2];
	pid_t pid;

	snprintf(script, sizeof(script), "%s/tests/interop/slix_pubsub.py",
		 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl("/usr/bin/python3", "python3", script, "--mode", mode, "--node",
		      node, "--item", "slix-1", "--title", "from slixmpp",
		      "--timeout", "30", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* Reads the peer's stdout into buf until `word` appears or ms pass. */
static int
slix_expect(int fd, char *buf, size_t cap, const char *word, int ms)
{
	size_t len = strlen(buf);
	int64_t dl = mono_ms() + ms;

	while (strstr(buf, word) == NULL && mono_ms() < dl) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf + len, cap - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return strstr(buf, word) != NULL;
}

/* Waits for the peer to exit (bounded), killing it by PID if it does not. */
static int
slix_wait(pid_t pid, int ms)
{
	int64_t dl = mono_ms() + ms;
	int status = 0;

	while (mono_ms() < dl) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

START_TEST(test_pubsub_interop_slixmpp)
{
	cx_client *owner = connect_account(1), *sub = connect_account(2);
	const char *svc = env("CX_TEST_PUBSUB");
	static const char *const open_cfg[] = { "pubsub#access_model", "open",
						"pubsub#publish_model", "open", NULL };
	cx_error err = CX_ERROR_INIT;
	cx_atom_entry e = CX_ATOM_ENTRY_INIT;
	cx_atom_entry *got = NULL;
	cx_pubsub_subscriptions *subs = NULL;
	xmlNodePtr payload = NULL;
	struct events ev;
	char node[128], out[4096] = "";
	cx_handler_id hid;
	pid_t pid;
	int fd, i;

	events_init(&ev);
	unique_node(node, sizeof(node), "interop");
	ck_assert_int_eq(cx_pubsub_create(NULL, owner, svc, node, open_cfg, &err), CX_OK);

	/* cxmpp publishes, a slixmpp subscriber receives */
	pid = slix_start("subscribe", node, &fd);
	ck_assert_msg(slix_expect(fd, out, sizeof(out), "ready", 20000),
		      "slixmpp did not subscribe: %s", out);
	e.title.value = "from cxmpp";
	ck_assert_int_eq(cx_atom_entry_build(&payload, &e, &err), CX_OK);
	ck_assert_msg(cx_pubsub_publish(NULL, owner, svc, node, "cx-1", payload, NULL,
					&err) == CX_OK, "publish: %s", err.message);
	xmlFreeDoc(payload->doc);
	ck_assert_msg(slix_expect(fd, out, sizeof(out), "item cx-1 from cxmpp", 20000),
		      "slixmpp did not receive the item: %s", out);
	ck_assert_int_eq(slix_wait(pid, 20000), 0);
	close(fd);

	/* slixmpp publishes, a cxmpp event handler receives */
	hid = cx_pubsub_on_event(sub, svc, node, on_event, &ev, NULL);
	ck_assert(hid != 0);
	ck_assert_int_eq(cx_pubsub_subscribe(&subs, sub, svc, node, NULL, NULL, &err), CX_OK);
	cx_pubsub_subscriptions_free(subs);
	out[0] = '\0';
	pid = slix_start("publish", node, &fd);
	ck_assert_msg(slix_expect(fd, out, sizeof(out), "ok", 20000),
		      "slixmpp did not publish: %s", out);
	ck_assert_int_eq(slix_wait(pid, 20000), 0);
	close(fd);
	i = events_find(&ev, 0, CX_PUBSUB_EVENT_ITEMS, "slix-1");
	ck_assert_msg(i >= 0, "no event for slixmpp's item");
	ck_assert_str_eq(ev.title[i], "from slixmpp");
	ck_assert_str_eq(ev.from[i], svc);
	{
		/* and the stored item reads as an Atom entry */
		static const char *const want[] = { "slix-1", NULL };
		cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
		cx_pubsub_items *items = NULL;

		q.item_ids = want;
		ck_assert_int_eq(cx_pubsub_get_items(&items, sub, svc, node, &q, &err), CX_OK);
		ck_assert_uint_eq(items->count, 1);
		ck_assert_int_eq(cx_atom_entry_parse(&got, items->v[0].payload, &err), CX_OK);
		ck_assert_str_eq(got->title.value, "from slixmpp");
		ck_assert_str_eq(got->id, "urn:slix:slix-1");
		ck_assert_int_eq(got->updated_time, 1704067200);
		cx_atom_entry_free(got);
		cx_pubsub_items_free(items);
	}
	ck_assert_int_eq(cx_pubsub_delete(owner, svc, node, NULL, &err), CX_OK);
	cx_client_remove_handler(sub, hid);
	cx_client_free(sub);
	cx_client_free(owner);
	events_destroy(&ev);
}
END_TEST

static Suite *
pubsub_suite(void)
{
	Suite *s = suite_create("pubsub");
	TCase *tc = tcase_create("pubsub");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pubsub_entity_features);
	tcase_add_test(tc, test_pubsub_lifecycle);
	tcase_add_test(tc, test_pubsub_instant_node_and_errors);
	tcase_add_test(tc, test_pubsub_create_permission);
	tcase_add_test(tc, test_pubsub_pep_publish_and_read);
	tcase_add_test(tc, test_pubsub_pep_notify_interest);
	tcase_add_test(tc, test_pubsub_subscriber_options_and_owner);
	tcase_add_test(tc, test_pubsub_authorize_access_model);
	tcase_add_test(tc, test_pubsub_get_pending);
	tcase_add_test(tc, test_pubsub_interop_slixmpp);
	suite_add_tcase(s, tc);

	tc = tcase_create("collections");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pubsub_collections);
	suite_add_tcase(s, tc);

	tc = tcase_create("metadata");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubsub_node_metadata);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(pubsub_suite, "both")

/*
 * Integration tests of lib/im (RFC 6121) against Prosody and ejabberd, and
 * interop with slixmpp (tests/interop/slix_peer.py). Account use, so that
 * tests do not see each other's roster changes: roster CRUD and
 * versioning on alice (1); the forged push from bob (2) to alice; message
 * from bob to carol (3); subscription handshake carol <-> dave (4); slixmpp
 * runs as eve (5) against dave and carol.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cxmpp/cxmpp.h"
#include "tests/integration/harness.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0',
		      "%s is not set: run under tests/servers/with-server.sh", name);
	return v;
}

static char *
user(int n)
{
	char name[32];

	snprintf(name, sizeof(name), "CX_TEST_USER%d", n);
	return (char *)env(name);
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set(cx_settings *s, const char *key, const char *value)
{
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_settings_set_from_string(s, key, value, &err) == CX_OK,
		      "setting %s: %s", key, err.message);
}

static cx_client *
client_for(int n, const char *resource)
{
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	char name[32];

	ck_assert_int_eq(cx_settings_new(&s, &err), CX_OK);
	set(s, "jid", user(n));
	snprintf(name, sizeof(name), "CX_TEST_PASS%d", n);
	set(s, "password", env(name));
	set(s, "host", env("CX_TEST_HOST"));
	set(s, "port", env("CX_TEST_PORT"));
	set(s, "tls.ca_file", env("CX_TEST_CA"));
	set(s, "timeout_ms", "10000");
	set(s, "connect_timeout_ms", "10000");
	if (resource != NULL)
		set(s, "resource", resource);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_settings_unref(s);
	return c;
}

static void
connect_ok(cx_client *c)
{
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_client_connect(c, &err);

	ck_assert_msg(st == CX_OK, "connect: %s (%s)", cx_strerror(st), err.message);
}

/* Polls `cond` every 20 ms for up to `ms`; returns its last value. */
#define WAIT_UNTIL(cond, ms)                                               \
	({                                                                 \
		int64_t dl_ = now_ms() + (ms);                             \
		int ok_;                                                   \
		while (!(ok_ = (cond)) && now_ms() < dl_)                  \
			usleep(20000);                                     \
		ok_;                                                       \
	})

/* The item for jid in c's roster cache, matching a predicate. */
static int
cache_has(cx_client *c, const char *jid, const char *name,
	  cx_roster_subscription sub, int want_present)
{
	cx_roster *r = NULL;
	const cx_roster_item *it;
	int ok;

	if (cx_roster_get_cache(&r, c, NULL) != CX_OK)
		return 0;
	it = cx_roster_find(r, jid);
	if (!want_present)
		ok = it == NULL;
	else
		ok = it != NULL &&
		     (name == NULL || (cx_roster_item_get_name(it) &&
				       strcmp(cx_roster_item_get_name(it), name) == 0)) &&
		     ((int)sub < 0 || cx_roster_item_get_subscription(it) == sub);
	cx_roster_free(r);
	return ok;
}

/* ---- roster ---------------------------------------------------------- */

struct pushes {
	pthread_mutex_t lock;
	int n;
	char last_jid[256];
	cx_roster_subscription last_sub;
};

static void
on_push(void *arg, cx_client *c, const cx_roster_item *it, const char *ver)
{
	struct pushes *p = arg;

	(void)c;
	(void)ver;
	pthread_mutex_lock(&p->lock);
	p->n++;
	snprintf(p->last_jid, sizeof(p->last_jid), "%s", cx_roster_item_get_jid(it));
	p->last_sub = cx_roster_item_get_subscription(it);
	pthread_mutex_unlock(&p->lock);
}

static int
pushes_seen(struct pushes *p)
{
	int n;

	pthread_mutex_lock(&p->lock);
	n = p->n;
	pthread_mutex_unlock(&p->lock);
	return n;
}

START_TEST(test_im_roster_crud)
{
	static struct pushes p = { PTHREAD_MUTEX_INITIALIZER, 0, "", 0 };
	const char *groups[] = { "Friends", "Work" };
	const char *groups2[] = { "Family" };
	const char *contact = "crud-contact@localhost";
	cx_client *c = client_for(1, "crud");
	cx_roster *r = NULL;
	const cx_roster_item *it;
	cx_error err = CX_ERROR_INIT;
	cx_future *f;
	cx_status st;

	ck_assert_int_eq(cx_roster_enable(c, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_roster_set_push_handler(c, on_push, &p, NULL, &err), CX_OK);
	connect_ok(c);
	ck_assert_int_eq(cx_roster_fetch(c, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	/* add */
	st = cx_roster_update(c, contact, "Crud", groups, 2, CX_TIMEOUT_DEFAULT, &err);
	ck_assert_msg(st == CX_OK, "update: %s %s", cx_strerror(st), err.condition);
	ck_assert(WAIT_UNTIL(cache_has(c, contact, "Crud", CX_ROSTER_SUB_NONE, 1), 10000));
	ck_assert(WAIT_UNTIL(pushes_seen(&p) >= 1, 10000));
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_OK);
	it = cx_roster_find(r, contact);
	ck_assert_uint_eq(cx_roster_item_group_count(it), 2);
	cx_roster_free(r);
	/* update (async twin) */
	f = cx_roster_update_async(c, contact, "Crud 2", groups2, 1, CX_TIMEOUT_DEFAULT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_ptr_null(cx_future_get_value(f)); /* a set's result carries nothing */
	cx_future_unref(f);
	ck_assert(WAIT_UNTIL(cache_has(c, contact, "Crud 2", -1, 1), 10000));
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_OK);
	it = cx_roster_find(r, contact);
	ck_assert_uint_eq(cx_roster_item_group_count(it), 1);
	ck_assert_str_eq(cx_roster_item_group_at(it, 0), "Family");
	cx_roster_free(r);
	/* a second fetch agrees with what the pushes built */
	ck_assert_int_eq(cx_roster_fetch(c, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(cache_has(c, contact, "Crud 2", -1, 1));
	/* remove */
	ck_assert_int_eq(cx_roster_remove(c, contact, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(WAIT_UNTIL(cache_has(c, contact, NULL, -1, 0), 10000));
	ck_assert(WAIT_UNTIL(pushes_seen(&p) >= 3, 10000));
	pthread_mutex_lock(&p.lock);
	ck_assert_str_eq(p.last_jid, contact);
	ck_assert_int_eq(p.last_sub, CX_ROSTER_SUB_REMOVE);
	pthread_mutex_unlock(&p.lock);
	/* removing it again: Prosody says item-not-found (RFC 6121 2.5.3);
	 * ejabberd 23.01 answers with an empty result */
	st = cx_roster_remove(c, contact, CX_TIMEOUT_DEFAULT, &err);
	if (strcmp(env("CX_TEST_SERVER"), "prosody") == 0) {
		ck_assert_int_eq(st, CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(err.condition, "item-not-found");
	} else {
		ck_assert_int_eq(st, CX_OK);
	}
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
}
END_TEST

/* What a then-callback of cx_roster_fetch_async saw: the status and the
 * name of `contact` in the future's value (the parsed roster). */
struct fetched {
	pthread_mutex_t lock;
	int done;
	cx_status st;
	int has_value;
	char name[64];
	const char *contact;
};

static void
on_fetched(cx_future *f, void *arg)
{
	struct fetched *fd = arg;
	const cx_roster *r = cx_future_get_value(f);
	const cx_roster_item *it = r ? cx_roster_find(r, fd->contact) : NULL;
	const char *name = it ? cx_roster_item_get_name(it) : NULL;

	pthread_mutex_lock(&fd->lock);
	fd->st = cx_future_get_error(f, NULL);
	fd->has_value = r != NULL;
	snprintf(fd->name, sizeof(fd->name), "%s", name ? name : "(none)");
	fd->done = 1;
	pthread_mutex_unlock(&fd->lock);
}

static int
fetched_done(struct fetched *fd)
{
	int d;

	pthread_mutex_lock(&fd->lock);
	d = fd->done;
	pthread_mutex_unlock(&fd->lock);
	return d;
}

START_TEST(test_im_roster_versioning)
{
	static struct fetched fetched = { .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *contact = "ver-contact@localhost";
	cx_client *c = client_for(1, "ver1"), *c2;
	cx_roster *r = NULL, *back = NULL, *r2 = NULL;
	cx_stanza *get = NULL, *reply = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_future *f;
	char *xml = NULL, *xml2 = NULL;

	ck_assert_int_eq(cx_roster_enable(c, NULL, &err), CX_OK);
	connect_ok(c);
	ck_assert_int_eq(cx_roster_update(c, contact, "V", NULL, 0, CX_TIMEOUT_DEFAULT,
					  &err), CX_OK);
	/* the async twin: a then-callback receives the parsed roster, and
	 * the cache is up to date once the future settled */
	fetched.contact = contact;
	f = cx_roster_fetch_async(c, CX_TIMEOUT_DEFAULT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_then(f, on_fetched, &fetched, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(cache_has(c, contact, "V", -1, 1));
	ck_assert(WAIT_UNTIL(fetched_done(&fetched), 10000));
	cx_future_unref(f);
	pthread_mutex_lock(&fetched.lock);
	ck_assert_int_eq(fetched.st, CX_OK);
	ck_assert(fetched.has_value);
	ck_assert_str_eq(fetched.name, "V");
	pthread_mutex_unlock(&fetched.lock);
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_OK);
	/* Both servers here version the roster (Prosody always; ejabberd's
	 * mod_roster has versioning: true in tests/servers/ejabberd.sh). */
	ck_assert_msg(cx_roster_get_version(r) != NULL, "%s sent no roster version",
		      env("CX_TEST_SERVER"));
	/* unchanged since that version: an empty result */
	ck_assert_int_eq(cx_roster_build_get(&get, cx_roster_get_version(r), &err), CX_OK);
	ck_assert_int_eq(cx_client_call(&reply, c, get, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_msg(cx_stanza_payload(reply) == NULL,
		      "expected an empty result for an unchanged roster");
	cx_stanza_unref(reply);
	cx_stanza_unref(get);
	/* persist, hand back to a new client, fetch: the cache survives */
	ck_assert_int_eq(cx_roster_to_string(&xml, r, &err), CX_OK);
	ck_assert_int_eq(cx_roster_from_string(&back, xml, strlen(xml), &err), CX_OK);
	c2 = client_for(1, "ver2");
	ck_assert_int_eq(cx_roster_enable(c2, back, &err), CX_OK);
	connect_ok(c2);
	ck_assert_int_eq(cx_roster_fetch(c2, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_int_eq(cx_roster_get_cache(&r2, c2, &err), CX_OK);
	ck_assert_int_eq(cx_roster_to_string(&xml2, r2, &err), CX_OK);
	ck_assert_str_eq(xml, xml2);
	/* a change while c2 is away arrives with the next fetch */
	ck_assert_int_eq(cx_client_disconnect(c2, &err), CX_OK);
	ck_assert_int_eq(cx_roster_update(c, contact, "V2", NULL, 0, CX_TIMEOUT_DEFAULT,
					  &err), CX_OK);
	connect_ok(c2);
	ck_assert_int_eq(cx_roster_fetch(c2, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(WAIT_UNTIL(cache_has(c2, contact, "V2", -1, 1), 10000));
	ck_assert_int_eq(cx_roster_remove(c, contact, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	cx_free(xml);
	cx_free(xml2);
	cx_roster_free(r);
	cx_roster_free(r2);
	cx_roster_free(back);
	cx_client_disconnect(c2, NULL);
	cx_client_free(c2);
	cx_client_disconnect(c, NULL);
	cx_client_free(c);
}
END_TEST

START_TEST(test_im_roster_forged_push)
{
	cx_client *alice = client_for(1, "victim"), *bob = client_for(2, "forger");
	cx_roster *before = NULL, *after = NULL;
	cx_stanza *forged = NULL, *reply = NULL;
	char *alice_jid, *x1 = NULL, *x2 = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;

	ck_assert_int_eq(cx_roster_enable(alice, NULL, &err), CX_OK);
	connect_ok(alice);
	connect_ok(bob);
	ck_assert_int_eq(cx_roster_fetch(alice, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_int_eq(cx_roster_get_cache(&before, alice, &err), CX_OK);
	alice_jid = cx_client_get_jid(alice);
	ck_assert_int_eq(cx_roster_build_set(&forged, "mallory@evil.example", "Trust me",
					     NULL, 0, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_to(forged, alice_jid, &err), CX_OK);
	st = cx_client_call(&reply, bob, forged, CX_TIMEOUT_DEFAULT, &err);
	ck_assert_msg(st == CX_ERR_STANZA_ERROR, "forged push: %s", cx_strerror(st));
	ck_assert_str_eq(err.condition, "service-unavailable");
	ck_assert_int_eq(cx_roster_get_cache(&after, alice, &err), CX_OK);
	ck_assert_ptr_null(cx_roster_find(after, "mallory@evil.example"));
	ck_assert_int_eq(cx_roster_to_string(&x1, before, &err), CX_OK);
	ck_assert_int_eq(cx_roster_to_string(&x2, after, &err), CX_OK);
	ck_assert_str_eq(x1, x2);
	cx_free(x1);
	cx_free(x2);
	cx_free(alice_jid);
	cx_stanza_unref(reply);
	cx_stanza_unref(forged);
	cx_roster_free(before);
	cx_roster_free(after);
	cx_client_disconnect(bob, NULL);
	cx_client_disconnect(alice, NULL);
	cx_client_free(bob);
	cx_client_free(alice);
}
END_TEST

/* ---- presence and subscriptions -------------------------------------- */

struct subs {
	pthread_mutex_t lock;
	int approve;      /* approve incoming requests */
	int subscribe_from_peer;
	int subscribed_from_peer;
	char peer[256];
};

static void
on_sub(void *arg, cx_client *c, const cx_presence *p)
{
	struct subs *s = arg;
	char *bare = NULL;
	cx_jid *j = NULL;

	if (cx_jid_parse(&j, cx_presence_get_from(p), NULL) != CX_OK)
		return;
	bare = strdup(cx_jid_bare_string(j));
	cx_jid_free(j);
	pthread_mutex_lock(&s->lock);
	if (bare && strcmp(bare, s->peer) == 0) {
		if (cx_presence_get_type(p) == CX_PRESENCE_SUBSCRIBE) {
			s->subscribe_from_peer++;
			if (s->approve)
				cx_presence_approve(c, bare, NULL);
		} else if (cx_presence_get_type(p) == CX_PRESENCE_SUBSCRIBED) {
			s->subscribed_from_peer++;
		}
	}
	pthread_mutex_unlock(&s->lock);
	free(bare);
}

static int
subs_get(struct subs *s, int which)
{
	int v;

	pthread_mutex_lock(&s->lock);
	v = which ? s->subscribed_from_peer : s->subscribe_from_peer;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Whether c's presence cache shows a resource of jid with show/status. */
static int
presence_shows(cx_client *c, const char *jid, cx_presence_show show,
	       const char *status)
{
	cx_presence_list *l = NULL;
	int ok = 0;

	if (cx_presence_get_cached(&l, c, jid, NULL) != CX_OK)
		return 0;
	for (size_t i = 0; i < cx_presence_list_count(l); i++) {
		const cx_presence *p = cx_presence_list_at(l, i);

		if (cx_presence_get_show(p) == show &&
		    (status == NULL || (cx_presence_get_status(p) &&
					strcmp(cx_presence_get_status(p), status) == 0)))
			ok = 1;
	}
	cx_presence_list_free(l);
	return ok;
}

/* 1 when our request to jid is pending, 0 when not, -1 without an item. */
static int
pending_out(cx_client *c, const char *jid)
{
	cx_roster *r = NULL;
	const cx_roster_item *it;
	int v;

	if (cx_roster_get_cache(&r, c, NULL) != CX_OK)
		return -1;
	it = cx_roster_find(r, jid);
	v = it ? cx_roster_item_is_pending_out(it) : -1;
	cx_roster_free(r);
	return v;
}

static void
enable_all(cx_client *c, struct subs *s)
{
	ck_assert_int_eq(cx_roster_enable(c, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_presence_enable(c, NULL), CX_OK);
	ck_assert_int_eq(cx_presence_set_subscription_handler(c, on_sub, s, NULL, NULL),
			 CX_OK);
}

START_TEST(test_im_presence_subscription_handshake)
{
	static struct subs sc = { PTHREAD_MUTEX_INITIALIZER, 1, 0, 0, "" };
	static struct subs sd = { PTHREAD_MUTEX_INITIALIZER, 1, 0, 0, "" };
	cx_client *carol = client_for(3, "hs"), *dave = client_for(4, "hs");
	cx_error err = CX_ERROR_INIT;

	snprintf(sc.peer, sizeof(sc.peer), "%s", user(4));
	snprintf(sd.peer, sizeof(sd.peer), "%s", user(3));
	enable_all(carol, &sc);
	enable_all(dave, &sd);
	connect_ok(carol);
	connect_ok(dave);
	ck_assert_int_eq(cx_roster_fetch(carol, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_int_eq(cx_roster_fetch(dave, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	/* dave goes "away" first; once carol is subscribed, her server
	 * delivers it (RFC 6121 3.1.5) */
	ck_assert_int_eq(cx_presence_send(dave, NULL, CX_SHOW_AWAY, "walking the dog",
					  3, &err), CX_OK);
	/* carol asks, dave's handler approves; and back */
	ck_assert_int_eq(cx_presence_subscribe(carol, user(4), &err), CX_OK);
	ck_assert(WAIT_UNTIL(subs_get(&sd, 0) >= 1, 10000));
	ck_assert(WAIT_UNTIL(subs_get(&sc, 1) >= 1, 10000));
	ck_assert(WAIT_UNTIL(cache_has(carol, user(4), NULL, CX_ROSTER_SUB_TO, 1), 10000));
	ck_assert(WAIT_UNTIL(presence_shows(carol, user(4), CX_SHOW_AWAY,
					    "walking the dog"), 10000));
	ck_assert_int_eq(cx_presence_subscribe(dave, user(3), &err), CX_OK);
	ck_assert(WAIT_UNTIL(cache_has(carol, user(4), NULL, CX_ROSTER_SUB_BOTH, 1), 10000));
	ck_assert(WAIT_UNTIL(cache_has(dave, user(3), NULL, CX_ROSTER_SUB_BOTH, 1), 10000));
	/* dave sees carol online too, with her new show */
	ck_assert_int_eq(cx_presence_send(carol, NULL, CX_SHOW_DND, "busy", 0, &err), CX_OK);
	ck_assert(WAIT_UNTIL(presence_shows(dave, user(3), CX_SHOW_DND, "busy"), 10000));
	/* dave goes offline: carol's cache forgets him */
	ck_assert_int_eq(cx_presence_disconnect(dave, "bye", &err), CX_OK);
	ck_assert(WAIT_UNTIL(!presence_shows(carol, user(4), CX_SHOW_AWAY, NULL), 10000));
	{
		cx_presence_list *l = NULL;

		ck_assert_int_eq(cx_presence_get_cached(&l, carol, user(4), &err), CX_OK);
		ck_assert_uint_eq(cx_presence_list_count(l), 0);
		cx_presence_list_free(l);
	}
	/* clean up: both cancel and unsubscribe, then remove the items */
	connect_ok(dave);
	ck_assert_int_eq(cx_presence_unsubscribe(carol, user(4), &err), CX_OK);
	ck_assert_int_eq(cx_presence_cancel(carol, user(4), &err), CX_OK);
	ck_assert(WAIT_UNTIL(cache_has(carol, user(4), NULL, CX_ROSTER_SUB_NONE, 1), 10000));
	ck_assert_int_eq(cx_roster_remove(carol, user(4), CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_int_eq(cx_roster_fetch(dave, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	if (!cache_has(dave, user(3), NULL, -1, 0))
		cx_roster_remove(dave, user(3), CX_TIMEOUT_DEFAULT, NULL);
	cx_client_disconnect(dave, NULL);
	cx_client_disconnect(carol, NULL);
	cx_client_free(dave);
	cx_client_free(carol);
}
END_TEST

START_TEST(test_im_presence_deny)
{
	static struct subs sb = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "" };
	static struct subs sa = { PTHREAD_MUTEX_INITIALIZER, 0, 0, 0, "" };
	cx_client *alice = client_for(1, "deny"), *bob = client_for(2, "deny");
	cx_error err = CX_ERROR_INIT;

	snprintf(sb.peer, sizeof(sb.peer), "%s", user(1));
	snprintf(sa.peer, sizeof(sa.peer), "%s", user(2));
	enable_all(alice, &sa);
	enable_all(bob, &sb);
	connect_ok(alice);
	connect_ok(bob);
	ck_assert_int_eq(cx_roster_fetch(alice, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_int_eq(cx_presence_subscribe(alice, user(2), &err), CX_OK);
	/* pending out: ask='subscribe' on alice's item */
	ck_assert(WAIT_UNTIL(pending_out(alice, user(2)) == 1, 10000));
	ck_assert(WAIT_UNTIL(subs_get(&sb, 0) >= 1, 10000));
	ck_assert_int_eq(cx_presence_deny(bob, user(1), &err), CX_OK);
	ck_assert(WAIT_UNTIL(cache_has(alice, user(2), NULL, CX_ROSTER_SUB_NONE, 1), 10000));
	/* after the refusal, nothing is pending any more */
	ck_assert(WAIT_UNTIL(pending_out(alice, user(2)) == 0, 10000));
	ck_assert_int_eq(cx_roster_remove(alice, user(2), CX_TIMEOUT_DEFAULT, &err), CX_OK);
	cx_client_disconnect(bob, NULL);
	cx_client_disconnect(alice, NULL);
	cx_client_free(bob);
	cx_client_free(alice);
}
END_TEST

/* ---- messages -------------------------------------------------------- */

struct inbox {
	pthread_mutex_t lock;
	cx_stanza *got;
	const char *thread; /* the one we wait for */
};

static cx_handler_result
on_msg(void *arg, cx_client *c, const cx_message *m)
{
	struct inbox *in = arg;

	(void)c;
	pthread_mutex_lock(&in->lock);
	if (in->got == NULL && cx_message_get_thread(m) &&
	    strcmp(cx_message_get_thread(m), in->thread) == 0)
		in->got = cx_stanza_ref(cx_message_get_stanza(m));
	pthread_mutex_unlock(&in->lock);
	return CX_HANDLER_CONSUMED;
}

static int
inbox_has(struct inbox *in)
{
	int v;

	pthread_mutex_lock(&in->lock);
	v = in->got != NULL;
	pthread_mutex_unlock(&in->lock);
	return v;
}

START_TEST(test_im_message_thread_subject_langs)
{
	static struct inbox in = { PTHREAD_MUTEX_INITIALIZER, NULL, "cx-thread-7" };
	const cx_message_text bodies[] = { { NULL, "Hello Carol" }, { "de", "Hallo Carol" },
					   { "fr", "Salut Carol" } };
	const cx_message_text subjects[] = { { NULL, "Plans" }, { "de", "Pläne" } };
	cx_message_spec spec = CX_MESSAGE_SPEC_INIT;
	cx_client *bob = client_for(2, "msg"), *carol = client_for(3, "msg");
	cx_message *m = NULL;
	cx_error err = CX_ERROR_INIT;
	char *bob_jid;

	ck_assert(cx_message_on(carol, on_msg, &in, NULL, 0) != 0);
	connect_ok(carol);
	connect_ok(bob);
	spec.to = cx_client_get_jid(carol);
	spec.type = CX_MESSAGE_CHAT;
	spec.lang = "en";
	spec.bodies = bodies;
	spec.nbodies = 3;
	spec.subjects = subjects;
	spec.nsubjects = 2;
	spec.thread = "cx-thread-7";
	spec.thread_parent = "cx-thread-6";
	ck_assert_int_eq(cx_message_send(bob, &spec, &err), CX_OK);
	ck_assert(WAIT_UNTIL(inbox_has(&in), 10000));
	ck_assert_int_eq(cx_message_parse(&m, in.got, &err), CX_OK);
	ck_assert_int_eq(cx_message_get_type(m), CX_MESSAGE_CHAT);
	bob_jid = cx_client_get_jid(bob);
	ck_assert_str_eq(cx_message_get_from(m), bob_jid);
	ck_assert_str_eq(cx_message_get_body(m, NULL), "Hello Carol");
	ck_assert_str_eq(cx_message_get_body(m, "en"), "Hello Carol");
	ck_assert_str_eq(cx_message_get_body(m, "de"), "Hallo Carol");
	ck_assert_str_eq(cx_message_get_body(m, "fr"), "Salut Carol");
	ck_assert_str_eq(cx_message_get_subject(m, NULL), "Plans");
	ck_assert_str_eq(cx_message_get_subject(m, "de"), "Pläne");
	ck_assert_str_eq(cx_message_get_thread(m), "cx-thread-7");
	ck_assert_str_eq(cx_message_get_thread_parent(m), "cx-thread-6");
	ck_assert_int_eq(cx_message_get_delay(m, NULL, NULL, NULL), CX_ERR_NOT_FOUND);
	cx_message_free(m);
	cx_free(bob_jid);
	cx_free((char *)spec.to);
	cx_stanza_unref(in.got);
	cx_client_disconnect(bob, NULL);
	cx_client_disconnect(carol, NULL);
	cx_client_free(bob);
	cx_client_free(carol);
}
END_TEST

START_TEST(test_im_message_offline_delay)
{
	static struct inbox in = { PTHREAD_MUTEX_INITIALIZER, NULL, "cx-offline-1" };
	cx_message_spec spec = CX_MESSAGE_SPEC_INIT;
	const cx_message_text bodies[] = { { NULL, "while you were out" } };
	cx_client *bob = client_for(2, "off"), *carol = client_for(3, "off");
	cx_message *m = NULL;
	cx_error err = CX_ERROR_INIT;
	int64_t sec = 0;
	time_t t0 = time(NULL);

	connect_ok(bob);
	spec.to = user(3); /* carol is offline: the server stores it */
	spec.type = CX_MESSAGE_CHAT;
	spec.bodies = bodies;
	spec.nbodies = 1;
	spec.thread = "cx-offline-1";
	ck_assert_int_eq(cx_message_send(bob, &spec, &err), CX_OK);
	/* a round trip so that the server has stored it */
	ck_assert_int_eq(cx_roster_enable(bob, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_roster_fetch(bob, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(cx_message_on(carol, on_msg, &in, NULL, 0) != 0);
	connect_ok(carol);
	ck_assert(WAIT_UNTIL(inbox_has(&in), 10000));
	ck_assert_int_eq(cx_message_parse(&m, in.got, &err), CX_OK);
	ck_assert_str_eq(cx_message_get_body(m, NULL), "while you were out");
	/* offline storage stamps it (XEP-0203) */
	ck_assert_int_eq(cx_message_get_delay(m, &sec, NULL, NULL), CX_OK);
	ck_assert_msg(sec >= (int64_t)t0 - 120 && sec <= (int64_t)time(NULL) + 120,
		      "delay stamp %lld far from now", (long long)sec);
	cx_message_free(m);
	cx_stanza_unref(in.got);
	cx_client_disconnect(bob, NULL);
	cx_client_disconnect(carol, NULL);
	cx_client_free(bob);
	cx_client_free(carol);
}
END_TEST

/* ---- interop with slixmpp -------------------------------------------- */

/* Starts slix_peer.py; *out_fd is its stdout. */
static pid_t
slix_start(const char *mode, const char *peer, int *out_fd)
{
	char script[4096];
	int pfd[2];
	pid_t pid;

	snprintf(script, sizeof(script), "%s/tests/interop/slix_peer.py",
		 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execl("/usr/bin/python3", "python3", script, "--mode", mode, "--peer",
		      peer, "--timeout", "30", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*out_fd = pfd[0];
	return pid;
}

/* Reads the peer's stdout until `word` appears or ms pass. */
static int
slix_expect(int fd, const char *word, int ms)
{
	static char buf[4096];
	static size_t len;
	int64_t dl = now_ms() + ms;

	while (now_ms() < dl) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t n;

		buf[len] = '\0';
		if (strstr(buf, word) != NULL)
			return 1;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return strstr(buf, word) != NULL;
}

/* Waits for the peer to exit (bounded), killing it by PID if it does not. */
static int
slix_wait(pid_t pid, int ms)
{
	int64_t dl = now_ms() + ms;
	int status = 0;

	while (now_ms() < dl) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		usleep(50000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

START_TEST(test_im_interop_slixmpp_handshake)
{
	static struct subs sd = { PTHREAD_MUTEX_INITIALIZER, 1, 0, 0, "" };
	cx_client *dave = client_for(4, "slix");
	cx_error err = CX_ERROR_INIT;
	int fd, rc;
	pid_t pid;

	snprintf(sd.peer, sizeof(sd.peer), "%s", user(5));
	enable_all(dave, &sd);
	connect_ok(dave);
	ck_assert_int_eq(cx_roster_fetch(dave, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	/* dave asks first; slixmpp (auto_authorize) approves when it logs in */
	ck_assert_int_eq(cx_presence_subscribe(dave, user(5), &err), CX_OK);
	pid = slix_start("handshake", user(4), &fd);
	ck_assert_msg(slix_expect(fd, "ready", 30000), "slixmpp did not log in");
	/* slixmpp asks dave, dave's handler approves, slixmpp sees it */
	ck_assert(WAIT_UNTIL(subs_get(&sd, 0) >= 1, 15000));
	ck_assert_msg(slix_expect(fd, "ok", 20000), "slixmpp saw no approval");
	rc = slix_wait(pid, 15000);
	close(fd);
	ck_assert_int_eq(rc, 0);
	ck_assert(WAIT_UNTIL(cache_has(dave, user(5), NULL, CX_ROSTER_SUB_BOTH, 1), 10000));
	ck_assert_int_ge(subs_get(&sd, 1), 1);
	cx_roster_remove(dave, user(5), CX_TIMEOUT_DEFAULT, NULL);
	cx_client_disconnect(dave, NULL);
	cx_client_free(dave);
}
END_TEST

START_TEST(test_im_interop_slixmpp_message)
{
	static struct inbox in = { PTHREAD_MUTEX_INITIALIZER, NULL, "slix-thread-1" };
	cx_client *carol = client_for(3, "slixmsg");
	cx_message *m = NULL;
	cx_error err = CX_ERROR_INIT;
	char *carol_jid;
	int fd, rc;
	pid_t pid;

	ck_assert(cx_message_on(carol, on_msg, &in, NULL, 0) != 0);
	connect_ok(carol);
	carol_jid = cx_client_get_jid(carol);
	pid = slix_start("message", carol_jid, &fd);
	ck_assert(WAIT_UNTIL(inbox_has(&in), 30000));
	rc = slix_wait(pid, 20000);
	close(fd);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(cx_message_parse(&m, in.got, &err), CX_OK);
	ck_assert_int_eq(cx_message_get_type(m), CX_MESSAGE_CHAT);
	ck_assert_str_eq(cx_message_get_body(m, NULL), "Hello from slixmpp");
	ck_assert_str_eq(cx_message_get_body(m, "de"), "Hallo von slixmpp");
	ck_assert_str_eq(cx_message_get_subject(m, NULL), "Interop");
	ck_assert_str_eq(cx_message_get_thread(m), "slix-thread-1");
	ck_assert_str_eq(cx_message_get_thread_parent(m), "slix-parent-0");
	ck_assert_ptr_nonnull(strstr(cx_message_get_from(m), user(5)));
	cx_message_free(m);
	cx_stanza_unref(in.got);
	cx_free(carol_jid);
	cx_client_disconnect(carol, NULL);
	cx_client_free(carol);
}
END_TEST

static Suite *
im_suite(void)
{
	Suite *s = suite_create("im");
	TCase *tc;

	tc = tcase_create("roster");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_im_roster_crud);
	tcase_add_test(tc, test_im_roster_versioning);
	tcase_add_test(tc, test_im_roster_forged_push);
	suite_add_tcase(s, tc);

	tc = tcase_create("presence");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_im_presence_subscription_handshake);
	tcase_add_test(tc, test_im_presence_deny);
	suite_add_tcase(s, tc);

	tc = tcase_create("message");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_im_message_thread_subject_langs);
	tcase_add_test(tc, test_im_message_offline_delay);
	suite_add_tcase(s, tc);

	tc = tcase_create("interop");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_im_interop_slixmpp_handshake);
	tcase_add_test(tc, test_im_interop_slixmpp_message);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(im_suite, "both")

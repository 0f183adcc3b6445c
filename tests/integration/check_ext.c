/*
 * Integration tests of the XEP modules (disco, caps, ping and keepalive,
 * version, carbons) against Prosody and ejabberd, started by
 * tests/servers/with-server.sh. Nothing here is skipped.
 */
#include "config.h"

#include <check.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
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

static cx_settings *
account(int n, const char *resource)
{
	cx_settings *s = NULL;
	char name[32];

	ck_assert_int_eq(cx_settings_new(&s, NULL), CX_OK);
	snprintf(name, sizeof(name), "CX_TEST_USER%d", n);
	set(s, "jid", env(name));
	snprintf(name, sizeof(name), "CX_TEST_PASS%d", n);
	set(s, "password", env(name));
	set(s, "host", env("CX_TEST_HOST"));
	set(s, "port", env("CX_TEST_PORT"));
	set(s, "tls.ca_file", env("CX_TEST_CA"));
	set(s, "timeout_ms", "10000");
	if (resource != NULL)
		set(s, "resource", resource);
	return s;
}

static cx_client *
connect_with(cx_settings *s)
{
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s",
		      err.message);
	return c;
}

static cx_client *
connect_account(int n, const char *resource)
{
	cx_settings *s = account(n, resource);
	cx_client *c = connect_with(s);

	cx_settings_unref(s);
	return c;
}

/* ---- disco ------------------------------------------------------------- */

START_TEST(test_ext_disco_server_and_pubsub)
{
	cx_client *c = connect_account(1, "disco");
	cx_disco_info *info = NULL;
	cx_disco_items *items = NULL;
	cx_future *f;
	cx_error err = CX_ERROR_INIT;
	const char *pubsub = env("CX_TEST_PUBSUB");
	int found = 0;

	ck_assert_msg(cx_disco_info_call(&info, c, env("CX_TEST_DOMAIN"), NULL,
					 CX_TIMEOUT_DEFAULT, &err) == CX_OK, "%s", err.message);
	ck_assert(cx_disco_info_has_identity(info, "server", "im"));
	ck_assert(cx_disco_info_has_feature(info, CX_NS_DISCO_INFO));
	ck_assert(cx_disco_info_has_feature(info, CX_NS_PING));
	cx_disco_info_free(info);

	/* without 'to': our own account (bare JID), answered by the server */
	ck_assert_msg(cx_disco_info_call(&info, c, NULL, NULL, CX_TIMEOUT_DEFAULT, &err) == CX_OK,
		      "%s", err.message);
	ck_assert(cx_disco_info_has_identity(info, "account", NULL));
	cx_disco_info_free(info);

	ck_assert_msg(cx_disco_items_call(&items, c, env("CX_TEST_DOMAIN"), NULL,
					  CX_TIMEOUT_DEFAULT, &err) == CX_OK, "%s", err.message);
	for (size_t i = 0; i < cx_disco_items_count(items); i++)
		if (strcmp(cx_disco_items_at(items, i)->jid, pubsub) == 0)
			found = 1;
	ck_assert_msg(found, "%s not among the server's items", pubsub);
	cx_disco_items_free(items);

	/* the async twin: the value is the parsed info */
	f = cx_disco_info_call_async(c, pubsub, NULL, CX_TIMEOUT_DEFAULT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	info = cx_future_get_value(f);
	ck_assert(cx_disco_info_has_identity(info, "pubsub", "service"));
	ck_assert(cx_disco_info_has_feature(info, "http://jabber.org/protocol/pubsub"));
	cx_future_unref(f);

	/* a node the service does not have */
	ck_assert_int_eq(cx_disco_info_call(&info, c, pubsub, "cxmpp-no-such-node-xyz",
					    CX_TIMEOUT_DEFAULT, &err), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "item-not-found");
	cx_client_free(c);
}
END_TEST

static cx_status
node_cb(void *arg, cx_client *c, const cx_stanza *req, const char *node,
	cx_disco_info *info, cx_disco_items *items, cx_error *err)
{
	(void)arg;
	(void)c;
	(void)req;
	(void)node;
	if (info != NULL)
		return cx_disco_info_add_feature(info, "urn:example:node-feature", err);
	return cx_disco_items_add(items, env("CX_TEST_DOMAIN"), "child", "A child", err);
}

START_TEST(test_ext_disco_responder)
{
	cx_client *a = connect_account(1, "resp");
	cx_client *b = connect_account(2, "asker");
	char *ajid = cx_client_get_jid(a);
	cx_disco_info *info = NULL;
	cx_disco_items *items = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_disco_add_feature(a, "urn:example:feature", &err), CX_OK);
	ck_assert_int_eq(cx_disco_add_identity(a, "client", "bot", "cxmpp test", "en", &err), CX_OK);
	ck_assert_int_eq(cx_disco_add_node(a, "urn:example:node", node_cb, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_add_item(a, env("CX_TEST_DOMAIN"), "top", NULL, &err), CX_OK);

	ck_assert_msg(cx_disco_info_call(&info, b, ajid, NULL, CX_TIMEOUT_DEFAULT, &err) == CX_OK,
		      "%s", err.message);
	ck_assert(cx_disco_info_has_feature(info, "urn:example:feature"));
	ck_assert(cx_disco_info_has_identity(info, "client", "bot"));
	ck_assert(!cx_disco_info_has_identity(info, "client", "pc"));
	cx_disco_info_free(info);

	ck_assert_int_eq(cx_disco_info_call(&info, b, ajid, "urn:example:node", CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_str_eq(cx_disco_info_get_node(info), "urn:example:node");
	ck_assert(cx_disco_info_has_feature(info, "urn:example:node-feature"));
	cx_disco_info_free(info);

	ck_assert_int_eq(cx_disco_items_call(&items, b, ajid, "urn:example:node", CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_uint_eq(cx_disco_items_count(items), 1);
	ck_assert_str_eq(cx_disco_items_at(items, 0)->node, "child");
	cx_disco_items_free(items);
	ck_assert_int_eq(cx_disco_items_call(&items, b, ajid, NULL, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_uint_eq(cx_disco_items_count(items), 1);
	ck_assert_str_eq(cx_disco_items_at(items, 0)->node, "top");
	cx_disco_items_free(items);

	ck_assert_int_eq(cx_disco_info_call(&info, b, ajid, "urn:example:unknown", CX_TIMEOUT_DEFAULT, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "item-not-found");
	ck_assert_int_eq(cx_disco_remove_node(a, "urn:example:node", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_call(&info, b, ajid, "urn:example:node", CX_TIMEOUT_DEFAULT, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "item-not-found");
	cx_free(ajid);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

/* ---- caps -------------------------------------------------------------- */

START_TEST(test_ext_caps_seen_by_other_client)
{
	cx_settings *sa = account(1, "caps");
	cx_client *a, *b = connect_account(2, "capsviewer");
	char *ajid, *bjid = cx_client_get_jid(b), *ver = NULL;
	cx_stanza *p = NULL, *got = NULL;
	cx_collector *coll = NULL;
	cx_filter flt = CX_FILTER_INIT;
	const char *node, *pver, *hash;
	cx_disco_info *info = NULL;
	cx_error err = CX_ERROR_INIT;

	set(sa, "presence.initial", "false");
	a = connect_with(sa);
	ajid = cx_client_get_jid(a);
	ck_assert_int_eq(cx_caps_enable(a, "https://cxmpp.org/test", &err), CX_OK);
	ck_assert_int_eq(cx_ping_enable_responder(a, &err), CX_OK);
	ck_assert_int_eq(cx_version_enable_responder(a, "cxmpp-test", "1.0", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_caps_get_ver(&ver, a, &err), CX_OK);

	flt.kind = CX_STANZA_PRESENCE;
	flt.from = ajid;
	flt.child_ns = CX_NS_CAPS;
	flt.child_name = "c";
	ck_assert_int_eq(cx_collector_new(&coll, b, &flt, 4, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_new_presence(&p, bjid, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_caps_send_presence(a, p, &err), CX_OK);
	ck_assert_msg(cx_collector_next(&got, coll, 10000, &err) == CX_OK, "%s", err.message);
	ck_assert_int_eq(cx_caps_parse(&node, &pver, &hash, got, &err), CX_OK);
	ck_assert_str_eq(node, "https://cxmpp.org/test");
	ck_assert_str_eq(pver, ver);
	ck_assert_str_eq(hash, "sha-1");

	ck_assert_int_eq(cx_caps_cache_get(&info, b, pver, &err), CX_ERR_NOT_FOUND);
	ck_assert_msg(cx_caps_resolve(&info, b, ajid, node, pver, CX_TIMEOUT_DEFAULT, &err) == CX_OK,
		      "%s", err.message);
	ck_assert(cx_disco_info_has_feature(info, CX_NS_CAPS));
	ck_assert(cx_disco_info_has_feature(info, CX_NS_PING));
	ck_assert(cx_disco_info_has_feature(info, CX_NS_VERSION));
	cx_disco_info_free(info);
	ck_assert_int_eq(cx_caps_cache_get(&info, b, pver, &err), CX_OK);
	cx_disco_info_free(info);

	/* a new feature changes the ver */
	ck_assert_int_eq(cx_disco_add_feature(a, "urn:example:later", &err), CX_OK);
	cx_free(ver);
	ck_assert_int_eq(cx_caps_get_ver(&ver, a, &err), CX_OK);
	ck_assert_str_ne(ver, pver);
	/* the old node#ver is gone, the new one answers */
	ck_assert_msg(cx_caps_resolve(&info, b, ajid, node, ver, CX_TIMEOUT_DEFAULT, &err) == CX_OK,
		      "%s", err.message);
	ck_assert(cx_disco_info_has_feature(info, "urn:example:later"));
	/* an info cached under a ver it does not hash to is refused */
	ck_assert_int_eq(cx_caps_cache_add(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", info, &err), CX_ERR_PROTOCOL);
	cx_disco_info_free(info);
	ck_assert_int_eq(cx_caps_cache_get(&info, b, "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", &err), CX_ERR_NOT_FOUND);

	cx_stanza_unref(got);
	cx_stanza_unref(p);
	cx_collector_free(coll);
	cx_free(ver);
	cx_free(ajid);
	cx_free(bjid);
	cx_client_free(a);
	cx_client_free(b);
	cx_settings_unref(sa);
}
END_TEST

/* ---- ping and version -------------------------------------------------- */

START_TEST(test_ext_ping_both_ways)
{
	cx_client *a = connect_account(1, "pinga");
	cx_client *b = connect_account(2, "pingb");
	char *ajid = cx_client_get_jid(a), *bjid = cx_client_get_jid(b);
	cx_future *f;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_ping(a, NULL, CX_TIMEOUT_DEFAULT, &err) == CX_OK, "%s", err.message);
	ck_assert_int_eq(cx_ping(a, env("CX_TEST_DOMAIN"), CX_TIMEOUT_DEFAULT, &err), CX_OK);
	/* b has no responder yet: the client answers service-unavailable */
	ck_assert_int_eq(cx_ping(a, bjid, CX_TIMEOUT_DEFAULT, &err), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "service-unavailable");
	ck_assert_int_eq(cx_ping_enable_responder(a, &err), CX_OK);
	ck_assert_int_eq(cx_ping_enable_responder(b, &err), CX_OK);
	ck_assert_int_eq(cx_ping(a, bjid, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	f = cx_ping_async(b, ajid, CX_TIMEOUT_DEFAULT);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	cx_future_unref(f);
	cx_free(ajid);
	cx_free(bjid);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

START_TEST(test_ext_version_both_ways)
{
	cx_client *a = connect_account(1, "vera");
	cx_client *b = connect_account(2, "verb");
	char *ajid = cx_client_get_jid(a), *bjid = cx_client_get_jid(b);
	cx_version_info *v = NULL;
	cx_future *f;
	cx_disco_info *info = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_version_call(&v, a, bjid, CX_TIMEOUT_DEFAULT, &err), CX_ERR_STANZA_ERROR);
	ck_assert_int_eq(cx_version_enable_responder(a, "alpha", "1.2", "TestOS", &err), CX_OK);
	ck_assert_int_eq(cx_version_enable_responder(b, "beta", "3.4", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_version_call(&v, a, bjid, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert_str_eq(v->name, "beta");
	ck_assert_str_eq(v->version, "3.4");
	ck_assert_ptr_null(v->os);
	cx_version_info_free(v);
	f = cx_version_call_async(b, ajid, CX_TIMEOUT_DEFAULT);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	v = cx_future_get_value(f);
	ck_assert_str_eq(v->name, "alpha");
	ck_assert_str_eq(v->os, "TestOS");
	cx_future_unref(f);
	/* the responder advertises itself */
	ck_assert_int_eq(cx_disco_info_call(&info, a, bjid, NULL, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	ck_assert(cx_disco_info_has_feature(info, CX_NS_VERSION));
	cx_disco_info_free(info);
	/* the server's version */
	ck_assert_msg(cx_version_call(&v, a, env("CX_TEST_DOMAIN"), CX_TIMEOUT_DEFAULT, &err) == CX_OK,
		      "%s", err.message);
	ck_assert_str_ne(v->name, "");
	cx_version_info_free(v);
	cx_free(ajid);
	cx_free(bjid);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

/* ---- keepalive: a frozen server is declared dead ------------------------ */

static atomic_llong disc_at;
static atomic_int disc_status;

static void
on_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	(void)arg;
	(void)c;
	if (ev == CX_EVENT_DISCONNECTED) {
		atomic_store(&disc_status, err ? (int)err->status : 0);
		atomic_store(&disc_at, now_ms());
	}
}

START_TEST(test_ext_keepalive_dead_peer)
{
	char dir[] = "/tmp/cxmpp-ka-XXXXXX", cmd[512], path[600], line[512];
	const char *top = getenv("top_srcdir");
	FILE *fp;
	pid_t pid = 0;
	char port[16] = "", user[128] = "", pass[128] = "";
	cx_settings *s;
	cx_client *c;
	cx_error err = CX_ERROR_INIT;
	int64_t t0;
	const int interval = 1000, timeout = 1500;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "%s/tests/servers/%s.sh start %s >/dev/null 2>&1",
		 top ? top : ".", env("CX_TEST_SERVER"), dir);
	ck_assert_msg(system(cmd) == 0, "could not start a private server: %s", cmd);
	snprintf(path, sizeof(path), "%s/env", dir);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp)) {
		char *v = strchr(line, '=');

		if (!v)
			continue;
		*v++ = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		if (*v == '\'' || *v == '"') {
			v++;
			v[strcspn(v, "'\"")] = '\0';
		}
		if (strcmp(line, "CX_TEST_PID") == 0)
			pid = (pid_t)atoi(v);
		else if (strcmp(line, "CX_TEST_PORT") == 0)
			snprintf(port, sizeof(port), "%s", v);
		else if (strcmp(line, "CX_TEST_USER4") == 0)
			snprintf(user, sizeof(user), "%s", v);
		else if (strcmp(line, "CX_TEST_PASS4") == 0)
			snprintf(pass, sizeof(pass), "%s", v);
	}
	fclose(fp);
	ck_assert_int_gt(pid, 1);

	s = account(4, "ka");
	set(s, "jid", user);
	set(s, "password", pass);
	set(s, "port", port);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	set(s, "tls.ca_file", path);
	snprintf(line, sizeof(line), "%d", interval);
	set(s, "ping.interval_ms", line);
	snprintf(line, sizeof(line), "%d", timeout);
	set(s, "ping.timeout_ms", line);
	set(s, "keepalive.interval_ms", "300");
	c = connect_with(s);
	atomic_store(&disc_at, 0);
	cx_client_on_event(c, on_event, NULL, NULL);
	ck_assert_int_eq(cx_ping_keepalive_enable(c, &err), CX_OK);

	/* alive: pings are answered, nothing happens for a few intervals */
	usleep(3 * interval * 1000);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	ck_assert_int_eq(atomic_load(&disc_at), 0);

	t0 = now_ms();
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	while (atomic_load(&disc_at) == 0 && now_ms() - t0 < interval + timeout + 5000)
		usleep(20000);
	ck_assert_int_eq(kill(pid, SIGCONT), 0);
	ck_assert_msg(atomic_load(&disc_at) != 0, "no disconnected event");
	/* a ping in flight when the server froze may take one more interval */
	ck_assert_msg(atomic_load(&disc_at) - t0 <= 2 * interval + timeout + 1500,
		      "declared dead after %lld ms", (long long)(atomic_load(&disc_at) - t0));
	ck_assert_int_eq(atomic_load(&disc_status), CX_ERR_TIMEOUT);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	snprintf(cmd, sizeof(cmd), "%s/tests/servers/%s.sh stop %s >/dev/null 2>&1; rm -rf %s",
		 top ? top : ".", env("CX_TEST_SERVER"), dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* ---- keepalive: a busy connection is not pinged ------------------------ */

static atomic_int pings_out;

/* Counts the ping requests we write (the "out" XML at trace level). */
static void
count_pings_out(void *arg, cx_log_level level, const char *category,
		const char *msg)
{
	(void)arg;
	(void)level;
	if (strcmp(category, CX_LOG_CAT_OUT) == 0 &&
	    strstr(msg, "urn:xmpp:ping") != NULL &&
	    (strstr(msg, "type='get'") != NULL || strstr(msg, "type=\"get\"") != NULL))
		atomic_fetch_add(&pings_out, 1);
}

START_TEST(test_ext_keepalive_busy_not_pinged)
{
	cx_runtime_options opt = CX_RUNTIME_OPTIONS_INIT;
	cx_filter flt = CX_FILTER_INIT;
	cx_runtime *rt = NULL;
	cx_collector *coll = NULL;
	cx_settings *s = account(1, "busy");
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	char *me;
	int64_t t0, idle;
	int i;

	opt.log_fn = count_pings_out;
	opt.log_level = CX_LOG_TRACE;
	ck_assert_int_eq(cx_runtime_new(&rt, &opt, &err), CX_OK);
	set(s, "ping.interval_ms", "1000");
	set(s, "ping.timeout_ms", "5000");
	set(s, "keepalive.interval_ms", "0");
	ck_assert_int_eq(cx_client_new(&c, s, rt, &err), CX_OK);
	ck_assert_int_eq(cx_client_get_idle_ms(c), -1);
	ck_assert_int_eq(cx_client_get_send_idle_ms(c), -1);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s", err.message);
	me = cx_client_get_jid(c);
	flt.kind = CX_STANZA_MESSAGE;
	flt.from = me;
	ck_assert_int_eq(cx_collector_new(&coll, c, &flt, 16, &err), CX_OK);
	ck_assert_int_eq(cx_ping_keepalive_enable(c, &err), CX_OK);

	/* busy: a message to ourselves every 200 ms for 3 s, each seen back */
	atomic_store(&pings_out, 0);
	t0 = now_ms();
	for (i = 0; now_ms() - t0 < 3000; i++) {
		cx_stanza *m = NULL, *got = NULL;
		char body[32];

		snprintf(body, sizeof(body), "busy %d", i);
		ck_assert_int_eq(cx_stanza_new_message(&m, me, "chat", body, &err), CX_OK);
		ck_assert_int_eq(cx_client_send(c, m, &err), CX_OK);
		cx_stanza_unref(m);
		ck_assert_msg(cx_collector_next(&got, coll, 5000, &err) == CX_OK,
			      "message %d not back: %s", i, err.message);
		cx_stanza_unref(got);
		idle = cx_client_get_idle_ms(c);
		ck_assert_msg(idle >= 0 && idle < 1000, "idle %lld ms while busy",
			      (long long)idle);
		ck_assert_int_ge(cx_client_get_send_idle_ms(c), 0);
		usleep(200 * 1000);
	}
	ck_assert_msg(atomic_load(&pings_out) == 0,
		      "%d pings sent on a busy connection", atomic_load(&pings_out));

	/* quiet: the keepalive pings once nothing arrived for an interval */
	t0 = now_ms();
	while (atomic_load(&pings_out) == 0 && now_ms() - t0 < 5000)
		usleep(20000);
	ck_assert_msg(atomic_load(&pings_out) > 0, "no ping on an idle connection");
	ck_assert_msg(now_ms() - t0 >= 700, "pinged %lld ms after the last traffic",
		      (long long)(now_ms() - t0));
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);

	cx_collector_free(coll);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	ck_assert_int_eq(cx_client_get_idle_ms(c), -1);
	cx_free(me);
	cx_client_free(c);
	cx_settings_unref(s);
	cx_runtime_unref(rt);
}
END_TEST

/* ---- carbons ----------------------------------------------------------- */

struct seen {
	atomic_int received, sent;
	char body[256];
};

static void
on_carbon(void *arg, cx_client *c, cx_carbon_direction dir, cx_stanza *inner,
	  cx_stanza *outer)
{
	struct seen *sn = arg;
	char *body = NULL;

	(void)c;
	(void)outer;
	if (cx_stanza_get_body(&body, inner, NULL, NULL) == CX_OK) {
		snprintf(sn->body, sizeof(sn->body), "%s", body);
		cx_free(body);
	}
	atomic_fetch_add(dir == CX_CARBON_SENT ? &sn->sent : &sn->received, 1);
}

static int
wait_count(atomic_int *v, int want, int ms)
{
	int64_t t0 = now_ms();

	while (atomic_load(v) < want && now_ms() - t0 < ms)
		usleep(10000);
	return atomic_load(v);
}

START_TEST(test_ext_carbons_two_resources_and_forgery)
{
	cx_client *r1 = connect_account(3, "one");
	cx_client *r2 = connect_account(3, "two");
	cx_client *other = connect_account(2, "other");
	char *r2jid = cx_client_get_jid(r2), *r1jid = cx_client_get_jid(r1);
	char *ojid = cx_client_get_jid(other);
	struct seen sn;
	cx_stanza *m = NULL, *got = NULL;
	cx_collector *coll = NULL;
	cx_filter flt = CX_FILTER_INIT;
	cx_error err = CX_ERROR_INIT;
	char forged[1024];

	memset(&sn, 0, sizeof(sn));
	ck_assert_int_ne(cx_carbons_on_carbon(r1, on_carbon, &sn, NULL), 0);
	ck_assert_msg(cx_carbons_enable(r1, 1, CX_TIMEOUT_DEFAULT, &err) == CX_OK, "%s", err.message);
	ck_assert_int_eq(cx_carbons_enable(r2, 1, CX_TIMEOUT_DEFAULT, &err), CX_OK);

	/* received by r2 -> carbon to r1 */
	ck_assert_int_eq(cx_stanza_new_message(&m, r2jid, "chat", "to two", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(other, m, &err), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(wait_count(&sn.received, 1, 10000), 1);
	ck_assert_str_eq(sn.body, "to two");

	/* sent by r2 -> carbon to r1 */
	ck_assert_int_eq(cx_stanza_new_message(&m, ojid, "chat", "from two", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(r2, m, &err), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(wait_count(&sn.sent, 1, 10000), 1);
	ck_assert_str_eq(sn.body, "from two");

	/* a private message is not copied */
	ck_assert_int_eq(cx_stanza_new_message(&m, ojid, "chat", "private", &err), CX_OK);
	ck_assert_int_eq(cx_carbons_add_private(m, &err), CX_OK);
	ck_assert_int_eq(cx_client_send(r2, m, &err), CX_OK);
	cx_stanza_unref(m);

	/* a forged carbon from another account reaches r1 but is not
	 * delivered as a carbon */
	flt.kind = CX_STANZA_MESSAGE;
	flt.from = ojid;
	flt.child_ns = CX_NS_CARBONS;
	flt.child_name = "received";
	ck_assert_int_eq(cx_collector_new(&coll, r1, &flt, 4, &err), CX_OK);
	snprintf(forged, sizeof(forged),
		 "<message to='%s' type='chat'><received xmlns='urn:xmpp:carbons:2'>"
		 "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' "
		 "from='%s' to='%s' type='chat'><body>forged</body></message>"
		 "</forwarded></received></message>", r1jid, r2jid, ojid);
	ck_assert_int_eq(cx_client_send_raw(other, forged, 0, &err), CX_OK);
	ck_assert_msg(cx_collector_next(&got, coll, 10000, &err) == CX_OK,
		      "the forged carbon did not arrive: %s", err.message);
	cx_stanza_unref(got);
	/* a ping round trip after it: the handler has had its chance */
	ck_assert_int_eq(cx_ping(r1, NULL, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	usleep(300000);
	ck_assert_int_eq(atomic_load(&sn.received), 1);
	ck_assert_int_eq(atomic_load(&sn.sent), 1);
	ck_assert_str_ne(sn.body, "forged");
	ck_assert_str_ne(sn.body, "private");

	ck_assert_int_eq(cx_carbons_enable(r1, 0, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	cx_collector_free(coll);
	cx_free(r1jid);
	cx_free(r2jid);
	cx_free(ojid);
	cx_client_free(r1);
	cx_client_free(r2);
	cx_client_free(other);
}
END_TEST

/* ---- interop with slixmpp ---------------------------------------------- */

struct slix {
	pid_t pid;
	int fd;
	char out[16384];
	size_t len;
};

/* Starts tests/interop/slix_ext_peer.py as account n (resource may be
 * NULL). */
static void
slix_start(struct slix *sx, const char *mode, const char *peer, int n,
	   const char *resource)
{
	char script[4096], jv[32], pv[32];
	int pfd[2];

	snprintf(script, sizeof(script), "%s/tests/interop/slix_ext_peer.py",
		 getenv("top_srcdir") ? getenv("top_srcdir") : ".");
	snprintf(jv, sizeof(jv), "CX_TEST_USER%d", n);
	snprintf(pv, sizeof(pv), "CX_TEST_PASS%d", n);
	memset(sx, 0, sizeof(*sx));
	ck_assert_int_eq(pipe(pfd), 0);
	sx->pid = fork();
	ck_assert_int_ne(sx->pid, -1);
	if (sx->pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		if (resource != NULL)
			execl("/usr/bin/python3", "python3", script, "--mode", mode,
			      "--peer", peer, "--jid", getenv(jv), "--password",
			      getenv(pv), "--resource", resource, "--timeout", "40",
			      (char *)NULL);
		else
			execl("/usr/bin/python3", "python3", script, "--mode", mode,
			      "--peer", peer, "--jid", getenv(jv), "--password",
			      getenv(pv), "--timeout", "40", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	sx->fd = pfd[0];
}

/* Reads the peer's output until `word` appears (returns a pointer just
 * after it) or ms pass (NULL). */
static const char *
slix_expect(struct slix *sx, const char *word, int ms)
{
	int64_t dl = now_ms() + ms;
	const char *hit;

	for (;;) {
		struct pollfd p = { sx->fd, POLLIN, 0 };
		ssize_t n;

		sx->out[sx->len] = '\0';
		if ((hit = strstr(sx->out, word)) != NULL)
			return hit + strlen(word);
		if (now_ms() >= dl || sx->len >= sizeof(sx->out) - 1)
			return NULL;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(sx->fd, sx->out + sx->len, sizeof(sx->out) - 1 - sx->len);
		if (n <= 0)
			return NULL;
		sx->len += (size_t)n;
	}
}

/* Waits (bounded) for the peer to exit, keeping what it still prints;
 * kills it by PID if it does not exit. */
static int
slix_wait(struct slix *sx, int ms)
{
	int64_t dl = now_ms() + ms;
	int status = 0;

	while (now_ms() < dl) {
		if (waitpid(sx->pid, &status, WNOHANG) == sx->pid) {
			slix_expect(sx, "\x01", 200); /* drain what is left */
			close(sx->fd);
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		}
		slix_expect(sx, "\x01", 50);
	}
	kill(sx->pid, SIGKILL);
	waitpid(sx->pid, &status, 0);
	close(sx->fd);
	return -1;
}

/* The peer's full JID from its "ready <jid>" line. */
static void
slix_ready(struct slix *sx, char *jid, size_t len)
{
	const char *p = slix_expect(sx, "ready ", 30000);

	ck_assert_msg(p != NULL, "slixmpp did not log in: %s", sx->out);
	ck_assert_ptr_nonnull(slix_expect(sx, "\n", 1000));
	snprintf(jid, len, "%.*s", (int)strcspn(p, "\r\n"), p);
}

START_TEST(test_ext_interop_slixmpp_disco_caps)
{
	cx_settings *sa = account(1, "slixcaps");
	cx_client *a;
	char *ajid, *ver = NULL, sjid[256], want[512];
	cx_stanza *p = NULL;
	struct slix sx;
	cx_error err = CX_ERROR_INIT;

	set(sa, "presence.initial", "false");
	a = connect_with(sa);
	ajid = cx_client_get_jid(a);
	ck_assert_int_eq(cx_caps_enable(a, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_ping_enable_responder(a, &err), CX_OK);
	ck_assert_int_eq(cx_version_enable_responder(a, "cxmpp-test", "1.0", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_add_feature(a, "urn:example:interop", &err), CX_OK);
	ck_assert_int_eq(cx_caps_get_ver(&ver, a, &err), CX_OK);

	slix_start(&sx, "disco", ajid, 5, NULL);
	slix_ready(&sx, sjid, sizeof(sjid));
	ck_assert_int_eq(cx_stanza_new_presence(&p, sjid, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_caps_send_presence(a, p, &err), CX_OK);
	snprintf(want, sizeof(want), "ver %s %s\n", ver, ver);
	ck_assert_msg(slix_expect(&sx, want, 20000) != NULL,
		      "slixmpp computed another ver: %s", sx.out);
	ck_assert_ptr_nonnull(slix_expect(&sx, "\nok", 10000));
	ck_assert_ptr_nonnull(strstr(sx.out, "feature urn:xmpp:ping\n"));
	ck_assert_ptr_nonnull(strstr(sx.out, "feature jabber:iq:version\n"));
	ck_assert_ptr_nonnull(strstr(sx.out, "feature http://jabber.org/protocol/caps\n"));
	ck_assert_ptr_nonnull(strstr(sx.out, "feature urn:example:interop\n"));
	{
		int rc = slix_wait(&sx, 10000);

		ck_assert_msg(rc == 0, "slixmpp exited with %d: %s", rc, sx.out);
	}
	cx_stanza_unref(p);
	cx_free(ver);
	cx_free(ajid);
	cx_client_free(a);
	cx_settings_unref(sa);
}
END_TEST

START_TEST(test_ext_interop_slixmpp_carbons)
{
	cx_client *r1 = connect_account(3, "cx");
	cx_client *other = connect_account(2, "carbonpeer");
	char *r1jid = cx_client_get_jid(r1), *ojid = cx_client_get_jid(other);
	char sjid[256];
	struct seen sn;
	struct slix sx;
	cx_stanza *m = NULL;
	cx_error err = CX_ERROR_INIT;

	memset(&sn, 0, sizeof(sn));
	ck_assert_int_ne(cx_carbons_on_carbon(r1, on_carbon, &sn, NULL), 0);
	ck_assert_int_eq(cx_carbons_enable(r1, 1, CX_TIMEOUT_DEFAULT, &err), CX_OK);
	slix_start(&sx, "carbons", ojid, 3, "slix");
	slix_ready(&sx, sjid, sizeof(sjid));

	/* slixmpp sent "from slix": a sent carbon here */
	ck_assert_msg(wait_count(&sn.sent, 1, 10000) == 1, "no sent carbon of slixmpp's message");
	ck_assert_str_eq(sn.body, "from slix");
	/* a message to the slixmpp resource: a received carbon here */
	ck_assert_int_eq(cx_stanza_new_message(&m, sjid, "chat", "to slix", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(other, m, &err), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(wait_count(&sn.received, 1, 10000), 1);
	ck_assert_str_eq(sn.body, "to slix");
	/* and the other way round: slixmpp sees our carbons */
	ck_assert_int_eq(cx_stanza_new_message(&m, ojid, "chat", "from cxmpp", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(r1, m, &err), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(cx_stanza_new_message(&m, r1jid, "chat", "to cxmpp", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(other, m, &err), CX_OK);
	cx_stanza_unref(m);
	ck_assert_msg(slix_expect(&sx, "\nok", 20000) != NULL, "slixmpp: %s", sx.out);
	ck_assert_ptr_nonnull(strstr(sx.out, "carbon-sent from cxmpp"));
	ck_assert_ptr_nonnull(strstr(sx.out, "carbon-received to cxmpp"));
	{
		int rc = slix_wait(&sx, 10000);

		ck_assert_msg(rc == 0, "slixmpp exited with %d: %s", rc, sx.out);
	}
	cx_free(r1jid);
	cx_free(ojid);
	cx_client_free(r1);
	cx_client_free(other);
}
END_TEST

static Suite *
ext_suite(void)
{
	Suite *s = suite_create("ext");
	TCase *tc;

	tc = tcase_create("disco");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ext_disco_server_and_pubsub);
	tcase_add_test(tc, test_ext_disco_responder);
	tcase_add_test(tc, test_ext_caps_seen_by_other_client);
	suite_add_tcase(s, tc);

	tc = tcase_create("ping");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ext_ping_both_ways);
	tcase_add_test(tc, test_ext_version_both_ways);
	tcase_add_test(tc, test_ext_keepalive_dead_peer);
	tcase_add_test(tc, test_ext_keepalive_busy_not_pinged);
	suite_add_tcase(s, tc);

	tc = tcase_create("carbons");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_ext_carbons_two_resources_and_forgery);
	suite_add_tcase(s, tc);

	tc = tcase_create("interop");
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_ext_interop_slixmpp_disco_caps);
	tcase_add_test(tc, test_ext_interop_slixmpp_carbons);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(ext_suite, "both")

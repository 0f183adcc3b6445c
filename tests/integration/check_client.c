/*
 * Integration tests of the blocking client against a real server (Prosody
 * or ejabberd), started by tests/servers/with-server.sh, which exports the
 * CX_TEST_* variables (see tests/servers/README.md). Nothing here is skipped:
 * a test that cannot reach its server fails.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
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

static int
is_ejabberd(void)
{
	return strcmp(env("CX_TEST_SERVER"), "ejabberd") == 0;
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
	cx_status st = cx_settings_set_from_string(s, key, value, &err);

	ck_assert_msg(st == CX_OK, "setting %s: %s", key, err.message);
}

/* Settings for test account `n` (1..5) over STARTTLS with the test CA. */
static cx_settings *
account(int n)
{
	cx_settings *s = NULL;
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
	set(s, "connect_timeout_ms", "10000");
	return s;
}

static cx_client *
connect_settings(cx_settings *s, cx_status want, cx_error *err)
{
	cx_client *c = NULL;
	cx_status st;

	ck_assert_int_eq(cx_client_new(&c, s, NULL, err), CX_OK);
	st = cx_client_connect(c, err);
	ck_assert_msg(st == want, "connect: got %s (%s), want %s",
		      cx_strerror(st), err->message, cx_strerror(want));
	if (st != CX_OK) {
		cx_client_free(c);
		return NULL;
	}
	return c;
}

static cx_client *
connect_account(int n)
{
	cx_settings *s = account(n);
	cx_error err = CX_ERROR_INIT;
	cx_client *c = connect_settings(s, CX_OK, &err);

	cx_settings_unref(s);
	return c;
}

static void
assert_mechanism(cx_client *c, const char *want)
{
	char *mech = cx_client_get_sasl_mechanism(c);

	ck_assert_ptr_nonnull(mech);
	ck_assert_str_eq(mech, want);
	cx_free(mech);
}

/* ---- login variants --------------------------------------------------- */

START_TEST(test_client_login_starttls_scram_sha1)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;
	char *jid;

	set(s, "sasl.mechanisms", "SCRAM-SHA-1");
	c = connect_settings(s, CX_OK, &err);
	assert_mechanism(c, "SCRAM-SHA-1");
	jid = cx_client_get_jid(c);
	ck_assert_ptr_nonnull(jid);
	ck_assert_msg(strncmp(jid, env("CX_TEST_USER1"), strlen(env("CX_TEST_USER1"))) == 0,
		      "bound JID %s", jid);
	ck_assert_ptr_nonnull(strchr(jid, '/'));
	cx_free(jid);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

/* The strongest mechanism wins. ejabberd 23.01 (plain password storage)
 * offers SCRAM-SHA-1, SHA-256 and SHA-512 with -PLUS variants over TLS;
 * Prosody 0.12 offers SCRAM-SHA-1 and PLAIN only. */
START_TEST(test_client_login_strongest)
{
	cx_client *c = connect_account(1);

	assert_mechanism(c, is_ejabberd() ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-1");
	cx_client_free(c);
}
END_TEST

/* Channel binding where the server has it: ejabberd over TLS 1.3 uses
 * tls-unique and sends no XEP-0440 list. Prosody offers no -PLUS: asking
 * for it alone must fail before any credentials are sent. */
START_TEST(test_client_login_scram_sha1_plus)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	set(s, "sasl.mechanisms", "SCRAM-SHA-1-PLUS");
	if (is_ejabberd()) {
		c = connect_settings(s, CX_OK, &err);
		assert_mechanism(c, "SCRAM-SHA-1-PLUS");
		cx_client_free(c);
	} else {
		ck_assert_ptr_null(connect_settings(s, CX_ERR_AUTH_MECHANISM, &err));
		ck_assert_msg(strstr(err.message, "SCRAM-SHA-1") != NULL,
			      "message should list what was offered: %s", err.message);
	}
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_login_scram_sha256)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	set(s, "sasl.mechanisms", "SCRAM-SHA-256");
	if (is_ejabberd()) {
		c = connect_settings(s, CX_OK, &err);
		assert_mechanism(c, "SCRAM-SHA-256");
		cx_client_free(c);
	} else {
		ck_assert_ptr_null(connect_settings(s, CX_ERR_AUTH_MECHANISM, &err));
		ck_assert_msg(strstr(err.message, "SCRAM-SHA-1") != NULL,
			      "message should list what was offered: %s", err.message);
	}
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_login_plain_over_tls)
{
	cx_settings *s = account(2);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	set(s, "sasl.mechanisms", "PLAIN");
	c = connect_settings(s, CX_OK, &err);
	assert_mechanism(c, "PLAIN");
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_login_direct_tls)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	set(s, "port", env("CX_TEST_TLS_PORT"));
	set(s, "tls", "direct");
	c = connect_settings(s, CX_OK, &err);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_login_wrong_password)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;

	set(s, "password", "not-the-password");
	ck_assert_ptr_null(connect_settings(s, CX_ERR_AUTH, &err));
	ck_assert_str_eq(err.condition, "not-authorized");
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_tls_unknown_ca)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;

	set(s, "tls.ca_file", env("CX_TEST_ROGUE_CA"));
	ck_assert_ptr_null(connect_settings(s, CX_ERR_TLS_VERIFY, &err));
	ck_assert_msg(strlen(err.message) > 0, "no reason given");
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_tls_pin)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	/* The right pin is enough even with a CA file that does not verify. */
	set(s, "tls.ca_file", env("CX_TEST_ROGUE_CA"));
	set(s, "tls.pins", env("CX_TEST_CERT_PIN"));
	c = connect_settings(s, CX_OK, &err);
	cx_client_free(c);

	set(s, "tls.pins", env("CX_TEST_ROGUE_PIN"));
	ck_assert_ptr_null(connect_settings(s, CX_ERR_TLS_PIN, &err));
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_connect_ipv6)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	cx_client *c;

	/* Both servers listen on ::1 too; the certificate names it. */
	set(s, "host", env("CX_TEST_HOST6"));
	c = connect_settings(s, CX_OK, &err);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

/* A name that must be resolved, through a nameserver on loopback where
 * nothing listens: a DNS failure, with its own status. No query leaves the
 * machine. */
START_TEST(test_client_connect_dns_failure)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;

	set(s, "host", "xmpp.cxmpp.invalid");
	set(s, "dns.nameserver", "127.0.0.1:1");
	set(s, "dns.timeout_ms", "1000");
	ck_assert_ptr_null(connect_settings(s, CX_ERR_DNS, &err));
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_client_connect_refused)
{
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;

	/* Port 1 on loopback: nothing listens there. */
	set(s, "port", "1");
	ck_assert_ptr_null(connect_settings(s, CX_ERR_CONNECT, &err));
	cx_settings_unref(s);
}
END_TEST

/* ---- messages ---------------------------------------------------------- */

static void
exchange(cx_client *from, cx_client *to, const char *body)
{
	cx_filter f = CX_FILTER_INIT;
	cx_collector *coll = NULL;
	cx_stanza *msg = NULL, *got = NULL;
	cx_error err = CX_ERROR_INIT;
	char *to_jid = cx_client_get_jid(to), *from_jid = cx_client_get_jid(from);
	char *text;

	f.kind = CX_STANZA_MESSAGE;
	f.from = from_jid;
	ck_assert_int_eq(cx_collector_new(&coll, to, &f, 16, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_new_message(&msg, to_jid, "chat", body, &err),
			 CX_OK);
	ck_assert_int_eq(cx_client_send(from, msg, &err), CX_OK);
	ck_assert_msg(cx_collector_next(&got, coll, 10000, &err) == CX_OK,
		      "message not received: %s", err.message);
	ck_assert_int_eq(cx_stanza_get_body(&text, got, NULL, &err), CX_OK);
	ck_assert_str_eq(text, body);
	ck_assert_str_eq(cx_stanza_get_from(got), from_jid);
	cx_free(text);
	cx_stanza_unref(got);
	cx_stanza_unref(msg);
	cx_collector_free(coll);
	cx_free(to_jid);
	cx_free(from_jid);
}

START_TEST(test_client_message_both_directions)
{
	cx_client *a = connect_account(1), *b = connect_account(2);

	exchange(a, b, "hello from one <&> to two \xc3\xa9");
	exchange(b, a, "and back again");
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

struct counter {
	atomic_int n;
	atomic_int order_ok;
	atomic_int last;
};

static cx_handler_result
count_message(void *arg, cx_client *c, cx_stanza *s)
{
	struct counter *k = arg;
	char *body = NULL;
	int seq = cx_stanza_get_body(&body, s, NULL, NULL) == CX_OK ? atoi(body) : -1;

	if (seq != atomic_load(&k->last) + 1)
		atomic_store(&k->order_ok, 0);
	atomic_store(&k->last, seq);
	atomic_fetch_add(&k->n, 1);
	cx_free(body);
	return CX_HANDLER_CONSUMED;
}

START_TEST(test_client_handlers_in_order)
{
	cx_client *a = connect_account(1), *b = connect_account(2);
	struct counter k;
	cx_error err = CX_ERROR_INIT;
	char *to = cx_client_get_jid(b), num[16];
	int i;
	int64_t end;

	atomic_init(&k.n, 0);
	atomic_init(&k.order_ok, 1);
	atomic_init(&k.last, 0);
	ck_assert_uint_ne(cx_client_on_message(b, count_message, &k, NULL, 0), 0);
	for (i = 1; i <= 200; i++) {
		cx_stanza *m = NULL;
		snprintf(num, sizeof(num), "%d", i);
		ck_assert_int_eq(cx_stanza_new_message(&m, to, "chat", num, &err), CX_OK);
		ck_assert_int_eq(cx_client_send(a, m, &err), CX_OK);
		cx_stanza_unref(m);
	}
	end = now_ms() + 20000;
	while (atomic_load(&k.n) < 200 && now_ms() < end)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&k.n), 200);
	ck_assert_int_eq(atomic_load(&k.order_ok), 1);
	cx_free(to);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

/* ---- calls ------------------------------------------------------------- */

static cx_status
ping(cx_client *c, const char *to, int timeout, cx_error *err)
{
	cx_stanza *iq = NULL, *reply = NULL;
	cx_status st;

	st = cx_stanza_new_iq(&iq, "get", to, "urn:xmpp:ping", "ping", err);
	if (st != CX_OK)
		return st;
	st = cx_client_call(&reply, c, iq, timeout, err);
	if (reply)
		cx_stanza_unref(reply);
	cx_stanza_unref(iq);
	return st;
}

START_TEST(test_client_call_ping_and_error)
{
	cx_client *c = connect_account(1);
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL, *reply = NULL;

	ck_assert_int_eq(ping(c, env("CX_TEST_DOMAIN"), 10000, &err), CX_OK);
	ck_assert_int_eq(ping(c, NULL, 10000, &err), CX_OK);
	/* A payload the server does not know: a stanza error comes back with
	 * its defined condition. */
	ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", env("CX_TEST_DOMAIN"),
					  "urn:cxmpp:test:nothing", "query", &err),
			 CX_OK);
	ck_assert_int_eq(cx_client_call(&reply, c, iq, 10000, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_msg(strcmp(err.condition, "service-unavailable") == 0 ||
			      strcmp(err.condition, "feature-not-implemented") == 0,
		      "condition %s", err.condition);
	ck_assert_str_eq(err.error_type, "cancel");
	ck_assert_ptr_nonnull(reply);
	cx_stanza_unref(reply);
	cx_stanza_unref(iq);
	cx_client_free(c);
}
END_TEST

/* cx_client_call_async_map: the value is what the parse function made of
 * the reply, on the reader thread; arg_free runs once; a stanza error
 * bypasses the parser. */
static atomic_int map_arg_freed;

static cx_status
parse_reply_id(void **value, cx_stanza *reply, void *arg, cx_error *err)
{
	char *v;

	ck_assert_str_eq(arg, "the-arg");
	v = strdup(cx_stanza_get_id(reply));
	if (v == NULL)
		return CX_ERR_NOMEM;
	*value = v;
	return CX_OK;
}

static cx_status
parse_refuse(void **value, cx_stanza *reply, void *arg, cx_error *err)
{
	(void)value;
	(void)reply;
	(void)arg;
	(void)err;
	return CX_ERR_PROTOCOL;
}

static void
map_arg_free(void *arg)
{
	(void)arg;
	atomic_fetch_add(&map_arg_freed, 1);
}

START_TEST(test_client_call_async_map)
{
	cx_client *c = connect_account(1);
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL;
	cx_future *f;

	atomic_init(&map_arg_freed, 0);
	ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", env("CX_TEST_DOMAIN"),
					  "urn:xmpp:ping", "ping", &err), CX_OK);
	f = cx_client_call_async_map(c, iq, 10000, parse_reply_id, "the-arg",
				     map_arg_free, free);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_OK);
	ck_assert_str_eq(cx_future_get_value(f), cx_stanza_get_id(iq));
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&map_arg_freed), 1);

	/* the parser refuses: the future fails with its status */
	ck_assert_int_eq(cx_stanza_set_new_id(iq, &err), CX_OK);
	f = cx_client_call_async_map(c, iq, 10000, parse_refuse, "x",
				     map_arg_free, free);
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_ERR_PROTOCOL);
	ck_assert_ptr_nonnull(cx_future_get_value(f)); /* the reply stanza */
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&map_arg_freed), 2);
	cx_stanza_unref(iq);

	/* a stanza error does not reach the parser */
	ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", env("CX_TEST_DOMAIN"),
					  "urn:cxmpp:test:nothing", "query", &err),
			 CX_OK);
	f = cx_client_call_async_map(c, iq, 10000, parse_refuse, "x",
				     map_arg_free, free);
	ck_assert_int_eq(cx_future_wait(f, 10000, &err), CX_ERR_STANZA_ERROR);
	cx_future_unref(f);
	ck_assert_int_eq(atomic_load(&map_arg_freed), 3);
	cx_stanza_unref(iq);
	cx_client_free(c);
}
END_TEST

struct pinger {
	cx_client *c;
	const char *to;
	atomic_int *ok;
	atomic_int *failed;
};

static void *
ping_thread(void *arg)
{
	struct pinger *p = arg;
	cx_error err = CX_ERROR_INIT;
	int i;

	for (i = 0; i < 100; i++) {
		if (ping(p->c, p->to, 20000, &err) == CX_OK)
			atomic_fetch_add(p->ok, 1);
		else
			atomic_fetch_add(p->failed, 1);
	}
	return NULL;
}

START_TEST(test_client_100_threads_100_pings)
{
	cx_client *c = connect_account(3);
	pthread_t th[100];
	struct pinger p;
	atomic_int ok, failed;
	int i;

	atomic_init(&ok, 0);
	atomic_init(&failed, 0);
	p.c = c;
	p.to = env("CX_TEST_DOMAIN");
	p.ok = &ok;
	p.failed = &failed;
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, ping_thread, &p), 0);
	for (i = 0; i < 100; i++)
		pthread_join(th[i], NULL);
	ck_assert_int_eq(atomic_load(&failed), 0);
	ck_assert_int_eq(atomic_load(&ok), 10000);
	cx_client_free(c);
}
END_TEST

/* A handler makes a blocking call on its own client: the reply is resolved
 * on the reader thread, so this cannot deadlock. */
struct blocking_ctx {
	atomic_int done;
	atomic_int status;
	const char *domain;
};

static cx_handler_result
ping_from_handler(void *arg, cx_client *c, cx_stanza *s)
{
	struct blocking_ctx *b = arg;
	cx_error err = CX_ERROR_INIT;

	atomic_store(&b->status, ping(c, b->domain, 10000, &err));
	atomic_fetch_add(&b->done, 1);
	return CX_HANDLER_CONSUMED;
}

START_TEST(test_client_handler_blocks_on_own_client)
{
	cx_client *a = connect_account(1), *b = connect_account(2);
	struct blocking_ctx ctx;
	cx_error err = CX_ERROR_INIT;
	cx_stanza *m = NULL;
	char *to = cx_client_get_jid(b);
	int64_t end;

	atomic_init(&ctx.done, 0);
	atomic_init(&ctx.status, -999);
	ctx.domain = env("CX_TEST_DOMAIN");
	cx_client_on_message(b, ping_from_handler, &ctx, NULL, 0);
	ck_assert_int_eq(cx_stanza_new_message(&m, to, "chat", "go", &err), CX_OK);
	ck_assert_int_eq(cx_client_send(a, m, &err), CX_OK);
	end = now_ms() + 15000;
	while (atomic_load(&ctx.done) == 0 && now_ms() < end)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&ctx.done), 1);
	ck_assert_int_eq(atomic_load(&ctx.status), CX_OK);
	cx_stanza_unref(m);
	cx_free(to);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

START_TEST(test_client_unhandled_iq_gets_service_unavailable)
{
	cx_client *a = connect_account(1), *b = connect_account(2);
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL, *reply = NULL;
	char *to = cx_client_get_jid(b);

	ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", to, "urn:cxmpp:test:unknown",
					  "query", &err), CX_OK);
	ck_assert_int_eq(cx_client_call(&reply, a, iq, 10000, &err),
			 CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, "service-unavailable");
	cx_stanza_unref(reply);
	cx_stanza_unref(iq);
	cx_free(to);
	cx_client_free(a);
	cx_client_free(b);
}
END_TEST

/* ---- endings ----------------------------------------------------------- */

START_TEST(test_client_send_message_simple)
{
	cx_client *b = connect_account(2);
	cx_filter f = CX_FILTER_INIT;
	cx_collector *coll = NULL;
	cx_stanza *got = NULL;
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;
	char *to = cx_client_get_jid(b), *body;

	f.kind = CX_STANZA_MESSAGE;
	ck_assert_int_eq(cx_collector_new(&coll, b, &f, 4, &err), CX_OK);
	ck_assert_msg(cx_send_message_with(s, to, "one call", &err) == CX_OK,
		      "cx_send_message_with: %s", err.message);
	ck_assert_int_eq(cx_collector_next(&got, coll, 10000, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_get_body(&body, got, NULL, &err), CX_OK);
	ck_assert_str_eq(body, "one call");
	cx_free(body);
	cx_stanza_unref(got);
	cx_collector_free(coll);
	cx_free(to);
	cx_settings_unref(s);
	cx_client_free(b);
}
END_TEST

START_TEST(test_client_wrong_state)
{
	cx_settings *s = account(1);
	cx_client *c = NULL;
	cx_stanza *m = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_new_message(&m, "x@localhost", NULL, "x", &err),
			 CX_OK);
	ck_assert_int_eq(cx_client_send(c, m, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	/* and it can connect again */
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	cx_stanza_unref(m);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

/* Kill a private server while 50 calls are in flight: every call fails
 * with CX_ERR_DISCONNECTED within 100 ms, the event fires once. */
struct inflight {
	cx_client *c;
	const char *to;
	atomic_int *disconnected;
	atomic_int *other;
	atomic_int *started;
};

static void *
slow_call_thread(void *arg)
{
	struct inflight *p = arg;
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL;
	cx_future *f;
	cx_status st;

	/* The server is stopped (SIGSTOP) before these calls start, so none
	 * of them can be answered: each stays in flight until the kill. */
	cx_stanza_new_iq(&iq, "get", p->to, "urn:xmpp:ping", "ping", &err);
	f = cx_client_call_async(p->c, iq, 30000);
	atomic_fetch_add(p->started, 1);
	st = cx_future_wait(f, 30000, &err);
	if (st == CX_ERR_DISCONNECTED)
		atomic_fetch_add(p->disconnected, 1);
	else
		atomic_fetch_add(p->other, 1);
	cx_future_unref(f);
	cx_stanza_unref(iq);
	return NULL;
}

static atomic_int disc_events;

static void
on_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	if (ev == CX_EVENT_DISCONNECTED)
		atomic_fetch_add(&disc_events, 1);
}

START_TEST(test_client_server_killed_with_calls_in_flight)
{
	char dir[] = "/tmp/cxmpp-kill-XXXXXX", cmd[512], path[600], line[512];
	const char *top = getenv("top_srcdir");
	FILE *fp;
	pid_t pid = 0;
	char port[16] = "", user[128] = "", pass[128] = "";
	cx_settings *s;
	cx_client *c;
	cx_error err = CX_ERROR_INIT;
	pthread_t th[50];
	struct inflight p;
	atomic_int disconnected, other, started;
	int i;
	int64_t t0, elapsed;

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

	s = account(4);
	set(s, "jid", user);
	set(s, "password", pass);
	set(s, "port", port);
	snprintf(path, sizeof(path), "%s/ca.pem", dir);
	set(s, "tls.ca_file", path);
	c = connect_settings(s, CX_OK, &err);
	atomic_init(&disc_events, 0);
	cx_client_on_event(c, on_event, NULL, NULL);

	/* Freeze the server so that no call can be answered, start 50 calls,
	 * then kill it: the kernel closes its sockets. */
	ck_assert_int_eq(kill(pid, SIGSTOP), 0);
	atomic_init(&disconnected, 0);
	atomic_init(&other, 0);
	atomic_init(&started, 0);
	p.c = c;
	p.to = env("CX_TEST_DOMAIN");
	p.disconnected = &disconnected;
	p.other = &other;
	p.started = &started;
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, slow_call_thread, &p), 0);
	while (atomic_load(&started) < 50)
		usleep(1000);
	usleep(100000);
	t0 = now_ms();
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	for (i = 0; i < 50; i++)
		pthread_join(th[i], NULL);
	elapsed = now_ms() - t0;
	ck_assert_int_eq(atomic_load(&disconnected), 50);
	ck_assert_int_eq(atomic_load(&other), 0);
	/* 100 ms from the connection's end, plus the kernel tearing down the
	 * killed process's sockets. */
	ck_assert_msg(elapsed < 1000, "calls failed only after %lld ms",
		      (long long)elapsed);
	usleep(200000);
	ck_assert_int_eq(atomic_load(&disc_events), 1);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	snprintf(cmd, sizeof(cmd), "%s/tests/servers/%s.sh stop %s >/dev/null 2>&1; rm -rf %s",
		 top ? top : ".", env("CX_TEST_SERVER"), dir, dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* cx_client_free while other threads are blocked in calls: they return. */
START_TEST(test_client_free_with_blocked_callers)
{
	cx_client *c = connect_account(5);
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL;
	cx_future *f[10];
	int i;

	/* Start calls and free the client at once: each future settles,
	 * answered if the reply won the race, CX_ERR_DISCONNECTED otherwise. */
	ck_assert_int_eq(cx_stanza_new_iq(&iq, "get", env("CX_TEST_DOMAIN"),
					  "urn:xmpp:ping", "ping", &err), CX_OK);
	for (i = 0; i < 10; i++) {
		ck_assert_int_eq(cx_stanza_set_new_id(iq, &err), CX_OK);
		f[i] = cx_client_call_async(c, iq, 30000);
		ck_assert_ptr_nonnull(f[i]);
	}
	cx_client_free(c);
	for (i = 0; i < 10; i++) {
		cx_status st = cx_future_wait(f[i], 5000, &err);
		ck_assert_msg(st == CX_OK || st == CX_ERR_DISCONNECTED,
			      "call %d: %s", i, cx_strerror(st));
		cx_future_unref(f[i]);
	}
	cx_stanza_unref(iq);
}
END_TEST

/* ---- the per-client log sink ------------------------------------------ */

struct logrec {
	pthread_mutex_t lock;
	int n;
	cx_log_level level[8];
	char category[8][16];
	char msg[8][128];
};

/* Keeps only the lines this test writes (marked "logtest:"): the client
 * logs its own connection on the same sink. */
static void
record_log(void *arg, cx_log_level level, const char *category,
	   const char *msg)
{
	struct logrec *r = arg;

	if (strncmp(msg, "logtest:", 8) != 0)
		return;
	pthread_mutex_lock(&r->lock);
	if (r->n < 8) {
		r->level[r->n] = level;
		snprintf(r->category[r->n], sizeof(r->category[0]), "%s",
			 category);
		snprintf(r->msg[r->n], sizeof(r->msg[0]), "%s", msg);
		r->n++;
	}
	pthread_mutex_unlock(&r->lock);
}

START_TEST(test_client_log_own_sink)
{
	struct logrec rec = { .lock = PTHREAD_MUTEX_INITIALIZER };
	cx_runtime_options opt = CX_RUNTIME_OPTIONS_INIT;
	cx_runtime *rt = NULL;
	cx_client *c = NULL;
	cx_settings *s = account(1);
	cx_error err = CX_ERROR_INIT;

	opt.log_fn = record_log;
	opt.log_arg = &rec;
	opt.log_level = CX_LOG_INFO;
	ck_assert_int_eq(cx_runtime_new(&rt, &opt, &err), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, s, rt, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s",
		      err.message);

	ck_assert_int_eq(cx_client_log_enabled(c, CX_LOG_INFO), 1);
	ck_assert_int_eq(cx_client_log_enabled(c, CX_LOG_WARN), 1);
	ck_assert_int_eq(cx_client_log_enabled(c, CX_LOG_DEBUG), 0);
	cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_STREAM, "logtest: %s %d",
		      "warn", 1);
	cx_client_log(c, CX_LOG_DEBUG, CX_LOG_CAT_API, "logtest: filtered");
	cx_client_log(c, CX_LOG_TRACE, CX_LOG_CAT_API, "logtest: filtered");
	cx_client_log(c, CX_LOG_INFO, "no-such-category", "logtest: info");
	cx_client_log(c, CX_LOG_ERROR, NULL, "logtest: error");

	pthread_mutex_lock(&rec.lock);
	ck_assert_int_eq(rec.n, 3);
	ck_assert_int_eq(rec.level[0], CX_LOG_WARN);
	ck_assert_str_eq(rec.category[0], "stream");
	ck_assert_str_eq(rec.msg[0], "logtest: warn 1");
	ck_assert_int_eq(rec.level[1], CX_LOG_INFO);
	ck_assert_str_eq(rec.category[1], "api");
	ck_assert_str_eq(rec.msg[1], "logtest: info");
	ck_assert_int_eq(rec.level[2], CX_LOG_ERROR);
	ck_assert_str_eq(rec.category[2], "api");
	pthread_mutex_unlock(&rec.lock);

	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	cx_runtime_unref(rt);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("login");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_client_login_starttls_scram_sha1);
	tcase_add_test(tc, test_client_login_strongest);
	tcase_add_test(tc, test_client_login_scram_sha1_plus);
	tcase_add_test(tc, test_client_login_scram_sha256);
	tcase_add_test(tc, test_client_login_plain_over_tls);
	tcase_add_test(tc, test_client_login_direct_tls);
	tcase_add_test(tc, test_client_login_wrong_password);
	tcase_add_test(tc, test_client_tls_unknown_ca);
	tcase_add_test(tc, test_client_tls_pin);
	tcase_add_test(tc, test_client_connect_refused);
	tcase_add_test(tc, test_client_connect_ipv6);
	tcase_add_test(tc, test_client_connect_dns_failure);
	tcase_add_test(tc, test_client_wrong_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("stanzas");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_client_message_both_directions);
	tcase_add_test(tc, test_client_handlers_in_order);
	tcase_add_test(tc, test_client_call_ping_and_error);
	tcase_add_test(tc, test_client_call_async_map);
	tcase_add_test(tc, test_client_100_threads_100_pings);
	tcase_add_test(tc, test_client_handler_blocks_on_own_client);
	tcase_add_test(tc, test_client_unhandled_iq_gets_service_unavailable);
	tcase_add_test(tc, test_client_send_message_simple);
	tcase_add_test(tc, test_client_log_own_sink);
	suite_add_tcase(s, tc);

	tc = tcase_create("endings");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_client_server_killed_with_calls_in_flight);
	tcase_add_test(tc, test_client_free_with_blocked_callers);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(client_suite, "both")

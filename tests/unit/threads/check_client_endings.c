/*
 * Endings of the client against the real servers (Prosody and ejabberd,
 * through tests/servers/with-server.sh): cx_client_disconnect flushes the
 * writer queue before it closes the stream, so that everything sent before
 * it reaches the peer; cx_client_free of a connected client does the same.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cxmpp/cxmpp.h"
#include "tests/integration/harness.h"

#define NMSG 1000

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v != '\0', "%s is not set", name);
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
		      "%s: %s", key, err.message);
}

static cx_settings *
account(int n)
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
	return s;
}

static cx_client *
connect_account(int n, const char *resource)
{
	cx_settings *s = account(n);
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;

	set(s, "resource", resource);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s", err.message);
	cx_settings_unref(s);
	return c;
}

/* Sends NMSG numbered messages from a fresh client of account 1 to the
 * collector's full JID, then ends that client with `end` at once, and
 * checks that all NMSG arrive, in order. */
static void
flush_run(int use_free)
{
	cx_client *rx, *tx;
	cx_collector *k = NULL;
	cx_filter f = CX_FILTER_INIT;
	cx_error err = CX_ERROR_INIT;
	char *to, body[32];
	int i, got = 0;
	int64_t t0;

	rx = connect_account(2, "collector");
	f.kind = CX_STANZA_MESSAGE;
	f.from = env("CX_TEST_USER1");
	ck_assert_int_eq(cx_collector_new(&k, rx, &f, 2 * NMSG, &err), CX_OK);
	to = cx_client_get_jid(rx);
	ck_assert_ptr_nonnull(to);

	tx = connect_account(1, use_free ? "sender-free" : "sender-disconnect");
	for (i = 1; i <= NMSG; i++) {
		cx_stanza *m = NULL;

		snprintf(body, sizeof(body), "%d", i);
		ck_assert_int_eq(cx_stanza_new_message(&m, to, "chat", body, &err), CX_OK);
		ck_assert_int_eq(cx_client_send(tx, m, &err), CX_OK);
		cx_stanza_unref(m);
	}
	t0 = now_ms();
	if (use_free) {
		cx_client_free(tx);
	} else {
		ck_assert_int_eq(cx_client_disconnect(tx, &err), CX_OK);
		ck_assert_int_eq(cx_client_get_state(tx), CX_CLIENT_DISCONNECTED);
		cx_client_free(tx);
	}
	/* bounded: the flush and the close handshake, not a timeout */
	ck_assert_msg(now_ms() - t0 < 6000, "ending took %lld ms",
		      (long long)(now_ms() - t0));

	for (i = 1; i <= NMSG; i++) {
		cx_stanza *s = NULL;
		char *b = NULL;

		if (cx_collector_next(&s, k, 10000, &err) != CX_OK)
			break;
		ck_assert_int_eq(cx_stanza_get_body(&b, s, NULL, NULL), CX_OK);
		snprintf(body, sizeof(body), "%d", i);
		ck_assert_msg(strcmp(b, body) == 0, "message %d has body %s", i, b);
		cx_free(b);
		cx_stanza_unref(s);
		got++;
	}
	ck_assert_msg(got == NMSG, "%d of %d messages arrived", got, NMSG);
	ck_assert_uint_eq(cx_collector_dropped(k), 0);
	cx_collector_free(k);
	cx_free(to);
	ck_assert_int_eq(cx_client_disconnect(rx, &err), CX_OK);
	cx_client_free(rx);
}

START_TEST(test_client_endings_disconnect_flushes)
{
	flush_run(0);
}
END_TEST

START_TEST(test_client_endings_free_flushes)
{
	flush_run(1);
}
END_TEST

static Suite *
endings_suite(void)
{
	Suite *s = suite_create("client_endings");
	TCase *tc = tcase_create("flush");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_client_endings_disconnect_flushes);
	tcase_add_test(tc, test_client_endings_free_flushes);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(endings_suite, "both")

/*
 * cxmpp-echo-bot as a process against a real server: it echoes messages
 * from several contacts at once, and answers ping, software version and
 * disco. It stops cleanly (exit 0) on SIGTERM.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
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

#define NMSG 20

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL && *v, "%s is not set", name);
	return v;
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
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, env(name), &err), CX_OK);
	snprintf(name, sizeof(name), "CX_TEST_PASS%d", n);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_PASSWORD, env(name), &err), CX_OK);
	ck_assert_int_eq(cx_settings_set_from_string(s, CX_SETTING_HOST, env("CX_TEST_HOST"), &err), CX_OK);
	ck_assert_int_eq(cx_settings_set_from_string(s, CX_SETTING_PORT, env("CX_TEST_PORT"), &err), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS_CA_FILE, env("CX_TEST_CA"), &err), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s", err.message);
	cx_settings_unref(s);
	return c;
}

/* Starts the bot as user 3 with resource "bot"; returns its PID once it
 * said "ready" (bounded). */
static pid_t
start_bot(char *bot_jid, size_t len)
{
	const char *top = getenv("top_builddir");
	char path[4096], buf[512];
	int fds[2];
	size_t got = 0;
	pid_t pid;
	time_t end = time(NULL) + 20;

	snprintf(path, sizeof(path), "%s/examples/cxmpp-echo-bot", top ? top : ".");
	snprintf(bot_jid, len, "%s/bot", env("CX_TEST_USER3"));
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		setenv("CXMPP_JID", bot_jid, 1);
		setenv("CXMPP_PASSWORD", getenv("CX_TEST_PASS3"), 1);
		setenv("CXMPP_HOST", getenv("CX_TEST_HOST"), 1);
		setenv("CXMPP_PORT", getenv("CX_TEST_PORT"), 1);
		setenv("CXMPP_TLS_CA_FILE", getenv("CX_TEST_CA"), 1);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	buf[0] = '\0';
	while (strstr(buf, "ready") == NULL && time(NULL) < end) {
		struct pollfd p = { fds[0], POLLIN, 0 };
		ssize_t n;

		if (poll(&p, 1, 500) <= 0)
			continue;
		n = read(fds[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = '\0';
		if (got >= sizeof(buf) - 1)
			got = 0;
	}
	close(fds[0]);
	if (strstr(buf, "ready") == NULL) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_abort_msg("the echo bot did not come up: %s", buf);
	}
	return pid;
}

static void
stop_bot(pid_t pid)
{
	int status = 0, i;

	ck_assert_int_eq(kill(pid, SIGTERM), 0);
	for (i = 0; i < 100; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	if (i == 100) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		ck_abort_msg("the echo bot did not stop on SIGTERM within 10 s");
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the echo bot exited with status %d", status);
}

struct talker {
	cx_client *c;
	const char *bot;
	int ok;
	char why[512];
};

/* Sends NMSG messages and expects each echoed back exactly once. The bot's
 * handler is concurrent, so echoes may overtake each other: no order. */
static void *
talk(void *arg)
{
	struct talker *t = arg;
	cx_filter f = CX_FILTER_INIT;
	cx_collector *coll = NULL;
	cx_error err = CX_ERROR_INIT;
	char body[64];
	int i, echoed[NMSG] = { 0 };

	f.kind = CX_STANZA_MESSAGE;
	f.from = t->bot;
	if (cx_collector_new(&coll, t->c, &f, NMSG * 2, &err) != CX_OK) {
		snprintf(t->why, sizeof(t->why), "collector: %s", err.message);
		return NULL;
	}
	for (i = 0; i < NMSG; i++) {
		cx_stanza *m = NULL;

		snprintf(body, sizeof(body), "%p says %d", (void *)t, i);
		if (cx_stanza_new_message(&m, t->bot, "chat", body, &err) != CX_OK ||
		    cx_client_send(t->c, m, &err) != CX_OK) {
			snprintf(t->why, sizeof(t->why), "send: %s", err.message);
			cx_stanza_unref(m);
			goto out;
		}
		cx_stanza_unref(m);
	}
	for (i = 0; i < NMSG; i++) {
		cx_stanza *got = NULL;
		char *text = NULL;
		int seen = -1;
		const char *sp;

		if (cx_collector_next(&got, coll, 15000, &err) != CX_OK) {
			snprintf(t->why, sizeof(t->why), "echo %d: %s", i, err.message);
			goto out;
		}
		if (cx_stanza_get_body(&text, got, NULL, NULL) == CX_OK &&
		    (sp = strrchr(text, ' ')) != NULL &&
		    strncmp(text, body, (size_t)(strrchr(body, ' ') - body)) == 0)
			sscanf(sp + 1, "%d", &seen);
		cx_free(text);
		cx_stanza_unref(got);
		if (seen < 0 || seen >= NMSG || echoed[seen]) {
			snprintf(t->why, sizeof(t->why),
				 "echo %d: unexpected or repeated (%d)", i, seen);
			goto out;
		}
		echoed[seen] = 1;
	}
	t->ok = 1;
out:
	cx_collector_free(coll);
	return NULL;
}

START_TEST(test_echo_bot_serves_contacts)
{
	char bot[512];
	pid_t pid = start_bot(bot, sizeof(bot));
	struct talker a = { 0 }, b = { 0 };
	pthread_t ta, tb;

	a.c = connect_account(1);
	b.c = connect_account(2);
	a.bot = b.bot = bot;
	ck_assert_int_eq(pthread_create(&ta, NULL, talk, &a), 0);
	ck_assert_int_eq(pthread_create(&tb, NULL, talk, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	ck_assert_msg(a.ok, "first contact: %s", a.why);
	ck_assert_msg(b.ok, "second contact: %s", b.why);
	cx_client_free(a.c);
	cx_client_free(b.c);
	stop_bot(pid);
}
END_TEST

START_TEST(test_echo_bot_answers_ping_version_disco)
{
	char bot[512];
	pid_t pid = start_bot(bot, sizeof(bot));
	cx_client *c = connect_account(1);
	cx_error err = CX_ERROR_INIT;
	cx_version_info *v = NULL;
	cx_disco_info *info = NULL;

	ck_assert_msg(cx_ping(c, bot, 10000, &err) == CX_OK, "ping: %s", err.message);
	ck_assert_msg(cx_version_call(&v, c, bot, 10000, &err) == CX_OK,
		      "version: %s", err.message);
	ck_assert_str_eq(v->name, "cxmpp-echo-bot");
	ck_assert_str_eq(v->version, PACKAGE_VERSION);
	ck_assert_ptr_null(v->os); /* not disclosed by default */
	cx_version_info_free(v);
	ck_assert_msg(cx_disco_info_call(&info, c, bot, NULL, 10000, &err) == CX_OK,
		      "disco: %s", err.message);
	ck_assert(cx_disco_info_has_feature(info, "urn:xmpp:ping"));
	ck_assert(cx_disco_info_has_feature(info, "jabber:iq:version"));
	ck_assert(cx_disco_info_has_feature(info, "http://jabber.org/protocol/disco#info"));
	cx_disco_info_free(info);
	cx_client_free(c);
	stop_bot(pid);
}
END_TEST

static Suite *
echo_bot_suite(void)
{
	Suite *s = suite_create("echo_bot");
	TCase *tc = tcase_create("process");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_echo_bot_serves_contacts);
	tcase_add_test(tc, test_echo_bot_answers_ping_version_disco);
	suite_add_tcase(s, tc);
	return s;
}

CXT_INTEGRATION_MAIN(echo_bot_suite, "both")

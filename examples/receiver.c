/*
 * cxmpp-receiver: print incoming messages until interrupted.
 *
 *   cxmpp-receiver [options] [--count N]
 *
 * One line per message on standard output: "FROM: BODY". With --count N it
 * exits after N messages (for scripts and the demo). The client announces
 * itself available (initial presence) so that messages reach it. The account and
 * connection options are those of cxmpp-send.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "examples/tool.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long received;
static int ended;            /* the connection ended */
static volatile sig_atomic_t interrupted;

static cx_handler_result
on_message(void *arg, cx_client *c, cx_stanza *s)
{
	char *body = NULL;
	const char *from = cx_stanza_get_from(s);

	(void)arg;
	(void)c;
	if (cx_stanza_get_body(&body, s, NULL, NULL) != CX_OK)
		return CX_HANDLER_PASS; /* chat states, receipts ... */
	printf("%s: %s\n", from ? from : "(server)", body);
	fflush(stdout);
	cx_free(body);
	pthread_mutex_lock(&lock);
	received++;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lock);
	return CX_HANDLER_CONSUMED;
}

static void
on_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	(void)arg;
	(void)c;
	if (ev != CX_EVENT_DISCONNECTED)
		return;
	if (err && err->status != CX_OK)
		fprintf(stderr, "cxmpp-receiver: disconnected: %s\n", err->message);
	pthread_mutex_lock(&lock);
	ended = 1;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&lock);
}

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int
main(int argc, char **argv)
{
	cxe_tool t = { .prog = "cxmpp-receiver" };
	struct option opts[64];
	const struct option own[] = { { "count", required_argument, NULL, 'n' } };
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	struct sigaction sa;
	long count = 0;
	int opt, code = CXE_EXIT_OK;
	size_t n;

	memcpy(opts, own, sizeof(own));
	n = 1;
	memcpy(opts + n, cxe_common_options, cxe_common_noptions * sizeof(opts[0]));
	memset(&opts[n + cxe_common_noptions], 0, sizeof(opts[0]));
	while ((opt = getopt_long(argc, argv, "n:" CXE_COMMON_SHORTOPTS, opts, NULL)) != -1) {
		int rc;

		if (opt == 'n') {
			count = strtol(optarg, NULL, 10);
			continue;
		}
		if (opt == 'h') {
			fputs("Usage: cxmpp-receiver [options] [--count N]\n"
			      "Print incoming messages as \"FROM: BODY\" until interrupted.\n\n"
			      "  -n, --count N             exit after N messages\n\n", stdout);
			cxe_common_help(stdout);
			return 0;
		}
		rc = cxe_tool_option(&t, opt, optarg);
		if (rc <= 0) {
			cxe_tool_free(&t);
			return CXE_EXIT_USAGE;
		}
	}
	if ((s = cxe_tool_settings(&t)) == NULL) {
		code = CXE_EXIT_CONFIG;
		goto out;
	}
	/* Handlers before connecting, so that nothing is missed. The signal
	 * handler only sets a flag; the main thread polls it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (cx_client_new(&c, s, NULL, &err) != CX_OK) {
		code = cxe_fail(&t, "account", err.status, &err);
		goto out;
	}
	cx_client_on_message(c, on_message, NULL, NULL, 0);
	cx_client_on_event(c, on_event, NULL, NULL);
	if (cx_client_connect(c, &err) != CX_OK) {
		code = cxe_fail(&t, "connect", err.status, &err);
		goto out;
	}
	fprintf(stderr, "cxmpp-receiver: ready\n");
	pthread_mutex_lock(&lock);
	while (!interrupted && !ended && (count == 0 || received < count)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&cv, &lock, &ts);
	}
	if (ended)
		code = CXE_EXIT_STREAM;
	pthread_mutex_unlock(&lock);
	if (!ended && cx_client_disconnect(c, &err) != CX_OK)
		code = cxe_fail(&t, "disconnect", err.status, &err);
out:
	cx_client_free(c);
	cx_settings_unref(s);
	cxe_tool_free(&t);
	return code;
}

/*
 * cxmpp-echo-bot: answer every chat message with the same text.
 *
 *   cxmpp-echo-bot [options]
 *
 * The handler is registered as concurrent: messages from many contacts are
 * answered in parallel on the runtime's pool. The bot also answers XEP-0199
 * pings, XEP-0092 version requests (name and version, no OS) and XEP-0030
 * disco#info (identity client/bot), announces XEP-0115 caps in its
 * presence, and keeps the connection checked with the keepalive settings
 * (keepalive.interval_ms, ping.interval_ms, ping.timeout_ms). It runs
 * until interrupted.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cxmpp/caps.h"
#include "cxmpp/disco.h"
#include "cxmpp/ping.h"
#include "cxmpp/version.h"
#include "examples/tool.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static cx_handler_result
echo(void *arg, cx_client *c, cx_stanza *s)
{
	const char *from = cx_stanza_get_from(s), *type = cx_stanza_get_type(s);
	char *body = NULL;
	cx_stanza *reply = NULL;
	cx_error err = CX_ERROR_INIT;

	(void)arg;
	if (from == NULL || (type && strcmp(type, "error") == 0) ||
	    cx_stanza_get_body(&body, s, NULL, NULL) != CX_OK)
		return CX_HANDLER_PASS;
	if (cx_stanza_new_message(&reply, from, type ? type : "chat", body, &err) != CX_OK ||
	    cx_client_send(c, reply, &err) != CX_OK)
		fprintf(stderr, "cxmpp-echo-bot: could not answer %s: %s\n", from,
			err.message);
	cx_stanza_unref(reply);
	cx_free(body);
	return CX_HANDLER_CONSUMED;
}

int
main(int argc, char **argv)
{
	cxe_tool t = { .prog = "cxmpp-echo-bot" };
	struct option opts[64];
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	struct sigaction sa;
	int opt, code = CXE_EXIT_OK;

	memcpy(opts, cxe_common_options, cxe_common_noptions * sizeof(opts[0]));
	memset(&opts[cxe_common_noptions], 0, sizeof(opts[0]));
	while ((opt = getopt_long(argc, argv, CXE_COMMON_SHORTOPTS, opts, NULL)) != -1) {
		if (opt == 'h') {
			fputs("Usage: cxmpp-echo-bot [options]\n"
			      "Answer every message with its own text until interrupted.\n"
			      "Many contacts are served at once. The bot also answers\n"
			      "pings (XEP-0199), software version requests (XEP-0092,\n"
			      "without the OS) and service discovery (XEP-0030), sends\n"
			      "entity capabilities (XEP-0115) in its presence, and\n"
			      "honours keepalive.interval_ms, ping.interval_ms and\n"
			      "ping.timeout_ms: a server that stops answering pings\n"
			      "ends the bot with the stream exit code.\n\n",
			      stdout);
			cxe_common_help(stdout);
			return 0;
		}
		if (cxe_tool_option(&t, opt, optarg) <= 0) {
			cxe_tool_free(&t);
			return CXE_EXIT_USAGE;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if ((s = cxe_tool_settings(&t)) == NULL) {
		code = CXE_EXIT_CONFIG;
		goto out;
	}
	/* The presence goes out with caps, after the features registered. */
	if (cx_settings_set_bool(s, CX_SETTING_PRESENCE_INITIAL, false, &err) != CX_OK ||
	    cx_client_new(&c, s, NULL, &err) != CX_OK) {
		code = cxe_fail(&t, "account", err.status, &err);
		goto out;
	}
	if (cx_client_on_message(c, echo, NULL, NULL, CX_HANDLER_CONCURRENT) == 0) {
		code = cxe_fail(&t, "handler", CX_ERR_NOMEM, NULL);
		goto out;
	}
	if (cx_disco_add_identity(c, "client", "bot", "cxmpp echo bot", NULL, &err) != CX_OK ||
	    cx_ping_enable_responder(c, &err) != CX_OK ||
	    cx_version_enable_responder(c, "cxmpp-echo-bot", PACKAGE_VERSION, NULL,
					&err) != CX_OK ||
	    cx_caps_enable(c, NULL, &err) != CX_OK ||
	    cx_ping_keepalive_enable(c, &err) != CX_OK) {
		code = cxe_fail(&t, "features", err.status, &err);
		goto out;
	}
	if (cx_client_connect(c, &err) != CX_OK) {
		code = cxe_fail(&t, "connect", err.status, &err);
		goto out;
	}
	if (cx_caps_send_presence(c, NULL, &err) != CX_OK) {
		code = cxe_fail(&t, "presence", err.status, &err);
		goto out;
	}
	fprintf(stderr, "cxmpp-echo-bot: ready\n");
	while (!stop && cx_client_get_state(c) == CX_CLIENT_CONNECTED)
		usleep(100000);
	if (cx_client_get_state(c) != CX_CLIENT_CONNECTED) {
		fprintf(stderr, "cxmpp-echo-bot: the connection ended\n");
		code = CXE_EXIT_STREAM;
	} else if (cx_client_disconnect(c, &err) != CX_OK) {
		code = cxe_fail(&t, "disconnect", err.status, &err);
	}
out:
	cx_client_free(c);
	cx_settings_unref(s);
	cxe_tool_free(&t);
	return code;
}

/*
 * cxmpp-send: send a message to one or more XMPP addresses.
 *
 *   cxmpp-send [options] -m TEXT JID...
 *   echo TEXT | cxmpp-send [options] JID...
 *
 * Connects once, sends one message to each recipient, makes one round trip
 * to the server so that every message is known to have been processed, and
 * closes the stream cleanly. See cxmpp-send(1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "examples/tool.h"

enum { O_TYPE = 100, O_SUBJECT };

static void
usage(FILE *out)
{
	fputs("Usage: cxmpp-send [options] [-m TEXT] JID...\n"
	      "Send a message to each JID; the text comes from -m or standard input.\n\n"
	      "  -m, --message TEXT        the message text\n"
	      "  -t, --type TYPE           chat (default), normal or headline\n"
	      "  -s, --subject TEXT        a subject\n\n", out);
	cxe_common_help(out);
	fputs("\nThe account comes from -j, CXMPP_JID or the config file; the password\n"
	      "from --password-file, CXMPP_PASSWORD or the config file. See cxmpp-send(1).\n"
	      "\nExit status: 0 sent; 2 usage; 3 configuration or bad JID; 4 DNS;\n"
	      "5 connection refused or timed out; 6 TLS; 7 authentication; 8 stream;\n"
	      "9 refused by the server; 1 other.\n", out);
}

static char *
read_all(FILE *in)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *p;
	size_t n;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			if (cap > 16 * 1024 * 1024) {
				free(buf);
				return NULL;
			}
			p = realloc(buf, cap * 2);
			if (p == NULL) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	/* one trailing newline is the shell's, not the message's */
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	return buf;
}

int
main(int argc, char **argv)
{
	cxe_tool t = { .prog = "cxmpp-send" };
	struct option opts[64];
	const struct option own[] = {
		{ "message", required_argument, NULL, 'm' },
		{ "type", required_argument, NULL, 't' },
		{ "subject", required_argument, NULL, 's' },
	};
	const char *text = NULL, *type = "chat", *subject = NULL;
	char *body = NULL, *jid = NULL, *domain = NULL;
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_stanza *ping = NULL, *reply = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	int opt, code = CXE_EXIT_OK, i;
	size_t n = 0;

	memcpy(opts, own, sizeof(own));
	n = sizeof(own) / sizeof(own[0]);
	memcpy(opts + n, cxe_common_options, cxe_common_noptions * sizeof(opts[0]));
	n += cxe_common_noptions;
	memset(&opts[n], 0, sizeof(opts[n]));

	while ((opt = getopt_long(argc, argv, "m:t:s:" CXE_COMMON_SHORTOPTS, opts,
				  NULL)) != -1) {
		int rc;

		switch (opt) {
		case 'm': text = optarg; continue;
		case 't': type = optarg; continue;
		case 's': subject = optarg; continue;
		case 'h': usage(stdout); cxe_tool_free(&t); return 0;
		}
		rc = cxe_tool_option(&t, opt, optarg);
		if (rc <= 0) {
			if (rc == 0)
				usage(stderr);
			cxe_tool_free(&t);
			return CXE_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "cxmpp-send: no recipient given\n");
		usage(stderr);
		cxe_tool_free(&t);
		return CXE_EXIT_USAGE;
	}
	if (strcmp(type, "chat") != 0 && strcmp(type, "normal") != 0 &&
	    strcmp(type, "headline") != 0) {
		fprintf(stderr, "cxmpp-send: --type takes chat, normal or headline\n");
		cxe_tool_free(&t);
		return CXE_EXIT_USAGE;
	}
	/* Every recipient must be a valid JID before anything is sent: a typo
	 * in the third address must not leave the first two served. */
	for (i = optind; i < argc; i++) {
		cx_jid *j = NULL;

		if (cx_jid_parse(&j, argv[i], &err) != CX_OK) {
			code = cxe_fail(&t, argv[i], err.status, &err);
			goto out;
		}
		cx_jid_free(j);
	}
	body = text ? strdup(text) : read_all(stdin);
	if (body == NULL) {
		fprintf(stderr, "cxmpp-send: could not read the message\n");
		code = CXE_EXIT_FAILURE;
		goto out;
	}
	if (body[0] == '\0') {
		fprintf(stderr, "cxmpp-send: the message is empty (give -m TEXT or "
			"text on standard input)\n");
		code = CXE_EXIT_USAGE;
		goto out;
	}
	if ((s = cxe_tool_settings(&t)) == NULL) {
		code = CXE_EXIT_CONFIG;
		goto out;
	}
	/* A one-shot sender is not "online": without an initial presence the
	 * server neither flushes offline messages to it nor tells contacts. */
	if (cx_settings_set_bool(s, CX_SETTING_PRESENCE_INITIAL, false, &err) != CX_OK) {
		code = cxe_fail(&t, "settings", err.status, &err);
		goto out;
	}
	if ((c = cxe_tool_connect(&t, s, &code)) == NULL)
		goto out;

	for (i = optind; i < argc; i++) {
		cx_stanza *m = NULL;

		st = cx_stanza_new_message(&m, argv[i], type, body, &err);
		if (st == CX_OK && subject)
			st = cx_stanza_add_child(NULL, m, NULL, NULL, "subject",
						 subject, &err);
		if (st == CX_OK)
			st = cx_client_send(c, m, &err);
		cx_stanza_unref(m);
		if (st != CX_OK) {
			code = cxe_fail(&t, argv[i], st, &err);
			goto out;
		}
	}
	/* One round trip: the server handles our stanzas in order, so when it
	 * answers, every message above has been processed. */
	jid = cx_client_get_jid(c);
	if (jid != NULL) {
		char *at = strchr(jid, '@'), *slash;
		domain = strdup(at ? at + 1 : jid);
		if (domain && (slash = strchr(domain, '/')) != NULL)
			*slash = '\0';
	}
	st = cx_stanza_new_iq(&ping, "get", domain, "urn:xmpp:ping", "ping", &err);
	if (st == CX_OK)
		st = cx_client_call(&reply, c, ping, CX_TIMEOUT_DEFAULT, &err);
	if (st != CX_OK && st != CX_ERR_STANZA_ERROR) {
		code = cxe_fail(&t, "confirming delivery to the server", st, &err);
		goto out;
	}
	st = cx_client_disconnect(c, &err);
	if (st != CX_OK)
		code = cxe_fail(&t, "disconnect", st, &err);
out:
	cx_stanza_unref(reply);
	cx_stanza_unref(ping);
	cx_client_free(c);
	cx_settings_unref(s);
	free(body);
	free(jid);
	free(domain);
	cxe_tool_free(&t);
	return code;
}

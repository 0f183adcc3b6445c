/*
 * cxmpp-roster: show and change an XMPP roster.
 *
 *   cxmpp-roster [options] list [--wait MS] [--json]
 *   cxmpp-roster [options] add JID [--name NAME] [--group GROUP]...
 *   cxmpp-roster [options] remove JID
 *   cxmpp-roster [options] approve JID
 *   cxmpp-roster [options] subscribe JID
 *
 * `list` prints the roster with who is online and how: presence arrives
 * after the initial presence, so it waits (--wait, default 2000 ms, at most
 * 60000) before printing. See cxmpp-roster(1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "examples/tool.h"

enum { O_NAME = 200, O_GROUP, O_WAIT, O_JSON };

#define MAX_GROUPS 64

static void
usage(FILE *out)
{
	fputs("Usage: cxmpp-roster [options] COMMAND [ARGS]\n"
	      "Show or change the roster of an XMPP account.\n\n"
	      "Commands:\n"
	      "  list                      the contacts, with who is online and how\n"
	      "  add JID                   add or update a contact\n"
	      "  remove JID                remove a contact\n"
	      "  approve JID               accept JID's subscription request\n"
	      "  subscribe JID             ask for JID's presence\n\n"
	      "  -n, --name NAME           (add) the contact's name\n"
	      "  -g, --group GROUP         (add) a group; may be repeated\n"
	      "      --wait MS             (list) wait for presence, default 2000\n"
	      "      --json                (list) print JSON\n\n", out);
	cxe_common_help(out);
	fputs("\nExit status: 0 done; 2 usage; 3 configuration; 4 DNS; 5 connection;\n"
	      "6 TLS; 7 authentication; 8 stream; 9 refused by the server; 1 other.\n", out);
}

static void
json_str(FILE *out, const char *s)
{
	if (s == NULL) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void
print_text(const cx_roster *r, cx_presence_list *const *pres)
{
	size_t n = cx_roster_count(r);

	if (n == 0)
		puts("(the roster is empty)");
	for (size_t i = 0; i < n; i++) {
		const cx_roster_item *it = cx_roster_item_at(r, i);
		size_t np = cx_presence_list_count(pres[i]);

		printf("%s", cx_roster_item_get_jid(it));
		if (cx_roster_item_get_name(it))
			printf(" \"%s\"", cx_roster_item_get_name(it));
		printf(" [%s%s]", cx_roster_subscription_name(
					  cx_roster_item_get_subscription(it)),
		       cx_roster_item_is_pending_out(it) ? ", asked" : "");
		for (size_t g = 0; g < cx_roster_item_group_count(it); g++)
			printf("%s%s", g ? ", " : " groups: ",
			       cx_roster_item_group_at(it, g));
		printf("%s\n", np ? "" : " - offline");
		for (size_t k = 0; k < np; k++) {
			const cx_presence *p = cx_presence_list_at(pres[i], k);

			printf("    %s: %s", cx_presence_get_from(p),
			       cx_presence_show_name(cx_presence_get_show(p)));
			if (cx_presence_get_status(p))
				printf(" (%s)", cx_presence_get_status(p));
			printf(" priority %d\n", cx_presence_get_priority(p));
		}
	}
}

static void
print_json(const cx_roster *r, cx_presence_list *const *pres)
{
	size_t n = cx_roster_count(r);

	printf("{\"version\":");
	json_str(stdout, cx_roster_get_version(r));
	printf(",\"items\":[");
	for (size_t i = 0; i < n; i++) {
		const cx_roster_item *it = cx_roster_item_at(r, i);

		printf("%s{\"jid\":", i ? "," : "");
		json_str(stdout, cx_roster_item_get_jid(it));
		printf(",\"name\":");
		json_str(stdout, cx_roster_item_get_name(it));
		printf(",\"subscription\":\"%s\",\"ask\":%s,\"groups\":[",
		       cx_roster_subscription_name(cx_roster_item_get_subscription(it)),
		       cx_roster_item_is_pending_out(it) ? "true" : "false");
		for (size_t g = 0; g < cx_roster_item_group_count(it); g++) {
			if (g)
				putchar(',');
			json_str(stdout, cx_roster_item_group_at(it, g));
		}
		printf("],\"resources\":[");
		for (size_t k = 0; k < cx_presence_list_count(pres[i]); k++) {
			const cx_presence *p = cx_presence_list_at(pres[i], k);

			printf("%s{\"jid\":", k ? "," : "");
			json_str(stdout, cx_presence_get_from(p));
			printf(",\"show\":\"%s\",\"status\":",
			       cx_presence_show_name(cx_presence_get_show(p)));
			json_str(stdout, cx_presence_get_status(p));
			printf(",\"priority\":%d}", cx_presence_get_priority(p));
		}
		printf("]}");
	}
	printf("]}\n");
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int
do_list(cxe_tool *t, cx_client *c, long wait_ms, int json)
{
	cx_roster *r = NULL;
	cx_presence_list **pres = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	int code = CXE_EXIT_OK;
	size_t n = 0;

	if ((st = cx_roster_fetch(c, CX_TIMEOUT_DEFAULT, &err)) != CX_OK)
		return cxe_fail(t, "fetching the roster", st, &err);
	/* The server sends the contacts' presence after our initial presence;
	 * there is no end marker, so wait a bounded time. */
	if (wait_ms > 0)
		sleep_ms(wait_ms);
	if ((st = cx_roster_get_cache(&r, c, &err)) != CX_OK) {
		code = cxe_fail(t, "reading the roster", st, &err);
		goto out;
	}
	n = cx_roster_count(r);
	if (n > 0 && (pres = calloc(n, sizeof(*pres))) == NULL) {
		code = cxe_fail(t, "reading presence", CX_ERR_NOMEM, NULL);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		st = cx_presence_get_cached(&pres[i], c,
					    cx_roster_item_get_jid(cx_roster_item_at(r, i)),
					    &err);
		if (st != CX_OK) {
			code = cxe_fail(t, "reading presence", st, &err);
			goto out;
		}
	}
	if (json)
		print_json(r, pres);
	else
		print_text(r, pres);
out:
	for (size_t i = 0; pres != NULL && i < n; i++)
		cx_presence_list_free(pres[i]);
	free(pres);
	cx_roster_free(r);
	return code;
}

int
main(int argc, char **argv)
{
	cxe_tool t = { .prog = "cxmpp-roster" };
	struct option opts[64];
	const struct option own[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "group", required_argument, NULL, 'g' },
		{ "wait", required_argument, NULL, O_WAIT },
		{ "json", no_argument, NULL, O_JSON },
	};
	const char *name = NULL, *groups[MAX_GROUPS], *cmd, *jid = NULL;
	size_t ngroups = 0, n;
	long wait_ms = 2000;
	int json = 0, opt, code = CXE_EXIT_OK;
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	char *end;

	memcpy(opts, own, sizeof(own));
	n = sizeof(own) / sizeof(own[0]);
	memcpy(opts + n, cxe_common_options, cxe_common_noptions * sizeof(opts[0]));
	n += cxe_common_noptions;
	memset(&opts[n], 0, sizeof(opts[n]));

	while ((opt = getopt_long(argc, argv, "n:g:" CXE_COMMON_SHORTOPTS, opts,
				  NULL)) != -1) {
		int rc;

		switch (opt) {
		case 'n': name = optarg; continue;
		case 'g':
			if (ngroups == MAX_GROUPS) {
				fprintf(stderr, "cxmpp-roster: at most %d groups\n",
					MAX_GROUPS);
				cxe_tool_free(&t);
				return CXE_EXIT_USAGE;
			}
			groups[ngroups++] = optarg;
			continue;
		case O_WAIT:
			wait_ms = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || wait_ms < 0 ||
			    wait_ms > 60000) {
				fprintf(stderr, "cxmpp-roster: --wait takes 0..60000\n");
				cxe_tool_free(&t);
				return CXE_EXIT_USAGE;
			}
			continue;
		case O_JSON: json = 1; continue;
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
		fprintf(stderr, "cxmpp-roster: no command given\n");
		usage(stderr);
		cxe_tool_free(&t);
		return CXE_EXIT_USAGE;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "list") == 0) {
		if (optind != argc)
			goto bad_args;
	} else if (strcmp(cmd, "add") == 0 || strcmp(cmd, "remove") == 0 ||
		   strcmp(cmd, "approve") == 0 || strcmp(cmd, "subscribe") == 0) {
		if (optind + 1 != argc)
			goto bad_args;
		jid = argv[optind];
	} else {
		fprintf(stderr, "cxmpp-roster: unknown command '%s'\n", cmd);
		usage(stderr);
		cxe_tool_free(&t);
		return CXE_EXIT_USAGE;
	}
	if ((name != NULL || ngroups > 0) && strcmp(cmd, "add") != 0) {
		fprintf(stderr, "cxmpp-roster: --name and --group go with add\n");
		cxe_tool_free(&t);
		return CXE_EXIT_USAGE;
	}
	if ((s = cxe_tool_settings(&t)) == NULL) {
		code = CXE_EXIT_CONFIG;
		goto out;
	}
	if (jid != NULL) {
		char *norm = NULL;

		if ((st = cx_jid_normalize(&norm, jid, &err)) != CX_OK) {
			fprintf(stderr, "cxmpp-roster: %s: not a valid JID (%s)\n",
				jid, err.message);
			code = CXE_EXIT_USAGE;
			goto out;
		}
		cx_free(norm);
	}
	/* The features are enabled once connected (cxe_tool_connect makes the
	 * client), so the initial presence is ours to send after that: the
	 * server answers it with the contacts' presence, which must not
	 * arrive before the cache listens. */
	if ((st = cx_settings_set_bool(s, CX_SETTING_PRESENCE_INITIAL, false,
				       &err)) != CX_OK) {
		code = cxe_fail(&t, "settings", st, &err);
		goto out;
	}
	if ((c = cxe_tool_connect(&t, s, &code)) == NULL)
		goto out;
	if ((st = cx_roster_enable(c, NULL, &err)) != CX_OK ||
	    (st = cx_presence_enable(c, &err)) != CX_OK) {
		code = cxe_fail(&t, "setting up", st, &err);
		goto out;
	}
	if (strcmp(cmd, "list") == 0) {
		if ((st = cx_presence_send(c, NULL, CX_SHOW_ONLINE, NULL,
					   CX_PRESENCE_NO_PRIORITY, &err)) != CX_OK) {
			code = cxe_fail(&t, "sending presence", st, &err);
			goto out;
		}
		code = do_list(&t, c, wait_ms, json);
	} else if (strcmp(cmd, "add") == 0) {
		st = cx_roster_update(c, jid, name, groups, ngroups,
				      CX_TIMEOUT_DEFAULT, &err);
		if (st != CX_OK)
			code = cxe_fail(&t, jid, st, &err);
	} else if (strcmp(cmd, "remove") == 0) {
		st = cx_roster_remove(c, jid, CX_TIMEOUT_DEFAULT, &err);
		if (st != CX_OK)
			code = cxe_fail(&t, jid, st, &err);
	} else {
		st = strcmp(cmd, "approve") == 0 ? cx_presence_approve(c, jid, &err)
						 : cx_presence_subscribe(c, jid, &err);
		/* A round trip: the server has handled the presence when it
		 * answers the roster get that follows it. */
		if (st == CX_OK)
			st = cx_roster_fetch(c, CX_TIMEOUT_DEFAULT, &err);
		if (st != CX_OK)
			code = cxe_fail(&t, jid, st, &err);
	}
	if (code == CXE_EXIT_OK) {
		st = cx_presence_disconnect(c, NULL, &err);
		if (st != CX_OK)
			code = cxe_fail(&t, "disconnect", st, &err);
	}
out:
	cx_client_free(c);
	cx_settings_unref(s);
	cxe_tool_free(&t);
	return code;
bad_args:
	fprintf(stderr, "cxmpp-roster: wrong arguments for %s\n", cmd);
	usage(stderr);
	cxe_tool_free(&t);
	return CXE_EXIT_USAGE;
}

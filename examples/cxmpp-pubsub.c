/*
 * cxmpp-pubsub: a node browser, a feed reader and a blog writer for
 * XEP-0060 publish-subscribe services, in one command-line tool.
 *
 *   cxmpp-pubsub [options] browse SERVICE [NODE [VERB ARGS...]]
 *   cxmpp-pubsub [options] read SERVICE NODE...
 *   cxmpp-pubsub [options] write SERVICE NODE [VERB ARGS...]
 *
 * See cxmpp-pubsub(1).
 *
 * Design notes: every subcommand is a short sequence of the library's
 * blocking calls (include/cxmpp/pubsub.h) on one connection, made from the
 * main thread; only `read` has a second actor, the event handler, which
 * runs on the client's pool and prints items as they arrive. Output goes
 * through one lock so that an event never interleaves with the main
 * thread's lines. Two renderings of everything: lines for a person, or with
 * --json one JSON object per line (jansson) for scripts, with the same
 * exit codes either way (examples/tool.h). Errors always go to standard
 * error; with --json they are also written to standard output as an
 * object of type "error", so that a harness reading stdout sees why.
 * Ctrl-C (SIGINT) and SIGTERM only set a flag that the main thread polls,
 * so that `read` can unsubscribe (if asked) and close the stream cleanly.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "cxmpp/atom.h"
#include "cxmpp/forms.h"
#include "cxmpp/pubsub.h"
#include "examples/tool.h"

#define PROG "cxmpp-pubsub"
#define MAX_NODES 64
#define MAX_LIST 32      /* --category and --link given */

enum cmd { CMD_NONE = 0, CMD_BROWSE = 1, CMD_READ = 2, CMD_WRITE = 4 };
#define CMD_ALL (CMD_BROWSE | CMD_READ | CMD_WRITE)

enum {
	O_JSON = 300, O_DEPTH, O_MAX, O_LAST, O_ALL, O_PAGE_SIZE, O_MAX_PAGES,
	O_UNSUB, O_UNSUB_EXIT, O_COUNT, O_FOR, O_FOLLOW, O_TITLE, O_ID,
	O_CATEGORY, O_LINK, O_AUTHOR, O_SUMMARY, O_NO_NOTIFY, O_DENY,
	O_REDIRECT, O_PAYLOAD, O_PAYLOAD_FILE, O_MESSAGE = 'm', O_FILE = 'f'
};

/* Which subcommands accept each of the tool's own options. */
static const struct {
	int opt;
	unsigned cmds;
} opt_cmds[] = {
	{ O_JSON, CMD_ALL }, { O_DEPTH, CMD_BROWSE }, { O_MAX, CMD_BROWSE },
	{ O_DENY, CMD_BROWSE }, { O_REDIRECT, CMD_BROWSE },
	{ O_LAST, CMD_READ }, { O_ALL, CMD_READ | CMD_WRITE },
	{ O_PAGE_SIZE, CMD_READ | CMD_WRITE }, { O_MAX_PAGES, CMD_READ | CMD_WRITE },
	{ O_UNSUB, CMD_READ }, { O_UNSUB_EXIT, CMD_READ }, { O_COUNT, CMD_READ },
	{ O_FOR, CMD_READ }, { O_FOLLOW, CMD_READ },
	{ O_TITLE, CMD_WRITE }, { O_ID, CMD_WRITE }, { O_CATEGORY, CMD_WRITE },
	{ O_LINK, CMD_WRITE }, { O_AUTHOR, CMD_WRITE }, { O_SUMMARY, CMD_WRITE },
	{ O_NO_NOTIFY, CMD_WRITE }, { O_MESSAGE, CMD_WRITE }, { O_FILE, CMD_WRITE },
	{ O_PAYLOAD, CMD_WRITE }, { O_PAYLOAD_FILE, CMD_WRITE },
};

typedef struct tool_opts {
	int json;
	int depth;
	long max;
	long last;
	int all;
	long page_size;
	long max_pages;
	int unsubscribe, unsubscribe_on_exit, follow;
	long count;
	long for_secs;
	const char *title, *id, *author, *summary, *message, *file, *redirect;
	const char *payload, *payload_file; /* write: a non-Atom payload */
	const char *categories[MAX_LIST];
	size_t n_categories;
	const char *links[MAX_LIST];
	size_t n_links;
	int no_notify, deny;
	const char *given[64];     /* our own options as given (for messages) */
	unsigned given_cmds[64];   /* ... and the subcommands each fits */
	size_t n_given;
} tool_opts;

typedef struct ctx {
	cxe_tool t;
	tool_opts o;
	cx_client *c;
	const char *service;
	char *account;          /* our bare JID */
	/* read: */
	const char *nodes[MAX_NODES];
	size_t n_nodes;
	pthread_mutex_t lock;   /* output and the counters below */
	pthread_cond_t cv;
	long items_seen;
	int ended;              /* the connection ended */
	int progress_shown;
	/* browse ... approve: requests that come as messages (8.6) */
	const char *approve_node;
	char **approve_jids;
	int n_approve_jids;
	char *approved[MAX_NODES];  /* JIDs answered through the form */
	size_t n_approved;
	int approve_failed;
	int synced;                 /* our marker message came back */
	/* write --payload: the checked element, root of its own document */
	xmlDocPtr payload;
} ctx;

static volatile sig_atomic_t interrupted;

/* ------------------------------------------------------------------------
 * Help
 */

static void
usage_main(FILE *out)
{
	fputs("Usage: cxmpp-pubsub [options] browse SERVICE [NODE [VERB ARGS...]]\n"
	      "       cxmpp-pubsub [options] read SERVICE NODE...\n"
	      "       cxmpp-pubsub [options] write SERVICE NODE [VERB ARGS...]\n"
	      "Browse, read and write XEP-0060 publish-subscribe nodes.\n"
	      "`cxmpp-pubsub SUBCOMMAND --help` describes each subcommand.\n\n"
	      "      --json                one JSON object per line on standard output\n", out);
	cxe_common_help(out);
	fputs("\nExit status: 0 done; 1 other failure; 2 usage; 3 configuration; 4 DNS;\n"
	      "5 connection; 6 TLS; 7 authentication; 8 stream; 9 the service refused\n"
	      "(no such node or service, forbidden, not supported ...).\n", out);
}

static void
usage_browse(FILE *out)
{
	fputs("Usage: cxmpp-pubsub [options] browse SERVICE\n"
	      "       cxmpp-pubsub [options] browse SERVICE NODE [VERB ARGS...]\n"
	      "       cxmpp-pubsub [options] browse SERVICE create [KEY=VALUE...]\n"
	      "Without NODE: the tree of the service's nodes, with titles and item counts.\n"
	      "create without NODE: an instant node, named by the service (printed).\n"
	      "With NODE: what the node says about itself, or a verb:\n"
	      "  create [KEY=VALUE...]     create the node, with configuration\n"
	      "  config                    show the node's configuration\n"
	      "  config KEY=VALUE...       change it (KEY: pubsub#title or just title)\n"
	      "  delete                    delete the node\n"
	      "  purge                     delete all of its items\n"
	      "  affiliations              list owners, publishers, outcasts ...\n"
	      "  affiliations JID=AFF...   set them (owner, publisher, publish-only,\n"
	      "                            member, outcast; none removes)\n"
	      "  subscriptions             list the node's subscriptions\n"
	      "  subscriptions JID=STATE...  set them (subscribed; none removes)\n"
	      "  approve [JID...]          approve pending subscriptions (all, or these)\n\n"
	      "      --depth N             levels of the tree to walk (default 8)\n"
	      "      --max N               at most N nodes in the tree (default 1000)\n"
	      "      --deny                with approve: refuse instead\n"
	      "      --redirect URI        with delete: where subscribers should go\n"
	      "      --json                one JSON object per line\n", out);
}

static void
usage_read(FILE *out)
{
	fputs("Usage: cxmpp-pubsub [options] read SERVICE NODE...\n"
	      "Subscribe to the nodes and print items as they arrive, until Ctrl-C.\n"
	      "Atom entries show as title, author, date, link and summary; other\n"
	      "payloads as indented XML.\n\n"
	      "      --last N              print the last N items of each node and exit\n"
	      "      --all                 page through each node's history and exit\n"
	      "      --page-size N         items per page for --all (default 20)\n"
	      "      --max-pages N         stop paging after N pages (default 1000)\n"
	      "      --follow              with --last or --all: then go on reading\n"
	      "      --unsubscribe         unsubscribe from the nodes and exit\n"
	      "      --unsubscribe-on-exit unsubscribe when reading ends\n"
	      "      --count N             stop after N items have arrived\n"
	      "      --for SECONDS         stop after SECONDS (with --count: a failure\n"
	      "                            if fewer items arrived)\n"
	      "      --json                one JSON object per line\n", out);
}

static void
usage_write(FILE *out)
{
	fputs("Usage: cxmpp-pubsub [options] write SERVICE NODE [--title T] [-m TEXT|-f FILE]\n"
	      "       cxmpp-pubsub [options] write SERVICE NODE edit ID [...]\n"
	      "       cxmpp-pubsub [options] write SERVICE NODE retract ID...\n"
	      "       cxmpp-pubsub [options] write SERVICE NODE list\n"
	      "       cxmpp-pubsub [options] write SERVICE NODE --payload XML\n"
	      "Publish an Atom entry; the text comes from -m, -f, standard input, or\n"
	      "$EDITOR when standard input is a terminal. edit republishes item ID\n"
	      "(what is not given is kept); retract deletes items; list shows them.\n\n"
	      "      --title TEXT          the entry's title (default: the first line)\n"
	      "  -m, --message TEXT        the entry's text\n"
	      "  -f, --file FILE           read the text from FILE (- for standard input)\n"
	      "      --summary TEXT        a summary\n"
	      "      --id ID               the item id (default: the service chooses)\n"
	      "      --author NAME         the author (default: the account's JID)\n"
	      "      --category TERM       a category (repeatable)\n"
	      "      --link [REL=]URL      a link (repeatable; rel defaults to alternate)\n"
	      "      --payload XML         publish this element instead of an Atom entry\n"
	      "      --payload-file FILE   ... read from FILE (- for standard input)\n"
	      "      --no-notify           with retract: do not notify subscribers\n"
	      "      --page-size N         with list: items per request (default 50)\n"
	      "      --json                one JSON object per line\n", out);
}

/* ------------------------------------------------------------------------
 * Output
 */

static void
emit(ctx *x, json_t *obj)
{
	char *s;

	if (obj == NULL)
		return;
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (s == NULL)
		return;
	pthread_mutex_lock(&x->lock);
	puts(s);
	fflush(stdout);
	pthread_mutex_unlock(&x->lock);
	free(s);
}

/* json_string that accepts NULL (gives JSON null). */
static json_t *
jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;

	return j ? j : json_null();
}

static json_t *
jobj(const char *type)
{
	json_t *o = json_object();

	if (o)
		json_object_set_new(o, "type", json_string(type));
	return o;
}

static void
say(ctx *x, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&x->lock);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
	pthread_mutex_unlock(&x->lock);
}

/* A note for a person: on stderr, never in JSON mode. */
static void
note(ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->o.json)
		return;
	pthread_mutex_lock(&x->lock);
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&x->lock);
}

/* Progress of a long operation: shown only on a terminal. */
static void
progress(ctx *x, const char *fmt, ...)
{
	va_list ap;

	if (!isatty(STDERR_FILENO))
		return;
	pthread_mutex_lock(&x->lock);
	fputs("\r\033[K", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
	x->progress_shown = 1;
	pthread_mutex_unlock(&x->lock);
}

static void
progress_end(ctx *x)
{
	pthread_mutex_lock(&x->lock);
	if (x->progress_shown)
		fputs("\r\033[K", stderr);
	x->progress_shown = 0;
	pthread_mutex_unlock(&x->lock);
}

/* "CX_ERR_STANZA_ERROR" from cx_strerror's "CX_ERR_STANZA_ERROR: ...". */
static json_t *
status_name(cx_status st)
{
	const char *s = cx_strerror(st), *colon = strchr(s, ':');

	return colon ? json_stringn(s, (size_t)(colon - s)) : json_string(s);
}

/* What a condition means here, in words, or NULL. */
static const char *
explain(const cx_error *err, const char *node)
{
	const char *c = err ? err->condition : "";

	if (strcmp(c, "item-not-found") == 0)
		return node ? "no such node (or item) on this service" :
			      "no such service";
	if (strcmp(c, "remote-server-not-found") == 0 ||
	    strcmp(c, "remote-server-timeout") == 0)
		return "no such service: the server knows no such address";
	if (strcmp(c, "not-allowed") == 0 && node == NULL)
		return "no such service: the server cannot reach this address";
	if (strcmp(c, "service-unavailable") == 0)
		return "no pubsub service at this address, or it refused the request";
	if (strcmp(c, "forbidden") == 0)
		return "the service does not allow this account to do that";
	if (strcmp(c, "conflict") == 0 && strcmp(err->app_condition, "") == 0)
		return "the node already exists";
	if (strcmp(err->app_condition, "presence-subscription-required") == 0)
		return "the node's access model requires a presence subscription to its owner";
	return NULL;
}

/*
 * Reports a failure: on stderr for a person, and as an "error" object on
 * stdout with --json. Returns the exit code.
 */
static int
fail(ctx *x, const char *what, const char *node, cx_status st,
     const cx_error *err)
{
	int code = cxe_exit_code(st);
	const char *why = explain(err, node);
	const char *msg = err && err->message[0] ? err->message : cx_strerror(st);
	char app[80] = "";

	progress_end(x);
	if (err && err->app_condition[0])
		snprintf(app, sizeof(app), ", %s", err->app_condition);
	pthread_mutex_lock(&x->lock);
	if (err && err->condition[0])
		fprintf(stderr, "%s: %s: %s (%s%s)\n", PROG, what,
			why ? why : msg, err->condition, app);
	else
		fprintf(stderr, "%s: %s: %s\n", PROG, what, msg);
	pthread_mutex_unlock(&x->lock);
	if (x->o.json) {
		json_t *o = jobj("error");

		if (o) {
			json_object_set_new(o, "what", jstr(what));
			if (x->service)
				json_object_set_new(o, "service", jstr(x->service));
			if (node)
				json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "status", status_name(st));
			json_object_set_new(o, "condition",
					    jstr(err && err->condition[0] ? err->condition : NULL));
			json_object_set_new(o, "app_condition",
					    jstr(err && err->app_condition[0] ? err->app_condition : NULL));
			json_object_set_new(o, "text",
					    jstr(err && err->text[0] ? err->text : NULL));
			json_object_set_new(o, "message", jstr(why ? why : msg));
			json_object_set_new(o, "exit", json_integer(code));
			emit(x, o);
		}
	}
	return code;
}

static int
usage_error(ctx *x, const char *fmt, ...)
{
	va_list ap;

	(void)x;
	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return CXE_EXIT_USAGE;
}

/* A payload as indented XML, each line prefixed with `indent`. */
static char *
xml_text(const xmlNode *n)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *s = NULL;

	if (b == NULL)
		return NULL;
	if (xmlNodeDump(b, n->doc, (xmlNodePtr)n, 0, 1) >= 0)
		s = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return s;
}

static void
print_indented(const char *text, const char *indent)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		printf("%s%.*s\n", indent, (int)(nl - p), p);
		p = *nl ? nl + 1 : nl;
	}
}

/* The first `max` characters of text on one line (UTF-8 aware enough not
 * to cut a character in two). */
static void
print_excerpt(const char *text, size_t max, const char *indent)
{
	char buf[1024];
	size_t i = 0, n = 0;
	int space = 0;

	for (; *text && i < sizeof(buf) - 8; text++) {
		unsigned char ch = (unsigned char)*text;

		if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
			space = i > 0;
			continue;
		}
		if ((ch & 0xC0) != 0x80) {
			if (n >= max)
				break;
			if (space) {
				buf[i++] = ' ';
				n++;
				space = 0;
			}
			n++;
		}
		buf[i++] = (char)ch;
	}
	/* do not end inside a character */
	while (i > 0 && *text && ((unsigned char)buf[i - 1] & 0xC0) == 0x80 &&
	       ((unsigned char)*text & 0xC0) == 0x80)
		i--;
	buf[i] = '\0';
	printf("%s%s%s\n", indent, buf, *text ? " ..." : "");
}

/* The link a reader follows: the alternate one, else the first. */
static const char *
entry_link(const cx_atom_entry *a)
{
	size_t i;

	for (i = 0; i < a->n_links; i++)
		if (a->links[i].rel == NULL ||
		    strcmp(a->links[i].rel, "alternate") == 0)
			return a->links[i].href;
	return a->n_links ? a->links[0].href : NULL;
}

/* The author as shown: the name, else the URI or the address. */
static const char *
entry_author(const cx_atom_entry *a)
{
	return a->author.name ? a->author.name :
	       a->author.uri ? a->author.uri : a->author.email;
}

/* One item, from a retrieval or an event. */
static void
show_item(ctx *x, const char *node, const cx_pubsub_item *it, int live)
{
	cx_atom_entry *a = NULL;
	cx_status st = it->payload ? cx_atom_entry_parse(&a, it->payload, NULL)
				   : CX_ERR_NOT_FOUND;
	char *xml = NULL;
	size_t i;

	if (st != CX_OK && st != CX_ERR_NOT_FOUND)
		return;
	if (a == NULL && it->payload)
		xml = xml_text(it->payload);
	if (x->o.json) {
		json_t *o = jobj("item");

		if (o == NULL)
			goto out;
		json_object_set_new(o, "service", jstr(x->service));
		json_object_set_new(o, "node", jstr(node));
		json_object_set_new(o, "id", jstr(it->id));
		json_object_set_new(o, "publisher", jstr(it->publisher));
		json_object_set_new(o, "live", json_boolean(live));
		if (a) {
			json_t *e = json_object(), *cats = json_array();

			for (i = 0; cats && i < a->n_categories; i++)
				json_array_append_new(cats, json_string(a->categories[i].term));
			if (e) {
				json_object_set_new(e, "title", jstr(a->title.value));
				json_object_set_new(e, "author", jstr(entry_author(a)));
				json_object_set_new(e, "published", jstr(a->published));
				json_object_set_new(e, "updated", jstr(a->updated));
				json_object_set_new(e, "link", jstr(entry_link(a)));
				json_object_set_new(e, "summary", jstr(a->summary.value));
				json_object_set_new(e, "content", jstr(a->content.value));
				json_object_set_new(e, "id", jstr(a->id));
				json_object_set_new(e, "categories", cats ? cats : json_array());
				json_object_set_new(o, "entry", e);
			} else {
				json_decref(cats);
			}
		} else {
			json_object_set_new(o, "payload", jstr(xml));
		}
		emit(x, o);
		goto out;
	}
	pthread_mutex_lock(&x->lock);
	if (a) {
		const char *date = a->updated ? a->updated : a->published;
		const char *author = entry_author(a), *link = entry_link(a);

		printf("[%s] %s\n", node ? node : "?",
		       a->title.value ? a->title.value : "(no title)");
		printf("    id:      %s\n", it->id ? it->id : "(none)");
		if (author)
			printf("    author:  %s\n", author);
		if (date)
			printf("    date:    %s\n", date);
		if (link)
			printf("    link:    %s\n", link);
		if (a->n_categories) {
			printf("    tags:   ");
			for (i = 0; i < a->n_categories; i++)
				printf(" %s", a->categories[i].term);
			printf("\n");
		}
		if (a->summary.value)
			print_excerpt(a->summary.value, 300, "    ");
		else if (a->content.value)
			print_excerpt(a->content.value, 300, "    ");
	} else {
		printf("[%s] item %s%s%s\n", node ? node : "?",
		       it->id ? it->id : "(no id)",
		       it->publisher ? " from " : "",
		       it->publisher ? it->publisher : "");
		if (xml)
			print_indented(xml, "    ");
		else
			printf("    (no payload)\n");
	}
	fflush(stdout);
	pthread_mutex_unlock(&x->lock);
out:
	free(xml);
	cx_atom_entry_free(a);
}

/* A data form as var = value lines, or a JSON object of var -> value(s). */
static json_t *
form_json(const cx_form *f)
{
	json_t *o = json_object();
	size_t i, j, n;

	for (i = 0; o && i < cx_form_field_count(f); i++) {
		cx_form_field *fld = cx_form_field_at(f, i);
		const char *var = cx_form_field_get_var(fld);
		cx_field_type ty = cx_form_field_get_type(fld);

		if (var == NULL)
			continue;
		n = cx_form_field_value_count(fld);
		if (ty == CX_FIELD_JID_MULTI || ty == CX_FIELD_LIST_MULTI ||
		    ty == CX_FIELD_TEXT_MULTI) {
			json_t *a = json_array();

			for (j = 0; a && j < n; j++)
				json_array_append_new(a, json_string(cx_form_field_get_value(fld, j)));
			json_object_set_new(o, var, a ? a : json_null());
		} else {
			json_object_set_new(o, var, jstr(n ? cx_form_field_get_value(fld, 0) : NULL));
		}
	}
	return o;
}

static void
form_print(const cx_form *f, const char *indent)
{
	size_t i, j, n;

	for (i = 0; i < cx_form_field_count(f); i++) {
		cx_form_field *fld = cx_form_field_at(f, i);
		const char *var = cx_form_field_get_var(fld);
		const char *label = cx_form_field_get_label(fld);

		if (var == NULL || strcmp(var, "FORM_TYPE") == 0)
			continue;
		n = cx_form_field_value_count(fld);
		printf("%s%-36s =", indent, var);
		for (j = 0; j < n; j++)
			printf("%s%s", j ? ", " : " ", cx_form_field_get_value(fld, j));
		if (label)
			printf("    (%s)", label);
		printf("\n");
	}
}

/* ------------------------------------------------------------------------
 * KEY=VALUE arguments
 */

/* Builds {var, value, ..., NULL} from KEY=VALUE words; a KEY without '#'
 * gets "pubsub#" in front (title=... is pubsub#title). Returns NULL and
 * sets *bad on a word without '='. The strings are owned by the array. */
static char **
kv_array(char **words, int n, const char **bad)
{
	char **a = calloc((size_t)n * 2 + 1, sizeof(char *));
	int i;

	if (a == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		const char *eq = strchr(words[i], '=');
		size_t klen;

		if (eq == NULL || eq == words[i]) {
			*bad = words[i];
			goto fail;
		}
		klen = (size_t)(eq - words[i]);
		if (memchr(words[i], '#', klen) == NULL &&
		    strncmp(words[i], "FORM_TYPE", klen) != 0) {
			a[2 * i] = malloc(klen + 8);
			if (a[2 * i])
				snprintf(a[2 * i], klen + 8, "pubsub#%.*s", (int)klen, words[i]);
		} else {
			a[2 * i] = strndup(words[i], klen);
		}
		a[2 * i + 1] = strdup(eq + 1);
		if (a[2 * i] == NULL || a[2 * i + 1] == NULL)
			goto fail;
	}
	return a;
fail:
	for (i = 0; i < 2 * n; i++)
		free(a[i]);
	free(a);
	return NULL;
}

static void
kv_free(char **a)
{
	size_t i;

	for (i = 0; a && a[i]; i++)
		free(a[i]);
	free(a);
}

/* ------------------------------------------------------------------------
 * browse
 */

typedef struct tree_walk {
	ctx *x;
	size_t shown;
	int truncated;
} tree_walk;

/* Shows one node of the tree and walks into it. */
static cx_status
tree_node(tree_walk *w, const char *node, const char *name, const char *parent,
	  int depth, cx_error *err)
{
	ctx *x = w->x;
	cx_pubsub_info *info = NULL;
	cx_pubsub_node_list *kids = NULL;
	cx_form *meta = NULL;
	const char *title = NULL, *kind = NULL;
	long items = -1;
	size_t i;
	cx_status st;

	if (w->shown >= (size_t)x->o.max) {
		w->truncated = 1;
		return CX_OK;
	}
	w->shown++;
	progress(x, "browsing: %zu nodes", w->shown);
	/* What the node says about itself: leaf or collection, its title. A
	 * node that will not say (access model) is still shown. */
	cx_error e2 = CX_ERROR_INIT;
	if (cx_pubsub_get_info(&info, x->c, x->service, node, &e2) == CX_OK) {
		kind = info->type;
		if (info->meta_data) {
			if (cx_form_parse(&meta, info->meta_data, NULL) == CX_OK)
				title = cx_form_get_value(meta, "pubsub#title");
		}
	}
	/* Its children: nodes (with a node attribute) or, for a leaf, items
	 * (without one): their number is the item count the service gives. */
	st = cx_pubsub_list_nodes(&kids, x->c, x->service, node, 0, 10000, err);
	if (st == CX_OK) {
		items = 0;
		for (i = 0; i < kids->count; i++)
			if (kids->v[i].node == NULL ||
			    (kind && strcmp(kind, "leaf") == 0))
				items++;
	}
	if (x->o.json) {
		json_t *o = jobj("node");

		if (o) {
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "parent", jstr(parent));
			json_object_set_new(o, "depth", json_integer(depth));
			json_object_set_new(o, "kind", jstr(kind));
			json_object_set_new(o, "name", jstr(name));
			json_object_set_new(o, "title", jstr(title));
			json_object_set_new(o, "items", (kind && strcmp(kind, "leaf") == 0 &&
							 items >= 0) ? json_integer(items) : json_null());
			emit(x, o);
		}
	} else {
		const char *shown_title = title ? title : name;

		progress_end(x);
		pthread_mutex_lock(&x->lock);
		printf("%*s%s", 2 * (depth + 1), "", node);
		if (shown_title && strcmp(shown_title, node) != 0)
			printf("  \"%s\"", shown_title);
		if (kind && strcmp(kind, "leaf") == 0 && items >= 0)
			printf("  (leaf, %ld item%s)", items, items == 1 ? "" : "s");
		else if (kind)
			printf("  (%s)", kind);
		printf("\n");
		fflush(stdout);
		pthread_mutex_unlock(&x->lock);
	}
	if (st == CX_OK && !(kind && strcmp(kind, "leaf") == 0)) {
		for (i = 0; i < kids->count; i++) {
			if (kids->v[i].node == NULL || strcmp(kids->v[i].node, node) == 0)
				continue;
			if (depth + 1 >= x->o.depth) {
				w->truncated = 1;
				break;
			}
			tree_node(w, kids->v[i].node, kids->v[i].name, node, depth + 1, err);
		}
	}
	cx_form_free(meta);
	cx_pubsub_info_free(info);
	cx_pubsub_node_list_free(kids);
	return CX_OK;
}

static int
browse_tree(ctx *x)
{
	cx_pubsub_node_list *top = NULL;
	cx_error err = CX_ERROR_INIT;
	tree_walk w = { .x = x };
	cx_status st;
	size_t i;

	st = cx_pubsub_list_nodes(&top, x->c, x->service, NULL, 0, 10000, &err);
	if (st != CX_OK)
		return fail(x, x->service, NULL, st, &err);
	if (!x->o.json)
		say(x, "%s\n", x->service);
	for (i = 0; i < top->count; i++) {
		if (top->v[i].node == NULL)
			continue;
		tree_node(&w, top->v[i].node, top->v[i].name, NULL, 0, &err);
	}
	progress_end(x);
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string("browse"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "nodes", json_integer((json_int_t)w.shown));
			json_object_set_new(o, "truncated", json_boolean(w.truncated || top->truncated));
			emit(x, o);
		}
	} else if (w.shown == 0) {
		say(x, "  (no nodes)\n");
	} else if (w.truncated) {
		say(x, "  ... (more: raise --depth or --max)\n");
	}
	cx_pubsub_node_list_free(top);
	return CXE_EXIT_OK;
}

/* browse SERVICE NODE: what the node says about itself. */
static int
browse_node(ctx *x, const char *node)
{
	cx_pubsub_info *info = NULL;
	cx_pubsub_node_list *kids = NULL;
	cx_form *meta = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	int leaf, code = CXE_EXIT_OK;
	size_t i, n_items = 0, n_kids = 0;

	st = cx_pubsub_get_info(&info, x->c, x->service, node, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	leaf = info->type && strcmp(info->type, "leaf") == 0;
	if (info->meta_data && cx_form_parse(&meta, info->meta_data, &err) != CX_OK)
		meta = NULL;
	cx_error_clear(&err);
	st = cx_pubsub_list_nodes(&kids, x->c, x->service, node, 0, 10000, &err);
	if (st == CX_OK)
		for (i = 0; i < kids->count; i++) {
			if (leaf || kids->v[i].node == NULL)
				n_items++;
			else
				n_kids++;
		}
	if (x->o.json) {
		json_t *o = jobj("node"), *ch = json_array();

		if (o) {
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "kind", jstr(info->type));
			json_object_set_new(o, "title",
					    jstr(meta ? cx_form_get_value(meta, "pubsub#title") : NULL));
			json_object_set_new(o, "meta", meta ? form_json(meta) : json_null());
			json_object_set_new(o, "items", st == CX_OK && leaf ?
					    json_integer((json_int_t)n_items) : json_null());
			for (i = 0; ch && st == CX_OK && !leaf && i < kids->count; i++)
				if (kids->v[i].node)
					json_array_append_new(ch, json_string(kids->v[i].node));
			json_object_set_new(o, "children", ch ? ch : json_null());
			emit(x, o);
		} else {
			json_decref(ch);
		}
	} else {
		pthread_mutex_lock(&x->lock);
		printf("%s on %s\n", node, x->service);
		printf("  kind: %s\n", info->type ? info->type : "(not said)");
		if (meta)
			form_print(meta, "  ");
		if (st == CX_OK && leaf)
			printf("  items: %zu\n", n_items);
		for (i = 0; st == CX_OK && !leaf && i < kids->count; i++)
			if (kids->v[i].node)
				printf("  child: %s\n", kids->v[i].node);
		if (st == CX_OK && !leaf && n_kids == 0)
			printf("  children: none\n");
		fflush(stdout);
		pthread_mutex_unlock(&x->lock);
	}
	cx_form_free(meta);
	cx_pubsub_info_free(info);
	cx_pubsub_node_list_free(kids);
	return code;
}

static void
emit_done(ctx *x, const char *command, const char *node, const char *human)
{
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string(command));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "ok", json_true());
			emit(x, o);
		}
	} else if (human) {
		say(x, "%s\n", human);
	}
}

static int
browse_config(ctx *x, const char *node, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr form = NULL;
	cx_stanza *reply = NULL;
	cx_form *f = NULL;
	char **kv = NULL, line[512];
	const char *bad = NULL;
	cx_status st;
	int code = CXE_EXIT_OK;

	if (nargs > 0) {
		if ((kv = kv_array(args, nargs, &bad)) == NULL)
			return bad ? usage_error(x, "config takes KEY=VALUE, not \"%s\"", bad)
				   : CXE_EXIT_FAILURE;
		st = cx_pubsub_set_config(x->c, x->service, node,
					  (const char *const *)kv, &err);
		kv_free(kv);
		if (st != CX_OK)
			return fail(x, node, node, st, &err);
		snprintf(line, sizeof(line), "configured %s", node);
		emit_done(x, "config", node, line);
		return CXE_EXIT_OK;
	}
	st = cx_pubsub_get_config(&form, &reply, x->c, x->service, node, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	if (form == NULL || (st = cx_form_parse(&f, form, &err)) != CX_OK) {
		if (form == NULL) {
			st = CX_ERR_PROTOCOL;
			snprintf(err.message, sizeof(err.message),
				 "the service sent no configuration form");
		}
		code = fail(x, node, node, st, &err);
		goto out;
	}
	if (x->o.json) {
		json_t *o = jobj("config");

		if (o) {
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "fields", form_json(f));
			emit(x, o);
		}
	} else {
		pthread_mutex_lock(&x->lock);
		printf("configuration of %s on %s\n", node, x->service);
		form_print(f, "  ");
		fflush(stdout);
		pthread_mutex_unlock(&x->lock);
	}
out:
	cx_form_free(f);
	cx_stanza_unref(reply);
	return code;
}

static int
parse_affiliation(const char *s, cx_pubsub_affiliation *out)
{
	static const cx_pubsub_affiliation all[] = {
		CX_PUBSUB_AFF_NONE, CX_PUBSUB_AFF_OWNER, CX_PUBSUB_AFF_PUBLISHER,
		CX_PUBSUB_AFF_PUBLISH_ONLY, CX_PUBSUB_AFF_MEMBER, CX_PUBSUB_AFF_OUTCAST
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *name = cx_pubsub_affiliation_name(all[i]);

		if (name && strcmp(name, s) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

static int
parse_sub_state(const char *s, cx_pubsub_sub_state *out)
{
	static const cx_pubsub_sub_state all[] = {
		CX_PUBSUB_SUB_NONE, CX_PUBSUB_SUB_PENDING,
		CX_PUBSUB_SUB_UNCONFIGURED, CX_PUBSUB_SUB_SUBSCRIBED
	};
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *name = cx_pubsub_sub_state_name(all[i]);

		if (name && strcmp(name, s) == 0) {
			*out = all[i];
			return 0;
		}
	}
	return -1;
}

static int
browse_affiliations(ctx *x, const char *node, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_affiliations *l = NULL;
	cx_pubsub_affiliation_entry *set = NULL;
	cx_status st;
	int i, code = CXE_EXIT_OK;

	if (nargs > 0) {
		set = calloc((size_t)nargs, sizeof(*set));
		if (set == NULL)
			return CXE_EXIT_FAILURE;
		for (i = 0; i < nargs; i++) {
			char *eq = strrchr(args[i], '=');

			if (eq == NULL || eq == args[i] ||
			    parse_affiliation(eq + 1, &set[i].affiliation) != 0) {
				code = usage_error(x, "affiliations takes JID=AFFILIATION "
						   "(owner, publisher, publish-only, member, "
						   "outcast, none), not \"%s\"", args[i]);
				goto out;
			}
			*eq = '\0';
			set[i].jid = args[i];
		}
		st = cx_pubsub_owner_set_affiliations(x->c, x->service, node, set,
						      (size_t)nargs, &err);
		if (st != CX_OK) {
			code = fail(x, node, node, st, &err);
			goto out;
		}
		for (i = 0; i < nargs; i++) {
			const char *aff = cx_pubsub_affiliation_name(set[i].affiliation);

			if (x->o.json) {
				json_t *o = jobj("affiliation");

				if (o) {
					json_object_set_new(o, "service", jstr(x->service));
					json_object_set_new(o, "node", jstr(node));
					json_object_set_new(o, "jid", jstr(set[i].jid));
					json_object_set_new(o, "affiliation", jstr(aff));
					json_object_set_new(o, "set", json_true());
					emit(x, o);
				}
			} else {
				say(x, "%s is now %s of %s\n", set[i].jid,
				    set[i].affiliation == CX_PUBSUB_AFF_NONE ?
				    "not affiliated" : aff, node);
			}
		}
		goto out;
	}
	st = cx_pubsub_owner_get_affiliations(&l, x->c, x->service, node, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	if (!x->o.json)
		say(x, "affiliations of %s on %s\n", node, x->service);
	for (size_t k = 0; k < l->count; k++) {
		const char *aff = cx_pubsub_affiliation_name(l->v[k].affiliation);

		if (x->o.json) {
			json_t *o = jobj("affiliation");

			if (o) {
				json_object_set_new(o, "service", jstr(x->service));
				json_object_set_new(o, "node", jstr(node));
				json_object_set_new(o, "jid", jstr(l->v[k].jid));
				json_object_set_new(o, "affiliation", jstr(aff));
				emit(x, o);
			}
		} else {
			say(x, "  %-14s %s\n", aff ? aff : "?", l->v[k].jid ? l->v[k].jid : "?");
		}
	}
	if (!x->o.json && l->count == 0)
		say(x, "  (none)\n");
out:
	cx_pubsub_affiliations_free(l);
	free(set);
	return code;
}

static void
show_subscription(ctx *x, const char *node, const cx_pubsub_subscription *s,
		  const char *action)
{
	const char *state = cx_pubsub_sub_state_name(s->state);

	if (x->o.json) {
		json_t *o = jobj("subscription");

		if (o) {
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(s->node ? s->node : node));
			json_object_set_new(o, "jid", jstr(s->jid));
			json_object_set_new(o, "state", jstr(state));
			json_object_set_new(o, "subid", jstr(s->subid));
			if (action)
				json_object_set_new(o, "action", json_string(action));
			emit(x, o);
		}
	} else if (action) {
		say(x, "%s %s on %s\n", action, s->jid ? s->jid : "?",
		    s->node ? s->node : node);
	} else {
		say(x, "  %-12s %s%s%s\n", state ? state : "?", s->jid ? s->jid : "?",
		    s->subid ? "  subid=" : "", s->subid ? s->subid : "");
	}
}

static int
browse_subscriptions(ctx *x, const char *node, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *l = NULL;
	cx_pubsub_subscription *set = NULL;
	cx_status st;
	int i, code = CXE_EXIT_OK;

	if (nargs > 0) {
		set = calloc((size_t)nargs, sizeof(*set));
		if (set == NULL)
			return CXE_EXIT_FAILURE;
		for (i = 0; i < nargs; i++) {
			char *eq = strrchr(args[i], '=');

			if (eq == NULL || eq == args[i] ||
			    parse_sub_state(eq + 1, &set[i].state) != 0) {
				code = usage_error(x, "subscriptions takes JID=STATE "
						   "(subscribed, none), not \"%s\"", args[i]);
				goto out;
			}
			*eq = '\0';
			set[i].jid = args[i];
			set[i].node = (char *)node;
		}
		st = cx_pubsub_owner_set_subscriptions(x->c, x->service, node, set,
						       (size_t)nargs, &err);
		if (st != CX_OK) {
			code = fail(x, node, node, st, &err);
			goto out;
		}
		for (i = 0; i < nargs; i++)
			show_subscription(x, node, &set[i], "set");
		goto out;
	}
	st = cx_pubsub_owner_get_subscriptions(&l, x->c, x->service, node, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	if (!x->o.json)
		say(x, "subscriptions of %s on %s\n", node, x->service);
	for (size_t k = 0; k < l->count; k++)
		show_subscription(x, node, &l->v[k], NULL);
	if (!x->o.json && l->count == 0)
		say(x, "  (none)\n");
out:
	cx_pubsub_subscriptions_free(l);
	free(set);
	return code;
}

static int
approve_wanted(ctx *x, const char *jid)
{
	int i;

	if (x->n_approve_jids == 0)
		return 1;
	for (i = 0; jid && i < x->n_approve_jids; i++)
		if (strcmp(x->approve_jids[i], jid) == 0)
			return 1;
	return 0;
}

static int
approve_done(ctx *x, const char *jid)
{
	size_t i;
	int done = 0;

	pthread_mutex_lock(&x->lock);
	for (i = 0; jid && i < x->n_approved; i++)
		done |= strcmp(x->approved[i], jid) == 0;
	pthread_mutex_unlock(&x->lock);
	return done;
}

/* A subscription request sent to the owner as a message (8.6), e.g. the
 * ones a service stores while the owner is offline: answered at once. */
static void
on_auth_request(void *arg, cx_client *c, const cx_pubsub_event *ev)
{
	ctx *x = arg;
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscription shown = { 0 };
	cx_status st;

	if (ev->kind != CX_PUBSUB_EVENT_AUTHORIZATION || ev->node == NULL ||
	    strcmp(ev->node, x->approve_node) != 0 || !approve_wanted(x, ev->jid) ||
	    approve_done(x, ev->jid))
		return;
	st = cx_pubsub_authorize(c, ev, !x->o.deny, &err);
	if (st != CX_OK) {
		fail(x, ev->node, ev->node, st, &err);
		pthread_mutex_lock(&x->lock);
		x->approve_failed = 1;
		pthread_mutex_unlock(&x->lock);
		return;
	}
	pthread_mutex_lock(&x->lock);
	if (x->n_approved < MAX_NODES && ev->jid &&
	    (x->approved[x->n_approved] = strdup(ev->jid)) != NULL)
		x->n_approved++;
	pthread_mutex_unlock(&x->lock);
	shown.node = (char *)ev->node;
	shown.jid = (char *)ev->jid;
	shown.state = x->o.deny ? CX_PUBSUB_SUB_NONE : CX_PUBSUB_SUB_SUBSCRIBED;
	show_subscription(x, ev->node, &shown, x->o.deny ? "denied" : "approved");
}

#define SYNC_ID "cxmpp-pubsub-sync"

/* Our own marker message: handlers run in arrival order, so when it is
 * handled, every request the server sent before it has been handled. */
static cx_handler_result
on_sync(void *arg, cx_client *c, cx_stanza *s)
{
	ctx *x = arg;
	const char *id = cx_stanza_get_id(s);

	(void)c;
	if (id == NULL || strcmp(id, SYNC_ID) != 0)
		return CX_HANDLER_PASS;
	pthread_mutex_lock(&x->lock);
	x->synced = 1;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->lock);
	return CX_HANDLER_CONSUMED;
}

static cx_status
approve_sync(ctx *x, cx_error *err)
{
	cx_stanza *m = NULL;
	char *me = cx_client_get_jid(x->c);
	struct timespec ts;
	cx_status st;
	int i;

	st = cx_stanza_new_message(&m, me, "normal", NULL, err);
	if (st == CX_OK)
		st = cx_stanza_set_id(m, SYNC_ID, err);
	if (st == CX_OK)
		st = cx_client_send(x->c, m, err);
	cx_stanza_unref(m);
	cx_free(me);
	if (st != CX_OK)
		return st;
	pthread_mutex_lock(&x->lock);
	for (i = 0; i < 150 && !x->synced && !x->ended; i++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&x->cv, &x->lock, &ts);
	}
	st = x->synced ? CX_OK : CX_ERR_TIMEOUT;
	pthread_mutex_unlock(&x->lock);
	if (st != CX_OK)
		snprintf(err->message, sizeof(err->message),
			 "our own marker message did not come back in 15 s");
	return st;
}

/* approve [JID...]: pending subscriptions become subscribed (or, with
 * --deny, are removed). Three ways, as services differ: requests that
 * reached us as messages (8.6) are answered by the event handler; where
 * the service has the get-pending command (8.7), it is asked to send the
 * node's requests again, to this session, so that ones delivered to
 * another session are answered too; pending entries of the owner's
 * subscription list are changed there (8.8.2). */
static int
browse_approve(ctx *x, const char *node, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *l = NULL;
	cx_pubsub_subscription *set = NULL;
	size_t n = 0, k;
	cx_status st;
	int i, code = CXE_EXIT_OK;

	st = approve_sync(x, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	/* 8.7: requests already delivered to another session (or answered
	 * nowhere) are sent again, to us, and answered by the handler; a
	 * service without the command (Prosody) keeps them in its owner
	 * subscription list, read below */
	st = cx_pubsub_request_pending(x->c, x->service, node, &err);
	if (st == CX_OK) {
		pthread_mutex_lock(&x->lock);
		x->synced = 0;
		pthread_mutex_unlock(&x->lock);
		st = approve_sync(x, &err);
		if (st != CX_OK)
			return fail(x, node, node, st, &err);
	} else if (st != CX_ERR_NOT_SUPPORTED && st != CX_ERR_NOT_FOUND) {
		return fail(x, node, node, st, &err);
	}
	cx_error_clear(&err);
	st = cx_pubsub_owner_get_subscriptions(&l, x->c, x->service, node, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	set = calloc(l->count + 1, sizeof(*set));
	if (set == NULL) {
		code = CXE_EXIT_FAILURE;
		goto out;
	}
	for (k = 0; k < l->count; k++) {
		if (l->v[k].state != CX_PUBSUB_SUB_PENDING || l->v[k].jid == NULL ||
		    !approve_wanted(x, l->v[k].jid) || approve_done(x, l->v[k].jid))
			continue;
		set[n] = l->v[k];
		set[n].state = x->o.deny ? CX_PUBSUB_SUB_NONE : CX_PUBSUB_SUB_SUBSCRIBED;
		n++;
	}
	if (n > 0) {
		st = cx_pubsub_owner_set_subscriptions(x->c, x->service, node, set, n, &err);
		if (st != CX_OK) {
			code = fail(x, node, node, st, &err);
			goto out;
		}
		for (k = 0; k < n; k++)
			show_subscription(x, node, &set[k], x->o.deny ? "denied" : "approved");
	}
	for (i = 0; i < nargs; i++) {
		for (k = 0; k < n; k++)
			if (strcmp(args[i], set[k].jid) == 0)
				break;
		if (k == n && !approve_done(x, args[i])) {
			snprintf(err.message, sizeof(err.message),
				 "%s has no pending subscription to %s", args[i], node);
			code = fail(x, node, node, CX_ERR_NOT_FOUND, &err);
			goto out;
		}
	}
	if (n == 0 && x->n_approved == 0) {
		if (x->o.json)
			emit_done(x, "approve", node, NULL);
		else
			say(x, "no pending subscriptions on %s\n", node);
	}
	if (x->approve_failed)
		code = CXE_EXIT_REMOTE;
out:
	free(set);
	cx_pubsub_subscriptions_free(l);
	return code;
}

/* create [KEY=VALUE...]: a named node, or with node NULL an instant node
 * whose name the service chooses (8.1.2) and we print. */
static int
browse_create(ctx *x, const char *node, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	char **kv = NULL, *created = NULL;
	const char *bad = NULL, *name;
	char line[512];
	cx_status st;

	if (nargs > 0 && (kv = kv_array(args, nargs, &bad)) == NULL)
		return bad ? usage_error(x, "create takes KEY=VALUE, not \"%s\"", bad)
			   : CXE_EXIT_FAILURE;
	st = cx_pubsub_create(&created, x->c, x->service, node,
			      (const char *const *)kv, &err);
	kv_free(kv);
	if (st != CX_OK)
		return fail(x, node ? node : "instant node", node, st, &err);
	name = created ? created : node;
	if (name == NULL) {
		snprintf(err.message, sizeof(err.message),
			 "the service created an instant node without naming it");
		return fail(x, "instant node", NULL, CX_ERR_PROTOCOL, &err);
	}
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string("create"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(name));
			json_object_set_new(o, "instant", json_boolean(node == NULL));
			json_object_set_new(o, "ok", json_true());
			emit(x, o);
		}
	} else {
		snprintf(line, sizeof(line), "created %s%s on %s",
			 node ? "" : "instant node ", name, x->service);
		say(x, "%s\n", line);
	}
	cx_free(created);
	return CXE_EXIT_OK;
}

static int
cmd_browse(ctx *x, char **args, int nargs)
{
	const char *node, *verb;
	cx_error err = CX_ERROR_INIT;
	char line[512];
	cx_status st;

	if (nargs == 0)
		return browse_tree(x);
	/* "create" with no node (or only KEY=VALUE after it): an instant node */
	if (strcmp(args[0], "create") == 0 && (nargs == 1 || strchr(args[1], '=')))
		return browse_create(x, NULL, args + 1, nargs - 1);
	node = args[0];
	if (nargs == 1)
		return browse_node(x, node);
	verb = args[1];
	args += 2;
	nargs -= 2;
	if (strcmp(verb, "create") == 0)
		return browse_create(x, node, args, nargs);
	if (strcmp(verb, "config") == 0)
		return browse_config(x, node, args, nargs);
	if (strcmp(verb, "affiliations") == 0)
		return browse_affiliations(x, node, args, nargs);
	if (strcmp(verb, "subscriptions") == 0)
		return browse_subscriptions(x, node, args, nargs);
	if (strcmp(verb, "approve") == 0)
		return browse_approve(x, node, args, nargs);
	if (nargs > 0)
		return usage_error(x, "%s takes no arguments", verb);
	if (strcmp(verb, "delete") == 0) {
		st = cx_pubsub_delete(x->c, x->service, node, x->o.redirect, &err);
		if (st != CX_OK)
			return fail(x, node, node, st, &err);
		snprintf(line, sizeof(line), "deleted %s", node);
		emit_done(x, "delete", node, line);
		return CXE_EXIT_OK;
	}
	if (strcmp(verb, "purge") == 0) {
		st = cx_pubsub_purge(x->c, x->service, node, &err);
		if (st != CX_OK)
			return fail(x, node, node, st, &err);
		snprintf(line, sizeof(line), "purged %s", node);
		emit_done(x, "purge", node, line);
		return CXE_EXIT_OK;
	}
	return usage_error(x, "browse: unknown verb \"%s\" (create, config, delete, "
			   "purge, affiliations, subscriptions, approve)", verb);
}

/* ------------------------------------------------------------------------
 * read
 */

static int
our_node(ctx *x, const char *node)
{
	size_t i;

	for (i = 0; node && i < x->n_nodes; i++)
		if (strcmp(x->nodes[i], node) == 0)
			return 1;
	return 0;
}

static void
event_note(ctx *x, const cx_pubsub_event *ev, const char *kind,
	   const char *human)
{
	if (x->o.json) {
		json_t *o = jobj("event");

		if (o) {
			json_object_set_new(o, "kind", json_string(kind));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(ev->node));
			if (ev->kind == CX_PUBSUB_EVENT_SUBSCRIPTION) {
				json_object_set_new(o, "jid", jstr(ev->jid));
				json_object_set_new(o, "state",
						    jstr(cx_pubsub_sub_state_name(ev->state)));
			}
			if (ev->kind == CX_PUBSUB_EVENT_DELETE)
				json_object_set_new(o, "redirect", jstr(ev->redirect));
			emit(x, o);
		}
	} else {
		say(x, "[%s] %s\n", ev->node ? ev->node : "?", human);
	}
}

static void
on_pubsub_event(void *arg, cx_client *c, const cx_pubsub_event *ev)
{
	ctx *x = arg;
	char line[512];
	size_t i;

	(void)c;
	if (!our_node(x, ev->node))
		return;
	switch (ev->kind) {
	case CX_PUBSUB_EVENT_ITEMS:
		for (i = 0; i < ev->n_items; i++) {
			show_item(x, ev->node, &ev->items[i], 1);
			pthread_mutex_lock(&x->lock);
			x->items_seen++;
			pthread_cond_broadcast(&x->cv);
			pthread_mutex_unlock(&x->lock);
		}
		for (i = 0; i < ev->n_retracts; i++) {
			if (x->o.json) {
				json_t *o = jobj("event");

				if (o) {
					json_object_set_new(o, "kind", json_string("retract"));
					json_object_set_new(o, "service", jstr(x->service));
					json_object_set_new(o, "node", jstr(ev->node));
					json_object_set_new(o, "id", jstr(ev->retracts[i]));
					emit(x, o);
				}
			} else {
				say(x, "[%s] retracted %s\n", ev->node, ev->retracts[i]);
			}
		}
		break;
	case CX_PUBSUB_EVENT_PURGE:
		event_note(x, ev, "purge", "all items were purged");
		break;
	case CX_PUBSUB_EVENT_DELETE:
		snprintf(line, sizeof(line), "the node was deleted%s%s",
			 ev->redirect ? "; it moved to " : "",
			 ev->redirect ? ev->redirect : "");
		event_note(x, ev, "delete", line);
		break;
	case CX_PUBSUB_EVENT_CONFIGURATION:
		event_note(x, ev, "configuration", "the configuration changed");
		break;
	case CX_PUBSUB_EVENT_SUBSCRIPTION:
		snprintf(line, sizeof(line), "subscription of %s is now %s",
			 ev->jid ? ev->jid : "?",
			 cx_pubsub_sub_state_name(ev->state) ?
			 cx_pubsub_sub_state_name(ev->state) : "?");
		event_note(x, ev, "subscription", line);
		break;
	case CX_PUBSUB_EVENT_AUTHORIZATION:
		snprintf(line, sizeof(line), "%s asks to subscribe "
			 "(approve with: browse SERVICE NODE approve)",
			 ev->jid ? ev->jid : "?");
		event_note(x, ev, "authorization", line);
		break;
	case CX_PUBSUB_EVENT_COLLECTION:
		snprintf(line, sizeof(line), "%s was %s",
			 ev->collection_child ? ev->collection_child : "?",
			 ev->associated ? "associated" : "dissociated");
		event_note(x, ev, "collection", line);
		break;
	}
}

static void
on_client_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	ctx *x = arg;

	(void)c;
	(void)err;
	if (ev != CX_EVENT_DISCONNECTED)
		return;
	pthread_mutex_lock(&x->lock);
	x->ended = 1;
	pthread_cond_broadcast(&x->cv);
	pthread_mutex_unlock(&x->lock);
}

static int
read_last(ctx *x, const char *node)
{
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	cx_pubsub_items *items = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	size_t i, skip = 0;

	q.max_items = x->o.last;
	st = cx_pubsub_get_items(&items, x->c, x->service, node, &q, &err);
	if (st == CX_ERR_PROTOCOL && strncmp(err.message, "rsm", 3) == 0) {
		/* ejabberd 23.01 answers max_items beyond the node's size with
		 * a negative <first index/>, which the library refuses: ask
		 * for every item and show the last N of them instead. */
		cx_error_clear(&err);
		st = cx_pubsub_get_items(&items, x->c, x->service, node, NULL, &err);
		if (st == CX_OK)
			skip = items->count > (size_t)x->o.last ?
			       items->count - (size_t)x->o.last : 0;
	}
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	for (i = skip; i < items->count; i++)
		show_item(x, node, &items->v[i], 0);
	if (items->count == 0)
		note(x, "%s has no items", node);
	cx_pubsub_items_free(items);
	return CXE_EXIT_OK;
}

/* Pages through a node's items; progress on a terminal. */
static int
page_through(ctx *x, const char *node, long page_size, long *total)
{
	cx_pubsub_pager *p = NULL;
	cx_pubsub_items *page = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	long pages = 0;
	size_t i;

	*total = 0;
	st = cx_pubsub_pager_new(&p, x->c, x->service, node, page_size,
				 (unsigned)x->o.max_pages, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	while (!interrupted) {
		st = cx_pubsub_pager_next(&page, p, &err);
		if (st != CX_OK || page == NULL)
			break;
		pages++;
		for (i = 0; i < page->count; i++)
			show_item(x, node, &page->v[i], 0);
		*total += (long)page->count;
		if (page->rsm.count >= 0)
			progress(x, "%s: page %ld, %ld of %lld items", node, pages,
				 *total, page->rsm.count);
		else
			progress(x, "%s: page %ld, %ld items", node, pages, *total);
		cx_pubsub_items_free(page);
		page = NULL;
	}
	progress_end(x);
	cx_pubsub_pager_free(p);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	return CXE_EXIT_OK;
}

static int
read_all(ctx *x, const char *node)
{
	long total;
	int code = page_through(x, node, x->o.page_size > 0 ? x->o.page_size : 20,
				&total);

	if (code == CXE_EXIT_OK && total == 0)
		note(x, "%s has no items", node);
	return code;
}

static int
wait_for_items(ctx *x)
{
	struct timespec start, now;
	int code = CXE_EXIT_OK;

	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&x->lock);
	for (;;) {
		struct timespec ts;

		if (interrupted || x->ended)
			break;
		if (x->o.count > 0 && x->items_seen >= x->o.count)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (x->o.for_secs > 0 && now.tv_sec - start.tv_sec >= x->o.for_secs) {
			if (x->o.count > 0 && x->items_seen < x->o.count) {
				pthread_mutex_unlock(&x->lock);
				fprintf(stderr, "%s: %ld of %ld items arrived in %ld s\n",
					PROG, x->items_seen, x->o.count, x->o.for_secs);
				pthread_mutex_lock(&x->lock);
				code = CXE_EXIT_FAILURE;
			}
			break;
		}
		/* the condition variable uses the realtime clock; a short
		 * period keeps the signal flag and the bound responsive */
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&x->cv, &x->lock, &ts);
	}
	if (x->ended && !interrupted) {
		pthread_mutex_unlock(&x->lock);
		fprintf(stderr, "%s: the connection ended\n", PROG);
		pthread_mutex_lock(&x->lock);
		code = CXE_EXIT_STREAM;
	}
	pthread_mutex_unlock(&x->lock);
	return code;
}

static int
cmd_read(ctx *x, char **args, int nargs)
{
	cx_error err = CX_ERROR_INIT;
	cx_pubsub_subscriptions *sub = NULL;
	cx_handler_id hid = 0;
	cx_status st;
	int i, code = CXE_EXIT_OK, follow;

	if (nargs < 1)
		return usage_error(x, "read: no node given (read SERVICE NODE...)");
	if (nargs > MAX_NODES)
		return usage_error(x, "read: at most %d nodes", MAX_NODES);
	for (i = 0; i < nargs; i++)
		x->nodes[x->n_nodes++] = args[i];

	if (x->o.unsubscribe) {
		for (i = 0; i < nargs; i++) {
			st = cx_pubsub_unsubscribe(x->c, x->service, args[i], NULL,
						   NULL, &err);
			if (st != CX_OK)
				return fail(x, args[i], args[i], st, &err);
			if (x->o.json) {
				json_t *o = jobj("result");

				if (o) {
					json_object_set_new(o, "command", json_string("unsubscribe"));
					json_object_set_new(o, "service", jstr(x->service));
					json_object_set_new(o, "node", jstr(args[i]));
					json_object_set_new(o, "ok", json_true());
					emit(x, o);
				}
			} else {
				say(x, "unsubscribed from %s\n", args[i]);
			}
		}
		return CXE_EXIT_OK;
	}
	for (i = 0; i < nargs && (x->o.last > 0 || x->o.all); i++) {
		code = x->o.all ? read_all(x, args[i]) : read_last(x, args[i]);
		if (code != CXE_EXIT_OK)
			return code;
	}
	follow = x->o.follow || (x->o.last <= 0 && !x->o.all);
	if (!follow || interrupted)
		return CXE_EXIT_OK;

	/* The handler first, so that nothing published right after the
	 * subscription is missed; it filters on our nodes itself. */
	hid = cx_pubsub_on_event(x->c, x->service, NULL, on_pubsub_event, x, NULL);
	if (hid == 0) {
		st = CX_ERR_JID;
		snprintf(err.message, sizeof(err.message), "%s is not a valid service address",
			 x->service);
		return fail(x, x->service, NULL, st, &err);
	}
	for (i = 0; i < nargs; i++) {
		const char *state;

		st = cx_pubsub_subscribe(&sub, x->c, x->service, args[i], NULL, NULL, &err);
		if (st != CX_OK) {
			code = fail(x, args[i], args[i], st, &err);
			goto out;
		}
		state = sub->count ? cx_pubsub_sub_state_name(sub->v[0].state) : "subscribed";
		if (x->o.json) {
			json_t *o = jobj("subscribed");

			if (o) {
				json_object_set_new(o, "service", jstr(x->service));
				json_object_set_new(o, "node", jstr(args[i]));
				json_object_set_new(o, "state", jstr(state));
				json_object_set_new(o, "subid",
						    jstr(sub->count ? sub->v[0].subid : NULL));
				emit(x, o);
			}
		} else if (sub->count && sub->v[0].state == CX_PUBSUB_SUB_PENDING) {
			note(x, "subscription to %s waits for the owner's approval", args[i]);
		} else {
			note(x, "subscribed to %s on %s", args[i], x->service);
		}
		cx_pubsub_subscriptions_free(sub);
		sub = NULL;
	}
	note(x, "reading; Ctrl-C stops");
	code = wait_for_items(x);
	if (code == CXE_EXIT_STREAM)
		goto out;
	if (x->o.unsubscribe_on_exit) {
		for (i = 0; i < nargs; i++) {
			cx_error_clear(&err);
			st = cx_pubsub_unsubscribe(x->c, x->service, args[i], NULL, NULL, &err);
			if (st != CX_OK) {
				code = fail(x, args[i], args[i], st, &err);
				continue;
			}
			note(x, "unsubscribed from %s", args[i]);
		}
	}
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string("read"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "items", json_integer(x->items_seen));
			json_object_set_new(o, "interrupted", json_boolean(interrupted));
			emit(x, o);
		}
	}
out:
	if (hid)
		cx_client_remove_handler(x->c, hid);
	return code;
}

/* ------------------------------------------------------------------------
 * write
 */

static char *
slurp(FILE *in, const char *name, ctx *x)
{
	size_t len = 0, cap = 4096, n;
	char *buf = malloc(cap), *p;

	if (buf == NULL)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			if (cap >= 16 * 1024 * 1024) {
				fprintf(stderr, "%s: %s: larger than 16 MiB\n", PROG, name);
				free(buf);
				return NULL;
			}
			if ((p = realloc(buf, cap * 2)) == NULL) {
				free(buf);
				return NULL;
			}
			buf = p;
			cap *= 2;
		}
	}
	(void)x;
	if (ferror(in)) {
		fprintf(stderr, "%s: %s: %s\n", PROG, name, strerror(errno));
		free(buf);
		return NULL;
	}
	buf[len] = '\0';
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	return buf;
}

static char *
read_file(const char *path, ctx *x)
{
	FILE *f;
	char *s;

	if (strcmp(path, "-") == 0)
		return slurp(stdin, "standard input", x);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", PROG, path, strerror(errno));
		return NULL;
	}
	s = slurp(f, path, x);
	fclose(f);
	return s;
}

/* The text from $VISUAL or $EDITOR (default vi), starting from `initial`. */
static char *
from_editor(const char *initial, ctx *x)
{
	char path[] = "/tmp/cxmpp-pubsub-XXXXXX";
	const char *ed = getenv("VISUAL");
	char *text = NULL;
	pid_t pid;
	int fd, status;

	if (ed == NULL || *ed == '\0')
		ed = getenv("EDITOR");
	if (ed == NULL || *ed == '\0')
		ed = "vi";
	if ((fd = mkstemp(path)) < 0) {
		fprintf(stderr, "%s: temporary file: %s\n", PROG, strerror(errno));
		return NULL;
	}
	if (initial && write(fd, initial, strlen(initial)) < 0) {
		fprintf(stderr, "%s: temporary file: %s\n", PROG, strerror(errno));
		close(fd);
		goto out;
	}
	close(fd);
	pid = fork();
	if (pid == 0) {
		/* through the shell, so that EDITOR="emacs -nw" works */
		execl("/bin/sh", "sh", "-c", "exec $0 \"$1\"", ed, path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: the editor (%s) failed; nothing was published\n",
			PROG, ed);
		goto out;
	}
	text = read_file(path, x);
out:
	unlink(path);
	return text;
}

/* The first line of text, at most 80 characters, as a title. */
static char *
first_line(const char *text)
{
	size_t n = strcspn(text, "\n");

	if (n > 80) {
		n = 80;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	return strndup(text, n);
}

static char *
bare_jid_of(const char *full)
{
	return full ? strndup(full, strcspn(full, "/")) : NULL;
}

/* Publishes (or, with an old entry, republishes) an Atom entry. */
static int
write_publish(ctx *x, const char *node, const char *item_id,
	      const cx_atom_entry *old)
{
	cx_atom_entry in = CX_ATOM_ENTRY_INIT;
	cx_atom_category cats[MAX_LIST];
	cx_atom_link links[MAX_LIST];
	char rels[MAX_LIST][64];
	cx_error err = CX_ERROR_INIT;
	char *text = NULL, *title = NULL, *uri = NULL, *atom_id = NULL, *id = NULL;
	const char *old_content = old ? old->content.value : NULL;
	char now[CX_ATOM_TIME_SIZE];
	xmlNodePtr entry = NULL;
	cx_status st;
	size_t i;
	int code = CXE_EXIT_OK;

	if (x->o.message) {
		text = strdup(x->o.message);
	} else if (x->o.file) {
		if ((text = read_file(x->o.file, x)) == NULL)
			return CXE_EXIT_FAILURE;
	} else if (old) {
		/* edit: keep the text unless asked, or the editor on a terminal */
		if (x->o.title == NULL && isatty(STDIN_FILENO)) {
			if ((text = from_editor(old_content, x)) == NULL)
				return CXE_EXIT_FAILURE;
		} else if (old_content) {
			text = strdup(old_content);
		}
	} else if (!isatty(STDIN_FILENO)) {
		if ((text = slurp(stdin, "standard input", x)) == NULL)
			return CXE_EXIT_FAILURE;
	} else if ((text = from_editor(NULL, x)) == NULL) {
		return CXE_EXIT_FAILURE;
	}
	if (text == NULL && !(old && old_content == NULL))
		return CXE_EXIT_FAILURE;
	if ((text == NULL || *text == '\0') && x->o.title == NULL &&
	    !(old && old->title.value)) {
		fprintf(stderr, "%s: nothing to publish: give --title or some text\n", PROG);
		free(text);
		return CXE_EXIT_USAGE;
	}
	in.content.value = text && *text ? text : NULL;
	if (x->o.title)
		in.title.value = x->o.title;
	else if (old && old->title.value)
		in.title.value = old->title.value;
	else if ((title = first_line(text)) != NULL)
		in.title.value = title;
	if (x->o.author)
		in.author.name = x->o.author;
	else if (old && old->author.name)
		in.author.name = old->author.name;
	else
		in.author.name = x->account;
	if (x->account && (uri = malloc(strlen(x->account) + 6)) != NULL) {
		snprintf(uri, strlen(x->account) + 6, "xmpp:%s", x->account);
		in.author.uri = uri;
	}
	if (in.author.name == NULL)
		in.author.uri = NULL;
	in.summary.value = x->o.summary ? x->o.summary :
			   (old ? old->summary.value : NULL);
	if (cx_atom_time_format(now, sizeof(now), (int64_t)time(NULL)) != CX_OK) {
		code = CXE_EXIT_FAILURE;
		goto out;
	}
	in.published = old && old->published ? old->published : now;
	in.updated = now;
	if (x->o.n_categories > 0) {
		for (i = 0; i < x->o.n_categories; i++) {
			memset(&cats[i], 0, sizeof(cats[i]));
			cats[i].term = x->o.categories[i];
		}
		in.categories = cats;
		in.n_categories = x->o.n_categories;
	} else if (old) {
		in.categories = old->categories;
		in.n_categories = old->n_categories;
	}
	if (x->o.n_links > 0) {
		for (i = 0; i < x->o.n_links; i++) {
			const char *l = x->o.links[i], *eq = strchr(l, '='),
				   *colon = strchr(l, ':');

			memset(&links[i], 0, sizeof(links[i]));
			links[i].href = l;
			/* "rel=URL": a rel is a short token before any ':' */
			if (eq && (colon == NULL || eq < colon) &&
			    (size_t)(eq - l) < sizeof(rels[i])) {
				memcpy(rels[i], l, (size_t)(eq - l));
				rels[i][eq - l] = '\0';
				links[i].rel = rels[i];
				links[i].href = eq + 1;
			} else {
				links[i].rel = "alternate";
			}
		}
		in.links = links;
		in.n_links = x->o.n_links;
	} else if (old) {
		in.links = old->links;
		in.n_links = old->n_links;
	}
	/* The Atom id: the entry's XMPP URI when the item id is known
	 * (RFC 5122 / XEP-0060 section 12.21), else a random UUID (the
	 * library makes one when it is NULL). */
	if (old && old->id) {
		in.id = old->id;
	} else if (item_id) {
		size_t len = strlen(x->service) + strlen(node) + strlen(item_id) + 32;

		if ((atom_id = malloc(len)) == NULL) {
			code = CXE_EXIT_FAILURE;
			goto out;
		}
		snprintf(atom_id, len, "xmpp:%s?;node=%s;item=%s", x->service,
			 node, item_id);
		in.id = atom_id;
	}
	st = cx_atom_entry_build(&entry, &in, &err);
	if (st != CX_OK) {
		entry = NULL;
		code = fail(x, node, node, st, &err);
		goto out;
	}
	st = cx_pubsub_publish(&id, x->c, x->service, node, item_id, entry, NULL, &err);
	if (st != CX_OK) {
		code = fail(x, node, node, st, &err);
		goto out;
	}
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string(old ? "edit" : "publish"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "id", jstr(id ? id : item_id));
			json_object_set_new(o, "title", jstr(in.title.value));
			emit(x, o);
		}
	} else {
		say(x, "%s %s on %s: item %s\n", old ? "republished" : "published",
		    in.title.value ? in.title.value : "(no title)", node,
		    id ? id : (item_id ? item_id : "(id not given by the service)"));
	}
out:
	if (entry)
		xmlFreeDoc(entry->doc);
	cx_free(id);
	free(text);
	free(title);
	free(uri);
	free(atom_id);
	return code;
}

static int
write_edit(ctx *x, const char *node, const char *item_id)
{
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	const char *ids[2] = { item_id, NULL };
	cx_pubsub_items *items = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_atom_entry *old = NULL;
	cx_status st = CX_ERR_NOT_FOUND;
	int code;
	size_t i;

	q.item_ids = ids;
	st = cx_pubsub_get_items(&items, x->c, x->service, node, &q, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	for (i = 0; i < items->count; i++) {
		if (items->v[i].id && strcmp(items->v[i].id, item_id) == 0) {
			st = items->v[i].payload ?
			     cx_atom_entry_parse(&old, items->v[i].payload, NULL) :
			     CX_ERR_NOT_FOUND;
			break;
		}
	}
	if (i == items->count) {
		cx_pubsub_items_free(items);
		snprintf(err.message, sizeof(err.message), "no item %s on %s",
			 item_id, node);
		return fail(x, node, node, CX_ERR_NOT_FOUND, &err);
	}
	cx_pubsub_items_free(items);
	if (st != CX_OK && st != CX_ERR_NOT_FOUND)
		return CXE_EXIT_FAILURE;
	if (old == NULL) {
		cx_atom_entry empty = CX_ATOM_ENTRY_INIT;

		/* not an Atom entry: replaced by one, from what is given */
		return write_publish(x, node, item_id, &empty);
	}
	code = write_publish(x, node, item_id, old);
	cx_atom_entry_free(old);
	return code;
}

/* write --payload / --payload-file, before connecting: exactly one
 * well-formed element with a namespace (without one it would land in the
 * pubsub namespace of <item/>), no DOCTYPE (no entities to expand), nothing
 * but white space around it; and not mixed with the Atom options. */
static int
payload_check(ctx *x, const char *verb)
{
	const char *what = x->o.payload ? "--payload" : "--payload-file";
	char *text = NULL;
	const xmlError *e;
	xmlNodePtr root, n;
	int code = CXE_EXIT_USAGE;

	if (x->o.payload && x->o.payload_file)
		return usage_error(x, "write: --payload and --payload-file exclude each other");
	if (x->o.title || x->o.message || x->o.file || x->o.summary ||
	    x->o.author || x->o.n_categories || x->o.n_links)
		return usage_error(x, "write: %s publishes the element as it is; "
				   "the Atom options (--title, -m, -f, --summary, "
				   "--author, --category, --link) do not apply", what);
	if (verb && strcmp(verb, "publish") != 0)
		return usage_error(x, "write: %s does not apply to %s", what, verb);
	if (x->o.payload)
		text = strdup(x->o.payload);
	else if ((text = read_file(x->o.payload_file, x)) == NULL)
		return CXE_EXIT_FAILURE;
	if (text == NULL)
		return CXE_EXIT_FAILURE;
	if (text[strspn(text, " \t\r\n")] == '\0') {
		usage_error(x, "write: %s: empty; give one XML element", what);
		goto out;
	}
	xmlResetLastError();
	x->payload = xmlReadMemory(text, (int)strlen(text), NULL, "UTF-8",
				   XML_PARSE_NONET | XML_PARSE_NOERROR |
				   XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS |
				   XML_PARSE_NOCDATA);
	if (x->payload == NULL) {
		e = xmlGetLastError();
		if (e == NULL || e->message == NULL) {
			code = CXE_EXIT_FAILURE;
			goto out;
		}
		usage_error(x, "write: %s is not one well-formed XML element: "
			    "%.*s (line %d)", what, (int)strcspn(e->message, "\n"),
			    e->message, e->line);
		goto out;
	}
	root = xmlDocGetRootElement(x->payload);
	if (x->payload->intSubset || x->payload->extSubset) {
		usage_error(x, "write: %s: a DOCTYPE is not allowed in a payload", what);
		goto bad;
	}
	for (n = x->payload->children; n; n = n->next) {
		if (n != root) {
			usage_error(x, "write: %s: only one element, without "
				    "comments or processing instructions around it", what);
			goto bad;
		}
	}
	if (root->ns == NULL || root->ns->href == NULL || root->ns->href[0] == '\0') {
		usage_error(x, "write: %s: the element <%s/> has no namespace "
			    "(give it an xmlns)", what, (const char *)root->name);
		goto bad;
	}
	code = CXE_EXIT_OK;
	goto out;
bad:
	xmlFreeDoc(x->payload);
	x->payload = NULL;
out:
	free(text);
	return code;
}

/* Publishes the element checked by payload_check. */
static int
write_payload(ctx *x, const char *node, const char *item_id)
{
	xmlNodePtr root = xmlDocGetRootElement(x->payload);
	cx_error err = CX_ERROR_INIT;
	char *id = NULL;
	cx_status st;

	st = cx_pubsub_publish(&id, x->c, x->service, node, item_id, root, NULL, &err);
	if (st != CX_OK)
		return fail(x, node, node, st, &err);
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string("publish"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "id", jstr(id ? id : item_id));
			json_object_set_new(o, "element", jstr((const char *)root->name));
			json_object_set_new(o, "namespace", jstr((const char *)root->ns->href));
			emit(x, o);
		}
	} else {
		say(x, "published <%s xmlns='%s'/> on %s: item %s\n",
		    (const char *)root->name, (const char *)root->ns->href, node,
		    id ? id : (item_id ? item_id : "(id not given by the service)"));
	}
	cx_free(id);
	return CXE_EXIT_OK;
}

static int
write_list(ctx *x, const char *node)
{
	long total = 0;
	int code;

	code = page_through(x, node, x->o.page_size > 0 ? x->o.page_size : 50, &total);
	if (code != CXE_EXIT_OK)
		return code;
	if (x->o.json) {
		json_t *o = jobj("result");

		if (o) {
			json_object_set_new(o, "command", json_string("list"));
			json_object_set_new(o, "service", jstr(x->service));
			json_object_set_new(o, "node", jstr(node));
			json_object_set_new(o, "items", json_integer(total));
			emit(x, o);
		}
	} else {
		say(x, "%ld item%s on %s\n", total, total == 1 ? "" : "s", node);
	}
	return CXE_EXIT_OK;
}

static int
cmd_write(ctx *x, char **args, int nargs)
{
	const char *node, *verb;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	int i;

	if (nargs < 1)
		return usage_error(x, "write: no node given (write SERVICE NODE)");
	node = args[0];
	verb = nargs > 1 ? args[1] : "publish";
	args += 2;
	nargs -= 2;
	if (strcmp(verb, "publish") == 0) {
		if (nargs > 0)
			return usage_error(x, "write: unexpected \"%s\" (the text goes "
					   "in -m, -f or standard input)", args[0]);
		if (x->payload)
			return write_payload(x, node, x->o.id);
		return write_publish(x, node, x->o.id, NULL);
	}
	if (strcmp(verb, "edit") == 0) {
		if (nargs != 1)
			return usage_error(x, "write: edit takes one item id");
		return write_edit(x, node, args[0]);
	}
	if (strcmp(verb, "retract") == 0) {
		if (nargs < 1)
			return usage_error(x, "write: retract takes item ids");
		for (i = 0; i < nargs; i++) {
			char line[512];

			st = cx_pubsub_retract(x->c, x->service, node, args[i],
					       !x->o.no_notify, &err);
			if (st != CX_OK)
				return fail(x, node, node, st, &err);
			if (x->o.json) {
				json_t *o = jobj("result");

				if (o) {
					json_object_set_new(o, "command", json_string("retract"));
					json_object_set_new(o, "service", jstr(x->service));
					json_object_set_new(o, "node", jstr(node));
					json_object_set_new(o, "id", jstr(args[i]));
					emit(x, o);
				}
			} else {
				snprintf(line, sizeof(line), "retracted %s from %s", args[i], node);
				say(x, "%s\n", line);
			}
		}
		return CXE_EXIT_OK;
	}
	if (strcmp(verb, "list") == 0) {
		if (nargs > 0)
			return usage_error(x, "write: list takes no arguments");
		return write_list(x, node);
	}
	return usage_error(x, "write: unknown verb \"%s\" (publish, edit, retract, list)",
			   verb);
}

/* ------------------------------------------------------------------------
 * main
 */

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static int
number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static const char *
opt_name(const struct option *o, size_t n, int opt)
{
	size_t i;

	if (opt == O_MESSAGE)
		return "message";
	if (opt == O_FILE)
		return "file";
	for (i = 0; i < n; i++)
		if (o[i].val == opt)
			return o[i].name;
	return "?";
}

static unsigned
cmds_of(int opt)
{
	size_t i;

	for (i = 0; i < sizeof(opt_cmds) / sizeof(opt_cmds[0]); i++)
		if (opt_cmds[i].opt == opt)
			return opt_cmds[i].cmds;
	return CMD_ALL;
}

int
main(int argc, char **argv)
{
	static ctx x;
	struct option opts[96];
	const struct option own[] = {
		{ "json", no_argument, NULL, O_JSON },
		{ "depth", required_argument, NULL, O_DEPTH },
		{ "max", required_argument, NULL, O_MAX },
		{ "last", required_argument, NULL, O_LAST },
		{ "all", no_argument, NULL, O_ALL },
		{ "page-size", required_argument, NULL, O_PAGE_SIZE },
		{ "max-pages", required_argument, NULL, O_MAX_PAGES },
		{ "unsubscribe", no_argument, NULL, O_UNSUB },
		{ "unsubscribe-on-exit", no_argument, NULL, O_UNSUB_EXIT },
		{ "count", required_argument, NULL, O_COUNT },
		{ "for", required_argument, NULL, O_FOR },
		{ "follow", no_argument, NULL, O_FOLLOW },
		{ "title", required_argument, NULL, O_TITLE },
		{ "message", required_argument, NULL, O_MESSAGE },
		{ "file", required_argument, NULL, O_FILE },
		{ "id", required_argument, NULL, O_ID },
		{ "category", required_argument, NULL, O_CATEGORY },
		{ "link", required_argument, NULL, O_LINK },
		{ "author", required_argument, NULL, O_AUTHOR },
		{ "summary", required_argument, NULL, O_SUMMARY },
		{ "no-notify", no_argument, NULL, O_NO_NOTIFY },
		{ "deny", no_argument, NULL, O_DENY },
		{ "redirect", required_argument, NULL, O_REDIRECT },
		{ "payload", required_argument, NULL, O_PAYLOAD },
		{ "payload-file", required_argument, NULL, O_PAYLOAD_FILE },
	};
	const size_t nown = sizeof(own) / sizeof(own[0]);
	cx_settings *s = NULL;
	struct sigaction sa;
	unsigned cmd = CMD_NONE;
	const char *cmdname;
	int opt, code = CXE_EXIT_OK, help = 0, nargs;
	char **args;
	char *full = NULL;
	long v;

	x.t.prog = PROG;
	x.o.depth = 8;
	x.o.max = 1000;
	x.o.max_pages = 1000;
	pthread_mutex_init(&x.lock, NULL);
	pthread_cond_init(&x.cv, NULL);
	memcpy(opts, own, sizeof(own));
	memcpy(opts + nown, cxe_common_options, cxe_common_noptions * sizeof(opts[0]));
	memset(&opts[nown + cxe_common_noptions], 0, sizeof(opts[0]));

	while ((opt = getopt_long(argc, argv, "m:f:" CXE_COMMON_SHORTOPTS, opts,
				  NULL)) != -1) {
		int rc;

		if (opt == '?')
			return CXE_EXIT_USAGE;
		switch (opt) {
		case 'h': help = 1; continue;
		case O_JSON: x.o.json = 1; break;
		case O_DEPTH:
			if (number(optarg, 1, 64, &v) < 0)
				return usage_error(&x, "--depth takes 1 to 64");
			x.o.depth = (int)v;
			break;
		case O_MAX:
			if (number(optarg, 1, 100000, &x.o.max) < 0)
				return usage_error(&x, "--max takes 1 to 100000");
			break;
		case O_LAST:
			if (number(optarg, 1, CX_PUBSUB_MAX_ITEMS, &x.o.last) < 0)
				return usage_error(&x, "--last takes 1 to %d", CX_PUBSUB_MAX_ITEMS);
			break;
		case O_ALL: x.o.all = 1; break;
		case O_PAGE_SIZE:
			if (number(optarg, 1, 1000, &x.o.page_size) < 0)
				return usage_error(&x, "--page-size takes 1 to 1000");
			break;
		case O_MAX_PAGES:
			if (number(optarg, 1, 1000000, &x.o.max_pages) < 0)
				return usage_error(&x, "--max-pages takes 1 to 1000000");
			break;
		case O_UNSUB: x.o.unsubscribe = 1; break;
		case O_UNSUB_EXIT: x.o.unsubscribe_on_exit = 1; break;
		case O_FOLLOW: x.o.follow = 1; break;
		case O_COUNT:
			if (number(optarg, 1, 1000000000L, &x.o.count) < 0)
				return usage_error(&x, "--count takes a positive number");
			break;
		case O_FOR:
			if (number(optarg, 1, 100000000L, &x.o.for_secs) < 0)
				return usage_error(&x, "--for takes a positive number of seconds");
			break;
		case O_TITLE: x.o.title = optarg; break;
		case O_MESSAGE: x.o.message = optarg; break;
		case O_FILE: x.o.file = optarg; break;
		case O_ID: x.o.id = optarg; break;
		case O_AUTHOR: x.o.author = optarg; break;
		case O_SUMMARY: x.o.summary = optarg; break;
		case O_NO_NOTIFY: x.o.no_notify = 1; break;
		case O_DENY: x.o.deny = 1; break;
		case O_REDIRECT: x.o.redirect = optarg; break;
		case O_PAYLOAD: x.o.payload = optarg; break;
		case O_PAYLOAD_FILE: x.o.payload_file = optarg; break;
		case O_CATEGORY:
			if (x.o.n_categories >= MAX_LIST)
				return usage_error(&x, "at most %d categories", MAX_LIST);
			x.o.categories[x.o.n_categories++] = optarg;
			break;
		case O_LINK:
			if (x.o.n_links >= MAX_LIST)
				return usage_error(&x, "at most %d links", MAX_LIST);
			x.o.links[x.o.n_links++] = optarg;
			break;
		default:
			rc = cxe_tool_option(&x.t, opt, optarg);
			if (rc <= 0) {
				cxe_tool_free(&x.t);
				return CXE_EXIT_USAGE;
			}
			continue;
		}
		/* one of our own options: which subcommands it fits is checked
		 * once the subcommand is known (options may come before it) */
		if (x.o.n_given < sizeof(x.o.given) / sizeof(x.o.given[0])) {
			x.o.given[x.o.n_given] = opt_name(own, nown, opt);
			x.o.given_cmds[x.o.n_given++] = cmds_of(opt);
		}
	}

	cmdname = optind < argc ? argv[optind] : NULL;
	if (cmdname && strcmp(cmdname, "browse") == 0)
		cmd = CMD_BROWSE;
	else if (cmdname && strcmp(cmdname, "read") == 0)
		cmd = CMD_READ;
	else if (cmdname && strcmp(cmdname, "write") == 0)
		cmd = CMD_WRITE;
	if (help) {
		if (cmd == CMD_BROWSE)
			usage_browse(stdout);
		else if (cmd == CMD_READ)
			usage_read(stdout);
		else if (cmd == CMD_WRITE)
			usage_write(stdout);
		else
			usage_main(stdout);
		cxe_tool_free(&x.t);
		return CXE_EXIT_OK;
	}
	if (cmdname == NULL) {
		usage_main(stderr);
		cxe_tool_free(&x.t);
		return CXE_EXIT_USAGE;
	}
	if (cmd == CMD_NONE) {
		cxe_tool_free(&x.t);
		return usage_error(&x, "unknown subcommand \"%s\" (browse, read, write)",
				   cmdname);
	}
	for (size_t k = 0; k < x.o.n_given; k++) {
		if ((x.o.given_cmds[k] & cmd) == 0) {
			cxe_tool_free(&x.t);
			return usage_error(&x, "%s: option --%s does not apply to it",
					   cmdname, x.o.given[k]);
		}
	}
	if (x.o.message && x.o.file) {
		cxe_tool_free(&x.t);
		return usage_error(&x, "write: -m and -f exclude each other");
	}
	if (x.o.last > 0 && x.o.all) {
		cxe_tool_free(&x.t);
		return usage_error(&x, "read: --last and --all exclude each other");
	}
	if (optind + 1 >= argc) {
		cxe_tool_free(&x.t);
		return usage_error(&x, "%s: no service given", cmdname);
	}
	x.service = argv[optind + 1];
	args = argv + optind + 2;
	nargs = argc - optind - 2;
	if (cmd != CMD_BROWSE && nargs < 1) {
		cxe_tool_free(&x.t);
		return usage_error(&x, "%s: no node given", cmdname);
	}
	if ((x.o.payload || x.o.payload_file) &&
	    (code = payload_check(&x, nargs > 1 ? args[1] : NULL)) != CXE_EXIT_OK) {
		cxe_tool_free(&x.t);
		return code;
	}

	if ((s = cxe_tool_settings(&x.t)) == NULL) {
		code = CXE_EXIT_CONFIG;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	{
		cx_error err = CX_ERROR_INIT;
		cx_status st = cx_client_new(&x.c, s, NULL, &err);

		if (st != CX_OK) {
			x.c = NULL;
			code = fail(&x, "account", NULL, st, &err);
			goto out;
		}
		cx_client_on_event(x.c, on_client_event, &x, NULL);
		/* approve: requests stored while we were away arrive right
		 * after login, so their handler comes before connecting */
		if (cmd == CMD_BROWSE && nargs >= 2 && strcmp(args[1], "approve") == 0) {
			x.approve_node = args[0];
			x.approve_jids = args + 2;
			x.n_approve_jids = nargs - 2;
			if (cx_pubsub_on_event(x.c, x.service, args[0], on_auth_request,
					       &x, NULL) == 0 ||
			    cx_client_on_message(x.c, on_sync, &x, NULL, 0) == 0) {
				snprintf(err.message, sizeof(err.message),
					 "%s is not a valid service address", x.service);
				code = fail(&x, x.service, NULL, CX_ERR_JID, &err);
				goto out;
			}
		}
		st = cx_client_connect(x.c, &err);
		if (st != CX_OK) {
			code = fail(&x, "connect", NULL, st, &err);
			goto out;
		}
	}
	full = cx_client_get_jid(x.c);
	x.account = bare_jid_of(full);
	switch (cmd) {
	case CMD_BROWSE: code = cmd_browse(&x, args, nargs); break;
	case CMD_READ: code = cmd_read(&x, args, nargs); break;
	case CMD_WRITE: code = cmd_write(&x, args, nargs); break;
	}
	if (!x.ended) {
		cx_error err = CX_ERROR_INIT;
		cx_status st = cx_client_disconnect(x.c, &err);

		if (st != CX_OK && code == CXE_EXIT_OK)
			code = fail(&x, "disconnect", NULL, st, &err);
	}
out:
	cx_client_free(x.c);
	cx_settings_unref(s);
	cx_free(full);
	free(x.account);
	for (size_t k = 0; k < x.n_approved; k++)
		free(x.approved[k]);
	if (x.payload)
		xmlFreeDoc(x.payload);
	cxe_tool_free(&x.t);
	return code;
}

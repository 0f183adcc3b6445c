/*
 * Fuzz target: pubsub event notifications (include/cxmpp/pubsub.h,
 * cx_pubsub_event_parse).
 *
 * Input: the text of a <message/>. It goes through cx_stanza_from_string
 * first (whatever that refuses is fuzz_stanza's business), then through the
 * event parser. Invariants: the parser returns CX_OK, CX_ERR_NOT_FOUND or
 * CX_ERR_PROTOCOL (CX_ERR_NOMEM aside) with a message on failure and no
 * event; an event has a known kind, a node where every kind but
 * authorization has one, at most CX_PUBSUB_MAX_ITEMS items and retracts,
 * every string readable and every node borrowed from the message's own
 * document, holds a reference on the message, and parses the same twice.
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "cxmpp/pubsub.h"
#include "cxmpp/stanza.h"
#include "tests/fuzz/fuzz.h"

/* Reads a borrowed string to its end (ASan sees a bad pointer). */
static size_t
touch(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

static void
check_node(const xmlNode *n, const xmlDoc *doc, const char *what)
{
	if (n != NULL)
		CXF_CHECK(n->doc == doc && n->type == XML_ELEMENT_NODE,
			  "%s not an element of the message", what);
}

/* A short description of an event, to compare two parses. */
static void
describe(const cx_pubsub_event *ev, char *out, size_t len)
{
	snprintf(out, len, "%d node=%s from=%s items=%zu retracts=%zu "
		 "redirect=%s jid=%s subid=%s state=%d child=%s assoc=%d",
		 ev->kind, ev->node ? ev->node : "-",
		 ev->from ? ev->from : "-", ev->n_items, ev->n_retracts,
		 ev->redirect ? ev->redirect : "-", ev->jid ? ev->jid : "-",
		 ev->subid ? ev->subid : "-", (int)ev->state,
		 ev->collection_child ? ev->collection_child : "-",
		 ev->associated);
}

static void
check_event(const cx_pubsub_event *ev, cx_stanza *msg)
{
	const xmlDoc *doc = cx_stanza_node(msg)->doc;
	size_t i, total = 0;

	CXF_CHECK(ev->kind >= CX_PUBSUB_EVENT_ITEMS &&
			  ev->kind <= CX_PUBSUB_EVENT_COLLECTION,
		  "event kind %d", ev->kind);
	CXF_CHECK(ev->stanza == msg, "event does not hold the message");
	CXF_CHECK(ev->from != NULL, "event without a sender");
	if (ev->kind != CX_PUBSUB_EVENT_AUTHORIZATION)
		CXF_CHECK(ev->node != NULL, "event kind %d without a node",
			  ev->kind);
	CXF_CHECK(ev->n_items <= CX_PUBSUB_MAX_ITEMS &&
			  ev->n_retracts <= CX_PUBSUB_MAX_ITEMS,
		  "%zu items, %zu retracts", ev->n_items, ev->n_retracts);
	CXF_CHECK(ev->n_items == 0 || ev->items != NULL, "items missing");
	CXF_CHECK(ev->n_retracts == 0 || ev->retracts != NULL,
		  "retracts missing");
	total += touch(ev->from) + touch(ev->node) + touch(ev->redirect) +
		 touch(ev->jid) + touch(ev->subid) +
		 touch(ev->collection_child);
	for (i = 0; i < ev->n_items; i++) {
		total += touch(ev->items[i].id) + touch(ev->items[i].publisher);
		check_node(ev->items[i].payload, doc, "item payload");
	}
	for (i = 0; i < ev->n_retracts; i++) {
		CXF_CHECK(ev->retracts[i] != NULL, "retract %zu without id", i);
		total += touch(ev->retracts[i]);
	}
	check_node(ev->form, doc, "form");
	if (ev->form != NULL)
		total += touch(cx_pubsub_form_value(ev->form, "pubsub#title"));
	(void)total;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cx_stanza *msg = NULL;
	cx_pubsub_event *ev = NULL, *ev2 = NULL;
	cx_error err = CX_ERROR_INIT, err2 = CX_ERROR_INIT;
	char d1[1024], d2[1024];
	cx_status st, st2;

	if (cx_stanza_from_string(&msg, (const char *)data, size, NULL) !=
	    CX_OK)
		return 0;
	st = cx_pubsub_event_parse(&ev, msg, &err);
	st2 = cx_pubsub_event_parse(&ev2, msg, &err2);
	CXF_CHECK(st == st2, "two parses: %d then %d", st, st2);
	if (st != CX_OK) {
		CXF_CHECK(st == CX_ERR_NOT_FOUND || st == CX_ERR_PROTOCOL ||
				  st == CX_ERR_NOMEM,
			  "refused with %d (%s)", st, err.message);
		CXF_CHECK(err.status == st && err.message[0] != '\0',
			  "refusal %d without a message", st);
		CXF_CHECK(ev == NULL && ev2 == NULL, "event set on failure");
		goto out;
	}
	check_event(ev, msg);
	describe(ev, d1, sizeof(d1));
	describe(ev2, d2, sizeof(d2));
	CXF_CHECK(strcmp(d1, d2) == 0, "two parses differ:\n%s\n%s", d1, d2);
	/* the event keeps the message alive on its own */
	cx_stanza_unref(msg);
	msg = NULL;
	check_event(ev, ev->stanza);
out:
	cx_pubsub_event_free(ev);
	cx_pubsub_event_free(ev2);
	cx_stanza_unref(msg);
	return 0;
}

/*
 * lib/ext/pubsub_event.c - parsing pubsub event notifications (XEP-0060
 * sections 7 and 8) and subscription authorization requests (8.6).
 *
 * Design notes: an event is parsed without trusting anything but its
 * structure; who may send it is decided by the dispatcher (pubsub.c),
 * which compares ev->from with the service the handler was registered for.
 * Everything an event points at is borrowed from the message, which the
 * event keeps a reference to, so a parse costs two small allocations.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/pubsub.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"
#include "lib/ext/pubsub_xml.h"

static cx_status
bad(cx_error *err, const char *what)
{
	return cxi_error_set(err, CX_ERR_PROTOCOL, "malformed pubsub event: %s", what);
}

void
cx_pubsub_event_free(cx_pubsub_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->items);
	free(ev->retracts);
	cx_stanza_unref(ev->stanza);
	free(ev);
}

static xmlNodePtr
first_element(const xmlNode *n)
{
	xmlNodePtr c;

	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return c;
	return NULL;
}

static cx_status
parse_items(cx_pubsub_event *ev, xmlNodePtr items, cx_error *err)
{
	xmlNodePtr c;
	size_t ni = 0, nr = 0;

	for (c = items->children; c != NULL; c = c->next) {
		if (cxi_px_is(c, CX_NS_PUBSUB_EVENT, "item"))
			ni++;
		else if (cxi_px_is(c, CX_NS_PUBSUB_EVENT, "retract"))
			nr++;
		if (ni + nr > CX_PUBSUB_MAX_ITEMS)
			return bad(err, "more items than CX_PUBSUB_MAX_ITEMS");
	}
	if (ni > 0 && (ev->items = calloc(ni, sizeof(*ev->items))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (nr > 0 && (ev->retracts = calloc(nr, sizeof(*ev->retracts))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	for (c = items->children; c != NULL; c = c->next) {
		if (cxi_px_is(c, CX_NS_PUBSUB_EVENT, "item")) {
			cx_pubsub_item *i = &ev->items[ev->n_items++];

			/* 7.1.2.1: an item of a transient notification-only
			 * node may have no id; keep it, with id NULL. */
			i->id = cxi_px_attr(c, "id");
			if (i->id != NULL && *i->id == '\0')
				return bad(err, "<item/> with an empty id");
			i->publisher = cxi_px_attr(c, "publisher");
			i->payload = first_element(c);
		} else if (cxi_px_is(c, CX_NS_PUBSUB_EVENT, "retract")) {
			const char *id = cxi_px_attr(c, "id");

			if (id == NULL || *id == '\0')
				return bad(err, "<retract/> without id");
			ev->retracts[ev->n_retracts++] = id;
		}
	}
	return CX_OK;
}

static cx_status
parse_authorization(cx_pubsub_event *ev, xmlNodePtr x, cx_error *err)
{
	ev->kind = CX_PUBSUB_EVENT_AUTHORIZATION;
	ev->form = x;
	ev->node = cx_pubsub_form_value(x, "pubsub#node");
	ev->jid = cx_pubsub_form_value(x, "pubsub#subscriber_jid");
	ev->subid = cx_pubsub_form_value(x, "pubsub#subid");
	if (ev->node == NULL || *ev->node == '\0')
		return bad(err, "authorization request without pubsub#node");
	if (ev->jid == NULL || *ev->jid == '\0')
		return bad(err, "authorization request without pubsub#subscriber_jid");
	return CX_OK;
}

cx_status
cx_pubsub_event_parse(cx_pubsub_event **out, cx_stanza *msg, cx_error *err)
{
	cx_pubsub_event *ev;
	xmlNodePtr e, c, x = NULL;
	const char *type;
	cx_status st = CX_OK;

	if (out == NULL || msg == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "bad arguments");
	*out = NULL;
	if (cx_stanza_get_kind(msg) != CX_STANZA_MESSAGE)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "not a message");
	type = cx_stanza_get_type(msg);
	if (type != NULL && strcmp(type, "error") == 0)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "an error message");
	e = cx_stanza_find_child(msg, CX_NS_PUBSUB_EVENT, "event");
	if (e == NULL) {
		for (x = cx_stanza_find_child(msg, CX_NS_DATA_FORMS, "x"); x != NULL;
		     x = cxi_px_next(x, CX_NS_DATA_FORMS, "x")) {
			const char *ft = cx_pubsub_form_value(x, "FORM_TYPE");

			if (ft != NULL && strcmp(ft, CX_NS_PUBSUB_SUB_AUTH) == 0)
				break;
		}
		if (x == NULL)
			return cxi_error_set(err, CX_ERR_NOT_FOUND, "no pubsub event");
	}
	if ((ev = calloc(1, sizeof(*ev))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	ev->stanza = cx_stanza_ref(msg);
	ev->from = cx_stanza_get_from(msg);
	if (ev->from == NULL || *ev->from == '\0') {
		st = bad(err, "no sender");
		goto fail;
	}
	if (e == NULL) {
		if ((st = parse_authorization(ev, x, err)) != CX_OK)
			goto fail;
		*out = ev;
		return CX_OK;
	}
	c = first_element(e);
	if (c == NULL || c->ns == NULL ||
	    strcmp((const char *)c->ns->href, CX_NS_PUBSUB_EVENT) != 0) {
		st = bad(err, "empty <event/>");
		goto fail;
	}
	ev->node = cxi_px_attr(c, "node");
	if (cxi_px_is(c, NULL, "items")) {
		ev->kind = CX_PUBSUB_EVENT_ITEMS;
		st = parse_items(ev, c, err);
	} else if (cxi_px_is(c, NULL, "purge")) {
		ev->kind = CX_PUBSUB_EVENT_PURGE;
	} else if (cxi_px_is(c, NULL, "delete")) {
		xmlNodePtr r = cxi_px_child(c, CX_NS_PUBSUB_EVENT, "redirect");

		ev->kind = CX_PUBSUB_EVENT_DELETE;
		ev->redirect = r ? cxi_px_attr(r, "uri") : NULL;
		if (r != NULL && (ev->redirect == NULL || *ev->redirect == '\0'))
			st = bad(err, "<redirect/> without uri");
	} else if (cxi_px_is(c, NULL, "configuration")) {
		ev->kind = CX_PUBSUB_EVENT_CONFIGURATION;
		ev->form = cxi_px_child(c, CX_NS_DATA_FORMS, "x");
	} else if (cxi_px_is(c, NULL, "subscription")) {
		const char *s = cxi_px_attr(c, "subscription");

		ev->kind = CX_PUBSUB_EVENT_SUBSCRIPTION;
		ev->jid = cxi_px_attr(c, "jid");
		ev->subid = cxi_px_attr(c, "subid");
		if (ev->jid == NULL)
			st = bad(err, "<subscription/> without jid");
		else if (s == NULL)
			st = bad(err, "<subscription/> without state");
		else if (strcmp(s, "none") == 0)
			ev->state = CX_PUBSUB_SUB_NONE;
		else if (strcmp(s, "pending") == 0)
			ev->state = CX_PUBSUB_SUB_PENDING;
		else if (strcmp(s, "unconfigured") == 0)
			ev->state = CX_PUBSUB_SUB_UNCONFIGURED;
		else if (strcmp(s, "subscribed") == 0)
			ev->state = CX_PUBSUB_SUB_SUBSCRIBED;
		else
			st = bad(err, "unknown subscription state");
	} else if (cxi_px_is(c, NULL, "collection")) {
		xmlNodePtr a = cxi_px_child(c, CX_NS_PUBSUB_EVENT, "associate");
		xmlNodePtr d = cxi_px_child(c, CX_NS_PUBSUB_EVENT, "disassociate");

		ev->kind = CX_PUBSUB_EVENT_COLLECTION;
		ev->associated = a != NULL;
		ev->collection_child = cxi_px_attr(a ? a : d, "node");
		if (ev->collection_child == NULL)
			st = bad(err, "<collection/> without associate/disassociate node");
	} else {
		st = bad(err, "unknown event element");
	}
	if (st == CX_OK && (ev->node == NULL || *ev->node == '\0'))
		st = bad(err, "event without node");
	if (st != CX_OK)
		goto fail;
	*out = ev;
	return CX_OK;
fail:
	cx_pubsub_event_free(ev);
	return st;
}

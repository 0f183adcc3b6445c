/*
 * lib/ext/carbons.c - XEP-0280 message carbons.
 *
 * Design note: the one check that matters is the wrapper's 'from': only
 * our own account may send us carbons (XEP-0280 section 11). It is compared
 * as a prepared bare JID against the bound JID of the client, read at each
 * message (the bound JID may change at a reconnect). A wrapper without
 * 'from' is refused too: a server always stamps carbons with our bare JID.
 */
#include "config.h"

#include "cxmpp/carbons.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

cx_status
cx_carbons_build_enable(cx_stanza **out, int enable, cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return cx_stanza_new_iq(out, "set", NULL, CX_NS_CARBONS,
				enable ? "enable" : "disable", err);
}

cx_status
cx_carbons_enable(cx_client *c, int enable, int timeout_ms, cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cx_carbons_build_enable(&iq, enable, err)) != CX_OK)
		return st;
	st = cx_client_call(NULL, c, iq, timeout_ms, err);
	cx_stanza_unref(iq);
	return st;
}

/* Whether `from` is the bare JID of own_jid. */
static cx_status
from_is_own_bare(const char *from, const char *own_jid, cx_error *err)
{
	cx_jid *own = NULL, *f = NULL;
	cx_status st;

	if ((st = cx_jid_parse(&own, own_jid, err)) != CX_OK)
		return st;
	if (from == NULL) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "carbons: a carbon without 'from' (refused: "
				   "only %s may send carbons)",
				   cx_jid_bare_string(own));
	} else if (cx_jid_parse(&f, from, NULL) != CX_OK || !cx_jid_is_bare(f) ||
		   !cx_jid_equal_bare(f, own)) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "carbons: forged carbon from '%.128s' (only %s "
				   "may send carbons)",
				   from, cx_jid_bare_string(own));
	}
	cx_jid_free(own);
	cx_jid_free(f);
	return st;
}

cx_status
cx_carbons_unwrap(cx_stanza **inner, cx_carbon_direction *dir,
		  const cx_stanza *outer, const char *own_jid, cx_error *err)
{
	xmlNodePtr root, wrap = NULL, fwd, msg = NULL;
	cx_carbon_direction d = 0;
	cx_status st;
	int nwrap = 0, nmsg = 0;

	if (inner != NULL)
		*inner = NULL;
	if (inner == NULL || outer == NULL || own_jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (cx_stanza_get_kind(outer) != CX_STANZA_MESSAGE)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "not a message");
	root = cx_stanza_node(outer);
	for (xmlNodePtr c = root->children; c != NULL; c = c->next) {
		if (cxi_ext_is(c, CX_NS_CARBONS, "received") ||
		    cxi_ext_is(c, CX_NS_CARBONS, "sent")) {
			if (nwrap++ == 0) {
				wrap = c;
				d = strcmp((const char *)c->name, "sent") == 0
					    ? CX_CARBON_SENT
					    : CX_CARBON_RECEIVED;
			}
		}
	}
	if (nwrap == 0)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "not a carbon");
	/* Check the sender before looking any deeper. */
	if ((st = from_is_own_bare(cx_stanza_get_from(outer), own_jid, err)) != CX_OK)
		return st;
	if (nwrap > 1)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "carbons: more than one carbon element");
	fwd = cxi_ext_child(wrap, CX_NS_FORWARD, "forwarded");
	if (fwd == NULL)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "carbons: no <forwarded/> in the carbon");
	for (xmlNodePtr c = fwd->children; c != NULL; c = c->next)
		if (cxi_ext_is(c, CX_NS_CLIENT, "message") && nmsg++ == 0)
			msg = c;
	if (nmsg != 1)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "carbons: %d forwarded messages (one expected)",
				     nmsg);
	if ((st = cx_stanza_new_from_node(inner, msg, err)) != CX_OK)
		return st;
	if (dir != NULL)
		*dir = d;
	return CX_OK;
}

typedef struct carbon_reg {
	cx_carbon_fn fn;
	void *arg;
	void (*arg_free)(void *);
} carbon_reg;

static void
carbon_reg_free(void *p)
{
	carbon_reg *r = p;

	if (r->arg_free != NULL)
		r->arg_free(r->arg);
	free(r);
}

static cx_handler_result
on_message(void *arg, cx_client *c, cx_stanza *s)
{
	carbon_reg *r = arg;
	cx_stanza *inner = NULL;
	cx_carbon_direction dir = 0;
	cx_error e = CX_ERROR_INIT;
	char *own = cx_client_get_jid(c);
	cx_status st;

	if (own == NULL)
		return CX_HANDLER_PASS;
	st = cx_carbons_unwrap(&inner, &dir, s, own, &e);
	cx_free(own);
	if (st == CX_ERR_NOT_FOUND)
		return CX_HANDLER_PASS;
	if (st != CX_OK) {
		cxi_ext_log(c, CX_LOG_WARN, "dropped a message: %s", e.message);
		return CX_HANDLER_CONSUMED;
	}
	r->fn(r->arg, c, dir, inner, s);
	cx_stanza_unref(inner);
	return CX_HANDLER_CONSUMED;
}

cx_handler_id
cx_carbons_on_carbon(cx_client *c, cx_carbon_fn fn, void *arg,
		     void (*arg_free)(void *))
{
	carbon_reg *r;
	cx_handler_id id;

	if (c == NULL || fn == NULL || (r = malloc(sizeof(*r))) == NULL)
		return 0;
	r->fn = fn;
	r->arg = arg;
	r->arg_free = arg_free;
	id = cx_client_on_message(c, on_message, r, carbon_reg_free, 0);
	if (id == 0)
		free(r);
	return id;
}

cx_status
cx_carbons_add_private(cx_stanza *m, cx_error *err)
{
	cx_status st;

	if (m == NULL || cx_stanza_get_kind(m) != CX_STANZA_MESSAGE)
		return cxi_error_set(err, CX_ERR_INVALID, "not a message");
	if (cx_stanza_find_child(m, CX_NS_CARBONS, "private") == NULL &&
	    (st = cx_stanza_add_child(NULL, m, NULL, CX_NS_CARBONS, "private",
				      NULL, err)) != CX_OK)
		return st;
	if (cx_stanza_find_child(m, CX_NS_HINTS, "no-copy") == NULL &&
	    (st = cx_stanza_add_child(NULL, m, NULL, CX_NS_HINTS, "no-copy",
				      NULL, err)) != CX_OK)
		return st;
	return CX_OK;
}

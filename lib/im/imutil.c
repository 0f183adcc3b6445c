/*
 * lib/im/imutil.c - helpers shared by roster, presence and message.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cxmpp/jid.h"
#include "cxmpp/stanza.h"
#include "lib/core/error.h"
#include "lib/im/imutil.h"

char *
cxi_im_strdup(const char *s, bool *fail)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL && fail != NULL)
		*fail = true;
	return d;
}

bool
cxi_im_is(const xmlNode *n, const char *ns, const char *name)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return false;
	if (strcmp((const char *)n->name, name) != 0)
		return false;
	if (ns == NULL)
		return true;
	return n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

char *
cxi_im_text(const xmlNode *n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s;

	if (c == NULL)
		return strdup("");
	s = strdup((const char *)c);
	xmlFree(c);
	return s;
}

char *
cxi_im_attr(const xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	char *s;

	if (v == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

char *
cxi_im_lang(const xmlNode *n)
{
	xmlChar *v = xmlGetNsProp(n, (const xmlChar *)"lang", XML_XML_NAMESPACE);
	char *s;

	if (v == NULL)
		return NULL;
	s = strdup((const char *)v);
	xmlFree(v);
	return s;
}

cx_status
cxi_im_bare(char **out, const char *jid, cx_error *err)
{
	cx_jid *j = NULL;
	cx_status st;

	*out = NULL;
	if (jid == NULL)
		return cxi_error_set(err, CX_ERR_JID, "no JID");
	if ((st = cx_jid_parse(&j, jid, err)) != CX_OK)
		return st;
	*out = strdup(cx_jid_bare_string(j));
	cx_jid_free(j);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

bool
cxi_im_lang_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

void
cxi_im_slot_init(cxi_im_slot *s)
{
	pthread_mutex_init(&s->lock, NULL);
	s->cur = NULL;
}

static void
cb_release(cxi_im_cb *cb)
{
	if (cb->arg_free != NULL)
		cb->arg_free(cb->arg);
	free(cb);
}

cx_status
cxi_im_slot_set(cxi_im_slot *s, void *fn, void *arg, void (*arg_free)(void *))
{
	cxi_im_cb *cb = NULL, *old;
	bool last = false;

	if (fn != NULL) {
		if ((cb = calloc(1, sizeof(*cb))) == NULL)
			return CX_ERR_NOMEM;
		cb->fn = fn;
		cb->arg = arg;
		cb->arg_free = arg_free;
		cb->refs = 1;
	}
	pthread_mutex_lock(&s->lock);
	old = s->cur;
	s->cur = cb;
	if (old != NULL)
		last = --old->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		cb_release(old);
	return CX_OK;
}

cxi_im_cb *
cxi_im_slot_get(cxi_im_slot *s)
{
	cxi_im_cb *cb;

	pthread_mutex_lock(&s->lock);
	cb = s->cur;
	if (cb != NULL)
		cb->refs++;
	pthread_mutex_unlock(&s->lock);
	return cb;
}

void
cxi_im_slot_put(cxi_im_slot *s, cxi_im_cb *cb)
{
	bool last;

	if (cb == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	last = --cb->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		cb_release(cb);
}

void
cxi_im_slot_destroy(cxi_im_slot *s)
{
	cxi_im_slot_set(s, NULL, NULL, NULL);
	pthread_mutex_destroy(&s->lock);
}

cx_status
cxi_im_reply_result(cx_client *c, const cx_stanza *req)
{
	cx_stanza *r = NULL;
	cx_status st;

	st = cx_stanza_new_iq(&r, "result", cx_stanza_get_from(req), NULL,
			      NULL, NULL);
	if (st == CX_OK)
		st = cx_stanza_set_id(r, cx_stanza_get_id(req), NULL);
	if (st == CX_OK)
		st = cx_client_send(c, r, NULL);
	cx_stanza_unref(r);
	return st;
}

cx_status
cxi_im_reply_error(cx_client *c, const cx_stanza *req, const char *condition)
{
	cx_stanza *r = NULL;
	cx_status st;

	st = cx_stanza_new_error_reply(&r, req, condition, NULL, NULL, NULL);
	if (st == CX_OK)
		st = cx_client_send(c, r, NULL);
	cx_stanza_unref(r);
	return st;
}

/*
 * lib/ext/ext_util.c - helpers shared by the XEP modules.
 *
 * Design note: lib/ext is built on the public client API only, which has
 * no per-client log sink, so these modules log through the process
 * default sink (cx_log_set_default) in the "api" category.
 */
#include "config.h"

#include "lib/ext/ext_util.h"
#include "lib/core/stanza.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/core/log.h"

bool
cxi_ext_is(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       (name == NULL || strcmp((const char *)n->name, name) == 0);
}

xmlNodePtr
cxi_ext_child(const xmlNode *parent, const char *ns, const char *name)
{
	if (parent == NULL)
		return NULL;
	for (xmlNodePtr c = parent->children; c != NULL; c = c->next)
		if (cxi_ext_is(c, ns, name))
			return c;
	return NULL;
}

cx_status
cxi_ext_attr_dup(char **out, const xmlNode *n, const char *name)
{
	*out = NULL;
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		cxi_buf b = CXI_BUF_INIT;

		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		for (const xmlNode *t = a->children; t != NULL; t = t->next)
			if (t->content != NULL &&
			    cxi_buf_append_str(&b, (const char *)t->content) != CX_OK) {
				cxi_buf_free(&b);
				return CX_ERR_NOMEM;
			}
		*out = cxi_buf_strdup(&b);
		cxi_buf_free(&b);
		return *out != NULL ? CX_OK : CX_ERR_NOMEM;
	}
	return CX_OK;
}

char *
cxi_ext_text_dup(const xmlNode *n)
{
	cxi_buf b = CXI_BUF_INIT;
	char *s;

	for (const xmlNode *t = n->children; t != NULL; t = t->next) {
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) &&
		    t->content != NULL &&
		    cxi_buf_append_str(&b, (const char *)t->content) != CX_OK) {
			cxi_buf_free(&b);
			return NULL;
		}
	}
	s = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	return s;
}

bool
cxi_ext_text_ok(const char *s)
{
	/* The storey-1 check, so that what we build parses on the way back. */
	return s == NULL || cxi_stanza_text_valid(s);
}

cx_status
cxi_ext_strdup(char **out, const char *s)
{
	*out = NULL;
	if (s != NULL && (*out = strdup(s)) == NULL)
		return CX_ERR_NOMEM;
	return CX_OK;
}

cx_status
cxi_ext_result_reply(cx_stanza **out, const cx_stanza *request,
		     const char *ns, const char *name, xmlNodePtr *payload,
		     cx_error *err)
{
	cx_stanza *r = NULL;
	cx_status st;

	*out = NULL;
	if (payload != NULL)
		*payload = NULL;
	st = cx_stanza_new_iq(&r, "result", cx_stanza_get_from(request), NULL,
			      NULL, err);
	if (st != CX_OK)
		return st;
	if ((st = cx_stanza_set_id(r, cx_stanza_get_id(request), err)) != CX_OK)
		goto fail;
	if (name != NULL &&
	    (st = cx_stanza_add_child(payload, r, NULL, ns, name, NULL, err)) != CX_OK)
		goto fail;
	*out = r;
	return CX_OK;
fail:
	cx_stanza_unref(r);
	return st;
}

void
cxi_ext_send_error(cx_client *c, const cx_stanza *request,
		   const char *condition, const char *text)
{
	cx_stanza *r = NULL;
	cx_error e = CX_ERROR_INIT;

	if (cx_stanza_new_error_reply(&r, request, condition, NULL, text, &e) != CX_OK ||
	    cx_client_send(c, r, &e) != CX_OK)
		cxi_ext_log(c, CX_LOG_WARN, "could not send a %s error reply: %s",
			    condition, e.message);
	cx_stanza_unref(r);
}

void
cxi_ext_log(const cx_client *c, cx_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!cx_client_log_enabled(c, level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cx_client_log(c, level, CX_LOG_CAT_API, "%s", msg);
}

/*
 * lib/ext/version.c - XEP-0092 software version.
 *
 * Design note: the responder's strings live in the client's extension data
 * under a mutex; the handler copies nothing, it builds the answer under the
 * lock (a few small nodes), so replacing the strings is always safe.
 */
#include "config.h"

#include "cxmpp/version.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/disco.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

#define NOMEM() cxi_error_set(err, CX_ERR_NOMEM, "out of memory")

void
cx_version_info_free(cx_version_info *info)
{
	if (info == NULL)
		return;
	free(info->name);
	free(info->version);
	free(info->os);
	free(info);
}

cx_status
cx_version_parse(cx_version_info **out, const xmlNode *q, cx_error *err)
{
	cx_version_info *v;
	cx_status st = CX_OK;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || q == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (!cxi_ext_is(q, CX_NS_VERSION, "query"))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "not a jabber:iq:version query");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NOMEM();
	for (const xmlNode *c = q->children; c != NULL; c = c->next) {
		char **slot;
		const char *name = (const char *)c->name;

		if (!cxi_ext_is(c, CX_NS_VERSION, NULL))
			continue;
		if (strcmp(name, "name") == 0)
			slot = &v->name;
		else if (strcmp(name, "version") == 0)
			slot = &v->version;
		else if (strcmp(name, "os") == 0)
			slot = &v->os;
		else
			continue;
		if (*slot != NULL) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "version: <%s/> appears twice", name);
			goto fail;
		}
		if ((*slot = cxi_ext_text_dup(c)) == NULL) {
			st = NOMEM();
			goto fail;
		}
		if (strlen(*slot) > CX_VERSION_MAX_FIELD) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "version: <%s/> is longer than %u bytes",
					   name, CX_VERSION_MAX_FIELD);
			goto fail;
		}
	}
	if (v->name == NULL || v->version == NULL) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL, "version: no <%s/>",
				   v->name == NULL ? "name" : "version");
		goto fail;
	}
	*out = v;
	return CX_OK;
fail:
	cx_version_info_free(v);
	return st;
}

cx_status
cx_version_build(xmlNodePtr parent, const char *name, const char *version,
		 const char *os, cx_error *err)
{
	xmlNodePtr q;
	xmlNsPtr ns;

	if (parent == NULL || name == NULL || version == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "version: parent, name and version are required");
	if (!cxi_ext_text_ok(name) || !cxi_ext_text_ok(version) ||
	    !cxi_ext_text_ok(os))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "version: not valid XML text");
	if ((q = xmlNewDocNode(parent->doc, NULL, BAD_CAST "query", NULL)) == NULL)
		return NOMEM();
	if ((ns = xmlNewNs(q, BAD_CAST CX_NS_VERSION, NULL)) == NULL)
		goto nomem;
	xmlSetNs(q, ns);
	if (!xmlNewTextChild(q, ns, BAD_CAST "name", BAD_CAST name) ||
	    !xmlNewTextChild(q, ns, BAD_CAST "version", BAD_CAST version) ||
	    (os != NULL && !xmlNewTextChild(q, ns, BAD_CAST "os", BAD_CAST os)) ||
	    xmlAddChild(parent, q) == NULL)
		goto nomem;
	return CX_OK;
nomem:
	xmlFreeNode(q);
	return NOMEM();
}

static cx_status
parse_reply(cx_version_info **out, const cx_stanza *reply, cx_error *err)
{
	xmlNodePtr q = cx_stanza_payload(reply);

	if (!cxi_ext_is(q, CX_NS_VERSION, "query"))
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "version: the result has no query");
	return cx_version_parse(out, q, err);
}

cx_status
cx_version_call(cx_version_info **out, cx_client *c, const char *to,
		int timeout_ms, cx_error *err)
{
	cx_stanza *iq = NULL, *reply = NULL;
	cx_status st;

	if (out == NULL || c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	st = cx_stanza_new_iq(&iq, "get", to, CX_NS_VERSION, "query", err);
	if (st != CX_OK)
		return st;
	st = cx_client_call(&reply, c, iq, timeout_ms, err);
	cx_stanza_unref(iq);
	if (st == CX_OK)
		st = parse_reply(out, reply, err);
	cx_stanza_unref(reply);
	return st;
}

static cx_status
map_version(void **value, void (**value_free)(void *), cx_future *src,
	    void *arg, cx_error *err)
{
	cx_status st;

	(void)arg;
	if ((st = cx_future_get_error(src, err)) != CX_OK)
		return st;
	*value_free = (void (*)(void *))cx_version_info_free;
	return parse_reply((cx_version_info **)value, cx_future_get_value(src),
			   err);
}

cx_future *
cx_version_call_async(cx_client *c, const char *to, int timeout_ms)
{
	cx_stanza *iq = NULL;
	cx_future *call, *f;

	if (c == NULL ||
	    cx_stanza_new_iq(&iq, "get", to, CX_NS_VERSION, "query", NULL) != CX_OK)
		return NULL;
	call = cx_client_call_async(c, iq, timeout_ms);
	cx_stanza_unref(iq);
	if (call == NULL)
		return NULL;
	f = cx_future_map(call, map_version, NULL, NULL);
	if (f == NULL)
		cx_future_cancel(call);
	cx_future_unref(call);
	return f;
}

/* ---- responder ---------------------------------------------------------- */

typedef struct responder {
	pthread_mutex_t lock; /* protects the strings and `installed` */
	char *name, *version, *os;
	bool installed;
} responder;

static const char responder_key;

static void
responder_free(void *p)
{
	responder *r = p;

	free(r->name);
	free(r->version);
	free(r->os);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static void *
responder_make(void *arg)
{
	responder *r = calloc(1, sizeof(*r));

	(void)arg;
	if (r != NULL && pthread_mutex_init(&r->lock, NULL) != 0) {
		free(r);
		r = NULL;
	}
	return r;
}

static cx_handler_result
on_version(void *arg, cx_client *c, cx_stanza *s)
{
	responder *r = arg;
	cx_stanza *reply = NULL;
	cx_error e = CX_ERROR_INIT;
	cx_status st;

	st = cxi_ext_result_reply(&reply, s, NULL, NULL, NULL, &e);
	if (st == CX_OK) {
		pthread_mutex_lock(&r->lock);
		st = cx_version_build(cx_stanza_node(reply), r->name, r->version,
				      r->os, &e);
		pthread_mutex_unlock(&r->lock);
	}
	if (st != CX_OK)
		cxi_ext_send_error(c, s, CX_STANZA_ERR_RESOURCE_CONSTRAINT, NULL);
	else if (cx_client_send(c, reply, &e) != CX_OK)
		cxi_ext_log(c, CX_LOG_INFO, "version: answer not sent: %s", e.message);
	cx_stanza_unref(reply);
	return CX_HANDLER_CONSUMED;
}

cx_status
cx_version_enable_responder(cx_client *c, const char *name,
			    const char *version, const char *os,
			    cx_error *err)
{
	responder *r;
	char *n = NULL, *v = NULL, *o = NULL;
	bool install;

	if (c == NULL || name == NULL || version == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "version: client, name and version are required");
	if (!cxi_ext_text_ok(name) || !cxi_ext_text_ok(version) ||
	    !cxi_ext_text_ok(os))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "version: not valid XML text");
	r = cx_client_ensure_data(c, &responder_key, responder_make, NULL,
				  responder_free);
	if (r == NULL || cxi_ext_strdup(&n, name) != CX_OK ||
	    cxi_ext_strdup(&v, version) != CX_OK ||
	    cxi_ext_strdup(&o, os) != CX_OK) {
		free(n);
		free(v);
		return NOMEM();
	}
	pthread_mutex_lock(&r->lock);
	free(r->name);
	free(r->version);
	free(r->os);
	r->name = n;
	r->version = v;
	r->os = o;
	install = !r->installed;
	r->installed = true;
	pthread_mutex_unlock(&r->lock);
	if (install &&
	    cx_client_on_iq(c, "get", CX_NS_VERSION, "query", on_version, r,
			    NULL, CX_HANDLER_CONCURRENT) == 0) {
		pthread_mutex_lock(&r->lock);
		r->installed = false;
		pthread_mutex_unlock(&r->lock);
		return NOMEM();
	}
	return cx_disco_add_feature(c, CX_NS_VERSION, err);
}

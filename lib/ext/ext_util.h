/*
 * lib/ext/ext_util.h - small helpers shared by the XEP modules of lib/ext
 * (disco, caps, ping, version, carbons): element tests, attribute copies,
 * text checks, result and error replies, logging.
 */
#ifndef CXI_EXT_EXT_UTIL_H
#define CXI_EXT_EXT_UTIL_H

#include <stdbool.h>

#include <libxml/tree.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/log.h"
#include "cxmpp/stanza.h"

/* Whether n is an element `name` (any if NULL) in namespace `ns`. */
bool cxi_ext_is(const xmlNode *n, const char *ns, const char *name);

/* First child element of parent in ns with name (NULL: any), or NULL. */
xmlNodePtr cxi_ext_child(const xmlNode *parent, const char *ns,
			 const char *name);

/*
 * Copy (malloc) of the attribute `name` (no namespace) of n in *out, NULL
 * if absent. @return CX_OK or CX_ERR_NOMEM.
 */
cx_status cxi_ext_attr_dup(char **out, const xmlNode *n, const char *name);

/* Copy (malloc) of the character data of n; NULL only when out of memory. */
char *cxi_ext_text_dup(const xmlNode *n);

/* Whether s is UTF-8 made of characters XML allows (NULL: true). */
bool cxi_ext_text_ok(const char *s);

/* strdup that tolerates NULL (*out NULL); CX_ERR_NOMEM only. */
cx_status cxi_ext_strdup(char **out, const char *s);

/*
 * A result iq answering `request` (same id, to = its from), with an empty
 * payload element when ns/name are given (*payload receives it).
 */
cx_status cxi_ext_result_reply(cx_stanza **out, const cx_stanza *request,
			       const char *ns, const char *name,
			       xmlNodePtr *payload, cx_error *err);

/* Sends an error reply with `condition` to request; failures are logged. */
void cxi_ext_send_error(cx_client *c, const cx_stanza *request,
			const char *condition, const char *text);

/* Logs through the client's sink (cx_client_log, category "api"); c NULL
 * logs to the process default. */
void cxi_ext_log(const cx_client *c, cx_log_level level, const char *fmt, ...)
	CX_PRINTF(3, 4);

#endif

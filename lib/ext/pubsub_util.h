/*
 * lib/ext/pubsub_util.h - small libxml2 helpers shared by the pubsub, RSM
 * and Atom modules (element lookup by namespace, bounded attribute and
 * text copies, element creation with a default namespace).
 */
#ifndef CXI_EXT_PUBSUB_UTIL_H
#define CXI_EXT_PUBSUB_UTIL_H

#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"

/* Whether n is an element named `name` (any if NULL) in `ns` (any if NULL). */
int cxi_px_is(const xmlNode *n, const char *ns, const char *name);
/* First child element matching ns/name (NULL = any), or NULL. */
xmlNodePtr cxi_px_child(const xmlNode *parent, const char *ns,
			const char *name);
/* Next sibling element after n matching ns/name, or NULL. */
xmlNodePtr cxi_px_next(const xmlNode *n, const char *ns, const char *name);
/* Attribute value without namespace, borrowed-by-copy: returns a malloc'd
 * copy in *out (NULL if absent). CX_ERR_NOMEM only. */
cx_status cxi_px_attr_dup(char **out, const xmlNode *n, const char *name,
			  cx_error *err);
/* The attribute's value as a libxml2 string pointer into the tree
 * (borrowed, NULL if absent or not a plain text value). */
const char *cxi_px_attr(const xmlNode *n, const char *name);
/* Concatenated text content of n, malloc'd, at most `max` bytes
 * (CX_ERR_PROTOCOL beyond). NULL n gives *out NULL and CX_OK. */
cx_status cxi_px_text_dup(char **out, const xmlNode *n, size_t max,
			  cx_error *err);
/* malloc'd copy of s (NULL gives NULL and CX_OK). */
cx_status cxi_px_strdup(char **out, const char *s, cx_error *err);
/* Appends an element in `ns` (declared as its default namespace unless it
 * is the parent's, or NULL for the parent's) with optional text. */
cx_status cxi_px_add(xmlNodePtr *out, xmlNodePtr parent, const char *ns,
		     const char *name, const char *text, cx_error *err);
/* Sets an attribute when value is not NULL. */
cx_status cxi_px_set(xmlNodePtr n, const char *name, const char *value,
		     cx_error *err);
/* Deep-copies `src` under `parent` (in parent's document), carrying the
 * namespaces src uses from its ancestors. */
cx_status cxi_px_copy_under(xmlNodePtr *out, xmlNodePtr parent,
			    const xmlNode *src, cx_error *err);
/* Whether s is valid UTF-8 without XML-forbidden characters (NULL: yes). */
int cxi_px_text_ok(const char *s);

#endif

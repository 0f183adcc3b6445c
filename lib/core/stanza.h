/* Internal side of cx_stanza (include/cxmpp/stanza.h). */
#ifndef CXI_CORE_STANZA_H
#define CXI_CORE_STANZA_H

#include <libxml/tree.h>

#include "cxmpp/stanza.h"

/*
 * Wraps a document produced by the XML parser (its root element is the
 * stanza) without copying it. Ownership of doc passes to this function in
 * every case: on failure it is freed. Fails with CX_ERR_INVALID (no root
 * element), CX_ERR_XML_NAMESPACE (root not in jabber:client), CX_ERR_NOMEM.
 */
cx_status cxi_stanza_adopt(cx_stanza **out, xmlDocPtr doc, cx_error *err);

/* Whether text is valid UTF-8 made only of characters XML 1.0 allows. */
int cxi_stanza_text_valid(const char *text);

#endif

/*
 * XML for XMPP streams: a push parser over libxml2's SAX2 push interface and
 * a serializer. Storey 1: no I/O, no threads.
 *
 * The parser takes bytes in chunks of any size (down to one byte, splitting
 * UTF-8 sequences) and reports, through callbacks, the stream header, each
 * complete depth-1 element, and the end of the stream. Restricted XML
 * (RFC 6120 section 11.1) and the limits are enforced while parsing, so
 * memory stays near the limit whatever the peer sends.
 *
 * After an error the parser is dead: every further feed returns the same
 * status. cxi_xml_parser_reset() starts a new stream (after STARTTLS or
 * SASL success) on the same object.
 *
 * Threading: a parser is used by one thread at a time. Delivered trees share
 * nothing with the parser (names are copied, doc->dict is NULL), so they may
 * be handed to and modified on other threads. The serializer functions are
 * pure and safe from any thread.
 */
#ifndef CXI_CORE_XML_H
#define CXI_CORE_XML_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"
#include "lib/core/buf.h"

#define CXI_NS_STREAM "http://etherx.jabber.org/streams"
#define CXI_NS_CLIENT "jabber:client"
#define CXI_NS_XML "http://www.w3.org/XML/1998/namespace"

/* A field left 0 takes its default; max_depth is capped at 250 (libxml2's
 * own nesting limit is 256). The byte limit also applies to the stream
 * header and to an XML declaration; whitespace between stanzas never counts. */
typedef struct cxi_xml_limits {
	size_t max_stanza_bytes; /* default 262144 (256 KiB) */
	unsigned max_depth;      /* default 64, counted below the stream element */
	unsigned max_attrs;      /* attributes (incl. xmlns decls) per element, default 64 */
	unsigned max_children;   /* elements in one stanza, default 10000 */
} cxi_xml_limits;

#define CXI_XML_LIMITS_DEFAULT { 262144, 64, 64, 10000 }

/* One attribute of the stream header. */
typedef struct cxi_xml_attr {
	const char *name;   /* local name, e.g. "version"; "lang" for xml:lang */
	const char *prefix; /* NULL or "xml" */
	const char *value;
} cxi_xml_attr;

typedef struct cxi_xml_callbacks {
	/* <stream:stream ...> opened. attrs is borrowed for the call; ns is the
	 * namespace of the stream element (must be CXI_NS_STREAM, else the parser
	 * fails with CX_ERR_XML_NAMESPACE), default_ns the default namespace it
	 * declared ("jabber:client"), or NULL. */
	void (*stream_start)(void *arg, const char *default_ns,
			     const cxi_xml_attr *attrs, size_t nattrs);
	/* A complete depth-1 element. It is the root element of its own xmlDoc;
	 * ownership of that doc passes to the callee (free it with
	 * xmlFreeDoc(elem->doc)). */
	void (*element)(void *arg, xmlNodePtr elem);
	/* </stream:stream> seen. */
	void (*stream_end)(void *arg);
} cxi_xml_callbacks;
/* Any callback may be NULL (a NULL element callback frees the doc). A
 * callback must not call cxi_xml_parser_feed or _reset on its own parser
 * (both return CX_ERR_STATE there) nor free it: call
 * cxi_xml_parser_stop() and act after feed has returned. */

typedef struct cxi_xml_parser cxi_xml_parser;

cx_status cxi_xml_parser_new(cxi_xml_parser **out, const cxi_xml_limits *limits,
			     const cxi_xml_callbacks *cb, void *arg,
			     cx_error *err);
void cxi_xml_parser_free(cxi_xml_parser *p);
/* Discards all state; the next bytes start a new document (stream restart). */
cx_status cxi_xml_parser_reset(cxi_xml_parser *p, cx_error *err);
/*
 * Feeds bytes; callbacks run from inside this call. Returns CX_OK or the
 * first error: CX_ERR_XML_MALFORMED, _ENCODING, _RESTRICTED, _TOO_BIG,
 * _TOO_DEEP, _TOO_MANY, _NAMESPACE. err->condition is set to the stream
 * error condition to send ("not-well-formed", "restricted-xml",
 * "policy-violation", "invalid-namespace", "bad-format"; and
 * "resource-constraint" with CX_ERR_NOMEM).
 * A callback may call cxi_xml_parser_stop() to make feed return early
 * (CX_OK) without consuming the rest of the chunk; the number of bytes
 * consumed is then reported through *consumed (may be NULL): exactly the
 * offset just after the '>' that ended the element (or stream header) whose
 * callback stopped. Without a stop, *consumed is len on success; on an error
 * it is how many bytes were examined before the error was found.
 * Text directly inside the stream element other than whitespace, and a
 * <stream:stream> at stanza level (a restart the caller did not reset for),
 * give CX_ERR_XML_MALFORMED with "bad-format"; an undeclared prefix gives
 * CX_ERR_XML_NAMESPACE with "not-well-formed"; a stream element not in
 * CXI_NS_STREAM gives CX_ERR_XML_NAMESPACE with "invalid-namespace".
 */
cx_status cxi_xml_parser_feed(cxi_xml_parser *p, const void *data, size_t len,
			      size_t *consumed, cx_error *err);
/* Called from a callback: stop after the current element (see feed). */
void cxi_xml_parser_stop(cxi_xml_parser *p);

/*
 * Serializer. Appends `elem` (and its subtree) to out. Namespaces: an element
 * whose namespace equals `default_ns` ("jabber:client" for stanzas) is
 * written without an xmlns attribute; any other namespace is declared once,
 * on the outermost element that uses it. Text and attribute values are
 * escaped (& < > " and control characters in attributes).
 * An element with no ns is written without xmlns, so it takes the enclosing
 * default namespace (as libstrophe does; xmlns="" cannot be expressed).
 * xml:lang and other xml: attributes are never declared. Comments and PIs
 * are left out. Returns CX_ERR_XML_ENCODING for text that is not valid UTF-8
 * or holds a character XML cannot carry, CX_ERR_INVALID for a bad tree; on
 * any failure `out` is left as it was.
 */
cx_status cxi_xml_serialize(cxi_buf *out, const xmlNode *elem,
			    const char *default_ns);
/* The stream header and trailer for a client stream. */
cx_status cxi_xml_stream_header(cxi_buf *out, const char *to, const char *from,
				const char *lang);
#define CXI_XML_STREAM_END "</stream:stream>"

/* Appends text escaped for element content / attribute values: & < > always,
 * " in attributes, CR as &#13; and (in attributes) TAB/LF as character
 * references so they survive XML normalization. CX_ERR_XML_ENCODING for
 * invalid UTF-8 or characters XML cannot carry (out is then left as it
 * was). */
cx_status cxi_xml_escape(cxi_buf *out, const char *text, size_t len,
			 bool attribute);

#endif

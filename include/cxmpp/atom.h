/*
 * cxmpp/atom.h - Atom entries (RFC 4287) as pubsub payloads.
 *
 * The payload of a microblog or blog node (XEP-0277, XEP-0060 section 12)
 * is an Atom <entry xmlns='http://www.w3.org/2005/Atom'/>. This header
 * builds one from a plain structure and reads one back into the same
 * structure:
 *
 *     cx_atom_entry e = CX_ATOM_ENTRY_INIT;
 *     xmlNodePtr entry = NULL;
 *     e.title.value = "Hello";
 *     e.content.value = "First post";
 *     if (cx_atom_entry_build(&entry, &e, &err) == CX_OK) {
 *             cx_pubsub_publish(NULL, c, svc, node, NULL, entry, NULL, &err);
 *             xmlFreeDoc(entry->doc);
 *     }
 *
 *     cx_atom_entry *got = NULL;
 *     if (cx_atom_entry_parse(&got, item->payload, &err) == CX_OK) {
 *             ... got->title.value, got->author.name, got->links[i].href ...
 *             cx_atom_entry_free(got);
 *     }
 *
 * Reading never trusts its input: a missing or malformed field is NULL
 * (an unparseable timestamp is dropped, not guessed), a text longer than
 * CX_ATOM_MAX_TEXT is dropped, links and categories beyond
 * CX_ATOM_MAX_LINKS / CX_ATOM_MAX_CATEGORIES are dropped, and each drop is
 * counted in `dropped`. Only the parts listed in cx_atom_entry are read;
 * other elements (extensions, contributors, sources) are ignored.
 *
 * Threading: no shared state; every function may be called from any
 * thread. A parsed entry is plain data owned by its caller.
 */
#ifndef CXMPP_ATOM_H
#define CXMPP_ATOM_H

#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"

CX_BEGIN_DECLS

#define CX_NS_ATOM "http://www.w3.org/2005/Atom"
#define CX_NS_XHTML "http://www.w3.org/1999/xhtml"

/** Bounds on what cx_atom_entry_parse keeps (beyond: dropped, counted). */
#define CX_ATOM_MAX_LINKS 64
#define CX_ATOM_MAX_CATEGORIES 64
#define CX_ATOM_MAX_TEXT (256 * 1024) /**< bytes of one text or attribute */

/** Size of a buffer for cx_atom_time_format ("2003-12-13T18:30:02Z"). */
#define CX_ATOM_TIME_SIZE 21

/** The type of a text construct (RFC 4287 section 3.1) or of content (4.1.3). */
typedef enum cx_atom_text_type {
	CX_ATOM_TEXT = 0, /**< plain text (the default) */
	CX_ATOM_HTML,     /**< HTML markup, carried escaped */
	CX_ATOM_XHTML,    /**< XHTML markup inside an xhtml <div/> */
	CX_ATOM_OTHER     /**< content only: another media type (`mime`) */
} cx_atom_text_type;

/**
 * A text construct (title, summary) or the content.
 * `value` is the text for CX_ATOM_TEXT; the HTML markup (unescaped) for
 * CX_ATOM_HTML; the markup of the children of the xhtml <div/> (as XML,
 * without the div) for CX_ATOM_XHTML; the text for CX_ATOM_OTHER.
 * NULL `value`: the element is absent (build: left out).
 */
typedef struct cx_atom_text {
	cx_atom_text_type type;
	const char *value;
	const char *mime; /**< content only: the media type of CX_ATOM_OTHER */
	const char *src;  /**< content only: out-of-line content URI, or NULL */
} cx_atom_text;

/** A person (RFC 4287 section 3.2); name is required when any is set. */
typedef struct cx_atom_person {
	const char *name;
	const char *email;
	const char *uri;
} cx_atom_person;

/** A link (section 4.2.7); href is required. */
typedef struct cx_atom_link {
	const char *href;
	const char *rel;   /**< NULL: "alternate" */
	const char *type;  /**< media type hint, or NULL */
	const char *title; /**< or NULL */
} cx_atom_link;

/** A category (section 4.2.2); term is required. */
typedef struct cx_atom_category {
	const char *term;
	const char *scheme; /**< or NULL */
	const char *label;  /**< or NULL */
} cx_atom_category;

/**
 * An entry. To build, the caller fills it with borrowed strings and
 * arrays. From cx_atom_entry_parse, every string and array is owned by
 * the entry and freed by cx_atom_entry_free.
 */
typedef struct cx_atom_entry {
	unsigned version;        /**< CX_ATOM_ENTRY_VERSION */
	const char *id;          /**< IRI (build: NULL makes a urn:uuid) */
	cx_atom_text title;      /**< required to build */
	cx_atom_person author;   /**< the first author (all NULL: none) */
	const char *published;   /**< RFC 3339 timestamp, or NULL */
	const char *updated;     /**< RFC 3339 timestamp (build: NULL is now) */
	int64_t published_time;  /**< parse: seconds since 1970 UTC, when published != NULL */
	int64_t updated_time;    /**< parse: likewise for updated */
	cx_atom_text summary;
	cx_atom_text content;
	size_t n_links;
	const cx_atom_link *links;
	size_t n_categories;
	const cx_atom_category *categories;
	size_t dropped;          /**< parse: fields dropped as malformed or over a bound */
} cx_atom_entry;

#define CX_ATOM_ENTRY_VERSION 1
#define CX_ATOM_ENTRY_INIT { CX_ATOM_ENTRY_VERSION, NULL, { CX_ATOM_TEXT, NULL, NULL, NULL }, \
	{ NULL, NULL, NULL }, NULL, NULL, 0, 0, { CX_ATOM_TEXT, NULL, NULL, NULL },        \
	{ CX_ATOM_TEXT, NULL, NULL, NULL }, 0, NULL, 0, NULL, 0 }

/**
 * Builds <entry xmlns='http://www.w3.org/2005/Atom'/> as the root of a new
 * libxml2 document.
 * Checks what it writes: the title is required, an author needs a name, a
 * link needs an href, a category a term, timestamps must be RFC 3339, XHTML
 * must be well-formed XML (parsed without network or DTD), text must be
 * valid XML characters.
 * @param out the entry; the caller owns its document: xmlFreeDoc(out->doc)
 * @param e what to write (borrowed)
 * @return CX_OK; CX_ERR_INVALID (a required part missing, a bad timestamp,
 *         a wrong version, malformed XHTML); CX_ERR_XML_ENCODING (text
 *         that XML cannot carry); CX_ERR_SYSTEM (no random id); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_atom_entry_build(xmlNodePtr *out, const cx_atom_entry *e,
				     cx_error *err);

/**
 * Reads an Atom entry, tolerantly (see the top of this header).
 * @param out the entry (owned: cx_atom_entry_free), NULL on failure
 * @param payload an element (borrowed; nothing of it is kept)
 * @return CX_OK; CX_ERR_NOT_FOUND (payload is not an Atom <entry/>);
 *         CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_atom_entry_parse(cx_atom_entry **out,
				     const xmlNode *payload, cx_error *err);

/** Frees a parsed entry (NULL is ignored). @thread any */
CX_API void cx_atom_entry_free(cx_atom_entry *e);

/**
 * Parses an RFC 3339 date-time ("2003-12-13T18:30:02Z",
 * "2003-12-13T18:30:02.25+01:00"; fractions are ignored).
 * @param out seconds since 1970-01-01T00:00:00Z
 * @return CX_OK; CX_ERR_INVALID (not RFC 3339, or a field out of range)
 * @thread any
 */
CX_API cx_status cx_atom_time_parse(int64_t *out, const char *s);

/**
 * Formats a time as RFC 3339 UTC ("2003-12-13T18:30:02Z").
 * @param buf receives it, NUL-terminated
 * @param len at least CX_ATOM_TIME_SIZE
 * @return CX_OK; CX_ERR_INVALID (buffer too small or year beyond 9999)
 * @thread any
 */
CX_API cx_status cx_atom_time_format(char *buf, size_t len, int64_t t);

CX_END_DECLS

#endif

/*
 * Atom entries (RFC 4287) for cxmpp-pubsub: the blog posts that `write`
 * composes and that `read` shows. Only the parts a feed reader shows are
 * read (title, author, dates, first link, summary, content, categories);
 * the rest of an entry is kept on the wire and ignored here.
 *
 * Built on libxml2 alone, which the public API already exposes (pubsub
 * payloads are xmlNode trees).
 */
#ifndef CXE_PUBSUB_ATOM_H
#define CXE_PUBSUB_ATOM_H

#include <stddef.h>

#include <libxml/tree.h>

#define CXE_NS_ATOM "http://www.w3.org/2005/Atom"
#define CXE_ATOM_MAX_LIST 32

/* What `write` puts in an entry (every string borrowed; NULL: left out). */
typedef struct cxe_atom_in {
	const char *id;          /* the Atom <id> (a URI) */
	const char *title;
	const char *author;      /* <author><name> */
	const char *author_uri;  /* <author><uri> ("xmpp:alice@example.org") */
	const char *published;   /* RFC 3339; NULL: now */
	const char *updated;     /* RFC 3339; NULL: now */
	const char *summary;
	const char *content;     /* text */
	const char *categories[CXE_ATOM_MAX_LIST];
	size_t n_categories;
	const char *links[CXE_ATOM_MAX_LIST]; /* "URL" or "REL=URL" */
	size_t n_links;
} cxe_atom_in;

/* What `read` shows of an entry (every string owned; freed by
 * cxe_atom_clear). */
typedef struct cxe_atom {
	char *id, *title, *author, *published, *updated, *link, *summary,
	     *content;
	char *categories[CXE_ATOM_MAX_LIST];
	size_t n_categories;
} cxe_atom;

/* Builds <entry xmlns='http://www.w3.org/2005/Atom'/> in a new document;
 * the caller frees it with xmlFreeDoc(entry->doc). NULL when out of memory. */
xmlNodePtr cxe_atom_build(const cxe_atom_in *in);

/* Reads an entry: 1 if `payload` is an Atom <entry/> (out filled), 0 if it
 * is something else, -1 when out of memory. */
int cxe_atom_read(cxe_atom *out, const xmlNode *payload);

void cxe_atom_clear(cxe_atom *a);

/* The current time as RFC 3339 UTC ("2024-05-01T12:00:00Z"). */
void cxe_atom_now(char *buf, size_t len);

#endif

/*
 * cxmpp/rsm.h - XEP-0059 result set management: the <set/> element that
 * pages through long lists (pubsub items, disco items, archives).
 *
 * Threading: these functions keep no state. A request is built into a node
 * that the caller owns (and must not share while building); a result is
 * read from a node that may be shared read-only. cx_rsm_result is a plain
 * caller-owned struct.
 */
#ifndef CXMPP_RSM_H
#define CXMPP_RSM_H

#include <libxml/tree.h>

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** Namespace of XEP-0059. */
#define CX_NS_RSM "http://jabber.org/protocol/rsm"

/** The longest `after`/`before`/`first`/`last` accepted (UIDs are short). */
#define CX_RSM_MAX_UID 3071

/** A page request. Negative numbers and NULL strings are "absent". */
typedef struct cx_rsm_request {
	unsigned version;   /**< CX_RSM_REQUEST_VERSION */
	long max;           /**< <max/>: page size, or -1 for none; 0 asks for
	                         the count only */
	const char *after;  /**< <after/>: the page after this UID, or NULL */
	const char *before; /**< <before/>: the page before this UID; "" asks
	                         for the last page; NULL for none */
	long index;         /**< <index/>: jump to this offset, or -1 */
} cx_rsm_request;

#define CX_RSM_REQUEST_VERSION 1
#define CX_RSM_REQUEST_INIT { CX_RSM_REQUEST_VERSION, -1, NULL, NULL, -1 }

/** What a responder said about a page. Strings are owned (cx_rsm_result_clear). */
typedef struct cx_rsm_result {
	int present;            /**< 1 if the reply had a <set/>, else 0 */
	char *first;            /**< <first/>: UID of the first item, or NULL */
	long long first_index;  /**< its index attribute, or -1 */
	char *last;             /**< <last/>: UID of the last item, or NULL */
	long long count;        /**< <count/>: size of the whole set, or -1.
	                             Only a hint from the peer: never trust it
	                             to size an allocation. */
} cx_rsm_result;

#define CX_RSM_RESULT_INIT { 0, NULL, -1, NULL, -1 }

/**
 * Appends a <set xmlns='http://jabber.org/protocol/rsm'/> with the request
 * to `parent`.
 * @param out receives the new element, borrowed from parent's document (may
 *        be NULL)
 * @param parent the element to append to (owned by the caller)
 * @param req the request (borrowed)
 * @return CX_OK; CX_ERR_INVALID (NULL, wrong version, `after` and `before`
 *         both set, a UID longer than CX_RSM_MAX_UID, max or index beyond
 *         INT32_MAX), CX_ERR_NOMEM
 * @thread any, on a node that only this thread modifies
 */
CX_API cx_status cx_rsm_add_request(xmlNodePtr *out, xmlNodePtr parent,
				    const cx_rsm_request *req, cx_error *err);

/**
 * Reads the <set/> child of `parent` (the element that carries the page:
 * <pubsub/>, <query/> ...). No <set/> child is not an error: out->present
 * is then 0.
 * @param out filled on CX_OK (owned strings: cx_rsm_result_clear); cleared
 *        on failure
 * @param parent the element (borrowed)
 * @return CX_OK; CX_ERR_PROTOCOL (a <count/> or index that is not a
 *         non-negative decimal below 2^53, a UID longer than
 *         CX_RSM_MAX_UID, a <last/> without <first/> or the reverse, two
 *         <set/>s); CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_rsm_parse(cx_rsm_result *out, const xmlNode *parent,
			      cx_error *err);

/** Frees the strings of a result and resets it to CX_RSM_RESULT_INIT. @thread any */
CX_API void cx_rsm_result_clear(cx_rsm_result *r);

CX_END_DECLS

#endif

/*
 * cxmpp/stanza.h - stanzas (<message/>, <presence/>, <iq/>) and stanza
 * errors (RFC 6120 sections 8 and 8.3).
 *
 * A cx_stanza is a reference-counted libxml2 document whose root element is
 * the stanza, in the namespace "jabber:client". The element is handed out as
 * an xmlNode so that payloads can be read and built with the whole of
 * libxml2 (XPath included).
 *
 * Threading: a stanza has no lock. Build and modify it in one thread (its
 * owner) before sending or sharing it; once it has been shared (passed to a
 * handler, kept with cx_stanza_ref by a second thread, delivered as a reply)
 * it is read-only, and then any number of threads may call the getters and
 * read its nodes concurrently. cx_stanza_ref and cx_stanza_unref are atomic
 * and may be called from any thread at any time. A stanza that must be
 * changed after it was shared is first duplicated with cx_stanza_copy.
 *
 * Strings: every const char * returned by a getter is borrowed from the
 * stanza and stays valid until the stanza is modified or its last reference
 * is dropped. Strings passed in are copied. Text and attribute values must
 * be valid UTF-8 without characters that XML forbids (CX_ERR_XML_ENCODING).
 */
#ifndef CXMPP_STANZA_H
#define CXMPP_STANZA_H

#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** Namespace of client stanzas. */
#define CX_NS_CLIENT "jabber:client"
/** Namespace of the defined conditions and <text/> of stanza errors. */
#define CX_NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

/** A reference-counted stanza. */
typedef struct cx_stanza cx_stanza;

/** What the stanza element is. */
typedef enum cx_stanza_kind {
	CX_STANZA_OTHER = 0, /**< another element in jabber:client */
	CX_STANZA_MESSAGE,   /**< <message/> */
	CX_STANZA_PRESENCE,  /**< <presence/> */
	CX_STANZA_IQ         /**< <iq/> */
} cx_stanza_kind;

/**
 * @name Stanza error conditions (RFC 6120 section 8.3.3)
 * The element names of the defined conditions. The default error type of
 * each (cx_stanza_error_default_type) is given in brackets.
 * @{
 */
#define CX_STANZA_ERR_BAD_REQUEST "bad-request"                         /**< [modify] */
#define CX_STANZA_ERR_CONFLICT "conflict"                               /**< [cancel] */
#define CX_STANZA_ERR_FEATURE_NOT_IMPLEMENTED "feature-not-implemented" /**< [cancel] */
#define CX_STANZA_ERR_FORBIDDEN "forbidden"                             /**< [auth] */
#define CX_STANZA_ERR_GONE "gone"                                       /**< [cancel] */
#define CX_STANZA_ERR_INTERNAL_SERVER_ERROR "internal-server-error"     /**< [cancel] */
#define CX_STANZA_ERR_ITEM_NOT_FOUND "item-not-found"                   /**< [cancel] */
#define CX_STANZA_ERR_JID_MALFORMED "jid-malformed"                     /**< [modify] */
#define CX_STANZA_ERR_NOT_ACCEPTABLE "not-acceptable"                   /**< [modify] */
#define CX_STANZA_ERR_NOT_ALLOWED "not-allowed"                         /**< [cancel] */
#define CX_STANZA_ERR_NOT_AUTHORIZED "not-authorized"                   /**< [auth] */
#define CX_STANZA_ERR_POLICY_VIOLATION "policy-violation"               /**< [modify] */
#define CX_STANZA_ERR_RECIPIENT_UNAVAILABLE "recipient-unavailable"     /**< [wait] */
#define CX_STANZA_ERR_REDIRECT "redirect"                               /**< [modify] */
#define CX_STANZA_ERR_REGISTRATION_REQUIRED "registration-required"     /**< [auth] */
#define CX_STANZA_ERR_REMOTE_SERVER_NOT_FOUND "remote-server-not-found" /**< [cancel] */
#define CX_STANZA_ERR_REMOTE_SERVER_TIMEOUT "remote-server-timeout"     /**< [wait] */
#define CX_STANZA_ERR_RESOURCE_CONSTRAINT "resource-constraint"         /**< [wait] */
#define CX_STANZA_ERR_SERVICE_UNAVAILABLE "service-unavailable"         /**< [cancel] */
#define CX_STANZA_ERR_SUBSCRIPTION_REQUIRED "subscription-required"     /**< [auth] */
#define CX_STANZA_ERR_UNDEFINED_CONDITION "undefined-condition"         /**< [cancel] */
#define CX_STANZA_ERR_UNEXPECTED_REQUEST "unexpected-request"           /**< [wait] */
/** @} */

/**
 * @name Stanza error types (RFC 6120 section 8.3.2)
 * @{
 */
#define CX_STANZA_ERR_TYPE_AUTH "auth"         /**< retry after providing credentials */
#define CX_STANZA_ERR_TYPE_CANCEL "cancel"     /**< do not retry */
#define CX_STANZA_ERR_TYPE_CONTINUE "continue" /**< proceed: only a warning */
#define CX_STANZA_ERR_TYPE_MODIFY "modify"     /**< retry after changing the data */
#define CX_STANZA_ERR_TYPE_WAIT "wait"         /**< retry after waiting */
/** @} */

/* ---- Construction and lifetime ---------------------------------------- */

/**
 * Creates a <message/>.
 * The stanza gets a fresh random id (see cx_stanza_new_iq).
 * @param out receives the new stanza (one reference, owned by the caller);
 *        set to NULL on failure
 * @param to the recipient's address, or NULL (no 'to'); not validated here
 * @param type "chat", "error", "groupchat", "headline", "normal", or NULL
 *        (no 'type' attribute, which means "normal")
 * @param body the text of a <body/> child, or NULL for none
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (unknown type, out NULL),
 *         CX_ERR_XML_ENCODING (bad UTF-8 or forbidden character),
 *         CX_ERR_NOMEM, CX_ERR_SYSTEM (random generator failed)
 * @thread any
 */
CX_API cx_status cx_stanza_new_message(cx_stanza **out, const char *to,
				       const char *type, const char *body,
				       cx_error *err);

/**
 * Creates a <presence/> with a fresh random id.
 * @param out receives the new stanza (owned), NULL on failure
 * @param to the recipient, or NULL (broadcast presence)
 * @param type "error", "probe", "subscribe", "subscribed", "unavailable",
 *        "unsubscribe", "unsubscribed", or NULL (available)
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_XML_ENCODING, CX_ERR_NOMEM,
 *         CX_ERR_SYSTEM
 * @thread any
 */
CX_API cx_status cx_stanza_new_presence(cx_stanza **out, const char *to,
					const char *type, cx_error *err);

/**
 * Creates an <iq/> with a fresh id, optionally with an empty payload element
 * (read it back with cx_stanza_payload() to fill it in).
 * Ids are 22 characters of URL-safe base64 encoding 128 bits from the
 * OpenSSL CSPRNG: unique and unpredictable, which the reply matching relies
 * on.
 * @param out receives the new stanza (owned), NULL on failure
 * @param type "get", "set", "result" or "error"
 * @param to the addressee, or NULL (the account's server)
 * @param payload_ns namespace of the payload element; required with
 *        payload_name
 * @param payload_name name of the payload element, or NULL for none; "get"
 *        and "set" require one (RFC 6120 section 8.2.3)
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (bad type, get/set without payload, name
 *         without namespace), CX_ERR_XML_ENCODING, CX_ERR_NOMEM,
 *         CX_ERR_SYSTEM
 * @thread any
 */
CX_API cx_status cx_stanza_new_iq(cx_stanza **out, const char *type,
				  const char *to, const char *payload_ns,
				  const char *payload_name, cx_error *err);

/**
 * Creates a stanza from a deep copy of an element (and its subtree);
 * namespaces declared on the element's ancestors are carried over.
 * @param out receives the new stanza (owned), NULL on failure
 * @param node an element in the "jabber:client" namespace (borrowed; not
 *        modified)
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (NULL or not an element),
 *         CX_ERR_XML_NAMESPACE (not in jabber:client), CX_ERR_NOMEM
 * @thread any, provided nobody modifies node meanwhile
 */
CX_API cx_status cx_stanza_new_from_node(cx_stanza **out, const xmlNode *node,
					 cx_error *err);

/**
 * Deep copy of a stanza, with the same id: the way to modify a stanza that
 * has already been shared.
 * @param out receives the copy (owned), NULL on failure
 * @param s the stanza to copy (borrowed)
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any (s is only read)
 */
CX_API cx_status cx_stanza_copy(cx_stanza **out, const cx_stanza *s,
				cx_error *err);

/**
 * Adds a reference.
 * @param s a stanza, or NULL
 * @return s (so that `keep = cx_stanza_ref(s);` reads naturally)
 * @thread any (atomic)
 */
CX_API cx_stanza *cx_stanza_ref(cx_stanza *s);

/**
 * Drops a reference; the last one frees the stanza and its document.
 * @param s a stanza, or NULL (no-op)
 * @thread any (atomic)
 */
CX_API void cx_stanza_unref(cx_stanza *s);

/* ---- Access --------------------------------------------------------- */

/**
 * The stanza element.
 * @return the root element, borrowed until the last reference is dropped.
 *         The caller may add and change payload nodes with libxml2 under the
 *         same threading rule as the setters; it must not rename, unlink or
 *         free the element itself.
 * @thread any (read-only use); see the header's threading paragraph
 */
CX_API xmlNodePtr cx_stanza_node(const cx_stanza *s);

/** Kind of stanza (from the element name). @thread any */
CX_API cx_stanza_kind cx_stanza_get_kind(const cx_stanza *s);

/**
 * @name Attribute getters
 * The 'type', 'id', 'from', 'to' and 'xml:lang' attributes of the stanza
 * element. Each returns a string borrowed from the stanza (valid until it is
 * modified or freed), or NULL if the attribute is absent. The language is the
 * stanza's own xml:lang only; the stream's default is not applied here.
 * @thread any
 * @{
 */
CX_API const char *cx_stanza_get_type(const cx_stanza *s);
CX_API const char *cx_stanza_get_id(const cx_stanza *s);
CX_API const char *cx_stanza_get_from(const cx_stanza *s);
CX_API const char *cx_stanza_get_to(const cx_stanza *s);
CX_API const char *cx_stanza_get_lang(const cx_stanza *s);
/** @} */

/**
 * @name Attribute setters
 * Set (copying value) or, with value NULL, remove the attribute. Values are
 * not validated beyond XML text rules: addresses are checked by whoever
 * sends the stanza. Invalidates strings previously returned for the same
 * attribute.
 * @return CX_OK; CX_ERR_INVALID (s NULL), CX_ERR_XML_ENCODING, CX_ERR_NOMEM
 * @thread one at a time, by the owner, before the stanza is shared
 * @{
 */
CX_API cx_status cx_stanza_set_type(cx_stanza *s, const char *value, cx_error *err);
CX_API cx_status cx_stanza_set_id(cx_stanza *s, const char *value, cx_error *err);
CX_API cx_status cx_stanza_set_from(cx_stanza *s, const char *value, cx_error *err);
CX_API cx_status cx_stanza_set_to(cx_stanza *s, const char *value, cx_error *err);
CX_API cx_status cx_stanza_set_lang(cx_stanza *s, const char *value, cx_error *err);
/** @} */

/**
 * Replaces the id with a fresh random one (see cx_stanza_new_iq).
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM, CX_ERR_SYSTEM
 * @thread one at a time, by the owner, before the stanza is shared
 */
CX_API cx_status cx_stanza_set_new_id(cx_stanza *s, cx_error *err);

/* ---- Children ------------------------------------------------------- */

/**
 * Appends a new element to the stanza element or to one of its descendants.
 * Namespaces: with ns NULL the child is in its parent's namespace; otherwise
 * it is in ns, declared on the child as its default namespace unless it is
 * already the parent's namespace.
 * @param out receives the new element, borrowed from the stanza (may be
 *        NULL if the caller does not need it)
 * @param s the stanza
 * @param parent an element of this stanza, or NULL for the stanza element
 * @param ns namespace of the new element, or NULL (parent's)
 * @param name local name of the new element (required)
 * @param text character data of the new element, or NULL for none
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (name NULL or empty, parent not an element
 *         of s), CX_ERR_XML_ENCODING, CX_ERR_NOMEM
 * @thread one at a time, by the owner, before the stanza is shared
 */
CX_API cx_status cx_stanza_add_child(xmlNodePtr *out, cx_stanza *s,
				     xmlNodePtr parent, const char *ns,
				     const char *name, const char *text,
				     cx_error *err);

/**
 * First child element of the stanza element with the given namespace and
 * name.
 * @param ns namespace to match, or NULL for any
 * @param name local name to match, or NULL for any
 * @return the element, borrowed from the stanza; NULL if there is none
 * @thread any
 */
CX_API xmlNodePtr cx_stanza_find_child(const cx_stanza *s, const char *ns,
				       const char *name);

/**
 * The payload: the first child element that is not the <error/> of the
 * stanza (meant for <iq/>, which carries at most one).
 * @return the element, borrowed from the stanza; NULL if there is none
 * @thread any
 */
CX_API xmlNodePtr cx_stanza_payload(const cx_stanza *s);

/**
 * Appends a <body/> (RFC 6121 section 5.2.3).
 * @param lang its xml:lang, or NULL for none (the stanza's language)
 * @param text the body text (required)
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_XML_ENCODING, CX_ERR_NOMEM
 * @thread one at a time, by the owner, before the stanza is shared
 */
CX_API cx_status cx_stanza_add_body(cx_stanza *s, const char *lang,
				    const char *text, cx_error *err);

/**
 * The text of a <body/>.
 * With lang NULL: the first <body/> without xml:lang, else the first
 * <body/>. With lang set: the <body/> whose xml:lang equals lang (ignoring
 * ASCII case), else a <body/> without xml:lang when the stanza's own
 * xml:lang equals lang.
 * @param out receives a NUL-terminated copy, owned: free it with cx_free();
 *        NULL on failure
 * @param s the stanza
 * @param lang the wanted language, or NULL
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_NOT_FOUND (no such body), CX_ERR_INVALID,
 *         CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_stanza_get_body(char **out, const cx_stanza *s,
				    const char *lang, cx_error *err);

/* ---- Text form ------------------------------------------------------ */

/**
 * Serializes the stanza as it would be sent on a client stream: no XML
 * declaration, no xmlns='jabber:client' on the stanza element, other
 * namespaces declared where they are first used.
 * @param out receives a NUL-terminated string, owned: free with cx_free()
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_stanza_to_string(char **out, const cx_stanza *s,
				     cx_error *err);

/**
 * Parses exactly one stanza element, written as it would appear on a client
 * stream (default namespace jabber:client; an explicit
 * xmlns='jabber:client' is allowed). The same rules as for a stream apply:
 * restricted XML (no XML declaration, DOCTYPE, comment, processing
 * instruction or entity beyond the predefined five) and the default limits
 * (CX_SETTING_LIMITS_MAX_STANZA_BYTES and friends, at their defaults).
 * Whitespace around the element is ignored.
 * @param out receives the stanza (owned), NULL on failure
 * @param xml the text (borrowed; need not be NUL-terminated)
 * @param len its length in bytes
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_XML_MALFORMED (not well-formed, incomplete, no
 *         element, more than one element or text outside it),
 *         CX_ERR_XML_ENCODING, CX_ERR_XML_RESTRICTED, CX_ERR_XML_TOO_BIG,
 *         CX_ERR_XML_TOO_DEEP, CX_ERR_XML_TOO_MANY, CX_ERR_XML_NAMESPACE
 *         (element not in jabber:client), CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_stanza_from_string(cx_stanza **out, const char *xml,
				       size_t len, cx_error *err);

/* ---- Stanza errors (RFC 6120 section 8.3) ----------------------------- */

/**
 * Default error type of a defined condition ("cancel" for
 * "item-not-found").
 * @param condition a CX_STANZA_ERR_* name
 * @return a static string, or NULL if condition is not a defined condition
 * @thread any
 */
CX_API const char *cx_stanza_error_default_type(const char *condition);

/**
 * Whether type is one of the five error types.
 * @return 1 if it is, 0 if not (or NULL)
 * @thread any
 */
CX_API int cx_stanza_error_type_valid(const char *type);

/**
 * Builds the error reply to a request: same element name and id,
 * type='error', 'to' set to the request's 'from' and 'from' to the request's
 * 'to' (each omitted if absent), and an <error/> with the condition and
 * optional <text/>. The original payload is not included (RFC 6120 makes it
 * optional; leaving it out keeps the reply small and avoids reflecting
 * content back). Application-specific conditions can then be added with
 * cx_stanza_add_error_app_condition().
 * @param out receives the reply (owned), NULL on failure
 * @param request the stanza being answered (borrowed); must be a message,
 *        presence or iq, and neither of type "error" nor an iq "result"
 *        (those must never be answered with an error)
 * @param condition a defined condition (CX_STANZA_ERR_*)
 * @param type a CX_STANZA_ERR_TYPE_*, or NULL for the condition's default
 * @param text human-readable text for a <text/> element, or NULL
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (unknown condition or type, request not
 *         answerable), CX_ERR_XML_ENCODING, CX_ERR_NOMEM
 * @thread any (request is only read)
 */
CX_API cx_status cx_stanza_new_error_reply(cx_stanza **out,
					   const cx_stanza *request,
					   const char *condition,
					   const char *type, const char *text,
					   cx_error *err);

/**
 * Adds an application-specific condition element to the <error/> of an
 * error stanza, e.g. <unsupported
 * xmlns='http://jabber.org/protocol/pubsub#errors' feature='publish'/>.
 * @param out receives the new element, borrowed from the stanza, so that
 *        attributes can be set on it (may be NULL)
 * @param s an error stanza (with an <error/> child)
 * @param ns namespace of the condition: required, and neither jabber:client
 *        nor urn:ietf:params:xml:ns:xmpp-stanzas
 * @param name local name of the condition
 * @return CX_OK; CX_ERR_INVALID (bad ns or name), CX_ERR_NOT_FOUND (s has
 *         no <error/>), CX_ERR_NOMEM
 * @thread one at a time, by the owner, before the stanza is shared
 */
CX_API cx_status cx_stanza_add_error_app_condition(xmlNodePtr *out,
						   cx_stanza *s,
						   const char *ns,
						   const char *name,
						   cx_error *err);

/**
 * Reads the error carried by a stanza of type "error".
 * Fills out->condition (defined condition), out->error_type, out->text
 * (first <text/>), out->app_condition and out->app_ns (the first child of
 * <error/> outside the stanzas namespace) and out->message; out->status is
 * the returned status.
 * @param s the stanza
 * @param out the error record to fill (may be NULL to just classify)
 * @return CX_ERR_STANZA_ERROR: s is a valid error stanza (the usual case, not
 *         a failure of this call); CX_ERR_NOT_FOUND: s is not of type
 *         "error"; CX_ERR_PROTOCOL: type "error" but no valid <error/> (no
 *         element, unknown or missing condition, missing or unknown type);
 *         out->condition is then "undefined-condition"; CX_ERR_INVALID: s
 *         NULL
 * @thread any
 */
CX_API cx_status cx_stanza_get_error(const cx_stanza *s, cx_error *out);

CX_END_DECLS

#endif

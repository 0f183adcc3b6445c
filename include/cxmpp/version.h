/*
 * cxmpp/version.h - XEP-0092 software version: ask an entity, and answer.
 *
 * The responder answers jabber:iq:version requests with the name and
 * version configured by cx_version_enable_responder; the operating system
 * is left out unless given, because it tells an attacker what to target
 * (XEP-0092 section 6).
 *
 * Threading: every function may be called from any thread. A
 * cx_version_info is plain data owned by whoever received it.
 */
#ifndef CXMPP_VERSION_H
#define CXMPP_VERSION_H

#include <libxml/tree.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/future.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

#define CX_NS_VERSION "jabber:iq:version"

/** Longest name, version or os accepted in an answer (bytes). */
#define CX_VERSION_MAX_FIELD 1024u

/** An entity's software version. Free with cx_version_info_free. */
typedef struct cx_version_info {
	char *name;    /**< software name (always set by the parser) */
	char *version; /**< its version (always set by the parser) */
	char *os;      /**< operating system, or NULL when not disclosed */
} cx_version_info;

/** Frees the info and its strings (NULL is ignored). @thread owner */
CX_API void cx_version_info_free(cx_version_info *info);

/**
 * Parses a {jabber:iq:version}query of a result.
 * @param out receives the info (owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID (not such a query); CX_ERR_PROTOCOL (no
 *         <name/> or <version/>, one of them twice, or longer than
 *         CX_VERSION_MAX_FIELD); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_version_parse(cx_version_info **out, const xmlNode *query,
				  cx_error *err);

/**
 * Appends the answer's <query xmlns='jabber:iq:version'> to parent.
 * @param os NULL to leave it out
 * @return CX_OK; CX_ERR_INVALID (name or version NULL); CX_ERR_XML_ENCODING;
 *         CX_ERR_NOMEM
 * @thread owner of parent's document
 */
CX_API cx_status cx_version_build(xmlNodePtr parent, const char *name,
				  const char *version, const char *os,
				  cx_error *err);

/**
 * Asks `to` for its software version.
 * @param out receives the info (owned: cx_version_info_free)
 * @return CX_OK; CX_ERR_STANZA_ERROR (e.g. service-unavailable);
 *         CX_ERR_PROTOCOL (malformed answer); CX_ERR_TIMEOUT;
 *         CX_ERR_DISCONNECTED; CX_ERR_STATE
 * @thread any, including handlers; @blocks up to timeout_ms
 */
CX_API cx_status cx_version_call(cx_version_info **out, cx_client *client,
				 const char *to, int timeout_ms, cx_error *err);

/** The async twin: the future's value is the cx_version_info (owned by the
 * future). NULL only when out of memory. @thread any */
CX_API cx_future *cx_version_call_async(cx_client *client, const char *to,
					int timeout_ms);

/**
 * Answers version requests sent to this client, and advertises
 * jabber:iq:version in disco#info. Calling it again replaces the strings.
 * @param name, version required
 * @param os NULL (the default: not disclosed) or the system to report
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_version_enable_responder(cx_client *client,
					     const char *name,
					     const char *version,
					     const char *os, cx_error *err);

CX_END_DECLS

#endif

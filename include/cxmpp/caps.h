/*
 * cxmpp/caps.h - XEP-0115 entity capabilities.
 *
 * Our side: the verification string ('ver') is computed from our own
 * disco#info (cxmpp/disco.h) exactly as XEP-0115 section 5 says (SHA-1,
 * base64), recomputed whenever a feature, identity or form is registered,
 * and put into presence as <c xmlns='http://jabber.org/protocol/caps'
 * hash='sha-1' node='...' ver='...'/>. The responder answers disco#info
 * for node#ver with the same info.
 *
 * The client façade sends the initial presence itself, without caps. An
 * application that uses caps sets CX_SETTING_PRESENCE_INITIAL to false and
 * sends its presence through cx_caps_send_presence() (or decorates every
 * available presence it sends with cx_caps_add_to_presence()), and sends a
 * new presence when it registers features later: the ver changes.
 *
 * Their side: cx_caps_resolve() turns a (jid, node, ver) seen in
 * someone's presence into their disco#info, asking them only when the ver
 * is not cached yet, and caches an answer only after recomputing its hash:
 * an answer whose hash does not match the ver is not cached (poisoning).
 * PEP (XEP-0163) relies on the "+notify" features found this way; a
 * feature that wants PEP notifications advertises
 * cx_disco_add_feature(c, "urn:...+notify").
 *
 * Threading: every function may be called from any thread.
 */
#ifndef CXMPP_CAPS_H
#define CXMPP_CAPS_H

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/disco.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

#define CX_NS_CAPS "http://jabber.org/protocol/caps"
/** The node cx_caps_enable uses when given NULL. */
#define CX_CAPS_DEFAULT_NODE "https://cxmpp.org/caps"
/** Entries kept in a client's cache of other entities' capabilities. */
#define CX_CAPS_CACHE_MAX 1000u

/**
 * Computes the XEP-0115 verification string of a disco#info.
 * @param out receives the base64 SHA-1 (owned: cx_free)
 * @param info the info (borrowed)
 * @return CX_OK; CX_ERR_PROTOCOL when XEP-0115 section 5.4 says the info
 *         must not be processed (two identical identities, two identical
 *         features, two forms with one FORM_TYPE, a FORM_TYPE with several
 *         values); forms without a hidden FORM_TYPE are ignored as the
 *         spec says; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_caps_compute_ver(char **out, const cx_disco_info *info,
				     cx_error *err);

/**
 * Turns caps on for this client: advertises the caps feature and answers
 * disco#info for node#ver.
 * @param node our caps node (a URI naming the software), or NULL for
 *        CX_CAPS_DEFAULT_NODE; must not contain '#'
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_caps_enable(cx_client *client, const char *node,
				cx_error *err);

/**
 * Our current verification string (copy, cx_free), computed from our
 * disco#info now. Needs cx_caps_enable.
 * @return CX_OK; CX_ERR_STATE (caps not enabled); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_caps_get_ver(char **out, cx_client *client, cx_error *err);

/**
 * Adds (or replaces) the <c/> element of an outgoing available presence.
 * @return CX_OK; CX_ERR_STATE (caps not enabled); CX_ERR_INVALID (not a
 *         presence, or one with a type: caps go on available presence
 *         only); CX_ERR_NOMEM
 * @thread one at a time per stanza, by its owner
 */
CX_API cx_status cx_caps_add_to_presence(cx_client *client,
					 cx_stanza *presence, cx_error *err);

/**
 * Sends an available presence with caps: `presence` decorated with
 * cx_caps_add_to_presence (it is modified), or with NULL a plain
 * <presence/>.
 * @return CX_OK once queued; the statuses of cx_caps_add_to_presence and
 *         cx_client_send
 * @thread any
 */
CX_API cx_status cx_caps_send_presence(cx_client *client, cx_stanza *presence,
				       cx_error *err);

/**
 * Reads the <c/> of a received presence.
 * @param node, ver, hash receive strings borrowed from the stanza (any may
 *        be NULL); hash is NULL for a legacy (pre-1.5) annotation
 * @return CX_OK; CX_ERR_NOT_FOUND (no caps); CX_ERR_PROTOCOL (no node or
 *         no ver); CX_ERR_INVALID
 * @thread any
 */
CX_API cx_status cx_caps_parse(const char **node, const char **ver,
			       const char **hash, const cx_stanza *presence,
			       cx_error *err);

/**
 * The disco#info behind a (jid, node, ver) announced in jid's presence:
 * from the cache, or asked from jid (disco#info of node#ver), verified and
 * cached.
 * @param out receives a copy (owned: cx_disco_info_free)
 * @return CX_OK; CX_ERR_PROTOCOL (the answer's hash does not match ver:
 *         not cached); the statuses of cx_disco_info_call
 * @thread any, including handlers; @blocks up to timeout_ms when not
 *         cached
 */
CX_API cx_status cx_caps_resolve(cx_disco_info **out, cx_client *client,
				 const char *jid, const char *node,
				 const char *ver, int timeout_ms,
				 cx_error *err);

/**
 * Looks a ver up in the cache only.
 * @param out receives a copy (owned: cx_disco_info_free)
 * @return CX_OK; CX_ERR_NOT_FOUND; CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_caps_cache_get(cx_disco_info **out, cx_client *client,
				   const char *ver, cx_error *err);

/**
 * Adds an info to the cache under ver after checking that its hash is ver.
 * @return CX_OK; CX_ERR_PROTOCOL (mismatch or unprocessable: not cached);
 *         CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_caps_cache_add(cx_client *client, const char *ver,
				   const cx_disco_info *info, cx_error *err);

CX_END_DECLS

#endif

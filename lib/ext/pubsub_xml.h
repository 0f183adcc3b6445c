/*
 * lib/ext/pubsub_xml.h - pure builders and parsers of XEP-0060 stanzas
 * (no connection, no threads): what the wrappers in pubsub.c send and
 * read, and what the unit tests check against the specification's
 * examples.
 *
 * Builders make a complete <iq/> (owned by the caller) with a fresh id.
 * `service` may be NULL (the account itself: PEP). String arrays of form
 * values are {var, value, var, value, ..., NULL}.
 */
#ifndef CXI_EXT_PUBSUB_XML_H
#define CXI_EXT_PUBSUB_XML_H

#include "cxmpp/pubsub.h"

#define CXI_NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define CXI_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define CXI_NS_COMMANDS "http://jabber.org/protocol/commands"
#define CXI_PUBSUB_GET_PENDING "http://jabber.org/protocol/pubsub#get-pending"

/* <iq type to><pubsub xmlns=ns/></iq>; *ps receives the <pubsub/>. */
cx_status cxi_pubsub_new_iq(cx_stanza **out, xmlNodePtr *ps, const char *type,
			    const char *service, const char *ns, cx_error *err);
/* Appends a submitted form <x type='submit'> with FORM_TYPE and the pairs
 * (consecutive pairs with the same var: one field with several values). */
cx_status cxi_pubsub_add_form(xmlNodePtr *out, xmlNodePtr parent,
			      const char *form_type, const char *const *kv,
			      cx_error *err);

cx_status cxi_pubsub_build_disco(cx_stanza **out, const char *service,
				 const char *node, int items, cx_error *err);
cx_status cxi_pubsub_build_subscriptions(cx_stanza **out, const char *service,
					 const char *node, int owner,
					 cx_error *err);
cx_status cxi_pubsub_build_affiliations(cx_stanza **out, const char *service,
					const char *node, int owner,
					cx_error *err);
cx_status cxi_pubsub_build_subscribe(cx_stanza **out, const char *service,
				     const char *node, const char *jid,
				     const char *const *options, cx_error *err);
cx_status cxi_pubsub_build_unsubscribe(cx_stanza **out, const char *service,
				       const char *node, const char *jid,
				       const char *subid, cx_error *err);
cx_status cxi_pubsub_build_options(cx_stanza **out, const char *service,
				   const char *node, const char *jid,
				   const char *subid,
				   const char *const *options, cx_error *err);
cx_status cxi_pubsub_build_items(cx_stanza **out, const char *service,
				 const char *node,
				 const cx_pubsub_items_query *q, cx_error *err);
cx_status cxi_pubsub_build_publish(cx_stanza **out, const char *service,
				   const char *node, size_t n,
				   const char *const *item_ids,
				   const xmlNode *const *payloads,
				   const char *const *options, cx_error *err);
cx_status cxi_pubsub_build_retract(cx_stanza **out, const char *service,
				   const char *node, const char *item_id,
				   int notify, cx_error *err);
cx_status cxi_pubsub_build_create(cx_stanza **out, const char *service,
				  const char *node, const char *const *config,
				  cx_error *err);
/* node NULL: <default/> (8.3); config NULL: get, else set. */
cx_status cxi_pubsub_build_configure(cx_stanza **out, const char *service,
				     const char *node,
				     const char *const *config, cx_error *err);
cx_status cxi_pubsub_build_delete(cx_stanza **out, const char *service,
				  const char *node, const char *redirect,
				  cx_error *err);
cx_status cxi_pubsub_build_purge(cx_stanza **out, const char *service,
				 const char *node, cx_error *err);
cx_status cxi_pubsub_build_set_subscriptions(cx_stanza **out,
					     const char *service,
					     const char *node,
					     const cx_pubsub_subscription *s,
					     size_t n, cx_error *err);
cx_status cxi_pubsub_build_set_affiliations(cx_stanza **out,
					    const char *service,
					    const char *node,
					    const cx_pubsub_affiliation_entry *a,
					    size_t n, cx_error *err);
/* The <message/> answering an authorization request. */
cx_status cxi_pubsub_build_authorization(cx_stanza **out,
					 const cx_pubsub_event *req,
					 int allow, cx_error *err);

/*
 * Reads the error of an error reply into err (status CX_ERR_STANZA_ERROR,
 * or CX_ERR_NOT_SUPPORTED for <unsupported feature='F'/> and for
 * feature-not-implemented, with "pubsub#F" in the message).
 */
cx_status cxi_pubsub_reply_error(const cx_stanza *reply, cx_error *err);

/* Parsers of results. Each returns CX_ERR_PROTOCOL for malformed input. */
cx_status cxi_pubsub_parse_subscriptions(cx_pubsub_subscriptions **out,
					 const cx_stanza *reply, int owner,
					 cx_error *err);
/* As above, for a request about `asked_node`: an entry naming no node
 * (neither on itself nor on the list) is about that node. */
cx_status cxi_pubsub_parse_subscriptions_at(cx_pubsub_subscriptions **out,
					    const cx_stanza *reply, int owner,
					    const char *asked_node,
					    cx_error *err);
/* A subscribe reply: one <subscription/> (or none: "subscribed", 6.1.2). */
cx_status cxi_pubsub_parse_subscribe(cx_pubsub_subscriptions **out,
				     const cx_stanza *reply, const char *node,
				     const char *jid, cx_error *err);
cx_status cxi_pubsub_parse_affiliations(cx_pubsub_affiliations **out,
					const cx_stanza *reply, int owner,
					cx_error *err);
cx_status cxi_pubsub_parse_items(cx_pubsub_items **out, cx_stanza *reply,
				 cx_error *err);
/* A publish reply: the item ids, if the service returned any. */
cx_status cxi_pubsub_parse_publish(char ***ids, size_t *n,
				   const cx_stanza *reply, cx_error *err);
/* A create reply: the node name the service returned, or NULL. */
cx_status cxi_pubsub_parse_create(char **node, const cx_stanza *reply,
				  cx_error *err);
cx_status cxi_pubsub_parse_info(cx_pubsub_info **out, cx_stanza *reply,
				cx_error *err);
cx_status cxi_pubsub_parse_disco_items(cx_pubsub_node_list *list,
				       const cx_stanza *reply, int depth,
				       size_t max_count, cx_error *err);

/*
 * 8.7 pending subscription requests, an ad-hoc command (XEP-0050):
 * node NULL builds the first <command action='execute'/>; a node builds
 * the submission of the service's form for it, in session `sessionid`,
 * echoing the form's FORM_TYPE when it had one (form_type, or NULL).
 */
cx_status cxi_pubsub_build_get_pending(cx_stanza **out, const char *service,
				       const char *node, const char *sessionid,
				       const char *form_type, cx_error *err);
/*
 * Reads the service's answer to the first request: the nodes offered as
 * <option/>s of the form's pubsub#node field (an empty list for a command
 * that completed without a form), and, when asked for (may be NULL), the
 * session id and the form's FORM_TYPE (malloc'd, NULL if absent).
 * CX_ERR_PROTOCOL: no <command/>, another command, no form, a malformed
 * form (or CX_ERR_XML_TOO_MANY beyond the forms limits), no pubsub#node
 * field, an empty node name, more than CX_PUBSUB_MAX_ENTRIES nodes.
 */
cx_status cxi_pubsub_parse_get_pending(cx_pubsub_pending **out,
				       char **sessionid, char **form_type,
				       const cx_stanza *reply, cx_error *err);
/*
 * The error of a get-pending reply: service-unavailable and
 * feature-not-implemented (with or without <unsupported/>) give
 * CX_ERR_NOT_SUPPORTED naming pubsub#get-pending; others as
 * cxi_pubsub_reply_error.
 */
cx_status cxi_pubsub_get_pending_error(const cx_stanza *reply, cx_error *err);

#endif

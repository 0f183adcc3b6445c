/*
 * cxmpp/message.h - messages (RFC 6121 section 5) and delayed delivery
 * (XEP-0203, with XEP-0082 timestamps).
 *
 * A cx_message is the parsed, read-only view of a <message/> stanza: type,
 * addresses, subjects and bodies with their xml:lang, thread (with parent)
 * and the delayed-delivery stamp. cx_message_build makes the stanza from a
 * cx_message_spec. cx_message_on registers a handler that receives parsed
 * messages.
 *
 * Threading: every function may be called from any thread. A cx_message is
 * immutable once parsed, so any number of threads may read it at once; it
 * has one owner, who frees it. Strings returned by the getters are borrowed
 * from the cx_message and valid until cx_message_free.
 */
#ifndef CXMPP_MESSAGE_H
#define CXMPP_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"
#include "cxmpp/stanza.h"

CX_BEGIN_DECLS

/** Namespace of XEP-0203 delayed delivery. */
#define CX_NS_DELAY "urn:xmpp:delay"

/** Most <body/> (and, separately, <subject/>) elements a message may carry;
 * cx_message_parse refuses more with CX_ERR_XML_TOO_MANY. */
#define CX_MESSAGE_MAX_TEXTS 64

/** The message types of RFC 6121 section 5.2.2. */
typedef enum cx_message_type {
	CX_MESSAGE_NORMAL = 0, /**< no type, "normal", or a type not understood */
	CX_MESSAGE_CHAT,       /**< "chat" */
	CX_MESSAGE_GROUPCHAT,  /**< "groupchat" */
	CX_MESSAGE_HEADLINE,   /**< "headline" */
	CX_MESSAGE_ERROR       /**< "error" (read the error with cx_stanza_get_error) */
} cx_message_type;

/** A parsed message. Opaque. */
typedef struct cx_message cx_message;

/** One text in a language: a body or a subject. */
typedef struct cx_message_text {
	const char *lang; /**< its xml:lang, or NULL for the stanza's language */
	const char *text; /**< the text (required) */
} cx_message_text;

/** What cx_message_build makes. Zeroed fields are left out. */
typedef struct cx_message_spec {
	unsigned version;        /**< CX_MESSAGE_SPEC_VERSION */
	const char *to;          /**< recipient, or NULL */
	cx_message_type type;    /**< the type; CX_MESSAGE_NORMAL writes no attribute */
	const char *lang;        /**< the stanza's xml:lang, or NULL */
	const cx_message_text *bodies; /**< bodies, at most one per language */
	size_t nbodies;
	const cx_message_text *subjects; /**< subjects, at most one per language */
	size_t nsubjects;
	const char *thread;      /**< <thread/> identifier, or NULL */
	const char *thread_parent; /**< its 'parent' attribute (needs thread) */
} cx_message_spec;

#define CX_MESSAGE_SPEC_VERSION 1
#define CX_MESSAGE_SPEC_INIT { CX_MESSAGE_SPEC_VERSION, NULL, CX_MESSAGE_NORMAL, NULL, NULL, 0, NULL, 0, NULL, NULL }

/**
 * The name of a type ("chat"); "normal" for CX_MESSAGE_NORMAL.
 * @return a static string; NULL for a value outside the enum
 * @thread any
 */
CX_API const char *cx_message_type_name(cx_message_type type);

/**
 * Builds a <message/> from a spec, with a fresh random id.
 * @param out receives the stanza (owned: cx_stanza_unref), NULL on failure
 * @param spec what to put in (borrowed; strings are copied)
 * @return CX_OK; CX_ERR_INVALID (spec NULL or of another version, unknown
 *         type, a text NULL, two bodies or two subjects with the same
 *         language, thread_parent without thread, more than
 *         CX_MESSAGE_MAX_TEXTS texts), CX_ERR_XML_ENCODING, CX_ERR_NOMEM,
 *         CX_ERR_SYSTEM
 * @thread any
 */
CX_API cx_status cx_message_build(cx_stanza **out, const cx_message_spec *spec,
				  cx_error *err);

/**
 * Builds the message (cx_message_build) and queues it (cx_client_send).
 * @return as cx_message_build and cx_client_send (CX_ERR_STATE when not
 *         connected)
 * @thread any
 */
CX_API cx_status cx_message_send(cx_client *client, const cx_message_spec *spec,
				 cx_error *err);

/**
 * Parses a <message/>.
 * Lenient where RFC 6121 tells receivers to be: a missing or unknown type
 * is "normal"; a second body or subject in a language already seen is
 * ignored; an empty <thread/> counts as absent; unknown children are
 * ignored; a <delay/> whose stamp is not a valid XEP-0082 DateTime (see
 * cx_delay_parse_stamp) counts as absent.
 * @param out receives the parsed message (owned: cx_message_free), NULL on
 *        failure
 * @param s the stanza (borrowed; the message keeps its own reference)
 * @return CX_OK; CX_ERR_INVALID (s or out NULL), CX_ERR_PROTOCOL (not a
 *         <message/>), CX_ERR_XML_TOO_MANY (more than CX_MESSAGE_MAX_TEXTS
 *         bodies or subjects), CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_message_parse(cx_message **out, const cx_stanza *s,
				  cx_error *err);

/** Frees a parsed message (NULL is a no-op). @thread one owner */
CX_API void cx_message_free(cx_message *m);

/** The stanza it was parsed from (borrowed, valid until cx_message_free). */
CX_API cx_stanza *cx_message_get_stanza(const cx_message *m);
/** The type. @thread any */
CX_API cx_message_type cx_message_get_type(const cx_message *m);
/** @name Addresses, id, language: borrowed strings, NULL when absent. @{ */
CX_API const char *cx_message_get_from(const cx_message *m);
CX_API const char *cx_message_get_to(const cx_message *m);
CX_API const char *cx_message_get_id(const cx_message *m);
CX_API const char *cx_message_get_lang(const cx_message *m);
/** @} */
/** The <thread/> identifier, NULL if none. */
CX_API const char *cx_message_get_thread(const cx_message *m);
/** The 'parent' of the <thread/>, NULL if none. */
CX_API const char *cx_message_get_thread_parent(const cx_message *m);

/**
 * The body in a language. With lang NULL: the body without xml:lang, else
 * the first body. With lang set: the body whose xml:lang equals lang
 * (ASCII case ignored), else the body without xml:lang if the stanza's
 * language equals lang.
 * @return the text, borrowed; NULL if there is no such body
 */
CX_API const char *cx_message_get_body(const cx_message *m, const char *lang);
/** As cx_message_get_body, for <subject/>. */
CX_API const char *cx_message_get_subject(const cx_message *m, const char *lang);

/** Number of distinct-language bodies kept. */
CX_API size_t cx_message_body_count(const cx_message *m);
/**
 * The i-th body, in document order.
 * @param lang receives its own xml:lang (borrowed, NULL if none); may be NULL
 * @return the text, borrowed; NULL when i is out of range
 */
CX_API const char *cx_message_body_at(const cx_message *m, size_t i,
				      const char **lang);
/** Number of distinct-language subjects kept. */
CX_API size_t cx_message_subject_count(const cx_message *m);
/** The i-th subject; as cx_message_body_at. */
CX_API const char *cx_message_subject_at(const cx_message *m, size_t i,
					 const char **lang);

/**
 * The XEP-0203 delayed-delivery stamp: the first <delay
 * xmlns='urn:xmpp:delay'/> with a valid stamp.
 * @param sec receives seconds since 1970-01-01T00:00:00Z (may be NULL)
 * @param usec receives the microseconds (0..999999; may be NULL)
 * @param from receives its 'from' (borrowed, NULL if none; may be NULL)
 * @return CX_OK; CX_ERR_NOT_FOUND when there is no valid delay
 * @thread any
 */
CX_API cx_status cx_message_get_delay(const cx_message *m, int64_t *sec,
				      uint32_t *usec, const char **from);

/**
 * Parses an XEP-0082 DateTime: CCYY-MM-DDThh:mm:ss[.s+](Z|(+|-)hh:mm).
 * The profile accepted: a four-digit year 0001..9999; month, day, hour,
 * minute and second within their calendar ranges; a second of 60 only for
 * a leap second (23:59:60 UTC on June 30 or December 31), which is read as
 * 23:59:59.999999; any number of fractional digits (kept to the
 * microsecond, truncated); a zone offset of at most 14:00; no lower-case
 * 'T' or 'Z', no spaces; at most 64 characters. The instant, converted to
 * UTC, must lie in 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z.
 * No arithmetic can overflow: every field is bounded before it is used.
 * @param sec receives seconds since the Unix epoch (may be negative)
 * @param usec receives the microseconds (may be NULL)
 * @param stamp the text (borrowed)
 * @return CX_OK; CX_ERR_INVALID (NULL stamp or sec, or not in the profile)
 * @thread any
 */
CX_API cx_status cx_delay_parse_stamp(int64_t *sec, uint32_t *usec,
				      const char *stamp, cx_error *err);

/**
 * Formats an instant as an XEP-0082 DateTime in UTC
 * ("2002-09-10T23:08:25Z", or with ".uuuuuu" when usec is not 0).
 * @param buf receives the text; 32 bytes are always enough
 * @return CX_OK; CX_ERR_INVALID (out of the years 0001..9999, usec >
 *         999999, buffer too small)
 * @thread any
 */
CX_API cx_status cx_delay_format_stamp(char *buf, size_t len, int64_t sec,
				       uint32_t usec, cx_error *err);

/**
 * A parsed-message handler. `m` is borrowed for the call. Runs on a pool
 * thread, like every stanza handler.
 */
typedef cx_handler_result (*cx_message_fn)(void *arg, cx_client *client,
					   const cx_message *m);

/**
 * Registers a handler for parsed messages: each <message/> is parsed and,
 * if it parses, handed to fn. A message that does not parse is passed over
 * (CX_HANDLER_PASS) with a log line in category "api".
 * @param arg_free runs once with arg when the registration ends
 * @param flags as for cx_client_on_message
 * @return the handler id (remove with cx_client_remove_handler), 0 when out
 *         of memory or fn is NULL
 * @thread any; may be called before or after connect
 */
CX_API cx_handler_id cx_message_on(cx_client *client, cx_message_fn fn,
				   void *arg, void (*arg_free)(void *),
				   unsigned flags);

CX_END_DECLS

#endif

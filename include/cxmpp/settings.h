/*
 * cxmpp/settings.h - the typed key/value store every part of the library
 * reads its parameters from.
 *
 * Each key has a name (the CX_SETTING_* constants below), a type (string,
 * integer, boolean or list of strings), a default and one line of
 * documentation; doc/settings.md is generated from the same table, and
 * cx_settings_info() walks it. Unknown keys and values of the wrong type are
 * errors (CX_ERR_SETTING), never silently ignored.
 *
 * Sources: typed setters; cx_settings_set_from_string() (text parsed by the
 * key's type, as in flags); cx_settings_load_env() (one environment variable
 * per key: CXMPP_ followed by the key in upper case with '.' and '-'
 * replaced by '_', e.g. tls.ca_file -> CXMPP_TLS_CA_FILE); and
 * cx_settings_load_file() ("key = value" lines).
 *
 * Text forms: booleans are true/false, yes/no, on/off or 1/0; integers are
 * decimal; lists are comma-separated items with surrounding whitespace
 * removed (so items cannot contain commas).
 *
 * Secrets (the password) are never logged, and cx_settings_dump() masks
 * them; the store wipes their memory when they are replaced or freed.
 *
 * Threading: a cx_settings is reference-counted and has a lock inside:
 * every function may be called from any thread at any time, on the same
 * object. Getters return copies, never pointers into the store, so a value
 * read stays valid whatever other threads set meanwhile.
 */
#ifndef CXMPP_SETTINGS_H
#define CXMPP_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/**
 * @name Keys
 * See doc/settings.md (or cx_settings_info()) for the type, default and
 * meaning of each.
 * @{
 */
#define CX_SETTING_JID "jid"
#define CX_SETTING_PASSWORD "password"
#define CX_SETTING_AUTHZID "authzid"
#define CX_SETTING_RESOURCE "resource"
#define CX_SETTING_HOST "host"
#define CX_SETTING_PORT "port"
#define CX_SETTING_TLS "tls"
#define CX_SETTING_TLS_CA_FILE "tls.ca_file"
#define CX_SETTING_TLS_CA_DIR "tls.ca_dir"
#define CX_SETTING_TLS_PINS "tls.pins"
#define CX_SETTING_TLS_INSECURE_SKIP_VERIFY "tls.insecure_skip_verify"
#define CX_SETTING_TLS_CERT_FILE "tls.cert_file"
#define CX_SETTING_TLS_KEY_FILE "tls.key_file"
#define CX_SETTING_TLS_MIN_VERSION "tls.min_version"
#define CX_SETTING_SASL_MECHANISMS "sasl.mechanisms"
#define CX_SETTING_SASL_INSECURE_ALLOW_PLAIN_AUTH "sasl.insecure_allow_plain_auth"
#define CX_SETTING_SASL_MAX_ITERATIONS "sasl.max_iterations"
#define CX_SETTING_LANG "lang"
#define CX_SETTING_TIMEOUT_MS "timeout_ms"
#define CX_SETTING_CONNECT_TIMEOUT_MS "connect_timeout_ms"
#define CX_SETTING_DNS_NAMESERVER "dns.nameserver"
#define CX_SETTING_DNS_TIMEOUT_MS "dns.timeout_ms"
#define CX_SETTING_POOL_SIZE "pool.size"
#define CX_SETTING_LIMITS_MAX_STANZA_BYTES "limits.max_stanza_bytes"
#define CX_SETTING_LIMITS_MAX_DEPTH "limits.max_depth"
#define CX_SETTING_LIMITS_MAX_ATTRS "limits.max_attrs"
#define CX_SETTING_LIMITS_MAX_CHILDREN "limits.max_children"
#define CX_SETTING_DISPATCH_QUEUE_MAX "dispatch.queue_max"
#define CX_SETTING_KEEPALIVE_INTERVAL_MS "keepalive.interval_ms"
#define CX_SETTING_PING_INTERVAL_MS "ping.interval_ms"
#define CX_SETTING_PING_TIMEOUT_MS "ping.timeout_ms"
#define CX_SETTING_PRESENCE_INITIAL "presence.initial"
#define CX_SETTING_LOG_LEVEL "log.level"
/** @} */

/** @name Values of CX_SETTING_TLS @{ */
#define CX_TLS_STARTTLS "starttls"                   /**< STARTTLS, required (default) */
#define CX_TLS_DIRECT "direct"                       /**< TLS from the first byte (XEP-0368) */
#define CX_TLS_INSECURE_NONE "insecure-none"         /**< never TLS: plaintext */
#define CX_TLS_INSECURE_OPTIONAL "insecure-optional" /**< STARTTLS if offered, else plaintext */
/** @} */

/** A settings store. */
typedef struct cx_settings cx_settings;

/** Type of a key's value. */
typedef enum cx_setting_type {
	CX_SETTING_TYPE_STRING = 1, /**< a UTF-8 string, or none (NULL) */
	CX_SETTING_TYPE_INT = 2,    /**< a 64-bit integer within [min, max] */
	CX_SETTING_TYPE_BOOL = 3,   /**< true or false */
	CX_SETTING_TYPE_LIST = 4    /**< a list of strings (may be empty) */
} cx_setting_type;

/** Description of one key, from the library's static table. */
typedef struct cx_setting_info {
	const char *key;           /**< "tls.ca_file" */
	cx_setting_type type;
	const char *default_text;  /**< default in text form; NULL: none */
	const char *doc;           /**< one line of documentation */
	const char *const *choices;/**< NULL, or the NULL-terminated list of
	                                allowed strings (string keys only) */
	int64_t min, max;          /**< allowed range (integer keys only) */
	bool secret;               /**< never logged; masked by dump */
} cx_setting_info;

/* ---- Lifetime ------------------------------------------------------- */

/**
 * Creates a store with every key at its default.
 * @param out receives the store (one reference, owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM, CX_ERR_SYSTEM (lock)
 * @thread any
 */
CX_API cx_status cx_settings_new(cx_settings **out, cx_error *err);

/**
 * Creates an independent store with the same values as s (a snapshot).
 * @param out receives the copy (owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM, CX_ERR_SYSTEM
 * @thread any
 */
CX_API cx_status cx_settings_copy(cx_settings **out, const cx_settings *s,
				  cx_error *err);

/** Adds a reference. @return s (may be NULL). @thread any (atomic) */
CX_API cx_settings *cx_settings_ref(cx_settings *s);

/** Drops a reference; the last frees the store. NULL is a no-op. @thread any */
CX_API void cx_settings_unref(cx_settings *s);

/* ---- Typed access ----------------------------------------------------- */

/**
 * @name Setters
 * Each checks that key exists and has the matching type, and that the value
 * is allowed (integer range, string choices, valid UTF-8 text, list items
 * non-empty and without commas); on failure the store is unchanged.
 * cx_settings_set_string with value NULL or "" and cx_settings_set_list
 * with n == 0 and items NULL restore the key's default; a list set to zero
 * items with items non-NULL is empty.
 * @param key a CX_SETTING_* name
 * @return CX_OK; CX_ERR_SETTING (unknown key, wrong type, value not
 *         allowed; err->message says which), CX_ERR_INVALID (s NULL),
 *         CX_ERR_NOMEM
 * @thread any
 * @{
 */
CX_API cx_status cx_settings_set_string(cx_settings *s, const char *key,
					const char *value, cx_error *err);
CX_API cx_status cx_settings_set_int(cx_settings *s, const char *key,
				     int64_t value, cx_error *err);
CX_API cx_status cx_settings_set_bool(cx_settings *s, const char *key,
				      bool value, cx_error *err);
CX_API cx_status cx_settings_set_list(cx_settings *s, const char *key,
				      const char *const *items, size_t n,
				      cx_error *err);
/** @} */

/**
 * @name Getters
 * Read the current value (the default if never set). Strings and lists come
 * back as copies owned by the caller.
 * @return CX_OK; CX_ERR_SETTING (unknown key or wrong type),
 *         CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 * @{
 */
/** *out: a copy to free with cx_free(), or NULL if the key has no value. */
CX_API cx_status cx_settings_get_string(char **out, const cx_settings *s,
					const char *key, cx_error *err);
CX_API cx_status cx_settings_get_int(int64_t *out, const cx_settings *s,
				     const char *key, cx_error *err);
CX_API cx_status cx_settings_get_bool(bool *out, const cx_settings *s,
				      const char *key, cx_error *err);
/**
 * *out: a NULL-terminated array of strings, allocated as one block: free it
 * (array and strings together) with a single cx_free(). *n (if n is not
 * NULL) receives the number of items. Never NULL on success: an empty list
 * is an array holding only NULL.
 */
CX_API cx_status cx_settings_get_list(char ***out, size_t *n,
				      const cx_settings *s, const char *key,
				      cx_error *err);
/** @} */

/**
 * Whether the key was set explicitly (as opposed to being at its default).
 * @param out receives the answer
 * @return CX_OK; CX_ERR_SETTING (unknown key), CX_ERR_INVALID
 * @thread any
 */
CX_API cx_status cx_settings_is_set(bool *out, const cx_settings *s,
				    const char *key, cx_error *err);

/**
 * Restores a key's default.
 * @return CX_OK; CX_ERR_SETTING (unknown key), CX_ERR_INVALID
 * @thread any
 */
CX_API cx_status cx_settings_unset(cx_settings *s, const char *key,
				   cx_error *err);

/* ---- Text forms and sources -------------------------------------------- */

/**
 * Sets a key from text, parsed according to its type (see the header's
 * paragraph on text forms). For string keys the text is taken as is, and
 * an empty text restores the default; for a list key an empty text is the
 * empty list.
 * @return CX_OK; CX_ERR_SETTING (unknown key, unparsable or disallowed
 *         value), CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_settings_set_from_string(cx_settings *s, const char *key,
					     const char *value, cx_error *err);

/**
 * Current value of any key in text form (the form set_from_string parses).
 * The secret is returned in clear: the caller asked for it by name.
 * @param out receives a copy to free with cx_free(), or NULL if the key has
 *        no value
 * @return CX_OK; CX_ERR_SETTING (unknown key), CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_settings_get_as_string(char **out, const cx_settings *s,
					   const char *key, cx_error *err);

/**
 * Name of the environment variable of a key: "CXMPP_" + the key in upper
 * case with '.' and '-' as '_' (tls.ca_file -> CXMPP_TLS_CA_FILE).
 * @param buf receives the name (NUL-terminated)
 * @param len size of buf
 * @return CX_OK; CX_ERR_SETTING (unknown key), CX_ERR_INVALID (buf too
 *         small)
 * @thread any
 */
CX_API cx_status cx_settings_env_name(char *buf, size_t len, const char *key);

/**
 * Sets every key whose environment variable is present (see
 * cx_settings_env_name). All or nothing: the values are parsed first, and
 * the store is changed only if every one of them is valid.
 * @return CX_OK; CX_ERR_SETTING (a bad value; err->message names the
 *         variable), CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any; reads the environment, so no thread may call setenv
 *         meanwhile (a libc rule)
 */
CX_API cx_status cx_settings_load_env(cx_settings *s, cx_error *err);

/**
 * Reads a configuration file of "key = value" lines. Blank lines and lines
 * whose first non-blank character is '#' are ignored; the value is the rest
 * of the line after '=' with surrounding whitespace removed (a '#' inside a
 * value is part of it). All or nothing, as cx_settings_load_env.
 * A file that sets the password must not be readable or writable by others
 * than its owner and group (refused with CX_ERR_SETTING); a password file
 * readable by its group is accepted with a warning in the log.
 * @param path the file
 * @return CX_OK; CX_ERR_SYSTEM (cannot open or read; err->sys_errno),
 *         CX_ERR_SETTING ("path:LINE: ..." in err->message for a line
 *         without '=', an unknown key or a bad value; or the permission
 *         check above), CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_settings_load_file(cx_settings *s, const char *path,
				       cx_error *err);

/**
 * Every key and its value, one "key = value" line each in table order, in
 * the format cx_settings_load_file reads; a secret that is set shows as
 * "********", a key without value as "key =".
 * @param out receives the text (owned: cx_free)
 * @return CX_OK; CX_ERR_INVALID, CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_settings_dump(char **out, const cx_settings *s,
				  cx_error *err);

/* ---- The table of keys -------------------------------------------------- */

/** Number of keys. @thread any */
CX_API size_t cx_settings_count(void);

/**
 * Description of the index-th key (0 .. cx_settings_count() - 1).
 * @return a pointer into a static table, or NULL past the end
 * @thread any
 */
CX_API const cx_setting_info *cx_settings_info(size_t index);

/**
 * Description of a key by name.
 * @return a pointer into a static table, or NULL for an unknown key
 * @thread any
 */
CX_API const cx_setting_info *cx_settings_lookup(const char *key);

CX_END_DECLS

#endif

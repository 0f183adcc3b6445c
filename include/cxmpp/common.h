/*
 * cxmpp/common.h - statuses, the error record, and the export macros.
 *
 * Threading: everything declared here is safe from any thread; a cx_error is
 * a plain caller-owned struct and is written only by the call it is passed to.
 */
#ifndef CXMPP_COMMON_H
#define CXMPP_COMMON_H

#include <stddef.h>

#if defined(_WIN32)
#define CX_API_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) && __GNUC__ >= 4
#define CX_API_EXPORT __attribute__((visibility("default")))
#else
#define CX_API_EXPORT
#endif

/** Marks every public declaration; the library is built -fvisibility=hidden. */
#define CX_API CX_API_EXPORT

#ifdef __cplusplus
#define CX_BEGIN_DECLS extern "C" {
#define CX_END_DECLS }
#else
#define CX_BEGIN_DECLS
#define CX_END_DECLS
#endif

#if defined(__GNUC__)
#define CX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CX_PRINTF(f, a)
#endif

CX_BEGIN_DECLS

/** Wait forever (use with care: only where the API says it is allowed). */
#define CX_TIMEOUT_INFINITE (-1)
/** Use the timeout configured in the settings (CX_SETTING_TIMEOUT_MS). */
#define CX_TIMEOUT_DEFAULT (-2)

/**
 * Result of every function that can fail: CX_OK (0) or a negative status.
 * cx_strerror() names each one; doc/errors.md lists them with a line each.
 * New statuses are only ever appended, so numeric values stay stable.
 */
typedef enum cx_status {
	CX_OK = 0,
	/* generic */
	CX_ERR_NOMEM = -1,          /**< out of memory */
	CX_ERR_INVALID = -2,        /**< invalid argument */
	CX_ERR_STATE = -3,          /**< call not allowed in the object's current state */
	CX_ERR_NOT_FOUND = -4,      /**< no such key, handler, item ... */
	CX_ERR_NOT_SUPPORTED = -5,  /**< the peer or this build lacks the feature */
	CX_ERR_SYSTEM = -6,         /**< an operating-system call failed (see errno) */
	CX_ERR_FULL = -7,           /**< a bounded queue is full */
	CX_ERR_SETTING = -8,        /**< unknown setting key or wrong value type */
	CX_ERR_JID = -9,            /**< malformed or invalid JID */
	/* XML input (RFC 6120 section 11) */
	CX_ERR_XML_MALFORMED = -20, /**< not well-formed XML */
	CX_ERR_XML_ENCODING = -21,  /**< invalid UTF-8 or a forbidden character */
	CX_ERR_XML_RESTRICTED = -22,/**< DOCTYPE, entity, PI or comment (restricted XML) */
	CX_ERR_XML_TOO_BIG = -23,   /**< a stanza exceeded the byte limit */
	CX_ERR_XML_TOO_DEEP = -24,  /**< elements nested beyond the depth limit */
	CX_ERR_XML_TOO_MANY = -25,  /**< too many attributes or child elements */
	CX_ERR_XML_NAMESPACE = -26, /**< bad namespace (undeclared prefix, wrong stream ns) */
	/* stream and stanzas */
	CX_ERR_PROTOCOL = -30,      /**< the peer broke the XMPP protocol */
	CX_ERR_STREAM_ERROR = -31,  /**< a stream error was received or sent (condition in cx_error) */
	CX_ERR_STANZA_ERROR = -32,  /**< the peer answered with a stanza error (condition in cx_error) */
	CX_ERR_CLOSED = -33,        /**< the stream was closed */
	CX_ERR_BIND = -34,          /**< resource binding (or session) failed */
	/* TLS */
	CX_ERR_TLS = -40,           /**< TLS handshake or record failure */
	CX_ERR_TLS_VERIFY = -41,    /**< the server certificate failed verification */
	CX_ERR_TLS_PIN = -42,       /**< the server key matched no pinned fingerprint */
	CX_ERR_TLS_REQUIRED = -43,  /**< TLS required but the server does not offer it */
	/* SASL */
	CX_ERR_AUTH = -50,              /**< not-authorized: wrong credentials */
	CX_ERR_AUTH_TEMPORARY = -51,    /**< temporary-auth-failure */
	CX_ERR_AUTH_MECHANISM = -52,    /**< no acceptable mechanism, or invalid-mechanism / mechanism-too-weak */
	CX_ERR_AUTH_DISABLED = -53,     /**< account-disabled */
	CX_ERR_AUTH_EXPIRED = -54,      /**< credentials-expired */
	CX_ERR_AUTH_ENCRYPTION = -55,   /**< encryption-required */
	CX_ERR_AUTH_SERVER = -56,       /**< the server failed to prove itself (bad SCRAM signature, bad nonce) */
	CX_ERR_AUTH_PROTOCOL = -57,     /**< malformed-request, incorrect-encoding, invalid-authzid, aborted */
	CX_ERR_AUTH_POLICY = -58,       /**< a SCRAM parameter beyond policy (iteration count, ...) */
	/* network */
	CX_ERR_DNS = -60,           /**< name lookup failed */
	CX_ERR_DNS_MALFORMED = -61, /**< malformed DNS answer */
	CX_ERR_CONNECT = -62,       /**< connection refused or unreachable */
	CX_ERR_IO = -63,            /**< read or write on the connection failed */
	/* calls */
	CX_ERR_TIMEOUT = -70,       /**< no answer before the deadline */
	CX_ERR_CANCELLED = -71,     /**< the call was cancelled */
	CX_ERR_DISCONNECTED = -72   /**< the connection ended while the call was pending */
} cx_status;

/**
 * Details of a failure, filled by the call it is passed to (may be NULL).
 * Fixed-size so that the failure path never allocates. Empty strings mean
 * "not applicable".
 */
typedef struct cx_error {
	cx_status status;        /**< same as the returned status */
	char condition[64];      /**< defined condition of a stanza error, stream
	                              error or SASL failure ("item-not-found") */
	char error_type[16];     /**< stanza error type ("cancel", "modify", ...) */
	char app_condition[64];  /**< application-specific condition element name */
	char app_ns[128];        /**< ... and its namespace */
	char text[256];          /**< <text/> of the error, if the peer sent one */
	int sys_errno;           /**< errno for CX_ERR_SYSTEM/IO/CONNECT, else 0 */
	unsigned long tls_code;  /**< OpenSSL error code for TLS failures, else 0 */
	char message[256];       /**< human-readable summary of the failure */
} cx_error;

/** Static initializer for a cx_error. */
#define CX_ERROR_INIT { CX_OK, "", "", "", "", "", 0, 0UL, "" }

/**
 * Name of a status: "CX_ERR_TIMEOUT: no answer before the deadline".
 * @return a static string, never NULL (unknown values get a generic text).
 * @thread any
 */
CX_API const char *cx_strerror(cx_status status);

/** Resets an error record to CX_ERROR_INIT. @thread any */
CX_API void cx_error_clear(cx_error *err);

/** Frees memory that the library allocated and handed to the caller. @thread any */
CX_API void cx_free(void *p);

CX_END_DECLS

#endif

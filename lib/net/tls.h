/*
 * TLS as a byte-pump over memory BIOs: the stream pushes ciphertext in and
 * pulls ciphertext out, and never owns a socket. This is what lets the
 * reader and writer threads share one TLS session safely: every call here
 * is made under the connection's lock, and the socket I/O happens outside it
 * (see threads/ design notes).
 *
 * The stream calls TLS only through cxi_tls_ops, so that tests can replace
 * OpenSSL with a pass-through "fake" layer (tests/unit/stream).
 */
#ifndef CXI_NET_TLS_H
#define CXI_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "cxmpp/common.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"

typedef struct cxi_tls cxi_tls; /* one session; the ops' own type */

typedef struct cxi_tls_ops {
	/* Starts a client session for `server_name` (SNI and the reference
	 * identity, RFC 6125). alpn: "xmpp-client" for direct TLS, else NULL.
	 * The ClientHello is pending output after this returns. */
	cxi_tls *(*client_new)(void *ctx, const char *server_name,
			       const char *alpn, const cxi_logger *log,
			       cx_error *err);
	void (*free)(cxi_tls *t);
	/* Ciphertext received from the peer. */
	cx_status (*push_input)(cxi_tls *t, const void *data, size_t len,
				cx_error *err);
	/* Advances the handshake and appends decrypted application data to
	 * plain_out. Fails with CX_ERR_TLS_VERIFY (certificate; err->tls_code
	 * is the X509_V_ERR_* value), CX_ERR_TLS_PIN, or CX_ERR_TLS;
	 * CX_ERR_CLOSED after the peer's close_notify (data that preceded it
	 * is still appended to plain_out). */
	cx_status (*read)(cxi_tls *t, cxi_buf *plain_out, cx_error *err);
	/* Encrypts application data (handshake must be done). */
	cx_status (*write)(cxi_tls *t, const void *data, size_t len,
			   cx_error *err);
	/* Sends close_notify. */
	cx_status (*shutdown)(cxi_tls *t, cx_error *err);
	/* Moves pending ciphertext to cipher_out. */
	cx_status (*pull_output)(cxi_tls *t, cxi_buf *cipher_out);
	bool (*handshake_done)(const cxi_tls *t);
	/* Channel-binding data for "tls-exporter" (RFC 9266) or "tls-unique"
	 * (RFC 5929), appended to out; CX_ERR_NOT_SUPPORTED if the type cannot
	 * be had on this session (tls-exporter under TLS 1.2), CX_ERR_STATE
	 * before the handshake is done, CX_ERR_INVALID for an unknown type. */
	cx_status (*channel_binding)(cxi_tls *t, const char *type,
				     cxi_buf *out);
	/* Negotiated protocol as 0x0303 (TLS 1.2), 0x0304 (TLS 1.3), 0 before. */
	int (*version)(const cxi_tls *t);
} cxi_tls_ops;

/* Configuration of the OpenSSL implementation: one context per distinct
 * configuration, trust store loaded once, shared by many sessions. */
typedef struct cxi_tls_config {
	const char *ca_file;   /* PEM bundle; NULL with ca_dir NULL: system store */
	const char *ca_dir;    /* hashed directory (c_rehash) */
	const char *const *pins; /* "sha256/BASE64" or hex SHA-256 of the SPKI */
	size_t npins;          /* with pins, the chain need not verify */
	bool insecure_skip_verify; /* accept any certificate (tests only!) */
	const char *cert_file; /* client certificate (SASL EXTERNAL), or NULL */
	const char *key_file;
	int min_version;       /* 0x0303 (default) or 0x0304 */
} cxi_tls_config;

typedef struct cxi_tls_ctx cxi_tls_ctx;

/* The OpenSSL implementation; its ctx argument is a cxi_tls_ctx. */
extern const cxi_tls_ops cxi_tls_openssl_ops;

cx_status cxi_tls_ctx_new(cxi_tls_ctx **out, const cxi_tls_config *cfg,
			  cx_error *err);
void cxi_tls_ctx_ref(cxi_tls_ctx *ctx);
void cxi_tls_ctx_unref(cxi_tls_ctx *ctx);

#endif

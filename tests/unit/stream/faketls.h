/*
 * A pass-through stand-in for the TLS engine, for the stream tests: what the
 * stream "encrypts" goes out unchanged, what the peer sends comes in
 * unchanged. It implements cxi_tls_ops so that the stream cannot tell.
 *
 * Handshake: with server_hello NULL it completes inside client_new(); else
 * client_new() queues CXT_FAKETLS_CLIENT_HELLO and the handshake completes
 * when the peer's bytes start with server_hello (the rest is application
 * data). Channel binding returns fixed bytes.
 */
#ifndef CXT_FAKETLS_H
#define CXT_FAKETLS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/net/tls.h"

#define CXT_FAKETLS_CLIENT_HELLO "[fake ClientHello]"
#define CXT_FAKETLS_CB_UNIQUE "fake-tls-unique-0123"
#define CXT_FAKETLS_CB_EXPORTER "fake-tls-exporter-0123456789abcde"

typedef struct cxt_faketls_ctx {
	/* settings */
	const char *server_hello; /* NULL: instant handshake */
	int version;              /* 0: 0x0304 */
	bool no_unique;           /* tls-unique not available */
	bool no_exporter;         /* tls-exporter not available */
	bool fail_handshake;      /* read fails with CX_ERR_TLS_VERIFY */
	bool fail_new;            /* client_new fails with CX_ERR_TLS */
	bool peer_close;          /* read reports close_notify (CX_ERR_CLOSED) */
	bool fail_write;          /* write fails with CX_ERR_TLS */
	/* what happened */
	int sessions;             /* client_new calls */
	int freed;
	char server_name[256];
	char alpn[32];            /* "" when none */
	size_t written;           /* bytes through write() */
	size_t read_plain;        /* bytes handed out by read() */
	bool shutdown;            /* close_notify sent */
	char cb_asked[32];        /* last channel-binding type asked for */
} cxt_faketls_ctx;

extern const cxi_tls_ops cxt_faketls_ops;

#endif

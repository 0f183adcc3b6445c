/*
 * The client stream state machine (RFC 6120): bytes in, events and bytes
 * out. It never owns a socket, a thread or a timer. The reader thread feeds
 * it what the transport read; the writer thread drains cxi_stream_output().
 * The caller serializes access (one lock per connection); nothing here
 * blocks, so that lock is never held across I/O.
 *
 *   start ─► [direct TLS handshake] ─► header ─► features
 *     ─► STARTTLS ─► TLS handshake ─► restart ─► features
 *     ─► SASL ─► restart ─► features ─► bind [─► session] ─► READY
 *     ─► stanzas both ways ─► close handshake ─► CLOSED
 *
 * Any failure ends in the FAILED state with one CXI_STREAM_EV_ERROR event;
 * where the protocol asks for it, a stream error is queued for the peer
 * first. Stanzas that arrive before READY are never delivered.
 */
#ifndef CXI_STREAM_STREAM_H
#define CXI_STREAM_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/core/xml.h"
#include "lib/net/tls.h"

typedef enum cxi_tls_mode {
	CXI_TLS_STARTTLS = 0,   /* require STARTTLS (default) */
	CXI_TLS_DIRECT,         /* TLS from the first byte (XEP-0368) */
	CXI_TLS_INSECURE_NONE,  /* plaintext: only on explicit request */
	CXI_TLS_INSECURE_OPTIONAL /* STARTTLS if offered, else plaintext */
} cxi_tls_mode;

typedef enum cxi_stream_state {
	CXI_STREAM_IDLE = 0,
	CXI_STREAM_TLS_HANDSHAKE,
	CXI_STREAM_OPENING,     /* header sent, waiting for header/features */
	CXI_STREAM_STARTTLS,    /* <starttls/> sent, waiting for <proceed/> */
	CXI_STREAM_AUTHENTICATING,
	CXI_STREAM_BINDING,
	CXI_STREAM_SESSION,
	CXI_STREAM_READY,
	CXI_STREAM_CLOSING,     /* we sent </stream:stream> */
	CXI_STREAM_CLOSED,
	CXI_STREAM_FAILED
} cxi_stream_state;

typedef enum cxi_stream_event_type {
	CXI_STREAM_EV_TLS_DONE = 1, /* TLS established (info) */
	CXI_STREAM_EV_AUTHENTICATED,/* SASL success verified (info) */
	CXI_STREAM_EV_FEATURES,     /* post-auth features element (for XEP-0198) */
	CXI_STREAM_EV_READY,        /* bound; ev->jid is the full JID */
	CXI_STREAM_EV_STANZA,       /* ev->stanza: ownership passes to the callee */
	CXI_STREAM_EV_CLOSED,       /* closing handshake complete / peer closed */
	CXI_STREAM_EV_ERROR         /* fatal; ev->error says why. Last event. */
} cxi_stream_event_type;

typedef struct cxi_stream_event {
	cxi_stream_event_type type;
	const char *jid;        /* READY: bound full JID (borrowed) */
	xmlNodePtr stanza;      /* STANZA: root of its own xmlDoc, now the callee's;
	                           FEATURES: borrowed for the call */
	const cx_error *error;  /* ERROR (borrowed) */
} cxi_stream_event;

typedef void (*cxi_stream_event_fn)(void *arg, const cxi_stream_event *ev);

typedef struct cxi_stream_config {
	const char *jid;        /* account JID (bare or full); the resource, if
	                           any, is requested at bind */
	const char *password;
	const char *authzid;    /* NULL: none */
	cxi_tls_mode tls_mode;
	const cxi_tls_ops *tls_ops; /* NULL: cxi_tls_openssl_ops */
	void *tls_ctx;          /* the ops' context (cxi_tls_ctx * for OpenSSL) */
	unsigned sasl_allowed;  /* CXI_SASL_* bits; 0: CXI_SASL_DEFAULT_MECHS */
	bool insecure_allow_plain_auth; /* with CXI_TLS_INSECURE_*: PLAIN in clear */
	unsigned sasl_max_iterations;
	const char *lang;       /* xml:lang of our header, NULL: "en" */
	cxi_xml_limits limits;  /* zeroed fields take the defaults */
	const cxi_logger *log;  /* NULL: process default */
	cxi_stream_event_fn on_event;
	void *arg;
} cxi_stream_config;

typedef struct cxi_stream cxi_stream;

/* Copies everything it needs from cfg (strings included). */
cx_status cxi_stream_new(cxi_stream **out, const cxi_stream_config *cfg,
			 cx_error *err);
void cxi_stream_free(cxi_stream *s);
cxi_stream_state cxi_stream_get_state(const cxi_stream *s);
/* The 'id' of the server's current stream header, or NULL before it came
 * (or if the server sent none). Borrowed until the next restart or free. */
const char *cxi_stream_get_id(const cxi_stream *s);
/* The SASL mechanism chosen for this stream ("SCRAM-SHA-1-PLUS"), or NULL
 * before authentication started. Borrowed until free. */
const char *cxi_stream_get_mechanism(const cxi_stream *s);

/* Queues the first bytes (header, or ClientHello for direct TLS). */
cx_status cxi_stream_start(cxi_stream *s, cx_error *err);
/* Bytes read from the transport. Events are delivered from inside. Returns
 * the failure status (also delivered as CXI_STREAM_EV_ERROR) or CX_OK.
 * Once FAILED, every feed returns the stored failure again (copied to err);
 * once CLOSED, CX_ERR_STATE. Not from inside an event callback (CX_ERR_STATE),
 * and cxi_stream_free() must not be called from one either.
 * Raw XML is logged in the "in"/"out" categories at CX_LOG_TRACE, with SASL
 * payloads replaced by [hidden]. */
cx_status cxi_stream_feed(cxi_stream *s, const void *data, size_t len,
			  cx_error *err);
/* Queues a stanza (READY only; else CX_ERR_STATE). Serialized here. */
cx_status cxi_stream_send(cxi_stream *s, const xmlNode *stanza, cx_error *err);
/* Queues already-serialized stanza bytes (READY only): the fast path, where
 * the caller serialized outside the lock. */
cx_status cxi_stream_send_raw(cxi_stream *s, const void *xml, size_t len,
			      cx_error *err);
/* Moves everything pending for the transport (after TLS) to out. */
cx_status cxi_stream_output(cxi_stream *s, cxi_buf *out);
bool cxi_stream_has_output(const cxi_stream *s);
/* Starts the closing handshake (sends </stream:stream>): from OPENING to
 * READY (also to abort a negotiation); else CX_ERR_STATE. Stanzas that the
 * peer sends before its own </stream:stream> are still delivered. */
cx_status cxi_stream_close(cxi_stream *s, cx_error *err);
/* Sends a stream error with `condition` (and optional text), then closes;
 * the stream ends FAILED (ERROR event, CX_ERR_STREAM_ERROR). condition must
 * be one of RFC 6120 4.9.3 (else CX_ERR_INVALID); CX_ERR_STATE once ended. */
cx_status cxi_stream_fail(cxi_stream *s, const char *condition,
			  const char *text, cx_error *err);
/* The transport reached EOF or failed: ends the stream (ERROR event with
 * CX_ERR_DISCONNECTED unless it was already closed; in CLOSING, after our
 * </stream:stream>, EOF completes the close with a CLOSED event). */
void cxi_stream_eof(cxi_stream *s, cx_status why);

#endif

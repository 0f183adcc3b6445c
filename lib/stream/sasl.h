/*
 * SASL client over GNU SASL (RFC 6120 section 6). Sans-I/O: the stream
 * passes the server's base64 payloads in and sends what comes out.
 *
 * Mechanism choice: the strongest mechanism that the server offers and the
 * configuration allows, in this order: SCRAM-SHA-256-PLUS, SCRAM-SHA-256,
 * SCRAM-SHA-1-PLUS, SCRAM-SHA-1, PLAIN, EXTERNAL, ANONYMOUS (EXTERNAL and
 * ANONYMOUS only when explicitly allowed). -PLUS only when channel-binding
 * data is supplied. PLAIN only over TLS unless both insecure switches are
 * set. Secrets never reach the logger.
 */
#ifndef CXI_STREAM_SASL_H
#define CXI_STREAM_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "cxmpp/common.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"

/* Mechanism bits, strongest first. */
enum {
	CXI_SASL_SCRAM_SHA_256_PLUS = 1u << 0,
	CXI_SASL_SCRAM_SHA_256 = 1u << 1,
	CXI_SASL_SCRAM_SHA_1_PLUS = 1u << 2,
	CXI_SASL_SCRAM_SHA_1 = 1u << 3,
	CXI_SASL_PLAIN = 1u << 4,
	CXI_SASL_EXTERNAL = 1u << 5,
	CXI_SASL_ANONYMOUS = 1u << 6
};
/* The default allowed set: every SCRAM variant and PLAIN. */
#define CXI_SASL_DEFAULT_MECHS 0x1fu

typedef struct cxi_sasl_config {
	const char *authcid;   /* username: the JID's localpart */
	const char *password;  /* never logged */
	const char *authzid;   /* NULL: none */
	const char *service;   /* "xmpp" */
	const char *hostname;  /* the JID's domain */
	unsigned allowed;      /* CXI_SASL_* bits */
	bool tls_active;       /* the stream is encrypted */
	/* PLAIN without TLS needs both (deliberately clumsy). */
	bool insecure_allow_plaintext;
	bool insecure_allow_plain_auth;
	unsigned max_iterations; /* SCRAM i= cap; 0: default 100000 */
	/* Channel binding: type ("tls-exporter"/"tls-unique") and data, or
	 * NULL/0 when none is available (then no -PLUS mechanism is chosen). */
	const char *cb_type;
	const void *cb_data;
	size_t cb_len;
	const cxi_logger *log;
} cxi_sasl_config;

typedef struct cxi_sasl cxi_sasl;

/* Mechanism name <-> bit ("SCRAM-SHA-1" -> CXI_SASL_SCRAM_SHA_1; 0 if unknown). */
unsigned cxi_sasl_mech_bit(const char *name);
const char *cxi_sasl_mech_name(unsigned bit);

/*
 * Chooses a mechanism from the offered names and starts a client session.
 * Fails with CX_ERR_AUTH_MECHANISM if none is acceptable (message says why:
 * e.g. "PLAIN refused without TLS").
 * cfg and everything it points to are only read during the call (the
 * session keeps its own copies). A session is driven by one thread at a
 * time; different sessions may run in parallel.
 */
cx_status cxi_sasl_new(cxi_sasl **out, const cxi_sasl_config *cfg,
		       const char *const *offered, size_t noffered,
		       cx_error *err);
void cxi_sasl_free(cxi_sasl *s);
const char *cxi_sasl_mechanism(const cxi_sasl *s);
/* The initial response, base64 ("=" for an empty one) appended to out. */
cx_status cxi_sasl_initial(cxi_sasl *s, cxi_buf *out, cx_error *err);
/* Answers a <challenge/>: base64 in (may be empty), base64 out.
 * CX_ERR_AUTH_PROTOCOL: not base64 (condition "incorrect-encoding"), a
 * malformed or unexpected challenge; CX_ERR_AUTH_POLICY: SCRAM iteration
 * count outside [4096, max_iterations]; CX_ERR_AUTH_SERVER: bad nonce or
 * server signature. After a failure every call gives CX_ERR_STATE. */
cx_status cxi_sasl_step(cxi_sasl *s, const char *challenge_b64, cxi_buf *out,
			cx_error *err);
/* On <success/>: verifies the additional data (SCRAM server signature).
 * CX_ERR_AUTH_SERVER when the server failed to prove itself (for SCRAM,
 * also when the data is missing and no challenge carried it);
 * CX_ERR_AUTH for a SCRAM "e=" server error; CX_ERR_AUTH_PROTOCOL when
 * the data is not base64. */
cx_status cxi_sasl_success(cxi_sasl *s, const char *data_b64, cx_error *err);
/* Maps a <failure/> condition to a status (not-authorized -> CX_ERR_AUTH...). */
cx_status cxi_sasl_failure_status(const char *condition);

#endif

/*
 * Unpredictable identifiers for stanza ids (and anything else that must not
 * be guessed: an attacker who can predict an iq id can spoof its reply).
 */
#ifndef CXI_CORE_ID_H
#define CXI_CORE_ID_H

#include <stddef.h>

#include "cxmpp/common.h"

/* Random bytes behind each id: 128 bits (at least 96 are required). */
#define CXI_ID_RANDOM_BYTES 16
/* Characters of an id (base64url of 16 bytes, no padding) ... */
#define CXI_ID_CHARS 22
/* ... and the buffer size that holds one with its NUL. */
#define CXI_ID_SIZE (CXI_ID_CHARS + 1)

/*
 * Writes a fresh id into out: CXI_ID_CHARS characters from the URL-safe
 * base64 alphabet (A-Z a-z 0-9 - _), NUL-terminated, drawn from the OpenSSL
 * CSPRNG. Returns CX_ERR_INVALID if len < CXI_ID_SIZE (out untouched),
 * CX_ERR_SYSTEM if the random generator fails (out is then "").
 * Thread-safe.
 */
cx_status cxi_id_generate(char *out, size_t len);

#endif

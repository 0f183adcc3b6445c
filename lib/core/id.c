/*
 * Ids come from RAND_bytes rather than a counter: the reply path matches an
 * iq by id (and sender), so ids must not be predictable by other entities,
 * and they must not repeat across restarts or connections. 128 random bits
 * make a collision negligible without any shared state, so no lock.
 */
#include "config.h"

#include "lib/core/id.h"

#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

cx_status
cxi_id_generate(char *out, size_t len)
{
	uint8_t raw[CXI_ID_RANDOM_BYTES + 2];
	size_t i, o = 0;

	if (out == NULL || len < CXI_ID_SIZE)
		return CX_ERR_INVALID;
	memset(raw, 0, sizeof(raw));
	if (RAND_bytes(raw, CXI_ID_RANDOM_BYTES) != 1) {
		out[0] = '\0';
		return CX_ERR_SYSTEM;
	}
	/* 16 bytes = 5 groups of 3 + 1 byte: 20 + 2 characters. The two zero
	 * pad bytes in raw let the last group use the same code. */
	for (i = 0; i < CXI_ID_RANDOM_BYTES; i += 3) {
		uint32_t v = ((uint32_t)raw[i] << 16) |
			     ((uint32_t)raw[i + 1] << 8) | raw[i + 2];
		out[o++] = b64url[(v >> 18) & 63];
		out[o++] = b64url[(v >> 12) & 63];
		if (o < CXI_ID_CHARS)
			out[o++] = b64url[(v >> 6) & 63];
		if (o < CXI_ID_CHARS)
			out[o++] = b64url[v & 63];
	}
	out[CXI_ID_CHARS] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return CX_OK;
}

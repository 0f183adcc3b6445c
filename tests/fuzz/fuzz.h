/*
 * Shared by the fuzz targets (tests/fuzz/README.md). Each target defines
 * LLVMFuzzerTestOneInput; it is linked either with libFuzzer (make fuzz,
 * clang) or with driver.c (make check, any compiler), which replays the
 * corpus and the kept crashes.
 *
 * A target checks its invariants with CXF_CHECK: a violation prints what
 * went wrong and aborts, which libFuzzer records as a crash and which fails
 * the replay test.
 */
#ifndef CXF_FUZZ_H
#define CXF_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CXF_CHECK(cond, ...)                                                \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: invariant violated: %s: ",  \
				__FILE__, __LINE__, #cond);                 \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
			abort();                                            \
		}                                                           \
	} while (0)

/* The bytes of a buffer, never a NULL pointer (cxi_buf_head() of an
 * empty, never-allocated buffer computes NULL + 0). */
static inline const uint8_t *
cxf_head(const cxi_buf *b)
{
	return b->data != NULL ? cxi_buf_head(b) : (const uint8_t *)"";
}

/* Fuzzer-chosen split points: a small generator seeded from input bytes,
 * so that the same input always splits the same way. */
typedef struct cxf_split {
	uint32_t state;
	unsigned max;   /* largest piece */
} cxf_split;

static inline void
cxf_split_init(cxf_split *sp, uint32_t seed, unsigned max)
{
	sp->state = seed * 2654435761u + 0x9e3779b9u;
	if (sp->state == 0)
		sp->state = 1;
	sp->max = max ? max : 1;
}

/* The size of the next piece: 1 .. sp->max, never more than left. */
static inline size_t
cxf_split_next(cxf_split *sp, size_t left)
{
	uint32_t x = sp->state;
	size_t n;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	sp->state = x;
	n = 1 + x % sp->max;
	return n < left ? n : left;
}

#endif

/* A growable byte buffer with a read offset (consume from the front). */
#ifndef CXI_CORE_BUF_H
#define CXI_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "cxmpp/common.h"

typedef struct cxi_buf {
	uint8_t *data; /* data[off .. len) is the content */
	size_t off;
	size_t len;
	size_t cap;
} cxi_buf;

#define CXI_BUF_INIT { NULL, 0, 0, 0 }

void cxi_buf_init(cxi_buf *b);
void cxi_buf_free(cxi_buf *b);                 /* releases memory, leaves it empty */
void cxi_buf_reset(cxi_buf *b);                /* empties, keeps capacity */
cx_status cxi_buf_reserve(cxi_buf *b, size_t extra); /* room for extra more bytes */
cx_status cxi_buf_append(cxi_buf *b, const void *p, size_t n);
cx_status cxi_buf_append_str(cxi_buf *b, const char *s);
cx_status cxi_buf_printf(cxi_buf *b, const char *fmt, ...) CX_PRINTF(2, 3);
/* NULL for a buffer that never held anything (no NULL + 0 arithmetic). */
static inline const uint8_t *cxi_buf_head(const cxi_buf *b) { return b->data ? b->data + b->off : NULL; }
static inline size_t cxi_buf_size(const cxi_buf *b) { return b->len - b->off; }
void cxi_buf_consume(cxi_buf *b, size_t n);    /* drops n bytes from the front */
/* Moves all of src's content to the end of dst; src ends empty. */
cx_status cxi_buf_move(cxi_buf *dst, cxi_buf *src);
/* NUL-terminated copy of the content (malloc), or NULL. */
char *cxi_buf_strdup(const cxi_buf *b);

#endif

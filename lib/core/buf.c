#include "config.h"

#include "lib/core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cxi_buf_init(cxi_buf *b)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

void
cxi_buf_free(cxi_buf *b)
{
	free(b->data);
	cxi_buf_init(b);
}

void
cxi_buf_reset(cxi_buf *b)
{
	b->off = b->len = 0;
}

cx_status
cxi_buf_reserve(cxi_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (b->off > 0 && b->cap - b->len < extra) {
		/* compact before growing */
		memmove(b->data, b->data + b->off, b->len - b->off);
		b->len -= b->off;
		b->off = 0;
	}
	if (extra > SIZE_MAX - b->len)
		return CX_ERR_NOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return CX_OK;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (p == NULL)
		return CX_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return CX_OK;
}

cx_status
cxi_buf_append(cxi_buf *b, const void *p, size_t n)
{
	cx_status st;

	if (n == 0)
		return CX_OK;
	if ((st = cxi_buf_reserve(b, n)) != CX_OK)
		return st;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return CX_OK;
}

cx_status
cxi_buf_append_str(cxi_buf *b, const char *s)
{
	return cxi_buf_append(b, s, strlen(s));
}

cx_status
cxi_buf_printf(cxi_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	cx_status st;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CX_ERR_INVALID;
	if ((st = cxi_buf_reserve(b, (size_t)n + 1)) != CX_OK)
		return st;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return CX_OK;
}

void
cxi_buf_consume(cxi_buf *b, size_t n)
{
	if (n >= b->len - b->off) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
}

cx_status
cxi_buf_move(cxi_buf *dst, cxi_buf *src)
{
	cx_status st;

	if (dst->len == dst->off && dst->off == 0 && src->off == 0) {
		/* dst empty: swap storage, no copy */
		cxi_buf tmp = *dst;
		*dst = *src;
		*src = tmp;
		cxi_buf_reset(src);
		return CX_OK;
	}
	st = cxi_buf_append(dst, cxi_buf_head(src), cxi_buf_size(src));
	if (st == CX_OK)
		cxi_buf_reset(src);
	return st;
}

char *
cxi_buf_strdup(const cxi_buf *b)
{
	size_t n = cxi_buf_size(b);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, cxi_buf_head(b), n);
	s[n] = '\0';
	return s;
}

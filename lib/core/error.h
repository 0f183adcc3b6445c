/* Internal helpers to fill a cx_error. All tolerate err == NULL. */
#ifndef CXI_CORE_ERROR_H
#define CXI_CORE_ERROR_H

#include "cxmpp/common.h"

/* Sets err->status and err->message (printf-style); returns status. */
cx_status cxi_error_set(cx_error *err, cx_status status, const char *fmt, ...)
	CX_PRINTF(3, 4);
/* As cxi_error_set, also records errno value `errnum` and appends strerror. */
cx_status cxi_error_set_errno(cx_error *err, cx_status status, int errnum,
			      const char *fmt, ...) CX_PRINTF(4, 5);
/* Sets a condition (stanza/stream/SASL) on an already-set error. */
void cxi_error_set_condition(cx_error *err, const char *condition,
			     const char *type, const char *text);
/* Copies src into dst (either may be NULL). */
void cxi_error_copy(cx_error *dst, const cx_error *src);
/* Thread-safe strerror: returns a string describing errnum (maybe in buf). */
const char *cxi_errno_str(int errnum, char *buf, size_t len);
/* Bounded string copy that always terminates dst (dstlen > 0). */
void cxi_strlcpy(char *dst, const char *src, size_t dstlen);

#endif

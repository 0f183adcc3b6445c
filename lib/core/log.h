/*
 * Internal logging. A cxi_logger is a (callback, arg, max level) triple that
 * an object carries; a NULL logger or a logger with fn == NULL falls back to
 * the process default (cx_log_set_default) and then to stderr.
 *
 * Always test cxi_log_enabled() before building an expensive message (a
 * serialized stanza): logging that is off must cost nothing.
 */
#ifndef CXI_CORE_LOG_H
#define CXI_CORE_LOG_H

#include <stdbool.h>

#include "cxmpp/log.h"

typedef struct cxi_logger {
	cx_log_fn fn;
	void *arg;
	cx_log_level max_level;
} cxi_logger;

bool cxi_log_enabled(const cxi_logger *lg, cx_log_level level);
void cxi_log(const cxi_logger *lg, cx_log_level level, const char *category,
	     const char *fmt, ...) CX_PRINTF(4, 5);
/* Logs a message of known length that is not a format (raw XML). */
void cxi_log_raw(const cxi_logger *lg, cx_log_level level,
		 const char *category, const char *msg, size_t len);

#endif

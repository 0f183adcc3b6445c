/*
 * Logging. The default sink is stderr for warnings and errors; CXMPP_DEBUG=1
 * raises it to TRACE. The process default (fn, arg, level) is read on every
 * call, so it is kept behind a mutex: cheap, and logging is not a hot path
 * once the level check (done first, lock-free on the logger's own fields)
 * has said yes.
 */
#include "config.h"

#include "lib/core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static cx_log_fn default_fn;
static void *default_arg;
static int default_level = -1; /* -1: not yet decided */

static int
env_level(void)
{
	const char *e = getenv("CXMPP_DEBUG");

	if (e != NULL && *e != '\0' && strcmp(e, "0") != 0)
		return CX_LOG_TRACE;
	return CX_LOG_WARN;
}

void
cx_log_set_default(cx_log_fn fn, void *arg, cx_log_level max_level)
{
	pthread_mutex_lock(&default_lock);
	default_fn = fn;
	default_arg = arg;
	default_level = fn ? (int)max_level : env_level();
	pthread_mutex_unlock(&default_lock);
}

const char *
cx_log_level_name(cx_log_level level)
{
	switch (level) {
	case CX_LOG_ERROR: return "error";
	case CX_LOG_WARN: return "warn";
	case CX_LOG_INFO: return "info";
	case CX_LOG_DEBUG: return "debug";
	case CX_LOG_TRACE: return "trace";
	}
	return "?";
}

static void
get_sink(const cxi_logger *lg, cx_log_fn *fn, void **arg, int *level)
{
	if (lg != NULL && lg->fn != NULL) {
		*fn = lg->fn;
		*arg = lg->arg;
		*level = (int)lg->max_level;
		return;
	}
	pthread_mutex_lock(&default_lock);
	if (default_level < 0)
		default_level = env_level();
	*fn = default_fn;
	*arg = default_arg;
	*level = default_level;
	pthread_mutex_unlock(&default_lock);
}

bool
cxi_log_enabled(const cxi_logger *lg, cx_log_level level)
{
	cx_log_fn fn;
	void *arg;
	int max;

	get_sink(lg, &fn, &arg, &max);
	return (int)level <= max;
}

static void
emit(cx_log_fn fn, void *arg, cx_log_level level, const char *category,
     const char *msg)
{
	if (fn != NULL) {
		fn(arg, level, category, msg);
		return;
	}
	/* One fprintf per line keeps concurrent lines from interleaving. */
	fprintf(stderr, "cxmpp %s [%s] %s\n", cx_log_level_name(level),
		category, msg);
}

void
cxi_log(const cxi_logger *lg, cx_log_level level, const char *category,
	const char *fmt, ...)
{
	cx_log_fn fn;
	void *arg;
	int max;
	char small[512], *msg = small;
	va_list ap;
	int n;

	get_sink(lg, &fn, &arg, &max);
	if ((int)level > max)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg == NULL) {
			msg = small; /* truncated is better than nothing */
		} else {
			va_start(ap, fmt);
			vsnprintf(msg, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	emit(fn, arg, level, category, msg);
	if (msg != small)
		free(msg);
}

void
cxi_log_raw(const cxi_logger *lg, cx_log_level level, const char *category,
	    const char *msg, size_t len)
{
	cx_log_fn fn;
	void *arg;
	int max;
	char *copy;

	get_sink(lg, &fn, &arg, &max);
	if ((int)level > max)
		return;
	copy = malloc(len + 1);
	if (copy == NULL)
		return;
	memcpy(copy, msg, len);
	copy[len] = '\0';
	emit(fn, arg, level, category, copy);
	free(copy);
}

/*
 * Error records and status names. The failure path must not allocate, so
 * everything here writes into the fixed buffers of cx_error.
 */
#include "config.h"

#include "lib/core/error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cxi_strlcpy(char *dst, const char *src, size_t dstlen)
{
	size_t n;

	if (dstlen == 0)
		return;
	if (src == NULL)
		src = "";
	n = strlen(src);
	if (n >= dstlen)
		n = dstlen - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *
cxi_errno_str(int errnum, char *buf, size_t len)
{
	buf[0] = '\0';
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(errnum, buf, len);
#else
	if (strerror_r(errnum, buf, len) != 0)
		snprintf(buf, len, "errno %d", errnum);
	return buf;
#endif
}

void
cx_error_clear(cx_error *err)
{
	if (err == NULL)
		return;
	memset(err, 0, sizeof(*err));
	err->status = CX_OK;
}

static void
vset(cx_error *err, cx_status status, const char *fmt, va_list ap)
{
	cx_error_clear(err);
	err->status = status;
	if (fmt != NULL)
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	else
		cxi_strlcpy(err->message, cx_strerror(status), sizeof(err->message));
}

cx_status
cxi_error_set(cx_error *err, cx_status status, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return status;
	va_start(ap, fmt);
	vset(err, status, fmt, ap);
	va_end(ap);
	return status;
}

cx_status
cxi_error_set_errno(cx_error *err, cx_status status, int errnum,
		    const char *fmt, ...)
{
	va_list ap;
	char sys[128];
	const char *desc;
	size_t len;

	if (err == NULL)
		return status;
	va_start(ap, fmt);
	vset(err, status, fmt, ap);
	va_end(ap);
	err->sys_errno = errnum;
	/* GNU strerror_r may return a static string and leave sys alone. */
	desc = cxi_errno_str(errnum, sys, sizeof(sys));
	len = strlen(err->message);
	if (len + 3 < sizeof(err->message))
		snprintf(err->message + len, sizeof(err->message) - len, ": %s",
			 desc);
	return status;
}

void
cxi_error_set_condition(cx_error *err, const char *condition,
			const char *type, const char *text)
{
	if (err == NULL)
		return;
	cxi_strlcpy(err->condition, condition, sizeof(err->condition));
	cxi_strlcpy(err->error_type, type, sizeof(err->error_type));
	cxi_strlcpy(err->text, text, sizeof(err->text));
}

void
cxi_error_copy(cx_error *dst, const cx_error *src)
{
	if (dst == NULL)
		return;
	if (src == NULL) {
		cx_error_clear(dst);
		return;
	}
	memcpy(dst, src, sizeof(*dst));
}

void
cx_free(void *p)
{
	free(p);
}

const char *
cx_strerror(cx_status status)
{
	switch (status) {
	case CX_OK: return "CX_OK: success";
	case CX_ERR_NOMEM: return "CX_ERR_NOMEM: out of memory";
	case CX_ERR_INVALID: return "CX_ERR_INVALID: invalid argument";
	case CX_ERR_STATE: return "CX_ERR_STATE: not allowed in the current state";
	case CX_ERR_NOT_FOUND: return "CX_ERR_NOT_FOUND: not found";
	case CX_ERR_NOT_SUPPORTED: return "CX_ERR_NOT_SUPPORTED: not supported by the peer or this build";
	case CX_ERR_SYSTEM: return "CX_ERR_SYSTEM: operating-system call failed";
	case CX_ERR_FULL: return "CX_ERR_FULL: queue full";
	case CX_ERR_SETTING: return "CX_ERR_SETTING: unknown setting or wrong value type";
	case CX_ERR_JID: return "CX_ERR_JID: invalid JID";
	case CX_ERR_XML_MALFORMED: return "CX_ERR_XML_MALFORMED: XML not well-formed";
	case CX_ERR_XML_ENCODING: return "CX_ERR_XML_ENCODING: invalid UTF-8 or forbidden character";
	case CX_ERR_XML_RESTRICTED: return "CX_ERR_XML_RESTRICTED: XML feature forbidden in XMPP (DOCTYPE, entity, PI, comment)";
	case CX_ERR_XML_TOO_BIG: return "CX_ERR_XML_TOO_BIG: stanza exceeds the size limit";
	case CX_ERR_XML_TOO_DEEP: return "CX_ERR_XML_TOO_DEEP: elements nested too deeply";
	case CX_ERR_XML_TOO_MANY: return "CX_ERR_XML_TOO_MANY: too many attributes or children";
	case CX_ERR_XML_NAMESPACE: return "CX_ERR_XML_NAMESPACE: invalid namespace";
	case CX_ERR_PROTOCOL: return "CX_ERR_PROTOCOL: protocol violation by the peer";
	case CX_ERR_STREAM_ERROR: return "CX_ERR_STREAM_ERROR: stream error";
	case CX_ERR_STANZA_ERROR: return "CX_ERR_STANZA_ERROR: the peer returned a stanza error";
	case CX_ERR_CLOSED: return "CX_ERR_CLOSED: stream closed";
	case CX_ERR_BIND: return "CX_ERR_BIND: resource binding failed";
	case CX_ERR_TLS: return "CX_ERR_TLS: TLS failure";
	case CX_ERR_TLS_VERIFY: return "CX_ERR_TLS_VERIFY: server certificate not trusted";
	case CX_ERR_TLS_PIN: return "CX_ERR_TLS_PIN: server key matches no pin";
	case CX_ERR_TLS_REQUIRED: return "CX_ERR_TLS_REQUIRED: TLS required but not offered";
	case CX_ERR_AUTH: return "CX_ERR_AUTH: authentication failed (not-authorized)";
	case CX_ERR_AUTH_TEMPORARY: return "CX_ERR_AUTH_TEMPORARY: temporary authentication failure";
	case CX_ERR_AUTH_MECHANISM: return "CX_ERR_AUTH_MECHANISM: no acceptable SASL mechanism";
	case CX_ERR_AUTH_DISABLED: return "CX_ERR_AUTH_DISABLED: account disabled";
	case CX_ERR_AUTH_EXPIRED: return "CX_ERR_AUTH_EXPIRED: credentials expired";
	case CX_ERR_AUTH_ENCRYPTION: return "CX_ERR_AUTH_ENCRYPTION: mechanism requires encryption";
	case CX_ERR_AUTH_SERVER: return "CX_ERR_AUTH_SERVER: the server failed to authenticate itself";
	case CX_ERR_AUTH_PROTOCOL: return "CX_ERR_AUTH_PROTOCOL: SASL exchange malformed or aborted";
	case CX_ERR_AUTH_POLICY: return "CX_ERR_AUTH_POLICY: SASL parameter beyond policy";
	case CX_ERR_DNS: return "CX_ERR_DNS: name lookup failed";
	case CX_ERR_DNS_MALFORMED: return "CX_ERR_DNS_MALFORMED: malformed DNS answer";
	case CX_ERR_CONNECT: return "CX_ERR_CONNECT: connection refused or unreachable";
	case CX_ERR_IO: return "CX_ERR_IO: connection read or write failed";
	case CX_ERR_TIMEOUT: return "CX_ERR_TIMEOUT: timed out";
	case CX_ERR_CANCELLED: return "CX_ERR_CANCELLED: cancelled";
	case CX_ERR_DISCONNECTED: return "CX_ERR_DISCONNECTED: disconnected";
	}
	return "CX_ERR_?: unknown status";
}

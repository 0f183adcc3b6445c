/*
 * Fuzz target: the SASL client's SCRAM exchange (lib/stream/sasl.h).
 *
 * The client nonce is fixed: this program defines getrandom() (as
 * tests/unit/stream/check_sasl.c does) and answers every 18-byte request
 * with the bytes of RFC 5802's nonce "fyko+d2lbbFgONRv9qkxdawL", so that the
 * fuzzer can produce server nonces that extend it. User "user", password
 * "pencil": RFC 5802's exchange is in the seed corpus.
 *
 * Input: byte 0 is flags, byte 1 the length of the server-first-message;
 * then the server-first-message and the server-final-message. Flags:
 *   bit 0  server-first is sent as it is (else base64-encoded here)
 *   bit 1  server-final is sent as it is (else base64-encoded here)
 *   bit 2  server-final comes as a second challenge, then an empty success
 *   bit 3  SCRAM-SHA-256 instead of SCRAM-SHA-1
 *   bit 4  the -PLUS variant with tls-exporter channel binding
 *   bit 5  no challenge at all: straight to success
 * max_iterations is 4096 (the minimum), so a valid exchange costs one
 * PBKDF2 of 4096 rounds.
 *
 * Invariants: each call returns OK or one of its documented statuses, with
 * err->status and a message; a failed step adds nothing to the output;
 * after a failure every call gives CX_ERR_STATE; the password reaches
 * neither the log nor an error message (unless the input itself holds it).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/stream/sasl.h"
#include "tests/fuzz/fuzz.h"

#define PASSWORD "pencil"

/* "fyko+d2lbbFgONRv9qkxdawL" decoded */
static const unsigned char nonce_bytes[18] = {
	0x7f, 0x29, 0x28, 0xf9, 0xdd, 0xa5, 0x6d, 0xb1, 0x60,
	0x38, 0xd4, 0x6f, 0xf6, 0xa9, 0x31, 0x75, 0xac, 0x0b
};

/* Default visibility: the build uses -fvisibility=hidden, and a hidden
 * symbol would not interpose on the C library's for libgsasl. */
__attribute__((visibility("default"))) ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	if (len == sizeof(nonce_bytes)) {
		memcpy(buf, nonce_bytes, len);
		return (ssize_t)len;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

static void
b64(cxi_buf *out, const uint8_t *p, size_t n)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;
	char q[4];

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = tab[v & 63];
		cxi_buf_append(out, q, 4);
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = q[3] = '=';
		cxi_buf_append(out, q, 4);
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[(v >> 12) & 63];
		q[2] = tab[(v >> 6) & 63];
		q[3] = '=';
		cxi_buf_append(out, q, 4);
	}
}

/* The message as a C string: raw, or base64 of the bytes ("=" if none). */
static char *
message(const uint8_t *p, size_t n, bool raw)
{
	cxi_buf b = CXI_BUF_INIT;
	char *s;

	if (raw)
		cxi_buf_append(&b, p, n);
	else if (n == 0)
		cxi_buf_append_str(&b, "=");
	else
		b64(&b, p, n);
	s = cxi_buf_size(&b) > 0 ? cxi_buf_strdup(&b) : strdup("");
	CXF_CHECK(s != NULL, "out of memory");
	cxi_buf_free(&b);
	return s;
}

static void
capture(void *arg, cx_log_level level, const char *cat, const char *msg)
{
	cxi_buf *logs = arg;

	(void)level;
	cxi_buf_printf(logs, "[%s] %s\n", cat, msg);
}

static bool
has(const void *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static void
check_failure(cx_status st, const cx_error *err, const char *what)
{
	CXF_CHECK(st == CX_ERR_AUTH_PROTOCOL || st == CX_ERR_AUTH_POLICY ||
			  st == CX_ERR_AUTH_SERVER || st == CX_ERR_AUTH ||
			  st == CX_ERR_NOMEM,
		  "%s failed with %d (%s)", what, st, err->message);
	CXF_CHECK(err->status == st && err->message[0] != '\0',
		  "%s: failure %d without a message", what, st);
	CXF_CHECK(!has(err->message, strlen(err->message), PASSWORD) &&
			  !has(err->text, strlen(err->text), PASSWORD),
		  "%s: the password is in the error", what);
}

/* After a failure, nothing more is accepted. */
static void
check_dead(cxi_sasl *s)
{
	cxi_buf out = CXI_BUF_INIT;
	cx_error err = CX_ERROR_INIT;

	CXF_CHECK(cxi_sasl_step(s, "=", &out, &err) == CX_ERR_STATE,
		  "step accepted after a failure");
	CXF_CHECK(cxi_buf_size(&out) == 0, "output after a failure");
	CXF_CHECK(cxi_sasl_success(s, "=", &err) == CX_ERR_STATE,
		  "success accepted after a failure");
	cxi_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cb[32] = "fuzz-tls-exporter-0123456789abcd";
	cxi_buf logs = CXI_BUF_INIT, out = CXI_BUF_INIT, init = CXI_BUF_INIT;
	cx_error err = CX_ERROR_INIT;
	cxi_sasl_config cfg;
	cxi_logger lg;
	cxi_sasl *s = NULL;
	const char *mech;
	char *first = NULL, *final = NULL;
	uint8_t flags;
	size_t n1;
	cx_status st;
	bool failed = false;

	if (size < 2)
		return 0;
	flags = data[0];
	n1 = data[1];
	data += 2;
	size -= 2;
	if (n1 > size)
		n1 = size;
	first = message(data, n1, flags & 1);
	final = message(data + n1, size - n1, flags & 2);

	memset(&lg, 0, sizeof(lg));
	lg.fn = capture;
	lg.arg = &logs;
	lg.max_level = CX_LOG_TRACE;
	memset(&cfg, 0, sizeof(cfg));
	cfg.authcid = "user";
	cfg.password = PASSWORD;
	cfg.service = "xmpp";
	cfg.hostname = "example.org";
	cfg.tls_active = true;
	cfg.max_iterations = 4096;
	cfg.log = &lg;
	if (flags & 8)
		mech = flags & 16 ? "SCRAM-SHA-256-PLUS" : "SCRAM-SHA-256";
	else
		mech = flags & 16 ? "SCRAM-SHA-1-PLUS" : "SCRAM-SHA-1";
	if (flags & 16) {
		cfg.cb_type = "tls-exporter";
		cfg.cb_data = cb;
		cfg.cb_len = sizeof(cb);
	}
	st = cxi_sasl_new(&s, &cfg, &mech, 1, &err);
	CXF_CHECK(st == CX_OK, "cxi_sasl_new(%s): %s", mech, err.message);
	CXF_CHECK(strcmp(cxi_sasl_mechanism(s), mech) == 0, "chose %s",
		  cxi_sasl_mechanism(s));
	st = cxi_sasl_initial(s, &init, &err);
	CXF_CHECK(st == CX_OK, "initial: %s", err.message);
	if (!(flags & 16)) {
		/* n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL */
		static const char want[] =
			"biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM";
		CXF_CHECK(cxi_buf_size(&init) == strlen(want) &&
				  memcmp(cxf_head(&init), want,
					 strlen(want)) == 0,
			  "the fixed nonce did not reach GNU SASL: the "
			  "getrandom() seam is broken");
	}

	if (!(flags & 32)) {
		st = cxi_sasl_step(s, first, &out, &err);
		if (st != CX_OK) {
			check_failure(st, &err, "server-first");
			CXF_CHECK(cxi_buf_size(&out) == 0,
				  "a failed step wrote output");
			failed = true;
			goto done;
		}
		CXF_CHECK(cxi_buf_size(&out) > 0, "no client-final-message");
	}
	if (flags & 4) {
		cxi_buf_reset(&out);
		cx_error_clear(&err);
		st = cxi_sasl_step(s, final, &out, &err);
		if (st != CX_OK) {
			check_failure(st, &err, "server-final as challenge");
			CXF_CHECK(cxi_buf_size(&out) == 0,
				  "a failed step wrote output");
			failed = true;
			goto done;
		}
		st = cxi_sasl_success(s, NULL, &err);
	} else {
		cx_error_clear(&err);
		st = cxi_sasl_success(s, final, &err);
	}
	if (st != CX_OK) {
		check_failure(st, &err, "success");
		failed = true;
	}
done:
	if (failed)
		check_dead(s);
	CXF_CHECK(!has(cxf_head(&logs), cxi_buf_size(&logs), PASSWORD) ||
			  has(data, size, PASSWORD),
		  "the password reached the log:\n%.*s",
		  (int)cxi_buf_size(&logs), (const char *)cxf_head(&logs));
	cxi_sasl_free(s);
	cxi_buf_free(&logs);
	cxi_buf_free(&out);
	cxi_buf_free(&init);
	free(first);
	free(final);
	return 0;
}

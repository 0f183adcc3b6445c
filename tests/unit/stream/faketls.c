/*
 * Pass-through TLS for tests (see faketls.h). It keeps the contract of
 * cxi_tls_ops that the stream relies on: write() only after the handshake,
 * read() advances the handshake and hands out application data, output is
 * pulled by the caller.
 */
#include "config.h"

#include "tests/unit/stream/faketls.h"

#include <stdlib.h>
#include <string.h>

#include "lib/core/error.h"

struct cxi_tls {
	cxt_faketls_ctx *ctx;
	bool done;
	cxi_buf in;
	cxi_buf out;
};

static cxi_tls *
fake_new(void *ctxp, const char *server_name, const char *alpn,
	 const cxi_logger *log, cx_error *err)
{
	cxt_faketls_ctx *ctx = ctxp;
	cxi_tls *t;

	(void)log;
	ctx->sessions++;
	cxi_strlcpy(ctx->server_name, server_name, sizeof(ctx->server_name));
	cxi_strlcpy(ctx->alpn, alpn ? alpn : "", sizeof(ctx->alpn));
	if (ctx->fail_new) {
		cxi_error_set(err, CX_ERR_TLS, "fake TLS: refused to start");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL) {
		cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	t->ctx = ctx;
	cxi_buf_init(&t->in);
	cxi_buf_init(&t->out);
	if (ctx->server_hello == NULL)
		t->done = true;
	else if (cxi_buf_append_str(&t->out, CXT_FAKETLS_CLIENT_HELLO) !=
		 CX_OK) {
		free(t);
		cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		return NULL;
	}
	return t;
}

static void
fake_free(cxi_tls *t)
{
	if (t == NULL)
		return;
	t->ctx->freed++;
	cxi_buf_free(&t->in);
	cxi_buf_free(&t->out);
	free(t);
}

static cx_status
fake_push(cxi_tls *t, const void *data, size_t len, cx_error *err)
{
	if (cxi_buf_append(&t->in, data, len) != CX_OK)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

static cx_status
fake_read(cxi_tls *t, cxi_buf *plain_out, cx_error *err)
{
	cx_status st;

	if (!t->done) {
		const char *hello = t->ctx->server_hello;
		size_t n = strlen(hello), have = cxi_buf_size(&t->in);

		if (t->ctx->fail_handshake && have > 0) {
			cxi_error_set(err, CX_ERR_TLS_VERIFY,
				      "fake TLS: certificate rejected");
			err->tls_code = 62; /* X509_V_ERR_HOSTNAME_MISMATCH */
			return CX_ERR_TLS_VERIFY;
		}
		if (memcmp(cxi_buf_head(&t->in), hello,
			   have < n ? have : n) != 0)
			return cxi_error_set(err, CX_ERR_TLS,
					     "fake TLS: bad ServerHello");
		if (have < n)
			return CX_OK;
		cxi_buf_consume(&t->in, n);
		t->done = true;
	}
	t->ctx->read_plain += cxi_buf_size(&t->in);
	st = cxi_buf_move(plain_out, &t->in);
	if (st != CX_OK)
		return cxi_error_set(err, st, "out of memory");
	if (t->ctx->peer_close)
		return cxi_error_set(err, CX_ERR_CLOSED,
				     "fake TLS: close_notify");
	return CX_OK;
}

static cx_status
fake_write(cxi_tls *t, const void *data, size_t len, cx_error *err)
{
	if (!t->done)
		return cxi_error_set(err, CX_ERR_STATE,
				     "fake TLS: write before the handshake");
	if (t->ctx->fail_write)
		return cxi_error_set(err, CX_ERR_TLS, "fake TLS: write failed");
	t->ctx->written += len;
	if (cxi_buf_append(&t->out, data, len) != CX_OK)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

static cx_status
fake_shutdown(cxi_tls *t, cx_error *err)
{
	(void)err;
	t->ctx->shutdown = true;
	return CX_OK;
}

static cx_status
fake_pull(cxi_tls *t, cxi_buf *cipher_out)
{
	return cxi_buf_move(cipher_out, &t->out);
}

static bool
fake_done(const cxi_tls *t)
{
	return t->done;
}

static int
fake_version(const cxi_tls *t)
{
	if (!t->done)
		return 0;
	return t->ctx->version ? t->ctx->version : 0x0304;
}

static cx_status
fake_cb(cxi_tls *t, const char *type, cxi_buf *out)
{
	cxi_strlcpy(t->ctx->cb_asked, type, sizeof(t->ctx->cb_asked));
	if (!t->done)
		return CX_ERR_STATE;
	if (strcmp(type, "tls-unique") == 0) {
		if (t->ctx->no_unique)
			return CX_ERR_NOT_SUPPORTED;
		return cxi_buf_append_str(out, CXT_FAKETLS_CB_UNIQUE);
	}
	if (strcmp(type, "tls-exporter") == 0) {
		if (t->ctx->no_exporter || fake_version(t) < 0x0304)
			return CX_ERR_NOT_SUPPORTED;
		return cxi_buf_append_str(out, CXT_FAKETLS_CB_EXPORTER);
	}
	return CX_ERR_INVALID;
}

const cxi_tls_ops cxt_faketls_ops = {
	fake_new, fake_free, fake_push, fake_read, fake_write, fake_shutdown,
	fake_pull, fake_done, fake_cb, fake_version
};

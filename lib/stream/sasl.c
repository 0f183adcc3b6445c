/*
 * SASL client over GNU SASL.
 *
 * Design notes.
 *
 * One Gsasl library handle serves the whole process. It is made once with
 * pthread_once and never freed (it lives as long as the process, like the
 * SSL_CTX a runtime keeps). The GNU SASL manual promises that the library
 * uses no global variables and that "multiple library handles and session
 * handles may be used in parallel". What this file relies on, precisely:
 *   - gsasl_init runs exactly once, before any other use (pthread_once);
 *   - after that the handle is only read: gsasl_client_start and
 *     gsasl_client_support_p look up its table of mechanisms. We never call
 *     gsasl_register, gsasl_callback_set or gsasl_callback_hook_set on it,
 *     so there is no callback and no shared mutable state;
 *   - every Gsasl_session belongs to one cxi_sasl, which one thread at a
 *     time drives (the stream's reader), so sessions need no lock;
 *   - the client nonce comes from gsasl_nonce, which draws on getrandom.
 * Everything a session needs is set on the session itself with
 * gsasl_property_set right after gsasl_client_start (SCRAM in GNU SASL 2.2
 * reads the properties at its first step, not at start).
 *
 * GNU SASL checks what SCRAM requires (nonce prefix, server signature), but
 * it accepts any iteration count, so a hostile server could ask for i=1 (a
 * cheap proof to crack offline) or i=10^9 (a CPU sink). We parse the
 * server-first-message ourselves before handing it over: the count must lie
 * in [4096, max_iterations], the nonce must extend ours. 4096 is the floor
 * of RFC 5802/7677 and the default of ejabberd and of the GNU SASL server;
 * Prosody uses more.
 *
 * The server signature may come in a final <challenge/> (answered with an
 * empty response) or, usually, in <success/>. A SCRAM <success/> that has
 * neither it nor an earlier verified one fails with CX_ERR_AUTH_SERVER: a
 * server that cannot prove it knows the password is not trusted.
 *
 * Base64 (RFC 6120 section 6.4.2) is decoded here, strictly: RFC 4648
 * alphabet, padding only at the end, no interior whitespace (whitespace
 * around the text is tolerated, as XML character data may carry it), "="
 * for an empty payload. GNU SASL then sees raw bytes through gsasl_step.
 *
 * Secrets: the password lives only in the session's GSASL_PASSWORD property
 * (and GNU SASL's derived GSASL_SCRAM_SALTED_PASSWORD); both are wiped
 * before gsasl_finish, as is every buffer that held a payload. The logger
 * hears mechanism names, reasons and outcomes, never a payload.
 *
 * Channel binding: the data is set (base64, as GSASL_CB_TLS_EXPORTER or
 * GSASL_CB_TLS_UNIQUE) only when a -PLUS mechanism was chosen. For a plain
 * SCRAM mechanism GNU SASL 2.2 fails at the first step when binding data
 * is present (it does not produce the "y" flag), so we send "n".
 */
#include "config.h"

#include "lib/stream/sasl.h"

#include <errno.h>
#include <gsasl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/core/error.h"

#define SCRAM_MIN_ITERATIONS 4096u
#define SCRAM_DEFAULT_MAX_ITERATIONS 100000u

static const struct {
	unsigned bit;
	const char *name;
} mech_table[] = {
	{ CXI_SASL_SCRAM_SHA_256_PLUS, "SCRAM-SHA-256-PLUS" },
	{ CXI_SASL_SCRAM_SHA_256, "SCRAM-SHA-256" },
	{ CXI_SASL_SCRAM_SHA_1_PLUS, "SCRAM-SHA-1-PLUS" },
	{ CXI_SASL_SCRAM_SHA_1, "SCRAM-SHA-1" },
	{ CXI_SASL_PLAIN, "PLAIN" },
	{ CXI_SASL_EXTERNAL, "EXTERNAL" },
	{ CXI_SASL_ANONYMOUS, "ANONYMOUS" },
};
#define NMECHS (sizeof(mech_table) / sizeof(mech_table[0]))

#define SCRAM_MECHS                                                        \
	(CXI_SASL_SCRAM_SHA_256_PLUS | CXI_SASL_SCRAM_SHA_256 |            \
	 CXI_SASL_SCRAM_SHA_1_PLUS | CXI_SASL_SCRAM_SHA_1)
#define PLUS_MECHS (CXI_SASL_SCRAM_SHA_256_PLUS | CXI_SASL_SCRAM_SHA_1_PLUS)

enum sasl_state {
	ST_NEW,       /* started, initial response not yet produced */
	ST_RUNNING,   /* initial response sent, exchange going on */
	ST_VERIFIED,  /* SCRAM: server signature checked in a challenge */
	ST_DONE,      /* <success/> accepted */
	ST_FAILED     /* an error ended the exchange */
};

struct cxi_sasl {
	Gsasl_session *gs;
	unsigned mech;
	enum sasl_state state;
	unsigned challenges;    /* <challenge/>s answered so far */
	unsigned max_iterations;
	char *client_nonce;     /* SCRAM: our r= value, from client-first */
	cxi_logger logger;      /* a copy of cfg->log */
	bool has_logger;
};

/* ---- the process-wide library handle ---- */

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static Gsasl *lib_ctx;
static int lib_rc = GSASL_OK;

static void
lib_init(void)
{
	lib_rc = gsasl_init(&lib_ctx);
	if (lib_rc != GSASL_OK)
		lib_ctx = NULL;
}

static Gsasl *
lib_get(void)
{
	pthread_once(&lib_once, lib_init);
	return lib_ctx;
}

/* ---- names ---- */

unsigned
cxi_sasl_mech_bit(const char *name)
{
	size_t i;

	if (name == NULL)
		return 0;
	for (i = 0; i < NMECHS; i++)
		if (strcmp(mech_table[i].name, name) == 0)
			return mech_table[i].bit;
	return 0;
}

const char *
cxi_sasl_mech_name(unsigned bit)
{
	size_t i;

	for (i = 0; i < NMECHS; i++)
		if (mech_table[i].bit == bit)
			return mech_table[i].name;
	return NULL;
}

const char *
cxi_sasl_mechanism(const cxi_sasl *s)
{
	return s != NULL ? cxi_sasl_mech_name(s->mech) : NULL;
}

/* ---- base64, strict (RFC 4648 section 4, RFC 6120 section 6.4.2) ---- */

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool
is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends base64 of p[0..n) to out; "=" for an empty payload. */
static cx_status
b64_encode_append(cxi_buf *out, const uint8_t *p, size_t n)
{
	cx_status st;
	size_t i;
	uint8_t *d;

	if (n == 0)
		return cxi_buf_append(out, "=", 1);
	if (n > (SIZE_MAX / 4) * 3 - 3)
		return CX_ERR_NOMEM;
	if ((st = cxi_buf_reserve(out, (n + 2) / 3 * 4)) != CX_OK)
		return st;
	d = out->data + out->len;
	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
			     p[i + 2];
		*d++ = (uint8_t)b64_alphabet[v >> 18];
		*d++ = (uint8_t)b64_alphabet[(v >> 12) & 63];
		*d++ = (uint8_t)b64_alphabet[(v >> 6) & 63];
		*d++ = (uint8_t)b64_alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		*d++ = (uint8_t)b64_alphabet[v >> 18];
		*d++ = (uint8_t)b64_alphabet[(v >> 12) & 63];
		*d++ = i + 1 < n ? (uint8_t)b64_alphabet[(v >> 6) & 63] : '=';
		*d++ = '=';
	}
	out->len = (size_t)(d - out->data);
	return CX_OK;
}

/*
 * Decodes in (NULL, "" and "=" are the empty payload) into a malloc'd,
 * NUL-terminated buffer. CX_ERR_AUTH_PROTOCOL for anything that is not
 * canonical base64.
 */
static cx_status
b64_decode(const char *in, uint8_t **out, size_t *outlen, cx_error *err)
{
	const char *b, *e;
	size_t n, i, o = 0, pad = 0;
	uint8_t *buf;

	*out = NULL;
	*outlen = 0;
	if (in == NULL)
		in = "";
	b = in;
	e = in + strlen(in);
	while (b < e && is_xml_space(*b))
		b++;
	while (e > b && is_xml_space(e[-1]))
		e--;
	n = (size_t)(e - b);
	if (n == 1 && *b == '=')
		n = 0;
	if (n % 4 != 0)
		goto bad;
	if (n > 0 && b[n - 1] == '=')
		pad = (n > 1 && b[n - 2] == '=') ? 2 : 1;
	buf = malloc(n / 4 * 3 + 1);
	if (buf == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	for (i = 0; i < n; i += 4) {
		int v[4], k;
		bool last = i + 4 == n;

		for (k = 0; k < 4; k++) {
			if (last && k >= 4 - (int)pad) {
				v[k] = 0;
				continue;
			}
			v[k] = b64_value((unsigned char)b[i + k]);
			if (v[k] < 0) {
				free(buf);
				goto bad;
			}
		}
		/* The bits that padding drops must be zero (canonical form). */
		if (last && ((pad == 2 && (v[1] & 15) != 0) ||
			     (pad == 1 && (v[2] & 3) != 0))) {
			free(buf);
			goto bad;
		}
		buf[o++] = (uint8_t)(v[0] << 2 | v[1] >> 4);
		if (!(last && pad == 2))
			buf[o++] = (uint8_t)((v[1] & 15) << 4 | v[2] >> 2);
		if (!(last && pad >= 1))
			buf[o++] = (uint8_t)((v[2] & 3) << 6 | v[3]);
	}
	buf[o] = '\0';
	*out = buf;
	*outlen = o;
	return CX_OK;
bad:
	cxi_error_set(err, CX_ERR_AUTH_PROTOCOL,
		      "SASL payload is not valid base64 (incorrect-encoding)");
	cxi_error_set_condition(err, "incorrect-encoding", NULL, NULL);
	return CX_ERR_AUTH_PROTOCOL;
}

static void
wipe_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	free(p);
}

static void
gsasl_wipe_free(char *p, size_t n)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, n);
	gsasl_free(p);
}

/* ---- helpers ---- */

static const cxi_logger *
logger(const cxi_sasl *s)
{
	return s->has_logger ? &s->logger : NULL;
}

static bool
is_scram(unsigned mech)
{
	return (mech & SCRAM_MECHS) != 0;
}

static cx_status fail(cxi_sasl *s, cx_error *err, cx_status st,
		      const char *fmt, ...) CX_PRINTF(4, 5);

/* Ends the exchange with status st: sets err and logs the outcome. */
static cx_status
fail(cxi_sasl *s, cx_error *err, cx_status st, const char *fmt, ...)
{
	char msg[sizeof(((cx_error *)NULL)->message)];
	va_list ap;

	s->state = ST_FAILED;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cxi_error_set(err, st, "%s", msg);
	cxi_log(logger(s), CX_LOG_WARN, CX_LOG_CAT_SASL,
		"%s authentication failed: %s", cxi_sasl_mech_name(s->mech),
		cx_strerror(st));
	return st;
}

/* Maps a GNU SASL error of a client step to a status. */
static cx_status
map_gsasl_rc(int rc)
{
	switch (rc) {
	case GSASL_MALLOC_ERROR:
		return CX_ERR_NOMEM;
	case GSASL_BASE64_ERROR:
	case GSASL_MECHANISM_PARSE_ERROR:
	case GSASL_MECHANISM_CALLED_TOO_MANY_TIMES:
		return CX_ERR_AUTH_PROTOCOL;
	case GSASL_AUTHENTICATION_ERROR:
		return CX_ERR_AUTH_SERVER;
	case GSASL_SASLPREP_ERROR:
	case GSASL_NO_AUTHID:
	case GSASL_NO_AUTHZID:
	case GSASL_NO_PASSWORD:
	case GSASL_NO_ANONYMOUS_TOKEN:
	case GSASL_NO_CB_TLS_UNIQUE:
	case GSASL_NO_CB_TLS_EXPORTER:
		return CX_ERR_INVALID;
	default:
		return CX_ERR_AUTH;
	}
}

/* Runs one GNU SASL step on raw input; the raw output is returned. */
static int
run_step(cxi_sasl *s, const uint8_t *in, size_t inlen, char **out,
	 size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	return gsasl_step(s->gs, (const char *)in, inlen, out, outlen);
}

/* ---- mechanism choice ---- */

static const char *
cb_kind(const cxi_sasl_config *cfg, Gsasl_property *prop)
{
	if (cfg->cb_data == NULL || cfg->cb_len == 0 || cfg->cb_type == NULL)
		return NULL;
	if (strcmp(cfg->cb_type, "tls-exporter") == 0) {
		*prop = GSASL_CB_TLS_EXPORTER;
		return "tls-exporter";
	}
	if (strcmp(cfg->cb_type, "tls-unique") == 0) {
		*prop = GSASL_CB_TLS_UNIQUE;
		return "tls-unique";
	}
	return NULL;
}

/* Why an offered mechanism cannot be used, or NULL if it can. */
static const char *
refusal(Gsasl *ctx, const cxi_sasl_config *cfg, unsigned allowed,
	unsigned bit, const char *name)
{
	Gsasl_property prop;

	if (bit == 0)
		return "not supported";
	if ((allowed & bit) == 0)
		return "not allowed by configuration";
	if ((bit & PLUS_MECHS) != 0) {
		if (cfg->cb_data == NULL || cfg->cb_len == 0)
			return "no channel-binding data";
		if (cb_kind(cfg, &prop) == NULL)
			return "unsupported channel-binding type";
	}
	if ((bit & (SCRAM_MECHS | CXI_SASL_PLAIN)) != 0 &&
	    (cfg->authcid == NULL || cfg->authcid[0] == '\0' ||
	     cfg->password == NULL))
		return "no username or password";
	if (bit == CXI_SASL_PLAIN && !cfg->tls_active &&
	    !(cfg->insecure_allow_plaintext && cfg->insecure_allow_plain_auth))
		return "refused without TLS";
	if (!gsasl_client_support_p(ctx, name))
		return "not supported by GNU SASL";
	return NULL;
}

static void
append_reason(char *msg, size_t len, const char *name, const char *why)
{
	size_t used = strlen(msg);

	if (used + 1 >= len)
		return;
	snprintf(msg + used, len - used, "%s%.40s (%s)",
		 used > 0 ? ", " : "", name, why);
}

static unsigned
choose(Gsasl *ctx, const cxi_sasl_config *cfg, const char *const *offered,
       size_t noffered, char *why, size_t whylen)
{
	unsigned allowed = cfg->allowed != 0 ? cfg->allowed
					     : CXI_SASL_DEFAULT_MECHS;
	unsigned usable = 0;
	size_t i;

	why[0] = '\0';
	for (i = 0; i < noffered; i++) {
		const char *name = offered[i];
		unsigned bit;
		const char *r;

		if (name == NULL)
			continue;
		bit = cxi_sasl_mech_bit(name);
		r = refusal(ctx, cfg, allowed, bit, name);
		if (r == NULL)
			usable |= bit;
		else
			append_reason(why, whylen, name, r);
	}
	for (i = 0; i < NMECHS; i++)
		if ((usable & mech_table[i].bit) != 0)
			return mech_table[i].bit;
	return 0;
}

/* ---- session ---- */

static void
wipe_property(Gsasl_session *gs, Gsasl_property prop)
{
	const char *v = gsasl_property_fast(gs, prop);

	/* The value is the session's own heap copy; wipe it in place. */
	if (v != NULL)
		OPENSSL_cleanse((char *)v, strlen(v));
}

void
cxi_sasl_free(cxi_sasl *s)
{
	if (s == NULL)
		return;
	if (s->gs != NULL) {
		wipe_property(s->gs, GSASL_PASSWORD);
		wipe_property(s->gs, GSASL_SCRAM_SALTED_PASSWORD);
		gsasl_finish(s->gs);
	}
	free(s->client_nonce);
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

static int
set_prop(Gsasl_session *gs, Gsasl_property prop, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return GSASL_OK;
	return gsasl_property_set(gs, prop, v);
}

static cx_status
set_properties(cxi_sasl *s, const cxi_sasl_config *cfg, cx_error *err)
{
	int rc = GSASL_OK;

	if (rc == GSASL_OK)
		rc = set_prop(s->gs, GSASL_SERVICE,
			      cfg->service != NULL ? cfg->service : "xmpp");
	if (rc == GSASL_OK)
		rc = set_prop(s->gs, GSASL_HOSTNAME, cfg->hostname);
	if (rc == GSASL_OK)
		rc = set_prop(s->gs, GSASL_AUTHZID, cfg->authzid);
	if (rc == GSASL_OK && (is_scram(s->mech) || s->mech == CXI_SASL_PLAIN)) {
		rc = set_prop(s->gs, GSASL_AUTHID, cfg->authcid);
		if (rc == GSASL_OK)
			rc = gsasl_property_set(s->gs, GSASL_PASSWORD,
						cfg->password);
	}
	if (rc == GSASL_OK && s->mech == CXI_SASL_ANONYMOUS)
		/* An empty trace token: nothing about the user leaks. */
		rc = gsasl_property_set(s->gs, GSASL_ANONYMOUS_TOKEN, "");
	if (rc == GSASL_OK && (s->mech & PLUS_MECHS) != 0) {
		Gsasl_property prop = GSASL_CB_TLS_EXPORTER;
		cxi_buf b64 = CXI_BUF_INIT;
		cx_status st;

		(void)cb_kind(cfg, &prop);
		st = b64_encode_append(&b64, cfg->cb_data, cfg->cb_len);
		if (st == CX_OK)
			st = cxi_buf_append(&b64, "", 1);
		if (st != CX_OK) {
			cxi_buf_free(&b64);
			return cxi_error_set(err, st, "out of memory");
		}
		rc = gsasl_property_set(s->gs, prop, (const char *)b64.data);
		OPENSSL_cleanse(b64.data, b64.len);
		cxi_buf_free(&b64);
	}
	if (rc != GSASL_OK)
		return cxi_error_set(err, rc == GSASL_MALLOC_ERROR ?
				     CX_ERR_NOMEM : CX_ERR_AUTH,
				     "cannot set SASL session properties: %s",
				     gsasl_strerror_name(rc));
	return CX_OK;
}

cx_status
cxi_sasl_new(cxi_sasl **out, const cxi_sasl_config *cfg,
	     const char *const *offered, size_t noffered, cx_error *err)
{
	char why[200];
	Gsasl *ctx;
	cxi_sasl *s;
	cx_status st;
	unsigned mech;
	int rc;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (cfg == NULL || (offered == NULL && noffered > 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "missing SASL configuration");
	if ((ctx = lib_get()) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM,
				     "GNU SASL initialization failed: %s",
				     gsasl_strerror_name(lib_rc));

	mech = choose(ctx, cfg, offered, noffered, why, sizeof(why));
	if (mech == 0) {
		if (noffered == 0)
			cxi_error_set(err, CX_ERR_AUTH_MECHANISM,
				      "no acceptable SASL mechanism: the "
				      "server offered none");
		else
			cxi_error_set(err, CX_ERR_AUTH_MECHANISM,
				      "no acceptable SASL mechanism: offered "
				      "%s", why);
		cxi_log(cfg->log, CX_LOG_WARN, CX_LOG_CAT_SASL,
			"no acceptable SASL mechanism: %s",
			noffered == 0 ? "none offered" : why);
		return CX_ERR_AUTH_MECHANISM;
	}
	if (why[0] != '\0')
		cxi_log(cfg->log, CX_LOG_DEBUG, CX_LOG_CAT_SASL,
			"SASL mechanisms passed over: %s", why);

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	s->mech = mech;
	s->state = ST_NEW;
	s->max_iterations = cfg->max_iterations != 0 ?
			    cfg->max_iterations : SCRAM_DEFAULT_MAX_ITERATIONS;
	if (cfg->log != NULL) {
		s->logger = *cfg->log;
		s->has_logger = true;
	}
	rc = gsasl_client_start(ctx, cxi_sasl_mech_name(mech), &s->gs);
	if (rc != GSASL_OK) {
		s->gs = NULL;
		st = cxi_error_set(err, rc == GSASL_MALLOC_ERROR ?
				   CX_ERR_NOMEM : CX_ERR_AUTH_MECHANISM,
				   "GNU SASL cannot start %s: %s",
				   cxi_sasl_mech_name(mech),
				   gsasl_strerror_name(rc));
		goto out;
	}
	if ((st = set_properties(s, cfg, err)) != CX_OK)
		goto out;
	{
		Gsasl_property prop;
		const char *cb = (mech & PLUS_MECHS) ? cb_kind(cfg, &prop) : NULL;

		cxi_log(logger(s), CX_LOG_INFO, CX_LOG_CAT_SASL,
			"SASL mechanism %s chosen%s%s%s",
			cxi_sasl_mech_name(mech), cb ? " (channel binding " : "",
			cb ? cb : "", cb ? ")" : "");
	}
	*out = s;
	return CX_OK;
out:
	cxi_sasl_free(s);
	return st;
}

/* SCRAM: remembers our nonce from the client-first-message. */
static cx_status
keep_client_nonce(cxi_sasl *s, const char *msg, size_t len, cx_error *err)
{
	const char *p = msg, *end = msg + len, *r, *e;
	int commas = 0;

	/* Skip the GS2 header: two commas (the authzid escapes its own). */
	while (p < end && commas < 2)
		if (*p++ == ',')
			commas++;
	r = NULL;
	for (; p + 3 <= end; p++)
		if ((p == msg || p[-1] == ',') && p[0] == 'r' && p[1] == '=') {
			r = p + 2;
			break;
		}
	if (r == NULL)
		return cxi_error_set(err, CX_ERR_AUTH,
				     "GNU SASL produced no client nonce");
	for (e = r; e < end && *e != ','; e++)
		;
	s->client_nonce = strndup(r, (size_t)(e - r));
	if (s->client_nonce == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

cx_status
cxi_sasl_initial(cxi_sasl *s, cxi_buf *out, cx_error *err)
{
	char *raw = NULL;
	size_t rawlen = 0;
	cx_status st;
	int rc;

	if (s == NULL || out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (s->state != ST_NEW)
		return cxi_error_set(err, CX_ERR_STATE,
				     "SASL initial response already produced");
	rc = run_step(s, NULL, 0, &raw, &rawlen);
	if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
		st = map_gsasl_rc(rc);
		s->state = ST_FAILED;
		cxi_error_set(err, st, "%s: cannot build the initial "
			      "response: %s", cxi_sasl_mech_name(s->mech),
			      gsasl_strerror_name(rc));
		goto out;
	}
	if (is_scram(s->mech) &&
	    (st = keep_client_nonce(s, raw, rawlen, err)) != CX_OK) {
		s->state = ST_FAILED;
		goto out;
	}
	if ((st = b64_encode_append(out, (const uint8_t *)raw, rawlen)) !=
	    CX_OK) {
		s->state = ST_FAILED;
		cxi_error_set(err, st, "out of memory");
		goto out;
	}
	s->state = ST_RUNNING;
	cxi_log(logger(s), CX_LOG_DEBUG, CX_LOG_CAT_SASL,
		"%s: initial response sent", cxi_sasl_mech_name(s->mech));
out:
	gsasl_wipe_free(raw, rawlen);
	return st;
}

/* Finds attribute `key` (one letter) in a comma-separated SCRAM message. */
static bool
scram_attr(const char *msg, char key, const char **val, size_t *len)
{
	const char *p = msg;

	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e != NULL ? (size_t)(e - p) : strlen(p);

		if (n >= 2 && p[0] == key && p[1] == '=') {
			*val = p + 2;
			*len = n - 2;
			return true;
		}
		if (e == NULL)
			return false;
		p = e + 1;
	}
}

/* Checks a server-first-message before GNU SASL sees it. */
static cx_status
check_server_first(cxi_sasl *s, const char *msg, cx_error *err)
{
	const char *r, *salt, *it;
	size_t rlen, saltlen, itlen, i, cn;
	unsigned long long iter = 0;

	if (msg[0] == 'm' && msg[1] == '=')
		return fail(s, err, CX_ERR_AUTH_PROTOCOL, "%s: server-first-"
			    "message requires an unsupported extension", "SCRAM");
	if (!scram_attr(msg, 'r', &r, &rlen) ||
	    !scram_attr(msg, 's', &salt, &saltlen) ||
	    !scram_attr(msg, 'i', &it, &itlen) || saltlen == 0)
		return fail(s, err, CX_ERR_AUTH_PROTOCOL, "%s: malformed "
			    "server-first-message (needs r=, s= and i=)",
			    "SCRAM");
	if (itlen == 0)
		return fail(s, err, CX_ERR_AUTH_PROTOCOL,
			    "%s: malformed iteration count", "SCRAM");
	for (i = 0; i < itlen; i++) {
		if (it[i] < '0' || it[i] > '9')
			return fail(s, err, CX_ERR_AUTH_PROTOCOL,
				    "%s: malformed iteration count", "SCRAM");
		/* Saturate: any huge count is simply beyond the cap. */
		if (iter < 10000000000ull)
			iter = iter * 10 + (unsigned)(it[i] - '0');
	}
	cn = strlen(s->client_nonce);
	if (rlen <= cn || memcmp(r, s->client_nonce, cn) != 0)
		return fail(s, err, CX_ERR_AUTH_SERVER, "%s: the server nonce "
			    "does not extend the client nonce", "SCRAM");
	if (iter < SCRAM_MIN_ITERATIONS || iter > s->max_iterations) {
		s->state = ST_FAILED;
		cxi_error_set(err, CX_ERR_AUTH_POLICY,
			      "SCRAM iteration count %llu outside the "
			      "allowed range [%u, %u]", iter,
			      SCRAM_MIN_ITERATIONS, s->max_iterations);
		cxi_log(logger(s), CX_LOG_WARN, CX_LOG_CAT_SASL,
			"%s: iteration count %llu refused (allowed %u..%u)",
			cxi_sasl_mech_name(s->mech), iter,
			SCRAM_MIN_ITERATIONS, s->max_iterations);
		return CX_ERR_AUTH_POLICY;
	}
	return CX_OK;
}

/* Feeds a server-final-message ("v=..." or "e=...") to GNU SASL. */
static cx_status
verify_server_final(cxi_sasl *s, const uint8_t *msg, size_t len,
		    cx_error *err)
{
	char *raw = NULL;
	size_t rawlen = 0;
	int rc;

	if (len >= 2 && msg[0] == 'e' && msg[1] == '=')
		return fail(s, err, CX_ERR_AUTH, "%s: the server reported "
			    "an error in its server-final-message", "SCRAM");
	rc = run_step(s, msg, len, &raw, &rawlen);
	gsasl_wipe_free(raw, rawlen);
	if (rc == GSASL_OK)
		return CX_OK;
	if (rc == GSASL_MALLOC_ERROR)
		return fail(s, err, CX_ERR_NOMEM, "%s", "out of memory");
	return fail(s, err, CX_ERR_AUTH_SERVER, "%s: the server signature "
		    "does not verify: the server did not prove it knows the "
		    "password", "SCRAM");
}

cx_status
cxi_sasl_step(cxi_sasl *s, const char *challenge_b64, cxi_buf *out,
	      cx_error *err)
{
	uint8_t *in = NULL;
	size_t inlen = 0;
	char *raw = NULL;
	size_t rawlen = 0;
	cx_status st;
	int rc;

	if (s == NULL || out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (s->state != ST_RUNNING && s->state != ST_VERIFIED)
		return cxi_error_set(err, CX_ERR_STATE, "no SASL challenge "
				     "expected in this state");
	if ((st = b64_decode(challenge_b64, &in, &inlen, err)) != CX_OK) {
		s->state = ST_FAILED;
		cxi_log(logger(s), CX_LOG_WARN, CX_LOG_CAT_SASL,
			"%s: challenge is not valid base64",
			cxi_sasl_mech_name(s->mech));
		return st;
	}
	s->challenges++;
	if (!is_scram(s->mech) || s->state == ST_VERIFIED) {
		st = fail(s, err, CX_ERR_AUTH_PROTOCOL,
			  "%s: unexpected SASL challenge",
			  cxi_sasl_mech_name(s->mech));
		goto out;
	}
	if (memchr(in, '\0', inlen) != NULL) {
		st = fail(s, err, CX_ERR_AUTH_PROTOCOL,
			  "%s: NUL byte in a SCRAM message", "SCRAM");
		goto out;
	}
	if (s->challenges == 2) {
		/* The server-final-message came as a challenge. */
		if ((st = verify_server_final(s, in, inlen, err)) != CX_OK)
			goto out;
		if ((st = b64_encode_append(out, NULL, 0)) != CX_OK) {
			st = fail(s, err, st, "%s", "out of memory");
			goto out;
		}
		s->state = ST_VERIFIED;
		cxi_log(logger(s), CX_LOG_DEBUG, CX_LOG_CAT_SASL,
			"%s: server signature verified",
			cxi_sasl_mech_name(s->mech));
		goto out;
	}
	if ((st = check_server_first(s, (const char *)in, err)) != CX_OK)
		goto out;
	rc = run_step(s, in, inlen, &raw, &rawlen);
	if (rc != GSASL_NEEDS_MORE) {
		cx_status mapped = rc == GSASL_OK ? CX_ERR_AUTH_PROTOCOL
						  : map_gsasl_rc(rc);
		s->state = ST_FAILED;
		st = cxi_error_set(err, mapped, "%s: GNU SASL rejected the "
				   "server-first-message: %s",
				   cxi_sasl_mech_name(s->mech),
				   gsasl_strerror_name(rc));
		cxi_log(logger(s), CX_LOG_WARN, CX_LOG_CAT_SASL,
			"%s: server-first-message rejected (%s)",
			cxi_sasl_mech_name(s->mech), gsasl_strerror_name(rc));
		goto out;
	}
	if ((st = b64_encode_append(out, (const uint8_t *)raw, rawlen)) !=
	    CX_OK)
		st = fail(s, err, st, "%s", "out of memory");
out:
	gsasl_wipe_free(raw, rawlen);
	wipe_free(in, inlen);
	return st;
}

cx_status
cxi_sasl_success(cxi_sasl *s, const char *data_b64, cx_error *err)
{
	uint8_t *in = NULL;
	size_t inlen = 0;
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (s->state != ST_RUNNING && s->state != ST_VERIFIED)
		return cxi_error_set(err, CX_ERR_STATE, "no SASL success "
				     "expected in this state");
	if ((st = b64_decode(data_b64, &in, &inlen, err)) != CX_OK) {
		s->state = ST_FAILED;
		cxi_log(logger(s), CX_LOG_WARN, CX_LOG_CAT_SASL,
			"%s: success data is not valid base64",
			cxi_sasl_mech_name(s->mech));
		return st;
	}
	if (is_scram(s->mech) && s->state == ST_RUNNING) {
		if (s->challenges == 0) {
			st = fail(s, err, CX_ERR_AUTH_SERVER, "%s: success "
				  "before the SCRAM exchange was complete",
				  cxi_sasl_mech_name(s->mech));
			goto out;
		}
		if (inlen == 0) {
			st = fail(s, err, CX_ERR_AUTH_SERVER, "%s: success "
				  "without the server signature",
				  cxi_sasl_mech_name(s->mech));
			goto out;
		}
		if (memchr(in, '\0', inlen) != NULL) {
			st = fail(s, err, CX_ERR_AUTH_SERVER,
				  "%s: NUL byte in the server-final-message",
				  "SCRAM");
			goto out;
		}
		if ((st = verify_server_final(s, in, inlen, err)) != CX_OK)
			goto out;
		cxi_log(logger(s), CX_LOG_DEBUG, CX_LOG_CAT_SASL,
			"%s: server signature verified",
			cxi_sasl_mech_name(s->mech));
	} else if (inlen > 0) {
		cxi_log(logger(s), CX_LOG_DEBUG, CX_LOG_CAT_SASL,
			"%s: ignoring additional data with success",
			cxi_sasl_mech_name(s->mech));
	}
	s->state = ST_DONE;
	cxi_log(logger(s), CX_LOG_INFO, CX_LOG_CAT_SASL,
		"%s authentication succeeded", cxi_sasl_mech_name(s->mech));
out:
	wipe_free(in, inlen);
	return st;
}

cx_status
cxi_sasl_failure_status(const char *condition)
{
	static const struct {
		const char *condition;
		cx_status status;
	} map[] = {
		{ "not-authorized", CX_ERR_AUTH },
		{ "temporary-auth-failure", CX_ERR_AUTH_TEMPORARY },
		{ "account-disabled", CX_ERR_AUTH_DISABLED },
		{ "credentials-expired", CX_ERR_AUTH_EXPIRED },
		{ "encryption-required", CX_ERR_AUTH_ENCRYPTION },
		{ "invalid-mechanism", CX_ERR_AUTH_MECHANISM },
		{ "mechanism-too-weak", CX_ERR_AUTH_MECHANISM },
		{ "malformed-request", CX_ERR_AUTH_PROTOCOL },
		{ "incorrect-encoding", CX_ERR_AUTH_PROTOCOL },
		{ "invalid-authzid", CX_ERR_AUTH_PROTOCOL },
		{ "aborted", CX_ERR_AUTH_PROTOCOL },
	};
	size_t i;

	if (condition == NULL)
		return CX_ERR_AUTH;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].condition, condition) == 0)
			return map[i].status;
	return CX_ERR_AUTH;
}

/*
 * TLS client sessions on OpenSSL 3, driven through memory BIOs.
 *
 * Design notes
 *
 * - Byte pump. Each session owns an SSL with two memory BIOs: rbio holds
 *   ciphertext pushed in by the caller, wbio collects ciphertext for the
 *   caller to send. OpenSSL never sees a socket, so a session is a pure
 *   function of the bytes fed to it; the transport and the threads decide
 *   when bytes move. Plaintext is decrypted straight into the caller's
 *   cxi_buf reserve and ciphertext is BIO_read straight into the output
 *   buffer: one copy each way on top of what OpenSSL does itself.
 *
 * - Threads. A cxi_tls is used by one thread at a time; the caller (the
 *   connection lock in threads/) serialises every call. A cxi_tls_ctx is
 *   shared by any number of threads: after cxi_tls_ctx_new() returns, its
 *   SSL_CTX is only read (SSL_new is safe on a configured SSL_CTX), its
 *   refcount is atomic, and the one mutable part, the client session
 *   cache, is guarded by ctx->cache_lock. The new-session callback runs on
 *   whichever thread drives the session that received the ticket, so it
 *   takes that lock too; nothing else is locked and no lock is held while
 *   OpenSSL does crypto.
 *
 * - Errors. OpenSSL's error queue is per thread, and a stale entry left by
 *   one session would be blamed on the next. Every entry point clears the
 *   queue before calling OpenSSL and again after turning a failure into a
 *   cx_error, so the queue is empty whenever control leaves this file.
 *   Failures are sticky: after a fatal error the session only reports it.
 *
 * - Verification. We replace OpenSSL's whole certificate check with
 *   SSL_CTX_set_cert_verify_callback: it runs X509_verify_cert (chain,
 *   expiry, and the reference identity set with X509_VERIFY_PARAM_set1_host
 *   or set1_ip) and then applies the policy in one place: pins, when
 *   configured, decide alone (a match accepts an untrusted chain, no match
 *   rejects a trusted one); insecure_skip_verify accepts anything. Deciding
 *   inside the handshake, rather than after it, means a rejected server
 *   never gets a session into our cache and never sees our Finished. The
 *   callback records why it refused, so read() can say CX_ERR_TLS_VERIFY
 *   (tls_code = the X509_V_ERR_* value) or CX_ERR_TLS_PIN rather than
 *   OpenSSL's generic "certificate verify failed".
 *
 * - Resumption. The SSL_CTX is client-only and keeps no internal cache;
 *   the new-session callback stores the newest session per server name in a
 *   small LRU table, and client_new offers it back. TLS 1.3 tickets are
 *   single-use (RFC 8446 C.4), so they are taken out of the table when
 *   offered; TLS 1.2 sessions stay, because OpenSSL reports no new session
 *   after a TLS 1.2 abbreviated handshake. The table is per context, and a
 *   context is per trust configuration, so a session is only offered to a
 *   name that the same policy already verified. The table holds private
 *   copies (SSL_SESSION_dup) going in, and a TLS 1.2 session goes out as
 *   a copy too: OpenSSL writes to the session of a live SSL (it marks it
 *   not resumable after a fatal alert, say) and frees it from whichever
 *   thread drops the last reference, so a cached object that no live SSL
 *   shares is only ever touched under cache_lock.
 *
 * - tls-unique. RFC 5929 names the first Finished of the handshake: the
 *   client's on a full handshake, the server's on a resumed one. TLS 1.3
 *   reverses the order, and RFC 9266 forbids tls-unique there, but servers
 *   in the field (ejabberd and Prosody through OpenSSL) keep applying the
 *   TLS 1.2 rule under 1.3, so we apply it too: interoperating is the point.
 */
#include "config.h"

#include "lib/net/tls.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/core/error.h"

#define PIN_LEN 32           /* SHA-256 */
#define CACHE_SLOTS 32       /* sessions kept per context */
#define READ_CHUNK 16384     /* one TLS record of plaintext */
#define READ_MIN_ROOM 4096   /* grow plain_out below this much room */
#define CB_EXPORTER_LABEL "EXPORTER-Channel-Binding"
#define CB_EXPORTER_LEN 32

/* TLS 1.2: ECDHE/DHE with AEAD first, ECDHE-CBC for older servers; no
 * static RSA, no anonymous or null ciphers. TLS 1.3 keeps its defaults. */
#define CIPHERS_TLS12 \
	"ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:DHE+CHACHA20:ECDHE+AES:" \
	"!aNULL:!eNULL:!MD5:!DSS:!PSK:!SRP"

struct cache_slot {
	char *name;          /* server name, NULL: free slot */
	SSL_SESSION *sess;   /* our reference */
	uint64_t used;       /* LRU stamp */
};

struct cxi_tls_ctx {
	atomic_uint refs;
	SSL_CTX *ssl_ctx;
	uint8_t (*pins)[PIN_LEN];
	size_t npins;
	bool insecure;
	pthread_mutex_t cache_lock;
	struct cache_slot cache[CACHE_SLOTS]; /* protected by cache_lock */
	uint64_t cache_clock;                  /* protected by cache_lock */
};

struct cxi_tls {
	SSL *ssl;
	BIO *rbio;           /* ciphertext in (owned by ssl) */
	BIO *wbio;           /* ciphertext out (owned by ssl) */
	cxi_tls_ctx *ctx;    /* our reference */
	char *name;          /* server name as given */
	cxi_logger logbuf;
	const cxi_logger *log; /* &logbuf, or NULL for the default */
	bool hs_done;
	bool peer_closed;
	bool pin_mismatch;   /* set by the verify callback */
	long verify_code;    /* X509_V_ERR_* that made the callback refuse */
	cx_status failed;    /* sticky fatal status, or CX_OK */
};

/* ---- small helpers ---------------------------------------------------- */

static bool
is_ip_literal(const char *name, char *ip, size_t iplen)
{
	unsigned char addr[16];
	size_t n = strlen(name);

	if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
		if (n - 2 >= iplen)
			return false;
		memcpy(ip, name + 1, n - 2);
		ip[n - 2] = '\0';
	} else {
		cxi_strlcpy(ip, name, iplen);
	}
	return inet_pton(AF_INET, ip, addr) == 1 ||
	       inet_pton(AF_INET6, ip, addr) == 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* "sha256/BASE64" (44 characters of base64) or 64 hex digits. */
static bool
parse_pin(const char *s, uint8_t out[PIN_LEN])
{
	static const char prefix[] = "sha256/";
	size_t n;

	if (strncmp(s, prefix, sizeof(prefix) - 1) == 0) {
		unsigned char tmp[33];

		s += sizeof(prefix) - 1;
		n = strlen(s);
		/* 32 bytes = 44 characters, exactly one '=' of padding */
		if (n != 44 || s[43] != '=' || s[42] == '=')
			return false;
		if (EVP_DecodeBlock(tmp, (const unsigned char *)s, 44) != 33)
			return false;
		memcpy(out, tmp, PIN_LEN);
		return true;
	}
	if (strlen(s) != 2 * PIN_LEN)
		return false;
	for (size_t i = 0; i < PIN_LEN; i++) {
		int hi = hexval((unsigned char)s[2 * i]);
		int lo = hexval((unsigned char)s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* Fills err from the first entry of the OpenSSL error queue. */
static cx_status
set_ssl_error(cx_error *err, cx_status st, const char *what, const char *arg)
{
	unsigned long code = ERR_peek_error();
	char buf[160];

	if (code != 0)
		ERR_error_string_n(code, buf, sizeof(buf));
	else
		cxi_strlcpy(buf, "no details from OpenSSL", sizeof(buf));
	cxi_error_set(err, st, "TLS: %s%s%s: %s", what, arg ? " " : "",
		      arg ? arg : "", buf);
	if (err != NULL)
		err->tls_code = code;
	ERR_clear_error();
	return st;
}

/* ---- session cache ---------------------------------------------------- */

static bool
session_expired(SSL_SESSION *sess)
{
	time_t now = time(NULL);

	return SSL_SESSION_get_time(sess) + SSL_SESSION_get_timeout(sess) <=
	       (long)now;
}

static void
slot_clear(struct cache_slot *s)
{
	free(s->name);
	SSL_SESSION_free(s->sess);
	s->name = NULL;
	s->sess = NULL;
	s->used = 0;
}

/* Called by OpenSSL when the server hands us a resumable session (during
 * a TLS 1.2 handshake, or in a NewSessionTicket after a TLS 1.3 one).
 * We cache a private copy and return 0: OpenSSL keeps its own reference
 * for the live SSL. */
static int
on_new_session(SSL *ssl, SSL_SESSION *sess)
{
	cxi_tls *t = SSL_get_app_data(ssl);
	cxi_tls_ctx *c;
	struct cache_slot *slot = NULL;
	SSL_SESSION *copy;
	char *name;

	if (t == NULL || t->failed != CX_OK || !SSL_SESSION_is_resumable(sess))
		return 0;
	c = t->ctx;
	if ((name = strdup(t->name)) == NULL)
		return 0;
	if ((copy = SSL_SESSION_dup(sess)) == NULL) {
		free(name);
		ERR_clear_error();
		return 0;
	}
	pthread_mutex_lock(&c->cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_slot *s = &c->cache[i];

		if (s->name != NULL && strcmp(s->name, t->name) == 0) {
			slot = s;
			break;
		}
		if (slot == NULL || s->name == NULL ||
		    (slot->name != NULL && s->used < slot->used))
			slot = s; /* free or least recently used so far */
	}
	slot_clear(slot);
	slot->name = name;
	slot->sess = copy;
	slot->used = ++c->cache_clock;
	pthread_mutex_unlock(&c->cache_lock);
	return 0;
}

/* Returns an owned reference to a cached session for name, or NULL. */
static SSL_SESSION *
cache_take(cxi_tls_ctx *c, const char *name)
{
	SSL_SESSION *sess = NULL;

	pthread_mutex_lock(&c->cache_lock);
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct cache_slot *s = &c->cache[i];

		if (s->name == NULL || strcmp(s->name, name) != 0)
			continue;
		if (!SSL_SESSION_is_resumable(s->sess) ||
		    session_expired(s->sess)) {
			slot_clear(s);
			break;
		}
		if (SSL_SESSION_get_protocol_version(s->sess) >=
		    TLS1_3_VERSION) {
			sess = s->sess; /* single use: hand over our ref */
			s->sess = NULL;
			slot_clear(s);
		} else if ((sess = SSL_SESSION_dup(s->sess)) != NULL) {
			s->used = ++c->cache_clock;
		}
		break;
	}
	pthread_mutex_unlock(&c->cache_lock);
	return sess;
}

/* ---- verification ----------------------------------------------------- */

static bool
leaf_matches_pin(const cxi_tls_ctx *c, X509 *leaf)
{
	unsigned char *der = NULL;
	uint8_t md[PIN_LEN];
	unsigned int mdlen = 0;
	int len;
	bool ok = false;

	if (leaf == NULL)
		return false;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &der);
	if (len <= 0)
		return false;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) &&
	    mdlen == PIN_LEN) {
		for (size_t i = 0; i < c->npins && !ok; i++)
			ok = CRYPTO_memcmp(md, c->pins[i], PIN_LEN) == 0;
	}
	OPENSSL_free(der);
	return ok;
}

static int
verify_cert(X509_STORE_CTX *sctx, void *arg)
{
	cxi_tls_ctx *c = arg;
	SSL *ssl = X509_STORE_CTX_get_ex_data(sctx,
		SSL_get_ex_data_X509_STORE_CTX_idx());
	cxi_tls *t = ssl ? SSL_get_app_data(ssl) : NULL;
	int chain_ok;
	long code;

	if (t == NULL)
		return 0;
	chain_ok = X509_verify_cert(sctx) == 1;
	code = chain_ok ? X509_V_OK : X509_STORE_CTX_get_error(sctx);
	ERR_clear_error(); /* the verdict is in `code`, not the queue */

	if (c->insecure) {
		if (!chain_ok)
			cxi_log(t->log, CX_LOG_WARN, CX_LOG_CAT_TLS,
				"accepting the certificate of %s despite: %s "
				"(insecure_skip_verify)", t->name,
				X509_verify_cert_error_string(code));
		X509_STORE_CTX_set_error(sctx, X509_V_OK);
		return 1;
	}
	if (c->npins > 0) {
		if (leaf_matches_pin(c, X509_STORE_CTX_get0_cert(sctx))) {
			if (!chain_ok)
				cxi_log(t->log, CX_LOG_INFO, CX_LOG_CAT_TLS,
					"certificate of %s accepted by pin "
					"(chain: %s)", t->name,
					X509_verify_cert_error_string(code));
			X509_STORE_CTX_set_error(sctx, X509_V_OK);
			return 1;
		}
		t->pin_mismatch = true;
		X509_STORE_CTX_set_error(sctx,
					 X509_V_ERR_APPLICATION_VERIFICATION);
		return 0;
	}
	if (!chain_ok) {
		t->verify_code = code != X509_V_OK ? code :
			X509_V_ERR_UNSPECIFIED;
		return 0;
	}
	return 1;
}

/* ---- context ---------------------------------------------------------- */

static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0; /* encrypted keys are refused, never prompted for */
}

static cx_status
load_client_cert(SSL_CTX *sc, const cxi_tls_config *cfg, cx_error *err)
{
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	cx_status st = CX_OK;

	if (SSL_CTX_use_certificate_chain_file(sc, cfg->cert_file) != 1) {
		st = set_ssl_error(err, CX_ERR_TLS,
				   "cannot load client certificate",
				   cfg->cert_file);
		goto out;
	}
	if ((bio = BIO_new_file(cfg->key_file, "r")) == NULL ||
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase,
					    NULL)) == NULL) {
		st = set_ssl_error(err, CX_ERR_TLS, "cannot load client key",
				   cfg->key_file);
		goto out;
	}
	if (SSL_CTX_use_PrivateKey(sc, pkey) != 1 ||
	    SSL_CTX_check_private_key(sc) != 1) {
		ERR_clear_error();
		st = cxi_error_set(err, CX_ERR_TLS,
				   "TLS: client key %s does not match "
				   "certificate %s", cfg->key_file,
				   cfg->cert_file);
		goto out;
	}
out:
	EVP_PKEY_free(pkey);
	BIO_free(bio);
	return st;
}

/* OpenSSL fills some caches of a trust store lazily on first use: the
 * order of its objects and the cached extensions of each certificate.
 * Doing that here, before the context is shared, keeps the first
 * handshakes of many threads from racing to fill them. */
static void
warm_store(SSL_CTX *sc)
{
	X509_STORE *st = SSL_CTX_get_cert_store(sc);
	STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
	X509_STORE_CTX *x = X509_STORE_CTX_new();

	if (x == NULL || X509_STORE_CTX_init(x, st, NULL, NULL) != 1)
		goto out;
	for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
		X509 *cert = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
		X509_OBJECT *o;

		if (cert == NULL)
			continue;
		X509_check_purpose(cert, -1, 0);
		o = X509_STORE_CTX_get_obj_by_subject(x, X509_LU_X509,
						      X509_get_subject_name(cert));
		X509_OBJECT_free(o);
	}
out:
	X509_STORE_CTX_free(x);
	ERR_clear_error();
}

static void
ctx_destroy(cxi_tls_ctx *c)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		slot_clear(&c->cache[i]);
	pthread_mutex_destroy(&c->cache_lock);
	SSL_CTX_free(c->ssl_ctx);
	free(c->pins);
	free(c);
}

cx_status
cxi_tls_ctx_new(cxi_tls_ctx **out, const cxi_tls_config *cfg, cx_error *err)
{
	cxi_tls_ctx *c = NULL;
	SSL_CTX *sc;
	int minv;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "TLS: out is NULL");
	*out = NULL;
	if (cfg == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "TLS: no configuration");
	if (cfg->min_version == 0 || cfg->min_version == 0x0303)
		minv = TLS1_2_VERSION;
	else if (cfg->min_version == 0x0304)
		minv = TLS1_3_VERSION;
	else
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: min_version 0x%04x is not 0x0303 "
				     "(TLS 1.2) or 0x0304 (TLS 1.3)",
				     (unsigned)cfg->min_version);
	if ((cfg->cert_file == NULL) != (cfg->key_file == NULL))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: a client certificate needs both "
				     "cert_file and key_file");
	if (cfg->npins > 0 && cfg->pins == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: npins > 0 but pins is NULL");

	ERR_clear_error();
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	if (pthread_mutex_init(&c->cache_lock, NULL) != 0) {
		free(c);
		return cxi_error_set(err, CX_ERR_SYSTEM,
				     "TLS: cannot create a mutex");
	}
	atomic_init(&c->refs, 1);
	c->insecure = cfg->insecure_skip_verify;
	if (cfg->npins > 0) {
		c->pins = calloc(cfg->npins, sizeof(*c->pins));
		if (c->pins == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, NULL);
			goto fail;
		}
		for (size_t i = 0; i < cfg->npins; i++) {
			if (cfg->pins[i] == NULL ||
			    !parse_pin(cfg->pins[i], c->pins[i])) {
				st = cxi_error_set(err, CX_ERR_INVALID,
						   "TLS: pin %zu is neither "
						   "sha256/BASE64 nor 64 hex "
						   "digits", i);
				goto fail;
			}
		}
		c->npins = cfg->npins;
	}

	if ((sc = c->ssl_ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		st = set_ssl_error(err, CX_ERR_NOMEM, "SSL_CTX_new failed", NULL);
		goto fail;
	}
	SSL_CTX_set_default_passwd_cb(sc, no_passphrase);
	if (SSL_CTX_set_min_proto_version(sc, minv) != 1 ||
	    SSL_CTX_set_cipher_list(sc, CIPHERS_TLS12) != 1) {
		st = set_ssl_error(err, CX_ERR_TLS, "cannot set protocol policy",
				   NULL);
		goto fail;
	}
	SSL_CTX_set_options(sc, SSL_OP_NO_COMPRESSION |
				SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_cert_verify_callback(sc, verify_cert, c);

	if (cfg->ca_file != NULL || cfg->ca_dir != NULL) {
		if (SSL_CTX_load_verify_locations(sc, cfg->ca_file,
						  cfg->ca_dir) != 1) {
			st = set_ssl_error(err, CX_ERR_TLS,
					   "cannot load trust anchors from",
					   cfg->ca_file ? cfg->ca_file :
					   cfg->ca_dir);
			goto fail;
		}
	} else if (SSL_CTX_set_default_verify_paths(sc) != 1) {
		st = set_ssl_error(err, CX_ERR_TLS,
				   "cannot load the system trust store", NULL);
		goto fail;
	}

	warm_store(sc);
	if (cfg->cert_file != NULL &&
	    (st = load_client_cert(sc, cfg, err)) != CX_OK)
		goto fail;

	SSL_CTX_set_session_cache_mode(sc, SSL_SESS_CACHE_CLIENT |
					   SSL_SESS_CACHE_NO_INTERNAL_STORE);
	SSL_CTX_sess_set_new_cb(sc, on_new_session);

	ERR_clear_error();
	*out = c;
	return CX_OK;
fail:
	ERR_clear_error();
	ctx_destroy(c);
	return st;
}

void
cxi_tls_ctx_ref(cxi_tls_ctx *ctx)
{
	if (ctx != NULL)
		atomic_fetch_add_explicit(&ctx->refs, 1, memory_order_relaxed);
}

void
cxi_tls_ctx_unref(cxi_tls_ctx *ctx)
{
	if (ctx == NULL)
		return;
	if (atomic_fetch_sub_explicit(&ctx->refs, 1,
				      memory_order_acq_rel) == 1)
		ctx_destroy(ctx);
}

/* ---- sessions --------------------------------------------------------- */

/* Turns the failure of an SSL_* call into a status; fatal ones stick. */
static cx_status
ssl_failure(cxi_tls *t, int ret, const char *what, cx_error *err)
{
	int e = SSL_get_error(t->ssl, ret);
	cx_status st;

	if (e == SSL_ERROR_ZERO_RETURN) {
		t->peer_closed = true;
		ERR_clear_error();
		return cxi_error_set(err, CX_ERR_CLOSED,
				     "TLS: %s closed the connection "
				     "(close_notify)", t->name);
	}
	if (t->pin_mismatch) {
		st = cxi_error_set(err, CX_ERR_TLS_PIN,
				   "TLS: the key of %s matches none of the %zu "
				   "pinned fingerprints", t->name,
				   t->ctx->npins);
		ERR_clear_error();
	} else if (t->verify_code != X509_V_OK) {
		st = cxi_error_set(err, CX_ERR_TLS_VERIFY,
				   "TLS: certificate of %s rejected: %s",
				   t->name,
				   X509_verify_cert_error_string(t->verify_code));
		if (err != NULL)
			err->tls_code = (unsigned long)t->verify_code;
		ERR_clear_error();
	} else if (ERR_peek_error() == 0 && e == SSL_ERROR_SYSCALL) {
		st = cxi_error_set(err, CX_ERR_TLS,
				   "TLS: %s with %s failed: unexpected end of "
				   "input", what, t->name);
	} else {
		char ctxmsg[160];

		snprintf(ctxmsg, sizeof(ctxmsg), "%s with %s failed", what,
			 t->name);
		st = set_ssl_error(err, CX_ERR_TLS, ctxmsg, NULL);
	}
	t->failed = st;
	cxi_log(t->log, CX_LOG_DEBUG, CX_LOG_CAT_TLS, "%s failed (%s)", what,
		cx_strerror(st));
	return st;
}

static cx_status
sticky(const cxi_tls *t, cx_error *err)
{
	return cxi_error_set(err, t->failed,
			     "TLS: the session with %s failed earlier (%s)",
			     t->name, cx_strerror(t->failed));
}

static void
tls_free(cxi_tls *t)
{
	if (t == NULL)
		return;
	/* OpenSSL invalidates the session of an SSL freed without a
	 * close_notify, the TLS 1.0 rule; TLS 1.1 (RFC 4346 section 7.2.1)
	 * dropped it, and a TCP connection cut by a NAT is no reason to pay
	 * a full handshake. Fatal alerts still invalidate the session. */
	if (t->ssl != NULL && t->hs_done && t->failed == CX_OK)
		SSL_set_shutdown(t->ssl, SSL_get_shutdown(t->ssl) |
					 SSL_SENT_SHUTDOWN);
	SSL_free(t->ssl); /* frees both BIOs */
	cxi_tls_ctx_unref(t->ctx);
	free(t->name);
	free(t);
}

static cxi_tls *
tls_client_new(void *vctx, const char *server_name, const char *alpn,
	       const cxi_logger *log, cx_error *err)
{
	cxi_tls_ctx *c = vctx;
	cxi_tls *t = NULL;
	SSL_SESSION *sess;
	X509_VERIFY_PARAM *param;
	char ip[64];
	int r;

	if (c == NULL || server_name == NULL || *server_name == '\0') {
		cxi_error_set(err, CX_ERR_INVALID,
			      "TLS: a context and a server name are required");
		return NULL;
	}
	if (alpn != NULL && (*alpn == '\0' || strlen(alpn) > 255)) {
		cxi_error_set(err, CX_ERR_INVALID,
			      "TLS: ALPN protocol must be 1-255 bytes");
		return NULL;
	}
	ERR_clear_error();
	if ((t = calloc(1, sizeof(*t))) == NULL)
		goto nomem;
	if (log != NULL) {
		t->logbuf = *log;
		t->log = &t->logbuf;
	}
	t->verify_code = X509_V_OK;
	cxi_tls_ctx_ref(c);
	t->ctx = c;
	if ((t->name = strdup(server_name)) == NULL)
		goto nomem;
	if ((t->ssl = SSL_new(c->ssl_ctx)) == NULL)
		goto ssl_fail;
	if ((t->rbio = BIO_new(BIO_s_mem())) == NULL)
		goto ssl_fail;
	if ((t->wbio = BIO_new(BIO_s_mem())) == NULL) {
		BIO_free(t->rbio);
		goto ssl_fail;
	}
	/* An empty rbio must mean "try again", not end of file. */
	BIO_set_mem_eof_return(t->rbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_app_data(t->ssl, t);
	SSL_set_connect_state(t->ssl);

	param = SSL_get0_param(t->ssl);
	X509_VERIFY_PARAM_set_hostflags(param,
					X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (is_ip_literal(server_name, ip, sizeof(ip))) {
		/* RFC 6066: no IP literals in SNI */
		if (X509_VERIFY_PARAM_set1_ip_asc(param, ip) != 1)
			goto ssl_fail;
	} else {
		if (SSL_set_tlsext_host_name(t->ssl, server_name) != 1 ||
		    X509_VERIFY_PARAM_set1_host(param, server_name, 0) != 1)
			goto ssl_fail;
	}
	if (alpn != NULL) {
		unsigned char wire[256];
		size_t n = strlen(alpn);

		wire[0] = (unsigned char)n;
		memcpy(wire + 1, alpn, n);
		/* returns 0 on success */
		if (SSL_set_alpn_protos(t->ssl, wire, (unsigned)n + 1) != 0)
			goto ssl_fail;
	}
	if ((sess = cache_take(c, server_name)) != NULL) {
		r = SSL_set_session(t->ssl, sess);
		SSL_SESSION_free(sess);
		if (r == 1)
			cxi_log(t->log, CX_LOG_DEBUG, CX_LOG_CAT_TLS,
				"offering a cached session to %s",
				server_name);
		ERR_clear_error();
	}
	if (c->insecure)
		cxi_log(t->log, CX_LOG_WARN, CX_LOG_CAT_TLS,
			"certificate verification is DISABLED for %s "
			"(insecure_skip_verify)", server_name);

	r = SSL_do_handshake(t->ssl);
	if (r <= 0 && SSL_get_error(t->ssl, r) != SSL_ERROR_WANT_READ) {
		ssl_failure(t, r, "handshake start", err);
		tls_free(t);
		return NULL;
	}
	ERR_clear_error();
	return t;
nomem:
	cxi_error_set(err, CX_ERR_NOMEM, NULL);
	ERR_clear_error();
	tls_free(t);
	return NULL;
ssl_fail:
	set_ssl_error(err, CX_ERR_TLS, "cannot set up a session for",
		      server_name);
	tls_free(t);
	return NULL;
}

static cx_status
tls_push_input(cxi_tls *t, const void *data, size_t len, cx_error *err)
{
	size_t done = 0;

	if (t == NULL || (data == NULL && len > 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: push_input needs data");
	if (len == 0)
		return CX_OK;
	ERR_clear_error();
	if (BIO_write_ex(t->rbio, data, len, &done) != 1 || done != len) {
		ERR_clear_error();
		return cxi_error_set(err, CX_ERR_NOMEM,
				     "TLS: cannot buffer %zu bytes of input",
				     len);
	}
	return CX_OK;
}

static void
log_handshake(cxi_tls *t)
{
	const unsigned char *proto = NULL;
	unsigned int plen = 0;

	if (!cxi_log_enabled(t->log, CX_LOG_DEBUG))
		return;
	SSL_get0_alpn_selected(t->ssl, &proto, &plen);
	cxi_log(t->log, CX_LOG_DEBUG, CX_LOG_CAT_TLS,
		"handshake with %s done: %s, %s%s%s%.*s", t->name,
		SSL_get_version(t->ssl), SSL_get_cipher_name(t->ssl),
		SSL_session_reused(t->ssl) ? ", resumed" : "",
		plen ? ", ALPN " : "", (int)plen, plen ? (const char *)proto : "");
}

static cx_status
tls_read(cxi_tls *t, cxi_buf *plain_out, cx_error *err)
{
	cx_status st;
	size_t n;
	int r;

	if (t == NULL || plain_out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: read needs a session and a buffer");
	if (t->failed != CX_OK)
		return sticky(t, err);
	if (t->peer_closed)
		return cxi_error_set(err, CX_ERR_CLOSED,
				     "TLS: %s closed the connection "
				     "(close_notify)", t->name);
	ERR_clear_error();
	if (!t->hs_done) {
		r = SSL_do_handshake(t->ssl);
		if (r != 1) {
			if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ) {
				ERR_clear_error();
				return CX_OK;
			}
			return ssl_failure(t, r, "handshake", err);
		}
		t->hs_done = true;
		log_handshake(t);
	}
	for (;;) {
		if (plain_out->cap - plain_out->len < READ_MIN_ROOM &&
		    (st = cxi_buf_reserve(plain_out, READ_CHUNK)) != CX_OK)
			return cxi_error_set(err, st, NULL);
		r = SSL_read_ex(t->ssl, plain_out->data + plain_out->len,
				plain_out->cap - plain_out->len, &n);
		if (r != 1)
			break;
		plain_out->len += n;
	}
	if (SSL_get_error(t->ssl, r) == SSL_ERROR_WANT_READ) {
		ERR_clear_error();
		return CX_OK;
	}
	return ssl_failure(t, r, "read", err);
}

static cx_status
tls_write(cxi_tls *t, const void *data, size_t len, cx_error *err)
{
	size_t n = 0;
	int r;

	if (t == NULL || (data == NULL && len > 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "TLS: write needs data");
	if (t->failed != CX_OK)
		return sticky(t, err);
	if (!t->hs_done)
		return cxi_error_set(err, CX_ERR_STATE,
				     "TLS: write before the handshake is done");
	if (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)
		return cxi_error_set(err, CX_ERR_STATE,
				     "TLS: write after shutdown");
	if (len == 0)
		return CX_OK;
	ERR_clear_error();
	/* The memory BIO never pushes back, so one call writes everything. */
	r = SSL_write_ex(t->ssl, data, len, &n);
	if (r != 1 || n != len)
		return ssl_failure(t, r, "write", err);
	return CX_OK;
}

static cx_status
tls_shutdown(cxi_tls *t, cx_error *err)
{
	int r;

	if (t == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "TLS: no session");
	if (t->failed != CX_OK)
		return sticky(t, err);
	if (!t->hs_done)
		return cxi_error_set(err, CX_ERR_STATE,
				     "TLS: shutdown before the handshake is "
				     "done");
	if (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)
		return CX_OK;
	ERR_clear_error();
	r = SSL_shutdown(t->ssl); /* 0: sent, peer's not seen yet; 1: both */
	if (r < 0)
		return ssl_failure(t, r, "shutdown", err);
	ERR_clear_error();
	return CX_OK;
}

static cx_status
tls_pull_output(cxi_tls *t, cxi_buf *cipher_out)
{
	size_t pending, n = 0;
	cx_status st;

	if (t == NULL || cipher_out == NULL)
		return CX_ERR_INVALID;
	pending = BIO_ctrl_pending(t->wbio);
	if (pending == 0)
		return CX_OK;
	if ((st = cxi_buf_reserve(cipher_out, pending)) != CX_OK)
		return st;
	ERR_clear_error();
	if (BIO_read_ex(t->wbio, cipher_out->data + cipher_out->len, pending,
			&n) != 1) {
		ERR_clear_error();
		return CX_ERR_NOMEM;
	}
	cipher_out->len += n;
	return CX_OK;
}

static bool
tls_handshake_done(const cxi_tls *t)
{
	return t != NULL && t->hs_done;
}

static int
tls_version(const cxi_tls *t)
{
	if (t == NULL || !t->hs_done)
		return 0;
	return SSL_version(t->ssl);
}

static cx_status
tls_channel_binding(cxi_tls *t, const char *type, cxi_buf *out)
{
	cx_status st;
	size_t n;

	if (t == NULL || type == NULL || out == NULL)
		return CX_ERR_INVALID;
	if (t->failed != CX_OK || !t->hs_done)
		return CX_ERR_STATE;
	ERR_clear_error();
	if (strcmp(type, "tls-exporter") == 0) {
		/* RFC 9266 section 2: defined for TLS 1.3 only */
		if (SSL_version(t->ssl) < TLS1_3_VERSION)
			return CX_ERR_NOT_SUPPORTED;
		if ((st = cxi_buf_reserve(out, CB_EXPORTER_LEN)) != CX_OK)
			return st;
		if (SSL_export_keying_material(t->ssl, out->data + out->len,
				CB_EXPORTER_LEN, CB_EXPORTER_LABEL,
				sizeof(CB_EXPORTER_LABEL) - 1, NULL, 0, 0) != 1) {
			ERR_clear_error();
			return CX_ERR_NOT_SUPPORTED;
		}
		out->len += CB_EXPORTER_LEN;
		return CX_OK;
	}
	if (strcmp(type, "tls-unique") == 0) {
		unsigned char fin[EVP_MAX_MD_SIZE];

		/* The first Finished: ours on a full handshake, the
		 * server's on a resumed one (see the design notes on 1.3). */
		if (SSL_session_reused(t->ssl))
			n = SSL_get_peer_finished(t->ssl, fin, sizeof(fin));
		else
			n = SSL_get_finished(t->ssl, fin, sizeof(fin));
		if (n == 0 || n > sizeof(fin))
			return CX_ERR_NOT_SUPPORTED;
		return cxi_buf_append(out, fin, n);
	}
	return CX_ERR_INVALID;
}

const cxi_tls_ops cxi_tls_openssl_ops = {
	.client_new = tls_client_new,
	.free = tls_free,
	.push_input = tls_push_input,
	.read = tls_read,
	.write = tls_write,
	.shutdown = tls_shutdown,
	.pull_output = tls_pull_output,
	.handshake_done = tls_handshake_done,
	.channel_binding = tls_channel_binding,
	.version = tls_version,
};

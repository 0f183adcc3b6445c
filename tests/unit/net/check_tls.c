/*
 * Tests of the OpenSSL TLS engine (lib/net/tls.c).
 *
 * The client engine talks to a real OpenSSL server engine in this process;
 * a pump moves ciphertext between the two pairs of memory BIOs. One test
 * talks to `openssl s_server` over a loopback socket. The certificates are
 * made at start-up with the OpenSSL API in a temporary directory: a CA, a
 * server certificate for localhost (with SANs), an expired one, one for
 * another name, one with wildcards, a second unrelated CA and a client
 * certificate.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "lib/core/buf.h"
#include "lib/net/tls.h"
#include "tests/unit/testutil.h"

#define OPS (&cxi_tls_openssl_ops)
#define DAY (24L * 3600L)

/* ---- fixtures ---------------------------------------------------------- */

enum cert_kind { KIND_CA, KIND_SERVER, KIND_CLIENT };

struct ident {
	EVP_PKEY *key;
	X509 *cert;
	char cert_path[512];
	char key_path[512];
};

static char fixdir[256];
static pid_t fix_owner;
static struct ident ca, ca2, srv_good, srv_ca2, srv_expired, srv_other,
	srv_wild, client_id;
static char ca_path[512], ca2_path[512], ca_hashdir[512], stray_key_path[512];
static long next_serial = 1;

static void
add_ext(X509 *x, X509V3_CTX *v3, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, v3, nid, value);

	if (e == NULL || !X509_add_ext(x, e, -1))
		abort();
	X509_EXTENSION_free(e);
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, const char *san,
	  const struct ident *issuer, long from, long to, enum cert_kind kind)
{
	X509 *x = X509_new();
	X509_NAME *name;
	X509V3_CTX v3;

	if (x == NULL)
		abort();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), from);
	X509_gmtime_adj(X509_getm_notAfter(x), to);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
				   (const unsigned char *)"cxmpp tests", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer->cert) :
				       name);
	X509V3_set_ctx(&v3, issuer ? issuer->cert : x, x, NULL, NULL, 0);
	if (kind == KIND_CA) {
		add_ext(x, &v3, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(x, &v3, NID_key_usage, "critical,keyCertSign,cRLSign");
		add_ext(x, &v3, NID_subject_key_identifier, "hash");
	} else {
		add_ext(x, &v3, NID_basic_constraints, "CA:FALSE");
		add_ext(x, &v3, NID_key_usage, "critical,digitalSignature");
		add_ext(x, &v3, NID_ext_key_usage,
			kind == KIND_SERVER ? "serverAuth" : "clientAuth");
		add_ext(x, &v3, NID_authority_key_identifier, "keyid");
	}
	if (san != NULL)
		add_ext(x, &v3, NID_subject_alt_name, san);
	if (!X509_sign(x, issuer ? issuer->key : key, EVP_sha256()))
		abort();
	return x;
}

static void
write_ident(struct ident *id, const char *base)
{
	FILE *f;

	snprintf(id->cert_path, sizeof(id->cert_path), "%s/%s.pem", fixdir,
		 base);
	snprintf(id->key_path, sizeof(id->key_path), "%s/%s.key", fixdir, base);
	if ((f = fopen(id->cert_path, "w")) == NULL ||
	    !PEM_write_X509(f, id->cert) || fclose(f) != 0)
		abort();
	if ((f = fopen(id->key_path, "w")) == NULL ||
	    !PEM_write_PrivateKey(f, id->key, NULL, NULL, 0, NULL, NULL) ||
	    fclose(f) != 0)
		abort();
}

static void
make_ident(struct ident *id, const char *base, const char *cn,
	   const char *san, const struct ident *issuer, long from, long to,
	   enum cert_kind kind)
{
	if ((id->key = EVP_EC_gen("P-256")) == NULL)
		abort();
	id->cert = make_cert(id->key, cn, san, issuer, from, to, kind);
	write_ident(id, base);
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void
fixtures_cleanup(void)
{
	struct ident *all[] = { &ca, &ca2, &srv_good, &srv_ca2, &srv_expired,
				&srv_other, &srv_wild, &client_id };

	if (getpid() != fix_owner) /* Check's forked children exit too */
		return;
	nftw(fixdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		X509_free(all[i]->cert);
		EVP_PKEY_free(all[i]->key);
	}
}

static void
fixtures_make(void)
{
	const char *san_local =
		"DNS:localhost,DNS:pubsub.localhost,IP:127.0.0.1,IP:::1";
	char link[600];
	FILE *f;

	snprintf(fixdir, sizeof(fixdir), "/tmp/cxmpp-tls-XXXXXX");
	if (mkdtemp(fixdir) == NULL)
		abort();
	fix_owner = getpid();
	atexit(fixtures_cleanup);

	make_ident(&ca, "ca", "cxmpp test CA", NULL, NULL, -DAY, 30 * DAY,
		   KIND_CA);
	make_ident(&ca2, "ca2", "unrelated CA", NULL, NULL, -DAY, 30 * DAY,
		   KIND_CA);
	make_ident(&srv_good, "server", "localhost", san_local, &ca, -DAY,
		   30 * DAY, KIND_SERVER);
	make_ident(&srv_ca2, "server-ca2", "localhost", san_local, &ca2, -DAY,
		   30 * DAY, KIND_SERVER);
	make_ident(&srv_expired, "expired", "localhost", san_local, &ca,
		   -30 * DAY, -DAY, KIND_SERVER);
	make_ident(&srv_other, "other", "other.example", "DNS:other.example",
		   &ca, -DAY, 30 * DAY, KIND_SERVER);
	make_ident(&srv_wild, "wild", "*.example.org",
		   "DNS:*.example.org,DNS:x*.example.net", &ca, -DAY, 30 * DAY,
		   KIND_SERVER);
	make_ident(&client_id, "client", "alice@localhost", NULL, &ca, -DAY,
		   30 * DAY, KIND_CLIENT);
	snprintf(ca_path, sizeof(ca_path), "%s", ca.cert_path);
	snprintf(ca2_path, sizeof(ca2_path), "%s", ca2.cert_path);
	/* a key that belongs to no certificate: the unrelated CA's */
	snprintf(stray_key_path, sizeof(stray_key_path), "%s", ca2.key_path);

	/* a c_rehash-style directory holding the first CA */
	snprintf(ca_hashdir, sizeof(ca_hashdir), "%s/hashed", fixdir);
	if (mkdir(ca_hashdir, 0700) != 0)
		abort();
	snprintf(link, sizeof(link), "%s/%08lx.0", ca_hashdir,
		 X509_subject_name_hash(ca.cert));
	if ((f = fopen(link, "w")) == NULL || !PEM_write_X509(f, ca.cert) ||
	    fclose(f) != 0)
		abort();
}

/* SHA-256 of the SubjectPublicKeyInfo, computed independently of tls.c. */
static void
spki_pins(X509 *cert, char hex[65], char b64[64])
{
	unsigned char *der = NULL, md[32];
	unsigned int mdlen = 0;
	int len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);

	ck_assert_int_gt(len, 0);
	ck_assert(EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL));
	OPENSSL_free(der);
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	strcpy(b64, "sha256/");
	EVP_EncodeBlock((unsigned char *)b64 + 7, md, 32);
}

/* ---- log capture ------------------------------------------------------- */

static int log_insecure_warnings;

static void
capture_log(void *arg, cx_log_level level, const char *category,
	    const char *msg)
{
	/* CXT_TLS_LOG=1 shows the engine's log while debugging a test */
	if (getenv("CXT_TLS_LOG") != NULL)
		fprintf(stderr, "[%s] %s\n", category, msg);
	if (level == CX_LOG_WARN && strcmp(category, CX_LOG_CAT_TLS) == 0 &&
	    strstr(msg, "insecure_skip_verify") != NULL &&
	    strstr(msg, "DISABLED") != NULL)
		log_insecure_warnings++;
}

static const cxi_logger quiet_log = { capture_log, NULL, CX_LOG_TRACE };

/* ---- the test server engine -------------------------------------------- */

struct srv {
	SSL *ssl;
	BIO *rbio, *wbio;
	bool failed;
	bool got_close;
	char alpn_offered[256]; /* the client's list, comma-separated */
	unsigned long fail_code;
};

static int
srv_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
	 const unsigned char *in, unsigned int inlen, void *arg)
{
	struct srv *s = SSL_get_app_data(ssl);
	size_t o = 0;
	int ret = SSL_TLSEXT_ERR_NOACK;

	for (unsigned i = 0; i < inlen;) {
		unsigned n = in[i];

		if (i + 1 + n > inlen || o + n + 2 > sizeof(s->alpn_offered))
			break;
		if (o > 0)
			s->alpn_offered[o++] = ',';
		memcpy(s->alpn_offered + o, in + i + 1, n);
		o += n;
		if (n == 11 && memcmp(in + i + 1, "xmpp-client", 11) == 0) {
			*out = in + i + 1;
			*outlen = (unsigned char)n;
			ret = SSL_TLSEXT_ERR_OK;
		}
		i += 1 + n;
	}
	s->alpn_offered[o] = '\0';
	return ret;
}

static SSL_CTX *
srv_ctx(const struct ident *id, int minv, int maxv)
{
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method());

	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(SSL_CTX_use_certificate(sc, id->cert), 1);
	ck_assert_int_eq(SSL_CTX_use_PrivateKey(sc, id->key), 1);
	if (minv != 0 && minv < TLS1_2_VERSION) {
		/* OpenSSL 3 refuses TLS < 1.2 at the default security level */
		SSL_CTX_set_security_level(sc, 0);
		ck_assert_int_eq(SSL_CTX_set_cipher_list(sc, "ALL:@SECLEVEL=0"),
				 1);
	}
	if (minv)
		ck_assert_int_eq(SSL_CTX_set_min_proto_version(sc, minv), 1);
	if (maxv)
		ck_assert_int_eq(SSL_CTX_set_max_proto_version(sc, maxv), 1);
	SSL_CTX_set_session_id_context(sc, (const unsigned char *)"cxt", 3);
	SSL_CTX_set_alpn_select_cb(sc, srv_alpn, NULL);
	return sc;
}

static void
srv_start(struct srv *s, SSL_CTX *sc)
{
	memset(s, 0, sizeof(*s));
	s->ssl = SSL_new(sc);
	s->rbio = BIO_new(BIO_s_mem());
	s->wbio = BIO_new(BIO_s_mem());
	ck_assert(s->ssl && s->rbio && s->wbio);
	BIO_set_mem_eof_return(s->rbio, -1);
	SSL_set_bio(s->ssl, s->rbio, s->wbio);
	SSL_set_app_data(s->ssl, s);
	SSL_set_accept_state(s->ssl);
}

static void
srv_step(struct srv *s, cxi_buf *plain)
{
	size_t n;
	int r, e;

	if (s->failed)
		return;
	if (!SSL_is_init_finished(s->ssl)) {
		r = SSL_do_handshake(s->ssl);
		if (r != 1) {
			if (SSL_get_error(s->ssl, r) != SSL_ERROR_WANT_READ) {
				s->failed = true;
				s->fail_code = ERR_peek_error();
			}
			ERR_clear_error();
			return;
		}
	}
	for (;;) {
		ck_assert_int_eq(cxi_buf_reserve(plain, 16384), CX_OK);
		r = SSL_read_ex(s->ssl, plain->data + plain->len,
				plain->cap - plain->len, &n);
		if (r != 1)
			break;
		plain->len += n;
	}
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_ZERO_RETURN)
		s->got_close = true;
	else if (e != SSL_ERROR_WANT_READ)
		s->failed = true;
	ERR_clear_error();
}

static void
srv_write(struct srv *s, const void *data, size_t len)
{
	size_t n = 0;

	ck_assert_int_eq(SSL_write_ex(s->ssl, data, len, &n), 1);
	ck_assert_uint_eq(n, len);
}

/* ---- a client/server pair ---------------------------------------------- */

struct pair {
	cxi_tls_ctx *cctx;
	cxi_tls *c;
	struct srv s;
	cxi_buf cplain, splain, wire;
	cx_error err;
	bool bytewise; /* feed the client one byte at a time */
};

static cxi_tls_ctx *
client_ctx(const cxi_tls_config *cfg)
{
	cxi_tls_ctx *c = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cxi_tls_ctx_new(&c, cfg, &err) == CX_OK, "ctx: %s",
		      err.message);
	ck_assert_ptr_nonnull(c);
	return c;
}

static cxi_tls_ctx *
ca_ctx(void)
{
	cxi_tls_config cfg = { .ca_file = ca_path };

	return client_ctx(&cfg);
}

static void
pair_start(struct pair *p, cxi_tls_ctx *cctx, SSL_CTX *sc, const char *name,
	   const char *alpn)
{
	memset(p, 0, sizeof(*p));
	cxi_buf_init(&p->cplain);
	cxi_buf_init(&p->splain);
	cxi_buf_init(&p->wire);
	cxi_tls_ctx_ref(cctx);
	p->cctx = cctx;
	srv_start(&p->s, sc);
	p->c = OPS->client_new(cctx, name, alpn, &quiet_log, &p->err);
	ck_assert_msg(p->c != NULL, "client_new: %s", p->err.message);
	ck_assert(!OPS->handshake_done(p->c));
	ck_assert_int_eq(OPS->version(p->c), 0);
}

static void
pair_end(struct pair *p)
{
	OPS->free(p->c);
	SSL_free(p->s.ssl);
	cxi_tls_ctx_unref(p->cctx);
	cxi_buf_free(&p->cplain);
	cxi_buf_free(&p->splain);
	cxi_buf_free(&p->wire);
	/* nothing may be left on this thread's OpenSSL error queue */
	ck_assert_uint_eq(ERR_peek_error(), 0);
}

/* Moves bytes both ways until nothing moves; returns the client's status. */
static cx_status
pump(struct pair *p)
{
	cx_status st;

	cx_error_clear(&p->err);
	for (int round = 0; round < 10000; round++) {
		bool moved = false;
		size_t n;

		ck_assert_int_eq(OPS->pull_output(p->c, &p->wire), CX_OK);
		if ((n = cxi_buf_size(&p->wire)) > 0) {
			ck_assert_int_eq(BIO_write(p->s.rbio,
						   cxi_buf_head(&p->wire),
						   (int)n), (int)n);
			cxi_buf_reset(&p->wire);
			moved = true;
		}
		srv_step(&p->s, &p->splain);
		if ((n = BIO_ctrl_pending(p->s.wbio)) > 0) {
			ck_assert_int_eq(cxi_buf_reserve(&p->wire, n), CX_OK);
			ck_assert_int_eq(BIO_read(p->s.wbio,
						  p->wire.data + p->wire.len,
						  (int)n), (int)n);
			p->wire.len += n;
			moved = true;
			if (p->bytewise) {
				for (size_t i = 0; i < n; i++) {
					st = OPS->push_input(p->c,
						cxi_buf_head(&p->wire) + i, 1,
						&p->err);
					ck_assert_int_eq(st, CX_OK);
					st = OPS->read(p->c, &p->cplain,
						       &p->err);
					if (st != CX_OK) {
						cxi_buf_reset(&p->wire);
						return st;
					}
				}
			} else {
				st = OPS->push_input(p->c,
						     cxi_buf_head(&p->wire), n,
						     &p->err);
				ck_assert_int_eq(st, CX_OK);
			}
			cxi_buf_reset(&p->wire);
		}
		if ((st = OPS->read(p->c, &p->cplain, &p->err)) != CX_OK)
			return st;
		if (!moved)
			return CX_OK;
	}
	ck_abort_msg("pump does not settle");
	return CX_ERR_TIMEOUT;
}

/* After a client failure: delivers its last words (an alert) to the server. */
static void
flush_to_server(struct pair *p)
{
	size_t n;

	ck_assert_int_eq(OPS->pull_output(p->c, &p->wire), CX_OK);
	if ((n = cxi_buf_size(&p->wire)) > 0)
		ck_assert_int_eq(BIO_write(p->s.rbio, cxi_buf_head(&p->wire),
					   (int)n), (int)n);
	cxi_buf_reset(&p->wire);
	srv_step(&p->s, &p->splain);
}

/* Runs a whole handshake for `name` against a server with `id`. */
static cx_status
connect_to(struct pair *p, cxi_tls_ctx *cctx, const struct ident *id,
	   const char *name, int smin, int smax)
{
	SSL_CTX *sc = srv_ctx(id, smin, smax);
	cx_status st;

	pair_start(p, cctx, sc, name, NULL);
	SSL_CTX_free(sc); /* the server SSL keeps its own reference */
	st = pump(p);
	return st;
}

static void
expect_connected(struct pair *p)
{
	ck_assert(OPS->handshake_done(p->c));
	ck_assert(SSL_is_init_finished(p->s.ssl));
	ck_assert(!p->s.failed);
}

static void
fill_pattern(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)((i * 131u + seed) ^ (i >> 8));
}

/* Sends n bytes each way and checks they arrive intact. */
static void
roundtrip(struct pair *p, size_t n)
{
	uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);

	ck_assert(a && b);
	fill_pattern(a, n, 7);
	fill_pattern(b, n, 99);
	cxi_buf_reset(&p->splain);
	cxi_buf_reset(&p->cplain);
	ck_assert_int_eq(OPS->write(p->c, a, n, &p->err), CX_OK);
	ck_assert_int_eq(pump(p), CX_OK);
	ck_assert_uint_eq(cxi_buf_size(&p->splain), n);
	ck_assert(memcmp(cxi_buf_head(&p->splain), a, n) == 0);
	srv_write(&p->s, b, n);
	ck_assert_int_eq(pump(p), CX_OK);
	ck_assert_uint_eq(cxi_buf_size(&p->cplain), n);
	ck_assert(memcmp(cxi_buf_head(&p->cplain), b, n) == 0);
	free(a);
	free(b);
}

/* ---- config ------------------------------------------------------------ */

static const struct {
	const char *what;
	cxi_tls_config cfg;
	cx_status want;
} config_cases[] = {
	{ "min_version 1.1", { .min_version = 0x0302 }, CX_ERR_INVALID },
	{ "min_version junk", { .min_version = 42 }, CX_ERR_INVALID },
	{ "cert without key", { .cert_file = "/nonexistent" }, CX_ERR_INVALID },
	{ "key without cert", { .key_file = "/nonexistent" }, CX_ERR_INVALID },
	{ "npins without pins", { .npins = 1 }, CX_ERR_INVALID },
	{ "pin too short", { .pins = (const char *const[]){ "sha256/AAAA" },
			     .npins = 1 }, CX_ERR_INVALID },
	{ "pin bad base64", { .pins = (const char *const[]){
		"sha256/!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=" },
			     .npins = 1 }, CX_ERR_INVALID },
	{ "pin base64 of 33 bytes", { .pins = (const char *const[]){
		"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
			     .npins = 1 }, CX_ERR_INVALID },
	{ "pin 63 hex", { .pins = (const char *const[]){
		"000000000000000000000000000000000000000000000000000000000000000" },
			  .npins = 1 }, CX_ERR_INVALID },
	{ "pin not hex", { .pins = (const char *const[]){
		"g000000000000000000000000000000000000000000000000000000000000000" },
			   .npins = 1 }, CX_ERR_INVALID },
	{ "NULL pin", { .pins = (const char *const[]){ NULL }, .npins = 1 },
	  CX_ERR_INVALID },
	{ "missing CA file", { .ca_file = "/nonexistent/ca.pem" }, CX_ERR_TLS },
	{ "well-formed pins", { .pins = (const char *const[]){
		"sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
		"00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff" },
			     .npins = 2 }, CX_OK },
	{ "TLS 1.3 minimum", { .min_version = 0x0304 }, CX_OK },
	{ "system store", { .min_version = 0 }, CX_OK },
};

START_TEST(test_tls_config_table)
{
	cxi_tls_ctx *c = (cxi_tls_ctx *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cxi_tls_ctx_new(&c, &config_cases[_i].cfg, &err);

	ck_assert_msg(st == config_cases[_i].want, "%s: got %d (%s)",
		      config_cases[_i].what, st, err.message);
	ck_assert_int_eq(err.status, st);
	if (st == CX_OK) {
		ck_assert_ptr_nonnull(c);
		cxi_tls_ctx_unref(c);
	} else {
		ck_assert_ptr_null(c);
		ck_assert_str_ne(err.message, "");
	}
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

START_TEST(test_tls_config_null)
{
	cxi_tls_ctx *c;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_tls_ctx_new(&c, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_tls_ctx_new(NULL, NULL, NULL), CX_ERR_INVALID);
	ck_assert_ptr_null(OPS->client_new(NULL, "localhost", NULL, NULL,
					   &err));
	ck_assert_int_eq(err.status, CX_ERR_INVALID);
	c = ca_ctx();
	ck_assert_ptr_null(OPS->client_new(c, "", NULL, NULL, &err));
	ck_assert_int_eq(err.status, CX_ERR_INVALID);
	ck_assert_ptr_null(OPS->client_new(c, "localhost", "", NULL, &err));
	ck_assert_int_eq(err.status, CX_ERR_INVALID);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_config_client_key_mismatch)
{
	cxi_tls_config cfg = { .ca_file = ca_path,
			       .cert_file = client_id.cert_path,
			       .key_file = stray_key_path };
	cxi_tls_ctx *c = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_tls_ctx_new(&c, &cfg, &err), CX_ERR_TLS);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.message, "does not match") != NULL, "%s",
		      err.message);
	cfg.key_file = "/nonexistent/client.key";
	ck_assert_int_eq(cxi_tls_ctx_new(&c, &cfg, &err), CX_ERR_TLS);
	ck_assert_msg(strstr(err.message, "cannot load client key") != NULL,
		      "%s", err.message);
	ck_assert_uint_eq(ERR_peek_error(), 0);
}
END_TEST

/* A session keeps its context alive after the creator let go. */
START_TEST(test_tls_config_refcount)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	SSL_CTX *sc = srv_ctx(&srv_good, 0, 0);

	pair_start(&p, c, sc, "localhost", NULL);
	cxi_tls_ctx_unref(c); /* p holds one, the session one */
	SSL_CTX_free(sc);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	roundtrip(&p, 100);
	pair_end(&p);
}
END_TEST

/* ---- handshake --------------------------------------------------------- */

START_TEST(test_tls_handshake_ca_file)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	cxi_buf cb = CXI_BUF_INIT;
	SSL_CTX *sc = srv_ctx(&srv_good, 0, 0);

	pair_start(&p, c, sc, "localhost", NULL);
	SSL_CTX_free(sc);
	/* the ClientHello is pending right after client_new */
	ck_assert_int_eq(OPS->pull_output(p.c, &p.wire), CX_OK);
	ck_assert_uint_gt(cxi_buf_size(&p.wire), 5);
	ck_assert_uint_eq(cxi_buf_head(&p.wire)[0], 22); /* handshake record */
	ck_assert_int_eq(BIO_write(p.s.rbio, cxi_buf_head(&p.wire),
				   (int)cxi_buf_size(&p.wire)),
			 (int)cxi_buf_size(&p.wire));
	cxi_buf_reset(&p.wire);
	/* wrong-state calls before the handshake */
	ck_assert_int_eq(OPS->write(p.c, "x", 1, &p.err), CX_ERR_STATE);
	ck_assert_int_eq(OPS->shutdown(p.c, &p.err), CX_ERR_STATE);
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-unique", &cb),
			 CX_ERR_STATE);

	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->version(p.c), 0x0304);
	ck_assert_str_eq(SSL_get_servername(p.s.ssl, TLSEXT_NAMETYPE_host_name),
			 "localhost");
	roundtrip(&p, 1);
	roundtrip(&p, 5000);
	ck_assert_int_eq(OPS->write(p.c, "", 0, &p.err), CX_OK);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
	cxi_buf_free(&cb);
}
END_TEST

START_TEST(test_tls_handshake_ca_dir)
{
	cxi_tls_config cfg = { .ca_dir = ca_hashdir };
	cxi_tls_ctx *c = client_ctx(&cfg);
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	roundtrip(&p, 64);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_handshake_tls12)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    TLS1_2_VERSION), CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->version(p.c), 0x0303);
	roundtrip(&p, 3000);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_handshake_tls11_refused)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost",
				    TLS1_1_VERSION, TLS1_1_VERSION),
			 CX_ERR_TLS);
	ck_assert(!OPS->handshake_done(p.c));
	ck_assert_msg(strstr(p.err.message, "protocol version") != NULL, "%s",
		      p.err.message);
	ck_assert_uint_ne(p.err.tls_code, 0);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_handshake_min13_refuses_tls12)
{
	cxi_tls_config cfg = { .ca_file = ca_path, .min_version = 0x0304 };
	cxi_tls_ctx *c = client_ctx(&cfg);
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    TLS1_2_VERSION), CX_ERR_TLS);
	ck_assert(!OPS->handshake_done(p.c));
	ck_assert_msg(strstr(p.err.message, "protocol version") != NULL, "%s",
		      p.err.message);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

static const struct {
	const char *name;
	const char *sni; /* what the server must see, NULL: none */
} sni_cases[] = {
	{ "localhost", "localhost" },
	{ "pubsub.localhost", "pubsub.localhost" },
	{ "127.0.0.1", NULL },
	{ "::1", NULL },
	{ "[::1]", NULL },
};

START_TEST(test_tls_handshake_sni)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	const char *seen;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, sni_cases[_i].name, 0,
				    0), CX_OK);
	expect_connected(&p);
	seen = SSL_get_servername(p.s.ssl, TLSEXT_NAMETYPE_host_name);
	if (sni_cases[_i].sni == NULL)
		ck_assert_ptr_null(seen);
	else
		ck_assert_str_eq(seen, sni_cases[_i].sni);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_handshake_alpn)
{
	cxi_tls_ctx *c = ca_ctx();
	SSL_CTX *sc = srv_ctx(&srv_good, 0, 0);
	const unsigned char *sel = NULL;
	unsigned int sellen = 0;
	struct pair p;

	pair_start(&p, c, sc, "localhost", "xmpp-client");
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert_str_eq(p.s.alpn_offered, "xmpp-client");
	SSL_get0_alpn_selected(p.s.ssl, &sel, &sellen);
	ck_assert_uint_eq(sellen, 11);
	pair_end(&p);

	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert_str_eq(p.s.alpn_offered, ""); /* callback never ran */
	SSL_get0_alpn_selected(p.s.ssl, &sel, &sellen);
	ck_assert_uint_eq(sellen, 0);
	pair_end(&p);
	SSL_CTX_free(sc);
	cxi_tls_ctx_unref(c);
}
END_TEST

static int
srv_accept_any_client(int ok, X509_STORE_CTX *x)
{
	return ok;
}

/* SASL EXTERNAL: the server that asks for a client certificate gets ours. */
START_TEST(test_tls_handshake_client_cert)
{
	cxi_tls_config cfg = { .ca_file = ca_path,
			       .cert_file = client_id.cert_path,
			       .key_file = client_id.key_path };
	cxi_tls_ctx *c = client_ctx(&cfg);
	SSL_CTX *sc = srv_ctx(&srv_good, 0, _i ? TLS1_2_VERSION : 0);
	struct pair p;
	X509 *peer;
	char cn[64];

	ck_assert_int_eq(SSL_CTX_load_verify_locations(sc, ca_path, NULL), 1);
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER |
			   SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   srv_accept_any_client);
	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	roundtrip(&p, 10); /* the server has checked our certificate by now */
	ck_assert(!p.s.failed);
	peer = SSL_get1_peer_certificate(p.s.ssl);
	ck_assert_ptr_nonnull(peer);
	ck_assert_int_eq(SSL_get_verify_result(p.s.ssl), X509_V_OK);
	X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName,
				  cn, sizeof(cn));
	ck_assert_str_eq(cn, "alice@localhost");
	X509_free(peer);
	pair_end(&p);

	/* without a client certificate the same server refuses us */
	cxi_tls_ctx_unref(c);
	c = ca_ctx();
	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_ERR_TLS);
	ck_assert(p.s.failed);
	ck_assert_msg(strstr(p.err.message, "alert") != NULL, "%s",
		      p.err.message);
	pair_end(&p);
	SSL_CTX_free(sc);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* ---- verify ------------------------------------------------------------ */

static void
expect_verify_failure(cxi_tls_ctx *c, const struct ident *id,
		      const char *name, long code, const char *text)
{
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, id, name, 0, 0), CX_ERR_TLS_VERIFY);
	ck_assert_int_eq(p.err.status, CX_ERR_TLS_VERIFY);
	ck_assert_msg(strstr(p.err.message, text) != NULL, "message: %s",
		      p.err.message);
	ck_assert_msg(p.err.tls_code == (unsigned long)code,
		      "tls_code %lu, want %ld", p.err.tls_code, code);
	ck_assert(!OPS->handshake_done(p.c));
	/* the failure sticks */
	ck_assert_int_eq(OPS->read(p.c, &p.cplain, &p.err), CX_ERR_TLS_VERIFY);
	ck_assert_int_eq(OPS->write(p.c, "x", 1, &p.err), CX_ERR_TLS_VERIFY);
	/* the server gets an alert and nothing else */
	flush_to_server(&p);
	ck_assert(p.s.failed);
	ck_assert_uint_eq(cxi_buf_size(&p.splain), 0);
	pair_end(&p);
}

START_TEST(test_tls_verify_unknown_ca)
{
	cxi_tls_ctx *c = ca_ctx();

	expect_verify_failure(c, &srv_ca2, "localhost",
			      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
			      "unable to get local issuer certificate");
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_verify_system_store)
{
	cxi_tls_config cfg = { 0 };
	cxi_tls_ctx *c = client_ctx(&cfg);

	/* our test CA is in no system store */
	expect_verify_failure(c, &srv_good, "localhost",
			      X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
			      "unable to get local issuer certificate");
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_verify_wrong_host)
{
	cxi_tls_ctx *c = ca_ctx();

	expect_verify_failure(c, &srv_other, "localhost",
			      X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
	/* a name the good certificate does not list */
	expect_verify_failure(c, &srv_good, "example.org",
			      X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
	expect_verify_failure(c, &srv_good, "127.0.0.2",
			      X509_V_ERR_IP_ADDRESS_MISMATCH,
			      "IP address mismatch");
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_verify_wildcards)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_wild, "pubsub.example.org", 0,
				    0), CX_OK);
	expect_connected(&p);
	pair_end(&p);
	/* a wildcard covers one label only */
	expect_verify_failure(c, &srv_wild, "a.b.example.org",
			      X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
	/* no partial wildcards (x*.example.net) */
	expect_verify_failure(c, &srv_wild, "xa.example.net",
			      X509_V_ERR_HOSTNAME_MISMATCH, "hostname mismatch");
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_verify_expired)
{
	cxi_tls_ctx *c = ca_ctx();

	expect_verify_failure(c, &srv_expired, "localhost",
			      X509_V_ERR_CERT_HAS_EXPIRED,
			      "certificate has expired");
	cxi_tls_ctx_unref(c);
}
END_TEST

/* The pin alone admits a server whose CA we do not trust. */
START_TEST(test_tls_verify_pin_accepted)
{
	char hex[65], b64[64];
	const char *pins[2] = { "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
				NULL };
	cxi_tls_config cfg = { .ca_file = ca_path, .pins = pins, .npins = 2 };
	cxi_tls_ctx *c;
	struct pair p;

	spki_pins(srv_ca2.cert, hex, b64);
	pins[1] = _i ? hex : b64;
	c = client_ctx(&cfg);
	ck_assert_int_eq(connect_to(&p, c, &srv_ca2, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	roundtrip(&p, 32);
	pair_end(&p);
	/* even under another name: the pin decides */
	ck_assert_int_eq(connect_to(&p, c, &srv_ca2, "pinned.example", 0, 0),
			 CX_OK);
	expect_connected(&p);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* A wrong pin refuses even a server that the CA vouches for. */
START_TEST(test_tls_verify_pin_mismatch)
{
	char hex[65], b64[64];
	const char *pins[1];
	cxi_tls_config cfg = { .ca_file = ca_path, .pins = pins, .npins = 1 };
	cxi_tls_ctx *c;
	struct pair p;

	spki_pins(srv_ca2.cert, hex, b64); /* pin of another server's key */
	pins[0] = b64;
	c = client_ctx(&cfg);
	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    _i ? TLS1_2_VERSION : 0), CX_ERR_TLS_PIN);
	ck_assert_msg(strstr(p.err.message, "pinned") != NULL, "%s",
		      p.err.message);
	ck_assert(!OPS->handshake_done(p.c));
	flush_to_server(&p);
	ck_assert(p.s.failed);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_verify_insecure)
{
	cxi_tls_config cfg = { .ca_file = ca_path,
			       .insecure_skip_verify = true };
	cxi_tls_ctx *c = client_ctx(&cfg);
	struct pair p;

	log_insecure_warnings = 0;
	ck_assert_int_eq(connect_to(&p, c, &srv_expired, "wrong.example", 0,
				    0), CX_OK);
	expect_connected(&p);
	roundtrip(&p, 16);
	pair_end(&p);
	ck_assert_int_eq(log_insecure_warnings, 1);
	ck_assert_int_eq(connect_to(&p, c, &srv_ca2, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	pair_end(&p);
	ck_assert_int_eq(log_insecure_warnings, 2); /* once per session */
	cxi_tls_ctx_unref(c);
}
END_TEST

/* ---- data -------------------------------------------------------------- */

START_TEST(test_tls_data_large)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    _i ? TLS1_2_VERSION : 0), CX_OK);
	expect_connected(&p);
	roundtrip(&p, 65536 + 1);
	roundtrip(&p, 1 << 20);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_data_many_small)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	cxi_buf want = CXI_BUF_INIT;
	char msg[64];

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	for (int i = 0; i < 3000; i++) {
		int n = snprintf(msg, sizeof(msg), "<r id='%d'/>", i);

		ck_assert_int_eq(OPS->write(p.c, msg, (size_t)n, &p.err),
				 CX_OK);
		ck_assert_int_eq(cxi_buf_append(&want, msg, (size_t)n), CX_OK);
		srv_write(&p.s, msg, (size_t)n);
		if (i % 500 == 0)
			ck_assert_int_eq(pump(&p), CX_OK);
	}
	ck_assert_int_eq(pump(&p), CX_OK);
	ck_assert_uint_eq(cxi_buf_size(&p.splain), cxi_buf_size(&want));
	ck_assert(memcmp(cxi_buf_head(&p.splain), cxi_buf_head(&want),
			 cxi_buf_size(&want)) == 0);
	ck_assert_uint_eq(cxi_buf_size(&p.cplain), cxi_buf_size(&want));
	ck_assert(memcmp(cxi_buf_head(&p.cplain), cxi_buf_head(&want),
			 cxi_buf_size(&want)) == 0);
	cxi_buf_free(&want);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* Every byte from the server, handshake included, arrives on its own. */
START_TEST(test_tls_data_bytewise)
{
	cxi_tls_ctx *c = ca_ctx();
	SSL_CTX *sc = srv_ctx(&srv_good, 0, _i ? TLS1_2_VERSION : 0);
	struct pair p;

	pair_start(&p, c, sc, "localhost", NULL);
	SSL_CTX_free(sc);
	p.bytewise = true;
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	roundtrip(&p, 20000);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_data_close_notify)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    _i ? TLS1_2_VERSION : 0), CX_OK);
	expect_connected(&p);
	srv_write(&p.s, "</stream:stream>", 16);
	ck_assert_int_ge(SSL_shutdown(p.s.ssl), 0);
	ck_assert_int_eq(pump(&p), CX_ERR_CLOSED);
	ck_assert_int_eq(p.err.status, CX_ERR_CLOSED);
	/* what came before close_notify is delivered */
	ck_assert_uint_eq(cxi_buf_size(&p.cplain), 16);
	ck_assert(memcmp(cxi_buf_head(&p.cplain), "</stream:stream>", 16) == 0);
	ck_assert_int_eq(OPS->read(p.c, &p.cplain, &p.err), CX_ERR_CLOSED);
	/* our own close_notify reaches the server */
	ck_assert_int_eq(OPS->shutdown(p.c, &p.err), CX_OK);
	ck_assert_int_eq(OPS->shutdown(p.c, &p.err), CX_OK); /* idempotent */
	ck_assert_int_eq(OPS->write(p.c, "x", 1, &p.err), CX_ERR_STATE);
	ck_assert_int_eq(pump(&p), CX_ERR_CLOSED);
	ck_assert(p.s.got_close);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_data_client_shutdown)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->write(p.c, "bye", 3, &p.err), CX_OK);
	ck_assert_int_eq(OPS->shutdown(p.c, &p.err), CX_OK);
	ck_assert_int_eq(pump(&p), CX_OK);
	ck_assert(p.s.got_close);
	ck_assert_uint_eq(cxi_buf_size(&p.splain), 3);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

static const uint8_t garbage[] = {
	0x17, 0x03, 0x03, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02,
	0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d,
	0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
	0x19, 0x1a, 0x1b, 0x1c
};

START_TEST(test_tls_data_garbage)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    _i ? TLS1_2_VERSION : 0), CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->push_input(p.c, garbage, sizeof(garbage),
					 &p.err), CX_OK);
	ck_assert_int_eq(OPS->read(p.c, &p.cplain, &p.err), CX_ERR_TLS);
	ck_assert_uint_ne(p.err.tls_code, 0);
	ck_assert_msg(strstr(p.err.message, "localhost") != NULL, "%s",
		      p.err.message);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	/* sticky */
	ck_assert_int_eq(OPS->read(p.c, &p.cplain, &p.err), CX_ERR_TLS);
	ck_assert_int_eq(OPS->write(p.c, "x", 1, &p.err), CX_ERR_TLS);
	ck_assert_int_eq(OPS->shutdown(p.c, &p.err), CX_ERR_TLS);
	{
		cxi_buf cb = CXI_BUF_INIT;

		ck_assert_int_eq(OPS->channel_binding(p.c, "tls-unique", &cb),
				 CX_ERR_STATE);
		cxi_buf_free(&cb);
	}
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_data_garbage_handshake)
{
	cxi_tls_ctx *c = ca_ctx();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	static const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
	cxi_tls *t = OPS->client_new(c, "localhost", NULL, &quiet_log, &err);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(OPS->pull_output(t, &out), CX_OK);
	ck_assert_uint_gt(cxi_buf_size(&out), 0);
	ck_assert_int_eq(OPS->push_input(t, http, sizeof(http) - 1, &err),
			 CX_OK);
	ck_assert_int_eq(OPS->read(t, &out, &err), CX_ERR_TLS);
	ck_assert_uint_ne(err.tls_code, 0);
	ck_assert_uint_eq(ERR_peek_error(), 0);
	OPS->free(t);
	cxi_buf_free(&out);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* ---- channel binding --------------------------------------------------- */

START_TEST(test_tls_binding_exporter_tls13)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	cxi_buf cb = CXI_BUF_INIT;
	unsigned char want[32];
	static const char label[] = "EXPORTER-Channel-Binding";

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0, 0),
			 CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-exporter", &cb),
			 CX_OK);
	ck_assert_uint_eq(cxi_buf_size(&cb), 32);
	ck_assert_int_eq(SSL_export_keying_material(p.s.ssl, want, 32, label,
						    sizeof(label) - 1, NULL,
						    0, 0), 1);
	ck_assert(memcmp(cxi_buf_head(&cb), want, 32) == 0);
	/* appends */
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-exporter", &cb),
			 CX_OK);
	ck_assert_uint_eq(cxi_buf_size(&cb), 64);
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-server-end-point",
					      &cb), CX_ERR_INVALID);
	ck_assert_int_eq(OPS->channel_binding(p.c, NULL, &cb), CX_ERR_INVALID);
	cxi_buf_free(&cb);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

START_TEST(test_tls_binding_exporter_tls12)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	cxi_buf cb = CXI_BUF_INIT;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    TLS1_2_VERSION), CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-exporter", &cb),
			 CX_ERR_NOT_SUPPORTED);
	ck_assert_uint_eq(cxi_buf_size(&cb), 0);
	cxi_buf_free(&cb);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* The server side computes tls-unique the way ejabberd and Prosody do. */
static size_t
srv_tls_unique(SSL *ssl, unsigned char *buf, size_t len)
{
	if (SSL_session_reused(ssl))
		return SSL_get_finished(ssl, buf, len);
	return SSL_get_peer_finished(ssl, buf, len);
}

START_TEST(test_tls_binding_unique)
{
	cxi_tls_ctx *c = ca_ctx();
	struct pair p;
	cxi_buf cb = CXI_BUF_INIT;
	unsigned char want[64];
	size_t n;

	ck_assert_int_eq(connect_to(&p, c, &srv_good, "localhost", 0,
				    _i ? TLS1_2_VERSION : 0), CX_OK);
	expect_connected(&p);
	ck_assert_int_eq(OPS->version(p.c), _i ? 0x0303 : 0x0304);
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-unique", &cb), CX_OK);
	n = srv_tls_unique(p.s.ssl, want, sizeof(want));
	ck_assert_uint_gt(n, 0);
	if (_i)
		ck_assert_uint_eq(n, 12); /* TLS 1.2 verify_data */
	ck_assert_uint_eq(cxi_buf_size(&cb), n);
	ck_assert(memcmp(cxi_buf_head(&cb), want, n) == 0);
	cxi_buf_free(&cb);
	pair_end(&p);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* ---- resumption -------------------------------------------------------- */

START_TEST(test_tls_resume_same_name)
{
	int maxv = _i ? TLS1_2_VERSION : 0;
	cxi_tls_ctx *c = ca_ctx();
	SSL_CTX *sc = srv_ctx(&srv_good, 0, maxv);
	struct pair p;
	cxi_buf cb = CXI_BUF_INIT;
	unsigned char want[64];
	size_t n;

	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert(!SSL_session_reused(p.s.ssl));
	roundtrip(&p, 10); /* TLS 1.3 tickets arrive after the handshake */
	pair_end(&p);

	/* the next session to the same name resumes */
	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert(SSL_session_reused(p.s.ssl));
	ck_assert_int_eq(OPS->version(p.c), _i ? 0x0303 : 0x0304);
	roundtrip(&p, 10);
	/* tls-unique on a resumed session: the server's Finished */
	ck_assert_int_eq(OPS->channel_binding(p.c, "tls-unique", &cb), CX_OK);
	n = srv_tls_unique(p.s.ssl, want, sizeof(want));
	ck_assert_uint_eq(cxi_buf_size(&cb), n);
	ck_assert(memcmp(cxi_buf_head(&cb), want, n) == 0);
	pair_end(&p);

	/* and once more: TLS 1.3 used a fresh ticket, TLS 1.2 the session */
	pair_start(&p, c, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert(SSL_session_reused(p.s.ssl));
	pair_end(&p);

	/* another name never gets that session */
	pair_start(&p, c, sc, "pubsub.localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert(!SSL_session_reused(p.s.ssl));
	pair_end(&p);

	cxi_buf_free(&cb);
	SSL_CTX_free(sc);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* A context with another trust configuration has its own cache. */
START_TEST(test_tls_resume_per_context)
{
	cxi_tls_ctx *c1 = ca_ctx(), *c2 = ca_ctx();
	SSL_CTX *sc = srv_ctx(&srv_good, 0, 0);
	struct pair p;

	pair_start(&p, c1, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	roundtrip(&p, 10);
	pair_end(&p);
	pair_start(&p, c2, sc, "localhost", NULL);
	ck_assert_int_eq(pump(&p), CX_OK);
	expect_connected(&p);
	ck_assert(!SSL_session_reused(p.s.ssl));
	pair_end(&p);
	SSL_CTX_free(sc);
	cxi_tls_ctx_unref(c1);
	cxi_tls_ctx_unref(c2);
}
END_TEST

/* ---- threads ----------------------------------------------------------- */

#define THREADS 4
#define THREAD_ROUNDS 25

static cxi_tls_ctx *shared_cctx;
static SSL_CTX *shared_sctx;

/* Many threads share one context (and its session cache); each drives
 * its own sessions, as the reader/writer pairs of many connections do. */
static void *
thread_main(void *arg)
{
	intptr_t id = (intptr_t)arg;
	int resumed = 0;

	for (int i = 0; i < THREAD_ROUNDS; i++) {
		struct pair p;

		pair_start(&p, shared_cctx, shared_sctx,
			   (i + id) % 2 ? "localhost" : "pubsub.localhost",
			   NULL);
		ck_assert_int_eq(pump(&p), CX_OK);
		expect_connected(&p);
		roundtrip(&p, 100 + (size_t)i);
		resumed += SSL_session_reused(p.s.ssl) ? 1 : 0;
		pair_end(&p); /* also: this thread's error queue is empty */
	}
	return (void *)(intptr_t)resumed;
}

START_TEST(test_tls_threads_shared_ctx)
{
	pthread_t th[THREADS];
	int resumed = 0;

	shared_cctx = ca_ctx();
	shared_sctx = srv_ctx(&srv_good, 0, _i ? TLS1_2_VERSION : 0);
	for (intptr_t i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, thread_main,
						(void *)i), 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;

		ck_assert_int_eq(pthread_join(th[i], &r), 0);
		resumed += (int)(intptr_t)r;
	}
	/* all but the first session per name may resume; some must have */
	ck_assert_int_gt(resumed, 0);
	ck_assert_int_le(resumed, THREADS * THREAD_ROUNDS - 2);
	SSL_CTX_free(shared_sctx);
	cxi_tls_ctx_unref(shared_cctx);
}
END_TEST

/* ---- against openssl s_server over a loopback socket ------------------- */

static pid_t
start_s_server(int *port, int *outfd)
{
	int pfd[2];
	pid_t pid;
	char line[256];
	size_t used = 0;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], STDOUT_FILENO);
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDERR_FILENO);
		close(pfd[0]);
		close(pfd[1]);
		execlp("openssl", "openssl", "s_server", "-accept",
		       "127.0.0.1:0", "-cert", srv_good.cert_path, "-key",
		       srv_good.key_path, "-www", "-naccept", "1", "-alpn",
		       "xmpp-client", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	/* s_server prints "ACCEPT 127.0.0.1:PORT" once it listens */
	for (;;) {
		struct pollfd pl = { pfd[0], POLLIN, 0 };
		ssize_t r;
		char *acc;

		ck_assert_msg(poll(&pl, 1, 10000) == 1,
			      "s_server did not start");
		r = read(pfd[0], line + used, sizeof(line) - 1 - used);
		ck_assert_msg(r > 0, "s_server exited");
		used += (size_t)r;
		line[used] = '\0';
		if ((acc = strstr(line, "ACCEPT 127.0.0.1:")) != NULL &&
		    strchr(acc, '\n') != NULL) {
			*port = atoi(acc + strlen("ACCEPT 127.0.0.1:"));
			break;
		}
		ck_assert_uint_lt(used, sizeof(line) - 1);
	}
	*outfd = pfd[0];
	return pid;
}

static void
sock_send_all(int fd, cxi_buf *b)
{
	while (cxi_buf_size(b) > 0) {
		ssize_t w = send(fd, cxi_buf_head(b), cxi_buf_size(b),
				 MSG_NOSIGNAL);

		ck_assert_int_gt(w, 0);
		cxi_buf_consume(b, (size_t)w);
	}
}

START_TEST(test_tls_s_server_socket)
{
	cxi_tls_ctx *c = ca_ctx();
	cxi_tls *t;
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT, plain = CXI_BUF_INIT;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int port = 0, outfd = -1, fd, status;
	pid_t pid = start_s_server(&port, &outfd);
	cx_status st = CX_OK;
	bool sent_get = false;
	char *text;

	ck_assert_int_gt(port, 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);

	t = OPS->client_new(c, "localhost", "xmpp-client", &quiet_log, &err);
	ck_assert_ptr_nonnull(t);
	for (int rounds = 0; rounds < 1000; rounds++) {
		struct pollfd pl = { fd, POLLIN, 0 };
		uint8_t buf[16384];
		ssize_t r;

		ck_assert_int_eq(OPS->pull_output(t, &out), CX_OK);
		sock_send_all(fd, &out);
		if (OPS->handshake_done(t) && !sent_get) {
			static const char get[] = "GET / HTTP/1.0\r\n\r\n";

			ck_assert_int_eq(OPS->version(t), 0x0304);
			ck_assert_int_eq(OPS->write(t, get, sizeof(get) - 1,
						    &err), CX_OK);
			sent_get = true;
			continue;
		}
		ck_assert_msg(poll(&pl, 1, 10000) == 1, "s_server is silent");
		r = recv(fd, buf, sizeof(buf), 0);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break; /* s_server closed the socket */
		ck_assert_int_eq(OPS->push_input(t, buf, (size_t)r, &err),
				 CX_OK);
		st = OPS->read(t, &plain, &err);
		if (st != CX_OK)
			break;
	}
	ck_assert_msg(st == CX_OK || st == CX_ERR_CLOSED, "%s", err.message);
	ck_assert(sent_get);
	text = cxi_buf_strdup(&plain);
	ck_assert_ptr_nonnull(text);
	ck_assert_msg(strstr(text, "HTTP/1.0 200 ok") != NULL, "got: %.200s",
		      text);
	/* s_server -www reports the TLS version and ALPN it negotiated */
	ck_assert_msg(strstr(text, "TLSv1.3") != NULL, "got: %.400s", text);
	free(text);
	OPS->free(t);
	close(fd);

	kill(pid, SIGTERM);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	close(outfd);
	cxi_buf_free(&out);
	cxi_buf_free(&plain);
	cxi_tls_ctx_unref(c);
}
END_TEST

/* ---- suite ------------------------------------------------------------- */

static Suite *
tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc;

	fixtures_make();

	tc = tcase_create("config");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_tls_config_table, 0,
			    (int)(sizeof(config_cases) / sizeof(config_cases[0])));
	tcase_add_test(tc, test_tls_config_null);
	tcase_add_test(tc, test_tls_config_client_key_mismatch);
	tcase_add_test(tc, test_tls_config_refcount);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tls_handshake_ca_file);
	tcase_add_test(tc, test_tls_handshake_ca_dir);
	tcase_add_test(tc, test_tls_handshake_tls12);
	tcase_add_test(tc, test_tls_handshake_tls11_refused);
	tcase_add_test(tc, test_tls_handshake_min13_refuses_tls12);
	tcase_add_loop_test(tc, test_tls_handshake_sni, 0,
			    (int)(sizeof(sni_cases) / sizeof(sni_cases[0])));
	tcase_add_test(tc, test_tls_handshake_alpn);
	tcase_add_loop_test(tc, test_tls_handshake_client_cert, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("verify");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tls_verify_unknown_ca);
	tcase_add_test(tc, test_tls_verify_system_store);
	tcase_add_test(tc, test_tls_verify_wrong_host);
	tcase_add_test(tc, test_tls_verify_wildcards);
	tcase_add_test(tc, test_tls_verify_expired);
	tcase_add_loop_test(tc, test_tls_verify_pin_accepted, 0, 2);
	tcase_add_loop_test(tc, test_tls_verify_pin_mismatch, 0, 2);
	tcase_add_test(tc, test_tls_verify_insecure);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_tls_data_large, 0, 2);
	tcase_add_test(tc, test_tls_data_many_small);
	tcase_add_loop_test(tc, test_tls_data_bytewise, 0, 2);
	tcase_add_loop_test(tc, test_tls_data_close_notify, 0, 2);
	tcase_add_test(tc, test_tls_data_client_shutdown);
	tcase_add_loop_test(tc, test_tls_data_garbage, 0, 2);
	tcase_add_test(tc, test_tls_data_garbage_handshake);
	suite_add_tcase(s, tc);

	tc = tcase_create("binding");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_tls_binding_exporter_tls13);
	tcase_add_test(tc, test_tls_binding_exporter_tls12);
	tcase_add_loop_test(tc, test_tls_binding_unique, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("resume");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_tls_resume_same_name, 0, 2);
	tcase_add_test(tc, test_tls_resume_per_context);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_tls_threads_shared_ctx, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("s_server");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_tls_s_server_socket);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(tls_suite)

/*
 * Tests of the SASL client (lib/stream/sasl.c).
 *
 * How the SCRAM test vectors are checked. GNU SASL 2.2 draws the client
 * nonce from gsasl_nonce(), 18 random bytes from getrandom(), and offers no
 * way to set it. This test program defines getrandom() itself: the
 * executable's definition interposes on the C library's for libgsasl, and
 * passes through to the system call unless a test has "armed" it with
 * fixed bytes for the next 18-byte request. With the bytes of RFC 5802's
 * nonce "fyko+d2lbbFgONRv9qkxdawL" (24 base64 characters = 18 bytes) the
 * whole RFC 5802 exchange is reproduced byte for byte through cxi_sasl.
 * RFC 7677's nonce "rOprNGfwEbeRWgbNEkqO" is 20 characters, which no
 * 18-byte nonce encodes to, so for SCRAM-SHA-256 the vector checks an
 * independent implementation on OpenSSL (PBKDF2 + HMAC, below), and that
 * implementation then checks what GNU SASL produces through cxi_sasl with
 * a fixed nonce and the RFC's salt and iteration count.
 *
 * The other exchanges run against a GNU SASL server session in this
 * process (with channel binding) and against the gsasl command-line server
 * started as a child process on pipes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gsasl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/stream/sasl.h"
#include "tests/unit/testutil.h"

/* ---- deterministic nonce seam ---- */

static unsigned char armed_bytes[64];
static size_t armed_len;
static volatile int armed;

/* Default visibility: the build uses -fvisibility=hidden, and a hidden
 * symbol would not interpose on the C library's for libgsasl. */
__attribute__((visibility("default"))) ssize_t
getrandom(void *buf, size_t len, unsigned int flags)
{
	if (armed && len == armed_len) {
		memcpy(buf, armed_bytes, len);
		armed = 0;
		return (ssize_t)len;
	}
	return syscall(SYS_getrandom, buf, len, flags);
}

/* The next 18-byte random request returns the bytes of nonce_b64. */
static void
arm_nonce(const char *nonce_b64)
{
	int n = EVP_DecodeBlock(armed_bytes, (const unsigned char *)nonce_b64,
				(int)strlen(nonce_b64));

	ck_assert_int_eq(n, 18); /* 24 characters, no padding */
	armed_len = 18;
	armed = 1;
}

/* ---- small helpers ---- */

/* base64 of n bytes, malloc'd; "=" for none (as on the wire). */
static char *
b64(const void *p, size_t n)
{
	char *out = malloc(n / 3 * 4 + 8);

	ck_assert_ptr_nonnull(out);
	if (n == 0) {
		strcpy(out, "=");
		return out;
	}
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

static char *
b64s(const char *s)
{
	return b64(s, strlen(s));
}

/* Decodes wire base64 ("=" is empty) into a malloc'd NUL-terminated buffer. */
static char *
unb64(const char *in, size_t *outlen)
{
	char *raw = NULL;
	size_t len = 0;

	if (strcmp(in, "=") == 0 || in[0] == '\0') {
		raw = calloc(1, 1);
		ck_assert_ptr_nonnull(raw);
	} else {
		char *tmp;
		ck_assert_int_eq(gsasl_base64_from(in, strlen(in), &tmp, &len),
				 GSASL_OK);
		raw = malloc(len + 1);
		ck_assert_ptr_nonnull(raw);
		memcpy(raw, tmp, len);
		raw[len] = '\0';
		gsasl_free(tmp);
	}
	if (outlen != NULL)
		*outlen = len;
	return raw;
}

/* The buffer's content as a NUL-terminated string (malloc'd). */
static char *
buf_str(const cxi_buf *b)
{
	char *s = cxi_buf_strdup(b);

	ck_assert_ptr_nonnull(s);
	return s;
}

static cxi_sasl_config
base_cfg(void)
{
	cxi_sasl_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.authcid = "user";
	cfg.password = "pencil";
	cfg.service = "xmpp";
	cfg.hostname = "example.org";
	cfg.tls_active = true;
	return cfg;
}

static cxi_sasl *
start1(const cxi_sasl_config *cfg, const char *mech)
{
	const char *offered[1] = { mech };
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s = NULL;
	int was_armed = armed;

	ck_assert_int_eq(cxi_sasl_new(&s, cfg, offered, 1, &err), CX_OK);
	if (was_armed)
		ck_assert_msg(armed == 0, "GNU SASL did not take its nonce "
			      "from getrandom(): the test seam is broken");
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(cxi_sasl_mechanism(s), mech);
	return s;
}

/* Produces the initial response, decoded. */
static char *
initial_raw(cxi_sasl *s, size_t *len)
{
	cxi_buf out = CXI_BUF_INIT;
	cx_error err = CX_ERROR_INIT;
	char *wire, *raw;

	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	wire = buf_str(&out);
	raw = unb64(wire, len);
	free(wire);
	cxi_buf_free(&out);
	return raw;
}

/* Answers a challenge given in clear text; returns the decoded response. */
static cx_status
step_raw(cxi_sasl *s, const char *challenge, char **response, cx_error *err)
{
	cxi_buf out = CXI_BUF_INIT;
	char *wire = b64s(challenge);
	cx_status st = cxi_sasl_step(s, wire, &out, err);

	free(wire);
	*response = NULL;
	if (st == CX_OK) {
		char *w = buf_str(&out);
		*response = unb64(w, NULL);
		free(w);
	}
	cxi_buf_free(&out);
	return st;
}

static cx_status
success_raw(cxi_sasl *s, const char *data, cx_error *err)
{
	char *wire = data != NULL ? b64s(data) : NULL;
	cx_status st = cxi_sasl_success(s, wire, err);

	free(wire);
	return st;
}

/* ---- reference SCRAM on OpenSSL (RFC 5802 section 3) ---- */

struct scram_ref {
	char proof[64];     /* base64 ClientProof */
	char signature[64]; /* base64 ServerSignature */
};

static void
scram_compute(const EVP_MD *md, const char *password, const char *salt_b64,
	      unsigned iter, const char *auth_message, struct scram_ref *ref)
{
	unsigned char salt[64], salted[64], ckey[64], skey[64], stored[64];
	unsigned char csig[64], ssig[64], proof[64];
	unsigned int len, hlen = (unsigned)EVP_MD_get_size(md);
	int saltlen;
	size_t slen = strlen(salt_b64), i;

	saltlen = EVP_DecodeBlock(salt, (const unsigned char *)salt_b64,
				  (int)slen);
	ck_assert_int_gt(saltlen, 0);
	/* EVP_DecodeBlock counts padding as zero bytes. */
	if (slen >= 1 && salt_b64[slen - 1] == '=')
		saltlen--;
	if (slen >= 2 && salt_b64[slen - 2] == '=')
		saltlen--;
	ck_assert_int_eq(PKCS5_PBKDF2_HMAC(password, (int)strlen(password),
					   salt, saltlen, (int)iter, md,
					   (int)hlen, salted), 1);
	ck_assert_ptr_nonnull(HMAC(md, salted, (int)hlen,
				   (const unsigned char *)"Client Key", 10,
				   ckey, &len));
	ck_assert_int_eq(EVP_Digest(ckey, hlen, stored, &len, md, NULL), 1);
	ck_assert_ptr_nonnull(HMAC(md, stored, (int)hlen,
				   (const unsigned char *)auth_message,
				   strlen(auth_message), csig, &len));
	for (i = 0; i < hlen; i++)
		proof[i] = ckey[i] ^ csig[i];
	ck_assert_ptr_nonnull(HMAC(md, salted, (int)hlen,
				   (const unsigned char *)"Server Key", 10,
				   skey, &len));
	ck_assert_ptr_nonnull(HMAC(md, skey, (int)hlen,
				   (const unsigned char *)auth_message,
				   strlen(auth_message), ssig, &len));
	EVP_EncodeBlock((unsigned char *)ref->proof, proof, (int)hlen);
	EVP_EncodeBlock((unsigned char *)ref->signature, ssig, (int)hlen);
}

/* RFC 5802 section 5 */
#define V1_CNONCE "fyko+d2lbbFgONRv9qkxdawL"
#define V1_CLIENT_FIRST "n,,n=user,r=" V1_CNONCE
#define V1_SERVER_FIRST \
	"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
#define V1_CLIENT_FINAL \
	"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j," \
	"p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define V1_SERVER_FINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

/* RFC 7677 section 3 */
#define V256_CNONCE "rOprNGfwEbeRWgbNEkqO"
#define V256_SNONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define V256_SALT "W22ZaJ0SNY7soEsUEjb6gQ=="
#define V256_PROOF "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define V256_SIGNATURE "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

START_TEST(test_sasl_vectors_reference_sha1)
{
	struct scram_ref ref;

	scram_compute(EVP_sha1(), "pencil", "QSXCR+Q6sek8bf92", 4096,
		      "n=user,r=" V1_CNONCE "," V1_SERVER_FIRST
		      ",c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j",
		      &ref);
	ck_assert_str_eq(ref.proof, "v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=");
	ck_assert_str_eq(ref.signature, "rmF9pqV8S7suAoZWja4dJRkFsKQ=");
}
END_TEST

START_TEST(test_sasl_vectors_reference_sha256)
{
	struct scram_ref ref;

	scram_compute(EVP_sha256(), "pencil", V256_SALT, 4096,
		      "n=user,r=" V256_CNONCE ",r=" V256_CNONCE V256_SNONCE
		      ",s=" V256_SALT ",i=4096,c=biws,r=" V256_CNONCE
		      V256_SNONCE, &ref);
	ck_assert_str_eq(ref.proof, V256_PROOF);
	ck_assert_str_eq(ref.signature, V256_SIGNATURE);
}
END_TEST

/* The RFC 5802 exchange, byte for byte, through cxi_sasl and GNU SASL. */
START_TEST(test_sasl_vectors_rfc5802_exchange)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s;
	char *raw, *resp;

	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	raw = initial_raw(s, NULL);
	ck_assert_int_eq(armed, 0);
	ck_assert_str_eq(raw, V1_CLIENT_FIRST);
	free(raw);
	ck_assert_int_eq(step_raw(s, V1_SERVER_FIRST, &resp, &err), CX_OK);
	ck_assert_str_eq(resp, V1_CLIENT_FINAL);
	free(resp);
	ck_assert_int_eq(success_raw(s, V1_SERVER_FINAL, &err), CX_OK);
	cxi_sasl_free(s);
}
END_TEST

/* SCRAM-SHA-256 with RFC 7677's salt and count, checked by the reference. */
START_TEST(test_sasl_vectors_rfc7677_crosscheck)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	struct scram_ref ref;
	char sfirst[256], am[512], want[256], sfinal[128];
	cxi_sasl *s;
	char *raw, *resp;

	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-256");
	raw = initial_raw(s, NULL);
	ck_assert_str_eq(raw, "n,,n=user,r=" V1_CNONCE);
	free(raw);
	snprintf(sfirst, sizeof(sfirst), "r=%s%s,s=%s,i=4096", V1_CNONCE,
		 V256_SNONCE, V256_SALT);
	snprintf(am, sizeof(am), "n=user,r=%s,%s,c=biws,r=%s%s", V1_CNONCE,
		 sfirst, V1_CNONCE, V256_SNONCE);
	scram_compute(EVP_sha256(), "pencil", V256_SALT, 4096, am, &ref);
	snprintf(want, sizeof(want), "c=biws,r=%s%s,p=%s", V1_CNONCE,
		 V256_SNONCE, ref.proof);
	ck_assert_int_eq(step_raw(s, sfirst, &resp, &err), CX_OK);
	ck_assert_str_eq(resp, want);
	free(resp);
	snprintf(sfinal, sizeof(sfinal), "v=%s", ref.signature);
	ck_assert_int_eq(success_raw(s, sfinal, &err), CX_OK);
	cxi_sasl_free(s);
}
END_TEST

/* Starts the RFC 5802 exchange up to the client-final-message. */
static cxi_sasl *
vector_to_final(const cxi_sasl_config *cfg)
{
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s;
	char *raw, *resp;

	arm_nonce(V1_CNONCE);
	s = start1(cfg, "SCRAM-SHA-1");
	raw = initial_raw(s, NULL);
	free(raw);
	ck_assert_int_eq(step_raw(s, V1_SERVER_FIRST, &resp, &err), CX_OK);
	free(resp);
	return s;
}

START_TEST(test_sasl_vectors_tampered_signature)
{
	static const char *const bad[] = {
		"v=rmF9pqV8S7suAoZWja4dJRkFsKA=", /* one bit off */
		"v=",
		"v=!!!!",
		"x=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
		"v=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
	};
	cxi_sasl_config cfg = base_cfg();
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cx_error err = CX_ERROR_INIT;
		cxi_sasl *s = vector_to_final(&cfg);

		ck_assert_msg(success_raw(s, bad[i], &err) ==
			      CX_ERR_AUTH_SERVER, "case %zu", i);
		ck_assert_int_eq(err.status, CX_ERR_AUTH_SERVER);
		/* The exchange is over: nothing more is accepted. */
		ck_assert_int_eq(success_raw(s, V1_SERVER_FINAL, &err),
				 CX_ERR_STATE);
		cxi_sasl_free(s);
	}
}
END_TEST

START_TEST(test_sasl_vectors_missing_signature)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s;

	s = vector_to_final(&cfg);
	ck_assert_int_eq(cxi_sasl_success(s, NULL, &err), CX_ERR_AUTH_SERVER);
	cxi_sasl_free(s);
	s = vector_to_final(&cfg);
	ck_assert_int_eq(cxi_sasl_success(s, "=", &err), CX_ERR_AUTH_SERVER);
	cxi_sasl_free(s);
	s = vector_to_final(&cfg);
	ck_assert_int_eq(cxi_sasl_success(s, "", &err), CX_ERR_AUTH_SERVER);
	cxi_sasl_free(s);
	/* <success/> right after the client-first-message: no proof at all. */
	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	free(initial_raw(s, NULL));
	ck_assert_int_eq(success_raw(s, V1_SERVER_FINAL, &err),
			 CX_ERR_AUTH_SERVER);
	cxi_sasl_free(s);
}
END_TEST

START_TEST(test_sasl_vectors_server_error)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s = vector_to_final(&cfg);

	ck_assert_int_eq(success_raw(s, "e=invalid-proof", &err), CX_ERR_AUTH);
	cxi_sasl_free(s);
}
END_TEST

/* The server-final-message in a <challenge/>, then an empty <success/>. */
START_TEST(test_sasl_vectors_final_in_challenge)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s;
	char *resp;

	s = vector_to_final(&cfg);
	ck_assert_int_eq(step_raw(s, V1_SERVER_FINAL, &resp, &err), CX_OK);
	ck_assert_str_eq(resp, "");
	free(resp);
	ck_assert_int_eq(cxi_sasl_success(s, NULL, &err), CX_OK);
	cxi_sasl_free(s);

	/* A tampered one fails in the challenge already. */
	s = vector_to_final(&cfg);
	ck_assert_int_eq(step_raw(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKA=", &resp,
				  &err), CX_ERR_AUTH_SERVER);
	ck_assert_int_eq(cxi_sasl_success(s, NULL, &err), CX_ERR_STATE);
	cxi_sasl_free(s);

	/* A further challenge after the verified one is a protocol error. */
	s = vector_to_final(&cfg);
	ck_assert_int_eq(step_raw(s, V1_SERVER_FINAL, &resp, &err), CX_OK);
	free(resp);
	ck_assert_int_eq(step_raw(s, "more", &resp, &err),
			 CX_ERR_AUTH_PROTOCOL);
	cxi_sasl_free(s);
}
END_TEST

/* ---- mechanism choice ---- */

struct select_case {
	const char *offered; /* space-separated */
	unsigned allowed;    /* 0: the default */
	bool tls;
	const char *cb_type; /* NULL: no channel-binding data */
	bool insecure_plaintext, insecure_plain_auth, no_password;
	const char *expect;  /* chosen mechanism, or NULL */
	const char *why;     /* part of the error message when NULL */
};

#define ALL7 "ANONYMOUS EXTERNAL PLAIN SCRAM-SHA-1 SCRAM-SHA-1-PLUS " \
	"SCRAM-SHA-256 SCRAM-SHA-256-PLUS"

static const struct select_case select_cases[] = {
	{ ALL7, 0, true, "tls-exporter", false, false, false,
	  "SCRAM-SHA-256-PLUS", NULL },
	{ ALL7, 0, true, "tls-unique", false, false, false,
	  "SCRAM-SHA-256-PLUS", NULL },
	{ ALL7, 0, true, NULL, false, false, false, "SCRAM-SHA-256", NULL },
	{ ALL7, 0x7f, true, NULL, false, false, false, "SCRAM-SHA-256",
	  NULL },
	{ "PLAIN SCRAM-SHA-1 SCRAM-SHA-1-PLUS", 0, true, "tls-exporter", false,
	  false, false, "SCRAM-SHA-1-PLUS", NULL },
	{ "PLAIN SCRAM-SHA-1", 0, true, "tls-exporter", false, false, false,
	  "SCRAM-SHA-1", NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-256", CXI_SASL_SCRAM_SHA_256, true,
	  "tls-exporter", false, false, false, "SCRAM-SHA-256", NULL },
	{ "SCRAM-SHA-256-PLUS SCRAM-SHA-1", CXI_SASL_DEFAULT_MECHS, false,
	  NULL, false, false, false, "SCRAM-SHA-1", NULL },
	{ "PLAIN", 0, true, NULL, false, false, false, "PLAIN", NULL },
	{ "PLAIN", 0, false, NULL, false, false, false, NULL,
	  "PLAIN (refused without TLS)" },
	{ "PLAIN", 0, false, NULL, true, false, false, NULL,
	  "PLAIN (refused without TLS)" },
	{ "PLAIN", 0, false, NULL, false, true, false, NULL,
	  "PLAIN (refused without TLS)" },
	{ "PLAIN", 0, false, NULL, true, true, false, "PLAIN", NULL },
	{ "PLAIN", 0, true, NULL, false, false, true, NULL,
	  "PLAIN (no username or password)" },
	{ "SCRAM-SHA-256-PLUS", 0, true, NULL, false, false, false, NULL,
	  "SCRAM-SHA-256-PLUS (no channel-binding data)" },
	{ "SCRAM-SHA-1-PLUS", 0, true, "tls-server-end-point", false, false,
	  false, NULL, "SCRAM-SHA-1-PLUS (unsupported channel-binding type)" },
	{ "SCRAM-SHA-1-PLUS", 0, true, "tls-unique", false, false, false,
	  "SCRAM-SHA-1-PLUS", NULL },
	{ "SCRAM-SHA-1", CXI_SASL_PLAIN, true, NULL, false, false, false, NULL,
	  "SCRAM-SHA-1 (not allowed by configuration)" },
	{ "EXTERNAL PLAIN", 0, true, NULL, false, false, false, "PLAIN",
	  NULL },
	{ "EXTERNAL", 0, true, NULL, false, false, false, NULL,
	  "EXTERNAL (not allowed by configuration)" },
	{ "EXTERNAL", CXI_SASL_EXTERNAL, true, NULL, false, false, true,
	  "EXTERNAL", NULL },
	{ "ANONYMOUS", 0, true, NULL, false, false, false, NULL,
	  "ANONYMOUS (not allowed by configuration)" },
	{ "ANONYMOUS", CXI_SASL_ANONYMOUS, false, NULL, false, false, true,
	  "ANONYMOUS", NULL },
	{ "ANONYMOUS EXTERNAL", CXI_SASL_ANONYMOUS | CXI_SASL_EXTERNAL, true,
	  NULL, false, false, false, "EXTERNAL", NULL },
	{ "ANONYMOUS PLAIN", CXI_SASL_ANONYMOUS | CXI_SASL_PLAIN, true, NULL,
	  false, false, false, "PLAIN", NULL },
	{ "DIGEST-MD5 CRAM-MD5", 0, true, NULL, false, false, false, NULL,
	  "DIGEST-MD5 (not supported), CRAM-MD5 (not supported)" },
	{ "X-OAUTH2 SCRAM-SHA-1 DIGEST-MD5", 0, true, NULL, false, false,
	  false, "SCRAM-SHA-1", NULL },
	{ "scram-sha-1", 0, true, NULL, false, false, false, NULL,
	  "scram-sha-1 (not supported)" },
	{ "", 0, true, NULL, false, false, false, NULL, "offered none" },
	{ "SCRAM-SHA-256-PLUS PLAIN DIGEST-MD5", 0, false, NULL, false, false,
	  false, NULL,
	  "offered SCRAM-SHA-256-PLUS (no channel-binding data), PLAIN "
	  "(refused without TLS), DIGEST-MD5 (not supported)" },
};

START_TEST(test_sasl_select_table)
{
	const struct select_case *c = &select_cases[_i];
	static const unsigned char cb[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cxi_sasl_config cfg = base_cfg();
	const char *offered[16];
	char list[256], *tok, *save = NULL;
	size_t n = 0;
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s = NULL;
	cx_status st;

	snprintf(list, sizeof(list), "%s", c->offered);
	for (tok = strtok_r(list, " ", &save); tok != NULL;
	     tok = strtok_r(NULL, " ", &save))
		offered[n++] = tok;
	cfg.allowed = c->allowed;
	cfg.tls_active = c->tls;
	cfg.insecure_allow_plaintext = c->insecure_plaintext;
	cfg.insecure_allow_plain_auth = c->insecure_plain_auth;
	if (c->no_password)
		cfg.password = NULL;
	if (c->cb_type != NULL) {
		cfg.cb_type = c->cb_type;
		cfg.cb_data = cb;
		cfg.cb_len = sizeof(cb);
	}
	st = cxi_sasl_new(&s, &cfg, offered, n, &err);
	if (c->expect != NULL) {
		ck_assert_msg(st == CX_OK, "case %d: %s", _i, err.message);
		ck_assert_str_eq(cxi_sasl_mechanism(s), c->expect);
		cxi_sasl_free(s);
	} else {
		ck_assert_msg(st == CX_ERR_AUTH_MECHANISM, "case %d: %d", _i,
			      st);
		ck_assert_ptr_null(s);
		ck_assert_int_eq(err.status, CX_ERR_AUTH_MECHANISM);
		ck_assert_msg(strstr(err.message, c->why) != NULL,
			      "case %d: message '%s' lacks '%s'", _i,
			      err.message, c->why);
	}
}
END_TEST

START_TEST(test_sasl_select_names)
{
	static const char *const names[] = {
		"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS",
		"SCRAM-SHA-1", "PLAIN", "EXTERNAL", "ANONYMOUS",
	};
	unsigned seen = 0;
	size_t i;

	for (i = 0; i < 7; i++) {
		unsigned bit = cxi_sasl_mech_bit(names[i]);

		ck_assert_uint_eq(bit, 1u << i); /* strongest first */
		ck_assert_str_eq(cxi_sasl_mech_name(bit), names[i]);
		seen |= bit;
	}
	ck_assert_uint_eq(seen, 0x7fu);
	ck_assert_uint_eq(CXI_SASL_DEFAULT_MECHS & 0x60u, 0);
	ck_assert_uint_eq(cxi_sasl_mech_bit("DIGEST-MD5"), 0);
	ck_assert_uint_eq(cxi_sasl_mech_bit("plain"), 0);
	ck_assert_uint_eq(cxi_sasl_mech_bit(NULL), 0);
	ck_assert_ptr_null(cxi_sasl_mech_name(0));
	ck_assert_ptr_null(cxi_sasl_mech_name(3));
	ck_assert_ptr_null(cxi_sasl_mech_name(1u << 7));
}
END_TEST

START_TEST(test_sasl_select_invalid)
{
	cxi_sasl_config cfg = base_cfg();
	const char *offered[1] = { "PLAIN" };
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s = (cxi_sasl *)&err;

	ck_assert_int_eq(cxi_sasl_new(NULL, &cfg, offered, 1, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_sasl_new(&s, NULL, offered, 1, &err),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cxi_sasl_new(&s, &cfg, NULL, 1, NULL),
			 CX_ERR_INVALID);
	cxi_sasl_free(NULL);
	ck_assert_ptr_null(cxi_sasl_mechanism(NULL));
}
END_TEST

/* ---- SCRAM policy and malformed server messages ---- */

struct scram_case {
	const char *server_first; /* '@' stands for our nonce */
	unsigned max_iterations;
	cx_status expect;
};

/*
 * GNU SASL 2.2 by itself accepts any iteration count (i=1, i=1000000) and
 * a nonce equal to ours with nothing appended; it does reject a nonce that
 * does not start with ours. These cases pin the checks sasl.c adds.
 */
static const struct scram_case scram_cases[] = {
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=4096", 0, CX_OK },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=100000", 0, CX_OK },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=5000", 5000, CX_OK },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=4096,x=ignored", 0, CX_OK },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=4095", 0, CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=1", 0, CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=0", 0, CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=100001", 0, CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=6000", 5000, CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=99999999999999999999999", 0,
	  CX_ERR_AUTH_POLICY },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=-4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=40x6", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,s=QSXCR+Q6sek8bf92,i=", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,s=QSXCR+Q6sek8bf92", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,i=4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,s=,i=4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "s=QSXCR+Q6sek8bf92,i=4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "m=ext,r=@abc,s=QSXCR+Q6sek8bf92,i=4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "r=@abc,s=!!!,i=4096", 0, CX_ERR_AUTH_PROTOCOL },
	{ "", 0, CX_ERR_AUTH_PROTOCOL },
	{ "garbage", 0, CX_ERR_AUTH_PROTOCOL },
	/* nonces */
	{ "r=@,s=QSXCR+Q6sek8bf92,i=4096", 0, CX_ERR_AUTH_SERVER },
	{ "r=AAAAAAAAAAAAAAAAAAAAAAAAabc,s=QSXCR+Q6sek8bf92,i=4096", 0,
	  CX_ERR_AUTH_SERVER },
	{ "r=fyko+d2lbbFgONRv9qkxdaw,s=QSXCR+Q6sek8bf92,i=4096", 0,
	  CX_ERR_AUTH_SERVER },
	{ "r=xfyko+d2lbbFgONRv9qkxdawLabc,s=QSXCR+Q6sek8bf92,i=4096", 0,
	  CX_ERR_AUTH_SERVER },
	{ "r=,s=QSXCR+Q6sek8bf92,i=4096", 0, CX_ERR_AUTH_SERVER },
};

/* Copies tmpl into dst with each '@' replaced by nonce. */
static void
expand_nonce(char *dst, size_t len, const char *tmpl, const char *nonce)
{
	size_t o = 0;

	for (; *tmpl != '\0'; tmpl++) {
		const char *add = *tmpl == '@' ? nonce : NULL;
		size_t n = add != NULL ? strlen(add) : 1;

		ck_assert_uint_lt(o + n, len);
		memcpy(dst + o, add != NULL ? add : tmpl, n);
		o += n;
	}
	dst[o] = '\0';
}

START_TEST(test_sasl_scram_server_first)
{
	const struct scram_case *c = &scram_cases[_i];
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	char msg[256], *resp = NULL;
	cxi_sasl *s;
	cx_status st;

	cfg.max_iterations = c->max_iterations;
	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	free(initial_raw(s, NULL));
	expand_nonce(msg, sizeof(msg), c->server_first, V1_CNONCE);
	st = step_raw(s, msg, &resp, &err);
	ck_assert_msg(st == c->expect, "case %d (%s): got %d, want %d: %s",
		      _i, msg, st, c->expect, err.message);
	if (st == CX_OK) {
		ck_assert_ptr_nonnull(resp);
		ck_assert(strncmp(resp, "c=biws,r=" V1_CNONCE "abc,p=", 15 +
				  strlen(V1_CNONCE)) == 0);
	} else {
		ck_assert_int_eq(err.status, c->expect);
		/* A failed exchange accepts nothing more. */
		ck_assert_int_eq(success_raw(s, V1_SERVER_FINAL, &err),
				 CX_ERR_STATE);
	}
	free(resp);
	cxi_sasl_free(s);
}
END_TEST

/* The policy error names the count and the allowed range. */
START_TEST(test_sasl_scram_policy_message)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	char *resp;
	cxi_sasl *s;

	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-256");
	free(initial_raw(s, NULL));
	ck_assert_int_eq(step_raw(s, "r=" V1_CNONCE "x,s=QSXCR+Q6sek8bf92,"
				  "i=1000000", &resp, &err),
			 CX_ERR_AUTH_POLICY);
	ck_assert_ptr_nonnull(strstr(err.message, "1000000"));
	ck_assert_ptr_nonnull(strstr(err.message, "100000]"));
	cxi_sasl_free(s);
}
END_TEST

/* ---- base64 and the wire ---- */

static const char *const bad_b64[] = {
	"not base64!",
	"QUJD\nREVG",     /* interior newline */
	"QUJD REVG",      /* interior space */
	"QUJ",            /* length not a multiple of 4 */
	"QQ=x",           /* data after padding */
	"QR==",           /* non-zero bits under the padding */
	"QUI=QUJD",       /* padding in the middle */
	"Q===",           /* too much padding */
	"====",
	"==",
	"QUJD\x01",
	"\xc3\xa9\xc3\xa9",
};

START_TEST(test_sasl_base64_garbage_challenge)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	cxi_sasl *s;

	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	free(initial_raw(s, NULL));
	ck_assert_int_eq(cxi_sasl_step(s, bad_b64[_i], &out, &err),
			 CX_ERR_AUTH_PROTOCOL);
	ck_assert_str_eq(err.condition, "incorrect-encoding");
	ck_assert_ptr_nonnull(strstr(err.message, "incorrect-encoding"));
	ck_assert_uint_eq(cxi_buf_size(&out), 0);
	cxi_buf_free(&out);
	cxi_sasl_free(s);
}
END_TEST

START_TEST(test_sasl_base64_garbage_success)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_sasl *s;

	/* For SCRAM, right where the server signature belongs. */
	s = vector_to_final(&cfg);
	ck_assert_int_eq(cxi_sasl_success(s, bad_b64[_i], &err),
			 CX_ERR_AUTH_PROTOCOL);
	ck_assert_str_eq(err.condition, "incorrect-encoding");
	cxi_sasl_free(s);
	/* For PLAIN, where no data is expected at all. */
	s = start1(&cfg, "PLAIN");
	free(initial_raw(s, NULL));
	ck_assert_int_eq(cxi_sasl_success(s, bad_b64[_i], &err),
			 CX_ERR_AUTH_PROTOCOL);
	cxi_sasl_free(s);
}
END_TEST

START_TEST(test_sasl_base64_wire)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	cxi_sasl *s;
	char *raw, *w;
	size_t len;

	/* PLAIN: authzid NUL authcid NUL password, appended to the buffer. */
	s = start1(&cfg, "PLAIN");
	ck_assert_int_eq(cxi_buf_append_str(&out, "<auth>"), CX_OK);
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	w = buf_str(&out);
	ck_assert_str_eq(w, "<auth>AHVzZXIAcGVuY2ls");
	free(w);
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_ERR_STATE);
	/* Whitespace around the data is tolerated; "=" is empty. */
	ck_assert_int_eq(cxi_sasl_success(s, " \r\n= \t", &err), CX_OK);
	ck_assert_int_eq(cxi_sasl_success(s, NULL, &err), CX_ERR_STATE);
	cxi_buf_free(&out);
	cxi_sasl_free(s);

	cfg.authzid = "admin@example.org";
	s = start1(&cfg, "PLAIN");
	raw = initial_raw(s, &len);
	ck_assert_uint_eq(len, 29);
	ck_assert_int_eq(memcmp(raw, "admin@example.org\0user\0pencil", 29), 0);
	free(raw);
	cxi_sasl_free(s);

	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	raw = initial_raw(s, NULL);
	ck_assert_str_eq(raw, "n,a=admin@example.org,n=user,r=" V1_CNONCE);
	free(raw);
	cxi_sasl_free(s);

	/* EXTERNAL with an authzid, then without: an empty response "=". */
	cfg.allowed = CXI_SASL_EXTERNAL | CXI_SASL_ANONYMOUS;
	s = start1(&cfg, "EXTERNAL");
	raw = initial_raw(s, NULL);
	ck_assert_str_eq(raw, "admin@example.org");
	free(raw);
	cxi_sasl_free(s);
	cfg.authzid = NULL;
	s = start1(&cfg, "EXTERNAL");
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	w = buf_str(&out);
	ck_assert_str_eq(w, "=");
	free(w);
	cxi_buf_reset(&out);
	/* A mechanism without challenges gets none. */
	ck_assert_int_eq(cxi_sasl_step(s, "=", &out, &err),
			 CX_ERR_AUTH_PROTOCOL);
	cxi_sasl_free(s);
	s = start1(&cfg, "ANONYMOUS");
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	w = buf_str(&out);
	ck_assert_str_eq(w, "=");
	free(w);
	ck_assert_int_eq(cxi_sasl_success(s, "", &err), CX_OK);
	cxi_buf_free(&out);
	cxi_sasl_free(s);
}
END_TEST

START_TEST(test_sasl_base64_state)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	cxi_sasl *s;

	s = start1(&cfg, "SCRAM-SHA-1");
	ck_assert_int_eq(cxi_sasl_step(s, "=", &out, &err), CX_ERR_STATE);
	ck_assert_int_eq(cxi_sasl_success(s, NULL, &err), CX_ERR_STATE);
	ck_assert_int_eq(cxi_sasl_step(NULL, "=", &out, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_sasl_step(s, "=", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_sasl_initial(s, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_sasl_initial(NULL, &out, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_sasl_success(NULL, NULL, &err), CX_ERR_INVALID);
	cxi_sasl_free(s);

	s = vector_to_final(&cfg);
	ck_assert_int_eq(success_raw(s, V1_SERVER_FINAL, &err), CX_OK);
	ck_assert_int_eq(cxi_sasl_step(s, "=", &out, &err), CX_ERR_STATE);
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_ERR_STATE);
	cxi_buf_free(&out);
	cxi_sasl_free(s);
}
END_TEST

/* ---- <failure/> conditions ---- */

static const struct {
	const char *condition;
	cx_status status;
} failure_cases[] = {
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
	{ "some-future-condition", CX_ERR_AUTH },
	{ "", CX_ERR_AUTH },
	{ "Not-Authorized", CX_ERR_AUTH },
	{ "account-disabled ", CX_ERR_AUTH },
	{ NULL, CX_ERR_AUTH },
};

START_TEST(test_sasl_failure_conditions)
{
	ck_assert_int_eq(cxi_sasl_failure_status(failure_cases[_i].condition),
			 failure_cases[_i].status);
}
END_TEST

/* ---- exchanges against a GNU SASL server session ---- */

struct server {
	Gsasl *ctx;
	const char *password;
	Gsasl_property cb_prop;
	const char *cb_b64;
};

static int
server_cb(Gsasl *ctx, Gsasl_session *ss, Gsasl_property prop)
{
	struct server *sv = gsasl_callback_hook_get(ctx);

	switch (prop) {
	case GSASL_PASSWORD:
		if (strcmp(gsasl_property_fast(ss, GSASL_AUTHID), "user") != 0)
			return GSASL_NO_PASSWORD;
		return gsasl_property_set(ss, GSASL_PASSWORD, sv->password);
	case GSASL_CB_TLS_EXPORTER:
	case GSASL_CB_TLS_UNIQUE:
		if (sv->cb_b64 == NULL || prop != sv->cb_prop)
			return GSASL_NO_CALLBACK;
		return gsasl_property_set(ss, prop, sv->cb_b64);
	default:
		return GSASL_NO_CALLBACK;
	}
}

static void
server_init(struct server *sv, const char *password)
{
	memset(sv, 0, sizeof(*sv));
	ck_assert_int_eq(gsasl_init(&sv->ctx), GSASL_OK);
	sv->password = password;
	gsasl_callback_set(sv->ctx, server_cb);
	gsasl_callback_hook_set(sv->ctx, sv);
}

enum exchange_result { EX_OK, EX_CLIENT_FAILED, EX_SERVER_REJECTED };

/*
 * Runs cxi_sasl s against a server session for mech. final_in_challenge:
 * the server-final data goes in a challenge and <success/> is empty.
 */
static enum exchange_result
run_exchange(struct server *sv, cxi_sasl *s, bool final_in_challenge,
	     cx_error *err)
{
	Gsasl_session *ss;
	cxi_buf out = CXI_BUF_INIT;
	enum exchange_result res = EX_CLIENT_FAILED;
	int round;

	ck_assert_int_eq(gsasl_server_start(sv->ctx, cxi_sasl_mechanism(s),
					    &ss), GSASL_OK);
	if (cxi_sasl_initial(s, &out, err) != CX_OK)
		goto out;
	for (round = 0; round < 5; round++) {
		char *wire = buf_str(&out), *raw, *sout = NULL, *sb64;
		size_t rawlen, soutlen = 0;
		int rc;

		raw = unb64(wire, &rawlen);
		free(wire);
		cxi_buf_reset(&out);
		rc = gsasl_step(ss, raw, rawlen, &sout, &soutlen);
		free(raw);
		if (rc != GSASL_OK && rc != GSASL_NEEDS_MORE) {
			res = EX_SERVER_REJECTED;
			goto out;
		}
		sb64 = b64(sout, soutlen);
		gsasl_free(sout);
		if (rc == GSASL_NEEDS_MORE) {
			cx_status st = cxi_sasl_step(s, sb64, &out, err);
			free(sb64);
			if (st != CX_OK)
				goto out;
			continue;
		}
		if (final_in_challenge && soutlen > 0) {
			cx_status st = cxi_sasl_step(s, sb64, &out, err);
			free(sb64);
			if (st != CX_OK)
				goto out;
			wire = buf_str(&out);
			ck_assert_str_eq(wire, "=");
			free(wire);
			sb64 = NULL;
		}
		res = cxi_sasl_success(s, sb64, err) == CX_OK ?
		      EX_OK : EX_CLIENT_FAILED;
		free(sb64);
		goto out;
	}
	ck_abort_msg("exchange did not end");
out:
	cxi_buf_free(&out);
	gsasl_finish(ss);
	return res;
}

static const char *const exchange_mechs[] = {
	"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN",
};

START_TEST(test_sasl_exchange_gsasl_server)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	struct server sv;
	cxi_sasl *s;

	server_init(&sv, "pencil");
	s = start1(&cfg, exchange_mechs[_i]);
	ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_OK);
	cxi_sasl_free(s);
	s = start1(&cfg, exchange_mechs[_i]);
	ck_assert_int_eq(run_exchange(&sv, s, true, &err), EX_OK);
	cxi_sasl_free(s);
	/* A wrong password: the server rejects us. */
	sv.password = "pencil2";
	s = start1(&cfg, exchange_mechs[_i]);
	ck_assert_int_eq(run_exchange(&sv, s, false, &err),
			 EX_SERVER_REJECTED);
	cxi_sasl_free(s);
	gsasl_done(sv.ctx);
}
END_TEST

/* A non-ASCII password goes through SASLprep on both sides. */
START_TEST(test_sasl_exchange_utf8_password)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	struct server sv;
	cxi_sasl *s;

	server_init(&sv, "p\xc3\xa4ssw\xc3\xb6rd");
	cfg.password = "p\xc3\xa4ssw\xc3\xb6rd";
	s = start1(&cfg, "SCRAM-SHA-256");
	ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_OK);
	cxi_sasl_free(s);
	gsasl_done(sv.ctx);
}
END_TEST

/* ---- channel binding ---- */

static const struct {
	const char *mech;
	const char *type;
	Gsasl_property prop;
} cb_cases[] = {
	{ "SCRAM-SHA-256-PLUS", "tls-exporter", GSASL_CB_TLS_EXPORTER },
	{ "SCRAM-SHA-256-PLUS", "tls-unique", GSASL_CB_TLS_UNIQUE },
	{ "SCRAM-SHA-1-PLUS", "tls-exporter", GSASL_CB_TLS_EXPORTER },
	{ "SCRAM-SHA-1-PLUS", "tls-unique", GSASL_CB_TLS_UNIQUE },
};

START_TEST(test_sasl_cb_plus)
{
	static const unsigned char data[32] = "0123456789abcdef0123456789abcdef";
	static const unsigned char other[32] = "0123456789abcdef0123456789abcdeX";
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	char prefix[64], *raw;
	struct server sv;
	cxi_sasl *s;

	server_init(&sv, "pencil");
	sv.cb_prop = cb_cases[_i].prop;
	sv.cb_b64 = b64(data, sizeof(data));
	cfg.cb_type = cb_cases[_i].type;
	cfg.cb_data = data;
	cfg.cb_len = sizeof(data);

	/* The client-first-message announces the binding type. */
	s = start1(&cfg, cb_cases[_i].mech);
	raw = initial_raw(s, NULL);
	snprintf(prefix, sizeof(prefix), "p=%s,,n=user,r=", cb_cases[_i].type);
	ck_assert_msg(strncmp(raw, prefix, strlen(prefix)) == 0, "%s", raw);
	free(raw);
	cxi_sasl_free(s);

	/* Same binding data on both ends: success. */
	s = start1(&cfg, cb_cases[_i].mech);
	ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_OK);
	cxi_sasl_free(s);

	/* Different data (a TLS man in the middle): the server refuses. */
	cfg.cb_data = other;
	s = start1(&cfg, cb_cases[_i].mech);
	ck_assert_int_eq(run_exchange(&sv, s, false, &err),
			 EX_SERVER_REJECTED);
	cxi_sasl_free(s);
	free((char *)sv.cb_b64);
	gsasl_done(sv.ctx);
}
END_TEST

/* Binding data but the server offers no -PLUS: flag "n", plain SCRAM. */
START_TEST(test_sasl_cb_not_offered)
{
	static const unsigned char data[32] = "0123456789abcdef0123456789abcdef";
	const char *offered[2] = { "SCRAM-SHA-1", "SCRAM-SHA-256" };
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	struct server sv;
	cxi_sasl *s;
	char *raw;

	cfg.cb_type = "tls-exporter";
	cfg.cb_data = data;
	cfg.cb_len = sizeof(data);
	ck_assert_int_eq(cxi_sasl_new(&s, &cfg, offered, 2, &err), CX_OK);
	ck_assert_str_eq(cxi_sasl_mechanism(s), "SCRAM-SHA-256");
	raw = initial_raw(s, NULL);
	ck_assert(strncmp(raw, "n,,n=user,r=", 12) == 0);
	free(raw);
	cxi_sasl_free(s);
	server_init(&sv, "pencil");
	ck_assert_int_eq(cxi_sasl_new(&s, &cfg, offered, 2, &err), CX_OK);
	ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_OK);
	cxi_sasl_free(s);
	gsasl_done(sv.ctx);
}
END_TEST

/* ---- many sessions on the shared library handle at once ---- */

static struct server shared_server;

static void *
login_thread(void *arg)
{
	const char *mech = arg;
	cxi_sasl_config cfg = base_cfg();
	intptr_t ok = 0;
	int i;

	for (i = 0; i < 8; i++) {
		const char *offered[1] = { mech };
		cx_error err = CX_ERROR_INIT;
		cxi_sasl *s = NULL;

		if (cxi_sasl_new(&s, &cfg, offered, 1, &err) != CX_OK)
			continue;
		if (run_exchange(&shared_server, s, false, &err) == EX_OK)
			ok++;
		cxi_sasl_free(s);
	}
	return (void *)ok;
}

START_TEST(test_sasl_threads_concurrent_logins)
{
	static const char *const mechs[4] = {
		"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "SCRAM-SHA-256",
	};
	pthread_t t[4];
	int i;

	/* First use of the library from four threads at once. */
	server_init(&shared_server, "pencil");
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, login_thread,
						(void *)mechs[i]), 0);
	for (i = 0; i < 4; i++) {
		void *ok;

		ck_assert_int_eq(pthread_join(t[i], &ok), 0);
		ck_assert_int_eq((intptr_t)ok, 8);
	}
	gsasl_done(shared_server.ctx);
}
END_TEST

/* ---- what reaches the logger ---- */

struct capture {
	char lines[64][256];
	int n;
	bool bad_category;
};

static void
capture_log(void *arg, cx_log_level level, const char *category,
	    const char *msg)
{
	struct capture *c = arg;

	(void)level;
	if (strcmp(category, CX_LOG_CAT_SASL) != 0)
		c->bad_category = true;
	if (c->n < 64)
		snprintf(c->lines[c->n++], sizeof(c->lines[0]), "%s", msg);
}

static bool
captured(const struct capture *c, const char *needle)
{
	int i;

	for (i = 0; i < c->n; i++)
		if (strstr(c->lines[i], needle) != NULL)
			return true;
	return false;
}

START_TEST(test_sasl_log_no_secrets)
{
	static const char *const mechs[] = {
		"SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN",
	};
	struct capture cap;
	cxi_logger lg = { capture_log, &cap, CX_LOG_TRACE };
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	struct server sv;
	char *resp;
	cxi_sasl *s;
	size_t i;
	int k;

	memset(&cap, 0, sizeof(cap));
	cfg.log = &lg;
	cfg.password = "s3cr3t-pencil";
	server_init(&sv, "s3cr3t-pencil");
	for (i = 0; i < 3; i++) {
		s = start1(&cfg, mechs[i]);
		ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_OK);
		cxi_sasl_free(s);
	}
	/* and failures */
	sv.password = "other";
	s = start1(&cfg, "SCRAM-SHA-1");
	ck_assert_int_eq(run_exchange(&sv, s, false, &err), EX_SERVER_REJECTED);
	cxi_sasl_free(s);
	cfg.password = "pencil";
	s = vector_to_final(&cfg);
	ck_assert_int_eq(success_raw(s, "v=rmF9pqV8S7suAoZWja4dJRkFsKA=", &err),
			 CX_ERR_AUTH_SERVER);
	cxi_sasl_free(s);
	arm_nonce(V1_CNONCE);
	s = start1(&cfg, "SCRAM-SHA-1");
	free(initial_raw(s, NULL));
	ck_assert_int_eq(step_raw(s, "r=" V1_CNONCE "x,s=QSXCR+Q6sek8bf92,i=9",
				  &resp, &err), CX_ERR_AUTH_POLICY);
	cxi_sasl_free(s);
	gsasl_done(sv.ctx);

	ck_assert(!cap.bad_category);
	ck_assert_int_gt(cap.n, 8);
	ck_assert(captured(&cap, "SCRAM-SHA-256"));
	ck_assert(captured(&cap, "PLAIN"));
	ck_assert(captured(&cap, "succeeded"));
	ck_assert(captured(&cap, "CX_ERR_AUTH_SERVER"));
	ck_assert(captured(&cap, "iteration count 9"));
	for (k = 0; k < cap.n; k++) {
		/* No password, no base64, no SCRAM attribute, no nonce. */
		ck_assert_msg(strstr(cap.lines[k], "pencil") == NULL, "%s",
			      cap.lines[k]);
		ck_assert_msg(strchr(cap.lines[k], '=') == NULL, "%s",
			      cap.lines[k]);
		ck_assert_msg(strstr(cap.lines[k], V1_CNONCE) == NULL, "%s",
			      cap.lines[k]);
	}
}
END_TEST

/* ---- against the gsasl command-line server ---- */

#define CLI_TIMEOUT_MS 10000

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct cli {
	pid_t pid;
	int to;   /* its stdin */
	int from; /* its stdout */
};

static void
cli_start(struct cli *c, const char *mech, const char *password)
{
	int in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		if (devnull >= 0)
			dup2(devnull, STDERR_FILENO);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp("gsasl", "gsasl", "--server", "--quiet",
		       "--mechanism", mech, "--authentication-id", "user",
		       "--password", password, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	c->to = in[1];
	c->from = out[0];
}

/* Reads one line (without its newline) from the child, within a deadline. */
static char *
cli_read_line(struct cli *c)
{
	long long deadline = now_ms() + CLI_TIMEOUT_MS;
	size_t len = 0, cap = 256;
	char *line = malloc(cap);

	ck_assert_ptr_nonnull(line);
	for (;;) {
		struct pollfd pfd = { c->from, POLLIN, 0 };
		long long left = deadline - now_ms();
		char ch;
		ssize_t n;

		ck_assert_msg(left > 0, "gsasl server: no answer in time");
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		n = read(c->from, &ch, 1);
		ck_assert_msg(n == 1, "gsasl server closed its output");
		if (ch == '\n')
			break;
		if (len + 1 >= cap) {
			cap *= 2;
			line = realloc(line, cap);
			ck_assert_ptr_nonnull(line);
		}
		line[len++] = ch;
	}
	line[len] = '\0';
	return line;
}

static void
cli_write_line(struct cli *c, const char *s)
{
	size_t len = strlen(s);

	ck_assert_int_eq(write(c->to, s, len), (ssize_t)len);
	ck_assert_int_eq(write(c->to, "\n", 1), 1);
}

/* Closes its input and returns its exit status; kills it after a delay. */
static int
cli_finish(struct cli *c)
{
	long long deadline = now_ms() + CLI_TIMEOUT_MS;
	int status;

	close(c->to);
	close(c->from);
	for (;;) {
		pid_t r = waitpid(c->pid, &status, WNOHANG);

		if (r == c->pid)
			break;
		if (now_ms() > deadline) {
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			ck_abort_msg("gsasl server did not exit");
		}
		poll(NULL, 0, 10);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* One login: gsasl prints the mechanism, then each server message on a
 * line (empty when there is no data); it reads our messages likewise. */
static int
cli_login(const char *mech, const char *server_password, cx_status *client)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	struct cli c;
	char *line, *w;
	cxi_sasl *s;
	int steps;

	signal(SIGPIPE, SIG_IGN);
	cli_start(&c, mech, server_password);
	line = cli_read_line(&c);
	ck_assert_str_eq(line, mech);
	free(line);
	line = cli_read_line(&c); /* the server speaks first: nothing */
	ck_assert_str_eq(line, "");
	free(line);
	s = start1(&cfg, mech);
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	/* SCRAM: one challenge (server-first), then the server-final; PLAIN:
	 * the server's next line is already its (empty) final word. */
	steps = strncmp(mech, "SCRAM-", 6) == 0 ? 1 : 0;
	for (;;) {
		w = buf_str(&out);
		cli_write_line(&c, w);
		free(w);
		cxi_buf_reset(&out);
		line = cli_read_line(&c);
		if (steps-- == 0)
			break;
		ck_assert_int_eq(cxi_sasl_step(s, line, &out, &err), CX_OK);
		free(line);
	}
	/* gsasl reports success by finishing; we check the signature. */
	*client = cxi_sasl_success(s, line, &err);
	free(line);
	cli_write_line(&c, "");
	cxi_buf_free(&out);
	cxi_sasl_free(s);
	return cli_finish(&c);
}

START_TEST(test_sasl_cli_scram_sha1)
{
	cx_status client;

	ck_assert_int_eq(cli_login("SCRAM-SHA-1", "pencil", &client), 0);
	ck_assert_int_eq(client, CX_OK);
}
END_TEST

START_TEST(test_sasl_cli_scram_sha256)
{
	cx_status client;

	ck_assert_int_eq(cli_login("SCRAM-SHA-256", "pencil", &client), 0);
	ck_assert_int_eq(client, CX_OK);
}
END_TEST

START_TEST(test_sasl_cli_plain)
{
	cx_status client;

	ck_assert_int_eq(cli_login("PLAIN", "pencil", &client), 0);
	ck_assert_int_eq(client, CX_OK);
}
END_TEST

START_TEST(test_sasl_cli_plain_wrong_password)
{
	cxi_sasl_config cfg = base_cfg();
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	struct cli c;
	char *w;
	cxi_sasl *s;

	signal(SIGPIPE, SIG_IGN);
	cli_start(&c, "PLAIN", "not-pencil");
	free(cli_read_line(&c));
	free(cli_read_line(&c));
	s = start1(&cfg, "PLAIN");
	ck_assert_int_eq(cxi_sasl_initial(s, &out, &err), CX_OK);
	w = buf_str(&out);
	cli_write_line(&c, w);
	free(w);
	/* The server gives up: its exit status says so. */
	ck_assert_int_eq(cli_finish(&c), 1);
	cxi_buf_free(&out);
	cxi_sasl_free(s);
}
END_TEST

/* Default sink for the whole suite: quiet, and a tripwire for secrets. */
static void
quiet_log(void *arg, cx_log_level level, const char *category,
	  const char *msg)
{
	(void)arg;
	(void)level;
	(void)category;
	if (strstr(msg, "pencil") != NULL || strstr(msg, V1_CNONCE) != NULL)
		abort();
}

static Suite *
sasl_suite(void)
{
	Suite *s = suite_create("sasl");
	TCase *tc;

	cx_log_set_default(quiet_log, NULL, CX_LOG_TRACE);

	tc = tcase_create("vectors");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sasl_vectors_reference_sha1);
	tcase_add_test(tc, test_sasl_vectors_reference_sha256);
	tcase_add_test(tc, test_sasl_vectors_rfc5802_exchange);
	tcase_add_test(tc, test_sasl_vectors_rfc7677_crosscheck);
	tcase_add_test(tc, test_sasl_vectors_tampered_signature);
	tcase_add_test(tc, test_sasl_vectors_missing_signature);
	tcase_add_test(tc, test_sasl_vectors_server_error);
	tcase_add_test(tc, test_sasl_vectors_final_in_challenge);
	suite_add_tcase(s, tc);

	tc = tcase_create("select");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sasl_select_table, 0,
			    (int)(sizeof(select_cases) /
				  sizeof(select_cases[0])));
	tcase_add_test(tc, test_sasl_select_names);
	tcase_add_test(tc, test_sasl_select_invalid);
	suite_add_tcase(s, tc);

	tc = tcase_create("scram");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sasl_scram_server_first, 0,
			    (int)(sizeof(scram_cases) / sizeof(scram_cases[0])));
	tcase_add_test(tc, test_sasl_scram_policy_message);
	suite_add_tcase(s, tc);

	tc = tcase_create("base64");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sasl_base64_garbage_challenge, 0,
			    (int)(sizeof(bad_b64) / sizeof(bad_b64[0])));
	tcase_add_loop_test(tc, test_sasl_base64_garbage_success, 0,
			    (int)(sizeof(bad_b64) / sizeof(bad_b64[0])));
	tcase_add_test(tc, test_sasl_base64_wire);
	tcase_add_test(tc, test_sasl_base64_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("failure");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_sasl_failure_conditions, 0,
			    (int)(sizeof(failure_cases) /
				  sizeof(failure_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("exchange");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sasl_exchange_gsasl_server, 0,
			    (int)(sizeof(exchange_mechs) /
				  sizeof(exchange_mechs[0])));
	tcase_add_test(tc, test_sasl_exchange_utf8_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("cb");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_sasl_cb_plus, 0,
			    (int)(sizeof(cb_cases) / sizeof(cb_cases[0])));
	tcase_add_test(tc, test_sasl_cb_not_offered);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_sasl_threads_concurrent_logins);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sasl_log_no_secrets);
	suite_add_tcase(s, tc);

	tc = tcase_create("cli");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sasl_cli_scram_sha1);
	tcase_add_test(tc, test_sasl_cli_scram_sha256);
	tcase_add_test(tc, test_sasl_cli_plain);
	tcase_add_test(tc, test_sasl_cli_plain_wrong_password);
	suite_add_tcase(s, tc);

	return s;
}

CXT_MAIN(sasl_suite)

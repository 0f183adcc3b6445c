/*
 * Settings: one static table of keys, one lock per store.
 *
 * Design notes:
 * - The table below is the single source of truth for every key: name,
 *   type, default, range or choices, and its line of documentation.
 *   doc/settings.md is generated from it (cxi_settings_doc_markdown, `make
 *   settings-doc`) and a unit test fails when the two differ.
 * - A store holds only what was set; defaults are read from the table when
 *   a key is unset, so a new store costs no parsing and "is it set?" is a
 *   flag. Lists are kept as their canonical comma-joined text and split on
 *   the way out: reads are rare (once per connect), and one representation
 *   keeps dump/copy/compare simple.
 * - Getters copy out under the lock. There is no borrowed pointer into a
 *   store, because another thread may replace the value at any time.
 * - Loading from the environment or a file parses everything first into a
 *   scratch array and then applies it under one lock: all or nothing, and
 *   the lock is never held while parsing or doing I/O.
 * - The secret (password) is wiped from memory when it is replaced or freed,
 *   masked in dumps and never put into a log line.
 */
#include "config.h"

#include "lib/core/settings.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/core/stanza.h"

#define I32MAX ((int64_t)INT32_MAX)

static const char *const tls_modes[] = {
	CX_TLS_STARTTLS, CX_TLS_DIRECT, CX_TLS_INSECURE_NONE,
	CX_TLS_INSECURE_OPTIONAL, NULL
};
static const char *const tls_versions[] = { "1.2", "1.3", NULL };
static const char *const log_levels[] = {
	"error", "warn", "info", "debug", "trace", NULL
};

#define S CX_SETTING_TYPE_STRING
#define I CX_SETTING_TYPE_INT
#define B CX_SETTING_TYPE_BOOL
#define L CX_SETTING_TYPE_LIST

/* key, type, default, doc, choices, min, max, secret */
static const cx_setting_info table[] = {
	{ CX_SETTING_JID, S, NULL,
	  "The account's address (localpart@domain, optionally /resource); "
	  "required to connect.", NULL, 0, 0, false },
	{ CX_SETTING_PASSWORD, S, NULL,
	  "The account's password. Never logged; masked in dumps.",
	  NULL, 0, 0, true },
	{ CX_SETTING_AUTHZID, S, NULL,
	  "SASL authorization identity: act as this JID (needs the server's "
	  "permission); none by default.", NULL, 0, 0, false },
	{ CX_SETTING_RESOURCE, S, NULL,
	  "Resource to request at bind; none lets the server choose (a "
	  "resource in `jid` is used when this is unset).",
	  NULL, 0, 0, false },
	{ CX_SETTING_HOST, S, NULL,
	  "Host name or IP address to connect to instead of the DNS SRV "
	  "lookup of the JID's domain.", NULL, 0, 0, false },
	{ CX_SETTING_PORT, I, "0",
	  "TCP port with `host`; 0 means 5222 (starttls) or 5223 (direct).",
	  NULL, 0, 65535, false },
	{ CX_SETTING_TLS, S, CX_TLS_STARTTLS,
	  "TLS policy: `starttls` (required), `direct` (XEP-0368), "
	  "`insecure-optional` (STARTTLS if offered, else plaintext), "
	  "`insecure-none` (plaintext only).", tls_modes, 0, 0, false },
	{ CX_SETTING_TLS_CA_FILE, S, NULL,
	  "PEM file of trusted CA certificates; with `tls.ca_dir` unset too, "
	  "the system store is used.", NULL, 0, 0, false },
	{ CX_SETTING_TLS_CA_DIR, S, NULL,
	  "Directory of trusted CA certificates in OpenSSL hashed form "
	  "(c_rehash).", NULL, 0, 0, false },
	{ CX_SETTING_TLS_PINS, L, NULL,
	  "Accepted server keys as `sha256/BASE64` SHA-256 digests of the "
	  "SubjectPublicKeyInfo; when set, a matching key is trusted even if "
	  "the chain does not verify.", NULL, 0, 0, false },
	{ CX_SETTING_TLS_INSECURE_SKIP_VERIFY, B, "false",
	  "Accept any server certificate (no chain or name check): for tests "
	  "only.", NULL, 0, 1, false },
	{ CX_SETTING_TLS_CERT_FILE, S, NULL,
	  "PEM client certificate, for SASL EXTERNAL.", NULL, 0, 0, false },
	{ CX_SETTING_TLS_KEY_FILE, S, NULL,
	  "PEM private key of `tls.cert_file`.", NULL, 0, 0, false },
	{ CX_SETTING_TLS_MIN_VERSION, S, "1.2",
	  "Lowest TLS version accepted: `1.2` or `1.3`.",
	  tls_versions, 0, 0, false },
	{ CX_SETTING_SASL_MECHANISMS, L,
	  "SCRAM-SHA-256-PLUS,SCRAM-SHA-256,SCRAM-SHA-1-PLUS,SCRAM-SHA-1,PLAIN",
	  "SASL mechanisms allowed, strongest first; the strongest one the "
	  "server offers is used. Add EXTERNAL or ANONYMOUS to allow them.",
	  NULL, 0, 0, false },
	{ CX_SETTING_SASL_INSECURE_ALLOW_PLAIN_AUTH, B, "false",
	  "Allow PLAIN (the password in clear) on a stream without TLS.",
	  NULL, 0, 1, false },
	{ CX_SETTING_SASL_MAX_ITERATIONS, I, "100000",
	  "Highest SCRAM iteration count accepted from the server (a bound "
	  "on the CPU a server can make us spend).", NULL, 1, I32MAX, false },
	{ CX_SETTING_LANG, S, "en",
	  "Language of the stream (xml:lang), as a BCP 47 tag.",
	  NULL, 0, 0, false },
	{ CX_SETTING_TIMEOUT_MS, I, "30000",
	  "Default timeout of a blocking call (CX_TIMEOUT_DEFAULT), in "
	  "milliseconds.", NULL, 1, I32MAX, false },
	{ CX_SETTING_CONNECT_TIMEOUT_MS, I, "10000",
	  "Timeout of each connection attempt (TCP and TLS handshake), in "
	  "milliseconds.", NULL, 1, I32MAX, false },
	{ CX_SETTING_DNS_NAMESERVER, S, NULL,
	  "DNS server for SRV lookups as an IP address (optionally "
	  "`address:port`); none means the system resolver configuration.",
	  NULL, 0, 0, false },
	{ CX_SETTING_DNS_TIMEOUT_MS, I, "5000",
	  "Timeout of a DNS query, in milliseconds.", NULL, 1, I32MAX, false },
	{ CX_SETTING_POOL_SIZE, I, "0",
	  "Threads of the worker pool that runs handlers; 0 means the number "
	  "of CPUs.", NULL, 0, 1024, false },
	{ CX_SETTING_LIMITS_MAX_STANZA_BYTES, I, "262144",
	  "Largest stanza accepted from the server, in bytes; a bigger one is "
	  "a stream error (policy-violation).", NULL, 1024, I32MAX, false },
	{ CX_SETTING_LIMITS_MAX_DEPTH, I, "64",
	  "Deepest element nesting accepted inside a stanza; at most 250, "
	  "below libxml2's own bound.", NULL, 2, 250, false },
	{ CX_SETTING_LIMITS_MAX_ATTRS, I, "64",
	  "Most attributes (namespace declarations included) accepted on one "
	  "element.", NULL, 4, 65536, false },
	{ CX_SETTING_LIMITS_MAX_CHILDREN, I, "10000",
	  "Most elements accepted in one stanza.", NULL, 1, I32MAX, false },
	{ CX_SETTING_DISPATCH_QUEUE_MAX, I, "1024",
	  "Most received stanzas waiting for their handlers per client; when "
	  "full, the reader stops reading until handlers catch up.",
	  NULL, 1, I32MAX, false },
	{ CX_SETTING_KEEPALIVE_INTERVAL_MS, I, "60000",
	  "Send a whitespace keepalive after this long without sending, in "
	  "milliseconds; 0 disables it.", NULL, 0, I32MAX, false },
	{ CX_SETTING_PING_INTERVAL_MS, I, "0",
	  "Send an XMPP ping (XEP-0199) to the server after this long without "
	  "receiving, in milliseconds; 0 disables it.",
	  NULL, 0, I32MAX, false },
	{ CX_SETTING_PING_TIMEOUT_MS, I, "10000",
	  "Close the connection when a ping gets no answer within this long, "
	  "in milliseconds.", NULL, 1, I32MAX, false },
	{ CX_SETTING_PRESENCE_INITIAL, B, "true",
	  "Send initial presence after connecting (RFC 6121), so that the "
	  "server delivers presence and messages to this resource.",
	  NULL, 0, 1, false },
	{ CX_SETTING_LOG_LEVEL, S, "warn",
	  "Most verbose level logged: `error`, `warn`, `info`, `debug` or "
	  "`trace`.", log_levels, 0, 0, false },
};

#undef S
#undef I
#undef B
#undef L

#define NKEYS (sizeof(table) / sizeof(table[0]))

#define SECRET_MASK "********"

/* A value that was set. STRING and LIST keep text in str (a list as its
 * canonical comma-joined items; NULL str for a string means "no value");
 * INT and BOOL keep i. */
struct value {
	bool set;
	char *str;
	int64_t i;
};

struct cx_settings {
	atomic_uint refs;
	pthread_mutex_t lock;
	struct value v[NKEYS]; /* protected by lock */
};

/* ---- The table -------------------------------------------------------- */

size_t
cx_settings_count(void)
{
	return NKEYS;
}

const cx_setting_info *
cx_settings_info(size_t index)
{
	return index < NKEYS ? &table[index] : NULL;
}

static int
key_index(const char *key)
{
	size_t i;

	if (key == NULL)
		return -1;
	for (i = 0; i < NKEYS; i++)
		if (strcmp(table[i].key, key) == 0)
			return (int)i;
	return -1;
}

const cx_setting_info *
cx_settings_lookup(const char *key)
{
	int k = key_index(key);

	return k < 0 ? NULL : &table[k];
}

cx_status
cx_settings_env_name(char *buf, size_t len, const char *key)
{
	const cx_setting_info *info = cx_settings_lookup(key);
	size_t i, n;

	if (info == NULL)
		return CX_ERR_SETTING;
	n = strlen(info->key);
	if (buf == NULL || len < n + sizeof("CXMPP_"))
		return CX_ERR_INVALID;
	memcpy(buf, "CXMPP_", 6);
	for (i = 0; i < n; i++) {
		char c = info->key[i];
		if (c == '.' || c == '-')
			c = '_';
		else if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		buf[6 + i] = c;
	}
	buf[6 + n] = '\0';
	return CX_OK;
}

static const char *
type_name(cx_setting_type t)
{
	switch (t) {
	case CX_SETTING_TYPE_STRING: return "string";
	case CX_SETTING_TYPE_INT: return "integer";
	case CX_SETTING_TYPE_BOOL: return "boolean";
	case CX_SETTING_TYPE_LIST: return "list";
	}
	return "?";
}

/* ---- Values ------------------------------------------------------------ */

static void
wipe_free(char *p, bool secret)
{
	if (p == NULL)
		return;
	if (secret)
		OPENSSL_cleanse(p, strlen(p));
	free(p);
}

static void
value_clear(struct value *v, const cx_setting_info *info)
{
	wipe_free(v->str, info->secret);
	v->str = NULL;
	v->i = 0;
	v->set = false;
}

static cx_status
parse_bool(const char *t, int64_t *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcasecmp(t, yes[i]) == 0) {
			*out = 1;
			return CX_OK;
		}
		if (strcasecmp(t, no[i]) == 0) {
			*out = 0;
			return CX_OK;
		}
	}
	return CX_ERR_SETTING;
}

static cx_status
check_int(const cx_setting_info *info, int64_t v, cx_error *err)
{
	if (v < info->min || v > info->max)
		return cxi_error_set(err, CX_ERR_SETTING,
				     "%s must be between %" PRId64 " and %"
				     PRId64 ", not %" PRId64,
				     info->key, info->min, info->max, v);
	return CX_OK;
}

static cx_status
check_string(const cx_setting_info *info, const char *v, cx_error *err)
{
	const char *const *c;

	if (!cxi_stanza_text_valid(v))
		return cxi_error_set(err, CX_ERR_SETTING,
				     "%s: the value is not valid UTF-8 text",
				     info->key);
	if (info->choices == NULL)
		return CX_OK;
	for (c = info->choices; *c != NULL; c++)
		if (strcmp(*c, v) == 0)
			return CX_OK;
	/* The value is not echoed: this could be the wrong key for a secret. */
	return cxi_error_set(err, CX_ERR_SETTING,
			     "%s: the value is not one of the allowed choices",
			     info->key);
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

/* Canonical text of a list: items joined by ',', each trimmed, empty items
 * dropped. Returns a malloc'd string (possibly "") or NULL on no memory. */
static char *
canonical_list(const char *text)
{
	char *out = malloc(strlen(text) + 1);
	size_t o = 0;
	const char *p = text;

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		const char *a, *b;

		while (is_space(*p))
			p++;
		a = p;
		while (*p != '\0' && *p != ',')
			p++;
		b = p;
		while (b > a && is_space(b[-1]))
			b--;
		if (b > a) {
			if (o > 0)
				out[o++] = ',';
			memcpy(out + o, a, (size_t)(b - a));
			o += (size_t)(b - a);
		}
		if (*p == ',')
			p++;
	}
	out[o] = '\0';
	return out;
}

/*
 * Parses text for key info into v (v->set is true on success). For string
 * keys an empty text means "the default": v->set stays false.
 */
static cx_status
parse_text(const cx_setting_info *info, const char *text, struct value *v,
	   cx_error *err)
{
	cx_status st;
	char *end;
	long long n;

	memset(v, 0, sizeof(*v));
	switch (info->type) {
	case CX_SETTING_TYPE_STRING:
		if (*text == '\0')
			return CX_OK;
		if ((st = check_string(info, text, err)) != CX_OK)
			return st;
		if ((v->str = strdup(text)) == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, NULL);
		break;
	case CX_SETTING_TYPE_INT:
		errno = 0;
		n = strtoll(text, &end, 10);
		if (errno != 0 || end == text || *end != '\0' ||
		    is_space(*text))
			return cxi_error_set(err, CX_ERR_SETTING,
					     "%s: '%s' is not a decimal integer",
					     info->key, text);
		if ((st = check_int(info, n, err)) != CX_OK)
			return st;
		v->i = n;
		break;
	case CX_SETTING_TYPE_BOOL:
		if (parse_bool(text, &v->i) != CX_OK)
			return cxi_error_set(err, CX_ERR_SETTING,
					     "%s: '%s' is not a boolean "
					     "(true/false, yes/no, on/off, 1/0)",
					     info->key, text);
		break;
	case CX_SETTING_TYPE_LIST:
		if (!cxi_stanza_text_valid(text))
			return cxi_error_set(err, CX_ERR_SETTING,
					     "%s: the value is not valid UTF-8 "
					     "text", info->key);
		if ((v->str = canonical_list(text)) == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, NULL);
		break;
	}
	v->set = true;
	return CX_OK;
}

static cx_status
lookup_typed(const cx_setting_info **out, const char *key,
	     cx_setting_type type, cx_error *err)
{
	const cx_setting_info *info = cx_settings_lookup(key);

	if (info == NULL)
		return cxi_error_set(err, CX_ERR_SETTING,
				     "unknown setting '%s'", key ? key : "");
	if (type != 0 && info->type != type)
		return cxi_error_set(err, CX_ERR_SETTING,
				     "setting %s is a %s, not a %s", info->key,
				     type_name(info->type), type_name(type));
	*out = info;
	return CX_OK;
}

/* Text of a value (set or default) for logs and dumps; masked if secret.
 * Call with the lock held. Returns a malloc'd string, or NULL for "no
 * value"; *nomem tells the two NULLs apart. */
static char *
value_text(const cx_settings *s, size_t k, bool mask, bool *nomem)
{
	const cx_setting_info *info = &table[k];
	const struct value *v = &s->v[k];
	char num[32];
	const char *t;
	char *r;

	*nomem = false;
	if (!v->set) {
		t = info->default_text;
	} else if (info->type == CX_SETTING_TYPE_INT) {
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		t = num;
	} else if (info->type == CX_SETTING_TYPE_BOOL) {
		t = v->i ? "true" : "false";
	} else {
		t = v->str;
	}
	if (t == NULL)
		return NULL;
	if (mask && info->secret)
		t = SECRET_MASK;
	r = strdup(t);
	if (r == NULL)
		*nomem = true;
	return r;
}

static void
log_set(const cx_setting_info *info, const struct value *v,
	const char *source)
{
	if (!cxi_log_enabled(NULL, CX_LOG_DEBUG))
		return;
	if (info->secret) {
		cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"setting %s = " SECRET_MASK " (%s)", info->key, source);
	} else if (info->type == CX_SETTING_TYPE_INT) {
		cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"setting %s = %" PRId64 " (%s)", info->key, v->i,
			source);
	} else if (info->type == CX_SETTING_TYPE_BOOL) {
		cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"setting %s = %s (%s)", info->key,
			v->i ? "true" : "false", source);
	} else {
		cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"setting %s = %s (%s)", info->key,
			v->set && v->str ? v->str : "(default)", source);
	}
}

/* Stores v (taking its string) into key k; frees the old value. */
static void
store(cx_settings *s, size_t k, struct value *v)
{
	pthread_mutex_lock(&s->lock);
	value_clear(&s->v[k], &table[k]);
	s->v[k] = *v;
	pthread_mutex_unlock(&s->lock);
	memset(v, 0, sizeof(*v));
}

/* ---- Lifetime ------------------------------------------------------------ */

static cx_status
alloc_settings(cx_settings **out, cx_error *err)
{
	cx_settings *s;
	int e;

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	if ((e = pthread_mutex_init(&s->lock, NULL)) != 0) {
		free(s);
		return cxi_error_set_errno(err, CX_ERR_SYSTEM, e,
					   "pthread_mutex_init");
	}
	atomic_init(&s->refs, 1);
	*out = s;
	return CX_OK;
}

static void
free_settings(cx_settings *s)
{
	size_t k;

	for (k = 0; k < NKEYS; k++)
		value_clear(&s->v[k], &table[k]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

cx_status
cx_settings_new(cx_settings **out, cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	return alloc_settings(out, err);
}

cx_status
cx_settings_copy(cx_settings **out, const cx_settings *s, cx_error *err)
{
	cx_settings *c = NULL, *src = (cx_settings *)s; /* the lock is mutable */
	cx_status st;
	size_t k;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	*out = NULL;
	if ((st = alloc_settings(&c, err)) != CX_OK)
		return st;
	pthread_mutex_lock(&src->lock);
	for (k = 0; k < NKEYS; k++) {
		c->v[k] = src->v[k];
		if (src->v[k].str != NULL &&
		    (c->v[k].str = strdup(src->v[k].str)) == NULL) {
			pthread_mutex_unlock(&src->lock);
			free_settings(c);
			return cxi_error_set(err, CX_ERR_NOMEM, NULL);
		}
	}
	pthread_mutex_unlock(&src->lock);
	*out = c;
	return CX_OK;
}

cx_settings *
cx_settings_ref(cx_settings *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
cx_settings_unref(cx_settings *s)
{
	if (s == NULL)
		return;
	if (atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	free_settings(s);
}

/* ---- Setters ------------------------------------------------------------ */

cx_status
cx_settings_set_string(cx_settings *s, const char *key, const char *value,
		       cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v = { false, NULL, 0 };
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no settings");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_STRING, err)) !=
	    CX_OK)
		return st;
	if (value != NULL && *value != '\0') {
		if ((st = check_string(info, value, err)) != CX_OK)
			return st;
		if ((v.str = strdup(value)) == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, NULL);
		v.set = true;
	}
	log_set(info, &v, "api");
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

cx_status
cx_settings_set_int(cx_settings *s, const char *key, int64_t value,
		    cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v = { true, NULL, value };
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no settings");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_INT, err)) != CX_OK ||
	    (st = check_int(info, value, err)) != CX_OK)
		return st;
	log_set(info, &v, "api");
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

cx_status
cx_settings_set_bool(cx_settings *s, const char *key, bool value,
		     cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v = { true, NULL, value ? 1 : 0 };
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no settings");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_BOOL, err)) != CX_OK)
		return st;
	log_set(info, &v, "api");
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

cx_status
cx_settings_set_list(cx_settings *s, const char *key,
		     const char *const *items, size_t n, cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v = { false, NULL, 0 };
	size_t i, total = 1, o = 0;
	cx_status st;

	if (s == NULL || (items == NULL && n > 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "settings and items are required");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_LIST, err)) != CX_OK)
		return st;
	for (i = 0; i < n; i++) {
		const char *it = items[i];
		size_t len = it != NULL ? strlen(it) : 0;

		if (len == 0 || strchr(it, ',') != NULL || is_space(it[0]) ||
		    is_space(it[len - 1]) || !cxi_stanza_text_valid(it))
			return cxi_error_set(err, CX_ERR_SETTING,
					     "%s: item %zu is empty, has a comma "
					     "or surrounding blanks, or is not "
					     "UTF-8 text", info->key, i);
		total += len + 1;
	}
	if (items != NULL) {
		if ((v.str = malloc(total)) == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, NULL);
		for (i = 0; i < n; i++) {
			size_t len = strlen(items[i]);
			if (i > 0)
				v.str[o++] = ',';
			memcpy(v.str + o, items[i], len);
			o += len;
		}
		v.str[o] = '\0';
		v.set = true;
	}
	log_set(info, &v, "api");
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

cx_status
cx_settings_set_from_string(cx_settings *s, const char *key,
			    const char *value, cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v;
	cx_status st;

	if (s == NULL || value == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "settings and value are required");
	if ((st = lookup_typed(&info, key, 0, err)) != CX_OK ||
	    (st = parse_text(info, value, &v, err)) != CX_OK)
		return st;
	log_set(info, &v, "text");
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

cx_status
cx_settings_unset(cx_settings *s, const char *key, cx_error *err)
{
	const cx_setting_info *info = NULL;
	struct value v = { false, NULL, 0 };
	cx_status st;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no settings");
	if ((st = lookup_typed(&info, key, 0, err)) != CX_OK)
		return st;
	store(s, (size_t)(info - table), &v);
	return CX_OK;
}

/* ---- Getters ------------------------------------------------------------ */

cx_status
cx_settings_get_string(char **out, const cx_settings *s, const char *key,
		       cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;
	size_t k;
	bool nomem;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	*out = NULL;
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_STRING, err)) !=
	    CX_OK)
		return st;
	k = (size_t)(info - table);
	pthread_mutex_lock(&m->lock);
	*out = value_text(s, k, false, &nomem);
	pthread_mutex_unlock(&m->lock);
	if (nomem)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

cx_status
cx_settings_get_int(int64_t *out, const cx_settings *s, const char *key,
		    cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;
	size_t k;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_INT, err)) != CX_OK)
		return st;
	k = (size_t)(info - table);
	pthread_mutex_lock(&m->lock);
	if (s->v[k].set)
		*out = s->v[k].i;
	else
		*out = strtoll(info->default_text, NULL, 10);
	pthread_mutex_unlock(&m->lock);
	return CX_OK;
}

cx_status
cx_settings_get_bool(bool *out, const cx_settings *s, const char *key,
		     cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;
	int64_t b = 0;
	size_t k;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_BOOL, err)) != CX_OK)
		return st;
	k = (size_t)(info - table);
	pthread_mutex_lock(&m->lock);
	if (s->v[k].set)
		b = s->v[k].i;
	else
		parse_bool(info->default_text, &b);
	pthread_mutex_unlock(&m->lock);
	*out = b != 0;
	return CX_OK;
}

/* Splits canonical list text into one block: pointers, then strings. */
static char **
split_list(const char *text, size_t *n)
{
	size_t count = 0, len = text != NULL ? strlen(text) : 0, i;
	char **arr, *p;

	if (len > 0) {
		count = 1;
		for (i = 0; i < len; i++)
			if (text[i] == ',')
				count++;
	}
	arr = malloc((count + 1) * sizeof(char *) + len + 1);
	if (arr == NULL)
		return NULL;
	p = (char *)(arr + count + 1);
	if (len > 0)
		memcpy(p, text, len);
	p[len] = '\0';
	for (i = 0; i < count; i++) {
		arr[i] = p;
		while (*p != '\0' && *p != ',')
			p++;
		if (*p == ',')
			*p++ = '\0';
	}
	arr[count] = NULL;
	*n = count;
	return arr;
}

cx_status
cx_settings_get_list(char ***out, size_t *n, const cx_settings *s,
		     const char *key, cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;
	size_t k, count = 0;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	*out = NULL;
	if (n != NULL)
		*n = 0;
	if ((st = lookup_typed(&info, key, CX_SETTING_TYPE_LIST, err)) != CX_OK)
		return st;
	k = (size_t)(info - table);
	pthread_mutex_lock(&m->lock);
	*out = split_list(s->v[k].set ? s->v[k].str : info->default_text,
			  &count);
	pthread_mutex_unlock(&m->lock);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	if (n != NULL)
		*n = count;
	return CX_OK;
}

cx_status
cx_settings_is_set(bool *out, const cx_settings *s, const char *key,
		   cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	if ((st = lookup_typed(&info, key, 0, err)) != CX_OK)
		return st;
	pthread_mutex_lock(&m->lock);
	*out = s->v[info - table].set;
	pthread_mutex_unlock(&m->lock);
	return CX_OK;
}

cx_status
cx_settings_get_as_string(char **out, const cx_settings *s, const char *key,
			  cx_error *err)
{
	cx_settings *m = (cx_settings *)s;
	const cx_setting_info *info = NULL;
	cx_status st;
	bool nomem;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	*out = NULL;
	if ((st = lookup_typed(&info, key, 0, err)) != CX_OK)
		return st;
	pthread_mutex_lock(&m->lock);
	*out = value_text(s, (size_t)(info - table), false, &nomem);
	pthread_mutex_unlock(&m->lock);
	if (nomem)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	return CX_OK;
}

/* ---- Loading ------------------------------------------------------------- */

/* Values parsed from a source, applied together. */
struct pending {
	struct value v[NKEYS];
	const char *source[NKEYS]; /* for the log: env var or "file" */
};

static void
pending_free(struct pending *p)
{
	size_t k;

	for (k = 0; k < NKEYS; k++)
		value_clear(&p->v[k], &table[k]);
}

static void
pending_apply(cx_settings *s, struct pending *p)
{
	size_t k;

	for (k = 0; k < NKEYS; k++)
		if (p->source[k] != NULL)
			log_set(&table[k], &p->v[k], p->source[k]);
	pthread_mutex_lock(&s->lock);
	for (k = 0; k < NKEYS; k++) {
		if (p->source[k] == NULL)
			continue;
		value_clear(&s->v[k], &table[k]);
		s->v[k] = p->v[k];
		memset(&p->v[k], 0, sizeof(p->v[k]));
	}
	pthread_mutex_unlock(&s->lock);
}

cx_status
cx_settings_load_env(cx_settings *s, cx_error *err)
{
	struct pending *p;
	char name[128];
	cx_status st = CX_OK;
	size_t k;

	if (s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no settings");
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, NULL);
	for (k = 0; k < NKEYS; k++) {
		const char *e;

		if (cx_settings_env_name(name, sizeof(name), table[k].key) !=
		    CX_OK)
			continue; /* cannot happen: every key is short */
		e = getenv(name);
		if (e == NULL)
			continue;
		if ((st = parse_text(&table[k], e, &p->v[k], err)) != CX_OK) {
			if (err != NULL) {
				char msg[sizeof(err->message)];
				cxi_strlcpy(msg, err->message, sizeof(msg));
				snprintf(err->message, sizeof(err->message),
					 "%.64s: %.180s", name, msg);
			}
			goto out;
		}
		p->source[k] = "environment";
	}
	pending_apply(s, p);
out:
	pending_free(p);
	free(p);
	return st;
}

/* Trims blanks at both ends, in place. */
static char *
trim(char *a)
{
	char *b;

	while (is_space(*a))
		a++;
	b = a + strlen(a);
	while (b > a && is_space(b[-1]))
		*--b = '\0';
	return a;
}

static cx_status
line_error(cx_error *err, const char *path, unsigned long lineno,
	   cx_status st)
{
	char msg[sizeof(((cx_error *)0)->message)];

	if (err == NULL)
		return st;
	cxi_strlcpy(msg, err->message, sizeof(msg));
	cxi_error_set(err, st, "%s:%lu: %s", path, lineno, msg);
	return st;
}

cx_status
cx_settings_load_file(cx_settings *s, const char *path, cx_error *err)
{
	struct pending *p = NULL;
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t got;
	unsigned long lineno = 0;
	cx_status st = CX_OK;
	struct stat sb;
	int pw;

	if (s == NULL || path == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "settings and path are required");
	f = fopen(path, "re");
	if (f == NULL)
		return cxi_error_set_errno(err, CX_ERR_SYSTEM, errno,
					   "cannot open %s", path);
	p = calloc(1, sizeof(*p));
	if (p == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, NULL);
		goto out;
	}
	while ((got = getline(&line, &cap, f)) >= 0) {
		const cx_setting_info *info = NULL;
		char *key, *val, *eq;
		size_t k;

		lineno++;
		key = trim(line);
		if (*key == '\0' || *key == '#')
			goto next;
		eq = strchr(key, '=');
		if (eq == NULL) {
			cxi_error_set(err, CX_ERR_SETTING,
				      "expected 'key = value'");
			st = line_error(err, path, lineno, CX_ERR_SETTING);
			goto out;
		}
		*eq = '\0';
		key = trim(key);
		val = trim(eq + 1);
		if ((st = lookup_typed(&info, key, 0, err)) != CX_OK) {
			st = line_error(err, path, lineno, st);
			goto out;
		}
		k = (size_t)(info - table);
		value_clear(&p->v[k], info); /* a later line wins */
		if ((st = parse_text(info, val, &p->v[k], err)) != CX_OK) {
			st = line_error(err, path, lineno, st);
			goto out;
		}
		p->source[k] = "file";
next:
		/* The line may have held the password. */
		OPENSSL_cleanse(line, (size_t)got);
	}
	if (ferror(f)) {
		st = cxi_error_set_errno(err, CX_ERR_SYSTEM, errno,
					 "cannot read %s", path);
		goto out;
	}
	pw = key_index(CX_SETTING_PASSWORD);
	if (pw >= 0 && p->source[pw] != NULL &&
	    fstat(fileno(f), &sb) == 0) {
		if (sb.st_mode & (S_IROTH | S_IWOTH)) {
			st = cxi_error_set(err, CX_ERR_SETTING,
					   "%s contains the password and is "
					   "accessible to other users: make it "
					   "private (chmod 600)", path);
			goto out;
		}
		if (sb.st_mode & (S_IRGRP | S_IWGRP))
			cxi_log(NULL, CX_LOG_WARN, CX_LOG_CAT_API,
				"%s contains the password and is accessible "
				"to its group", path);
	}
	pending_apply(s, p);
out:
	if (line != NULL) {
		OPENSSL_cleanse(line, cap);
		free(line);
	}
	if (p != NULL) {
		pending_free(p);
		free(p);
	}
	fclose(f);
	return st;
}

/* ---- Dump, log and docs --------------------------------------------------- */

/* Appends "key = value\n" for every key; secrets masked. */
static cx_status
dump_into(cxi_buf *b, const cx_settings *s)
{
	cx_settings *m = (cx_settings *)s;
	cx_status st = CX_OK;
	size_t k;

	pthread_mutex_lock(&m->lock);
	for (k = 0; k < NKEYS && st == CX_OK; k++) {
		bool nomem;
		char *t = value_text(s, k, true, &nomem);

		if (nomem) {
			st = CX_ERR_NOMEM;
			break;
		}
		st = cxi_buf_printf(b, "%s =%s%s\n", table[k].key,
				    t != NULL ? " " : "", t != NULL ? t : "");
		free(t);
	}
	pthread_mutex_unlock(&m->lock);
	return st;
}

cx_status
cx_settings_dump(char **out, const cx_settings *s, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	cx_status st;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "out and settings are required");
	*out = NULL;
	st = dump_into(&b, s);
	if (st == CX_OK && (*out = cxi_buf_strdup(&b)) == NULL)
		st = CX_ERR_NOMEM;
	cxi_buf_free(&b);
	if (st != CX_OK)
		return cxi_error_set(err, st, NULL);
	return CX_OK;
}

void
cxi_settings_log(const cx_settings *s, const cxi_logger *lg,
		 cx_log_level level)
{
	cxi_buf b = CXI_BUF_INIT;
	const char *p, *end, *nl;

	if (s == NULL || !cxi_log_enabled(lg, level))
		return;
	if (dump_into(&b, s) != CX_OK) {
		cxi_buf_free(&b);
		return;
	}
	p = (const char *)cxi_buf_head(&b);
	end = p + cxi_buf_size(&b);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		cxi_log(lg, level, CX_LOG_CAT_API, "setting %.*s",
			(int)(nl - p), p);
	}
	cxi_buf_free(&b);
}

cx_status
cxi_settings_xml_limits(cxi_xml_limits *out, const cx_settings *s)
{
	int64_t v[4];
	cx_status st;

	if ((st = cx_settings_get_int(&v[0], s,
				      CX_SETTING_LIMITS_MAX_STANZA_BYTES,
				      NULL)) != CX_OK ||
	    (st = cx_settings_get_int(&v[1], s, CX_SETTING_LIMITS_MAX_DEPTH,
				      NULL)) != CX_OK ||
	    (st = cx_settings_get_int(&v[2], s, CX_SETTING_LIMITS_MAX_ATTRS,
				      NULL)) != CX_OK ||
	    (st = cx_settings_get_int(&v[3], s, CX_SETTING_LIMITS_MAX_CHILDREN,
				      NULL)) != CX_OK)
		return st;
	/* The table's ranges keep each within its field. */
	out->max_stanza_bytes = (size_t)v[0];
	out->max_depth = (unsigned)v[1];
	out->max_attrs = (unsigned)v[2];
	out->max_children = (unsigned)v[3];
	return CX_OK;
}

cx_status
cxi_settings_doc_markdown(cxi_buf *b)
{
	char env[128];
	cx_status st;
	size_t k;

	st = cxi_buf_append_str(b,
		"# Settings\n"
		"\n"
		"<!-- Generated from the table in lib/core/settings.c by "
		"`make settings-doc`: edit the table, not this file. -->\n"
		"\n"
		"Every parameter of cxmpp is a key of a `cx_settings` store "
		"(`include/cxmpp/settings.h`). Each key has a type and a "
		"default; unknown keys and values of the wrong type are errors "
		"(`CX_ERR_SETTING`).\n"
		"\n"
		"Ways to set a key:\n"
		"\n"
		"- in C, with the typed setters (`cx_settings_set_string`, "
		"`_int`, `_bool`, `_list`) and the `CX_SETTING_*` constants;\n"
		"- as text, with `cx_settings_set_from_string` (command-line "
		"flags);\n"
		"- from the environment, with `cx_settings_load_env`: the "
		"variable is `CXMPP_` followed by the key in upper case, with "
		"`.` and `-` replaced by `_` (`tls.ca_file` is "
		"`CXMPP_TLS_CA_FILE`);\n"
		"- from a file, with `cx_settings_load_file`: one `key = value` "
		"per line, `#` starts a comment line, blank lines are ignored. "
		"A file that sets the password must not be accessible to other "
		"users (`chmod 600`).\n"
		"\n"
		"Text forms: a boolean is `true`/`false`, `yes`/`no`, `on`/`off` "
		"or `1`/`0`; an integer is decimal; a list is comma-separated "
		"items (blanks around items are dropped, so items cannot "
		"contain commas). An empty text restores a string key's "
		"default and makes a list empty.\n"
		"\n"
		"The password is never logged, and `cx_settings_dump` shows it "
		"as `********`.\n"
		"\n"
		"| Key | Type | Default | Environment | Description |\n"
		"|-----|------|---------|-------------|-------------|\n");
	for (k = 0; k < NKEYS && st == CX_OK; k++) {
		const cx_setting_info *i = &table[k];
		char type[160];

		cx_settings_env_name(env, sizeof(env), i->key);
		if (i->type == CX_SETTING_TYPE_INT)
			snprintf(type, sizeof(type), "integer, %" PRId64
				 " to %" PRId64, i->min, i->max);
		else if (i->type == CX_SETTING_TYPE_STRING && i->choices)
			snprintf(type, sizeof(type), "string (choice)");
		else
			snprintf(type, sizeof(type), "%s",
				 type_name(i->type));
		st = cxi_buf_printf(b, "| `%s` | %s | %s%s%s | `%s` | %s |\n",
				    i->key, type,
				    i->default_text ? "`" : "",
				    i->default_text ? i->default_text : "none",
				    i->default_text ? "`" : "", env, i->doc);
	}
	return st;
}

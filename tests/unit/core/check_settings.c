/* Unit tests for cx_settings (include/cxmpp/settings.h). */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxmpp/settings.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/core/settings.h"
#include "tests/unit/testutil.h"

static cx_settings *
new_settings(void)
{
	cx_settings *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_new(&s, &err), CX_OK);
	ck_assert_ptr_nonnull(s);
	return s;
}

static char *
as_string(const cx_settings *s, const char *key)
{
	char *v = NULL;

	ck_assert_int_eq(cx_settings_get_as_string(&v, s, key, NULL), CX_OK);
	return v;
}

static int64_t
get_int(const cx_settings *s, const char *key)
{
	int64_t v = -12345;

	ck_assert_int_eq(cx_settings_get_int(&v, s, key, NULL), CX_OK);
	return v;
}

/* Reads a whole file into a NUL-terminated malloc'd string. */
static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	cxi_buf b = CXI_BUF_INIT;
	char chunk[4096];
	size_t n;
	char *r;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ck_assert_int_eq(cxi_buf_append(&b, chunk, n), CX_OK);
	fclose(f);
	r = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	ck_assert_ptr_nonnull(r);
	return r;
}

/* Writes content to a new temporary file with the given mode. */
static void
write_temp(char *path, size_t len, const char *content, mode_t mode)
{
	int fd;
	size_t n = strlen(content);

	snprintf(path, len, "/tmp/cxmpp-check-settings-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* ---- table ------------------------------------------------------------- */

/* Every key the specification asks for. */
static const char *const required_keys[] = {
	"jid", "password", "authzid", "resource", "host", "port", "tls",
	"tls.ca_file", "tls.ca_dir", "tls.pins", "tls.insecure_skip_verify",
	"tls.cert_file", "tls.key_file", "tls.min_version", "sasl.mechanisms",
	"sasl.insecure_allow_plain_auth", "sasl.max_iterations", "lang",
	"timeout_ms", "connect_timeout_ms", "dns.nameserver", "dns.timeout_ms",
	"pool.size", "limits.max_stanza_bytes", "limits.max_depth",
	"limits.max_attrs", "limits.max_children", "dispatch.queue_max",
	"keepalive.interval_ms", "ping.interval_ms", "ping.timeout_ms",
	"presence.initial", "log.level",
};

START_TEST(test_settings_table_required_keys)
{
	size_t i, n = sizeof(required_keys) / sizeof(required_keys[0]);

	for (i = 0; i < n; i++)
		ck_assert_msg(cx_settings_lookup(required_keys[i]) != NULL,
			      "missing key %s", required_keys[i]);
	ck_assert_uint_eq(cx_settings_count(), n);
	ck_assert_ptr_null(cx_settings_lookup("sm.enable"));
	ck_assert_ptr_null(cx_settings_lookup(NULL));
	ck_assert_ptr_null(cx_settings_info(cx_settings_count()));
}
END_TEST

START_TEST(test_settings_table_every_key_documented)
{
	size_t i, j, n = cx_settings_count();
	char env_i[128], env_j[128];
	cx_settings *s = new_settings();

	for (i = 0; i < n; i++) {
		const cx_setting_info *in = cx_settings_info(i);
		size_t dl;

		ck_assert_ptr_nonnull(in);
		ck_assert_ptr_eq(cx_settings_lookup(in->key), in);
		ck_assert_msg(in->doc != NULL && (dl = strlen(in->doc)) > 10,
			      "%s has no documentation", in->key);
		ck_assert_msg(in->doc[dl - 1] == '.', "%s: doc ends without a "
			      "period", in->key);
		ck_assert_msg(strchr(in->doc, '|') == NULL &&
				      strchr(in->doc, '\n') == NULL,
			      "%s: doc breaks the markdown table", in->key);
		ck_assert_msg(in->type >= CX_SETTING_TYPE_STRING &&
				      in->type <= CX_SETTING_TYPE_LIST,
			      "%s: bad type", in->key);
		/* Defaults: ints and bools must have one, and every default
		 * must be accepted by the key's own parser and read back. */
		if (in->type == CX_SETTING_TYPE_INT ||
		    in->type == CX_SETTING_TYPE_BOOL)
			ck_assert_msg(in->default_text != NULL,
				      "%s has no default", in->key);
		if (in->default_text != NULL) {
			char *v;
			ck_assert_msg(cx_settings_set_from_string(
					      s, in->key, in->default_text,
					      NULL) == CX_OK,
				      "default of %s does not parse", in->key);
			v = as_string(s, in->key);
			ck_assert_str_eq(v, in->default_text);
			cx_free(v);
			ck_assert_int_eq(cx_settings_unset(s, in->key, NULL),
					 CX_OK);
		}
		if (in->type == CX_SETTING_TYPE_INT) {
			int64_t d = strtoll(in->default_text, NULL, 10);
			ck_assert(in->min <= d && d <= in->max);
		}
		ck_assert_int_eq(cx_settings_env_name(env_i, sizeof(env_i),
						      in->key), CX_OK);
		ck_assert_str_ne(env_i, "CXMPP_DEBUG");
		for (j = 0; j < i; j++) {
			const cx_setting_info *jn = cx_settings_info(j);
			ck_assert_str_ne(in->key, jn->key);
			cx_settings_env_name(env_j, sizeof(env_j), jn->key);
			ck_assert_str_ne(env_i, env_j);
		}
	}
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_table_defaults)
{
	cx_settings *s = new_settings();
	char *v = NULL, **list = NULL;
	size_t n = 0;
	bool b = true;

	ck_assert_int_eq(cx_settings_get_string(&v, s, CX_SETTING_JID, NULL),
			 CX_OK);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(cx_settings_get_string(&v, s, CX_SETTING_TLS, NULL),
			 CX_OK);
	ck_assert_str_eq(v, "starttls");
	cx_free(v);
	ck_assert_int_eq(cx_settings_get_string(&v, s, CX_SETTING_LANG, NULL),
			 CX_OK);
	ck_assert_str_eq(v, "en");
	cx_free(v);
	ck_assert_int_eq(cx_settings_get_string(&v, s, CX_SETTING_LOG_LEVEL,
						NULL), CX_OK);
	ck_assert_str_eq(v, "warn");
	cx_free(v);
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 0);
	ck_assert_int_eq(get_int(s, CX_SETTING_SASL_MAX_ITERATIONS), 100000);
	ck_assert_int_eq(get_int(s, CX_SETTING_TIMEOUT_MS), 30000);
	ck_assert_int_eq(get_int(s, CX_SETTING_CONNECT_TIMEOUT_MS), 10000);
	ck_assert_int_eq(get_int(s, CX_SETTING_POOL_SIZE), 0);
	ck_assert_int_eq(get_int(s, CX_SETTING_LIMITS_MAX_STANZA_BYTES), 262144);
	ck_assert_int_eq(get_int(s, CX_SETTING_LIMITS_MAX_DEPTH), 64);
	ck_assert_int_eq(get_int(s, CX_SETTING_LIMITS_MAX_ATTRS), 64);
	ck_assert_int_eq(get_int(s, CX_SETTING_LIMITS_MAX_CHILDREN), 10000);
	ck_assert_int_eq(get_int(s, CX_SETTING_DISPATCH_QUEUE_MAX), 1024);
	ck_assert_int_eq(cx_settings_get_bool(&b, s,
			 CX_SETTING_TLS_INSECURE_SKIP_VERIFY, NULL), CX_OK);
	ck_assert(!b);
	ck_assert_int_eq(cx_settings_get_bool(&b, s,
			 CX_SETTING_PRESENCE_INITIAL, NULL), CX_OK);
	ck_assert(b);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s,
			 CX_SETTING_SASL_MECHANISMS, NULL), CX_OK);
	ck_assert_uint_eq(n, 5);
	ck_assert_str_eq(list[0], "SCRAM-SHA-256-PLUS");
	ck_assert_str_eq(list[1], "SCRAM-SHA-256");
	ck_assert_str_eq(list[2], "SCRAM-SHA-1-PLUS");
	ck_assert_str_eq(list[3], "SCRAM-SHA-1");
	ck_assert_str_eq(list[4], "PLAIN");
	ck_assert_ptr_null(list[5]);
	cx_free(list);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s,
			 CX_SETTING_TLS_PINS, NULL), CX_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_nonnull(list);
	ck_assert_ptr_null(list[0]);
	cx_free(list);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_table_xml_limits)
{
	cx_settings *s = new_settings();
	cxi_xml_limits lim;
	const cxi_xml_limits def = CXI_XML_LIMITS_DEFAULT;

	ck_assert_int_eq(cxi_settings_xml_limits(&lim, s), CX_OK);
	ck_assert_uint_eq(lim.max_stanza_bytes, def.max_stanza_bytes);
	ck_assert_uint_eq(lim.max_depth, def.max_depth);
	ck_assert_uint_eq(lim.max_attrs, def.max_attrs);
	ck_assert_uint_eq(lim.max_children, def.max_children);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_LIMITS_MAX_DEPTH, 9,
					     NULL), CX_OK);
	ck_assert_int_eq(cxi_settings_xml_limits(&lim, s), CX_OK);
	ck_assert_uint_eq(lim.max_depth, 9);
	cx_settings_unref(s);
}
END_TEST

/* ---- types ------------------------------------------------------------- */

START_TEST(test_settings_types_unknown_key)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *str = NULL, **list = NULL;
	int64_t i;
	bool b;
	const char *item = "x";

	ck_assert_int_eq(cx_settings_set_string(s, "nope", "x", &err),
			 CX_ERR_SETTING);
	ck_assert_int_eq(err.status, CX_ERR_SETTING);
	ck_assert_ptr_nonnull(strstr(err.message, "nope"));
	ck_assert_int_eq(cx_settings_set_int(s, "nope", 1, NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_bool(s, "nope", 1, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_list(s, "nope", &item, 1, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_from_string(s, "nope", "1", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_string(&str, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_int(&i, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_bool(&b, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_list(&list, NULL, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_as_string(&str, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_is_set(&b, s, "nope", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_unset(s, "nope", NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, NULL, "x", NULL),
			 CX_ERR_SETTING);
	/* Case matters: keys are exact. */
	ck_assert_int_eq(cx_settings_set_string(s, "JID", "a@b", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(NULL, "jid", "a@b", NULL),
			 CX_ERR_INVALID);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_types_wrong_type)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *str = NULL, **list = NULL;
	int64_t i;
	bool b;
	const char *item = "PLAIN";

	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_JID, 5, &err),
			 CX_ERR_SETTING);
	ck_assert_ptr_nonnull(strstr(err.message, "string"));
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_PORT, "5222",
						NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_bool(s, CX_SETTING_PORT, true, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS_PINS, "x",
						NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_JID, &item, 1,
					      NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_string(&str, s, CX_SETTING_PORT, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_int(&i, s, CX_SETTING_PRESENCE_INITIAL,
					     NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_bool(&b, s, CX_SETTING_PORT, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_get_list(&list, NULL, s, CX_SETTING_JID,
					      NULL), CX_ERR_SETTING);
	/* Nothing changed. */
	ck_assert_int_eq(cx_settings_is_set(&b, s, CX_SETTING_JID, NULL), CX_OK);
	ck_assert(!b);
	ck_assert_int_eq(cx_settings_is_set(&b, s, CX_SETTING_PORT, NULL),
			 CX_OK);
	ck_assert(!b);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_types_values_checked)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *v;

	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PORT, 5269, NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PORT, 65536, &err),
			 CX_ERR_SETTING);
	ck_assert_ptr_nonnull(strstr(err.message, "65535"));
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PORT, -1, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 5269);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_TIMEOUT_MS, 0, NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS, "sometimes",
						NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS,
						CX_TLS_DIRECT, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS_MIN_VERSION,
						"1.1", NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID,
						"bad\xff@utf8", NULL),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "a@b/c",
						NULL), CX_OK);
	v = as_string(s, CX_SETTING_JID);
	ck_assert_str_eq(v, "a@b/c");
	cx_free(v);
	/* NULL and "" restore the default. */
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "", NULL),
			 CX_OK);
	ck_assert_ptr_null(as_string(s, CX_SETTING_JID));
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS, NULL, NULL),
			 CX_OK);
	v = as_string(s, CX_SETTING_TLS);
	ck_assert_str_eq(v, "starttls");
	cx_free(v);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_types_list)
{
	cx_settings *s = new_settings();
	const char *pins[] = { "sha256/AAAA", "sha256/BBBB+/=" };
	const char *bad1[] = { "ok", "with,comma" };
	const char *bad2[] = { "" };
	const char *bad3[] = { " lead" };
	char **list = NULL, *v;
	size_t n = 99;
	bool set;

	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, pins, 2,
					      NULL), CX_OK);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s, CX_SETTING_TLS_PINS,
					      NULL), CX_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[0], pins[0]);
	ck_assert_str_eq(list[1], pins[1]);
	ck_assert_ptr_null(list[2]);
	cx_free(list);
	v = as_string(s, CX_SETTING_TLS_PINS);
	ck_assert_str_eq(v, "sha256/AAAA,sha256/BBBB+/=");
	cx_free(v);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, bad1, 2,
					      NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, bad2, 1,
					      NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, bad3, 1,
					      NULL), CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, NULL, 1,
					      NULL), CX_ERR_INVALID);
	/* Still the good value. */
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s, CX_SETTING_TLS_PINS,
					      NULL), CX_OK);
	ck_assert_uint_eq(n, 2);
	cx_free(list);
	/* Empty list (items non-NULL) differs from the default. */
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_SASL_MECHANISMS,
					      pins, 0, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s,
			 CX_SETTING_SASL_MECHANISMS, NULL), CX_OK);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(list[0]);
	cx_free(list);
	ck_assert_int_eq(cx_settings_is_set(&set, s, CX_SETTING_SASL_MECHANISMS,
					    NULL), CX_OK);
	ck_assert(set);
	/* NULL, 0 restores the default. */
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_SASL_MECHANISMS,
					      NULL, 0, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s,
			 CX_SETTING_SASL_MECHANISMS, NULL), CX_OK);
	ck_assert_uint_eq(n, 5);
	cx_free(list);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_types_unset)
{
	cx_settings *s = new_settings();
	bool set = true;

	ck_assert_int_eq(cx_settings_is_set(&set, s, CX_SETTING_TIMEOUT_MS,
					    NULL), CX_OK);
	ck_assert(!set);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_TIMEOUT_MS, 5, NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_is_set(&set, s, CX_SETTING_TIMEOUT_MS,
					    NULL), CX_OK);
	ck_assert(set);
	ck_assert_int_eq(get_int(s, CX_SETTING_TIMEOUT_MS), 5);
	ck_assert_int_eq(cx_settings_unset(s, CX_SETTING_TIMEOUT_MS, NULL),
			 CX_OK);
	ck_assert_int_eq(get_int(s, CX_SETTING_TIMEOUT_MS), 30000);
	ck_assert_int_eq(cx_settings_is_set(&set, s, CX_SETTING_TIMEOUT_MS,
					    NULL), CX_OK);
	ck_assert(!set);
	cx_settings_unref(s);
}
END_TEST

/* ---- text ---------------------------------------------------------------- */

static const struct {
	const char *key, *text;
	cx_status status;
	const char *expect; /* value as text afterwards; NULL: no value */
} text_cases[] = {
	{ "port", "5222", CX_OK, "5222" },
	{ "port", "+7", CX_OK, "7" },
	{ "port", "52x", CX_ERR_SETTING, NULL },
	{ "port", "", CX_ERR_SETTING, NULL },
	{ "port", " 5", CX_ERR_SETTING, NULL },
	{ "port", "5 ", CX_ERR_SETTING, NULL },
	{ "port", "0x10", CX_ERR_SETTING, NULL },
	{ "port", "70000", CX_ERR_SETTING, NULL },
	{ "port", "99999999999999999999999", CX_ERR_SETTING, NULL },
	{ "timeout_ms", "-1", CX_ERR_SETTING, NULL },
	{ "tls.insecure_skip_verify", "YES", CX_OK, "true" },
	{ "tls.insecure_skip_verify", "on", CX_OK, "true" },
	{ "tls.insecure_skip_verify", "1", CX_OK, "true" },
	{ "tls.insecure_skip_verify", "False", CX_OK, "false" },
	{ "tls.insecure_skip_verify", "off", CX_OK, "false" },
	{ "tls.insecure_skip_verify", "no", CX_OK, "false" },
	{ "tls.insecure_skip_verify", "2", CX_ERR_SETTING, NULL },
	{ "tls.insecure_skip_verify", "", CX_ERR_SETTING, NULL },
	{ "sasl.mechanisms", " PLAIN , SCRAM-SHA-1 ,", CX_OK,
	  "PLAIN,SCRAM-SHA-1" },
	{ "sasl.mechanisms", "", CX_OK, "" },
	{ "sasl.mechanisms", ",,", CX_OK, "" },
	{ "tls.pins", "sha256/abc", CX_OK, "sha256/abc" },
	{ "lang", "", CX_OK, "en" },
	{ "lang", "de-CH", CX_OK, "de-CH" },
	{ "tls", "direct", CX_OK, "direct" },
	{ "tls", "insecure-none", CX_OK, "insecure-none" },
	{ "tls", "DIRECT", CX_ERR_SETTING, NULL },
	{ "tls.min_version", "1.3", CX_OK, "1.3" },
	{ "tls.min_version", "1.0", CX_ERR_SETTING, NULL },
	{ "log.level", "trace", CX_OK, "trace" },
	{ "log.level", "loud", CX_ERR_SETTING, NULL },
	{ "host", "", CX_OK, NULL },
	{ "host", "127.0.0.1", CX_OK, "127.0.0.1" },
	{ "jid", "\xc3\xa9l\xc3\xa8ve@example.org", CX_OK,
	  "\xc3\xa9l\xc3\xa8ve@example.org" },
	{ "jid", "\xc3", CX_ERR_SETTING, NULL },
};

START_TEST(test_settings_text_parse)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	char *v;
	bool set;

	st = cx_settings_set_from_string(s, text_cases[_i].key,
					 text_cases[_i].text, &err);
	ck_assert_msg(st == text_cases[_i].status,
		      "%s = '%s': got %d, expected %d", text_cases[_i].key,
		      text_cases[_i].text, st, text_cases[_i].status);
	if (st != CX_OK) {
		ck_assert_str_ne(err.message, "");
		/* A failure leaves the key unset. */
		ck_assert_int_eq(cx_settings_is_set(&set, s, text_cases[_i].key,
						    NULL), CX_OK);
		ck_assert(!set);
		goto out;
	}
	v = as_string(s, text_cases[_i].key);
	if (text_cases[_i].expect == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_str_eq(v, text_cases[_i].expect);
	cx_free(v);
out:
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_text_env_name)
{
	char buf[64];

	ck_assert_int_eq(cx_settings_env_name(buf, sizeof(buf), "tls.ca_file"),
			 CX_OK);
	ck_assert_str_eq(buf, "CXMPP_TLS_CA_FILE");
	ck_assert_int_eq(cx_settings_env_name(buf, sizeof(buf), "jid"), CX_OK);
	ck_assert_str_eq(buf, "CXMPP_JID");
	ck_assert_int_eq(cx_settings_env_name(buf, sizeof(buf),
			 "sasl.insecure_allow_plain_auth"), CX_OK);
	ck_assert_str_eq(buf, "CXMPP_SASL_INSECURE_ALLOW_PLAIN_AUTH");
	ck_assert_int_eq(cx_settings_env_name(buf, sizeof(buf), "nope"),
			 CX_ERR_SETTING);
	ck_assert_int_eq(cx_settings_env_name(buf, 9, "jid"), CX_ERR_INVALID);
	ck_assert_int_eq(cx_settings_env_name(buf, 10, "jid"), CX_OK);
}
END_TEST

/* ---- env ------------------------------------------------------------------ */

static void
clear_env(void)
{
	size_t i;
	char name[128];

	for (i = 0; i < cx_settings_count(); i++) {
		cx_settings_env_name(name, sizeof(name),
				     cx_settings_info(i)->key);
		unsetenv(name);
	}
}

START_TEST(test_settings_env_load)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *v, **list;
	size_t n;
	bool b;

	clear_env();
	setenv("CXMPP_JID", "alice@example.org", 1);
	setenv("CXMPP_PASSWORD", "s3cret", 1);
	setenv("CXMPP_HOST", "127.0.0.1", 1);
	setenv("CXMPP_PORT", "5299", 1);
	setenv("CXMPP_TLS_CA_FILE", "/etc/ca.pem", 1);
	setenv("CXMPP_TLS_INSECURE_SKIP_VERIFY", "yes", 1);
	setenv("CXMPP_SASL_MECHANISMS", "SCRAM-SHA-1, PLAIN", 1);
	setenv("CXMPP_LIMITS_MAX_DEPTH", "32", 1);
	ck_assert_int_eq(cx_settings_load_env(s, &err), CX_OK);
	v = as_string(s, CX_SETTING_JID);
	ck_assert_str_eq(v, "alice@example.org");
	cx_free(v);
	v = as_string(s, CX_SETTING_PASSWORD);
	ck_assert_str_eq(v, "s3cret");
	cx_free(v);
	v = as_string(s, CX_SETTING_HOST);
	ck_assert_str_eq(v, "127.0.0.1");
	cx_free(v);
	v = as_string(s, CX_SETTING_TLS_CA_FILE);
	ck_assert_str_eq(v, "/etc/ca.pem");
	cx_free(v);
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 5299);
	ck_assert_int_eq(get_int(s, CX_SETTING_LIMITS_MAX_DEPTH), 32);
	ck_assert_int_eq(cx_settings_get_bool(&b, s,
			 CX_SETTING_TLS_INSECURE_SKIP_VERIFY, NULL), CX_OK);
	ck_assert(b);
	ck_assert_int_eq(cx_settings_get_list(&list, &n, s,
			 CX_SETTING_SASL_MECHANISMS, NULL), CX_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(list[1], "PLAIN");
	cx_free(list);
	/* Keys without a variable keep their value. */
	ck_assert_int_eq(get_int(s, CX_SETTING_TIMEOUT_MS), 30000);
	clear_env();
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_env_bad_value_changes_nothing)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *v;

	clear_env();
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "old@x",
						NULL), CX_OK);
	setenv("CXMPP_JID", "new@x", 1);
	setenv("CXMPP_PORT", "http", 1);
	ck_assert_int_eq(cx_settings_load_env(s, &err), CX_ERR_SETTING);
	ck_assert_int_eq(err.status, CX_ERR_SETTING);
	ck_assert_msg(strstr(err.message, "CXMPP_PORT") != NULL, "%s",
		      err.message);
	v = as_string(s, CX_SETTING_JID);
	ck_assert_str_eq(v, "old@x");
	cx_free(v);
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 0);
	clear_env();
	cx_settings_unref(s);
}
END_TEST

/* ---- file ------------------------------------------------------------------ */

START_TEST(test_settings_file_load)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char path[64], *v;
	bool b;

	write_temp(path, sizeof(path),
		   "# account\n"
		   "\n"
		   "jid = bob@example.org\n"
		   "   password=pa#ss = word  \n"
		   "\t# indented comment\n"
		   "port = 5223\n"
		   "tls = direct\r\n"
		   "presence.initial = off\n"
		   "port = 5224\n"
		   "host =\n"
		   "sasl.mechanisms = PLAIN",
		   0600);
	ck_assert_msg(cx_settings_load_file(s, path, &err) == CX_OK, "%s",
		      err.message);
	v = as_string(s, CX_SETTING_JID);
	ck_assert_str_eq(v, "bob@example.org");
	cx_free(v);
	v = as_string(s, CX_SETTING_PASSWORD);
	ck_assert_str_eq(v, "pa#ss = word");
	cx_free(v);
	v = as_string(s, CX_SETTING_TLS);
	ck_assert_str_eq(v, "direct");
	cx_free(v);
	v = as_string(s, CX_SETTING_SASL_MECHANISMS);
	ck_assert_str_eq(v, "PLAIN");
	cx_free(v);
	ck_assert_ptr_null(as_string(s, CX_SETTING_HOST));
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 5224);
	ck_assert_int_eq(cx_settings_get_bool(&b, s,
			 CX_SETTING_PRESENCE_INITIAL, NULL), CX_OK);
	ck_assert(!b);
	unlink(path);
	cx_settings_unref(s);
}
END_TEST

static const struct {
	const char *content;
	const char *where; /* ":LINE:" expected in the message */
} bad_files[] = {
	{ "jid = a@b\nthis line has no equals sign\n", ":2:" },
	{ "# c\n\njid = a@b\nnot.a.key = 1\n", ":4:" },
	{ "port = many\n", ":1:" },
	{ "jid = a@b\n\n\n\n\ntls = maybe\n", ":6:" },
	{ "= value without key\n", ":1:" },
	{ "jid = a@b\npresence.initial = perhaps\njid = c@d\n", ":2:" },
};

START_TEST(test_settings_file_bad_line)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	char path[64], *v;

	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "keep@x",
						NULL), CX_OK);
	write_temp(path, sizeof(path), bad_files[_i].content, 0600);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_ERR_SETTING);
	ck_assert_msg(strstr(err.message, path) != NULL &&
			      strstr(err.message, bad_files[_i].where) != NULL,
		      "message '%s' lacks %s", err.message,
		      bad_files[_i].where);
	/* All or nothing. */
	v = as_string(s, CX_SETTING_JID);
	ck_assert_str_eq(v, "keep@x");
	cx_free(v);
	unlink(path);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_settings_file_missing)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_load_file(s, "/nonexistent/cxmpp.conf",
					       &err), CX_ERR_SYSTEM);
	ck_assert_int_eq(err.sys_errno, ENOENT);
	ck_assert_int_eq(cx_settings_load_file(s, NULL, NULL), CX_ERR_INVALID);
	cx_settings_unref(s);
}
END_TEST

struct logcap {
	pthread_mutex_t lock;
	cxi_buf all;
	int warnings;
};

static void
capture(void *arg, cx_log_level level, const char *category, const char *msg)
{
	struct logcap *c = arg;

	pthread_mutex_lock(&c->lock);
	if (level == CX_LOG_WARN)
		c->warnings++;
	cxi_buf_printf(&c->all, "%s|%s\n", category, msg);
	pthread_mutex_unlock(&c->lock);
}

START_TEST(test_settings_file_password_permissions)
{
	cx_settings *s = new_settings();
	cx_error err = CX_ERROR_INIT;
	struct logcap cap = { PTHREAD_MUTEX_INITIALIZER, CXI_BUF_INIT, 0 };
	char path[64];

	cx_log_set_default(capture, &cap, CX_LOG_TRACE);
	/* World-readable with a password: refused. */
	write_temp(path, sizeof(path), "password = hunter2\n", 0644);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_ERR_SETTING);
	ck_assert_ptr_nonnull(strstr(err.message, "chmod 600"));
	ck_assert_ptr_null(as_string(s, CX_SETTING_PASSWORD));
	unlink(path);
	/* World-readable without a password: fine. */
	write_temp(path, sizeof(path), "jid = a@b\n", 0644);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_OK);
	unlink(path);
	/* Group-readable with a password: accepted, with a warning. */
	ck_assert_int_eq(cap.warnings, 0);
	write_temp(path, sizeof(path), "password = hunter2\n", 0640);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_OK);
	ck_assert_int_eq(cap.warnings, 1);
	unlink(path);
	/* Private: no warning. */
	write_temp(path, sizeof(path), "password = hunter2\n", 0600);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_OK);
	ck_assert_int_eq(cap.warnings, 1);
	unlink(path);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_ptr_null(memmem(cxi_buf_head(&cap.all),
				  cxi_buf_size(&cap.all), "hunter2", 7));
	cxi_buf_free(&cap.all);
	cx_settings_unref(s);
}
END_TEST

/* ---- lifetime ---------------------------------------------------------------- */

START_TEST(test_settings_lifetime_ref_copy)
{
	cx_settings *s = new_settings(), *c = NULL;
	char *v;

	ck_assert_ptr_eq(cx_settings_ref(s), s);
	cx_settings_unref(s); /* back to one */
	ck_assert_ptr_null(cx_settings_ref(NULL));
	cx_settings_unref(NULL);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "a@b", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PORT, 1, NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_copy(&c, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_ne(c, s);
	/* The copy is a snapshot, independent of the original. */
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "x@y", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_set_int(c, CX_SETTING_PORT, 2, NULL),
			 CX_OK);
	v = as_string(c, CX_SETTING_JID);
	ck_assert_str_eq(v, "a@b");
	cx_free(v);
	ck_assert_int_eq(get_int(s, CX_SETTING_PORT), 1);
	ck_assert_int_eq(get_int(c, CX_SETTING_PORT), 2);
	/* A reference kept elsewhere outlives the creator's. */
	cx_settings_ref(c);
	cx_settings_unref(c);
	ck_assert_int_eq(get_int(c, CX_SETTING_PORT), 2);
	cx_settings_unref(c);
	cx_settings_unref(s);
	ck_assert_int_eq(cx_settings_copy(NULL, NULL, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_settings_new(NULL, NULL), CX_ERR_INVALID);
}
END_TEST

START_TEST(test_settings_lifetime_dump_roundtrip)
{
	cx_settings *s = new_settings(), *t = new_settings();
	cx_error err = CX_ERROR_INIT;
	char *d1 = NULL, *d2 = NULL, path[64];
	const char *pins[] = { "sha256/x", "sha256/y" };

	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "a@b", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_PASSWORD,
						"topsecret", NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PORT, 15222, NULL),
			 CX_OK);
	ck_assert_int_eq(cx_settings_set_list(s, CX_SETTING_TLS_PINS, pins, 2,
					      NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_bool(s, CX_SETTING_PRESENCE_INITIAL,
					      false, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_dump(&d1, s, &err), CX_OK);
	ck_assert_ptr_null(strstr(d1, "topsecret"));
	ck_assert_ptr_nonnull(strstr(d1, "password = ********\n"));
	ck_assert_ptr_nonnull(strstr(d1, "jid = a@b\n"));
	ck_assert_ptr_nonnull(strstr(d1, "port = 15222\n"));
	ck_assert_ptr_nonnull(strstr(d1, "tls.pins = sha256/x,sha256/y\n"));
	ck_assert_ptr_nonnull(strstr(d1, "presence.initial = false\n"));
	ck_assert_ptr_nonnull(strstr(d1, "host =\n"));
	/* The dump loads back to the same values (the mask aside). */
	write_temp(path, sizeof(path), d1, 0600);
	ck_assert_msg(cx_settings_load_file(t, path, &err) == CX_OK, "%s",
		      err.message);
	ck_assert_int_eq(cx_settings_dump(&d2, t, &err), CX_OK);
	ck_assert_str_eq(d1, d2);
	unlink(path);
	cx_free(d1);
	cx_free(d2);
	cx_settings_unref(s);
	cx_settings_unref(t);
}
END_TEST

/* ---- threads ------------------------------------------------------------------ */

#define THREAD_ITERS 3000

struct worker {
	cx_settings *s;
	int id;
	int failures;
};

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const char *jids[2] = { "one@example.org", "two@example.org/long-resource" };
	int i;

	for (i = 0; i < THREAD_ITERS; i++) {
		char *v = NULL, **list = NULL;
		int64_t port = -1;
		cx_settings *c = NULL;
		size_t n;

		cx_settings_ref(w->s);
		if (cx_settings_set_string(w->s, CX_SETTING_JID,
					   jids[(i + w->id) & 1], NULL) != CX_OK ||
		    cx_settings_set_int(w->s, CX_SETTING_PORT,
					(w->id * 1000 + i) % 65536, NULL) != CX_OK)
			w->failures++;
		if (cx_settings_get_string(&v, w->s, CX_SETTING_JID, NULL) !=
			    CX_OK ||
		    v == NULL ||
		    (strcmp(v, jids[0]) != 0 && strcmp(v, jids[1]) != 0))
			w->failures++;
		cx_free(v);
		if (cx_settings_get_int(&port, w->s, CX_SETTING_PORT, NULL) !=
			    CX_OK ||
		    port < 0 || port > 65535)
			w->failures++;
		if (i % 100 == 0) {
			if (cx_settings_copy(&c, w->s, NULL) != CX_OK ||
			    cx_settings_dump(&v, c, NULL) != CX_OK ||
			    strstr(v, "jid = ") == NULL)
				w->failures++;
			cx_free(v);
			if (cx_settings_set_from_string(w->s,
					CX_SETTING_SASL_MECHANISMS,
					i & 1 ? "PLAIN" : "A,B,C", NULL) != CX_OK ||
			    cx_settings_get_list(&list, &n, w->s,
					CX_SETTING_SASL_MECHANISMS, NULL) != CX_OK ||
			    (n != 1 && n != 3))
				w->failures++;
			cx_free(list);
			cx_settings_unref(c);
		}
		cx_settings_unref(w->s);
	}
	return NULL;
}

START_TEST(test_settings_threads_concurrent_set_get)
{
	cx_settings *s = new_settings();
	struct worker w[4];
	pthread_t t[4];
	int i;

	for (i = 0; i < 4; i++) {
		w[i].s = s;
		w[i].id = i;
		w[i].failures = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker_main, &w[i]),
				 0);
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].failures, 0);
	}
	cx_settings_unref(s);
}
END_TEST

/* ---- docs ----------------------------------------------------------------------- */

static char *
read_doc(const char *name)
{
	char path[1024];
	const char *top = getenv("top_srcdir");

	snprintf(path, sizeof(path), "%s/doc/%s", top ? top : ".", name);
	return slurp(path);
}

START_TEST(test_settings_docs_settings_md_current)
{
	cxi_buf b = CXI_BUF_INIT;
	char *gen, *doc = read_doc("settings.md");

	ck_assert_int_eq(cxi_settings_doc_markdown(&b), CX_OK);
	gen = cxi_buf_strdup(&b);
	ck_assert_msg(strcmp(gen, doc) == 0,
		      "doc/settings.md is stale: run `make settings-doc`");
	cx_free(gen);
	cxi_buf_free(&b);
	cx_free(doc);
}
END_TEST

START_TEST(test_settings_docs_settings_md_lists_every_key)
{
	char *doc = read_doc("settings.md"), row[128], env[128];
	size_t i;

	for (i = 0; i < cx_settings_count(); i++) {
		const cx_setting_info *in = cx_settings_info(i);

		snprintf(row, sizeof(row), "\n| `%s` |", in->key);
		ck_assert_msg(strstr(doc, row) != NULL,
			      "doc/settings.md lacks %s", in->key);
		cx_settings_env_name(env, sizeof(env), in->key);
		ck_assert_msg(strstr(doc, env) != NULL,
			      "doc/settings.md lacks %s", env);
	}
	cx_free(doc);
}
END_TEST

START_TEST(test_settings_docs_errors_md_lists_every_status)
{
	char *doc = read_doc("errors.md"), name[80];
	int st, found = 0;

	for (st = 0; st >= -200; st--) {
		const char *s = cx_strerror((cx_status)st);
		const char *colon = strchr(s, ':');

		if (strncmp(s, "CX_ERR_?", 8) == 0 || colon == NULL)
			continue;
		snprintf(name, sizeof(name), "| `%.*s` | %d |",
			 (int)(colon - s), s, st);
		ck_assert_msg(strstr(doc, name) != NULL,
			      "doc/errors.md lacks the row %s", name);
		found++;
	}
	ck_assert_int_ge(found, 40);
	cx_free(doc);
}
END_TEST

static Suite *
settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc;

	tc = tcase_create("table");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_table_required_keys);
	tcase_add_test(tc, test_settings_table_every_key_documented);
	tcase_add_test(tc, test_settings_table_defaults);
	tcase_add_test(tc, test_settings_table_xml_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("types");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_types_unknown_key);
	tcase_add_test(tc, test_settings_types_wrong_type);
	tcase_add_test(tc, test_settings_types_values_checked);
	tcase_add_test(tc, test_settings_types_list);
	tcase_add_test(tc, test_settings_types_unset);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_settings_text_parse, 0,
			    sizeof(text_cases) / sizeof(text_cases[0]));
	tcase_add_test(tc, test_settings_text_env_name);
	suite_add_tcase(s, tc);

	tc = tcase_create("env");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_env_load);
	tcase_add_test(tc, test_settings_env_bad_value_changes_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_file_load);
	tcase_add_loop_test(tc, test_settings_file_bad_line, 0,
			    sizeof(bad_files) / sizeof(bad_files[0]));
	tcase_add_test(tc, test_settings_file_missing);
	tcase_add_test(tc, test_settings_file_password_permissions);
	suite_add_tcase(s, tc);

	tc = tcase_create("lifetime");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_lifetime_ref_copy);
	tcase_add_test(tc, test_settings_lifetime_dump_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_settings_threads_concurrent_set_get);
	suite_add_tcase(s, tc);

	tc = tcase_create("docs");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_settings_docs_settings_md_current);
	tcase_add_test(tc, test_settings_docs_settings_md_lists_every_key);
	tcase_add_test(tc, test_settings_docs_errors_md_lists_every_status);
	suite_add_tcase(s, tc);

	return s;
}

CXT_MAIN(settings_suite)

/* Unit tests for the log hook (include/cxmpp/log.h, lib/core/log.c). */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cxmpp/log.h"
#include "cxmpp/settings.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/core/settings.h"
#include "tests/unit/testutil.h"

#define MAX_RECORDS 64

struct record {
	cx_log_level level;
	char category[16];
	char *msg;
};

/* Everything a callback received. */
struct cap {
	pthread_mutex_t lock;
	struct record rec[MAX_RECORDS];
	int n;        /* records kept */
	long total;   /* calls */
	cxi_buf all;  /* every message, for searching */
};

static void
cap_init(struct cap *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	cxi_buf_init(&c->all);
}

static void
cap_free(struct cap *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		free(c->rec[i].msg);
	cxi_buf_free(&c->all);
	pthread_mutex_destroy(&c->lock);
}

static void
cap_fn(void *arg, cx_log_level level, const char *category, const char *msg)
{
	struct cap *c = arg;

	pthread_mutex_lock(&c->lock);
	c->total++;
	if (c->n < MAX_RECORDS) {
		c->rec[c->n].level = level;
		snprintf(c->rec[c->n].category, sizeof(c->rec[c->n].category),
			 "%s", category);
		c->rec[c->n].msg = strdup(msg);
		c->n++;
	}
	cxi_buf_printf(&c->all, "%s\n", msg);
	pthread_mutex_unlock(&c->lock);
}

static bool
cap_contains(const struct cap *c, const char *needle)
{
	return memmem(cxi_buf_head(&c->all), cxi_buf_size(&c->all), needle,
		      strlen(needle)) != NULL;
}

/* Runs fn with standard error redirected to a file; returns what it wrote. */
static char *
capture_stderr(void (*fn)(void))
{
	char path[] = "/tmp/cxmpp-check-log-XXXXXX";
	int fd = mkstemp(path), saved;
	char *out;
	off_t len;

	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	saved = dup(2);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fd, 2), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, 2), 0);
	close(saved);
	len = lseek(fd, 0, SEEK_END);
	ck_assert_int_ge(len, 0);
	out = calloc(1, (size_t)len + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pread(fd, out, (size_t)len, 0), len);
	close(fd);
	unlink(path);
	return out;
}

/* ---- callback ----------------------------------------------------------- */

START_TEST(test_log_callback_receives_fields)
{
	struct cap c;

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_TRACE);
	cxi_log(NULL, CX_LOG_INFO, CX_LOG_CAT_STREAM, "hello %d %s", 42, "x");
	cxi_log(NULL, CX_LOG_ERROR, CX_LOG_CAT_TLS, "bad");
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(c.n, 2);
	ck_assert_int_eq(c.rec[0].level, CX_LOG_INFO);
	ck_assert_str_eq(c.rec[0].category, "stream");
	ck_assert_str_eq(c.rec[0].msg, "hello 42 x");
	ck_assert_int_eq(c.rec[1].level, CX_LOG_ERROR);
	ck_assert_str_eq(c.rec[1].category, "tls");
	ck_assert_str_eq(c.rec[1].msg, "bad");
	cap_free(&c);
}
END_TEST

START_TEST(test_log_callback_logger_overrides_default)
{
	struct cap def, own;
	cxi_logger lg;

	cap_init(&def);
	cap_init(&own);
	cx_log_set_default(cap_fn, &def, CX_LOG_TRACE);
	lg.fn = cap_fn;
	lg.arg = &own;
	lg.max_level = CX_LOG_INFO;
	cxi_log(&lg, CX_LOG_INFO, CX_LOG_CAT_API, "mine");
	cxi_log(&lg, CX_LOG_DEBUG, CX_LOG_CAT_API, "filtered by mine");
	/* A logger without a callback falls back to the default. */
	lg.fn = NULL;
	cxi_log(&lg, CX_LOG_DEBUG, CX_LOG_CAT_API, "to default");
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(own.n, 1);
	ck_assert_str_eq(own.rec[0].msg, "mine");
	ck_assert_int_eq(def.n, 1);
	ck_assert_str_eq(def.rec[0].msg, "to default");
	cap_free(&def);
	cap_free(&own);
}
END_TEST

START_TEST(test_log_callback_long_and_raw)
{
	struct cap c;
	char big[3000];
	const char raw[] = "<message to='a@b'/>GARBAGE";

	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_TRACE);
	cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_NET, "[%s]", big);
	/* Raw text of a known length: not a format, not NUL-terminated. */
	cxi_log_raw(NULL, CX_LOG_TRACE, CX_LOG_CAT_IN, raw, 19);
	cxi_log_raw(NULL, CX_LOG_TRACE, CX_LOG_CAT_OUT, "%s%n", 4);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(c.n, 3);
	ck_assert_uint_eq(strlen(c.rec[0].msg), sizeof(big) + 1);
	ck_assert_int_eq(c.rec[0].msg[0], '[');
	ck_assert_int_eq(c.rec[0].msg[sizeof(big)], ']');
	ck_assert_str_eq(c.rec[1].category, "in");
	ck_assert_str_eq(c.rec[1].msg, "<message to='a@b'/>");
	ck_assert_str_eq(c.rec[2].category, "out");
	ck_assert_str_eq(c.rec[2].msg, "%s%n");
	cap_free(&c);
}
END_TEST

/* ---- levels --------------------------------------------------------------- */

START_TEST(test_log_levels_filter)
{
	struct cap c;
	int l;

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_WARN);
	for (l = CX_LOG_ERROR; l <= CX_LOG_TRACE; l++)
		cxi_log(NULL, (cx_log_level)l, CX_LOG_CAT_POOL, "level %d", l);
	ck_assert(cxi_log_enabled(NULL, CX_LOG_ERROR));
	ck_assert(cxi_log_enabled(NULL, CX_LOG_WARN));
	ck_assert(!cxi_log_enabled(NULL, CX_LOG_INFO));
	ck_assert(!cxi_log_enabled(NULL, CX_LOG_TRACE));
	ck_assert_int_eq(c.n, 2);
	ck_assert_str_eq(c.rec[0].msg, "level 0");
	ck_assert_str_eq(c.rec[1].msg, "level 1");
	/* Raised to DEBUG: everything but TRACE. */
	cx_log_set_default(cap_fn, &c, CX_LOG_DEBUG);
	for (l = CX_LOG_ERROR; l <= CX_LOG_TRACE; l++)
		cxi_log_raw(NULL, (cx_log_level)l, CX_LOG_CAT_IN, "x", 1);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(c.n, 6);
	cap_free(&c);
}
END_TEST

START_TEST(test_log_levels_names)
{
	ck_assert_str_eq(cx_log_level_name(CX_LOG_ERROR), "error");
	ck_assert_str_eq(cx_log_level_name(CX_LOG_WARN), "warn");
	ck_assert_str_eq(cx_log_level_name(CX_LOG_INFO), "info");
	ck_assert_str_eq(cx_log_level_name(CX_LOG_DEBUG), "debug");
	ck_assert_str_eq(cx_log_level_name(CX_LOG_TRACE), "trace");
	ck_assert_str_eq(cx_log_level_name((cx_log_level)17), "?");
}
END_TEST

/* ---- default sink ----------------------------------------------------------- */

static void
log_each_level(void)
{
	cxi_log(NULL, CX_LOG_ERROR, CX_LOG_CAT_NET, "an error");
	cxi_log(NULL, CX_LOG_WARN, CX_LOG_CAT_NET, "a warning");
	cxi_log(NULL, CX_LOG_INFO, CX_LOG_CAT_NET, "some info");
	cxi_log_raw(NULL, CX_LOG_TRACE, CX_LOG_CAT_IN, "<presence/>", 11);
}

START_TEST(test_log_default_stderr_warnings)
{
	char *out;

	unsetenv("CXMPP_DEBUG");
	cx_log_set_default(NULL, NULL, CX_LOG_TRACE); /* level ignored */
	ck_assert(!cxi_log_enabled(NULL, CX_LOG_INFO));
	out = capture_stderr(log_each_level);
	ck_assert_msg(strstr(out, "cxmpp error [net] an error\n") != NULL, "%s",
		      out);
	ck_assert_ptr_nonnull(strstr(out, "cxmpp warn [net] a warning\n"));
	ck_assert_ptr_null(strstr(out, "some info"));
	ck_assert_ptr_null(strstr(out, "<presence/>"));
	free(out);
}
END_TEST

START_TEST(test_log_default_debug_env)
{
	char *out;

	setenv("CXMPP_DEBUG", "1", 1);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert(cxi_log_enabled(NULL, CX_LOG_TRACE));
	out = capture_stderr(log_each_level);
	ck_assert_ptr_nonnull(strstr(out, "cxmpp info [net] some info\n"));
	ck_assert_ptr_nonnull(strstr(out, "cxmpp trace [in] <presence/>\n"));
	free(out);
	/* CXMPP_DEBUG=0 is off. */
	setenv("CXMPP_DEBUG", "0", 1);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert(!cxi_log_enabled(NULL, CX_LOG_TRACE));
	ck_assert(cxi_log_enabled(NULL, CX_LOG_WARN));
	out = capture_stderr(log_each_level);
	ck_assert_ptr_null(strstr(out, "<presence/>"));
	ck_assert_ptr_nonnull(strstr(out, "a warning"));
	free(out);
	unsetenv("CXMPP_DEBUG");
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
}
END_TEST

START_TEST(test_log_default_callback_replaces_stderr)
{
	struct cap c;
	char *out;

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_TRACE);
	out = capture_stderr(log_each_level);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(c.n, 4);
	free(out);
	cap_free(&c);
}
END_TEST

/* ---- secrets ----------------------------------------------------------------- */

#define SECRET "Pa55-w0rd-never-logged"

START_TEST(test_log_secrets_password_never_logged)
{
	struct cap c;
	cx_settings *s = NULL, *copy = NULL;
	cx_error err = CX_ERROR_INIT;
	char path[] = "/tmp/cxmpp-check-log-XXXXXX";
	const char content[] = "jid = a@example.org\npassword = " SECRET "\n"
			       "port = 5222\n";
	int fd;

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_TRACE);
	ck_assert_int_eq(cx_settings_new(&s, NULL), CX_OK);
	/* Every way a password gets in, each logging at debug. */
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_PASSWORD, SECRET,
						NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_from_string(s, CX_SETTING_PASSWORD,
						     SECRET, NULL), CX_OK);
	setenv("CXMPP_PASSWORD", SECRET, 1);
	ck_assert_int_eq(cx_settings_load_env(s, NULL), CX_OK);
	unsetenv("CXMPP_PASSWORD");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, sizeof(content) - 1),
			 (ssize_t)sizeof(content) - 1);
	ck_assert_int_eq(fchmod(fd, 0640), 0); /* draws a warning */
	close(fd);
	ck_assert_int_eq(cx_settings_load_file(s, path, &err), CX_OK);
	unlink(path);
	/* A wrong value for a choice key must not echo the secret either. */
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_TLS, SECRET,
						&err), CX_ERR_SETTING);
	ck_assert_ptr_null(strstr(err.message, SECRET));
	ck_assert_int_eq(cx_settings_copy(&copy, s, NULL), CX_OK);
	cxi_settings_log(copy, NULL, CX_LOG_TRACE);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);

	/* The password was really set, and things were logged ... */
	{
		char *v = NULL;
		ck_assert_int_eq(cx_settings_get_string(&v, copy,
				 CX_SETTING_PASSWORD, NULL), CX_OK);
		ck_assert_str_eq(v, SECRET);
		cx_free(v);
	}
	ck_assert(cap_contains(&c, "setting password = ********"));
	ck_assert(cap_contains(&c, "setting jid = a@example.org"));
	ck_assert(cap_contains(&c, "accessible to its group"));
	ck_assert_int_ge(c.total, 8);
	/* ... but never the password. */
	ck_assert_msg(!cap_contains(&c, SECRET), "the password was logged");
	cx_settings_unref(copy);
	cx_settings_unref(s);
	cap_free(&c);
}
END_TEST

START_TEST(test_log_secrets_off_costs_nothing)
{
	struct cap c;
	cx_settings *s = NULL;

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_WARN);
	ck_assert_int_eq(cx_settings_new(&s, NULL), CX_OK);
	cxi_settings_log(s, NULL, CX_LOG_TRACE);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "a@b", NULL),
			 CX_OK);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(c.total, 0);
	cx_settings_unref(s);
	cap_free(&c);
}
END_TEST

/* ---- threads ------------------------------------------------------------------ */

#define LOG_THREADS 4
#define LOG_ITERS 2000

static void *
log_worker(void *arg)
{
	int i;

	for (i = 0; i < LOG_ITERS; i++)
		cxi_log(NULL, CX_LOG_INFO, CX_LOG_CAT_POOL, "thread %d line %d",
			*(int *)arg, i);
	return NULL;
}

START_TEST(test_log_threads_concurrent)
{
	struct cap c;
	pthread_t t[LOG_THREADS];
	int i, ids[LOG_THREADS];

	cap_init(&c);
	cx_log_set_default(cap_fn, &c, CX_LOG_INFO);
	for (i = 0; i < LOG_THREADS; i++) {
		ids[i] = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, log_worker,
						&ids[i]), 0);
	}
	for (i = 0; i < LOG_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	cx_log_set_default(NULL, NULL, CX_LOG_WARN);
	ck_assert_int_eq(c.total, LOG_THREADS * LOG_ITERS);
	cap_free(&c);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("callback");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_log_callback_receives_fields);
	tcase_add_test(tc, test_log_callback_logger_overrides_default);
	tcase_add_test(tc, test_log_callback_long_and_raw);
	suite_add_tcase(s, tc);

	tc = tcase_create("levels");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_log_levels_filter);
	tcase_add_test(tc, test_log_levels_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("default");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_log_default_stderr_warnings);
	tcase_add_test(tc, test_log_default_debug_env);
	tcase_add_test(tc, test_log_default_callback_replaces_stderr);
	suite_add_tcase(s, tc);

	tc = tcase_create("secrets");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_log_secrets_password_never_logged);
	tcase_add_test(tc, test_log_secrets_off_costs_nothing);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_threads_concurrent);
	suite_add_tcase(s, tc);

	return s;
}

CXT_MAIN(log_suite)

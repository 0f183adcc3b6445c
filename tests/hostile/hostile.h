/*
 * Helpers for the tests that run the client against the scripted hostile
 * server (tests/hostile/hostile-server.py): start and stop it, read its
 * event log, make settings for its one account, drive its script.
 *
 * The server's standard input is a pipe whose write end only this process
 * holds: when the test process ends (even killed by Check's timeout), the
 * server sees end of file and exits, so no server outlives its test.
 */
#ifndef CXT_HOSTILE_H
#define CXT_HOSTILE_H

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cxmpp/cxmpp.h"

#define HS_NS "urn:cxmpp:test:hostile"

typedef struct hs_server {
	pid_t pid;
	int port;
	int stdin_fd;
	char log[4096];
} hs_server;

/* The PKI made once per test program (tests/servers/certs.sh). */
static char hs_certdir[1024];

static inline int64_t
hs_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void
hs_sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline const char *
hs_top(void)
{
	const char *top = getenv("top_srcdir");

	return top ? top : ".";
}

/* Makes the certificates in a fresh directory; returns 0 on success. */
static inline int
hs_make_certs(void)
{
	char tmpl[] = "/tmp/cxmpp-hostile-XXXXXX", cmd[8192];

	if (mkdtemp(tmpl) == NULL)
		return -1;
	snprintf(hs_certdir, sizeof(hs_certdir), "%s", tmpl);
	snprintf(cmd, sizeof(cmd), "sh '%s/tests/servers/certs.sh' '%s' >/dev/null",
		 hs_top(), hs_certdir);
	return system(cmd) == 0 ? 0 : -1;
}

static inline void
hs_remove_certs(void)
{
	char cmd[8192];

	if (hs_certdir[0] == '\0' || getenv("CX_KEEP_HOSTILE_DIR") != NULL)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", hs_certdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", hs_certdir);
}

/* Starts the server with `scenario`; fails the test if it does not come up
 * within 10 s. */
static inline void
hs_start(hs_server *hs, const char *scenario)
{
	static int serial;
	int in[2], out[2];
	char script[4096], cert[4096], key[4096], line[32];
	struct pollfd pfd;
	size_t n = 0;

	memset(hs, 0, sizeof(*hs));
	snprintf(script, sizeof(script), "%s/tests/hostile/hostile-server.py", hs_top());
	snprintf(cert, sizeof(cert), "%s/server.pem", hs_certdir);
	snprintf(key, sizeof(key), "%s/server.key", hs_certdir);
	snprintf(hs->log, sizeof(hs->log), "%s/server-%d-%d.log", hs_certdir,
		 (int)getpid(), ++serial);
	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	hs->pid = fork();
	ck_assert_int_ge(hs->pid, 0);
	if (hs->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execl("/usr/bin/python3", "python3", script, "--cert", cert,
		      "--key", key, "--log", hs->log, "--scenario", scenario,
		      (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	hs->stdin_fd = in[1];
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < sizeof(line) - 1) {
		ssize_t r;

		ck_assert_msg(poll(&pfd, 1, 10000) == 1,
			      "the hostile server did not start within 10 s");
		r = read(out[0], line + n, 1);
		ck_assert_msg(r == 1, "the hostile server exited at start");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	hs->port = atoi(line);
	ck_assert_int_gt(hs->port, 0);
}

static inline void
hs_stop(hs_server *hs)
{
	int i, status;

	if (hs->pid <= 0)
		return;
	close(hs->stdin_fd);
	for (i = 0; i < 100; i++) {
		if (waitpid(hs->pid, &status, WNOHANG) == hs->pid) {
			hs->pid = 0;
			return;
		}
		hs_sleep_ms(20);
	}
	kill(hs->pid, SIGKILL);
	waitpid(hs->pid, &status, 0);
	hs->pid = 0;
}

/*
 * Finds the `nth` (1-based) log line whose event is `event` (and whose
 * detail starts with `detail`, if not NULL), waiting up to timeout_ms.
 * Returns its timestamp (CLOCK_MONOTONIC ms) and copies the detail into
 * `out`; -1 if it did not appear.
 */
static inline int64_t
hs_log_wait(hs_server *hs, const char *event, const char *detail, int nth,
	    int timeout_ms, char *out, size_t outlen)
{
	int64_t deadline = hs_now_ms() + timeout_ms;

	for (;;) {
		FILE *f = fopen(hs->log, "r");
		char line[4096];
		int seen = 0;

		while (f && fgets(line, sizeof(line), f)) {
			char *ev, *det, *end;
			long long ts = strtoll(line, &end, 10);

			line[strcspn(line, "\n")] = '\0';
			ev = end + 1;
			det = strchr(ev, ' ');
			if (det == NULL)
				continue;
			*det++ = '\0';
			if (strcmp(ev, event) != 0 ||
			    (detail && strncmp(det, detail, strlen(detail)) != 0))
				continue;
			if (++seen == nth) {
				if (out)
					snprintf(out, outlen, "%s", det);
				fclose(f);
				return ts;
			}
		}
		if (f)
			fclose(f);
		if (hs_now_ms() > deadline)
			return -1;
		hs_sleep_ms(10);
	}
}

/* The detail of the last line with `event`, or "" (no waiting). */
static inline void
hs_log_last(hs_server *hs, const char *event, char *out, size_t outlen)
{
	FILE *f = fopen(hs->log, "r");
	char line[4096];

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		char *ev = strchr(line, ' '), *det;

		line[strcspn(line, "\n")] = '\0';
		if (ev == NULL || (det = strchr(ev + 1, ' ')) == NULL)
			continue;
		*det++ = '\0';
		if (strcmp(ev + 1, event) == 0)
			snprintf(out, outlen, "%s", det);
	}
	if (f)
		fclose(f);
}

static inline void
hs_set(cx_settings *s, const char *key, const char *value)
{
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_settings_set_from_string(s, key, value, &err) == CX_OK,
		      "setting %s: %s", key, err.message);
}

/* Settings for the server's account: STARTTLS with the test CA, PLAIN, no
 * initial presence. */
static inline cx_settings *
hs_settings(const hs_server *hs)
{
	cx_settings *s = NULL;
	char port[16], ca[4096];

	ck_assert_int_eq(cx_settings_new(&s, NULL), CX_OK);
	snprintf(port, sizeof(port), "%d", hs->port);
	snprintf(ca, sizeof(ca), "%s/ca.pem", hs_certdir);
	hs_set(s, "jid", "alice@localhost");
	hs_set(s, "password", "alice-secret");
	hs_set(s, "host", "127.0.0.1");
	hs_set(s, "port", port);
	hs_set(s, "tls.ca_file", ca);
	hs_set(s, "sasl.mechanisms", "PLAIN");
	hs_set(s, "presence.initial", "false");
	hs_set(s, "timeout_ms", "5000");
	hs_set(s, "connect_timeout_ms", "5000");
	return s;
}

/* A new client on `rt` (NULL: default runtime), connected. */
static inline cx_client *
hs_connect(cx_settings *s, cx_runtime *rt)
{
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_client_new(&c, s, rt, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "connect: %s",
		      err.message);
	return c;
}

/* An <iq type='set'> carrying the script command <name attrs/>. */
static inline cx_stanza *
hs_command(const char *to, const char *name, const char *attrs)
{
	char xml[1024];
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	snprintf(xml, sizeof(xml),
		 "<iq xmlns='jabber:client' type='set'%s%s%s><%s xmlns='" HS_NS
		 "' %s/></iq>", to ? " to='" : "", to ? to : "", to ? "'" : "",
		 name, attrs ? attrs : "");
	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) == CX_OK,
		      "%s: %s", xml, err.message);
	return s;
}

/* An empty <iq type='get'> with a ping to `to` (NULL: our server). */
static inline cx_stanza *
hs_ping(const char *to)
{
	cx_stanza *s = NULL;

	ck_assert_int_eq(cx_stanza_new_iq(&s, "get", to, "urn:xmpp:ping", "ping",
					  NULL), CX_OK);
	return s;
}

/* Starts a script command as a call; returns its future. */
static inline cx_future *
hs_command_async(cx_client *c, const char *name, const char *attrs, int timeout_ms)
{
	cx_stanza *iq = hs_command(NULL, name, attrs);
	cx_future *f = cx_client_call_async(c, iq, timeout_ms);

	cx_stanza_unref(iq);
	ck_assert_ptr_nonnull(f);
	return f;
}

/* Runs a script command that the server answers with a result. */
static inline void
hs_command_call(cx_client *c, const char *name, const char *attrs)
{
	cx_stanza *iq = hs_command(NULL, name, attrs);
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_client_call(NULL, c, iq, 5000, &err);

	cx_stanza_unref(iq);
	ck_assert_msg(st == CX_OK, "command %s: %s", name, err.message);
}

/* Resident set size of this process, in bytes. */
static inline size_t
hs_rss(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%lu %lu", &size, &rss) != 2)
		rss = 0;
	fclose(f);
	return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

/* ---- a log sink that remembers what it saw --------------------------- */

static pthread_mutex_t hs_log_lock = PTHREAD_MUTEX_INITIALIZER;
static char hs_log_lines[64][320];
static unsigned hs_log_n;

static inline void
hs_log_sink(void *arg, cx_log_level level, const char *category, const char *msg)
{
	(void)arg;
	if (strcmp(category, CX_LOG_CAT_IN) == 0 || strcmp(category, CX_LOG_CAT_OUT) == 0)
		return;
	if (level > CX_LOG_INFO)
		return;
	pthread_mutex_lock(&hs_log_lock);
	snprintf(hs_log_lines[hs_log_n % 64], sizeof(hs_log_lines[0]), "[%s] %s",
		 category, msg);
	hs_log_n++;
	pthread_mutex_unlock(&hs_log_lock);
}

/* Whether a log line containing `needle` was seen (the last 64 lines). */
static inline int
hs_logged(const char *needle)
{
	unsigned i;
	int found = 0;

	pthread_mutex_lock(&hs_log_lock);
	for (i = 0; i < 64 && i < hs_log_n; i++)
		if (strstr(hs_log_lines[i], needle) != NULL)
			found = 1;
	pthread_mutex_unlock(&hs_log_lock);
	return found;
}

#endif

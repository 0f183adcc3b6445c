/*
 * bench_cxmpp: the network workloads of tests/bench for cxmpp, against the
 * server described by the CX_TEST_* environment (tests/servers).
 *
 *     bench_cxmpp login N          N sequential logins (connect, STARTTLS,
 *                                  SCRAM-SHA-1, bind, clean disconnect)
 *     bench_cxmpp ping N           N sequential XEP-0199 pings to the server
 *     bench_cxmpp ping-mt T M      T threads x M pings on one client
 *     bench_cxmpp msg N            account 1 sends N chat messages to
 *                                  account 2's client
 *     bench_cxmpp idle N           RSS of N idle connected clients on one
 *                                  runtime
 *
 * Design notes. The settings are those the libstrophe twin (bench_strophe.c)
 * gets: STARTTLS with the test CA, SCRAM-SHA-1 (BENCH_SASL overrides it: on
 * ejabberd libstrophe 0.12 takes SCRAM-SHA-512, which cxmpp does not
 * have), no initial presence (the
 * libstrophe client sends none either), no stream management (cxmpp has
 * none; the twin turns libstrophe's off). Stanzas are built afresh for each
 * send, as an application would. Every wait is bounded: a stuck run fails
 * with a message instead of hanging the driver.
 */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cxmpp/cxmpp.h"
#include "tests/bench/bench.h"

#define LIB "cxmpp"

static void
check(cx_status st, const cx_error *err, const char *what)
{
	if (st != CX_OK) {
		fprintf(stderr, "bench_cxmpp: %s: %s (%s)\n", what,
			cx_strerror(st), err != NULL ? err->message : "");
		exit(1);
	}
}

static void
set(cx_settings *s, const char *key, const char *value)
{
	cx_error err = CX_ERROR_INIT;

	check(cx_settings_set_from_string(s, key, value, &err), &err, key);
}

static cx_settings *
account(int n)
{
	cx_settings *s = NULL;
	cx_error err = CX_ERROR_INIT;

	check(cx_settings_new(&s, &err), &err, "settings");
	set(s, "jid", bench_user(n));
	set(s, "password", bench_pass(n));
	set(s, "host", bench_env("CX_TEST_HOST"));
	set(s, "port", bench_env("CX_TEST_PORT"));
	set(s, "tls.ca_file", bench_env("CX_TEST_CA"));
	set(s, "sasl.mechanisms", getenv("BENCH_SASL") != NULL
				  ? getenv("BENCH_SASL") : "SCRAM-SHA-1");
	set(s, "presence.initial", "false");
	set(s, "timeout_ms", "30000");
	set(s, "connect_timeout_ms", "30000");
	return s;
}

static cx_client *
connected(int n, cx_runtime *rt)
{
	cx_settings *s = account(n);
	cx_error err = CX_ERROR_INIT;
	cx_client *c = NULL;

	check(cx_client_new(&c, s, rt, &err), &err, "client");
	check(cx_client_connect(c, &err), &err, "connect");
	cx_settings_unref(s);
	return c;
}

/* ---- 1. login --------------------------------------------------------- */

static void
bench_login(long n)
{
	cx_settings *s = account(1);
	double *ms = calloc((size_t)n, sizeof(*ms));
	double cpu0;
	int64_t t0;
	long i;

	if (ms == NULL)
		bench_die("out of memory");
	cpu0 = bench_cpu_us();
	for (i = 0; i < n; i++) {
		cx_error err = CX_ERROR_INIT;
		cx_client *c = NULL;

		t0 = bench_now_ns();
		check(cx_client_new(&c, s, NULL, &err), &err, "client");
		check(cx_client_connect(c, &err), &err, "connect");
		check(cx_client_disconnect(c, &err), &err, "disconnect");
		cx_client_free(c);
		ms[i] = (double)(bench_now_ns() - t0) / 1e6;
	}
	bench_result("login", LIB, "median_ms", bench_quantile(ms, (size_t)n, 0.5));
	bench_result("login", LIB, "p95_ms", bench_quantile(ms, (size_t)n, 0.95));
	bench_result("login", LIB, "cpu_us_per_op", (bench_cpu_us() - cpu0) / (double)n);
	free(ms);
	cx_settings_unref(s);
}

/* ---- 2./3. pings ------------------------------------------------------ */

static void
ping_once(cx_client *c, const char *domain)
{
	cx_error err = CX_ERROR_INIT;
	cx_stanza *iq = NULL;
	cx_stanza *reply = NULL;

	check(cx_stanza_new_iq(&iq, "get", domain, "urn:xmpp:ping", "ping",
			       &err), &err, "iq");
	check(cx_client_call(&reply, c, iq, 30000, &err), &err, "ping");
	cx_stanza_unref(reply);
	cx_stanza_unref(iq);
}

static void
bench_ping(long n)
{
	const char *domain = bench_env("CX_TEST_DOMAIN");
	cx_client *c = connected(1, NULL);
	cx_error err = CX_ERROR_INIT;
	double cpu0;
	int64_t t0;
	long i;

	for (i = 0; i < 100; i++) /* warm-up */
		ping_once(c, domain);
	cpu0 = bench_cpu_us();
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		ping_once(c, domain);
	bench_result("ping", LIB, "per_s",
		     (double)n * 1e9 / (double)(bench_now_ns() - t0));
	bench_result("ping", LIB, "cpu_us_per_op",
		     (bench_cpu_us() - cpu0) / (double)n);
	check(cx_client_disconnect(c, &err), &err, "disconnect");
	cx_client_free(c);
}

struct pinger {
	pthread_t th;
	cx_client *c;
	const char *domain;
	long m;
};

static void *
pinger_run(void *arg)
{
	struct pinger *p = arg;
	long i;

	for (i = 0; i < p->m; i++)
		ping_once(p->c, p->domain);
	return NULL;
}

static void
bench_ping_mt(long t, long m)
{
	const char *domain = bench_env("CX_TEST_DOMAIN");
	cx_client *c = connected(1, NULL);
	cx_error err = CX_ERROR_INIT;
	struct pinger *p = calloc((size_t)t, sizeof(*p));
	double cpu0;
	int64_t t0;
	long i;

	if (p == NULL)
		bench_die("out of memory");
	for (i = 0; i < 100; i++)
		ping_once(c, domain);
	cpu0 = bench_cpu_us();
	t0 = bench_now_ns();
	for (i = 0; i < t; i++) {
		p[i].c = c;
		p[i].domain = domain;
		p[i].m = m;
		if (pthread_create(&p[i].th, NULL, pinger_run, &p[i]) != 0)
			bench_die("pthread_create");
	}
	for (i = 0; i < t; i++)
		pthread_join(p[i].th, NULL);
	bench_result("ping-mt", LIB, "per_s",
		     (double)(t * m) * 1e9 / (double)(bench_now_ns() - t0));
	bench_result("ping-mt", LIB, "cpu_us_per_op",
		     (bench_cpu_us() - cpu0) / (double)(t * m));
	check(cx_client_disconnect(c, &err), &err, "disconnect");
	cx_client_free(c);
	free(p);
}

/* ---- 4. messages ------------------------------------------------------ */

struct inbox {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	long want;
	long got;
	int64_t done_ns;
};

static cx_handler_result
on_message(void *arg, cx_client *client, cx_stanza *stanza)
{
	struct inbox *in = arg;

	(void)client;
	if (cx_stanza_find_child(stanza, "jabber:client", "body") == NULL)
		return CX_HANDLER_PASS;
	pthread_mutex_lock(&in->lock);
	if (++in->got == in->want) {
		in->done_ns = bench_now_ns();
		pthread_cond_signal(&in->cond);
	}
	pthread_mutex_unlock(&in->lock);
	return CX_HANDLER_CONSUMED;
}

static void
bench_msg(long n)
{
	struct inbox in = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			    0, 0, 0 };
	cx_client *rx = connected(2, NULL);
	cx_client *tx = connected(1, NULL);
	cx_error err = CX_ERROR_INIT;
	char *to = cx_client_get_jid(rx);
	struct timespec deadline;
	double cpu0;
	int64_t t0, t_sent;
	long i;

	if (to == NULL)
		bench_die("receiver has no JID");
	in.want = n;
	if (cx_client_on_message(rx, on_message, &in, NULL, 0) == 0)
		bench_die("on_message");
	/* One round trip each way first, so both sessions are fully set up. */
	ping_once(rx, bench_env("CX_TEST_DOMAIN"));
	ping_once(tx, bench_env("CX_TEST_DOMAIN"));
	cpu0 = bench_cpu_us();
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		cx_stanza *m = NULL;
		char body[64];

		snprintf(body, sizeof(body), "benchmark message %ld", i);
		check(cx_stanza_new_message(&m, to, "chat", body, &err), &err,
		      "message");
		check(cx_stanza_add_child(NULL, m, NULL, "urn:xmpp:hints",
					  "no-store", NULL, &err), &err, "hint");
		check(cx_client_send(tx, m, &err), &err, "send");
		cx_stanza_unref(m);
	}
	t_sent = bench_now_ns();
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 240;
	pthread_mutex_lock(&in.lock);
	while (in.got < n) {
		if (pthread_cond_timedwait(&in.cond, &in.lock, &deadline) != 0)
			break;
	}
	pthread_mutex_unlock(&in.lock);
	if (in.got < n) {
		fprintf(stderr, "bench_cxmpp: msg: only %ld of %ld messages "
			"arrived within 240 s\n", in.got, n);
		exit(1);
	}
	bench_result("msg", LIB, "send_ms", (double)(t_sent - t0) / 1e6);
	bench_result("msg", LIB, "total_ms", (double)(in.done_ns - t0) / 1e6);
	bench_result("msg", LIB, "per_s",
		     (double)n * 1e9 / (double)(in.done_ns - t0));
	bench_result("msg", LIB, "cpu_us_per_op",
		     (bench_cpu_us() - cpu0) / (double)n);
	cx_free(to);
	check(cx_client_disconnect(tx, &err), &err, "disconnect");
	check(cx_client_disconnect(rx, &err), &err, "disconnect");
	cx_client_free(tx);
	cx_client_free(rx);
}

/* ---- 6. idle connections ---------------------------------------------- */

static void
bench_idle(long n)
{
	cx_runtime *rt = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_client **c = calloc((size_t)n, sizeof(*c));
	cx_future **f = calloc((size_t)n, sizeof(*f));
	cx_settings *s[5];
	long rss0, rss1, i, j, batch = 50;
	int64_t t0;

	if (c == NULL || f == NULL)
		bench_die("out of memory");
	check(cx_runtime_new(&rt, NULL, &err), &err, "runtime");
	for (i = 0; i < 5; i++)
		s[i] = account((int)i + 1);
	/* One connection first, so that the runtime's TLS context, the
	 * trust store and libxml2 are loaded before the baseline. */
	check(cx_client_new(&c[0], s[0], rt, &err), &err, "client");
	check(cx_client_connect(c[0], &err), &err, "connect");
	sleep(1);
	rss0 = bench_status_kib("VmRSS");
	t0 = bench_now_ns();
	/* The rest in batches of concurrent connects. */
	for (i = 1; i < n; i += batch) {
		long end = i + batch < n ? i + batch : n;

		for (j = i; j < end; j++) {
			check(cx_client_new(&c[j], s[j % 5], rt, &err), &err,
			      "client");
			f[j] = cx_client_connect_async(c[j]);
			if (f[j] == NULL)
				bench_die("connect_async");
		}
		for (j = i; j < end; j++) {
			check(cx_future_wait(f[j], 60000, &err), &err,
			      "connect");
			cx_future_unref(f[j]);
		}
	}
	fprintf(stderr, "bench_cxmpp: %ld clients connected in %.1f s\n", n,
		(double)(bench_now_ns() - t0) / 1e9);
	sleep(2);
	rss1 = bench_status_kib("VmRSS");
	bench_result("idle", LIB, "rss_total_mib", (double)rss1 / 1024.0);
	bench_result("idle", LIB, "kib_per_conn",
		     (double)(rss1 - rss0) / (double)(n - 1));
	for (i = 0; i < n; i++) {
		(void)cx_client_disconnect(c[i], NULL);
		cx_client_free(c[i]);
	}
	for (i = 0; i < 5; i++)
		cx_settings_unref(s[i]);
	cx_runtime_unref(rt);
	free(c);
	free(f);
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	if (strcmp(w, "login") == 0)
		bench_login(bench_arg(argc, argv, 2, 50));
	else if (strcmp(w, "ping") == 0)
		bench_ping(bench_arg(argc, argv, 2, 10000));
	else if (strcmp(w, "ping-mt") == 0)
		bench_ping_mt(bench_arg(argc, argv, 2, 16),
			      bench_arg(argc, argv, 3, 2000));
	else if (strcmp(w, "msg") == 0)
		bench_msg(bench_arg(argc, argv, 2, 50000));
	else if (strcmp(w, "idle") == 0)
		bench_idle(bench_arg(argc, argv, 2, 1000));
	else {
		fprintf(stderr, "usage: bench_cxmpp login|ping|ping-mt|msg|idle "
			"[N [M]]\n");
		return 2;
	}
	return 0;
}

/*
 * bench_strophe: the network workloads of tests/bench for libstrophe 0.12,
 * the comparison point of bench_cxmpp (same arguments, same output).
 *
 *     bench_strophe login N | ping N | msg N | idle N
 *
 * There is no ping-mt: a libstrophe context is not thread-safe, so its
 * comparison point for concurrent pings is the sequential number.
 *
 * Design notes. Everything runs the way a libstrophe application does: one
 * context, its event loop driven by xmpp_run_once, handlers for replies.
 * The connection gets the test CA (xmpp_conn_set_cafile), TLS is mandatory,
 * and stream management is off (cxmpp has none; otherwise libstrophe would
 * spend an extra round trip at login and send acks during the runs).
 * libstrophe picks SCRAM-SHA-1 by itself against Prosody (the strongest it
 * offers). Every loop is bounded by a deadline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strophe.h>

#include "tests/bench/bench.h"

#define LIB "libstrophe"

static xmpp_ctx_t *ctx;

struct conn_state {
	int connected;
	int disconnected;
	int failed;
};

static void
conn_handler(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
	     xmpp_stream_error_t *stream_error, void *userdata)
{
	struct conn_state *cs = userdata;

	(void)conn;
	(void)stream_error;
	if (event == XMPP_CONN_CONNECT) {
		cs->connected = 1;
	} else if (event == XMPP_CONN_DISCONNECT || event == XMPP_CONN_FAIL) {
		if (!cs->connected || error != 0)
			cs->failed = 1;
		cs->disconnected = 1;
	}
}

/* Runs the loop until *flag is set, at most `seconds`. */
static void
run_until(const int *flag, int seconds, const char *what)
{
	int64_t end = bench_now_ns() + (int64_t)seconds * 1000000000;

	while (!*flag) {
		if (bench_now_ns() > end) {
			fprintf(stderr, "bench_strophe: %s: no progress within "
				"%d s\n", what, seconds);
			exit(1);
		}
		xmpp_run_once(ctx, 1);
	}
}

static xmpp_conn_t *
new_conn(int n)
{
	xmpp_conn_t *conn = xmpp_conn_new(ctx);

	if (conn == NULL)
		bench_die("xmpp_conn_new");
	xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_MANDATORY_TLS |
				  XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(conn, bench_user(n));
	xmpp_conn_set_pass(conn, bench_pass(n));
	xmpp_conn_set_cafile(conn, bench_env("CX_TEST_CA"));
	return conn;
}

static void
start_connect(xmpp_conn_t *conn, struct conn_state *cs)
{
	memset(cs, 0, sizeof(*cs));
	if (xmpp_connect_client(conn, bench_env("CX_TEST_HOST"),
				(unsigned short)atoi(bench_env("CX_TEST_PORT")),
				conn_handler, cs) != XMPP_EOK)
		bench_die("xmpp_connect_client");
}

static xmpp_conn_t *
connect_wait(int n, struct conn_state *cs)
{
	xmpp_conn_t *conn = new_conn(n);
	int64_t end = bench_now_ns() + 30 * (int64_t)1000000000;

	start_connect(conn, cs);
	while (!cs->connected && !cs->disconnected) {
		if (bench_now_ns() > end)
			bench_die("connect: no progress within 30 s");
		xmpp_run_once(ctx, 1);
	}
	if (!cs->connected)
		bench_die("connection failed");
	return conn;
}

static void
disconnect_wait(xmpp_conn_t *conn, struct conn_state *cs)
{
	xmpp_disconnect(conn);
	run_until(&cs->disconnected, 30, "disconnect");
}

/* ---- 1. login --------------------------------------------------------- */

static void
bench_login(long n)
{
	double *ms = calloc((size_t)n, sizeof(*ms));
	double cpu0;
	long i;

	if (ms == NULL)
		bench_die("out of memory");
	cpu0 = bench_cpu_us();
	for (i = 0; i < n; i++) {
		struct conn_state cs;
		int64_t t0 = bench_now_ns();
		xmpp_conn_t *conn = connect_wait(1, &cs);

		disconnect_wait(conn, &cs);
		xmpp_conn_release(conn);
		ms[i] = (double)(bench_now_ns() - t0) / 1e6;
	}
	bench_result("login", LIB, "median_ms", bench_quantile(ms, (size_t)n, 0.5));
	bench_result("login", LIB, "p95_ms", bench_quantile(ms, (size_t)n, 0.95));
	bench_result("login", LIB, "cpu_us_per_op", (bench_cpu_us() - cpu0) / (double)n);
	free(ms);
}

/* ---- 2. pings --------------------------------------------------------- */

static int
pong_handler(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
	int *done = userdata;
	const char *type = xmpp_stanza_get_type(stanza);

	(void)conn;
	if (type == NULL || strcmp(type, "result") != 0)
		bench_die("ping: no result");
	*done = 1;
	return 0; /* one-shot */
}

static void
ping_once(xmpp_conn_t *conn, const char *domain)
{
	char *id = xmpp_uuid_gen(ctx);
	xmpp_stanza_t *iq, *ping;
	int done = 0;

	if (id == NULL)
		bench_die("xmpp_uuid_gen");
	iq = xmpp_iq_new(ctx, "get", id);
	ping = xmpp_stanza_new(ctx);
	if (iq == NULL || ping == NULL)
		bench_die("out of memory");
	xmpp_stanza_set_to(iq, domain);
	xmpp_stanza_set_name(ping, "ping");
	xmpp_stanza_set_ns(ping, "urn:xmpp:ping");
	xmpp_stanza_add_child(iq, ping);
	xmpp_stanza_release(ping);
	xmpp_id_handler_add(conn, pong_handler, id, &done);
	xmpp_send(conn, iq);
	xmpp_stanza_release(iq);
	run_until(&done, 30, "ping");
	xmpp_free(ctx, id);
}

static void
bench_ping(long n)
{
	const char *domain = bench_env("CX_TEST_DOMAIN");
	struct conn_state cs;
	xmpp_conn_t *conn = connect_wait(1, &cs);
	double cpu0;
	int64_t t0;
	long i;

	for (i = 0; i < 100; i++)
		ping_once(conn, domain);
	cpu0 = bench_cpu_us();
	t0 = bench_now_ns();
	for (i = 0; i < n; i++)
		ping_once(conn, domain);
	bench_result("ping", LIB, "per_s",
		     (double)n * 1e9 / (double)(bench_now_ns() - t0));
	bench_result("ping", LIB, "cpu_us_per_op",
		     (bench_cpu_us() - cpu0) / (double)n);
	disconnect_wait(conn, &cs);
	xmpp_conn_release(conn);
}

/* ---- 4. messages ------------------------------------------------------ */

struct inbox {
	long want;
	long got;
	int done;
	int64_t done_ns;
};

static int
message_handler(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *userdata)
{
	struct inbox *in = userdata;

	(void)conn;
	if (xmpp_stanza_get_child_by_name(stanza, "body") == NULL)
		return 1;
	if (++in->got == in->want) {
		in->done_ns = bench_now_ns();
		in->done = 1;
	}
	return 1;
}

static void
bench_msg(long n)
{
	const char *domain = bench_env("CX_TEST_DOMAIN");
	struct conn_state rcs, tcs;
	struct inbox in = { n, 0, 0, 0 };
	xmpp_conn_t *rx = connect_wait(2, &rcs);
	xmpp_conn_t *tx = connect_wait(1, &tcs);
	const char *to = xmpp_conn_get_bound_jid(rx);
	double cpu0;
	int64_t t0, t_sent;
	long i;

	if (to == NULL)
		bench_die("receiver has no JID");
	xmpp_handler_add(rx, message_handler, NULL, "message", NULL, &in);
	ping_once(rx, domain);
	ping_once(tx, domain);
	cpu0 = bench_cpu_us();
	t0 = bench_now_ns();
	for (i = 0; i < n; i++) {
		char *id = xmpp_uuid_gen(ctx);
		xmpp_stanza_t *m, *hint;
		char body[64];

		if (id == NULL)
			bench_die("xmpp_uuid_gen");
		m = xmpp_message_new(ctx, "chat", to, id);
		if (m == NULL)
			bench_die("out of memory");
		snprintf(body, sizeof(body), "benchmark message %ld", i);
		if (xmpp_message_set_body(m, body) != XMPP_EOK)
			bench_die("xmpp_message_set_body");
		hint = xmpp_stanza_new(ctx);
		if (hint == NULL)
			bench_die("out of memory");
		xmpp_stanza_set_name(hint, "no-store");
		xmpp_stanza_set_ns(hint, "urn:xmpp:hints");
		xmpp_stanza_add_child(m, hint);
		xmpp_stanza_release(hint);
		xmpp_send(tx, m);
		xmpp_stanza_release(m);
		xmpp_free(ctx, id);
	}
	t_sent = bench_now_ns();
	run_until(&in.done, 240, "messages");
	bench_result("msg", LIB, "send_ms", (double)(t_sent - t0) / 1e6);
	bench_result("msg", LIB, "total_ms", (double)(in.done_ns - t0) / 1e6);
	bench_result("msg", LIB, "per_s",
		     (double)n * 1e9 / (double)(in.done_ns - t0));
	bench_result("msg", LIB, "cpu_us_per_op",
		     (bench_cpu_us() - cpu0) / (double)n);
	disconnect_wait(tx, &tcs);
	disconnect_wait(rx, &rcs);
	xmpp_conn_release(tx);
	xmpp_conn_release(rx);
}

/* ---- 6. idle connections ---------------------------------------------- */

static void
bench_idle(long n)
{
	xmpp_conn_t **c = calloc((size_t)n, sizeof(*c));
	struct conn_state *cs = calloc((size_t)n, sizeof(*cs));
	long rss0, rss1, i, j, batch = 50;
	int64_t t0, end;

	if (c == NULL || cs == NULL)
		bench_die("out of memory");
	c[0] = connect_wait(1, &cs[0]);
	sleep(1);
	rss0 = bench_status_kib("VmRSS");
	t0 = bench_now_ns();
	for (i = 1; i < n; i += batch) {
		long last = i + batch < n ? i + batch : n;
		long ready;

		for (j = i; j < last; j++) {
			c[j] = new_conn((int)(j % 5) + 1);
			start_connect(c[j], &cs[j]);
		}
		end = bench_now_ns() + 60 * (int64_t)1000000000;
		do {
			xmpp_run_once(ctx, 1);
			ready = 0;
			for (j = i; j < last; j++) {
				if (cs[j].disconnected) {
					fprintf(stderr, "bench_strophe: idle: "
						"connection %ld failed\n", j);
					exit(1);
				}
				ready += cs[j].connected;
			}
			if (bench_now_ns() > end)
				bench_die("idle: connects stalled for 60 s");
		} while (ready < last - i);
	}
	fprintf(stderr, "bench_strophe: %ld connections in %.1f s\n", n,
		(double)(bench_now_ns() - t0) / 1e9);
	/* Keep the loop running as an idle application would. */
	end = bench_now_ns() + 2 * (int64_t)1000000000;
	while (bench_now_ns() < end)
		xmpp_run_once(ctx, 10);
	rss1 = bench_status_kib("VmRSS");
	bench_result("idle", LIB, "rss_total_mib", (double)rss1 / 1024.0);
	bench_result("idle", LIB, "kib_per_conn",
		     (double)(rss1 - rss0) / (double)(n - 1));
	for (i = 0; i < n; i++)
		xmpp_disconnect(c[i]);
	end = bench_now_ns() + 30 * (int64_t)1000000000;
	for (i = 0; i < n && bench_now_ns() < end;) {
		if (cs[i].disconnected)
			i++;
		else
			xmpp_run_once(ctx, 1);
	}
	for (i = 0; i < n; i++)
		xmpp_conn_release(c[i]);
	free(c);
	free(cs);
}

int
main(int argc, char **argv)
{
	const char *w = argc > 1 ? argv[1] : "";

	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	if (ctx == NULL)
		bench_die("xmpp_ctx_new");
	if (strcmp(w, "login") == 0)
		bench_login(bench_arg(argc, argv, 2, 50));
	else if (strcmp(w, "ping") == 0)
		bench_ping(bench_arg(argc, argv, 2, 10000));
	else if (strcmp(w, "msg") == 0)
		bench_msg(bench_arg(argc, argv, 2, 50000));
	else if (strcmp(w, "idle") == 0)
		bench_idle(bench_arg(argc, argv, 2, 1000));
	else {
		fprintf(stderr, "usage: bench_strophe login|ping|msg|idle [N]\n");
		return 2;
	}
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return 0;
}

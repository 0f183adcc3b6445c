/*
 * The client against a scripted hostile server (hostile-server.py): a
 * server that stalls, stops answering, closes mid-stanza, sends a stream
 * error, forges reply senders, floods, or sends malformed, restricted or
 * oversized XML. Each case asserts the documented status, bounds the time,
 * and ends cleanly (the suite also runs under ASan and TSan).
 */
#include "config.h"

#include <stdatomic.h>

#include "tests/hostile/hostile.h"
#include "threads/runtime.h"

/* ---- connection events --------------------------------------------------- */

typedef struct evrec {
	pthread_mutex_t lock;
	int connected, disconnected, stream_error;
	int64_t disconnected_at;
	cx_error disc, serr;
} evrec;

static evrec ev = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void
on_event(void *arg, cx_client *c, cx_client_event e, const cx_error *err)
{
	evrec *r = arg;

	(void)c;
	pthread_mutex_lock(&r->lock);
	switch (e) {
	case CX_EVENT_CONNECTED:
		r->connected++;
		break;
	case CX_EVENT_STREAM_ERROR:
		r->stream_error++;
		r->serr = *err;
		break;
	case CX_EVENT_DISCONNECTED:
		r->disconnected++;
		r->disconnected_at = hs_now_ms();
		r->disc = *err;
		break;
	}
	pthread_mutex_unlock(&r->lock);
}

static int
ev_get(int *field)
{
	int v;

	pthread_mutex_lock(&ev.lock);
	v = *field;
	pthread_mutex_unlock(&ev.lock);
	return v;
}

/* Waits (bounded) until *field reaches want. */
static int
ev_wait(int *field, int want, int timeout_ms)
{
	int64_t deadline = hs_now_ms() + timeout_ms;

	while (ev_get(field) < want && hs_now_ms() < deadline)
		hs_sleep_ms(5);
	return ev_get(field);
}

static void
setup(void)
{
	cx_log_set_default(hs_log_sink, NULL, CX_LOG_INFO);
}

/* ---- negotiation: stalls and injection -------------------------------------- */

static const char *const stalls[] = {
	"stall-header", "stall-features", "stall-tls", "stall-sasl", "stall-bind"
};

START_TEST(test_hostile_negotiation_stall)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	int64_t t0, dt;

	hs_start(&hs, stalls[_i]);
	s = hs_settings(&hs);
	hs_set(s, "connect_timeout_ms", "700");
	hs_set(s, "timeout_ms", "500");
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	t0 = hs_now_ms();
	st = cx_client_connect(c, &err);
	dt = hs_now_ms() - t0;
	ck_assert_msg(st == CX_ERR_TIMEOUT, "%s: got %s (%s)", stalls[_i],
		      cx_strerror(st), err.message);
	ck_assert_int_eq(err.status, CX_ERR_TIMEOUT);
	/* bound: the connect timeout plus the negotiation timeout (header doc) */
	ck_assert_msg(dt >= 1100 && dt < 1200 + 1000, "%s: %lld ms", stalls[_i],
		      (long long)dt);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	/* the client is reusable after the failure (same state rules) */
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_ERR_STATE);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

START_TEST(test_hostile_negotiation_junk_after_proceed)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_collector *k = NULL;
	cx_filter f = CX_FILTER_INIT;
	cx_stanza *got = NULL;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "junk-after-proceed");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	f.kind = CX_STANZA_MESSAGE;
	ck_assert_int_eq(cx_collector_new(&k, c, &f, 8, &err), CX_OK);
	ck_assert_msg(cx_client_connect(c, &err) == CX_OK, "%s", err.message);
	/* The session works, and the injected message never surfaced. */
	hs_command_call(c, "messages", "count='1'");
	ck_assert_int_eq(cx_collector_next(&got, k, 3000, &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_id(got), "m1");
	cx_stanza_unref(got);
	ck_assert_int_eq(cx_collector_next(&got, k, 200, &err), CX_ERR_TIMEOUT);
	ck_assert(hs_logged("discarded"));
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_collector_free(k);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

START_TEST(test_hostile_negotiation_wrong_password)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	hs_set(s, "password", "wrong");
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_ERR_AUTH);
	ck_assert_str_eq(err.condition, "not-authorized");
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- a server that stops answering -------------------------------------- */

START_TEST(test_hostile_silent_calls_time_out)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_future *f[8];
	cx_stanza *ping;
	cx_error err = CX_ERROR_INIT;
	int64_t t0, dt;
	int i;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, NULL);
	hs_command_call(c, "silent", NULL);
	t0 = hs_now_ms();
	for (i = 0; i < 8; i++) {
		ping = hs_ping(NULL);
		f[i] = cx_client_call_async(c, ping, 300 + 50 * i);
		cx_stanza_unref(ping);
	}
	ping = hs_ping(NULL);
	ck_assert_int_eq(cx_client_call(NULL, c, ping, 400, &err), CX_ERR_TIMEOUT);
	cx_stanza_unref(ping);
	dt = hs_now_ms() - t0;
	ck_assert_msg(dt >= 400 && dt < 400 + 500, "blocking call: %lld ms",
		      (long long)dt);
	for (i = 0; i < 8; i++) {
		ck_assert_int_eq(cx_future_wait(f[i], 5000, &err), CX_ERR_TIMEOUT);
		dt = hs_now_ms() - t0;
		ck_assert_msg(dt < 300 + 50 * i + 500, "call %d: %lld ms", i,
			      (long long)dt);
		cx_future_unref(f[i]);
	}
	/* still connected: the server only went quiet */
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	/* disconnect does not wait for a close that never comes past its bound */
	hs_set(s, "timeout_ms", "400");
	t0 = hs_now_ms();
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	dt = hs_now_ms() - t0;
	ck_assert_msg(dt < 5000 + 1000, "disconnect: %lld ms", (long long)dt);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- a close in the middle of a stanza ------------------------------------ */

START_TEST(test_hostile_close_mid_stanza)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_future *f[10], *cmd;
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;
	int64_t closed_at, failed_at;
	int i;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_event(c, on_event, &ev, NULL);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	/* ten calls the server never answers validly */
	for (i = 0; i < 10; i++) {
		iq = hs_ping("forge-only@localhost/x");
		f[i] = cx_client_call_async(c, iq, 20000);
		cx_stanza_unref(iq);
	}
	/* half a stanza, then 300 ms later the socket closes */
	cmd = hs_command_async(c, "close-mid", "delay='300'", 20000);
	ck_assert_int_eq(cx_future_wait(cmd, 5000, &err), CX_ERR_DISCONNECTED);
	failed_at = hs_now_ms();
	closed_at = hs_log_wait(&hs, "closed", "by the script", 1, 2000, NULL, 0);
	ck_assert_int_ge(closed_at, 0);
	ck_assert_msg(failed_at - closed_at < 100,
		      "the call failed %lld ms after the close",
		      (long long)(failed_at - closed_at));
	for (i = 0; i < 10; i++) {
		/* the teardown fails them one after the other, at once */
		ck_assert_int_eq(cx_future_wait(f[i], 1000, &err), CX_ERR_DISCONNECTED);
		failed_at = hs_now_ms();
		ck_assert_msg(failed_at - closed_at < 100,
			      "call %d failed %lld ms after the close", i,
			      (long long)(failed_at - closed_at));
		cx_future_unref(f[i]);
	}
	cx_future_unref(cmd);
	ck_assert_int_eq(ev_wait(&ev.disconnected, 1, 2000), 1);
	hs_sleep_ms(200);
	ck_assert_int_eq(ev_get(&ev.disconnected), 1);
	ck_assert_int_eq(ev_get(&ev.stream_error), 0);
	ck_assert_int_eq(ev.disc.status, CX_ERR_DISCONNECTED);
	ck_assert_int_le(ev.disconnected_at - closed_at, 100);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	/* the partial <message/> never reached anyone */
	ck_assert_int_eq(cx_client_send_raw(c, "<message/>", 0, &err), CX_ERR_STATE);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- a stream error ---------------------------------------------------------- */

START_TEST(test_hostile_stream_error)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_future *f[5], *cmd;
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;
	int i;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_event(c, on_event, &ev, NULL);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	for (i = 0; i < 5; i++) {
		iq = hs_ping("forge-only@localhost/x");
		f[i] = cx_client_call_async(c, iq, 20000);
		cx_stanza_unref(iq);
	}
	cmd = hs_command_async(c, "stream-error", "condition='policy-violation'", 20000);
	ck_assert_int_eq(cx_future_wait(cmd, 5000, &err), CX_ERR_STREAM_ERROR);
	ck_assert_str_eq(err.condition, "policy-violation");
	cx_future_unref(cmd);
	for (i = 0; i < 5; i++) {
		cx_error e = CX_ERROR_INIT;

		ck_assert_int_eq(cx_future_wait(f[i], 1000, &e), CX_ERR_STREAM_ERROR);
		ck_assert_str_eq(e.condition, "policy-violation");
		ck_assert_ptr_nonnull(strstr(e.text, "hostile server says no"));
		cx_future_unref(f[i]);
	}
	ck_assert_int_eq(ev_wait(&ev.disconnected, 1, 2000), 1);
	ck_assert_int_eq(ev_get(&ev.stream_error), 1);
	ck_assert_int_eq(ev.serr.status, CX_ERR_STREAM_ERROR);
	ck_assert_str_eq(ev.serr.condition, "policy-violation");
	ck_assert_int_eq(ev.disc.status, CX_ERR_STREAM_ERROR);
	ck_assert_str_eq(ev.disc.condition, "policy-violation");
	hs_sleep_ms(200);
	ck_assert_int_eq(ev_get(&ev.disconnected), 1);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- forged reply senders ----------------------------------------------------- */

START_TEST(test_hostile_forged_from_only)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_stanza *iq, *reply = NULL;
	cx_error err = CX_ERROR_INIT;
	int64_t t0, dt;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, NULL);
	iq = hs_ping("forge-only@localhost/x");
	t0 = hs_now_ms();
	ck_assert_int_eq(cx_client_call(&reply, c, iq, 500, &err), CX_ERR_TIMEOUT);
	dt = hs_now_ms() - t0;
	ck_assert_ptr_null(reply);
	ck_assert_msg(dt >= 500 && dt < 1000, "%lld ms", (long long)dt);
	ck_assert_int_ge(hs_log_wait(&hs, "forged", NULL, 1, 1000, NULL, 0), 0);
	ck_assert(hs_logged("dropped a forged reply"));
	ck_assert(hs_logged("mallory@localhost/evil"));
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

START_TEST(test_hostile_forged_then_real)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_stanza *iq, *reply = NULL;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, NULL);
	iq = hs_ping("forge-then-real@localhost/x");
	ck_assert_int_eq(cx_client_call(&reply, c, iq, 3000, &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_from(reply), "forge-then-real@localhost/x");
	ck_assert(hs_logged("dropped a forged reply"));
	cx_stanza_unref(reply);
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- malformed, restricted and oversized XML ------------------------------- */

static const struct {
	const char *what, *attrs, *condition;
} bad_xml[] = {
	{ "malformed", "", "not-well-formed" },
	{ "doctype", "", "restricted-xml" },
	{ "pi", "", "restricted-xml" },
	{ "entity", "", "restricted-xml" },
	{ "oversized", "count='200000'", "policy-violation" },
};

START_TEST(test_hostile_bad_xml)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;
	char attrs[128], cond[128];

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	hs_set(s, "limits.max_stanza_bytes", "65536");
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_event(c, on_event, &ev, NULL);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	snprintf(attrs, sizeof(attrs), "what='%s' %s", bad_xml[_i].what,
		 bad_xml[_i].attrs);
	iq = hs_command(NULL, "raw", attrs);
	ck_assert_int_eq(cx_client_send(c, iq, &err), CX_OK);
	cx_stanza_unref(iq);
	ck_assert_int_eq(ev_wait(&ev.disconnected, 1, 5000), 1);
	/* the client told the server why, with the right condition */
	ck_assert_msg(hs_log_wait(&hs, "client-stream-error", NULL, 1, 3000, cond,
				  sizeof(cond)) >= 0,
		      "%s: no stream error reached the server", bad_xml[_i].what);
	ck_assert_msg(strcmp(cond, bad_xml[_i].condition) == 0,
		      "%s: condition %s, want %s", bad_xml[_i].what, cond,
		      bad_xml[_i].condition);
	/* and the application got a clear status with that condition */
	ck_assert_msg(ev.disc.status != CX_OK && ev.disc.status != CX_ERR_DISCONNECTED,
		      "%s: status %s (%s)", bad_xml[_i].what,
		      cx_strerror(ev.disc.status), ev.disc.message);
	ck_assert_str_eq(ev.disc.condition, bad_xml[_i].condition);
	ck_assert_int_eq(ev_get(&ev.stream_error), 0);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- a flood -------------------------------------------------------------- */

#define FLOOD 100000
/* How much RSS may grow with the queue full: 5000 stanzas and the buffers.
 * The sanitizers' shadow memory multiplies what the process uses. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RSS_SLACK (256u * 1024 * 1024)
#else
#define RSS_SLACK (32u * 1024 * 1024)
#endif
/* The bound of the flood test: large enough that the loopback socket
 * buffers (a few thousand of these messages) fit in the overfill allowance,
 * so that the reply to the call made from a handler can be read. */
#define FLOOD_QMAX 5000

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static atomic_long flood_seen, flood_order_errors, flood_inside;
static atomic_int flood_call_status = 1, flood_overlap;

static cx_handler_result
flood_handler(void *arg, cx_client *c, cx_stanza *s)
{
	long n = atomic_fetch_add(&flood_seen, 1) + 1;
	char want[32];

	(void)arg;
	if (atomic_fetch_add(&flood_inside, 1) != 0)
		atomic_store(&flood_overlap, 1);
	snprintf(want, sizeof(want), "m%ld", n);
	if (cx_stanza_get_id(s) == NULL || strcmp(cx_stanza_get_id(s), want) != 0)
		atomic_fetch_add(&flood_order_errors, 1);
	if (n == 1) {
		pthread_mutex_lock(&gate_lock);
		while (!gate_open)
			pthread_cond_wait(&gate_cv, &gate_lock);
		pthread_mutex_unlock(&gate_lock);
	}
	if (n == FLOOD / 2) {
		/* a blocking call from the handler, in the middle of the flood */
		cx_stanza *ping = hs_ping(NULL);
		cx_error err = CX_ERROR_INIT;

		atomic_store(&flood_call_status, cx_client_call(NULL, c, ping, 20000, &err));
		cx_stanza_unref(ping);
	}
	atomic_fetch_sub(&flood_inside, 1);
	return CX_HANDLER_CONSUMED;
}

/* Number of stanzas the reader has taken off the socket (a collector of one
 * sees every message before dispatch; what it dropped counts them). */
static long
reader_count(cx_collector *k)
{
	return (long)cx_collector_dropped(k) + 1;
}

START_TEST(test_hostile_flood_bounded)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_collector *k = NULL;
	cx_filter f = CX_FILTER_INIT;
	cx_error err = CX_ERROR_INIT;
	char prog[64], last[64] = "";
	size_t rss0, rss_stall, rss_end;
	long sent = 0, read_stall;
	int64_t deadline, stable_since;
	char qmax[16];

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	snprintf(qmax, sizeof(qmax), "%d", FLOOD_QMAX);
	hs_set(s, "dispatch.queue_max", qmax);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_message(c, flood_handler, NULL, NULL, 0);
	f.kind = CX_STANZA_MESSAGE;
	ck_assert_int_eq(cx_collector_new(&k, c, &f, 1, &err), CX_OK);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	rss0 = hs_rss();

	hs_command_call(c, "flood", "count='100000'");
	/* the first handler blocks: wait until the server cannot write more
	 * (its count stays the same for 500 ms) */
	deadline = hs_now_ms() + 20000;
	stable_since = hs_now_ms();
	while (hs_now_ms() < deadline) {
		hs_log_last(&hs, "flood", prog, sizeof(prog));
		if (strcmp(prog, last) != 0) {
			snprintf(last, sizeof(last), "%s", prog);
			stable_since = hs_now_ms();
		} else if (prog[0] && hs_now_ms() - stable_since > 500) {
			break;
		}
		hs_sleep_ms(20);
	}
	sent = strtol(last, NULL, 10);
	ck_assert_msg(sent > 0 && sent < FLOOD,
		      "the server wrote %ld of %d messages past a stopped reader",
		      sent, FLOOD);
	read_stall = reader_count(k);
	rss_stall = hs_rss();
	fprintf(stderr, "flood: server stalled at %ld sent, reader took %ld, "
		"RSS %zu -> %zu KiB\n", sent, read_stall, rss0 / 1024,
		rss_stall / 1024);
	/* the queue holds at most its bound (+1 running, +1 waiting for room) */
	ck_assert_msg(read_stall <= FLOOD_QMAX + 2, "reader took %ld", read_stall);
	ck_assert_int_eq(atomic_load(&flood_seen), 1);
	ck_assert_msg(rss_stall < rss0 + RSS_SLACK, "RSS grew by %zu KiB",
		      (rss_stall - rss0) / 1024);

	pthread_mutex_lock(&gate_lock);
	gate_open = 1;
	pthread_cond_broadcast(&gate_cv);
	pthread_mutex_unlock(&gate_lock);
	deadline = hs_now_ms() + 120000;
	while (atomic_load(&flood_seen) < FLOOD && hs_now_ms() < deadline)
		hs_sleep_ms(20);
	rss_end = hs_rss();
	{
		char at[32] = "";

		hs_log_last(&hs, "iq-during-flood", at, sizeof(at));
		fprintf(stderr, "flood: all %ld handled, RSS %zu KiB; the reply to "
			"the call made at message %d came after message %s\n",
			atomic_load(&flood_seen), rss_end / 1024, FLOOD / 2, at);
	}
	ck_assert_int_eq(atomic_load(&flood_seen), FLOOD);
	ck_assert_int_eq(atomic_load(&flood_order_errors), 0);
	ck_assert_int_eq(atomic_load(&flood_overlap), 0);
	ck_assert_msg(atomic_load(&flood_call_status) == CX_OK,
		      "the call from the handler: %s",
		      cx_strerror(atomic_load(&flood_call_status)));
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* (AddressSanitizer keeps freed memory in quarantine, 256 MiB by
	 * default, and ThreadSanitizer keeps shadow and history memory, so RSS
	 * after the flood says nothing there; LeakSanitizer checks the leaks
	 * in the ASan build instead.) */
	ck_assert_msg(rss_end < rss0 + RSS_SLACK, "RSS grew by %zu KiB",
		      (rss_end - rss0) / 1024);
#endif
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_collector_free(k);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- the overfill rule: replies behind a full queue ----------------------- */

#define OVERFILL_QMAX 50

static atomic_int burst_status = 1, burst_seen;
static int burst_count;

static cx_handler_result
burst_handler(void *arg, cx_client *c, cx_stanza *s)
{
	int n = atomic_fetch_add(&burst_seen, 1) + 1;

	(void)arg;
	(void)s;
	if (n == 1) {
		/* from a handler, while the queue is being filled: the reply
		 * comes after `burst_count` messages */
		char attrs[64];
		cx_stanza *iq;
		cx_error err = CX_ERROR_INIT;

		snprintf(attrs, sizeof(attrs), "count='%d'", burst_count);
		iq = hs_command(NULL, "burst", attrs);
		atomic_store(&burst_status, cx_client_call(NULL, c, iq, 1500, &err));
		cx_stanza_unref(iq);
	}
	return CX_HANDLER_CONSUMED;
}

static void
overfill_run(int count, cx_status want)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_collector *k = NULL;
	cx_filter f = CX_FILTER_INIT;
	cx_error err = CX_ERROR_INIT;
	char qmax[16];
	long most = 0;
	int64_t t0, deadline;

	burst_count = count;
	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	snprintf(qmax, sizeof(qmax), "%d", OVERFILL_QMAX);
	hs_set(s, "dispatch.queue_max", qmax);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_message(c, burst_handler, NULL, NULL, 0);
	f.kind = CX_STANZA_MESSAGE;
	ck_assert_int_eq(cx_collector_new(&k, c, &f, 1, &err), CX_OK);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	/* one message starts the handler, which makes the call */
	hs_command_call(c, "messages", "count='1'");
	t0 = hs_now_ms();
	deadline = t0 + 5000;
	while (atomic_load(&burst_status) == 1 && hs_now_ms() < deadline) {
		long n = reader_count(k);
		if (n > most)
			most = n;
		hs_sleep_ms(2);
	}
	ck_assert_msg(atomic_load(&burst_status) == (int)want,
		      "burst of %d behind a queue of %d: %s", count, OVERFILL_QMAX,
		      cx_strerror(atomic_load(&burst_status)));
	/* never more than twice the bound (+ the running item and the one
	 * waiting for room) while the call was pending */
	ck_assert_msg(most <= 2 * OVERFILL_QMAX + 2, "reader took %ld", most);
	if (want == CX_ERR_TIMEOUT)
		ck_assert_msg(most >= 2 * OVERFILL_QMAX, "reader took only %ld", most);
	/* and once the handler returns, everything is delivered */
	deadline = hs_now_ms() + 5000;
	while (atomic_load(&burst_seen) < count + 1 && hs_now_ms() < deadline)
		hs_sleep_ms(5);
	ck_assert_int_eq(atomic_load(&burst_seen), count + 1);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_collector_free(k);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}

START_TEST(test_hostile_overfill_reply_within_twice_the_bound)
{
	overfill_run(OVERFILL_QMAX + OVERFILL_QMAX / 2, CX_OK);
}
END_TEST

START_TEST(test_hostile_overfill_reply_beyond_twice_the_bound)
{
	overfill_run(4 * OVERFILL_QMAX, CX_ERR_TIMEOUT);
}
END_TEST

/* ---- dispatch guarantees ------------------------------------------------- */

static atomic_int d_calls_ok, d_calls_failed, d_seen, d_inside, d_max_inside;
static atomic_int d_arrived;

static void
d_enter(void)
{
	int n = atomic_fetch_add(&d_inside, 1) + 1, m = atomic_load(&d_max_inside);

	while (n > m && !atomic_compare_exchange_weak(&d_max_inside, &m, n))
		;
}

/* Waits (bounded) until `want` handlers have arrived: a barrier that only
 * opens if they run at the same time. */
static int
d_barrier(int want)
{
	int64_t deadline = hs_now_ms() + 5000;

	atomic_fetch_add(&d_arrived, 1);
	while (atomic_load(&d_arrived) < want && hs_now_ms() < deadline)
		hs_sleep_ms(1);
	return atomic_load(&d_arrived) >= want;
}

static cx_handler_result
call_own_client(void *arg, cx_client *c, cx_stanza *s)
{
	const char *cmd = arg;
	cx_stanza *iq = cmd ? hs_command(NULL, cmd, "ms='200'") : hs_ping(NULL);
	cx_error err = CX_ERROR_INIT;

	(void)s;
	d_enter();
	if (cmd != NULL && !d_barrier(2))
		atomic_fetch_add(&d_calls_failed, 100);
	if (cx_client_call(NULL, c, iq, 5000, &err) == CX_OK)
		atomic_fetch_add(&d_calls_ok, 1);
	else
		atomic_fetch_add(&d_calls_failed, 1);
	cx_stanza_unref(iq);
	atomic_fetch_sub(&d_inside, 1);
	atomic_fetch_add(&d_seen, 1);
	return CX_HANDLER_CONSUMED;
}

static int
d_wait_seen(int want, int timeout_ms)
{
	int64_t deadline = hs_now_ms() + timeout_ms;

	while (atomic_load(&d_seen) < want && hs_now_ms() < deadline)
		hs_sleep_ms(5);
	return atomic_load(&d_seen);
}

START_TEST(test_hostile_dispatch_call_from_handler)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_message(c, call_own_client, NULL, NULL, 0);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	hs_command_call(c, "messages", "count='5'");
	ck_assert_int_eq(d_wait_seen(5, 10000), 5);
	ck_assert_int_eq(atomic_load(&d_calls_ok), 5);
	ck_assert_int_eq(atomic_load(&d_calls_failed), 0);
	ck_assert_int_eq(atomic_load(&d_max_inside), 1);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* A runtime of two pool threads, and two concurrent handlers that each
 * block in a call at the same time: no pool thread is left, and the calls
 * still complete because the reader, not the pool, resolves replies. */
START_TEST(test_hostile_dispatch_every_pool_thread_in_a_call)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_runtime *rt = NULL;
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_error err = CX_ERROR_INIT;

	o.pool_size = 2;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, &err), CX_OK);
	ck_assert_uint_eq(cx_runtime_get_pool_size(rt), 2);
	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, rt, &err), CX_OK);
	cx_client_on_message(c, call_own_client, (void *)"slow", NULL,
			     CX_HANDLER_CONCURRENT);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	hs_command_call(c, "messages", "count='2'");
	ck_assert_int_eq(d_wait_seen(2, 10000), 2);
	ck_assert_int_eq(atomic_load(&d_calls_failed), 0);
	ck_assert_int_eq(atomic_load(&d_calls_ok), 2);
	ck_assert_int_eq(atomic_load(&d_max_inside), 2);
	/* and the client still works for the next round */
	atomic_store(&d_arrived, 0);
	hs_command_call(c, "messages", "count='2'");
	ck_assert_int_eq(d_wait_seen(4, 10000), 4);
	ck_assert_int_eq(atomic_load(&d_calls_ok), 4);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_runtime_unref(rt);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

#define ORDER_N 2000
static atomic_int order_a, order_b, order_errors, order_inside, order_overlap;

static cx_handler_result
order_handler(void *arg, cx_client *c, cx_stanza *s)
{
	atomic_int *counter = arg;
	int n = atomic_fetch_add(counter, 1) + 1;
	char want[32];

	(void)c;
	if (atomic_fetch_add(&order_inside, 1) != 0)
		atomic_store(&order_overlap, 1);
	snprintf(want, sizeof(want), "m%d", n);
	if (strcmp(cx_stanza_get_id(s), want) != 0)
		atomic_fetch_add(&order_errors, 1);
	/* the first handler runs before the second for every stanza */
	if (counter == &order_b && atomic_load(&order_a) != n)
		atomic_fetch_add(&order_errors, 1);
	if (n % 100 == 0)
		hs_sleep_ms(1); /* give a parallel run a chance to show */
	atomic_fetch_sub(&order_inside, 1);
	return CX_HANDLER_PASS;
}

START_TEST(test_hostile_dispatch_arrival_order_one_at_a_time)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_error err = CX_ERROR_INIT;
	int64_t deadline;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_message(c, order_handler, &order_a, NULL, 0);
	cx_client_on_message(c, order_handler, &order_b, NULL, 0);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	hs_command_call(c, "messages", "count='2000'");
	deadline = hs_now_ms() + 20000;
	while (atomic_load(&order_b) < ORDER_N && hs_now_ms() < deadline)
		hs_sleep_ms(5);
	ck_assert_int_eq(atomic_load(&order_a), ORDER_N);
	ck_assert_int_eq(atomic_load(&order_b), ORDER_N);
	ck_assert_int_eq(atomic_load(&order_errors), 0);
	ck_assert_int_eq(atomic_load(&order_overlap), 0);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

static cx_handler_result
barrier_handler(void *arg, cx_client *c, cx_stanza *s)
{
	(void)arg;
	(void)c;
	(void)s;
	if (d_barrier(3))
		atomic_fetch_add(&d_calls_ok, 1);
	atomic_fetch_add(&d_seen, 1);
	return CX_HANDLER_CONSUMED;
}

/* Three messages, a concurrent handler with a barrier of three: it opens
 * only if the three runs overlap (a pool of three threads). */
START_TEST(test_hostile_dispatch_concurrent_overlap)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_runtime *rt = NULL;
	cx_runtime_options o = CX_RUNTIME_OPTIONS_INIT;
	cx_error err = CX_ERROR_INIT;

	o.pool_size = 3;
	ck_assert_int_eq(cx_runtime_new(&rt, &o, &err), CX_OK);
	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, rt, &err), CX_OK);
	cx_client_on_message(c, barrier_handler, NULL, NULL, CX_HANDLER_CONCURRENT);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	hs_command_call(c, "messages", "count='3'");
	ck_assert_int_eq(d_wait_seen(3, 10000), 3);
	ck_assert_int_eq(atomic_load(&d_calls_ok), 3);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	cx_client_free(c);
	cx_runtime_unref(rt);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- endings --------------------------------------------------------------- */

struct blocked_call {
	cx_client *c;
	cx_status st;
	int64_t returned_at;
	pthread_t th;
};

static void *
blocked_call_main(void *arg)
{
	struct blocked_call *b = arg;
	cx_stanza *iq = hs_ping("forge-only@localhost/x");
	cx_error err = CX_ERROR_INIT;

	b->st = cx_client_call(NULL, b->c, iq, 20000, &err);
	b->returned_at = hs_now_ms();
	cx_stanza_unref(iq);
	return NULL;
}

static void
ignore_event(void *arg, cx_client *c, cx_client_event e, const cx_error *err)
{
	(void)arg;
	(void)c;
	(void)e;
	(void)err;
}

static void
count_free(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
}

START_TEST(test_hostile_endings_free_while_calls_blocked)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	struct blocked_call b[4];
	atomic_int freed = 0;
	int64_t t0;
	int i;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, NULL);
	cx_client_on_message(c, call_own_client, &freed, count_free, 0);
	cx_client_on_event(c, ignore_event, &freed, count_free);
	for (i = 0; i < 4; i++) {
		b[i].c = c;
		b[i].st = CX_OK;
		ck_assert_int_eq(pthread_create(&b[i].th, NULL, blocked_call_main, &b[i]), 0);
	}
	/* the four calls are on the wire and waiting */
	ck_assert_int_ge(hs_log_wait(&hs, "forged", NULL, 4, 5000, NULL, 0), 0);
	t0 = hs_now_ms();
	cx_client_free(c);
	for (i = 0; i < 4; i++) {
		pthread_join(b[i].th, NULL);
		ck_assert_int_eq(b[i].st, CX_ERR_DISCONNECTED);
		ck_assert_int_lt(b[i].returned_at - t0, 1000);
	}
	ck_assert_int_eq(atomic_load(&freed), 2);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

static pthread_mutex_t fh_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fh_cv = PTHREAD_COND_INITIALIZER;
static int fh_arg_freed, fh_runtime_gone;

static cx_handler_result
free_self(void *arg, cx_client *c, cx_stanza *s)
{
	(void)arg;
	(void)s;
	cx_client_free(c);
	return CX_HANDLER_CONSUMED;
}

static void
fh_signal(void *arg)
{
	pthread_mutex_lock(&fh_lock);
	(*(int *)arg)++;
	pthread_cond_broadcast(&fh_cv);
	pthread_mutex_unlock(&fh_lock);
}

START_TEST(test_hostile_endings_free_from_handler)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_runtime *rt = NULL;
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;
	struct timespec ts;
	int rc = 0;

	ck_assert_int_eq(cx_runtime_new(&rt, NULL, &err), CX_OK);
	cxi_runtime_set_destroy_notify(rt, fh_signal, &fh_runtime_gone);
	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, rt);
	/* the client holds the last reference: when its deferred teardown has
	 * finished, the runtime goes and says so */
	cx_runtime_unref(rt);
	cx_client_on_message(c, free_self, &fh_arg_freed, fh_signal, 0);
	iq = hs_command(NULL, "messages", "count='1'");
	ck_assert_int_eq(cx_client_send(c, iq, &err), CX_OK);
	cx_stanza_unref(iq);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 10;
	pthread_mutex_lock(&fh_lock);
	while ((fh_arg_freed == 0 || fh_runtime_gone == 0) && rc == 0)
		rc = pthread_cond_timedwait(&fh_cv, &fh_lock, &ts);
	pthread_mutex_unlock(&fh_lock);
	ck_assert_int_eq(fh_arg_freed, 1);
	ck_assert_int_eq(fh_runtime_gone, 1);
	/* the server saw a clean close */
	ck_assert_int_ge(hs_log_wait(&hs, "client-closed", NULL, 1, 2000, NULL, 0), 0);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

START_TEST(test_hostile_endings_disconnect_fails_pending)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_future *f[5];
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;
	int i;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	cx_client_on_event(c, on_event, &ev, NULL);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	for (i = 0; i < 5; i++) {
		iq = hs_ping("forge-only@localhost/x");
		f[i] = cx_client_call_async(c, iq, 20000);
		cx_stanza_unref(iq);
	}
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(cx_future_wait(f[i], 0, &err), CX_ERR_DISCONNECTED);
		cx_future_unref(f[i]);
	}
	ck_assert_int_ge(hs_log_wait(&hs, "client-closed", NULL, 1, 2000, NULL, 0), 0);
	ck_assert_int_eq(ev_wait(&ev.disconnected, 1, 2000), 1);
	ck_assert_int_eq(ev.disc.status, CX_OK);
	hs_sleep_ms(100);
	ck_assert_int_eq(ev_get(&ev.disconnected), 1);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ---- calls in the wrong state ---------------------------------------------- */

static void
assert_not_connected(cx_client *c)
{
	cx_stanza *msg = NULL, *iq = hs_ping(NULL), *reply = NULL;
	cx_future *f;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_new_message(&msg, "bob@localhost", "chat", "hi",
					       NULL), CX_OK);
	ck_assert_int_eq(cx_client_send(c, msg, &err), CX_ERR_STATE);
	ck_assert_int_eq(err.status, CX_ERR_STATE);
	ck_assert_int_eq(cx_client_send_raw(c, "<message/>", 0, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_send_raw(c, "<message", CX_SEND_RAW_UNCHECKED,
					    &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_call(&reply, c, iq, 1000, &err), CX_ERR_STATE);
	ck_assert_ptr_null(reply);
	f = cx_client_call_async(c, iq, 1000);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_wait(f, 0, &err), CX_ERR_STATE);
	cx_future_unref(f);
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_abort(c, NULL), CX_ERR_STATE);
	ck_assert_ptr_null(cx_client_get_jid(c));
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_stanza_unref(msg);
	cx_stanza_unref(iq);
}

START_TEST(test_hostile_state_before_connect)
{
	cx_settings *s = NULL;
	cx_client *c = NULL;

	ck_assert_int_eq(cx_settings_new(&s, NULL), CX_OK);
	hs_set(s, "jid", "alice@localhost");
	ck_assert_int_eq(cx_client_new(&c, s, NULL, NULL), CX_OK);
	assert_not_connected(c);
	ck_assert_ptr_null(cx_client_get_sasl_mechanism(c));
	ck_assert_int_eq(cx_client_remove_handler(c, 12345), CX_ERR_NOT_FOUND);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

START_TEST(test_hostile_state_connected_and_after)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c;
	cx_future *f;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "normal");
	s = hs_settings(&hs);
	c = hs_connect(s, NULL);
	/* connect twice */
	ck_assert_int_eq(cx_client_connect(c, &err), CX_ERR_STATE);
	ck_assert_int_eq(err.status, CX_ERR_STATE);
	f = cx_client_connect_async(c);
	ck_assert_int_eq(cx_future_wait(f, 1000, &err), CX_ERR_STATE);
	cx_future_unref(f);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	/* after a disconnect, everything is refused again */
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	assert_not_connected(c);
	/* and a second connect works */
	ck_assert_int_eq(cx_client_connect(c, &err), CX_OK);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTED);
	ck_assert_int_eq(cx_client_abort(c, NULL), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

START_TEST(test_hostile_state_while_connecting)
{
	hs_server hs;
	cx_settings *s;
	cx_client *c = NULL;
	cx_future *f;
	cx_stanza *iq;
	cx_error err = CX_ERROR_INIT;

	hs_start(&hs, "stall-features");
	s = hs_settings(&hs);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	f = cx_client_connect_async(c);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(hs_log_wait(&hs, "header", NULL, 1, 5000, NULL, 0), 0);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_CONNECTING);
	ck_assert_int_eq(cx_client_connect(c, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_client_send_raw(c, "<message/>", 0, &err), CX_ERR_STATE);
	iq = hs_ping(NULL);
	ck_assert_int_eq(cx_client_call(NULL, c, iq, 1000, &err), CX_ERR_STATE);
	cx_stanza_unref(iq);
	/* a disconnect while connecting ends the attempt at once */
	ck_assert_int_eq(cx_client_disconnect(c, &err), CX_OK);
	ck_assert_int_ne(cx_future_wait(f, 2000, &err), CX_OK);
	ck_assert_int_ne(err.status, CX_ERR_TIMEOUT);
	cx_future_unref(f);
	ck_assert_int_eq(cx_client_get_state(c), CX_CLIENT_DISCONNECTED);
	cx_client_free(c);
	cx_settings_unref(s);
	hs_stop(&hs);
}
END_TEST

/* ------------------------------------------------------------------------- */

static Suite *
hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc;

	tc = tcase_create("negotiation");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_hostile_negotiation_stall, 0,
			    (int)(sizeof(stalls) / sizeof(stalls[0])));
	tcase_add_test(tc, test_hostile_negotiation_junk_after_proceed);
	tcase_add_test(tc, test_hostile_negotiation_wrong_password);
	suite_add_tcase(s, tc);

	tc = tcase_create("faults");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hostile_silent_calls_time_out);
	tcase_add_test(tc, test_hostile_close_mid_stanza);
	tcase_add_test(tc, test_hostile_stream_error);
	tcase_add_test(tc, test_hostile_forged_from_only);
	tcase_add_test(tc, test_hostile_forged_then_real);
	tcase_add_loop_test(tc, test_hostile_bad_xml, 0,
			    (int)(sizeof(bad_xml) / sizeof(bad_xml[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("flood");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, test_hostile_flood_bounded);
	tcase_add_test(tc, test_hostile_overfill_reply_within_twice_the_bound);
	tcase_add_test(tc, test_hostile_overfill_reply_beyond_twice_the_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("dispatch");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_hostile_dispatch_call_from_handler);
	tcase_add_test(tc, test_hostile_dispatch_every_pool_thread_in_a_call);
	tcase_add_test(tc, test_hostile_dispatch_arrival_order_one_at_a_time);
	tcase_add_test(tc, test_hostile_dispatch_concurrent_overlap);
	suite_add_tcase(s, tc);

	tc = tcase_create("endings");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hostile_endings_free_while_calls_blocked);
	tcase_add_test(tc, test_hostile_endings_free_from_handler);
	tcase_add_test(tc, test_hostile_endings_disconnect_fails_pending);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_hostile_state_before_connect);
	tcase_add_test(tc, test_hostile_state_connected_and_after);
	tcase_add_test(tc, test_hostile_state_while_connecting);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	if (hs_make_certs() != 0) {
		hs_remove_certs();
		fprintf(stderr, "could not make the test certificates\n");
		return 99;
	}
	sr = srunner_create(hostile_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	hs_remove_certs();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

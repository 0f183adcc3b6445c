/*
 * lib/ext/ping.c - XEP-0199 ping, its responder, and the keepalive.
 *
 * Design notes:
 * - The keepalive's timers run on the runtime's timer thread, which also
 *   fires every call's deadline: their callbacks only queue (a space with
 *   cx_client_send_raw, a ping with cx_client_call_async + cx_future_then)
 *   and never wait. The ping's result is looked at on the pool.
 * - Only one ping is in flight at a time; a timer firing while one is
 *   pending does nothing. A ping that times out aborts the connection.
 * - The keepalive state is refcounted apart from the client: a ping's
 *   then-callback may run on the pool after the client was freed (the
 *   pool is the runtime's, not the client's), so it holds a reference and
 *   finds `client` NULL once the client's extension data was freed.
 * - Timers start on the connected event and stop on the disconnected
 *   event; the event handler is the keepalive's own registration.
 * - Traffic counts: a busy connection needs neither. The ping goes out
 *   only once nothing was received for ping.interval_ms
 *   (cx_client_get_idle_ms), the space only once nothing was written for
 *   keepalive.interval_ms (cx_client_get_send_idle_ms). The timers
 *   therefore tick at a fraction of their interval (TICK_PARTS), so that
 *   silence is acted on within interval * (1 + 1/TICK_PARTS) of the last
 *   bytes rather than up to two intervals later.
 */
#include "config.h"

#include "cxmpp/ping.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "cxmpp/disco.h"
#include "cxmpp/runtime.h"
#include "cxmpp/settings.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

/* A keepalive timer ticks TICK_PARTS times per interval. */
#define TICK_PARTS 5

cx_status
cx_ping_build(cx_stanza **out, const char *to, cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	return cx_stanza_new_iq(out, "get", to, CX_NS_PING, "ping", err);
}

cx_status
cx_ping(cx_client *c, const char *to, int timeout_ms, cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cx_ping_build(&iq, to, err)) != CX_OK)
		return st;
	st = cx_client_call(NULL, c, iq, timeout_ms, err);
	cx_stanza_unref(iq);
	return st;
}

cx_future *
cx_ping_async(cx_client *c, const char *to, int timeout_ms)
{
	cx_stanza *iq = NULL;
	cx_future *f;

	if (c == NULL || cx_ping_build(&iq, to, NULL) != CX_OK)
		return NULL;
	f = cx_client_call_async(c, iq, timeout_ms);
	cx_stanza_unref(iq);
	return f;
}

/* ---- responder ---------------------------------------------------------- */

static const char responder_key;

static cx_handler_result
on_ping(void *arg, cx_client *c, cx_stanza *s)
{
	cx_stanza *reply = NULL;
	cx_error e = CX_ERROR_INIT;

	(void)arg;
	if (cxi_ext_result_reply(&reply, s, NULL, NULL, NULL, &e) != CX_OK ||
	    cx_client_send(c, reply, &e) != CX_OK)
		cxi_ext_log(c, CX_LOG_INFO, "ping: pong not sent: %s", e.message);
	cx_stanza_unref(reply);
	return CX_HANDLER_CONSUMED;
}

static void *
responder_make(void *arg)
{
	(void)arg;
	return calloc(1, sizeof(atomic_int));
}

cx_status
cx_ping_enable_responder(cx_client *c, cx_error *err)
{
	atomic_int *installed;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	installed = cx_client_ensure_data(c, &responder_key, responder_make,
					  NULL, free);
	if (installed == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (atomic_exchange(installed, 1) == 0 &&
	    cx_client_on_iq(c, "get", CX_NS_PING, "ping", on_ping, NULL, NULL,
			    CX_HANDLER_CONCURRENT) == 0) {
		atomic_store(installed, 0);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	if ((st = cx_disco_add_feature(c, CX_NS_PING, err)) != CX_OK)
		return st;
	return CX_OK;
}

/* ---- keepalive ---------------------------------------------------------- */

typedef struct keepalive {
	atomic_uint refs;
	pthread_mutex_t lock;   /* protects client, in_flight, conn */
	cx_client *client;      /* NULL once the client's data was freed */
	cx_timer *space_timer;
	cx_timer *ping_timer;
	int space_ms, ping_ms, timeout_ms;
	bool in_flight;
	unsigned long conn;     /* connection generation */
	cx_handler_id events;
} keepalive;

static const char keepalive_key;

static keepalive *
ka_ref(keepalive *ka)
{
	atomic_fetch_add(&ka->refs, 1);
	return ka;
}

static void
ka_unref(void *p)
{
	keepalive *ka = p;

	if (atomic_fetch_sub(&ka->refs, 1) != 1)
		return;
	pthread_mutex_destroy(&ka->lock);
	free(ka);
}

static void
ka_stop_timers(keepalive *ka)
{
	cx_timer_stop(ka->space_timer);
	cx_timer_stop(ka->ping_timer);
}

/* The client's extension data goes away with the client. */
static void
ka_data_free(void *p)
{
	keepalive *ka = p;

	pthread_mutex_lock(&ka->lock);
	ka->client = NULL;
	pthread_mutex_unlock(&ka->lock);
	cx_timer_free(ka->space_timer);
	cx_timer_free(ka->ping_timer);
	ka->space_timer = ka->ping_timer = NULL;
	ka_unref(ka);
}

static void
on_space(void *arg)
{
	keepalive *ka = arg;
	cx_error e = CX_ERROR_INIT;

	pthread_mutex_lock(&ka->lock);
	/* -1 (not connected) is below any interval: nothing is sent. */
	if (ka->client != NULL &&
	    cx_client_get_send_idle_ms(ka->client) >= ka->space_ms &&
	    cx_client_send_raw(ka->client, " ", CX_SEND_RAW_UNCHECKED, &e) != CX_OK)
		cxi_ext_log(ka->client, CX_LOG_DEBUG, "keepalive: space not sent: %s",
			    e.message);
	pthread_mutex_unlock(&ka->lock);
}

typedef struct pong_ctx {
	keepalive *ka;
	unsigned long conn;
} pong_ctx;

static void
pong_ctx_free(void *p)
{
	pong_ctx *pc = p;

	ka_unref(pc->ka);
	free(pc);
}

/* On the pool, once the ping settled. */
static void
on_pong(cx_future *f, void *arg)
{
	pong_ctx *pc = arg;
	keepalive *ka = pc->ka;
	cx_error e = CX_ERROR_INIT;
	cx_status st = cx_future_get_error(f, &e);

	pthread_mutex_lock(&ka->lock);
	if (pc->conn == ka->conn)
		ka->in_flight = false;
	if (st == CX_ERR_TIMEOUT && ka->client != NULL && pc->conn == ka->conn) {
		cx_error reason = CX_ERROR_INIT;

		cxi_error_set(&reason, CX_ERR_TIMEOUT,
			      "keepalive: the server did not answer a ping "
			      "within %d ms", ka->timeout_ms);
		cxi_ext_log(ka->client, CX_LOG_WARN, "%s; closing the connection",
			    reason.message);
		cx_client_abort(ka->client, &reason);
	}
	pthread_mutex_unlock(&ka->lock);
}

static void
on_ping_timer(void *arg)
{
	keepalive *ka = arg;
	cx_future *f = NULL;
	pong_ctx *pc;

	pthread_mutex_lock(&ka->lock);
	/* Bytes from the server within the interval prove it alive; -1 (not
	 * connected) is below any interval too. */
	if (ka->client == NULL || ka->in_flight ||
	    cx_client_get_idle_ms(ka->client) < ka->ping_ms)
		goto out;
	if ((pc = malloc(sizeof(*pc))) == NULL)
		goto out;
	f = cx_ping_async(ka->client, NULL, ka->timeout_ms);
	if (f == NULL) {
		free(pc);
		goto out;
	}
	pc->ka = ka_ref(ka);
	pc->conn = ka->conn;
	ka->in_flight = true;
	if (cx_future_then(f, on_pong, pc, pong_ctx_free, NULL) != CX_OK) {
		ka->in_flight = false;
		pong_ctx_free(pc);
	}
	cx_future_unref(f);
out:
	pthread_mutex_unlock(&ka->lock);
}

static void
ka_start_timers(const cx_client *c, keepalive *ka)
{
	cx_error e = CX_ERROR_INIT;

	int tick;

	if (ka->space_ms > 0) {
		tick = ka->space_ms / TICK_PARTS > 0 ? ka->space_ms / TICK_PARTS : 1;
		if (cx_timer_start(ka->space_timer, tick, tick, &e) != CX_OK)
			cxi_ext_log(c, CX_LOG_WARN, "keepalive: %s", e.message);
	}
	if (ka->ping_ms > 0) {
		tick = ka->ping_ms / TICK_PARTS > 0 ? ka->ping_ms / TICK_PARTS : 1;
		if (cx_timer_start(ka->ping_timer, tick, tick, &e) != CX_OK)
			cxi_ext_log(c, CX_LOG_WARN, "keepalive: %s", e.message);
	}
}

static void
on_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	keepalive *ka = arg;

	(void)err;
	if (ev == CX_EVENT_CONNECTED) {
		pthread_mutex_lock(&ka->lock);
		ka->conn++;
		ka->in_flight = false;
		pthread_mutex_unlock(&ka->lock);
		ka_start_timers(c, ka);
	} else if (ev == CX_EVENT_DISCONNECTED) {
		ka_stop_timers(ka);
	}
}

static void *
ka_make(void *arg)
{
	keepalive *ka = calloc(1, sizeof(*ka));
	cx_client *c = arg;

	if (ka == NULL)
		return NULL;
	if (pthread_mutex_init(&ka->lock, NULL) != 0) {
		free(ka);
		return NULL;
	}
	atomic_init(&ka->refs, 1);
	ka->client = c;
	if (cx_runtime_timer_new(&ka->space_timer, cx_client_get_runtime(c),
				 on_space, ka, NULL) != CX_OK ||
	    cx_runtime_timer_new(&ka->ping_timer, cx_client_get_runtime(c),
				 on_ping_timer, ka, NULL) != CX_OK) {
		cx_timer_free(ka->space_timer);
		pthread_mutex_destroy(&ka->lock);
		free(ka);
		return NULL;
	}
	return ka;
}

static cx_status
read_ms(int *out, cx_client *c, const char *key, cx_error *err)
{
	int64_t v = 0;
	cx_status st = cx_settings_get_int(&v, cx_client_get_settings(c), key, err);

	if (st != CX_OK)
		return st;
	*out = v > INT32_MAX ? INT32_MAX : (int)v;
	return CX_OK;
}

cx_status
cx_ping_keepalive_enable(cx_client *c, cx_error *err)
{
	keepalive *ka;
	int space_ms, ping_ms, timeout_ms;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = read_ms(&space_ms, c, CX_SETTING_KEEPALIVE_INTERVAL_MS, err)) != CX_OK ||
	    (st = read_ms(&ping_ms, c, CX_SETTING_PING_INTERVAL_MS, err)) != CX_OK ||
	    (st = read_ms(&timeout_ms, c, CX_SETTING_PING_TIMEOUT_MS, err)) != CX_OK)
		return st;
	ka = cx_client_ensure_data(c, &keepalive_key, ka_make, c, ka_data_free);
	if (ka == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	ka_stop_timers(ka);
	pthread_mutex_lock(&ka->lock);
	ka->space_ms = space_ms;
	ka->ping_ms = ping_ms;
	ka->timeout_ms = timeout_ms;
	if (ka->events == 0)
		ka->events = cx_client_on_event(c, on_event, ka, NULL);
	st = ka->events != 0 ? CX_OK : CX_ERR_NOMEM;
	pthread_mutex_unlock(&ka->lock);
	if (st != CX_OK)
		return cxi_error_set(err, st, "out of memory");
	if (cx_client_get_state(c) == CX_CLIENT_CONNECTED)
		ka_start_timers(c, ka);
	return CX_OK;
}

cx_status
cx_ping_keepalive_disable(cx_client *c, cx_error *err)
{
	keepalive *ka;
	cx_handler_id h;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	ka = cx_client_get_data(c, &keepalive_key);
	if (ka == NULL || ka->events == 0)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "keepalive not enabled");
	pthread_mutex_lock(&ka->lock);
	h = ka->events;
	ka->events = 0;
	ka->conn++; /* a pending ping's result is ignored */
	pthread_mutex_unlock(&ka->lock);
	cx_client_remove_handler(c, h);
	ka_stop_timers(ka);
	return CX_OK;
}

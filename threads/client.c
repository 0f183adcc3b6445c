/*
 * The client façade: one XMPP connection, a reader and a writer thread, and
 * the dispatch of what arrives.
 *
 * Design notes
 * ------------
 * Threads. cx_client_connect starts the reader thread, which resolves the
 * server, connects, creates the stream state machine (lib/stream) and then
 * loops: recv → cxi_stream_feed → events. The writer thread is started once
 * TCP is up; it sleeps until there is something to write, hands the queued
 * stanza bytes to the stream in one cxi_stream_send_raw (one TLS write for
 * everything queued) and writes the stream's output with the lock released.
 * TLS is shared between the two threads through memory BIOs: every call
 * into the stream (and so into OpenSSL) is made under c->lock, socket I/O
 * never is. tests under ThreadSanitizer exercise this.
 *
 * Replies. A call registers {id, to, future} in the pending table before
 * its bytes are queued. The reader resolves the future itself when a
 * matching reply arrives (same id, type result|error, and a `from` allowed
 * by RFC 6120 8.1.2/10.1): one lock, one wake-up, no pool hop. That is why
 * a handler, which runs on the pool, may block on a call of its own client.
 * A reply that matches an id but not the peer is dropped and logged. When a
 * future settles for another reason (timeout, cancel) its settle hook drops
 * the pending entry.
 *
 * Dispatch. Everything else goes into the client's serial queue: handlers
 * run in arrival order, one at a time, on whichever pool thread is free;
 * concurrent handlers get items of their own. The queue is bounded; when it
 * is full the reader stops reading (TCP back-pressure) — except while calls
 * are pending, when it may overfill up to twice the bound so that the
 * replies those calls wait for (maybe from inside a handler) can still be
 * read. Beyond that it waits; the calls' deadlines still fire on the timer
 * thread, so nothing waits forever.
 *
 * Endings. The reader thread tears the connection down whatever the cause
 * (our close, the peer's close, an error, EOF): it fails every pending call
 * with CX_ERR_DISCONNECTED at once, stops and joins the writer, closes the
 * socket and queues the disconnected event. cx_client_disconnect sends
 * </stream:stream>, waits (bounded) for the reader to finish, shuts the
 * socket down if the server did not answer, and joins the reader. No user
 * code ever runs on the reader or writer thread, so joining them is always
 * safe from user threads and from the pool.
 *
 * Lock order: c->lock → c->hlock is never taken; they are independent.
 * c->lock: connection state, stream, socket, send queue, pending table.
 * c->hlock: handlers and collectors. Neither is held while a future is
 * settled, a user callback runs, or the socket is read or written.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "cxmpp/client.h"
#include "cxmpp/jid.h"
#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/core/id.h"
#include "lib/core/log.h"
#include "lib/core/stanza.h"
#include "lib/core/xml.h"
#include "lib/net/dns.h"
#include "lib/net/tcp.h"
#include "lib/net/tls.h"
#include "lib/stream/sasl.h"
#include "lib/stream/stream.h"
#include "threads/future.h"
#include "threads/pool.h"
#include "threads/runtime.h"
#include "threads/timer.h"

#define SENDQ_MAX_BYTES (16u * 1024 * 1024)
#define READ_CHUNK 16384
#define DISCONNECT_WAIT_MAX_MS 5000

/* ---- pieces ------------------------------------------------------------ */

typedef struct pending {
	struct pending *next;
	char *id;
	cx_jid *to;           /* NULL: the request had no 'to' */
	char *to_str;
	cx_future *f;         /* the table's reference */
	cx_reply_parse_fn parse;  /* cx_client_call_async_map: runs on the reader */
	void *parse_arg;
	void (*arg_free)(void *);
	void (*value_free)(void *);
} pending;

enum hkind { H_MESSAGE, H_PRESENCE, H_IQ, H_EVENT };

typedef struct handler {
	struct handler *next;
	cx_handler_id id;
	enum hkind kind;
	char *iq_type, *ns, *name;
	cx_stanza_handler fn;
	cx_client_event_fn efn;
	void *arg;
	void (*arg_free)(void *);
	unsigned flags;
	unsigned running;     /* calls in progress, protected by hlock */
	bool removed;
	bool orphan;          /* unlinked while running: the last call frees it */
} handler;

struct cx_collector {
	struct cx_collector *next; /* in c->collectors, protected by hlock */
	cx_client *c;
	cx_stanza_kind kind;
	char *type, *child_ns, *child_name;
	cx_jid *from;
	xmlXPathCompExprPtr xpath;
	char **prefixes;      /* p1, uri1, p2, uri2, ..., NULL */
	pthread_mutex_t lock; /* the queue below */
	pthread_cond_t cv;
	cx_stanza **ring;
	size_t cap, head, len, dropped;
	bool ended;           /* the connection ended */
};

typedef struct ext_data {
	struct ext_data *next;
	const void *key;
	void *data;
	void (*data_free)(void *);
} ext_data;

struct conncfg {
	char *jid, *password, *authzid, *host, *lang, *nameserver;
	char *ca_file, *ca_dir, *cert_file, *key_file;
	char **pins;
	size_t npins;
	int port, min_version;
	cxi_tls_mode tls_mode;
	bool insecure_skip_verify, insecure_plain_auth, initial_presence;
	unsigned sasl_allowed, sasl_max_iterations;
	int connect_timeout_ms, dns_timeout_ms;
	cxi_xml_limits limits;
};

struct cx_client {
	cx_settings *settings;
	cx_runtime *rt;
	cxi_logger log;
	int timeout_ms;       /* default call timeout, read at connect */
	size_t queue_max;

	pthread_mutex_t lock;
	pthread_cond_t cv;    /* writer wake-ups and reader_done */
	cx_client_state state;            /* protected by lock */
	int fd;                           /* protected by lock */
	cxi_stream *stream;               /* protected by lock */
	cxi_tls_ctx *tls_ctx;             /* protected by lock */
	cxi_buf sendq;                    /* protected by lock */
	bool writer_stop;                 /* protected by lock */
	bool writer_idle;                 /* protected by lock: waiting on cv */
	bool reader_done;                 /* protected by lock */
	bool have_reader, have_writer;    /* protected by lock */
	bool closing;                     /* cx_client_disconnect under way */
	pthread_t reader, writer;
	cx_future *connect_future;        /* protected by lock */
	char *bound_jid;                  /* protected by lock */
	cx_jid *bound;                    /* protected by lock */
	char *mechanism;                  /* protected by lock */
	pending **buckets;                /* protected by lock */
	size_t nbuckets, npending;
	unsigned nhooks;                  /* settle hooks not yet finished,
	                                     protected by lock */
	struct conncfg cfg;               /* owned by the reader while connecting */
	/* events stashed by the stream callback (called under lock) */
	cxi_stream_event_type *ev_types;
	xmlNodePtr *ev_nodes;
	size_t nev, capev;
	char *ev_jid;
	cx_error ev_error;
	bool ev_failed;
	cx_error abort_reason;            /* protected by lock; set by abort */
	bool aborted;                     /* protected by lock */
	ext_data *ext;                    /* protected by hlock */
	/* cxi_now_ms() of the last recv that returned bytes and of the last
	 * complete write: each written by one thread (reader, writer) with a
	 * relaxed atomic store, so the hot paths take no extra lock; read by
	 * cx_client_get_idle_ms / cx_client_get_send_idle_ms. */
	_Atomic int64_t last_recv_ms;
	_Atomic int64_t last_send_ms;

	pthread_mutex_t hlock;
	pthread_cond_t hcv;                /* a handler finished running */
	handler *handlers;                 /* protected by hlock */
	cx_collector *collectors;          /* protected by hlock */
	cx_handler_id next_id;             /* protected by hlock */
	cxi_serialq *dispatch;
};

static _Thread_local const handler *tl_running_handler;

static char *
xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* ---- TLS contexts: one per distinct configuration, process-wide ------- */

typedef struct tls_cache_entry {
	struct tls_cache_entry *next;
	char *key;
	cxi_tls_ctx *ctx;
} tls_cache_entry;

static pthread_mutex_t tls_cache_lock = PTHREAD_MUTEX_INITIALIZER;
static tls_cache_entry *tls_cache;

static cx_status
tls_ctx_get(cxi_tls_ctx **out, const struct conncfg *k, cx_error *err)
{
	cxi_buf key = CXI_BUF_INIT;
	tls_cache_entry *e;
	cxi_tls_config tc;
	cx_status st;
	size_t i;

	cxi_buf_printf(&key, "%s|%s|%s|%s|%d|%d", k->ca_file ? k->ca_file : "",
		       k->ca_dir ? k->ca_dir : "", k->cert_file ? k->cert_file : "",
		       k->key_file ? k->key_file : "", k->insecure_skip_verify,
		       k->min_version);
	for (i = 0; i < k->npins; i++)
		cxi_buf_printf(&key, "|%s", k->pins[i]);
	if (cxi_buf_append(&key, "", 1) != CX_OK) {
		cxi_buf_free(&key);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&tls_cache_lock);
	for (e = tls_cache; e; e = e->next) {
		if (strcmp(e->key, (const char *)cxi_buf_head(&key)) == 0) {
			cxi_tls_ctx_ref(e->ctx);
			*out = e->ctx;
			pthread_mutex_unlock(&tls_cache_lock);
			cxi_buf_free(&key);
			return CX_OK;
		}
	}
	memset(&tc, 0, sizeof(tc));
	tc.ca_file = k->ca_file;
	tc.ca_dir = k->ca_dir;
	tc.pins = (const char *const *)k->pins;
	tc.npins = k->npins;
	tc.insecure_skip_verify = k->insecure_skip_verify;
	tc.cert_file = k->cert_file;
	tc.key_file = k->key_file;
	tc.min_version = k->min_version;
	st = cxi_tls_ctx_new(out, &tc, err);
	if (st == CX_OK) {
		e = calloc(1, sizeof(*e));
		if (e != NULL) {
			e->key = cxi_buf_strdup(&key);
			if (e->key == NULL) {
				free(e);
			} else {
				e->ctx = *out;
				cxi_tls_ctx_ref(e->ctx);
				e->next = tls_cache;
				tls_cache = e;
			}
		}
	}
	pthread_mutex_unlock(&tls_cache_lock);
	cxi_buf_free(&key);
	return st;
}

/* ---- configuration from settings ---------------------------------------- */

static void
conncfg_clear(struct conncfg *k)
{
	free(k->jid);
	if (k->password) {
		explicit_bzero(k->password, strlen(k->password));
		free(k->password);
	}
	free(k->authzid);
	free(k->host);
	free(k->lang);
	free(k->nameserver);
	free(k->ca_file);
	free(k->ca_dir);
	free(k->cert_file);
	free(k->key_file);
	free(k->pins);
	memset(k, 0, sizeof(*k));
}

static cx_status
get_str(char **out, cx_settings *s, const char *key, cx_error *err)
{
	return cx_settings_get_string(out, s, key, err);
}

static cx_status
get_int(int *out, cx_settings *s, const char *key, cx_error *err)
{
	int64_t v = 0;
	cx_status st = cx_settings_get_int(&v, s, key, err);

	if (st == CX_OK)
		*out = v > INT32_MAX ? INT32_MAX : (int)v;
	return st;
}

static cx_status
conncfg_load(struct conncfg *k, cx_settings *s, cx_error *err)
{
	char *tls = NULL, *minv = NULL, *resource = NULL, **mechs = NULL;
	int64_t lim;
	bool b;
	cx_status st;
	size_t i, n = 0;

	memset(k, 0, sizeof(*k));
#define TRY(x) do { if ((st = (x)) != CX_OK) goto out; } while (0)
	TRY(get_str(&k->jid, s, CX_SETTING_JID, err));
	if (k->jid == NULL) {
		st = cxi_error_set(err, CX_ERR_INVALID, "no JID set (%s)",
				   CX_SETTING_JID);
		goto out;
	}
	TRY(get_str(&resource, s, CX_SETTING_RESOURCE, err));
	if (resource != NULL && strchr(k->jid, '/') == NULL) {
		char *full = malloc(strlen(k->jid) + strlen(resource) + 2);
		if (full == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto out;
		}
		sprintf(full, "%s/%s", k->jid, resource);
		free(k->jid);
		k->jid = full;
	}
	TRY(get_str(&k->password, s, CX_SETTING_PASSWORD, err));
	TRY(get_str(&k->authzid, s, CX_SETTING_AUTHZID, err));
	TRY(get_str(&k->host, s, CX_SETTING_HOST, err));
	TRY(get_int(&k->port, s, CX_SETTING_PORT, err));
	TRY(get_str(&k->lang, s, CX_SETTING_LANG, err));
	TRY(get_str(&k->nameserver, s, CX_SETTING_DNS_NAMESERVER, err));
	TRY(get_int(&k->dns_timeout_ms, s, CX_SETTING_DNS_TIMEOUT_MS, err));
	TRY(get_str(&k->ca_file, s, CX_SETTING_TLS_CA_FILE, err));
	TRY(get_str(&k->ca_dir, s, CX_SETTING_TLS_CA_DIR, err));
	TRY(get_str(&k->cert_file, s, CX_SETTING_TLS_CERT_FILE, err));
	TRY(get_str(&k->key_file, s, CX_SETTING_TLS_KEY_FILE, err));
	TRY(cx_settings_get_list(&k->pins, &k->npins, s, CX_SETTING_TLS_PINS, err));
	TRY(cx_settings_get_bool(&b, s, CX_SETTING_TLS_INSECURE_SKIP_VERIFY, err));
	k->insecure_skip_verify = b;
	TRY(cx_settings_get_bool(&b, s, CX_SETTING_SASL_INSECURE_ALLOW_PLAIN_AUTH, err));
	k->insecure_plain_auth = b;
	TRY(cx_settings_get_bool(&b, s, CX_SETTING_PRESENCE_INITIAL, err));
	k->initial_presence = b;
	TRY(get_str(&minv, s, CX_SETTING_TLS_MIN_VERSION, err));
	k->min_version = (minv && strcmp(minv, "1.3") == 0) ? 0x0304 : 0x0303;
	TRY(get_str(&tls, s, CX_SETTING_TLS, err));
	if (tls == NULL || strcmp(tls, "starttls") == 0)
		k->tls_mode = CXI_TLS_STARTTLS;
	else if (strcmp(tls, "direct") == 0)
		k->tls_mode = CXI_TLS_DIRECT;
	else if (strcmp(tls, "insecure-none") == 0)
		k->tls_mode = CXI_TLS_INSECURE_NONE;
	else if (strcmp(tls, "insecure-optional") == 0)
		k->tls_mode = CXI_TLS_INSECURE_OPTIONAL;
	else {
		st = cxi_error_set(err, CX_ERR_SETTING, "tls: unknown mode '%s'", tls);
		goto out;
	}
	TRY(cx_settings_get_list(&mechs, &n, s, CX_SETTING_SASL_MECHANISMS, err));
	for (i = 0; i < n; i++) {
		unsigned bit = cxi_sasl_mech_bit(mechs[i]);
		if (bit == 0) {
			st = cxi_error_set(err, CX_ERR_SETTING,
					   "sasl.mechanisms: unknown mechanism '%s'",
					   mechs[i]);
			goto out;
		}
		k->sasl_allowed |= bit;
	}
	if (k->sasl_allowed == 0) {
		st = cxi_error_set(err, CX_ERR_SETTING,
				   "sasl.mechanisms: the list is empty");
		goto out;
	}
	TRY(get_int((int *)&k->sasl_max_iterations, s,
		    CX_SETTING_SASL_MAX_ITERATIONS, err));
	TRY(get_int(&k->connect_timeout_ms, s, CX_SETTING_CONNECT_TIMEOUT_MS, err));
	TRY(cx_settings_get_int(&lim, s, CX_SETTING_LIMITS_MAX_STANZA_BYTES, err));
	k->limits.max_stanza_bytes = (size_t)lim;
	TRY(cx_settings_get_int(&lim, s, CX_SETTING_LIMITS_MAX_DEPTH, err));
	k->limits.max_depth = (unsigned)lim;
	TRY(cx_settings_get_int(&lim, s, CX_SETTING_LIMITS_MAX_ATTRS, err));
	k->limits.max_attrs = (unsigned)lim;
	TRY(cx_settings_get_int(&lim, s, CX_SETTING_LIMITS_MAX_CHILDREN, err));
	k->limits.max_children = (unsigned)lim;
#undef TRY
	st = CX_OK;
out:
	free(tls);
	free(minv);
	free(resource);
	cx_free(mechs);
	if (st != CX_OK)
		conncfg_clear(k);
	return st;
}

/* ---- pending calls (protected by c->lock) ------------------------------- */

static size_t
hash_id(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static void
pending_free(pending *p)
{
	if (p->arg_free)
		p->arg_free(p->parse_arg);
	free(p->id);
	free(p->to_str);
	cx_jid_free(p->to);
	cx_future_unref(p->f);
	free(p);
}

static cx_status
pending_insert(cx_client *c, pending *p)
{
	size_t b;
	pending *q;

	if (c->npending + 1 > c->nbuckets * 2) {
		size_t nb = c->nbuckets ? c->nbuckets * 4 : 64, i;
		pending **nbk = calloc(nb, sizeof(*nbk));

		if (nbk == NULL)
			return CX_ERR_NOMEM;
		for (i = 0; i < c->nbuckets; i++) {
			while ((q = c->buckets[i]) != NULL) {
				c->buckets[i] = q->next;
				b = hash_id(q->id) & (nb - 1);
				q->next = nbk[b];
				nbk[b] = q;
			}
		}
		free(c->buckets);
		c->buckets = nbk;
		c->nbuckets = nb;
	}
	b = hash_id(p->id) & (c->nbuckets - 1);
	for (q = c->buckets[b]; q; q = q->next)
		if (strcmp(q->id, p->id) == 0)
			return CX_ERR_INVALID;
	p->next = c->buckets[b];
	c->buckets[b] = p;
	c->npending++;
	return CX_OK;
}

/* Unlinks and returns the entry with `id` (and, if f != NULL, that future). */
static pending *
pending_take(cx_client *c, const char *id, const cx_future *f)
{
	pending **pp;

	if (c->nbuckets == 0 || id == NULL)
		return NULL;
	for (pp = &c->buckets[hash_id(id) & (c->nbuckets - 1)]; *pp;
	     pp = &(*pp)->next) {
		pending *p = *pp;
		if (strcmp(p->id, id) == 0 && (f == NULL || p->f == f)) {
			*pp = p->next;
			c->npending--;
			return p;
		}
	}
	return NULL;
}

/* Unlinks every entry; returns them as one list. */
static pending *
pending_take_all(cx_client *c)
{
	pending *all = NULL, *p;
	size_t i;

	for (i = 0; i < c->nbuckets; i++) {
		while ((p = c->buckets[i]) != NULL) {
			c->buckets[i] = p->next;
			p->next = all;
			all = p;
		}
	}
	c->npending = 0;
	return all;
}

/* ---- handlers and dispatch ---------------------------------------------- */

static void
handler_free(handler *h)
{
	if (h->arg_free)
		h->arg_free(h->arg);
	free(h->iq_type);
	free(h->ns);
	free(h->name);
	free(h);
}

static bool
handler_matches(const handler *h, cx_stanza *s)
{
	cx_stanza_kind k = cx_stanza_get_kind(s);
	const char *type;
	xmlNodePtr payload;

	if (h->removed)
		return false;
	switch (h->kind) {
	case H_MESSAGE:
		return k == CX_STANZA_MESSAGE;
	case H_PRESENCE:
		return k == CX_STANZA_PRESENCE;
	case H_IQ:
		if (k != CX_STANZA_IQ)
			return false;
		type = cx_stanza_get_type(s);
		if (type == NULL ||
		    (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
			return false;
		if (h->iq_type && strcmp(h->iq_type, type) != 0)
			return false;
		if (h->ns == NULL && h->name == NULL)
			return true;
		payload = cx_stanza_payload(s);
		if (payload == NULL)
			return false;
		if (h->name && strcmp((const char *)payload->name, h->name) != 0)
			return false;
		if (h->ns && (payload->ns == NULL ||
			      strcmp((const char *)payload->ns->href, h->ns) != 0))
			return false;
		return true;
	case H_EVENT:
		return false;
	}
	return false;
}

/* Call with hlock held: the handler finished one call. Returns true when
 * the caller must free it (it removed itself while running). */
static bool
handler_release_locked(cx_client *c, handler *h)
{
	h->running--;
	if (h->removed && h->running == 0) {
		pthread_cond_broadcast(&c->hcv);
		return h->orphan;
	}
	return false;
}

static void
handler_release(cx_client *c, handler *h)
{
	bool free_it;

	pthread_mutex_lock(&c->hlock);
	free_it = handler_release_locked(c, h);
	pthread_mutex_unlock(&c->hlock);
	if (free_it)
		handler_free(h);
}

struct dispatch_item {
	cx_client *c;
	cx_stanza *stanza;       /* or NULL for an event */
	handler *only;           /* a concurrent item: just this handler */
	bool has_concurrent;     /* serial item of an iq that a concurrent
	                            handler also took */
	cx_client_event event;
	cx_error error;
};

static void
dispatch_item_free(void *arg)
{
	struct dispatch_item *it = arg;

	if (it->stanza)
		cx_stanza_unref(it->stanza);
	if (it->only)
		handler_release(it->c, it->only);
	free(it);
}

static void
reply_unhandled(cx_client *c, cx_stanza *s)
{
	cx_stanza *reply = NULL;
	cx_error err = CX_ERROR_INIT;

	if (cx_stanza_new_error_reply(&reply, s, "service-unavailable", NULL,
				      NULL, &err) != CX_OK)
		return;
	if (cx_client_send(c, reply, &err) != CX_OK)
		cxi_log(&c->log, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"could not answer an unhandled iq: %s", err.message);
	cx_stanza_unref(reply);
}

static void
run_one(cx_client *c, handler *h, struct dispatch_item *it, bool *consumed)
{
	const handler *prev = tl_running_handler;

	tl_running_handler = h;
	if (it->stanza) {
		if (h->fn(h->arg, c, it->stanza) == CX_HANDLER_CONSUMED)
			*consumed = true;
	} else {
		h->efn(h->arg, c, it->event,
		       it->event == CX_EVENT_CONNECTED ? NULL : &it->error);
	}
	tl_running_handler = prev;
}

static void
dispatch_run(void *arg)
{
	struct dispatch_item *it = arg;
	cx_client *c = it->c;
	handler *h;
	bool consumed = false;
	cx_handler_id last = 0;

	if (it->only) {
		run_one(c, it->only, it, &consumed);
		return;
	}
	/* Walk the list in registration order, one handler at a time, without
	 * holding hlock while a handler runs. Ids only grow, so "the next
	 * handler after `last`" is well defined even if the list changes. */
	for (;;) {
		pthread_mutex_lock(&c->hlock);
		for (h = c->handlers; h; h = h->next) {
			if (h->id <= last || (h->flags & CX_HANDLER_CONCURRENT) ||
			    h->removed)
				continue;
			if (it->stanza ? handler_matches(h, it->stanza)
				       : h->kind == H_EVENT)
				break;
		}
		if (h == NULL) {
			pthread_mutex_unlock(&c->hlock);
			break;
		}
		h->running++;
		last = h->id;
		pthread_mutex_unlock(&c->hlock);
		run_one(c, h, it, &consumed);
		handler_release(c, h);
		if (consumed)
			break;
	}
	if (it->stanza && !consumed && !it->has_concurrent &&
	    cx_stanza_get_kind(it->stanza) == CX_STANZA_IQ) {
		const char *type = cx_stanza_get_type(it->stanza);
		if (type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0))
			reply_unhandled(c, it->stanza);
	}
}

/* Handlers are appended, so the list is in registration (= id) order. */
static cx_handler_id
handler_add(cx_client *c, handler *h)
{
	handler **pp;

	pthread_mutex_lock(&c->hlock);
	h->id = ++c->next_id;
	for (pp = &c->handlers; *pp; pp = &(*pp)->next)
		;
	*pp = h;
	pthread_mutex_unlock(&c->hlock);
	return h->id;
}

/*
 * Queues a stanza for the handlers (reader thread). Returns false when the
 * queue refused it for good (closed).
 */
static bool
dispatch_stanza(cx_client *c, cx_stanza *s)
{
	struct dispatch_item *it;
	handler *h;
	cx_status st;
	bool has_concurrent = false;

	/* concurrent handlers: an item each, in parallel */
	pthread_mutex_lock(&c->hlock);
	for (h = c->handlers; h; h = h->next) {
		if (!(h->flags & CX_HANDLER_CONCURRENT) || !handler_matches(h, s))
			continue;
		it = calloc(1, sizeof(*it));
		if (it == NULL)
			continue;
		it->c = c;
		it->stanza = cx_stanza_ref(s);
		it->only = h;
		h->running++;
		has_concurrent = true;
		if (cxi_serialq_push(c->dispatch, dispatch_run, it,
				     dispatch_item_free,
				     CXI_SERIALQ_CONCURRENT | CXI_SERIALQ_NOLIMIT) != CX_OK) {
			h->running--;
			cx_stanza_unref(it->stanza);
			free(it);
		}
	}
	pthread_mutex_unlock(&c->hlock);

	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return true;
	it->c = c;
	it->stanza = cx_stanza_ref(s);
	it->has_concurrent = has_concurrent;
	for (;;) {
		unsigned flags = 0;
		size_t npending;

		pthread_mutex_lock(&c->lock);
		npending = c->npending;
		pthread_mutex_unlock(&c->lock);
		if (npending > 0 && c->queue_max > 0 &&
		    cxi_serialq_length(c->dispatch) < 2 * c->queue_max)
			flags |= CXI_SERIALQ_NOLIMIT;
		st = cxi_serialq_push(c->dispatch, dispatch_run, it,
				      dispatch_item_free, flags);
		if (st == CX_OK)
			return true;
		if (st != CX_ERR_FULL)
			break;
		/* Back-pressure: stop reading until a handler finishes. */
		cxi_log(&c->log, CX_LOG_DEBUG, CX_LOG_CAT_POOL,
			"dispatch queue full: pausing reads");
		st = cxi_serialq_wait_room(c->dispatch, 1000);
		if (st != CX_OK && st != CX_ERR_TIMEOUT)
			break;
	}
	cx_stanza_unref(it->stanza);
	free(it);
	return false;
}

static void
dispatch_event(cx_client *c, cx_client_event ev, const cx_error *err)
{
	struct dispatch_item *it = calloc(1, sizeof(*it));

	if (it == NULL)
		return;
	it->c = c;
	it->event = ev;
	cxi_error_copy(&it->error, err);
	if (cxi_serialq_push(c->dispatch, dispatch_run, it, dispatch_item_free,
			     CXI_SERIALQ_NOLIMIT) != CX_OK)
		free(it);
}

/* ---- collectors ---------------------------------------------------------- */

static bool
collector_matches(cx_collector *k, cx_stanza *s)
{
	const char *v;

	if (k->kind != CX_STANZA_OTHER && cx_stanza_get_kind(s) != k->kind)
		return false;
	if (k->type) {
		v = cx_stanza_get_type(s);
		/* absent type on a message means "normal" (RFC 6121 5.2.2) */
		if (v == NULL && cx_stanza_get_kind(s) == CX_STANZA_MESSAGE)
			v = "normal";
		if (v == NULL || strcmp(v, k->type) != 0)
			return false;
	}
	if (k->from) {
		cx_jid *from = NULL;
		bool ok;

		v = cx_stanza_get_from(s);
		if (v == NULL || cx_jid_parse(&from, v, NULL) != CX_OK)
			return false;
		ok = cx_jid_is_bare(k->from) ? cx_jid_equal_bare(k->from, from)
					     : cx_jid_equal(k->from, from);
		cx_jid_free(from);
		if (!ok)
			return false;
	}
	if (k->child_ns || k->child_name) {
		xmlNodePtr n;

		for (n = cx_stanza_node(s)->children; n; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			if (k->child_name && strcmp((const char *)n->name, k->child_name) != 0)
				continue;
			if (k->child_ns && (n->ns == NULL ||
					    strcmp((const char *)n->ns->href, k->child_ns) != 0))
				continue;
			break;
		}
		if (n == NULL)
			return false;
	}
	if (k->xpath) {
		xmlNodePtr root = cx_stanza_node(s);
		xmlXPathContextPtr ctx = xmlXPathNewContext(root->doc);
		xmlXPathObjectPtr res = NULL;
		bool ok = false;
		size_t i;

		if (ctx == NULL)
			return false;
		ctx->node = root;
		xmlXPathRegisterNs(ctx, BAD_CAST "c", BAD_CAST CXI_NS_CLIENT);
		for (i = 0; k->prefixes && k->prefixes[i] && k->prefixes[i + 1]; i += 2)
			xmlXPathRegisterNs(ctx, BAD_CAST k->prefixes[i],
					   BAD_CAST k->prefixes[i + 1]);
		res = xmlXPathCompiledEval(k->xpath, ctx);
		if (res != NULL)
			ok = xmlXPathCastToBoolean(res) != 0;
		xmlXPathFreeObject(res);
		xmlXPathFreeContext(ctx);
		if (!ok)
			return false;
	}
	return true;
}

static void
collector_push(cx_collector *k, cx_stanza *s)
{
	pthread_mutex_lock(&k->lock);
	if (k->len == k->cap) {
		cx_stanza_unref(k->ring[k->head]);
		k->head = (k->head + 1) % k->cap;
		k->len--;
		k->dropped++;
	}
	k->ring[(k->head + k->len) % k->cap] = cx_stanza_ref(s);
	k->len++;
	pthread_cond_broadcast(&k->cv);
	pthread_mutex_unlock(&k->lock);
}

static void
collectors_offer(cx_client *c, cx_stanza *s)
{
	cx_collector *k;

	pthread_mutex_lock(&c->hlock);
	for (k = c->collectors; k; k = k->next)
		if (collector_matches(k, s))
			collector_push(k, s);
	pthread_mutex_unlock(&c->hlock);
}

static void
collectors_set_ended(cx_client *c, bool ended)
{
	cx_collector *k;

	pthread_mutex_lock(&c->hlock);
	for (k = c->collectors; k; k = k->next) {
		pthread_mutex_lock(&k->lock);
		k->ended = ended;
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->lock);
	}
	pthread_mutex_unlock(&c->hlock);
}

/* ---- replies -------------------------------------------------------------- */

static void
stanza_value_free(void *v)
{
	cx_stanza_unref(v);
}

/* Whether `from` may answer a request sent to `p->to` (RFC 6120 8.1.2.1,
 * 10.1). Call with c->lock held (reads c->bound). */
static bool
reply_from_ok(cx_client *c, const pending *p, const char *from)
{
	cx_jid *fj = NULL;
	bool ok = false;

	if (p->to == NULL) {
		if (from == NULL)
			return true;
		if (cx_jid_parse(&fj, from, NULL) != CX_OK)
			return false;
		if (c->bound != NULL)
			ok = cx_jid_equal(fj, c->bound) ||
			     (cx_jid_is_bare(fj) && cx_jid_equal_bare(fj, c->bound)) ||
			     (cx_jid_local(fj) == NULL && cx_jid_resource(fj) == NULL &&
			      strcmp(cx_jid_domain(fj), cx_jid_domain(c->bound)) == 0);
		cx_jid_free(fj);
		return ok;
	}
	if (from == NULL) {
		/* A server answering for our own account may omit 'from'
		 * (RFC 6120 10.3.3): only when we wrote to our bare JID. */
		return c->bound != NULL && cx_jid_is_bare(p->to) &&
		       cx_jid_equal_bare(p->to, c->bound);
	}
	if (p->to_str && strcmp(from, p->to_str) == 0)
		return true;
	if (cx_jid_parse(&fj, from, NULL) != CX_OK)
		return false;
	ok = cx_jid_equal(fj, p->to);
	cx_jid_free(fj);
	return ok;
}

/* Reader thread: returns true if `s` was a reply to a pending call. */
static bool
try_resolve_reply(cx_client *c, cx_stanza *s)
{
	const char *type = cx_stanza_get_type(s), *id = cx_stanza_get_id(s);
	pending *p;
	size_t b;
	bool from_ok = false;
	char went_to[256];

	if (cx_stanza_get_kind(s) != CX_STANZA_IQ || type == NULL || id == NULL)
		return false;
	if (strcmp(type, "result") != 0 && strcmp(type, "error") != 0)
		return false;
	pthread_mutex_lock(&c->lock);
	p = NULL;
	if (c->nbuckets > 0) {
		b = hash_id(id) & (c->nbuckets - 1);
		for (p = c->buckets[b]; p; p = p->next)
			if (strcmp(p->id, id) == 0)
				break;
	}
	if (p != NULL) {
		from_ok = reply_from_ok(c, p, cx_stanza_get_from(s));
		if (from_ok) {
			p = pending_take(c, id, NULL);
		} else {
			/* p stays in the table, where its deadline may free it
			 * as soon as the lock is released: copy what the log
			 * line needs now. */
			cxi_strlcpy(went_to, p->to_str ? p->to_str : "(our server)",
				    sizeof(went_to));
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (p == NULL) {
		cxi_log(&c->log, CX_LOG_INFO, CX_LOG_CAT_API,
			"dropped an iq %s with id '%s' that answers no pending call",
			type, id);
		return true;
	}
	if (!from_ok) {
		cxi_log(&c->log, CX_LOG_WARN, CX_LOG_CAT_API,
			"dropped a forged reply: id '%s' from '%s', but the request went to '%s'",
			id, cx_stanza_get_from(s) ? cx_stanza_get_from(s) : "(none)",
			went_to);
		return true;
	}
	if (strcmp(type, "result") == 0 && p->parse != NULL) {
		/* Parsed here, on the reader thread, so that the future's value
		 * is the caller's type and no pool thread settles anything. */
		cx_error perr = CX_ERROR_INIT;
		void *v = NULL;
		cx_status pst = p->parse(&v, s, p->parse_arg, &perr);

		/* The argument is done with: release it before the waiters
		 * wake, so that they may count on it. */
		if (p->arg_free) {
			p->arg_free(p->parse_arg);
			p->arg_free = NULL;
		}
		if (pst == CX_OK) {
			cxi_future_resolve(p->f, v, p->value_free);
		} else {
			if (perr.status == CX_OK || perr.message[0] == '\0')
				cxi_error_set(&perr, pst, "could not parse the reply: %s",
					      cx_strerror(pst));
			perr.status = pst;
			cxi_future_fail_with_value(p->f, &perr, cx_stanza_ref(s),
						   stanza_value_free);
		}
	} else if (strcmp(type, "result") == 0) {
		cxi_future_resolve(p->f, cx_stanza_ref(s), stanza_value_free);
	} else {
		if (p->arg_free) {
			p->arg_free(p->parse_arg);
			p->arg_free = NULL;
		}
		cx_error err = CX_ERROR_INIT;

		cx_stanza_get_error(s, &err);
		if (err.status == CX_OK || err.status == CX_ERR_NOT_FOUND)
			cxi_error_set(&err, CX_ERR_STANZA_ERROR,
				      "the peer answered with an error");
		err.status = CX_ERR_STANZA_ERROR;
		/* The error stanza stays available as the future's value:
		 * resolve would mark it done, so fail first and attach the
		 * value through the error path's value slot. */
		cxi_future_fail_with_value(p->f, &err, cx_stanza_ref(s),
					   stanza_value_free);
	}
	pending_free(p);
	return true;
}

/* ---- the stream's event callback (called under c->lock) ----------------- */

static void
on_stream_event(void *arg, const cxi_stream_event *ev)
{
	cx_client *c = arg;

	if (c->nev == c->capev) {
		size_t cap = c->capev ? c->capev * 2 : 16;
		cxi_stream_event_type *t = realloc(c->ev_types, cap * sizeof(*t));
		xmlNodePtr *n;

		if (t == NULL)
			goto nomem;
		c->ev_types = t;
		n = realloc(c->ev_nodes, cap * sizeof(*n));
		if (n == NULL)
			goto nomem;
		c->ev_nodes = n;
		c->capev = cap;
	}
	c->ev_types[c->nev] = ev->type;
	c->ev_nodes[c->nev] = ev->type == CXI_STREAM_EV_STANZA ? ev->stanza : NULL;
	c->nev++;
	if (ev->type == CXI_STREAM_EV_READY) {
		free(c->ev_jid);
		c->ev_jid = xstrdup(ev->jid);
	} else if (ev->type == CXI_STREAM_EV_ERROR) {
		cxi_error_copy(&c->ev_error, ev->error);
		c->ev_failed = true;
	}
	return;
nomem:
	/* Losing a stanza silently is not an option: fail the connection. */
	if (ev->type == CXI_STREAM_EV_STANZA && ev->stanza)
		xmlFreeDoc(ev->stanza->doc);
	cxi_error_set(&c->ev_error, CX_ERR_NOMEM, "out of memory queueing events");
	c->ev_failed = true;
}

/* ---- the writer thread ------------------------------------------------------ */

static cx_status
write_all(int fd, const uint8_t *p, size_t n, cx_error *err)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return cxi_error_set_errno(err, CX_ERR_IO, errno,
						   "write to the server failed");
		}
		p += w;
		n -= (size_t)w;
	}
	return CX_OK;
}

/* Call with c->lock held: give queued stanza bytes to the stream. */
static void
flush_sendq_locked(cx_client *c)
{
	cx_error err = CX_ERROR_INIT;

	if (cxi_buf_size(&c->sendq) == 0 || c->stream == NULL ||
	    cxi_stream_get_state(c->stream) != CXI_STREAM_READY)
		return;
	if (cxi_stream_send_raw(c->stream, cxi_buf_head(&c->sendq),
				cxi_buf_size(&c->sendq), &err) != CX_OK)
		cxi_log(&c->log, CX_LOG_WARN, CX_LOG_CAT_STREAM,
			"could not send queued stanzas: %s", err.message);
	cxi_buf_reset(&c->sendq);
}

static void *
writer_main(void *arg)
{
	cx_client *c = arg;
	cxi_buf out = CXI_BUF_INIT;
	cx_error err = CX_ERROR_INIT;
	int fd;

	pthread_mutex_lock(&c->lock);
	fd = c->fd;
	for (;;) {
		while (!c->writer_stop && cxi_buf_size(&c->sendq) == 0 &&
		       !cxi_stream_has_output(c->stream)) {
			c->writer_idle = true;
			pthread_cond_wait(&c->cv, &c->lock);
			c->writer_idle = false;
		}
		flush_sendq_locked(c);
		cxi_stream_output(c->stream, &out);
		if (cxi_buf_size(&out) == 0) {
			if (c->writer_stop)
				break;
			/* sendq held bytes that could not go yet (not ready) */
			cxi_buf_reset(&c->sendq);
			continue;
		}
		pthread_mutex_unlock(&c->lock);
		if (write_all(fd, cxi_buf_head(&out), cxi_buf_size(&out), &err) != CX_OK) {
			cxi_log(&c->log, CX_LOG_INFO, CX_LOG_CAT_NET, "%s",
				err.message);
			/* Let the reader see the end and tear down. */
			shutdown(fd, SHUT_RDWR);
			pthread_mutex_lock(&c->lock);
			while (!c->writer_stop)
				pthread_cond_wait(&c->cv, &c->lock);
			break;
		}
		atomic_store_explicit(&c->last_send_ms, cxi_now_ms(),
				      memory_order_relaxed);
		cxi_buf_reset(&out);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	cxi_buf_free(&out);
	return NULL;
}

/* ---- the reader thread ------------------------------------------------------ */

static void
settle_connect(cx_client *c, const cx_error *err)
{
	cx_future *f;

	pthread_mutex_lock(&c->lock);
	f = c->connect_future;
	c->connect_future = NULL;
	pthread_mutex_unlock(&c->lock);
	if (f == NULL)
		return;
	if (err == NULL)
		cxi_future_resolve(f, NULL, NULL);
	else
		cxi_future_fail(f, err);
	cx_future_unref(f);
}

/* Resolves the server and connects TCP. */
static cx_status
establish_tcp(cx_client *c, int *fd, cx_error *err)
{
	struct conncfg *k = &c->cfg;
	cxi_dns_options dopt;
	cxi_srv_target *targets = NULL, one;
	size_t ntargets = 0, i;
	cx_jid *jid = NULL;
	cx_status st, last = CX_ERR_CONNECT;

	memset(&dopt, 0, sizeof(dopt));
	dopt.nameserver = k->nameserver;
	dopt.timeout_ms = k->dns_timeout_ms;
	dopt.log = &c->log;
	if ((st = cx_jid_parse(&jid, k->jid, err)) != CX_OK)
		return st;
	if (k->host != NULL) {
		memset(&one, 0, sizeof(one));
		cxi_strlcpy(one.host, k->host, sizeof(one.host));
		one.port = k->port > 0 ? (uint16_t)k->port
				       : (k->tls_mode == CXI_TLS_DIRECT ? 5223 : 5222);
		one.direct_tls = k->tls_mode == CXI_TLS_DIRECT;
		targets = &one;
		ntargets = 1;
	} else {
		st = cxi_dns_lookup_xmpp(&targets, &ntargets, cx_jid_domain(jid),
					 &dopt, err);
		if (st != CX_OK)
			goto out;
	}
	for (i = 0; i < ntargets; i++) {
		struct sockaddr_storage *addrs = NULL;
		size_t naddrs = 0;

		if (k->host == NULL && k->port > 0)
			targets[i].port = (uint16_t)k->port;
		st = cxi_dns_resolve_addrs(&addrs, &naddrs, targets[i].host,
					   targets[i].port, &dopt, err);
		if (st != CX_OK) {
			last = st;
			continue;
		}
		st = cxi_tcp_connect(fd, addrs, naddrs, k->connect_timeout_ms,
				     &c->log, err);
		free(addrs);
		if (st == CX_OK) {
			/* An SRV target decides between direct TLS and STARTTLS,
			 * unless the settings asked for plaintext. */
			if (k->host == NULL && targets[i].direct_tls)
				k->tls_mode = CXI_TLS_DIRECT;
			goto out;
		}
		last = st;
	}
	st = last;
out:
	if (targets != &one)
		free(targets);
	cx_jid_free(jid);
	return st;
}

/*
 * Back-pressure has to reach the server, and a reply has to be reachable
 * behind a full queue. With the kernel's receive-buffer autotuning (up to
 * tcp_rmem[2], 32 MiB here) a stopped reader leaves megabytes, tens of
 * thousands of small stanzas, between the server and a reply that a
 * handler waits for: more than the overfill allowance (the bound again) can
 * take in, so the call would time out. A fixed buffer sized after the
 * bound (32 bytes per queued stanza, 64 KiB to 4 MiB; the kernel doubles
 * it for its bookkeeping) keeps what sits in the kernel in proportion to
 * what the queue may absorb: with small stanzas, fewer than the bound.
 * The price is a receive window of that size, which matters only for bulk
 * transfers over long links, not for XMPP's traffic.
 */
static void
limit_rcvbuf(cx_client *c, int fd)
{
	size_t want = c->queue_max * 32;
	int v;

	if (want < 64 * 1024)
		want = 64 * 1024;
	if (want > 4 * 1024 * 1024)
		want = 4 * 1024 * 1024;
	v = (int)want;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) != 0)
		cxi_log(&c->log, CX_LOG_DEBUG, CX_LOG_CAT_NET,
			"could not set the receive buffer: %s", strerror(errno));
}

static void
send_initial_presence(cx_client *c)
{
	static const char pres[] = "<presence/>";
	cx_error err = CX_ERROR_INIT;

	pthread_mutex_lock(&c->lock);
	if (c->stream != NULL &&
	    cxi_stream_send_raw(c->stream, pres, sizeof(pres) - 1, &err) != CX_OK)
		cxi_log(&c->log, CX_LOG_WARN, CX_LOG_CAT_STREAM,
			"could not send the initial presence: %s", err.message);
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

/* Processes the events stashed during one feed (reader thread, no lock). */
static void
process_events(cx_client *c, cxi_stream_event_type *types, xmlNodePtr *nodes,
	       size_t n, char *jid, bool *ended)
{
	size_t i;

	for (i = 0; i < n; i++) {
		switch (types[i]) {
		case CXI_STREAM_EV_STANZA: {
			cx_stanza *s = NULL;
			cx_error err = CX_ERROR_INIT;

			if (*ended || cxi_stanza_adopt(&s, nodes[i]->doc, &err) != CX_OK) {
				if (s == NULL && !*ended)
					cxi_log(&c->log, CX_LOG_WARN, CX_LOG_CAT_API,
						"dropped a stanza: %s", err.message);
				if (s == NULL)
					xmlFreeDoc(nodes[i]->doc);
				else
					cx_stanza_unref(s);
				break;
			}
			if (!try_resolve_reply(c, s)) {
				collectors_offer(c, s);
				dispatch_stanza(c, s);
			}
			cx_stanza_unref(s);
			break;
		}
		case CXI_STREAM_EV_READY: {
			cx_jid *b = NULL;

			cx_jid_parse(&b, jid, NULL);
			pthread_mutex_lock(&c->lock);
			free(c->bound_jid);
			c->bound_jid = jid;
			jid = NULL;
			cx_jid_free(c->bound);
			c->bound = b;
			c->state = CX_CLIENT_CONNECTED;
			free(c->mechanism);
			c->mechanism = xstrdup(cxi_stream_get_mechanism(c->stream));
			pthread_cond_broadcast(&c->cv);
			pthread_mutex_unlock(&c->lock);
			collectors_set_ended(c, false);
			if (c->cfg.initial_presence)
				send_initial_presence(c);
			cxi_log(&c->log, CX_LOG_INFO, CX_LOG_CAT_STREAM,
				"connected as %s", c->bound_jid);
			settle_connect(c, NULL);
			dispatch_event(c, CX_EVENT_CONNECTED, NULL);
			break;
		}
		case CXI_STREAM_EV_CLOSED:
		case CXI_STREAM_EV_ERROR:
			*ended = true;
			break;
		case CXI_STREAM_EV_TLS_DONE:
		case CXI_STREAM_EV_AUTHENTICATED:
		case CXI_STREAM_EV_FEATURES:
			break;
		}
	}
	free(jid);
}

/*
 * Closes the socket after what we wrote (a stream error, our
 * </stream:stream>) has had a chance to reach the peer: closing a socket
 * with unread input makes the kernel send a reset, and a reset can make the
 * peer discard our last bytes before it reads them. So: half-close, read
 * and discard until the peer's EOF, bounded by LINGER_MS, then close.
 */
#define LINGER_MS 200

static void
linger_close(int fd)
{
	char sink[4096];
	int64_t deadline = cxi_now_ms() + LINGER_MS;
	struct timeval tv = { 0, 50 * 1000 };

	shutdown(fd, SHUT_WR);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (cxi_now_ms() < deadline) {
		ssize_t n = recv(fd, sink, sizeof(sink), 0);

		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN &&
			       errno != EWOULDBLOCK))
			break;
	}
	close(fd);
}

static void
teardown(cx_client *c, const cx_error *why)
{
	pending *all, *p;
	cx_error disc = CX_ERROR_INIT;
	bool was_connected;
	int fd;

	pthread_mutex_lock(&c->lock);
	was_connected = c->state == CX_CLIENT_CONNECTED ||
			c->state == CX_CLIENT_DISCONNECTING;
	all = pending_take_all(c);
	c->writer_stop = true;
	pthread_cond_broadcast(&c->cv);
	fd = c->fd;
	pthread_mutex_unlock(&c->lock);

	/* Every pending call fails at once: with the server's stream error
	 * (status, condition and text) when that is what ended the stream,
	 * else with CX_ERR_DISCONNECTED and the reason in the message. */
	if (why->status == CX_ERR_STREAM_ERROR)
		cxi_error_copy(&disc, why);
	else
		cxi_error_set(&disc, CX_ERR_DISCONNECTED, "disconnected: %s",
			      why->status == CX_OK ? "the stream was closed"
						   : why->message);
	while ((p = all) != NULL) {
		all = p->next;
		cxi_future_fail(p->f, &disc);
		pending_free(p);
	}

	if (c->have_writer) {
		pthread_join(c->writer, NULL);
		c->have_writer = false;
	}
	if (fd >= 0) {
		linger_close(fd);
		/* c->fd stays valid (not reused) until here: abort and
		 * disconnect may still shut it down */
	}

	pthread_mutex_lock(&c->lock);
	c->fd = -1;
	cxi_stream_free(c->stream);
	c->stream = NULL;
	cxi_buf_reset(&c->sendq);
	free(c->bound_jid);
	c->bound_jid = NULL;
	cx_jid_free(c->bound);
	c->bound = NULL;
	c->state = CX_CLIENT_DISCONNECTED;
	c->reader_done = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);

	/* Last, so that a failed cx_client_connect finds the reader done. */
	settle_connect(c, why->status == CX_OK ? &disc : why);
	collectors_set_ended(c, true);
	if (was_connected) {
		if (why->status == CX_ERR_STREAM_ERROR)
			dispatch_event(c, CX_EVENT_STREAM_ERROR, why);
		dispatch_event(c, CX_EVENT_DISCONNECTED, why);
	}
	cxi_log(&c->log, CX_LOG_INFO, CX_LOG_CAT_STREAM, "disconnected: %s",
		why->status == CX_OK ? "closed cleanly" : why->message);
}

static void *
reader_main(void *arg)
{
	cx_client *c = arg;
	struct conncfg *k = &c->cfg;
	cxi_stream_config sc;
	cx_error err = CX_ERROR_INIT;
	cxi_tls_ctx *tls_ctx = NULL;
	uint8_t *buf = NULL;
	int fd = -1;
	bool ended = false, negotiating = true;
	int64_t deadline;
	cx_status st;

	buf = malloc(READ_CHUNK);
	if (buf == NULL) {
		cxi_error_set(&err, CX_ERR_NOMEM, "out of memory");
		goto fail_early;
	}
	if (k->tls_mode == CXI_TLS_STARTTLS || k->tls_mode == CXI_TLS_DIRECT ||
	    k->tls_mode == CXI_TLS_INSECURE_OPTIONAL) {
		if (tls_ctx_get(&tls_ctx, k, &err) != CX_OK)
			goto fail_early;
	}
	if (establish_tcp(c, &fd, &err) != CX_OK)
		goto fail_early;
	limit_rcvbuf(c, fd);

	memset(&sc, 0, sizeof(sc));
	sc.jid = k->jid;
	sc.password = k->password;
	sc.authzid = k->authzid;
	sc.tls_mode = k->tls_mode;
	sc.tls_ops = &cxi_tls_openssl_ops;
	sc.tls_ctx = tls_ctx;
	sc.sasl_allowed = k->sasl_allowed;
	sc.insecure_allow_plain_auth = k->insecure_plain_auth;
	sc.sasl_max_iterations = k->sasl_max_iterations;
	sc.lang = k->lang;
	sc.limits = k->limits;
	sc.log = &c->log;
	sc.on_event = on_stream_event;
	sc.arg = c;

	/* Idle time counts from the connect until traffic says otherwise. */
	atomic_store_explicit(&c->last_recv_ms, cxi_now_ms(), memory_order_relaxed);
	atomic_store_explicit(&c->last_send_ms, cxi_now_ms(), memory_order_relaxed);
	pthread_mutex_lock(&c->lock);
	c->fd = fd;
	c->tls_ctx = tls_ctx;
	st = cxi_stream_new(&c->stream, &sc, &err);
	if (st == CX_OK)
		st = cxi_stream_start(c->stream, &err);
	if (st == CX_OK) {
		st = cxi_thread_create(&c->writer, c->rt, CXI_THREAD_WRITER,
				       "cxmpp-writer", writer_main, c, &err);
		c->have_writer = st == CX_OK;
	}
	pthread_mutex_unlock(&c->lock);
	/* The password is in the stream now; drop our copy. */
	if (k->password) {
		explicit_bzero(k->password, strlen(k->password));
		free(k->password);
		k->password = NULL;
	}
	if (st != CX_OK)
		goto fail;

	deadline = cxi_now_ms() + (k->connect_timeout_ms > 0 ? k->connect_timeout_ms : 10000) +
		   (c->timeout_ms > 0 ? c->timeout_ms : 30000);
	/* While negotiating, reads time out every 100 ms so that the
	 * negotiation deadline is kept; once bound they block for good. */
	{
		struct timeval tv = { 0, 100 * 1000 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	while (!ended) {
		ssize_t n;
		cxi_stream_event_type *types;
		xmlNodePtr *nodes;
		char *jid;
		size_t nev;
		bool failed, out;

		if (negotiating && cxi_now_ms() > deadline) {
			cxi_error_set(&err, CX_ERR_TIMEOUT,
				      "stream negotiation timed out");
			goto fail;
		}
		n = recv(fd, buf, READ_CHUNK, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		pthread_mutex_lock(&c->lock);
		if (n <= 0) {
			if (c->aborted)
				cxi_error_copy(&err, &c->abort_reason);
			else if (n < 0)
				cxi_error_set_errno(&err, CX_ERR_DISCONNECTED, errno,
						    "read from the server failed");
			else
				cxi_error_set(&err, CX_ERR_DISCONNECTED,
					      "the server closed the connection");
			cxi_stream_eof(c->stream, CX_ERR_DISCONNECTED);
		} else {
			atomic_store_explicit(&c->last_recv_ms, cxi_now_ms(),
					      memory_order_relaxed);
			cxi_stream_feed(c->stream, buf, (size_t)n, NULL);
		}
		out = cxi_stream_has_output(c->stream);
		if (out)
			pthread_cond_broadcast(&c->cv);
		/* take the stashed events */
		types = c->ev_types;
		nodes = c->ev_nodes;
		nev = c->nev;
		jid = c->ev_jid;
		failed = c->ev_failed;
		if (failed && !c->aborted)
			cxi_error_copy(&err, &c->ev_error);
		c->ev_types = NULL;
		c->ev_nodes = NULL;
		c->nev = c->capev = 0;
		c->ev_jid = NULL;
		c->ev_failed = false;
		pthread_mutex_unlock(&c->lock);
		process_events(c, types, nodes, nev, jid, &ended);
		if (negotiating && cx_client_get_state(c) != CX_CLIENT_CONNECTING) {
			struct timeval tv = { 0, 0 };
			setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
			negotiating = false;
		}
		free(types);
		free(nodes);
		if (n <= 0)
			ended = true;
		if (ended && !failed && n > 0)
			cx_error_clear(&err); /* clean close */
	}
	teardown(c, &err);
	free(buf);
	return NULL;

fail_early:
	pthread_mutex_lock(&c->lock);
	c->fd = fd;
	c->tls_ctx = tls_ctx;
	pthread_mutex_unlock(&c->lock);
fail:
	if (err.status == CX_OK)
		cxi_error_set(&err, CX_ERR_DISCONNECTED, "connection failed");
	teardown(c, &err);
	free(buf);
	return NULL;
}

/* ---- public API -------------------------------------------------------------- */

cx_status
cx_client_new(cx_client **out, cx_settings *settings, cx_runtime *runtime,
	      cx_error *err)
{
	cx_client *c;
	char *jid = NULL;
	cx_jid *parsed = NULL;
	int64_t qmax = 0;
	cx_status st;

	if (out == NULL || settings == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "cx_client_new: NULL argument");
	*out = NULL;
	if ((st = cx_settings_get_string(&jid, settings, CX_SETTING_JID, err)) != CX_OK)
		return st;
	if (jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_client_new: no JID in the settings (%s)",
				     CX_SETTING_JID);
	st = cx_jid_parse(&parsed, jid, err);
	cx_free(jid);
	cx_jid_free(parsed);
	if (st != CX_OK)
		return st;
	cx_settings_get_int(&qmax, settings, CX_SETTING_DISPATCH_QUEUE_MAX, NULL);

	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	c->rt = cx_runtime_ref(runtime ? runtime : cx_runtime_default());
	if (c->rt == NULL) {
		free(c);
		return cxi_error_set(err, CX_ERR_SYSTEM, "no runtime");
	}
	c->settings = cx_settings_ref(settings);
	cxi_runtime_get_logger(c->rt, &c->log);
	c->fd = -1;
	c->queue_max = qmax > 0 ? (size_t)qmax : 1024;
	pthread_mutex_init(&c->lock, NULL);
	cxi_cond_init_monotonic(&c->cv);
	pthread_mutex_init(&c->hlock, NULL);
	pthread_cond_init(&c->hcv, NULL);
	cxi_buf_init(&c->sendq);
	st = cxi_serialq_new(&c->dispatch, c->rt, c->queue_max);
	if (st != CX_OK) {
		cxi_error_set(err, st, "could not create the dispatch queue");
		cx_settings_unref(c->settings);
		cx_runtime_unref(c->rt);
		free(c);
		return st;
	}
	*out = c;
	return CX_OK;
}

/* Joins a finished reader thread (call without c->lock). */
static void
join_reader(cx_client *c)
{
	bool have;

	pthread_mutex_lock(&c->lock);
	have = c->have_reader && c->reader_done;
	pthread_mutex_unlock(&c->lock);
	if (have) {
		pthread_join(c->reader, NULL);
		pthread_mutex_lock(&c->lock);
		c->have_reader = false;
		pthread_mutex_unlock(&c->lock);
	}
}

cx_future *
cx_client_connect_async(cx_client *c)
{
	cx_future *f = NULL;
	cx_error err = CX_ERROR_INIT;
	cxi_tls_ctx *old_ctx;
	cx_status st;

	if (cxi_future_new(&f, c->rt) != CX_OK)
		return NULL;
	join_reader(c);
	pthread_mutex_lock(&c->lock);
	if (c->state != CX_CLIENT_DISCONNECTED || c->have_reader) {
		pthread_mutex_unlock(&c->lock);
		cxi_error_set(&err, CX_ERR_STATE, "cx_client_connect: already %s",
			      c->state == CX_CLIENT_CONNECTED ? "connected" : "connecting");
		cxi_future_fail(f, &err);
		return f;
	}
	old_ctx = c->tls_ctx;
	c->tls_ctx = NULL;
	conncfg_clear(&c->cfg);
	st = conncfg_load(&c->cfg, c->settings, &err);
	if (st == CX_OK) {
		int64_t t = 0;
		cx_settings_get_int(&t, c->settings, CX_SETTING_TIMEOUT_MS, NULL);
		c->timeout_ms = t > 0 ? (int)t : 30000;
		c->state = CX_CLIENT_CONNECTING;
		c->reader_done = false;
		c->writer_stop = false;
		c->closing = false;
		c->aborted = false;
		free(c->mechanism);
		c->mechanism = NULL;
		c->connect_future = cx_future_ref(f);
		st = cxi_thread_create(&c->reader, c->rt, CXI_THREAD_READER,
				       "cxmpp-reader", reader_main, c, &err);
		if (st == CX_OK) {
			c->have_reader = true;
		} else {
			c->state = CX_CLIENT_DISCONNECTED;
			cx_future_unref(c->connect_future);
			c->connect_future = NULL;
		}
	}
	pthread_mutex_unlock(&c->lock);
	if (old_ctx)
		cxi_tls_ctx_unref(old_ctx);
	if (st != CX_OK)
		cxi_future_fail(f, &err);
	return f;
}

cx_status
cx_client_connect(cx_client *c, cx_error *err)
{
	cx_future *f;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL client");
	f = cx_client_connect_async(c);
	if (f == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	/* The reader settles this future by its own negotiation deadline. */
	st = cx_future_wait(f, CX_TIMEOUT_INFINITE, err);
	cx_future_unref(f);
	if (st != CX_OK)
		join_reader(c);
	return st;
}

cx_status
cx_client_disconnect(cx_client *c, cx_error *err)
{
	cx_error e = CX_ERROR_INIT;
	int64_t deadline;
	int wait_ms;
	bool have;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL client");
	pthread_mutex_lock(&c->lock);
	if (c->state == CX_CLIENT_DISCONNECTED || c->closing) {
		pthread_mutex_unlock(&c->lock);
		join_reader(c);
		return cxi_error_set(err, CX_ERR_STATE, "cx_client_disconnect: not connected");
	}
	c->closing = true;
	if (c->state == CX_CLIENT_CONNECTED) {
		c->state = CX_CLIENT_DISCONNECTING;
		flush_sendq_locked(c);
		if (cxi_stream_close(c->stream, &e) != CX_OK)
			cxi_log(&c->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
				"close: %s", e.message);
		pthread_cond_broadcast(&c->cv);
		wait_ms = c->timeout_ms < DISCONNECT_WAIT_MAX_MS ? c->timeout_ms
							 : DISCONNECT_WAIT_MAX_MS;
	} else {
		wait_ms = 0; /* still connecting: abort */
	}
	deadline = cxi_now_ms() + wait_ms;
	while (!c->reader_done &&
	       cxi_cond_wait_until(&c->cv, &c->lock, deadline) == 0)
		;
	if (!c->reader_done && c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	have = c->have_reader;
	pthread_mutex_unlock(&c->lock);
	if (have) {
		pthread_join(c->reader, NULL);
		pthread_mutex_lock(&c->lock);
		c->have_reader = false;
		pthread_mutex_unlock(&c->lock);
	}
	pthread_mutex_lock(&c->lock);
	c->closing = false;
	pthread_mutex_unlock(&c->lock);
	return CX_OK;
}

static void
client_destroy(cx_client *c)
{
	handler *h;
	cx_collector *k;

	cx_client_disconnect(c, NULL);
	join_reader(c);
	/* Every call's future has settled by now (the teardown failed the
	 * pending ones); wait for settle hooks still running on the timer or
	 * reader thread, which lock c->lock. */
	pthread_mutex_lock(&c->lock);
	while (c->nhooks > 0)
		pthread_cond_wait(&c->cv, &c->lock);
	pthread_mutex_unlock(&c->lock);
	/* Handlers: queued items still run their arg_free; close and drain. */
	cxi_serialq_close(c->dispatch);
	cxi_serialq_drain(c->dispatch, CX_TIMEOUT_INFINITE);
	cxi_serialq_free(c->dispatch);
	while ((h = c->handlers) != NULL) {
		c->handlers = h->next;
		handler_free(h);
	}
	while (c->ext != NULL) {
		ext_data *e = c->ext;
		c->ext = e->next;
		if (e->data_free)
			e->data_free(e->data);
		free(e);
	}
	while ((k = c->collectors) != NULL) {
		c->collectors = k->next;
		k->c = NULL;
		pthread_mutex_lock(&k->lock);
		k->ended = true;
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->lock);
	}
	conncfg_clear(&c->cfg);
	if (c->tls_ctx)
		cxi_tls_ctx_unref(c->tls_ctx);
	cxi_buf_free(&c->sendq);
	free(c->buckets);
	free(c->mechanism);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->hlock);
	pthread_cond_destroy(&c->hcv);
	cx_settings_unref(c->settings);
	cx_runtime_unref(c->rt);
	free(c);
}

static void *
deferred_destroy(void *arg)
{
	client_destroy(arg);
	return NULL;
}

void
cx_client_free(cx_client *c)
{
	pthread_t th;
	pthread_attr_t attr;

	if (c == NULL)
		return;
	if (cxi_thread_kind_of(c->rt) == CXI_THREAD_POOL) {
		/* Called from a handler or a then-callback: draining the dispatch
		 * queue here could wait for ourselves, or for a pool thread that
		 * is this one. Finish on a thread of its own. */
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&th, &attr, deferred_destroy, c) == 0) {
			pthread_attr_destroy(&attr);
			return;
		}
		pthread_attr_destroy(&attr);
		cxi_log(&c->log, CX_LOG_ERROR, CX_LOG_CAT_API,
			"cx_client_free from a handler: no thread for the deferred "
			"teardown; the client is leaked");
		return;
	}
	client_destroy(c);
}

cx_status
cx_client_abort(cx_client *c, const cx_error *reason)
{
	if (c == NULL)
		return CX_ERR_INVALID;
	pthread_mutex_lock(&c->lock);
	if (c->state != CX_CLIENT_CONNECTED && c->state != CX_CLIENT_CONNECTING &&
	    c->state != CX_CLIENT_DISCONNECTING) {
		pthread_mutex_unlock(&c->lock);
		return CX_ERR_STATE;
	}
	if (!c->aborted) {
		c->aborted = true;
		if (reason != NULL && reason->status != CX_OK)
			cxi_error_copy(&c->abort_reason, reason);
		else
			cxi_error_set(&c->abort_reason, CX_ERR_DISCONNECTED,
				      "the connection was aborted");
		if (c->abort_reason.status != CX_ERR_DISCONNECTED &&
		    c->abort_reason.status != CX_ERR_TIMEOUT)
			c->abort_reason.status = CX_ERR_DISCONNECTED;
	}
	/* The reader sees EOF and tears down; the writer's next write fails. */
	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&c->lock);
	return CX_OK;
}

cx_status
cx_client_set_data(cx_client *c, const void *key, void *data,
		   void (*data_free)(void *))
{
	ext_data *e, *old = NULL;

	if (c == NULL || key == NULL)
		return CX_ERR_INVALID;
	pthread_mutex_lock(&c->hlock);
	for (e = c->ext; e; e = e->next)
		if (e->key == key)
			break;
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL) {
			pthread_mutex_unlock(&c->hlock);
			return CX_ERR_NOMEM;
		}
		e->key = key;
		e->next = c->ext;
		c->ext = e;
	} else {
		old = malloc(sizeof(*old));
		if (old == NULL) {
			pthread_mutex_unlock(&c->hlock);
			return CX_ERR_NOMEM;
		}
		*old = *e;
	}
	e->data = data;
	e->data_free = data_free;
	pthread_mutex_unlock(&c->hlock);
	if (old != NULL) {
		if (old->data_free)
			old->data_free(old->data);
		free(old);
	}
	return CX_OK;
}

void *
cx_client_get_data(const cx_client *c, const void *key)
{
	ext_data *e;
	void *d = NULL;

	if (c == NULL)
		return NULL;
	pthread_mutex_lock((pthread_mutex_t *)&c->hlock);
	for (e = c->ext; e; e = e->next)
		if (e->key == key) {
			d = e->data;
			break;
		}
	pthread_mutex_unlock((pthread_mutex_t *)&c->hlock);
	return d;
}

void *
cx_client_ensure_data(cx_client *c, const void *key, void *(*make)(void *arg),
		      void *arg, void (*data_free)(void *))
{
	ext_data *e;
	void *d;

	if (c == NULL || key == NULL || make == NULL)
		return NULL;
	/* make() runs under hlock so that exactly one value is made; it must
	 * not call back into the client's handler or data functions. */
	pthread_mutex_lock(&c->hlock);
	for (e = c->ext; e; e = e->next)
		if (e->key == key) {
			d = e->data;
			pthread_mutex_unlock(&c->hlock);
			return d;
		}
	e = calloc(1, sizeof(*e));
	d = e ? make(arg) : NULL;
	if (d == NULL) {
		free(e);
		pthread_mutex_unlock(&c->hlock);
		return NULL;
	}
	e->key = key;
	e->data = d;
	e->data_free = data_free;
	e->next = c->ext;
	c->ext = e;
	pthread_mutex_unlock(&c->hlock);
	return d;
}

cx_settings *
cx_client_get_settings(const cx_client *c)
{
	return c ? c->settings : NULL;
}

cx_runtime *
cx_client_get_runtime(const cx_client *c)
{
	return c ? c->rt : NULL;
}

/* The closed list of cxmpp/log.h: a feature cannot invent categories that
 * a user's filter would not know. */
static const char *
log_category(const char *category)
{
	static const char *const known[] = {
		CX_LOG_CAT_IN, CX_LOG_CAT_OUT, CX_LOG_CAT_STREAM, CX_LOG_CAT_TLS,
		CX_LOG_CAT_SASL, CX_LOG_CAT_NET, CX_LOG_CAT_POOL, CX_LOG_CAT_API
	};
	size_t i;

	if (category == NULL)
		return CX_LOG_CAT_API;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(category, known[i]) == 0)
			return known[i];
	return CX_LOG_CAT_API;
}

int
cx_client_log_enabled(const cx_client *c, cx_log_level level)
{
	/* c->log is copied at cx_client_new and never written again: no lock. */
	return cxi_log_enabled(c ? &c->log : NULL, level) ? 1 : 0;
}

void
cx_client_log(const cx_client *c, cx_log_level level, const char *category,
	      const char *fmt, ...)
{
	const cxi_logger *lg = c ? &c->log : NULL;
	char small[512], *msg = small;
	va_list ap;
	int n;

	if (fmt == NULL || !cxi_log_enabled(lg, level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(small)) {
		msg = malloc((size_t)n + 1);
		if (msg == NULL) {
			msg = small; /* truncated is better than nothing */
		} else {
			va_start(ap, fmt);
			vsnprintf(msg, (size_t)n + 1, fmt, ap);
			va_end(ap);
		}
	}
	cxi_log(lg, level, log_category(category), "%s", msg);
	if (msg != small)
		free(msg);
}

static int64_t
idle_since(const cx_client *c, const _Atomic int64_t *stamp)
{
	int64_t t, now;

	if (c == NULL || cx_client_get_state(c) != CX_CLIENT_CONNECTED)
		return -1;
	t = atomic_load_explicit(stamp, memory_order_relaxed);
	now = cxi_now_ms();
	return now > t ? now - t : 0;
}

int64_t
cx_client_get_idle_ms(const cx_client *c)
{
	return c ? idle_since(c, &c->last_recv_ms) : -1;
}

int64_t
cx_client_get_send_idle_ms(const cx_client *c)
{
	return c ? idle_since(c, &c->last_send_ms) : -1;
}

cx_client_state
cx_client_get_state(const cx_client *c)
{
	cx_client_state st;

	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	st = c->state;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return st;
}

char *
cx_client_get_jid(const cx_client *c)
{
	char *s;

	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	s = c->state == CX_CLIENT_CONNECTED ? xstrdup(c->bound_jid) : NULL;
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return s;
}

char *
cx_client_get_sasl_mechanism(const cx_client *c)
{
	char *s;

	pthread_mutex_lock((pthread_mutex_t *)&c->lock);
	s = xstrdup(c->mechanism);
	pthread_mutex_unlock((pthread_mutex_t *)&c->lock);
	return s;
}

/* Queues serialized bytes. */
static cx_status
enqueue(cx_client *c, const cxi_buf *bytes, pending *p, cx_error *err)
{
	bool was_empty;
	cx_status st = CX_OK;

	pthread_mutex_lock(&c->lock);
	if (c->state != CX_CLIENT_CONNECTED) {
		st = cxi_error_set(err, CX_ERR_STATE, "not connected");
		goto out;
	}
	if (cxi_buf_size(&c->sendq) + cxi_buf_size(bytes) > SENDQ_MAX_BYTES) {
		st = cxi_error_set(err, CX_ERR_FULL,
				   "send queue full (%u bytes waiting)",
				   (unsigned)cxi_buf_size(&c->sendq));
		goto out;
	}
	if (p != NULL && (st = pending_insert(c, p)) != CX_OK) {
		cxi_error_set(err, st, st == CX_ERR_INVALID
			      ? "a call with id '%s' is already pending"
			      : "out of memory (%s)", p->id);
		goto out;
	}
	was_empty = cxi_buf_size(&c->sendq) == 0;
	st = cxi_buf_append(&c->sendq, cxi_buf_head(bytes), cxi_buf_size(bytes));
	if (st != CX_OK) {
		if (p != NULL)
			pending_take(c, p->id, p->f);
		cxi_error_set(err, st, "out of memory");
		goto out;
	}
	/* One wake-up per batch: if the queue held bytes already, the writer
	 * has been woken for them and takes these too. */
	if (was_empty && c->writer_idle)
		pthread_cond_broadcast(&c->cv);
out:
	pthread_mutex_unlock(&c->lock);
	return st;
}

cx_status
cx_client_send(cx_client *c, const cx_stanza *s, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	cx_status st;

	if (c == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "cx_client_send: NULL argument");
	st = cxi_xml_serialize(&b, cx_stanza_node(s), CXI_NS_CLIENT);
	if (st != CX_OK) {
		cxi_buf_free(&b);
		return cxi_error_set(err, st, "could not serialize the stanza");
	}
	st = enqueue(c, &b, NULL, err);
	cxi_buf_free(&b);
	return st;
}

cx_status
cx_client_send_raw(cx_client *c, const char *xml, unsigned flags, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	cx_status st;

	if (c == NULL || xml == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "cx_client_send_raw: NULL argument");
	if (!(flags & CX_SEND_RAW_UNCHECKED)) {
		cx_stanza *check = NULL;

		st = cx_stanza_from_string(&check, xml, strlen(xml), err);
		if (st != CX_OK)
			return st;
		cx_stanza_unref(check);
	}
	if ((st = cxi_buf_append_str(&b, xml)) == CX_OK)
		st = enqueue(c, &b, NULL, err);
	else
		cxi_error_set(err, st, "out of memory");
	cxi_buf_free(&b);
	return st;
}

struct call_hook {
	cx_client *c;
	char *id;
};

static void
call_hook_run(cx_future *f, void *arg)
{
	struct call_hook *h = arg;
	pending *p;

	cx_client *c = h->c;

	pthread_mutex_lock(&c->lock);
	p = pending_take(c, h->id, f);
	pthread_mutex_unlock(&c->lock);
	if (p != NULL)
		pending_free(p);
	free(h->id);
	free(h);
	/* Last: client_destroy waits for this count, so the client is not
	 * touched after the unlock. */
	pthread_mutex_lock(&c->lock);
	if (--c->nhooks == 0)
		pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->lock);
}

static cx_future *
call_async(cx_client *c, cx_stanza *iq, int timeout_ms, cx_reply_parse_fn parse,
	   void *arg, void (*arg_free)(void *), void (*value_free)(void *))
{
	cx_future *f = NULL;
	cx_error err = CX_ERROR_INIT;
	cxi_buf b = CXI_BUF_INIT;
	pending *p = NULL;
	struct call_hook *hook = NULL;
	const char *type, *to;
	cx_status st;

	if (c == NULL || cxi_future_new(&f, c->rt) != CX_OK) {
		if (arg_free)
			arg_free(arg);
		return NULL;
	}
	if (iq == NULL || cx_stanza_get_kind(iq) != CX_STANZA_IQ ||
	    (type = cx_stanza_get_type(iq)) == NULL ||
	    (strcmp(type, "get") != 0 && strcmp(type, "set") != 0)) {
		cxi_error_set(&err, CX_ERR_INVALID,
			      "cx_client_call: not an <iq type='get'|'set'/>");
		goto fail;
	}
	if (cx_stanza_get_id(iq) == NULL &&
	    cx_stanza_set_new_id(iq, &err) != CX_OK)
		goto fail;
	p = calloc(1, sizeof(*p));
	if (p != NULL) {
		/* from here on, freeing p runs arg_free */
		p->parse = parse;
		p->parse_arg = arg;
		p->arg_free = arg_free;
		p->value_free = value_free;
		arg_free = NULL;
	}
	hook = calloc(1, sizeof(*hook));
	if (p == NULL || hook == NULL ||
	    (p->id = strdup(cx_stanza_get_id(iq))) == NULL ||
	    (hook->id = strdup(p->id)) == NULL) {
		cxi_error_set(&err, CX_ERR_NOMEM, "out of memory");
		goto fail;
	}
	to = cx_stanza_get_to(iq);
	if (to != NULL) {
		if (cx_jid_parse(&p->to, to, &err) != CX_OK)
			goto fail;
		if ((p->to_str = strdup(to)) == NULL) {
			cxi_error_set(&err, CX_ERR_NOMEM, "out of memory");
			goto fail;
		}
	}
	if ((st = cxi_xml_serialize(&b, cx_stanza_node(iq), CXI_NS_CLIENT)) != CX_OK) {
		cxi_error_set(&err, st, "could not serialize the iq");
		goto fail;
	}
	hook->c = c;
	pthread_mutex_lock(&c->lock);
	c->nhooks++;
	pthread_mutex_unlock(&c->lock);
	if (cxi_future_on_settle_internal(f, call_hook_run, hook) != CX_OK) {
		pthread_mutex_lock(&c->lock);
		c->nhooks--;
		pthread_mutex_unlock(&c->lock);
		cxi_error_set(&err, CX_ERR_STATE, "future already settled");
		goto fail;
	}
	p->f = cx_future_ref(f);
	if (enqueue(c, &b, p, &err) != CX_OK) {
		cxi_buf_free(&b);
		pending_free(p);
		/* the hook frees itself when the future settles */
		cxi_future_fail(f, &err);
		return f;
	}
	cxi_buf_free(&b);
	if (timeout_ms == CX_TIMEOUT_DEFAULT)
		timeout_ms = c->timeout_ms > 0 ? c->timeout_ms : 30000;
	cxi_future_set_deadline(f, timeout_ms);
	return f;
fail:
	cxi_buf_free(&b);
	if (p)
		pending_free(p);
	else if (arg_free)
		arg_free(arg);
	if (hook) {
		free(hook->id);
		free(hook);
	}
	cxi_future_fail(f, &err);
	return f;
}

cx_future *
cx_client_call_async(cx_client *c, cx_stanza *iq, int timeout_ms)
{
	return call_async(c, iq, timeout_ms, NULL, NULL, NULL, NULL);
}

cx_future *
cx_client_call_async_map(cx_client *c, cx_stanza *iq, int timeout_ms,
			 cx_reply_parse_fn parse, void *arg,
			 void (*arg_free)(void *), void (*value_free)(void *))
{
	if (parse == NULL) {
		if (arg_free)
			arg_free(arg);
		return NULL;
	}
	return call_async(c, iq, timeout_ms, parse, arg, arg_free, value_free);
}

cx_status
cx_client_call(cx_stanza **reply, cx_client *c, cx_stanza *iq, int timeout_ms,
	       cx_error *err)
{
	cx_future *f;
	cx_status st;

	if (reply)
		*reply = NULL;
	f = cx_client_call_async(c, iq, timeout_ms);
	if (f == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	/* The deadline set by call_async settles the future on the timer
	 * thread, so this wait is bounded by timeout_ms. */
	st = cx_future_wait(f, CX_TIMEOUT_INFINITE, err);
	if (reply && cx_future_get_value(f) != NULL)
		*reply = cx_stanza_ref(cx_future_get_value(f));
	cx_future_unref(f);
	return st;
}

static cx_handler_id
add_stanza_handler(cx_client *c, enum hkind kind, const char *type,
		   const char *ns, const char *name, cx_stanza_handler fn,
		   void *arg, void (*arg_free)(void *), unsigned flags)
{
	handler *h;

	if (c == NULL || fn == NULL)
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 0;
	h->kind = kind;
	h->fn = fn;
	h->arg = arg;
	h->arg_free = arg_free;
	h->flags = flags;
	if ((type && (h->iq_type = strdup(type)) == NULL) ||
	    (ns && (h->ns = strdup(ns)) == NULL) ||
	    (name && (h->name = strdup(name)) == NULL)) {
		h->arg_free = NULL;
		handler_free(h);
		return 0;
	}
	return handler_add(c, h);
}

cx_handler_id
cx_client_on_message(cx_client *c, cx_stanza_handler fn, void *arg,
		     void (*arg_free)(void *), unsigned flags)
{
	return add_stanza_handler(c, H_MESSAGE, NULL, NULL, NULL, fn, arg,
				  arg_free, flags);
}

cx_handler_id
cx_client_on_presence(cx_client *c, cx_stanza_handler fn, void *arg,
		      void (*arg_free)(void *), unsigned flags)
{
	return add_stanza_handler(c, H_PRESENCE, NULL, NULL, NULL, fn, arg,
				  arg_free, flags);
}

cx_handler_id
cx_client_on_iq(cx_client *c, const char *type, const char *ns,
		const char *name, cx_stanza_handler fn, void *arg,
		void (*arg_free)(void *), unsigned flags)
{
	return add_stanza_handler(c, H_IQ, type, ns, name, fn, arg, arg_free,
				  flags);
}

cx_handler_id
cx_client_on_event(cx_client *c, cx_client_event_fn fn, void *arg,
		   void (*arg_free)(void *))
{
	handler *h;

	if (c == NULL || fn == NULL)
		return 0;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 0;
	h->kind = H_EVENT;
	h->efn = fn;
	h->arg = arg;
	h->arg_free = arg_free;
	return handler_add(c, h);
}

cx_status
cx_client_remove_handler(cx_client *c, cx_handler_id id)
{
	handler **pp, *h;

	if (c == NULL || id == 0)
		return CX_ERR_INVALID;
	pthread_mutex_lock(&c->hlock);
	for (pp = &c->handlers; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id)
			break;
	h = *pp;
	if (h == NULL) {
		pthread_mutex_unlock(&c->hlock);
		return CX_ERR_NOT_FOUND;
	}
	h->removed = true;
	*pp = h->next;
	if (tl_running_handler == h) {
		/* Removed from inside itself: the call under way frees the
		 * registration (and runs arg_free) when it returns. */
		h->orphan = true;
		pthread_mutex_unlock(&c->hlock);
		return CX_OK;
	}
	/* Wait until no call of it is running on another thread. */
	while (h->running > 0)
		pthread_cond_wait(&c->hcv, &c->hlock);
	pthread_mutex_unlock(&c->hlock);
	handler_free(h);
	return CX_OK;
}

/* ---- collectors (public) --------------------------------------------------- */

static void
collector_destroy(cx_collector *k)
{
	size_t i;

	for (i = 0; i < k->len; i++)
		cx_stanza_unref(k->ring[(k->head + i) % k->cap]);
	free(k->ring);
	free(k->type);
	free(k->child_ns);
	free(k->child_name);
	cx_jid_free(k->from);
	if (k->xpath)
		xmlXPathFreeCompExpr(k->xpath);
	if (k->prefixes) {
		for (i = 0; k->prefixes[i]; i++)
			free(k->prefixes[i]);
		free(k->prefixes);
	}
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->cv);
	free(k);
}

cx_status
cx_collector_new(cx_collector **out, cx_client *c, const cx_filter *f,
		 size_t max, cx_error *err)
{
	cx_collector *k;
	size_t i, n = 0;
	cx_status st = CX_OK;

	if (out == NULL || c == NULL || f == NULL || f->version != CX_FILTER_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_collector_new: NULL argument or wrong filter version");
	*out = NULL;
	k = calloc(1, sizeof(*k));
	if (k == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&k->lock, NULL);
	cxi_cond_init_monotonic(&k->cv);
	k->c = c;
	k->kind = f->kind;
	k->cap = max > 0 ? max : 64;
	k->ring = calloc(k->cap, sizeof(*k->ring));
	if (k->ring == NULL ||
	    (f->type && (k->type = strdup(f->type)) == NULL) ||
	    (f->child_ns && (k->child_ns = strdup(f->child_ns)) == NULL) ||
	    (f->child_name && (k->child_name = strdup(f->child_name)) == NULL)) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (f->from && (st = cx_jid_parse(&k->from, f->from, err)) != CX_OK)
		goto fail;
	if (f->ns_prefixes) {
		while (f->ns_prefixes[n])
			n++;
		if (n % 2 != 0) {
			st = cxi_error_set(err, CX_ERR_INVALID,
					   "ns_prefixes: an odd number of strings");
			goto fail;
		}
		k->prefixes = calloc(n + 1, sizeof(char *));
		if (k->prefixes == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto fail;
		}
		for (i = 0; i < n; i++)
			if ((k->prefixes[i] = strdup(f->ns_prefixes[i])) == NULL) {
				st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
				goto fail;
			}
	}
	if (f->xpath) {
		k->xpath = xmlXPathCompile(BAD_CAST f->xpath);
		if (k->xpath == NULL) {
			st = cxi_error_set(err, CX_ERR_INVALID,
					   "invalid XPath expression: %s", f->xpath);
			goto fail;
		}
	}
	pthread_mutex_lock(&c->lock);
	k->ended = c->state != CX_CLIENT_CONNECTED;
	pthread_mutex_unlock(&c->lock);
	pthread_mutex_lock(&c->hlock);
	k->next = c->collectors;
	c->collectors = k;
	pthread_mutex_unlock(&c->hlock);
	*out = k;
	return CX_OK;
fail:
	collector_destroy(k);
	return st;
}

cx_status
cx_collector_next(cx_stanza **out, cx_collector *k, int timeout_ms,
		  cx_error *err)
{
	int64_t deadline;
	cx_status st = CX_OK;

	if (out == NULL || k == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "cx_collector_next: NULL argument");
	*out = NULL;
	deadline = cxi_deadline_after(timeout_ms);
	pthread_mutex_lock(&k->lock);
	while (k->len == 0) {
		if (k->ended) {
			st = cxi_error_set(err, CX_ERR_DISCONNECTED,
					   "the connection ended and nothing is left");
			goto out;
		}
		if (cxi_cond_wait_until(&k->cv, &k->lock, deadline) != 0 &&
		    k->len == 0) {
			st = cxi_error_set(err, CX_ERR_TIMEOUT,
					   "no matching stanza within %d ms", timeout_ms);
			goto out;
		}
	}
	*out = k->ring[k->head];
	k->head = (k->head + 1) % k->cap;
	k->len--;
out:
	pthread_mutex_unlock(&k->lock);
	return st;
}

size_t
cx_collector_dropped(const cx_collector *k)
{
	size_t n;

	pthread_mutex_lock((pthread_mutex_t *)&k->lock);
	n = k->dropped;
	pthread_mutex_unlock((pthread_mutex_t *)&k->lock);
	return n;
}

void
cx_collector_free(cx_collector *k)
{
	cx_collector **pp;

	if (k == NULL)
		return;
	if (k->c != NULL) {
		pthread_mutex_lock(&k->c->hlock);
		for (pp = &k->c->collectors; *pp; pp = &(*pp)->next)
			if (*pp == k) {
				*pp = k->next;
				break;
			}
		pthread_mutex_unlock(&k->c->hlock);
	}
	collector_destroy(k);
}

/* ---- the simple API ---------------------------------------------------------- */

cx_status
cx_send_message_with(cx_settings *settings, const char *to, const char *body,
		     cx_error *err)
{
	cx_client *c = NULL;
	cx_stanza *msg = NULL, *ping = NULL, *reply = NULL;
	cx_settings *own = NULL;
	char *domain = NULL;
	cx_jid *me = NULL;
	cx_status st;

	if (settings == NULL || to == NULL || body == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "cx_send_message: NULL argument");
	if ((st = cx_stanza_new_message(&msg, to, "chat", body, err)) != CX_OK)
		return st;
	/* A one-shot sender is not "online": no initial presence, so that the
	 * server does not flush offline messages to it. */
	if ((st = cx_settings_copy(&own, settings, err)) != CX_OK ||
	    (st = cx_settings_set_bool(own, CX_SETTING_PRESENCE_INITIAL, false,
				       err)) != CX_OK)
		goto out;
	if ((st = cx_client_new(&c, own, NULL, err)) != CX_OK)
		goto out;
	if ((st = cx_client_connect(c, err)) != CX_OK)
		goto out;
	if ((st = cx_client_send(c, msg, err)) != CX_OK)
		goto out;
	/* A round trip to our server: it handles our stanzas in order, so once
	 * this is answered the message has been processed. An error reply
	 * (a server without XEP-0199) proves the same. */
	{
		char *jid = cx_client_get_jid(c);
		if (jid && cx_jid_parse(&me, jid, NULL) == CX_OK)
			domain = xstrdup(cx_jid_domain(me));
		cx_free(jid);
	}
	if ((st = cx_stanza_new_iq(&ping, "get", domain, "urn:xmpp:ping", "ping",
				   err)) != CX_OK)
		goto out;
	st = cx_client_call(&reply, c, ping, CX_TIMEOUT_DEFAULT, err);
	if (st == CX_ERR_STANZA_ERROR)
		st = CX_OK;
	if (st != CX_OK)
		goto out;
	st = cx_client_disconnect(c, err);
out:
	if (st != CX_OK && err && err->status == CX_OK)
		cxi_error_set(err, st, "cx_send_message failed");
	cx_stanza_unref(reply);
	cx_stanza_unref(ping);
	cx_stanza_unref(msg);
	cx_jid_free(me);
	free(domain);
	cx_client_free(c);
	cx_settings_unref(own);
	return st;
}

cx_status
cx_send_message(const char *jid, const char *password, const char *to,
		const char *body, cx_error *err)
{
	cx_settings *s = NULL;
	cx_status st;

	if ((st = cx_settings_new(&s, err)) != CX_OK)
		return st;
	if ((st = cx_settings_load_env(s, err)) != CX_OK)
		goto out;
	if (jid && (st = cx_settings_set_string(s, CX_SETTING_JID, jid, err)) != CX_OK)
		goto out;
	if (password &&
	    (st = cx_settings_set_string(s, CX_SETTING_PASSWORD, password, err)) != CX_OK)
		goto out;
	st = cx_send_message_with(s, to, body, err);
out:
	cx_settings_unref(s);
	return st;
}

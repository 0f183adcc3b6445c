/*
 * lib/im/presence.c - presence (RFC 6121 sections 3 and 4).
 *
 * Design notes:
 * - The cache maps a contact's bare JID to its available resources. Its
 *   contacts live in an array with an open-addressing index (a contact
 *   whose last resource went away keeps its slot, so nothing is ever
 *   re-indexed on the hot path); each contact holds a small array of
 *   parsed presences, one per full JID. All of it sits behind one mutex in
 *   the client's extension data, and readers get copies.
 * - The cache's handler passes every presence on (CX_HANDLER_PASS): the
 *   application's own presence handlers still see everything.
 * - When the connection ends the cache is emptied: presence learned on a
 *   stream is not valid after it.
 */
#include "config.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "cxmpp/message.h"
#include "cxmpp/presence.h"
#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/im/imutil.h"

struct cx_presence {
	cx_presence_type type;
	char *from;
	cx_presence_show show;
	char *status;
	int priority;
	bool has_delay;
	int64_t delay_sec;
	uint32_t delay_usec;
};

struct cx_presence_list {
	cx_presence **v;
	size_t n;
};

static const char *const type_names[] = {
	[CX_PRESENCE_AVAILABLE] = "available",
	[CX_PRESENCE_UNAVAILABLE] = "unavailable",
	[CX_PRESENCE_SUBSCRIBE] = "subscribe",
	[CX_PRESENCE_SUBSCRIBED] = "subscribed",
	[CX_PRESENCE_UNSUBSCRIBE] = "unsubscribe",
	[CX_PRESENCE_UNSUBSCRIBED] = "unsubscribed",
	[CX_PRESENCE_PROBE] = "probe",
	[CX_PRESENCE_ERROR] = "error",
};

static const char *const show_names[] = {
	[CX_SHOW_ONLINE] = "online",
	[CX_SHOW_CHAT] = "chat",
	[CX_SHOW_AWAY] = "away",
	[CX_SHOW_XA] = "xa",
	[CX_SHOW_DND] = "dnd",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *
cx_presence_type_name(cx_presence_type type)
{
	return (unsigned)type < NELEM(type_names) ? type_names[type] : NULL;
}

const char *
cx_presence_show_name(cx_presence_show show)
{
	return (unsigned)show < NELEM(show_names) ? show_names[show] : NULL;
}

/* ---- build ----------------------------------------------------------- */

static cx_status
build(cx_stanza **out, const char *to, const char *type,
      cx_presence_show show, const char *status, int priority, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;
	char buf[16];

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((unsigned)show >= NELEM(show_names))
		return cxi_error_set(err, CX_ERR_INVALID, "unknown show %d",
				     (int)show);
	if (priority != CX_PRESENCE_NO_PRIORITY &&
	    (priority < -128 || priority > 127))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "priority %d outside -128..127", priority);
	if ((st = cx_stanza_new_presence(&s, to, type, err)) != CX_OK)
		return st;
	if (show != CX_SHOW_ONLINE &&
	    (st = cx_stanza_add_child(NULL, s, NULL, NULL, "show",
				      show_names[show], err)) != CX_OK)
		goto out;
	if (status != NULL &&
	    (st = cx_stanza_add_child(NULL, s, NULL, NULL, "status", status,
				      err)) != CX_OK)
		goto out;
	if (priority != CX_PRESENCE_NO_PRIORITY) {
		snprintf(buf, sizeof(buf), "%d", priority);
		if ((st = cx_stanza_add_child(NULL, s, NULL, NULL, "priority",
					      buf, err)) != CX_OK)
			goto out;
	}
	*out = s;
	s = NULL;
out:
	cx_stanza_unref(s);
	return st;
}

cx_status
cx_presence_build(cx_stanza **out, const char *to, cx_presence_show show,
		  const char *status, int priority, cx_error *err)
{
	return build(out, to, NULL, show, status, priority, err);
}

/* ---- parse ----------------------------------------------------------- */

void
cx_presence_free(cx_presence *p)
{
	if (p == NULL)
		return;
	free(p->from);
	free(p->status);
	free(p);
}

/* An integer in -128..127 written as XML Schema's xs:byte allows. */
static bool
parse_priority(const char *s, int *out)
{
	long v = 0;
	int sign = 1, n = 0;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	for (; *s >= '0' && *s <= '9'; s++, n++) {
		v = v * 10 + (*s - '0');
		if (v > 1000)
			return false;
	}
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	if (n == 0 || *s != '\0')
		return false;
	v *= sign;
	if (v < -128 || v > 127)
		return false;
	*out = (int)v;
	return true;
}

cx_status
cx_presence_parse(cx_presence **out, const cx_stanza *s, cx_error *err)
{
	cx_presence *p;
	const char *type;
	bool seen_show = false, seen_prio = false, status_nolang = false;
	cx_status st = CX_OK;
	xmlNodePtr root;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if (cx_stanza_get_kind(s) != CX_STANZA_PRESENCE)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "not a <presence/>");
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	type = cx_stanza_get_type(s);
	p->type = CX_PRESENCE_AVAILABLE;
	if (type != NULL) {
		size_t i;

		for (i = 1; i < NELEM(type_names); i++)
			if (strcmp(type, type_names[i]) == 0)
				break;
		if (i == NELEM(type_names)) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "unknown presence type '%.40s'", type);
			goto out;
		}
		p->type = (cx_presence_type)i;
	}
	if (cx_stanza_get_from(s) != NULL &&
	    (p->from = strdup(cx_stanza_get_from(s))) == NULL)
		goto nomem;
	root = cx_stanza_node(s);
	for (xmlNodePtr e = root->children; e != NULL; e = e->next) {
		char *t;

		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (cxi_im_is(e, CX_NS_CLIENT, "show") && !seen_show) {
			size_t i;

			seen_show = true;
			if ((t = cxi_im_text(e)) == NULL)
				goto nomem;
			for (i = 1; i < NELEM(show_names); i++)
				if (strcmp(t, show_names[i]) == 0)
					break;
			if (i == NELEM(show_names)) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "unknown <show/> '%.40s'", t);
				free(t);
				goto out;
			}
			free(t);
			p->show = (cx_presence_show)i;
		} else if (cxi_im_is(e, CX_NS_CLIENT, "priority") && !seen_prio) {
			bool ok;

			seen_prio = true;
			if ((t = cxi_im_text(e)) == NULL)
				goto nomem;
			ok = parse_priority(t, &p->priority);
			free(t);
			if (!ok) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "<priority/> is not in -128..127");
				goto out;
			}
		} else if (cxi_im_is(e, CX_NS_CLIENT, "status") && !status_nolang) {
			char *lang = cxi_im_lang(e);

			if (p->status == NULL || lang == NULL) {
				if ((t = cxi_im_text(e)) == NULL) {
					free(lang);
					goto nomem;
				}
				free(p->status);
				p->status = t;
				status_nolang = lang == NULL;
			}
			free(lang);
		} else if (cxi_im_is(e, CX_NS_DELAY, "delay") && !p->has_delay) {
			if ((t = cxi_im_attr(e, "stamp")) != NULL &&
			    cx_delay_parse_stamp(&p->delay_sec, &p->delay_usec,
						 t, NULL) == CX_OK)
				p->has_delay = true;
			free(t);
		}
	}
	*out = p;
	return CX_OK;
nomem:
	st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
out:
	cx_presence_free(p);
	return st;
}

cx_status
cx_presence_copy(cx_presence **out, const cx_presence *p, cx_error *err)
{
	cx_presence *c;
	bool fail = false;

	if (out == NULL || p == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((c = malloc(sizeof(*c))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	*c = *p;
	c->from = cxi_im_strdup(p->from, &fail);
	c->status = cxi_im_strdup(p->status, &fail);
	if (fail) {
		cx_presence_free(c);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	*out = c;
	return CX_OK;
}

cx_presence_type
cx_presence_get_type(const cx_presence *p)
{
	return p ? p->type : CX_PRESENCE_AVAILABLE;
}

const char *
cx_presence_get_from(const cx_presence *p)
{
	return p ? p->from : NULL;
}

cx_presence_show
cx_presence_get_show(const cx_presence *p)
{
	return p ? p->show : CX_SHOW_ONLINE;
}

const char *
cx_presence_get_status(const cx_presence *p)
{
	return p ? p->status : NULL;
}

int
cx_presence_get_priority(const cx_presence *p)
{
	return p ? p->priority : 0;
}

cx_status
cx_presence_get_delay(const cx_presence *p, int64_t *sec, uint32_t *usec)
{
	if (p == NULL || !p->has_delay)
		return CX_ERR_NOT_FOUND;
	if (sec != NULL)
		*sec = p->delay_sec;
	if (usec != NULL)
		*usec = p->delay_usec;
	return CX_OK;
}

/* ---- sending --------------------------------------------------------- */

static cx_status
send_built(cx_client *c, cx_stanza *s, cx_error *err)
{
	cx_status st = cx_client_send(c, s, err);

	cx_stanza_unref(s);
	return st;
}

cx_status
cx_presence_send(cx_client *client, const char *to, cx_presence_show show,
		 const char *status, int priority, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = build(&s, to, NULL, show, status, priority, err)) != CX_OK)
		return st;
	return send_built(client, s, err);
}

cx_status
cx_presence_unavailable(cx_client *client, const char *to, const char *status,
			cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = build(&s, to, "unavailable", CX_SHOW_ONLINE, status,
			CX_PRESENCE_NO_PRIORITY, err)) != CX_OK)
		return st;
	return send_built(client, s, err);
}

cx_status
cx_presence_disconnect(cx_client *client, const char *status, cx_error *err)
{
	cx_status st;

	if ((st = cx_presence_unavailable(client, NULL, status, err)) != CX_OK)
		return st;
	return cx_client_disconnect(client, err);
}

static cx_status
send_sub(cx_client *client, const char *jid, const char *type, cx_error *err)
{
	cx_stanza *s = NULL;
	char *bare = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cxi_im_bare(&bare, jid, err)) != CX_OK)
		return st;
	st = cx_stanza_new_presence(&s, bare, type, err);
	free(bare);
	if (st != CX_OK)
		return st;
	return send_built(client, s, err);
}

cx_status
cx_presence_subscribe(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "subscribe", err);
}

cx_status
cx_presence_approve(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "subscribed", err);
}

cx_status
cx_presence_deny(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "unsubscribed", err);
}

cx_status
cx_presence_cancel(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "unsubscribed", err);
}

cx_status
cx_presence_unsubscribe(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "unsubscribe", err);
}

cx_status
cx_presence_preapprove(cx_client *client, const char *jid, cx_error *err)
{
	return send_sub(client, jid, "subscribed", err);
}

/* ---- the cache ------------------------------------------------------- */

struct contact {
	char *bare;
	cx_presence *res[CX_PRESENCE_MAX_RESOURCES]; /* 'from' is the full JID */
	size_t nres;
};

struct pstate {
	pthread_mutex_t lock;
	struct contact **contacts; /* protected by lock */
	size_t n, cap;             /* protected by lock */
	size_t *index;             /* slot -> contact index + 1; ditto */
	size_t nindex;             /* power of two > 2 n, or 0 */
	cx_handler_id h_presence, h_event; /* set once by enable */
	cxi_im_slot app;
};

static const char pkey;
static pthread_mutex_t enable_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t
hash_str(const char *s)
{
	uint64_t h = UINT64_C(1469598103934665603);

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= UINT64_C(1099511628211);
	}
	return h;
}

static size_t
slot_of(const struct pstate *ps, const char *bare)
{
	size_t mask = ps->nindex - 1, i = (size_t)hash_str(bare) & mask;

	while (ps->index[i] != 0 &&
	       strcmp(ps->contacts[ps->index[i] - 1]->bare, bare) != 0)
		i = (i + 1) & mask;
	return i;
}

static void
contact_free(struct contact *k)
{
	for (size_t i = 0; i < k->nres; i++)
		cx_presence_free(k->res[i]);
	free(k->bare);
	free(k);
}

/* Call with ps->lock held. */
static void
cache_clear(struct pstate *ps)
{
	for (size_t i = 0; i < ps->n; i++)
		contact_free(ps->contacts[i]);
	free(ps->contacts);
	free(ps->index);
	ps->contacts = NULL;
	ps->index = NULL;
	ps->n = ps->cap = ps->nindex = 0;
}

/* The contact for bare, made if absent (NULL when full or out of memory).
 * Call with ps->lock held. */
static struct contact *
contact_get(struct pstate *ps, const char *bare, bool make)
{
	struct contact *k;
	size_t s;

	if (ps->nindex > 0) {
		s = slot_of(ps, bare);
		if (ps->index[s] != 0)
			return ps->contacts[ps->index[s] - 1];
	}
	if (!make || ps->n >= CX_PRESENCE_MAX_CONTACTS)
		return NULL;
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? ps->cap * 2 : 16;
		struct contact **v = realloc(ps->contacts, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		ps->contacts = v;
		ps->cap = cap;
	}
	if ((ps->n + 1) * 2 + 2 > ps->nindex) {
		size_t n = ps->nindex ? ps->nindex * 2 : 32, *idx;

		while (n < (ps->n + 1) * 2 + 2)
			n *= 2;
		if ((idx = calloc(n, sizeof(size_t))) == NULL)
			return NULL;
		free(ps->index);
		ps->index = idx;
		ps->nindex = n;
		for (size_t i = 0; i < ps->n; i++)
			ps->index[slot_of(ps, ps->contacts[i]->bare)] = i + 1;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->bare = strdup(bare)) == NULL) {
		free(k);
		return NULL;
	}
	ps->contacts[ps->n] = k;
	ps->index[slot_of(ps, bare)] = ++ps->n;
	return k;
}

static void
contact_drop(struct contact *k, size_t i)
{
	cx_presence_free(k->res[i]);
	memmove(&k->res[i], &k->res[i + 1], (k->nres - i - 1) * sizeof(k->res[0]));
	k->nres--;
}

/* Applies an available, unavailable or error presence to the cache. */
static void
cache_apply(const cx_client *c, struct pstate *ps, cx_presence *p)
{
	cx_jid *j = NULL;
	struct contact *k;
	const char *full;

	if (p->from == NULL || cx_jid_parse(&j, p->from, NULL) != CX_OK) {
		cx_client_log(c, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"presence: not cached (no valid 'from')");
		cx_presence_free(p);
		return;
	}
	full = cx_jid_string(j);
	/* Store the normalized full JID, so that lookups compare alike. */
	free(p->from);
	if ((p->from = strdup(full)) == NULL) {
		cx_presence_free(p);
		cx_jid_free(j);
		return;
	}
	pthread_mutex_lock(&ps->lock);
	k = contact_get(ps, cx_jid_bare_string(j),
			p->type == CX_PRESENCE_AVAILABLE);
	if (k == NULL) {
		if (p->type == CX_PRESENCE_AVAILABLE)
			cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
				"presence: cache full or out of memory; "
				"presence from %.200s dropped", full);
		cx_presence_free(p);
		goto out;
	}
	if (p->type == CX_PRESENCE_ERROR) {
		while (k->nres > 0)
			contact_drop(k, k->nres - 1);
		cx_presence_free(p);
		goto out;
	}
	for (size_t i = 0; i < k->nres; i++) {
		if (strcmp(k->res[i]->from, full) == 0) {
			if (p->type == CX_PRESENCE_AVAILABLE) {
				cx_presence_free(k->res[i]);
				k->res[i] = p;
			} else {
				contact_drop(k, i);
				cx_presence_free(p);
			}
			goto out;
		}
	}
	if (p->type != CX_PRESENCE_AVAILABLE || k->nres >= CX_PRESENCE_MAX_RESOURCES) {
		if (p->type == CX_PRESENCE_AVAILABLE)
			cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
				"presence: more than %d resources for %.200s; "
				"dropped", CX_PRESENCE_MAX_RESOURCES,
				cx_jid_bare_string(j));
		cx_presence_free(p);
		goto out;
	}
	k->res[k->nres++] = p;
out:
	pthread_mutex_unlock(&ps->lock);
	cx_jid_free(j);
}

static cx_handler_result
on_presence(void *arg, cx_client *c, cx_stanza *s)
{
	struct pstate *ps = arg;
	cx_presence *p = NULL;
	cx_error err = CX_ERROR_INIT;
	cxi_im_cb *cb;

	if (cx_presence_parse(&p, s, &err) != CX_OK) {
		cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
			"presence from %.200s dropped: %s",
			cx_stanza_get_from(s) ? cx_stanza_get_from(s) : "(none)",
			err.message);
		return CX_HANDLER_PASS;
	}
	switch (p->type) {
	case CX_PRESENCE_AVAILABLE:
	case CX_PRESENCE_UNAVAILABLE:
	case CX_PRESENCE_ERROR:
		cache_apply(c, ps, p);
		break;
	case CX_PRESENCE_SUBSCRIBE:
	case CX_PRESENCE_SUBSCRIBED:
	case CX_PRESENCE_UNSUBSCRIBE:
	case CX_PRESENCE_UNSUBSCRIBED:
		if (p->from != NULL && (cb = cxi_im_slot_get(&ps->app)) != NULL) {
			((cx_presence_subscription_fn)cb->fn)(cb->arg, c, p);
			cxi_im_slot_put(&ps->app, cb);
		}
		cx_presence_free(p);
		break;
	default:
		cx_presence_free(p);
		break;
	}
	return CX_HANDLER_PASS;
}

static void
on_event(void *arg, cx_client *c, cx_client_event ev, const cx_error *err)
{
	struct pstate *ps = arg;

	(void)c;
	(void)err;
	if (ev == CX_EVENT_DISCONNECTED) {
		pthread_mutex_lock(&ps->lock);
		cache_clear(ps);
		pthread_mutex_unlock(&ps->lock);
	}
}

static void
pstate_free(void *arg)
{
	struct pstate *ps = arg;

	cache_clear(ps);
	cxi_im_slot_destroy(&ps->app);
	pthread_mutex_destroy(&ps->lock);
	free(ps);
}

static void *
pstate_make(void *arg)
{
	struct pstate *ps = calloc(1, sizeof(*ps));

	(void)arg;
	if (ps == NULL)
		return NULL;
	pthread_mutex_init(&ps->lock, NULL);
	cxi_im_slot_init(&ps->app);
	return ps;
}

cx_status
cx_presence_enable(cx_client *client, cx_error *err)
{
	struct pstate *ps;
	cx_status st = CX_OK;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	ps = cx_client_ensure_data(client, &pkey, pstate_make, NULL, pstate_free);
	if (ps == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&enable_lock);
	if (ps->h_presence == 0)
		ps->h_presence = cx_client_on_presence(client, on_presence, ps,
						       NULL, 0);
	if (ps->h_event == 0)
		ps->h_event = cx_client_on_event(client, on_event, ps, NULL);
	if (ps->h_presence == 0 || ps->h_event == 0)
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	pthread_mutex_unlock(&enable_lock);
	return st;
}

cx_status
cx_presence_set_subscription_handler(cx_client *client,
				     cx_presence_subscription_fn fn, void *arg,
				     void (*arg_free)(void *), cx_error *err)
{
	struct pstate *ps = client ? cx_client_get_data(client, &pkey) : NULL;

	if (ps == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "presence not enabled");
	if (cxi_im_slot_set(&ps->app, (void *)fn, arg, arg_free) != CX_OK)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

static bool
list_add(cx_presence_list *l, size_t *cap, const cx_presence *p)
{
	cx_presence *c = NULL;

	if (l->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		cx_presence **v = realloc(l->v, nc * sizeof(*v));

		if (v == NULL)
			return false;
		l->v = v;
		*cap = nc;
	}
	if (cx_presence_copy(&c, p, NULL) != CX_OK)
		return false;
	l->v[l->n++] = c;
	return true;
}

cx_status
cx_presence_get_cached(cx_presence_list **out, cx_client *client,
		       const char *jid, cx_error *err)
{
	struct pstate *ps = client ? cx_client_get_data(client, &pkey) : NULL;
	cx_presence_list *l;
	char *bare = NULL;
	size_t cap = 0;
	bool ok = true;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (ps == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "presence not enabled");
	if (jid != NULL && (st = cxi_im_bare(&bare, jid, err)) != CX_OK)
		return st;
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		free(bare);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_lock(&ps->lock);
	if (bare != NULL) {
		struct contact *k = contact_get(ps, bare, false);

		for (size_t i = 0; ok && k != NULL && i < k->nres; i++)
			ok = list_add(l, &cap, k->res[i]);
	} else {
		for (size_t c = 0; ok && c < ps->n; c++)
			for (size_t i = 0; ok && i < ps->contacts[c]->nres; i++)
				ok = list_add(l, &cap, ps->contacts[c]->res[i]);
	}
	pthread_mutex_unlock(&ps->lock);
	free(bare);
	if (!ok) {
		cx_presence_list_free(l);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	*out = l;
	return CX_OK;
}

size_t
cx_presence_list_count(const cx_presence_list *l)
{
	return l ? l->n : 0;
}

const cx_presence *
cx_presence_list_at(const cx_presence_list *l, size_t i)
{
	return l && i < l->n ? l->v[i] : NULL;
}

void
cx_presence_list_free(cx_presence_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		cx_presence_free(l->v[i]);
	free(l->v);
	free(l);
}

/*
 * lib/im/roster.c - the roster (RFC 6121 section 2).
 *
 * Design notes:
 * - One item parser serves results, pushes and the persisted cache: the
 *   three carry the same <item/> shape and must obey the same rules, and a
 *   cache read back from disk is as untrusted as the network.
 * - A roster keeps its items in server order plus an open-addressing index
 *   by JID, so a result of CX_ROSTER_MAX_ITEMS items is parsed (and
 *   de-duplicated) in linear time and a push is applied in O(1) on
 *   average. The item count is checked before any item is allocated.
 * - The client's cache is a cx_roster behind a mutex in the client's
 *   extension data. Readers get copies: the lock is never held while the
 *   application runs.
 * - A fetch and the pushes race: the result is resolved on the reader
 *   thread while pushes are applied on the pool. Every push applied while
 *   a fetch is in flight is journaled and applied again on top of a full
 *   result, so the cache never steps back; a push is the whole state of its
 *   item, so applying one twice is harmless.
 * - The push handler replies before it calls the application, so a slow
 *   application never makes the server wait for the acknowledgement.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libxml/parser.h>

#include "cxmpp/jid.h"
#include "cxmpp/roster.h"
#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/im/imutil.h"

#define NS_CACHE "urn:cxmpp:roster-cache:0"
/* Most pushes remembered while one fetch is in flight. */
#define JOURNAL_MAX 4096

struct cx_roster_item {
	char *jid;
	char *name;
	cx_roster_subscription sub;
	bool ask;
	bool approved;
	char **groups;
	size_t ngroups;
};

struct cx_roster {
	char *ver;
	cx_roster_item **items;
	size_t n, cap;
	size_t *index; /* slot -> item index + 1; 0 is empty */
	size_t nindex; /* a power of two, > 2 n; 0 before the first item */
};

static const char *const sub_names[] = {
	[CX_ROSTER_SUB_NONE] = "none",
	[CX_ROSTER_SUB_TO] = "to",
	[CX_ROSTER_SUB_FROM] = "from",
	[CX_ROSTER_SUB_BOTH] = "both",
	[CX_ROSTER_SUB_REMOVE] = "remove",
};

const char *
cx_roster_subscription_name(cx_roster_subscription sub)
{
	if ((unsigned)sub >= sizeof(sub_names) / sizeof(sub_names[0]))
		return NULL;
	return sub_names[sub];
}

/* ---- items ----------------------------------------------------------- */

void
cx_roster_item_free(cx_roster_item *it)
{
	if (it == NULL)
		return;
	for (size_t i = 0; i < it->ngroups; i++)
		free(it->groups[i]);
	free(it->groups);
	free(it->jid);
	free(it->name);
	free(it);
}

const char *
cx_roster_item_get_jid(const cx_roster_item *it)
{
	return it ? it->jid : NULL;
}

const char *
cx_roster_item_get_name(const cx_roster_item *it)
{
	return it ? it->name : NULL;
}

cx_roster_subscription
cx_roster_item_get_subscription(const cx_roster_item *it)
{
	return it ? it->sub : CX_ROSTER_SUB_NONE;
}

int
cx_roster_item_is_pending_out(const cx_roster_item *it)
{
	return it && it->ask;
}

int
cx_roster_item_is_approved(const cx_roster_item *it)
{
	return it && it->approved;
}

size_t
cx_roster_item_group_count(const cx_roster_item *it)
{
	return it ? it->ngroups : 0;
}

const char *
cx_roster_item_group_at(const cx_roster_item *it, size_t i)
{
	if (it == NULL || i >= it->ngroups)
		return NULL;
	return it->groups[i];
}

static cx_roster_item *
item_dup(const cx_roster_item *it)
{
	cx_roster_item *c = calloc(1, sizeof(*c));
	bool fail = false;

	if (c == NULL)
		return NULL;
	c->jid = cxi_im_strdup(it->jid, &fail);
	c->name = cxi_im_strdup(it->name, &fail);
	c->sub = it->sub;
	c->ask = it->ask;
	c->approved = it->approved;
	if (it->ngroups > 0) {
		c->groups = calloc(it->ngroups, sizeof(char *));
		if (c->groups == NULL)
			fail = true;
		for (size_t i = 0; !fail && i < it->ngroups; i++) {
			c->groups[i] = cxi_im_strdup(it->groups[i], &fail);
			c->ngroups = i + 1;
		}
	}
	if (fail) {
		cx_roster_item_free(c);
		return NULL;
	}
	return c;
}

cx_status
cx_roster_item_copy(cx_roster_item **out, const cx_roster_item *it,
		    cx_error *err)
{
	if (out == NULL || it == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((*out = item_dup(it)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

static int
sub_of(const char *s)
{
	if (s == NULL)
		return CX_ROSTER_SUB_NONE;
	for (size_t i = 0; i < sizeof(sub_names) / sizeof(sub_names[0]); i++)
		if (strcmp(s, sub_names[i]) == 0)
			return (int)i;
	return -1;
}

/*
 * Reads one <item/>. Groups are <group/> children in the item's namespace;
 * empty and repeated group names are dropped (RFC 6121 2.1.2.2 makes them
 * an error for the server to refuse; a receiver just ignores them).
 */
static cx_status
item_parse(cx_roster_item **out, const xmlNode *e, bool allow_remove,
	   cx_error *err)
{
	cx_roster_item *it = calloc(1, sizeof(*it));
	char *jid = NULL, *sub = NULL, *ask = NULL, *appr = NULL;
	const char *ns = e->ns ? (const char *)e->ns->href : NULL;
	size_t ng = 0;
	cx_status st = CX_OK;
	int s;

	*out = NULL;
	if (it == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if ((jid = cxi_im_attr(e, "jid")) == NULL) {
		st = cxi_error_set(err, CX_ERR_JID, "roster item without jid");
		goto out;
	}
	if ((st = cxi_im_bare(&it->jid, jid, err)) != CX_OK)
		goto out;
	sub = cxi_im_attr(e, "subscription");
	s = sub_of(sub);
	if (s < 0 || (s == CX_ROSTER_SUB_REMOVE && !allow_remove)) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "roster item with subscription '%.40s'",
				   sub ? sub : "");
		goto out;
	}
	it->sub = (cx_roster_subscription)s;
	ask = cxi_im_attr(e, "ask");
	it->ask = ask != NULL && strcmp(ask, "subscribe") == 0;
	appr = cxi_im_attr(e, "approved");
	it->approved = appr != NULL &&
		       (strcmp(appr, "true") == 0 || strcmp(appr, "1") == 0);
	it->name = cxi_im_attr(e, "name");
	for (const xmlNode *g = e->children; g != NULL; g = g->next)
		if (cxi_im_is(g, ns, "group"))
			ng++;
	if (ng > CX_ROSTER_MAX_GROUPS) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "roster item in more than %d groups",
				   CX_ROSTER_MAX_GROUPS);
		goto out;
	}
	if (ng > 0 && (it->groups = calloc(ng, sizeof(char *))) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (const xmlNode *g = e->children; g != NULL; g = g->next) {
		char *name;
		bool dup = false;

		if (!cxi_im_is(g, ns, "group"))
			continue;
		if ((name = cxi_im_text(g)) == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < it->ngroups && !dup; i++)
			dup = strcmp(it->groups[i], name) == 0;
		if (dup || name[0] == '\0') {
			free(name);
			continue;
		}
		it->groups[it->ngroups++] = name;
	}
	*out = it;
	it = NULL;
out:
	cx_roster_item_free(it);
	free(jid);
	free(sub);
	free(ask);
	free(appr);
	return st;
}

/* ---- roster values --------------------------------------------------- */

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

/* The slot of jid: where it is, or the empty slot where it would go. */
static size_t
slot_of(const cx_roster *r, const char *jid)
{
	size_t mask = r->nindex - 1, i = (size_t)hash_str(jid) & mask;

	while (r->index[i] != 0 && strcmp(r->items[r->index[i] - 1]->jid, jid) != 0)
		i = (i + 1) & mask;
	return i;
}

static bool
reindex(cx_roster *r, size_t want_items)
{
	size_t n = 16, *idx;

	while (n < want_items * 2 + 2)
		n *= 2;
	if ((idx = calloc(n, sizeof(size_t))) == NULL)
		return false;
	free(r->index);
	r->index = idx;
	r->nindex = n;
	for (size_t i = 0; i < r->n; i++)
		r->index[slot_of(r, r->items[i]->jid)] = i + 1;
	return true;
}

/* Makes room for one more item (array and index). */
static bool
reserve_one(cx_roster *r)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		cx_roster_item **p = realloc(r->items, cap * sizeof(*p));

		if (p == NULL)
			return false;
		r->items = p;
		r->cap = cap;
	}
	if ((r->n + 1) * 2 + 2 > r->nindex)
		return reindex(r, r->n + 1);
	return true;
}

static ssize_t
find_idx(const cx_roster *r, const char *bare)
{
	size_t s;

	if (r->nindex == 0)
		return -1;
	s = slot_of(r, bare);
	return r->index[s] ? (ssize_t)r->index[s] - 1 : -1;
}

cx_status
cx_roster_new(cx_roster **out, cx_error *err)
{
	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	if ((*out = calloc(1, sizeof(cx_roster))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

void
cx_roster_free(cx_roster *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		cx_roster_item_free(r->items[i]);
	free(r->items);
	free(r->index);
	free(r->ver);
	free(r);
}

cx_status
cx_roster_copy(cx_roster **out, const cx_roster *r, cx_error *err)
{
	cx_roster *c;
	bool fail = false;

	if (out == NULL || r == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	c->ver = cxi_im_strdup(r->ver, &fail);
	if (!fail && r->n > 0) {
		c->items = calloc(r->n, sizeof(*c->items));
		c->cap = r->n;
		fail = c->items == NULL;
		for (size_t i = 0; !fail && i < r->n; i++) {
			if ((c->items[i] = item_dup(r->items[i])) == NULL)
				fail = true;
			else
				c->n = i + 1;
		}
		if (!fail)
			fail = !reindex(c, c->n);
	}
	if (fail) {
		cx_roster_free(c);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	*out = c;
	return CX_OK;
}

const char *
cx_roster_get_version(const cx_roster *r)
{
	return r ? r->ver : NULL;
}

size_t
cx_roster_count(const cx_roster *r)
{
	return r ? r->n : 0;
}

const cx_roster_item *
cx_roster_item_at(const cx_roster *r, size_t i)
{
	if (r == NULL || i >= r->n)
		return NULL;
	return r->items[i];
}

const cx_roster_item *
cx_roster_find(const cx_roster *r, const char *jid)
{
	char *bare = NULL;
	ssize_t i;

	if (r == NULL || jid == NULL || cxi_im_bare(&bare, jid, NULL) != CX_OK)
		return NULL;
	i = find_idx(r, bare);
	free(bare);
	return i < 0 ? NULL : r->items[i];
}

static cx_status
set_version(cx_roster *r, const char *ver, cx_error *err)
{
	char *v;

	if (ver == NULL)
		return CX_OK;
	if ((v = strdup(ver)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	free(r->ver);
	r->ver = v;
	return CX_OK;
}

/* Applies an item the roster may keep (takes `own` on success). */
static cx_status
apply_owned(cx_roster *r, cx_roster_item *own, cx_error *err)
{
	ssize_t i = find_idx(r, own->jid);

	if (own->sub == CX_ROSTER_SUB_REMOVE) {
		cx_roster_item_free(own);
		if (i < 0)
			return CX_OK;
		cx_roster_item_free(r->items[i]);
		memmove(&r->items[i], &r->items[i + 1],
			(r->n - (size_t)i - 1) * sizeof(r->items[0]));
		r->n--;
		/* Re-indexing into a fresh table cannot fail half-way; if it
		 * cannot be allocated, rebuild in place in the old one. */
		if (!reindex(r, r->n)) {
			memset(r->index, 0, r->nindex * sizeof(size_t));
			for (size_t k = 0; k < r->n; k++)
				r->index[slot_of(r, r->items[k]->jid)] = k + 1;
		}
		return CX_OK;
	}
	if (i >= 0) {
		cx_roster_item_free(r->items[i]);
		r->items[i] = own;
		return CX_OK;
	}
	if (r->n >= CX_ROSTER_MAX_ITEMS)
		return cxi_error_set(err, CX_ERR_XML_TOO_MANY,
				     "roster full (%d items)", CX_ROSTER_MAX_ITEMS);
	if (!reserve_one(r))
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	r->items[r->n] = own;
	r->index[slot_of(r, own->jid)] = r->n + 1;
	r->n++;
	return CX_OK;
}

cx_status
cx_roster_apply_push(cx_roster *r, const cx_roster_item *it, const char *ver,
		     cx_error *err)
{
	cx_roster_item *own;
	char *v = NULL;
	cx_status st;

	if (r == NULL || it == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((own = item_dup(it)) == NULL ||
	    (ver != NULL && (v = strdup(ver)) == NULL)) {
		cx_roster_item_free(own);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	if ((st = apply_owned(r, own, err)) != CX_OK) {
		cx_roster_item_free(own);
		free(v);
		return st;
	}
	if (v != NULL) {
		free(r->ver);
		r->ver = v;
	}
	return CX_OK;
}

/*
 * Fills a roster from the <item/> children of `q` (in namespace ns).
 * Bad items are dropped with a log line; a JID seen before keeps its first
 * item.
 */
static cx_status
fill_items(cx_roster *r, const xmlNode *q, const char *ns, cx_error *err)
{
	size_t n = 0;

	for (const xmlNode *e = q->children; e != NULL; e = e->next)
		if (cxi_im_is(e, ns, "item"))
			n++;
	if (n > CX_ROSTER_MAX_ITEMS)
		return cxi_error_set(err, CX_ERR_XML_TOO_MANY,
				     "roster of %zu items (limit %d)", n,
				     CX_ROSTER_MAX_ITEMS);
	if (n > 0) {
		if ((r->items = calloc(n, sizeof(*r->items))) == NULL ||
		    !reindex(r, n))
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		r->cap = n;
	}
	for (const xmlNode *e = q->children; e != NULL; e = e->next) {
		cx_roster_item *it = NULL;
		cx_error ierr = CX_ERROR_INIT;
		cx_status st;
		size_t s;

		if (!cxi_im_is(e, ns, "item"))
			continue;
		st = item_parse(&it, e, false, &ierr);
		if (st == CX_ERR_NOMEM)
			return cxi_error_set(err, st, "out of memory");
		if (st != CX_OK) {
			cxi_log(NULL, CX_LOG_WARN, CX_LOG_CAT_API,
				"roster: dropped an item: %s", ierr.message);
			continue;
		}
		s = slot_of(r, it->jid);
		if (r->index[s] != 0) {
			cxi_log(NULL, CX_LOG_WARN, CX_LOG_CAT_API,
				"roster: dropped a second item for one JID");
			cx_roster_item_free(it);
			continue;
		}
		r->items[r->n] = it;
		r->index[s] = ++r->n;
	}
	return CX_OK;
}

/* ---- stanzas --------------------------------------------------------- */

cx_status
cx_roster_build_get(cx_stanza **out, const char *ver, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if ((st = cx_stanza_new_iq(&s, "get", NULL, CX_NS_ROSTER, "query",
				   err)) != CX_OK)
		return st;
	if (ver != NULL &&
	    xmlNewProp(cx_stanza_payload(s), (const xmlChar *)"ver",
		       (const xmlChar *)ver) == NULL) {
		cx_stanza_unref(s);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	*out = s;
	return CX_OK;
}

static cx_status
build_item(cx_stanza **out, const char *jid, const char *name,
	   const char *const *groups, size_t ngroups, bool remove,
	   cx_error *err)
{
	cx_stanza *s = NULL;
	char *bare = NULL;
	xmlNodePtr item = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (ngroups > 0 && groups == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "groups is NULL");
	if (ngroups > CX_ROSTER_MAX_GROUPS)
		return cxi_error_set(err, CX_ERR_INVALID, "more than %d groups",
				     CX_ROSTER_MAX_GROUPS);
	for (size_t i = 0; i < ngroups; i++) {
		if (groups[i] == NULL || groups[i][0] == '\0')
			return cxi_error_set(err, CX_ERR_INVALID,
					     "empty group name");
		for (size_t j = 0; j < i; j++)
			if (strcmp(groups[i], groups[j]) == 0)
				return cxi_error_set(err, CX_ERR_INVALID,
						     "group '%.64s' twice",
						     groups[i]);
	}
	if ((st = cxi_im_bare(&bare, jid, err)) != CX_OK)
		return st;
	if ((st = cx_stanza_new_iq(&s, "set", NULL, CX_NS_ROSTER, "query",
				   err)) != CX_OK ||
	    (st = cx_stanza_add_child(&item, s, cx_stanza_payload(s), NULL,
				      "item", NULL, err)) != CX_OK)
		goto out;
	if (xmlNewProp(item, (const xmlChar *)"jid", (const xmlChar *)bare) == NULL ||
	    (remove && xmlNewProp(item, (const xmlChar *)"subscription",
				  (const xmlChar *)"remove") == NULL)) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (name != NULL) {
		/* Validate the text as stanza text (UTF-8, XML chars) by
		 * building it as a child first, then move it to the attribute. */
		xmlNodePtr tmp = NULL;

		if ((st = cx_stanza_add_child(&tmp, s, item, NULL, "x", name,
					      err)) != CX_OK)
			goto out;
		xmlUnlinkNode(tmp);
		xmlFreeNode(tmp);
		if (xmlNewProp(item, (const xmlChar *)"name",
			       (const xmlChar *)name) == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < ngroups; i++)
		if ((st = cx_stanza_add_child(NULL, s, item, NULL, "group",
					      groups[i], err)) != CX_OK)
			goto out;
	*out = s;
	s = NULL;
out:
	cx_stanza_unref(s);
	free(bare);
	return st;
}

cx_status
cx_roster_build_set(cx_stanza **out, const char *jid, const char *name,
		    const char *const *groups, size_t ngroups, cx_error *err)
{
	return build_item(out, jid, name, groups, ngroups, false, err);
}

cx_status
cx_roster_build_remove(cx_stanza **out, const char *jid, cx_error *err)
{
	return build_item(out, jid, NULL, NULL, 0, true, err);
}

cx_status
cx_roster_parse_result(cx_roster **out, const cx_stanza *reply, cx_error *err)
{
	xmlNodePtr q;
	const char *type;
	cx_roster *r = NULL;
	char *ver = NULL;
	cx_status st;

	if (out == NULL || reply == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	type = cx_stanza_get_type(reply);
	if (cx_stanza_get_kind(reply) != CX_STANZA_IQ || type == NULL ||
	    strcmp(type, "result") != 0)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "not an iq result");
	q = cx_stanza_payload(reply);
	if (q == NULL)
		return CX_OK; /* unchanged */
	if (!cxi_im_is(q, CX_NS_ROSTER, "query"))
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "result payload is not a roster query");
	if ((st = cx_roster_new(&r, err)) != CX_OK)
		return st;
	ver = cxi_im_attr(q, "ver");
	r->ver = ver;
	if ((st = fill_items(r, q, CX_NS_ROSTER, err)) != CX_OK) {
		cx_roster_free(r);
		return st;
	}
	*out = r;
	return CX_OK;
}

int
cx_roster_push_sender_ok(const cx_stanza *push, const char *account_jid)
{
	const char *from;
	char *a = NULL, *f = NULL;
	cx_jid *j = NULL;
	int ok = 0;

	if (push == NULL)
		return 0;
	if ((from = cx_stanza_get_from(push)) == NULL)
		return 1;
	if (account_jid == NULL)
		return 0;
	/* 'from' must be a bare JID, not merely share the bare part. */
	if (cx_jid_parse(&j, from, NULL) != CX_OK || !cx_jid_is_bare(j))
		goto out;
	if (cxi_im_bare(&a, account_jid, NULL) != CX_OK ||
	    cxi_im_bare(&f, from, NULL) != CX_OK)
		goto out;
	ok = strcmp(a, f) == 0;
out:
	cx_jid_free(j);
	free(a);
	free(f);
	return ok;
}

cx_status
cx_roster_parse_push(cx_roster_item **item, char **ver, const cx_stanza *push,
		     cx_error *err)
{
	xmlNodePtr q, found = NULL;
	const char *type;
	size_t n = 0;
	cx_status st;

	if (item == NULL || push == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*item = NULL;
	if (ver != NULL)
		*ver = NULL;
	type = cx_stanza_get_type(push);
	if (cx_stanza_get_kind(push) != CX_STANZA_IQ || type == NULL ||
	    strcmp(type, "set") != 0)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "not an iq set");
	q = cx_stanza_payload(push);
	if (!cxi_im_is(q, CX_NS_ROSTER, "query"))
		return cxi_error_set(err, CX_ERR_PROTOCOL, "no roster query");
	for (xmlNodePtr e = q->children; e != NULL; e = e->next) {
		if (cxi_im_is(e, CX_NS_ROSTER, "item")) {
			found = e;
			if (++n > 1)
				break;
		}
	}
	if (n != 1)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "a roster push must carry one item, not %s",
				     n == 0 ? "none" : "several");
	if ((st = item_parse(item, found, true, err)) != CX_OK)
		return st;
	if (ver != NULL) {
		xmlChar *v = xmlGetNoNsProp(q, (const xmlChar *)"ver");

		if (v != NULL) {
			*ver = strdup((const char *)v);
			xmlFree(v);
			if (*ver == NULL) {
				cx_roster_item_free(*item);
				*item = NULL;
				return cxi_error_set(err, CX_ERR_NOMEM,
						     "out of memory");
			}
		}
	}
	return CX_OK;
}

/* ---- persistence ----------------------------------------------------- */

cx_status
cx_roster_to_string(char **out, const cx_roster *r, cx_error *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	xmlNsPtr ns;
	xmlChar *mem = NULL;
	int len = 0;
	cx_status st = CX_OK;

	if (out == NULL || r == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if ((doc = xmlNewDoc((const xmlChar *)"1.0")) == NULL ||
	    (root = xmlNewDocNode(doc, NULL, (const xmlChar *)"roster", NULL)) == NULL)
		goto nomem;
	xmlDocSetRootElement(doc, root);
	if ((ns = xmlNewNs(root, (const xmlChar *)NS_CACHE, NULL)) == NULL)
		goto nomem;
	xmlSetNs(root, ns);
	if (r->ver != NULL &&
	    xmlNewProp(root, (const xmlChar *)"ver", (const xmlChar *)r->ver) == NULL)
		goto nomem;
	for (size_t i = 0; i < r->n; i++) {
		const cx_roster_item *it = r->items[i];
		xmlNodePtr e = xmlNewChild(root, ns, (const xmlChar *)"item", NULL);

		if (e == NULL ||
		    xmlNewProp(e, (const xmlChar *)"jid", (const xmlChar *)it->jid) == NULL ||
		    (it->name && xmlNewProp(e, (const xmlChar *)"name",
					    (const xmlChar *)it->name) == NULL) ||
		    xmlNewProp(e, (const xmlChar *)"subscription",
			       (const xmlChar *)sub_names[it->sub]) == NULL ||
		    (it->ask && xmlNewProp(e, (const xmlChar *)"ask",
					   (const xmlChar *)"subscribe") == NULL) ||
		    (it->approved && xmlNewProp(e, (const xmlChar *)"approved",
						(const xmlChar *)"true") == NULL))
			goto nomem;
		for (size_t g = 0; g < it->ngroups; g++) {
			/* xmlNewTextChild escapes the text. */
			if (xmlNewTextChild(e, ns, (const xmlChar *)"group",
					    (const xmlChar *)it->groups[g]) == NULL)
				goto nomem;
		}
	}
	xmlDocDumpMemoryEnc(doc, &mem, &len, "UTF-8");
	if (mem == NULL || (*out = malloc((size_t)len + 1)) == NULL)
		goto nomem;
	memcpy(*out, mem, (size_t)len);
	(*out)[len] = '\0';
	goto out;
nomem:
	st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
out:
	xmlFree(mem);
	xmlFreeDoc(doc);
	return st;
}

cx_status
cx_roster_from_string(cx_roster **out, const char *xml, size_t len,
		      cx_error *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root;
	cx_roster *r = NULL;
	cx_status st;

	if (out == NULL || xml == NULL || len > INT32_MAX)
		return cxi_error_set(err, CX_ERR_INVALID, "bad argument");
	*out = NULL;
	xmlInitParser();
	/* No entity substitution, no DTD loading, no network, no noise. */
	doc = xmlReadMemory(xml, (int)len, NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
				    XML_PARSE_NOWARNING);
	if (doc == NULL)
		return cxi_error_set(err, CX_ERR_XML_MALFORMED,
				     "roster cache is not well-formed XML");
	if (doc->intSubset != NULL || doc->extSubset != NULL) {
		st = cxi_error_set(err, CX_ERR_XML_RESTRICTED,
				   "roster cache with a DOCTYPE");
		goto out;
	}
	root = xmlDocGetRootElement(doc);
	if (!cxi_im_is(root, NS_CACHE, "roster")) {
		st = cxi_error_set(err, CX_ERR_XML_NAMESPACE,
				   "not a cxmpp roster cache");
		goto out;
	}
	if ((st = cx_roster_new(&r, err)) != CX_OK)
		goto out;
	r->ver = cxi_im_attr(root, "ver");
	if ((st = fill_items(r, root, NS_CACHE, err)) != CX_OK)
		goto out;
	*out = r;
	r = NULL;
out:
	cx_roster_free(r);
	xmlFreeDoc(doc);
	return st;
}

/* ---- the client's roster --------------------------------------------- */

struct rstate {
	pthread_mutex_t lock;
	cx_roster *cache;            /* protected by lock */
	unsigned fetching;           /* fetches in flight; protected by lock */
	cx_roster_item **journal;    /* pushes applied during a fetch */
	size_t njournal;             /* protected by lock */
	bool journal_overflow;       /* protected by lock */
	char *journal_ver;           /* last journaled push's ver; ditto */
	cx_handler_id push_handler;  /* set once by enable */
	cxi_im_slot app;             /* the application's push handler */
};

static const char rkey; /* extension-data key */

static void
journal_clear(struct rstate *rs)
{
	for (size_t i = 0; i < rs->njournal; i++)
		cx_roster_item_free(rs->journal[i]);
	rs->njournal = 0;
	rs->journal_overflow = false;
	free(rs->journal_ver);
	rs->journal_ver = NULL;
}

static void
rstate_free(void *p)
{
	struct rstate *rs = p;

	journal_clear(rs);
	free(rs->journal);
	cx_roster_free(rs->cache);
	cxi_im_slot_destroy(&rs->app);
	pthread_mutex_destroy(&rs->lock);
	free(rs);
}

static void *
rstate_make(void *arg)
{
	struct rstate *rs = calloc(1, sizeof(*rs));

	(void)arg;
	if (rs == NULL)
		return NULL;
	if (cx_roster_new(&rs->cache, NULL) != CX_OK ||
	    (rs->journal = calloc(JOURNAL_MAX, sizeof(*rs->journal))) == NULL) {
		cx_roster_free(rs->cache);
		free(rs);
		return NULL;
	}
	pthread_mutex_init(&rs->lock, NULL);
	cxi_im_slot_init(&rs->app);
	return rs;
}

static struct rstate *
rstate(const cx_client *c)
{
	return c ? cx_client_get_data(c, &rkey) : NULL;
}

static cx_handler_result
on_push(void *arg, cx_client *c, cx_stanza *s)
{
	struct rstate *rs = arg;
	cx_roster_item *it = NULL;
	char *ver = NULL, *me = cx_client_get_jid(c);
	cx_error err = CX_ERROR_INIT;
	cxi_im_cb *cb;
	cx_status st;

	/* A push still queued when the connection ended has no bound JID to
	 * compare with: the account's JID from the settings is the same. */
	if (me == NULL)
		cx_settings_get_string(&me, cx_client_get_settings(c),
				       CX_SETTING_JID, NULL);
	if (!cx_roster_push_sender_ok(s, me)) {
		cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
			"roster: refused a push from %.200s (not our account)",
			cx_stanza_get_from(s));
		cxi_im_reply_error(c, s, CX_STANZA_ERR_SERVICE_UNAVAILABLE);
		goto out;
	}
	if ((st = cx_roster_parse_push(&it, &ver, s, &err)) != CX_OK) {
		cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
			"roster: refused a malformed push: %s", err.message);
		cxi_im_reply_error(c, s, st == CX_ERR_NOMEM
				   ? CX_STANZA_ERR_INTERNAL_SERVER_ERROR
				   : CX_STANZA_ERR_BAD_REQUEST);
		goto out;
	}
	pthread_mutex_lock(&rs->lock);
	st = cx_roster_apply_push(rs->cache, it, ver, &err);
	if (st == CX_OK && rs->fetching > 0) {
		cx_roster_item *j;

		if (rs->njournal < JOURNAL_MAX && (j = item_dup(it)) != NULL)
			rs->journal[rs->njournal++] = j;
		else
			rs->journal_overflow = true;
		if (ver != NULL) {
			char *v = strdup(ver);

			if (v != NULL) {
				free(rs->journal_ver);
				rs->journal_ver = v;
			}
		}
	}
	pthread_mutex_unlock(&rs->lock);
	if (st != CX_OK) {
		cx_client_log(c, CX_LOG_WARN, CX_LOG_CAT_API,
			"roster: push not applied: %s", err.message);
		cxi_im_reply_error(c, s, st == CX_ERR_NOMEM
				   ? CX_STANZA_ERR_INTERNAL_SERVER_ERROR
				   : CX_STANZA_ERR_RESOURCE_CONSTRAINT);
		goto out;
	}
	cxi_im_reply_result(c, s);
	if ((cb = cxi_im_slot_get(&rs->app)) != NULL) {
		((cx_roster_push_fn)cb->fn)(cb->arg, c, it, ver);
		cxi_im_slot_put(&rs->app, cb);
	}
out:
	cx_roster_item_free(it);
	free(ver);
	cx_free(me);
	return CX_HANDLER_CONSUMED;
}

static pthread_mutex_t enable_lock = PTHREAD_MUTEX_INITIALIZER;

cx_status
cx_roster_enable(cx_client *client, const cx_roster *cache, cx_error *err)
{
	struct rstate *rs;
	cx_roster *copy = NULL;
	cx_status st = CX_OK;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if (cache != NULL && (st = cx_roster_copy(&copy, cache, err)) != CX_OK)
		return st;
	rs = cx_client_ensure_data(client, &rkey, rstate_make, NULL, rstate_free);
	if (rs == NULL) {
		cx_roster_free(copy);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	/* One registration per client even when threads race to enable. */
	pthread_mutex_lock(&enable_lock);
	if (rs->push_handler == 0) {
		rs->push_handler = cx_client_on_iq(client, "set", CX_NS_ROSTER,
						   "query", on_push, rs, NULL, 0);
		if (rs->push_handler == 0)
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_unlock(&enable_lock);
	if (st == CX_OK && copy != NULL) {
		pthread_mutex_lock(&rs->lock);
		cx_roster_free(rs->cache);
		rs->cache = copy;
		copy = NULL;
		pthread_mutex_unlock(&rs->lock);
	}
	cx_roster_free(copy);
	return st;
}

cx_status
cx_roster_set_push_handler(cx_client *client, cx_roster_push_fn fn, void *arg,
			   void (*arg_free)(void *), cx_error *err)
{
	struct rstate *rs = rstate(client);

	if (rs == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "roster not enabled");
	if (cxi_im_slot_set(&rs->app, (void *)fn, arg, arg_free) != CX_OK)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

/* A fetch in flight: what its reply parser needs on the reader thread. */
struct fetch_ctx {
	cx_client *client;   /* for logging: the call cannot outlive it */
	struct rstate *rs;   /* the client's extension data, freed only after
	                        every call of the client has settled */
};

/* Runs once per fetch whatever its outcome (result, stanza error, timeout,
 * cancel, disconnect): the end of the fetch for the journal. */
static void
fetch_ctx_free(void *p)
{
	struct fetch_ctx *fc = p;
	struct rstate *rs = fc->rs;

	pthread_mutex_lock(&rs->lock);
	if (rs->fetching > 0 && --rs->fetching == 0)
		journal_clear(rs);
	pthread_mutex_unlock(&rs->lock);
	free(fc);
}

static void
roster_value_free(void *v)
{
	cx_roster_free(v);
}

/*
 * On the reader thread, before the future settles: applies the result to
 * the cache and hands the future a copy of the cache. rs->lock is only ever
 * held for short work in memory (no I/O, no waiting, no user code), so
 * taking it here does not stall the reader.
 */
static cx_status
fetch_parse(void **value, cx_stanza *reply, void *arg, cx_error *err)
{
	struct fetch_ctx *fc = arg;
	struct rstate *rs = fc->rs;
	cx_roster *full = NULL, *copy = NULL;
	bool overflow = false;
	cx_status st;

	if ((st = cx_roster_parse_result(&full, reply, err)) != CX_OK)
		return st;
	pthread_mutex_lock(&rs->lock);
	if (full != NULL) {
		overflow = rs->journal_overflow;
		for (size_t i = 0; i < rs->njournal; i++) {
			cx_roster_item *j = item_dup(rs->journal[i]);

			if (j != NULL && apply_owned(full, j, NULL) != CX_OK)
				cx_roster_item_free(j);
		}
		/* The newest version seen wins: the last journaled push's
		 * if it had one, else the result's. */
		if (rs->journal_ver != NULL)
			set_version(full, rs->journal_ver, NULL);
		cx_roster_free(rs->cache);
		rs->cache = full;
		full = NULL;
	}
	st = cx_roster_copy(&copy, rs->cache, err);
	pthread_mutex_unlock(&rs->lock);
	if (overflow)
		cx_client_log(fc->client, CX_LOG_WARN, CX_LOG_CAT_API,
			      "roster: too many pushes during a fetch; "
			      "some may be shadowed until the next fetch");
	*value = copy;
	return st;
}

cx_future *
cx_roster_fetch_async(cx_client *client, int timeout_ms)
{
	struct rstate *rs = rstate(client);
	struct fetch_ctx *fc;
	cx_stanza *iq = NULL;
	cx_future *f;

	if (rs == NULL || (fc = malloc(sizeof(*fc))) == NULL)
		return NULL;
	fc->client = client;
	fc->rs = rs;
	pthread_mutex_lock(&rs->lock);
	if (cx_roster_build_get(&iq, rs->cache->ver, NULL) == CX_OK) {
		/* Count the fetch before the request can be answered;
		 * fetch_ctx_free ends it. */
		if (rs->fetching++ == 0)
			journal_clear(rs);
	}
	pthread_mutex_unlock(&rs->lock);
	if (iq == NULL) {
		free(fc);
		return NULL;
	}
	/* On NULL (out of memory) fetch_ctx_free has run. */
	f = cx_client_call_async_map(client, iq, timeout_ms, fetch_parse, fc,
				     fetch_ctx_free, roster_value_free);
	cx_stanza_unref(iq);
	return f;
}

cx_status
cx_roster_fetch(cx_client *client, int timeout_ms, cx_error *err)
{
	cx_future *f;
	cx_status st;

	if (rstate(client) == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "roster not enabled");
	if ((f = cx_roster_fetch_async(client, timeout_ms)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	/* The call's deadline settles the future: the wait is bounded. */
	st = cx_future_wait(f, CX_TIMEOUT_INFINITE, err);
	cx_future_unref(f);
	return st;
}

cx_status
cx_roster_get_cache(cx_roster **out, cx_client *client, cx_error *err)
{
	struct rstate *rs = rstate(client);
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (rs == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "roster not enabled");
	pthread_mutex_lock(&rs->lock);
	st = cx_roster_copy(out, rs->cache, err);
	pthread_mutex_unlock(&rs->lock);
	return st;
}

/* A roster set's result carries nothing: the future's value is NULL. */
static cx_status
empty_result(void **value, cx_stanza *reply, void *arg, cx_error *err)
{
	(void)reply;
	(void)arg;
	(void)err;
	*value = NULL;
	return CX_OK;
}

/* The one path of update and remove; consumes iq (NULL: not built). */
static cx_future *
set_async(cx_client *client, cx_stanza *iq, int timeout_ms)
{
	cx_future *f;

	if (iq == NULL)
		return NULL;
	f = cx_client_call_async_map(client, iq, timeout_ms, empty_result,
				     NULL, NULL, NULL);
	cx_stanza_unref(iq);
	return f;
}

/* Waits for set_async's future (bounded by the call's deadline). */
static cx_status
set_wait(cx_future *f, cx_error *err)
{
	cx_status st;

	if (f == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st = cx_future_wait(f, CX_TIMEOUT_INFINITE, err);
	cx_future_unref(f);
	return st;
}

cx_status
cx_roster_update(cx_client *client, const char *jid, const char *name,
		 const char *const *groups, size_t ngroups, int timeout_ms,
		 cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cx_roster_build_set(&iq, jid, name, groups, ngroups, err)) != CX_OK)
		return st;
	return set_wait(set_async(client, iq, timeout_ms), err);
}

cx_future *
cx_roster_update_async(cx_client *client, const char *jid, const char *name,
		       const char *const *groups, size_t ngroups,
		       int timeout_ms)
{
	cx_stanza *iq = NULL;

	if (client == NULL ||
	    cx_roster_build_set(&iq, jid, name, groups, ngroups, NULL) != CX_OK)
		return NULL;
	return set_async(client, iq, timeout_ms);
}

cx_status
cx_roster_remove(cx_client *client, const char *jid, int timeout_ms,
		 cx_error *err)
{
	cx_stanza *iq = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cx_roster_build_remove(&iq, jid, err)) != CX_OK)
		return st;
	return set_wait(set_async(client, iq, timeout_ms), err);
}

cx_future *
cx_roster_remove_async(cx_client *client, const char *jid, int timeout_ms)
{
	cx_stanza *iq = NULL;

	if (client == NULL || cx_roster_build_remove(&iq, jid, NULL) != CX_OK)
		return NULL;
	return set_async(client, iq, timeout_ms);
}

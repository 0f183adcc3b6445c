/*
 * lib/ext/caps.c - XEP-0115 entity capabilities.
 *
 * Design notes:
 * - The verification string is built exactly as section 5.1: identities
 *   sorted by category, type, xml:lang (then name), features sorted,
 *   extended forms sorted by FORM_TYPE with fields sorted by var and
 *   values sorted, every item followed by '<'; SHA-1, base64. Sorting is
 *   by octets (strcmp), the i;octet collation the spec requires.
 * - Our ver is cached with the disco generation it was computed from, so
 *   a presence sent after a new feature registered carries a fresh ver,
 *   and the node#ver disco node is re-registered for it.
 * - The cache of other entities is keyed by ver alone (the hash covers
 *   everything) and filled only with infos whose recomputed hash matches.
 *   It is bounded (CX_CAPS_CACHE_MAX, oldest out first).
 */
#include "config.h"

#include "cxmpp/caps.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

#define NOMEM() cxi_error_set(err, CX_ERR_NOMEM, "out of memory")

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
cmp0(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

static int
cmp_identity(const void *pa, const void *pb)
{
	const cx_disco_identity *a = *(const cx_disco_identity *const *)pa;
	const cx_disco_identity *b = *(const cx_disco_identity *const *)pb;
	int r;

	if ((r = strcmp(a->category, b->category)) != 0 ||
	    (r = strcmp(a->type, b->type)) != 0 ||
	    (r = cmp0(a->lang, b->lang)) != 0)
		return r;
	return cmp0(a->name, b->name);
}

static int
cmp_field(const void *pa, const void *pb)
{
	const cx_form_field *a = *(const cx_form_field *const *)pa;
	const cx_form_field *b = *(const cx_form_field *const *)pb;

	return cmp0(cx_form_field_get_var(a), cx_form_field_get_var(b));
}

typedef struct form_ref {
	const char *form_type;
	const cx_form *form;
} form_ref;

static int
cmp_form(const void *pa, const void *pb)
{
	return strcmp(((const form_ref *)pa)->form_type,
		      ((const form_ref *)pb)->form_type);
}

/* The hidden FORM_TYPE of a form, or NULL; *bad set when it has several
 * values. */
static const char *
hidden_form_type(const cx_form *f, bool *bad)
{
	cx_form_field *fld = cx_form_find_field(f, "FORM_TYPE");

	if (fld == NULL || cx_form_field_get_type(fld) != CX_FIELD_HIDDEN ||
	    cx_form_field_value_count(fld) == 0)
		return NULL;
	if (cx_form_field_value_count(fld) > 1)
		*bad = true;
	return cx_form_field_get_value(fld, 0);
}

static cx_status
append_lt(cxi_buf *b, const char *s)
{
	if (s != NULL && cxi_buf_append_str(b, s) != CX_OK)
		return CX_ERR_NOMEM;
	return cxi_buf_append(b, "<", 1);
}

/* Builds S of section 5.1 into b. */
static cx_status
caps_string(cxi_buf *b, const cx_disco_info *info, cx_error *err)
{
	size_t nid = cx_disco_info_identity_count(info);
	size_t nfeat = cx_disco_info_feature_count(info);
	size_t nforms = cx_disco_info_form_count(info), nf = 0;
	const cx_disco_identity **ids = calloc(nid + 1, sizeof(*ids));
	const char **feats = calloc(nfeat + 1, sizeof(*feats));
	form_ref *forms = calloc(nforms + 1, sizeof(*forms));
	const cx_form_field **fields = NULL;
	cx_status st = CX_OK;
	bool bad = false;

	if (ids == NULL || feats == NULL || forms == NULL) {
		st = NOMEM();
		goto out;
	}
	for (size_t i = 0; i < nid; i++)
		ids[i] = cx_disco_info_identity_at(info, i);
	qsort(ids, nid, sizeof(*ids), cmp_identity);
	for (size_t i = 1; i < nid; i++)
		if (cmp_identity(&ids[i - 1], &ids[i]) == 0) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "caps: two identical identities");
			goto out;
		}
	for (size_t i = 0; i < nfeat; i++)
		feats[i] = cx_disco_info_feature_at(info, i);
	qsort(feats, nfeat, sizeof(*feats), cmp_str);
	for (size_t i = 1; i < nfeat; i++)
		if (strcmp(feats[i - 1], feats[i]) == 0) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "caps: feature '%.64s' listed twice",
					   feats[i]);
			goto out;
		}
	for (size_t i = 0; i < nforms; i++) {
		const cx_form *f = cx_disco_info_form_at(info, i);
		const char *ft = hidden_form_type(f, &bad);

		if (bad) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "caps: a FORM_TYPE with several values");
			goto out;
		}
		if (ft == NULL)
			continue; /* section 5.4: ignored */
		forms[nf].form_type = ft;
		forms[nf++].form = f;
	}
	qsort(forms, nf, sizeof(*forms), cmp_form);
	for (size_t i = 1; i < nf; i++)
		if (strcmp(forms[i - 1].form_type, forms[i].form_type) == 0) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "caps: two forms with FORM_TYPE '%.64s'",
					   forms[i].form_type);
			goto out;
		}

	for (size_t i = 0; i < nid; i++) {
		if (cxi_buf_append_str(b, ids[i]->category) != CX_OK ||
		    cxi_buf_append(b, "/", 1) != CX_OK ||
		    cxi_buf_append_str(b, ids[i]->type) != CX_OK ||
		    cxi_buf_append(b, "/", 1) != CX_OK ||
		    (ids[i]->lang && cxi_buf_append_str(b, ids[i]->lang) != CX_OK) ||
		    cxi_buf_append(b, "/", 1) != CX_OK ||
		    append_lt(b, ids[i]->name) != CX_OK)
			goto nomem;
	}
	for (size_t i = 0; i < nfeat; i++)
		if (append_lt(b, feats[i]) != CX_OK)
			goto nomem;
	for (size_t i = 0; i < nf; i++) {
		const cx_form *f = forms[i].form;
		size_t n = cx_form_field_count(f), k = 0;

		free(fields);
		if ((fields = calloc(n + 1, sizeof(*fields))) == NULL)
			goto nomem;
		for (size_t j = 0; j < n; j++) {
			const cx_form_field *fld = cx_form_field_at(f, j);
			const char *var = cx_form_field_get_var(fld);

			if (var != NULL && strcmp(var, "FORM_TYPE") != 0)
				fields[k++] = fld;
		}
		qsort(fields, k, sizeof(*fields), cmp_field);
		if (append_lt(b, forms[i].form_type) != CX_OK)
			goto nomem;
		for (size_t j = 0; j < k; j++) {
			size_t nv = cx_form_field_value_count(fields[j]);
			const char **vals = calloc(nv + 1, sizeof(*vals));

			if (vals == NULL)
				goto nomem;
			for (size_t v = 0; v < nv; v++)
				vals[v] = cx_form_field_get_value(fields[j], v);
			qsort(vals, nv, sizeof(*vals), cmp_str);
			if (append_lt(b, cx_form_field_get_var(fields[j])) != CX_OK) {
				free(vals);
				goto nomem;
			}
			for (size_t v = 0; v < nv; v++)
				if (append_lt(b, vals[v]) != CX_OK) {
					free(vals);
					goto nomem;
				}
			free(vals);
		}
	}
	goto out;
nomem:
	st = NOMEM();
out:
	free(ids);
	free(feats);
	free(forms);
	free(fields);
	return st;
}

cx_status
cx_caps_compute_ver(char **out, const cx_disco_info *info, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *ver;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || info == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((st = caps_string(&b, info, err)) != CX_OK) {
		cxi_buf_free(&b);
		return st;
	}
	if (EVP_Digest(cxi_buf_head(&b), cxi_buf_size(&b), md, &mdlen,
		       EVP_sha1(), NULL) != 1) {
		cxi_buf_free(&b);
		return cxi_error_set(err, CX_ERR_NOMEM, "caps: SHA-1 failed");
	}
	cxi_buf_free(&b);
	if ((ver = malloc(4 * ((mdlen + 2) / 3) + 1)) == NULL)
		return NOMEM();
	EVP_EncodeBlock((unsigned char *)ver, md, (int)mdlen);
	*out = ver;
	return CX_OK;
}

/* ---- per-client state --------------------------------------------------- */

typedef struct cache_entry {
	char *ver;
	cx_disco_info *info;
} cache_entry;

typedef struct caps_state {
	pthread_mutex_t lock;     /* protects everything below */
	char *node;               /* NULL until cx_caps_enable */
	char *ver;                /* ours, for generation `gen` */
	unsigned long gen;
	char *disco_node;         /* "node#ver" registered with disco */
	cache_entry *cache;       /* ring of at most CX_CAPS_CACHE_MAX */
	size_t ncache, next;
} caps_state;

static const char caps_key;

static void
caps_state_free(void *p)
{
	caps_state *cs = p;

	free(cs->node);
	free(cs->ver);
	free(cs->disco_node);
	for (size_t i = 0; i < cs->ncache; i++) {
		free(cs->cache[i].ver);
		cx_disco_info_free(cs->cache[i].info);
	}
	free(cs->cache);
	pthread_mutex_destroy(&cs->lock);
	free(cs);
}

static void *
caps_state_make(void *arg)
{
	caps_state *cs = calloc(1, sizeof(*cs));

	(void)arg;
	if (cs != NULL && pthread_mutex_init(&cs->lock, NULL) != 0) {
		free(cs);
		cs = NULL;
	}
	return cs;
}

static caps_state *
caps_state_get(cx_client *c)
{
	return cx_client_ensure_data(c, &caps_key, caps_state_make, NULL,
				     caps_state_free);
}

/* disco node callback for node#ver: our own info, with that node. */
static cx_status
answer_ver_node(void *arg, cx_client *c, const cx_stanza *request,
		const char *node, cx_disco_info *info, cx_disco_items *items,
		cx_error *err)
{
	cx_disco_info *own = NULL;
	cx_status st;

	(void)arg;
	(void)request;
	(void)node;
	if (items != NULL)
		return CX_OK; /* no items under node#ver */
	if ((st = cx_disco_get_own_info(&own, c, NULL, err)) != CX_OK)
		return st;
	for (size_t i = 0; st == CX_OK && i < cx_disco_info_identity_count(own); i++) {
		const cx_disco_identity *id = cx_disco_info_identity_at(own, i);

		st = cx_disco_info_add_identity(info, id->category, id->type,
						id->name, id->lang, err);
	}
	for (size_t i = 0; st == CX_OK && i < cx_disco_info_feature_count(own); i++)
		st = cx_disco_info_add_feature(info, cx_disco_info_feature_at(own, i), err);
	for (size_t i = 0; st == CX_OK && i < cx_disco_info_form_count(own); i++)
		st = cx_disco_info_add_form(info, cx_disco_info_form_at(own, i), err);
	cx_disco_info_free(own);
	return st;
}

cx_status
cx_caps_enable(cx_client *c, const char *node, cx_error *err)
{
	caps_state *cs;
	char *copy;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if (node == NULL)
		node = CX_CAPS_DEFAULT_NODE;
	if (*node == '\0' || strchr(node, '#') != NULL || !cxi_ext_text_ok(node))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "caps: the node must be a non-empty URI without '#'");
	if ((cs = caps_state_get(c)) == NULL || (copy = strdup(node)) == NULL)
		return NOMEM();
	pthread_mutex_lock(&cs->lock);
	free(cs->node);
	cs->node = copy;
	free(cs->ver);
	cs->ver = NULL;
	pthread_mutex_unlock(&cs->lock);
	if ((st = cx_disco_add_feature(c, CX_NS_CAPS, err)) != CX_OK)
		return st;
	return CX_OK;
}

/* Our ver (copy) and node (copy); registers node#ver with disco. */
static cx_status
own_ver(char **ver_out, char **node_out, cx_client *c, cx_error *err)
{
	caps_state *cs = cx_client_get_data(c, &caps_key);
	cx_disco_info *info = NULL;
	char *ver = NULL, *node = NULL, *dn = NULL, *old_dn = NULL;
	unsigned long gen;
	cx_status st;

	*ver_out = NULL;
	if (node_out)
		*node_out = NULL;
	if (cs == NULL)
		return cxi_error_set(err, CX_ERR_STATE, "caps not enabled");
	gen = cx_disco_get_generation(c);
	pthread_mutex_lock(&cs->lock);
	if (cs->node == NULL) {
		pthread_mutex_unlock(&cs->lock);
		return cxi_error_set(err, CX_ERR_STATE, "caps not enabled");
	}
	if (cs->ver != NULL && cs->gen == gen) {
		ver = strdup(cs->ver);
		node = strdup(cs->node);
		pthread_mutex_unlock(&cs->lock);
		goto done;
	}
	pthread_mutex_unlock(&cs->lock);

	/* The generation is read before the snapshot: a change in between
	 * only makes the next call compute again. */
	if ((st = cx_disco_get_own_info(&info, c, NULL, err)) != CX_OK)
		return st;
	st = cx_caps_compute_ver(&ver, info, err);
	cx_disco_info_free(info);
	if (st != CX_OK)
		return st;
	pthread_mutex_lock(&cs->lock);
	node = strdup(cs->node);
	dn = malloc(strlen(cs->node) + strlen(ver) + 2);
	if (dn == NULL || node == NULL) {
		pthread_mutex_unlock(&cs->lock);
		free(dn);
		free(node);
		free(ver);
		return NOMEM();
	}
	strcpy(dn, cs->node);
	strcat(dn, "#");
	strcat(dn, ver);
	free(cs->ver);
	cs->ver = strdup(ver);
	cs->gen = gen;
	old_dn = cs->disco_node;
	cs->disco_node = strdup(dn);
	pthread_mutex_unlock(&cs->lock);
	if (old_dn != NULL && strcmp(old_dn, dn) != 0)
		cx_disco_remove_node(c, old_dn, NULL);
	free(old_dn);
	st = cx_disco_add_node(c, dn, answer_ver_node, NULL, NULL, err);
	free(dn);
	if (st != CX_OK) {
		free(ver);
		free(node);
		return st;
	}
done:
	if (ver == NULL || node == NULL) {
		free(ver);
		free(node);
		return NOMEM();
	}
	*ver_out = ver;
	if (node_out)
		*node_out = node;
	else
		free(node);
	return CX_OK;
}

cx_status
cx_caps_get_ver(char **out, cx_client *c, cx_error *err)
{
	if (out == NULL || c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	return own_ver(out, NULL, c, err);
}

cx_status
cx_caps_add_to_presence(cx_client *c, cx_stanza *p, cx_error *err)
{
	char *ver = NULL, *node = NULL;
	xmlNodePtr old, el = NULL;
	cx_status st;

	if (c == NULL || p == NULL || cx_stanza_get_kind(p) != CX_STANZA_PRESENCE ||
	    cx_stanza_get_type(p) != NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "caps go on an available presence");
	if ((st = own_ver(&ver, &node, c, err)) != CX_OK)
		return st;
	if ((old = cx_stanza_find_child(p, CX_NS_CAPS, "c")) != NULL) {
		xmlUnlinkNode(old);
		xmlFreeNode(old);
	}
	st = cx_stanza_add_child(&el, p, NULL, CX_NS_CAPS, "c", NULL, err);
	if (st == CX_OK &&
	    (!xmlNewProp(el, BAD_CAST "hash", BAD_CAST "sha-1") ||
	     !xmlNewProp(el, BAD_CAST "node", BAD_CAST node) ||
	     !xmlNewProp(el, BAD_CAST "ver", BAD_CAST ver)))
		st = NOMEM();
	free(ver);
	free(node);
	return st;
}

cx_status
cx_caps_send_presence(cx_client *c, cx_stanza *p, cx_error *err)
{
	cx_stanza *own = NULL;
	cx_status st;

	if (c == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if (p == NULL) {
		if ((st = cx_stanza_new_presence(&own, NULL, NULL, err)) != CX_OK)
			return st;
		p = own;
	}
	st = cx_caps_add_to_presence(c, p, err);
	if (st == CX_OK)
		st = cx_client_send(c, p, err);
	cx_stanza_unref(own);
	return st;
}

static const char *
attr_of(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->next == NULL)
			return (const char *)a->children->content;
	return NULL;
}

cx_status
cx_caps_parse(const char **node, const char **ver, const char **hash,
	      const cx_stanza *p, cx_error *err)
{
	xmlNodePtr c;
	const char *n, *v;

	if (node)
		*node = NULL;
	if (ver)
		*ver = NULL;
	if (hash)
		*hash = NULL;
	if (p == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "presence is NULL");
	if ((c = cx_stanza_find_child(p, CX_NS_CAPS, "c")) == NULL)
		return cxi_error_set(err, CX_ERR_NOT_FOUND, "no caps");
	n = attr_of(c, "node");
	v = attr_of(c, "ver");
	if (n == NULL || v == NULL || *n == '\0' || *v == '\0')
		return cxi_error_set(err, CX_ERR_PROTOCOL, "caps: no %s",
				     n == NULL || *n == '\0' ? "node" : "ver");
	if (node)
		*node = n;
	if (ver)
		*ver = v;
	if (hash)
		*hash = attr_of(c, "hash");
	return CX_OK;
}

/* ---- cache -------------------------------------------------------------- */

static cx_status
info_dup(cx_disco_info **out, const cx_disco_info *src, cx_error *err)
{
	cx_status st = cx_disco_info_new(out, cx_disco_info_get_node(src), err);

	for (size_t i = 0; st == CX_OK && i < cx_disco_info_identity_count(src); i++) {
		const cx_disco_identity *id = cx_disco_info_identity_at(src, i);

		st = cx_disco_info_add_identity(*out, id->category, id->type,
						id->name, id->lang, err);
	}
	for (size_t i = 0; st == CX_OK && i < cx_disco_info_feature_count(src); i++)
		st = cx_disco_info_add_feature(*out, cx_disco_info_feature_at(src, i), err);
	for (size_t i = 0; st == CX_OK && i < cx_disco_info_form_count(src); i++)
		st = cx_disco_info_add_form(*out, cx_disco_info_form_at(src, i), err);
	if (st != CX_OK) {
		cx_disco_info_free(*out);
		*out = NULL;
	}
	return st;
}

cx_status
cx_caps_cache_get(cx_disco_info **out, cx_client *c, const char *ver,
		  cx_error *err)
{
	caps_state *cs;
	cx_status st = CX_ERR_NOT_FOUND;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || c == NULL || ver == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((cs = caps_state_get(c)) == NULL)
		return NOMEM();
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->ncache; i++)
		if (strcmp(cs->cache[i].ver, ver) == 0) {
			st = info_dup(out, cs->cache[i].info, err);
			break;
		}
	pthread_mutex_unlock(&cs->lock);
	if (st == CX_ERR_NOT_FOUND)
		return cxi_error_set(err, st, "caps: ver '%.64s' not cached", ver);
	return st;
}

cx_status
cx_caps_cache_add(cx_client *c, const char *ver, const cx_disco_info *info,
		  cx_error *err)
{
	caps_state *cs;
	char *computed = NULL;
	cx_disco_info *copy = NULL;
	char *vcopy;
	cx_status st;

	if (c == NULL || ver == NULL || info == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((st = cx_caps_compute_ver(&computed, info, err)) != CX_OK)
		return st;
	if (strcmp(computed, ver) != 0) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "caps: the info hashes to '%s', not '%.64s': "
				   "not cached", computed, ver);
		free(computed);
		cxi_ext_log(c, CX_LOG_WARN, "%s", err ? err->message : "caps: ver mismatch");
		return st;
	}
	free(computed);
	if ((cs = caps_state_get(c)) == NULL)
		return NOMEM();
	if ((st = info_dup(&copy, info, err)) != CX_OK)
		return st;
	if ((vcopy = strdup(ver)) == NULL) {
		cx_disco_info_free(copy);
		return NOMEM();
	}
	pthread_mutex_lock(&cs->lock);
	for (size_t i = 0; i < cs->ncache; i++)
		if (strcmp(cs->cache[i].ver, ver) == 0) {
			pthread_mutex_unlock(&cs->lock);
			free(vcopy);
			cx_disco_info_free(copy);
			return CX_OK;
		}
	if (cs->cache == NULL &&
	    (cs->cache = calloc(CX_CAPS_CACHE_MAX, sizeof(*cs->cache))) == NULL) {
		pthread_mutex_unlock(&cs->lock);
		free(vcopy);
		cx_disco_info_free(copy);
		return NOMEM();
	}
	if (cs->ncache < CX_CAPS_CACHE_MAX) {
		cs->cache[cs->ncache].ver = vcopy;
		cs->cache[cs->ncache++].info = copy;
	} else {
		free(cs->cache[cs->next].ver);
		cx_disco_info_free(cs->cache[cs->next].info);
		cs->cache[cs->next].ver = vcopy;
		cs->cache[cs->next].info = copy;
		cs->next = (cs->next + 1) % CX_CAPS_CACHE_MAX;
	}
	pthread_mutex_unlock(&cs->lock);
	return CX_OK;
}

cx_status
cx_caps_resolve(cx_disco_info **out, cx_client *c, const char *jid,
		const char *node, const char *ver, int timeout_ms,
		cx_error *err)
{
	cx_disco_info *info = NULL;
	char *dn;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || c == NULL || jid == NULL || node == NULL || ver == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (cx_caps_cache_get(out, c, ver, NULL) == CX_OK)
		return CX_OK;
	if ((dn = malloc(strlen(node) + strlen(ver) + 2)) == NULL)
		return NOMEM();
	strcpy(dn, node);
	strcat(dn, "#");
	strcat(dn, ver);
	st = cx_disco_info_call(&info, c, jid, dn, timeout_ms, err);
	free(dn);
	if (st != CX_OK)
		return st;
	if ((st = cx_caps_cache_add(c, ver, info, err)) != CX_OK) {
		cx_disco_info_free(info);
		return st;
	}
	*out = info;
	return CX_OK;
}

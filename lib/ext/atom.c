/*
 * lib/ext/atom.c - Atom entries (RFC 4287): build and read.
 *
 * Design notes: the reader runs on payloads a peer chose, so it keeps
 * nothing of the tree (every field is copied, each copy bounded by
 * CX_ATOM_MAX_TEXT) and never fails on content: what it cannot read is
 * left NULL and counted in `dropped`, so a feed reader shows what it can.
 * Only allocation failure is an error. Timestamps are parsed by hand
 * (not strptime/timegm) so that the accepted syntax is exactly RFC 3339's
 * and the result does not depend on the process's time zone.
 *
 * The builder is strict instead: what it writes is a valid entry or
 * nothing. XHTML given as a string is parsed with libxml2's own parser,
 * wrapped in the xhtml <div/>, without network access and with no chance
 * of a DTD (the wrapper comes first), then copied into the entry.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cxmpp/atom.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"

/* ------------------------------------------------------------------------
 * Time
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (y, m 1-12, d). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly n digits at *p; -1 if any is not a digit. */
static int
digits(const char **p, int n)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	return v;
}

cx_status
cx_atom_time_parse(int64_t *out, const char *s)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0, dim;
	const char *p = s;

	if (out == NULL || s == NULL)
		return CX_ERR_INVALID;
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 0 || (*p != 'T' && *p != 't'))
		return CX_ERR_INVALID;
	p++;
	if ((h = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (mi = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (sec = digits(&p, 2)) < 0)
		return CX_ERR_INVALID;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return CX_ERR_INVALID;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if ((oh = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (om = digits(&p, 2)) < 0)
			return CX_ERR_INVALID;
		if (oh > 23 || om > 59)
			return CX_ERR_INVALID;
	} else {
		return CX_ERR_INVALID;
	}
	if (*p != '\0')
		return CX_ERR_INVALID;
	if (mo < 1 || mo > 12 || d < 1)
		return CX_ERR_INVALID;
	dim = mdays[mo - 1] + (mo == 2 && leap(y));
	/* 60: a leap second, counted as the next minute's first second */
	if (d > dim || h > 23 || mi > 59 || sec > 60)
		return CX_ERR_INVALID;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec -
	       sign * (oh * 3600 + om * 60);
	return CX_OK;
}

cx_status
cx_atom_time_format(char *buf, size_t len, int64_t t)
{
	int64_t days, rem, y;
	int m, d;

	if (buf == NULL || len < CX_ATOM_TIME_SIZE)
		return CX_ERR_INVALID;
	days = t / 86400;
	rem = t % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return CX_ERR_INVALID;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", (int)y, m, d,
		 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return CX_OK;
}

/* ------------------------------------------------------------------------
 * Reading
 */

/* The owned arrays behind a parsed entry's const pointers. */
typedef struct entry_store {
	cx_atom_entry e;
	cx_atom_link *links;
	cx_atom_category *categories;
} entry_store;

static void
text_free(cx_atom_text *t)
{
	free((char *)t->value);
	free((char *)t->mime);
	free((char *)t->src);
}

void
cx_atom_entry_free(cx_atom_entry *e)
{
	entry_store *st = (entry_store *)e;
	size_t i;

	if (e == NULL)
		return;
	free((char *)e->id);
	text_free(&e->title);
	free((char *)e->author.name);
	free((char *)e->author.email);
	free((char *)e->author.uri);
	free((char *)e->published);
	free((char *)e->updated);
	text_free(&e->summary);
	text_free(&e->content);
	for (i = 0; i < e->n_links; i++) {
		free((char *)st->links[i].href);
		free((char *)st->links[i].rel);
		free((char *)st->links[i].type);
		free((char *)st->links[i].title);
	}
	free(st->links);
	for (i = 0; i < e->n_categories; i++) {
		free((char *)st->categories[i].term);
		free((char *)st->categories[i].scheme);
		free((char *)st->categories[i].label);
	}
	free(st->categories);
	free(st);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Strips XML whitespace around s in place. */
static void
trim(char *s)
{
	size_t n, i = 0;

	if (s == NULL)
		return;
	n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	while (i < n && is_space(s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

/*
 * Copies the text of n (NULL n: *out NULL). Too long: *out NULL and one
 * more drop. Returns CX_ERR_NOMEM only.
 */
static cx_status
read_text(const char **out, const xmlNode *n, int strip, size_t *dropped)
{
	char *s = NULL;
	cx_status st;

	*out = NULL;
	if (n == NULL)
		return CX_OK;
	st = cxi_px_text_dup(&s, n, CX_ATOM_MAX_TEXT, NULL);
	if (st == CX_ERR_PROTOCOL) {
		(*dropped)++;
		return CX_OK;
	}
	if (st != CX_OK)
		return st;
	if (strip)
		trim(s);
	*out = s;
	return CX_OK;
}

/* Copies attribute `name` of n, bounded like text. */
static cx_status
read_attr(const char **out, const xmlNode *n, const char *name,
	  size_t *dropped)
{
	const char *v = cxi_px_attr(n, name);

	*out = NULL;
	if (v == NULL)
		return CX_OK;
	if (strlen(v) > CX_ATOM_MAX_TEXT) {
		(*dropped)++;
		return CX_OK;
	}
	if ((*out = strdup(v)) == NULL)
		return CX_ERR_NOMEM;
	return CX_OK;
}

/* The markup of the children of an xhtml <div/>, bounded. */
static cx_status
read_xhtml(const char **out, const xmlNode *n, size_t *dropped)
{
	const xmlNode *div = cxi_px_child(n, CX_NS_XHTML, "div");
	xmlBufferPtr buf;
	xmlNodePtr c;
	cx_status st = CX_OK;

	*out = NULL;
	if (div == NULL) {
		(*dropped)++;
		return CX_OK;
	}
	if ((buf = xmlBufferCreate()) == NULL)
		return CX_ERR_NOMEM;
	for (c = div->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE && c->type != XML_TEXT_NODE &&
		    c->type != XML_CDATA_SECTION_NODE)
			continue;
		if (xmlNodeDump(buf, c->doc, c, 0, 0) < 0) {
			st = CX_ERR_NOMEM;
			goto out;
		}
		if ((size_t)xmlBufferLength(buf) > CX_ATOM_MAX_TEXT) {
			(*dropped)++;
			goto out;
		}
	}
	if ((*out = strdup((const char *)xmlBufferContent(buf))) == NULL)
		st = CX_ERR_NOMEM;
out:
	xmlBufferFree(buf);
	return st;
}

/* A text construct (content when `content` is set). */
static cx_status
read_construct(cx_atom_text *t, const xmlNode *n, int content,
	       size_t *dropped)
{
	const char *type;
	cx_status st;

	memset(t, 0, sizeof(*t));
	t->type = CX_ATOM_TEXT;
	if (n == NULL)
		return CX_OK;
	type = cxi_px_attr(n, "type");
	if (content && (st = read_attr(&t->src, n, "src", dropped)) != CX_OK)
		return st;
	if (type == NULL || strcmp(type, "text") == 0) {
		t->type = CX_ATOM_TEXT;
	} else if (strcmp(type, "html") == 0) {
		t->type = CX_ATOM_HTML;
	} else if (strcmp(type, "xhtml") == 0) {
		t->type = CX_ATOM_XHTML;
		return read_xhtml(&t->value, n, dropped);
	} else if (content && strchr(type, '/') != NULL) {
		t->type = CX_ATOM_OTHER;
		if ((st = read_attr(&t->mime, n, "type", dropped)) != CX_OK)
			return st;
	} else {
		/* Not a type RFC 4287 allows: read it as plain text. */
		(*dropped)++;
	}
	return read_text(&t->value, n, 0, dropped);
}

/* A timestamp: kept only when it is RFC 3339. */
static cx_status
read_time(const char **out, int64_t *t, const xmlNode *n, size_t *dropped)
{
	cx_status st;

	*t = 0;
	if ((st = read_text(out, n, 1, dropped)) != CX_OK || *out == NULL)
		return st;
	if (cx_atom_time_parse(t, *out) != CX_OK) {
		free((char *)*out);
		*out = NULL;
		(*dropped)++;
	}
	return CX_OK;
}

static cx_status
read_link(entry_store *st, const xmlNode *n)
{
	cx_atom_entry *e = &st->e;
	cx_atom_link *l;
	const char *href = cxi_px_attr(n, "href");
	cx_status s;

	if (href == NULL || *href == '\0') {
		e->dropped++;
		return CX_OK;
	}
	if (e->n_links >= CX_ATOM_MAX_LINKS) {
		e->dropped++;
		return CX_OK;
	}
	if (st->links == NULL &&
	    (st->links = calloc(CX_ATOM_MAX_LINKS, sizeof(*st->links))) == NULL)
		return CX_ERR_NOMEM;
	l = &st->links[e->n_links];
	if ((s = read_attr(&l->href, n, "href", &e->dropped)) != CX_OK ||
	    (s = read_attr(&l->rel, n, "rel", &e->dropped)) != CX_OK ||
	    (s = read_attr(&l->type, n, "type", &e->dropped)) != CX_OK ||
	    (s = read_attr(&l->title, n, "title", &e->dropped)) != CX_OK) {
		e->n_links++; /* freed with the entry */
		return s;
	}
	if (l->href == NULL) { /* too long */
		free((char *)l->rel);
		free((char *)l->type);
		free((char *)l->title);
		memset(l, 0, sizeof(*l));
		return CX_OK;
	}
	e->n_links++;
	return CX_OK;
}

static cx_status
read_category(entry_store *st, const xmlNode *n)
{
	cx_atom_entry *e = &st->e;
	cx_atom_category *c;
	const char *term = cxi_px_attr(n, "term");
	cx_status s;

	if (term == NULL || *term == '\0' ||
	    e->n_categories >= CX_ATOM_MAX_CATEGORIES) {
		e->dropped++;
		return CX_OK;
	}
	if (st->categories == NULL &&
	    (st->categories = calloc(CX_ATOM_MAX_CATEGORIES,
				     sizeof(*st->categories))) == NULL)
		return CX_ERR_NOMEM;
	c = &st->categories[e->n_categories];
	if ((s = read_attr(&c->term, n, "term", &e->dropped)) != CX_OK ||
	    (s = read_attr(&c->scheme, n, "scheme", &e->dropped)) != CX_OK ||
	    (s = read_attr(&c->label, n, "label", &e->dropped)) != CX_OK) {
		e->n_categories++;
		return s;
	}
	if (c->term == NULL) {
		free((char *)c->scheme);
		free((char *)c->label);
		memset(c, 0, sizeof(*c));
		return CX_OK;
	}
	e->n_categories++;
	return CX_OK;
}

cx_status
cx_atom_entry_parse(cx_atom_entry **out, const xmlNode *payload, cx_error *err)
{
	entry_store *st;
	cx_atom_entry *e;
	const xmlNode *c, *author;
	cx_status s = CX_OK;
	int seen_title = 0, seen_summary = 0, seen_content = 0;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no output");
	*out = NULL;
	if (!cxi_px_is(payload, CX_NS_ATOM, "entry"))
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "not an Atom entry");
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	e = &st->e;
	e->version = CX_ATOM_ENTRY_VERSION;
	author = cxi_px_child(payload, CX_NS_ATOM, "author");
	if (author != NULL) {
		if ((s = read_text(&e->author.name,
				   cxi_px_child(author, CX_NS_ATOM, "name"), 1,
				   &e->dropped)) != CX_OK ||
		    (s = read_text(&e->author.email,
				   cxi_px_child(author, CX_NS_ATOM, "email"), 1,
				   &e->dropped)) != CX_OK ||
		    (s = read_text(&e->author.uri,
				   cxi_px_child(author, CX_NS_ATOM, "uri"), 1,
				   &e->dropped)) != CX_OK)
			goto out;
	}
	/* First occurrence wins for single-valued elements. */
	for (c = payload->children; c != NULL; c = c->next) {
		if (!cxi_px_is(c, CX_NS_ATOM, NULL))
			continue;
		if (strcmp((const char *)c->name, "id") == 0 && e->id == NULL) {
			s = read_text(&e->id, c, 1, &e->dropped);
		} else if (strcmp((const char *)c->name, "title") == 0 &&
			   !seen_title) {
			seen_title = 1;
			s = read_construct(&e->title, c, 0, &e->dropped);
		} else if (strcmp((const char *)c->name, "summary") == 0 &&
			   !seen_summary) {
			seen_summary = 1;
			s = read_construct(&e->summary, c, 0, &e->dropped);
		} else if (strcmp((const char *)c->name, "content") == 0 &&
			   !seen_content) {
			seen_content = 1;
			s = read_construct(&e->content, c, 1, &e->dropped);
		} else if (strcmp((const char *)c->name, "published") == 0 &&
			   e->published == NULL) {
			s = read_time(&e->published, &e->published_time, c,
				      &e->dropped);
		} else if (strcmp((const char *)c->name, "updated") == 0 &&
			   e->updated == NULL) {
			s = read_time(&e->updated, &e->updated_time, c,
				      &e->dropped);
		} else if (strcmp((const char *)c->name, "link") == 0) {
			s = read_link(st, c);
		} else if (strcmp((const char *)c->name, "category") == 0) {
			s = read_category(st, c);
		}
		if (s != CX_OK)
			goto out;
	}
	e->links = st->links;
	e->categories = st->categories;
out:
	if (s != CX_OK) {
		e->links = st->links;
		e->categories = st->categories;
		cx_atom_entry_free(e);
		return cxi_error_set(err, s, "out of memory");
	}
	*out = e;
	return CX_OK;
}

/* ------------------------------------------------------------------------
 * Building
 */

static cx_status
new_uuid_urn(char *buf, size_t len, cx_error *err)
{
	unsigned char r[16];
	ssize_t got;

	do
		got = getrandom(r, sizeof(r), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(r))
		return cxi_error_set(err, CX_ERR_SYSTEM,
				     "no random bytes for the entry id");
	r[6] = (r[6] & 0x0f) | 0x40; /* version 4 */
	r[8] = (r[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(buf, len,
		 "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9],
		 r[10], r[11], r[12], r[13], r[14], r[15]);
	return CX_OK;
}

/* Appends <xhtml div> holding `markup` under n. */
static cx_status
add_xhtml(xmlNodePtr n, const char *markup, cx_error *err)
{
	static const char head[] = "<div xmlns=\"" CX_NS_XHTML "\">";
	static const char tail[] = "</div>";
	size_t len = strlen(markup);
	char *wrapped = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr copy;
	cx_status st = CX_OK;

	if (!cxi_px_text_ok(markup))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "XHTML is not valid XML text");
	if (len > (size_t)0x7fffffff - sizeof(head) - sizeof(tail))
		return cxi_error_set(err, CX_ERR_INVALID, "XHTML too long");
	if ((wrapped = malloc(sizeof(head) + len + sizeof(tail))) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	memcpy(wrapped, head, sizeof(head) - 1);
	memcpy(wrapped + sizeof(head) - 1, markup, len);
	memcpy(wrapped + sizeof(head) - 1 + len, tail, sizeof(tail));
	doc = xmlReadMemory(wrapped, (int)strlen(wrapped), NULL, "UTF-8",
			    XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (doc == NULL || xmlDocGetRootElement(doc) == NULL ||
	    !cxi_px_is(xmlDocGetRootElement(doc), CX_NS_XHTML, "div")) {
		st = cxi_error_set(err, CX_ERR_INVALID,
				   "XHTML content is not well-formed XML");
		goto out;
	}
	copy = xmlDocCopyNode(xmlDocGetRootElement(doc), n->doc, 1);
	if (copy == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	xmlAddChild(n, copy);
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	free(wrapped);
	return st;
}

static cx_status
add_construct(xmlNodePtr entry, const char *name, const cx_atom_text *t,
	      int content, cx_error *err)
{
	xmlNodePtr n;
	const char *type = NULL;
	cx_status st;

	if (t->value == NULL && !(content && t->src != NULL))
		return CX_OK;
	switch (t->type) {
	case CX_ATOM_TEXT:
		break;
	case CX_ATOM_HTML:
		type = "html";
		break;
	case CX_ATOM_XHTML:
		type = "xhtml";
		break;
	case CX_ATOM_OTHER:
		if (!content || t->mime == NULL || strchr(t->mime, '/') == NULL)
			return cxi_error_set(err, CX_ERR_INVALID,
					     "<%s/>: another type needs a "
					     "media type (content only)", name);
		type = t->mime;
		break;
	default:
		return cxi_error_set(err, CX_ERR_INVALID,
				     "<%s/>: unknown text type", name);
	}
	if (t->type == CX_ATOM_XHTML && t->value != NULL) {
		if ((st = cxi_px_add(&n, entry, NULL, name, NULL, err)) != CX_OK)
			return st;
		st = add_xhtml(n, t->value, err);
	} else {
		st = cxi_px_add(&n, entry, NULL, name, t->value, err);
	}
	if (st != CX_OK)
		return st;
	if ((st = cxi_px_set(n, "type", type, err)) != CX_OK)
		return st;
	if (content && (st = cxi_px_set(n, "src", t->src, err)) != CX_OK)
		return st;
	return CX_OK;
}

static cx_status
add_time(xmlNodePtr entry, const char *name, const char *value, cx_error *err)
{
	int64_t t;

	if (value == NULL)
		return CX_OK;
	if (cx_atom_time_parse(&t, value) != CX_OK)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "<%s/>: not an RFC 3339 timestamp", name);
	return cxi_px_add(NULL, entry, NULL, name, value, err);
}

static cx_status
build_body(xmlNodePtr entry, const cx_atom_entry *e, cx_error *err)
{
	char uuid[64], now[CX_ATOM_TIME_SIZE];
	const char *updated = e->updated;
	xmlNodePtr n;
	cx_status st;
	size_t i;

	if (e->id == NULL) {
		if ((st = new_uuid_urn(uuid, sizeof(uuid), err)) != CX_OK)
			return st;
	}
	if ((st = cxi_px_add(NULL, entry, NULL, "id",
			     e->id != NULL ? e->id : uuid, err)) != CX_OK)
		return st;
	if ((st = add_construct(entry, "title", &e->title, 0, err)) != CX_OK)
		return st;
	if (e->author.name != NULL) {
		if ((st = cxi_px_add(&n, entry, NULL, "author", NULL, err)) != CX_OK ||
		    (st = cxi_px_add(NULL, n, NULL, "name", e->author.name,
				     err)) != CX_OK)
			return st;
		if (e->author.email != NULL &&
		    (st = cxi_px_add(NULL, n, NULL, "email", e->author.email,
				     err)) != CX_OK)
			return st;
		if (e->author.uri != NULL &&
		    (st = cxi_px_add(NULL, n, NULL, "uri", e->author.uri,
				     err)) != CX_OK)
			return st;
	}
	if ((st = add_time(entry, "published", e->published, err)) != CX_OK)
		return st;
	if (updated == NULL) {
		if ((st = cx_atom_time_format(now, sizeof(now),
					      (int64_t)time(NULL))) != CX_OK)
			return cxi_error_set(err, st, "clock out of range");
		updated = now;
	}
	if ((st = add_time(entry, "updated", updated, err)) != CX_OK)
		return st;
	for (i = 0; i < e->n_links; i++) {
		const cx_atom_link *l = &e->links[i];

		if ((st = cxi_px_add(&n, entry, NULL, "link", NULL, err)) != CX_OK ||
		    (st = cxi_px_set(n, "href", l->href, err)) != CX_OK ||
		    (st = cxi_px_set(n, "rel", l->rel, err)) != CX_OK ||
		    (st = cxi_px_set(n, "type", l->type, err)) != CX_OK ||
		    (st = cxi_px_set(n, "title", l->title, err)) != CX_OK)
			return st;
	}
	for (i = 0; i < e->n_categories; i++) {
		const cx_atom_category *c = &e->categories[i];

		if ((st = cxi_px_add(&n, entry, NULL, "category", NULL,
				     err)) != CX_OK ||
		    (st = cxi_px_set(n, "term", c->term, err)) != CX_OK ||
		    (st = cxi_px_set(n, "scheme", c->scheme, err)) != CX_OK ||
		    (st = cxi_px_set(n, "label", c->label, err)) != CX_OK)
			return st;
	}
	if ((st = add_construct(entry, "summary", &e->summary, 0, err)) != CX_OK)
		return st;
	return add_construct(entry, "content", &e->content, 1, err);
}

/* What RFC 4287 requires of an entry, checked before writing. */
static cx_status
check_entry(const cx_atom_entry *e, cx_error *err)
{
	size_t i;

	if (e->version != CX_ATOM_ENTRY_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_atom_entry version %u, expected %u",
				     e->version, CX_ATOM_ENTRY_VERSION);
	if (e->title.value == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "an entry needs a title");
	if (e->id != NULL && *e->id == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "empty entry id");
	if (e->author.name == NULL &&
	    (e->author.email != NULL || e->author.uri != NULL))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "an author needs a name");
	if ((e->n_links > 0 && e->links == NULL) ||
	    (e->n_categories > 0 && e->categories == NULL))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "links or categories counted but absent");
	for (i = 0; i < e->n_links; i++)
		if (e->links[i].href == NULL || *e->links[i].href == '\0')
			return cxi_error_set(err, CX_ERR_INVALID,
					     "link %zu has no href", i);
	for (i = 0; i < e->n_categories; i++)
		if (e->categories[i].term == NULL ||
		    *e->categories[i].term == '\0')
			return cxi_error_set(err, CX_ERR_INVALID,
					     "category %zu has no term", i);
	return CX_OK;
}

cx_status
cx_atom_entry_build(xmlNodePtr *out, const cx_atom_entry *e, cx_error *err)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr entry;
	xmlNsPtr ns;
	cx_status st;

	if (out == NULL || e == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no entry or output");
	*out = NULL;
	if ((st = check_entry(e, err)) != CX_OK)
		return st;
	if ((doc = xmlNewDoc(BAD_CAST "1.0")) == NULL ||
	    (entry = xmlNewDocNode(doc, NULL, BAD_CAST "entry", NULL)) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	xmlDocSetRootElement(doc, entry);
	if ((ns = xmlNewNs(entry, BAD_CAST CX_NS_ATOM, NULL)) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	xmlSetNs(entry, ns);
	if ((st = build_body(entry, e, err)) != CX_OK)
		goto out;
	*out = entry;
	doc = NULL;
out:
	if (doc != NULL)
		xmlFreeDoc(doc);
	return st;
}

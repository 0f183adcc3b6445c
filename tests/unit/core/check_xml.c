/* Unit tests for lib/core/xml: the stream parser and the serializer. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "lib/core/buf.h"
#include "lib/core/xml.h"
#include "tests/unit/testutil.h"

#define HDR                                                                  \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "         \
	"xmlns:stream='http://etherx.jabber.org/streams' from='example.org' " \
	"id='s1' version='1.0'>"

#define MAX_KEEP 32

/* What the callbacks saw. */
struct col {
	cxi_xml_parser *p;
	cxi_buf out;         /* serialized stanzas, one per line */
	int nstanzas;
	int starts;
	int ends;
	char default_ns[64];
	char attrs[512];     /* "prefix:name=value;" of the stream header */
	bool keep;           /* keep the docs instead of freeing them */
	xmlDocPtr docs[MAX_KEEP];
	const char *stop_on; /* local name of a stanza that stops the feed */
	bool stop_on_start;  /* stop after the stream header */
	bool try_reentry;    /* call reset/feed from the callback */
	cx_status reentry_reset;
	cx_status reentry_feed;
};

static void
col_start(void *arg, const char *default_ns, const cxi_xml_attr *attrs,
	  size_t nattrs)
{
	struct col *c = arg;
	size_t i, n;

	c->starts++;
	snprintf(c->default_ns, sizeof(c->default_ns), "%s",
		 default_ns != NULL ? default_ns : "(null)");
	c->attrs[0] = '\0';
	for (i = 0; i < nattrs; i++) {
		n = strlen(c->attrs);
		snprintf(c->attrs + n, sizeof(c->attrs) - n, "%s%s%s=%s;",
			 attrs[i].prefix != NULL ? attrs[i].prefix : "",
			 attrs[i].prefix != NULL ? ":" : "", attrs[i].name,
			 attrs[i].value);
	}
	if (c->stop_on_start)
		cxi_xml_parser_stop(c->p);
}

static void
col_element(void *arg, xmlNodePtr elem)
{
	struct col *c = arg;
	cx_error err = CX_ERROR_INIT;

	ck_assert_ptr_nonnull(elem);
	ck_assert_ptr_eq(elem->doc->children, elem);
	ck_assert_int_eq(cxi_xml_serialize(&c->out, elem, CXI_NS_CLIENT),
			 CX_OK);
	ck_assert_int_eq(cxi_buf_append(&c->out, "\n", 1), CX_OK);
	if (c->try_reentry) {
		c->reentry_reset = cxi_xml_parser_reset(c->p, &err);
		c->reentry_feed = cxi_xml_parser_feed(c->p, "<a/>", 4, NULL,
						      &err);
	}
	if (c->stop_on != NULL && strcmp((const char *)elem->name,
					 c->stop_on) == 0)
		cxi_xml_parser_stop(c->p);
	if (c->keep && c->nstanzas < MAX_KEEP)
		c->docs[c->nstanzas] = elem->doc;
	else
		xmlFreeDoc(elem->doc);
	c->nstanzas++;
}

static void
col_end(void *arg)
{
	struct col *c = arg;

	c->ends++;
}

static const cxi_xml_callbacks col_cb = { col_start, col_element, col_end };

static void
col_init(struct col *c, const cxi_xml_limits *lim)
{
	cx_error err = CX_ERROR_INIT;

	memset(c, 0, sizeof(*c));
	cxi_buf_init(&c->out);
	ck_assert_int_eq(cxi_xml_parser_new(&c->p, lim, &col_cb, c, &err),
			 CX_OK);
}

static void
col_free(struct col *c)
{
	int i;

	for (i = 0; i < MAX_KEEP; i++)
		if (c->docs[i] != NULL)
			xmlFreeDoc(c->docs[i]);
	cxi_xml_parser_free(c->p);
	cxi_buf_free(&c->out);
}

static char *
col_text(struct col *c)
{
	char *s = cxi_buf_strdup(&c->out);

	ck_assert_ptr_nonnull(s);
	return s;
}

static char *
load(const char *name, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	f = fopen(cxt_data_path(path, sizeof(path), name), "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	ck_assert_int_ge(n, 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Feeds data in pieces of `step` bytes (0: all at once); every piece must be
 * consumed whole unless an error occurs. Returns the first error. */
static cx_status
feed_steps(struct col *c, const char *data, size_t len, size_t step,
	   cx_error *err)
{
	size_t off = 0, n, used;
	cx_status st;

	if (step == 0)
		step = len > 0 ? len : 1;
	while (off < len) {
		n = len - off < step ? len - off : step;
		st = cxi_xml_parser_feed(c->p, data + off, n, &used, err);
		if (st != CX_OK)
			return st;
		ck_assert_uint_eq(used, n);
		off += n;
	}
	return CX_OK;
}

/* The element of a kept doc, by stanza index. */
static xmlNodePtr
kept(struct col *c, int i)
{
	ck_assert_int_lt(i, c->nstanzas);
	ck_assert_ptr_nonnull(c->docs[i]);
	return xmlDocGetRootElement(c->docs[i]);
}

static xmlNodePtr
child(xmlNodePtr n, const char *name)
{
	for (n = n->children; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)n->name, name) == 0)
			return n;
	ck_abort_msg("no child <%s>", name);
	return NULL;
}

static void
assert_ns(xmlNodePtr n, const char *href)
{
	ck_assert_msg(n->ns != NULL, "<%s> has no namespace", n->name);
	ck_assert_str_eq((const char *)n->ns->href, href);
}

static char *
content(xmlNodePtr n)
{
	return (char *)xmlNodeGetContent(n);
}

static void
assert_content(xmlNodePtr n, const char *want)
{
	char *s = content(n);

	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, want);
	xmlFree(s);
}

static void
assert_prop(xmlNodePtr n, const char *name, const char *ns, const char *want)
{
	xmlChar *v = ns != NULL ?
		xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) :
		xmlGetNoNsProp(n, BAD_CAST name);

	ck_assert_msg(v != NULL, "<%s> lacks attribute %s", n->name, name);
	ck_assert_str_eq((const char *)v, want);
	xmlFree(v);
}

/* Structural equality: names, namespaces, attributes, text. */
static bool
tree_equal(xmlNodePtr a, xmlNodePtr b)
{
	xmlAttrPtr x, y;
	xmlChar *va, *vb;
	bool eq;

	for (; a != NULL && b != NULL; a = a->next, b = b->next) {
		if (a->type != b->type)
			return false;
		if (a->type == XML_TEXT_NODE) {
			if (!xmlStrEqual(a->content, b->content))
				return false;
			continue;
		}
		if (!xmlStrEqual(a->name, b->name))
			return false;
		if ((a->ns == NULL) != (b->ns == NULL))
			return false;
		if (a->ns != NULL && !xmlStrEqual(a->ns->href, b->ns->href))
			return false;
		for (x = a->properties, y = b->properties; x && y;
		     x = x->next, y = y->next) {
			if (!xmlStrEqual(x->name, y->name))
				return false;
			if ((x->ns == NULL) != (y->ns == NULL))
				return false;
			if (x->ns != NULL &&
			    !xmlStrEqual(x->ns->href, y->ns->href))
				return false;
			va = xmlNodeGetContent((xmlNodePtr)x);
			vb = xmlNodeGetContent((xmlNodePtr)y);
			eq = xmlStrEqual(va, vb);
			xmlFree(va);
			xmlFree(vb);
			if (!eq)
				return false;
		}
		if (x != NULL || y != NULL)
			return false;
		if (!tree_equal(a->children, b->children))
			return false;
	}
	return a == NULL && b == NULL;
}

static long
maxrss_kib(void)
{
	struct rusage ru;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* ---- stream: a whole session ----------------------------------------- */

START_TEST(test_xml_stream_session)
{
	struct col c;
	cx_error err = CX_ERROR_INIT;
	size_t len;
	char *data = load("xml/session.xml", &len);
	xmlNodePtr e, q, it, b, h;

	col_init(&c, NULL);
	c.keep = true;
	ck_assert_int_eq(feed_steps(&c, data, len, 0, &err), CX_OK);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_int_eq(c.ends, 1);
	ck_assert_int_eq(c.nstanzas, 11);
	ck_assert_str_eq(c.default_ns, CXI_NS_CLIENT);
	ck_assert_str_eq(c.attrs, "id=c2s-4f2a9b1e;from=example.org;"
				  "version=1.0;xml:lang=en;");

	/* <stream:features>: the stream: prefix from the header resolves */
	e = kept(&c, 0);
	ck_assert_str_eq((const char *)e->name, "features");
	assert_ns(e, CXI_NS_STREAM);
	ck_assert_str_eq((const char *)e->ns->prefix, "stream");
	assert_ns(child(e, "bind"), "urn:ietf:params:xml:ns:xmpp-bind");
	assert_ns(child(child(e, "session"), "optional"),
		  "urn:ietf:params:xml:ns:xmpp-session");

	/* the default namespace is inherited from the header */
	e = kept(&c, 1);
	ck_assert_str_eq((const char *)e->name, "iq");
	assert_ns(e, CXI_NS_CLIENT);
	ck_assert_ptr_null(e->ns->prefix);
	assert_content(child(child(e, "bind"), "jid"),
		       "alice@example.org/balcony");

	/* entities in attributes and text are decoded */
	e = kept(&c, 2);
	q = child(e, "query");
	assert_ns(q, "jabber:iq:roster");
	it = child(q, "item");
	assert_ns(it, "jabber:iq:roster");
	assert_prop(it, "name", NULL,
		    "Bob & Co <Ltd> \"quoted\" 'x'");
	assert_content(it->children->next, "Work & Play");
	assert_prop(it->next, "jid", NULL, "j\xc3\xbcrgen@example.de");
	assert_prop(it->next, "name", NULL,
		    "J\xc3\xbcrgen M\xc3\xbcller \"the > one\"");
	/* attribute-value normalization turns a tab into a space */
	assert_prop(it->next->next, "name", NULL, "tab here");

	/* xml:lang is in the XML namespace */
	e = kept(&c, 3);
	ck_assert_str_eq((const char *)e->name, "presence");
	assert_prop(e, "lang", CXI_NS_XML, "de");
	assert_content(child(e, "status"),
		       "Bin gleich zur\xc3\xbc" "ck \xe2\x80\x94 5 min");
	assert_ns(child(e, "show"), CXI_NS_CLIENT);

	e = kept(&c, 4);
	b = child(e, "body");
	assert_ns(b, CXI_NS_CLIENT);
	assert_content(b, "if (a < b && c > d) return \"x\"; // caf\xc3\xa9 "
			  "\xc3\xa9 \xf0\x9d\x84\x9e &");
	h = child(child(e, "html"), "body");
	assert_ns(h, "http://www.w3.org/1999/xhtml");
	assert_ns(child(child(h, "p"), "em"), "http://www.w3.org/1999/xhtml");
	assert_ns(child(e, "active"), "http://jabber.org/protocol/chatstates");

	e = kept(&c, 5);
	it = child(child(child(e, "event"), "items"), "item");
	assert_ns(it, "http://jabber.org/protocol/pubsub#event");
	assert_ns(child(it, "entry"), "http://www.w3.org/2005/Atom");
	assert_prop(child(child(it, "entry"), "link"), "href", NULL,
		    "http://denmark.lit/2003/12/13/atom03?a=1&b=2");

	/* CDATA is text; prefixed payload namespaces and attributes */
	e = kept(&c, 7);
	assert_content(child(e, "body"),
		       "raw <b>cdata</b> & stuff ]] > \xc3\xa9");
	q = child(e, "data");
	assert_ns(q, "jabber:x:data");
	ck_assert_str_eq((const char *)q->ns->prefix, "x");
	assert_prop(q, "type", "jabber:x:data", "form");
	assert_ns(child(q, "field"), "jabber:x:data");

	/* CR LF in text is normalized to LF by the XML parser */
	e = kept(&c, 8);
	q = child(child(e, "error"), "text");
	assert_content(q, "Line one\nLine\ttwo\n  indented");
	assert_prop(q, "lang", CXI_NS_XML, "en");

	e = kept(&c, 10);
	ck_assert_str_eq((const char *)e->name, "error");
	assert_ns(e, CXI_NS_STREAM);
	assert_ns(child(e, "conflict"), "urn:ietf:params:xml:ns:xmpp-streams");

	col_free(&c);
	free(data);
}
END_TEST

/* Serialized stanzas, one per line, of `data` fed whole. */
static char *
reference_run(const char *data, size_t len, int *nstanzas)
{
	struct col c;
	cx_error err = CX_ERROR_INIT;
	char *s;

	col_init(&c, NULL);
	ck_assert_int_eq(feed_steps(&c, data, len, 0, &err), CX_OK);
	*nstanzas = c.nstanzas;
	ck_assert_int_eq(c.ends, 1);
	s = col_text(&c);
	col_free(&c);
	return s;
}

/* Namespace names with '&' (libxml2 hands them over as "&#38;"): the
 * element is in the decoded namespace, and serializing and parsing again
 * keeps it there. Found by tests/fuzz/fuzz_xml and fuzz_stanza. */
START_TEST(test_xml_stream_namespace_ampersand)
{
	static const char in[] = HDR
		"<message><x xmlns='urn:x:u&amp;v' xmlns:p='http://e.example/a?b&amp;c' p:k='1'>"
		"<p:y/></x></message>";
	struct col c, again;
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr x, y;
	char *out, *second;
	cxi_buf in2 = CXI_BUF_INIT;

	col_init(&c, NULL);
	c.keep = 1;
	ck_assert_int_eq(feed_steps(&c, in, sizeof(in) - 1, 0, &err), CX_OK);
	ck_assert_int_eq(c.nstanzas, 1);
	x = child(kept(&c, 0), "x");
	assert_ns(x, "urn:x:u&v");
	y = child(x, "y");
	assert_ns(y, "http://e.example/a?b&c");
	ck_assert_ptr_nonnull(x->properties);
	ck_assert_ptr_nonnull(x->properties->ns);
	ck_assert_str_eq((const char *)x->properties->ns->href,
			 "http://e.example/a?b&c");

	/* the serialized form escapes '&' once, and parses to the same */
	out = col_text(&c);
	ck_assert_ptr_null(strstr(out, "#38;"));
	ck_assert_int_eq(cxi_buf_append_str(&in2, HDR), CX_OK);
	ck_assert_int_eq(cxi_buf_append_str(&in2, out), CX_OK);
	col_init(&again, NULL);
	ck_assert_int_eq(feed_steps(&again, (const char *)cxi_buf_head(&in2),
				    cxi_buf_size(&in2), 1, &err), CX_OK);
	second = col_text(&again);
	ck_assert_str_eq(second, out);
	free(out);
	free(second);
	cxi_buf_free(&in2);
	col_free(&again);
	col_free(&c);
}
END_TEST

START_TEST(test_xml_stream_split_every_offset)
{
	cx_error err = CX_ERROR_INIT;
	size_t len, k, used;
	char *data = load("xml/session.xml", &len);
	int nref;
	char *ref = reference_run(data, len, &nref);
	struct col c;
	char *got;

	ck_assert_int_eq(nref, 11);
	col_init(&c, NULL);
	for (k = 1; k < len; k++) {
		cxi_buf_reset(&c.out);
		c.nstanzas = c.starts = c.ends = 0;
		ck_assert_int_eq(cxi_xml_parser_reset(c.p, &err), CX_OK);
		ck_assert_int_eq(cxi_xml_parser_feed(c.p, data, k, &used, &err),
				 CX_OK);
		ck_assert_uint_eq(used, k);
		ck_assert_int_eq(cxi_xml_parser_feed(c.p, data + k, len - k,
						     &used, &err),
				 CX_OK);
		ck_assert_uint_eq(used, len - k);
		ck_assert_int_eq(c.starts, 1);
		ck_assert_int_eq(c.ends, 1);
		got = col_text(&c);
		ck_assert_msg(strcmp(got, ref) == 0, "split at %zu differs",
			      k);
		free(got);
	}
	col_free(&c);
	free(ref);
	free(data);
}
END_TEST

START_TEST(test_xml_stream_small_chunks)
{
	static const size_t steps[] = { 1, 2, 3, 5, 7, 64, 4096 };
	cx_error err = CX_ERROR_INIT;
	size_t len, i;
	char *data = load("xml/session.xml", &len);
	int nref;
	char *ref = reference_run(data, len, &nref);
	struct col c;
	char *got;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		col_init(&c, NULL);
		ck_assert_int_eq(feed_steps(&c, data, len, steps[i], &err),
				 CX_OK);
		ck_assert_int_eq(c.nstanzas, nref);
		got = col_text(&c);
		ck_assert_msg(strcmp(got, ref) == 0, "step %zu differs",
			      steps[i]);
		free(got);
		col_free(&c);
	}
	free(ref);
	free(data);
}
END_TEST

START_TEST(test_xml_stream_keepalives)
{
	/* 8 MiB of whitespace keepalives between stanzas, with a 1 KiB
	 * stanza limit: whitespace never counts towards a stanza and is not
	 * buffered. */
	static const cxi_xml_limits lim = { 1024, 0, 0, 0 };
	cx_error err = CX_ERROR_INIT;
	struct col c;
	char ws[4096];
	long before;
	int i;

	memset(ws, ' ', sizeof(ws));
	ws[100] = '\n';
	ws[2000] = '\t';
	ws[3000] = '\r';
	col_init(&c, &lim);
	ck_assert_int_eq(feed_steps(&c, HDR, strlen(HDR), 0, &err), CX_OK);
	before = maxrss_kib();
	for (i = 0; i < 2048; i++) {
		ck_assert_int_eq(feed_steps(&c, ws, sizeof(ws), 0, &err),
				 CX_OK);
		if (i % 256 == 0)
			ck_assert_int_eq(feed_steps(&c, "<r xmlns='urn:xmpp:sm:3'/>",
						    26, 0, &err),
					 CX_OK);
	}
	ck_assert_int_eq(c.nstanzas, 8);
	ck_assert_int_lt(maxrss_kib() - before, 4096);
	col_free(&c);
}
END_TEST

/* Outcome of one run: serialized events, status and condition. */
struct outcome {
	char *events;
	cx_status status;
	char cond[64];
};

static unsigned long rng_state;

static unsigned
rng(void)
{
	rng_state = rng_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)(rng_state >> 33);
}

/* mode 0: whole; 1: byte by byte; 2: random pieces of 1..17 bytes */
static void
run_outcome(const char *d, size_t n, int mode, struct outcome *o)
{
	struct col c;
	cx_error err = CX_ERROR_INIT;
	size_t off = 0, k, used;
	cx_status st = CX_OK;

	col_init(&c, NULL);
	while (off < n) {
		k = mode == 0 ? n - off : mode == 1 ? 1 : 1 + rng() % 17;
		if (k > n - off)
			k = n - off;
		st = cxi_xml_parser_feed(c.p, d + off, k, &used, &err);
		if (st != CX_OK)
			break;
		ck_assert_uint_eq(used, k);
		off += k;
	}
	ck_assert_int_eq(cxi_buf_printf(&c.out, "starts=%d ends=%d", c.starts,
					c.ends),
			 CX_OK);
	o->events = col_text(&c);
	o->status = st;
	snprintf(o->cond, sizeof(o->cond), "%s", st != CX_OK ? err.condition : "");
	col_free(&c);
}

START_TEST(test_xml_stream_chunking_invariant)
{
	/* Mutated transcripts, fed whole, byte by byte and in random pieces,
	 * give the same stanzas and the same verdict. */
	static const char *const toks[] = {
		"<", ">", "/", "&", ";", "'", "\"", "&amp;", "<!--", "]]>",
		"<![CDATA[", "\xc3", "\x80", "\xef\xbf\xbe", "<?", "?>",
		"xmlns='urn:x'", "xmlns:a='b'", "a:", " ", "\r", "</a>", "<a>",
		"&#0;", "&#x41;", "=", "stream:", "\xf0\x9f", "\x9f\x98\x80"
	};
	size_t len, n, pos, k, tl;
	char *data = load("xml/session.xml", &len);
	char *buf = malloc(len + 1024);
	struct outcome o[3];
	int it, m, nm, mode, ok = 0;

	ck_assert_ptr_nonnull(buf);
	rng_state = 20261122;
	for (it = 0; it < 600; it++) {
		memcpy(buf, data, len);
		n = len;
		nm = 1 + (int)(rng() % 3);
		for (m = 0; m < nm; m++) {
			/* after the header, so most runs get somewhere */
			pos = 180 + rng() % (n - 180);
			if (rng() % 3 == 0) {
				k = 1 + rng() % 8;
				if (pos + k > n)
					k = n - pos;
				memmove(buf + pos, buf + pos + k, n - pos - k);
				n -= k;
			} else {
				const char *t = toks[rng() % (sizeof(toks) /
							      sizeof(toks[0]))];
				tl = strlen(t);
				memmove(buf + pos + tl, buf + pos, n - pos);
				memcpy(buf + pos, t, tl);
				n += tl;
			}
		}
		for (mode = 0; mode < 3; mode++)
			run_outcome(buf, n, mode, &o[mode]);
		for (mode = 1; mode < 3; mode++) {
			ck_assert_msg(o[mode].status == o[0].status &&
				      strcmp(o[mode].cond, o[0].cond) == 0 &&
				      strcmp(o[mode].events, o[0].events) == 0,
				      "iteration %d mode %d: %d/%s vs %d/%s", it,
				      mode, o[mode].status, o[mode].cond,
				      o[0].status, o[0].cond);
		}
		ok += o[0].status == CX_OK;
		for (mode = 0; mode < 3; mode++)
			free(o[mode].events);
	}
	/* the mutations leave some inputs valid, most not */
	ck_assert_int_gt(ok, 20);
	ck_assert_int_lt(ok, 300);
	free(buf);
	free(data);
}
END_TEST

/* ---- bad input: one table -------------------------------------------- */

struct bad_case {
	const char *name;
	const char *input; /* appended to HDR unless it starts with '!' */
	size_t len;        /* 0: strlen */
	cx_status status;
	const char *cond;
};

#define RESTR CX_ERR_XML_RESTRICTED, "restricted-xml"
#define WF CX_ERR_XML_MALFORMED, "not-well-formed"
#define BADF CX_ERR_XML_MALFORMED, "bad-format"
#define ENC CX_ERR_XML_ENCODING, "not-well-formed"
#define NSWF CX_ERR_XML_NAMESPACE, "not-well-formed"
#define NSINV CX_ERR_XML_NAMESPACE, "invalid-namespace"

static const struct bad_case bad_cases[] = {
	/* restricted XML (RFC 6120 section 11.1) */
	{ "doctype with internal subset",
	  "!<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x 'yyyy'>]>"
	  "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>",
	  0, RESTR },
	{ "doctype first", "!<!DOCTYPE stream:stream SYSTEM 'file:///etc/passwd'>",
	  0, RESTR },
	{ "entity in text", "<message><body>&foo;</body></message>", 0, RESTR },
	{ "entity in attribute", "<message to='&foo;'/>", 0, RESTR },
	{ "long entity name", "<message><body>&xxxxxxxxxxxx;</body></message>",
	  0, RESTR },
	{ "non-ascii entity name", "<message><body>&\xc3\xa9;</body></message>",
	  0, RESTR },
	{ "pi in stanza", "<message><?php echo 1; ?></message>", 0, RESTR },
	{ "pi between stanzas", "<?foo bar?>", 0, RESTR },
	{ "pi in prolog",
	  "!<?xml-stylesheet href='a'?><stream:stream "
	  "xmlns:stream='http://etherx.jabber.org/streams'>", 0, RESTR },
	{ "comment in stanza", "<message><!-- hi --></message>", 0, RESTR },
	{ "comment between stanzas", "<!-- keepalive -->", 0, RESTR },
	{ "comment in prolog", "!<?xml version='1.0'?><!-- x -->", 0, RESTR },
	{ "second xml declaration", "<?xml version='1.0'?>", 0, RESTR },
	{ "xml declaration after space", "! <?xml version='1.0'?>", 0, RESTR },
	/* not XMPP */
	{ "nested stream",
	  "<stream:stream xmlns='jabber:client' "
	  "xmlns:stream='http://etherx.jabber.org/streams'>", 0, BADF },
	{ "text at stream level", "hello", 0, BADF },
	{ "reference at stream level", "&amp;", 0, BADF },
	{ "cdata at stream level", "<![CDATA[x]]>", 0, BADF },
	{ "wrong root name",
	  "!<stream:foo xmlns:stream='http://etherx.jabber.org/streams'>", 0,
	  BADF },
	/* encoding and characters */
	{ "char ref nul", "<message><body>&#0;</body></message>", 0, ENC },
	{ "char ref fffe", "<message><body>&#xFFFE;</body></message>", 0, ENC },
	{ "char ref surrogate", "<message><body>&#xD800;</body></message>", 0,
	  ENC },
	{ "char ref control", "<message><body>&#1;</body></message>", 0, ENC },
	{ "char ref in attribute", "<message to='&#x0;'/>", 0, ENC },
	{ "raw nul", "<message><body>a\0b</body></message>", 32, ENC },
	{ "raw nul in tag", "<mess\0age/>", 11, ENC },
	{ "raw control", "<message><body>a\x01" "b</body></message>", 0, ENC },
	{ "raw escape in attribute", "<message to='a\x1b'/>", 0, ENC },
	{ "raw fffe", "<message><body>\xef\xbf\xbe</body></message>", 0, ENC },
	{ "raw ffff", "<message><body>\xef\xbf\xbf</body></message>", 0, ENC },
	{ "bad continuation", "<message><body>\xc3\x28</body></message>", 0,
	  ENC },
	{ "overlong slash", "<message><body>\xc0\xaf</body></message>", 0, ENC },
	{ "overlong 3 bytes", "<message><body>\xe0\x80\xaf</body></message>", 0,
	  ENC },
	{ "surrogate", "<message><body>\xed\xa0\x80</body></message>", 0, ENC },
	{ "beyond U+10FFFF", "<message><body>\xf4\x90\x80\x80</body></message>",
	  0, ENC },
	{ "lead f5", "<message><body>\xf5\x80\x80\x80</body></message>", 0,
	  ENC },
	{ "lone continuation", "<message><body>\x80</body></message>", 0, ENC },
	{ "truncated sequence", "<message><body>\xe2\x82</body></message>", 0,
	  ENC },
	{ "invalid in attribute", "<message to='\xff'/>", 0, ENC },
	{ "invalid in name", "<mess\xc3" "age/>", 0, ENC },
	{ "utf-16 bom", "!\xff\xfe<\0s\0", 6, ENC },
	{ "latin-1 despite declaration",
	  "!<?xml version='1.0' encoding='ISO-8859-1'?>"
	  "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
	  "xmlns='jabber:client'><message><body>caf\xe9</body></message>", 0,
	  ENC },
	/* well-formedness */
	{ "mismatched end tag", "<message><body>x</bdy></message>", 0, WF },
	{ "duplicate attribute", "<message to='a' to='b'/>", 0, WF },
	{ "unquoted attribute", "<message to=a/>", 0, WF },
	{ "lt in attribute", "<message to='a<b'/>", 0, WF },
	{ "bare ampersand", "<message><body>a & b</body></message>", 0, WF },
	{ "empty reference", "<message><body>a &; b</body></message>", 0, WF },
	{ "cdata end in text", "<message><body>a ]]> b</body></message>", 0,
	  WF },
	{ "bad name", "<1message/>", 0, WF },
	{ "bad markup", "<message><!foo></message>", 0, WF },
	{ "quote in end tag", "<message><b></b'><!-- x --></message>", 0, WF },
	{ "lt in start tag", "<message <body/>", 0, WF },
	{ "lt in end tag", "<message></message<body/>", 0, WF },
	{ "element after stream end", "</stream:stream><message/>", 0, WF },
	{ "text after stream end", "</stream:stream>x", 0, WF },
	{ "end tag first", "!</stream:stream>", 0, WF },
	{ "text before root", "!hello", 0, WF },
	{ "garbage bom", "!\xe2\x82\xac<stream:stream/>", 0, WF },
	/* namespaces */
	{ "undeclared element prefix", "<foo:bar/>", 0, NSWF },
	{ "undeclared attribute prefix", "<message foo:x='1'/>", 0, NSWF },
	{ "undeclared prefix deep", "<message><a><b:c/></a></message>", 0,
	  NSWF },
	{ "wrong stream namespace",
	  "!<stream:stream xmlns:stream='urn:wrong' xmlns='jabber:client'>", 0,
	  NSINV },
	{ "stream without namespace", "!<stream xmlns='jabber:client'>", 0,
	  NSINV },
};

static void
run_bad(const struct bad_case *bc, size_t step, const cxi_xml_limits *lim)
{
	struct col c;
	cx_error err = CX_ERROR_INIT, err2 = CX_ERROR_INIT;
	cxi_buf in = CXI_BUF_INIT;
	size_t len = bc->len != 0 ? bc->len : strlen(bc->input);
	cx_status st;

	if (bc->input[0] == '!') {
		ck_assert_int_eq(cxi_buf_append(&in, bc->input + 1, len - 1),
				 CX_OK);
	} else {
		ck_assert_int_eq(cxi_buf_append_str(&in, HDR), CX_OK);
		ck_assert_int_eq(cxi_buf_append(&in, bc->input, len), CX_OK);
	}
	col_init(&c, lim);
	st = feed_steps(&c, (const char *)cxi_buf_head(&in), cxi_buf_size(&in),
			step, &err);
	ck_assert_msg(st == bc->status,
		      "%s (step %zu): got %d (%s: %s), want %d", bc->name, step,
		      st, err.condition, err.message, bc->status);
	ck_assert_int_eq(err.status, bc->status);
	ck_assert_msg(strcmp(err.condition, bc->cond) == 0,
		      "%s: condition %s, want %s", bc->name, err.condition,
		      bc->cond);
	ck_assert_str_ne(err.message, "");
	/* dead: every later feed reports the same error */
	st = cxi_xml_parser_feed(c.p, "<message/>", 10, NULL, &err2);
	ck_assert_int_eq(st, bc->status);
	ck_assert_str_eq(err2.condition, bc->cond);
	ck_assert_str_eq(err2.message, err.message);
	col_free(&c);
	cxi_buf_free(&in);
}

START_TEST(test_xml_bad_whole)
{
	run_bad(&bad_cases[_i], 0, NULL);
}
END_TEST

START_TEST(test_xml_bad_bytewise)
{
	run_bad(&bad_cases[_i], 1, NULL);
}
END_TEST

/* ---- limits ---------------------------------------------------------- */

START_TEST(test_xml_limits_huge_body)
{
	/* A 100 MB body in 64 KiB chunks is refused after ~256 KiB. */
	static char chunk[65536];
	cx_error err = CX_ERROR_INIT;
	struct col c;
	size_t total = 0, used, fed = 0;
	long before;
	int calls = 0;
	cx_status st = CX_OK;

	memset(chunk, 'a', sizeof(chunk));
	col_init(&c, NULL);
	ck_assert_int_eq(feed_steps(&c, HDR "<message><body>",
				    strlen(HDR "<message><body>"), 0, &err),
			 CX_OK);
	before = maxrss_kib();
	while (fed < 100u * 1000 * 1000) {
		st = cxi_xml_parser_feed(c.p, chunk, sizeof(chunk), &used,
					 &err);
		calls++;
		total += used;
		fed += sizeof(chunk);
		if (st != CX_OK)
			break;
	}
	ck_assert_int_eq(st, CX_ERR_XML_TOO_BIG);
	ck_assert_str_eq(err.condition, "policy-violation");
	/* exact: the limit counts from the '<' of <message> */
	ck_assert_uint_eq(total, 262144 - strlen("<message><body>"));
	ck_assert_uint_lt(total, 512 * 1024);
	ck_assert_int_le(calls, 5);
	ck_assert_int_lt(maxrss_kib() - before, 16 * 1024);
	col_free(&c);
}
END_TEST

/* A stanza of exactly n bytes: <message><body>aaa...</body></message> */
static void
make_stanza(cxi_buf *b, size_t n)
{
	static const char open[] = "<message><body>";
	static const char close[] = "</body></message>";
	size_t fill = n - (sizeof(open) - 1) - (sizeof(close) - 1);

	ck_assert_int_eq(cxi_buf_append_str(b, open), CX_OK);
	ck_assert_int_eq(cxi_buf_reserve(b, fill), CX_OK);
	memset(b->data + b->len, 'x', fill);
	b->len += fill;
	ck_assert_int_eq(cxi_buf_append_str(b, close), CX_OK);
}

START_TEST(test_xml_limits_stanza_bytes_exact)
{
	static const cxi_xml_limits lim = { 1000, 0, 0, 0 };
	cx_error err = CX_ERROR_INIT;
	cxi_buf in = CXI_BUF_INIT;
	struct col c;
	int i;

	ck_assert_int_eq(cxi_buf_append_str(&in, HDR), CX_OK);
	for (i = 0; i < 50; i++) {
		ck_assert_int_eq(cxi_buf_append_str(&in, "  \n  "), CX_OK);
		make_stanza(&in, 1000);
	}
	col_init(&c, &lim);
	ck_assert_int_eq(feed_steps(&c, (char *)cxi_buf_head(&in),
				    cxi_buf_size(&in), 7, &err),
			 CX_OK);
	ck_assert_int_eq(c.nstanzas, 50);
	col_free(&c);

	cxi_buf_reset(&in);
	ck_assert_int_eq(cxi_buf_append_str(&in, HDR), CX_OK);
	make_stanza(&in, 1001);
	col_init(&c, &lim);
	ck_assert_int_eq(feed_steps(&c, (char *)cxi_buf_head(&in),
				    cxi_buf_size(&in), 0, &err),
			 CX_ERR_XML_TOO_BIG);
	ck_assert_int_eq(c.nstanzas, 0);
	col_free(&c);
	cxi_buf_free(&in);
}
END_TEST

START_TEST(test_xml_limits_unterminated_tag)
{
	/* An endless attribute value (libxml2 would buffer it all waiting
	 * for '>') and an endless stream header are cut off too. */
	static const cxi_xml_limits lim = { 4096, 0, 0, 0 };
	cx_error err = CX_ERROR_INIT;
	char chunk[1024];
	struct col c;
	size_t total = 0, used;
	cx_status st = CX_OK;
	int i;

	memset(chunk, 'a', sizeof(chunk));
	col_init(&c, &lim);
	ck_assert_int_eq(feed_steps(&c, HDR "<message to='", strlen(HDR) + 13,
				    0, &err),
			 CX_OK);
	for (i = 0; i < 100 && st == CX_OK; i++) {
		st = cxi_xml_parser_feed(c.p, chunk, sizeof(chunk), &used,
					 &err);
		total += used;
	}
	ck_assert_int_eq(st, CX_ERR_XML_TOO_BIG);
	ck_assert_uint_eq(total, 4096 - 13);
	col_free(&c);

	col_init(&c, &lim);
	st = feed_steps(&c, "<stream:stream a='", 18, 0, &err);
	ck_assert_int_eq(st, CX_OK);
	for (i = 0; i < 100 && st == CX_OK; i++)
		st = cxi_xml_parser_feed(c.p, chunk, sizeof(chunk), NULL, &err);
	ck_assert_int_eq(st, CX_ERR_XML_TOO_BIG);
	ck_assert_int_eq(c.starts, 0);
	col_free(&c);
}
END_TEST

/* HDR + a stanza nesting `levels` elements (the stanza is level 1). */
static cx_status
run_depth(unsigned levels, const cxi_xml_limits *lim, struct col *c)
{
	cx_error err = CX_ERROR_INIT;
	cxi_buf in = CXI_BUF_INIT;
	unsigned i;
	cx_status st;

	ck_assert_int_eq(cxi_buf_append_str(&in, HDR), CX_OK);
	for (i = 0; i < levels; i++)
		ck_assert_int_eq(cxi_buf_append_str(&in, "<a>"), CX_OK);
	for (i = 0; i < levels; i++)
		ck_assert_int_eq(cxi_buf_append_str(&in, "</a>"), CX_OK);
	col_init(c, lim);
	st = feed_steps(c, (char *)cxi_buf_head(&in), cxi_buf_size(&in), 0,
			&err);
	if (st != CX_OK)
		ck_assert_str_eq(err.condition, "policy-violation");
	cxi_buf_free(&in);
	return st;
}

START_TEST(test_xml_limits_depth)
{
	static const cxi_xml_limits small = { 0, 5, 0, 0 };
	struct col c;

	ck_assert_int_eq(run_depth(64, NULL, &c), CX_OK);
	ck_assert_int_eq(c.nstanzas, 1);
	col_free(&c);
	ck_assert_int_eq(run_depth(65, NULL, &c), CX_ERR_XML_TOO_DEEP);
	ck_assert_int_eq(c.nstanzas, 0);
	col_free(&c);
	ck_assert_int_eq(run_depth(5, &small, &c), CX_OK);
	col_free(&c);
	ck_assert_int_eq(run_depth(6, &small, &c), CX_ERR_XML_TOO_DEEP);
	col_free(&c);
	ck_assert_int_eq(run_depth(100000, NULL, &c), CX_ERR_XML_TOO_DEEP);
	col_free(&c);
}
END_TEST

static cx_status
run_attrs(unsigned nattrs, unsigned nxmlns, struct col *c)
{
	cx_error err = CX_ERROR_INIT;
	cxi_buf in = CXI_BUF_INIT;
	unsigned i;
	cx_status st;

	ck_assert_int_eq(cxi_buf_append_str(&in, HDR "<message"), CX_OK);
	for (i = 0; i < nattrs; i++)
		ck_assert_int_eq(cxi_buf_printf(&in, " a%u='%u'", i, i), CX_OK);
	for (i = 0; i < nxmlns; i++)
		ck_assert_int_eq(cxi_buf_printf(&in, " xmlns:p%u='urn:%u'", i, i),
				 CX_OK);
	ck_assert_int_eq(cxi_buf_append_str(&in, "/>"), CX_OK);
	col_init(c, NULL);
	st = feed_steps(c, (char *)cxi_buf_head(&in), cxi_buf_size(&in), 0,
			&err);
	if (st != CX_OK)
		ck_assert_str_eq(err.condition, "policy-violation");
	cxi_buf_free(&in);
	return st;
}

START_TEST(test_xml_limits_attrs)
{
	struct col c;

	ck_assert_int_eq(run_attrs(64, 0, &c), CX_OK);
	ck_assert_int_eq(c.nstanzas, 1);
	col_free(&c);
	ck_assert_int_eq(run_attrs(65, 0, &c), CX_ERR_XML_TOO_MANY);
	col_free(&c);
	ck_assert_int_eq(run_attrs(62, 2, &c), CX_OK);
	col_free(&c);
	ck_assert_int_eq(run_attrs(63, 2, &c), CX_ERR_XML_TOO_MANY);
	col_free(&c);
	ck_assert_int_eq(run_attrs(5000, 0, &c), CX_ERR_XML_TOO_MANY);
	ck_assert_int_eq(c.nstanzas, 0);
	col_free(&c);
}
END_TEST

static cx_status
run_children(unsigned n, struct col *c)
{
	cx_error err = CX_ERROR_INIT;
	cxi_buf in = CXI_BUF_INIT;
	unsigned i;
	cx_status st;

	ck_assert_int_eq(cxi_buf_append_str(&in, HDR "<iq>"), CX_OK);
	for (i = 1; i < n; i++)
		ck_assert_int_eq(cxi_buf_append_str(&in, "<a/>"), CX_OK);
	ck_assert_int_eq(cxi_buf_append_str(&in, "</iq>"), CX_OK);
	col_init(c, NULL);
	st = feed_steps(c, (char *)cxi_buf_head(&in), cxi_buf_size(&in), 4096,
			&err);
	if (st != CX_OK)
		ck_assert_str_eq(err.condition, "policy-violation");
	cxi_buf_free(&in);
	return st;
}

START_TEST(test_xml_limits_children)
{
	struct col c;

	ck_assert_int_eq(run_children(10000, &c), CX_OK);
	ck_assert_int_eq(c.nstanzas, 1);
	col_free(&c);
	ck_assert_int_eq(run_children(10001, &c), CX_ERR_XML_TOO_MANY);
	ck_assert_int_eq(c.nstanzas, 0);
	col_free(&c);
}
END_TEST

/* ---- stop, reset and state ------------------------------------------- */

START_TEST(test_xml_state_stop_proceed)
{
	/* STARTTLS: the bytes after <proceed/> belong to TLS. */
	static const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03"
				  "\x03<garbage>&foo;\0";
	cx_error err = CX_ERROR_INIT;
	size_t len, total, k, used, off;
	char *pre = load("xml/starttls.xml", &len);
	cxi_buf in = CXI_BUF_INIT;
	struct col c;

	ck_assert_int_eq(cxi_buf_append(&in, pre, len), CX_OK);
	ck_assert_int_eq(cxi_buf_append(&in, tls, sizeof(tls)), CX_OK);
	total = cxi_buf_size(&in);
	col_init(&c, NULL);
	c.stop_on = "proceed";
	/* every split of the chunk that contains the end of <proceed/> */
	for (k = 0; k < len; k++) {
		ck_assert_int_eq(cxi_xml_parser_reset(c.p, &err), CX_OK);
		c.nstanzas = 0;
		off = 0;
		if (k > 0) {
			ck_assert_int_eq(cxi_xml_parser_feed(c.p, in.data, k,
							     &used, &err),
					 CX_OK);
			ck_assert_uint_eq(used, k);
			off = k;
		}
		ck_assert_int_eq(cxi_xml_parser_feed(c.p, in.data + off,
						     total - off, &used, &err),
				 CX_OK);
		ck_assert_uint_eq(off + used, len);
		ck_assert_int_eq(c.nstanzas, 2);
	}
	/* after the TLS handshake: a new stream on the same parser */
	ck_assert_int_eq(cxi_xml_parser_reset(c.p, &err), CX_OK);
	c.stop_on = NULL;
	c.starts = 0;
	ck_assert_int_eq(feed_steps(&c, HDR "<stream:features/>",
				    strlen(HDR "<stream:features/>"), 0, &err),
			 CX_OK);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_int_eq(c.nstanzas, 3);
	col_free(&c);
	cxi_buf_free(&in);
	free(pre);
}
END_TEST

START_TEST(test_xml_state_stop_continue)
{
	static const char in[] = HDR "<a/><b>x</b><c/>";
	cx_error err = CX_ERROR_INIT;
	struct col c;
	size_t used, len = strlen(in);

	col_init(&c, NULL);
	c.stop_on_start = true;
	ck_assert_int_eq(cxi_xml_parser_feed(c.p, in, len, &used, &err), CX_OK);
	ck_assert_uint_eq(used, strlen(HDR));
	ck_assert_int_eq(c.starts, 1);
	ck_assert_int_eq(c.nstanzas, 0);
	c.stop_on = "b";
	ck_assert_int_eq(cxi_xml_parser_feed(c.p, in + strlen(HDR),
					     len - strlen(HDR), &used, &err),
			 CX_OK);
	ck_assert_uint_eq(used, strlen("<a/><b>x</b>"));
	ck_assert_int_eq(c.nstanzas, 2);
	/* without reset the parser continues where it stopped */
	ck_assert_int_eq(cxi_xml_parser_feed(c.p, "<c/>", 4, &used, &err),
			 CX_OK);
	ck_assert_uint_eq(used, 4);
	ck_assert_int_eq(c.nstanzas, 3);
	/* stop outside a callback has no effect */
	cxi_xml_parser_stop(c.p);
	ck_assert_int_eq(cxi_xml_parser_feed(c.p, "<d/><e/>", 8, &used, &err),
			 CX_OK);
	ck_assert_uint_eq(used, 8);
	ck_assert_int_eq(c.nstanzas, 5);
	col_free(&c);
}
END_TEST

START_TEST(test_xml_state_reentry)
{
	cx_error err = CX_ERROR_INIT;
	struct col c;

	col_init(&c, NULL);
	c.try_reentry = true;
	ck_assert_int_eq(feed_steps(&c, HDR "<a/>", strlen(HDR) + 4, 0, &err),
			 CX_OK);
	ck_assert_int_eq(c.nstanzas, 1);
	ck_assert_int_eq(c.reentry_reset, CX_ERR_STATE);
	ck_assert_int_eq(c.reentry_feed, CX_ERR_STATE);
	/* the parser is unharmed */
	c.try_reentry = false;
	ck_assert_int_eq(feed_steps(&c, "<b/>", 4, 0, &err), CX_OK);
	ck_assert_int_eq(c.nstanzas, 2);
	col_free(&c);
}
END_TEST

START_TEST(test_xml_state_reset_after_error)
{
	cx_error err = CX_ERROR_INIT;
	struct col c;

	col_init(&c, NULL);
	ck_assert_int_eq(feed_steps(&c, HDR "<a>&x;</a>", strlen(HDR) + 10, 0,
				    &err),
			 CX_ERR_XML_RESTRICTED);
	ck_assert_int_eq(feed_steps(&c, "<b/>", 4, 0, &err),
			 CX_ERR_XML_RESTRICTED);
	ck_assert_int_eq(cxi_xml_parser_reset(c.p, &err), CX_OK);
	/* a reset in the middle of a stanza drops it */
	ck_assert_int_eq(feed_steps(&c, HDR "<message><body>parti",
				    strlen(HDR) + 20, 0, &err),
			 CX_OK);
	ck_assert_int_eq(cxi_xml_parser_reset(c.p, &err), CX_OK);
	c.starts = 0;
	ck_assert_int_eq(feed_steps(&c, HDR "<b/>", strlen(HDR) + 4, 0, &err),
			 CX_OK);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_int_eq(c.nstanzas, 1);
	/* stream end, then whitespace is fine */
	ck_assert_int_eq(feed_steps(&c, "</stream:stream>\n ", 18, 0, &err),
			 CX_OK);
	ck_assert_int_eq(c.ends, 1);
	col_free(&c);
}
END_TEST

START_TEST(test_xml_stream_header_forms)
{
	/* BOM, entities in header attributes, an empty stream, no callbacks */
	static const char bom[] =
		"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>"
		"<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
		"xmlns='jabber:client' id='a&amp;b&#x3c;' "
		"from='ex\xc3\xa4mple.org'/>";
	static const cxi_xml_callbacks none = { NULL, NULL, NULL };
	cx_error err = CX_ERROR_INIT;
	cxi_xml_parser *p;
	struct col c;
	size_t used = 99;

	col_init(&c, NULL);
	ck_assert_int_eq(feed_steps(&c, bom, strlen(bom), 1, &err), CX_OK);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_int_eq(c.ends, 1);
	ck_assert_str_eq(c.attrs, "id=a&b<;from=ex\xc3\xa4mple.org;");
	ck_assert_int_eq(cxi_xml_parser_feed(c.p, "", 0, &used, &err), CX_OK);
	ck_assert_uint_eq(used, 0);
	col_free(&c);

	/* no default namespace: stanzas have none either */
	col_init(&c, NULL);
	c.keep = true;
	ck_assert_int_eq(feed_steps(&c, "<s:stream xmlns:s='" CXI_NS_STREAM
				    "'><s:features/><a/></s:stream>",
				    strlen("<s:stream xmlns:s='" CXI_NS_STREAM
					   "'><s:features/><a/></s:stream>"),
				    0, &err),
			 CX_OK);
	ck_assert_str_eq(c.default_ns, "(null)");
	assert_ns(kept(&c, 0), CXI_NS_STREAM);
	ck_assert_ptr_null(kept(&c, 1)->ns);
	col_free(&c);

	ck_assert_int_eq(cxi_xml_parser_new(&p, NULL, &none, NULL, &err),
			 CX_OK);
	ck_assert_int_eq(cxi_xml_parser_feed(p, HDR "<a><b/></a><c/>",
					     strlen(HDR) + 15, &used, &err),
			 CX_OK);
	ck_assert_uint_eq(used, strlen(HDR) + 15);
	cxi_xml_parser_free(p);
}
END_TEST

START_TEST(test_xml_state_bad_args)
{
	cx_error err = CX_ERROR_INIT;
	cxi_xml_parser *p = NULL;

	ck_assert_int_eq(cxi_xml_parser_new(NULL, NULL, &col_cb, NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_xml_parser_new(&p, NULL, NULL, NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(cxi_xml_parser_feed(NULL, "x", 1, NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_xml_parser_reset(NULL, &err), CX_ERR_INVALID);
	cxi_xml_parser_free(NULL);
	cxi_xml_parser_stop(NULL);
}
END_TEST

/* ---- serializer ------------------------------------------------------- */

struct esc_case {
	const char *in;
	bool attribute;
	const char *out; /* NULL: CX_ERR_XML_ENCODING */
};

static const struct esc_case esc_cases[] = {
	{ "plain", false, "plain" },
	{ "a & b < c > d", false, "a &amp; b &lt; c &gt; d" },
	{ "a & b < c > d", true, "a &amp; b &lt; c &gt; d" },
	{ "\"quoted\" 'single'", false, "\"quoted\" 'single'" },
	{ "\"quoted\" 'single'", true, "&quot;quoted&quot; 'single'" },
	{ "]]>", false, "]]&gt;" },
	{ "tab\tlf\ncr\r", false, "tab\tlf\ncr&#13;" },
	{ "tab\tlf\ncr\r", true, "tab&#9;lf&#10;cr&#13;" },
	{ "caf\xc3\xa9 \xf0\x9d\x84\x9e \xe2\x82\xac", true,
	  "caf\xc3\xa9 \xf0\x9d\x84\x9e \xe2\x82\xac" },
	{ "&amp;", false, "&amp;amp;" },
	{ "", false, "" },
	{ "bell\x07", false, NULL },
	{ "esc\x1b", true, NULL },
	{ "\xc3\x28", false, NULL },
	{ "\xc0\xaf", false, NULL },
	{ "\xed\xa0\x80", false, NULL },
	{ "\xef\xbf\xbe", true, NULL },
	{ "\xf4\x90\x80\x80", false, NULL },
	{ "trunc\xe2\x82", false, NULL },
};

START_TEST(test_xml_serialize_escape)
{
	const struct esc_case *ec = &esc_cases[_i];
	cxi_buf out = CXI_BUF_INIT;
	cx_status st;
	char *s;

	ck_assert_int_eq(cxi_buf_append_str(&out, "pre:"), CX_OK);
	st = cxi_xml_escape(&out, ec->in, strlen(ec->in), ec->attribute);
	s = cxi_buf_strdup(&out);
	ck_assert_ptr_nonnull(s);
	if (ec->out == NULL) {
		ck_assert_int_eq(st, CX_ERR_XML_ENCODING);
		ck_assert_str_eq(s, "pre:"); /* left as it was */
	} else {
		ck_assert_int_eq(st, CX_OK);
		ck_assert_str_eq(s + 4, ec->out);
	}
	free(s);
	cxi_buf_free(&out);
}
END_TEST

static char *
ser(const xmlNode *n, const char *default_ns)
{
	cxi_buf out = CXI_BUF_INIT;
	char *s;

	ck_assert_int_eq(cxi_xml_serialize(&out, n, default_ns), CX_OK);
	s = cxi_buf_strdup(&out);
	ck_assert_ptr_nonnull(s);
	cxi_buf_free(&out);
	return s;
}

START_TEST(test_xml_serialize_namespaces)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr m, b, x, f, f2, q, it;
	xmlNsPtr client, data, xmlns;
	char *s;

	m = xmlNewDocNode(doc, NULL, BAD_CAST "message", NULL);
	xmlDocSetRootElement(doc, m);
	client = xmlNewNs(m, BAD_CAST CXI_NS_CLIENT, NULL);
	xmlSetNs(m, client);
	xmlNewProp(m, BAD_CAST "to", BAD_CAST "bob@example.org/a'b\"c");
	xmlns = xmlSearchNs(doc, m, BAD_CAST "xml");
	ck_assert_ptr_nonnull(xmlns);
	xmlNewNsProp(m, xmlns, BAD_CAST "lang", BAD_CAST "en");
	b = xmlNewTextChild(m, client, BAD_CAST "body", BAD_CAST "1 < 2 & 3");
	ck_assert_ptr_nonnull(b);
	x = xmlNewChild(m, NULL, BAD_CAST "x", NULL);
	data = xmlNewNs(x, BAD_CAST "jabber:x:data", NULL);
	xmlSetNs(x, data);
	f = xmlNewChild(x, data, BAD_CAST "field", NULL);
	xmlNewProp(f, BAD_CAST "var", BAD_CAST "FORM_TYPE");
	f2 = xmlNewChild(x, data, BAD_CAST "field", NULL);
	xmlNewTextChild(f2, data, BAD_CAST "value", BAD_CAST "v");
	/* no namespace: inherits the enclosing default */
	q = xmlNewChild(m, NULL, BAD_CAST "query", NULL);
	xmlSetNs(q, xmlNewNs(q, BAD_CAST "jabber:iq:roster", NULL));
	it = xmlNewNode(NULL, BAD_CAST "item");
	xmlAddChild(q, it);
	ck_assert_ptr_null(it->ns);

	s = ser(m, CXI_NS_CLIENT);
	ck_assert_str_eq(s,
		"<message to=\"bob@example.org/a'b&quot;c\" xml:lang=\"en\">"
		"<body>1 &lt; 2 &amp; 3</body>"
		"<x xmlns=\"jabber:x:data\"><field var=\"FORM_TYPE\"/>"
		"<field><value>v</value></field></x>"
		"<query xmlns=\"jabber:iq:roster\"><item/></query></message>");
	free(s);
	/* with another default, jabber:client must be declared once */
	s = ser(m, NULL);
	ck_assert_str_eq(s,
		"<message xmlns=\"jabber:client\" "
		"to=\"bob@example.org/a'b&quot;c\" xml:lang=\"en\">"
		"<body>1 &lt; 2 &amp; 3</body>"
		"<x xmlns=\"jabber:x:data\"><field var=\"FORM_TYPE\"/>"
		"<field><value>v</value></field></x>"
		"<query xmlns=\"jabber:iq:roster\"><item/></query></message>");
	free(s);
	/* a subtree on its own gets its namespace declared */
	s = ser(f2, CXI_NS_CLIENT);
	ck_assert_str_eq(s, "<field xmlns=\"jabber:x:data\"><value>v</value>"
			    "</field>");
	free(s);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_xml_serialize_prefixes)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr e, c, t, d, a;
	xmlNsPtr st, x, anon;
	char *s;

	e = xmlNewDocNode(doc, NULL, BAD_CAST "error", NULL);
	xmlDocSetRootElement(doc, e);
	st = xmlNewNs(e, BAD_CAST CXI_NS_STREAM, BAD_CAST "stream");
	xmlSetNs(e, st);
	c = xmlNewChild(e, NULL, BAD_CAST "conflict", NULL);
	xmlSetNs(c, xmlNewNs(c, BAD_CAST "urn:ietf:params:xml:ns:xmpp-streams",
			     NULL));
	t = xmlNewChild(e, NULL, BAD_CAST "text", NULL);
	xmlSetNs(t, c->ns);
	d = xmlNewChild(e, NULL, BAD_CAST "data", NULL);
	x = xmlNewNs(d, BAD_CAST "jabber:x:data", BAD_CAST "x");
	xmlSetNs(d, x);
	xmlNewNsProp(d, x, BAD_CAST "type", BAD_CAST "form");
	a = xmlNewChild(d, x, BAD_CAST "field", NULL);
	/* an attribute whose namespace has no prefix gets one made up */
	anon = xmlNewNs(a, BAD_CAST "urn:anon", NULL);
	xmlNewNsProp(a, anon, BAD_CAST "k", BAD_CAST "v");

	s = ser(e, CXI_NS_CLIENT);
	ck_assert_str_eq(s,
		"<stream:error xmlns:stream=\"" CXI_NS_STREAM "\">"
		"<conflict xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>"
		"<text xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>"
		"<x:data xmlns:x=\"jabber:x:data\" x:type=\"form\">"
		"<x:field xmlns:cxa0=\"urn:anon\" cxa0:k=\"v\"/></x:data>"
		"</stream:error>");
	free(s);
	ck_assert_int_eq(cxi_xml_serialize(NULL, e, NULL), CX_ERR_INVALID);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_xml_serialize_bad_text)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr m = xmlNewDocNode(doc, NULL, BAD_CAST "message", NULL);
	cxi_buf out = CXI_BUF_INIT;

	xmlDocSetRootElement(doc, m);
	ck_assert_int_eq(cxi_buf_append_str(&out, "keep"), CX_OK);
	xmlNewTextChild(m, NULL, BAD_CAST "body", BAD_CAST "bad \x01 byte");
	ck_assert_int_eq(cxi_xml_serialize(&out, m, CXI_NS_CLIENT),
			 CX_ERR_XML_ENCODING);
	/* nothing half-written */
	ck_assert_uint_eq(cxi_buf_size(&out), 4);
	cxi_buf_free(&out);
	xmlFreeDoc(doc);
}
END_TEST

START_TEST(test_xml_serialize_parsed_exact)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "<message to='a@b' xml:lang='en'><body>x</body></message>",
		  "<message to=\"a@b\" xml:lang=\"en\"><body>x</body></message>" },
		{ "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
		  "</stream:features>",
		  "<stream:features xmlns:stream=\"" CXI_NS_STREAM "\">"
		  "<bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"/>"
		  "</stream:features>" },
		{ "<iq><q xmlns='urn:q'><i xmlns='jabber:client'/></q></iq>",
		  "<iq><q xmlns=\"urn:q\"><i xmlns=\"jabber:client\"/></q></iq>" },
		{ "<message><body>a &amp;&lt;&gt;&quot;&apos; &#x41;&#13;</body>"
		  "</message>",
		  "<message><body>a &amp;&lt;&gt;\"' A&#13;</body></message>" },
		{ "<presence a='&amp;&#38;&#x26;&lt;&quot;' b=\"'\"/>",
		  "<presence a=\"&amp;&amp;&amp;&lt;&quot;\" b=\"'\"/>" },
		/* no namespace at all: xmlns="" is kept */
		{ "<iq><x xmlns=''><y/><z xmlns='urn:z'><w/></z></x><v/></iq>",
		  "<iq><x xmlns=\"\"><y/><z xmlns=\"urn:z\"><w/></z></x><v/></iq>" },
		/* prefixes declared inside the stanza, re-bound deeper */
		{ "<iq xmlns:p='urn:1'><p:a><p:b xmlns:p='urn:2'/><p:c/></p:a></iq>",
		  "<iq><p:a xmlns:p=\"urn:1\"><p:b xmlns:p=\"urn:2\"/><p:c/>"
		  "</p:a></iq>" },
		/* the stream: prefix used on an attribute */
		{ "<message stream:x='1'/>",
		  "<message xmlns:stream=\"" CXI_NS_STREAM "\" stream:x=\"1\"/>" },
	};
	cx_error err = CX_ERROR_INIT;
	struct col c, d;
	char *s;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		col_init(&c, NULL);
		c.keep = true;
		ck_assert_int_eq(feed_steps(&c, HDR, strlen(HDR), 0, &err),
				 CX_OK);
		ck_assert_int_eq(feed_steps(&c, cases[i].in,
					    strlen(cases[i].in), 0, &err),
				 CX_OK);
		ck_assert_int_eq(c.nstanzas, 1);
		s = col_text(&c);
		ck_assert_uint_gt(strlen(s), 0);
		s[strlen(s) - 1] = '\0'; /* the collector's newline */
		ck_assert_str_eq(s, cases[i].out);
		/* and it parses back to the same tree */
		col_init(&d, NULL);
		d.keep = true;
		ck_assert_int_eq(feed_steps(&d, HDR, strlen(HDR), 0, &err),
				 CX_OK);
		ck_assert_int_eq(feed_steps(&d, s, strlen(s), 0, &err), CX_OK);
		ck_assert_int_eq(d.nstanzas, 1);
		ck_assert_msg(tree_equal(kept(&c, 0), kept(&d, 0)),
			      "case %zu: not the same tree", i);
		free(s);
		col_free(&c);
		col_free(&d);
	}
}
END_TEST

START_TEST(test_xml_serialize_roundtrip)
{
	cx_error err = CX_ERROR_INIT;
	size_t len;
	char *data = load("xml/session.xml", &len);
	struct col a, b;
	cxi_buf again = CXI_BUF_INIT;
	char *sa, *sb;
	int i;

	col_init(&a, NULL);
	a.keep = true;
	ck_assert_int_eq(feed_steps(&a, data, len, 0, &err), CX_OK);
	sa = col_text(&a);

	/* parse the serialization again inside a stream header */
	ck_assert_int_eq(cxi_xml_stream_header(&again, NULL, "example.org",
					       NULL),
			 CX_OK);
	ck_assert_int_eq(cxi_buf_append_str(&again, sa), CX_OK);
	col_init(&b, NULL);
	b.keep = true;
	ck_assert_int_eq(feed_steps(&b, (char *)cxi_buf_head(&again),
				    cxi_buf_size(&again), 0, &err),
			 CX_OK);
	ck_assert_int_eq(b.nstanzas, a.nstanzas);
	sb = col_text(&b);
	ck_assert_str_eq(sa, sb);
	for (i = 0; i < a.nstanzas; i++)
		ck_assert_msg(tree_equal(kept(&a, i), kept(&b, i)),
			      "stanza %d differs after a round trip", i);
	free(sa);
	free(sb);
	col_free(&a);
	col_free(&b);
	cxi_buf_free(&again);
	free(data);
}
END_TEST

START_TEST(test_xml_serialize_stream_header)
{
	cx_error err = CX_ERROR_INIT;
	cxi_buf out = CXI_BUF_INIT;
	struct col c;
	char *s;

	ck_assert_int_eq(cxi_xml_stream_header(&out, "example.org",
					       "alice@example.org", "en"),
			 CX_OK);
	s = cxi_buf_strdup(&out);
	ck_assert_str_eq(s,
		"<?xml version='1.0'?><stream:stream to=\"example.org\" "
		"from=\"alice@example.org\" xml:lang=\"en\" version=\"1.0\" "
		"xmlns=\"jabber:client\" "
		"xmlns:stream=\"http://etherx.jabber.org/streams\">");
	free(s);
	col_init(&c, NULL);
	ck_assert_int_eq(feed_steps(&c, (char *)cxi_buf_head(&out),
				    cxi_buf_size(&out), 1, &err),
			 CX_OK);
	ck_assert_int_eq(c.starts, 1);
	ck_assert_str_eq(c.default_ns, CXI_NS_CLIENT);
	ck_assert_str_eq(c.attrs, "to=example.org;from=alice@example.org;"
				  "xml:lang=en;version=1.0;");
	ck_assert_int_eq(feed_steps(&c, CXI_XML_STREAM_END,
				    strlen(CXI_XML_STREAM_END), 0, &err),
			 CX_OK);
	ck_assert_int_eq(c.ends, 1);
	col_free(&c);

	cxi_buf_reset(&out);
	ck_assert_int_eq(cxi_xml_stream_header(&out, "a&b", NULL, NULL), CX_OK);
	s = cxi_buf_strdup(&out);
	ck_assert_str_eq(s,
		"<?xml version='1.0'?><stream:stream to=\"a&amp;b\" "
		"version=\"1.0\" xmlns=\"jabber:client\" "
		"xmlns:stream=\"http://etherx.jabber.org/streams\">");
	free(s);
	cxi_buf_reset(&out);
	ck_assert_int_eq(cxi_xml_stream_header(&out, "bad\x01", NULL, NULL),
			 CX_ERR_XML_ENCODING);
	ck_assert_uint_eq(cxi_buf_size(&out), 0);
	cxi_buf_free(&out);
}
END_TEST

static Suite *
xml_suite(void)
{
	Suite *s = suite_create("xml");
	TCase *tc;
	int nbad = (int)(sizeof(bad_cases) / sizeof(bad_cases[0]));
	int nesc = (int)(sizeof(esc_cases) / sizeof(esc_cases[0]));

	tc = tcase_create("stream");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_xml_stream_session);
	tcase_add_test(tc, test_xml_stream_namespace_ampersand);
	tcase_add_test(tc, test_xml_stream_split_every_offset);
	tcase_add_test(tc, test_xml_stream_small_chunks);
	tcase_add_test(tc, test_xml_stream_keepalives);
	tcase_add_test(tc, test_xml_stream_header_forms);
	tcase_add_test(tc, test_xml_stream_chunking_invariant);
	suite_add_tcase(s, tc);

	tc = tcase_create("bad");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_xml_bad_whole, 0, nbad);
	tcase_add_loop_test(tc, test_xml_bad_bytewise, 0, nbad);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_xml_limits_huge_body);
	tcase_add_test(tc, test_xml_limits_stanza_bytes_exact);
	tcase_add_test(tc, test_xml_limits_unterminated_tag);
	tcase_add_test(tc, test_xml_limits_depth);
	tcase_add_test(tc, test_xml_limits_attrs);
	tcase_add_test(tc, test_xml_limits_children);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_xml_state_stop_proceed);
	tcase_add_test(tc, test_xml_state_stop_continue);
	tcase_add_test(tc, test_xml_state_reentry);
	tcase_add_test(tc, test_xml_state_reset_after_error);
	tcase_add_test(tc, test_xml_state_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("serialize");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_xml_serialize_escape, 0, nesc);
	tcase_add_test(tc, test_xml_serialize_namespaces);
	tcase_add_test(tc, test_xml_serialize_prefixes);
	tcase_add_test(tc, test_xml_serialize_bad_text);
	tcase_add_test(tc, test_xml_serialize_parsed_exact);
	tcase_add_test(tc, test_xml_serialize_roundtrip);
	tcase_add_test(tc, test_xml_serialize_stream_header);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(xml_suite)

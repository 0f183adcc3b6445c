/*
 * Fuzz target: the XML push parser (lib/core/xml.h).
 *
 * Input: byte 0 chooses the limits (bits 0-1), whether a standard stream
 * header is put in front of the data (bit 2) and the largest piece for the
 * chunked runs (bits 3-5: 1, 2, 3, 5, 8, 17, 64 or 4096 bytes); byte 1
 * seeds the split points; the rest is the stream.
 *
 * The same bytes are parsed four ways: whole; in fuzzer-chosen pieces;
 * in pieces with cxi_xml_parser_stop() after every element (feeding again
 * from `consumed`); and whole again after cxi_xml_parser_reset() on the
 * first parser. Invariants: the four runs deliver the same header, the same
 * elements (compared serialized) and the same verdict, status and condition
 * (a run may end without an error that another found: see same()); on
 * success `consumed` is the whole piece; a failed parser returns the same
 * status on every later feed; every delivered element serializes, and the
 * serialized text parses back to one element that serializes to the same
 * text (nothing accepted is lost on the way out).
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "lib/core/buf.h"
#include "lib/core/xml.h"
#include "tests/fuzz/fuzz.h"

#define HDR                                                                \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "       \
	"xmlns:stream='http://etherx.jabber.org/streams' "                 \
	"from='example.org' id='fz' version='1.0' xml:lang='en'>"

static const cxi_xml_limits limit_sets[4] = {
	CXI_XML_LIMITS_DEFAULT,
	{ 512, 4, 4, 16 },
	{ 128, 1, 2, 3 },
	{ 4096, 250, 200, 20000 },
};
static const unsigned piece_max[8] = { 1, 2, 3, 5, 8, 17, 64, 4096 };

typedef struct run {
	cxi_xml_parser *p;
	cxi_buf log;       /* what the callbacks saw, as text */
	bool stop;         /* stop after each element */
	bool serialize_ok; /* every element serialized */
	unsigned elements;
} run;

static void
log_str(cxi_buf *b, const char *s)
{
	cxi_buf_append_str(b, s != NULL ? s : "(null)");
}

static void
on_start(void *arg, const char *default_ns, const cxi_xml_attr *attrs,
	 size_t nattrs)
{
	run *r = arg;
	size_t i;

	cxi_buf_append_str(&r->log, "START ns=");
	log_str(&r->log, default_ns);
	for (i = 0; i < nattrs; i++) {
		cxi_buf_append_str(&r->log, " ");
		if (attrs[i].prefix != NULL) {
			log_str(&r->log, attrs[i].prefix);
			cxi_buf_append_str(&r->log, ":");
		}
		log_str(&r->log, attrs[i].name);
		cxi_buf_append_str(&r->log, "=");
		log_str(&r->log, attrs[i].value);
	}
	cxi_buf_append_str(&r->log, "\n");
	if (r->stop)
		cxi_xml_parser_stop(r->p);
}

static void
collect_one(void *arg, xmlNodePtr elem)
{
	cxi_buf *out = arg;

	if (cxi_buf_size(out) == 0)
		CXF_CHECK(cxi_xml_serialize(out, elem, CXI_NS_CLIENT) == CX_OK,
			  "reparsed element does not serialize");
	else
		cxi_buf_append_str(out, "<second element>");
	xmlFreeDoc(elem->doc);
}

/* The serialized text of an element must parse back to one element that
 * serializes the same. */
static void
check_round_trip(const cxi_buf *text)
{
	static const cxi_xml_callbacks cb = { NULL, collect_one, NULL };
	cxi_buf again = CXI_BUF_INIT;
	cxi_xml_parser *p = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st;

	st = cxi_xml_parser_new(&p, NULL, &cb, &again, &err);
	CXF_CHECK(st == CX_OK, "parser_new: %s", err.message);
	st = cxi_xml_parser_feed(p, HDR, strlen(HDR), NULL, &err);
	CXF_CHECK(st == CX_OK, "header: %s", err.message);
	st = cxi_xml_parser_feed(p, cxf_head(text), cxi_buf_size(text),
				 NULL, &err);
	CXF_CHECK(st == CX_OK, "serialized element does not parse (%s): %.*s",
		  err.message, (int)cxi_buf_size(text),
		  (const char *)cxf_head(text));
	CXF_CHECK(cxi_buf_size(&again) == cxi_buf_size(text) &&
			  memcmp(cxf_head(&again), cxf_head(text),
				 cxi_buf_size(text)) == 0,
		  "serialization not stable:\n first: %.*s\nsecond: %.*s",
		  (int)cxi_buf_size(text), (const char *)cxf_head(text),
		  (int)cxi_buf_size(&again), (const char *)cxf_head(&again));
	cxi_xml_parser_free(p);
	cxi_buf_free(&again);
}

static void
on_element(void *arg, xmlNodePtr elem)
{
	run *r = arg;
	cxi_buf text = CXI_BUF_INIT;
	cx_status st;

	CXF_CHECK(elem != NULL && elem->doc != NULL &&
			  elem->doc->children == elem,
		  "element is not the root of its own document");
	r->elements++;
	st = cxi_xml_serialize(&text, elem, CXI_NS_CLIENT);
	if (st == CX_OK) {
		cxi_buf_append_str(&r->log, "ELEM ");
		cxi_buf_append(&r->log, cxf_head(&text),
			       cxi_buf_size(&text));
		cxi_buf_append_str(&r->log, "\n");
		/* once per input is enough: the first run does it */
		if (!r->stop && r->serialize_ok)
			check_round_trip(&text);
	} else {
		cxi_buf_printf(&r->log, "ELEM unserializable %d\n", st);
		r->serialize_ok = false;
	}
	cxi_buf_free(&text);
	xmlFreeDoc(elem->doc);
	if (r->stop)
		cxi_xml_parser_stop(r->p);
}

static void
on_end(void *arg)
{
	run *r = arg;

	cxi_buf_append_str(&r->log, "END\n");
	if (r->stop)
		cxi_xml_parser_stop(r->p);
}

static const cxi_xml_callbacks callbacks = { on_start, on_element, on_end };

/* Feeds data in pieces (sp NULL: whole); returns the verdict. */
static cx_status
feed_all(run *r, const uint8_t *data, size_t len, cxf_split *sp,
	 cx_error *err)
{
	size_t off = 0, n, done, used;
	cx_status st = CX_OK, again;
	cx_error err2 = CX_ERROR_INIT;

	while (off < len) {
		n = sp != NULL ? cxf_split_next(sp, len - off) : len - off;
		done = 0;
		while (done < n) {
			used = (size_t)-1;
			st = cxi_xml_parser_feed(r->p, data + off + done,
						 n - done, &used, err);
			if (st != CX_OK)
				goto failed;
			CXF_CHECK(used <= n - done, "consumed %zu of %zu", used,
				  n - done);
			if (!r->stop)
				CXF_CHECK(used == n - done,
					  "consumed %zu of %zu without a stop",
					  used, n - done);
			CXF_CHECK(used > 0 || n - done == 0,
				  "a stop consumed nothing");
			done += used;
		}
		off += n;
	}
	return CX_OK;
failed:
	CXF_CHECK(st < 0 && err->status == st, "status %d, err->status %d",
		  st, err->status);
	CXF_CHECK(err->condition[0] != '\0', "error %d without condition",
		  st);
	/* dead: every further feed gives the same status */
	again = cxi_xml_parser_feed(r->p, "<a/>", 4, NULL, &err2);
	CXF_CHECK(again == st, "dead parser said %d, first %d", again, st);
	return st;
}

typedef struct outcome {
	char *log;
	cx_status status;
	char condition[64];
	unsigned elements;
	bool serialize_ok;
} outcome;

static void
outcome_take(outcome *o, run *r, cx_status st, const cx_error *err)
{
	cxi_buf_printf(&r->log, "STATUS %d\n", st);
	o->log = cxi_buf_strdup(&r->log);
	CXF_CHECK(o->log != NULL, "out of memory");
	o->status = st;
	snprintf(o->condition, sizeof(o->condition), "%s",
		 st != CX_OK ? err->condition : "");
	o->elements = r->elements;
	o->serialize_ok = r->serialize_ok;
	cxi_buf_reset(&r->log);
	r->elements = 0;
}

/*
 * b must match a (the whole run). One leeway: a push parser may defer an
 * error until it has more bytes (libxml2 waits for the '>' of a start tag,
 * counting quotes), so a run that ends without error while the other failed
 * is compared on what it delivered; two failures must be the same failure.
 */
static void
same(const outcome *a, const outcome *b, const char *what)
{
	const char *sa, *sb;

	if ((a->status == CX_OK) != (b->status == CX_OK)) {
		sa = strstr(a->log, "STATUS ");
		sb = strstr(b->log, "STATUS ");
		CXF_CHECK(sa != NULL && sb != NULL && sa - a->log == sb - b->log &&
				  strncmp(a->log, b->log,
					  (size_t)(sa - a->log)) == 0,
			  "%s delivered other elements than whole:\n--- whole "
			  "(%d)\n%s--- %s (%d)\n%s",
			  what, a->status, a->log, what, b->status, b->log);
		return;
	}
	CXF_CHECK(a->status == b->status &&
			  strcmp(a->condition, b->condition) == 0 &&
			  strcmp(a->log, b->log) == 0,
		  "%s differs from whole:\n--- whole (%d %s)\n%s--- %s (%d "
		  "%s)\n%s",
		  what, a->status, a->condition, a->log, what, b->status,
		  b->condition, b->log);
}

static void
run_one(run *r, const cxi_xml_limits *lim, bool stop)
{
	cx_error err = CX_ERROR_INIT;
	cx_status st;

	memset(r, 0, sizeof(*r));
	cxi_buf_init(&r->log);
	r->stop = stop;
	r->serialize_ok = true;
	st = cxi_xml_parser_new(&r->p, lim, &callbacks, r, &err);
	CXF_CHECK(st == CX_OK, "parser_new: %s", err.message);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const cxi_xml_limits *lim;
	cxi_buf input = CXI_BUF_INIT;
	cx_error err = CX_ERROR_INIT;
	outcome o[4];
	cxf_split sp;
	run r, rc, rs;
	cx_status st;
	uint8_t flags, seed;
	size_t i;

	if (size < 2)
		return 0;
	flags = data[0];
	seed = data[1];
	lim = &limit_sets[flags & 3];
	if (flags & 4)
		cxi_buf_append_str(&input, HDR);
	cxi_buf_append(&input, data + 2, size - 2);
	memset(o, 0, sizeof(o));

	/* whole, then whole again after a reset of the same parser */
	run_one(&r, lim, false);
	st = feed_all(&r, cxf_head(&input), cxi_buf_size(&input), NULL,
		      &err);
	outcome_take(&o[0], &r, st, &err);
	st = cxi_xml_parser_reset(r.p, &err);
	CXF_CHECK(st == CX_OK, "reset: %s", err.message);
	r.serialize_ok = false; /* no second round trip */
	cx_error_clear(&err);
	st = feed_all(&r, cxf_head(&input), cxi_buf_size(&input), NULL,
		      &err);
	outcome_take(&o[3], &r, st, &err);
	cxi_xml_parser_free(r.p);
	cxi_buf_free(&r.log);

	/* pieces */
	run_one(&rc, lim, false);
	rc.serialize_ok = false;
	cxf_split_init(&sp, seed, piece_max[(flags >> 3) & 7]);
	cx_error_clear(&err);
	st = feed_all(&rc, cxf_head(&input), cxi_buf_size(&input), &sp,
		      &err);
	outcome_take(&o[1], &rc, st, &err);
	cxi_xml_parser_free(rc.p);
	cxi_buf_free(&rc.log);

	/* pieces, stopping after every element */
	run_one(&rs, lim, true);
	cxf_split_init(&sp, seed ^ 0x5a, piece_max[(flags >> 3) & 7]);
	cx_error_clear(&err);
	st = feed_all(&rs, cxf_head(&input), cxi_buf_size(&input), &sp,
		      &err);
	outcome_take(&o[2], &rs, st, &err);
	cxi_xml_parser_free(rs.p);
	cxi_buf_free(&rs.log);

	same(&o[0], &o[1], "pieces");
	same(&o[0], &o[2], "pieces with stops");
	same(&o[0], &o[3], "whole after reset");
	CXF_CHECK(o[0].serialize_ok, "an accepted element did not serialize:\n%s",
		  o[0].log);
	for (i = 0; i < 4; i++)
		free(o[i].log);
	cxi_buf_free(&input);
	return 0;
}

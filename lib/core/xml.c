/*
 * XML for XMPP streams: push parser and serializer.
 *
 * Design notes
 *
 * Two passes over each byte, both incremental. A small byte-level lexer of
 * our own runs first; libxml2's SAX2 push parser (xmlParseChunk) gets the
 * bytes the lexer accepted. The lexer exists because a few guarantees cannot
 * be had from libxml2's callbacks alone:
 *   - Exact accounting. It knows where each depth-1 element starts and ends
 *     in the byte stream, so the stanza byte limit counts from the '<' of the
 *     stanza's start tag (whitespace keepalives between stanzas never count)
 *     and is enforced before libxml2 buffers the bytes: a peer that sends an
 *     endless attribute value, which libxml2 would buffer waiting for '>',
 *     is cut off at the limit.
 *   - Exact stop. The lexer ends each libxml2 chunk at the '>' that completes
 *     a depth-1 element (or the stream header, or the stream end). libxml2's
 *     push parser handles a start or end tag as soon as its '>' is in the
 *     buffer, so the callback for that element has run when xmlParseChunk
 *     returns, and libxml2 has seen no byte after it. cxi_xml_parser_stop()
 *     then reports `consumed` exactly: the bytes after <proceed/> stay with
 *     the caller for the TLS layer.
 *   - Restricted XML (RFC 6120 section 11.1) is refused on the bytes, before
 *     libxml2 parses them: "<!" other than CDATA inside a stanza (DOCTYPE,
 *     comment), "<?" other than the XML declaration at the very start, "&name;"
 *     other than the five predefined entities. The lexer also validates UTF-8
 *     (shortest form, no surrogates, no U+FFFE/U+FFFF) and refuses C0 controls
 *     and NUL, which libxml2 would otherwise take for the end of its buffer.
 * libxml2 remains the judge of well-formedness and namespaces; its SAX
 * handlers for DTD, entity, PI and comment events are set to fail too, as a
 * second line. Options: XML_PARSE_NONET and XML_PARSE_IGNORE_ENC (the stream
 * is UTF-8 whatever the declaration says); never XML_PARSE_NOENT,
 * XML_PARSE_DTDLOAD or XML_PARSE_HUGE. libxml2 refuses nesting deeper than 256
 * on its own, so max_depth is capped at CXI_XML_DEPTH_CAP.
 *
 * Errors: libxml2 reports through the SAX handler's `serror` (our handler's
 * copy inside the context, sax->initialized == XML_SAX2_MAGIC), with
 * ctxt->userData as its argument. We never touch the process-global error
 * functions: xmlSetGenericErrorFunc is global, and xmlSetStructuredErrorFunc
 * is per thread in libxml2 2.9 (LIBXML_THREAD_ENABLED) but is only consulted
 * when the context's sax->serror is NULL, which is never the case here.
 * Warnings are ignored; errors of every level above warning are fatal,
 * namespace errors (undeclared prefix) included, although libxml2 itself
 * treats those as recoverable.
 *
 * Trees: the SAX callbacks build each depth-1 element directly as the root of
 * a fresh xmlDoc; nothing is parsed twice. Names are COPIED into the nodes
 * (doc->dict is NULL) rather than taken from the parser's dictionary. The
 * trade-off is one small malloc per element and attribute name, against two
 * hazards of sharing: a libxml2 dictionary is not thread-safe for lookups,
 * and a stanza handed to a pool thread that adds a child or an attribute does
 * xmlDictLookup on doc->dict while the reader thread keeps adding names to
 * the same dictionary; and xmlDictReference/xmlDictFree (or xmlDictCreate for
 * a per-stanza dictionary) take libxml2's process-wide dictionary mutex for
 * every stanza. Character data is accumulated in one parser-owned buffer
 * (reused, grows geometrically) and becomes a text node once per run of text,
 * so feeding one byte at a time allocates nothing per byte. CDATA sections
 * (not forbidden by RFC 6120) are treated as text.
 *
 * Namespaces: every delivered element has correct ns pointers. Declarations
 * made inside the stanza become nsDef where they were made. A namespace the
 * stanza inherits from the stream header (the default "jabber:client",
 * "stream:") gets one xmlNs declared on the stanza's root element, created
 * when first needed, so <message> carries ns->href "jabber:client".
 *
 * Attribute values: without XML_PARSE_NOENT, libxml2 hands attribute values
 * to startElementNs with every '&' re-encoded as "&#38;" (its tree builder
 * decodes it again later). We decode that one sequence while copying.
 */
#include "config.h"

#include "lib/core/xml.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

#include "lib/core/error.h"

/* libxml2 refuses more than 256 open elements without XML_PARSE_HUGE; stay
 * below it (the stream element is one of them). */
#define CXI_XML_DEPTH_CAP 250

/* Largest piece handed to xmlParseChunk at once (it takes an int). */
#define FEED_MAX ((size_t)1 << 30)

/* Buffers above this size are released after each stanza, so that one big
 * stanza does not cost an idle connection its memory for ever. */
#define KEEP_BUF 16384

#define COND_WF "not-well-formed"
#define COND_RESTRICTED "restricted-xml"
#define COND_POLICY "policy-violation"
#define COND_NS "invalid-namespace"
#define COND_BAD "bad-format"
#define COND_RESOURCE "resource-constraint"

enum lx_state {
	LX_TEXT,    /* character data, or between markup at depth 0/1 */
	LX_AMP,     /* after '&' */
	LX_LT,      /* after '<' */
	LX_BANG,    /* after "<!", matching "[CDATA[" */
	LX_CDATA,   /* inside a CDATA section */
	LX_PI,      /* after "<?" at the start of the document, matching "xml" */
	LX_XMLDECL, /* inside the XML declaration */
	LX_STAG,    /* inside a start tag, outside attribute values */
	LX_ATTV,    /* inside a quoted attribute value */
	LX_ETAG     /* inside an end tag */
};

/* A lexer verdict. */
struct lx_fail {
	cx_status status;
	const char *cond;
	const char *why;
};

struct lexer {
	enum lx_state st;
	enum lx_state amp_ret; /* state to return to after a reference */
	unsigned depth;        /* open elements, the stream element included */
	bool root_done;        /* the stream element has been closed */
	bool bom_pending;      /* a lead byte at offset 0 that must be U+FEFF */
	unsigned bom_len;      /* 3 if the document starts with a BOM */
	uint64_t doc_off;      /* offset of the current byte in the document */
	uint64_t lt_off;       /* offset of the last '<' */
	size_t mark_bytes;     /* bytes of the current stanza / top-level markup */
	unsigned u8need;       /* continuation bytes still expected */
	uint8_t u8lo, u8hi;    /* range of the next continuation byte */
	uint32_t cp;           /* code point being decoded */
	char ent[6];           /* entity name being read */
	unsigned entlen;
	unsigned idx;          /* match index (CDATA, "xml", "]]>", "?>") */
	uint8_t quote;         /* quote of the current attribute value */
	uint8_t prev;          /* previous byte inside a start tag */
};

struct ns_binding {
	const xmlChar *prefix; /* strings of the parser's dictionary */
	const xmlChar *href;
};

struct cxi_xml_parser {
	xmlParserCtxtPtr ctxt;
	xmlSAXHandler sax;
	cxi_xml_limits lim;
	cxi_xml_callbacks cb;
	void *arg;

	cx_status status; /* CX_OK until the first error, then sticky */
	cx_error error;   /* details of that error, copied out on each feed */
	bool in_feed;     /* inside xmlParseChunk (callbacks may run) */
	bool stop;        /* cxi_xml_parser_stop() was called */

	struct lexer lx;

	unsigned sdepth;   /* open elements as seen by the SAX callbacks */
	xmlDocPtr doc;     /* the stanza being built, or NULL */
	xmlNodePtr cur;    /* its innermost open element */
	unsigned nelems;   /* elements in the stanza so far */
	cxi_buf text;      /* character data not yet turned into a node */
	cxi_buf scratch;   /* attribute value decoding */

	struct ns_binding *sns; /* declarations on the stream element */
	size_t nsns;
};

/*
 * Bytes that need no attention in a given lexer state, so the lexer can skip
 * runs of them: printable ASCII and tab/LF/CR, minus the state's specials.
 */
enum { FT_TEXT, FT_ATTV_DQ, FT_ATTV_SQ, FT_STAG, FT_ETAG, FT_CDATA, FT_N };
static bool fast_tab[FT_N][256];

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void
xml_global_init(void)
{
	static const char *const specials[FT_N] = {
		"<&", "\"&<", "'&<", "\"'><", "><\"'", "]>"
	};
	unsigned t, c;

	for (t = 0; t < FT_N; t++)
		for (c = 0; c < 256; c++)
			fast_tab[t][c] = (c >= 0x20 || c == '\t' || c == '\n' ||
					  c == '\r') && c < 0x80 &&
					 strchr(specials[t], (int)c) == NULL;
	xmlInitParser();
}

/* Records the first error and stops libxml2; later errors are ignored. */
static void CX_PRINTF(4, 5)
fail(cxi_xml_parser *p, cx_status status, const char *cond, const char *fmt,
     ...)
{
	va_list ap;

	if (p->status != CX_OK)
		return;
	p->status = status;
	cx_error_clear(&p->error);
	p->error.status = status;
	va_start(ap, fmt);
	vsnprintf(p->error.message, sizeof(p->error.message), fmt, ap);
	va_end(ap);
	cxi_strlcpy(p->error.condition, cond, sizeof(p->error.condition));
	if (p->ctxt != NULL && p->in_feed)
		xmlStopParser(p->ctxt);
}

static void
fail_nomem(cxi_xml_parser *p)
{
	fail(p, CX_ERR_NOMEM, COND_RESOURCE, "out of memory while parsing");
}

/* ---- lexer ---------------------------------------------------------- */

#define LX_OTHER 0x100 /* a non-ASCII character */

static bool
lx_is_ws(unsigned c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
lx_is_namechar(unsigned c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == ':' || c == '-' ||
	       c == '.' || c == LX_OTHER;
}

static bool
lx_predefined(const char *name, unsigned len)
{
	static const char *const names[] = { "amp", "lt", "gt", "quot", "apos" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			return true;
	return false;
}

static void
lx_init(struct lexer *lx)
{
	memset(lx, 0, sizeof(*lx));
	lx->st = LX_TEXT;
}

#define LX_FAIL(s, c, w)                                                    \
	do {                                                                \
		f->status = (s);                                            \
		f->cond = (c);                                              \
		f->why = (w);                                               \
		return false;                                               \
	} while (0)

/*
 * Runs the state machine on one event: an ASCII byte, or LX_OTHER for the
 * lead byte of a non-ASCII character. Sets *boundary after the '>' that
 * completes a depth-1 element, the stream header or the stream.
 */
static bool
lx_step(struct lexer *lx, unsigned c, bool *boundary, struct lx_fail *f)
{
	static const char cdata[] = "[CDATA[";
	bool selfclose;

	switch (lx->st) {
	case LX_TEXT:
		if (c == '<') {
			lx->lt_off = lx->doc_off;
			lx->st = LX_LT;
		} else if (lx->depth >= 2) {
			if (c == '&') {
				lx->st = LX_AMP;
				lx->amp_ret = LX_TEXT;
				lx->entlen = 0;
			}
		} else if (lx_is_ws(c)) {
			/* whitespace between stanzas (keepalives) */
		} else if (lx->depth == 1) {
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_BAD,
				"character data directly inside the stream element");
		} else if (lx->doc_off == 0 && c == LX_OTHER) {
			lx->bom_pending = true;
		} else {
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"character data outside the stream element");
		}
		break;
	case LX_AMP:
		if (lx->entlen == 0 && c == '#') {
			/* character reference: libxml2 checks the value */
			lx->st = lx->amp_ret;
		} else if (c == ';') {
			if (lx->entlen == 0)
				LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
					"empty entity reference");
			if (!lx_predefined(lx->ent, lx->entlen))
				LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
					"entity reference (only the five predefined are allowed)");
			lx->st = lx->amp_ret;
		} else if (lx_is_namechar(c)) {
			if (lx->entlen >= sizeof(lx->ent))
				LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
					"entity reference (only the five predefined are allowed)");
			lx->ent[lx->entlen++] = c == LX_OTHER ? '\x80' : (char)c;
		} else {
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"'&' not followed by a reference");
		}
		break;
	case LX_LT:
		if (c == '/') {
			if (lx->depth == 0)
				LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
					"end tag outside the stream element");
			lx->st = LX_ETAG;
		} else if (c == '!') {
			lx->st = LX_BANG;
			lx->idx = 0;
		} else if (c == '?') {
			if (lx->depth != 0 || lx->root_done ||
			    lx->lt_off != lx->bom_len)
				LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
					"processing instruction or misplaced XML declaration");
			lx->st = LX_PI;
			lx->idx = 0;
		} else {
			if (lx->root_done)
				LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
					"element after the end of the stream");
			lx->st = LX_STAG;
			lx->prev = 0;
		}
		break;
	case LX_BANG:
		if (lx->idx == 0 && c == '-')
			LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
				"XML comment");
		if (lx->idx == 0 && c == 'D')
			LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
				"document type declaration");
		if (c != (unsigned char)cdata[lx->idx])
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"invalid markup after '<!'");
		if (++lx->idx == sizeof(cdata) - 1) {
			if (lx->depth == 1)
				LX_FAIL(CX_ERR_XML_MALFORMED, COND_BAD,
					"CDATA directly inside the stream element");
			if (lx->depth == 0)
				LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
					"CDATA outside the stream element");
			lx->st = LX_CDATA;
			lx->idx = 0;
		}
		break;
	case LX_CDATA:
		if (c == ']')
			lx->idx++;
		else if (c == '>' && lx->idx >= 2)
			lx->st = LX_TEXT;
		else
			lx->idx = 0;
		break;
	case LX_PI:
		if (lx->idx < 3) {
			if (c != (unsigned char)"xml"[lx->idx])
				LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
					"processing instruction");
			lx->idx++;
		} else {
			if (!lx_is_ws(c))
				LX_FAIL(CX_ERR_XML_RESTRICTED, COND_RESTRICTED,
					"processing instruction");
			lx->st = LX_XMLDECL;
			lx->idx = 0;
		}
		break;
	case LX_XMLDECL:
		if (c == '>' && lx->idx == 1) {
			lx->st = LX_TEXT;
			lx->mark_bytes = 0;
		} else {
			lx->idx = c == '?';
		}
		break;
	case LX_STAG:
		if (c == '<')
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"'<' inside a start tag");
		if (c == '"' || c == '\'') {
			lx->st = LX_ATTV;
			lx->quote = (uint8_t)c;
		} else if (c == '>') {
			selfclose = lx->prev == '/';
			lx->st = LX_TEXT;
			if (selfclose) {
				if (lx->depth == 0)
					lx->root_done = true;
				if (lx->depth <= 1)
					*boundary = true;
			} else if (++lx->depth == 1) {
				*boundary = true;
			}
			if (*boundary)
				lx->mark_bytes = 0;
		}
		lx->prev = c == LX_OTHER ? 0 : (uint8_t)c;
		break;
	case LX_ATTV:
		if (c == lx->quote) {
			lx->st = LX_STAG;
			lx->prev = (uint8_t)c;
		} else if (c == '&') {
			lx->st = LX_AMP;
			lx->amp_ret = LX_ATTV;
			lx->entlen = 0;
		} else if (c == '<') {
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"'<' in an attribute value");
		}
		break;
	case LX_ETAG:
		/* Caught here, not left to libxml2: its push parser looks for
		 * the end of a tag with quote-aware heuristics, so a stray
		 * quote would delay its verdict by a chunk-dependent amount. */
		if (c == '"' || c == '\'' || c == '<')
			LX_FAIL(CX_ERR_XML_MALFORMED, COND_WF,
				"quote or '<' inside an end tag");
		if (c == '>') {
			lx->st = LX_TEXT;
			if (--lx->depth == 0)
				lx->root_done = true;
			if (lx->depth <= 1) {
				*boundary = true;
				lx->mark_bytes = 0;
			}
		}
		break;
	}
	return true;
}

static const bool *
lx_fast_table(const struct lexer *lx)
{
	switch (lx->st) {
	case LX_TEXT:
		return lx->depth >= 2 ? fast_tab[FT_TEXT] : NULL;
	case LX_ATTV:
		return fast_tab[lx->quote == '"' ? FT_ATTV_DQ : FT_ATTV_SQ];
	case LX_STAG:
		return fast_tab[FT_STAG];
	case LX_ETAG:
		return fast_tab[FT_ETAG];
	case LX_CDATA:
		return fast_tab[FT_CDATA];
	default:
		return NULL;
	}
}

/*
 * Scans s[0..len): stops after a boundary, at the end, or before a refused
 * byte. *used is the number of bytes accepted.
 */
static bool
lx_run(struct lexer *lx, const cxi_xml_limits *lim, const uint8_t *s,
       size_t len, size_t *used, bool *boundary, struct lx_fail *f)
{
	const bool *tab;
	size_t i, j, room;
	unsigned c;

	*boundary = false;
	for (i = 0; i < len; i++) {
		/* Fast path: skip a run of bytes that change nothing but the
		 * counters (all of them count towards the stanza). */
		tab = lx->u8need != 0 ? NULL : lx_fast_table(lx);
		if (tab != NULL) {
			room = lim->max_stanza_bytes - lx->mark_bytes;
			for (j = i; j < len && j - i < room && tab[s[j]]; j++)
				;
			if (j > i) {
				lx->mark_bytes += j - i;
				lx->doc_off += j - i;
				if (lx->st == LX_STAG)
					lx->prev = s[j - 1];
				else if (lx->st == LX_CDATA)
					lx->idx = 0;
				i = j;
				if (i == len)
					break;
			}
		}
		c = s[i];
		if (c != '<' && lx->st == LX_TEXT && lx->depth <= 1) {
			/* between stanzas: not part of any stanza */
		} else if (++lx->mark_bytes > lim->max_stanza_bytes) {
			f->status = CX_ERR_XML_TOO_BIG;
			f->cond = COND_POLICY;
			f->why = lx->depth >= 2 ? "stanza larger than the limit" :
				"stream-level markup larger than the stanza limit";
			goto refuse;
		}
		if (lx->u8need > 0) {
			if (c < lx->u8lo || c > lx->u8hi) {
				f->status = CX_ERR_XML_ENCODING;
				f->cond = COND_WF;
				f->why = "invalid UTF-8 sequence";
				goto refuse;
			}
			lx->u8lo = 0x80;
			lx->u8hi = 0xBF;
			lx->cp = (lx->cp << 6) | (c & 0x3F);
			if (--lx->u8need == 0) {
				if (lx->cp == 0xFFFE || lx->cp == 0xFFFF) {
					f->status = CX_ERR_XML_ENCODING;
					f->cond = COND_WF;
					f->why = "U+FFFE or U+FFFF is not an XML character";
					goto refuse;
				}
				if (lx->bom_pending) {
					lx->bom_pending = false;
					if (lx->cp != 0xFEFF) {
						f->status = CX_ERR_XML_MALFORMED;
						f->cond = COND_WF;
						f->why = "character data outside the stream element";
						goto refuse;
					}
					lx->bom_len = 3;
				}
			}
			lx->doc_off++;
			continue;
		}
		if (c >= 0x80) {
			lx->u8lo = 0x80;
			lx->u8hi = 0xBF;
			if (c >= 0xC2 && c <= 0xDF) {
				lx->u8need = 1;
				lx->cp = c & 0x1F;
			} else if (c >= 0xE0 && c <= 0xEF) {
				lx->u8need = 2;
				lx->cp = c & 0x0F;
				if (c == 0xE0)
					lx->u8lo = 0xA0; /* no overlong forms */
				else if (c == 0xED)
					lx->u8hi = 0x9F; /* no surrogates */
			} else if (c >= 0xF0 && c <= 0xF4) {
				lx->u8need = 3;
				lx->cp = c & 0x07;
				if (c == 0xF0)
					lx->u8lo = 0x90;
				else if (c == 0xF4)
					lx->u8hi = 0x8F; /* <= U+10FFFF */
			} else {
				f->status = CX_ERR_XML_ENCODING;
				f->cond = COND_WF;
				f->why = "invalid UTF-8 lead byte";
				goto refuse;
			}
			c = LX_OTHER;
		} else if (c < 0x20 && !lx_is_ws(c)) {
			f->status = CX_ERR_XML_ENCODING;
			f->cond = COND_WF;
			f->why = c == 0 ? "NUL byte" :
				"control character not allowed in XML";
			goto refuse;
		}
		if (!lx_step(lx, c, boundary, f))
			goto refuse;
		lx->doc_off++;
		if (*boundary) {
			*used = i + 1;
			return true;
		}
	}
	*used = len;
	return true;
refuse:
	*used = i;
	return false;
}

/* ---- tree building (SAX2 callbacks) ---------------------------------- */

static void
flush_text(cxi_xml_parser *p)
{
	xmlNodePtr t;
	size_t n = cxi_buf_size(&p->text);

	if (n == 0)
		return;
	if (p->cur != NULL && n <= INT32_MAX) {
		t = xmlNewDocTextLen(p->doc, cxi_buf_head(&p->text), (int)n);
		if (t == NULL) {
			fail_nomem(p);
		} else if (xmlAddChild(p->cur, t) == NULL) {
			xmlFreeNode(t);
			fail_nomem(p);
		}
	}
	cxi_buf_reset(&p->text);
}

/* The xmlNs in scope at `node` for (prefix, href), declared on the stanza
 * root if it comes from the stream header. */
static xmlNsPtr
resolve_ns(cxi_xml_parser *p, xmlNodePtr node, const xmlChar *prefix,
	   const xmlChar *href)
{
	xmlNodePtr n;
	xmlNsPtr ns;

	if (href == NULL)
		return NULL;
	if (prefix != NULL && xmlStrEqual(prefix, BAD_CAST "xml"))
		return xmlSearchNs(p->doc, node, prefix);
	for (n = node; n != NULL && n->type == XML_ELEMENT_NODE; n = n->parent)
		for (ns = n->nsDef; ns != NULL; ns = ns->next)
			if (xmlStrEqual(ns->prefix, prefix) &&
			    xmlStrEqual(ns->href, href))
				return ns;
	return xmlNewNs(xmlDocGetRootElement(p->doc), href, prefix);
}

/*
 * libxml2 hands namespace names over with '&' re-encoded as "&#38;", as it
 * does attribute values: decode before a name becomes an xmlNs href, or the
 * element lands in another namespace (found by fuzz_xml/fuzz_stanza).
 * Returns href itself when there is nothing to decode, else a copy in *tmp
 * (xmlFree it); NULL when out of memory.
 */
static const xmlChar *
ns_name(const xmlChar *href, xmlChar **tmp)
{
	const xmlChar *s;
	xmlChar *d;

	*tmp = NULL;
	if (href == NULL || xmlStrchr(href, '&') == NULL)
		return href;
	if ((*tmp = xmlStrdup(href)) == NULL)
		return NULL;
	for (s = href, d = *tmp; *s != '\0';) {
		if (s[0] == '&' && memcmp(s + 1, "#38;", 4) == 0) {
			*d++ = '&';
			s += 5;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
	return *tmp;
}

/*
 * Copies the attribute value libxml2 handed over (not NUL-terminated, '&'
 * re-encoded as "&#38;") into p->scratch, NUL-terminated. Returns its offset.
 */
static bool
decode_attr(cxi_xml_parser *p, const xmlChar *v, const xmlChar *end)
{
	const xmlChar *amp;

	while (v < end) {
		amp = memchr(v, '&', (size_t)(end - v));
		if (amp == NULL) {
			if (cxi_buf_append(&p->scratch, v, (size_t)(end - v)))
				return false;
			break;
		}
		if (cxi_buf_append(&p->scratch, v, (size_t)(amp - v) + 1))
			return false;
		v = amp + 1;
		if (end - v >= 4 && memcmp(v, "#38;", 4) == 0)
			v += 4;
	}
	return cxi_buf_append(&p->scratch, "", 1) == CX_OK;
}

static void
stream_header(cxi_xml_parser *p, const xmlChar *localname,
	      const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
	      int nb_attributes, const xmlChar **attributes)
{
	const char *default_ns = NULL;
	cxi_xml_attr *attrs = NULL;
	size_t *offs = NULL;
	int i;

	if (URI == NULL || !xmlStrEqual(URI, BAD_CAST CXI_NS_STREAM)) {
		fail(p, CX_ERR_XML_NAMESPACE, COND_NS,
		     "stream element in namespace '%s', expected '%s'",
		     URI != NULL ? (const char *)URI : "", CXI_NS_STREAM);
		return;
	}
	if (!xmlStrEqual(localname, BAD_CAST "stream")) {
		fail(p, CX_ERR_XML_MALFORMED, COND_BAD,
		     "root element <%.64s> is not <stream>",
		     (const char *)localname);
		return;
	}
	if (nb_namespaces > 0) {
		p->sns = calloc((size_t)nb_namespaces, sizeof(*p->sns));
		if (p->sns == NULL)
			goto nomem;
	}
	for (i = 0; i < nb_namespaces; i++) {
		p->sns[i].prefix = namespaces[2 * i];
		p->sns[i].href = namespaces[2 * i + 1];
		if (p->sns[i].prefix == NULL)
			default_ns = (const char *)p->sns[i].href;
	}
	p->nsns = (size_t)nb_namespaces;

	if (nb_attributes > 0) {
		attrs = calloc((size_t)nb_attributes, sizeof(*attrs));
		offs = calloc((size_t)nb_attributes, sizeof(*offs));
		if (attrs == NULL || offs == NULL)
			goto nomem;
	}
	cxi_buf_reset(&p->scratch);
	for (i = 0; i < nb_attributes; i++) {
		offs[i] = cxi_buf_size(&p->scratch);
		if (!decode_attr(p, attributes[5 * i + 3], attributes[5 * i + 4]))
			goto nomem;
	}
	for (i = 0; i < nb_attributes; i++) {
		attrs[i].name = (const char *)attributes[5 * i];
		attrs[i].prefix = (const char *)attributes[5 * i + 1];
		attrs[i].value = (const char *)cxi_buf_head(&p->scratch) + offs[i];
	}
	p->sdepth = 1;
	if (p->cb.stream_start != NULL)
		p->cb.stream_start(p->arg, default_ns, attrs,
				   (size_t)nb_attributes);
	goto out;
nomem:
	fail_nomem(p);
out:
	free(attrs);
	free(offs);
}

static void
on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix,
	 const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
	 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	cxi_xml_parser *p = ctx;
	xmlNodePtr node;
	xmlNsPtr ns;
	int i;

	if (p->status != CX_OK)
		return;
	if ((unsigned)nb_attributes + (unsigned)nb_namespaces > p->lim.max_attrs) {
		fail(p, CX_ERR_XML_TOO_MANY, COND_POLICY,
		     "<%.64s> has %d attributes, limit %u",
		     (const char *)localname, nb_attributes + nb_namespaces,
		     p->lim.max_attrs);
		return;
	}
	if (p->sdepth == 0) {
		stream_header(p, localname, URI, nb_namespaces, namespaces,
			      nb_attributes, attributes);
		return;
	}
	if (p->sdepth == 1) {
		if (URI != NULL && xmlStrEqual(URI, BAD_CAST CXI_NS_STREAM) &&
		    xmlStrEqual(localname, BAD_CAST "stream")) {
			fail(p, CX_ERR_XML_MALFORMED, COND_BAD,
			     "<stream:stream> inside the stream (restart without reset)");
			return;
		}
		cxi_buf_reset(&p->text); /* whitespace between stanzas */
		p->doc = xmlNewDoc(NULL);
		if (p->doc == NULL)
			goto nomem;
		p->nelems = 0;
	} else {
		flush_text(p);
		if (p->status != CX_OK)
			return;
	}
	if (p->sdepth > p->lim.max_depth) {
		fail(p, CX_ERR_XML_TOO_DEEP, COND_POLICY,
		     "elements nested deeper than %u", p->lim.max_depth);
		return;
	}
	if (++p->nelems > p->lim.max_children) {
		fail(p, CX_ERR_XML_TOO_MANY, COND_POLICY,
		     "more than %u elements in one stanza",
		     p->lim.max_children);
		return;
	}
	node = xmlNewDocNode(p->doc, NULL, localname, NULL);
	if (node == NULL)
		goto nomem;
	if (xmlAddChild(p->sdepth == 1 ? (xmlNodePtr)p->doc : p->cur,
			node) == NULL) {
		xmlFreeNode(node);
		goto nomem;
	}
	p->cur = node;
	p->sdepth++;
	for (i = 0; i < nb_namespaces; i++) {
		xmlChar *tmp;
		const xmlChar *href = ns_name(namespaces[2 * i + 1], &tmp);
		xmlNsPtr def = href ? xmlNewNs(node, href, namespaces[2 * i]) : NULL;

		xmlFree(tmp);
		if (def == NULL)
			goto nomem;
	}
	if (URI != NULL) {
		xmlChar *tmp;
		const xmlChar *href = ns_name(URI, &tmp);

		node->ns = href ? resolve_ns(p, node, prefix, href) : NULL;
		xmlFree(tmp);
		if (node->ns == NULL)
			goto nomem;
	}
	for (i = 0; i < nb_attributes; i++) {
		const xmlChar **a = attributes + 5 * i;

		ns = NULL;
		if (a[2] != NULL) {
			xmlChar *tmp;
			const xmlChar *href = ns_name(a[2], &tmp);

			ns = href ? resolve_ns(p, node, a[1], href) : NULL;
			xmlFree(tmp);
			if (ns == NULL)
				goto nomem;
		}
		cxi_buf_reset(&p->scratch);
		if (!decode_attr(p, a[3], a[4]))
			goto nomem;
		if (xmlNewNsProp(node, ns, a[0], cxi_buf_head(&p->scratch)) ==
		    NULL)
			goto nomem;
	}
	return;
nomem:
	fail_nomem(p);
}

static void
on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix,
       const xmlChar *URI)
{
	cxi_xml_parser *p = ctx;
	xmlDocPtr doc;

	if (p->status != CX_OK || p->sdepth == 0)
		return;
	if (p->sdepth == 1) {
		p->sdepth = 0;
		if (p->cb.stream_end != NULL)
			p->cb.stream_end(p->arg);
		return;
	}
	flush_text(p);
	if (p->status != CX_OK)
		return;
	if (--p->sdepth > 1) {
		p->cur = p->cur->parent;
		return;
	}
	doc = p->doc;
	p->doc = NULL;
	p->cur = NULL;
	if (p->text.cap > KEEP_BUF)
		cxi_buf_free(&p->text);
	if (p->scratch.cap > KEEP_BUF)
		cxi_buf_free(&p->scratch);
	if (p->cb.element != NULL)
		p->cb.element(p->arg, xmlDocGetRootElement(doc));
	else
		xmlFreeDoc(doc);
}

static void
on_characters(void *ctx, const xmlChar *ch, int len)
{
	cxi_xml_parser *p = ctx;

	if (p->status != CX_OK || p->sdepth < 2 || len <= 0)
		return;
	if (cxi_buf_append(&p->text, ch, (size_t)len) != CX_OK)
		fail_nomem(p);
}

static void
on_restricted(cxi_xml_parser *p, const char *what)
{
	fail(p, CX_ERR_XML_RESTRICTED, COND_RESTRICTED, "%s (restricted XML)",
	     what);
}

static void
on_internal_subset(void *ctx, const xmlChar *name, const xmlChar *eid,
		   const xmlChar *sid)
{
	on_restricted(ctx, "document type declaration");
}

static void
on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *pid,
	       const xmlChar *sid, xmlChar *content)
{
	on_restricted(ctx, "entity declaration");
}

static xmlEntityPtr
on_get_entity(void *ctx, const xmlChar *name)
{
	on_restricted(ctx, "entity reference");
	return NULL;
}

static xmlParserInputPtr
on_resolve_entity(void *ctx, const xmlChar *pid, const xmlChar *sid)
{
	on_restricted(ctx, "external entity");
	return NULL;
}

static void
on_reference(void *ctx, const xmlChar *name)
{
	on_restricted(ctx, "entity reference");
}

static void
on_pi(void *ctx, const xmlChar *target, const xmlChar *data)
{
	on_restricted(ctx, "processing instruction");
}

static void
on_comment(void *ctx, const xmlChar *value)
{
	on_restricted(ctx, "XML comment");
}

static void
on_serror(void *ctx, xmlErrorPtr e)
{
	cxi_xml_parser *p = ctx;
	cx_status st = CX_ERR_XML_MALFORMED;
	const char *cond = COND_WF;
	char msg[160];
	size_t n;

	if (e == NULL || e->level == XML_ERR_WARNING ||
	    e->code == XML_ERR_USER_STOP)
		return;
	if (e->domain == XML_FROM_NAMESPACE) {
		st = CX_ERR_XML_NAMESPACE;
	} else {
		switch (e->code) {
		case XML_ERR_INVALID_HEX_CHARREF:
		case XML_ERR_INVALID_DEC_CHARREF:
		case XML_ERR_INVALID_CHARREF:
		case XML_ERR_INVALID_CHAR:
		case XML_ERR_INVALID_ENCODING:
		case XML_ERR_UNKNOWN_ENCODING:
		case XML_ERR_UNSUPPORTED_ENCODING:
			st = CX_ERR_XML_ENCODING;
			break;
		case XML_ERR_UNDECLARED_ENTITY:
		case XML_WAR_UNDECLARED_ENTITY:
		case XML_ERR_ENTITY_LOOP:
		case XML_ERR_ENTITY_PE_INTERNAL:
		case XML_ERR_UNPARSED_ENTITY:
		case XML_ERR_DOCTYPE_NOT_FINISHED:
		case XML_ERR_EXT_SUBSET_NOT_FINISHED:
		case XML_ERR_PI_NOT_STARTED:
		case XML_ERR_PI_NOT_FINISHED:
		case XML_ERR_COMMENT_NOT_FINISHED:
		case XML_ERR_RESERVED_XML_NAME:
			st = CX_ERR_XML_RESTRICTED;
			cond = COND_RESTRICTED;
			break;
		case XML_ERR_NO_MEMORY:
			st = CX_ERR_NOMEM;
			cond = COND_RESOURCE;
			break;
		default:
			break;
		}
	}
	cxi_strlcpy(msg, e->message != NULL ? e->message : "", sizeof(msg));
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	fail(p, st, cond, "XML error %d: %s", e->code, msg);
}

/* ---- parser object -------------------------------------------------- */

static void
drop_state(cxi_xml_parser *p)
{
	if (p->ctxt != NULL) {
		xmlFreeParserCtxt(p->ctxt);
		p->ctxt = NULL;
	}
	if (p->doc != NULL) {
		xmlFreeDoc(p->doc);
		p->doc = NULL;
	}
	p->cur = NULL;
	free(p->sns);
	p->sns = NULL;
	p->nsns = 0;
	p->sdepth = 0;
	p->nelems = 0;
	cxi_buf_reset(&p->text);
	cxi_buf_reset(&p->scratch);
	lx_init(&p->lx);
	p->status = CX_OK;
	p->stop = false;
	cx_error_clear(&p->error);
}

static cx_status
start_document(cxi_xml_parser *p, cx_error *err)
{
	p->ctxt = xmlCreatePushParserCtxt(&p->sax, p, NULL, 0, NULL);
	if (p->ctxt == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM,
				     "cannot create the XML parser");
	/* Never XML_PARSE_NOENT, _DTDLOAD or _HUGE: see the design notes. */
	xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET | XML_PARSE_IGNORE_ENC);
	return CX_OK;
}

cx_status
cxi_xml_parser_new(cxi_xml_parser **out, const cxi_xml_limits *limits,
		   const cxi_xml_callbacks *cb, void *arg, cx_error *err)
{
	static const cxi_xml_limits defaults = CXI_XML_LIMITS_DEFAULT;
	cxi_xml_parser *p;
	cx_status st;

	if (out == NULL || cb == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_xml_parser_new: NULL argument");
	*out = NULL;
	pthread_once(&xml_once, xml_global_init);
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	p->lim = defaults;
	if (limits != NULL) {
		if (limits->max_stanza_bytes != 0)
			p->lim.max_stanza_bytes = limits->max_stanza_bytes;
		if (limits->max_depth != 0)
			p->lim.max_depth = limits->max_depth;
		if (limits->max_attrs != 0)
			p->lim.max_attrs = limits->max_attrs;
		if (limits->max_children != 0)
			p->lim.max_children = limits->max_children;
	}
	if (p->lim.max_depth > CXI_XML_DEPTH_CAP)
		p->lim.max_depth = CXI_XML_DEPTH_CAP;
	p->cb = *cb;
	p->arg = arg;
	cxi_buf_init(&p->text);
	cxi_buf_init(&p->scratch);
	lx_init(&p->lx);

	p->sax.initialized = XML_SAX2_MAGIC;
	p->sax.startElementNs = on_start;
	p->sax.endElementNs = on_end;
	p->sax.characters = on_characters;
	p->sax.ignorableWhitespace = on_characters;
	p->sax.cdataBlock = on_characters;
	p->sax.internalSubset = on_internal_subset;
	p->sax.externalSubset = on_internal_subset;
	p->sax.entityDecl = on_entity_decl;
	p->sax.getEntity = on_get_entity;
	p->sax.getParameterEntity = on_get_entity;
	p->sax.resolveEntity = on_resolve_entity;
	p->sax.reference = on_reference;
	p->sax.processingInstruction = on_pi;
	p->sax.comment = on_comment;
	p->sax.serror = on_serror;

	st = start_document(p, err);
	if (st != CX_OK) {
		free(p);
		return st;
	}
	*out = p;
	return CX_OK;
}

void
cxi_xml_parser_free(cxi_xml_parser *p)
{
	if (p == NULL)
		return;
	drop_state(p);
	cxi_buf_free(&p->text);
	cxi_buf_free(&p->scratch);
	free(p);
}

cx_status
cxi_xml_parser_reset(cxi_xml_parser *p, cx_error *err)
{
	if (p == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_xml_parser_reset: NULL parser");
	if (p->in_feed)
		return cxi_error_set(err, CX_ERR_STATE,
				     "cxi_xml_parser_reset called from a parser callback");
	drop_state(p);
	return start_document(p, err);
}

void
cxi_xml_parser_stop(cxi_xml_parser *p)
{
	if (p != NULL && p->in_feed)
		p->stop = true;
}

cx_status
cxi_xml_parser_feed(cxi_xml_parser *p, const void *data, size_t len,
		    size_t *consumed, cx_error *err)
{
	const uint8_t *s = data;
	struct lx_fail f = { CX_OK, NULL, NULL };
	size_t off = 0, n;
	bool boundary, ok;
	int rc;

	if (consumed != NULL)
		*consumed = 0;
	if (p == NULL || (data == NULL && len > 0))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_xml_parser_feed: NULL argument");
	if (p->in_feed)
		return cxi_error_set(err, CX_ERR_STATE,
				     "cxi_xml_parser_feed called from a parser callback");
	if (p->ctxt == NULL)
		return cxi_error_set(err, CX_ERR_STATE,
				     "XML parser has no document (reset failed)");
	p->stop = false;
	while (p->status == CX_OK && off < len) {
		ok = lx_run(&p->lx, &p->lim, s + off,
			    len - off < FEED_MAX ? len - off : FEED_MAX, &n,
			    &boundary, &f);
		if (n > 0) {
			/* Bytes before a refused one still go to libxml2 first,
			 * so that the first error in the stream wins whatever
			 * the chunking. */
			p->in_feed = true;
			rc = xmlParseChunk(p->ctxt, (const char *)s + off, (int)n,
					   0);
			p->in_feed = false;
			off += n;
			if (rc != 0 && p->status == CX_OK)
				fail(p, CX_ERR_XML_MALFORMED, COND_WF,
				     "XML error %d", rc);
		}
		if (p->status != CX_OK)
			break;
		if (!ok) {
			fail(p, f.status, f.cond, "%s (document byte %llu)",
			     f.why, (unsigned long long)p->lx.doc_off);
			break;
		}
		if (p->stop)
			break;
	}
	p->stop = false;
	if (consumed != NULL)
		*consumed = off;
	if (p->status != CX_OK) {
		cxi_error_copy(err, &p->error);
		return p->status;
	}
	return CX_OK;
}

/* ---- serializer ------------------------------------------------------ */

/*
 * Length of the valid UTF-8 character at s (at most n bytes) that is an XML
 * Char, or 0.
 */
static size_t
utf8_char(const uint8_t *s, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		len = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		len = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0xFFFE ||
	    cp == 0xFFFF)
		return 0;
	return len;
}

static cx_status
escape(cxi_buf *out, const char *text, size_t len, bool attribute)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0, run, cl;
	const char *rep;
	cx_status st;

	while (i < len) {
		run = i;
		while (run < len && s[run] >= 0x20 && s[run] < 0x80 &&
		       s[run] != '&' && s[run] != '<' && s[run] != '>' &&
		       s[run] != '"')
			run++;
		if (run > i) {
			st = cxi_buf_append(out, s + i, run - i);
			if (st != CX_OK)
				return st;
			i = run;
			if (i == len)
				break;
		}
		rep = NULL;
		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attribute ? "&quot;" : NULL; break;
		case '\r': rep = "&#13;"; break; /* survives end-of-line handling */
		case '\n': rep = attribute ? "&#10;" : NULL; break;
		case '\t': rep = attribute ? "&#9;" : NULL; break;
		default: break;
		}
		if (rep != NULL) {
			st = cxi_buf_append_str(out, rep);
			cl = 1;
		} else {
			if (s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
				return CX_ERR_XML_ENCODING;
			cl = utf8_char(s + i, len - i);
			if (cl == 0)
				return CX_ERR_XML_ENCODING;
			st = cxi_buf_append(out, s + i, cl);
		}
		if (st != CX_OK)
			return st;
		i += cl;
	}
	return CX_OK;
}

cx_status
cxi_xml_escape(cxi_buf *out, const char *text, size_t len, bool attribute)
{
	size_t mark;
	cx_status st;

	if (out == NULL || (text == NULL && len > 0))
		return CX_ERR_INVALID;
	mark = out->len;
	st = escape(out, text, len, attribute);
	if (st != CX_OK)
		out->len = mark;
	return st;
}

static cx_status
escape_str(cxi_buf *out, const xmlChar *s, bool attribute)
{
	return escape(out, (const char *)s,
		      s != NULL ? strlen((const char *)s) : 0, attribute);
}

/* Output namespace scope: bindings declared on the elements being written. */
struct ser_binding {
	const xmlChar *prefix;
	const xmlChar *href;
	unsigned level; /* depth of the element that declared it */
};

struct ser {
	cxi_buf *out;
	const xmlChar *default_ns;
	struct ser_binding fixed[16];
	struct ser_binding *b;
	size_t n, cap;
	unsigned genpfx; /* counter for generated attribute prefixes */
};

/* href bound to prefix in the output scope (NULL = no binding / none). */
static const xmlChar *
ser_lookup(const struct ser *z, const xmlChar *prefix, bool *found)
{
	size_t i = z->n;

	*found = true;
	while (i-- > 0)
		if (xmlStrEqual(z->b[i].prefix, prefix))
			return z->b[i].href;
	if (prefix == NULL)
		return z->default_ns;
	*found = false;
	return NULL;
}

static cx_status
ser_push(struct ser *z, const xmlChar *prefix, const xmlChar *href,
	 unsigned level)
{
	struct ser_binding *nb;

	if (z->n == z->cap) {
		nb = malloc(2 * z->cap * sizeof(*nb));
		if (nb == NULL)
			return CX_ERR_NOMEM;
		memcpy(nb, z->b, z->n * sizeof(*nb));
		if (z->b != z->fixed)
			free(z->b);
		z->b = nb;
		z->cap *= 2;
	}
	z->b[z->n].prefix = prefix;
	z->b[z->n].href = href;
	z->b[z->n].level = level;
	z->n++;
	return CX_OK;
}

static cx_status
ser_decl(struct ser *z, const xmlChar *prefix, const xmlChar *href,
	 unsigned level)
{
	cx_status st;

	if (prefix == NULL)
		st = cxi_buf_append_str(z->out, " xmlns=\"");
	else
		st = cxi_buf_printf(z->out, " xmlns:%s=\"", (const char *)prefix);
	if (st == CX_OK)
		st = escape_str(z->out, href, true);
	if (st == CX_OK)
		st = cxi_buf_append(z->out, "\"", 1);
	if (st == CX_OK)
		st = ser_push(z, prefix, href, level);
	return st;
}

static cx_status
ser_qname(cxi_buf *out, const xmlChar *prefix, const xmlChar *name)
{
	cx_status st = CX_OK;

	if (prefix != NULL) {
		st = cxi_buf_append_str(out, (const char *)prefix);
		if (st == CX_OK)
			st = cxi_buf_append(out, ":", 1);
	}
	if (st == CX_OK)
		st = cxi_buf_append_str(out, (const char *)name);
	return st;
}

static bool
has_empty_default(const xmlNode *e)
{
	const xmlNs *ns;

	for (ns = e->nsDef; ns != NULL; ns = ns->next)
		if (ns->prefix == NULL && (ns->href == NULL || ns->href[0] == 0))
			return true;
	return false;
}

/* Writes the start tag of element e at output depth `level`. */
static cx_status
ser_start(struct ser *z, const xmlNode *e, unsigned level)
{
	const xmlChar *epfx = NULL, *bound, *apfx;
	const xmlAttr *a;
	const xmlNode *t;
	char genbuf[24];
	bool found;
	cx_status st;

	if (e->name == NULL)
		return CX_ERR_INVALID;
	if (e->ns != NULL && e->ns->href != NULL)
		epfx = e->ns->prefix;
	st = cxi_buf_append(z->out, "<", 1);
	if (st == CX_OK)
		st = ser_qname(z->out, epfx, e->name);
	if (st != CX_OK)
		return st;
	if (e->ns != NULL && e->ns->href != NULL) {
		bound = ser_lookup(z, epfx, &found);
		if (!found || !xmlStrEqual(bound, e->ns->href)) {
			st = ser_decl(z, epfx, e->ns->href, level);
			if (st != CX_OK)
				return st;
		}
	}
	/* An element without a namespace is written without xmlns: it takes
	 * the enclosing default namespace (see xml.h), unless it carries an
	 * explicit xmlns="" (a parsed tree) that must survive. */
	if (e->ns == NULL && has_empty_default(e)) {
		bound = ser_lookup(z, NULL, &found);
		if (bound != NULL && bound[0] != '\0') {
			st = ser_decl(z, NULL, BAD_CAST "", level);
			if (st != CX_OK)
				return st;
		}
	}
	for (a = e->properties; a != NULL; a = a->next) {
		if (a->name == NULL)
			return CX_ERR_INVALID;
		apfx = NULL;
		if (a->ns != NULL && a->ns->href != NULL) {
			if (xmlStrEqual(a->ns->href, BAD_CAST CXI_NS_XML)) {
				apfx = BAD_CAST "xml";
			} else if (a->ns->prefix == NULL) {
				/* A namespaced attribute needs a prefix; this
				 * one is declared for the attribute alone. */
				snprintf(genbuf, sizeof(genbuf), "cxa%u",
					 z->genpfx++);
				apfx = BAD_CAST genbuf;
				st = cxi_buf_printf(z->out, " xmlns:%s=\"",
						    genbuf);
				if (st == CX_OK)
					st = escape_str(z->out, a->ns->href,
							true);
				if (st == CX_OK)
					st = cxi_buf_append(z->out, "\"", 1);
			} else {
				apfx = a->ns->prefix;
				bound = ser_lookup(z, apfx, &found);
				if (!found || !xmlStrEqual(bound, a->ns->href))
					st = ser_decl(z, apfx, a->ns->href,
						      level);
			}
			if (st != CX_OK)
				return st;
		}
		st = cxi_buf_append(z->out, " ", 1);
		if (st == CX_OK)
			st = ser_qname(z->out, apfx, a->name);
		if (st == CX_OK)
			st = cxi_buf_append(z->out, "=\"", 2);
		for (t = a->children; st == CX_OK && t != NULL; t = t->next) {
			if (t->type != XML_TEXT_NODE)
				return CX_ERR_INVALID; /* entity reference */
			st = escape_str(z->out, t->content, true);
		}
		if (st == CX_OK)
			st = cxi_buf_append(z->out, "\"", 1);
		if (st != CX_OK)
			return st;
	}
	return cxi_buf_append_str(z->out, e->children != NULL ? ">" : "/>");
}

static cx_status
ser_end(struct ser *z, const xmlNode *e, unsigned level)
{
	const xmlChar *epfx = NULL;
	cx_status st = CX_OK;

	while (z->n > 0 && z->b[z->n - 1].level == level)
		z->n--;
	if (e->children == NULL)
		return CX_OK;
	if (e->ns != NULL && e->ns->href != NULL)
		epfx = e->ns->prefix;
	st = cxi_buf_append(z->out, "</", 2);
	if (st == CX_OK)
		st = ser_qname(z->out, epfx, e->name);
	if (st == CX_OK)
		st = cxi_buf_append(z->out, ">", 1);
	return st;
}

cx_status
cxi_xml_serialize(cxi_buf *out, const xmlNode *elem, const char *default_ns)
{
	struct ser z;
	const xmlNode *n;
	unsigned level = 0;
	size_t mark;
	cx_status st = CX_OK;

	if (out == NULL || elem == NULL || elem->type != XML_ELEMENT_NODE)
		return CX_ERR_INVALID;
	memset(&z, 0, sizeof(z));
	z.out = out;
	z.default_ns = (const xmlChar *)default_ns;
	z.b = z.fixed;
	z.cap = sizeof(z.fixed) / sizeof(z.fixed[0]);
	mark = out->len;

	n = elem;
	for (;;) {
		switch (n->type) {
		case XML_ELEMENT_NODE:
			st = ser_start(&z, n, level);
			if (st != CX_OK)
				goto out;
			if (n->children != NULL) {
				n = n->children;
				level++;
				continue;
			}
			st = ser_end(&z, n, level);
			break;
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			st = escape_str(out, n->content, false);
			break;
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			/* not allowed on an XMPP stream: left out */
			break;
		default:
			st = CX_ERR_INVALID;
			break;
		}
		if (st != CX_OK)
			goto out;
		/* next node: sibling, or close parents until one has one */
		while (n != elem && n->next == NULL) {
			n = n->parent;
			level--;
			st = ser_end(&z, n, level);
			if (st != CX_OK)
				goto out;
		}
		if (n == elem)
			break;
		n = n->next;
	}
out:
	if (z.b != z.fixed)
		free(z.b);
	if (st != CX_OK && out->len >= mark)
		out->len = mark; /* nothing half-written */
	return st;
}

cx_status
cxi_xml_stream_header(cxi_buf *out, const char *to, const char *from,
		      const char *lang)
{
	size_t mark;
	cx_status st;

	if (out == NULL)
		return CX_ERR_INVALID;
	mark = out->len;
	st = cxi_buf_append_str(out, "<?xml version='1.0'?><stream:stream");
	if (st == CX_OK && to != NULL) {
		st = cxi_buf_append_str(out, " to=\"");
		if (st == CX_OK)
			st = cxi_xml_escape(out, to, strlen(to), true);
		if (st == CX_OK)
			st = cxi_buf_append(out, "\"", 1);
	}
	if (st == CX_OK && from != NULL) {
		st = cxi_buf_append_str(out, " from=\"");
		if (st == CX_OK)
			st = cxi_xml_escape(out, from, strlen(from), true);
		if (st == CX_OK)
			st = cxi_buf_append(out, "\"", 1);
	}
	if (st == CX_OK && lang != NULL) {
		st = cxi_buf_append_str(out, " xml:lang=\"");
		if (st == CX_OK)
			st = cxi_xml_escape(out, lang, strlen(lang), true);
		if (st == CX_OK)
			st = cxi_buf_append(out, "\"", 1);
	}
	if (st == CX_OK)
		st = cxi_buf_append_str(out,
			" version=\"1.0\" xmlns=\"" CXI_NS_CLIENT
			"\" xmlns:stream=\"" CXI_NS_STREAM "\">");
	if (st != CX_OK)
		out->len = mark;
	return st;
}

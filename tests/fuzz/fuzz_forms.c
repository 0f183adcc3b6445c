/*
 * Fuzz target: XEP-0004 data forms (include/cxmpp/forms.h, cx_form_parse).
 *
 * Input: the <x xmlns='jabber:x:data'/> element (or anything else): it is
 * wrapped in <message>...</message> and read with cx_stanza_from_string
 * (what that refuses is fuzz_stanza's business), then the first form child
 * is parsed. Invariants: a refusal is CX_ERR_NOT_FOUND, CX_ERR_PROTOCOL or
 * CX_ERR_XML_TOO_MANY (CX_ERR_NOMEM aside) with a message and no form; an
 * accepted form builds, the built element parses again, and building that
 * gives the same XML; a copy builds the same XML too.
 */
#include "config.h"

#include <string.h>

#include <libxml/tree.h>

#include "cxmpp/forms.h"
#include "cxmpp/stanza.h"
#include "lib/core/buf.h"
#include "lib/core/xml.h"
#include "tests/fuzz/fuzz.h"

/* Builds form into a new message; returns the serialized <x/>. */
static char *
build_text(const cx_form *form, cx_stanza **msg_out, xmlNodePtr *x_out)
{
	cx_error err = CX_ERROR_INIT;
	cxi_buf b = CXI_BUF_INIT;
	cx_stanza *m = NULL;
	xmlNodePtr x = NULL;
	cx_status st;
	char *s;

	st = cx_stanza_new_message(&m, NULL, NULL, NULL, &err);
	CXF_CHECK(st == CX_OK, "new_message: %s", err.message);
	st = cx_form_build(&x, form, cx_stanza_node(m), &err);
	CXF_CHECK(st == CX_OK, "an accepted form does not build: %d %s", st,
		  err.message);
	CXF_CHECK(x != NULL && x->parent == cx_stanza_node(m),
		  "built element not in the message");
	st = cxi_xml_serialize(&b, x, CXI_NS_CLIENT);
	CXF_CHECK(st == CX_OK, "the built form does not serialize: %d", st);
	s = cxi_buf_strdup(&b);
	CXF_CHECK(s != NULL, "out of memory");
	cxi_buf_free(&b);
	*msg_out = m;
	if (x_out != NULL)
		*x_out = x;
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cx_stanza *in = NULL, *m1 = NULL, *m2 = NULL, *m3 = NULL;
	cx_form *form = NULL, *form2 = NULL, *copy = NULL;
	cx_error err = CX_ERROR_INIT;
	cxi_buf text = CXI_BUF_INIT;
	char *t1 = NULL, *t2 = NULL, *t3 = NULL;
	xmlNodePtr x1 = NULL;
	cx_status st;

	cxi_buf_append_str(&text, "<message>");
	cxi_buf_append(&text, data, size);
	cxi_buf_append_str(&text, "</message>");
	st = cx_stanza_from_string(&in, (const char *)cxf_head(&text),
				   cxi_buf_size(&text), NULL);
	cxi_buf_free(&text);
	if (st != CX_OK)
		return 0;

	st = cx_form_parse_child(&form, cx_stanza_node(in), &err);
	if (st != CX_OK) {
		CXF_CHECK(st == CX_ERR_NOT_FOUND || st == CX_ERR_PROTOCOL ||
				  st == CX_ERR_XML_TOO_MANY || st == CX_ERR_NOMEM,
			  "refused with %d (%s)", st, err.message);
		CXF_CHECK(err.status == st && err.message[0] != '\0',
			  "refusal %d without a message", st);
		CXF_CHECK(form == NULL, "form set on failure");
		goto out;
	}
	CXF_CHECK(form != NULL, "no form");

	t1 = build_text(form, &m1, &x1);
	st = cx_form_parse(&form2, x1, &err);
	CXF_CHECK(st == CX_OK, "the built form is refused (%d %s): %s", st,
		  err.message, t1);
	t2 = build_text(form2, &m2, NULL);
	CXF_CHECK(strcmp(t1, t2) == 0, "build/parse not stable:\n%s\n%s", t1,
		  t2);
	CXF_CHECK(cx_form_get_type(form) == cx_form_get_type(form2) &&
			  cx_form_field_count(form) ==
				  cx_form_field_count(form2) &&
			  cx_form_item_count(form) == cx_form_item_count(form2),
		  "type, fields or items changed on a round trip");
	st = cx_form_copy(&copy, form, &err);
	CXF_CHECK(st == CX_OK, "copy: %d %s", st, err.message);
	t3 = build_text(copy, &m3, NULL);
	CXF_CHECK(strcmp(t1, t3) == 0, "copy builds differently:\n%s\n%s", t1,
		  t3);
out:
	free(t1);
	free(t2);
	free(t3);
	cx_form_free(form);
	cx_form_free(form2);
	cx_form_free(copy);
	cx_stanza_unref(in);
	cx_stanza_unref(m1);
	cx_stanza_unref(m2);
	cx_stanza_unref(m3);
	return 0;
}

/* Unit tests for XEP-0004 data forms (include/cxmpp/forms.h, lib/ext/forms.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "cxmpp/forms.h"
#include "cxmpp/stanza.h"
#include "lib/core/buf.h"
#include "tests/unit/testutil.h"

/* ---- helpers ----------------------------------------------------------- */

static xmlDocPtr
read_doc_mem(const char *xml, size_t len)
{
	return xmlReadMemory(xml, (int)len, "form.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOBLANKS |
				     XML_PARSE_HUGE);
}

static cx_status
parse_str(cx_form **out, const char *xml, cx_error *err)
{
	xmlDocPtr doc = read_doc_mem(xml, strlen(xml));
	cx_status st;

	ck_assert_msg(doc != NULL, "test XML not well-formed: %s", xml);
	st = cx_form_parse(out, xmlDocGetRootElement(doc), err);
	xmlFreeDoc(doc);
	return st;
}

static cx_form *
parse_file(const char *name)
{
	char path[1024], rel[256];
	xmlDocPtr doc;
	cx_form *f = NULL;
	cx_error err = CX_ERROR_INIT;

	snprintf(rel, sizeof(rel), "forms/%s", name);
	cxt_data_path(path, sizeof(path), rel);
	doc = xmlReadFile(path, NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	ck_assert_msg(doc != NULL, "cannot read %s", path);
	ck_assert_int_eq(cx_form_parse(&f, xmlDocGetRootElement(doc), &err),
			 CX_OK);
	xmlFreeDoc(doc);
	return f;
}

static void
assert_field_eq(const cx_form_field *a, const cx_form_field *b)
{
	const char *va = cx_form_field_get_var(a), *vb = cx_form_field_get_var(b);

	ck_assert_int_eq(cx_form_field_get_type(a), cx_form_field_get_type(b));
	ck_assert_pstr_eq(va, vb);
	ck_assert_pstr_eq(cx_form_field_get_label(a), cx_form_field_get_label(b));
	ck_assert_pstr_eq(cx_form_field_get_desc(a), cx_form_field_get_desc(b));
	ck_assert_int_eq(cx_form_field_is_required(a),
			 cx_form_field_is_required(b));
	ck_assert_int_eq(cx_form_field_is_open(a), cx_form_field_is_open(b));
	ck_assert_uint_eq(cx_form_field_value_count(a),
			  cx_form_field_value_count(b));
	for (size_t i = 0; i < cx_form_field_value_count(a); i++)
		ck_assert_str_eq(cx_form_field_get_value(a, i),
				 cx_form_field_get_value(b, i));
	ck_assert_uint_eq(cx_form_field_option_count(a),
			  cx_form_field_option_count(b));
	for (size_t i = 0; i < cx_form_field_option_count(a); i++) {
		ck_assert_str_eq(cx_form_field_get_option_value(a, i),
				 cx_form_field_get_option_value(b, i));
		ck_assert_pstr_eq(cx_form_field_get_option_label(a, i),
				  cx_form_field_get_option_label(b, i));
	}
}

static void
assert_form_eq(const cx_form *a, const cx_form *b)
{
	ck_assert_int_eq(cx_form_get_type(a), cx_form_get_type(b));
	ck_assert_pstr_eq(cx_form_get_title(a), cx_form_get_title(b));
	ck_assert_uint_eq(cx_form_instructions_count(a),
			  cx_form_instructions_count(b));
	for (size_t i = 0; i < cx_form_instructions_count(a); i++)
		ck_assert_str_eq(cx_form_get_instructions(a, i),
				 cx_form_get_instructions(b, i));
	ck_assert_uint_eq(cx_form_field_count(a), cx_form_field_count(b));
	for (size_t i = 0; i < cx_form_field_count(a); i++)
		assert_field_eq(cx_form_field_at(a, i), cx_form_field_at(b, i));
	ck_assert_uint_eq(cx_form_reported_count(a), cx_form_reported_count(b));
	for (size_t i = 0; i < cx_form_reported_count(a); i++)
		assert_field_eq(cx_form_reported_at(a, i),
				cx_form_reported_at(b, i));
	ck_assert_uint_eq(cx_form_item_count(a), cx_form_item_count(b));
	for (size_t i = 0; i < cx_form_item_count(a); i++) {
		ck_assert_uint_eq(cx_form_item_field_count(a, i),
				  cx_form_item_field_count(b, i));
		for (size_t j = 0; j < cx_form_item_field_count(a, i); j++)
			assert_field_eq(cx_form_item_field_at(a, i, j),
					cx_form_item_field_at(b, i, j));
	}
}

/* Builds f into a fresh iq, serializes, parses that back into a form. */
static cx_form *
roundtrip(const cx_form *f, char **xml_out)
{
	cx_stanza *iq = NULL, *back = NULL;
	cx_form *g = NULL;
	xmlNodePtr x = NULL;
	char *xml = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_new_iq(&iq, "set", "example.org",
					  "urn:example:test", "query", &err),
			 CX_OK);
	ck_assert_int_eq(cx_form_build(&x, f, cx_stanza_payload(iq), &err),
			 CX_OK);
	ck_assert_ptr_nonnull(x);
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_from_string(&back, xml, strlen(xml), &err),
			 CX_OK);
	ck_assert_int_eq(cx_form_parse_child(&g, cx_stanza_payload(back), &err),
			 CX_OK);
	cx_stanza_unref(iq);
	cx_stanza_unref(back);
	if (xml_out)
		*xml_out = xml;
	else
		cx_free(xml);
	return g;
}

/* ---- the XEP-0004 examples --------------------------------------------- */

START_TEST(test_forms_examples_bot_form)
{
	cx_form *f = parse_file("bot-form.xml");
	cx_form_field *fld;

	ck_assert_int_eq(cx_form_get_type(f), CX_FORM_FORM);
	ck_assert_str_eq(cx_form_get_title(f), "Bot Configuration");
	ck_assert_uint_eq(cx_form_instructions_count(f), 1);
	ck_assert_str_eq(cx_form_get_instructions(f, 0),
			 "Fill out this form to configure your new bot!");
	ck_assert_ptr_null(cx_form_get_instructions(f, 1));
	ck_assert_str_eq(cx_form_get_form_type(f), "jabber:bot");
	ck_assert_uint_eq(cx_form_field_count(f), 12);

	fld = cx_form_field_at(f, 1);
	ck_assert_int_eq(cx_form_field_get_type(fld), CX_FIELD_FIXED);
	ck_assert_ptr_null(cx_form_field_get_var(fld));
	ck_assert_str_eq(cx_form_field_get_value(fld, 0), "Section 1: Bot Info");

	fld = cx_form_find_field(f, "public");
	ck_assert_int_eq(cx_form_field_get_type(fld), CX_FIELD_BOOLEAN);
	ck_assert_int_eq(cx_form_field_is_required(fld), 1);
	ck_assert_str_eq(cx_form_field_get_label(fld), "Public bot?");
	ck_assert_uint_eq(cx_form_field_value_count(fld), 0);

	fld = cx_form_find_field(f, "features");
	ck_assert_int_eq(cx_form_field_get_type(fld), CX_FIELD_LIST_MULTI);
	ck_assert_uint_eq(cx_form_field_option_count(fld), 5);
	ck_assert_str_eq(cx_form_field_get_option_label(fld, 3), "Reminders");
	ck_assert_str_eq(cx_form_field_get_option_value(fld, 3), "reminders");
	ck_assert_uint_eq(cx_form_field_value_count(fld), 2);
	ck_assert_str_eq(cx_form_field_get_value(fld, 1), "search");
	ck_assert_int_eq(cx_form_field_is_required(fld), 0);

	fld = cx_form_find_field(f, "maxsubs");
	ck_assert_int_eq(cx_form_field_get_type(fld), CX_FIELD_LIST_SINGLE);
	ck_assert_uint_eq(cx_form_field_option_count(fld), 6);
	ck_assert_str_eq(cx_form_field_get_value(fld, 0), "20");
	ck_assert_str_eq(cx_form_field_get_option_label(fld, 5), "None");

	fld = cx_form_find_field(f, "invitelist");
	ck_assert_int_eq(cx_form_field_get_type(fld), CX_FIELD_JID_MULTI);
	ck_assert_str_eq(cx_form_field_get_desc(fld),
			 "Tell all your friends about your new bot!");
	ck_assert_int_eq(cx_form_field_get_type(cx_form_find_field(f, "password")),
			 CX_FIELD_TEXT_PRIVATE);
	ck_assert_int_eq(cx_form_field_get_type(cx_form_find_field(f, "description")),
			 CX_FIELD_TEXT_MULTI);
	ck_assert_int_eq(cx_form_field_get_type(cx_form_find_field(f, "botname")),
			 CX_FIELD_TEXT_SINGLE);
	ck_assert_int_eq(cx_form_field_get_type(cx_form_find_field(f, "FORM_TYPE")),
			 CX_FIELD_HIDDEN);
	ck_assert_ptr_null(cx_form_find_field(f, "nope"));
	ck_assert_ptr_null(cx_form_find_field(f, NULL));
	ck_assert_ptr_null(cx_form_field_at(f, 12));
	cx_form_free(f);
}
END_TEST

START_TEST(test_forms_examples_bot_submit_and_result)
{
	cx_form *s = parse_file("bot-submit.xml");
	cx_form *r = parse_file("bot-result.xml");
	cx_form_field *d = cx_form_find_field(s, "description");
	int b = -1;

	ck_assert_int_eq(cx_form_get_type(s), CX_FORM_SUBMIT);
	ck_assert_int_eq(cx_form_get_type(r), CX_FORM_RESULT);
	ck_assert_uint_eq(cx_form_field_count(s), 8);
	ck_assert_uint_eq(cx_form_field_count(r), 7);
	ck_assert_uint_eq(cx_form_field_value_count(d), 4);
	ck_assert_str_eq(cx_form_field_get_value(d, 2),
			 "in your Jabber client. It' really cool!");
	ck_assert_int_eq(cx_form_get_bool(&b, s, "public", NULL), CX_OK);
	ck_assert_int_eq(b, 0);
	ck_assert_str_eq(cx_form_get_value(r, "maxsubs"), "50");
	ck_assert_str_eq(cx_form_field_get_value(cx_form_find_field(r, "invitelist"), 1),
			 "benvolio@montague.net");
	ck_assert_str_eq(cx_form_get_form_type(r), "jabber:bot");
	cx_form_free(s);
	cx_form_free(r);
}
END_TEST

START_TEST(test_forms_examples_search)
{
	cx_form *f = parse_file("search-form.xml");
	cx_form *s = parse_file("search-submit.xml");
	cx_form *r = parse_file("search-result.xml");
	cx_form *mine = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_form_field_is_required(cx_form_find_field(f, "search_request")), 1);
	ck_assert_ptr_null(cx_form_get_form_type(f));
	/* Our submit of the filled form is example 7. */
	ck_assert_int_eq(cx_form_set_value(f, "search_request", "verona", &err),
			 CX_OK);
	ck_assert_int_eq(cx_form_submit(&mine, f, &err), CX_OK);
	assert_form_eq(mine, s);

	ck_assert_str_eq(cx_form_get_title(r), "Joogle Search: verona");
	ck_assert_uint_eq(cx_form_reported_count(r), 2);
	ck_assert_str_eq(cx_form_field_get_var(cx_form_reported_at(r, 1)), "url");
	ck_assert_int_eq(cx_form_field_get_type(cx_form_reported_at(r, 0)),
			 CX_FIELD_UNSPECIFIED);
	ck_assert_uint_eq(cx_form_item_count(r), 5);
	ck_assert_uint_eq(cx_form_item_field_count(r, 4), 2);
	ck_assert_str_eq(cx_form_field_get_value(cx_form_item_find_field(r, 3, "name"), 0),
			 "Aeroporti del Garda");
	ck_assert_str_eq(cx_form_field_get_value(cx_form_item_field_at(r, 0, 1), 0),
			 "http://www.comune.verona.it/");
	ck_assert_ptr_null(cx_form_item_field_at(r, 5, 0));
	ck_assert_ptr_null(cx_form_item_find_field(r, 0, "nope"));
	ck_assert_uint_eq(cx_form_item_field_count(r, 9), 0);
	cx_form_free(f);
	cx_form_free(s);
	cx_form_free(r);
	cx_form_free(mine);
}
END_TEST

START_TEST(test_forms_examples_cancel)
{
	cx_form *f = parse_file("cancel.xml");

	ck_assert_int_eq(cx_form_get_type(f), CX_FORM_CANCEL);
	ck_assert_uint_eq(cx_form_field_count(f), 0);
	ck_assert_ptr_null(cx_form_get_title(f));
	cx_form_free(f);
}
END_TEST

static const char *const example_files[] = {
	"bot-form.xml", "bot-submit.xml", "bot-result.xml", "search-form.xml",
	"search-submit.xml", "search-result.xml", "cancel.xml"
};

START_TEST(test_forms_build_roundtrip_examples)
{
	cx_form *f = parse_file(example_files[_i]);
	cx_form *g = roundtrip(f, NULL);
	cx_form *c = NULL;

	assert_form_eq(f, g);
	ck_assert_int_eq(cx_form_copy(&c, f, NULL), CX_OK);
	assert_form_eq(f, c);
	cx_form_free(f);
	cx_form_free(g);
	cx_form_free(c);
}
END_TEST

/* ---- filling in and submitting ------------------------------------------ */

START_TEST(test_forms_fill_bot_like_example_3)
{
	cx_form *f = parse_file("bot-form.xml");
	cx_form *want = parse_file("bot-submit.xml");
	cx_form *got = NULL;
	cx_error err = CX_ERROR_INIT;
	const char *desc[] = {
		"This bot enables you to send requests to",
		"Google and receive the search results right",
		"in your Jabber client. It' really cool!",
		"It even supports Google News!"
	};
	const char *feat[] = { "news", "search" };
	const char *inv[] = { "juliet@capulet.com", "benvolio@montague.net" };

	/* required field 'public' not filled yet */
	ck_assert_int_eq(cx_form_submit(&got, f, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(got);
	ck_assert_ptr_nonnull(strstr(err.message, "public"));

	ck_assert_int_eq(cx_form_set_value(f, "botname", "The Jabber Google Bot", &err), CX_OK);
	ck_assert_int_eq(cx_form_set_values(f, "description", desc, 4, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_bool(f, "public", 0, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "password", "v3r0na", &err), CX_OK);
	ck_assert_int_eq(cx_form_set_values(f, "features", feat, 2, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "maxsubs", "50", &err), CX_OK);
	ck_assert_int_eq(cx_form_set_values(f, "invitelist", inv, 2, &err), CX_OK);
	ck_assert_int_eq(cx_form_submit(&got, f, &err), CX_OK);
	assert_form_eq(got, want);
	/* the form itself keeps its labels and options */
	ck_assert_uint_eq(cx_form_field_option_count(cx_form_find_field(f, "maxsubs")), 6);
	ck_assert_uint_eq(cx_form_field_option_count(cx_form_find_field(got, "maxsubs")), 0);
	ck_assert_ptr_null(cx_form_field_get_label(cx_form_find_field(got, "maxsubs")));
	/* a submit form cannot be submitted again */
	cx_form_free(f);
	f = NULL;
	ck_assert_int_eq(cx_form_submit(&f, got, &err), CX_ERR_INVALID);
	cx_form_free(got);
	cx_form_free(want);
}
END_TEST

struct fill_case {
	const char *var;
	const char *values[3];
	size_t n;
	cx_status want;
	const char *stored; /* first value stored on success */
};

static const struct fill_case fill_cases[] = {
	{ "public", { "1" }, 1, CX_OK, "1" },
	{ "public", { "true" }, 1, CX_OK, "true" },
	{ "public", { "false" }, 1, CX_OK, "false" },
	{ "public", { "0" }, 1, CX_OK, "0" },
	{ "public", { "yes" }, 1, CX_ERR_INVALID, NULL },
	{ "public", { "TRUE" }, 1, CX_ERR_INVALID, NULL },
	{ "public", { "" }, 1, CX_ERR_INVALID, NULL },
	{ "public", { "1", "0" }, 2, CX_ERR_INVALID, NULL },
	{ "maxsubs", { "none" }, 1, CX_OK, "none" },
	{ "maxsubs", { "42" }, 1, CX_ERR_INVALID, NULL },
	{ "maxsubs", { "10", "20" }, 2, CX_ERR_INVALID, NULL },
	{ "features", { "polls", "contests" }, 2, CX_OK, "polls" },
	{ "features", { "polls", "dancing" }, 2, CX_ERR_INVALID, NULL },
	{ "invitelist", { "Juliet@Capulet.COM/Balcony" }, 1, CX_OK,
	  "juliet@capulet.com/Balcony" },
	{ "invitelist", { "a@b", "@broken" }, 2, CX_ERR_JID, NULL },
	{ "invitelist", { "" }, 1, CX_ERR_JID, NULL },
	{ "botname", { "one line" }, 1, CX_OK, "one line" },
	{ "botname", { "two\nlines" }, 1, CX_ERR_INVALID, NULL },
	{ "botname", { "a", "b" }, 2, CX_ERR_INVALID, NULL },
	{ "botname", { "bad\x01" "char" }, 1, CX_ERR_XML_ENCODING, NULL },
	{ "botname", { "bad \xc3\x28 utf8" }, 1, CX_ERR_XML_ENCODING, NULL },
	{ "password", { "pass\rword" }, 1, CX_ERR_INVALID, NULL },
	{ "description", { "line 1", "line 2", "" }, 3, CX_OK, "line 1" },
	{ "FORM_TYPE", { "jabber:bot" }, 1, CX_OK, "jabber:bot" },
	{ "nosuchfield", { "x" }, 1, CX_ERR_NOT_FOUND, NULL },
	{ "botname", { NULL }, 1, CX_ERR_INVALID, NULL },
};

START_TEST(test_forms_fill_table)
{
	const struct fill_case *c = &fill_cases[_i];
	cx_form *f = parse_file("bot-form.xml");
	cx_form_field *fld = cx_form_find_field(f, c->var);
	size_t before = fld ? cx_form_field_value_count(fld) : 0;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_form_set_values(f, c->var, c->values, c->n, &err);

	ck_assert_msg(st == c->want, "case %d (%s): got %d want %d (%s)", _i,
		      c->var, st, c->want, err.message);
	if (st == CX_OK) {
		ck_assert_uint_eq(cx_form_field_value_count(fld), c->n);
		ck_assert_str_eq(cx_form_field_get_value(fld, 0), c->stored);
	} else {
		ck_assert_int_eq(err.status, c->want);
		ck_assert_str_ne(err.message, "");
		if (fld != NULL) /* nothing changed */
			ck_assert_uint_eq(cx_form_field_value_count(fld), before);
	}
	cx_form_free(f);
}
END_TEST

START_TEST(test_forms_fill_fixed_open_and_clear)
{
	cx_form *f = NULL;
	cx_form_field *fld = NULL;
	cx_error err = CX_ERROR_INIT;
	int b = 7;

	ck_assert_int_eq(cx_form_new(&f, CX_FORM_FORM, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_FIXED, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_FIXED, "hdr", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "hdr", "x", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_field(&fld, f, CX_FIELD_LIST_SINGLE, "color", "Colour", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_option(fld, "Red", "red", &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "color", "blue", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_field_set_open(fld, 1, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "color", "blue", &err), CX_OK);
	ck_assert_str_eq(cx_form_get_value(f, "color"), "blue");
	ck_assert_int_eq(cx_form_set_value(f, "color", NULL, &err), CX_OK);
	ck_assert_ptr_null(cx_form_get_value(f, "color"));
	/* a boolean not filled in, then filled in */
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_BOOLEAN, "b", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_get_bool(&b, f, "b", &err), CX_ERR_NOT_FOUND);
	ck_assert_int_eq(cx_form_set_value(f, "b", "true", &err), CX_OK);
	ck_assert_int_eq(cx_form_get_bool(&b, f, "b", &err), CX_OK);
	ck_assert_int_eq(b, 1);
	/* text field with a non-boolean value */
	ck_assert_int_eq(cx_form_add_field(&fld, f, CX_FIELD_TEXT_SINGLE, "t", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_value(fld, "maybe", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_value(fld, "twice", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_get_bool(&b, f, "t", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_field_set_open(fld, 1, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_field_add_option(fld, NULL, "x", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_field_clear_values(fld, &err), CX_OK);
	ck_assert_uint_eq(cx_form_field_value_count(fld), 0);
	cx_form_free(f);
}
END_TEST

/* ---- building ----------------------------------------------------------- */

START_TEST(test_forms_build_new_form)
{
	cx_form *f = NULL, *g = NULL;
	cx_form_field *fld = NULL;
	cx_error err = CX_ERROR_INIT;
	char *xml = NULL;

	ck_assert_int_eq(cx_form_new(&f, CX_FORM_FORM, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_title(f, "T <&> 'q'", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_instructions(f, "one", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_instructions(f, "two", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_form_type(f, "urn:example:form", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(&fld, f, CX_FIELD_LIST_MULTI, "pick", "Pick <some>", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_option(fld, "A", "a", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_option(fld, NULL, "b", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_set_open(fld, 1, &err), CX_OK);
	ck_assert_int_eq(cx_form_field_set_required(fld, 1, &err), CX_OK);
	ck_assert_int_eq(cx_form_field_set_desc(fld, "desc & more", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_JID_SINGLE, "who", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "who", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_field(NULL, f, (cx_field_type)99, "z", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_UNSPECIFIED, "plain", NULL, &err), CX_OK);

	g = roundtrip(f, &xml);
	assert_form_eq(f, g);
	ck_assert_str_eq(cx_form_get_form_type(g), "urn:example:form");
	ck_assert_ptr_nonnull(strstr(xml, "<x xmlns=\"jabber:x:data\" type=\"form\">"));
	ck_assert_ptr_nonnull(strstr(xml, "<title>T &lt;&amp;&gt; 'q'</title>"));
	ck_assert_ptr_nonnull(strstr(xml, "xmlns=\"http://jabber.org/protocol/xdata-validate\""));
	ck_assert_ptr_nonnull(strstr(xml, "<field var=\"plain\"/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<option><value>b</value></option>"));
	cx_free(xml);
	cx_form_free(g);
	cx_form_free(f);
}
END_TEST

START_TEST(test_forms_build_result_table)
{
	cx_form *f = NULL, *g = NULL;
	cx_form_field *fld = NULL;
	size_t idx = 99;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_form_new(&f, CX_FORM_RESULT, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_reported(NULL, f, CX_FIELD_TEXT_SINGLE, "name", "Name", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_reported(NULL, f, CX_FIELD_JID_SINGLE, "jid", "JID", &err), CX_OK);
	ck_assert_int_eq(cx_form_item_add_field(NULL, f, 0, "name", &err), CX_ERR_NOT_FOUND);
	ck_assert_int_eq(cx_form_add_item(&idx, f, &err), CX_OK);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(cx_form_add_reported(NULL, f, CX_FIELD_TEXT_SINGLE, "late", NULL, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_form_item_add_field(&fld, f, 0, "name", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_value(fld, "Juliet", &err), CX_OK);
	ck_assert_int_eq(cx_form_item_add_field(&fld, f, 0, "jid", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_value(fld, "juliet@capulet.lit", &err), CX_OK);
	ck_assert_int_eq(cx_form_item_add_field(NULL, f, 0, "jid", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_item_add_field(NULL, f, 0, "age", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_item(&idx, f, &err), CX_OK);
	ck_assert_uint_eq(idx, 1);
	ck_assert_int_eq(cx_form_item_add_field(&fld, f, 1, "name", &err), CX_OK);
	g = roundtrip(f, NULL);
	assert_form_eq(f, g);
	ck_assert_uint_eq(cx_form_item_count(g), 2);
	cx_form_free(g);
	cx_form_free(f);
}
END_TEST

START_TEST(test_forms_build_bad_arguments)
{
	cx_form *f = NULL, *g = (cx_form *)1;
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr x = (xmlNodePtr)1;
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr text = xmlNewDocText(doc, BAD_CAST "t");

	ck_assert_int_eq(cx_form_new(NULL, CX_FORM_FORM, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_new(&f, (cx_form_type)0, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_new(&f, (cx_form_type)5, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(cx_form_new(&f, CX_FORM_SUBMIT, &err), CX_OK);
	ck_assert_int_eq(cx_form_build(&x, f, NULL, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(cx_form_build(NULL, f, text, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_build(NULL, NULL, text, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_set_title(f, "\x02", &err), CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_form_add_instructions(f, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_add_form_type(f, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_parse(NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_form_parse(&g, NULL, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(g);
	ck_assert_int_eq(cx_form_parse_child(&g, text, &err), CX_ERR_NOT_FOUND);
	ck_assert_str_eq(cx_form_type_name(CX_FORM_RESULT), "result");
	ck_assert_ptr_null(cx_form_type_name((cx_form_type)9));
	ck_assert_str_eq(cx_field_type_name(CX_FIELD_JID_MULTI), "jid-multi");
	ck_assert_ptr_null(cx_field_type_name(CX_FIELD_UNSPECIFIED));
	ck_assert_ptr_null(cx_field_type_name((cx_field_type)42));
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(cx_form_add_instructions(f, "i", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_instructions(f, "i", &err), CX_ERR_FULL);
	cx_form_free(f);
	cx_form_free(NULL);
	xmlFreeNode(text);
	xmlFreeDoc(doc);
}
END_TEST

/* ---- malformed forms ---------------------------------------------------- */

struct bad_case {
	const char *xml;
	cx_status want;
	const char *word; /* appears in the message */
};

#define X "<x xmlns='jabber:x:data' "
static const struct bad_case bad_cases[] = {
	{ "<x xmlns='jabber:x:data'/>", CX_ERR_PROTOCOL, "type" },
	{ X "type='nonsense'/>", CX_ERR_PROTOCOL, "nonsense" },
	{ X "type=''/>", CX_ERR_PROTOCOL, "type" },
	{ "<x xmlns='jabber:x:dat' type='form'/>", CX_ERR_INVALID, "jabber:x:data" },
	{ "<y xmlns='jabber:x:data' type='form'/>", CX_ERR_INVALID, "jabber:x:data" },
	{ "<x type='form'/>", CX_ERR_INVALID, "jabber:x:data" },
	{ X "type='form'><field type='dropdown' var='a'/></x>", CX_ERR_PROTOCOL, "dropdown" },
	{ X "type='form'><field type='text-single'/></x>", CX_ERR_PROTOCOL, "var" },
	{ X "type='form'><field/></x>", CX_ERR_PROTOCOL, "var" },
	{ X "type='submit'><field><value>x</value></field></x>", CX_ERR_PROTOCOL, "var" },
	{ X "type='form'><field var='a'/><field var='a'/></x>", CX_ERR_PROTOCOL, "'a'" },
	{ X "type='form'><field var='b' type='boolean'><value>yes</value></field></x>", CX_ERR_PROTOCOL, "boolean" },
	{ X "type='form'><field var='b' type='boolean'><value>1</value><value>0</value></field></x>", CX_ERR_PROTOCOL, "several" },
	{ X "type='form'><field var='s' type='text-single'><value>1</value><value>2</value></field></x>", CX_ERR_PROTOCOL, "several" },
	{ X "type='form'><field var='s' type='jid-single'><value>a@b</value><value>c@d</value></field></x>", CX_ERR_PROTOCOL, "several" },
	{ X "type='form'><field var='l' type='list-single'><option label='x'/></field></x>", CX_ERR_PROTOCOL, "0 values" },
	{ X "type='form'><field var='l' type='list-single'><option><value>1</value><value>2</value></option></field></x>", CX_ERR_PROTOCOL, "2 values" },
	{ X "type='form'><field var='d'><desc>a</desc><desc>b</desc></field></x>", CX_ERR_PROTOCOL, "desc" },
	{ X "type='form'><title>a</title><title>b</title></x>", CX_ERR_PROTOCOL, "title" },
	{ X "type='result'><reported><field var='a'/></reported><reported><field var='a'/></reported></x>", CX_ERR_PROTOCOL, "twice" },
	{ X "type='result'><item><field var='a'/></item><reported><field var='a'/></reported></x>", CX_ERR_PROTOCOL, "after" },
	{ X "type='result'><reported><field var='a'/></reported><item><field var='b'/></item></x>", CX_ERR_PROTOCOL, "reported" },
	{ X "type='result'><reported><field var='a'/></reported><item><field var='a'/><field var='a'/></item></x>", CX_ERR_PROTOCOL, "repeated" },
	{ X "type='result'><reported><field type='fixed'/></reported></x>", CX_ERR_PROTOCOL, "var" },
	{ X "type='result'><reported><field var='a'/></reported><item><field type='fixed'/></item></x>", CX_ERR_PROTOCOL, "var" },
	{ X "type='result'><reported><field var='a'/><field var='a'/></reported></x>", CX_ERR_PROTOCOL, "'a'" },
};
#undef X

START_TEST(test_forms_parse_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	cx_form *f = (cx_form *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = parse_str(&f, c->xml, &err);

	ck_assert_msg(st == c->want, "case %d: got %d want %d (%s) for %s", _i,
		      st, c->want, err.message, c->xml);
	ck_assert_ptr_null(f);
	ck_assert_int_eq(err.status, c->want);
	ck_assert_msg(strstr(err.message, c->word) != NULL,
		      "case %d: message '%s' lacks '%s'", _i, err.message,
		      c->word);
}
END_TEST

/* Accepted oddities: extensions are skipped, types are not checked where
 * the spec leaves it to the form-processing entity. */
static const char *const lenient_cases[] = {
	"<x xmlns='jabber:x:data' type='form'><foo xmlns='urn:other'/><bar/></x>",
	"<x xmlns='jabber:x:data' type='form'><field var='a'><media xmlns='urn:xmpp:media-element'/><other/></field></x>",
	"<x xmlns='jabber:x:data' type='form'><field var='j' type='jid-single'><value>not a jid@@</value></field></x>",
	"<x xmlns='jabber:x:data' type='form'><field var='l' type='list-single'><value>unlisted</value></field></x>",
	"<x xmlns='jabber:x:data' type='submit'><field var='m'><value>1</value><value>2</value></field></x>",
	"<x xmlns='jabber:x:data' type='result'><item><field var='free'/></item></x>",
	"<x xmlns='jabber:x:data' type='form'><field type='fixed'/><field type='fixed'/></x>",
	"<x xmlns='jabber:x:data' type='form'><field var='v'><value/></field></x>",
	"<x xmlns='jabber:x:data' type='form'><field var='v'><value><![CDATA[<raw>]]></value></field></x>",
};

START_TEST(test_forms_parse_lenient)
{
	cx_form *f = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(parse_str(&f, lenient_cases[_i], &err) == CX_OK,
		      "case %d: %s", _i, err.message);
	ck_assert_ptr_nonnull(f);
	cx_form_free(f);
}
END_TEST

START_TEST(test_forms_parse_values_and_open)
{
	cx_form *f = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(parse_str(&f,
		"<x xmlns='jabber:x:data' type='form'>"
		"<field var='v'><value><![CDATA[<raw>]]> &amp; more</value></field>"
		"<field var='e'><value/></field>"
		"<field var='l' type='list-multi'><validate xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:string'><open/></validate></field>"
		"</x>", &err), CX_OK);
	ck_assert_str_eq(cx_form_get_value(f, "v"), "<raw> & more");
	ck_assert_str_eq(cx_form_get_value(f, "e"), "");
	ck_assert_int_eq(cx_form_field_is_open(cx_form_find_field(f, "l")), 1);
	ck_assert_int_eq(cx_form_set_value(f, "l", "anything", &err), CX_OK);
	cx_form_free(f);
}
END_TEST

/* ---- limits ------------------------------------------------------------- */

/* A form with `nfields` fields, `nvalues` values in a text-multi field,
 * `noptions` options, `nitems` items. */
static char *
big_form(unsigned nfields, unsigned nvalues, unsigned noptions, unsigned nitems,
	 unsigned item_fields)
{
	cxi_buf b = CXI_BUF_INIT;
	char *s;

	ck_assert_int_eq(cxi_buf_append_str(&b, "<x xmlns='jabber:x:data' type='result'>"), CX_OK);
	for (unsigned i = 0; i < nfields; i++)
		ck_assert_int_eq(cxi_buf_printf(&b, "<field var='f%u'/>", i), CX_OK);
	if (nvalues) {
		cxi_buf_append_str(&b, "<field var='multi' type='text-multi'>");
		for (unsigned i = 0; i < nvalues; i++)
			cxi_buf_append_str(&b, "<value>v</value>");
		cxi_buf_append_str(&b, "</field>");
	}
	if (noptions) {
		cxi_buf_append_str(&b, "<field var='list' type='list-multi'>");
		for (unsigned i = 0; i < noptions; i++)
			cxi_buf_printf(&b, "<option><value>%u</value></option>", i);
		cxi_buf_append_str(&b, "</field>");
	}
	if (nitems) {
		cxi_buf_append_str(&b, "<reported>");
		for (unsigned j = 0; j < item_fields; j++)
			cxi_buf_printf(&b, "<field var='c%u'/>", j);
		cxi_buf_append_str(&b, "</reported>");
		for (unsigned i = 0; i < nitems; i++) {
			cxi_buf_append_str(&b, "<item>");
			for (unsigned j = 0; j < item_fields; j++)
				cxi_buf_printf(&b, "<field var='c%u'/>", j);
			cxi_buf_append_str(&b, "</item>");
		}
	}
	ck_assert_int_eq(cxi_buf_append_str(&b, "</x>"), CX_OK);
	s = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	ck_assert_ptr_nonnull(s);
	return s;
}

struct limit_case {
	unsigned fields, values, options, items, item_fields;
	cx_status want;
};

static const struct limit_case limit_cases[] = {
	{ CX_FORM_MAX_FIELDS, 0, 0, 0, 0, CX_OK },
	{ CX_FORM_MAX_FIELDS + 1, 0, 0, 0, 0, CX_ERR_XML_TOO_MANY },
	{ 0, CX_FORM_MAX_VALUES, 0, 0, 0, CX_OK },
	{ 0, CX_FORM_MAX_VALUES + 1, 0, 0, 0, CX_ERR_XML_TOO_MANY },
	{ 0, 0, CX_FORM_MAX_OPTIONS, 0, 0, CX_OK },
	{ 0, 0, CX_FORM_MAX_OPTIONS + 1, 0, 0, CX_ERR_XML_TOO_MANY },
	{ 0, 0, 0, CX_FORM_MAX_ITEMS, 1, CX_OK },
	{ 0, 0, 0, CX_FORM_MAX_ITEMS + 1, 1, CX_ERR_XML_TOO_MANY },
	{ 0, 0, 0, CX_FORM_MAX_CELLS / 20, 20, CX_OK },
	{ 0, 0, 0, CX_FORM_MAX_CELLS / 20 + 1, 20, CX_ERR_XML_TOO_MANY },
};

START_TEST(test_forms_limits_parse)
{
	const struct limit_case *c = &limit_cases[_i];
	char *xml = big_form(c->fields, c->values, c->options, c->items,
			     c->item_fields);
	cx_form *f = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st = parse_str(&f, xml, &err);

	ck_assert_msg(st == c->want, "case %d: got %d (%s)", _i, st, err.message);
	if (st == CX_OK) {
		ck_assert_ptr_nonnull(f);
		if (c->fields)
			ck_assert_uint_eq(cx_form_field_count(f), c->fields);
		if (c->values)
			ck_assert_uint_eq(cx_form_field_value_count(cx_form_find_field(f, "multi")), c->values);
		if (c->items)
			ck_assert_uint_eq(cx_form_item_count(f), c->items);
	} else {
		ck_assert_ptr_null(f);
		ck_assert_ptr_nonnull(strstr(err.message, "more than"));
	}
	cx_form_free(f);
	free(xml);
}
END_TEST

START_TEST(test_forms_limits_build)
{
	cx_form *f = NULL;
	cx_form_field *fld = NULL;
	cx_error err = CX_ERROR_INIT;
	char var[32];

	ck_assert_int_eq(cx_form_new(&f, CX_FORM_FORM, &err), CX_OK);
	for (unsigned i = 0; i < CX_FORM_MAX_FIELDS; i++) {
		snprintf(var, sizeof(var), "f%u", i);
		ck_assert_int_eq(cx_form_add_field(i == 0 ? &fld : NULL, f,
						   CX_FIELD_TEXT_MULTI, var, NULL,
						   &err), CX_OK);
	}
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "one-more", NULL, &err), CX_ERR_FULL);
	for (unsigned i = 0; i < CX_FORM_MAX_VALUES; i++)
		ck_assert_int_eq(cx_form_field_add_value(fld, "v", &err), CX_OK);
	ck_assert_int_eq(cx_form_field_add_value(fld, "v", &err), CX_ERR_FULL);
	cx_form_free(f);
}
END_TEST

static Suite *
forms_suite(void)
{
	Suite *s = suite_create("forms");
	TCase *tc;

	tc = tcase_create("examples");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_forms_examples_bot_form);
	tcase_add_test(tc, test_forms_examples_bot_submit_and_result);
	tcase_add_test(tc, test_forms_examples_search);
	tcase_add_test(tc, test_forms_examples_cancel);
	suite_add_tcase(s, tc);

	tc = tcase_create("fill");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_forms_fill_bot_like_example_3);
	tcase_add_loop_test(tc, test_forms_fill_table, 0,
			    sizeof(fill_cases) / sizeof(fill_cases[0]));
	tcase_add_test(tc, test_forms_fill_fixed_open_and_clear);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_forms_build_roundtrip_examples, 0,
			    sizeof(example_files) / sizeof(example_files[0]));
	tcase_add_test(tc, test_forms_build_new_form);
	tcase_add_test(tc, test_forms_build_result_table);
	tcase_add_test(tc, test_forms_build_bad_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_forms_parse_malformed, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_loop_test(tc, test_forms_parse_lenient, 0,
			    sizeof(lenient_cases) / sizeof(lenient_cases[0]));
	tcase_add_test(tc, test_forms_parse_values_and_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_forms_limits_parse, 0,
			    sizeof(limit_cases) / sizeof(limit_cases[0]));
	tcase_add_test(tc, test_forms_limits_build);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(forms_suite)

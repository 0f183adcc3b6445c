/* Unit tests for cx_stanza (include/cxmpp/stanza.h) and stanza ids. */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "cxmpp/stanza.h"
#include "lib/core/id.h"
#include "lib/core/stanza.h"
#include "tests/unit/testutil.h"

#define NS_PUBSUB_ERRORS "http://jabber.org/protocol/pubsub#errors"

static cx_stanza *
parse(const char *xml)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) ==
			      CX_OK,
		      "cannot parse %s: %s", xml, err.message);
	ck_assert_ptr_nonnull(s);
	return s;
}

static char *
to_text(const cx_stanza *s)
{
	char *out = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_to_string(&out, s, &err) == CX_OK, "%s",
		      err.message);
	ck_assert_ptr_nonnull(out);
	return out;
}

static void
assert_ns(const xmlNode *n, const char *ns)
{
	ck_assert_ptr_nonnull(n);
	ck_assert_ptr_nonnull(n->ns);
	ck_assert_str_eq((const char *)n->ns->href, ns);
}

static bool
is_id(const char *id)
{
	size_t i;

	if (id == NULL || strlen(id) != CXI_ID_CHARS)
		return false;
	for (i = 0; i < CXI_ID_CHARS; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			   "0123456789-_", id[i]) == NULL)
			return false;
	return true;
}

/* ---- build ----------------------------------------------------------------- */

START_TEST(test_stanza_build_message)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;
	char *body = NULL, *text;

	ck_assert_int_eq(cx_stanza_new_message(&s, "bob@example.org", "chat",
					       "fish & <chips> \"'", &err),
			 CX_OK);
	ck_assert_int_eq(cx_stanza_get_kind(s), CX_STANZA_MESSAGE);
	ck_assert_str_eq((const char *)cx_stanza_node(s)->name, "message");
	assert_ns(cx_stanza_node(s), CX_NS_CLIENT);
	ck_assert_str_eq(cx_stanza_get_to(s), "bob@example.org");
	ck_assert_str_eq(cx_stanza_get_type(s), "chat");
	ck_assert_ptr_null(cx_stanza_get_from(s));
	ck_assert_ptr_null(cx_stanza_get_lang(s));
	ck_assert(is_id(cx_stanza_get_id(s)));
	ck_assert_int_eq(cx_stanza_get_body(&body, s, NULL, &err), CX_OK);
	ck_assert_str_eq(body, "fish & <chips> \"'");
	cx_free(body);
	text = to_text(s);
	ck_assert_msg(strstr(text, "jabber:client") == NULL, "%s", text);
	ck_assert_msg(strstr(text, ">fish &amp; &lt;chips&gt; \"'</body>") !=
			      NULL, "%s", text);
	ck_assert_msg(strncmp(text, "<message ", 9) == 0, "%s", text);
	cx_free(text);
	cx_stanza_unref(s);

	/* No type, no body. */
	ck_assert_int_eq(cx_stanza_new_message(&s, NULL, NULL, NULL, &err),
			 CX_OK);
	ck_assert_ptr_null(cx_stanza_get_type(s));
	ck_assert_ptr_null(cx_stanza_get_to(s));
	ck_assert_int_eq(cx_stanza_get_body(&body, s, NULL, &err),
			 CX_ERR_NOT_FOUND);
	ck_assert_ptr_null(body);
	ck_assert_ptr_null(cx_stanza_payload(s));
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_build_message_bad)
{
	cx_stanza *s = (cx_stanza *)&s;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_new_message(&s, "a@b", "shout", "x", &err),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cx_stanza_new_message(&s, "a@b", NULL, "bad \xc0\xaf",
					       &err), CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_stanza_new_message(&s, "a@b", NULL, "bell \x07",
					       &err), CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_stanza_new_message(&s, "a\xed\xa0\x80@b", NULL,
					       NULL, &err),
			 CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_stanza_new_message(NULL, "a@b", NULL, NULL, &err),
			 CX_ERR_INVALID);
}
END_TEST

static const struct {
	const char *type;
	cx_status st;
} presence_types[] = {
	{ NULL, CX_OK }, { "error", CX_OK }, { "probe", CX_OK },
	{ "subscribe", CX_OK }, { "subscribed", CX_OK },
	{ "unavailable", CX_OK }, { "unsubscribe", CX_OK },
	{ "unsubscribed", CX_OK }, { "available", CX_ERR_INVALID },
	{ "", CX_ERR_INVALID }, { "Subscribe", CX_ERR_INVALID },
};

START_TEST(test_stanza_build_presence)
{
	cx_stanza *s = NULL;
	cx_status st;

	st = cx_stanza_new_presence(&s, "a@b", presence_types[_i].type, NULL);
	ck_assert_int_eq(st, presence_types[_i].st);
	if (st != CX_OK) {
		ck_assert_ptr_null(s);
		return;
	}
	ck_assert_int_eq(cx_stanza_get_kind(s), CX_STANZA_PRESENCE);
	if (presence_types[_i].type == NULL)
		ck_assert_ptr_null(cx_stanza_get_type(s));
	else
		ck_assert_str_eq(cx_stanza_get_type(s),
				 presence_types[_i].type);
	ck_assert(is_id(cx_stanza_get_id(s)));
	cx_stanza_unref(s);
}
END_TEST

static const struct {
	const char *type, *ns, *name;
	cx_status st;
} iq_cases[] = {
	{ "get", "jabber:iq:roster", "query", CX_OK },
	{ "set", "urn:ietf:params:xml:ns:xmpp-bind", "bind", CX_OK },
	{ "result", NULL, NULL, CX_OK },
	{ "result", "jabber:iq:version", "query", CX_OK },
	{ "error", NULL, NULL, CX_OK },
	{ "get", NULL, NULL, CX_ERR_INVALID },
	{ "set", NULL, NULL, CX_ERR_INVALID },
	{ "get", NULL, "query", CX_ERR_INVALID },
	{ "get", "", "query", CX_ERR_INVALID },
	{ "get", "urn:x", "bad name", CX_ERR_INVALID },
	{ "fetch", "urn:x", "q", CX_ERR_INVALID },
	{ NULL, "urn:x", "q", CX_ERR_INVALID },
};

START_TEST(test_stanza_build_iq)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr p;
	cx_status st;

	st = cx_stanza_new_iq(&s, iq_cases[_i].type, "example.org",
			      iq_cases[_i].ns, iq_cases[_i].name, &err);
	ck_assert_msg(st == iq_cases[_i].st, "case %d: %d (%s)", _i, st,
		      err.message);
	if (st != CX_OK) {
		ck_assert_ptr_null(s);
		ck_assert_int_eq(err.status, st);
		return;
	}
	ck_assert_int_eq(cx_stanza_get_kind(s), CX_STANZA_IQ);
	ck_assert_str_eq(cx_stanza_get_type(s), iq_cases[_i].type);
	ck_assert_str_eq(cx_stanza_get_to(s), "example.org");
	ck_assert(is_id(cx_stanza_get_id(s)));
	p = cx_stanza_payload(s);
	if (iq_cases[_i].name == NULL) {
		ck_assert_ptr_null(p);
	} else {
		ck_assert_str_eq((const char *)p->name, iq_cases[_i].name);
		assert_ns(p, iq_cases[_i].ns);
		ck_assert_ptr_eq(cx_stanza_find_child(s, iq_cases[_i].ns,
						      iq_cases[_i].name), p);
		ck_assert_ptr_eq(cx_stanza_find_child(s, NULL, NULL), p);
		ck_assert_ptr_null(cx_stanza_find_child(s, CX_NS_CLIENT,
							iq_cases[_i].name));
	}
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_build_from_node)
{
	static const char xml[] =
		"<root xmlns='jabber:client' xmlns:p='urn:p'>"
		"<message to='x@y' id='m1'><p:thing a='1'>t</p:thing></message>"
		"<other xmlns='urn:other'/></root>";
	xmlDocPtr doc = xmlReadMemory(xml, sizeof(xml) - 1, NULL, NULL,
				      XML_PARSE_NONET);
	xmlNodePtr root, msg, other;
	cx_stanza *s = NULL, *c = NULL;
	cx_error err = CX_ERROR_INIT;
	char *text;

	ck_assert_ptr_nonnull(doc);
	root = xmlDocGetRootElement(doc);
	msg = root->children;
	other = msg->next;
	ck_assert_int_eq(cx_stanza_new_from_node(&s, msg, &err), CX_OK);
	/* A deep copy: changing or freeing the original does not matter. */
	xmlSetProp(msg, BAD_CAST "to", BAD_CAST "changed@y");
	ck_assert_int_eq(cx_stanza_new_from_node(&c, other, &err),
			 CX_ERR_XML_NAMESPACE);
	ck_assert_ptr_null(c);
	ck_assert_int_eq(cx_stanza_new_from_node(&c, msg->children->children,
						 &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_new_from_node(&c, NULL, &err),
			 CX_ERR_INVALID);
	xmlFreeDoc(doc);
	ck_assert_str_eq(cx_stanza_get_to(s), "x@y");
	ck_assert_str_eq(cx_stanza_get_id(s), "m1");
	assert_ns(cx_stanza_find_child(s, "urn:p", "thing"), "urn:p");
	text = to_text(s);
	ck_assert_msg(strstr(text, "urn:p") != NULL, "%s", text);
	cx_free(text);
	/* cx_stanza_copy: same content, independent. */
	ck_assert_int_eq(cx_stanza_copy(&c, s, &err), CX_OK);
	ck_assert_ptr_ne(cx_stanza_node(c), cx_stanza_node(s));
	ck_assert_str_eq(cx_stanza_get_id(c), "m1");
	ck_assert_int_eq(cx_stanza_set_to(c, "z@y", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_to(s), "x@y");
	cx_stanza_unref(c);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_build_adopt)
{
	static const char xml[] = "<presence xmlns='jabber:client' "
				  "type='probe'/>";
	static const char bad[] = "<presence xmlns='urn:x'/>";
	xmlDocPtr doc = xmlReadMemory(xml, sizeof(xml) - 1, NULL, NULL,
				      XML_PARSE_NONET);
	cx_stanza *s = NULL;

	ck_assert_int_eq(cxi_stanza_adopt(&s, doc, NULL), CX_OK);
	ck_assert_ptr_eq(cx_stanza_node(s), xmlDocGetRootElement(doc));
	ck_assert_str_eq(cx_stanza_get_type(s), "probe");
	cx_stanza_unref(s); /* frees doc */
	/* On failure the document is freed too (leak-checked by ASan). */
	doc = xmlReadMemory(bad, sizeof(bad) - 1, NULL, NULL, XML_PARSE_NONET);
	ck_assert_int_eq(cxi_stanza_adopt(&s, doc, NULL), CX_ERR_XML_NAMESPACE);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cxi_stanza_adopt(&s, NULL, NULL), CX_ERR_INVALID);
}
END_TEST

/* ---- attributes -------------------------------------------------------------- */

START_TEST(test_stanza_attrs_set_get_remove)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;
	const char *odd = "a\"b'c<d>&e";
	char *text;

	ck_assert_int_eq(cx_stanza_new_presence(&s, NULL, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_set_from(s, "me@x/r", &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_to(s, odd, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_type(s, "unavailable", &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_id(s, "id-1", &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_lang(s, "fr", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_from(s), "me@x/r");
	ck_assert_str_eq(cx_stanza_get_to(s), odd);
	ck_assert_str_eq(cx_stanza_get_type(s), "unavailable");
	ck_assert_str_eq(cx_stanza_get_id(s), "id-1");
	ck_assert_str_eq(cx_stanza_get_lang(s), "fr");
	text = to_text(s);
	ck_assert_msg(strstr(text, "xml:lang=") != NULL, "%s", text);
	ck_assert_msg(strstr(text, "&lt;d&gt;&amp;e") != NULL, "%s", text);
	cx_free(text);
	/* Replace, then remove. */
	ck_assert_int_eq(cx_stanza_set_lang(s, "de", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_lang(s), "de");
	ck_assert_int_eq(cx_stanza_set_from(s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_to(s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_type(s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_id(s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_lang(s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_set_lang(s, NULL, &err), CX_OK);
	ck_assert_ptr_null(cx_stanza_get_from(s));
	ck_assert_ptr_null(cx_stanza_get_to(s));
	ck_assert_ptr_null(cx_stanza_get_type(s));
	ck_assert_ptr_null(cx_stanza_get_id(s));
	ck_assert_ptr_null(cx_stanza_get_lang(s));
	text = to_text(s);
	ck_assert_str_eq(text, "<presence/>");
	cx_free(text);
	/* Empty value is a value. */
	ck_assert_int_eq(cx_stanza_set_id(s, "", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_id(s), "");
	/* Bad text. */
	ck_assert_int_eq(cx_stanza_set_to(s, "\xff", &err),
			 CX_ERR_XML_ENCODING);
	ck_assert_int_eq(err.status, CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_stanza_set_to(NULL, "x", &err), CX_ERR_INVALID);
	ck_assert_ptr_null(cx_stanza_get_to(NULL));
	ck_assert_int_eq(cx_stanza_get_kind(NULL), CX_STANZA_OTHER);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_attrs_new_id)
{
	cx_stanza *s = NULL;
	char before[CXI_ID_SIZE];

	ck_assert_int_eq(cx_stanza_new_iq(&s, "result", NULL, NULL, NULL, NULL),
			 CX_OK);
	snprintf(before, sizeof(before), "%s", cx_stanza_get_id(s));
	ck_assert_int_eq(cx_stanza_set_new_id(s, NULL), CX_OK);
	ck_assert(is_id(cx_stanza_get_id(s)));
	ck_assert_str_ne(cx_stanza_get_id(s), before);
	ck_assert_int_eq(cx_stanza_set_new_id(NULL, NULL), CX_ERR_INVALID);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_attrs_parsed_entities)
{
	/* Attribute values with character references come back decoded. */
	cx_stanza *s = parse("<message to='a&amp;b&#x40;c' "
			     "from=\"&lt;x&gt;\" id='&#233;'/>");

	ck_assert_str_eq(cx_stanza_get_to(s), "a&b@c");
	ck_assert_str_eq(cx_stanza_get_from(s), "<x>");
	ck_assert_str_eq(cx_stanza_get_id(s), "\xc3\xa9");
	cx_stanza_unref(s);
}
END_TEST

/* ---- children ----------------------------------------------------------------- */

START_TEST(test_stanza_children_add_find)
{
	cx_stanza *s = NULL, *other = NULL;
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr ps, pub, item, entry, x;
	char *text;

	ck_assert_int_eq(cx_stanza_new_iq(&s, "set", "pubsub.example.org",
					  "http://jabber.org/protocol/pubsub",
					  "pubsub", &err), CX_OK);
	ps = cx_stanza_payload(s);
	ck_assert_int_eq(cx_stanza_add_child(&pub, s, ps, NULL, "publish", NULL,
					     &err), CX_OK);
	ck_assert_ptr_eq(pub->parent, ps);
	assert_ns(pub, "http://jabber.org/protocol/pubsub");
	xmlSetProp(pub, BAD_CAST "node", BAD_CAST "news");
	ck_assert_int_eq(cx_stanza_add_child(&item, s, pub, NULL, "item", NULL,
					     &err), CX_OK);
	ck_assert_int_eq(cx_stanza_add_child(&entry, s, item,
					     "http://www.w3.org/2005/Atom",
					     "entry", NULL, &err), CX_OK);
	assert_ns(entry, "http://www.w3.org/2005/Atom");
	ck_assert_int_eq(cx_stanza_add_child(NULL, s, entry, NULL, "title",
					     "A & B", &err), CX_OK);
	text = to_text(s);
	ck_assert_msg(strstr(text, "<pubsub xmlns=\"http://jabber.org/protocol/"
				   "pubsub\"><publish node=\"news\"><item>"
				   "<entry xmlns=\"http://www.w3.org/2005/Atom\">"
				   "<title>A &amp; B</title></entry></item>"
				   "</publish></pubsub>") != NULL,
		      "%s", text);
	cx_free(text);
	/* A parent from another stanza, or a bad name, is refused. */
	ck_assert_int_eq(cx_stanza_new_message(&other, NULL, NULL, "x", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, cx_stanza_node(other),
					     NULL, "y", NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(x);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, NULL, NULL, "a b", NULL,
					     &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, NULL, NULL, "p:q", NULL,
					     &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, NULL, NULL, NULL, NULL,
					     &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, NULL, "", "e", NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_child(&x, s, NULL, NULL, "e", "\x01",
					     &err), CX_ERR_XML_ENCODING);
	/* find_child looks at direct children only. */
	ck_assert_ptr_null(cx_stanza_find_child(s, NULL, "publish"));
	ck_assert_ptr_eq(cx_stanza_find_child(s, NULL, "pubsub"), ps);
	cx_stanza_unref(other);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_children_payload_skips_error)
{
	cx_stanza *s = parse("<iq type='error' id='1'>"
			     "<error type='cancel'><item-not-found xmlns="
			     "'urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
			     "<query xmlns='jabber:iq:roster'/></iq>");
	xmlNodePtr p = cx_stanza_payload(s);

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq((const char *)p->name, "query");
	ck_assert_ptr_nonnull(cx_stanza_find_child(s, CX_NS_CLIENT, "error"));
	cx_stanza_unref(s);
}
END_TEST

static const struct {
	const char *xml, *lang, *expect; /* expect NULL: CX_ERR_NOT_FOUND */
} body_cases[] = {
	{ "<message><body>plain</body></message>", NULL, "plain" },
	{ "<message><body>plain</body></message>", "en", NULL },
	{ "<message xml:lang='en'><body>plain</body></message>", "EN", "plain" },
	{ "<message><body xml:lang='de'>Hallo</body><body>Hi</body></message>",
	  NULL, "Hi" },
	{ "<message><body xml:lang='de'>Hallo</body><body>Hi</body></message>",
	  "de", "Hallo" },
	{ "<message><body xml:lang='de'>Hallo</body><body xml:lang='fr'>"
	  "Salut</body></message>", NULL, "Hallo" },
	{ "<message><body xml:lang='de'>Hallo</body><body xml:lang='fr'>"
	  "Salut</body></message>", "fr", "Salut" },
	{ "<message><body xml:lang='de'>Hallo</body></message>", "it", NULL },
	{ "<message><body/></message>", NULL, "" },
	{ "<message><body>a<![CDATA[<b>]]>c</body></message>", NULL, "a<b>c" },
	{ "<message><subject>s</subject></message>", NULL, NULL },
	{ "<message><body xmlns='urn:not-client'>x</body></message>", NULL,
	  NULL },
};

START_TEST(test_stanza_children_body_lang)
{
	cx_stanza *s = parse(body_cases[_i].xml);
	char *body = (char *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_stanza_get_body(&body, s, body_cases[_i].lang, &err);

	if (body_cases[_i].expect == NULL) {
		ck_assert_int_eq(st, CX_ERR_NOT_FOUND);
		ck_assert_ptr_null(body);
	} else {
		ck_assert_int_eq(st, CX_OK);
		ck_assert_str_eq(body, body_cases[_i].expect);
		cx_free(body);
	}
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_children_add_body)
{
	cx_stanza *s = NULL;
	char *b = NULL;

	ck_assert_int_eq(cx_stanza_new_message(&s, "a@b", "chat", "hello",
					       NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_add_body(s, "de", "hallo", NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_add_body(s, NULL, NULL, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_get_body(&b, s, "de", NULL), CX_OK);
	ck_assert_str_eq(b, "hallo");
	cx_free(b);
	ck_assert_int_eq(cx_stanza_get_body(&b, s, NULL, NULL), CX_OK);
	ck_assert_str_eq(b, "hello");
	cx_free(b);
	cx_stanza_unref(s);
}
END_TEST

/* ---- ids --------------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

#define NIDS 20000

START_TEST(test_stanza_ids_unique_and_random)
{
	char (*ids)[CXI_ID_SIZE] = calloc(NIDS, CXI_ID_SIZE);
	int seen[CXI_ID_CHARS][128];
	size_t i, p, distinct;
	char small[CXI_ID_SIZE - 1];

	ck_assert_ptr_nonnull(ids);
	memset(seen, 0, sizeof(seen));
	/* 22 characters of 6 bits, the last carrying 2: 128 bits. */
	ck_assert_int_ge(CXI_ID_RANDOM_BYTES * 8, 96);
	for (i = 0; i < NIDS; i++) {
		ck_assert_int_eq(cxi_id_generate(ids[i], CXI_ID_SIZE), CX_OK);
		ck_assert(is_id(ids[i]));
		for (p = 0; p < CXI_ID_CHARS; p++)
			seen[p][(unsigned char)ids[i][p]]++;
	}
	qsort(ids, NIDS, CXI_ID_SIZE, cmp_str);
	for (i = 1; i < NIDS; i++)
		ck_assert_str_ne(ids[i - 1], ids[i]);
	/* Every full position uses all 64 symbols across 20000 ids (the
	 * chance that a fair one misses a symbol is about 64 * e^-312); the
	 * last position holds 2 bits: 4 symbols. */
	for (p = 0; p < CXI_ID_CHARS; p++) {
		int c;
		distinct = 0;
		for (c = 0; c < 128; c++)
			if (seen[p][c] > 0)
				distinct++;
		ck_assert_uint_eq(distinct, p + 1 < CXI_ID_CHARS ? 64 : 4);
	}
	ck_assert_int_eq(cxi_id_generate(small, sizeof(small)), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_id_generate(NULL, CXI_ID_SIZE), CX_ERR_INVALID);
	free(ids);
}
END_TEST

START_TEST(test_stanza_ids_stanzas_differ)
{
	cx_stanza *a = NULL, *b = NULL, *c = NULL;

	ck_assert_int_eq(cx_stanza_new_iq(&a, "get", NULL, "urn:x", "q", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_stanza_new_iq(&b, "get", NULL, "urn:x", "q", NULL),
			 CX_OK);
	ck_assert_int_eq(cx_stanza_new_message(&c, "a@b", NULL, NULL, NULL),
			 CX_OK);
	ck_assert_str_ne(cx_stanza_get_id(a), cx_stanza_get_id(b));
	ck_assert_str_ne(cx_stanza_get_id(a), cx_stanza_get_id(c));
	cx_stanza_unref(a);
	cx_stanza_unref(b);
	cx_stanza_unref(c);
}
END_TEST

/* ---- refs ------------------------------------------------------------------------ */

#define READERS 4
#define READ_ITERS 2000

static void *
reader_main(void *arg)
{
	cx_stanza *s = arg;
	long bad = 0;
	int i;

	for (i = 0; i < READ_ITERS; i++) {
		cx_stanza *mine = cx_stanza_ref(s);
		char *t = NULL, *body = NULL;
		cx_error e = CX_ERROR_INIT;

		if (strcmp(cx_stanza_get_to(mine), "bob@example.org") != 0 ||
		    cx_stanza_get_kind(mine) != CX_STANZA_MESSAGE)
			bad++;
		if (cx_stanza_get_body(&body, mine, NULL, NULL) != CX_OK ||
		    strcmp(body, "shared") != 0)
			bad++;
		cx_free(body);
		if (i % 50 == 0) {
			if (cx_stanza_to_string(&t, mine, NULL) != CX_OK ||
			    strstr(t, "shared") == NULL)
				bad++;
			cx_free(t);
		}
		if (cx_stanza_get_error(mine, &e) != CX_ERR_NOT_FOUND)
			bad++;
		cx_stanza_unref(mine);
	}
	return (void *)bad;
}

START_TEST(test_stanza_refs_shared_readers)
{
	cx_stanza *s = NULL;
	pthread_t t[READERS];
	int i;

	ck_assert_int_eq(cx_stanza_new_message(&s, "bob@example.org", "chat",
					       "shared", NULL), CX_OK);
	for (i = 0; i < READERS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, reader_main,
						cx_stanza_ref(s)), 0);
	/* The creator lets go first; the readers keep it alive. */
	cx_stanza_unref(s);
	for (i = 0; i < READERS; i++) {
		void *bad;
		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_int_eq((long)bad, 0);
	}
	/* Each reader's own reference was passed in; drop them. The stanza
	 * is still alive at this point only through those. */
	for (i = 0; i < READERS; i++)
		cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_refs_null)
{
	ck_assert_ptr_null(cx_stanza_ref(NULL));
	cx_stanza_unref(NULL);
	ck_assert_ptr_null(cx_stanza_node(NULL));
	ck_assert_ptr_null(cx_stanza_payload(NULL));
	ck_assert_ptr_null(cx_stanza_find_child(NULL, NULL, NULL));
}
END_TEST

/* ---- errors ------------------------------------------------------------------- */

/* RFC 6120 section 8.3.3, written out independently of the library's table. */
static const struct {
	const char *condition, *type;
} rfc_conditions[] = {
	{ "bad-request", "modify" },
	{ "conflict", "cancel" },
	{ "feature-not-implemented", "cancel" },
	{ "forbidden", "auth" },
	{ "gone", "cancel" },
	{ "internal-server-error", "cancel" },
	{ "item-not-found", "cancel" },
	{ "jid-malformed", "modify" },
	{ "not-acceptable", "modify" },
	{ "not-allowed", "cancel" },
	{ "not-authorized", "auth" },
	{ "policy-violation", "modify" },
	{ "recipient-unavailable", "wait" },
	{ "redirect", "modify" },
	{ "registration-required", "auth" },
	{ "remote-server-not-found", "cancel" },
	{ "remote-server-timeout", "wait" },
	{ "resource-constraint", "wait" },
	{ "service-unavailable", "cancel" },
	{ "subscription-required", "auth" },
	{ "undefined-condition", "cancel" },
	{ "unexpected-request", "wait" },
};

START_TEST(test_stanza_errors_reply_every_condition)
{
	const char *cond = rfc_conditions[_i].condition;
	const char *kinds[] = {
		"<iq from='juliet@capulet.lit/balcony' to='romeo@montague.lit' "
		"id='q1' type='get'><query xmlns='jabber:iq:roster'/></iq>",
		"<message from='juliet@capulet.lit/balcony' "
		"to='romeo@montague.lit' id='q1'><body>hi</body></message>",
		"<presence from='juliet@capulet.lit/balcony' "
		"to='romeo@montague.lit' id='q1' type='subscribe'/>",
	};
	size_t k;

	ck_assert_str_eq(cx_stanza_error_default_type(cond),
			 rfc_conditions[_i].type);
	for (k = 0; k < 3; k++) {
		cx_stanza *req = parse(kinds[k]), *r = NULL, *back;
		cx_error err = CX_ERROR_INIT, got = CX_ERROR_INIT;
		char *text;

		ck_assert_int_eq(cx_stanza_new_error_reply(&r, req, cond, NULL,
							   "it went wrong",
							   &err), CX_OK);
		ck_assert_int_eq(cx_stanza_get_kind(r), cx_stanza_get_kind(req));
		ck_assert_str_eq(cx_stanza_get_type(r), "error");
		ck_assert_str_eq(cx_stanza_get_id(r), "q1");
		ck_assert_str_eq(cx_stanza_get_to(r), "juliet@capulet.lit/balcony");
		ck_assert_str_eq(cx_stanza_get_from(r), "romeo@montague.lit");
		/* The original payload is not echoed. */
		ck_assert_ptr_null(cx_stanza_payload(r));
		ck_assert_int_eq(cx_stanza_get_error(r, &got),
				 CX_ERR_STANZA_ERROR);
		ck_assert_int_eq(got.status, CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(got.condition, cond);
		ck_assert_str_eq(got.error_type, rfc_conditions[_i].type);
		ck_assert_str_eq(got.text, "it went wrong");
		ck_assert_str_eq(got.app_condition, "");
		ck_assert_ptr_nonnull(strstr(got.message, cond));
		/* Through text and back. */
		text = to_text(r);
		back = parse(text);
		cx_error_clear(&got);
		ck_assert_int_eq(cx_stanza_get_error(back, &got),
				 CX_ERR_STANZA_ERROR);
		ck_assert_str_eq(got.condition, cond);
		ck_assert_str_eq(got.error_type, rfc_conditions[_i].type);
		ck_assert_str_eq(got.text, "it went wrong");
		cx_free(text);
		cx_stanza_unref(back);
		cx_stanza_unref(r);
		cx_stanza_unref(req);
	}
}
END_TEST

START_TEST(test_stanza_errors_reply_options)
{
	cx_stanza *req = NULL, *r = NULL;
	cx_error err = CX_ERROR_INIT, got = CX_ERROR_INIT;
	xmlNodePtr app = NULL;
	char *text;

	ck_assert_int_eq(cx_stanza_new_iq(&req, "set", NULL,
					  "http://jabber.org/protocol/pubsub",
					  "pubsub", NULL), CX_OK);
	/* No from/to on the request: none on the reply. Explicit type. */
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, req,
			 CX_STANZA_ERR_FEATURE_NOT_IMPLEMENTED,
			 CX_STANZA_ERR_TYPE_MODIFY, NULL, &err), CX_OK);
	ck_assert_ptr_null(cx_stanza_get_to(r));
	ck_assert_ptr_null(cx_stanza_get_from(r));
	ck_assert_str_eq(cx_stanza_get_id(r), cx_stanza_get_id(req));
	/* An application-specific condition, as pubsub needs. */
	ck_assert_int_eq(cx_stanza_add_error_app_condition(&app, r,
			 NS_PUBSUB_ERRORS, "unsupported", &err), CX_OK);
	xmlSetProp(app, BAD_CAST "feature", BAD_CAST "publish");
	ck_assert_int_eq(cx_stanza_get_error(r, &got), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(got.condition, "feature-not-implemented");
	ck_assert_str_eq(got.error_type, "modify");
	ck_assert_str_eq(got.text, "");
	ck_assert_str_eq(got.app_condition, "unsupported");
	ck_assert_str_eq(got.app_ns, NS_PUBSUB_ERRORS);
	text = to_text(r);
	ck_assert_msg(strstr(text, "<error type=\"modify\">"
				   "<feature-not-implemented xmlns=\"urn:ietf:"
				   "params:xml:ns:xmpp-stanzas\"/><unsupported "
				   "xmlns=\"" NS_PUBSUB_ERRORS "\" feature=\""
				   "publish\"/></error>") != NULL, "%s", text);
	cx_free(text);
	/* Bad app conditions. */
	ck_assert_int_eq(cx_stanza_add_error_app_condition(NULL, r,
			 CX_NS_STANZAS, "x", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_error_app_condition(NULL, r, NULL, "x",
			 &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_add_error_app_condition(NULL, req,
			 NS_PUBSUB_ERRORS, "x", &err), CX_ERR_NOT_FOUND);
	cx_stanza_unref(r);
	cx_stanza_unref(req);
}
END_TEST

START_TEST(test_stanza_errors_reply_refused)
{
	cx_stanza *req = NULL, *r = (cx_stanza *)&r, *res = NULL, *err_st;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_new_iq(&req, "get", "a@b", "urn:x", "q",
					  NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, req, "no-such-thing",
						   NULL, NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, req, NULL, NULL, NULL,
						   &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, req, "conflict", "later",
						   NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, NULL, "conflict", NULL,
						   NULL, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, req, "conflict", NULL,
						   "\xfe", &err),
			 CX_ERR_XML_ENCODING);
	/* Never answer a result or an error. */
	ck_assert_int_eq(cx_stanza_new_iq(&res, "result", "a@b", NULL, NULL,
					  NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, res, "conflict", NULL,
						   NULL, &err),
			 CX_ERR_INVALID);
	err_st = parse("<message type='error'><error type='cancel'><gone "
		       "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
		       "</message>");
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, err_st, "conflict", NULL,
						   NULL, &err),
			 CX_ERR_INVALID);
	cx_stanza_unref(err_st);
	err_st = parse("<stanza-like/>");
	ck_assert_int_eq(cx_stanza_get_kind(err_st), CX_STANZA_OTHER);
	ck_assert_int_eq(cx_stanza_new_error_reply(&r, err_st, "conflict", NULL,
						   NULL, &err),
			 CX_ERR_INVALID);
	cx_stanza_unref(err_st);
	cx_stanza_unref(res);
	cx_stanza_unref(req);
	ck_assert_ptr_null(cx_stanza_error_default_type("no-such-thing"));
	ck_assert_ptr_null(cx_stanza_error_default_type(NULL));
	ck_assert_int_eq(cx_stanza_error_type_valid("continue"), 1);
	ck_assert_int_eq(cx_stanza_error_type_valid("Cancel"), 0);
	ck_assert_int_eq(cx_stanza_error_type_valid(NULL), 0);
}
END_TEST

#define STANZAS "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'"

static const struct {
	const char *xml;
	cx_status st;
	const char *condition, *type, *text, *app, *app_ns;
} received_errors[] = {
	/* XEP-0060 style: text and an application-specific condition. */
	{ "<iq type='error' from='pubsub.shakespeare.lit' id='sub1'>"
	  "<error type='modify'><bad-request " STANZAS "/>"
	  "<invalid-jid xmlns='" NS_PUBSUB_ERRORS "'/>"
	  "<text " STANZAS " xml:lang='en'>JID mismatch</text></error></iq>",
	  CX_ERR_STANZA_ERROR, "bad-request", "modify", "JID mismatch",
	  "invalid-jid", NS_PUBSUB_ERRORS },
	/* Order inside <error/> does not matter; the payload is ignored. */
	{ "<iq type='error' id='x'><query xmlns='jabber:iq:roster'/>"
	  "<error type='auth' by='example.org'><text " STANZAS ">nope</text>"
	  "<forbidden " STANZAS "/></error></iq>",
	  CX_ERR_STANZA_ERROR, "forbidden", "auth", "nope", "", "" },
	{ "<message type='error' from='example.org'><body>hi</body>"
	  "<error type='wait'><recipient-unavailable " STANZAS "/></error>"
	  "</message>",
	  CX_ERR_STANZA_ERROR, "recipient-unavailable", "wait", "", "", "" },
	{ "<presence type='error'><error type='continue'>"
	  "<undefined-condition " STANZAS "/><custom xmlns='urn:example'/>"
	  "</error></presence>",
	  CX_ERR_STANZA_ERROR, "undefined-condition", "continue", "", "custom",
	  "urn:example" },
	/* Not an error at all. */
	{ "<iq type='result' id='r'/>", CX_ERR_NOT_FOUND, "", "", "", "", "" },
	{ "<message><error type='cancel'><gone " STANZAS "/></error></message>",
	  CX_ERR_NOT_FOUND, "", "", "", "", "" },
	/* Broken error stanzas. */
	{ "<iq type='error' id='e'/>", CX_ERR_PROTOCOL, "undefined-condition",
	  "", "", "", "" },
	{ "<iq type='error' id='e'><error type='cancel'/></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "cancel", "", "", "" },
	{ "<iq type='error'><error type='cancel'><text " STANZAS ">only text"
	  "</text></error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "cancel", "only text", "",
	  "" },
	{ "<iq type='error'><error type='bogus'><conflict " STANZAS "/>"
	  "</error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "", "", "", "" },
	{ "<iq type='error'><error><conflict " STANZAS "/></error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "", "", "", "" },
	{ "<iq type='error'><error type='cancel'><made-up " STANZAS "/>"
	  "</error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "cancel", "", "", "" },
	/* The condition in the wrong namespace (jabber:client). */
	{ "<iq type='error'><error type='cancel'><conflict/></error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "cancel", "", "", "" },
	/* <error/> in the wrong namespace is not the stanza's error. */
	{ "<iq type='error'><error xmlns='urn:other' type='cancel'><conflict "
	  STANZAS "/></error></iq>",
	  CX_ERR_PROTOCOL, "undefined-condition", "", "", "", "" },
};

START_TEST(test_stanza_errors_received)
{
	cx_stanza *s = parse(received_errors[_i].xml);
	cx_error e;
	cx_status st;

	memset(&e, 0x5a, sizeof(e)); /* every field must be written */
	st = cx_stanza_get_error(s, &e);
	ck_assert_msg(st == received_errors[_i].st, "case %d: got %d", _i, st);
	ck_assert_int_eq(e.status, st);
	ck_assert_str_eq(e.condition, received_errors[_i].condition);
	ck_assert_str_eq(e.error_type, received_errors[_i].type);
	ck_assert_str_eq(e.text, received_errors[_i].text);
	ck_assert_str_eq(e.app_condition, received_errors[_i].app);
	ck_assert_str_eq(e.app_ns, received_errors[_i].app_ns);
	ck_assert(strlen(e.message) > 0);
	/* NULL record: same classification. */
	ck_assert_int_eq(cx_stanza_get_error(s, NULL), st);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_stanza_errors_long_text_truncated)
{
	char xml[2048], *p = xml;
	cx_stanza *s;
	cx_error e = CX_ERROR_INIT;
	int i;

	p += sprintf(p, "<iq type='error'><error type='wait'><resource-"
		     "constraint " STANZAS "/><text " STANZAS ">");
	for (i = 0; i < 600; i++)
		*p++ = 'a' + i % 26;
	sprintf(p, "</text></error></iq>");
	s = parse(xml);
	ck_assert_int_eq(cx_stanza_get_error(s, &e), CX_ERR_STANZA_ERROR);
	ck_assert_uint_eq(strlen(e.text), sizeof(e.text) - 1);
	ck_assert(strncmp(e.text, "abcdefghij", 10) == 0);
	cx_stanza_unref(s);
}
END_TEST

/* ---- text ------------------------------------------------------------------------ */

static const char *const roundtrips[] = {
	"<message to='a@b' type='chat' id='1'><body>x &amp; y</body></message>",
	"<iq type='get' id='2'><query xmlns='jabber:iq:roster' ver='v1'/></iq>",
	"<presence xml:lang='en'><show>away</show><status>At \"work\"</status>"
	"<c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' "
	"ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
	"<iq type='set' id='3'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
	"<publish node='n'><item id='i'><entry xmlns='http://www.w3.org/2005/Atom'>"
	"<title>T\xc3\xa9</title></entry></item></publish></pubsub></iq>",
	"<message xmlns='jabber:client'><x:y xmlns:x='urn:prefixed'><x:z/></x:y>"
	"</message>",
	"\n  <message/>\r\n ",
};

START_TEST(test_stanza_text_roundtrip)
{
	cx_stanza *a = parse(roundtrips[_i]), *b;
	char *ta = to_text(a), *tb;

	ck_assert_msg(strstr(ta, "jabber:client") == NULL, "%s", ta);
	b = parse(ta);
	tb = to_text(b);
	ck_assert_str_eq(ta, tb);
	ck_assert_int_eq(cx_stanza_get_kind(a), cx_stanza_get_kind(b));
	if (cx_stanza_get_id(a) != NULL)
		ck_assert_str_eq(cx_stanza_get_id(a), cx_stanza_get_id(b));
	cx_free(ta);
	cx_free(tb);
	cx_stanza_unref(a);
	cx_stanza_unref(b);
}
END_TEST

static const struct {
	const char *xml;
	cx_status st;
} bad_texts[] = {
	{ "", CX_ERR_XML_MALFORMED },
	{ "   \n", CX_ERR_XML_MALFORMED },
	{ "hello", CX_ERR_XML_MALFORMED },
	{ "<message/><message/>", CX_ERR_XML_MALFORMED },
	{ "<message/> <presence/>", CX_ERR_XML_MALFORMED },
	{ "<message>", CX_ERR_XML_MALFORMED },
	{ "<message/>junk", CX_ERR_XML_MALFORMED },
	{ "junk<message/>", CX_ERR_XML_MALFORMED },
	{ "<message></presence>", CX_ERR_XML_MALFORMED },
	{ "<message a='1' a='2'/>", CX_ERR_XML_MALFORMED },
	{ "</stream:stream>", CX_ERR_XML_MALFORMED },
	{ "<message/></stream:stream><x/>", CX_ERR_XML_MALFORMED },
	{ "<?xml version='1.0'?><message/>", CX_ERR_XML_RESTRICTED },
	{ "<!DOCTYPE message><message/>", CX_ERR_XML_RESTRICTED },
	{ "<message><!-- hi --></message>", CX_ERR_XML_RESTRICTED },
	{ "<message><?pi x?></message>", CX_ERR_XML_RESTRICTED },
	{ "<message>&nbsp;</message>", CX_ERR_XML_RESTRICTED },
	{ "<message>\xc3\x28</message>", CX_ERR_XML_ENCODING },
	{ "<message>\x01</message>", CX_ERR_XML_ENCODING },
	{ "<message xmlns='urn:not-client'/>", CX_ERR_XML_NAMESPACE },
	{ "<p:message xmlns:p='jabber:server'/>", CX_ERR_XML_NAMESPACE },
	{ "<message><q:x/></message>", CX_ERR_XML_NAMESPACE },
};

START_TEST(test_stanza_text_bad)
{
	cx_stanza *s = (cx_stanza *)&s;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_stanza_from_string(&s, bad_texts[_i].xml,
					     strlen(bad_texts[_i].xml), &err);

	ck_assert_msg(st == bad_texts[_i].st, "'%s': got %d (%s), expected %d",
		      bad_texts[_i].xml, st, err.message, bad_texts[_i].st);
	ck_assert_int_eq(err.status, st);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_stanza_text_limits)
{
	size_t big = 262144 + 10, i;
	char *xml = malloc(big + 64), *p;
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_ptr_nonnull(xml);
	/* Larger than limits.max_stanza_bytes. */
	p = xml + sprintf(xml, "<message><body>");
	memset(p, 'x', big);
	p += big;
	p += sprintf(p, "</body></message>");
	ck_assert_int_eq(cx_stanza_from_string(&s, xml, (size_t)(p - xml),
					       &err), CX_ERR_XML_TOO_BIG);
	ck_assert_ptr_null(s);
	/* Nested deeper than limits.max_depth. */
	p = xml + sprintf(xml, "<message>");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "<a>");
	for (i = 0; i < 100; i++)
		p += sprintf(p, "</a>");
	p += sprintf(p, "</message>");
	ck_assert_int_eq(cx_stanza_from_string(&s, xml, (size_t)(p - xml),
					       &err), CX_ERR_XML_TOO_DEEP);
	/* The length is honoured: no NUL needed, nothing read beyond. */
	ck_assert_int_eq(cx_stanza_from_string(&s, "<message/>trailing", 10,
					       &err), CX_OK);
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_stanza_from_string(&s, NULL, 0, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_stanza_from_string(NULL, "<a/>", 4, &err),
			 CX_ERR_INVALID);
	free(xml);
}
END_TEST

START_TEST(test_stanza_text_to_string_args)
{
	char *out = (char *)1;

	ck_assert_int_eq(cx_stanza_to_string(&out, NULL, NULL), CX_ERR_INVALID);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(cx_stanza_to_string(NULL, NULL, NULL), CX_ERR_INVALID);
}
END_TEST

static Suite *
stanza_suite(void)
{
	Suite *s = suite_create("stanza");
	TCase *tc;

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stanza_build_message);
	tcase_add_test(tc, test_stanza_build_message_bad);
	tcase_add_loop_test(tc, test_stanza_build_presence, 0,
			    sizeof(presence_types) / sizeof(presence_types[0]));
	tcase_add_loop_test(tc, test_stanza_build_iq, 0,
			    sizeof(iq_cases) / sizeof(iq_cases[0]));
	tcase_add_test(tc, test_stanza_build_from_node);
	tcase_add_test(tc, test_stanza_build_adopt);
	suite_add_tcase(s, tc);

	tc = tcase_create("attrs");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stanza_attrs_set_get_remove);
	tcase_add_test(tc, test_stanza_attrs_new_id);
	tcase_add_test(tc, test_stanza_attrs_parsed_entities);
	suite_add_tcase(s, tc);

	tc = tcase_create("children");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_stanza_children_add_find);
	tcase_add_test(tc, test_stanza_children_payload_skips_error);
	tcase_add_loop_test(tc, test_stanza_children_body_lang, 0,
			    sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_stanza_children_add_body);
	suite_add_tcase(s, tc);

	tc = tcase_create("ids");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stanza_ids_unique_and_random);
	tcase_add_test(tc, test_stanza_ids_stanzas_differ);
	suite_add_tcase(s, tc);

	tc = tcase_create("refs");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_stanza_refs_shared_readers);
	tcase_add_test(tc, test_stanza_refs_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_stanza_errors_reply_every_condition, 0,
			    sizeof(rfc_conditions) / sizeof(rfc_conditions[0]));
	tcase_add_test(tc, test_stanza_errors_reply_options);
	tcase_add_test(tc, test_stanza_errors_reply_refused);
	tcase_add_loop_test(tc, test_stanza_errors_received, 0,
			    sizeof(received_errors) /
				    sizeof(received_errors[0]));
	tcase_add_test(tc, test_stanza_errors_long_text_truncated);
	suite_add_tcase(s, tc);

	tc = tcase_create("text");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_stanza_text_roundtrip, 0,
			    sizeof(roundtrips) / sizeof(roundtrips[0]));
	tcase_add_loop_test(tc, test_stanza_text_bad, 0,
			    sizeof(bad_texts) / sizeof(bad_texts[0]));
	tcase_add_test(tc, test_stanza_text_limits);
	tcase_add_test(tc, test_stanza_text_to_string_args);
	suite_add_tcase(s, tc);

	return s;
}

CXT_MAIN(stanza_suite)

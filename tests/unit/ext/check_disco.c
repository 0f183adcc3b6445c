/* Unit tests for XEP-0030 service discovery content (cxmpp/disco.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "cxmpp/disco.h"
#include "cxmpp/stanza.h"
#include "lib/core/buf.h"
#include "tests/unit/testutil.h"

static cx_stanza *
stanza(const char *xml)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) == CX_OK,
		      "%s: %s", err.message, xml);
	return s;
}

/* XEP-0030 example 2 (a server's disco#info result) */
static const char info_example[] =
	"<iq type='result' from='plays.shakespeare.lit' to='romeo@montague.net/orchard' id='info1'>"
	"<query xmlns='http://jabber.org/protocol/disco#info'>"
	"<identity category='conference' type='text' name='Play-Specific Chatrooms'/>"
	"<identity category='directory' type='chatroom' name='Play-Specific Chatrooms'/>"
	"<feature var='http://jabber.org/protocol/disco#info'/>"
	"<feature var='http://jabber.org/protocol/disco#items'/>"
	"<feature var='http://jabber.org/protocol/muc'/>"
	"<feature var='jabber:iq:register'/>"
	"<feature var='jabber:iq:search'/>"
	"<feature var='jabber:iq:time'/>"
	"<feature var='jabber:iq:version'/>"
	"</query></iq>";

/* XEP-0030 example 10 (items of a node) */
static const char items_example[] =
	"<iq type='result' from='catalog.shakespeare.lit' to='romeo@montague.net/orchard' id='items2'>"
	"<query xmlns='http://jabber.org/protocol/disco#items' node='books'>"
	"<item jid='catalog.shakespeare.lit' node='clothing' name='Wear your literary taste with pride'/>"
	"<item jid='catalog.shakespeare.lit' node='music' name='Music from the time of Shakespeare'/>"
	"<item jid='catalog.shakespeare.lit'/>"
	"</query></iq>";

/* XEP-0128 example 1 (extended information) */
static const char ext_example[] =
	"<iq type='result' from='shakespeare.lit' to='capulet.com' id='disco1'>"
	"<query xmlns='http://jabber.org/protocol/disco#info'>"
	"<identity category='server' type='im' name='shakespeare.lit jabber server'/>"
	"<feature var='jabber:iq:version'/>"
	"<x xmlns='jabber:x:data' type='result'>"
	"<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/network/serverinfo</value></field>"
	"<field var='c2s_port'><value>5222</value></field>"
	"<field var='c2s_port_ssl'><value>5223</value></field>"
	"<field var='http_access'><value>http://shakespeare.lit/jabber</value></field>"
	"<field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>"
	"<field var='info_url'><value>http://shakespeare.lit/support.php</value></field>"
	"</x></query></iq>";

START_TEST(test_disco_parse_info_example)
{
	cx_stanza *s = stanza(info_example);
	cx_disco_info *info = NULL;
	cx_error err = CX_ERROR_INIT;
	const cx_disco_identity *id;

	ck_assert_int_eq(cx_disco_info_parse(&info, cx_stanza_payload(s), &err), CX_OK);
	ck_assert_ptr_null(cx_disco_info_get_node(info));
	ck_assert_uint_eq(cx_disco_info_identity_count(info), 2);
	id = cx_disco_info_identity_at(info, 1);
	ck_assert_str_eq(id->category, "directory");
	ck_assert_str_eq(id->type, "chatroom");
	ck_assert_str_eq(id->name, "Play-Specific Chatrooms");
	ck_assert_ptr_null(id->lang);
	ck_assert_ptr_null(cx_disco_info_identity_at(info, 2));
	ck_assert_uint_eq(cx_disco_info_feature_count(info), 7);
	ck_assert_str_eq(cx_disco_info_feature_at(info, 2), "http://jabber.org/protocol/muc");
	ck_assert_int_eq(cx_disco_info_has_feature(info, "jabber:iq:search"), 1);
	ck_assert_int_eq(cx_disco_info_has_feature(info, "urn:xmpp:ping"), 0);
	ck_assert_int_eq(cx_disco_info_has_identity(info, "conference", "text"), 1);
	ck_assert_int_eq(cx_disco_info_has_identity(info, "conference", NULL), 1);
	ck_assert_int_eq(cx_disco_info_has_identity(info, "conference", "irc"), 0);
	ck_assert_uint_eq(cx_disco_info_form_count(info), 0);
	cx_disco_info_free(info);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_disco_parse_items_example)
{
	cx_stanza *s = stanza(items_example);
	cx_disco_items *it = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_disco_items_parse(&it, cx_stanza_payload(s), &err), CX_OK);
	ck_assert_str_eq(cx_disco_items_get_node(it), "books");
	ck_assert_uint_eq(cx_disco_items_count(it), 3);
	ck_assert_str_eq(cx_disco_items_at(it, 1)->node, "music");
	ck_assert_str_eq(cx_disco_items_at(it, 0)->name, "Wear your literary taste with pride");
	ck_assert_str_eq(cx_disco_items_at(it, 2)->jid, "catalog.shakespeare.lit");
	ck_assert_ptr_null(cx_disco_items_at(it, 2)->node);
	ck_assert_ptr_null(cx_disco_items_at(it, 2)->name);
	ck_assert_ptr_null(cx_disco_items_at(it, 3));
	cx_disco_items_free(it);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_disco_parse_extended_info)
{
	cx_stanza *s = stanza(ext_example);
	cx_disco_info *info = NULL;
	const cx_form *f;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_disco_info_parse(&info, cx_stanza_payload(s), &err), CX_OK);
	ck_assert_uint_eq(cx_disco_info_form_count(info), 1);
	f = cx_disco_info_find_form(info, "http://jabber.org/network/serverinfo");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_eq(f, cx_disco_info_form_at(info, 0));
	ck_assert_str_eq(cx_form_get_value(f, "c2s_port"), "5222");
	ck_assert_uint_eq(cx_form_field_value_count(cx_form_find_field(f, "ip_version")), 2);
	ck_assert_ptr_null(cx_disco_info_find_form(info, "urn:other"));
	cx_disco_info_free(info);
	cx_stanza_unref(s);
}
END_TEST

struct bad_case {
	int items;
	const char *query;
	cx_status want;
	const char *word;
};

#define QI "<query xmlns='http://jabber.org/protocol/disco#info'>"
#define QT "<query xmlns='http://jabber.org/protocol/disco#items'>"
static const struct bad_case bad_cases[] = {
	{ 0, QI "<identity type='pc'/></query>", CX_ERR_PROTOCOL, "category" },
	{ 0, QI "<identity category='client'/></query>", CX_ERR_PROTOCOL, "type" },
	{ 0, QI "<identity category='' type='pc'/></query>", CX_ERR_PROTOCOL, "category" },
	{ 0, QI "<feature/></query>", CX_ERR_PROTOCOL, "var" },
	{ 0, QI "<feature var=''/></query>", CX_ERR_PROTOCOL, "var" },
	{ 0, QI "<x xmlns='jabber:x:data'/></query>", CX_ERR_PROTOCOL, "type" },
	{ 0, QT "</query>", CX_ERR_INVALID, "disco#info" },
	{ 0, "<query xmlns='urn:other'/>", CX_ERR_INVALID, "disco#info" },
	{ 1, QT "<item name='x'/></query>", CX_ERR_PROTOCOL, "jid" },
	{ 1, QT "<item jid='@bad'/></query>", CX_ERR_PROTOCOL, "not a JID" },
	{ 1, QT "<item jid=''/></query>", CX_ERR_PROTOCOL, "not a JID" },
	{ 1, QI "</query>", CX_ERR_INVALID, "disco#items" },
};

START_TEST(test_disco_parse_malformed)
{
	const struct bad_case *c = &bad_cases[_i];
	char xml[1024];
	cx_stanza *s;
	cx_error err = CX_ERROR_INIT;
	cx_status st;
	void *out = (void *)1;

	snprintf(xml, sizeof(xml), "<iq type='result' id='x'>%s</iq>", c->query);
	s = stanza(xml);
	if (c->items)
		st = cx_disco_items_parse((cx_disco_items **)&out, cx_stanza_payload(s), &err);
	else
		st = cx_disco_info_parse((cx_disco_info **)&out, cx_stanza_payload(s), &err);
	ck_assert_msg(st == c->want, "case %d: %d (%s)", _i, st, err.message);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err.message, c->word) != NULL, "case %d: '%s'", _i,
		      err.message);
	cx_stanza_unref(s);
}
END_TEST

/* Unknown children and other namespaces are skipped. */
START_TEST(test_disco_parse_unknown_children)
{
	cx_stanza *s = stanza("<iq type='result' id='x'>" QI
			      "<identity category='client' type='pc' xml:lang='en' name='N'/>"
			      "<unknown/><feature xmlns='urn:other'/>"
			      "<feature var='a'/><feature var='a'/></query></iq>");
	cx_disco_info *info = NULL;

	ck_assert_int_eq(cx_disco_info_parse(&info, cx_stanza_payload(s), NULL), CX_OK);
	ck_assert_uint_eq(cx_disco_info_feature_count(info), 2); /* kept as they came */
	ck_assert_str_eq(cx_disco_info_identity_at(info, 0)->lang, "en");
	cx_disco_info_free(info);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_disco_parse_too_many)
{
	cxi_buf b = CXI_BUF_INIT;
	xmlDocPtr doc;
	cx_disco_info *info = NULL;
	cx_disco_items *it = NULL;
	cx_error err = CX_ERROR_INIT;
	char *xml;

	/* Beyond the stream's own default limits: built with libxml2 directly. */
	cxi_buf_append_str(&b, QI);
	for (unsigned i = 0; i <= CX_DISCO_MAX_FEATURES; i++)
		cxi_buf_printf(&b, "<feature var='f%u'/>", i);
	cxi_buf_append_str(&b, "</query>");
	xml = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	doc = xmlReadMemory(xml, (int)strlen(xml), "q.xml", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cx_disco_info_parse(&info, xmlDocGetRootElement(doc), &err),
			 CX_ERR_XML_TOO_MANY);
	ck_assert_ptr_nonnull(strstr(err.message, "more than"));
	xmlFreeDoc(doc);
	free(xml);

	cxi_buf_append_str(&b, QT);
	for (unsigned i = 0; i <= CX_DISCO_MAX_ITEMS; i++)
		cxi_buf_printf(&b, "<item jid='a%u@example.org'/>", i);
	cxi_buf_append_str(&b, "</query>");
	xml = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	doc = xmlReadMemory(xml, (int)strlen(xml), "q.xml", NULL, XML_PARSE_NONET);
	ck_assert_ptr_nonnull(doc);
	ck_assert_int_eq(cx_disco_items_parse(&it, xmlDocGetRootElement(doc), &err),
			 CX_ERR_XML_TOO_MANY);
	xmlFreeDoc(doc);
	free(xml);
}
END_TEST

START_TEST(test_disco_build_roundtrip)
{
	cx_disco_info *info = NULL, *back = NULL;
	cx_disco_items *it = NULL, *itb = NULL;
	cx_form *form = NULL;
	cx_stanza *iq = NULL, *re = NULL;
	cx_error err = CX_ERROR_INIT;
	char *xml = NULL;

	ck_assert_int_eq(cx_disco_info_new(&info, "n#1", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", "pc", "Exodus 0.9.1", "en", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", "pc", "Exodus 0.9.1", "en", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", "pc", "\xce\x95xodus", "el", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", NULL, NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "", "pc", NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "urn:xmpp:ping", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "urn:xmpp:ping", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "bad\x01", &err), CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_form_new(&form, CX_FORM_RESULT, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_form_type(form, "urn:xmpp:dataforms:softwareinfo", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_form(info, form, &err), CX_OK);
	cx_form_free(form);
	ck_assert_uint_eq(cx_disco_info_identity_count(info), 2);
	ck_assert_uint_eq(cx_disco_info_feature_count(info), 1);

	ck_assert_int_eq(cx_disco_items_new(&it, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_items_add(it, "pubsub.example.org", "news", "News & more", &err), CX_OK);
	ck_assert_int_eq(cx_disco_items_add(it, "@@", NULL, NULL, &err), CX_ERR_JID);
	ck_assert_int_eq(cx_disco_items_add(it, NULL, NULL, NULL, &err), CX_ERR_INVALID);

	ck_assert_int_eq(cx_stanza_new_iq(&iq, "result", "a@b/c", NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_build(NULL, info, cx_stanza_node(iq), &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "node=\"n#1\""));
	ck_assert_ptr_nonnull(strstr(xml, "xml:lang=\"el\""));
	re = stanza(xml);
	cx_free(xml);
	ck_assert_int_eq(cx_disco_info_parse(&back, cx_stanza_payload(re), &err), CX_OK);
	ck_assert_str_eq(cx_disco_info_get_node(back), "n#1");
	ck_assert_uint_eq(cx_disco_info_identity_count(back), 2);
	ck_assert_str_eq(cx_disco_info_identity_at(back, 1)->lang, "el");
	ck_assert_str_eq(cx_disco_info_identity_at(back, 1)->name, "\xce\x95xodus");
	ck_assert_int_eq(cx_disco_info_has_feature(back, "urn:xmpp:ping"), 1);
	ck_assert_ptr_nonnull(cx_disco_info_find_form(back, "urn:xmpp:dataforms:softwareinfo"));
	cx_stanza_unref(iq);
	cx_stanza_unref(re);

	ck_assert_int_eq(cx_stanza_new_iq(&iq, "result", "a@b/c", NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_items_build(NULL, it, cx_stanza_node(iq), &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	re = stanza(xml);
	cx_free(xml);
	ck_assert_int_eq(cx_disco_items_parse(&itb, cx_stanza_payload(re), &err), CX_OK);
	ck_assert_uint_eq(cx_disco_items_count(itb), 1);
	ck_assert_str_eq(cx_disco_items_at(itb, 0)->name, "News & more");
	ck_assert_ptr_null(cx_disco_items_get_node(itb));

	ck_assert_int_eq(cx_disco_info_build(NULL, NULL, cx_stanza_node(iq), &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_disco_items_build(NULL, it, NULL, &err), CX_ERR_INVALID);
	cx_stanza_unref(iq);
	cx_stanza_unref(re);
	cx_disco_info_free(info);
	cx_disco_info_free(back);
	cx_disco_items_free(it);
	cx_disco_items_free(itb);
}
END_TEST

START_TEST(test_disco_build_request)
{
	cx_stanza *iq = NULL;
	char *xml = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_disco_build_request(&iq, 0, "example.org", "n", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_type(iq), "get");
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<query xmlns=\"http://jabber.org/protocol/disco#info\" node=\"n\"/>"));
	cx_free(xml);
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_disco_build_request(&iq, 1, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<query xmlns=\"http://jabber.org/protocol/disco#items\"/>"));
	ck_assert_ptr_null(strstr(xml, " to="));
	cx_free(xml);
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_disco_build_request(&iq, 1, NULL, "\x02", &err), CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_disco_build_request(NULL, 1, NULL, NULL, &err), CX_ERR_INVALID);
}
END_TEST

static Suite *
disco_suite(void)
{
	Suite *s = suite_create("disco");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_disco_parse_info_example);
	tcase_add_test(tc, test_disco_parse_items_example);
	tcase_add_test(tc, test_disco_parse_extended_info);
	tcase_add_loop_test(tc, test_disco_parse_malformed, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_disco_parse_unknown_children);
	tcase_add_test(tc, test_disco_parse_too_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_disco_build_roundtrip);
	tcase_add_test(tc, test_disco_build_request);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(disco_suite)

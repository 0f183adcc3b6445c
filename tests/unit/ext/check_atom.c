/* Unit tests of Atom entries (lib/ext/atom.c, RFC 4287). */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "cxmpp/cxmpp.h"
#include "cxmpp/atom.h"
#include "tests/unit/testutil.h"

static xmlDocPtr
read_doc(const char *xml)
{
	xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), NULL, "UTF-8",
				    XML_PARSE_NONET);

	ck_assert_msg(d != NULL, "unparseable test input: %s", xml);
	return d;
}

static char *
dump(xmlNodePtr n)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *s;

	ck_assert_ptr_nonnull(b);
	ck_assert_int_ge(xmlNodeDump(b, n->doc, n, 0, 0), 0);
	s = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return s;
}

/* ------------------------------------------------------------------------
 * time
 */

static const struct {
	const char *s;
	cx_status st;
	int64_t t;
} time_cases[] = {
	{ "1970-01-01T00:00:00Z", CX_OK, 0 },
	{ "2003-12-13T18:30:02Z", CX_OK, 1071340202 },
	{ "2003-12-13T18:30:02.25Z", CX_OK, 1071340202 },
	{ "2003-12-13T18:30:02+01:00", CX_OK, 1071340202 - 3600 },
	{ "2003-12-13T18:30:02-05:30", CX_OK, 1071340202 + 5 * 3600 + 1800 },
	{ "2003-12-13t18:30:02z", CX_OK, 1071340202 },
	{ "2000-02-29T00:00:00Z", CX_OK, 951782400 },
	{ "1969-12-31T23:59:59Z", CX_OK, -1 },
	{ "2016-12-31T23:59:60Z", CX_OK, 1483228800 },
	{ "2001-02-29T00:00:00Z", CX_ERR_INVALID, 0 },
	{ "1900-02-29T00:00:00Z", CX_ERR_INVALID, 0 },
	{ "2003-13-01T00:00:00Z", CX_ERR_INVALID, 0 },
	{ "2003-00-01T00:00:00Z", CX_ERR_INVALID, 0 },
	{ "2003-12-32T00:00:00Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T24:00:00Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:60:00Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:61Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:02", CX_ERR_INVALID, 0 },
	{ "2003-12-13 18:30:02Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:02.Z", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:02+0100", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:02+24:00", CX_ERR_INVALID, 0 },
	{ "2003-12-13T18:30:02Zjunk", CX_ERR_INVALID, 0 },
	{ "03-12-13T18:30:02Z", CX_ERR_INVALID, 0 },
	{ "2003-1a-13T18:30:02Z", CX_ERR_INVALID, 0 },
	{ "", CX_ERR_INVALID, 0 },
	{ "Sat, 13 Dec 2003 18:30:02 GMT", CX_ERR_INVALID, 0 },
};

START_TEST(test_atom_time_parse_table)
{
	int64_t t = 42;
	cx_status st = cx_atom_time_parse(&t, time_cases[_i].s);

	ck_assert_msg(st == time_cases[_i].st, "%s: status %d", time_cases[_i].s, st);
	if (st == CX_OK)
		ck_assert_msg(t == time_cases[_i].t, "%s: %lld, expected %lld",
			      time_cases[_i].s, (long long)t,
			      (long long)time_cases[_i].t);
}
END_TEST

START_TEST(test_atom_time_format_roundtrip)
{
	char buf[CX_ATOM_TIME_SIZE];
	int64_t t, back;

	ck_assert_int_eq(cx_atom_time_format(buf, sizeof(buf), 1071340202), CX_OK);
	ck_assert_str_eq(buf, "2003-12-13T18:30:02Z");
	ck_assert_int_eq(cx_atom_time_format(buf, sizeof(buf), -1), CX_OK);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59Z");
	ck_assert_int_eq(cx_atom_time_format(buf, sizeof(buf) - 1, 0), CX_ERR_INVALID);
	ck_assert_int_eq(cx_atom_time_format(buf, sizeof(buf), (int64_t)1 << 40), CX_ERR_INVALID);
	for (t = -86400 * 365; t < (int64_t)86400 * 365 * 60; t += 86400 * 7 + 3599) {
		ck_assert_int_eq(cx_atom_time_format(buf, sizeof(buf), t), CX_OK);
		ck_assert_int_eq(cx_atom_time_parse(&back, buf), CX_OK);
		ck_assert_msg(back == t, "%s: %lld != %lld", buf, (long long)back, (long long)t);
	}
}
END_TEST

/* ------------------------------------------------------------------------
 * build
 */

START_TEST(test_atom_build_minimal)
{
	cx_atom_entry e = CX_ATOM_ENTRY_INIT;
	cx_atom_entry *got = NULL;
	xmlNodePtr n = NULL;
	cx_error err = CX_ERROR_INIT;
	int64_t now = (int64_t)time(NULL);

	e.title.value = "Hello";
	ck_assert_int_eq(cx_atom_entry_build(&n, &e, &err), CX_OK);
	ck_assert_ptr_nonnull(n);
	ck_assert_str_eq((const char *)n->name, "entry");
	ck_assert_str_eq((const char *)n->ns->href, CX_NS_ATOM);
	ck_assert_int_eq(cx_atom_entry_parse(&got, n, &err), CX_OK);
	ck_assert_str_eq(got->title.value, "Hello");
	ck_assert_int_eq(got->title.type, CX_ATOM_TEXT);
	/* a fresh urn:uuid id, version 4 */
	ck_assert_ptr_nonnull(got->id);
	ck_assert_int_eq(strlen(got->id), strlen("urn:uuid:") + 36);
	ck_assert_int_eq(strncmp(got->id, "urn:uuid:", 9), 0);
	ck_assert_int_eq(got->id[9 + 14], '4');
	/* updated: now */
	ck_assert_ptr_nonnull(got->updated);
	ck_assert(got->updated_time >= now - 5 && got->updated_time <= now + 5);
	ck_assert_ptr_null(got->published);
	ck_assert_ptr_null(got->author.name);
	ck_assert_ptr_null(got->summary.value);
	ck_assert_ptr_null(got->content.value);
	ck_assert_uint_eq(got->n_links, 0);
	ck_assert_uint_eq(got->n_categories, 0);
	ck_assert_uint_eq(got->dropped, 0);
	cx_atom_entry_free(got);
	xmlFreeDoc(n->doc);
}
END_TEST

START_TEST(test_atom_build_full_roundtrip)
{
	static const cx_atom_link links[] = {
		{ "http://example.org/2003/12/13/atom03", "alternate", "text/html", "HTML" },
		{ "http://example.org/audio/ph34r_my_podcast.mp3", "enclosure", "audio/mpeg", NULL },
	};
	static const cx_atom_category cats[] = {
		{ "xmpp", "http://example.org/tags", "XMPP" },
		{ "c", NULL, NULL },
	};
	cx_atom_entry e = CX_ATOM_ENTRY_INIT;
	cx_atom_entry *got = NULL;
	xmlNodePtr n = NULL;
	cx_error err = CX_ERROR_INIT;
	char *xml;

	e.id = "tag:example.org,2003:3.2397";
	e.title.value = "Atom <draft> & co";
	e.author.name = "Mark Pilgrim";
	e.author.email = "f8dy@example.com";
	e.author.uri = "http://example.org/";
	e.published = "2003-12-13T08:29:29-04:00";
	e.updated = "2005-07-31T12:29:29Z";
	e.summary.type = CX_ATOM_HTML;
	e.summary.value = "<b>bold</b> summary";
	e.content.type = CX_ATOM_XHTML;
	e.content.value = "<p><i>[Update: The Atom draft is finished.]</i></p>";
	e.links = links;
	e.n_links = 2;
	e.categories = cats;
	e.n_categories = 2;
	ck_assert_int_eq(cx_atom_entry_build(&n, &e, &err), CX_OK);
	xml = dump(n);
	ck_assert_msg(strstr(xml, "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\"><p><i>") != NULL, "%s", xml);
	ck_assert_msg(strstr(xml, "<summary type=\"html\">&lt;b&gt;bold&lt;/b&gt; summary</summary>") != NULL, "%s", xml);
	ck_assert_msg(strstr(xml, "<title>Atom &lt;draft&gt; &amp; co</title>") != NULL, "%s", xml);
	free(xml);

	ck_assert_int_eq(cx_atom_entry_parse(&got, n, &err), CX_OK);
	ck_assert_str_eq(got->id, e.id);
	ck_assert_str_eq(got->title.value, e.title.value);
	ck_assert_str_eq(got->author.name, "Mark Pilgrim");
	ck_assert_str_eq(got->author.email, "f8dy@example.com");
	ck_assert_str_eq(got->author.uri, "http://example.org/");
	ck_assert_str_eq(got->published, e.published);
	ck_assert_int_eq(got->published_time, 1071318569);
	ck_assert_str_eq(got->updated, e.updated);
	ck_assert_int_eq(got->summary.type, CX_ATOM_HTML);
	ck_assert_str_eq(got->summary.value, "<b>bold</b> summary");
	ck_assert_int_eq(got->content.type, CX_ATOM_XHTML);
	ck_assert_str_eq(got->content.value, e.content.value);
	ck_assert_uint_eq(got->n_links, 2);
	ck_assert_str_eq(got->links[0].href, links[0].href);
	ck_assert_str_eq(got->links[0].rel, "alternate");
	ck_assert_str_eq(got->links[0].type, "text/html");
	ck_assert_str_eq(got->links[0].title, "HTML");
	ck_assert_str_eq(got->links[1].rel, "enclosure");
	ck_assert_ptr_null(got->links[1].title);
	ck_assert_uint_eq(got->n_categories, 2);
	ck_assert_str_eq(got->categories[0].term, "xmpp");
	ck_assert_str_eq(got->categories[0].scheme, "http://example.org/tags");
	ck_assert_str_eq(got->categories[0].label, "XMPP");
	ck_assert_str_eq(got->categories[1].term, "c");
	ck_assert_ptr_null(got->categories[1].scheme);
	ck_assert_uint_eq(got->dropped, 0);
	cx_atom_entry_free(got);
	xmlFreeDoc(n->doc);
}
END_TEST

START_TEST(test_atom_build_publishable)
{
	/* The built entry goes into a pubsub publish request intact. */
	cx_atom_entry e = CX_ATOM_ENTRY_INIT;
	xmlNodePtr n = NULL;
	cx_stanza *s = NULL;
	char *str = NULL;
	xmlNodePtr copy = NULL;

	e.title.value = "t";
	e.content.type = CX_ATOM_OTHER;
	e.content.mime = "image/png";
	e.content.src = "http://example.org/a.png";
	ck_assert_int_eq(cx_atom_entry_build(&n, &e, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_new_iq(&s, "set", "pubsub.example", CX_NS_PUBSUB, "pubsub", NULL), CX_OK);
	copy = xmlDocCopyNode(n, cx_stanza_payload(s)->doc, 1);
	ck_assert_ptr_nonnull(copy);
	xmlAddChild(cx_stanza_payload(s), copy);
	ck_assert_int_eq(cx_stanza_to_string(&str, s, NULL), CX_OK);
	ck_assert_msg(strstr(str, "<entry xmlns=\"http://www.w3.org/2005/Atom\"><id>urn:uuid:") != NULL, "%s", str);
	ck_assert_msg(strstr(str, "<content type=\"image/png\" src=\"http://example.org/a.png\"/>") != NULL, "%s", str);
	cx_free(str);
	cx_stanza_unref(s);
	xmlFreeDoc(n->doc);
}
END_TEST

static const cx_atom_link bad_link[] = { { NULL, "self", NULL, NULL } };
static const cx_atom_category bad_cat[] = { { "", NULL, NULL } };

enum { B_NOTITLE, B_EMAILONLY, B_LINK, B_CAT, B_PUBLISHED, B_UPDATED,
       B_XHTML, B_XHTML_DTD, B_OTHER, B_OTHER_TITLE, B_VERSION, B_CTRL,
       B_ATTR_CTRL, B_EMPTY_ID, B_COUNT_ONLY, B_TYPE };

static const struct {
	int kind;
	cx_status st;
} build_cases[] = {
	{ B_NOTITLE, CX_ERR_INVALID },
	{ B_EMAILONLY, CX_ERR_INVALID },
	{ B_LINK, CX_ERR_INVALID },
	{ B_CAT, CX_ERR_INVALID },
	{ B_PUBLISHED, CX_ERR_INVALID },
	{ B_UPDATED, CX_ERR_INVALID },
	{ B_XHTML, CX_ERR_INVALID },
	{ B_XHTML_DTD, CX_ERR_INVALID },
	{ B_OTHER, CX_ERR_INVALID },
	{ B_OTHER_TITLE, CX_ERR_INVALID },
	{ B_VERSION, CX_ERR_INVALID },
	{ B_CTRL, CX_ERR_XML_ENCODING },
	{ B_ATTR_CTRL, CX_ERR_XML_ENCODING },
	{ B_EMPTY_ID, CX_ERR_INVALID },
	{ B_COUNT_ONLY, CX_ERR_INVALID },
	{ B_TYPE, CX_ERR_INVALID },
};

START_TEST(test_atom_build_invalid_table)
{
	static const cx_atom_link ctrl_link[] = { { "http://x/\x01", NULL, NULL, NULL } };
	cx_atom_entry e = CX_ATOM_ENTRY_INIT;
	xmlNodePtr n = (xmlNodePtr)&e;
	cx_error err = CX_ERROR_INIT;

	e.title.value = "ok";
	switch (build_cases[_i].kind) {
	case B_NOTITLE: e.title.value = NULL; break;
	case B_EMAILONLY: e.author.email = "a@b"; break;
	case B_LINK: e.links = bad_link; e.n_links = 1; break;
	case B_CAT: e.categories = bad_cat; e.n_categories = 1; break;
	case B_PUBLISHED: e.published = "yesterday"; break;
	case B_UPDATED: e.updated = "2003-02-30T00:00:00Z"; break;
	case B_XHTML: e.content.type = CX_ATOM_XHTML; e.content.value = "<p>open"; break;
	case B_XHTML_DTD:
		e.content.type = CX_ATOM_XHTML;
		e.content.value = "<!DOCTYPE x [<!ENTITY a 'b'>]><p>&a;</p>";
		break;
	case B_OTHER: e.content.type = CX_ATOM_OTHER; e.content.value = "x"; break;
	case B_OTHER_TITLE: e.title.type = CX_ATOM_OTHER; e.title.mime = "text/plain"; break;
	case B_VERSION: e.version = 99; break;
	case B_CTRL: e.summary.value = "bell \x07"; break;
	case B_ATTR_CTRL: e.links = ctrl_link; e.n_links = 1; break;
	case B_EMPTY_ID: e.id = ""; break;
	case B_COUNT_ONLY: e.n_categories = 3; break;
	case B_TYPE: e.summary.type = (cx_atom_text_type)42; e.summary.value = "x"; break;
	}
	ck_assert_int_eq(cx_atom_entry_build(&n, &e, &err), build_cases[_i].st);
	ck_assert_int_eq(err.status, build_cases[_i].st);
	ck_assert_ptr_null(n);
}
END_TEST

/* ------------------------------------------------------------------------
 * parse
 */

/* RFC 4287 section 1.1, the second example's entry (with a prefixed
 * xhtml namespace and surrounding whitespace). */
static const char rfc_entry[] =
	"<entry xmlns='http://www.w3.org/2005/Atom'>\n"
	"  <title>Atom draft-07 snapshot</title>\n"
	"  <link rel='alternate' type='text/html'\n"
	"   href='http://example.org/2005/04/02/atom'/>\n"
	"  <link rel='enclosure' type='audio/mpeg' length='1337'\n"
	"   href='http://example.org/audio/ph34r_my_podcast.mp3'/>\n"
	"  <id>\n   tag:example.org,2003:3.2397\n  </id>\n"
	"  <updated>2005-07-31T12:29:29Z</updated>\n"
	"  <published>2003-12-13T08:29:29-04:00</published>\n"
	"  <author>\n"
	"    <name>Mark Pilgrim</name>\n"
	"    <uri>http://example.org/</uri>\n"
	"    <email>f8dy@example.com</email>\n"
	"  </author>\n"
	"  <contributor><name>Sam Ruby</name></contributor>\n"
	"  <contributor><name>Joe Gregorio</name></contributor>\n"
	"  <content type='xhtml' xml:lang='en'\n"
	"   xml:base='http://diveintomark.org/'>\n"
	"    <div xmlns='http://www.w3.org/1999/xhtml'>"
	"<p><i>[Update: The Atom draft is finished.]</i></p>"
	"</div>\n"
	"  </content>\n"
	"</entry>";

START_TEST(test_atom_parse_rfc_example)
{
	xmlDocPtr d = read_doc(rfc_entry);
	cx_atom_entry *e = NULL;

	ck_assert_int_eq(cx_atom_entry_parse(&e, xmlDocGetRootElement(d), NULL), CX_OK);
	ck_assert_str_eq(e->title.value, "Atom draft-07 snapshot");
	ck_assert_str_eq(e->id, "tag:example.org,2003:3.2397");
	ck_assert_str_eq(e->updated, "2005-07-31T12:29:29Z");
	ck_assert_int_eq(e->updated_time, 1122812969);
	ck_assert_str_eq(e->published, "2003-12-13T08:29:29-04:00");
	ck_assert_str_eq(e->author.name, "Mark Pilgrim");
	ck_assert_str_eq(e->author.uri, "http://example.org/");
	ck_assert_str_eq(e->author.email, "f8dy@example.com");
	ck_assert_uint_eq(e->n_links, 2);
	ck_assert_str_eq(e->links[0].href, "http://example.org/2005/04/02/atom");
	ck_assert_str_eq(e->links[1].type, "audio/mpeg");
	ck_assert_int_eq(e->content.type, CX_ATOM_XHTML);
	ck_assert_str_eq(e->content.value, "<p><i>[Update: The Atom draft is finished.]</i></p>");
	ck_assert_ptr_null(e->summary.value);
	ck_assert_uint_eq(e->dropped, 0);
	cx_atom_entry_free(e);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_atom_parse_from_event)
{
	/* An entry as it arrives: the payload of a pubsub event item. */
	static const char msg[] =
		"<message from='pubsub.shakespeare.lit' to='francisco@denmark.lit'>"
		"<event xmlns='http://jabber.org/protocol/pubsub#event'>"
		"<items node='princely_musings'><item id='ae890ac52d'>"
		"<entry xmlns='http://www.w3.org/2005/Atom'>"
		"<title>Soliloquy</title>"
		"<summary>To be, or not to be: that is the question</summary>"
		"<link rel='alternate' type='text/html' href='http://denmark.lit/2003/12/13/atom03'/>"
		"<id>tag:denmark.lit,2003:entry-32397</id>"
		"<published>2003-12-13T18:30:02Z</published>"
		"<updated>2003-12-13T18:30:02Z</updated>"
		"</entry></item></items></event></message>";
	cx_stanza *s = NULL;
	cx_pubsub_event *ev = NULL;
	cx_atom_entry *e = NULL;

	ck_assert_int_eq(cx_stanza_from_string(&s, msg, strlen(msg), NULL), CX_OK);
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, s, NULL), CX_OK);
	ck_assert_uint_eq(ev->n_items, 1);
	ck_assert_int_eq(cx_atom_entry_parse(&e, ev->items[0].payload, NULL), CX_OK);
	ck_assert_str_eq(e->title.value, "Soliloquy");
	ck_assert_str_eq(e->summary.value, "To be, or not to be: that is the question");
	ck_assert_int_eq(e->published_time, 1071340202);
	ck_assert_str_eq(e->links[0].rel, "alternate");
	cx_atom_entry_free(e);
	cx_pubsub_event_free(ev);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_atom_parse_not_entry)
{
	static const char *const docs[] = {
		"<entry xmlns='urn:not-atom'><title>x</title></entry>",
		"<feed xmlns='http://www.w3.org/2005/Atom'><title>x</title></feed>",
		"<entry><title>x</title></entry>",
	};
	cx_atom_entry *e = (cx_atom_entry *)docs;
	cx_error err = CX_ERROR_INIT;
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		xmlDocPtr d = read_doc(docs[i]);

		ck_assert_int_eq(cx_atom_entry_parse(&e, xmlDocGetRootElement(d), &err), CX_ERR_NOT_FOUND);
		ck_assert_ptr_null(e);
		xmlFreeDoc(d);
	}
	ck_assert_int_eq(cx_atom_entry_parse(&e, NULL, &err), CX_ERR_NOT_FOUND);
}
END_TEST

/* Tolerant reading: each case names what is dropped and what stays. */
static const struct {
	const char *xml;
	size_t dropped;
	const char *title;     /* expected title.value (NULL: none) */
	const char *published; /* expected published (NULL: none) */
	size_t n_links;
} tolerant_cases[] = {
	/* empty entry: everything NULL, nothing dropped */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'/>", 0, NULL, NULL, 0 },
	/* bad timestamps are dropped, not guessed */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><title>t</title>"
	  "<published>Sat, 13 Dec 2003</published><updated>2003-13-01T00:00:00Z</updated></entry>",
	  2, "t", NULL, 0 },
	/* a link without href, a category without term */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><link rel='self'/><link href=''/>"
	  "<category scheme='s'/><link href='h'/></entry>", 3, NULL, NULL, 1 },
	/* an unknown text type is read as text and counted */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><title type='rtf'>r</title></entry>",
	  1, "r", NULL, 0 },
	/* xhtml without its div */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><title type='xhtml'><p>x</p></title></entry>",
	  1, NULL, NULL, 0 },
	/* the first title wins; elements in other namespaces are ignored */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><title>one</title><title>two</title>"
	  "<x:published xmlns:x='urn:x'>2003-12-13T18:30:02Z</x:published></entry>",
	  0, "one", NULL, 0 },
	/* markup inside a text title is not text */
	{ "<entry xmlns='http://www.w3.org/2005/Atom'><title>a<b xmlns='urn:x'>b</b>c</title>"
	  "<published> 2003-12-13T18:30:02Z </published></entry>",
	  0, "ac", "2003-12-13T18:30:02Z", 0 },
};

START_TEST(test_atom_parse_tolerant_table)
{
	xmlDocPtr d = read_doc(tolerant_cases[_i].xml);
	cx_atom_entry *e = NULL;

	ck_assert_int_eq(cx_atom_entry_parse(&e, xmlDocGetRootElement(d), NULL), CX_OK);
	ck_assert_uint_eq(e->dropped, tolerant_cases[_i].dropped);
	if (tolerant_cases[_i].title == NULL)
		ck_assert_ptr_null(e->title.value);
	else
		ck_assert_str_eq(e->title.value, tolerant_cases[_i].title);
	if (tolerant_cases[_i].published == NULL)
		ck_assert_ptr_null(e->published);
	else
		ck_assert_str_eq(e->published, tolerant_cases[_i].published);
	ck_assert_ptr_null(e->updated);
	ck_assert_ptr_null(e->id);
	ck_assert_ptr_null(e->author.name);
	ck_assert_uint_eq(e->n_links, tolerant_cases[_i].n_links);
	cx_atom_entry_free(e);
	xmlFreeDoc(d);
}
END_TEST

START_TEST(test_atom_parse_bounds)
{
	/* 1000 links and 1000 categories: capped; a title beyond
	 * CX_ATOM_MAX_TEXT is dropped. */
	size_t n = 1000, i, len = 0, cap = 64 * 1000 + CX_ATOM_MAX_TEXT + 4096;
	char *xml = malloc(cap);
	xmlDocPtr d;
	cx_atom_entry *e = NULL;

	ck_assert_ptr_nonnull(xml);
	len += (size_t)snprintf(xml + len, cap - len,
				"<entry xmlns='http://www.w3.org/2005/Atom'><title>");
	memset(xml + len, 'a', CX_ATOM_MAX_TEXT + 1);
	len += CX_ATOM_MAX_TEXT + 1;
	len += (size_t)snprintf(xml + len, cap - len, "</title><summary>s</summary>");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(xml + len, cap - len,
					"<link href='h%zu'/><category term='c%zu'/>", i, i);
	len += (size_t)snprintf(xml + len, cap - len, "</entry>");
	ck_assert_uint_lt(len, cap);
	d = xmlReadMemory(xml, (int)len, NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_HUGE);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(cx_atom_entry_parse(&e, xmlDocGetRootElement(d), NULL), CX_OK);
	ck_assert_ptr_null(e->title.value);
	ck_assert_str_eq(e->summary.value, "s");
	ck_assert_uint_eq(e->n_links, CX_ATOM_MAX_LINKS);
	ck_assert_uint_eq(e->n_categories, CX_ATOM_MAX_CATEGORIES);
	ck_assert_str_eq(e->links[CX_ATOM_MAX_LINKS - 1].href, "h63");
	ck_assert_uint_eq(e->dropped, 1 + (n - CX_ATOM_MAX_LINKS) + (n - CX_ATOM_MAX_CATEGORIES));
	cx_atom_entry_free(e);
	xmlFreeDoc(d);
	free(xml);
}
END_TEST

START_TEST(test_atom_parse_content_types)
{
	static const char xml[] =
		"<entry xmlns='http://www.w3.org/2005/Atom'>"
		"<summary type='html'>&lt;p&gt;hi&lt;/p&gt;</summary>"
		"<content type='text/plain' src='http://e/x.txt'/>"
		"</entry>";
	xmlDocPtr d = read_doc(xml);
	cx_atom_entry *e = NULL;

	ck_assert_int_eq(cx_atom_entry_parse(&e, xmlDocGetRootElement(d), NULL), CX_OK);
	ck_assert_int_eq(e->summary.type, CX_ATOM_HTML);
	ck_assert_str_eq(e->summary.value, "<p>hi</p>");
	ck_assert_int_eq(e->content.type, CX_ATOM_OTHER);
	ck_assert_str_eq(e->content.mime, "text/plain");
	ck_assert_str_eq(e->content.src, "http://e/x.txt");
	ck_assert_str_eq(e->content.value, "");
	cx_atom_entry_free(e);
	xmlFreeDoc(d);
}
END_TEST

static Suite *
atom_suite(void)
{
	Suite *s = suite_create("atom");
	TCase *tc;

	tc = tcase_create("time");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_atom_time_parse_table, 0,
			    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, test_atom_time_format_roundtrip);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_atom_build_minimal);
	tcase_add_test(tc, test_atom_build_full_roundtrip);
	tcase_add_test(tc, test_atom_build_publishable);
	tcase_add_loop_test(tc, test_atom_build_invalid_table, 0,
			    sizeof(build_cases) / sizeof(build_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_atom_parse_rfc_example);
	tcase_add_test(tc, test_atom_parse_from_event);
	tcase_add_test(tc, test_atom_parse_not_entry);
	tcase_add_loop_test(tc, test_atom_parse_tolerant_table, 0,
			    sizeof(tolerant_cases) / sizeof(tolerant_cases[0]));
	tcase_add_test(tc, test_atom_parse_bounds);
	tcase_add_test(tc, test_atom_parse_content_types);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(atom_suite)

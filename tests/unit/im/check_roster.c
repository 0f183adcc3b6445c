/*
 * Unit tests of lib/im/roster.c: builders, result and push parsing, the
 * sender rule for pushes, applying pushes, persistence, limits.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <time.h>
#include <stdio.h>
#include <string.h>

#include "cxmpp/roster.h"
#include "tests/unit/testutil.h"

static cx_stanza *
stanza(const char *xml)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) == CX_OK,
		      "%s: %s", xml, err.message);
	return s;
}

#define RES(items) "<iq type='result' id='r1'><query xmlns='jabber:iq:roster' ver='v7'>" items "</query></iq>"

/* ---- results --------------------------------------------------------- */

static const struct {
	const char *xml;
	cx_status st;
	int full;          /* 1: a roster came back; 0: "unchanged" */
	size_t count;
	const char *first; /* JID of the first item */
} result_cases[] = {
	{ RES(""), CX_OK, 1, 0, NULL },
	{ "<iq type='result' id='r1'/>", CX_OK, 0, 0, NULL },
	{ RES("<item jid='romeo@example.net' name='Romeo' subscription='both'>"
	      "<group>Friends</group></item>"), CX_OK, 1, 1, "romeo@example.net" },
	/* the JID is normalized to its bare form */
	{ RES("<item jid='Romeo@Example.NET/balcony'/>"), CX_OK, 1, 1,
	  "romeo@example.net" },
	/* bad items are dropped, good ones kept */
	{ RES("<item/><item jid='a@b'/>"), CX_OK, 1, 1, "a@b" },
	{ RES("<item jid=''/><item jid='a@b'/>"), CX_OK, 1, 1, "a@b" },
	{ RES("<item jid='@@@'/><item jid='a@b'/>"), CX_OK, 1, 1, "a@b" },
	{ RES("<item jid='x@y' subscription='weird'/><item jid='a@b'/>"), CX_OK,
	  1, 1, "a@b" },
	{ RES("<item jid='x@y' subscription='remove'/><item jid='a@b'/>"), CX_OK,
	  1, 1, "a@b" },
	/* a second item for one JID: the first wins */
	{ RES("<item jid='a@b' name='1'/><item jid='A@B' name='2'/>"), CX_OK, 1,
	  1, "a@b" },
	/* unknown children and attributes, items in another namespace */
	{ RES("<foo/><item jid='a@b' color='red'><bar/></item>"
	      "<item xmlns='urn:x' jid='c@d'/>"), CX_OK, 1, 1, "a@b" },
	/* not a roster result */
	{ "<iq type='result' id='r1'><query xmlns='urn:x'/></iq>",
	  CX_ERR_PROTOCOL, 0, 0, NULL },
	{ "<iq type='error' id='r1'><error type='cancel'><item-not-found "
	  "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
	  CX_ERR_PROTOCOL, 0, 0, NULL },
	{ "<iq type='set' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
	  CX_ERR_PROTOCOL, 0, 0, NULL },
	{ "<message/>", CX_ERR_PROTOCOL, 0, 0, NULL },
};

START_TEST(test_roster_result_table)
{
	cx_stanza *s = stanza(result_cases[_i].xml);
	cx_roster *r = (cx_roster *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_roster_parse_result(&r, s, &err);

	ck_assert_msg(st == result_cases[_i].st, "%s: %s", result_cases[_i].xml,
		      cx_strerror(st));
	if (st != CX_OK || !result_cases[_i].full) {
		ck_assert_ptr_null(r);
		cx_stanza_unref(s);
		return;
	}
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(cx_roster_get_version(r), "v7");
	ck_assert_uint_eq(cx_roster_count(r), result_cases[_i].count);
	if (result_cases[_i].first != NULL)
		ck_assert_str_eq(cx_roster_item_get_jid(cx_roster_item_at(r, 0)),
				 result_cases[_i].first);
	cx_roster_free(r);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_result_item_fields)
{
	cx_stanza *s = stanza(RES(
		"<item jid='juliet@example.com' name='Juliet' subscription='from' "
		"ask='subscribe' approved='true'><group>Friends</group>"
		"<group>Lovers</group><group>Friends</group><group></group></item>"
		"<item jid='nurse@example.com' ask='unsubscribe'/>"));
	cx_roster *r = NULL;
	const cx_roster_item *it;

	ck_assert_int_eq(cx_roster_parse_result(&r, s, NULL), CX_OK);
	it = cx_roster_find(r, "Juliet@example.com/chamber");
	ck_assert_ptr_nonnull(it);
	ck_assert_str_eq(cx_roster_item_get_name(it), "Juliet");
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_FROM);
	ck_assert_int_eq(cx_roster_item_is_pending_out(it), 1);
	ck_assert_int_eq(cx_roster_item_is_approved(it), 1);
	ck_assert_uint_eq(cx_roster_item_group_count(it), 2);
	ck_assert_str_eq(cx_roster_item_group_at(it, 0), "Friends");
	ck_assert_str_eq(cx_roster_item_group_at(it, 1), "Lovers");
	ck_assert_ptr_null(cx_roster_item_group_at(it, 2));
	it = cx_roster_find(r, "nurse@example.com");
	ck_assert_ptr_nonnull(it);
	ck_assert_ptr_null(cx_roster_item_get_name(it));
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_NONE);
	ck_assert_int_eq(cx_roster_item_is_pending_out(it), 0);
	ck_assert_int_eq(cx_roster_item_is_approved(it), 0);
	ck_assert_ptr_null(cx_roster_find(r, "nobody@example.com"));
	ck_assert_ptr_null(cx_roster_find(r, "@@bad"));
	ck_assert_ptr_null(cx_roster_item_at(r, 2));
	cx_roster_free(r);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_result_too_many_groups)
{
	cx_stanza *s = NULL;
	cx_roster *r = NULL;
	xmlNodePtr item = NULL;
	char g[16];

	ck_assert_int_eq(cx_stanza_new_iq(&s, "result", NULL, CX_NS_ROSTER, "query",
					  NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_add_child(&item, s, cx_stanza_payload(s), NULL,
					     "item", NULL, NULL), CX_OK);
	xmlNewProp(item, (const xmlChar *)"jid", (const xmlChar *)"a@b");
	for (int i = 0; i <= CX_ROSTER_MAX_GROUPS; i++) {
		snprintf(g, sizeof(g), "g%d", i);
		ck_assert_int_eq(cx_stanza_add_child(NULL, s, item, NULL, "group", g,
						     NULL), CX_OK);
	}
	ck_assert_int_eq(cx_roster_parse_result(&r, s, NULL), CX_OK);
	ck_assert_uint_eq(cx_roster_count(r), 0); /* the item was dropped */
	cx_roster_free(r);
	cx_stanza_unref(s);
}
END_TEST

/* Builds a result of n items with libxml2 directly (the stream's limits
 * would refuse such a stanza long before: that is tested below too). */
static cx_stanza *
big_result(int n)
{
	cx_stanza *s = NULL;
	xmlNodePtr q;
	char jid[64];

	ck_assert_int_eq(cx_stanza_new_iq(&s, "result", NULL, CX_NS_ROSTER, "query",
					  NULL), CX_OK);
	q = cx_stanza_payload(s);
	for (int i = 0; i < n; i++) {
		xmlNodePtr it = xmlNewChild(q, q->ns, (const xmlChar *)"item", NULL);

		ck_assert_ptr_nonnull(it);
		snprintf(jid, sizeof(jid), "user%d@example.org", i);
		xmlNewProp(it, (const xmlChar *)"jid", (const xmlChar *)jid);
		xmlNewProp(it, (const xmlChar *)"subscription", (const xmlChar *)"both");
	}
	return s;
}

START_TEST(test_roster_limit_refused)
{
	cx_stanza *s = big_result(100000);
	cx_roster *r = (cx_roster *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_roster_parse_result(&r, s, &err), CX_ERR_XML_TOO_MANY);
	ck_assert_ptr_null(r);
	ck_assert_ptr_nonnull(strstr(err.message, "100000"));
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_limit_at_limit)
{
	cx_stanza *s = big_result(CX_ROSTER_MAX_ITEMS);
	cx_roster *r = NULL, *back = NULL;
	const cx_roster_item *it;
	char *xml = NULL;

	ck_assert_int_eq(cx_roster_parse_result(&r, s, NULL), CX_OK);
	ck_assert_uint_eq(cx_roster_count(r), CX_ROSTER_MAX_ITEMS);
	it = cx_roster_find(r, "user49999@example.org");
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_BOTH);
	/* the roster is full: a push of a new item is refused, an update is not */
	{
		cx_stanza *p = stanza("<iq type='set' id='p'><query xmlns='jabber:iq:roster'>"
				      "<item jid='new@example.org'/></query></iq>");
		cx_stanza *u = stanza("<iq type='set' id='p'><query xmlns='jabber:iq:roster'>"
				      "<item jid='user7@example.org' name='Seven'/></query></iq>");
		cx_roster_item *pi = NULL, *ui = NULL;

		ck_assert_int_eq(cx_roster_parse_push(&pi, NULL, p, NULL), CX_OK);
		ck_assert_int_eq(cx_roster_apply_push(r, pi, "v9", NULL), CX_ERR_XML_TOO_MANY);
		ck_assert_ptr_null(cx_roster_get_version(r));
		ck_assert_int_eq(cx_roster_parse_push(&ui, NULL, u, NULL), CX_OK);
		ck_assert_int_eq(cx_roster_apply_push(r, ui, "v9", NULL), CX_OK);
		ck_assert_str_eq(cx_roster_get_version(r), "v9");
		cx_roster_item_free(pi);
		cx_roster_item_free(ui);
		cx_stanza_unref(p);
		cx_stanza_unref(u);
	}
	/* the cache of that size goes to text and back */
	ck_assert_int_eq(cx_roster_to_string(&xml, r, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_from_string(&back, xml, strlen(xml), NULL), CX_OK);
	ck_assert_uint_eq(cx_roster_count(back), CX_ROSTER_MAX_ITEMS);
	ck_assert_str_eq(cx_roster_item_get_name(cx_roster_find(back, "user7@example.org")),
			 "Seven");
	cx_free(xml);
	cx_roster_free(back);
	cx_roster_free(r);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_limit_stream_refuses)
{
	/* As text under the stream's default limits, a 100 000-item roster
	 * never reaches the roster parser. */
	size_t cap = 100000 * 40 + 200, len = 0;
	char *xml = malloc(cap);
	cx_stanza *s = (cx_stanza *)1;
	cx_status st;

	ck_assert_ptr_nonnull(xml);
	len += (size_t)sprintf(xml, "<iq type='result' id='x'><query xmlns='jabber:iq:roster'>");
	for (int i = 0; i < 100000; i++)
		len += (size_t)sprintf(xml + len, "<item jid='u%d@e.org'/>", i);
	len += (size_t)sprintf(xml + len, "</query></iq>");
	st = cx_stanza_from_string(&s, xml, len, NULL);
	ck_assert_msg(st == CX_ERR_XML_TOO_BIG || st == CX_ERR_XML_TOO_MANY,
		      "got %s", cx_strerror(st));
	ck_assert_ptr_null(s);
	free(xml);
}
END_TEST

/* ---- pushes ---------------------------------------------------------- */

#define PUSH(items) "<iq type='set' id='p1'><query xmlns='jabber:iq:roster' ver='v8'>" items "</query></iq>"

static const struct {
	const char *xml;
	cx_status st;
	cx_roster_subscription sub;
} push_cases[] = {
	{ PUSH("<item jid='a@b' subscription='both'/>"), CX_OK, CX_ROSTER_SUB_BOTH },
	{ PUSH("<item jid='a@b' subscription='remove'/>"), CX_OK, CX_ROSTER_SUB_REMOVE },
	{ PUSH("<item jid='a@b'/>"), CX_OK, CX_ROSTER_SUB_NONE },
	{ PUSH("<item jid='a@b'/><unknown/>"), CX_OK, CX_ROSTER_SUB_NONE },
	{ PUSH(""), CX_ERR_PROTOCOL, 0 },
	{ PUSH("<item jid='a@b'/><item jid='c@d'/>"), CX_ERR_PROTOCOL, 0 },
	{ PUSH("<item/>"), CX_ERR_JID, 0 },
	{ PUSH("<item jid='a@b@c'/>"), CX_ERR_JID, 0 },
	{ PUSH("<item jid='a@b' subscription='all'/>"), CX_ERR_PROTOCOL, 0 },
	{ "<iq type='get' id='p1'><query xmlns='jabber:iq:roster'><item jid='a@b'/>"
	  "</query></iq>", CX_ERR_PROTOCOL, 0 },
	{ "<iq type='set' id='p1'><query xmlns='urn:x'><item jid='a@b'/></query></iq>",
	  CX_ERR_PROTOCOL, 0 },
	{ "<message/>", CX_ERR_PROTOCOL, 0 },
};

START_TEST(test_roster_push_table)
{
	cx_stanza *s = stanza(push_cases[_i].xml);
	cx_roster_item *it = (cx_roster_item *)1;
	char *ver = (char *)1;
	cx_status st = cx_roster_parse_push(&it, &ver, s, NULL);

	ck_assert_msg(st == push_cases[_i].st, "%s: %s", push_cases[_i].xml,
		      cx_strerror(st));
	if (st == CX_OK) {
		ck_assert_int_eq(cx_roster_item_get_subscription(it), push_cases[_i].sub);
		ck_assert_str_eq(cx_roster_item_get_jid(it), "a@b");
		ck_assert_str_eq(ver, "v8");
	} else {
		ck_assert_ptr_null(it);
		ck_assert_ptr_null(ver);
	}
	cx_roster_item_free(it);
	cx_free(ver);
	cx_stanza_unref(s);
}
END_TEST

static const struct {
	const char *from; /* NULL: no 'from' */
	int ok;
} sender_cases[] = {
	{ NULL, 1 },
	{ "juliet@example.com", 1 },
	{ "Juliet@Example.COM", 1 },
	{ "juliet@example.com/balcony", 0 },  /* a full JID, even ours */
	{ "romeo@example.net", 0 },
	{ "romeo@example.net/orchard", 0 },
	{ "example.com", 0 },
	{ "evil.example.com", 0 },
	{ "juliet@example.com.evil", 0 },
	{ "@@", 0 },
};

START_TEST(test_roster_push_sender)
{
	char xml[256];
	cx_stanza *s;

	if (sender_cases[_i].from)
		snprintf(xml, sizeof(xml), "<iq type='set' id='x' from='%s'><query "
			 "xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>",
			 sender_cases[_i].from);
	else
		snprintf(xml, sizeof(xml), "<iq type='set' id='x'><query "
			 "xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>");
	s = stanza(xml);
	ck_assert_int_eq(cx_roster_push_sender_ok(s, "juliet@example.com/chamber"),
			 sender_cases[_i].ok);
	ck_assert_int_eq(cx_roster_push_sender_ok(s, "juliet@example.com"),
			 sender_cases[_i].ok);
	ck_assert_int_eq(cx_roster_push_sender_ok(s, NULL), sender_cases[_i].from == NULL);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_apply_sequence)
{
	cx_roster *r = NULL;
	const char *pushes[] = {
		PUSH("<item jid='a@b' name='A'/>"),
		PUSH("<item jid='c@d' name='C' subscription='to'/>"),
		PUSH("<item jid='e@f'/>"),
		PUSH("<item jid='a@b' name='A2' subscription='both'><group>G</group></item>"),
		PUSH("<item jid='c@d' subscription='remove'/>"),
		PUSH("<item jid='x@y' subscription='remove'/>"),
	};

	ck_assert_int_eq(cx_roster_new(&r, NULL), CX_OK);
	for (size_t i = 0; i < sizeof(pushes) / sizeof(pushes[0]); i++) {
		cx_stanza *s = stanza(pushes[i]);
		cx_roster_item *it = NULL;
		char *ver = NULL;

		ck_assert_int_eq(cx_roster_parse_push(&it, &ver, s, NULL), CX_OK);
		ck_assert_int_eq(cx_roster_apply_push(r, it, ver, NULL), CX_OK);
		cx_roster_item_free(it);
		cx_free(ver);
		cx_stanza_unref(s);
	}
	ck_assert_uint_eq(cx_roster_count(r), 2);
	ck_assert_str_eq(cx_roster_item_get_jid(cx_roster_item_at(r, 0)), "a@b");
	ck_assert_str_eq(cx_roster_item_get_jid(cx_roster_item_at(r, 1)), "e@f");
	ck_assert_str_eq(cx_roster_item_get_name(cx_roster_find(r, "a@b")), "A2");
	ck_assert_str_eq(cx_roster_item_group_at(cx_roster_find(r, "a@b"), 0), "G");
	ck_assert_ptr_null(cx_roster_find(r, "c@d"));
	ck_assert_ptr_nonnull(cx_roster_find(r, "e@f"));
	ck_assert_str_eq(cx_roster_get_version(r), "v8");
	ck_assert_int_eq(cx_roster_apply_push(NULL, NULL, NULL, NULL), CX_ERR_INVALID);
	cx_roster_free(r);
}
END_TEST

/* ---- builders -------------------------------------------------------- */

START_TEST(test_roster_build_get)
{
	cx_stanza *s = NULL;
	char *xml = NULL;

	ck_assert_int_eq(cx_roster_build_get(&s, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<query xmlns=\"jabber:iq:roster\"/>"));
	ck_assert_str_eq(cx_stanza_get_type(s), "get");
	cx_free(xml);
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_roster_build_get(&s, "ver14", NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "ver=\"ver14\""));
	cx_free(xml);
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_roster_build_get(&s, "", NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "ver=\"\""));
	cx_free(xml);
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_roster_build_get(NULL, NULL, NULL), CX_ERR_INVALID);
}
END_TEST

START_TEST(test_roster_build_set_roundtrip)
{
	const char *groups[] = { "Friends", "Work & Play" };
	cx_stanza *s = NULL, *back = NULL;
	cx_roster_item *it = NULL;
	char *xml = NULL;

	ck_assert_int_eq(cx_roster_build_set(&s, "Nurse@Example.com/x", "Nurse <3",
					     groups, 2, NULL), CX_OK);
	ck_assert_str_eq(cx_stanza_get_type(s), "set");
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, NULL), CX_OK);
	back = stanza(xml);
	ck_assert_int_eq(cx_roster_parse_push(&it, NULL, back, NULL), CX_OK);
	ck_assert_str_eq(cx_roster_item_get_jid(it), "nurse@example.com");
	ck_assert_str_eq(cx_roster_item_get_name(it), "Nurse <3");
	ck_assert_uint_eq(cx_roster_item_group_count(it), 2);
	ck_assert_str_eq(cx_roster_item_group_at(it, 1), "Work & Play");
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_NONE);
	cx_roster_item_free(it);
	cx_stanza_unref(back);
	cx_stanza_unref(s);
	cx_free(xml);
	ck_assert_int_eq(cx_roster_build_remove(&s, "nurse@example.com", NULL), CX_OK);
	ck_assert_int_eq(cx_roster_parse_push(&it, NULL, s, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_REMOVE);
	cx_roster_item_free(it);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_roster_build_invalid)
{
	const char *dup[] = { "A", "A" };
	const char *empty[] = { "" };
	const char *nul[] = { NULL };
	const char *many[CX_ROSTER_MAX_GROUPS + 1];
	cx_stanza *s = (cx_stanza *)1;

	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = "g";
	ck_assert_int_eq(cx_roster_build_set(&s, NULL, NULL, NULL, 0, NULL), CX_ERR_JID);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@@b", NULL, NULL, 0, NULL), CX_ERR_JID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", NULL, dup, 2, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", NULL, empty, 1, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", NULL, nul, 1, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", NULL, NULL, 1, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", NULL, many,
					     CX_ROSTER_MAX_GROUPS + 1, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_set(&s, "a@b", "\xc3", NULL, 0, NULL),
			 CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_roster_build_set(NULL, "a@b", NULL, NULL, 0, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_roster_build_remove(&s, "", NULL), CX_ERR_JID);
}
END_TEST

/* ---- persistence ----------------------------------------------------- */

START_TEST(test_roster_persist_roundtrip)
{
	cx_stanza *s = stanza(RES(
		"<item jid='a@b' name='A &amp; &lt;B&gt;' subscription='both' approved='true'>"
		"<group>G1</group><group>G2</group></item>"
		"<item jid='c@d' ask='subscribe'/>"));
	cx_roster *r = NULL, *back = NULL, *copy = NULL;
	const cx_roster_item *it;
	char *xml = NULL;

	ck_assert_int_eq(cx_roster_parse_result(&r, s, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_to_string(&xml, r, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_from_string(&back, xml, strlen(xml), NULL), CX_OK);
	ck_assert_str_eq(cx_roster_get_version(back), "v7");
	ck_assert_uint_eq(cx_roster_count(back), 2);
	it = cx_roster_item_at(back, 0);
	ck_assert_str_eq(cx_roster_item_get_name(it), "A & <B>");
	ck_assert_int_eq(cx_roster_item_get_subscription(it), CX_ROSTER_SUB_BOTH);
	ck_assert_int_eq(cx_roster_item_is_approved(it), 1);
	ck_assert_uint_eq(cx_roster_item_group_count(it), 2);
	it = cx_roster_item_at(back, 1);
	ck_assert_int_eq(cx_roster_item_is_pending_out(it), 1);
	ck_assert_int_eq(cx_roster_copy(&copy, back, NULL), CX_OK);
	ck_assert_ptr_nonnull(cx_roster_find(copy, "c@d"));
	cx_roster_free(copy);
	cx_roster_free(back);
	cx_roster_free(r);
	cx_free(xml);
	cx_stanza_unref(s);
	/* an empty roster without version */
	ck_assert_int_eq(cx_roster_new(&r, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_to_string(&xml, r, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_from_string(&back, xml, strlen(xml), NULL), CX_OK);
	ck_assert_ptr_null(cx_roster_get_version(back));
	ck_assert_uint_eq(cx_roster_count(back), 0);
	cx_roster_free(back);
	cx_roster_free(r);
	cx_free(xml);
}
END_TEST

static const struct {
	const char *xml;
	cx_status st;
} cache_cases[] = {
	{ "", CX_ERR_XML_MALFORMED },
	{ "garbage", CX_ERR_XML_MALFORMED },
	{ "<roster xmlns='urn:cxmpp:roster-cache:0'>", CX_ERR_XML_MALFORMED },
	{ "<roster/>", CX_ERR_XML_NAMESPACE },
	{ "<roster xmlns='urn:cxmpp:roster-cache:1'/>", CX_ERR_XML_NAMESPACE },
	{ "<query xmlns='jabber:iq:roster'/>", CX_ERR_XML_NAMESPACE },
	{ "<!DOCTYPE roster [<!ENTITY x 'y'>]><roster xmlns='urn:cxmpp:roster-cache:0'/>",
	  CX_ERR_XML_RESTRICTED },
	{ "<!DOCTYPE roster SYSTEM 'http://example.org/x.dtd'>"
	  "<roster xmlns='urn:cxmpp:roster-cache:0'/>", CX_ERR_XML_RESTRICTED },
	{ "<roster xmlns='urn:cxmpp:roster-cache:0'>&xxe;</roster>", CX_ERR_XML_MALFORMED },
	{ "<roster xmlns='urn:cxmpp:roster-cache:0' ver='1'><item/><item jid='a@b'/></roster>",
	  CX_OK },
};

START_TEST(test_roster_persist_bad)
{
	cx_roster *r = (cx_roster *)1;
	cx_status st = cx_roster_from_string(&r, cache_cases[_i].xml,
					     strlen(cache_cases[_i].xml), NULL);

	ck_assert_msg(st == cache_cases[_i].st, "%s: %s", cache_cases[_i].xml,
		      cx_strerror(st));
	if (st == CX_OK) {
		ck_assert_uint_eq(cx_roster_count(r), 1);
		cx_roster_free(r);
	} else {
		ck_assert_ptr_null(r);
	}
}
END_TEST

START_TEST(test_roster_client_not_enabled)
{
	cx_settings *set = NULL;
	cx_client *c = NULL;
	cx_roster *r = (cx_roster *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_new(&set, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(set, "jid", "a@example.org", NULL), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, set, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_ERR_STATE);
	ck_assert_ptr_null(r);
	ck_assert_int_eq(cx_roster_fetch(c, 1000, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_roster_set_push_handler(c, NULL, NULL, NULL, &err), CX_ERR_STATE);
	ck_assert_ptr_null(cx_roster_fetch_async(c, 1000));
	/* enabled but not connected */
	ck_assert_int_eq(cx_roster_enable(c, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_roster_enable(c, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_roster_fetch(c, 1000, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_OK);
	ck_assert_uint_eq(cx_roster_count(r), 0);
	cx_roster_free(r);
	ck_assert_int_eq(cx_roster_update(c, "b@example.org", NULL, NULL, 0, 1000, &err),
			 CX_ERR_STATE);
	cx_client_free(c);
	cx_settings_unref(set);
}
END_TEST

/* What a then-callback saw. */
struct seen {
	pthread_mutex_t lock;
	pthread_cond_t cv;
	int done;
	cx_status st;
	const void *value;
};

static void
record_then(cx_future *f, void *arg)
{
	struct seen *sn = arg;

	pthread_mutex_lock(&sn->lock);
	sn->st = cx_future_get_error(f, NULL);
	sn->value = cx_future_get_value(f);
	sn->done = 1;
	pthread_cond_broadcast(&sn->cv);
	pthread_mutex_unlock(&sn->lock);
}

/* Attaches record_then to f, waits (bounded) for it, returns its status. */
static cx_status
then_status(cx_future *f, const void **value)
{
	struct seen sn = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			   0, CX_OK, NULL };
	struct timespec dl;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(cx_future_then(f, record_then, &sn, NULL, NULL), CX_OK);
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 5;
	pthread_mutex_lock(&sn.lock);
	while (!sn.done)
		ck_assert_int_eq(pthread_cond_timedwait(&sn.cv, &sn.lock, &dl), 0);
	pthread_mutex_unlock(&sn.lock);
	*value = sn.value;
	return sn.st;
}

START_TEST(test_roster_client_async_not_connected)
{
	const char *groups[] = { "G" };
	cx_settings *set = NULL;
	cx_client *c = NULL;
	cx_roster *r = NULL;
	cx_future *f;
	const void *v = (const void *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_new(&set, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(set, "jid", "a@example.org", NULL), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, set, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_roster_enable(c, NULL, &err), CX_OK);
	/* every twin settles its future, and the then-callback runs */
	f = cx_roster_fetch_async(c, 1000);
	ck_assert_int_eq(then_status(f, &v), CX_ERR_STATE);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(cx_future_wait(f, CX_TIMEOUT_INFINITE, &err), CX_ERR_STATE);
	cx_future_unref(f);
	f = cx_roster_update_async(c, "b@example.org", "B", groups, 1, 1000);
	ck_assert_int_eq(then_status(f, &v), CX_ERR_STATE);
	cx_future_unref(f);
	f = cx_roster_remove_async(c, "b@example.org", 1000);
	ck_assert_int_eq(then_status(f, &v), CX_ERR_STATE);
	cx_future_unref(f);
	/* a request that cannot be built gives no future */
	ck_assert_ptr_null(cx_roster_update_async(c, "not a jid@", NULL, NULL, 0, 1000));
	ck_assert_ptr_null(cx_roster_remove_async(c, NULL, 1000));
	/* the blocking calls take the same path */
	ck_assert_int_eq(cx_roster_fetch(c, 1000, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_roster_remove(c, "b@example.org", 1000, &err), CX_ERR_STATE);
	/* the failed fetches left the cache as it was */
	ck_assert_int_eq(cx_roster_get_cache(&r, c, &err), CX_OK);
	ck_assert_uint_eq(cx_roster_count(r), 0);
	cx_roster_free(r);
	cx_client_free(c);
	cx_settings_unref(set);
}
END_TEST

START_TEST(test_roster_names)
{
	ck_assert_str_eq(cx_roster_subscription_name(CX_ROSTER_SUB_BOTH), "both");
	ck_assert_str_eq(cx_roster_subscription_name(CX_ROSTER_SUB_REMOVE), "remove");
	ck_assert_ptr_null(cx_roster_subscription_name((cx_roster_subscription)9));
}
END_TEST

static Suite *
roster_suite(void)
{
	Suite *s = suite_create("roster");
	TCase *tc;

	tc = tcase_create("result");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_roster_result_table, 0,
			    sizeof(result_cases) / sizeof(result_cases[0]));
	tcase_add_test(tc, test_roster_result_item_fields);
	tcase_add_test(tc, test_roster_result_too_many_groups);
	suite_add_tcase(s, tc);

	tc = tcase_create("limit");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roster_limit_refused);
	tcase_add_test(tc, test_roster_limit_at_limit);
	tcase_add_test(tc, test_roster_limit_stream_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("push");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_roster_push_table, 0,
			    sizeof(push_cases) / sizeof(push_cases[0]));
	tcase_add_loop_test(tc, test_roster_push_sender, 0,
			    sizeof(sender_cases) / sizeof(sender_cases[0]));
	tcase_add_test(tc, test_roster_apply_sequence);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_roster_build_get);
	tcase_add_test(tc, test_roster_build_set_roundtrip);
	tcase_add_test(tc, test_roster_build_invalid);
	tcase_add_test(tc, test_roster_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("persist");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_roster_persist_roundtrip);
	tcase_add_loop_test(tc, test_roster_persist_bad, 0,
			    sizeof(cache_cases) / sizeof(cache_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_roster_client_not_enabled);
	tcase_add_test(tc, test_roster_client_async_not_connected);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(roster_suite)

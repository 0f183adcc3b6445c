/*
 * Unit tests of lib/im/presence.c: parse and build; the client half's
 * wrong-state answers.
 */
#include "config.h"

#include <check.h>
#include <string.h>

#include "cxmpp/presence.h"
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

static const struct {
	const char *xml;
	cx_status st;
	cx_presence_type type;
	cx_presence_show show;
	const char *status;
	int priority;
	int delay;
} parse_cases[] = {
	{ "<presence/>", CX_OK, CX_PRESENCE_AVAILABLE, CX_SHOW_ONLINE, NULL, 0, 0 },
	{ "<presence from='a@b/c'><show>away</show><status>out</status>"
	  "<priority>5</priority></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_AWAY, "out", 5, 0 },
	{ "<presence><show>chat</show></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_CHAT, NULL, 0, 0 },
	{ "<presence><show>xa</show></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_XA, NULL, 0, 0 },
	{ "<presence><show>dnd</show></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_DND, NULL, 0, 0 },
	{ "<presence><priority>-128</priority></presence>", CX_OK,
	  CX_PRESENCE_AVAILABLE, CX_SHOW_ONLINE, NULL, -128, 0 },
	{ "<presence><priority> +127 </priority></presence>", CX_OK,
	  CX_PRESENCE_AVAILABLE, CX_SHOW_ONLINE, NULL, 127, 0 },
	{ "<presence type='unavailable'><status>bye</status></presence>", CX_OK,
	  CX_PRESENCE_UNAVAILABLE, CX_SHOW_ONLINE, "bye", 0, 0 },
	{ "<presence type='subscribe'/>", CX_OK, CX_PRESENCE_SUBSCRIBE, 0, NULL, 0, 0 },
	{ "<presence type='subscribed'/>", CX_OK, CX_PRESENCE_SUBSCRIBED, 0, NULL, 0, 0 },
	{ "<presence type='unsubscribe'/>", CX_OK, CX_PRESENCE_UNSUBSCRIBE, 0, NULL, 0, 0 },
	{ "<presence type='unsubscribed'/>", CX_OK, CX_PRESENCE_UNSUBSCRIBED, 0, NULL, 0, 0 },
	{ "<presence type='probe'/>", CX_OK, CX_PRESENCE_PROBE, 0, NULL, 0, 0 },
	{ "<presence type='error'/>", CX_OK, CX_PRESENCE_ERROR, 0, NULL, 0, 0 },
	/* status: the one without xml:lang wins, else the first */
	{ "<presence><status xml:lang='de'>weg</status><status>away</status>"
	  "<status>second</status></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_ONLINE, "away", 0, 0 },
	{ "<presence><status xml:lang='de'>weg</status><status xml:lang='fr'>"
	  "parti</status></presence>", CX_OK, CX_PRESENCE_AVAILABLE,
	  CX_SHOW_ONLINE, "weg", 0, 0 },
	/* unknown children ignored; a second show/priority ignored */
	{ "<presence><x xmlns='urn:x'><show>bogus</show></x><show>away</show>"
	  "<show>bogus</show><priority>1</priority><priority>x</priority>"
	  "</presence>", CX_OK, CX_PRESENCE_AVAILABLE, CX_SHOW_AWAY, NULL, 1, 0 },
	{ "<presence><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:41:07Z'/>"
	  "</presence>", CX_OK, CX_PRESENCE_AVAILABLE, CX_SHOW_ONLINE, NULL, 0, 1 },
	{ "<presence><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:41:07'/>"
	  "</presence>", CX_OK, CX_PRESENCE_AVAILABLE, CX_SHOW_ONLINE, NULL, 0, 0 },
	/* malformed */
	{ "<presence type='online'/>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence type='available'/>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><show>busy</show></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><show/></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority>128</priority></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority>-129</priority></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority>1.5</priority></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority/></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority>99999999999999999999999</priority></presence>",
	  CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<presence><priority>--1</priority></presence>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
	{ "<message/>", CX_ERR_PROTOCOL, 0, 0, NULL, 0, 0 },
};

START_TEST(test_presence_parse_table)
{
	cx_stanza *s = stanza(parse_cases[_i].xml);
	cx_presence *p = (cx_presence *)1, *c = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_presence_parse(&p, s, &err);

	ck_assert_msg(st == parse_cases[_i].st, "%s: %s", parse_cases[_i].xml,
		      cx_strerror(st));
	if (st != CX_OK) {
		ck_assert_ptr_null(p);
		ck_assert_int_eq(err.status, st);
		cx_stanza_unref(s);
		return;
	}
	ck_assert_int_eq(cx_presence_get_type(p), parse_cases[_i].type);
	ck_assert_int_eq(cx_presence_get_show(p), parse_cases[_i].show);
	ck_assert_int_eq(cx_presence_get_priority(p), parse_cases[_i].priority);
	if (parse_cases[_i].status)
		ck_assert_str_eq(cx_presence_get_status(p), parse_cases[_i].status);
	else
		ck_assert_ptr_null(cx_presence_get_status(p));
	ck_assert_int_eq(cx_presence_get_delay(p, NULL, NULL) == CX_OK,
			 parse_cases[_i].delay);
	ck_assert_int_eq(cx_presence_copy(&c, p, NULL), CX_OK);
	ck_assert_int_eq(cx_presence_get_priority(c), parse_cases[_i].priority);
	cx_presence_free(c);
	cx_presence_free(p);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_presence_build_roundtrip)
{
	cx_stanza *s = NULL;
	cx_presence *p = NULL;

	ck_assert_int_eq(cx_presence_build(&s, "room@muc/nick", CX_SHOW_DND,
					   "busy", -5, NULL), CX_OK);
	ck_assert_str_eq(cx_stanza_get_to(s), "room@muc/nick");
	ck_assert_ptr_null(cx_stanza_get_type(s));
	ck_assert_int_eq(cx_presence_parse(&p, s, NULL), CX_OK);
	ck_assert_int_eq(cx_presence_get_show(p), CX_SHOW_DND);
	ck_assert_str_eq(cx_presence_get_status(p), "busy");
	ck_assert_int_eq(cx_presence_get_priority(p), -5);
	cx_presence_free(p);
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_presence_build(&s, NULL, CX_SHOW_ONLINE, NULL,
					   CX_PRESENCE_NO_PRIORITY, NULL), CX_OK);
	ck_assert_ptr_null(cx_stanza_find_child(s, NULL, NULL));
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_presence_build_invalid)
{
	cx_stanza *s = (cx_stanza *)1;

	ck_assert_int_eq(cx_presence_build(&s, NULL, (cx_presence_show)9, NULL, 0, NULL),
			 CX_ERR_INVALID);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cx_presence_build(&s, NULL, CX_SHOW_AWAY, NULL, 128, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_presence_build(&s, NULL, CX_SHOW_AWAY, NULL, -129, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_presence_build(&s, NULL, CX_SHOW_AWAY, "\xff", 0, NULL),
			 CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cx_presence_build(NULL, NULL, CX_SHOW_AWAY, NULL, 0, NULL),
			 CX_ERR_INVALID);
}
END_TEST

START_TEST(test_presence_names)
{
	ck_assert_str_eq(cx_presence_type_name(CX_PRESENCE_UNSUBSCRIBED), "unsubscribed");
	ck_assert_str_eq(cx_presence_type_name(CX_PRESENCE_AVAILABLE), "available");
	ck_assert_ptr_null(cx_presence_type_name((cx_presence_type)99));
	ck_assert_str_eq(cx_presence_show_name(CX_SHOW_XA), "xa");
	ck_assert_ptr_null(cx_presence_show_name((cx_presence_show)-1));
}
END_TEST

START_TEST(test_presence_client_state)
{
	cx_settings *set = NULL;
	cx_client *c = NULL;
	cx_presence_list *l = (cx_presence_list *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_new(&set, NULL), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(set, "jid", "a@example.org", NULL), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, set, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_presence_get_cached(&l, c, NULL, &err), CX_ERR_STATE);
	ck_assert_ptr_null(l);
	ck_assert_int_eq(cx_presence_set_subscription_handler(c, NULL, NULL, NULL, &err),
			 CX_ERR_STATE);
	ck_assert_int_eq(cx_presence_enable(c, &err), CX_OK);
	ck_assert_int_eq(cx_presence_enable(c, &err), CX_OK);
	ck_assert_int_eq(cx_presence_get_cached(&l, c, NULL, &err), CX_OK);
	ck_assert_uint_eq(cx_presence_list_count(l), 0);
	ck_assert_ptr_null(cx_presence_list_at(l, 0));
	cx_presence_list_free(l);
	ck_assert_int_eq(cx_presence_get_cached(&l, c, "@@", &err), CX_ERR_JID);
	ck_assert_int_eq(cx_presence_subscribe(c, "b@example.org", &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_presence_subscribe(c, "b@@example.org", &err), CX_ERR_JID);
	ck_assert_int_eq(cx_presence_send(c, NULL, CX_SHOW_AWAY, NULL, 0, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_presence_unavailable(c, NULL, NULL, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_presence_disconnect(c, NULL, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_presence_approve(NULL, "b@example.org", &err), CX_ERR_INVALID);
	cx_client_free(c);
	cx_settings_unref(set);
}
END_TEST

static Suite *
presence_suite(void)
{
	Suite *s = suite_create("presence");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_presence_parse_table, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_presence_build_roundtrip);
	tcase_add_test(tc, test_presence_build_invalid);
	tcase_add_test(tc, test_presence_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("client");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_presence_client_state);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(presence_suite)

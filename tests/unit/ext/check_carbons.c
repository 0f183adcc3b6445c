/* Unit tests for XEP-0280 message carbons (cxmpp/carbons.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/carbons.h"
#include "tests/unit/testutil.h"

#define OWN "romeo@montague.example/home"

struct case_ {
	const char *xml;
	cx_status want;
	cx_carbon_direction dir;
	const char *body;  /* of the inner message */
	const char *word;  /* in the error message */
};

#define RECV_INNER "<forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client' from='juliet@capulet.example/balcony' to='romeo@montague.example/garden' type='chat'><body>What man art thou?</body></message></forwarded>"

static const struct case_ cases[] = {
	/* XEP-0280 example 7 (received) */
	{ "<message xmlns='jabber:client' from='romeo@montague.example' to='romeo@montague.example/home' type='chat'>"
	  "<received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></message>",
	  CX_OK, CX_CARBON_RECEIVED, "What man art thou?", NULL },
	/* XEP-0280 example 9 (sent) */
	{ "<message xmlns='jabber:client' from='romeo@montague.example' to='romeo@montague.example/garden' type='chat'>"
	  "<sent xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>"
	  "<message xmlns='jabber:client' to='juliet@capulet.example/balcony' from='romeo@montague.example/home' type='chat'>"
	  "<body>Neither, fair saint, if either thee dislike.</body></message></forwarded></sent></message>",
	  CX_OK, CX_CARBON_SENT, "Neither, fair saint, if either thee dislike.", NULL },
	/* case differences in the bare JID are fine */
	{ "<message from='Romeo@Montague.example'><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></message>",
	  CX_OK, CX_CARBON_RECEIVED, "What man art thou?", NULL },
	/* forged: from another JID, from our own full JID, or without from */
	{ "<message from='mallory@evil.example'><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "forged" },
	{ "<message from='romeo@montague.example/other'><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "forged" },
	{ "<message from='montague.example'><sent xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</sent></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "forged" },
	{ "<message><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "without 'from'" },
	/* malformed */
	{ "<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'/></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "forwarded" },
	{ "<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></received></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "0 forwarded" },
	{ "<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:client'/><message xmlns='jabber:client'/></forwarded></received></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "2 forwarded" },
	{ "<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received><sent xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</sent></message>",
	  CX_ERR_PROTOCOL, 0, NULL, "more than one" },
	/* not carbons */
	{ "<message from='juliet@capulet.example/balcony'><body>hi</body></message>", CX_ERR_NOT_FOUND, 0, NULL, "not a carbon" },
	{ "<message from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:1'>" RECV_INNER "</received></message>", CX_ERR_NOT_FOUND, 0, NULL, "not a carbon" },
	{ "<presence from='romeo@montague.example'><received xmlns='urn:xmpp:carbons:2'>" RECV_INNER "</received></presence>", CX_ERR_NOT_FOUND, 0, NULL, "not a message" },
};

START_TEST(test_carbons_unwrap_table)
{
	const struct case_ *c = &cases[_i];
	cx_stanza *s = NULL, *inner = (cx_stanza *)1;
	cx_carbon_direction dir = 0;
	cx_error err = CX_ERROR_INIT;
	char *body = NULL;
	cx_status st;

	ck_assert_int_eq(cx_stanza_from_string(&s, c->xml, strlen(c->xml), &err), CX_OK);
	st = cx_carbons_unwrap(&inner, &dir, s, OWN, &err);
	ck_assert_msg(st == c->want, "case %d: %d %s", _i, st, err.message);
	if (st == CX_OK) {
		ck_assert_int_eq(dir, c->dir);
		ck_assert_int_eq(cx_stanza_get_body(&body, inner, NULL, &err), CX_OK);
		ck_assert_str_eq(body, c->body);
		cx_free(body);
		cx_stanza_unref(inner);
	} else {
		ck_assert_ptr_null(inner);
		ck_assert_msg(strstr(err.message, c->word) != NULL, "case %d: %s", _i, err.message);
	}
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_carbons_build)
{
	cx_stanza *iq = NULL, *m = NULL;
	char *xml = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_carbons_build_enable(&iq, 1, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "type=\"set\""));
	ck_assert_ptr_nonnull(strstr(xml, "<enable xmlns=\"urn:xmpp:carbons:2\"/>"));
	cx_free(xml);
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_carbons_build_enable(&iq, 0, &err), CX_OK);
	ck_assert_ptr_nonnull(cx_stanza_find_child(iq, CX_NS_CARBONS, "disable"));
	cx_stanza_unref(iq);

	ck_assert_int_eq(cx_stanza_new_message(&m, "juliet@capulet.example", "chat", "secret", &err), CX_OK);
	ck_assert_int_eq(cx_carbons_add_private(m, &err), CX_OK);
	ck_assert_int_eq(cx_carbons_add_private(m, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, m, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<private xmlns=\"urn:xmpp:carbons:2\"/>"));
	ck_assert_ptr_nonnull(strstr(xml, "<no-copy xmlns=\"urn:xmpp:hints\"/>"));
	/* added once only */
	ck_assert_ptr_null(strstr(strstr(xml, "<private") + 1, "<private"));
	ck_assert_ptr_null(strstr(strstr(xml, "<no-copy") + 1, "<no-copy"));
	cx_free(xml);
	cx_stanza_unref(m);
	ck_assert_int_eq(cx_stanza_new_presence(&m, NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_carbons_add_private(m, &err), CX_ERR_INVALID);
	cx_stanza_unref(m);
}
END_TEST

static Suite *
carbons_suite(void)
{
	Suite *s = suite_create("carbons");
	TCase *tc = tcase_create("unwrap");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_carbons_unwrap_table, 0, sizeof(cases) / sizeof(cases[0]));
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_carbons_build);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(carbons_suite)

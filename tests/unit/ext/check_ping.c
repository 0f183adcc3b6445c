/* Unit tests for XEP-0199 ping (cxmpp/ping.h): the request, and the calls'
 * refusals on a client that is not connected. */
#include "config.h"

#include <string.h>

#include "cxmpp/ping.h"
#include "cxmpp/settings.h"
#include "tests/unit/testutil.h"

START_TEST(test_ping_build_request)
{
	cx_stanza *iq = NULL;
	char *xml = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_ping_build(&iq, "capulet.lit", &err), CX_OK);
	ck_assert_str_eq(cx_stanza_get_type(iq), "get");
	ck_assert_str_eq(cx_stanza_get_to(iq), "capulet.lit");
	ck_assert_int_eq(cx_stanza_to_string(&xml, iq, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<ping xmlns=\"urn:xmpp:ping\"/>"));
	cx_free(xml);
	cx_stanza_unref(iq);
	ck_assert_int_eq(cx_ping_build(NULL, NULL, &err), CX_ERR_INVALID);
}
END_TEST

START_TEST(test_ping_not_connected)
{
	cx_settings *s = NULL;
	cx_client *c = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_settings_new(&s, &err), CX_OK);
	ck_assert_int_eq(cx_settings_set_string(s, CX_SETTING_JID, "a@example.org", &err), CX_OK);
	ck_assert_int_eq(cx_settings_set_int(s, CX_SETTING_PING_INTERVAL_MS, 1000, &err), CX_OK);
	ck_assert_int_eq(cx_client_new(&c, s, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_ping(c, NULL, 1000, &err), CX_ERR_STATE);
	ck_assert_int_eq(cx_ping(NULL, NULL, 1000, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_ping_enable_responder(c, &err), CX_OK);
	ck_assert_int_eq(cx_ping_enable_responder(c, &err), CX_OK);
	ck_assert_int_eq(cx_ping_keepalive_disable(c, &err), CX_ERR_NOT_FOUND);
	/* armed at the next connect: nothing is sent while disconnected */
	ck_assert_int_eq(cx_ping_keepalive_enable(c, &err), CX_OK);
	ck_assert_int_eq(cx_ping_keepalive_disable(c, &err), CX_OK);
	ck_assert_int_eq(cx_ping_keepalive_enable(c, &err), CX_OK);
	cx_client_free(c);
	cx_settings_unref(s);
}
END_TEST

static Suite *
ping_suite(void)
{
	Suite *s = suite_create("ping");
	TCase *tc = tcase_create("build");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ping_build_request);
	tcase_add_test(tc, test_ping_not_connected);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(ping_suite)

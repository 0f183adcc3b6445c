/* Unit tests of XEP-0059 result set management (lib/ext/rsm.c). */
#include "config.h"

#include <check.h>
#include <string.h>

#include "cxmpp/cxmpp.h"
#include "cxmpp/rsm.h"
#include "tests/unit/testutil.h"

static cx_stanza *
parse(const char *xml)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) == CX_OK,
		      "%s: %s", xml, err.message);
	return s;
}

START_TEST(test_rsm_build_request)
{
	cx_stanza *s = NULL;
	cx_rsm_request req = CX_RSM_REQUEST_INIT;
	xmlNodePtr set = NULL;
	char *str = NULL;

	ck_assert_int_eq(cx_stanza_new_iq(&s, "get", "a.example", "urn:x", "q", NULL), CX_OK);
	req.max = 10;
	req.after = "abc";
	ck_assert_int_eq(cx_rsm_add_request(&set, cx_stanza_payload(s), &req, NULL), CX_OK);
	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(cx_stanza_to_string(&str, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(str, "<set xmlns=\"http://jabber.org/protocol/rsm\"><max>10</max><after>abc</after></set>"));
	cx_free(str);
	/* before="" asks for the last page */
	req.after = NULL;
	req.before = "";
	req.max = -1;
	ck_assert_int_eq(cx_rsm_add_request(NULL, cx_stanza_payload(s), &req, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&str, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(str, "<before/>"));
	cx_free(str);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_rsm_build_invalid)
{
	cx_stanza *s = NULL;
	cx_rsm_request req = CX_RSM_REQUEST_INIT;
	cx_error err = CX_ERROR_INIT;
	static char big[CX_RSM_MAX_UID + 2];

	ck_assert_int_eq(cx_stanza_new_iq(&s, "get", NULL, "urn:x", "q", NULL), CX_OK);
	req.after = "a";
	req.before = "b";
	ck_assert_int_eq(cx_rsm_add_request(NULL, cx_stanza_payload(s), &req, &err), CX_ERR_INVALID);
	memset(big, 'a', sizeof(big) - 1);
	req.before = NULL;
	req.after = big;
	ck_assert_int_eq(cx_rsm_add_request(NULL, cx_stanza_payload(s), &req, &err), CX_ERR_INVALID);
	req.after = "\x01";
	ck_assert_int_eq(cx_rsm_add_request(NULL, cx_stanza_payload(s), &req, &err), CX_ERR_XML_ENCODING);
	req.version = 99;
	ck_assert_int_eq(cx_rsm_add_request(NULL, cx_stanza_payload(s), &req, &err), CX_ERR_INVALID);
	/* nothing half-built was left behind */
	ck_assert_ptr_null(cx_stanza_payload(s)->children);
	cx_stanza_unref(s);
}
END_TEST

static const struct {
	const char *set;
	cx_status want;
	const char *first, *last;
	long long count, index;
} parse_cases[] = {
	{ "", CX_OK, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><first index='0'>a</first><last>b</last><count>800</count></set>",
	  CX_OK, "a", "b", 800, 0 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><count>2147483648</count></set>",
	  CX_OK, NULL, NULL, 2147483648LL, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><count>9007199254740992</count></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><count>-1</count></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><count>1e9</count></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><count/></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><first>a</first></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'><first index='x'>a</first><last>b</last></set>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
	{ "<set xmlns='http://jabber.org/protocol/rsm'/><set xmlns='http://jabber.org/protocol/rsm'/>",
	  CX_ERR_PROTOCOL, NULL, NULL, -1, -1 },
};

START_TEST(test_rsm_parse_table)
{
	char xml[1024];
	cx_stanza *s;
	cx_rsm_result r = CX_RSM_RESULT_INIT;
	cx_error err = CX_ERROR_INIT;
	cx_status st;

	snprintf(xml, sizeof(xml), "<iq type='result' id='1'><q xmlns='urn:x'>%s</q></iq>",
		 parse_cases[_i].set);
	s = parse(xml);
	st = cx_rsm_parse(&r, cx_stanza_payload(s), &err);
	ck_assert_msg(st == parse_cases[_i].want, "case %d: %s (%s)", _i,
		      cx_strerror(st), err.message);
	if (st == CX_OK) {
		if (parse_cases[_i].first)
			ck_assert_str_eq(r.first, parse_cases[_i].first);
		else
			ck_assert_ptr_null(r.first);
		if (parse_cases[_i].last)
			ck_assert_str_eq(r.last, parse_cases[_i].last);
		ck_assert_int_eq(r.count, parse_cases[_i].count);
		ck_assert_int_eq(r.first_index, parse_cases[_i].index);
		ck_assert_int_eq(r.present, parse_cases[_i].set[0] != '\0');
	} else {
		ck_assert_ptr_null(r.first);
		ck_assert_ptr_null(r.last);
	}
	cx_rsm_result_clear(&r);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_rsm_parse_long_uid)
{
	static char xml[8192];
	static char uid[CX_RSM_MAX_UID + 10];
	cx_stanza *s;
	cx_rsm_result r = CX_RSM_RESULT_INIT;

	memset(uid, 'u', sizeof(uid) - 1);
	snprintf(xml, sizeof(xml),
		 "<iq type='result' id='1'><q xmlns='urn:x'><set xmlns='http://jabber.org/protocol/rsm'>"
		 "<first>%s</first><last>b</last></set></q></iq>", uid);
	s = parse(xml);
	ck_assert_int_eq(cx_rsm_parse(&r, cx_stanza_payload(s), NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(s);
}
END_TEST

static Suite *
rsm_suite(void)
{
	Suite *s = suite_create("rsm");
	TCase *tc;

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_rsm_build_request);
	tcase_add_test(tc, test_rsm_build_invalid);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_rsm_parse_table, 0,
			    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_rsm_parse_long_uid);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(rsm_suite)

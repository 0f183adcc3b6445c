/* Unit tests for XEP-0092 software version (cxmpp/version.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/version.h"
#include "tests/unit/testutil.h"

struct case_ {
	const char *query;
	cx_status want;
	const char *name, *version, *os;
};

#define Q "<query xmlns='jabber:iq:version'>"
static const struct case_ cases[] = {
	/* XEP-0092 example 2 */
	{ Q "<name>Exodus</name><version>0.7.0.4</version><os>Windows-XP 5.01.2600</os></query>",
	  CX_OK, "Exodus", "0.7.0.4", "Windows-XP 5.01.2600" },
	{ Q "<name>cxmpp</name><version>1</version></query>", CX_OK, "cxmpp", "1", NULL },
	{ Q "<name>x</name><version>1</version><extra/><os xmlns='urn:other'>no</os></query>", CX_OK, "x", "1", NULL },
	{ Q "<version>1</version></query>", CX_ERR_PROTOCOL, NULL, NULL, NULL },
	{ Q "<name>x</name></query>", CX_ERR_PROTOCOL, NULL, NULL, NULL },
	{ Q "<name>x</name><name>y</name><version>1</version></query>", CX_ERR_PROTOCOL, NULL, NULL, NULL },
	{ "<query xmlns='jabber:iq:versio'><name>x</name><version>1</version></query>", CX_ERR_INVALID, NULL, NULL, NULL },
	{ "<ping xmlns='jabber:iq:version'/>", CX_ERR_INVALID, NULL, NULL, NULL },
};

START_TEST(test_version_parse_table)
{
	const struct case_ *c = &cases[_i];
	char xml[1024];
	cx_stanza *s = NULL;
	cx_version_info *v = (cx_version_info *)1;
	cx_error err = CX_ERROR_INIT;

	snprintf(xml, sizeof(xml), "<iq type='result' id='v'>%s</iq>", c->query);
	ck_assert_int_eq(cx_stanza_from_string(&s, xml, strlen(xml), &err), CX_OK);
	ck_assert_msg(cx_version_parse(&v, cx_stanza_payload(s), &err) == c->want,
		      "case %d: %s", _i, err.message);
	if (c->want == CX_OK) {
		ck_assert_str_eq(v->name, c->name);
		ck_assert_str_eq(v->version, c->version);
		ck_assert_pstr_eq(v->os, c->os);
	} else {
		ck_assert_ptr_null(v);
	}
	cx_version_info_free(v == (cx_version_info *)1 ? NULL : v);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_version_parse_too_long)
{
	size_t n = CX_VERSION_MAX_FIELD + 1;
	char *xml = malloc(n + 200), *p;
	cx_stanza *s = NULL;
	cx_version_info *v = NULL;
	cx_error err = CX_ERROR_INIT;

	p = xml + sprintf(xml, "<iq type='result' id='v'>" Q "<name>");
	memset(p, 'a', n);
	strcpy(p + n, "</name><version>1</version></query></iq>");
	ck_assert_int_eq(cx_stanza_from_string(&s, xml, strlen(xml), &err), CX_OK);
	ck_assert_int_eq(cx_version_parse(&v, cx_stanza_payload(s), &err), CX_ERR_PROTOCOL);
	ck_assert_ptr_nonnull(strstr(err.message, "longer"));
	cx_stanza_unref(s);
	free(xml);
}
END_TEST

START_TEST(test_version_build)
{
	cx_stanza *s = NULL;
	cx_version_info *v = NULL;
	char *xml = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_new_iq(&s, "result", "a@b/c", NULL, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_version_build(cx_stanza_node(s), "cx <mpp>", "1.0", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, &err), CX_OK);
	ck_assert_ptr_nonnull(strstr(xml, "<query xmlns=\"jabber:iq:version\"><name>cx &lt;mpp&gt;</name><version>1.0</version></query>"));
	ck_assert_ptr_null(strstr(xml, "<os>"));
	ck_assert_int_eq(cx_version_parse(&v, cx_stanza_payload(s), &err), CX_OK);
	ck_assert_str_eq(v->name, "cx <mpp>");
	ck_assert_ptr_null(v->os);
	cx_version_info_free(v);
	cx_free(xml);
	ck_assert_int_eq(cx_version_build(cx_stanza_node(s), NULL, "1", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_version_build(cx_stanza_node(s), "a", "1", "\x01", &err), CX_ERR_XML_ENCODING);
	cx_stanza_unref(s);
}
END_TEST

static Suite *
version_suite(void)
{
	Suite *s = suite_create("version");
	TCase *tc = tcase_create("parse");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_version_parse_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_version_parse_too_long);
	suite_add_tcase(s, tc);
	tc = tcase_create("build");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_version_build);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(version_suite)

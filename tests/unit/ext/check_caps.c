/* Unit tests for XEP-0115 entity capabilities (cxmpp/caps.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/caps.h"
#include "cxmpp/stanza.h"
#include "tests/unit/testutil.h"

static cx_disco_info *
info_of(const char *iq)
{
	cx_stanza *s = NULL;
	cx_disco_info *info = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_from_string(&s, iq, strlen(iq), &err), CX_OK);
	ck_assert_msg(cx_disco_info_parse(&info, cx_stanza_payload(s), &err) == CX_OK,
		      "%s", err.message);
	cx_stanza_unref(s);
	return info;
}

#define Q "<iq type='result' id='x'><query xmlns='http://jabber.org/protocol/disco#info'>"
#define E "</query></iq>"

/* XEP-0115 section 5.2, the simple example (features in another order
 * than sorted, to prove the sorting). */
static const char simple[] = Q
	"<identity category='client' name='Exodus 0.9.1' type='pc'/>"
	"<feature var='http://jabber.org/protocol/muc'/>"
	"<feature var='http://jabber.org/protocol/disco#info'/>"
	"<feature var='http://jabber.org/protocol/caps'/>"
	"<feature var='http://jabber.org/protocol/disco#items'/>" E;

/* XEP-0115 section 5.3, the complex example with an extended form. */
static const char complex_ex[] = Q
	"<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
	"<identity xml:lang='el' category='client' name='\xce\xa8 0.11' type='pc'/>"
	"<feature var='http://jabber.org/protocol/caps'/>"
	"<feature var='http://jabber.org/protocol/disco#info'/>"
	"<feature var='http://jabber.org/protocol/disco#items'/>"
	"<feature var='http://jabber.org/protocol/muc'/>"
	"<x xmlns='jabber:x:data' type='result'>"
	"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
	"<field var='ip_version' type='text-multi'><value>ipv4</value><value>ipv6</value></field>"
	"<field var='os'><value>Mac</value></field>"
	"<field var='os_version'><value>10.5.1</value></field>"
	"<field var='software'><value>Psi</value></field>"
	"<field var='software_version'><value>0.11</value></field>"
	"</x>" E;

struct ver_case {
	const char *iq;
	cx_status want;
	const char *ver;
};

static const struct ver_case ver_cases[] = {
	{ simple, CX_OK, "QgayPKawpkPSDYmwT/WM94uAlu0=" },
	{ complex_ex, CX_OK, "q07IKJEyjvHSyhy//CH0CxmKi8w=" },
	/* a form whose FORM_TYPE is not hidden is ignored (section 5.4) */
	{ Q "<identity category='client' name='Exodus 0.9.1' type='pc'/>"
	  "<feature var='http://jabber.org/protocol/muc'/>"
	  "<feature var='http://jabber.org/protocol/disco#info'/>"
	  "<feature var='http://jabber.org/protocol/caps'/>"
	  "<feature var='http://jabber.org/protocol/disco#items'/>"
	  "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:x</value></field>"
	  "<field var='a'><value>b</value></field></x>" E,
	  CX_OK, "QgayPKawpkPSDYmwT/WM94uAlu0=" },
	{ Q "<identity category='client' type='pc'/><identity category='client' type='pc'/>" E,
	  CX_ERR_PROTOCOL, NULL },
	{ Q "<identity category='client' type='pc'/><feature var='a'/><feature var='a'/>" E,
	  CX_ERR_PROTOCOL, NULL },
	{ Q "<identity category='client' type='pc'/>"
	  "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>u</value></field></x>"
	  "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>u</value></field></x>" E,
	  CX_ERR_PROTOCOL, NULL },
};

START_TEST(test_caps_ver_table)
{
	const struct ver_case *c = &ver_cases[_i];
	cx_disco_info *info = info_of(c->iq);
	char *ver = (char *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_caps_compute_ver(&ver, info, &err);

	ck_assert_msg(st == c->want, "case %d: %d %s", _i, st, err.message);
	if (st == CX_OK)
		ck_assert_str_eq(ver, c->ver);
	else
		ck_assert_ptr_null(ver);
	cx_free(ver);
	cx_disco_info_free(info);
}
END_TEST

/* A FORM_TYPE with two values (section 5.4) is refused already when the
 * disco#info is parsed, as a hidden field with several values. */
START_TEST(test_caps_ver_form_type_twice)
{
	const char *iq = Q "<identity category='client' type='pc'/>"
		"<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'>"
		"<value>u</value><value>v</value></field></x>" E;
	cx_stanza *s = NULL;
	cx_disco_info *info = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_from_string(&s, iq, strlen(iq), &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_parse(&info, cx_stanza_payload(s), &err), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(info);
	cx_stanza_unref(s);
}
END_TEST

/* The info as we would build it ourselves hashes the same. */
START_TEST(test_caps_ver_built_info)
{
	cx_disco_info *info = NULL;
	cx_form *f = NULL;
	const char *ipv[] = { "ipv6", "ipv4" };
	char *ver = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_disco_info_new(&info, NULL, &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", "pc", "Psi 0.11", "en", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_identity(info, "client", "pc", "\xce\xa8 0.11", "el", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "http://jabber.org/protocol/muc", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "http://jabber.org/protocol/disco#items", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "http://jabber.org/protocol/disco#info", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_feature(info, "http://jabber.org/protocol/caps", &err), CX_OK);
	ck_assert_int_eq(cx_form_new(&f, CX_FORM_RESULT, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_form_type(f, "urn:xmpp:dataforms:softwareinfo", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "software_version", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "software_version", "0.11", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "software", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "software", "Psi", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_MULTI, "ip_version", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_values(f, "ip_version", ipv, 2, &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "os_version", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "os_version", "10.5.1", &err), CX_OK);
	ck_assert_int_eq(cx_form_add_field(NULL, f, CX_FIELD_TEXT_SINGLE, "os", NULL, &err), CX_OK);
	ck_assert_int_eq(cx_form_set_value(f, "os", "Mac", &err), CX_OK);
	ck_assert_int_eq(cx_disco_info_add_form(info, f, &err), CX_OK);
	ck_assert_int_eq(cx_caps_compute_ver(&ver, info, &err), CX_OK);
	ck_assert_str_eq(ver, "q07IKJEyjvHSyhy//CH0CxmKi8w=");
	cx_free(ver);
	cx_form_free(f);
	cx_disco_info_free(info);
	ck_assert_int_eq(cx_caps_compute_ver(NULL, NULL, &err), CX_ERR_INVALID);
}
END_TEST

struct parse_case {
	const char *xml;
	cx_status want;
	const char *ver;
	const char *hash;
};

static const struct parse_case parse_cases[] = {
	{ "<presence><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://code.google.com/p/exodus' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/></presence>",
	  CX_OK, "QgayPKawpkPSDYmwT/WM94uAlu0=", "sha-1" },
	{ "<presence><c xmlns='http://jabber.org/protocol/caps' node='http://exodus.jabberstudio.org/caps' ver='0.9'/></presence>",
	  CX_OK, "0.9", NULL },
	{ "<presence/>", CX_ERR_NOT_FOUND, NULL, NULL },
	{ "<presence><c xmlns='urn:other' node='n' ver='v'/></presence>", CX_ERR_NOT_FOUND, NULL, NULL },
	{ "<presence><c xmlns='http://jabber.org/protocol/caps' ver='v'/></presence>", CX_ERR_PROTOCOL, NULL, NULL },
	{ "<presence><c xmlns='http://jabber.org/protocol/caps' node='n'/></presence>", CX_ERR_PROTOCOL, NULL, NULL },
	{ "<presence><c xmlns='http://jabber.org/protocol/caps' node='n' ver=''/></presence>", CX_ERR_PROTOCOL, NULL, NULL },
};

START_TEST(test_caps_parse_presence)
{
	const struct parse_case *c = &parse_cases[_i];
	cx_stanza *s = NULL;
	const char *node, *ver, *hash;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_stanza_from_string(&s, c->xml, strlen(c->xml), &err), CX_OK);
	ck_assert_int_eq(cx_caps_parse(&node, &ver, &hash, s, &err), c->want);
	if (c->want == CX_OK) {
		ck_assert_str_eq(ver, c->ver);
		ck_assert_pstr_eq(hash, c->hash);
		ck_assert_ptr_nonnull(node);
	} else {
		ck_assert_ptr_null(ver);
	}
	cx_stanza_unref(s);
}
END_TEST

static Suite *
caps_suite(void)
{
	Suite *s = suite_create("caps");
	TCase *tc = tcase_create("ver");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_caps_ver_table, 0,
			    sizeof(ver_cases) / sizeof(ver_cases[0]));
	tcase_add_test(tc, test_caps_ver_built_info);
	tcase_add_test(tc, test_caps_ver_form_type_twice);
	suite_add_tcase(s, tc);
	tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_caps_parse_presence, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(caps_suite)

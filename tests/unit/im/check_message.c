/*
 * Unit tests of lib/im/message.c: XEP-0082 stamps, message parse and build.
 */
#include "config.h"

#include <check.h>
#include <stdint.h>
#include <string.h>

#include "cxmpp/message.h"
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

/* ---- stamps ---------------------------------------------------------- */

static const struct {
	const char *stamp;
	int64_t sec;
	uint32_t usec;
} good_stamps[] = {
	{ "1970-01-01T00:00:00Z", 0, 0 },
	{ "2002-09-10T23:08:25Z", 1031699305, 0 },
	{ "2002-09-10T23:08:25.123Z", 1031699305, 123000 },
	{ "2002-09-10T23:08:25.1234567891234Z", 1031699305, 123456 },
	{ "2002-09-10T23:08:25.0Z", 1031699305, 0 },
	{ "2002-09-10T16:08:25-07:00", 1031699305, 0 },
	{ "2002-09-11T01:08:25+02:00", 1031699305, 0 },
	{ "2002-09-11T13:08:25+14:00", 1031699305, 0 },
	{ "2002-09-10T09:08:25-14:00", 1031699305, 0 },
	{ "2002-09-10T23:08:25+00:00", 1031699305, 0 },
	{ "2002-09-10T23:08:25-00:00", 1031699305, 0 },
	{ "0001-01-01T00:00:00Z", INT64_C(-62135596800), 0 },
	{ "9999-12-31T23:59:59Z", INT64_C(253402300799), 0 },
	{ "9999-12-31T23:59:59.999999Z", INT64_C(253402300799), 999999 },
	{ "2000-02-29T12:00:00Z", 951825600, 0 },
	{ "1969-12-31T23:59:59Z", -1, 0 },
	/* leap seconds: 23:59:60 UTC at the end of June or December */
	{ "2016-12-31T23:59:60Z", 1483228799, 999999 },
	{ "2015-06-30T23:59:60Z", 1435708799, 999999 },
	{ "2017-01-01T00:59:60+01:00", 1483228799, 999999 },
};

static const char *const bad_stamps[] = {
	"", "garbage", "2002-09-10", "2002-09-10T23:08:25",
	"2002-09-10 23:08:25Z", "2002-09-10t23:08:25Z", "2002-09-10T23:08:25z",
	"0000-01-01T00:00:00Z",             /* year 0 */
	"10000-01-01T00:00:00Z",            /* five-digit year */
	"-0001-01-01T00:00:00Z",
	"9223372036854775808-01-01T00:00:00Z", /* 2^63 */
	"2002-09-10T23:08:9223372036854775808Z",
	"2002-13-10T23:08:25Z", "2002-00-10T23:08:25Z", "2002-02-30T23:08:25Z",
	"2001-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2002-09-00T23:08:25Z",
	"2002-09-31T23:08:25Z", "2002-09-10T24:00:00Z", "2002-09-10T23:60:25Z",
	"2002-09-10T23:08:61Z",
	"2002-09-10T23:08:60Z",             /* 60 outside a leap second */
	"2016-12-31T23:58:60Z",
	"2016-11-30T23:59:60Z",             /* not June or December */
	"2016-12-31T23:59:60+01:00",        /* 22:59:60 UTC */
	"2002-09-10T23:08:25.Z", "2002-09-10T23:08:25.5",
	"2002-09-10T23:08:25+15:00", "2002-09-10T23:08:25+14:01",
	"2002-09-10T23:08:25+02:60", "2002-09-10T23:08:25+0200",
	"2002-09-10T23:08:25+2:00", "2002-09-10T23:08:25Z ",
	" 2002-09-10T23:08:25Z", "2002-09-10T23:08:25ZZ",
	"2002-9-10T23:08:25Z", "2002-09-10T23:8:25Z", "２002-09-10T23:08:25Z",
	"0001-01-01T00:00:00+01:00",        /* before year 1 in UTC */
	"9999-12-31T23:59:59-00:01",        /* after year 9999 in UTC */
	"2002-09-10T23:08:25.0000000000000000000000000000000000000000000000001Z",
};

START_TEST(test_message_stamp_good)
{
	int64_t sec = 42;
	uint32_t usec = 42;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_delay_parse_stamp(&sec, &usec, good_stamps[_i].stamp,
					    &err);

	ck_assert_msg(st == CX_OK, "%s: %s", good_stamps[_i].stamp, err.message);
	ck_assert_msg(sec == good_stamps[_i].sec, "%s: %lld", good_stamps[_i].stamp,
		      (long long)sec);
	ck_assert_uint_eq(usec, good_stamps[_i].usec);
}
END_TEST

START_TEST(test_message_stamp_bad)
{
	int64_t sec = 42;
	uint32_t usec = 42;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_delay_parse_stamp(&sec, &usec, bad_stamps[_i], &err) ==
			      CX_ERR_INVALID,
		      "accepted %s", bad_stamps[_i]);
	ck_assert_int_eq(err.status, CX_ERR_INVALID);
	ck_assert(sec == 42 && usec == 42);
}
END_TEST

START_TEST(test_message_stamp_null)
{
	int64_t sec;

	ck_assert_int_eq(cx_delay_parse_stamp(&sec, NULL, NULL, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_delay_parse_stamp(NULL, NULL, "1970-01-01T00:00:00Z", NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_delay_parse_stamp(&sec, NULL, "1970-01-01T00:00:01Z", NULL),
			 CX_OK);
	ck_assert(sec == 1);
}
END_TEST

START_TEST(test_message_stamp_format_roundtrip)
{
	char buf[32];
	int64_t sec;
	uint32_t usec;

	/* leap-second entries come back as :59.999999, so skip their text */
	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), good_stamps[_i].sec,
					       good_stamps[_i].usec, NULL), CX_OK);
	ck_assert_int_eq(cx_delay_parse_stamp(&sec, &usec, buf, NULL), CX_OK);
	ck_assert(sec == good_stamps[_i].sec);
	ck_assert_uint_eq(usec, good_stamps[_i].usec);
}
END_TEST

START_TEST(test_message_stamp_format_limits)
{
	char buf[32];

	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), 1031699305, 0, NULL), CX_OK);
	ck_assert_str_eq(buf, "2002-09-10T23:08:25Z");
	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), -1, 5, NULL), CX_OK);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.000005Z");
	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), INT64_MAX, 0, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), INT64_MIN, 0, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_delay_format_stamp(buf, sizeof(buf), 0, 1000000, NULL),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cx_delay_format_stamp(buf, 10, 0, 0, NULL), CX_ERR_INVALID);
}
END_TEST

/* ---- parse ----------------------------------------------------------- */

static const struct {
	const char *xml;
	cx_status st;
	cx_message_type type;
	const char *body;    /* cx_message_get_body(NULL) */
	const char *subject;
	const char *thread;
	const char *parent;
	size_t nbodies;
	int delay;           /* 1: has a valid delay */
} parse_cases[] = {
	{ "<message/>", CX_OK, CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "<message type='chat'><body>hi</body></message>", CX_OK,
	  CX_MESSAGE_CHAT, "hi", NULL, NULL, NULL, 1, 0 },
	{ "<message type='groupchat'><body>g</body></message>", CX_OK,
	  CX_MESSAGE_GROUPCHAT, "g", NULL, NULL, NULL, 1, 0 },
	{ "<message type='headline'><subject>s</subject></message>", CX_OK,
	  CX_MESSAGE_HEADLINE, NULL, "s", NULL, NULL, 0, 0 },
	{ "<message type='error'><error type='cancel'><item-not-found "
	  "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
	  CX_OK, CX_MESSAGE_ERROR, NULL, NULL, NULL, NULL, 0, 0 },
	/* unknown type is normal (RFC 6121 5.2.2) */
	{ "<message type='bogus'><body>x</body></message>", CX_OK,
	  CX_MESSAGE_NORMAL, "x", NULL, NULL, NULL, 1, 0 },
	{ "<message type=''><body>x</body></message>", CX_OK,
	  CX_MESSAGE_NORMAL, "x", NULL, NULL, NULL, 1, 0 },
	/* bodies in languages; the duplicate language is ignored */
	{ "<message><body xml:lang='de'>Hallo</body><body>Hello</body>"
	  "<body xml:lang='de'>Servus</body></message>", CX_OK,
	  CX_MESSAGE_NORMAL, "Hello", NULL, NULL, NULL, 2, 0 },
	{ "<message><body xml:lang='de'>Hallo</body></message>", CX_OK,
	  CX_MESSAGE_NORMAL, "Hallo", NULL, NULL, NULL, 1, 0 },
	{ "<message><body/></message>", CX_OK, CX_MESSAGE_NORMAL, "", NULL,
	  NULL, NULL, 1, 0 },
	/* thread with parent; an empty thread is absent; the second ignored */
	{ "<message><thread parent='p1'>t1</thread><thread>t2</thread></message>",
	  CX_OK, CX_MESSAGE_NORMAL, NULL, NULL, "t1", "p1", 0, 0 },
	{ "<message><thread/></message>", CX_OK, CX_MESSAGE_NORMAL, NULL, NULL,
	  NULL, NULL, 0, 0 },
	/* unknown children ignored; a body in another namespace is not ours */
	{ "<message><x xmlns='urn:x'><body>no</body></x><foo/><body>yes</body>"
	  "</message>", CX_OK, CX_MESSAGE_NORMAL, "yes", NULL, NULL, NULL, 1, 0 },
	{ "<message><body xmlns='urn:x'>no</body></message>", CX_OK,
	  CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 0 },
	/* delays: valid, bad stamp (absent), missing stamp, second wins if
	 * the first is bad */
	{ "<message><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z' "
	  "from='capulet.com'/></message>", CX_OK, CX_MESSAGE_NORMAL, NULL, NULL,
	  NULL, NULL, 0, 1 },
	{ "<message><delay xmlns='urn:xmpp:delay' stamp='yesterday'/></message>",
	  CX_OK, CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "<message><delay xmlns='urn:xmpp:delay'/></message>", CX_OK,
	  CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 0 },
	{ "<message><delay xmlns='urn:xmpp:delay' stamp='99999-01-01T00:00:00Z'/>"
	  "<delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25Z'/></message>",
	  CX_OK, CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 1 },
	{ "<message><delay xmlns='jabber:x:delay' stamp='2002-09-10T23:08:25Z'/>"
	  "</message>", CX_OK, CX_MESSAGE_NORMAL, NULL, NULL, NULL, NULL, 0, 0 },
	/* not a message */
	{ "<presence/>", CX_ERR_PROTOCOL, 0, NULL, NULL, NULL, NULL, 0, 0 },
	{ "<iq type='get' id='1'><q xmlns='urn:x'/></iq>", CX_ERR_PROTOCOL, 0,
	  NULL, NULL, NULL, NULL, 0, 0 },
};

START_TEST(test_message_parse_table)
{
	cx_stanza *s = stanza(parse_cases[_i].xml);
	cx_message *m = (cx_message *)1;
	cx_error err = CX_ERROR_INIT;
	cx_status st = cx_message_parse(&m, s, &err);
	const char *v;

	ck_assert_msg(st == parse_cases[_i].st, "%s: %s", parse_cases[_i].xml,
		      cx_strerror(st));
	if (st != CX_OK) {
		ck_assert_ptr_null(m);
		ck_assert_int_eq(err.status, st);
		cx_stanza_unref(s);
		return;
	}
	ck_assert_int_eq(cx_message_get_type(m), parse_cases[_i].type);
#define CHECK_STR(got, want)                                      \
	do {                                                          \
		v = (got);                                            \
		if ((want) == NULL)                                   \
			ck_assert_ptr_null(v);                        \
		else                                                  \
			ck_assert_str_eq(v ? v : "(null)", (want));   \
	} while (0)
	CHECK_STR(cx_message_get_body(m, NULL), parse_cases[_i].body);
	CHECK_STR(cx_message_get_subject(m, NULL), parse_cases[_i].subject);
	CHECK_STR(cx_message_get_thread(m), parse_cases[_i].thread);
	CHECK_STR(cx_message_get_thread_parent(m), parse_cases[_i].parent);
	ck_assert_uint_eq(cx_message_body_count(m), parse_cases[_i].nbodies);
	ck_assert_int_eq(cx_message_get_delay(m, NULL, NULL, NULL) == CX_OK,
			 parse_cases[_i].delay);
	ck_assert_ptr_eq(cx_message_get_stanza(m), s);
	cx_message_free(m);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_message_parse_langs)
{
	cx_stanza *s = stanza("<message xml:lang='en' from='a@b/c' to='d@e' id='i1'>"
			      "<subject>Subj</subject><subject xml:lang='FR'>Sujet</subject>"
			      "<body>Hi</body><body xml:lang='de-AT'>Servus</body>"
			      "<body xml:lang='fr'>Salut</body></message>");
	cx_message *m = NULL;
	const char *lang = NULL;

	ck_assert_int_eq(cx_message_parse(&m, s, NULL), CX_OK);
	ck_assert_str_eq(cx_message_get_body(m, "en"), "Hi");
	ck_assert_str_eq(cx_message_get_body(m, "EN"), "Hi");
	ck_assert_str_eq(cx_message_get_body(m, "de-at"), "Servus");
	ck_assert_str_eq(cx_message_get_body(m, "fr"), "Salut");
	ck_assert_ptr_null(cx_message_get_body(m, "it"));
	ck_assert_str_eq(cx_message_get_subject(m, "fr"), "Sujet");
	ck_assert_str_eq(cx_message_get_subject(m, NULL), "Subj");
	ck_assert_uint_eq(cx_message_body_count(m), 3);
	ck_assert_str_eq(cx_message_body_at(m, 1, &lang), "Servus");
	ck_assert_str_eq(lang, "de-AT");
	ck_assert_str_eq(cx_message_body_at(m, 0, &lang), "Hi");
	ck_assert_ptr_null(lang);
	ck_assert_ptr_null(cx_message_body_at(m, 3, &lang));
	ck_assert_uint_eq(cx_message_subject_count(m), 2);
	ck_assert_str_eq(cx_message_subject_at(m, 1, &lang), "Sujet");
	ck_assert_ptr_null(cx_message_subject_at(m, 2, NULL));
	ck_assert_str_eq(cx_message_get_from(m), "a@b/c");
	ck_assert_str_eq(cx_message_get_to(m), "d@e");
	ck_assert_str_eq(cx_message_get_id(m), "i1");
	ck_assert_str_eq(cx_message_get_lang(m), "en");
	cx_message_free(m);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_message_parse_delay_fields)
{
	cx_stanza *s = stanza("<message><delay xmlns='urn:xmpp:delay' "
			      "stamp='2002-09-10T23:08:25.5Z' from='capulet.com'>"
			      "Offline Storage</delay></message>");
	cx_message *m = NULL;
	int64_t sec = 0;
	uint32_t usec = 0;
	const char *from = NULL;

	ck_assert_int_eq(cx_message_parse(&m, s, NULL), CX_OK);
	ck_assert_int_eq(cx_message_get_delay(m, &sec, &usec, &from), CX_OK);
	ck_assert(sec == 1031699305);
	ck_assert_uint_eq(usec, 500000);
	ck_assert_str_eq(from, "capulet.com");
	cx_message_free(m);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_message_parse_too_many_bodies)
{
	cx_stanza *s = NULL;
	cx_message *m = (cx_message *)1;
	cx_error err = CX_ERROR_INIT;
	char lang[16];

	ck_assert_int_eq(cx_stanza_new_message(&s, NULL, NULL, NULL, NULL), CX_OK);
	for (int i = 0; i <= CX_MESSAGE_MAX_TEXTS; i++) {
		snprintf(lang, sizeof(lang), "x-%d", i);
		ck_assert_int_eq(cx_stanza_add_body(s, lang, "t", NULL), CX_OK);
	}
	ck_assert_int_eq(cx_message_parse(&m, s, &err), CX_ERR_XML_TOO_MANY);
	ck_assert_ptr_null(m);
	/* 10000 bodies in one language are fine: the duplicates are ignored */
	cx_stanza_unref(s);
	ck_assert_int_eq(cx_stanza_new_message(&s, NULL, NULL, NULL, NULL), CX_OK);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(cx_stanza_add_body(s, "en", "t", NULL), CX_OK);
	ck_assert_int_eq(cx_message_parse(&m, s, &err), CX_OK);
	ck_assert_uint_eq(cx_message_body_count(m), 1);
	cx_message_free(m);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_message_parse_null)
{
	cx_message *m = NULL;
	cx_stanza *s = stanza("<message/>");

	ck_assert_int_eq(cx_message_parse(NULL, s, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_message_parse(&m, NULL, NULL), CX_ERR_INVALID);
	ck_assert_ptr_null(cx_message_get_body(NULL, NULL));
	ck_assert_int_eq(cx_message_get_delay(NULL, NULL, NULL, NULL), CX_ERR_NOT_FOUND);
	cx_message_free(NULL);
	cx_stanza_unref(s);
}
END_TEST

/* ---- build ----------------------------------------------------------- */

START_TEST(test_message_build_roundtrip)
{
	const cx_message_text bodies[] = { { NULL, "Hello" }, { "de", "Hallo" } };
	const cx_message_text subjects[] = { { NULL, "Greeting" }, { "de", "Gruß" } };
	cx_message_spec spec = CX_MESSAGE_SPEC_INIT;
	cx_stanza *s = NULL, *back = NULL;
	cx_message *m = NULL;
	char *xml = NULL;

	spec.to = "bob@example.org";
	spec.type = CX_MESSAGE_CHAT;
	spec.lang = "en";
	spec.bodies = bodies;
	spec.nbodies = 2;
	spec.subjects = subjects;
	spec.nsubjects = 2;
	spec.thread = "th-1";
	spec.thread_parent = "th-0";
	ck_assert_int_eq(cx_message_build(&s, &spec, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&xml, s, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_from_string(&back, xml, strlen(xml), NULL), CX_OK);
	ck_assert_int_eq(cx_message_parse(&m, back, NULL), CX_OK);
	ck_assert_int_eq(cx_message_get_type(m), CX_MESSAGE_CHAT);
	ck_assert_str_eq(cx_message_get_to(m), "bob@example.org");
	ck_assert_str_eq(cx_message_get_body(m, NULL), "Hello");
	ck_assert_str_eq(cx_message_get_body(m, "en"), "Hello");
	ck_assert_str_eq(cx_message_get_body(m, "de"), "Hallo");
	ck_assert_str_eq(cx_message_get_subject(m, "de"), "Gruß");
	ck_assert_str_eq(cx_message_get_thread(m), "th-1");
	ck_assert_str_eq(cx_message_get_thread_parent(m), "th-0");
	ck_assert_ptr_nonnull(cx_message_get_id(m));
	cx_message_free(m);
	cx_stanza_unref(back);
	cx_stanza_unref(s);
	cx_free(xml);
}
END_TEST

START_TEST(test_message_build_normal_has_no_type)
{
	cx_message_spec spec = CX_MESSAGE_SPEC_INIT;
	cx_stanza *s = NULL;

	ck_assert_int_eq(cx_message_build(&s, &spec, NULL), CX_OK);
	ck_assert_ptr_null(cx_stanza_get_type(s));
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_message_build_invalid)
{
	const cx_message_text dup[] = { { "de", "a" }, { "DE", "b" } };
	const cx_message_text dupnull[] = { { NULL, "a" }, { NULL, "b" } };
	const cx_message_text notext[] = { { "de", NULL } };
	const cx_message_text badutf[] = { { NULL, "\xff\xfe" } };
	cx_message_spec spec = CX_MESSAGE_SPEC_INIT;
	cx_stanza *s = (cx_stanza *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cx_message_build(&s, NULL, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(s);
	spec.version = 99;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.version = CX_MESSAGE_SPEC_VERSION;
	spec.type = (cx_message_type)42;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.type = CX_MESSAGE_CHAT;
	spec.thread_parent = "p";
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.thread = "";
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.thread = spec.thread_parent = NULL;
	spec.bodies = dup;
	spec.nbodies = 2;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.bodies = dupnull;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.bodies = notext;
	spec.nbodies = 1;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.bodies = NULL;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	spec.bodies = badutf;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_XML_ENCODING);
	spec.bodies = NULL;
	spec.nbodies = 0;
	spec.subjects = dup;
	spec.nsubjects = 2;
	ck_assert_int_eq(cx_message_build(&s, &spec, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_message_build(NULL, &spec, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_message_send(NULL, &spec, &err), CX_ERR_INVALID);
}
END_TEST

START_TEST(test_message_type_names)
{
	ck_assert_str_eq(cx_message_type_name(CX_MESSAGE_NORMAL), "normal");
	ck_assert_str_eq(cx_message_type_name(CX_MESSAGE_ERROR), "error");
	ck_assert_ptr_null(cx_message_type_name((cx_message_type)77));
	ck_assert_ptr_null(cx_message_type_name((cx_message_type)-1));
}
END_TEST

static Suite *
message_suite(void)
{
	Suite *s = suite_create("message");
	TCase *tc;

	tc = tcase_create("stamp");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_message_stamp_good, 0,
			    sizeof(good_stamps) / sizeof(good_stamps[0]));
	tcase_add_loop_test(tc, test_message_stamp_bad, 0,
			    sizeof(bad_stamps) / sizeof(bad_stamps[0]));
	tcase_add_test(tc, test_message_stamp_null);
	tcase_add_loop_test(tc, test_message_stamp_format_roundtrip, 0,
			    sizeof(good_stamps) / sizeof(good_stamps[0]));
	tcase_add_test(tc, test_message_stamp_format_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_message_parse_table, 0,
			    sizeof(parse_cases) / sizeof(parse_cases[0]));
	tcase_add_test(tc, test_message_parse_langs);
	tcase_add_test(tc, test_message_parse_delay_fields);
	tcase_add_test(tc, test_message_parse_too_many_bodies);
	tcase_add_test(tc, test_message_parse_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_message_build_roundtrip);
	tcase_add_test(tc, test_message_build_normal_has_no_type);
	tcase_add_test(tc, test_message_build_invalid);
	tcase_add_test(tc, test_message_type_names);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(message_suite)

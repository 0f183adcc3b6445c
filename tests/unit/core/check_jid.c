/* Unit tests for JIDs (include/cxmpp/jid.h, lib/core/jid.c). */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "lib/core/jid.h"
#include "tests/unit/testutil.h"

/* One row: input, expected normalized form (NULL: invalid), and for an
 * invalid JID the part the message must name and a word of the reason. */
struct jid_case {
	const char *in;
	const char *norm;
	const char *part;
	const char *why;
};

static const struct jid_case jid_cases[] = {
	/* valid: plain forms */
	{ "example.com", "example.com", NULL, NULL },
	{ "EXAMPLE.COM", "example.com", NULL, NULL },
	{ "example.com.", "example.com", NULL, NULL },
	{ "juliet@example.com", "juliet@example.com", NULL, NULL },
	{ "Juliet@Example.COM", "juliet@example.com", NULL, NULL },
	{ "juliet@example.com/balcony", "juliet@example.com/balcony", NULL, NULL },
	{ "juliet@example.com/Balcony", "juliet@example.com/Balcony", NULL, NULL },
	{ "juliet@example.com./balcony", "juliet@example.com/balcony", NULL, NULL },
	{ "example.com/resource", "example.com/resource", NULL, NULL },
	{ "juliet@example.com/foo/bar", "juliet@example.com/foo/bar", NULL, NULL },
	{ "juliet@example.com/foo@bar", "juliet@example.com/foo@bar", NULL, NULL },
	{ "example.com/a@b", "example.com/a@b", NULL, NULL },
	{ "juliet@example.com/a/", "juliet@example.com/a/", NULL, NULL },
	{ "juliet@example.com/ with spaces ", "juliet@example.com/ with spaces ", NULL, NULL },
	{ "a@b", "a@b", NULL, NULL },
	{ "a-b.example", "a-b.example", NULL, NULL },
	{ "juliet@a.b.c.d.e/x", "juliet@a.b.c.d.e/x", NULL, NULL },
	{ "localhost", "localhost", NULL, NULL },
	{ "x@localhost/r", "x@localhost/r", NULL, NULL },
	{ "1.2.3", "1.2.3", NULL, NULL },             /* not an IPv4 literal */
	{ "1.2.3.256", "1.2.3.256", NULL, NULL },     /* a DNS name, then */
	{ "juliet@exam/ple.com", "juliet@exam/ple.com", NULL, NULL },
	/* valid: IP literals */
	{ "192.0.2.1", "192.0.2.1", NULL, NULL },
	{ "juliet@192.0.2.1/r", "juliet@192.0.2.1/r", NULL, NULL },
	{ "[::1]", "[::1]", NULL, NULL },
	{ "[2001:DB8::1]", "[2001:db8::1]", NULL, NULL },
	{ "[2001:0db8:0000:0000:0000:0000:0000:0001]", "[2001:db8::1]", NULL, NULL },
	{ "juliet@[::FFFF:192.0.2.1]/x", "juliet@[::ffff:192.0.2.1]/x", NULL, NULL },
	/* valid: internationalized domains, U-labels in the output */
	{ "b\xc3\xbc" "cher.example", "b\xc3\xbc" "cher.example", NULL, NULL },
	{ "xn--bcher-kva.example", "b\xc3\xbc" "cher.example", NULL, NULL },
	{ "XN--BCHER-KVA.EXAMPLE", "b\xc3\xbc" "cher.example", NULL, NULL },
	{ "B\xc3\x9c" "CHER.example", "b\xc3\xbc" "cher.example", NULL, NULL },
	{ "example\xe3\x80\x82" "com", "example.com", NULL, NULL },   /* U+3002 */
	{ "example\xef\xbc\x8e" "com", "example.com", NULL, NULL },   /* U+FF0E */
	{ "juliet@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
	  "juliet@\xe4\xbe\x8b\xe3\x81\x88.\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88",
	  NULL, NULL },
	/* valid: Nodeprep and Resourceprep mappings */
	{ "\xc3\x84\xc3\x96\xc3\x9c@example.com", "\xc3\xa4\xc3\xb6\xc3\xbc@example.com", NULL, NULL },
	{ "Stra\xc3\x9f" "e@example.com", "strasse@example.com", NULL, NULL },
	{ "\xef\xbd\x8a\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x85\xef\xbd\x94@example.com",
	  "juliet@example.com", NULL, NULL },                        /* fullwidth */
	{ "juliet@example.com/\xef\xac\x81", "juliet@example.com/fi", NULL, NULL }, /* U+FB01 */
	{ "user\xc2\xad@example.com", "user@example.com", NULL, NULL }, /* soft hyphen */
	{ "man\xcc\x83" "ana@example.com", "ma\xc3\xb1" "ana@example.com", NULL, NULL }, /* NFKC */
	{ "\xc3\xbc" "ber@b\xc3\xbc" "cher.example/\xc3\x9cn\xc3\xaf",
	  "\xc3\xbc" "ber@b\xc3\xbc" "cher.example/\xc3\x9cn\xc3\xaf", NULL, NULL },
	{ "juliet@example.com/\xe2\x99\x9a", "juliet@example.com/\xe2\x99\x9a", NULL, NULL },
	{ "juliet@example.com/\xf0\x9f\x98\x80", "juliet@example.com/\xf0\x9f\x98\x80", NULL, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	  NULL, NULL },                                              /* 63-byte label */

	/* invalid: empty parts */
	{ "", NULL, "domainpart", "empty" },
	{ "@example.com", NULL, "localpart", "empty" },
	{ "@", NULL, "localpart", "empty" },
	{ "juliet@", NULL, "domainpart", "empty" },
	{ "juliet@/r", NULL, "domainpart", "empty" },
	{ "/resource", NULL, "domainpart", "empty" },
	{ "juliet@example.com/", NULL, "resourcepart", "empty" },
	{ "example.com/", NULL, "resourcepart", "empty" },
	{ ".", NULL, "domainpart", "empty" },
	{ "\xc2\xad@example.com", NULL, "localpart", "empty after preparation" },
	/* invalid: localpart characters */
	{ "a@b@c", NULL, "domainpart", "host name" },
	{ "jul\"iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul&iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul'iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul:iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul<iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul>iet@example.com", NULL, "localpart", "prohibited" },
	{ "jul iet@example.com", NULL, "localpart", "prohibited" },
	{ "a\xef\xbc\xa0" "b@example.com", NULL, "localpart", "prohibited" }, /* U+FF20 -> '@' */
	{ "\xd7\x90" "a@example.com", NULL, "localpart", "bidirectional" },
	{ "a\xff@example.com", NULL, "localpart", "UTF-8" },
	/* invalid: resourcepart */
	{ "juliet@example.com/\xff", NULL, "resourcepart", "UTF-8" },
	{ "juliet@example.com/a\x07" "b", NULL, "resourcepart", "prohibited" },
	{ "juliet@example.com/\xe2\x80\xae" "abc", NULL, "resourcepart", "prohibited" },
	{ "juliet@example.com/\xc0\xaf", NULL, "resourcepart", "UTF-8" }, /* overlong '/' */
	/* invalid: domain names */
	{ "example..com", NULL, "domainpart", "empty label" },
	{ ".example.com", NULL, "domainpart", "empty label" },
	{ "example.com..", NULL, "domainpart", "empty label" },
	{ "ex ample.com", NULL, "domainpart", "host name" },
	{ "ex_ample.com", NULL, "domainpart", "host name" },
	{ "juliet@example.com:5222", NULL, "domainpart", "host name" },
	{ "-example.com", NULL, "domainpart", "'-'" },
	{ "example-.com", NULL, "domainpart", "'-'" },
	{ "xn--a.example", NULL, "domainpart", "A-label" },
	{ "exa\xffmple.com", NULL, "domainpart", "UTF-8" },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	  NULL, "domainpart", "63" },                                /* 64-byte label */
	/* invalid: IP literals */
	{ "[::1", NULL, "domainpart", "IPv6" },
	{ "[::g]", NULL, "domainpart", "IPv6" },
	{ "[]", NULL, "domainpart", "IPv6" },
	{ "[192.0.2.1]", NULL, "domainpart", "IPv6" },
	{ "[::1]:5222", NULL, "domainpart", "IPv6" },
	{ "[fe80::1%eth0]", NULL, "domainpart", "IPv6" },
	{ "::1", NULL, "domainpart", "host name" },
};

START_TEST(test_jid_table_parse)
{
	const struct jid_case *c = &jid_cases[_i];
	cx_error err = CX_ERROR_INIT;
	cx_jid *j = (cx_jid *)1;
	cx_status st;

	st = cx_jid_parse(&j, c->in, &err);
	if (c->norm != NULL) {
		ck_assert_msg(st == CX_OK, "case %d \"%s\": %s", _i, c->in,
			      err.message);
		ck_assert_str_eq(cx_jid_string(j), c->norm);
		cx_jid_free(j);
	} else {
		ck_assert_msg(st == CX_ERR_JID, "case %d \"%s\": status %d",
			      _i, c->in, (int)st);
		ck_assert_ptr_null(j);
		ck_assert_int_eq(err.status, CX_ERR_JID);
		ck_assert_msg(strstr(err.message, c->part) != NULL,
			      "case %d: message \"%s\" does not name %s", _i,
			      err.message, c->part);
		ck_assert_msg(strstr(err.message, c->why) != NULL,
			      "case %d: message \"%s\" lacks \"%s\"", _i,
			      err.message, c->why);
	}
}
END_TEST

/* Normalization is idempotent: the normalized form parses to itself. */
START_TEST(test_jid_table_idempotent)
{
	const struct jid_case *c = &jid_cases[_i];
	cx_error err = CX_ERROR_INIT;
	char *once = NULL, *twice = NULL;
	cx_status st;

	st = cx_jid_normalize(&once, c->in, &err);
	if (c->norm == NULL) {
		ck_assert_int_eq(st, CX_ERR_JID);
		ck_assert_ptr_null(once);
		return;
	}
	ck_assert_int_eq(st, CX_OK);
	ck_assert_str_eq(once, c->norm);
	ck_assert_int_eq(cx_jid_normalize(&twice, once, &err), CX_OK);
	ck_assert_str_eq(twice, once);
	cx_free(once);
	cx_free(twice);
}
END_TEST

static cx_jid *
must_parse(const char *s)
{
	cx_error err = CX_ERROR_INIT;
	cx_jid *j = NULL;

	ck_assert_msg(cx_jid_parse(&j, s, &err) == CX_OK, "%s: %s", s,
		      err.message);
	return j;
}

START_TEST(test_jid_parts_accessors)
{
	cx_jid *j = must_parse("Juliet@Example.COM/Balcony/2");

	ck_assert_str_eq(cx_jid_local(j), "juliet");
	ck_assert_str_eq(cx_jid_domain(j), "example.com");
	ck_assert_str_eq(cx_jid_resource(j), "Balcony/2");
	ck_assert_str_eq(cx_jid_string(j), "juliet@example.com/Balcony/2");
	ck_assert_str_eq(cx_jid_bare_string(j), "juliet@example.com");
	ck_assert_int_eq(cx_jid_is_bare(j), 0);
	cx_jid_free(j);

	j = must_parse("example.com");
	ck_assert_ptr_null(cx_jid_local(j));
	ck_assert_ptr_null(cx_jid_resource(j));
	ck_assert_str_eq(cx_jid_domain(j), "example.com");
	ck_assert_str_eq(cx_jid_bare_string(j), "example.com");
	ck_assert_int_eq(cx_jid_is_bare(j), 1);
	cx_jid_free(j);

	j = must_parse("example.com/r");
	ck_assert_ptr_null(cx_jid_local(j));
	ck_assert_str_eq(cx_jid_resource(j), "r");
	ck_assert_str_eq(cx_jid_bare_string(j), "example.com");
	cx_jid_free(j);

	ck_assert_ptr_null(cx_jid_local(NULL));
	ck_assert_ptr_null(cx_jid_domain(NULL));
	ck_assert_ptr_null(cx_jid_resource(NULL));
	ck_assert_ptr_null(cx_jid_string(NULL));
	ck_assert_ptr_null(cx_jid_bare_string(NULL));
	ck_assert_int_eq(cx_jid_is_bare(NULL), 0);
	cx_jid_free(NULL);
}
END_TEST

START_TEST(test_jid_parts_new)
{
	cx_error err = CX_ERROR_INIT;
	cx_jid *j = NULL;

	ck_assert_int_eq(cx_jid_new(&j, "Juliet", "EXAMPLE.com.", "a/b@c", &err),
			 CX_OK);
	ck_assert_str_eq(cx_jid_string(j), "juliet@example.com/a/b@c");
	ck_assert_str_eq(cx_jid_resource(j), "a/b@c");
	cx_jid_free(j);

	ck_assert_int_eq(cx_jid_new(&j, NULL, "[::1]", NULL, &err), CX_OK);
	ck_assert_str_eq(cx_jid_string(j), "[::1]");
	ck_assert_ptr_null(cx_jid_local(j));
	ck_assert_ptr_null(cx_jid_resource(j));
	cx_jid_free(j);

	ck_assert_int_eq(cx_jid_new(&j, "", "example.com", NULL, &err),
			 CX_ERR_JID);
	ck_assert_ptr_null(j);
	ck_assert_ptr_nonnull(strstr(err.message, "localpart"));
	ck_assert_int_eq(cx_jid_new(&j, NULL, "example.com", "", &err),
			 CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "resourcepart"));
	ck_assert_int_eq(cx_jid_new(&j, "a", "", NULL, &err), CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "domainpart"));
	ck_assert_int_eq(cx_jid_new(&j, "a@b", "example.com", NULL, &err),
			 CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "prohibited"));
	ck_assert_int_eq(cx_jid_new(&j, NULL, "a/b", NULL, &err), CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "domainpart"));

	ck_assert_int_eq(cx_jid_new(NULL, "a", "b", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_new(&j, "a", NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_parse(NULL, "a", &err), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_parse(&j, NULL, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_normalize(NULL, "a", NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_copy(&j, NULL, NULL), CX_ERR_INVALID);
	ck_assert_int_eq(cx_jid_bare(&j, NULL, NULL), CX_ERR_INVALID);
}
END_TEST

START_TEST(test_jid_compare_equal)
{
	cx_jid *a = must_parse("Juliet@Example.COM./Balcony");
	cx_jid *b = must_parse("juliet@xn--exmple-cua.com/Balcony");
	cx_jid *c = must_parse("juliet@example.com/Balcony");
	cx_jid *d = must_parse("juliet@example.com/balcony");
	cx_jid *e = must_parse("juliet@example.com");
	cx_jid *f = must_parse("romeo@example.com/Balcony");
	cx_jid *g = must_parse("juliet@ex\xc3\xa4mple.com/Balcony");

	ck_assert_int_eq(cx_jid_equal(a, c), 1);
	ck_assert_int_eq(cx_jid_equal(c, a), 1);
	ck_assert_int_eq(cx_jid_equal(b, g), 1);  /* A-label == U-label */
	ck_assert_int_eq(cx_jid_equal(a, b), 0);
	ck_assert_int_eq(cx_jid_equal(c, d), 0);  /* resources keep case */
	ck_assert_int_eq(cx_jid_equal_bare(c, d), 1);
	ck_assert_int_eq(cx_jid_equal(c, e), 0);
	ck_assert_int_eq(cx_jid_equal_bare(c, e), 1);
	ck_assert_int_eq(cx_jid_equal_bare(c, f), 0);
	ck_assert_int_eq(cx_jid_equal(NULL, NULL), 1);
	ck_assert_int_eq(cx_jid_equal(a, NULL), 0);
	ck_assert_int_eq(cx_jid_equal(NULL, a), 0);
	ck_assert_int_eq(cx_jid_equal_bare(NULL, NULL), 1);
	ck_assert_int_eq(cx_jid_equal_bare(NULL, e), 0);
	cx_jid_free(a);
	cx_jid_free(b);
	cx_jid_free(c);
	cx_jid_free(d);
	cx_jid_free(e);
	cx_jid_free(f);
	cx_jid_free(g);
}
END_TEST

START_TEST(test_jid_compare_bare)
{
	cx_error err = CX_ERROR_INIT;
	cx_jid *full = must_parse("Juliet@Example.COM/Balcony");
	cx_jid *dom = must_parse("example.com/r");
	cx_jid *bare = NULL, *bare2 = NULL, *dbare = NULL;

	ck_assert_int_eq(cx_jid_bare(&bare, full, &err), CX_OK);
	ck_assert_int_eq(cx_jid_is_bare(bare), 1);
	ck_assert_str_eq(cx_jid_string(bare), "juliet@example.com");
	ck_assert_str_eq(cx_jid_bare_string(bare), "juliet@example.com");
	ck_assert_ptr_null(cx_jid_resource(bare));
	ck_assert_int_eq(cx_jid_equal_bare(bare, full), 1);
	ck_assert_int_eq(cx_jid_equal(bare, full), 0);

	ck_assert_int_eq(cx_jid_bare(&bare2, bare, &err), CX_OK);
	ck_assert_ptr_ne(bare2, bare);
	ck_assert_int_eq(cx_jid_equal(bare2, bare), 1);

	ck_assert_int_eq(cx_jid_bare(&dbare, dom, &err), CX_OK);
	ck_assert_str_eq(cx_jid_string(dbare), "example.com");
	ck_assert_ptr_null(cx_jid_local(dbare));

	cx_jid_free(full);
	cx_jid_free(dom);
	cx_jid_free(bare);
	cx_jid_free(bare2);
	cx_jid_free(dbare);
}
END_TEST

START_TEST(test_jid_compare_copy)
{
	cx_error err = CX_ERROR_INIT;
	cx_jid *orig = must_parse("\xc3\xbc" "ber@b\xc3\xbc" "cher.example/r/s");
	cx_jid *copy = NULL, *dcopy = NULL, *dom = must_parse("example.com");

	ck_assert_int_eq(cx_jid_copy(&copy, orig, &err), CX_OK);
	ck_assert_ptr_ne(copy, orig);
	ck_assert_int_eq(cx_jid_equal(copy, orig), 1);
	ck_assert_ptr_ne(cx_jid_string(copy), cx_jid_string(orig));
	cx_jid_free(orig); /* the copy must not depend on the original */
	ck_assert_str_eq(cx_jid_local(copy), "\xc3\xbc" "ber");
	ck_assert_str_eq(cx_jid_domain(copy), "b\xc3\xbc" "cher.example");
	ck_assert_str_eq(cx_jid_resource(copy), "r/s");
	ck_assert_str_eq(cx_jid_string(copy),
			 "\xc3\xbc" "ber@b\xc3\xbc" "cher.example/r/s");
	ck_assert_str_eq(cx_jid_bare_string(copy),
			 "\xc3\xbc" "ber@b\xc3\xbc" "cher.example");

	ck_assert_int_eq(cx_jid_copy(&dcopy, dom, &err), CX_OK);
	ck_assert_ptr_null(cx_jid_local(dcopy));
	ck_assert_ptr_null(cx_jid_resource(dcopy));
	ck_assert_str_eq(cx_jid_string(dcopy), "example.com");
	cx_jid_free(dom);
	cx_jid_free(copy);
	cx_jid_free(dcopy);
}
END_TEST

/* A string of n bytes of 'a'. */
static char *
rep(size_t n, char ch)
{
	char *s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, ch, n);
	s[n] = '\0';
	return s;
}

/* A valid domain name of exactly n bytes: 50-byte labels and a rest. */
static char *
long_domain(size_t n)
{
	char *s = malloc(n + 1), *p = s;
	size_t left = n;

	ck_assert_ptr_nonnull(s);
	while (left > 51) {
		memset(p, 'd', 50);
		p[50] = '.';
		p += 51;
		left -= 51;
	}
	memset(p, 'e', left);
	p[left] = '\0';
	ck_assert_uint_eq(strlen(s), n);
	return s;
}

static cx_status
try_new(const char *l, const char *d, const char *r, cx_error *err)
{
	cx_jid *j = NULL;
	cx_status st = cx_jid_new(&j, l, d, r, err);

	if (st == CX_OK) {
		if (l)
			ck_assert_uint_eq(strlen(cx_jid_local(j)), strlen(l));
		if (r)
			ck_assert_uint_eq(strlen(cx_jid_resource(j)), strlen(r));
		ck_assert_uint_eq(strlen(cx_jid_domain(j)), strlen(d));
	}
	cx_jid_free(j);
	return st;
}

START_TEST(test_jid_limits_1023)
{
	cx_error err = CX_ERROR_INIT;
	char *l1023 = rep(1023, 'l'), *l1024 = rep(1024, 'l');
	char *r1023 = rep(1023, 'R'), *r1024 = rep(1024, 'R');
	char *d1023 = long_domain(1023), *d1024 = long_domain(1024);
	char *full;

	ck_assert_int_eq(try_new(l1023, "example.com", NULL, &err), CX_OK);
	ck_assert_int_eq(try_new(l1024, "example.com", NULL, &err), CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "localpart"));
	ck_assert_ptr_nonnull(strstr(err.message, "1023"));
	ck_assert_int_eq(try_new(NULL, "example.com", r1023, &err), CX_OK);
	ck_assert_int_eq(try_new(NULL, "example.com", r1024, &err), CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "resourcepart"));
	ck_assert_ptr_nonnull(strstr(err.message, "1023"));
	ck_assert_int_eq(try_new(NULL, d1023, NULL, &err), CX_OK);
	ck_assert_int_eq(try_new(NULL, d1024, NULL, &err), CX_ERR_JID);
	ck_assert_ptr_nonnull(strstr(err.message, "domainpart"));
	ck_assert_ptr_nonnull(strstr(err.message, "1023"));

	/* All three at the limit, through the string parser. */
	full = malloc(3 * 1024 + 1);
	ck_assert_ptr_nonnull(full);
	sprintf(full, "%s@%s/%s", l1023, d1023, r1023);
	{
		cx_jid *j = must_parse(full);
		ck_assert_str_eq(cx_jid_string(j), full);
		cx_jid_free(j);
	}
	free(full);

	free(l1023);
	free(l1024);
	free(r1023);
	free(r1024);
	free(d1023);
	free(d1024);
}
END_TEST

/* The limit applies after preparation: mappings can shrink or grow. */
START_TEST(test_jid_limits_after_prep)
{
	cx_error err = CX_ERROR_INIT;
	char *s = malloc(1023 + 2 + 1), *big;
	size_t i;

	/* 1023 letters and a soft hyphen (mapped to nothing): 1025 bytes in,
	 * 1023 out. */
	ck_assert_ptr_nonnull(s);
	memset(s, 'a', 1023);
	memcpy(s + 1023, "\xc2\xad", 3);
	{
		cx_jid *j = NULL;
		ck_assert_int_eq(cx_jid_new(&j, s, "example.com", NULL, &err),
				 CX_OK);
		ck_assert_uint_eq(strlen(cx_jid_local(j)), 1023);
		cx_jid_free(j);
	}
	free(s);

	/* U+FDFA expands to 18 code points under NFKC: 40 of them (120
	 * bytes) become more than 1023 bytes. */
	big = malloc(40 * 3 + 1);
	ck_assert_ptr_nonnull(big);
	for (i = 0; i < 40; i++)
		memcpy(big + 3 * i, "\xef\xb7\xba", 3);
	big[120] = '\0';
	{
		cx_jid *j = NULL;
		ck_assert_int_eq(cx_jid_new(&j, NULL, "example.com", big, &err),
				 CX_ERR_JID);
		ck_assert_ptr_nonnull(strstr(err.message, "resourcepart"));
		ck_assert_ptr_nonnull(strstr(err.message, "1023"));
		big[3] = '\0'; /* just one: fine, and longer than its input */
		ck_assert_int_eq(cx_jid_new(&j, NULL, "example.com", big, &err),
				 CX_OK);
		ck_assert_uint_gt(strlen(cx_jid_resource(j)), 3);
		cx_jid_free(j);
	}
	free(big);
}
END_TEST

struct ascii_case {
	const char *in;
	const char *out; /* NULL: CX_ERR_JID */
};

static const struct ascii_case ascii_cases[] = {
	{ "example.com", "example.com" },
	{ "Example.COM.", "example.com" },
	{ "B\xc3\x9c" "cher.Example", "xn--bcher-kva.example" },
	{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
	{ "[::1]", "::1" },
	{ "[2001:DB8::1]", "2001:db8::1" },
	{ "192.0.2.1", "192.0.2.1" },
	{ "ex_ample.com", NULL },
	{ "", NULL },
	{ "[::1", NULL },
};

START_TEST(test_jid_domain_ascii)
{
	const struct ascii_case *c = &ascii_cases[_i];
	cx_error err = CX_ERROR_INIT;
	char *out = (char *)1;
	cx_status st = cxi_jid_domain_to_ascii(&out, c->in, &err);

	if (c->out == NULL) {
		ck_assert_int_eq(st, CX_ERR_JID);
		ck_assert_ptr_null(out);
	} else {
		ck_assert_msg(st == CX_OK, "%s: %s", c->in, err.message);
		ck_assert_str_eq(out, c->out);
		cx_free(out);
	}
}
END_TEST

#define NTHREADS 4
#define NROUNDS 300

static void *
parse_worker(void *arg)
{
	long bad = 0;
	size_t i, k;

	(void)arg;
	for (k = 0; k < NROUNDS; k++) {
		for (i = 0; i < sizeof(jid_cases) / sizeof(jid_cases[0]); i++) {
			char *n = NULL;
			cx_status st = cx_jid_normalize(&n, jid_cases[i].in,
							NULL);
			if (jid_cases[i].norm == NULL)
				bad += st != CX_ERR_JID;
			else
				bad += st != CX_OK ||
				       strcmp(n, jid_cases[i].norm) != 0;
			cx_free(n);
		}
	}
	return (void *)bad;
}

/* Many threads normalizing at once get the same answers as one. */
START_TEST(test_jid_threads_parallel)
{
	pthread_t th[NTHREADS];
	void *res;
	int i;

	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, parse_worker,
						NULL), 0);
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(th[i], &res), 0);
		ck_assert_int_eq((long)res, 0);
	}
}
END_TEST

static Suite *
jid_suite(void)
{
	Suite *s = suite_create("jid");
	TCase *tc;
	int ncases = (int)(sizeof(jid_cases) / sizeof(jid_cases[0]));

	tc = tcase_create("table");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_jid_table_parse, 0, ncases);
	tcase_add_loop_test(tc, test_jid_table_idempotent, 0, ncases);
	suite_add_tcase(s, tc);

	tc = tcase_create("parts");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_jid_parts_accessors);
	tcase_add_test(tc, test_jid_parts_new);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_jid_compare_equal);
	tcase_add_test(tc, test_jid_compare_bare);
	tcase_add_test(tc, test_jid_compare_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_jid_limits_1023);
	tcase_add_test(tc, test_jid_limits_after_prep);
	suite_add_tcase(s, tc);

	tc = tcase_create("domain");
	tcase_set_timeout(tc, 10);
	tcase_add_loop_test(tc, test_jid_domain_ascii, 0,
			    (int)(sizeof(ascii_cases) / sizeof(ascii_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_jid_threads_parallel);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(jid_suite)

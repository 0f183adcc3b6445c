/*
 * Fuzz target: JIDs (include/cxmpp/jid.h, lib/core/jid.c).
 *
 * Input: the JID string (inputs with a NUL byte are skipped: the API takes
 * C strings). Invariants: a refused JID gives CX_ERR_JID with a message,
 * and cx_jid_normalize refuses it the same way; an accepted JID is
 * idempotent (normalize(normalize(x)) == normalize(x), and parsing the
 * normalized string gives an equal JID with the same parts); equality is
 * reflexive and agrees with the strings; the full string is
 * [local@]domain[/resource] of the parts; the bare JID, a copy, and a JID
 * rebuilt from the parts with cx_jid_new are consistent with it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/jid.h"
#include "tests/fuzz/fuzz.h"

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static void
check_parts(const cx_jid *j)
{
	const char *l = cx_jid_local(j), *d = cx_jid_domain(j),
		   *r = cx_jid_resource(j), *full = cx_jid_string(j),
		   *bare = cx_jid_bare_string(j);
	size_t need = strlen(d) + 3 + (l ? strlen(l) : 0) + (r ? strlen(r) : 0);
	char *exp = malloc(need);

	CXF_CHECK(exp != NULL, "out of memory");
	CXF_CHECK(d != NULL && d[0] != '\0', "empty domain");
	CXF_CHECK(l == NULL || l[0] != '\0', "empty localpart kept");
	CXF_CHECK(r == NULL || r[0] != '\0', "empty resource kept");
	snprintf(exp, need, "%s%s%s", l ? l : "", l ? "@" : "", d);
	CXF_CHECK(strcmp(bare, exp) == 0, "bare '%s' vs parts '%s'", bare, exp);
	snprintf(exp, need, "%s%s%s%s%s", l ? l : "", l ? "@" : "", d,
		 r ? "/" : "", r ? r : "");
	CXF_CHECK(strcmp(full, exp) == 0, "full '%s' vs parts '%s'", full, exp);
	CXF_CHECK(cx_jid_is_bare(j) == (r == NULL), "is_bare disagrees");
	free(exp);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cx_error err = CX_ERROR_INIT, err2 = CX_ERROR_INIT;
	cx_jid *j = NULL, *j2 = NULL, *c = NULL, *b = NULL, *n = NULL;
	char *str, *norm = NULL, *norm2 = NULL;
	cx_status st, st2;

	if (memchr(data, '\0', size) != NULL)
		return 0;
	str = malloc(size + 1);
	CXF_CHECK(str != NULL, "out of memory");
	memcpy(str, data, size);
	str[size] = '\0';

	st = cx_jid_parse(&j, str, &err);
	st2 = cx_jid_normalize(&norm, str, &err2);
	CXF_CHECK(st == st2, "parse %d, normalize %d", st, st2);
	if (st != CX_OK) {
		CXF_CHECK(st == CX_ERR_JID, "refused with %d (%s)", st,
			  err.message);
		CXF_CHECK(err.status == st && err.message[0] != '\0',
			  "refusal without a message");
		CXF_CHECK(j == NULL && norm == NULL, "output set on failure");
		goto out;
	}
	CXF_CHECK(j != NULL && norm != NULL, "no output");
	CXF_CHECK(strcmp(norm, cx_jid_string(j)) == 0,
		  "normalize '%s' vs parse '%s'", norm, cx_jid_string(j));
	check_parts(j);

	/* idempotence */
	st = cx_jid_normalize(&norm2, norm, &err);
	CXF_CHECK(st == CX_OK, "normalized form '%s' refused: %s", norm,
		  err.message);
	CXF_CHECK(strcmp(norm, norm2) == 0,
		  "normalize not idempotent: '%s' -> '%s' -> '%s'", str, norm,
		  norm2);
	st = cx_jid_parse(&j2, norm, &err);
	CXF_CHECK(st == CX_OK, "normalized form refused: %s", err.message);
	CXF_CHECK(cx_jid_equal(j, j2) && cx_jid_equal(j2, j),
		  "reparsed JID differs");
	CXF_CHECK(str_eq(cx_jid_local(j), cx_jid_local(j2)) &&
			  str_eq(cx_jid_domain(j), cx_jid_domain(j2)) &&
			  str_eq(cx_jid_resource(j), cx_jid_resource(j2)),
		  "reparsed parts differ");

	/* equality */
	CXF_CHECK(cx_jid_equal(j, j), "equal not reflexive");
	CXF_CHECK(cx_jid_equal_bare(j, j), "equal_bare not reflexive");
	CXF_CHECK(!cx_jid_equal(j, NULL) && !cx_jid_equal(NULL, j),
		  "equal to NULL");

	/* copy, bare, rebuilt from parts */
	CXF_CHECK(cx_jid_copy(&c, j, &err) == CX_OK, "copy: %s", err.message);
	CXF_CHECK(cx_jid_equal(j, c) &&
			  strcmp(cx_jid_string(c), cx_jid_string(j)) == 0,
		  "copy differs");
	CXF_CHECK(cx_jid_bare(&b, j, &err) == CX_OK, "bare: %s", err.message);
	check_parts(b);
	CXF_CHECK(cx_jid_is_bare(b), "bare JID has a resource");
	CXF_CHECK(cx_jid_equal_bare(j, b), "bare JID not equal_bare");
	CXF_CHECK(strcmp(cx_jid_string(b), cx_jid_bare_string(j)) == 0,
		  "bare string differs");
	CXF_CHECK(cx_jid_equal(j, b) == cx_jid_is_bare(j),
		  "equal to its bare JID although it has a resource");
	st = cx_jid_new(&n, cx_jid_local(j), cx_jid_domain(j),
			cx_jid_resource(j), &err);
	CXF_CHECK(st == CX_OK, "parts of '%s' refused by cx_jid_new: %s",
		  cx_jid_string(j), err.message);
	CXF_CHECK(cx_jid_equal(j, n), "rebuilt '%s' vs '%s'",
		  cx_jid_string(n), cx_jid_string(j));
out:
	cx_jid_free(j);
	cx_jid_free(j2);
	cx_jid_free(c);
	cx_jid_free(b);
	cx_jid_free(n);
	cx_free(norm);
	cx_free(norm2);
	free(str);
	return 0;
}

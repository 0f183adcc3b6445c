/*
 * Fuzz target: stanzas from text (include/cxmpp/stanza.h).
 *
 * Input: the text of one stanza. Invariants: a refusal is one of the
 * documented statuses, with a message and no stanza; an accepted stanza
 * serializes, the text parses back and serializes to the same text, with the
 * same kind, attributes and error reading; a copy serializes the same;
 * cx_stanza_get_error gives one of its three verdicts, and a valid error
 * names a defined condition and a valid type; an answerable stanza (a message or presence not
 * of type error, an iq get or set) gets an error reply that reads back as the error that was put in.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cxmpp/stanza.h"
#include "tests/fuzz/fuzz.h"

static const char *const conditions[] = {
	CX_STANZA_ERR_BAD_REQUEST, CX_STANZA_ERR_ITEM_NOT_FOUND,
	CX_STANZA_ERR_SERVICE_UNAVAILABLE, CX_STANZA_ERR_UNDEFINED_CONDITION,
};

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static cx_status
read_error(const cx_stanza *s, cx_error *e)
{
	cx_status st;

	cx_error_clear(e);
	st = cx_stanza_get_error(s, e);
	CXF_CHECK(st == CX_ERR_STANZA_ERROR || st == CX_ERR_NOT_FOUND ||
			  st == CX_ERR_PROTOCOL,
		  "get_error gave %d", st);
	CXF_CHECK(e->status == st, "get_error: out->status %d, returned %d",
		  e->status, st);
	if (st == CX_ERR_STANZA_ERROR) {
		CXF_CHECK(cx_stanza_error_default_type(e->condition) != NULL,
			  "valid error with condition '%s'", e->condition);
		CXF_CHECK(cx_stanza_error_type_valid(e->error_type),
			  "valid error with type '%s'", e->error_type);
	}
	if (st == CX_ERR_PROTOCOL)
		CXF_CHECK(strcmp(e->condition, "undefined-condition") == 0,
			  "broken error reads as '%s'", e->condition);
	CXF_CHECK(st == CX_ERR_NOT_FOUND ||
			  str_eq(cx_stanza_get_type(s), "error"),
		  "error read from a stanza of type '%s'",
		  cx_stanza_get_type(s));
	return st;
}

static void
same_error(const cx_error *a, const cx_error *b)
{
	CXF_CHECK(a->status == b->status &&
			  strcmp(a->condition, b->condition) == 0 &&
			  strcmp(a->error_type, b->error_type) == 0 &&
			  strcmp(a->text, b->text) == 0 &&
			  strcmp(a->app_condition, b->app_condition) == 0 &&
			  strcmp(a->app_ns, b->app_ns) == 0,
		  "error reads differently after a round trip: %d %s/%s/%s "
		  "vs %d %s/%s/%s",
		  a->status, a->condition, a->error_type, a->app_condition,
		  b->status, b->condition, b->error_type, b->app_condition);
}

static void
check_reply(const cx_stanza *s, size_t pick)
{
	const char *cond = conditions[pick % 4];
	cx_stanza *reply = NULL;
	cx_error err = CX_ERROR_INIT, e = CX_ERROR_INIT;
	cx_stanza_kind k = cx_stanza_get_kind(s);
	const char *type = cx_stanza_get_type(s);
	cx_status st;

	st = cx_stanza_new_error_reply(&reply, s, cond, NULL, "fuzz", &err);
	if (k == CX_STANZA_OTHER || str_eq(type, "error") ||
	    (k == CX_STANZA_IQ && (type == NULL || str_eq(type, "result")))) {
		CXF_CHECK(st == CX_ERR_INVALID, "answered a %s of type %s: %d",
			  k == CX_STANZA_OTHER ? "non-stanza" : "stanza",
			  type ? type : "(none)", st);
		return;
	}
	if (st != CX_OK) {
		/* only what the reply copies from the request can fail */
		CXF_CHECK(st == CX_ERR_NOMEM, "no error reply: %d %s", st,
			  err.message);
		return;
	}
	CXF_CHECK(read_error(reply, &e) == CX_ERR_STANZA_ERROR,
		  "the error reply does not read as an error: %s", e.message);
	CXF_CHECK(strcmp(e.condition, cond) == 0 &&
			  strcmp(e.error_type,
				 cx_stanza_error_default_type(cond)) == 0 &&
			  strcmp(e.text, "fuzz") == 0,
		  "reply reads %s/%s/%s", e.condition, e.error_type, e.text);
	CXF_CHECK(str_eq(cx_stanza_get_id(reply), cx_stanza_get_id(s)) &&
			  str_eq(cx_stanza_get_to(reply), cx_stanza_get_from(s)) &&
			  str_eq(cx_stanza_get_from(reply), cx_stanza_get_to(s)),
		  "reply addressing");
	cx_stanza_unref(reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cx_stanza *s = NULL, *s2 = NULL, *c = NULL;
	cx_error err = CX_ERROR_INIT, e1, e2;
	char *t1 = NULL, *t2 = NULL, *tc = NULL;
	cx_status st;

	st = cx_stanza_from_string(&s, (const char *)data, size, &err);
	if (st != CX_OK) {
		CXF_CHECK(st == CX_ERR_XML_MALFORMED ||
				  st == CX_ERR_XML_ENCODING ||
				  st == CX_ERR_XML_RESTRICTED ||
				  st == CX_ERR_XML_TOO_BIG ||
				  st == CX_ERR_XML_TOO_DEEP ||
				  st == CX_ERR_XML_TOO_MANY ||
				  st == CX_ERR_XML_NAMESPACE ||
				  st == CX_ERR_INVALID || st == CX_ERR_NOMEM,
			  "refused with %d", st);
		CXF_CHECK(err.status == st && err.message[0] != '\0',
			  "refusal %d without a message", st);
		CXF_CHECK(s == NULL, "stanza set on failure");
		return 0;
	}
	CXF_CHECK(s != NULL && cx_stanza_node(s) != NULL, "no stanza");

	st = cx_stanza_to_string(&t1, s, &err);
	CXF_CHECK(st == CX_OK, "accepted stanza does not serialize: %d %s", st,
		  err.message);
	st = cx_stanza_from_string(&s2, t1, strlen(t1), &err);
	CXF_CHECK(st == CX_OK, "serialized stanza refused (%d %s): %s", st,
		  err.message, t1);
	st = cx_stanza_to_string(&t2, s2, &err);
	CXF_CHECK(st == CX_OK, "reparsed stanza does not serialize: %d", st);
	CXF_CHECK(strcmp(t1, t2) == 0, "serialization not stable:\n%s\n%s", t1,
		  t2);
	CXF_CHECK(cx_stanza_get_kind(s) == cx_stanza_get_kind(s2) &&
			  str_eq(cx_stanza_get_type(s), cx_stanza_get_type(s2)) &&
			  str_eq(cx_stanza_get_id(s), cx_stanza_get_id(s2)) &&
			  str_eq(cx_stanza_get_from(s), cx_stanza_get_from(s2)) &&
			  str_eq(cx_stanza_get_to(s), cx_stanza_get_to(s2)) &&
			  str_eq(cx_stanza_get_lang(s), cx_stanza_get_lang(s2)),
		  "attributes differ after a round trip: %s", t1);
	read_error(s, &e1);
	read_error(s2, &e2);
	same_error(&e1, &e2);

	st = cx_stanza_copy(&c, s, &err);
	CXF_CHECK(st == CX_OK, "copy: %d %s", st, err.message);
	st = cx_stanza_to_string(&tc, c, &err);
	CXF_CHECK(st == CX_OK && strcmp(tc, t1) == 0, "copy serializes "
		  "differently: %s", tc ? tc : "(failed)");

	check_reply(s, size);

	cx_free(t1);
	cx_free(t2);
	cx_free(tc);
	cx_stanza_unref(s);
	cx_stanza_unref(s2);
	cx_stanza_unref(c);
	return 0;
}

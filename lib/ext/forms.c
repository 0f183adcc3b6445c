/*
 * lib/ext/forms.c - XEP-0004 data forms.
 *
 * Design notes:
 * - The form is a plain model, detached from any libxml2 document: parsing
 *   copies every string out of the tree and building writes a fresh
 *   subtree. A form therefore outlives the stanza it came in, and one form
 *   can be built into many stanzas (a caps responder, a PubSub config).
 * - Parsing is strict about what the spec says MUST hold (form and field
 *   types, var on non-fixed fields, unique vars, one value in
 *   single-valued fields, booleans, options with one value, reported before
 *   items), and silent about extensions (unknown elements are skipped), so
 *   that a form from a newer peer still reads. Values of received list and
 *   JID fields are not checked against options or JID rules: a client shows
 *   what it got. What we put in ourselves goes through cx_form_set_values,
 *   which checks everything.
 * - Every count is capped (CX_FORM_MAX_*) before anything is allocated for
 *   it, so a hostile form costs at most the caps, never a crash.
 * - Building constructs the whole <x/> detached and links it to the parent
 *   only when it is complete, so a failure leaves the parent unchanged.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/forms.h"
#include "cxmpp/jid.h"
#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/ext/ext_util.h"

typedef struct strv {
	char **v;
	size_t n, cap;
} strv;

typedef struct fieldv {
	cx_form_field **v;
	size_t n, cap;
} fieldv;

struct cx_form_field {
	cx_field_type type;
	char *var;
	char *label;
	char *desc;
	bool required;
	bool open;
	strv values;
	strv opt_labels; /* parallel to opt_values; entries may be NULL */
	strv opt_values;
};

struct cx_form {
	cx_form_type type;
	char *title;
	strv instructions;
	fieldv fields;
	fieldv reported;
	fieldv *items;
	size_t nitems, capitems;
	size_t cells; /* fields over all items */
};

static const char *const form_type_names[] = {
	NULL, "form", "submit", "cancel", "result"
};

static const char *const field_type_names[] = {
	NULL, "boolean", "fixed", "hidden", "jid-multi", "jid-single",
	"list-multi", "list-single", "text-multi", "text-private", "text-single"
};

#define N_FIELD_TYPES (sizeof(field_type_names) / sizeof(field_type_names[0]))

const char *
cx_form_type_name(cx_form_type type)
{
	if (type < CX_FORM_FORM || type > CX_FORM_RESULT)
		return NULL;
	return form_type_names[type];
}

const char *
cx_field_type_name(cx_field_type type)
{
	if ((unsigned)type >= N_FIELD_TYPES)
		return NULL;
	return field_type_names[type];
}

static bool
field_type_valid(cx_field_type t)
{
	return (unsigned)t < N_FIELD_TYPES;
}

static bool
field_multi(cx_field_type t)
{
	return t == CX_FIELD_JID_MULTI || t == CX_FIELD_LIST_MULTI ||
	       t == CX_FIELD_TEXT_MULTI || t == CX_FIELD_UNSPECIFIED;
}

static bool
field_list(cx_field_type t)
{
	return t == CX_FIELD_LIST_SINGLE || t == CX_FIELD_LIST_MULTI;
}

/* ---- small helpers ------------------------------------------------------ */

static cx_status
check_text(const char *s, const char *what, cx_error *err)
{
	if (s != NULL && !cxi_ext_text_ok(s))
		return cxi_error_set(err, CX_ERR_XML_ENCODING,
				     "data form: %s is not valid UTF-8 XML text",
				     what);
	return CX_OK;
}

/* Copies s into *dst (freeing the old string); s may be NULL. */
static cx_status
replace_str(char **dst, const char *s, cx_error *err)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	free(*dst);
	*dst = copy;
	return CX_OK;
}

static void
strv_clear(strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = sv->cap = 0;
}

/* Appends s (taking ownership of it, which may be NULL) to sv. */
static cx_status
strv_push_owned(strv *sv, char *s)
{
	if (sv->n == sv->cap) {
		size_t cap = sv->cap ? sv->cap * 2 : 4;
		char **v = realloc(sv->v, cap * sizeof(*v));

		if (v == NULL)
			return CX_ERR_NOMEM;
		sv->v = v;
		sv->cap = cap;
	}
	sv->v[sv->n++] = s;
	return CX_OK;
}

/* Appends a copy of s (which may be NULL). */
static cx_status
strv_push(strv *sv, const char *s)
{
	char *copy = NULL;

	if (s != NULL && (copy = strdup(s)) == NULL)
		return CX_ERR_NOMEM;
	if (strv_push_owned(sv, copy) != CX_OK) {
		free(copy);
		return CX_ERR_NOMEM;
	}
	return CX_OK;
}

static cx_status
strv_copy(strv *dst, const strv *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (strv_push(dst, src->v[i]) != CX_OK)
			return CX_ERR_NOMEM;
	return CX_OK;
}

static void
field_free(cx_form_field *f)
{
	if (f == NULL)
		return;
	free(f->var);
	free(f->label);
	free(f->desc);
	strv_clear(&f->values);
	strv_clear(&f->opt_labels);
	strv_clear(&f->opt_values);
	free(f);
}

static void
fieldv_clear(fieldv *fv)
{
	for (size_t i = 0; i < fv->n; i++)
		field_free(fv->v[i]);
	free(fv->v);
	fv->v = NULL;
	fv->n = fv->cap = 0;
}

static cx_status
fieldv_push(fieldv *fv, cx_form_field *f)
{
	if (fv->n == fv->cap) {
		size_t cap = fv->cap ? fv->cap * 2 : 8;
		cx_form_field **v = realloc(fv->v, cap * sizeof(*v));

		if (v == NULL)
			return CX_ERR_NOMEM;
		fv->v = v;
		fv->cap = cap;
	}
	fv->v[fv->n++] = f;
	return CX_OK;
}

static cx_form_field *
fieldv_find(const fieldv *fv, const char *var)
{
	if (var == NULL)
		return NULL;
	for (size_t i = 0; i < fv->n; i++)
		if (fv->v[i]->var != NULL && strcmp(fv->v[i]->var, var) == 0)
			return fv->v[i];
	return NULL;
}

static cx_form_field *
field_new(cx_field_type type)
{
	cx_form_field *f = calloc(1, sizeof(*f));

	if (f != NULL)
		f->type = type;
	return f;
}

static cx_form_field *
field_copy(const cx_form_field *src)
{
	cx_form_field *f = field_new(src->type);

	if (f == NULL)
		return NULL;
	f->required = src->required;
	f->open = src->open;
	if ((src->var && (f->var = strdup(src->var)) == NULL) ||
	    (src->label && (f->label = strdup(src->label)) == NULL) ||
	    (src->desc && (f->desc = strdup(src->desc)) == NULL) ||
	    strv_copy(&f->values, &src->values) != CX_OK ||
	    strv_copy(&f->opt_labels, &src->opt_labels) != CX_OK ||
	    strv_copy(&f->opt_values, &src->opt_values) != CX_OK) {
		field_free(f);
		return NULL;
	}
	return f;
}

static cx_status
fieldv_copy(fieldv *dst, const fieldv *src)
{
	for (size_t i = 0; i < src->n; i++) {
		cx_form_field *f = field_copy(src->v[i]);

		if (f == NULL || fieldv_push(dst, f) != CX_OK) {
			field_free(f);
			return CX_ERR_NOMEM;
		}
	}
	return CX_OK;
}

/* ---- lifetime ----------------------------------------------------------- */

cx_status
cx_form_new(cx_form **out, cx_form_type type, cx_error *err)
{
	cx_form *f;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (cx_form_type_name(type) == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "unknown data form type %d", (int)type);
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	f->type = type;
	*out = f;
	return CX_OK;
}

void
cx_form_free(cx_form *f)
{
	if (f == NULL)
		return;
	free(f->title);
	strv_clear(&f->instructions);
	fieldv_clear(&f->fields);
	fieldv_clear(&f->reported);
	for (size_t i = 0; i < f->nitems; i++)
		fieldv_clear(&f->items[i]);
	free(f->items);
	free(f);
}

static cx_status
items_grow(cx_form *f)
{
	if (f->nitems == f->capitems) {
		size_t cap = f->capitems ? f->capitems * 2 : 8;
		fieldv *v = realloc(f->items, cap * sizeof(*v));

		if (v == NULL)
			return CX_ERR_NOMEM;
		f->items = v;
		f->capitems = cap;
	}
	memset(&f->items[f->nitems], 0, sizeof(fieldv));
	f->nitems++;
	return CX_OK;
}

cx_status
cx_form_copy(cx_form **out, const cx_form *src, cx_error *err)
{
	cx_form *f = NULL;
	cx_status st;

	if (out == NULL || src == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if ((st = cx_form_new(&f, src->type, err)) != CX_OK)
		return st;
	if ((src->title && (f->title = strdup(src->title)) == NULL) ||
	    strv_copy(&f->instructions, &src->instructions) != CX_OK ||
	    fieldv_copy(&f->fields, &src->fields) != CX_OK ||
	    fieldv_copy(&f->reported, &src->reported) != CX_OK)
		goto nomem;
	for (size_t i = 0; i < src->nitems; i++) {
		if (items_grow(f) != CX_OK ||
		    fieldv_copy(&f->items[i], &src->items[i]) != CX_OK)
			goto nomem;
	}
	f->cells = src->cells;
	*out = f;
	return CX_OK;
nomem:
	cx_form_free(f);
	return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
}

/* ---- parsing ------------------------------------------------------------ */

static bool
is_elem(const xmlNode *n, const char *ns, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       (name == NULL || strcmp((const char *)n->name, name) == 0);
}

/* Copy of an attribute (no namespace) as a malloc'd string, or NULL. */
static char *
attr_dup(const xmlNode *n, const char *name, bool *nomem)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		cxi_buf b = CXI_BUF_INIT;
		char *s;

		if (a->ns != NULL || strcmp((const char *)a->name, name) != 0)
			continue;
		for (const xmlNode *t = a->children; t != NULL; t = t->next)
			if (t->content != NULL &&
			    cxi_buf_append_str(&b, (const char *)t->content) != CX_OK)
				goto fail;
		s = cxi_buf_strdup(&b);
		cxi_buf_free(&b);
		if (s == NULL)
			*nomem = true;
		return s;
fail:
		cxi_buf_free(&b);
		*nomem = true;
		return NULL;
	}
	return NULL;
}

/* The character data of an element (text and CDATA children), malloc'd. */
static char *
text_dup(const xmlNode *n)
{
	cxi_buf b = CXI_BUF_INIT;
	char *s;

	for (const xmlNode *t = n->children; t != NULL; t = t->next) {
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) &&
		    t->content != NULL &&
		    cxi_buf_append_str(&b, (const char *)t->content) != CX_OK) {
			cxi_buf_free(&b);
			return NULL;
		}
	}
	s = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	return s;
}

static const char *
field_label_for_err(const cx_form_field *f)
{
	return f->var ? f->var : "(no var)";
}

static cx_status
parse_field_type(cx_field_type *out, const char *s)
{
	if (s == NULL) {
		*out = CX_FIELD_UNSPECIFIED;
		return CX_OK;
	}
	for (size_t i = 1; i < N_FIELD_TYPES; i++) {
		if (strcmp(s, field_type_names[i]) == 0) {
			*out = (cx_field_type)i;
			return CX_OK;
		}
	}
	return CX_ERR_PROTOCOL;
}

static bool
bool_valid(const char *v, int *out)
{
	if (strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
		if (out)
			*out = 1;
		return true;
	}
	if (strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
		if (out)
			*out = 0;
		return true;
	}
	return false;
}

#define NOMEM() cxi_error_set(err, CX_ERR_NOMEM, "out of memory")

/*
 * Parses a <field/>. `need_var`: a var is required even for fixed fields
 * (item fields).
 */
static cx_status
parse_field(cx_form_field **out, const xmlNode *n, bool need_var,
	    cx_error *err)
{
	cx_form_field *f = NULL;
	char *type = NULL;
	bool nomem = false;
	cx_status st = CX_OK;
	cx_field_type t;

	type = attr_dup(n, "type", &nomem);
	if (nomem)
		goto nomem;
	if (parse_field_type(&t, type) != CX_OK) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "data form: unknown field type '%.64s'", type);
		goto out;
	}
	if ((f = field_new(t)) == NULL)
		goto nomem;
	f->var = attr_dup(n, "var", &nomem);
	f->label = nomem ? NULL : attr_dup(n, "label", &nomem);
	if (nomem)
		goto nomem;
	if (f->var == NULL && (need_var || t != CX_FIELD_FIXED)) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "data form: a %s field has no 'var'",
				   t == CX_FIELD_UNSPECIFIED ? "text-single"
							     : field_type_names[t]);
		goto out;
	}
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (is_elem(c, CX_NS_DATA_VALIDATE, "validate")) {
			for (const xmlNode *v = c->children; v; v = v->next)
				if (is_elem(v, CX_NS_DATA_VALIDATE, "open"))
					f->open = true;
			continue;
		}
		if (!is_elem(c, CX_NS_DATA_FORMS, NULL))
			continue;
		if (strcmp((const char *)c->name, "desc") == 0) {
			if (f->desc != NULL) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: field '%.64s' has two <desc/>",
						   field_label_for_err(f));
				goto out;
			}
			if ((f->desc = text_dup(c)) == NULL)
				goto nomem;
		} else if (strcmp((const char *)c->name, "required") == 0) {
			f->required = true;
		} else if (strcmp((const char *)c->name, "value") == 0) {
			char *v;

			if (f->values.n >= CX_FORM_MAX_VALUES) {
				st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
						   "data form: field '%.64s' has more than %u values",
						   field_label_for_err(f),
						   CX_FORM_MAX_VALUES);
				goto out;
			}
			if (f->values.n >= 1 && !field_multi(t)) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: %s field '%.64s' has several values",
						   field_type_names[t],
						   field_label_for_err(f));
				goto out;
			}
			if ((v = text_dup(c)) == NULL)
				goto nomem;
			if (t == CX_FIELD_BOOLEAN && !bool_valid(v, NULL)) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: boolean field '%.64s' has value '%.32s'",
						   field_label_for_err(f), v);
				free(v);
				goto out;
			}
			if (strv_push_owned(&f->values, v) != CX_OK) {
				free(v);
				goto nomem;
			}
		} else if (strcmp((const char *)c->name, "option") == 0) {
			const xmlNode *val = NULL;
			int nval = 0;
			char *label, *v;

			if (f->opt_values.n >= CX_FORM_MAX_OPTIONS) {
				st = cxi_error_set(err, CX_ERR_XML_TOO_MANY,
						   "data form: field '%.64s' has more than %u options",
						   field_label_for_err(f),
						   CX_FORM_MAX_OPTIONS);
				goto out;
			}
			for (const xmlNode *o = c->children; o; o = o->next) {
				if (is_elem(o, CX_NS_DATA_FORMS, "value")) {
					val = o;
					nval++;
				}
			}
			if (nval != 1) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: an option of field '%.64s' has %d values",
						   field_label_for_err(f), nval);
				goto out;
			}
			label = attr_dup(c, "label", &nomem);
			if (nomem)
				goto nomem;
			if ((v = text_dup(val)) == NULL) {
				free(label);
				goto nomem;
			}
			if (strv_push_owned(&f->opt_labels, label) != CX_OK) {
				free(label);
				free(v);
				goto nomem;
			}
			if (strv_push_owned(&f->opt_values, v) != CX_OK) {
				free(v);
				f->opt_labels.n--;
				free(label);
				goto nomem;
			}
		}
	}
	*out = f;
	f = NULL;
	goto out;
nomem:
	st = NOMEM();
out:
	free(type);
	field_free(f);
	return st;
}

static cx_status
too_many(cx_error *err, const char *what, unsigned max)
{
	return cxi_error_set(err, CX_ERR_XML_TOO_MANY,
			     "data form: more than %u %s", max, what);
}

static cx_status
parse_item(cx_form *f, const xmlNode *n, cx_error *err)
{
	fieldv *item;
	cx_status st;

	if (f->nitems >= CX_FORM_MAX_ITEMS)
		return too_many(err, "items", CX_FORM_MAX_ITEMS);
	if (items_grow(f) != CX_OK)
		return NOMEM();
	item = &f->items[f->nitems - 1];
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		cx_form_field *fld = NULL;

		if (!is_elem(c, CX_NS_DATA_FORMS, "field"))
			continue;
		if (f->cells >= CX_FORM_MAX_CELLS)
			return too_many(err, "fields over all items",
					CX_FORM_MAX_CELLS);
		if ((st = parse_field(&fld, c, true, err)) != CX_OK)
			return st;
		if ((f->reported.n > 0 && !fieldv_find(&f->reported, fld->var)) ||
		    fieldv_find(item, fld->var)) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "data form: item field '%.64s' is %s",
					   fld->var,
					   fieldv_find(item, fld->var)
						   ? "repeated in its item"
						   : "not among the reported fields");
			field_free(fld);
			return st;
		}
		if (fieldv_push(item, fld) != CX_OK) {
			field_free(fld);
			return NOMEM();
		}
		f->cells++;
	}
	return CX_OK;
}

/* Parses the fields of <x/> or of <reported/> into fv. */
static cx_status
parse_field_into(fieldv *fv, const xmlNode *c, cx_error *err)
{
	cx_form_field *fld = NULL;
	cx_status st;

	if (fv->n >= CX_FORM_MAX_FIELDS)
		return too_many(err, "fields", CX_FORM_MAX_FIELDS);
	if ((st = parse_field(&fld, c, false, err)) != CX_OK)
		return st;
	if (fld->var != NULL && fieldv_find(fv, fld->var) != NULL) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "data form: two fields with var '%.64s'",
				   fld->var);
		field_free(fld);
		return st;
	}
	if (fieldv_push(fv, fld) != CX_OK) {
		field_free(fld);
		return NOMEM();
	}
	return CX_OK;
}

cx_status
cx_form_parse(cx_form **out, const xmlNode *x, cx_error *err)
{
	cx_form *f = NULL;
	char *type = NULL;
	bool nomem = false, seen_reported = false;
	cx_status st = CX_OK;
	cx_form_type ft = 0;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || x == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (!is_elem(x, CX_NS_DATA_FORMS, "x"))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "not a {jabber:x:data}x element");
	type = attr_dup(x, "type", &nomem);
	if (nomem)
		return NOMEM();
	if (type == NULL)
		return cxi_error_set(err, CX_ERR_PROTOCOL,
				     "data form: no 'type' attribute");
	for (int i = CX_FORM_FORM; i <= CX_FORM_RESULT; i++)
		if (strcmp(type, form_type_names[i]) == 0)
			ft = (cx_form_type)i;
	if (ft == 0) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "data form: unknown type '%.64s'", type);
		goto out;
	}
	if ((st = cx_form_new(&f, ft, err)) != CX_OK)
		goto out;
	for (const xmlNode *c = x->children; c != NULL; c = c->next) {
		const char *name = (const char *)c->name;

		if (!is_elem(c, CX_NS_DATA_FORMS, NULL))
			continue;
		if (strcmp(name, "title") == 0) {
			if (f->title != NULL) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: two <title/>s");
				goto out;
			}
			if ((f->title = text_dup(c)) == NULL)
				goto nomem;
		} else if (strcmp(name, "instructions") == 0) {
			char *s;

			if (f->instructions.n >= CX_FORM_MAX_INSTRUCTIONS) {
				st = too_many(err, "instructions",
					      CX_FORM_MAX_INSTRUCTIONS);
				goto out;
			}
			if ((s = text_dup(c)) == NULL)
				goto nomem;
			if (strv_push_owned(&f->instructions, s) != CX_OK) {
				free(s);
				goto nomem;
			}
		} else if (strcmp(name, "field") == 0) {
			if ((st = parse_field_into(&f->fields, c, err)) != CX_OK)
				goto out;
		} else if (strcmp(name, "reported") == 0) {
			if (seen_reported || f->nitems > 0) {
				st = cxi_error_set(err, CX_ERR_PROTOCOL,
						   "data form: <reported/> %s",
						   seen_reported ? "twice"
								 : "after an <item/>");
				goto out;
			}
			seen_reported = true;
			for (const xmlNode *r = c->children; r; r = r->next) {
				if (!is_elem(r, CX_NS_DATA_FORMS, "field"))
					continue;
				if ((st = parse_field_into(&f->reported, r,
							   err)) != CX_OK)
					goto out;
				if (f->reported.v[f->reported.n - 1]->var == NULL) {
					st = cxi_error_set(err, CX_ERR_PROTOCOL,
							   "data form: a reported field has no 'var'");
					goto out;
				}
			}
		} else if (strcmp(name, "item") == 0) {
			if ((st = parse_item(f, c, err)) != CX_OK)
				goto out;
		}
	}
	*out = f;
	f = NULL;
	goto out;
nomem:
	st = NOMEM();
out:
	free(type);
	cx_form_free(f);
	return st;
}

cx_status
cx_form_parse_child(cx_form **out, const xmlNode *parent, cx_error *err)
{
	if (out != NULL)
		*out = NULL;
	if (out == NULL || parent == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	for (const xmlNode *c = parent->children; c != NULL; c = c->next)
		if (is_elem(c, CX_NS_DATA_FORMS, "x"))
			return cx_form_parse(out, c, err);
	return cxi_error_set(err, CX_ERR_NOT_FOUND,
			     "no {jabber:x:data}x child");
}

/* ---- building ----------------------------------------------------------- */

static bool
build_field(xmlNodePtr parent, xmlNsPtr ns, const cx_form_field *f,
	    bool with_details)
{
	xmlNodePtr n = xmlNewChild(parent, ns, BAD_CAST "field", NULL);

	if (n == NULL)
		return false;
	if (f->var && !xmlNewProp(n, BAD_CAST "var", BAD_CAST f->var))
		return false;
	if (f->type != CX_FIELD_UNSPECIFIED &&
	    !xmlNewProp(n, BAD_CAST "type", BAD_CAST field_type_names[f->type]))
		return false;
	if (with_details && f->label &&
	    !xmlNewProp(n, BAD_CAST "label", BAD_CAST f->label))
		return false;
	if (with_details && f->desc &&
	    !xmlNewTextChild(n, ns, BAD_CAST "desc", BAD_CAST f->desc))
		return false;
	if (with_details && f->required &&
	    !xmlNewChild(n, ns, BAD_CAST "required", NULL))
		return false;
	for (size_t i = 0; i < f->values.n; i++)
		if (!xmlNewTextChild(n, ns, BAD_CAST "value",
				     BAD_CAST f->values.v[i]))
			return false;
	if (!with_details)
		return true;
	for (size_t i = 0; i < f->opt_values.n; i++) {
		xmlNodePtr o = xmlNewChild(n, ns, BAD_CAST "option", NULL);

		if (o == NULL ||
		    (f->opt_labels.v[i] &&
		     !xmlNewProp(o, BAD_CAST "label", BAD_CAST f->opt_labels.v[i])) ||
		    !xmlNewTextChild(o, ns, BAD_CAST "value",
				     BAD_CAST f->opt_values.v[i]))
			return false;
	}
	if (f->open) {
		xmlNodePtr v = xmlNewChild(n, NULL, BAD_CAST "validate", NULL);
		xmlNsPtr vns;

		if (v == NULL ||
		    (vns = xmlNewNs(v, BAD_CAST CX_NS_DATA_VALIDATE, NULL)) == NULL)
			return false;
		xmlSetNs(v, vns);
		if (!xmlNewProp(v, BAD_CAST "datatype", BAD_CAST "xs:string") ||
		    !xmlNewChild(v, vns, BAD_CAST "open", NULL))
			return false;
	}
	return true;
}

cx_status
cx_form_build(xmlNodePtr *out, const cx_form *f, xmlNodePtr parent,
	      cx_error *err)
{
	xmlNodePtr x;
	xmlNsPtr ns;

	if (out != NULL)
		*out = NULL;
	if (f == NULL || parent == NULL || parent->type != XML_ELEMENT_NODE)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "form or parent element missing");
	x = xmlNewDocNode(parent->doc, NULL, BAD_CAST "x", NULL);
	if (x == NULL)
		return NOMEM();
	if ((ns = xmlNewNs(x, BAD_CAST CX_NS_DATA_FORMS, NULL)) == NULL)
		goto nomem;
	xmlSetNs(x, ns);
	if (!xmlNewProp(x, BAD_CAST "type", BAD_CAST form_type_names[f->type]))
		goto nomem;
	if (f->title && !xmlNewTextChild(x, ns, BAD_CAST "title", BAD_CAST f->title))
		goto nomem;
	for (size_t i = 0; i < f->instructions.n; i++)
		if (!xmlNewTextChild(x, ns, BAD_CAST "instructions",
				     BAD_CAST f->instructions.v[i]))
			goto nomem;
	for (size_t i = 0; i < f->fields.n; i++)
		if (!build_field(x, ns, f->fields.v[i], true))
			goto nomem;
	if (f->reported.n > 0) {
		xmlNodePtr r = xmlNewChild(x, ns, BAD_CAST "reported", NULL);

		if (r == NULL)
			goto nomem;
		for (size_t i = 0; i < f->reported.n; i++)
			if (!build_field(r, ns, f->reported.v[i], true))
				goto nomem;
	}
	for (size_t i = 0; i < f->nitems; i++) {
		xmlNodePtr it = xmlNewChild(x, ns, BAD_CAST "item", NULL);

		if (it == NULL)
			goto nomem;
		for (size_t j = 0; j < f->items[i].n; j++)
			if (!build_field(it, ns, f->items[i].v[j], false))
				goto nomem;
	}
	if (xmlAddChild(parent, x) == NULL)
		goto nomem;
	if (out != NULL)
		*out = x;
	return CX_OK;
nomem:
	xmlFreeNode(x);
	return NOMEM();
}

/* ---- attributes --------------------------------------------------------- */

cx_form_type
cx_form_get_type(const cx_form *f)
{
	return f ? f->type : 0;
}

const char *
cx_form_get_title(const cx_form *f)
{
	return f ? f->title : NULL;
}

cx_status
cx_form_set_title(cx_form *f, const char *title, cx_error *err)
{
	cx_status st;

	if (f == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form is NULL");
	if ((st = check_text(title, "the title", err)) != CX_OK)
		return st;
	return replace_str(&f->title, title, err);
}

size_t
cx_form_instructions_count(const cx_form *f)
{
	return f ? f->instructions.n : 0;
}

const char *
cx_form_get_instructions(const cx_form *f, size_t i)
{
	return f && i < f->instructions.n ? f->instructions.v[i] : NULL;
}

cx_status
cx_form_add_instructions(cx_form *f, const char *text, cx_error *err)
{
	cx_status st;

	if (f == NULL || text == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((st = check_text(text, "the instructions", err)) != CX_OK)
		return st;
	if (f->instructions.n >= CX_FORM_MAX_INSTRUCTIONS)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u instructions",
				     CX_FORM_MAX_INSTRUCTIONS);
	if (strv_push(&f->instructions, text) != CX_OK)
		return NOMEM();
	return CX_OK;
}

const char *
cx_form_get_form_type(const cx_form *f)
{
	cx_form_field *fld;

	if (f == NULL)
		return NULL;
	fld = fieldv_find(&f->fields, "FORM_TYPE");
	if (fld == NULL || fld->values.n == 0 ||
	    (fld->type != CX_FIELD_HIDDEN && fld->type != CX_FIELD_UNSPECIFIED))
		return NULL;
	return fld->values.v[0];
}

/* ---- fields ------------------------------------------------------------- */

size_t
cx_form_field_count(const cx_form *f)
{
	return f ? f->fields.n : 0;
}

cx_form_field *
cx_form_field_at(const cx_form *f, size_t i)
{
	return f && i < f->fields.n ? f->fields.v[i] : NULL;
}

cx_form_field *
cx_form_find_field(const cx_form *f, const char *var)
{
	return f ? fieldv_find(&f->fields, var) : NULL;
}

static cx_status
add_field_to(cx_form_field **out, fieldv *fv, cx_field_type type,
	     const char *var, const char *label, cx_error *err)
{
	cx_form_field *fld;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (!field_type_valid(type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "unknown field type %d", (int)type);
	if (var == NULL && type != CX_FIELD_FIXED)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "a field that is not fixed needs a var");
	if ((st = check_text(var, "the var", err)) != CX_OK ||
	    (st = check_text(label, "the label", err)) != CX_OK)
		return st;
	if (var != NULL && fieldv_find(fv, var) != NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "data form: var '%.64s' is already used", var);
	if (fv->n >= CX_FORM_MAX_FIELDS)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u fields",
				     CX_FORM_MAX_FIELDS);
	if ((fld = field_new(type)) == NULL)
		return NOMEM();
	if ((var && (fld->var = strdup(var)) == NULL) ||
	    (label && (fld->label = strdup(label)) == NULL) ||
	    fieldv_push(fv, fld) != CX_OK) {
		field_free(fld);
		return NOMEM();
	}
	if (out != NULL)
		*out = fld;
	return CX_OK;
}

cx_status
cx_form_add_field(cx_form_field **out, cx_form *f, cx_field_type type,
		  const char *var, const char *label, cx_error *err)
{
	if (f == NULL) {
		if (out != NULL)
			*out = NULL;
		return cxi_error_set(err, CX_ERR_INVALID, "form is NULL");
	}
	return add_field_to(out, &f->fields, type, var, label, err);
}

cx_status
cx_form_add_form_type(cx_form *f, const char *ns, cx_error *err)
{
	cx_form_field *fld;
	cx_status st;

	if (ns == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "namespace is NULL");
	if ((st = check_text(ns, "FORM_TYPE", err)) != CX_OK)
		return st;
	st = cx_form_add_field(&fld, f, CX_FIELD_HIDDEN, "FORM_TYPE", NULL, err);
	if (st != CX_OK)
		return st;
	if (strv_push(&fld->values, ns) != CX_OK)
		return NOMEM();
	return CX_OK;
}

cx_field_type
cx_form_field_get_type(const cx_form_field *fld)
{
	return fld ? fld->type : CX_FIELD_UNSPECIFIED;
}

const char *
cx_form_field_get_var(const cx_form_field *fld)
{
	return fld ? fld->var : NULL;
}

const char *
cx_form_field_get_label(const cx_form_field *fld)
{
	return fld ? fld->label : NULL;
}

const char *
cx_form_field_get_desc(const cx_form_field *fld)
{
	return fld ? fld->desc : NULL;
}

int
cx_form_field_is_required(const cx_form_field *fld)
{
	return fld && fld->required;
}

int
cx_form_field_is_open(const cx_form_field *fld)
{
	return fld && fld->open;
}

size_t
cx_form_field_value_count(const cx_form_field *fld)
{
	return fld ? fld->values.n : 0;
}

const char *
cx_form_field_get_value(const cx_form_field *fld, size_t i)
{
	return fld && i < fld->values.n ? fld->values.v[i] : NULL;
}

size_t
cx_form_field_option_count(const cx_form_field *fld)
{
	return fld ? fld->opt_values.n : 0;
}

const char *
cx_form_field_get_option_value(const cx_form_field *fld, size_t i)
{
	return fld && i < fld->opt_values.n ? fld->opt_values.v[i] : NULL;
}

const char *
cx_form_field_get_option_label(const cx_form_field *fld, size_t i)
{
	return fld && i < fld->opt_labels.n ? fld->opt_labels.v[i] : NULL;
}

cx_status
cx_form_field_set_desc(cx_form_field *fld, const char *desc, cx_error *err)
{
	cx_status st;

	if (fld == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "field is NULL");
	if ((st = check_text(desc, "the description", err)) != CX_OK)
		return st;
	return replace_str(&fld->desc, desc, err);
}

cx_status
cx_form_field_set_required(cx_form_field *fld, int required, cx_error *err)
{
	if (fld == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "field is NULL");
	fld->required = required != 0;
	return CX_OK;
}

cx_status
cx_form_field_set_open(cx_form_field *fld, int open, cx_error *err)
{
	if (fld == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "field is NULL");
	if (!field_list(fld->type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "only list fields can be open");
	fld->open = open != 0;
	return CX_OK;
}

cx_status
cx_form_field_add_option(cx_form_field *fld, const char *label,
			 const char *value, cx_error *err)
{
	cx_status st;

	if (fld == NULL || value == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if (!field_list(fld->type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "options belong to list fields only");
	if ((st = check_text(label, "the option label", err)) != CX_OK ||
	    (st = check_text(value, "the option value", err)) != CX_OK)
		return st;
	if (fld->opt_values.n >= CX_FORM_MAX_OPTIONS)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u options",
				     CX_FORM_MAX_OPTIONS);
	if (strv_push(&fld->opt_labels, label) != CX_OK)
		return NOMEM();
	if (strv_push(&fld->opt_values, value) != CX_OK) {
		free(fld->opt_labels.v[--fld->opt_labels.n]);
		return NOMEM();
	}
	return CX_OK;
}

cx_status
cx_form_field_add_value(cx_form_field *fld, const char *value, cx_error *err)
{
	cx_status st;

	if (fld == NULL || value == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((st = check_text(value, "a value", err)) != CX_OK)
		return st;
	if (fld->values.n >= 1 && !field_multi(fld->type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "a %s field holds one value",
				     field_type_names[fld->type]);
	if (fld->values.n >= CX_FORM_MAX_VALUES)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u values per field",
				     CX_FORM_MAX_VALUES);
	if (strv_push(&fld->values, value) != CX_OK)
		return NOMEM();
	return CX_OK;
}

cx_status
cx_form_field_clear_values(cx_form_field *fld, cx_error *err)
{
	if (fld == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "field is NULL");
	strv_clear(&fld->values);
	return CX_OK;
}

/* ---- filling in --------------------------------------------------------- */

static bool
field_has_option(const cx_form_field *fld, const char *v)
{
	for (size_t i = 0; i < fld->opt_values.n; i++)
		if (strcmp(fld->opt_values.v[i], v) == 0)
			return true;
	return false;
}

cx_status
cx_form_set_values(cx_form *f, const char *var, const char *const *values,
		   size_t n, cx_error *err)
{
	cx_form_field *fld;
	strv nv = { NULL, 0, 0 };
	cx_status st = CX_OK;

	if (f == NULL || var == NULL || (n > 0 && values == NULL))
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	if ((fld = fieldv_find(&f->fields, var)) == NULL)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "data form: no field '%.64s'", var);
	if (fld->type == CX_FIELD_FIXED)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "data form: field '%.64s' is fixed", var);
	if (n > 1 && !field_multi(fld->type))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "data form: %s field '%.64s' takes one value",
				     field_type_names[fld->type], var);
	if (n > CX_FORM_MAX_VALUES)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u values per field",
				     CX_FORM_MAX_VALUES);
	for (size_t i = 0; i < n; i++) {
		const char *v = values[i];
		char *copy = NULL;

		if (v == NULL) {
			st = cxi_error_set(err, CX_ERR_INVALID,
					   "data form: value %zu is NULL", i);
			goto out;
		}
		if ((st = check_text(v, "a value", err)) != CX_OK)
			goto out;
		switch (fld->type) {
		case CX_FIELD_BOOLEAN:
			if (!bool_valid(v, NULL)) {
				st = cxi_error_set(err, CX_ERR_INVALID,
						   "data form: boolean field '%.64s' takes 0, 1, false or true, not '%.32s'",
						   var, v);
				goto out;
			}
			break;
		case CX_FIELD_JID_SINGLE:
		case CX_FIELD_JID_MULTI: {
			cx_error jerr = CX_ERROR_INIT;

			if (cx_jid_normalize(&copy, v, &jerr) != CX_OK) {
				if (jerr.status == CX_ERR_NOMEM)
					goto nomem;
				st = cxi_error_set(err, CX_ERR_JID,
						   "data form: field '%.64s': '%.64s' is not a JID: %.100s",
						   var, v, jerr.message);
				goto out;
			}
			break;
		}
		case CX_FIELD_LIST_SINGLE:
		case CX_FIELD_LIST_MULTI:
			if (!fld->open && !field_has_option(fld, v)) {
				st = cxi_error_set(err, CX_ERR_INVALID,
						   "data form: '%.64s' is not an option of field '%.64s'",
						   v, var);
				goto out;
			}
			break;
		case CX_FIELD_TEXT_SINGLE:
		case CX_FIELD_TEXT_PRIVATE:
		case CX_FIELD_UNSPECIFIED:
			if (strpbrk(v, "\r\n") != NULL) {
				st = cxi_error_set(err, CX_ERR_INVALID,
						   "data form: field '%.64s' takes a single line",
						   var);
				goto out;
			}
			break;
		default:
			break;
		}
		if (copy == NULL && (copy = strdup(v)) == NULL)
			goto nomem;
		if (strv_push_owned(&nv, copy) != CX_OK) {
			free(copy);
			goto nomem;
		}
	}
	strv_clear(&fld->values);
	fld->values = nv;
	return CX_OK;
nomem:
	st = NOMEM();
out:
	strv_clear(&nv);
	return st;
}

cx_status
cx_form_set_value(cx_form *f, const char *var, const char *value,
		  cx_error *err)
{
	return cx_form_set_values(f, var, &value, value ? 1 : 0, err);
}

cx_status
cx_form_set_bool(cx_form *f, const char *var, int value, cx_error *err)
{
	return cx_form_set_value(f, var, value ? "1" : "0", err);
}

cx_status
cx_form_get_bool(int *out, const cx_form *f, const char *var, cx_error *err)
{
	cx_form_field *fld;

	if (out == NULL || f == NULL || var == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	fld = fieldv_find(&f->fields, var);
	if (fld == NULL || fld->values.n == 0)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "data form: no value for '%.64s'", var);
	if (!bool_valid(fld->values.v[0], out))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "data form: '%.64s' is not a boolean", var);
	return CX_OK;
}

const char *
cx_form_get_value(const cx_form *f, const char *var)
{
	cx_form_field *fld = cx_form_find_field(f, var);

	return fld && fld->values.n > 0 ? fld->values.v[0] : NULL;
}

cx_status
cx_form_submit(cx_form **out, const cx_form *form, cx_error *err)
{
	cx_form *s = NULL;
	cx_status st;

	if (out == NULL || form == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if (form->type != CX_FORM_FORM)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "only a form of type 'form' can be submitted");
	for (size_t i = 0; i < form->fields.n; i++) {
		const cx_form_field *fld = form->fields.v[i];

		if (fld->required && fld->values.n == 0 &&
		    fld->type != CX_FIELD_FIXED)
			return cxi_error_set(err, CX_ERR_INVALID,
					     "data form: required field '%.64s' has no value",
					     field_label_for_err(fld));
	}
	if ((st = cx_form_new(&s, CX_FORM_SUBMIT, err)) != CX_OK)
		return st;
	for (size_t i = 0; i < form->fields.n; i++) {
		const cx_form_field *src = form->fields.v[i];
		cx_form_field *fld;

		if (src->var == NULL || src->type == CX_FIELD_FIXED)
			continue;
		if ((fld = field_new(src->type)) == NULL ||
		    (fld->var = strdup(src->var)) == NULL ||
		    strv_copy(&fld->values, &src->values) != CX_OK ||
		    fieldv_push(&s->fields, fld) != CX_OK) {
			field_free(fld);
			cx_form_free(s);
			return NOMEM();
		}
	}
	*out = s;
	return CX_OK;
}

/* ---- reported and items ------------------------------------------------- */

size_t
cx_form_reported_count(const cx_form *f)
{
	return f ? f->reported.n : 0;
}

cx_form_field *
cx_form_reported_at(const cx_form *f, size_t i)
{
	return f && i < f->reported.n ? f->reported.v[i] : NULL;
}

cx_status
cx_form_add_reported(cx_form_field **out, cx_form *f, cx_field_type type,
		     const char *var, const char *label, cx_error *err)
{
	if (out != NULL)
		*out = NULL;
	if (f == NULL || var == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "form or var is NULL");
	if (f->nitems > 0)
		return cxi_error_set(err, CX_ERR_STATE,
				     "data form: <reported/> comes before the items");
	return add_field_to(out, &f->reported, type, var, label, err);
}

size_t
cx_form_item_count(const cx_form *f)
{
	return f ? f->nitems : 0;
}

size_t
cx_form_item_field_count(const cx_form *f, size_t item)
{
	return f && item < f->nitems ? f->items[item].n : 0;
}

cx_form_field *
cx_form_item_field_at(const cx_form *f, size_t item, size_t j)
{
	if (f == NULL || item >= f->nitems || j >= f->items[item].n)
		return NULL;
	return f->items[item].v[j];
}

cx_form_field *
cx_form_item_find_field(const cx_form *f, size_t item, const char *var)
{
	if (f == NULL || item >= f->nitems)
		return NULL;
	return fieldv_find(&f->items[item], var);
}

cx_status
cx_form_add_item(size_t *index, cx_form *f, cx_error *err)
{
	if (f == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form is NULL");
	if (f->nitems >= CX_FORM_MAX_ITEMS)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u items",
				     CX_FORM_MAX_ITEMS);
	if (items_grow(f) != CX_OK)
		return NOMEM();
	if (index != NULL)
		*index = f->nitems - 1;
	return CX_OK;
}

cx_status
cx_form_item_add_field(cx_form_field **out, cx_form *f, size_t item,
		       const char *var, cx_error *err)
{
	cx_form_field *ref;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (f == NULL || var == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "form or var is NULL");
	if (item >= f->nitems)
		return cxi_error_set(err, CX_ERR_NOT_FOUND,
				     "data form: no item %zu", item);
	ref = fieldv_find(&f->reported, var);
	if (f->reported.n > 0 && ref == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "data form: '%.64s' is not a reported field",
				     var);
	if (f->cells >= CX_FORM_MAX_CELLS)
		return cxi_error_set(err, CX_ERR_FULL,
				     "data form: at most %u item fields",
				     CX_FORM_MAX_CELLS);
	st = add_field_to(out, &f->items[item], CX_FIELD_UNSPECIFIED, var,
			  NULL, err);
	if (st == CX_OK)
		f->cells++;
	return st;
}

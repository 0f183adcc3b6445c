/*
 * cxmpp/forms.h - XEP-0004 data forms (jabber:x:data).
 *
 * A cx_form is a plain in-memory model of one <x xmlns='jabber:x:data'/>:
 * its type, title, instructions, fields (with type, var, label, desc,
 * required flag, options and values), and for results the <reported/>
 * header and the <item/> rows. It is parsed from an xmlNode, built into a
 * node of any libxml2 document (a stanza's payload, usually), filled with
 * type-checked values, and turned into the submit form that answers it.
 *
 * Parsing is bounded: at most CX_FORM_MAX_FIELDS fields, CX_FORM_MAX_VALUES
 * values and CX_FORM_MAX_OPTIONS options per field, CX_FORM_MAX_ITEMS items
 * and CX_FORM_MAX_CELLS fields over all items. A larger form is refused with
 * CX_ERR_XML_TOO_MANY (the stream's own limits on stanza size usually stop
 * such a form earlier).
 *
 * Threading: a cx_form has no lock. One thread builds or fills it; once it
 * is no longer modified any number of threads may read it. Different forms
 * are independent. Every function may be called from any thread under that
 * rule.
 *
 * Strings: every const char * returned is borrowed from the form and stays
 * valid until the form is modified in a way that replaces that string (the
 * setter of the same attribute, a new value for the same field) or freed.
 * Strings passed in are copied and must be valid UTF-8 without characters
 * that XML forbids (CX_ERR_XML_ENCODING).
 */
#ifndef CXMPP_FORMS_H
#define CXMPP_FORMS_H

#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** Namespace of data forms. */
#define CX_NS_DATA_FORMS "jabber:x:data"
/** Namespace of XEP-0122 validation (only <open/> of list fields is read). */
#define CX_NS_DATA_VALIDATE "http://jabber.org/protocol/xdata-validate"

/** @name Parsing limits (refused with CX_ERR_XML_TOO_MANY beyond them) @{ */
#define CX_FORM_MAX_FIELDS 10000u  /**< fields of the form (and of <reported/>) */
#define CX_FORM_MAX_VALUES 10000u  /**< <value/>s of one field */
#define CX_FORM_MAX_OPTIONS 10000u /**< <option/>s of one field */
#define CX_FORM_MAX_ITEMS 10000u   /**< <item/>s of a result */
#define CX_FORM_MAX_CELLS 100000u  /**< fields over all <item/>s */
#define CX_FORM_MAX_INSTRUCTIONS 100u /**< <instructions/> elements */
/** @} */

/** A data form. Opaque; owned by whoever made it (cx_form_free). */
typedef struct cx_form cx_form;
/** A field of a form; borrowed from its form, never freed alone. */
typedef struct cx_form_field cx_form_field;

/** The form's 'type' attribute (XEP-0004 section 3.1). */
typedef enum cx_form_type {
	CX_FORM_FORM = 1,   /**< "form": the requester asks for data */
	CX_FORM_SUBMIT = 2, /**< "submit": the answer, values only */
	CX_FORM_CANCEL = 3, /**< "cancel": the answerer declines */
	CX_FORM_RESULT = 4  /**< "result": data returned, maybe as a table */
} cx_form_type;

/** A field's 'type' attribute (XEP-0004 section 3.3). */
typedef enum cx_field_type {
	/** No 'type' attribute: text-single by the spec's default, and the
	 * usual case in submit forms. Built without a 'type' attribute. */
	CX_FIELD_UNSPECIFIED = 0,
	CX_FIELD_BOOLEAN,      /**< "boolean": 0, 1, false, true */
	CX_FIELD_FIXED,        /**< "fixed": a label only, not filled in */
	CX_FIELD_HIDDEN,       /**< "hidden": returned as it came (FORM_TYPE) */
	CX_FIELD_JID_MULTI,    /**< "jid-multi": several JIDs */
	CX_FIELD_JID_SINGLE,   /**< "jid-single": one JID */
	CX_FIELD_LIST_MULTI,   /**< "list-multi": several of the options */
	CX_FIELD_LIST_SINGLE,  /**< "list-single": one of the options */
	CX_FIELD_TEXT_MULTI,   /**< "text-multi": lines of text, one value each */
	CX_FIELD_TEXT_PRIVATE, /**< "text-private": a password or the like */
	CX_FIELD_TEXT_SINGLE   /**< "text-single": one line of text */
} cx_field_type;

/**
 * The name of a form type ("submit").
 * @return a static string, NULL for an unknown value
 * @thread any
 */
CX_API const char *cx_form_type_name(cx_form_type type);

/**
 * The name of a field type ("list-single"); NULL for CX_FIELD_UNSPECIFIED
 * and unknown values.
 * @thread any
 */
CX_API const char *cx_field_type_name(cx_field_type type);

/* ---- Lifetime --------------------------------------------------------- */

/**
 * Makes an empty form.
 * @param out receives the form (owned: cx_form_free), NULL on failure
 * @param type its type
 * @param err details on failure (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (out NULL, unknown type); CX_ERR_NOMEM
 * @thread any
 */
CX_API cx_status cx_form_new(cx_form **out, cx_form_type type, cx_error *err);

/** Frees a form and all its fields (NULL is ignored). @thread owner */
CX_API void cx_form_free(cx_form *form);

/**
 * Deep copy.
 * @param out receives the copy (owned), NULL on failure
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOMEM
 * @thread any (form is only read)
 */
CX_API cx_status cx_form_copy(cx_form **out, const cx_form *form,
			      cx_error *err);

/* ---- Parse and build -------------------------------------------------- */

/**
 * Parses an <x xmlns='jabber:x:data'/> element.
 *
 * Checked: the form type; each field's type (unknown types are refused); a
 * 'var' on every field except "fixed" ones; 'var' unique among the form's
 * fields; at most one value in single-valued fields; boolean values; every
 * <option/> has one <value/>; <reported/> appears at most once and before
 * the <item/>s, and every item field's var is one of the reported vars.
 * Not checked: that list values are among the options and JID values are
 * valid JIDs (a received form is shown as it is; cx_form_set_value checks
 * what we put in). Unknown child elements (other namespaces, XEP-0122
 * <validate/>, XEP-0221 <media/>) are ignored, except that
 * <validate><open/></validate> marks a list field as open.
 *
 * @param out receives the form (owned: cx_form_free), NULL on failure
 * @param x the <x/> element (borrowed; not modified)
 * @param err details on failure, naming the offending field (may be NULL)
 * @return CX_OK; CX_ERR_INVALID (out or x NULL, x is not {jabber:x:data}x);
 *         CX_ERR_PROTOCOL (malformed form); CX_ERR_XML_TOO_MANY (beyond the
 *         CX_FORM_MAX_* limits); CX_ERR_NOMEM
 * @thread any, provided nobody modifies x meanwhile
 */
CX_API cx_status cx_form_parse(cx_form **out, const xmlNode *x,
			       cx_error *err);

/**
 * Finds the first {jabber:x:data}x child of `parent` and parses it.
 * @return as cx_form_parse; CX_ERR_NOT_FOUND if there is no such child
 * @thread any, provided nobody modifies parent meanwhile
 */
CX_API cx_status cx_form_parse_child(cx_form **out, const xmlNode *parent,
				     cx_error *err);

/**
 * Builds the form as a new <x xmlns='jabber:x:data'/> appended to
 * `parent` (an element of any document: a stanza's payload from
 * cx_stanza_node()/cx_stanza_payload(), say). Fields are written in their
 * order, attributes only when set.
 * @param out receives the new element, borrowed from parent's document
 *        (may be NULL)
 * @param form the form (borrowed)
 * @param parent the element to append to (borrowed; modified)
 * @return CX_OK; CX_ERR_INVALID (form or parent NULL, parent not an
 *         element); CX_ERR_NOMEM (parent is left unchanged)
 * @thread one at a time per document, by the document's owner
 */
CX_API cx_status cx_form_build(xmlNodePtr *out, const cx_form *form,
			       xmlNodePtr parent, cx_error *err);

/* ---- Form attributes -------------------------------------------------- */

/** The form's type. @thread any */
CX_API cx_form_type cx_form_get_type(const cx_form *form);

/** The <title/>, or NULL. @thread any */
CX_API const char *cx_form_get_title(const cx_form *form);

/**
 * Sets (copying) or, with NULL, removes the <title/>.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_set_title(cx_form *form, const char *title,
				   cx_error *err);

/** Number of <instructions/> elements. @thread any */
CX_API size_t cx_form_instructions_count(const cx_form *form);

/** The i-th <instructions/> text, or NULL if out of range. @thread any */
CX_API const char *cx_form_get_instructions(const cx_form *form, size_t i);

/**
 * Appends an <instructions/> element.
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_XML_ENCODING; CX_ERR_FULL (more
 *         than CX_FORM_MAX_INSTRUCTIONS); CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_add_instructions(cx_form *form, const char *text,
					  cx_error *err);

/**
 * The value of the FORM_TYPE field (XEP-0068): a field whose var is
 * "FORM_TYPE" and whose type is hidden or unspecified (submit forms often
 * leave the type out).
 * @return the value, or NULL if there is no such field or it has no value
 * @thread any
 */
CX_API const char *cx_form_get_form_type(const cx_form *form);

/* ---- Fields ----------------------------------------------------------- */

/** Number of fields (outside <reported/> and <item/>). @thread any */
CX_API size_t cx_form_field_count(const cx_form *form);

/** The i-th field, borrowed from the form; NULL if out of range. @thread any */
CX_API cx_form_field *cx_form_field_at(const cx_form *form, size_t i);

/**
 * The field with this 'var', borrowed from the form.
 * @return the field, or NULL if none (or var NULL)
 * @thread any
 */
CX_API cx_form_field *cx_form_find_field(const cx_form *form, const char *var);

/**
 * Appends a field.
 * @param out receives the field, borrowed from the form (may be NULL)
 * @param form the form
 * @param type its type (CX_FIELD_UNSPECIFIED: no 'type' attribute)
 * @param var its 'var'; required unless type is CX_FIELD_FIXED
 * @param label its 'label', or NULL
 * @return CX_OK; CX_ERR_INVALID (bad type, missing var, var already used);
 *         CX_ERR_FULL (CX_FORM_MAX_FIELDS reached); CX_ERR_XML_ENCODING;
 *         CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_add_field(cx_form_field **out, cx_form *form,
				   cx_field_type type, const char *var,
				   const char *label, cx_error *err);

/**
 * Adds the hidden FORM_TYPE field with the given namespace as its value.
 * @return as cx_form_add_field
 * @thread owner
 */
CX_API cx_status cx_form_add_form_type(cx_form *form, const char *ns,
				       cx_error *err);

/** @name Field getters (all borrow from the form) @{ */
CX_API cx_field_type cx_form_field_get_type(const cx_form_field *field);
/** The 'var', or NULL (fixed fields). */
CX_API const char *cx_form_field_get_var(const cx_form_field *field);
/** The 'label', or NULL. */
CX_API const char *cx_form_field_get_label(const cx_form_field *field);
/** The <desc/>, or NULL. */
CX_API const char *cx_form_field_get_desc(const cx_form_field *field);
/** 1 if the field has <required/>, else 0. */
CX_API int cx_form_field_is_required(const cx_form_field *field);
/** 1 if a list field accepts values outside its options (XEP-0122 <open/>). */
CX_API int cx_form_field_is_open(const cx_form_field *field);
/** Number of <value/>s. */
CX_API size_t cx_form_field_value_count(const cx_form_field *field);
/** The i-th value, or NULL if out of range. */
CX_API const char *cx_form_field_get_value(const cx_form_field *field,
					   size_t i);
/** Number of <option/>s. */
CX_API size_t cx_form_field_option_count(const cx_form_field *field);
/** The value of the i-th option, or NULL. */
CX_API const char *cx_form_field_get_option_value(const cx_form_field *field,
						  size_t i);
/** The label of the i-th option, or NULL (none, or out of range). */
CX_API const char *cx_form_field_get_option_label(const cx_form_field *field,
						  size_t i);
/** @} */

/**
 * @name Field setters
 * For describing a form (the requester's side). Values added with
 * cx_form_field_add_value are not type-checked (a form may carry a default
 * the requester chose); cx_form_set_value is the checked way to fill in.
 * @return CX_OK; CX_ERR_INVALID (field NULL, a second value in a
 *         single-valued field, an option on a non-list field);
 *         CX_ERR_FULL (a CX_FORM_MAX_* limit); CX_ERR_XML_ENCODING;
 *         CX_ERR_NOMEM
 * @thread owner
 * @{
 */
CX_API cx_status cx_form_field_set_desc(cx_form_field *field,
					const char *desc, cx_error *err);
CX_API cx_status cx_form_field_set_required(cx_form_field *field,
					    int required, cx_error *err);
CX_API cx_status cx_form_field_set_open(cx_form_field *field, int open,
					cx_error *err);
CX_API cx_status cx_form_field_add_option(cx_form_field *field,
					  const char *label, const char *value,
					  cx_error *err);
CX_API cx_status cx_form_field_add_value(cx_form_field *field,
					 const char *value, cx_error *err);
/** Removes every value. */
CX_API cx_status cx_form_field_clear_values(cx_form_field *field,
					    cx_error *err);
/** @} */

/* ---- Filling in ------------------------------------------------------- */

/**
 * Sets the values of the field `var`, replacing any it had, after checking
 * them against the field's type:
 * - boolean: exactly one of "0", "1", "false", "true";
 * - jid-single, jid-multi: each value parses as a JID (it is stored in its
 *   normalized form);
 * - list-single, list-multi: each value is one of the options, unless the
 *   field is open (cx_form_field_is_open);
 * - text-single, text-private, unspecified: no line break;
 * - fixed: cannot be filled in;
 * - single-valued types take at most one value; n == 0 clears the field.
 * Nothing changes when a check fails.
 * @param form the form
 * @param var the field's 'var'
 * @param values n strings (borrowed, copied)
 * @return CX_OK; CX_ERR_NOT_FOUND (no field var); CX_ERR_INVALID (a check
 *         failed: the message says which); CX_ERR_JID (not a JID);
 *         CX_ERR_XML_ENCODING; CX_ERR_FULL (n > CX_FORM_MAX_VALUES);
 *         CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_set_values(cx_form *form, const char *var,
				    const char *const *values, size_t n,
				    cx_error *err);

/** cx_form_set_values with one value (NULL clears). @thread owner */
CX_API cx_status cx_form_set_value(cx_form *form, const char *var,
				   const char *value, cx_error *err);

/** Sets a boolean field to "1" or "0". @return as cx_form_set_values */
CX_API cx_status cx_form_set_bool(cx_form *form, const char *var, int value,
				  cx_error *err);

/**
 * Reads a boolean field.
 * @param out receives 1 or 0
 * @return CX_OK; CX_ERR_NOT_FOUND (no such field, or no value);
 *         CX_ERR_INVALID (the value is not a boolean, or NULL arguments)
 * @thread any
 */
CX_API cx_status cx_form_get_bool(int *out, const cx_form *form,
				  const char *var, cx_error *err);

/**
 * The first value of the field `var`, or NULL (no such field or no value).
 * @thread any
 */
CX_API const char *cx_form_get_value(const cx_form *form, const char *var);

/**
 * Makes the submit form that answers `form`: type "submit", and for every
 * field that has a var and is not fixed, the var, the type (so that a
 * reader can tell booleans apart) and the values; no labels, descriptions
 * or options. Hidden fields are returned with their values, as XEP-0004
 * requires.
 * @param out receives the submit form (owned), NULL on failure
 * @param form a form of type "form" (borrowed)
 * @return CX_OK; CX_ERR_INVALID (form NULL or not of type "form", or a
 *         required field has no value: the message names it); CX_ERR_NOMEM
 * @thread any (form is only read)
 */
CX_API cx_status cx_form_submit(cx_form **out, const cx_form *form,
				cx_error *err);

/* ---- Results: <reported/> and <item/> --------------------------------- */

/** Number of fields in <reported/> (0: no <reported/>). @thread any */
CX_API size_t cx_form_reported_count(const cx_form *form);

/** The i-th reported field, or NULL. @thread any */
CX_API cx_form_field *cx_form_reported_at(const cx_form *form, size_t i);

/**
 * Appends a column to <reported/>.
 * @return as cx_form_add_field; CX_ERR_STATE once items were added
 * @thread owner
 */
CX_API cx_status cx_form_add_reported(cx_form_field **out, cx_form *form,
				      cx_field_type type, const char *var,
				      const char *label, cx_error *err);

/** Number of <item/>s. @thread any */
CX_API size_t cx_form_item_count(const cx_form *form);

/** Number of fields of item i (0 if out of range). @thread any */
CX_API size_t cx_form_item_field_count(const cx_form *form, size_t item);

/** Field j of item i, or NULL. @thread any */
CX_API cx_form_field *cx_form_item_field_at(const cx_form *form, size_t item,
					    size_t j);

/**
 * The field of item i whose var is `var`, or NULL.
 * @thread any
 */
CX_API cx_form_field *cx_form_item_find_field(const cx_form *form,
					      size_t item, const char *var);

/**
 * Appends an empty <item/>.
 * @param index receives its index (may be NULL)
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_FULL; CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_add_item(size_t *index, cx_form *form,
				  cx_error *err);

/**
 * Appends a field to item `item`; fill it with cx_form_field_add_value.
 * @param var must be the var of a reported field (if there is a
 *        <reported/>), and not already used in this item
 * @return CX_OK; CX_ERR_INVALID; CX_ERR_NOT_FOUND (no such item);
 *         CX_ERR_FULL; CX_ERR_NOMEM
 * @thread owner
 */
CX_API cx_status cx_form_item_add_field(cx_form_field **out, cx_form *form,
					size_t item, const char *var,
					cx_error *err);

CX_END_DECLS

#endif

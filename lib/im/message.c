/*
 * lib/im/message.c - <message/> parse and build (RFC 6121 section 5),
 * XEP-0203 delay stamps (XEP-0082 DateTime).
 *
 * Design notes:
 * - A cx_message holds a reference to its stanza and copies only what
 *   libxml2 would otherwise make us allocate on every access (texts and
 *   their languages), so getters never allocate and never fail.
 * - Receivers are lenient where RFC 6121 asks them to be (unknown type is
 *   normal, duplicates ignored); the one hard bound is the number of
 *   texts, so that a hostile message cannot make us keep thousands of
 *   copies.
 * - The stamp parser reads fixed-width digit fields only, so every value is
 *   bounded before any arithmetic: there is no input for which the epoch
 *   computation can overflow. Anything outside the profile is "no stamp".
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/message.h"
#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/im/imutil.h"

struct text {
	char *lang; /* own xml:lang or NULL */
	char *text;
};

struct cx_message {
	cx_stanza *stanza;
	cx_message_type type;
	struct text *bodies;
	size_t nbodies;
	struct text *subjects;
	size_t nsubjects;
	char *thread;
	char *thread_parent;
	bool has_delay;
	int64_t delay_sec;
	uint32_t delay_usec;
	char *delay_from;
};

static const char *const type_names[] = {
	[CX_MESSAGE_NORMAL] = "normal",
	[CX_MESSAGE_CHAT] = "chat",
	[CX_MESSAGE_GROUPCHAT] = "groupchat",
	[CX_MESSAGE_HEADLINE] = "headline",
	[CX_MESSAGE_ERROR] = "error",
};

const char *
cx_message_type_name(cx_message_type type)
{
	if ((unsigned)type >= sizeof(type_names) / sizeof(type_names[0]))
		return NULL;
	return type_names[type];
}

/* ---- XEP-0082 stamps ------------------------------------------------- */

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned dim[] = { 31, 28, 31, 30, 31, 30,
					31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n digits at *p; -1 if they are not all digits. */
static int
digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

/* Limits of the profile: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z. */
#define STAMP_MIN INT64_C(-62135596800)
#define STAMP_MAX INT64_C(253402300799)

cx_status
cx_delay_parse_stamp(int64_t *sec, uint32_t *usec, const char *stamp,
		     cx_error *err)
{
	const char *p = stamp;
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 0;
	uint32_t frac = 0;
	int64_t t;
	bool leap;

	if (sec == NULL || stamp == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "no stamp");
	if (strnlen(stamp, 65) > 64)
		goto bad;
	if ((y = digits(&p, 4)) < 0 || *p++ != '-' ||
	    (mo = digits(&p, 2)) < 0 || *p++ != '-' ||
	    (d = digits(&p, 2)) < 0 || *p++ != 'T' ||
	    (h = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (mi = digits(&p, 2)) < 0 || *p++ != ':' ||
	    (s = digits(&p, 2)) < 0)
		goto bad;
	if (*p == '.') {
		int n = 0;

		p++;
		while (*p >= '0' && *p <= '9') {
			if (n < 6)
				frac = frac * 10 + (uint32_t)(*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			goto bad;
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		p++;
		if ((oh = digits(&p, 2)) < 0 || *p++ != ':' ||
		    (om = digits(&p, 2)) < 0)
			goto bad;
		if (oh > 14 || om > 59 || (oh == 14 && om != 0))
			goto bad;
	} else {
		goto bad;
	}
	if (*p != '\0')
		goto bad;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > days_in_month(y, (unsigned)mo) || h > 23 ||
	    mi > 59 || s > 60)
		goto bad;
	leap = s == 60;
	if (leap)
		s = 59;
	t = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	    h * 3600 + mi * 60 + s;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	if (leap) {
		int64_t yy;
		unsigned mm, dd;

		/* A leap second is 23:59:60 UTC at the end of June or
		 * December; it is read as the last microsecond before it. */
		if ((t + 1) % 86400 != 0)
			goto bad;
		civil_from_days(t / 86400 - (t < 0 && t % 86400 != 0), &yy,
				&mm, &dd);
		if (!((mm == 6 && dd == 30) || (mm == 12 && dd == 31)))
			goto bad;
		frac = 999999;
	}
	if (t < STAMP_MIN || t > STAMP_MAX)
		goto bad;
	*sec = t;
	if (usec != NULL)
		*usec = frac;
	return CX_OK;
bad:
	return cxi_error_set(err, CX_ERR_INVALID,
			     "not an XEP-0082 DateTime in range");
}

cx_status
cx_delay_format_stamp(char *buf, size_t len, int64_t sec, uint32_t usec,
		      cx_error *err)
{
	int64_t days, y, rem;
	unsigned m, d;
	int n;

	if (buf == NULL || sec < STAMP_MIN || sec > STAMP_MAX || usec > 999999)
		return cxi_error_set(err, CX_ERR_INVALID, "instant out of range");
	days = sec / 86400;
	rem = sec % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (usec != 0)
		n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02d.%06uZ",
			     (int)y, m, d, (int)(rem / 3600),
			     (int)(rem / 60 % 60), (int)(rem % 60), usec);
	else
		n = snprintf(buf, len, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y,
			     m, d, (int)(rem / 3600), (int)(rem / 60 % 60),
			     (int)(rem % 60));
	if (n < 0 || (size_t)n >= len)
		return cxi_error_set(err, CX_ERR_INVALID, "buffer too small");
	return CX_OK;
}

/* ---- build ----------------------------------------------------------- */

static cx_status
check_texts(const cx_message_text *t, size_t n, const char *what,
	    cx_error *err)
{
	if (n > 0 && t == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "%s: NULL array", what);
	if (n > CX_MESSAGE_MAX_TEXTS)
		return cxi_error_set(err, CX_ERR_INVALID, "%s: more than %d",
				     what, CX_MESSAGE_MAX_TEXTS);
	for (size_t i = 0; i < n; i++) {
		if (t[i].text == NULL)
			return cxi_error_set(err, CX_ERR_INVALID,
					     "%s %zu has no text", what, i);
		for (size_t j = 0; j < i; j++)
			if (cxi_im_lang_eq(t[i].lang, t[j].lang))
				return cxi_error_set(err, CX_ERR_INVALID,
						     "two %ss in one language",
						     what);
	}
	return CX_OK;
}

static cx_status
add_texts(cx_stanza *s, const cx_message_text *t, size_t n, const char *name,
	  cx_error *err)
{
	cx_status st;

	for (size_t i = 0; i < n; i++) {
		xmlNodePtr e = NULL;

		st = cx_stanza_add_child(&e, s, NULL, NULL, name, t[i].text, err);
		if (st != CX_OK)
			return st;
		if (t[i].lang != NULL) {
			xmlChar *back;

			/* xmlNodeSetLang reports no failure: read it back. */
			xmlNodeSetLang(e, (const xmlChar *)t[i].lang);
			back = xmlNodeGetLang(e);
			bool ok = back != NULL &&
				  strcmp((char *)back, t[i].lang) == 0;

			xmlFree(back);
			if (!ok)
				return cxi_error_set(err, CX_ERR_NOMEM,
						     "setting xml:lang");
		}
	}
	return CX_OK;
}

cx_status
cx_message_build(cx_stanza **out, const cx_message_spec *spec, cx_error *err)
{
	cx_stanza *s = NULL;
	const char *type = NULL;
	cx_status st;

	if (out == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "out is NULL");
	*out = NULL;
	if (spec == NULL || spec->version != CX_MESSAGE_SPEC_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "no spec, or of another version");
	if (spec->type != CX_MESSAGE_NORMAL) {
		if ((type = cx_message_type_name(spec->type)) == NULL)
			return cxi_error_set(err, CX_ERR_INVALID,
					     "unknown message type %d",
					     (int)spec->type);
	}
	if (spec->thread_parent != NULL && spec->thread == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "thread_parent without thread");
	if (spec->thread != NULL && spec->thread[0] == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "empty thread");
	if ((st = check_texts(spec->bodies, spec->nbodies, "body", err)) != CX_OK ||
	    (st = check_texts(spec->subjects, spec->nsubjects, "subject",
			      err)) != CX_OK)
		return st;
	if ((st = cx_stanza_new_message(&s, spec->to, type, NULL, err)) != CX_OK)
		return st;
	if (spec->lang != NULL &&
	    (st = cx_stanza_set_lang(s, spec->lang, err)) != CX_OK)
		goto out;
	if ((st = add_texts(s, spec->subjects, spec->nsubjects, "subject",
			    err)) != CX_OK ||
	    (st = add_texts(s, spec->bodies, spec->nbodies, "body", err)) != CX_OK)
		goto out;
	if (spec->thread != NULL) {
		xmlNodePtr t = NULL;

		st = cx_stanza_add_child(&t, s, NULL, NULL, "thread",
					 spec->thread, err);
		if (st != CX_OK)
			goto out;
		if (spec->thread_parent != NULL &&
		    xmlNewProp(t, (const xmlChar *)"parent",
			       (const xmlChar *)spec->thread_parent) == NULL) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto out;
		}
	}
	*out = s;
	s = NULL;
out:
	cx_stanza_unref(s);
	return st;
}

cx_status
cx_message_send(cx_client *client, const cx_message_spec *spec, cx_error *err)
{
	cx_stanza *s = NULL;
	cx_status st;

	if (client == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "client is NULL");
	if ((st = cx_message_build(&s, spec, err)) != CX_OK)
		return st;
	st = cx_client_send(client, s, err);
	cx_stanza_unref(s);
	return st;
}

/* ---- parse ----------------------------------------------------------- */

static void
texts_free(struct text *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(t[i].lang);
		free(t[i].text);
	}
	free(t);
}

void
cx_message_free(cx_message *m)
{
	if (m == NULL)
		return;
	texts_free(m->bodies, m->nbodies);
	texts_free(m->subjects, m->nsubjects);
	free(m->thread);
	free(m->thread_parent);
	free(m->delay_from);
	cx_stanza_unref(m->stanza);
	free(m);
}

/* Adds a text unless one in its language is there already. */
static cx_status
keep_text(struct text **arr, size_t *n, const xmlNode *e, cx_error *err)
{
	char *lang = cxi_im_lang(e), *text;

	for (size_t i = 0; i < *n; i++) {
		if (cxi_im_lang_eq((*arr)[i].lang, lang)) {
			free(lang);
			return CX_OK;
		}
	}
	if (*n >= CX_MESSAGE_MAX_TEXTS) {
		free(lang);
		return cxi_error_set(err, CX_ERR_XML_TOO_MANY,
				     "more than %d <%s/> in a message",
				     CX_MESSAGE_MAX_TEXTS, (const char *)e->name);
	}
	if ((text = cxi_im_text(e)) == NULL) {
		free(lang);
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	}
	(*arr)[*n].lang = lang;
	(*arr)[*n].text = text;
	(*n)++;
	return CX_OK;
}

static cx_message_type
type_of(const char *t)
{
	if (t == NULL)
		return CX_MESSAGE_NORMAL;
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcmp(t, type_names[i]) == 0)
			return (cx_message_type)i;
	return CX_MESSAGE_NORMAL;
}

static cx_status
parse_delay(cx_message *m, const xmlNode *e)
{
	char *stamp;
	int64_t sec;
	uint32_t usec;

	if (m->has_delay || (stamp = cxi_im_attr(e, "stamp")) == NULL)
		return CX_OK;
	if (cx_delay_parse_stamp(&sec, &usec, stamp, NULL) == CX_OK) {
		m->delay_from = cxi_im_attr(e, "from");
		m->has_delay = true;
		m->delay_sec = sec;
		m->delay_usec = usec;
	} else {
		cxi_log(NULL, CX_LOG_DEBUG, CX_LOG_CAT_API,
			"message: ignoring a <delay/> with a bad stamp");
	}
	free(stamp);
	return CX_OK;
}

cx_status
cx_message_parse(cx_message **out, const cx_stanza *s, cx_error *err)
{
	cx_message *m = NULL;
	xmlNodePtr root;
	cx_status st = CX_OK;

	if (out == NULL || s == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "NULL argument");
	*out = NULL;
	if (cx_stanza_get_kind(s) != CX_STANZA_MESSAGE)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "not a <message/>");
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->bodies = calloc(CX_MESSAGE_MAX_TEXTS, sizeof(struct text))) == NULL ||
	    (m->subjects = calloc(CX_MESSAGE_MAX_TEXTS, sizeof(struct text))) == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	m->stanza = cx_stanza_ref((cx_stanza *)s);
	m->type = type_of(cx_stanza_get_type(s));
	root = cx_stanza_node(s);
	for (xmlNodePtr e = root->children; e != NULL; e = e->next) {
		if (e->type != XML_ELEMENT_NODE)
			continue;
		if (cxi_im_is(e, CX_NS_CLIENT, "body"))
			st = keep_text(&m->bodies, &m->nbodies, e, err);
		else if (cxi_im_is(e, CX_NS_CLIENT, "subject"))
			st = keep_text(&m->subjects, &m->nsubjects, e, err);
		else if (cxi_im_is(e, CX_NS_CLIENT, "thread") && m->thread == NULL) {
			char *t = cxi_im_text(e);

			if (t == NULL) {
				st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			} else if (t[0] == '\0') {
				free(t);
			} else {
				m->thread = t;
				m->thread_parent = cxi_im_attr(e, "parent");
			}
		} else if (cxi_im_is(e, CX_NS_DELAY, "delay"))
			st = parse_delay(m, e);
		if (st != CX_OK)
			goto out;
	}
	*out = m;
	m = NULL;
out:
	cx_message_free(m);
	return st;
}

cx_stanza *
cx_message_get_stanza(const cx_message *m)
{
	return m ? m->stanza : NULL;
}

cx_message_type
cx_message_get_type(const cx_message *m)
{
	return m ? m->type : CX_MESSAGE_NORMAL;
}

const char *
cx_message_get_from(const cx_message *m)
{
	return m ? cx_stanza_get_from(m->stanza) : NULL;
}

const char *
cx_message_get_to(const cx_message *m)
{
	return m ? cx_stanza_get_to(m->stanza) : NULL;
}

const char *
cx_message_get_id(const cx_message *m)
{
	return m ? cx_stanza_get_id(m->stanza) : NULL;
}

const char *
cx_message_get_lang(const cx_message *m)
{
	return m ? cx_stanza_get_lang(m->stanza) : NULL;
}

const char *
cx_message_get_thread(const cx_message *m)
{
	return m ? m->thread : NULL;
}

const char *
cx_message_get_thread_parent(const cx_message *m)
{
	return m ? m->thread_parent : NULL;
}

static const char *
pick(const cx_message *m, const struct text *t, size_t n, const char *lang)
{
	if (lang == NULL) {
		for (size_t i = 0; i < n; i++)
			if (t[i].lang == NULL)
				return t[i].text;
		return n > 0 ? t[0].text : NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].lang != NULL && cxi_im_lang_eq(t[i].lang, lang))
			return t[i].text;
	if (cxi_im_lang_eq(cx_stanza_get_lang(m->stanza), lang))
		for (size_t i = 0; i < n; i++)
			if (t[i].lang == NULL)
				return t[i].text;
	return NULL;
}

const char *
cx_message_get_body(const cx_message *m, const char *lang)
{
	return m ? pick(m, m->bodies, m->nbodies, lang) : NULL;
}

const char *
cx_message_get_subject(const cx_message *m, const char *lang)
{
	return m ? pick(m, m->subjects, m->nsubjects, lang) : NULL;
}

size_t
cx_message_body_count(const cx_message *m)
{
	return m ? m->nbodies : 0;
}

const char *
cx_message_body_at(const cx_message *m, size_t i, const char **lang)
{
	if (m == NULL || i >= m->nbodies)
		return NULL;
	if (lang != NULL)
		*lang = m->bodies[i].lang;
	return m->bodies[i].text;
}

size_t
cx_message_subject_count(const cx_message *m)
{
	return m ? m->nsubjects : 0;
}

const char *
cx_message_subject_at(const cx_message *m, size_t i, const char **lang)
{
	if (m == NULL || i >= m->nsubjects)
		return NULL;
	if (lang != NULL)
		*lang = m->subjects[i].lang;
	return m->subjects[i].text;
}

cx_status
cx_message_get_delay(const cx_message *m, int64_t *sec, uint32_t *usec,
		     const char **from)
{
	if (m == NULL || !m->has_delay)
		return CX_ERR_NOT_FOUND;
	if (sec != NULL)
		*sec = m->delay_sec;
	if (usec != NULL)
		*usec = m->delay_usec;
	if (from != NULL)
		*from = m->delay_from;
	return CX_OK;
}

/* ---- handler --------------------------------------------------------- */

struct on_msg {
	cx_message_fn fn;
	void *arg;
	void (*arg_free)(void *);
};

static void
on_msg_free(void *p)
{
	struct on_msg *o = p;

	if (o->arg_free != NULL)
		o->arg_free(o->arg);
	free(o);
}

static cx_handler_result
on_msg_run(void *arg, cx_client *client, cx_stanza *stanza)
{
	struct on_msg *o = arg;
	cx_message *m = NULL;
	cx_error err = CX_ERROR_INIT;
	cx_handler_result r;

	if (cx_message_parse(&m, stanza, &err) != CX_OK) {
		cx_client_log(client, CX_LOG_WARN, CX_LOG_CAT_API,
			"message from %s not delivered: %s",
			cx_stanza_get_from(stanza) ? cx_stanza_get_from(stanza)
						   : "(none)",
			err.message);
		return CX_HANDLER_PASS;
	}
	r = o->fn(o->arg, client, m);
	cx_message_free(m);
	return r;
}

cx_handler_id
cx_message_on(cx_client *client, cx_message_fn fn, void *arg,
	      void (*arg_free)(void *), unsigned flags)
{
	struct on_msg *o;
	cx_handler_id id;

	if (client == NULL || fn == NULL || (o = malloc(sizeof(*o))) == NULL)
		return 0;
	o->fn = fn;
	o->arg = arg;
	o->arg_free = arg_free;
	id = cx_client_on_message(client, on_msg_run, o, on_msg_free, flags);
	/* A failed registration runs no arg_free: neither do we. */
	if (id == 0)
		free(o);
	return id;
}

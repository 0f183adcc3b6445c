/*
 * Tests of the stream state machine, all through its seam: bytes fed in,
 * events and output bytes read back. TLS is the pass-through fake
 * (faketls.c); SCRAM logins run against an in-process GNU SASL server.
 */
#include "config.h"

#include <check.h>
#include <gsasl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>

#include "lib/core/buf.h"
#include "lib/core/error.h"
#include "lib/stream/sasl.h"
#include "lib/stream/stream.h"
#include "tests/unit/stream/faketls.h"
#include "tests/unit/testutil.h"

#define NS_STREAMS_ "urn:ietf:params:xml:ns:xmpp-streams"
#define JID "alice@example.org/res"
#define PASSWORD "s3cr3t-Pa55word"

#define S_HDR                                                              \
	"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "       \
	"xmlns:stream='http://etherx.jabber.org/streams' "                 \
	"from='example.org' id='s1' version='1.0' xml:lang='en'>"
#define S_HDR2                                                             \
	"<stream:stream xmlns='jabber:client' "                            \
	"xmlns:stream='http://etherx.jabber.org/streams' "                 \
	"from='example.org' id='s2' version='1.0'>"
#define S_HDR3                                                             \
	"<stream:stream xmlns='jabber:client' "                            \
	"xmlns:stream='http://etherx.jabber.org/streams' "                 \
	"from='example.org' id='s3' version='1.0'>"
#define F_TLS                                                              \
	"<stream:features><starttls "                                      \
	"xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"   \
	"</stream:features>"
#define PROCEED "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define MECHS(m)                                                           \
	"<stream:features><mechanisms "                                    \
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" m                      \
	"</mechanisms></stream:features>"
#define M(n) "<mechanism>" n "</mechanism>"
#define SUCCESS "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
#define F_BIND                                                             \
	"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" \
	"<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"  \
	"</session></stream:features>"
#define S_END "</stream:stream>"

/* ---------------------------------------------------------------------- */
/* harness                                                                 */

typedef struct ev_rec {
	cxi_stream_event_type type;
	char jid[256];
	char name[32];
	char id[64];
	char body[128];
	cx_status status;
	char condition[64];
	char text[256];
	char app[64];
	bool has_bind; /* FEATURES */
} ev_rec;

typedef struct harness {
	cxi_stream *s;
	cxi_stream_config cfg;
	cxt_faketls_ctx tls;
	cxi_logger logger;
	ev_rec ev[64];
	size_t nev;
	char *last;        /* the last output taken */
	cxi_buf all_out;   /* every output byte */
	cxi_buf logs;
	cx_error err;
	char bind_id[64];
	bool close_on_ready;
	bool fail_on_stanza;
	bool feed_on_ready;
	cx_status feed_status;
} harness;

static void
capture_log(void *arg, cx_log_level level, const char *cat, const char *msg)
{
	harness *h = arg;

	(void)level;
	cxi_buf_printf(&h->logs, "[%s] %s\n", cat, msg);
}

static void
copy_text(char *dst, size_t len, const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);

	cxi_strlcpy(dst, (const char *)t, len);
	xmlFree(t);
}

static void
record(void *arg, const cxi_stream_event *ev)
{
	harness *h = arg;
	ev_rec *r;

	ck_assert_uint_lt(h->nev, 64);
	/* nothing may follow ERROR or CLOSED */
	if (h->nev > 0)
		ck_assert(h->ev[h->nev - 1].type != CXI_STREAM_EV_ERROR &&
			  h->ev[h->nev - 1].type != CXI_STREAM_EV_CLOSED);
	r = &h->ev[h->nev++];
	memset(r, 0, sizeof(*r));
	r->type = ev->type;
	switch (ev->type) {
	case CXI_STREAM_EV_READY:
		cxi_strlcpy(r->jid, ev->jid, sizeof(r->jid));
		if (h->close_on_ready)
			ck_assert_int_eq(cxi_stream_close(h->s, NULL), CX_OK);
		if (h->feed_on_ready)
			h->feed_status = cxi_stream_feed(h->s, "<a/>", 3, NULL);
		break;
	case CXI_STREAM_EV_STANZA: {
		xmlChar *id = xmlGetProp(ev->stanza, BAD_CAST "id");
		xmlNode *c;

		ck_assert_ptr_eq(ev->stanza->doc->children, ev->stanza);
		cxi_strlcpy(r->name, (const char *)ev->stanza->name,
			    sizeof(r->name));
		cxi_strlcpy(r->id, (const char *)id, sizeof(r->id));
		xmlFree(id);
		for (c = ev->stanza->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)c->name, "body") == 0)
				copy_text(r->body, sizeof(r->body), c);
		xmlFreeDoc(ev->stanza->doc);
		if (h->fail_on_stanza)
			ck_assert_int_eq(cxi_stream_fail(h->s, "policy-violation",
							 NULL, NULL),
					 CX_OK);
		break;
	}
	case CXI_STREAM_EV_FEATURES: {
		xmlNode *c;

		for (c = ev->stanza->children; c != NULL; c = c->next)
			if (c->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)c->name, "bind") == 0)
				r->has_bind = true;
		break;
	}
	case CXI_STREAM_EV_ERROR:
		r->status = ev->error->status;
		cxi_strlcpy(r->condition, ev->error->condition,
			    sizeof(r->condition));
		cxi_strlcpy(r->text, ev->error->text, sizeof(r->text));
		cxi_strlcpy(r->app, ev->error->app_condition, sizeof(r->app));
		break;
	default:
		break;
	}
}

static void
h_config(harness *h, const char *jid, cxi_tls_mode mode)
{
	memset(h, 0, sizeof(*h));
	cxi_buf_init(&h->all_out);
	cxi_buf_init(&h->logs);
	h->logger.fn = capture_log;
	h->logger.arg = h;
	h->logger.max_level = CX_LOG_TRACE;
	h->cfg.jid = jid;
	h->cfg.password = PASSWORD;
	h->cfg.tls_mode = mode;
	h->cfg.tls_ops = &cxt_faketls_ops;
	h->cfg.tls_ctx = &h->tls;
	h->cfg.log = &h->logger;
	h->cfg.on_event = record;
	h->cfg.arg = h;
}

static void
h_new(harness *h)
{
	cx_error e = CX_ERROR_INIT;

	ck_assert_msg(cxi_stream_new(&h->s, &h->cfg, &e) == CX_OK, "%s",
		      e.message);
}

static void
h_init(harness *h, const char *jid, cxi_tls_mode mode)
{
	h_config(h, jid, mode);
	h_new(h);
}

static void
h_free(harness *h)
{
	cxi_stream_free(h->s);
	free(h->last);
	cxi_buf_free(&h->all_out);
	cxi_buf_free(&h->logs);
}

/* Everything output since the last call, as a string (owned by h). */
static const char *
h_take(harness *h)
{
	cxi_buf b = CXI_BUF_INIT;

	ck_assert_int_eq(cxi_stream_output(h->s, &b), CX_OK);
	ck_assert(!cxi_stream_has_output(h->s));
	free(h->last);
	h->last = cxi_buf_size(&b) ? cxi_buf_strdup(&b) : strdup("");
	ck_assert_ptr_nonnull(h->last);
	cxi_buf_append(&h->all_out, cxi_buf_head(&b), cxi_buf_size(&b));
	cxi_buf_free(&b);
	return h->last;
}

static cx_status
h_feed(harness *h, const char *str)
{
	cx_error_clear(&h->err);
	return cxi_stream_feed(h->s, str, strlen(str), &h->err);
}

static cx_status
h_feed_bytewise(harness *h, const char *str, size_t len)
{
	size_t i;
	cx_status st = CX_OK;

	for (i = 0; i < len && st == CX_OK; i++)
		st = cxi_stream_feed(h->s, str + i, 1, &h->err);
	return st;
}

static void
h_ok(harness *h, const char *str)
{
	cx_status st = h_feed(h, str);

	ck_assert_msg(st == CX_OK, "feed failed: %s (%s)", cx_strerror(st),
		      h->err.message);
}

static const ev_rec *
h_last_ev(const harness *h)
{
	ck_assert_uint_gt(h->nev, 0);
	return &h->ev[h->nev - 1];
}

static size_t
h_count(const harness *h, cxi_stream_event_type t)
{
	size_t i, n = 0;

	for (i = 0; i < h->nev; i++)
		n += h->ev[i].type == t;
	return n;
}

static bool
out_has(harness *h, const char *needle)
{
	char *all = cxi_buf_strdup(&h->all_out);
	bool r = all != NULL && strstr(all, needle) != NULL;

	free(all);
	return r;
}

/* Copies the value of attribute `name` (quoted either way) after `from`. */
static bool
find_attr(const char *text, const char *name, char *out, size_t len)
{
	char pat[64];
	const char *p, *e;
	char q;

	snprintf(pat, sizeof(pat), " %s=", name);
	p = strstr(text, pat);
	if (p == NULL)
		return false;
	p += strlen(pat);
	q = *p++;
	e = strchr(p, q);
	if (e == NULL || (size_t)(e - p) >= len)
		return false;
	memcpy(out, p, (size_t)(e - p));
	out[e - p] = '\0';
	return true;
}

/* Does the first ` name=` attribute in text have this value? */
static bool
attr_is(const char *text, const char *name, const char *value)
{
	char v[256];

	return find_attr(text, name, v, sizeof(v)) && strcmp(v, value) == 0;
}

/* Content of the first <tag ...>...</tag> in text (malloc'd), or NULL. */
static char *
element_content(const char *text, const char *tag)
{
	char open[64], close[64];
	const char *p, *e;

	snprintf(open, sizeof(open), "<%s", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	p = strstr(text, open);
	if (p == NULL)
		return NULL;
	p = strchr(p, '>');
	if (p == NULL || p[-1] == '/')
		return strdup("");
	p++;
	e = strstr(p, close);
	if (e == NULL)
		return NULL;
	return strndup(p, (size_t)(e - p));
}

/* start -> STARTTLS -> TLS: stops when the SASL features are due. */
static void
h_to_sasl_features(harness *h)
{
	const char *o;

	ck_assert_int_eq(cxi_stream_start(h->s, NULL), CX_OK);
	o = h_take(h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	ck_assert(attr_is(o, "to", "example.org"));
	ck_assert_ptr_null(strstr(o, "from="));
	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_OPENING);
	h_ok(h, S_HDR F_TLS);
	ck_assert_str_eq(h_take(h),
			 "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_STARTTLS);
	h_ok(h, PROCEED);
	ck_assert_int_eq(h->tls.sessions, 1);
	ck_assert_str_eq(h->tls.server_name, "example.org");
	ck_assert_str_eq(h->tls.alpn, "");
	ck_assert_uint_eq(h->nev, 1);
	ck_assert_int_eq(h->ev[0].type, CXI_STREAM_EV_TLS_DONE);
	o = h_take(h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	/* 'from' now that TLS is on; an anonymous account has no JID yet */
	if (strchr(h->cfg.jid, '@') != NULL)
		ck_assert(attr_is(o, "from", "alice@example.org"));
	else
		ck_assert_ptr_null(strstr(o, " from="));
	ck_assert_uint_eq(h->tls.written, strlen(o));
	h_ok(h, S_HDR2);
	ck_assert_str_eq(cxi_stream_get_id(h->s), "s2");
}

/* ... then PLAIN (only) and success: stops when the bind features are due. */
static void
h_to_bind_features(harness *h)
{
	const char *o;

	h->cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(h);
	h_to_sasl_features(h);
	h_ok(h, MECHS(M("SCRAM-SHA-1") M("PLAIN")));
	o = h_take(h);
	ck_assert_ptr_nonnull(strstr(o, "mechanism='PLAIN'"));
	ck_assert_int_eq(cxi_stream_get_state(h->s),
			 CXI_STREAM_AUTHENTICATING);
	h_ok(h, SUCCESS);
	ck_assert_int_eq(h_last_ev(h)->type, CXI_STREAM_EV_AUTHENTICATED);
	o = h_take(h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	h_ok(h, S_HDR3);
}

/* ... then the bind request; h->bind_id is its id. */
static void
h_to_binding(harness *h, const char *features)
{
	const char *o;

	h_to_bind_features(h);
	h_ok(h, features);
	ck_assert_int_eq(h_last_ev(h)->type, CXI_STREAM_EV_FEATURES);
	o = h_take(h);
	ck_assert_ptr_nonnull(strstr(o, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
					"<resource>res</resource></bind>"));
	ck_assert(find_attr(o, "id", h->bind_id, sizeof(h->bind_id)));
	ck_assert_uint_ge(strlen(h->bind_id), 16);
	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_BINDING);
}

static void
h_bind_reply(harness *h, const char *jid)
{
	char buf[512];

	snprintf(buf, sizeof(buf),
		 "<iq type='result' id='%s'><bind "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>%s</jid>"
		 "</bind></iq>",
		 h->bind_id, jid);
	h_feed(h, buf);
}

static void
h_to_ready(harness *h)
{
	h_config(h, JID, CXI_TLS_STARTTLS);
	h_to_binding(h, F_BIND);
	h_bind_reply(h, "alice@example.org/res");
	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_READY);
	ck_assert_int_eq(h_last_ev(h)->type, CXI_STREAM_EV_READY);
	ck_assert_str_eq(h_last_ev(h)->jid, "alice@example.org/res");
	ck_assert_str_eq(h_take(h), "");
}

/* The stream failed with `status`: one ERROR event, the last one. */
static void
assert_failed(harness *h, cx_status status)
{
	const ev_rec *r = h_last_ev(h);

	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_FAILED);
	ck_assert_int_eq(r->type, CXI_STREAM_EV_ERROR);
	ck_assert_msg(r->status == status, "status %s, expected %s",
		      cx_strerror(r->status), cx_strerror(status));
	ck_assert_uint_eq(h_count(h, CXI_STREAM_EV_ERROR), 1);
	/* feed after FAILED: the stored failure again */
	ck_assert_int_eq(h_feed(h, "<presence/>"), status);
	ck_assert_int_eq(h->err.status, status);
	ck_assert_uint_eq(h_count(h, CXI_STREAM_EV_ERROR), 1);
	ck_assert_int_eq(cxi_stream_close(h->s, NULL), CX_ERR_STATE);
}

/* ---------------------------------------------------------------------- */
/* transcripts                                                             */

typedef struct rec {
	char kind; /* 'C', 'S', 'T' */
	char *data;
	size_t len;
} rec;

typedef struct transcript {
	rec r[128];
	size_t n;
} transcript;

static void
load_transcript(transcript *t, const char *name)
{
	char path[1024], line[16384];
	FILE *f;

	memset(t, 0, sizeof(*t));
	f = fopen(cxt_data_path(path, sizeof(path), name), "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t l = strlen(line);
		char *out;
		size_t outlen;

		while (l > 0 && (line[l - 1] == '\n' || line[l - 1] == ' '))
			line[--l] = '\0';
		if (l == 0 || line[0] == '#')
			continue;
		ck_assert_uint_lt(t->n, 128);
		if (strcmp(line, "TLS") == 0) {
			t->r[t->n++].kind = 'T';
			continue;
		}
		ck_assert_msg((line[0] == 'C' || line[0] == 'S') &&
				      line[1] == ' ',
			      "bad record %s", line);
		ck_assert_int_eq(gsasl_base64_from(line + 2, l - 2, &out,
						   &outlen),
				 GSASL_OK);
		t->r[t->n].kind = line[0];
		t->r[t->n].data = strndup(out, outlen);
		t->r[t->n].len = outlen;
		gsasl_free(out);
		t->n++;
	}
	fclose(f);
}

static void
free_transcript(transcript *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->r[i].data);
}

/* Replaces every 'from' (quoted) in s with 'to'. */
static char *
subst_id(const char *s, const char *from, const char *to)
{
	char pat[128], rep[128];
	cxi_buf b = CXI_BUF_INIT;
	const char *p;
	char *r;

	snprintf(pat, sizeof(pat), "id='%s'", from);
	snprintf(rep, sizeof(rep), "id='%s'", to);
	while ((p = strstr(s, pat)) != NULL) {
		cxi_buf_append(&b, s, (size_t)(p - s));
		cxi_buf_append_str(&b, rep);
		s = p + strlen(pat);
	}
	cxi_buf_append_str(&b, s);
	r = cxi_buf_strdup(&b);
	cxi_buf_free(&b);
	return r;
}

/*
 * Plays a recorded session: our stream answers the server records, the
 * client records are checked against our output (and the client's own
 * stanzas are sent through the stream). bytewise: feed one byte at a time.
 */
static void
play_transcript(harness *h, const char *name, bool bytewise)
{
	transcript t;
	char jid[512], domain[128] = "", res[128] = "", rec_bind_id[64] = "";
	char user[128] = "", pass[128] = "", to[128], *p, *q;
	size_t i;

	load_transcript(&t, name);
	/* the account, from the recorded client bytes */
	for (i = 0; i < t.n; i++) {
		if (t.r[i].kind != 'C')
			continue;
		if (domain[0] == '\0' && strstr(t.r[i].data, "<stream:stream"))
			ck_assert(find_attr(t.r[i].data, "to", domain,
					    sizeof(domain)));
		if ((p = element_content(t.r[i].data, "auth")) != NULL) {
			char *raw, *dec;
			size_t dlen;

			ck_assert_int_eq(gsasl_base64_from(p, strlen(p), &raw,
							   &dlen),
					 GSASL_OK);
			dec = calloc(1, dlen + 1); /* NUL-terminated copy */
			memcpy(dec, raw, dlen);
			gsasl_free(raw);
			/* PLAIN: authzid NUL authcid NUL password */
			q = memchr(dec, 0, dlen);
			ck_assert_ptr_nonnull(q);
			cxi_strlcpy(user, q + 1, sizeof(user));
			cxi_strlcpy(pass, q + 2 + strlen(user), sizeof(pass));
			free(dec);
			free(p);
		}
		if (strstr(t.r[i].data, "urn:ietf:params:xml:ns:xmpp-bind")) {
			ck_assert(find_attr(t.r[i].data, "id", rec_bind_id,
					    sizeof(rec_bind_id)));
			if ((p = element_content(t.r[i].data, "resource"))) {
				cxi_strlcpy(res, p, sizeof(res));
				free(p);
			}
		}
	}
	ck_assert(domain[0] && user[0] && pass[0] && rec_bind_id[0]);
	snprintf(jid, sizeof(jid), "%s@%s%s%s", user, domain,
		 res[0] ? "/" : "", res);
	h_config(h, jid, CXI_TLS_STARTTLS);
	h->cfg.password = pass;
	h->cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(h);
	ck_assert_int_eq(cxi_stream_start(h->s, NULL), CX_OK);

	for (i = 0; i < t.n; i++) {
		rec *r = &t.r[i];
		const char *o;

		if (r->kind == 'T') {
			ck_assert_uint_eq(h->nev, 1);
			ck_assert_int_eq(h->ev[0].type,
					 CXI_STREAM_EV_TLS_DONE);
			continue;
		}
		if (r->kind == 'S') {
			char *data = h->bind_id[0]
					     ? subst_id(r->data, rec_bind_id,
							h->bind_id)
					     : strdup(r->data);
			cx_status st;

			cx_error_clear(&h->err);
			st = bytewise ? h_feed_bytewise(h, data, strlen(data))
				      : cxi_stream_feed(h->s, data,
							strlen(data), &h->err);
			ck_assert_msg(st == CX_OK, "record %zu: %s (%s)", i,
				      cx_strerror(st), h->err.message);
			free(data);
			continue;
		}
		/* a client record: what we sent must match it */
		if (strstr(r->data, "<stream:stream")) {
			o = h_take(h);
			ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
			ck_assert(find_attr(o, "to", to, sizeof(to)));
			ck_assert_str_eq(to, domain);
		} else if (strstr(r->data, "<starttls") ||
			   strstr(r->data, "<auth")) {
			/* same bytes: PLAIN with the same account */
			ck_assert_str_eq(h_take(h), r->data);
		} else if (strstr(r->data, "urn:ietf:params:xml:ns:xmpp-bind")) {
			o = h_take(h);
			ck_assert(find_attr(o, "id", h->bind_id,
					    sizeof(h->bind_id)));
			p = element_content(r->data, "resource");
			q = element_content(o, "resource");
			ck_assert_str_eq(p ? p : "", q ? q : "");
			free(p);
			free(q);
		} else if (strcmp(r->data, S_END) == 0) {
			ck_assert_int_eq(cxi_stream_close(h->s, NULL), CX_OK);
			ck_assert_str_eq(h_take(h), S_END);
		} else {
			ck_assert_str_eq(h_take(h), "");
			ck_assert_int_eq(cxi_stream_send_raw(h->s, r->data,
							     r->len, NULL),
					 CX_OK);
			ck_assert_str_eq(h_take(h), r->data);
		}
	}
	free_transcript(&t);
	ck_assert_int_eq(cxi_stream_get_state(h->s), CXI_STREAM_CLOSED);
	ck_assert(h->tls.shutdown);
}

static void
check_login_events(harness *h, const char *jid, size_t nstanzas)
{
	ck_assert_uint_eq(h->nev, 5 + nstanzas);
	ck_assert_int_eq(h->ev[0].type, CXI_STREAM_EV_TLS_DONE);
	ck_assert_int_eq(h->ev[1].type, CXI_STREAM_EV_AUTHENTICATED);
	ck_assert_int_eq(h->ev[2].type, CXI_STREAM_EV_FEATURES);
	ck_assert(h->ev[2].has_bind);
	ck_assert_int_eq(h->ev[3].type, CXI_STREAM_EV_READY);
	ck_assert_str_eq(h->ev[3].jid, jid);
	ck_assert_int_eq(h->ev[4].type, CXI_STREAM_EV_STANZA);
	ck_assert_str_eq(h->ev[4].name, "presence");
	ck_assert_int_eq(h->ev[5].type, CXI_STREAM_EV_STANZA);
	ck_assert_int_eq(h->ev[4 + nstanzas].type, CXI_STREAM_EV_CLOSED);
}

START_TEST(test_stream_transcript_prosody)
{
	harness h;

	play_transcript(&h, "transcripts/prosody-login.txt", false);
	check_login_events(&h, "alice@localhost/rec", 2);
	ck_assert_str_eq(h.ev[5].name, "message");
	ck_assert_str_eq(h.ev[5].id, "msg1");
	ck_assert_str_eq(h.ev[5].body, "Hello, me.");
	ck_assert_str_eq(cxi_stream_get_id(h.s),
			 "9f8ae95e-932a-41df-9fd2-51fd1de58a74");
	h_free(&h);
}
END_TEST

START_TEST(test_stream_transcript_ejabberd)
{
	harness h;

	play_transcript(&h, "transcripts/ejabberd-login.txt", false);
	check_login_events(&h, "alice@localhost/rec", 2);
	ck_assert_str_eq(h.ev[5].name, "message");
	ck_assert_str_eq(h.ev[5].id, "msg1");
	ck_assert_str_eq(h.ev[5].body, "Hello, me.");
	ck_assert_str_eq(cxi_stream_get_id(h.s), "14258866599244510368");
	h_free(&h);
}
END_TEST

START_TEST(test_stream_transcript_rfc6120)
{
	harness h;

	/* the last server record brings a message and an iq at once */
	play_transcript(&h, "transcripts/rfc6120-login.txt", false);
	check_login_events(&h, "juliet@im.example.com/balcony", 3);
	ck_assert_str_eq(h.ev[5].name, "message");
	ck_assert_str_eq(h.ev[5].body, "Art thou not Romeo, and a Montague?");
	ck_assert_str_eq(h.ev[6].name, "iq");
	ck_assert_str_eq(h.ev[6].id, "ping1");
	h_free(&h);
}
END_TEST

static const char *const transcripts[] = {
	"transcripts/prosody-login.txt", "transcripts/ejabberd-login.txt",
	"transcripts/rfc6120-login.txt"
};

START_TEST(test_stream_transcript_bytewise)
{
	harness a, b;
	size_t i;

	play_transcript(&a, transcripts[_i], false);
	play_transcript(&b, transcripts[_i], true);
	ck_assert_uint_eq(a.nev, b.nev);
	for (i = 0; i < a.nev; i++) {
		ck_assert_int_eq(a.ev[i].type, b.ev[i].type);
		ck_assert_str_eq(a.ev[i].jid, b.ev[i].jid);
		ck_assert_str_eq(a.ev[i].name, b.ev[i].name);
		ck_assert_str_eq(a.ev[i].id, b.ev[i].id);
		ck_assert_str_eq(a.ev[i].body, b.ev[i].body);
	}
	h_free(&a);
	h_free(&b);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* SCRAM against GNU SASL                                                  */

typedef struct scram_server {
	Gsasl *ctx;
	Gsasl_session *sess;
	char mech[32];
	char *client_first; /* decoded */
	int rc;
} scram_server;

static int
server_cb(Gsasl *ctx, Gsasl_session *sctx, Gsasl_property prop)
{
	char *b64;
	const char *cb;
	size_t len;
	int rc;

	(void)ctx;
	switch (prop) {
	case GSASL_PASSWORD:
		ck_assert_str_eq(gsasl_property_fast(sctx, GSASL_AUTHID),
				 "alice");
		return gsasl_property_set(sctx, prop, PASSWORD);
	case GSASL_CB_TLS_UNIQUE:
	case GSASL_CB_TLS_EXPORTER:
		cb = prop == GSASL_CB_TLS_UNIQUE ? CXT_FAKETLS_CB_UNIQUE
						 : CXT_FAKETLS_CB_EXPORTER;
		ck_assert_int_eq(gsasl_base64_to(cb, strlen(cb), &b64, &len),
				 GSASL_OK);
		rc = gsasl_property_set(sctx, prop, b64);
		gsasl_free(b64);
		return rc;
	default:
		return GSASL_NO_CALLBACK;
	}
}

/* From the SASL features on: runs SCRAM; returns the harness READY-able
 * (after success) unless tamper_success. */
static void
scram_login(harness *h, const char *features, const char *expect_mech,
	    const char *expect_gs2, bool tamper_success)
{
	scram_server srv;
	char *payload, *out = NULL, *dec;
	const char *o;
	size_t dlen;
	char buf[1024];

	memset(&srv, 0, sizeof(srv));
	ck_assert_int_eq(gsasl_init(&srv.ctx), GSASL_OK);
	gsasl_callback_set(srv.ctx, server_cb);

	h_ok(h, features);
	o = h_take(h);
	ck_assert(find_attr(o, "mechanism", srv.mech, sizeof(srv.mech)));
	ck_assert_str_eq(srv.mech, expect_mech);
	payload = element_content(o, "auth");
	ck_assert_ptr_nonnull(payload);
	ck_assert_int_eq(gsasl_base64_from(payload, strlen(payload), &dec,
					   &dlen),
			 GSASL_OK);
	ck_assert_msg(strncmp(dec, expect_gs2, strlen(expect_gs2)) == 0,
		      "gs2 header of '%.*s'", (int)dlen, dec);
	/* no channel binding unless a -PLUS mechanism was chosen */
	if (strstr(expect_mech, "-PLUS") == NULL)
		ck_assert_int_ne(dec[0], 'p');
	gsasl_free(dec);

	ck_assert_int_eq(gsasl_server_start(srv.ctx, srv.mech, &srv.sess),
			 GSASL_OK);
	ck_assert_int_eq(gsasl_step64(srv.sess, payload, &out),
			 GSASL_NEEDS_MORE);
	free(payload);
	snprintf(buf, sizeof(buf),
		 "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s"
		 "</challenge>",
		 out);
	gsasl_free(out);
	h_ok(h, buf);
	o = h_take(h);
	payload = element_content(o, "response");
	ck_assert_ptr_nonnull(payload);
	srv.rc = gsasl_step64(srv.sess, payload, &out);
	ck_assert_msg(srv.rc == GSASL_OK, "server: %s", gsasl_strerror(srv.rc));
	free(payload);
	if (tamper_success) {
		/* a server signature of the right length, but wrong */
		snprintf(buf, sizeof(buf),
			 "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s"
			 "</success>",
			 "dj1BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQT0=");
	} else {
		snprintf(buf, sizeof(buf),
			 "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s"
			 "</success>",
			 out);
	}
	gsasl_free(out);
	h_feed(h, buf);
	gsasl_finish(srv.sess);
	gsasl_done(srv.ctx);
}

static void
scram_case(const char *features, unsigned allowed, const char *mech,
	   const char *gs2, const char *cb_asked)
{
	harness h;
	const char *o;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = allowed;
	h_new(&h);
	h_to_sasl_features(&h);
	scram_login(&h, features, mech, gs2, false);
	ck_assert_str_eq(h.tls.cb_asked, cb_asked);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_AUTHENTICATED);
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	h_ok(&h, S_HDR3 F_BIND);
	o = h_take(&h);
	ck_assert(find_attr(o, "id", h.bind_id, sizeof(h.bind_id)));
	h_bind_reply(&h, "alice@example.org/res");
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_READY);
	h_free(&h);
}

START_TEST(test_stream_scram_sha1)
{
	scram_case(MECHS(M("SCRAM-SHA-1") M("PLAIN")), 0, "SCRAM-SHA-1", "",
		   "tls-unique");
}
END_TEST

START_TEST(test_stream_scram_sha256)
{
	/* -PLUS not allowed by the configuration */
	scram_case(MECHS(M("SCRAM-SHA-1") M("SCRAM-SHA-256")
			 M("SCRAM-SHA-256-PLUS")),
		   CXI_SASL_SCRAM_SHA_256 | CXI_SASL_SCRAM_SHA_1,
		   "SCRAM-SHA-256", "", "tls-unique");
}
END_TEST

START_TEST(test_stream_scram_sha256_plus_exporter)
{
	/* XEP-0440 list with tls-exporter on TLS 1.3 */
	scram_case("<stream:features><mechanisms "
		   "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		   M("SCRAM-SHA-1") M("SCRAM-SHA-256") M("SCRAM-SHA-256-PLUS")
		   "</mechanisms><sasl-channel-binding "
		   "xmlns='urn:xmpp:sasl-cb:0'><channel-binding "
		   "type='tls-server-end-point'/><channel-binding "
		   "type='tls-unique'/><channel-binding type='tls-exporter'/>"
		   "</sasl-channel-binding></stream:features>",
		   0, "SCRAM-SHA-256-PLUS", "p=tls-exporter,,n=alice,r=",
		   "tls-exporter");
}
END_TEST

START_TEST(test_stream_scram_sha1_plus_unique_no_list)
{
	/* ejabberd 23.01: -PLUS over TLS 1.3 without a XEP-0440 list */
	scram_case(MECHS(M("PLAIN") M("SCRAM-SHA-1-PLUS") M("SCRAM-SHA-1")),
		   0, "SCRAM-SHA-1-PLUS", "p=tls-unique,,n=alice,r=",
		   "tls-unique");
}
END_TEST

START_TEST(test_stream_scram_list_without_usable_type)
{
	harness h;

	/* only tls-server-end-point listed: no channel binding, no -PLUS */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, "<stream:features><mechanisms "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		 M("SCRAM-SHA-1-PLUS") M("SCRAM-SHA-1")
		 "</mechanisms><sasl-channel-binding "
		 "xmlns='urn:xmpp:sasl-cb:0'><channel-binding "
		 "type='tls-server-end-point'/></sasl-channel-binding>"
		 "</stream:features>");
	ck_assert_str_eq(h.tls.cb_asked, "");
	ck_assert_ptr_nonnull(strstr(h_take(&h), "mechanism='SCRAM-SHA-1'"));
	h_free(&h);
}
END_TEST

START_TEST(test_stream_scram_bad_server_signature)
{
	harness h;
	const char *o;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_SCRAM_SHA_1;
	h_new(&h);
	h_to_sasl_features(&h);
	scram_login(&h, MECHS(M("SCRAM-SHA-1")), "SCRAM-SHA-1", "", true);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_AUTHENTICATED), 0);
	o = h_take(&h);
	ck_assert_ptr_null(strstr(o, "<stream:stream"));
	ck_assert_str_eq(o, S_END);
	assert_failed(&h, CX_ERR_AUTH_SERVER);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_sasl_no_acceptable_mechanism)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_new(&h);
	h_to_sasl_features(&h);
	h_feed(&h, MECHS(M("X-OAUTH2") M("DIGEST-MD5")));
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_AUTH_MECHANISM);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_sasl_no_mechanisms)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_new(&h);
	h_to_sasl_features(&h);
	h_feed(&h, "<stream:features/>");
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_AUTH_MECHANISM);
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* SASL failures                                                           */

static const struct {
	const char *condition;
	cx_status status;
} sasl_failures[] = {
	{ "aborted", CX_ERR_AUTH_PROTOCOL },
	{ "account-disabled", CX_ERR_AUTH_DISABLED },
	{ "credentials-expired", CX_ERR_AUTH_EXPIRED },
	{ "encryption-required", CX_ERR_AUTH_ENCRYPTION },
	{ "incorrect-encoding", CX_ERR_AUTH_PROTOCOL },
	{ "invalid-authzid", CX_ERR_AUTH_PROTOCOL },
	{ "invalid-mechanism", CX_ERR_AUTH_MECHANISM },
	{ "malformed-request", CX_ERR_AUTH_PROTOCOL },
	{ "mechanism-too-weak", CX_ERR_AUTH_MECHANISM },
	{ "not-authorized", CX_ERR_AUTH },
	{ "temporary-auth-failure", CX_ERR_AUTH_TEMPORARY },
};

START_TEST(test_stream_sasl_failure_condition)
{
	harness h;
	char buf[512];

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("PLAIN")));
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<auth"));
	snprintf(buf, sizeof(buf),
		 "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><%s/>"
		 "<text xml:lang='en'>Nope: %s</text></failure>",
		 sasl_failures[_i].condition, sasl_failures[_i].condition);
	ck_assert_int_eq(h_feed(&h, buf), sasl_failures[_i].status);
	ck_assert_str_eq(h.err.condition, sasl_failures[_i].condition);
	ck_assert_str_eq(h_last_ev(&h)->condition, sasl_failures[_i].condition);
	snprintf(buf, sizeof(buf), "Nope: %s", sasl_failures[_i].condition);
	ck_assert_str_eq(h_last_ev(&h)->text, buf);
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, sasl_failures[_i].status);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_sasl_failure_without_condition)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("PLAIN")));
	ck_assert_int_eq(h_feed(&h, "<failure xmlns='urn:ietf:params:xml:ns:"
				    "xmpp-sasl'/>"),
			 CX_ERR_AUTH);
	ck_assert_str_eq(h.err.condition, "not-authorized");
	assert_failed(&h, CX_ERR_AUTH);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_sasl_anonymous)
{
	harness h;
	const char *o;

	/* a domain-only JID: the server picks the localpart */
	h_config(&h, "example.org", CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_ANONYMOUS;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("ANONYMOUS") M("PLAIN")));
	ck_assert_ptr_nonnull(strstr(h_take(&h), "mechanism='ANONYMOUS'"));
	h_ok(&h, SUCCESS);
	h_take(&h);
	h_ok(&h, S_HDR3 F_BIND);
	o = h_take(&h);
	ck_assert(find_attr(o, "id", h.bind_id, sizeof(h.bind_id)));
	h_bind_reply(&h, "4a1b2c@example.org/r1");
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_READY);
	ck_assert_str_eq(h_last_ev(&h)->jid, "4a1b2c@example.org/r1");
	h_free(&h);

	h_config(&h, "example.org", CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_ANONYMOUS;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("ANONYMOUS")));
	h_ok(&h, SUCCESS);
	h_ok(&h, S_HDR3 F_BIND);
	o = h_take(&h);
	ck_assert(find_attr(o, "id", h.bind_id, sizeof(h.bind_id)));
	h_bind_reply(&h, "4a1b2c@evil.example/r1");
	assert_failed(&h, CX_ERR_BIND);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_sasl_unexpected_element)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("PLAIN")));
	h_take(&h);
	/* a stanza during SASL is dropped, a features element is not ok */
	h_ok(&h, "<message from='evil@example.org'><body>x</body></message>");
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 0);
	h_feed(&h, F_BIND);
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<policy-violation"));
	assert_failed(&h, CX_ERR_PROTOCOL);
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* TLS                                                                     */

START_TEST(test_stream_tls_required_not_offered)
{
	harness h;

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, S_HDR MECHS(M("PLAIN") M("SCRAM-SHA-1"))),
			 CX_ERR_TLS_REQUIRED);
	ck_assert_str_eq(h_take(&h), S_END);
	ck_assert(!out_has(&h, "<auth"));
	ck_assert_int_eq(h.tls.sessions, 0);
	assert_failed(&h, CX_ERR_TLS_REQUIRED);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_refused)
{
	harness h;

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, S_HDR F_TLS);
	h_take(&h);
	h_feed(&h, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_TLS);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_bytes_after_proceed_discarded)
{
	harness h;
	const char *o;

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, S_HDR F_TLS);
	h_take(&h);
	/* a man in the middle appends a forged (plaintext) stream */
	h_ok(&h, PROCEED S_HDR2 MECHS(M("PLAIN")));
	ck_assert_uint_eq(h.nev, 1);
	ck_assert_int_eq(h.ev[0].type, CXI_STREAM_EV_TLS_DONE);
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	ck_assert_ptr_null(strstr(o, "<auth"));
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_OPENING);
	ck_assert_ptr_null(cxi_stream_get_id(h.s)); /* no header parsed */
	ck_assert_uint_eq(h.tls.read_plain, 0);
	/* the real server goes on: only now is SCRAM chosen */
	h_ok(&h, S_HDR3 MECHS(M("SCRAM-SHA-1")));
	ck_assert_str_eq(cxi_stream_get_id(h.s), "s3");
	ck_assert_ptr_nonnull(strstr(h_take(&h), "mechanism='SCRAM-SHA-1'"));
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_bytes_after_success_discarded)
{
	harness h;
	const char *o;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("PLAIN")));
	h_take(&h);
	h_ok(&h, SUCCESS S_HDR3 F_BIND);
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "<stream:stream"));
	ck_assert_ptr_null(strstr(o, "<bind"));
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_OPENING);
	h_ok(&h, S_HDR3 F_BIND);
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<bind"));
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_direct)
{
	harness h;
	const char *o;

	h_config(&h, JID, CXI_TLS_DIRECT);
	h.tls.server_hello = "[fake ServerHello]";
	h.tls.version = 0x0303;
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_TLS_HANDSHAKE);
	ck_assert_str_eq(h_take(&h), CXT_FAKETLS_CLIENT_HELLO);
	ck_assert_str_eq(h.tls.alpn, "xmpp-client");
	ck_assert_str_eq(h.tls.server_name, "example.org");
	/* no XML before the handshake is done */
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_ERR_STATE);
	h_ok(&h, "[fake Server");
	ck_assert_uint_eq(h.nev, 0);
	ck_assert_str_eq(h_take(&h), "");
	h_ok(&h, "Hello]");
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_TLS_DONE);
	o = h_take(&h);
	ck_assert(attr_is(o, "from", "alice@example.org"));
	/* straight to SASL (PLAIN allowed: TLS is on), no STARTTLS in TLS */
	h_ok(&h, S_HDR "<stream:features><starttls xmlns='urn:ietf:params:"
		       "xml:ns:xmpp-tls'/><mechanisms xmlns='urn:ietf:params:"
		       "xml:ns:xmpp-sasl'>" M("PLAIN") "</mechanisms>"
		       "</stream:features>");
	o = h_take(&h);
	ck_assert_ptr_null(strstr(o, "<starttls"));
	ck_assert_ptr_nonnull(strstr(o, "mechanism='PLAIN'"));
	ck_assert_uint_eq(h.tls.written, h.all_out.len -
					     strlen(CXT_FAKETLS_CLIENT_HELLO));
	h_free(&h);

	/* an instant handshake: TLS_DONE and the header inside start() */
	h_config(&h, JID, CXI_TLS_DIRECT);
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	ck_assert_int_eq(h.ev[0].type, CXI_STREAM_EV_TLS_DONE);
	ck_assert(attr_is(h_take(&h), "from", "alice@example.org"));
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_handshake_fails)
{
	harness h;

	h_config(&h, JID, CXI_TLS_DIRECT);
	h.tls.server_hello = "[fake ServerHello]";
	h.tls.fail_handshake = true;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, "[fake ServerHello]"), CX_ERR_TLS_VERIFY);
	ck_assert_uint_eq(h.err.tls_code, 62);
	ck_assert_str_eq(h_take(&h), "");
	assert_failed(&h, CX_ERR_TLS_VERIFY);
	ck_assert(!h.tls.shutdown);
	h_free(&h);

	/* the TLS engine refuses to start */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.tls.fail_new = true;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, S_HDR F_TLS);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, PROCEED), CX_ERR_TLS);
	ck_assert_str_eq(h_take(&h), "");
	assert_failed(&h, CX_ERR_TLS);
	h_free(&h);

	/* direct TLS that cannot start: start() reports it */
	h_config(&h, JID, CXI_TLS_DIRECT);
	h.tls.fail_new = true;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, &h.err), CX_ERR_TLS);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_ERROR);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_insecure_modes)
{
	harness h;
	const char *o;

	/* NONE: STARTTLS ignored even when offered; PLAIN in clear only with
	 * both switches (the second one is ours) */
	h_config(&h, JID, CXI_TLS_INSECURE_NONE);
	h.cfg.insecure_allow_plain_auth = true;
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	h_ok(&h, S_HDR "<stream:features><starttls "
		       "xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><mechanisms "
		       "xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" M("PLAIN")
		       "</mechanisms></stream:features>");
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "mechanism='PLAIN'"));
	ck_assert_int_eq(h.tls.sessions, 0);
	h_free(&h);

	/* OPTIONAL: plaintext when not offered ... */
	h_config(&h, JID, CXI_TLS_INSECURE_OPTIONAL);
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	h_ok(&h, S_HDR MECHS(M("SCRAM-SHA-1")));
	ck_assert_ptr_nonnull(strstr(h_take(&h), "mechanism='SCRAM-SHA-1'"));
	ck_assert_ptr_nonnull(strstr((char *)h.logs.data, "plaintext"));
	h_free(&h);

	/* ... STARTTLS when offered */
	h_config(&h, JID, CXI_TLS_INSECURE_OPTIONAL);
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	h_ok(&h, S_HDR F_TLS);
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<starttls"));
	h_free(&h);

	/* NONE without the PLAIN switch: no mechanism */
	h_config(&h, JID, CXI_TLS_INSECURE_NONE);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, S_HDR MECHS(M("PLAIN"))),
			 CX_ERR_AUTH_MECHANISM);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_peer_close_notify)
{
	harness h;

	h_to_ready(&h);
	h.tls.peer_close = true;
	ck_assert_int_eq(h_feed(&h, "<message><body>last</body></message>"),
			 CX_ERR_DISCONNECTED);
	ck_assert_int_eq(h.ev[h.nev - 2].type, CXI_STREAM_EV_STANZA);
	ck_assert_str_eq(h.ev[h.nev - 2].body, "last");
	ck_assert_str_eq(h_take(&h), "");
	assert_failed(&h, CX_ERR_DISCONNECTED);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_write_fails)
{
	harness h;

	h_to_ready(&h);
	h.tls.fail_write = true;
	ck_assert_int_eq(cxi_stream_send_raw(h.s, "<presence/>", 11, &h.err),
			 CX_ERR_TLS);
	ck_assert_str_eq(h_take(&h), "");
	ck_assert(!h.tls.shutdown);
	assert_failed(&h, CX_ERR_TLS);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_tls_no_channel_binding)
{
	harness h;

	/* tls-unique cannot be had: no -PLUS even though offered */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.tls.no_unique = true;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("SCRAM-SHA-1-PLUS") M("SCRAM-SHA-1")));
	ck_assert_str_eq(h.tls.cb_asked, "tls-unique");
	ck_assert_ptr_nonnull(strstr(h_take(&h), "mechanism='SCRAM-SHA-1'"));
	ck_assert_ptr_nonnull(strstr((char *)h.logs.data,
				     "channel binding tls-unique not available"));
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* binding                                                                 */

static const char *const bind_errors[] = { "conflict", "not-allowed",
					    "bad-request" };

START_TEST(test_stream_bind_error)
{
	harness h;
	char buf[512];

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_to_binding(&h, F_BIND);
	snprintf(buf, sizeof(buf),
		 "<iq type='error' id='%s'><error type='cancel'><%s "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text "
		 "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>no %s</text>"
		 "</error></iq>",
		 h.bind_id, bind_errors[_i], bind_errors[_i]);
	ck_assert_int_eq(h_feed(&h, buf), CX_ERR_BIND);
	ck_assert_str_eq(h.err.condition, bind_errors[_i]);
	ck_assert_str_eq(h.err.error_type, "cancel");
	snprintf(buf, sizeof(buf), "no %s", bind_errors[_i]);
	ck_assert_str_eq(h.err.text, buf);
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_BIND);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_bind_other_bare_jid)
{
	static const char *const bad[] = {
		"mallory@example.org/res", "alice@evil.example/res",
		"alice@example.org", "not a jid@@"
	};
	harness h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h_config(&h, JID, CXI_TLS_STARTTLS);
		h_to_binding(&h, F_BIND);
		h_bind_reply(&h, bad[i]);
		ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_READY), 0);
		assert_failed(&h, CX_ERR_BIND);
		h_free(&h);
	}
}
END_TEST

START_TEST(test_stream_bind_server_assigned)
{
	harness h;
	const char *o;

	h_config(&h, "alice@example.org", CXI_TLS_STARTTLS);
	h_to_bind_features(&h);
	h_ok(&h, F_BIND);
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "<bind xmlns='urn:ietf:params:xml:ns:"
					"xmpp-bind'/>"));
	ck_assert(find_attr(o, "id", h.bind_id, sizeof(h.bind_id)));
	/* a reply with another id is not ours: dropped */
	h_ok(&h, "<iq type='result' id='other'><bind xmlns='urn:ietf:params:"
		 "xml:ns:xmpp-bind'><jid>alice@example.org/x</jid></bind></iq>");
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_BINDING);
	h_bind_reply(&h, "Alice@Example.org/4f2a-server");
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_READY);
	ck_assert_str_eq(h_last_ev(&h)->jid, "alice@example.org/4f2a-server");
	h_free(&h);
}
END_TEST

START_TEST(test_stream_bind_not_offered)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_to_bind_features(&h);
	ck_assert_int_eq(h_feed(&h, "<stream:features><sm "
				    "xmlns='urn:xmpp:sm:3'/></stream:features>"),
			 CX_ERR_BIND);
	ck_assert_int_eq(h.ev[h.nev - 2].type, CXI_STREAM_EV_FEATURES);
	assert_failed(&h, CX_ERR_BIND);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_bind_session)
{
	harness h;
	char id[64], buf[256];
	const char *o;

	/* RFC 3921 server: session listed without <optional/> */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_to_binding(&h, "<stream:features><bind xmlns='urn:ietf:params:xml:"
			 "ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:"
			 "ns:xmpp-session'/></stream:features>");
	h_bind_reply(&h, JID);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_SESSION);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_READY), 0);
	o = h_take(&h);
	ck_assert_ptr_nonnull(strstr(o, "<session xmlns='urn:ietf:params:xml:"
					"ns:xmpp-session'/>"));
	ck_assert(find_attr(o, "id", id, sizeof(id)));
	ck_assert_str_ne(id, h.bind_id);
	/* a stanza before the session is established: not delivered */
	h_ok(&h, "<message from='bob@example.org'><body>early</body></message>");
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 0);
	ck_assert_ptr_nonnull(strstr((char *)h.logs.data, "dropped a <message/>"));
	snprintf(buf, sizeof(buf), "<iq type='result' id='%s'/>", id);
	h_ok(&h, buf);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_READY);
	ck_assert_str_eq(h_last_ev(&h)->jid, JID);
	h_free(&h);

	/* <required/> inside: also sent; and its error fails the stream */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_to_binding(&h, "<stream:features><bind xmlns='urn:ietf:params:xml:"
			 "ns:xmpp-bind'/><session xmlns='urn:ietf:params:xml:"
			 "ns:xmpp-session'><required/></session>"
			 "</stream:features>");
	h_bind_reply(&h, JID);
	o = h_take(&h);
	ck_assert(find_attr(o, "id", id, sizeof(id)));
	snprintf(buf, sizeof(buf),
		 "<iq type='error' id='%s'><error type='wait'><internal-server-"
		 "error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
		 "</iq>", id);
	ck_assert_int_eq(h_feed(&h, buf), CX_ERR_BIND);
	ck_assert_str_eq(h.err.condition, "internal-server-error");
	ck_assert_str_eq(h.err.error_type, "wait");
	assert_failed(&h, CX_ERR_BIND);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_stanza_before_bind_not_delivered)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	/* before TLS, during SASL, during binding */
	h_ok(&h, S_HDR "<message><body>1</body></message>" F_TLS);
	h_ok(&h, "<presence/>" PROCEED);
	h_ok(&h, S_HDR2 MECHS(M("PLAIN")) "<iq type='get' id='x'/>");
	h_ok(&h, SUCCESS);
	h_ok(&h, S_HDR3 F_BIND);
	h_take(&h);
	ck_assert(find_attr(h.last, "id", h.bind_id, sizeof(h.bind_id)));
	h_ok(&h, "<message><body>4</body></message>");
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 0);
	h_bind_reply(&h, JID);
	h_ok(&h, "<message><body>5</body></message>");
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 1);
	ck_assert_str_eq(h_last_ev(&h)->body, "5");
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* stream errors                                                           */

static const char *const stream_conditions[] = {
	"bad-format", "bad-namespace-prefix", "conflict",
	"connection-timeout", "host-gone", "host-unknown",
	"improper-addressing", "internal-server-error", "invalid-from",
	"invalid-namespace", "invalid-xml", "not-authorized",
	"not-well-formed", "policy-violation", "remote-connection-failed",
	"reset", "resource-constraint", "restricted-xml", "see-other-host",
	"system-shutdown", "undefined-condition", "unsupported-encoding",
	"unsupported-feature", "unsupported-stanza-type",
	"unsupported-version"
};
#define NCOND (int)(sizeof(stream_conditions) / sizeof(stream_conditions[0]))

START_TEST(test_stream_error_received)
{
	harness h;
	char buf[512];
	const char *c = stream_conditions[_i];

	h_to_ready(&h);
	snprintf(buf, sizeof(buf),
		 "<stream:error><%s xmlns='" NS_STREAMS_ "'%s<text xmlns='"
		 NS_STREAMS_ "' xml:lang='en'>gone: %s</text><app-error "
		 "xmlns='urn:example:app'/></stream:error>",
		 c,
		 strcmp(c, "see-other-host") == 0 ? ">[2001:db8::1]:5222"
						    "</see-other-host>"
						  : "/>",
		 c);
	ck_assert_int_eq(h_feed(&h, buf), CX_ERR_STREAM_ERROR);
	ck_assert_str_eq(h.err.condition, c);
	snprintf(buf, sizeof(buf), "gone: %s", c);
	ck_assert_str_eq(h.err.text, buf);
	ck_assert_str_eq(h.err.app_condition, "app-error");
	ck_assert_str_eq(h.err.app_ns, "urn:example:app");
	if (strcmp(c, "see-other-host") == 0)
		ck_assert_ptr_nonnull(strstr(h.err.message, "[2001:db8::1]:5222"));
	/* answered with our close, no error of ours */
	ck_assert_str_eq(h_take(&h), S_END);
	ck_assert_str_eq(h_last_ev(&h)->condition, c);
	assert_failed(&h, CX_ERR_STREAM_ERROR);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_error_received_negotiating)
{
	harness h;

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, S_HDR "<stream:error><host-unknown xmlns='"
					  NS_STREAMS_ "'/></stream:error>"),
			 CX_ERR_STREAM_ERROR);
	ck_assert_str_eq(h.err.condition, "host-unknown");
	ck_assert_str_eq(h.err.text, "");
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_STREAM_ERROR);
	h_free(&h);

	/* an unknown condition becomes undefined-condition */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_feed(&h, S_HDR "<stream:error><made-up xmlns='" NS_STREAMS_
			 "'/></stream:error>");
	ck_assert_str_eq(h.err.condition, "undefined-condition");
	h_free(&h);
}
END_TEST

START_TEST(test_stream_error_sent)
{
	harness h;
	char buf[512];

	h_to_ready(&h);
	ck_assert_int_eq(cxi_stream_fail(h.s, "made-up", NULL, &h.err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_stream_fail(h.s, NULL, NULL, &h.err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_READY);
	ck_assert_int_eq(cxi_stream_fail(h.s, stream_conditions[_i], "a<b",
					 &h.err),
			 CX_OK);
	snprintf(buf, sizeof(buf),
		 "<stream:error><%s xmlns='" NS_STREAMS_ "'/><text xmlns='"
		 NS_STREAMS_ "'>a&lt;b</text></stream:error></stream:stream>",
		 stream_conditions[_i]);
	ck_assert_str_eq(h_take(&h), buf);
	ck_assert_str_eq(h_last_ev(&h)->condition, stream_conditions[_i]);
	ck_assert(h.tls.shutdown);
	ck_assert_int_eq(cxi_stream_fail(h.s, "reset", NULL, NULL),
			 CX_ERR_STATE);
	assert_failed(&h, CX_ERR_STREAM_ERROR);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_error_sent_from_handler)
{
	harness h;

	h_to_ready(&h);
	h.fail_on_stanza = true;
	/* the handler fails the stream: the second stanza is not delivered */
	ck_assert_int_eq(h_feed(&h, "<message id='1'/><message id='2'/>"),
			 CX_ERR_STREAM_ERROR);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 1);
	ck_assert_str_eq(h_take(&h),
			 "<stream:error><policy-violation xmlns='" NS_STREAMS_
			 "'/></stream:error></stream:stream>");
	assert_failed(&h, CX_ERR_STREAM_ERROR);
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* bad input                                                               */

static const struct {
	const char *input;
	cx_status status;
	const char *condition;
} bad_xml[] = {
	{ "<message><body>x</bodx></message>", CX_ERR_XML_MALFORMED,
	  "not-well-formed" },
	{ "<message><body>&unknown;</body></message>", CX_ERR_XML_RESTRICTED,
	  "restricted-xml" },
	{ "<?php evil ?><message/>", CX_ERR_XML_RESTRICTED, "restricted-xml" },
	{ "<message><!-- note --></message>", CX_ERR_XML_RESTRICTED,
	  "restricted-xml" },
	/* undeclared prefix: the parser picks the condition */
	{ "<x:message/>", CX_ERR_XML_NAMESPACE, NULL },
};

START_TEST(test_stream_xml_bad_input)
{
	harness h;
	char expect[256];
	const char *o;

	h_to_ready(&h);
	ck_assert_int_eq(h_feed(&h, bad_xml[_i].input), bad_xml[_i].status);
	ck_assert_int_eq(h.err.status, bad_xml[_i].status);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 0);
	o = h_take(&h);
	if (bad_xml[_i].condition != NULL)
		ck_assert_str_eq(h.err.condition, bad_xml[_i].condition);
	/* the parser's condition is the one sent */
	ck_assert_str_ne(h.err.condition, "");
	snprintf(expect, sizeof(expect),
		 "<stream:error><%s xmlns='" NS_STREAMS_
		 "'/></stream:error></stream:stream>",
		 h.err.condition);
	ck_assert_str_eq(o, expect);
	assert_failed(&h, bad_xml[_i].status);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_xml_too_big)
{
	harness h;
	char *big;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.limits.max_stanza_bytes = 1024;
	h_to_binding(&h, F_BIND);
	h_bind_reply(&h, JID);
	big = malloc(4096);
	memset(big, 'a', 4095);
	big[4095] = '\0';
	memcpy(big, "<message><body>", 15);
	ck_assert_int_eq(h_feed(&h, big), CX_ERR_XML_TOO_BIG);
	ck_assert_str_eq(h.err.condition, "policy-violation");
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<policy-violation"));
	free(big);
	h_free(&h);
}
END_TEST

static const struct {
	const char *header;
	cx_status status;
	const char *condition;
} bad_headers[] = {
	{ "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx."
	  "jabber.org/streams' from='example.org' version='1.0'>",
	  CX_ERR_XML_NAMESPACE, "invalid-namespace" },
	{ "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx."
	  "jabber.org/streams' from='example.org' version='0.9'>",
	  CX_ERR_NOT_SUPPORTED, "unsupported-version" },
	{ "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx."
	  "jabber.org/streams' from='example.org'>",
	  CX_ERR_NOT_SUPPORTED, "unsupported-version" },
	{ "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx."
	  "jabber.org/streams' from='evil.example' version='1.0'>",
	  CX_ERR_PROTOCOL, "invalid-from" },
};

START_TEST(test_stream_header_bad)
{
	harness h;
	char expect[256];

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, bad_headers[_i].header),
			 bad_headers[_i].status);
	ck_assert_str_eq(h.err.condition, bad_headers[_i].condition);
	snprintf(expect, sizeof(expect),
		 "<stream:error><%s xmlns='" NS_STREAMS_
		 "'/></stream:error></stream:stream>",
		 bad_headers[_i].condition);
	ck_assert_str_eq(h_take(&h), expect);
	assert_failed(&h, bad_headers[_i].status);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_header_good_variants)
{
	harness h;

	/* version 1.1, no from, no id: accepted */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, "<stream:stream xmlns='jabber:client' xmlns:stream='http://"
		 "etherx.jabber.org/streams' version='1.1'>" F_TLS);
	ck_assert_ptr_null(cxi_stream_get_id(h.s));
	ck_assert_ptr_nonnull(strstr(h_take(&h), "<starttls"));
	h_free(&h);
	/* the domain compares without case */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, "<stream:stream xmlns='jabber:client' xmlns:stream='http://"
		 "etherx.jabber.org/streams' from='EXAMPLE.org' id='x' "
		 "version='1.0'>" F_TLS);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_unknown_top_level)
{
	harness h;

	/* after READY: unsupported-stanza-type (XEP-0198 <r/> included) */
	h_to_ready(&h);
	ck_assert_int_eq(h_feed(&h, "<r xmlns='urn:xmpp:sm:3'/>"),
			 CX_ERR_PROTOCOL);
	ck_assert_str_eq(h.err.condition, "unsupported-stanza-type");
	ck_assert_str_eq(h_take(&h),
			 "<stream:error><unsupported-stanza-type xmlns='"
			 NS_STREAMS_ "'/></stream:error></stream:stream>");
	assert_failed(&h, CX_ERR_PROTOCOL);
	h_free(&h);

	/* during negotiation: too */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	ck_assert_int_eq(h_feed(&h, S_HDR "<foo xmlns='urn:x'/>"),
			 CX_ERR_PROTOCOL);
	ck_assert_str_eq(h.err.condition, "unsupported-stanza-type");
	h_free(&h);

	/* a second features element in one stream */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	ck_assert_int_eq(h_feed(&h, S_HDR F_TLS F_TLS), CX_ERR_PROTOCOL);
	ck_assert_str_eq(h.err.condition, "policy-violation");
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* closing                                                                 */

START_TEST(test_stream_close_we_first)
{
	harness h;

	h_to_ready(&h);
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_OK);
	ck_assert_str_eq(h_take(&h), S_END);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_CLOSING);
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_send_raw(h.s, "<presence/>", 11, NULL),
			 CX_ERR_STATE);
	/* the peer may still send stanzas before its close */
	h_ok(&h, "<message id='late'/><r xmlns='urn:xmpp:sm:3'/>");
	ck_assert_str_eq(h_last_ev(&h)->id, "late");
	h_ok(&h, S_END);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_CLOSED);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_CLOSED);
	ck_assert_str_eq(h_take(&h), "");
	ck_assert(h.tls.shutdown);
	ck_assert_int_eq(h_feed(&h, "<message/>"), CX_ERR_STATE);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_CLOSED), 1);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_ERROR), 0);
	cxi_stream_eof(h.s, CX_ERR_IO);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_ERROR), 0);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_close_peer_first)
{
	harness h;

	h_to_ready(&h);
	h_ok(&h, "<presence/>" S_END "<message/>");
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_CLOSED);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_STANZA), 1);
	ck_assert_str_eq(h_take(&h), S_END);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_CLOSED);
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_ERR_STATE);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_close_from_ready_handler)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.close_on_ready = true;
	h_to_binding(&h, F_BIND);
	h_bind_reply(&h, JID);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_CLOSING);
	ck_assert_str_eq(h_take(&h), S_END);
	h_ok(&h, S_END);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_CLOSED);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_close_peer_during_negotiation)
{
	harness h;

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_take(&h);
	ck_assert_int_eq(h_feed(&h, S_HDR S_END), CX_ERR_CLOSED);
	ck_assert_str_eq(h_take(&h), S_END);
	assert_failed(&h, CX_ERR_CLOSED);
	h_free(&h);

	/* we abort a negotiation: the peer's close ends it as CLOSED */
	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, S_HDR F_TLS);
	h_take(&h);
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_OK);
	ck_assert_str_eq(h_take(&h), S_END);
	h_ok(&h, PROCEED S_END);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_CLOSED);
	ck_assert_int_eq(h.tls.sessions, 0);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_close_eof)
{
	harness h;

	h_to_ready(&h);
	cxi_stream_eof(h.s, CX_ERR_IO);
	ck_assert_str_eq(h_take(&h), "");
	assert_failed(&h, CX_ERR_DISCONNECTED);
	cxi_stream_eof(h.s, CX_ERR_IO);
	ck_assert_uint_eq(h_count(&h, CXI_STREAM_EV_ERROR), 1);
	h_free(&h);

	/* EOF after our close: a normal end */
	h_to_ready(&h);
	ck_assert_int_eq(cxi_stream_close(h.s, NULL), CX_OK);
	cxi_stream_eof(h.s, CX_OK);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_CLOSED);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_CLOSED);
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* API                                                                     */

START_TEST(test_stream_api_states)
{
	harness h;
	cx_error e = CX_ERROR_INIT;
	cxi_stream *s = NULL;
	cxi_stream_config cfg;
	xmlNodePtr msg;
	xmlNsPtr ns;
	xmlDocPtr doc;

	memset(&cfg, 0, sizeof(cfg));
	ck_assert_int_eq(cxi_stream_new(&s, NULL, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_stream_new(&s, &cfg, &e), CX_ERR_INVALID);
	cfg.jid = "@@bad";
	ck_assert_int_eq(cxi_stream_new(&s, &cfg, &e), CX_ERR_JID);
	ck_assert_ptr_null(s);
	cfg.jid = JID;
	cfg.tls_mode = (cxi_tls_mode)42;
	ck_assert_int_eq(cxi_stream_new(&s, &cfg, &e), CX_ERR_INVALID);

	h_init(&h, JID, CXI_TLS_STARTTLS);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_IDLE);
	ck_assert_int_eq(cxi_stream_feed(h.s, "<a/>", 4, &e), CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_close(h.s, &e), CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_send_raw(h.s, "<presence/>", 11, &e),
			 CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_start(h.s, &e), CX_OK);
	ck_assert_int_eq(cxi_stream_start(h.s, &e), CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_send_raw(h.s, "<presence/>", 11, &e),
			 CX_ERR_STATE);
	ck_assert(cxi_stream_has_output(h.s));
	ck_assert_int_eq(cxi_stream_feed(h.s, "", 0, &e), CX_OK);
	h_free(&h);

	/* sending in READY, through TLS */
	h_to_ready(&h);
	doc = xmlNewDoc(BAD_CAST "1.0");
	msg = xmlNewNode(NULL, BAD_CAST "message");
	xmlDocSetRootElement(doc, msg);
	ns = xmlNewNs(msg, BAD_CAST "jabber:client", NULL);
	xmlSetNs(msg, ns);
	xmlNewProp(msg, BAD_CAST "to", BAD_CAST "bob@example.org");
	xmlNewTextChild(msg, ns, BAD_CAST "body", BAD_CAST "1 < 2");
	h.tls.written = 0;
	ck_assert_int_eq(cxi_stream_send(h.s, msg, &e), CX_OK);
	ck_assert_str_eq(h_take(&h), "<message to=\"bob@example.org\"><body>"
				     "1 &lt; 2</body></message>");
	ck_assert_uint_eq(h.tls.written, strlen(h.last));
	ck_assert_int_eq(cxi_stream_send(h.s, NULL, &e), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_stream_send_raw(h.s, NULL, 3, &e),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_stream_send_raw(h.s, "", 0, &e), CX_OK);
	ck_assert_int_eq(cxi_stream_close(h.s, &e), CX_OK);
	ck_assert_int_eq(cxi_stream_send(h.s, msg, &e), CX_ERR_STATE);
	xmlFreeDoc(doc);
	h_free(&h);

	cxi_stream_free(NULL);
}
END_TEST

START_TEST(test_stream_api_no_event_callback)
{
	harness h;
	char id[64], buf[256];

	/* stanzas delivered to nobody are freed by the stream (ASan and
	 * valgrind check it) */
	h_config(&h, JID, CXI_TLS_INSECURE_NONE);
	h.cfg.on_event = NULL;
	h.cfg.insecure_allow_plain_auth = true;
	h.cfg.sasl_allowed = CXI_SASL_PLAIN;
	h_new(&h);
	ck_assert_int_eq(cxi_stream_start(h.s, NULL), CX_OK);
	h_ok(&h, S_HDR MECHS(M("PLAIN")));
	h_ok(&h, SUCCESS);
	h_ok(&h, S_HDR3 F_BIND);
	h_take(&h);
	ck_assert(find_attr(h.last, "id", id, sizeof(id)));
	snprintf(buf, sizeof(buf),
		 "<iq type='result' id='%s'><bind xmlns='urn:ietf:params:xml:"
		 "ns:xmpp-bind'><jid>" JID "</jid></bind></iq>"
		 "<message><body>to nobody</body></message>", id);
	h_ok(&h, buf);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_READY);
	ck_assert_uint_eq(h.nev, 0);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_api_reentrant_feed)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.feed_on_ready = true;
	h_to_binding(&h, F_BIND);
	h_bind_reply(&h, JID);
	ck_assert_int_eq(h.feed_status, CX_ERR_STATE);
	ck_assert_int_eq(cxi_stream_get_state(h.s), CXI_STREAM_READY);
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */
/* logging                                                                 */

START_TEST(test_stream_log_masks_secrets)
{
	harness h;
	char *log, *o;
	size_t i;

	/* SCRAM-SHA-256-PLUS: every payload collected from the output */
	h_config(&h, JID, CXI_TLS_STARTTLS);
	h_new(&h);
	h_to_sasl_features(&h);
	scram_login(&h, MECHS(M("SCRAM-SHA-1") M("SCRAM-SHA-256")
			      M("SCRAM-SHA-256-PLUS")),
		    "SCRAM-SHA-256-PLUS", "p=tls-unique,", false);
	ck_assert_int_eq(h_last_ev(&h)->type, CXI_STREAM_EV_AUTHENTICATED);
	h_take(&h);
	log = cxi_buf_strdup(&h.logs);
	o = cxi_buf_strdup(&h.all_out);
	ck_assert_ptr_null(strstr(log, PASSWORD));
	ck_assert_ptr_nonnull(strstr(log, "[in] "));
	ck_assert_ptr_nonnull(strstr(log, "[out] "));
	ck_assert_ptr_nonnull(strstr(log, "<stream:features>"));
	ck_assert_ptr_nonnull(strstr(log, "<auth xmlns='urn:ietf:params:xml:"
					  "ns:xmpp-sasl' mechanism='SCRAM-SHA-"
					  "256-PLUS'>[hidden]</auth>"));
	ck_assert_ptr_nonnull(strstr(log, "<response xmlns='urn:ietf:params:"
					  "xml:ns:xmpp-sasl'>[hidden]"
					  "</response>"));
	ck_assert_ptr_nonnull(strstr(log, "<challenge xmlns='urn:ietf:params:"
					  "xml:ns:xmpp-sasl'>[hidden]"
					  "</challenge>"));
	ck_assert_ptr_nonnull(strstr(log, "<success xmlns='urn:ietf:params:"
					  "xml:ns:xmpp-sasl'>[hidden]"
					  "</success>"));
	/* our payloads are in the output, and none of them in the log */
	for (i = 0; i < 2; i++) {
		char *p = element_content(o, i == 0 ? "auth" : "response");

		ck_assert_ptr_nonnull(p);
		ck_assert_uint_gt(strlen(p), 20);
		ck_assert_ptr_null(strstr(log, p));
		ck_assert_ptr_null(strstr(log, p + strlen(p) / 2));
		free(p);
	}
	free(log);
	free(o);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_log_masks_split_payloads)
{
	harness h;
	static const char chal[] =
		"<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
		"cj1TRUNSRVQtU0VSVkVSLU5PTkNFLHM9U0FMVCxpPTQwOTY=</challenge>";
	char *log;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.cfg.sasl_allowed = CXI_SASL_SCRAM_SHA_1;
	h_new(&h);
	h_to_sasl_features(&h);
	h_ok(&h, MECHS(M("SCRAM-SHA-1")));
	/* a challenge fed one byte at a time: still hidden in the log (the
	 * bogus nonce then fails the SCRAM step) */
	h_feed_bytewise(&h, chal, strlen(chal));
	log = cxi_buf_strdup(&h.logs);
	ck_assert_ptr_null(strstr(log, "cj1T"));
	ck_assert_ptr_null(strstr(log, "U0VSVkVS"));
	ck_assert_ptr_nonnull(strstr(log, "[hidden]"));
	ck_assert_ptr_null(strstr(log, PASSWORD));
	free(log);
	h_free(&h);
}
END_TEST

START_TEST(test_stream_log_off_below_trace)
{
	harness h;

	h_config(&h, JID, CXI_TLS_STARTTLS);
	h.logger.max_level = CX_LOG_DEBUG;
	h_to_binding(&h, F_BIND);
	h_bind_reply(&h, JID);
	ck_assert_ptr_null(strstr((char *)h.logs.data, "[in]"));
	ck_assert_ptr_null(strstr((char *)h.logs.data, "[out]"));
	ck_assert_ptr_nonnull(strstr((char *)h.logs.data, "[stream] ready as"));
	h_free(&h);
}
END_TEST

/* ---------------------------------------------------------------------- */

static Suite *
stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc;

	tc = tcase_create("transcript");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_transcript_prosody);
	tcase_add_test(tc, test_stream_transcript_ejabberd);
	tcase_add_test(tc, test_stream_transcript_rfc6120);
	tcase_add_loop_test(tc, test_stream_transcript_bytewise, 0,
			    (int)(sizeof(transcripts) / sizeof(transcripts[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("scram");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_scram_sha1);
	tcase_add_test(tc, test_stream_scram_sha256);
	tcase_add_test(tc, test_stream_scram_sha256_plus_exporter);
	tcase_add_test(tc, test_stream_scram_sha1_plus_unique_no_list);
	tcase_add_test(tc, test_stream_scram_list_without_usable_type);
	tcase_add_test(tc, test_stream_scram_bad_server_signature);
	tcase_add_test(tc, test_stream_sasl_no_acceptable_mechanism);
	tcase_add_test(tc, test_stream_sasl_no_mechanisms);
	suite_add_tcase(s, tc);

	tc = tcase_create("sasl_failure");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_stream_sasl_failure_condition, 0,
			    (int)(sizeof(sasl_failures) /
				  sizeof(sasl_failures[0])));
	tcase_add_test(tc, test_stream_sasl_failure_without_condition);
	tcase_add_test(tc, test_stream_sasl_anonymous);
	tcase_add_test(tc, test_stream_sasl_unexpected_element);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_tls_required_not_offered);
	tcase_add_test(tc, test_stream_tls_refused);
	tcase_add_test(tc, test_stream_tls_bytes_after_proceed_discarded);
	tcase_add_test(tc, test_stream_tls_bytes_after_success_discarded);
	tcase_add_test(tc, test_stream_tls_direct);
	tcase_add_test(tc, test_stream_tls_handshake_fails);
	tcase_add_test(tc, test_stream_tls_insecure_modes);
	tcase_add_test(tc, test_stream_tls_peer_close_notify);
	tcase_add_test(tc, test_stream_tls_write_fails);
	tcase_add_test(tc, test_stream_tls_no_channel_binding);
	suite_add_tcase(s, tc);

	tc = tcase_create("bind");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_stream_bind_error, 0,
			    (int)(sizeof(bind_errors) / sizeof(bind_errors[0])));
	tcase_add_test(tc, test_stream_bind_other_bare_jid);
	tcase_add_test(tc, test_stream_bind_server_assigned);
	tcase_add_test(tc, test_stream_bind_not_offered);
	tcase_add_test(tc, test_stream_bind_session);
	tcase_add_test(tc, test_stream_stanza_before_bind_not_delivered);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream_error");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_stream_error_received, 0, NCOND);
	tcase_add_test(tc, test_stream_error_received_negotiating);
	tcase_add_loop_test(tc, test_stream_error_sent, 0, NCOND);
	tcase_add_test(tc, test_stream_error_sent_from_handler);
	suite_add_tcase(s, tc);

	tc = tcase_create("xml");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_stream_xml_bad_input, 0,
			    (int)(sizeof(bad_xml) / sizeof(bad_xml[0])));
	tcase_add_test(tc, test_stream_xml_too_big);
	tcase_add_loop_test(tc, test_stream_header_bad, 0,
			    (int)(sizeof(bad_headers) /
				  sizeof(bad_headers[0])));
	tcase_add_test(tc, test_stream_header_good_variants);
	tcase_add_test(tc, test_stream_unknown_top_level);
	suite_add_tcase(s, tc);

	tc = tcase_create("close");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_close_we_first);
	tcase_add_test(tc, test_stream_close_peer_first);
	tcase_add_test(tc, test_stream_close_from_ready_handler);
	tcase_add_test(tc, test_stream_close_peer_during_negotiation);
	tcase_add_test(tc, test_stream_close_eof);
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_api_states);
	tcase_add_test(tc, test_stream_api_no_event_callback);
	tcase_add_test(tc, test_stream_api_reentrant_feed);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_stream_log_masks_secrets);
	tcase_add_test(tc, test_stream_log_masks_split_payloads);
	tcase_add_test(tc, test_stream_log_off_below_trace);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(stream_suite)

/*
 * The client stream state machine (RFC 6120).
 *
 * Design notes
 *
 * - Sans I/O: bytes come in through cxi_stream_feed(), bytes for the
 *   transport collect in s->out, and everything else is an event. TLS is
 *   reached only through cxi_tls_ops, so tests swap OpenSSL for a fake.
 *
 * - The XML parser calls us back from inside cxi_xml_parser_feed(). A
 *   callback never resets the parser it runs in: it records what must
 *   happen (a stream restart, the end of the stream, a failure), calls
 *   cxi_xml_parser_stop(), and parse_plain() acts once feed has returned.
 *   The bytes of a chunk that follow <proceed/> or SASL <success/> are
 *   dropped, never parsed in the new stream: a man in the middle could
 *   otherwise inject plaintext that would be read as if it came through
 *   TLS (the STARTTLS command-injection class of bugs).
 *
 * - Failures all go through end_failed(): it queues the stream error (when
 *   we have one to send and a stream to send it on), our </stream:stream>,
 *   a TLS close_notify, moves to FAILED and emits the one ERROR event. The
 *   terminal flag makes ERROR or CLOSED the last event whatever path ran
 *   first. After that, feed returns the stored failure (FAILED) or
 *   CX_ERR_STATE (CLOSED).
 *
 * - Logging: raw XML goes to the "in" and "out" categories at TRACE (the
 *   level that also carries nothing else but raw protocol), negotiation
 *   steps to "stream"/"tls"/"sasl" at DEBUG. Until the stream is READY,
 *   input is logged through a small masking scanner that keeps the tags of
 *   <auth>, <response>, <challenge> and <success> but replaces their
 *   content with [hidden]; the scanner keeps its state across chunks, so a
 *   payload split between two reads is hidden too. Our own SASL elements
 *   are logged from a masked copy built next to the real one. Nothing is
 *   formatted unless the level is enabled.
 *
 * - Legacy session establishment (RFC 3921): sent only when the server
 *   lists <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/> without
 *   an <optional/> child (draft-cridland-xmpp-session-01, which RFC 6121
 *   appendix E points to); <required/> or a bare element both mean "send".
 *
 * - The server's stream header: namespace must be jabber:client
 *   (invalid-namespace), version >= 1.0 (unsupported-version; a missing
 *   version counts as 0.9, RFC 6120 4.7.5), and a 'from' that is present
 *   must be our domain (invalid-from: the condition RFC 6120 4.9.3.9
 *   defines for a 'from' that does not match the negotiated domain;
 *   host-unknown is about the 'to' the receiving side does not serve).
 *   A missing 'from' is tolerated (SHOULD in RFC 6120 4.7.1).
 */
#include "config.h"

#include "lib/stream/stream.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cxmpp/jid.h"
#include "lib/core/error.h"
#include "lib/core/id.h"
#include "lib/stream/sasl.h"

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_BIND "urn:ietf:params:xml:ns:xmpp-bind"
#define NS_SESSION "urn:ietf:params:xml:ns:xmpp-session"
#define NS_STREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_SASL_CB "urn:xmpp:sasl-cb:0"

#define RAW_LEVEL CX_LOG_TRACE
#define MAX_MECHS 32

enum restart_kind { RESTART_NONE = 0, RESTART_TLS, RESTART_SASL };

/* The masking scanner for raw input logging (see design notes). */
enum mask_state { MASK_TEXT = 0, MASK_NAME, MASK_TAG, MASK_SECRET };

typedef struct mask_scanner {
	enum mask_state st;
	char name[16];
	size_t nlen;
	bool secret_el;
	char quote;
	char last;
} mask_scanner;

struct cxi_stream {
	cxi_stream_state state;

	/* configuration (owned copies) */
	cx_jid *jid;
	char *password;
	char *authzid;
	char *lang;
	cxi_tls_mode tls_mode;
	const cxi_tls_ops *tls_ops;
	void *tls_ctx;
	unsigned sasl_allowed;
	bool insecure_allow_plain_auth;
	unsigned sasl_max_iterations;
	cxi_xml_limits limits;
	cxi_logger logger;
	const cxi_logger *log; /* &logger, or NULL for the default */
	cxi_stream_event_fn on_event;
	void *arg;

	/* machinery */
	cxi_xml_parser *parser;
	cxi_tls *tls;
	bool tls_active;      /* handshake done: XML goes through TLS */
	bool tls_broken;      /* the TLS session failed: write nothing more */
	cxi_sasl *sasl;
	char mechanism[32];   /* the SASL mechanism chosen, kept after success */
	cxi_buf out;          /* for the transport (ciphertext with TLS) */
	cxi_buf plain;        /* scratch: decrypted input */
	cxi_buf scratch;      /* scratch: serialized output */
	mask_scanner in_mask;

	/* per-stream (reset at each restart) */
	bool header_out;      /* our header sent on the current stream */
	bool header_in;       /* the peer's header received */
	bool features_seen;
	enum restart_kind restart;
	bool peer_closed;

	/* session */
	bool authenticated;
	bool session_needed;
	bool ready;           /* reached READY once */
	bool closed_out;      /* we sent </stream:stream> */
	bool terminal;        /* ERROR or CLOSED emitted */
	bool in_parse;        /* inside cxi_xml_parser_feed */
	bool in_feed;
	char stream_id[128];
	char iq_id[40];
	char *bound_jid;
	cx_error failure;
};

/* ---------------------------------------------------------------------- */
/* small helpers                                                           */

static char *
dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (s == NULL)
		return NULL;
	d = strdup(s);
	if (d == NULL)
		*oom = true;
	return d;
}

static bool
node_is(const xmlNode *n, const char *name, const char *ns)
{
	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return false;
	if (strcmp((const char *)n->name, name) != 0)
		return false;
	if (ns == NULL)
		return n->ns == NULL || n->ns->href == NULL;
	return n->ns != NULL && n->ns->href != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0;
}

static bool
node_in_ns(const xmlNode *n, const char *ns)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       n->ns->href != NULL && strcmp((const char *)n->ns->href, ns) == 0;
}

static xmlNode *
child(const xmlNode *n, const char *name, const char *ns)
{
	xmlNode *c;

	for (c = n->children; c != NULL; c = c->next)
		if (node_is(c, name, ns))
			return c;
	return NULL;
}

/* Text content (malloc'd by libxml2, free with xmlFree), never NULL unless
 * out of memory. */
static char *
node_text(const xmlNode *n)
{
	xmlChar *t = xmlNodeGetContent(n);

	return (char *)t;
}

static const char *
attr(const xmlNode *n, const char *name)
{
	xmlAttr *a;

	for (a = n->properties; a != NULL; a = a->next) {
		if (a->ns == NULL && strcmp((const char *)a->name, name) == 0 &&
		    a->children != NULL && a->children->type == XML_TEXT_NODE)
			return (const char *)a->children->content;
	}
	return NULL;
}

static bool
is_stanza(const xmlNode *n)
{
	return node_is(n, "message", CXI_NS_CLIENT) ||
	       node_is(n, "presence", CXI_NS_CLIENT) ||
	       node_is(n, "iq", CXI_NS_CLIENT);
}

static void
free_elem(xmlNodePtr elem)
{
	if (elem == NULL)
		return;
	if (elem->doc != NULL)
		xmlFreeDoc(elem->doc);
	else
		xmlFreeNode(elem);
}

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

static bool
known_stream_condition(const char *c)
{
	size_t i;

	for (i = 0; i < sizeof(stream_conditions) / sizeof(stream_conditions[0]);
	     i++)
		if (strcmp(stream_conditions[i], c) == 0)
			return true;
	return false;
}

/* ---------------------------------------------------------------------- */
/* logging                                                                 */

static bool
is_secret_name(const char *n)
{
	return strcmp(n, "auth") == 0 || strcmp(n, "response") == 0 ||
	       strcmp(n, "challenge") == 0 || strcmp(n, "success") == 0;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Appends the masked form of data to out; state persists across calls. */
static cx_status
mask_append(mask_scanner *m, cxi_buf *out, const uint8_t *data, size_t len)
{
	static const char hidden[] = "[hidden]";
	size_t i, start = 0;
	cx_status st;

	for (i = 0; i < len; i++) {
		char c = (char)data[i];

		switch (m->st) {
		case MASK_TEXT:
			if (c == '<') {
				m->st = MASK_NAME;
				m->nlen = 0;
			}
			break;
		case MASK_NAME:
			if (!is_space(c) && c != '>' && c != '/') {
				if (c == ':')
					m->nlen = 0; /* keep the local name */
				else if (m->nlen + 1 < sizeof(m->name))
					m->name[m->nlen++] = c;
				break;
			}
			if (c == '/' && m->nlen == 0) {
				/* an end tag: never secret */
				m->name[m->nlen++] = '/';
				break;
			}
			m->name[m->nlen] = '\0';
			m->secret_el = is_secret_name(m->name);
			m->quote = 0;
			m->last = 0;
			m->st = MASK_TAG;
			/* FALLTHROUGH */
		case MASK_TAG:
			if (m->quote != 0) {
				if (c == m->quote)
					m->quote = 0;
			} else if (c == '"' || c == '\'') {
				m->quote = c;
			} else if (c == '>') {
				if (m->secret_el && m->last != '/') {
					st = cxi_buf_append(out, data + start,
							    i + 1 - start);
					if (st != CX_OK)
						return st;
					st = cxi_buf_append(out, hidden,
							    sizeof(hidden) - 1);
					if (st != CX_OK)
						return st;
					start = i + 1;
					m->st = MASK_SECRET;
				} else {
					m->st = MASK_TEXT;
				}
				break;
			}
			if (!is_space(c))
				m->last = c;
			break;
		case MASK_SECRET:
			if (c == '<') {
				start = i;
				m->st = MASK_NAME;
				m->nlen = 0;
			} else {
				start = i + 1;
			}
			break;
		}
	}
	if (m->st != MASK_SECRET && start < len)
		return cxi_buf_append(out, data + start, len - start);
	return CX_OK;
}

static void
log_in(cxi_stream *s, const uint8_t *data, size_t len)
{
	cxi_buf b = CXI_BUF_INIT;

	if (!cxi_log_enabled(s->log, RAW_LEVEL))
		return;
	if (s->ready) {
		cxi_log_raw(s->log, RAW_LEVEL, CX_LOG_CAT_IN,
			    (const char *)data, len);
		return;
	}
	if (mask_append(&s->in_mask, &b, data, len) == CX_OK &&
	    cxi_buf_size(&b) > 0)
		cxi_log_raw(s->log, RAW_LEVEL, CX_LOG_CAT_IN,
			    (const char *)cxi_buf_head(&b), cxi_buf_size(&b));
	cxi_buf_free(&b);
}

/* ---------------------------------------------------------------------- */
/* events and the terminal states                                          */

static bool
is_terminal(const cxi_stream *s)
{
	return s->terminal || s->state == CXI_STREAM_FAILED ||
	       s->state == CXI_STREAM_CLOSED;
}

static void
emit(cxi_stream *s, cxi_stream_event *ev)
{
	if (s->terminal) {
		if (ev->type == CXI_STREAM_EV_STANZA)
			free_elem(ev->stanza);
		return;
	}
	if (ev->type == CXI_STREAM_EV_ERROR || ev->type == CXI_STREAM_EV_CLOSED)
		s->terminal = true;
	if (s->on_event != NULL)
		s->on_event(s->arg, ev);
	else if (ev->type == CXI_STREAM_EV_STANZA)
		free_elem(ev->stanza);
}

static void
emit_simple(cxi_stream *s, cxi_stream_event_type type)
{
	cxi_stream_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	emit(s, &ev);
}

static void fail_nomem(cxi_stream *s);

static void
pull_tls(cxi_stream *s)
{
	if (s->tls != NULL && s->tls_ops->pull_output(s->tls, &s->out) != CX_OK)
		fail_nomem(s);
}

static bool
can_write_xml(const cxi_stream *s)
{
	return s->header_out && !s->closed_out && !s->tls_broken &&
	       s->state != CXI_STREAM_TLS_HANDSHAKE &&
	       s->state != CXI_STREAM_IDLE;
}

static void end_failed(cxi_stream *s, const char *send_cond,
		       const char *send_text);

/*
 * Queues bytes for the peer, through TLS once it is up. log_as, when not
 * NULL, is what the "out" log shows instead (masked SASL elements).
 */
static cx_status
write_out(cxi_stream *s, const void *data, size_t len, const char *log_as)
{
	cx_status st;
	cx_error terr = CX_ERROR_INIT;

	if (cxi_log_enabled(s->log, RAW_LEVEL)) {
		if (log_as != NULL)
			cxi_log(s->log, RAW_LEVEL, CX_LOG_CAT_OUT, "%s", log_as);
		else
			cxi_log_raw(s->log, RAW_LEVEL, CX_LOG_CAT_OUT,
				    (const char *)data, len);
	}
	if (s->tls_active) {
		st = s->tls_ops->write(s->tls, data, len, &terr);
		pull_tls(s);
		if (st != CX_OK) {
			s->tls_broken = true;
			if (!is_terminal(s)) {
				cxi_error_copy(&s->failure, &terr);
				s->failure.status = st;
				end_failed(s, NULL, NULL);
			}
			return st;
		}
		return CX_OK;
	}
	st = cxi_buf_append(&s->out, data, len);
	if (st != CX_OK)
		fail_nomem(s);
	return st;
}

static cx_status
write_str(cxi_stream *s, const char *str)
{
	return write_out(s, str, strlen(str), NULL);
}

static void
tls_close_notify(cxi_stream *s)
{
	cx_error terr = CX_ERROR_INIT;

	if (s->tls != NULL && s->tls_active && !s->tls_broken) {
		(void)s->tls_ops->shutdown(s->tls, &terr);
		(void)s->tls_ops->pull_output(s->tls, &s->out);
	}
}

static void
stop_parser(cxi_stream *s)
{
	if (s->in_parse)
		cxi_xml_parser_stop(s->parser);
}

/*
 * The single way into FAILED. s->failure holds the status and details.
 * send_cond: stream error condition to send, or NULL for a plain close.
 */
static void
end_failed(cxi_stream *s, const char *send_cond, const char *send_text)
{
	cxi_stream_event ev;

	if (is_terminal(s))
		return;
	if (s->failure.status == CX_OK)
		s->failure.status = CX_ERR_PROTOCOL;
	if (send_cond != NULL) {
		cxi_strlcpy(s->failure.condition, send_cond,
			    sizeof(s->failure.condition));
		cxi_strlcpy(s->failure.text, send_text ? send_text : "",
			    sizeof(s->failure.text));
	}
	if (can_write_xml(s)) {
		if (send_cond != NULL) {
			cxi_buf *b = &s->scratch;

			cxi_buf_reset(b);
			if (cxi_buf_printf(b, "<stream:error><%s xmlns='"
					   NS_STREAMS "'/>", send_cond) ==
				    CX_OK &&
			    (send_text == NULL ||
			     (cxi_buf_append_str(b, "<text xmlns='" NS_STREAMS
						    "'>") == CX_OK &&
			      cxi_xml_escape(b, send_text, strlen(send_text),
					     false) == CX_OK &&
			      cxi_buf_append_str(b, "</text>") == CX_OK)) &&
			    cxi_buf_append_str(b, "</stream:error>") == CX_OK)
				(void)write_out(s, cxi_buf_head(b),
						cxi_buf_size(b), NULL);
			cxi_buf_reset(b);
		}
		if (!is_terminal(s) && !s->closed_out) {
			s->closed_out = true;
			(void)write_str(s, CXI_XML_STREAM_END);
		}
	}
	if (s->terminal)
		return; /* a write failure above already ended the stream */
	s->state = CXI_STREAM_FAILED;
	tls_close_notify(s);
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
		"stream failed: %s%s%s", s->failure.message,
		s->failure.condition[0] ? " condition=" : "",
		s->failure.condition);
	stop_parser(s);
	memset(&ev, 0, sizeof(ev));
	ev.type = CXI_STREAM_EV_ERROR;
	ev.error = &s->failure;
	emit(s, &ev);
}

static void
fail_nomem(cxi_stream *s)
{
	if (is_terminal(s))
		return;
	cxi_error_set(&s->failure, CX_ERR_NOMEM, "out of memory");
	/* Writing would need memory too: end without a goodbye. */
	s->tls_broken = true;
	end_failed(s, NULL, NULL);
}

static void
end_closed(cxi_stream *s)
{
	if (is_terminal(s))
		return;
	if (can_write_xml(s)) {
		s->closed_out = true;
		(void)write_str(s, CXI_XML_STREAM_END);
	}
	if (is_terminal(s))
		return;
	s->state = CXI_STREAM_CLOSED;
	tls_close_notify(s);
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM, "stream closed");
	stop_parser(s);
	emit_simple(s, CXI_STREAM_EV_CLOSED);
}

/* ---------------------------------------------------------------------- */
/* opening streams                                                         */

static void
open_stream(cxi_stream *s)
{
	cxi_buf *b = &s->scratch;
	const char *from = NULL;

	/* RFC 6120 4.7.1: 'from' only once the stream is encrypted. */
	if (s->tls_active && cx_jid_local(s->jid) != NULL)
		from = cx_jid_bare_string(s->jid);
	s->header_in = false;
	s->features_seen = false;
	s->stream_id[0] = '\0';
	s->header_out = true;
	s->state = CXI_STREAM_OPENING;
	cxi_buf_reset(b);
	if (cxi_xml_stream_header(b, cx_jid_domain(s->jid), from, s->lang) !=
	    CX_OK) {
		fail_nomem(s);
		return;
	}
	(void)write_out(s, cxi_buf_head(b), cxi_buf_size(b), NULL);
	cxi_buf_reset(b);
}

static void
tls_established(cxi_stream *s)
{
	s->tls_active = true;
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_TLS,
		"TLS established (version 0x%04x)",
		(unsigned)s->tls_ops->version(s->tls));
	emit_simple(s, CXI_STREAM_EV_TLS_DONE);
	if (is_terminal(s))
		return;
	open_stream(s);
}

static void
begin_tls(cxi_stream *s, const char *alpn)
{
	cx_error terr = CX_ERROR_INIT;

	s->header_out = false;
	s->state = CXI_STREAM_TLS_HANDSHAKE;
	s->tls = s->tls_ops->client_new(s->tls_ctx, cx_jid_domain(s->jid),
					alpn, s->log, &terr);
	if (s->tls == NULL) {
		cxi_error_copy(&s->failure, &terr);
		if (s->failure.status == CX_OK)
			cxi_error_set(&s->failure, CX_ERR_TLS,
				      "cannot start a TLS session");
		s->tls_broken = true;
		end_failed(s, NULL, NULL);
		return;
	}
	pull_tls(s);
	if (!is_terminal(s) && s->tls_ops->handshake_done(s->tls))
		tls_established(s);
}

static void
do_restart(cxi_stream *s)
{
	enum restart_kind k = s->restart;
	cx_error perr = CX_ERROR_INIT;

	s->restart = RESTART_NONE;
	memset(&s->in_mask, 0, sizeof(s->in_mask));
	if (cxi_xml_parser_reset(s->parser, &perr) != CX_OK) {
		cxi_error_copy(&s->failure, &perr);
		end_failed(s, NULL, NULL);
		return;
	}
	if (k == RESTART_TLS)
		begin_tls(s, NULL);
	else
		open_stream(s);
}

/* ---------------------------------------------------------------------- */
/* parser callbacks: the header                                            */

static void
on_stream_start(void *arg, const char *default_ns, const cxi_xml_attr *attrs,
		size_t nattrs)
{
	cxi_stream *s = arg;
	const char *version = NULL, *from = NULL, *id = NULL;
	size_t i;
	unsigned major = 0, minor = 0;

	if (is_terminal(s))
		return;
	for (i = 0; i < nattrs; i++) {
		if (attrs[i].prefix != NULL)
			continue;
		if (strcmp(attrs[i].name, "version") == 0)
			version = attrs[i].value;
		else if (strcmp(attrs[i].name, "from") == 0)
			from = attrs[i].value;
		else if (strcmp(attrs[i].name, "id") == 0)
			id = attrs[i].value;
	}
	s->header_in = true;
	if (default_ns == NULL || strcmp(default_ns, CXI_NS_CLIENT) != 0) {
		cxi_error_set(&s->failure, CX_ERR_XML_NAMESPACE,
			      "the server's stream uses the content namespace "
			      "'%s', not jabber:client",
			      default_ns ? default_ns : "(none)");
		end_failed(s, "invalid-namespace", NULL);
		return;
	}
	if (version == NULL ||
	    sscanf(version, "%u.%u", &major, &minor) < 1 || major < 1) {
		cxi_error_set(&s->failure, CX_ERR_NOT_SUPPORTED,
			      "the server speaks XMPP version %s, 1.0 needed",
			      version ? version : "0.9 (no version)");
		end_failed(s, "unsupported-version", NULL);
		return;
	}
	if (from != NULL && strcasecmp(from, cx_jid_domain(s->jid)) != 0) {
		cxi_error_set(&s->failure, CX_ERR_PROTOCOL,
			      "the server answered as '%.64s', not '%.64s'",
			      from, cx_jid_domain(s->jid));
		end_failed(s, "invalid-from", NULL);
		return;
	}
	if (id != NULL) {
		cxi_strlcpy(s->stream_id, id, sizeof(s->stream_id));
	} else {
		s->stream_id[0] = '\0';
		cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
			"the server's stream header has no id");
	}
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
		"stream opened by %s, id '%s', version %u.%u",
		from ? from : "(no from)", s->stream_id, major, minor);
}

/* ---------------------------------------------------------------------- */
/* negotiation                                                             */

static void
send_starttls(cxi_stream *s)
{
	s->state = CXI_STREAM_STARTTLS;
	(void)write_str(s, "<starttls xmlns='" NS_TLS "'/>");
}

/*
 * Channel-binding type: with a XEP-0440 list, tls-exporter if listed and the
 * session is TLS 1.3, else tls-unique if listed; without a list tls-unique
 * (ejabberd offers -PLUS over TLS 1.3 with tls-unique and no list).
 */
static const char *
choose_cb(cxi_stream *s, const xmlNode *features)
{
	const xmlNode *list = child(features, "sasl-channel-binding",
				    NS_SASL_CB);
	const xmlNode *c;
	bool exporter = false, unique = false;

	if (!s->tls_active)
		return NULL;
	if (list == NULL)
		return "tls-unique";
	for (c = list->children; c != NULL; c = c->next) {
		const char *t;

		if (!node_is(c, "channel-binding", NS_SASL_CB))
			continue;
		t = attr(c, "type");
		if (t == NULL)
			continue;
		if (strcmp(t, "tls-exporter") == 0)
			exporter = true;
		else if (strcmp(t, "tls-unique") == 0)
			unique = true;
	}
	if (exporter && s->tls_ops->version(s->tls) >= 0x0304)
		return "tls-exporter";
	if (unique)
		return "tls-unique";
	return NULL;
}

static cx_status
send_sasl_element(cxi_stream *s, const char *name, const char *mech,
		  const cxi_buf *payload)
{
	cxi_buf *b = &s->scratch;
	char masked[160];
	cx_status st;

	cxi_buf_reset(b);
	st = cxi_buf_printf(b, "<%s xmlns='" NS_SASL "'", name);
	if (st == CX_OK && mech != NULL)
		st = cxi_buf_printf(b, " mechanism='%s'", mech);
	if (st == CX_OK && cxi_buf_size(payload) == 0)
		st = cxi_buf_append_str(b, "/>");
	else if (st == CX_OK)
		st = cxi_buf_printf(b, ">%.*s</%s>",
				    (int)cxi_buf_size(payload),
				    (const char *)cxi_buf_head(payload), name);
	if (st != CX_OK) {
		fail_nomem(s);
		return st;
	}
	snprintf(masked, sizeof(masked),
		 "<%s xmlns='" NS_SASL "'%s%s%s>[hidden]</%s>", name,
		 mech ? " mechanism='" : "", mech ? mech : "", mech ? "'" : "",
		 name);
	st = write_out(s, cxi_buf_head(b), cxi_buf_size(b), masked);
	cxi_buf_reset(b);
	return st;
}

static void
start_sasl(cxi_stream *s, const xmlNode *features)
{
	const xmlNode *mechs = child(features, "mechanisms", NS_SASL);
	const xmlNode *c;
	const char *names[MAX_MECHS];
	char *texts[MAX_MECHS];
	size_t n = 0, i;
	cxi_sasl_config cfg;
	cxi_buf cb = CXI_BUF_INIT, payload = CXI_BUF_INIT;
	cx_error e = CX_ERROR_INIT;
	cx_status st;
	const char *cb_type;

	if (mechs == NULL) {
		cxi_error_set(&s->failure, CX_ERR_AUTH_MECHANISM,
			      "the server offers no SASL mechanism");
		end_failed(s, NULL, NULL);
		return;
	}
	for (c = mechs->children; c != NULL && n < MAX_MECHS; c = c->next) {
		if (!node_is(c, "mechanism", NS_SASL))
			continue;
		texts[n] = node_text(c);
		if (texts[n] == NULL) {
			fail_nomem(s);
			goto out;
		}
		names[n] = texts[n];
		n++;
	}

	memset(&cfg, 0, sizeof(cfg));
	cfg.authcid = cx_jid_local(s->jid);
	cfg.password = s->password;
	cfg.authzid = s->authzid;
	cfg.service = "xmpp";
	cfg.hostname = cx_jid_domain(s->jid);
	cfg.allowed = s->sasl_allowed;
	cfg.tls_active = s->tls_active;
	cfg.insecure_allow_plaintext =
		!s->tls_active && (s->tls_mode == CXI_TLS_INSECURE_NONE ||
				   s->tls_mode == CXI_TLS_INSECURE_OPTIONAL);
	cfg.insecure_allow_plain_auth = s->insecure_allow_plain_auth;
	cfg.max_iterations = s->sasl_max_iterations;
	cfg.log = s->log;
	cb_type = choose_cb(s, features);
	if (cb_type != NULL) {
		st = s->tls_ops->channel_binding(s->tls, cb_type, &cb);
		if (st == CX_OK && cxi_buf_size(&cb) > 0) {
			cfg.cb_type = cb_type;
			cfg.cb_data = cxi_buf_head(&cb);
			cfg.cb_len = cxi_buf_size(&cb);
		} else {
			cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_SASL,
				"channel binding %s not available", cb_type);
		}
	}
	st = cxi_sasl_new(&s->sasl, &cfg, names, n, &e);
	if (st != CX_OK) {
		cxi_error_copy(&s->failure, &e);
		s->failure.status = st;
		end_failed(s, NULL, NULL);
		goto out;
	}
	cxi_strlcpy(s->mechanism, cxi_sasl_mechanism(s->sasl),
		    sizeof(s->mechanism));
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_SASL,
		"authenticating with %s%s%s", cxi_sasl_mechanism(s->sasl),
		cfg.cb_type ? ", channel binding " : "",
		cfg.cb_type ? cfg.cb_type : "");
	st = cxi_sasl_initial(s->sasl, &payload, &e);
	if (st != CX_OK) {
		cxi_error_copy(&s->failure, &e);
		s->failure.status = st;
		end_failed(s, NULL, NULL);
		goto out;
	}
	s->state = CXI_STREAM_AUTHENTICATING;
	if (cxi_buf_size(&payload) == 0)
		(void)cxi_buf_append_str(&payload, "=");
	(void)send_sasl_element(s, "auth", cxi_sasl_mechanism(s->sasl),
				&payload);
out:
	for (i = 0; i < n; i++)
		xmlFree(texts[i]);
	/* the buffers may hold secrets (initial response, cb data) */
	if (payload.data != NULL)
		memset(payload.data, 0, payload.cap);
	cxi_buf_free(&payload);
	cxi_buf_free(&cb);
}

static void
start_bind(cxi_stream *s, const xmlNode *features)
{
	const xmlNode *sess;
	const char *res = cx_jid_resource(s->jid);
	cxi_buf *b = &s->scratch;
	cx_status st;

	if (child(features, "bind", NS_BIND) == NULL) {
		cxi_error_set(&s->failure, CX_ERR_BIND,
			      "the server offers no resource binding");
		end_failed(s, NULL, NULL);
		return;
	}
	sess = child(features, "session", NS_SESSION);
	s->session_needed = sess != NULL &&
			    child(sess, "optional", NS_SESSION) == NULL;
	if (cxi_id_generate(s->iq_id, sizeof(s->iq_id)) != CX_OK) {
		cxi_error_set(&s->failure, CX_ERR_SYSTEM,
			      "cannot generate an iq id");
		end_failed(s, NULL, NULL);
		return;
	}
	cxi_buf_reset(b);
	st = cxi_buf_printf(b, "<iq type='set' id='%s'><bind xmlns='" NS_BIND
			    "'", s->iq_id);
	if (st == CX_OK && res != NULL) {
		st = cxi_buf_append_str(b, "><resource>");
		if (st == CX_OK)
			st = cxi_xml_escape(b, res, strlen(res), false);
		if (st == CX_OK)
			st = cxi_buf_append_str(b, "</resource></bind></iq>");
	} else if (st == CX_OK) {
		st = cxi_buf_append_str(b, "/></iq>");
	}
	if (st != CX_OK) {
		fail_nomem(s);
		return;
	}
	s->state = CXI_STREAM_BINDING;
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
		"binding %s%s", res ? "resource " : "a server-assigned resource",
		res ? res : "");
	(void)write_out(s, cxi_buf_head(b), cxi_buf_size(b), NULL);
	cxi_buf_reset(b);
}

static void
handle_features(cxi_stream *s, xmlNodePtr elem)
{
	cxi_stream_event ev;

	s->features_seen = true;
	if (!s->tls_active && (s->tls_mode == CXI_TLS_STARTTLS ||
			       s->tls_mode == CXI_TLS_INSECURE_OPTIONAL)) {
		if (child(elem, "starttls", NS_TLS) != NULL) {
			send_starttls(s);
			return;
		}
		if (s->tls_mode == CXI_TLS_STARTTLS) {
			cxi_error_set(&s->failure, CX_ERR_TLS_REQUIRED,
				      "TLS is required but the server does "
				      "not offer STARTTLS");
			end_failed(s, NULL, NULL);
			return;
		}
		cxi_log(s->log, CX_LOG_WARN, CX_LOG_CAT_TLS,
			"the server offers no STARTTLS: continuing in "
			"plaintext as configured");
	}
	if (!s->authenticated) {
		start_sasl(s, elem);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.type = CXI_STREAM_EV_FEATURES;
	ev.stanza = elem;
	emit(s, &ev);
	if (is_terminal(s) || s->state != CXI_STREAM_OPENING)
		return;
	start_bind(s, elem);
}

static void
handle_starttls_reply(cxi_stream *s, xmlNodePtr elem)
{
	if (node_is(elem, "proceed", NS_TLS)) {
		cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_TLS,
			"STARTTLS accepted, starting the handshake");
		s->restart = RESTART_TLS;
		stop_parser(s);
		return;
	}
	if (node_is(elem, "failure", NS_TLS)) {
		cxi_error_set(&s->failure, CX_ERR_TLS,
			      "the server refused STARTTLS");
		end_failed(s, NULL, NULL);
		return;
	}
	cxi_error_set(&s->failure, CX_ERR_PROTOCOL,
		      "unexpected <%s/> while waiting for <proceed/>",
		      (const char *)elem->name);
	end_failed(s, "policy-violation", NULL);
}

/* Fills condition/text from a SASL <failure/>. */
static void
handle_sasl_failure(cxi_stream *s, xmlNodePtr elem)
{
	const xmlNode *c;
	const char *cond = NULL;
	char *text = NULL;
	cx_status st;

	for (c = elem->children; c != NULL; c = c->next) {
		if (!node_in_ns(c, NS_SASL))
			continue;
		if (strcmp((const char *)c->name, "text") == 0) {
			if (text == NULL)
				text = node_text(c);
		} else if (cond == NULL) {
			cond = (const char *)c->name;
		}
	}
	if (cond == NULL)
		cond = "not-authorized"; /* RFC 6120 6.5: a condition MUST be
					    there; treat none as a refusal */
	st = cxi_sasl_failure_status(cond);
	cxi_error_set(&s->failure, st, "authentication failed: %s%s%s", cond,
		      text ? ": " : "", text ? text : "");
	cxi_error_set_condition(&s->failure, cond, NULL, text);
	if (text != NULL)
		xmlFree(text);
	end_failed(s, NULL, NULL);
}

static void
handle_sasl(cxi_stream *s, xmlNodePtr elem)
{
	cx_error e = CX_ERROR_INIT;
	cxi_buf payload = CXI_BUF_INIT;
	char *text;
	cx_status st;

	if (node_is(elem, "failure", NS_SASL)) {
		handle_sasl_failure(s, elem);
		return;
	}
	if (!node_is(elem, "challenge", NS_SASL) &&
	    !node_is(elem, "success", NS_SASL)) {
		cxi_error_set(&s->failure, CX_ERR_PROTOCOL,
			      "unexpected <%s/> during authentication",
			      (const char *)elem->name);
		end_failed(s, "policy-violation", NULL);
		return;
	}
	text = node_text(elem);
	if (text == NULL) {
		fail_nomem(s);
		return;
	}
	if (node_is(elem, "challenge", NS_SASL)) {
		st = cxi_sasl_step(s->sasl, text, &payload, &e);
		if (st != CX_OK) {
			cxi_error_copy(&s->failure, &e);
			s->failure.status = st;
			end_failed(s, NULL, NULL);
			goto out;
		}
		(void)send_sasl_element(s, "response", NULL, &payload);
		goto out;
	}
	st = cxi_sasl_success(s->sasl, text, &e);
	if (st != CX_OK) {
		cxi_error_copy(&s->failure, &e);
		s->failure.status = st;
		end_failed(s, NULL, NULL);
		goto out;
	}
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_SASL,
		"authenticated with %s", cxi_sasl_mechanism(s->sasl));
	cxi_sasl_free(s->sasl);
	s->sasl = NULL;
	s->authenticated = true;
	emit_simple(s, CXI_STREAM_EV_AUTHENTICATED);
	if (is_terminal(s) || s->state != CXI_STREAM_AUTHENTICATING)
		goto out;
	s->restart = RESTART_SASL;
	stop_parser(s);
out:
	if (payload.data != NULL)
		memset(payload.data, 0, payload.cap);
	cxi_buf_free(&payload);
	xmlFree(text);
}

static void
go_ready(cxi_stream *s)
{
	cxi_stream_event ev;

	s->state = CXI_STREAM_READY;
	s->ready = true;
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM, "ready as %s",
		s->bound_jid);
	memset(&ev, 0, sizeof(ev));
	ev.type = CXI_STREAM_EV_READY;
	ev.jid = s->bound_jid;
	emit(s, &ev);
}

/* A stanza error of a bind or session reply -> CX_ERR_BIND. */
static void
fail_iq_error(cxi_stream *s, xmlNodePtr iq, const char *what)
{
	const xmlNode *e = child(iq, "error", CXI_NS_CLIENT);
	const xmlNode *c;
	const char *cond = "undefined-condition", *type = NULL;
	char *text = NULL;

	if (e != NULL) {
		type = attr(e, "type");
		for (c = e->children; c != NULL; c = c->next) {
			if (!node_in_ns(c, NS_STANZAS))
				continue;
			if (strcmp((const char *)c->name, "text") == 0) {
				if (text == NULL)
					text = node_text(c);
			} else {
				cond = (const char *)c->name;
			}
		}
	}
	cxi_error_set(&s->failure, CX_ERR_BIND, "%s failed: %s%s%s", what,
		      cond, text ? ": " : "", text ? text : "");
	cxi_error_set_condition(&s->failure, cond, type, text);
	if (text != NULL)
		xmlFree(text);
	end_failed(s, NULL, NULL);
}

static void
handle_bind_result(cxi_stream *s, xmlNodePtr iq)
{
	const xmlNode *bind = child(iq, "bind", NS_BIND);
	const xmlNode *jn = bind ? child(bind, "jid", NS_BIND) : NULL;
	char *text = NULL;
	cx_jid *bound = NULL;
	cx_error e = CX_ERROR_INIT;
	bool same;

	if (jn == NULL || (text = node_text(jn)) == NULL) {
		cxi_error_set(&s->failure, CX_ERR_BIND,
			      "the bind result carries no JID");
		end_failed(s, NULL, NULL);
		goto out;
	}
	if (cx_jid_parse(&bound, text, &e) != CX_OK) {
		cxi_error_set(&s->failure, CX_ERR_BIND,
			      "the server bound an invalid JID");
		end_failed(s, NULL, NULL);
		goto out;
	}
	if (cx_jid_resource(bound) == NULL) {
		cxi_error_set(&s->failure, CX_ERR_BIND,
			      "the bound JID '%.128s' has no resource", text);
		end_failed(s, NULL, NULL);
		goto out;
	}
	/* An anonymous account has no localpart of its own: the server
	 * chooses it, only the domain must match. */
	if (cx_jid_local(s->jid) == NULL)
		same = strcmp(cx_jid_domain(bound), cx_jid_domain(s->jid)) == 0;
	else
		same = cx_jid_equal_bare(bound, s->jid) != 0;
	if (!same) {
		cxi_error_set(&s->failure, CX_ERR_BIND,
			      "the server bound '%.128s', not an address of "
			      "%.96s", text, cx_jid_bare_string(s->jid));
		end_failed(s, NULL, NULL);
		goto out;
	}
	s->bound_jid = strdup(cx_jid_string(bound));
	if (s->bound_jid == NULL) {
		fail_nomem(s);
		goto out;
	}
	if (s->session_needed) {
		cxi_buf *b = &s->scratch;

		if (cxi_id_generate(s->iq_id, sizeof(s->iq_id)) != CX_OK) {
			cxi_error_set(&s->failure, CX_ERR_SYSTEM,
				      "cannot generate an iq id");
			end_failed(s, NULL, NULL);
			goto out;
		}
		cxi_buf_reset(b);
		if (cxi_buf_printf(b, "<iq type='set' id='%s'><session xmlns='"
				   NS_SESSION "'/></iq>", s->iq_id) != CX_OK) {
			fail_nomem(s);
			goto out;
		}
		s->state = CXI_STREAM_SESSION;
		(void)write_out(s, cxi_buf_head(b), cxi_buf_size(b), NULL);
		cxi_buf_reset(b);
		goto out;
	}
	go_ready(s);
out:
	cx_jid_free(bound);
	if (text != NULL)
		xmlFree(text);
}

/* BINDING / SESSION: returns true if elem was the awaited reply. */
static bool
handle_negotiation_iq(cxi_stream *s, xmlNodePtr elem)
{
	const char *id = attr(elem, "id"), *type = attr(elem, "type");
	bool binding = s->state == CXI_STREAM_BINDING;

	if (!node_is(elem, "iq", CXI_NS_CLIENT) || id == NULL ||
	    type == NULL || strcmp(id, s->iq_id) != 0)
		return false;
	if (strcmp(type, "error") == 0) {
		fail_iq_error(s, elem, binding ? "resource binding"
					       : "session establishment");
		return true;
	}
	if (strcmp(type, "result") != 0)
		return false;
	if (binding)
		handle_bind_result(s, elem);
	else
		go_ready(s);
	return true;
}

static void
handle_stream_error(cxi_stream *s, xmlNodePtr elem)
{
	const xmlNode *c;
	const char *cond = NULL, *app = NULL, *app_ns = NULL;
	char *text = NULL, *detail = NULL;

	for (c = elem->children; c != NULL; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (node_in_ns(c, NS_STREAMS)) {
			if (strcmp((const char *)c->name, "text") == 0) {
				if (text == NULL)
					text = node_text(c);
			} else if (cond == NULL) {
				cond = (const char *)c->name;
				if (strcmp(cond, "see-other-host") == 0)
					detail = node_text(c);
			}
		} else if (app == NULL && c->ns != NULL) {
			app = (const char *)c->name;
			app_ns = (const char *)c->ns->href;
		}
	}
	if (cond == NULL || !known_stream_condition(cond))
		cond = "undefined-condition";
	cxi_error_set(&s->failure, CX_ERR_STREAM_ERROR,
		      "stream error from the server: %s%s%.64s%s%.128s", cond,
		      detail ? " " : "", detail ? detail : "",
		      text ? ": " : "", text ? text : "");
	cxi_error_set_condition(&s->failure, cond, NULL, text);
	if (app != NULL) {
		cxi_strlcpy(s->failure.app_condition, app,
			    sizeof(s->failure.app_condition));
		cxi_strlcpy(s->failure.app_ns, app_ns,
			    sizeof(s->failure.app_ns));
	}
	if (text != NULL)
		xmlFree(text);
	if (detail != NULL)
		xmlFree(detail);
	/* Answer with our </stream:stream> (end_failed), no error of ours. */
	end_failed(s, NULL, NULL);
}

static void
drop_stanza(cxi_stream *s, xmlNodePtr elem)
{
	cxi_log(s->log, CX_LOG_WARN, CX_LOG_CAT_STREAM,
		"dropped a <%s/> stanza received before the stream was ready",
		(const char *)elem->name);
}

static void
on_element(void *arg, xmlNodePtr elem)
{
	cxi_stream *s = arg;
	cxi_stream_event ev;

	if (is_terminal(s) || s->restart != RESTART_NONE) {
		free_elem(elem);
		return;
	}
	if (node_is(elem, "error", CXI_NS_STREAM)) {
		handle_stream_error(s, elem);
		goto out;
	}
	switch (s->state) {
	case CXI_STREAM_OPENING:
		if (node_is(elem, "features", CXI_NS_STREAM) &&
		    !s->features_seen) {
			handle_features(s, elem);
			goto out;
		}
		break;
	case CXI_STREAM_STARTTLS:
		if (!is_stanza(elem)) {
			handle_starttls_reply(s, elem);
			goto out;
		}
		break;
	case CXI_STREAM_AUTHENTICATING:
		if (!is_stanza(elem)) {
			handle_sasl(s, elem);
			goto out;
		}
		break;
	case CXI_STREAM_BINDING:
	case CXI_STREAM_SESSION:
		if (handle_negotiation_iq(s, elem))
			goto out;
		break;
	case CXI_STREAM_READY:
		if (is_stanza(elem)) {
			memset(&ev, 0, sizeof(ev));
			ev.type = CXI_STREAM_EV_STANZA;
			ev.stanza = elem;
			emit(s, &ev);
			if (is_terminal(s))
				stop_parser(s);
			return; /* ownership passed */
		}
		cxi_error_set(&s->failure, CX_ERR_PROTOCOL,
			      "unsupported top-level element <%s/>",
			      (const char *)elem->name);
		end_failed(s, "unsupported-stanza-type", NULL);
		goto out;
	case CXI_STREAM_CLOSING:
		if (s->ready && is_stanza(elem)) {
			memset(&ev, 0, sizeof(ev));
			ev.type = CXI_STREAM_EV_STANZA;
			ev.stanza = elem;
			emit(s, &ev);
			return;
		}
		cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
			"ignored <%s/> while closing",
			(const char *)elem->name);
		goto out;
	default:
		break;
	}
	if (is_stanza(elem)) {
		drop_stanza(s, elem);
		goto out;
	}
	cxi_error_set(&s->failure, CX_ERR_PROTOCOL,
		      "unexpected <%s/> during stream negotiation",
		      (const char *)elem->name);
	end_failed(s, node_is(elem, "features", CXI_NS_STREAM) ||
				      node_in_ns(elem, NS_TLS) ||
				      node_in_ns(elem, NS_SASL)
			      ? "policy-violation"
			      : "unsupported-stanza-type",
		   NULL);
out:
	free_elem(elem);
}

static void
on_stream_end(void *arg)
{
	cxi_stream *s = arg;

	if (is_terminal(s))
		return;
	s->peer_closed = true;
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
		"the server closed the stream");
	if (s->state == CXI_STREAM_CLOSING || s->state == CXI_STREAM_READY) {
		end_closed(s);
		return;
	}
	cxi_error_set(&s->failure, CX_ERR_CLOSED,
		      "the server closed the stream during negotiation");
	end_failed(s, NULL, NULL);
}

static const cxi_xml_callbacks parser_cb = {
	on_stream_start, on_element, on_stream_end
};

/* ---------------------------------------------------------------------- */
/* input                                                                   */

static void
parse_plain(cxi_stream *s, const uint8_t *data, size_t len)
{
	log_in(s, data, len);
	while (len > 0 && !is_terminal(s)) {
		size_t consumed = len;
		cx_error perr = CX_ERROR_INIT;
		cx_status st;

		s->in_parse = true;
		st = cxi_xml_parser_feed(s->parser, data, len, &consumed,
					 &perr);
		s->in_parse = false;
		if (is_terminal(s))
			break;
		if (st != CX_OK) {
			cxi_error_copy(&s->failure, &perr);
			s->failure.status = st;
			end_failed(s, perr.condition[0] ? perr.condition
							: "not-well-formed",
				   NULL);
			break;
		}
		if (consumed > len)
			consumed = len;
		if (s->restart != RESTART_NONE) {
			if (consumed < len)
				cxi_log(s->log, CX_LOG_WARN, CX_LOG_CAT_STREAM,
					"discarded %zu bytes received with "
					"the stream restart", len - consumed);
			do_restart(s);
			break;
		}
		if (consumed == 0 || consumed == len)
			break;
		data += consumed;
		len -= consumed;
	}
}

static void
feed_tls(cxi_stream *s, const void *data, size_t len)
{
	cx_error terr = CX_ERROR_INIT;
	cx_status st;

	st = s->tls_ops->push_input(s->tls, data, len, &terr);
	cxi_buf_reset(&s->plain);
	if (st == CX_OK)
		st = s->tls_ops->read(s->tls, &s->plain, &terr);
	pull_tls(s);
	if (is_terminal(s))
		return;
	if (st != CX_OK && st != CX_ERR_CLOSED) {
		cxi_error_copy(&s->failure, &terr);
		s->failure.status = st;
		s->tls_broken = true;
		end_failed(s, NULL, NULL);
		return;
	}
	if (s->state == CXI_STREAM_TLS_HANDSHAKE &&
	    s->tls_ops->handshake_done(s->tls))
		tls_established(s);
	if (!is_terminal(s) && cxi_buf_size(&s->plain) > 0)
		parse_plain(s, cxi_buf_head(&s->plain), cxi_buf_size(&s->plain));
	cxi_buf_reset(&s->plain);
	if (st == CX_ERR_CLOSED && !is_terminal(s)) {
		/* close_notify: nothing more can come in. */
		s->tls_broken = true;
		cxi_stream_eof(s, CX_ERR_CLOSED);
	}
}

/* ---------------------------------------------------------------------- */
/* API                                                                     */

cx_status
cxi_stream_new(cxi_stream **out, const cxi_stream_config *cfg, cx_error *err)
{
	static const cxi_xml_limits defaults = CXI_XML_LIMITS_DEFAULT;
	cxi_stream *s;
	bool oom = false;
	cx_status st;

	if (out == NULL || cfg == NULL || cfg->jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stream: no configuration or no JID");
	*out = NULL;
	if (cfg->tls_mode < CXI_TLS_STARTTLS ||
	    cfg->tls_mode > CXI_TLS_INSECURE_OPTIONAL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stream: unknown TLS mode %d",
				     (int)cfg->tls_mode);
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	st = cx_jid_parse(&s->jid, cfg->jid, err);
	if (st != CX_OK)
		goto fail;
	if (cx_jid_domain(s->jid) == NULL || *cx_jid_domain(s->jid) == '\0') {
		st = cxi_error_set(err, CX_ERR_JID, "stream: JID without domain");
		goto fail;
	}
	s->password = dup_or_null(cfg->password, &oom);
	s->authzid = dup_or_null(cfg->authzid, &oom);
	s->lang = dup_or_null(cfg->lang ? cfg->lang : "en", &oom);
	if (oom) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto fail;
	}
	s->tls_mode = cfg->tls_mode;
	s->tls_ops = cfg->tls_ops ? cfg->tls_ops : &cxi_tls_openssl_ops;
	s->tls_ctx = cfg->tls_ctx;
	s->sasl_allowed = cfg->sasl_allowed ? cfg->sasl_allowed
					    : CXI_SASL_DEFAULT_MECHS;
	s->insecure_allow_plain_auth = cfg->insecure_allow_plain_auth;
	s->sasl_max_iterations = cfg->sasl_max_iterations;
	s->limits = cfg->limits;
	if (s->limits.max_stanza_bytes == 0)
		s->limits.max_stanza_bytes = defaults.max_stanza_bytes;
	if (s->limits.max_depth == 0)
		s->limits.max_depth = defaults.max_depth;
	if (s->limits.max_attrs == 0)
		s->limits.max_attrs = defaults.max_attrs;
	if (s->limits.max_children == 0)
		s->limits.max_children = defaults.max_children;
	if (cfg->log != NULL) {
		s->logger = *cfg->log;
		s->log = &s->logger;
	}
	s->on_event = cfg->on_event;
	s->arg = cfg->arg;
	cxi_buf_init(&s->out);
	cxi_buf_init(&s->plain);
	cxi_buf_init(&s->scratch);
	st = cxi_xml_parser_new(&s->parser, &s->limits, &parser_cb, s, err);
	if (st != CX_OK)
		goto fail;
	s->state = CXI_STREAM_IDLE;
	*out = s;
	return CX_OK;
fail:
	cxi_stream_free(s);
	return st;
}

void
cxi_stream_free(cxi_stream *s)
{
	if (s == NULL)
		return;
	if (s->tls != NULL)
		s->tls_ops->free(s->tls);
	cxi_sasl_free(s->sasl);
	cxi_xml_parser_free(s->parser);
	cx_jid_free(s->jid);
	if (s->password != NULL) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	free(s->authzid);
	free(s->lang);
	free(s->bound_jid);
	cxi_buf_free(&s->out);
	cxi_buf_free(&s->plain);
	if (s->scratch.data != NULL)
		memset(s->scratch.data, 0, s->scratch.cap);
	cxi_buf_free(&s->scratch);
	free(s);
}

cxi_stream_state
cxi_stream_get_state(const cxi_stream *s)
{
	return s->state;
}

const char *
cxi_stream_get_id(const cxi_stream *s)
{
	return s->stream_id[0] ? s->stream_id : NULL;
}

const char *
cxi_stream_get_mechanism(const cxi_stream *s)
{
	return s->mechanism[0] ? s->mechanism : NULL;
}

cx_status
cxi_stream_start(cxi_stream *s, cx_error *err)
{
	if (s->state != CXI_STREAM_IDLE || s->terminal)
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: already started");
	if (s->tls_mode == CXI_TLS_DIRECT)
		begin_tls(s, "xmpp-client");
	else
		open_stream(s);
	if (s->state == CXI_STREAM_FAILED) {
		cxi_error_copy(err, &s->failure);
		return s->failure.status;
	}
	return CX_OK;
}

static cx_status
terminal_status(const cxi_stream *s, cx_error *err)
{
	if (s->state == CXI_STREAM_FAILED) {
		cxi_error_copy(err, &s->failure);
		return s->failure.status;
	}
	return cxi_error_set(err, CX_ERR_STATE, "stream: closed");
}

cx_status
cxi_stream_feed(cxi_stream *s, const void *data, size_t len, cx_error *err)
{
	if (is_terminal(s))
		return terminal_status(s, err);
	if (s->state == CXI_STREAM_IDLE || s->in_feed)
		return cxi_error_set(err, CX_ERR_STATE,
				     s->in_feed ? "stream: feed from inside "
						  "an event"
						: "stream: not started");
	if (len == 0)
		return CX_OK;
	s->in_feed = true;
	if (s->tls != NULL)
		feed_tls(s, data, len);
	else
		parse_plain(s, data, len);
	s->in_feed = false;
	if (s->state == CXI_STREAM_FAILED) {
		cxi_error_copy(err, &s->failure);
		return s->failure.status;
	}
	return CX_OK;
}

cx_status
cxi_stream_send(cxi_stream *s, const xmlNode *stanza, cx_error *err)
{
	cxi_buf b = CXI_BUF_INIT;
	cx_status st;

	if (stanza == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "stream: no stanza");
	if (s->state != CXI_STREAM_READY)
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: not ready for stanzas");
	st = cxi_xml_serialize(&b, stanza, CXI_NS_CLIENT);
	if (st != CX_OK) {
		cxi_buf_free(&b);
		return cxi_error_set(err, st, "stream: cannot serialize");
	}
	st = cxi_stream_send_raw(s, cxi_buf_head(&b), cxi_buf_size(&b), err);
	cxi_buf_free(&b);
	return st;
}

cx_status
cxi_stream_send_raw(cxi_stream *s, const void *xml, size_t len,
		    cx_error *err)
{
	cx_status st;

	if (xml == NULL && len > 0)
		return cxi_error_set(err, CX_ERR_INVALID, "stream: no data");
	if (s->state != CXI_STREAM_READY)
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: not ready for stanzas");
	if (len == 0)
		return CX_OK;
	st = write_out(s, xml, len, NULL);
	if (st != CX_OK)
		cxi_error_copy(err, &s->failure);
	return st;
}

cx_status
cxi_stream_output(cxi_stream *s, cxi_buf *out)
{
	return cxi_buf_move(out, &s->out);
}

bool
cxi_stream_has_output(const cxi_stream *s)
{
	return cxi_buf_size(&s->out) > 0;
}

cx_status
cxi_stream_close(cxi_stream *s, cx_error *err)
{
	switch (s->state) {
	case CXI_STREAM_OPENING:
	case CXI_STREAM_STARTTLS:
	case CXI_STREAM_AUTHENTICATING:
	case CXI_STREAM_BINDING:
	case CXI_STREAM_SESSION:
	case CXI_STREAM_READY:
		break;
	default:
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: nothing to close");
	}
	if (s->peer_closed || s->restart != RESTART_NONE)
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: nothing to close");
	s->closed_out = true;
	s->state = CXI_STREAM_CLOSING;
	cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM, "closing the stream");
	if (write_str(s, CXI_XML_STREAM_END) != CX_OK) {
		cxi_error_copy(err, &s->failure);
		return s->failure.status;
	}
	return CX_OK;
}

cx_status
cxi_stream_fail(cxi_stream *s, const char *condition, const char *text,
		cx_error *err)
{
	if (condition == NULL || !known_stream_condition(condition))
		return cxi_error_set(err, CX_ERR_INVALID,
				     "stream: '%s' is not a stream error "
				     "condition",
				     condition ? condition : "(null)");
	if (is_terminal(s))
		return cxi_error_set(err, CX_ERR_STATE,
				     "stream: already ended");
	cxi_error_set(&s->failure, CX_ERR_STREAM_ERROR,
		      "stream error sent: %s", condition);
	end_failed(s, condition, text);
	return CX_OK;
}

void
cxi_stream_eof(cxi_stream *s, cx_status why)
{
	if (is_terminal(s))
		return;
	s->tls_broken = true; /* the transport is gone: write nothing */
	if (s->state == CXI_STREAM_CLOSING) {
		s->state = CXI_STREAM_CLOSED;
		cxi_log(s->log, CX_LOG_DEBUG, CX_LOG_CAT_STREAM,
			"connection ended after our close");
		stop_parser(s);
		emit_simple(s, CXI_STREAM_EV_CLOSED);
		return;
	}
	cxi_error_set(&s->failure, CX_ERR_DISCONNECTED,
		      "the connection ended (%s)", cx_strerror(why));
	end_failed(s, NULL, NULL);
}

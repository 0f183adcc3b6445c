/*
 * Fuzz target: the client stream state machine (lib/stream/stream.h) fed
 * server bytes, over the pass-through TLS of the stream unit tests
 * (tests/unit/stream/faketls.c, compiled into this program).
 *
 * Input: byte 0 is flags, byte 1 seeds the split points, the rest is what
 * the server sends from the chosen point on. Flags:
 *   bits 0-1  where the fuzzed bytes start, after a scripted exchange:
 *             0 the first server header; 1 the header after STARTTLS
 *             (SASL features due); 2 the header after PLAIN success (bind
 *             features due); 3 READY (stanzas, closing)
 *   bit 2     with start 0: plaintext mode with PLAIN allowed in clear,
 *             so that the fuzzer reaches SASL without STARTTLS
 *   bits 3-5  largest piece: 1, 2, 3, 5, 8, 17, 64 or 4096 bytes
 *   bit 6     we call cxi_stream_close() before the fuzzed bytes
 *   bit 7     no EOF at the end (else cxi_stream_eof ends the stream)
 * Output is drained after every piece, as the writer thread would.
 *
 * Invariants: at most one ERROR event, and nothing after ERROR or CLOSED;
 * a feed fails exactly when the stream is FAILED (with the stored status,
 * every time) or CLOSED (CX_ERR_STATE); stanzas are delivered only when
 * READY or CLOSING, each the root of its own document; READY comes once,
 * with a JID that parses; after EOF the stream has ended with exactly one
 * terminal event; the password and the PLAIN payload never reach the log.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include <libxml/tree.h>

#include "cxmpp/jid.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/stream/sasl.h"
#include "lib/stream/stream.h"
#include "tests/fuzz/fuzz.h"
#include "tests/unit/stream/faketls.h"

#define JID "alice@example.org/res"
#define PASSWORD "s3cr3t-Pa55word"
/* base64 of "\0alice\0s3cr3t-Pa55word": the PLAIN initial response */
#define PLAIN_B64 "AGFsaWNlAHMzY3IzdC1QYTU1d29yZA=="

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
#define F_PLAIN                                                            \
	"<stream:features><mechanisms "                                    \
	"xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"        \
	"</mechanism></mechanisms></stream:features>"
#define SUCCESS "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
#define F_BIND                                                             \
	"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>" \
	"<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"  \
	"</session></stream:features>"

static const unsigned piece_max[8] = { 1, 2, 3, 5, 8, 17, 64, 4096 };

typedef struct fz {
	cxi_stream *s;
	cxt_faketls_ctx tls;
	cxi_buf logs;
	cxi_buf out;       /* output since the last take */
	unsigned errors, closed, ready, events;
	bool ended;        /* ERROR or CLOSED seen */
	cx_status failure; /* the ERROR event's status */
} fz;

static void
capture(void *arg, cx_log_level level, const char *cat, const char *msg)
{
	fz *f = arg;

	(void)level;
	cxi_buf_printf(&f->logs, "[%s] %s\n", cat, msg);
}

static void
on_event(void *arg, const cxi_stream_event *ev)
{
	fz *f = arg;
	cxi_stream_state state = cxi_stream_get_state(f->s);
	cx_jid *j = NULL;
	cx_error err = CX_ERROR_INIT;

	CXF_CHECK(!f->ended, "event %d after the stream ended", ev->type);
	f->events++;
	switch (ev->type) {
	case CXI_STREAM_EV_STANZA:
		CXF_CHECK(ev->stanza != NULL && ev->stanza->doc != NULL &&
				  ev->stanza->doc->children == ev->stanza,
			  "stanza not the root of its own document");
		CXF_CHECK(state == CXI_STREAM_READY ||
				  state == CXI_STREAM_CLOSING,
			  "stanza delivered in state %d", state);
		xmlFreeDoc(ev->stanza->doc);
		break;
	case CXI_STREAM_EV_READY:
		CXF_CHECK(f->ready == 0, "READY twice");
		f->ready++;
		CXF_CHECK(ev->jid != NULL, "READY without a JID");
		CXF_CHECK(cx_jid_parse(&j, ev->jid, &err) == CX_OK,
			  "READY with a bound JID that does not parse: '%s' "
			  "(%s)", ev->jid, err.message);
		cx_jid_free(j);
		break;
	case CXI_STREAM_EV_FEATURES:
		CXF_CHECK(ev->stanza != NULL, "FEATURES without the element");
		CXF_CHECK(f->ready == 0, "FEATURES after READY");
		break;
	case CXI_STREAM_EV_ERROR:
		f->errors++;
		f->ended = true;
		CXF_CHECK(ev->error != NULL && ev->error->status < 0,
			  "ERROR without a status");
		CXF_CHECK(ev->error->message[0] != '\0',
			  "ERROR %d without a message", ev->error->status);
		f->failure = ev->error->status;
		break;
	case CXI_STREAM_EV_CLOSED:
		f->closed++;
		f->ended = true;
		break;
	default:
		break;
	}
}

static void
take(fz *f)
{
	if (!cxi_stream_has_output(f->s))
		return;
	CXF_CHECK(cxi_stream_output(f->s, &f->out) == CX_OK, "output failed");
	CXF_CHECK(!cxi_stream_has_output(f->s), "output left after a take");
}

/* The checks after every feed. */
static void
after_feed(fz *f, cx_status st, const cx_error *err)
{
	cxi_stream_state state = cxi_stream_get_state(f->s);
	cx_status again;
	cx_error err2 = CX_ERROR_INIT;

	CXF_CHECK(f->errors <= 1, "%u ERROR events", f->errors);
	if (st == CX_OK) {
		CXF_CHECK(state != CXI_STREAM_FAILED && f->errors == 0,
			  "feed succeeded on a failed stream");
		return;
	}
	CXF_CHECK(err->status == st, "err->status %d, returned %d",
		  err->status, st);
	if (state == CXI_STREAM_CLOSED) {
		CXF_CHECK(st == CX_ERR_STATE && f->errors == 0,
			  "feed on a closed stream gave %d", st);
		return;
	}
	CXF_CHECK(state == CXI_STREAM_FAILED, "feed failed (%d: %s) in state "
		  "%d", st, err->message, state);
	CXF_CHECK(f->errors == 1 && f->failure == st,
		  "feed failed with %d, ERROR event said %d (%u events)", st,
		  f->failure, f->errors);
	again = cxi_stream_feed(f->s, "<a/>", 4, &err2);
	CXF_CHECK(again == st && err2.status == st,
		  "a failed stream said %d, then %d", st, again);
}

/* A scripted server line: must be accepted. */
static void
script(fz *f, const char *bytes)
{
	cx_error err = CX_ERROR_INIT;
	cx_status st = cxi_stream_feed(f->s, bytes, strlen(bytes), &err);

	CXF_CHECK(st == CX_OK, "scripted input refused (%s): %s", err.message,
		  bytes);
	take(f);
}

/* The 'id' of the last <iq in our output. */
static void
last_iq_id(fz *f, char *id, size_t len)
{
	char *o = cxi_buf_strdup(&f->out), *p, *q, *iq = NULL;

	CXF_CHECK(o != NULL, "no output");
	for (p = o; (p = strstr(p, "<iq")) != NULL; p++)
		iq = p;
	CXF_CHECK(iq != NULL, "no iq in %s", o);
	p = strstr(iq, " id=");
	CXF_CHECK(p != NULL && (p[4] == '\'' || p[4] == '"'), "iq without id");
	q = strchr(p + 5, p[4]);
	CXF_CHECK(q != NULL && (size_t)(q - p - 5) < len, "bad id");
	memcpy(id, p + 5, (size_t)(q - p - 5));
	id[q - p - 5] = '\0';
	free(o);
}

static void
script_to(fz *f, unsigned stage)
{
	char id[128], reply[512];

	if (stage == 0)
		return;
	script(f, S_HDR F_TLS);
	script(f, PROCEED);
	CXF_CHECK(cxi_stream_get_state(f->s) == CXI_STREAM_OPENING,
		  "not restarted after TLS");
	if (stage == 1)
		return;
	script(f, S_HDR2 F_PLAIN);
	script(f, SUCCESS);
	if (stage == 2)
		return;
	script(f, S_HDR3 F_BIND);
	last_iq_id(f, id, sizeof(id));
	snprintf(reply, sizeof(reply),
		 "<iq type='result' id='%s'><bind xmlns='urn:ietf:params:xml:"
		 "ns:xmpp-bind'><jid>" JID "</jid></bind></iq>", id);
	script(f, reply);
	CXF_CHECK(cxi_stream_get_state(f->s) == CXI_STREAM_READY,
		  "not READY after the scripted bind");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cxi_stream_config cfg;
	cxi_logger lg;
	cx_error err = CX_ERROR_INIT;
	cxf_split sp;
	cx_status st;
	uint8_t flags;
	size_t off = 0, n;
	fz f;

	if (size < 2)
		return 0;
	flags = data[0];
	cxf_split_init(&sp, data[1], piece_max[(flags >> 3) & 7]);
	data += 2;
	size -= 2;

	memset(&f, 0, sizeof(f));
	cxi_buf_init(&f.logs);
	cxi_buf_init(&f.out);
	memset(&lg, 0, sizeof(lg));
	lg.fn = capture;
	lg.arg = &f;
	lg.max_level = CX_LOG_TRACE;
	memset(&cfg, 0, sizeof(cfg));
	cfg.jid = JID;
	cfg.password = PASSWORD;
	cfg.tls_mode = CXI_TLS_STARTTLS;
	if ((flags & 3) == 0 && (flags & 4)) {
		cfg.tls_mode = CXI_TLS_INSECURE_NONE;
		cfg.insecure_allow_plain_auth = true;
	}
	if ((flags & 3) >= 2)
		cfg.sasl_allowed = CXI_SASL_PLAIN;
	cfg.tls_ops = &cxt_faketls_ops;
	cfg.tls_ctx = &f.tls;
	cfg.log = &lg;
	cfg.on_event = on_event;
	cfg.arg = &f;
	st = cxi_stream_new(&f.s, &cfg, &err);
	CXF_CHECK(st == CX_OK, "stream_new: %s", err.message);
	st = cxi_stream_start(f.s, &err);
	CXF_CHECK(st == CX_OK, "start: %s", err.message);
	take(&f);
	script_to(&f, flags & 3);

	if (flags & 64) {
		st = cxi_stream_close(f.s, &err);
		CXF_CHECK(st == CX_OK, "close before the fuzzed bytes: %s",
			  err.message);
		take(&f);
	}
	while (off < size) {
		n = cxf_split_next(&sp, size - off);
		cx_error_clear(&err);
		st = cxi_stream_feed(f.s, data + off, n, &err);
		after_feed(&f, st, &err);
		take(&f);
		if (st != CX_OK)
			break;
		off += n;
	}
	if (!(flags & 128)) {
		cxi_stream_eof(f.s, CX_ERR_CLOSED);
		take(&f);
		CXF_CHECK(f.errors + f.closed == 1,
			  "after EOF: %u ERROR and %u CLOSED events", f.errors,
			  f.closed);
		CXF_CHECK(cxi_stream_get_state(f.s) == CXI_STREAM_FAILED ||
				  cxi_stream_get_state(f.s) == CXI_STREAM_CLOSED,
			  "state %d after EOF", cxi_stream_get_state(f.s));
	}
	/* (raw server bytes are logged: a secret the input holds may be) */
	CXF_CHECK((!memmem(cxf_head(&f.logs), cxi_buf_size(&f.logs),
			   PASSWORD, strlen(PASSWORD)) &&
		   !memmem(cxf_head(&f.logs), cxi_buf_size(&f.logs),
			   PLAIN_B64, strlen(PLAIN_B64))) ||
			  memmem(data, size, PASSWORD, strlen(PASSWORD)) ||
			  memmem(data, size, PLAIN_B64, strlen(PLAIN_B64)),
		  "a secret reached the log");
	cxi_stream_free(f.s);
	cxi_buf_free(&f.logs);
	cxi_buf_free(&f.out);
	return 0;
}

/*
 * Tests of the DNS code (lib/net/dns.c).
 *
 * The parser is tested on hand-built answers in wire format (tables), on
 * every truncation of valid answers and on byte mutations, each in a buffer
 * of exactly its size so that ASan catches any overread. Ordering uses a
 * scripted random source. The live tests start tests/dns/fakedns.py on
 * loopback and always point the resolver at it (opt.nameserver): nothing
 * here may reach the system's resolver.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/net/dns.h"
#include "tests/unit/testutil.h"

/* ---- wire-format building blocks --------------------------------------- */

#define U16(x) (((x) >> 8) & 0xff), ((x) & 0xff)
/* ID 0x1234, QR RD RA, rcode, qdcount, ancount, no NS/AR records. */
#define HDRX(rcode, qd, an) 0x12, 0x34, 0x81, (0x80 | (rcode)), U16(qd), U16(an), 0, 0, 0, 0
#define HDR(an) HDRX(0, 1, an)
/* "_xmpp-client._tcp.example.com" at offset 12; "example.com" is at 30. */
#define QNAME 12, '_', 'x', 'm', 'p', 'p', '-', 'c', 'l', 'i', 'e', 'n', 't', \
	4, '_', 't', 'c', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0
#define QSRV QNAME, 0, 33, 0, 1 /* answers start at offset 47 */
#define QA QNAME, 0, 1, 0, 1
#define QAAAA QNAME, 0, 28, 0, 1
#define TTL 0, 0, 0, 60
/* Record header, owner = the question's name (pointer to 12). */
#define RRH(type, rdlen) 0xC0, 0x0C, U16(type), 0, 1, TTL, U16(rdlen)
#define SRVD(prio, weight, port) U16(prio), U16(weight), U16(port)
/* "xmpp.example.com": label + pointer to "example.com" (7 bytes). */
#define T_XMPP 4, 'x', 'm', 'p', 'p', 0xC0, 0x1E
/* "xmpp.example.com" written in full (18 bytes). */
#define T_FULL 4, 'x', 'm', 'p', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0

#define QN "_xmpp-client._tcp.example.com"

static const uint8_t w_single[] = { HDR(1), QSRV, RRH(33, 24), SRVD(10, 5, 5222), T_FULL };
/* Three records: compressed targets, one a pointer to a pointer. Record 1
 * starts at 47, its target at 65; record 2 at 72; record 3 at 97. */
static const uint8_t w_multi[] = {
	HDR(3), QSRV,
	RRH(33, 13), SRVD(10, 5, 5222), T_XMPP,
	RRH(33, 13), SRVD(20, 0, 5223), 4, 'a', 'l', 't', '1', 0xC0, 0x1E,
	RRH(33, 8), SRVD(30, 1, 5224), 0xC0, 65,
};
static const uint8_t w_dot[] = { HDR(1), QSRV, RRH(33, 7), SRVD(0, 0, 0), 0 };
static const uint8_t w_trunc_hdr[] = { 0x12, 0x34, 0x81, 0x80, 0 };
static const uint8_t w_loop_self[] = { HDR(1), QSRV, 0xC0, 47, U16(33), 0, 1, TTL, U16(13),
				       SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_loop_label[] = { HDR(1), QSRV, RRH(33, 13), SRVD(1, 1, 1),
					4, 'l', 'o', 'o', 'p', 0xC0, 65 };
static const uint8_t w_forward[] = { HDR(1), QSRV, 0xC0, 0x50, U16(33), 0, 1, TTL, U16(13),
				     SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_ptr_header[] = { HDR(1), QSRV, RRH(33, 8), SRVD(1, 1, 1), 0xC0, 0x02 };
static const uint8_t w_ptr_past_end[] = { HDR(1), QSRV, RRH(33, 13), SRVD(1, 1, 1),
					  4, 'x', 'm', 'p', 'p', 0xC0 };
static const uint8_t w_rdlen_overrun[] = { HDR(1), QSRV, RRH(33, 64), SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_wrong_qtype[] = { HDR(1), QA, RRH(33, 13), SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_huge_count[] = { HDR(0xFFFF), QSRV, RRH(33, 13), SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_huge_qd[] = { HDRX(0, 0xFFFF, 0), QSRV };
static const uint8_t w_no_question[] = { HDRX(0, 0, 1), RRH(33, 13), SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_query[] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, QSRV };
static const uint8_t w_nxdomain[] = { HDRX(3, 1, 0), QSRV };
static const uint8_t w_servfail[] = { HDRX(2, 1, 0), QSRV };
static const uint8_t w_refused[] = { HDRX(5, 1, 0), QSRV };
static const uint8_t w_mixed[] = { HDR(2), QSRV, RRH(1, 4), 127, 0, 0, 1,
				   RRH(33, 13), SRVD(10, 5, 5222), T_XMPP };
static const uint8_t w_class_ch[] = { HDR(1), QSRV, 0xC0, 0x0C, U16(33), 0, 3, TTL, U16(13),
				      SRVD(1, 1, 1), T_XMPP };
/* CNAME to "srv.example.com" (rdata at 59), then its SRV. */
static const uint8_t w_cname[] = { HDR(2), QSRV, RRH(5, 6), 3, 's', 'r', 'v', 0xC0, 0x1E,
				   0xC0, 59, U16(33), 0, 1, TTL, U16(13), SRVD(7, 8, 5222), T_XMPP };
/* The same, SRV first (its owner written out), CNAME after. */
static const uint8_t w_cname_rev[] = { HDR(2), QSRV,
				       3, 's', 'r', 'v', 0xC0, 0x1E, U16(33), 0, 1, TTL, U16(13),
				       SRVD(7, 8, 5222), T_XMPP,
				       RRH(5, 6), 3, 's', 'r', 'v', 0xC0, 0x1E };
static const uint8_t w_cname_only[] = { HDR(1), QSRV, RRH(5, 6), 3, 's', 'r', 'v', 0xC0, 0x1E };
static const uint8_t w_srv_short[] = { HDR(1), QSRV, RRH(33, 5), 0, 1, 0, 1, 0 };
static const uint8_t w_srv_slack[] = { HDR(1), QSRV, RRH(33, 14), SRVD(1, 1, 1), T_XMPP, 0xAA };
static const uint8_t w_label_past[] = { HDR(1), QSRV, 30, 'a', 'b' };
static const uint8_t w_label_type[] = { HDR(1), QSRV, 0x40, 0x0C, U16(33), 0, 1, TTL, U16(13),
					SRVD(1, 1, 1), T_XMPP };
static const uint8_t w_space[] = { HDR(1), QSRV, RRH(33, 11), SRVD(1, 1, 1), 3, 'a', ' ', 'b', 0 };
static const uint8_t w_dot_in_label[] = { HDR(1), QSRV, RRH(33, 11), SRVD(1, 1, 1), 3, 'a', '.', 'b', 0 };
static const uint8_t w_rr_trunc[] = { HDR(1), QSRV, 0xC0, 0x0C, U16(33), 0, 1 };
static const uint8_t w_q_trunc[] = { HDR(0), QNAME, 0 };
static const uint8_t w_upper[] = { HDR(1), 12, '_', 'X', 'M', 'P', 'P', '-', 'C', 'l', 'i', 'e', 'n', 't',
				   4, '_', 'T', 'C', 'P', 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'C', 'O', 'M', 0,
				   0, 33, 0, 1, RRH(33, 13), SRVD(3, 4, 5), 4, 'X', 'M', 'P', 'P', 0xC0, 0x1E };

struct parse_case {
	const char *desc;
	const uint8_t *msg;
	size_t len;
	const char *qname;
	cx_status status;
	const char *targets; /* "host:port/prio/weight ..." in answer order */
};

#define W(a) a, sizeof(a)

static const struct parse_case parse_cases[] = {
	{ "single SRV", W(w_single), QN, CX_OK, "xmpp.example.com:5222/10/5" },
	{ "three SRV, compressed", W(w_multi), QN, CX_OK,
	  "xmpp.example.com:5222/10/5 alt1.example.com:5223/20/0 xmpp.example.com:5224/30/1" },
	{ "'.' target", W(w_dot), QN, CX_OK, ".:0/0/0" },
	{ "qname with final dot, other case", W(w_single), "_XMPP-client._tcp.Example.COM.", CX_OK,
	  "xmpp.example.com:5222/10/5" },
	{ "names in upper case", W(w_upper), QN, CX_OK, "xmpp.example.com:5/3/4" },
	{ "A record skipped", W(w_mixed), QN, CX_OK, "xmpp.example.com:5222/10/5" },
	{ "class CH skipped", W(w_class_ch), QN, CX_OK, "" },
	{ "CNAME then SRV", W(w_cname), QN, CX_OK, "xmpp.example.com:5222/7/8" },
	{ "SRV then CNAME", W(w_cname_rev), QN, CX_OK, "xmpp.example.com:5222/7/8" },
	{ "CNAME only", W(w_cname_only), QN, CX_OK, "" },
	{ "NXDOMAIN", W(w_nxdomain), QN, CX_OK, "" },
	{ "SERVFAIL", W(w_servfail), QN, CX_ERR_DNS, NULL },
	{ "REFUSED", W(w_refused), QN, CX_ERR_DNS, NULL },
	{ "empty message", w_single, 0, QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "truncated header", W(w_trunc_hdr), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "pointer to itself", W(w_loop_self), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "label then pointer back to it", W(w_loop_label), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "forward pointer", W(w_forward), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "pointer into the header", W(w_ptr_header), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "pointer cut in half", W(w_ptr_past_end), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "RDLENGTH overrun", W(w_rdlen_overrun), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "question of type A", W(w_wrong_qtype), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "65535 answers, one present", W(w_huge_count), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "65535 questions", W(w_huge_qd), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "no question", W(w_no_question), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "a query, not a response", W(w_query), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "answer for another name", W(w_single), "_xmpp-client._tcp.example.net",
	  CX_ERR_DNS_MALFORMED, NULL },
	{ "SRV RDATA too short", W(w_srv_short), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "SRV target short of RDLENGTH", W(w_srv_slack), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "label past the end", W(w_label_past), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "reserved label type", W(w_label_type), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "space in a label", W(w_space), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "dot in a label", W(w_dot_in_label), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "record header cut", W(w_rr_trunc), QN, CX_ERR_DNS_MALFORMED, NULL },
	{ "question cut", W(w_q_trunc), QN, CX_ERR_DNS_MALFORMED, NULL },
};

/* Copies msg into a buffer of exactly len bytes (ASan sees overreads). */
static uint8_t *
exact_copy(const uint8_t *msg, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(b);
	if (len)
		memcpy(b, msg, len);
	return b;
}

static void
format_targets(char *out, size_t outlen, const cxi_srv_target *t, size_t n)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < n && o < outlen; i++)
		o += (size_t)snprintf(out + o, outlen - o, "%s%s:%u/%u/%u",
				      i ? " " : "", t[i].host, t[i].port,
				      t[i].priority, t[i].weight);
}

START_TEST(test_dns_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = (cxi_srv_target *)1;
	uint8_t *msg = exact_copy(c->msg, c->len);
	char got[512];
	size_t n = 99;
	cx_status st;

	st = cxi_dns_parse_srv(&t, &n, msg, c->len, c->qname, &err);
	ck_assert_msg(st == c->status, "%s: status %d, want %d (%s)", c->desc,
		      (int)st, (int)c->status, err.message);
	if (st == CX_OK) {
		format_targets(got, sizeof(got), t, n);
		ck_assert_msg(strcmp(got, c->targets) == 0, "%s: got \"%s\"",
			      c->desc, got);
		for (size_t i = 0; i < n; i++)
			ck_assert(!t[i].direct_tls);
		if (n == 0)
			ck_assert_ptr_null(t);
		cx_free(t);
	} else {
		ck_assert_ptr_null(t);
		ck_assert_uint_eq(n, 0);
		ck_assert_int_eq(err.status, c->status);
		ck_assert_msg(err.message[0] != '\0', "%s: no message", c->desc);
	}
	free(msg);
}
END_TEST

/* Every proper prefix of a valid answer is malformed, never a crash. */
START_TEST(test_dns_parse_truncations)
{
	const struct { const uint8_t *m; size_t len; } msgs[] = {
		{ W(w_single) }, { W(w_multi) }, { W(w_cname) }, { W(w_cname_rev) },
		{ W(w_mixed) }, { W(w_dot) },
	};

	for (size_t k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
		for (size_t len = 0; len < msgs[k].len; len++) {
			uint8_t *b = exact_copy(msgs[k].m, len);
			cxi_srv_target *t = NULL;
			size_t n = 0;
			cx_status st = cxi_dns_parse_srv(&t, &n, b, len, QN, NULL);

			ck_assert_msg(st == CX_ERR_DNS_MALFORMED,
				      "message %zu cut at %zu: status %d", k,
				      len, (int)st);
			ck_assert_ptr_null(t);
			free(b);
		}
	}
}
END_TEST

/* Byte mutations of valid answers: any status but a sane one. */
START_TEST(test_dns_parse_mutations)
{
	static const uint8_t vals[] = { 0x00, 0x01, 0x3F, 0x40, 0x80, 0xC0, 0xFF };
	const struct { const uint8_t *m; size_t len; } msgs[] = {
		{ W(w_multi) }, { W(w_cname) }, { W(w_cname_rev) },
	};
	size_t runs = 0, ok = 0;

	for (size_t k = 0; k < sizeof(msgs) / sizeof(msgs[0]); k++) {
		for (size_t pos = 0; pos < msgs[k].len; pos++) {
			for (size_t v = 0; v < sizeof(vals); v++) {
				uint8_t *b = exact_copy(msgs[k].m, msgs[k].len);
				cxi_srv_target *t = NULL;
				size_t n = 0;
				cx_status st;

				b[pos] = vals[v];
				st = cxi_dns_parse_srv(&t, &n, b, msgs[k].len,
						       QN, NULL);
				ck_assert_msg(st == CX_OK ||
					      st == CX_ERR_DNS_MALFORMED ||
					      st == CX_ERR_DNS,
					      "status %d", (int)st);
				for (size_t i = 0; st == CX_OK && i < n; i++) {
					size_t hl = strlen(t[i].host);
					ck_assert(hl > 0 && hl < 254);
					for (size_t j = 0; j < hl; j++)
						ck_assert(t[i].host[j] > 0x20 &&
							  t[i].host[j] < 0x7f);
				}
				ok += st == CX_OK;
				runs++;
				cx_free(t);
				free(b);
			}
		}
	}
	/* Some mutations (in TTLs, weights) must still parse. */
	ck_assert_uint_gt(ok, 0);
	ck_assert_uint_gt(runs, ok);
}
END_TEST

/* Names on the wire are at most 255 bytes, so host names at most 253. */
START_TEST(test_dns_parse_name_length)
{
	uint8_t msg[600];
	size_t n0, pos, rd, labels[2][4] = { { 63, 63, 63, 61 }, { 63, 63, 63, 62 } };

	for (int k = 0; k < 2; k++) {
		const uint8_t head[] = { HDR(1), QSRV, RRH(33, 0), SRVD(1, 2, 3) };
		cxi_srv_target *t = NULL;
		size_t n = 0;
		cx_error err = CX_ERROR_INIT;
		cx_status st;
		uint8_t *b;

		memcpy(msg, head, sizeof(head));
		pos = n0 = sizeof(head);
		for (int l = 0; l < 4; l++) {
			msg[pos++] = (uint8_t)labels[k][l];
			memset(msg + pos, 'a' + l, labels[k][l]);
			pos += labels[k][l];
		}
		msg[pos++] = 0;
		rd = pos - n0 + 6;
		msg[n0 - 8] = (uint8_t)(rd >> 8);
		msg[n0 - 7] = (uint8_t)rd;
		b = exact_copy(msg, pos);
		st = cxi_dns_parse_srv(&t, &n, b, pos, QN, &err);
		if (k == 0) {
			ck_assert_msg(st == CX_OK, "%s", err.message);
			ck_assert_uint_eq(n, 1);
			ck_assert_uint_eq(strlen(t[0].host), 253);
			cx_free(t);
		} else {
			ck_assert_int_eq(st, CX_ERR_DNS_MALFORMED);
			ck_assert_ptr_nonnull(strstr(err.message, "255"));
		}
		free(b);
	}
}
END_TEST

static const uint8_t w_a2[] = { HDR(2), QA, RRH(1, 4), 192, 0, 2, 1, RRH(1, 4), 192, 0, 2, 2 };
static const uint8_t w_aaaa[] = { HDR(1), QAAAA, RRH(28, 16), 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				  0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t w_a_bad[] = { HDR(1), QA, RRH(1, 5), 192, 0, 2, 1, 9 };

static const char *
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &s->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(s->sin_port));
	} else {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		char a[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &s->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(s->sin6_port));
	}
	return buf;
}

START_TEST(test_dns_parse_addrs)
{
	struct sockaddr_storage *v = NULL;
	size_t n = 0;
	char buf[64];
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_dns_parse_addrs(&v, &n, W(w_a2), QN, 1, 5222, &err), CX_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(cxi_dns_parse_addrs(&v, &n, W(w_aaaa), QN, 28, 5222, &err), CX_OK);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(addr_text(&v[0], buf, sizeof(buf)), "192.0.2.1:5222");
	ck_assert_str_eq(addr_text(&v[1], buf, sizeof(buf)), "192.0.2.2:5222");
	ck_assert_str_eq(addr_text(&v[2], buf, sizeof(buf)), "[2001:db8::1]:5222");
	/* A failing answer leaves what was there. */
	ck_assert_int_eq(cxi_dns_parse_addrs(&v, &n, W(w_a_bad), QN, 1, 5222, &err),
			 CX_ERR_DNS_MALFORMED);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(cxi_dns_parse_addrs(&v, &n, W(w_a2), QN, 28, 5222, &err),
			 CX_ERR_DNS_MALFORMED); /* asked AAAA, answer for A */
	ck_assert_int_eq(cxi_dns_parse_addrs(&v, &n, W(w_a2), QN, 33, 5222, &err),
			 CX_ERR_INVALID);
	ck_assert_uint_eq(n, 3);
	cx_free(v);
}
END_TEST

/* ---- ordering ------------------------------------------------------------ */

struct seq {
	const uint32_t *v;
	size_t n;
	size_t i;
};

static uint32_t
seq_rng(void *arg)
{
	struct seq *s = arg;

	return s->v[s->i++ % s->n];
}

static uint32_t
lcg_rng(void *arg)
{
	uint32_t *state = arg;

	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static cxi_srv_target
T(const char *host, uint16_t prio, uint16_t weight, bool tls)
{
	cxi_srv_target t;

	memset(&t, 0, sizeof(t));
	snprintf(t.host, sizeof(t.host), "%s", host);
	t.port = 5222;
	t.priority = prio;
	t.weight = weight;
	t.direct_tls = tls;
	return t;
}

static void
order_hosts(char *out, size_t len, const cxi_srv_target *t, size_t n)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? " " : "",
				      t[i].host);
}

START_TEST(test_dns_order_priority)
{
	static const uint32_t zero[] = { 0 };
	struct seq s = { zero, 1, 0 };
	cxi_srv_target t[] = { T("a", 20, 0, false), T("b", 10, 0, false),
			       T("c", 30, 0, false), T("d", 10, 0, false) };
	char got[64];

	cxi_dns_order_srv(t, 4, seq_rng, &s);
	order_hosts(got, sizeof(got), t, 4);
	ck_assert_str_eq(got, "b d a c");
	cxi_dns_order_srv(t, 0, seq_rng, &s);
	cxi_dns_order_srv(t, 1, seq_rng, &s);
	cxi_dns_order_srv(NULL, 0, seq_rng, &s);
}
END_TEST

START_TEST(test_dns_order_direct_tls)
{
	static const uint32_t zero[] = { 0 };
	struct seq s = { zero, 1, 0 };
	cxi_srv_target t[] = { T("plain", 10, 0, false), T("tls", 10, 0, true),
			       T("first", 5, 0, false), T("tls20", 20, 0, true) };
	char got[64];

	cxi_dns_order_srv(t, 4, seq_rng, &s);
	order_hosts(got, sizeof(got), t, 4);
	ck_assert_str_eq(got, "first tls plain tls20");
}
END_TEST

START_TEST(test_dns_order_weighted)
{
	static const uint32_t pick_z[] = { 50, 5 };
	static const uint32_t pick_0[] = { 0, 0 };
	struct seq s1 = { pick_z, 2, 0 }, s2 = { pick_0, 2, 0 };
	cxi_srv_target t[] = { T("y", 10, 10, false), T("z", 10, 90, false),
			       T("x", 10, 0, false), T("low", 1, 5, false) };
	char got[64];

	/* Group 10 is x(0) y(10) z(90) after zero weights go first: 50 picks
	 * z (running sums 0, 10, 100), then 5 of 0..10 picks y. */
	cxi_dns_order_srv(t, 4, seq_rng, &s1);
	order_hosts(got, sizeof(got), t, 4);
	ck_assert_str_eq(got, "low z y x");
	ck_assert_uint_eq(s1.i, 2);

	/* From the same input, 0 picks the zero-weight record, then 0 of
	 * 0..100 picks y. */
	t[0] = T("y", 10, 10, false);
	t[1] = T("z", 10, 90, false);
	t[2] = T("x", 10, 0, false);
	t[3] = T("low", 1, 5, false);
	cxi_dns_order_srv(t, 4, seq_rng, &s2);
	order_hosts(got, sizeof(got), t, 4);
	ck_assert_str_eq(got, "low x y z");
}
END_TEST

START_TEST(test_dns_order_distribution)
{
	uint32_t state = 12345;
	int first_light = 0, trials = 10000;

	/* Weights 1 and 3: the light one comes first for r in {0, 1} of
	 * 0..4, i.e. 2 times in 5. */
	for (int i = 0; i < trials; i++) {
		cxi_srv_target t[] = { T("light", 0, 1, false),
				       T("heavy", 0, 3, false) };
		cxi_dns_order_srv(t, 2, lcg_rng, &state);
		first_light += strcmp(t[0].host, "light") == 0;
	}
	ck_assert_int_gt(first_light, trials * 35 / 100);
	ck_assert_int_lt(first_light, trials * 45 / 100);

	/* The default random source keeps the priority order. */
	{
		cxi_srv_target t[] = { T("b", 2, 50, false), T("a", 1, 50, false),
				       T("c", 2, 50, false) };
		cxi_dns_order_srv(t, 3, NULL, NULL);
		ck_assert_str_eq(t[0].host, "a");
		ck_assert_uint_eq(t[1].priority, 2);
		ck_assert_uint_eq(t[2].priority, 2);
	}
}
END_TEST

/* ---- live tests against tests/dns/fakedns.py --------------------------- */

struct fake {
	pid_t pid;
	int stdin_fd;
	int port;
	char log[256];
	char error[256];
};

static struct fake fake4, fake6;

static const char *const zone[] = {
	"SRV _xmpps-client._tcp.both.test 5 10 5223 tls.both.test",
	"SRV _xmpp-client._tcp.both.test 5 10 5222 plain.both.test",
	"SRV _xmpp-client._tcp.both.test 10 10 5222 backup.both.test",
	"SRV _xmpp-client._tcp.plain.test 0 0 5222 xmpp.plain.test",
	"SRV _xmpp-client._tcp.plain.test 0 0 5269 xmpp2.plain.test",
	"SRV _xmpps-client._tcp.dot.test 0 0 0 .",
	"SRV _xmpp-client._tcp.dot.test 0 0 0 .",
	"SRV _xmpps-client._tcp.halfdot.test 0 0 0 .",
	"SRV _xmpp-client._tcp.halfdot.test 0 0 5222 xmpp.halfdot.test",
	"SRV _xmpp-client._tcp.xn--bcher-kva.test 0 0 5222 xmpp.xn--bcher-kva.test",
	"GARBAGE _xmpps-client._tcp.garbage.test",
	"SILENT _xmpps-client._tcp.silent.test",
	"SERVFAIL _xmpps-client._tcp.servfail.test",
	"A host.test 127.0.0.1",
	"AAAA host.test ::1",
	"A v4only.test 127.0.0.3",
	"CNAME alias.test host.test",
	"GARBAGE garbagehost.test",
	"SILENT silenthost.test",
	NULL
};

static void
fake_start(struct fake *f, const char *bind)
{
	const char *top = getenv("top_srcdir");
	const char *tmp = getenv("TMPDIR");
	char script[512];
	const char *argv[64];
	int in[2], out[2], fd, argc = 0;
	char line[32];
	size_t got = 0;

	memset(f, 0, sizeof(*f));
	f->pid = -1;
	f->stdin_fd = -1;
	snprintf(script, sizeof(script), "%s/tests/dns/fakedns.py",
		 top ? top : ".");
	snprintf(f->log, sizeof(f->log), "%s/cxmpp-fakedns-XXXXXX",
		 tmp ? tmp : "/tmp");
	fd = mkstemp(f->log);
	if (fd < 0) {
		snprintf(f->error, sizeof(f->error), "mkstemp: %s",
			 strerror(errno));
		return;
	}
	close(fd);
	argv[argc++] = "/usr/bin/python3";
	argv[argc++] = script;
	argv[argc++] = "--bind";
	argv[argc++] = bind;
	argv[argc++] = "--log";
	argv[argc++] = f->log;
	argv[argc++] = "--lifetime";
	argv[argc++] = "600";
	for (int i = 0; zone[i] != NULL; i++)
		argv[argc++] = zone[i];
	argv[argc] = NULL;

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) {
		snprintf(f->error, sizeof(f->error), "pipe: %s", strerror(errno));
		return;
	}
	f->pid = fork();
	if (f->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->stdin_fd = in[1];
	if (f->pid < 0) {
		snprintf(f->error, sizeof(f->error), "fork: %s", strerror(errno));
		close(out[0]);
		return;
	}
	/* The first line is the port; wait up to 20 s for python to start. */
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		struct pollfd p = { out[0], POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 20000) <= 0)
			break;
		r = read(out[0], line + got, sizeof(line) - 1 - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	line[got] = '\0';
	close(out[0]);
	f->port = atoi(line);
	if (f->port <= 0)
		snprintf(f->error, sizeof(f->error),
			 "fakedns.py (%.150s) did not report a port: \"%.20s\"",
			 script, line);
}

static void
fake_stop(struct fake *f)
{
	int status;

	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, &status, 0);
		f->pid = -1;
	}
	if (f->stdin_fd >= 0)
		close(f->stdin_fd);
	f->stdin_fd = -1;
	if (f->log[0])
		unlink(f->log);
}

static void
fake4_setup(void)
{
	fake_start(&fake4, "127.0.0.1");
}

static void
fake4_teardown(void)
{
	fake_stop(&fake4);
}

static void
fake6_setup(void)
{
	fake_start(&fake6, "::1");
}

static void
fake6_teardown(void)
{
	fake_stop(&fake6);
}

/* Queries the fake server has seen so far (lines of its log). */
static int
fake_queries(const struct fake *f)
{
	FILE *fp = fopen(f->log, "r");
	int c, n = 0;

	ck_assert_ptr_nonnull(fp);
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

static char nsbuf[64];

static cxi_dns_options
opts(const struct fake *f)
{
	cxi_dns_options o;

	ck_assert_msg(f->port > 0, "fake DNS server: %s", f->error);
	if (f == &fake6)
		snprintf(nsbuf, sizeof(nsbuf), "[::1]:%d", f->port);
	else
		snprintf(nsbuf, sizeof(nsbuf), "127.0.0.1:%d", f->port);
	memset(&o, 0, sizeof(o));
	o.nameserver = nsbuf;
	o.timeout_ms = 1000;
	o.attempts = 1;
	return o;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
lookup_ok(const struct fake *f, const char *domain, const char *want,
	  const char *want_tls)
{
	cxi_dns_options o = opts(f);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = NULL;
	char got[512], tls[64];
	size_t n = 0, o2 = 0;

	ck_assert_msg(cxi_dns_lookup_xmpp(&t, &n, domain, &o, &err) == CX_OK,
		      "%s: %s", domain, err.message);
	format_targets(got, sizeof(got), t, n);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\"", domain, got);
	tls[0] = '\0';
	for (size_t i = 0; i < n; i++)
		o2 += (size_t)snprintf(tls + o2, sizeof(tls) - o2, "%d",
				       t[i].direct_tls);
	ck_assert_str_eq(tls, want_tls);
	cx_free(t);
}

START_TEST(test_dns_live_both_services)
{
	int q0 = fake_queries(&fake4);

	lookup_ok(&fake4, "both.test",
		  "tls.both.test:5223/5/10 plain.both.test:5222/5/10 "
		  "backup.both.test:5222/10/10", "100");
	ck_assert_int_eq(fake_queries(&fake4) - q0, 2);
	lookup_ok(&fake4, "BOTH.test.",
		  "tls.both.test:5223/5/10 plain.both.test:5222/5/10 "
		  "backup.both.test:5222/10/10", "100");
}
END_TEST

START_TEST(test_dns_live_xmpp_client_only)
{
	cxi_dns_options o = opts(&fake4);
	cxi_srv_target *t = NULL;
	size_t n = 0;

	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "plain.test", &o, NULL),
			 CX_OK);
	ck_assert_uint_eq(n, 2);
	for (size_t i = 0; i < n; i++) {
		ck_assert(!t[i].direct_tls);
		ck_assert(strcmp(t[i].host, "xmpp.plain.test") == 0 ||
			  strcmp(t[i].host, "xmpp2.plain.test") == 0);
	}
	ck_assert_uint_ne(t[0].port, t[1].port);
	cx_free(t);
	lookup_ok(&fake4, "halfdot.test", "xmpp.halfdot.test:5222/0/0", "0");
	/* IDN: the U-label domain is asked for with its A-label. */
	lookup_ok(&fake4, "B\xc3\x9c" "cher.test",
		  "xmpp.xn--bcher-kva.test:5222/0/0", "0");
}
END_TEST

START_TEST(test_dns_live_fallback)
{
	int q0 = fake_queries(&fake4);

	lookup_ok(&fake4, "none.test", "none.test:5222/0/0", "0");
	ck_assert_int_eq(fake_queries(&fake4) - q0, 2);
	lookup_ok(&fake4, "None.Test.", "none.test:5222/0/0", "0");
}
END_TEST

START_TEST(test_dns_live_no_service)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = (cxi_srv_target *)1;
	size_t n = 7;

	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "dot.test", &o, &err),
			 CX_ERR_DNS);
	ck_assert_ptr_null(t);
	ck_assert_uint_eq(n, 0);
	ck_assert_msg(strstr(err.message, "no XMPP service") != NULL, "%s",
		      err.message);
}
END_TEST

START_TEST(test_dns_live_garbage)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = NULL;
	struct sockaddr_storage *a = NULL;
	size_t n = 0;

	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "garbage.test", &o, &err),
			 CX_ERR_DNS_MALFORMED);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, "garbagehost.test", 1,
					       &o, &err),
			 CX_ERR_DNS_MALFORMED);
	ck_assert_ptr_null(a);
}
END_TEST

START_TEST(test_dns_live_servfail)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = NULL;
	size_t n = 0;

	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "servfail.test", &o, &err),
			 CX_ERR_DNS);
	ck_assert_ptr_nonnull(strstr(err.message, "servfail.test"));
	ck_assert_msg(strstr(err.message, "SERVFAIL") != NULL, "%s", err.message);
}
END_TEST

START_TEST(test_dns_live_silent)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = NULL;
	struct sockaddr_storage *a = NULL;
	size_t n = 0;
	int q0 = fake_queries(&fake4);
	double t0 = now_s(), dt;

	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "silent.test", &o, &err),
			 CX_ERR_DNS);
	dt = now_s() - t0;
	ck_assert_msg(dt >= 0.9 && dt < 4.0, "took %.2f s", dt);
	ck_assert_ptr_nonnull(strstr(err.message, "timed out"));
	/* One query, no second one after the timeout. */
	ck_assert_int_eq(fake_queries(&fake4) - q0, 1);

	t0 = now_s();
	ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, "silenthost.test", 1,
					       &o, &err),
			 CX_ERR_DNS);
	dt = now_s() - t0;
	ck_assert_msg(dt >= 0.9 && dt < 4.0, "took %.2f s", dt);
	ck_assert_ptr_null(a);
}
END_TEST

static void
addrs_ok(const struct fake *f, const char *host, const char *want)
{
	cxi_dns_options o = opts(f);
	cx_error err = CX_ERROR_INIT;
	struct sockaddr_storage *a = NULL;
	size_t n = 0, off = 0;
	char got[256], buf[64];

	ck_assert_msg(cxi_dns_resolve_addrs(&a, &n, host, 5222, &o, &err) ==
		      CX_OK, "%s: %s", host, err.message);
	got[0] = '\0';
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(got + off, sizeof(got) - off, "%s%s",
					i ? " " : "",
					addr_text(&a[i], buf, sizeof(buf)));
	ck_assert_msg(strcmp(got, want) == 0, "%s: got \"%s\"", host, got);
	cx_free(a);
}

START_TEST(test_dns_live_addrs)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	struct sockaddr_storage *a = NULL;
	size_t n = 0;
	int q0 = fake_queries(&fake4);

	addrs_ok(&fake4, "host.test", "[::1]:5222 127.0.0.1:5222");
	ck_assert_int_eq(fake_queries(&fake4) - q0, 2);
	addrs_ok(&fake4, "HOST.test.", "[::1]:5222 127.0.0.1:5222");
	addrs_ok(&fake4, "alias.test", "[::1]:5222 127.0.0.1:5222");
	addrs_ok(&fake4, "v4only.test", "127.0.0.3:5222");
	ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, "nohost.test", 5222, &o,
					       &err),
			 CX_ERR_DNS);
	ck_assert_ptr_nonnull(strstr(err.message, "nohost.test"));
	ck_assert_ptr_null(a);
}
END_TEST

/* localhost and IP literals never reach DNS (RFC 6761). */
START_TEST(test_dns_live_never_queried)
{
	static const struct { const char *in, *host; } lk[] = {
		{ "localhost", "localhost" }, { "LOCALHOST.", "LOCALHOST." },
		{ "xmpp.localhost", "xmpp.localhost" },
		{ "127.0.0.1", "127.0.0.1" }, { "[::1]", "::1" }, { "::1", "::1" },
	};
	static const struct { const char *in, *want; } ad[] = {
		{ "localhost", "127.0.0.1:5222 [::1]:5222" },
		{ "a.b.localhost", "127.0.0.1:5222 [::1]:5222" },
		{ "192.0.2.7", "192.0.2.7:5222" },
		{ "::1", "[::1]:5222" },
		{ "[2001:db8::7]", "[2001:db8::7]:5222" },
	};
	int q0 = fake_queries(&fake4);

	for (size_t i = 0; i < sizeof(lk) / sizeof(lk[0]); i++) {
		cxi_dns_options o = opts(&fake4);
		cxi_srv_target *t = NULL;
		size_t n = 0;

		ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, lk[i].in, &o, NULL),
				 CX_OK);
		ck_assert_uint_eq(n, 1);
		ck_assert_str_eq(t[0].host, lk[i].host);
		ck_assert_uint_eq(t[0].port, 5222);
		ck_assert(!t[0].direct_tls);
		cx_free(t);
	}
	for (size_t i = 0; i < sizeof(ad) / sizeof(ad[0]); i++)
		addrs_ok(&fake4, ad[i].in, ad[i].want);
	/* "notlocalhost" is an ordinary name: it does go to DNS. */
	ck_assert_int_eq(fake_queries(&fake4) - q0, 0);
	{
		cxi_dns_options o = opts(&fake4);
		cxi_srv_target *t = NULL;
		size_t n = 0;

		ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "notlocalhost", &o,
						     NULL), CX_OK);
		cx_free(t);
		ck_assert_int_eq(fake_queries(&fake4) - q0, 2);
	}
}
END_TEST

START_TEST(test_dns_live_bad_input)
{
	cxi_dns_options o = opts(&fake4);
	cx_error err = CX_ERROR_INIT;
	cxi_srv_target *t = NULL;
	struct sockaddr_storage *a = NULL;
	size_t n = 0;
	int q0 = fake_queries(&fake4);
	static const char *const bad_ns[] = {
		"127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "[::1",
		"[::1]x", "host.test:53", "", "1.2.3.4.5",
	};

	for (size_t i = 0; i < sizeof(bad_ns) / sizeof(bad_ns[0]); i++) {
		cxi_dns_options b = o;

		b.nameserver = bad_ns[i];
		ck_assert_msg(cxi_dns_lookup_xmpp(&t, &n, "both.test", &b,
						  &err) == CX_ERR_INVALID,
			      "nameserver \"%s\"", bad_ns[i]);
		ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, "host.test", 1,
						       &b, &err),
				 CX_ERR_INVALID);
	}
	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "bad_name.test", &o, &err),
			 CX_ERR_JID);
	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "", &o, &err), CX_ERR_JID);
	ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, "bad name", 1, &o, &err),
			 CX_ERR_DNS);
	ck_assert_int_eq(cxi_dns_lookup_xmpp(NULL, &n, "x", &o, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(cxi_dns_resolve_addrs(&a, &n, NULL, 1, &o, &err),
			 CX_ERR_INVALID);
	ck_assert_int_eq(fake_queries(&fake4) - q0, 0);
}
END_TEST

struct log_rec {
	int lines;
	int net;
};

static void
log_fn(void *arg, cx_log_level level, const char *category, const char *msg)
{
	struct log_rec *r = arg;

	(void)level;
	(void)msg;
	r->lines++;
	r->net += strcmp(category, CX_LOG_CAT_NET) == 0;
}

START_TEST(test_dns_live_logs)
{
	struct log_rec rec = { 0, 0 };
	cxi_logger lg = { log_fn, &rec, CX_LOG_TRACE };
	cxi_dns_options o = opts(&fake4);
	cxi_srv_target *t = NULL;
	size_t n = 0;

	o.log = &lg;
	ck_assert_int_eq(cxi_dns_lookup_xmpp(&t, &n, "both.test", &o, NULL),
			 CX_OK);
	cx_free(t);
	ck_assert_int_gt(rec.lines, 0);
	ck_assert_int_eq(rec.net, rec.lines);
}
END_TEST

/* The replacement nameserver may be IPv6. */
START_TEST(test_dns_live6_lookup)
{
	int q0 = fake_queries(&fake6);

	lookup_ok(&fake6, "both.test",
		  "tls.both.test:5223/5/10 plain.both.test:5222/5/10 "
		  "backup.both.test:5222/10/10", "100");
	addrs_ok(&fake6, "host.test", "[::1]:5222 127.0.0.1:5222");
	ck_assert_int_eq(fake_queries(&fake6) - q0, 4);
}
END_TEST

static Suite *
dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc;

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_dns_parse_table, 0,
			    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_dns_parse_truncations);
	tcase_add_test(tc, test_dns_parse_mutations);
	tcase_add_test(tc, test_dns_parse_name_length);
	tcase_add_test(tc, test_dns_parse_addrs);
	suite_add_tcase(s, tc);

	tc = tcase_create("order");
	tcase_set_timeout(tc, 10);
	tcase_add_test(tc, test_dns_order_priority);
	tcase_add_test(tc, test_dns_order_direct_tls);
	tcase_add_test(tc, test_dns_order_weighted);
	tcase_add_test(tc, test_dns_order_distribution);
	suite_add_tcase(s, tc);

	tc = tcase_create("live");
	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, fake4_setup, fake4_teardown);
	tcase_add_test(tc, test_dns_live_both_services);
	tcase_add_test(tc, test_dns_live_xmpp_client_only);
	tcase_add_test(tc, test_dns_live_fallback);
	tcase_add_test(tc, test_dns_live_no_service);
	tcase_add_test(tc, test_dns_live_garbage);
	tcase_add_test(tc, test_dns_live_servfail);
	tcase_add_test(tc, test_dns_live_silent);
	tcase_add_test(tc, test_dns_live_addrs);
	tcase_add_test(tc, test_dns_live_never_queried);
	tcase_add_test(tc, test_dns_live_bad_input);
	tcase_add_test(tc, test_dns_live_logs);
	suite_add_tcase(s, tc);

	tc = tcase_create("live6");
	tcase_set_timeout(tc, 30);
	tcase_add_unchecked_fixture(tc, fake6_setup, fake6_teardown);
	tcase_add_test(tc, test_dns_live6_lookup);
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(dns_suite)

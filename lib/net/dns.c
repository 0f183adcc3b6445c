/*
 * DNS: SRV lookup for XMPP and host addresses.
 *
 * Design notes:
 * - The answer parser is our own, not ns_initparse(): it must be strict in
 *   ways the libresolv helpers are not (a compression pointer has to point
 *   below every byte of the name read so far, so pointer chains strictly
 *   descend and cannot loop; a name is at most 255 bytes on the wire; the
 *   RDATA of SRV, A and AAAA must fill RDLENGTH exactly), and it has to be
 *   testable on hand-made byte strings.
 * - Queries go through res_nquery on a private, zeroed struct __res_state
 *   (res_ninit ... res_nclose) in each call: no shared resolver state, so
 *   no lock. When the caller names a server, it replaces the configured
 *   list in that private state: an IPv4 server goes in nsaddr_list[0]; an
 *   IPv6 one in _u._ext.nsaddrs[0] with nsaddr_list[0].sin_family = 0,
 *   which is how glibc's res_init stores IPv6 servers itself (res_nclose
 *   frees that slot).
 * - glibc's timeouts are whole seconds (retrans), so timeout_ms is rounded
 *   up, and glibc doubles the wait for each further attempt. A timeout on
 *   the first query ends the lookup: the second would only wait as long
 *   again.
 * - Names that RFC 6761 keeps out of DNS (localhost) and IP literals never
 *   reach the resolver.
 */
#include "config.h"

#include "lib/net/dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "lib/core/error.h"
#include "lib/core/jid.h"

#define QT_A 1
#define QT_CNAME 5
#define QT_AAAA 28
#define QT_SRV 33
#define QC_IN 1

#define NAME_TEXT_MAX 256 /* 253 characters, a NUL, and slack */
#define CNAME_CHAIN_MAX 8
#define ANSWER_BUF 65536

/* ---------------------------------------------------------------------- */
/* Wire format                                                            */

static cx_status
malformed(cx_error *err, const char *why)
{
	return cxi_error_set(err, CX_ERR_DNS_MALFORMED,
			     "malformed DNS answer: %s", why);
}

static char
lower(unsigned char c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

/*
 * Reads the name at *pos into out (lower case, dotted, no final dot; "" for
 * the root) and moves *pos past the name's bytes at that place.
 */
static cx_status
read_name(const uint8_t *msg, size_t len, size_t *pos, char *out,
	  cx_error *err)
{
	size_t p = *pos, lowest = *pos, end = 0, o = 0, wire = 1;
	bool jumped = false;

	for (;;) {
		uint8_t c;

		if (p >= len)
			return malformed(err, "name runs past the end");
		c = msg[p];
		if ((c & 0xC0) == 0xC0) {
			size_t target;

			if (p + 1 >= len)
				return malformed(err, "name runs past the end");
			target = ((size_t)(c & 0x3F) << 8) | msg[p + 1];
			/* Strictly below everything read so far: a chain of
			 * pointers always descends, so it ends. */
			if (target >= lowest)
				return malformed(err, "compression pointer "
						 "does not point backwards");
			if (target < 12)
				return malformed(err, "compression pointer "
						 "into the header");
			if (!jumped)
				end = p + 2;
			jumped = true;
			p = lowest = target;
			continue;
		}
		if (c & 0xC0)
			return malformed(err, "unknown label type");
		if (c == 0) {
			if (!jumped)
				end = p + 1;
			break;
		}
		if (c > len - p - 1)
			return malformed(err, "label runs past the end");
		wire += (size_t)c + 1;
		if (wire > 255)
			return malformed(err, "name longer than 255 bytes");
		if (o > 0)
			out[o++] = '.';
		for (size_t i = 1; i <= c; i++) {
			uint8_t ch = msg[p + i];

			if (ch <= 0x20 || ch >= 0x7f || ch == '.')
				return malformed(err, "name has a byte that is "
						 "not a host-name character");
			out[o++] = lower(ch);
		}
		p += (size_t)c + 1;
	}
	out[o] = '\0';
	*pos = end;
	return CX_OK;
}

/* Lower case, no trailing dot, into out[NAME_TEXT_MAX]; false if too long. */
static bool
canon_name(const char *in, char *out)
{
	size_t n = strlen(in), i;

	if (n > 0 && in[n - 1] == '.')
		n--;
	if (n >= NAME_TEXT_MAX)
		return false;
	for (i = 0; i < n; i++)
		out[i] = lower((unsigned char)in[i]);
	out[n] = '\0';
	return true;
}

/* One resource record of the answer section. */
struct rr {
	char owner[NAME_TEXT_MAX];
	uint16_t type;
	uint16_t klass;
	size_t rdata; /* offset */
	uint16_t rdlen;
};

typedef cx_status (*rr_fn)(void *arg, const uint8_t *msg, size_t len,
			   const struct rr *rr, cx_error *err);

/*
 * One pass over the answer section. Every record's bounds are checked.
 * With fn == NULL, CNAMEs that continue the chain are appended to it;
 * otherwise fn gets each record of `qtype` (class IN) owned by a name of
 * the chain.
 */
static cx_status
scan_answers(const uint8_t *msg, size_t len, size_t pos, unsigned an,
	     int qtype, char (*chain)[NAME_TEXT_MAX], size_t *nchain,
	     rr_fn fn, void *arg, cx_error *err)
{
	char target[NAME_TEXT_MAX];
	struct rr rr;
	cx_status st;
	unsigned i;

	for (i = 0; i < an; i++) {
		st = read_name(msg, len, &pos, rr.owner, err);
		if (st != CX_OK)
			return st;
		if (len - pos < 10)
			return malformed(err, "record header runs past the end");
		rr.type = get16(msg + pos);
		rr.klass = get16(msg + pos + 2);
		rr.rdlen = get16(msg + pos + 8);
		rr.rdata = pos + 10;
		if (rr.rdlen > len - rr.rdata)
			return malformed(err, "RDLENGTH runs past the end");
		pos = rr.rdata + rr.rdlen;
		if (rr.klass != QC_IN)
			continue;
		if (fn == NULL) {
			size_t p = rr.rdata;

			if (rr.type != QT_CNAME || *nchain > CNAME_CHAIN_MAX ||
			    strcmp(rr.owner, chain[*nchain - 1]) != 0)
				continue;
			st = read_name(msg, len, &p, target, err);
			if (st != CX_OK)
				return st;
			if (p != rr.rdata + rr.rdlen)
				return malformed(err, "CNAME does not fill "
						 "its RDLENGTH");
			strcpy(chain[(*nchain)++], target);
			continue;
		}
		if (rr.type != qtype)
			continue;
		for (size_t k = 0; k < *nchain; k++) {
			if (strcmp(rr.owner, chain[k]) == 0) {
				st = fn(arg, msg, len, &rr, err);
				if (st != CX_OK)
					return st;
				break;
			}
		}
	}
	return CX_OK;
}

/*
 * Checks the header and the question, then calls fn for each record of
 * `qtype` (class IN) whose owner is qname or a name that qname is a CNAME
 * for (chains of up to CNAME_CHAIN_MAX, in any order in the section).
 */
static cx_status
walk_answer(const uint8_t *msg, size_t len, const char *qname, int qtype,
	    rr_fn fn, void *arg, cx_error *err)
{
	char want[NAME_TEXT_MAX], name[NAME_TEXT_MAX];
	char chain[CNAME_CHAIN_MAX + 1][NAME_TEXT_MAX];
	size_t nchain = 1, pos, before;
	unsigned qd, an, rcode, round;
	cx_status st;

	if (msg == NULL || qname == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "DNS parse: NULL argument");
	if (!canon_name(qname, want))
		return cxi_error_set(err, CX_ERR_INVALID, "DNS parse: name too long");
	if (len < 12)
		return malformed(err, "shorter than a DNS header");
	if (!(msg[2] & 0x80))
		return malformed(err, "not a response");
	rcode = msg[3] & 0x0F;
	if (rcode != 0 && rcode != 3)
		return cxi_error_set(err, CX_ERR_DNS,
				     "DNS server answered %s for %s",
				     rcode == 2 ? "SERVFAIL" :
				     rcode == 5 ? "REFUSED" :
				     rcode == 1 ? "FORMERR" : "an error", want);
	qd = get16(msg + 4);
	an = get16(msg + 6);
	if (qd != 1)
		return malformed(err, "not exactly one question");
	pos = 12;
	st = read_name(msg, len, &pos, name, err);
	if (st != CX_OK)
		return st;
	if (len - pos < 4)
		return malformed(err, "question runs past the end");
	if (strcmp(name, want) != 0)
		return malformed(err, "answer is for another name");
	if (get16(msg + pos) != qtype || get16(msg + pos + 2) != QC_IN)
		return malformed(err, "answer is for another query type");
	pos += 4;
	if (rcode == 3)
		return CX_OK; /* NXDOMAIN: nothing to walk */
	strcpy(chain[0], want);

	/* Follow the CNAME chain first (a pass per link at most, since the
	 * records may come in any order), then deliver in one last pass. */
	for (round = 0; round <= CNAME_CHAIN_MAX; round++) {
		before = nchain;
		st = scan_answers(msg, len, pos, an, qtype, chain, &nchain,
				  NULL, NULL, err);
		if (st != CX_OK)
			return st;
		if (nchain == before || qtype == QT_CNAME)
			break;
	}
	return scan_answers(msg, len, pos, an, qtype, chain, &nchain, fn, arg,
			    err);
}

struct srv_acc {
	cxi_srv_target *v;
	size_t n;
	size_t cap;
};

static cx_status
srv_rr(void *arg, const uint8_t *msg, size_t len, const struct rr *rr,
       cx_error *err)
{
	struct srv_acc *acc = arg;
	cxi_srv_target *t;
	size_t p = rr->rdata + 6;
	cx_status st;

	if (rr->rdlen < 7)
		return malformed(err, "SRV record too short");
	if (acc->n == acc->cap) {
		size_t cap = acc->cap ? acc->cap * 2 : 4;
		cxi_srv_target *v = realloc(acc->v, cap * sizeof(*v));

		if (v == NULL)
			return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		acc->v = v;
		acc->cap = cap;
	}
	t = &acc->v[acc->n];
	memset(t, 0, sizeof(*t));
	t->priority = get16(msg + rr->rdata);
	t->weight = get16(msg + rr->rdata + 2);
	t->port = get16(msg + rr->rdata + 4);
	st = read_name(msg, len, &p, t->host, err);
	if (st != CX_OK)
		return st;
	if (p != rr->rdata + rr->rdlen)
		return malformed(err, "SRV target does not fill its RDLENGTH");
	if (t->host[0] == '\0')
		strcpy(t->host, ".");
	acc->n++;
	return CX_OK;
}

cx_status
cxi_dns_parse_srv(cxi_srv_target **out, size_t *n, const uint8_t *msg,
		  size_t len, const char *qname, cx_error *err)
{
	struct srv_acc acc = { NULL, 0, 0 };
	cx_status st;

	if (out == NULL || n == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_dns_parse_srv: NULL argument");
	*out = NULL;
	*n = 0;
	st = walk_answer(msg, len, qname, QT_SRV, srv_rr, &acc, err);
	if (st != CX_OK) {
		free(acc.v);
		return st;
	}
	*out = acc.v;
	*n = acc.n;
	return CX_OK;
}

struct addr_acc {
	struct sockaddr_storage **v;
	size_t *n;
	uint16_t port;
};

static cx_status
addr_rr(void *arg, const uint8_t *msg, size_t len, const struct rr *rr,
	cx_error *err)
{
	struct addr_acc *acc = arg;
	struct sockaddr_storage *v, *ss;

	(void)len;
	if ((rr->type == QT_A && rr->rdlen != 4) ||
	    (rr->type == QT_AAAA && rr->rdlen != 16))
		return malformed(err, "address record of the wrong size");
	v = realloc(*acc->v, (*acc->n + 1) * sizeof(*v));
	if (v == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	*acc->v = v;
	ss = &v[*acc->n];
	memset(ss, 0, sizeof(*ss));
	if (rr->type == QT_A) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(acc->port);
		memcpy(&sin->sin_addr, msg + rr->rdata, 4);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(acc->port);
		memcpy(&sin6->sin6_addr, msg + rr->rdata, 16);
	}
	(*acc->n)++;
	return CX_OK;
}

cx_status
cxi_dns_parse_addrs(struct sockaddr_storage **out, size_t *n,
		    const uint8_t *msg, size_t len, const char *qname,
		    int qtype, uint16_t port, cx_error *err)
{
	struct addr_acc acc = { out, n, port };
	size_t n0;
	cx_status st;

	if (out == NULL || n == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_dns_parse_addrs: NULL argument");
	n0 = *n;
	if (qtype != QT_A && qtype != QT_AAAA)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "DNS parse: qtype must be A or AAAA");
	st = walk_answer(msg, len, qname, qtype, addr_rr, &acc, err);
	if (st != CX_OK)
		*n = n0; /* keep what was there; drop this answer's part */
	return st;
}

/* ---------------------------------------------------------------------- */
/* RFC 2782 ordering                                                      */

static uint32_t
default_rng(void *arg)
{
	static _Thread_local uint32_t fallback;
	uint32_t v;

	(void)arg;
	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) == (ssize_t)sizeof(v))
		return v;
	/* No entropy yet (early boot): a time-seeded xorshift is plenty to
	 * spread load over servers. */
	if (fallback == 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		fallback = ((uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec) | 1u;
	}
	fallback ^= fallback << 13;
	fallback ^= fallback >> 17;
	fallback ^= fallback << 5;
	return fallback;
}

/* Sort key: priority ascending, then direct TLS first. */
static int
srv_before(const cxi_srv_target *a, const cxi_srv_target *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->direct_tls && !b->direct_tls;
}

static bool
same_group(const cxi_srv_target *a, const cxi_srv_target *b)
{
	return a->priority == b->priority && a->direct_tls == b->direct_tls;
}

/* Moves t[from] to t[to] (to <= from), shifting the rest up by one. */
static void
move_back(cxi_srv_target *t, size_t to, size_t from)
{
	cxi_srv_target x = t[from];

	memmove(&t[to + 1], &t[to], (from - to) * sizeof(*t));
	t[to] = x;
}

void
cxi_dns_order_srv(cxi_srv_target *t, size_t n, uint32_t (*rng)(void *),
		  void *rng_arg)
{
	size_t i, j, k, m;

	if (t == NULL || n < 2)
		return;
	if (rng == NULL)
		rng = default_rng;
	/* Stable insertion sort: the input order is kept within a group, so
	 * a fixed rng gives a fixed result. n is small (one DNS answer). */
	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && srv_before(&t[i], &t[j - 1]); j--)
			;
		if (j != i)
			move_back(t, j, i);
	}
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && same_group(&t[i], &t[j]); j++)
			;
		/* Zero weights first, then draw among what is left. */
		for (k = i, m = i; m < j; m++)
			if (t[m].weight == 0)
				move_back(t, k++, m);
		for (k = i; k + 1 < j; k++) {
			uint64_t total = 0, run = 0, r;

			for (m = k; m < j; m++)
				total += t[m].weight;
			r = total ? rng(rng_arg) % (total + 1) : 0;
			for (m = k; m < j; m++) {
				run += t[m].weight;
				if (run >= r)
					break;
			}
			if (m == j)
				m = j - 1;
			move_back(t, k, m);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Queries                                                                */

/* "localhost", "x.localhost", with or without a final dot. */
static bool
is_localhost(const char *name)
{
	size_t n = strlen(name);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n < 9)
		return false;
	for (size_t i = 0; i < 9; i++)
		if (lower((unsigned char)name[n - 9 + i]) != "localhost"[i])
			return false;
	return n == 9 || name[n - 10] == '.';
}

/* An IP literal: fills *ss (port set) and returns true. */
static bool
ip_literal(const char *host, uint16_t port, struct sockaddr_storage *ss)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(host);
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		if (n - 2 >= sizeof(tmp))
			return false;
		memcpy(tmp, host + 1, n - 2);
		tmp[n - 2] = '\0';
		host = tmp;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return true;
	}
	return false;
}

/* Parses "addr", "addr:port", "[v6]", "[v6]:port" or "v6". */
static cx_status
parse_nameserver(const char *s, struct sockaddr_storage *ss, cx_error *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = NULL, *colon = strchr(s, ':');
	size_t hl;
	long pn = 53;
	char *end;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL)
			goto bad;
		hl = (size_t)(close - s - 1);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			goto bad;
	} else if (colon != NULL && strchr(colon + 1, ':') == NULL) {
		hl = (size_t)(colon - s);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, s, hl);
		host[hl] = '\0';
		port = colon + 1;
	} else {
		if (strlen(s) >= sizeof(host))
			goto bad;
		strcpy(host, s);
	}
	if (port != NULL) {
		errno = 0;
		pn = strtol(port, &end, 10);
		if (errno != 0 || end == port || *end != '\0' || pn < 1 ||
		    pn > 65535)
			goto bad;
	}
	if (!ip_literal(host, (uint16_t)pn, ss))
		goto bad;
	return CX_OK;
bad:
	return cxi_error_set(err, CX_ERR_INVALID,
			     "DNS nameserver \"%.64s\" is not ADDR[:PORT] or "
			     "[IPV6][:PORT]", s);
}

static cx_status
res_open(struct __res_state *rs, const cxi_dns_options *opt, cx_error *err)
{
	struct sockaddr_storage ns;
	int tmo = opt && opt->timeout_ms > 0 ? opt->timeout_ms : 5000;
	int tries = opt && opt->attempts > 0 ? opt->attempts : 2;
	cx_status st;

	if (tries > 5) /* glibc's RES_MAXRETRY */
		tries = 5;
	if (tmo > 30000) /* glibc's RES_MAXRETRANS, in seconds */
		tmo = 30000;

	if (opt != NULL && opt->nameserver != NULL) {
		st = parse_nameserver(opt->nameserver, &ns, err);
		if (st != CX_OK)
			return st;
	}
	memset(rs, 0, sizeof(*rs));
	if (res_ninit(rs) != 0) /* only on allocation failure */
		return cxi_error_set(err, CX_ERR_DNS,
				     "resolver initialisation failed");
	rs->retrans = (tmo + 999) / 1000;
	rs->retry = tries;
	rs->options &= ~(unsigned long)RES_ROTATE;
	if (opt != NULL && opt->nameserver != NULL) {
		for (int i = 0; i < MAXNS; i++) {
			free(rs->_u._ext.nsaddrs[i]);
			rs->_u._ext.nsaddrs[i] = NULL;
		}
		memset(&rs->nsaddr_list[0], 0, sizeof(rs->nsaddr_list[0]));
		if (ns.ss_family == AF_INET) {
			memcpy(&rs->nsaddr_list[0], &ns,
			       sizeof(struct sockaddr_in));
		} else {
			struct sockaddr_in6 *six = malloc(sizeof(*six));

			if (six == NULL) {
				res_nclose(rs);
				return cxi_error_set(err, CX_ERR_NOMEM,
						     "out of memory");
			}
			memcpy(six, &ns, sizeof(*six));
			rs->nsaddr_list[0].sin_family = 0;
			rs->_u._ext.nsaddrs[0] = six;
		}
		rs->nscount = 1;
	}
	return CX_OK;
}

/*
 * One query. *alen = 0 for "no such name" or "no data"; CX_ERR_DNS for a
 * failure. buf has ANSWER_BUF bytes.
 */
static cx_status
query(struct __res_state *rs, const char *name, int type, uint8_t *buf,
      size_t *alen, const cxi_dns_options *opt, cx_error *err)
{
	const cxi_logger *log = opt ? opt->log : NULL;
	int r, rcode;

	*alen = 0;
	cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET, "DNS query %s %s", name,
		type == QT_SRV ? "SRV" : type == QT_A ? "A" : "AAAA");
	/* glibc reports a timeout and a SERVFAIL or REFUSED answer alike
	 * (TRY_AGAIN, ETIMEDOUT); only an answer it received leaves a
	 * response header in buf, so clear it first to tell them apart. */
	memset(buf, 0, 12);
	r = res_nquery(rs, name, C_IN, type, buf, ANSWER_BUF);
	if (r >= 0) {
		*alen = (size_t)r > ANSWER_BUF ? ANSWER_BUF : (size_t)r;
		return CX_OK;
	}
	rcode = (buf[2] & 0x80) ? buf[3] & 0x0F : 0;
	switch (rs->res_h_errno) {
	case HOST_NOT_FOUND:
	case NO_DATA:
		return CX_OK;
	case TRY_AGAIN:
		if (rcode == 2 || rcode == 5) {
			const char *what = rcode == 2 ? "SERVFAIL" : "REFUSED";

			cxi_log(log, CX_LOG_INFO, CX_LOG_CAT_NET,
				"DNS query %s: %s", name, what);
			return cxi_error_set(err, CX_ERR_DNS,
					     "DNS lookup of %s failed: the "
					     "server answered %s", name, what);
		}
		cxi_log(log, CX_LOG_INFO, CX_LOG_CAT_NET,
			"DNS query %s: timed out", name);
		return cxi_error_set(err, CX_ERR_DNS,
				     "DNS lookup of %s failed: timed out "
				     "(no answer in %d s)", name,
				     rs->retrans * ((1 << rs->retry) - 1));
	default:
		cxi_log(log, CX_LOG_INFO, CX_LOG_CAT_NET,
			"DNS query %s: refused or failed", name);
		return cxi_error_set(err, CX_ERR_DNS,
				     "DNS lookup of %s failed: the server "
				     "refused or could not answer", name);
	}
}

static cx_status
fallback(cxi_srv_target **out, size_t *n, const char *host, cx_error *err)
{
	cxi_srv_target *t = calloc(1, sizeof(*t));
	size_t len = strlen(host);

	if (t == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
		host++;
		len -= 2;
	}
	if (len >= sizeof(t->host)) {
		free(t);
		return cxi_error_set(err, CX_ERR_DNS, "host name too long");
	}
	memcpy(t->host, host, len);
	t->host[len] = '\0';
	t->port = CXI_XMPP_CLIENT_PORT;
	*out = t;
	*n = 1;
	return CX_OK;
}

/* Looks up one SRV service; *dot = the answer was the single "." record. */
static cx_status
lookup_service(struct __res_state *rs, const char *service,
	       const char *domain, bool direct_tls, uint8_t *buf,
	       cxi_srv_target **out, size_t *n, bool *dot,
	       const cxi_dns_options *opt, cx_error *err)
{
	char qname[NAME_TEXT_MAX + 32];
	size_t alen, i;
	cx_status st;

	*out = NULL;
	*n = 0;
	*dot = false;
	snprintf(qname, sizeof(qname), "%s._tcp.%s", service, domain);
	st = query(rs, qname, QT_SRV, buf, &alen, opt, err);
	if (st != CX_OK || alen == 0)
		return st;
	st = cxi_dns_parse_srv(out, n, buf, alen, qname, err);
	if (st != CX_OK) {
		cxi_log(opt ? opt->log : NULL, CX_LOG_INFO, CX_LOG_CAT_NET,
			"DNS SRV %s: %s", qname, err ? err->message : "bad");
		return st;
	}
	if (*n == 1 && strcmp((*out)[0].host, ".") == 0) {
		*dot = true;
		free(*out);
		*out = NULL;
		*n = 0;
		return CX_OK;
	}
	/* A "." among other records means nothing: drop it. */
	for (i = 0; i < *n;) {
		if (strcmp((*out)[i].host, ".") == 0) {
			memmove(&(*out)[i], &(*out)[i + 1],
				(*n - i - 1) * sizeof(**out));
			(*n)--;
			continue;
		}
		(*out)[i].direct_tls = direct_tls;
		i++;
	}
	return CX_OK;
}

cx_status
cxi_dns_lookup_xmpp(cxi_srv_target **out, size_t *n, const char *domain,
		    const cxi_dns_options *opt, cx_error *err)
{
	const cxi_logger *log = opt ? opt->log : NULL;
	struct __res_state rs;
	struct sockaddr_storage ss;
	cxi_srv_target *tls = NULL, *plain = NULL, *all;
	size_t ntls = 0, nplain = 0;
	bool dot_tls = false, dot_plain = false, rs_open = false;
	uint8_t *buf = NULL;
	char *ascii = NULL;
	cx_status st;

	if (out == NULL || n == NULL || domain == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_dns_lookup_xmpp: NULL argument");
	*out = NULL;
	*n = 0;
	if (ip_literal(domain, 0, &ss) || is_localhost(domain)) {
		cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET,
			"%s: not looked up in DNS (RFC 6761), port %d",
			domain, CXI_XMPP_CLIENT_PORT);
		return fallback(out, n, domain, err);
	}
	st = cxi_jid_domain_to_ascii(&ascii, domain, err);
	if (st != CX_OK)
		return st;
	if (is_localhost(ascii)) {
		st = fallback(out, n, ascii, err);
		goto out;
	}
	buf = malloc(ANSWER_BUF);
	if (buf == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = res_open(&rs, opt, err);
	if (st != CX_OK)
		goto out;
	rs_open = true;

	st = lookup_service(&rs, "_xmpps-client", ascii, true, buf, &tls,
			    &ntls, &dot_tls, opt, err);
	if (st != CX_OK)
		goto out;
	st = lookup_service(&rs, "_xmpp-client", ascii, false, buf, &plain,
			    &nplain, &dot_plain, opt, err);
	if (st != CX_OK)
		goto out;

	if (ntls + nplain == 0) {
		if (dot_tls || dot_plain) {
			cxi_log(log, CX_LOG_INFO, CX_LOG_CAT_NET,
				"%s: SRV target \".\": no XMPP service", ascii);
			st = cxi_error_set(err, CX_ERR_DNS,
					   "no XMPP service at %s (SRV target "
					   "\".\": service decidedly not "
					   "available)", ascii);
			goto out;
		}
		cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET,
			"%s: no SRV records, using %s:%d", ascii, ascii,
			CXI_XMPP_CLIENT_PORT);
		st = fallback(out, n, ascii, err);
		goto out;
	}
	all = malloc((ntls + nplain) * sizeof(*all));
	if (all == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (ntls)
		memcpy(all, tls, ntls * sizeof(*all));
	if (nplain)
		memcpy(all + ntls, plain, nplain * sizeof(*all));
	cxi_dns_order_srv(all, ntls + nplain, NULL, NULL);
	cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET,
		"%s: %zu SRV targets (%zu direct TLS), first %s:%u", ascii,
		ntls + nplain, ntls, all[0].host, all[0].port);
	*out = all;
	*n = ntls + nplain;
	st = CX_OK;
out:
	if (rs_open)
		res_nclose(&rs);
	free(tls);
	free(plain);
	free(buf);
	free(ascii);
	return st;
}

static cx_status
push_addr(struct sockaddr_storage **v, size_t *n,
	  const struct sockaddr_storage *ss, cx_error *err)
{
	struct sockaddr_storage *nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (nv == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	nv[*n] = *ss;
	*v = nv;
	(*n)++;
	return CX_OK;
}

static cx_status
resolve_getaddrinfo(struct sockaddr_storage **out, size_t *n,
		    const char *host, uint16_t port, cx_error *err)
{
	struct addrinfo hints, *res = NULL, *ai;
	cx_status st = CX_OK;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_ADDRCONFIG;
	rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return cxi_error_set(err, CX_ERR_DNS, "cannot resolve %s: %s",
				     host, gai_strerror(rc));
	for (ai = res; ai != NULL && st == CX_OK; ai = ai->ai_next) {
		struct sockaddr_storage ss;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (ss.ss_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		st = push_addr(out, n, &ss, err);
	}
	freeaddrinfo(res);
	return st;
}

cx_status
cxi_dns_resolve_addrs(struct sockaddr_storage **out, size_t *n,
		      const char *host, uint16_t port,
		      const cxi_dns_options *opt, cx_error *err)
{
	const cxi_logger *log = opt ? opt->log : NULL;
	struct sockaddr_storage ss;
	struct sockaddr_storage *v = NULL;
	size_t nv = 0, alen;
	struct __res_state rs;
	bool rs_open = false;
	uint8_t *buf = NULL;
	char *ascii = NULL;
	cx_status st;

	if (out == NULL || n == NULL || host == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_dns_resolve_addrs: NULL argument");
	*out = NULL;
	*n = 0;
	if (ip_literal(host, port, &ss)) {
		st = push_addr(&v, &nv, &ss, err);
		goto out;
	}
	if (is_localhost(host)) {
		ip_literal("127.0.0.1", port, &ss);
		st = push_addr(&v, &nv, &ss, err);
		if (st == CX_OK) {
			ip_literal("::1", port, &ss);
			st = push_addr(&v, &nv, &ss, err);
		}
		goto out;
	}
	st = cxi_jid_domain_to_ascii(&ascii, host, err);
	if (st != CX_OK) {
		st = cxi_error_set(err, CX_ERR_DNS, "invalid host name %.200s",
				   host);
		goto out;
	}
	if (opt == NULL || opt->nameserver == NULL) {
		st = resolve_getaddrinfo(&v, &nv, ascii, port, err);
		goto out;
	}
	buf = malloc(ANSWER_BUF);
	if (buf == NULL) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	st = res_open(&rs, opt, err);
	if (st != CX_OK)
		goto out;
	rs_open = true;
	st = query(&rs, ascii, QT_AAAA, buf, &alen, opt, err);
	if (st == CX_OK && alen > 0)
		st = cxi_dns_parse_addrs(&v, &nv, buf, alen, ascii, QT_AAAA,
					 port, err);
	if (st != CX_OK)
		goto out;
	st = query(&rs, ascii, QT_A, buf, &alen, opt, err);
	if (st == CX_OK && alen > 0)
		st = cxi_dns_parse_addrs(&v, &nv, buf, alen, ascii, QT_A,
					 port, err);
	if (st != CX_OK)
		goto out;
	if (nv == 0)
		st = cxi_error_set(err, CX_ERR_DNS, "%s has no address", ascii);
out:
	if (rs_open)
		res_nclose(&rs);
	free(buf);
	free(ascii);
	if (st != CX_OK) {
		free(v);
		return st;
	}
	cxi_log(log, CX_LOG_DEBUG, CX_LOG_CAT_NET, "%s: %zu address(es)", host,
		nv);
	*out = v;
	*n = nv;
	return CX_OK;
}

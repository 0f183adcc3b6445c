/*
 * DNS for the client: SRV lookup of an XMPP domain (RFC 6120 section 3.2,
 * XEP-0368) and the addresses of a host.
 *
 * Storey 1, but not sans-I/O: the lookups block in the resolver. A query
 * waits timeout_ms for its first attempt and glibc doubles the wait for
 * each further one (whole seconds: timeout_ms is rounded up), so a query
 * takes at most timeout * (2^attempts - 1). No threads. Each call uses its own
 * resolver state (res_ninit), so calls from many threads are safe.
 *
 * The wire parser (cxi_dns_parse_srv, cxi_dns_parse_addrs) is pure and
 * strict: every read is bounds-checked, compression pointers must point
 * backwards (so they cannot loop), and anything that does not add up is
 * CX_ERR_DNS_MALFORMED.
 */
#ifndef CXI_NET_DNS_H
#define CXI_NET_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "cxmpp/common.h"
#include "lib/core/log.h"

#define CXI_XMPP_CLIENT_PORT 5222

typedef struct cxi_dns_options {
	/* "127.0.0.1:5353", "[::1]:53", "127.0.0.1" (port 53), or NULL to use
	 * the servers of /etc/resolv.conf. When set, it is the only server
	 * asked, for SRV and for addresses (no getaddrinfo). */
	const char *nameserver;
	int timeout_ms;  /* first attempt, up to 30000; <= 0: 5000 */
	int attempts;    /* per query, 1..5; <= 0: 2 */
	const cxi_logger *log; /* NULL: the process default */
} cxi_dns_options;

typedef struct cxi_srv_target {
	char host[256];    /* A-label host name without trailing dot; "." for
			      the root ("no service"); an IP literal in the
			      fallback */
	uint16_t port;
	uint16_t priority;
	uint16_t weight;
	bool direct_tls;   /* from _xmpps-client._tcp (XEP-0368) */
} cxi_srv_target;

/*
 * Parses a DNS response in wire format and returns the SRV records that
 * answer `qname` (case-insensitive, trailing dot optional; CNAMEs in the
 * answer section are followed, at most 8). *out is malloc'd (free with
 * cx_free; NULL when *n == 0); direct_tls is false in every entry.
 *
 * The response must carry exactly one question, for `qname`, type SRV,
 * class IN, else CX_ERR_DNS_MALFORMED. RCODE NXDOMAIN gives 0 records;
 * another non-zero RCODE is CX_ERR_DNS. Records of other types are skipped.
 */
cx_status cxi_dns_parse_srv(cxi_srv_target **out, size_t *n,
			    const uint8_t *msg, size_t len, const char *qname,
			    cx_error *err);

/*
 * As cxi_dns_parse_srv for A (qtype 1) or AAAA (qtype 28) answers: appends
 * the addresses, with `port` set, to out[0..*n) (a malloc'd array that
 * grows; *out may be NULL with *n == 0 at the start).
 */
cx_status cxi_dns_parse_addrs(struct sockaddr_storage **out, size_t *n,
			      const uint8_t *msg, size_t len,
			      const char *qname, int qtype, uint16_t port,
			      cx_error *err);

/*
 * Orders targets for connection attempts (RFC 2782): by ascending priority;
 * at equal priority the direct-TLS targets before the STARTTLS ones
 * (XEP-0368); within each such group a weighted random order, where
 * rng(rng_arg) gives the random numbers (NULL: getrandom()). Zero-weight
 * targets are chosen only when their turn comes by the same draw, as the
 * RFC's algorithm does.
 */
void cxi_dns_order_srv(cxi_srv_target *t, size_t n, uint32_t (*rng)(void *),
		       void *rng_arg);

/*
 * Finds where to connect for an XMPP domain (U-labels or A-labels): the SRV
 * records of _xmpps-client._tcp (direct_tls = true) and _xmpp-client._tcp,
 * ordered by cxi_dns_order_srv. A service whose only record has the target
 * "." is not offered; if neither service is offered that way, CX_ERR_DNS
 * (message: "no XMPP service"). With no SRV records at all: one fallback
 * target, the domain itself on port 5222 (STARTTLS).
 *
 * "localhost", "*.localhost" and IP literals are never sent to DNS
 * (RFC 6761): they give the fallback at once (an IPv6 literal without its
 * brackets). *out is malloc'd (free with cx_free).
 *
 * CX_ERR_DNS: the lookup failed (timeout, SERVFAIL, refused) or no service;
 * CX_ERR_DNS_MALFORMED: an answer did not parse; CX_ERR_JID: `domain` is
 * not a valid domain name; CX_ERR_INVALID: bad nameserver string.
 * Blocks for up to two queries (a timeout on the first ends the lookup).
 */
cx_status cxi_dns_lookup_xmpp(cxi_srv_target **out, size_t *n,
			      const char *domain, const cxi_dns_options *opt,
			      cx_error *err);

/*
 * The addresses of `host` for connect(), with `port` set, in a malloc'd
 * array (free with cx_free):
 * - an IP literal ("192.0.2.1", "::1", "[::1]"): itself;
 * - "localhost" and "*.localhost": 127.0.0.1 and ::1, without DNS;
 * - with opt->nameserver set: the AAAA then the A records from that server;
 * - otherwise getaddrinfo() with AI_ADDRCONFIG.
 * CX_ERR_DNS when the name has no address or the lookup failed.
 */
cx_status cxi_dns_resolve_addrs(struct sockaddr_storage **out, size_t *n,
				const char *host, uint16_t port,
				const cxi_dns_options *opt, cx_error *err);

#endif

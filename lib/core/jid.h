/* Internal JID helpers shared with the network code. */
#ifndef CXI_CORE_JID_H
#define CXI_CORE_JID_H

#include "cxmpp/common.h"
#include "cxmpp/jid.h"

/* Longest part of a JID after preparation, in bytes (RFC 7622 section 3.1). */
#define CXI_JID_PART_MAX 1023

/*
 * The ASCII form of a domainpart, for DNS and TLS: a DNS name is validated
 * and normalized as in a JID and returned with A-labels, lower-case, without
 * a trailing dot; an IP literal is returned as its address text (an IPv6
 * literal without brackets). *out is malloc'd (free with cx_free); NULL on
 * failure. CX_ERR_JID if `domain` is not a valid domainpart.
 */
cx_status cxi_jid_domain_to_ascii(char **out, const char *domain,
				  cx_error *err);

#endif

/*
 * JIDs (RFC 7622).
 *
 * Design notes:
 * - A cx_jid is one allocation: a small header of pointers and, after it,
 *   the full string, the bare string and the three parts, each
 *   NUL-terminated. It never changes after creation, so it needs no lock
 *   and a copy is a memcpy plus rebasing the pointers.
 * - Parts are normalized once, at creation, so equality is strcmp of the
 *   normalized strings.
 * - Localpart and resourcepart use libidn's stringprep XMPP profiles with
 *   the flags of the stringprep_xmpp_* macros (0): unassigned code points
 *   are let through (query semantics), or a resource with a newer emoji
 *   would be refused. The output buffer is max(input, 1023) + 1 bytes:
 *   libidn reports STRINGPREP_TOO_SMALL_BUFFER only when the prepared
 *   string does not fit, which then means "longer than 1023 bytes", so
 *   the size check needs no second pass and memory stays bounded.
 * - Domain names go through IDNA ToASCII (libidn, IDNA2003, STD3 rules)
 *   after ASCII lower-casing (ToASCII leaves all-ASCII labels alone), then
 *   back through ToUnicode: the stored form uses U-labels, as RFC 7622
 *   section 3.2.2 asks, and "xn--" labels are accepted only when they
 *   round-trip, since ToUnicode silently returns a bogus A-label unchanged.
 * - Splitting happens on the raw bytes before any preparation (RFC 7622
 *   section 3.1: a mapping could otherwise produce a separator). '@' and
 *   '/' are ASCII, so splitting invalid UTF-8 cannot go wrong; the parts'
 *   preparation then rejects it.
 */
#include "config.h"

#include "lib/core/jid.h"

#include <arpa/inet.h>
#include <idna.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>

#include "lib/core/error.h"

#define LABEL_MAX 63

struct cx_jid {
	const char *local;    /* NULL if none */
	const char *domain;
	const char *resource; /* NULL if none */
	const char *full;
	const char *bare;
	size_t size;          /* bytes used in buf */
	char buf[];
};

static cx_status
jid_error(cx_error *err, const char *part, const char *why)
{
	return cxi_error_set(err, CX_ERR_JID, "JID %s: %s", part, why);
}

static const char *
stringprep_reason(int rc)
{
	switch (rc) {
	case STRINGPREP_CONTAINS_PROHIBITED:
		return "contains a prohibited character";
	case STRINGPREP_CONTAINS_UNASSIGNED:
		return "contains an unassigned code point";
	case STRINGPREP_BIDI_BOTH_L_AND_RAL:
	case STRINGPREP_BIDI_LEADTRAIL_NOT_RAL:
	case STRINGPREP_BIDI_CONTAINS_PROHIBITED:
		return "breaks the bidirectional text rules";
	case STRINGPREP_ICONV_ERROR:
		return "is not valid UTF-8";
	case STRINGPREP_TOO_SMALL_BUFFER:
		return "is longer than 1023 bytes after preparation";
	default:
		return stringprep_strerror((Stringprep_rc)rc);
	}
}

/* Prepares a localpart (node == true) or a resourcepart of len bytes. */
static cx_status
prep_part(char **out, const char *in, size_t len, bool node, cx_error *err)
{
	const char *part = node ? "localpart" : "resourcepart";
	size_t cap;
	char *buf;
	int rc;

	*out = NULL;
	if (len == 0)
		return jid_error(err, part, node ? "is empty (nothing before '@')"
					    : "is empty (nothing after '/')");
	cap = (len > CXI_JID_PART_MAX ? len : CXI_JID_PART_MAX) + 1;
	buf = malloc(cap);
	if (buf == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "JID %s: out of memory",
				     part);
	memcpy(buf, in, len);
	buf[len] = '\0';
	if (node)
		rc = stringprep_xmpp_nodeprep(buf, cap);
	else
		rc = stringprep_xmpp_resourceprep(buf, cap);
	if (rc == STRINGPREP_MALLOC_ERROR) {
		free(buf);
		return cxi_error_set(err, CX_ERR_NOMEM, "JID %s: out of memory",
				     part);
	}
	if (rc != STRINGPREP_OK) {
		free(buf);
		return jid_error(err, part, stringprep_reason(rc));
	}
	len = strlen(buf);
	if (len == 0) {
		free(buf);
		return jid_error(err, part, "is empty after preparation");
	}
	if (len > CXI_JID_PART_MAX) {
		free(buf);
		return jid_error(err, part,
				 "is longer than 1023 bytes after preparation");
	}
	*out = buf;
	return CX_OK;
}

static const char *
idna_reason(int rc)
{
	switch (rc) {
	case IDNA_CONTAINS_NON_LDH:
		return "contains a character not allowed in a host name "
		       "(letters, digits and '-' only)";
	case IDNA_CONTAINS_MINUS:
		return "has a label that starts or ends with '-'";
	case IDNA_INVALID_LENGTH:
		return "has an empty label or one longer than 63 bytes";
	case IDNA_STRINGPREP_ERROR:
		return "contains a character that Nameprep prohibits "
		       "or an unassigned code point";
	case IDNA_ICONV_ERROR:
		return "is not valid UTF-8";
	case IDNA_CONTAINS_ACE_PREFIX:
	case IDNA_ROUNDTRIP_VERIFY_ERROR:
	case IDNA_PUNYCODE_ERROR:
		return "has an invalid internationalized label";
	default:
		return idna_strerror((Idna_rc)rc);
	}
}

/* Checks the labels of a lower-case ASCII name without a trailing dot. */
static cx_status
check_labels(const char *name, cx_error *err)
{
	const char *p = name, *dot;
	size_t n;

	for (;;) {
		dot = strchr(p, '.');
		n = dot ? (size_t)(dot - p) : strlen(p);
		if (n == 0)
			return jid_error(err, "domainpart", "has an empty label");
		if (n > LABEL_MAX)
			return jid_error(err, "domainpart",
					 "has a label longer than 63 bytes");
		if (n > 4 && memcmp(p, "xn--", 4) == 0) {
			/* An A-label must survive ToUnicode and ToASCII. */
			char label[LABEL_MAX + 1], *u = NULL, *a = NULL;
			bool ok;

			memcpy(label, p, n);
			label[n] = '\0';
			ok = idna_to_unicode_8z8z(label, &u,
					IDNA_USE_STD3_ASCII_RULES) == IDNA_SUCCESS &&
			     idna_to_ascii_8z(u, &a,
					IDNA_USE_STD3_ASCII_RULES) == IDNA_SUCCESS &&
			     strcmp(a, label) == 0 && strcmp(u, label) != 0;
			free(u);
			free(a);
			if (!ok)
				return jid_error(err, "domainpart",
						 "has an invalid A-label (xn--)");
		}
		if (dot == NULL)
			return CX_OK;
		p = dot + 1;
	}
}

/* An IP literal: "[v6]" or a dotted quad. 1 if it was one (result in *out,
 * or an error status in *st), 0 if it is not an IP literal. */
static int
prep_ip_literal(char **out, const char *in, size_t len, bool bracketed_out,
		cx_status *st, cx_error *err)
{
	char tmp[INET6_ADDRSTRLEN + 2];
	unsigned char addr[sizeof(struct in6_addr)];
	char text[INET6_ADDRSTRLEN];

	*st = CX_OK;
	if (len > 0 && in[0] == '[') {
		if (len < 3 || in[len - 1] != ']' ||
		    len - 2 >= sizeof(tmp)) {
			*st = jid_error(err, "domainpart",
					"is not a valid IPv6 literal");
			return 1;
		}
		memcpy(tmp, in + 1, len - 2);
		tmp[len - 2] = '\0';
		if (inet_pton(AF_INET6, tmp, addr) != 1 ||
		    inet_ntop(AF_INET6, addr, text, sizeof(text)) == NULL) {
			*st = jid_error(err, "domainpart",
					"is not a valid IPv6 literal");
			return 1;
		}
		*out = malloc(strlen(text) + 3);
		if (*out == NULL) {
			*st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			return 1;
		}
		if (bracketed_out)
			sprintf(*out, "[%s]", text);
		else
			strcpy(*out, text);
		return 1;
	}
	if (len >= sizeof(tmp))
		return 0;
	memcpy(tmp, in, len);
	tmp[len] = '\0';
	if (inet_pton(AF_INET, tmp, addr) != 1 ||
	    inet_ntop(AF_INET, addr, text, sizeof(text)) == NULL)
		return 0;
	*out = strdup(text);
	if (*out == NULL)
		*st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return 1;
}

/*
 * Prepares a domainpart. *out_unicode (U-labels, for the JID) and
 * *out_ascii (A-labels, for DNS) may each be NULL if not wanted.
 */
static cx_status
prep_domain(char **out_unicode, char **out_ascii, const char *in, size_t len,
	    bool bracket_ipv6, cx_error *err)
{
	char *low = NULL, *ascii = NULL, *uni = NULL, *ip = NULL;
	cx_status st;
	size_t i, n;
	int rc;

	if (out_unicode)
		*out_unicode = NULL;
	if (out_ascii)
		*out_ascii = NULL;
	if (len == 0)
		return jid_error(err, "domainpart", "is empty");
	if (prep_ip_literal(&ip, in, len, bracket_ipv6, &st, err)) {
		if (st != CX_OK)
			return st;
		if (out_unicode && out_ascii) {
			*out_ascii = strdup(ip);
			if (*out_ascii == NULL) {
				free(ip);
				return cxi_error_set(err, CX_ERR_NOMEM,
						     "out of memory");
			}
		}
		if (out_unicode)
			*out_unicode = ip;
		else if (out_ascii)
			*out_ascii = ip;
		else
			free(ip);
		return CX_OK;
	}

	low = malloc(len + 1);
	if (low == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	for (i = 0; i < len; i++)
		low[i] = (in[i] >= 'A' && in[i] <= 'Z') ? (char)(in[i] + 32)
							: in[i];
	low[len] = '\0';

	/* ToASCII's own message for an empty label is "output too large or
	 * too small": catch the plain ASCII cases first for a clear one. */
	if (low[0] == '.' || strstr(low, "..") != NULL) {
		st = jid_error(err, "domainpart", strcmp(low, ".") == 0 ?
			       "is empty" : "has an empty label");
		goto out;
	}

	rc = idna_to_ascii_8z(low, &ascii, IDNA_USE_STD3_ASCII_RULES);
	if (rc == IDNA_MALLOC_ERROR) {
		st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
		goto out;
	}
	if (rc != IDNA_SUCCESS) {
		st = jid_error(err, "domainpart", idna_reason(rc));
		goto out;
	}
	n = strlen(ascii);
	if (n > 0 && ascii[n - 1] == '.')
		ascii[--n] = '\0'; /* RFC 7622 section 3.2: strip a final dot */
	if (n == 0) {
		st = jid_error(err, "domainpart", "is empty");
		goto out;
	}
	for (i = 0; i < n; i++) /* ToASCII of a U-label gives lower case */
		if (ascii[i] >= 'A' && ascii[i] <= 'Z')
			ascii[i] = (char)(ascii[i] + 32);
	st = check_labels(ascii, err);
	if (st != CX_OK)
		goto out;

	if (out_unicode) {
		rc = idna_to_unicode_8z8z(ascii, &uni,
					  IDNA_USE_STD3_ASCII_RULES);
		if (rc == IDNA_MALLOC_ERROR) {
			st = cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
			goto out;
		}
		if (rc != IDNA_SUCCESS) {
			st = jid_error(err, "domainpart", idna_reason(rc));
			goto out;
		}
		if (strlen(uni) > CXI_JID_PART_MAX) {
			st = jid_error(err, "domainpart",
				       "is longer than 1023 bytes after preparation");
			goto out;
		}
		*out_unicode = uni;
		uni = NULL;
	}
	if (out_ascii) {
		*out_ascii = ascii;
		ascii = NULL;
	}
	st = CX_OK;
out:
	free(low);
	free(ascii);
	free(uni);
	return st;
}

cx_status
cxi_jid_domain_to_ascii(char **out, const char *domain, cx_error *err)
{
	if (out == NULL || domain == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cxi_jid_domain_to_ascii: NULL argument");
	return prep_domain(NULL, out, domain, strlen(domain), false, err);
}

/* Assembles a JID from prepared parts (local and resource may be NULL). */
static cx_status
jid_assemble(cx_jid **out, const char *local, const char *domain,
	     const char *resource, cx_error *err)
{
	size_t ll = local ? strlen(local) : 0;
	size_t dl = strlen(domain);
	size_t rl = resource ? strlen(resource) : 0;
	size_t bare_len = (local ? ll + 1 : 0) + dl;
	size_t full_len = bare_len + (resource ? rl + 1 : 0);
	size_t size = (full_len + 1) + (bare_len + 1) + (ll + 1) + (dl + 1) +
		      (rl + 1);
	cx_jid *j;
	char *p;

	j = malloc(sizeof(*j) + size);
	if (j == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	j->size = size;
	p = j->buf;

	j->full = p;
	if (local) {
		memcpy(p, local, ll);
		p += ll;
		*p++ = '@';
	}
	memcpy(p, domain, dl);
	p += dl;
	if (resource) {
		*p++ = '/';
		memcpy(p, resource, rl);
		p += rl;
	}
	*p++ = '\0';

	j->bare = p;
	memcpy(p, j->full, bare_len);
	p += bare_len;
	*p++ = '\0';

	j->local = NULL;
	if (local) {
		j->local = p;
		memcpy(p, local, ll + 1);
	}
	p += ll + 1;
	j->domain = p;
	memcpy(p, domain, dl + 1);
	p += dl + 1;
	j->resource = NULL;
	if (resource) {
		j->resource = p;
		memcpy(p, resource, rl + 1);
	}
	*out = j;
	return CX_OK;
}

/* Prepares raw parts of the given lengths (lptr/rptr NULL if absent). */
static cx_status
jid_from_raw(cx_jid **out, const char *lptr, size_t llen, const char *dptr,
	     size_t dlen, const char *rptr, size_t rlen, cx_error *err)
{
	char *local = NULL, *domain = NULL, *resource = NULL;
	cx_status st;

	if (lptr != NULL) {
		st = prep_part(&local, lptr, llen, true, err);
		if (st != CX_OK)
			goto out;
	}
	st = prep_domain(&domain, NULL, dptr, dlen, true, err);
	if (st != CX_OK)
		goto out;
	if (rptr != NULL) {
		st = prep_part(&resource, rptr, rlen, false, err);
		if (st != CX_OK)
			goto out;
	}
	st = jid_assemble(out, local, domain, resource, err);
out:
	free(local);
	free(domain);
	free(resource);
	return st;
}

cx_status
cx_jid_parse(cx_jid **out, const char *str, cx_error *err)
{
	const char *slash, *at, *dstart, *rptr = NULL, *lptr = NULL;
	size_t headlen, rlen = 0, llen = 0;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || str == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_jid_parse: NULL argument");
	slash = strchr(str, '/');
	if (slash != NULL) {
		rptr = slash + 1;
		rlen = strlen(rptr);
		headlen = (size_t)(slash - str);
	} else {
		headlen = strlen(str);
	}
	at = memchr(str, '@', headlen);
	dstart = str;
	if (at != NULL) {
		lptr = str;
		llen = (size_t)(at - str);
		dstart = at + 1;
	}
	return jid_from_raw(out, lptr, llen, dstart,
			    headlen - (size_t)(dstart - str), rptr, rlen, err);
}

cx_status
cx_jid_new(cx_jid **out, const char *local, const char *domain,
	   const char *resource, cx_error *err)
{
	if (out != NULL)
		*out = NULL;
	if (out == NULL || domain == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_jid_new: NULL argument");
	return jid_from_raw(out, local, local ? strlen(local) : 0, domain,
			    strlen(domain), resource,
			    resource ? strlen(resource) : 0, err);
}

cx_status
cx_jid_copy(cx_jid **out, const cx_jid *jid, cx_error *err)
{
	cx_jid *j;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_jid_copy: NULL argument");
	j = malloc(sizeof(*j) + jid->size);
	if (j == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	memcpy(j, jid, sizeof(*j) + jid->size);
#define REBASE(f) (j->f = jid->f ? j->buf + (jid->f - jid->buf) : NULL)
	REBASE(local);
	REBASE(domain);
	REBASE(resource);
	REBASE(full);
	REBASE(bare);
#undef REBASE
	*out = j;
	return CX_OK;
}

cx_status
cx_jid_bare(cx_jid **out, const cx_jid *jid, cx_error *err)
{
	if (out != NULL)
		*out = NULL;
	if (out == NULL || jid == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_jid_bare: NULL argument");
	return jid_assemble(out, jid->local, jid->domain, NULL, err);
}

void
cx_jid_free(cx_jid *jid)
{
	free(jid);
}

const char *
cx_jid_local(const cx_jid *jid)
{
	return jid ? jid->local : NULL;
}

const char *
cx_jid_domain(const cx_jid *jid)
{
	return jid ? jid->domain : NULL;
}

const char *
cx_jid_resource(const cx_jid *jid)
{
	return jid ? jid->resource : NULL;
}

const char *
cx_jid_string(const cx_jid *jid)
{
	return jid ? jid->full : NULL;
}

const char *
cx_jid_bare_string(const cx_jid *jid)
{
	return jid ? jid->bare : NULL;
}

int
cx_jid_is_bare(const cx_jid *jid)
{
	return jid != NULL && jid->resource == NULL;
}

int
cx_jid_equal(const cx_jid *a, const cx_jid *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a->full, b->full) == 0;
}

int
cx_jid_equal_bare(const cx_jid *a, const cx_jid *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a->bare, b->bare) == 0;
}

cx_status
cx_jid_normalize(char **out, const char *str, cx_error *err)
{
	cx_jid *j;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || str == NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "cx_jid_normalize: NULL argument");
	st = cx_jid_parse(&j, str, err);
	if (st != CX_OK)
		return st;
	*out = strdup(j->full);
	cx_jid_free(j);
	if (*out == NULL)
		return cxi_error_set(err, CX_ERR_NOMEM, "out of memory");
	return CX_OK;
}

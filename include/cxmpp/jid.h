/*
 * cxmpp/jid.h - XMPP addresses (JIDs, RFC 7622).
 *
 * A JID is localpart@domainpart/resourcepart, where only the domainpart is
 * required. A cx_jid holds the three parts in their normalized (prepared)
 * form, so that comparing two JIDs is comparing their strings:
 *
 * - localpart: prepared with the Nodeprep profile of stringprep (RFC 6122,
 *   libidn): case-folded, NFKC, with the characters " & ' / : < > @ and
 *   spaces prohibited.
 * - resourcepart: prepared with the Resourceprep profile (NFKC, no case
 *   folding; spaces, '/' and '@' allowed).
 * - domainpart: an IPv4 literal ("192.0.2.1"), a bracketed IPv6 literal
 *   ("[2001:db8::1]", written in the canonical form of RFC 5952), or a DNS
 *   name. A DNS name is lower-cased, run through IDNA ToASCII label by label
 *   (Nameprep, STD3 rules: letters, digits and hyphens only, no leading or
 *   trailing hyphen), and one trailing dot is removed. Its normalized form
 *   uses **U-labels** ("bücher.example", not "xn--bcher-kva.example"), as
 *   RFC 7622 section 3.2.2 asks; an A-label in the input is checked and
 *   turned into its U-label, so both spellings give the same JID. Code that
 *   needs the ASCII form (DNS, TLS SNI) converts at that point.
 *
 * Each part is at most 1023 bytes after preparation, and no label of a DNS
 * name is longer than 63 bytes (in its ASCII form). An empty localpart
 * before '@', an empty resourcepart after '/', or an empty domainpart are
 * errors. Every failure returns CX_ERR_JID with a message that names the
 * part and the reason.
 *
 * Ownership: cx_jid objects come from cx_jid_parse(), cx_jid_new(),
 * cx_jid_copy() or cx_jid_bare(); the caller owns them and frees them with
 * cx_jid_free(). Strings returned by the accessors are borrowed from the
 * JID and stay valid until it is freed.
 *
 * Threading: a cx_jid never changes after it has been created, so any
 * number of threads may read and compare the same JID at once. Every
 * function here may be called from any thread; none keeps global state
 * (libidn's stringprep and IDNA functions are reentrant).
 */
#ifndef CXMPP_JID_H
#define CXMPP_JID_H

#include "cxmpp/common.h"

CX_BEGIN_DECLS

/** An XMPP address. Opaque; immutable after creation. */
typedef struct cx_jid cx_jid;

/**
 * Parses and normalizes a JID string.
 *
 * The resourcepart is everything after the first '/'; the localpart is what
 * comes before the first '@' that precedes that '/' (RFC 7622 section 3.2);
 * the rest is the domainpart. So "a@b/c@d/e" has the resource "c@d/e".
 *
 * @param out  receives the new JID, owned by the caller (cx_jid_free());
 *             set to NULL on failure.
 * @param str  the JID as UTF-8, NUL-terminated; borrowed for the call.
 * @param err  details of a failure, or NULL.
 * @return CX_OK; CX_ERR_JID if the string is not a valid JID;
 *         CX_ERR_INVALID if out or str is NULL; CX_ERR_NOMEM.
 * @thread any
 */
CX_API cx_status cx_jid_parse(cx_jid **out, const char *str, cx_error *err);

/**
 * Builds a JID from its parts, preparing each one as cx_jid_parse() does.
 *
 * Unlike in a string, the resource given here may contain any character the
 * Resourceprep profile allows ('/' and '@' included); the localpart may not
 * contain '@' (Nodeprep prohibits it).
 *
 * @param out       receives the new JID, owned by the caller; NULL on failure.
 * @param local     localpart, or NULL for none ("" is an error); borrowed.
 * @param domain    domainpart (required); borrowed.
 * @param resource  resourcepart, or NULL for none ("" is an error); borrowed.
 * @param err       details of a failure, or NULL.
 * @return CX_OK; CX_ERR_JID for an invalid part; CX_ERR_INVALID if out or
 *         domain is NULL; CX_ERR_NOMEM.
 * @thread any
 */
CX_API cx_status cx_jid_new(cx_jid **out, const char *local,
			    const char *domain, const char *resource,
			    cx_error *err);

/**
 * Makes an independent copy of a JID.
 *
 * @param out  receives the copy, owned by the caller; NULL on failure.
 * @param jid  the JID to copy; borrowed.
 * @param err  details of a failure, or NULL.
 * @return CX_OK; CX_ERR_INVALID if out or jid is NULL; CX_ERR_NOMEM.
 * @thread any
 */
CX_API cx_status cx_jid_copy(cx_jid **out, const cx_jid *jid, cx_error *err);

/**
 * Makes the bare JID (localpart@domainpart, no resource) of a JID.
 * The result is a new object even if jid is already bare.
 *
 * @param out  receives the bare JID, owned by the caller; NULL on failure.
 * @param jid  the JID; borrowed.
 * @param err  details of a failure, or NULL.
 * @return CX_OK; CX_ERR_INVALID if out or jid is NULL; CX_ERR_NOMEM.
 * @thread any
 */
CX_API cx_status cx_jid_bare(cx_jid **out, const cx_jid *jid, cx_error *err);

/**
 * Frees a JID. NULL is allowed and does nothing.
 * @param jid  the JID; the caller's ownership ends here.
 * @thread any, as long as no other thread still uses this JID
 */
CX_API void cx_jid_free(cx_jid *jid);

/**
 * The normalized localpart.
 * @param jid  the JID; borrowed.
 * @return the localpart, or NULL if the JID has none (or jid is NULL);
 *         borrowed, valid as long as jid.
 * @thread any
 */
CX_API const char *cx_jid_local(const cx_jid *jid);

/**
 * The normalized domainpart (U-labels for a DNS name, "[...]" for IPv6).
 * @param jid  the JID; borrowed.
 * @return the domainpart, never NULL for a valid JID (NULL if jid is NULL);
 *         borrowed, valid as long as jid.
 * @thread any
 */
CX_API const char *cx_jid_domain(const cx_jid *jid);

/**
 * The normalized resourcepart.
 * @param jid  the JID; borrowed.
 * @return the resourcepart, or NULL if the JID has none (or jid is NULL);
 *         borrowed, valid as long as jid.
 * @thread any
 */
CX_API const char *cx_jid_resource(const cx_jid *jid);

/**
 * The normalized full form: [local@]domain[/resource].
 * @param jid  the JID; borrowed.
 * @return the string (NULL if jid is NULL); borrowed, valid as long as jid.
 * @thread any
 */
CX_API const char *cx_jid_string(const cx_jid *jid);

/**
 * The normalized bare form: [local@]domain.
 * @param jid  the JID; borrowed.
 * @return the string (NULL if jid is NULL); borrowed, valid as long as jid.
 * @thread any
 */
CX_API const char *cx_jid_bare_string(const cx_jid *jid);

/**
 * Whether the JID has no resourcepart.
 * @param jid  the JID; borrowed.
 * @return 1 if bare, 0 if it has a resource or jid is NULL.
 * @thread any
 */
CX_API int cx_jid_is_bare(const cx_jid *jid);

/**
 * Compares two JIDs (all three parts) after normalization.
 * @param a  a JID or NULL; borrowed.
 * @param b  a JID or NULL; borrowed.
 * @return 1 if equal, else 0. Two NULLs are equal (both "no address");
 *         NULL and a JID are not.
 * @thread any
 */
CX_API int cx_jid_equal(const cx_jid *a, const cx_jid *b);

/**
 * Compares the bare parts (localpart and domainpart) of two JIDs,
 * ignoring their resources.
 * @param a  a JID or NULL; borrowed.
 * @param b  a JID or NULL; borrowed.
 * @return 1 if equal, else 0; NULL handling as in cx_jid_equal().
 * @thread any
 */
CX_API int cx_jid_equal_bare(const cx_jid *a, const cx_jid *b);

/**
 * Normalizes a JID string without keeping a cx_jid:
 * "Juliet@Example.COM./Balcony" becomes "juliet@example.com/Balcony".
 *
 * @param out  receives the normalized string, owned by the caller, to be
 *             freed with cx_free(); NULL on failure.
 * @param str  the JID as UTF-8; borrowed.
 * @param err  details of a failure, or NULL.
 * @return as cx_jid_parse().
 * @thread any
 */
CX_API cx_status cx_jid_normalize(char **out, const char *str, cx_error *err);

CX_END_DECLS

#endif

/*
 * lib/ext/rsm.c - XEP-0059 result set management.
 *
 * Design notes: a page's <count/> and index come from the peer and are only
 * reported, never used to size anything; numbers are parsed strictly
 * (decimal digits only, below 2^53) so that "-1", "1e9" or 2^64 are a clear
 * CX_ERR_PROTOCOL instead of a wrapped value. The paging loop that uses
 * these results (lib/ext/pubsub.c) is what guarantees progress.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/rsm.h"
#include "lib/core/error.h"
#include "lib/ext/pubsub_util.h"

#define RSM_NUM_MAX ((long long)1 << 53)

static cx_status
add_num(xmlNodePtr parent, const char *name, long v, cx_error *err)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	return cxi_px_add(NULL, parent, NULL, name, buf, err);
}

cx_status
cx_rsm_add_request(xmlNodePtr *out, xmlNodePtr parent,
		   const cx_rsm_request *req, cx_error *err)
{
	xmlNodePtr set = NULL, b;
	cx_status st;

	if (out != NULL)
		*out = NULL;
	if (parent == NULL || req == NULL ||
	    req->version != CX_RSM_REQUEST_VERSION)
		return cxi_error_set(err, CX_ERR_INVALID, "rsm: bad arguments");
	if (req->after != NULL && req->before != NULL)
		return cxi_error_set(err, CX_ERR_INVALID,
				     "rsm: after and before are exclusive");
	if ((req->after && strlen(req->after) > CX_RSM_MAX_UID) ||
	    (req->before && strlen(req->before) > CX_RSM_MAX_UID))
		return cxi_error_set(err, CX_ERR_INVALID, "rsm: UID too long");
	if (req->max > INT32_MAX || req->index > INT32_MAX)
		return cxi_error_set(err, CX_ERR_INVALID, "rsm: number too large");
	if (req->after != NULL && *req->after == '\0')
		return cxi_error_set(err, CX_ERR_INVALID, "rsm: empty after");
	if ((st = cxi_px_add(&set, parent, CX_NS_RSM, "set", NULL, err)) != CX_OK)
		return st;
	if (req->max >= 0 && (st = add_num(set, "max", req->max, err)) != CX_OK)
		goto fail;
	if (req->after != NULL &&
	    (st = cxi_px_add(NULL, set, NULL, "after", req->after, err)) != CX_OK)
		goto fail;
	if (req->before != NULL &&
	    (st = cxi_px_add(&b, set, NULL, "before", req->before, err)) != CX_OK)
		goto fail;
	if (req->index >= 0 &&
	    (st = add_num(set, "index", req->index, err)) != CX_OK)
		goto fail;
	if (out != NULL)
		*out = set;
	return CX_OK;
fail:
	xmlUnlinkNode(set);
	xmlFreeNode(set);
	return st;
}

static int
parse_num(long long *out, const char *s)
{
	long long v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v >= RSM_NUM_MAX)
			return -1;
	}
	*out = v;
	return 0;
}

void
cx_rsm_result_clear(cx_rsm_result *r)
{
	if (r == NULL)
		return;
	free(r->first);
	free(r->last);
	r->present = 0;
	r->first = NULL;
	r->last = NULL;
	r->first_index = -1;
	r->count = -1;
}

cx_status
cx_rsm_parse(cx_rsm_result *out, const xmlNode *parent, cx_error *err)
{
	xmlNodePtr set, n;
	char *txt = NULL;
	const char *idx;
	cx_status st;

	if (out == NULL || parent == NULL)
		return cxi_error_set(err, CX_ERR_INVALID, "rsm: bad arguments");
	out->present = 0;
	out->first = out->last = NULL;
	out->first_index = out->count = -1;
	set = cxi_px_child(parent, CX_NS_RSM, "set");
	if (set == NULL)
		return CX_OK;
	if (cxi_px_next(set, CX_NS_RSM, "set") != NULL)
		return cxi_error_set(err, CX_ERR_PROTOCOL, "rsm: two <set/>s");
	out->present = 1;
	n = cxi_px_child(set, CX_NS_RSM, "first");
	if (n != NULL) {
		if ((st = cxi_px_text_dup(&out->first, n, CX_RSM_MAX_UID, err)) != CX_OK)
			goto fail;
		idx = cxi_px_attr(n, "index");
		if (idx != NULL && parse_num(&out->first_index, idx) != 0) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "rsm: bad <first index='...'/>");
			goto fail;
		}
	}
	n = cxi_px_child(set, CX_NS_RSM, "last");
	if (n != NULL &&
	    (st = cxi_px_text_dup(&out->last, n, CX_RSM_MAX_UID, err)) != CX_OK)
		goto fail;
	if ((out->first == NULL) != (out->last == NULL)) {
		st = cxi_error_set(err, CX_ERR_PROTOCOL,
				   "rsm: <first/> and <last/> must come together");
		goto fail;
	}
	n = cxi_px_child(set, CX_NS_RSM, "count");
	if (n != NULL) {
		if ((st = cxi_px_text_dup(&txt, n, 32, err)) != CX_OK)
			goto fail;
		if (parse_num(&out->count, txt) != 0) {
			st = cxi_error_set(err, CX_ERR_PROTOCOL,
					   "rsm: bad <count/>");
			goto fail;
		}
	}
	free(txt);
	return CX_OK;
fail:
	free(txt);
	cx_rsm_result_clear(out);
	return st;
}

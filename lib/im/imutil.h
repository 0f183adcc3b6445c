/*
 * lib/im/imutil.h - small helpers shared by the RFC 6121 features (roster,
 * presence, message). Built on the public API and storey-1 helpers only.
 */
#ifndef CXI_IM_IMUTIL_H
#define CXI_IM_IMUTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "cxmpp/client.h"
#include "cxmpp/common.h"

/* strdup that accepts NULL (returns NULL) and sets *fail on ENOMEM. */
char *cxi_im_strdup(const char *s, bool *fail);

/* Whether n is an element with this local name in namespace ns. */
bool cxi_im_is(const xmlNode *n, const char *ns, const char *name);

/* Text content of an element, malloc'd (free); NULL on ENOMEM. */
char *cxi_im_text(const xmlNode *n);

/* An attribute without namespace, malloc'd (free); NULL if absent. */
char *cxi_im_attr(const xmlNode *n, const char *name);

/* The element's own xml:lang, malloc'd; NULL if absent. */
char *cxi_im_lang(const xmlNode *n);

/*
 * The normalized bare JID of `jid` in *out (malloc'd).
 * @return CX_OK; CX_ERR_JID; CX_ERR_NOMEM
 */
cx_status cxi_im_bare(char **out, const char *jid, cx_error *err);

/* ASCII case-insensitive equality; NULLs are equal only to each other. */
bool cxi_im_lang_eq(const char *a, const char *b);

/*
 * One application callback slot, replaceable from any thread while the
 * feature's stanza handler may be calling it: the handler takes a
 * reference under the lock and calls outside it, so a replaced callback's
 * arg_free runs only after its last call returned.
 */
typedef struct cxi_im_cb {
	void *fn;
	void *arg;
	void (*arg_free)(void *);
	unsigned refs; /* protected by the owning slot's lock */
} cxi_im_cb;

typedef struct cxi_im_slot {
	pthread_mutex_t lock;
	cxi_im_cb *cur; /* protected by lock */
} cxi_im_slot;

void cxi_im_slot_init(cxi_im_slot *s);
/* Replaces the callback (fn NULL clears it). CX_ERR_NOMEM. */
cx_status cxi_im_slot_set(cxi_im_slot *s, void *fn, void *arg,
			  void (*arg_free)(void *));
/* Takes a reference on the current callback (NULL if none). */
cxi_im_cb *cxi_im_slot_get(cxi_im_slot *s);
/* Drops a reference taken by cxi_im_slot_get. */
void cxi_im_slot_put(cxi_im_slot *s, cxi_im_cb *cb);
/* Clears the slot and destroys the lock (at the client's end). */
void cxi_im_slot_destroy(cxi_im_slot *s);

/* Sends <iq type='result'/> answering `req`. */
cx_status cxi_im_reply_result(cx_client *c, const cx_stanza *req);
/* Sends an error reply with `condition` answering `req`. */
cx_status cxi_im_reply_error(cx_client *c, const cx_stanza *req,
			     const char *condition);

#endif

/*
 * cxmpp/cxmpp.h - the whole public API in one include.
 *
 * Threading: see the paragraph at the top of each header included here.
 */
#ifndef CXMPP_CXMPP_H
#define CXMPP_CXMPP_H

#include "cxmpp/common.h"
#include "cxmpp/log.h"
#include "cxmpp/jid.h"
#include "cxmpp/stanza.h"
#include "cxmpp/settings.h"
#include "cxmpp/future.h"
#include "cxmpp/runtime.h"
#include "cxmpp/client.h"
#include "cxmpp/message.h"
#include "cxmpp/roster.h"
#include "cxmpp/presence.h"
#include "cxmpp/forms.h"
#include "cxmpp/disco.h"
#include "cxmpp/caps.h"
#include "cxmpp/ping.h"
#include "cxmpp/version.h"
#include "cxmpp/carbons.h"
#include "cxmpp/rsm.h"
#include "cxmpp/pubsub.h"
#include "cxmpp/atom.h"

#endif

/*
 * Unit tests of the XEP-0060 builders and parsers (lib/ext/pubsub_xml.c,
 * lib/ext/pubsub_event.c) against the specification's examples in
 * tests/data/pubsub/, and tables of malformed replies and events.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cxmpp/cxmpp.h"
#include "cxmpp/pubsub.h"
#include "lib/ext/pubsub_xml.h"
#include "tests/unit/testutil.h"

#define SVC "pubsub.shakespeare.lit"
#define NODE "princely_musings"

static cx_stanza *
parse_str(const char *xml)
{
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_stanza_from_string(&s, xml, strlen(xml), &err) == CX_OK,
		      "parse: %s", err.message);
	return s;
}

static cx_stanza *
load(const char *name)
{
	char path[4096], rel[256];
	FILE *f;
	char *buf;
	long len;
	cx_stanza *s = NULL;
	cx_error err = CX_ERROR_INIT;

	snprintf(rel, sizeof(rel), "pubsub/%s", name);
	cxt_data_path(path, sizeof(path), rel);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)len + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(fread(buf, 1, (size_t)len, f), len);
	fclose(f);
	ck_assert_msg(cx_stanza_from_string(&s, buf, (size_t)len, &err) == CX_OK,
		      "%s: %s", name, err.message);
	free(buf);
	return s;
}

/* ---- tree comparison: same elements, namespaces, attributes, text ----- */

static int
text_blank(const xmlChar *t)
{
	for (; t && *t; t++)
		if (*t != ' ' && *t != '\n' && *t != '\t' && *t != '\r')
			return 0;
	return 1;
}

static xmlNodePtr
next_sig(xmlNodePtr n)
{
	while (n != NULL && !(n->type == XML_ELEMENT_NODE ||
			      (n->type == XML_TEXT_NODE && !text_blank(n->content))))
		n = n->next;
	return n;
}

static int
attrs_equal(xmlNodePtr a, xmlNodePtr b, int root, char *why, size_t len)
{
	xmlAttrPtr p;
	int na = 0, nb = 0;

	for (p = a->properties; p; p = p->next) {
		xmlChar *va, *vb;

		if (root && (!strcmp((char *)p->name, "id") || !strcmp((char *)p->name, "from")))
			continue;
		na++;
		va = xmlGetProp(a, p->name);
		vb = xmlGetProp(b, p->name);
		if (vb == NULL || strcmp((char *)va, (char *)vb) != 0) {
			snprintf(why, len, "<%s %s='%s'> vs '%s'", a->name, p->name,
				 va, vb ? (char *)vb : "(absent)");
			xmlFree(va);
			xmlFree(vb);
			return 0;
		}
		xmlFree(va);
		xmlFree(vb);
	}
	for (p = b->properties; p; p = p->next) {
		if (root && (!strcmp((char *)p->name, "id") || !strcmp((char *)p->name, "from")))
			continue;
		nb++;
	}
	if (na != nb) {
		snprintf(why, len, "<%s/>: %d vs %d attributes", a->name, na, nb);
		return 0;
	}
	return 1;
}

static int
tree_equal(xmlNodePtr a, xmlNodePtr b, int root, char *why, size_t len)
{
	xmlNodePtr ca, cb;

	if (a->type != b->type) {
		snprintf(why, len, "node types differ at <%s/>", a->name);
		return 0;
	}
	if (a->type == XML_TEXT_NODE) {
		if (strcmp((char *)a->content, (char *)b->content) != 0) {
			snprintf(why, len, "text '%s' vs '%s'", a->content, b->content);
			return 0;
		}
		return 1;
	}
	if (strcmp((char *)a->name, (char *)b->name) != 0 ||
	    (a->ns == NULL) != (b->ns == NULL) ||
	    (a->ns && strcmp((char *)a->ns->href, (char *)b->ns->href) != 0)) {
		snprintf(why, len, "<%s/> vs <%s/> (or namespaces)", a->name, b->name);
		return 0;
	}
	if (!attrs_equal(a, b, root, why, len))
		return 0;
	for (ca = next_sig(a->children), cb = next_sig(b->children); ca && cb;
	     ca = next_sig(ca->next), cb = next_sig(cb->next))
		if (!tree_equal(ca, cb, 0, why, len))
			return 0;
	if (ca || cb) {
		snprintf(why, len, "<%s/>: children differ (%s extra)", a->name,
			 ca ? "built has" : "example has");
		return 0;
	}
	return 1;
}

static void
assert_same(cx_stanza *built, const char *example)
{
	cx_stanza *ex = load(example);
	char why[512] = "";

	ck_assert_msg(tree_equal(cx_stanza_node(built), cx_stanza_node(ex), 1,
				 why, sizeof(why)),
		      "%s: %s", example, why);
	cx_stanza_unref(ex);
}

/* ---- builders: each builds one example of the XEP -------------------- */

static xmlNodePtr
atom_entry(cx_stanza **holder)
{
	*holder = parse_str("<message><entry xmlns='http://www.w3.org/2005/Atom'>"
			    "<title>Soliloquy</title></entry></message>");
	return cx_stanza_find_child(*holder, "http://www.w3.org/2005/Atom", "entry");
}

/* The Atom entry of XEP-0060 examples 100 and 116, as the spec writes it. */
static xmlNodePtr
spec_entry(cx_stanza **holder)
{
	*holder = parse_str("<message><entry xmlns='http://www.w3.org/2005/Atom'>\n"
			    "          <title>Soliloquy</title>\n"
			    "          <summary>\n"
			    "To be, or not to be: that is the question:\n"
			    "Whether 'tis nobler in the mind to suffer\n"
			    "The slings and arrows of outrageous fortune,\n"
			    "Or to take arms against a sea of troubles,\n"
			    "And by opposing end them?\n"
			    "          </summary>\n"
			    "          <link rel='alternate' type='text/html'\n"
			    "                href='http://denmark.lit/2003/12/13/atom03'/>\n"
			    "          <id>tag:denmark.lit,2003:entry-32397</id>\n"
			    "          <published>2003-12-13T18:30:02Z</published>\n"
			    "          <updated>2003-12-13T18:30:02Z</updated>\n"
			    "        </entry></message>");
	return cx_stanza_find_child(*holder, "http://www.w3.org/2005/Atom", "entry");
}

/* Subscription options of examples 68 and 71: show-values has three values. */
static const char *const spec_sub_options[] = {
	"pubsub#deliver", "1", "pubsub#digest", "0", "pubsub#include_body", "false",
	"pubsub#show-values", "chat", "pubsub#show-values", "online",
	"pubsub#show-values", "away", NULL
};

static cx_status
b_disco_info(cx_stanza **o) { return cxi_pubsub_build_disco(o, SVC, NULL, 0, NULL); }
static cx_status
b_disco_items(cx_stanza **o) { return cxi_pubsub_build_disco(o, SVC, NULL, 1, NULL); }
static cx_status
b_subscriptions(cx_stanza **o) { return cxi_pubsub_build_subscriptions(o, SVC, NULL, 0, NULL); }
static cx_status
b_affiliations(cx_stanza **o) { return cxi_pubsub_build_affiliations(o, SVC, NULL, 0, NULL); }
static cx_status
b_subscribe(cx_stanza **o) { return cxi_pubsub_build_subscribe(o, SVC, NODE, "francisco@denmark.lit", NULL, NULL); }
static cx_status
b_subscribe_opts(cx_stanza **o)
{
	return cxi_pubsub_build_subscribe(o, SVC, NODE, "francisco@denmark.lit",
					  spec_sub_options, NULL);
}
static cx_status
b_unsubscribe(cx_stanza **o)
{
	return cxi_pubsub_build_unsubscribe(o, SVC, NODE, "francisco@denmark.lit", NULL, NULL);
}
static cx_status
b_options_get(cx_stanza **o) { return cxi_pubsub_build_options(o, SVC, NODE, "francisco@denmark.lit", NULL, NULL, NULL); }
static cx_status
b_options_set(cx_stanza **o)
{
	return cxi_pubsub_build_options(o, SVC, NODE, "francisco@denmark.lit", NULL,
					spec_sub_options, NULL);
}
static cx_status
b_items(cx_stanza **o) { return cxi_pubsub_build_items(o, SVC, NODE, NULL, NULL); }
static cx_status
b_items_max(cx_stanza **o)
{
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	q.max_items = 2;
	return cxi_pubsub_build_items(o, SVC, NODE, &q, NULL);
}
static cx_status
b_items_ids(cx_stanza **o)
{
	static const char *const ids[] = { "368866411b877c30064a5f62b917cffe",
					   "4e30f35051b7b8b42abe083742187228", NULL };
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	q.item_ids = ids;
	return cxi_pubsub_build_items(o, SVC, NODE, &q, NULL);
}
static cx_status
b_items_one(cx_stanza **o)
{
	static const char *const ids[] = { "ae890ac52d0df67ed7cfdf51b644e901", NULL };
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	q.item_ids = ids;
	return cxi_pubsub_build_items(o, SVC, NODE, &q, NULL);
}
static cx_status
b_items_rsm(cx_stanza **o)
{
	cx_rsm_request r = CX_RSM_REQUEST_INIT;
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;
	r.max = 10;
	r.after = "368866411b877c30064a5f62b917cffe";
	q.rsm = &r;
	return cxi_pubsub_build_items(o, SVC, NODE, &q, NULL);
}
static cx_status
b_publish(cx_stanza **o)
{
	cx_stanza *h;
	const xmlNode *p[1];
	const char *id[1] = { "bnd81g37d61f49fgn581" };
	cx_status st;

	p[0] = spec_entry(&h);
	st = cxi_pubsub_build_publish(o, SVC, NODE, 1, id, p, NULL, NULL);
	cx_stanza_unref(h);
	return st;
}
static cx_status
b_publish_opts(cx_stanza **o)
{
	static const char *const opts[] = { "pubsub#access_model", "presence", NULL };
	const char *id[1] = { "ae890ac52d0df67ed7cfdf51b644e901" };
	cx_stanza *h;
	const xmlNode *p[1];
	cx_status st;

	p[0] = spec_entry(&h);
	st = cxi_pubsub_build_publish(o, SVC, NODE, 1, id, p, opts, NULL);
	cx_stanza_unref(h);
	return st;
}
static cx_status
b_retract(cx_stanza **o) { return cxi_pubsub_build_retract(o, SVC, NODE, "ae890ac52d0df67ed7cfdf51b644e901", 0, NULL); }
static cx_status
b_create(cx_stanza **o) { return cxi_pubsub_build_create(o, SVC, NODE, NULL, NULL); }
static cx_status
b_create_instant(cx_stanza **o) { return cxi_pubsub_build_create(o, SVC, NULL, NULL, NULL); }
static cx_status
b_create_config(cx_stanza **o)
{
	static const char *const cfg[] = {
		"pubsub#title", "Princely Musings (Atom)",
		"pubsub#deliver_notifications", "1", "pubsub#deliver_payloads", "1",
		"pubsub#persist_items", "1", "pubsub#max_items", "10",
		"pubsub#item_expire", "604800", "pubsub#access_model", "open",
		"pubsub#publish_model", "publishers", "pubsub#purge_offline", "0",
		"pubsub#send_last_published_item", "never",
		"pubsub#presence_based_delivery", "false",
		"pubsub#notification_type", "headline", "pubsub#notify_config", "0",
		"pubsub#notify_delete", "0", "pubsub#notify_retract", "0",
		"pubsub#notify_sub", "0", "pubsub#max_payload_size", "1028",
		"pubsub#type", "urn:example:e2ee:bundle",
		"pubsub#body_xslt", "http://jabxslt.jabberstudio.org/atom_body.xslt", NULL
	};
	return cxi_pubsub_build_create(o, SVC, NODE, cfg, NULL);
}
static cx_status
b_create_access(cx_stanza **o)
{
	static const char *const cfg[] = { "pubsub#access_model", "whitelist", NULL };
	return cxi_pubsub_build_create(o, SVC, NODE, cfg, NULL);
}
static cx_status
b_configure_get(cx_stanza **o) { return cxi_pubsub_build_configure(o, SVC, NODE, NULL, NULL); }
static cx_status
b_configure_set(cx_stanza **o)
{
	static const char *const cfg[] = {
		"pubsub#title", "Princely Musings (Atom)",
		"pubsub#deliver_notifications", "1", "pubsub#deliver_payloads", "1",
		"pubsub#persist_items", "1", "pubsub#max_items", "10",
		"pubsub#item_expire", "604800", "pubsub#access_model", "roster",
		"pubsub#roster_groups_allowed", "friends",
		"pubsub#roster_groups_allowed", "servants",
		"pubsub#roster_groups_allowed", "courtiers",
		"pubsub#publish_model", "publishers", "pubsub#purge_offline", "0",
		"pubsub#send_last_published_item", "never",
		"pubsub#presence_based_delivery", "false",
		"pubsub#notification_type", "headline", "pubsub#notify_config", "0",
		"pubsub#notify_delete", "0", "pubsub#notify_retract", "0",
		"pubsub#notify_sub", "0", "pubsub#max_payload_size", "1028",
		"pubsub#type", "urn:example:e2ee:bundle",
		"pubsub#body_xslt", "http://jabxslt.jabberstudio.org/atom_body.xslt", NULL
	};
	return cxi_pubsub_build_configure(o, SVC, NODE, cfg, NULL);
}
static cx_status
b_default(cx_stanza **o) { return cxi_pubsub_build_configure(o, SVC, NULL, NULL, NULL); }
static cx_status
b_delete(cx_stanza **o) { return cxi_pubsub_build_delete(o, SVC, NODE, "xmpp:hamlet@denmark.lit?;node=blog", NULL); }
static cx_status
b_delete_plain(cx_stanza **o) { return cxi_pubsub_build_delete(o, SVC, NODE, NULL, NULL); }
static cx_status
b_owner_affiliations(cx_stanza **o) { return cxi_pubsub_build_affiliations(o, SVC, NODE, 1, NULL); }
static cx_status
b_purge(cx_stanza **o) { return cxi_pubsub_build_purge(o, SVC, NODE, NULL); }
static cx_status
b_owner_subscriptions(cx_stanza **o) { return cxi_pubsub_build_subscriptions(o, SVC, NODE, 1, NULL); }
static cx_status
b_owner_set_subscriptions(cx_stanza **o)
{
	cx_pubsub_subscription s = { NULL, (char *)"bard@shakespeare.lit", NULL, NULL,
				     CX_PUBSUB_SUB_SUBSCRIBED, 0, 0 };
	return cxi_pubsub_build_set_subscriptions(o, SVC, NODE, &s, 1, NULL);
}
static cx_status
b_owner_set_affiliations(cx_stanza **o)
{
	cx_pubsub_affiliation_entry a = { NULL, (char *)"bard@shakespeare.lit",
					  CX_PUBSUB_AFF_PUBLISHER };
	return cxi_pubsub_build_set_affiliations(o, SVC, NODE, &a, 1, NULL);
}
static cx_status
authorization(cx_stanza **o, int allow)
{
	cx_stanza *req = load("8.6-authorization-request.xml");
	cx_pubsub_event *ev = NULL;
	cx_status st;

	ck_assert_int_eq(cx_pubsub_event_parse(&ev, req, NULL), CX_OK);
	st = cxi_pubsub_build_authorization(o, ev, allow, NULL);
	cx_pubsub_event_free(ev);
	cx_stanza_unref(req);
	if (st == CX_OK) /* the example's message has no 'to' besides the service */
		cx_stanza_set_to(*o, SVC, NULL);
	return st;
}

static cx_status
b_authorization(cx_stanza **o) { return authorization(o, 1); }
static cx_status
b_authorization_deny(cx_stanza **o) { return authorization(o, 0); }

static cx_status
b_get_pending(cx_stanza **o) { return cxi_pubsub_build_get_pending(o, SVC, NULL, NULL, NULL, NULL); }
static cx_status
b_get_pending_submit(cx_stanza **o)
{
	return cxi_pubsub_build_get_pending(o, SVC, NODE,
					    "pubsub-get-pending:20031021T150901Z-600",
					    NULL, NULL);
}

static const struct {
	const char *file;
	cx_status (*build)(cx_stanza **);
} build_cases[] = {
	{ "5.1-disco-info-request.xml", b_disco_info },
	{ "5.2-disco-items-request.xml", b_disco_items },
	{ "5.6-subscriptions-request.xml", b_subscriptions },
	{ "5.7-affiliations-request.xml", b_affiliations },
	{ "6.1-subscribe-request.xml", b_subscribe },
	{ "6.3-subscribe-and-configure-request.xml", b_subscribe_opts },
	{ "6.2-unsubscribe-request.xml", b_unsubscribe },
	{ "6.3-options-request.xml", b_options_get },
	{ "6.3-options-submit.xml", b_options_set },
	{ "6.5-items-request.xml", b_items },
	{ "6.5-items-max-request.xml", b_items_max },
	{ "6.5-items-ids-request.xml", b_items_ids },
	{ "6.5-items-one-request.xml", b_items_one },
	{ "6.5-items-rsm-request.xml", b_items_rsm },
	{ "7.1-publish-request.xml", b_publish },
	{ "7.1-publish-options-request.xml", b_publish_opts },
	{ "7.2-retract-request.xml", b_retract },
	{ "8.1-create-request.xml", b_create },
	{ "8.1-create-instant-request.xml", b_create_instant },
	{ "8.1-create-configure-request.xml", b_create_config },
	{ "8.1-create-access-model-request.xml", b_create_access },
	{ "8.2-configure-request.xml", b_configure_get },
	{ "8.2-configure-submit.xml", b_configure_set },
	{ "8.3-default-request.xml", b_default },
	{ "8.4-delete-request.xml", b_delete },
	{ "8.4-delete-plain-request.xml", b_delete_plain },
	{ "8.5-purge-request.xml", b_purge },
	{ "8.8-owner-subscriptions-request.xml", b_owner_subscriptions },
	{ "8.8-owner-subscriptions-set.xml", b_owner_set_subscriptions },
	{ "8.9-owner-affiliations-request.xml", b_owner_affiliations },
	{ "8.9-owner-affiliations-set.xml", b_owner_set_affiliations },
	{ "8.6-authorization-submit.xml", b_authorization },
	{ "8.6-authorization-deny.xml", b_authorization_deny },
	{ "8.7-get-pending-request.xml", b_get_pending },
	{ "8.7-get-pending-submit.xml", b_get_pending_submit },
};

START_TEST(test_pubsub_build_examples)
{
	cx_stanza *s = NULL;

	ck_assert_msg(build_cases[_i].build(&s) == CX_OK, "%s", build_cases[_i].file);
	assert_same(s, build_cases[_i].file);
	cx_stanza_unref(s);
}
END_TEST

START_TEST(test_pubsub_build_invalid)
{
	cx_stanza *s = (cx_stanza *)1;
	cx_error err = CX_ERROR_INIT;
	static const char *const odd[] = { "pubsub#deliver", NULL };
	static const char *const no_ids[] = { NULL };
	cx_pubsub_items_query q = CX_PUBSUB_ITEMS_QUERY_INIT;

	ck_assert_int_eq(cxi_pubsub_build_subscribe(&s, SVC, NULL, "a@b", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_subscribe(&s, SVC, "", "a@b", NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_subscribe(&s, SVC, NODE, "a@b", odd, &err), CX_ERR_INVALID);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(cxi_pubsub_build_retract(&s, SVC, NODE, NULL, 0, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_publish(&s, SVC, NODE, 0, NULL, NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_publish(&s, SVC, "bad\x01", 1, NULL, NULL, NULL, &err),
			 CX_ERR_XML_ENCODING);
	ck_assert_int_eq(cxi_pubsub_build_configure(&s, SVC, NULL, odd, &err), CX_ERR_INVALID);
	q.item_ids = no_ids;
	ck_assert_int_eq(cxi_pubsub_build_items(&s, SVC, NODE, &q, &err), CX_ERR_INVALID);
	q.item_ids = NULL;
	q.max_items = -3;
	ck_assert_int_eq(cxi_pubsub_build_items(&s, SVC, NODE, &q, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_delete(&s, SVC, NULL, NULL, &err), CX_ERR_INVALID);
	ck_assert_int_eq(cxi_pubsub_build_set_affiliations(&s, SVC, NODE, NULL, 0, &err), CX_ERR_INVALID);
}
END_TEST

/* Publishing without an id: no id attribute, the payload's namespace kept. */
START_TEST(test_pubsub_build_publish_many)
{
	cx_stanza *s = NULL, *h;
	const xmlNode *p[3];
	const char *ids[3] = { "a", NULL, "c" };
	char *str = NULL;

	p[0] = p[1] = p[2] = atom_entry(&h);
	ck_assert_int_eq(cxi_pubsub_build_publish(&s, SVC, NODE, 3, ids, p, NULL, NULL), CX_OK);
	ck_assert_int_eq(cx_stanza_to_string(&str, s, NULL), CX_OK);
	ck_assert_ptr_nonnull(strstr(str, "<item id=\"a\"><entry xmlns=\"http://www.w3.org/2005/Atom\">"));
	ck_assert_ptr_nonnull(strstr(str, "<item><entry xmlns=\"http://www.w3.org/2005/Atom\">"));
	ck_assert_ptr_nonnull(strstr(str, "<item id=\"c\">"));
	cx_free(str);
	cx_stanza_unref(s);
	cx_stanza_unref(h);
}
END_TEST

/* ---- parsers of the examples ---------------------------------------- */

START_TEST(test_pubsub_parse_info)
{
	cx_stanza *r = load("5.1-disco-info-result.xml");
	cx_pubsub_info *info = NULL;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_pubsub_parse_info(&info, r, NULL), CX_OK);
	ck_assert_int_eq(info->n_features, 1);
	ck_assert_str_eq(info->category, "pubsub");
	ck_assert_str_eq(info->type, "service");
	ck_assert(!cx_pubsub_info_has_feature(info, "publish"));
	ck_assert_int_eq(cx_pubsub_require_feature(info, "purge-nodes", &err), CX_ERR_NOT_SUPPORTED);
	ck_assert_ptr_nonnull(strstr(err.message, "pubsub#purge-nodes"));
	ck_assert_ptr_nonnull(strstr(err.message, SVC));
	ck_assert_ptr_null(info->meta_data);
	cx_pubsub_info_free(info);
	cx_stanza_unref(r);

	/* the features of example 58 (subscription options) and of 7.1.1 */
	r = parse_str("<iq type='result' from='" SVC "' id='feature1'>"
		      "<query xmlns='http://jabber.org/protocol/disco#info'>"
		      "<identity category='pubsub' type='service'/>"
		      "<feature var='http://jabber.org/protocol/pubsub'/>"
		      "<feature var='http://jabber.org/protocol/pubsub#publish'/>"
		      "<feature var='http://jabber.org/protocol/pubsub#subscription-options'/>"
		      "</query></iq>");
	ck_assert_int_eq(cxi_pubsub_parse_info(&info, r, NULL), CX_OK);
	ck_assert_int_eq(info->n_features, 3);
	ck_assert(cx_pubsub_info_has_feature(info, "publish"));
	ck_assert(!cx_pubsub_info_has_feature(info, "purge-nodes"));
	ck_assert_int_eq(cx_pubsub_require_feature(info, "subscription-options", &err), CX_OK);
	cx_pubsub_info_free(info);
	cx_stanza_unref(r);

	r = load("5.4-node-metadata-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_info(&info, r, NULL), CX_OK);
	ck_assert_str_eq(info->type, "leaf");
	ck_assert_ptr_nonnull(info->meta_data);
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#type"), "urn:example:e2ee:bundle");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#description"),
			 "Updates for Hamlet's Princely Musings weblog.");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#creator"), "hamlet@denmark.lit");
	ck_assert_str_eq(cx_pubsub_form_value(info->meta_data, "pubsub#num_subscribers"), "1066");
	ck_assert_ptr_null(cx_pubsub_form_value(info->meta_data, "pubsub#nothing"));
	cx_pubsub_info_free(info);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_disco_items)
{
	cx_stanza *r = load("5.2-disco-items-result.xml");
	cx_pubsub_node_list l = { 0, NULL, 0 };

	ck_assert_int_eq(cxi_pubsub_parse_disco_items(&l, r, 0, 100, NULL), CX_OK);
	ck_assert_int_eq(l.count, 2);
	ck_assert_str_eq(l.v[0].node, "blogs");
	ck_assert_str_eq(l.v[1].name, "News and announcements");
	ck_assert_int_eq(l.truncated, 0);
	/* a bound cuts the list and says so */
	ck_assert_int_eq(cxi_pubsub_parse_disco_items(&l, r, 1, 3, NULL), CX_OK);
	ck_assert_int_eq(l.count, 3);
	ck_assert_int_eq(l.v[2].depth, 1);
	ck_assert_int_eq(l.truncated, 1);
	for (size_t i = 0; i < l.count; i++) {
		free(l.v[i].jid);
		free(l.v[i].node);
		free(l.v[i].name);
	}
	free(l.v);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_subscriptions)
{
	cx_stanza *r = load("5.6-subscriptions-result.xml");
	cx_pubsub_subscriptions *l = NULL;

	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&l, r, 0, NULL), CX_OK);
	ck_assert_int_eq(l->count, 5);
	ck_assert_str_eq(l->v[2].node, "node5");
	ck_assert_int_eq(l->v[2].state, CX_PUBSUB_SUB_UNCONFIGURED);
	ck_assert_str_eq(l->v[4].subid, "004-yyy");
	ck_assert_ptr_null(l->v[0].subid);
	cx_pubsub_subscriptions_free(l);
	cx_stanza_unref(r);

	r = load("8.8-owner-subscriptions-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&l, r, 1, NULL), CX_OK);
	ck_assert_int_eq(l->count, 4);
	ck_assert_str_eq(l->v[1].jid, "polonius@denmark.lit");
	ck_assert_str_eq(l->v[1].node, NODE);
	ck_assert_str_eq(l->v[3].subid, "004-yyy");
	cx_pubsub_subscriptions_free(l);
	cx_stanza_unref(r);
}
END_TEST

static const struct {
	const char *file;
	cx_pubsub_sub_state state;
	const char *subid;
	int required;
} subscribe_cases[] = {
	{ "6.1-subscribe-result.xml", CX_PUBSUB_SUB_SUBSCRIBED,
	  "ba49252aaa4f5d320c24d3766f0bdcade78c78d3", 0 },
	{ "6.1-subscribe-pending.xml", CX_PUBSUB_SUB_PENDING, NULL, 0 },
	{ "6.1-subscribe-unconfigured.xml", CX_PUBSUB_SUB_UNCONFIGURED, NULL, 1 },
	{ "6.2-unsubscribe-result.xml", CX_PUBSUB_SUB_NONE,
	  "ba49252aaa4f5d320c24d3766f0bdcade78c78d3", 0 },
};

START_TEST(test_pubsub_parse_subscribe)
{
	cx_stanza *r = load(subscribe_cases[_i].file);
	cx_pubsub_subscriptions *l = NULL;

	ck_assert_int_eq(cxi_pubsub_parse_subscribe(&l, r, NODE, "francisco@denmark.lit", NULL), CX_OK);
	ck_assert_int_eq(l->count, 1);
	ck_assert_int_eq(l->v[0].state, subscribe_cases[_i].state);
	if (subscribe_cases[_i].subid)
		ck_assert_str_eq(l->v[0].subid, subscribe_cases[_i].subid);
	else
		ck_assert_ptr_null(l->v[0].subid);
	ck_assert_int_eq(l->v[0].options_required, subscribe_cases[_i].required);
	ck_assert_str_eq(l->v[0].jid, "francisco@denmark.lit");
	cx_pubsub_subscriptions_free(l);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_affiliations)
{
	cx_stanza *r = load("5.7-affiliations-result.xml");
	cx_pubsub_affiliations *l = NULL;

	ck_assert_int_eq(cxi_pubsub_parse_affiliations(&l, r, 0, NULL), CX_OK);
	ck_assert_int_eq(l->count, 4);
	ck_assert_int_eq(l->v[0].affiliation, CX_PUBSUB_AFF_OWNER);
	ck_assert_int_eq(l->v[1].affiliation, CX_PUBSUB_AFF_PUBLISHER);
	ck_assert_int_eq(l->v[2].affiliation, CX_PUBSUB_AFF_OUTCAST);
	ck_assert_str_eq(l->v[3].node, "node6");
	cx_pubsub_affiliations_free(l);
	cx_stanza_unref(r);

	r = load("8.9-owner-affiliations-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_affiliations(&l, r, 1, NULL), CX_OK);
	ck_assert_int_eq(l->count, 2);
	ck_assert_str_eq(l->v[1].jid, "polonius@denmark.lit");
	ck_assert_str_eq(l->v[1].node, NODE);
	cx_pubsub_affiliations_free(l);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_items)
{
	cx_stanza *r = load("6.5-items-result.xml");
	cx_pubsub_items *it = NULL;

	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_OK);
	cx_stanza_unref(r); /* the result keeps its own reference */
	ck_assert_str_eq(it->node, NODE);
	ck_assert_int_eq(it->count, 4);
	ck_assert_str_eq(it->v[0].id, "368866411b877c30064a5f62b917cffe");
	ck_assert_str_eq(it->v[3].id, "ae890ac52d0df67ed7cfdf51b644e901");
	ck_assert_str_eq((const char *)it->v[0].payload->name, "entry");
	ck_assert_str_eq((const char *)it->v[0].payload->ns->href, "http://www.w3.org/2005/Atom");
	ck_assert_int_eq(it->rsm.present, 0);
	cx_pubsub_items_free(it);

	r = load("6.5-items-rsm-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_OK);
	ck_assert_int_eq(it->count, 3);
	ck_assert_ptr_nonnull(it->v[2].payload);
	ck_assert_int_eq(it->rsm.present, 1);
	ck_assert_int_eq(it->rsm.count, 19);
	ck_assert_str_eq(it->rsm.last, "4e30f35051b7b8b42abe083742187228");
	cx_pubsub_items_free(it);
	cx_stanza_unref(r);

	r = load("6.5-items-max-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_OK);
	ck_assert_int_eq(it->count, 2);
	ck_assert_str_eq(it->v[1].id, "ae890ac52d0df67ed7cfdf51b644e901");
	cx_pubsub_items_free(it);
	cx_stanza_unref(r);

	r = load("6.5-items-empty-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_OK);
	ck_assert_str_eq(it->node, NODE);
	ck_assert_int_eq(it->count, 0);
	cx_pubsub_items_free(it);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_publish_create)
{
	cx_stanza *r = load("7.1-publish-result.xml");
	char **ids = NULL, *node = NULL;
	size_t n = 0;

	ck_assert_int_eq(cxi_pubsub_parse_publish(&ids, &n, r, NULL), CX_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(ids[0], "ae890ac52d0df67ed7cfdf51b644e901");
	free(ids[0]);
	free(ids);
	cx_stanza_unref(r);
	r = load("8.1-create-instant-result.xml");
	ck_assert_int_eq(cxi_pubsub_parse_create(&node, r, NULL), CX_OK);
	ck_assert_str_eq(node, "25e3d37dabbab9541f7523321421edc5bfeb2dae");
	free(node);
	cx_stanza_unref(r);
	/* an empty result is allowed for both */
	r = parse_str("<iq type='result' id='x' from='" SVC "'/>");
	ck_assert_int_eq(cxi_pubsub_parse_publish(&ids, &n, r, NULL), CX_OK);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(ids);
	ck_assert_int_eq(cxi_pubsub_parse_create(&node, r, NULL), CX_OK);
	ck_assert_ptr_null(node);
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_parse_options_form)
{
	cx_stanza *r = load("6.3-options-result.xml");
	xmlNodePtr x = cx_pubsub_form_of_reply(r);

	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(cx_pubsub_form_value(x, "FORM_TYPE"), CX_NS_PUBSUB_SUB_OPTIONS);
	ck_assert_str_eq(cx_pubsub_form_value(x, "pubsub#deliver"), "1");
	cx_stanza_unref(r);
	r = load("8.2-configure-result.xml");
	x = cx_pubsub_form_of_reply(r);
	ck_assert_str_eq(cx_pubsub_form_value(x, "pubsub#max_items"), "10");
	ck_assert_ptr_null(cx_pubsub_form_value(x, "pubsub#title"));
	cx_stanza_unref(r);
}
END_TEST

/* ---- errors ---------------------------------------------------------- */

static const struct {
	const char *file;
	cx_status want;
	const char *condition, *app, *in_message;
} error_cases[] = {
	{ "6.1-subscribe-presence-required.xml", CX_ERR_STANZA_ERROR, "not-authorized",
	  "presence-subscription-required", "presence-subscription-required" },
	{ "6.1-subscribe-unsupported.xml", CX_ERR_NOT_SUPPORTED, "feature-not-implemented",
	  "unsupported", "pubsub#subscribe" },
	{ "6.2-unsubscribe-subid-required.xml", CX_ERR_STANZA_ERROR, "bad-request",
	  "subid-required", "subid-required" },
	{ "7.1-publish-precondition.xml", CX_ERR_STANZA_ERROR, "conflict",
	  "precondition-not-met", "precondition-not-met" },
#define APP(f, cond, app) { f, CX_ERR_STANZA_ERROR, cond, app, app }
#define UNSUP(f, feature) { f, CX_ERR_NOT_SUPPORTED, "feature-not-implemented", \
			    "unsupported", "pubsub#" feature }
	APP("6.1-subscribe-invalid-jid.xml", "bad-request", "invalid-jid"),
	APP("6.1-subscribe-not-in-roster-group.xml", "not-authorized", "not-in-roster-group"),
	APP("6.1-subscribe-closed-node.xml", "not-allowed", "closed-node"),
	APP("6.1-subscribe-pending-subscription.xml", "not-authorized", "pending-subscription"),
	APP("6.1-subscribe-too-many.xml", "policy-violation", "too-many-subscriptions"),
	APP("6.2-unsubscribe-not-subscribed.xml", "unexpected-request", "not-subscribed"),
	APP("6.2-unsubscribe-invalid-subid.xml", "not-acceptable", "invalid-subid"),
	APP("6.3-options-not-subscribed.xml", "unexpected-request", "not-subscribed"),
	APP("6.3-options-jid-required.xml", "bad-request", "jid-required"),
	UNSUP("6.3-options-unsupported.xml", "subscription-options"),
	APP("6.3-options-invalid-options.xml", "bad-request", "invalid-options"),
	APP("6.5-items-not-subscribed.xml", "not-authorized", "not-subscribed"),
	UNSUP("6.5-items-persistent-unsupported.xml", "persistent-items"),
	UNSUP("7.1-publish-unsupported.xml", "publish"),
	APP("7.1-publish-node-full.xml", "conflict", "node-full"),
	APP("7.1-publish-payload-too-big.xml", "not-acceptable", "payload-too-big"),
	APP("7.1-publish-invalid-payload.xml", "bad-request", "invalid-payload"),
	APP("7.1-publish-item-required.xml", "bad-request", "item-required"),
	APP("7.1-publish-payload-required.xml", "bad-request", "payload-required"),
	APP("7.1-publish-item-forbidden.xml", "bad-request", "item-forbidden"),
	APP("7.2-retract-nodeid-required.xml", "bad-request", "nodeid-required"),
	UNSUP("7.2-retract-unsupported.xml", "delete-items"),
	UNSUP("8.1-create-unsupported.xml", "create-nodes"),
	APP("8.1-create-nodeid-required.xml", "not-acceptable", "nodeid-required"),
	APP("8.1-create-unsupported-access-model.xml", "not-acceptable", "unsupported-access-model"),
	UNSUP("8.2-configure-unsupported.xml", "config-node"),
	UNSUP("8.3-default-unsupported.xml", "retrieve-default"),
	UNSUP("8.5-purge-unsupported.xml", "purge-nodes"),
	UNSUP("8.7-get-pending-unsupported.xml", "get-pending"),
	UNSUP("8.8-owner-subscriptions-unsupported.xml", "manage-subscriptions"),
	UNSUP("8.9-owner-affiliations-unsupported.xml", "modify-affiliations"),
	UNSUP("8.9-owner-affiliations-member-unsupported.xml", "member-affiliation"),
#undef APP
#undef UNSUP
};

START_TEST(test_pubsub_errors_examples)
{
	cx_stanza *r = load(error_cases[_i].file);
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_pubsub_reply_error(r, &err), error_cases[_i].want);
	ck_assert_int_eq(err.status, error_cases[_i].want);
	ck_assert_str_eq(err.condition, error_cases[_i].condition);
	ck_assert_str_eq(err.app_condition, error_cases[_i].app);
	ck_assert_str_eq(err.app_ns, CX_NS_PUBSUB_ERRORS);
	ck_assert_msg(strstr(err.message, error_cases[_i].in_message) != NULL,
		      "message: %s", err.message);
	cx_stanza_unref(r);
}
END_TEST

/* Every pubsub#errors condition of XEP-0060 section 13 reaches cx_error. */
static const char *const all_conditions[][2] = {
	{ "closed-node", "not-allowed" }, { "configuration-required", "not-acceptable" },
	{ "invalid-jid", "bad-request" }, { "invalid-options", "bad-request" },
	{ "invalid-payload", "bad-request" }, { "invalid-subid", "not-acceptable" },
	{ "item-forbidden", "bad-request" }, { "item-required", "bad-request" },
	{ "jid-required", "bad-request" }, { "max-items-exceeded", "not-allowed" },
	{ "max-nodes-exceeded", "not-allowed" }, { "nodeid-required", "bad-request" },
	{ "not-in-roster-group", "not-authorized" }, { "not-subscribed", "unexpected-request" },
	{ "payload-too-big", "not-acceptable" }, { "payload-required", "bad-request" },
	{ "pending-subscription", "not-authorized" },
	{ "precondition-not-met", "conflict" },
	{ "presence-subscription-required", "not-authorized" },
	{ "subid-required", "bad-request" }, { "too-many-subscriptions", "not-allowed" },
	{ "unsupported-access-model", "not-acceptable" },
};

START_TEST(test_pubsub_errors_all_conditions)
{
	char xml[1024];
	cx_stanza *r;
	cx_error err = CX_ERROR_INIT;

	snprintf(xml, sizeof(xml),
		 "<iq type='error' id='e' from='" SVC "'><error type='cancel'>"
		 "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
		 "<%s xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>",
		 all_conditions[_i][1], all_conditions[_i][0]);
	r = parse_str(xml);
	ck_assert_int_eq(cxi_pubsub_reply_error(r, &err), CX_ERR_STANZA_ERROR);
	ck_assert_str_eq(err.condition, all_conditions[_i][1]);
	ck_assert_str_eq(err.app_condition, all_conditions[_i][0]);
	ck_assert_ptr_nonnull(strstr(err.message, all_conditions[_i][0]));
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_errors_feature_not_implemented)
{
	cx_stanza *r = parse_str("<iq type='error' id='e'><error type='cancel'>"
				 "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
				 "</error></iq>");
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_pubsub_reply_error(r, &err), CX_ERR_NOT_SUPPORTED);
	cx_stanza_unref(r);
	r = parse_str("<iq type='error' id='e'/>");
	ck_assert_int_eq(cxi_pubsub_reply_error(r, &err), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
}
END_TEST

/* ---- events ---------------------------------------------------------- */

START_TEST(test_pubsub_event_examples)
{
	cx_stanza *m;
	cx_pubsub_event *ev = NULL;

	m = load("7.1-event-items.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_ITEMS);
	ck_assert_str_eq(ev->from, SVC);
	ck_assert_str_eq(ev->node, NODE);
	ck_assert_int_eq(ev->n_items, 1);
	ck_assert_str_eq(ev->items[0].id, "ae890ac52d0df67ed7cfdf51b644e901");
	ck_assert_ptr_null(ev->items[0].publisher);
	ck_assert_str_eq((const char *)ev->items[0].payload->name, "entry");
	cx_pubsub_event_free(ev);

	m = load("7.1-event-items-publisher.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(ev->n_items, 1);
	ck_assert_str_eq(ev->items[0].publisher, "hamlet@denmark.lit");
	cx_pubsub_event_free(ev);

	m = load("7.1-event-items-notification-only.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	cx_stanza_unref(m);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_ITEMS);
	ck_assert_int_eq(ev->n_items, 1);
	ck_assert_ptr_null(ev->items[0].payload);
	cx_pubsub_event_free(ev);

	m = load("7.2-event-retract.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->n_retracts, 1);
	ck_assert_int_eq(ev->n_items, 0);
	ck_assert_str_eq(ev->retracts[0], "ae890ac52d0df67ed7cfdf51b644e901");
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.4-event-delete.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_DELETE);
	ck_assert_str_eq(ev->redirect, "xmpp:hamlet@denmark.lit?;node=blog");
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.5-event-purge.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_PURGE);
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.2-event-configuration.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_CONFIGURATION);
	ck_assert_ptr_null(ev->form);
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.6-event-subscription.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_SUBSCRIPTION);
	ck_assert_int_eq(ev->state, CX_PUBSUB_SUB_SUBSCRIBED);
	ck_assert_str_eq(ev->jid, "horatio@denmark.lit");
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.6-event-subscription-none.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_SUBSCRIPTION);
	ck_assert_int_eq(ev->state, CX_PUBSUB_SUB_NONE);
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);

	m = load("8.6-authorization-request.xml");
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, NULL), CX_OK);
	ck_assert_int_eq(ev->kind, CX_PUBSUB_EVENT_AUTHORIZATION);
	ck_assert_str_eq(ev->node, NODE);
	ck_assert_str_eq(ev->jid, "horatio@denmark.lit");
	ck_assert_str_eq(ev->subid, "123-abc");
	cx_pubsub_event_free(ev);
	cx_stanza_unref(m);
}
END_TEST

#define EV(body) "<message from='" SVC "' to='a@b'><event xmlns='http://jabber.org/protocol/pubsub#event'>" body "</event></message>"

static const struct {
	const char *xml;
	cx_status want;
} bad_events[] = {
	{ EV("<items><item id='1'/></items>"), CX_ERR_PROTOCOL },          /* no node */
	{ EV("<items node=''><item id='1'/></items>"), CX_ERR_PROTOCOL },  /* empty node */
	{ EV("<items node='n'><retract/></items>"), CX_ERR_PROTOCOL },     /* retract without id */
	{ EV("<items node='n'><item id=''/></items>"), CX_ERR_PROTOCOL },
	{ EV(""), CX_ERR_PROTOCOL },
	{ EV("<bogus node='n'/>"), CX_ERR_PROTOCOL },
	{ EV("<subscription node='n' subscription='subscribed'/>"), CX_ERR_PROTOCOL },
	{ EV("<subscription node='n' jid='a@b' subscription='maybe'/>"), CX_ERR_PROTOCOL },
	{ EV("<delete node='n'><redirect/></delete>"), CX_ERR_PROTOCOL },
	{ EV("<collection node='n'/>"), CX_ERR_PROTOCOL },
	{ "<message to='a@b'><event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event></message>",
	  CX_ERR_PROTOCOL },                                               /* no sender */
	{ "<message from='" SVC "'><body>hi</body></message>", CX_ERR_NOT_FOUND },
	{ "<message from='" SVC "' type='error'><event xmlns='http://jabber.org/protocol/pubsub#event'><purge node='n'/></event></message>",
	  CX_ERR_NOT_FOUND },
	{ "<presence from='" SVC "'/>", CX_ERR_NOT_FOUND },
	{ "<message from='" SVC "'><x xmlns='jabber:x:data' type='form'><field var='FORM_TYPE'>"
	  "<value>http://jabber.org/protocol/pubsub#subscribe_authorization</value></field></x></message>",
	  CX_ERR_PROTOCOL },                                               /* no node in the form */
	{ EV("<items node='n'><item/></items>"), CX_OK },                  /* transient: no id */
	{ EV("<items node='n'/>"), CX_OK },
};

START_TEST(test_pubsub_event_malformed)
{
	cx_stanza *m = parse_str(bad_events[_i].xml);
	cx_pubsub_event *ev = (cx_pubsub_event *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_msg(cx_pubsub_event_parse(&ev, m, &err) == bad_events[_i].want,
		      "case %d: %s", _i, err.message);
	if (bad_events[_i].want == CX_OK)
		cx_pubsub_event_free(ev);
	else
		ck_assert_ptr_null(ev);
	cx_stanza_unref(m);
}
END_TEST

#define RES(body) "<iq type='result' id='r' from='" SVC "'><pubsub xmlns='http://jabber.org/protocol/pubsub'>" body "</pubsub></iq>"
#define ORES(body) "<iq type='result' id='r' from='" SVC "'><pubsub xmlns='http://jabber.org/protocol/pubsub#owner'>" body "</pubsub></iq>"

START_TEST(test_pubsub_parse_malformed)
{
	cx_stanza *r;
	cx_pubsub_items *it = (cx_pubsub_items *)1;
	cx_pubsub_subscriptions *s = (cx_pubsub_subscriptions *)1;
	cx_pubsub_affiliations *a = (cx_pubsub_affiliations *)1;
	cx_pubsub_info *info = (cx_pubsub_info *)1;
	cx_pubsub_node_list l = { 0, NULL, 0 };

	r = parse_str(RES("<items><item id='1'/></items>"));
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(it);
	cx_stanza_unref(r);
	r = parse_str(RES("<items node='n'><item/></items>"));
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(RES(""));
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_ERR_PROTOCOL);
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&s, r, 0, NULL), CX_ERR_PROTOCOL);
	ck_assert_int_eq(cxi_pubsub_parse_affiliations(&a, r, 0, NULL), CX_ERR_PROTOCOL);
	ck_assert_int_eq(cxi_pubsub_parse_info(&info, r, NULL), CX_ERR_PROTOCOL);
	ck_assert_int_eq(cxi_pubsub_parse_disco_items(&l, r, 0, 10, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(RES("<items node='n'><item id='1'/></items><set xmlns='http://jabber.org/protocol/rsm'><count>-5</count></set>"));
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(RES("<subscriptions><subscription jid='a@b' subscription='subscribed'/></subscriptions>"));
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&s, r, 0, NULL), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(s);
	cx_stanza_unref(r);
	r = parse_str(RES("<subscriptions><subscription node='n' subscription='subscribed'/></subscriptions>"));
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&s, r, 0, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(RES("<subscriptions><subscription node='n' jid='a@b' subscription='sort-of'/></subscriptions>"));
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&s, r, 0, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(RES("<affiliations><affiliation node='n' affiliation='king'/></affiliations>"));
	ck_assert_int_eq(cxi_pubsub_parse_affiliations(&a, r, 0, NULL), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(a);
	cx_stanza_unref(r);
	r = parse_str(RES("<affiliations><affiliation affiliation='owner'/></affiliations>"));
	ck_assert_int_eq(cxi_pubsub_parse_affiliations(&a, r, 0, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str(ORES("<subscriptions node='n'><subscription subscription='subscribed'/></subscriptions>"));
	ck_assert_int_eq(cxi_pubsub_parse_subscriptions(&s, r, 1, NULL), CX_ERR_PROTOCOL);
	cx_stanza_unref(r);
	r = parse_str("<iq type='result' id='r'><query xmlns='http://jabber.org/protocol/disco#items'><item node='x'/></query></iq>");
	ck_assert_int_eq(cxi_pubsub_parse_disco_items(&l, r, 0, 10, NULL), CX_ERR_PROTOCOL);
	free(l.v);
	cx_stanza_unref(r);
}
END_TEST

/* Huge inputs: 100 000 items, a form with thousands of fields. Built as
 * libxml2 trees directly (the stanza parser's own size limit would refuse
 * the text first, which is a protection of its own). */
START_TEST(test_pubsub_parse_huge)
{
	cx_stanza *r = parse_str(RES("<items node='n'/>"));
	cx_stanza *m = parse_str(EV("<items node='n'/>"));
	xmlNodePtr items = cx_stanza_payload(r)->children, eitems;
	cx_pubsub_items *it = NULL;
	cx_pubsub_event *ev = NULL;
	cx_error err = CX_ERROR_INIT;
	xmlNodePtr x;
	char var[32];
	int i;

	for (i = 0; i < 100000; i++) {
		xmlNodePtr n = xmlNewChild(items, items->ns, BAD_CAST "item", NULL);
		xmlSetProp(n, BAD_CAST "id", BAD_CAST "i");
	}
	ck_assert_int_eq(cxi_pubsub_parse_items(&it, r, &err), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(it);
	ck_assert_ptr_nonnull(strstr(err.message, "CX_PUBSUB_MAX_ITEMS"));
	eitems = cx_stanza_find_child(m, CX_NS_PUBSUB_EVENT, "event")->children;
	for (i = 0; i < 100000; i++)
		xmlNewChild(eitems, eitems->ns, BAD_CAST "item", NULL);
	ck_assert_int_eq(cx_pubsub_event_parse(&ev, m, &err), CX_ERR_PROTOCOL);
	ck_assert_ptr_null(ev);
	cx_stanza_unref(r);
	cx_stanza_unref(m);

	/* a form with 5000 fields: the reader stops at CX_PUBSUB_MAX_FORM_FIELDS */
	r = parse_str("<iq type='result' id='r'><query xmlns='http://jabber.org/protocol/disco#info' node='n'>"
		      "<identity category='pubsub' type='leaf'/><x xmlns='jabber:x:data' type='result'/></query></iq>");
	x = cx_stanza_payload(r)->children->next;
	for (i = 0; i < 5000; i++) {
		xmlNodePtr f = xmlNewChild(x, x->ns, BAD_CAST "field", NULL);

		snprintf(var, sizeof(var), "f%d", i);
		xmlSetProp(f, BAD_CAST "var", BAD_CAST var);
		xmlNewChild(f, x->ns, BAD_CAST "value", BAD_CAST "v");
	}
	ck_assert_str_eq(cx_pubsub_form_value(x, "f10"), "v");
	ck_assert_ptr_null(cx_pubsub_form_value(x, "f4999"));
	cx_stanza_unref(r);
}
END_TEST

START_TEST(test_pubsub_names)
{
	ck_assert_str_eq(cx_pubsub_affiliation_name(CX_PUBSUB_AFF_PUBLISH_ONLY), "publish-only");
	ck_assert_str_eq(cx_pubsub_affiliation_name(CX_PUBSUB_AFF_MEMBER), "member");
	ck_assert_ptr_null(cx_pubsub_affiliation_name((cx_pubsub_affiliation)42));
	ck_assert_str_eq(cx_pubsub_sub_state_name(CX_PUBSUB_SUB_UNCONFIGURED), "unconfigured");
	ck_assert_ptr_null(cx_pubsub_sub_state_name((cx_pubsub_sub_state)-1));
}
END_TEST

/* ---- 8.7 pending subscription requests (get-pending command) ---------- */

#define CMD_RES(body) "<iq type='result' id='p' from='" SVC "'>" \
	"<command xmlns='http://jabber.org/protocol/commands' " \
	"node='http://jabber.org/protocol/pubsub#get-pending' " \
	"sessionid='s1' status='executing'>" body "</command></iq>"
#define NODE_FIELD(opts) "<x xmlns='jabber:x:data' type='form'>" \
	"<field type='list-single' var='pubsub#node'>" opts "</field></x>"

START_TEST(test_pubsub_pending_example)
{
	cx_stanza *r = load("8.7-get-pending-result.xml");
	cx_pubsub_pending *p = NULL;
	char *sid = NULL, *ft = (char *)1;

	ck_assert_int_eq(cxi_pubsub_parse_get_pending(&p, &sid, &ft, r, NULL), CX_OK);
	ck_assert_uint_eq(p->count, 2);
	ck_assert_str_eq(p->nodes[0], "princely_musings");
	ck_assert_str_eq(p->nodes[1], "news_from_elsinore");
	ck_assert_str_eq(sid, "pubsub-get-pending:20031021T150901Z-600");
	ck_assert_str_eq(ft, CX_NS_PUBSUB_SUB_AUTH); /* example 178 has one */
	free(ft);
	cx_pubsub_pending_free(p);
	free(sid);
	cx_stanza_unref(r);
}
END_TEST

/* A FORM_TYPE in the service's form is read and echoed in the submission. */
START_TEST(test_pubsub_pending_form_type)
{
	cx_stanza *r = parse_str(CMD_RES("<x xmlns='jabber:x:data' type='form'>"
		"<field type='hidden' var='FORM_TYPE'><value>urn:example:pending</value></field>"
		"<field type='list-single' var='pubsub#node'/></x>"));
	cx_stanza *b = NULL;
	cx_pubsub_pending *p = NULL;
	char *sid = NULL, *ft = NULL;
	xmlNodePtr x;

	ck_assert_int_eq(cxi_pubsub_parse_get_pending(&p, &sid, &ft, r, NULL), CX_OK);
	ck_assert_uint_eq(p->count, 0);
	ck_assert_ptr_null(p->nodes);
	ck_assert_str_eq(ft, "urn:example:pending");
	ck_assert_str_eq(sid, "s1");
	ck_assert_int_eq(cxi_pubsub_build_get_pending(&b, SVC, NODE, sid, ft, NULL), CX_OK);
	x = cx_pubsub_form_of_reply(b);
	ck_assert_str_eq(cx_pubsub_form_value(x, "FORM_TYPE"), "urn:example:pending");
	ck_assert_str_eq(cx_pubsub_form_value(x, "pubsub#node"), NODE);
	cx_stanza_unref(b);
	cx_pubsub_pending_free(p);
	free(sid);
	free(ft);
	cx_stanza_unref(r);
	/* a command that completed at once: nothing pending */
	r = parse_str("<iq type='result' id='p'><command xmlns='http://jabber.org/protocol/commands' "
		      "node='http://jabber.org/protocol/pubsub#get-pending' status='completed'/></iq>");
	ck_assert_int_eq(cxi_pubsub_parse_get_pending(&p, NULL, NULL, r, NULL), CX_OK);
	ck_assert_uint_eq(p->count, 0);
	cx_pubsub_pending_free(p);
	cx_stanza_unref(r);
	/* an empty node name is refused by the builder */
	ck_assert_int_eq(cxi_pubsub_build_get_pending(&b, SVC, "", "s", NULL, NULL), CX_ERR_INVALID);
	ck_assert_ptr_null(b);
}
END_TEST

static const struct {
	const char *xml;
	cx_status want;
	const char *in_message;
} pending_malformed[] = {
	{ "<iq type='result' id='p'/>", CX_ERR_PROTOCOL, "without a <command/>" },
	{ "<iq type='result' id='p'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>",
	  CX_ERR_PROTOCOL, "without a <command/>" },
	{ "<iq type='result' id='p'><command xmlns='http://jabber.org/protocol/commands' "
	  "node='urn:other' sessionid='s'>" NODE_FIELD("") "</command></iq>",
	  CX_ERR_PROTOCOL, "another command" },
	{ CMD_RES(""), CX_ERR_PROTOCOL, "without a data form" },
	{ CMD_RES("<x xmlns='jabber:x:data' type='form'><field var='other'/></x>"),
	  CX_ERR_PROTOCOL, "without a pubsub#node field" },
	{ CMD_RES(NODE_FIELD("<option><value></value></option>")),
	  CX_ERR_PROTOCOL, "empty node name" },
	{ CMD_RES(NODE_FIELD("<option/>")), CX_ERR_PROTOCOL, "" },
	{ CMD_RES("<x xmlns='jabber:x:data' type='bogus'/>"), CX_ERR_PROTOCOL, "" },
	{ CMD_RES("<x xmlns='jabber:x:data' type='form'><field var='pubsub#node' type='nonsense'/></x>"),
	  CX_ERR_PROTOCOL, "" },
};

START_TEST(test_pubsub_pending_malformed)
{
	cx_stanza *r = parse_str(pending_malformed[_i].xml);
	cx_pubsub_pending *p = (cx_pubsub_pending *)1;
	char *sid = (char *)1, *ft = (char *)1;
	cx_error err = CX_ERROR_INIT;

	ck_assert_int_eq(cxi_pubsub_parse_get_pending(&p, &sid, &ft, r, &err),
			 pending_malformed[_i].want);
	ck_assert_ptr_null(p);
	ck_assert_ptr_null(sid);
	ck_assert_ptr_null(ft);
	ck_assert_msg(strstr(err.message, pending_malformed[_i].in_message) != NULL,
		      "message: %s", err.message);
	cx_stanza_unref(r);
}
END_TEST

/* More than CX_PUBSUB_MAX_ENTRIES nodes (built as a tree: see parse_huge). */
START_TEST(test_pubsub_pending_huge)
{
	cx_stanza *r = parse_str(CMD_RES(NODE_FIELD("")));
	xmlNodePtr f = cx_pubsub_form_of_reply(r)->children, o;
	cx_pubsub_pending *p = NULL;
	cx_error err = CX_ERROR_INIT;
	char name[32];
	int i;
	cx_status st;

	for (i = 0; i <= CX_PUBSUB_MAX_ENTRIES; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		o = xmlNewChild(f, NULL, BAD_CAST "option", NULL);
		ck_assert_ptr_nonnull(xmlNewChild(o, NULL, BAD_CAST "value", BAD_CAST name));
	}
	st = cxi_pubsub_parse_get_pending(&p, NULL, NULL, r, &err);
	/* refused by the forms limits or by ours: never accepted */
	ck_assert_msg(st == CX_ERR_PROTOCOL || st == CX_ERR_XML_TOO_MANY,
		      "status %d: %s", (int)st, err.message);
	ck_assert_ptr_null(p);
	cx_stanza_unref(r);
}
END_TEST

static const struct {
	const char *condition, *app;
	cx_status want;
} pending_errors[] = {
	{ "service-unavailable", NULL, CX_ERR_NOT_SUPPORTED },
	{ "feature-not-implemented", NULL, CX_ERR_NOT_SUPPORTED },
	{ "feature-not-implemented", "<unsupported xmlns='http://jabber.org/protocol/pubsub#errors' feature='get-pending'/>",
	  CX_ERR_NOT_SUPPORTED },
	{ "forbidden", NULL, CX_ERR_STANZA_ERROR },
	{ "item-not-found", NULL, CX_ERR_STANZA_ERROR },
};

START_TEST(test_pubsub_pending_errors)
{
	char xml[1024];
	cx_stanza *r;
	cx_error err = CX_ERROR_INIT;

	snprintf(xml, sizeof(xml),
		 "<iq type='error' id='e' from='" SVC "'><error type='cancel'>"
		 "<%s xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>%s</error></iq>",
		 pending_errors[_i].condition,
		 pending_errors[_i].app ? pending_errors[_i].app : "");
	r = parse_str(xml);
	ck_assert_int_eq(cxi_pubsub_get_pending_error(r, &err), pending_errors[_i].want);
	ck_assert_int_eq(err.status, pending_errors[_i].want);
	ck_assert_str_eq(err.condition, pending_errors[_i].condition);
	if (pending_errors[_i].want == CX_ERR_NOT_SUPPORTED)
		ck_assert_msg(strstr(err.message, "pubsub#get-pending") != NULL,
			      "message: %s", err.message);
	else
		ck_assert_msg(strstr(err.message, pending_errors[_i].condition) != NULL,
			      "message: %s", err.message);
	cx_stanza_unref(r);
}
END_TEST

static Suite *
pubsub_suite(void)
{
	Suite *s = suite_create("pubsub");
	TCase *tc;

	tc = tcase_create("build");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_pubsub_build_examples, 0,
			    (int)(sizeof(build_cases) / sizeof(build_cases[0])));
	tcase_add_test(tc, test_pubsub_build_invalid);
	tcase_add_test(tc, test_pubsub_build_publish_many);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_pubsub_parse_info);
	tcase_add_test(tc, test_pubsub_parse_disco_items);
	tcase_add_test(tc, test_pubsub_parse_subscriptions);
	tcase_add_loop_test(tc, test_pubsub_parse_subscribe, 0,
			    (int)(sizeof(subscribe_cases) / sizeof(subscribe_cases[0])));
	tcase_add_test(tc, test_pubsub_parse_affiliations);
	tcase_add_test(tc, test_pubsub_parse_items);
	tcase_add_test(tc, test_pubsub_parse_publish_create);
	tcase_add_test(tc, test_pubsub_parse_options_form);
	tcase_add_test(tc, test_pubsub_parse_malformed);
	tcase_add_test(tc, test_pubsub_parse_huge);
	tcase_add_test(tc, test_pubsub_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 20);
	tcase_add_loop_test(tc, test_pubsub_errors_examples, 0,
			    (int)(sizeof(error_cases) / sizeof(error_cases[0])));
	tcase_add_loop_test(tc, test_pubsub_errors_all_conditions, 0,
			    (int)(sizeof(all_conditions) / sizeof(all_conditions[0])));
	tcase_add_test(tc, test_pubsub_errors_feature_not_implemented);
	suite_add_tcase(s, tc);

	tc = tcase_create("event");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_pubsub_event_examples);
	tcase_add_loop_test(tc, test_pubsub_event_malformed, 0,
			    (int)(sizeof(bad_events) / sizeof(bad_events[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("pending");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_pubsub_pending_example);
	tcase_add_test(tc, test_pubsub_pending_form_type);
	tcase_add_loop_test(tc, test_pubsub_pending_malformed, 0,
			    (int)(sizeof(pending_malformed) / sizeof(pending_malformed[0])));
	tcase_add_test(tc, test_pubsub_pending_huge);
	tcase_add_loop_test(tc, test_pubsub_pending_errors, 0,
			    (int)(sizeof(pending_errors) / sizeof(pending_errors[0])));
	suite_add_tcase(s, tc);
	return s;
}

CXT_MAIN(pubsub_suite)

#!/usr/bin/python3
"""A scripted pubsub service on the hostile server (tests/hostile).

    pubsub_server.py --cert PEM --key KEY --log FILE

Runs tests/hostile/hostile-server.py (loaded as a module, unchanged) with
one addition: iq stanzas to the JID 'pubsub.localhost' carrying a pubsub
payload are answered by the script below instead of the generic empty
result. What the service does is chosen by the node name:

  items (XEP-0060 6.5, paged with XEP-0059 when the request has a <set/>):
    paged        25 items i1..i25, honest pages (first, last, count)
    same-last    every page: two new items, but always <last>L</last>
    empty-page   the first page has 2 items of a claimed count of 10; the
                 next pages are empty (with a <set/>)
    endless      every page is full, with fresh ids and a fresh <last/>,
                 and a count of 2^31
    no-set       3 items and no <set/> (the service does not page)
    unsupported  <feature-not-implemented/> + <unsupported
                 feature='retrieve-items'/>
    blog         one item whose payload is an Atom entry
  publish (7.1):
    restricted   <conflict/> + <precondition-not-met/>
    any other    a result naming the item id (the given one, or 'srv-1')
  subscribe (6.1):
    moderated    a pending subscription with subid 'sub-1'
    any other    subscribed, subid 'sub-2'
  other pubsub requests: an empty result.

Every pubsub request is logged as "pubsub <op> <node> <after>" so that the
C test can count pages. Standard library only.
"""
import importlib.util
import os
import sys
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location(
    "hostile_server", os.path.join(HERE, "hostile-server.py"))
hs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hs)

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_ERRORS = NS_PUBSUB + "#errors"
NS_RSM = "http://jabber.org/protocol/rsm"
NS_ATOM = "http://www.w3.org/2005/Atom"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
SERVICE = "pubsub.localhost"
esc = hs.esc


class PubsubSession(hs.Session):
    def on_stanza(self, elem):
        if (hs.local(elem.tag) == "iq" and elem.get("to") == SERVICE and
                elem.get("type") in ("get", "set") and len(elem) and
                hs.ns(elem[0].tag) == NS_PUBSUB):
            self.pubsub(elem, elem[0])
            return
        super().on_stanza(elem)

    def reply(self, elem, inner):
        self.send("<iq type='result' id='%s' from='%s' to='%s'>%s</iq>" % (
            esc(elem.get("id", "")), SERVICE, esc(self.jid), inner))

    def error(self, elem, kind, cond, app):
        self.send("<iq type='error' id='%s' from='%s' to='%s'><error type='%s'>"
                  "<%s xmlns='%s'/>%s</error></iq>" % (
                      esc(elem.get("id", "")), SERVICE, esc(self.jid), kind,
                      cond, NS_STANZAS, app))

    def pubsub(self, elem, ps):
        op = ps[0] if len(ps) else None
        name = hs.local(op.tag) if op is not None else ""
        node = op.get("node", "") if op is not None else ""
        rset = ps.find("{%s}set" % NS_RSM)
        after = ""
        max_n = 0
        if rset is not None:
            a = rset.find("{%s}after" % NS_RSM)
            m = rset.find("{%s}max" % NS_RSM)
            after = a.text or "" if a is not None else ""
            max_n = int(m.text) if m is not None and m.text else 0
        hs.log("pubsub", "%s %s %s" % (name, node, after or "-"))
        if name == "items":
            self.items(elem, node, rset is not None, after, max_n)
        elif name == "publish":
            item = op.find("{%s}item" % NS_PUBSUB)
            iid = item.get("id") if item is not None else None
            if node == "restricted":
                self.error(elem, "cancel", "conflict",
                           "<precondition-not-met xmlns='%s'/>" % NS_ERRORS)
                return
            self.reply(elem, "<pubsub xmlns='%s'><publish node='%s'><item "
                       "id='%s'/></publish></pubsub>" % (
                           NS_PUBSUB, esc(node), esc(iid or "srv-1")))
        elif name == "subscribe":
            state, subid = (("pending", "sub-1") if node == "moderated"
                            else ("subscribed", "sub-2"))
            self.reply(elem, "<pubsub xmlns='%s'><subscription node='%s' "
                       "jid='%s' subid='%s' subscription='%s'/></pubsub>" % (
                           NS_PUBSUB, esc(node), esc(op.get("jid", "")),
                           subid, state))
        else:
            self.reply(elem, "")

    def page(self, elem, node, ids, first_index, count, last=None):
        items = "".join("<item id='%s'><x xmlns='urn:t'/></item>" % i
                        for i in ids)
        rset = ""
        if count is not None:
            if ids:
                rset = ("<set xmlns='%s'><first index='%d'>%s</first>"
                        "<last>%s</last><count>%d</count></set>" % (
                            NS_RSM, first_index, ids[0], last or ids[-1],
                            count))
            else:
                rset = "<set xmlns='%s'><count>%d</count></set>" % (
                    NS_RSM, count)
        self.reply(elem, "<pubsub xmlns='%s'><items node='%s'>%s</items>%s"
                   "</pubsub>" % (NS_PUBSUB, esc(node), items, rset))

    def items(self, elem, node, paged, after, max_n):
        self.pages = getattr(self, "pages", 0) + 1
        max_n = max_n or 10
        if node == "unsupported":
            self.error(elem, "cancel", "feature-not-implemented",
                       "<unsupported xmlns='%s' feature='retrieve-items'/>"
                       % NS_ERRORS)
        elif node == "paged":
            allids = ["i%d" % n for n in range(1, 26)]
            start = allids.index(after) + 1 if after in allids else 0
            ids = allids[start:start + max_n]
            self.page(elem, node, ids, start, 25 if paged else None)
        elif node == "same-last":
            base = self.pages * 2
            self.page(elem, node, ["s%d" % base, "s%d" % (base + 1)], 0,
                      100, last="L")
        elif node == "empty-page":
            if not after:
                self.page(elem, node, ["e1", "e2"], 0, 10)
            else:
                self.page(elem, node, [], 0, 10)
        elif node == "endless":
            base = self.pages * max_n
            self.page(elem, node, ["n%d" % (base + k) for k in range(max_n)],
                      base, 2 ** 31)
        elif node == "no-set":
            self.page(elem, node, ["a", "b", "c"], 0, None)
        elif node == "blog":
            entry = ("<entry xmlns='%s'><title>Soliloquy</title>"
                     "<author><name>Hamlet</name></author>"
                     "<id>tag:denmark.lit,2003:entry-32397</id>"
                     "<updated>2003-12-13T18:30:02Z</updated>"
                     "<link rel='alternate' href='http://denmark.lit/1'/>"
                     "</entry>" % NS_ATOM)
            self.reply(elem, "<pubsub xmlns='%s'><items node='blog'><item "
                       "id='b1' publisher='hamlet@denmark.lit'>%s</item>"
                       "</items></pubsub>" % (NS_PUBSUB, entry))
        else:
            self.error(elem, "cancel", "item-not-found", "")


hs.Session = PubsubSession

if __name__ == "__main__":
    hs.main()

#!/usr/bin/python3
"""A slixmpp peer for the XEP interop tests (tests/integration/check_ext.c).

    slix_ext_peer.py --mode disco|carbons --peer JID [--jid J --password P
                     --resource R --host H --port N --ca F --timeout S]

disco:   logs in, prints "ready <full jid>", waits for an available presence
         from --peer carrying XEP-0115 caps, asks --peer for disco#info of
         node#ver, recomputes the verification string with slixmpp's own
         XEP-0115 code and prints "ver <ver> <recomputed>" and one
         "feature <var>" line per feature; "ok" when both strings match.
carbons: logs in as another resource of an account, enables XEP-0280
         carbons, prints "ready <full jid>", sends "from slix" to --peer,
         and prints "carbon-received <body>" / "carbon-sent <body>" for each
         carbon; "ok" once it saw a received carbon "to cxmpp" and a sent
         carbon "from cxmpp".

Exit 0 on success, 1 on failure or timeout. Never resolves a name: the DNS
lookup is replaced by the address given. Defaults come from the CX_TEST_*
variables (account 5).
"""
import argparse
import asyncio
import logging
import os
import sys

import slixmpp


class Peer(slixmpp.ClientXMPP):
    def __init__(self, args):
        jid = args.jid
        if args.resource:
            jid = "%s/%s" % (jid, args.resource)
        super().__init__(jid, args.password)
        self.args = args
        self.ok = False
        self.ca_certs = args.ca
        self.seen = set()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("failed_auth", lambda *_: self.finish(False))
        if args.mode == "disco":
            self.add_event_handler("presence_available", self.on_presence)
        else:
            self.add_event_handler("carbon_received", self.on_received)
            self.add_event_handler("carbon_sent", self.on_sent)

    async def get_dns_records(self, domain, port=None):
        # No DNS: the test server is at the given address.
        return [(domain, self.args.host, self.args.port)]

    async def start(self, _event):
        if self.args.mode == "carbons":
            await self.plugin["xep_0280"].enable(timeout=10)
        self.send_presence()
        print("ready %s" % self.boundjid.full, flush=True)
        if self.args.mode == "carbons":
            self.send_message(mto=self.args.peer, mbody="from slix", mtype="chat")

    async def on_presence(self, pres):
        if pres["from"].full != self.args.peer:
            return
        caps = pres.xml.find("{http://jabber.org/protocol/caps}c")
        if caps is None:
            return
        node, ver = caps.get("node"), caps.get("ver")
        iq = await self.plugin["xep_0030"].get_info(
            jid=pres["from"], node="%s#%s" % (node, ver), timeout=10)
        info = iq["disco_info"]
        mine = self.plugin["xep_0115"].generate_verstring(info, "sha-1")
        print("ver %s %s" % (ver, mine), flush=True)
        for var in sorted(info["features"]):
            print("feature %s" % var, flush=True)
        self.finish(mine == ver)

    def on_received(self, msg):
        body = msg["carbon_received"]["body"]
        print("carbon-received %s" % body, flush=True)
        self.seen.add(("received", body))
        self.check_done()

    def on_sent(self, msg):
        body = msg["carbon_sent"]["body"]
        print("carbon-sent %s" % body, flush=True)
        self.seen.add(("sent", body))
        self.check_done()

    def check_done(self):
        if ("received", "to cxmpp") in self.seen and ("sent", "from cxmpp") in self.seen:
            self.finish(True)

    def finish(self, ok):
        self.ok = ok
        self.disconnect(wait=2.0)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["disco", "carbons"], required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--jid", default=env("CX_TEST_USER5"))
    ap.add_argument("--password", default=env("CX_TEST_PASS5"))
    ap.add_argument("--resource", default=None)
    ap.add_argument("--host", default=env("CX_TEST_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(env("CX_TEST_PORT", "5222")))
    ap.add_argument("--ca", default=env("CX_TEST_CA"))
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    if os.environ.get("CX_SLIX_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)

    xmpp = Peer(args)
    for p in ("xep_0030", "xep_0004", "xep_0115", "xep_0199", "xep_0280"):
        xmpp.register_plugin(p)
    xmpp.connect(address=(args.host, args.port))
    try:
        xmpp.loop.run_until_complete(asyncio.wait_for(xmpp.disconnected, args.timeout))
    except asyncio.TimeoutError:
        print("timeout", file=sys.stderr)
        return 1
    if xmpp.ok:
        print("ok", flush=True)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())

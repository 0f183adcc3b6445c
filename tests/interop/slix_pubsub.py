#!/usr/bin/python3
"""A slixmpp pubsub peer for cxmpp's interop test (tests/integration/
check_pubsub.c).

    slix_pubsub.py --mode subscribe|publish --node N [--item ID --title T
                   --jid J --password P --host H --port N --ca F
                   --service S --timeout S]

subscribe: subscribes to N at the service, prints "ready" once subscribed,
           then prints "item ID TITLE" for the first published item whose
           payload is an Atom entry, and "ok".
publish:   publishes one Atom entry titled TITLE with id ID to N, prints
           "ok" once the service answered.

Exit 0 on success, 1 on failure or timeout. Never resolves a name: the DNS
lookup is replaced by the address given. Defaults come from the CX_TEST_*
variables (account 5, the pubsub service).
"""
import argparse
import asyncio
import os
import sys
import xml.etree.ElementTree as ET

import slixmpp

ATOM = "http://www.w3.org/2005/Atom"


class Peer(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ok = False
        self.ca_certs = args.ca
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("pubsub_publish", self.on_publish)
        self.add_event_handler("failed_auth", lambda *_: self.finish(False))

    async def get_dns_records(self, domain, port=None):
        # No DNS: the test server is at the given address.
        return [(domain, self.args.host, self.args.port)]

    async def start(self, _event):
        self.send_presence()
        ps = self.plugin["xep_0060"]
        try:
            if self.args.mode == "subscribe":
                await ps.subscribe(self.args.service, self.args.node, timeout=10)
                print("ready", flush=True)
            else:
                entry = ET.Element("{%s}entry" % ATOM)
                ET.SubElement(entry, "{%s}title" % ATOM).text = self.args.title
                ET.SubElement(entry, "{%s}id" % ATOM).text = "urn:slix:" + self.args.item
                ET.SubElement(entry, "{%s}updated" % ATOM).text = "2024-01-01T00:00:00Z"
                await ps.publish(self.args.service, self.args.node,
                                 id=self.args.item, payload=entry, timeout=10)
                self.finish(True)
        except (slixmpp.exceptions.IqError, slixmpp.exceptions.IqTimeout) as e:
            print("failed: %s" % e, file=sys.stderr)
            self.finish(False)

    def on_publish(self, msg):
        if self.args.mode != "subscribe":
            return
        item = msg["pubsub_event"]["items"]["item"]
        payload = item["payload"]
        if payload is None or payload.tag != "{%s}entry" % ATOM:
            return
        title = payload.find("{%s}title" % ATOM)
        print("item %s %s" % (item["id"], title.text if title is not None else ""),
              flush=True)
        self.finish(True)

    def finish(self, ok):
        self.ok = ok
        self.disconnect(wait=2.0)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["subscribe", "publish"], required=True)
    ap.add_argument("--node", required=True)
    ap.add_argument("--item", default="slix-1")
    ap.add_argument("--title", default="from slixmpp")
    ap.add_argument("--jid", default=env("CX_TEST_USER5"))
    ap.add_argument("--password", default=env("CX_TEST_PASS5"))
    ap.add_argument("--host", default=env("CX_TEST_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(env("CX_TEST_PORT", "5222")))
    ap.add_argument("--ca", default=env("CX_TEST_CA"))
    ap.add_argument("--service", default=env("CX_TEST_PUBSUB"))
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()

    xmpp = Peer(args)
    xmpp.register_plugin("xep_0060")
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

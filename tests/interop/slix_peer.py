#!/usr/bin/python3
"""A slixmpp peer for the cxmpp interop tests (tests/integration/check_im.c).

    slix_peer.py --mode handshake|message --peer JID [--jid J --password P
                 --host H --port N --ca F --timeout S]

handshake: accepts the peer's subscription request (auto_authorize), asks
           for a subscription to the peer, and succeeds once the peer has
           answered <presence type='subscribed'/>.
message:   sends the peer one chat message with a subject, a thread with a
           parent, and bodies in two languages, then closes.

Prints "ready" on stdout once logged in, "ok" on success; exit 0 on
success, 1 on failure or timeout. Never resolves a name: the DNS lookup is
replaced by the address given. Defaults come from the CX_TEST_* variables
(account 5).
"""
import argparse
import asyncio
import logging
import os
import sys

import slixmpp


class Peer(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.ok = False
        self.ca_certs = args.ca
        self.auto_authorize = True
        self.auto_subscribe = False
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("presence_subscribed", self.subscribed)
        self.add_event_handler("failed_auth", lambda *_: self.finish(False))

    async def get_dns_records(self, domain, port=None):
        # No DNS: the test server is at the given address.
        return [(domain, self.args.host, self.args.port)]

    async def start(self, _event):
        self.send_presence()
        await self.get_roster()
        print("ready", flush=True)
        if self.args.mode == "handshake":
            self.send_presence(pto=self.args.peer, ptype="subscribe")
        else:
            msg = self.make_message(mto=self.args.peer, mbody="Hello from slixmpp",
                                    msubject="Interop", mtype="chat")
            msg["body|de"] = "Hallo von slixmpp"
            msg["thread"] = "slix-thread-1"
            msg["parent_thread"] = "slix-parent-0"
            msg.send()
            # One round trip so the message is known to be processed.
            await self.plugin["xep_0199"].ping(jid=self.boundjid.domain, timeout=10)
            self.finish(True)

    def subscribed(self, pres):
        if pres["from"].bare == slixmpp.JID(self.args.peer).bare:
            self.finish(True)

    def finish(self, ok):
        self.ok = ok
        self.disconnect(wait=2.0)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["handshake", "message"], required=True)
    ap.add_argument("--peer", required=True)
    ap.add_argument("--jid", default=env("CX_TEST_USER5"))
    ap.add_argument("--password", default=env("CX_TEST_PASS5"))
    ap.add_argument("--host", default=env("CX_TEST_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(env("CX_TEST_PORT", "5222")))
    ap.add_argument("--ca", default=env("CX_TEST_CA"))
    ap.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    if os.environ.get("CX_SLIX_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)

    xmpp = Peer(args)
    xmpp.register_plugin("xep_0199")
    xmpp.connect(address=(args.host, args.port))
    loop = xmpp.loop
    try:
        loop.run_until_complete(asyncio.wait_for(xmpp.disconnected, args.timeout))
    except asyncio.TimeoutError:
        print("timeout", file=sys.stderr)
        return 1
    if xmpp.ok:
        print("ok", flush=True)
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())

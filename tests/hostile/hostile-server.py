#!/usr/bin/python3
"""A scripted, hostile XMPP server for the client's fault tests.

    hostile-server.py --cert PEM --key KEY --log FILE [--scenario NAME]

Listens on 127.0.0.1 (a free port, printed on the first line of standard
output), serves one connection after another, and exits when its standard
input reaches end of file (the test that started it has gone) or after
--lifetime seconds. Standard library only.

A session is a real one: stream header, STARTTLS (required), SASL PLAIN
(alice@localhost / alice-secret), resource binding. The socket is
non-blocking and TLS runs over memory BIOs (ssl.SSLObject), so one thread
reads and writes and a flood is throttled by TCP exactly as a real server's
would be: messages are generated only while the kernel takes them.

--scenario picks a misbehaviour during negotiation:
    normal              negotiate properly
    stall-header        never send a stream header
    stall-features      send the header, never the features
    stall-tls           answer <starttls/> with <proceed/>, never handshake
    stall-sasl          never answer <auth/>
    stall-bind          never answer the bind request
    junk-after-proceed  send an injected <message/> in the same write as
                        <proceed/> (the STARTTLS injection attack)

After binding, the client drives the script with iq stanzas whose payload is
in the namespace urn:cxmpp:test:hostile (see COMMANDS below). Everything
else: an iq get/set to the server (no 'to', the domain, or our bare JID) is
answered with an empty result; an iq to another JID is answered as if by
that JID, except for the local parts 'forge-only' (a reply with a forged
'from' only) and 'forge-then-real' (a forged reply, then the real one).

Every event goes to the --log file as "<monotonic ms> <event> <detail>",
flushed at once; CLOCK_MONOTONIC is the clock of the C tests too.
"""
import argparse
import os
import select
import socket
import ssl
import sys
import time
import xml.etree.ElementTree as ET

NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_STREAMS_ERR = "urn:ietf:params:xml:ns:xmpp-streams"
NS_CMD = "urn:cxmpp:test:hostile"
DOMAIN = "localhost"
USER, PASSWORD = "alice", "alice-secret"

HEADER = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' from='localhost' "
          "id='hostile-%d' version='1.0' xml:lang='en'>")

LOG = None


def now_ms():
    return int(time.monotonic() * 1000)


def log(event, detail=""):
    LOG.write("%d %s %s\n" % (now_ms(), event, detail))
    LOG.flush()


def esc(s):
    return (s.replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;").replace("'", "&apos;"))


def local(tag):
    return tag.rsplit("}", 1)[-1]


def ns(tag):
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


class Closed(Exception):
    pass


class Session:
    def __init__(self, sock, args, ctx, serial):
        self.sock = sock
        self.args = args
        self.ctx = ctx
        self.serial = serial
        self.scenario = args.scenario
        self.tls = None          # ssl.SSLObject once STARTTLS began
        self.inbio = self.outbio = None
        self.handshaking = False
        self.rawout = bytearray()
        self.stage = "header"    # header, starttls, auth, bind, ready
        self.jid = None
        self.silent = False
        self.close_at = None     # monotonic seconds: close the socket then
        self.closing = False     # close once the output is written
        self.flood_left = 0
        self.flood_sent = 0
        self.flood_total = 0
        self.flood_logged = 0
        self.last_progress = 0
        self.delayed = []        # (when, bytes)
        self.new_parser()

    # ---- output -----------------------------------------------------
    def send(self, text):
        data = text.encode() if isinstance(text, str) else text
        if self.tls is not None and not self.handshaking:
            self.tls.write(data)
            self.rawout += self.outbio.read()
        else:
            self.rawout += data

    def flush(self):
        while self.rawout:
            try:
                n = self.sock.send(self.rawout)
            except (BlockingIOError, InterruptedError):
                return False
            except OSError as e:
                raise Closed("send: %s" % e)
            del self.rawout[:n]
        return True

    # ---- input ------------------------------------------------------
    def new_parser(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.root = None

    def feed_plain(self, data):
        self.parser.feed(data)
        for ev, elem in self.parser.read_events():
            if ev == "start":
                self.depth += 1
                if self.depth == 1:
                    self.root = elem
                    self.on_header(elem)
            else:
                self.depth -= 1
                if self.depth == 1:
                    self.root.remove(elem)
                    self.on_element(elem)
                    if self.parser is None:
                        return  # a restart: the rest of the chunk is dropped
                elif self.depth == 0:
                    log("client-closed", "")
                    self.send("</stream:stream>")
                    self.closing = True

    def on_readable(self):
        try:
            data = self.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            raise Closed("recv: %s" % e)
        if not data:
            raise Closed("eof")
        if self.stage == "stalled":
            return
        if self.tls is None:
            self.feed_checked(data)
            return
        self.inbio.write(data)
        if self.handshaking:
            self.do_handshake()
            if self.handshaking:
                return
        while True:
            try:
                plain = self.tls.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLError as e:
                raise Closed("tls: %s" % e)
            if not plain:
                raise Closed("tls eof")
            self.feed_checked(plain)
            if self.parser is None:
                self.new_parser()
        self.rawout += self.outbio.read()

    def feed_checked(self, data):
        try:
            self.feed_plain(data)
        except ET.ParseError as e:
            log("client-xml-error", str(e))
            raise Closed("client sent bad XML")
        if self.parser is None:
            self.new_parser()

    def do_handshake(self):
        try:
            self.tls.do_handshake()
            self.handshaking = False
            log("tls-done", self.tls.version())
        except ssl.SSLWantReadError:
            pass
        except ssl.SSLError as e:
            log("tls-failed", str(e))
            raise Closed("handshake: %s" % e)
        self.rawout += self.outbio.read()

    # ---- negotiation --------------------------------------------------
    def on_header(self, elem):
        log("header", self.stage)
        if self.scenario == "stall-header":
            return
        self.send(HEADER % self.serial)
        if self.scenario == "stall-features":
            return
        if self.stage == "header":
            self.send("<stream:features><starttls xmlns='%s'><required/>"
                      "</starttls></stream:features>" % NS_TLS)
            self.stage = "starttls"
        elif self.stage == "auth":
            self.send("<stream:features><mechanisms xmlns='%s'>"
                      "<mechanism>PLAIN</mechanism></mechanisms>"
                      "</stream:features>" % NS_SASL)
        elif self.stage == "bind":
            self.send("<stream:features><bind xmlns='%s'/>"
                      "</stream:features>" % NS_BIND)

    def on_element(self, elem):
        tag = elem.tag
        if tag == "{%s}error" % NS_STREAM:
            cond = [local(c.tag) for c in elem if ns(c.tag) == NS_STREAMS_ERR
                    and local(c.tag) != "text"]
            log("client-stream-error", cond[0] if cond else "?")
            return
        if self.stage == "starttls":
            if tag != "{%s}starttls" % NS_TLS:
                log("unexpected", tag)
                raise Closed("expected starttls")
            if self.scenario == "stall-tls":
                self.send("<proceed xmlns='%s'/>" % NS_TLS)
                self.stage = "stalled"
                return
            extra = ""
            if self.scenario == "junk-after-proceed":
                extra = ("<message from='localhost' to='alice@localhost'>"
                         "<body>injected</body></message>")
            self.send("<proceed xmlns='%s'/>%s" % (NS_TLS, extra))
            if not self.flush():
                raise Closed("could not write <proceed/>")
            self.inbio, self.outbio = ssl.MemoryBIO(), ssl.MemoryBIO()
            self.tls = self.ctx.wrap_bio(self.inbio, self.outbio,
                                         server_side=True)
            self.handshaking = True
            self.stage = "auth"
            self.parser = None
            return
        if self.stage == "auth":
            if tag != "{%s}auth" % NS_SASL:
                raise Closed("expected auth")
            if self.scenario == "stall-sasl":
                self.stage = "stalled"
                return
            import base64
            try:
                parts = base64.b64decode(elem.text or "").split(b"\0")
            except ValueError:
                parts = []
            if (elem.get("mechanism") == "PLAIN" and len(parts) == 3 and
                    parts[1].decode() == USER and
                    parts[2].decode() == PASSWORD):
                log("auth-ok", "")
                self.send("<success xmlns='%s'/>" % NS_SASL)
                self.stage = "bind"
                self.parser = None
            else:
                log("auth-failed", "")
                self.send("<failure xmlns='%s'><not-authorized/></failure>"
                          % NS_SASL)
            return
        if self.stage == "bind":
            if self.scenario == "stall-bind":
                self.stage = "stalled"
                return
            res = elem.find("{%s}bind/{%s}resource" % (NS_BIND, NS_BIND))
            resource = res.text if res is not None and res.text else "hostile"
            self.jid = "%s@%s/%s" % (USER, DOMAIN, resource)
            self.send("<iq type='result' id='%s'><bind xmlns='%s'><jid>%s"
                      "</jid></bind></iq>" % (esc(elem.get("id", "")),
                                              NS_BIND, esc(self.jid)))
            self.stage = "ready"
            log("bound", self.jid)
            return
        if self.stage == "ready":
            self.on_stanza(elem)

    # ---- the script ----------------------------------------------------
    def message(self, i, body=None):
        return ("<message from='bob@localhost/flood' to='%s' type='chat' "
                "id='m%d'><body>%s</body></message>"
                % (esc(self.jid), i, body if body is not None else i))

    def result(self, elem, frm=None):
        attr = " from='%s'" % esc(frm) if frm else ""
        return "<iq type='result' id='%s' to='%s'%s/>" % (
            esc(elem.get("id", "")), esc(self.jid), attr)

    def on_stanza(self, elem):
        kind = local(elem.tag)
        if kind == "message":
            log("message", elem.get("id", ""))
            return
        if kind != "iq":
            return
        typ = elem.get("type")
        log("iq", "%s %s" % (typ, elem.get("id", "")))
        if self.flood_left > 0:
            log("iq-during-flood", "%d" % self.flood_sent)
        if typ not in ("get", "set") or self.silent:
            return
        to = elem.get("to")
        payload = elem[0] if len(elem) else None
        if to and to not in (DOMAIN, "%s@%s" % (USER, DOMAIN)):
            node = to.split("@", 1)[0] if "@" in to else ""
            if node in ("forge-only", "forge-then-real"):
                self.send(self.result(elem, "mallory@localhost/evil"))
                log("forged", elem.get("id", ""))
                if node == "forge-only":
                    return
            self.send(self.result(elem, to))
            return
        if payload is None or ns(payload.tag) != NS_CMD:
            self.send(self.result(elem))
            return
        self.command(elem, local(payload.tag), payload)

    def command(self, elem, cmd, p):
        count = int(p.get("count", "0"))
        if cmd == "silent":
            self.send(self.result(elem))
            self.silent = True
        elif cmd == "close-mid":
            self.send("<message from='bob@localhost/x' to='%s'><body>half a st"
                      % esc(self.jid))
            self.close_at = time.monotonic() + int(p.get("delay", "0")) / 1000
        elif cmd == "stream-error":
            self.send("<stream:error><%s xmlns='%s'/><text xmlns='%s'>the "
                      "hostile server says no</text></stream:error>"
                      "</stream:stream>" % (p.get("condition"), NS_STREAMS_ERR,
                                            NS_STREAMS_ERR))
            log("sent-stream-error", p.get("condition"))
            self.close_at = time.monotonic() + 2
        elif cmd == "flood":
            self.send(self.result(elem))
            self.flood_left = self.flood_total = count
            self.flood_sent = 0
        elif cmd == "burst":
            for i in range(1, count + 1):
                self.send(self.message(i))
            self.send(self.result(elem))
        elif cmd == "messages":
            self.send(self.result(elem))
            for i in range(1, count + 1):
                self.send(self.message(i))
        elif cmd == "slow":
            self.delayed.append((time.monotonic() +
                                 int(p.get("ms", "0")) / 1000,
                                 self.result(elem)))
        elif cmd == "raw":
            # the payload's text, sent as it is (malformed, restricted,
            # oversized input); no reply
            what = p.get("what")
            if what == "malformed":
                data = "<message from='bob@localhost/x'><body>a</bod></message>"
            elif what == "doctype":
                data = "<!DOCTYPE x [<!ENTITY e 'boom'>]>"
            elif what == "pi":
                data = "<?xml-stylesheet href='evil.xsl'?>"
            elif what == "entity":
                data = "<message from='bob@localhost/x'><body>&e;</body></message>"
            elif what == "oversized":
                data = ("<message from='bob@localhost/x'><body>%s</body>"
                        "</message>" % ("A" * count))
            else:
                data = ""
            log("sent-raw", what)
            self.send(data)
            self.close_at = time.monotonic() + 3
        else:
            self.send("<iq type='error' id='%s'><error type='cancel'>"
                      "<feature-not-implemented xmlns='urn:ietf:params:xml:ns:"
                      "xmpp-stanzas'/></error></iq>" % esc(elem.get("id", "")))

    # ---- the loop -----------------------------------------------------
    def pump_flood(self):
        # generate only while the kernel takes what we write: back-pressure.
        # A few batches per turn of the loop, so that what the client sends
        # (an iq made from a handler during the flood) is read and answered
        # as it arrives, as a real server does, and not only once the client
        # has stopped reading: that made the reply's place in the flood a
        # race (it once landed beyond the client's overfill allowance).
        batches = 0
        while (self.flood_left > 0 and len(self.rawout) < 16384
               and batches < 4):
            batches += 1
            n = min(200, self.flood_left)
            base = self.flood_sent
            self.send("".join(self.message(base + i + 1) for i in range(n)))
            self.flood_left -= n
            self.flood_sent += n
            if not self.flush():
                break
        t = time.monotonic()
        if self.flood_sent != self.flood_logged and (
                t - self.last_progress > 0.05 or self.flood_left == 0):
            self.flood_logged = self.flood_sent
            self.last_progress = t
            log("flood", "%d %d" % (self.flood_sent, self.flood_total))

    def run(self):
        self.sock.setblocking(False)
        while True:
            t = time.monotonic()
            for item in [d for d in self.delayed if d[0] <= t]:
                self.delayed.remove(item)
                self.send(item[1])
            if self.flood_left > 0:
                self.pump_flood()
            flushed = self.flush()
            if self.closing and flushed:
                log("closed", "after the client's close")
                return
            if self.close_at is not None and t >= self.close_at:
                log("closed", "by the script")
                return
            # wake for writability while a flood has messages left too
            want_w = bool(self.rawout) or self.flood_left > 0
            timeout = 0.05
            r, w, _ = select.select([self.sock, sys.stdin], [self.sock]
                                    if want_w else [], [], timeout)
            if sys.stdin in r and not os.read(sys.stdin.fileno(), 1024):
                raise SystemExit(0)
            if self.sock in r:
                self.on_readable()
                if self.handshaking and self.tls is not None:
                    self.do_handshake()


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--scenario", default="normal")
    ap.add_argument("--lifetime", type=int, default=300)
    args = ap.parse_args()
    LOG = open(args.log, "a")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(8)
    print(lsock.getsockname()[1], flush=True)
    deadline = time.monotonic() + args.lifetime
    serial = 0
    while time.monotonic() < deadline:
        r, _, _ = select.select([lsock, sys.stdin], [], [], 0.2)
        if sys.stdin in r and not os.read(sys.stdin.fileno(), 1024):
            return
        if lsock not in r:
            continue
        sock, _ = lsock.accept()
        # a small send buffer: the flood feels the client's back-pressure
        # after a few kilobytes, not after megabytes
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 32768)
        serial += 1
        log("accepted", str(serial))
        s = Session(sock, args, ctx, serial)
        try:
            s.run()
        except Closed as e:
            log("closed", str(e))
        except SystemExit:
            return
        finally:
            try:
                sock.close()
            except OSError:
                pass


if __name__ == "__main__":
    main()

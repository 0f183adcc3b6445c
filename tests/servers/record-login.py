#!/usr/bin/python3
"""Log in to a running XMPP server and record the conversation.

Connects to HOST:PORT, negotiates STARTTLS (or direct TLS with --direct-tls),
authenticates with SASL PLAIN, binds the resource "rec", sends an available
presence and a chat message to its own full JID, waits for both to come
back, closes the stream and waits for the server to close its side.
With --create-node it also creates a node on the pubsub service first.

The transcript (--out) has one record per line:

    C <base64>   bytes the client sent (one record per send)
    S <base64>   bytes the server sent (one record per socket read, exactly
                 as received, so the splits are the real ones)
    TLS          TLS is established here; the records after it are the
                 plaintext inside TLS
    # ...        comment: a readable version of the record below it

Standard library only (socket, ssl, xml.parsers.expat).  Defaults come from
the env file that tests/servers/*.sh start writes (CX_TEST_*).  Exit status:
0 when every step succeeded, 1 otherwise (with the reason on stderr).

    /usr/bin/python3 tests/servers/record-login.py --out FILE
    /usr/bin/python3 tests/servers/record-login.py --direct-tls --out FILE
"""

import argparse
import base64
import os
import socket
import ssl
import sys
import time
import xml.parsers.expat

NS_STREAM = "http://etherx.jabber.org/streams"
NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls"
NS_SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind"
NS_SESSION = "urn:ietf:params:xml:ns:xmpp-session"
NS_CLIENT = "jabber:client"
NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


class Failure(Exception):
    pass


class Element:
    def __init__(self, name, attrs):
        # expat with namespace processing gives "ns local" names.
        ns, _, local = name.rpartition(" ")
        self.ns, self.name, self.attrs = ns, local, attrs
        self.children, self.text = [], ""

    def find(self, ns, name):
        for c in self.children:
            if c.ns == ns and c.name == name:
                return c
        return None

    def __repr__(self):
        return "<%s xmlns='%s'>" % (self.name, self.ns)


class StreamReader:
    """Incremental parser of one XML stream: yields complete top-level
    elements (children of <stream:stream>) and notices the stream's end."""

    def __init__(self):
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.stack = []
        self.header = None
        self.done = []
        self.closed = False

    def _start(self, name, attrs):
        el = Element(name, attrs)
        if self.header is None:
            self.header = el
            return
        if self.stack:
            self.stack[-1].children.append(el)
        self.stack.append(el)

    def _end(self, name):
        if not self.stack:
            self.closed = True
            return
        el = self.stack.pop()
        if not self.stack:
            self.done.append(el)

    def _text(self, data):
        if self.stack:
            self.stack[-1].text += data

    def feed(self, data):
        try:
            self.parser.Parse(data, False)
        except xml.parsers.expat.ExpatError as e:
            raise Failure("server sent malformed XML: %s" % e)


def readable(data, limit=600):
    text = data.decode("utf-8", "replace")
    text = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    if len(text) > limit:
        text = text[:limit] + "... (%d bytes)" % len(data)
    return text


class Session:
    def __init__(self, args, out):
        self.args = args
        self.out = out
        self.sock = None
        self.reader = None
        self.deadline = time.monotonic() + args.timeout

    def record(self, tag, data):
        if self.out is None:
            return
        self.out.write("# %s: %s\n" % (tag, readable(data)))
        self.out.write("%s %s\n" % (tag, base64.b64encode(data).decode("ascii")))

    def mark_tls(self):
        if self.out is None:
            return
        v = self.sock.version() or "TLS"
        self.out.write("# %s, %s, certificate verified for %s\n"
                       % (v, self.sock.cipher()[0], self.args.domain))
        self.out.write("TLS\n")

    def send(self, text):
        data = text.encode("utf-8")
        self.record("C", data)
        self.sock.sendall(data)

    def recv_some(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Failure("timed out after %g s" % self.args.timeout)
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Failure("timed out after %g s" % self.args.timeout)
        if not data:
            return False
        self.record("S", data)
        self.reader.feed(data)
        return True

    def open_stream(self):
        self.reader = StreamReader()
        self.send("<?xml version='1.0'?><stream:stream to='%s' "
                  "xmlns='jabber:client' "
                  "xmlns:stream='http://etherx.jabber.org/streams' "
                  "version='1.0' xml:lang='en'>" % self.args.domain)
        features = self.expect(lambda e: e.ns == NS_STREAM and e.name == "features",
                               "stream features")
        return features

    def expect(self, pred, what):
        """Read until a top-level element satisfying pred arrives; other
        elements are skipped (a stream error is fatal)."""
        while True:
            while self.reader.done:
                el = self.reader.done.pop(0)
                if el.ns == NS_STREAM and el.name == "error":
                    cond = el.children[0].name if el.children else "?"
                    raise Failure("stream error <%s/> while waiting for %s"
                                  % (cond, what))
                if pred(el):
                    return el
            if self.reader.closed:
                raise Failure("server closed the stream while waiting for %s" % what)
            if not self.recv_some():
                raise Failure("connection closed while waiting for %s" % what)

    def tls_wrap(self):
        ctx = ssl.create_default_context(cafile=self.args.ca)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        self.sock.settimeout(max(self.deadline - time.monotonic(), 0.1))
        try:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=self.args.domain)
        except (ssl.SSLError, ssl.CertificateError, OSError) as e:
            raise Failure("TLS handshake failed: %s" % e)
        self.mark_tls()

    def run(self):
        a = self.args
        try:
            self.sock = socket.create_connection((a.host, a.port), timeout=a.timeout)
        except OSError as e:
            raise Failure("cannot connect to %s port %d: %s" % (a.host, a.port, e))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        if a.direct_tls:
            self.tls_wrap()
            features = self.open_stream()
        else:
            features = self.open_stream()
            if features.find(NS_TLS, "starttls") is None:
                raise Failure("the server does not offer STARTTLS")
            self.send("<starttls xmlns='%s'/>" % NS_TLS)
            el = self.expect(lambda e: e.ns == NS_TLS, "<proceed/>")
            if el.name != "proceed":
                raise Failure("STARTTLS refused: <%s/>" % el.name)
            self.tls_wrap()
            features = self.open_stream()

        mechs = features.find(NS_SASL, "mechanisms")
        offered = [m.text.strip() for m in mechs.children] if mechs is not None else []
        if "PLAIN" not in offered:
            raise Failure("PLAIN is not offered (offered: %s)" % " ".join(offered))
        user = a.jid.split("@", 1)[0]
        cred = base64.b64encode(("\0%s\0%s" % (user, a.password)).encode()).decode()
        self.send("<auth xmlns='%s' mechanism='PLAIN'>%s</auth>" % (NS_SASL, cred))
        el = self.expect(lambda e: e.ns == NS_SASL and e.name in ("success", "failure"),
                         "SASL outcome")
        if el.name != "success":
            cond = el.children[0].name if el.children else "?"
            raise Failure("authentication failed: <%s/>" % cond)

        features = self.open_stream()
        if features.find(NS_BIND, "bind") is None:
            raise Failure("the server does not offer resource binding")
        self.send("<iq type='set' id='bind1'><bind xmlns='%s'>"
                  "<resource>%s</resource></bind></iq>" % (NS_BIND, a.resource))
        el = self.expect(lambda e: e.name == "iq" and e.attrs.get("id") == "bind1",
                         "bind result")
        if el.attrs.get("type") != "result":
            raise Failure("bind failed")
        bind = el.find(NS_BIND, "bind")
        jid_el = bind.find(NS_BIND, "jid") if bind is not None else None
        if jid_el is None:
            raise Failure("bind result without a JID")
        full = jid_el.text.strip()
        if full.split("/", 1)[0] != a.jid:
            raise Failure("bound to %s, not to %s" % (full, a.jid))
        self.full_jid = full

        # RFC 3921 session establishment, only where it is not optional.
        sess = features.find(NS_SESSION, "session")
        if sess is not None and sess.find(NS_SESSION, "optional") is None:
            self.send("<iq type='set' id='sess1'><session xmlns='%s'/></iq>" % NS_SESSION)
            el = self.expect(lambda e: e.name == "iq" and e.attrs.get("id") == "sess1",
                             "session result")
            if el.attrs.get("type") != "result":
                raise Failure("session establishment failed")

        self.send("<presence/>")
        self.expect(lambda e: e.name == "presence" and e.attrs.get("from") == full
                    and e.attrs.get("type") in (None, "available"),
                    "own presence")
        self.send("<message to='%s' type='chat' id='msg1'><body>%s</body></message>"
                  % (full, a.body))
        el = self.expect(lambda e: e.name == "message" and e.attrs.get("id") == "msg1",
                         "own message")
        body = el.find(NS_CLIENT, "body")
        if body is None or body.text != a.body:
            raise Failure("the message came back without its body")

        if a.create_node:
            self.send("<iq type='set' to='%s' id='create1'><pubsub xmlns='%s'>"
                      "<create node='%s'/></pubsub></iq>" % (a.pubsub, NS_PUBSUB, a.create_node))
            el = self.expect(lambda e: e.name == "iq" and e.attrs.get("id") == "create1",
                             "pubsub create result")
            if el.attrs.get("type") != "result":
                err = el.find(NS_CLIENT, "error")
                cond = [c.name for c in err.children if c.ns == NS_STANZAS] if err is not None else []
                raise Failure("pubsub create of %s on %s failed: <%s/>"
                              % (a.create_node, a.pubsub, cond[0] if cond else "?"))

        self.send("</stream:stream>")
        # The server answers with its own </stream:stream> and closes.
        while not self.reader.closed:
            if not self.recv_some():
                break
        if not self.reader.closed:
            raise Failure("the server closed the connection without closing the stream")
        # Wait for the TCP close so that nothing the server still sends is lost.
        try:
            while self.recv_some():
                pass
        except (Failure, OSError, ssl.SSLError):
            pass
        if self.out is not None:
            self.out.write("# end of transcript: the server closed the connection\n")
        self.sock.close()


def main():
    env = os.environ.get
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default=env("CX_TEST_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--direct-tls", action="store_true",
                   help="TLS from the first byte (port CX_TEST_TLS_PORT)")
    p.add_argument("--domain", default=env("CX_TEST_DOMAIN", "localhost"))
    p.add_argument("--jid", default=env("CX_TEST_USER1", "alice@localhost"))
    p.add_argument("--password", default=env("CX_TEST_PASS1", "alice-secret"))
    p.add_argument("--ca", default=env("CX_TEST_CA"))
    p.add_argument("--resource", default="rec")
    p.add_argument("--body", default="Hello, me.")
    p.add_argument("--pubsub", default=env("CX_TEST_PUBSUB", "pubsub.localhost"))
    p.add_argument("--create-node", metavar="NODE",
                   help="also create this pubsub node on --pubsub before closing")
    p.add_argument("--timeout", type=float, default=15.0,
                   help="bound on the whole session, seconds")
    p.add_argument("--comment", action="append", default=[],
                   help="a comment line for the transcript's header")
    p.add_argument("--out", help="transcript file (default: no transcript)")
    a = p.parse_args()
    if a.port is None:
        port = env("CX_TEST_TLS_PORT" if a.direct_tls else "CX_TEST_PORT")
        if not port:
            p.error("no --port and no CX_TEST_PORT in the environment")
        a.port = int(port)
    if not a.ca:
        p.error("no --ca and no CX_TEST_CA in the environment")

    out = None
    if a.out:
        out = open(a.out + ".tmp", "w", encoding="ascii", errors="backslashreplace")
        out.write("# cxmpp login transcript (tests/data/transcripts/README.md)\n")
        for c in a.comment:
            out.write("# %s\n" % c)
        out.write("# %s as %s/%s, %s, SASL PLAIN, bind, presence, message to self\n"
                  % (a.domain, a.jid, a.resource,
                     "direct TLS" if a.direct_tls else "STARTTLS"))
    s = Session(a, out)
    try:
        s.run()
    except (Failure, OSError, ssl.SSLError) as e:
        print("record-login: %s:%d: %s" % (a.host, a.port, e), file=sys.stderr)
        if out is not None:
            out.close()
            os.unlink(a.out + ".tmp")
        return 1
    if out is not None:
        out.close()
        os.replace(a.out + ".tmp", a.out)
    print("record-login: %s:%d: logged in as %s (%s), presence and message "
          "round-trip ok" % (a.host, a.port, s.full_jid,
                             "direct TLS" if a.direct_tls else "STARTTLS"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

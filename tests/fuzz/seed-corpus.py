#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/ (tests/fuzz/README.md).

The seeds come from tests/data and from the string tables of the unit
tests (every C string literal of the file, adjacent literals joined), so
they follow the tests. Run from the source tree:
    python3 tests/fuzz/seed-corpus.py
It replaces corpus/<target>/seed-* and leaves other files (inputs that
fuzzing added by hand) alone. File names are a hash of the content.
"""
import base64
import glob
import hashlib
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(TOP, "tests", "fuzz", "corpus")

LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def c_literals(path):
    """All string literals of a C file, adjacent ones joined, as bytes."""
    src = open(path, encoding="utf-8", errors="surrogateescape").read()
    src = re.sub(r"/\*.*?\*/", " ", src, flags=re.S)
    out = []
    pos = 0
    cur = None
    for m in LIT.finditer(src):
        between = src[pos:m.start()]
        if cur is not None and between.strip() == "":
            cur += unescape(m.group(1))
        else:
            if cur is not None:
                out.append(cur)
            cur = unescape(m.group(1))
        pos = m.end()
    if cur is not None:
        out.append(cur)
    return out


def unescape(s):
    b = bytearray()
    i = 0
    raw = s.encode("utf-8", errors="surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c != 0x5C:
            b.append(c)
            i += 1
            continue
        n = chr(raw[i + 1])
        i += 2
        if n == "x":
            j = i
            while j < len(raw) and chr(raw[j]) in "0123456789abcdefABCDEF":
                j += 1
            b.append(int(raw[i:j], 16) & 0xFF)
            i = j
        elif n in "01234567":
            j = i
            while j < len(raw) and j < i + 2 and chr(raw[j]) in "01234567":
                j += 1
            b.append(int(n + raw[i:j].decode(), 8) & 0xFF)
            i = j
        else:
            b.extend({"n": b"\n", "r": b"\r", "t": b"\t", "\\": b"\\",
                      '"': b'"', "'": b"'", "?": b"?"}.get(n, n.encode()))
    return bytes(b)


def write(target, items):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.remove(f)
    seen = set()
    for data in items:
        h = hashlib.sha1(data).hexdigest()[:16]
        if h in seen:
            continue
        seen.add(h)
        with open(os.path.join(d, "seed-" + h), "wb") as f:
            f.write(data)
    print("%-7s %d seeds" % (target, len(seen)))


def data(*parts):
    return open(os.path.join(TOP, "tests", "data", *parts), "rb").read()


def strip_comments(b):
    return re.sub(rb"<!--.*?-->\s*", b"", b, flags=re.S)


def transcript_server(name):
    """Server bytes of a transcript: before TLS, after TLS."""
    pre, post = [], []
    cur = pre
    for line in data("transcripts", name).decode().splitlines():
        if line == "TLS":
            cur = post
        elif line.startswith("S "):
            cur.append(base64.b64decode(line[2:]))
    return b"".join(pre), b"".join(post)


def stanzas_of(stream):
    """Depth-1 elements of a well-formed stream text (a rough split)."""
    body = re.sub(rb"^.*?<stream:stream[^>]*>", b"", stream, flags=re.S)
    body = body.replace(b"</stream:stream>", b"")
    out, depth, start, i = [], 0, None, 0
    for m in re.finditer(rb"<(/?)[^>]*?(/?)>", body):
        if m.group(1):
            depth -= 1
            if depth == 0:
                out.append(body[start:m.end()])
        elif m.group(2):
            if depth == 0:
                out.append(m.group(0))
        else:
            if depth == 0:
                start = m.start()
            depth += 1
    return out


def xml_seeds():
    lits = [l for l in c_literals(os.path.join(TOP, "tests/unit/core/check_xml.c"))
            if b"<" in l or b"&" in l]
    seeds = []
    for i, l in enumerate(lits):
        piece = 3 + 8 * (i % 8)
        if l.startswith(b"!"):
            seeds.append(bytes([piece & ~4, i & 255]) + l[1:])
        elif l.startswith(b"<?xml") or b"<stream:stream" in l:
            seeds.append(bytes([piece & ~4, i & 255]) + l)
        else:
            seeds.append(bytes([piece | 4, i & 255]) + l)
    for name in ("session.xml", "starttls.xml"):
        d = data("xml", name)
        seeds.append(bytes([0x38, 1]) + d)
        seeds.append(bytes([0x01, 2]) + d)   # small limits
        seeds.append(bytes([0x12, 3]) + d)   # tiny limits
    for t in ("rfc6120-login.txt", "prosody-login.txt", "ejabberd-login.txt"):
        pre, post = transcript_server(t)
        seeds.append(bytes([0x28, 7]) + pre)
        seeds.append(bytes([0x30, 9]) + post[:4000])
    return seeds


def jid_seeds():
    out = []
    for l in c_literals(os.path.join(TOP, "tests/unit/core/check_jid.c")):
        if 0 < len(l) < 300 and b"%" not in l and b"\0" not in l:
            out.append(l)
    return out


def stanza_seeds():
    out = [l for l in c_literals(os.path.join(TOP, "tests/unit/core/check_stanza.c"))
           if l.lstrip().startswith(b"<")]
    out += stanzas_of(data("xml", "session.xml"))
    for f in sorted(glob.glob(os.path.join(TOP, "tests/data/pubsub/*.xml"))):
        out.append(strip_comments(open(f, "rb").read()))
    return out


NONCE = b"fyko+d2lbbFgONRv9qkxdawL"


def sasl_seeds():
    out = []
    rfc_first = b"r=" + NONCE + b"3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
    rfc_final = b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

    def seed(flags, first, final):
        return bytes([flags, min(len(first), 255)]) + first[:255] + final

    out.append(seed(0, rfc_first, rfc_final))            # the RFC 5802 login
    out.append(seed(4, rfc_first, rfc_final))            # final as challenge
    out.append(seed(3, base64.b64encode(rfc_first), base64.b64encode(rfc_final)))
    out.append(seed(8, rfc_first, rfc_final))            # SHA-256: bad signature
    out.append(seed(16, rfc_first, rfc_final))           # -PLUS
    out.append(seed(32, b"", rfc_final))                 # success without challenge
    out.append(seed(0, rfc_first, b"e=invalid-proof"))
    out.append(seed(0, rfc_first, b"v=AAAA"))
    out.append(seed(0, rfc_first, b""))
    src = open(os.path.join(TOP, "tests/unit/stream/check_sasl.c"), "rb").read()
    lits = c_literals(os.path.join(TOP, "tests/unit/stream/check_sasl.c"))
    for l in lits:
        if l.startswith(b"r=") or l.startswith(b"m=") or l.startswith(b"s="):
            out.append(seed(0, l.replace(b"@", NONCE), rfc_final))
        elif l.startswith(b"v=") or l.startswith(b"e="):
            out.append(seed(0, rfc_first, l))
    # not base64 (sent as it is)
    for l in (b"not base64!", b"QUJD\nREVG", b"QUJ", b"QQ=x", b"QR==", b"====",
              b"\xc3\xa9\xc3\xa9"):
        out.append(seed(1, l, b""))
        out.append(seed(2, rfc_first, l))
    return out


S_HDR = (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
         b"xmlns:stream='http://etherx.jabber.org/streams' "
         b"from='example.org' id='s1' version='1.0' xml:lang='en'>")
S_HDR2 = (b"<stream:stream xmlns='jabber:client' "
          b"xmlns:stream='http://etherx.jabber.org/streams' "
          b"from='example.org' id='s2' version='1.0'>")
F_TLS = (b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
         b"<required/></starttls></stream:features>")
PROCEED = b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
F_MECHS = (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
           b"<mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism>"
           b"</mechanisms></stream:features>")
SUCCESS = b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
F_BIND = (b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
          b"<session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/>"
          b"</session></stream:features>")
END = b"</stream:stream>"
SERR = (b"<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        b"<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>x</text>"
        b"</stream:error>")


def stream_seeds():
    out = []

    def seed(flags, seedb, body):
        return bytes([flags, seedb]) + body

    out.append(seed(0x38, 1, S_HDR + F_TLS + PROCEED + S_HDR2 + F_MECHS))
    out.append(seed(0x3c, 2, S_HDR + F_MECHS + SUCCESS + S_HDR2 + F_BIND))
    out.append(seed(0x3c, 3, S_HDR + F_BIND))
    out.append(seed(0x08, 4, S_HDR + SERR))
    out.append(seed(0x39, 5, S_HDR2 + F_MECHS + SUCCESS + S_HDR2 + F_BIND))
    out.append(seed(0x31, 6, S_HDR2 + F_MECHS +
                    b"<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                    b"<not-authorized/><text>no</text></failure>"))
    out.append(seed(0x3a, 7, S_HDR2 + F_BIND +
                    b"<iq type='error' id='x'><error type='cancel'><conflict "
                    b"xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"))
    out.append(seed(0x3a, 8, S_HDR2 + b"<stream:features/>"))
    pre, post = transcript_server("rfc6120-login.txt")
    out.append(seed(0x20, 9, pre + post))
    out.append(seed(0x21, 10, post))
    ready = stanzas_of(data("xml", "session.xml"))
    for i, t in enumerate(("rfc6120-login.txt", "prosody-login.txt",
                           "ejabberd-login.txt")):
        pre, post = transcript_server(t)
        out.append(seed(0x23, 11 + i, b"".join(stanzas_of(post)[-4:]) + END))
    out.append(seed(0x3b, 20, b"".join(ready) + END))
    out.append(seed(0x0b, 21, b"".join(ready[:3]) + SERR))
    out.append(seed(0x7b, 22, b"".join(ready[:2]) + END))
    out.append(seed(0xbb, 23, b"".join(ready[:2])))
    for i, l in enumerate(c_literals(os.path.join(TOP, "tests/unit/stream/check_stream.c"))):
        if l.startswith(b"<") and b"%" not in l and len(l) > 8:
            stage = 3 if not l.startswith(b"<stream:") else 1
            out.append(seed(0x18 | stage, i & 255, l))
    return out


def pubsub_seeds():
    out = []
    for f in sorted(glob.glob(os.path.join(TOP, "tests/data/pubsub/*.xml"))):
        b = strip_comments(open(f, "rb").read())
        if b.lstrip().startswith(b"<message"):
            out.append(b)
    for l in c_literals(os.path.join(TOP, "tests/unit/ext/check_pubsub.c")):
        if l.lstrip().startswith(b"<message") and b"%" not in l:
            out.append(l)
    return out


def forms_seeds():
    out = []
    for f in sorted(glob.glob(os.path.join(TOP, "tests/data/forms/*.xml"))):
        out.append(strip_comments(open(f, "rb").read()))
    xre = re.compile(rb"<x xmlns=['\"]jabber:x:data['\"].*?</x>", re.S)
    for f in sorted(glob.glob(os.path.join(TOP, "tests/data/pubsub/*.xml"))):
        for m in xre.finditer(strip_comments(open(f, "rb").read())):
            out.append(m.group(0))
    for l in c_literals(os.path.join(TOP, "tests/unit/ext/check_forms.c")):
        if l.lstrip().startswith(b"<x") and b"%" not in l:
            out.append(l)
    return out


def main():
    targets = {"xml": xml_seeds, "jid": jid_seeds, "stanza": stanza_seeds,
               "sasl": sasl_seeds, "stream": stream_seeds,
               "pubsub": pubsub_seeds, "forms": forms_seeds}
    for name in sys.argv[1:] or targets:
        write(name, targets[name]())


if __name__ == "__main__":
    main()

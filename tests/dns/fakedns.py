#!/usr/bin/python3
"""A tiny authoritative DNS server for the cxmpp tests (UDP, stdlib only).

It binds to 127.0.0.1 (or --bind ADDR) on port 0 (or --port N), prints the
chosen port on a line of its own on stdout, and answers from a zone given as
arguments and/or in a file (--zone FILE), one record per argument or line:

    SRV      NAME PRIORITY WEIGHT PORT TARGET   (TARGET "." for no service)
    A        NAME IPV4
    AAAA     NAME IPV6
    CNAME    NAME TARGET
    GARBAGE  NAME    answer with a record that runs past the end of the message
    SILENT   NAME    never answer queries for NAME
    NXDOMAIN NAME    answer NXDOMAIN even if NAME has records
    SERVFAIL NAME    answer SERVFAIL

Names are matched without regard to case or a trailing dot. A name with
records but none of the asked type gets NOERROR with no answers; an unknown
name gets NXDOMAIN.

Every query is logged as "NAME TYPE" on a line of --log FILE, written before
the answer is sent, so a test can count the queries it caused.

The server stops by itself when its standard input reaches end of file (the
test that started it died or closed the pipe), on SIGTERM, or after
--lifetime seconds (default 300), so it never outlives a test run.
"""

import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

T_A, T_CNAME, T_AAAA, T_SRV = 1, 5, 28, 33
TYPE_NAMES = {"A": T_A, "CNAME": T_CNAME, "AAAA": T_AAAA, "SRV": T_SRV}
MODES = ("GARBAGE", "SILENT", "NXDOMAIN", "SERVFAIL")


def norm(name):
    name = name.lower()
    return name[:-1] if name.endswith(".") and name != "." else name


def encode_name(name):
    name = norm(name)
    if name in ("", "."):
        return b"\x00"
    out = b""
    for label in name.split("."):
        raw = label.encode("ascii")
        if not 0 < len(raw) < 64:
            raise ValueError("bad label in %r" % name)
        out += bytes([len(raw)]) + raw
    return out + b"\x00"


class Zone:
    def __init__(self):
        self.records = {}  # name -> list of (type, rdata-bytes)
        self.modes = {}    # name -> mode

    def add(self, line):
        f = line.split()
        if not f or f[0].startswith("#"):
            return
        kind = f[0].upper()
        if kind in MODES:
            self.modes[norm(f[1])] = kind
            return
        name = norm(f[1])
        if kind == "SRV":
            prio, weight, port = int(f[2]), int(f[3]), int(f[4])
            rdata = struct.pack("!HHH", prio, weight, port) + encode_name(f[5])
        elif kind == "A":
            rdata = ipaddress.IPv4Address(f[2]).packed
        elif kind == "AAAA":
            rdata = ipaddress.IPv6Address(f[2]).packed
        elif kind == "CNAME":
            rdata = encode_name(f[2])
        else:
            raise ValueError("unknown record kind %r" % kind)
        self.records.setdefault(name, []).append((TYPE_NAMES[kind], rdata))

    def lookup(self, name, qtype):
        """Returns (rcode, [(owner, type, rdata)])."""
        answers = []
        seen = set()
        while name not in seen:
            seen.add(name)
            recs = self.records.get(name)
            if recs is None:
                return (3 if not answers else 0), answers
            cname = [r for r in recs if r[0] == T_CNAME]
            if cname and qtype != T_CNAME:
                answers.append((name, T_CNAME, cname[0][1]))
                name = decode_simple(cname[0][1])
                continue
            answers += [(name, t, rd) for (t, rd) in recs if t == qtype]
            return 0, answers
        return 2, []


def decode_simple(wire):
    labels, i = [], 0
    while wire[i]:
        labels.append(wire[i + 1:i + 1 + wire[i]].decode("ascii"))
        i += 1 + wire[i]
    return ".".join(labels)


def parse_query(data):
    """Returns (id, flags, qname, qtype, question_bytes) or None."""
    if len(data) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", data[:6])
    if qd != 1 or flags & 0x8000:
        return None
    i, labels = 12, []
    while True:
        if i >= len(data):
            return None
        n = data[i]
        if n == 0:
            i += 1
            break
        if n & 0xC0 or i + 1 + n > len(data):
            return None
        labels.append(data[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    if i + 4 > len(data):
        return None
    qtype, _qclass = struct.unpack("!HH", data[i:i + 4])
    return qid, flags, norm(".".join(labels)), qtype, data[12:i + 4]


def answer(zone, query):
    qid, qflags, qname, qtype, question = query
    mode = zone.modes.get(qname)
    if mode == "SILENT":
        return None
    rd = qflags & 0x0100
    flags = 0x8000 | 0x0400 | rd | 0x0080  # QR AA RD RA
    if mode == "GARBAGE":
        head = struct.pack("!HHHHHH", qid, flags, 1, 1, 0, 0)
        # Owner via a pointer to the question, type SRV, class IN, TTL 60,
        # RDLENGTH 64, then only two bytes of RDATA.
        return head + question + b"\xc0\x0c" + struct.pack(
            "!HHIH", T_SRV, 1, 60, 64) + b"\x00\x05"
    if mode == "NXDOMAIN":
        rcode, answers = 3, []
    elif mode == "SERVFAIL":
        rcode, answers = 2, []
    else:
        rcode, answers = zone.lookup(qname, qtype)
    head = struct.pack("!HHHHHH", qid, flags | rcode, 1, len(answers), 0, 0)
    body = b""
    for owner, rtype, rdata in answers:
        # Compress the owner when it is the question's name.
        oname = b"\xc0\x0c" if owner == qname else encode_name(owner)
        body += oname + struct.pack("!HHIH", rtype, 1, 60, len(rdata)) + rdata
    return head + question + body


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--zone", help="file with one record per line")
    ap.add_argument("--log", help="append one line per query to this file")
    ap.add_argument("--lifetime", type=float, default=300.0)
    ap.add_argument("records", nargs="*")
    args = ap.parse_args()

    zone = Zone()
    if args.zone:
        with open(args.zone, encoding="utf-8") as f:
            for line in f:
                zone.add(line)
    for rec in args.records:
        zone.add(rec)

    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    sock.bind((args.bind, args.port))
    print(sock.getsockname()[1], flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log = open(args.log, "a", encoding="utf-8") if args.log else None
    deadline = time.monotonic() + args.lifetime
    watch = [sock]
    try:
        if os.isatty(0) is False:
            watch.append(sys.stdin)
    except (OSError, ValueError):
        pass
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(watch, [], [], left)
        if sys.stdin in ready:
            if not os.read(0, 4096):
                break
        if sock not in ready:
            continue
        data, peer = sock.recvfrom(65535)
        query = parse_query(data)
        if query is None:
            continue
        if log:
            log.write("%s %d\n" % (query[2], query[3]))
            log.flush()
        reply = answer(zone, query)
        if reply is not None:
            sock.sendto(reply, peer)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A small authoritative DNS server for the tests (Python 3 stdlib only).

Answers NAPTR, SRV, A and AAAA questions over UDP on 127.0.0.1 from a zone given
as records on the command line (or a file, one record a line, '#' comments):

    example.test NAPTR 10 50 s SIP+D2U _sip._udp.example.test
    _sip._udp.example.test SRV 10 50 5070 sip1.example.test
    sip1.example.test A 127.0.0.1
    sip1.example.test AAAA ::1
    example.test NAPTR 5 10 u E2U+sip !^.*$!sip:info@example.test! .

A name with no record and no record below it is NXDOMAIN; an existing name without
the asked type is NOERROR with an empty answer (NODATA). The server exits after
--lifetime seconds (default 60) so a test that dies never leaves it behind.

    dnsd.py --port-file F [--lifetime S] [--zone FILE] [--delay NAME=S] [RECORD ...]
        serve; the bound port (chosen by the kernel) is written to F; answers to
        questions about NAME are sent S seconds late (other questions are
        answered meanwhile), to test that a client does not wait on its resolver
    dnsd.py --dump NAME TYPE [--zone FILE] [RECORD ...]
        write the response packet for that question to stdout (test data)
"""
import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

TYPES = {"A": 1, "AAAA": 28, "SRV": 33, "NAPTR": 35}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode()
            if len(raw) > 63:
                raise ValueError("label too long: " + label)
            out += bytes([len(raw)]) + raw
    return out + b"\x00"


def cstr(s):
    raw = s.encode()
    return bytes([len(raw)]) + raw


def rdata(rtype, fields):
    if rtype == "A":
        return ipaddress.IPv4Address(fields[0]).packed
    if rtype == "AAAA":
        return ipaddress.IPv6Address(fields[0]).packed
    if rtype == "SRV":
        prio, weight, port, target = fields
        # RFC 2782: the target is never compressed.
        return struct.pack("!HHH", int(prio), int(weight), int(port)) + encode_name(target)
    if rtype == "NAPTR":
        # ORDER PREF FLAGS SERVICE [REGEXP] REPLACEMENT (RFC 3403 order; no
        # REGEXP: the empty one SIP uses).
        order, pref, flags, service = fields[:4]
        regexp, repl = (fields[4], fields[5]) if len(fields) > 5 else ("", fields[4])
        return (struct.pack("!HH", int(order), int(pref)) + cstr(flags) + cstr(service) + cstr(regexp)
                + encode_name(repl))
    raise ValueError("unknown type " + rtype)


def load_zone(records, zone_file):
    lines = list(records)
    if zone_file:
        with open(zone_file) as f:
            lines += f.read().splitlines()
    zone = []
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        name, rtype = parts[0].lower().rstrip("."), parts[1].upper()
        zone.append((name, rtype, rdata(rtype, parts[2:])))
    return zone


def answer(zone, query):
    """The response packet for query (bytes), or None for something to ignore."""
    if len(query) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", query[:6])
    if flags & 0x8000 or qd != 1:
        return None
    pos, labels = 12, []
    while pos < len(query) and query[pos] != 0:
        n = query[pos]
        if n > 63 or pos + 1 + n > len(query):
            return None
        labels.append(query[pos + 1:pos + 1 + n].decode(errors="replace"))
        pos += 1 + n
    if pos + 5 > len(query):
        return None
    qtype, qclass = struct.unpack("!HH", query[pos + 1:pos + 5])
    question = query[12:pos + 5]
    name = ".".join(labels).lower()
    rrs = [rd for (n, t, rd) in zone if n == name and TYPES[t] == qtype]
    exists = any(n == name or n.endswith("." + name) for (n, _, _) in zone)
    rcode = 0 if exists else 3
    # QR, AA, RD copied, RA.
    hdr = struct.pack("!HHHHHH", qid, 0x8400 | (flags & 0x0100) | 0x0080 | rcode, 1, len(rrs), 0, 0)
    body = b""
    for rd in rrs:
        # The owner is the question's name: a compression pointer to offset 12.
        body += struct.pack("!HHHIH", 0xC00C, qtype, qclass, 60, len(rd)) + rd
    return hdr + question + body


def question_text(query):
    """ "name TYPE" of a well-formed query (answer() has checked it)."""
    pos, labels = 12, []
    while query[pos] != 0:
        labels.append(query[pos + 1:pos + 1 + query[pos]].decode(errors="replace"))
        pos += 1 + query[pos]
    qtype = struct.unpack("!H", query[pos + 1:pos + 3])[0]
    return "%s %s" % (".".join(labels).lower(), {v: k for k, v in TYPES.items()}.get(qtype, str(qtype)))


def make_query(name, qtype):
    return (struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + encode_name(name)
            + struct.pack("!HH", TYPES[qtype], 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file")
    ap.add_argument("--lifetime", type=float, default=60.0)
    ap.add_argument("--zone")
    ap.add_argument("--dump", nargs=2, metavar=("NAME", "TYPE"))
    ap.add_argument("--log")
    ap.add_argument("--delay", action="append", default=[], metavar="NAME=S")
    ap.add_argument("records", nargs="*")
    a = ap.parse_args()
    zone = load_zone(a.records, a.zone)
    if a.dump:
        sys.stdout.buffer.write(answer(zone, make_query(a.dump[0], a.dump[1].upper())))
        return 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    if a.port_file:
        with open(a.port_file + ".tmp", "w") as f:
            f.write("%d\n" % s.getsockname()[1])
        os.rename(a.port_file + ".tmp", a.port_file)
    log = open(a.log, "a") if a.log else None
    delays = {}
    for d in a.delay:
        name, sec = d.rsplit("=", 1)
        delays[name.lower().rstrip(".")] = float(sec)
    late = []  # (due, packet, peer), sent in order when due
    end = time.monotonic() + a.lifetime
    while True:
        now = time.monotonic()
        while late and late[0][0] <= now:
            s.sendto(late[0][1], late[0][2])
            late.pop(0)
        left = end - now
        if left <= 0:
            return 0
        s.settimeout(min(left, late[0][0] - now) if late else left)
        try:
            q, peer = s.recvfrom(4096)
        except socket.timeout:
            continue
        r = answer(zone, q)
        if r is not None:
            qname = question_text(q).split(" ")[0]
            if qname in delays:
                late.append((time.monotonic() + delays[qname], r, peer))
                late.sort(key=lambda x: x[0])
            else:
                s.sendto(r, peer)
            if log:
                # "NAME QTYPE rcode=N an=N", one line per answered question.
                log.write("%s rcode=%d an=%d\n" % (question_text(q), r[3] & 15,
                                                        struct.unpack("!H", r[6:8])[0]))
                log.flush()


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Minimal DNS client for the test world (stdlib only; no dig needed).

    dnsq.py [-s SERVER] [-p PORT] [-t SRV|A|CNAME] [--timeout S] NAME

Sends one query over UDP (again over TCP if the reply is truncated) and
prints the answer records, one per line:
    SRV:   <priority> <weight> <port> <target>
    A:     <address>
    CNAME: <target>
Exit status: 0 with at least one answer, 1 for an empty answer or an error
RCODE (printed on stderr), 2 when no reply arrives in time.
"""

import argparse
import os
import socket
import struct
import sys

TYPES = {"A": 1, "CNAME": 5, "SRV": 33}


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def decode_name(msg, off):
    """Return (name, offset after the name), following compression pointers."""
    labels, end, hops = [], None, 0
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            hops += 1
            if hops > 64:
                raise ValueError("compression loop")
            continue
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode())
        off += n
    return ".".join(labels), (end if end is not None else off)


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed")
        buf += chunk
    return buf


def query(server, port, name, qtype, timeout):
    qid = int.from_bytes(os.urandom(2), "big")
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)  # RD set
    pkt += encode_name(name) + struct.pack(">HH", TYPES[qtype], 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(pkt, (server, port))
        while True:
            msg, _ = s.recvfrom(65535)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                break
    if struct.unpack(">H", msg[2:4])[0] & 0x0200:
        # Truncated (more than 512 bytes of records): ask again over TCP,
        # as a resolver would.
        with socket.create_connection((server, port), timeout=timeout) as s:
            s.sendall(struct.pack(">H", len(pkt)) + pkt)
            msg = recv_exact(s, struct.unpack(">H", recv_exact(s, 2))[0])
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    rcode = flags & 0xF
    off = 12
    for _ in range(qd):
        _, off = decode_name(msg, off)
        off += 4
    answers = []
    for _ in range(an):
        _, off = decode_name(msg, off)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = off
        off += rdlen
        if rtype == TYPES["SRV"] and qtype == "SRV":
            prio, weight, rport = struct.unpack(">HHH", msg[rdata:rdata + 6])
            target, _ = decode_name(msg, rdata + 6)
            answers.append("%d %d %d %s" % (prio, weight, rport, target))
        elif rtype == TYPES["A"] and qtype == "A":
            answers.append(socket.inet_ntoa(msg[rdata:rdata + 4]))
        elif rtype == TYPES["CNAME"]:
            target, _ = decode_name(msg, rdata)
            answers.append(("CNAME " if qtype != "CNAME" else "") + target)
    return rcode, answers


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", "--server", default="127.0.0.1")
    ap.add_argument("-p", "--port", type=int, default=int(os.environ.get("DNS_PORT", "53")))
    ap.add_argument("-t", "--type", default="SRV", choices=sorted(TYPES))
    ap.add_argument("--timeout", type=float, default=1.0)
    ap.add_argument("name")
    a = ap.parse_args()
    try:
        rcode, answers = query(a.server, a.port, a.name, a.type, a.timeout)
    except socket.timeout:
        print("dnsq: no reply from %s:%d" % (a.server, a.port), file=sys.stderr)
        return 2
    except OSError as e:
        print("dnsq: %s" % e, file=sys.stderr)
        return 2
    for line in answers:
        print(line)
    if rcode:
        print("dnsq: rcode %d" % rcode, file=sys.stderr)
        return 1
    return 0 if answers else 1


if __name__ == "__main__":
    sys.exit(main())

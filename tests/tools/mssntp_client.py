#!/usr/bin/python3
"""mssntp_client.py - a Windows-like MS-SNTP client for the tests.

Sends 68-octet MS-SNTP requests (key id = the account's RID, zero checksum)
and, interleaved, plain 48-octet NTP requests, both at a steady pace, and
checks every answer: a signed one must carry MD5(NT hash || first 48 octets)
with the NT hash taken from a keytab's arcfour-hmac (RC4, enctype 23) key of
the account, as a Windows member knows its own password, or given in hex
with --key (for tests/tools/fake_signd.py). Prints one JSON object with what
happened; "start" is the wall-clock time of round 0, and "rounds" holds, for
each round, its time from the start and the plain and signed answers to it.

  mssntp_client.py --server IP --rid RID [--keytab FILE --principal NAME$ | --key HEX]
                   [--plain] [--duration S] [--rate R]
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import time

NTP_EPOCH = 2208988800
RC4_HMAC = 23


def keytab_rc4_keys(path, account):
    """The RC4 keys of principal ACCOUNT@* in an MIT keytab, newest kvno first."""
    data = open(path, "rb").read()
    if data[:2] != b"\x05\x02":
        raise SystemExit("%s: not a version 0x502 keytab" % path)
    pos, keys = 2, []
    while pos + 4 <= len(data):
        (size,) = struct.unpack_from(">i", data, pos)
        pos += 4
        if size < 0:  # a hole left by a deleted entry
            pos += -size
            continue
        entry, pos = data[pos:pos + size], pos + size
        p = 0
        (ncomp,) = struct.unpack_from(">H", entry, p)
        p += 2

        def counted(q):
            (n,) = struct.unpack_from(">H", entry, q)
            return entry[q + 2:q + 2 + n], q + 2 + n

        _realm, p = counted(p)
        comps = []
        for _ in range(ncomp):
            c, p = counted(p)
            comps.append(c.decode())
        p += 4 + 4  # name type, timestamp
        kvno = entry[p]
        p += 1
        (enctype,) = struct.unpack_from(">H", entry, p)
        p += 2
        key, p = counted(p)
        if len(entry) - p >= 4:
            (kvno32,) = struct.unpack_from(">I", entry, p)
            kvno = kvno32 or kvno
        if "/".join(comps).lower() == account.lower() and enctype == RC4_HMAC:
            keys.append((kvno, key))
    keys.sort(reverse=True)
    return [k for _, k in keys]


def ntp_time(t):
    return struct.pack(">II", int(t) + NTP_EPOCH, int((t % 1) * 2**32))


def from_ntp(b):
    s, f = struct.unpack(">II", b)
    return s - NTP_EPOCH + f / 2**32


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=123)
    ap.add_argument("--rid", type=int, required=True)
    ap.add_argument("--keytab")
    ap.add_argument("--principal")
    ap.add_argument("--key", type=bytes.fromhex, help="the NT hash in hex, instead of a keytab")
    ap.add_argument("--duration", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=20.0, help="rounds per second")
    ap.add_argument("--plain", action="store_true", help="a plain request every round too")
    ap.add_argument("--wait", type=float, default=1.0, help="seconds to wait for stragglers")
    ap.add_argument("--extended", action="store_true",
                    help="120-octet requests (HMAC-SHA512 form), as Windows 8+ may send")
    a = ap.parse_args()
    keys = keytab_rc4_keys(a.keytab, a.principal) if a.keytab else []
    keys += [a.key] if a.key else []
    if a.keytab and not keys:
        raise SystemExit("no arcfour-hmac key for %s in %s" % (a.principal, a.keytab))

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.server, a.port))
    pending = {}  # cookie -> (kind, t1, round)
    res = {"signed_sent": 0, "signed_ok": 0, "signed_bad_mac": 0, "signed_unsigned": 0,
           "plain_sent": 0, "plain_ok": 0, "signed_offsets": [], "plain_offsets": [],
           "rounds": []}
    start = res["start"] = time.time()
    n_rounds = max(1, int(a.duration * a.rate))
    for r in range(n_rounds):
        res["rounds"].append([round(time.time() - start, 3), 0, 0])
        kinds = ["signed"] + (["plain"] if a.plain else [])
        for kind in kinds:
            cookie = os.urandom(8)
            # NTPv3 client; Windows puts 0xAAAAAAAA in the root dispersion.
            hdr = b"\x1b\x00\x0a\xec" + b"\x00" * 4 + b"\xaa" * 4 + b"\x00" * 28 + cookie
            # Extended: key id, reserved, flags USE_OLDKEY_VERSION, hints NTLM_PWD_HASH, digest.
            trailer = (struct.pack("<I", a.rid) + b"\x00\x01\x01\x00" + b"\x00" * 64
                       if a.extended else struct.pack("<I", a.rid) + b"\x00" * 16)
            pkt = hdr + (trailer if kind == "signed" else b"")
            pending[cookie] = (kind, time.time(), r)
            s.send(pkt)
            res[kind + "_sent"] += 1
        deadline = start + (r + 1) / a.rate if r + 1 < n_rounds else time.time() + a.wait
        while True:
            left = deadline - time.time()
            if left <= 0:
                break
            if not select.select([s], [], [], left)[0]:
                continue
            try:
                b = s.recv(2048)
            except ConnectionRefusedError:
                continue
            t4 = time.time()
            if len(b) < 48 or b[24:32] not in pending:
                continue
            kind, t1, rr = pending.pop(b[24:32])
            t2, t3 = from_ntp(b[32:40]), from_ntp(b[40:48])
            off = ((t2 - t1) + (t3 - t4)) / 2
            if kind == "plain":
                if len(b) == 48:
                    res["plain_ok"] += 1
                    res["plain_offsets"].append(off)
                    res["rounds"][rr][1] += 1
                continue
            if len(b) != 68:
                res["signed_unsigned"] += 1
                continue
            if any(hashlib.md5(k + b[:48]).digest() == b[52:68] for k in keys):
                res["signed_ok"] += 1
                res["signed_offsets"].append(off)
                res["rounds"][rr][2] += 1
            else:
                res["signed_bad_mac"] += 1
    for k in ("signed_offsets", "plain_offsets"):
        v = sorted(res[k])
        res[k.replace("offsets", "median_offset")] = v[len(v) // 2] if v else None
        del res[k]
    print(json.dumps(res))


if __name__ == "__main__":
    main()

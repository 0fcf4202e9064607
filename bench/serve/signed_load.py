#!/usr/bin/python3
"""signed_load.py - MS-SNTP signing load and plain-NTP latency meanwhile.

  signed_load.py --server IP --rid RID --keytab FILE --principal NAME$
                 [--duration S] [--window W] [--probe-interval S]

Keeps WINDOW signed (68-octet, key id = RID) requests in flight for DURATION
seconds, each answer checked against the account's NT hash (the keytab's RC4
key; an unanswered request is written off after 1 s), and meanwhile sends a
plain 48-octet request every PROBE_INTERVAL seconds from another socket,
timing its round trip. Prints one JSON object: signed answers/s, bad or
unsigned answers, and the plain round trip's median and 99th percentile.
"""
import argparse
import hashlib
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tests", "tools"))
from mssntp_client import keytab_rc4_keys  # noqa: E402

EXPIRE = 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--port", type=int, default=123)
    ap.add_argument("--rid", type=int, required=True)
    ap.add_argument("--keytab", required=True)
    ap.add_argument("--principal", required=True)
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--window", type=int, default=32)
    ap.add_argument("--probe-interval", type=float, default=0.01)
    a = ap.parse_args()
    keys = keytab_rc4_keys(a.keytab, a.principal)
    trailer = struct.pack("<I", a.rid) + b"\x00" * 16

    signed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    signed.connect((a.server, a.port))
    plain = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    plain.connect((a.server, a.port))
    inflight = {}  # cookie -> time sent
    probe = None   # (cookie, time sent)
    ok = bad = unsigned = expired = 0
    rtts = []
    start = time.time()
    next_probe = start
    while True:
        now = time.time()
        if now - start >= a.duration:
            break
        for c, t in list(inflight.items()):
            if now - t > EXPIRE:
                del inflight[c]
                expired += 1
        while len(inflight) < a.window:
            c = os.urandom(8)
            signed.send(b"\x1b" + b"\x00" * 39 + c + trailer)
            inflight[c] = time.time()
        if now >= next_probe:
            probe = (os.urandom(8), time.time())
            plain.send(b"\x23" + b"\x00" * 39 + probe[0])
            next_probe = now + a.probe_interval
        for s in select.select([signed, plain], [], [], max(0, next_probe - now))[0]:
            try:
                b = s.recv(2048)
            except ConnectionRefusedError:
                continue
            if s is plain:
                if probe is not None and len(b) == 48 and b[24:32] == probe[0]:
                    rtts.append(time.time() - probe[1])
                    probe = None
                continue
            if len(b) < 48 or inflight.pop(b[24:32], None) is None:
                continue
            if len(b) != 68:
                unsigned += 1
            elif any(hashlib.md5(k + b[:48]).digest() == b[52:68] for k in keys):
                ok += 1
            else:
                bad += 1
    elapsed = time.time() - start
    rtts.sort()
    pct = (lambda q: round(rtts[min(len(rtts) - 1, int(q * len(rtts)))] * 1e6, 1)
           if rtts else None)
    print(json.dumps({"signed_per_s": round(ok / elapsed, 1), "bad_mac": bad,
                      "unsigned": unsigned, "unanswered": expired,
                      "plain_probes": len(rtts), "plain_rtt_median_us": pct(0.5),
                      "plain_rtt_p99_us": pct(0.99)}))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""fakentp.py - a scripted NTP server on loopback for integration tests.

What no real server in the test world does on demand: answer with a
kiss-o'-death DENY or RSTR (neither chronyd nor domtimed has access control
that refuses one client), and announce a leap second at a chosen midnight
(chronyd takes leap seconds from the real date, which is never near one).

  fakentp.py --port P [--addr A] [--offset S] [--offset-file F]
             [--leap insert|delete] [--mode-file F]

Its time is the kernel's plus S seconds. With --leap it announces the leap
until the next midnight UTC of its own time (an insertion through the
repeated 23:59:59) and applies it there (an insertion repeats 23:59:59, a
deletion skips it). --offset-file: seconds
added to that, read at every request (a clock that jumps). The mode, read
from F at every request (when F exists): good, deny, rstr or silent.
"""
import argparse
import socket
import struct
import time

NTP_EPOCH = 2208988800  # seconds from 1900 to 1970


def ntp_ts(t):
    secs = int(t) + NTP_EPOCH
    frac = int((t - int(t)) * 2**32) & 0xFFFFFFFF
    return (secs << 32) | frac


class Clock:
    def __init__(self, offset, leap):
        self.offset = offset
        self.leap = {"insert": 1, "delete": -1}.get(leap, 0)
        self.jump = 0.0
        start = time.time() + offset
        self.midnight = (int(start) // 86400 + 1) * 86400

    def now(self):
        """Our time, and the leap indicator to send with it."""
        t = time.time() + self.offset + self.jump
        if self.leap > 0:
            # Still announced in the repeated second, as some servers do.
            return (t, 1) if t < self.midnight else (t - 1, 1 if t < self.midnight + 1 else 0)
        if self.leap < 0:
            return (t, 2) if t < self.midnight - 1 else (t + 1, 0)
        return t, 0


def read_file(path, default):
    try:
        with open(path) as f:
            return f.read().strip() or default
    except (OSError, TypeError):
        return default


def answer(req, clock, how, t_recv, li_recv):
    vn = (req[0] >> 3) & 7 or 4
    origin = req[40:48]
    poll = req[2]
    if how in ("deny", "rstr"):
        head = struct.pack("!BBbb", (3 << 6) | (vn << 3) | 4, 0, poll, -20)
        return head + struct.pack("!II", 0, 0) + how.upper().encode() + bytes(8) + origin + \
            bytes(16)
    t_send, li = clock.now()
    head = struct.pack("!BBbb", (li_recv << 6) | (vn << 3) | 4, 1, poll, -20)
    return head + struct.pack("!II", 0, 0x10) + b"GPS\0" + struct.pack("!Q", ntp_ts(t_recv)) + \
        origin + struct.pack("!QQ", ntp_ts(t_recv), ntp_ts(t_send))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--offset", type=float, default=0.0)
    ap.add_argument("--offset-file")
    ap.add_argument("--leap", choices=("insert", "delete"))
    ap.add_argument("--mode-file")
    a = ap.parse_args()
    clock = Clock(a.offset, a.leap)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    print("ready", flush=True)
    while True:
        req, peer = s.recvfrom(1024)
        clock.jump = float(read_file(a.offset_file, "0"))
        t_recv, li = clock.now()
        if len(req) < 48 or req[0] & 7 != 3:
            continue
        how = read_file(a.mode_file, "good")
        if how == "silent":
            continue
        s.sendto(answer(req, clock, how, t_recv, li), peer)


if __name__ == "__main__":
    main()

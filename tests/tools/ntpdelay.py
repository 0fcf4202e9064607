#!/usr/bin/python3
"""Send NTP client requests to a server for a while; print the worst reply delay.

    ntpdelay.py PORT SECONDS [HOST]

One request every 10 ms, each waited for (1 s at most: then it counts as
lost). Prints "worst=SECONDS answered=N lost=M" when SECONDS are over, or
at SIGTERM (so a caller can stop it when what it measures is done). Stdlib
only; for the integration tests and bench/discovery, to show that the NTP
loop keeps answering while the daemon does other work.
"""
import signal
import socket
import struct
import sys
import time


class Stop(Exception):
    pass


def stop(signum, frame):
    raise Stop()


def main():
    port, seconds = int(sys.argv[1]), float(sys.argv[2])
    host = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    worst, answered, lost = 0.0, 0, 0
    end = time.monotonic() + seconds
    signal.signal(signal.SIGTERM, stop)
    try:
        while time.monotonic() < end:
            req = struct.pack(">B", 4 << 3 | 3) + b"\0" * 39 + struct.pack(">d", time.monotonic())
            t = time.monotonic()
            s.sendto(req, (host, port))
            try:
                s.recv(100)
                answered += 1
                worst = max(worst, time.monotonic() - t)
            except socket.timeout:
                lost += 1
            time.sleep(0.01)
    except Stop:
        pass
    print("worst=%.6f answered=%d lost=%d" % (worst, answered, lost), flush=True)


if __name__ == "__main__":
    main()

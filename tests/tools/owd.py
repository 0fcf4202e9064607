#!/usr/bin/python3
"""One-way delay probe between two test namespaces.

All network namespaces share the machine's clock, so a one-way delay is the
receiver's kernel RX timestamp (SO_TIMESTAMPNS) minus the sender's
CLOCK_REALTIME taken just before sendto(). Used by tests/lib/netns-selftest.sh
to check that linkdelay delays each direction by what was asked.

  owd.py recv PORT COUNT TIMEOUT_S OUTFILE
      bind UDP PORT (IPv4 and IPv6), print "ready" on stdout and close it,
      collect up to COUNT probes (stop TIMEOUT_S after the last one), write
      "n=N min= avg= max= sd= p5= p50= p95= p99=" (milliseconds) to OUTFILE.
  owd.py send HOST PORT COUNT INTERVAL_S
"""
import socket
import statistics
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def recv(port, count, timeout, outfile):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind(("::", port))
    s.settimeout(timeout)
    print("ready", flush=True)
    sys.stdout.close()
    delays = []
    while len(delays) < count:
        try:
            data, anc, _, _ = s.recvmsg(64, socket.CMSG_SPACE(16))
        except socket.timeout:
            break
        rx = None
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, nsec = struct.unpack("qq", cdata[:16])
                rx = sec * 1_000_000_000 + nsec
        if rx is None or len(data) < 8:
            continue
        (tx,) = struct.unpack("!Q", data[:8])
        delays.append((rx - tx) / 1e6)
    with open(outfile, "w") as f:
        if delays:
            d = sorted(delays)

            def pct(p):
                return d[min(len(d) - 1, int(p / 100.0 * len(d)))]

            f.write("n=%d min=%.3f avg=%.3f max=%.3f sd=%.3f p5=%.3f p50=%.3f p95=%.3f"
                    " p99=%.3f\n"
                    % (len(d), d[0], statistics.mean(d), d[-1], statistics.pstdev(d),
                       pct(5), pct(50), pct(95), pct(99)))
        else:
            f.write("n=0\n")


def send(host, port, count, interval):
    addr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    s = socket.socket(addr[0], socket.SOCK_DGRAM)
    nxt = time.monotonic()
    for _ in range(count):
        s.sendto(struct.pack("!Q", time.clock_gettime_ns(time.CLOCK_REALTIME)), addr[4])
        nxt += interval
        pause = nxt - time.monotonic()
        if pause > 0:
            time.sleep(pause)


def main(argv):
    if len(argv) == 6 and argv[1] == "recv":
        recv(int(argv[2]), int(argv[3]), float(argv[4]), argv[5])
    elif len(argv) == 6 and argv[1] == "send":
        send(argv[2], int(argv[3]), int(argv[4]), float(argv[5]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

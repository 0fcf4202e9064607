#!/bin/bash
# Rate limiting: a client over its burst gets KoD RATE (or nothing, with
# ratelimit_kod = no), others are unaffected, and the client table stays the
# size it was configured to whatever the number of clients.
. "$(dirname "$0")/../lib/common.sh"

port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$port" "reliable = yes" "ratelimit = yes" \
	"ratelimit_interval = 6" "ratelimit_burst = 3" "client_table_size = 1024"
start_domtimed srv
mem0=$(ctl srv counters --json | json 'j["ntp"]["client_table_bytes"]')

burst() { # SOURCE COUNT: send COUNT requests from SOURCE, print what came back
	"$PY" - "$port" "$1" "$2" <<'PY'
import socket, struct, sys
port, src, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(2)
out = []
for i in range(n):
    req = struct.pack(">B", 4 << 3 | 3) + b"\0" * 39 + struct.pack(">Q", i + 1)
    s.sendto(req, ("127.0.0.1", port))
    try:
        r = s.recv(100)
    except socket.timeout:
        out.append("none")
        continue
    assert len(r) <= len(req)
    leap, stratum, refid = r[0] >> 6, r[1], r[12:16]
    out.append("kod" if (leap, stratum, refid) == (3, 0, b"RATE") else "time")
print(" ".join(out))
PY
}
got=$(burst 127.0.0.2 6)
check "burst of 3 answered, then KoD RATE ($got)" test "$got" = "time time time kod kod kod"
got=$(burst 127.0.0.3 2)
check "another client is not affected ($got)" test "$got" = "time time"
c=$(ctl srv counters --json)
check "kod_rate counted" test "$(json 'j["ntp"]["kod_rate"]' <<<"$c")" = 3
check "rate_limited counted" test "$(json 'j["ntp"]["rate_limited"]' <<<"$c")" = 3

# 5,000 distinct source addresses (more than the 1,024 records): the table does not grow.
answered=$("$PY" - "$port" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])
req = struct.pack(">B", 4 << 3 | 3) + b"\0" * 47
answered = 0
for i in range(5000):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.1.%d.%d" % (i // 250, i % 250 + 1), 0))
    s.settimeout(1)
    s.sendto(req, ("127.0.0.1", port))
    answered += len(s.recv(100)) == 48
    s.close()
print(answered)
PY
)
check "5,000 new clients all answered ($answered)" test "$answered" = 5000
mem1=$(ctl srv counters --json | json 'j["ntp"]["client_table_bytes"]')
check "client table memory fixed ($mem0 -> $mem1 bytes)" test "$mem0" = "$mem1"

# Without KoD, limited requests get nothing at all.
sed -i 's/^ratelimit = yes/ratelimit = yes\nratelimit_kod = no/' "$T_DIR/srv.conf"
ctl srv reload >/dev/null
got=$(burst 127.0.0.4 4)
check "with ratelimit_kod = no the fourth request is dropped ($got)" \
	test "$got" = "time time time none"
t_done

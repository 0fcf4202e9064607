#!/bin/bash
# Rate limiting: of a client's requests over its burst only the first and
# then one in 2^ratelimit_leak are answered, with KoD RATE (or the time, with
# ratelimit_kod = no), the rest dropped; others are unaffected; what the table
# remembers survives a reload; and the client table stays the size it was
# configured to whatever the number of clients.
. "$(dirname "$0")/../lib/common.sh"

port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$port" "reliable = yes" "ratelimit = yes" \
	"ratelimit_interval = 6" "ratelimit_burst = 3" "ratelimit_leak = 2" "client_table_size = 1024"
start_domtimed srv
mem0=$(ctl srv counters --json | json 'j["ntp"]["client_table_bytes"]')

burst() { # SOURCE COUNT: send COUNT requests from SOURCE, print what came back
	"$PY" - "$port" "$1" "$2" <<'PY'
import socket, struct, sys
port, src, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(0.5)
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
got=$(burst 127.0.0.2 12)
check "burst of 3 answered, then KoD to one limited request in 4 ($got)" \
	test "$got" = "time time time kod none none none kod none none none kod"
got=$(burst 127.0.0.3 2)
check "another client is not affected ($got)" test "$got" = "time time"
c=$(ctl srv counters --json)
check "kod_rate counted" test "$(json 'j["ntp"]["kod_rate"]' <<<"$c")" = 3
check "rate_limited counted" test "$(json 'j["ntp"]["rate_limited"]' <<<"$c")" = 9
check "the dropped ones counted" \
	test "$(json 'j["ntp"]["dropped"]["rate_limited"]' <<<"$c")" = 6
ctl srv reload >/dev/null
got=$(burst 127.0.0.2 1)
check "a reload does not hand the limited client a fresh burst ($got)" test "$got" = none

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

# Without KoD, the limited requests that are answered get the time (chrony's leak).
sed -i 's/^ratelimit = yes/ratelimit = yes\nratelimit_kod = no/' "$T_DIR/srv.conf"
ctl srv reload >/dev/null
got=$(burst 127.0.0.4 8)
check "with ratelimit_kod = no one limited request in 4 gets the time ($got)" \
	test "$got" = "time time time time none none none time"
t_done

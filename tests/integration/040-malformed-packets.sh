#!/bin/bash
# Short, oversized, truncated-MAC, wrong-version, and mode 0/2/4/5/6/7
# datagrams are dropped and counted by reason; nothing is ever answered with
# more octets than it carried, and good requests around them still work.
. "$(dirname "$0")/../lib/common.sh"

port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$port" "reliable = yes"
start_domtimed srv

"$PY" - "$port" >"$T_DIR/probe.out" <<'PY'
import socket, struct, sys
port = int(sys.argv[1])

def hdr(vn=4, mode=3, li=0):
    return struct.pack(">BBbbIII", li << 6 | vn << 3 | mode, 0, 6, -20, 0, 0, 0) + \
        b"\0" * 24 + struct.pack(">Q", 0x0123456789abcdef)

cases = {
    "short": hdr()[:47],
    "empty": b"",
    "oversized": hdr() + b"\0" * 2000,
    "truncated_mac": hdr() + b"\0\0\0\x07" + b"\x55" * 6,
    "bad_ef": hdr() + struct.pack(">HH", 0x0104, 400) + b"\0" * 28,
    "version_0": hdr(vn=0),
    "version_5": hdr(vn=5),
    "version_7": hdr(vn=7),
    "mode_0": hdr(mode=0),
    "mode_2": hdr(mode=2),
    "mode_4": hdr(mode=4),
    "mode_5": hdr(mode=5),
    "mode_6": hdr(vn=2, mode=6)[:12],
    "mode_6_full": hdr(vn=2, mode=6),
    "mode_7": hdr(vn=2, mode=7),
    "md5_mac": hdr() + b"\0\0\0\x07" + b"\x55" * 16,
    "mssntp": hdr(vn=3) + b"\x51\x04\0\0" + b"\0" * 16,
}
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for name, data in cases.items():
    s.sendto(data, ("127.0.0.1", port))
# The server handles datagrams in order: every reply before the answer to
# this good request (its own cookie) would be a reply to a bad one.
good = hdr()[:40] + struct.pack(">Q", 0xfeedfacecafebeef)
s.sendto(good, ("127.0.0.1", port))
while True:
    reply = s.recv(4096)
    if reply[24:32] == good[40:48]:
        print("good", len(reply))
        break
    print("answered", len(reply), reply[24:32].hex())
PY
cat "$T_DIR/probe.out" >"$T_DIR/probe.log"
check "no malformed or unanswerable datagram got an answer" \
	bash -c "! grep -q '^answered' '$T_DIR/probe.out'"
check "a good request is answered with 48 octets" grep -qx 'good 48' "$T_DIR/probe.out"

c=$(ctl srv counters --json)
expect() { # REASON COUNT
	local got
	got=$(json "j['ntp']['dropped']['$1']" <<<"$c")
	check "dropped.$1 = $2 (got $got)" test "$got" = "$2"
}
expect short 3 # short, empty and the 12-octet mode 6
expect oversized 1
expect bad_trailer 1
expect bad_extension_field 1
expect bad_version 3
expect mode_0_reserved 1
expect mode_2_symmetric_passive 1
expect mode_4_server 1
expect mode_5_broadcast 1
expect mode_6_control 1
expect mode_7_private 1
expect authenticated 2
check "received counts everything ($(json 'j["ntp"]["received"]' <<<"$c"))" \
	test "$(json 'j["ntp"]["received"]' <<<"$c")" = 18
check "answered only the good one" test "$(json 'j["ntp"]["answered"]' <<<"$c")" = 1
t_done

#!/bin/bash
# A reliable domtimed serving a virtual clock 0.5 s ahead: real clients
# (chronyd -x, python3-ntplib, over IPv4 and IPv6) see that offset within
# 1 ms, stratum 1, refid LOCL.
. "$(dirname "$0")/../lib/common.sh"

port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$port [::1]:$port" "clock_offset = 0.5" \
	"reliable = yes"
start_domtimed srv

# chronyd -Q prints "System clock wrong by X seconds", X = server - local.
out=$(chronyd -x -Q -t 10 "server 127.0.0.1 port $port iburst minpoll -4 maxpoll -4" 2>&1)
x=$(sed -n 's/.*System clock wrong by \([-0-9.]*\) seconds.*/\1/p' <<<"$out")
if [ -n "$x" ] && fcheck "abs($x - 0.5) < 0.001"; then
	pass "chronyd -x -Q sees the server $x s ahead"
else
	fail "chronyd -x -Q: expected 0.5 s, got '${x:-nothing}': $out"
fi

for host in 127.0.0.1 ::1; do
	r=$("$PY" - "$host" "$port" <<'PY'
import sys, ntplib
# Best of five by round-trip delay: Python's own scheduling noise stays out.
c = ntplib.NTPClient()
r = min((c.request(sys.argv[1], port=int(sys.argv[2]), version=4, timeout=2)
         for _ in range(5)), key=lambda r: r.delay)
refid = r.ref_id.to_bytes(4, "big").decode("ascii", "replace")
print(r.offset, r.stratum, refid, r.leap, r.mode)
PY
	)
	read -r off stratum refid leap mode <<<"$r"
	if fcheck "abs($off - 0.5) < 0.001" && [ "$stratum" = 1 ] && [ "$refid" = LOCL ] &&
		[ "$leap" = 0 ] && [ "$mode" = 4 ]; then
		pass "ntplib over $host: offset $off, stratum 1, refid LOCL"
	else
		fail "ntplib over $host: got '$r'"
	fi
done

st=$(ctl srv status --json)
check "status says stratum 1, LOCL, synchronised, virtual" \
	test "$(json '[j["stratum"], j["refid"], j["synchronized"], j["clock"]]' <<<"$st")" = \
	'[1, "LOCL", true, "virtual"]'
check "status reports the virtual clock's true error" \
	fcheck "abs($(json 'j["clock_error"]' <<<"$st") - 0.5) < 1e-3"
answered=$(ctl srv counters --json | json 'j["ntp"]["answered"]')
check "counters count the answers ($answered)" test "$answered" -ge 3
t_done

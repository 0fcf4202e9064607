#!/bin/bash
# bench/discovery: wall time and LDAP round trips for one discovery of the
# test forest and of a generated large forest (50 domains, 1,000 DCs, 100
# sites, 2,000 subnets), each as a member and as a DC, median of a few runs.
# Targets (printed, not asserted): under 1 s, and a round-trip count that does
# not grow with the number of DCs.
#
# Then the daemon itself reads a forest of 5,000 DCs and 20,000 subnets (50
# domains, 200 sites) while tests/tools/ntpdelay.py sends it an NTP request
# every 10 ms: printed are the read and build times the daemon logs and the
# worst NTP reply delay during two reads, beside the worst with nothing to
# do and the worst while another process (dirprobe) does the same two reads
# (the control: slapd and a reader loading a shared machine), and the time
# the loop itself spent taking the new picture (the daemon logs it).
# Targets: under 1 ms for both, the probe's against the control (the picture
# is built and freed on the discovery thread). BIG=0 skips this part.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
runs=${RUNS:-5}
dirprobe=$build/dirprobe
[ -x "$dirprobe" ] || { echo "bench/discovery: build $dirprobe first (make ldap-tools)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/discovery: needs root (the test world)"; exit 1; }
worlds=()
cleanup() {
	for w in "${worlds[@]}"; do
		"$top/tests/world/world.sh" stop "$w" >/dev/null 2>&1
		rm -rf "$w" "$w.log"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure WORLD MACHINE: median elapsed and round trips over $runs discoveries.
measure() {
	local w=$1 m=$2
	(
		. "$w/env"
		"$dirprobe" --keytab "$KEYTAB_DIR/$m.keytab" --dns-server "127.0.0.1:$DNS_PORT" \
			--ldap-nocanon yes --timeout 10 --repeat "$runs" --interval 0.2 2>/dev/null
	) | sed -n 's/^result .*elapsed=\([0-9.]*\) round_trips=\([0-9]*\) errors=\([0-9]*\).*/\1 \2 \3/p' |
		sort -n | awk -v n="$runs" '{ t[NR] = $1; rt[NR] = $2; e += $3 }
			END { m = int((NR + 1) / 2); printf "%.3f %d %d %d\n", t[m], rt[m], e, NR }'
}

printf '%-28s %-10s %10s %12s %8s\n' forest machine "wall (s)" "round trips" errors
for kind in small large; do
	w=$(mktemp -d /dev/shm/dtb.XXXXXX)
	worlds+=("$w")
	"$top/tests/world/world.sh" start "$w" $([ $kind = large ] && echo --large --members 2) \
		>"$w.log" 2>&1 || { echo "world ($kind) did not start: $(tail -n 3 "$w.log")"; exit 1; }
	dcs=$(awk -F'\t' 'NR > 1 && $5 ~ /dc|pdc/' "$w/data/machines.tsv" | wc -l)
	member=$(awk -F'\t' 'NR > 1 && $5 == "member" { print $1; exit }' "$w/data/machines.tsv")
	dc=$(awk -F'\t' 'NR > 1 && $5 == "dc" { print $1; exit }' "$w/data/machines.tsv")
	for m in "$member" "$dc"; do
		read -r t rt e n <<<"$(measure "$w" "$m")"
		printf '%-28s %-10s %10s %12s %8s\n' "$kind ($dcs DCs)" "$m" "$t" "$rt" "$e/$n runs"
	done
done
echo "targets: wall < 1 s; round trips independent of the number of DCs (they grow with"
echo "pages of 1,000 entries and with domains, whose NC heads are read one each)"
[ "${BIG:-1}" = 1 ] || exit 0

# ---- the daemon and a forest of 5,000 DCs -------------------------------------------
PY=/usr/bin/python3
free_port() {
	"$PY" -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# The worst delay, answered and lost counts of an ntpdelay.py report on stdin.
worst() { sed -n 's/^worst=\([0-9.]*\) answered=\([0-9]*\) lost=\([0-9]*\)/\1 \2 \3/p'; }
w=$(mktemp -d /dev/shm/dtb.XXXXXX)
worlds+=("$w")
echo
echo "the daemon reads a forest of 50 domains, 5,000 DCs, 200 sites, 20,000 subnets:"
"$top/tests/world/world.sh" start "$w" --size 50,5000,200,20000 >"$w.log" 2>&1 ||
	{ echo "world (5,000 DCs) did not start: $(tail -n 3 "$w.log")"; exit 1; }
KEYTAB_DIR=$(. "$w/env" && echo "$KEYTAB_DIR")
DNS_PORT=$(. "$w/env" && echo "$DNS_PORT")
port=$(free_port)
{
	echo "listen = 127.0.0.1:$port"
	echo "control_socket = $w/domtimed.sock"
	echo "drift_file = $w/domtimed.drift"
	echo "clock = virtual"
	echo "announce_flags = 0x1"
	echo "keytab = $KEYTAB_DIR/d49dc02.keytab"
	echo "dns_server = 127.0.0.1:$DNS_PORT"
	echo "ldap_nocanon = yes"
	echo "ldap_timeout = 10"
} >"$w/domtimed.conf"
(. "$w/env" && exec "$build/domtimed" -d -f "$w/domtimed.conf") >"$w/domtimed.log" 2>&1 &
dpid=$!
trap 'kill $dpid 2>/dev/null; wait $dpid 2>/dev/null; cleanup' EXIT
reads() { grep -c 'directory read from' "$w/domtimed.log"; }
# wait_reads N: wait up to 60 s until the daemon has read the forest N times.
wait_reads() {
	for _ in $(seq 600); do
		[ "$(reads)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
wait_reads 1 || { echo "the daemon did not read the forest: $(tail -n 3 "$w/domtimed.log")"; exit 1; }
read -r idle _ _ <<<"$("$PY" "$top/tests/tools/ntpdelay.py" "$port" 2 | worst)"
# Two more reads while the probe runs; the second also retires the first picture.
"$PY" "$top/tests/tools/ntpdelay.py" "$port" 1000 >"$w/probe.out" &
ppid=$!
sleep 0.5
"$build/domtimectl" -s "$w/domtimed.sock" rediscover >/dev/null
wait_reads 2 && "$build/domtimectl" -s "$w/domtimed.sock" rediscover >/dev/null
wait_reads 3
sleep 0.5
kill -TERM $ppid # ntpdelay.py reports what it saw so far
wait $ppid
line=$(grep 'directory read from' "$w/domtimed.log" | tail -n 1)
read_s=$(sed -n 's/.* in \([0-9.]*\) s (.*/\1/p' <<<"$line")
build_s=$(sed -n 's/.*built in \([0-9.]*\) s.*/\1/p' <<<"$line")
counts=$(sed -n 's/.*: \([0-9]* domain(s), [0-9]* DC(s), [0-9]* site(s), [0-9]* subnet(s)\).*/\1/p' <<<"$line")
took=$(grep 'the loop took the picture in' "$w/domtimed.log" | tail -n 1 |
	sed -n 's/.*took the picture in \([0-9.]*\) ms.*/\1/p')
read -r busy answered lost <<<"$(worst <"$w/probe.out")"
# The control: the same read done by another process (dirprobe), the daemon
# idle. What the probe sees then is the machine's load (slapd and a reader
# busy on a shared CPU), not the daemon's loop.
"$PY" "$top/tests/tools/ntpdelay.py" "$port" 1000 >"$w/control.out" &
ppid=$!
sleep 0.5
(. "$w/env" && "$dirprobe" --keytab "$KEYTAB_DIR/d49dc02.keytab" --dns-server "127.0.0.1:$DNS_PORT" \
	--ldap-nocanon yes --timeout 10 --repeat 2 >/dev/null 2>&1)
sleep 0.5
kill -TERM $ppid
wait $ppid
read -r idle2 _ _ <<<"$(worst <"$w/control.out")"
echo "  picture: $counts"
printf '  %-48s %10s\n' "read (on the discovery thread)" "$read_s s" \
	"of which building the picture (same thread)" "$build_s s" \
	"the loop's time taking the picture and policy" "$took ms" \
	"worst NTP reply delay, idle" "$idle s" \
	"... idle while another process reads it twice" "$idle2 s" \
	"worst NTP reply delay, during two reads" "$busy s"
echo "  NTP requests answered during the reads: $answered, lost: $lost"
awk -v b="$busy" -v i="$idle2" 'BEGIN { d = (b - i) * 1000
	printf "  target: its own reads add under 1 ms to the worst reply delay (against the\n"
	printf "  same reads by another process): %+.3f ms (%s)\n", d, d < 1 ? "met" : "NOT met" }'
awk -v t="$took" 'BEGIN { printf "  target: the loop works under 1 ms on a new picture: %.3f ms (%s)\n",
	t, t < 1 ? "met" : "NOT met" }'

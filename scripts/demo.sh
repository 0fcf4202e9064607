#!/bin/bash
# make demo: domtimed serving a virtual clock on loopback, and a real chronyd
# (-x: it never touches this machine's clock) following it and reporting how
# far off it thinks the local clock is. Everything runs from a temp dir and is
# stopped on exit or Ctrl-C.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
rounds=${DEMO_ROUNDS:-10}
dir=$(mktemp -d /tmp/dt-demo.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 40000))
		ss -Hlun "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
port=$(free_port)
offset=0.25

cat >"$dir/domtimed.conf" <<CONF
# A reliable stand-alone server whose (virtual) clock runs $offset s ahead.
listen = 127.0.0.1:$port
control_socket = $dir/domtimed.sock
clock = virtual
clock_offset = $offset
reliable = yes
CONF
cat >"$dir/chrony.conf" <<CONF
server 127.0.0.1 port $port iburst minpoll -4 maxpoll -4
port 0
cmdport 0
bindcmdaddress $dir/chronyd.sock
pidfile $dir/chronyd.pid
CONF

echo "== domtimed: virtual clock $offset s ahead of this machine's, serving 127.0.0.1:$port"
"$build/domtimed" -d -f "$dir/domtimed.conf" 2>"$dir/domtimed.log" &
pids+=($!)
for _ in $(seq 100); do
	"$build/domtimectl" -s "$dir/domtimed.sock" status >/dev/null 2>&1 && break
	sleep 0.05
done
"$build/domtimectl" -s "$dir/domtimed.sock" status || { cat "$dir/domtimed.log"; exit 1; }

echo
echo "== chronyd -x (never steers the real clock) follows it:"
chronyd -x -d -u root -f "$dir/chrony.conf" >"$dir/chronyd.log" 2>&1 &
pids+=($!)
printf '%-6s %-30s %s\n' "t (s)" "chronyd: local clock vs server" "domtimed answered"
for i in $(seq "$rounds"); do
	sleep 1
	# CSV field 5 of tracking is "System time": server minus local, seconds.
	sys=$(chronyc -h "$dir/chronyd.sock" -n -c tracking 2>/dev/null | cut -d, -f5)
	answered=$("$build/domtimectl" -s "$dir/domtimed.sock" counters --json |
		/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ntp"]["answered"])')
	if [ -n "$sys" ]; then
		printf '%-6s %-30s %s\n' "$i" "$(printf '%+.6f s' "$sys")" "$answered"
	else
		printf '%-6s %-30s %s\n' "$i" "(not yet synchronised)" "$answered"
	fi
done
echo
echo "chronyd sees its clock about $offset s behind domtimed's: the virtual clock is served exactly."

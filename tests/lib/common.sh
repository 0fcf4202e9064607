# common.sh - shared helpers for integration tests (sourced, bash).
#
# Every test runs in its own short temp directory, starts only what it needs
# on loopback (or inside namespaces it creates), stops exactly the PIDs it
# started, and reports "PASS name" / "FAIL name: why" lines. Exit status: 0
# all passed, 1 something failed, 77 skipped.

set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
DOMTIMED=$BUILD/domtimed
DOMTIMECTL=$BUILD/domtimectl
PY=/usr/bin/python3
# shellcheck source=tests/lib/proc.sh
. "$TOP/tests/lib/proc.sh"
T_NAME=$(basename "$0" .sh)
T_FAILED=0
T_PIDS=()
T_CLEANUP=()

# Short paths: Unix sockets are limited to 107 bytes.
T_DIR=$(mktemp -d /tmp/dt.XXXXXX)

t_cleanup() {
	local pid i
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do
		eval "${T_CLEANUP[i]}" || true
	done
	for pid in "${T_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${T_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	if [ -n "${T_KEEP:-}" ]; then
		echo "kept $T_DIR"
		return
	fi
	if [ "$T_FAILED" -ne 0 ]; then
		# Leave the logs of a failed test where they can be read.
		for f in "$T_DIR"/*.log; do
			[ -f "$f" ] || continue
			echo "--- $f (last lines)"
			tail -n 20 "$f"
		done
	fi
	rm -rf "$T_DIR"
}
trap t_cleanup EXIT
trap 'exit 130' INT TERM

# Run COMMAND at exit, after everything started later has been stopped.
t_on_exit() {
	T_CLEANUP+=("$*")
}

pass() { echo "PASS $T_NAME: $*"; }
fail() {
	echo "FAIL $T_NAME: $*"
	T_FAILED=1
}
skip() {
	echo "SKIP $T_NAME: $*"
	exit 77
}
# check DESCRIPTION COMMAND...: pass if the command succeeds.
check() {
	local what=$1
	shift
	if "$@" >/dev/null; then pass "$what"; else fail "$what"; fi
}
t_done() {
	exit "$T_FAILED"
}

# free_port u|t: a UDP (u) or TCP (t) port nobody on this machine is bound to
# (any address); free_udp_port and free_tcp_port say which.
free_port() {
	local port
	while :; do
		port=$((20000 + RANDOM % 40000))
		if ! ss -Hl"$1"n "sport = :$port" | grep -q .; then
			echo "$port"
			return
		fi
	done
}
free_udp_port() { free_port u; }
free_tcp_port() { free_port t; }

# write_domtimed_conf NAME LINES...: a config in $T_DIR/NAME.conf with a
# control socket $T_DIR/NAME.sock, a drift file $T_DIR/NAME.drift and the
# virtual clock.
write_domtimed_conf() {
	local name=$1
	shift
	{
		echo "control_socket = $T_DIR/$name.sock"
		echo "drift_file = $T_DIR/$name.drift"
		echo "clock = virtual"
		echo "log_level = debug"
		printf '%s\n' "$@"
	} >"$T_DIR/$name.conf"
}

# start_domtimed NAME [PREFIX...]: run domtimed with $T_DIR/NAME.conf in the
# foreground (optionally under PREFIX, e.g. "ip netns exec NS"), log to
# $T_DIR/NAME.log, and wait until its control socket answers.
start_domtimed() {
	local name=$1
	shift
	"$@" "$DOMTIMED" -d -f "$T_DIR/$name.conf" >"$T_DIR/$name.log" 2>&1 &
	local pid=$!
	T_PIDS+=("$pid")
	eval "PID_$name=$pid"
	if ! wait_for 10 "$DOMTIMECTL" -s "$T_DIR/$name.sock" counters; then
		fail "domtimed $name did not start"
		cat "$T_DIR/$name.log"
		exit 1
	fi
}

# notify_listener NAME: a stand-in for systemd's notification socket at
# $T_DIR/NAME.notify, each message received appended to $T_DIR/NAME.notified;
# start the daemon with: start_domtimed NAME env NOTIFY_SOCKET=$T_DIR/NAME.notify
notify_listener() {
	"$PY" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace") + "\n")
' "$T_DIR/$1.notify" "$T_DIR/$1.notified" &
	T_PIDS+=("$!")
	wait_for 5 test -S "$T_DIR/$1.notify"
}

ctl() {
	local name=$1
	shift
	"$DOMTIMECTL" -s "$T_DIR/$name.sock" "$@"
}

# json EXPR: read JSON on stdin and print the Python expression EXPR over it
# (bound to j), e.g. json 'j["ntp"]["answered"]'.
json() {
	"$PY" -c 'import json,sys; j=json.load(sys.stdin); v='"$1"'; print(json.dumps(v) if isinstance(v,(dict,list,bool)) or v is None else v)'
}

# Floating-point comparison: fcheck "EXPR" with Python syntax.
fcheck() {
	"$PY" -c "import sys; sys.exit(0 if ($1) else 1)"
}

# Only for tests that need root (namespaces, port 123).
need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
}

# start_chronyd NAME [CONF LINES...]: a chronyd -x (it never touches the
# clock) serving NTP on 127.0.0.1:$PORT_NAME, with its command socket in
# $T_DIR; waits until chronyc can talk to it.
start_chronyd() {
	local name=$1
	shift
	local port
	port=$(free_udp_port)
	eval "PORT_$name=$port"
	{
		echo "port $port"
		echo "bindaddress 127.0.0.1"
		echo "allow 127.0.0.0/8"
		echo "cmdport 0"
		echo "bindcmdaddress $T_DIR/$name.chrony.sock"
		echo "pidfile $T_DIR/$name.chrony.pid"
		printf '%s\n' "$@"
	} >"$T_DIR/$name.chrony.conf"
	chronyd -x -d -u root -f "$T_DIR/$name.chrony.conf" >"$T_DIR/$name.log" 2>&1 &
	T_PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for 10 chronyc -h "$T_DIR/$name.chrony.sock" -n -c tracking ||
		{ fail "chronyd $name did not start"; exit 1; }
}

# start_fakentp NAME [FAKENTP.PY OPTIONS...]: the scripted server of
# tests/tools/fakentp.py on 127.0.0.1:$PORT_NAME; its mode (good, deny, rstr,
# silent) is what $T_DIR/NAME.mode says at each request.
start_fakentp() {
	local name=$1
	shift
	local port
	port=$(free_udp_port)
	eval "PORT_$name=$port"
	echo good >"$T_DIR/$name.mode"
	"$PY" "$TOP/tests/tools/fakentp.py" --port "$port" --mode-file "$T_DIR/$name.mode" "$@" \
		>"$T_DIR/$name.log" 2>&1 &
	T_PIDS+=("$!")
	eval "PID_$name=$!"
	wait_for 10 grep -q ready "$T_DIR/$name.log" || { fail "fakentp $name did not start"; exit 1; }
}

# chronyd NAME is synchronised (its tracking leap status is not "Not synchronised").
chronyd_synced() {
	chronyc -h "$T_DIR/$1.chrony.sock" -n -c tracking 2>/dev/null | grep -q ',Normal$'
}

# status_field NAME EXPR: a field of domtimectl status --json (Python expression on j).
status_field() {
	ctl "$1" status --json | json "$2"
}

# Seconds (since the call) until domtimed NAME's virtual clock is within
# LIMIT seconds of the truth, polling every 50 ms for at most MAX seconds;
# prints the time or "never".
time_to_error_below() {
	local name=$1 limit=$2 max=$3 start=$EPOCHREALTIME err
	while :; do
		err=$(status_field "$name" 'abs(j["clock_error"])' 2>/dev/null)
		if [ -n "$err" ] && fcheck "$err < $limit"; then
			"$PY" -c "print('%.2f' % ($EPOCHREALTIME - $start))"
			return 0
		fi
		if fcheck "$EPOCHREALTIME - $start > $max"; then
			echo never
			return 1
		fi
		sleep 0.05
	done
}

# start_world [WORLD.SH OPTIONS...]: the test world (tests/world: slapd, MIT
# KDC, dnsmasq on loopback) in a fresh directory $W, its env sourced, stopped
# at exit. Exits the test when it cannot start.
start_world() {
	W=$(mktemp -d /dev/shm/dtw.XXXXXX)
	t_on_exit "'$TOP/tests/world/world.sh' stop '$W' >/dev/null 2>&1; rm -rf '$W'"
	if ! "$TOP/tests/world/world.sh" start "$W" "$@" >"$T_DIR/world.log" 2>&1; then
		fail "the test world did not start"
		cat "$T_DIR/world.log"
		exit 1
	fi
	. "$W/env"
}

#!/bin/bash
# The control socket cannot be held hostage: a connection is closed a few
# seconds after accept whatever it does (idle, or dripping one octet at a
# time), a user may hold only a few at once, and root always gets in.
. "$(dirname "$0")/../lib/common.sh"
need_root

write_domtimed_conf srv "listen = 127.0.0.1:$(free_udp_port)" "reliable = yes" \
	"control_socket_mode = 0666"
start_domtimed srv
chmod 755 "$T_DIR"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# hog N DRIP: N connections as this process's user, each dripping one octet
# every DRIP seconds (0: idle); prints, per connection, how many seconds
# after connecting the daemon closed it, or -1 if it refused at once.
hog() {
	"$PY" - "$T_DIR/srv.sock" "$1" "$2" <<'PY'
import socket, sys, time, select
path, n, drip = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    conns.append((s, time.monotonic()))
time.sleep(0.3)
closed = {}
# A refused connection reads EOF at once; a held one stays open until the deadline.
frame = b'\x00\x00\x00\x40{'
sent = 0
deadline = time.monotonic() + 12
while len(closed) < n and time.monotonic() < deadline:
    r, _, _ = select.select([s for s, _ in conns if s not in closed], [], [], drip or 0.2)
    for s in r:
        try:
            data = s.recv(100)
        except OSError:
            data = b''
        if not data:
            closed[s] = time.monotonic()
    if drip and sent < len(frame) * 100:
        for s, _ in conns:
            if s not in closed:
                try:
                    s.send(frame[sent % len(frame):sent % len(frame) + 1])
                except OSError:
                    closed[s] = time.monotonic()
        sent += 1
for s, t0 in conns:
    t = closed.get(s)
    print(-1 if t is not None and t - t0 < 0.5 else round(t - t0, 1) if t else 99)
PY
}

out=$(hog 1 0)
check "an idle connection is closed at the deadline, ~5 s after accept ($out s)" \
	fcheck "4 <= $out <= 7"
out=$(hog 1 0.5)
check "so is one dripping an octet every 0.5 s ($out s)" fcheck "4 <= $out <= 7"

# nobody takes its 8 connections, then a 9th is refused; root still gets in.
as_nobody bash -c "$(declare -f hog); PY='$PY' T_DIR='$T_DIR' hog 10 0" >"$T_DIR/hog.out" &
hog_pid=$!
T_PIDS+=("$hog_pid")
sleep 1
check "while nobody holds its connections, root's status works" ctl srv status
check "and root may still reload" ctl srv reload
wait "$hog_pid"
refused=$(grep -c -- '^-1$' "$T_DIR/hog.out")
held=$(grep -vc -- '^-1$' "$T_DIR/hog.out")
check "a user holds at most 8 connections: $held held, $refused refused" \
	test "$held" -eq 8 -a "$refused" -eq 2
check "after the deadline the user gets in again" as_nobody "$DOMTIMECTL" -s "$T_DIR/srv.sock" status
rejected=$(ctl srv counters --json | json 'j["control"]["rejected"]')
check "refused and expired connections are counted ($rejected)" test "$rejected" -ge 12

# Four users with 7 connections each fill every slot but root's: a fifth
# user is refused, root still gets in.
hogs=()
for uid in 60001 60002 60003 60004; do
	setpriv --reuid=$uid --regid=$uid --clear-groups \
		bash -c "$(declare -f hog); PY='$PY' T_DIR='$T_DIR' hog 7 0" >"$T_DIR/hog.$uid" &
	hogs+=("$!")
done
T_PIDS+=("${hogs[@]}")
sleep 1
fifth=$(setpriv --reuid=60005 --regid=60005 --clear-groups \
	bash -c "$(declare -f hog); PY='$PY' T_DIR='$T_DIR' hog 1 0")
check "with 28 slots taken by four users, a fifth user is refused ($fifth)" test "$fifth" = -1
check "and root still gets in" ctl srv status
wait "${hogs[@]}"
check "each of the four held all 7 of its connections" \
	test "$(cat "$T_DIR"/hog.6000? | grep -vc -- '^-1$')" -eq 28
check "the daemon is still alive" alive "$PID_srv"

# domtimectl gives up after its timeout on a daemon that does not answer.
"$PY" -c "
import socket, time, sys
s = socket.socket(socket.AF_UNIX); s.bind('$T_DIR/mute.sock'); s.listen(4); time.sleep(10)" &
T_PIDS+=("$!")
wait_for 5 test -S "$T_DIR/mute.sock"
start=$EPOCHREALTIME
"$DOMTIMECTL" -s "$T_DIR/mute.sock" -t 1 status >/dev/null 2>"$T_DIR/mute.err"
rc=$?
took=$("$PY" -c "print('%.1f' % ($EPOCHREALTIME - $start))")
check "domtimectl -t 1 gives up on a mute daemon in $took s (rc $rc): $(cat "$T_DIR/mute.err")" \
	bash -c "test $rc -eq 1 && $PY -c 'import sys; sys.exit(not $took < 3)'"
t_done

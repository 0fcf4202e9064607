#!/bin/bash
# Start with nothing: no /etc/domtimed.conf, no keytab, no domain. The daemon
# runs on its defaults (the system clock, NTP on port 123, the control socket
# in /run/domtimed), says in the log and in status that it has no source,
# exits status with 3, and answers clients as unsynchronised.
#
# Safety: the defaults mean the system clock, so the daemon runs in its own
# network and mount namespaces (tmpfs over /run and /var/lib: no drift file,
# no socket of the machine's) with CAP_SYS_TIME removed from its bounding
# set. It could not change the machine's clock even if it tried; with no
# source and no drift file it does not try (the kernel frequency is kept as
# found).
. "$(dirname "$0")/../lib/common.sh"
need_root
[ -e /etc/domtimed.conf ] && skip "this machine has an /etc/domtimed.conf"
[ -e /etc/krb5.keytab ] && skip "this machine has a keytab: it would be a domain member"
getent passwd domtimed >/dev/null && skip "this machine has a domtimed user (the package is installed)"

cat >"$T_DIR/inner.sh" <<EOF
set -e
ip link set lo up
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /var/lib
exec setpriv --bounding-set=-sys_time --inh-caps=-sys_time "$DOMTIMED" -d
EOF
unshare --mount --net --propagation private bash "$T_DIR/inner.sh" >"$T_DIR/nocfg.log" 2>&1 &
PID=$!
T_PIDS+=("$PID")
# unshare and bash exec into the daemon: $PID is the daemon once it runs.
inside() { nsenter -t "$PID" -m -n "$@"; }
is_daemon() { [ "$(readlink "/proc/$PID/exe")" = "$(readlink -f "$DOMTIMED")" ]; }
up() { is_daemon && inside "$DOMTIMECTL" counters; }
wait_for 10 up || { fail "domtimed did not start with no configuration"; cat "$T_DIR/nocfg.log"; exit 1; }

check "the log says there is no configuration file" \
	grep -q 'no /etc/domtimed.conf: running on the defaults' "$T_DIR/nocfg.log"
check "the log says there is no source" grep -q 'no time source: standalone' "$T_DIR/nocfg.log"
inside "$DOMTIMECTL" status >"$T_DIR/status.txt"
rc=$?
check "status exits 3: not synchronised (got $rc)" test "$rc" -eq 3
check "status gives the reason: $(grep '^Reason:' "$T_DIR/status.txt")" \
	grep -q '^Reason: no time source: standalone host and ntp_server is empty' "$T_DIR/status.txt"
check "on the system clock, the default" grep -q '^Clock: system' "$T_DIR/status.txt"
answer=$(inside "$PY" -c '
import ntplib
r = ntplib.NTPClient().request("127.0.0.1", version=4, timeout=2)
print(r.leap, r.stratum)')
check "clients on port 123 are told leap 3, stratum 0 ($answer)" test "$answer" = "3 0"
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$PID/status")
check "it holds no CAP_SYS_TIME (CapEff $caps)" \
	test $((0x$caps & (1 << 25))) -eq 0
check "and nothing failed: no error line in its log" bash -c "! grep -q '\[error\]' '$T_DIR/nocfg.log'"
t_done

#!/bin/bash
# slapd frozen with SIGSTOP while the daemon reads the directory: NTP is
# still answered within 10 ms (discovery runs on its worker thread), the
# read times out, is logged and retried with back-off, and after SIGCONT the
# daemon recovers.
. "$(dirname "$0")/../lib/common.sh"
need_root

start_world
t_on_exit "kill -CONT $SLAPD_PID 2>/dev/null"

port=$(free_udp_port)
write_domtimed_conf dc "listen = 127.0.0.1:$port" "keytab = $KEYTAB_DIR/rootdc2.keytab" \
	"ldap_uri = $LDAP_URI" "dns_server = 127.0.0.1:$DNS_PORT" "ldap_timeout = 2" \
	"rediscover_backoff = 1" "announce_flags = 0x1"
start_domtimed dc
read_ok() { grep -c "directory read from" "$T_DIR/dc.log"; }
wait_for 10 bash -c "[ \$(grep -c 'directory read from' '$T_DIR/dc.log') -ge 1 ]"

kill -STOP "$SLAPD_PID"
ctl dc rediscover >/dev/null
# NTP round trips while the read hangs: each must come back within 10 ms.
worst=$("$PY" - "$port" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
worst = 0.0
end = time.monotonic() + 1.5
while time.monotonic() < end:
    req = struct.pack(">B", 4 << 3 | 3) + b"\0" * 39 + struct.pack(">d", time.monotonic())
    t = time.monotonic()
    s.sendto(req, ("127.0.0.1", int(sys.argv[1])))
    s.recv(100)
    worst = max(worst, time.monotonic() - t)
    time.sleep(0.01)
print("%.6f" % worst)
PY
)
check "NTP answered within 10 ms while slapd hangs (worst $worst s)" fcheck "$worst < 0.010"
check "the control socket answers too" ctl dc counters
failed() { grep -q "directory discovery failed" "$T_DIR/dc.log"; }
check "the read times out and says so" wait_for 10 failed
grep "directory discovery failed" "$T_DIR/dc.log" | head -n 1 | sed 's/^/   log: /'
retried() { [ "$(grep -c 'directory discovery failed' "$T_DIR/dc.log")" -ge 2 ]; }
check "and is retried with back-off" wait_for 15 retried
check "the back-off doubles (1 s, then 2 s)" grep -q "retrying in 2 s" "$T_DIR/dc.log"

before=$(read_ok)
kill -CONT "$SLAPD_PID"
recovered() { [ "$(read_ok)" -gt "$before" ]; }
check "after SIGCONT the next retry reads the forest again" wait_for 20 recovered
check "the picture is whole again" test \
	"$(ctl dc hierarchy --json | json '[j["self"]["role"], len(j["dcs"]), j["discovery"]["failures"]]')" = \
	'["dc", 5, 0]'
t_done

#!/bin/bash
# Never silent: whenever the clock is not synchronised (or something is
# degraded) status says why, in text and JSON, and exits 3; the daemon keeps
# serving NTP, announcing itself unsynchronised rather than vouching for a
# time it does not have.
#
# The standalone case runs from a minimal configuration (virtual clock,
# control socket, a loopback port, nothing else): no source, no keytab, no
# domain. (A start with no configuration file at all is issue 10's other
# half; this test uses the file the shared helpers write.)
. "$(dirname "$0")/../lib/common.sh"

leap_stratum() { # PORT: what an NTP client is told
	"$PY" - "$1" <<'PY'
import sys, ntplib
r = ntplib.NTPClient().request("127.0.0.1", port=int(sys.argv[1]), version=4, timeout=2)
print(r.leap, r.stratum)
PY
}
reason() { ctl "$1" status --json | json 'j["reason"]'; }

# --- standalone, no source --------------------------------------------------------
port=$(free_udp_port)
write_domtimed_conf alone "listen = 127.0.0.1:$port"
notify_listener alone
start_domtimed alone env NOTIFY_SOCKET="$T_DIR/alone.notify"
ctl alone status >"$T_DIR/alone.status"
rc=$?
check "status exits 3 when unsynchronised (got $rc)" test "$rc" -eq 3
check "the text says why: $(grep '^Reason:' "$T_DIR/alone.status")" \
	grep -q '^Reason: no time source: standalone host and ntp_server is empty' "$T_DIR/alone.status"
check "so does the JSON ($(reason alone))" bash -c "grep -q 'standalone' <<<'$(reason alone)'"
check "the JSON carries its version" \
	test "$(ctl alone status --json | json 'j["version"]')" = 1
check "the log says so at start" grep -q 'no time source: standalone' "$T_DIR/alone.log"
check "clients are told leap 3, stratum 0 ($(leap_stratum "$port"))" \
	test "$(leap_stratum "$port")" = "3 0"
check "systemd is told the reason: $(grep STATUS= "$T_DIR/alone.notified" | tail -n 1)" \
	grep -q '^STATUS=standalone; no source: no time source: standalone' "$T_DIR/alone.notified"
check "source exits 3 too" bash -c "ctl() { '$DOMTIMECTL' -s '$T_DIR/alone.sock' \"\$@\"; }; ctl source >/dev/null; test \$? -eq 3"

# --- a domain configured, its keytab missing: not an exit ---------------------------------
port=$(free_udp_port)
write_domtimed_conf nokt "listen = 127.0.0.1:$port" "domain = example.test" \
	"realm = EXAMPLE.TEST" "keytab = $T_DIR/missing.keytab"
start_domtimed nokt
check "with no keytab it runs: $(reason nokt)" \
	bash -c "grep -q '^directory unavailable: .*missing.keytab' <<<'$(reason nokt)'"
check "and keeps answering NTP ($(leap_stratum "$port"))" test "$(leap_stratum "$port")" = "3 0"

# --- discovery that fails -------------------------------------------------------------------
write_domtimed_conf dirfail "listen = 127.0.0.1:$(free_udp_port)" "domain = example.test" \
	"ldap_uri = ldap://127.0.0.1:1" "ldap_bind = anonymous" "ldap_timeout = 1" \
	"rediscover_backoff = 60"
start_domtimed dirfail
failed() { reason dirfail | grep -q '^cannot read the directory (1 failed reads in a row): '; }
check "a failed discovery is the reason, with why: $(reason dirfail)" wait_for 15 failed

# --- every source silent ------------------------------------------------------------------------
dead=$(free_udp_port)
write_domtimed_conf deaf "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" "max_poll = -4" \
	"ntp_server = 127.0.0.1:$dead"
start_domtimed deaf
silent() { reason deaf | grep -q '^none of the 1 source(s) answers'; }
check "an unreachable source is the reason: $(wait_for 15 silent; reason deaf)" silent
check "and peers says unreachable, never selected" \
	test "$(ctl deaf peers --json | json 'j["peers"][0]["state"]')" = unreachable
check "peers prints one line per source" \
	bash -c "ctl() { '$DOMTIMECTL' -s '$T_DIR/deaf.sock' \"\$@\"; }; ctl peers | grep -q '^? 127.0.0.1:$dead .* unreachable\$'"

# --- synchronised: no reason ------------------------------------------------------------------------
port=$(free_udp_port)
write_domtimed_conf local "listen = 127.0.0.1:$port" "reliable = yes"
start_domtimed local
check "a reliable standalone clock: status exits 0" ctl local status
check "and gives no reason" test "$(reason local)" = null

# --- the journal: state changes carry their message ID ----------------------------------------
# In a private mount namespace, a tmpfs on /run holds a stand-in for
# journald's socket; the daemon (no -d: it logs to the journal) sends there.
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
	write_domtimed_conf journal "listen = 127.0.0.1:$(free_udp_port)"
	timeout 20 unshare -m bash -c '
		mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/journal || exit 1
		"$0" -c "
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(\"/run/systemd/journal/socket\")
s.settimeout(10)
while True:
    m = s.recv(65536).decode(errors=\"replace\")
    if \"MESSAGE_ID=\" in m:
        print(m.replace(\"\n\", \" \"))
        break
" >"$1/journal.got" &
		py=$!
		while [ ! -S /run/systemd/journal/socket ]; do sleep 0.02; done
		"$2" -f "$1/journal.conf" 2>/dev/null &
		dt=$!
		wait "$py"
		kill "$dt"
		wait "$dt"
	' "$PY" "$T_DIR" "$DOMTIMED"
	check "the journal gets the event with its MESSAGE_ID: $(cat "$T_DIR/journal.got")" \
		grep -q 'MESSAGE_ID=12a085c6e1f341d4a7e5e49fa3443535.*MESSAGE=not synchronised: no time source|MESSAGE=not synchronised: no time source.*MESSAGE_ID=12a085c6e1f341d4a7e5e49fa3443535' -E "$T_DIR/journal.got"
fi

# --- domtimectl itself ------------------------------------------------------------------------------
for c in status peers source waitsync hierarchy monitor counters metrics resync reload \
	rediscover stripchart; do
	"$DOMTIMECTL" "$c" --help >"$T_DIR/help" 2>&1 && grep -q "^usage: domtimectl .*$c" "$T_DIR/help" ||
		fail "$c --help"
done
pass "every subcommand has --help"
out=$("$DOMTIMECTL" -s "$T_DIR/nobody.sock" status --json)
rc=$?
check "a --json error is JSON on stdout, exit $rc: $out" bash -c \
	"test $rc -eq 1 && '$PY' -c 'import json,sys; j=json.loads(sys.argv[1]); assert j[\"version\"] == 1 and \"cannot reach\" in j[\"error\"]' '$out'"
t_done

#!/bin/bash
# Bounded directory work. (1) ldap_max_entries below what the test forest
# holds: the read stops at the cap, says so in the log and as a problem, and
# its partial picture is not used. (2) A DC that trickles one LDAP message a
# second (tests/tools/slowproxy.py in front of slapd): discovery ends at
# discovery_timeout with a clear error and a problem, however long the DC
# would keep sending, and NTP is answered within 10 ms all along.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world
ntpdelay() { "$PY" "$TOP/tests/tools/ntpdelay.py" "$@"; }
problems() { ctl "$1" hierarchy --json | json 'j["problems"]'; }

# (1) The cap.
port=$(free_udp_port)
write_domtimed_conf cap "listen = 127.0.0.1:$port" "keytab = $KEYTAB_DIR/rootdc2.keytab" \
	"ldap_uri = $LDAP_URI" "dns_server = 127.0.0.1:$DNS_PORT" "ldap_timeout = 2" \
	"rediscover_backoff = 60" "ldap_max_entries = 5" "announce_flags = 0x1"
start_domtimed cap
capped() { grep -q "directory discovery failed.*ldap_max_entries (5)" "$T_DIR/cap.log"; }
check "the read stops at ldap_max_entries and the log says so" wait_for 10 capped
grep -m1 "directory discovery failed" "$T_DIR/cap.log" | sed 's/^/   log: /'
check "a problem says the last read was not used, and why" \
	grep -q 'not used: the directory returned more than ldap_max_entries (5)' <<<"$(problems cap)"
check "the partial picture is not used (no picture yet: standalone, no DCs)" test \
	"$(ctl cap hierarchy --json | json '[j["self"]["role"], len(j["dcs"]), j["discovery"]["failures"]]')" = \
	'["standalone", 0, 1]'
out=$(ntpdelay "$port" 0.3)
check "NTP is answered ($out)" grep -q 'answered=[1-9].* lost=0' <<<"$out"
# The octet cap, on the discovery alone.
out=$(dirprobe_as member1 --timeout 5 --ldap-max-bytes 2000 2>/dev/null)
check "ldap_max_bytes stops a read and makes it incomplete" \
	grep -q '^limits .*incomplete=the directory returned more than ldap_max_bytes (2000) octets' <<<"$out"
check "... which says so first among its errors" \
	grep -q '^error: the directory returned more than ldap_max_bytes' <<<"$(grep -m1 '^error: ' <<<"$out")"

# (2) The trickling DC.
"$PY" "$TOP/tests/tools/slowproxy.py" 0 127.0.0.1 "$LDAP_PORT" 1 >"$T_DIR/proxy.out" 2>&1 &
T_PIDS+=("$!")
wait_for 5 grep -q '^port ' "$T_DIR/proxy.out" || { fail "slowproxy did not start"; exit 1; }
proxy=$(sed -n 's/^port //p' "$T_DIR/proxy.out")
port=$(free_udp_port)
write_domtimed_conf slow "listen = 127.0.0.1:$port" "keytab = $KEYTAB_DIR/rootdc2.keytab" \
	"ldap_uri = ldap://127.0.0.1:$proxy" "dns_server = 127.0.0.1:$DNS_PORT" \
	"ldap_bind = simple" "ldap_bind_dn = $ADMIN_DN" "ldap_bind_password_file = $ADMIN_PW_FILE" \
	"ldap_timeout = 3" "discovery_timeout = 4" "rediscover_backoff = 60" "announce_flags = 0x1"
t0=$(date +%s.%N)
start_domtimed slow
out=$(ntpdelay "$port" 3)
check "NTP answered within 10 ms while the DC trickles ($out)" \
	fcheck "$(sed 's/worst=\([0-9.]*\).*/\1/' <<<"$out") < 0.010"
check "... and none was lost" grep -q 'answered=[1-9].* lost=0' <<<"$out"
stopped() { grep -q "directory discovery failed.*discovery_timeout (4 s)" "$T_DIR/slow.log"; }
check "discovery ends at discovery_timeout and the log says so" wait_for 6 stopped
took=$(echo "$(date +%s.%N) - $t0" | bc)
grep -m1 "directory discovery failed" "$T_DIR/slow.log" | sed 's/^/   log: /'
check "... about 4 s after start, not after the DC's whole answer ($took s)" fcheck "$took < 8"
check "a problem says so" grep -q 'not used: discovery took longer than discovery_timeout' \
	<<<"$(problems slow)"
check "the control socket answers" ctl slow counters
t_done

#!/bin/bash
# RFC 8573 keys against chronyd -x, both ways. domtimed follows a keyed
# chronyd (AES128-CMAC) and refuses and counts its answers once a proxy
# flips a byte of them; a chronyd client syncs from domtimed with a SHA1
# key and sees its answers authenticated; a client with the wrong secret or
# an unknown key id gets nothing and each is counted.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/relay.sh"

cat >"$T_DIR/keys" <<'KEYS'
# shared by domtimed and chronyd
10 AES128 HEX:8A2F1B3C4D5E6F708192A3B4C5D6E7F8
11 SHA1 HEX:00112233445566778899AABBCCDDEEFF01234567
KEYS
# The same ids with other secrets, and one domtimed does not hold.
cat >"$T_DIR/wrong.keys" <<'KEYS'
11 SHA1 HEX:FF112233445566778899AABBCCDDEEFF01234567
KEYS
chmod 600 "$T_DIR/keys" "$T_DIR/wrong.keys"

# ---- domtimed as a client of a keyed chronyd ----
start_chronyd ref "local stratum 1" "keyfile $T_DIR/keys"
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0.5" \
	"min_poll = -4" "max_poll = -4" "key_file = $T_DIR/keys" \
	"ntp_server = 127.0.0.1:$PORT_ref,0x8,key=10"
check "domtimed -t accepts the key file and the keyed server" \
	"$DOMTIMED" -t -f "$T_DIR/cli.conf"
write_domtimed_conf nokey "ntp_server = 127.0.0.1:$PORT_ref,0x8,key=12" "key_file = $T_DIR/keys"
out=$("$DOMTIMED" -t -f "$T_DIR/nokey.conf" 2>&1) && fail "domtimed -t accepted key=12"
check "domtimed -t refuses key=12, which the key file lacks" grep -q "key 12 is not in" <<<"$out"
start_domtimed cli
t=$(time_to_error_below cli 0.001 30)
check "follows the keyed chronyd: clock error below 1 ms after $t s" test "$t" != never
peer() { ctl cli peers --json | json "$1"; }
check "peers: auth symmetric, key 10, selected, no bad MAC" \
	test "$(peer '[(p["auth"], p["key_id"], p["state"], p["stats"]["bad_mac"]) for p in j["peers"]]')" \
	= '[["symmetric", 10, "selected", 0]]'

# A relay that flips a bit of the last octet (the MAC's) of every answer.
proxy_port=$(free_udp_port)
echo flip >"$T_DIR/relay.mode"
tamper_relay 127.0.0.1 "$proxy_port" "$PORT_ref" "$T_DIR/relay.mode" -1
write_domtimed_conf tampered "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"max_poll = -4" "key_file = $T_DIR/keys" "ntp_server = 127.0.0.1:$proxy_port,0x8,key=10"
start_domtimed tampered
tampered_refused() {
	test "$(ctl tampered peers --json | json 'j["peers"][0]["stats"]["bad_mac"]')" -ge 5
}
wait_for 15 tampered_refused
st=$(ctl tampered peers --json)
check "tampered answers dropped and counted ($(json 'j["peers"][0]["stats"]["bad_mac"]' <<<"$st") bad MACs, none valid)" \
	test "$(json '[(p["stats"]["bad_mac"] >= 5, p["stats"]["valid"], p["reach"]) for p in j["peers"]]' <<<"$st" \
		| sed 's/ //g')" = '[[true,0,0]]'
check "last_error names the bad MAC" \
	test "$(json 'j["peers"][0]["last_error"].startswith("bad MAC: key 10")' <<<"$st")" = true
check "the metric counts them" \
	grep -Eq '^domtimed_ntp_source_bad_mac_total ([5-9]|[1-9][0-9]+)$' <<<"$(ctl tampered metrics)"
check "and the tampered client is not synchronised" \
	test "$(ctl tampered status --json | json 'j["state"]')" != synchronised

# ---- chronyd as a client of domtimed ----
srv_port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$srv_port" "reliable = yes" "key_file = $T_DIR/keys"
start_domtimed srv
start_chronyd good "server 127.0.0.1 port $srv_port key 11 minpoll -4 maxpoll -4 iburst" \
	"keyfile $T_DIR/keys"
check "chronyd with key 11 (SHA1) synchronises to domtimed" wait_for 30 chronyd_synced good
nd=$(chronyc -h "$T_DIR/good.chrony.sock" -n ntpdata 127.0.0.1)
check "chronyd says the answers are authenticated with key 11" \
	grep -Eq 'Authenticated *: Yes' <<<"$nd"
start_chronyd bad "server 127.0.0.1 port $srv_port key 11 minpoll -4 maxpoll -4 iburst" \
	"keyfile $T_DIR/wrong.keys"
# A request signed with a key id domtimed does not hold.
"$PY" - "$srv_port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(bytes([0x23]) + bytes(39) + bytes(range(1, 9)) + (99).to_bytes(4, "big") + bytes(16),
         ("127.0.0.1", int(sys.argv[1])))
try:
    s.recv(2048)
    sys.exit("answered a request with an unknown key")
except socket.timeout:
    pass
PY
check "a request with an unknown key id is not answered" test $? -eq 0
srv_bad_macs() { ctl srv counters --json | json 'j["ntp"]["dropped"]["bad_mac"]'; }
wrong_secret_refused() { test "$(srv_bad_macs)" -ge 5; }
wait_for 15 wrong_secret_refused
c=$(ctl srv counters --json)
check "the wrong secret is dropped and counted ($(json 'j["ntp"]["dropped"]["bad_mac"]' <<<"$c") bad MACs)" \
	test "$(json 'j["ntp"]["dropped"]["bad_mac"]' <<<"$c")" -ge 5
check "the server's metrics count both by reason" \
	test "$(ctl srv metrics | grep -Ec '^domtimed_ntp_dropped_total\{reason="(bad_mac|unknown_key)"\} [1-9]')" = 2
check "the unknown key id is dropped and counted" \
	test "$(json 'j["ntp"]["dropped"]["unknown_key"]' <<<"$c")" = 1
check "the chronyd with the wrong secret is not synchronised" \
	sh -c "! chronyc -h '$T_DIR/bad.chrony.sock' -n -c tracking | grep -q ',Normal\$'"
t_done

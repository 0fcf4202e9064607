#!/bin/bash
# NTS (RFC 8915) against chronyd -x serving NTS with a test CA: domtimed
# follows it with authenticated answers, keeps its cookies topped up from
# the answers, goes back to key exchange after a NAK when chronyd restarts
# with new keys, refuses and counts answers tampered with on the way (and
# exchanges keys again once their cookies are spent), and refuses a
# certificate with the wrong name, from an untrusted CA or expired, saying so.
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nts.sh"
. "$(dirname "$0")/../lib/relay.sh"
nts_test_certs good=IP:127.0.0.1 wrong=DNS:other.example expired=IP:127.0.0.1@-1

ke_port=$(free_tcp_port)
start_chronyd ref "local stratum 1" "ntsserverkey $T_DIR/good.key" \
	"ntsservercert $T_DIR/good.crt" "ntsport $ke_port"
wait_for 10 sh -c "ss -Hltn 'sport = :$ke_port' | grep -q ." || fail "chronyd NTS-KE not listening"
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0.3" \
	"min_poll = -4" "max_poll = -4" "nts_ca_file = $T_DIR/ca.crt" \
	"ntp_server = 127.0.0.1,0x8,nts=$ke_port"
check "domtimed -t accepts an NTS server" "$DOMTIMED" -t -f "$T_DIR/cli.conf"
start_domtimed cli
t=$(time_to_error_below cli 0.001 30)
check "follows chronyd over NTS: clock error below 1 ms after $t s" test "$t" != never
peer() { ctl cli peers --json | json "$1"; }
check "peers: auth nts, the negotiated NTP port, selected, a key exchange, cookies" \
	test "$(peer '[(p["auth"], p["address"], p["state"], p["nts"]["state"],
		p["nts"]["ke_ok"], p["nts"]["cookies"] > 0, p["nts"]["last_ke"] is not None)
		for p in j["peers"]]' | tr -d ' ')" = \
	"[[\"nts\",\"127.0.0.1:$PORT_ref\",\"selected\",\"ready\",1,true,true]]"
check "peers --verbose says it" grep -q "^Authentication: nts (ready, [1-8] cookies, 1 key exchanges" \
	<<<"$(ctl cli peers --verbose)"
auth_pkts() {
	chronyc -h "$T_DIR/ref.chrony.sock" -n serverstats | sed -n 's/^Authenticated NTP packets *: *//p'
}
check "chronyd counts authenticated NTP requests ($(auth_pkts))" test "$(auth_pkts)" -gt 0
# Far more than 8 polls later, the answers' cookies have kept the jar full.
sleep 2
check "cookies refreshed from answers: still one key exchange, jar full after $(peer 'j["peers"][0]["stats"]["valid"]') answers" \
	test "$(peer '[j["peers"][0]["nts"]["ke_ok"], j["peers"][0]["nts"]["cookies"] >= 7]' | tr -d ' ')" = '[1,true]'

# chronyd restarted: new server keys, our cookies are now refused (NAK).
stop_pid "$PID_ref"
chronyd -x -d -u root -f "$T_DIR/ref.chrony.conf" >>"$T_DIR/ref.log" 2>&1 &
T_PIDS+=("$!")
wait_for 10 chronyc -h "$T_DIR/ref.chrony.sock" -n -c tracking || fail "chronyd did not restart"
renewed() { test "$(peer 'j["peers"][0]["nts"]["ke_ok"] >= 2 and j["peers"][0]["nts"]["naks"] >= 1')" = true; }
check "a NAK after chronyd's restart leads to a new key exchange" wait_for 20 renewed
valid_now=$(peer 'j["peers"][0]["stats"]["valid"]')
more_valid() { test "$(peer 'j["peers"][0]["stats"]["valid"]')" -gt "$((valid_now + 3))"; }
check "and authenticated answers again" wait_for 10 more_valid

# A second chronyd names 127.0.0.2 as its NTP server, where a relay flips a
# bit of every answer's transmit timestamp, then (mode file) passes them on.
ke3=$(free_tcp_port)
start_chronyd relayed "local stratum 1" "ntsserverkey $T_DIR/good.key" \
	"ntsservercert $T_DIR/good.crt" "ntsport $ke3" "ntsntpserver 127.0.0.2"
wait_for 10 sh -c "ss -Hltn 'sport = :$ke3' | grep -q ."
echo flip >"$T_DIR/relay.mode"
# Octet 47: the transmit timestamp, time moved by a forger.
tamper_relay 127.0.0.2 "$PORT_relayed" "$PORT_relayed" "$T_DIR/relay.mode" 47
write_domtimed_conf tampered "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"max_poll = -4" "nts_ca_file = $T_DIR/ca.crt" "ntp_server = 127.0.0.1,0x8,nts=$ke3"
start_domtimed tampered
tp() { ctl tampered peers --json | json "$1"; }
spent() { test "$(tp 'j["peers"][0]["nts"]["ke_ok"]')" -ge 2; }
check "tampered answers refused; the cookies they spent led to a new key exchange" \
	wait_for 20 spent
check "each refusal counted and named ($(tp 'j["peers"][0]["stats"]["bad_mac"]') bad, $(tp 'j["peers"][0]["stats"]["valid"]') valid)" \
	test "$(tp '[(p["address"], p["stats"]["bad_mac"] >= 8, p["stats"]["valid"], p["nts"]["bad_auth"] >= 8,
		p["nts"]["error"]) for p in j["peers"]]' | tr -d ' ')" = \
	"[[\"127.0.0.2:$PORT_relayed\",true,0,true,\"authenticatordoesnotverify\"]]"
echo pass >"$T_DIR/relay.mode"
answers() { test "$(tp 'j["peers"][0]["stats"]["valid"]')" -ge 5; }
check "untampered answers through the same relay are used" wait_for 20 answers

# The wrong name; an untrusted CA.
ke2=$(free_tcp_port)
start_chronyd wrong "local stratum 1" "ntsserverkey $T_DIR/wrong.key" \
	"ntsservercert $T_DIR/wrong.crt" "ntsport $ke2"
wait_for 10 sh -c "ss -Hltn 'sport = :$ke2' | grep -q ."
write_domtimed_conf badname "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"nts_ca_file = $T_DIR/ca.crt" "ntp_server = 127.0.0.1,0x8,nts=$ke2"
start_domtimed badname
ke4=$(free_tcp_port)
start_chronyd expired "local stratum 1" "ntsserverkey $T_DIR/expired.key" \
	"ntsservercert $T_DIR/expired.crt" "ntsport $ke4"
wait_for 10 sh -c "ss -Hltn 'sport = :$ke4' | grep -q ."
write_domtimed_conf badexp "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"nts_ca_file = $T_DIR/ca.crt" "ntp_server = 127.0.0.1,0x8,nts=$ke4"
start_domtimed badexp
write_domtimed_conf badca "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"ntp_server = 127.0.0.1,0x8,nts=$ke_port"
start_domtimed badca
refused() { test "$(ctl "$1" peers --json | json 'j["peers"][0]["nts"]["ke_failed"] > 0')" = true; }
wait_for 10 refused badname
wait_for 10 refused badca
wait_for 10 refused badexp
err=$(ctl badexp peers --json | json 'j["peers"][0]["nts"]["error"]')
check "expired certificate refused: $err" grep -q "certificate of 127.0.0.1 refused.*expired" <<<"$err"
err=$(ctl badname peers --json | json 'j["peers"][0]["nts"]["error"]')
check "wrong certificate name refused: $err" grep -q "certificate of 127.0.0.1 refused.*mismatch" <<<"$err"
err=$(ctl badca peers --json | json 'j["peers"][0]["nts"]["error"]')
check "untrusted CA refused: $err" grep -q "certificate of 127.0.0.1 refused.*issuer" <<<"$err"
check "the metrics count the failed key exchanges" \
	grep -Eq '^domtimed_nts_source_ke_failed_total [1-9]' <<<"$(ctl badname metrics)"
check "none polls NTP (no valid answer, state failed, a retry scheduled)" \
	test "$(for n in badname badca badexp; do ctl $n peers --json | json '[p["stats"]["valid"] if p["stats"] else 0
		for p in j["peers"]] + [j["peers"][0]["nts"]["state"], j["peers"][0]["nts"]["next_ke_in"] is not None]'; done | tr -d ' \n')" = '[0,"failed",true][0,"failed",true][0,"failed",true]'
t_done

#!/bin/bash
# domtimed's NTS server: a chronyd -x client with nts synchronises from it
# with authenticated answers, and so does a domtimed client; the cookie keys
# survive a restart (the clients' cookies stay good: no NAK); a cookie it
# cannot open gets a KoD NTSN, counted. (Forged authenticators: test_nts.)
. "$(dirname "$0")/../lib/common.sh"
. "$(dirname "$0")/../lib/nts.sh"
nts_test_certs srv=IP:127.0.0.1

ntp=$(free_udp_port) ke=$(free_tcp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$ntp" "reliable = yes" \
	"nts_server_cert = $T_DIR/srv.crt" "nts_server_key = $T_DIR/srv.key" \
	"nts_server_port = $ke" "nts_cookie_key_file = $T_DIR/cookie-keys"
check "domtimed -t accepts the NTS server keys" "$DOMTIMED" -t -f "$T_DIR/srv.conf"
write_domtimed_conf badkey "nts_server_cert = $T_DIR/srv.crt" "nts_server_key = $T_DIR/ca.key"
out=$("$DOMTIMED" -t -f "$T_DIR/badkey.conf" 2>&1) && fail "domtimed -t accepted a mismatched key"
check "domtimed -t refuses a key that is not the certificate's" \
	grep -q "key 'nts_server_cert': .*key values mismatch" <<<"$out"
start_domtimed srv
check "cookie keys written, mode 0600" test "$(stat -c %a "$T_DIR/cookie-keys")" = 600

start_chronyd cli "server 127.0.0.1 port $ntp nts ntsport $ke minpoll -4 maxpoll -4 iburst" \
	"ntstrustedcerts $T_DIR/ca.crt"
check "chronyd with nts synchronises to domtimed" wait_for 30 chronyd_synced cli
ad() { chronyc -h "$T_DIR/cli.chrony.sock" -n -c authdata | head -n 1; }
# CSV: name, mode, key id, type, key length, last KE ago, attempts, NAKs, cookies, cookie length.
check "chronyd's authdata: NTS, AEAD 15, cookies held ($(ad))" \
	grep -Eq '^127\.0\.0\.1,NTS,[0-9]+,15,256,[0-9]+,[0-9]+,0,[1-8],100$' <<<"$(ad)"

write_domtimed_conf dcli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0.2" \
	"min_poll = -4" "max_poll = -4" "nts_ca_file = $T_DIR/ca.crt" \
	"ntp_server = 127.0.0.1,0x8,nts=$ke"
start_domtimed dcli
t=$(time_to_error_below dcli 0.001 30)
check "a domtimed client follows it over NTS: error below 1 ms after $t s" test "$t" != never

# Restart with the same cookie keys: the clients keep using their cookies.
keys_before=$(cat "$T_DIR/cookie-keys")
stop_pid "$PID_srv"
start_domtimed srv
check "cookie keys kept across the restart" test "$(cat "$T_DIR/cookie-keys")" = "$keys_before"
valid=$(ctl dcli peers --json | json 'j["peers"][0]["stats"]["valid"]')
more() { test "$(ctl dcli peers --json | json 'j["peers"][0]["stats"]["valid"]')" -gt $((valid + 5)); }
check "the domtimed client goes on with its cookies" wait_for 10 more
check "without a NAK or a new key exchange" \
	test "$(ctl dcli peers --json | json '[j["peers"][0]["nts"]["naks"], j["peers"][0]["nts"]["ke_ok"]]' | tr -d ' ')" = '[0,1]'

# A forged request: a real cookie-shaped field but a broken authenticator.
"$PY" - "$ntp" <<'PY'
import socket, sys
def ef(t, body):
    body += bytes(-len(body) % 4)
    return t.to_bytes(2, "big") + (4 + len(body)).to_bytes(2, "big") + body
pkt = bytes([0x23]) + bytes(47) + ef(0x0104, bytes(32)) + ef(0x0204, bytes(100)) + \
      ef(0x0404, (16).to_bytes(2, "big") + (16).to_bytes(2, "big") + bytes(32))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
s.sendto(pkt, ("127.0.0.1", int(sys.argv[1])))
try:
    r = s.recv(2048)
    # An unknown cookie gets a KoD NTSN, unauthenticated, our UID echoed.
    sys.exit(0 if r[1] == 0 and r[12:16] == b"NTSN" and r[52:84] == bytes(32) else 1)
except socket.timeout:
    sys.exit(2)
PY
check "a cookie it cannot open gets a KoD NTSN" test $? -eq 0
c=$(ctl srv counters --json)
check "counters: NTS requests answered since the restart, the NAK counted" \
	test "$(json '[j["nts_server"]["requests"] > 5, j["nts_server"]["naks"]]' <<<"$c" | tr -d ' ')" = '[true,1]'
check "metrics count the NAK" grep -q '^domtimed_nts_naks_total 1$' <<<"$(ctl srv metrics)"
t_done

#!/bin/bash
# Not reliable and no sources: answers say leap 3 / stratum 0 and a chronyd
# client refuses to synchronise to it.
. "$(dirname "$0")/../lib/common.sh"

port=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$port"
start_domtimed srv

r=$("$PY" - "$port" <<'PY'
import sys, ntplib
r = ntplib.NTPClient().request("127.0.0.1", port=int(sys.argv[1]), version=4, timeout=2)
print(r.leap, r.stratum, r.ref_timestamp)
PY
)
check "answers carry leap 3, stratum 0, no reference time ($r)" test "$r" = "3 0 0.0"

out=$(chronyd -x -Q -t 3 "server 127.0.0.1 port $port iburst minpoll -4 maxpoll -4" 2>&1)
if grep -q "System clock wrong" <<<"$out"; then
	fail "chronyd used the unsynchronised server: $out"
else
	pass "chronyd does not synchronise to it"
fi
check "status says unsynchronised" \
	test "$(ctl srv status --json | json '[j["synchronized"], j["leap"], j["stratum"], j["source"]]')" = \
	'[false, 3, 0, null]'

# A domtimed client of this server skips it, and says why.
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" \
	"ntp_server = 127.0.0.1:$port"
start_domtimed cli
skipped() { ctl cli peers --json | json 'j["peers"][0]["state"] == "unsynchronised"' | grep -qx true; }
check "a domtimed client marks it unsynchronised" wait_for 10 skipped
check "and says why: $(ctl cli peers --json | json 'j["peers"][0]["last_error"]')" \
	bash -c "ctl() { '$DOMTIMECTL' -s '$T_DIR/cli.sock' \"\$@\"; }; ctl peers --json | grep -q 'server unsynchronised (leap 3'"
check "the client stays unsynchronised itself" \
	test "$(ctl cli status --json | json 'j["synchronized"]')" = false
t_done

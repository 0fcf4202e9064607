#!/bin/bash
# W32Time's MaxPosPhaseCorrection: a clock 100,000 s behind with a limit of
# 54,000 s refuses the correction with a clear log line, serves as
# unsynchronised, and never steps.
. "$(dirname "$0")/../lib/common.sh"

start_chronyd ref "local stratum 1"
port=$(free_udp_port)
write_domtimed_conf cli "listen = 127.0.0.1:$port" "clock_offset = -100000" \
	"max_pos_phase_correction = 54000" "min_poll = -4" "ntp_server = 127.0.0.1:$PORT_ref"
start_domtimed cli
refused() { grep -q "refusing to correct the clock by +100000.* max_pos_phase_correction" \
	"$T_DIR/cli.log"; }
check "the refusal is logged, naming the limit" wait_for 10 refused
grep "refusing" "$T_DIR/cli.log" | head -n 1 | sed 's/^/   log: /'
st=$(ctl cli status --json)
check "status says refused and explains it" \
	test "$(json '[j["state"], "max_pos_phase_correction" in j["message"]]' <<<"$st")" = \
	'["refused", true]'
check "no step" test "$(json 'j["steps"]' <<<"$st")" = 0
check "the clock is still 100,000 s behind" \
	fcheck "abs($(json 'j["clock_error"]' <<<"$st") + 100000) < 1"
r=$("$PY" - "$port" <<'PY'
import sys, ntplib
r = ntplib.NTPClient().request("127.0.0.1", port=int(sys.argv[1]), version=4, timeout=2)
print(r.leap, r.stratum)
PY
)
check "answers say unsynchronised (leap 3, stratum 0): $r" test "$r" = "3 0"
t_done

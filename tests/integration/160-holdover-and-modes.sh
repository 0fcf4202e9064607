#!/bin/bash
# Holdover when every source is lost, resync bursts, and W32Time's server
# flags: 0x4 (symmetric active, answered with mode 2 by a domtimed server)
# and 0x2 (fallback only, used when the others fail).
. "$(dirname "$0")/../lib/common.sh"

start_chronyd ref "local stratum 1"
sport=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$sport" "reliable = yes" "local_stratum = 3"
start_domtimed srv
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" "max_poll = -4" \
	"holdover_period = 3" "ntp_server = 127.0.0.1:$PORT_ref 127.0.0.1:$sport,0x6"
start_domtimed cli
synced_to() { test "$(ctl cli source)" = "$1"; }
check "follows chronyd, not the fallback" wait_for 10 synced_to 127.0.0.1
p=$(ctl cli peers --json)
check "the fallback source is held back ($(json 'j["peers"][1]["state"]' <<<"$p"))" \
	test "$(json 'j["peers"][1]["state"]' <<<"$p")" = fallback
check "the symmetric-active source answers (mode 1 -> 2) and is reachable" \
	test "$(json 'j["peers"][1]["reach"] > 0 and j["peers"][1]["stats"]["valid"] > 0' <<<"$p")" = true

# resync: a client polling every 8 s asks again at once.
write_domtimed_conf slow "listen = 127.0.0.1:$(free_udp_port)" "min_poll = 3" "max_poll = 3" \
	"ntp_server = 127.0.0.1:$PORT_ref"
start_domtimed slow
first_burst_done() { test "$(ctl slow peers --json | json 'j["peers"][0]["stats"]["sent"]')" -ge 4; }
wait_for 20 first_burst_done
sent() { ctl slow peers --json | json 'j["peers"][0]["stats"]["sent"]'; }
far() { fcheck "$(ctl slow peers --json | json 'j["peers"][0]["next_poll_in"]') > 2"; }
wait_for 10 far
s1=$(sent)
ctl slow resync >/dev/null
more_sent() { test "$(sent)" -gt "$s1"; }
check "resync polls at once (next poll was over 2 s away)" wait_for 1 more_sent

# Lose the main source: the fallback takes over.
kill "$PID_ref"
wait "$PID_ref" 2>/dev/null
fallback_selected() { test "$(ctl cli peers --json | json 'j["peers"][1]["state"]')" = selected; }
check "with chronyd gone, the fallback is selected" wait_for 20 fallback_selected

# Lose it too: holdover, then after holdover_period unsynchronised.
kill "$PID_srv"
wait "$PID_srv" 2>/dev/null
state() { test "$(ctl cli status --json | json 'j["state"]')" = "$1"; }
check "holdover expires into unsynchronised after 3 s" wait_for 30 state unsynchronised
check "the log says so" grep -q "holdover_period" "$T_DIR/cli.log"
check "answers now say unsynchronised" \
	test "$(ctl cli status --json | json '[j["leap"], j["synchronized"]]')" = '[3, false]'
t_done

#!/bin/bash
# Five chronyd -x servers, two of them serving time shifted by +3 s and -3 s
# (a chronyd following the reference with chrony's per-source offset): both
# are marked falsetickers and the clock stays within 1 ms. With three of five
# lying there is no majority, and domtimed says so instead of following.
. "$(dirname "$0")/../lib/common.sh"

start_chronyd ref "local stratum 1"
# A follower serving the reference's time shifted by $2 seconds.
follower() {
	start_chronyd "$1" "server 127.0.0.1 port $PORT_ref iburst minpoll -4 maxpoll -4 offset $2"
}
follower good1 0
follower good2 0
follower plus3 3
follower minus3 -3
follower plus6 6
for f in good1 good2 plus3 minus3 plus6; do
	wait_for 20 chronyd_synced "$f" || { fail "follower $f never synchronised"; t_done; }
done
servers() { local s= n; for n in "$@"; do s="$s 127.0.0.1:$(eval echo "\$PORT_$n")"; done; echo "$s"; }

# --- two liars of five ----------------------------------------------------------
write_domtimed_conf two "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0.01" \
	"min_poll = -4" "max_poll = -2" "ntp_server = $(servers ref good1 good2 plus3 minus3)"
start_domtimed two
verdicts() { # NAME: "port=state ..." sorted by port
	ctl "$1" peers --json | json '" ".join("%s=%s" % (p["port"], p["state"]) for p in j["peers"])'
}
liars_marked() {
	local v
	v=$(verdicts two)
	grep -q "$PORT_plus3=falseticker" <<<"$v" && grep -q "$PORT_minus3=falseticker" <<<"$v" &&
		! grep -Eq "($PORT_ref|$PORT_good1|$PORT_good2)=(falseticker|no_majority|outlier)" <<<"$v"
}
t1ms=$(time_to_error_below two 0.001 30)
check "the clock is within 1 ms ($t1ms s after start)" test "$t1ms" != never
# Once converged, the verdicts hold: sample them for 4 s, with the clock error.
worst=0 flips=0
for _ in $(seq 40); do
	liars_marked || flips=$((flips + 1))
	e=$(status_field two 'abs(j["clock_error"])')
	worst=$("$PY" -c "print(max($worst, $e))")
	sleep 0.1
done
check "both liars are falsetickers, the truthful three in use, throughout ($(verdicts two))" \
	test "$flips" = 0
check "the clock stays within 1 ms (worst $worst s over 4 s)" fcheck "$worst < 0.001"

# --- three liars of five -----------------------------------------------------------
write_domtimed_conf three "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0.01" \
	"min_poll = -4" "max_poll = -2" "ntp_server = $(servers ref good1 plus3 minus3 plus6)"
start_domtimed three
no_majority() { test "$(status_field three 'j["state"]')" = no-majority; }
check "three liars of five: status says no majority" wait_for 20 no_majority
msg=$(status_field three 'j["message"]')
check "and explains it ($msg)" grep -q "no majority" <<<"$msg"
check "peers marks them no_majority, not selected" \
	bash -c "! grep -q 'selected' <<<'$(verdicts three)'"
st=$(ctl three status --json)
check "no step was taken towards a liar ($(json 'j["steps"]' <<<"$st") steps)" \
	test "$(json 'j["steps"]' <<<"$st")" = 0
check "it does not claim to be synchronised" \
	test "$(json 'j["synchronized"]' <<<"$st")" = false
t_done

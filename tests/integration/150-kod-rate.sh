#!/bin/bash
# A server that rate limits with KoD RATE (chrony 4.3 in Debian 12 has no
# "kod" option for ratelimit, so the server is a domtimed with
# ratelimit_kod): the client backs off instead of insisting.
. "$(dirname "$0")/../lib/common.sh"

sport=$(free_udp_port)
write_domtimed_conf srv "listen = 127.0.0.1:$sport" "reliable = yes" "ratelimit = yes" \
	"ratelimit_interval = 1" "ratelimit_burst = 2" "ratelimit_kod = yes"
start_domtimed srv
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" "max_poll = 4" \
	"ntp_server = 127.0.0.1:$sport"
start_domtimed cli
kod_seen() { test "$(ctl cli peers --json | json 'j["peers"][0]["stats"]["kod_rate"]')" -gt 0; }
check "the client received KoD RATE" wait_for 10 kod_seen
p=$(ctl cli peers --json)
check "its poll went up to at least the server's interval (poll $(json 'j["peers"][0]["poll"]' <<<"$p"))" \
	test "$(json 'j["peers"][0]["poll"]' <<<"$p")" -ge 1
check "and it says why: $(json 'j["peers"][0]["last_error"]' <<<"$p")" \
	grep -q "KoD RATE" <<<"$(json 'j["peers"][0]["last_error"]' <<<"$p")"
# Once backed off, the server stops having to refuse: count KoDs over a while.
k1=$(ctl srv counters --json | json 'j["ntp"]["kod_rate"]')
sleep 6
k2=$(ctl srv counters --json | json 'j["ntp"]["kod_rate"]')
check "the server sent no further KoD in 6 s ($k1 -> $k2)" test "$k2" -le "$((k1 + 1))"
check "the client still synchronises to it" \
	wait_for 20 bash -c "[ \"\$('$DOMTIMECTL' -s '$T_DIR/cli.sock' source)\" = 127.0.0.1 ]"
t_done

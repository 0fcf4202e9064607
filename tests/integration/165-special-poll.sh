#!/bin/bash
# W32Time flag 0x1: a source so flagged is polled every special_poll_interval
# seconds, whatever min_poll and max_poll say; the others keep their own pace.
. "$(dirname "$0")/../lib/common.sh"

start_fakentp special
start_fakentp plain
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -4" "max_poll = -4" \
	"special_poll_interval = 2" "ntp_server = 127.0.0.1:$PORT_special,0x9 127.0.0.1:$PORT_plain"
start_domtimed cli
sent() { ctl cli peers --json | json "j[\"peers\"][$1][\"stats\"][\"sent\"]"; }
burst_done() { test "$(sent 0)" -ge 4; }
check "the 0x1 source answers its start-up burst" wait_for 10 burst_done
check "and is used ($(ctl cli peers --json | json 'j["peers"][0]["state"]'))" wait_for 10 bash -c \
	"'$DOMTIMECTL' -s '$T_DIR/cli.sock' peers --json | grep -Eq '\"state\": \"(selected|candidate)\"'"
a0=$(sent 0) b0=$(sent 1)
sleep 6.2
a1=$(sent 0) b1=$(sent 1)
check "the 0x1 source was polled every 2 s: $((a1 - a0)) requests in 6.2 s" \
	test $((a1 - a0)) -ge 2 -a $((a1 - a0)) -le 4
check "the other one at min_poll (1/16 s): $((b1 - b0)) requests" test $((b1 - b0)) -ge 40
next=$(ctl cli peers --json | json 'j["peers"][0]["next_poll_in"]')
check "its next poll is at most 2 s away ($next s)" fcheck "$next <= 2.0"
t_done

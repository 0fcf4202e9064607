#!/bin/bash
# Leap seconds end to end, one inserted and one deleted: a server announcing
# one (the scripted server: chronyd takes leap seconds from the real date),
# and domtimed on a virtual clock that starts a few seconds before a month's
# last midnight UTC. Before it domtimed serves the leap warning; at midnight
# its clock repeats (or skips) a second with the server's, without a step;
# after it the warning is gone.
. "$(dirname "$0")/../lib/common.sh"

# Virtual time starts LEAD seconds before the next month's first midnight.
LEAD=10
offset=$("$PY" -c "
import datetime as d, time
now = time.time()
t = d.datetime.fromtimestamp(now, d.timezone.utc)
first = d.datetime(t.year + (t.month == 12), t.month % 12 + 1, 1, tzinfo=d.timezone.utc)
print('%.3f' % (first.timestamp() - now - $LEAD))")
midnight=$("$PY" -c "import time; print(int(time.time() + $offset + $LEAD + 5) // 86400 * 86400)")

for kind in insert delete; do
	start_fakentp "up_$kind" --offset "$offset" --leap "$kind"
	write_domtimed_conf "$kind" "listen = 127.0.0.1:$(free_udp_port)" "min_poll = -3" \
		"max_poll = -3" "clock_offset = $offset" "ntp_server = 127.0.0.1:$(eval echo "\$PORT_up_$kind")"
	start_domtimed "$kind"
done

leap_is() { test "$(status_field "$1" 'j["leap"]')" = "$2"; }
check "before midnight, the insertion is announced (LI 1)" wait_for 6 leap_is insert 1
check "before midnight, the deletion is announced (LI 2)" wait_for 6 leap_is delete 2
check "it is still before midnight ($(status_field insert 'j["time"]') < $midnight)" \
	fcheck "$(status_field insert 'j["time"]') < $midnight - 1"

past_midnight() { fcheck "$(status_field "$1" 'j["time"]') > $midnight + 1"; }
check "midnight passed (insert)" wait_for $((LEAD + 5)) past_midnight insert
check "midnight passed (delete)" wait_for 5 past_midnight delete
for kind in insert delete; do
	check "$kind: the log says the leap second was applied" \
		grep -q "leap second ${kind%e}ed at midnight" "$T_DIR/$kind.log"
	check "$kind: no longer announced (LI $(status_field $kind 'j["leap"]'))" leap_is $kind 0
	check "$kind: still synchronised" test "$(status_field $kind 'j["state"]')" = synchronised
	check "$kind: no step taken" test "$(status_field $kind 'j["steps"]')" = 0
	# Against the server's own time, which repeated or skipped the same second.
	expect=$([ $kind = insert ] && echo -1 || echo 1)
	err=$(status_field $kind "j['time'] - (__import__('time').time() + $offset + ($expect))")
	check "$kind: the clock is with the server after the leap (error $err s)" \
		fcheck "abs($err) < 0.05"
	off=$(status_field $kind 'j["offset"]')
	check "$kind: the last measured offset is small ($off s)" fcheck "abs($off) < 0.01"
done
t_done

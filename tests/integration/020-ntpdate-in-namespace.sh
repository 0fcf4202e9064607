#!/bin/bash
# ntpdate only speaks to port 123, so the server runs on 127.0.0.1:123 inside
# a network namespace this test creates; ntpdate -q (query only: never sets
# the clock) agrees with what 010 shows chronyd and ntplib: the same server
# configuration, +0.5 s, stratum 1.
. "$(dirname "$0")/../lib/common.sh"
need_root
command -v ntpdate >/dev/null || skip "ntpdate not installed"

ns=dt-ntpd-$$
ip netns add "$ns" || skip "cannot create a network namespace"
t_on_exit "ip netns delete $ns"
ip -n "$ns" link set lo up

write_domtimed_conf srv "listen = 127.0.0.1:123" "clock_offset = 0.5" "reliable = yes"
start_domtimed srv ip netns exec "$ns"

out=$(ip netns exec "$ns" ntpdate -q 127.0.0.1 2>&1)
# ntpdig prints e.g. "2026-11-29 13:10:36.123 (+0000) +0.500012 +/- 0.000010 127.0.0.1 s1 no-leap"
off=$(grep -Eo ' [-+][0-9]+\.[0-9]+ \+/-' <<<"$out" | head -n 1 | awk '{print $1}')
if [ -n "$off" ] && fcheck "abs($off - 0.5) < 0.001"; then
	pass "ntpdate -q sees $off s"
else
	fail "ntpdate -q: expected +0.5, got: $out"
fi
check "ntpdate reports stratum 1" grep -q ' s1 ' <<<"$out"
t_done

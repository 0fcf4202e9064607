#!/bin/bash
# The network test bed itself: tests/lib/netns-selftest.sh checks that
# netns.sh builds hosts on a switch, that linkdelay delays each way by what
# it is told (symmetric, asymmetric, per pair, changed under traffic) with
# the precision and CPU use the delay tests assume, and that cleanup leaves
# nothing behind (~35 s). It runs before the tests that rely on it, so that
# a broken test bed is named as such rather than as a domtimed failure.
. "$(dirname "$0")/../lib/common.sh"
need_root

if BUILD=$BUILD "$TOP/tests/lib/netns-selftest.sh" >"$T_DIR/selftest.log" 2>&1; then
	pass "netns.sh and linkdelay: $(grep -c '^ok:' "$T_DIR/selftest.log") checks passed"
else
	fail "netns.sh and linkdelay: the self-test failed"
	cat "$T_DIR/selftest.log"
fi
t_done

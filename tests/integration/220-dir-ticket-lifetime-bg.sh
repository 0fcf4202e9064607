#!/bin/bash
# Tickets of 60 s: one discovery process reading the forest every second for
# more than three minutes never fails, because it takes new initial
# credentials from its in-memory keys before half of a ticket's life is
# gone (about every 30 s: the KDC's log shows the AS exchanges). ~3.5 min.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world --ticket-lifetime 60

runs=200
start=$EPOCHREALTIME
dirprobe_as member1 --timeout 5 --repeat $runs --interval 1 \
	>"$T_DIR/probe.out" 2>"$T_DIR/probe.log"
rc=$?
took=$("$PY" -c "print(round($EPOCHREALTIME - $start))")

ok=$(grep -c '^result .* errors=0 crossrefs=6 nc_heads=2 sites=2 servers=5 ntds=5 subnets=3 self=1' \
	"$T_DIR/probe.out")
check "all $runs discoveries over ${took} s read the whole forest ($ok did)" test "$ok" -eq $runs
check "dirprobe exited 0 (no run had an error)" test "$rc" -eq 0
check "the loop lasted more than three minutes" test "$took" -ge 180
grep '^error:' "$T_DIR/probe.out" | sort | uniq -c | head -n 5
# Lifetime 60 s, renewal at half life: at least one AS exchange per 35 s.
as=$(grep -cF 'MEMBER1$@FOREST.TEST for krbtgt/FOREST.TEST@FOREST.TEST' "$W/log/krb5kdc.log")
check "initial credentials were taken again before expiry ($as AS exchanges in $took s)" \
	test "$as" -ge $((took / 35))
check "... and not for every discovery" test "$as" -le $((took / 20 + 1))
t_done

#!/bin/bash
# Dead DC: the DC a member follows stops; the member moves to another DC
# within two polls and stays within 1 ms.
. "$(dirname "$0")/../lib/common.sh"
need_root
. "$TOP/tests/lib/forest.sh"
. "$TOP/tests/lib/forest-checks.sh"

# Polls of 1 s: "two polls" is two seconds.
forest_up --min-poll 0 --max-poll 0 || { fail "forest_up"; exit 1; }
start_all_converged
src=$(forest_ctl member1 source)
dead=${src%%.*}
check "member1 follows a DC ($src)" test -n "${FOREST_IP[$dead]:-}"
stopped=$EPOCHREALTIME
forest_stop "$dead"
moved() { s=$(forest_ctl member1 source); [ -n "$s" ] && [ "$s" != "$src" ] && [ "$s" != "(none)" ]; }
check "member1 moves to another DC" wait_for 10 moved
took=$($PY -c "print('%.1f' % ($EPOCHREALTIME - $stopped))")
# Two missed polls, plus up to one for where in its poll the DC died.
check "within two polls (moved to $(forest_ctl member1 source) after $took s)" fcheck "$took <= 3"
worst=0
for _ in $(seq 20); do
	e=$(error_of member1)
	worst=$($PY -c "print(max($worst, abs($e)))")
	sleep 0.5
done
check "and stays within 1 ms (worst $worst s over 10 s)" fcheck "$worst < 0.001"
state=$(forest_ctl member1 peers --json | json "[p['state'] for p in j['peers'] if p['host'] == '$src'][0]")
# unreachable, or starting again once its name was looked up afresh.
check "peers says the dead DC is out of use ($state)" \
	bash -c "[ '$state' = unreachable ] || [ '$state' = starting ]"
t_done

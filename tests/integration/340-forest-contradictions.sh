#!/bin/bash
# Contradictions in the directory: the root domain's PDC role pointing at a
# DC of the child domain, and a trustParent loop. Each gives a clear problem
# on every host, the hierarchy falls back to the next rule, no host's chain
# of refids has a cycle, and no clock steps.
. "$(dirname "$0")/../lib/common.sh"
need_root
. "$TOP/tests/lib/forest.sh"
. "$TOP/tests/lib/forest-checks.sh"

forest_up || { fail "forest_up"; exit 1; }
start_all_converged
remember_steps

problem_everywhere() { # TEXT: every host's hierarchy has a problem containing TEXT
	local h
	for h in "${FOREST_HOSTS[@]}"; do
		forest_ctl "$h" hierarchy --json | json '"\n".join(j["problems"])' | grep -q "$1" ||
			return 1
	done
}
no_cycle() {
	local h
	for h in "${FOREST_HOSTS[@]}"; do
		case "$(chain "$h")" in *CYCLE*) return 1 ;; esac
	done
}

# 1. The root domain's PDC "is" a DC of the child domain.
forest_ldapmodify <<LDIF
dn: $ROOT_DN
changetype: modify
replace: fSMORoleOwner
fSMORoleOwner: CN=NTDS Settings,CN=CHILDDC1,CN=Servers,CN=Branch,CN=Sites,$CONFIG_DN
LDIF
check "a PDC pointing into the child domain is a problem everywhere" \
	wait_for 15 problem_everywhere "fSMORoleOwner"
forest_ctl member1 hierarchy --json | json '[p for p in j["problems"] if "fSMORoleOwner" in p][0]' |
	sed 's/^/   problem: /'
check "the root domain has no PDC rather than a wrong one" test \
	"$(forest_ctl member1 hierarchy --json | json '[d["pdc"] for d in j["domains"] if d["forest_root"]][0]')" = null
check "childdc1 is still the child domain's PDC, not the root's" \
	test "$(forest_ctl childdc1 status --json | json 'j["role"]')" = pdc
sleep 5 # a few polls on the fallback hierarchy (a measurement window)
check "no host's chain of refids has a cycle" no_cycle
for h in "${FOREST_HOSTS[@]}"; do echo "     $(chain "$h")"; done

# 2. A trustParent loop: the child domain is its own parent.
forest_ldapmodify <<LDIF
dn: CN=CHILD,CN=Partitions,$CONFIG_DN
changetype: modify
replace: trustParent
trustParent: CN=CHILD,CN=Partitions,$CONFIG_DN
LDIF
# Only the PDC role is watched between full reads: ask every host to read again.
for h in "${FOREST_HOSTS[@]}"; do forest_ctl "$h" rediscover >/dev/null; done
check "the trustParent loop is a problem everywhere" wait_for 15 problem_everywhere "trustParent"
forest_ctl member1 hierarchy --json | json '[p for p in j["problems"] if "trustParent" in p][0]' |
	sed 's/^/   problem: /'
sleep 5 # likewise
check "still no cycle" no_cycle
for h in "${FOREST_HOSTS[@]}"; do
	check "$h answers and did not step" no_new_steps "$h"
done
t_done

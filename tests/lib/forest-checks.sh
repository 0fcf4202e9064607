# shellcheck shell=bash
# forest-checks.sh: assertions shared by the forest tests (sourced after
# common.sh and forest.sh).

# The sources the hierarchy rules give each machine of the test forest
# (tests/world: root HQ rootdc1 PDC + rootdc2, root Branch rodc1, child
# Branch childdc1 PDC + childdc2; members member1 root HQ, member2 root
# Branch, childm1 child HQ), cross_site_sync = pdc_only, three sources at
# most. See hierarchy/hierarchy.h for the steps.
declare -A EXPECTED_SOURCES=(
	[rootdc1]="@ext"                                          # forest root PDC: manual list
	[rootdc2]="rootdc1.forest.test"                           # step 2: reliable (root PDC), own site
	[rodc1]="rootdc1.forest.test"                             # RODC: step 6, the PDC
	[childdc1]="rodc1.forest.test"                            # step 1: parent domain, own site
	[childdc2]="rodc1.forest.test childdc1.child.forest.test" # steps 1 and 3
	[member1]="rootdc1.forest.test rootdc2.forest.test"       # step 1, PDC first (score 15)
	[member2]="rodc1.forest.test rootdc1.forest.test"         # step 1, then step 6
	[childm1]="childdc1.child.forest.test"                    # step 6 (no child DC in HQ)
)

# chosen NAME: the hosts the hierarchy chose, in order.
chosen() {
	forest_ctl "$1" source --explain --json 2>/dev/null |
		json '" ".join(c["host"] for c in j["candidates"] if c["chosen"])'
}

expected_sources() {
	local e=${EXPECTED_SOURCES[$1]}
	echo "${e//@ext/$FOREST_EXT_IP}"
}

# sources_as_rules_say NAME: its chosen sources are exactly the expected ones.
sources_as_rules_say() {
	[ "$(chosen "$1")" = "$(expected_sources "$1")" ]
}

error_of() { forest_ctl "$1" status --json 2>/dev/null | json 'j["clock_error"]'; }
steps_of() { forest_ctl "$1" status --json 2>/dev/null | json 'j["steps"]'; }

# all_within LIMIT: every host synchronised and within LIMIT seconds.
all_within() {
	local h
	for h in "${FOREST_HOSTS[@]}"; do
		forest_ctl "$h" status --json 2>/dev/null |
			json "j['synchronized'] and abs(j['clock_error']) < $1" | grep -qx true || return 1
	done
}

# chain NAME: the hosts NAME's time comes through, by refids, up to the
# external reference ("ext"), a local clock ("LOCL") or nothing ("-");
# "CYCLE" when a host repeats.
chain() {
	local h=$1 seen=" " refid next out=""
	declare -A by_ip=()
	local n
	for n in "${FOREST_HOSTS[@]}"; do by_ip[${FOREST_IP[$n]}]=$n; done
	while :; do
		out="$out $h"
		case "$seen" in *" $h "*) echo "$out CYCLE"; return ;; esac
		seen="$seen$h "
		refid=$(forest_ctl "$h" status --json 2>/dev/null | json 'j["refid"]')
		if [ "$refid" = "$FOREST_EXT_IP" ]; then echo "$out ext"; return; fi
		# No answer (a stopped host): no refid, and "" is no array subscript.
		if [ -z "$refid" ]; then echo "$out -"; return; fi
		next=${by_ip[$refid]:-}
		if [ -z "$next" ]; then echo "$out $refid"; return; fi
		h=$next
	done
}

# remember_steps: each host's clock steps so far, for no_new_steps.
remember_steps() {
	local h
	declare -gA STEPS=()
	for h in "${FOREST_HOSTS[@]}"; do STEPS[$h]=$(steps_of "$h"); done
}

# no_new_steps HOST: HOST answers and has not stepped since remember_steps.
no_new_steps() { test "$(steps_of "$1")" = "${STEPS[$1]}"; }

# start_all_converged: a domtimed on every host (clocks 10 ms off), then wait
# until all are within 1 ms; exits the test when that fails.
start_all_converged() {
	local h
	for h in "${FOREST_HOSTS[@]}"; do
		forest_start -n "$h" "clock_offset = 0.01" || { fail "forest_start $h"; exit 1; }
	done
	forest_wait "${FOREST_HOSTS[@]}" || { fail "every domtimed answers"; exit 1; }
	check "the forest converges (all within 1 ms)" wait_for 60 all_within 0.001
}

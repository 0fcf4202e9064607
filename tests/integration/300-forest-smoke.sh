#!/bin/bash
# Smoke test of the forest harness (tests/lib/forest.sh): the whole test
# forest, one network namespace per host (slapd + KDC + dnsmasq in "infra",
# a chronyd -x reference in "ext"), a domtimed per host on a virtual clock
# with its own error. Each daemon must report its role and follow some
# sources within 20 s; then every host's "role state source clock_error" is
# printed every 5 s for FOREST_SMOKE_SECS (default 60) s, and at the end
# every clock must be synchronised and within 1 ms of the truth.
. "$(dirname "$0")/../lib/common.sh"
need_root
[ -x "$DOMTIMED" ] || skip "$DOMTIMED missing (make)"
command -v chronyd >/dev/null || skip "chronyd missing"
. "$TOP/tests/lib/forest.sh"

SECS=${FOREST_SMOKE_SECS:-60}

# shellcheck disable=SC2119  # no options: the default forest
if ! forest_up; then
	fail "forest_up"
	exit 1
fi
pass "forest up in $FOREST_UP_MS ms (${#FOREST_HOSTS[@]} hosts + infra + ext)"

# Clock errors: the root PDC far ahead (it follows ext), its peer DC behind,
# the child PDC ahead and fast, the rest a little off.
declare -A CONF=(
	[rootdc1]="clock_offset = 3"
	[rootdc2]="clock_offset = -1"
	[rodc1]="clock_offset = 0.3"
	[childdc1]="clock_offset = 0.5|clock_freq_ppm = 200"
	[childdc2]="clock_offset = -0.2"
	[member1]="clock_offset = 0.05|clock_freq_ppm = -30"
	[member2]="clock_offset = -0.03"
	[childm1]="clock_offset = 0.02|clock_freq_ppm = 20"
)
t0=$EPOCHREALTIME
for h in "${FOREST_HOSTS[@]}"; do
	IFS='|' read -ra lines <<<"${CONF[$h]:-clock_offset = 0.01}"
	forest_start -n "$h" "${lines[@]}" || { fail "forest_start $h"; exit 1; }
done
if forest_wait "${FOREST_HOSTS[@]}"; then
	pass "${#FOREST_HOSTS[@]} domtimeds answer after $($PY -c "print('%.2f' % ($EPOCHREALTIME - $t0))") s"
else
	fail "every domtimed answers"
	exit 1
fi

# chosen NAME: "host(verdict) ..." of the candidates the hierarchy chose.
chosen() {
	forest_ctl "$1" source --explain --json 2>/dev/null |
		json '" ".join("%s(%s)" % (c["host"], c["verdict"]) for c in j if c["chosen"])'
}
# Role and chosen sources, within 20 s.
declare -A ROLE_OK=() SRC_OK=()
deadline=$((SECONDS + 20))
while :; do
	missing=0
	for h in "${FOREST_HOSTS[@]}"; do
		if [ -z "${ROLE_OK[$h]:-}" ]; then
			role=$(forest_ctl "$h" status --json 2>/dev/null | json 'j["role"]')
			if [ "$role" = "${FOREST_ROLE[$h]}" ]; then
				ROLE_OK[$h]=$SECONDS
			else
				missing=1
			fi
		fi
		if [ -z "${SRC_OK[$h]:-}" ]; then
			src=$(chosen "$h")
			if [ -n "$src" ]; then SRC_OK[$h]=$src; else missing=1; fi
		fi
	done
	if [ "$missing" = 0 ] || [ "$SECONDS" -ge "$deadline" ]; then break; fi
	sleep 0.2
done
for h in "${FOREST_HOSTS[@]}"; do
	role=$(forest_ctl "$h" status --json 2>/dev/null | json 'j["role"]')
	if [ -n "${ROLE_OK[$h]:-}" ]; then
		pass "$h reports role ${FOREST_ROLE[$h]} (site ${FOREST_SITE[$h]}, ${FOREST_DOMAIN[$h]})"
	else
		fail "$h reports role ${FOREST_ROLE[$h]} within 20 s (says: ${role:-nothing})"
	fi
	if [ -n "${SRC_OK[$h]:-}" ]; then
		pass "$h follows: $(chosen "$h")"
	else
		fail "$h chose no source within 20 s"
		forest_ctl "$h" source --explain 2>&1 | sed 's/^/     /'
	fi
done

# Convergence: poll twice a second, print every 5 s; remember when (seconds
# since the daemons were started) each host first came within 1 ms, and when
# all of them first were within 1 ms together.
since() { $PY -c "print('%.1f' % ($EPOCHREALTIME - $t0))"; }
declare -A FIRST_MS=()
all_ms=never
end=$((${EPOCHREALTIME%.*} + SECS))
next_print=0
while [ "${EPOCHREALTIME%.*}" -lt "$end" ]; do
	el=$(since)
	st=$(forest_status -r)
	all=1
	while IFS=$'\t' read -r h _ _ _ err _; do
		if [ "$err" != - ] && fcheck "abs($err) < 0.001"; then
			[ -n "${FIRST_MS[$h]:-}" ] || FIRST_MS[$h]=$el
		else
			all=0
		fi
	done <<<"$st"
	[ "$all" = 0 ] || [ "$all_ms" != never ] || all_ms=$el
	if [ "${el%.*}" -ge "$next_print" ]; then
		echo "   --- $el s after the start"
		forest_status | sed 's/^/   /'
		next_print=$((${el%.*} + 5))
	fi
	sleep 0.5
done

for h in "${FOREST_HOSTS[@]}"; do
	echo "   $h: first within 1 ms ${FIRST_MS[$h]:-never} s after the start"
done
echo "   every host within 1 ms at once: ${all_ms} s after the start"
st=$(forest_status -r)
bad=$(awk -F'\t' '$3 != "synchronised" || $5 == "-" || ($5 > 0.001 || $5 < -0.001) { print $1 "(" $3 ", " $5 ")" }' <<<"$st")
if [ -z "$bad" ]; then
	pass "after $SECS s every host is synchronised and within 1 ms"
else
	fail "after $SECS s not synchronised or off by more than 1 ms: $bad"
fi
# Nothing in the logs at error level.
errs=$(cat "$FOREST_DIR"/*.log 2>/dev/null | grep -c '^domtimed\[error\]' || true)
check "no error-level log lines ($errs)" test "$errs" -eq 0
t_done

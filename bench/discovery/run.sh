#!/bin/bash
# bench/discovery: wall time and LDAP round trips for one discovery of the
# test forest and of a generated large forest (50 domains, 1,000 DCs, 100
# sites, 2,000 subnets), each as a member and as a DC, median of a few runs.
# Targets (printed, not asserted): under 1 s, and a round-trip count that does
# not grow with the number of DCs.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$top/build}
runs=${RUNS:-5}
dirprobe=$build/dirprobe
[ -x "$dirprobe" ] || { echo "bench/discovery: build $dirprobe first (make ldap-tools)"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "bench/discovery: needs root (the test world)"; exit 1; }
worlds=()
cleanup() {
	for w in "${worlds[@]}"; do
		"$top/tests/world/world.sh" stop "$w" >/dev/null 2>&1
		rm -rf "$w"
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# measure WORLD MACHINE: median elapsed and round trips over $runs discoveries.
measure() {
	local w=$1 m=$2
	(
		. "$w/env"
		"$dirprobe" --keytab "$KEYTAB_DIR/$m.keytab" --dns-server "127.0.0.1:$DNS_PORT" \
			--ldap-nocanon yes --timeout 10 --repeat "$runs" --interval 0.2 2>/dev/null
	) | sed -n 's/^result .*elapsed=\([0-9.]*\) round_trips=\([0-9]*\) errors=\([0-9]*\).*/\1 \2 \3/p' |
		sort -n | awk -v n="$runs" '{ t[NR] = $1; rt[NR] = $2; e += $3 }
			END { m = int((NR + 1) / 2); printf "%.3f %d %d %d\n", t[m], rt[m], e, NR }'
}

printf '%-28s %-10s %10s %12s %8s\n' forest machine "wall (s)" "round trips" errors
for kind in small large; do
	w=$(mktemp -d /dev/shm/dtb.XXXXXX)
	worlds+=("$w")
	"$top/tests/world/world.sh" start "$w" $([ $kind = large ] && echo --large --members 2) \
		>"$w.log" 2>&1 || { echo "world ($kind) did not start: $(tail -n 3 "$w.log")"; exit 1; }
	dcs=$(awk -F'\t' 'NR > 1 && $5 ~ /dc|pdc/' "$w/data/machines.tsv" | wc -l)
	member=$(awk -F'\t' 'NR > 1 && $5 == "member" { print $1; exit }' "$w/data/machines.tsv")
	dc=$(awk -F'\t' 'NR > 1 && $5 == "dc" { print $1; exit }' "$w/data/machines.tsv")
	for m in "$member" "$dc"; do
		read -r t rt e n <<<"$(measure "$w" "$m")"
		printf '%-28s %-10s %10s %12s %8s\n' "$kind ($dcs DCs)" "$m" "$t" "$rt" "$e/$n runs"
	done
done
echo "targets: wall < 1 s; round trips independent of the number of DCs (they grow with"
echo "pages of 1,000 entries and with domains, whose NC heads are read one each)"

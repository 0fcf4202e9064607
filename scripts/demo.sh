#!/bin/bash
# make demo: a small forest on this machine, one network namespace per host:
# slapd + an MIT KDC + DNS (the directory), a chronyd -x as the external time
# source, and a domtimed on the forest root's PDC, a second root DC, the
# RODC of the branch site, the child domain's PDC and a member, each on its
# own virtual clock with its own error (the machine's real clock is never
# touched). Every host finds its place over LDAP with Kerberos, picks its
# sources by the domain hierarchy rules, and converges; the demo prints
# every host's status as they do, then the hierarchy as one host sees it.
# Everything is torn down on exit or Ctrl-C.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "make demo needs root (network namespaces)"; exit 1; }
. "$top/tests/lib/forest.sh"
secs=${DEMO_SECS:-24}

forest_up --delay-members 5 1 >/dev/null || { echo "demo: cannot bring the forest up"; exit 1; }
trap 'exit 130' INT TERM

cat <<EOF
== A forest on one machine (up in $FOREST_UP_MS ms): directory at $FOREST_INFRA_IP (slapd, KDC,
   DNS), external NTP server (chronyd -x) at $FOREST_EXT_IP; the member's link is delayed
   5 +- 1 ms each way. Starting domtimed on five hosts, each clock off on purpose:
EOF
declare -A CONF=(
	[rootdc1]="clock_offset = 3"
	[rootdc2]="clock_offset = -1"
	[rodc1]="clock_offset = 0.3"
	[childdc1]="clock_offset = 0.5|clock_freq_ppm = 200"
	[member1]="clock_offset = 0.05|clock_freq_ppm = -30"
)
hosts=(rootdc1 rootdc2 rodc1 childdc1 member1)
for h in "${hosts[@]}"; do
	printf '   %-9s %-22s %s\n' "$h" "${FOREST_FQDN[$h]%%.*}.${FOREST_DOMAIN[$h]}" \
		"${CONF[$h]//|/, }"
	IFS='|' read -ra lines <<<"${CONF[$h]}"
	forest_start -n "$h" "${lines[@]}" || exit 1
done
forest_wait "${hosts[@]}" || exit 1

echo
printf '%-9s %-8s %-16s %-28s %s\n' host role state source "clock error"
for ((t = 0; t <= secs; t += 3)); do
	echo "-- t = $t s"
	forest_status "${hosts[@]}"
	sleep 3
done

echo
echo "== The hierarchy as member1 reads it (domtimectl hierarchy):"
forest_ctl member1 hierarchy
echo
echo "== Why the child domain's PDC follows what it follows (domtimectl source --explain):"
forest_ctl childdc1 source --explain

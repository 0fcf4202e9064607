#!/bin/bash
# The large forest (50 domains, 1,000 DCs, 100 sites, 2,000 subnets; slapd
# returns at most 1,000 entries without paging): one discovery reads every
# site, server, NTDS settings object and subnet through paged results, in
# a number of round trips that grows with the pages (1,000 objects each) and
# the domains, not with the DCs, and prints its wall time.
#
# Known limit of the test world, not of discovery: this slapd serves 54 mdb
# databases and its thread pool has 32 thread-specific keys per thread
# (tpool.c MAXKEYS), so a read of a database a thread has not touched yet
# can fail with "internal error" (slapd logs "mdb_opinfo_get:
# thread_pool_setkey failed err (12)"). Such NC heads are counted, not
# failed on.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world --large

# The forest root PDC, and a member-less deep domain's RODC.
deep=$(awk -F'\t' '$5 == "rodc" { m = $1 } END { print m }' "$MACHINES_TSV")
for m in rootdc01 "$deep"; do
	out=$(dirprobe_as "$m" --timeout 10 --forest 2>"$T_DIR/$m.err")
	res=$(grep '^result ' <<<"$out")
	counts=$(grep -o 'crossrefs=[0-9]* nc_heads=[0-9]* sites=[0-9]* servers=[0-9]* ntds=[0-9]* subnets=[0-9]*' <<<"$res")
	heads=$(field nc_heads <<<"$res")
	slapd_keys=$(grep -c '^error: .*(internal error)' <<<"$out")
	other=$(grep '^error: ' <<<"$out" | grep -vc '(internal error)')
	rt=$(field round_trips <<<"$res")
	echo "   $m: $(field elapsed <<<"$res") s, $rt round trips, $counts, self=$(field self <<<"$res")," \
		"pings=$(field pings <<<"$res"), slapd key failures $slapd_keys"
	check "$m: every site, server, NTDS settings object and subnet was read" \
		grep -q 'crossrefs=54 nc_heads=[0-9]* sites=100 servers=1000 ntds=1000 subnets=2000' <<<"$res"
	check "$m: each domain's NC head was read or refused by slapd's key limit ($heads + $slapd_keys)" \
		test $((heads + slapd_keys)) -ge 50
	check "$m: no other error ($other)" test "$other" -eq 0
	# bind 3, rootDSE 1, crossRefs 1, 5 pages of sites, ourselves 1, TCP ping 1,
	# 50 NC heads (8 at a time), UDP pings 1.
	check "$m: $rt round trips (at most 64: pages and domains, not DCs)" test "$rt" -le 64
	check "$m: read in under 5 s" fcheck "$(field elapsed <<<"$res") < 5"
done
# The crossRefs and our object take a page each, CN=Sites 5 of 1,000 entries:
# ldap_max_pages = 5 stops the read before CN=Sites' fourth.
out=$(dirprobe_as rootdc01 --timeout 10 --ldap-max-pages 5 2>/dev/null)
check "ldap_max_pages stops a paged read: $(grep '^limits ' <<<"$out")" \
	grep -q '^limits .*incomplete=the directory returned more than ldap_max_pages (5)' <<<"$out"
check "... after 3,000 of the entries under CN=Sites" \
	grep -q '^result .* sites=[0-9]* servers=[0-9]* ntds=[0-9]* subnets=[0-9]*' <<<"$out"
n=$(grep '^result ' <<<"$out" | sed 's/.* sites=\([0-9]*\) servers=\([0-9]*\) ntds=\([0-9]*\) subnets=\([0-9]*\).*/\1+\2+\3+\4/' | bc)
check "... ($n read: 3 pages of 1,000)" test "$n" -eq 3000
t_done

#!/bin/bash
# The forest read when no one DC holds every domain's NC, as in any real
# multi-domain forest: two slapds, the root domain's NC in one and the child
# domain's in the other (world.sh --split-child; both hold configuration and
# schema). Each machine reads the other domain's NC head from a DC of that
# domain, found by DNS, and a silent DC of the other domain costs a bounded
# wait and a named error, not the whole read.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world --split-child
check "the root slapd does not hold the child NC" bash -c \
	"! ldapsearch -x -H 'ldap://127.0.0.1:$LDAP_PORT' -s base -b '' namingContexts | grep -qi 'dc=child,'"
check "the second slapd holds it" bash -c \
	"ldapsearch -x -H 'ldap://127.0.0.1:$LDAP2_PORT' -s base -b '' namingContexts | grep -qi 'dc=child,'"

probe() {
	local m=$1
	shift
	dirprobe_as "$m" --timeout 5 --forest --debug "$@" 2>"$T_DIR/probe-$m.err"
}
full="crossrefs=6 nc_heads=2 sites=2 servers=5 ntds=5 subnets=3 self=1"
while read -r m role domain own other; do
	out=$(probe "$m")
	res=$(grep '^result ' <<<"$out")
	forest=$(grep '^forest ' <<<"$out")
	check "$m: the whole forest, no error ($(grep -o 'errors=[0-9]*' <<<"$res"))" \
		grep -q "errors=0 $full" <<<"$res"
	check "$m: $role in $domain, no problem" test \
		"$(field role <<<"$forest") $(field self_domain <<<"$forest") $(field problems <<<"$forest")" \
		= "$role $domain 0"
	check "$m: read first from a DC of its own domain (port $own)" \
		grep -q "read_from=ldap://[^ ]*:$own " <<<"$res"
	check "$m: the other domain's NC from a DC of that domain (port $other)" \
		grep -Eq "bound to ldap://[^ ]*:$other from" "$T_DIR/probe-$m.err"
done <<EOF
member1 member forest.test $LDAP_PORT $LDAP2_PORT
rootdc1 root_pdc forest.test $LDAP_PORT $LDAP2_PORT
childm1 member child.forest.test $LDAP2_PORT $LDAP_PORT
childdc2 dc child.forest.test $LDAP2_PORT $LDAP_PORT
EOF

# The child domain's DC hangs: the root member still reads its own domain,
# names what it could not read, and gives up on the other within its budget.
kill -STOP "$SLAPD2_PID"
t0=$EPOCHREALTIME
out=$(probe member1 --timeout 1)
took=$("$PY" -c "print(round($EPOCHREALTIME - $t0, 1))")
kill -CONT "$SLAPD2_PID"
res=$(grep '^result ' <<<"$out")
check "with the child's DC silent: the root NC is read, the child's is not ($(grep -o 'nc_heads=[0-9]*' <<<"$res"))" \
	grep -q "nc_heads=1 " <<<"$res"
check "... the error names the NC and the domain" \
	grep -qi "^error: the NC head DC=child,DC=forest,DC=test: no DC of child.forest.test" <<<"$out"
check "... and the wait was bounded (${took} s)" fcheck "$took < 8"
t_done

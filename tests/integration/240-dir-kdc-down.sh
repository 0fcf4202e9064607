#!/bin/bash
# The KDC gone (krb5kdc stopped) and hung (SIGSTOP):
#  - a discovery that needs a ticket says plainly that no KDC answered,
#    naming the realm and each address tried, at once when the KDC is
#    gone and within its timeout when it hangs (MIT's own transport would
#    wait ~30 s), and still reads the rootDSE anonymously and pings;
#  - a process that already holds its tickets keeps reading the forest;
#  - a process started while the KDC is down recovers when it returns.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world

timeout=2
full='errors=0 crossrefs=6 nc_heads=2 sites=2 servers=5 ntds=5 subnets=3 self=1'
# probe NAME ARGS...: discoveries as member1, output in $T_DIR/NAME.out.
probe() {
	local name=$1
	shift
	dirprobe_as member1 --timeout $timeout "$@" >"$T_DIR/$name.out" 2>"$T_DIR/$name.log"
}
elapsed() { sed -n 's/^result .* elapsed=\([0-9.]*\) .*/\1/p' "$T_DIR/$1.out" | head -n 1; }
kdc_start() {
	krb5kdc -n $(for r in $REALMS; do printf -- '-r %s ' "$r"; done) \
		</dev/null >>"$T_DIR/krb5kdc.log" 2>&1 &
	KDC=$!
	T_PIDS+=("$KDC")
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$KDC_PORT" || fail "the KDC did not come back"
}

# A process that got its tickets while the KDC was there.
probe holder --repeat 30 --interval 0.3 &
T_PIDS+=("$!")
HOLDER=$!
holder_up() { [ "$(results holder)" -ge 2 ]; }
wait_for 10 holder_up || { fail "no discovery with the KDC up"; exit 1; }

kill "$KDC_PID"
wait_for 5 bash -c "! kill -0 $KDC_PID 2>/dev/null || grep -q '^Z' <(awk '{print \$3}' /proc/$KDC_PID/stat)"
probe down
check "KDC gone: the error names the realm and the refused addresses" \
	grep -q "^error: Kerberos: cannot get initial credentials for MEMBER1\$@FOREST.TEST: no KDC answered: realm FOREST.TEST: 127.0.0.1:$KDC_PORT (tcp): Connection refused; 127.0.0.1:$KDC_PORT (udp): Connection refused" \
	"$T_DIR/down.out"
check "KDC gone: said at once ($(elapsed down) s)" fcheck "$(elapsed down) < 1"
check "KDC gone: the rootDSE was still read (anonymously)" grep -q 'rootdse=1' "$T_DIR/down.out"
# Started now, recovers later (below).
probe recover --repeat 40 --interval 0.3 &
T_PIDS+=("$!")
RECOVER=$!
sleep 2
kdc_start
wait "$HOLDER"
# (A DC it had no service ticket for yet is refused, with an error, and the
# next DC is used: the forest is read every time.)
check "a process holding its tickets read the forest all along" \
	test "$(grep -c "^result .* ${full#errors=0 }" "$T_DIR/holder.out")" -eq 30
wait "$RECOVER"
first_bad=$(grep -c '^result .* errors=[1-9]' "$T_DIR/recover.out")
check "a process started without a KDC failed while it was gone ($first_bad runs)" \
	test "$first_bad" -ge 1
check "... and read the forest once it came back" \
	test "$(grep '^result ' "$T_DIR/recover.out" | tail -n 5 | grep -c " $full")" -eq 5

# A hung KDC: our transport gives up at the timeout.
kill -STOP "$KDC"
t_on_exit "kill -CONT $KDC 2>/dev/null"
probe hung
check "KDC hung: the error says it timed out" \
	grep -q "^error: Kerberos: .*no KDC answered: realm FOREST.TEST: 127.0.0.1:$KDC_PORT (tcp): timed out" \
	"$T_DIR/hung.out"
check "KDC hung: given up within the timeout ($(elapsed hung) s, limit $timeout s + 0.5)" \
	fcheck "$(elapsed hung) < $timeout + 0.5"
kill -CONT "$KDC"
probe back
check "KDC thawed: a new process reads the forest" grep -q "^result .* $full" "$T_DIR/back.out"
grep -h '^error: ' "$T_DIR"/{down,hung}.out | sort | uniq -c
t_done

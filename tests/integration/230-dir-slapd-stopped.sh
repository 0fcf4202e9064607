#!/bin/bash
# A hung DC: slapd frozen with SIGSTOP while discoveries run. Each discovery
# caught by it ends at its timeout with an error that says so (a connection
# is accepted by the kernel, then nothing answers); after SIGCONT the next
# discoveries read the forest again, in the same process. With DNS giving
# two DCs (both the frozen slapd), each is given one timeout. Last, a hung
# DNS server.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world
t_on_exit "kill -CONT $SLAPD_PID 2>/dev/null"

timeout=2
# probe NAME ARGS...: a loop of discoveries in the background, output in $T_DIR/NAME.out.
probe() {
	local name=$1
	shift
	dirprobe_as member1 --timeout $timeout --repeat 25 --interval 0.3 "$@" \
		>"$T_DIR/$name.out" 2>"$T_DIR/$name.log" &
	T_PIDS+=("$!")
	eval "PID_$name=$!"
}

probe uri --ldap-uri "ldap://rootdc1.forest.test:$LDAP_PORT"
probe srv
running() { [ "$(results uri)" -ge 3 ] && [ "$(results srv)" -ge 3 ]; }
wait_for 10 running ||
	{ fail "no discoveries before the freeze"; exit 1; }
kill -STOP "$SLAPD_PID"
sleep 5
kill -CONT "$SLAPD_PID"
wait "$PID_uri" "$PID_srv" 2>/dev/null

for name in uri srv; do
	limit=$([ $name = uri ] && echo $timeout || echo $((2 * timeout)))
	bad=$(grep '^result ' "$T_DIR/$name.out" | grep -v ' errors=0 ')
	n_bad=$(grep -c . <<<"$bad")
	worst=$(sed -n 's/.* elapsed=\([0-9.]*\) .*/\1/p' <<<"$bad" | sort -n | tail -n 1)
	check "$name: discoveries during the freeze failed ($n_bad of them)" test "$n_bad" -ge 1
	check "$name: each ended within its timeouts (worst ${worst:-?} s, limit $limit s + 0.5)" \
		fcheck "${worst:-99} <= $limit + 0.5"
	check "$name: the error says the DC did not answer in time" \
		grep -q "^error: .*no answer within $timeout s" "$T_DIR/$name.out"
	tail_ok=$(grep '^result ' "$T_DIR/$name.out" | tail -n 3 | grep -c ' errors=0 crossrefs=6 ')
	check "$name: after SIGCONT the same process reads the forest again" test "$tail_ok" -eq 3
	check "$name: all 25 discoveries reported" test "$(results $name)" -eq 25
done
grep -h '^error: ' "$T_DIR/uri.out" "$T_DIR/srv.out" | sort | uniq -c | sort -rn | head -n 6

# Stopping discovery while it waits on the frozen DC (a daemon shutting
# down): dir_discovery_free() returns at once, not after the timeout.
kill -STOP "$SLAPD_PID"
out=$(dirprobe_as member1 --timeout 10 --abandon-after 1 2>>"$T_DIR/abandon.log")
kill -CONT "$SLAPD_PID"
took=$(sed -n 's/^abandoned: busy=1 free_took=\([0-9.]*\)$/\1/p' <<<"$out")
check "a busy discovery is stopped in ${took:-?} s (timeout 10 s)" fcheck "${took:-99} < 0.5"

# A hung DNS server (dnsmasq frozen) costs one timeout, not one per query.
t_on_exit "kill -CONT $DNSMASQ_PID 2>/dev/null"
kill -STOP "$DNSMASQ_PID"
dirprobe_as member1 --timeout $timeout >"$T_DIR/dns.out" 2>"$T_DIR/dns.log"
kill -CONT "$DNSMASQ_PID"
took=$(sed -n 's/^result .* elapsed=\([0-9.]*\) .*/\1/p' "$T_DIR/dns.out")
check "DNS hung: the discovery ended in ${took:-?} s (limit $timeout s + 0.5)" \
	fcheck "${took:-99} <= $timeout + 0.5"
check "DNS hung: the error names the query that got no answer" \
	grep -q "^error: locating the DCs of our domain: DNS query for _ldap._tcp.dc._msdcs.forest.test: no answer within $timeout s" \
	"$T_DIR/dns.out"
t_done

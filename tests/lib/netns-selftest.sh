#!/bin/bash
# Self-test of tests/lib/netns.sh and tests/tools/linkdelay (root, ~35 s).
#
# Builds linkdelay, makes hosts a, b, c on one switch and checks: names,
# hostnames and PIDs; ping RTT without delay, with 5 +- 1 ms each way (RTT
# ~10 ms), with an asymmetric 2 ms / 8 ms link (RTT ~10 ms); one-way delays
# (tests/tools/owd.py: all namespaces share one clock); a per-pair delay;
# delay changes under traffic (no loss, nothing undelayed or early); the
# precision of plain and "-r 10 -S 100" linkdelays; their CPU use at ~5000
# packets/s; and that cleanup (explicit, and from the trap of a killed
# script) leaves no namespace, process or file. Prints the figures; exits
# non-zero if any check fails. Needs iputils-ping and /usr/bin/python3.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PY=/usr/bin/python3
OWD=$ROOT/tests/tools/owd.py

failures=0
fail()
{
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
ok()
{
	echo "ok:   $*"
}
# expect DESCRIPTION COMMAND...: ok if COMMAND succeeds.
expect()
{
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
# check DESCRIPTION AWK-CONDITION: the condition sees the current values.
check()
{
	if awk "BEGIN { exit !($2) }"; then ok "$1"; else fail "$1 ($2)"; fi
}

for tool in ping mkfifo awk; do
	command -v "$tool" >/dev/null || {
		echo "netns-selftest: $tool missing (Debian iputils-ping, coreutils, mawk)" >&2
		exit 1
	}
done
[ -x "$PY" ] || {
	echo "netns-selftest: $PY missing" >&2
	exit 1
}

make -s -f tests/tools/tools.mk BUILD="$BUILD" "$BUILD/linkdelay"
export NETNS_LINKDELAY=$BUILD/linkdelay
# shellcheck source=netns.sh
. "$ROOT/tests/lib/netns.sh"

hosts_sum=$(md5sum /etc/hosts)
machine=$(hostname)
netns_init selftest
pfx=$NETNS_PFX
echo "namespaces: ${pfx}*  work dir: $NETNS_DIR"
netns_switch
netns_host a 10.250.0.1/24 fd00:250::1/64
netns_host b 10.250.0.2/24 fd00:250::2/64
netns_host c 10.250.0.3/24

# --- names, files, PIDs -------------------------------------------------------
got=$(netns_exec a getent ahostsv4 b | awk '{ print $1; exit }')
expect "a resolves b via its /etc/hosts ($got)" test "$got" = 10.250.0.2
expect "the machine's /etc/hosts is untouched" test "$(md5sum /etc/hosts)" = "$hosts_sum"
expect "programs on a see hostname a" test "$(netns_exec a hostname)" = a
netns_hostname c c.example.test
expect "netns_hostname: c is c.example.test" test "$(netns_exec c hostname)" = c.example.test
expect "the machine's hostname is untouched" test "$(hostname)" = "$machine"
t0=$(date +%s%N)
for _ in 1 2 3 4 5 6 7 8 9 10; do netns_exec a true; done
echo "      netns_exec a true: $((($(date +%s%N) - t0) / 10000000)) ms per call"
netns_bg a sleep 300
p=$!
[ "$p" = "$NETNS_LAST_PID" ] || fail "\$! ($p) != NETNS_LAST_PID ($NETNS_LAST_PID)"
for _ in $(seq 100); do
	[ "$(cat "/proc/$p/comm" 2>/dev/null)" = sleep ] && break
	sleep 0.01
done
expect "netns_bg: \$! is the program itself" test "$(cat "/proc/$p/comm")" = sleep
expect "the program runs in a's namespace" \
	test "$(readlink "/proc/$p/ns/net")" = "$(netns_exec a readlink /proc/self/ns/net)"
expect "no test interface in the initial namespace" \
	test -z "$(ip -o link show | grep -E ': v-[abc][@:]')"

# --- measurements -------------------------------------------------------------
# ping_stats HOST DEST COUNT INTERVAL [ping options]: sets MIN AVG MAX MDEV LOSS.
# (iputils ping sends at most ~100/s while replies are outstanding.)
ping_stats()
{
	local host=$1 dest=$2 count=$3 interval=$4 out
	shift 4
	MIN=0 AVG=0 MAX=0 MDEV=0
	out=$(netns_exec "$host" ping -q -n "$@" -c "$count" -i "$interval" -W 2 "$dest") || true
	LOSS=$(echo "$out" | sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p')
	read -r MIN AVG MAX MDEV < <(echo "$out" | sed -n 's|^rtt [^=]*= \([0-9./]*\) ms.*|\1|p' |
		tr / ' ') || true
	: "${LOSS:=100}"
	printf '      ping %-30s RTT min/avg/max/mdev = %s/%s/%s/%s ms, loss %s%%\n' \
		"$host->$dest x$count @${interval}s $*" "$MIN" "$AVG" "$MAX" "$MDEV" "$LOSS"
}

# One-way delays (tests/tools/owd.py): owd_start FROM TO PORT [COUNT [INTERVAL]]
# for each direction wanted, owd_wait, then owd_read FROM TO sets
# N MIN AVG MAX SD P5 P50 P95 P99 (ms).
OWD_PIDS=()
owd_start()
{
	local from=$1 to=$2 port=$3 count=${4:-200} interval=${5:-0.01}
	rm -f "$NETNS_DIR/owd-$from-$to"
	netns_bg_ready "$to" 5 "$PY" "$OWD" recv "$port" "$count" 2 "$NETNS_DIR/owd-$from-$to" ||
		fail "owd receiver on $to"
	OWD_PIDS+=("$NETNS_LAST_PID")
	netns_bg "$from" "$PY" "$OWD" send "$to" "$port" "$count" "$interval"
	OWD_PIDS+=("$NETNS_LAST_PID")
}
owd_wait()
{
	local p
	for p in "${OWD_PIDS[@]}"; do wait "$p" || fail "owd process $p failed"; done
	OWD_PIDS=()
}
owd_read()
{
	local from=$1 to=$2 kv
	local -a kvs=()
	N=0 MIN=0 AVG=0 MAX=0 SD=0 P5=0 P50=0 P95=0 P99=0
	read -ra kvs <"$NETNS_DIR/owd-$from-$to" || true
	for kv in "${kvs[@]}"; do
		case $kv in
		n=*) N=${kv#*=} ;;
		min=*) MIN=${kv#*=} ;;
		avg=*) AVG=${kv#*=} ;;
		max=*) MAX=${kv#*=} ;;
		sd=*) SD=${kv#*=} ;;
		p5=*) P5=${kv#*=} ;;
		p50=*) P50=${kv#*=} ;;
		p95=*) P95=${kv#*=} ;;
		p99=*) P99=${kv#*=} ;;
		esac
	done
	printf '      one-way %-5s n=%-5s min/avg/max/sd %s/%s/%s/%s  p5/p50/p95/p99 %s/%s/%s/%s ms\n' \
		"$from->$to" "$N" "$MIN" "$AVG" "$MAX" "$SD" "$P5" "$P50" "$P95" "$P99"
}

# linkdelay_stats [-f FROM] NAME: the last counter line of a link.
linkdelay_stats()
{
	grep 'received=' "$(netns_delay_log "$@")" | tail -1
}

cpu_ticks()
{
	local s
	s=$(cat "/proc/$1/stat")
	s=${s##*) }
	# shellcheck disable=SC2086
	set -- $s
	echo $((${12} + ${13}))
}

# flood LABEL: 10000 UDP probes each way at 5000/s through both linkdelays;
# prints the rate, linkdelay CPU and one-way delays under load.
flood()
{
	local hz pa pb ta0 tb0 ta1 tb1 t0 t1 n
	hz=$(getconf CLK_TCK)
	pa=$(netns_delay_pid a)
	pb=$(netns_delay_pid b)
	ta0=$(cpu_ticks "$pa")
	tb0=$(cpu_ticks "$pb")
	t0=$(date +%s.%N)
	owd_start a b 4010 10000 0.0002
	owd_start b a 4011 10000 0.0002
	# The senders are the 2nd and 4th PIDs; time them, not the receivers' timeout.
	wait "${OWD_PIDS[1]}" "${OWD_PIDS[3]}" || true
	t1=$(date +%s.%N)
	ta1=$(cpu_ticks "$pa")
	tb1=$(cpu_ticks "$pb")
	owd_wait
	awk -v t0="$t0" -v t1="$t1" -v a=$((ta1 - ta0)) -v b=$((tb1 - tb0)) -v hz="$hz" \
		-v l="$1" 'BEGIN { w = t1 - t0
		printf "      %s: %.0f packets/s each way for %.2f s; linkdelay CPU %.1f%% (towards a) and %.1f%% (towards b) of one core\n",
			l, 10000 / w, w, 100 * a / hz / w, 100 * b / hz / w }'
	for n in "a b" "b a"; do
		# shellcheck disable=SC2086
		owd_read $n
		check "$1 ${n/ /->}: >= 99% of 10000 probes arrive, min >= 5, p50 <= 5.5 ms" \
			"$N >= 9900 && $MIN >= 4.99 && $P50 <= 5.5"
	done
}

echo "== no delay"
ping_stats a b 200 0.01
check "no delay: no loss" "$LOSS == 0"
check "no delay: avg RTT < 1 ms" "$AVG < 1"
owd_start a b 4000
owd_wait
owd_read a b
check "no delay: one-way p50 < 0.5 ms" "$N == 200 && $P50 < 0.5"

echo "== 5 +- 1 ms each way (uniform jitter)"
netns_delay b 5 1
netns_delay a 5 1
ping_stats a b 200 0.01
check "5+-1: no loss" "$LOSS == 0"
check "5+-1: min RTT >= 8 ms" "$MIN >= 7.95"
check "5+-1: avg RTT 9.6..10.8 ms" "$AVG >= 9.6 && $AVG <= 10.8"
# The upper bar is loose: ping's mdev is a standard deviation, so one late
# wake-up on a busy machine inflates it; the one-way percentiles below are
# the tight check of the spread.
check "5+-1: mdev 0.4..2.5 ms (sum of two uniforms: 0.82)" "$MDEV >= 0.4 && $MDEV <= 2.5"
ping_stats a b 50 0.01 -6
check "5+-1 IPv6: no loss, min >= 8 ms, avg 9.4..11 ms" \
	"$LOSS == 0 && $MIN >= 7.95 && $AVG >= 9.4 && $AVG <= 11"
owd_start a b 4001
owd_start b a 4002
owd_wait
for dir in "a b" "b a"; do
	# shellcheck disable=SC2086
	owd_read $dir
	# The average may run a little over 5 ms on a busy machine: the tool
	# releases a packet when it is due or later, never sooner.
	check "5+-1 one-way ${dir/ /->}: min >= 4, avg 4.8..5.6, p95 <= 6.5 ms" \
		"$N == 200 && $MIN >= 3.99 && $AVG >= 4.8 && $AVG <= 5.6 && $P95 <= 6.5"
	# Percentiles, not sd: one late wake-up on a busy machine inflates sd.
	check "5+-1 one-way ${dir/ /->}: jitter spread (p5 <= 4.5, p95 >= 5.5 ms)" \
		"$P5 <= 4.5 && $P95 >= 5.5"
done

echo "== asymmetric: 2 ms a->b, 8 ms b->a"
netns_delay b 2 0
netns_delay a 8 0
ping_stats a b 200 0.01
check "2/8: no loss, min RTT >= 10 ms, avg 10..10.8 ms" \
	"$LOSS == 0 && $MIN >= 9.98 && $AVG <= 10.8"
owd_start a b 4003
owd_start b a 4004
owd_wait
owd_read a b
check "2/8 one-way a->b: min >= 2, p50 2..2.3 ms" "$N == 200 && $MIN >= 1.99 && $P50 <= 2.3"
owd_read b a
check "2/8 one-way b->a: min >= 8, p50 8..8.3 ms" "$N == 200 && $MIN >= 7.99 && $P50 <= 8.3"

echo "== per pair: c->b 3 ms while a->b stays 2 ms"
netns_delay -f c b 3 0
owd_start c b 4005
owd_start a b 4006
owd_wait
owd_read c b
check "pair c->b: min >= 3, p50 3..3.3 ms" "$N == 200 && $MIN >= 2.99 && $P50 <= 3.3"
owd_read a b
check "a->b unchanged: min >= 2, p50 2..2.3 ms" "$N == 200 && $MIN >= 1.99 && $P50 <= 2.3"
netns_undelay -f c b

echo "== delay changes under traffic: 8 -> 5+-1 -> 8 -> 3 ms, 500 probes at 2 ms"
netns_delay b 8 0
owd_start a b 4007 500 0.002
sleep 0.25
netns_delay b 5 1
sleep 0.25
netns_delay b 8 0
sleep 0.25
netns_delay b 3 0
owd_wait
owd_read a b
check "changing delays loses no probe" "$N == 500"
check "no probe passes undelayed or early during a change (min >= 3 ms)" "$MIN >= 2.99"
early=$(grep -o ' at_exit=[0-9]*' "$(netns_delay_log b)" | awk -F= '{ s += $2 } END { print s + 0 }')
check "no packet released early by a stopping linkdelay" "$early == 0"
netns_undelay b

echo "== precision: 5 ms fixed each way, 200 probes at 10 ms"
for mode in "" "-r 10 -S 100"; do
	NETNS_DELAY_OPTS=$mode netns_delay b 5 0
	NETNS_DELAY_OPTS=$mode netns_delay a 5 0
	ping_stats a b 200 0.01
	owd_start a b 4008
	owd_wait
	owd_read a b
	# Restart (same mode) so the log holds the counters of this run.
	NETNS_DELAY_OPTS=$mode netns_delay b 5 0
	echo "      $(linkdelay_stats b | grep -o 'kstamped=.*late_max_us=[0-9.]*')"
	if [ -z "$mode" ]; then
		check "plain: min >= 5, p50 5..5.3 ms" "$N == 200 && $MIN >= 4.99 && $P50 <= 5.3"
	else
		check "$mode: min >= 5, p50 5..5.15 ms" "$N == 200 && $MIN >= 4.99 && $P50 <= 5.15"
	fi
done

echo "== CPU at 5000 packets/s each way, 5 ms each way"
netns_delay b 5 0
netns_delay a 5 0
flood plain
NETNS_DELAY_OPTS="-r 10 -S 100" netns_delay b 5 0
NETNS_DELAY_OPTS="-r 10 -S 100" netns_delay a 5 0
flood "-r 10 -S 100"
netns_undelay a
netns_undelay b
for n in a b; do
	expect "flood: linkdelays towards $n delayed every packet themselves (no overflow/fail-open)" \
		test -z "$(grep 'received=' "$(netns_delay_log "$n")" |
			grep -v ' overflow=0 at_exit=[0-9]* failopen=0 enobufs=0 verdict_errors=0 ')"
done
grep -h 'received=[0-9]\{5\}' "$NETNS_DIR"/delay/*.log | sed 's/^/      /'

# --- cleanup --------------------------------------------------------------------
echo "== cleanup"
mapfile -t started < <(awk '{ print $1 " " $2 }' "$NETNS_DIR/pids")
dir=$NETNS_DIR
netns_cleanup || fail "netns_cleanup returned non-zero"
left_ns=$(ip netns list | grep -c "^$pfx" || true)
expect "no namespace ${pfx}* left ($left_ns)" test "$left_ns" = 0
left_p=0
for e in "${started[@]}"; do
	st=$(cat "/proc/${e% *}/stat" 2>/dev/null || true)
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	if [ $# -ge 20 ] && [ "${20}" = "${e#* }" ] && [ "$1" != Z ]; then
		left_p=$((left_p + 1))
	fi
done
expect "none of the ${#started[@]} started processes is left ($left_p)" test "$left_p" = 0
expect "work dir removed" test ! -e "$dir"
expect "nothing in /etc/netns" test -z "$(ls -d /etc/netns/"$pfx"* 2>/dev/null)"

echo "== cleanup from the trap of a killed test"
tmp=$(mktemp -d)
cat >"$tmp/victim.sh" <<EOF
set -euo pipefail
. "$ROOT/tests/lib/netns.sh"
netns_init victim
netns_switch
netns_host a 10.251.0.1/24
netns_host b 10.251.0.2/24
netns_delay b 3 1
netns_bg a sleep 300
sleep 300 &
sleeper=\$!
echo "\$sleeper \$NETNS_PFX \$NETNS_DIR \$(netns_pids | tr '\n' ' ')" >"$tmp/info"
wait \$sleeper
EOF
bash "$tmp/victim.sh" &
vp=$!
for _ in $(seq 500); do
	[ -s "$tmp/info" ] && break
	sleep 0.01
done
read -r sleeper vpfx vdir vpids <"$tmp/info" || true
kill -TERM "$vp"
wait "$vp" && vrc=0 || vrc=$?
echo "      killed test exited with $vrc; it had started PIDs: ${vpids:-?}"
left_ns=$(ip netns list | grep -c "^${vpfx:-none}" || true)
expect "killed test: no namespace left ($left_ns)" test -n "${vpfx:-}" -a "$left_ns" = 0
left_p=0
for p in ${vpids:-}; do
	st=$(cat "/proc/$p/stat" 2>/dev/null || true)
	st=${st##*) }
	case $st in "" | Z*) ;; *) left_p=$((left_p + 1)) ;; esac
done
expect "killed test: no process left ($left_p)" test -n "${vpids:-}" -a "$left_p" = 0
expect "killed test: work dir removed" test -n "${vdir:-}" -a ! -e "${vdir:-/}"
# The victim's own "sleep 300" (not started through the library) outlives it.
[ -z "${sleeper:-}" ] || kill "$sleeper" 2>/dev/null || true
rm -rf "$tmp"

if [ "$failures" -ne 0 ]; then
	echo "netns-selftest: $failures check(s) failed" >&2
	exit 1
fi
echo "netns-selftest: all checks passed"

#!/bin/bash
# bench/serve/run.sh - serving benchmark: domtimed against chronyd -x.
#
# Runs the project's load generator (bench/serve/loadgen.c) against both
# servers on loopback, alternating A/B (ABBA) over several rounds, each server
# started fresh per round and pinned to one CPU while the generator is pinned
# to the other.  Per round and server:
#   (a) saturation: answered requests/s with a bounded in-flight window;
#   (b) server CPU time (utime+stime from /proc/PID/stat) per answered request
#       at a fixed offered rate both servers keep up with, once with the
#       requests sent in 1 ms bursts and once in fine ticks (see below);
#   (c) VmRSS before and after a run from 100,000 distinct client addresses.
# It prints the medians, the ratios domtimed/chronyd and the targets.  Speed
# figures are ratios measured in the same run, never pass/fail: the exit
# status is 0 unless something broke or a server sent a bad or duplicate reply.
#
# Why two pacings for (b): a server that sleeps between requests pays a wakeup
# per request (expensive in a VM), one that finds many queued requests per
# wakeup can batch them.  1 ms bursts (50 requests at 50,000/s) let recvmmsg
# batch; fine ticks (default 50 us: 2-3 requests) are closer to independent
# clients.  On the reference machine chronyd costs ~5 us/request with 1 ms
# bursts and ~8-9 us with fine ticks.
#
# Environment (defaults in brackets):
#   ROUNDS [3]  DURATION [5] s per fixed-rate run  SAT_DURATION [3] s
#   SAT_TRIES [3]: repeat a saturation run that something else disturbed
#   RATE [50000]  TICK_US [1000]  SMOOTH_TICK_US [50] (0 = skip that run)
#   RSS_CLIENTS [100000]  RSS_PASSES [2] requests per client in the RSS run
#   SERVERS ["domtimed chronyd"]  DOMTIMED [$BUILD/domtimed]  CHRONYD [chronyd]
#   SERVER_CPU [1]  LOADGEN_CPU [0]  BUILD [build]  KEEP [0]: keep the work dir
#   QUIET_PCT [10]  QUIET_WAIT [60] s: before each measurement, wait up to
#     QUIET_WAIT s until other processes use at most QUIET_PCT% of the
#     machine (a CPU hog next to a closed-loop benchmark halves its results)
#   NICE [-10]: niceness of server and generator, so that they win most of
#     their CPU back from a nice-0 neighbour without starving it.  It helps
#     the fixed-rate runs; the closed-loop saturation run still loses much
#     to wakeup latency next to a CPU hog, hence the QUIET_* wait above.
# Options: --quick (ROUNDS=1, 1 s runs, 1 RSS pass: < 30 s), -h.
set -eu

# shellcheck disable=SC2034 # lib.sh reads it
ME=run.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
	case "$1" in
	--quick)
		: "${ROUNDS:=1}" "${DURATION:=1}" "${SAT_DURATION:=1}" "${RSS_PASSES:=1}"
		;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
SAT_DURATION=${SAT_DURATION:-3}
SAT_TRIES=${SAT_TRIES:-3}
RATE=${RATE:-50000}
TICK_US=${TICK_US:-1000}
SMOOTH_TICK_US=${SMOOTH_TICK_US:-50}
RSS_CLIENTS=${RSS_CLIENTS:-100000}
RSS_PASSES=${RSS_PASSES:-2}
SERVERS=${SERVERS:-"domtimed chronyd"}
DOMTIMED=${DOMTIMED:-$BUILD/domtimed}
CHRONYD=${CHRONYD:-chronyd}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}
NICE=${NICE:--10}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_WAIT=${QUIET_WAIT:-60}
KEEP=${KEEP:-0}
LOADGEN=$BUILD/loadgen
HZ=$(getconf CLK_TCK)

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; }

# --- servers ---

write_conf() { # server port -> config path
	local conf=$DIR/$1.conf
	case "$1" in
	chronyd)
		# chronyd's defaults: no ratelimit, clientloglimit 512 KiB, no driftfile
		cat >"$conf" <<-EOF
			port $2
			bindaddress 127.0.0.1
			allow 127.0.0.0/8
			local stratum 1
			cmdport 0
			bindcmdaddress $DIR/chronyd.sock
			pidfile $DIR/chronyd.pid
		EOF
		;;
	domtimed)
		cat >"$conf" <<-EOF
			listen = 127.0.0.1:$2
			control_socket = $DIR/domtimed.sock
			clock = virtual
			reliable = yes
			ratelimit = no
			log_level = warning
		EOF
		;;
	esac
	echo "$conf"
}

SRV_PID=""
SRV_PORT=""

start_server() { # server
	local conf attempt
	for attempt in 1 2 3; do
		SRV_PORT=$(free_port -lun)
		conf=$(write_conf "$1" "$SRV_PORT")
		rm -f "$DIR/chronyd.pid" "$DIR/$1.sock"
		case "$1" in
		chronyd)
			# -x: never touch the clock.  nice and taskset exec, so $! is
			# the server itself.
			nice -n "$NICE" taskset -c "$SERVER_CPU" "$CHRONYD" -x -d -u root \
				-f "$conf" >"$DIR/$1.log" 2>&1 &
			;;
		domtimed)
			nice -n "$NICE" taskset -c "$SERVER_CPU" "$DOMTIMED" -d -f "$conf" \
				>"$DIR/$1.log" 2>&1 &
			;;
		esac
		SRV_PID=$!
		STARTED="$STARTED $SRV_PID"
		# readiness: a valid reply (the probe resends every 100 ms), no
		# fixed sleeps; short probes so that a server that died is noticed
		for _ in $(seq 20); do
			if "$LOADGEN" --probe --timeout 0.5 "127.0.0.1:$SRV_PORT" \
				>"$DIR/probe.out" 2>&1; then
				return 0
			fi
			alive "$SRV_PID" || break
		done
		if alive "$SRV_PID"; then
			cat "$DIR/probe.out" >&2
			stop_server
			die "$1 on port $SRV_PORT started but never answered; its log:
$(tail -20 "$DIR/$1.log")"
		fi
		wait "$SRV_PID" 2>/dev/null || true
		log "$1 exited at start (attempt $attempt, port $SRV_PORT): $(tail -3 "$DIR/$1.log")"
	done
	die "$1 would not start"
}

stop_server() {
	stop_pid "$SRV_PID" 5
	SRV_PID=""
}

# --- measurements ---

BAD_TOTAL=0
DISTURBED=0

LG=""

lg() { # loadgen args... -> its output line in LG; counts bad/dup replies
	# not called as $(lg ...): BAD_TOTAL must survive, so no subshell
	LG=$(nice -n "$NICE" taskset -c "$LOADGEN_CPU" "$LOADGEN" "$@" "127.0.0.1:$SRV_PORT" \
		2>"$DIR/lg.err") ||
		die "loadgen $* failed: $(cat "$DIR/lg.err")"
	echo "$CUR $LG" >>"$DIR/raw"
	if [ "$(kv bad "$LG")" != 0 ] || [ "$(kv dup "$LG")" != 0 ]; then
		log "BAD REPLIES from $CUR ($*): $LG $(cat "$DIR/lg.err")"
		BAD_TOTAL=$((BAD_TOTAL + $(kv bad "$LG") + $(kv dup "$LG")))
	fi
	[ "$(kv answered "$LG")" != 0 ] || die "$CUR answered nothing ($*): $LG"
}

record() { echo "$1 $2 $3" >>"$DIR/results"; } # server metric value

cpu_per_request() { # metric tick_us
	local c0 c1
	c0=$(cpu_ticks "$SRV_PID")
	lg --rate "$RATE" --duration "$DURATION" --tick-us "$2"
	c1=$(cpu_ticks "$SRV_PID")
	record "$CUR" "$1" "$(calc "($c1 - $c0) / $HZ * 1e6 / $(kv answered "$LG")" 3)"
	record "$CUR" "$1_lost" "$(calc "$(kv lost "$LG") * 100 / $(kv sent "$LG")" 3)"
	record "$CUR" "$1_lgcpu" "$(kv loadgen_cpu_pct "$LG")"
}

measure() { # server round
	local c0 c1 busy try rss_passes_s
	CUR=$1
	start_server "$1"
	record "$1" rss_fresh "$(rss_kb "$SRV_PID")"

	# (a) saturation.  At saturation the server or the generator (or both)
	# runs flat out; if neither got 90% of its CPU, something else on this
	# shared machine took it, and the run is repeated (SAT_TRIES in all).
	for try in $(seq "$SAT_TRIES"); do
		wait_quiet
		c0=$(cpu_ticks "$SRV_PID")
		lg --saturate --duration "$SAT_DURATION"
		c1=$(cpu_ticks "$SRV_PID")
		busy=$(calc "($c1 - $c0) * 100 / $HZ / $(kv elapsed "$LG")" 1)
		[ "$(calc "$busy >= 90 || $(kv loadgen_cpu_pct "$LG") >= 90" 0)" = 1 ] && break
		log "round $2 $1: saturation run disturbed (server $busy%, loadgen" \
			"$(kv loadgen_cpu_pct "$LG")% busy, $(kv answered_per_s "$LG")/s)$(
				[ "$try" -lt "$SAT_TRIES" ] && echo ", repeating")"
		DISTURBED=$((DISTURBED + 1))
	done
	record "$1" sat "$(kv answered_per_s "$LG")"
	record "$1" sat_busy "$busy"
	record "$1" sat_lgcpu "$(kv loadgen_cpu_pct "$LG")"
	record "$1" sat_per_cpu_s \
		"$(calc "$(kv answered "$LG") * $HZ / (($c1 - $c0) > 0 ? ($c1 - $c0) : 1)" 0)"

	# (b) CPU per answered request at a fixed rate
	wait_quiet
	cpu_per_request cpu "$TICK_US"
	if [ "$SMOOTH_TICK_US" != 0 ]; then
		wait_quiet
		cpu_per_request cpu_smooth "$SMOOTH_TICK_US"
	fi

	# (c) memory for many distinct clients, each seen RSS_PASSES times
	wait_quiet
	record "$1" rss_before "$(rss_kb "$SRV_PID")"
	rss_passes_s=$(calc "$RSS_CLIENTS * $RSS_PASSES / $RATE" 3)
	lg --rate "$RATE" --duration "$rss_passes_s" --clients "$RSS_CLIENTS"
	record "$1" rss_after "$(rss_kb "$SRV_PID")"
	record "$1" rss_hwm "$(hwm_kb "$SRV_PID")"
	alive "$SRV_PID" || die "$1 died during the run: $(tail -5 "$DIR/$1.log")"
	stop_server

	log "round $2 $1: sat $(get1 "$1" sat)/s (server busy $(get1 "$1" sat_busy)%," \
		"loadgen $(get1 "$1" sat_lgcpu)%), $(get1 "$1" cpu) us/req" \
		"($(get1 "$1" cpu_smooth) us smooth), RSS $(get1 "$1" rss_before) ->" \
		"$(get1 "$1" rss_after) kB"
}

get1() { awk -v s="$1" -v m="$2" '$1 == s && $2 == m { v = $3 } END { print v }' "$DIR/results"; }
med() { awk -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$DIR/results" | median; }

# --- main ---

[ "$(nproc)" -gt "$(( SERVER_CPU > LOADGEN_CPU ? SERVER_CPU : LOADGEN_CPU ))" ] ||
	die "needs CPUs $LOADGEN_CPU and $SERVER_CPU"
command -v "$CHRONYD" >/dev/null || die "chronyd not found"
make -s -f bench/serve/bench.mk BUILD="$BUILD" "$LOADGEN" >&2
touch "$DIR/results" "$DIR/raw"

HAVE=""
for s in $SERVERS; do
	case "$s" in
	domtimed)
		if [ -x "$DOMTIMED" ]; then
			HAVE="$HAVE domtimed"
		else
			log "domtimed not built ($DOMTIMED): measuring chronyd only"
		fi
		;;
	chronyd) HAVE="$HAVE chronyd" ;;
	*) die "unknown server $s" ;;
	esac
done
[ -n "$HAVE" ] || die "no server to measure"
# shellcheck disable=SC2086
set -- $HAVE

for r in $(seq "$ROUNDS"); do
	# ABBA: odd rounds in the given order, even rounds reversed, so that
	# drift in machine state (other load, thermal, caches) hits both alike
	if [ $((r % 2)) = 1 ]; then order="$*"; else order=$(printf '%s\n' "$@" | tac | xargs); fi
	for s in $order; do
		measure "$s" "$r"
	done
done

# --- report ---

val() { # server metric -> median or "-"
	case " $HAVE " in
	*" $1 "*) med "$1" "$2" ;;
	*) echo - ;;
	esac
}

ratio() { # metric -> domtimed/chronyd
	local a b
	a=$(val domtimed "$1")
	b=$(val chronyd "$1")
	if [ "$a" = - ] || [ "$b" = - ] || [ "$(calc "$b == 0" 0)" = 1 ]; then
		echo n/a
	else
		calc "$a / $b" 3
	fi
}

row() { # label metric [target]; a target of "-" means no ratio (context only)
	local r=""
	[ "${3:-}" = - ] || r=$(ratio "$2")
	printf '%-44s %12s %12s %8s  %s\n' "$1" "$(val domtimed "$2")" "$(val chronyd "$2")" \
		"$r" "$(t=${3:-}; echo "${t#-}")"
}

verdict() { # metric op limit
	local r
	r=$(ratio "$1")
	[ "$r" = n/a ] && { echo "n/a (domtimed not measured)"; return; }
	if [ "$(calc "$r $2 $3" 0)" = 1 ]; then echo "$r $2 $3: met"; else echo "$r: NOT met ($2 $3)"; fi
}

echo
echo "bench/serve: $ROUNDS round(s), medians; servers on CPU $SERVER_CPU, loadgen on CPU $LOADGEN_CPU"
echo "fixed rate $RATE/s for $DURATION s; saturation $SAT_DURATION s; RSS run: $RSS_CLIENTS clients x $RSS_PASSES"
printf '%-44s %12s %12s %8s  %s\n' "" domtimed chronyd ratio target
row "saturation: answered/s" sat ">= 1.0"
row "  server CPU busy during saturation, %" sat_busy -
row "  loadgen CPU during saturation, %" sat_lgcpu -
row "  answered per server CPU-second" sat_per_cpu_s
row "CPU us/answered @${RATE}/s, ${TICK_US} us ticks" cpu "<= 0.8"
row "  lost at that rate, %" cpu_lost -
if [ "$SMOOTH_TICK_US" != 0 ]; then
	row "CPU us/answered @${RATE}/s, ${SMOOTH_TICK_US} us ticks" cpu_smooth "(<= 0.8)"
	row "  lost at that rate, %" cpu_smooth_lost -
fi
row "RSS fresh, kB" rss_fresh
row "RSS before ${RSS_CLIENTS}-client run, kB" rss_before
row "RSS after ${RSS_CLIENTS}-client run, kB" rss_after
row "RSS peak (VmHWM), kB" rss_hwm
echo
echo "per round (run order) - the spread shows how much to trust the medians:"
for s in $HAVE; do
	for m in sat cpu cpu_smooth; do
		v=$(awk -v s="$s" -v m="$m" '$1 == s && $2 == m { printf " %s", $3 }' "$DIR/results")
		if [ -n "$v" ]; then
			printf '  %-9s %-11s%s\n' "$s" "$m" "$v"
		fi
	done
done
echo
echo "target CPU/request ratio <= 0.8:  $(verdict cpu '<=' 0.8)"
echo "target saturation ratio >= 1.0:   $(verdict sat '>=' 1.0)"
for s in $HAVE; do
	# a server that is not busy while the generator is, was not saturated
	if [ "$(calc "$(val "$s" sat_busy) < 90 && $(val "$s" sat_lgcpu) > 95" 0)" = 1 ]; then
		echo "note: $s's saturation figure is loadgen-bound (a lower bound): server" \
			"$(val "$s" sat_busy)% busy, loadgen $(val "$s" sat_lgcpu)%"
	fi
	if [ "$(calc "$(val "$s" cpu_lost) > 1" 0)" = 1 ]; then
		echo "note: $s did not keep up at $RATE/s ($(val "$s" cpu_lost)% lost)"
	fi
done
if [ "$NOISY" != 0 ]; then
	echo "note: $NOISY measurement(s) ran while other processes used more than" \
		"$QUIET_PCT% of the machine: treat the figures with suspicion"
fi
if [ "$DISTURBED" != 0 ]; then
	echo "note: $DISTURBED saturation run(s) were disturbed by other load on the machine" \
		"and repeated (see the log above)"
fi
if [ "$BAD_TOTAL" != 0 ]; then
	echo "FAILED: $BAD_TOTAL bad or duplicate replies (see above)"
	exit 1
fi

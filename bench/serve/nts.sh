#!/bin/bash
# bench/serve/nts.sh - NTS (RFC 8915) serving: domtimed against chronyd -x, in the same run.
#
# Makes a throw-away CA and a server certificate for 127.0.0.1, then runs
# each server's NTS server on loopback (domtimed with clock = virtual,
# chronyd with -x: neither touches the clock), alternating A/B (ABBA) over
# ROUNDS rounds, each server started fresh per round, pinned to SERVER_CPU
# while the generator runs on LOADGEN_CPU. The generator, build/nts_load
# (bench/serve/nts_load.c), does one NTS-KE and then sends NTS requests, each
# with a fresh unique identifier, authenticating every VERIFY_EVERY'th
# answer and sending the cookies it brings (the others are matched by their
# identifier and their cookie is sent again: the server's work is the same,
# and opening every answer made the generator, not chronyd, the bottleneck).
# Per round and server:
#   (a) saturation: answered NTS requests/s with WINDOW requests in flight,
#       and the server's CPU per answer meanwhile (on a shared machine the
#       answers per server CPU-second are steadier than answers/s);
#   (b) server CPU (utime+stime from /proc/PID/stat, the serving process)
#       per answered request at RATE requests/s, a rate both keep up with.
# Prints the medians and the ratios domtimed/chronyd. Figures, never
# pass/fail: the exit status is 0 unless something broke or an answer was
# bad (not authentic, a NAK, or an identifier we did not send).
#
# Environment (defaults in brackets):
#   ROUNDS [3]  SAT_DURATION [3] s  DURATION [5] s  WINDOW [64]  RATE [5000]
#   VERIFY_EVERY [8]  SERVER_CPU [1]  LOADGEN_CPU [0]  NICE [-10]
#   DOMTIMED [$BUILD/domtimed]  CHRONYD [chronyd]  BUILD [build]  KEEP [0]
#   QUIET_PCT [10]  QUIET_WAIT [20] s: before each saturation run, wait up to
#     QUIET_WAIT s until other processes use at most QUIET_PCT% of the machine
# Options: --quick (ROUNDS=1, 2 s runs, QUIET_WAIT=0: ~20 s), -h.
set -eu

# shellcheck disable=SC2034 # lib.sh reads it
ME=nts.sh
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) : "${ROUNDS:=1}" "${DURATION:=2}" "${SAT_DURATION:=2}" "${QUIET_WAIT:=0}" ;;
	-h | --help) usage 0 ;;
	*) echo "nts.sh: unknown argument: $1" >&2; usage 2 ;;
	esac
	shift
done

BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-3}
SAT_DURATION=${SAT_DURATION:-3}
DURATION=${DURATION:-5}
WINDOW=${WINDOW:-64}
RATE=${RATE:-5000}
VERIFY_EVERY=${VERIFY_EVERY:-8}
SERVER_CPU=${SERVER_CPU:-1}
LOADGEN_CPU=${LOADGEN_CPU:-0}
NICE=${NICE:--10}
DOMTIMED=${DOMTIMED:-$BUILD/domtimed}
CHRONYD=${CHRONYD:-chronyd}
KEEP=${KEEP:-0}
QUIET_PCT=${QUIET_PCT:-10}
QUIET_WAIT=${QUIET_WAIT:-20}
LOAD=$BUILD/nts_load
HZ=$(getconf CLK_TCK)

make_certs() {
	(
		cd "$DIR"
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout ca.key -out ca.crt -subj /CN=nts-bench-ca -days 2
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
			-keyout srv.key -out srv.csr -subj /CN=nts-bench
		echo subjectAltName=IP:127.0.0.1 >srv.ext
		openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
			-out srv.crt -days 2 -extfile srv.ext
	) >"$DIR/openssl.log" 2>&1 || die "cannot make the certificates: $(tail -3 "$DIR/openssl.log")"
}

SRV_PID="" NTP_PORT="" KE_PORT=""

start_server() { # server
	local conf=$DIR/$1.conf
	NTP_PORT=$(free_port -lntu) KE_PORT=$(free_port -lntu)
	case "$1" in
	domtimed)
		cat >"$conf" <<-EOF
			listen = 127.0.0.1:$NTP_PORT
			control_socket = $DIR/domtimed.sock
			clock = virtual
			reliable = yes
			ratelimit = no
			log_level = warning
			nts_server_cert = $DIR/srv.crt
			nts_server_key = $DIR/srv.key
			nts_server_port = $KE_PORT
			nts_cookie_key_file = $DIR/cookie-keys
		EOF
		rm -f "$DIR/domtimed.sock"
		nice -n "$NICE" taskset -c "$SERVER_CPU" "$DOMTIMED" -d -f "$conf" \
			>"$DIR/$1.log" 2>&1 &
		;;
	chronyd)
		cat >"$conf" <<-EOF
			port $NTP_PORT
			bindaddress 127.0.0.1
			allow 127.0.0.0/8
			local stratum 1
			cmdport 0
			pidfile $DIR/chronyd.pid
			ntsservercert $DIR/srv.crt
			ntsserverkey $DIR/srv.key
			ntsport $KE_PORT
		EOF
		# -x: never touch the clock. nice and taskset exec, so $! is chronyd.
		nice -n "$NICE" taskset -c "$SERVER_CPU" "$CHRONYD" -x -d -u root -f "$conf" \
			>"$DIR/$1.log" 2>&1 &
		;;
	esac
	SRV_PID=$!
	STARTED="$STARTED $SRV_PID"
	# readiness: a key exchange and an authenticated answer
	for _ in $(seq 50); do
		if load --rate 100 --duration 0.1 >/dev/null 2>"$DIR/probe.err"; then
			return 0
		fi
		alive "$SRV_PID" || die "$1 exited at start: $(tail -5 "$DIR/$1.log")"
		sleep 0.2
	done
	die "$1 never answered NTS: $(cat "$DIR/probe.err"); its log: $(tail -5 "$DIR/$1.log")"
}

load() {
	nice -n "$NICE" taskset -c "$LOADGEN_CPU" "$LOAD" --ke-port "$KE_PORT" \
		--ntp-port "$NTP_PORT" --ca "$DIR/ca.crt" --verify-every "$VERIFY_EVERY" "$@" 127.0.0.1
}

record() { echo "$1 $2 $3" >>"$DIR/results"; }
get1() { awk -v s="$1" -v m="$2" '$1 == s && $2 == m { v = $3 } END { print v }' "$DIR/results"; }
med() { awk -v s="$1" -v m="$2" '$1 == s && $2 == m { print $3 }' "$DIR/results" | median; }

BAD=0
run() { # label loadgen-args... -> LG, server CPU ticks in TICKS
	local c0 c1
	c0=$(cpu_ticks "$SRV_PID")
	LG=$(load "$@" 2>"$DIR/lg.err") || true
	c1=$(cpu_ticks "$SRV_PID")
	TICKS=$((c1 - c0))
	echo "$CUR $LG" >>"$DIR/raw"
	[ -n "$LG" ] || die "nts_load $* failed against $CUR: $(cat "$DIR/lg.err")"
	if [ "$(kv bad "$LG")" != 0 ]; then
		log "BAD ANSWERS from $CUR ($*): $LG $(cat "$DIR/lg.err")"
		BAD=$((BAD + $(kv bad "$LG")))
	fi
	[ "$(kv answered "$LG")" != 0 ] || die "$CUR answered nothing ($*): $LG"
}

measure() { # server round
	CUR=$1
	start_server "$1"
	wait_quiet
	run --saturate --duration "$SAT_DURATION" --window "$WINDOW"
	record "$1" sat "$(kv answered_per_s "$LG")"
	record "$1" sat_busy "$(calc "$TICKS * 100 / $HZ / $(kv elapsed "$LG")" 1)"
	record "$1" sat_lgcpu "$(kv loadgen_cpu_pct "$LG")"
	record "$1" sat_cpu "$(calc "$TICKS / $HZ * 1e6 / $(kv answered "$LG")" 2)"
	record "$1" sat_per_cpu_s "$(calc "$(kv answered "$LG") * $HZ / ($TICKS > 0 ? $TICKS : 1)" 0)"
	run --rate "$RATE" --duration "$DURATION"
	record "$1" cpu "$(calc "$TICKS / $HZ * 1e6 / $(kv answered "$LG")" 2)"
	record "$1" lost "$(calc "$(kv lost "$LG") * 100 / $(kv sent "$LG")" 2)"
	alive "$SRV_PID" || die "$1 died during the run: $(tail -5 "$DIR/$1.log")"
	stop_pid "$SRV_PID" 5
	log "round $2 $1: $(get1 "$1" sat)/s at saturation (server $(get1 "$1" sat_busy)% busy," \
		"loadgen $(get1 "$1" sat_lgcpu)%), $(get1 "$1" cpu) us CPU/request at $RATE/s"
}

# --- main ---

[ -x "$DOMTIMED" ] || die "$DOMTIMED not built (make all)"
[ -x "$LOAD" ] || die "$LOAD not built (make $LOAD)"
command -v "$CHRONYD" >/dev/null || die "chronyd not found"
"$CHRONYD" --version | grep -q '+NTS' || die "chronyd built without +NTS"
touch "$DIR/results" "$DIR/raw"
make_certs

for r in $(seq "$ROUNDS"); do
	order="domtimed chronyd"
	[ $((r % 2)) = 1 ] || order="chronyd domtimed"
	for s in $order; do
		measure "$s" "$r"
	done
done

ratio() { calc "$(med domtimed "$1") / $(med chronyd "$1")" 3; }
row() { # label metric [-: no ratio]
	local r=""
	[ "${3:-}" = - ] || r=$(ratio "$2")
	printf '%-46s %10s %10s %8s\n' "$1" "$(med domtimed "$2")" "$(med chronyd "$2")" "$r"
}

echo
echo "bench/serve NTS: $ROUNDS round(s), medians; servers on CPU $SERVER_CPU, nts_load on" \
	"CPU $LOADGEN_CPU; 1 answer in $VERIFY_EVERY authenticated"
printf '%-46s %10s %10s %8s\n' "" domtimed chronyd ratio
row "NTS saturation: answered/s (window $WINDOW)" sat
row "  server CPU busy during saturation, %" sat_busy -
row "  nts_load CPU during saturation, %" sat_lgcpu -
row "  server CPU us/answered at saturation" sat_cpu
row "  answered per server CPU-second" sat_per_cpu_s
row "NTS CPU us/answered @${RATE}/s" cpu
row "  lost at that rate, %" lost -
echo "ratio domtimed/chronyd: NTS requests/s $(ratio sat), CPU per request $(ratio cpu)"
for s in domtimed chronyd; do
	if [ "$(calc "$(med "$s" sat_busy) < 90 && $(med "$s" sat_lgcpu) > 75" 0)" = 1 ]; then
		echo "note: $s was $(med "$s" sat_busy)% busy while nts_load used" \
			"$(med "$s" sat_lgcpu)%: its answers/s may be bound by nts_load (a lower bound);" \
			"answers per server CPU-second do not depend on it"
	fi
done
if [ "$NOISY" != 0 ]; then
	echo "note: $NOISY saturation run(s) went ahead while other processes used more than" \
		"$QUIET_PCT% of the machine: treat answers/s with suspicion"
fi
if [ "$BAD" != 0 ]; then
	echo "FAILED: $BAD bad answers (see above)"
	exit 1
fi

# shellcheck shell=bash source-path=SCRIPTDIR
# bench/serve/lib.sh - shell helpers of the bench/serve scripts, sourced after
# `set -eu` with ME set to the script's name. It goes to the repository root
# (ROOT), makes the work directory DIR, and on exit stops the PIDs in STARTED
# (the servers the script started, and only those) and removes DIR unless
# KEEP=1.

# The script's header comment, from line 2 to `set -eu`, is its usage.
usage() {
	sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
	exit "${1:-0}"
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=../../tests/lib/proc.sh
. "$ROOT/tests/lib/proc.sh"
cd "$ROOT" || exit 2

DIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-${ME%.sh}.XXXXXX")
STARTED=""

cleanup() {
	local pid
	for pid in $STARTED; do
		if alive "$pid"; then
			kill "$pid" 2>/dev/null || true
		fi
	done
	for pid in $STARTED; do
		wait "$pid" 2>/dev/null || true
	done
	if [ "${KEEP:-0}" = 1 ]; then
		echo "$ME: work files kept in $DIR" >&2
	else
		rm -rf "$DIR"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "$ME: $*" >&2; }
die() { log "$*"; exit 2; }

# utime+stime in clock ticks; /proc/PID/stat sums all threads of the process.
cpu_ticks() {
	local st
	st=$(cat "/proc/$1/stat") || return 1
	st=${st##*) }
	# shellcheck disable=SC2086
	set -- $st
	echo $((${12} + ${13}))
}

# Value of key K in a load generator's key=value output line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p"; }

# Arithmetic and comparisons in awk; the parentheses stop awk from reading
# ">" in an expression as output redirection.
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }

median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "-"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# free_port SS-FLAGS: a loopback port nobody listens on now (-lun: UDP,
# -lntu: TCP and UDP). Bind races are caught by the server's start.
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -H "$1" "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

# CPU use of the whole machine over 0.5 s, in % of all CPUs.  Called while
# our own processes are idle, so it is the load of everybody else.  (Tick
# sampled, so blind to short bursts, but a CPU hog shows.)
machine_busy() {
	local a b
	a=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 0.5
	b=$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	# shellcheck disable=SC2086
	set -- $a $b
	calc "($3 - $1) * 100 / (($3 - $1) + ($4 - $2) > 0 ? ($3 - $1) + ($4 - $2) : 1)" 0
}

NOISY=0

# The machine is shared: do not measure next to someone else's CPU hog. Waits
# up to QUIET_WAIT s for the others to use at most QUIET_PCT% of the machine;
# NOISY counts the measurements that went ahead anyway.
wait_quiet() {
	local t0=$SECONDS b
	while :; do
		b=$(machine_busy)
		[ "$b" -le "$QUIET_PCT" ] && return 0
		if [ $((SECONDS - t0)) -ge "$QUIET_WAIT" ]; then
			log "other processes still use $b% of the machine after ${QUIET_WAIT}s:" \
				"measuring anyway"
			NOISY=$((NOISY + 1))
			return 0
		fi
		log "other processes use $b% of the machine; waiting for it to quieten"
		sleep 2
	done
}

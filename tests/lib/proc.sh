# shellcheck shell=bash
# proc.sh - process helpers for tests, the test world and benchmarks (sourced, bash).
#
# A PID is known by its start time (field 22 of /proc/PID/stat), so a PID
# the kernel has recycled is never taken for the process we started. A
# zombie counts as gone: once its parent exits, PID 1 may take seconds to
# reap it, and kill -0 would still succeed.

# proc_start PID: its start time, or "gone" when it does not run.
proc_start() {
	local s
	local -a f
	s=$(cat "/proc/$1/stat" 2>/dev/null) || { echo gone; return 1; }
	s=${s##*) } # drop "pid (comm) ": comm may hold spaces
	read -ra f <<<"$s"
	case ${f[0]} in Z | X) echo gone; return 1 ;; esac
	echo "${f[19]}"
}

# alive PID [START]: PID runs (and, given START from proc_start, is still that process).
alive() {
	local start
	start=$(proc_start "$1") || return 1
	[ -z "${2:-}" ] || [ "$start" = "$2" ]
}

gone() { ! alive "$@"; }

# wait_for SECONDS COMMAND...: poll COMMAND every 20 ms until it succeeds; 1 on timeout.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.02
	done
}

# stop_pid PID [SECONDS]: SIGTERM, SIGKILL if it still runs after SECONDS
# (default 3), then reap it if it is our child.
stop_pid() {
	local pid=$1 start
	start=$(proc_start "$pid") || { wait "$pid" 2>/dev/null; return 0; }
	kill "$pid" 2>/dev/null || true
	if ! wait_for "${2:-3}" gone "$pid" "$start"; then
		kill -9 "$pid" 2>/dev/null || true
		wait_for 1 gone "$pid" "$start" || true
	fi
	wait "$pid" 2>/dev/null || true
}

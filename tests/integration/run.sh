#!/bin/bash
# Run every integration test (tests/integration/NNN-*.sh) and summarise.
# A test exits 0 (passed), 77 (skipped: says why) or anything else (failed).
#
# Tests named *-bg.sh spend minutes waiting (e.g. for tickets to expire):
# they start first, in the background, and are reported at the end, so the
# rest runs meanwhile. `run.sh PATTERN` (or ONLY=PATTERN) runs the tests whose
# names contain PATTERN.
set -u
if [ $# -gt 1 ]; then
	echo "usage: $0 [PATTERN]" >&2
	exit 2
fi
ONLY=${1:-${ONLY:-}}
dir=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0 failed_names=()
bg_pids=() bg_names=() bg_logs=()
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

selected() {
	[ -z "${ONLY:-}" ] || [[ "$(basename "$1")" == *"$ONLY"* ]]
}

account() { # NAME STATUS
	case $2 in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); failed_names+=("$1") ;;
	esac
}

for t in "$dir"/[0-9][0-9][0-9]-*-bg.sh; do
	[ -e "$t" ] && selected "$t" || continue
	bg_names+=("$(basename "$t")")
	bg_logs+=("$out/$(basename "$t").log")
	"$t" >"$out/$(basename "$t").log" 2>&1 &
	bg_pids+=($!)
	echo "== $(basename "$t") (started in the background)"
done
for t in "$dir"/[0-9][0-9][0-9]-*.sh; do
	[[ "$t" == *-bg.sh ]] && continue
	selected "$t" || continue
	start=$SECONDS
	echo "== $(basename "$t")"
	"$t"
	rc=$?
	account "$(basename "$t")" "$rc"
	echo "   ($((SECONDS - start)) s)"
done
for i in "${!bg_pids[@]}"; do
	wait "${bg_pids[i]}"
	rc=$?
	echo "== ${bg_names[i]} (background)"
	cat "${bg_logs[i]}"
	account "${bg_names[i]}" "$rc"
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || { echo "failed: ${failed_names[*]}"; exit 1; }

#!/bin/bash
# Run every integration test (tests/integration/NNN-*.sh) and summarise.
# A test exits 0 (passed), 77 (skipped: says why) or anything else (failed).
set -u
dir=$(cd "$(dirname "$0")" && pwd)
passed=0 failed=0 skipped=0 failed_names=()
for t in "$dir"/[0-9][0-9][0-9]-*.sh; do
	[ -n "${ONLY:-}" ] && [[ "$(basename "$t")" != *"$ONLY"* ]] && continue
	start=$SECONDS
	echo "== $(basename "$t")"
	"$t"
	rc=$?
	case $rc in
	0) passed=$((passed + 1)) ;;
	77) skipped=$((skipped + 1)) ;;
	*) failed=$((failed + 1)); failed_names+=("$(basename "$t")") ;;
	esac
	echo "   ($((SECONDS - start)) s)"
done
echo "integration: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] || { echo "failed: ${failed_names[*]}"; exit 1; }

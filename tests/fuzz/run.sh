#!/bin/sh
# Run one libFuzzer target for SECONDS over a scratch copy of its seed corpus
# and report how many inputs it executed. Any crash, leak or sanitizer report
# fails the run and leaves the reproducer in the current directory.
set -eu
bin=$1 seeds=$2 seconds=$3
name=$(basename "$bin")
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
dict=""
[ -f "$seeds.dict" ] && dict="-dict=$seeds.dict"
log="$corpus/fuzz.log"
if ! "$bin" -max_total_time="$seconds" -max_len=2048 -timeout=10 -rss_limit_mb=1024 \
	-print_final_stats=1 $dict "$corpus" >"$log" 2>&1; then
	tail -n 40 "$log"
	echo "FAIL fuzz $name"
	exit 1
fi
# The target's own log lines may contain "#<digits>": count only libFuzzer's.
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
echo "PASS fuzz $name: $execs executions in ${seconds}s"

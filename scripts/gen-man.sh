#!/bin/sh
# Print man/domtimed.conf.5: the template with its @KEYS@ line replaced by
# the key reference that CFGDOC (built from the configuration table) prints.
set -eu
cfgdoc=$1
top=$(dirname "$0")/..
keys=$(mktemp)
trap 'rm -f "$keys"' EXIT
"$cfgdoc" >"$keys"
while IFS= read -r line; do
	if [ "$line" = "@KEYS@" ]; then
		cat "$keys"
	else
		printf '%s\n' "$line"
	fi
done <"$top/man/domtimed.conf.5.in"

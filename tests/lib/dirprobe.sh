# dirprobe.sh - running tests/tools/dirprobe (one directory discovery from
# the command line) in the directory tests (sourced after common.sh, bash).

DIRPROBE=${DIRPROBE:-$BUILD/dirprobe}

# need_dirprobe: skip the test when dirprobe has not been built.
need_dirprobe() {
	[ -x "$DIRPROBE" ] || skip "$DIRPROBE missing (make ldap-tools)"
}

# dirprobe_as MACHINE [ARGS...]: dirprobe with MACHINE's keytab against the
# test world's DNS (start_world); ARGS come last, so they can override.
dirprobe_as() {
	local m=$1
	shift
	"$DIRPROBE" --keytab "$KEYTAB_DIR/$m.keytab" --dns-server "127.0.0.1:$DNS_PORT" \
		--ldap-nocanon yes "$@"
}

# field NAME: the value of NAME= in the first line on stdin that has it.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" | head -n 1; }

# results NAME: how many discoveries $T_DIR/NAME.out reports (result lines).
results() { grep -c '^result ' "$T_DIR/$1.out" 2>/dev/null || echo 0; }

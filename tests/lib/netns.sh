# shellcheck shell=bash
#
# netns.sh: a private network of simulated hosts for domtimed tests.
#
# Source it from a bash test (root needed):
#
#	. tests/lib/netns.sh
#	netns_init mytest                      # unique names, work dir, cleanup trap
#	netns_switch                           # switch namespace with bridge br0
#	netns_host dc1 10.9.0.1/24 fd09::1/64  # namespace dt-mytest-<tag>-dc1, eth0
#	netns_host cl 10.9.0.2/24
#	netns_delay cl 5 1                     # packets towards cl: 5 +- 1 ms
#	netns_delay dc1 5 1                    # and back: RTT ~10 ms
#	netns_bg dc1 chronyd -x -d -f "$conf"; pid=$!   # $! is chronyd itself
#	netns_exec cl ping -c1 dc1
#	netns_cleanup                          # also runs from the EXIT trap
#
# Layout: one switch namespace holds bridge br0 and, per host, the bridge port
# v-NAME; its veth peer is eth0 inside the host's namespace. Delays are added
# on the switch side (iptables mangle FORWARD -m physdev + NFQUEUE, served by
# tests/tools/linkdelay), because a delay on a host's own interface would be
# invisible to kernel timestamps. The initial namespace never gets an
# interface in the test network; never address test IPs from outside.
#
# Hosts see a shared /etc/hosts (every host, see netns_hosts_file) and
# /etc/resolv.conf (netns_resolv) bind-mounted by netns_exec/netns_bg in the
# private mount namespace that "ip netns exec" creates (more files: netns_etc);
# nothing is written under /etc. Programs on a host get its name as hostname
# (own UTS namespace; netns_hostname changes it). Everything else lives in
# $NETNS_DIR (a mktemp -d directory).
#
# Cleanup kills only the processes this library started (checked by PID and
# start time, so a recycled PID is never hit), then deletes the namespaces it
# created; iptables rules and sysctls die with them. The library works under
# "set -euo pipefail". Functions return non-zero with a "netns:" message on
# stderr on failure.
#
# Variables: NETNS_DIR (work dir), NETNS_PFX (namespace name prefix),
# NETNS_LAST_PID (last netns_bg PID), NETNS_DELAY_OPTS (linkdelay options for
# every netns_delay, e.g. "-r 10 -S 100"), NETNS_LINKDELAY (linkdelay binary,
# default <repo>/build/linkdelay).

NETNS_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/proc.sh
. "$NETNS_LIB_DIR/proc.sh"
NETNS_DIR=${NETNS_DIR:-}
NETNS_PFX=${NETNS_PFX:-}
NETNS_LAST_PID=
: "${NETNS_LINKDELAY:=$NETNS_LIB_DIR/../../build/linkdelay}"

netns__err()
{
	echo "netns: $*" >&2
	return 1
}

netns__need_init()
{
	if [ -z "$NETNS_DIR" ] || [ ! -d "$NETNS_DIR" ]; then
		netns__err "call netns_init first"
	fi
}

# Host names become part of interface names (v-NAME, at most 15 bytes).
netns__check_name()
{
	[[ $1 =~ ^[a-z0-9][a-z0-9_-]{0,12}$ ]] ||
		netns__err "bad host name '$1' (a-z0-9_-, 13 max)" || return 1
	[ "$1" != sw ] || netns__err "'sw' is the switch"
}

# The switch counts as a node for netns_exec/netns_bg.
netns__check_node()
{
	netns__need_init || return 1
	[ -d "$NETNS_DIR/node/$1" ] || netns__err "no such host '$1'"
}

# Remember a started PID with its start time and role (app or linkdelay).
netns__track()
{
	echo "$1 $(proc_start "$1") $2" >>"$NETNS_DIR/pids"
}

# Send SIGTERM to the given "pid start" pairs, wait up to 3 s, then SIGKILL.
netns__stop()
{
	local -a left=() next=()
	local p i pid start
	for p in "$@"; do
		pid=${p% *}
		start=${p#* }
		if alive "$pid" "$start"; then
			kill -TERM "$pid" 2>/dev/null || true
			left+=("$p")
		fi
	done
	for i in $(seq 150); do
		[ ${#left[@]} -gt 0 ] || break
		if [ "$i" = 100 ]; then
			for p in "${left[@]}"; do
				echo "netns: PID ${p% *} ignored SIGTERM, killing" >&2
				kill -KILL "${p% *}" 2>/dev/null || true
			done
		fi
		sleep 0.02
		next=()
		for p in "${left[@]}"; do
			alive "${p% *}" "${p#* }" && next+=("$p")
		done
		left=("${next[@]}")
	done
	# Reap our own children so they do not linger as zombies.
	for p in "$@"; do
		alive "${p% *}" "${p#* }" || wait "${p% *}" 2>/dev/null || true
	done
	[ ${#left[@]} -eq 0 ] || netns__err "PIDs still running: ${left[*]% *}"
}

netns__add_ns()
{
	local ns=$NETNS_PFX$1
	# Recorded first, so that cleanup finds it whatever happens next.
	echo "$ns" >>"$NETNS_DIR/names"
	ip netns add "$ns" || return 1
	mkdir -p "$NETNS_DIR/node/$1"
	: >"$NETNS_DIR/node/$1/binds"
	ip -n "$ns" link set lo up
}

# Chain a command before an existing trap instead of replacing it.
netns__trap_exit()
{
	local old
	local -a words=()
	old=$(trap -p EXIT)
	# trap -p prints: trap -- 'COMMAND' EXIT
	[ -z "$old" ] || eval "words=($old)"
	old=${words[2]:-}
	# shellcheck disable=SC2064
	trap "${old:+$old
}netns_cleanup" EXIT
	local sig code
	for sig in INT:130 TERM:143 HUP:129; do
		code=${sig#*:}
		sig=${sig%:*}
		# The EXIT trap does the cleanup; exit from the signal so it runs.
		# shellcheck disable=SC2064
		[ -n "$(trap -p "$sig")" ] || trap "exit $code" "$sig"
	done
}

# netns_init [LABEL]: start a run. Namespace names are dt-LABEL-TAG-NAME with
# TAG from $$ and a random number, so concurrent runs never collide.
netns_init()
{
	local label=${1:-t}
	[[ $label =~ ^[a-z0-9]{1,12}$ ]] || netns__err "bad label '$label' (a-z0-9, 12 max)" || return 1
	[ "$(id -u)" = 0 ] || netns__err "must run as root" || return 1
	[ -z "$NETNS_DIR" ] || netns__err "already initialised ($NETNS_DIR)" || return 1
	local tool
	for tool in ip iptables ip6tables mount mkfifo; do
		command -v "$tool" >/dev/null || netns__err "$tool not found" || return 1
	done
	NETNS_PFX=$(printf 'dt-%s-%x%04x-' "$label" "$$" "$((RANDOM))")
	NETNS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dt-netns.XXXXXX") || return 1
	: >"$NETNS_DIR/names"
	: >"$NETNS_DIR/pids"
	netns__trap_exit
	mkdir "$NETNS_DIR/node" "$NETNS_DIR/delay"
	: >"$NETNS_DIR/hosts.extra"
	echo 0 >"$NETNS_DIR/queue"
	printf '# no DNS in the test network (see netns_resolv)\noptions timeout:1 attempts:1\n' \
		>"$NETNS_DIR/resolv.conf"
	# enter BINDS HOSTNAME CMD...: applies a node's bind mounts inside the
	# private mount namespace of "ip netns exec", gives it its own hostname
	# (a new UTS namespace; unshare execs too) and execs CMD, so that the PID
	# stays the program's.
	cat >"$NETNS_DIR/enter" <<'EOF'
#!/bin/sh
binds=$1
name=$2
shift 2
while IFS='	' read -r src dst; do
	mount --bind "$src" "$dst" || exit 126
done <"$binds"
if [ -n "$name" ]; then
	exec unshare --uts -- /bin/sh -c \
		'printf %s "$0" >/proc/sys/kernel/hostname && exec "$@"' "$name" "$@"
fi
exec "$@"
EOF
	chmod 755 "$NETNS_DIR/enter"
	netns__write_hosts
}

# netns_switch: the switch namespace with bridge br0, bridged packets
# passing through iptables/ip6tables (for netns_delay).
netns_switch()
{
	netns__need_init || return 1
	[ ! -d "$NETNS_DIR/node/sw" ] || netns__err "switch exists" || return 1
	local ns=${NETNS_PFX}sw
	netns__add_ns sw || return 1
	ip -n "$ns" link add br0 type bridge stp_state 0 forward_delay 0 \
		nf_call_iptables 1 nf_call_ip6tables 1 || return 1
	ip netns exec "$ns" sysctl -qw net.bridge.bridge-nf-call-iptables=1 \
		net.bridge.bridge-nf-call-ip6tables=1 >/dev/null || return 1
	ip -n "$ns" link set br0 up
}

# netns_host NAME IPV4/PREFIX [IPV6/PREFIX]: a host namespace whose eth0 is a
# port of the switch. The prefix defaults to /24 (IPv4) and /64 (IPv6).
netns_host()
{
	local name=$1 ip4=${2:-} ip6=${3:-}
	netns__need_init || return 1
	netns__check_name "$name" || return 1
	[ -n "$ip4" ] || netns__err "usage: netns_host NAME IPV4/PREFIX [IPV6/PREFIX]" || return 1
	[ -d "$NETNS_DIR/node/sw" ] || netns__err "call netns_switch first" || return 1
	[ ! -d "$NETNS_DIR/node/$name" ] || netns__err "host '$name' exists" || return 1
	[[ $ip4 == */* ]] || ip4=$ip4/24
	[[ -z $ip6 || $ip6 == */* ]] || ip6=$ip6/64
	local ns=$NETNS_PFX$name sw=${NETNS_PFX}sw
	netns__add_ns "$name" || return 1
	# No duplicate address detection: addresses are usable at once.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null || return 1
	ip -n "$sw" link add "v-$name" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$sw" link set "v-$name" master br0 up || return 1
	ip -n "$ns" addr add "$ip4" dev eth0 || return 1
	if [ -n "$ip6" ]; then
		ip -n "$ns" addr add "$ip6" dev eth0 nodad || return 1
	fi
	ip -n "$ns" link set eth0 up || return 1
	echo "${ip4%/*} ${ip6%/*}" >"$NETNS_DIR/node/$name/addr"
	echo "$name" >"$NETNS_DIR/node/$name/hostname"
	printf '%s\t/etc/hosts\n' "$NETNS_DIR/hosts" >>"$NETNS_DIR/node/$name/binds"
	if [ -e /etc/resolv.conf ]; then
		printf '%s\t/etc/resolv.conf\n' "$NETNS_DIR/resolv.conf" \
			>>"$NETNS_DIR/node/$name/binds"
	fi
	netns__write_hosts
}

# netns_hostname NAME HOSTNAME: what gethostname() returns for programs
# started on host NAME from now on (default: NAME).
netns_hostname()
{
	netns__check_node "$1" || return 1
	[ "$1" != sw ] || netns__err "the switch keeps the machine's hostname" || return 1
	[[ $2 =~ ^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$ ]] || netns__err "bad hostname '$2'" || return 1
	echo "$2" >"$NETNS_DIR/node/$1/hostname"
}

# netns_ns NAME: the namespace name of a host (or "sw"), for ip -n etc.
netns_ns()
{
	netns__check_node "$1" || return 1
	echo "$NETNS_PFX$1"
}

# netns_addr NAME [4|6]: a host's address without prefix.
netns_addr()
{
	local a
	netns__check_node "$1" || return 1
	read -r -a a <"$NETNS_DIR/node/$1/addr"
	if [ "${2:-4}" = 6 ]; then echo "${a[1]:-}"; else echo "${a[0]}"; fi
}

# Rewritten in place (not renamed) so running programs see the new content
# through their bind mount.
netns__write_hosts()
{
	local domain="" d name a4 a6
	[ -f "$NETNS_DIR/domain" ] && domain=$(cat "$NETNS_DIR/domain")
	{
		printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
		for d in "$NETNS_DIR"/node/*/; do
			name=$(basename "$d")
			[ -f "$d/addr" ] || continue
			read -r a4 a6 <"$d/addr"
			if [ -n "$domain" ]; then
				printf '%s\t%s.%s %s\n' "$a4" "$name" "$domain" "$name"
				[ -z "$a6" ] || printf '%s\t%s.%s %s\n' "$a6" "$name" "$domain" "$name"
			else
				printf '%s\t%s\n' "$a4" "$name"
				[ -z "$a6" ] || printf '%s\t%s\n' "$a6" "$name"
			fi
		done
		cat "$NETNS_DIR/hosts.extra"
	} >"$NETNS_DIR/hosts"
}

# netns_hosts_file [DOMAIN]: print the path of the hosts file every host sees
# as /etc/hosts (all hosts by name, and NAME.DOMAIN first if DOMAIN is given).
netns_hosts_file()
{
	netns__need_init || return 1
	if [ $# -gt 0 ]; then
		echo "$1" >"$NETNS_DIR/domain"
		netns__write_hosts
	fi
	echo "$NETNS_DIR/hosts"
}

# netns_hosts_add IP NAME...: an extra /etc/hosts line (aliases, FQDNs).
netns_hosts_add()
{
	netns__need_init || return 1
	[ $# -ge 2 ] || netns__err "usage: netns_hosts_add IP NAME..." || return 1
	local ip=$1
	shift
	printf '%s\t%s\n' "$ip" "$*" >>"$NETNS_DIR/hosts.extra"
	netns__write_hosts
}

# netns_resolv NAMESERVER_IP [SEARCH]: the resolv.conf every host sees.
netns_resolv()
{
	netns__need_init || return 1
	{
		printf 'nameserver %s\n' "$1"
		[ -z "${2:-}" ] || printf 'search %s\n' "$2"
		printf 'options timeout:1 attempts:2\n'
	} >"$NETNS_DIR/resolv.conf"
}

# netns_etc NAME DST SRC: also bind-mount file SRC over DST (which must exist)
# for programs started on host NAME, e.g. netns_etc cl /etc/krb5.conf "$dir/krb5.conf".
netns_etc()
{
	netns__check_node "$1" || return 1
	[ -e "$2" ] || netns__err "$2 does not exist, cannot be a mount point" || return 1
	[ -e "$3" ] || netns__err "$3 does not exist" || return 1
	local binds=$NETNS_DIR/node/$1/binds
	# A later binding of the same DST replaces the earlier one.
	grep -v "	$2\$" "$binds" >"$binds.new" || true
	printf '%s\t%s\n' "$3" "$2" >>"$binds.new"
	mv "$binds.new" "$binds"
}

# netns_exec NAME CMD...: run CMD on host NAME (or the switch, "sw").
netns_exec()
{
	local name=$1
	shift
	netns__check_node "$name" || return 1
	ip netns exec "$NETNS_PFX$name" "$NETNS_DIR/enter" "$NETNS_DIR/node/$name/binds" \
		"$(netns__hostname "$name")" "$@"
}

netns__hostname()
{
	[ ! -f "$NETNS_DIR/node/$1/hostname" ] || cat "$NETNS_DIR/node/$1/hostname"
}

# netns_bg NAME CMD...: start CMD in the background on host NAME. $! (and
# NETNS_LAST_PID) is the PID of CMD itself (ip and the helper exec it), and
# cleanup will stop it. Call it directly, not in $(...): a subshell would own
# the process. Redirections on the call apply to CMD (the calling shell opens
# them, so a fifo needs its reader first: see netns_bg_ready).
netns_bg()
{
	local name=$1
	shift
	netns__check_node "$name" || return 1
	local host
	host=$(netns__hostname "$name")
	ip netns exec "$NETNS_PFX$name" "$NETNS_DIR/enter" "$NETNS_DIR/node/$name/binds" \
		"$host" "$@" &
	NETNS_LAST_PID=$!
	netns__track "$NETNS_LAST_PID" "${NETNS__ROLE:-app}"
}

# netns_bg_ready NAME TIMEOUT_S CMD...: like netns_bg, for a program that
# prints one line "ready" on stdout when it is ready and then closes stdout
# (linkdelay does). Returns once the line came, without polling; non-zero if
# the program exited or TIMEOUT_S passed first.
netns_bg_ready()
{
	local name=$1 timeout=$2 fifo fd line=""
	shift 2
	netns__check_node "$name" || return 1
	fifo=$(mktemp -u "$NETNS_DIR/ready.XXXXXX")
	mkfifo "$fifo" || return 1
	# Opening a fifo blocks until the other end is open too: hold it
	# read-write while the program's stdout is opened, then keep a read-only
	# end, so that read ends on the line, or on EOF if the program exits.
	local rw
	exec {rw}<>"$fifo"
	netns_bg "$name" "$@" >"$fifo"
	exec {fd}<"$fifo"
	exec {rw}<&-
	read -r -t "$timeout" -u "$fd" line || true
	exec {fd}<&-
	rm -f "$fifo"
	[ "$line" = ready ] || netns__err "$1 on $name did not get ready (PID $NETNS_LAST_PID)"
}

# netns_delay [-f FROM] [-D uniform|normal] [-o] [-S SPIN_US] [-r RTPRIO] [-s SEED]
#             NAME DELAY_MS JITTER_MS
#
# Delay the packets the switch forwards towards host NAME (from any host, or
# only from host FROM) by DELAY_MS +- JITTER_MS. Each direction and each
# (NAME, FROM) pair has its own queue and linkdelay, so links can be
# asymmetric: netns_delay a 2 0; netns_delay b 8 0 gives 2 ms b->a, 8 ms a->b.
# A pair rule takes precedence over a NAME-only rule.
#
# Calling it again for the same link changes the delay without letting a
# packet through undelayed or early: a new linkdelay gets a new queue, the
# rule moves to it, and the old one drains (its packets leave on time).
# -D, -o, -S, -r, -s are passed to linkdelay; NETNS_DELAY_OPTS (e.g.
# "-r 10 -S 100": real-time priority and a 100 us spin, for microsecond
# precision on a busy machine) is put before them on every call.
netns_delay()
{
	local from=""
	local -a opts=()
	# Defaults first: linkdelay keeps the last of a repeated option.
	read -ra opts <<<"${NETNS_DELAY_OPTS:-}" || true
	while [ $# -gt 0 ]; do
		case $1 in
		-f) from=$2; shift 2 ;;
		-D | -s | -S | -r) opts+=("$1" "$2"); shift 2 ;;
		-o) opts+=("$1"); shift ;;
		*) break ;;
		esac
	done
	[ $# -eq 3 ] || netns__err "usage: netns_delay [-f FROM] [-D DIST] [-o] [-S SPIN_US] [-r RTPRIO] [-s SEED] NAME DELAY_MS JITTER_MS" || return 1
	local to=$1 d=$2 j=$3
	netns__check_node "$to" || return 1
	[ "$to" != sw ] || netns__err "cannot delay towards the switch" || return 1
	if [ -n "$from" ]; then
		netns__check_node "$from" && [ "$from" != sw ] && [ "$from" != "$to" ] ||
			netns__err "bad FROM host '$from'" || return 1
	fi
	[ -x "$NETNS_LINKDELAY" ] ||
		netns__err "no linkdelay at $NETNS_LINKDELAY (make -f tests/tools/tools.mk)" || return 1
	netns__delay_chains || return 1
	local key=to-$to${from:+-from-$from} q pid start
	local state=$NETNS_DIR/delay/$key
	# Queues are per network namespace: numbering starts afresh in each run.
	q=$(($(cat "$NETNS_DIR/queue") + 1))
	echo "$q" >"$NETNS_DIR/queue"
	NETNS__ROLE=linkdelay netns_bg_ready sw 10 "$NETNS_LINKDELAY" -q "$q" -d "$d" -j "$j" \
		"${opts[@]}" 2>>"$state.log" || {
		cat "$state.log" >&2
		return 1
	}
	pid=$NETNS_LAST_PID
	start=$(proc_start "$pid") || true
	# The new rule goes first in its chain and so shadows the old one.
	netns__delay_rule -I "$to" "$from" "$q" || return 1
	if [ -f "$state" ]; then
		local oq opid ostart
		read -r oq opid ostart <"$state"
		netns__delay_rule -D "$to" "$from" "$oq" || return 1
		netns__drain "$opid" "$ostart" || return 1
	fi
	echo "$q $pid $start" >"$state"
}

# Chains dt-pair (FROM->NAME rules) then dt-link (->NAME rules) in the
# switch's mangle FORWARD, so pair rules win whatever the order of calls.
netns__delay_chains()
{
	local ipt sw=${NETNS_PFX}sw
	[ ! -f "$NETNS_DIR/delay/.chains" ] || return 0
	for ipt in iptables ip6tables; do
		ip netns exec "$sw" "$ipt" -w -t mangle -N dt-pair &&
			ip netns exec "$sw" "$ipt" -w -t mangle -N dt-link &&
			ip netns exec "$sw" "$ipt" -w -t mangle -A FORWARD -j dt-pair &&
			ip netns exec "$sw" "$ipt" -w -t mangle -A FORWARD -j dt-link ||
			netns__err "cannot set up $ipt chains in the switch" || return 1
	done
	: >"$NETNS_DIR/delay/.chains"
}

# netns__delay_rule -I|-D TO FROM QUEUE: add (first in chain) or delete a rule.
netns__delay_rule()
{
	local op=$1 to=$2 from=$3 q=$4 ipt sw=${NETNS_PFX}sw chain=dt-link
	local -a match=(-m physdev --physdev-out "v-$to")
	if [ -n "$from" ]; then
		chain=dt-pair
		match=(-m physdev --physdev-in "v-$from" --physdev-out "v-$to")
	fi
	local -a where=("$op" "$chain")
	[ "$op" != -I ] || where+=(1)
	for ipt in iptables ip6tables; do
		ip netns exec "$sw" "$ipt" -w -t mangle "${where[@]}" "${match[@]}" \
			-j NFQUEUE --queue-num "$q" --queue-bypass || return 1
	done
}

# Let a linkdelay whose rule is gone release its packets on time and exit
# (SIGUSR1); it takes at most its longest delay. SIGTERM after 5 s.
netns__drain()
{
	local pid=$1 start=$2 i
	alive "$pid" "$start" || return 0
	kill -USR1 "$pid" 2>/dev/null || return 0
	for i in $(seq 500); do
		alive "$pid" "$start" || break
		sleep 0.01
	done
	# Reaps it, or sends SIGTERM if it is still there.
	netns__stop "$pid $start"
}

# netns_undelay [-f FROM] NAME: remove a delay added by netns_delay (packets
# held at that moment still leave on time).
netns_undelay()
{
	local from=""
	if [ "${1:-}" = -f ]; then
		from=$2
		shift 2
	fi
	netns__need_init || return 1
	local to=$1 q pid start
	local key=to-$to${from:+-from-$from}
	local state=$NETNS_DIR/delay/$key
	[ -f "$state" ] || netns__err "no delay on link $key" || return 1
	read -r q pid start <"$state"
	netns__delay_rule -D "$to" "$from" "$q" || return 1
	netns__drain "$pid" "$start" || return 1
	rm -f "$state"
}

# netns_delay_log [-f FROM] NAME: path of the linkdelay log for that link;
# each linkdelay appends its counters there when it stops.
netns_delay_log()
{
	local from=""
	if [ "${1:-}" = -f ]; then
		from=$2
		shift 2
	fi
	echo "$NETNS_DIR/delay/to-$1${from:+-from-$from}.log"
}

# netns_delay_pid [-f FROM] NAME: PID of the linkdelay serving that link.
netns_delay_pid()
{
	local from="" q pid start
	if [ "${1:-}" = -f ]; then
		from=$2
		shift 2
	fi
	local state=$NETNS_DIR/delay/to-$1${from:+-from-$from}
	[ -f "$state" ] || netns__err "no delay towards '$1'" || return 1
	read -r q pid start <"$state"
	echo "$pid"
}

# netns_pids: the PIDs this run started that still run.
netns_pids()
{
	local pid start role
	[ -n "$NETNS_DIR" ] && [ -f "$NETNS_DIR/pids" ] || return 0
	while read -r pid start role; do
		if alive "$pid" "$start"; then echo "$pid"; fi
	done <"$NETNS_DIR/pids"
}

# netns_cleanup: stop what this run started (programs first, then the
# linkdelays, so packets in flight are let through), delete its namespaces
# and its work dir. Safe to call more than once.
netns_cleanup()
{
	# Best effort whatever the caller's options: never stop half-way.
	local -
	set +e
	local rc=0 pid start role ns
	[ -n "$NETNS_DIR" ] && [ -d "$NETNS_DIR" ] || return 0
	local -a apps=() delays=()
	while read -r pid start role; do
		if [ "$role" = linkdelay ]; then
			delays+=("$pid $start")
		else
			apps+=("$pid $start")
		fi
	done <"$NETNS_DIR/pids"
	[ ${#apps[@]} -eq 0 ] || netns__stop "${apps[@]}" || rc=1
	[ ${#delays[@]} -eq 0 ] || netns__stop "${delays[@]}" || rc=1
	# Hosts before the switch, newest first.
	while read -r ns; do
		if [ -e "/run/netns/$ns" ]; then
			local left
			left=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
			[ -z "$left" ] || echo "netns: $ns still holds PIDs not started here: $left" >&2
			ip netns del "$ns" || rc=1
		fi
	done < <(tac "$NETNS_DIR/names")
	rm -rf "$NETNS_DIR"
	NETNS_DIR=
	return $rc
}

# shellcheck shell=bash
#
# forest.sh: a whole test forest on one machine, one network namespace per
# host, each host's domtimed on its own virtual clock. For the integration
# forest test and `make demo`. Root needed; nothing touches the real clock
# (clock = virtual, chronyd -x) and no packet leaves the namespaces.
#
#	. tests/lib/forest.sh
#	forest_up [--members-extra N] [--delay-members D J] [--min-poll P]
#	          [--max-poll P] [--ticket-lifetime S] [--dc-forward]
#	forest_start rootdc1 "clock_offset = 3"       # waits until it answers
#	forest_start -n member1 "clock_offset = 0.2"  # -n: do not wait ...
#	forest_wait member1                           # ... until this
#	forest_ctl rootdc1 status --json
#	forest_stop rootdc1                           # SIGTERM, waits, reaps
#	forest_ldapmodify "$ldif"                     # admin simple bind (or LDIF on stdin)
#	forest_status                                 # "NAME role state source clock_error" lines
#	forest_down                                   # also runs from the EXIT trap
#
# Layout (10.0.0.0/8 on one bridge, so every host reaches every other):
#   infra 10.9.0.1  tests/world/world.sh --listen 10.9.0.1 --std-ports: MIT KDC
#                   (:88), slapd (:389, also the ldapi socket), dnsmasq (:53)
#                   with the forest's SRV records and A records giving each
#                   machine its site address; the directory is dir.forest.test.
#   ext   10.9.0.2  chronyd -x -d -u root, "local stratum 1": the external
#                   reference (10.9.0.0/16 is no site).
#   one namespace per machine of the test forest (machines.tsv), at the
#   address forest.py gives it in its site's subnet (10.1.x.x HQ, 10.2.x.x
#   Branch), so subnet->site matching works from the address domtimed
#   reaches the directory from.
# Every namespace sees an /etc/hosts naming every host (short and FQDN, and
# dir.forest.test), and an /etc/resolv.conf naming the infra dnsmasq.
# KRB5_CONFIG points at the world's krb5.conf (KDC 10.9.0.1:88).
#
# --members-extra N  N more members m01.. (forest.py --extra-members: root
#                    HQ, root Branch, child Branch, child HQ, in turn)
# --delay-members D J  each member's link delayed D +- J ms both ways, on the
#                    switch side (netns_delay): towards the member, and from
#                    it towards every DC. Needs build/linkdelay (make
#                    build/linkdelay).
# --min-poll/--max-poll  for every domtimed (default -2 / 0)
# --ticket-lifetime S   Kerberos max ticket life (world.sh)
# --dc-forward       each DC namespace forwards TCP 389 and TCP/UDP 88 to
#                    infra (DNAT + masquerade), so a domtimed without
#                    ldap_uri ("ldap_uri =" as an extra line) finds and reads
#                    the directory through the DC-locator SRV records, as in
#                    a real forest.
#
# forest_start NAME [LINES...] writes $FOREST_DIR/NAME.conf: listen =
# <ip>:123, control_socket, drift_file, clock = virtual, clock_offset = 0,
# clock_freq_ppm = 0, keytab, ldap_uri = ldap://dir.forest.test:389,
# ldap_nocanon = yes, min_poll, max_poll, pdc_check_interval = 2, ntp_server =
# <ext> on the writable root-domain DCs, log_level = debug; each LINE ("key =
# value") replaces the default line of the same key (or adds one). The
# daemon runs in its namespace (`domtimed -d -f CONF`), log in
# $FOREST_DIR/NAME.log (appended across restarts), PID in $FOREST_DIR/NAME.pid.
#
# Variables after forest_up: FOREST_DIR (confs, sockets, logs; $T_DIR when
# common.sh is loaded), FOREST_W (the world's directory; its env is sourced:
# ROOT_DN, CONFIG_DN, ADMIN_DN, ADMIN_PW_FILE, KEYTAB_DIR, MACHINES_TSV,
# KDC_PID, SLAPD_PID, ...), FOREST_HOSTS (machine names, machines.tsv
# order), FOREST_IP/FOREST_FQDN/FOREST_DOMAIN/FOREST_SITE/FOREST_ROLE
# (associative, by name; FOREST_ROLE is the role domtimed should report:
# root_pdc, pdc, dc, rodc, member), FOREST_INFRA_IP, FOREST_EXT_IP,
# FOREST_LDAP_URI, FOREST_UP_MS (bring-up time). FOREST_KEEP=1 keeps
# FOREST_DIR. The netns.sh functions work on the hosts (netns_exec NAME ...,
# netns_delay, ...) and on "infra" and "ext". Never use LDAP_URI_IP, KDC or
# DNS addresses from the initial namespace (the machine's default route
# would carry the packets off it): run clients with netns_exec (e.g.
# forest_ldapsearch, or `netns_exec member1 kinit ...`); only the unix
# sockets (domtimectl, chronyc, the ldapi URI) are fine from anywhere.
#
# Functions return non-zero with a "forest:" message on stderr on failure.

FOREST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FOREST_TOP=$(cd "$FOREST_LIB_DIR/../.." && pwd)
: "${FOREST_BUILD:=${BUILD:-$FOREST_TOP/build}}"
: "${FOREST_DOMTIMED:=$FOREST_BUILD/domtimed}"
: "${FOREST_DOMTIMECTL:=$FOREST_BUILD/domtimectl}"
: "${NETNS_LINKDELAY:=$FOREST_BUILD/linkdelay}"
# shellcheck source=tests/lib/netns.sh
. "$FOREST_LIB_DIR/netns.sh"

FOREST_INFRA_IP=10.9.0.1
FOREST_EXT_IP=10.9.0.2
FOREST_DIR_NAME=dir.forest.test
FOREST_LDAP_URI=ldap://$FOREST_DIR_NAME:389
FOREST_DIR=${FOREST_DIR:-}
FOREST_W=
FOREST_OWN_DIR=
FOREST_MIN_POLL=-2
FOREST_MAX_POLL=0
FOREST_UP_MS=
FOREST_IS_UP=
FOREST_HOSTS=()
declare -A FOREST_IP=() FOREST_FQDN=() FOREST_DOMAIN=() FOREST_SITE=() FOREST_ROLE=()
FOREST_PY=/usr/bin/python3

forest__err()
{
	echo "forest: $*" >&2
	return 1
}

forest__now_ms()
{
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

forest__log()
{
	[ -n "${FOREST_QUIET:-}" ] || echo "forest: $*" >&2
}

forest__check_host()
{
	[ -n "${FOREST_IP[$1]:-}" ] || forest__err "no such host '$1' (hosts: ${FOREST_HOSTS[*]})"
}

# Put forest_down first in the EXIT trap (before common.sh's t_cleanup,
# which prints the logs of a failed test and removes T_DIR, and before
# netns.sh's netns_cleanup, which forest_down runs itself).
forest__trap()
{
	local old
	local -a words=()
	old=$(trap -p EXIT)
	[ -z "$old" ] || eval "words=($old)"
	old=${words[2]:-}
	# shellcheck disable=SC2064
	trap "forest_down${old:+
$old}" EXIT
}

# A member's link delayed both ways: towards it, and from it towards every
# DC (the hosts it takes time from), so the path is symmetric on average.
forest__delay_members()
{
	local d=$1 j=$2 m h
	for m in "${FOREST_HOSTS[@]}"; do
		[ "${FOREST_ROLE[$m]}" = member ] || continue
		netns_delay "$m" "$d" "$j" || return 1
		for h in "${FOREST_HOSTS[@]}"; do
			[ "${FOREST_ROLE[$h]}" = member ] || netns_delay -f "$m" "$h" "$d" "$j" || return 1
		done
	done
}

# forest_up [--members-extra N] [--delay-members D J] [--min-poll P]
#           [--max-poll P] [--ticket-lifetime S] [--dc-forward]
forest_up()
{
	local extra=0 delay="" jitter="" lifetime="" dc_forward="" t0
	while [ $# -gt 0 ]; do
		case $1 in
		--members-extra) extra=$2; shift 2 ;;
		--delay-members) delay=$2 jitter=$3; shift 3 ;;
		--min-poll) FOREST_MIN_POLL=$2; shift 2 ;;
		--max-poll) FOREST_MAX_POLL=$2; shift 2 ;;
		--ticket-lifetime) lifetime=$2; shift 2 ;;
		--dc-forward) dc_forward=yes; shift ;;
		*) forest__err "forest_up: unknown option '$1'"; return 1 ;;
		esac
	done
	[ -z "$FOREST_IS_UP" ] || forest__err "forest already up ($FOREST_DIR)" || return 1
	[ -x "$FOREST_DOMTIMED" ] && [ -x "$FOREST_DOMTIMECTL" ] ||
		forest__err "build domtimed first (make): no $FOREST_DOMTIMED" || return 1
	if [ -n "$delay" ] && [ ! -x "$NETNS_LINKDELAY" ]; then
		forest__err "--delay-members needs $NETNS_LINKDELAY (make build/linkdelay)"
		return 1
	fi
	command -v chronyd >/dev/null || forest__err "chronyd not found" || return 1
	t0=$(forest__now_ms)

	netns_init forest || return 1
	FOREST_IS_UP=starting
	forest__trap
	if [ -z "$FOREST_DIR" ]; then
		if [ -n "${T_DIR:-}" ] && [ -d "$T_DIR" ]; then
			FOREST_DIR=$T_DIR
		else
			FOREST_DIR=$(mktemp -d /tmp/dtf.XXXXXX) || return 1
			FOREST_OWN_DIR=yes
		fi
	fi
	FOREST_W=$FOREST_DIR/w

	netns_switch || return 1
	netns_host infra "$FOREST_INFRA_IP/8" || return 1
	netns_host ext "$FOREST_EXT_IP/8" || return 1
	netns_resolv "$FOREST_INFRA_IP" || return 1
	netns_hosts_add "$FOREST_INFRA_IP" "$FOREST_DIR_NAME" || return 1

	# The world first: it generates the machine list the hosts come from.
	WORLD_QUIET=1 netns_exec infra "$FOREST_TOP/tests/world/world.sh" start "$FOREST_W" \
		--listen "$FOREST_INFRA_IP" --dir-name "$FOREST_DIR_NAME" --std-ports \
		--extra-members "$extra" ${lifetime:+--ticket-lifetime "$lifetime"} \
		>"$FOREST_DIR/world.log" 2>&1 ||
		{ cat "$FOREST_DIR/world.log" >&2; forest__err "the world did not start"; return 1; }
	# shellcheck disable=SC1091
	. "$FOREST_W/env"
	forest__log "world up at +$(($(forest__now_ms) - t0)) ms"

	# The external reference.
	cat >"$FOREST_DIR/ext.chrony.conf" <<-EOF
	# external reference for the forest test (never touches the clock: -x)
	bindaddress $FOREST_EXT_IP
	allow
	local stratum 1
	cmdport 0
	bindcmdaddress $FOREST_DIR/ext.chrony.sock
	pidfile $FOREST_DIR/ext.chrony.pid
	EOF
	rm -f "$FOREST_DIR/ext.chrony.pid"
	netns_bg ext chronyd -x -d -u root -f "$FOREST_DIR/ext.chrony.conf" \
		</dev/null >"$FOREST_DIR/ext.log" 2>&1 || return 1
	local ext_pid=$NETNS_LAST_PID ext_start
	ext_start=$(proc_start "$ext_pid") || true

	# One namespace per machine.
	local name fqdn domain role site ip line
	local -a rows=()
	# (Read first: nothing started below may inherit the file as stdin.)
	mapfile -t rows < <(tail -n +2 "$MACHINES_TSV")
	FOREST_HOSTS=()
	for line in "${rows[@]}"; do
		IFS=$'\t' read -r name fqdn domain _ role site ip _ <<<"$line"
		FOREST_HOSTS+=("$name")
		FOREST_IP[$name]=$ip
		# shellcheck disable=SC2034  # for the caller
		FOREST_FQDN[$name]=$fqdn
		FOREST_DOMAIN[$name]=$domain
		FOREST_SITE[$name]=$site
		if [ "$role" = pdc ] && [ "$domain" = "$ROOT_DOMAIN" ]; then
			FOREST_ROLE[$name]=root_pdc
		else
			FOREST_ROLE[$name]=$role
		fi
		netns_host "$name" "$ip/8" || return 1
		netns_hosts_add "$ip" "$fqdn" "$name" || return 1
		if [ -n "$dc_forward" ] && [ "$role" != member ]; then
			forest__dc_forward "$name" || return 1
		fi
	done
	[ -z "$delay" ] || forest__delay_members "$delay" "$jitter" || return 1
	printf '%s\t%s\t%s\t%s\t%s\n' name ip role site domain >"$FOREST_DIR/hosts.tsv"
	for name in "${FOREST_HOSTS[@]}"; do
		printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${FOREST_IP[$name]}" "${FOREST_ROLE[$name]}" \
			"${FOREST_SITE[$name]}" "${FOREST_DOMAIN[$name]}"
	done >>"$FOREST_DIR/hosts.tsv"

	# The reference answers (it serves stratum 1 at once).
	local i
	for ((i = 0; i < 500; i++)); do
		chronyc -h "$FOREST_DIR/ext.chrony.sock" -n -c tracking >/dev/null 2>&1 && break
		alive "$ext_pid" "$ext_start" ||
			{ cat "$FOREST_DIR/ext.log" >&2; forest__err "chronyd (ext) exited"; return 1; }
		sleep 0.02
	done
	[ "$i" -lt 500 ] || forest__err "chronyd (ext) does not answer" || return 1
	FOREST_IS_UP=yes
	FOREST_UP_MS=$(($(forest__now_ms) - t0))
	forest__log "forest up in $FOREST_UP_MS ms: ${#FOREST_HOSTS[@]} hosts, infra $FOREST_INFRA_IP," \
		"ext $FOREST_EXT_IP, dir $FOREST_DIR"
}

# Forward the directory's ports from a DC's address to infra, so that SRV
# records (which name the DCs) lead to the one slapd and KDC.
forest__dc_forward()
{
	local ns=${NETNS_PFX}$1 p proto port
	for p in tcp:389 tcp:88 udp:88; do
		proto=${p%:*} port=${p#*:}
		ip netns exec "$ns" iptables -w -t nat -A PREROUTING -p "$proto" --dport "$port" \
			-j DNAT --to-destination "$FOREST_INFRA_IP:$port" || return 1
	done
	ip netns exec "$ns" iptables -w -t nat -A POSTROUTING -d "$FOREST_INFRA_IP" -j MASQUERADE &&
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 >/dev/null
}

# forest_conf NAME [LINES...]: write (and print the path of) NAME's config.
forest_conf()
{
	local name=$1 key line ntp=""
	shift
	forest__check_host "$name" || return 1
	case ${FOREST_ROLE[$name]}:${FOREST_DOMAIN[$name]} in
	root_pdc:* | dc:"$ROOT_DOMAIN") ntp=$FOREST_EXT_IP ;;
	esac
	local -a defaults=(
		"listen = ${FOREST_IP[$name]}:123"
		"control_socket = $FOREST_DIR/$name.sock"
		"drift_file = $FOREST_DIR/$name.drift"
		"clock = virtual"
		"clock_offset = 0"
		"clock_freq_ppm = 0"
		"keytab = $KEYTAB_DIR/$name.keytab"
		"ldap_uri = $FOREST_LDAP_URI"
		"ldap_nocanon = yes"
		"min_poll = $FOREST_MIN_POLL"
		"max_poll = $FOREST_MAX_POLL"
		"pdc_check_interval = 2"
		${ntp:+"ntp_server = $ntp"}
		"log_level = debug"
	)
	# Keys the extra lines set (a "key = value" line replaces the default).
	local -A given=()
	for line in "$@"; do
		key=${line%%=*}
		key=${key//[[:space:]]/}
		[ -z "$key" ] || given[$key]=1
	done
	{
		echo "# generated by forest.sh for $name (${FOREST_ROLE[$name]}, ${FOREST_SITE[$name]})"
		for line in "${defaults[@]}"; do
			key=${line%% *}
			[ -n "${given[$key]:-}" ] || echo "$line"
		done
		[ $# -eq 0 ] || printf '%s\n' "$@"
	} >"$FOREST_DIR/$name.conf"
	echo "$FOREST_DIR/$name.conf"
}

# forest_start [-n] NAME [LINES...]: write the config and start NAME's
# domtimed in its namespace; wait (not with -n) until it answers.
forest_start()
{
	local nowait=""
	[ "${1:-}" != -n ] || { nowait=yes; shift; }
	local name=$1 conf pid start
	shift
	[ "$FOREST_IS_UP" = yes ] || forest__err "forest_up first" || return 1
	forest__check_host "$name" || return 1
	if forest__running "$name"; then
		forest__err "$name already runs (PID $(cut -d' ' -f1 "$FOREST_DIR/$name.pid"))"
		return 1
	fi
	conf=$(forest_conf "$name" "$@") || return 1
	echo "=== forest_start $name at $(date '+%T.%N')" >>"$FOREST_DIR/$name.log"
	netns_bg "$name" env KRB5_CONFIG="$KRB5_CONFIG" KRB5RCACHEDIR="$KRB5RCACHEDIR" \
		"$FOREST_DOMTIMED" -d -f "$conf" </dev/null >>"$FOREST_DIR/$name.log" 2>&1 || return 1
	pid=$NETNS_LAST_PID
	start=$(proc_start "$pid") || true
	echo "$pid $start" >"$FOREST_DIR/$name.pid"
	[ -n "$nowait" ] || forest_wait "$name"
}

forest__running()
{
	local pid start
	[ -f "$FOREST_DIR/$1.pid" ] || return 1
	read -r pid start <"$FOREST_DIR/$1.pid"
	alive "$pid" "$start"
}

# forest_pid NAME: PID of NAME's domtimed (while it runs).
forest_pid()
{
	forest__running "$1" || forest__err "$1: domtimed not running" || return 1
	cut -d' ' -f1 "$FOREST_DIR/$1.pid"
}

# forest_wait NAME... [TIMEOUT_S]: until each domtimed answers domtimectl
# status (default 10 s); fails at once if one exited (its log tail on stderr).
forest_wait()
{
	local timeout=10 name deadline
	local -a names=()
	for name in "$@"; do
		if [[ $name =~ ^[0-9.]+$ ]]; then timeout=$name; else names+=("$name"); fi
	done
	deadline=$(($(forest__now_ms) + ${timeout%.*} * 1000))
	for name in "${names[@]}"; do
		until forest_ctl "$name" counters >/dev/null 2>&1; do
			if ! forest__running "$name"; then
				tail -n 20 "$FOREST_DIR/$name.log" >&2
				forest__err "domtimed $name exited"
				return 1
			fi
			if [ "$(forest__now_ms)" -ge "$deadline" ]; then
				tail -n 20 "$FOREST_DIR/$name.log" >&2
				forest__err "domtimed $name does not answer after $timeout s"
				return 1
			fi
			sleep 0.02
		done
	done
}

# forest_ctl NAME ARGS...: domtimectl against NAME's control socket.
forest_ctl()
{
	local name=$1
	shift
	"$FOREST_DOMTIMECTL" -s "$FOREST_DIR/$name.sock" "$@"
}

# forest_stop NAME [SIGNAL]: stop NAME's domtimed (SIGTERM, SIGKILL after 5 s;
# or send SIGNAL, e.g. KILL, first) and reap it.
forest_stop()
{
	local name=$1 sig=${2:-TERM} pid start i
	[ -f "$FOREST_DIR/$name.pid" ] || forest__err "$name was never started" || return 1
	read -r pid start <"$FOREST_DIR/$name.pid"
	if alive "$pid" "$start"; then
		kill "-$sig" "$pid" 2>/dev/null || true
		kill -CONT "$pid" 2>/dev/null || true
		for ((i = 0; i < 250; i++)); do
			alive "$pid" "$start" || break
			sleep 0.02
		done
		if alive "$pid" "$start"; then
			forest__log "$name (PID $pid) ignored SIG$sig; killing"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	rm -f "$FOREST_DIR/$name.pid"
}

# forest_ldapmodify [LDIF]: ldapmodify as the administrator (simple bind),
# from infra; the LDIF is the argument or stdin.
forest_ldapmodify()
{
	local -a cmd=(ldapmodify -x -D "$ADMIN_DN" -y "$ADMIN_PW_FILE" -H "ldap://$FOREST_INFRA_IP:389")
	if [ $# -gt 0 ]; then
		printf '%s\n' "$1" | netns_exec infra "${cmd[@]}" >/dev/null
	else
		netns_exec infra "${cmd[@]}" >/dev/null
	fi
}

# forest_ldapsearch ARGS...: ldapsearch as the administrator, from infra.
forest_ldapsearch()
{
	netns_exec infra ldapsearch -LLL -o ldif-wrap=no -x -D "$ADMIN_DN" -y "$ADMIN_PW_FILE" \
		-H "ldap://$FOREST_INFRA_IP:389" "$@"
}

# forest_status [-r] [NAME...]: one line per running host (default: all),
# "NAME role state source clock_error" (clock_error in ms, signed); with -r
# tab-separated, clock_error in seconds, then sources and stratum.
forest_status()
{
	local name raw=""
	[ "${1:-}" != -r ] || { raw=yes; shift; }
	local -a names=("$@")
	[ $# -gt 0 ] || names=("${FOREST_HOSTS[@]}")
	for name in "${names[@]}"; do
		[ -S "$FOREST_DIR/$name.sock" ] || continue
		printf '%s\t%s\n' "$name" "$(forest_ctl "$name" status --json 2>/dev/null | tr -d '\n')"
	done | "$FOREST_PY" -c '
import json, sys
raw = sys.argv[1] == "yes"
for line in sys.stdin:
    name, _, js = line.rstrip("\n").partition("\t")
    try:
        j = json.loads(js)
    except ValueError:
        j = {"state": "no-answer"}
    err = j.get("clock_error")
    if raw:
        print("\t".join(str(x) for x in (name, j.get("role", "-"), j.get("state"),
              j.get("source") or "-", "-" if err is None else repr(err),
              j.get("sources", "-"), j.get("stratum", "-"))))
    else:
        print("%-9s %-8s %-16s %-28s %s" % (name, j.get("role", "-"), j.get("state"),
              j.get("source") or "-", "-" if err is None else "%+.3f ms" % (err * 1e3)))
' "${raw:-no}"
}

# forest_down: stop every domtimed, the world, chronyd and the linkdelays,
# delete the namespaces; remove FOREST_DIR if forest.sh made it (unless
# FOREST_KEEP is set). Safe to call more than once.
forest_down()
{
	local -
	set +e
	[ -n "$FOREST_IS_UP" ] || return 0
	local name pid start
	local -a left=()
	for name in "${FOREST_HOSTS[@]}"; do
		[ -f "$FOREST_DIR/$name.pid" ] || continue
		read -r pid start <"$FOREST_DIR/$name.pid"
		left+=("$pid $start")
	done
	[ ${#left[@]} -eq 0 ] || netns__stop "${left[@]}"
	if [ -n "$FOREST_W" ] && [ -f "$FOREST_W/pids" ]; then
		"$FOREST_TOP/tests/world/world.sh" stop "$FOREST_W" >/dev/null 2>&1 ||
			echo "forest: world.sh stop failed" >&2
	fi
	netns_cleanup
	if [ -n "$FOREST_OWN_DIR" ] && [ -z "${FOREST_KEEP:-}" ]; then
		rm -rf "$FOREST_DIR"
	elif [ -n "${FOREST_KEEP:-}" ]; then
		echo "forest: kept $FOREST_DIR" >&2
	fi
	FOREST_IS_UP=
}

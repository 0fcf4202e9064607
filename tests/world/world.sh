#!/bin/bash
# world.sh -- start/stop a loopback Active Directory look-alike for tests:
# an MIT KDC (one realm per domain, cross-realm trusts along the tree), an
# OpenLDAP slapd holding every naming context of the forest, and a dnsmasq
# answering the DC-locator SRV records.  All state lives in DIR; nothing
# listens beyond 127.0.0.1 (or the --listen address) and nothing outside DIR
# is written.
#
#   world.sh start DIR [--large | --size DOMAINS,DCS,SITES,SUBNETS] [--members N]
#                      [--extra-members N] [--ticket-lifetime SECS] [--rootdse-dc NAME]
#                      [--listen ADDR [--dir-name NAME]] [--std-ports] [--tls]
#                      [--split-child]
#   world.sh stop DIR
#
# --size: a generated forest of those counts (forest.py), e.g. bench/discovery's
# 50,5000,200,20000.
# --listen ADDR: the three daemons listen on ADDR instead of 127.0.0.1 (run
# world.sh inside the network namespace that holds ADDR); krb5.conf names
# the KDC there, DNS A records give each machine its site address, and the
# directory is also known as NAME (default dir.<root domain>: A record and
# LDAP service principal).  --std-ports: KDC 88, LDAP 389, DNS 53 instead of
# free high ports (for a namespace of its own).  --tls: a test CA signs a
# certificate naming every DC (and the directory's own names); slapd takes
# StartTLS on the LDAP port and LDAPS on LDAPS_PORT (636 with --std-ports).
# --split-child: the NCs of the domains below the root live in a second slapd
# (LDAP2_PORT, with copies of the configuration and schema NCs, as every AD
# DC holds them), which those domains' DCs answer from (their SRV records
# name its port); the first slapd holds the root domain's NC only.
#
# After start, `. DIR/env` gives KRB5_CONFIG, LDAP_URI, ports, PIDs ... (see
# README.md).  Needs: slapd ldap-utils krb5-kdc krb5-admin-server krb5-user
# libsasl2-modules-gssapi-mit dnsmasq-base, /usr/bin/python3.  Run as root
# (slapd's ldapi EXTERNAL admin mapping assumes uid 0).
set -eu
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/proc.sh
. "$HERE/../lib/proc.sh"
PY=/usr/bin/python3
# Admin identity for tests that modify the directory (simple bind, or SASL
# EXTERNAL over ldapi as root).  AD's built-in administrator lives here too.
ADMIN_RDN="CN=Administrator,CN=Users"

die() { echo "world.sh: $*" >&2; exit 1; }
log() { [ -n "${WORLD_QUIET:-}" ] || echo "world.sh: $*" >&2; }

usage() {
	sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

# Milliseconds since the epoch, from bash's own clock (no fork).
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }

# WORLD_TRACE=1 prints how long each start-up phase took.
T0=$(now_ms)
trace() { [ -z "${WORLD_TRACE:-}" ] || echo "world.sh: +$(($(now_ms) - T0)) ms $*" >&2; }

# --- process bookkeeping ---------------------------------------------------
# Each PID is recorded with its start time (see ../lib/proc.sh), so stop never
# signals a process that merely inherited a recycled PID.

record_pid() { # NAME PID  ("gone" as start time if it already exited)
	local start
	start=$(proc_start "$2") || true
	printf '%s %s %s\n' "$1" "$2" "$start" >>"$DIR/pids"
}

stop_world() { # kill exactly the PIDs listed in DIR/pids
	local name pid start deadline left
	[ -f "$DIR/pids" ] || return 0
	while read -r name pid start; do
		if alive "$pid" "$start"; then
			# CONT too: a test may have frozen a daemon with SIGSTOP.
			kill -TERM "$pid" 2>/dev/null || true
			kill -CONT "$pid" 2>/dev/null || true
		fi
	done <"$DIR/pids"
	deadline=$(($(now_ms) + 5000))
	while :; do
		left=""
		while read -r name pid start; do
			alive "$pid" "$start" && left="$left $name:$pid"
		done <"$DIR/pids"
		[ -n "$left" ] || break
		if [ "$(now_ms)" -ge "$deadline" ]; then
			log "still running after SIGTERM:$left; sending SIGKILL"
			while read -r name pid start; do
				if alive "$pid" "$start"; then kill -KILL "$pid" 2>/dev/null || true; fi
			done <"$DIR/pids"
			break
		fi
		sleep 0.01
	done
	rm -f "$DIR/pids" "$DIR/slapd/ldapi"
}

# --- helpers ---------------------------------------------------------------

# Pick N distinct ports in 20000-32767 that are free for both TCP and UDP on
# the listen address (the KDC and DNS need both).  There is a window between
# this check and the daemons' bind; start fails cleanly if another process
# wins it.
pick_ports() {
	"$PY" - "$1" "$LISTEN" <<-'EOF'
	import random, socket, sys
	want, addr, got = int(sys.argv[1]), sys.argv[2], []
	while len(got) < want:
	    p = random.randrange(20000, 32768)
	    if p in got:
	        continue
	    try:
	        for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
	            s = socket.socket(socket.AF_INET, kind)
	            try:
	                s.bind((addr, p))
	            finally:
	                s.close()
	    except OSError:
	        continue
	    got.append(p)
	print(" ".join(map(str, got)))
	EOF
}

tcp_open() { (exec 3<>"/dev/tcp/$LISTEN/$1") 2>/dev/null; }

# wait_ready NAME PID TIMEOUT_MS CMD...: poll CMD until it succeeds; fail early
# if the daemon died (its log then explains why).
wait_ready() {
	local name=$1 pid=$2 limit=$(($(now_ms) + $3))
	shift 3
	until "$@" >/dev/null 2>&1; do
		alive "$pid" || { log "$name exited during start-up:"; tail -n 20 "$DIR/log/$name.log" >&2; return 1; }
		[ "$(now_ms)" -lt "$limit" ] || { log "$name not ready in time"; tail -n 20 "$DIR/log/$name.log" >&2; return 1; }
		sleep 0.01
	done
}

# --- Kerberos ----------------------------------------------------------------

write_krb5_conf() {
	# Client/library profile: no DNS for KDCs or realms, no canonicalisation
	# (libldap would otherwise ask for ldap/<local hostname>), acceptors match
	# any host in their keytab.  One [realms] entry per domain.
	{
		cat <<-EOF
		# generated by world.sh for $DIR
		[libdefaults]
		 default_realm = $ROOT_REALM
		 dns_lookup_kdc = false
		 dns_lookup_realm = false
		 rdns = false
		 dns_canonicalize_hostname = false
		 ignore_acceptor_hostname = true
		[realms]
		EOF
		while IFS=$'\t' read -r realm _ _ _; do
			printf ' %s = {\n  kdc = %s:%s\n }\n' "$realm" "$LISTEN" "$KDC_PORT"
		done <"$DATA/realms.tsv"
		echo "[domain_realm]"
		while IFS=$'\t' read -r realm fqdn _ _; do
			printf ' .%s = %s\n %s = %s\n' "$fqdn" "$realm" "$fqdn" "$realm"
		done <"$DATA/realms.tsv"
		# The loopback slapd is also reached as localhost / 127.0.0.1.
		printf ' localhost = %s\n 127.0.0.1 = %s\n' "$ROOT_REALM" "$ROOT_REALM"
		# ... and, listening elsewhere, by its address and name.
		if [ "$LISTEN" != 127.0.0.1 ]; then
			printf ' %s = %s\n %s = %s\n' "$LISTEN" "$ROOT_REALM" "$DIR_NAME" "$ROOT_REALM"
		fi
	} >"$DIR/krb5.conf"
}

write_kdc_conf() {
	# KDC profile: every realm in one krb5kdc, all on one port (the KDC picks
	# the realm from the request).  max_life caps every ticket, and is also
	# the default max life of the principals kadmin.local creates.
	local enctypes="aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal arcfour-hmac:normal"
	{
		cat <<-EOF
		# generated by world.sh for $DIR
		[kdcdefaults]
		 kdc_listen = $LISTEN:$KDC_PORT
		 kdc_tcp_listen = $LISTEN:$KDC_PORT
		[realms]
		EOF
		while IFS=$'\t' read -r realm _ _ _; do
			cat <<-EOF
			 $realm = {
			  database_name = $DIR/krb5/$realm/principal
			  key_stash_file = $DIR/krb5/$realm/stash
			  acl_file = $DIR/krb5/kadm5.acl
			  max_life = ${TICKET_LIFETIME}s
			  max_renewable_life = 7d
			  master_key_type = aes256-cts-hmac-sha1-96
			  supported_enctypes = $enctypes
			 }
			EOF
		done <"$DATA/realms.tsv"
		cat <<-EOF
		[logging]
		 kdc = FILE:$DIR/log/krb5kdc.log
		 admin_server = FILE:$DIR/log/kadmin.log
		 default = FILE:$DIR/log/krb5lib.log
		EOF
	} >"$DIR/kdc.conf"
	: >"$DIR/krb5/kadm5.acl"
}

# setup_realm REALM: create the database, the machine principals with one
# keytab each, the LDAP service principals (into a per-realm keytab, merged
# later), and this realm's half of every cross-realm trust.  Principals get
# random keys (aes256, aes128 and rc4: the rc4 key is the NT hash MS-SNTP
# signing uses); cross-realm krbtgt keys come from a shared password so both
# realms derive the same keys.
setup_realm() {
	local realm=$1
	mkdir -p "$DIR/krb5/$realm"
	kdb5_util -r "$realm" create -s -P "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
		>"$DIR/log/kdb5_util-$realm.log" 2>&1
	{
		awk -F'\t' -v r="$realm" -v kt="$DIR/keytabs" -v lkt="$DIR/krb5/ldap-$realm.keytab" '
			$1 == r { print "addprinc -randkey " $2
			          print "ktadd -q -norandkey -k " ($3 == "ldap.keytab" ? lkt : kt "/" $3) " " $2 }
		' "$DATA/principals.tsv"
		awk -v r="$realm" '$1 == r || $2 == r {
			print "addprinc -pw " $3 " krbtgt/" $2 "@" $1
			print "addprinc -pw " $3 " krbtgt/" $1 "@" $2 }' "$DIR/krb5/trusts"
	} | kadmin.local -r "$realm" >"$DIR/log/kadmin-$realm.log" 2>&1
}

setup_kdc() {
	local realms jobs n i pids=""
	write_kdc_conf
	# One trust per parent/child pair: "CHILD PARENT password".
	while IFS=$'\t' read -r realm _ _ parent; do
		[ "$parent" = - ] || printf '%s %s %s\n' "$realm" "$parent" \
			"$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	done <"$DATA/realms.tsv" >"$DIR/krb5/trusts"
	# Realms are independent databases: set them up in parallel, one worker
	# per CPU (matters for the large forest: 50 realms, 2000 principals).
	realms=$(cut -f1 "$DATA/realms.tsv")
	jobs=$(nproc 2>/dev/null || echo 2)
	for ((i = 0; i < jobs; i++)); do
		(
			n=0
			for r in $realms; do
				if [ $((n++ % jobs)) -eq "$i" ]; then
					setup_realm "$r" || exit 1
				fi
			done
		) &
		pids="$pids $!"
	done
	for p in $pids; do wait "$p" || return 1; done
	# slapd reads a single keytab: merge the per-realm LDAP keytabs.  A FILE
	# keytab is a 2-byte version header followed by length-prefixed entries,
	# so concatenating the entries is a valid merge (ktutil's wkt takes ~10 s
	# for the large forest's 3000 entries: it rescans the file per entry).
	local first=yes
	for r in $realms; do
		[ -s "$DIR/krb5/ldap-$r.keytab" ] || continue
		if [ -n "$first" ]; then
			cat "$DIR/krb5/ldap-$r.keytab"
			first=""
		else
			tail -c +3 "$DIR/krb5/ldap-$r.keytab"
		fi
	done >"$DIR/keytabs/ldap.keytab"
	# Every principal must have its keytab (kadmin.local does not fail on
	# a failed command, so check the result).
	local missing
	missing=$(cut -f3 "$DATA/principals.tsv" | sort -u | while read -r kt; do
		[ -s "$DIR/keytabs/$kt" ] || echo "$kt"; done)
	[ -z "$missing" ] || { log "keytabs missing: $(echo "$missing" | tr '\n' ' ' | head -c 200)"; return 1; }
}

# --- slapd -------------------------------------------------------------------

# slapd_servers DN KIND: which slapd(s) hold an NC: 1, or with --split-child
# 2 for the domains below the root and "1 2" for configuration and schema.
slapd_servers() {
	if [ -z "$SPLIT" ]; then
		echo 1
	elif [ "$2" = domain ] && [ "$1" != "$ROOT_DN" ]; then
		echo 2
	elif [ "$2" = config ] || [ "$2" = schema ]; then
		echo 1 2
	else
		echo 1
	fi
}

# slapd_global NAME ROOTDSE: the settings every slapd of the world shares.
slapd_global() {
	local name=$1 rootdse=$2 k j labels base
	cat <<-EOF
	# generated by world.sh for $DIR
	include $DIR/slapd/schema.conf
	pidfile $DIR/slapd/$name.pid
	argsfile $DIR/slapd/$name.args
	# What a DC publishes in its rootDSE (namingContexts come from the
	# database suffixes).
	rootDSE $rootdse
	# GSSAPI: the acceptor name is ldap@localhost, but with
	# ignore_acceptor_hostname any ldap/* key in KRB5_KTNAME is accepted.
	sasl-realm $ROOT_REALM
	sasl-host localhost
	sasl-secprops noanonymous,noplain
	# Like AD's MaxPageSize: at most 1000 entries without paging, pages of
	# up to 1000 with the paged-results control, any total.
	sizelimit size.soft=1000 size.hard=1000 size.pr=1000 size.prtotal=unlimited
	limits dn.exact="$ADMIN_DN" size=unlimited time=unlimited
	EOF
	[ -z "$TLS" ] || printf 'TLSCACertificateFile %s\nTLSCertificateFile %s\nTLSCertificateKeyFile %s\n' \
		"$DIR/tls/ca.pem" "$DIR/tls/server.pem" "$DIR/tls/server.key"
	echo
	echo "# Root over ldapi (SASL EXTERNAL) is the administrator."
	echo "# (slapd.conf strips backslashes inside quotes: [+] and [.] stay literal.)"
	printf 'authz-regexp "^gidNumber=0[+]uidNumber=0,cn=peercred,cn=external,cn=auth$" "%s"\n' "$ADMIN_DN"
	echo "# Machine principals map to their computer objects: HOST\$@REALM is"
	echo "# looked up by sAMAccountName in the domain NC named after REALM"
	echo "# (realm a.b.c -> DC=a,DC=b,DC=c, as in AD).  Cyrus SASL names"
	echo "# sasl-realm principals uid=host\$,cn=<realm> and the others"
	echo "# uid=host\$@<realm>,cn=<sasl-realm>.  One rule per label count, 2 to"
	echo "# 8 labels (\$1 is the account, \$2.. the labels), not one per realm:"
	echo "# slapd runs these rules through its rewrite engine, and with ~100 rules"
	echo "# (the large forest) rules after the 50th never matched."
	# shellcheck disable=SC2016  # $1.. are slapd's, not the shell's
	for ((k = 2; k <= 8; k++)); do
		labels="([^.,]+)"
		base="DC=\$2"
		for ((j = 3; j <= k + 1; j++)); do
			labels="${labels}[.]([^.,]+)"
			base="$base,DC=\$$j"
		done
		printf 'authz-regexp "^uid=([^,/@]+)@%s,cn=[^,]+,cn=gssapi,cn=auth$" "ldap:///%s??sub?(sAMAccountName=$1)"\n' "$labels" "$base"
		printf 'authz-regexp "^uid=([^,/@]+),cn=%s,cn=gssapi,cn=auth$" "ldap:///%s??sub?(sAMAccountName=$1)"\n' "$labels" "$base"
	done
	cat <<-EOF

	# Anonymous may read the rootDSE and schema only (as in AD).  'auth'
	# lets the anonymous authz-regexp search find computer objects
	# without disclosing them.  Authenticated machines read everything.
	access to dn.base="" by * read
	access to dn.base="cn=Subschema" by * read
	access to * by dn.exact="$ADMIN_DN" manage by users read by anonymous auth

	EOF
}

write_slapd_conf() {
	local i=0 dn file kind srv k dirs=()
	# Schema and modules, shared by slapd and by the offline slapadd runs.
	cat >"$DIR/slapd/schema.conf" <<-EOF
	include /etc/ldap/schema/core.schema
	include /etc/ldap/schema/cosine.schema
	include $HERE/ad.schema
	modulepath /usr/lib/ldap
	moduleload back_mdb
	EOF
	# One database per naming context and no glue between them, so a subtree
	# search of a domain does not descend into the configuration NC or a
	# child domain.  ncs.tsv lists the deepest suffix first, which slapd
	# needs for nested suffixes.  Each database section is its own file so
	# that slapadd can load one database without parsing all of them.
	while IFS=$'\t' read -r dn file kind; do
		for srv in $(slapd_servers "$dn" "$kind"); do
			i=$((i + 1))
			dirs+=("$DIR/slapd/db/$i")
			{
				cat <<-EOF
				# $kind NC ($file)
				database mdb
				suffix "$dn"
				directory $DIR/slapd/db/$i
				maxsize 268435456
				dbnosync
				index objectClass eq
				index cn,sAMAccountName,dNSHostName eq
				index nCName,serverReference,siteObject eq
				EOF
				if [ "$dn" = "$ROOT_DN" ]; then
					printf 'rootdn "%s"\nrootpw %s\n' "$ADMIN_DN" "$ADMIN_PW"
				fi
			} >"$DIR/slapd/db/$i.conf"
			printf '%s\t%s\t%s\t%s\n' "$i" "$dn" "$file" "$srv" >>"$DIR/slapd/dbs.tsv"
		done
	done <"$DATA/ncs.tsv"
	mkdir -p "${dirs[@]}"

	{
		slapd_global slapd "$DATA/rootdse.ldif"
		awk -F'\t' -v d="$DIR" '$4 == 1 { print "include " d "/slapd/db/" $1 ".conf" }' \
			"$DIR/slapd/dbs.tsv"
	} >"$DIR/slapd/slapd.conf"
	[ -n "$SPLIT" ] || return 0
	# The second server answers as the first DC of a domain below the root.
	k=$(awk -F'\t' -v r="$ROOT_DOMAIN" '$5 == "pdc" && $3 != r { print $1; exit }' \
		"$DATA/machines.tsv")
	[ -n "$k" ] || die "--split-child: the forest has no domain below the root"
	{
		slapd_global slapd2 "$DATA/rootdse/$k.ldif"
		awk -F'\t' -v d="$DIR" '$4 == 2 { print "include " d "/slapd/db/" $1 ".conf" }' \
			"$DIR/slapd/dbs.tsv"
	} >"$DIR/slapd/slapd2.conf"
}

# slapadd_worker W N: load every N-th database (starting at W) offline.
slapadd_worker() {
	local w=$1 n=$2 i dn file
	while IFS=$'\t' read -r i dn file _; do
		[ $(((i - 1) % n)) -eq "$w" ] || continue
		printf 'include %s\ninclude %s\n' "$DIR/slapd/schema.conf" "$DIR/slapd/db/$i.conf" \
			>"$DIR/slapd/add-$i.conf"
		slapadd -q -f "$DIR/slapd/add-$i.conf" -l "$DATA/nc/$file" \
			>"$DIR/log/slapadd-$i.log" 2>&1 || {
			log "slapadd $file failed:"
			tail -n 5 "$DIR/log/slapadd-$i.log" >&2
			return 1
		}
	done <"$DIR/slapd/dbs.tsv"
}

# --tls: CA "ca" signs slapd's certificate; CA "other-ca" signed nothing
# here, for tests that want verification to fail.
setup_tls() {
	local san="DNS:localhost,IP:$LISTEN" fqdn role ca
	[ -z "$DIR_NAME" ] || san+=",DNS:$DIR_NAME"
	while IFS=$'\t' read -r _ fqdn _ _ role _; do
		case "$role" in pdc | dc | rodc) san+=",DNS:$fqdn" ;; esac
	done <"$DATA/machines.tsv"
	mkdir -p "$DIR/tls"
	for ca in ca other-ca; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
			-subj "/CN=world.sh test $ca" -keyout "$DIR/tls/$ca.key" \
			-out "$DIR/tls/$ca.pem" 2>>"$DIR/log/openssl.log"
	done
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=directory" \
		-keyout "$DIR/tls/server.key" -out "$DIR/tls/server.csr" 2>>"$DIR/log/openssl.log"
	openssl x509 -req -in "$DIR/tls/server.csr" -CA "$DIR/tls/ca.pem" -CAkey "$DIR/tls/ca.key" \
		-set_serial 1 -days 7 -out "$DIR/tls/server.pem" \
		-extfile <(printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san") \
		2>>"$DIR/log/openssl.log"
}

setup_slapd() {
	local w n pids=()
	write_slapd_conf
	# slapadd -q into each database before slapd runs: much faster than
	# ldapadd, and the databases are independent, so load them in parallel.
	n=$(nproc 2>/dev/null || echo 2)
	for ((w = 0; w < n; w++)); do
		slapadd_worker "$w" "$n" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || return 1; done
}

# --- dnsmasq -------------------------------------------------------------------

write_dnsmasq_conf() {
	cat >"$DIR/dnsmasq.conf" <<-EOF
	# generated by world.sh for $DIR
	port=$DNS_PORT
	listen-address=$LISTEN
	bind-interfaces
	# Authoritative for the forest only: no upstream, no /etc/hosts, no pid
	# file outside DIR.
	no-resolv
	no-hosts
	no-poll
	pid-file=
	user=root
	log-facility=$DIR/log/dnsmasq.log
	conf-file=$DATA/dnsmasq.conf
	EOF
}

# --- start / stop --------------------------------------------------------------

start_failed() {
	[ -z "$STARTED" ] || return 0
	# Let a still-running KDC setup finish rather than leave it writing
	# into DIR after we are gone, then stop the daemons already started.
	[ -z "$KDC_SETUP_PID" ] || wait "$KDC_SETUP_PID" 2>/dev/null || true
	stop_world
	log "start failed; logs in $DIR/log"
}

start_world() {
	local large="" d n si su members="" extra_members="" rootdse_dc="" std_ports="" t0
	TICKET_LIFETIME=36000
	TLS=""
	SPLIT=""
	LISTEN=127.0.0.1
	DIR_NAME=""
	while [ $# -gt 0 ]; do
		case "$1" in
		--large) large=--large ;;
		--size)
			[[ $2 =~ ^[0-9]+,[0-9]+,[0-9]+,[0-9]+$ ]] || die "--size wants DOMAINS,DCS,SITES,SUBNETS"
			IFS=, read -r d n si su <<<"$2"
			large="--domains $d --dcs $n --sites $si --subnets $su"
			shift ;;
		--members) members=$2; shift ;;
		--extra-members) extra_members=$2; shift ;;
		--listen) LISTEN=$2; shift ;;
		--dir-name) DIR_NAME=$2; shift ;;
		--std-ports) std_ports=yes ;;
		--tls) TLS=yes ;;
		--split-child) SPLIT=yes ;;
		--ticket-lifetime) TICKET_LIFETIME=$2; shift ;;
		--rootdse-dc) rootdse_dc=$2; shift ;;
		*) usage ;;
		esac
		shift
	done
	case "$TICKET_LIFETIME" in '' | *[!0-9]*) die "--ticket-lifetime wants seconds" ;; esac
	[[ $LISTEN =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--listen wants an IPv4 address"
	[ -z "$DIR_NAME" ] || [ "$LISTEN" != 127.0.0.1 ] || die "--dir-name needs --listen"
	[ -z "$std_ports" ] || [ "$LISTEN" != 127.0.0.1 ] ||
		die "--std-ports needs --listen (an address in a namespace of its own)"
	case "$DIR_NAME" in *[!A-Za-z0-9.-]*) die "--dir-name wants a host name" ;; esac
	t0=$(now_ms)

	[ ! -e "$DIR/pids" ] || die "$DIR already holds a running world (world.sh stop $DIR)"
	# The ldapi socket path must fit sun_path (107 bytes) and is written
	# %-encoded in the URL: allow only characters that need no escaping.
	case "$DIR" in *[!A-Za-z0-9._/-]*) die "DIR may only contain A-Za-z0-9._/-" ;; esac
	[ ${#DIR} -le $((107 - 12)) ] || die "DIR too long for an ldapi socket path (keep it short)"
	mkdir -p "$DIR"
	chmod 700 "$DIR"
	rm -rf "$DIR/data" "$DIR/krb5" "$DIR/slapd" "$DIR/keytabs" "$DIR/log" "$DIR/rcache" "$DIR/env"
	mkdir -p "$DIR/krb5" "$DIR/slapd/db" "$DIR/keytabs" "$DIR/log" "$DIR/rcache" "$DIR/ccache"
	# Any failure from here on stops whatever was started (set -e exits the
	# script; the EXIT trap sees that start did not finish).
	STARTED=""
	KDC_SETUP_PID=""
	trap 'start_failed' EXIT

	if [ -n "$std_ports" ]; then
		KDC_PORT=88 LDAP_PORT=389 DNS_PORT=53 LDAPS_PORT=636 LDAP2_PORT=3389
	else
		read -r KDC_PORT LDAP_PORT DNS_PORT LDAPS_PORT LDAP2_PORT <<<"$(pick_ports 5)"
	fi
	trace "ports picked"

	DATA=$DIR/data
	# Listening elsewhere than on the loopback, the world serves clients in
	# test namespaces: A records give the machines' site addresses, and the
	# directory gets a name of its own (and LDAP principals for it).
	local dns_addresses=loopback dir_args=()
	if [ "$LISTEN" != 127.0.0.1 ]; then
		dns_addresses=site
		# (forest.py roots every forest at forest.test.)
		[ -n "$DIR_NAME" ] || DIR_NAME=dir.forest.test
		dir_args=(--dir-name "$DIR_NAME" --dir-addr "$LISTEN")
	fi
	"$PY" "$HERE/forest.py" "$DATA" $large ${members:+--members "$members"} \
		${extra_members:+--extra-members "$extra_members"} \
		${rootdse_dc:+--rootdse-dc "$rootdse_dc"} --dns-addresses "$dns_addresses" \
		"${dir_args[@]}" --ldap-port "$LDAP_PORT" --kdc-port "$KDC_PORT" \
		${SPLIT:+--child-ldap-port "$LDAP2_PORT"}
	trace "forest generated"
	ROOT_REALM=$(head -n1 "$DATA/realms.tsv" | cut -f1)
	ROOT_DOMAIN=$(head -n1 "$DATA/realms.tsv" | cut -f2)
	ROOT_DN=$(head -n1 "$DATA/realms.tsv" | cut -f3)
	ADMIN_DN="$ADMIN_RDN,$ROOT_DN"
	ADMIN_PW=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
	(umask 077 && printf '%s' "$ADMIN_PW" >"$DIR/admin.pw")

	export KRB5_CONFIG=$DIR/krb5.conf KRB5_KDC_PROFILE=$DIR/kdc.conf
	# MIT's replay cache would default to /var/tmp: keep it in DIR.
	export KRB5RCACHEDIR=$DIR/rcache
	write_krb5_conf

	# The KDC databases and the LDAP databases do not depend on each other:
	# build them concurrently.
	setup_kdc &
	KDC_SETUP_PID=$!
	[ -z "$TLS" ] || setup_tls
	setup_slapd
	trace "slapd databases loaded"
	write_dnsmasq_conf
	wait "$KDC_SETUP_PID" || { KDC_SETUP_PID=""; log "KDC setup failed; see $DIR/log/kadmin-*.log"; false; }
	KDC_SETUP_PID=""
	trace "KDC databases and keytabs made"

	# Daemons run in the foreground (-n, -d 0, -k) as background jobs, so $!
	# is the daemon itself; stdin from /dev/null and output to DIR/log keep
	# them from holding the caller's terminal or pipes.
	local realm_args=() realm
	while IFS=$'\t' read -r realm _; do realm_args+=(-r "$realm"); done <"$DATA/realms.tsv"
	krb5kdc -n "${realm_args[@]}" </dev/null >"$DIR/log/krb5kdc.out" 2>&1 &
	KDC_PID=$!
	record_pid krb5kdc "$KDC_PID"

	KRB5_KTNAME=FILE:$DIR/keytabs/ldap.keytab \
		slapd -d "${WORLD_SLAPD_LOGLEVEL:-0}" -f "$DIR/slapd/slapd.conf" \
		-h "ldap://$LISTEN:$LDAP_PORT/ ldapi://${DIR//\//%2F}%2Fslapd%2Fldapi/${TLS:+ ldaps://$LISTEN:$LDAPS_PORT/}" \
		</dev/null >"$DIR/log/slapd.log" 2>&1 &
	SLAPD_PID=$!
	record_pid slapd "$SLAPD_PID"
	SLAPD2_PID=""
	if [ -n "$SPLIT" ]; then
		KRB5_KTNAME=FILE:$DIR/keytabs/ldap.keytab \
			slapd -d "${WORLD_SLAPD_LOGLEVEL:-0}" -f "$DIR/slapd/slapd2.conf" \
			-h "ldap://$LISTEN:$LDAP2_PORT/" </dev/null >"$DIR/log/slapd2.log" 2>&1 &
		SLAPD2_PID=$!
		record_pid slapd2 "$SLAPD2_PID"
	fi

	dnsmasq -k --conf-file="$DIR/dnsmasq.conf" </dev/null >"$DIR/log/dnsmasq.out" 2>&1 &
	DNSMASQ_PID=$!
	record_pid dnsmasq "$DNSMASQ_PID"

	# Readiness: each daemon answers a real request.
	local first_machine first_principal
	first_machine=$(sed -n 2p "$DATA/machines.tsv" | cut -f1)
	first_principal=$(sed -n 2p "$DATA/machines.tsv" | cut -f9)
	wait_ready slapd "$SLAPD_PID" 10000 \
		ldapsearch -x -H "ldap://$LISTEN:$LDAP_PORT" -s base -b "" namingContexts
	[ -z "$SPLIT" ] || wait_ready slapd2 "$SLAPD2_PID" 10000 \
		ldapsearch -x -H "ldap://$LISTEN:$LDAP2_PORT" -s base -b "" namingContexts
	trace "slapd answers"
	wait_ready krb5kdc "$KDC_PID" 10000 tcp_open "$KDC_PORT"
	wait_ready krb5kdc "$KDC_PID" 5000 env KRB5CCNAME="FILE:$DIR/ccache/ready" \
		kinit -k -t "$DIR/keytabs/$first_machine.keytab" "$first_principal"
	rm -f "$DIR/ccache/ready"
	trace "KDC answers"
	wait_ready dnsmasq "$DNSMASQ_PID" 10000 tcp_open "$DNS_PORT"
	wait_ready dnsmasq "$DNSMASQ_PID" 5000 "$PY" "$HERE/dnsq.py" -s "$LISTEN" -p "$DNS_PORT" --timeout 0.5 \
		"_ldap._tcp.pdc._msdcs.$(head -n1 "$DATA/realms.tsv" | cut -f2)"

	write_env
	STARTED=yes
	log "world up in $(($(now_ms) - t0)) ms: ldap $LISTEN:$LDAP_PORT kdc :$KDC_PORT dns :$DNS_PORT; . $DIR/env"
}

write_env() {
	local realms
	realms=$(cut -f1 "$DATA/realms.tsv" | tr '\n' ' ')
	cat >"$DIR/env" <<-EOF
	# Test world in $DIR, started by world.sh.  Source it: . $DIR/env
	export WORLD_DIR=$DIR
	export WORLD_DATA=$DATA
	export KRB5_CONFIG=$DIR/krb5.conf
	export KRB5_KDC_PROFILE=$DIR/kdc.conf
	export KRB5RCACHEDIR=$DIR/rcache
	# libldap: never canonicalise the LDAP host name for GSSAPI.
	export LDAPSASL_NOCANON=on
	export LDAP_PORT=$LDAP_PORT
	export LDAP_URI=ldap://${DIR_NAME:-localhost}:$LDAP_PORT
	export LDAP_URI_IP=ldap://$LISTEN:$LDAP_PORT
	export LDAPS_PORT=${TLS:+$LDAPS_PORT}
	export TLS_CA_FILE=${TLS:+$DIR/tls/ca.pem}
	export TLS_OTHER_CA_FILE=${TLS:+$DIR/tls/other-ca.pem}
	export LDAPI_URI=ldapi://${DIR//\//%2F}%2Fslapd%2Fldapi
	export LISTEN_ADDR=$LISTEN
	export DIR_NAME=$DIR_NAME
	export KDC_PORT=$KDC_PORT
	export DNS_SERVER=$LISTEN
	export DNS_PORT=$DNS_PORT
	export REALM_ROOT=$ROOT_REALM
	export REALMS="${realms% }"
	export ROOT_DOMAIN=$(head -n1 "$DATA/realms.tsv" | cut -f2)
	export ROOT_DN="$ROOT_DN"
	export CONFIG_DN="CN=Configuration,$ROOT_DN"
	export SCHEMA_DN="CN=Schema,CN=Configuration,$ROOT_DN"
	export ADMIN_DN="$ADMIN_DN"
	export ADMIN_PW_FILE=$DIR/admin.pw
	export KEYTAB_DIR=$DIR/keytabs
	export LDAP_KEYTAB=$DIR/keytabs/ldap.keytab
	export CCACHE_DIR=$DIR/ccache
	export MACHINES_TSV=$DATA/machines.tsv
	export MACHINES_JSON=$DATA/machines.json
	export HOSTS_FILE=$DATA/hosts
	export TICKET_LIFETIME=$TICKET_LIFETIME
	export KDC_PID=$KDC_PID
	export SLAPD_PID=$SLAPD_PID
	export LDAP2_PORT=${SPLIT:+$LDAP2_PORT}
	export SLAPD2_PID=$SLAPD2_PID
	export DNSMASQ_PID=$DNSMASQ_PID
	EOF
	# The small forest's child realm, by name, for convenience.
	if grep -q '^CHILD\.' "$DATA/realms.tsv"; then
		echo "export REALM_CHILD=$(grep '^CHILD\.' "$DATA/realms.tsv" | cut -f1)" >>"$DIR/env"
	fi
}

[ $# -ge 2 ] || usage
cmd=$1
DIR=$2
shift 2
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR ;; esac
DIR=${DIR%/}
case "$cmd" in
start) start_world "$@" ;;
stop)
	[ $# -eq 0 ] || usage
	[ -d "$DIR" ] || die "no such directory: $DIR"
	stop_world
	;;
*) usage ;;
esac

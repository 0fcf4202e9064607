#!/bin/bash
# selftest.sh -- check that world.sh builds a usable AD look-alike.
#
# Starts the default test forest in a temporary directory, plus a second one
# with --ticket-lifetime 60, and checks what domtimed will rely on: the
# rootDSE, naming-context separation, Kerberos (also across the child/root
# trust) into SASL GSSAPI binds mapped to computer objects, AD bit filters,
# DC-locator SRV records, admin writes and the ticket lifetime.  Prints one
# PASS/FAIL line per check; exits 1 if any check failed.  Both worlds are
# stopped on exit, whatever happens.
#
#   tests/world/selftest.sh            (as root)

# Functions below run indirectly, through check and the trap:
# shellcheck disable=SC2317
set -eu
set -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
WORLD=$HERE/world.sh
DNSQ=$HERE/dnsq.py
FAILED=0
W1="" W2=""

cleanup() {
	local d
	for d in $W1 $W2; do
		"$WORLD" stop "$d" || true
		rm -rf "$d"
	done
}
trap cleanup EXIT

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; FAILED=1; }
fails() { ! "$@"; }
# check NAME CMD...: PASS if CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# DN comparison: slapd returns "dc=forest,dc=test" where AD says
# "DC=forest,DC=test", so compare case-insensitively.
lc() { tr '[:upper:]' '[:lower:]'; }
same_dn() { [ "$(printf '%s' "$1" | lc)" = "$(printf '%s' "$2" | lc)" ]; }

# Field of a machine in machines.tsv: machine NAME COLUMN (1-based).
machine() { awk -F'\t' -v n="$1" -v c="$2" '$1 == n { print $c }' "$MACHINES_TSV"; }

# Values of one attribute from an LDIF stream (unwrapped), one per line.
values() { sed -n "s/^$1: //p"; }

# Negative checks and writes, as functions so that check can run them.
anon_reads_domain() { ldapsearch -LLL -x -H "$LDAP_URI" -b "$ROOT_DN" dn 2>/dev/null | grep -q '^dn:'; }
lacks() { ! grep -q "$1" <<<"$2"; }
set_site() { # BIND-ARGS... -- SUBNET-DN SITE: point a subnet at another site
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	ldapmodify "${args[@]}" -H "$LDAP_URI" >/dev/null 2>&1 <<-EOF
	dn: $2
	changetype: modify
	replace: siteObject
	siteObject: CN=$3,CN=Sites,$CONFIG_DN
	EOF
}

# Short directories: the ldapi socket path must fit in 107 bytes.
W1=$(mktemp -d "${WORLD_TMP:-/tmp}/dtw.XXXXXX")
W2=$(mktemp -d "${WORLD_TMP:-/tmp}/dtw.XXXXXX")

t0=${EPOCHREALTIME/./}
if ! "$WORLD" start "$W1"; then
	fail "world starts"
	exit 1
fi
t1=${EPOCHREALTIME/./}
pass "world starts ($(((t1 - t0) / 1000)) ms)"

# shellcheck disable=SC1091
. "$W1/env"
S=(ldapsearch -LLL -o ldif-wrap=no)

# --- rootDSE (anonymous, as every AD client reads it first) ----------------
rootdse=$("${S[@]}" -x -H "$LDAP_URI" -s base -b "" '*' +)
ncs=$(printf '%s\n' "$rootdse" | values namingContexts | lc | sort)
want=$(cut -f1 "$WORLD_DATA/ncs.tsv" | lc | sort)
check "rootDSE namingContexts lists all $(echo "$want" | wc -l) naming contexts" \
	[ "$ncs" = "$want" ]
missing=""
for a in defaultNamingContext rootDomainNamingContext configurationNamingContext \
	schemaNamingContext dsServiceName serverName dnsHostName domainFunctionality \
	forestFunctionality domainControllerFunctionality isSynchronized isGlobalCatalogReady; do
	# Attribute names are case-insensitive (dnsHostName comes back as dNSHostName).
	printf '%s\n' "$rootdse" | grep -qi "^$a: " || missing="$missing $a"
done
check "rootDSE has the AD attributes${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "rootDSE defaultNamingContext is the root domain" \
	same_dn "$(printf '%s\n' "$rootdse" | values defaultNamingContext)" "$ROOT_DN"
check "rootDSE dsServiceName is the PDC's NTDS Settings" \
	same_dn "$(printf '%s\n' "$rootdse" | values dsServiceName)" \
	"CN=NTDS Settings,CN=ROOTDC1,CN=Servers,CN=HQ,CN=Sites,$CONFIG_DN"
check "anonymous cannot read the domain NC" fails anon_reads_domain

# --- a root-domain and a child-domain machine ------------------------------
for m in member1 childm1; do
	principal=$(machine "$m" 9)
	dn=$(machine "$m" 8)
	export KRB5CCNAME=FILE:$CCACHE_DIR/$m
	check "$m: kinit -k $principal" \
		kinit -k -t "$KEYTAB_DIR/$m.keytab" "$principal"
	who=$(ldapwhoami -Q -Y GSSAPI -H "$LDAP_URI" 2>&1 || true)
	check "$m: ldapwhoami -Y GSSAPI is its computer object (${who#dn:})" \
		same_dn "${who#dn:}" "$dn"
	# Also by address: the client then asks for ldap/127.0.0.1.
	who=$(ldapwhoami -Q -Y GSSAPI -H "$LDAP_URI_IP" 2>&1 || true)
	check "$m: GSSAPI bind to $LDAP_URI_IP" same_dn "${who#dn:}" "$dn"
	n=$("${S[@]}" -Q -Y GSSAPI -H "$LDAP_URI" -b "CN=Partitions,$CONFIG_DN" -s one \
		'(objectClass=crossRef)' nCName | grep -c '^dn:' || true)
	check "$m: reads CN=Partitions (6 crossRefs, got $n)" [ "$n" -eq 6 ]
done
unset KRB5CCNAME
check "childm1's realm is the child realm (cross-realm path used)" \
	[ "$(machine childm1 4)" = "$REALM_CHILD" ]

export KRB5CCNAME=FILE:$CCACHE_DIR/member1
gs=("${S[@]}" -Q -Y GSSAPI -H "$LDAP_URI")

# Domains are told apart from application NCs by systemFlags (bit 2).
doms=$("${gs[@]}" -b "CN=Partitions,$CONFIG_DN" -s one \
	'(&(objectClass=crossRef)(systemFlags:1.2.840.113556.1.4.803:=2))' nCName | values nCName | lc | sort)
check "crossRefs with FLAG_CR_NTDS_DOMAIN are exactly the two domains" \
	[ "$doms" = "$(printf '%s\n' "DC=child,$ROOT_DN" "$ROOT_DN" | lc | sort)" ]
tp=$("${gs[@]}" -b "CN=CHILD,CN=Partitions,$CONFIG_DN" -s base trustParent | values trustParent)
check "child crossRef trustParent is the root crossRef" \
	same_dn "$tp" "CN=FOREST,CN=Partitions,$CONFIG_DN"

# --- naming contexts are separate databases --------------------------------
sub=$("${gs[@]}" -b "$ROOT_DN" dn | grep '^dn:' | lc)
check "subtree search of the root domain NC has no configuration objects" \
	lacks "cn=configuration" "$sub"
check "subtree search of the root domain NC has no child-domain objects" \
	lacks "dc=child" "$sub"
check "subtree search of the root domain NC finds its computers" \
	grep -q "cn=member1,cn=computers,dc=forest,dc=test" <<<"$sub"

# --- AD bit filters ----------------------------------------------------------
dcs=$("${gs[@]}" -b "$ROOT_DN" '(userAccountControl:1.2.840.113556.1.4.803:=8192)' dn |
	values dn | lc | sort | tr '\n' ' ')
check "SERVER_TRUST (8192) bit filter finds the writable root DCs ($dcs)" \
	[ "$dcs" = "cn=rootdc1,ou=domain controllers,dc=forest,dc=test cn=rootdc2,ou=domain controllers,dc=forest,dc=test " ]
rodc=$("${gs[@]}" -b "$ROOT_DN" '(userAccountControl:1.2.840.113556.1.4.803:=67108864)' dn | values dn | lc)
check "PARTIAL_SECRETS (0x04000000) bit filter finds the RODC" \
	[ "$rodc" = "cn=rodc1,ou=domain controllers,dc=forest,dc=test" ]
dcs=$("${gs[@]}" -b "DC=child,$ROOT_DN" '(userAccountControl:1.2.840.113556.1.4.803:=8192)' dn |
	grep -c '^dn:' || true)
check "SERVER_TRUST bit filter finds the 2 child DCs (got $dcs)" [ "$dcs" -eq 2 ]
pdc=$("${gs[@]}" -b "$ROOT_DN" -s base fSMORoleOwner | values fSMORoleOwner)
check "root domain fSMORoleOwner is rootdc1's NTDS Settings" \
	same_dn "$pdc" "CN=NTDS Settings,CN=ROOTDC1,CN=Servers,CN=HQ,CN=Sites,$CONFIG_DN"
ro=$("${gs[@]}" -b "$CONFIG_DN" '(&(objectClass=nTDSDSA)(msDS-isRODC=TRUE))' dn | values dn | lc)
check "exactly one nTDSDSA has msDS-isRODC TRUE (rodc1)" \
	[ "$ro" = "cn=ntds settings,cn=rodc1,cn=servers,cn=branch,cn=sites,cn=configuration,dc=forest,dc=test" ]

# --- DNS: DC locator records -------------------------------------------------
srv() { "$DNSQ" -p "$DNS_PORT" "$1" | awk '{print $4}' | sort | tr '\n' ' '; }
got=$(srv "_ldap._tcp.dc._msdcs.forest.test")
check "SRV _ldap._tcp.dc._msdcs.forest.test = writable root DCs ($got)" \
	[ "$got" = "rootdc1.forest.test rootdc2.forest.test " ]
got=$(srv "_ldap._tcp.pdc._msdcs.child.forest.test")
check "SRV _ldap._tcp.pdc._msdcs.child.forest.test = childdc1 ($got)" \
	[ "$got" = "childdc1.child.forest.test " ]
got=$(srv "_ldap._tcp.Branch._sites.dc._msdcs.forest.test")
check "SRV _ldap._tcp.Branch._sites.dc._msdcs.forest.test = rodc1 ($got)" \
	[ "$got" = "rodc1.forest.test " ]
got=$(srv "_kerberos._udp.child.forest.test")
check "SRV _kerberos._udp.child.forest.test = child DCs ($got)" \
	[ "$got" = "childdc1.child.forest.test childdc2.child.forest.test " ]
port=$("$DNSQ" -p "$DNS_PORT" "_ldap._tcp.pdc._msdcs.forest.test" | awk '{print $3}')
check "SRV port is the slapd port ($port)" [ "$port" = "$LDAP_PORT" ]
addr=$("$DNSQ" -p "$DNS_PORT" -t A rootdc2.forest.test || true)
check "A rootdc2.forest.test = 127.0.0.1 ($addr)" [ "$addr" = 127.0.0.1 ]

# --- breakage: the administrator edits the forest ------------------------------
subnet="CN=10.2.0.0/16,CN=Subnets,CN=Sites,$CONFIG_DN"
check "admin (simple bind) moves subnet 10.2.0.0/16 to HQ" \
	set_site -x -D "$ADMIN_DN" -y "$ADMIN_PW_FILE" -- "$subnet" HQ
site=$("${gs[@]}" -b "$subnet" -s base siteObject | values siteObject)
check "a machine sees the change" same_dn "$site" "CN=HQ,CN=Sites,$CONFIG_DN"
check "root over ldapi (SASL EXTERNAL) is the administrator" \
	same_dn "$(ldapwhoami -Q -Y EXTERNAL -H "$LDAPI_URI" | sed 's/^dn://')" "$ADMIN_DN"
check "a machine cannot write" fails set_site -Q -Y GSSAPI -- "$subnet" Branch
unset KRB5CCNAME

# --- ticket lifetime ---------------------------------------------------------------
# Lifetimes (end - start, seconds) of the tickets in a ccache, one per line,
# from klist's "MM/DD/YY HH:MM:SS  MM/DD/YY HH:MM:SS  service" lines (GNU
# date reads that format).  The first line is the TGT.
lifetimes() {
	LC_ALL=C klist -c "$1" | awk 'NF >= 5 && $1 ~ /\// { print $1, $2 "|" $3, $4 }' |
		while IFS='|' read -r s e; do
			echo $(($(date -d "$e" +%s) - $(date -d "$s" +%s)))
		done
}
"$WORLD" stop "$W1"
pids_gone=yes
for p in $KDC_PID $SLAPD_PID $DNSMASQ_PID; do
	# A zombie awaiting PID 1 counts as gone.
	st=$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null || echo gone)
	[ "$st" = gone ] || [ "$st" = Z ] || pids_gone=no
done
check "stop ends the three daemons" [ "$pids_gone" = yes ]

t0=${EPOCHREALTIME/./}
if "$WORLD" start "$W2" --ticket-lifetime 60; then
	t1=${EPOCHREALTIME/./}
	pass "world with --ticket-lifetime 60 starts ($(((t1 - t0) / 1000)) ms)"
	# shellcheck disable=SC1091
	. "$W2/env"
	cc=FILE:$CCACHE_DIR/childdc1
	KRB5CCNAME=$cc kinit -k -t "$KEYTAB_DIR/childdc1.keytab" "$(machine childdc1 9)"
	life=$(lifetimes "$cc" | head -n1)
	check "TGT lifetime is 60 s (got $life)" [ "$life" -eq 60 ]
	# The cross-realm path and the service ticket are capped as well.
	KRB5CCNAME=$cc ldapwhoami -Q -Y GSSAPI -H "$LDAP_URI" >/dev/null
	maxlife=$(lifetimes "$cc" | sort -n | tail -n1)
	check "cross-realm and LDAP service tickets last at most 60 s (max $maxlife)" [ "$maxlife" -le 60 ]
else
	fail "world with --ticket-lifetime 60 starts"
fi

if [ "$FAILED" -eq 0 ]; then echo "selftest: all checks passed"; else echo "selftest: FAILED"; fi
exit "$FAILED"

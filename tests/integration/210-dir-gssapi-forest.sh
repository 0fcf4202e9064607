#!/bin/bash
# Directory discovery against the test world (slapd + MIT KDC + dnsmasq):
# from each kind of machine's keytab (member, member in another site,
# child-domain member, root PDC, DC, RODC, child PDC, child DC) a SASL
# GSSAPI bind (no password anywhere) reads the whole forest, in a bounded
# number of LDAP round trips, and the forest built from it gives each
# machine its role. Also: the PDC-only read, a FSMO transfer seen by it,
# simple and anonymous binds, and the clear error when ldap_nocanon is off.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

start_world

# probe MACHINE [ARGS...]: one discovery with MACHINE's keytab; stdout, stderr in $T_DIR.
probe() {
	local m=$1
	shift
	dirprobe_as "$m" --timeout 5 --forest "$@" 2>"$T_DIR/probe-$m.err"
}

full="crossrefs=6 nc_heads=2 sites=2 servers=5 ntds=5 subnets=3 self=1"
while read -r m role site domain; do
	out=$(probe "$m")
	res=$(grep '^result ' <<<"$out")
	forest=$(grep '^forest ' <<<"$out")
	counts=$(grep -o 'crossrefs=.* self=[0-9]*' <<<"$res")
	rt=$(field round_trips <<<"$res")
	if [ "$(field errors <<<"$res")" = 0 ] && [ "$counts" = "$full" ] &&
		[ "$(field role <<<"$forest")" = "$role" ] &&
		[ "$(field self_site <<<"$forest")" = "$site" ] &&
		[ "$(field self_domain <<<"$forest")" = "$domain" ] &&
		[ "$(field problems <<<"$forest")" = 0 ] && [ "$rt" -le 12 ]; then
		pass "$m: GSSAPI from its keytab reads the forest ($rt round trips," \
			"$(field elapsed <<<"$res") s): $role in $domain, site $site"
	else
		fail "$m: expected $full, role $role, site $site, domain $domain; got: $res / $forest"
		grep -E '^(error|problem):' <<<"$out" | head -n 5
	fi
	# The principal authenticated with its key: an AS exchange in the KDC's log.
	principal=$(awk -F'\t' -v m="$m" '$1 == m { print $9 }' "$MACHINES_TSV")
	check "$m: the KDC issued a TGT to $principal" \
		grep -qF "$principal for krbtgt/" "$W/log/krb5kdc.log"
	check "$m: the identity came from the keytab" \
		grep -qF "identity: account ${principal%@*}, host $m, realm ${principal#*@} (keytab FILE:$KEYTAB_DIR/$m.keytab)" \
		"$T_DIR/probe-$m.err"
done <<EOF
member1 member HQ forest.test
member2 member HQ forest.test
childm1 member HQ child.forest.test
rootdc1 root_pdc HQ forest.test
rootdc2 dc HQ forest.test
rodc1 rodc Branch forest.test
childdc1 pdc Branch child.forest.test
childdc2 dc Branch child.forest.test
EOF
# (member2's site: its address here is 127.0.0.1, which the subnets put in HQ.)

# A child member binds to a child DC (located by its own domain's SRV records).
out=$(probe childm1)
check "childm1 reads from a DC of its own domain" \
	grep -q 'read_from=ldap://childdc[12].child.forest.test:' <<<"$out"
# A root member told to read from a child DC: a cross-realm service ticket
# (through krbtgt/CHILD.FOREST.TEST@FOREST.TEST), fetched over our own KDC transport.
out=$(probe member1 --ldap-uri "ldap://childdc1.child.forest.test:$LDAP_PORT")
check "member1 reads the forest from a child DC" grep -q "errors=0 $full" <<<"$out"
check "... with a cross-realm ticket for ldap/childdc1.child.forest.test" \
	grep -qF 'MEMBER1$@FOREST.TEST for ldap/childdc1.child.forest.test@CHILD.FOREST.TEST' \
	"$W/log/krb5kdc.log"

# Integrity protection (AD requires signing): a SASL security layer is in place.
probe member1 --debug >/dev/null
ssf=$(sed -n 's/.*SASL security strength \([0-9]*\).*/\1/p' "$T_DIR/probe-member1.err" | head -n 1)
check "the GSSAPI bind negotiated a security layer (strength ${ssf:-none})" test "${ssf:-0}" -ge 1

# The cheap PDC check: rootDSE, crossRefs and the NC heads only.
out=$(probe member1 --pdc-only)
res=$(grep '^result ' <<<"$out")
if grep -q 'errors=0 crossrefs=6 nc_heads=2 sites=0 servers=0 ntds=0 subnets=0 self=0 pings=0' \
	<<<"$res" && [ "$(field round_trips <<<"$res")" -le 7 ]; then
	pass "PDC-only read: crossRefs and NC heads in $(field round_trips <<<"$res") round trips"
else
	fail "PDC-only read: $res"
fi

# A FSMO transfer (the child's PDC role to childdc2) is seen by the next read.
ldapmodify -x -D "$ADMIN_DN" -y "$ADMIN_PW_FILE" -H "$LDAP_URI_IP" >/dev/null <<EOF
dn: DC=child,$ROOT_DN
changetype: modify
replace: fSMORoleOwner
fSMORoleOwner: CN=NTDS Settings,CN=CHILDDC2,CN=Servers,CN=Branch,CN=Sites,$CONFIG_DN
EOF
out=$(probe member1 --pdc-only --dump)
check "the PDC-only read sees the new role owner" \
	grep -qi 'fSMORoleOwner=CN=NTDS Settings,CN=CHILDDC2,' <<<"$out"
check "childdc2 is now the child PDC, childdc1 a DC" \
	test "$(probe childdc2 | field role)/$(probe childdc1 | field role)" = "pdc/dc"

# Simple bind (tests and odd directories only; the keytab only says who we
# are) and anonymous.
out=$("$DIRPROBE" --ldap-bind simple --ldap-bind-dn "$ADMIN_DN" \
	--ldap-bind-password-file "$ADMIN_PW_FILE" --keytab "$KEYTAB_DIR/member1.keytab" \
	--dns-server "127.0.0.1:$DNS_PORT" --timeout 5 2>"$T_DIR/simple.err")
check "a simple bind reads the forest" grep -q "errors=0 $full" <<<"$out"
check "... warning that the password went in clear" \
	grep -q "simple bind to .* without TLS" "$T_DIR/simple.err"
out=$("$DIRPROBE" --ldap-bind anonymous --domain forest.test --dns-server "127.0.0.1:$DNS_PORT" \
	--timeout 5 2>/dev/null)
check "an anonymous read gets the rootDSE and says what it could not read" \
	grep -q 'rootdse=1' <<<"$out"
check "... naming the refusal" grep -q 'error: the crossRefs .*Insufficient access' <<<"$out"

# Without NOCANON libldap names the service after this machine (loopback):
# the error says so and how to fix it.
out=$(probe member1 --ldap-nocanon no)
check "ldap_nocanon = no: a clear error naming the service and the fix" \
	grep -q "error: Kerberos: cannot get a ticket for ldap/.*ldap_nocanon = no names the service after" \
	<<<"$out"
t_done

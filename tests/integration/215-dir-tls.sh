#!/bin/bash
# LDAPS and StartTLS with certificate verification, against the test world
# run with --tls (a test CA signed slapd's certificate for every DC name):
# an ldaps:// URI and StartTLS on DCs found in DNS both read the whole forest
# with a GSSAPI bind inside TLS, and slapd's own log shows the TLS sessions;
# a certificate from a CA we do not trust, a name the certificate does not
# carry, TLS towards a plain LDAP port and an unreadable CA file each fail
# with an error naming the server, and nothing is read. domtimed takes the
# same settings from its configuration.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe

WORLD_SLAPD_LOGLEVEL=stats start_world --tls

probe() { # MACHINE ARGS...: one discovery; stdout, stderr in $T_DIR/probe.err
	local m=$1
	shift
	dirprobe_as "$m" --timeout 5 --forest --debug "$@" 2>"$T_DIR/probe.err"
}
full="crossrefs=6 nc_heads=2 sites=2 servers=5 ntds=5 subnets=3 self=1"

# whole NAME ROLE ARGS...: the discovery reads everything and gives ROLE.
whole() {
	local name=$1 m=$2 role=$3 out res
	shift 3
	out=$(probe "$m" "$@")
	res=$(grep '^result ' <<<"$out")
	if [ "$(field errors <<<"$res")" = 0 ] && [[ "$res" == *"$full"* ]] &&
		[ "$(grep '^forest ' <<<"$out" | field role)" = "$role" ]; then
		pass "$name: the whole forest, $m is $role ($(field round_trips <<<"$res") round trips)"
	else
		fail "$name: expected $full and role $role; got: $out"
		cat "$T_DIR/probe.err"
	fi
}

ldaps_uri=ldaps://rootdc1.forest.test:$LDAPS_PORT
whole "LDAPS" member1 member --ldap-uri "$ldaps_uri" --ldap-tls-ca-file "$TLS_CA_FILE"
check "LDAPS: GSSAPI bound inside TLS 1.2+" grep -Eq \
	"bound to $ldaps_uri from .*\(GSSAPI, .*TLS1\.[23] " "$T_DIR/probe.err"

whole "StartTLS to DCs from DNS" rootdc1 root_pdc --ldap-starttls yes \
	--ldap-tls-ca-file "$TLS_CA_FILE"
check "StartTLS: GSSAPI bound after StartTLS" grep -Eq \
	"bound to ldap://[a-z0-9]+\.forest\.test:$LDAP_PORT .*\(GSSAPI, .*StartTLS TLS1\.[23] " \
	"$T_DIR/probe.err"
check "slapd saw the StartTLS request" grep -q 'EXT oid=1.3.6.1.4.1.1466.20037' \
	"$W/log/slapd.log"
check "slapd established TLS sessions" grep -q 'TLS established tls_ssf=' "$W/log/slapd.log"

# refused NAME PATTERN ARGS...: member1's discovery fails, naming the cause.
refused() {
	local name=$1 pattern=$2 out
	shift 2
	out=$(probe member1 "$@")
	if [ $? = 1 ] && grep -q '^result .* crossrefs=0 ' <<<"$out" &&
		grep -Eq "^error: $pattern" <<<"$out"; then
		pass "$name: nothing read; $(grep -m1 -E "^error: $pattern" <<<"$out" | cut -c1-150)"
	else
		fail "$name: expected a failure matching '$pattern'; got: $out"
	fi
}
refused "a CA we do not trust" \
	"TLS with $ldaps_uri failed: .* chain to a CA in $TLS_OTHER_CA_FILE" \
	--ldap-uri "$ldaps_uri" --ldap-tls-ca-file "$TLS_OTHER_CA_FILE"
refused "a name the certificate lacks" \
	"TLS with ldaps://member1.forest.test:$LDAPS_PORT failed: .* must name member1.forest.test" \
	--ldap-uri "ldaps://member1.forest.test:$LDAPS_PORT" --ldap-tls-ca-file "$TLS_CA_FILE"
refused "the system trust store does not know the test CA" \
	"TLS with ldap://rootdc[12].forest.test:$LDAP_PORT failed" --ldap-starttls yes
refused "LDAPS towards the plain LDAP port" \
	"TLS with ldaps://rootdc1.forest.test:$LDAP_PORT failed" \
	--ldap-uri "ldaps://rootdc1.forest.test:$LDAP_PORT" --ldap-tls-ca-file "$TLS_CA_FILE"
refused "an unreadable CA file" "TLS to .*: cannot load the CA certificates in /nonexistent" \
	--ldap-starttls yes --ldap-tls-ca-file /nonexistent

# The daemon: the same keys from its configuration.
write_domtimed_conf member1 "listen = 127.0.0.1:$(free_udp_port)" \
	"keytab = $KEYTAB_DIR/member1.keytab" "ldap_uri = $ldaps_uri" \
	"ldap_tls_ca_file = $TLS_CA_FILE" "dns_server = 127.0.0.1:$DNS_PORT" "ldap_timeout = 3"
check "domtimed -t shows the TLS keys" bash -c \
	"'$BUILD/domtimed' -t -f '$T_DIR/member1.conf' | grep -qx 'ldap_tls_ca_file = $TLS_CA_FILE'"
start_domtimed member1
read_done() { test "$(ctl member1 hierarchy --json | json 'j["read_from"] is not None')" = true; }
if wait_for 10 read_done; then
	got=$(ctl member1 hierarchy --json | json '[j["read_from"], j["self"]["role"], len(j["problems"])]')
	check "domtimed read the forest over LDAPS: $got" test "$got" = "[\"$ldaps_uri\", \"member\", 0]"
else
	fail "domtimed: no forest read over LDAPS"
	tail -n 20 "$T_DIR/member1.log"
fi
t_done

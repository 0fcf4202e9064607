#!/bin/bash
# Against a real Active Directory DC (Samba 4.17, provisioned in a test
# namespace, ~15 s): a member found by DNS SRV (Samba's own DNS), with the
# keytab Samba exported, binds with GSSAPI and reads the forest; LDAP pings
# are answered over UDP (our hand-made CLDAP datagram; no LDAP connection
# at all in that run) and over TCP (UDP refused), and the flags say what a
# Samba DC says: PDC, time server, reliable time server, writable, and its
# site. Nothing outside the test's directory is written (every Samba path is
# set, /run/samba is a private bind mount).
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe
. "$TOP/tests/lib/netns.sh"
. "$TOP/tests/lib/samba.sh"
samba_dc_need

netns_init sdc
netns_switch
netns_host dc1 10.77.0.1/24
netns_host m1 10.77.0.2/24
samba_dc_start dc1 10.77.0.1
D=$SAMBA_D

# A member account, its keytab from Samba, and a krb5.conf for the client.
samba_computer dc1 M1
cat >"$D/krb5.conf" <<EOF
[libdefaults]
 default_realm = SAMBA.TEST
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
[realms]
 SAMBA.TEST = {
  kdc = 10.77.0.1
 }
[domain_realm]
 .samba.test = SAMBA.TEST
EOF
probe() {
	netns_exec m1 env KRB5_CONFIG="$D/krb5.conf" "$DIRPROBE" --keytab "$D/m1.keytab" \
		--dns-server 10.77.0.1 --ldap-nocanon yes --timeout 5 --forest "$@" 2>>"$T_DIR/probe.log"
}
# DS_PDC 0x1, DS_TIMESERV 0x40, DS_WRITABLE 0x100, DS_GOOD_TIMESERV 0x200 (Samba with ntp_signd).
flags_ok() { "$PY" -c "import sys; f = int('$1', 16); sys.exit(0 if f & 0x341 == 0x341 else 1)"; }

out=$(probe)
res=$(grep '^result ' <<<"$out")
echo "   $res"
check "GSSAPI bind to the DC found in Samba's DNS, whole forest read" \
	grep -q 'errors=0 crossrefs=[0-9]* nc_heads=1 sites=1 servers=1 ntds=1 subnets=0 self=1' <<<"$res"
check "the forest says member of samba.test, its PDC known, site from the ping" \
	grep -q '^forest role=member domains=1 pdcs=1 dcs=1 .* problems=0 self_domain=samba.test self_site=Default-First-Site-Name site_source=ping' \
	<<<"$out"

# TLS with the certificate Samba made for itself at first start: LDAPS and
# StartTLS, each with a GSSAPI bind inside and no SASL layer (AD and Samba
# refuse one inside TLS; Samba before 4.20 takes such a bind only with
# allow_sasl_over_tls, set above: without TLS it still demands sign or seal).
ca=$D/private/tls/ca.pem
whole='errors=0 crossrefs=[0-9]* nc_heads=1 sites=1 servers=1 ntds=1 subnets=0 self=1'
# read_all NAME PATTERN: the output in $out read everything; else say what failed.
read_all() {
	if grep "$whole" <<<"$out" | grep -q "$2"; then
		pass "$1"
	else
		fail "$1"
		grep -E '^(result|error)' <<<"$out" | head -n 5
	fi
}
out=$(probe --ldap-uri ldaps://dc1.samba.test --ldap-tls-ca-file "$ca")
read_all "LDAPS verified against Samba's CA, GSSAPI inside, whole forest read" \
	"read_from=ldaps://dc1.samba.test:636 "
out=$(probe --ldap-starttls yes --ldap-tls-ca-file "$ca")
read_all "StartTLS on the DC found in DNS, whole forest read" "read_from=ldap://"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
	-keyout "$T_DIR/other-ca.key" -out "$T_DIR/other-ca.pem" 2>/dev/null
out=$(probe --ldap-uri ldaps://dc1.samba.test --ldap-tls-ca-file "$T_DIR/other-ca.pem")
check "LDAPS refused when the certificate is not from the CA we trust" \
	grep -q "^error: TLS with ldaps://dc1.samba.test:636 failed" <<<"$out"

# UDP only: no LDAP connection (nothing listens on port 1), so the ping's
# answer can only have come over CLDAP.
out=$(probe --ldap-uri ldap://10.77.0.1:1)
ping=$(grep '^ping: dc1.samba.test ' <<<"$out")
flags=$(field flags <<<" $ping")
check "CLDAP ping over UDP answered: $ping" grep -q 'answered=1' <<<"$ping"
check "... flags $flags: PDC, time server, reliable time server, writable" flags_ok "${flags:-0}"
check "... DcSiteName and ClientSiteName" \
	grep -q 'dc_site=Default-First-Site-Name client_site=Default-First-Site-Name' <<<"$ping"

# TCP only: UDP pings go to a closed port and are refused; the ping on the
# bound connection answers.
out=$(probe --ping-port 1)
ping=$(grep '^ping: dc1.samba.test ' <<<"$out")
check "LDAP ping over TCP answered: $ping" grep -q 'answered=1' <<<"$ping"
flags=$(field flags <<<" $ping")
check "... with the same flags ($flags)" flags_ok "${flags:-0}"

# Stop Samba here, before the namespace cleanup looks for leftovers.
samba_dc_stop dc1
t_done

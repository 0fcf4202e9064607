#!/bin/bash
# domtimed against the test world: a member, a DC, an RODC, the child PDC
# and the root PDC each find their role, site, the domain tree and every
# PDC (GSSAPI from their keytabs, nothing else); a broken directory gives
# problems and a log line, never a crash; the FSMO check notices a transfer.
. "$(dirname "$0")/../lib/common.sh"
need_root

start_world

# A domtimed for machine M of the world (loopback: its NTP port is free, its
# sources unreachable, which is fine here: this is about the picture).
start_machine() {
	write_domtimed_conf "$1" "listen = 127.0.0.1:$(free_udp_port)" \
		"keytab = $KEYTAB_DIR/$1.keytab" "ldap_uri = $LDAP_URI" \
		"dns_server = 127.0.0.1:$DNS_PORT" "ldap_timeout = 3" "pdc_check_interval = 1" \
		"rediscover_backoff = 1"
	start_domtimed "$1"
}
read_done() { test "$(ctl "$1" hierarchy --json | json 'j["read_from"] is not None')" = true; }
h() { ctl "$1" hierarchy --json | json "$2"; }

while read -r m role site domain; do
	start_machine "$m"
	wait_for 10 read_done "$m" || { fail "$m: no forest read"; continue; }
	got=$(h "$m" '[j["self"]["role"], j["self"]["site"], j["self"]["domain"]]')
	check "$m: $got" test "$got" = "[\"$role\", \"$site\", \"$domain\"]"
	tree=$(h "$m" 'sorted((d["name"], d["parent"], d["pdc"]) for d in j["domains"])')
	check "$m sees the tree and every PDC" test "$tree" = \
		'[["child.forest.test", "forest.test", "childdc1.child.forest.test"], ["forest.test", null, "rootdc1.forest.test"]]'
	check "$m: no problems" test "$(h "$m" 'len(j["problems"])')" = 0
	check "$m: status has role and type nt5ds" test \
		"$(ctl "$m" status --json | json '[j["role"], j["type"]]')" = "[\"$role\", \"nt5ds\"]"
	check "$m: bound with GSSAPI" grep -q "GSSAPI" "$T_DIR/$m.log"
done <<EOF
member1 member HQ forest.test
rootdc2 dc HQ forest.test
rodc1 rodc Branch forest.test
childdc1 pdc Branch child.forest.test
rootdc1 root_pdc HQ forest.test
EOF
check "no password anywhere in the configurations" bash -c "! grep -qi password $T_DIR/*.conf"
# The root PDC here has no ntp_server and no reliable = yes: it must not pass
# its free-running clock off as the forest's reference.
check "a root PDC with no external source says so: $(ctl rootdc1 status --json | json 'j["reason"]')" \
	test "$(ctl rootdc1 status --json | json '[j["synchronized"], j["reason"].startswith("forest root PDC with no external time source")]')" = "[false, true]"
check "and warns in the log" \
	wait_for 3 grep -q "warning.*not synchronised: forest root PDC" "$T_DIR/rootdc1.log"
# monitor resolves the DCs through the daemon's dns_server (the world's DNS).
mon=$(ctl member1 monitor --json 2>/dev/null)
check "monitor finds every DC of forest.test through dns_server: $(json '[r.get("error", "ok") for r in j["dcs"]]' <<<"$mon")" \
	test "$(json 'len(j["dcs"]) >= 3 and all("resolve" not in r.get("error", "") for r in j["dcs"])' <<<"$mon")" = true

admin() { ldapmodify -x -H "$LDAP_URI_IP" -D "$ADMIN_DN" -y "$ADMIN_PW_FILE" >/dev/null; }
problem() { ctl member1 hierarchy --json | json '"\n".join(j["problems"])' | grep -q "$1"; }
root_pdc_seen_by() { h "$1" '[d["pdc"] for d in j["domains"] if d["name"] == "forest.test"][0]'; }

# FSMO transfer: the cheap check sees it and rediscovers.
admin <<LDIF
dn: $ROOT_DN
changetype: modify
replace: fSMORoleOwner
fSMORoleOwner: CN=NTDS Settings,CN=ROOTDC2,CN=Servers,CN=HQ,CN=Sites,$CONFIG_DN
LDIF
moved() { test "$(root_pdc_seen_by rootdc2)" = rootdc2.forest.test; }
check "the PDC check notices the transfer and rediscovers" wait_for 10 moved
role_of_rootdc2() { test "$(ctl rootdc2 status --json | json 'j["role"]')" = root_pdc; }
check "rootdc2 is now the root PDC" wait_for 5 role_of_rootdc2
check "the log names the move" grep -q "PDC emulator of .* moved" "$T_DIR/rootdc2.log"

# Broken directories: each gives a problem, the daemons live on.
admin <<LDIF
dn: $ROOT_DN
changetype: modify
replace: fSMORoleOwner
fSMORoleOwner: CN=NTDS Settings,CN=NOSUCHDC,CN=Servers,CN=HQ,CN=Sites,$CONFIG_DN
LDIF
ctl member1 rediscover >/dev/null
check "a dangling fSMORoleOwner is a problem" wait_for 10 problem "fSMORoleOwner"
check "and that domain has no PDC rather than a wrong one" \
	test "$(root_pdc_seen_by member1)" = null
admin <<LDIF
dn: CN=FOREST,CN=Partitions,$CONFIG_DN
changetype: modify
replace: trustParent
trustParent: CN=CHILD,CN=Partitions,$CONFIG_DN
LDIF
ctl member1 rediscover >/dev/null
check "a trustParent cycle is a problem" wait_for 10 problem "trustParent"
check "the log has the problems" grep -q "directory problem" "$T_DIR/member1.log"
for m in member1 rootdc2 rodc1 childdc1 rootdc1; do
	check "$m still answers" ctl "$m" counters
done
t_done

#!/bin/bash
# domtimed on a real Samba 4.17 AD DC (provisioned in a test namespace) with
# nothing configured but the virtual clock, smb.conf's path and a listen
# address: it knows it is the forest root PDC, and a Windows-like client
# (tests/tools/mssntp_client.py, NT hash from the keytab Samba exports) gets
# 68-octet replies signed through ntp_signd while plain NTP is answered at
# the same time; an unknown RID and a disabled account get no answer; with
# Samba killed under load plain answers keep flowing and signing resumes
# once it is back; a daemon user that cannot reach the signd socket gets the
# one diagnostic line with the chgrp that fixes it. A member with
# mssntp = require synchronises from the signed answers and refuses them
# with a bit flipped on the way or the signature stripped. ~2 min.
. "$(dirname "$0")/../lib/common.sh"
need_root
. "$TOP/tests/lib/netns.sh"
. "$TOP/tests/lib/samba.sh"
samba_dc_need
CLIENT=$TOP/tests/tools/mssntp_client.py

netns_init sms
netns_switch
netns_host dc1 10.78.0.1/24
netns_host w1 10.78.0.2/24
netns_host m1 10.78.0.3/24
netns_resolv 10.78.0.1
samba_dc_start dc1 10.78.0.1
D=$SAMBA_D

# Two Windows-like members: WIN1 with its keytab, WIN2 disabled.
samba_computer dc1 WIN1
RID1=$SAMBA_RID
samba_computer dc1 WIN2
RID2=$SAMBA_RID
samba_tool dc1 user disable 'WIN2$' >>"$T_DIR/member.log" 2>&1 || fail "cannot disable WIN2\$"
echo "   WIN1\$ RID $RID1, WIN2\$ (disabled) RID $RID2"

# The DC as a Samba admin leaves it: Samba's krb5.conf in /etc.
netns_etc dc1 /etc/krb5.conf "$D/private/krb5.conf"
write_domtimed_conf dc "samba_conf = $SAMBA_CONF" "listen = 10.78.0.1:123"
netns_bg dc1 "$DOMTIMED" -d -f "$T_DIR/dc.conf" >"$T_DIR/dc.log" 2>&1
wait_for 10 ctl dc counters >/dev/null || { fail "domtimed did not start"; cat "$T_DIR/dc.log"; exit 1; }
role() { status_field dc 'j["role"]'; }
check "a DC from smb.conf alone, before the directory is read ($(role))" \
	grep -Eq '^(dc|root_pdc)$' <<<"$(role)"
is_root_pdc() { test "$(role)" = root_pdc; }
check "the directory read with secrets.keytab: root_pdc" wait_for 30 is_root_pdc
check "... announced as Samba does (always a time server): flags $(status_field dc 'j["announce_flags"]')" \
	test "$(status_field dc 'j["announce_flags"]')" = 9
# A forest root PDC with no ntp_server is no reference unless told so (issue 10).
says_no_external() { status_field dc 'j["reason"]' | grep -q 'no external time source'; }
check "... with no ntp_server, unsynchronised and saying why: $(status_field dc 'j["reason"]')" \
	says_no_external
# Here it is the forest's reference: reliable = yes, taken on reload.
echo "reliable = yes" >>"$T_DIR/dc.conf"
ctl dc reload >/dev/null
reliable_root() { test "$(status_field dc '[j["announce_flags"], j["stratum"]]')" = "[13, 1]"; }
check "... and with reliable = yes the reliable root (flags 0xD, stratum 1)" wait_for 5 reliable_root

client() { netns_exec w1 "$PY" "$CLIENT" --server 10.78.0.1 "$@"; }
win1() { client --rid "$RID1" --keytab "$D/win1.keytab" --principal 'WIN1$' "$@"; }
v() { json "j[\"$1\"]" <<<"$out"; }

out=$(win1 --duration 2 --rate 25 --plain)
echo "   $out" | cut -c1-300
check "50 signed requests: every reply signed with WIN1\$'s NT hash ($(v signed_ok))" \
	test "$(v signed_ok)" = 50
check "no bad MAC, no unsigned reply to a signed request" \
	test "$(v signed_bad_mac)$(v signed_unsigned)" = 00
check "plain NTP answered at the same time ($(v plain_ok)/50)" test "$(v plain_ok)" = 50
# Honest transmit timestamp: a signed answer tells the same time as a plain one.
check "signed and plain answers agree (median offsets $(v signed_median_offset), $(v plain_median_offset))" \
	fcheck "abs($(v signed_median_offset) - $(v plain_median_offset)) < 0.002"
c() { ctl dc counters --json | json "j[\"mssntp\"][\"$1\"]"; }
check "counters: mssntp.signed = $(c signed)" fcheck "$(c signed) >= 50"

out=$(client --rid 999999 --duration 0.2 --rate 5)
check "unknown RID: no answer" test "$(v signed_ok)$(v signed_unsigned)$(v signed_bad_mac)" = 000
check "... counted: unknown_rid = $(c unknown_rid)" fcheck "$(c unknown_rid) >= 1"
out=$(client --rid "$RID2" --duration 0.2 --rate 5)
check "disabled account: no answer" test "$(v signed_ok)$(v signed_unsigned)$(v signed_bad_mac)" = 000
check "... counted: refused = $(c refused)" fcheck "$(c refused) >= 1"
out=$(win1 --duration 0.4 --rate 10)
check "signing goes on after Samba dropped the connection ($(v signed_ok)/4)" \
	test "$(v signed_ok)" = 4
out=$(win1 --duration 0.3 --rate 10 --extended)
check "extended (120-octet) requests: no answer" \
	test "$(v signed_ok)$(v signed_unsigned)$(v signed_bad_mac)" = 000
check "... counted: extended_unsupported = $(c extended_unsupported)" \
	test "$(c extended_unsupported)" = 3
check "... and explained once in the log, naming the client" \
	test "$(grep -c '10.78.0.2:[0-9]* sent an extended .*Samba.*2008 R2' "$T_DIR/dc.log")" = 1

# Samba killed under load: plain answers never stop, signing resumes.
win1 --duration 45 --rate 10 --plain >"$T_DIR/load.json" &
LOAD=$!
sleep 3
samba_dc_stop dc1
down_counted() { fcheck "$(c signd_down) + $(c timed_out) + $(c refused) > 1"; }
check "signd down: signed requests dropped and counted" wait_for 10 down_counted
samba_dc_run dc1
t_up=$SECONDS
connected() { test "$(status_field dc 'j["mssntp_server"]["signd_connected"]')" = true; }
check "reconnected to ntp_signd" wait_for 30 connected
wait "$LOAD"
out=$(cat "$T_DIR/load.json")
rounds=$(json 'len(j["rounds"])' <<<"$out")
check "plain NTP answered all along ($(v plain_ok)/$(v plain_sent))" \
	fcheck "$(v plain_ok) >= 0.98 * $(v plain_sent)"
check "no unsigned answer to a signed request, no bad MAC" \
	test "$(v signed_bad_mac)$(v signed_unsigned)" = 00
resumed=$(json 'sum(r[2] for r in j["rounds"][-50:])' <<<"$out")
check "signing resumed: $resumed of the last 50 signed ($rounds rounds)" test "$resumed" -ge 45
grep -q 'cannot connect to ntp_signd' "$T_DIR/dc.log" &&
	grep -q 'connected to ntp_signd .*signing again' "$T_DIR/dc.log"
check "the log says when signing stopped and when it resumed" test $? = 0

# A member with mssntp = require, its answers passing through a relay that
# can flip a bit or strip the signature (iptables sends them there).
samba_computer dc1 M1
printf '%s\n' '[libdefaults]' ' default_realm = SAMBA.TEST' ' dns_lookup_kdc = false' \
	' rdns = false' '[realms]' ' SAMBA.TEST = {' '  kdc = 10.78.0.1' ' }' >"$T_DIR/krb5.conf"
netns_etc m1 /etc/krb5.conf "$T_DIR/krb5.conf"
echo pass >"$T_DIR/mangle.mode"
netns_exec m1 iptables -t nat -A OUTPUT -p udp -d 10.78.0.1 --dport 123 -m udp ! --sport 12301 \
	-j DNAT --to-destination 10.78.0.3:12300 || fail "cannot install the DNAT rule"
netns_bg m1 "$PY" "$TOP/tests/tools/udp_mangle.py" 10.78.0.3 12300 10.78.0.1 123 12301 \
	"$T_DIR/mangle.mode"
write_domtimed_conf m1 "keytab = $D/m1.keytab" "mssntp = require" "listen = 10.78.0.3:123" \
	"clock_offset = 0.2" "min_poll = -2" "max_poll = -1" "ldap_timeout = 3"
netns_bg m1 "$DOMTIMED" -d -f "$T_DIR/m1.conf" >"$T_DIR/m1.log" 2>&1
wait_for 10 ctl m1 counters >/dev/null || { fail "member domtimed did not start"; cat "$T_DIR/m1.log"; }
dcpeer() { ctl m1 peers --json | json "[p[\"$1\"] for p in j[\"peers\"] if p[\"origin\"] == \"hierarchy\"]"; }
signed_peer() { test "$(dcpeer auth)" = '["mssntp"]'; }
wait_for 30 signed_peer
check "member: its DC answers signed (peers auth $(dcpeer auth))" signed_peer
got=$(time_to_error_below m1 0.01 40)
check "member with mssntp = require synchronised from the signed answers ($got s)" \
	test "$got" != never
mstatus=$(status_field m1 'j["mssntp"]')
check "member: status mssntp $mstatus" fcheck "$(json \
	'int(j["mode"] == "require" and j["key"] == "rc4" and j["verified"] > 0)' <<<"$mstatus") == 1"
mon=$(netns_exec m1 "$DOMTIMECTL" -s "$T_DIR/m1.sock" monitor --json)
check "member: monitor marks its DC as answering signed" grep -q '"auth": "mssntp"' <<<"$mon"
mc() { ctl m1 counters --json | json "j[\"mssntp\"][\"$1\"]"; }
# spoil MODE COUNTER WHAT REASON: the relay spoils answers as MODE says; they
# are counted in COUNTER, refused, and peers gives REASON.
spoil() {
	echo "$1" >"$T_DIR/mangle.mode"
	counted() { fcheck "$(mc "$1") >= 3"; }
	wait_for 20 counted "$2"
	check "member: $3 is refused and counted ($2 = $(mc "$2"))" counted "$2"
	check "... with the reason in peers: $(dcpeer last_error)" \
		grep -q "refused (mssntp = require): MS-SNTP: $4" <<<"$(dcpeer last_error)"
	check "... peers auth none, auth_reason says why" \
		grep -q "\"none\".*$4" <<<"$(dcpeer auth)$(dcpeer auth_reason)"
}
spoil flip bad_mac "a bit flipped on the way" "bad MAC"
spoil strip unsigned "an unsigned answer" "unsigned answer to a signed request"
check "member: its clock was not moved by the refused answers" \
	fcheck "abs($(status_field m1 'j["clock_error"]')) < 0.01"

# A daemon user that cannot reach the socket: one line with the fix.
write_domtimed_conf nobody "samba_conf = $SAMBA_CONF" "listen = 10.78.0.1:1123" "user = nobody"
# Like /var/lib/samba: the way to the directory open, the directory itself not.
chmod 0711 "$T_DIR" "$NETNS_DIR"
netns_bg dc1 "$DOMTIMED" -d -f "$T_DIR/nobody.conf" >"$T_DIR/nobody.log" 2>&1
wait_for 10 ctl nobody counters >/dev/null || { fail "domtimed as nobody did not start"; cat "$T_DIR/nobody.log"; }
grp=$(id -gn nobody)
check "diagnostic: $(grep -o 'MS-SNTP: user nobody.*' "$T_DIR/nobody.log" | head -n 1)" \
	grep -q "MS-SNTP: user nobody (groups .*) cannot reach ntp_signd's socket in $D/ntp_signd (owner root, group root, mode 0750).*chgrp $grp $D/ntp_signd\$" \
	"$T_DIR/nobody.log"
check "... and status says so" \
	grep -q "chgrp $grp" <<<"$(status_field nobody 'j["mssntp_server"]["signd_problem"]')"
nobody_read() { test "$(status_field nobody 'j["role"]')" = root_pdc; }
check "as nobody, the directory is read with secrets.keytab held since start" \
	wait_for 30 nobody_read

ctl dc counters --json | json 'j["mssntp"]' | sed 's/^/   /'
samba_dc_stop dc1
t_done

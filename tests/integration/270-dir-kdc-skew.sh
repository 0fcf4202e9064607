#!/bin/bash
# Clock skew, with the KDC alone 10 minutes ahead (libfaketime in the KDC
# process only; no clock is touched). MIT Kerberos sets its clock by the
# KDC's (kdc_timesync), so the KDC says nothing and the DC (slapd, on the
# real clock) refuses the authenticator: discovery reports the KDC's offset
# it measured and names clock skew (KRB5KRB_AP_ERR_SKEW) as the cause. With
# kdc_timesync = 0 the Kerberos error itself says clock skew.
. "$(dirname "$0")/../lib/common.sh"
. "$TOP/tests/lib/dirprobe.sh"
need_root
need_dirprobe
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
[ -n "$FAKETIME_LIB" ] || skip "libfaketime missing (apt-get install faketime)"

start_world

realms=$(for r in $REALMS; do printf -- '-r %s ' "$r"; done)
kdc_port_open() { bash -c "exec 3<>/dev/tcp/127.0.0.1/$KDC_PORT"; }
kdc_gone() { ! kill -0 "$1" 2>/dev/null || grep -q ' Z ' "/proc/$1/stat"; }
# kdc_restart [FAKETIME]: replace the running KDC by one whose clock is shifted.
kdc_restart() {
	kill "$KDC"
	wait_for 5 kdc_gone "$KDC" || { fail "the KDC did not stop"; exit 1; }
	if [ -n "${1:-}" ]; then
		# shellcheck disable=SC2086
		FAKETIME="$1" LD_PRELOAD="$FAKETIME_LIB" krb5kdc -n $realms \
			</dev/null >>"$T_DIR/krb5kdc.log" 2>&1 &
	else
		# shellcheck disable=SC2086
		krb5kdc -n $realms </dev/null >>"$T_DIR/krb5kdc.log" 2>&1 &
	fi
	KDC=$!
	T_PIDS+=("$KDC")
	wait_for 5 kdc_port_open || { fail "the KDC did not come back"; exit 1; }
}
probe() { dirprobe_as member1 --timeout 3 2>>"$T_DIR/probe.log"; }

KDC=$KDC_PID
kdc_restart +600s
out=$(probe)
offset=$(grep '^result ' <<<"$out" | field kdc_offset)
check "the KDC's offset, as Kerberos measured it, is reported (${offset:-none} s)" \
	fcheck "abs(${offset:-0} - 600) <= 2"
check "the refused bind is put down to clock skew" \
	grep -q "^error: clock skew too great (KRB5KRB_AP_ERR_SKEW) is the likely cause: the KDC's clock is 60[01] s ahead of ours" \
	<<<"$out"

sed 's/^\[libdefaults\]/[libdefaults]\n kdc_timesync = 0/' "$KRB5_CONFIG" >"$T_DIR/krb5.conf"
out=$(KRB5_CONFIG=$T_DIR/krb5.conf probe)
check "kdc_timesync = 0: Kerberos itself says clock skew" \
	grep -q '^error: Kerberos: cannot get initial credentials for MEMBER1\$@FOREST.TEST: clock skew too great' \
	<<<"$out"

kdc_restart
out=$(probe)
check "the KDC back on time: the forest is read, offset 0" \
	grep -q '^result .* errors=0 crossrefs=6 .* kdc_offset=0 ' <<<"$out"
t_done

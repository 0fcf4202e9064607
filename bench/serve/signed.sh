#!/bin/bash
# bench/serve/signed.sh - MS-SNTP signing on a real Samba 4.17 AD DC:
# domtimed against chronyd with ntpsigndsocket, in the same run.
#
# Provisions a Samba AD DC in a network namespace (tests/lib/samba.sh, ~20 s),
# makes a member account WIN1$ and exports its keytab, then runs each server
# on the DC in turn, ROUNDS times alternating, and drives it from a second
# namespace with bench/serve/signed_load.py: WINDOW signed requests in flight
# for DURATION s (every answer checked with WIN1$'s NT hash) while a plain
# request every 10 ms measures the plain-NTP round trip. Prints signed
# answers/s and the plain round trip (median, 99th percentile) per server,
# and the ratios domtimed/chronyd. Figures, never pass/fail: the exit status
# is 0 unless something broke or a server sent a bad or unsigned answer.
#
# Environment: ROUNDS [2]  DURATION [5] s  WINDOW [32]  CHRONYD [chronyd]
set -u
. "$(dirname "$0")/../../tests/lib/common.sh"
need_root
. "$TOP/tests/lib/netns.sh"
. "$TOP/tests/lib/samba.sh"
samba_dc_need
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5}
WINDOW=${WINDOW:-32}
CHRONYD=${CHRONYD:-chronyd}
command -v "$CHRONYD" >/dev/null || skip "no chronyd"
"$CHRONYD" --version | grep -q '+SIGND' || skip "chronyd built without +SIGND"
LOAD=$TOP/bench/serve/signed_load.py

netns_init sbn
netns_switch
netns_host dc1 10.79.0.1/24
netns_host c1 10.79.0.2/24
netns_resolv 10.79.0.1
samba_dc_start dc1 10.79.0.1
D=$SAMBA_D
samba_computer dc1 WIN1
RID=$SAMBA_RID
netns_etc dc1 /etc/krb5.conf "$D/private/krb5.conf"

signs() {
	netns_exec c1 "$PY" "$TOP/tests/tools/mssntp_client.py" --server 10.79.0.1 --rid "$RID" \
		--keytab "$D/win1.keytab" --principal 'WIN1$' --duration 0.2 --rate 10 |
		json 'j["signed_ok"]' | grep -qv '^0$'
}

start_server() {
	case $1 in
	domtimed)
		write_domtimed_conf dc "samba_conf = $SAMBA_CONF" "listen = 10.79.0.1:123"
		netns_bg dc1 "$DOMTIMED" -d -f "$T_DIR/dc.conf" >>"$T_DIR/domtimed.log" 2>&1
		;;
	chronyd)
		printf '%s\n' "port 123" "bindaddress 10.79.0.1" "allow all" "local stratum 1" \
			"ntpsigndsocket $D/ntp_signd" "cmdport 0" "pidfile $T_DIR/chronyd.pid" \
			>"$T_DIR/chronyd.conf"
		rm -f "$T_DIR/chronyd.pid"
		netns_bg dc1 "$CHRONYD" -x -d -u root -f "$T_DIR/chronyd.conf" \
			>>"$T_DIR/chronyd.log" 2>&1
		;;
	esac
	SERVER_PID=$NETNS_LAST_PID
	wait_for 30 signs || { fail "$1 does not sign"; tail -n 20 "$T_DIR/$1.log"; exit 1; }
}

declare -A RESULTS
for ((r = 0; r < ROUNDS; r++)); do
	order="domtimed chronyd"
	[ $((r % 2)) -eq 0 ] || order="chronyd domtimed"
	for s in $order; do
		start_server "$s"
		out=$(netns_exec c1 "$PY" "$LOAD" --server 10.79.0.1 --rid "$RID" \
			--keytab "$D/win1.keytab" --principal 'WIN1$' --duration "$DURATION" \
			--window "$WINDOW")
		echo "   round $r $s: $out"
		[ "$(json '[j["bad_mac"], j["unsigned"]]' <<<"$out")" = "[0, 0]" ] ||
			fail "$s sent a bad or unsigned answer"
		RESULTS[$s]="${RESULTS[$s]:-} $out"
		stop_pid "$SERVER_PID"
	done
done

summary() {
	"$PY" - "$@" <<'PY'
import json, statistics, sys
res = {}
for arg in sys.argv[1:]:
    name, blob = arg.split("=", 1)
    runs = [json.loads(x) for x in blob.replace("} {", "}\n{").split("\n") if x.strip()]
    res[name] = {k: statistics.median(r[k] for r in runs)
                 for k in ("signed_per_s", "plain_rtt_median_us", "plain_rtt_p99_us")}
for name, v in res.items():
    print("   %-9s signed %8.0f/s   plain RTT while signing: median %7.1f us, p99 %8.1f us"
          % (name, v["signed_per_s"], v["plain_rtt_median_us"], v["plain_rtt_p99_us"]))
d, c = res["domtimed"], res["chronyd"]
print("   ratio domtimed/chronyd: signed/s %.2f, plain RTT median %.2f, p99 %.2f"
      % (d["signed_per_s"] / c["signed_per_s"], d["plain_rtt_median_us"] / c["plain_rtt_median_us"],
         d["plain_rtt_p99_us"] / c["plain_rtt_p99_us"]))
PY
}
summary "domtimed=${RESULTS[domtimed]}" "chronyd=${RESULTS[chronyd]}"
samba_dc_stop dc1
t_done

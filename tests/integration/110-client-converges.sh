#!/bin/bash
# A virtual clock 2 s behind and 100 ppm fast, following a chronyd -x server
# on loopback polled every 1/16 s: within 1 ms in 30 s, within 100 us in
# 120 s, one step at most, and the frequency error found to within 1 ppm.
. "$(dirname "$0")/../lib/common.sh"

start_chronyd ref "local stratum 1"
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = -2" \
	"clock_freq_ppm = 100" "min_poll = -4" "ntp_server = 127.0.0.1:$PORT_ref"
start_domtimed cli

t1ms=$(time_to_error_below cli 0.001 30)
check "clock error below 1 ms after $t1ms s (limit 30 s)" test "$t1ms" != never
t100=$(time_to_error_below cli 0.0001 120)
check "clock error below 100 us after $t100 s (limit 120 s)" test "$t100" != never
# The correction must cancel the +100 ppm error: -100 ppm, and stay there.
# tf: when it entered the 1 ppm band for good (10 s in a row), within 300 s.
start=$SECONDS tf=never streak=
while [ $((SECONDS - start)) -lt 300 ]; do
	if fcheck "abs($(status_field cli 'j["frequency_ppm"]') + 100) < 1"; then
		streak=${streak:-$((SECONDS - start))}
		[ $((SECONDS - start - streak)) -ge 10 ] && { tf=$streak; break; }
	else
		streak=
	fi
	sleep 0.2
done
st=$(ctl cli status --json)
freq=$(json 'j["frequency_ppm"]' <<<"$st")
check "frequency correction within 1 ppm of -100 for good after $tf s ($freq ppm)" \
	test "$tf" != never
steps=$(json 'j["steps"]' <<<"$st")
check "at most one step ($steps)" test "$steps" -le 1
check "status names the source and says synchronised" \
	test "$(json '[j["state"], j["source"], j["stratum"], j["leap"]]' <<<"$st")" = \
	'["synchronised", "127.0.0.1", 2, 0]'
peers=$(ctl cli peers --json)
check "peers shows the source selected, reached, with offset/delay/jitter" \
	test "$(json '[(p["address"], p["port"], p["state"], p["stratum"], p["reach"] > 0,
		all(isinstance(p[k], float) for k in ("offset", "delay", "jitter")))
		for p in j["peers"]]' <<<"$peers")" = "[[\"127.0.0.1:$PORT_ref\", $PORT_ref, \"selected\", 1, true, true]]"
check "source prints the source" test "$(ctl cli source)" = 127.0.0.1
# Our answers now carry our stratum and the upstream's address as refid.
out=$("$DOMTIMECTL" stripchart "127.0.0.1:$(sed -n 's/^listen = 127.0.0.1://p' "$T_DIR/cli.conf")" \
	--samples 1 --json)
check "we serve stratum 2 with refid 127.0.0.1" \
	test "$(json '[j["samples"][0]["stratum"], j["samples"][0]["refid"]]' <<<"$out")" = '[2, "127.0.0.1"]'
echo "   measured: 1 ms after $t1ms s, 100 us after $t100 s, steps $steps, frequency $freq ppm" \
	"(within 1 ppm after ${tf} s), error now $(status_field cli 'j["clock_error"]') s"
t_done

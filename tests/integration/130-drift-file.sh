#!/bin/bash
# The drift file: written atomically at exit, read at start; a restart with
# it converges faster than the first start without it.
. "$(dirname "$0")/../lib/common.sh"

start_chronyd ref "local stratum 1"
# Polled every 4 s, a 200 ppm error costs 800 us per poll until it is found:
# the drift file should spare most of that.
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = 0" \
	"clock_freq_ppm = 200" "min_poll = 2" "max_poll = 2" "ntp_server = 127.0.0.1:$PORT_ref"
# The largest |clock_error| seen over the first SECONDS seconds.
worst_error() {
	local worst=0 e end=$((SECONDS + $1))
	while [ "$SECONDS" -lt "$end" ]; do
		e=$(status_field cli 'abs(j["clock_error"])')
		worst=$("$PY" -c "print(max($worst, $e))")
		sleep 0.2
	done
	echo "$worst"
}
start_domtimed cli
w_cold=$(worst_error 24)
freq=$(status_field cli 'j["frequency_ppm"]')
kill "$PID_cli"
wait "$PID_cli"
check "the drift file was written at exit" test -s "$T_DIR/cli.drift"
check "it holds the frequency correction ($(cat "$T_DIR/cli.drift") ppm vs $freq)" \
	fcheck "abs($(cat "$T_DIR/cli.drift") - ($freq)) < 0.01"
check "no temporary file is left behind" test ! -e "$T_DIR/cli.drift.tmp"
start_domtimed cli
w_warm=$(worst_error 24)
check "the log names the drift file read" grep -q "drift file $T_DIR/cli.drift" "$T_DIR/cli.log"
check "restart with the drift file stays closer: worst $w_warm s vs $w_cold s without" \
	fcheck "$w_warm < $w_cold / 4"
echo "   measured: worst error in the first 24 s: $w_cold s without the drift file," \
	"$w_warm s with it"

# A drift file with garbage is ignored with a warning, not trusted.
kill "$PID_cli"
wait "$PID_cli"
echo "not a number" >"$T_DIR/cli.drift"
start_domtimed cli
check "a corrupt drift file is reported and ignored" \
	grep -q "ignoring drift file .*not a frequency" "$T_DIR/cli.log"
t_done

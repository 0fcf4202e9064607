#!/bin/bash
# domtimectl waitsync, as chronyc waitsync: exit 0 once the clock is
# synchronised (and within --max-error), 3 after --timeout; what
# domtimed-wait-sync.service orders time-sync.target by.
. "$(dirname "$0")/../lib/common.sh"

# --- no source: it times out, on time, and says why ----------------------------------
write_domtimed_conf alone "listen = 127.0.0.1:$(free_udp_port)"
start_domtimed alone
start=$EPOCHREALTIME
out=$(ctl alone waitsync --timeout 1.5 --interval 0.2 2>&1)
rc=$?
took=$("$PY" -c "print('%.1f' % ($EPOCHREALTIME - $start))")
check "unsynchronised: exit 3 after the timeout (rc $rc, $took s)" \
	bash -c "test $rc -eq 3 && $PY -c 'import sys; sys.exit(not 1.4 <= $took < 4)'"
check "and it says why: $out" grep -q "not synchronised after 1.5 s: no time source" <<<"$out"
out=$(ctl alone waitsync --timeout 0.5 --json)
check "--json too: $(tr -d '\n ' <<<"$out")" bash -c \
	"$PY -c 'import json,sys; j=json.loads(sys.argv[1]); assert j[\"synchronized\"] is False and j[\"version\"] == 1' '$out'"

# --- a daemon that is not running: a timeout, not a hang ------------------------------------
start=$SECONDS
"$DOMTIMECTL" -s "$T_DIR/none.sock" waitsync --timeout 1 --interval 0.2 >/dev/null 2>&1
rc=$?
check "no daemon: exit 3 after the timeout (rc $rc)" test "$rc" -eq 3 -a $((SECONDS - start)) -lt 5

# --- a source: it returns 0 once synchronised, not before ------------------------------------
start_chronyd ref "local stratum 1"
write_domtimed_conf cli "listen = 127.0.0.1:$(free_udp_port)" "clock_offset = -0.5" \
	"min_poll = -4" "max_poll = -4" "ntp_server = 127.0.0.1:$PORT_ref"
notify_listener cli
start_domtimed cli env NOTIFY_SOCKET="$T_DIR/cli.notify"
ctl cli waitsync --timeout 30 --interval 0.1 >/dev/null
rc=$?
check "waitsync returns 0 once synchronised (rc $rc)" test "$rc" -eq 0
check "and then status says synchronised (exit 0)" ctl cli status
told() { grep -q '^STATUS=standalone; source 127.0.0.1; offset [-+][0-9.]* s$' "$T_DIR/cli.notified"; }
check "systemd's STATUS= line names the role, source and offset: $(wait_for 3 told; grep STATUS= "$T_DIR/cli.notified" | tail -n 1)" told
check "and READY=1 came first" test "$(head -n 1 "$T_DIR/cli.notified")" = READY=1
check "an error bound far too tight is never met: exit 3" \
	bash -c "'$DOMTIMECTL' -s '$T_DIR/cli.sock' waitsync --timeout 1 --max-error 1e-12 >/dev/null 2>&1; test \$? -eq 3"
err=$(status_field cli 'j["root_dispersion"] + j["root_delay"] / 2 + abs(j["offset"])')
check "a loose bound is met at once (bound now $err s)" ctl cli waitsync --timeout 5 --max-error 1
check "bad arguments are a usage error (exit 2)" \
	bash -c "'$DOMTIMECTL' -s '$T_DIR/cli.sock' waitsync --timeout soon 2>/dev/null; test \$? -eq 2"
check "domtimed-wait-sync.service runs waitsync, before time-sync.target" bash -c \
	"grep -q '^ExecStart=@BINDIR@/domtimectl waitsync' '$TOP/systemd/domtimed-wait-sync.service.in' &&
	 grep -q '^Before=time-sync.target' '$TOP/systemd/domtimed-wait-sync.service.in'"
if command -v systemd-analyze >/dev/null; then
	# With the main unit beside it (installed paths pointed at the build).
	mkdir "$T_DIR/units"
	sed "s|@BINDIR@|$BUILD|" "$TOP/systemd/domtimed-wait-sync.service.in" \
		>"$T_DIR/units/domtimed-wait-sync.service"
	main=$TOP/systemd/domtimed.service.in
	[ -e "$main" ] || main=$TOP/systemd/domtimed.service
	sed -E -e "s|@[A-Z]+@|$BUILD|g" -e "s|/usr/sbin/domtimed|$BUILD/domtimed|g" "$main" \
		>"$T_DIR/units/domtimed.service"
	check "systemd-analyze verify accepts domtimed-wait-sync.service" bash -c \
		"cd '$T_DIR/units' && systemd-analyze verify --man=no ./domtimed-wait-sync.service ./domtimed.service"
fi
t_done

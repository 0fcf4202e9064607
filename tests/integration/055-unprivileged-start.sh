#!/bin/bash
# Least privilege and a start that does not depend on secrets:
# - the daemon drops root before it starts any thread, so the directory
#   worker runs as the user with no capability either (capabilities are per
#   thread: a worker started before the drop would keep all of root's);
# - on a host configured for a domain whose keytab is missing, the daemon
#   does not exit: discovery is unavailable (and says why), NTP keeps
#   serving, and the manual list is followed meanwhile.
. "$(dirname "$0")/../lib/common.sh"
need_root

# --- every thread unprivileged -------------------------------------------------------
# Anonymous bind: no keys needed, so the worker starts; DNS goes to a port
# nobody answers, and discovery just keeps failing and retrying.
write_domtimed_conf dom "listen = 127.0.0.1:$(free_udp_port)" "user = nobody" \
	"domain = example.test" "ldap_bind = anonymous" "dns_server = 127.0.0.1:$(free_udp_port)" \
	"ldap_timeout = 1"
start_domtimed dom
check "the directory worker runs" wait_for 5 test "$(ls "/proc/$PID_dom/task" | wc -l)" -ge 2
for task in /proc/"$PID_dom"/task/*; do
	comm=$(cat "$task/comm")
	uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "$task/status")
	caps=$(awk '/^Cap(Prm|Eff):/ {printf "%s", $2}' "$task/status")
	nobody=$(id -u nobody)
	check "thread $comm runs as nobody ($uid)" test "$uid" = "$nobody$nobody$nobody$nobody"
	check "thread $comm holds no capability ($caps)" test "$caps" = 00000000000000000000000000000000
done

# --- a domain configured, no keytab --------------------------------------------------------
port_up=$(free_udp_port)
write_domtimed_conf up "listen = 127.0.0.1:$port_up" "reliable = yes"
start_domtimed up
write_domtimed_conf nokeys "listen = 127.0.0.1:$(free_udp_port)" "domain = example.test" \
	"keytab = $T_DIR/missing.keytab" "ntp_server = 127.0.0.1:$port_up" \
	"min_poll = -2" "max_poll = -2"
start_domtimed nokeys
unavailable=$(ctl nokeys hierarchy --json | json 'j["discovery"]["unavailable"]')
check "a missing keytab does not stop the daemon" alive "$PID_nokeys"
check "discovery says why it cannot run ($unavailable)" grep -q "missing.keytab" <<<"$unavailable"
check "the log says it too" grep -q "directory discovery cannot run" "$T_DIR/nokeys.log"
check "meanwhile the manual list is followed" \
	bash -c "'$DOMTIMECTL' -s '$T_DIR/nokeys.sock' peers --json | grep -q '\"port\": *$port_up'"
check "and the clock synchronises to it" wait_for 20 bash -c \
	"[ \"\$('$DOMTIMECTL' -s '$T_DIR/nokeys.sock' status --json | '$PY' -c 'import json,sys; print(json.load(sys.stdin)[\"synchronized\"])')\" = True ]"
out=$(ctl nokeys rediscover 2>&1)
check "rediscover is refused with the reason ($out)" grep -q "cannot run: .*missing.keytab" <<<"$out"
check "and the daemon is still alive" alive "$PID_nokeys"
t_done

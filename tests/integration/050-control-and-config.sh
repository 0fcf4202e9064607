#!/bin/bash
# The control socket (versioned protocol, peer credentials, bad requests) and
# the configuration front end (-t, errors with file and line, reload).
. "$(dirname "$0")/../lib/common.sh"

# --- configuration checks ---------------------------------------------------
check "--version prints the version" bash -c "'$DOMTIMED' --version | grep -q '^domtimed [0-9]'"
check "--help documents -t" bash -c "'$DOMTIMED' --help | grep -q -- '-t, --test'"
cat >"$T_DIR/bad.conf" <<'CONF'
listen = 127.0.0.1:99999
reliable = sometimes
nonsense = 1
CONF
out=$("$DOMTIMED" -t -f "$T_DIR/bad.conf" 2>&1)
rc=$?
check "-t on a bad file exits non-zero" test "$rc" -ne 0
check "every error is named with file and line" bash -c \
	"grep -q 'bad.conf:1: key .listen.' <<<\"\$0\" && grep -q 'bad.conf:2: key .reliable.' <<<\"\$0\" &&
	 grep -q \"bad.conf:3: unknown key 'nonsense'\" <<<\"\$0\"" "$out"

port=$(free_udp_port)
# 0666: the credential checks below need a socket every user can reach.
write_domtimed_conf srv "listen = 127.0.0.1:$port" "reliable = yes" "control_socket_mode = 0666"
check "-t prints the effective configuration" \
	bash -c "'$DOMTIMED' -t -f '$T_DIR/srv.conf' | grep -qx 'listen = 127.0.0.1:$port'"
start_domtimed srv

# --- the protocol ------------------------------------------------------------
out=$(ctl srv frobnicate 2>&1)
check "domtimectl refuses an unknown command" grep -q "unknown command" <<<"$out"

raw() { # send one raw frame body ($1) or raw bytes (-b) and print the reply
	"$PY" - "$T_DIR/srv.sock" "$@" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
if sys.argv[2] == "-b":
    s.sendall(bytes.fromhex(sys.argv[3]))
else:
    body = sys.argv[2].encode()
    s.sendall(struct.pack(">I", len(body)) + body)
s.settimeout(5)
data = b""
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except socket.timeout:
    pass
print(data[4:].decode(errors="replace"))
PY
}
check "the daemon answers an unknown command with an error" \
	bash -c "grep -q '\"ok\":false.*unknown command' <<<'$(raw '{"version":1,"command":"nope"}')'"
check "a newer protocol version is refused by name" \
	bash -c "grep -q 'version 9 not supported' <<<'$(raw '{"version":9,"command":"status"}')'"
check "garbage is refused" bash -c "grep -q 'not JSON' <<<'$(raw 'garbage{')'"
check "an absurd length is refused" bash -c "grep -q 'too large' <<<'$(raw -b ffffffff)'"
check "the daemon still answers after all that" ctl srv status
rejected=$(ctl srv counters --json | json 'j["control"]["rejected"]')
check "rejected requests are counted ($rejected)" test "$rejected" -ge 4

# --- credentials -------------------------------------------------------------
chmod 755 "$T_DIR"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
check "an unprivileged user may read status" as_nobody "$DOMTIMECTL" -s "$T_DIR/srv.sock" status
out=$(as_nobody "$DOMTIMECTL" -s "$T_DIR/srv.sock" reload 2>&1)
check "an unprivileged user may not reload ($out)" grep -q "root only" <<<"$out"

# --- reload ------------------------------------------------------------------
sed -i 's/^reliable = yes/reliable = no/' "$T_DIR/srv.conf"
check "root may reload" ctl srv reload
check "the reload took effect (no longer serving as reliable)" \
	test "$(ctl srv status --json | json 'j["synchronized"]')" = false
echo "reliable = maybe" >>"$T_DIR/srv.conf"
out=$(ctl srv reload 2>&1)
check "a broken file is refused on reload and says where" grep -q "srv.conf:.*reliable" <<<"$out"
sed -i '$d' "$T_DIR/srv.conf"
sed -i 's/^reliable = no/reliable = yes/' "$T_DIR/srv.conf"
kill -HUP "$PID_srv"
check "SIGHUP reloads too" wait_for 5 bash -c \
	"[ \"\$('$DOMTIMECTL' -s '$T_DIR/srv.sock' status --json | '$PY' -c 'import json,sys; print(json.load(sys.stdin)[\"synchronized\"])')\" = True ]"
check "the daemon is still alive" alive "$PID_srv"

# type on reload: applied, except a change to a type that reads the directory
# when the daemon started without it (the keytab is read only at start).
write_domtimed_conf typ "listen = 127.0.0.1:$(free_udp_port)" "reliable = yes" "type = ntp" \
	"domain = example.test" "keytab = $T_DIR/none.keytab"
start_domtimed typ
typ() { ctl typ status --json | json 'j["type"]'; }
sed -i 's/^type = ntp/type = nt5ds/' "$T_DIR/typ.conf"
out=$(ctl typ reload 2>&1)
check "type ntp -> nt5ds is refused on reload, saying why ($out)" grep -q "restart" <<<"$out"
check "and the running type stays ($(typ))" test "$(typ)" = ntp
sed -i 's/^type = nt5ds/type = nosync/' "$T_DIR/typ.conf"
check "type ntp -> nosync is applied on reload" ctl typ reload
check "status says nosync ($(typ))" test "$(typ)" = nosync

# Privileges: with user set, the daemon runs as that user; with the virtual
# clock it keeps no capability at all.
write_domtimed_conf drop "listen = 127.0.0.1:$(free_udp_port)" "reliable = yes" "user = nobody"
start_domtimed drop
uid=$(awk '/^Uid:/ {print $2}' "/proc/$PID_drop/status")
caps=$(awk '/^CapEff:/ {print $2}' "/proc/$PID_drop/status")
check "user = nobody: runs as uid $uid (nobody is $(id -u nobody))" test "$uid" = "$(id -u nobody)"
check "and with no effective capability ($caps)" test "$caps" = 0000000000000000
check "and still serves" ctl drop status
t_done

# relay.sh - a UDP relay that tampers with answers (sourced after common.sh).

# tamper_relay ADDR PORT UPSTREAM_PORT MODE_FILE OFFSET: relay datagrams sent to
# ADDR:PORT to 127.0.0.1:UPSTREAM_PORT and the answers back; while MODE_FILE
# says "flip", flip the low bit of the answer's octet OFFSET (negative: from
# the end), as an attacker on the path would. Stopped at exit.
tamper_relay() {
	"$PY" - "$@" <<'PY' &
import socket, sys
addr, port, up, mode_file, offset = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(1)
while True:
    data, client = s.recvfrom(2048)
    u.sendto(data, ("127.0.0.1", up))
    try:
        reply = bytearray(u.recv(2048))
    except socket.timeout:
        continue
    if open(mode_file).read().strip() == "flip":
        reply[offset] ^= 0x01
    s.sendto(bytes(reply), client)
PY
	T_PIDS+=("$!")
}

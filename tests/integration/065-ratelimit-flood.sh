#!/bin/bash
# Rate limiting as a shield, in a private network: while a flood comes from
# 40,000 IPv4 addresses (more than the 32,768 records of the client table),
# from 2,500 addresses of one IPv6 /64, and from one IPv4 client far over
# its limit, the server
#   - sends the limited IPv4 client and the /64 under 0.3 bytes per byte
#     they send (measured by iptables on the server's host),
#   - keeps its memory flat (VmRSS before and after, client table bytes),
#   - and still answers every poll of a well-behaved client on another host.
# Hosts: srv 10.65.0.1 (domtimed), fl 10.65.0.2 (the flood: 10.66.0.0/15 and
# fd65:0:0:1::/64 are local to it, routed to it from srv), good 10.65.0.3.
. "$(dirname "$0")/../lib/common.sh"
need_root
. "$TOP/tests/lib/netns.sh"
"$PY" -c 'import ntplib' 2>/dev/null || skip "python3-ntplib not installed"

netns_init rlflood || skip "cannot create network namespaces"
netns_switch
netns_host srv 10.65.0.1/24 fd65::1/64
netns_host fl 10.65.0.2/24 fd65::2/64
netns_host good 10.65.0.3/24
srv_ns=$(netns_ns srv)
fl_ns=$(netns_ns fl)
ip -n "$fl_ns" route add local 10.66.0.0/15 dev lo
ip -n "$fl_ns" -6 route add local fd65:0:0:1::/64 dev lo
ip -n "$srv_ns" route add 10.66.0.0/15 via 10.65.0.2
ip -n "$srv_ns" -6 route add fd65:0:0:1::/64 via fd65::2

# Byte counters on the server's host: what the limited senders send, what they get.
count_rule() { # IPT CHAIN MATCH... : a rule that only counts, tagged with its comment
	local ipt=$1 chain=$2
	shift 2
	ip netns exec "$srv_ns" "$ipt" -w -A "$chain" -p udp "$@"
}
count_rule iptables INPUT -s 10.65.0.2 --dport 123 -m comment --comment lim4-in
count_rule iptables OUTPUT -d 10.65.0.2 --sport 123 -m comment --comment lim4-out
count_rule ip6tables INPUT -s fd65:0:0:1::/64 --dport 123 -m comment --comment lim6-in
count_rule ip6tables OUTPUT -d fd65:0:0:1::/64 --sport 123 -m comment --comment lim6-out
bytes() { # IPT CHAIN COMMENT
	ip netns exec "$srv_ns" "$1" -w -nvx -L "$2" | awk -v c="/* $3 */" 'index($0, c) {print $2}'
}

write_domtimed_conf srv "listen = 0.0.0.0:123 [::]:123" "reliable = yes" \
	"ratelimit = yes" "ratelimit_interval = 1" "ratelimit_burst = 4" \
	"client_table_size = 32768"
start_domtimed srv ip netns exec "$srv_ns"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$PID_srv/status"; }

# The well-behaved client: POLLS polls 2 s apart (the limit is one per 2 s), with ntplib.
good_poll() {
	netns_exec good "$PY" - "$@" <<'PY'
import ntplib, sys, time
polls, answered = int(sys.argv[1]), 0
c = ntplib.NTPClient()
for i in range(polls):
    t = time.monotonic()
    try:
        r = c.request("10.65.0.1", version=4, timeout=1)
        answered += r.stratum == 1 and r.leap == 0
    except ntplib.NTPException:
        pass
    time.sleep(max(0.0, 2.0 - (time.monotonic() - t)))
print(answered)
PY
}
check "the well-behaved client is answered before the flood" test "$(good_poll 1)" = 1
rss0=$(rss)
mem0=$(ctl srv counters --json | json 'j["ntp"]["client_table_bytes"]')

good_poll 4 >"$T_DIR/good.out" 2>&1 &
good_pid=$!
T_PIDS+=("$good_pid")

# The flood: interleaved, paced to about 6,000 datagrams/s, 45,000 in all.
netns_exec fl "$PY" - >"$T_DIR/flood.out" 2>&1 <<'PY'
import socket, struct, time
req = struct.pack(">B", 4 << 3 | 3) + b"\0" * 47
v4 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
# IPv6 takes a source from a local route only with freebind (IPV6_FREEBIND, <linux/in6.h>).
v6.setsockopt(socket.IPPROTO_IPV6, getattr(socket, "IPV6_FREEBIND", 78), 1)
lim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lim.bind(("10.65.0.2", 0))
for s in (v4, v6, lim):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
srv4, srv6 = ("10.65.0.1", 123), ("fd65::1", 123)
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)  # <linux/in.h>; Python does not export it
sent = {"many": 0, "lim4": 0, "lim6": 0}

def from4(addr):  # send from ADDR, one of the flood host's local 10.66.0.0/15
    info = struct.pack("=I4s4s", 0, socket.inet_aton(addr), b"\0" * 4)
    v4.sendmsg([req], [(socket.IPPROTO_IP, IP_PKTINFO, info)], 0, srv4)

def from6(addr):
    info = struct.pack("=16sI", socket.inet_pton(socket.AF_INET6, addr), 0)
    v6.sendmsg([req], [(socket.IPPROTO_IPV6, socket.IPV6_PKTINFO, info)], 0, srv6)

start = time.monotonic()
for i in range(40000):
    from4("10.%d.%d.%d" % (66 + (i >> 16), (i >> 8) & 255, i & 255))
    sent["many"] += 1
    if i % 16 == 0:
        lim.sendto(req, srv4)
        sent["lim4"] += 1
    if i % 16 == 8:
        from6("fd65:0:0:1::%x:%x" % (i >> 16, i & 0xffff))
        sent["lim6"] += 1
    if i % 32 == 31:  # small steps: a burst would overflow the socket, not the limiter
        ahead = start + (i + 1) / 5000.0 - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
print(" ".join("%s=%d" % kv for kv in sent.items()), "seconds=%.1f" % (time.monotonic() - start))
PY
flood_rc=$?
check "the flood ran ($(cat "$T_DIR/flood.out"))" test "$flood_rc" = 0
wait "$good_pid"
answered=$(cat "$T_DIR/good.out")

c=$(ctl srv counters --json)
rss1=$(rss)
mem1=$(json 'j["ntp"]["client_table_bytes"]' <<<"$c")
# Requests the server's socket could not take would look like shedding: there must be few.
rcvbuf=$(ip netns exec "$srv_ns" awk '$1 == "Udp:" && $2 ~ /^[0-9]/ {n += $6}
	$1 == "Udp6RcvbufErrors" {n += $2} END {print n + 0}' /proc/net/snmp /proc/net/snmp6)
in4=$(bytes iptables INPUT lim4-in) out4=$(bytes iptables OUTPUT lim4-out)
in6=$(bytes ip6tables INPUT lim6-in) out6=$(bytes ip6tables OUTPUT lim6-out)
r4=$("$PY" -c "print('%.3f' % ($out4 / max($in4, 1)))")
r6=$("$PY" -c "print('%.3f' % ($out6 / max($in6, 1)))")

check "the server took the flood itself (received $(json 'j["ntp"]["received"]' <<<"$c"), \
socket overflows $rcvbuf)" fcheck "$(json 'j["ntp"]["received"]' <<<"$c") >= 44000 and $rcvbuf < 500"
check "the limited IPv4 client gets $r4 bytes per byte it sends ($out4 / $in4; below 0.3)" \
	fcheck "$in4 > 0 and $r4 < 0.3"
check "2,500 addresses of one /64 are one client: $r6 bytes per byte ($out6 / $in6; below 0.3)" \
	fcheck "$in6 > 0 and $r6 < 0.3"
dropped=$(json 'j["ntp"]["dropped"]["rate_limited"]' <<<"$c")
kod=$(json 'j["ntp"]["kod_rate"]' <<<"$c")
check "limited requests were mostly dropped ($dropped dropped, $kod KoD RATE)" \
	fcheck "$kod > 0 and $dropped > 2 * $kod"
check "the well-behaved client was answered $answered times in 4 polls during the flood" \
	test "$answered" = 4
check "client table memory fixed ($mem0 -> $mem1 bytes)" test "$mem0" = "$mem1"
check "RSS flat: $rss0 -> $rss1 kB (growth below 512 kB; the table is $((mem0 / 1024)) kB)" \
	test "$((rss1 - rss0))" -lt 512
t_done

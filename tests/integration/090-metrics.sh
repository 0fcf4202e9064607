#!/bin/bash
# Metrics: domtimectl metrics and the HTTP endpoint (metrics_listen) give
# the same OpenMetrics text, which promtool accepts, and a real Prometheus
# scrapes it (OpenMetrics negotiated) and answers a query over it.
. "$(dirname "$0")/../lib/common.sh"
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
	skip "promtool/prometheus not installed (Debian package prometheus: scripts/deps.sh)"

start_chronyd ref "local stratum 1"
ntp=$(free_udp_port)
http=$(free_tcp_port)
write_domtimed_conf dt "listen = 127.0.0.1:$ntp" "metrics_listen = 127.0.0.1:$http" \
	"min_poll = -4" "max_poll = -4" "ntp_server = 127.0.0.1:$PORT_ref"
start_domtimed dt
ctl dt waitsync --timeout 30 --interval 0.1 >/dev/null || fail "domtimed did not synchronise"
ntpdate -q -p 1 -t 1 -o 4 127.0.0.1 -P "$ntp" >/dev/null 2>&1 ||
	"$PY" -c "import ntplib; ntplib.NTPClient().request('127.0.0.1', port=$ntp, version=4, timeout=2)"

ctl dt metrics >"$T_DIR/ctl.txt"
check "domtimectl metrics exits 0" test -s "$T_DIR/ctl.txt"
check "promtool check metrics passes on domtimectl metrics" promtool check metrics <"$T_DIR/ctl.txt"
check "the text ends in # EOF (OpenMetrics)" test "$(tail -n 1 "$T_DIR/ctl.txt")" = "# EOF"
metric() { sed -n "s/^$1 //p" "$T_DIR/ctl.txt"; }
check "W32Time counters are there: requests $(metric domtimed_ntp_requests_total), responses $(metric domtimed_ntp_responses_total)" \
	bash -c "test '$(metric domtimed_ntp_requests_total)' -ge 1 && test '$(metric domtimed_ntp_responses_total)' -ge 1"
check "synchronised, source count 1, a delay and an offset" test \
	"$(metric domtimed_synchronized) $(metric domtimed_sources) $(metric domtimed_round_trip_delay_seconds | grep -c '^[0-9.e-]*$') $(metric domtimed_computed_time_offset_seconds | grep -c '^[-0-9.e]*$')" = "1 1 1 1"
check "RSS is counted ($(metric process_resident_memory_bytes) bytes)" \
	fcheck "$(metric process_resident_memory_bytes) > 1e5"

curl -sf "http://127.0.0.1:$http/metrics" >"$T_DIR/http.txt"
check "the HTTP endpoint serves it" test -s "$T_DIR/http.txt"
check "promtool check metrics passes on the HTTP endpoint" promtool check metrics <"$T_DIR/http.txt"
check "same families over HTTP as from domtimectl" \
	diff <(grep '^# TYPE' "$T_DIR/ctl.txt") <(grep '^# TYPE' "$T_DIR/http.txt")
ct=$(curl -sf -o /dev/null -w '%{content_type}' -H 'Accept: application/openmetrics-text; version=1.0.0' \
	"http://127.0.0.1:$http/metrics")
check "OpenMetrics when asked for it ($ct)" grep -q '^application/openmetrics-text' <<<"$ct"
check "anything but /metrics is 404" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http/")" = 404
check "POST is refused" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$http/metrics")" -ge 400

# A real Prometheus, on loopback, scraping every 200 ms.
prom=$(free_tcp_port)
mkdir "$T_DIR/prom"
cat >"$T_DIR/prom.yml" <<YML
global:
  scrape_interval: 200ms
  scrape_timeout: 100ms
scrape_configs:
  - job_name: domtimed
    static_configs:
      - targets: ["127.0.0.1:$http"]
YML
prometheus --config.file="$T_DIR/prom.yml" --storage.tsdb.path="$T_DIR/prom" \
	--web.listen-address="127.0.0.1:$prom" >"$T_DIR/prometheus.log" 2>&1 &
T_PIDS+=("$!")
query() { curl -sf "http://127.0.0.1:$prom/api/v1/query" --data-urlencode "query=$1"; }
scraped() { query 'domtimed_synchronized{job="domtimed"}' | grep -q '"value":\[[0-9.]*,"1"\]'; }
check "Prometheus scrapes domtimed and answers a query (domtimed_synchronized 1)" wait_for 30 scraped
health=$(curl -sf "http://127.0.0.1:$prom/api/v1/targets" | json 'j["data"]["activeTargets"][0]["health"]')
check "the target is up with no scrape error ($health)" test "$health" = up
check "the request counter can be queried" bash -c \
	"curl -sf 'http://127.0.0.1:$prom/api/v1/query' --data-urlencode 'query=domtimed_ntp_requests_total' | grep -q '\"status\":\"success\"'"
check "NTP kept answering during the scrapes" \
	"$PY" -c "import ntplib; ntplib.NTPClient().request('127.0.0.1', port=$ntp, version=4, timeout=2)"
t_done

/*
 * metrics.c - the metrics text and the HTTP endpoint that serves it.
 *
 * One text passes both parsers Prometheus has: OpenMetrics 1.0 (what a
 * scrape asks for) and the older text format that promtool lints. So the
 * metadata of a counter names its sample (domtimed_x_total), which both
 * accept, and the text ends in "# EOF", a comment to the older parser.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/ts.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "../ntp/nts.h"
#include "directory.h"
#include "dmn_private.h"
#include "metrics.h"

/* A scrape that has not sent its request in this time is dropped. */
#define HTTP_TIMEOUT_S 5
/* A GET needs no more than this of headers, and no body. */
#define HTTP_MAX_HEADERS 8192

struct metrics_http {
	struct evhttp *http;
	const struct dmn *d;
};

/* ---- the text ------------------------------------------------------------------ */

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

static void
value(FILE *f, double v)
{
	if (isnan(v))
		fputs(" NaN\n", f);
	else
		fprintf(f, " %.9g\n", v);
}

static void
gauge(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fputs(name, f);
	value(f, v);
}

static void
counter(FILE *f, const char *name, const char *help, unsigned long long v)
{
	family(f, name, "counter", help);
	fprintf(f, "%s %llu\n", name, v);
}

/* The last delay measured to the source the clock follows (W32Time "NTP Roundtrip Delay"). */
static double
system_peer_delay(const struct ntp_client *c, size_t *ret_answering)
{
	double delay = NAN;

	*ret_answering = 0;
	for (size_t i = 0; i < ntp_client_n_sources(c); i++) {
		struct ntp_source_report r;

		ntp_client_source_report(c, i, &r);
		*ret_answering += strcmp(r.state, "ok") == 0;
		if (strcmp(r.state, "ok") == 0 && strcmp(r.verdict, "selected") == 0)
			delay = r.delay;
	}
	return delay;
}

/* W32Time's performance counters, under Prometheus names. */
static void
render_w32time(FILE *f, const struct dmn *d, const struct ntp_client_status *cs)
{
	const struct ntp_srv_counters *c = ntp_srv_counters(d->srv);
	size_t answering;
	double delay = system_peer_delay(d->client, &answering);

	gauge(f, "domtimed_computed_time_offset_seconds",
	      "Offset of the clock from its sources at the last update (W32Time Computed Time "
	      "Offset).",
	      cs->offset);
	gauge(f, "domtimed_clock_frequency_adjustment_ratio",
	      "Frequency correction in effect, as a ratio (W32Time Clock Frequency Adjustment).",
	      cs->freq_ppm * 1e-6);
	gauge(f, "domtimed_round_trip_delay_seconds",
	      "Round-trip delay to the source followed (W32Time NTP Roundtrip Delay).", delay);
	gauge(f, "domtimed_sources",
	      "Time sources configured or chosen (W32Time NTP Source Count).",
	      (double)cs->n_sources);
	gauge(f, "domtimed_sources_answering", "Time sources answering with usable time.",
	      (double)answering);
	counter(f, "domtimed_ntp_requests_total",
	        "NTP requests received (W32Time NTP Server Incoming Requests).", c->received);
	counter(f, "domtimed_ntp_responses_total",
	        "NTP responses sent, KoD included (W32Time NTP Server Outgoing Responses).",
	        c->answered);
}

/* Authentication failures of our sources, summed over them. */
struct source_auth_totals {
	unsigned long long bad_mac, ke_failed, naks;
};

static struct source_auth_totals
sources_auth(const struct ntp_client *c)
{
	struct source_auth_totals t = {0};

	for (size_t i = 0; i < ntp_client_n_sources(c); i++) {
		struct ntp_source_report r;
		struct nts_report n;

		ntp_client_source_report(c, i, &r);
		t.bad_mac += r.stats != NULL ? r.stats->bad_mac : 0;
		if (r.nts != NULL) {
			nts_session_report(r.nts, &n);
			t.ke_failed += n.ke_failed;
			t.naks += n.naks;
		}
	}
	return t;
}

static void
render_server(FILE *f, const struct dmn *d)
{
	const struct ntp_srv_counters *c = ntp_srv_counters(d->srv);

	counter(f, "domtimed_ntp_rate_limited_total", "NTP requests over the rate limit.",
	        c->rate_limited);
	counter(f, "domtimed_ntp_kod_rate_total", "KoD RATE answers sent.", c->kod_rate);
	family(f, "domtimed_ntp_dropped_total", "counter", "NTP datagrams dropped, by reason.");
	for (int i = 0; i < NTP_DROP_N; i++)
		fprintf(f, "domtimed_ntp_dropped_total{reason=\"%s\"} %llu\n", ntp_srv_drop_name(i),
		        (unsigned long long)c->dropped[i]);
	struct source_auth_totals a = sources_auth(d->client);

	counter(f, "domtimed_ntp_source_bad_mac_total",
	        "Answers of keyed or NTS sources dropped for a missing or wrong MAC or NTS "
	        "authenticator.",
	        a.bad_mac);
	counter(f, "domtimed_nts_source_ke_failed_total",
	        "NTS key exchanges with our sources that failed (certificate, ALPN, records).",
	        a.ke_failed);
	counter(f, "domtimed_nts_source_naks_total", "NTS NAKs from our sources.", a.naks);
	if (d->nts != NULL) {
		const struct nts_srv_counters *n = nts_srv_counters(d->nts);

		counter(f, "domtimed_nts_ke_total", "NTS key exchanges completed for clients.",
		        n->ke_ok);
		counter(f, "domtimed_nts_ke_failed_total",
		        "NTS key exchanges that failed (TLS, ALPN, bad request, time limit).",
		        n->ke_failed);
		counter(f, "domtimed_nts_requests_total", "NTP requests with NTS fields.",
		        n->requests);
		counter(f, "domtimed_nts_naks_total", "KoD NTSN sent (cookies we could not open).",
		        n->naks);
	}
	counter(f, "domtimed_ntp_receive_errors_total", "Errors receiving NTP datagrams.",
	        c->receive_errors);
	counter(f, "domtimed_ntp_send_errors_total", "Errors sending NTP answers.", c->send_errors);
}

/* MS-SNTP: what the server signed for Windows clients, and what it checked of its DCs. */
static void
render_mssntp(FILE *f, const struct dmn *d)
{
	const struct mssntp_counters *m = &ntp_srv_counters(d->srv)->mssntp;
	const struct {
		const char *reason;
		uint64_t n;
	} failed[] = {
	    {"unknown_rid", m->unknown_rid}, {"refused", m->refused},
	    {"signd_down", m->signd_down},   {"queue_full", m->queue_full},
	    {"timed_out", m->timed_out},
	};

	counter(f, "domtimed_mssntp_signed_total", "MS-SNTP answers signed through ntp_signd.",
	        m->n_signed);
	family(f, "domtimed_mssntp_sign_failed_total", "counter",
	       "Signed requests left unanswered, by reason.");
	for (size_t i = 0; i < ARRAY_LEN(failed); i++)
		fprintf(f, "domtimed_mssntp_sign_failed_total{reason=\"%s\"} %llu\n",
		        failed[i].reason, (unsigned long long)failed[i].n);
	counter(f, "domtimed_mssntp_extended_unsupported_total",
	        "120-octet (extended) MS-SNTP requests, which Samba cannot sign.",
	        m->extended_unsupported);
	counter(f, "domtimed_mssntp_verified_total", "Answers of our DCs with a good MS-SNTP MAC.",
	        m->verified);
	counter(f, "domtimed_mssntp_bad_mac_total", "Answers of our DCs with a wrong MS-SNTP MAC.",
	        m->bad_mac);
	counter(f, "domtimed_mssntp_unsigned_total",
	        "Answers of our DCs to a signed request that carried no signature.",
	        m->unsigned_reply);
}

static void
render_clock(FILE *f, const struct dmn *d, const struct ntp_client_status *cs)
{
	static const char *const states[] = {"synchronised", "holdover",       "no-majority",
	                                     "refused",      "unsynchronised", "local"};

	gauge(f, "domtimed_synchronized", "1 when NTP clients are told the time is synchronised.",
	      ntp_ref_synchronised(&d->ref));
	family(f, "domtimed_selection_state", "gauge",
	       "The client's state: 1 for the current one, 0 for the others.");
	for (size_t i = 0; i < ARRAY_LEN(states); i++)
		fprintf(f, "domtimed_selection_state{state=\"%s\"} %d\n", states[i],
		        strcmp(cs->state, states[i]) == 0);
	gauge(f, "domtimed_stratum", "Stratum announced to NTP clients (0: unsynchronised).",
	      d->ref.kind == NTP_REF_NONE ? 0 : d->ref.stratum);
	counter(f, "domtimed_clock_steps_total", "Times the clock was stepped.", cs->steps);
	gauge(f, "domtimed_seconds_since_sync", "Seconds since the last clock update.",
	      cs->since_sync);
}

static void
render_directory(FILE *f, const struct dmn *d)
{
	struct dmn_dir_health h = {.last_read_seconds = NAN};

	if (d->dir != NULL)
		dmn_dir_health(d->dir, &h);
	gauge(f, "domtimed_directory_read_duration_seconds",
	      "How long the last full directory read took.", h.last_read_seconds);
	counter(f, "domtimed_directory_reads_total", "Full directory reads finished.", h.reads);
	counter(f, "domtimed_directory_read_errors_total", "Full directory reads that failed.",
	        h.read_errors);
	gauge(f, "domtimed_directory_failures_in_a_row",
	      "Failed directory reads since the last "
	      "good one.",
	      h.failures);
}

/* Resident set size from /proc/self/statm; NAN when it cannot be read. */
static double
resident_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "re");
	unsigned long size, resident;
	int n;

	if (f == NULL)
		return NAN;
	n = fscanf(f, "%lu %lu", &size, &resident);
	fclose(f);
	return n == 2 ? (double)resident * (double)sysconf(_SC_PAGESIZE) : NAN;
}

static void
render_process(FILE *f, const struct dmn *d)
{
	const struct ctl_counters *cc = ctl_get_counters(d->ctl);
	struct timespec mono;

	clk_monotonic(&mono);
	family(f, "domtimed_build_info", "gauge", "The running version.");
	fprintf(f, "domtimed_build_info{version=\"%s\"} 1\n", DOMTIMED_VERSION);
	gauge(f, "domtimed_uptime_seconds", "Seconds since the daemon started.",
	      ts_diff(&mono, &d->started));
	gauge(f, "process_resident_memory_bytes", "Resident memory size in bytes.",
	      resident_bytes());
	counter(f, "domtimed_control_requests_total", "Control socket requests.", cc->requests);
	counter(f, "domtimed_control_rejected_total",
	        "Control socket requests and connections refused.", cc->rejected);
}

char *
metrics_render(const struct dmn *d)
{
	struct ntp_client_status cs;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (f == NULL)
		fatal("open_memstream");
	ntp_client_status(d->client, &cs);
	render_w32time(f, d, &cs);
	render_clock(f, d, &cs);
	render_server(f, d);
	render_mssntp(f, d);
	render_directory(f, d);
	render_process(f, d);
	fputs("# EOF\n", f);
	if (fclose(f) != 0)
		fatal("rendering metrics");
	return text;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
	struct evbuffer *body;
	char *text;

	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "try /metrics");
		return;
	}
	body = evbuffer_new();
	text = metrics_render(m->d);
	if (body == NULL || evbuffer_add(body, text, strlen(text)) < 0) {
		free(text);
		if (body != NULL)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	free(text);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  accept != NULL && strstr(accept, "application/openmetrics-text") != NULL
	                      ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
	                      : "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

struct metrics_http *
metrics_http_new(struct event_base *base, const char *addr, const struct dmn *d, char **ret_cause)
{
	struct metrics_http *m;
	struct sockaddr_storage ss;
	int len = sizeof(ss);
	evutil_socket_t fd;

	/* The configuration checked it. */
	if (evutil_parse_sockaddr_port(addr, (struct sockaddr *)&ss, &len) < 0) {
		*ret_cause = xasprintf("metrics_listen %s: not ADDRESS:PORT", addr);
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->d = d;
	m->http = evhttp_new(base);
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->http == NULL || fd < 0 || evutil_make_listen_socket_reuseable(fd) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0 || listen(fd, 16) < 0 ||
	    evhttp_accept_socket(m->http, fd) < 0) {
		*ret_cause = xasprintf("metrics_listen %s: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		return metrics_http_free(m);
	}
	evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(m->http, HTTP_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(m->http, on_request, m);
	log_info("serving metrics on http://%s/metrics", addr);
	return m;
}

struct metrics_http *
metrics_http_free(struct metrics_http *m)
{
	if (m == NULL)
		return NULL;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
	return NULL;
}

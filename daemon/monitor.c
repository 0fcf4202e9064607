/*
 * monitor.c - query each DC of a domain, as w32tm /monitor does.
 */
#include <event2/dns.h>
#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/util.h"
#include "monitor.h"
#include "ctl_proto.h"
#include "probe.h"

/* Seconds one DNS query may take, and how often it is sent, before the name counts as unknown. */
#define DNS_TIMEOUT "2"
#define DNS_ATTEMPTS "2"

struct target {
	const char *host;
	int pdc;
	const char *auth; /* the daemon's last answer from it: mssntp, none; NULL: not followed */
};

static void
print_row(const struct target *t, const struct probe_result *r, int json, json_t *out)
{
	char refid[32] = "-";

	if (r->ok)
		ntp_refid_format(r->reply.refid, r->reply.stratum, refid, sizeof(refid));
	if (json) {
		json_array_append_new(
		    out, r->ok ? json_pack("{s:s, s:b, s:f, s:f, s:i, s:i, s:s, s:o}", "host",
		                           t->host, "pdc", t->pdc, "offset", r->offset, "delay",
		                           r->delay, "stratum", r->reply.stratum, "leap",
		                           r->reply.leap, "refid", refid, "auth",
		                           t->auth != NULL ? json_string(t->auth) : json_null())
		               : json_pack("{s:s, s:b, s:s}", "host", t->host, "pdc", t->pdc,
		                           "error", r->error));
		return;
	}
	printf("%s%s:\n", t->host, t->pdc ? " *** PDC ***" : "");
	if (!r->ok) {
		printf("    NTP: error: %s\n", r->error);
		return;
	}
	printf("    NTP: %+.7fs offset from this machine, delay %.7fs\n", r->offset, r->delay);
	if (t->auth != NULL)
		printf("        Signed: %s (the daemon's last answer from it)\n",
		       strcmp(t->auth, "mssntp") == 0 ? "yes, MS-SNTP" : "no");
	printf("        RefID: %s\n        Stratum: %d%s\n", refid, r->reply.stratum,
	       r->reply.leap == NTP_LEAP_UNSYNC ? " (unsynchronised)" : "");
}

struct lookup {
	struct event_base *base;
	struct evutil_addrinfo *ai;
	int err;
};

static void
on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct lookup *l = arg;

	l->err = err;
	l->ai = ai;
	/* The resolver's socket keeps the loop busy for ever: leave it now. */
	event_base_loopbreak(l->base);
}

/*
 * HOST:PORT as the daemon would find it: through its dns_server (and
 * /etc/hosts) when it has one, else the system's resolver. 0 with *RET
 * (free with evutil_freeaddrinfo), or -1.
 */
static int
resolve(const char *dns_server, const char *host, const char *port, struct evutil_addrinfo **ret)
{
	struct evutil_addrinfo hints = {
	    .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_protocol = IPPROTO_UDP};
	struct lookup l = {.err = EVUTIL_EAI_FAIL};
	struct event_base *base;
	struct evdns_base *dns;

	if (dns_server == NULL)
		return evutil_getaddrinfo(host, port, &hints, ret) == 0 ? 0 : -1;
	base = event_base_new();
	l.base = base;
	dns = base != NULL ? evdns_base_new(base, 0) : NULL;
	if (dns != NULL && evdns_base_nameserver_ip_add(dns, dns_server) == 0) {
		(void)evdns_base_load_hosts(dns, NULL);
		(void)evdns_base_set_option(dns, "timeout:", DNS_TIMEOUT);
		(void)evdns_base_set_option(dns, "attempts:", DNS_ATTEMPTS);
		/* May answer before returning (numeric hosts, /etc/hosts): then NULL. */
		if (evdns_getaddrinfo(dns, host, port, &hints, on_resolved, &l) != NULL)
			(void)event_base_dispatch(base);
	}
	if (dns != NULL)
		evdns_base_free(dns, 0);
	if (base != NULL)
		event_base_free(base);
	*ret = l.ai;
	return l.err == 0 && l.ai != NULL ? 0 : -1;
}

/* The DCs of DOMAIN (NULL: ours) in the hierarchy answer. */
static size_t
targets_of(const json_t *h, const char *domain, struct target *v, size_t max)
{
	const char *own = json_string_value(json_object_get(json_object_get(h, "self"), "domain"));
	const char *want = domain != NULL ? domain : own;
	size_t i, n = 0;
	json_t *dc;

	json_array_foreach(json_object_get(h, "dcs"), i, dc)
	{
		const char *d = json_string_value(json_object_get(dc, "domain"));

		if (n < max && want != NULL && d != NULL && strcasecmp(d, want) == 0)
			v[n++] = (struct target){
			    .host = json_string_value(json_object_get(dc, "host")),
			    .pdc = json_is_true(json_object_get(dc, "pdc")),
			    .auth = json_string_value(json_object_get(dc, "auth")),
			};
	}
	return n;
}

int
monitor_main(int argc, char **argv, const json_t *hierarchy, int json)
{
	static const struct option longopts[] = {
	    {"domain", required_argument, NULL, 'd'},
	    {"port", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	const char *domain = NULL, *port = "123";
	const char *dns_server = json_string_value(json_object_get(hierarchy, "dns_server"));
	struct target targets[1024];
	json_t *out = json_array();
	struct clk *clock;
	size_t n;
	int opt, failures = 0;

	optind = 0; /* 0: GNU getopt starts afresh */
	while ((opt = getopt_long(argc, argv, "d:p:", longopts, NULL)) != -1) {
		if (opt == 'd')
			domain = optarg;
		else if (opt == 'p')
			port = optarg;
		else
			goto usage;
	}
	if (optind != argc)
		goto usage;
	n = targets_of(hierarchy, domain, targets, ARRAY_LEN(targets));
	if (n == 0) {
		ctl_report_error(json, "monitor: no DC known in %s",
		                 domain != NULL ? domain : "this machine's domain");
		json_decref(out);
		return 1;
	}
	if (clk_new_system(&clock) < 0) {
		ctl_report_error(json, "cannot read the clock");
		json_decref(out);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		struct evutil_addrinfo *ai = NULL;
		struct probe_result r = {0};

		if (resolve(dns_server, targets[i].host, port, &ai) == 0)
			probe_query(ai, clock, &r);
		else
			snprintf(r.error, sizeof(r.error), "cannot resolve the name%s%s",
			         dns_server != NULL ? " through " : "",
			         dns_server != NULL ? dns_server : "");
		failures += !r.ok;
		print_row(&targets[i], &r, json, out);
		if (ai != NULL)
			evutil_freeaddrinfo(ai);
	}
	if (json)
		ctl_print_json(out, "dcs");
	else
		json_decref(out);
	clk_free(clock);
	return failures == (int)n ? 1 : 0;
usage:
	/* domtimectl prints the usage line. */
	json_decref(out);
	return 2;
}

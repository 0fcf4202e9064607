/*
 * monitor.c - query each DC of a domain, as w32tm /monitor does.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor.h"
#include "probe.h"

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

/* The DCs of DOMAIN (NULL: ours) in the hierarchy answer. */
static size_t
targets_of(const json_t *h, const char *domain, struct target *v, size_t max)
{
	const char *own = json_string_value(json_object_get(json_object_get(h, "self"), "domain"));
	const char *want = domain != NULL ? domain : own;
	size_t i, n = 0;
	json_t *dc;

	json_array_foreach(json_object_get(h, "dcs"), i, dc) {
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
	n = targets_of(hierarchy, domain, targets, sizeof(targets) / sizeof(targets[0]));
	if (n == 0) {
		fprintf(stderr, "domtimectl: monitor: no DC known in %s\n",
			domain != NULL ? domain : "this machine's domain");
		json_decref(out);
		return 1;
	}
	if (clk_new_system(&clock) < 0) {
		fprintf(stderr, "domtimectl: cannot read the clock\n");
		json_decref(out);
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		char *target = NULL;
		struct addrinfo *ai = NULL;
		struct probe_result r = {0};

		if (asprintf(&target, "%s:%s", targets[i].host, port) < 0)
			abort();
		if (probe_resolve(target, &ai) == 0)
			probe_query(ai, clock, &r);
		else
			snprintf(r.error, sizeof(r.error), "cannot resolve the name");
		failures += !r.ok;
		print_row(&targets[i], &r, json, out);
		if (ai != NULL)
			freeaddrinfo(ai);
		free(target);
	}
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2));

		puts(text ? text : "[]");
		free(text);
	}
	json_decref(out);
	clk_free(clock);
	return failures == (int)n ? 1 : 0;
usage:
	fprintf(stderr, "usage: domtimectl monitor [--domain DOMAIN] [--port PORT]\n");
	json_decref(out);
	return 2;
}

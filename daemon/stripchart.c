/*
 * stripchart.c - query one NTP server a few times and print offset and
 * delay, as w32tm /stripchart does.
 */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../common/ts.h"
#include "ctl_proto.h"
#include "probe.h"
#include "stripchart.h"

static void
print_sample(const struct probe_result *s, const struct timespec *when, int json, json_t *out)
{
	char refid[32], stamp[16];
	struct tm tm;
	time_t t = when->tv_sec;

	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	if (s->ok)
		ntp_refid_format(s->reply.refid, s->reply.stratum, refid, sizeof(refid));
	if (json) {
		json_array_append_new(
		    out,
		    s->ok ? json_pack("{s:f, s:f, s:f, s:i, s:i, s:s}", "time", ts_to_double(when),
		                      "offset", s->offset, "delay", s->delay, "stratum",
		                      s->reply.stratum, "leap", s->reply.leap, "refid", refid)
		          : json_pack("{s:f, s:s}", "time", ts_to_double(when), "error", s->error));
		return;
	}
	if (s->ok)
		printf("%s, d:%+.7fs o:%+.7fs  stratum %d, refid %s%s\n", stamp, s->delay,
		       s->offset, s->reply.stratum, refid,
		       s->reply.leap == NTP_LEAP_UNSYNC ? ", unsynchronised" : "");
	else
		printf("%s, error: %s\n", stamp, s->error);
	fflush(stdout);
}

int
stripchart_main(int argc, char **argv, int json)
{
	static const struct option longopts[] = {
	    {"samples", required_argument, NULL, 'n'},
	    {"period", required_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};
	long samples = 5;
	double period = 2.0;
	struct addrinfo *ai = NULL;
	char *cause = NULL;
	json_t *out = json_array();
	struct clk *clock;
	int opt, failures = 0;

	optind = 0; /* 0: GNU getopt starts afresh (and permutes again) */
	while ((opt = getopt_long(argc, argv, "n:p:", longopts, NULL)) != -1) {
		char *end;

		if (opt == 'n') {
			samples = strtol(optarg, &end, 10);
			if (*end != '\0' || samples < 1 || samples > 100000)
				goto usage;
		} else if (opt == 'p') {
			period = strtod(optarg, &end);
			if (*end != '\0' || !(period >= 0.0 && period <= 86400.0))
				goto usage;
		} else {
			goto usage;
		}
	}
	if (argc - optind != 1)
		goto usage;
	if (probe_resolve(argv[optind], &ai, &cause) < 0) {
		ctl_report_error(json, "%s", cause);
		free(cause);
		json_decref(out);
		return 1;
	}
	if (clk_new_system(&clock) < 0) {
		ctl_report_error(json, "cannot read the clock");
		freeaddrinfo(ai);
		json_decref(out);
		return 1;
	}
	if (!json)
		printf("Tracking %s.\nThe current time is measured by this machine's clock.\n",
		       argv[optind]);
	for (long i = 0; i < samples; i++) {
		struct probe_result s;
		struct timespec when;

		if (i > 0 && period > 0.0)
			nanosleep(&(struct timespec){(time_t)period,
			                             (long)((period - floor(period)) * 1e9)},
			          NULL);
		probe_query(ai, clock, &s);
		clk_now(clock, &when);
		failures += !s.ok;
		print_sample(&s, &when, json, out);
	}
	if (json)
		ctl_print_json(out, "samples");
	else
		json_decref(out);
	freeaddrinfo(ai);
	clk_free(clock);
	return failures == samples ? 1 : 0;
usage:
	/* domtimectl prints the usage line. */
	json_decref(out);
	return 2;
}

/*
 * stripchart.c - query one NTP server a few times and print offset and delay.
 *
 * Reads the system clock through the clock module (read only) and sends the
 * same data-minimised requests the daemon does, from a fresh random port.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/ts.h"
#include "../ntp/clock.h"
#include "../ntp/packet.h"
#include "../ntp/srvspec.h"
#include "stripchart.h"

struct sample {
	int ok;
	char error[96];
	double offset, delay;
	struct ntp_packet reply;
};

static int
open_connected(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Receive the answer and its kernel timestamp (our clock: the system clock). */
static ssize_t
receive(int fd, uint8_t *buf, size_t size, struct clk *clock, struct timespec *t4)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	ssize_t n = recvmsg(fd, &mh, 0);

	clk_now(clock, t4);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); n >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS)
			memcpy(t4, CMSG_DATA(c), sizeof(*t4));
	return n;
}

static void
measure(const struct addrinfo *ai, struct clk *clock, struct sample *s)
{
	struct ntp_packet req = {.version = 4, .mode = NTP_MODE_CLIENT};
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct timespec t1, t4;
	double server_time;
	struct pollfd pfd;
	int fd = open_connected(ai);
	ssize_t n;

	*s = (struct sample){0};
	if (fd < 0) {
		snprintf(s->error, sizeof(s->error), "socket: %s", strerror(errno));
		return;
	}
	arc4random_buf(&req.transmit, sizeof(req.transmit));
	ntp_encode(&req, buf);
	clk_now(clock, &t1);
	pfd = (struct pollfd){.fd = fd, .events = POLLIN};
	if (send(fd, buf, NTP_HEADER_LEN, 0) != NTP_HEADER_LEN || poll(&pfd, 1, 1000) <= 0) {
		snprintf(s->error, sizeof(s->error), "no answer within 1 s");
		goto out;
	}
	n = receive(fd, buf, sizeof(buf), clock, &t4);
	if (n < 0) {
		snprintf(s->error, sizeof(s->error), "%s", strerror(errno));
		goto out;
	}
	if (ntp_decode(buf, (size_t)n, &s->reply, NULL) != NTP_DECODE_OK ||
	    s->reply.origin != req.transmit) {
		snprintf(s->error, sizeof(s->error), "invalid answer");
		goto out;
	}
	ntp_onwire(&t1, &s->reply, &t4, &s->offset, &s->delay, &server_time);
	s->ok = 1;
out:
	close(fd);
}

static void
print_sample(const struct sample *s, const struct timespec *when, int json, json_t *out)
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
			out, s->ok ? json_pack("{s:f, s:f, s:f, s:i, s:i, s:s}", "time",
					       ts_to_double(when), "offset", s->offset, "delay",
					       s->delay, "stratum", s->reply.stratum, "leap",
					       s->reply.leap, "refid", refid)
				   : json_pack("{s:f, s:s}", "time", ts_to_double(when), "error",
					       s->error));
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

static int
resolve(const char *target, struct addrinfo **ret)
{
	struct addrinfo hints = {.ai_socktype = SOCK_DGRAM};
	struct ntp_srvspec *spec = NULL;
	char *cause = NULL, port[8];
	int n = ntp_srvspec_parse(target, &spec, &cause), r;

	if (n != 1) {
		fprintf(stderr, "domtimectl: stripchart: %s\n",
			cause ? cause : "expected one HOST[:PORT]");
		free(cause);
		free(spec);
		return -1;
	}
	snprintf(port, sizeof(port), "%d", spec->port);
	r = getaddrinfo(spec->host, port, &hints, ret);
	if (r != 0)
		fprintf(stderr, "domtimectl: stripchart: %s: %s\n", spec->host, gai_strerror(r));
	free(spec);
	return r != 0 ? -1 : 0;
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
	if (resolve(argv[optind], &ai) < 0 || clk_new_system(&clock) < 0) {
		json_decref(out);
		return 1;
	}
	if (!json)
		printf("Tracking %s.\nThe current time is measured by this machine's clock.\n",
		       argv[optind]);
	for (long i = 0; i < samples; i++) {
		struct sample s;
		struct timespec when;

		if (i > 0 && period > 0.0)
			nanosleep(&(struct timespec){(time_t)period,
						     (long)((period - floor(period)) * 1e9)},
				  NULL);
		measure(ai, clock, &s);
		clk_now(clock, &when);
		failures += !s.ok;
		print_sample(&s, &when, json, out);
	}
	if (json) {
		char *text = json_dumps(out, JSON_INDENT(2));

		puts(text ? text : "[]");
		free(text);
	}
	json_decref(out);
	freeaddrinfo(ai);
	clk_free(clock);
	return failures == samples ? 1 : 0;
usage:
	fprintf(stderr, "usage: domtimectl stripchart HOST[:PORT] [--samples N] [--period S]\n");
	json_decref(out);
	return 2;
}

/*
 * domtimectl.c - the command-line client of domtimed's control socket.
 *
 * Sends one request, prints the answer: JSON with --json (stable field names,
 * for scripts), otherwise text laid out like w32tm /query.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "../ntp/clock.h"
#include "ctl_proto.h"
#include "monitor.h"
#include "stripchart.h"

#define DEFAULT_SOCKET "/run/domtimed/domtimed.sock"
/* Seconds a request may take, connection to last octet, unless -t says otherwise. */
#define DEFAULT_TIMEOUT 10.0

/* Exit statuses (documented in domtimectl(1)). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,   /* the daemon cannot be reached, or refused the request */
	EXIT_USAGE = 2,  /* bad command line */
	EXIT_UNSYNC = 3, /* answered, but the clock is not synchronised (or not yet) */
};

struct ctx {
	const char *path;
	int json;
	double timeout;
};

/* ---- talking to the daemon --------------------------------------------------- */

/* Let the next read or write on FD wait at most until DEADLINE (monotonic). */
static int
bound_by(int fd, double deadline)
{
	double left = deadline - clk_monotonic_seconds();
	struct timeval tv;

	if (left <= 0.0)
		return -1;
	tv.tv_sec = (time_t)left;
	tv.tv_usec = (suseconds_t)((left - (double)tv.tv_sec) * 1e6) + 1;
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	               setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0
	           ? -1
	           : 0;
}

/* Move all LEN octets before DEADLINE, across short reads or writes and interruptions. */
static int
io_all(int fd, char *buf, size_t len, int writing, double deadline)
{
	while (len > 0) {
		ssize_t n;

		if (bound_by(fd, deadline) < 0)
			return -1;
		n = writing ? write(fd, buf, len) : read(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
connect_to(const char *path, double deadline, char **ret_error)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		*ret_error = xasprintf("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	/* SO_SNDTIMEO bounds connect() too, should the daemon's backlog be full. */
	if (fd < 0 || bound_by(fd, deadline) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		*ret_error = xasprintf("cannot reach domtimed at %s: %s", path,
		                       errno == EAGAIN ? "timed out" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The daemon's answer to one request, or NULL with an allocated *RET_ERROR. */
static json_t *
exchange(int fd, json_t *req, double deadline, char **ret_error)
{
	unsigned char prefix[4];
	json_t *reply = NULL;
	json_error_t jerr;
	size_t len;
	char *frame = ctl_encode_frame(req, CTL_MAX_REQUEST, &len), *body = NULL;
	uint32_t n;

	if (frame == NULL) {
		*ret_error = xstrdup("request too large");
		return NULL;
	}
	if (io_all(fd, frame, len, 1, deadline) < 0 ||
	    io_all(fd, (char *)prefix, 4, 0, deadline) < 0) {
		*ret_error =
		    xstrdup(clk_monotonic_seconds() >= deadline ? "domtimed did not answer in time"
		                                                : "connection to domtimed lost");
		goto out;
	}
	n = ctl_frame_length(prefix);
	if (n > CTL_MAX_RESPONSE) {
		*ret_error = xasprintf("response too large (%u bytes)", n);
		goto out;
	}
	body = xmalloc(n);
	if (io_all(fd, body, n, 0, deadline) < 0) {
		*ret_error = xstrdup("response cut short");
		goto out;
	}
	reply = json_loadb(body, n, 0, &jerr);
	if (!json_is_object(reply)) {
		*ret_error = xasprintf("response is not JSON: %s", jerr.text);
		json_decref(reply);
		reply = NULL;
	}
out:
	free(body);
	free(frame);
	return reply;
}

/* Send COMMAND with ARGS (consumed); the "result", or NULL with an allocated *RET_ERROR. */
static json_t *
call(const struct ctx *x, const char *command, json_t *args, char **ret_error)
{
	json_t *req = json_pack("{s:i, s:s, s:o}", "version", CTL_PROTOCOL_VERSION, "command",
	                        command, "args", args);
	double deadline = clk_monotonic_seconds() + x->timeout;
	json_t *reply, *result = NULL;
	int fd = connect_to(x->path, deadline, ret_error);

	reply = fd >= 0 ? exchange(fd, req, deadline, ret_error) : NULL;
	json_decref(req);
	if (fd >= 0)
		close(fd);
	if (reply == NULL)
		return NULL;
	if (json_is_true(json_object_get(reply, "ok"))) {
		result = json_incref(json_object_get(reply, "result"));
	} else {
		const char *err = json_string_value(json_object_get(reply, "error"));

		*ret_error = xstrdup(err != NULL ? err : "request failed");
	}
	json_decref(reply);
	return result;
}

/* Say what went wrong (JSON on stdout with --json, else on stderr); returns EXIT_FAIL. */
static int
report(const struct ctx *x, const char *error)
{
	ctl_report_error(x->json, "%s", error);
	return EXIT_FAIL;
}

/* call() and report() together: the result, or NULL once the failure is told. */
static json_t *
ask(const struct ctx *x, const char *command, json_t *args)
{
	char *error = NULL;
	json_t *result = call(x, command, args, &error);

	if (result == NULL) {
		report(x, error);
		free(error);
	}
	return result;
}

/* ---- human output --------------------------------------------------------------- */

static double
num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static const char *
str(const json_t *o, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : fallback;
}

static void
print_time(const char *label, const json_t *value)
{
	char buf[64];
	time_t t;
	struct tm tm;

	if (!json_is_number(value)) {
		printf("%s: unspecified\n", label);
		return;
	}
	t = (time_t)floor(json_number_value(value));
	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%s: %s\n", label, buf);
}

static const char *
leap_text(int leap)
{
	static const char *const text[] = {"no warning", "last minute has 61 seconds",
	                                   "last minute has 59 seconds", "not synchronized"};

	return leap >= 0 && leap <= 3 ? text[leap] : "?";
}

/* MS-SNTP as a client (M) and as a DC signing for Windows clients (SRV). */
static void
print_mssntp(const json_t *m, const json_t *srv)
{
	if (json_is_object(m))
		printf("MS-SNTP: %s, key %s, %lld verified, %lld failed\n", str(m, "mode", "?"),
		       str(m, "key", "?"),
		       (long long)json_integer_value(json_object_get(m, "verified")),
		       (long long)json_integer_value(json_object_get(m, "failed")));
	if (!json_is_string(json_object_get(srv, "signd_socket")))
		return;
	printf("MS-SNTP Signing: %s (%s)\n", str(srv, "signd_socket", "?"),
	       json_is_true(json_object_get(srv, "signd_connected")) ? "connected"
	                                                             : "not connected");
	if (json_is_string(json_object_get(srv, "signd_problem")))
		printf("MS-SNTP Problem: %s\n", str(srv, "signd_problem", ""));
}

static void
print_status(const json_t *s)
{
	int stratum = (int)json_integer_value(json_object_get(s, "stratum"));
	int precision = (int)json_integer_value(json_object_get(s, "precision"));
	int leap = (int)json_integer_value(json_object_get(s, "leap"));
	const json_t *offset = json_object_get(s, "offset");

	printf("Leap Indicator: %d (%s)\n", leap, leap_text(leap));
	printf("Stratum: %d (%s)\n", stratum,
	       stratum == 0   ? "unspecified"
	       : stratum == 1 ? "primary reference"
	                      : "secondary reference");
	printf("Precision: %d (%.3fns per tick)\n", precision, ldexp(1.0, precision) * 1e9);
	printf("Root Delay: %.7fs\n", num(s, "root_delay"));
	printf("Root Dispersion: %.7fs\n", num(s, "root_dispersion"));
	printf("ReferenceId: %s\n", str(s, "refid", "?"));
	print_time("Last Successful Sync Time", json_object_get(s, "reference_time"));
	printf("Source: %s\n", str(s, "source", "(none)"));
	printf("Poll Interval: %d (%gs)\n", (int)json_integer_value(json_object_get(s, "poll")),
	       ldexp(1.0, (int)json_integer_value(json_object_get(s, "poll"))));
	if (json_is_number(offset))
		printf("Phase Offset: %+.7fs\n", json_number_value(offset));
	printf("Frequency: %+.3f ppm\n", num(s, "frequency_ppm"));
	print_time("Last Clock Update", json_object_get(s, "last_sync"));
	printf("State: %s\n", str(s, "state", "?"));
	if (json_is_string(json_object_get(s, "reason")))
		printf("Reason: %s\n", str(s, "reason", ""));
	print_mssntp(json_object_get(s, "mssntp"), json_object_get(s, "mssntp_server"));
	printf("Clock: %s", str(s, "clock", "?"));
	if (json_is_number(json_object_get(s, "clock_error")))
		printf(" (true error %+.9fs)", num(s, "clock_error"));
	printf("\n");
}

/* Nested objects print as indented "key: value" lines. */
static void
print_tree(const json_t *o, int depth)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)o, key, v)
	{
		printf("%*s%s:", depth * 2, "", key);
		if (json_is_object(v)) {
			printf("\n");
			print_tree(v, depth + 1);
		} else if (json_is_integer(v)) {
			printf(" %lld\n", (long long)json_integer_value(v));
		} else {
			char *text = json_dumps(v, JSON_ENCODE_ANY);

			printf(" %s\n", text ? text : "?");
			free(text);
		}
	}
}

static void
print_counters(const json_t *c)
{
	print_tree(c, 0);
}

static const char *
mode_text(int flags)
{
	return (flags & 0x4) && !(flags & 0x8) ? "1 (Symmetric Active)" : "3 (Client)";
}

static void
print_number(const char *label, const json_t *v, const char *unit)
{
	if (json_is_number(v))
		printf("%s: %+.7f%s\n", label, json_number_value(v), unit);
	else
		printf("%s: -\n", label);
}

/* "Authentication: nts (ready, 8 cookies, 1 key exchange, 0 failed, 0 NAKs; last error ...)". */
static void
print_auth(const json_t *p)
{
	const json_t *nts = json_object_get(p, "nts");

	printf("Authentication: %s", str(p, "auth", "none"));
	if (json_is_integer(json_object_get(p, "key_id")))
		printf(" (key %lld)", (long long)json_integer_value(json_object_get(p, "key_id")));
	if (json_is_object(nts))
		printf(
		    " (%s, %lld cookies, %lld key exchanges, %lld failed, %lld NAKs; last error: "
		    "%s)",
		    str(nts, "state", "?"),
		    (long long)json_integer_value(json_object_get(nts, "cookies")),
		    (long long)json_integer_value(json_object_get(nts, "ke_ok")),
		    (long long)json_integer_value(json_object_get(nts, "ke_failed")),
		    (long long)json_integer_value(json_object_get(nts, "naks")),
		    str(nts, "error", "none"));
	if (json_is_string(json_object_get(p, "auth_reason")))
		printf(" (%s)", str(p, "auth_reason", ""));
	printf("\n");
}

static void
print_peer(const json_t *p)
{
	int poll = (int)json_integer_value(json_object_get(p, "poll"));
	int peer_poll = (int)json_integer_value(json_object_get(p, "peer_poll"));
	const json_t *stratum = json_object_get(p, "stratum");

	printf("\nPeer: %s:%d (%s)\n", str(p, "host", "?"),
	       (int)json_integer_value(json_object_get(p, "port")), str(p, "address", "?"));
	printf("State: %s\n", str(p, "state", "?"));
	if (json_is_number(json_object_get(p, "next_poll_in")))
		printf("Time Remaining: %.3fs\n", num(p, "next_poll_in"));
	printf("Mode: %s\n", mode_text((int)json_integer_value(json_object_get(p, "flags"))));
	if (json_is_integer(stratum))
		printf("Stratum: %lld\n", (long long)json_integer_value(stratum));
	else
		printf("Stratum: -\n");
	printf("RefId: %s\n", str(p, "refid", "-"));
	printf("PeerPoll Interval: %d\n", peer_poll);
	printf("HostPoll Interval: %d (%gs)\n", poll, ldexp(1.0, poll));
	printf("Reach: 0x%02llx\n", (long long)json_integer_value(json_object_get(p, "reach")));
	print_number("Last Offset", json_object_get(p, "offset"), "s");
	print_number("Last Delay", json_object_get(p, "delay"), "s");
	print_number("Jitter", json_object_get(p, "jitter"), "s");
	print_number("Root Distance", json_object_get(p, "root_distance"), "s");
	printf("Added By: %s\n", str(p, "origin", "?"));
	print_auth(p);
	printf("Last Error: %s\n", str(p, "last_error", "none"));
}

/* The block form, as w32tm /query /peers /verbose. */
static void
print_peers_verbose(const json_t *a)
{
	size_t i;
	json_t *p;

	printf("#Peers: %zu\n", json_array_size(a));
	json_array_foreach((json_t *)a, i, p) print_peer(p);
}

/* chronyc's source marks: '*' followed, '+' combined, '-' not combined, 'x' falseticker... */
static char
state_mark(const char *state)
{
	static const struct {
		const char *state;
		char mark;
	} marks[] = {{"selected", '*'}, {"candidate", '+'},   {"outlier", '-'},
	             {"fallback", '-'}, {"falseticker", 'x'}, {"no_majority", 'x'},
	             {"too_far", '~'}};

	for (size_t i = 0; i < ARRAY_LEN(marks); i++)
		if (strcmp(state, marks[i].state) == 0)
			return marks[i].mark;
	return '?';
}

/* Seconds with a unit that keeps them short: 15us, 2.31ms, 1.20s; "-" when unknown. */
static const char *
short_seconds(const json_t *v, char *buf, size_t size, int sign)
{
	double x;

	if (!json_is_number(v))
		return "-";
	x = json_number_value(v);
	if (fabs(x) < 1e-3)
		snprintf(buf, size, sign ? "%+.0fus" : "%.0fus", x * 1e6);
	else if (fabs(x) < 1.0)
		snprintf(buf, size, sign ? "%+.2fms" : "%.2fms", x * 1e3);
	else
		snprintf(buf, size, sign ? "%+.2fs" : "%.2fs", x);
	return buf;
}

/* One line per source, as chronyc sources. */
static void
print_peers(const json_t *a)
{
	char name[64], stratum[8], off[24], delay[24], jitter[24];
	size_t i;
	json_t *p;

	printf("S Source                          Stratum Poll Reach    Offset    Delay   Jitter "
	       "State\n");
	json_array_foreach((json_t *)a, i, p)
	{
		const json_t *st = json_object_get(p, "stratum");
		const char *state = str(p, "state", "?");

		snprintf(name, sizeof(name), "%s:%lld", str(p, "host", "?"),
		         (long long)json_integer_value(json_object_get(p, "port")));
		snprintf(stratum, sizeof(stratum), "%lld", (long long)json_integer_value(st));
		printf("%c %-31.31s %7s %4lld %5llo %9s %8s %8s %s\n", state_mark(state), name,
		       json_is_integer(st) ? stratum : "-",
		       (long long)json_integer_value(json_object_get(p, "poll")),
		       (unsigned long long)json_integer_value(json_object_get(p, "reach")),
		       short_seconds(json_object_get(p, "offset"), off, sizeof(off), 1),
		       short_seconds(json_object_get(p, "delay"), delay, sizeof(delay), 0),
		       short_seconds(json_object_get(p, "jitter"), jitter, sizeof(jitter), 0),
		       state);
	}
}

static void
print_source(const json_t *r)
{
	printf("%s\n", str(r, "source", "(none)"));
}

static void
print_resync(const json_t *r)
{
	printf("polling %lld source(s) now\n",
	       (long long)json_integer_value(json_object_get(r, "sources")));
}

static void
print_explain(const json_t *a)
{
	size_t i;
	json_t *c;

	printf("%-32s %-20s %-10s %4s %5s %-6s %-14s %s\n", "Candidate", "Domain", "Site", "Step",
	       "Score", "Chosen", "Verdict", "Reason");
	json_array_foreach((json_t *)a, i, c)
	    printf("%-32s %-20s %-10s %4lld %5lld %-6s %-14s %s\n", str(c, "host", "?"),
	           str(c, "domain", "-"), str(c, "site", "-"),
	           (long long)json_integer_value(json_object_get(c, "step")),
	           (long long)json_integer_value(json_object_get(c, "score")),
	           json_is_true(json_object_get(c, "chosen")) ? "yes" : "no",
	           str(c, "verdict", "-"), str(c, "reason", ""));
}

static void
print_hierarchy(const json_t *h)
{
	const json_t *self = json_object_get(h, "self");
	size_t i;
	json_t *x;

	printf("This machine: %s (%s), domain %s, site %s (%s)\n", str(self, "name", "?"),
	       str(self, "role", "?"), str(self, "domain", "-"), str(self, "site", "-"),
	       str(self, "site_source", "?"));
	if (json_is_string(json_object_get(h, "read_from")))
		printf("Read from %s\n", str(h, "read_from", "?"));
	print_time("Read at", json_object_get(h, "read_at"));
	if (json_is_string(json_object_get(h, "why")))
		printf("Time sources: %s\n", str(h, "why", ""));
	printf("\nDomains:\n");
	json_array_foreach(json_object_get(h, "domains"), i, x)
	    printf("  %-28s parent %-22s PDC %s%s\n", str(x, "name", "?"), str(x, "parent", "-"),
	           str(x, "pdc", "(unknown)"),
	           json_is_true(json_object_get(x, "forest_root")) ? "  [forest root]" : "");
	printf("\nDomain controllers (* = followed):\n");
	json_array_foreach(json_object_get(h, "dcs"), i, x)
	    printf("  %s %-32s %-22s site %-12s%s%s\n",
	           json_is_true(json_object_get(x, "chosen")) ? "*" : " ", str(x, "host", "?"),
	           str(x, "domain", "-"), str(x, "site", "-"),
	           json_is_true(json_object_get(x, "pdc")) ? " PDC" : "",
	           json_is_true(json_object_get(x, "rodc")) ? " RODC" : "");
	if (json_array_size(json_object_get(h, "problems")) > 0)
		printf("\nProblems:\n");
	json_array_foreach(json_object_get(h, "problems"), i, x)
	    printf("  - %s\n", json_string_value(x));
}

static void
print_rediscover(const json_t *r)
{
	printf(json_is_true(json_object_get(r, "started"))
	           ? "reading the directory now\n"
	           : "a read is already running; another follows it\n");
}

static void
print_reload(const json_t *r)
{
	printf("reloaded %s\n", str(r, "config", "the configuration"));
}

/* ---- commands ------------------------------------------------------------------ */

struct command {
	const char *name;
	const char *summary;  /* one line for the command list */
	const char *synopsis; /* its arguments, for usage lines; NULL when none */
	const char *help;     /* what it does, for COMMAND --help */
	int (*run)(const struct ctx *x, const struct command *c, int argc, char **argv);
	/* For run_simple: how to print the answer as text. */
	void (*print)(const json_t *result);
};

/* Print RESULT (consumed) as --json asks or with PRINT; EXIT_OK. */
static int
show(const struct ctx *x, json_t *result, const char *array_key, void (*print)(const json_t *))
{
	if (x->json) {
		ctl_print_json(result, array_key);
	} else {
		print(result);
		json_decref(result);
	}
	return EXIT_OK;
}

/* Ask COMMAND with no arguments and print the answer. */
static int
simple(const struct ctx *x, const char *command, const char *array_key,
       void (*print)(const json_t *))
{
	json_t *result = ask(x, command, json_object());

	return result != NULL ? show(x, result, array_key, print) : EXIT_FAIL;
}

/* Parse COMMAND's only flags (LONGOPTS); -1 after a usage message. */
static int
flags(int argc, char **argv, const struct option *longopts, int *values)
{
	int opt, index;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, &index)) != -1) {
		if (opt != 0)
			return -1;
		values[index] = 1;
	}
	return optind == argc ? 0 : -1;
}

static int
run_status(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	json_t *s;
	int synced;

	(void)argc;
	(void)argv;
	s = ask(x, "status", json_object());
	if (s == NULL)
		return EXIT_FAIL;
	synced = json_is_true(json_object_get(s, "synchronized"));
	show(x, s, NULL, print_status);
	return synced ? EXIT_OK : EXIT_UNSYNC;
}

static int
run_peers(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	static const struct option longopts[] = {{"verbose", no_argument, NULL, 0},
	                                         {NULL, 0, NULL, 0}};
	int verbose[1] = {0};

	if (flags(argc, argv, longopts, verbose) < 0)
		return EXIT_USAGE;
	return simple(x, "peers", "peers", verbose[0] ? print_peers_verbose : print_peers);
}

static int
run_source(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	static const struct option longopts[] = {{"explain", no_argument, NULL, 0},
	                                         {NULL, 0, NULL, 0}};
	int explain[1] = {0};
	json_t *r;
	int synced;

	if (flags(argc, argv, longopts, explain) < 0)
		return EXIT_USAGE;
	if (explain[0]) {
		r = ask(x, "source", json_pack("{s:b}", "explain", 1));
		return r != NULL ? show(x, r, "candidates", print_explain) : EXIT_FAIL;
	}
	r = ask(x, "source", json_object());
	if (r == NULL)
		return EXIT_FAIL;
	synced = json_is_true(json_object_get(r, "synchronized"));
	show(x, r, NULL, print_source);
	return synced ? EXIT_OK : EXIT_UNSYNC;
}

static void
print_metrics(const json_t *m)
{
	fputs(str(m, "text", ""), stdout);
}

/* A command with no arguments whose answer is printed as it is. */
static int
run_simple(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)argv;
	return argc == 1 ? simple(x, c->name, NULL, c->print) : EXIT_USAGE;
}

/* A non-negative number of seconds from an option, or -1. */
static double
seconds_arg(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	return *end == '\0' && end != s && v >= 0.0 && v <= 1e9 ? v : -1.0;
}

/*
 * The error bound of a status answer: what the clock may be off by, as
 * chronyc waitsync reckons it (root delay / 2 + root dispersion + the last
 * offset's size).
 */
static double
max_error_of(const json_t *s)
{
	double offset = json_is_number(json_object_get(s, "offset")) ? fabs(num(s, "offset")) : 0.0;

	return num(s, "root_delay") / 2.0 + num(s, "root_dispersion") + offset;
}

static int
run_waitsync(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	static const struct option longopts[] = {
	    {"timeout", required_argument, NULL, 't'},
	    {"max-error", required_argument, NULL, 'e'},
	    {"interval", required_argument, NULL, 'i'},
	    {NULL, 0, NULL, 0},
	};
	double timeout = 0.0, max_error = 0.0, interval = 1.0, deadline, err = NAN, left, nap;
	char *last_error = NULL;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		double v = optarg != NULL ? seconds_arg(optarg) : -1.0;

		if (v < 0.0)
			return EXIT_USAGE;
		if (opt == 't')
			timeout = v;
		else if (opt == 'e')
			max_error = v;
		else
			interval = fmax(v, 0.01);
	}
	if (optind != argc)
		return EXIT_USAGE;
	deadline = clk_monotonic_seconds() + timeout;
	for (;;) {
		json_t *s = call(x, "status", json_object(), &last_error);

		if (s != NULL) {
			err = max_error_of(s);
			if (json_is_true(json_object_get(s, "synchronized")) &&
			    (max_error <= 0.0 || err <= max_error)) {
				if (x->json)
					ctl_print_json(json_pack("{s:b, s:f}", "synchronized", 1,
					                         "max_error", err),
					               NULL);
				json_decref(s);
				return EXIT_OK;
			}
			free(last_error);
			last_error = xstrdup(str(s, "reason", str(s, "state", "unsynchronised")));
			json_decref(s);
		}
		left = timeout > 0.0 ? deadline - clk_monotonic_seconds() : interval;
		if (left <= 0.0)
			break;
		nap = fmin(interval, left);
		nanosleep(&(struct timespec){(time_t)nap, (long)((nap - floor(nap)) * 1e9)}, NULL);
		free(last_error);
		last_error = NULL;
	}
	if (x->json) {
		ctl_print_json(json_pack("{s:b, s:o, s:s}", "synchronized", 0, "max_error",
		                         isfinite(err) ? json_real(err) : json_null(), "error",
		                         last_error != NULL ? last_error : "timed out"),
		               NULL);
	} else {
		fprintf(stderr, "domtimectl: not synchronised after %g s: %s\n", timeout,
		        last_error != NULL ? last_error : "timed out");
	}
	free(last_error);
	return EXIT_UNSYNC;
}

/* monitor: the DC list from the daemon, then each DC asked directly. */
static int
run_monitor(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	json_t *h = ask(x, "hierarchy", json_object());
	int rc;

	if (h == NULL)
		return EXIT_FAIL;
	rc = monitor_main(argc, argv, h, x->json);
	json_decref(h);
	return rc;
}

static int
run_stripchart(const struct ctx *x, const struct command *c, int argc, char **argv)
{
	(void)c;
	return stripchart_main(argc, argv, x->json);
}

static const struct command commands[] = {
    {.name = "status",
     .summary = "the clock's state and, when unsynchronised, why",
     .help = "The clock's state, as w32tm /query /status /verbose, with the reason when it is "
             "not synchronised or something is degraded. Exit status 3 when unsynchronised.",
     .run = run_status},
    {.name = "peers",
     .summary = "every source, one line each (chronyc sources)",
     .synopsis = "[--verbose]",
     .help = "Every source, one line each as chronyc sources (state: selected '*', candidate "
             "'+', outlier '-', falseticker 'x'; anything else is why it is not used); "
             "--verbose gives w32tm /query /peers blocks.",
     .run = run_peers},
    {.name = "source",
     .summary = "the source the clock follows now; --explain: every candidate",
     .synopsis = "[--explain]",
     .help = "The source the clock follows now (w32tm /query /source); exit status 3 when it "
             "follows none. --explain lists every domain time source candidate: locator "
             "step, score, verdict and why.",
     .run = run_source},
    {.name = "waitsync",
     .summary = "wait until the clock is synchronised",
     .synopsis = "[--timeout S] [--max-error S] [--interval S]",
     .help = "Wait until the clock is synchronised (and, with --max-error, its error bound is "
             "below S seconds), asking every --interval seconds (default 1). Exit status 0 "
             "once it is, 3 after --timeout seconds (default 0: wait for ever), as chronyc "
             "waitsync.",
     .run = run_waitsync},
    {.name = "hierarchy",
     .summary = "the forest as read from the directory",
     .help = "The forest as read from the directory, and this machine's place in it.",
     .run = run_simple,
     .print = print_hierarchy},
    {.name = "monitor",
     .summary = "ask every DC of a domain for the time (w32tm /monitor)",
     .synopsis = "[--domain D] [--port P]",
     .help = "Ask every DC of a domain for the time, as w32tm /monitor (names resolved "
             "through the daemon's dns_server when it has one).",
     .run = run_monitor},
    {.name = "counters",
     .summary = "NTP packets received, answered and dropped",
     .help = "NTP packets received, answered and dropped by reason.",
     .run = run_simple,
     .print = print_counters},
    {.name = "metrics",
     .summary = "every counter and gauge, OpenMetrics text",
     .help = "Every counter and gauge in the OpenMetrics text format (what metrics_listen "
             "serves over HTTP).",
     .run = run_simple,
     .print = print_metrics},
    {.name = "resync",
     .summary = "poll every source now (root only)",
     .help = "Poll every source now, in a burst (root only).",
     .run = run_simple,
     .print = print_resync},
    {.name = "reload",
     .summary = "re-read the configuration file (root only)",
     .help = "Re-read the configuration file (root only).",
     .run = run_simple,
     .print = print_reload},
    {.name = "rediscover",
     .summary = "read the directory again now (root only)",
     .help = "Read the directory again now (root only).",
     .run = run_simple,
     .print = print_rediscover},
    {.name = "stripchart",
     .summary = "measure a server directly (w32tm /stripchart)",
     .synopsis = "HOST[:PORT] [--samples N] [--period S]",
     .help = "Measure a server directly, as w32tm /stripchart (no daemon needed).",
     .run = run_stripchart},
};

static const char *
synopsis(const struct command *c)
{
	return c->synopsis != NULL ? c->synopsis : "";
}

static void
usage(FILE *out)
{
	fprintf(out, "usage: domtimectl [-s SOCKET] [-t SECONDS] [--json] COMMAND [ARGS]\n"
	             "\nCommands (COMMAND --help says more):\n");
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n"
	             "  -s, --socket PATH     control socket (default " DEFAULT_SOCKET ")\n"
	             "  -t, --timeout SECONDS give up on a request after this long (default 10)\n"
	             "  -j, --json            machine-readable output, errors included\n"
	             "  -h, --help            this text\n"
	             "  -V, --version         print the version\n"
	             "\nExit status: 0 success, 1 failure, 2 usage error, 3 not synchronised.\n");
}

/* COMMAND --help: its synopsis and what it does, wrapped at 78 columns. */
static void
command_help(const struct command *c)
{
	const char *p = c->help;
	int col = 0;

	printf("usage: domtimectl [OPTIONS] %s%s%s\n\n", c->name, c->synopsis != NULL ? " " : "",
	       synopsis(c));
	while (*p != '\0') {
		size_t word = strcspn(p, " ");

		if (col > 0 && col + 1 + (int)word > 78) {
			putchar('\n');
			col = 0;
		} else if (col > 0) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)word, p);
		col += (int)word;
		p += word;
		p += strspn(p, " ");
	}
	putchar('\n');
}

static const struct command *
find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* Take --json (and -j) and --help (-h) out of ARGV wherever they are; returns the new argc. */
static int
take_flag(int argc, char **argv, const char *lng, const char *shrt, int *ret)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], lng) == 0 || strcmp(argv[i], shrt) == 0) {
			*ret = 1;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		}
	}
	return argc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},  {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'}, {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
	};
	struct ctx x = {.path = DEFAULT_SOCKET, .timeout = DEFAULT_TIMEOUT};
	const struct command *cmd;
	int opt, help = 0, rc;

	/* A daemon that hangs up mid-request is an error to report, not a signal to die of. */
	signal(SIGPIPE, SIG_IGN);
	while ((opt = getopt_long(argc, argv, "+s:jt:hV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			x.path = optarg;
			break;
		case 'j':
			x.json = 1;
			break;
		case 't':
			x.timeout = seconds_arg(optarg);
			if (x.timeout <= 0.0) {
				fprintf(stderr, "domtimectl: bad timeout '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("domtimectl %s\n", DOMTIMED_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		usage(stderr);
		return EXIT_USAGE;
	}
	/* "domtimectl status --json" as well as "domtimectl --json status". */
	argc = take_flag(argc, argv, "--json", "-j", &x.json);
	argc = take_flag(argc, argv, "--help", "-h", &help);
	cmd = find_command(argv[0]);
	if (cmd == NULL) {
		char *error = xasprintf("unknown command '%s'", argv[0]);

		if (!x.json)
			usage(stderr);
		report(&x, error);
		free(error);
		return EXIT_USAGE;
	}
	if (help) {
		command_help(cmd);
		return EXIT_OK;
	}
	rc = cmd->run(&x, cmd, argc, argv);
	if (rc == EXIT_USAGE)
		ctl_report_error(x.json, "usage: domtimectl %s%s%s", cmd->name,
		                 cmd->synopsis != NULL ? " " : "", synopsis(cmd));
	return rc;
}

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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "ctl_proto.h"
#include "monitor.h"
#include "stripchart.h"

#define DEFAULT_SOCKET "/run/domtimed/domtimed.sock"

static void
usage(FILE *out)
{
	fprintf(out, "usage: domtimectl [-s SOCKET] [--json] COMMAND [ARGS]\n"
		     "\n"
		     "Commands:\n"
		     "  status      the clock's state, as w32tm /query /status /verbose\n"
		     "  peers       every source and what selection made of it (w32tm /query /peers)\n"
		     "  source      the source the clock follows now (w32tm /query /source)\n"
		     "  source --explain\n"
		     "              every domain time source candidate: locator step, score,\n"
		     "              verdict and why\n"
		     "  hierarchy   the forest as read from the directory, and this machine's place\n"
		     "  monitor [--domain D] [--port P]\n"
		     "              ask every DC of a domain for the time, as w32tm /monitor\n"
		     "  counters    NTP packets received, answered and dropped by reason\n"
		     "  resync      poll every source now, in a burst (root only)\n"
		     "  reload      re-read the configuration file (root only)\n"
		     "  rediscover  read the directory again now (root only)\n"
		     "  stripchart HOST[:PORT] [--samples N] [--period S]\n"
		     "              measure a server directly, as w32tm /stripchart (no daemon needed)\n"
		     "\n"
		     "  -s, --socket PATH  control socket (default " DEFAULT_SOCKET ")\n"
		     "  -j, --json         machine-readable output\n"
		     "  -h, --help         this text\n"
		     "  -V, --version      print the version\n");
}

/* ---- talking to the daemon --------------------------------------------------- */

/* Move all LEN octets, across short reads or writes and interruptions. */
static int
io_all(int fd, char *buf, size_t len, int writing)
{
	while (len > 0) {
		ssize_t n = writing ? write(fd, buf, len) : read(fd, buf, len);

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
connect_to(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "domtimectl: socket path too long: %s\n", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "domtimectl: cannot reach domtimed at %s: %s\n", path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Send COMMAND with ARGS (consumed) and return the "result", or NULL after saying why. */
static json_t *
call(const char *path, const char *command, json_t *args)
{
	json_t *req = json_pack("{s:i, s:s, s:o}", "version", CTL_PROTOCOL_VERSION, "command",
				command, "args", args);
	unsigned char prefix[4];
	json_t *reply = NULL, *result = NULL;
	json_error_t jerr;
	size_t len;
	char *frame = ctl_encode_frame(req, CTL_MAX_REQUEST, &len), *body = NULL;
	int fd = connect_to(path);
	uint32_t n;

	json_decref(req);
	if (fd < 0 || frame == NULL)
		goto out;
	if (io_all(fd, frame, len, 1) < 0 || io_all(fd, (char *)prefix, 4, 0) < 0) {
		fprintf(stderr, "domtimectl: connection to domtimed lost\n");
		goto out;
	}
	n = ctl_frame_length(prefix);
	if (n > CTL_MAX_RESPONSE) {
		fprintf(stderr, "domtimectl: response too large (%u bytes)\n", n);
		goto out;
	}
	body = xmalloc(n);
	if (io_all(fd, body, n, 0) < 0) {
		fprintf(stderr, "domtimectl: response cut short\n");
		goto out;
	}
	reply = json_loadb(body, n, 0, &jerr);
	if (!json_is_object(reply)) {
		fprintf(stderr, "domtimectl: response is not JSON: %s\n", jerr.text);
		goto out;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		const char *err = json_string_value(json_object_get(reply, "error"));

		fprintf(stderr, "domtimectl: %s\n", err ? err : "request failed");
		goto out;
	}
	result = json_incref(json_object_get(reply, "result"));
out:
	json_decref(reply);
	free(body);
	free(frame);
	if (fd >= 0)
		close(fd);
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
					   "last minute has 59 seconds",
					   "not synchronized"};

	return leap >= 0 && leap <= 3 ? text[leap] : "?";
}

/* MS-SNTP as a client (M) and as a DC signing for Windows clients (SRV). */
static void
print_mssntp(const json_t *m, const json_t *srv)
{
	if (json_is_object(m))
		printf("MS-SNTP: %s, key %s, %lld verified, %lld failed\n", str(m, "mode", "?"),
		       str(m, "key", "?"), (long long)json_integer_value(json_object_get(m, "verified")),
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
	if (json_is_string(json_object_get(s, "message")))
		printf("Why: %s\n", str(s, "message", ""));
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

	json_object_foreach((json_t *)o, key, v) {
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

/* ---- main ------------------------------------------------------------------------- */

struct command {
	const char *name;
	void (*print)(const json_t *result);
};

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
	printf("Authentication: %s", str(p, "auth", "none"));
	if (json_is_string(json_object_get(p, "auth_reason")))
		printf(" (%s)", str(p, "auth_reason", ""));
	printf("\n");
	printf("Last Error: %s\n", str(p, "last_error", "none"));
}

static void
print_peers(const json_t *a)
{
	size_t i;
	json_t *p;

	printf("#Peers: %zu\n", json_array_size(a));
	json_array_foreach((json_t *)a, i, p)
		print_peer(p);
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

/* Commands that ask the daemon one question and print its answer. */
static const struct command commands[] = {
	{"status", print_status},       {"peers", print_peers},
	{"source", print_source},       {"hierarchy", print_hierarchy},
	{"counters", print_counters},   {"resync", print_resync},
	{"reload", print_reload},       {"rediscover", print_rediscover},
};

static void
print_result(const json_t *result, int json, void (*print)(const json_t *))
{
	if (json) {
		char *text = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);

		puts(text ? text : "null");
		free(text);
	} else {
		print(result);
	}
}

/* monitor: the DC list from the daemon, then each DC asked directly. */
static int
monitor(const char *path, int argc, char **argv, int json)
{
	json_t *h = call(path, "hierarchy", json_object());
	int rc;

	if (h == NULL)
		return 1;
	rc = monitor_main(argc, argv, h, json);
	json_decref(h);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},         {"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *path = DEFAULT_SOCKET;
	const struct command *cmd = NULL;
	void (*print)(const json_t *) = NULL;
	json_t *result;
	int explain = 0;
	int json = 0, opt;

	while ((opt = getopt_long(argc, argv, "+s:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'j':
			json = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("domtimectl %s\n", DOMTIMED_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	/* Allow "domtimectl status --json" as well as "domtimectl --json status". */
	for (int i = optind + 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			json = 1;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		}
	}
	if (argc - optind < 1) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "stripchart") == 0)
		return stripchart_main(argc - optind, argv + optind, json);
	if (strcmp(argv[optind], "monitor") == 0)
		return monitor(path, argc - optind, argv + optind, json);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[optind]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "domtimectl: unknown command '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* The one option a daemon command takes: source --explain. */
	if (argc - optind == 2 && strcmp(cmd->name, "source") == 0 &&
	    strcmp(argv[optind + 1], "--explain") == 0) {
		explain = 1;
		print = print_explain;
	} else if (argc - optind != 1) {
		usage(stderr);
		return 2;
	}
	result = call(path, cmd->name,
		      explain ? json_pack("{s:b}", "explain", 1) : json_object());
	if (result == NULL)
		return 1;
	print_result(result, json, print != NULL ? print : cmd->print);
	json_decref(result);
	return 0;
}

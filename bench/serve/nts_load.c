/*
 * nts_load - NTS (RFC 8915) load generator for bench/serve/nts.sh.
 *
 * One key exchange with the server (our own client, ntp/nts_ke.c: TLS 1.3,
 * ALPN ntske/1, certificate checked against --ca, keys exported from the TLS
 * session), then NTS-authenticated NTPv4 requests built and checked by
 * ntp/nts.c, the code domtimed's NTS client runs. Every request carries a
 * fresh unique identifier (slot number, sequence number, random tail) and a
 * cookie from the pool; its placeholders ask for as many extra cookies as
 * keep the pool at the window plus a margin, so that it refills itself after
 * losses. Answers are matched by their identifier; every --verify-every'th
 * one is authenticated (AES-SIV under the server-to-client key) and the
 * cookies inside join the pool; the others are only matched, and the cookie
 * they spent goes back to the pool: servers do not track cookies, so their
 * work is the same, and opening every answer costs the generator about what
 * the answer cost the server. An answer that fails authentication, a KoD
 * (NTSN) or an unknown identifier counts as bad.
 *
 * Modes: --saturate keeps --window requests in flight as fast as answers come
 * back (unanswered ones are written off after --expire ms); --rate R sends R
 * requests/s on a 1 ms grid. One key=value line on stdout at the end.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../ntp/nts.h"

#define MAX_WINDOW 4096
#define POOL_SIZE (MAX_WINDOW * NTS_MAX_COOKIES)
#define POOL_MARGIN 64
#define PKT_SIZE 2048

struct slot {
	int busy;
	double sent;
	unsigned placeholders;
	uint8_t uid[NTS_UID_LEN];
	struct nts_cookie cookie;
};

struct gen {
	int fd;
	struct nts_ke_result ke;
	struct slot *slots;
	unsigned n_slots, in_flight, verify_every;
	unsigned *free_slots, n_free;
	struct nts_cookie *pool, last; /* last: the cookie sent last */
	size_t n_pool, owned; /* owned: in the pool plus what answers in flight will bring */
	uint64_t seq, sent, answered, verified, bad, lost, reused;
	uint8_t uid_tail[NTS_UID_LEN];
};

static const char *progname = "nts_load";

static double
now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void __attribute__((noreturn)) die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, why);
	exit(2);
}

/* ---- key exchange, once, through the daemon's own client --------------------------- */

struct ke_wait {
	struct event_base *base;
	struct nts_ke_result res;
	const char *error;
	int done;
};

static void
on_ke(const struct nts_ke_result *res, const char *error, void *arg)
{
	struct ke_wait *w = arg;

	w->done = 1;
	if (res)
		w->res = *res;
	else
		w->error = strdup(error ? error : "failed");
	event_base_loopbreak(w->base);
}

static void
key_exchange(const char *host, int port, const char *ca, struct nts_ke_result *ret)
{
	struct ke_wait w = {.base = event_base_new()};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct nts_ke *ke;

	if (!w.base)
		die("event_base_new", "failed");
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		die(host, "not an IPv4 address");
	ke = nts_ke_start(w.base, (struct sockaddr *)&sin, sizeof sin, host, ca, 5.0, on_ke, &w);
	while (!w.done)
		event_base_loop(w.base, EVLOOP_ONCE);
	nts_ke_free(ke);
	event_base_free(w.base);
	if (!w.done || w.error)
		die("NTS key exchange", w.error ? w.error : "no answer");
	*ret = w.res;
}

/* ---- requests and answers ----------------------------------------------------------- */

static void
pool_put(struct gen *g, const struct nts_cookie *c)
{
	if (g->n_pool < POOL_SIZE)
		g->pool[g->n_pool++] = *c;
}

/* Send one request from a free slot; 0 when no slot is free. */
static int
send_one(struct gen *g, double t)
{
	uint8_t pkt[PKT_SIZE] = {0x23}; /* LI 0, NTPv4, client */
	struct slot *s;
	unsigned idx;
	size_t len, want;

	if (g->n_free == 0 || (g->n_pool == 0 && g->in_flight > 0)) /* answers bring cookies */
		return 0;
	idx = g->free_slots[--g->n_free];
	s = &g->slots[idx];
	if (g->n_pool > 0) {
		g->last = g->pool[--g->n_pool];
	} else { /* every cookie lost: reuse the last one sent */
		g->reused++;
		g->owned++;
	}
	g->owned--;
	s->cookie = g->last;
	want = (size_t)g->n_slots + POOL_MARGIN;
	s->placeholders = 0;
	while (s->placeholders < NTS_MAX_COOKIES - 1 && g->owned + 1 + s->placeholders < want)
		s->placeholders++;
	g->owned += 1 + s->placeholders;
	memcpy(s->uid, g->uid_tail, NTS_UID_LEN);
	memcpy(s->uid, &idx, sizeof idx);
	memcpy(s->uid + sizeof idx, &g->seq, sizeof g->seq);
	memcpy(pkt + 40, &g->seq, sizeof g->seq); /* transmit timestamp: unique too */
	g->seq++;
	len =
	    nts_build_request(pkt, 48, sizeof pkt, s->uid, &s->cookie, s->placeholders, g->ke.c2s);
	if (len == 0)
		die("nts_build_request", "request does not fit");
	if (send(g->fd, pkt, len, 0) < 0) {
		if (errno != ENOBUFS && errno != EAGAIN)
			die("send", strerror(errno));
		g->free_slots[g->n_free++] = idx; /* not sent: the cookie is still ours */
		pool_put(g, &s->cookie);
		g->owned -= s->placeholders;
		return 0;
	}
	s->busy = 1;
	s->sent = t;
	g->in_flight++;
	g->sent++;
	return 1;
}

static void
release(struct gen *g, unsigned idx)
{
	g->slots[idx].busy = 0;
	g->free_slots[g->n_free++] = idx;
	g->in_flight--;
}

/*
 * The request an answer is for: a server-mode answer, not a KoD (stratum 0,
 * e.g. NTSN), whose first extension field echoes the identifier we sent.
 */
static struct slot *
match(struct gen *g, const uint8_t *pkt, size_t len, unsigned *ret_idx)
{
	unsigned idx;

	if (len < 48 + 4 + NTS_UID_LEN || (pkt[0] & 7) != 4 || pkt[1] == 0 ||
	    nts_get16(pkt + 48) != NTS_EF_UID || nts_get16(pkt + 50) != 4 + NTS_UID_LEN)
		return NULL;
	memcpy(&idx, pkt + 52, sizeof idx);
	if (idx >= g->n_slots || !g->slots[idx].busy ||
	    memcmp(pkt + 52, g->slots[idx].uid, NTS_UID_LEN) != 0)
		return NULL;
	*ret_idx = idx;
	return &g->slots[idx];
}

static void
on_answer(struct gen *g, const uint8_t *pkt, size_t len)
{
	struct nts_cookie got[NTS_MAX_COOKIES];
	const char *error = "";
	struct slot *s;
	unsigned idx;
	size_t n = 0, i;

	s = match(g, pkt, len, &idx);
	if (!s) {
		g->bad++;
		return;
	}
	g->owned -= 1 + s->placeholders;
	if (g->verify_every && g->answered % g->verify_every == 0) {
		if (nts_check_reply(pkt, len, s->uid, g->ke.s2c, got, &n, &error) != NTS_OK) {
			if (g->bad++ == 0)
				fprintf(stderr, "%s: bad answer: %s\n", progname, error);
			release(g, idx);
			return;
		}
		g->verified++;
		for (i = 0; i < n; i++)
			pool_put(g, &got[i]);
		g->owned += n;
	} else {
		pool_put(g, &s->cookie);
		g->owned++;
	}
	g->answered++;
	release(g, idx);
}

static void
receive_all(struct gen *g)
{
	uint8_t pkt[PKT_SIZE];
	ssize_t n;

	while ((n = recv(g->fd, pkt, sizeof pkt, MSG_DONTWAIT)) >= 0)
		on_answer(g, pkt, (size_t)n);
	if (errno != EAGAIN && errno != ECONNREFUSED)
		die("recv", strerror(errno));
}

static void
expire(struct gen *g, double t, double expire_s)
{
	unsigned i;

	for (i = 0; i < g->n_slots; i++) {
		if (g->slots[i].busy && t - g->slots[i].sent > expire_s) {
			g->lost++;
			g->owned -= 1 + g->slots[i].placeholders;
			release(g, i);
		}
	}
}

/* ---- the run ------------------------------------------------------------------------ */

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	        "usage: %s [--saturate | --rate R] [--duration S] [--window W] [--expire MS]\n"
	        "       [--verify-every N] [--ke-port P] [--ntp-port P] [--ca FILE] IPV4\n",
	        progname);
	exit(code);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {{"saturate", no_argument, NULL, 's'},
	                                     {"rate", required_argument, NULL, 'r'},
	                                     {"duration", required_argument, NULL, 'd'},
	                                     {"window", required_argument, NULL, 'w'},
	                                     {"expire", required_argument, NULL, 'e'},
	                                     {"verify-every", required_argument, NULL, 'v'},
	                                     {"ke-port", required_argument, NULL, 'k'},
	                                     {"ntp-port", required_argument, NULL, 'n'},
	                                     {"ca", required_argument, NULL, 'c'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct gen g = {.verify_every = 1};
	double rate = 0, duration = 1, expire_ms = 200, t0, t, c0, next_expire;
	int saturate = 0, ke_port = NTS_KE_PORT, ntp_port = 0, opt;
	unsigned window = 64, i;
	const char *ca = NULL;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	FILE *rnd;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			saturate = 1;
			break;
		case 'r':
			rate = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'w':
			window = (unsigned)atoi(optarg);
			break;
		case 'e':
			expire_ms = atof(optarg);
			break;
		case 'v':
			g.verify_every = (unsigned)atoi(optarg);
			break;
		case 'k':
			ke_port = atoi(optarg);
			break;
		case 'n':
			ntp_port = atoi(optarg);
			break;
		case 'c':
			ca = optarg;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc - 1 || saturate == (rate > 0) || window < 1 || window > MAX_WINDOW ||
	    duration <= 0 || g.verify_every < 1)
		usage(2);
	if (!saturate)
		window = MAX_WINDOW; /* open loop: the window only bounds the bookkeeping */

	key_exchange(argv[optind], ke_port, ca, &g.ke);
	rnd = fopen("/dev/urandom", "rb");
	if (!rnd || fread(g.uid_tail, 1, sizeof g.uid_tail, rnd) != sizeof g.uid_tail)
		die("/dev/urandom", "unreadable");
	fclose(rnd);

	g.n_slots = window;
	g.slots = calloc(window, sizeof *g.slots);
	g.free_slots = calloc(window, sizeof *g.free_slots);
	g.pool = calloc(POOL_SIZE, sizeof *g.pool);
	if (!g.slots || !g.free_slots || !g.pool)
		die("calloc", "out of memory");
	for (i = 0; i < window; i++)
		g.free_slots[g.n_free++] = window - 1 - i;
	for (i = 0; i < g.ke.n_cookies; i++)
		pool_put(&g, &g.ke.cookies[i]);
	g.owned = g.n_pool;

	/* The NTP server: the one the key exchange named if it named a port, else --ntp-port. */
	sin.sin_port = htons((uint16_t)(ntp_port ? ntp_port : g.ke.port));
	if (g.ke.server[0] && strcmp(g.ke.server, argv[optind]) != 0)
		die("key exchange names another server", g.ke.server);
	inet_pton(AF_INET, argv[optind], &sin.sin_addr);
	g.fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (g.fd < 0 || connect(g.fd, (struct sockaddr *)&sin, sizeof sin) < 0)
		die("socket", strerror(errno));

	t0 = now();
	c0 = cpu_seconds();
	next_expire = t0 + 0.01;
	for (t = t0; t < t0 + duration; t = now()) {
		struct pollfd pfd = {.fd = g.fd, .events = POLLIN};
		uint64_t due = saturate ? UINT64_MAX : (uint64_t)((t - t0) * rate);

		while (g.sent < due && send_one(&g, t))
			;
		if (poll(&pfd, 1, 1) > 0)
			receive_all(&g);
		if (t >= next_expire) {
			expire(&g, t, expire_ms / 1e3);
			next_expire = t + 0.01;
		}
	}
	t = now() - t0;
	receive_all(&g);
	printf("mode=%s sent=%" PRIu64 " answered=%" PRIu64 " answered_per_s=%.0f verified=%" PRIu64
	       " bad=%" PRIu64 " lost=%" PRIu64 " in_flight=%u cookie_reuse=%" PRIu64
	       " elapsed=%.3f loadgen_cpu_pct=%.1f\n",
	       saturate ? "saturate" : "rate", g.sent, g.answered, g.answered / t, g.verified,
	       g.bad, g.lost, g.in_flight, g.reused, t, (cpu_seconds() - c0) * 100 / t);
	return g.bad ? 1 : 0;
}

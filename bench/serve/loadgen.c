/*
 * loadgen - NTP server load generator for the bench/serve benchmark.
 *
 * Sends data-minimised NTPv4 client requests (48 bytes, mode 3, everything
 * zero except LI/VN/mode and a 64-bit transmit cookie) to one server on
 * loopback, from many source addresses in 127.0.0.0/8, and checks every
 * reply: its size, its mode, its source, the address it was sent to, and
 * that its origin timestamp is a cookie we sent and that was not answered
 * before.  At the end it prints one machine-readable line of key=value pairs
 * on stdout; diagnostics go to stderr.
 *
 * Source addresses: one unconnected UDP socket bound to INADDR_ANY, and an
 * IP_PKTINFO control message on every request whose ipi_spec_dst picks the
 * source address.  Every address in 127.0.0.0/8 is local on Linux (the
 * "local 127.0.0.0/8 dev lo" route), so no address has to be configured and
 * no IP_FREEBIND is needed, and the replies to any 127.x.y.z come back to
 * this one socket, with IP_PKTINFO telling which address each was sent to.
 * An unconnected socket does a route lookup per packet anyway, so the control
 * message adds only its parsing.  The alternatives need a socket per address
 * (100,000 for the RSS test) and cannot batch across addresses.
 *
 * Cost: ~3-4 us of generator CPU per answered request, nearly all kernel:
 * udp_sendmsg, and the loopback delivery into the server's socket, which
 * runs in softirq on the sending core and so is charged to the generator,
 * not the server (the server pays, symmetrically, for delivering its replies
 * to us).  One core therefore offers at most ~250,000-320,000 requests/s.
 * (Writing whole frames to an AF_PACKET socket on lo was tried: ~35% more
 * offered load, but it needs route_localnet, i.e. a private network
 * namespace, and gave no steadier saturation figures, so it is not used.)
 *
 * Cookies: request number "seq" counts up from 0; the transmit timestamp is a
 * keyed bijection of seq (xor, multiply by an odd constant, xorshift), so the
 * server sees random-looking values, as data-minimised clients
 * (draft-ietf-ntp-data-minimization) send, while a reply's origin timestamp
 * maps straight back to its seq.  The answered set is one bit per seq, kept
 * in 64-bit words ("slots") that also carry the time their newest request was
 * sent, for the in-flight window.
 *
 * Modes:
 *   --rate R      open loop at R requests/s, sent in batches on a fixed grid
 *                 of ticks (default 1 ms) by absolute clock_nanosleep; replies
 *                 are collected once per tick with recvmmsg, so at 50,000/s
 *                 the generator does ~3 system calls per ms, not per packet.
 *   --saturate    as fast as possible with at most --window W requests in
 *                 flight; unanswered ones are written off --expire ms after
 *                 they were sent, so that drops cannot stall the loop.  The
 *                 default W = 128 stays well inside a server socket's default
 *                 receive buffer (212992 bytes hold 256 of these requests, at
 *                 832 bytes of kernel memory each): a larger window only
 *                 makes the server's kernel drop requests, and measured
 *                 answered/s got lower and much noisier.  --window 0 is pure
 *                 open loop at the generator's own maximum rate.
 *   --probe       readiness check: one request every 100 ms until a valid
 *                 reply arrives (exit 0) or --timeout s pass (exit 1).
 */
#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NTP_LEN 48
#define RECV_LEN 512   /* NTP header plus room for extension fields */
#define MAX_BATCH 1024 /* UIO_MAXIOV: the kernel's sendmmsg/recvmmsg limit */
#define SLOT_SHIFT 6   /* 64 seqs per slot: one answered-bit word */
#define SLOT_MASK ((UINT64_C(1) << SLOT_SHIFT) - 1)
#define NS_PER_S INT64_C(1000000000)
/* 254 host bytes (.1-.254) x 256 x 255 (127.1-127.255: stay off 127.0/16) */
#define MAX_CLIENTS (254u * 256u * 255u)

enum mode { MODE_NONE, MODE_RATE, MODE_SATURATE, MODE_PROBE };

struct slot {
	uint64_t answered; /* bit i set: seq (slot << 6 | i) has been answered */
	int64_t sent_ns;   /* send time of the slot's newest request (window mode) */
};

union cmsg_space {
	/* the union aligns the buffer for struct cmsghdr */
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
};

struct gen {
	int fd;
	struct sockaddr_in server;
	uint32_t *client_addr; /* network byte order, indexed by seq % nclients */
	uint32_t nclients;
	unsigned int batch;

	/* cookie bijection keys */
	uint64_t k1, k2, minv;

	struct slot *slots;
	size_t nslots;

	/* send side: buffers reused for every batch */
	unsigned char (*spkt)[NTP_LEN];
	struct iovec *siov;
	union cmsg_space *sctl;
	struct in_pktinfo **spi; /* the IP_PKTINFO payload inside each sctl */
	struct mmsghdr *smsg;

	/* receive side */
	unsigned char (*rpkt)[RECV_LEN];
	struct iovec *riov;
	struct sockaddr_in *rname;
	union cmsg_space *rctl;
	struct mmsghdr *rmsg;

	/* counters */
	uint64_t sent;
	uint64_t answered;
	uint64_t answered_in_window; /* answered before sending stopped */
	uint64_t dup, kod, unsync, send_err;
	uint64_t bad_short, bad_src, bad_mode, bad_cookie, bad_dst, bad_xmt;

	/* in-flight window (saturate mode) */
	uint64_t retired_seq;        /* seqs below this are written off or answered */
	uint64_t answered_unretired; /* answers with seq >= retired_seq */
	uint64_t expired;            /* requests written off as lost by the window */

	int sending; /* still inside the measurement window */
};

static const char *progname = "loadgen";

static _Noreturn void
die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", progname, what, strerror(errno));
	exit(2);
}

static _Noreturn void
usage(void)
{
	fprintf(
	    stderr,
	    "usage: %s [options] ADDR:PORT\n"
	    "  --rate R          offer R requests/s (open loop, paced)\n"
	    "  --saturate        send as fast as the window allows\n"
	    "  --probe           readiness check; exit 0 on one valid reply\n"
	    "  --duration S      sending time in seconds (default 5)\n"
	    "  --clients N       distinct source addresses (default 256, max %u)\n"
	    "  --window W        saturate: max requests in flight (default 128, 0 = open loop)\n"
	    "  --expire MS       saturate: write off unanswered requests after MS ms (default 20)\n"
	    "  --batch N         messages per sendmmsg/recvmmsg (default 64, max %d)\n"
	    "  --tick-us US      rate: pacing interval in microseconds (default 1000)\n"
	    "  --drain S         wait this long for late replies after sending (default 0.2)\n"
	    "  --timeout S       probe: give up after S seconds (default 5)\n",
	    progname, MAX_CLIENTS, MAX_BATCH);
	exit(2);
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static struct timespec
ns_to_ts(int64_t ns)
{
	struct timespec ts;

	ts.tv_sec = ns / NS_PER_S;
	ts.tv_nsec = ns % NS_PER_S;
	return ts;
}

static uint64_t
get_be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void
put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (unsigned char)v;
		v >>= 8;
	}
}

/*
 * The cookie bijection.  Multiplication by an odd constant is invertible
 * modulo 2^64, and x ^= x >> 32 is its own inverse, so unmix(mix(x)) == x.
 */
#define MIX_MUL UINT64_C(0x9e3779b97f4a7c15)

static uint64_t
mix(const struct gen *g, uint64_t seq)
{
	uint64_t x = (seq ^ g->k1) * MIX_MUL;

	x ^= x >> 32;
	return x ^ g->k2;
}

static uint64_t
unmix(const struct gen *g, uint64_t cookie)
{
	uint64_t x = cookie ^ g->k2;

	x ^= x >> 32;
	return (x * g->minv) ^ g->k1;
}

static void
init_keys(struct gen *g)
{
	uint64_t k[2];
	uint64_t inv = MIX_MUL;

	if (getrandom(k, sizeof(k), 0) != (ssize_t)sizeof(k))
		die("getrandom");
	g->k1 = k[0];
	g->k2 = k[1];
	/* Newton's iteration doubles the correct low bits each step: 3 -> 96 */
	for (int i = 0; i < 5; i++)
		inv *= 2 - MIX_MUL * inv;
	g->minv = inv;
}

/*
 * Client i gets 127.B.C.D with D in 1..254 and B from 1: no .0 or .255 host
 * byte, and nothing in 127.0.0.0/16 where real local services listen.
 */
static void
init_clients(struct gen *g)
{
	g->client_addr = calloc(g->nclients, sizeof(*g->client_addr));
	if (g->client_addr == NULL)
		die("calloc");
	for (uint32_t i = 0; i < g->nclients; i++) {
		uint32_t d = 1 + i % 254;
		uint32_t r = i / 254;
		uint32_t c = r % 256;
		uint32_t b = 1 + r / 256;

		g->client_addr[i] = htonl(UINT32_C(127) << 24 | b << 16 | c << 8 | d);
	}
}

static void
init_socket(struct gen *g)
{
	struct sockaddr_in any;
	int on = 1;
	/*
	 * Large buffers so that a tick's worth of replies (rate mode sleeps
	 * between ticks) or a burst at saturation is never dropped on our side;
	 * *BUFFORCE works for root beyond net.core.rmem_max.
	 */
	int rcvbuf = 64 << 20;
	int sndbuf = 8 << 20;

	g->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->fd < 0)
		die("socket");
	if (setsockopt(g->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(g->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(g->fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)) < 0)
		(void)setsockopt(g->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* to learn which 127.x.y.z each reply was addressed to */
	if (setsockopt(g->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0)
		die("setsockopt IP_PKTINFO");
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	any.sin_addr.s_addr = htonl(INADDR_ANY);
	any.sin_port = 0;
	if (bind(g->fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		die("bind");
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		die("calloc");
	return p;
}

static void
init_buffers(struct gen *g)
{
	unsigned int n = g->batch;

	g->spkt = xcalloc(n, sizeof(*g->spkt));
	g->siov = xcalloc(n, sizeof(*g->siov));
	g->sctl = xcalloc(n, sizeof(*g->sctl));
	g->spi = xcalloc(n, sizeof(*g->spi));
	g->smsg = xcalloc(n, sizeof(*g->smsg));
	for (unsigned int i = 0; i < n; i++) {
		struct msghdr *m = &g->smsg[i].msg_hdr;
		struct cmsghdr *c;

		/* LI 0, VN 4, mode 3; all else zero until the cookie */
		g->spkt[i][0] = 0 << 6 | 4 << 3 | 3;
		g->siov[i].iov_base = g->spkt[i];
		g->siov[i].iov_len = NTP_LEN;
		m->msg_name = &g->server;
		m->msg_namelen = sizeof(g->server);
		m->msg_iov = &g->siov[i];
		m->msg_iovlen = 1;
		m->msg_control = g->sctl[i].buf;
		m->msg_controllen = CMSG_SPACE(sizeof(struct in_pktinfo));
		c = &g->sctl[i].align; /* == CMSG_FIRSTHDR(m) */
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
		g->spi[i] = (struct in_pktinfo *)(void *)CMSG_DATA(c);
	}

	g->rpkt = xcalloc(n, sizeof(*g->rpkt));
	g->riov = xcalloc(n, sizeof(*g->riov));
	g->rname = xcalloc(n, sizeof(*g->rname));
	g->rctl = xcalloc(n, sizeof(*g->rctl));
	g->rmsg = xcalloc(n, sizeof(*g->rmsg));
	for (unsigned int i = 0; i < n; i++) {
		struct msghdr *m = &g->rmsg[i].msg_hdr;

		g->riov[i].iov_base = g->rpkt[i];
		g->riov[i].iov_len = RECV_LEN;
		m->msg_name = &g->rname[i];
		m->msg_namelen = sizeof(g->rname[i]);
		m->msg_iov = &g->riov[i];
		m->msg_iovlen = 1;
		m->msg_control = g->rctl[i].buf;
		m->msg_controllen = sizeof(g->rctl[i].buf);
	}
}

/* Make slots[] cover seq; amortised doubling, so rarely on the hot path. */
static void
ensure_slot(struct gen *g, uint64_t seq)
{
	size_t need = (size_t)(seq >> SLOT_SHIFT) + 1;
	size_t n = g->nslots ? g->nslots : 1024;
	struct slot *s;

	if (need <= g->nslots)
		return;
	while (n < need)
		n *= 2;
	s = realloc(g->slots, n * sizeof(*s));
	if (s == NULL)
		die("realloc");
	memset(s + g->nslots, 0, (n - g->nslots) * sizeof(*s));
	g->slots = s;
	g->nslots = n;
}

/*
 * Send up to n requests.  Returns how many went out; a short count means the
 * kernel pushed back (ENOBUFS/EAGAIN), which is counted, not fatal, and the
 * unsent seqs are simply reused by the next call.
 */
static uint64_t
send_requests(struct gen *g, uint64_t n, int64_t now)
{
	uint64_t done = 0;

	while (done < n) {
		unsigned int k = n - done < g->batch ? (unsigned int)(n - done) : g->batch;
		int r;

		ensure_slot(g, g->sent + k - 1);
		for (unsigned int i = 0; i < k; i++) {
			uint64_t seq = g->sent + i;

			put_be64(&g->spkt[i][40], mix(g, seq));
			/* ifindex and ipi_addr stay 0 (calloc): only the source varies */
			g->spi[i]->ipi_spec_dst.s_addr = g->client_addr[seq % g->nclients];
		}
		r = sendmmsg(g->fd, g->smsg, k, 0);
		if (r < 0) {
			if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR ||
			    errno == ECONNREFUSED) {
				g->send_err++;
				return done;
			}
			die("sendmmsg");
		}
		/*
		 * A slot's time is that of its newest request: a slot filled
		 * over several refills must not expire while its last requests
		 * are still queued at the server.
		 */
		for (uint64_t sl = g->sent >> SLOT_SHIFT;
		     sl <= (g->sent + (uint64_t)r - 1) >> SLOT_SHIFT; sl++)
			g->slots[sl].sent_ns = now;
		g->sent += (uint64_t)r;
		done += (uint64_t)r;
		if ((unsigned int)r < k) {
			g->send_err++;
			return done;
		}
	}
	return done;
}

static uint32_t
reply_dst(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return pi.ipi_addr.s_addr;
		}
	}
	return 0;
}

/* Check one reply; returns 1 if it was a valid first answer to our request. */
static int
check_reply(struct gen *g, struct mmsghdr *mm)
{
	const unsigned char *p = mm->msg_hdr.msg_iov->iov_base;
	const struct sockaddr_in *from = mm->msg_hdr.msg_name;
	unsigned int len = mm->msg_len;
	uint64_t seq, bit;
	struct slot *s;

	if (len < NTP_LEN) {
		g->bad_short++;
		return 0;
	}
	if (mm->msg_hdr.msg_namelen < sizeof(*from) || from->sin_family != AF_INET ||
	    from->sin_addr.s_addr != g->server.sin_addr.s_addr ||
	    from->sin_port != g->server.sin_port) {
		g->bad_src++;
		return 0;
	}
	if ((p[0] & 7) != 4) {
		g->bad_mode++;
		return 0;
	}
	seq = unmix(g, get_be64(p + 24));
	if (seq >= g->sent) {
		g->bad_cookie++;
		return 0;
	}
	/* the reply must go back to the address the request came from */
	if (reply_dst(&mm->msg_hdr) != g->client_addr[seq % g->nclients]) {
		g->bad_dst++;
		return 0;
	}
	/* RFC 5905: a zero transmit timestamp makes a client discard the reply */
	if (get_be64(p + 40) == 0) {
		g->bad_xmt++;
		return 0;
	}
	s = &g->slots[seq >> SLOT_SHIFT];
	bit = UINT64_C(1) << (seq & SLOT_MASK);
	if (s->answered & bit) {
		g->dup++;
		return 0;
	}
	s->answered |= bit;
	if (seq >= g->retired_seq)
		g->answered_unretired++;
	/* stratum 0 is a kiss-o'-death: an answer, but not service */
	if (p[1] == 0) {
		g->kod++;
		return 0;
	}
	if ((p[0] >> 6) == 3)
		g->unsync++;
	g->answered++;
	if (g->sending)
		g->answered_in_window++;
	return 1;
}

/* Read and check every reply that is queued now.  Returns how many were read. */
static uint64_t
recv_replies(struct gen *g)
{
	uint64_t total = 0;

	for (;;) {
		int r = recvmmsg(g->fd, g->rmsg, g->batch, MSG_DONTWAIT, NULL);

		if (r < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return total;
			/* a stray ICMP error on the socket: not ours to act on */
			if (errno == ECONNREFUSED)
				continue;
			die("recvmmsg");
		}
		for (int i = 0; i < r; i++) {
			struct msghdr *m = &g->rmsg[i].msg_hdr;

			check_reply(g, &g->rmsg[i]);
			/* the kernel overwrote these; restore for the next call */
			m->msg_namelen = sizeof(g->rname[i]);
			m->msg_controllen = sizeof(g->rctl[i].buf);
		}
		total += (uint64_t)r;
		if ((unsigned int)r < g->batch)
			return total;
	}
}

/*
 * Window mode: write off requests in slots whose newest request is older than
 * expire_ns, so that packets the server dropped do not hold window space.
 * Only whole slots are retired, and never the slot still being filled.
 */
static void
expire_slots(struct gen *g, int64_t now, int64_t expire_ns)
{
	while (g->retired_seq + SLOT_MASK < g->sent) {
		struct slot *s = &g->slots[g->retired_seq >> SLOT_SHIFT];
		uint64_t got;

		if (now - s->sent_ns < expire_ns)
			break;
		got = (uint64_t)__builtin_popcountll(s->answered);
		g->answered_unretired -= got;
		g->expired += (SLOT_MASK + 1) - got;
		g->retired_seq += SLOT_MASK + 1;
	}
}

static uint64_t
in_flight(const struct gen *g)
{
	return g->sent - g->retired_seq - g->answered_unretired;
}

static uint64_t
bad_total(const struct gen *g)
{
	return g->bad_short + g->bad_src + g->bad_mode + g->bad_cookie + g->bad_dst + g->bad_xmt;
}

/* Block until the socket is readable or the absolute deadline passes. */
static void
wait_readable(struct gen *g, int64_t deadline)
{
	struct pollfd pfd = {.fd = g->fd, .events = POLLIN};
	int64_t left = deadline - mono_ns();
	struct timespec ts;

	if (left <= 0)
		return;
	ts = ns_to_ts(left);
	if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR)
		die("ppoll");
}

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int
run_probe(struct gen *g, double timeout)
{
	int64_t t0 = mono_ns();
	int64_t deadline = t0 + (int64_t)(timeout * 1e9);

	while (mono_ns() < deadline) {
		int64_t t_send = mono_ns();
		int64_t next = t_send + NS_PER_S / 10;

		if (next > deadline)
			next = deadline;
		g->sending = 1;
		send_requests(g, 1, t_send);
		while (mono_ns() < next) {
			wait_readable(g, next);
			recv_replies(g);
			if (g->answered > 0 || g->kod > 0) {
				printf("probe=ok rtt_us=%.1f waited_s=%.3f kod=%" PRIu64 "\n",
				       (double)(mono_ns() - t_send) / 1e3,
				       (double)(mono_ns() - t0) / 1e9, g->kod);
				return g->answered > 0 ? 0 : 1;
			}
		}
	}
	printf("probe=timeout sent=%" PRIu64 " bad=%" PRIu64 "\n", g->sent, bad_total(g));
	return 1;
}

static int
run_load(struct gen *g, enum mode mode, double rate, double duration, unsigned int window,
         double expire_ms, double tick_us, double drain)
{
	int64_t dur_ns = (int64_t)(duration * 1e9);
	int64_t tick_ns = (int64_t)(tick_us * 1e3);
	int64_t expire_ns = (int64_t)(expire_ms * 1e6);
	int64_t drain_ns = (int64_t)(drain * 1e9);
	/* rate mode sends exactly this many, so the offered rate is exact */
	uint64_t target = mode == MODE_RATE ? (uint64_t)(rate * duration + 0.5) : UINT64_MAX;
	double cpu0 = cpu_seconds();
	int64_t t0, t_end, t_stop, now;
	uint64_t bad;
	double elapsed, cpu;

	if (mode == MODE_RATE)
		ensure_slot(g, target);
	g->sending = 1;
	t0 = mono_ns();
	t_end = t0 + dur_ns;
	now = t0;
	for (;;) {
		if (mode == MODE_RATE) {
			/* the first request goes at t0, request k at t0 + k/rate */
			uint64_t due = (uint64_t)((double)(now - t0) * rate / 1e9) + 1;
			int64_t next;
			struct timespec ts;

			if (due > target || now >= t_end)
				due = target;
			if (due > g->sent)
				send_requests(g, due - g->sent, now);
			recv_replies(g);
			if (now >= t_end)
				break;
			/* sleep to the next tick of a fixed grid: no drift */
			next = t0 + ((now - t0) / tick_ns + 1) * tick_ns;
			if (next > t_end)
				next = t_end;
			ts = ns_to_ts(next);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		} else if (window == 0) {
			if (now >= t_end)
				break;
			send_requests(g, g->batch, now);
			recv_replies(g);
		} else {
			uint64_t got;
			uint64_t room;

			if (now >= t_end)
				break;
			expire_slots(g, now, expire_ns);
			room = window - in_flight(g);
			/*
			 * Refill in chunks of at least a quarter window, so that a
			 * trickle of replies does not turn into one sendmmsg per
			 * reply and make the generator the bottleneck.
			 */
			if (room >= window / 4 || room >= g->batch)
				send_requests(g, room, now);
			got = recv_replies(g);
			if (got == 0 && in_flight(g) >= window - window / 4) {
				int64_t wake = t_end;
				int64_t oldest;

				/* nothing to do until a reply or the oldest slot expires */
				if (g->retired_seq < g->sent) {
					oldest = g->slots[g->retired_seq >> SLOT_SHIFT].sent_ns +
					         expire_ns;
					if (oldest < wake)
						wake = oldest;
				}
				wait_readable(g, wake);
			}
		}
		now = mono_ns();
	}
	g->sending = 0;
	elapsed = (double)(now - t0) / 1e9;
	/* our own load while sending, not diluted by the idle drain below */
	cpu = cpu_seconds() - cpu0;

	/* collect late replies until all are in or the drain time is up */
	t_stop = now + drain_ns;
	while (g->answered + g->kod < g->sent && mono_ns() < t_stop) {
		wait_readable(g, t_stop);
		recv_replies(g);
	}
	recv_replies(g);
	bad = bad_total(g);

	printf("mode=%s clients=%" PRIu32 " offered_per_s=%.0f sent=%" PRIu64 " answered=%" PRIu64
	       " lost=%" PRIu64 " bad=%" PRIu64 " dup=%" PRIu64 " kod=%" PRIu64 " unsync=%" PRIu64
	       " expired=%" PRIu64 " send_err=%" PRIu64 " elapsed=%.6f"
	       " answered_per_s=%.0f loadgen_cpu_s=%.3f loadgen_cpu_pct=%.1f\n",
	       mode == MODE_RATE ? "rate" : "saturate", g->nclients, (double)g->sent / elapsed,
	       g->sent, g->answered, g->sent - g->answered - g->kod, bad, g->dup, g->kod, g->unsync,
	       g->expired, g->send_err, elapsed, (double)g->answered_in_window / elapsed, cpu,
	       100.0 * cpu / elapsed);
	if (bad > 0)
		fprintf(stderr,
		        "%s: bad replies: short=%" PRIu64 " src=%" PRIu64 " mode=%" PRIu64
		        " cookie=%" PRIu64 " dst=%" PRIu64 " xmt=%" PRIu64 "\n",
		        progname, g->bad_short, g->bad_src, g->bad_mode, g->bad_cookie, g->bad_dst,
		        g->bad_xmt);
	return 0;
}

static double
parse_num(const char *opt, const char *s, double min, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= min && v <= max)) {
		fprintf(stderr, "%s: bad value for %s: %s\n", progname, opt, s);
		exit(2);
	}
	return v;
}

static void
parse_server(struct gen *g, const char *arg)
{
	char host[64];
	const char *colon = strrchr(arg, ':');
	size_t hl;

	if (colon == NULL || (hl = (size_t)(colon - arg)) == 0 || hl >= sizeof(host))
		usage();
	memcpy(host, arg, hl);
	host[hl] = '\0';
	memset(&g->server, 0, sizeof(g->server));
	g->server.sin_family = AF_INET;
	if (inet_pton(AF_INET, host, &g->server.sin_addr) != 1)
		usage();
	g->server.sin_port = htons((uint16_t)parse_num("port", colon + 1, 1, 65535));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rate", required_argument, NULL, 'r'},
	    {"saturate", no_argument, NULL, 's'},
	    {"probe", no_argument, NULL, 'p'},
	    {"duration", required_argument, NULL, 'd'},
	    {"clients", required_argument, NULL, 'c'},
	    {"window", required_argument, NULL, 'w'},
	    {"expire", required_argument, NULL, 'e'},
	    {"batch", required_argument, NULL, 'b'},
	    {"tick-us", required_argument, NULL, 't'},
	    {"drain", required_argument, NULL, 'D'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct gen g;
	enum mode mode = MODE_NONE;
	double rate = 0, duration = 5, expire_ms = 20, tick_us = 1000, drain = 0.2, timeout = 5;
	unsigned int window = 128;
	int c;

	memset(&g, 0, sizeof(g));
	g.nclients = 256;
	g.batch = 64;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			mode = MODE_RATE;
			rate = parse_num("--rate", optarg, 1, 1e8);
			break;
		case 's':
			mode = MODE_SATURATE;
			break;
		case 'p':
			mode = MODE_PROBE;
			break;
		case 'd':
			duration = parse_num("--duration", optarg, 0.001, 86400);
			break;
		case 'c':
			g.nclients = (uint32_t)parse_num("--clients", optarg, 1, MAX_CLIENTS);
			break;
		case 'w':
			window = (unsigned int)parse_num("--window", optarg, 0, 1 << 24);
			/* only whole 64-request slots expire: a smaller window could stall */
			if (window != 0 && window < 2 * (SLOT_MASK + 1)) {
				fprintf(stderr, "%s: --window must be 0 or >= %d\n", progname,
				        (int)(2 * (SLOT_MASK + 1)));
				exit(2);
			}
			break;
		case 'e':
			expire_ms = parse_num("--expire", optarg, 0.01, 1e5);
			break;
		case 'b':
			g.batch = (unsigned int)parse_num("--batch", optarg, 1, MAX_BATCH);
			break;
		case 't':
			tick_us = parse_num("--tick-us", optarg, 10, 1e6);
			break;
		case 'D':
			drain = parse_num("--drain", optarg, 0, 60);
			break;
		case 'T':
			timeout = parse_num("--timeout", optarg, 0.001, 3600);
			break;
		default:
			usage();
		}
	}
	if (mode == MODE_NONE || optind != argc - 1)
		usage();
	parse_server(&g, argv[optind]);

	/* precise wakeups for pacing: the default 50 us slack is 5% of a tick */
	(void)prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	init_keys(&g);
	init_clients(&g);
	init_socket(&g);
	init_buffers(&g);

	if (mode == MODE_PROBE)
		return run_probe(&g, timeout);
	return run_load(&g, mode, rate, duration, window, expire_ms, tick_us, drain);
}

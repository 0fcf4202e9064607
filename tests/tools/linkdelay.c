/*
 * linkdelay: hold the packets of one NFQUEUE queue for a delay, then accept them.
 *
 * The test machines have no netem, so a link delay is emulated in user space:
 * an iptables rule on the switch side of a link sends packets to an NFQUEUE
 * queue, and this program gives each packet a release time of arrival + delay
 * (+ jitter), keeps the packet ids in a min-heap keyed on CLOCK_MONOTONIC and
 * issues NF_ACCEPT when a packet's time has come. An absolute timerfd on the
 * heap's earliest release time wakes the loop (1 ns timer slack).
 *
 * Precision: the arrival time is the kernel's receive timestamp, so our own
 * wake-up latency on arrival does not count. A release still comes some
 * 10-100 us late (wake-up from poll, more on a loaded VM, occasionally
 * milliseconds when the CPUs are busy); -S busy-waits the last microseconds
 * before a release and -r runs at real-time priority, which together bring
 * it to a few microseconds at some CPU cost. See tests/lib/netns-selftest.sh.
 *
 * Order: by default every packet draws its own delay, so with jitter larger
 * than the gap between two packets they may leave reordered (as with netem).
 * Packets due at the same instant leave in arrival order. With -o a packet is
 * never released before the one that arrived ahead of it (FIFO link), which
 * shifts the delay distribution upwards at high packet rates.
 *
 * No silent loss: if the heap is full a packet is accepted at once and counted;
 * the kernel queue is put in fail-open mode so that a full netlink socket
 * passes packets undelayed instead of dropping them (seen here as gaps in the
 * packet ids, and counted), and its length limit is twice the heap's so that
 * the heap overflows first (a full kernel queue fails open uncounted); on
 * SIGTERM/SIGINT every held packet
 * is accepted at once before the queue is released. SIGUSR1 drains instead:
 * held packets leave at their release time and the program exits when none
 * is left (for a delay change without early or undelayed packets: the caller
 * first moves the iptables rule to a new queue). Counters go to stderr at exit.
 *
 * Ready signal: the pidfile (-p) is written, and "ready" printed on stdout,
 * only once the queue is bound, so a script can wait for either.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* timerfd, signalfd, SO_RCVBUFFORCE, M_PI */
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#define NSEC_PER_SEC 1000000000ULL
#define NSEC_PER_MSEC 1000000.0
#define MAX_DELAY_MS 60000.0
#define DEFAULT_CAPACITY 16384
#define RCVBUF_BYTES (4 * 1024 * 1024)
/* Messages read per wake-up before due packets are released again. */
#define RECV_BURST 64

enum dist { DIST_UNIFORM, DIST_NORMAL };

struct held {
	uint64_t due; /* release time, CLOCK_MONOTONIC ns */
	uint64_t seq; /* arrival number: equal release times leave in arrival order */
	uint32_t id;  /* kernel packet id, the handle for the verdict */
};

struct heap {
	struct held *v;
	size_t n;
	size_t cap;
};

struct stats {
	uint64_t received;       /* packet messages read from the queue */
	uint64_t delayed;        /* accepted at their release time */
	uint64_t overflow;       /* accepted at once because the heap was full */
	uint64_t at_exit;        /* accepted early because we were told to stop */
	uint64_t failopen;       /* ids never seen: the kernel passed them undelayed */
	uint64_t enobufs;        /* netlink receive overruns reported */
	uint64_t verdict_errors; /* verdicts the kernel could not be sent */
	uint64_t nl_errors;      /* error messages from the kernel */
	uint64_t kstamped;       /* arrival time taken from the kernel's timestamp */
	uint64_t late_sum_ns;    /* release lateness, summed over delayed packets */
	uint64_t late_max_ns;
};

struct config {
	unsigned int queue;
	double delay_ms;
	double jitter_ms;
	enum dist dist;
	int keep_order;
	uint64_t spin_ns;
	int rt_prio;
	size_t capacity;
	uint64_t seed;
	int have_seed;
	const char *pidfile;
};

struct ctx {
	const struct config *cfg;
	struct nfq_q_handle *qh;
	struct heap heap;
	struct stats st;
	uint64_t rng;
	uint64_t seq;
	uint64_t last_due; /* for -o: the latest release time handed out */
	uint32_t last_id;  /* the kernel numbers a new queue's packets from 1 */
};

static void usage(const char *prog);
static uint64_t now_ns(void);
static uint64_t arrival_ns(struct ctx *c, struct nfq_data *nfa, uint64_t now);
static int enable_rx_timestamps(void);
static uint64_t rng_next(uint64_t *state);
static double rng_unit(uint64_t *state);
static uint64_t draw_delay_ns(struct ctx *c);
static int held_before(const struct held *a, const struct held *b);
static void heap_push(struct heap *h, struct held item);
static struct held heap_pop(struct heap *h);
static void accept_id(struct ctx *c, uint32_t id);
static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
                     void *data);
static int read_queue(struct ctx *c, struct nfq_handle *h, int fd, char *buf, size_t len,
                      size_t max_msgs);
static void release_due(struct ctx *c, uint64_t now);
static int spin_until_due(struct ctx *c, struct nfq_handle *h, int fd, char *buf, size_t len);
static int arm_timer(int tfd, const struct heap *h, uint64_t early_ns, uint64_t *armed);
static int write_pidfile(const char *path);
static int parse_ms(const char *s, double *out);
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out);
static void print_stats(const struct ctx *c);

static void
usage(const char *prog)
{
	fprintf(stderr,
	        "usage: %s -q QUEUE -d DELAY_MS [-j JITTER_MS] [-D uniform|normal] [-o]\n"
	        "          [-S SPIN_US] [-r RTPRIO] [-n CAPACITY] [-s SEED] [-p PIDFILE]\n"
	        "  -q QUEUE     NFQUEUE number to bind (0-65535)\n"
	        "  -d DELAY_MS  mean delay in milliseconds (fractions allowed)\n"
	        "  -j JITTER_MS uniform: delay is DELAY +- JITTER; normal: standard deviation\n"
	        "  -D DIST      jitter distribution, uniform (default) or normal (cut at 0)\n"
	        "  -o           keep arrival order (FIFO link; default: packets may reorder)\n"
	        "  -S SPIN_US   busy-wait the last SPIN_US before each release (precision\n"
	        "               for CPU: costs up to SPIN_US per release; default 0)\n"
	        "  -r RTPRIO    run SCHED_FIFO at RTPRIO (1-99) so busy CPUs do not delay\n"
	        "               releases by milliseconds\n"
	        "  -n CAPACITY  packets held at most (default %d); beyond: accepted at once\n"
	        "  -s SEED      random seed (default: from time and pid; printed at start)\n"
	        "  -p PIDFILE   written once the queue is bound (\"ready\" goes to stdout too)\n"
	        "SIGTERM, SIGINT: accept every held packet at once and exit.\n"
	        "SIGUSR1: release held packets on time, exit when none is left.\n",
	        prog, DEFAULT_CAPACITY);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * When the packet reached the switch, on CLOCK_MONOTONIC. The kernel stamps
 * it (CLOCK_REALTIME, in microseconds) if any socket asked for receive
 * timestamps, which enable_rx_timestamps() makes sure of; counting the delay
 * from there instead of from our read keeps our own wake-up latency out of
 * the delay. Without a plausible stamp, the read time is used.
 */
static uint64_t
arrival_ns(struct ctx *c, struct nfq_data *nfa, uint64_t now)
{
	struct timeval tv;
	struct timespec rt;
	uint64_t mono;
	int64_t age;

	if (nfq_get_timestamp(nfa, &tv) < 0 || clock_gettime(CLOCK_REALTIME, &rt) < 0)
		return now;
	/* Read after the real-time clock: the age can only come out short, never early. */
	mono = now_ns();
	age = ((int64_t)rt.tv_sec - (int64_t)tv.tv_sec) * (int64_t)NSEC_PER_SEC +
	      ((int64_t)rt.tv_nsec - (int64_t)tv.tv_usec * 1000);
	/* A stamp from the future or older than a second means a clock step. */
	if (age < 0 || age >= (int64_t)NSEC_PER_SEC || (uint64_t)age > mono)
		return now;
	c->st.kstamped++;
	return mono - (uint64_t)age;
}

/*
 * Receive timestamps are a global switch in the kernel, on while any socket
 * wants them: keep one such socket open (never read).
 */
static int
enable_rx_timestamps(void)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* splitmix64: small, seedable and good enough to spread test delays. */
static uint64_t
rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
rng_unit(uint64_t *state)
{
	return (double)(rng_next(state) >> 11) * 0x1.0p-53;
}

static uint64_t
draw_delay_ns(struct ctx *c)
{
	const struct config *cfg = c->cfg;
	double ms = cfg->delay_ms;

	if (cfg->jitter_ms > 0) {
		if (cfg->dist == DIST_UNIFORM) {
			ms += cfg->jitter_ms * (2.0 * rng_unit(&c->rng) - 1.0);
		} else {
			/* Box-Muller; 1 - u keeps log() away from 0. */
			double u1 = 1.0 - rng_unit(&c->rng);
			double u2 = rng_unit(&c->rng);

			ms += cfg->jitter_ms * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		}
	}
	/* A packet cannot leave before it arrived. */
	if (ms < 0)
		ms = 0;
	return (uint64_t)llround(ms * NSEC_PER_MSEC);
}

static int
held_before(const struct held *a, const struct held *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	return a->seq < b->seq;
}

static void
heap_push(struct heap *h, struct held item)
{
	size_t i = h->n++;

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!held_before(&item, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = item;
}

static struct held
heap_pop(struct heap *h)
{
	struct held top = h->v[0];
	struct held last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && held_before(&h->v[child + 1], &h->v[child]))
			child++;
		if (!held_before(&h->v[child], &last))
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	if (h->n > 0)
		h->v[i] = last;
	return top;
}

static void
accept_id(struct ctx *c, uint32_t id)
{
	if (nfq_set_verdict(c->qh, id, NF_ACCEPT, 0, NULL) < 0) {
		/* The packet stays queued in the kernel: say so, never hide it. */
		c->st.verdict_errors++;
		fprintf(stderr, "linkdelay: verdict for packet %" PRIu32 " failed: %s\n", id,
		        strerror(errno));
	}
}

static int
on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa, void *data)
{
	struct ctx *c = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	uint64_t now = now_ns();
	struct held item;
	uint32_t id;

	(void)qh;
	(void)msg;
	if (ph == NULL)
		return 0;
	id = ntohl(ph->packet_id);
	c->st.received++;
	/*
	 * The kernel numbers queued packets 1, 2, 3...; an id skipped means the
	 * kernel could not deliver that packet to us and, in fail-open mode,
	 * accepted it without delay.
	 */
	if (id != c->last_id + 1)
		c->st.failopen += (uint32_t)(id - c->last_id - 1);
	c->last_id = id;

	if (c->heap.n == c->heap.cap) {
		c->st.overflow++;
		accept_id(c, id);
		return 0;
	}
	item.due = arrival_ns(c, nfa, now) + draw_delay_ns(c);
	if (c->cfg->keep_order && item.due < c->last_due)
		item.due = c->last_due;
	if (item.due > c->last_due)
		c->last_due = item.due;
	item.seq = c->seq++;
	item.id = id;
	heap_push(&c->heap, item);
	return 0;
}

/*
 * Read up to max_msgs queue messages without blocking and hand them to
 * on_packet. Returns 0 once the socket is empty, 1 if the burst ended with
 * messages possibly left, -1 on a fatal error.
 */
static int
read_queue(struct ctx *c, struct nfq_handle *h, int fd, char *buf, size_t len, size_t max_msgs)
{
	size_t i;

	for (i = 0; i < max_msgs; i++) {
		ssize_t n = recv(fd, buf, len, MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				/* Messages were lost; fail-open passed those packets. */
				c->st.enobufs++;
				continue;
			}
			fprintf(stderr, "linkdelay: recv: %s\n", strerror(errno));
			return -1;
		}
		/* An error message, e.g. a verdict for an id the kernel no longer has. */
		if (nfq_handle_packet(h, buf, (int)n) < 0)
			c->st.nl_errors++;
	}
	return 1;
}

static void
release_due(struct ctx *c, uint64_t now)
{
	while (c->heap.n > 0 && c->heap.v[0].due <= now) {
		struct held item = heap_pop(&c->heap);
		uint64_t late = now - item.due;

		c->st.delayed++;
		c->st.late_sum_ns += late;
		if (late > c->st.late_max_ns)
			c->st.late_max_ns = late;
		accept_id(c, item.id);
	}
}

/*
 * -S: a wake-up from poll() comes some 10-100 us late (more in a VM). If the
 * next release is at most spin_ns away, wait for it busily instead, reading
 * the queue meanwhile so arrivals are still stamped at once. Bounded by
 * spin_ns per call, so signals are seen again soon after.
 */
static int
spin_until_due(struct ctx *c, struct nfq_handle *h, int fd, char *buf, size_t len)
{
	uint64_t now = now_ns();

	if (c->heap.n == 0 || (c->heap.v[0].due > now && c->heap.v[0].due - now > c->cfg->spin_ns))
		return 0;
	while (c->heap.n > 0 && (now = now_ns()) < c->heap.v[0].due) {
		if (read_queue(c, h, fd, buf, len, RECV_BURST) < 0)
			return -1;
	}
	release_due(c, now);
	return 0;
}

/*
 * Arm the timer on the earliest release time (early_ns before it, for -S);
 * skip the syscall if unchanged.
 */
static int
arm_timer(int tfd, const struct heap *h, uint64_t early_ns, uint64_t *armed)
{
	struct itimerspec its;
	uint64_t due = 0;

	if (h->n > 0)
		due = h->v[0].due > early_ns ? h->v[0].due - early_ns : 1;

	if (due == *armed)
		return 0;
	memset(&its, 0, sizeof its);
	/* A zero it_value disarms; a due time of 0 cannot occur on a running system. */
	its.it_value.tv_sec = (time_t)(due / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(due % NSEC_PER_SEC);
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0) {
		fprintf(stderr, "linkdelay: timerfd_settime: %s\n", strerror(errno));
		return -1;
	}
	*armed = due;
	return 0;
}

/* Write to a temporary name and rename, so a reader never sees a partial file. */
static int
write_pidfile(const char *path)
{
	char tmp[PATH_MAX];
	char line[32];
	int fd, len, ok;

	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
		fprintf(stderr, "linkdelay: pidfile path too long\n");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "linkdelay: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	len = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	ok = write(fd, line, (size_t)len) == len;
	if (close(fd) < 0)
		ok = 0;
	if (!ok || rename(tmp, path) < 0) {
		fprintf(stderr, "linkdelay: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
parse_ms(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !isfinite(v) || v < 0 || v > MAX_DELAY_MS)
		return -1;
	*out = v;
	return 0;
}

static int
parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static void
print_stats(const struct ctx *c)
{
	const struct stats *st = &c->st;
	struct rusage ru;
	double avg_us = st->delayed ? (double)st->late_sum_ns / (double)st->delayed / 1e3 : 0;

	memset(&ru, 0, sizeof ru);
	getrusage(RUSAGE_SELF, &ru);
	fprintf(stderr,
	        "linkdelay: queue=%u received=%" PRIu64 " delayed=%" PRIu64 " overflow=%" PRIu64
	        " at_exit=%" PRIu64 " failopen=%" PRIu64 " enobufs=%" PRIu64
	        " verdict_errors=%" PRIu64 " nl_errors=%" PRIu64 " kstamped=%" PRIu64
	        " late_avg_us=%.1f late_max_us=%.1f cpu_user_s=%ld.%06ld cpu_sys_s=%ld.%06ld\n",
	        c->cfg->queue, st->received, st->delayed, st->overflow, st->at_exit, st->failopen,
	        st->enobufs, st->verdict_errors, st->nl_errors, st->kstamped, avg_us,
	        (double)st->late_max_ns / 1e3, (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	        (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
}

int
main(int argc, char **argv)
{
	static char buf[65536];
	struct config cfg;
	struct ctx c;
	struct nfq_handle *h;
	struct pollfd pfd[3];
	sigset_t sigs;
	unsigned long long v;
	uint64_t armed = 0;
	int opt, fd, tfd, sfd, have_queue = 0, have_delay = 0, status = 0, rcvbuf, draining = 0;

	memset(&cfg, 0, sizeof cfg);
	cfg.capacity = DEFAULT_CAPACITY;
	while ((opt = getopt(argc, argv, "q:d:j:D:oS:r:n:s:p:h")) != -1) {
		switch (opt) {
		case 'q':
			if (parse_uint(optarg, 65535, &v) < 0)
				goto bad;
			cfg.queue = (unsigned int)v;
			have_queue = 1;
			break;
		case 'd':
			if (parse_ms(optarg, &cfg.delay_ms) < 0)
				goto bad;
			have_delay = 1;
			break;
		case 'j':
			if (parse_ms(optarg, &cfg.jitter_ms) < 0)
				goto bad;
			break;
		case 'D':
			if (strcmp(optarg, "uniform") == 0)
				cfg.dist = DIST_UNIFORM;
			else if (strcmp(optarg, "normal") == 0)
				cfg.dist = DIST_NORMAL;
			else
				goto bad;
			break;
		case 'o':
			cfg.keep_order = 1;
			break;
		case 'S':
			if (parse_uint(optarg, 1000000, &v) < 0)
				goto bad;
			cfg.spin_ns = (uint64_t)v * 1000;
			break;
		case 'r':
			if (parse_uint(optarg, 99, &v) < 0 || v == 0)
				goto bad;
			cfg.rt_prio = (int)v;
			break;
		case 'n':
			if (parse_uint(optarg, 1U << 24, &v) < 0 || v == 0)
				goto bad;
			cfg.capacity = (size_t)v;
			break;
		case 's':
			if (parse_uint(optarg, UINT64_MAX, &v) < 0)
				goto bad;
			cfg.seed = v;
			cfg.have_seed = 1;
			break;
		case 'p':
			cfg.pidfile = optarg;
			break;
		case 'h':
			usage(argv[0]);
			return 0;
		default:
			goto bad;
		}
	}
	if (optind != argc || !have_queue || !have_delay)
		goto bad;

	memset(&c, 0, sizeof c);
	c.cfg = &cfg;
	if (!cfg.have_seed)
		cfg.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	c.rng = cfg.seed;
	c.heap.cap = cfg.capacity;
	c.heap.v = calloc(cfg.capacity, sizeof *c.heap.v);
	if (c.heap.v == NULL) {
		fprintf(stderr, "linkdelay: out of memory\n");
		return 1;
	}

	/* The default 50 us slack would blur every release time. */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) < 0)
		fprintf(stderr, "linkdelay: PR_SET_TIMERSLACK: %s\n", strerror(errno));

	/*
	 * On a loaded machine an ordinary process can wait milliseconds for a
	 * CPU after its timer fired. Real-time priority is safe here: the loop
	 * sleeps between releases and -S spins a bounded time.
	 */
	if (cfg.rt_prio > 0) {
		struct sched_param sp;

		memset(&sp, 0, sizeof sp);
		sp.sched_priority = cfg.rt_prio;
		if (sched_setscheduler(0, SCHED_FIFO, &sp) < 0) {
			fprintf(stderr, "linkdelay: SCHED_FIFO %d: %s\n", cfg.rt_prio,
			        strerror(errno));
			return 1;
		}
	}

	/* Signals arrive through a descriptor so the loop never stops mid-update. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) < 0 ||
	    (sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		fprintf(stderr, "linkdelay: signalfd: %s\n", strerror(errno));
		return 1;
	}
	/* stdout may be a pipe whose reader left after "ready". */
	signal(SIGPIPE, SIG_IGN);

	if (enable_rx_timestamps() < 0)
		fprintf(stderr, "linkdelay: no kernel timestamps, delays count from our read: %s\n",
		        strerror(errno));

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		fprintf(stderr, "linkdelay: timerfd_create: %s\n", strerror(errno));
		return 1;
	}

	h = nfq_open();
	if (h == NULL) {
		fprintf(stderr, "linkdelay: nfq_open: %s\n", strerror(errno));
		return 1;
	}
	c.qh = nfq_create_queue(h, (uint16_t)cfg.queue, on_packet, &c);
	if (c.qh == NULL) {
		fprintf(stderr, "linkdelay: cannot bind queue %u (in use, or not root?): %s\n",
		        cfg.queue, strerror(errno));
		nfq_close(h);
		return 1;
	}
	/* Only the packet id is needed: copy no payload. */
	if (nfq_set_mode(c.qh, NFQNL_COPY_META, 0) < 0) {
		fprintf(stderr, "linkdelay: nfq_set_mode: %s\n", strerror(errno));
		status = 1;
		goto out;
	}
	if (nfq_set_queue_maxlen(c.qh, (uint32_t)(2 * cfg.capacity)) < 0)
		fprintf(stderr, "linkdelay: nfq_set_queue_maxlen: %s\n", strerror(errno));
	if (nfq_set_queue_flags(c.qh, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0)
		fprintf(stderr, "linkdelay: fail-open not supported, overruns drop: %s\n",
		        strerror(errno));
	fd = nfq_fd(h);
	rcvbuf = RCVBUF_BYTES;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);

	if (cfg.pidfile != NULL && write_pidfile(cfg.pidfile) < 0) {
		status = 1;
		goto out;
	}
	fprintf(stderr, "linkdelay: queue %u delay %.3f ms jitter %.3f ms %s%s seed %" PRIu64 "\n",
	        cfg.queue, cfg.delay_ms, cfg.jitter_ms,
	        cfg.dist == DIST_UNIFORM ? "uniform" : "normal", cfg.keep_order ? " fifo" : "",
	        cfg.seed);
	/* Close stdout after the word so a reader waiting on a pipe sees EOF too. */
	fputs("ready\n", stdout);
	fclose(stdout);

	pfd[0].fd = fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = tfd;
	pfd[1].events = POLLIN;
	pfd[2].fd = sfd;
	pfd[2].events = POLLIN;
	for (;;) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "linkdelay: poll: %s\n", strerror(errno));
			status = 1;
			break;
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
				continue;
			if (si.ssi_signo != SIGUSR1) {
				fprintf(stderr, "linkdelay: signal %u, stopping\n", si.ssi_signo);
				break;
			}
			fprintf(stderr, "linkdelay: SIGUSR1, draining\n");
			draining = 1;
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t expirations;

			/* Only clears the readiness; the heap says what is due. */
			if (read(tfd, &expirations, sizeof expirations) < 0 && errno != EAGAIN)
				fprintf(stderr, "linkdelay: timerfd read: %s\n", strerror(errno));
		}
		if ((pfd[0].revents & (POLLIN | POLLERR)) &&
		    read_queue(&c, h, fd, buf, sizeof buf, RECV_BURST) < 0) {
			status = 1;
			break;
		}
		release_due(&c, now_ns());
		if (cfg.spin_ns > 0 && spin_until_due(&c, h, fd, buf, sizeof buf) < 0) {
			status = 1;
			break;
		}
		/*
		 * Draining (SIGUSR1, sent once the iptables rule is gone): packets
		 * queued before the rule went are already in the socket, so once
		 * it and the heap are empty nothing more can come.
		 */
		if (draining) {
			if (read_queue(&c, h, fd, buf, sizeof buf, SIZE_MAX) < 0) {
				status = 1;
				break;
			}
			if (c.heap.n == 0)
				break;
		}
		if (arm_timer(tfd, &c.heap, cfg.spin_ns, &armed) < 0) {
			status = 1;
			break;
		}
	}

	/*
	 * Stop queueing first: with fail-open, a zero-length kernel queue passes
	 * every new packet straight through. Then read what is already queued and
	 * accept it all, so that unbinding (which drops whatever is left in the
	 * kernel queue) finds nothing.
	 */
	if (nfq_set_queue_maxlen(c.qh, 0) < 0)
		fprintf(stderr, "linkdelay: nfq_set_queue_maxlen 0: %s\n", strerror(errno));
	read_queue(&c, h, fd, buf, sizeof buf, SIZE_MAX);
	release_due(&c, now_ns());
	while (c.heap.n > 0) {
		struct held item = heap_pop(&c.heap);

		c.st.at_exit++;
		accept_id(&c, item.id);
	}
	print_stats(&c);
out:
	if (cfg.pidfile != NULL)
		unlink(cfg.pidfile);
	nfq_destroy_queue(c.qh);
	nfq_close(h);
	free(c.heap.v);
	return status;

bad:
	usage(argv[0]);
	return 2;
}

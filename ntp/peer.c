/*
 * peer.c - polling one server and checking its answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <event2/event.h>
#include <fcntl.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "nts.h"
#include "packet.h"
#include "peer.h"
#include "poll.h"
#include "reference.h"

/* A request unanswered this long is given up (and the socket closed). */
#define MAX_WAIT NTP_POLL_MAX_WAIT
/* MS-SNTP under auto: unanswered signed requests before asking plain, and how often to retry. */
#define AUTH_MISSES 2
#define AUTH_RETRY 16

struct ntp_peer {
	struct event_base *base;
	struct clk *clock;
	const struct timespec *epoch;
	const struct ntp_ref *self;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct ntp_peer_params params;
	const struct ntp_peer_callbacks *cb;
	void *cb_arg;

	enum ntp_peer_state state;
	struct ntp_poll sched;      /* interval and reachability */
	struct timespec next_poll;  /* monotonic */
	struct timespec refused_at; /* monotonic, of the last KoD DENY or RSTR */

	int fd;                        /* the outstanding request's socket, or -1 */
	uint64_t cookie;               /* its transmit field; 0 once answered */
	struct timespec t1;            /* our clock when it left: read before send(), then
	                                  the kernel's transmit timestamp once it arrives */
	struct sockaddr_storage local; /* our address on that socket (loop check) */
	struct event *read_ev, *poll_ev, *expire_ev;

	struct ntp_flt *flt;
	int have_sample;
	struct ntp_flt_sample last;
	struct ntp_peer_server server;
	struct ntp_peer_stats stats;
	char last_error[160];
	enum mssntp_verdict auth;     /* of the last answer, when params.auth */
	int req_signed, req_answered; /* the last request: MS-SNTP? answered? */
	unsigned signed_misses;       /* signed requests unanswered in a row */
};

static const char *const state_names[] = {
    [NTP_PEER_STARTING] = "starting",
    [NTP_PEER_OK] = "ok",
    [NTP_PEER_UNSYNCHRONISED] = "unsynchronised",
    [NTP_PEER_LOOP] = "loop",
    [NTP_PEER_UNREACHABLE] = "unreachable",
    [NTP_PEER_DENIED] = "denied",
};

const char *
ntp_peer_state_name(enum ntp_peer_state s)
{
	return ENUM_NAME(state_names, s);
}

static void __attribute__((format(printf, 2, 3)))
set_error(struct ntp_peer *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
}

static void
set_state(struct ntp_peer *p, enum ntp_peer_state s)
{
	enum ntp_peer_state old = p->state;

	if (old == s)
		return;
	p->state = s;
	if (p->cb->state != NULL)
		p->cb->state(p, old, p->cb_arg);
}

static double
epoch_seconds(const struct ntp_peer *p, const struct timespec *t)
{
	return ts_diff(t, p->epoch);
}

static void
close_request(struct ntp_peer *p)
{
	loop_event_free(&p->read_ev);
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
	p->cookie = 0;
	if (p->expire_ev != NULL)
		event_del(p->expire_ev);
}

/* ---- scheduling ------------------------------------------------------------ */

static double
poll_interval(const struct ntp_peer *p)
{
	return ntp_poll_interval(&p->sched, (p->params.flags & NTP_PEER_SPECIAL_INTERVAL)
	                                        ? p->params.special_interval
	                                        : 0.0);
}

static void
schedule(struct ntp_peer *p, double seconds)
{
	clk_monotonic(&p->next_poll);
	ts_add(&p->next_poll, seconds);
	loop_arm(p->poll_ev, seconds);
}

/* After each request: reachability, unreachable back-off. */
static void
account_poll(struct ntp_peer *p)
{
	if (ntp_poll_sent(&p->sched) && p->state != NTP_PEER_DENIED) {
		set_error(p, "no valid answer to the last 8 requests");
		set_state(p, NTP_PEER_UNREACHABLE);
	}
}

/* ---- requests -------------------------------------------------------------- */

static void on_readable(evutil_socket_t fd, short what, void *arg);

static int
open_socket(struct ntp_peer *p)
{
	socklen_t len = sizeof(p->local);
	int fd = socket(p->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int on = 1, flags;

	if (fd < 0)
		return -errno;
	/*
	 * Kernel timestamps both ways: receive (SO_TIMESTAMPNS), and transmit
	 * through the error queue, so a process preempted between reading the
	 * clock and sending does not skew T1.
	 */
	int tx =
	    SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY;

	flags = fcntl(fd, F_GETFL);
	/* connect() binds a fresh ephemeral port, which Linux picks at random. */
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &tx, sizeof(tx)) < 0 ||
	    connect(fd, (struct sockaddr *)&p->addr, p->addr_len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&p->local, &len) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/*
 * Append the MAC of a keyed source, or the NTS fields, to the header in
 * BUF: the length to send, 0 if nothing can be sent.
 */
static size_t
sign_request(struct ntp_peer *p, uint8_t *buf, size_t size)
{
	const char *why;
	size_t len;

	if (p->params.nts != NULL) {
		len = nts_session_request(p->params.nts, buf, NTP_HEADER_LEN, size, &why);
		if (len == 0)
			set_error(p, "%s", why);
		return len;
	}
	if (p->params.key_id == 0)
		return NTP_HEADER_LEN;
	if (p->params.key == NULL) {
		set_error(p, "key %" PRIu32 " is not in key_file: not polled", p->params.key_id);
		return 0;
	}
	len = ntp_key_sign(p->params.key, buf, NTP_HEADER_LEN, size);
	if (len == 0)
		set_error(p, "cannot compute the %s MAC", ntp_key_type_name(p->params.key->type));
	return len;
}

/*
 * Sign this request? Always when we can under require; under auto, stop
 * after AUTH_MISSES signed requests went unanswered in a row (a DC that
 * cannot sign drops them: better plain time than none) and try again every
 * AUTH_RETRY-th request.
 */
static int
want_signed(const struct ntp_peer *p)
{
	const struct mssntp_auth *a = p->params.auth;

	if (a == NULL || !mssntp_can_sign(a))
		return 0;
	return a->require || p->signed_misses < AUTH_MISSES || p->stats.sent % AUTH_RETRY == 0;
}

static void
send_request(struct ntp_peer *p)
{
	struct ntp_packet req = {
	    .version = 4,
	    .mode = (p->params.flags & NTP_PEER_SYMMETRIC) && !(p->params.flags & NTP_PEER_CLIENT)
	                ? NTP_MODE_SYM_ACTIVE
	                : NTP_MODE_CLIENT,
	};
	uint8_t buf[NTP_MAX_PACKET_LEN];
	size_t len;
	int fd;

	if (p->req_signed && !p->req_answered)
		p->signed_misses++;
	p->req_signed = want_signed(p);
	p->req_answered = 0;
	/* Windows DCs and chrony take MS-SNTP requests in version 3 only. */
	if (p->req_signed)
		req.version = 3;
	close_request(p);
	fd = open_socket(p);
	if (fd < 0) {
		set_error(p, "cannot open a socket: %s", strerror(-fd));
		return;
	}
	p->fd = fd;
	/* A random cookie, never 0 (0 means "nothing outstanding"). */
	do
		arc4random_buf(&p->cookie, sizeof(p->cookie));
	while (p->cookie == 0);
	req.transmit = p->cookie;
	ntp_encode(&req, buf);
	len = p->req_signed ? mssntp_make_request(p->params.auth, buf)
	                    : sign_request(p, buf, sizeof(buf));
	if (len == 0) {
		close_request(p);
		return;
	}
	p->read_ev = loop_event_new(p->base, fd, EV_READ | EV_PERSIST, on_readable, p);
	if (loop_watch(p->read_ev) < 0) {
		close_request(p);
		set_error(p, "cannot watch the request socket");
		return;
	}
	clk_now(p->clock, &p->t1);
	if (send(fd, buf, len, 0) != (ssize_t)len) {
		set_error(p, "send: %s", strerror(errno));
		close_request(p);
		return;
	}
	p->stats.sent++;
	loop_arm(p->expire_ev, MAX_WAIT);
}

static void
on_poll(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_peer *p = arg;

	(void)fd;
	(void)what;
	if (p->state == NTP_PEER_DENIED) {
		/* The back-off is over: a refusal is not for ever (access lists change). */
		ntp_peer_burst(p);
		return;
	}
	account_poll(p);
	send_request(p);
	schedule(p, poll_interval(p));
	if (p->cb->polled != NULL)
		p->cb->polled(p, p->cb_arg);
}

static void
on_expire(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	close_request(arg);
}

/* ---- answers --------------------------------------------------------------- */

static void
handle_kod(struct ntp_peer *p, const struct ntp_packet *pkt)
{
	char code[8];

	ntp_refid_format(pkt->refid, 0, code, sizeof(code));
	if (pkt->refid == ntp_refid_from_string("RATE")) {
		/* Slow down: at least what the server asks, at least one step. */
		p->stats.kod_rate++;
		ntp_poll_slow_down(&p->sched, pkt->poll);
		set_error(p, "KoD RATE: backing off to poll %d", p->sched.poll);
		schedule(p, poll_interval(p));
	} else if (pkt->refid == ntp_refid_from_string("DENY") ||
	           pkt->refid == ntp_refid_from_string("RSTR")) {
		p->stats.kod_deny++;
		set_error(p, "KoD %s: the server refuses us; asking again in %.0f s or at a resync",
		          code, p->params.refused_retry);
		ntp_poll_end_burst(&p->sched);
		clk_monotonic(&p->refused_at);
		schedule(p, p->params.refused_retry);
		set_state(p, NTP_PEER_DENIED);
	} else {
		p->stats.unsynchronised++;
		set_error(p, "unsynchronised (kiss code %s)", code);
		set_state(p, NTP_PEER_UNSYNCHRONISED);
	}
}

/* The answer's timestamps as offset, delay and dispersion (RFC 5905 8). */
static int
measure(struct ntp_peer *p, const struct ntp_packet *pkt, const struct timespec *t4,
        struct ntp_flt_sample *ret)
{
	double server_time;

	if (!ntp_poll_sample(&p->t1, pkt, t4, p->params.noise, &server_time, ret)) {
		p->stats.bad_timestamps++;
		set_error(p, "bad timestamps (server time %.9f s, delay %.6f s)", server_time,
		          ret->delay);
		return 0;
	}
	ret->time = epoch_seconds(p, t4);
	return 1;
}

/*
 * Is the server synchronised to us? Its refid is then our address (or its
 * hash), and it is further from the primary reference than we are. The
 * stratum condition keeps hosts that share an address (loopback, NAT) from
 * looking like loops; a real loop always meets it, since each side ends up
 * a stratum below the other.
 */
static int
is_loop(const struct ntp_peer *p, const struct ntp_packet *pkt)
{
	return pkt->refid != 0 &&
	       pkt->refid == ntp_refid_of_address((const struct sockaddr *)&p->local) &&
	       ntp_ref_synchronised(p->self) && pkt->stratum > p->self->stratum;
}

/* RFC 5905 tests on an answer that matched our cookie; 1 when it carries usable time. */
static int
usable(struct ntp_peer *p, const struct ntp_packet *pkt)
{
	/* A kiss code is ASCII in the refid; a plain unsynchronised server sends 0. */
	if (pkt->stratum == 0 && pkt->leap == NTP_LEAP_UNSYNC && pkt->refid != 0) {
		handle_kod(p, pkt);
		return 0;
	}
	if (pkt->receive == 0 || pkt->transmit == 0) {
		p->stats.bad_timestamps++;
		set_error(p, "zero receive or transmit timestamp");
		return 0;
	}
	if (pkt->leap == NTP_LEAP_UNSYNC || pkt->stratum == 0 || pkt->stratum >= 16) {
		p->stats.unsynchronised++;
		set_error(p, "server unsynchronised (leap %d, stratum %d)", pkt->leap,
		          pkt->stratum);
		set_state(p, NTP_PEER_UNSYNCHRONISED);
		return 0;
	}
	if (is_loop(p, pkt)) {
		p->stats.loops++;
		set_error(p, "loop: the server is synchronised to us");
		set_state(p, NTP_PEER_LOOP);
		return 0;
	}
	return 1;
}

static void
take_sample(struct ntp_peer *p, const struct ntp_packet *pkt, const struct timespec *t4)
{
	struct ntp_flt_sample s;

	if (!measure(p, pkt, t4, &s))
		return;
	ntp_poll_answered(&p->sched);
	p->stats.valid++;
	p->server = (struct ntp_peer_server){
	    .leap = pkt->leap,
	    .stratum = pkt->stratum,
	    .poll = pkt->poll,
	    .precision = pkt->precision,
	    .refid = pkt->refid,
	    .root_delay = ntp_short_to_double(pkt->root_delay),
	    .root_dispersion = ntp_short_to_double(pkt->root_dispersion),
	};
	p->last = s;
	p->have_sample = 1;
	p->last_error[0] = '\0';
	set_state(p, NTP_PEER_OK);
	if (!(p->params.flags & NTP_PEER_SPECIAL_INTERVAL))
		ntp_poll_sampled(&p->sched, p->flt, &s, p->params.noise);
	if (!ntp_flt_add(p->flt, &s)) {
		p->stats.spikes++;
		set_error(p, "spike: offset %+.6f s ignored once", s.offset);
		return;
	}
	if (p->cb->sample != NULL)
		p->cb->sample(p, p->cb_arg);
}

/*
 * Test 5 (RFC 8573 MAC or RFC 8915 authenticator), before the cookie is spent: a forged
 * answer must not use up the one the real server will send.
 */
static int
authentic(struct ntp_peer *p, const uint8_t *buf, size_t len, const struct ntp_trailer *t)
{
	const struct ntp_key *k = p->params.key;
	const char *why;

	if (p->params.nts != NULL) {
		switch (nts_session_reply(p->params.nts, buf, len, &why)) {
		case NTS_OK:
			return 1;
		case NTS_NAK:
			set_error(p, "%s; new key exchange", why);
			return 0;
		case NTS_BAD:
			break;
		}
		p->stats.bad_mac++;
		set_error(p, "NTS: %s", why);
		return 0;
	}
	if (p->params.key_id == 0)
		return 1;
	if (k != NULL && ntp_key_verify(k, buf, len, t->mac_len))
		return 1;
	p->stats.bad_mac++;
	if (t->mac_len == 0)
		set_error(p, "bad MAC: answer not signed (key %" PRIu32 " expected)",
		          p->params.key_id);
	else if (t->mac_len == 4)
		set_error(p, "bad MAC: crypto-NAK (the server does not know key %" PRIu32 ")",
		          p->params.key_id);
	else
		set_error(p, "bad MAC: key %" PRIu32 ", %zu octets, does not verify", t->key_id,
		          t->mac_len);
	return 0;
}

/*
 * MS-SNTP: may the answer be used? Under mssntp = require only a verified
 * one; under auto any, with the reason it is not authenticated shown.
 */
static int
authenticated(struct ntp_peer *p, const uint8_t *buf, size_t len)
{
	const struct mssntp_auth *a = p->params.auth;

	if (a == NULL)
		return 1;
	p->req_answered = 1;
	if (!p->req_signed)
		p->auth = mssntp_can_sign(a) ? MSSNTP_SILENT : MSSNTP_NO_KEY;
	else
		p->auth = mssntp_check(a, buf, len);
	if (p->auth == MSSNTP_VERIFIED)
		p->signed_misses = 0;
	if (p->auth == MSSNTP_VERIFIED || !a->require)
		return 1;
	p->stats.bogus++;
	set_error(p, "refused (mssntp = require): %s", mssntp_verdict_reason(p->auth));
	return 0;
}

static void
handle_answer(struct ntp_peer *p, const uint8_t *buf, size_t len, const struct timespec *t4)
{
	enum ntp_decode_status status;
	struct ntp_packet pkt;
	struct ntp_trailer trailer;
	uint8_t want_mode =
	    (p->params.flags & NTP_PEER_SYMMETRIC) && !(p->params.flags & NTP_PEER_CLIENT)
	        ? NTP_MODE_SYM_PASSIVE
	        : NTP_MODE_SERVER;

	status = ntp_decode(buf, len, &pkt, &trailer);
	if (status != NTP_DECODE_OK) {
		p->stats.malformed++;
		set_error(p, "malformed answer: %s", ntp_decode_status_name(status));
		return;
	}
	if (!authentic(p, buf, len, &trailer))
		return;
	if (pkt.mode != want_mode) {
		p->stats.malformed++;
		set_error(p, "answer in mode %d, expected %d", pkt.mode, want_mode);
		return;
	}
	/* Tests 1 and 2: a duplicate or a forgery does not echo the live cookie. */
	if (p->cookie == 0 || pkt.origin != p->cookie) {
		p->stats.bogus++;
		set_error(p, "bogus answer: origin does not match our request");
		return;
	}
	/* Checked before the cookie is spent, so a forgery cannot starve the real answer. */
	if (!authenticated(p, buf, len))
		return;
	p->cookie = 0;
	if (usable(p, &pkt)) {
		take_sample(p, &pkt, t4);
	} else if (p->state != NTP_PEER_DENIED) {
		/* Answered validly, if uselessly: the server is reachable. */
		ntp_poll_answered(&p->sched);
	}
}

/* Take the kernel's transmit timestamp of the outstanding request, if queued. */
static void
read_tx_timestamp(struct ntp_peer *p, int fd)
{
	union {
		char
		    buf[CMSG_SPACE(sizeof(struct scm_timestamping)) +
		        CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
		struct cmsghdr align;
	} control;
	struct msghdr mh = {.msg_control = control.buf, .msg_controllen = sizeof(control.buf)};

	while (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) >= 0) {
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct scm_timestamping ts;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPING ||
			    c->cmsg_len < CMSG_LEN(sizeof(ts)))
				continue;
			memcpy(&ts, CMSG_DATA(c), sizeof(ts));
			/* ts[0] is the software stamp; 0 when the kernel gave none. */
			if (p->cookie != 0 && (ts.ts[0].tv_sec != 0 || ts.ts[0].tv_nsec != 0))
				clk_from_kernel(p->clock, &ts.ts[0], &p->t1);
		}
		mh.msg_controllen = sizeof(control.buf);
	}
}

static void
on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct ntp_peer *p = arg;
	union {
		char buf[CMSG_SPACE(sizeof(struct timespec))];
		struct cmsghdr align;
	} control;
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct timespec t4;
	ssize_t n;

	(void)what;
	read_tx_timestamp(p, fd);
	for (;;) {
		int have_kernel = 0;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0) {
			/* ECONNREFUSED: ICMP port unreachable; counted as a miss at the next poll.
			 */
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				set_error(p, "receive: %s", strerror(errno));
			return;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec k;

				memcpy(&k, CMSG_DATA(c), sizeof(k));
				clk_from_kernel(p->clock, &k, &t4);
				have_kernel = 1;
			}
		}
		if (!have_kernel)
			clk_now(p->clock, &t4);
		handle_answer(p, buf, (mh.msg_flags & MSG_TRUNC) ? sizeof(buf) + 1 : (size_t)n,
		              &t4);
		if (p->fd != fd)
			return; /* the request was closed meanwhile */
	}
}

/* ---- lifecycle and accessors -------------------------------------------------- */

struct ntp_peer *
ntp_peer_new(struct event_base *base, struct clk *clock, const struct timespec *epoch,
             const struct ntp_ref *self, const struct sockaddr *addr, socklen_t addr_len,
             const struct ntp_peer_params *params, const struct ntp_peer_callbacks *cb, void *arg)
{
	struct ntp_peer *p = xcalloc(1, sizeof(*p));

	p->base = base;
	p->clock = clock;
	p->epoch = epoch;
	p->self = self;
	memcpy(&p->addr, addr, addr_len);
	p->addr_len = addr_len;
	p->params = *params;
	p->cb = cb;
	p->cb_arg = arg;
	p->fd = -1;
	ntp_poll_init(&p->sched, params->min_poll, params->max_poll);
	p->flt = ntp_flt_new(params->noise);
	p->poll_ev = loop_timer_new(base, on_poll, p);
	p->expire_ev = loop_timer_new(base, on_expire, p);
	ntp_peer_burst(p);
	return p;
}

struct ntp_peer *
ntp_peer_free(struct ntp_peer *p)
{
	if (p == NULL)
		return NULL;
	close_request(p);
	loop_event_free(&p->poll_ev);
	loop_event_free(&p->expire_ev);
	ntp_flt_free(p->flt);
	free(p);
	return NULL;
}

void
ntp_peer_burst(struct ntp_peer *p)
{
	if (p->state == NTP_PEER_DENIED)
		set_state(p, NTP_PEER_STARTING);
	ntp_poll_burst(&p->sched);
	schedule(p, 0.0);
}

void
ntp_peer_reoffer(struct ntp_peer *p)
{
	struct timespec now;

	if (p->state != NTP_PEER_DENIED)
		return;
	clk_monotonic(&now);
	if (ts_diff(&now, &p->refused_at) >= ldexp(1.0, p->sched.poll))
		ntp_peer_burst(p);
}

void
ntp_peer_clock_changed(struct ntp_peer *p, double when, double dfreq, double step)
{
	ntp_flt_clock_changed(p->flt, when, dfreq, step);
	if (p->have_sample) {
		p->last.offset -= dfreq * (p->last.time - when) + step;
		p->last.time += dfreq * (p->last.time - when) + step;
	}
	/* The outstanding request's send time moves with the clock too. */
	if (p->cookie != 0)
		ts_add(&p->t1, step);
}

void
ntp_peer_set_params(struct ntp_peer *p, const struct ntp_peer_params *params)
{
	p->params = *params;
	ntp_poll_set_range(&p->sched, params->min_poll, params->max_poll);
}

enum ntp_peer_state
ntp_peer_state(const struct ntp_peer *p)
{
	return p->state;
}

const struct sockaddr *
ntp_peer_addr(const struct ntp_peer *p, socklen_t *ret_len)
{
	if (ret_len != NULL)
		*ret_len = p->addr_len;
	return (const struct sockaddr *)&p->addr;
}

uint8_t
ntp_peer_reach(const struct ntp_peer *p)
{
	return p->sched.reach;
}

int
ntp_peer_poll(const struct ntp_peer *p)
{
	return p->sched.poll;
}

unsigned
ntp_peer_flags(const struct ntp_peer *p)
{
	return p->params.flags;
}

double
ntp_peer_next_poll_in(const struct ntp_peer *p)
{
	struct timespec now;

	clk_monotonic(&now);
	return fmax(0.0, ts_diff(&p->next_poll, &now));
}

const struct ntp_peer_server *
ntp_peer_server(const struct ntp_peer *p)
{
	return &p->server;
}

const struct ntp_peer_stats *
ntp_peer_stats(const struct ntp_peer *p)
{
	return &p->stats;
}

const char *
ntp_peer_auth(const struct ntp_peer *p)
{
	return p->params.auth != NULL && p->auth == MSSNTP_VERIFIED ? "mssntp" : "none";
}

const char *
ntp_peer_auth_reason(const struct ntp_peer *p)
{
	if (p->params.flags & NTP_PEER_OTHER_DOMAIN)
		return "a DC of another domain: MS-SNTP would need the interdomain trust key, "
		       "which this host does not hold: plain NTP";
	return p->params.auth != NULL ? mssntp_verdict_reason(p->auth) : "";
}

const char *
ntp_peer_last_error(const struct ntp_peer *p)
{
	return p->last_error;
}

int
ntp_peer_estimate(const struct ntp_peer *p, double now, struct ntp_flt_estimate *ret)
{
	return ntp_flt_estimate(p->flt, now, ret);
}

int
ntp_peer_last_sample(const struct ntp_peer *p, struct ntp_flt_sample *ret)
{
	if (!p->have_sample)
		return 0;
	*ret = p->last;
	return 1;
}

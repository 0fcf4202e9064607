/*
 * fake_ntp.c - a scripted NTP server on loopback (see fake_ntp.h).
 */
#include "fake_ntp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../common/loop.h"
#include "../../common/ts.h"
#include "../../common/xmalloc.h"
#include "../../ntp/clock.h"
#include "../../ntp/packet.h"

/* How often fake_ntp_run_until looks at its condition, at the least. */
#define TICK 0.005

struct fake_ntp {
	struct clk *clock;
	int fd;
	struct sockaddr_in addr;
	struct event *ev;
	enum fake_ntp_mode mode;
	unsigned requests;
};

static void
kiss(struct ntp_packet *a, const char *code)
{
	a->leap = NTP_LEAP_UNSYNC;
	a->stratum = 0;
	a->refid = ntp_refid_from_string(code);
	a->receive = a->transmit = 0;
}

static void
answer(struct fake_ntp *f, const struct ntp_packet *req, struct ntp_packet *a)
{
	struct timespec now;

	clk_now(f->clock, &now);
	*a = (struct ntp_packet){
	    .leap = NTP_LEAP_NONE,
	    .version = 4,
	    .mode = NTP_MODE_SERVER,
	    .stratum = 1,
	    .poll = req->poll,
	    .precision = -20,
	    .refid = ntp_refid_from_string("TEST"),
	    .reference = ntp_ts_from_timespec(&now),
	    .origin = req->transmit,
	    .receive = ntp_ts_from_timespec(&now),
	    .transmit = ntp_ts_from_timespec(&now),
	};
	switch (f->mode) {
	case FAKE_NTP_KOD_RATE:
		kiss(a, "RATE");
		break;
	case FAKE_NTP_KOD_DENY:
		kiss(a, "DENY");
		break;
	case FAKE_NTP_KOD_RSTR:
		kiss(a, "RSTR");
		break;
	case FAKE_NTP_UNSYNC:
		a->leap = NTP_LEAP_UNSYNC;
		a->stratum = 16;
		a->refid = 0;
		break;
	case FAKE_NTP_BOGUS:
		a->origin = req->transmit + 1;
		break;
	default:
		break;
	}
}

static void
on_request(evutil_socket_t fd, short what, void *arg)
{
	struct fake_ntp *f = arg;
	uint8_t buf[NTP_MAX_PACKET_LEN];
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	struct ntp_packet req, a;
	ssize_t n;

	(void)what;
	while ((n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from,
	                     &from_len)) >= 0) {
		f->requests++;
		if (f->mode == FAKE_NTP_SILENT ||
		    ntp_decode(buf, (size_t)n, &req, NULL) != NTP_DECODE_OK)
			continue;
		answer(f, &req, &a);
		ntp_encode(&a, buf);
		(void)sendto(fd, buf, NTP_HEADER_LEN, 0, (struct sockaddr *)&from, from_len);
		from_len = sizeof(from);
	}
}

struct fake_ntp *
fake_ntp_new(struct event_base *base, struct clk *clock)
{
	struct fake_ntp *f = xcalloc(1, sizeof(*f));
	socklen_t len = sizeof(f->addr);

	f->clock = clock;
	f->addr.sin_family = AF_INET;
	f->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&f->addr, sizeof(f->addr)) < 0 ||
	    getsockname(f->fd, (struct sockaddr *)&f->addr, &len) < 0)
		abort();
	f->ev = loop_event_new(base, f->fd, EV_READ | EV_PERSIST, on_request, f);
	if (loop_watch(f->ev) < 0)
		abort();
	return f;
}

struct fake_ntp *
fake_ntp_free(struct fake_ntp *f)
{
	if (f == NULL)
		return NULL;
	loop_event_free(&f->ev);
	close(f->fd);
	free(f);
	return NULL;
}

void
fake_ntp_set_mode(struct fake_ntp *f, enum fake_ntp_mode mode)
{
	f->mode = mode;
}

const struct sockaddr *
fake_ntp_addr(const struct fake_ntp *f, socklen_t *ret_len)
{
	*ret_len = sizeof(f->addr);
	return (const struct sockaddr *)&f->addr;
}

int
fake_ntp_port(const struct fake_ntp *f)
{
	return ntohs(f->addr.sin_port);
}

unsigned
fake_ntp_requests(const struct fake_ntp *f)
{
	return f->requests;
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

int
fake_ntp_run_until(struct event_base *base, int (*done)(void *arg), void *arg, double seconds)
{
	struct event *tick = loop_event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timespec start, now;
	int ok;

	loop_arm(tick, TICK);
	clk_monotonic(&start);
	for (;;) {
		ok = done(arg);
		clk_monotonic(&now);
		if (ok || ts_diff(&now, &start) > seconds)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	loop_event_free(&tick);
	return ok;
}

static int
never(void *arg)
{
	(void)arg;
	return 0;
}

void
fake_ntp_run_for(struct event_base *base, double seconds)
{
	(void)fake_ntp_run_until(base, never, NULL, seconds);
}

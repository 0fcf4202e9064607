/*
 * poll.c - poll schedule, reachability and reply checks of one source.
 */
#include <math.h>

#include "../common/ts.h"
#include "poll.h"
#include "reference.h"

/* Interval between burst requests, at most; shorter when min_poll is. */
#define BURST_INTERVAL 2.0
/*
 * Good samples in a row before the poll interval doubles: four times
 * chrony's polltarget. Every sample until the window is long narrows the
 * estimate; with noisy paths (1 ms of exponential delay) and a wandering
 * oscillator a poll that lengthens sooner left the worst of five seeds of
 * the simulator's S2 at 104 us RMS, this one at 88 us.
 */
#define POLL_TARGET 32

static int
clamp_poll(const struct ntp_poll *p, int poll)
{
	return poll < p->min_poll ? p->min_poll : poll > p->max_poll ? p->max_poll : poll;
}

void
ntp_poll_init(struct ntp_poll *p, int min_poll, int max_poll)
{
	*p = (struct ntp_poll){.min_poll = min_poll, .max_poll = max_poll, .poll = min_poll};
}

void
ntp_poll_set_range(struct ntp_poll *p, int min_poll, int max_poll)
{
	p->min_poll = min_poll;
	p->max_poll = max_poll;
	p->poll = clamp_poll(p, p->poll);
}

void
ntp_poll_burst(struct ntp_poll *p)
{
	p->burst_left = NTP_POLL_BURST;
}

void
ntp_poll_end_burst(struct ntp_poll *p)
{
	p->burst_left = 0;
}

double
ntp_poll_interval(const struct ntp_poll *p, double special_interval)
{
	if (p->burst_left > 0)
		return fmin(BURST_INTERVAL, ldexp(1.0, p->min_poll));
	if (special_interval > 0.0)
		return special_interval;
	return ldexp(1.0, p->poll);
}

int
ntp_poll_sent(struct ntp_poll *p)
{
	p->reach = (uint8_t)(p->reach << 1);
	p->polls++;
	if (p->burst_left > 0)
		p->burst_left--;
	else if (p->sampled && p->polls >= 4 && (p->reach & 0x0f) == 0) {
		/* Four silent polls in a row: back off instead of insisting. */
		p->poll = clamp_poll(p, p->poll + 1);
		p->good_run = 0;
	}
	return p->polls >= 8 && p->reach == 0;
}

void
ntp_poll_answered(struct ntp_poll *p)
{
	p->reach |= 1;
}

void
ntp_poll_sampled(struct ntp_poll *p, const struct ntp_flt *flt, const struct ntp_flt_sample *s,
                 double noise)
{
	struct ntp_flt_estimate e;
	double err, tolerance;

	p->sampled = 1;
	if (!ntp_flt_estimate(flt, s->time, &e) || e.n < 4)
		return;
	err = fabs(s->offset - e.offset);
	tolerance = 3.0 * fmax(e.jitter, noise) + (s->delay - e.min_delay) / 2.0;
	if (e.n < e.n_window) {
		/*
		 * The filter cut its window: the clock wanders, so only samples
		 * from a limited span describe it, and more of them in that span
		 * is what makes the estimate better.
		 */
		p->poll = clamp_poll(p, p->poll - 1);
		p->good_run = 0;
		return;
	}
	if (err <= tolerance) {
		if (++p->good_run >= POLL_TARGET) {
			p->poll = clamp_poll(p, p->poll + 1);
			p->good_run = 0;
		}
	} else if (err > 3.0 * tolerance) {
		p->poll = clamp_poll(p, p->poll - 1);
		p->good_run = 0;
	}
}

void
ntp_poll_slow_down(struct ntp_poll *p, int server_poll)
{
	p->burst_left = 0;
	p->poll = clamp_poll(p, server_poll > p->poll ? server_poll : p->poll + 1);
	p->good_run = 0;
}

int
ntp_poll_sample(const struct timespec *t1, const struct ntp_packet *reply,
                const struct timespec *t4, double noise, double *ret_server_time,
                struct ntp_flt_sample *ret)
{
	double precision = ldexp(1.0, reply->precision) + noise;

	ntp_onwire(t1, reply, t4, &ret->offset, &ret->delay, ret_server_time);
	if (*ret_server_time < -precision || *ret_server_time > NTP_POLL_MAX_SERVER_TIME ||
	    ret->delay < -noise || ts_diff(t4, t1) > NTP_POLL_MAX_WAIT)
		return 0;
	/*
	 * What we can measure and nothing more: the server's and our reading
	 * errors, and PHI over the round trip. The path's asymmetry is bounded
	 * by half the delay, which the root distance adds; a floor here would
	 * let a source wrong by that floor pass as a truechimer.
	 */
	ret->delay = fmax(ret->delay, precision);
	ret->dispersion = precision + NTP_PHI * ts_diff(t4, t1);
	return 1;
}

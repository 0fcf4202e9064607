/*
 * poll.h - one source's poll schedule and reachability, and the sample a
 * reply gives: the part of a peer that decides, without sockets or timers,
 * so the daemon (ntp/peer.c) and the closed-loop simulator (tests/sim) run
 * the same code.
 *
 * The interval starts at min_poll after a burst and doubles after
 * POLL_TARGET samples in a row that the filter predicted well; a badly
 * missed prediction halves it, and so does a filter that had to shorten its
 * window because the clock wanders. A source that answered nothing yet never
 * backs off: before the first sample the schedule has nothing to adapt to,
 * and backing off then only delays the first synchronisation.
 */
#ifndef DOMTIMED_NTP_POLL_H
#define DOMTIMED_NTP_POLL_H

#include <stdint.h>
#include <time.h>

#include "filter.h"
#include "packet.h"

/* Requests in a burst (start-up and resync), as chrony's iburst. */
#define NTP_POLL_BURST 4

struct ntp_poll {
	int min_poll, max_poll; /* log2 seconds */
	int poll;               /* log2 seconds, between them */
	uint8_t reach;          /* one bit per request, newest in bit 0 */
	unsigned polls;         /* requests since start or the last burst */
	unsigned good_run;      /* samples in a row the filter predicted well */
	unsigned burst_left;
	int sampled; /* a sample was ever taken */
};

void ntp_poll_init(struct ntp_poll *p, int min_poll, int max_poll);
/* New limits; the interval is clamped into them. */
void ntp_poll_set_range(struct ntp_poll *p, int min_poll, int max_poll);
void ntp_poll_burst(struct ntp_poll *p);
/* Drop what is left of a burst (the server refused us). */
void ntp_poll_end_burst(struct ntp_poll *p);
/*
 * Seconds to the next request: a burst's short interval, else
 * SPECIAL_INTERVAL when positive (W32Time flag 0x1), else 2^poll.
 */
double ntp_poll_interval(const struct ntp_poll *p, double special_interval);
/*
 * A request is going out. Returns 1 when none of the last 8 was answered
 * (the source is unreachable), else 0.
 */
int ntp_poll_sent(struct ntp_poll *p);
/* The outstanding request was answered validly (if perhaps uselessly). */
void ntp_poll_answered(struct ntp_poll *p);
/*
 * Sample S is about to enter FLT: did the filter see it coming? NOISE is
 * the timestamp noise floor. Good predictions lengthen the interval.
 */
void ntp_poll_sampled(struct ntp_poll *p, const struct ntp_flt *flt, const struct ntp_flt_sample *s,
                      double noise);
/* KoD RATE: slow down to at least SERVER_POLL, at least one step. */
void ntp_poll_slow_down(struct ntp_poll *p, int server_poll);

/*
 * The sample of REPLY to a request sent at T1 (our clock) and received at
 * T4; NOISE is our timestamp noise floor. ret->time is left to the caller.
 * Returns 1, or 0 when the timestamps are impossible (*RET_SERVER_TIME and
 * ret->delay say why): the server held the request longer than
 * NTP_POLL_MAX_SERVER_TIME or for less than nothing beyond what its stated
 * precision allows (a server fuzzes the bits below its precision, so T3 - T2
 * can be slightly negative), the round trip is negative by more than our
 * noise, or the answer came after NTP_POLL_MAX_WAIT.
 */
#define NTP_POLL_MAX_SERVER_TIME 4.0
#define NTP_POLL_MAX_WAIT 4.0
int ntp_poll_sample(const struct timespec *t1, const struct ntp_packet *reply,
                    const struct timespec *t4, double noise, double *ret_server_time,
                    struct ntp_flt_sample *ret);

#endif

/*
 * filter.h - the clock filter of one source: a window of recent samples and
 * a weighted regression over them that estimates the source's offset now and
 * how fast it is drifting from our clock.
 *
 * Why a regression and not RFC 5905's "sample with the lowest delay": with
 * polls every few seconds a window of tens of samples holds far more
 * information than its best sample, and the slope is what the discipline
 * needs to correct the frequency. Each sample is weighted by how much its
 * delay exceeds the window's minimum: a sample that spent E seconds queued
 * can be off by up to E/2, uniformly, so its variance is about E^2/12. On top
 * of that comes a floor: the timestamping noise, and the excess delay of the
 * window's third-best sample (the window's minimum is itself only one draw
 * of the jitter, so samples near it are not perfect either). The few samples
 * that crossed an empty path carry most of the weight, which is what they
 * deserve: with exponential queueing they are worth dozens of the others.
 *
 * The window holds up to 256 samples: the offset's standard error at the
 * newest end of a line fitted to n samples falls as 2/sqrt(n), so a long
 * window is what turns milliseconds of jitter into tens of microseconds.
 *
 * The window is cut when a line no longer explains it: halved while the
 * slopes of its older and newer halves differ (the frequency moved: a random
 * walk, a temperature change), then trimmed from the oldest end while the
 * residuals show a trend (a runs test on their signs). It grows back while
 * the line fits.
 *
 * Pure: times are seconds on our clock since an epoch the caller chooses;
 * when the caller steps or re-tunes the clock it says so, and stored samples
 * are moved to the new timescale so old and new samples stay comparable.
 */
#ifndef DOMTIMED_NTP_FILTER_H
#define DOMTIMED_NTP_FILTER_H

#include <stddef.h>

#define NTP_FLT_MAX_SAMPLES 256

struct ntp_flt_sample {
	double time;       /* our clock when the answer arrived (T4) */
	double offset;     /* theta: server - local, seconds */
	double delay;      /* delta: round trip minus server time, seconds */
	double dispersion; /* epsilon: precisions plus PHI * round trip, seconds */
};

struct ntp_flt_estimate {
	double offset;     /* estimated offset at the time asked for */
	double offset_sd;  /* its standard error */
	double freq;       /* drift of the source against our clock, s/s (positive: we are slow) */
	double freq_sd;    /* its standard error; infinite when unknown */
	double min_delay;  /* lowest delay in the window */
	double dispersion; /* of the newest sample, grown by PHI since */
	double jitter;     /* RMS of weighted residuals, seconds */
	double last_time;  /* time of the newest sample */
	size_t n;          /* samples the estimate rests on */
	size_t n_window;   /* samples held */
};

struct ntp_flt;

/* NOISE: the floor of timestamping noise, seconds (e.g. 1e-6). */
struct ntp_flt *ntp_flt_new(double noise);
struct ntp_flt *ntp_flt_free(struct ntp_flt *f);
/* Forget every sample (e.g. after the source was replaced). */
void ntp_flt_reset(struct ntp_flt *f);

/*
 * Offer a sample. Returns 1 if stored, 0 if rejected as a spike: an offset
 * far outside what the window predicts and what the sample's own delay can
 * explain. A second spike in a row is taken as a real change and stored.
 */
int ntp_flt_add(struct ntp_flt *f, const struct ntp_flt_sample *s);

/*
 * Our clock was steered at time WHEN: stepped by STEP seconds (forward
 * positive) and/or its rate changed by DFREQ seconds per second of our
 * clock's time (positive: faster); see ntp_flt_rate_change.
 */
void ntp_flt_clock_changed(struct ntp_flt *f, double when, double dfreq, double step);
/*
 * The DFREQ of a frequency correction going from OLD_FREQ to NEW_FREQ
 * (s/s): the correction applies to the oscillator's time, of which one of
 * our clock's seconds held 1 / (1 + OLD_FREQ) before. The difference is
 * 8 % while a large phase error is slewed at the highest rate.
 */
double ntp_flt_rate_change(double old_freq, double new_freq);

/* Estimate for time NOW. Returns 0 when the window is empty (nothing to say). */
int ntp_flt_estimate(const struct ntp_flt *f, double now, struct ntp_flt_estimate *ret);

/* Samples held. */
size_t ntp_flt_count(const struct ntp_flt *f);

#endif

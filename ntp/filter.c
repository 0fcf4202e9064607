/*
 * filter.c - per-source sample window and weighted linear regression.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "filter.h"
#include "reference.h"

/* Fewest samples a line is fitted to; fewer give only an offset. */
#define MIN_FIT 3
/* Fewest samples the runs test may cut the window down to. */
#define MIN_WINDOW 6
/*
 * How fast a source's newest sample ages, s/s: chrony's maxclockerror (1
 * ppm), not RFC 5905's PHI of 15 ppm. The regression already carries the
 * frequency's own uncertainty; this is the wander beyond it. At PHI a source
 * polled every 64 s would claim a millisecond more error than it has just
 * before each poll, enough to let a liar that far off into the majority.
 */
#define AGEING 1e-6
/* A sample this many combined standard errors off the line is a spike. */
#define SPIKE_SIGMAS 6.0
/* Halves of the window whose slopes differ by this many standard errors: the frequency moved. */
#define SLOPE_SIGMAS 3.0
/*
 * The variance floor every sample has is the square of the excess delay of
 * the window's third-best sample: the best one's own excess over the true
 * minimum is unknown, and the gap to the next ones is what it is likely to
 * be. (The lower quartile, used before, gave every sample of an exponential
 * delay distribution nearly the same weight and threw the best ones away.)
 */
#define FLOOR_RANK 2

struct ntp_flt {
	struct ntp_flt_sample s[NTP_FLT_MAX_SAMPLES]; /* ring, oldest at head */
	size_t head, n;
	double noise; /* timestamping noise floor, seconds */
	int last_was_spike;
};

struct fit {
	double t0;           /* weighted mean time */
	double a, b;         /* offset at t0, slope */
	double var_a, var_b; /* their variances */
	double s2;           /* weighted residual variance (per unit weight) */
	double sum_w;
	size_t n;
};

struct ntp_flt *
ntp_flt_new(double noise)
{
	struct ntp_flt *f = xcalloc(1, sizeof(*f));

	f->noise = fmax(noise, 1e-9);
	return f;
}

struct ntp_flt *
ntp_flt_free(struct ntp_flt *f)
{
	free(f);
	return NULL;
}

void
ntp_flt_reset(struct ntp_flt *f)
{
	f->head = f->n = 0;
	f->last_was_spike = 0;
}

size_t
ntp_flt_count(const struct ntp_flt *f)
{
	return f->n;
}

/* Sample I counted from the oldest. */
static const struct ntp_flt_sample *
at(const struct ntp_flt *f, size_t i)
{
	return &f->s[(f->head + i) % NTP_FLT_MAX_SAMPLES];
}

static double
min_delay(const struct ntp_flt *f, size_t first)
{
	double m = INFINITY;

	for (size_t i = first; i < f->n; i++)
		m = fmin(m, at(f, i)->delay);
	return m;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* How the samples FIRST..n-1 are weighted: see the header. */
struct weighting {
	double dmin;   /* the lowest delay */
	double floor2; /* variance every sample has, whatever its delay */
};

static struct weighting
weighting(const struct ntp_flt *f, size_t first)
{
	double excess[NTP_FLT_MAX_SAMPLES], least;
	struct weighting w = {.dmin = min_delay(f, first)};
	size_t n = 0;

	for (size_t i = first; i < f->n; i++)
		excess[n++] = at(f, i)->delay - w.dmin;
	qsort(excess, n, sizeof(excess[0]), cmp_double);
	least = excess[FLOOR_RANK < n ? FLOOR_RANK : n - 1];
	w.floor2 = f->noise * f->noise + least * least;
	return w;
}

/* Inverse variance of a sample's offset. */
static double
weight(const struct weighting *w, const struct ntp_flt_sample *s)
{
	double excess = s->delay - w->dmin;

	return 1.0 / (w->floor2 + excess * excess / 12.0);
}

/* Weighted least squares of offset on time over samples FIRST..END-1. */
static void
fit_line_range(const struct ntp_flt *f, size_t first, size_t end, struct fit *ret)
{
	struct weighting wt = weighting(f, first);
	double sw = 0, st = 0, so = 0, stt = 0, sto = 0, soo = 0;
	size_t n = end - first;

	for (size_t i = first; i < end; i++) {
		const struct ntp_flt_sample *s = at(f, i);
		double w = weight(&wt, s);

		sw += w;
		st += w * s->time;
		so += w * s->offset;
	}
	ret->t0 = st / sw;
	ret->a = so / sw;
	/* Centre on the mean time so the sums below stay well conditioned. */
	for (size_t i = first; i < end; i++) {
		const struct ntp_flt_sample *s = at(f, i);
		double w = weight(&wt, s), dt = s->time - ret->t0, d0 = s->offset - ret->a;

		stt += w * dt * dt;
		sto += w * dt * d0;
		soo += w * d0 * d0;
	}
	ret->b = stt > 0.0 ? sto / stt : 0.0;
	ret->n = n;
	ret->sum_w = sw;
	/* Residual variance per unit weight, from n - 2 degrees of freedom. */
	ret->s2 = n > 2 ? fmax(0.0, soo - ret->b * sto) / (double)(n - 2) : 1.0 / sw;
	ret->var_a = ret->s2 / sw;
	ret->var_b = stt > 0.0 ? ret->s2 / stt : INFINITY;
}

/* Weighted least squares of offset on time over samples FIRST..n-1. */
static void
fit_line(const struct ntp_flt *f, size_t first, struct fit *ret)
{
	fit_line_range(f, first, f->n, ret);
}

/*
 * Wald-Wolfowitz runs test on the residuals' signs: too few runs means the
 * samples bend away from a straight line (the frequency changed), so the
 * older ones no longer describe the present. Returns 1 when the fit is fine.
 */
static int
runs_ok(const struct ntp_flt *f, size_t first, const struct fit *fit)
{
	size_t pos = 0, neg = 0, runs = 0;
	int prev = 0;

	for (size_t i = first; i < f->n; i++) {
		const struct ntp_flt_sample *s = at(f, i);
		double r = s->offset - (fit->a + fit->b * (s->time - fit->t0));
		int sign = r >= 0.0 ? 1 : -1;

		if (sign > 0)
			pos++;
		else
			neg++;
		if (sign != prev)
			runs++;
		prev = sign;
	}
	if (pos == 0 || neg == 0)
		return runs >= 1 && (pos + neg) < MIN_WINDOW;
	double n = (double)(pos + neg);
	double mu = 2.0 * (double)pos * (double)neg / n + 1.0;
	double var = (mu - 1.0) * (mu - 2.0) / (n - 1.0);

	return (double)runs >= mu - 2.0 * sqrt(fmax(var, 0.0));
}

/*
 * How much wider than its normal-theory value a standard error from a fit
 * with DF degrees of freedom should be taken: Student's t quantile (97.5 %)
 * over the normal one. A line through three noisy points knows its slope
 * far less well than its own residuals suggest, and an early frequency
 * estimate taken at face value sends the clock off for many polls.
 */
static double
small_sample_factor(size_t df)
{
	static const double t975[] = {12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23,
	                              2.20,  2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.10, 2.09, 2.09};

	if (df == 0)
		return INFINITY;
	if (df <= ARRAY_LEN(t975))
		return t975[df - 1] / 1.96;
	return 1.0 + 1.25 / (double)df; /* close to the quantile beyond 20 */
}

/*
 * Has the frequency moved within the window? The slopes of its older and
 * newer halves are compared: a clock whose frequency wanders (a random walk,
 * a temperature change) bends the line slowly, which the runs test, counting
 * only the signs of residuals that the delay noise dominates, misses for
 * hours, while two slopes each averaged over half the window show it.
 */
static int
slopes_differ(const struct ntp_flt *f, size_t first, size_t mid, const struct fit *newer)
{
	struct fit older;
	double wo, wn, d;

	fit_line_range(f, first, mid, &older);
	wo = small_sample_factor(older.n - 2);
	wn = small_sample_factor(newer->n - 2);
	d = newer->b - older.b;
	return d * d >
	       SLOPE_SIGMAS * SLOPE_SIGMAS * (wo * wo * older.var_b + wn * wn * newer->var_b);
}

/*
 * The fit over the longest recent stretch of samples that a line explains:
 * halved while its halves disagree on the frequency, then trimmed from the
 * oldest end while the runs test sees a trend.
 */
static size_t
best_fit(const struct ntp_flt *f, struct fit *ret)
{
	size_t first = 0;

	fit_line(f, first, ret);
	while (f->n - first >= 2 * MIN_WINDOW) {
		struct fit newer;
		size_t mid = first + (f->n - first) / 2;

		fit_line(f, mid, &newer);
		if (!slopes_differ(f, first, mid, &newer))
			break;
		first = mid;
		*ret = newer;
	}
	while (f->n - first > MIN_WINDOW && !runs_ok(f, first, ret)) {
		/* Drop the oldest quarter and try again. */
		first += (f->n - first + 3) / 4;
		if (f->n - first < MIN_WINDOW)
			first = f->n - MIN_WINDOW;
		fit_line(f, first, ret);
	}
	return first;
}

int
ntp_flt_estimate(const struct ntp_flt *f, double now, struct ntp_flt_estimate *ret)
{
	const struct ntp_flt_sample *last;
	struct fit fit;
	size_t first;

	if (f->n == 0)
		return 0;
	last = at(f, f->n - 1);
	*ret = (struct ntp_flt_estimate){
	    .min_delay = min_delay(f, 0),
	    .dispersion = last->dispersion + AGEING * fmax(0.0, now - last->time),
	    .last_time = last->time,
	    .n_window = f->n,
	};
	if (f->n < MIN_FIT) {
		/* Too few for a line: the lowest-delay sample, as RFC 5905 would. */
		const struct ntp_flt_sample *best = last;

		for (size_t i = 0; i < f->n; i++)
			if (at(f, i)->delay < best->delay)
				best = at(f, i);
		ret->offset = best->offset;
		ret->offset_sd = fmax(f->noise, (best->delay - ret->min_delay) / 2.0 + f->noise);
		ret->freq = 0.0;
		ret->freq_sd = INFINITY;
		ret->jitter = f->n > 1 ? fabs(at(f, 0)->offset - last->offset) : f->noise;
		ret->n = f->n;
		return 1;
	}
	first = best_fit(f, &fit);
	double widen = small_sample_factor(fit.n - 2);

	ret->offset = fit.a + fit.b * (now - fit.t0);
	ret->offset_sd = widen * sqrt(fit.var_a + (now - fit.t0) * (now - fit.t0) * fit.var_b);
	ret->freq = fit.b;
	ret->freq_sd = widen * sqrt(fit.var_b);
	/* RMS residual, in seconds: s2 is per unit weight, scale by a mean weight. */
	ret->jitter = sqrt(fit.s2 * (double)fit.n / fit.sum_w);
	ret->n = f->n - first;
	return 1;
}

static int
is_spike(const struct ntp_flt *f, const struct ntp_flt_sample *s)
{
	struct ntp_flt_estimate e;
	double explained, dmin;

	if (f->n < MIN_WINDOW || !ntp_flt_estimate(f, s->time, &e))
		return 0;
	dmin = fmin(e.min_delay, s->delay);
	/* Queueing can move an offset by half the excess delay, no more. */
	explained = (s->delay - dmin) / 2.0;
	return fabs(s->offset - e.offset) >
	       explained + SPIKE_SIGMAS * hypot(e.jitter, e.offset_sd) + f->noise;
}

int
ntp_flt_add(struct ntp_flt *f, const struct ntp_flt_sample *s)
{
	if (!isfinite(s->offset) || !isfinite(s->delay) || !isfinite(s->time))
		return 0;
	if (is_spike(f, s) && !f->last_was_spike) {
		f->last_was_spike = 1;
		return 0;
	}
	f->last_was_spike = 0;
	if (f->n == NTP_FLT_MAX_SAMPLES) {
		f->head = (f->head + 1) % NTP_FLT_MAX_SAMPLES;
		f->n--;
	}
	f->s[(f->head + f->n) % NTP_FLT_MAX_SAMPLES] = *s;
	f->n++;
	return 1;
}

double
ntp_flt_rate_change(double old_freq, double new_freq)
{
	return (new_freq - old_freq) / (1.0 + old_freq);
}

void
ntp_flt_clock_changed(struct ntp_flt *f, double when, double dfreq, double step)
{
	for (size_t i = 0; i < f->n; i++) {
		struct ntp_flt_sample *s = &f->s[(f->head + i) % NTP_FLT_MAX_SAMPLES];
		/*
		 * Had the new rate applied at the sample's time, our clock would
		 * then have read dfreq * (time - when) more, and after a step
		 * STEP more: the server's lead shrinks by as much.
		 */
		double shift = dfreq * (s->time - when) + step;

		s->offset -= shift;
		s->time += shift;
	}
}

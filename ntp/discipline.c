/*
 * discipline.c - frequency and phase corrections from estimates.
 */
#include <math.h>
#include <stdlib.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "discipline.h"

struct ntp_dsc {
	struct ntp_dsc_params p;
	double freq;          /* base correction, s/s */
	int synchronised;     /* a correction was applied */
	double stepout_since; /* when the offset first exceeded the threshold; NAN = not */
};

void
ntp_dsc_default_params(struct ntp_dsc_params *ret)
{
	*ret = (struct ntp_dsc_params){
	    .step_threshold = 0.128,
	    .stepout = 300.0,
	    .max_pos_correction = 172800.0,
	    .max_neg_correction = 172800.0,
	    .max_freq = 500e-6,
	    .max_slew = 83333e-6 - 500e-6,
	    .corr_ratio = 3.0,
	};
}

struct ntp_dsc *
ntp_dsc_new(const struct ntp_dsc_params *params, double initial_freq)
{
	struct ntp_dsc *d = xcalloc(1, sizeof(*d));

	d->p = *params;
	d->freq = fmax(-params->max_freq, fmin(params->max_freq, initial_freq));
	d->stepout_since = NAN;
	return d;
}

struct ntp_dsc *
ntp_dsc_free(struct ntp_dsc *d)
{
	free(d);
	return NULL;
}

void
ntp_dsc_set_params(struct ntp_dsc *d, const struct ntp_dsc_params *params)
{
	d->p = *params;
}

double
ntp_dsc_freq(const struct ntp_dsc *d)
{
	return d->freq;
}

int
ntp_dsc_ever_synchronised(const struct ntp_dsc *d)
{
	return d->synchronised;
}

void
ntp_dsc_unsynchronise(struct ntp_dsc *d)
{
	d->synchronised = 0;
	d->stepout_since = NAN;
}

const char *
ntp_dsc_outcome_name(enum ntp_dsc_outcome o)
{
	static const char *const names[] = {
	    [NTP_DSC_SLEW] = "slew",
	    [NTP_DSC_STEP] = "step",
	    [NTP_DSC_STEPOUT] = "stepout",
	    [NTP_DSC_REFUSED_POS] = "refused-forward",
	    [NTP_DSC_REFUSED_NEG] = "refused-backward",
	};

	return ENUM_NAME(names, o);
}

/* X kept in proportion to how clearly it stands out of its noise SD. */
static double
shrink(double x, double sd)
{
	double x2 = x * x;

	if (!isfinite(sd))
		return 0.0;
	return x2 + sd * sd > 0.0 ? x * x2 / (x2 + sd * sd) : 0.0;
}

static int
refused(const struct ntp_dsc *d, double offset, struct ntp_dsc_action *ret)
{
	if (offset > d->p.max_pos_correction)
		ret->outcome = NTP_DSC_REFUSED_POS;
	else if (-offset > d->p.max_neg_correction)
		ret->outcome = NTP_DSC_REFUSED_NEG;
	else
		return 0;
	return 1;
}

/* Should an offset above the threshold step the clock now? */
static int
step_due(struct ntp_dsc *d, double now)
{
	if (!d->synchronised)
		return 1;
	if (isnan(d->stepout_since))
		d->stepout_since = now;
	return now - d->stepout_since >= d->p.stepout;
}

/*
 * How long to slew PHASE away: as chrony does, in a time inversely
 * proportional to the offset, corr_ratio * sd * interval / 2 / |phase|. An
 * offset far above its noise (start-up, a step in the sources) goes at the
 * largest rate allowed, within seconds; one at the noise level is spread
 * over several update intervals, so the noise is not copied into the clock.
 */
static double
slew_time(const struct ntp_dsc *d, double phase, const struct ntp_dsc_input *in)
{
	double sd = fmax(in->offset_sd, 1e-9), interval = fmax(in->interval, 1e-3);
	double tau = d->p.corr_ratio * 0.5 * sd * interval / fmax(fabs(phase), 1e-12);

	/* Not faster than the slew limit, not slower than the ratio of intervals. */
	return fmax(fabs(phase) / d->p.max_slew, fmin(tau, d->p.corr_ratio * interval));
}

void
ntp_dsc_update(struct ntp_dsc *d, const struct ntp_dsc_input *in, struct ntp_dsc_action *ret)
{
	double phase, tau;

	*ret = (struct ntp_dsc_action){
	    .outcome = NTP_DSC_SLEW, .freq = d->freq, .slew_until = in->now};
	if (!isfinite(in->offset) || refused(d, in->offset, ret))
		return;
	if (isfinite(in->freq) && isfinite(in->freq_now)) {
		/* The frequency the sources call for, against what we believe. */
		double wanted = in->freq_now + in->freq;

		d->freq += shrink(wanted - d->freq, in->freq_sd);
		d->freq = fmax(-d->p.max_freq, fmin(d->p.max_freq, d->freq));
	}
	ret->freq = d->freq;
	if (d->p.step_threshold > 0.0 && fabs(in->offset) > d->p.step_threshold) {
		if (step_due(d, in->now)) {
			ret->outcome = NTP_DSC_STEP;
			ret->step = in->offset;
			d->synchronised = 1;
			d->stepout_since = NAN;
			return;
		}
		ret->outcome = NTP_DSC_STEPOUT;
	} else {
		d->stepout_since = NAN;
	}
	d->synchronised = 1;
	/*
	 * The offset is a regression's estimate, not one noisy sample: the best
	 * guess of our error, corrected in full. Its noise sets how fast.
	 */
	phase = in->offset;
	tau = slew_time(d, phase, in);
	ret->freq = d->freq + phase / tau;
	ret->slew_until = in->now + tau;
}

double
ntp_dsc_slew_done(struct ntp_dsc *d)
{
	return d->freq;
}

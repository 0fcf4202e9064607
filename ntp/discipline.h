/*
 * discipline.h - turning offset and drift estimates into clock corrections.
 *
 * Design. The filters already estimate, per source, both the offset now and
 * the drift (a regression over samples that are kept on our current
 * timescale across every correction), and selection combines them. So the
 * discipline needs no loop filter of its own to *find* the frequency, as an
 * RFC 5905 PLL/FLL does over many poll intervals: it corrects the frequency
 * by the measured drift at once, shrunk by how certain it is (x * x^2 /
 * (x^2 + sd^2): a drift well above its standard error in full, one lost in
 * the noise hardly at all), and slews the phase error away separately, as
 * chrony does, in a time inversely proportional to the offset: an offset far
 * above its noise at the highest rate, one at the noise level over a few
 * update intervals. The clock is quick when far off and quiet when close.
 * The closed-loop simulator (tests/sim, make bench-sim) measures it against
 * chronyd's figures in the same loop.
 *
 * Steps happen only above step_threshold: at once while the clock has never
 * been synchronised, and otherwise only if the offset stays above the
 * threshold for `stepout` seconds, so one bad answer cannot step a
 * synchronised clock. Corrections larger than the W32Time-style limits
 * (max_pos/max_neg_phase_correction) are refused, never applied.
 *
 * Pure: times are seconds on our clock since the caller's epoch, frequencies
 * are s/s (positive: clock runs faster).
 */
#ifndef DOMTIMED_NTP_DISCIPLINE_H
#define DOMTIMED_NTP_DISCIPLINE_H

struct ntp_dsc_params {
	double step_threshold; /* seconds; offsets above it are stepped */
	double stepout; /* seconds an offset must persist before a synchronised clock steps */
	double max_pos_correction; /* largest forward correction accepted, seconds */
	double max_neg_correction; /* largest backward correction accepted, seconds */
	double max_freq;           /* limit of the frequency correction, s/s */
	double max_slew;           /* limit of the extra rate used to slew phase, s/s */
	double corr_ratio;         /* slew time per update interval for an offset at its noise level
	                              (chrony's corrtimeratio); larger offsets go faster */
};

/* Defaults: see the config help and domtimed.conf(5) for the reasons. */
void ntp_dsc_default_params(struct ntp_dsc_params *ret);

struct ntp_dsc_input {
	double now;
	double offset;    /* seconds, server - local */
	double offset_sd; /* standard error of offset */
	double freq;      /* drift against the sources at the frequency in effect, s/s
	                     (positive: we are slow) */
	double freq_sd;   /* its standard error (INFINITY when unknown) */
	double freq_now;  /* the correction in effect, slew included, s/s: the filters measure
	                     drift against it */
	double interval;  /* seconds between updates (the system peer's poll interval) */
};

enum ntp_dsc_outcome {
	NTP_DSC_SLEW,    /* phase being slewed, frequency corrected */
	NTP_DSC_STEP,    /* clock stepped */
	NTP_DSC_STEPOUT, /* above step_threshold, waiting to see it persist (slewing meanwhile) */
	NTP_DSC_REFUSED_POS, /* above max_pos_correction: nothing done */
	NTP_DSC_REFUSED_NEG, /* above max_neg_correction: nothing done */
};

struct ntp_dsc_action {
	enum ntp_dsc_outcome outcome;
	double step;       /* seconds to step now (STEP only) */
	double freq;       /* frequency correction to apply now: base + slew, s/s */
	double slew_until; /* when the slew ends and the frequency returns to base */
};

struct ntp_dsc;

/* INITIAL_FREQ: frequency correction to start from (drift file), s/s. */
struct ntp_dsc *ntp_dsc_new(const struct ntp_dsc_params *params, double initial_freq);
struct ntp_dsc *ntp_dsc_free(struct ntp_dsc *d);
void ntp_dsc_set_params(struct ntp_dsc *d, const struct ntp_dsc_params *params);

/* Decide what to do about IN. */
void ntp_dsc_update(struct ntp_dsc *d, const struct ntp_dsc_input *in, struct ntp_dsc_action *ret);
/* The slew is over: the frequency to return to (the base correction). */
double ntp_dsc_slew_done(struct ntp_dsc *d);

/* The base frequency correction (what goes into the drift file), s/s. */
double ntp_dsc_freq(const struct ntp_dsc *d);
/* Has any correction been applied (the clock was ever synchronised)? */
int ntp_dsc_ever_synchronised(const struct ntp_dsc *d);
/* Forget "synchronised" (e.g. all sources lost): the next large offset steps at once. */
void ntp_dsc_unsynchronise(struct ntp_dsc *d);
const char *ntp_dsc_outcome_name(enum ntp_dsc_outcome o);

#endif

/*
 * test_discipline.c - the discipline against a simulated clock and network:
 * filter + discipline in a loop, time injected, nothing slept.
 *
 * The simulated local clock reads L(t) = t + x(t), where x grows at the
 * intrinsic frequency error plus whatever correction the discipline sets;
 * the server is perfect, and each answer crosses a link whose delay in each
 * direction is BASE +- JITTER.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../ntp/discipline.h"
#include "../../ntp/filter.h"

struct sim {
	double t;          /* true time */
	double x;          /* clock error: local - true */
	double freq_error; /* intrinsic, s/s */
	double corr;       /* correction in effect, s/s */
	double slew_until; /* local time when the slew ends; INFINITY: none */
	double base, jitter;
	uint64_t rng;
	unsigned steps;
	struct ntp_flt *flt;
	struct ntp_dsc *dsc;
};

static double
uniform(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / 9007199254740992.0;
}

static double
local(const struct sim *s)
{
	return s->t + s->x;
}

/* Advance true time by DT, ending a slew on the way if one is due. */
static void
advance(struct sim *s, double dt)
{
	double to_slew_end = s->slew_until - local(s);

	if (to_slew_end >= 0.0 && to_slew_end < dt) {
		double part = to_slew_end / (1.0 + s->freq_error + s->corr);
		double old = s->corr;

		s->t += part;
		s->x += part * (s->freq_error + s->corr);
		s->corr = ntp_dsc_slew_done(s->dsc);
		ntp_flt_clock_changed(s->flt, local(s), ntp_flt_rate_change(old, s->corr), 0.0);
		s->slew_until = INFINITY;
		dt -= part;
	}
	s->t += dt;
	s->x += dt * (s->freq_error + s->corr);
}

static void
set_corr(struct sim *s, double corr)
{
	ntp_flt_clock_changed(s->flt, local(s), ntp_flt_rate_change(s->corr, corr), 0.0);
	s->corr = corr;
}

/* One poll: measure through the link, filter, discipline, apply. */
static enum ntp_dsc_outcome
poll_once(struct sim *s, double interval)
{
	double d_out = s->base + (uniform(&s->rng) * 2 - 1) * s->jitter;
	double d_in = s->base + (uniform(&s->rng) * 2 - 1) * s->jitter;
	double t1 = local(s), t2, t3;
	struct ntp_flt_sample sample;
	struct ntp_flt_estimate e;
	struct ntp_dsc_action a;

	advance(s, d_out);
	t2 = s->t;
	t3 = s->t;
	advance(s, d_in);
	sample = (struct ntp_flt_sample){
	    .time = local(s),
	    .offset = ((t2 - t1) + (t3 - local(s))) / 2.0,
	    .delay = local(s) - t1,
	    .dispersion = 1e-6,
	};
	ntp_flt_add(s->flt, &sample);
	assert_true(ntp_flt_estimate(s->flt, local(s), &e));
	struct ntp_dsc_input in = {
	    .now = local(s),
	    .offset = e.offset,
	    .offset_sd = e.offset_sd,
	    .freq = e.freq,
	    .freq_sd = e.freq_sd,
	    .freq_now = s->corr,
	    .interval = interval,
	};

	ntp_dsc_update(s->dsc, &in, &a);
	if (a.outcome == NTP_DSC_STEP) {
		s->x += a.step;
		s->steps++;
		ntp_flt_clock_changed(s->flt, local(s) - a.step, 0.0, a.step);
	}
	if (a.outcome != NTP_DSC_REFUSED_POS && a.outcome != NTP_DSC_REFUSED_NEG) {
		set_corr(s, a.freq);
		s->slew_until = a.slew_until;
	}
	advance(s, interval - d_out - d_in);
	return a.outcome;
}

static void
sim_init(struct sim *s, double x, double freq_error, double base, double jitter)
{
	struct ntp_dsc_params p;

	ntp_dsc_default_params(&p);
	*s = (struct sim){.x = x,
	                  .freq_error = freq_error,
	                  .base = base,
	                  .jitter = jitter,
	                  .rng = 12345,
	                  .slew_until = INFINITY};
	s->flt = ntp_flt_new(1e-6);
	s->dsc = ntp_dsc_new(&p, 0.0);
}

static void
sim_free(struct sim *s)
{
	ntp_flt_free(s->flt);
	ntp_dsc_free(s->dsc);
}

/* Run until true time UNTIL, returning the largest |x| seen after FROM. */
static double
run(struct sim *s, double interval, double from, double until)
{
	double worst = 0.0;

	while (s->t < until) {
		(void)poll_once(s, interval);
		if (s->t >= from)
			worst = fmax(worst, fabs(s->x));
	}
	return worst;
}

/* The scenario: -2 s and +100 ppm, polled every 1/16 s over loopback. */
static void
test_converges_fast_on_a_quiet_link(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, -2.0, 100e-6, 20e-6, 2e-6);
	assert_true(run(&s, 0.0625, 30.0, 60.0) < 1e-3);
	assert_true(run(&s, 0.0625, 120.0, 300.0) < 100e-6);
	assert_int_equal(s.steps, 1);
	/* The correction cancels the intrinsic error. */
	assert_true(fabs(ntp_dsc_freq(s.dsc) + 100e-6) < 1e-6);
	sim_free(&s);
}

/* 5 ms +- 1 ms each way: the error stays well inside the jitter. */
static void
test_jittery_link(void **state)
{
	struct sim s;

	(void)state;
	sim_init(&s, 0.05, -30e-6, 5e-3, 1e-3);
	(void)run(&s, 1.0, 0.0, 120.0);
	assert_true(run(&s, 1.0, 120.0, 600.0) < 300e-6);
	assert_int_equal(s.steps, 0);
	assert_true(fabs(ntp_dsc_freq(s.dsc) - 30e-6) < 2e-6);
	sim_free(&s);
}

static void
test_refuses_beyond_limits(void **state)
{
	struct ntp_dsc_params p;
	struct ntp_dsc_action a;
	struct ntp_dsc *d;
	struct ntp_dsc_input in = {.now = 10.0,
	                           .offset = 100000.0,
	                           .offset_sd = 1e-3,
	                           .freq = 0.0,
	                           .freq_sd = INFINITY,
	                           .interval = 16.0};

	(void)state;
	ntp_dsc_default_params(&p);
	p.max_pos_correction = 54000.0;
	d = ntp_dsc_new(&p, 0.0);
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_REFUSED_POS);
	assert_true(a.step == 0.0);
	assert_false(ntp_dsc_ever_synchronised(d));
	in.offset = -100000.0;
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_STEP); /* the negative limit is still 48 h */
	ntp_dsc_free(d);
}

/* A synchronised clock steps only if a large offset persists for stepout. */
static void
test_stepout(void **state)
{
	struct ntp_dsc_params p;
	struct ntp_dsc_action a;
	struct ntp_dsc *d;
	struct ntp_dsc_input in = {
	    .now = 0.0, .offset = 1e-4, .offset_sd = 1e-5, .freq_sd = INFINITY, .interval = 16.0};

	(void)state;
	ntp_dsc_default_params(&p);
	d = ntp_dsc_new(&p, 0.0);
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_SLEW);
	in.offset = 0.5;
	in.now = 100.0;
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_STEPOUT);
	/* It went away: the stepout clock restarts. */
	in.offset = 1e-4;
	in.now = 200.0;
	ntp_dsc_update(d, &in, &a);
	in.offset = 0.5;
	in.now = 300.0;
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_STEPOUT);
	in.now = 300.0 + p.stepout;
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_STEP);
	assert_true(a.step == 0.5);
	/* Never synchronised again: steps at once. */
	ntp_dsc_unsynchronise(d);
	in.now += 1.0;
	ntp_dsc_update(d, &in, &a);
	assert_int_equal(a.outcome, NTP_DSC_STEP);
	ntp_dsc_free(d);
}

/*
 * Offsets at their noise level are slewed over several update intervals, so
 * the noise is not copied into the clock; clear ones at the highest rate.
 */
static void
test_slews_noise_slowly(void **state)
{
	struct ntp_dsc_params p;
	struct ntp_dsc_action quiet, clear;
	struct ntp_dsc *d;
	struct ntp_dsc_input in = {
	    .now = 1.0, .offset = 1e-6, .offset_sd = 1e-5, .freq_sd = INFINITY, .interval = 1.0};

	(void)state;
	ntp_dsc_default_params(&p);
	d = ntp_dsc_new(&p, 0.0);
	ntp_dsc_update(d, &in, &quiet);
	in.offset = 1e-3;
	ntp_dsc_update(d, &in, &clear);
	/* Slew rate per second of offset: the clear one goes far faster. */
	assert_true(quiet.freq / 1e-6 < 0.05 * (clear.freq / 1e-3));
	ntp_dsc_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_converges_fast_on_a_quiet_link),
	    cmocka_unit_test(test_jittery_link),
	    cmocka_unit_test(test_refuses_beyond_limits),
	    cmocka_unit_test(test_stepout),
	    cmocka_unit_test(test_slews_noise_slowly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_filter.c - the per-source clock filter: regression, weighting by
 * delay, spikes, window adaptation and re-basing across clock changes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../ntp/filter.h"

/* A small deterministic generator: tests must not depend on luck. */
static double
uniform(uint64_t *state)
{
	*state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*state >> 11) / 9007199254740992.0;
}

static void
add(struct ntp_flt *f, double t, double offset, double delay)
{
	struct ntp_flt_sample s = {.time = t, .offset = offset, .delay = delay, .dispersion = 1e-6};

	assert_true(ntp_flt_add(f, &s));
}

static void
test_empty_and_few(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_estimate e;

	(void)state;
	assert_false(ntp_flt_estimate(f, 0.0, &e));
	add(f, 0.0, 0.010, 0.002);
	add(f, 1.0, 0.012, 0.001);
	assert_true(ntp_flt_estimate(f, 1.0, &e));
	/* Two samples: the one with the lower delay, no frequency yet. */
	assert_true(e.offset == 0.012);
	assert_true(isinf(e.freq_sd));
	ntp_flt_free(f);
}

static void
test_recovers_line(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_estimate e;
	uint64_t rng = 1;

	(void)state;
	/* 50 ppm drift, 3 ms offset at t=0, 10 us noise. */
	for (int i = 0; i < 64; i++)
		add(f, i * 2.0, 0.003 + 50e-6 * i * 2.0 + (uniform(&rng) - 0.5) * 20e-6, 1e-4);
	assert_true(ntp_flt_estimate(f, 128.0, &e));
	assert_true(fabs(e.freq - 50e-6) < 0.5e-6);
	assert_true(fabs(e.offset - (0.003 + 50e-6 * 128.0)) < 10e-6);
	assert_true(e.freq_sd < 1e-6 && e.offset_sd < 10e-6);
	assert_true(e.jitter > 2e-6 && e.jitter < 10e-6);
	assert_int_equal(e.n, 64);
	ntp_flt_free(f);
}

/*
 * Samples whose delay exceeds the minimum by E can be off by up to E/2; a
 * queue on one direction only biases them one way. The fit must follow the
 * low-delay samples, not the average.
 */
static void
test_weights_low_delay(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_estimate e;

	(void)state;
	for (int i = 0; i < 60; i++) {
		int queued = i % 3 != 0;
		double extra = queued ? 0.004 : 0.0;

		/* True offset 0; queued samples read +extra/2. */
		add(f, i * 1.0, extra / 2.0, 0.010 + extra);
	}
	assert_true(ntp_flt_estimate(f, 60.0, &e));
	assert_true(fabs(e.offset) < 50e-6);
	assert_true(fabs(e.min_delay - 0.010) < 1e-12);
	ntp_flt_free(f);
}

static void
test_spike_once(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_sample spike = {.time = 20.0, .offset = 0.5, .delay = 1e-4};
	struct ntp_flt_estimate e;

	(void)state;
	for (int i = 0; i < 20; i++)
		add(f, i * 1.0, 0.0, 1e-4);
	/* An offset no delay explains is ignored once... */
	assert_false(ntp_flt_add(f, &spike));
	assert_int_equal(ntp_flt_count(f), 20);
	/* ...but a second in a row is a real change. */
	spike.time = 21.0;
	assert_true(ntp_flt_add(f, &spike));
	/* And the window adapts: the old flat samples no longer fit. */
	for (int i = 22; i < 30; i++)
		add(f, i * 1.0, 0.5, 1e-4);
	assert_true(ntp_flt_estimate(f, 30.0, &e));
	assert_true(fabs(e.offset - 0.5) < 1e-3);
	assert_true(e.n < 20);
	ntp_flt_free(f);
}

/*
 * After our clock is re-tuned by dfreq at time W, old samples read as if
 * the new rate had always applied: the slope drops by dfreq, the estimate
 * at W is unchanged. A step moves every offset.
 */
static void
test_clock_changes(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_estimate before, after;

	(void)state;
	for (int i = 0; i < 32; i++)
		add(f, i * 1.0, 0.001 + 20e-6 * i, 1e-4);
	assert_true(ntp_flt_estimate(f, 31.0, &before));
	ntp_flt_clock_changed(f, 31.0, 20e-6, 0.0);
	assert_true(ntp_flt_estimate(f, 31.0, &after));
	assert_true(fabs(after.freq - (before.freq - 20e-6)) < 1e-9);
	assert_true(fabs(after.offset - before.offset) < 1e-9);

	ntp_flt_clock_changed(f, 31.0, 0.0, 0.25);
	assert_true(ntp_flt_estimate(f, 31.25, &after));
	assert_true(fabs(after.offset - (before.offset - 0.25)) < 1e-6);
	ntp_flt_free(f);
}

static void
test_window_is_bounded(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_sample bad = {.time = 1.0, .offset = NAN, .delay = 1e-4};

	(void)state;
	for (int i = 0; i < 1000; i++)
		add(f, i * 1.0, 0.0, 1e-4);
	assert_int_equal(ntp_flt_count(f), NTP_FLT_MAX_SAMPLES);
	assert_false(ntp_flt_add(f, &bad));
	ntp_flt_reset(f);
	assert_int_equal(ntp_flt_count(f), 0);
	ntp_flt_free(f);
}

/*
 * The frequency moved by 0.1 ppm two hours ago, little against the noise of
 * exponential queueing: the window is cut to the samples after the change,
 * and the estimate follows the new line.
 */
static void
test_window_follows_frequency_change(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_flt_estimate e;
	const double dfreq = 0.1e-6;
	uint64_t rng = 7;
	double truth = 0.0;

	(void)state;
	for (int i = 0; i < 256; i++) {
		if (i >= 144)
			truth += dfreq * 64.0;
		/* Queueing of mean 1 ms moves the offset by up to half of it. */
		double excess = -1e-3 * log(1.0 - uniform(&rng));

		add(f, i * 64.0, truth + (uniform(&rng) - 0.5) * excess, 2e-3 + excess);
	}
	assert_true(ntp_flt_estimate(f, 255 * 64.0, &e));
	assert_true(e.n < e.n_window);
	assert_true(fabs(e.offset - truth) < 30e-6);
	assert_true(fabs(e.freq - dfreq) < 0.5 * dfreq);
	ntp_flt_free(f);
}

/* A rate change counts per second of our clock, which ran at 1 + old. */
static void
test_rate_change(void **state)
{
	(void)state;
	assert_true(fabs(ntp_flt_rate_change(0.0, 1e-3) - 1e-3) < 1e-15);
	assert_true(fabs(ntp_flt_rate_change(-0.08, 0.0) - 0.08 / 0.92) < 1e-12);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_and_few),
	    cmocka_unit_test(test_recovers_line),
	    cmocka_unit_test(test_weights_low_delay),
	    cmocka_unit_test(test_spike_once),
	    cmocka_unit_test(test_clock_changes),
	    cmocka_unit_test(test_window_is_bounded),
	    cmocka_unit_test(test_window_follows_frequency_change),
	    cmocka_unit_test(test_rate_change),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_clock.c - the virtual clock follows its definition (offset, frequency
 * error, corrections, steps, leap seconds); the system clock can be created
 * and read without being changed.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "../../common/ts.h"
#include "../../ntp/clock.h"

/* Virtual time minus kernel time at kernel time KERNEL. */
static double
offset_at(struct clk *c, const struct timespec *kernel)
{
	struct timespec v;

	clk_from_kernel(c, kernel, &v);
	return ts_diff(&v, kernel);
}

static void
test_initial_offset(void **state)
{
	struct clk *c = clk_new_virtual(-2.0, 0.0);
	double err;

	(void)state;
	assert_int_equal(clk_get_kind(c), CLK_VIRTUAL);
	assert_int_equal(clk_true_error(c, &err), 0);
	assert_true(fabs(err + 2.0) < 1e-6);
	clk_free(c);
}

/*
 * Frequency is checked on kernel timestamps far in the future, so no test
 * has to wait: a day ahead, 100 ppm is 8.64 s.
 */
static void
test_frequency_error_and_correction(void **state)
{
	struct timespec now, later;
	struct clk *c = clk_new_virtual(0.5, 100.0);

	(void)state;
	(void)clock_gettime(CLOCK_REALTIME, &now);
	later = now;
	later.tv_sec += 86400;
	assert_true(fabs(offset_at(c, &later) - (0.5 + 8.64)) < 1e-3);

	/* Correcting -100 ppm cancels the error from now on. */
	assert_int_equal(clk_set_freq(c, -100.0), 0);
	assert_true(fabs(clk_get_freq(c) + 100.0) < 1e-12);
	assert_true(fabs(offset_at(c, &later) - 0.5) < 1e-3);

	/* Corrections are clamped to what a kernel could do. */
	assert_int_equal(clk_set_freq(c, 1e6), 0);
	assert_true(clk_get_freq(c) == CLK_MAX_FREQ_PPM);
	assert_int_equal(clk_set_freq(c, NAN), -EINVAL);
	clk_free(c);
}

static void
test_step(void **state)
{
	struct clk *c = clk_new_virtual(3.0, 0.0);
	double before, after;

	(void)state;
	assert_int_equal(clk_true_error(c, &before), 0);
	assert_int_equal(clk_step(c, -3.0), 0);
	assert_int_equal(clk_true_error(c, &after), 0);
	assert_true(fabs(after) < 1e-4);
	assert_true(fabs(before - 3.0) < 1e-4);
	assert_int_equal(clk_step(c, INFINITY), -EINVAL);
	clk_free(c);
}

static void
test_now_matches_kernel_mapping(void **state)
{
	struct clk *c = clk_new_virtual(1234.5, -50.0);
	struct timespec k1, v, k2;

	(void)state;
	(void)clock_gettime(CLOCK_REALTIME, &k1);
	clk_now(c, &v);
	(void)clock_gettime(CLOCK_REALTIME, &k2);
	/* The reading lies between the mappings of the kernel times around it. */
	assert_true(ts_diff(&v, &k1) > 1234.5 - 1e-3);
	assert_true(ts_diff(&v, &k2) < 1234.5 + 1e-3);
	clk_free(c);
}

struct leap_run {
	struct timespec before, after; /* readings either side of the jump */
	time_t midnight;
	double offset, err; /* the clock's initial offset, its true error after */
};

/*
 * A virtual clock started 20 ms before LEAP's moment (midnight UTC for an
 * insertion, 23:59:59 for a deletion), busy-read (no sleeping) until it jumps.
 */
static void
cross_leap(int leap, struct leap_run *r)
{
	struct timespec now, v = {0};
	struct clk *c;
	int jumped = 0;

	(void)clock_gettime(CLOCK_REALTIME, &now);
	r->midnight = (now.tv_sec / 86400 + 1) * 86400;
	r->offset = (double)(r->midnight - (leap < 0)) - ts_to_double(&now) - 0.02;
	c = clk_new_virtual(r->offset, 0.0);
	assert_int_equal(clk_set_leap(c, leap), 0);
	clk_now(c, &r->before);
	for (int i = 0; i < 50000000 && !jumped; i++) {
		clk_now(c, &v);
		jumped = fabs(ts_diff(&v, &r->before)) > 0.5;
		if (!jumped)
			r->before = v;
	}
	r->after = v;
	assert_true(jumped);
	assert_int_equal(clk_true_error(c, &r->err), 0);
	clk_free(c);
}

/* An insertion repeats 23:59:59: at midnight the clock goes back a second. */
static void
test_leap_insert(void **state)
{
	struct leap_run r;

	(void)state;
	cross_leap(1, &r);
	assert_true(ts_diff(&r.after, &r.before) < -0.5);
	assert_int_equal(r.after.tv_sec, r.midnight - 1);
	assert_true(fabs(r.err - (r.offset - 1.0)) < 1e-3);
}

/* A deletion skips 23:59:59: the clock jumps from there straight to midnight. */
static void
test_leap_delete(void **state)
{
	struct leap_run r;

	(void)state;
	cross_leap(-1, &r);
	assert_int_equal(r.before.tv_sec, r.midnight - 2);
	assert_int_equal(r.after.tv_sec, r.midnight);
	assert_true(fabs(r.err - (r.offset + 1.0)) < 1e-3);
}

static void
test_system_clock_read_only(void **state)
{
	struct timespec a, b;
	struct clk *c;
	double err;

	(void)state;
	/* Creating and reading must change nothing; only this test's process reads it. */
	assert_int_equal(clk_new_system(&c), 0);
	assert_int_equal(clk_get_kind(c), CLK_SYSTEM);
	assert_string_equal(clk_kind_name(CLK_SYSTEM), "system");
	assert_int_equal(clk_true_error(c, &err), -ENOTSUP);
	clk_now(c, &a);
	(void)clock_gettime(CLOCK_REALTIME, &b);
	assert_true(fabs(ts_diff(&b, &a)) < 0.1);
	clk_from_kernel(c, &b, &a);
	assert_true(ts_diff(&a, &b) == 0.0);
	clk_free(c);
}

/* The simulator's time base: whatever the test says the time is. */
static void
read_base(void *arg, struct timespec *ret)
{
	*ret = *(const struct timespec *)arg;
}

/* A virtual clock on a caller's time base follows it, corrections and steps included. */
static void
test_virtual_on_own_base(void **state)
{
	struct timespec base = {.tv_sec = 1700000000}, now;
	struct clk *c = clk_new_virtual_on(read_base, &base, 0.5, 0.0);
	double err;

	(void)state;
	clk_now(c, &now);
	assert_true(fabs(ts_diff(&now, &base) - 0.5) < 1e-9);
	assert_int_equal(clk_set_freq(c, 1000.0), 0);
	ts_add(&base, 10.0);
	assert_int_equal(clk_true_error(c, &err), 0);
	assert_true(fabs(err - (0.5 + 10.0 * 1e-3)) < 1e-9);
	assert_int_equal(clk_step(c, -0.5), 0);
	ts_add(&base, 10.0);
	assert_int_equal(clk_true_error(c, &err), 0);
	assert_true(fabs(err - 20.0 * 1e-3) < 1e-9);
	clk_free(c);
}

static void
test_precision(void **state)
{
	struct clk *c = clk_new_virtual(0.0, 0.0);
	int8_t p = clk_measure_precision(c);

	(void)state;
	/* Somewhere between a nanosecond and a millisecond on any sane machine. */
	assert_true(p >= -30 && p <= -10);
	clk_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_initial_offset),
	    cmocka_unit_test(test_frequency_error_and_correction),
	    cmocka_unit_test(test_step),
	    cmocka_unit_test(test_now_matches_kernel_mapping),
	    cmocka_unit_test(test_leap_insert),
	    cmocka_unit_test(test_virtual_on_own_base),
	    cmocka_unit_test(test_leap_delete),
	    cmocka_unit_test(test_system_clock_read_only),
	    cmocka_unit_test(test_precision),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

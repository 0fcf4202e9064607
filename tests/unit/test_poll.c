/*
 * test_poll.c - one source's poll schedule, reachability and reply checks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../common/ts.h"
#include "../../ntp/poll.h"

/* A reply to a request sent at T1 = 1000 s: server stamps T2, T3; we read T4. */
static int
sample(double t2, double t3, double t4, int8_t precision, struct ntp_flt_sample *ret)
{
	struct timespec t1 = {.tv_sec = 1700000000}, a = t1, b = t1, r4 = t1;
	struct ntp_packet reply = {.precision = precision};
	double server_time;

	ts_add(&a, t2);
	ts_add(&b, t3);
	ts_add(&r4, t4);
	reply.receive = ntp_ts_from_timespec(&a);
	reply.transmit = ntp_ts_from_timespec(&b);
	return ntp_poll_sample(&t1, &reply, &r4, 1e-6, &server_time, ret);
}

/* A server fuzzes below its precision: T3 - T2 a little negative is fine. */
static void
test_negative_processing_within_precision(void **state)
{
	struct ntp_flt_sample s;

	(void)state;
	/* Precision 2^-20 s (~1 us): 50 ns "backwards" is within it. */
	assert_true(sample(100e-6, 100e-6 - 50e-9, 200e-6, -20, &s));
	assert_true(fabs(s.delay - 200e-6) < 1e-7);
	/* No floor beyond what is measured: precisions and PHI over the round trip. */
	assert_true(s.dispersion < 5e-6);
	/* 100 us backwards is no fuzz: rejected. */
	assert_false(sample(100e-6, 0.0, 200e-6, -20, &s));
	/* Holding the request for 5 s, or answering after 5 s, is not believed either. */
	assert_false(sample(100e-6, 5.0, 5.0002, -20, &s));
	assert_false(sample(2.5, 2.5, 5.0, -20, &s));
}

/* A source that never answered keeps its interval; one that did backs off. */
static void
test_no_backoff_before_first_sample(void **state)
{
	struct ntp_poll p;
	int unreachable = 0;

	(void)state;
	ntp_poll_init(&p, 4, 10);
	ntp_poll_burst(&p);
	for (int i = 0; i < 4; i++) {
		assert_true(ntp_poll_interval(&p, 0.0) == 2.0);
		unreachable |= ntp_poll_sent(&p);
	}
	for (int i = 0; i < 20; i++)
		unreachable |= ntp_poll_sent(&p);
	assert_int_equal(p.poll, 4);
	assert_true(ntp_poll_interval(&p, 0.0) == 16.0);
	assert_true(unreachable); /* eight silent polls say so, all the same */
	/* Once it has given a sample, four silent polls double the interval. */
	ntp_poll_answered(&p);
	p.sampled = 1;
	for (int i = 0; i < 4; i++)
		(void)ntp_poll_sent(&p);
	assert_int_equal(p.poll, 5);
}

/* Eight unanswered requests in a row, and only then, make a source unreachable. */
static void
test_unreachable_after_eight(void **state)
{
	struct ntp_poll p;

	(void)state;
	ntp_poll_init(&p, 6, 10);
	for (int i = 0; i < 7; i++) {
		assert_false(ntp_poll_sent(&p));
		if (i == 0)
			ntp_poll_answered(&p);
	}
	assert_false(ntp_poll_sent(&p)); /* the first one was answered */
	assert_true(ntp_poll_sent(&p));
}

/* Well-predicted samples lengthen the interval; a special interval overrides it. */
static void
test_lengthens_on_good_predictions(void **state)
{
	struct ntp_flt *f = ntp_flt_new(1e-6);
	struct ntp_poll p;

	(void)state;
	ntp_poll_init(&p, 4, 6);
	for (int i = 0; i < 200; i++) {
		/* Alternating 1 us noise: a line fits, and no sample is a surprise. */
		struct ntp_flt_sample s = {.time = i * 16.0,
		                           .offset = 1e-3 + (i % 2 ? 1e-6 : -1e-6),
		                           .delay = 1e-3,
		                           .dispersion = 1e-6};

		ntp_poll_sampled(&p, f, &s, 1e-6);
		assert_true(ntp_flt_add(f, &s));
	}
	assert_int_equal(p.poll, 6);
	assert_true(ntp_poll_interval(&p, 900.0) == 900.0);
	ntp_poll_slow_down(&p, 3);
	assert_int_equal(p.poll, 6);
	ntp_flt_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_negative_processing_within_precision),
	    cmocka_unit_test(test_no_backoff_before_first_sample),
	    cmocka_unit_test(test_unreachable_after_eight),
	    cmocka_unit_test(test_lengthens_on_good_predictions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_sync.c - from the sources' estimates to one decision: root distances
 * without a dispersion floor keep a 1 ms liar out of the combination.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../ntp/sync.h"

/* A stratum-1 source on a LAN: 200 us round trip, a few us of jitter. */
static struct ntp_sync_source
lan_source(double offset)
{
	return (struct ntp_sync_source){
	    .have_estimate = 1,
	    .est = {.offset = offset,
	            .offset_sd = 3e-6,
	            .freq = 0.0,
	            .freq_sd = 1e-8,
	            .min_delay = 200e-6,
	            .dispersion = 2e-6,
	            .jitter = 5e-6,
	            .n = 32,
	            .n_window = 32},
	    .usable = 1,
	    .stratum = 1,
	    .poll = 6,
	};
}

static struct ntp_dsc *
new_dsc(void)
{
	struct ntp_dsc_params p;

	ntp_dsc_default_params(&p);
	return ntp_dsc_new(&p, 0.0);
}

static void
test_liar_left_out(void **state)
{
	struct ntp_sync_source src[3] = {lan_source(10e-6), lan_source(-1e-3), lan_source(14e-6)};
	enum ntp_sel_verdict v[3];
	struct ntp_sync_result r;
	struct ntp_dsc *d = new_dsc();

	(void)state;
	assert_int_equal(ntp_sync_update(d, src, 3, 1.5, 100.0, 0.0, v, &r), NTP_SEL_OK);
	assert_int_equal(v[1], NTP_SEL_FALSETICKER);
	assert_true(r.updated);
	/* The liar moves the combined offset by nothing. */
	assert_true(r.sel.offset > 9e-6 && r.sel.offset < 15e-6);
	/* Root distance: half the delay, the dispersion and the jitter, no floor. */
	assert_true(fabs(ntp_sync_root_distance(&src[0]) - 107e-6) < 1e-9);
	ntp_dsc_free(d);
}

/* Two sources a second apart: no majority, no correction. */
static void
test_no_majority_no_update(void **state)
{
	struct ntp_sync_source src[2] = {lan_source(0.0), lan_source(1.0)};
	enum ntp_sel_verdict v[2];
	struct ntp_sync_result r;
	struct ntp_dsc *d = new_dsc();

	(void)state;
	assert_int_equal(ntp_sync_update(d, src, 2, 1.5, 100.0, 0.0, v, &r),
	                 NTP_SEL_NO_MAJORITY_FOUND);
	assert_false(r.updated);
	assert_false(ntp_dsc_ever_synchronised(d));
	ntp_dsc_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_liar_left_out),
	    cmocka_unit_test(test_no_majority_no_update),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_select.c - choosing among time sources: intersection, falsetickers,
 * clustering, the system peer and the combined offset.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/util.h"
#include "../../ntp/select.h"

#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static const struct ntp_sel_params defaults = {
    .max_distance = 3.0,
    .min_survivors = 3,
    .stratum_weight = 1e-3,
};

/* A fit stratum-2 source with 1 ms of jitter. */
static struct ntp_sel_source
at(double offset, double root_distance)
{
	return (struct ntp_sel_source){
	    .usable = 1,
	    .synchronised = 1,
	    .stratum = 2,
	    .offset = offset,
	    .root_distance = root_distance,
	    .jitter = 1e-3,
	};
}

/*
 * Select with PARAMS and check what holds whatever the input: exactly one
 * SELECTED, at system_peer, iff OK; the counts agree with the verdicts;
 * nothing but the status is set on failure.
 */
static enum ntp_sel_status
select_with(const struct ntp_sel_params *params, const struct ntp_sel_source *src, size_t n,
            enum ntp_sel_verdict *v, struct ntp_sel_result *r)
{
	enum ntp_sel_status status = ntp_select(src, n, params, v, r);

	assert_int_equal(status, r->status);
	if (status != NTP_SEL_OK) {
		assert_int_equal(r->system_peer, -1);
		assert_int_equal(ntp_sel_count(v, n, NTP_SEL_SELECTED), 0);
		assert_true(r->offset == 0.0 && r->jitter == 0.0 && r->root_distance == 0.0);
		assert_true(r->n_truechimers == 0 && r->n_survivors == 0);
		return status;
	}
	assert_in_range(r->system_peer, 0, n - 1);
	assert_int_equal(v[r->system_peer], NTP_SEL_SELECTED);
	assert_int_equal(ntp_sel_count(v, n, NTP_SEL_SELECTED), 1);
	assert_int_equal(r->n_survivors, 1 + ntp_sel_count(v, n, NTP_SEL_CANDIDATE));
	assert_int_equal(r->n_truechimers, r->n_survivors + ntp_sel_count(v, n, NTP_SEL_OUTLIER));
	assert_true(r->low <= r->high);
	assert_true(isfinite(r->offset) && r->jitter >= 0.0);
	return status;
}

static enum ntp_sel_status
sel(const struct ntp_sel_source *src, size_t n, enum ntp_sel_verdict *v, struct ntp_sel_result *r)
{
	return select_with(&defaults, src, n, v, r);
}

static void
test_names(void **state)
{
	(void)state;
	for (int i = 0; i < NTP_SEL_N_VERDICTS; i++) {
		assert_string_not_equal(ntp_sel_verdict_name(i), "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(ntp_sel_verdict_name(i), ntp_sel_verdict_name(j));
	}
	assert_string_equal(ntp_sel_verdict_name(NTP_SEL_TOO_FAR), "too_far");
	assert_string_equal(ntp_sel_verdict_name(NTP_SEL_N_VERDICTS), "unknown");
	assert_string_equal(ntp_sel_verdict_name((enum ntp_sel_verdict) - 1), "unknown");
	assert_string_equal(ntp_sel_status_name(NTP_SEL_NO_MAJORITY_FOUND), "no_majority");
	assert_string_equal(ntp_sel_status_name(NTP_SEL_N_STATUS), "unknown");
}

static void
test_one_source(void **state)
{
	struct ntp_sel_source src[] = {at(0.123, 0.05)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 0);
	/* Alone, its estimate passes through untouched. */
	assert_true(r.offset == 0.123);
	assert_true(r.jitter == 1e-3);
	assert_true(r.root_distance == 0.05);
	assert_near(r.low, 0.073, 1e-12);
	assert_near(r.high, 0.173, 1e-12);
	assert_int_equal(r.n_truechimers, 1);
}

static void
test_two_agreeing(void **state)
{
	struct ntp_sel_source src[] = {at(0.010, 0.05), at(0.020, 0.04)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	/* The shorter distance wins; both are combined, weighted 20:25. */
	assert_int_equal(r.system_peer, 1);
	assert_int_equal(v[0], NTP_SEL_CANDIDATE);
	assert_near(r.offset, (20 * 0.010 + 25 * 0.020) / 45, 1e-12);
	assert_near(r.low, -0.02, 1e-12);
	assert_near(r.high, 0.06, 1e-12);
}

static void
test_two_disagreeing(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.01), at(0.5, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_MAJORITY_FOUND);
	assert_int_equal(v[0], NTP_SEL_NO_MAJORITY);
	assert_int_equal(v[1], NTP_SEL_NO_MAJORITY);
}

static void
test_three_with_one_liar(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.02), at(0.005, 0.02), at(2.0, 0.02)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[2], NTP_SEL_FALSETICKER);
	assert_int_equal(r.n_truechimers, 2);
	/* Equal scores: the lower index is the system peer. */
	assert_int_equal(r.system_peer, 0);
	assert_near(r.offset, 0.0025, 1e-12);
	assert_near(r.low, -0.015, 1e-12);
	assert_near(r.high, 0.02, 1e-12);
}

static void
test_five_with_two_liars(void **state)
{
	struct ntp_sel_source src[] = {at(3.0, 0.01), at(0.0, 0.01), at(0.001, 0.01),
	                               at(-3.0, 0.01), at(-0.001, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[0], NTP_SEL_FALSETICKER);
	assert_int_equal(v[3], NTP_SEL_FALSETICKER);
	assert_int_equal(r.n_truechimers, 3);
	assert_true(fabs(r.offset) < 1e-3);
	assert_near(r.low, -0.009, 1e-12);
	assert_near(r.high, 0.009, 1e-12);
}

static void
test_five_with_three_liars(void **state)
{
	/* Whether the liars half agree among themselves or scatter, nobody wins. */
	const double liars[][3] = {{3.0, 3.0, -3.0}, {3.0, -3.0, 6.0}};

	(void)state;
	for (size_t k = 0; k < ARRAY_LEN(liars); k++) {
		struct ntp_sel_source src[] = {at(0.0, 0.01), at(liars[k][0], 0.01),
		                               at(0.001, 0.01), at(liars[k][1], 0.01),
		                               at(liars[k][2], 0.01)};
		enum ntp_sel_verdict v[ARRAY_LEN(src)];
		struct ntp_sel_result r;

		assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_MAJORITY_FOUND);
		assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_NO_MAJORITY),
		                 ARRAY_LEN(src));
	}
}

static void
test_touching_interval_intersects(void **state)
{
	/* [0, 2], [0, 2] and [2, 4]: the third meets the others at 2 only. */
	struct ntp_sel_source src[] = {at(1.0, 1.0), at(1.0, 1.0), at(3.0, 1.0)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[2], NTP_SEL_CANDIDATE);
	assert_int_equal(r.n_truechimers, 3);
	/* All three share the point 2, and that is the intersection. */
	assert_true(r.low == 2.0 && r.high == 2.0);
	/* A hair further and it misses. */
	src[2].offset = 3.0 + 1e-9;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[2], NTP_SEL_FALSETICKER);
	assert_int_equal(r.n_truechimers, 2);
}

static void
test_single_point_intersection(void **state)
{
	/* [0, 0], [0, 0] and [-2, 0] share exactly one point: enough. */
	struct ntp_sel_source src[] = {at(0.0, 0.0), at(0.0, 0.0), at(-1.0, 1.0)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_true(r.low == 0.0 && r.high == 0.0);
	assert_int_equal(r.n_truechimers, 3);
	assert_int_equal(v[2], NTP_SEL_CANDIDATE);
}

static void
test_touching_pair_agrees(void **state)
{
	/*
	 * [-1, 1] and [1, 3] meet at 1: both may hold the true time, so they
	 * agree (RFC 5905's skeleton would also want each offset inside the
	 * other's interval; see select.c for why that test is not made).
	 */
	struct ntp_sel_source src[] = {at(0.0, 1.0), at(2.0, 1.0)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_true(r.low == 1.0 && r.high == 1.0);
	/* A hair apart, neither can be believed over the other. */
	src[1].offset = 2.0 + 1e-9;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_MAJORITY_FOUND);
}

/* Truthful sources known to different precisions agree (the integration test's case). */
static void
test_precise_and_rough_agree(void **state)
{
	struct ntp_sel_source src[] = {at(1.6e-6, 4.3e-6), at(-7.9e-6, 27.7e-6),
	                               at(-0.4e-6, 26.3e-6), at(3.0, 27e-6), at(-3.0, 27e-6)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_truechimers, 3);
	assert_int_equal(v[3], NTP_SEL_FALSETICKER);
	assert_int_equal(v[4], NTP_SEL_FALSETICKER);
}

static void
test_identical_intervals(void **state)
{
	struct ntp_sel_source src[] = {at(0.25, 0.1), at(0.25, 0.1), at(0.25, 0.1)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 0);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_CANDIDATE), 2);
	assert_true(r.offset == 0.25);
	/* No disagreement: the jitter is the peer's own. */
	assert_true(r.jitter == 1e-3);
	assert_near(r.low, 0.15, 1e-12);
	assert_near(r.high, 0.35, 1e-12);
}

static void
test_nested_intervals(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 1.0), at(0.1, 0.5), at(0.05, 0.1)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	/* The intersection is the innermost interval, whose source is followed. */
	assert_near(r.low, -0.05, 1e-12);
	assert_near(r.high, 0.15, 1e-12);
	assert_int_equal(r.system_peer, 2);
	assert_int_equal(r.n_survivors, 3);
}

static void
test_huge_interval(void **state)
{
	/* One source 2 s wide holds everyone; it must neither widen nor block. */
	struct ntp_sel_source src[] = {at(0.201, 2.0), at(0.001, 0.01), at(0.001, 0.01),
	                               at(0.001, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_truechimers, 4);
	assert_near(r.low, -0.009, 1e-12);
	assert_near(r.high, 0.011, 1e-12);
	/* A truechimer, but its offset is 0.2 s from the rest: clustered out. */
	assert_int_equal(v[0], NTP_SEL_OUTLIER);
	assert_int_equal(r.system_peer, 1);
	assert_true(r.offset == 0.001);
}

static void
test_zero_root_distance(void **state)
{
	struct ntp_sel_source src[] = {at(0.5, 0.0), at(0.5, 0.0), at(0.505, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 0);
	assert_true(r.root_distance == 0.0);
	/* Distance 0 weighs as 1 ns: overwhelming, yet the third still counts. */
	assert_true(r.offset > 0.5 && r.offset < 0.5 + 1e-9);
	assert_true(isfinite(r.jitter));
}

static void
test_non_finite_inputs(void **state)
{
	/* Only the fourth is sane; offsets and distances beyond an era are no estimate. */
	struct ntp_sel_source src[] = {
	    at(NAN, 0.01), at(INFINITY, 0.01), at(-INFINITY, 0.01), at(0.0, 0.01),
	    at(0.0, NAN),  at(0.0, INFINITY),  at(0.0, -0.01),      at(1e300, 0.01),
	    at(0.0, 5e9),  at(0.0, 0.01),      at(0.0, 0.01),
	};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	src[9].jitter = NAN;
	src[10].jitter = -1.0;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 3);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_UNREACHABLE), ARRAY_LEN(src) - 1);
	/* The good one alone, then nothing at all. */
	src[3].jitter = INFINITY;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_SOURCES);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_UNREACHABLE), ARRAY_LEN(src));
}

static void
test_odd_params(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.01), at(0.01, 0.02), at(0.05, 0.1)};
	struct ntp_sel_params p = defaults;
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	/* A NaN limit admits nothing. */
	p.max_distance = NAN;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_SOURCES);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_TOO_FAR), ARRAY_LEN(src));
	/* A NaN weight makes every score equal: still an answer. */
	p = defaults;
	p.stratum_weight = NAN;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	/* No minimum: clustering may prune down to one, never to none. */
	p = defaults;
	p.min_survivors = -5;
	src[2].offset = 0.09;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 1);
}

static void
test_nothing_usable(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.01), at(0.0, 0.01), at(0.0, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		src[i].usable = 0;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_SOURCES);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_UNREACHABLE), ARRAY_LEN(src));
	assert_int_equal(sel(NULL, 0, NULL, &r), NTP_SEL_NO_SOURCES);
}

static void
test_unfit_sources(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.01), at(0.0, 0.01), at(0.0, 0.01), at(0.0, 3.5),
	                               at(0.0, 3.0),  at(0.0, 10.0), at(0.0, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	src[0].synchronised = 0; /* leap 3 */
	src[1].stratum = 16;
	src[2].stratum = 0;
	src[5].synchronised = 0; /* unsynchronised wins over too far */
	src[6].usable = 0;
	src[6].synchronised = 0; /* unreachable wins over unsynchronised */
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[0], NTP_SEL_UNSYNCHRONISED);
	assert_int_equal(v[1], NTP_SEL_UNSYNCHRONISED);
	assert_int_equal(v[2], NTP_SEL_UNSYNCHRONISED);
	assert_int_equal(v[3], NTP_SEL_TOO_FAR);
	/* Exactly at the limit is not above it. */
	assert_int_equal(v[4], NTP_SEL_SELECTED);
	assert_int_equal(v[5], NTP_SEL_UNSYNCHRONISED);
	assert_int_equal(v[6], NTP_SEL_UNREACHABLE);
}

static void
test_fallback_only_when_others_gone(void **state)
{
	struct ntp_sel_source src[] = {at(0.1, 0.05), at(0.3, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	src[1].fallback = 1;
	/* A fit primary: the fallback is neither followed nor combined. */
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[1], NTP_SEL_FALLBACK);
	assert_true(r.offset == 0.1);
	assert_int_equal(r.n_truechimers, 1);
	/* The primary gone, or unfit: the fallback steps in. */
	src[0].usable = 0;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 1);
	assert_true(r.offset == 0.3);
	src[0].usable = 1;
	src[0].root_distance = 4.0;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(v[0], NTP_SEL_TOO_FAR);
	assert_int_equal(r.system_peer, 1);
}

static void
test_fallback_not_used_on_disagreement(void **state)
{
	/* Fit primaries that disagree are a failure to report, not to paper over. */
	struct ntp_sel_source src[] = {at(0.0, 0.01), at(0.5, 0.01), at(0.0, 0.01)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	src[2].fallback = 1;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_MAJORITY_FOUND);
	assert_int_equal(v[0], NTP_SEL_NO_MAJORITY);
	assert_int_equal(v[1], NTP_SEL_NO_MAJORITY);
	assert_int_equal(v[2], NTP_SEL_FALLBACK);
	/* Fallbacks standing in face the same majority rule among themselves. */
	src[0].fallback = src[1].fallback = 1;
	src[2].offset = 1.0;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_NO_MAJORITY_FOUND);
}

static void
test_clustering_prunes_outlier(void **state)
{
	/* All five intervals meet, but one offset sits 50 ms from the rest. */
	struct ntp_sel_source src[] = {at(0.0, 0.1), at(0.001, 0.1), at(-0.001, 0.1),
	                               at(0.0005, 0.1), at(0.05, 0.1)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		src[i].jitter = 0.002;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_truechimers, 5);
	assert_int_equal(v[4], NTP_SEL_OUTLIER);
	/* The other four disagree by less than their own 2 ms of noise: kept. */
	assert_int_equal(r.n_survivors, 4);
	assert_near(r.offset, 0.0005 / 4, 1e-12);
}

static void
test_clustering_keeps_min_survivors(void **state)
{
	/*
	 * Offsets 1/128 s apart (exact in binary, so ties are exact), jitter
	 * 1 us: pruning stops only at the minimum.
	 */
	struct ntp_sel_source src[] = {at(0.0, 0.1), at(1.0 / 128, 0.1), at(2.0 / 128, 0.1),
	                               at(3.0 / 128, 0.1)};
	struct ntp_sel_params p = defaults;
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		src[i].jitter = 1e-6;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 3);
	/* The two ends are the furthest from the rest; the lower index goes. */
	assert_int_equal(v[0], NTP_SEL_OUTLIER);
	p.min_survivors = 1;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 1);
	assert_int_equal(ntp_sel_count(v, ARRAY_LEN(src), NTP_SEL_OUTLIER), 3);
	/* Noisier than they disagree: nothing to gain by pruning. */
	for (size_t i = 0; i < ARRAY_LEN(src); i++)
		src[i].jitter = 0.05;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 4);
}

static void
test_clustering_threshold(void **state)
{
	/*
	 * Two survivors 1/128 s apart: each one's selection jitter, the RMS
	 * over the one other, is exactly 1/128 s.
	 */
	struct ntp_sel_source src[] = {at(0.0, 0.1), at(1.0 / 128, 0.1)};
	struct ntp_sel_params p = defaults;
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	p.min_survivors = 1;
	/* Disagreement equal to the noise does not exceed it. */
	src[0].jitter = src[1].jitter = 1.0 / 128;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 2);
	/* A little less noise and one goes. */
	src[0].jitter = src[1].jitter = 0.007;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.n_survivors, 1);
	assert_int_equal(v[0], NTP_SEL_OUTLIER);
}

static void
test_stratum_weight_ranks(void **state)
{
	/* Stratum 3 at 10 ms against stratum 1 at 11.5 ms: 13 ms against 12.5 ms. */
	struct ntp_sel_source src[] = {at(0.0, 0.010), at(0.0, 0.0115)};
	struct ntp_sel_params p = defaults;
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	src[0].stratum = 3;
	src[1].stratum = 1;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 1);
	assert_true(r.root_distance == 0.0115);
	p.stratum_weight = 0.0;
	assert_int_equal(select_with(&p, src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 0);
}

static void
test_combined_offset_and_jitter(void **state)
{
	struct ntp_sel_source src[] = {at(0.0, 0.1), at(0.03, 0.2)};
	enum ntp_sel_verdict v[ARRAY_LEN(src)];
	struct ntp_sel_result r;

	(void)state;
	assert_int_equal(sel(src, ARRAY_LEN(src), v, &r), NTP_SEL_OK);
	assert_int_equal(r.system_peer, 0);
	/* Weights 10 and 5. */
	assert_near(r.offset, (5 * 0.03) / 15, 1e-12);
	/* sqrt(5 * 0.03^2 / 15) about the peer, combined with its 1 ms. */
	assert_near(r.jitter, sqrt(5 * 0.03 * 0.03 / 15 + 1e-6), 1e-12);
}

static void
test_deterministic(void **state)
{
	struct ntp_sel_source src[] = {at(3.0, 0.01),  at(0.0, 0.01),  at(NAN, 0.01),
	                               at(0.001, 0.2), at(-3.0, 0.01), at(0.0004, 0.05),
	                               at(0.002, 0.01)};
	enum ntp_sel_verdict v1[ARRAY_LEN(src)], v2[ARRAY_LEN(src)];
	struct ntp_sel_result r1, r2;

	(void)state;
	src[6].fallback = 1;
	memset(v2, 0x5a, sizeof(v2));
	memset(&r2, 0x5a, sizeof(r2));
	assert_int_equal(sel(src, ARRAY_LEN(src), v1, &r1), NTP_SEL_OK);
	assert_int_equal(sel(src, ARRAY_LEN(src), v2, &r2), NTP_SEL_OK);
	assert_memory_equal(v1, v2, sizeof(v1));
	assert_int_equal(r1.system_peer, r2.system_peer);
	assert_true(r1.offset == r2.offset && r1.jitter == r2.jitter);
	assert_true(r1.low == r2.low && r1.high == r2.high);
	assert_int_equal(r1.n_truechimers, r2.n_truechimers);
	assert_int_equal(r1.n_survivors, r2.n_survivors);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_one_source),
	    cmocka_unit_test(test_two_agreeing),
	    cmocka_unit_test(test_two_disagreeing),
	    cmocka_unit_test(test_three_with_one_liar),
	    cmocka_unit_test(test_five_with_two_liars),
	    cmocka_unit_test(test_five_with_three_liars),
	    cmocka_unit_test(test_touching_interval_intersects),
	    cmocka_unit_test(test_single_point_intersection),
	    cmocka_unit_test(test_touching_pair_agrees),
	    cmocka_unit_test(test_precise_and_rough_agree),
	    cmocka_unit_test(test_identical_intervals),
	    cmocka_unit_test(test_nested_intervals),
	    cmocka_unit_test(test_huge_interval),
	    cmocka_unit_test(test_zero_root_distance),
	    cmocka_unit_test(test_non_finite_inputs),
	    cmocka_unit_test(test_odd_params),
	    cmocka_unit_test(test_nothing_usable),
	    cmocka_unit_test(test_unfit_sources),
	    cmocka_unit_test(test_fallback_only_when_others_gone),
	    cmocka_unit_test(test_fallback_not_used_on_disagreement),
	    cmocka_unit_test(test_clustering_prunes_outlier),
	    cmocka_unit_test(test_clustering_keeps_min_survivors),
	    cmocka_unit_test(test_clustering_threshold),
	    cmocka_unit_test(test_stratum_weight_ranks),
	    cmocka_unit_test(test_combined_offset_and_jitter),
	    cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

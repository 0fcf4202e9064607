/*
 * select.c - RFC 5905 section 11.2: selection, clustering and combining.
 *
 * The verdicts array is the working state: a source is in the running while
 * its verdict is NTP_SEL_CANDIDATE, and each step turns the sources it
 * rejects into their final verdict. Nothing is sorted or copied, so any
 * number of sources needs no memory beyond the caller's arrays.
 */
#include <math.h>

#include "../common/util.h"
#include "select.h"

/*
 * One NTP era, 2^32 s: no offset, distance or jitter an NTP exchange yields
 * is larger, and inputs bounded by it keep every sum, square and mean
 * below overflow.
 */
#define ERA_SECONDS 4294967296.0
/* Stratum 16 and above mean unsynchronised (RFC 5905 section 7.3). */
#define UNSYNC_STRATUM 16
/* Weights are 1/root distance, and a reference clock may claim a distance of 0. */
#define MIN_DISTANCE 1e-9

static const char *const verdict_names[NTP_SEL_N_VERDICTS] = {
    [NTP_SEL_SELECTED] = "selected",       [NTP_SEL_CANDIDATE] = "candidate",
    [NTP_SEL_OUTLIER] = "outlier",         [NTP_SEL_FALSETICKER] = "falseticker",
    [NTP_SEL_TOO_FAR] = "too_far",         [NTP_SEL_UNSYNCHRONISED] = "unsynchronised",
    [NTP_SEL_UNREACHABLE] = "unreachable", [NTP_SEL_FALLBACK] = "fallback",
    [NTP_SEL_NO_MAJORITY] = "no_majority",
};

static const char *const status_names[NTP_SEL_N_STATUS] = {
    [NTP_SEL_OK] = "ok",
    [NTP_SEL_NO_SOURCES] = "no_sources",
    [NTP_SEL_NO_MAJORITY_FOUND] = "no_majority",
};

const char *
ntp_sel_verdict_name(enum ntp_sel_verdict v)
{
	return ENUM_NAME(verdict_names, v);
}

size_t
ntp_sel_count(const enum ntp_sel_verdict *v, size_t n, enum ntp_sel_verdict which)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		count += v[i] == which;
	return count;
}

const char *
ntp_sel_status_name(enum ntp_sel_status status)
{
	return ENUM_NAME(status_names, status);
}

/* LO <= X <= HI; false for NaN. */
static int
within(double x, double lo, double hi)
{
	return x >= lo && x <= hi;
}

static double
lower_edge(const struct ntp_sel_source *s)
{
	return s->offset - s->root_distance;
}

static double
upper_edge(const struct ntp_sel_source *s)
{
	return s->offset + s->root_distance;
}

/*
 * Step 1, the fitness checks that open RFC 5905 section 11.2: whether a
 * source may take part at all. An estimate that is not a number, or out of
 * all proportion, is no estimate.
 */
static enum ntp_sel_verdict
fitness(const struct ntp_sel_source *s, const struct ntp_sel_params *params)
{
	if (!s->usable || !within(s->offset, -ERA_SECONDS, ERA_SECONDS) ||
	    !within(s->root_distance, 0.0, ERA_SECONDS) || !within(s->jitter, 0.0, ERA_SECONDS))
		return NTP_SEL_UNREACHABLE;
	if (!s->synchronised || s->stratum <= 0 || s->stratum >= UNSYNC_STRATUM)
		return NTP_SEL_UNSYNCHRONISED;
	if (!within(s->root_distance, 0.0, params->max_distance))
		return NTP_SEL_TOO_FAR;
	return NTP_SEL_CANDIDATE;
}

/*
 * Give every source its fitness verdict and return how many take part.
 * A fallback source (W32Time UseAsFallbackOnly) takes part only when no
 * other source is fit; otherwise it is not even counted towards the
 * majority.
 */
static size_t
sift(const struct ntp_sel_source *src, size_t n, const struct ntp_sel_params *params,
     enum ntp_sel_verdict *verdicts)
{
	size_t n_primary = 0, n_fallback = 0;

	for (size_t i = 0; i < n; i++) {
		verdicts[i] = fitness(&src[i], params);
		if (verdicts[i] == NTP_SEL_CANDIDATE) {
			if (src[i].fallback)
				n_fallback++;
			else
				n_primary++;
		}
	}
	if (n_primary == 0)
		return n_fallback;
	for (size_t i = 0; i < n; i++)
		if (verdicts[i] == NTP_SEL_CANDIDATE && src[i].fallback)
			verdicts[i] = NTP_SEL_FALLBACK;
	return n_primary;
}

/* How many sources in the running have X inside their (closed) interval. */
static size_t
coverage(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts, double x)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (verdicts[i] == NTP_SEL_CANDIDATE && lower_edge(&src[i]) <= x &&
		    x <= upper_edge(&src[i]))
			count++;
	return count;
}

/*
 * The lowest and highest points inside at least NEED intervals; 0 when no
 * point is. This is what RFC 5905's scans of the sorted endpoint list find:
 * walking up, the count of open intervals first reaches NEED at some lower
 * endpoint, and walking down at some upper one, so only endpoints need
 * trying. At equal values the RFC's order must put lower endpoints before
 * upper ones for intervals that touch to count as intersecting; testing
 * closed intervals here says the same without an order.
 */
static int
span_covered(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
             size_t need, double *ret_low, double *ret_high)
{
	double low = INFINITY, high = -INFINITY;

	for (size_t i = 0; i < n; i++) {
		double lo, hi;

		if (verdicts[i] != NTP_SEL_CANDIDATE)
			continue;
		lo = lower_edge(&src[i]);
		hi = upper_edge(&src[i]);
		if (lo < low && coverage(src, n, verdicts, lo) >= need)
			low = lo;
		if (hi > high && coverage(src, n, verdicts, hi) >= need)
			high = hi;
	}
	*ret_low = low;
	*ret_high = high;
	return low <= high;
}

/*
 * Step 2, RFC 5905 section 11.2.1 as Marzullo's algorithm (and chrony):
 * allow f = 0, 1, ... of the M sources to be falsetickers while the other
 * M - f are still more than half, and stop at the first f for which some
 * point lies inside M - f intervals (see span_covered). The RFC's code
 * skeleton (appendix A.5.5.1) also wants the majority's offsets, the
 * interval midpoints, inside the span; that test is not made. With root
 * distances that are real (no 1 ms floor), one source known to a few
 * microseconds shrinks the span to its own interval, and truthful sources
 * known less well then fail the test though their intervals hold the true
 * time: honest servers would be declared without a majority. Intervals are
 * closed, so one shared point is enough, where the skeleton wants high > low.
 */
static int
intersect(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
          size_t m, double *ret_low, double *ret_high)
{
	for (size_t f = 0; 2 * f < m; f++)
		if (span_covered(src, n, verdicts, m - f, ret_low, ret_high))
			return 1;
	return 0;
}

/*
 * Sources whose interval misses [LOW, HIGH] entirely are falsetickers;
 * the rest, truechimers, stay in the running. Returns the truechimers.
 */
static size_t
reject_falsetickers(const struct ntp_sel_source *src, size_t n, enum ntp_sel_verdict *verdicts,
                    double low, double high)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (verdicts[i] != NTP_SEL_CANDIDATE)
			continue;
		if (upper_edge(&src[i]) < low || lower_edge(&src[i]) > high)
			verdicts[i] = NTP_SEL_FALSETICKER;
		else
			count++;
	}
	return count;
}

/* RMS of the differences between source I's offset and the other S - 1 (S >= 2) in the running. */
static double
selection_jitter(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
                 size_t i, size_t s)
{
	double sum = 0.0;

	for (size_t j = 0; j < n; j++) {
		double d;

		if (verdicts[j] != NTP_SEL_CANDIDATE)
			continue;
		d = src[j].offset - src[i].offset;
		sum += d * d;
	}
	return sqrt(sum / (double)(s - 1));
}

/*
 * Step 3, RFC 5905 section 11.2.2: of the S survivors, drop the one whose
 * offset disagrees most with the others (the largest selection jitter,
 * the lowest index on a tie), while more than KEEP remain and that
 * disagreement exceeds the noise of the quietest survivor (the smallest
 * peer jitter); past that point pruning would only throw good data away.
 * Returns the survivors left.
 */
static size_t
cluster(const struct ntp_sel_source *src, size_t n, enum ntp_sel_verdict *verdicts, size_t s,
        size_t keep)
{
	while (s > keep) {
		double worst_jitter = -1.0, quietest = INFINITY;
		size_t worst = 0;

		for (size_t i = 0; i < n; i++) {
			double jitter;

			if (verdicts[i] != NTP_SEL_CANDIDATE)
				continue;
			jitter = selection_jitter(src, n, verdicts, i, s);
			if (jitter > worst_jitter) {
				worst_jitter = jitter;
				worst = i;
			}
			quietest = fmin(quietest, src[i].jitter);
		}
		if (worst_jitter <= quietest)
			break;
		verdicts[worst] = NTP_SEL_OUTLIER;
		s--;
	}
	return s;
}

/* Lower is better: distance to the primary reference, plus a penalty per stratum. */
static double
score(const struct ntp_sel_source *s, const struct ntp_sel_params *params)
{
	return s->root_distance + s->stratum * params->stratum_weight;
}

/*
 * Step 4, the system peer: the survivor with the best score, the lowest
 * index on a tie. RFC 5905 ranks by MAXDIST per stratum plus distance, so
 * stratum nearly always decides; chrony's small per-stratum weight lets a
 * much closer source of a higher stratum win, and is what PARAMS carries.
 */
static size_t
best_survivor(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
              const struct ntp_sel_params *params)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++)
		if (verdicts[i] == NTP_SEL_CANDIDATE &&
		    (best == n || score(&src[i], params) < score(&src[best], params)))
			best = i;
	return best;
}

/*
 * Step 4 continued, RFC 5905 section 11.2.3: the survivors' offsets
 * averaged with weights 1/root distance, and their weighted RMS about the
 * system peer's offset (the selection jitter), combined with the peer's
 * own jitter. Sums run over differences from the peer's offset, so a lone
 * survivor gives back its own offset exactly.
 */
static void
combine(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
        size_t peer, struct ntp_sel_result *ret)
{
	double sum_w = 0.0, sum_wd = 0.0, sum_wd2 = 0.0;

	for (size_t i = 0; i < n; i++) {
		double w, d;

		if (verdicts[i] != NTP_SEL_CANDIDATE)
			continue;
		w = 1.0 / fmax(src[i].root_distance, MIN_DISTANCE);
		d = src[i].offset - src[peer].offset;
		sum_w += w;
		sum_wd += w * d;
		sum_wd2 += w * d * d;
	}
	ret->offset = src[peer].offset + sum_wd / sum_w;
	ret->jitter = hypot(sqrt(sum_wd2 / sum_w), src[peer].jitter);
}

enum ntp_sel_status
ntp_select(const struct ntp_sel_source *src, size_t n, const struct ntp_sel_params *params,
           enum ntp_sel_verdict *verdicts, struct ntp_sel_result *ret)
{
	size_t m = sift(src, n, params, verdicts);
	size_t keep = params->min_survivors > 1 ? (size_t)params->min_survivors : 1;
	double low, high;
	size_t peer;

	*ret = (struct ntp_sel_result){.status = NTP_SEL_NO_SOURCES, .system_peer = -1};
	if (m == 0)
		return ret->status;
	if (!intersect(src, n, verdicts, m, &low, &high)) {
		for (size_t i = 0; i < n; i++)
			if (verdicts[i] == NTP_SEL_CANDIDATE)
				verdicts[i] = NTP_SEL_NO_MAJORITY;
		ret->status = NTP_SEL_NO_MAJORITY_FOUND;
		return ret->status;
	}
	ret->low = low;
	ret->high = high;
	ret->n_truechimers = reject_falsetickers(src, n, verdicts, low, high);
	ret->n_survivors = cluster(src, n, verdicts, ret->n_truechimers, keep);
	peer = best_survivor(src, n, verdicts, params);
	combine(src, n, verdicts, peer, ret);
	verdicts[peer] = NTP_SEL_SELECTED;
	ret->status = NTP_SEL_OK;
	ret->system_peer = (int)peer;
	ret->root_distance = src[peer].root_distance;
	return ret->status;
}

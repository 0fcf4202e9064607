/*
 * fuzz_select.c - source selection over whatever numbers arrive: never a
 * crash, always a consistent and repeatable answer.
 *
 * Input: max_distance, stratum_weight, one octet of min_survivors, then up
 * to 16 sources of one octet of flags and stratum followed by offset, root
 * distance and jitter. Each number is an octet: below 0x80 it is a point on
 * a 1/8 s grid in [-8, 8), so ties, shared endpoints and touching intervals
 * come often; otherwise the next 8 octets are a raw double (NaN, infinities,
 * subnormals, anything).
 */
#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ntp/select.h"

#define MAX_SOURCES 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t
take_octet(struct input *in)
{
	if (in->left == 0)
		return 0;
	in->left--;
	return *in->p++;
}

static double
take_number(struct input *in)
{
	uint8_t tag = take_octet(in);
	double d = 0.0;

	if (tag < 0x80)
		return (tag - 64) / 8.0;
	if (in->left >= sizeof(d)) {
		memcpy(&d, in->p, sizeof(d));
		in->p += sizeof(d);
		in->left -= sizeof(d);
	}
	return d;
}

/* Whether a verdict says the source met the intersection. */
static int
truechimer(enum ntp_sel_verdict v)
{
	return v == NTP_SEL_SELECTED || v == NTP_SEL_CANDIDATE || v == NTP_SEL_OUTLIER;
}

static void
check_ok(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *v,
         const struct ntp_sel_result *r)
{
	double lo = INFINITY, hi = -INFINITY, tol;
	size_t n_false = ntp_sel_count(v, n, NTP_SEL_FALSETICKER);

	if (r->system_peer < 0 || (size_t)r->system_peer >= n ||
	    v[r->system_peer] != NTP_SEL_SELECTED || ntp_sel_count(v, n, NTP_SEL_SELECTED) != 1)
		abort();
	if (r->n_survivors != 1 + ntp_sel_count(v, n, NTP_SEL_CANDIDATE) ||
	    r->n_truechimers != r->n_survivors + ntp_sel_count(v, n, NTP_SEL_OUTLIER) ||
	    2 * r->n_truechimers <= r->n_truechimers + n_false)
		abort();
	if (!isfinite(r->offset) || !isfinite(r->jitter) || r->jitter < 0.0 || !(r->low <= r->high))
		abort();
	if (r->root_distance != src[r->system_peer].root_distance)
		abort();
	for (size_t i = 0; i < n; i++) {
		int meets = src[i].offset + src[i].root_distance >= r->low &&
		            src[i].offset - src[i].root_distance <= r->high;

		if ((truechimer(v[i]) && !meets) || (v[i] == NTP_SEL_FALSETICKER && meets))
			abort();
		if (v[i] == NTP_SEL_SELECTED || v[i] == NTP_SEL_CANDIDATE) {
			lo = fmin(lo, src[i].offset);
			hi = fmax(hi, src[i].offset);
		}
	}
	/* A weighted mean stays among the values averaged, rounding aside (a few ulps). */
	tol = 1e-9 * (fabs(lo) + fabs(hi)) + 8 * DBL_TRUE_MIN;
	if (r->offset < lo - tol || r->offset > hi + tol)
		abort();
}

static void
check(const struct ntp_sel_source *src, size_t n, const enum ntp_sel_verdict *v,
      const struct ntp_sel_result *r, enum ntp_sel_status status)
{
	if (status != r->status || (unsigned)status >= NTP_SEL_N_STATUS)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned)v[i] >= NTP_SEL_N_VERDICTS ||
		    strcmp(ntp_sel_verdict_name(v[i]), "unknown") == 0)
			abort();
	/* A fallback source is left out only for a fit primary. */
	if (ntp_sel_count(v, n, NTP_SEL_FALLBACK) > 0) {
		size_t fit_primary = 0;

		for (size_t i = 0; i < n; i++)
			fit_primary += !src[i].fallback && v[i] != NTP_SEL_UNREACHABLE &&
			               v[i] != NTP_SEL_UNSYNCHRONISED && v[i] != NTP_SEL_TOO_FAR;
		if (fit_primary == 0)
			abort();
	}
	if (status == NTP_SEL_OK) {
		check_ok(src, n, v, r);
		return;
	}
	/* A failure decides nothing past fitness. */
	if (r->system_peer != -1 || r->offset != 0.0 || r->n_truechimers != 0)
		abort();
	for (size_t i = 0; i < n; i++)
		if (truechimer(v[i]) || v[i] == NTP_SEL_FALSETICKER)
			abort();
	if ((status == NTP_SEL_NO_MAJORITY_FOUND) != (ntp_sel_count(v, n, NTP_SEL_NO_MAJORITY) > 0))
		abort();
}

static int
same(const struct ntp_sel_result *a, const struct ntp_sel_result *b)
{
	return a->status == b->status && a->system_peer == b->system_peer &&
	       a->offset == b->offset && a->jitter == b->jitter &&
	       a->root_distance == b->root_distance && a->n_truechimers == b->n_truechimers &&
	       a->n_survivors == b->n_survivors && a->low == b->low && a->high == b->high;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	struct ntp_sel_source src[MAX_SOURCES];
	enum ntp_sel_verdict v1[MAX_SOURCES], v2[MAX_SOURCES];
	struct ntp_sel_result r1, r2;
	struct ntp_sel_params params;
	enum ntp_sel_status status;
	size_t n = 0;

	params.max_distance = take_number(&in);
	params.stratum_weight = take_number(&in);
	params.min_survivors = (int8_t)take_octet(&in);
	while (n < MAX_SOURCES && in.left > 0) {
		uint8_t flags = take_octet(&in);

		src[n].usable = flags & 1;
		src[n].synchronised = flags >> 1 & 1;
		src[n].fallback = flags >> 2 & 1;
		src[n].stratum = (flags >> 3) - 8;
		src[n].offset = take_number(&in);
		src[n].root_distance = take_number(&in);
		src[n].jitter = take_number(&in);
		n++;
	}
	status = ntp_select(src, n, &params, v1, &r1);
	check(src, n, v1, &r1, status);
	/* Again into outputs full of junk: every field must be written, identically. */
	memset(v2, 0xa5, sizeof(v2));
	memset(&r2, 0xa5, sizeof(r2));
	if (ntp_select(src, n, &params, v2, &r2) != status || !same(&r1, &r2) ||
	    memcmp(v1, v2, n * sizeof(v1[0])) != 0)
		abort();
	return 0;
}

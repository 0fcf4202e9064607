/*
 * sync.c - selection and discipline over the sources' estimates.
 */
#include <math.h>
#include <stdlib.h>

#include "../common/xmalloc.h"
#include "reference.h"
#include "sync.h"

/* Clustering keeps at least this many survivors (RFC 5905 NMIN). */
#define MIN_SURVIVORS 3
/* Seconds of distance per stratum when ranking (chrony's stratumweight). */
#define STRATUM_WEIGHT 1e-3

double
ntp_sync_root_distance(const struct ntp_sync_source *s)
{
	const struct ntp_flt_estimate *e = &s->est;

	if (!s->have_estimate)
		return NAN;
	return (s->root_delay + e->min_delay) / 2.0 + s->root_dispersion + e->dispersion +
	       e->jitter;
}

static void
selection_input(const struct ntp_sync_source *s, struct ntp_sel_source *ret)
{
	*ret = (struct ntp_sel_source){.fallback = s->fallback};
	if (!s->have_estimate)
		return;
	ret->usable = s->usable;
	ret->synchronised = s->leap != NTP_LEAP_UNSYNC && s->stratum > 0 && s->stratum < 16;
	ret->stratum = s->stratum;
	ret->offset = s->est.offset;
	ret->jitter = s->est.jitter;
	ret->root_distance = ntp_sync_root_distance(s);
}

static int
in_use(enum ntp_sel_verdict v)
{
	return v == NTP_SEL_SELECTED || v == NTP_SEL_CANDIDATE;
}

/* Drift of the survivors against us, weighted by how well each knows it. */
static void
combined_freq(const struct ntp_sync_source *src, size_t n, const enum ntp_sel_verdict *verdicts,
              double *ret_freq, double *ret_sd)
{
	double sw = 0.0, sf = 0.0;

	for (size_t i = 0; i < n; i++) {
		const struct ntp_flt_estimate *e = &src[i].est;

		if (!in_use(verdicts[i]) || !isfinite(e->freq_sd) || e->freq_sd <= 0.0)
			continue;
		sw += 1.0 / (e->freq_sd * e->freq_sd);
		sf += e->freq / (e->freq_sd * e->freq_sd);
	}
	*ret_freq = sw > 0.0 ? sf / sw : 0.0;
	*ret_sd = sw > 0.0 ? sqrt(1.0 / sw) : INFINITY;
}

enum ntp_sel_status
ntp_sync_update(struct ntp_dsc *dsc, const struct ntp_sync_source *src, size_t n,
                double max_distance, double now, double freq_now, enum ntp_sel_verdict *verdicts,
                struct ntp_sync_result *ret)
{
	struct ntp_sel_params params = {.max_distance = max_distance,
	                                .min_survivors = MIN_SURVIVORS,
	                                .stratum_weight = STRATUM_WEIGHT};
	struct ntp_sel_source *in = xcalloc(n > 0 ? n : 1, sizeof(*in));
	const struct ntp_sync_source *peer;

	*ret = (struct ntp_sync_result){0};
	for (size_t i = 0; i < n; i++)
		selection_input(&src[i], &in[i]);
	ntp_select(in, n, &params, verdicts, &ret->sel);
	free(in);
	if (ret->sel.status != NTP_SEL_OK || dsc == NULL)
		return ret->sel.status;
	peer = &src[ret->sel.system_peer];
	ret->in = (struct ntp_dsc_input){
	    .now = now,
	    .offset = ret->sel.offset,
	    .offset_sd = peer->est.offset_sd,
	    .interval = ldexp(1.0, peer->poll),
	    .freq_now = freq_now,
	};
	combined_freq(src, n, verdicts, &ret->in.freq, &ret->in.freq_sd);
	ntp_dsc_update(dsc, &ret->in, &ret->action);
	ret->updated = 1;
	return ret->sel.status;
}

/*
 * select.h - choosing among time sources: whom to believe, whom to follow.
 *
 * RFC 5905 section 11.2 in four steps over the sources' current estimates:
 * sift out those unfit to synchronise to; find the intersection of the
 * correctness intervals (offset +- root distance) that a majority shares,
 * and call the sources outside it falsetickers; prune the survivors whose
 * offsets disagree most with the rest (clustering); then follow the best
 * survivor and average all survivors' offsets. When no majority agrees,
 * nobody is followed: the daemon must say so rather than pick one.
 *
 * Pure: no I/O, no clock, no allocation. The work is O(n^2) per falseticker
 * allowed and per survivor pruned, nothing for the tens of sources a daemon
 * polls.
 */
#ifndef DOMTIMED_NTP_SELECT_H
#define DOMTIMED_NTP_SELECT_H

#include <stddef.h>

/* What selection made of one source. */
enum ntp_sel_verdict {
	NTP_SEL_SELECTED,       /* the system peer: gives stratum, refid, root delay/dispersion */
	NTP_SEL_CANDIDATE,      /* survived, combined into the offset */
	NTP_SEL_OUTLIER,        /* truechimer pruned by clustering (not combined) */
	NTP_SEL_FALSETICKER,    /* interval misses the majority's intersection */
	NTP_SEL_TOO_FAR,        /* root distance above the limit */
	NTP_SEL_UNSYNCHRONISED, /* source says leap 3 or stratum 0/>=16 */
	NTP_SEL_UNREACHABLE,    /* no current estimate, or one no NTP exchange can yield */
	NTP_SEL_FALLBACK,       /* W32Time flag 0x2: left out while any other source is fit */
	NTP_SEL_NO_MAJORITY,    /* selection failed: no interval is shared by more than half */
	NTP_SEL_N_VERDICTS
};

/*
 * "selected", "candidate", "outlier", "falseticker", "too_far",
 * "unsynchronised", "unreachable", "fallback", "no_majority";
 * "unknown" for anything else.
 */
const char *ntp_sel_verdict_name(enum ntp_sel_verdict v);

/* How many of the N verdicts in V are WHICH. */
size_t ntp_sel_count(const enum ntp_sel_verdict *v, size_t n, enum ntp_sel_verdict which);

/* One source's current estimate, as its own filter and statistics see it. */
struct ntp_sel_source {
	int usable;       /* has a current offset estimate (reachable, valid samples) */
	int synchronised; /* leap != 3 and 0 < stratum < 16 (the stratum is checked again) */
	int fallback;     /* only when all others fail */
	int stratum;
	double offset; /* seconds, server - local, estimated for now */
	/*
	 * Seconds: half the total delay to the primary reference plus all
	 * dispersion and jitter. The correctness interval is offset +-
	 * root_distance.
	 */
	double root_distance;
	double jitter; /* seconds, RMS of this source's recent offsets about its estimate */
};

struct ntp_sel_params {
	/*
	 * Sources with a larger root distance are TOO_FAR. Configurable in the
	 * daemon: W32Time servers advertise large dispersion. NaN admits nothing.
	 */
	double max_distance;
	int min_survivors;     /* clustering prunes no further (RFC 5905 NMIN 3); < 1 is 1 */
	double stratum_weight; /* seconds of distance per stratum, for ranking (chrony 1 ms) */
};

enum ntp_sel_status {
	NTP_SEL_OK,                /* a system peer was chosen */
	NTP_SEL_NO_SOURCES,        /* nothing usable */
	NTP_SEL_NO_MAJORITY_FOUND, /* sources disagree: must not follow anyone silently */
	NTP_SEL_N_STATUS
};

/* "ok", "no_sources", "no_majority"; "unknown" for anything else. */
const char *ntp_sel_status_name(enum ntp_sel_status status);

/* Everything but the status is 0 (system_peer -1) unless the status is NTP_SEL_OK. */
struct ntp_sel_result {
	enum ntp_sel_status status;
	int system_peer; /* index into the input, -1 unless OK */
	double offset;   /* combined offset of the survivors, weighted by 1/root_distance */
	/*
	 * Selection jitter (weighted RMS of the survivors' offsets about the
	 * system peer's) combined with the system peer's own jitter.
	 */
	double jitter;
	double root_distance; /* of the system peer */
	size_t n_truechimers; /* sources whose interval meets the intersection */
	size_t n_survivors;   /* truechimers left after clustering: SELECTED + CANDIDATE */
	double low, high;     /* the intersection found: low <= high */
};

/*
 * Choose among the N sources at SRC under PARAMS. VERDICTS (N entries) gets
 * one verdict per source; *RET the outcome, whose status is also returned.
 *
 * Pure and total: any values, including NaN, infinities, negative
 * distances or jitters, and magnitudes beyond an NTP era (2^32 s), give a
 * defined answer (such sources are UNREACHABLE), and the same input always
 * gives the same output. SRC and VERDICTS may be NULL when N is 0; N must
 * fit in an int, as system_peer does.
 *
 * Which sources take part: the fit ones (usable, synchronised, root
 * distance within max_distance) that are not fallback sources; only when
 * there are none, the fit fallback sources. Fit fallback sources left out
 * are FALLBACK, whatever becomes of the others.
 *
 * The intersection is Marzullo's algorithm, as chrony's: with f of the m
 * sources allowed to be falsetickers (2f < m), it runs from the lowest to
 * the highest point inside at least m - f intervals, for the smallest such
 * f. RFC 5905's further test on the offsets (the intervals' midpoints) is
 * not made: see select.c. Intervals are closed: touching at one point is
 * intersecting. Two sources, for instance, agree exactly when their
 * intervals meet.
 */
enum ntp_sel_status ntp_select(const struct ntp_sel_source *src, size_t n,
                               const struct ntp_sel_params *params, enum ntp_sel_verdict *verdicts,
                               struct ntp_sel_result *ret);

#endif

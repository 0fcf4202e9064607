/*
 * sync.h - from the sources' estimates to one clock correction: each
 * source's root distance, selection among them (ntp/select), the drift the
 * survivors agree on, and the discipline's decision (ntp/discipline).
 *
 * The client (ntp/client.c) calls it at every new sample and applies the
 * decision to the clock; the closed-loop simulator (tests/sim) calls the
 * same function, so what it measures is what the daemon does.
 *
 * Pure but for the discipline's state, which the caller owns.
 */
#ifndef DOMTIMED_NTP_SYNC_H
#define DOMTIMED_NTP_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "discipline.h"
#include "filter.h"
#include "select.h"

/* One source as the client knows it at the moment of the update. */
struct ntp_sync_source {
	int have_estimate; /* est holds the filter's estimate for now */
	struct ntp_flt_estimate est;
	int usable;            /* answering with usable time, reached recently */
	int fallback;          /* W32Time flag 0x2 */
	uint8_t leap, stratum; /* the server's, from its last answer */
	double root_delay, root_dispersion;
	int poll; /* our poll interval to it, log2 s */
};

struct ntp_sync_result {
	struct ntp_sel_result sel;
	int updated;                  /* selection chose a peer and the discipline decided */
	struct ntp_dsc_input in;      /* what the discipline was told */
	struct ntp_dsc_action action; /* and what it decided */
};

/*
 * RFC 5905 root distance of S: half the delays to the primary reference,
 * all the dispersions, and the jitter. NAN without an estimate.
 */
double ntp_sync_root_distance(const struct ntp_sync_source *s);

/*
 * Select among the N sources at SRC (a source farther than MAX_DISTANCE is
 * not used) and, when a system peer is found, ask DSC what to do at NOW
 * (seconds on our clock) given the frequency correction FREQ_NOW in effect
 * (s/s). VERDICTS gets one verdict per source. Returns the selection status.
 * DSC NULL: select only (bring the verdicts up to date without feeding the
 * discipline a sample it has already seen).
 */
enum ntp_sel_status ntp_sync_update(struct ntp_dsc *dsc, const struct ntp_sync_source *src,
                                    size_t n, double max_distance, double now, double freq_now,
                                    enum ntp_sel_verdict *verdicts, struct ntp_sync_result *ret);

#endif

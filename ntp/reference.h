/*
 * reference.h - what this machine claims about its own time.
 *
 * The discipline (or the local reference, when the machine is configured as
 * a reliable source) keeps one struct ntp_ref up to date; the server answers
 * from it and domtimectl reports it. A plain value: copy it freely.
 */
#ifndef DOMTIMED_NTP_REFERENCE_H
#define DOMTIMED_NTP_REFERENCE_H

#include <stdint.h>
#include <time.h>

#include "packet.h"

/* RFC 5905 frequency tolerance: how fast dispersion grows with age. */
#define NTP_PHI 15e-6
/* RFC 5905 MAXDISP: the dispersion of a clock that knows nothing. */
#define NTP_MAX_DISPERSION 16.0

enum ntp_ref_kind {
	NTP_REF_NONE,  /* unsynchronised: answers carry leap 3, stratum 0 */
	NTP_REF_LOCAL, /* our own clock, trusted because configured reliable */
	NTP_REF_PEER,  /* synchronised to an upstream server */
};

struct ntp_ref {
	enum ntp_ref_kind kind;
	enum ntp_leap leap;       /* leap warning to pass on when synchronised */
	uint8_t stratum;          /* our stratum (upstream + 1, or local_stratum) */
	uint32_t refid;           /* upstream's address or LOCL */
	struct timespec ref_time; /* when the clock was last updated */
	double root_delay;        /* seconds, to the primary reference */
	double root_dispersion;   /* seconds, at ref_time */
};

/* Unsynchronised. */
void ntp_ref_set_none(struct ntp_ref *ref);
/* Serve our own clock at STRATUM with refid LOCL. */
void ntp_ref_set_local(struct ntp_ref *ref, uint8_t stratum);
int ntp_ref_synchronised(const struct ntp_ref *ref);

/*
 * Root dispersion at NOW: what was known at the last update plus PHI for
 * every second since. The local reference is as good as our clock reading.
 */
double ntp_ref_root_dispersion(const struct ntp_ref *ref, const struct timespec *now,
                               double precision);

/*
 * Fill the fields of an answer that describe our clock (leap, stratum,
 * refid, reference timestamp, root delay and dispersion) as of NOW.
 */
void ntp_ref_fill(const struct ntp_ref *ref, const struct timespec *now, double precision,
                  struct ntp_packet *pkt);

#endif

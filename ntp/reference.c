/*
 * reference.c - the answer fields that describe our clock.
 */
#include <math.h>

#include "../common/ts.h"

#include "reference.h"

void
ntp_ref_set_none(struct ntp_ref *ref)
{
	*ref = (struct ntp_ref){.kind = NTP_REF_NONE, .leap = NTP_LEAP_UNSYNC, .stratum = 16};
}

void
ntp_ref_set_local(struct ntp_ref *ref, uint8_t stratum)
{
	*ref = (struct ntp_ref){
	    .kind = NTP_REF_LOCAL,
	    .leap = NTP_LEAP_NONE,
	    .stratum = stratum,
	    .refid = ntp_refid_from_string("LOCL"),
	};
}

int
ntp_ref_synchronised(const struct ntp_ref *ref)
{
	return ref->kind != NTP_REF_NONE;
}

double
ntp_ref_root_dispersion(const struct ntp_ref *ref, const struct timespec *now, double precision)
{
	double age;

	switch (ref->kind) {
	case NTP_REF_LOCAL:
		return precision;
	case NTP_REF_PEER:
		age = ts_diff(now, &ref->ref_time);
		return fmin(NTP_MAX_DISPERSION, ref->root_dispersion + NTP_PHI * fmax(0.0, age));
	case NTP_REF_NONE:
	default:
		return NTP_MAX_DISPERSION;
	}
}

void
ntp_ref_fill(const struct ntp_ref *ref, const struct timespec *now, double precision,
             struct ntp_packet *pkt)
{
	if (!ntp_ref_synchronised(ref)) {
		/* RFC 5905: stratum 16 (unsynchronised) goes on the wire as 0. */
		pkt->leap = NTP_LEAP_UNSYNC;
		pkt->stratum = 0;
		pkt->refid = 0;
		pkt->reference = 0;
		pkt->root_delay = 0;
		pkt->root_dispersion = ntp_short_from_double(NTP_MAX_DISPERSION);
		return;
	}
	pkt->leap = ref->leap;
	pkt->stratum = ref->stratum;
	pkt->refid = ref->refid;
	/* The local reference is as fresh as the clock it reads. */
	pkt->reference = ntp_ts_from_timespec(ref->kind == NTP_REF_LOCAL ? now : &ref->ref_time);
	pkt->root_delay = ntp_short_from_double(ref->root_delay);
	pkt->root_dispersion = ntp_short_from_double(ntp_ref_root_dispersion(ref, now, precision));
}

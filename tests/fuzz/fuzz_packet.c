/*
 * fuzz_packet.c - the NTP decoder and the server's decision on whatever
 * arrives: never a crash, and an answer is never longer than its request.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../ntp/packet.h"
#include "../../ntp/server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct timespec rx = {1795957640, 123456789};
	struct ntp_packet req, rep;
	struct ntp_trailer trailer;
	enum ntp_srv_drop drop;
	struct ntp_ref ref;
	uint8_t out[NTP_HEADER_LEN];

	if (ntp_decode(data, size, &req, &trailer) == NTP_DECODE_OK &&
	    trailer.ef_len + trailer.mac_len + NTP_HEADER_LEN != size)
		abort();
	if (!ntp_srv_accept(data, size, &req, &drop)) {
		if ((unsigned)drop >= NTP_DROP_N)
			abort();
		return 0;
	}
	/* Answers are 48 octets: never more than what was received. */
	if (size < NTP_HEADER_LEN)
		abort();
	ntp_ref_set_local(&ref, 1);
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	ntp_encode(&rep, out);
	if (rep.origin != req.transmit || (rep.mode != 4 && rep.mode != 2))
		abort();
	ntp_ref_set_none(&ref);
	ntp_srv_reply(&req, &rx, &ref, -20, &rep);
	if (rep.leap != NTP_LEAP_UNSYNC || rep.stratum != 0)
		abort();
	ntp_srv_kod_rate(&req, 3, &rep);
	ntp_encode(&rep, out);
	return 0;
}

/*
 * fuzz_signd.c - the ntp_signd reply parser on whatever a socket may
 * deliver: never a crash, never more consumed than given, and a reply is
 * only ever SIGNING_SUCCESS (with its packet) or SIGNING_FAILURE.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "../../ntp/signd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ntp_signd_reply r;
	size_t used;

	while (size > 0) {
		enum ntp_signd_parse p = ntp_signd_parse(data, size, &r, &used);

		if (p != NTP_SIGND_REPLY)
			break;
		if (used < 16 || used > size ||
		    (r.op != NTP_SIGND_SIGNING_SUCCESS && r.op != NTP_SIGND_SIGNING_FAILURE))
			abort();
		data += used;
		size -= used;
	}
	return 0;
}

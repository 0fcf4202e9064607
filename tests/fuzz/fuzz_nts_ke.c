/*
 * fuzz_nts_ke.c - the NTS-KE record parser on arbitrary server answers:
 * a verdict, never a crash; a complete answer is complete at no shorter
 * length, and what it returns stays within bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ntp/nts_ke.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nts_ke_result r;
	const char *why = NULL;
	enum nts_ke_parse v = nts_ke_parse_response(data, size, &r, &why);

	if (v == NTS_KE_PARSE_ERROR && why == NULL)
		abort();
	if (v == NTS_KE_PARSE_DONE) {
		if (r.n_cookies == 0 || r.n_cookies > NTS_MAX_COOKIES || r.port <= 0 ||
		    r.port > 65535 || strlen(r.server) > NTS_MAX_SERVER_LEN)
			abort();
		/* End of Message is last: no prefix is complete. */
		if (size > 0 &&
		    nts_ke_parse_response(data, size - 1, &r, &why) == NTS_KE_PARSE_DONE)
			abort();
	}
	return 0;
}

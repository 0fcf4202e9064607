/*
 * fuzz_nts_ke.c - the NTS-KE record parsers on arbitrary input, as a
 * server's answer and as a client's request: a verdict, never a crash; a
 * complete message is complete at no shorter length, and what the answer
 * parser returns stays within bounds.
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
	uint16_t code = 9;
	int req = nts_ke_parse_request(data, size, &code);

	if (req < 0 && code > 1)
		abort();
	if (req == 1 && size > 0 && nts_ke_parse_request(data, size - 1, &code) == 1)
		abort();

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

/*
 * fuzz_config.c - the configuration parser on arbitrary text: errors, never
 * a crash or a leak, and what -t would print parses again cleanly.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../daemon/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg_errors errs = {0};
	struct cfg *cfg = cfg_parse_text("fuzz.conf", (const char *)data, size, &errs);

	if (errs.n == 0) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);
		struct cfg *again;

		cfg_print(cfg, f);
		fclose(f);
		again = cfg_parse_text("printed", text, len, &errs);
		if (errs.n != 0)
			abort();
		cfg_free(again);
		free(text);
	}
	cfg_errors_clear(&errs);
	cfg_free(cfg);
	return 0;
}

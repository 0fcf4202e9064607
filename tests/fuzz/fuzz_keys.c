/*
 * fuzz_keys.c - the key-file parser on arbitrary text: a table or an error
 * naming a line, never a crash or a leak; every key it accepts signs a
 * packet that then verifies.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../ntp/keys.h"
#include "../../ntp/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *cause = NULL;
	struct ntp_keys *keys = ntp_keys_parse("fuzz.keys", (const char *)data, size, &cause);

	if (keys == NULL) {
		if (cause == NULL || strncmp(cause, "fuzz.keys:", 10) != 0)
			abort();
		free(cause);
		return 0;
	}
	for (size_t i = 0; i < keys->n; i++) {
		uint8_t buf[NTP_HEADER_LEN + 4 + NTP_KEY_MAX_DIGEST] = {0x23};
		const struct ntp_key *k;
		size_t len = ntp_key_sign(&keys->v[i], buf, NTP_HEADER_LEN, sizeof(buf));

		if (len == 0 || ntp_keys_find(keys, keys->v[i].id) != &keys->v[i] ||
		    ntp_keys_check(keys, buf, len, len - NTP_HEADER_LEN, &k) != NTP_AUTH_OK)
			abort();
	}
	ntp_keys_free(keys);
	return 0;
}

/*
 * fuzz_ctl_request.c - control requests as they arrive on the socket.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../daemon/ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_request req;
	char *cause = NULL;

	if (ctl_decode_request((const char *)data, size, &req, &cause) == 0) {
		if (!json_is_object(req.args) || strlen(req.command) == 0 ||
		    strlen(req.command) > CTL_MAX_COMMAND)
			abort();
		json_decref(req.args);
	} else if (cause == NULL) {
		abort();
	}
	free(cause);
	return 0;
}

/*
 * ctl_proto.c - framing and request validation for the control protocol.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/xmalloc.h"
#include "ctl_proto.h"

int
ctl_decode_request(const char *buf, size_t len, struct ctl_request *ret, char **ret_cause)
{
	json_error_t jerr;
	json_t *root, *version, *command, *args;
	const char *name;

	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*ret_cause = xasprintf("request is not JSON: %s", jerr.text);
		return -1;
	}
	if (!json_is_object(root)) {
		*ret_cause = xstrdup("request is not a JSON object");
		goto fail;
	}
	version = json_object_get(root, "version");
	if (!json_is_integer(version)) {
		*ret_cause = xstrdup("request has no integer \"version\"");
		goto fail;
	}
	if (json_integer_value(version) != CTL_PROTOCOL_VERSION) {
		*ret_cause =
		    xasprintf("protocol version %lld not supported (daemon speaks %d)",
		              (long long)json_integer_value(version), CTL_PROTOCOL_VERSION);
		goto fail;
	}
	command = json_object_get(root, "command");
	name = json_string_value(command);
	/* jansson refuses NUL in strings, so strlen is the whole name. */
	if (name == NULL || name[0] == '\0' || strlen(name) > CTL_MAX_COMMAND) {
		*ret_cause = xstrdup("request has no valid \"command\"");
		goto fail;
	}
	args = json_object_get(root, "args");
	if (args != NULL && !json_is_object(args)) {
		*ret_cause = xstrdup("\"args\" must be an object");
		goto fail;
	}
	ret->version = CTL_PROTOCOL_VERSION;
	strcpy(ret->command, name);
	ret->args = args != NULL ? json_incref(args) : json_object();
	json_decref(root);
	return 0;
fail:
	json_decref(root);
	return -1;
}

char *
ctl_encode_frame(json_t *obj, size_t max, size_t *ret_len)
{
	char *body = json_dumps(obj, JSON_COMPACT);
	size_t n;
	char *frame;

	if (body == NULL)
		return NULL;
	n = strlen(body);
	if (n > max) {
		free(body);
		return NULL;
	}
	frame = xmalloc(n + 4);
	frame[0] = (char)(n >> 24);
	frame[1] = (char)(n >> 16);
	frame[2] = (char)(n >> 8);
	frame[3] = (char)n;
	memcpy(frame + 4, body, n);
	free(body);
	*ret_len = n + 4;
	return frame;
}

uint32_t
ctl_frame_length(const unsigned char prefix[4])
{
	return (uint32_t)prefix[0] << 24 | (uint32_t)prefix[1] << 16 | (uint32_t)prefix[2] << 8 |
	       prefix[3];
}

void
ctl_print_json(json_t *result, const char *array_key)
{
	json_t *o = json_is_object(result) ? result : json_pack("{s:o}", array_key, result);
	char *text;

	json_object_set_new(o, "version", json_integer(CTL_OUTPUT_VERSION));
	text = json_dumps(o, JSON_INDENT(2));
	puts(text != NULL ? text : "{}");
	free(text);
	json_decref(o);
}

void
ctl_report_error(int json, const char *fmt, ...)
{
	char *message;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	if (json)
		ctl_print_json(json_pack("{s:s}", "error", message != NULL ? message : fmt), NULL);
	else
		fprintf(stderr, "domtimectl: %s\n", message != NULL ? message : fmt);
	free(message);
}

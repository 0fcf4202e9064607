/*
 * ctl_proto.h - the control protocol between domtimectl and domtimed.
 *
 * Over a Unix stream socket, each side sends one frame: a 4-octet big-endian
 * length, then that many octets of JSON.
 *
 *   request:  {"version": 1, "command": "status", "args": {...}}
 *   response: {"version": 1, "ok": true, "result": ...}
 *             {"version": 1, "ok": false, "error": "why"}
 *
 * The daemon answers one request per connection and closes it. Bump
 * CTL_PROTOCOL_VERSION on any change an older peer would misread; adding an
 * optional field to a result is not such a change.
 */
#ifndef DOMTIMED_CTL_PROTO_H
#define DOMTIMED_CTL_PROTO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define CTL_PROTOCOL_VERSION 1
#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_RESPONSE (16 * 1024 * 1024)
#define CTL_MAX_COMMAND 32

struct ctl_request {
	int version;
	char command[CTL_MAX_COMMAND + 1];
	json_t *args; /* an object, owned by the request; never NULL after a decode */
};

/*
 * Decode and validate a request body. Returns 0, or -1 with an allocated
 * *RET_CAUSE. On success the caller frees RET->args with json_decref.
 */
int ctl_decode_request(const char *buf, size_t len, struct ctl_request *ret, char **ret_cause);

/* Encode a frame (length prefix + compact JSON of OBJ); caller frees. NULL if too big. */
char *ctl_encode_frame(json_t *obj, size_t max, size_t *ret_len);

/* Read the length prefix of a frame. */
uint32_t ctl_frame_length(const unsigned char prefix[4]);

/*
 * domtimectl --json output: always one object carrying "version"
 * (CTL_OUTPUT_VERSION, bumped on any change a script would misread). An
 * object result gains the key; an array becomes the value of ARRAY_KEY.
 * Prints it on stdout and consumes RESULT.
 */
#define CTL_OUTPUT_VERSION 1
void ctl_print_json(json_t *result, const char *array_key);
/*
 * Tell a domtimectl failure: {"version": 1, "error": MESSAGE} on stdout when
 * JSON, else "domtimectl: MESSAGE" on stderr.
 */
void ctl_report_error(int json, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

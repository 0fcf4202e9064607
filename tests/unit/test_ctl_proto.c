/*
 * test_ctl_proto.c - control requests: framing and validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../daemon/ctl_proto.h"

static int
decode(const char *text, struct ctl_request *req, char **cause)
{
	*cause = NULL;
	return ctl_decode_request(text, strlen(text), req, cause);
}

static void
test_valid(void **state)
{
	struct ctl_request req;
	char *cause;

	(void)state;
	assert_int_equal(decode("{\"version\":1,\"command\":\"status\"}", &req, &cause), 0);
	assert_string_equal(req.command, "status");
	assert_true(json_is_object(req.args));
	json_decref(req.args);
	assert_int_equal(
	    decode("{\"version\":1,\"command\":\"peers\",\"args\":{\"n\":3}}", &req, &cause), 0);
	assert_int_equal(json_integer_value(json_object_get(req.args, "n")), 3);
	json_decref(req.args);
}

static void
expect_error(const char *text, const char *needle)
{
	struct ctl_request req;
	char *cause;

	assert_int_equal(decode(text, &req, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, needle));
	free(cause);
}

static void
test_invalid(void **state)
{
	(void)state;
	expect_error("", "not JSON");
	expect_error("[1,2]", "not a JSON object");
	expect_error("{\"command\":\"status\"}", "version");
	expect_error("{\"version\":2,\"command\":\"status\"}", "version 2 not supported");
	expect_error("{\"version\":1}", "command");
	expect_error("{\"version\":1,\"command\":\"\"}", "command");
	/* jansson refuses NUL inside strings outright. */
	expect_error("{\"version\":1,\"command\":\"st\\u0000atus\"}", "not JSON");
	expect_error("{\"version\":1,\"command\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}",
	             "command");
	expect_error("{\"version\":1,\"command\":\"status\",\"args\":[]}", "args");
	expect_error("{\"version\":1,\"version\":1,\"command\":\"status\"}", "not JSON");
}

static void
test_frame(void **state)
{
	json_t *o = json_pack("{s:s}", "a", "b");
	size_t len;
	char *frame = ctl_encode_frame(o, 1000, &len);

	(void)state;
	assert_int_equal(len, 4 + strlen("{\"a\":\"b\"}"));
	assert_int_equal(ctl_frame_length((unsigned char *)frame), len - 4);
	free(frame);
	assert_null(ctl_encode_frame(o, 3, &len));
	json_decref(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_frame),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_srvspec.c - W32Time NtpServer syntax.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ntp/srvspec.h"

static void
test_good(void **state)
{
	struct ntp_srvspec *v = NULL;
	char *cause = NULL;
	int n;

	(void)state;
	n = ntp_srvspec_parse("time.windows.com,0x9  10.0.0.1:1123 [::1]:5000,0x2 "
	                      "[fe80::1] dc1.example.test,8",
	                      &v, &cause);
	assert_int_equal(n, 5);
	assert_string_equal(v[0].host, "time.windows.com");
	assert_int_equal(v[0].port, 123);
	assert_int_equal(v[0].flags, 0x9);
	assert_string_equal(v[1].host, "10.0.0.1");
	assert_int_equal(v[1].port, 1123);
	assert_int_equal(v[1].flags, 0);
	assert_string_equal(v[2].host, "::1");
	assert_int_equal(v[2].port, 5000);
	assert_int_equal(v[2].flags, 0x2);
	assert_string_equal(v[3].host, "fe80::1");
	assert_int_equal(v[4].flags, 8);
	free(v);
	assert_int_equal(ntp_srvspec_parse("   ", &v, &cause), 0);
	assert_null(v);
}

static void
test_bad(void **state)
{
	static const char *const bad[] = {
	    "host,0x10", "host,",   "host,0xg", "host:0", "host:65536",
	    "host:",     "::1",     "[::1",     "[::1]x", "bad host!",
	    "host,-1",   "host:-5", ",0x1",     "[]:123", "h\x1b[31m",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ntp_srvspec *v = NULL;
		char *cause = NULL;

		assert_int_equal(ntp_srvspec_parse(bad[i], &v, &cause), -1);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "bad server"));
		assert_null(strchr(cause, '\x1b'));
		free(cause);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_bad),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

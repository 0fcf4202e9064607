/*
 * test_strmap.c - the string hash map of common/strmap.h: lookups, the
 * first value kept, case folding, growth past many keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/strmap.h"

static void
test_get_and_add(void **state)
{
	struct strmap *m = strmap_new(0);

	(void)state;
	assert_int_equal(strmap_get(m, "cn=a"), -1);
	assert_int_equal(strmap_add(m, "cn=a", 3), 3);
	assert_int_equal(strmap_add(m, "cn=b", 4), 4);
	/* The first value of a key stays, as the builder's first-read-wins needs. */
	assert_int_equal(strmap_add(m, "cn=a", 9), 3);
	assert_int_equal(strmap_get(m, "cn=a"), 3);
	assert_int_equal(strmap_get(m, "CN=A"), -1);
	assert_int_equal(strmap_get(m, ""), -1);
	assert_int_equal(strmap_add(m, "", 0), 0);
	assert_int_equal(strmap_get(m, ""), 0);
	assert_int_equal(strmap_size(m), 3);
	strmap_free(m);
	strmap_free(NULL);
}

static void
test_nocase(void **state)
{
	struct strmap *m = strmap_new(1);

	(void)state;
	assert_int_equal(strmap_add(m, "DC01.Forest.Test", 1), 1);
	assert_int_equal(strmap_get(m, "dc01.forest.test"), 1);
	assert_int_equal(strmap_add(m, "dc01.FOREST.test", 2), 1);
	/* Only ASCII folds: other octets compare as they are. */
	assert_int_equal(strmap_get(m, "dc01.forest.test\xc3\x89"), -1);
	strmap_free(m);
}

static void
test_many(void **state)
{
	struct strmap *m = strmap_new(0);
	char key[32];

	(void)state;
	for (int i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "10.%d.%d.0/24", i / 256, i % 256);
		assert_int_equal(strmap_add(m, key, i), i);
	}
	assert_int_equal(strmap_size(m), 50000);
	for (int i = 0; i < 50000; i++) {
		snprintf(key, sizeof(key), "10.%d.%d.0/24", i / 256, i % 256);
		assert_int_equal(strmap_get(m, key), i);
	}
	assert_int_equal(strmap_get(m, "10.0.0.0/25"), -1);
	strmap_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_and_add),
	    cmocka_unit_test(test_nocase),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

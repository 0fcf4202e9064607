/*
 * test_health.c - the status reason: first cause first, none when all is well.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../daemon/health.h"

/* A synchronised standalone client of two answering sources: nothing to say. */
static struct health_facts
healthy(void)
{
	return (struct health_facts){
	    .synchronised = 1,
	    .client_state = "synchronised",
	    .client_message = "",
	    .n_sources = 2,
	    .manual_configured = 1,
	};
}

/* The reason for F, or "" when there is none. */
static const char *
reason(const struct health_facts *f)
{
	static char buf[512];
	const char *r = health_reason(f, buf, sizeof(buf));

	return r != NULL ? r : "";
}

static void
assert_starts(const char *s, const char *prefix)
{
	if (strncmp(s, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", s, prefix);
}

static void
test_healthy(void **state)
{
	struct health_facts f = healthy();

	(void)state;
	assert_string_equal(reason(&f), "");
	f.serving_local = 1; /* reliable = yes, standalone, no source: deliberate */
	f.n_sources = 0;
	assert_string_equal(reason(&f), "");
}

static void
test_no_sources(void **state)
{
	struct health_facts f = healthy();

	(void)state;
	f.synchronised = 0;
	f.client_state = "unsynchronised";
	f.n_sources = 0;
	f.manual_configured = 0;
	assert_starts(reason(&f), "no time source: standalone host and ntp_server is empty");
	f.root_pdc = f.in_domain = f.have_forest = 1;
	assert_starts(reason(&f), "forest root PDC with no external time source");
	f.root_pdc = 0;
	f.dir_why = "members follow the DCs of their domain";
	assert_string_equal(reason(&f), "no time source: the domain hierarchy chose none "
	                                "(members follow the DCs of their domain)");
}

/* The directory's trouble explains an empty source list: it comes first. */
static void
test_directory_first(void **state)
{
	struct health_facts f = healthy();

	(void)state;
	f.synchronised = 0;
	f.n_sources = 0;
	f.in_domain = 1;
	assert_string_equal(reason(&f), "reading the directory: no time source known yet");
	f.dir_failures = 3;
	f.dir_error = "cannot connect to ldap://dc1: timed out";
	assert_string_equal(reason(&f),
	                    "cannot read the directory (3 failed reads in a row): cannot connect "
	                    "to ldap://dc1: timed out");
	f.dir_setup_error = "cannot read the keytab";
	assert_starts(reason(&f), "directory unavailable: cannot read the keytab;");
	/* Even while synchronised to the manual list: degraded. */
	f = healthy();
	f.in_domain = 1;
	f.dir_setup_error = "cannot read the keytab";
	assert_starts(reason(&f), "directory unavailable: ");
	/* An old picture still in use while reads fail: degraded. */
	f = healthy();
	f.in_domain = f.have_forest = 1;
	f.dir_failures = 2;
	f.dir_error = "slapd down";
	assert_starts(reason(&f), "reading the directory fails (2 in a row): slapd down");
}

static void
test_sources(void **state)
{
	struct health_facts f = healthy();

	(void)state;
	f.synchronised = 0;
	f.client_state = "unsynchronised";
	f.n_silent = 2;
	assert_string_equal(reason(&f), "none of the 2 source(s) answers");
	f.client_state = "no-majority";
	f.client_message = "no majority: no time is shared by more than half of the 3 sources";
	assert_string_equal(reason(&f), f.client_message);
	f.client_state = "unsynchronised";
	f.client_message = "";
	f.n_silent = 1;
	assert_string_equal(reason(&f), "waiting for usable samples from 1 source(s)");
	f = healthy();
	f.n_silent = 1;
	assert_string_equal(reason(&f), "1 of 2 source(s) do not answer");
}

static void
test_local_clock(void **state)
{
	struct health_facts f = healthy();

	(void)state;
	f.serving_local = 1;
	f.root_pdc = 1;
	assert_starts(reason(&f), "forest root PDC serving its local clock: none of its 2");
	f.n_sources = 0;
	assert_starts(reason(&f), "forest root PDC serving its local clock (reliable = yes)");
	f.root_pdc = 0;
	f.n_sources = 1;
	assert_starts(reason(&f), "serving the local clock: none of the 1 source(s)");
}

/* A reason never overruns the buffer, however long the directory's error. */
static void
test_truncation(void **state)
{
	struct health_facts f = healthy();
	char longer[2000], buf[64];

	(void)state;
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	f.dir_setup_error = longer;
	assert_ptr_equal(health_reason(&f, buf, sizeof(buf)), buf);
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_healthy),         cmocka_unit_test(test_no_sources),
	    cmocka_unit_test(test_directory_first), cmocka_unit_test(test_sources),
	    cmocka_unit_test(test_local_clock),     cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

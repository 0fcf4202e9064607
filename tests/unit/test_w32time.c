/*
 * test_w32time.c - W32Time's settings as hierarchy/ applies them: the
 * AnnounceFlags default for each place a machine can be in, what flags
 * mean for serving and reliability, the type in effect, and the names the
 * configuration takes from hierarchy/'s tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../hierarchy/hierarchy.h"

static const enum hier_role dc_roles[] = {HIER_ROLE_DC, HIER_ROLE_RODC, HIER_ROLE_PDC,
                                          HIER_ROLE_ROOT_PDC};

static void
test_announce_default(void **state)
{
	(void)state;
	/* Off any domain: serve always; the role is not looked at. */
	assert_int_equal(hier_announce_flags(-1, 0, HIER_NO_DOMAIN, HIER_ROLE_ROOT_PDC), 0x1);
	/* In a domain not read yet: as a DC, so a DC keeps serving while it reads. */
	assert_int_equal(hier_announce_flags(-1, 0, HIER_DOMAIN_UNREAD, HIER_ROLE_STANDALONE),
	                 HIER_ANNOUNCE_AUTO_TIMESERV | HIER_ANNOUNCE_AUTO_RELIABLE);
	for (size_t i = 0; i < sizeof(dc_roles) / sizeof(dc_roles[0]); i++)
		assert_int_equal(hier_announce_flags(-1, 0, HIER_DOMAIN_READ, dc_roles[i]), 0xA);
	/* Members (and machines the directory does not know) do not serve. */
	assert_int_equal(hier_announce_flags(-1, 0, HIER_DOMAIN_READ, HIER_ROLE_MEMBER), 0);
	assert_int_equal(hier_announce_flags(-1, 0, HIER_DOMAIN_READ, HIER_ROLE_STANDALONE), 0);
	/* A Samba AD DC answers always, as Samba advertises it (0x9), whatever its role. */
	assert_int_equal(hier_announce_flags(-1, 0, HIER_SAMBA_DC, HIER_ROLE_STANDALONE), 0x9);
	assert_int_equal(hier_announce_flags(-1, 0, HIER_SAMBA_DC, HIER_ROLE_ROOT_PDC), 0x9);
}

static void
test_announce_configured_and_reliable(void **state)
{
	(void)state;
	/* A configured value wins everywhere, 0 included. */
	assert_int_equal(hier_announce_flags(0, 0, HIER_DOMAIN_READ, HIER_ROLE_DC), 0);
	assert_int_equal(hier_announce_flags(0x2, 0, HIER_NO_DOMAIN, HIER_ROLE_STANDALONE), 0x2);
	/* reliable = yes adds RELIABLE to the default and to a configured value. */
	assert_int_equal(hier_announce_flags(-1, 1, HIER_DOMAIN_READ, HIER_ROLE_MEMBER), 0x4);
	assert_int_equal(hier_announce_flags(-1, 1, HIER_NO_DOMAIN, HIER_ROLE_STANDALONE), 0x5);
	assert_int_equal(hier_announce_flags(0x8, 1, HIER_DOMAIN_READ, HIER_ROLE_DC), 0xC);
}

static void
test_announce_serve(void **state)
{
	(void)state;
	assert_int_equal(hier_announce_serve(0), HIER_SERVE_NEVER);
	assert_int_equal(hier_announce_serve(HIER_ANNOUNCE_TIMESERV), HIER_SERVE_ALWAYS);
	assert_int_equal(hier_announce_serve(HIER_ANNOUNCE_AUTO_TIMESERV), HIER_SERVE_SYNCHRONISED);
	/* TIMESERV is the stronger promise. */
	assert_int_equal(hier_announce_serve(0x3), HIER_SERVE_ALWAYS);
	/* Reliability alone does not make a server. */
	assert_int_equal(hier_announce_serve(HIER_ANNOUNCE_RELIABLE | HIER_ANNOUNCE_AUTO_RELIABLE),
	                 HIER_SERVE_NEVER);
}

static void
test_announce_reliable(void **state)
{
	(void)state;
	assert_true(hier_announce_reliable(HIER_ANNOUNCE_RELIABLE, HIER_ROLE_MEMBER, 1));
	assert_true(hier_announce_reliable(HIER_ANNOUNCE_RELIABLE, HIER_ROLE_STANDALONE, 1));
	/* AUTO_RELIABLE: only the forest root's PDC emulator. */
	assert_true(hier_announce_reliable(0xA, HIER_ROLE_ROOT_PDC, 1));
	assert_false(hier_announce_reliable(0xA, HIER_ROLE_PDC, 1));
	assert_false(hier_announce_reliable(0xA, HIER_ROLE_DC, 1));
	assert_false(hier_announce_reliable(0xA, HIER_ROLE_STANDALONE, 1));
	assert_false(hier_announce_reliable(0x3, HIER_ROLE_ROOT_PDC, 1));
	/* A root PDC with no external source is no reference unless told so. */
	assert_false(hier_announce_reliable(0xA, HIER_ROLE_ROOT_PDC, 0));
	assert_true(hier_announce_reliable(0xA | HIER_ANNOUNCE_RELIABLE, HIER_ROLE_ROOT_PDC, 0));
}

static void
test_type_effective(void **state)
{
	(void)state;
	assert_int_equal(hier_type_effective(HIER_AUTO, 1), HIER_NT5DS);
	assert_int_equal(hier_type_effective(HIER_AUTO, 0), HIER_NTP);
	assert_int_equal(hier_type_effective(HIER_ALLSYNC, 0), HIER_ALLSYNC);
	assert_int_equal(hier_type_effective(HIER_NOSYNC, 1), HIER_NOSYNC);
	assert_int_equal(hier_type_effective(HIER_NTP, 1), HIER_NTP);
	assert_true(hier_type_reads_directory(HIER_AUTO));
	assert_true(hier_type_reads_directory(HIER_NT5DS));
	assert_true(hier_type_reads_directory(HIER_ALLSYNC));
	assert_false(hier_type_reads_directory(HIER_NTP));
	assert_false(hier_type_reads_directory(HIER_NOSYNC));
}

static void
test_use_unread(void **state)
{
	(void)state;
	assert_int_equal(hier_use_unread(HIER_NTP, 0), HIER_USE_MANUAL);
	assert_int_equal(hier_use_unread(HIER_ALLSYNC, 0), HIER_USE_MANUAL);
	assert_int_equal(hier_use_unread(HIER_NT5DS, 0), HIER_USE_NONE);
	assert_int_equal(hier_use_unread(HIER_NOSYNC, 0), HIER_USE_NONE);
	/* No keys: the directory will never be read, so follow what can be followed. */
	assert_int_equal(hier_use_unread(HIER_NT5DS, 1), HIER_USE_MANUAL);
}

static void
test_names(void **state)
{
	(void)state;
	/* The configuration's choices are these tables: index = enum value. */
	assert_string_equal(hier_type_names[HIER_AUTO], "auto");
	assert_string_equal(hier_type_names[HIER_NT5DS], "nt5ds");
	assert_string_equal(hier_type_names[HIER_NTP], "ntp");
	assert_string_equal(hier_type_names[HIER_NOSYNC], "nosync");
	assert_string_equal(hier_type_names[HIER_ALLSYNC], "allsync");
	assert_null(hier_type_names[HIER_ALLSYNC + 1]);
	assert_string_equal(hier_type_name(HIER_NT5DS), "nt5ds");
	assert_string_equal(hier_type_name((enum hier_type)99), "?");
	assert_string_equal(hier_cross_site_names[HIER_CROSS_NONE], "none");
	assert_string_equal(hier_cross_site_names[HIER_CROSS_PDC_ONLY], "pdc_only");
	assert_string_equal(hier_cross_site_names[HIER_CROSS_ALL], "all");
	assert_null(hier_cross_site_names[HIER_CROSS_ALL + 1]);
	assert_string_equal(hier_role_name(HIER_ROLE_ROOT_PDC), "root_pdc");
	assert_string_equal(hier_role_name((enum hier_role)99), "unknown");
	for (size_t i = 0; i < sizeof(dc_roles) / sizeof(dc_roles[0]); i++)
		assert_true(hier_role_is_dc(dc_roles[i]));
	assert_false(hier_role_is_dc(HIER_ROLE_MEMBER));
	assert_false(hier_role_is_dc(HIER_ROLE_STANDALONE));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_announce_default),
	    cmocka_unit_test(test_announce_configured_and_reliable),
	    cmocka_unit_test(test_announce_serve),
	    cmocka_unit_test(test_announce_reliable),
	    cmocka_unit_test(test_type_effective),
	    cmocka_unit_test(test_use_unread),
	    cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * test_samba.c - a Samba AD DC from smb.conf and `samba -b` alone, and who
 * may reach the ntp_signd socket.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ldap/ntkey.h"
#include "../../ldap/samba.h"

static const char build[] = "Samba version: 4.17.12-Debian\n"
                            "Paths:\n"
                            "   PRIVATE_DIR: /var/lib/samba/private\n"
                            "   NTP_SIGND_SOCKET_DIR: /var/lib/samba/ntp_signd\n";

static void
test_provisioned_dc(void **state)
{
	/* What samba-tool domain provision writes with --targetdir, spelled as Samba allows. */
	static const char conf[] = "# Global parameters\n"
	                           "[global]\n"
	                           "\tnetbios name = DC1\n"
	                           "\tRealm = samba.test\n"
	                           "\tServer Role = Active Directory Domain Controller\n"
	                           "\tprivate dir = /srv/dc/private\n"
	                           "\tntp signd socket directory = /srv/dc/ntp_signd\n"
	                           "[netlogon]\n"
	                           "\tpath = /srv/dc/state/sysvol/samba.test/scripts\n";
	struct samba_dc dc;
	char *kt;

	(void)state;
	assert_int_equal(samba_dc_parse(conf, build, &dc), 1);
	assert_string_equal(dc.realm, "SAMBA.TEST");
	assert_string_equal(dc.private_dir, "/srv/dc/private");
	assert_string_equal(dc.signd_dir, "/srv/dc/ntp_signd");
	kt = samba_dc_keytab(&dc);
	assert_string_equal(kt, "/srv/dc/private/secrets.keytab");
	free(kt);
	samba_dc_clear(&dc);
}

static void
test_defaults_from_samba_b(void **state)
{
	static const char conf[] = "[global]\n realm = EXAMPLE.COM\n server role = dc\n";
	struct samba_dc dc;

	(void)state;
	assert_int_equal(samba_dc_parse(conf, build, &dc), 1);
	assert_string_equal(dc.private_dir, "/var/lib/samba/private");
	assert_string_equal(dc.signd_dir, "/var/lib/samba/ntp_signd");
	samba_dc_clear(&dc);
	assert_int_equal(samba_dc_parse(conf, NULL, &dc), 1);
	assert_null(dc.private_dir);
	assert_null(dc.signd_dir);
	samba_dc_clear(&dc);
}

static void
test_not_a_dc(void **state)
{
	static const char *const confs[] = {
	    "[global]\n realm = EXAMPLE.COM\n server role = member server\n",
	    "[global]\n realm = EXAMPLE.COM\n security = ads\n",
	    "[global]\n server role = active directory domain controller\n", /* no realm */
	    "[share]\n realm = EXAMPLE.COM\n server role = dc\n",            /* not [global] */
	};
	struct samba_dc dc;

	(void)state;
	for (size_t i = 0; i < sizeof(confs) / sizeof(confs[0]); i++)
		assert_int_equal(samba_dc_parse(confs[i], build, &dc), 0);
}

static void
test_may(void **state)
{
	const gid_t ntp[] = {100, 123};

	(void)state;
	/* Samba's 0750 root:root directory: only root gets in ... */
	assert_true(samba_may(0750, 0, 0, 0, NULL, 0, 1));
	assert_false(samba_may(0750, 0, 0, 1000, ntp, 2, 1));
	/* ... until it is chgrp'ed to a group of the daemon's user. */
	assert_true(samba_may(0750, 0, 123, 1000, ntp, 2, 1));
	assert_false(samba_may(0700, 0, 123, 1000, ntp, 2, 1));
	assert_true(samba_may(0777, 0, 0, 1000, ntp, 2, 2));
	assert_false(samba_may(0775, 0, 0, 1000, ntp, 2, 2));
}

static void
test_sid_rid(void **state)
{
	/* S-1-5-21-1-2-3-1103 */
	static const uint8_t sid[] = {1, 5, 0, 0, 0, 0, 0, 5, 21, 0, 0,    0,    1, 0,
	                              0, 0, 2, 0, 0, 0, 3, 0, 0,  0, 0x4f, 0x04, 0, 0};
	uint32_t rid = 0;

	(void)state;
	assert_int_equal(dir_sid_rid(sid, sizeof(sid), &rid), 0);
	assert_int_equal(rid, 1103);
	assert_int_equal(dir_sid_rid(sid, sizeof(sid) - 1, &rid), -1);
	assert_int_equal(dir_sid_rid(sid, 8, &rid), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_provisioned_dc), cmocka_unit_test(test_defaults_from_samba_b),
	    cmocka_unit_test(test_not_a_dc),       cmocka_unit_test(test_may),
	    cmocka_unit_test(test_sid_rid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

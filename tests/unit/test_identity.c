/*
 * test_identity.c - who we are: sssd.conf and smb.conf parsers, precedence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ldap/identity.h"

/* ---- sssd.conf ----------------------------------------------------------------- */

static void
expect_sssd(const char *text, const char *domain, const char *realm)
{
	char *d = NULL, *r = NULL;

	if (domain == NULL) {
		assert_int_equal(dir_sssd_conf_parse(text, &d, &r), -1);
		return;
	}
	assert_int_equal(dir_sssd_conf_parse(text, &d, &r), 0);
	assert_string_equal(d, domain);
	assert_string_equal(r, realm);
	free(d);
	free(r);
}

static void
test_sssd(void **state)
{
	(void)state;
	/* What realm join writes. */
	expect_sssd("[sssd]\n"
	            "domains = corp.example.com\n"
	            "config_file_version = 2\n"
	            "services = nss, pam\n"
	            "\n"
	            "[domain/corp.example.com]\n"
	            "default_shell = /bin/bash\n"
	            "krb5_store_password_if_offline = True\n"
	            "ad_domain = corp.example.com\n"
	            "krb5_realm = CORP.EXAMPLE.COM\n"
	            "id_provider = ad\n",
	            "corp.example.com", "CORP.EXAMPLE.COM");
	/* No ad_domain: the section's name; no krb5_realm: the domain upper-cased. */
	expect_sssd(
	    "[sssd]\ndomains = Child.Example.COM\n[domain/Child.Example.COM]\nid_provider = ad\n",
	    "child.example.com", "CHILD.EXAMPLE.COM");
	/* The order of [sssd] domains wins over the order of sections; LDAP domains do not count.
	 */
	expect_sssd("[domain/ldap.example]\nid_provider = ldap\n"
	            "[domain/b.example]\nid_provider = ad\n"
	            "[domain/a.example]\nid_provider = ad\n"
	            "[sssd]\ndomains = ldap.example, a.example,b.example\n",
	            "a.example", "A.EXAMPLE");
	/* Without [sssd] domains: the first AD section in the file. */
	expect_sssd("; comment\n# another\n[domain/x]\nid_provider=files\n"
	            "  [domain/second.example]  \n  ad_domain   =   second.example  \n",
	            "second.example", "SECOND.EXAMPLE");
	/* Nothing AD. */
	expect_sssd("[sssd]\ndomains = l\n[domain/l]\nid_provider = ldap\n", NULL, NULL);
	expect_sssd("", NULL, NULL);
	/* Garbage values are not names. */
	expect_sssd("[domain/x]\nad_domain = bad name!\n", NULL, NULL);
	expect_sssd("[domain/x]\nad_domain = a..b\n", NULL, NULL);
	expect_sssd("[domain/ok.example]\nid_provider = ad\nkrb5_realm = $(evil)\n", NULL, NULL);
}

/* ---- smb.conf -------------------------------------------------------------------- */

static void
test_smb(void **state)
{
	char *r = NULL, *n = NULL;

	(void)state;
	assert_int_equal(dir_smb_conf_parse("[global]\n"
	                                    "\tworkgroup = CORP\n"
	                                    "\tRealm = corp.example.com\n"
	                                    "\tNetBIOS Name = member7\n"
	                                    "\tsecurity = ADS\n"
	                                    "[homes]\n"
	                                    "\trealm = other.example\n",
	                                    &r, &n),
	                 0);
	assert_string_equal(r, "CORP.EXAMPLE.COM");
	assert_string_equal(n, "MEMBER7");
	free(r);
	free(n);
	/* Parameter names ignore case and spaces; a backslash continues the line. */
	assert_int_equal(
	    dir_smb_conf_parse("[GLOBAL]\nnetbiosname = m1\nrea\\\nlm = x.example\n", &r, &n), 0);
	assert_string_equal(r, "X.EXAMPLE");
	assert_string_equal(n, "M1");
	free(r);
	free(n);
	/* No netbios name is fine; a dotted one is not a NetBIOS name. */
	assert_int_equal(
	    dir_smb_conf_parse("[global]\nrealm = a.example\nnetbios name = a.b\n", &r, &n), 0);
	assert_null(n);
	free(r);
	assert_int_equal(dir_smb_conf_parse("[global]\nworkgroup = X\n", &r, &n), -1);
	assert_int_equal(dir_smb_conf_parse("[share]\nrealm = a.example\n", &r, &n), -1);
	assert_int_equal(dir_smb_conf_parse("realm = a.example\n", &r, &n), -1);
	assert_int_equal(dir_smb_conf_parse("[global]\nrealm = a\x1b[31m\n", &r, &n), -1);
}

/* ---- precedence ------------------------------------------------------------------ */

static void
decide(const struct dir_identity_facts *f, struct dir_identity *id, struct dir_identity_origin *o)
{
	dir_identity_decide(f, id, o);
}

static void
done(struct dir_identity *id, struct dir_identity_origin *o)
{
	dir_identity_clear(id);
	dir_identity_origin_clear(o);
}

static void
test_keytab_only(void **state)
{
	struct dir_identity_facts f = {.principal = "MEMBER1$@FOREST.TEST",
	                               .principal_from = "keytab FILE:/etc/krb5.keytab",
	                               .hostname = "buildhost.example.net"};
	struct dir_identity id;
	struct dir_identity_origin o;

	(void)state;
	decide(&f, &id, &o);
	assert_string_equal(id.account, "MEMBER1$");
	assert_string_equal(id.host, "member1");
	assert_string_equal(id.realm, "FOREST.TEST");
	assert_string_equal(id.domain, "forest.test");
	assert_null(id.site);
	assert_string_equal(o.account, "keytab FILE:/etc/krb5.keytab");
	assert_string_equal(o.realm, "keytab FILE:/etc/krb5.keytab");
	assert_non_null(strstr(o.domain, "keytab"));
	done(&id, &o);
}

static void
test_config_wins(void **state)
{
	struct dir_identity_facts f = {.cfg_domain = "Child.Forest.Test",
	                               .cfg_site = "Branch",
	                               .principal = "CHILDM1$@FOREST.TEST",
	                               .principal_from = "keytab X",
	                               .krb5_realm = "OTHER.REALM",
	                               .sssd_domain = "sssd.example",
	                               .sssd_realm = "SSSD.EXAMPLE"};
	struct dir_identity id;
	struct dir_identity_origin o;
	char *s;

	(void)state;
	decide(&f, &id, &o);
	assert_string_equal(id.domain, "child.forest.test");
	assert_string_equal(o.domain, "config");
	/* The configured domain gives the realm before the keytab's does. */
	assert_string_equal(id.realm, "CHILD.FOREST.TEST");
	assert_string_equal(o.realm, "config (domain upper-cased)");
	assert_string_equal(id.site, "Branch");
	assert_string_equal(o.site, "config");
	s = dir_identity_describe(&id, &o);
	assert_non_null(strstr(s, "account CHILDM1$, host childm1 (keytab X); "));
	assert_non_null(strstr(s, "site Branch (config)"));
	free(s);
	done(&id, &o);
}

static void
test_fallbacks(void **state)
{
	struct dir_identity id;
	struct dir_identity_origin o;
	struct dir_identity_facts f = {.krb5_realm = "K.EXAMPLE",
	                               .sssd_domain = "s.example",
	                               .sssd_realm = "S.EXAMPLE",
	                               .smb_realm = "SMB.EXAMPLE",
	                               .smb_netbios = "SAMBAHOST",
	                               .hostname = "averyveryverylonghostname.example"};

	(void)state;
	/* krb5.conf before sssd.conf before smb.conf; smb.conf's netbios name before the host name.
	 */
	decide(&f, &id, &o);
	assert_string_equal(id.realm, "K.EXAMPLE");
	assert_string_equal(o.realm, "krb5.conf default_realm");
	assert_string_equal(id.domain, "k.example");
	assert_string_equal(id.account, "SAMBAHOST$");
	assert_string_equal(id.host, "sambahost");
	done(&id, &o);

	f.krb5_realm = NULL;
	decide(&f, &id, &o);
	assert_string_equal(id.realm, "S.EXAMPLE");
	assert_string_equal(id.domain, "s.example");
	assert_string_equal(o.domain, DIR_SSSD_CONF);
	done(&id, &o);

	f.sssd_domain = f.sssd_realm = NULL;
	f.smb_netbios = NULL;
	decide(&f, &id, &o);
	assert_string_equal(id.realm, "SMB.EXAMPLE");
	assert_string_equal(id.domain, "smb.example");
	/* The host name, cut to NetBIOS's 15 characters for the account. */
	assert_string_equal(id.account, "AVERYVERYVERYLO$");
	assert_string_equal(id.host, "averyveryverylonghostname");
	assert_string_equal(o.account, "host name");
	done(&id, &o);

	memset(&f, 0, sizeof(f));
	decide(&f, &id, &o);
	assert_null(id.account);
	assert_null(id.host);
	assert_null(id.domain);
	assert_null(id.realm);
	assert_string_equal(o.domain, "unknown");
	done(&id, &o);
}

static void
test_principal_forms(void **state)
{
	struct dir_identity id;
	struct dir_identity_origin o;
	/* A service principal is no machine account: the host name gives it. */
	struct dir_identity_facts f = {.principal = "host/m1.example@EXAMPLE", .hostname = "m1"};

	(void)state;
	decide(&f, &id, &o);
	assert_string_equal(id.account, "M1$");
	assert_string_equal(id.realm, "EXAMPLE");
	done(&id, &o);
	f.principal = "NOREALM$";
	decide(&f, &id, &o);
	assert_string_equal(id.account, "NOREALM$");
	assert_null(id.realm);
	done(&id, &o);
	f.principal = "$@X";
	decide(&f, &id, &o);
	assert_string_equal(id.account, "M1$");
	done(&id, &o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sssd),        cmocka_unit_test(test_smb),
	    cmocka_unit_test(test_keytab_only), cmocka_unit_test(test_config_wins),
	    cmocka_unit_test(test_fallbacks),   cmocka_unit_test(test_principal_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

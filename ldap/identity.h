/*
 * identity.h - who this machine is in the domain, before the directory says
 * more: its account (NAME$), host name, DNS domain, Kerberos realm and site.
 *
 * Configuration wins; otherwise each value comes from the first source that
 * has it, in this order: the keytab's machine principal (NAME$@REALM),
 * krb5.conf's default_realm, sssd.conf's ad_domain / krb5_realm, smb.conf's
 * realm / netbios name, and last the host name. An AD domain's realm is its
 * DNS name upper-cased, so either one gives the other. Where each value came
 * from is kept for the start-up log line.
 *
 * The parsers are pure functions over the files' text.
 */
#ifndef DOMTIMED_LDAP_IDENTITY_H
#define DOMTIMED_LDAP_IDENTITY_H

#include "raw.h"

#define DIR_SSSD_CONF "/etc/sssd/sssd.conf"
#define DIR_SMB_CONF "/etc/samba/smb.conf"

/* Where each dir_identity value came from ("config", "keytab FILE:/..."); allocated. */
struct dir_identity_origin {
	char *host, *account, *domain, *realm, *site;
};

/* What the sources say; every field may be NULL (unknown). Borrowed strings. */
struct dir_identity_facts {
	const char *cfg_domain, *cfg_realm, *cfg_site;
	const char *principal;      /* NAME$@REALM: configured or the keytab's */
	const char *principal_from; /* "config", "keytab FILE:/etc/krb5.keytab" */
	const char *krb5_realm;     /* krb5.conf default_realm */
	const char *sssd_domain, *sssd_realm;
	const char *smb_realm, *smb_netbios;
	const char *hostname; /* gethostname(), possibly a FQDN */
};

/*
 * sssd.conf: the first AD domain (id_provider = ad, or an ad_domain key) in
 * [sssd] domains order, else in file order. Its DNS domain is ad_domain,
 * else the section's name; its realm krb5_realm, else the domain
 * upper-cased. 0 with both set (allocated), -1 when there is none.
 */
int dir_sssd_conf_parse(const char *text, char **ret_domain, char **ret_realm);

/*
 * smb.conf: [global] realm and netbios name (parameter names compare as
 * Samba does: case and spaces ignored; "\" continues a line). 0 when a realm
 * was found (*RET_NETBIOS may be NULL), -1 otherwise.
 */
int dir_smb_conf_parse(const char *text, char **ret_realm, char **ret_netbios);

/*
 * smb.conf: the [global] value of PARAM (names compared as Samba does), the
 * last one when repeated; allocated, or NULL when it is not set.
 */
char *dir_smb_conf_get(const char *text, const char *param);

/* The whole of a configuration file at PATH, or NULL (missing, unreadable, over 1 MiB). */
char *dir_slurp(const char *path);

/* Pure: the identity from FACTS, with where each value came from. */
void dir_identity_decide(const struct dir_identity_facts *f, struct dir_identity *ret,
                         struct dir_identity_origin *ret_origin);

/*
 * Gather the facts from the system (krb5.conf through the krb5 profile,
 * DIR_SSSD_CONF, DIR_SMB_CONF, gethostname) around those given (config and
 * principal fields of F; the rest is filled here) and decide.
 */
void dir_identity_detect(const struct dir_identity_facts *given, struct dir_identity *ret,
                         struct dir_identity_origin *ret_origin);

/* "account MEMBER1$ (keytab FILE:/etc/krb5.keytab), host member1 (...), ..."; allocated. */
char *dir_identity_describe(const struct dir_identity *id, const struct dir_identity_origin *o);

void dir_identity_origin_clear(struct dir_identity_origin *o);

#endif

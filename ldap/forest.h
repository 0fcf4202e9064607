/*
 * forest.h - the picture of the forest: domains and their tree, each
 * domain's PDC emulator, every DC with its site, the sites and subnets, and
 * this machine's own place. Immutable once built, freed whole.
 *
 * dir_forest_build() is a pure function of what discovery read (raw.h) and
 * who we are; it validates as it goes and records every inconsistency as a
 * sentence in problems rather than guessing. A picture with problems is
 * still whole in what it does say: what could not be trusted is left out
 * (a PDC pointing at a DN that does not exist is no PDC; a trustParent
 * cycle gives those domains no parent), never half-set.
 */
#ifndef DOMTIMED_LDAP_FOREST_H
#define DOMTIMED_LDAP_FOREST_H

#include <stddef.h>
#include <stdint.h>

#include "raw.h"

enum dir_role {
	DIR_ROLE_STANDALONE, /* no domain (or not found in it) */
	DIR_ROLE_MEMBER,
	DIR_ROLE_DC,
	DIR_ROLE_RODC,
	DIR_ROLE_PDC,      /* PDC emulator of a child domain (or of a tree root that is not the forest root) */
	DIR_ROLE_ROOT_PDC, /* PDC emulator of the forest root domain */
};

/*
 * A domain: a crossRef with both FLAG_CR_NTDS_NC and FLAG_CR_NTDS_DOMAIN in
 * its systemFlags (configuration, schema and application partitions have
 * crossRefs too, and are not domains).
 *
 * PARENT is the domain the crossRef's trustParent names, nothing more. A
 * tree root has none (-1) and says so in TREE_ROOT; its parent for time
 * purposes is the forest root (MS-NRPC NetrLogonGetTimeServiceParentDomain),
 * which is hierarchy/'s rule to apply, not a fact of the directory. One
 * revision of MS-ADTS gives alternate tree roots a trustParent naming the
 * forest root instead of a rootTrust: then PARENT is the forest root and
 * TREE_ROOT is still set, because the DNS name is not under the parent's.
 */
struct dir_domain {
	const char *name;    /* DNS name (dnsRoot), lower case */
	const char *dn;      /* NC head DN, normalised */
	const char *netbios; /* or NULL */
	int parent;          /* index of the domain trustParent names; -1 for none or unknown */
	int tree_root;       /* heads a tree: the forest root, a rootTrust holder, or a name not
				under its parent's; 0 also when the place is unknown (a problem says so) */
	int root_trust;      /* index of the domain rootTrust names (the forest root), else -1 */
	int pdc;             /* index of its PDC emulator in the DCs, -1 when unknown */
	int forest_root;     /* the forest root domain */
};

/*
 * A DC: a server object under CN=Sites that has an NTDS Settings (nTDSDSA)
 * child. A server object without one (a demoted DC's leftover) is no DC.
 */
struct dir_dc {
	const char *host;    /* dNSHostName, lower case */
	const char *name;    /* server object's RDN value */
	int domain;          /* index, from msDS-HasDomainNCs (else [msDS-]hasMasterNCs); -1 unknown */
	int site;            /* index of the site holding the server object, -1 when in no site */
	int pdc;             /* holds the PDC emulator role of its domain */
	int rodc;            /* NTDS Settings say msDS-isRODC TRUE or have class nTDSDSARO */
	int gc;              /* NTDS Settings options bit 0x1 (NTDSDSA_OPT_IS_GC) */
	int ping_answered;   /* the DC answered an LDAP ping: flags below are known */
	uint32_t ping_flags; /* DS_* flags from the ping */
};

struct dir_site {
	const char *name;    /* RDN value, as the directory spells it */
	const char *dn;      /* normalised */
};

struct dir_subnet {
	int family;          /* AF_INET or AF_INET6 */
	uint8_t addr[16];    /* network order; 4 octets for AF_INET, host bits zero */
	unsigned prefix;     /* 0-32 or 0-128 */
	int site;            /* index; -1 without siteObject (such subnets place nobody) */
	const char *text;    /* the subnet's name, "10.1.0.0/16" or "fd00::/64" */
};

/*
 * This machine, from its own computer account (raw->self, matched by
 * sAMAccountName), never from the rootDSE of whichever DC was read.
 *
 * ROLE from userAccountControl: PARTIAL_SECRETS_ACCOUNT (0x4000000) is an
 * RODC, SERVER_TRUST_ACCOUNT (0x2000) a DC, WORKSTATION_TRUST_ACCOUNT
 * (0x1000) a member; a DC whose own DC entry holds its domain's PDC role is
 * a PDC, or the ROOT_PDC in the forest root domain. No account, an
 * ambiguous one or one of no known kind is STANDALONE (with a problem
 * unless nothing claimed a domain).
 *
 * SITE, first that applies: the configured site; a DC's server object; for
 * a member (or standalone), the subnet longest-prefix matching
 * raw->local_address; the ClientSiteName of the first ping that names a
 * known site; else unknown.
 */
struct dir_self {
	const char *name;        /* short host name (identity, else from the account), or NULL */
	const char *fqdn;        /* our account's dNSHostName, lower case, or NULL */
	int domain;              /* our account's (even when the role is undecided), -1 unknown */
	int site;                /* index, -1 when unknown */
	const char *site_source; /* "config", "server object", "subnet 10.1.0.0/16", "ping", "unknown" */
	enum dir_role role;
	int dc;                  /* our own index in the DCs when we are one and it was found, else -1 */
};

struct forest;

/*
 * Build the picture; never NULL. RAW and ID are only read and may be freed
 * afterwards: the forest owns copies of everything. ID may be NULL (nothing
 * known about ourselves). The same input always gives the same picture, and
 * the order entries arrive in does not matter: domains are sorted by name,
 * DCs by host, sites by name, subnets by address. Of duplicates, the first
 * read is kept, except for DCs sharing a host name, which are all left out
 * (nothing tells them apart).
 *
 * Values longer than 4096 octets, not UTF-8, or holding control characters
 * are rejected, as are DNs that do not parse; each rejection is a problem.
 * raw->errors come first among the problems, escaped like the rest: every
 * problem is printable ASCII.
 */
struct forest *dir_forest_build(const struct dir_raw *raw, const struct dir_identity *id);
/* Free F and everything the accessors returned; NULL is fine. */
void dir_forest_free(struct forest *f);

/*
 * Accessors. Entries are valid for the life of F; an index out of range
 * gives NULL. Strings are never NULL unless the field says "or NULL".
 */
size_t dir_forest_n_domains(const struct forest *f);
const struct dir_domain *dir_forest_domain(const struct forest *f, size_t i);
size_t dir_forest_n_dcs(const struct forest *f);
const struct dir_dc *dir_forest_dc(const struct forest *f, size_t i);
size_t dir_forest_n_sites(const struct forest *f);
const struct dir_site *dir_forest_site(const struct forest *f, size_t i);
size_t dir_forest_n_subnets(const struct forest *f);
const struct dir_subnet *dir_forest_subnet(const struct forest *f, size_t i);
const struct dir_self *dir_forest_self(const struct forest *f);
/*
 * Index of the forest root domain, -1 when unknown: the domain named by the
 * rootDSE's rootDomainNamingContext, else the only domain with neither
 * trustParent nor rootTrust.
 */
int dir_forest_root(const struct forest *f);
/* Index of the DC the rootDSE's dsServiceName names (the one read), -1 when unknown. */
int dir_forest_source_dc(const struct forest *f);
size_t dir_forest_n_problems(const struct forest *f);
/* One sentence, printable ASCII, untrusted parts escaped as log_esc() does. */
const char *dir_forest_problem(const struct forest *f, size_t i);
const char *dir_forest_read_from(const struct forest *f); /* raw->read_from, or NULL */
double dir_forest_read_at(const struct forest *f);

const char *dir_role_name(enum dir_role role); /* "standalone", "member", "dc", "rodc", "pdc", "root_pdc" */

/*
 * DNs compared as AD compares them: case-insensitive, spaces around
 * separators ignored, escapes resolved. Returns an allocated normal form, or
 * NULL for something that is not a DN (RFC 4514, plus the ';' separators
 * and quoted values of RFC 1779). The normal form lower-cases ASCII (AD's
 * folding of other letters is not reproduced), writes attribute types in
 * lower case, joins RDNs with ',' and AVAs with '+' (in the order given),
 * and escapes a value's ,+"\<>;= with a backslash, a leading '#' or space
 * and a trailing space likewise, and control octets or octets that are
 * not UTF-8 as \hh. "" is the (valid) empty DN.
 */
char *dir_dn_normalise(const char *dn);
/* Whether A and B are the same DN; two non-DNs are not equal. */
int dir_dn_equal(const char *a, const char *b);

/*
 * Whether the LEN octets at S are text a directory name may hold: UTF-8
 * (shortest form, no surrogates, at most U+10FFFF) without NUL, other C0 or
 * C1 control characters, or DEL.
 */
int dir_text_valid(const char *s, size_t len);

#endif

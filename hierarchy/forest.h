/*
 * forest.h - the picture of the forest: domains and their tree, each
 * domain's PDC emulator, every DC with its site, the sites and subnets, and
 * this machine's own place. Pure data and queries, shared by the side that
 * fills it (ldap/forest.h builds it from what discovery read) and the sides
 * that read it (hierarchy.h's rules, the daemon). Immutable once built,
 * freed whole.
 *
 * The builder validates as it goes and records every inconsistency as a
 * sentence in problems rather than guessing. A picture with problems is
 * still whole in what it does say: what could not be trusted is left out
 * (a PDC pointing at a DN that does not exist is no PDC; a trustParent
 * cycle gives those domains no parent), never half-set.
 */
#ifndef DOMTIMED_HIERARCHY_FOREST_H
#define DOMTIMED_HIERARCHY_FOREST_H

#include <stddef.h>
#include <stdint.h>

enum hier_role {
	HIER_ROLE_STANDALONE, /* no domain (or not found in it) */
	HIER_ROLE_MEMBER,
	HIER_ROLE_DC,
	HIER_ROLE_RODC,
	HIER_ROLE_PDC, /* PDC emulator of a child domain (or of a tree root that is not the forest
	                  root) */
	HIER_ROLE_ROOT_PDC, /* PDC emulator of the forest root domain */
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
struct hier_domain {
	const char *name;    /* DNS name (dnsRoot), lower case */
	const char *dn;      /* NC head DN, normalised */
	const char *netbios; /* or NULL */
	int parent;          /* index of the domain trustParent names; -1 for none or unknown */
	int tree_root;       /* heads a tree: the forest root, a rootTrust holder, or a name not
	                        under its parent's; 0 also when the place is unknown (a problem says so)
	                      */
	int root_trust;      /* index of the domain rootTrust names (the forest root), else -1 */
	int pdc;             /* index of its PDC emulator in the DCs, -1 when unknown */
	int forest_root;     /* the forest root domain */
};

/*
 * A DC: a server object under CN=Sites that has an NTDS Settings (nTDSDSA)
 * child. A server object without one (a demoted DC's leftover) is no DC.
 */
struct hier_dc {
	const char *host; /* dNSHostName, lower case */
	const char *name; /* server object's RDN value */
	int domain;       /* index, from msDS-HasDomainNCs (else [msDS-]hasMasterNCs); -1 unknown */
	int site;         /* index of the site holding the server object, -1 when in no site */
	int pdc;          /* holds the PDC emulator role of its domain */
	int rodc;         /* NTDS Settings say msDS-isRODC TRUE or have class nTDSDSARO */
	int gc;           /* NTDS Settings options bit 0x1 (NTDSDSA_OPT_IS_GC) */
	int ping_answered;   /* the DC answered an LDAP ping: flags below are known */
	uint32_t ping_flags; /* DS_* flags from the ping */
};

struct hier_site {
	const char *name; /* RDN value, as the directory spells it */
	const char *dn;   /* normalised */
};

struct hier_subnet {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; 4 octets for AF_INET, host bits zero */
	unsigned prefix;  /* 0-32 or 0-128 */
	int site;         /* index; -1 without siteObject (such subnets place nobody) */
	const char *text; /* the subnet's name, "10.1.0.0/16" or "fd00::/64" */
};

/*
 * This machine, from its own computer account (found by sAMAccountName),
 * never from the rootDSE of whichever DC was read.
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
 * our address on the connection read; the ClientSiteName of the first ping that names a
 * known site; else unknown.
 */
struct hier_self {
	const char *name; /* short host name (identity, else from the account), or NULL */
	const char *fqdn; /* our account's dNSHostName, lower case, or NULL */
	int domain;       /* our account's (even when the role is undecided), -1 unknown */
	int site;         /* index, -1 when unknown */
	const char
	    *site_source; /* "config", "server object", "subnet 10.1.0.0/16", "ping", "unknown" */
	enum hier_role role;
	int dc; /* our own index in the DCs when we are one and it was found, else -1 */
};

struct hier_forest;

/*
 * Constructors, for a builder (ldap/forest.h) and for tests. A new forest
 * is empty: no domains, DCs, sites or subnets, no problems, no root, no
 * source DC, and a STANDALONE self in no domain or site. The adders copy
 * the entry they are given, in order: an entry's index is the number of
 * its kind added before it. The strings an entry points to must live as
 * long as F: static ones, or ones handed to F with hier_forest_keep().
 * Indices inside entries are the caller's to keep consistent; accessors of
 * an index out of range give NULL.
 */
/* READ_FROM (the server read, or NULL) is copied. */
struct hier_forest *hier_forest_new(const char *read_from, double read_at);
/* Free F and everything the accessors returned; NULL is fine. */
void hier_forest_free(struct hier_forest *f);
/* Hand S (from malloc) to F, which frees it with itself; returns S. */
const char *hier_forest_keep(struct hier_forest *f, char *s);
void hier_forest_add_domain(struct hier_forest *f, const struct hier_domain *d);
void hier_forest_add_dc(struct hier_forest *f, const struct hier_dc *dc);
void hier_forest_add_site(struct hier_forest *f, const struct hier_site *s);
void hier_forest_add_subnet(struct hier_forest *f, const struct hier_subnet *s);
void hier_forest_set_self(struct hier_forest *f, const struct hier_self *s);
void hier_forest_set_root(struct hier_forest *f, int root);
void hier_forest_set_source_dc(struct hier_forest *f, int dc);
/* When the picture was read, stamped by its receiver before anyone else sees it. */
void hier_forest_set_read_at(struct hier_forest *f, double read_at);
/* A copy of PROBLEM: printable ASCII, untrusted parts escaped as log_esc() does. */
void hier_forest_add_problem(struct hier_forest *f, const char *problem);

/*
 * Accessors. Entries are valid for the life of F; an index out of range
 * gives NULL. Strings are never NULL unless the field says "or NULL".
 */
size_t hier_forest_n_domains(const struct hier_forest *f);
const struct hier_domain *hier_forest_domain(const struct hier_forest *f, size_t i);
size_t hier_forest_n_dcs(const struct hier_forest *f);
const struct hier_dc *hier_forest_dc(const struct hier_forest *f, size_t i);
size_t hier_forest_n_sites(const struct hier_forest *f);
const struct hier_site *hier_forest_site(const struct hier_forest *f, size_t i);
size_t hier_forest_n_subnets(const struct hier_forest *f);
const struct hier_subnet *hier_forest_subnet(const struct hier_forest *f, size_t i);
const struct hier_self *hier_forest_self(const struct hier_forest *f);
/*
 * Index of the forest root domain, -1 when unknown: the domain named by the
 * rootDSE's rootDomainNamingContext, else the only domain with neither
 * trustParent nor rootTrust.
 */
int hier_forest_root(const struct hier_forest *f);
/* Index of the DC the rootDSE's dsServiceName names (the one read), -1 when unknown. */
int hier_forest_source_dc(const struct hier_forest *f);
size_t hier_forest_n_problems(const struct hier_forest *f);
/* One sentence, printable ASCII, untrusted parts escaped as log_esc() does. */
const char *hier_forest_problem(const struct hier_forest *f, size_t i);
const char *hier_forest_read_from(const struct hier_forest *f); /* the server read, or NULL */
double hier_forest_read_at(const struct hier_forest *f);

/* "standalone", "member", "dc", "rodc", "pdc", "root_pdc"; "unknown" out of range. */
const char *hier_role_name(enum hier_role role);
/* Whether ROLE is one of a DC's (read-only or not, PDC or not). */
int hier_role_is_dc(enum hier_role role);

#endif

/*
 * forest.c - from what discovery read to a validated picture of the forest.
 *
 * dir_forest_build() works in named steps, each reading one kind of entry
 * and validating its own inputs: the domains (crossRefs) and their tree,
 * the sites, the DCs (server objects and their NTDS Settings), each
 * domain's PDC (fSMORoleOwner on its NC head), the subnets, the pings, and
 * last this machine. A step uses only what earlier steps accepted, so a
 * value rejected once is absent from then on, and said to be so once.
 *
 * DNs are compared in normal form (dir_dn_normalise): slapd lower-cases
 * them, AD does not, and either may space or escape them differently.
 * Every string the picture points to is a copy in its string pool
 * (hier_forest_keep), so the raw read can be freed as soon as the build
 * returns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../common/util.h"
#include "../common/ascii.h"
#include "../common/log.h"
#include "../common/strmap.h"
#include "../common/xmalloc.h"
#include "../hierarchy/forest.h"
#include "dn.h"
#include "forest.h"

#define ESC(str) (log_esc(str).s)

/*
 * Longest value accepted. AD's names are far shorter (a DN of a few
 * hundred octets is already deep); anything longer is garbage or hostile.
 */
#define MAX_VALUE 4096
/* DNS limits (RFC 1035 section 2.3.4), in text form without the final dot. */
#define MAX_DNS_NAME 253
#define MAX_DNS_LABEL 63

/* crossRef systemFlags (MS-ADTS 2.2.10): a domain's crossRef has both. */
#define FLAG_CR_NTDS_NC 0x1
#define FLAG_CR_NTDS_DOMAIN 0x2
/* nTDSDSA options (MS-ADTS 6.1.1.2.2.1.2.1.1). */
#define NTDSDSA_OPT_IS_GC 0x1
/* userAccountControl (MS-ADTS 2.2.16). */
#define UF_WORKSTATION_TRUST_ACCOUNT 0x1000
#define UF_SERVER_TRUST_ACCOUNT 0x2000
#define UF_PARTIAL_SECRETS_ACCOUNT 0x4000000

struct domain {
	struct hier_domain pub;
	const char *crossref;     /* normalised DN of its crossRef */
	const char *trust_parent; /* normalised trustParent, or NULL */
	const char *root_trust;   /* normalised rootTrust, or NULL */
};

struct dc {
	struct hier_dc pub;
	const char *server;  /* normalised DN of its server object */
	const char *ntds;    /* normalised DN of its NTDS Settings */
	const char *account; /* normalised serverReference (its computer object), or NULL */
	int duplicate;       /* shares its host name with another: left out at the end */
};

/*
 * The entries while they are being read, linked and sorted, with what only
 * the build needs; they go into the picture when the last step is done.
 */
struct draft {
	struct domain *domains;
	size_t n_domains;
	struct dc *dcs;
	size_t n_dcs;
	struct hier_site *sites;
	size_t n_sites;
	struct hier_subnet *subnets;
	size_t n_subnets;
	struct hier_self self;
	/*
	 * Indices of the entries above by key (see reindex()): a forest of
	 * thousands of DCs and tens of thousands of subnets builds in time
	 * proportional to its size, not its square.
	 */
	struct strmap *domain_dn, *domain_name, *domain_crossref;
	struct strmap *site_dn, *site_name;
	struct strmap *dc_host, *dc_ntds, *dc_account;
};

/* What a build reads and what it keeps between steps. */
struct build {
	const struct dir_raw *raw;
	const struct dir_identity *id;
	struct draft *f;
	struct hier_forest *out; /* the picture: problems, root, source DC, and every string */
	const char **ntds;       /* normal DNs of raw->ntds (NULL where rejected) */
	struct strmap *ntds_dn, *ntds_parent; /* raw->ntds by normal DN, by parent's (first) */
};

/* ---- small helpers ----------------------------------------------------- */

static void problem(struct build *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record one problem. Every untrusted string in it must have gone through ESC. */
static void
problem(struct build *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc(n > 0 ? (size_t)n + 1 : 1);
	va_start(ap, fmt);
	(void)vsnprintf(s, n > 0 ? (size_t)n + 1 : 1, fmt, ap);
	va_end(ap);
	hier_forest_add_problem(b->out, s);
	free(s);
}

/*
 * Index the N elements of SIZE octets at BASE by their string at OFFSET
 * (NULL ones left out; of equal keys the first counts) into *MAP, made anew.
 */
static void
reindex(struct strmap **map, int nocase, const void *base, size_t n, size_t size, size_t offset)
{
	strmap_free(*map);
	*map = strmap_new(nocase);
	for (size_t i = 0; i < n; i++) {
		const char *s = *(const char *const *)((const char *)base + i * size + offset);

		if (s != NULL)
			(void)strmap_add(*map, s, (int)i);
	}
}

static void
index_domains(struct draft *f)
{
	reindex(&f->domain_dn, 0, f->domains, f->n_domains, sizeof(*f->domains),
	        offsetof(struct domain, pub.dn));
	reindex(&f->domain_name, 1, f->domains, f->n_domains, sizeof(*f->domains),
	        offsetof(struct domain, pub.name));
	reindex(&f->domain_crossref, 0, f->domains, f->n_domains, sizeof(*f->domains),
	        offsetof(struct domain, crossref));
}

static void
index_sites(struct draft *f)
{
	reindex(&f->site_dn, 0, f->sites, f->n_sites, sizeof(*f->sites),
	        offsetof(struct hier_site, dn));
	reindex(&f->site_name, 1, f->sites, f->n_sites, sizeof(*f->sites),
	        offsetof(struct hier_site, name));
}

static void
index_dcs(struct draft *f)
{
	reindex(&f->dc_host, 1, f->dcs, f->n_dcs, sizeof(*f->dcs), offsetof(struct dc, pub.host));
	reindex(&f->dc_ntds, 0, f->dcs, f->n_dcs, sizeof(*f->dcs), offsetof(struct dc, ntds));
	reindex(&f->dc_account, 0, f->dcs, f->n_dcs, sizeof(*f->dcs), offsetof(struct dc, account));
}

static void
draft_clear(struct draft *f)
{
	struct strmap *maps[] = {f->domain_dn, f->domain_name, f->domain_crossref, f->site_dn,
	                         f->site_name, f->dc_host,     f->dc_ntds,         f->dc_account};

	for (size_t i = 0; i < ARRAY_LEN(maps); i++)
		strmap_free(maps[i]);
	free(f->domains);
	free(f->dcs);
	free(f->sites);
	free(f->subnets);
}

/* Lookups: the index of the entry with that key, or -1. Names compare case-insensitively. */
static int
domain_by_dn(const struct draft *f, const char *dn)
{
	return strmap_get(f->domain_dn, dn);
}

static int
domain_by_crossref(const struct draft *f, const char *dn)
{
	return strmap_get(f->domain_crossref, dn);
}

static int
domain_by_name(const struct draft *f, const char *name)
{
	return strmap_get(f->domain_name, name);
}

static int
site_by_dn(const struct draft *f, const char *dn)
{
	return strmap_get(f->site_dn, dn);
}

static int
site_by_name(const struct draft *f, const char *name)
{
	return strmap_get(f->site_name, name);
}

static int
dc_by_host(const struct draft *f, const char *host)
{
	return strmap_get(f->dc_host, host);
}

static int
dc_by_ntds(const struct draft *f, const char *dn)
{
	return strmap_get(f->dc_ntds, dn);
}

static int
dc_by_account(const struct draft *f, const char *dn)
{
	return strmap_get(f->dc_account, dn);
}

/* ---- reading values ---------------------------------------------------- */

/* How an entry is named in problems. */
static const char *
where(const struct dir_entry *e)
{
	if (e->dn == NULL)
		return "(an entry without a DN)";
	return *e->dn == '\0' ? "the rootDSE" : e->dn;
}

/* The first value of ATTR in E; NULL when there is none, a problem when REQUIRED. */
static const struct dir_value *
attr_value(struct build *b, const struct dir_entry *e, const char *attr, int required)
{
	const struct dir_value *v = dir_entry_value(e, attr);

	if (v == NULL && required)
		problem(b, "%s has no %s", ESC(where(e)), attr);
	return v;
}

/* Value V of ATTR in E as text; NULL, after saying why, when too long or not text. */
static const char *
checked(struct build *b, const struct dir_entry *e, const char *attr, const struct dir_value *v)
{
	if (v->len > MAX_VALUE)
		problem(b, "%s: %s rejected: %zu octets, more than %d", ESC(where(e)), attr, v->len,
		        MAX_VALUE);
	else if (!dir_text_valid(v->data, v->len))
		problem(b, "%s: %s rejected: not UTF-8 text: %s", ESC(where(e)), attr,
		        log_esc_mem(v->data, v->len).s);
	else
		return v->data;
	return NULL;
}

/* The first value of ATTR in E as text (pointing into E), or NULL. */
static const char *
text(struct build *b, const struct dir_entry *e, const char *attr, int required)
{
	const struct dir_value *v = attr_value(b, e, attr, required);

	return v != NULL ? checked(b, e, attr, v) : NULL;
}

/* S in normal DN form, kept; NULL when it is no DN, or the empty one (which names nothing here). */
static const char *
keep_dn(struct build *b, const char *s)
{
	char *dn = dir_dn_normalise(s);

	if (dn == NULL || *dn == '\0') {
		free(dn);
		return NULL;
	}
	return hier_forest_keep(b->out, dn);
}

/* Value V of DN-valued ATTR in E in normal form, kept; NULL after saying why. */
static const char *
value_dn(struct build *b, const struct dir_entry *e, const char *attr, const struct dir_value *v)
{
	const char *s = checked(b, e, attr, v), *dn;

	if (s == NULL)
		return NULL;
	if ((dn = keep_dn(b, s)) == NULL)
		problem(b, "%s: %s is not a DN: %s", ESC(where(e)), attr, ESC(s));
	return dn;
}

/* The first value of DN-valued ATTR in E in normal form, or NULL. */
static const char *
dn_attr(struct build *b, const struct dir_entry *e, const char *attr, int required)
{
	const struct dir_value *v = attr_value(b, e, attr, required);

	return v != NULL ? value_dn(b, e, attr, v) : NULL;
}

/* E's own DN in normal form, or NULL after saying why. */
static const char *
entry_dn(struct build *b, const struct dir_entry *e)
{
	struct dir_value v = {e->dn, e->dn != NULL ? strlen(e->dn) : 0};

	if (e->dn == NULL) {
		problem(b, "an entry without a DN, ignored");
		return NULL;
	}
	return value_dn(b, e, "its DN", &v);
}

/* The DNs of L's entries in normal form, NULL where rejected; the array is the caller's. */
static const char **
entry_dns(struct build *b, const struct dir_entry_list *l)
{
	const char **dns = xcalloc(l->n, sizeof(*dns));

	for (size_t i = 0; i < l->n; i++)
		dns[i] = entry_dn(b, &l->v[i]);
	return dns;
}

/* S as a DNS name, lower case and without a final dot, kept; NULL when it is none. */
static const char *
keep_dns_name(struct build *b, const char *s)
{
	size_t len = strlen(s), label = 0;
	char *name;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0 || len > MAX_DNS_NAME)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.' && label > 0)
			label = 0;
		else if (!(ascii_is_alpha(s[i]) || ascii_is_digit(s[i]) || s[i] == '-' ||
		           s[i] == '_') ||
		         ++label > MAX_DNS_LABEL)
			return NULL;
	}
	if (label == 0)
		return NULL;
	name = xstrndup(s, len);
	for (size_t i = 0; i < len; i++)
		name[i] = ascii_lower(name[i]);
	return hier_forest_keep(b->out, name);
}

/* The first value of ATTR in E as a DNS name (keep_dns_name), or NULL. */
static const char *
dns_attr(struct build *b, const struct dir_entry *e, const char *attr, int required)
{
	const char *s = text(b, e, attr, required), *name;

	if (s == NULL)
		return NULL;
	if ((name = keep_dns_name(b, s)) == NULL)
		problem(b, "%s: %s is not a DNS name: %s", ESC(where(e)), attr, ESC(s));
	return name;
}

/*
 * The first value of integer-valued ATTR in E as its 32 bits: AD's
 * Integer syntax is signed, and systemFlags can be negative. Returns 1,
 * 0 when absent, -1 when rejected.
 */
static int
number(struct build *b, const struct dir_entry *e, const char *attr, int required, uint32_t *ret)
{
	const char *s = text(b, e, attr, required);
	char *end;
	long long v;

	if (s == NULL)
		return dir_entry_value(e, attr) == NULL ? 0 : -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if ((*s != '-' && !ascii_is_digit(*s)) || *end != '\0' || errno != 0 || v < INT32_MIN ||
	    v > (long long)UINT32_MAX) {
		problem(b, "%s: %s is not a 32-bit number: %s", ESC(where(e)), attr, ESC(s));
		return -1;
	}
	*ret = (uint32_t)v;
	return 1;
}

/* Whether ATTR in E is TRUE; anything but TRUE or FALSE is said and taken as FALSE. */
static int
boolean(struct build *b, const struct dir_entry *e, const char *attr)
{
	const char *s = text(b, e, attr, 0);

	if (s == NULL || strcasecmp(s, "FALSE") == 0)
		return 0;
	if (strcasecmp(s, "TRUE") == 0)
		return 1;
	problem(b, "%s: %s is neither TRUE nor FALSE: %s", ESC(where(e)), attr, ESC(s));
	return 0;
}

/* ---- step 1: domains --------------------------------------------------- */

/*
 * A domain from crossRef E, when its systemFlags say it is one. A crossRef
 * with Enabled FALSE is pre-created for a domain not there yet, and a
 * second crossRef for a name or NC already read (a replication conflict
 * leaves such) is left out.
 */
static void
read_domain(struct build *b, const struct dir_entry *e)
{
	const uint32_t both = FLAG_CR_NTDS_NC | FLAG_CR_NTDS_DOMAIN;
	struct draft *f = b->f;
	struct domain d = {.pub = {.parent = -1, .root_trust = -1, .pdc = -1}};
	const char *enabled, *netbios;
	uint32_t flags;

	if (number(b, e, "systemFlags", 1, &flags) <= 0 || (flags & both) != both)
		return;
	enabled = text(b, e, "Enabled", 0);
	if (enabled != NULL && strcasecmp(enabled, "FALSE") == 0)
		return;
	if ((d.crossref = entry_dn(b, e)) == NULL ||
	    (d.pub.dn = dn_attr(b, e, "nCName", 1)) == NULL ||
	    (d.pub.name = dns_attr(b, e, "dnsRoot", 1)) == NULL)
		return;
	if ((netbios = text(b, e, "nETBIOSName", 0)) != NULL)
		d.pub.netbios = hier_forest_keep(b->out, xstrdup(netbios));
	d.trust_parent = dn_attr(b, e, "trustParent", 0);
	d.root_trust = dn_attr(b, e, "rootTrust", 0);
	if (domain_by_dn(f, d.pub.dn) >= 0 || domain_by_name(f, d.pub.name) >= 0) {
		problem(b, "%s: a second crossRef for domain %s (%s), ignored", ESC(where(e)),
		        ESC(d.pub.name), ESC(d.pub.dn));
		return;
	}
	(void)strmap_add(f->domain_dn, d.pub.dn, (int)f->n_domains);
	(void)strmap_add(f->domain_name, d.pub.name, (int)f->n_domains);
	f->domains[f->n_domains++] = d;
}

static int
by_domain_name(const void *a, const void *b)
{
	return strcmp(((const struct domain *)a)->pub.name, ((const struct domain *)b)->pub.name);
}

/* The domain whose crossRef is DN, D's ATTR; -1, said, when there is none. */
static int
crossref_target(struct build *b, const struct domain *d, const char *attr, const char *dn)
{
	int i = domain_by_crossref(b->f, dn);

	if (i < 0)
		problem(b, "domain %s: %s %s is no domain's crossRef", ESC(d->pub.name), attr,
		        ESC(dn));
	return i;
}

/* Parents from trustParent, and rootTrust, by the crossRefs they name. */
static void
link_domains(struct build *b)
{
	for (size_t i = 0; i < b->f->n_domains; i++) {
		struct domain *d = &b->f->domains[i];

		if (d->trust_parent != NULL)
			d->pub.parent = crossref_target(b, d, "trustParent", d->trust_parent);
		if (d->root_trust != NULL)
			d->pub.root_trust = crossref_target(b, d, "rootTrust", d->root_trust);
	}
}

/*
 * The forest root: the domain the rootDSE's rootDomainNamingContext
 * names, else the one domain with neither trustParent nor rootTrust. A
 * rootDomainNamingContext naming no domain leaves it unknown rather than
 * guessed.
 */
static int
root_domain(struct build *b)
{
	const struct draft *f = b->f;
	const struct dir_entry *rootdse = &b->raw->rootdse;
	const char *dn;
	int root = -1, n = 0;

	if (dir_entry_value(rootdse, "rootDomainNamingContext") != NULL) {
		if ((dn = dn_attr(b, rootdse, "rootDomainNamingContext", 1)) == NULL)
			return -1;
		if ((root = domain_by_dn(f, dn)) < 0)
			problem(b, "the rootDSE's rootDomainNamingContext %s names no domain",
			        ESC(dn));
		return root;
	}
	for (size_t i = 0; i < f->n_domains; i++) {
		if (f->domains[i].trust_parent == NULL && f->domains[i].root_trust == NULL) {
			root = (int)i;
			n++;
		}
	}
	if (n == 1)
		return root;
	if (f->n_domains > 0)
		problem(b,
		        "the rootDSE has no rootDomainNamingContext and %d domains could be the "
		        "forest root",
		        n);
	return -1;
}

/* The forest root has no parent, whatever its crossRef says. */
static void
mark_root(struct build *b)
{
	struct draft *f = b->f;
	struct domain *root;

	hier_forest_set_root(b->out, root_domain(b));
	if (hier_forest_root(b->out) < 0)
		return;
	root = &f->domains[hier_forest_root(b->out)];
	root->pub.forest_root = 1;
	if (root->pub.parent >= 0) {
		problem(b, "the forest root %s has a trustParent, %s: ignored", ESC(root->pub.name),
		        ESC(f->domains[root->pub.parent].pub.name));
		root->pub.parent = -1;
	}
}

/*
 * A trustParent cycle gives its domains no parent: walk up from each
 * domain, marking the walk, until the chain ends or meets a domain seen
 * before; meeting one on the current walk closes a cycle. Each domain is
 * walked through once, so this is linear.
 */
static void
break_cycles(struct build *b)
{
	struct draft *f = b->f;
	enum { NEW, ON_WALK, SETTLED } *state = xcalloc(f->n_domains, sizeof(*state));
	unsigned char *in_cycle = xcalloc(f->n_domains, 1);

	for (size_t i = 0; i < f->n_domains; i++) {
		int j = (int)i;

		while (j >= 0 && state[j] == NEW) {
			state[j] = ON_WALK;
			j = f->domains[j].pub.parent;
		}
		if (j >= 0 && state[j] == ON_WALK) {
			int k = j;

			do {
				in_cycle[k] = 1;
				k = f->domains[k].pub.parent;
			} while (k != j);
		}
		for (j = (int)i; j >= 0 && state[j] == ON_WALK; j = f->domains[j].pub.parent)
			state[j] = SETTLED;
	}
	for (size_t i = 0; i < f->n_domains; i++) {
		if (in_cycle[i]) {
			problem(
			    b, "domain %s: its trustParent chain comes back to it; no parent taken",
			    ESC(f->domains[i].pub.name));
			f->domains[i].pub.parent = -1;
		}
	}
	free(state);
	free(in_cycle);
}

/* Whether DNS name NAME lies under PARENT (child.forest.test under forest.test). */
static int
dns_below(const char *name, const char *parent)
{
	size_t n = strlen(name), p = strlen(parent);

	return n > p + 1 && name[n - p - 1] == '.' && strcmp(name + n - p, parent) == 0;
}

/*
 * Which domains head a tree (see struct hier_domain), once the parents are
 * final; a domain with neither link has an unknown place, and is no root.
 */
static void
mark_tree_roots(struct build *b)
{
	struct draft *f = b->f;

	for (size_t i = 0; i < f->n_domains; i++) {
		struct domain *d = &f->domains[i];

		if ((int)i == hier_forest_root(b->out) ||
		    (d->pub.parent < 0 && d->pub.root_trust >= 0))
			d->pub.tree_root = 1;
		else if (d->pub.parent >= 0)
			d->pub.tree_root =
			    !dns_below(d->pub.name, f->domains[d->pub.parent].pub.name);
		else if (d->trust_parent == NULL && d->root_trust == NULL)
			problem(b,
			        "domain %s has neither trustParent nor rootTrust: its place in the "
			        "tree is unknown",
			        ESC(d->pub.name));
	}
}

/* Step 1: the domains and their tree. */
static void
read_domains(struct build *b)
{
	const struct dir_entry_list *l = &b->raw->crossrefs;
	struct draft *f = b->f;

	f->domains = xcalloc(l->n, sizeof(*f->domains));
	index_domains(f);
	for (size_t i = 0; i < l->n; i++)
		read_domain(b, &l->v[i]);
	qsort(f->domains, f->n_domains, sizeof(*f->domains), by_domain_name);
	index_domains(f);
	link_domains(b);
	mark_root(b);
	break_cycles(b);
	mark_tree_roots(b);
}

/* ---- step 2: sites ----------------------------------------------------- */

static void
read_site(struct build *b, const struct dir_entry *e)
{
	struct draft *f = b->f;
	struct hier_site s;
	char *name;

	if ((s.dn = entry_dn(b, e)) == NULL)
		return;
	if ((name = dir_rdn_value(e->dn)) == NULL) {
		problem(b, "site %s: its name is not text, ignored", ESC(where(e)));
		return;
	}
	s.name = hier_forest_keep(b->out, name);
	if (site_by_dn(f, s.dn) >= 0 || site_by_name(f, s.name) >= 0) {
		problem(b, "%s: a second site named %s, ignored", ESC(where(e)), ESC(s.name));
		return;
	}
	(void)strmap_add(f->site_dn, s.dn, (int)f->n_sites);
	(void)strmap_add(f->site_name, s.name, (int)f->n_sites);
	f->sites[f->n_sites++] = s;
}

static int
by_site_name(const void *a, const void *b)
{
	return strcasecmp(((const struct hier_site *)a)->name, ((const struct hier_site *)b)->name);
}

/* Step 2: the sites. */
static void
read_sites(struct build *b)
{
	const struct dir_entry_list *l = &b->raw->sites;
	struct draft *f = b->f;

	f->sites = xcalloc(l->n, sizeof(*f->sites));
	index_sites(f);
	for (size_t i = 0; i < l->n; i++)
		read_site(b, &l->v[i]);
	qsort(f->sites, f->n_sites, sizeof(*f->sites), by_site_name);
	index_sites(f);
}

/* ---- step 3: DCs ------------------------------------------------------- */

/* The NTDS Settings child of server object SERVER (normal DN), or NULL: then it is no DC. */
static const struct dir_entry *
ntds_of(const struct build *b, const char *server, const char **ret_dn)
{
	int i = strmap_get(b->ntds_parent, server);

	if (i < 0)
		return NULL;
	*ret_dn = b->ntds[i];
	return &b->raw->ntds.v[i];
}

/* Index raw->ntds (their normal DNs in b->ntds) by DN and by parent DN. */
static void
index_ntds(struct build *b)
{
	b->ntds_dn = strmap_new(0);
	b->ntds_parent = strmap_new(0);
	for (size_t i = 0; i < b->raw->ntds.n; i++) {
		const char *parent = b->ntds[i] != NULL ? dir_dn_parent(b->ntds[i]) : NULL;

		if (b->ntds[i] != NULL)
			(void)strmap_add(b->ntds_dn, b->ntds[i], (int)i);
		if (parent != NULL)
			(void)strmap_add(b->ntds_parent, parent, (int)i);
	}
}

/* The site whose Servers container holds server object SERVER: CN=x,CN=Servers,CN=<site>,... */
static int
site_of_server(const struct draft *f, const char *server)
{
	static const char servers[] = "cn=servers,";
	const char *parent = dir_dn_parent(server);

	if (parent == NULL || strncmp(parent, servers, sizeof(servers) - 1) != 0)
		return -1;
	return site_by_dn(f, parent + sizeof(servers) - 1);
}

/*
 * The one domain among the DN values of attribute A (called ATTR) in
 * NTDS; -1 when it names none or several (said, with HOST naming the DC).
 */
static int
domain_among(struct build *b, const struct dir_entry *ntds, const char *attr,
             const struct dir_attr *a, const char *host)
{
	const struct draft *f = b->f;
	int found = -1;

	for (size_t i = 0; i < a->n_vals; i++) {
		const char *dn = value_dn(b, ntds, attr, &a->vals[i]);
		int d = dn != NULL ? domain_by_dn(f, dn) : -1;

		if (d < 0 || d == found)
			continue;
		if (found >= 0) {
			problem(b, "DC %s: %s names two domains, %s and %s", ESC(host), attr,
			        ESC(f->domains[found].pub.name), ESC(f->domains[d].pub.name));
			return -1;
		}
		found = d;
	}
	if (found < 0)
		problem(b, "DC %s: %s names no known domain", ESC(host), attr);
	return found;
}

/*
 * A DC's domain from its NTDS Settings: msDS-HasDomainNCs (2003 and
 * later), else the one domain among the NCs it masters (msDS-hasMasterNCs,
 * hasMasterNCs) or, for an RODC, fully replicates. The first of these
 * attributes present decides.
 */
static int
domain_of_ntds(struct build *b, const struct dir_entry *ntds, const char *host)
{
	static const char *const attrs[] = {"msDS-HasDomainNCs", "msDS-hasMasterNCs",
	                                    "hasMasterNCs", "msDS-hasFullReplicaNCs"};

	for (size_t i = 0; i < ARRAY_LEN(attrs); i++) {
		const struct dir_attr *a = dir_entry_attr(ntds, attrs[i]);

		if (a != NULL && a->n_vals > 0)
			return domain_among(b, ntds, attrs[i], a, host);
	}
	problem(b, "DC %s: its NTDS Settings name no domain (no msDS-HasDomainNCs or hasMasterNCs)",
	        ESC(host));
	return -1;
}

/*
 * A DC from server object E, when it has NTDS Settings. Several DCs with
 * one host name cannot be told apart (pings, our own entry and the
 * hierarchy all go by host), so all of them are marked to be left out.
 */
static void
read_dc(struct build *b, const struct dir_entry *e)
{
	struct draft *f = b->f;
	struct dc dc = {.pub = {.domain = -1, .site = -1}};
	const struct dir_entry *ntds;
	uint32_t options;
	char *name;
	int other;

	if ((dc.server = entry_dn(b, e)) == NULL ||
	    (ntds = ntds_of(b, dc.server, &dc.ntds)) == NULL ||
	    (dc.pub.host = dns_attr(b, e, "dNSHostName", 1)) == NULL)
		return;
	if ((name = dir_rdn_value(e->dn)) == NULL) {
		problem(b, "DC %s: its server object's name is not text, ignored",
		        ESC(dc.pub.host));
		return;
	}
	dc.pub.name = hier_forest_keep(b->out, name);
	dc.account = dn_attr(b, e, "serverReference", 0);
	if ((dc.pub.site = site_of_server(f, dc.server)) < 0)
		problem(b, "DC %s is in no site: its server object is %s", ESC(dc.pub.host),
		        ESC(where(e)));
	dc.pub.domain = domain_of_ntds(b, ntds, dc.pub.host);
	dc.pub.rodc = boolean(b, ntds, "msDS-isRODC") ||
	              dir_entry_has_value(ntds, "objectClass", "nTDSDSARO");
	dc.pub.gc = number(b, ntds, "options", 0, &options) > 0 && (options & NTDSDSA_OPT_IS_GC);
	if ((other = dc_by_host(f, dc.pub.host)) >= 0) {
		problem(b, "DCs %s and %s have the same host name %s: both left out",
		        ESC(f->dcs[other].server), ESC(dc.server), ESC(dc.pub.host));
		f->dcs[other].duplicate = 1;
		return;
	}
	(void)strmap_add(f->dc_host, dc.pub.host, (int)f->n_dcs);
	f->dcs[f->n_dcs++] = dc;
}

static int
by_dc_host(const void *a, const void *b)
{
	return strcmp(((const struct dc *)a)->pub.host, ((const struct dc *)b)->pub.host);
}

/* The DC the rootDSE's dsServiceName names: the one discovery read from. */
static void
find_source_dc(struct build *b)
{
	struct draft *f = b->f;
	const char *dn = dn_attr(b, &b->raw->rootdse, "dsServiceName", 0);

	if (dn == NULL)
		return;
	hier_forest_set_source_dc(b->out, dc_by_ntds(f, dn));
	if (hier_forest_source_dc(b->out) < 0)
		problem(b, "the rootDSE's dsServiceName %s names no DC", ESC(dn));
}

/* Step 3: the DCs, then which of them was read from. */
static void
read_dcs(struct build *b)
{
	const struct dir_entry_list *l = &b->raw->servers;
	struct draft *f = b->f;
	size_t kept = 0;

	b->ntds = entry_dns(b, &b->raw->ntds);
	index_ntds(b);
	f->dcs = xcalloc(l->n, sizeof(*f->dcs));
	index_dcs(f);
	for (size_t i = 0; i < l->n; i++)
		read_dc(b, &l->v[i]);
	for (size_t i = 0; i < f->n_dcs; i++)
		if (!f->dcs[i].duplicate)
			f->dcs[kept++] = f->dcs[i];
	f->n_dcs = kept;
	qsort(f->dcs, f->n_dcs, sizeof(*f->dcs), by_dc_host);
	index_dcs(f);
	find_source_dc(b);
}

/* ---- step 4: PDCs ------------------------------------------------------ */

/* Whether DN is the NTDS Settings of some server object read, DC or not. */
static int
ntds_exists(const struct build *b, const char *dn)
{
	return strmap_get(b->ntds_dn, dn) >= 0;
}

/*
 * Domain I's PDC from fSMORoleOwner on its NC head HEAD: the DN of the
 * PDC's NTDS Settings. It must be a DC of that very domain, and no RODC
 * (which cannot hold the role); anything else is a problem and no PDC.
 */
static void
set_pdc(struct build *b, size_t i, const struct dir_entry *head)
{
	struct draft *f = b->f;
	struct domain *d = &f->domains[i];
	const char *owner = dn_attr(b, head, "fSMORoleOwner", 1);
	const struct hier_dc *dc;
	int n;

	if (owner == NULL)
		return;
	if ((n = dc_by_ntds(f, owner)) < 0) {
		problem(b, "domain %s: fSMORoleOwner %s %s", ESC(d->pub.name), ESC(owner),
		        ntds_exists(b, owner) ? "is the NTDS Settings of a DC left out"
		                              : "names nothing that exists");
		return;
	}
	dc = &f->dcs[n].pub;
	if (dc->domain != (int)i) {
		problem(b, "domain %s: fSMORoleOwner names %s, a DC of %s: not this domain's PDC",
		        ESC(d->pub.name), ESC(dc->host),
		        dc->domain >= 0 ? ESC(f->domains[dc->domain].pub.name)
		                        : "an unknown domain");
		return;
	}
	if (dc->rodc) {
		problem(b, "domain %s: fSMORoleOwner names %s, an RODC, which cannot be PDC",
		        ESC(d->pub.name), ESC(dc->host));
		return;
	}
	d->pub.pdc = n;
	f->dcs[n].pub.pdc = 1;
}

/*
 * Step 4: each domain's PDC, from its NC head. A domain whose head was not
 * read (its nCName names nothing read) has no known PDC.
 */
static void
find_pdcs(struct build *b)
{
	const struct dir_entry_list *l = &b->raw->nc_heads;
	const char **heads = entry_dns(b, l);
	struct strmap *by_dn = NULL;
	struct draft *f = b->f;

	reindex(&by_dn, 0, heads, l->n, sizeof(*heads), 0);
	for (size_t i = 0; i < f->n_domains; i++) {
		int j = strmap_get(by_dn, f->domains[i].pub.dn);

		if (j >= 0)
			set_pdc(b, i, &l->v[j]);
		else
			problem(b,
			        "domain %s: its naming context %s was not read: its PDC is unknown",
			        ESC(f->domains[i].pub.name), ESC(f->domains[i].pub.dn));
	}
	strmap_free(by_dn);
	free(heads);
}

/* ---- step 5: subnets --------------------------------------------------- */

static size_t
address_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Clear the bits of the N-octet address A past its first BITS. */
static void
mask(uint8_t *a, size_t n, unsigned bits)
{
	for (size_t i = 0; i<n; i++, bits = bits> 8 ? bits - 8 : 0)
		a[i] &= (uint8_t)(0xff00 >> (bits > 8 ? 8 : bits));
}

/* An IPv4 or IPv6 address; an IPv4-mapped IPv6 one counts as IPv4. */
static int
parse_address(const char *s, int *ret_family, uint8_t *ret_addr)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	uint8_t a[16] = {0};

	if (inet_pton(AF_INET, s, a) == 1) {
		*ret_family = AF_INET;
	} else if (inet_pton(AF_INET6, s, a) != 1) {
		return 0;
	} else if (memcmp(a, v4mapped, sizeof(v4mapped)) == 0) {
		memmove(a, a + sizeof(v4mapped), 4);
		memset(a + 4, 0, sizeof(a) - 4);
		*ret_family = AF_INET;
	} else {
		*ret_family = AF_INET6;
	}
	memcpy(ret_addr, a, sizeof(a));
	return 1;
}

/* "10.1.0.0/16" or "fd00::/64" into S; 0 unless it is a prefix with its host bits zero. */
static int
parse_prefix(const char *text, struct hier_subnet *s)
{
	const char *slash = strrchr(text, '/');
	char addr[INET6_ADDRSTRLEN];
	uint8_t masked[16];
	unsigned bits = 0;
	size_t len;

	if (slash == NULL || (len = (size_t)(slash - text)) >= sizeof(addr))
		return 0;
	memcpy(addr, text, len);
	addr[len] = '\0';
	if (!parse_address(addr, &s->family, s->addr))
		return 0;
	len = strlen(slash + 1);
	if (len == 0 || len > 3 || strspn(slash + 1, "0123456789") != len)
		return 0;
	for (const char *p = slash + 1; *p != '\0'; p++)
		bits = bits * 10 + (unsigned)(*p - '0');
	if (bits > 8 * address_len(s->family))
		return 0;
	s->prefix = bits;
	memcpy(masked, s->addr, sizeof(masked));
	mask(masked, address_len(s->family), bits);
	return memcmp(masked, s->addr, address_len(s->family)) == 0;
}

/* S as a key that is equal for equal prefixes: "family/address octets in hex/prefix". */
static void
subnet_key(const struct hier_subnet *s, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%d/", s->family);

	for (size_t i = 0; i < sizeof(s->addr) && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%02x", s->addr[i]);
	if (n > 0 && (size_t)n < len)
		(void)snprintf(buf + n, len - (size_t)n, "/%u", s->prefix);
}

/* A subnet from E: its name is the prefix, siteObject its site. */
static void
read_subnet(struct build *b, const struct dir_entry *e, struct strmap *seen)
{
	struct draft *f = b->f;
	struct hier_subnet s = {.site = -1};
	const char *site;
	char *name, key[64];

	if (entry_dn(b, e) == NULL)
		return;
	if ((name = dir_rdn_value(e->dn)) == NULL || !parse_prefix(name, &s)) {
		problem(b,
		        "subnet %s: its name is no address prefix with the host bits zero, ignored",
		        ESC(where(e)));
		free(name);
		return;
	}
	s.text = hier_forest_keep(b->out, name);
	if ((site = dn_attr(b, e, "siteObject", 0)) != NULL && (s.site = site_by_dn(f, site)) < 0)
		problem(b, "subnet %s: siteObject %s names no site", ESC(s.text), ESC(site));
	subnet_key(&s, key, sizeof(key));
	if (strmap_add(seen, key, (int)f->n_subnets) != (int)f->n_subnets) {
		problem(b, "%s: a second subnet %s, ignored", ESC(where(e)), ESC(s.text));
		return;
	}
	f->subnets[f->n_subnets++] = s;
}

static int
by_subnet(const void *a, const void *b)
{
	const struct hier_subnet *x = a, *y = b;
	int c = memcmp(x->addr, y->addr, sizeof(x->addr));

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (c != 0)
		return c;
	return x->prefix < y->prefix ? -1 : x->prefix > y->prefix;
}

/* Step 5: the subnets. */
static void
read_subnets(struct build *b)
{
	const struct dir_entry_list *l = &b->raw->subnets;
	struct draft *f = b->f;
	struct strmap *seen = strmap_new(0);

	f->subnets = xcalloc(l->n, sizeof(*f->subnets));
	for (size_t i = 0; i < l->n; i++)
		read_subnet(b, &l->v[i], seen);
	strmap_free(seen);
	qsort(f->subnets, f->n_subnets, sizeof(*f->subnets), by_subnet);
}

/* The subnet with a site holding ADDR, with the longest prefix; -1 when none does. */
static int
subnet_of(const struct draft *f, int family, const uint8_t *addr)
{
	int best = -1;

	for (size_t i = 0; i < f->n_subnets; i++) {
		const struct hier_subnet *s = &f->subnets[i];
		uint8_t a[16];

		if (s->family != family || s->site < 0 ||
		    (best >= 0 && s->prefix <= f->subnets[best].prefix))
			continue;
		memcpy(a, addr, sizeof(a));
		mask(a, address_len(family), s->prefix);
		if (memcmp(a, s->addr, address_len(family)) == 0)
			best = (int)i;
	}
	return best;
}

/* ---- step 6: pings ----------------------------------------------------- */

/* Step 6: each answered LDAP ping to the DC of its host name. */
static void
attach_pings(struct build *b)
{
	struct draft *f = b->f;

	for (size_t i = 0; i < b->raw->n_pings; i++) {
		const struct dir_ping *p = &b->raw->pings[i];
		const char *host;
		int n;

		if (!p->answered)
			continue;
		host = p->host != NULL ? keep_dns_name(b, p->host) : NULL;
		if (host == NULL || (n = dc_by_host(f, host)) < 0) {
			problem(b, "an LDAP ping answer from %s, which is no DC in the directory",
			        ESC(p->host));
			continue;
		}
		if (!f->dcs[n].pub.ping_answered) {
			f->dcs[n].pub.ping_answered = 1;
			f->dcs[n].pub.ping_flags = p->flags;
		}
	}
}

/* ---- step 7: this machine ---------------------------------------------- */

/* The domain whose naming context holds DN (the deepest one), or -1. */
static int
domain_holding(const struct draft *f, const char *dn)
{
	for (const char *p = dn; p != NULL; p = dir_dn_parent(p)) {
		int d = domain_by_dn(f, p);

		if (d >= 0)
			return d;
	}
	return -1;
}

/* The sAMAccountName we go by: the identity's account, else HOST$; NULL when unknown. */
static char *
wanted_account(const struct dir_identity *id)
{
	char *account;

	if (id == NULL || (id->account == NULL && id->host == NULL))
		return NULL;
	if (id->account != NULL)
		return xstrdup(id->account);
	account = xasprintf("%s$", id->host);
	for (char *p = account; *p != '\0'; p++)
		*p = *p >= 'a' && *p <= 'z' ? (char)(*p - 'a' + 'A') : *p;
	return account;
}

/*
 * Our account among raw->self: sAMAccountName ours, in a known domain, and
 * in the identity's domain when that holds any. None, or several, is no
 * account (and a problem when a domain was expected or entries were read).
 * Returns its index, its domain in *RET_DOMAIN.
 */
static int
own_account(struct build *b, const char **dns, int *ret_domain)
{
	const struct dir_entry_list *l = &b->raw->self;
	const struct dir_identity *id = b->id;
	const char *domain = id != NULL && id->domain != NULL ? keep_dns_name(b, id->domain) : NULL;
	int prefer = domain != NULL ? domain_by_name(b->f, domain) : -1;
	char *want = wanted_account(id);
	int found = -1, n_found = 0, found_preferred = -1, n_preferred = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *sam = text(b, &l->v[i], "sAMAccountName", 1);
		int d = dns[i] != NULL ? domain_holding(b->f, dns[i]) : -1;

		if (d < 0 || sam == NULL || (want != NULL && strcasecmp(sam, want) != 0))
			continue;
		if (d == prefer) {
			found_preferred = (int)i;
			n_preferred++;
		}
		found = (int)i;
		n_found++;
	}
	if (n_preferred > 0) {
		found = found_preferred;
		n_found = n_preferred;
	}
	if (n_found > 1)
		problem(b, "%d computer accounts are named %s: which is ours is unknown", n_found,
		        ESC(want));
	else if (n_found == 0 && (l->n > 0 || domain != NULL))
		problem(b, "our account %s was not found in any known domain", ESC(want));
	free(want);
	if (n_found != 1)
		return -1;
	*ret_domain = domain_holding(b->f, dns[found]);
	if (domain != NULL && *ret_domain != prefer)
		problem(b, "our account %s is in domain %s, not in %s as configured",
		        ESC(where(&l->v[found])), ESC(b->f->domains[*ret_domain].pub.name),
		        ESC(domain));
	return found;
}

/*
 * Our role as our account's userAccountControl says. An RODC's account
 * has WORKSTATION_TRUST_ACCOUNT too, so PARTIAL_SECRETS_ACCOUNT is looked
 * at first.
 */
static enum hier_role
account_role(struct build *b, const struct dir_entry *e)
{
	uint32_t uac;

	if (number(b, e, "userAccountControl", 1, &uac) <= 0)
		return HIER_ROLE_STANDALONE;
	if (uac & UF_PARTIAL_SECRETS_ACCOUNT)
		return HIER_ROLE_RODC;
	if (uac & UF_SERVER_TRUST_ACCOUNT)
		return HIER_ROLE_DC;
	if (uac & UF_WORKSTATION_TRUST_ACCOUNT)
		return HIER_ROLE_MEMBER;
	problem(b, "our account %s: userAccountControl 0x%x is no computer's", ESC(where(e)),
	        (unsigned)uac);
	return HIER_ROLE_STANDALONE;
}

/*
 * As a DC, our own entry among the DCs: the one whose serverReference is
 * our account E (normal DN ACCOUNT), else the one with our host name. It
 * must agree with the account on domain (else it is not taken) and on
 * being an RODC (else the account's word stands); holding the PDC role
 * makes us PDC.
 */
static void
find_own_dc(struct build *b, const struct dir_entry *e, const char *account)
{
	struct draft *f = b->f;
	struct hier_self *s = &f->self;
	int i = dc_by_account(f, account);
	const struct hier_dc *dc;

	if (i < 0 && s->fqdn != NULL)
		i = dc_by_host(f, s->fqdn);
	if (i < 0) {
		problem(b, "our account %s is a DC's, but no DC's server object refers to it",
		        ESC(where(e)));
		return;
	}
	dc = &f->dcs[i].pub;
	if (dc->domain != s->domain) {
		problem(b, "our DC entry %s is not in our account's domain", ESC(dc->host));
		return;
	}
	s->dc = i;
	if (dc->rodc != (s->role == HIER_ROLE_RODC))
		problem(b, "our account says %s, our NTDS Settings %s", hier_role_name(s->role),
		        dc->rodc ? "rodc" : "dc");
	else if (dc->pdc)
		s->role =
		    s->domain == hier_forest_root(b->out) ? HIER_ROLE_ROOT_PDC : HIER_ROLE_PDC;
}

/* The site of the first ping whose ClientSiteName names one, or -1. */
static int
site_from_pings(const struct build *b)
{
	for (size_t i = 0; i < b->raw->n_pings; i++) {
		const struct dir_ping *p = &b->raw->pings[i];
		int site;

		if (p->answered && p->client_site != NULL &&
		    (site = site_by_name(b->f, p->client_site)) >= 0)
			return site;
	}
	return -1;
}

/* The subnet holding raw->local_address, or -1. */
static int
own_subnet(struct build *b)
{
	const char *local = b->raw->local_address;
	uint8_t addr[16];
	int family;

	if (local == NULL)
		return -1;
	if (!parse_address(local, &family, addr)) {
		problem(b, "our local address %s is no IP address", ESC(local));
		return -1;
	}
	return subnet_of(b->f, family, addr);
}

/* Our site, by the rules in forest.h (struct hier_self). */
static void
place_self(struct build *b)
{
	struct draft *f = b->f;
	struct hier_self *s = &f->self;
	const char *configured = b->id != NULL ? b->id->site : NULL;
	int i;

	if (configured != NULL) {
		if ((i = site_by_name(f, configured)) >= 0) {
			s->site = i;
			s->site_source = "config";
			return;
		}
		problem(b, "the configured site %s does not exist", ESC(configured));
	}
	if (s->dc >= 0 && f->dcs[s->dc].pub.site >= 0) {
		s->site = f->dcs[s->dc].pub.site;
		s->site_source = "server object";
		return;
	}
	if (!hier_role_is_dc(s->role) && (i = own_subnet(b)) >= 0) {
		s->site = f->subnets[i].site;
		s->site_source =
		    hier_forest_keep(b->out, xasprintf("subnet %s", f->subnets[i].text));
		return;
	}
	if ((i = site_from_pings(b)) >= 0) {
		s->site = i;
		s->site_source = "ping";
	}
}

/* Our short host name: the identity's, else our account's name without its '$'. */
static const char *
own_name(struct build *b, const struct dir_entry *account)
{
	const char *sam = account != NULL ? text(b, account, "sAMAccountName", 0) : NULL;
	char *name;
	size_t len;

	if (b->id != NULL && b->id->host != NULL)
		return hier_forest_keep(b->out, xstrdup(b->id->host));
	if (sam == NULL)
		return NULL;
	len = strlen(sam);
	name = xstrndup(sam, len > 0 && sam[len - 1] == '$' ? len - 1 : len);
	for (char *p = name; *p != '\0'; p++)
		*p = ascii_lower(*p);
	return hier_forest_keep(b->out, name);
}

/* Step 7: this machine, from its own account. */
static void
find_self(struct build *b)
{
	struct hier_self *s = &b->f->self;
	const char **dns = entry_dns(b, &b->raw->self);
	const struct dir_entry *account = NULL;
	int i = own_account(b, dns, &s->domain);

	if (i >= 0) {
		account = &b->raw->self.v[i];
		s->fqdn = dns_attr(b, account, "dNSHostName", 0);
		s->role = account_role(b, account);
		if (hier_role_is_dc(s->role))
			find_own_dc(b, account, dns[i]);
	}
	s->name = own_name(b, account);
	place_self(b);
	free(dns);
}

/* ---- the build --------------------------------------------------------- */

/* The entries, in their final order, into the picture. */
static void
publish(const struct draft *f, struct hier_forest *out)
{
	for (size_t i = 0; i < f->n_domains; i++)
		hier_forest_add_domain(out, &f->domains[i].pub);
	for (size_t i = 0; i < f->n_dcs; i++)
		hier_forest_add_dc(out, &f->dcs[i].pub);
	for (size_t i = 0; i < f->n_sites; i++)
		hier_forest_add_site(out, &f->sites[i]);
	for (size_t i = 0; i < f->n_subnets; i++)
		hier_forest_add_subnet(out, &f->subnets[i]);
	hier_forest_set_self(out, &f->self);
}

struct hier_forest *
dir_forest_build(const struct dir_raw *raw, const struct dir_identity *id)
{
	struct draft f = {.self = {.domain = -1,
	                           .site = -1,
	                           .site_source = "unknown",
	                           .role = HIER_ROLE_STANDALONE,
	                           .dc = -1}};
	struct build b = {
	    .raw = raw, .id = id, .f = &f, .out = hier_forest_new(raw->read_from, raw->read_at)};

	for (size_t i = 0; i < raw->n_errors; i++)
		problem(&b, "%s", ESC(raw->errors[i]));
	read_domains(&b);
	read_sites(&b);
	read_dcs(&b);
	find_pdcs(&b);
	read_subnets(&b);
	attach_pings(&b);
	find_self(&b);
	publish(&f, b.out);
	free(b.ntds);
	strmap_free(b.ntds_dn);
	strmap_free(b.ntds_parent);
	draft_clear(&f);
	return b.out;
}

/* ---- PDC owners, for the cheap check ---------------------------------------------- */

struct pdc_owner {
	char *nc;    /* domain NC, normalised */
	char *owner; /* fSMORoleOwner, normalised, or "" */
};

struct dir_pdc_owners {
	struct pdc_owner *v;
	size_t n;
};

struct dir_pdc_owners *
dir_pdc_owners_read(const struct dir_raw *raw)
{
	struct dir_pdc_owners *o = xcalloc(1, sizeof(*o));

	o->v = xcalloc(raw->nc_heads.n + 1, sizeof(*o->v));
	for (size_t i = 0; i < raw->nc_heads.n; i++) {
		const struct dir_entry *e = &raw->nc_heads.v[i];
		const struct dir_value *v = dir_entry_value(e, "fSMORoleOwner");
		char *nc = e->dn != NULL ? dir_dn_normalise(e->dn) : NULL;
		char *owner = v != NULL ? dir_dn_normalise(v->data) : NULL;

		if (nc == NULL) {
			free(owner);
			continue;
		}
		o->v[o->n++] =
		    (struct pdc_owner){.nc = nc, .owner = owner != NULL ? owner : xstrdup("")};
	}
	return o;
}

void
dir_pdc_owners_free(struct dir_pdc_owners *o)
{
	if (o == NULL)
		return;
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].nc);
		free(o->v[i].owner);
	}
	free(o->v);
	free(o);
}

static const char *
owner_of(const struct dir_pdc_owners *o, const char *nc)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->v[i].nc, nc) == 0)
			return o->v[i].owner;
	return NULL;
}

int
dir_pdc_owners_moved(const struct dir_pdc_owners *before, const struct dir_pdc_owners *now,
                     const char **ret_nc, const char **ret_was, const char **ret_is)
{
	for (size_t i = 0; i < now->n; i++) {
		const char *was = owner_of(before, now->v[i].nc);

		if (was != NULL && strcmp(was, now->v[i].owner) != 0) {
			*ret_nc = now->v[i].nc;
			*ret_was = was;
			*ret_is = now->v[i].owner;
			return 1;
		}
	}
	return 0;
}

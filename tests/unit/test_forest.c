/*
 * test_forest.c - reading the forest: the test world's domains, DCs, PDCs,
 * sites and roles for each of its machines; every kind of broken directory;
 * DN normalisation; subnet matching; determinism.
 *
 * The raw reads are built by hand, as discovery would return them for the
 * forest of tests/world (README.md there): forest.test and its child
 * child.forest.test, sites HQ and Branch, DCs rootdc1 (root PDC), rootdc2,
 * rodc1, childdc1 (child PDC), childdc2, members member1, member2, childm1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "../../common/util.h"
#include "../../common/xmalloc.h"
#include "../../ldap/dn.h"
#include "../../ldap/forest.h"
#include "../support/forest_text.h"

#define ROOT "DC=forest,DC=test"
#define CHILD "DC=child,DC=forest,DC=test"
#define CONFIG "CN=Configuration," ROOT
#define PARTITIONS "CN=Partitions," CONFIG
#define SITES "CN=Sites," CONFIG
#define ROOT_XREF "CN=FOREST," PARTITIONS
#define CHILD_XREF "CN=CHILD," PARTITIONS

/* The machines of the test world (tests/world/forest.py, small_forest). */
static const struct machine {
	const char *name;
	int child; /* in child.forest.test, else forest.test */
	const char *role;
	const char *site;
	const char *ip;
	int gc;
} machines[] = {
    {"rootdc1", 0, "pdc", "HQ", "10.1.0.11", 1},
    {"rootdc2", 0, "dc", "HQ", "10.1.0.12", 0},
    {"rodc1", 0, "rodc", "Branch", "10.2.0.11", 1},
    {"childdc1", 1, "pdc", "Branch", "10.2.0.12", 1},
    {"childdc2", 1, "dc", "Branch", "10.2.0.13", 0},
    {"member1", 0, "member", "HQ", "10.1.1.21", 0},
    {"member2", 0, "member", "Branch", "10.2.1.21", 0},
    {"childm1", 1, "member", "HQ", "10.1.1.22", 0},
};

/* ---- building raw reads ------------------------------------------------ */

/* printf into one of a ring of buffers: enough for the nested DNs below. */
static const char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static const char *
fmt(const char *f, ...)
{
	static char ring[32][1024];
	static size_t slot;
	char *s = ring[slot++ % ARRAY_LEN(ring)];
	va_list ap;

	va_start(ap, f);
	vsnprintf(s, sizeof(ring[0]), f, ap);
	va_end(ap);
	return s;
}

static const char *
upper(const char *s)
{
	const char *u = fmt("%s", s);

	for (char *p = (char *)u; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return u;
}

static void
put(struct dir_entry *e, const char *name, const char *value)
{
	dir_entry_add_value(e, name, value, strlen(value));
}

/* Append an entry DN to L with the "attr", "value" pairs that follow, up to a NULL. */
static void
add(struct dir_entry_list *l, const char *dn, ...)
{
	struct dir_entry *e;
	const char *name;
	va_list ap;

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	e = &l->v[l->n++];
	*e = (struct dir_entry){.dn = xstrdup(dn)};
	va_start(ap, dn);
	while ((name = va_arg(ap, const char *)) != NULL)
		put(e, name, va_arg(ap, const char *));
	va_end(ap);
}

/* The entry of L named DN. */
static struct dir_entry *
entry(struct dir_entry_list *l, const char *dn)
{
	for (size_t i = 0; i < l->n; i++)
		if (dir_dn_equal(l->v[i].dn, dn))
			return &l->v[i];
	fail_msg("no entry %s", dn);
	return NULL;
}

/* Remove attribute NAME from E. */
static void
unset(struct dir_entry *e, const char *name)
{
	for (size_t i = 0; i < e->n_attrs; i++) {
		if (strcasecmp(e->attrs[i].name, name) != 0)
			continue;
		for (size_t j = 0; j < e->attrs[i].n_vals; j++)
			free(e->attrs[i].vals[j].data);
		free(e->attrs[i].vals);
		free(e->attrs[i].name);
		e->attrs[i] = e->attrs[--e->n_attrs];
		return;
	}
}

/* Give attribute NAME of E the one value VALUE. */
static void
set(struct dir_entry *e, const char *name, const char *value)
{
	unset(e, name);
	put(e, name, value);
}

/* Give the entry of L named DN the name TO. */
static void
rename_entry(struct dir_entry_list *l, const char *dn, const char *to)
{
	struct dir_entry *e = entry(l, dn);

	free(e->dn);
	e->dn = xstrdup(to);
}

/* Remove the entry named DN from L. */
static void
drop(struct dir_entry_list *l, const char *dn)
{
	struct dir_entry *e = entry(l, dn);

	dir_entry_clear(e);
	*e = l->v[--l->n];
}

static const struct machine *
machine(const char *name)
{
	for (size_t i = 0; i < ARRAY_LEN(machines); i++)
		if (strcmp(machines[i].name, name) == 0)
			return &machines[i];
	fail_msg("no machine %s", name);
	return NULL;
}

static int
is_dc(const struct machine *m)
{
	return strcmp(m->role, "member") != 0;
}

static const char *
domain_dn(const struct machine *m)
{
	return m->child ? CHILD : ROOT;
}

static const char *
domain_name(const struct machine *m)
{
	return m->child ? "child.forest.test" : "forest.test";
}

static const char *
server_dn(const struct machine *m)
{
	return fmt("CN=%s,CN=Servers,CN=%s,%s", upper(m->name), m->site, SITES);
}

static const char *
ntds_dn(const struct machine *m)
{
	return fmt("CN=NTDS Settings,%s", server_dn(m));
}

static const char *
computer_dn(const struct machine *m)
{
	return fmt("CN=%s,%s,%s", upper(m->name),
	           is_dc(m) ? "OU=Domain Controllers" : "CN=Computers", domain_dn(m));
}

static const char *
fqdn(const struct machine *m)
{
	return fmt("%s.%s", m->name, domain_name(m));
}

static void
add_partitions(struct dir_raw *raw)
{
	add(&raw->crossrefs, ROOT_XREF, "objectClass", "crossRef", "nCName", ROOT, "dnsRoot",
	    "forest.test", "nETBIOSName", "FOREST", "systemFlags", "3", NULL);
	add(&raw->crossrefs, CHILD_XREF, "objectClass", "crossRef", "nCName", CHILD, "dnsRoot",
	    "child.forest.test", "nETBIOSName", "CHILD", "systemFlags", "3", "trustParent",
	    ROOT_XREF, NULL);
	/* Configuration, schema and the DNS application partitions: crossRefs, not domains. */
	add(&raw->crossrefs, "CN=Enterprise Configuration," PARTITIONS, "nCName", CONFIG, "dnsRoot",
	    "forest.test", "systemFlags", "1", NULL);
	add(&raw->crossrefs, "CN=Enterprise Schema," PARTITIONS, "nCName", "CN=Schema," CONFIG,
	    "dnsRoot", "forest.test", "systemFlags", "1", NULL);
	add(&raw->crossrefs, "CN=6d2a1f0e-1b1c-5f3a-9b43-0d4f6e2f7a11," PARTITIONS, "nCName",
	    "DC=DomainDnsZones," ROOT, "dnsRoot", "DomainDnsZones.forest.test", "systemFlags", "5",
	    NULL);
	add(&raw->crossrefs, "CN=0c3c1d4e-8d5e-5a7b-8e2f-1a2b3c4d5e6f," PARTITIONS, "nCName",
	    "DC=ForestDnsZones," ROOT, "dnsRoot", "ForestDnsZones.forest.test", "systemFlags", "5",
	    NULL);
	add(&raw->nc_heads, ROOT, "objectClass", "domainDNS", "fSMORoleOwner",
	    ntds_dn(machine("rootdc1")), NULL);
	add(&raw->nc_heads, CHILD, "objectClass", "domainDNS", "fSMORoleOwner",
	    ntds_dn(machine("childdc1")), NULL);
}

static void
add_dc(struct dir_raw *raw, const struct machine *m)
{
	int rodc = strcmp(m->role, "rodc") == 0;
	struct dir_entry *ntds;

	add(&raw->servers, server_dn(m), "objectClass", "server", "dNSHostName", fqdn(m),
	    "serverReference", computer_dn(m), NULL);
	add(&raw->ntds, ntds_dn(m), "objectClass", "nTDSDSA", "options",
	    rodc    ? "37"
	    : m->gc ? "1"
	            : "0",
	    "msDS-HasDomainNCs", domain_dn(m), "msDS-isRODC", rodc ? "TRUE" : "FALSE", NULL);
	ntds = &raw->ntds.v[raw->ntds.n - 1];
	if (rodc) {
		put(ntds, "objectClass", "nTDSDSARO");
		put(ntds, "msDS-hasFullReplicaNCs", domain_dn(m));
		put(ntds, "msDS-hasFullReplicaNCs", CONFIG);
	} else {
		put(ntds, "hasMasterNCs", domain_dn(m));
		put(ntds, "hasMasterNCs", CONFIG);
		put(ntds, "hasMasterNCs", "CN=Schema," CONFIG);
	}
}

static void
add_sites(struct dir_raw *raw)
{
	add(&raw->sites, "CN=HQ," SITES, "objectClass", "site", NULL);
	add(&raw->sites, "CN=Branch," SITES, "objectClass", "site", NULL);
	add(&raw->subnets, "CN=10.1.0.0/16,CN=Subnets," SITES, "siteObject", "CN=HQ," SITES, NULL);
	add(&raw->subnets, "CN=10.2.0.0/16,CN=Subnets," SITES, "siteObject", "CN=Branch," SITES,
	    NULL);
	add(&raw->subnets, "CN=127.0.0.0/8,CN=Subnets," SITES, "siteObject", "CN=HQ," SITES, NULL);
}

/* Our computer object, as the search by sAMAccountName finds it. */
static void
add_self(struct dir_raw *raw, const struct machine *m)
{
	const char *uac = strcmp(m->role, "member") == 0 ? "4096"
	                  : strcmp(m->role, "rodc") == 0 ? "83890176"
	                                                 : "532480";

	add(&raw->self, computer_dn(m), "objectClass", "computer", "sAMAccountName",
	    fmt("%s$", upper(m->name)), "userAccountControl", uac, "dNSHostName", fqdn(m), NULL);
	raw->local_address = xstrdup(m->ip);
}

/* What discovery reads for SELF (a machine's name, or NULL for none). */
static struct dir_raw *
world(const char *self)
{
	const struct machine *pdc = machine("rootdc1");
	struct dir_raw *raw = xcalloc(1, sizeof(*raw));

	raw->read_from = xstrdup("ldap://localhost:3890");
	raw->read_at = 1700000000.5;
	raw->rootdse.dn = xstrdup("");
	put(&raw->rootdse, "defaultNamingContext", ROOT);
	put(&raw->rootdse, "rootDomainNamingContext", ROOT);
	put(&raw->rootdse, "configurationNamingContext", CONFIG);
	put(&raw->rootdse, "dsServiceName", ntds_dn(pdc));
	put(&raw->rootdse, "serverName", server_dn(pdc));
	add_partitions(raw);
	add_sites(raw);
	for (size_t i = 0; i < ARRAY_LEN(machines); i++)
		if (is_dc(&machines[i]))
			add_dc(raw, &machines[i]);
	if (self != NULL)
		add_self(raw, machine(self));
	return raw;
}

/* Who SELF believes it is before reading anything. */
static struct dir_identity
identity(const char *self)
{
	const struct machine *m = machine(self);

	return (struct dir_identity){
	    .host = xstrdup(m->name),
	    .account = xstrdup(fmt("%s$", upper(m->name))),
	    .domain = xstrdup(domain_name(m)),
	    .realm = xstrdup(upper(domain_name(m))),
	};
}

/* ---- reading the picture ----------------------------------------------- */

static int
printable(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < 0x20 || *s > 0x7e)
			return 0;
	return 1;
}

static void
in_range(int i, size_t n)
{
	assert_true(i == -1 || (i >= 0 && (size_t)i < n));
}

/* What holds of every picture: indices in range, names there, problems printable. */
static void
check_invariants(const struct hier_forest *f)
{
	const struct hier_self *self = hier_forest_self(f);

	for (size_t i = 0; i < hier_forest_n_domains(f); i++) {
		const struct hier_domain *d = hier_forest_domain(f, i);

		assert_non_null(d->name);
		assert_non_null(d->dn);
		in_range(d->parent, hier_forest_n_domains(f));
		in_range(d->pdc, hier_forest_n_dcs(f));
		assert_int_not_equal(d->parent, (int)i);
		if (d->pdc >= 0)
			assert_true(hier_forest_dc(f, d->pdc)->pdc);
	}
	for (size_t i = 0; i < hier_forest_n_dcs(f); i++) {
		const struct hier_dc *dc = hier_forest_dc(f, i);

		assert_non_null(dc->host);
		assert_non_null(dc->name);
		in_range(dc->domain, hier_forest_n_domains(f));
		in_range(dc->site, hier_forest_n_sites(f));
		if (dc->pdc)
			assert_int_equal(hier_forest_domain(f, dc->domain)->pdc, (int)i);
	}
	in_range(self->domain, hier_forest_n_domains(f));
	in_range(self->site, hier_forest_n_sites(f));
	in_range(self->dc, hier_forest_n_dcs(f));
	assert_non_null(self->site_source);
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		assert_true(printable(hier_forest_problem(f, i)));
	assert_null(hier_forest_domain(f, hier_forest_n_domains(f)));
	assert_null(hier_forest_dc(f, hier_forest_n_dcs(f)));
	assert_null(hier_forest_site(f, hier_forest_n_sites(f)));
	assert_null(hier_forest_subnet(f, hier_forest_n_subnets(f)));
	assert_null(hier_forest_problem(f, hier_forest_n_problems(f)));
}

static struct hier_forest *
build(const struct dir_raw *raw, const struct dir_identity *id)
{
	struct hier_forest *f = dir_forest_build(raw, id);

	check_invariants(f);
	return f;
}

static int
domain(const struct hier_forest *f, const char *name)
{
	for (size_t i = 0; i < hier_forest_n_domains(f); i++)
		if (strcmp(hier_forest_domain(f, i)->name, name) == 0)
			return (int)i;
	return -1;
}

static int
dc(const struct hier_forest *f, const char *host)
{
	for (size_t i = 0; i < hier_forest_n_dcs(f); i++)
		if (strcmp(hier_forest_dc(f, i)->host, host) == 0)
			return (int)i;
	return -1;
}

static int
site(const struct hier_forest *f, const char *name)
{
	for (size_t i = 0; i < hier_forest_n_sites(f); i++)
		if (strcmp(hier_forest_site(f, i)->name, name) == 0)
			return (int)i;
	return -1;
}

static const char *
pdc_of(const struct hier_forest *f, const char *name)
{
	int d = domain(f, name), p;

	assert_true(d >= 0);
	p = hier_forest_domain(f, d)->pdc;
	return p >= 0 ? hier_forest_dc(f, p)->host : NULL;
}

static void
print_problems(const struct hier_forest *f)
{
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		print_message("problem: %s\n", hier_forest_problem(f, i));
}

static void
assert_no_problems(const struct hier_forest *f)
{
	print_problems(f);
	assert_int_equal(hier_forest_n_problems(f), 0);
}

/* Whether some problem says WHAT. */
static int
said(const struct hier_forest *f, const char *what)
{
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		if (strstr(hier_forest_problem(f, i), what) != NULL)
			return 1;
	return 0;
}

/* A macro, so that a failure names the line. */
#define assert_said(f, what)                                                                       \
	do {                                                                                       \
		if (!said((f), (what))) {                                                          \
			print_problems(f);                                                         \
			fail_msg("no problem says: %s", (what));                                   \
		}                                                                                  \
	} while (0)

/* The world as SELF reads it, with its identity. */
struct fixture {
	struct dir_raw *raw;
	struct dir_identity id;
	struct hier_forest *f;
};

static void
setup(struct fixture *x, const char *self)
{
	x->raw = world(self);
	x->id = self != NULL ? identity(self) : (struct dir_identity){0};
	x->f = NULL;
}

static const struct hier_forest *
rebuild(struct fixture *x)
{
	hier_forest_free(x->f);
	x->f = build(x->raw, &x->id);
	return x->f;
}

static void
teardown(struct fixture *x)
{
	hier_forest_free(x->f);
	dir_raw_free(x->raw);
	dir_identity_clear(&x->id);
}

/* ---- the test world ---------------------------------------------------- */

static void
test_world_domains(void **state)
{
	struct fixture x;
	const struct hier_forest *f;
	const struct hier_domain *root, *child;

	(void)state;
	setup(&x, "member1");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_n_domains(f), 2);
	/* Sorted by name: the child comes first. */
	child = hier_forest_domain(f, 0);
	root = hier_forest_domain(f, 1);
	assert_string_equal(child->name, "child.forest.test");
	assert_string_equal(root->name, "forest.test");
	assert_int_equal(hier_forest_root(f), 1);
	assert_true(root->forest_root && root->tree_root);
	assert_int_equal(root->parent, -1);
	assert_int_equal(root->root_trust, -1);
	assert_false(child->forest_root || child->tree_root);
	assert_int_equal(child->parent, 1);
	assert_string_equal(root->dn, "dc=forest,dc=test");
	assert_string_equal(child->netbios, "CHILD");
	assert_string_equal(pdc_of(f, "forest.test"), "rootdc1.forest.test");
	assert_string_equal(pdc_of(f, "child.forest.test"), "childdc1.child.forest.test");
	assert_string_equal(hier_forest_read_from(f), "ldap://localhost:3890");
	assert_true(hier_forest_read_at(f) == 1700000000.5);
	teardown(&x);
}

static void
test_world_dcs(void **state)
{
	static const struct {
		const char *host, *name, *domain, *site;
		int pdc, rodc, gc;
	} want[] = {
	    {"childdc1.child.forest.test", "CHILDDC1", "child.forest.test", "Branch", 1, 0, 1},
	    {"childdc2.child.forest.test", "CHILDDC2", "child.forest.test", "Branch", 0, 0, 0},
	    {"rodc1.forest.test", "RODC1", "forest.test", "Branch", 0, 1, 1},
	    {"rootdc1.forest.test", "ROOTDC1", "forest.test", "HQ", 1, 0, 1},
	    {"rootdc2.forest.test", "ROOTDC2", "forest.test", "HQ", 0, 0, 0},
	};
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	f = rebuild(&x);
	assert_int_equal(hier_forest_n_dcs(f), ARRAY_LEN(want));
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const struct hier_dc *d = hier_forest_dc(f, i);

		assert_string_equal(d->host, want[i].host);
		assert_string_equal(d->name, want[i].name);
		assert_int_equal(d->domain, domain(f, want[i].domain));
		assert_int_equal(d->site, site(f, want[i].site));
		assert_int_equal(d->pdc, want[i].pdc);
		assert_int_equal(d->rodc, want[i].rodc);
		assert_int_equal(d->gc, want[i].gc);
		assert_false(d->ping_answered);
	}
	assert_int_equal(hier_forest_source_dc(f), dc(f, "rootdc1.forest.test"));
	assert_int_equal(hier_forest_n_sites(f), 2);
	assert_string_equal(hier_forest_site(f, 0)->name, "Branch");
	assert_int_equal(hier_forest_n_subnets(f), 3);
	teardown(&x);
}

/* Every machine of the world: role, domain, site and where the site came from. */
static void
test_world_roles(void **state)
{
	static const struct {
		const char *self;
		enum hier_role role;
		const char *site, *site_source;
	} want[] = {
	    {"rootdc1", HIER_ROLE_ROOT_PDC, "HQ", "server object"},
	    {"rootdc2", HIER_ROLE_DC, "HQ", "server object"},
	    {"rodc1", HIER_ROLE_RODC, "Branch", "server object"},
	    {"childdc1", HIER_ROLE_PDC, "Branch", "server object"},
	    {"childdc2", HIER_ROLE_DC, "Branch", "server object"},
	    {"member1", HIER_ROLE_MEMBER, "HQ", "subnet 10.1.0.0/16"},
	    {"member2", HIER_ROLE_MEMBER, "Branch", "subnet 10.2.0.0/16"},
	    {"childm1", HIER_ROLE_MEMBER, "HQ", "subnet 10.1.0.0/16"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		const struct machine *m = machine(want[i].self);
		const struct hier_self *self;
		struct fixture x;
		const struct hier_forest *f;

		setup(&x, want[i].self);
		f = rebuild(&x);
		assert_no_problems(f);
		self = hier_forest_self(f);
		assert_string_equal(hier_role_name(self->role), hier_role_name(want[i].role));
		assert_int_equal(self->domain, domain(f, domain_name(m)));
		assert_int_equal(self->site, site(f, want[i].site));
		assert_string_equal(self->site_source, want[i].site_source);
		assert_string_equal(self->name, m->name);
		assert_string_equal(self->fqdn, fqdn(m));
		assert_int_equal(self->dc, is_dc(m) ? dc(f, fqdn(m)) : -1);
		teardown(&x);
	}
}

/* slapd hands back DNs in lower case, and anyone may space them: same picture. */
static void
test_dn_spelling(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc1");
	for (size_t i = 0; i < x.raw->servers.n; i++) {
		char *dn = x.raw->servers.v[i].dn;

		for (char *p = dn; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	}
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner",
	    "cn = NTDS Settings , CN=ROOTDC1, cn=servers,CN=hq,cn=sites,cn=configuration,"
	    "dc=FOREST,dc=test");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_ROOT_PDC);
	assert_string_equal(pdc_of(f, "forest.test"), "rootdc1.forest.test");
	/* The RDN value comes out as spelled in the DN. */
	assert_string_equal(hier_forest_dc(f, dc(f, "rootdc1.forest.test"))->name, "rootdc1");
	teardown(&x);
}

static void
test_standalone(void **state)
{
	struct dir_raw *raw = xcalloc(1, sizeof(*raw));
	struct dir_identity id = {.host = xstrdup("lonely")};
	struct hier_forest *f;

	(void)state;
	/* Nothing read and no domain claimed: standalone, and nothing to complain of. */
	f = build(raw, NULL);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_STANDALONE);
	assert_null(hier_forest_self(f)->name);
	assert_string_equal(hier_forest_self(f)->site_source, "unknown");
	assert_int_equal(hier_forest_root(f), -1);
	assert_null(hier_forest_read_from(f));
	hier_forest_free(f);
	f = build(raw, &id);
	assert_no_problems(f);
	assert_string_equal(hier_forest_self(f)->name, "lonely");
	hier_forest_free(f);
	/* A domain claimed, but no account found in it. */
	id.domain = xstrdup("forest.test");
	f = build(raw, &id);
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_STANDALONE);
	assert_said(f, "our account LONELY$ was not found");
	hier_forest_free(f);
	dir_identity_clear(&id);
	dir_raw_free(raw);
}

static void
test_configured_site(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	x.id.site = xstrdup("branch");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->site, site(f, "Branch"));
	assert_string_equal(hier_forest_self(f)->site_source, "config");
	/* A configured site that does not exist is said, and the next rule applies. */
	free(x.id.site);
	x.id.site = xstrdup("Atlantis");
	f = rebuild(&x);
	assert_said(f, "the configured site Atlantis does not exist");
	assert_int_equal(hier_forest_self(f)->site, site(f, "HQ"));
	assert_string_equal(hier_forest_self(f)->site_source, "subnet 10.1.0.0/16");
	teardown(&x);
}

static void
add_ping(struct dir_raw *raw, const char *host, int answered, uint32_t flags,
         const char *client_site)
{
	struct dir_ping *p;

	raw->pings = xreallocarray(raw->pings, raw->n_pings + 1, sizeof(*raw->pings));
	p = &raw->pings[raw->n_pings++];
	*p = (struct dir_ping){.host = xstrdup(host), .answered = answered, .flags = flags};
	p->client_site = client_site != NULL ? xstrdup(client_site) : NULL;
}

static void
test_pings(void **state)
{
	struct fixture x;
	const struct hier_forest *f;
	const struct hier_dc *d;

	(void)state;
	setup(&x, "member1");
	free(x.raw->local_address);
	x.raw->local_address = xstrdup("192.168.7.7"); /* in no subnet */
	add_ping(x.raw, "rootdc2.forest.test", 0, 0, NULL);
	add_ping(x.raw, "ROOTDC1.forest.test.", 1, 0x3fd, "Branch");
	add_ping(x.raw, "rootdc1.forest.test", 1, 0x1, "HQ");
	f = rebuild(&x);
	assert_no_problems(f);
	d = hier_forest_dc(f, dc(f, "rootdc1.forest.test"));
	assert_true(d->ping_answered);
	assert_int_equal(d->ping_flags, 0x3fd);
	assert_false(hier_forest_dc(f, dc(f, "rootdc2.forest.test"))->ping_answered);
	assert_int_equal(hier_forest_self(f)->site, site(f, "Branch"));
	assert_string_equal(hier_forest_self(f)->site_source, "ping");
	/* An answer from a host that is no DC is said. */
	add_ping(x.raw, "intruder.example", 1, 0x3fd, "HQ");
	f = rebuild(&x);
	assert_said(f, "an LDAP ping answer from intruder.example, which is no DC");
	teardown(&x);
}

static void
test_unknown_site(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	free(x.raw->local_address);
	x.raw->local_address = NULL;
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->site, -1);
	assert_string_equal(hier_forest_self(f)->site_source, "unknown");
	x.raw->local_address = xstrdup("not-an-address");
	f = rebuild(&x);
	assert_said(f, "our local address not-an-address is no IP address");
	assert_int_equal(hier_forest_self(f)->site, -1);
	teardown(&x);
}

/* ---- broken directories ------------------------------------------------ */

static void
test_missing_fsmo(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "childdc1");
	unset(entry(&x.raw->nc_heads, CHILD), "fSMORoleOwner");
	f = rebuild(&x);
	assert_said(f, "DC=child,DC=forest,DC=test has no fSMORoleOwner");
	assert_null(pdc_of(f, "child.forest.test"));
	assert_false(hier_forest_dc(f, dc(f, "childdc1.child.forest.test"))->pdc);
	assert_string_equal(pdc_of(f, "forest.test"), "rootdc1.forest.test");
	/* Without the role, the child's PDC is a plain DC. */
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	teardown(&x);
}

static void
test_fsmo_names_nothing(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc1");
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner",
	    "CN=NTDS Settings,CN=GHOST,CN=Servers,CN=HQ," SITES);
	f = rebuild(&x);
	assert_said(f, "names nothing that exists");
	assert_null(pdc_of(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	/* Not a DN at all. */
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner", "rootdc1");
	f = rebuild(&x);
	assert_said(f, "fSMORoleOwner is not a DN: rootdc1");
	assert_null(pdc_of(f, "forest.test"));
	teardown(&x);
}

static void
test_fsmo_other_domain(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc1");
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner", ntds_dn(machine("childdc1")));
	f = rebuild(&x);
	assert_said(f,
	            "domain forest.test: fSMORoleOwner names childdc1.child.forest.test, a DC of "
	            "child.forest.test: not this domain's PDC");
	assert_null(pdc_of(f, "forest.test"));
	/* childdc1 stays the child's PDC, and rootdc1 is no PDC. */
	assert_string_equal(pdc_of(f, "child.forest.test"), "childdc1.child.forest.test");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	teardown(&x);
}

static void
test_fsmo_rodc(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rodc1");
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner", ntds_dn(machine("rodc1")));
	f = rebuild(&x);
	assert_said(f, "an RODC, which cannot be PDC");
	assert_null(pdc_of(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_RODC);
	teardown(&x);
}

/* Two more domains under forest.test; b.forest.test's trustParent gets set by the caller. */
static void
add_domains_ab(struct dir_raw *raw, const char *a_parent, const char *b_parent)
{
	add(&raw->crossrefs, "CN=A," PARTITIONS, "nCName", "DC=a," ROOT, "dnsRoot", "a.forest.test",
	    "systemFlags", "3", "trustParent", a_parent, NULL);
	add(&raw->crossrefs, "CN=B," PARTITIONS, "nCName", "DC=b," ROOT, "dnsRoot", "b.forest.test",
	    "systemFlags", "3", "trustParent", b_parent, NULL);
}

static void
test_trust_parent_cycle(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	add_domains_ab(x.raw, "CN=B," PARTITIONS, "CN=A," PARTITIONS);
	add(&x.raw->crossrefs, "CN=C," PARTITIONS, "nCName", "DC=c," ROOT, "dnsRoot",
	    "c.forest.test", "systemFlags", "3", "trustParent", "cn=c," PARTITIONS, NULL);
	/* D hangs below the cycle: it keeps its parent, whose chain now ends. */
	add(&x.raw->crossrefs, "CN=D," PARTITIONS, "nCName", "DC=d,DC=a," ROOT, "dnsRoot",
	    "d.a.forest.test", "systemFlags", "3", "trustParent", "CN=A," PARTITIONS, NULL);
	f = rebuild(&x);
	assert_said(f, "domain a.forest.test: its trustParent chain comes back to it");
	assert_said(f, "domain b.forest.test: its trustParent chain comes back to it");
	assert_said(f, "domain c.forest.test: its trustParent chain comes back to it");
	assert_false(said(f, "domain d.a.forest.test: its trustParent"));
	assert_int_equal(hier_forest_domain(f, domain(f, "a.forest.test"))->parent, -1);
	assert_int_equal(hier_forest_domain(f, domain(f, "b.forest.test"))->parent, -1);
	assert_int_equal(hier_forest_domain(f, domain(f, "c.forest.test"))->parent, -1);
	assert_int_equal(hier_forest_domain(f, domain(f, "d.a.forest.test"))->parent,
	                 domain(f, "a.forest.test"));
	/* The rest of the forest is untouched. */
	assert_int_equal(hier_forest_domain(f, domain(f, "child.forest.test"))->parent,
	                 domain(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_MEMBER);
	teardown(&x);
}

static void
test_tree_links(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	/* The forest root pointing at its own child closes a loop: the root keeps none. */
	set(entry(&x.raw->crossrefs, ROOT_XREF), "trustParent", CHILD_XREF);
	f = rebuild(&x);
	assert_said(f, "the forest root forest.test has a trustParent, child.forest.test");
	assert_int_equal(hier_forest_domain(f, domain(f, "forest.test"))->parent, -1);
	assert_int_equal(hier_forest_domain(f, domain(f, "child.forest.test"))->parent,
	                 domain(f, "forest.test"));
	/* A child without trustParent (or rootTrust) has an unknown place. */
	unset(entry(&x.raw->crossrefs, ROOT_XREF), "trustParent");
	unset(entry(&x.raw->crossrefs, CHILD_XREF), "trustParent");
	f = rebuild(&x);
	assert_said(f, "domain child.forest.test has neither trustParent nor rootTrust");
	assert_int_equal(hier_forest_domain(f, domain(f, "child.forest.test"))->parent, -1);
	assert_false(hier_forest_domain(f, domain(f, "child.forest.test"))->tree_root);
	/* A trustParent that names no domain's crossRef. */
	set(entry(&x.raw->crossrefs, CHILD_XREF), "trustParent",
	    "CN=Enterprise Schema," PARTITIONS);
	f = rebuild(&x);
	assert_said(f, "domain child.forest.test: trustParent");
	assert_said(f, "is no domain's crossRef");
	assert_int_equal(hier_forest_domain(f, domain(f, "child.forest.test"))->parent, -1);
	teardown(&x);
}

/* A second tree, other.test, with its own DC and PDC. */
static void
add_other_tree(struct dir_raw *raw, const char *link, const char *target)
{
	const char *server = "CN=OTHERDC1,CN=Servers,CN=HQ," SITES;

	add(&raw->crossrefs, "CN=OTHER," PARTITIONS, "nCName", "DC=other,DC=test", "dnsRoot",
	    "other.test", "systemFlags", "3", link, target, NULL);
	add(&raw->nc_heads, "DC=other,DC=test", "fSMORoleOwner", fmt("CN=NTDS Settings,%s", server),
	    NULL);
	add(&raw->servers, server, "dNSHostName", "otherdc1.other.test", "serverReference",
	    "CN=OTHERDC1,OU=Domain Controllers,DC=other,DC=test", NULL);
	add(&raw->ntds, fmt("CN=NTDS Settings,%s", server), "msDS-HasDomainNCs", "DC=other,DC=test",
	    NULL);
	dir_entry_list_clear(&raw->self);
	add(&raw->self, "CN=OTHERDC1,OU=Domain Controllers,DC=other,DC=test", "sAMAccountName",
	    "OTHERDC1$", "userAccountControl", "532480", "dNSHostName", "otherdc1.other.test",
	    NULL);
}

static void
test_tree_root(void **state)
{
	struct dir_raw *raw = world(NULL);
	struct dir_identity id = {.host = xstrdup("otherdc1"), .domain = xstrdup("other.test")};
	const struct hier_domain *other;
	struct hier_forest *f;

	(void)state;
	/* An alternate tree root says rootTrust, not trustParent. */
	add_other_tree(raw, "rootTrust", ROOT_XREF);
	f = build(raw, &id);
	assert_no_problems(f);
	other = hier_forest_domain(f, domain(f, "other.test"));
	assert_int_equal(other->parent, -1);
	assert_true(other->tree_root);
	assert_false(other->forest_root);
	assert_int_equal(other->root_trust, hier_forest_root(f));
	/* Its PDC is a PDC, not the root PDC. */
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_PDC);
	assert_int_equal(hier_forest_self(f)->domain, domain(f, "other.test"));
	hier_forest_free(f);
	dir_raw_free(raw);

	/* The other revision of MS-ADTS: a trustParent to the root's crossRef. */
	raw = world(NULL);
	add_other_tree(raw, "trustParent", ROOT_XREF);
	f = build(raw, &id);
	assert_no_problems(f);
	other = hier_forest_domain(f, domain(f, "other.test"));
	assert_int_equal(other->parent, hier_forest_root(f));
	assert_true(other->tree_root);
	assert_int_equal(other->root_trust, -1);
	hier_forest_free(f);
	dir_raw_free(raw);
	dir_identity_clear(&id);
}

static void
test_unread_nc(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "childm1");
	drop(&x.raw->nc_heads, CHILD);
	f = rebuild(&x);
	assert_said(f, "domain child.forest.test: its naming context dc=child,dc=forest,dc=test "
	               "was not read: its PDC is unknown");
	assert_null(pdc_of(f, "child.forest.test"));
	/* The domain and its DCs are still there; our place in it too. */
	assert_int_equal(hier_forest_dc(f, dc(f, "childdc2.child.forest.test"))->domain,
	                 domain(f, "child.forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_MEMBER);
	/* A crossRef whose nCName is no DN gives no domain at all. */
	set(entry(&x.raw->crossrefs, CHILD_XREF), "nCName", "child");
	f = rebuild(&x);
	assert_said(f, "nCName is not a DN: child");
	assert_int_equal(hier_forest_n_domains(f), 1);
	assert_said(f, "DC childdc1.child.forest.test: msDS-HasDomainNCs names no known domain");
	assert_int_equal(hier_forest_dc(f, dc(f, "childdc1.child.forest.test"))->domain, -1);
	teardown(&x);
}

static void
test_long_value(void **state)
{
	char big[5001], *long_dn;
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	setup(&x, "member1");
	set(entry(&x.raw->servers, server_dn(machine("rootdc2"))), "dNSHostName", big);
	f = rebuild(&x);
	assert_said(f, "dNSHostName rejected: 5000 octets, more than 4096");
	assert_int_equal(hier_forest_n_dcs(f), 4);
	assert_int_equal(dc(f, "rootdc2.forest.test"), -1);
	/* A DN that long is no entry. */
	long_dn = xasprintf("CN=%s,%s", big, SITES);
	rename_entry(&x.raw->sites, "CN=HQ," SITES, long_dn);
	free(long_dn);
	f = rebuild(&x);
	assert_said(f, "its DN rejected: 5");
	assert_int_equal(hier_forest_n_sites(f), 1);
	teardown(&x);
}

static void
test_not_utf8(void **state)
{
	struct fixture x;
	const struct hier_forest *f;
	struct dir_entry *e;

	(void)state;
	setup(&x, "member1");
	e = entry(&x.raw->crossrefs, ROOT_XREF);
	set(e, "nETBIOSName", "FOR\xc0\x80ST"); /* an overlong NUL */
	e = entry(&x.raw->subnets, "CN=10.2.0.0/16,CN=Subnets," SITES);
	set(e, "siteObject",
	    "CN=Br\xff"
	    "anch," SITES);
	e = entry(&x.raw->servers, server_dn(machine("rootdc2")));
	unset(e, "dNSHostName");
	dir_entry_add_value(e, "dNSHostName", "rootdc2\0.evil", 13);
	f = rebuild(&x);
	assert_said(f, "nETBIOSName rejected: not UTF-8 text: FOR\\xc0\\x80ST");
	assert_null(hier_forest_domain(f, domain(f, "forest.test"))->netbios);
	assert_said(f, "siteObject rejected: not UTF-8 text: CN=Br\\xffanch");
	assert_int_equal(hier_forest_subnet(f, 1)->site, -1);
	assert_said(f, "dNSHostName rejected: not UTF-8 text: rootdc2\\x00.evil");
	assert_int_equal(dc(f, "rootdc2.forest.test"), -1);
	/* Not text, so no ambiguity: the rest stands. */
	assert_int_equal(hier_forest_self(f)->site, site(f, "HQ"));
	teardown(&x);
}

static void
test_dc_in_no_site(void **state)
{
	const struct machine *m = machine("rootdc2");
	const char *lost = "CN=ROOTDC2,CN=Servers,CN=Atlantis," SITES;
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc2");
	rename_entry(&x.raw->servers, server_dn(m), lost);
	rename_entry(&x.raw->ntds, ntds_dn(m), fmt("CN=NTDS Settings,%s", lost));
	f = rebuild(&x);
	assert_said(f, "DC rootdc2.forest.test is in no site: its server object is "
	               "CN=ROOTDC2,CN=Servers,CN=Atlantis");
	assert_int_equal(hier_forest_dc(f, dc(f, "rootdc2.forest.test"))->site, -1);
	/* A DC is not placed by subnet: its site is its server object's. */
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	assert_int_equal(hier_forest_self(f)->site, -1);
	assert_string_equal(hier_forest_self(f)->site_source, "unknown");
	teardown(&x);
}

static void
test_duplicate_hosts(void **state)
{
	const char *stale = "CN=ROOTDC2,CN=Servers,CN=Branch," SITES;
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc2");
	add(&x.raw->servers, stale, "dNSHostName", "RootDC2.forest.test", NULL);
	add(&x.raw->ntds, fmt("CN=NTDS Settings,%s", stale), "msDS-HasDomainNCs", ROOT, NULL);
	/* A server object without NTDS Settings is no DC, so no duplicate. */
	add(&x.raw->servers, "CN=OLD,CN=Servers,CN=HQ," SITES, "dNSHostName", "rootdc1.forest.test",
	    NULL);
	f = rebuild(&x);
	assert_said(f, "have the same host name rootdc2.forest.test: both left out");
	assert_int_equal(hier_forest_n_dcs(f), 4);
	assert_int_equal(dc(f, "rootdc2.forest.test"), -1);
	assert_string_equal(pdc_of(f, "forest.test"), "rootdc1.forest.test");
	assert_said(f, "our account CN=ROOTDC2,OU=Domain Controllers,DC=forest,DC=test is a "
	               "DC's, but no DC's server object refers to it");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	assert_int_equal(hier_forest_self(f)->dc, -1);
	/* A PDC among them is not taken, and the reason is told apart from a dangling DN. */
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner", ntds_dn(machine("rootdc2")));
	f = rebuild(&x);
	assert_said(f, "is the NTDS Settings of a DC left out");
	assert_null(pdc_of(f, "forest.test"));
	teardown(&x);
}

/* Values of the wrong shape: each said, each left out, the rest standing. */
static void
test_odd_values(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	/* A domain crossRef pre-created for a domain not there yet is none. */
	add(&x.raw->crossrefs, "CN=NEW," PARTITIONS, "nCName", "DC=new," ROOT, "dnsRoot",
	    "new.forest.test", "systemFlags", "3", "Enabled", "FALSE", NULL);
	/* systemFlags is a signed 32-bit Integer: -2147483645 is 0x80000003, a domain. */
	add(&x.raw->crossrefs, "CN=NEG," PARTITIONS, "nCName", "DC=neg," ROOT, "dnsRoot",
	    "neg.forest.test", "systemFlags", "-2147483645", "trustParent", ROOT_XREF, NULL);
	add(&x.raw->crossrefs, "CN=BIG," PARTITIONS, "nCName", "DC=big," ROOT, "dnsRoot",
	    "big.forest.test", "systemFlags", "4294967296", NULL);
	add(&x.raw->crossrefs, "CN=BAD," PARTITIONS, "nCName", "DC=bad," ROOT, "dnsRoot",
	    "bad..forest.test", "systemFlags", "3", NULL);
	set(entry(&x.raw->ntds, ntds_dn(machine("rootdc2"))), "msDS-isRODC", "maybe");
	set(&x.raw->rootdse, "dsServiceName", "CN=NTDS Settings,CN=GONE,CN=Servers,CN=HQ," SITES);
	f = rebuild(&x);
	assert_int_equal(domain(f, "new.forest.test"), -1);
	assert_false(said(f, "new.forest.test"));
	assert_int_equal(hier_forest_domain(f, domain(f, "neg.forest.test"))->parent,
	                 domain(f, "forest.test"));
	assert_said(f, "systemFlags is not a 32-bit number: 4294967296");
	assert_said(f, "dnsRoot is not a DNS name: bad..forest.test");
	assert_int_equal(hier_forest_n_domains(f), 3);
	assert_said(f, "msDS-isRODC is neither TRUE nor FALSE: maybe");
	assert_false(hier_forest_dc(f, dc(f, "rootdc2.forest.test"))->rodc);
	assert_said(f, "the rootDSE's dsServiceName");
	assert_said(f, "names no DC");
	assert_int_equal(hier_forest_source_dc(f), -1);
	/* Known by its account alone: the name comes from sAMAccountName. */
	free(x.id.host);
	x.id.host = NULL;
	f = rebuild(&x);
	assert_string_equal(hier_forest_self(f)->name, "member1");
	teardown(&x);

	/* No rootDomainNamingContext and two domains that could be the root. */
	setup(&x, "member1");
	unset(&x.raw->rootdse, "rootDomainNamingContext");
	unset(entry(&x.raw->crossrefs, CHILD_XREF), "trustParent");
	f = rebuild(&x);
	assert_said(f, "the rootDSE has no rootDomainNamingContext and 2 domains could be");
	assert_int_equal(hier_forest_root(f), -1);
	teardown(&x);

	/* Our DC entry in another domain than our account: not taken as ours. */
	setup(&x, "childdc2");
	set(entry(&x.raw->ntds, ntds_dn(machine("childdc2"))), "msDS-HasDomainNCs", ROOT);
	f = rebuild(&x);
	assert_said(f, "our DC entry childdc2.child.forest.test is not in our account's domain");
	assert_int_equal(hier_forest_self(f)->dc, -1);
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_DC);
	teardown(&x);
}

static void
test_raw_errors(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	x.raw->errors = xcalloc(2, sizeof(*x.raw->errors));
	x.raw->errors[0] = xstrdup("ping to rodc1.forest.test: timed out\n");
	x.raw->errors[1] = xstrdup("subnets: \x1b[31mred\x1b[0m");
	x.raw->n_errors = 2;
	f = rebuild(&x);
	assert_int_equal(hier_forest_n_problems(f), 2);
	assert_string_equal(hier_forest_problem(f, 0), "ping to rodc1.forest.test: timed out\\x0a");
	assert_string_equal(hier_forest_problem(f, 1), "subnets: \\x1b[31mred\\x1b[0m");
	teardown(&x);
}

static void
test_own_account(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	/* Two accounts by our name in our domain: which is ours is unknown. */
	setup(&x, "member1");
	add(&x.raw->self, "CN=MEMBER1,OU=Elsewhere," ROOT, "sAMAccountName", "member1$",
	    "userAccountControl", "4096", NULL);
	f = rebuild(&x);
	assert_said(f, "2 computer accounts are named MEMBER1$");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_STANDALONE);
	teardown(&x);

	/* One in our domain and one in another: ours is in ours. */
	setup(&x, "member1");
	add(&x.raw->self, "CN=MEMBER1,CN=Computers," CHILD, "sAMAccountName", "MEMBER1$",
	    "userAccountControl", "4096", NULL);
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->domain, domain(f, "forest.test"));
	teardown(&x);

	/* The account says another domain than configured: the account wins, and it is said. */
	setup(&x, "member1");
	free(x.id.domain);
	x.id.domain = xstrdup("CHILD.forest.test.");
	f = rebuild(&x);
	assert_said(f, "is in domain forest.test, not in child.forest.test as configured");
	assert_int_equal(hier_forest_self(f)->domain, domain(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_MEMBER);
	teardown(&x);

	/* A userAccountControl of no computer, or no number. */
	setup(&x, "member1");
	set(&x.raw->self.v[0], "userAccountControl", "512");
	f = rebuild(&x);
	assert_said(f, "userAccountControl 0x200 is no computer's");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_STANDALONE);
	assert_int_equal(hier_forest_self(f)->domain, domain(f, "forest.test"));
	set(&x.raw->self.v[0], "userAccountControl", "0x1000");
	f = rebuild(&x);
	assert_said(f, "userAccountControl is not a 32-bit number: 0x1000");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_STANDALONE);
	teardown(&x);

	/* Only a host name known: the account is HOST$. */
	setup(&x, "childm1");
	free(x.id.account);
	x.id.account = NULL;
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_MEMBER);
	teardown(&x);
}

/* Our account and our NTDS Settings disagree on being an RODC: the account's word stands. */
static void
test_own_dc_disagrees(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc1");
	set(&x.raw->self.v[0], "userAccountControl", "83890176");
	f = rebuild(&x);
	assert_said(f, "our account says rodc, our NTDS Settings dc");
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_RODC);
	assert_int_equal(hier_forest_self(f)->dc, dc(f, "rootdc1.forest.test"));
	teardown(&x);
}

static void
test_rodc_markers(void **state)
{
	struct fixture x;
	const struct hier_forest *f;
	struct dir_entry *ntds;

	(void)state;
	setup(&x, "rodc1");
	/* objectClass nTDSDSARO alone says RODC. */
	ntds = entry(&x.raw->ntds, ntds_dn(machine("rodc1")));
	unset(ntds, "msDS-isRODC");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_true(hier_forest_dc(f, dc(f, "rodc1.forest.test"))->rodc);
	/* So does msDS-isRODC alone; the domain then comes from the fully replicated NCs. */
	unset(ntds, "objectClass");
	unset(ntds, "msDS-HasDomainNCs");
	set(ntds, "msDS-isRODC", "true");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_true(hier_forest_dc(f, dc(f, "rodc1.forest.test"))->rodc);
	assert_int_equal(hier_forest_dc(f, dc(f, "rodc1.forest.test"))->domain,
	                 domain(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_RODC);
	teardown(&x);
}

static void
test_dc_domain(void **state)
{
	struct fixture x;
	const struct hier_forest *f;
	struct dir_entry *ntds;

	(void)state;
	setup(&x, "member1");
	ntds = entry(&x.raw->ntds, ntds_dn(machine("rootdc2")));
	/* Without msDS-HasDomainNCs, the one domain among the mastered NCs. */
	unset(ntds, "msDS-HasDomainNCs");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_dc(f, dc(f, "rootdc2.forest.test"))->domain,
	                 domain(f, "forest.test"));
	/* Two domains mastered is no answer. */
	put(ntds, "hasMasterNCs", CHILD);
	f = rebuild(&x);
	assert_said(f, "DC rootdc2.forest.test: hasMasterNCs names two domains");
	assert_int_equal(hier_forest_dc(f, dc(f, "rootdc2.forest.test"))->domain, -1);
	/* Nothing at all. */
	unset(ntds, "hasMasterNCs");
	f = rebuild(&x);
	assert_said(f, "DC rootdc2.forest.test: its NTDS Settings name no domain");
	teardown(&x);
}

static void
test_root_unknown(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "rootdc1");
	set(&x.raw->rootdse, "rootDomainNamingContext", "DC=elsewhere,DC=test");
	f = rebuild(&x);
	assert_said(f, "the rootDSE's rootDomainNamingContext dc=elsewhere,dc=test names no "
	               "domain");
	assert_int_equal(hier_forest_root(f), -1);
	/* Not known to be the root's, so a plain PDC. */
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_PDC);
	/* Without the attribute, the only domain with no trustParent or rootTrust. */
	unset(&x.raw->rootdse, "rootDomainNamingContext");
	f = rebuild(&x);
	assert_no_problems(f);
	assert_int_equal(hier_forest_root(f), domain(f, "forest.test"));
	assert_int_equal(hier_forest_self(f)->role, HIER_ROLE_ROOT_PDC);
	teardown(&x);
}

static void
test_duplicates_kept_once(void **state)
{
	struct fixture x;
	const struct hier_forest *f;

	(void)state;
	setup(&x, "member1");
	/* A replication conflict leaves a second crossRef for the same NC. */
	add(&x.raw->crossrefs, "CN=CHILD\\0ACNF:0f5c,CN=Partitions," CONFIG, "nCName", CHILD,
	    "dnsRoot", "child.forest.test", "systemFlags", "3", NULL);
	add(&x.raw->sites, "cn=hq," SITES, NULL);
	add(&x.raw->subnets, "CN=10.1.0.0/16,CN=Subnets," SITES, "siteObject", "CN=Branch," SITES,
	    NULL);
	/* The same prefix in two spellings is one subnet. */
	add(&x.raw->subnets, "CN=fd00::/64,CN=Subnets," SITES, NULL);
	add(&x.raw->subnets, "CN=FD00:0:0::/64,CN=Subnets," SITES, NULL);
	f = rebuild(&x);
	assert_said(f, "a second crossRef for domain child.forest.test");
	assert_said(f, "a second site named hq");
	assert_said(f, "a second subnet 10.1.0.0/16");
	assert_said(f, "a second subnet FD00:0:0::/64");
	assert_int_equal(hier_forest_n_domains(f), 2);
	assert_int_equal(hier_forest_n_sites(f), 2);
	assert_int_equal(hier_forest_n_subnets(f), 4);
	assert_int_equal(hier_forest_self(f)->site, site(f, "HQ"));
	teardown(&x);
}

/* ---- DNs and text ------------------------------------------------------ */

static void
test_dn_normalise(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"CN=Foo,DC=Forest,DC=Test", "cn=foo,dc=forest,dc=test"},
	    {"  CN = Foo ,  DC=forest ;DC=test  ", "cn=foo,dc=forest,dc=test"},
	    {"CN=a\\,b,DC=x", "cn=a\\,b,dc=x"},
	    {"CN=a\\2Cb,DC=x", "cn=a\\,b,dc=x"},
	    {"CN=a\\ ,DC=x", "cn=a\\ ,dc=x"},
	    {"CN=\\ a,DC=x", "cn=\\ a,dc=x"},
	    {"CN=\\#1", "cn=\\#1"},
	    {"CN=a#1", "cn=a#1"},
	    {"CN=\"a, b+c\",DC=x", "cn=a\\, b\\+c,dc=x"},
	    {"CN=Z\\C3\\BCrich", "cn=z\xc3\xbcrich"},
	    {"CN=Z\xc3\xbcrich", "cn=z\xc3\xbcrich"},
	    {"CN=a\\00b\\FF", "cn=a\\00b\\ff"},
	    {"CN=a+SN=B,DC=x", "cn=a+sn=b,dc=x"},
	    {"2.5.4.3=A", "2.5.4.3=a"},
	    {"CN=#04024869", "cn=#04024869"},
	    {"CN=,DC=x", "cn=,dc=x"},
	    {"CN=a=b<c>", "cn=a\\=b\\<c\\>"},
	    {"CN=NTDS Settings", "cn=ntds settings"},
	};
	static const char *const bad[] = {
	    "CN",  "=a",    "CN=a,", "CN=a\\zz", "CN=\"open", ",",          "1.=a",
	    "-=a", "CN=#0", "CN=#",  "CN=a\\",   "CN=\"a\"b", "CN=a,,DC=x",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *n = dir_dn_normalise(cases[i].in);

		if (n == NULL)
			fail_msg("%s: not a DN", cases[i].in);
		assert_string_equal(n, cases[i].out);
		free(n);
	}
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char *n = dir_dn_normalise(bad[i]);

		if (n != NULL)
			fail_msg("%s: normalised to %s", bad[i], n);
	}
	assert_null(dir_dn_normalise(NULL));
	assert_true(dir_dn_equal("CN=a\\,b,DC=x", "cn=A\\2cB , dc=X"));
	assert_false(dir_dn_equal("CN=a\\,b,DC=x", "CN=a,CN=b,DC=x"));
	assert_false(dir_dn_equal("CN=a\\ ,DC=x", "CN=a,DC=x"));
	assert_false(dir_dn_equal("CN", "CN"));
	assert_false(dir_dn_equal(NULL, NULL));
}

static void
test_text_valid(void **state)
{
	static const struct {
		const char *s;
		size_t len;
		int valid;
	} cases[] = {
	    {"HQ", 2, 1},
	    {"Z\xc3\xbcrich", 7, 1},
	    {"\xf0\x9f\x95\x92", 4, 1}, /* U+1F552 */
	    {"\xef\xbf\xbd", 3, 1},     /* U+FFFD */
	    {"", 0, 1},
	    {"a\0b", 3, 0},
	    {"\x01", 1, 0},
	    {"\x7f", 1, 0},
	    {"\xc2\x85", 2, 0},         /* C1 NEL */
	    {"\xc3", 1, 0},             /* cut off */
	    {"\xc0\x80", 2, 0},         /* overlong */
	    {"\xe0\x80\xaf", 3, 0},     /* overlong */
	    {"\xed\xa0\x80", 3, 0},     /* surrogate */
	    {"\xf4\x90\x80\x80", 4, 0}, /* past U+10FFFF */
	    {"\xff", 1, 0},
	    {"\x80", 1, 0},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (dir_text_valid(cases[i].s, cases[i].len) != cases[i].valid)
			fail_msg("case %zu", i);
}

/* ---- subnets ----------------------------------------------------------- */

static void
test_subnet_match(void **state)
{
	static const struct {
		const char *address, *site, *subnet;
	} cases[] = {
	    {"10.1.1.21", "D", "10.1.1.21/32"},
	    {"10.1.1.22", "C", "10.1.0.0/16"},
	    {"10.2.0.1", "B", "10.0.0.0/8"},
	    {"192.168.0.1", "A", "0.0.0.0/0"},
	    {"::ffff:10.1.1.21", "D", "10.1.1.21/32"},
	    {"fd00:1::5", "D", "fd00:1::5/128"},
	    {"fd00:1::6", "C", "fd00:1::/32"},
	    {"fd02::1", "B", "fd00::/8"},
	    {"2001:db8::1", "A", "::/0"},
	};
	static const char *const subnets[][2] = {
	    {"0.0.0.0/0", "A"},
	    {"10.0.0.0/8", "B"},
	    {"10.1.0.0/16", "C"},
	    {"10.1.1.21/32", "D"},
	    {"::/0", "A"},
	    {"fd00::/8", "B"},
	    {"fd00:1::/32", "C"},
	    {"fd00:1::5/128", "D"},
	    /* With no site, a subnet places nobody, however long its prefix. */
	    {"10.1.1.0/24", NULL},
	};
	struct dir_raw *raw = xcalloc(1, sizeof(*raw));
	struct hier_forest *f;

	(void)state;
	for (const char *s = "ABCD"; *s != '\0'; s++)
		add(&raw->sites, fmt("CN=%c,%s", *s, SITES), NULL);
	for (size_t i = 0; i < ARRAY_LEN(subnets); i++) {
		add(&raw->subnets, fmt("CN=%s,CN=Subnets,%s", subnets[i][0], SITES), NULL);
		if (subnets[i][1] != NULL)
			put(&raw->subnets.v[i], "siteObject",
			    fmt("CN=%s,%s", subnets[i][1], SITES));
	}
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		raw->local_address = xstrdup(cases[i].address);
		f = build(raw, NULL);
		assert_no_problems(f);
		assert_string_equal(hier_forest_site(f, hier_forest_self(f)->site)->name,
		                    cases[i].site);
		assert_string_equal(hier_forest_self(f)->site_source,
		                    fmt("subnet %s", cases[i].subnet));
		hier_forest_free(f);
		free(raw->local_address);
		raw->local_address = NULL;
	}
	dir_raw_free(raw);
}

static void
test_subnet_names(void **state)
{
	static const char *const bad[] = {
	    "10.1.0.1/16", "10.1.0.0/33", "10.1.0.0", "10.1.0.0/", "10.1.0.0/1a",
	    "fd00::1/64",  "fd00::/129",  "10.1/16",  "/8",        "fd00::/0064",
	};
	struct dir_raw *raw = xcalloc(1, sizeof(*raw));
	struct hier_forest *f;

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		add(&raw->subnets, fmt("CN=%s,CN=Subnets,%s", bad[i], SITES), NULL);
	add(&raw->subnets, "CN=fd00:0:0::/48,CN=Subnets," SITES, NULL);
	f = build(raw, NULL);
	assert_int_equal(hier_forest_n_subnets(f), 1);
	assert_int_equal(hier_forest_subnet(f, 0)->prefix, 48);
	assert_string_equal(hier_forest_subnet(f, 0)->text, "fd00:0:0::/48");
	assert_int_equal(hier_forest_n_problems(f), ARRAY_LEN(bad));
	assert_said(f, "subnet CN=10.1.0.1/16,CN=Subnets,");
	hier_forest_free(f);
	dir_raw_free(raw);
}

/* ---- determinism ------------------------------------------------------- */

static void
reverse(struct dir_entry_list *l)
{
	for (size_t i = 0; i < l->n / 2; i++) {
		struct dir_entry t = l->v[i];

		l->v[i] = l->v[l->n - 1 - i];
		l->v[l->n - 1 - i] = t;
	}
}

static void
test_determinism(void **state)
{
	struct fixture x;
	char *first, *again, *reversed;

	(void)state;
	setup(&x, "childdc1");
	/* Some problems too, so that their order is covered. */
	set(entry(&x.raw->nc_heads, ROOT), "fSMORoleOwner", "CN=nobody");
	first = forest_text(rebuild(&x));
	again = forest_text(rebuild(&x));
	assert_string_equal(first, again);
	reverse(&x.raw->crossrefs);
	reverse(&x.raw->sites);
	reverse(&x.raw->servers);
	reverse(&x.raw->ntds);
	reverse(&x.raw->subnets);
	reverse(&x.raw->nc_heads);
	reversed = forest_text(rebuild(&x));
	assert_string_equal(first, reversed);
	free(first);
	free(again);
	free(reversed);
	teardown(&x);
}

/* The cheap check's view: who holds each PDC role, compared across two reads. */
static void
test_pdc_owners(void **state)
{
	struct dir_raw before = {0}, after = {0};
	struct dir_pdc_owners *b, *a;
	const char *nc = NULL, *was = NULL, *is = NULL;

	(void)state;
	add(&before.nc_heads, "DC=Forest,DC=Test", "fSMORoleOwner",
	    "CN=NTDS "
	    "Settings,CN=ROOTDC1,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=forest,DC=test",
	    NULL);
	add(&before.nc_heads, "DC=child,DC=forest,DC=test", NULL);
	add(&before.nc_heads, "not a DN", "fSMORoleOwner", "CN=x", NULL);
	/* The same owners, spelt otherwise, and a domain the first read did not have. */
	add(&after.nc_heads, "dc=forest, dc=test", "fSMORoleOwner",
	    "cn=ntds "
	    "settings,cn=rootdc1,cn=servers,cn=hq,cn=sites,cn=configuration,dc=forest,dc=test",
	    NULL);
	add(&after.nc_heads, "DC=child,DC=forest,DC=test", "fSMORoleOwner", "no DN", NULL);
	add(&after.nc_heads, "DC=other,DC=test", "fSMORoleOwner", "CN=y", NULL);
	b = dir_pdc_owners_read(&before);
	a = dir_pdc_owners_read(&after);
	assert_false(dir_pdc_owners_moved(b, a, &nc, &was, &is));
	dir_pdc_owners_free(a);

	/* The root PDC role moves to rootdc2. */
	set(entry(&after.nc_heads, "DC=forest,DC=test"), "fSMORoleOwner",
	    "CN=NTDS "
	    "Settings,CN=ROOTDC2,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=forest,DC=test");
	a = dir_pdc_owners_read(&after);
	assert_true(dir_pdc_owners_moved(b, a, &nc, &was, &is));
	assert_string_equal(nc, "dc=forest,dc=test");
	assert_non_null(strstr(was, "cn=rootdc1"));
	assert_non_null(strstr(is, "cn=rootdc2"));
	/* A role that appears where there was none is a move too. */
	dir_pdc_owners_free(a);
	set(entry(&after.nc_heads, "DC=forest,DC=test"), "fSMORoleOwner",
	    "CN=NTDS "
	    "Settings,CN=ROOTDC1,CN=Servers,CN=HQ,CN=Sites,CN=Configuration,DC=forest,DC=test");
	set(entry(&after.nc_heads, "DC=child,DC=forest,DC=test"), "fSMORoleOwner",
	    "CN=NTDS "
	    "Settings,CN=CHILDDC1,CN=Servers,CN=Branch,CN=Sites,CN=Configuration,DC=forest,DC="
	    "test");
	a = dir_pdc_owners_read(&after);
	assert_true(dir_pdc_owners_moved(b, a, &nc, &was, &is));
	assert_string_equal(nc, "dc=child,dc=forest,dc=test");
	assert_string_equal(was, "");
	dir_pdc_owners_free(a);
	dir_pdc_owners_free(b);
	dir_pdc_owners_free(NULL);
	dir_entry_list_clear(&before.nc_heads);
	dir_entry_list_clear(&after.nc_heads);
}

static void
test_role_names(void **state)
{
	(void)state;
	assert_string_equal(hier_role_name(HIER_ROLE_STANDALONE), "standalone");
	assert_string_equal(hier_role_name(HIER_ROLE_MEMBER), "member");
	assert_string_equal(hier_role_name(HIER_ROLE_DC), "dc");
	assert_string_equal(hier_role_name(HIER_ROLE_RODC), "rodc");
	assert_string_equal(hier_role_name(HIER_ROLE_PDC), "pdc");
	assert_string_equal(hier_role_name(HIER_ROLE_ROOT_PDC), "root_pdc");
	assert_string_equal(hier_role_name((enum hier_role)6), "unknown");
	assert_string_equal(hier_role_name((enum hier_role) - 1), "unknown");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_world_domains),
	    cmocka_unit_test(test_world_dcs),
	    cmocka_unit_test(test_world_roles),
	    cmocka_unit_test(test_dn_spelling),
	    cmocka_unit_test(test_standalone),
	    cmocka_unit_test(test_configured_site),
	    cmocka_unit_test(test_pings),
	    cmocka_unit_test(test_unknown_site),
	    cmocka_unit_test(test_missing_fsmo),
	    cmocka_unit_test(test_fsmo_names_nothing),
	    cmocka_unit_test(test_fsmo_other_domain),
	    cmocka_unit_test(test_fsmo_rodc),
	    cmocka_unit_test(test_trust_parent_cycle),
	    cmocka_unit_test(test_tree_links),
	    cmocka_unit_test(test_tree_root),
	    cmocka_unit_test(test_unread_nc),
	    cmocka_unit_test(test_long_value),
	    cmocka_unit_test(test_not_utf8),
	    cmocka_unit_test(test_dc_in_no_site),
	    cmocka_unit_test(test_duplicate_hosts),
	    cmocka_unit_test(test_odd_values),
	    cmocka_unit_test(test_raw_errors),
	    cmocka_unit_test(test_own_account),
	    cmocka_unit_test(test_own_dc_disagrees),
	    cmocka_unit_test(test_rodc_markers),
	    cmocka_unit_test(test_dc_domain),
	    cmocka_unit_test(test_root_unknown),
	    cmocka_unit_test(test_duplicates_kept_once),
	    cmocka_unit_test(test_dn_normalise),
	    cmocka_unit_test(test_text_valid),
	    cmocka_unit_test(test_subnet_match),
	    cmocka_unit_test(test_subnet_names),
	    cmocka_unit_test(test_determinism),
	    cmocka_unit_test(test_role_names),
	    cmocka_unit_test(test_pdc_owners),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

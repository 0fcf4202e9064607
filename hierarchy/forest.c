/*
 * forest.c - the forest picture: a handful of arrays, and the pool of
 * strings they point to.
 */
#include <stdlib.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "forest.h"

struct hier_forest {
	struct hier_domain *domains;
	size_t n_domains;
	struct hier_dc *dcs;
	size_t n_dcs;
	struct hier_site *sites;
	size_t n_sites;
	struct hier_subnet *subnets;
	size_t n_subnets;
	struct hier_self self;
	int root;
	int source_dc;
	const char *read_from;
	double read_at;
	char **problems;
	size_t n_problems;
	char **strings; /* the pool: everything the const char * above point to */
	size_t n_strings;
};

static const char *const role_names[] = {
    [HIER_ROLE_STANDALONE] = "standalone",
    [HIER_ROLE_MEMBER] = "member",
    [HIER_ROLE_DC] = "dc",
    [HIER_ROLE_RODC] = "rodc",
    [HIER_ROLE_PDC] = "pdc",
    [HIER_ROLE_ROOT_PDC] = "root_pdc",
};
_Static_assert(ARRAY_LEN(role_names) == HIER_ROLE_ROOT_PDC + 1, "a role without a name");

const char *
hier_role_name(enum hier_role role)
{
	return ENUM_NAME(role_names, role);
}

int
hier_role_is_dc(enum hier_role role)
{
	return role == HIER_ROLE_DC || role == HIER_ROLE_RODC || role == HIER_ROLE_PDC ||
	       role == HIER_ROLE_ROOT_PDC;
}

/* ---- constructors -------------------------------------------------------- */

/* V, an array of N elements of SIZE, with room for one more: it doubles at powers of two. */
static void *
grow(void *v, size_t n, size_t size)
{
	if ((n & (n - 1)) == 0)
		v = xreallocarray(v, n == 0 ? 1 : 2 * n, size);
	return v;
}

const char *
hier_forest_keep(struct hier_forest *f, char *s)
{
	f->strings = grow(f->strings, f->n_strings, sizeof(*f->strings));
	f->strings[f->n_strings++] = s;
	return s;
}

struct hier_forest *
hier_forest_new(const char *read_from, double read_at)
{
	struct hier_forest *f = xcalloc(1, sizeof(*f));

	f->root = f->source_dc = -1;
	f->self = (struct hier_self){.domain = -1,
	                             .site = -1,
	                             .site_source = "unknown",
	                             .role = HIER_ROLE_STANDALONE,
	                             .dc = -1};
	f->read_from = read_from != NULL ? hier_forest_keep(f, xstrdup(read_from)) : NULL;
	f->read_at = read_at;
	return f;
}

void
hier_forest_free(struct hier_forest *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n_strings; i++)
		free(f->strings[i]);
	for (size_t i = 0; i < f->n_problems; i++)
		free(f->problems[i]);
	free(f->strings);
	free(f->problems);
	free(f->domains);
	free(f->dcs);
	free(f->sites);
	free(f->subnets);
	free(f);
}

void
hier_forest_add_domain(struct hier_forest *f, const struct hier_domain *d)
{
	f->domains = grow(f->domains, f->n_domains, sizeof(*f->domains));
	f->domains[f->n_domains++] = *d;
}

void
hier_forest_add_dc(struct hier_forest *f, const struct hier_dc *dc)
{
	f->dcs = grow(f->dcs, f->n_dcs, sizeof(*f->dcs));
	f->dcs[f->n_dcs++] = *dc;
}

void
hier_forest_add_site(struct hier_forest *f, const struct hier_site *s)
{
	f->sites = grow(f->sites, f->n_sites, sizeof(*f->sites));
	f->sites[f->n_sites++] = *s;
}

void
hier_forest_add_subnet(struct hier_forest *f, const struct hier_subnet *s)
{
	f->subnets = grow(f->subnets, f->n_subnets, sizeof(*f->subnets));
	f->subnets[f->n_subnets++] = *s;
}

void
hier_forest_set_self(struct hier_forest *f, const struct hier_self *s)
{
	f->self = *s;
}

void
hier_forest_set_root(struct hier_forest *f, int root)
{
	f->root = root;
}

void
hier_forest_set_source_dc(struct hier_forest *f, int dc)
{
	f->source_dc = dc;
}

void
hier_forest_add_problem(struct hier_forest *f, const char *problem)
{
	f->problems = grow(f->problems, f->n_problems, sizeof(*f->problems));
	f->problems[f->n_problems++] = xstrdup(problem);
}

/* ---- accessors ------------------------------------------------------------- */

size_t
hier_forest_n_domains(const struct hier_forest *f)
{
	return f->n_domains;
}

const struct hier_domain *
hier_forest_domain(const struct hier_forest *f, size_t i)
{
	return i < f->n_domains ? &f->domains[i] : NULL;
}

size_t
hier_forest_n_dcs(const struct hier_forest *f)
{
	return f->n_dcs;
}

const struct hier_dc *
hier_forest_dc(const struct hier_forest *f, size_t i)
{
	return i < f->n_dcs ? &f->dcs[i] : NULL;
}

size_t
hier_forest_n_sites(const struct hier_forest *f)
{
	return f->n_sites;
}

const struct hier_site *
hier_forest_site(const struct hier_forest *f, size_t i)
{
	return i < f->n_sites ? &f->sites[i] : NULL;
}

size_t
hier_forest_n_subnets(const struct hier_forest *f)
{
	return f->n_subnets;
}

const struct hier_subnet *
hier_forest_subnet(const struct hier_forest *f, size_t i)
{
	return i < f->n_subnets ? &f->subnets[i] : NULL;
}

const struct hier_self *
hier_forest_self(const struct hier_forest *f)
{
	return &f->self;
}

int
hier_forest_root(const struct hier_forest *f)
{
	return f->root;
}

int
hier_forest_source_dc(const struct hier_forest *f)
{
	return f->source_dc;
}

size_t
hier_forest_n_problems(const struct hier_forest *f)
{
	return f->n_problems;
}

const char *
hier_forest_problem(const struct hier_forest *f, size_t i)
{
	return i < f->n_problems ? f->problems[i] : NULL;
}

const char *
hier_forest_read_from(const struct hier_forest *f)
{
	return f->read_from;
}

void
hier_forest_set_read_at(struct hier_forest *f, double read_at)
{
	f->read_at = read_at;
}

double
hier_forest_read_at(const struct hier_forest *f)
{
	return f->read_at;
}

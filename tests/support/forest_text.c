/*
 * forest_text.c - a forest picture as text, for tests.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../../hierarchy/forest.h"
#include "forest_text.h"

static const char *
or_dash(const char *s)
{
	return s != NULL ? s : "-";
}

char *
forest_text(const struct hier_forest *f)
{
	char *out = NULL;
	size_t size = 0;
	FILE *s = open_memstream(&out, &size);
	const struct hier_self *self = hier_forest_self(f);

	if (s == NULL)
		abort();
	for (size_t i = 0; i < hier_forest_n_domains(f); i++) {
		const struct hier_domain *d = hier_forest_domain(f, i);

		fprintf(s, "domain %s %s %s %d %d %d %d %d\n", d->name, d->dn, or_dash(d->netbios),
		        d->parent, d->tree_root, d->root_trust, d->pdc, d->forest_root);
	}
	for (size_t i = 0; i < hier_forest_n_dcs(f); i++) {
		const struct hier_dc *d = hier_forest_dc(f, i);

		fprintf(s, "dc %s %s %d %d %d %d %d %d %x\n", d->host, d->name, d->domain, d->site,
		        d->pdc, d->rodc, d->gc, d->ping_answered, (unsigned)d->ping_flags);
	}
	for (size_t i = 0; i < hier_forest_n_sites(f); i++)
		fprintf(s, "site %s %s\n", hier_forest_site(f, i)->name,
		        hier_forest_site(f, i)->dn);
	for (size_t i = 0; i < hier_forest_n_subnets(f); i++)
		fprintf(s, "subnet %s %d\n", hier_forest_subnet(f, i)->text,
		        hier_forest_subnet(f, i)->site);
	fprintf(s, "self %s %s %d %d %s %s %d\n", or_dash(self->name), or_dash(self->fqdn),
	        self->domain, self->site, self->site_source, hier_role_name(self->role), self->dc);
	fprintf(s, "root %d source %d\n", hier_forest_root(f), hier_forest_source_dc(f));
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		fprintf(s, "problem %s\n", hier_forest_problem(f, i));
	if (fclose(s) != 0)
		abort();
	return out;
}

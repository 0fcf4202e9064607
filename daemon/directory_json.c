/*
 * directory_json.c - the forest, the hierarchy's choice and the state of
 * discovery as domtimectl shows them (hierarchy, source --explain).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../ntp/srvspec.h"
#include "dir_private.h"
#include "directory.h"
#include "dmn_private.h"

static json_t *
name_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
domain_name(const struct hier_forest *f, int i)
{
	const struct hier_domain *d = i >= 0 ? hier_forest_domain(f, (size_t)i) : NULL;

	return name_or_null(d != NULL ? d->name : NULL);
}

static json_t *
site_name(const struct hier_forest *f, int i)
{
	const struct hier_site *s = i >= 0 ? hier_forest_site(f, (size_t)i) : NULL;

	return name_or_null(s != NULL ? s->name : NULL);
}

static json_t *
dc_host(const struct hier_forest *f, int i)
{
	const struct hier_dc *dc = i >= 0 ? hier_forest_dc(f, (size_t)i) : NULL;

	return name_or_null(dc != NULL ? dc->host : NULL);
}

static int
chosen_dc(const struct dmn_dir *dir, size_t dc)
{
	for (size_t i = 0; i < dir->choice.n_cands; i++)
		if (dir->choice.cands[i].dc == (int)dc && dir->choice.cands[i].chosen)
			return dir->choice.use == HIER_USE_DCS;
	return 0;
}

static json_t *
domains_json(const struct hier_forest *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < hier_forest_n_domains(f); i++) {
		const struct hier_domain *d = hier_forest_domain(f, i);

		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:o, s:o, s:b, s:b}", "name", d->name, "dn", d->dn,
		                 "parent", domain_name(f, d->parent), "pdc", dc_host(f, d->pdc),
		                 "forest_root", d->forest_root, "tree_root", d->tree_root));
	}
	return a;
}

/* The NTP client's report on the source HOST; 0 when it does not follow it. */
static int
report_of(const struct dmn *d, const char *host, struct ntp_source_report *ret)
{
	for (size_t i = 0; i < ntp_client_n_sources(d->client); i++) {
		ntp_client_source_report(d->client, i, ret);
		if (strcasecmp(ret->host, host) == 0)
			return 1;
	}
	return 0;
}

/* The NTP client's word on a source it follows: selected, falseticker, ... */
static const char *
verdict_of(const struct dmn *d, const char *host)
{
	struct ntp_source_report r;

	return report_of(d, host, &r) ? ntp_source_shown_state(&r) : "not followed";
}

/* How the DC's last answer was authenticated (mssntp, none); null when not followed. */
static json_t *
auth_of(const struct dmn *d, const char *host)
{
	struct ntp_source_report r;

	return report_of(d, host, &r) ? json_string(r.auth) : json_null();
}

static json_t *
dcs_json(const struct dmn_dir *dir)
{
	const struct hier_forest *f = dir->forest;
	json_t *a = json_array();

	for (size_t i = 0; i < hier_forest_n_dcs(f); i++) {
		const struct hier_dc *dc = hier_forest_dc(f, i);
		json_t *o =
		    json_pack("{s:s, s:o, s:o, s:b, s:b, s:b, s:b}", "host", dc->host, "domain",
		              domain_name(f, dc->domain), "site", site_name(f, dc->site), "pdc",
		              dc->pdc, "rodc", dc->rodc, "gc", dc->gc, "chosen", chosen_dc(dir, i));

		json_object_set_new(o, "ping_flags",
		                    dc->ping_answered ? json_integer(dc->ping_flags) : json_null());
		json_object_set_new(o, "auth", auth_of(dir->d, dc->host));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
self_json(const struct hier_forest *f)
{
	const struct hier_self *s = hier_forest_self(f);

	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:s}", "name", name_or_null(s->name), "fqdn",
	                 name_or_null(s->fqdn), "domain", domain_name(f, s->domain), "site",
	                 site_name(f, s->site), "site_source", s->site_source, "role",
	                 hier_role_name(s->role));
}

/*
 * The picture's problems; first, when the last read stopped at a limit,
 * that one (its picture was not used, so it is in no picture).
 */
static json_t *
problems_json(const struct dmn_dir *dir, const struct hier_forest *f)
{
	json_t *a = json_array();

	if (dir->incomplete[0] != '\0')
		json_array_append_new(
		    a, json_sprintf("the last directory read was not used: %s", dir->incomplete));
	for (size_t i = 0; f != NULL && i < hier_forest_n_problems(f); i++)
		json_array_append_new(a, json_string(hier_forest_problem(f, i)));
	return a;
}

static json_t *
discovery_json(const struct dmn_dir *dir)
{
	return json_pack("{s:b, s:i, s:o, s:o}", "busy",
	                 dir->disc != NULL && dir_discovery_busy(dir->disc), "failures",
	                 dir->failures, "last_error",
	                 dir->last_error[0] ? json_string(dir->last_error) : json_null(),
	                 "unavailable", name_or_null(dir->unavailable));
}

json_t *
dmn_dir_hierarchy_json(const struct dmn_dir *dir)
{
	const struct hier_forest *f;

	if (dir == NULL)
		return json_pack(
		    "{s:{s:n, s:n, s:n, s:n, s:s, s:s}, s:[], s:[], s:n, s:n, s:[], s:s}", "self",
		    "name", "fqdn", "domain", "site", "site_source", "not in a domain", "role",
		    "standalone", "domains", "dcs", "read_at", "read_from", "problems", "why",
		    "not in a domain: no directory to read");
	if (dir->forest == NULL)
		return json_pack("{s:{s:n, s:n, s:n, s:n, s:s, s:s}, s:[], s:[], s:n, s:n, s:o, "
		                 "s:o}",
		                 "self", "name", "fqdn", "domain", "site", "site_source",
		                 "not read yet", "role", "standalone", "domains", "dcs", "read_at",
		                 "read_from", "problems", problems_json(dir, NULL), "discovery",
		                 discovery_json(dir));
	f = dir->forest;
	return json_pack(
	    "{s:o, s:o, s:o, s:f, s:o, s:o, s:o, s:o, s:s}", "self", self_json(f), "domains",
	    domains_json(f), "dcs", dcs_json(dir), "read_at", hier_forest_read_at(f), "read_from",
	    name_or_null(hier_forest_read_from(f)), "parent_domain",
	    domain_name(f, dir->choice.parent_domain), "problems", problems_json(dir, f),
	    "discovery", discovery_json(dir), "why", dir->choice.why);
}

static json_t *
candidate_json(const struct dmn *d, const struct hier_forest *f, const struct hier_candidate *c)
{
	const struct hier_dc *dc = hier_forest_dc(f, (size_t)c->dc);

	return json_pack("{s:s, s:o, s:o, s:i, s:i, s:b, s:s, s:s}", "host", dc->host, "domain",
	                 domain_name(f, dc->domain), "site", site_name(f, dc->site), "step",
	                 c->step, "score", c->score, "chosen", c->chosen, "verdict",
	                 c->chosen ? verdict_of(d, dc->host) : "not followed", "reason", c->reason);
}

/* Sources of the manual list, when that is what the rules chose. */
static void
manual_json(const struct dmn *d, const char *why, json_t *a)
{
	struct ntp_srvspec *v = NULL;
	char *cause = NULL;
	int n = ntp_srvspec_parse(d->cfg->ntp_server, &v, &cause);

	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:n, s:n, s:i, s:i, s:b, s:s, s:s}",
		                                   "host", v[i].host, "domain", "site", "step", 0,
		                                   "score", 0, "chosen", 1, "verdict",
		                                   verdict_of(d, v[i].host), "reason", why));
	free(cause);
	free(v);
}

json_t *
dmn_dir_explain_json(const struct dmn *d, const struct dmn_dir *dir)
{
	json_t *a = json_array();
	enum hier_use use = dmn_dir_use(d, dir);

	if (use == HIER_USE_MANUAL)
		manual_json(d,
		            dir != NULL && dir->forest != NULL ? dir->choice.why
		                                               : "manual list (ntp_server)",
		            a);
	if (dir == NULL || dir->forest == NULL)
		return a;
	for (size_t i = 0; i < dir->choice.n_cands; i++)
		json_array_append_new(a, candidate_json(d, dir->forest, &dir->choice.cands[i]));
	return a;
}

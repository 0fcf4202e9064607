/*
 * policy.c - what the configuration and the hierarchy's choice make of the
 * NTP client's sources and the server's announcements. The rules
 * themselves are W32Time's, in hierarchy/; this file applies them.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../ntp/srvspec.h"
#include "dir_private.h"
#include "directory.h"
#include "dmn_private.h"

/* Origin tags of the client's sources. */
#define ORIGIN_MANUAL "manual"
#define ORIGIN_HIERARCHY "hierarchy"

static enum hier_type
effective_type(const struct dmn *d, const struct dmn_dir *dir)
{
	return hier_type_effective((enum hier_type)d->cfg->type, dir != NULL);
}

static enum hier_membership
membership(const struct dmn_dir *dir)
{
	/*
	 * Without keys the directory will not be read before a restart: until
	 * then the machine serves (as unsynchronised while it is) like one
	 * outside a domain, rather than waiting for a role it cannot learn.
	 */
	if (dir == NULL || dmn_dir_unavailable(dir) != NULL)
		return HIER_NO_DOMAIN;
	if (dir->d->samba != NULL)
		return HIER_SAMBA_DC;
	return dir->forest == NULL ? HIER_DOMAIN_UNREAD : HIER_DOMAIN_READ;
}

enum hier_role
dmn_dir_role(const struct dmn_dir *dir)
{
	if (dir == NULL)
		return HIER_ROLE_STANDALONE;
	/* smb.conf said so before the directory could. */
	if (dir->forest == NULL)
		return dir->d->samba != NULL ? HIER_ROLE_DC : HIER_ROLE_STANDALONE;
	return hier_forest_self(dir->forest)->role;
}

const char *
dmn_dir_role_name(const struct dmn_dir *dir)
{
	return hier_role_name(dmn_dir_role(dir));
}

const char *
dmn_type_name(const struct dmn *d, const struct dmn_dir *dir)
{
	return hier_type_name(effective_type(d, dir));
}

int
dmn_announce_flags(const struct dmn *d, const struct dmn_dir *dir)
{
	return (int)hier_announce_flags(d->cfg->announce_flags, d->cfg->reliable, membership(dir),
	                                dmn_dir_role(dir));
}

enum hier_use
dmn_dir_use(const struct dmn *d, const struct dmn_dir *dir)
{
	if (dir != NULL && dir->forest != NULL)
		return dir->choice.use;
	return hier_use_unread(effective_type(d, dir), dmn_dir_unavailable(dir) != NULL);
}

/* ---- sources ------------------------------------------------------------------- */

/*
 * Give the client exactly the sources in V (N of them) under ORIGIN:
 * remove the others of that origin, add or update these. Unchanged sources
 * keep their state.
 */
static void
set_sources(struct dmn *d, const char *origin, const struct ntp_srvspec *v, size_t n)
{
	for (size_t i = ntp_client_n_sources(d->client); i-- > 0;) {
		struct ntp_source_report r;
		int listed = 0;

		ntp_client_source_report(d->client, i, &r);
		if (strcmp(r.origin, origin) != 0)
			continue;
		for (size_t j = 0; j < n && !listed; j++)
			listed = strcasecmp(v[j].host, r.host) == 0 && v[j].port == r.port;
		if (!listed)
			(void)ntp_client_remove(d->client, r.host, r.port);
	}
	for (size_t j = 0; j < n; j++)
		ntp_client_add(d->client, v[j].host, v[j].port, v[j].flags, v[j].key_id,
		               v[j].nts_port, origin);
}

static void
set_manual(struct dmn *d, int use)
{
	struct ntp_srvspec *v = NULL;
	char *cause = NULL;
	int n = use ? ntp_srvspec_parse(d->cfg->ntp_server, &v, &cause) : 0;

	if (n < 0) {
		/* Checked when the configuration was loaded: cannot happen. */
		log_err("ntp_server: %s", cause);
		free(cause);
		n = 0;
	}
	set_sources(d, ORIGIN_MANUAL, v, (size_t)n);
	free(v);
}

static void
set_hierarchy(struct dmn *d, const struct dmn_dir *dir, int use)
{
	struct ntp_srvspec *v = xcalloc(dir != NULL ? dir->choice.n_cands + 1 : 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; use && i < dir->choice.n_cands; i++) {
		const struct hier_dc *dc =
		    hier_forest_dc(dir->forest, (size_t)dir->choice.cands[i].dc);

		if (!dir->choice.cands[i].chosen || strlen(dc->host) > NTP_SRVSPEC_MAX_HOST)
			continue;
		strcpy(v[n].host, dc->host);
		v[n].port = 123;
		/* Our own domain's DCs hold our key; a parent domain's need the trust's. */
		v[n].flags = NTP_PEER_CLIENT;
		if (d->auth != NULL)
			v[n].flags |= dc->domain == hier_forest_self(dir->forest)->domain
			                  ? NTP_PEER_MSSNTP
			                  : NTP_PEER_OTHER_DOMAIN;
		n++;
	}
	set_sources(d, ORIGIN_HIERARCHY, v, n);
	free(v);
}

static void
choose(const struct dmn *d, struct dmn_dir *dir)
{
	struct hier_params p = {
	    .type = effective_type(d, dir),
	    .cross_site = (enum hier_cross_site)d->cfg->cross_site_sync,
	    .max_sources = (unsigned)d->cfg->hierarchy_sources,
	};
	struct hier_view view;

	hier_choice_clear(&dir->choice);
	hier_view_from_forest(dir->forest, &view);
	hier_choose(&view, &p, d->cfg->ntp_server[0] != '\0', &dir->choice);
	hier_view_clear(&view);
}

static enum ntp_srv_serve
serve_mode(enum hier_serve s)
{
	switch (s) {
	case HIER_SERVE_ALWAYS:
		return NTP_SERVE_ALWAYS;
	case HIER_SERVE_SYNCHRONISED:
		return NTP_SERVE_SYNCHRONISED;
	case HIER_SERVE_NEVER:
		break;
	}
	return NTP_SERVE_NEVER;
}

void
dmn_apply_policy(struct dmn *d, struct dmn_dir *dir)
{
	unsigned flags = (unsigned)dmn_announce_flags(d, dir);
	struct ntp_client_options copts = dmn_client_options(d->cfg);
	struct ntp_srv_options sopts = dmn_server_options(d->cfg);
	enum hier_use use;

	copts.mssntp = d->auth;
	copts.keys = sopts.keys = d->keys;
	sopts.nts = d->nts;
	copts.nts_ca_file = d->cfg->nts_ca_file;
	copts.reliable =
	    hier_announce_reliable(flags, dmn_dir_role(dir), d->cfg->ntp_server[0] != '\0');
	sopts.serve = serve_mode(hier_announce_serve(flags));
	ntp_srv_set_options(d->srv, &sopts);
	ntp_client_set_options(d->client, &copts);
	if (dir != NULL && dir->forest != NULL)
		choose(d, dir);
	use = dmn_dir_use(d, dir);
	set_manual(d, use == HIER_USE_MANUAL);
	set_hierarchy(d, dir, use == HIER_USE_DCS);
}

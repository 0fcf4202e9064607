/*
 * directory.c - discovery schedule, the forest picture, the hierarchy's
 * choice, and the source policy built on them.
 */
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "../hierarchy/hierarchy.h"
#include "../ldap/discovery.h"
#include "../ldap/forest.h"
#include "../ldap/samba.h"
#include "auth.h"
#include "samba_dc.h"
#include "../ntp/srvspec.h"
#include "directory.h"
#include "dmn_private.h"

/* Back-off doublings after failed discoveries (W32Time ResolvePeerBackoffMaxTimes). */
#define MAX_BACKOFF_DOUBLINGS 7
/* Origin tags of the client's sources. */
#define ORIGIN_MANUAL "manual"
#define ORIGIN_HIERARCHY "hierarchy"

/* Who held each domain's PDC role at the last full read (for the cheap check). */
struct pdc_owner {
	char *nc;    /* domain NC, normalised */
	char *owner; /* fSMORoleOwner, normalised */
};

struct dmn_dir {
	struct dmn *d;
	struct dir_discovery *disc;
	enum dir_read reading;
	int full_wanted;           /* a full read was asked for while another ran */
	struct forest *forest;     /* the last good picture, or NULL */
	struct hier_choice choice; /* what the rules made of it */
	struct event *rediscover_ev, *pdc_ev, *retry_ev;
	unsigned failures;         /* failed full reads in a row */
	char last_error[400];
	struct pdc_owner *owners;
	size_t n_owners;
};

static int
effective_type(const struct dmn *d, const struct dmn_dir *dir)
{
	if (d->cfg->type != 0)
		return d->cfg->type - 1;
	return dir != NULL ? HIER_NT5DS : HIER_NTP;
}

static enum dir_role
role(const struct dmn_dir *dir)
{
	if (dir == NULL)
		return DIR_ROLE_STANDALONE;
	/* smb.conf said so before the directory could. */
	if (dir->forest == NULL)
		return dir->d->samba != NULL ? DIR_ROLE_DC : DIR_ROLE_STANDALONE;
	return dir_forest_self(dir->forest)->role;
}

const struct dir_identity *
dmn_dir_identity(const struct dmn_dir *dir)
{
	return dir != NULL ? dir_discovery_identity(dir->disc) : NULL;
}

const char *
dmn_dir_role_name(const struct dmn_dir *dir)
{
	return dir_role_name(role(dir));
}

const char *
dmn_type_name(const struct dmn *d, const struct dmn_dir *dir)
{
	return hier_type_name(effective_type(d, dir));
}

static int
is_dc(enum dir_role r)
{
	return r == DIR_ROLE_DC || r == DIR_ROLE_RODC || r == DIR_ROLE_PDC ||
	       r == DIR_ROLE_ROOT_PDC;
}

/*
 * W32Time AnnounceFlags in effect: configured, else 0xA on DCs (and on a
 * domain machine whose role is not known yet), 0x9 on a Samba DC, nothing
 * on members, 0x1 off the domain; reliable = yes adds 0x4.
 */
int
dmn_announce_flags(const struct dmn *d, const struct dmn_dir *dir)
{
	int flags = d->cfg->announce_flags;

	if (flags < 0) {
		if (dir == NULL)
			flags = 0x1;
		else if (d->samba != NULL)
			/* Samba advertises every DC as a time server: it answers, in sync or not. */
			flags = 0x9;
		else if (dir->forest == NULL || is_dc(role(dir)))
			flags = 0xA;
		else
			flags = 0;
	}
	return flags | (d->cfg->reliable ? 0x4 : 0);
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
		ntp_client_add(d->client, v[j].host, v[j].port, v[j].flags, origin);
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
		const struct dir_dc *dc = dir_forest_dc(dir->forest, (size_t)dir->choice.cands[i].dc);

		if (!dir->choice.cands[i].chosen || strlen(dc->host) > NTP_SRVSPEC_MAX_HOST)
			continue;
		strcpy(v[n].host, dc->host);
		v[n].port = 123;
		/* Our own domain's DCs hold our key; a parent domain's need the trust's. */
		v[n].flags = NTP_PEER_CLIENT;
		if (d->auth != NULL)
			v[n].flags |= dc->domain == dir_forest_self(dir->forest)->domain
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
		.type = (enum hier_type)effective_type(d, dir),
		.cross_site = (enum hier_cross_site)d->cfg->cross_site_sync,
		.max_sources = (unsigned)d->cfg->hierarchy_sources,
	};
	struct hier_view view;

	hier_choice_clear(&dir->choice);
	hier_view_from_forest(dir->forest, &view);
	hier_choose(&view, &p, d->cfg->ntp_server[0] != '\0', &dir->choice);
	hier_view_clear(&view);
}

/* Without a forest: the manual list when the type allows it, else nothing yet. */
static enum hier_use
use_without_forest(const struct dmn *d, const struct dmn_dir *dir)
{
	int type = effective_type(d, dir);

	return type == HIER_NTP || type == HIER_ALLSYNC ? HIER_USE_MANUAL : HIER_USE_NONE;
}

void
dmn_apply_policy(struct dmn *d, struct dmn_dir *dir)
{
	int flags = dmn_announce_flags(d, dir);
	struct ntp_client_options copts = dmn_client_options(d->cfg);
	struct ntp_srv_options sopts = dmn_server_options(d->cfg);
	enum hier_use use;

	copts.mssntp = d->auth;
	copts.reliable = (flags & 0x4) || ((flags & 0x8) && role(dir) == DIR_ROLE_ROOT_PDC);
	sopts.serve = (flags & 0x1)   ? NTP_SERVE_ALWAYS
		      : (flags & 0x2) ? NTP_SERVE_SYNCHRONISED
				      : NTP_SERVE_NEVER;
	ntp_srv_set_options(d->srv, &sopts);
	ntp_client_set_options(d->client, &copts);
	if (dir != NULL && dir->forest != NULL)
		choose(d, dir);
	use = dir != NULL && dir->forest != NULL ? dir->choice.use : use_without_forest(d, dir);
	set_manual(d, use == HIER_USE_MANUAL);
	set_hierarchy(d, dir, use == HIER_USE_DCS);
}

/* ---- discovery ----------------------------------------------------------------------- */

static void
timer_in(struct event *ev, double seconds)
{
	struct timeval tv = {.tv_sec = (time_t)seconds,
			     .tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6)};

	event_add(ev, &tv);
}

static void
owners_clear(struct dmn_dir *dir)
{
	for (size_t i = 0; i < dir->n_owners; i++) {
		free(dir->owners[i].nc);
		free(dir->owners[i].owner);
	}
	free(dir->owners);
	dir->owners = NULL;
	dir->n_owners = 0;
}

/* Each domain NC head's fSMORoleOwner, normalised, as RAW has them. */
static void
owners_of(const struct dir_raw *raw, struct pdc_owner **ret, size_t *ret_n)
{
	struct pdc_owner *v = xcalloc(raw->nc_heads.n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < raw->nc_heads.n; i++) {
		const struct dir_entry *e = &raw->nc_heads.v[i];
		const struct dir_value *o = dir_entry_value(e, "fSMORoleOwner");
		char *nc = dir_dn_normalise(e->dn);

		if (nc == NULL)
			continue;
		v[n].nc = nc;
		v[n].owner = o != NULL ? dir_dn_normalise(o->data) : NULL;
		n++;
	}
	*ret = v;
	*ret_n = n;
}

static const char *
owner_of(const struct pdc_owner *v, size_t n, const char *nc)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].nc, nc) == 0)
			return v[i].owner != NULL ? v[i].owner : "";
	return NULL;
}

/* Did any domain's PDC role move since the last full read? Says which. */
static int
pdc_moved(const struct dmn_dir *dir, const struct dir_raw *raw)
{
	struct pdc_owner *now;
	size_t n;
	int moved = 0;

	owners_of(raw, &now, &n);
	for (size_t i = 0; i < n && !moved; i++) {
		const char *before = owner_of(dir->owners, dir->n_owners, now[i].nc);
		const char *after = now[i].owner != NULL ? now[i].owner : "";

		if (before != NULL && strcmp(before, after) != 0) {
			log_warn("PDC emulator of %s moved: %s -> %s", log_esc(now[i].nc).s,
				 log_esc(before).s, log_esc(after).s);
			moved = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(now[i].nc);
		free(now[i].owner);
	}
	free(now);
	return moved;
}

static void
log_forest(const struct forest *f)
{
	const struct dir_self *self = dir_forest_self(f);
	const struct dir_domain *dom = dir_forest_domain(f, (size_t)self->domain);
	const struct dir_site *site = dir_forest_site(f, (size_t)self->site);

	log_info("directory read from %s: %zu domain(s), %zu DC(s), %zu site(s); this machine: "
		 "%s, domain %s, site %s (%s)",
		 log_esc(dir_forest_read_from(f)).s, dir_forest_n_domains(f), dir_forest_n_dcs(f),
		 dir_forest_n_sites(f), dir_role_name(self->role),
		 dom != NULL ? log_esc(dom->name).s : "unknown",
		 site != NULL ? log_esc(site->name).s : "unknown", self->site_source);
	for (size_t i = 0; i < dir_forest_n_problems(f); i++)
		log_warn("directory problem: %s", dir_forest_problem(f, i));
}

static void
retry_later(struct dmn_dir *dir, const char *error)
{
	unsigned doublings = dir->failures < MAX_BACKOFF_DOUBLINGS ? dir->failures
								  : MAX_BACKOFF_DOUBLINGS;
	double delay = ldexp(dir->d->cfg->rediscover_backoff, (int)doublings);

	dir->failures++;
	snprintf(dir->last_error, sizeof(dir->last_error), "%s", error);
	log_err("directory discovery failed (%u in a row): %s; retrying in %.0f s", dir->failures,
		error, delay);
	timer_in(dir->retry_ev, delay);
}

/* A full read came back: a new picture, unless the read failed outright. */
static void
took_full(struct dmn_dir *dir, struct dir_raw *raw)
{
	const struct dir_identity *id = dir_discovery_identity(dir->disc);

	if (raw->read_from == NULL || raw->crossrefs.n == 0) {
		/* Keep the last good picture: half of one would pass for the whole. */
		retry_later(dir, raw->n_errors > 0 ? log_esc(raw->errors[0]).s
						   : "nothing could be read");
		return;
	}
	dir_forest_free(dir->forest);
	dir->forest = dir_forest_build(raw, id);
	owners_clear(dir);
	owners_of(raw, &dir->owners, &dir->n_owners);
	dmn_auth_self(dir->d, raw);
	dir->failures = 0;
	dir->last_error[0] = '\0';
	log_forest(dir->forest);
	dmn_apply_policy(dir->d, dir);
	log_info("time sources: %s", dir->choice.why);
}

static void
on_discovered(struct dir_raw *raw, void *arg)
{
	struct dmn_dir *dir = arg;
	enum dir_read what = dir->reading;
	struct timespec now;

	/* Time comes from the clock backend only: the worker leaves read_at. */
	clk_now(dir->d->clock, &now);
	raw->read_at = ts_to_double(&now);

	if (what == DIR_READ_FULL)
		took_full(dir, raw);
	else if (raw->read_from == NULL)
		log_warn("PDC check failed: %s",
			 raw->n_errors > 0 ? log_esc(raw->errors[0]).s : "nothing could be read");
	else if (pdc_moved(dir, raw))
		dir->full_wanted = 1;
	dir_raw_free(raw);
	if (dir->full_wanted) {
		dir->full_wanted = 0;
		(void)dmn_dir_rediscover(dir, "a read was asked for during another");
	}
}

static int
start_read(struct dmn_dir *dir, enum dir_read what)
{
	if (dir_discovery_start(dir->disc, what) < 0)
		return -1;
	dir->reading = what;
	return 0;
}

int
dmn_dir_rediscover(struct dmn_dir *dir, const char *why)
{
	if (start_read(dir, DIR_READ_FULL) < 0) {
		dir->full_wanted = 1;
		return -1;
	}
	log_info("reading the directory: %s", why);
	return 0;
}

static void
on_rediscover_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)dmn_dir_rediscover(arg, "rediscover_interval elapsed");
}

static void
on_retry_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)dmn_dir_rediscover(arg, "retrying after a failure");
}

static void
on_pdc_timer(evutil_socket_t fd, short what, void *arg)
{
	struct dmn_dir *dir = arg;

	(void)fd;
	(void)what;
	/* Busy with a full read: that one will see any transfer anyway. */
	if (dir->forest != NULL)
		(void)start_read(dir, DIR_READ_PDC_ONLY);
}

static struct timeval
timeval_of(double seconds)
{
	return (struct timeval){.tv_sec = (time_t)seconds,
				.tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6)};
}

/* Both periodic reads restart their interval from now. */
static void
arm_timers(struct dmn_dir *dir)
{
	struct timeval rediscover = timeval_of(dir->d->cfg->rediscover_interval);
	struct timeval pdc = timeval_of(dir->d->cfg->pdc_check_interval);

	event_add(dir->rediscover_ev, &rediscover);
	event_add(dir->pdc_ev, &pdc);
}

/* Is this machine in a domain: configured so, a Samba DC, or holding a machine keytab? */
static int
joined(const struct dmn *d)
{
	const struct cfg *cfg = d->cfg;
	const char *ktname = secure_getenv("KRB5_KTNAME");

	if (cfg->domain[0] != '\0' || cfg->ldap_uri.n > 0 || cfg->keytab[0] != '\0' ||
	    d->samba != NULL)
		return 1;
	return (ktname != NULL && ktname[0] != '\0') || access("/etc/krb5.keytab", R_OK) == 0;
}

static const char *
or_null(const char *s)
{
	return s[0] != '\0' ? s : NULL;
}

struct dmn_dir *
dmn_dir_new(struct dmn *d, char **ret_cause)
{
	const struct cfg *cfg = d->cfg;
	struct dir_config dc = {
		.domain = or_null(cfg->domain), .realm = or_null(cfg->realm),
		.keytab = or_null(cfg->keytab), .principal = or_null(cfg->principal),
		.ldap_uris = (const char *const *)cfg->ldap_uri.v,
		.bind = (enum dir_bind)cfg->ldap_bind,
		.bind_dn = or_null(cfg->ldap_bind_dn),
		.bind_password_file = or_null(cfg->ldap_bind_password_file),
		.nocanon = cfg->ldap_nocanon, .starttls = cfg->ldap_starttls,
		.tls_ca_file = or_null(cfg->ldap_tls_ca_file), .site = or_null(cfg->site),
		.timeout = cfg->ldap_timeout, .dns_server = or_null(cfg->dns_server),
	};
	char *samba_keytab = NULL;
	struct dmn_dir *dir;

	*ret_cause = NULL;
	if (!joined(d) || cfg->type == HIER_NTP + 1 || cfg->type == HIER_NOSYNC + 1)
		return NULL;
	/* A Samba DC reads its own directory with its own keys. */
	samba_keytab = dmn_samba_keytab(d);
	dc.keytab = samba_keytab;
	if (d->samba != NULL && dc.realm == NULL)
		dc.realm = d->samba->realm;
	dir = xcalloc(1, sizeof(*dir));
	dir->d = d;
	dir->disc = dir_discovery_new(d->base, &dc, on_discovered, dir, ret_cause);
	free(samba_keytab);
	dir->rediscover_ev = event_new(d->base, -1, EV_PERSIST, on_rediscover_timer, dir);
	dir->pdc_ev = event_new(d->base, -1, EV_PERSIST, on_pdc_timer, dir);
	dir->retry_ev = evtimer_new(d->base, on_retry_timer, dir);
	if (dir->disc == NULL || dir->rediscover_ev == NULL || dir->pdc_ev == NULL ||
	    dir->retry_ev == NULL) {
		if (*ret_cause == NULL)
			*ret_cause = xstrdup("cannot set up directory discovery");
		dmn_dir_free(dir);
		return NULL;
	}
	arm_timers(dir);
	(void)dmn_dir_rediscover(dir, "start-up");
	return dir;
}

void
dmn_dir_free(struct dmn_dir *dir)
{
	struct event **events[] = {&dir->rediscover_ev, &dir->pdc_ev, &dir->retry_ev};

	if (dir == NULL)
		return;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (*events[i] != NULL)
			event_free(*events[i]);
	if (dir->disc != NULL)
		dir_discovery_free(dir->disc);
	dir_forest_free(dir->forest);
	hier_choice_clear(&dir->choice);
	owners_clear(dir);
	free(dir);
}

void
dmn_dir_reconfigure(struct dmn_dir *dir)
{
	arm_timers(dir);
	(void)dmn_dir_rediscover(dir, "configuration reloaded");
}

/* ---- JSON for domtimectl ------------------------------------------------------------- */

static json_t *
name_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static json_t *
domain_name(const struct forest *f, int i)
{
	const struct dir_domain *d = i >= 0 ? dir_forest_domain(f, (size_t)i) : NULL;

	return name_or_null(d != NULL ? d->name : NULL);
}

static json_t *
site_name(const struct forest *f, int i)
{
	const struct dir_site *s = i >= 0 ? dir_forest_site(f, (size_t)i) : NULL;

	return name_or_null(s != NULL ? s->name : NULL);
}

static json_t *
dc_host(const struct forest *f, int i)
{
	const struct dir_dc *dc = i >= 0 ? dir_forest_dc(f, (size_t)i) : NULL;

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
domains_json(const struct forest *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < dir_forest_n_domains(f); i++) {
		const struct dir_domain *d = dir_forest_domain(f, i);

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

	if (!report_of(d, host, &r))
		return "not followed";
	return strcmp(r.state, "ok") == 0 ? r.verdict : r.state;
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
	const struct forest *f = dir->forest;
	json_t *a = json_array();

	for (size_t i = 0; i < dir_forest_n_dcs(f); i++) {
		const struct dir_dc *dc = dir_forest_dc(f, i);
		json_t *o = json_pack("{s:s, s:o, s:o, s:b, s:b, s:b, s:b}", "host", dc->host,
				      "domain", domain_name(f, dc->domain), "site",
				      site_name(f, dc->site), "pdc", dc->pdc, "rodc", dc->rodc,
				      "gc", dc->gc, "chosen", chosen_dc(dir, i));

		json_object_set_new(o, "ping_flags",
				    dc->ping_answered ? json_integer(dc->ping_flags) : json_null());
		json_object_set_new(o, "auth", auth_of(dir->d, dc->host));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
self_json(const struct forest *f)
{
	const struct dir_self *s = dir_forest_self(f);

	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:s}", "name", name_or_null(s->name), "fqdn",
			 name_or_null(s->fqdn), "domain", domain_name(f, s->domain), "site",
			 site_name(f, s->site), "site_source", s->site_source, "role",
			 dir_role_name(s->role));
}

static json_t *
problems_json(const struct forest *f)
{
	json_t *a = json_array();

	for (size_t i = 0; i < dir_forest_n_problems(f); i++)
		json_array_append_new(a, json_string(dir_forest_problem(f, i)));
	return a;
}

static json_t *
discovery_json(const struct dmn_dir *dir)
{
	return json_pack("{s:b, s:i, s:o}", "busy", dir_discovery_busy(dir->disc), "failures",
			 dir->failures, "last_error",
			 dir->last_error[0] ? json_string(dir->last_error) : json_null());
}

json_t *
dmn_dir_hierarchy_json(const struct dmn_dir *dir)
{
	const struct forest *f;

	if (dir == NULL)
		return json_pack("{s:{s:n, s:n, s:n, s:n, s:s, s:s}, s:[], s:[], s:n, s:n, s:[], s:s}",
				 "self", "name", "fqdn", "domain", "site", "site_source",
				 "not in a domain", "role", "standalone", "domains", "dcs",
				 "read_at", "read_from", "problems", "why",
				 "not in a domain: no directory to read");
	if (dir->forest == NULL)
		return json_pack("{s:{s:n, s:n, s:n, s:n, s:s, s:s}, s:[], s:[], s:n, s:n, s:[], "
				 "s:o}",
				 "self", "name", "fqdn", "domain", "site", "site_source",
				 "not read yet", "role", "standalone", "domains", "dcs", "read_at",
				 "read_from", "problems", "discovery", discovery_json(dir));
	f = dir->forest;
	return json_pack("{s:o, s:o, s:o, s:f, s:o, s:o, s:o, s:o, s:s}", "self", self_json(f),
			 "domains", domains_json(f), "dcs", dcs_json(dir), "read_at",
			 dir_forest_read_at(f), "read_from", name_or_null(dir_forest_read_from(f)),
			 "parent_domain", domain_name(f, dir->choice.parent_domain), "problems",
			 problems_json(f), "discovery", discovery_json(dir), "why",
			 dir->choice.why);
}

static json_t *
candidate_json(const struct dmn *d, const struct forest *f, const struct hier_candidate *c)
{
	const struct dir_dc *dc = dir_forest_dc(f, (size_t)c->dc);

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
	enum hier_use use = dir != NULL && dir->forest != NULL ? dir->choice.use
							      : use_without_forest(d, dir);

	if (use == HIER_USE_MANUAL)
		manual_json(d, dir != NULL && dir->forest != NULL ? dir->choice.why
								  : "manual list (ntp_server)",
			    a);
	if (dir == NULL || dir->forest == NULL)
		return a;
	for (size_t i = 0; i < dir->choice.n_cands; i++)
		json_array_append_new(a, candidate_json(d, dir->forest, &dir->choice.cands[i]));
	return a;
}

/*
 * directory.c - the discovery schedule: a full read of the directory at
 * start-up, every rediscover_interval, on demand and after failures (with
 * back-off); a cheap check of who holds the PDC roles in between. Each
 * good full read gives a new forest picture and the policy is applied to it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "../ldap/samba.h"
#include "auth.h"
#include "dir_private.h"
#include "directory.h"
#include "dmn_private.h"
#include "samba_dc.h"

/* Back-off doublings after failed discoveries (W32Time ResolvePeerBackoffMaxTimes). */
#define MAX_BACKOFF_DOUBLINGS 7

/* Did any domain's PDC role move since the last full read? Says which. */
static int
pdc_moved(const struct dmn_dir *dir, const struct dir_pdc_owners *now)
{
	const char *nc, *before, *after;
	int moved =
	    dir->owners != NULL && dir_pdc_owners_moved(dir->owners, now, &nc, &before, &after);

	if (moved)
		log_warn("PDC emulator of %s moved: %s -> %s", log_esc(nc).s, log_esc(before).s,
		         log_esc(after).s);
	return moved;
}

static void
log_forest(const struct hier_forest *f, const struct dir_result *r)
{
	const struct hier_self *self = hier_forest_self(f);
	const struct hier_domain *dom = hier_forest_domain(f, (size_t)self->domain);
	const struct hier_site *site = hier_forest_site(f, (size_t)self->site);

	log_info("directory read from %s: %zu domain(s), %zu DC(s), %zu site(s), %zu subnet(s) "
	         "in %.3f s (%zu entries, %zu octets, %zu pages; built in %.3f s); this "
	         "machine: %s, domain %s, site %s (%s)",
	         log_esc(hier_forest_read_from(f)).s, hier_forest_n_domains(f),
	         hier_forest_n_dcs(f), hier_forest_n_sites(f), hier_forest_n_subnets(f), r->seconds,
	         r->entries, r->bytes, r->pages, r->build_seconds, hier_role_name(self->role),
	         dom != NULL ? log_esc(dom->name).s : "unknown",
	         site != NULL ? log_esc(site->name).s : "unknown", self->site_source);
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		log_warn("directory problem: %s", hier_forest_problem(f, i));
}

static double
clock_now(const struct dmn_dir *dir)
{
	struct timespec now;

	clk_now(dir->d->clock, &now);
	return ts_to_double(&now);
}

static void
retry_later(struct dmn_dir *dir, const char *error)
{
	unsigned doublings =
	    dir->failures < MAX_BACKOFF_DOUBLINGS ? dir->failures : MAX_BACKOFF_DOUBLINGS;
	double delay = ldexp(dir->d->cfg->rediscover_backoff, (int)doublings);

	dir->failures++;
	dir->read_errors++;
	snprintf(dir->last_error, sizeof(dir->last_error), "%s", error);
	log_err("directory discovery failed (%u in a row): %s; retrying in %.0f s", dir->failures,
	        error, delay);
	loop_arm(dir->retry_ev, delay);
}

/*
 * A full read came back: a new picture, unless the read failed outright or
 * stopped short at a limit. Either way the last good picture stays: half of
 * one would pass for the whole.
 */
static void
took_full(struct dmn_dir *dir, struct dir_result *r, double now)
{
	snprintf(dir->incomplete, sizeof(dir->incomplete), "%s",
	         r->incomplete != NULL ? r->incomplete : "");
	if (r->incomplete != NULL) {
		/* The worker builds no picture of a read cut short: half of one would pass for the
		 * whole. */
		retry_later(dir, log_esc(r->incomplete).s);
		return;
	}
	if (r->forest == NULL) {
		retry_later(dir, r->error != NULL ? log_esc(r->error).s : "nothing could be read");
		return;
	}
	/* The worker never reads the daemon's clock: the picture is stamped on arrival. */
	hier_forest_set_read_at(r->forest, now);
	dir_discovery_retire(dir->disc, dir->forest);
	dir->forest = r->forest;
	r->forest = NULL;
	dir_pdc_owners_free(dir->owners);
	dir->owners = r->owners;
	r->owners = NULL;
	dmn_auth_self(dir->d, r->self_rid);
	dir->failures = 0;
	dir->last_error[0] = '\0';
	log_forest(dir->forest, r);
	dmn_apply_policy(dir->d, dir);
	log_info("time sources: %s (the loop took the picture in %.3f ms)", dir->choice.why,
	         1e3 * (clock_now(dir) - now));
}

static void
on_discovered(struct dir_result *r, void *arg)
{
	struct dmn_dir *dir = arg;

	if (r->what == DIR_READ_FULL) {
		dir->reads++;
		dir->last_read_seconds = r->seconds;
		/* Time comes from the clock backend only. */
		took_full(dir, r, clock_now(dir));
	} else if (r->read_from == NULL || r->incomplete != NULL)
		log_warn("PDC check failed: %s",
		         r->error != NULL ? log_esc(r->error).s : "nothing could be read");
	else if (pdc_moved(dir, r->owners))
		dir->full_wanted = 1;
	dir_result_free(r);
	if (dir->full_wanted) {
		dir->full_wanted = 0;
		(void)dmn_dir_rediscover(dir, "a read was asked for during another");
	}
}

static int
start_read(struct dmn_dir *dir, enum dir_read what)
{
	if (dir->disc == NULL || dir_discovery_start(dir->disc, what) < 0)
		return -1;
	dir->reading = what;
	return 0;
}

/* Does the configured type read the directory (not ntp or nosync)? */
static int
type_reads(const struct dmn_dir *dir)
{
	return hier_type_reads_directory((enum hier_type)dir->d->cfg->type);
}

int
dmn_dir_rediscover(struct dmn_dir *dir, const char *why)
{
	if (!type_reads(dir))
		return -1;
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

/* Both periodic reads restart their interval from now. */
static void
arm_timers(struct dmn_dir *dir)
{
	loop_arm(dir->rediscover_ev, dir->d->cfg->rediscover_interval);
	loop_arm(dir->pdc_ev, dir->d->cfg->pdc_check_interval);
}

/* Is this machine in a domain: configured so, a Samba DC, or holding a machine keytab? */
static int
joined(const struct dmn *d, const struct cfg *cfg)
{
	const char *ktname = secure_getenv("KRB5_KTNAME");

	if (cfg->domain[0] != '\0' || cfg->ldap_uri.n > 0 || cfg->keytab[0] != '\0' ||
	    d->samba != NULL)
		return 1;
	return (ktname != NULL && ktname[0] != '\0') || access("/etc/krb5.keytab", R_OK) == 0;
}

int
dmn_dir_wanted(const struct dmn *d, const struct cfg *cfg)
{
	return joined(d, cfg) && hier_type_reads_directory((enum hier_type)cfg->type);
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
	    .domain = or_null(cfg->domain),
	    .realm = or_null(cfg->realm),
	    .keytab = or_null(cfg->keytab),
	    .principal = or_null(cfg->principal),
	    .ldap_uris = (const char *const *)cfg->ldap_uri.v,
	    .bind = (enum dir_bind)cfg->ldap_bind,
	    .bind_dn = or_null(cfg->ldap_bind_dn),
	    .bind_password_file = or_null(cfg->ldap_bind_password_file),
	    .nocanon = cfg->ldap_nocanon,
	    .starttls = cfg->ldap_starttls,
	    .tls_ca_file = or_null(cfg->ldap_tls_ca_file),
	    .site = or_null(cfg->site),
	    .timeout = cfg->ldap_timeout,
	    .limits = {.max_entries = (size_t)cfg->ldap_max_entries,
	               .max_bytes = (size_t)cfg->ldap_max_bytes,
	               .max_pages = (size_t)cfg->ldap_max_pages,
	               .timeout = cfg->discovery_timeout},
	    .dns_server = or_null(cfg->dns_server),
	};
	char *samba_keytab;
	struct dmn_dir *dir;

	*ret_cause = NULL;
	if (!dmn_dir_wanted(d, cfg))
		return NULL;
	/* The keys stay in memory for the daemon's life: keep them out of core files. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		*ret_cause = xasprintf("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return NULL;
	}
	/* A Samba DC reads its own directory with its own keys. */
	samba_keytab = dmn_samba_keytab(d);
	dc.keytab = samba_keytab;
	if (d->samba != NULL && dc.realm == NULL)
		dc.realm = d->samba->realm;
	dir = xcalloc(1, sizeof(*dir));
	dir->d = d;
	dir->last_read_seconds = NAN;
	dir->rediscover_ev = loop_event_new(d->base, -1, EV_PERSIST, on_rediscover_timer, dir);
	dir->pdc_ev = loop_event_new(d->base, -1, EV_PERSIST, on_pdc_timer, dir);
	dir->retry_ev = loop_timer_new(d->base, on_retry_timer, dir);
	dir->disc = dir_discovery_new(d->base, &dc, on_discovered, dir, &dir->unavailable);
	free(samba_keytab);
	if (dir->disc == NULL)
		log_err("directory discovery cannot run: %s; serving NTP and following ntp_server "
		        "meanwhile; restart domtimed once this is fixed",
		        log_esc(dir->unavailable).s);
	return dir;
}

void
dmn_dir_start(struct dmn_dir *dir)
{
	if (dir == NULL || dir->disc == NULL)
		return;
	arm_timers(dir);
	(void)dmn_dir_rediscover(dir, "start-up");
}

void
dmn_dir_health(const struct dmn_dir *dir, struct dmn_dir_health *ret)
{
	*ret = (struct dmn_dir_health){
	    .have_forest = dir->forest != NULL,
	    .failures = dir->failures,
	    .last_error = dir->last_error[0] != '\0' ? dir->last_error : NULL,
	    .why = dir->forest != NULL ? dir->choice.why : NULL,
	    .reads = dir->reads,
	    .read_errors = dir->read_errors,
	    .last_read_seconds = dir->last_read_seconds,
	};
}

const struct dir_identity *
dmn_dir_identity(const struct dmn_dir *dir)
{
	return dir != NULL && dir->disc != NULL ? dir_discovery_identity(dir->disc) : NULL;
}

const char *
dmn_dir_unavailable(const struct dmn_dir *dir)
{
	return dir != NULL ? dir->unavailable : NULL;
}

void
dmn_dir_free(struct dmn_dir *dir)
{
	if (dir == NULL)
		return;
	loop_event_free(&dir->rediscover_ev);
	loop_event_free(&dir->pdc_ev);
	loop_event_free(&dir->retry_ev);
	if (dir->disc != NULL)
		dir_discovery_free(dir->disc);
	hier_forest_free(dir->forest); /* at exit: the loop has no more NTP to answer */
	hier_choice_clear(&dir->choice);
	dir_pdc_owners_free(dir->owners);
	free(dir->unavailable);
	free(dir);
}

void
dmn_dir_reconfigure(struct dmn_dir *dir)
{
	if (dir->disc == NULL)
		return;
	if (!type_reads(dir)) {
		/* type = ntp or nosync now: the last picture stays for 'hierarchy', unrefreshed. */
		event_del(dir->rediscover_ev);
		event_del(dir->pdc_ev);
		event_del(dir->retry_ev);
		log_info("type %s: the directory is no longer read",
		         hier_type_name((enum hier_type)dir->d->cfg->type));
		return;
	}
	arm_timers(dir);
	(void)dmn_dir_rediscover(dir, "configuration reloaded");
}

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
#include "dir_private.h"
#include "directory.h"
#include "dmn_private.h"

/* Back-off doublings after failed discoveries (W32Time ResolvePeerBackoffMaxTimes). */
#define MAX_BACKOFF_DOUBLINGS 7

/* Did any domain's PDC role move since the last full read? Says which. */
static int
pdc_moved(const struct dmn_dir *dir, const struct dir_raw *raw)
{
	struct dir_pdc_owners *now = dir_pdc_owners_read(raw);
	const char *nc, *before, *after;
	int moved =
	    dir->owners != NULL && dir_pdc_owners_moved(dir->owners, now, &nc, &before, &after);

	if (moved)
		log_warn("PDC emulator of %s moved: %s -> %s", log_esc(nc).s, log_esc(before).s,
		         log_esc(after).s);
	dir_pdc_owners_free(now);
	return moved;
}

static void
log_forest(const struct hier_forest *f)
{
	const struct hier_self *self = hier_forest_self(f);
	const struct hier_domain *dom = hier_forest_domain(f, (size_t)self->domain);
	const struct hier_site *site = hier_forest_site(f, (size_t)self->site);

	log_info("directory read from %s: %zu domain(s), %zu DC(s), %zu site(s); this machine: "
	         "%s, domain %s, site %s (%s)",
	         log_esc(hier_forest_read_from(f)).s, hier_forest_n_domains(f),
	         hier_forest_n_dcs(f), hier_forest_n_sites(f), hier_role_name(self->role),
	         dom != NULL ? log_esc(dom->name).s : "unknown",
	         site != NULL ? log_esc(site->name).s : "unknown", self->site_source);
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		log_warn("directory problem: %s", hier_forest_problem(f, i));
}

static void
retry_later(struct dmn_dir *dir, const char *error)
{
	unsigned doublings =
	    dir->failures < MAX_BACKOFF_DOUBLINGS ? dir->failures : MAX_BACKOFF_DOUBLINGS;
	double delay = ldexp(dir->d->cfg->rediscover_backoff, (int)doublings);

	dir->failures++;
	snprintf(dir->last_error, sizeof(dir->last_error), "%s", error);
	log_err("directory discovery failed (%u in a row): %s; retrying in %.0f s", dir->failures,
	        error, delay);
	loop_arm(dir->retry_ev, delay);
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
	hier_forest_free(dir->forest);
	dir->forest = dir_forest_build(raw, id);
	dir_pdc_owners_free(dir->owners);
	dir->owners = dir_pdc_owners_read(raw);
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

/* Is this machine in a domain: configured so, or holding a machine keytab? */
static int
joined(const struct cfg *cfg)
{
	const char *ktname = secure_getenv("KRB5_KTNAME");

	if (cfg->domain[0] != '\0' || cfg->ldap_uri.n > 0 || cfg->keytab[0] != '\0')
		return 1;
	return (ktname != NULL && ktname[0] != '\0') || access("/etc/krb5.keytab", R_OK) == 0;
}

int
dmn_dir_wanted(const struct cfg *cfg)
{
	return joined(cfg) && hier_type_reads_directory((enum hier_type)cfg->type);
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
	    .dns_server = or_null(cfg->dns_server),
	};
	struct dmn_dir *dir;

	*ret_cause = NULL;
	if (!dmn_dir_wanted(cfg))
		return NULL;
	/* The keys stay in memory for the daemon's life: keep them out of core files. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		*ret_cause = xasprintf("prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return NULL;
	}
	dir = xcalloc(1, sizeof(*dir));
	dir->d = d;
	dir->rediscover_ev = loop_event_new(d->base, -1, EV_PERSIST, on_rediscover_timer, dir);
	dir->pdc_ev = loop_event_new(d->base, -1, EV_PERSIST, on_pdc_timer, dir);
	dir->retry_ev = loop_timer_new(d->base, on_retry_timer, dir);
	dir->disc = dir_discovery_new(d->base, &dc, on_discovered, dir, &dir->unavailable);
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
	hier_forest_free(dir->forest);
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

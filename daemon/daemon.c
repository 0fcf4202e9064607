/*
 * daemon.c - start-up order, signals, reload and shutdown.
 */
#include <errno.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "../hierarchy/hierarchy.h"
#include "daemon.h"
#include "directory.h"
#include "dmn_private.h"
#include "auth.h"
#include "samba_dc.h"
#include "metrics.h"

/* Seconds between looks for state changes to log and tell systemd (watch.c). */
#define WATCH_INTERVAL_S 1.0

struct ntp_srv_options
dmn_server_options(const struct cfg *cfg)
{
	return (struct ntp_srv_options){
	    .ratelimit = cfg->ratelimit,
	    .rl = {.interval = cfg->ratelimit_interval,
	           .burst = (unsigned)cfg->ratelimit_burst,
	           .leak = (unsigned)cfg->ratelimit_leak,
	           .ipv4_prefix = cfg->ratelimit_ipv4_prefix,
	           .ipv6_prefix = cfg->ratelimit_ipv6_prefix},
	    .ratelimit_kod = cfg->ratelimit_kod,
	    .client_table_size = (size_t)cfg->client_table_size,
	};
}

struct ntp_client_options
dmn_client_options(const struct cfg *cfg)
{
	struct ntp_client_options o = {
	    .min_poll = cfg->min_poll,
	    .max_poll = cfg->max_poll,
	    .special_poll_interval = cfg->special_poll_interval,
	    .refused_retry = cfg->refused_retry,
	    .max_distance = cfg->max_distance,
	    .holdover_period = cfg->holdover_period,
	    .drift_file = cfg->drift_file[0] != '\0' ? cfg->drift_file : NULL,
	    .drift_interval = 3600.0,
	    .reliable = cfg->reliable,
	    .local_stratum = cfg->local_stratum,
	};

	ntp_dsc_default_params(&o.discipline);
	o.discipline.step_threshold = cfg->step_threshold;
	o.discipline.max_pos_correction = cfg->max_pos_phase_correction;
	o.discipline.max_neg_correction = cfg->max_neg_phase_correction;
	return o;
}

static int
make_clock(struct dmn *d, char **ret_cause)
{
	int r;

	if (d->cfg->clock == CLK_VIRTUAL) {
		d->clock = clk_new_virtual(d->cfg->clock_offset, d->cfg->clock_freq_ppm);
		return 0;
	}
	r = clk_new_system(&d->clock);
	if (r < 0)
		*ret_cause = xasprintf("cannot read the system clock: %s", strerror(-r));
	return r;
}

/*
 * A resolver on the loop for source names (numeric addresses never need
 * it): dns_server when configured, else /etc/resolv.conf; /etc/hosts too.
 */
static struct evdns_base *
make_resolver(struct event_base *base, const char *dns_server)
{
	struct evdns_base *dns = evdns_base_new(base, 0);
	int r;

	if (dns == NULL)
		return NULL;
	if (dns_server[0] != '\0') {
		r = evdns_base_nameserver_ip_add(dns, dns_server);
		if (evdns_base_load_hosts(dns, NULL) != 0)
			log_warn("DNS: cannot read /etc/hosts");
	} else {
		r = evdns_base_resolv_conf_parse(dns, DNS_OPTIONS_ALL, "/etc/resolv.conf");
	}
	if (r != 0)
		log_warn("DNS: cannot use %s (error %d): only numeric addresses and /etc/hosts "
		         "will resolve",
		         dns_server[0] != '\0' ? dns_server : "/etc/resolv.conf", r);
	return dns;
}

/* The client lost its sources for good: the hierarchy should look again. */
static void
on_holdover_expired(void *arg)
{
	struct dmn *d = arg;

	if (d->dir != NULL)
		(void)dmn_dir_rediscover(d->dir, "holdover_period expired without a sample");
}

static void
on_all_unreachable(void *arg)
{
	struct dmn *d = arg;

	if (d->dir != NULL)
		(void)dmn_dir_rediscover(d->dir, "every source failed its last 8 polls");
}

static int
make_client(struct dmn *d, char **ret_cause)
{
	struct ntp_client_options o = dmn_client_options(d->cfg);
	struct ntp_client_hooks hooks = {.holdover_expired = on_holdover_expired,
	                                 .all_unreachable = on_all_unreachable,
	                                 .arg = d};

	ntp_ref_set_none(&d->ref);
	d->dns = make_resolver(d->base, d->cfg->dns_server);
	d->client = ntp_client_new(d->base, d->dns, d->clock, &d->ref, &o, &hooks, ret_cause);
	return d->client != NULL ? 0 : -1;
}

/*
 * Directory discovery when in a domain; then the sources the policy calls
 * for. Discovery that cannot start (no keytab, say) is not fatal: NTP keeps
 * serving and following the manual list, and status says why
 * (dmn_dir_unavailable).
 */
static int
make_directory(struct dmn *d, char **ret_cause)
{
	d->dir = dmn_dir_new(d, ret_cause);
	if (d->dir == NULL && *ret_cause != NULL)
		return -1;
	dmn_apply_policy(d, d->dir);
	return 0;
}

static int
open_listeners(struct dmn *d, char **ret_cause)
{
	for (size_t i = 0; i < d->cfg->listen.n; i++) {
		const struct cfg_addr *a = &d->cfg->listen.v[i];
		int r = ntp_srv_listen(d->srv, (const struct sockaddr *)&a->ss, a->len, ret_cause);

		if (r < 0)
			return r;
		log_info("serving NTP on %s", a->text);
	}
	return 0;
}

/*
 * The control socket's directory, when missing: systemd makes /run/domtimed
 * (RuntimeDirectory=), but a daemon started by hand or by another init must
 * not fail for want of it. One level only: a deeper missing path is a typo.
 */
static int
make_socket_dir(const char *socket_path, char **ret_cause)
{
	char *dir = xstrdup(socket_path);
	char *slash = strrchr(dir, '/');
	int r = 0;

	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			*ret_cause =
			    xasprintf("control socket directory %s: %s", dir, strerror(errno));
			r = -1;
		}
	}
	free(dir);
	return r;
}

/* ---- reload ---------------------------------------------------------------- */

static void
note_change(const char *key, int needs_restart, void *arg)
{
	(void)arg;
	if (needs_restart)
		log_warn("reload: '%s' changed; it takes effect at the next restart", key);
	else
		log_info("reload: '%s' changed", key);
}

int
dmn_reload(struct dmn *d, char **ret_cause)
{
	struct cfg_errors errs = {0};
	struct cfg *next = cfg_load(d->config_path, d->config_optional, &errs);

	if (errs.n > 0) {
		for (size_t i = 0; i < errs.n; i++)
			log_err("%s", errs.msgs[i]);
		*ret_cause = xasprintf("%zu error(s) in %s (first: %s); kept the running "
		                       "configuration",
		                       errs.n, d->config_path, errs.msgs[0]);
		log_err("reload: %s", *ret_cause);
		cfg_errors_clear(&errs);
		cfg_free(next);
		return -1;
	}
	if (d->dir == NULL && dmn_dir_wanted(d, next)) {
		/* The keytab is read as root, before privileges are dropped: only at start. */
		*ret_cause = xasprintf("type %s reads the directory, which domtimed opens only at "
		                       "start: restart it to apply this; kept the running "
		                       "configuration",
		                       hier_type_name((enum hier_type)next->type));
		log_err("reload: %s", *ret_cause);
		cfg_free(next);
		return -1;
	}
	cfg_diff(d->cfg, next, note_change, NULL);
	/*
	 * Every module copied what it needs at start, so swapping the whole
	 * configuration is safe; keys marked restart keep running as they
	 * were until then (note_change said so).
	 */
	cfg_free(d->cfg);
	d->cfg = next;
	log_set_level((enum log_level)d->cfg->log_level);
	dmn_apply_policy(d, d->dir);
	if (d->dir != NULL)
		dmn_dir_reconfigure(d->dir);
	log_info("reloaded %s", d->config_path);
	return 0;
}

/* ---- events ------------------------------------------------------------------ */

static void
on_terminate(evutil_socket_t sig, short what, void *arg)
{
	struct dmn *d = arg;

	(void)what;
	log_info("%s: shutting down", strsignal(sig));
	(void)sd_notify(0, "STOPPING=1");
	event_base_loopexit(d->base, NULL);
}

static void
on_hangup(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	char *cause = NULL;

	(void)sd_notify(0, "RELOADING=1");
	(void)dmn_reload(arg, &cause);
	free(cause);
	(void)sd_notify(0, "READY=1");
}

static void
on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	(void)sd_notify(0, "WATCHDOG=1");
}

static void
on_watch(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	dmn_watch(arg);
}

static int
add_signal(struct dmn *d, struct event **ev, int sig, event_callback_fn fn)
{
	*ev = loop_event_new(d->base, sig, EV_SIGNAL | EV_PERSIST, fn, d);
	return loop_watch(*ev);
}

/* Ping systemd's watchdog at half the interval it asked for. */
static void
start_watchdog(struct dmn *d)
{
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	d->watchdog = loop_event_new(d->base, -1, EV_PERSIST, on_watchdog, d);
	loop_arm(d->watchdog, (double)(usec / 2) * 1e-6);
}

static struct event_base *
new_base(void)
{
	struct event_config *ec = event_config_new();
	struct event_base *base;

	if (ec == NULL)
		return NULL;
	/* Poll timers to the microsecond, not to the coarse clock's millisecond tick. */
	event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
	base = event_base_new_with_config(ec);
	event_config_free(ec);
	return base;
}

/* ---- lifecycle ----------------------------------------------------------------- */

struct dmn *
dmn_new(struct cfg *cfg, const char *config_path, int optional, char **ret_cause)
{
	struct dmn *d = xcalloc(1, sizeof(*d));
	struct ntp_srv_options opts = dmn_server_options(cfg);
	const struct ctl_command *commands;
	size_t n_commands;

	d->cfg = cfg;
	d->config_path = xstrdup(config_path);
	d->config_optional = optional;
	clk_monotonic(&d->started);
	d->base = new_base();
	if (d->base == NULL) {
		*ret_cause = xstrdup("cannot create the event loop");
		return dmn_free(d);
	}
	if (make_clock(d, ret_cause) < 0 || make_client(d, ret_cause) < 0)
		return dmn_free(d);
	d->srv = ntp_srv_new(d->base, d->clock, &d->ref, &opts);
	if (open_listeners(d, ret_cause) < 0)
		return dmn_free(d);
	dmn_samba_start(d);
	if (make_directory(d, ret_cause) < 0)
		return dmn_free(d);
	dmn_auth_start(d);
	if (make_socket_dir(cfg->control_socket, ret_cause) < 0)
		return dmn_free(d);
	commands = dmn_commands(&n_commands);
	d->ctl = ctl_new(d->base, cfg->control_socket, cfg->control_socket_mode, commands,
	                 n_commands, d, ret_cause);
	if (d->ctl == NULL)
		return dmn_free(d);
	if (cfg->metrics_listen[0] != '\0' &&
	    (d->metrics = metrics_http_new(d->base, cfg->metrics_listen, d, ret_cause)) == NULL)
		return dmn_free(d);
	if (add_signal(d, &d->sig_term, SIGTERM, on_terminate) < 0 ||
	    add_signal(d, &d->sig_int, SIGINT, on_terminate) < 0 ||
	    add_signal(d, &d->sig_hup, SIGHUP, on_hangup) < 0) {
		*ret_cause = xstrdup("cannot set up signal events");
		return dmn_free(d);
	}
	start_watchdog(d);
	/* A client that hangs up mid-answer must not kill the daemon. */
	signal(SIGPIPE, SIG_IGN);
	return d;
}

int
dmn_run(struct dmn *d)
{
	log_info("clock %s, %zu source(s), %s, precision 2^%d s",
	         clk_kind_name(clk_get_kind(d->clock)), ntp_client_n_sources(d->client),
	         d->ref.kind == NTP_REF_LOCAL ? "serving the local clock as reliable"
	                                      : "unsynchronised so far",
	         ntp_srv_precision(d->srv));
	dmn_dir_start(d->dir);
	(void)sd_notify(0, "READY=1");
	dmn_watch(d);
	d->watch_ev = loop_event_new(d->base, -1, EV_PERSIST, on_watch, d);
	loop_arm(d->watch_ev, WATCH_INTERVAL_S);
	if (event_base_dispatch(d->base) < 0) {
		log_err("event loop failed");
		return 1;
	}
	return d->exit_status;
}

struct dmn *
dmn_free(struct dmn *d)
{
	if (d == NULL)
		return NULL;
	loop_event_free(&d->sig_term);
	loop_event_free(&d->sig_int);
	loop_event_free(&d->sig_hup);
	loop_event_free(&d->watchdog);
	loop_event_free(&d->watch_ev);
	metrics_http_free(d->metrics);
	ctl_free(d->ctl);
	dmn_dir_free(d->dir);
	dmn_samba_free(d);
	dmn_auth_free(d);
	ntp_srv_free(d->srv);
	ntp_client_free(d->client);
	if (d->dns != NULL)
		evdns_base_free(d->dns, 1);
	clk_free(d->clock);
	if (d->base != NULL)
		event_base_free(d->base);
	cfg_free(d->cfg);
	free(d->config_path);
	free(d);
	return NULL;
}

/*
 * dmn_private.h - the daemon's state, shared by daemon.c and the control
 * command handlers in commands.c; nothing else includes it.
 */
#ifndef DOMTIMED_DMN_PRIVATE_H
#define DOMTIMED_DMN_PRIVATE_H

#include <stddef.h>
#include <time.h>

#include "../ntp/client.h"
#include "../ntp/clock.h"
#include "../ntp/reference.h"
#include "../ntp/server.h"
#include "config.h"
#include "control.h"

struct event;
struct event_base;
struct evdns_base;
struct dmn_dir;
struct samba_dc;
struct metrics_http;

/* What the state was at the last look (watch.c), to log and notify changes once. */
struct dmn_watch {
	char source[128]; /* followed: host, "local clock" or "" */
	unsigned steps;
	const char *role;               /* NULL before the first look */
	unsigned long long read_errors; /* failed directory reads */
	char reason[512];               /* "" when all is well */
	char status[768];               /* the STATUS= line sent last */
};

struct dmn {
	struct cfg *cfg;
	char *config_path;
	int config_optional; /* a missing file means the defaults (cfg_load) */
	struct event_base *base;
	struct clk *clock;
	struct evdns_base *dns;
	struct ntp_ref ref; /* what we claim about our time; the client writes, the server reads */
	struct ntp_client *client;
	struct ntp_srv *srv;
	struct ntp_keys *keys;    /* key_file, NULL when none (read at start only) */
	struct nts_srv *nts;      /* NTS server, NULL unless nts_server_cert is set */
	struct dmn_dir *dir;      /* NULL outside a domain */
	struct samba_dc *samba;   /* this machine is a Samba AD DC (samba_dc.c); else NULL */
	struct mssntp_auth *auth; /* MS-SNTP as a client (auth.c); NULL: mssntp = no */
	struct ctl *ctl;
	struct metrics_http *metrics; /* NULL unless metrics_listen is set */
	struct event *sig_term, *sig_int, *sig_hup, *watchdog, *watch_ev;
	struct dmn_watch watch;
	struct timespec started; /* monotonic */
	int exit_status;
};

/*
 * Re-read the configuration file and apply what can change at run time.
 * On errors nothing changes: returns -1 with an allocated *RET_CAUSE.
 */
int dmn_reload(struct dmn *d, char **ret_cause);

/* Options for the server and the client as the configuration gives them. */
struct ntp_srv_options dmn_server_options(const struct cfg *cfg);
struct ntp_client_options dmn_client_options(const struct cfg *cfg);

/* The control commands (commands.c). */
const struct ctl_command *dmn_commands(size_t *ret_n);
/*
 * Why the clock is not synchronised or what is degraded, written into BUF
 * and returned; NULL when all is well (commands.c, from health.h).
 */
const char *dmn_reason(const struct dmn *d, const struct ntp_client_status *cs, char *buf,
                       size_t size);
/* Log what changed since the last call, once, and tell systemd (watch.c). */
void dmn_watch(struct dmn *d);

#endif

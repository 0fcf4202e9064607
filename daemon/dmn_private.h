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

struct dmn {
	struct cfg *cfg;
	char *config_path;
	struct event_base *base;
	struct clk *clock;
	struct evdns_base *dns;
	struct ntp_ref ref; /* what we claim about our time; the client writes, the server reads */
	struct ntp_client *client;
	struct ntp_srv *srv;
	struct dmn_dir *dir; /* NULL outside a domain */
	struct samba_dc *samba; /* this machine is a Samba AD DC (samba_dc.c); else NULL */
	struct mssntp_auth *auth; /* MS-SNTP as a client (auth.c); NULL: mssntp = no */
	struct ctl *ctl;
	struct event *sig_term, *sig_int, *sig_hup, *watchdog;
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

#endif

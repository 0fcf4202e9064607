/*
 * samba_dc.c - what a Samba AD DC calls for: signing and the signd check.
 */
#include <stdlib.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "../ldap/samba.h"
#include "dmn_private.h"
#include "privs.h"
#include "samba_dc.h"

/* The ntp_signd directory: configured, else the Samba DC's; NULL: do not sign. */
static const char *
signd_dir(const struct dmn *d)
{
	if (d->cfg->ntp_signd_socket_dir[0] != '\0')
		return d->cfg->ntp_signd_socket_dir;
	return d->samba != NULL ? d->samba->signd_dir : NULL;
}

/*
 * Why the daemon's user cannot reach ntp_signd's socket in DIR, or NULL. The
 * user is the one it runs as or will once it drops root (by default
 * domtimed, not the root that starts it); "" is this process.
 */
static char *
signd_problem(const struct dmn *d, const char *dir)
{
	const char *user = privs_user(d->cfg->user);

	return samba_signd_access_problem(dir, user != NULL ? user : "");
}

void
dmn_samba_start(struct dmn *d)
{
	struct samba_dc dc;
	const char *dir;
	char *sock, *problem;

	if (d->cfg->samba_conf[0] != '\0' && samba_dc_detect(d->cfg->samba_conf, &dc) == 1) {
		d->samba = xmalloc(sizeof(*d->samba));
		*d->samba = dc;
		log_info("%s: a Samba AD DC of %s (private dir %s, ntp_signd in %s)",
		         d->cfg->samba_conf, dc.realm, dc.private_dir ? dc.private_dir : "unknown",
		         dc.signd_dir ? dc.signd_dir : "unknown");
	}
	dir = signd_dir(d);
	if (dir == NULL) {
		if (d->samba != NULL)
			log_warn(
			    "MS-SNTP: neither smb.conf nor samba -b names the ntp signd socket "
			    "directory; set ntp_signd_socket_dir to answer Windows clients");
		return;
	}
	sock = xasprintf("%s/socket", dir);
	ntp_srv_enable_mssntp(d->srv, sock);
	free(sock);
	problem = signd_problem(d, dir);
	if (problem != NULL)
		log_err("%s", problem);
	free(problem);
}

void
dmn_samba_free(struct dmn *d)
{
	if (d->samba == NULL)
		return;
	samba_dc_clear(d->samba);
	free(d->samba);
	d->samba = NULL;
}

char *
dmn_samba_keytab(const struct dmn *d)
{
	if (d->cfg->keytab[0] != '\0')
		return xstrdup(d->cfg->keytab);
	return d->samba != NULL ? samba_dc_keytab(d->samba) : NULL;
}

json_t *
dmn_samba_json(const struct dmn *d)
{
	const char *dir = signd_dir(d);
	char *sock, *problem;
	json_t *o;

	if (dir == NULL)
		return json_pack("{s:b, s:n, s:b, s:n}", "samba_dc", d->samba != NULL,
		                 "signd_socket", "signd_connected", 0, "signd_problem");
	sock = xasprintf("%s/socket", dir);
	problem = signd_problem(d, dir);
	o = json_pack("{s:b, s:s, s:b, s:o}", "samba_dc", d->samba != NULL, "signd_socket", sock,
	              "signd_connected", ntp_srv_signd_connected(d->srv) == 1, "signd_problem",
	              problem != NULL ? json_string(problem) : json_null());
	free(sock);
	free(problem);
	return o;
}

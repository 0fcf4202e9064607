/*
 * samba_dc.h - the daemon on a Samba AD DC: found from smb.conf alone, it
 * signs MS-SNTP replies through ntp_signd and reads the directory with the
 * DC's own keys.
 */
#ifndef DOMTIMED_SAMBA_DC_H
#define DOMTIMED_SAMBA_DC_H

#include <jansson.h>

struct dmn;

/*
 * Look at samba_conf and ntp_signd_socket_dir; on a Samba AD DC (or with
 * ntp_signd_socket_dir set) sign MS-SNTP replies, and say in one log line
 * if the daemon's user cannot reach the socket. Runs as root, before the
 * directory starts (which takes its keytab and realm from d->samba).
 */
void dmn_samba_start(struct dmn *d);
void dmn_samba_free(struct dmn *d);

/*
 * The keytab of our account's keys: keytab, else a Samba DC's
 * secrets.keytab; allocated, or NULL for Kerberos' default.
 */
char *dmn_samba_keytab(const struct dmn *d);

/* For status: {"samba_dc", "signd_socket", "signd_connected", "signd_problem"}. */
json_t *dmn_samba_json(const struct dmn *d);

#endif

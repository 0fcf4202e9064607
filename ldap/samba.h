/*
 * samba.h - is this machine a Samba AD DC, and where are its private
 * directory and its ntp_signd socket?
 *
 * smb.conf says so ("server role = active directory domain controller",
 * "realm", "private dir", "ntp signd socket directory"); what smb.conf
 * leaves unset is Samba's compiled-in default, which `samba -b` prints
 * (PRIVATE_DIR, NTP_SIGND_SOCKET_DIR). On such a DC the directory is read
 * with the DC's own keys (<private dir>/secrets.keytab, read into memory
 * at start as root, so rediscovery works after the privilege drop) and
 * MS-SNTP replies are signed through <ntp signd socket directory>/socket.
 */
#ifndef DOMTIMED_LDAP_SAMBA_H
#define DOMTIMED_LDAP_SAMBA_H

#include <sys/types.h>

struct samba_dc {
	char *realm;       /* upper case */
	char *private_dir; /* NULL when neither smb.conf nor samba -b says */
	char *signd_dir;   /* likewise */
};

/*
 * Pure: CONF is smb.conf's text, BUILD `samba -b`'s output (NULL when not
 * available). 1 with *RET filled (allocated) when CONF makes an AD DC with
 * a realm, else 0.
 */
int samba_dc_parse(const char *conf, const char *build, struct samba_dc *ret);

/*
 * Read smb.conf at CONF_PATH (and run `samba -b` when smb.conf leaves a
 * directory unset). 1 with *RET filled for an AD DC; 0 when not (no file,
 * another role).
 */
int samba_dc_detect(const char *conf_path, struct samba_dc *ret);
void samba_dc_clear(struct samba_dc *dc);

/* <private dir>/secrets.keytab, allocated; NULL without a private dir. */
char *samba_dc_keytab(const struct samba_dc *dc);

/*
 * Can USER (a name; NULL or "": this process's credentials) reach the
 * socket in the ntp_signd directory DIR? NULL when it can, else one line
 * saying why: the directory's owner, group and mode, the user and its
 * groups, and the exact chgrp that fixes it. Allocated.
 */
char *samba_signd_access_problem(const char *dir, const char *user);

/*
 * Pure core of the check: may UID, in the N groups GIDS, do WANT (a mode
 * bit triplet: 1 search, 2 write, 4 read) on a file of MODE owned by
 * OWNER:GROUP? Root may always.
 */
int samba_may(mode_t mode, uid_t owner, gid_t group, uid_t uid, const gid_t *gids, int n, int want);

#endif

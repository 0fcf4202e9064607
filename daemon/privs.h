/*
 * privs.h - dropping root after start-up.
 *
 * The daemon starts as root, does everything that needs root (binding port
 * 123, reading the keytab, making the control socket), then becomes an
 * unprivileged user before it starts any thread or reads any packet.
 */
#ifndef DOMTIMED_PRIVS_H
#define DOMTIMED_PRIVS_H

/* The user a root daemon becomes when the configuration names none. */
#define PRIVS_DEFAULT_USER "domtimed"

/*
 * The user to become: CONFIGURED when not empty; else, when running as root,
 * PRIVS_DEFAULT_USER if that user exists (the package creates it); else NULL
 * (stay as started).
 */
const char *privs_user(const char *configured);

/*
 * Give PATH (made by root) to USER's primary group, so that members of the
 * group can use it as the file's mode allows. 0, or -1 with an allocated
 * *RET_CAUSE.
 */
int privs_give_group(const char *path, const char *user, char **ret_cause);

/*
 * Become USER (its uid, gid and supplementary groups), keeping only
 * CAP_SYS_TIME, and only if KEEP_SYS_TIME (the system clock needs it; the
 * virtual clock needs nothing). Returns 0 or -1 with an allocated *RET_CAUSE.
 */
int privs_drop(const char *user, int keep_sys_time, char **ret_cause);

#endif

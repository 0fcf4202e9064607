/*
 * privs.h - dropping root after start-up.
 */
#ifndef DOMTIMED_PRIVS_H
#define DOMTIMED_PRIVS_H

/*
 * Become USER (its uid, gid and supplementary groups), keeping only
 * CAP_SYS_TIME, and only if KEEP_SYS_TIME (the system clock needs it; the
 * virtual clock needs nothing). Returns 0 or -1 with an allocated *RET_CAUSE.
 */
int privs_drop(const char *user, int keep_sys_time, char **ret_cause);

#endif

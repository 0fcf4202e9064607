/*
 * privs.c - switch to an unprivileged user keeping only CAP_SYS_TIME.
 *
 * PR_SET_KEEPCAPS keeps the permitted set across setuid(); afterwards every
 * capability but CAP_SYS_TIME is dropped from all sets, so the process that
 * parses network packets and directory data cannot do more than steer the
 * clock.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/xmalloc.h"
#include "privs.h"

/* Is CAP_SYS_TIME in our permitted set (a container or setpriv may have taken it)? */
static int
have_sys_time(void)
{
	cap_t now = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (now != NULL)
		(void)cap_get_flag(now, CAP_SYS_TIME, CAP_PERMITTED, &v);
	cap_free(now);
	return v == CAP_SET;
}

static int
keep_only_sys_time(int keep, char **ret_cause)
{
	cap_value_t sys_time = CAP_SYS_TIME;
	cap_t caps = cap_init(); /* empty */
	int r = 0;

	if (keep && !have_sys_time()) {
		/* Not an exit: NTP is still served; only steering the clock will fail, and say so.
		 */
		log_warn("CAP_SYS_TIME is not in this process's permitted set (bounding set?): "
		         "the system clock cannot be steered");
		keep = 0;
	}

	if (caps == NULL) {
		*ret_cause = xasprintf("cap_init: %s", strerror(errno));
		return -1;
	}
	if (keep && (cap_set_flag(caps, CAP_PERMITTED, 1, &sys_time, CAP_SET) < 0 ||
	             cap_set_flag(caps, CAP_EFFECTIVE, 1, &sys_time, CAP_SET) < 0))
		r = -1;
	if (r == 0 && cap_set_proc(caps) < 0)
		r = -1;
	if (r < 0)
		*ret_cause = xasprintf("cannot limit capabilities: %s", strerror(errno));
	cap_free(caps);
	return r;
}

const char *
privs_user(const char *configured)
{
	if (configured[0] != '\0')
		return configured;
	if (geteuid() == 0 && getpwnam(PRIVS_DEFAULT_USER) != NULL)
		return PRIVS_DEFAULT_USER;
	return NULL;
}

static struct passwd *
find_user(const char *user, char **ret_cause)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL)
		*ret_cause = xasprintf("user '%s' not found", user);
	return pw;
}

int
privs_give_group(const char *path, const char *user, char **ret_cause)
{
	struct passwd *pw = find_user(user, ret_cause);

	if (pw == NULL)
		return -1;
	if (chown(path, (uid_t)-1, pw->pw_gid) < 0) {
		*ret_cause = xasprintf("%s: cannot give it to group %u: %s", path,
		                       (unsigned)pw->pw_gid, strerror(errno));
		return -1;
	}
	return 0;
}

int
privs_drop(const char *user, int keep_sys_time, char **ret_cause)
{
	struct passwd *pw = find_user(user, ret_cause);

	if (pw == NULL)
		return -1;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 || initgroups(pw->pw_name, pw->pw_gid) < 0 ||
	    setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
		*ret_cause = xasprintf("cannot become '%s': %s", user, strerror(errno));
		return -1;
	}
	(void)prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	return keep_only_sys_time(keep_sys_time, ret_cause);
}

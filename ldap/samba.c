/*
 * samba.c - Samba AD DC detection from smb.conf and `samba -b`, and the
 * check that the daemon's user can reach ntp_signd's socket.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "identity.h"
#include "samba.h"

/* Largest `samba -b` output read (it is about 3 KiB). */
#define BUILD_MAX (64 * 1024)
#define MAX_GROUPS 64

/* A value as Samba compares enumerations: lower case, no spaces. */
static int
same_words(const char *a, const char *b)
{
	for (;;) {
		while (isspace((unsigned char)*a))
			a++;
		while (isspace((unsigned char)*b))
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (*a == '\0')
			return 1;
		a++;
		b++;
	}
}

static int
is_ad_dc_role(const char *role)
{
	/* Samba's names for ROLE_ACTIVE_DIRECTORY_DC (lib/param/param_table.c). */
	return role != NULL && (same_words(role, "active directory domain controller") ||
	                        same_words(role, "domain controller") || same_words(role, "dc"));
}

/* The value of "   KEY: value" in `samba -b` output, allocated, or NULL. */
static char *
build_value(const char *build, const char *key)
{
	size_t klen = strlen(key);

	for (const char *p = build; p != NULL && *p != '\0';) {
		const char *end = strchr(p, '\n'), *q = p;

		if (end == NULL)
			end = p + strlen(p);
		while (q < end && isspace((unsigned char)*q))
			q++;
		if ((size_t)(end - q) > klen + 1 && strncmp(q, key, klen) == 0 && q[klen] == ':') {
			q += klen + 1;
			while (q < end && isspace((unsigned char)*q))
				q++;
			while (end > q && isspace((unsigned char)end[-1]))
				end--;
			return end > q ? xstrndup(q, (size_t)(end - q)) : NULL;
		}
		p = *end != '\0' ? end + 1 : end;
	}
	return NULL;
}

/* smb.conf's PARAM, else `samba -b`'s KEY. */
static char *
dir_param(const char *conf, const char *param, const char *build, const char *key)
{
	char *v = dir_smb_conf_get(conf, param);

	if (v != NULL && v[0] != '\0')
		return v;
	free(v);
	return build != NULL ? build_value(build, key) : NULL;
}

int
samba_dc_parse(const char *conf, const char *build, struct samba_dc *ret)
{
	char *role = dir_smb_conf_get(conf, "server role");
	char *realm = dir_smb_conf_get(conf, "realm");
	int dc = is_ad_dc_role(role) && realm != NULL && realm[0] != '\0';

	free(role);
	if (!dc) {
		free(realm);
		return 0;
	}
	for (char *p = realm; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	*ret = (struct samba_dc){
	    .realm = realm,
	    .private_dir = dir_param(conf, "private dir", build, "PRIVATE_DIR"),
	    .signd_dir =
	        dir_param(conf, "ntp signd socket directory", build, "NTP_SIGND_SOCKET_DIR"),
	};
	return 1;
}

/* `samba -b`, or NULL when Samba is not installed where root looks for it. */
static char *
samba_build(void)
{
	FILE *p = popen("PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/samba/sbin samba -b "
	                "2>/dev/null",
	                "re");
	char *buf;
	size_t n;

	if (p == NULL)
		return NULL;
	buf = xmalloc(BUILD_MAX + 1);
	n = fread(buf, 1, BUILD_MAX, p);
	buf[n] = '\0';
	if (pclose(p) != 0 || n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
samba_dc_detect(const char *conf_path, struct samba_dc *ret)
{
	char *conf = dir_slurp(conf_path), *build = NULL, *pd, *sd;
	int r = 0;

	if (conf == NULL)
		return 0;
	pd = dir_smb_conf_get(conf, "private dir");
	sd = dir_smb_conf_get(conf, "ntp signd socket directory");
	/* Run samba -b only for what smb.conf leaves to the compiled-in defaults. */
	if (pd == NULL || sd == NULL) {
		char *role = dir_smb_conf_get(conf, "server role");

		if (is_ad_dc_role(role))
			build = samba_build();
		free(role);
	}
	r = samba_dc_parse(conf, build, ret);
	free(pd);
	free(sd);
	free(build);
	free(conf);
	return r;
}

void
samba_dc_clear(struct samba_dc *dc)
{
	free(dc->realm);
	free(dc->private_dir);
	free(dc->signd_dir);
	*dc = (struct samba_dc){0};
}

char *
samba_dc_keytab(const struct samba_dc *dc)
{
	return dc->private_dir != NULL ? xasprintf("%s/secrets.keytab", dc->private_dir) : NULL;
}

/* ---- can the daemon's user reach the socket? ------------------------------------------ */

int
samba_may(mode_t mode, uid_t owner, gid_t group, uid_t uid, const gid_t *gids, int n, int want)
{
	mode_t w = (mode_t)want;
	int in_group = 0;

	if (uid == 0)
		return 1;
	if (uid == owner)
		return ((mode >> 6) & w) == w;
	for (int i = 0; i < n && !in_group; i++)
		in_group = gids[i] == group;
	if (in_group)
		return ((mode >> 3) & w) == w;
	return (mode & w) == w;
}

/* A user's (GROUP 0) or group's name, copied to BUF: getpwuid and getgrgid reuse theirs. */
static const char *
name_of(int group, unsigned id, char *buf, size_t size)
{
	struct passwd *pw = group ? NULL : getpwuid((uid_t)id);
	struct group *g = group ? getgrgid((gid_t)id) : NULL;
	const char *name = pw != NULL ? pw->pw_name : g != NULL ? g->gr_name : NULL;

	if (name != NULL)
		snprintf(buf, size, "%s", name);
	else
		snprintf(buf, size, "%u", id);
	return buf;
}

/* The credentials the daemon will run with. -1 when USER does not exist. */
static int
credentials(const char *user, uid_t *uid, gid_t *gid, gid_t *gids, int *n)
{
	struct passwd *pw;

	if (user == NULL || user[0] == '\0') {
		*uid = geteuid();
		*gid = getegid();
		*n = getgroups(MAX_GROUPS - 1, gids);
		if (*n < 0)
			*n = 0;
		gids[(*n)++] = *gid;
		return 0;
	}
	pw = getpwnam(user);
	if (pw == NULL)
		return -1;
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	*n = MAX_GROUPS;
	if (getgrouplist(user, pw->pw_gid, gids, n) < 0)
		*n = MAX_GROUPS;
	return 0;
}

static char *
groups_text(const gid_t *gids, int n)
{
	char *s = xstrdup(""), *t, buf[64];

	for (int i = 0; i < n; i++) {
		t = xasprintf("%s%s%s", s, i > 0 ? "," : "", name_of(1, gids[i], buf, sizeof(buf)));
		free(s);
		s = t;
	}
	return s;
}

char *
samba_signd_access_problem(const char *dir, const char *user)
{
	gid_t gids[MAX_GROUPS], gid;
	char ub[64], gb[64], ob[64], db[64], *sock, *groups, *r;
	struct stat st, ss;
	uid_t uid;
	int n, dir_ok, sock_ok;

	if (credentials(user, &uid, &gid, gids, &n) < 0)
		return xasprintf("MS-SNTP: user %s does not exist", user);
	if (stat(dir, &st) < 0)
		return xasprintf("MS-SNTP: ntp_signd socket directory %s: %s (is Samba running, "
		                 "with ntp_signd in its server services?)",
		                 dir, strerror(errno));
	sock = xasprintf("%s/socket", dir);
	dir_ok = samba_may(st.st_mode, st.st_uid, st.st_gid, uid, gids, n, 1);
	/* Connecting to a Unix socket needs write permission on it. */
	sock_ok = !dir_ok || stat(sock, &ss) < 0 ||
	          samba_may(ss.st_mode, ss.st_uid, ss.st_gid, uid, gids, n, 2);
	free(sock);
	if (dir_ok && sock_ok)
		return NULL;
	groups = groups_text(gids, n);
	r = xasprintf("MS-SNTP: user %s (groups %s) cannot reach ntp_signd's socket in %s "
	              "(owner %s, group %s, mode %04o): signed replies are impossible; fix "
	              "with: chgrp %s %s%s%s",
	              name_of(0, uid, ub, sizeof(ub)), groups, dir,
	              name_of(0, st.st_uid, ob, sizeof(ob)), name_of(1, st.st_gid, gb, sizeof(gb)),
	              (unsigned)(st.st_mode & 07777), name_of(1, gid, db, sizeof(db)), dir,
	              /* Samba makes it 0750, where the group is all it takes. */
	              st.st_mode & S_IXGRP ? "" : " && chmod g+x ",
	              st.st_mode & S_IXGRP ? "" : dir);
	free(groups);
	return r;
}

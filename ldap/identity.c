/*
 * identity.c - who this machine is: configuration, keytab, krb5.conf,
 * sssd.conf, smb.conf, host name.
 */
#include <ctype.h>
#include <errno.h>
#include <krb5.h>
#include <profile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../common/xmalloc.h"
#include "identity.h"

/* Configuration files larger than this are not ours to parse. */
#define CONF_MAX (1024 * 1024)
/* NetBIOS names, hence computer sAMAccountNames without the '$', have at most 15 characters. */
#define NETBIOS_MAX 15

/* ---- text helpers ---------------------------------------------------------- */

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static char *
cased(const char *s, size_t n, int up)
{
	char *r = xstrndup(s, n);

	for (char *p = r; *p != '\0'; p++)
		*p = (char)(up ? toupper((unsigned char)*p) : tolower((unsigned char)*p));
	return r;
}

/* A plausible DNS name or realm: letters, digits, '-', '_', dots between labels. */
static int
name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

/* A parameter name as Samba compares them: lower case, no spaces. */
static void
squash(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++)
		if (!isspace((unsigned char)*s))
			*w++ = (char)tolower((unsigned char)*s);
	*w = '\0';
}

typedef void (*ini_fn)(const char *section, char *key, char *value, void *arg);

/*
 * Every "key = value" of an INI text with its section, comments (# ;) and
 * blank lines skipped, a trailing backslash joining the next line.
 */
static void
ini_each(const char *text, ini_fn fn, void *arg)
{
	char *copy = xmalloc(strlen(text) + 1), *w = copy, *p, *section = xstrdup("");

	/* Join continued lines first: a backslash at the end of a line. */
	for (const char *r = text; *r != '\0'; r++) {
		if (r[0] == '\\' && r[1] == '\n') {
			r++;
			continue;
		}
		if (r[0] == '\\' && r[1] == '\r' && r[2] == '\n') {
			r += 2;
			continue;
		}
		*w++ = *r;
	}
	*w = '\0';
	for (p = copy; p != NULL;) {
		char *line = p, *end = strchr(p, '\n'), *eq;

		p = end != NULL ? end + 1 : NULL;
		if (end != NULL)
			*end = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#' || *line == ';')
			continue;
		if (*line == '[') {
			char *close = strchr(line, ']');

			free(section);
			section = xstrndup(line + 1, close != NULL ? (size_t)(close - line - 1)
			                                           : strlen(line + 1));
			continue;
		}
		eq = strchr(line, '=');
		if (eq == NULL)
			continue;
		*eq = '\0';
		fn(trim(section), trim(line), trim(eq + 1), arg);
	}
	free(section);
	free(copy);
}

/* ---- sssd.conf ----------------------------------------------------------------- */

struct sssd_domain {
	char *name, *ad_domain, *realm;
	int ad;
};

struct sssd_state {
	char *domains; /* [sssd] domains */
	struct sssd_domain *v;
	size_t n;
};

static struct sssd_domain *
sssd_find(struct sssd_state *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i].name) == len && strncasecmp(s->v[i].name, name, len) == 0)
			return &s->v[i];
	return NULL;
}

static void
sssd_line(const char *section, char *key, char *value, void *arg)
{
	struct sssd_state *s = arg;
	struct sssd_domain *d;

	if (strcasecmp(section, "sssd") == 0 && strcasecmp(key, "domains") == 0) {
		free(s->domains);
		s->domains = xstrdup(value);
		return;
	}
	if (strncasecmp(section, "domain/", 7) != 0 || section[7] == '\0')
		return;
	d = sssd_find(s, section + 7, strlen(section + 7));
	if (d == NULL) {
		s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
		d = &s->v[s->n++];
		*d = (struct sssd_domain){.name = xstrdup(section + 7)};
	}
	if (strcasecmp(key, "id_provider") == 0 && strcasecmp(value, "ad") == 0) {
		d->ad = 1;
	} else if (strcasecmp(key, "ad_domain") == 0) {
		free(d->ad_domain);
		d->ad_domain = xstrdup(value);
		d->ad = 1;
	} else if (strcasecmp(key, "krb5_realm") == 0) {
		free(d->realm);
		d->realm = xstrdup(value);
	}
}

/* The domain to use: the first AD one in [sssd] domains order, else in file order. */
static struct sssd_domain *
sssd_pick(struct sssd_state *s)
{
	const char *p = s->domains;

	while (p != NULL && *p != '\0') {
		size_t len;
		struct sssd_domain *d;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (len == 0)
			break;
		d = sssd_find(s, p, len);
		if (d != NULL && d->ad)
			return d;
		p += len;
	}
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ad)
			return &s->v[i];
	return NULL;
}

int
dir_sssd_conf_parse(const char *text, char **ret_domain, char **ret_realm)
{
	struct sssd_state s = {0};
	struct sssd_domain *d;
	int r = -1;

	ini_each(text, sssd_line, &s);
	d = sssd_pick(&s);
	if (d != NULL) {
		const char *dom = d->ad_domain != NULL ? d->ad_domain : d->name;

		if (name_ok(dom) && (d->realm == NULL || name_ok(d->realm))) {
			*ret_domain = cased(dom, strlen(dom), 0);
			*ret_realm = d->realm != NULL ? cased(d->realm, strlen(d->realm), 1)
			                              : cased(dom, strlen(dom), 1);
			r = 0;
		}
	}
	for (size_t i = 0; i < s.n; i++) {
		free(s.v[i].name);
		free(s.v[i].ad_domain);
		free(s.v[i].realm);
	}
	free(s.v);
	free(s.domains);
	return r;
}

/* ---- smb.conf ------------------------------------------------------------------ */

struct smb_get {
	const char *param; /* squashed */
	char *value;
};

static void
smb_get_line(const char *section, char *key, char *value, void *arg)
{
	struct smb_get *g = arg;

	if (strcasecmp(section, "global") != 0)
		return;
	squash(key);
	if (strcmp(key, g->param) == 0) {
		free(g->value);
		g->value = xstrdup(value);
	}
}

char *
dir_smb_conf_get(const char *text, const char *param)
{
	char *squashed = xstrdup(param);
	struct smb_get g = {.param = squashed};

	squash(squashed);
	ini_each(text, smb_get_line, &g);
	free(squashed);
	return g.value;
}

int
dir_smb_conf_parse(const char *text, char **ret_realm, char **ret_netbios)
{
	char *realm = dir_smb_conf_get(text, "realm");
	char *netbios = dir_smb_conf_get(text, "netbios name");
	int r = -1;

	if (realm != NULL && name_ok(realm)) {
		*ret_realm = cased(realm, strlen(realm), 1);
		*ret_netbios = NULL;
		if (netbios != NULL && name_ok(netbios) && strchr(netbios, '.') == NULL)
			*ret_netbios = cased(netbios, strlen(netbios), 1);
		r = 0;
	}
	free(realm);
	free(netbios);
	return r;
}

/* ---- deciding ----------------------------------------------------------------------- */

/* The first component of a machine principal NAME$@REALM, or 0. */
static size_t
principal_account_len(const char *p)
{
	size_t n = strcspn(p, "@/");

	return n > 1 && p[n] != '/' && p[n - 1] == '$' ? n : 0;
}

static const char *
principal_realm(const char *p)
{
	const char *at = strrchr(p, '@');

	return at != NULL && name_ok(at + 1) ? at + 1 : NULL;
}

struct candidate {
	const char *value, *origin;
	int up; /* -1 as is, 0 lower-case, 1 upper-case */
};

/* The first candidate with a value, cased, into *RET with its origin. */
static void
first(const struct candidate *c, size_t n, char **ret, char **ret_origin)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i].value == NULL || !name_ok(c[i].value))
			continue;
		*ret = c[i].up < 0 ? xstrdup(c[i].value)
		                   : cased(c[i].value, strlen(c[i].value), c[i].up);
		*ret_origin = xstrdup(c[i].origin);
		return;
	}
	*ret = NULL;
	*ret_origin = xstrdup("unknown");
}

static void
decide_account(const struct dir_identity_facts *f, struct dir_identity *id,
               struct dir_identity_origin *o)
{
	size_t n = f->principal != NULL ? principal_account_len(f->principal) : 0;
	size_t h = f->hostname != NULL ? strcspn(f->hostname, ".") : 0;

	if (n > 0) {
		id->account = xstrndup(f->principal, n);
		o->account = xasprintf("%s", f->principal_from ? f->principal_from : "principal");
	} else if (f->smb_netbios != NULL) {
		id->account = xasprintf("%s$", f->smb_netbios);
		o->account = xstrdup("smb.conf netbios name");
	} else if (h > 0) {
		char *up = cased(f->hostname, h > NETBIOS_MAX ? NETBIOS_MAX : h, 1);

		id->account = xasprintf("%s$", up);
		o->account = xstrdup("host name");
		free(up);
	} else {
		o->account = xstrdup("unknown");
	}
	if (id->account != NULL && (n > 0 || f->smb_netbios != NULL)) {
		id->host = cased(id->account, strlen(id->account) - 1, 0);
		o->host = xstrdup(o->account);
	} else if (h > 0) {
		id->host = cased(f->hostname, h, 0);
		o->host = xstrdup("host name");
	} else {
		o->host = xstrdup("unknown");
	}
}

void
dir_identity_decide(const struct dir_identity_facts *f, struct dir_identity *ret,
                    struct dir_identity_origin *ret_origin)
{
	const char *pr = f->principal != NULL ? principal_realm(f->principal) : NULL;
	const char *pfrom = f->principal_from != NULL ? f->principal_from : "principal";
	char *prealm_from = xasprintf("%s (principal's realm)", pfrom);
	const struct candidate realms[] = {
	    {f->cfg_realm, "config", 1},
	    {f->cfg_domain, "config (domain upper-cased)", 1},
	    {pr, pfrom, 1},
	    {f->krb5_realm, "krb5.conf default_realm", 1},
	    {f->sssd_realm, DIR_SSSD_CONF, 1},
	    {f->smb_realm, DIR_SMB_CONF " realm", 1},
	};
	const struct candidate domains[] = {
	    {f->cfg_domain, "config", 0},
	    {f->cfg_realm, "config (realm lower-cased)", 0},
	    {pr, prealm_from, 0},
	    {f->krb5_realm, "krb5.conf default_realm (lower-cased)", 0},
	    {f->sssd_domain, DIR_SSSD_CONF, 0},
	    {f->smb_realm, DIR_SMB_CONF " realm (lower-cased)", 0},
	};

	*ret = (struct dir_identity){0};
	*ret_origin = (struct dir_identity_origin){0};
	decide_account(f, ret, ret_origin);
	first(realms, sizeof(realms) / sizeof(realms[0]), &ret->realm, &ret_origin->realm);
	first(domains, sizeof(domains) / sizeof(domains[0]), &ret->domain, &ret_origin->domain);
	if (f->cfg_site != NULL && f->cfg_site[0] != '\0') {
		ret->site = xstrdup(f->cfg_site);
		ret_origin->site = xstrdup("config");
	} else {
		ret_origin->site = xstrdup("not configured: learnt from the directory");
	}
	free(prealm_from);
}

/* ---- reading the system ------------------------------------------------------- */

char *
dir_slurp(const char *path)
{
	FILE *fp = fopen(path, "re");
	char *buf;
	size_t n;

	if (fp == NULL)
		return NULL;
	buf = xmalloc(CONF_MAX + 1);
	n = fread(buf, 1, CONF_MAX + 1, fp);
	if (ferror(fp) || n > CONF_MAX) {
		(void)fclose(fp);
		free(buf);
		return NULL;
	}
	(void)fclose(fp);
	buf[n] = '\0';
	return buf;
}

/* krb5.conf's default_realm, read through the krb5 profile (KRB5_CONFIG,
 * includes) but without krb5_get_default_realm(), which may ask DNS. */
static char *
krb5_default_realm(void)
{
	krb5_context ctx;
	profile_t prof = NULL;
	char *v = NULL, *r = NULL;

	if (krb5_init_context(&ctx) != 0)
		return NULL;
	if (krb5_get_profile(ctx, &prof) == 0 &&
	    profile_get_string(prof, "libdefaults", "default_realm", NULL, NULL, &v) == 0 &&
	    v != NULL)
		r = xstrdup(v);
	profile_release_string(v);
	profile_release(prof);
	krb5_free_context(ctx);
	return r;
}

void
dir_identity_detect(const struct dir_identity_facts *given, struct dir_identity *ret,
                    struct dir_identity_origin *ret_origin)
{
	struct dir_identity_facts f = *given;
	char *krealm = krb5_default_realm(), *text;
	char *sdom = NULL, *srealm = NULL, *smbrealm = NULL, *smbnb = NULL;
	char host[256];

	f.krb5_realm = krealm;
	if ((text = dir_slurp(DIR_SSSD_CONF)) != NULL &&
	    dir_sssd_conf_parse(text, &sdom, &srealm) == 0) {
		f.sssd_domain = sdom;
		f.sssd_realm = srealm;
	}
	free(text);
	if ((text = dir_slurp(DIR_SMB_CONF)) != NULL &&
	    dir_smb_conf_parse(text, &smbrealm, &smbnb) == 0) {
		f.smb_realm = smbrealm;
		f.smb_netbios = smbnb;
	}
	free(text);
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		f.hostname = host;
	}
	dir_identity_decide(&f, ret, ret_origin);
	free(krealm);
	free(sdom);
	free(srealm);
	free(smbrealm);
	free(smbnb);
}

char *
dir_identity_describe(const struct dir_identity *id, const struct dir_identity_origin *o)
{
	const struct {
		const char *name, *value, *origin;
	} f[] = {
	    {"account", id->account, o->account}, {"host", id->host, o->host},
	    {"domain", id->domain, o->domain},    {"realm", id->realm, o->realm},
	    {"site", id->site, o->site},
	};
	int done[sizeof(f) / sizeof(f[0])] = {0};
	char *s = xstrdup("");

	/* Values in order, each run of the same origin said once: "a X, b Y (from)". */
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *origin = f[i].origin != NULL ? f[i].origin : "?";

		if (done[i])
			continue;
		for (size_t j = i; j < sizeof(f) / sizeof(f[0]); j++) {
			const char *oj = f[j].origin != NULL ? f[j].origin : "?";
			char *t;

			if (done[j] || strcmp(oj, origin) != 0)
				continue;
			done[j] = 1;
			t = xasprintf("%s%s%s %s", s,
			              s[0] != '\0' && j == i ? "; "
			              : j == i               ? ""
			                                     : ", ",
			              f[j].name, f[j].value != NULL ? f[j].value : "-");
			free(s);
			s = t;
		}
		{
			char *t = xasprintf("%s (%s)", s, origin);

			free(s);
			s = t;
		}
	}
	return s;
}

void
dir_identity_origin_clear(struct dir_identity_origin *o)
{
	free(o->host);
	free(o->account);
	free(o->domain);
	free(o->realm);
	free(o->site);
	*o = (struct dir_identity_origin){0};
}

/*
 * read.c - one discovery: locate a DC, bind, read the forest into a dir_raw.
 */
#include <ctype.h>
#include <ldap.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../common/strmap.h"
#include "../common/util.h"
#include "../common/xmalloc.h"
#include "conn.h"
#include "dn.h"
#include "krb.h"
#include "locate.h"
#include "net.h"
#include "netlogon.h"
#include "ping.h"
#include "read.h"

#define DEFAULT_TIMEOUT 5.0
#define LDAP_PORT 389
/* DCs tried for the first connection stop being tried after this many timeouts. */
#define CONNECT_BUDGET 3.0
/* Reads from DCs of other domains (NC heads the first DC lacks) share this many timeouts. */
#define FOREIGN_BUDGET 4.0
/* At most this many DCs are pinged. */
#define MAX_PING_TARGETS 64
/* crossRef systemFlags: FLAG_CR_NTDS_DOMAIN (MS-ADTS 2.2.10). */
#define FLAG_CR_NTDS_DOMAIN 0x2
/*
 * A DC refuses an authenticator more than 300 s (AD's and MIT's default
 * MaxClockSkew) from its own clock; from this KDC offset on, that is the
 * likely reason a GSSAPI bind fails.
 */
#define SKEW_SUSPECT 240.0

static const char *const rootdse_attrs[] = {"namingContexts",
                                            "defaultNamingContext",
                                            "rootDomainNamingContext",
                                            "configurationNamingContext",
                                            "schemaNamingContext",
                                            "dsServiceName",
                                            "serverName",
                                            "dnsHostName",
                                            "ldapServiceName",
                                            "domainControllerFunctionality",
                                            "domainFunctionality",
                                            "forestFunctionality",
                                            "isSynchronized",
                                            "isGlobalCatalogReady",
                                            "currentTime",
                                            "highestCommittedUSN",
                                            "supportedSASLMechanisms",
                                            NULL};
static const char *const crossref_attrs[] = {
    "objectClass", "cn",          "nCName",    "dnsRoot", "nETBIOSName",
    "systemFlags", "trustParent", "rootTrust", "Enabled", "msDS-Behavior-Version",
    NULL};
static const char *const sites_attrs[] = {"objectClass",
                                          "cn",
                                          "name",
                                          "dNSHostName",
                                          "serverReference",
                                          "options",
                                          "msDS-isRODC",
                                          "hasMasterNCs",
                                          "msDS-hasMasterNCs",
                                          "msDS-HasDomainNCs",
                                          "msDS-hasFullReplicaNCs",
                                          "siteObject",
                                          "objectGUID",
                                          "invocationId",
                                          "msDS-Behavior-Version",
                                          "location",
                                          NULL};
static const char *const self_attrs[] = {
    "objectClass", "sAMAccountName",    "dNSHostName", "userAccountControl", "objectSid",
    "objectGUID",  "serverReferenceBL", "msDS-isRODC", "primaryGroupID",     "operatingSystem",
    NULL};
static const char *const nc_head_attrs[] = {"objectClass", "fSMORoleOwner",         "objectSid",
                                            "objectGUID",  "msDS-Behavior-Version", "name",
                                            NULL};
static const char *const ping_attrs[] = {"Netlogon", NULL};

/* One subtree search under CN=Sites gets every kind of object we want from there. */
#define SITES_FILTER                                                                               \
	"(|(objectClass=site)(objectClass=server)(objectClass=nTDSDSA)(objectClass=nTDSDSARO)"     \
	"(objectClass=subnet))"

struct ctx {
	const struct dir_read_opts *o;
	enum dir_read what;
	double timeout;
	struct dir_raw *raw;
	struct dir_resolver *res;
	struct dir_conn_opts copts;
	int anonymous_fallback;      /* Kerberos failed: rootDSE and pings only */
	struct dir_srv_list own_dcs; /* DCs of our domain in DNS */
	int own_dcs_known;
	struct dir_conn *conn;
	const char *config_dn; /* in raw->rootdse */
	char *own_nc;          /* our domain's NC DN */
	int self_read;
	struct dir_entry_list tcp_ping; /* the rootDSE as the TCP ping returned it */
	struct dir_budget budget;       /* shared by every connection of this read */
	struct strmap *servers;         /* raw->servers by normal DN (see server_of()) */
};

static void __attribute__((format(printf, 2, 3))) error(struct ctx *c, const char *fmt, ...)
{
	struct dir_raw *raw = c->raw;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (s == NULL)
		s = xstrdup("(out of memory formatting an error)");
	dir_errors_add(&raw->errors, &raw->n_errors, s);
}

/* Take over *CAUSE as an error sentence prefixed with WHAT. */
static void
error_cause(struct ctx *c, const char *what, char *cause)
{
	if (what != NULL)
		error(c, "%s: %s", what, cause != NULL ? cause : "failed");
	else
		error(c, "%s", cause != NULL ? cause : "failed");
	free(cause);
}

/* "forest.test" -> "DC=forest,DC=test". */
static char *
domain_dn(const char *domain)
{
	size_t n = strlen(domain);
	char *dn = xmalloc(4 * n + 4), *p = dn;

	p += sprintf(p, "DC=");
	for (const char *s = domain; *s != '\0'; s++)
		p += *s == '.' ? sprintf(p, ",DC=") : sprintf(p, "%c", *s);
	return dn;
}

/* RFC 4515 escaping of a filter value; allocated. */
static char *
filter_value(const char *v)
{
	struct berval in = {.bv_len = strlen(v), .bv_val = (char *)v}, out = {0};
	char *s;

	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return xstrdup("\\00"); /* out of memory in libldap: match nothing */
	s = xstrndup(out.bv_val, out.bv_len);
	ber_memfree(out.bv_val);
	return s;
}

static char *
netbios_name(const char *account)
{
	size_t n = strlen(account);
	char *s = xstrndup(account, n > 0 && account[n - 1] == '$' ? n - 1 : n);

	for (char *p = s; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
	return s;
}

static void
entry_push(struct dir_entry_list *to, struct dir_entry *e)
{
	to->v = xreallocarray(to->v, to->n + 1, sizeof(*to->v));
	to->v[to->n++] = *e;
	*e = (struct dir_entry){0};
}

/* ---- step 1-2: credentials and the first DC ------------------------------------------ */

static void
kerberos(struct ctx *c)
{
	char *cause = NULL;

	if (c->o->cfg->bind != DIR_BIND_GSSAPI)
		return;
	dir_krb_set_io(c->o->krb, c->res, c->timeout, c->o->cancel);
	if (dir_krb_ensure_tgt(c->o->krb, &cause) == 0) {
		c->raw->kdc_offset = dir_krb_kdc_offset(c->o->krb);
		return;
	}
	error_cause(c, NULL, cause);
	/* Without a ticket AD still shows its rootDSE and answers pings. */
	error(c, "reading only the rootDSE (anonymously) and LDAP pings");
	c->anonymous_fallback = 1;
	c->copts.bind = DIR_BIND_ANONYMOUS;
}

static void
try_dc(struct ctx *c, const char *host, uint16_t port, enum dir_tls tls, double budget_end)
{
	struct dir_conn_opts o = c->copts;
	char *cause = NULL;

	if (c->conn != NULL || dir_cancelled(c->o->cancel))
		return;
	if (dir_now() > budget_end) {
		error(c, "DC %s:%u not tried: the time allowed for finding a DC is over", host,
		      (unsigned)port);
		return;
	}
	o.tls = tls;
	c->conn = dir_conn_open(host, port, c->res, &o, &cause);
	if (c->conn == NULL)
		error_cause(c, NULL, cause);
}

static int
locate_own_dcs(struct ctx *c)
{
	char *cause = NULL;

	if (c->own_dcs_known)
		return 0;
	if (c->o->id->domain == NULL) {
		error(c, "no domain known: configure domain (or ldap_uri)");
		return -1;
	}
	if (dir_locate_dcs(c->res, c->o->id->domain, c->o->site, &c->own_dcs, &cause) < 0) {
		error_cause(c, "locating the DCs of our domain", cause);
		return -1;
	}
	c->own_dcs_known = 1;
	if (c->own_dcs.n == 0)
		error(c, "DNS knows no DC of %s (_ldap._tcp.dc._msdcs.%s)", c->o->id->domain,
		      c->o->id->domain);
	return 0;
}

static void
connect_uri(struct ctx *c, const char *uri, double budget_end)
{
	LDAPURLDesc *lud = NULL;
	int is_ldaps;

	if (ldap_url_parse(uri, &lud) != LDAP_URL_SUCCESS) {
		error(c, "ldap_uri %s: not an LDAP URI", uri);
		return;
	}
	is_ldaps = strcasecmp(lud->lud_scheme, "ldaps") == 0;
	if ((!is_ldaps && strcasecmp(lud->lud_scheme, "ldap") != 0) || lud->lud_host == NULL ||
	    lud->lud_host[0] == '\0')
		error(c,
		      "ldap_uri %s: only ldap://HOST[:PORT] and ldaps://HOST[:PORT] are supported",
		      uri);
	else
		try_dc(c, lud->lud_host,
		       lud->lud_port > 0 ? (uint16_t)lud->lud_port
		       : is_ldaps        ? LDAPS_PORT
		                         : LDAP_PORT,
		       is_ldaps ? DIR_TLS_LDAPS : c->copts.tls, budget_end);
	ldap_free_urldesc(lud);
}

static int
connect_first_dc(struct ctx *c)
{
	const char *const *uris = c->o->cfg->ldap_uris;
	double budget_end = dir_now() + CONNECT_BUDGET * c->timeout;

	if (uris != NULL && uris[0] != NULL) {
		for (size_t i = 0; uris[i] != NULL && c->conn == NULL; i++)
			connect_uri(c, uris[i], budget_end);
	} else if (locate_own_dcs(c) == 0) {
		for (size_t i = 0; i < c->own_dcs.n && c->conn == NULL; i++)
			try_dc(c, c->own_dcs.v[i].target, c->own_dcs.v[i].port, c->copts.tls,
			       budget_end);
	}
	if (c->conn == NULL)
		return -1;
	c->raw->read_from = xstrdup(dir_conn_uri(c->conn));
	c->raw->local_address = xstrdup(dir_conn_local_address(c->conn));
	return 0;
}

/* ---- step 3: the rootDSE ------------------------------------------------------------ */

static int
read_rootdse(struct ctx *c)
{
	struct dir_entry_list l = {0};
	struct dir_search s = {.what = "the rootDSE",
	                       .base = "",
	                       .scope = LDAP_SCOPE_BASE,
	                       .filter = "(objectClass=*)",
	                       .attrs = rootdse_attrs,
	                       .out = &l};
	int r = 0;

	if (dir_conn_search(c->conn, &s, 1) > 0) {
		error(c, "%s", s.error);
		r = -1;
	} else if (l.n == 0) {
		error(c, "the rootDSE of %s: no entry", dir_conn_uri(c->conn));
		r = -1;
	}
	dir_search_clear(&s, 1);
	if (r == 0) {
		c->raw->rootdse = l.v[0];
		l.v[0] = (struct dir_entry){0};
		c->config_dn = dir_entry_text(&c->raw->rootdse, "configurationNamingContext");
		if (c->config_dn == NULL && !c->anonymous_fallback) {
			error(c, "the rootDSE of %s names no configuration NC",
			      dir_conn_uri(c->conn));
			r = -1;
		}
	}
	dir_entry_list_clear(&l);
	return r;
}

/* Whether the bound DC holds naming context DN (its rootDSE lists it). */
static int
holds(const struct ctx *c, const char *dn)
{
	const struct dir_attr *a = dir_entry_attr(&c->raw->rootdse, "namingContexts");

	for (size_t i = 0; a != NULL && i < a->n_vals; i++)
		if (dir_dn_equal(a->vals[i].data, dn))
			return 1;
	return 0;
}

/* ---- step 4: crossRefs, sites, ourselves, TCP ping --------------------------------------- */

static struct dir_ping_request
ping_request(const struct ctx *c, const char *domain, char *netbios)
{
	return (struct dir_ping_request){.dns_domain = domain,
	                                 .host = netbios,
	                                 .user = c->o->id->account,
	                                 .nt_version = DIR_NT_VERSION_PING};
}

static void
split_config_objects(struct ctx *c, struct dir_entry_list *all)
{
	struct dir_raw *raw = c->raw;

	for (size_t i = 0; i < all->n; i++) {
		struct dir_entry *e = &all->v[i];

		if (dir_entry_has_value(e, "objectClass", "subnet"))
			entry_push(&raw->subnets, e);
		else if (dir_entry_has_value(e, "objectClass", "nTDSDSA") ||
		         dir_entry_has_value(e, "objectClass", "nTDSDSARO"))
			entry_push(&raw->ntds, e);
		else if (dir_entry_has_value(e, "objectClass", "server"))
			entry_push(&raw->servers, e);
		else if (dir_entry_has_value(e, "objectClass", "site"))
			entry_push(&raw->sites, e);
		else
			dir_entry_clear(e);
	}
	free(all->v);
	*all = (struct dir_entry_list){0};
}

static char *
self_filter(const struct ctx *c)
{
	char *v = filter_value(c->o->id->account), *f;

	f = xasprintf("(&(objectClass=computer)(sAMAccountName=%s))", v);
	free(v);
	return f;
}

static void
read_wave(struct ctx *c)
{
	int full = c->what == DIR_READ_FULL;
	char *partitions = xasprintf("CN=Partitions,%s", c->config_dn);
	char *sites = xasprintf("CN=Sites,%s", c->config_dn);
	char *selff = c->o->id->account != NULL ? self_filter(c) : NULL;
	char *netbios = c->o->id->account != NULL ? netbios_name(c->o->id->account) : NULL;
	struct dir_ping_request req = ping_request(c, c->o->id->domain, netbios);
	char *pingf = c->o->id->domain != NULL ? dir_netlogon_filter(&req) : NULL;
	struct dir_entry_list cfg = {0};
	struct dir_search s[4];
	size_t n = 0;

	s[n++] = (struct dir_search){.what = "the crossRefs",
	                             .base = partitions,
	                             .scope = LDAP_SCOPE_ONELEVEL,
	                             .filter = "(objectClass=crossRef)",
	                             .attrs = crossref_attrs,
	                             .paged = 1,
	                             .out = &c->raw->crossrefs};
	if (full)
		s[n++] = (struct dir_search){.what = "sites, servers and subnets",
		                             .base = sites,
		                             .scope = LDAP_SCOPE_SUBTREE,
		                             .filter = SITES_FILTER,
		                             .attrs = sites_attrs,
		                             .paged = 1,
		                             .out = &cfg};
	if (full && selff != NULL && c->own_nc != NULL && holds(c, c->own_nc)) {
		s[n++] = (struct dir_search){.what = "our computer object",
		                             .base = c->own_nc,
		                             .scope = LDAP_SCOPE_SUBTREE,
		                             .filter = selff,
		                             .attrs = self_attrs,
		                             .paged = 1,
		                             .out = &c->raw->self};
		c->self_read = 1;
	}
	if (full && pingf != NULL)
		s[n++] = (struct dir_search){.what = "the LDAP ping over TCP",
		                             .base = "",
		                             .scope = LDAP_SCOPE_BASE,
		                             .filter = pingf,
		                             .attrs = ping_attrs,
		                             .out = &c->tcp_ping};
	(void)dir_conn_search(c->conn, s, n);
	for (size_t i = 0; i < n; i++) {
		/* A DC that cannot answer pings is no error: its flags stay unknown. */
		if (s[i].error != NULL && s[i].out != &c->tcp_ping) {
			error(c, "%s", s[i].error);
			if (s[i].out == &c->raw->self)
				c->self_read = 0;
		}
	}
	dir_search_clear(s, n);
	split_config_objects(c, &cfg);
	free(partitions);
	free(sites);
	free(selff);
	free(netbios);
	free(pingf);
}

/* ---- step 5: the NC heads ------------------------------------------------------------- */

struct domain_nc {
	const char *nc, *dns; /* in the crossRef */
};

static size_t
domain_ncs(const struct ctx *c, struct domain_nc **ret)
{
	const struct dir_entry_list *l = &c->raw->crossrefs;
	struct domain_nc *v = xcalloc(l->n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < l->n; i++) {
		const char *nc = dir_entry_text(&l->v[i], "nCName");
		const char *flags = dir_entry_text(&l->v[i], "systemFlags");
		const char *enabled = dir_entry_text(&l->v[i], "Enabled");

		if (nc == NULL || flags == NULL ||
		    !(strtoul(flags, NULL, 10) & FLAG_CR_NTDS_DOMAIN))
			continue;
		if (enabled != NULL && strcasecmp(enabled, "FALSE") == 0)
			continue; /* pre-created: no NC to read yet */
		v[n++] = (struct domain_nc){nc, dir_entry_text(&l->v[i], "dnsRoot")};
	}
	*ret = v;
	return n;
}

/*
 * The server object NTDS Settings NTDS belong to (its parent), or NULL. The
 * servers are indexed once per read: with thousands of DCs and a domain
 * per foreign NC, a scan per NTDS Settings would be quadratic.
 */
static const struct dir_entry *
server_of(struct ctx *c, const struct dir_entry *ntds)
{
	char *dn = dir_dn_normalise(ntds->dn);
	const char *parent = dn != NULL ? dir_dn_parent(dn) : NULL;
	int i;

	if (c->servers == NULL) {
		c->servers = strmap_new(0);
		for (size_t j = 0; j < c->raw->servers.n; j++) {
			char *s = dir_dn_normalise(c->raw->servers.v[j].dn);

			if (s != NULL)
				(void)strmap_add(c->servers, s, (int)j);
			free(s);
		}
	}
	i = parent != NULL ? strmap_get(c->servers, parent) : -1;
	free(dn);
	return i >= 0 ? &c->raw->servers.v[i] : NULL;
}

/* A DC of the domain DNS (NC head NC) other than the bound one, from DNS or the configuration. */
static void
foreign_candidates(struct ctx *c, const struct domain_nc *d, struct dir_srv_list *ret)
{
	struct dir_srv_list l;
	char *cause = NULL, *name;

	*ret = (struct dir_srv_list){0};
	if (d->dns != NULL) {
		/* The PDC holds the role we read: ask it first. */
		name = dir_srv_name("pdc", NULL, d->dns);
		if (dir_resolve_srv(c->res, name, &l, &cause) == 0) {
			for (size_t i = 0; i < l.n; i++)
				dir_srv_list_add(ret, &l.v[i]);
			dir_srv_list_clear(&l);
		}
		free(cause);
		cause = NULL;
		free(name);
		if (dir_locate_dcs(c->res, d->dns, c->o->site, &l, &cause) == 0) {
			for (size_t i = 0; i < l.n; i++)
				dir_srv_list_add(ret, &l.v[i]);
			dir_srv_list_clear(&l);
		}
		free(cause);
	}
	/* Servers whose NTDS settings say they hold the NC (their server object is the parent). */
	for (size_t i = 0; i < c->raw->ntds.n; i++) {
		const struct dir_entry *ntds = &c->raw->ntds.v[i];
		const char *holds_attrs[] = {"msDS-HasDomainNCs", "hasMasterNCs",
		                             "msDS-hasMasterNCs"};
		int match = 0;

		for (size_t k = 0; k < ARRAY_LEN(holds_attrs) && !match; k++) {
			const struct dir_attr *a = dir_entry_attr(ntds, holds_attrs[k]);

			for (size_t j = 0; a != NULL && j < a->n_vals && !match; j++)
				match = dir_dn_equal(a->vals[j].data, d->nc);
		}
		const struct dir_entry *srv = match ? server_of(c, ntds) : NULL;
		const char *host = srv != NULL ? dir_entry_text(srv, "dNSHostName") : NULL;

		if (host != NULL)
			dir_srv_list_add(
			    ret, &(struct dir_srv){.target = (char *)host, .port = LDAP_PORT});
	}
}

static void
read_foreign(struct ctx *c, const struct domain_nc *d, double budget_end)
{
	struct dir_srv_list cands;
	struct dir_conn *conn = NULL;
	int own = c->own_nc != NULL && !c->self_read && dir_dn_equal(d->nc, c->own_nc) &&
	          c->what == DIR_READ_FULL && c->o->id->account != NULL;
	char *selff = own ? self_filter(c) : NULL;

	foreign_candidates(c, d, &cands);
	for (size_t i = 0; i < cands.n && conn == NULL && dir_now() < budget_end; i++) {
		char *cause = NULL;

		conn = dir_conn_open(cands.v[i].target, cands.v[i].port, c->res, &c->copts, &cause);
		if (conn == NULL)
			error_cause(c, "reading the NC head of another domain", cause);
	}
	if (conn == NULL) {
		error(c, "the NC head %s: no DC of %s could be read (found %zu)", d->nc,
		      d->dns != NULL ? d->dns : "that domain", cands.n);
	} else {
		struct dir_search s[2] = {
		    {.what = "an NC head",
		     .base = d->nc,
		     .scope = LDAP_SCOPE_BASE,
		     .filter = "(objectClass=*)",
		     .attrs = nc_head_attrs,
		     .out = &c->raw->nc_heads},
		    {.what = "our computer object",
		     .base = d->nc,
		     .scope = LDAP_SCOPE_SUBTREE,
		     .filter = selff,
		     .attrs = self_attrs,
		     .paged = 1,
		     .out = &c->raw->self},
		};
		size_t n = own ? 2 : 1;

		(void)dir_conn_search(conn, s, n);
		for (size_t i = 0; i < n; i++)
			if (s[i].error != NULL)
				error(c, "%s", s[i].error);
		c->self_read |= own && s[1].error == NULL;
		dir_search_clear(s, n);
		dir_conn_free(conn);
	}
	free(selff);
	dir_srv_list_clear(&cands);
}

static void
read_nc_heads(struct ctx *c)
{
	struct domain_nc *d = NULL;
	size_t n = domain_ncs(c, &d), nl = 0;
	struct dir_search *s = xcalloc(n + 1, sizeof(*s));
	double budget_end;

	for (size_t i = 0; i < n; i++)
		if (holds(c, d[i].nc))
			s[nl++] = (struct dir_search){.what = "an NC head",
			                              .base = d[i].nc,
			                              .scope = LDAP_SCOPE_BASE,
			                              .filter = "(objectClass=*)",
			                              .attrs = nc_head_attrs,
			                              .out = &c->raw->nc_heads};
	if (nl > 0 && dir_conn_search(c->conn, s, nl) > 0)
		for (size_t i = 0; i < nl; i++)
			if (s[i].error != NULL)
				error(c, "%s", s[i].error);
	dir_search_clear(s, nl);
	free(s);
	budget_end = dir_now() + FOREIGN_BUDGET * c->timeout;
	for (size_t i = 0; i < n && !dir_cancelled(c->o->cancel) && c->budget.exceeded == NULL; i++)
		if (!holds(c, d[i].nc))
			read_foreign(c, &d[i], budget_end);
	free(d);
}

/* ---- step 6: pings ------------------------------------------------------------------------ */

/* The DNS name of our domain's parent (its crossRef's trustParent), or NULL. */
static const char *
parent_domain(const struct ctx *c)
{
	const struct dir_entry_list *l = &c->raw->crossrefs;
	const char *parent = NULL;

	for (size_t i = 0; i < l->n && parent == NULL; i++) {
		const char *dns = dir_entry_text(&l->v[i], "dnsRoot");

		if (dns != NULL && c->o->id->domain != NULL &&
		    strcasecmp(dns, c->o->id->domain) == 0)
			parent = dir_entry_text(&l->v[i], "trustParent");
	}
	for (size_t i = 0; parent != NULL && i < l->n; i++)
		if (dir_dn_equal(l->v[i].dn, parent))
			return dir_entry_text(&l->v[i], "dnsRoot");
	return NULL;
}

struct ping_set {
	struct dir_ping_target *t;
	struct dir_addr **addrs;
	size_t n;
};

static void
add_targets(struct ctx *c, struct ping_set *ps, const struct dir_srv_list *dcs,
            const struct dir_ping_request *req)
{
	uint16_t port = c->o->cfg->ping_port != 0 ? (uint16_t)c->o->cfg->ping_port : DIR_PING_PORT;

	for (size_t i = 0; i < dcs->n && ps->n < MAX_PING_TARGETS; i++) {
		struct dir_addr *a = NULL;
		size_t na = 0, k;
		char *cause = NULL;

		for (k = 0; k < ps->n; k++)
			if (strcasecmp(ps->t[k].host, dcs->v[i].target) == 0)
				break;
		if (k < ps->n)
			continue;
		if (dir_resolve_host(c->res, dcs->v[i].target, port, &a, &na, &cause) < 0) {
			error_cause(c, "LDAP ping", cause);
			continue;
		}
		ps->t = xreallocarray(ps->t, ps->n + 1, sizeof(*ps->t));
		ps->addrs = xreallocarray(ps->addrs, ps->n + 1, sizeof(*ps->addrs));
		ps->addrs[ps->n] = a;
		ps->t[ps->n++] = (struct dir_ping_target){dcs->v[i].target, a, na, req};
	}
}

/* The TCP ping's answer, for the bound DC (named as its rootDSE names it). */
static void
merge_tcp_ping(struct ctx *c)
{
	struct dir_raw *raw = c->raw;
	const char *host = dir_entry_text(&raw->rootdse, "dnsHostName");
	const struct dir_value *v =
	    c->tcp_ping.n > 0 ? dir_entry_value(&c->tcp_ping.v[0], "Netlogon") : NULL;
	struct dir_ping *p = NULL;
	char *cause = NULL;

	if (c->conn == NULL)
		return;
	if (host == NULL)
		host = dir_conn_host(c->conn);
	for (size_t i = 0; i < raw->n_pings && p == NULL; i++)
		if (strcasecmp(raw->pings[i].host, host) == 0)
			p = &raw->pings[i];
	if (p == NULL) {
		raw->pings = xreallocarray(raw->pings, raw->n_pings + 1, sizeof(*raw->pings));
		p = &raw->pings[raw->n_pings++];
		*p = (struct dir_ping){.host = xstrdup(host)};
		for (char *s = p->host; *s != '\0'; s++)
			*s = (char)tolower((unsigned char)*s);
	}
	if (!p->answered && v != NULL &&
	    dir_ping_set(p, (const uint8_t *)v->data, v->len, &cause) < 0)
		error_cause(c, NULL, cause);
}

static void
pings(struct ctx *c)
{
	struct dir_srv_list parent_dcs = {0};
	struct ping_set ps = {0};
	const char *parent = parent_domain(c);
	char *nb = c->o->id->account != NULL ? netbios_name(c->o->id->account) : NULL;
	struct dir_ping_request own = ping_request(c, c->o->id->domain, nb);
	struct dir_ping_request up = ping_request(c, parent, nb);
	char *cause = NULL;

	if (c->o->id->domain != NULL && locate_own_dcs(c) == 0)
		add_targets(c, &ps, &c->own_dcs, &own);
	if (parent != NULL) {
		if (dir_locate_dcs(c->res, parent, c->o->site, &parent_dcs, &cause) == 0)
			add_targets(c, &ps, &parent_dcs, &up);
		else
			error_cause(c, "locating the DCs of the parent domain", cause);
	}
	if (ps.n > 0) {
		c->raw->pings = xcalloc(ps.n, sizeof(*c->raw->pings));
		c->raw->n_pings = ps.n;
		dir_ping_udp(ps.t, ps.n, c->timeout, c->o->cancel, c->raw->pings, &c->raw->errors,
		             &c->raw->n_errors);
		c->raw->round_trips++; /* all at once */
	}
	merge_tcp_ping(c);
	for (size_t i = 0; i < ps.n; i++)
		free(ps.addrs[i]);
	free(ps.addrs);
	free(ps.t);
	dir_srv_list_clear(&parent_dcs);
	free(nb);
}

/* ---- the whole ----------------------------------------------------------------------- */

/*
 * Kerberos set its clock by the KDC's (kdc_timesync), so the KDC said
 * nothing; the DC, comparing with its own clock, says only that the
 * credentials were refused. Name the likely cause.
 */
static void
skew_hint(struct ctx *c)
{
	double off = c->raw->kdc_offset;

	if (c->copts.bind != DIR_BIND_GSSAPI || fabs(off) < SKEW_SUSPECT)
		return;
	error(c,
	      "clock skew too great (KRB5KRB_AP_ERR_SKEW) is the likely cause: the KDC's clock is "
	      "%.0f s %s ours, and a DC refuses Kerberos authenticators more than 300 s "
	      "(by default) from its own clock",
	      fabs(off), off > 0 ? "ahead of" : "behind");
}

static void
read_directory(struct ctx *c)
{
	if (connect_first_dc(c) < 0) {
		error(c, "no DC could be read");
		skew_hint(c);
		return;
	}
	if (read_rootdse(c) < 0 || c->anonymous_fallback)
		return;
	if (c->o->id->domain != NULL)
		c->own_nc = domain_dn(c->o->id->domain);
	else if (dir_entry_text(&c->raw->rootdse, "defaultNamingContext") != NULL)
		c->own_nc = xstrdup(dir_entry_text(&c->raw->rootdse, "defaultNamingContext"));
	read_wave(c);
	if (!dir_conn_dead(c->conn) && c->budget.exceeded == NULL)
		read_nc_heads(c);
	if (c->what == DIR_READ_FULL && !c->self_read && c->o->id->account != NULL &&
	    c->raw->self.n == 0 && !dir_conn_dead(c->conn))
		error(c, "our computer object (%s) could not be read", c->o->id->account);
}

/* A read stopped short by a limit or the deadline is incomplete (see dir_raw_set_incomplete). */
static void
mark_incomplete(struct ctx *c)
{
	if (c->budget.exceeded != NULL)
		dir_raw_set_incomplete(c->raw, xstrdup(c->budget.exceeded));
	else if (dir_deadline_passed() && !(c->o->cancel != NULL && atomic_load(c->o->cancel)))
		dir_raw_set_incomplete(
		    c->raw, xasprintf("discovery took longer than discovery_timeout (%.3g s): "
		                      "reading stopped, the picture is incomplete",
		                      c->o->cfg->limits.timeout));
}

struct dir_raw *
dir_read(const struct dir_read_opts *o, enum dir_read what)
{
	struct ctx c = {.o = o, .what = what, .budget = {.lim = o->cfg->limits}};
	char *cause = NULL;

	c.raw = xcalloc(1, sizeof(*c.raw));
	dir_set_deadline(o->cfg->limits.timeout > 0 ? dir_now() + o->cfg->limits.timeout : 0);
	c.timeout = o->cfg->timeout > 0 ? o->cfg->timeout : DEFAULT_TIMEOUT;
	c.copts = (struct dir_conn_opts){.bind = o->cfg->bind,
	                                 .bind_dn = o->cfg->bind_dn,
	                                 .password = o->password,
	                                 .nocanon = o->cfg->nocanon,
	                                 .tls = o->cfg->starttls ? DIR_TLS_STARTTLS : DIR_TLS_NONE,
	                                 .tls_ca_file = o->cfg->tls_ca_file,
	                                 .krb = o->krb,
	                                 .timeout = c.timeout,
	                                 .cancel = o->cancel,
	                                 .round_trips = &c.raw->round_trips,
	                                 .budget = &c.budget};
	c.res = dir_resolver_new(o->cfg->dns_server, c.timeout, &cause);
	if (c.res == NULL) {
		error_cause(&c, NULL, cause);
	} else {
		kerberos(&c);
		read_directory(&c);
		if (what == DIR_READ_FULL && !dir_cancelled(o->cancel) && c.budget.exceeded == NULL)
			pings(&c);
	}
	if (o->cancel != NULL && atomic_load(o->cancel))
		error(&c, "discovery was cancelled");
	mark_incomplete(&c);
	c.raw->entries = c.budget.entries;
	c.raw->bytes = c.budget.bytes;
	c.raw->pages = c.budget.pages;
	free(c.budget.exceeded);
	dir_set_deadline(0);
	dir_conn_free(c.conn);
	if (c.o->krb != NULL)
		dir_krb_set_io(c.o->krb, NULL, c.timeout, NULL);
	dir_resolver_free(c.res);
	dir_srv_list_clear(&c.own_dcs);
	dir_entry_list_clear(&c.tcp_ping);
	strmap_free(c.servers);
	free(c.own_nc);
	return c.raw;
}

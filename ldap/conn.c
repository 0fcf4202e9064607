/*
 * conn.c - an LDAP connection: connect, bind, pipelined paged searches.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ldap.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openldap.h>
#include <sasl/sasl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/xmalloc.h"
#include "conn.h"
#include "krb.h"
#include "locate.h"
#include "net.h"

/* RFC 2696 page size: AD's MaxPageSize and the test slapd's sizelimit. */
#define PAGE_SIZE 1000
/*
 * Requests outstanding at once on one connection. Pipelining saves round
 * trips, but servers bound it (AD's MaxActiveQueries was 20; slapd answers
 * "internal error" to some of 50 base searches sent at once).
 */
#define WINDOW 8

struct dir_conn {
	LDAP *ld;
	int fd;
	char *host, *uri;
	char local[INET6_ADDRSTRLEN];
	struct dir_conn_opts o;
	unsigned ssf;
	char *tls; /* "TLSv1.3 AES-256-GCM" once TLS is up, else NULL */
	int dead;
};

/* ---- helpers ------------------------------------------------------------------ */

/* "ldap error text (server's diagnostic)" for the last error on C. */
static char *
ldap_cause(struct dir_conn *c, int rc)
{
	char *diag = NULL, *s;

	(void)ldap_get_option(c->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && diag[0] != '\0')
		s = xasprintf("%s (%s)", ldap_err2string(rc), diag);
	else
		s = xstrdup(ldap_err2string(rc));
	ldap_memfree(diag);
	return s;
}

/*
 * One message for MSGID (LDAP_RES_ANY: any) by DEADLINE, in slices so a
 * stop request is seen. The message type, or -ETIMEDOUT, -ECANCELED, -EIO
 * (the connection failed: c->dead is set).
 */
static int
wait_msg(struct dir_conn *c, int msgid, double deadline, LDAPMessage **ret)
{
	for (;;) {
		struct timeval tv;
		double left = deadline - dir_now();
		int r;

		if (dir_cancelled(c->o.cancel))
			return -ECANCELED;
		if (left <= 0)
			return -ETIMEDOUT;
		tv = loop_tv(fmin(left, DIR_NET_SLICE));
		r = ldap_result(c->ld, msgid, LDAP_MSG_ONE, &tv, ret);
		if (r > 0)
			return r;
		if (r < 0) {
			c->dead = 1;
			return -EIO;
		}
	}
}

static char *
wait_cause(struct dir_conn *c, int r)
{
	if (r == -EIO) {
		int rc = LDAP_SERVER_DOWN;

		(void)ldap_get_option(c->ld, LDAP_OPT_RESULT_CODE, &rc);
		return ldap_cause(c, rc);
	}
	if (r == -ETIMEDOUT)
		return xasprintf("no answer within %.3g s", c->o.timeout);
	return xstrdup(dir_net_error(r));
}

/* NULL when RES (freed here) says success, else "error text (diagnostic)". */
static char *
result_cause(struct dir_conn *c, LDAPMessage *res)
{
	char *diag = NULL, *s = NULL;
	int err = LDAP_OTHER, rc = ldap_parse_result(c->ld, res, &err, NULL, &diag, NULL, NULL, 1);

	if (rc != LDAP_SUCCESS)
		err = rc;
	if (err != LDAP_SUCCESS)
		s = diag != NULL && diag[0] != '\0'
		        ? xasprintf("%s (%s)", ldap_err2string(err), diag)
		        : xstrdup(ldap_err2string(err));
	ldap_memfree(diag);
	return s;
}

/* ---- connecting ---------------------------------------------------------------- */

static int
connect_any(struct dir_conn *c, uint16_t port, struct dir_resolver *res, char **ret_cause)
{
	struct dir_addr *a = NULL;
	size_t n = 0;
	char *cause = NULL, *tried = NULL;
	int fd = -1;

	if (dir_resolve_host(res, c->host, port, &a, &n, &cause) < 0) {
		*ret_cause = xasprintf("cannot connect to %s: %s", c->uri, cause);
		free(cause);
		return -1;
	}
	for (size_t i = 0; i < n && fd < 0; i++) {
		char where[64], *t;

		fd = dir_tcp_connect((struct sockaddr *)&a[i].ss, a[i].len,
		                     dir_now() + c->o.timeout, c->o.cancel);
		if (fd >= 0)
			break;
		dir_addr_port_string((struct sockaddr *)&a[i].ss, where, sizeof(where));
		t = xasprintf("%s%s%s: %s", tried ? tried : "", tried ? "; " : "", where,
		              dir_net_error(fd));
		free(tried);
		tried = t;
		if (fd == -ECANCELED)
			break;
	}
	free(a);
	if (fd < 0) {
		*ret_cause = xasprintf("cannot connect to %s: %s", c->uri, tried);
		free(tried);
		return -1;
	}
	free(tried);
	c->fd = fd;
	return 0;
}

static int
setup_ldap(struct dir_conn *c, char **ret_cause)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct timeval tv;
	unsigned ms = (unsigned)fmin(c->o.timeout * 1000, 3600e3);
	int v3 = LDAP_VERSION3, rc;

	/* Unacknowledged data to a peer that stopped answering fails the socket. */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &ms, sizeof(ms));
	if (getsockname(c->fd, (struct sockaddr *)&ss, &len) == 0)
		dir_addr_string((struct sockaddr *)&ss, c->local, sizeof(c->local));
	rc = ldap_init_fd(c->fd, LDAP_PROTO_TCP, c->uri, &c->ld);
	if (rc != LDAP_SUCCESS) {
		*ret_cause = xasprintf("%s: %s", c->uri, ldap_err2string(rc));
		close(c->fd);
		c->fd = -1;
		return -1;
	}
	tv = loop_tv(c->o.timeout);
	if (ldap_set_option(c->ld, LDAP_OPT_PROTOCOL_VERSION, &v3) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_RESTART, LDAP_OPT_ON) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(c->ld, LDAP_OPT_X_SASL_NOCANON,
	                    c->o.nocanon ? LDAP_OPT_ON : LDAP_OPT_OFF) != LDAP_OPT_SUCCESS) {
		*ret_cause = xasprintf("%s: cannot set the LDAP options", c->uri);
		return -1;
	}
	return 0;
}

/* ---- TLS ------------------------------------------------------------------------------ */

/* Verify the server's certificate (chain and name) against our CAs, on this handle only. */
static int
tls_context(struct dir_conn *c, char **ret_cause)
{
	int demand = LDAP_OPT_X_TLS_DEMAND, client = 0;

	if (ldap_set_option(c->ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
	    (c->o.tls_ca_file != NULL && ldap_set_option(c->ld, LDAP_OPT_X_TLS_CACERTFILE,
	                                                 c->o.tls_ca_file) != LDAP_OPT_SUCCESS) ||
	    ldap_set_option(c->ld, LDAP_OPT_X_TLS_NEWCTX, &client) != LDAP_OPT_SUCCESS) {
		*ret_cause = c->o.tls_ca_file != NULL
		                 ? xasprintf("TLS to %s: cannot load the CA certificates in %s",
		                             c->uri, c->o.tls_ca_file)
		                 : xasprintf("TLS to %s: cannot load the default CA certificates "
		                             "(ldap.conf TLS_CACERT)",
		                             c->uri);
		return -1;
	}
	return 0;
}

static int
start_tls_exop(struct dir_conn *c, char **ret_cause)
{
	LDAPMessage *res = NULL;
	char *cause;
	int msgid, r, rc = ldap_start_tls(c->ld, NULL, NULL, &msgid);

	if (rc != LDAP_SUCCESS) {
		cause = ldap_cause(c, rc);
	} else {
		(*c->o.round_trips)++;
		r = wait_msg(c, msgid, dir_now() + c->o.timeout, &res);
		cause = r < 0 ? wait_cause(c, r) : result_cause(c, res);
	}
	if (cause == NULL)
		return 0;
	*ret_cause = xasprintf("StartTLS with %s failed: %s", c->uri, cause);
	free(cause);
	return -1;
}

static int
setup_tls(struct dir_conn *c, char **ret_cause)
{
	char *version = NULL, *cipher = NULL;
	int rc;

	if (c->o.tls == DIR_TLS_NONE)
		return 0;
	if (tls_context(c, ret_cause) < 0 ||
	    (c->o.tls == DIR_TLS_STARTTLS && start_tls_exop(c, ret_cause) < 0))
		return -1;
	rc = ldap_install_tls(c->ld);
	if (rc != LDAP_SUCCESS) {
		char *cause = ldap_cause(c, rc);

		/* libldap gives GnuTLS's verification failures no text of their own. */
		*ret_cause = xasprintf(
		    "TLS with %s failed: %s; the server's certificate must name %s "
		    "and chain to a CA in %s",
		    c->uri, cause, c->host,
		    c->o.tls_ca_file != NULL ? c->o.tls_ca_file : "ldap.conf's TLS_CACERT");
		free(cause);
		return -1;
	}
	(void)ldap_get_option(c->ld, LDAP_OPT_X_TLS_VERSION, &version);
	(void)ldap_get_option(c->ld, LDAP_OPT_X_TLS_CIPHER, &cipher);
	c->tls =
	    xasprintf("%s %s", version != NULL ? version : "TLS", cipher != NULL ? cipher : "");
	ldap_memfree(version);
	ldap_memfree(cipher);
	return 0;
}

/* ---- binding ---------------------------------------------------------------------- */

static int
sasl_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	sasl_interact_t *i = in;

	(void)ld;
	(void)flags;
	(void)defaults;
	/* No authorisation identity: act as the authenticated machine account. */
	for (; i->id != SASL_CB_LIST_END; i++) {
		i->result = "";
		i->len = 0;
	}
	return LDAP_SUCCESS;
}

/* This machine's canonical name, as libldap's ldap_pvt_get_fqdn(NULL) finds it. */
static char *
local_fqdn(void)
{
	struct addrinfo hints = {.ai_flags = AI_CANONNAME}, *res = NULL;
	char host[256];
	char *s;

	if (gethostname(host, sizeof(host)) != 0)
		return xstrdup("localhost");
	host[sizeof(host) - 1] = '\0';
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return xstrdup(host);
	s = xstrdup(res->ai_canonname != NULL ? res->ai_canonname : host);
	freeaddrinfo(res);
	return s;
}

/*
 * The host name libldap gives SASL for the service principal (cyrus.c,
 * ldap_host_connected_to()): the URI's host with NOCANON; else for a
 * loopback peer this machine's own name, for others the peer's reverse-DNS
 * name, "localhost" when there is none.
 */
static char *
sasl_host(struct dir_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char name[NI_MAXHOST];

	if (c->o.nocanon)
		return xstrdup(c->host);
	if (getpeername(c->fd, (struct sockaddr *)&ss, &len) < 0)
		return xstrdup("localhost");
	if ((ss.ss_family == AF_INET &&
	     (((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) ||
	      ((struct sockaddr_in *)&ss)->sin_addr.s_addr == htonl(INADDR_ANY))) ||
	    (ss.ss_family == AF_INET6 &&
	     IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&ss)->sin6_addr)))
		return local_fqdn();
	if (getnameinfo((struct sockaddr *)&ss, len, name, sizeof(name), NULL, 0, NI_NAMEREQD) != 0)
		return xstrdup("localhost");
	return xstrdup(name);
}

static char *
bind_failure(struct dir_conn *c, const char *how, char *detail)
{
	char *s;

	/*
	 * The DC (not the KDC) found our authenticator too far from its clock:
	 * MIT says "Clock skew too great", AD's diagnostic carries
	 * SEC_E_TIME_SKEW (data 80090324).
	 */
	if (strcasestr(detail, "skew") != NULL || strstr(detail, "80090324") != NULL)
		s = xasprintf("%s bind to %s failed: clock skew too great between this machine "
		              "and the DC (KRB5KRB_AP_ERR_SKEW): %s",
		              how, c->uri, detail);
	else
		s = xasprintf("%s bind to %s failed: %s", how, c->uri, detail);
	free(detail);
	return s;
}

/* One SASL GSSAPI bind with SECPROPS: an LDAP result code, or -1 with *RET_CAUSE. */
static int
gssapi_exchange(struct dir_conn *c, const char *secprops, char **ret_cause)
{
	const char *rmech = NULL;
	LDAPMessage *res = NULL;
	int rc, msgid = -1;

	if (ldap_set_option(c->ld, LDAP_OPT_X_SASL_SECPROPS, secprops) != LDAP_OPT_SUCCESS) {
		*ret_cause = xstrdup("cannot set the SASL security properties");
		return -1;
	}
	for (;;) {
		int r;

		rc = ldap_sasl_interactive_bind(c->ld, NULL, "GSSAPI", NULL, NULL, LDAP_SASL_QUIET,
		                                sasl_interact, NULL, res, &rmech, &msgid);
		ldap_msgfree(res);
		res = NULL;
		if (rc != LDAP_SASL_BIND_IN_PROGRESS)
			return rc;
		(*c->o.round_trips)++;
		r = wait_msg(c, msgid, dir_now() + c->o.timeout, &res);
		if (r < 0) {
			*ret_cause = bind_failure(c, "GSSAPI", wait_cause(c, r));
			return -1;
		}
	}
}

static int
bind_gssapi(struct dir_conn *c, char **ret_cause)
{
	char *host = sasl_host(c);
	int rc;

	if (dir_krb_service_ticket(c->o.krb, "ldap", host, ret_cause) < 0) {
		if (!c->o.nocanon) {
			char *s = xasprintf("%s (for %s, ldap_nocanon = no names the service after "
			                    "the DC's reverse-DNS name, %s; yes names it after %s)",
			                    *ret_cause, c->uri, host, c->host);

			free(*ret_cause);
			*ret_cause = s;
		}
		free(host);
		return -1;
	}
	free(host);
	if (dir_krb_gss_use(c->o.krb, ret_cause) < 0)
		return -1;
	/*
	 * AD requires signed (or sealed) LDAP: at least integrity protection.
	 * Inside TLS it refuses both ([MS-ADTS] 5.1.2.1), and TLS protects the
	 * traffic already.
	 */
	rc = gssapi_exchange(c, c->tls != NULL ? "minssf=0,maxssf=0" : "minssf=1", ret_cause);
	if (rc == -1)
		return -1;
	if (rc != LDAP_SUCCESS) {
		char *cause = ldap_cause(c, rc);

		/* Samba before 4.20 wants a layer and refuses one inside TLS. */
		if (rc == LDAP_STRONG_AUTH_REQUIRED && c->tls != NULL) {
			char *s = xasprintf("%s; a Samba DC before 4.20 takes GSSAPI inside TLS "
			                    "only with 'ldap server require strong auth = "
			                    "allow_sasl_over_tls' (without TLS, GSSAPI seals the "
			                    "traffic itself)",
			                    cause);

			free(cause);
			cause = s;
		}
		*ret_cause = bind_failure(c, "GSSAPI", cause);
		return -1;
	}
	{
		ber_len_t ssf = 0;

		if (ldap_get_option(c->ld, LDAP_OPT_X_SASL_SSF, &ssf) == LDAP_OPT_SUCCESS)
			c->ssf = (unsigned)ssf;
	}
	return 0;
}

static int
bind_simple(struct dir_conn *c, char **ret_cause)
{
	struct berval cred = {.bv_val = (char *)c->o.password,
	                      .bv_len = c->o.password != NULL ? strlen(c->o.password) : 0};
	LDAPMessage *res = NULL;
	char *cause;
	int rc, msgid, r;

	if (c->tls == NULL)
		log_warn(
		    "directory: simple bind to %s without TLS: the password crosses the network "
		    "in clear (set ldap_starttls = yes or use an ldaps:// ldap_uri)",
		    log_esc(c->uri).s);
	rc = ldap_sasl_bind(c->ld, c->o.bind_dn, LDAP_SASL_SIMPLE, &cred, NULL, NULL, &msgid);
	if (rc != LDAP_SUCCESS) {
		*ret_cause = bind_failure(c, "simple", ldap_cause(c, rc));
		return -1;
	}
	(*c->o.round_trips)++;
	r = wait_msg(c, msgid, dir_now() + c->o.timeout, &res);
	cause = r < 0 ? wait_cause(c, r) : result_cause(c, res);
	if (cause != NULL) {
		*ret_cause = bind_failure(c, "simple", cause);
		return -1;
	}
	return 0;
}

static char *
make_uri(const char *host, uint16_t port, enum dir_tls tls)
{
	const char *scheme = tls == DIR_TLS_LDAPS ? "ldaps" : "ldap";

	return strchr(host, ':') != NULL ? xasprintf("%s://[%s]:%u", scheme, host, port)
	                                 : xasprintf("%s://%s:%u", scheme, host, port);
}

struct dir_conn *
dir_conn_open(const char *host, uint16_t port, struct dir_resolver *res,
              const struct dir_conn_opts *o, char **ret_cause)
{
	struct dir_conn *c = xcalloc(1, sizeof(*c));
	int r = 0;

	c->fd = -1;
	c->o = *o;
	c->host = xstrdup(host);
	c->uri = make_uri(host, port, o->tls);
	if (connect_any(c, port, res, ret_cause) < 0 || setup_ldap(c, ret_cause) < 0 ||
	    setup_tls(c, ret_cause) < 0) {
		dir_conn_free(c);
		return NULL;
	}
	switch (o->bind) {
	case DIR_BIND_GSSAPI:
		r = bind_gssapi(c, ret_cause);
		break;
	case DIR_BIND_SIMPLE:
		r = bind_simple(c, ret_cause);
		break;
	case DIR_BIND_ANONYMOUS:
		break;
	}
	if (r < 0) {
		dir_conn_free(c);
		return NULL;
	}
	log_debug("directory: bound to %s from %s (%s, SASL security strength %u, %s%s)",
	          log_esc(c->uri).s, c->local,
	          o->bind == DIR_BIND_GSSAPI   ? "GSSAPI"
	          : o->bind == DIR_BIND_SIMPLE ? "simple"
	                                       : "anonymous",
	          c->ssf, o->tls == DIR_TLS_STARTTLS ? "StartTLS " : "",
	          c->tls != NULL ? c->tls : "no TLS");
	return c;
}

void
dir_conn_free(struct dir_conn *c)
{
	if (c == NULL)
		return;
	if (c->ld != NULL)
		(void)ldap_unbind_ext(c->ld, NULL, NULL); /* closes c->fd */
	else if (c->fd >= 0)
		close(c->fd);
	free(c->host);
	free(c->uri);
	free(c->tls);
	free(c);
}

const char *
dir_conn_uri(const struct dir_conn *c)
{
	return c->uri;
}

const char *
dir_conn_host(const struct dir_conn *c)
{
	return c->host;
}

const char *
dir_conn_local_address(const struct dir_conn *c)
{
	return c->local;
}

int
dir_conn_dead(const struct dir_conn *c)
{
	return c->dead;
}

/* ---- searching -------------------------------------------------------------------- */

/* Append M's entry to OUT; the octets it holds (DN, attribute names, values). */
static size_t
entry_append(LDAP *ld, LDAPMessage *m, struct dir_entry_list *out)
{
	struct dir_entry e = {0};
	BerElement *ber = NULL;
	char *dn = ldap_get_dn(ld, m), *a;
	size_t bytes;

	e.dn = xstrdup(dn != NULL ? dn : "");
	bytes = strlen(e.dn);
	ldap_memfree(dn);
	for (a = ldap_first_attribute(ld, m, &ber); a != NULL;
	     a = ldap_next_attribute(ld, m, ber)) {
		struct berval **vals = ldap_get_values_len(ld, m, a);

		bytes += strlen(a);
		for (size_t i = 0; vals != NULL && vals[i] != NULL; i++) {
			dir_entry_add_value(&e, a, vals[i]->bv_val, vals[i]->bv_len);
			bytes += vals[i]->bv_len;
		}
		ldap_value_free_len(vals);
		ldap_memfree(a);
	}
	ber_free(ber, 0);
	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	out->v[out->n++] = e;
	return bytes;
}

/*
 * Count one entry of BYTES octets (or one page) against B; the sentence of
 * the first limit it passes stays in b->exceeded. Whether B is exhausted.
 */
static int
budget_take(struct dir_budget *b, size_t entries, size_t bytes, size_t pages)
{
	if (b == NULL)
		return 0;
	b->entries += entries;
	b->bytes += bytes;
	b->pages += pages;
	if (b->exceeded != NULL)
		return 1;
	if (b->lim.max_entries > 0 && b->entries > b->lim.max_entries)
		b->exceeded = xasprintf("the directory returned more than ldap_max_entries (%zu) "
		                        "entries: reading stopped, the picture is incomplete",
		                        b->lim.max_entries);
	else if (b->lim.max_bytes > 0 && b->bytes > b->lim.max_bytes)
		b->exceeded = xasprintf("the directory returned more than ldap_max_bytes (%zu) "
		                        "octets: reading stopped, the picture is incomplete",
		                        b->lim.max_bytes);
	else if (b->lim.max_pages > 0 && b->pages > b->lim.max_pages)
		b->exceeded = xasprintf("the directory returned more than ldap_max_pages (%zu) "
		                        "result pages: reading stopped, the picture is incomplete",
		                        b->lim.max_pages);
	return b->exceeded != NULL;
}

static void
search_fail(struct dir_search *s, char *why)
{
	if (s->error == NULL)
		s->error = xasprintf("%s (%s): %s", s->what, s->base, why);
	free(why);
	s->done = 1;
}

static void
search_send(struct dir_conn *c, struct dir_search *s)
{
	LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
	struct timeval tv;
	int rc;

	if (c->dead) {
		search_fail(s, xstrdup("the connection failed earlier"));
		return;
	}
	/* Each page is counted before it is asked for. */
	if (s->paged && budget_take(c->o.budget, 0, 0, 1)) {
		search_fail(s, xstrdup(c->o.budget->exceeded));
		return;
	}
	if (s->paged) {
		rc = ldap_create_page_control(c->ld, PAGE_SIZE, s->cookie, 0, &page);
		if (rc != LDAP_SUCCESS) {
			search_fail(s, ldap_cause(c, rc));
			return;
		}
		ctrls[0] = page;
	}
	tv = loop_tv(c->o.timeout);
	rc = ldap_search_ext(c->ld, s->base, s->scope, s->filter, (char **)s->attrs, 0,
	                     s->paged ? ctrls : NULL, NULL, &tv, LDAP_NO_LIMIT, &s->msgid);
	ldap_control_free(page);
	if (rc != LDAP_SUCCESS) {
		c->dead = rc == LDAP_SERVER_DOWN;
		search_fail(s, ldap_cause(c, rc));
		return;
	}
	(*c->o.round_trips)++;
	s->deadline = dir_now() + c->o.timeout;
}

/* The end of one page (or of the search): next page, done, or failed. */
static void
search_result(struct dir_conn *c, struct dir_search *s, LDAPMessage *m)
{
	LDAPControl **ctrls = NULL, *pc;
	char *diag = NULL;
	int err = LDAP_OTHER, rc;

	rc = ldap_parse_result(c->ld, m, &err, NULL, &diag, NULL, &ctrls, 0);
	s->ldap_result = rc == LDAP_SUCCESS ? err : -1;
	if (rc != LDAP_SUCCESS || err != LDAP_SUCCESS) {
		int code = rc != LDAP_SUCCESS ? rc : err;

		search_fail(s, diag != NULL && diag[0] != '\0'
		                   ? xasprintf("%s (%s)", ldap_err2string(code), diag)
		                   : xstrdup(ldap_err2string(code)));
		ldap_memfree(diag);
		ldap_controls_free(ctrls);
		return;
	}
	ldap_memfree(diag);
	pc = s->paged ? ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, ctrls, NULL) : NULL;
	if (pc != NULL) {
		struct berval *cookie = s->cookie;
		ber_int_t estimate;

		if (cookie == NULL)
			s->cookie = cookie = xcalloc(1, sizeof(*cookie));
		ber_memfree(cookie->bv_val);
		*cookie = (struct berval){0};
		if (ldap_parse_pageresponse_control(c->ld, pc, &estimate, cookie) != LDAP_SUCCESS) {
			search_fail(s, xstrdup("malformed paged-results control"));
		} else if (cookie->bv_len > 0) {
			search_send(c, s);
		} else {
			s->done = 1;
		}
	} else {
		s->done = 1;
	}
	ldap_controls_free(ctrls);
}

static int
running(const struct dir_search *s)
{
	return s->msgid >= 0 && !s->done;
}

static struct dir_search *
by_msgid(struct dir_search *s, size_t n, int msgid)
{
	for (size_t i = 0; i < n; i++)
		if (running(&s[i]) && s[i].msgid == msgid)
			return &s[i];
	return NULL;
}

/* The earliest deadline of the searches running, or -1 when none is. */
static double
next_deadline(const struct dir_search *s, size_t n)
{
	double d = -1;

	for (size_t i = 0; i < n; i++)
		if (running(&s[i]) && (d < 0 || s[i].deadline < d))
			d = s[i].deadline;
	return d;
}

/* Send the searches not yet sent while fewer than WINDOW run. */
static void
fill_window(struct dir_conn *c, struct dir_search *s, size_t n)
{
	size_t busy = 0;

	for (size_t i = 0; i < n; i++)
		busy += running(&s[i]);
	for (size_t i = 0; i < n && busy < WINDOW; i++) {
		if (s[i].msgid < 0 && !s[i].done) {
			search_send(c, &s[i]);
			busy += running(&s[i]);
		}
	}
}

/*
 * R ended the wait: give up the searches whose deadline passed (timeout),
 * or every one not done (cancel, broken connection).
 */
static void
expire(struct dir_conn *c, struct dir_search *s, size_t n, int r)
{
	double now = dir_now();

	for (size_t i = 0; i < n; i++) {
		if (s[i].done || (r == -ETIMEDOUT && (!running(&s[i]) || s[i].deadline > now)))
			continue;
		if (running(&s[i]) && r != -EIO)
			(void)ldap_abandon_ext(c->ld, s[i].msgid, NULL, NULL);
		search_fail(&s[i], wait_cause(c, r));
	}
	/* A server that lets one request time out is not worth more requests. */
	if (r == -ETIMEDOUT)
		c->dead = 1;
}

/* The budget is spent: abandon every search not done, and send nothing more. */
static void
stop_all(struct dir_conn *c, struct dir_search *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i].done)
			continue;
		if (running(&s[i]))
			(void)ldap_abandon_ext(c->ld, s[i].msgid, NULL, NULL);
		search_fail(&s[i], xstrdup(c->o.budget->exceeded));
	}
	c->dead = 1;
}

size_t
dir_conn_search(struct dir_conn *c, struct dir_search *s, size_t n)
{
	size_t failed = 0;
	double d;

	for (size_t i = 0; i < n; i++) {
		s[i].ldap_result = -1;
		s[i].done = 0;
		s[i].msgid = -1;
	}
	for (;;) {
		LDAPMessage *m = NULL;
		struct dir_search *t;
		int r;

		fill_window(c, s, n);
		if ((d = next_deadline(s, n)) < 0)
			break;
		r = wait_msg(c, LDAP_RES_ANY, d, &m);
		if (r < 0) {
			expire(c, s, n, r);
			continue;
		}
		t = by_msgid(s, n, ldap_msgid(m));
		if (t != NULL) {
			/*
			 * Progress: the per-operation timeout starts again. A DC
			 * that trickles is bounded by the discovery's one deadline
			 * (dir_cancelled()) and the budget, not by this.
			 */
			t->deadline = dir_now() + c->o.timeout;
			if (r == LDAP_RES_SEARCH_ENTRY &&
			    budget_take(c->o.budget, 1, entry_append(c->ld, m, t->out), 0))
				stop_all(c, s, n);
			else if (r == LDAP_RES_SEARCH_RESULT)
				search_result(c, t, m);
			/* LDAP_RES_SEARCH_REFERENCE: other naming contexts, not chased. */
		}
		ldap_msgfree(m);
	}
	for (size_t i = 0; i < n; i++)
		failed += s[i].error != NULL;
	return failed;
}

void
dir_search_clear(struct dir_search *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct berval *cookie = s[i].cookie;

		if (cookie != NULL)
			ber_memfree(cookie->bv_val);
		free(cookie);
		free(s[i].error);
		s[i].cookie = NULL;
		s[i].error = NULL;
	}
}

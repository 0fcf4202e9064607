/*
 * locate.c - DC and KDC location through DNS SRV records (RFC 2782).
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "../common/xmalloc.h"
#include "locate.h"
#include "net.h"

/* Large enough for any answer: libresolv retries over TCP when UDP truncates. */
#define ANSWER_MAX 65536

struct dir_resolver {
	struct __res_state st;
	int fixed_server; /* a server was given: no getaddrinfo fallback */
	int silent;       /* a query timed out: the servers are not asked again */
};

void
dir_srv_list_clear(struct dir_srv_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].target);
	free(l->v);
	*l = (struct dir_srv_list){0};
}

void
dir_srv_list_add(struct dir_srv_list *l, const struct dir_srv *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].port == s->port && strcasecmp(l->v[i].target, s->target) == 0)
			return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n] = *s;
	l->v[l->n].target = xstrdup(s->target);
	l->n++;
}

/* ---- RFC 2782 ordering ------------------------------------------------------ */

static int
by_priority(const void *a, const void *b)
{
	const struct dir_srv *x = a, *y = b;

	return (x->priority > y->priority) - (x->priority < y->priority);
}

/* Move the weight-0 records of V[0..N) to the front, keeping their order. */
static void
zero_weights_first(struct dir_srv *v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].weight == 0) {
			struct dir_srv t = v[i];

			memmove(&v[k + 1], &v[k], (i - k) * sizeof(*v));
			v[k++] = t;
		}
	}
}

/*
 * One priority group V[0..N): "compute the sum of the weights of those RRs,
 * and with each RR associate the running sum in the selected order. Then
 * choose a uniform random number between 0 and the sum computed
 * (inclusive), and select the RR whose running sum value is the first in the
 * selected order which is greater than or equal to the random number
 * selected" (RFC 2782), repeated on the rest.
 */
static void
order_group(struct dir_srv *v, size_t n, uint32_t (*rnd)(void *, uint32_t), void *arg)
{
	for (size_t done = 0; done + 1 < n; done++) {
		struct dir_srv *rest = v + done, pick;
		size_t left = n - done, i;
		uint32_t sum = 0, run = 0, r;

		zero_weights_first(rest, left);
		for (i = 0; i < left; i++)
			sum += rest[i].weight;
		r = rnd(arg, sum);
		for (i = 0; i < left; i++) {
			run += rest[i].weight;
			if (run >= r)
				break;
		}
		if (i == left) /* a generator out of range: take the last */
			i = left - 1;
		pick = rest[i];
		memmove(&rest[1], &rest[0], i * sizeof(*rest));
		rest[0] = pick;
	}
}

void
dir_srv_order(struct dir_srv *v, size_t n, uint32_t (*rnd)(void *arg, uint32_t bound), void *arg)
{
	size_t start = 0;

	if (n == 0)
		return;
	/* Stable sort: insertion for the short lists DNS gives. */
	for (size_t i = 1; i < n; i++) {
		struct dir_srv t = v[i];
		size_t j = i;

		while (j > 0 && by_priority(&v[j - 1], &t) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = t;
	}
	for (size_t i = 1; i <= n; i++) {
		if (i == n || v[i].priority != v[start].priority) {
			order_group(v + start, i - start, rnd, arg);
			start = i;
		}
	}
}

static uint32_t
random_upto(void *arg, uint32_t bound)
{
	uint32_t x;

	(void)arg;
	if (getrandom(&x, sizeof(x), 0) != (ssize_t)sizeof(x))
		x = (uint32_t)random(); /* cannot fail in practice; any order is valid */
	return bound == UINT32_MAX ? x : x % (bound + 1);
}

/* ---- parsing ------------------------------------------------------------------ */

static void
lower_name(char *s)
{
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
}

int
dir_srv_parse(const uint8_t *msg, size_t len, struct dir_srv_list *ret, char **ret_cause)
{
	struct dir_srv_list l = {0};
	ns_msg h;

	if (ns_initparse(msg, (int)len, &h) < 0) {
		*ret_cause = xstrdup("malformed DNS answer");
		return -1;
	}
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		char name[NS_MAXDNAME];
		struct dir_srv s;
		ns_rr rr;

		if (ns_parserr(&h, ns_s_an, i, &rr) < 0) {
			dir_srv_list_clear(&l);
			*ret_cause = xstrdup("malformed DNS answer record");
			return -1;
		}
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_class(rr) != ns_c_in)
			continue;
		if (ns_rr_rdlen(rr) < 7 ||
		    ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), ns_rr_rdata(rr) + 6, name,
		                       sizeof(name)) < 0) {
			dir_srv_list_clear(&l);
			*ret_cause = xstrdup("malformed SRV record");
			return -1;
		}
		lower_name(name);
		if (name[0] == '\0') /* "." */
			continue;
		s.priority = ns_get16(ns_rr_rdata(rr));
		s.weight = ns_get16(ns_rr_rdata(rr) + 2);
		s.port = ns_get16(ns_rr_rdata(rr) + 4);
		s.target = name;
		dir_srv_list_add(&l, &s);
	}
	*ret = l;
	return 0;
}

char *
dir_srv_name(const char *kind, const char *site, const char *domain)
{
	if (site != NULL && site[0] != '\0')
		return xasprintf("_ldap._tcp.%s._sites.%s._msdcs.%s", site, kind, domain);
	return xasprintf("_ldap._tcp.%s._msdcs.%s", kind, domain);
}

/* ---- the resolver -------------------------------------------------------------- */

static int
parse_server(const char *s, struct sockaddr_in *ret)
{
	const char *colon = strchr(s, ':');
	char addr[INET_ADDRSTRLEN];
	unsigned long port = NS_DEFAULTPORT;
	size_t n = colon != NULL ? (size_t)(colon - s) : strlen(s);

	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (colon != NULL) {
		char *end;

		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno != 0 || *end != '\0' || end == colon + 1 || port == 0 || port > 65535)
			return -1;
	}
	*ret = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	return inet_pton(AF_INET, addr, &ret->sin_addr) == 1 ? 0 : -1;
}

struct dir_resolver *
dir_resolver_new(const char *server, double timeout, char **ret_cause)
{
	struct dir_resolver *r = xcalloc(1, sizeof(*r));
	struct sockaddr_in sin;

	if (server != NULL && parse_server(server, &sin) < 0) {
		*ret_cause = xasprintf("bad DNS server \"%s\": want IPv4ADDR[:PORT]", server);
		free(r);
		return NULL;
	}
	if (res_ninit(&r->st) < 0) {
		*ret_cause = xstrdup("cannot initialise the DNS resolver");
		free(r);
		return NULL;
	}
	if (server != NULL) {
		r->st.nscount = 1;
		r->st.nsaddr_list[0] = sin;
		r->fixed_server = 1;
	}
	/* One try per server, each bounded by the timeout split across the servers. */
	r->st.retry = 1;
	r->st.retrans = (int)fmax(1.0, ceil(timeout / (r->st.nscount > 0 ? r->st.nscount : 1)));
	return r;
}

void
dir_resolver_free(struct dir_resolver *r)
{
	if (r == NULL)
		return;
	res_nclose(&r->st);
	free(r);
}

/* Query NAME for TYPE: answer length, 0 for "no such name/data", -1 on failure. */
static int
query(struct dir_resolver *r, const char *name, int type, uint8_t *buf, char **ret_cause)
{
	double t0 = dir_now();
	int n;

	/*
	 * A hung DNS server costs one timeout per discovery, not one per
	 * query (a discovery asks for the addresses of dozens of DCs).
	 */
	if (r->silent) {
		*ret_cause = xasprintf("DNS query for %s not sent: the DNS server did not answer "
		                       "an earlier query",
		                       name);
		return -1;
	}
	n = res_nquery(&r->st, name, ns_c_in, type, buf, ANSWER_MAX);
	if (n >= 0)
		return n;
	switch (r->st.res_h_errno) {
	case HOST_NOT_FOUND:
	case NO_DATA:
		return 0;
	case TRY_AGAIN:
		if (dir_now() - t0 >= 0.9 * r->st.retrans) {
			r->silent = 1;
			*ret_cause = xasprintf("DNS query for %s: no answer within %d s", name,
			                       r->st.retrans);
		} else {
			*ret_cause = xasprintf("DNS query for %s: server failure", name);
		}
		return -1;
	default:
		*ret_cause = xasprintf("DNS query for %s failed (refused or malformed)", name);
		return -1;
	}
}

int
dir_resolve_srv(struct dir_resolver *r, const char *name, struct dir_srv_list *ret,
                char **ret_cause)
{
	uint8_t *buf = xmalloc(ANSWER_MAX);
	char *cause = NULL;
	int n = query(r, name, ns_t_srv, buf, &cause);

	*ret = (struct dir_srv_list){0};
	if (n > 0 && dir_srv_parse(buf, (size_t)n, ret, &cause) < 0) {
		*ret_cause = xasprintf("DNS answer for %s: %s", name, cause);
		free(cause);
		n = -1;
	} else if (n < 0) {
		*ret_cause = cause;
	}
	free(buf);
	if (n < 0)
		return -1;
	dir_srv_order(ret->v, ret->n, random_upto, NULL);
	return 0;
}

int
dir_locate_dcs(struct dir_resolver *r, const char *domain, const char *site,
               struct dir_srv_list *ret, char **ret_cause)
{
	struct dir_srv_list all = {0}, part;
	char *name, *cause = NULL;
	int failed;

	if (site != NULL && site[0] != '\0') {
		name = dir_srv_name("dc", site, domain);
		if (dir_resolve_srv(r, name, &part, &cause) == 0) {
			for (size_t i = 0; i < part.n; i++)
				dir_srv_list_add(&all, &part.v[i]);
			dir_srv_list_clear(&part);
		}
		free(cause);
		cause = NULL;
		free(name);
	}
	name = dir_srv_name("dc", NULL, domain);
	failed = dir_resolve_srv(r, name, &part, &cause) < 0;
	free(name);
	if (failed && all.n == 0) {
		*ret_cause = cause;
		return -1;
	}
	free(cause);
	for (size_t i = 0; !failed && i < part.n; i++)
		dir_srv_list_add(&all, &part.v[i]);
	if (!failed)
		dir_srv_list_clear(&part);
	*ret = all;
	return 0;
}

/* ---- host addresses -------------------------------------------------------- */

static void
add_addr(struct dir_addr **v, size_t *n, int family, const void *a, uint16_t port)
{
	struct dir_addr *d;

	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	d = &(*v)[(*n)++];
	memset(d, 0, sizeof(*d));
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&d->ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		memcpy(&s->sin_addr, a, 4);
		d->len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&d->ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		memcpy(&s->sin6_addr, a, 16);
		d->len = sizeof(*s);
	}
}

static int
numeric(const char *host, uint16_t port, struct dir_addr **v, size_t *n)
{
	uint8_t a[16];

	if (inet_pton(AF_INET, host, a) == 1)
		add_addr(v, n, AF_INET, a, port);
	else if (inet_pton(AF_INET6, host, a) == 1)
		add_addr(v, n, AF_INET6, a, port);
	else
		return 0;
	return 1;
}

/* The A or AAAA records of HOST appended to V: 0, or -1 when DNS failed. */
static int
dns_addrs(struct dir_resolver *r, const char *host, int type, uint16_t port, struct dir_addr **v,
          size_t *n, char **ret_cause)
{
	uint8_t *buf = xmalloc(ANSWER_MAX);
	int len = query(r, host, type, buf, ret_cause);
	size_t want = type == ns_t_a ? 4 : 16;
	ns_msg h;

	if (len > 0 && ns_initparse(buf, len, &h) == 0) {
		for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
			ns_rr rr;

			if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
				break;
			if ((int)ns_rr_type(rr) == type && ns_rr_rdlen(rr) == want)
				add_addr(v, n, type == ns_t_a ? AF_INET : AF_INET6, ns_rr_rdata(rr),
				         port);
		}
	}
	free(buf);
	return len < 0 ? -1 : 0;
}

int
dir_hosts_lookup(const char *text, const char *host, int (*found)(const char *addr, void *arg),
                 void *arg)
{
	int count = 0;

	while (*text != '\0') {
		size_t len = strcspn(text, "\n");
		char *line = xstrndup(text, len), *save = NULL, *addr, *name;

		*strchrnul(line, '#') = '\0';
		addr = strtok_r(line, " \t\r", &save);
		while (addr != NULL && (name = strtok_r(NULL, " \t\r", &save)) != NULL) {
			if (strcasecmp(name, host) == 0) {
				count += found(addr, arg) ? 1 : 0;
				break;
			}
		}
		free(line);
		text += len + (text[len] == '\n');
	}
	return count;
}

struct hosts_arg {
	uint16_t port;
	struct dir_addr **v;
	size_t *n;
};

static int
hosts_found(const char *addr, void *arg)
{
	struct hosts_arg *a = arg;

	return numeric(addr, a->port, a->v, a->n);
}

/* HOST in /etc/hosts, which comes before DNS (as nsswitch.conf has it everywhere). */
static void
hosts_file_addrs(const char *host, uint16_t port, struct dir_addr **v, size_t *n)
{
	struct hosts_arg arg = {port, v, n};
	FILE *f = fopen("/etc/hosts", "re");
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;

	if (f == NULL)
		return;
	len = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (len > 0)
		(void)dir_hosts_lookup(text, host, hosts_found, &arg);
	free(text);
}

static int
system_addrs(const char *host, uint16_t port, struct dir_addr **v, size_t *n)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;

	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			add_addr(v, n, AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr,
			         port);
		else if (ai->ai_family == AF_INET6)
			add_addr(v, n, AF_INET6, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr,
			         port);
	}
	freeaddrinfo(res);
	return 0;
}

int
dir_resolve_host(struct dir_resolver *r, const char *host, uint16_t port, struct dir_addr **ret,
                 size_t *ret_n, char **ret_cause)
{
	struct dir_addr *v = NULL;
	size_t n = 0;
	char *c4 = NULL, *c6 = NULL;
	int f4, f6;

	/* RFC 6761 6.3: localhost is the loopback, without asking DNS. */
	if (strcasecmp(host, "localhost") == 0 || strcasecmp(host, "localhost.") == 0) {
		(void)numeric("127.0.0.1", port, &v, &n);
		(void)numeric("::1", port, &v, &n);
		*ret = v;
		*ret_n = n;
		return 0;
	}
	if (numeric(host, port, &v, &n)) {
		*ret = v;
		*ret_n = n;
		return 0;
	}
	hosts_file_addrs(host, port, &v, &n);
	if (n > 0) {
		*ret = v;
		*ret_n = n;
		return 0;
	}
	f4 = dns_addrs(r, host, ns_t_a, port, &v, &n, &c4);
	f6 = dns_addrs(r, host, ns_t_aaaa, port, &v, &n, &c6);
	if (n == 0 && f4 == 0 && f6 == 0 && !r->fixed_server)
		(void)system_addrs(host, port, &v,
		                   &n); /* /etc/hosts; nothing found is said below */
	if (n == 0) {
		*ret_cause = c4 != NULL   ? c4
		             : c6 != NULL ? c6
		                          : xasprintf("no address for %s", host);
		if (*ret_cause != c4)
			free(c4);
		if (*ret_cause != c6)
			free(c6);
		return -1;
	}
	free(c4);
	free(c6);
	*ret = v;
	*ret_n = n;
	return 0;
}

/*
 * dirprobe - run directory discovery (ldap/discovery.h) without the daemon
 * and print what it read.
 *
 *   dirprobe [--KEY VALUE | --KEY=VALUE]... [--repeat N] [--interval S]
 *            [--pdc-only] [--forest] [--dump] [--debug] [--abandon-after S]
 *
 * KEYs are the daemon's directory keys (dashes or underscores): domain,
 * realm, keytab, principal, ldap_uri (repeatable), ldap_bind
 * (gssapi|simple|anonymous), ldap_bind_dn, ldap_bind_password_file,
 * ldap_nocanon (yes|no), ldap_starttls (yes|no), ldap_tls_ca_file, site,
 * timeout, dns_server, ping_port, ldap_max_entries, ldap_max_bytes,
 * ldap_max_pages, discovery_timeout.
 *
 * Each run prints a "result" line of KEY=VALUE fields (run, elapsed,
 * round_trips, errors and the count of each list), then "error:" lines,
 * "rootdse:" lines, "ping:" lines, a "limits" line (what the read took
 * against the limits, and why it is incomplete), and with --forest the picture's "forest"
 * line and its "problem:" lines. --repeat N runs N discoveries one after
 * another in this one process, --interval S apart (from the end of one to
 * the start of the next). Exit status: 0 when no run had an error, 1 when
 * one did, 2 on bad usage or a failed start. --abandon-after S frees the
 * discovery S seconds into the first run and prints "abandoned: busy=B
 * free_took=T" (how long dir_discovery_free() waited for the worker).
 */
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../../common/log.h"
#include "../../common/xmalloc.h"
#include "../../ldap/discovery.h"
#include "../../ldap/forest.h"
#include "../../ldap/raw.h"

#define MAX_URIS 16

struct probe {
	struct event_base *base;
	struct dir_discovery *d;
	struct event *timer, *abandon;
	enum dir_read what;
	double abandon_after;
	long repeat, run;
	double interval;
	int forest, dump;
	int any_errors;
	struct timespec started;
};

static void
usage(void)
{
	fprintf(stderr,
	        "usage: dirprobe [--domain D] [--realm R] [--keytab K] [--principal P]\n"
	        "                [--ldap-uri URI]... [--ldap-bind gssapi|simple|anonymous]\n"
	        "                [--ldap-bind-dn DN] [--ldap-bind-password-file F]\n"
	        "                [--ldap-nocanon yes|no] [--ldap-starttls yes|no]\n"
	        "                [--ldap-tls-ca-file F] [--site S] [--timeout SECONDS]\n"
	        "                [--dns-server ADDR[:PORT]] [--ping-port PORT]\n"
	        "                [--ldap-max-entries N] [--ldap-max-bytes N] [--ldap-max-pages N]\n"
	        "                [--discovery-timeout SECONDS]\n"
	        "                [--repeat N] [--interval SECONDS] [--pdc-only] [--forest]\n"
	        "                [--dump] [--debug] [--abandon-after SECONDS]\n");
	exit(2);
}

static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) * 1e-9;
}

static void
print_value(const char *prefix, const char *name, const struct dir_value *v)
{
	printf("%s%s=%s\n", prefix, name, log_esc_mem(v->data, v->len).s);
}

static void
dump_entry(const char *kind, const struct dir_entry *e)
{
	printf("entry: %s dn=%s\n", kind, log_esc(e->dn).s);
	for (size_t i = 0; i < e->n_attrs; i++)
		for (size_t j = 0; j < e->attrs[i].n_vals; j++)
			print_value("  ", e->attrs[i].name, &e->attrs[i].vals[j]);
}

static void
print_lists(const struct probe *p, const struct dir_raw *raw)
{
	const struct {
		const char *name;
		const struct dir_entry_list *l;
	} lists[] = {
	    {"crossrefs", &raw->crossrefs}, {"nc_heads", &raw->nc_heads},
	    {"sites", &raw->sites},         {"servers", &raw->servers},
	    {"ntds", &raw->ntds},           {"subnets", &raw->subnets},
	    {"self", &raw->self},
	};
	size_t answered = 0;

	for (size_t i = 0; i < raw->n_pings; i++)
		answered += raw->pings[i].answered != 0;
	printf("result run=%ld elapsed=%.3f round_trips=%u errors=%zu", p->run, since(&p->started),
	       raw->round_trips, raw->n_errors);
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		printf(" %s=%zu", lists[i].name, lists[i].l->n);
	printf(" pings=%zu answered_pings=%zu rootdse=%d kdc_offset=%.0f read_from=%s "
	       "local_address=%s\n",
	       raw->n_pings, answered, raw->rootdse.dn != NULL, raw->kdc_offset,
	       raw->read_from != NULL ? log_esc(raw->read_from).s : "-",
	       raw->local_address != NULL ? log_esc(raw->local_address).s : "-");
	for (size_t i = 0; i < raw->n_errors; i++)
		printf("error: %s\n", log_esc(raw->errors[i]).s);
	for (size_t i = 0; i < raw->rootdse.n_attrs; i++)
		for (size_t j = 0; j < raw->rootdse.attrs[i].n_vals; j++)
			print_value("rootdse: ", raw->rootdse.attrs[i].name,
			            &raw->rootdse.attrs[i].vals[j]);
	for (size_t i = 0; i < raw->n_pings; i++) {
		const struct dir_ping *g = &raw->pings[i];

		if (g->answered)
			printf("ping: %s answered=1 flags=0x%08x dc_site=%s client_site=%s\n",
			       log_esc(g->host).s, (unsigned)g->flags,
			       g->dc_site ? log_esc(g->dc_site).s : "-",
			       g->client_site ? log_esc(g->client_site).s : "-");
		else
			printf("ping: %s answered=0 flags=unknown\n", log_esc(g->host).s);
	}
	for (size_t i = 0; p->dump && i < sizeof(lists) / sizeof(lists[0]); i++)
		for (size_t j = 0; j < lists[i].l->n; j++)
			dump_entry(lists[i].name, &lists[i].l->v[j]);
}

/* The picture the worker built, or for a read that built none, one built here. */
static void
print_forest(const struct probe *p, const struct dir_result *r)
{
	struct hier_forest *f =
	    r->forest != NULL ? r->forest : dir_forest_build(r->raw, dir_discovery_identity(p->d));
	const struct hier_self *self = hier_forest_self(f);
	int pdcs = 0;

	for (size_t i = 0; i < hier_forest_n_domains(f); i++)
		pdcs += hier_forest_domain(f, i)->pdc >= 0;
	printf("forest role=%s domains=%zu pdcs=%d dcs=%zu sites=%zu subnets=%zu problems=%zu "
	       "self_domain=%s self_site=%s site_source=%s\n",
	       hier_role_name(self->role), hier_forest_n_domains(f), pdcs, hier_forest_n_dcs(f),
	       hier_forest_n_sites(f), hier_forest_n_subnets(f), hier_forest_n_problems(f),
	       self->domain >= 0 ? hier_forest_domain(f, (size_t)self->domain)->name : "-",
	       self->site >= 0 ? hier_forest_site(f, (size_t)self->site)->name : "-",
	       self->site_source != NULL ? self->site_source : "-");
	for (size_t i = 0; i < hier_forest_n_problems(f); i++)
		printf("problem: %s\n", hier_forest_problem(f, i));
	if (f != r->forest)
		hier_forest_free(f);
}

static void
start_run(struct probe *p)
{
	p->run++;
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	if (dir_discovery_start(p->d, p->what) < 0) {
		fprintf(stderr, "dirprobe: discovery busy\n");
		event_base_loopexit(p->base, NULL);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	start_run(arg);
}

static void
on_abandon(evutil_socket_t fd, short what, void *arg)
{
	struct probe *p = arg;
	struct timespec t0;
	int busy = dir_discovery_busy(p->d);

	(void)fd;
	(void)what;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dir_discovery_free(p->d);
	p->d = NULL;
	printf("abandoned: busy=%d free_took=%.3f\n", busy, since(&t0));
	fflush(stdout);
	event_base_loopexit(p->base, NULL);
}

static void
on_done(struct dir_result *r, void *arg)
{
	struct probe *p = arg;

	print_lists(p, r->raw);
	printf("limits entries=%zu bytes=%zu pages=%zu build=%.3f incomplete=%s\n", r->entries,
	       r->bytes, r->pages, r->build_seconds,
	       r->incomplete != NULL ? log_esc(r->incomplete).s : "-");
	if (p->forest)
		print_forest(p, r);
	fflush(stdout);
	p->any_errors |= r->raw->n_errors > 0;
	dir_result_free(r);
	if (p->run >= p->repeat) {
		event_base_loopexit(p->base, NULL);
	} else {
		struct timeval tv = {.tv_sec = (time_t)p->interval,
		                     .tv_usec =
		                         (suseconds_t)((p->interval - floor(p->interval)) * 1e6)};

		event_add(p->timer, &tv);
	}
}

static int
yes(const char *v)
{
	if (strcasecmp(v, "yes") == 0 || strcasecmp(v, "on") == 0 || strcmp(v, "1") == 0 ||
	    strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "no") == 0 || strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
	    strcasecmp(v, "false") == 0)
		return 0;
	usage();
	return 0;
}

static double
number(const char *v, double min, double max)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(x >= min && x <= max))
		usage();
	return x;
}

/* The option KEY (dashes) with VALUE (NULL for flags); 1 when it took VALUE. */
static int
option(struct probe *p, struct dir_config *cfg, const char **uris, size_t *n_uris, const char *key,
       const char *value)
{
	if (strcmp(key, "pdc-only") == 0) {
		p->what = DIR_READ_PDC_ONLY;
		return 0;
	}
	if (strcmp(key, "forest") == 0) {
		p->forest = 1;
		return 0;
	}
	if (strcmp(key, "dump") == 0) {
		p->dump = 1;
		return 0;
	}
	if (strcmp(key, "debug") == 0) {
		log_set_level(LOG_LVL_DEBUG);
		return 0;
	}
	if (value == NULL)
		usage();
	if (strcmp(key, "domain") == 0)
		cfg->domain = value;
	else if (strcmp(key, "realm") == 0)
		cfg->realm = value;
	else if (strcmp(key, "keytab") == 0)
		cfg->keytab = value;
	else if (strcmp(key, "principal") == 0)
		cfg->principal = value;
	else if (strcmp(key, "ldap-uri") == 0 && *n_uris < MAX_URIS)
		uris[(*n_uris)++] = value;
	else if (strcmp(key, "ldap-bind") == 0)
		cfg->bind = strcmp(value, "gssapi") == 0      ? DIR_BIND_GSSAPI
		            : strcmp(value, "simple") == 0    ? DIR_BIND_SIMPLE
		            : strcmp(value, "anonymous") == 0 ? DIR_BIND_ANONYMOUS
		                                              : (usage(), DIR_BIND_GSSAPI);
	else if (strcmp(key, "ldap-bind-dn") == 0)
		cfg->bind_dn = value;
	else if (strcmp(key, "ldap-bind-password-file") == 0)
		cfg->bind_password_file = value;
	else if (strcmp(key, "ldap-nocanon") == 0)
		cfg->nocanon = yes(value);
	else if (strcmp(key, "ldap-starttls") == 0)
		cfg->starttls = yes(value);
	else if (strcmp(key, "ldap-tls-ca-file") == 0)
		cfg->tls_ca_file = value;
	else if (strcmp(key, "site") == 0)
		cfg->site = value;
	else if (strcmp(key, "timeout") == 0)
		cfg->timeout = number(value, 0.01, 3600);
	else if (strcmp(key, "dns-server") == 0)
		cfg->dns_server = value;
	else if (strcmp(key, "ldap-max-entries") == 0)
		cfg->limits.max_entries = (size_t)number(value, 1, 1e12);
	else if (strcmp(key, "ldap-max-bytes") == 0)
		cfg->limits.max_bytes = (size_t)number(value, 1, 1e12);
	else if (strcmp(key, "ldap-max-pages") == 0)
		cfg->limits.max_pages = (size_t)number(value, 1, 1e12);
	else if (strcmp(key, "discovery-timeout") == 0)
		cfg->limits.timeout = number(value, 0.01, 86400);
	else if (strcmp(key, "ping-port") == 0)
		cfg->ping_port = (unsigned)number(value, 1, 65535);
	else if (strcmp(key, "abandon-after") == 0)
		p->abandon_after = number(value, 0, 86400);
	else if (strcmp(key, "repeat") == 0)
		p->repeat = (long)number(value, 1, 1e6);
	else if (strcmp(key, "interval") == 0)
		p->interval = number(value, 0, 86400);
	else
		usage();
	return 1;
}

static void
parse_args(int argc, char **argv, struct probe *p, struct dir_config *cfg, const char **uris)
{
	size_t n_uris = 0;

	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *eq, key[64];
		size_t len;

		if (strncmp(arg, "--", 2) != 0)
			usage();
		arg += 2;
		eq = strchr(arg, '=');
		len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
		if (len == 0 || len >= sizeof(key))
			usage();
		memcpy(key, arg, len);
		key[len] = '\0';
		for (char *k = key; *k != '\0'; k++)
			if (*k == '_')
				*k = '-';
		if (eq != NULL) {
			if (!option(p, cfg, uris, &n_uris, key, eq + 1))
				usage();
		} else if (option(p, cfg, uris, &n_uris, key, i + 1 < argc ? argv[i + 1] : NULL)) {
			i++;
		}
	}
	uris[n_uris] = NULL;
}

int
main(int argc, char **argv)
{
	struct probe p = {.what = DIR_READ_FULL, .repeat = 1, .interval = 1};
	const char *uris[MAX_URIS + 1];
	struct dir_config cfg = {
	    .bind = DIR_BIND_GSSAPI, .timeout = 5, .ldap_uris = uris, .keep_raw = 1};
	char *cause = NULL;

	log_open("dirprobe", 1, LOG_LVL_INFO);
	parse_args(argc, argv, &p, &cfg, uris);
	p.base = event_base_new();
	if (p.base == NULL) {
		fprintf(stderr, "dirprobe: cannot create an event base\n");
		return 2;
	}
	p.d = dir_discovery_new(p.base, &cfg, on_done, &p, &cause);
	if (p.d == NULL) {
		fprintf(stderr, "dirprobe: %s\n", log_esc(cause).s);
		free(cause);
		event_base_free(p.base);
		return 2;
	}
	p.timer = evtimer_new(p.base, on_timer, &p);
	p.abandon = evtimer_new(p.base, on_abandon, &p);
	if (p.abandon_after > 0) {
		struct timeval tv = {
		    .tv_sec = (time_t)p.abandon_after,
		    .tv_usec = (suseconds_t)((p.abandon_after - floor(p.abandon_after)) * 1e6)};

		event_add(p.abandon, &tv);
	}
	start_run(&p);
	event_base_dispatch(p.base);
	event_free(p.timer);
	event_free(p.abandon);
	dir_discovery_free(p.d);
	event_base_free(p.base);
	log_close();
	return p.any_errors ? 1 : 0;
}

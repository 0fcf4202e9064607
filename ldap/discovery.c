/*
 * discovery.c - the discovery worker thread and its hand-over to the loop.
 *
 * One thread does all DNS, Kerberos and LDAP work (read.c). The loop asks
 * for a read under a mutex and a condition variable; the worker sends the
 * finished dir_raw's pointer back through a datagram socketpair whose other
 * end is an ordinary libevent read event, so the result is delivered on the
 * loop like any other I/O. A pipe rather than event_active() from the
 * thread: that would need evthread_use_pthreads() before the event_base is
 * made, a process-wide switch this module would impose on the daemon, and
 * locking in every libevent call for the sake of one message per
 * discovery.
 *
 * State the worker uses lives in a shared block with two references (loop,
 * worker), so dir_discovery_free() can stop waiting for a worker stuck in a
 * blocking call (a DNS query) and leave it to free the block when it ends.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/loop.h"
#include "../common/ts.h"
#include "../common/xmalloc.h"
#include "discovery.h"
#include "forest.h"
#include "net.h"
#include "ntkey.h"
#include "identity.h"
#include "krb.h"
#include "read.h"

#define DEFAULT_TIMEOUT 5.0
/* A password file larger than this is not a password. */
#define PASSWORD_MAX 4096

const char *const dir_bind_names[] = {
    [DIR_BIND_GSSAPI] = "gssapi",
    [DIR_BIND_SIMPLE] = "simple",
    [DIR_BIND_ANONYMOUS] = "anonymous",
    NULL,
};

/* Everything the worker reads, and the request slot. */
struct shared {
	pthread_mutex_t mu;
	pthread_cond_t cv; /* a request, stop, or the worker's exit */
	int refs;
	int have_request;
	enum dir_read request;
	int exited;
	atomic_int stop;
	int fd;                       /* the worker's end of the socketpair */
	struct hier_forest **retired; /* pictures the loop no longer uses, for the worker to free */
	size_t n_retired;

	struct dir_config cfg; /* deep copy */
	char **uris;
	struct dir_identity id;
	struct dir_identity_origin origin;
	struct dir_krb *krb; /* NULL unless GSSAPI */
	char *password;
	char *learnt_site; /* ClientSiteName of the last answered ping (worker only) */
};

struct dir_discovery {
	struct event_base *base;
	struct event *ev;
	int fd; /* the loop's end */
	void (*done)(struct dir_result *r, void *arg);
	void *arg;
	int busy;
	pthread_t thread;
	int started;
	struct shared *sh;
};

/* ---- the shared block ------------------------------------------------------------- */

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void
copy_config(struct shared *sh, const struct dir_config *in)
{
	size_t n = 0;

	sh->cfg = *in;
	sh->cfg.domain = dup_or_null(in->domain);
	sh->cfg.realm = dup_or_null(in->realm);
	sh->cfg.keytab = dup_or_null(in->keytab);
	sh->cfg.principal = dup_or_null(in->principal);
	sh->cfg.bind_dn = dup_or_null(in->bind_dn);
	sh->cfg.bind_password_file = dup_or_null(in->bind_password_file);
	sh->cfg.site = dup_or_null(in->site);
	sh->cfg.dns_server = dup_or_null(in->dns_server);
	sh->cfg.tls_ca_file = dup_or_null(in->tls_ca_file);
	while (in->ldap_uris != NULL && in->ldap_uris[n] != NULL)
		n++;
	sh->uris = xcalloc(n + 1, sizeof(*sh->uris));
	for (size_t i = 0; i < n; i++)
		sh->uris[i] = xstrdup(in->ldap_uris[i]);
	sh->cfg.ldap_uris = (const char *const *)sh->uris;
	if (!(sh->cfg.timeout > 0))
		sh->cfg.timeout = DEFAULT_TIMEOUT;
}

static void
free_config(struct shared *sh)
{
	free((char *)sh->cfg.domain);
	free((char *)sh->cfg.realm);
	free((char *)sh->cfg.keytab);
	free((char *)sh->cfg.principal);
	free((char *)sh->cfg.bind_dn);
	free((char *)sh->cfg.bind_password_file);
	free((char *)sh->cfg.site);
	free((char *)sh->cfg.dns_server);
	free((char *)sh->cfg.tls_ca_file);
	for (size_t i = 0; sh->uris != NULL && sh->uris[i] != NULL; i++)
		free(sh->uris[i]);
	free(sh->uris);
}

static struct shared *
shared_new(const struct dir_config *cfg)
{
	struct shared *sh = xcalloc(1, sizeof(*sh));
	pthread_condattr_t ca;

	pthread_mutex_init(&sh->mu, NULL);
	/* Waits are measured on the monotonic clock, as everywhere in the daemon. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cv, &ca);
	pthread_condattr_destroy(&ca);
	sh->refs = 1;
	sh->fd = -1;
	copy_config(sh, cfg);
	return sh;
}

static void
shared_unref(struct shared *sh)
{
	int last;

	pthread_mutex_lock(&sh->mu);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->mu);
	if (!last)
		return;
	if (sh->fd >= 0)
		close(sh->fd);
	dir_krb_free(sh->krb);
	if (sh->password != NULL) {
		explicit_bzero(sh->password, strlen(sh->password));
		free(sh->password);
	}
	dir_identity_clear(&sh->id);
	dir_identity_origin_clear(&sh->origin);
	free(sh->learnt_site);
	for (size_t i = 0; i < sh->n_retired; i++)
		hier_forest_free(sh->retired[i]);
	free(sh->retired);
	free_config(sh);
	pthread_cond_destroy(&sh->cv);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

/* ---- the worker --------------------------------------------------------------------- */

/* Remember where the DCs put us, for the site-specific DNS records next time. */
static void
learn_site(struct shared *sh, const struct dir_raw *raw)
{
	for (size_t i = 0; i < raw->n_pings; i++) {
		const char *s = raw->pings[i].client_site;

		if (raw->pings[i].answered && s != NULL && s[0] != '\0' && strlen(s) < 256) {
			free(sh->learnt_site);
			sh->learnt_site = xstrdup(s);
			return;
		}
	}
}

void
dir_result_free(struct dir_result *r)
{
	if (r == NULL)
		return;
	free(r->read_from);
	free(r->error);
	free(r->incomplete);
	dir_pdc_owners_free(r->owners);
	hier_forest_free(r->forest);
	dir_raw_free(r->raw);
	free(r);
}

/* The RID in our computer object's objectSid (MS-SNTP's key id), or -1. */
static long
self_rid(const struct dir_raw *raw)
{
	uint32_t rid;

	for (size_t i = 0; i < raw->self.n; i++) {
		const struct dir_value *sid = dir_entry_value(&raw->self.v[i], "objectSid");

		if (sid != NULL && dir_sid_rid((const uint8_t *)sid->data, sid->len, &rid) == 0)
			return (long)rid;
	}
	return -1;
}

/*
 * What the loop needs of RAW (freed here): the picture, built here so that
 * its cost, however large the forest, is the worker's; the PDC owners; and
 * a few words and figures.
 */
static struct dir_result *
make_result(struct shared *sh, enum dir_read what, struct dir_raw *raw, double started)
{
	struct dir_result *r = xcalloc(1, sizeof(*r));
	/* Worth a picture: a whole read, with the crossRefs in it. */
	int whole = what == DIR_READ_FULL && raw->read_from != NULL && raw->crossrefs.n > 0 &&
	            raw->incomplete == NULL;
	double t;

	r->what = what;
	r->read_from = raw->read_from != NULL ? xstrdup(raw->read_from) : NULL;
	r->error = raw->n_errors > 0 ? xstrdup(raw->errors[0]) : NULL;
	r->incomplete = raw->incomplete != NULL ? xstrdup(raw->incomplete) : NULL;
	r->entries = raw->entries;
	r->bytes = raw->bytes;
	r->pages = raw->pages;
	t = dir_now();
	r->owners = dir_pdc_owners_read(raw);
	r->self_rid = self_rid(raw);
	if (whole)
		r->forest = dir_forest_build(raw, &sh->id);
	if (sh->cfg.keep_raw)
		r->raw = raw;
	else
		dir_raw_free(raw);
	r->build_seconds = dir_now() - t;
	r->seconds = dir_now() - started;
	return r;
}

/* Free the pictures the loop retired (they are not used any more). */
static void
free_retired(struct shared *sh)
{
	struct hier_forest **v;
	size_t n;

	pthread_mutex_lock(&sh->mu);
	v = sh->retired;
	n = sh->n_retired;
	sh->retired = NULL;
	sh->n_retired = 0;
	pthread_mutex_unlock(&sh->mu);
	for (size_t i = 0; i < n; i++)
		hier_forest_free(v[i]);
	free(v);
}

static void *
worker(void *arg)
{
	struct shared *sh = arg;

	for (;;) {
		struct dir_read_opts o;
		struct dir_result *r;
		enum dir_read what;
		double started;

		pthread_mutex_lock(&sh->mu);
		while (!sh->have_request && !atomic_load(&sh->stop) && sh->n_retired == 0)
			pthread_cond_wait(&sh->cv, &sh->mu);
		what = sh->request;
		if (!sh->have_request && !atomic_load(&sh->stop)) {
			pthread_mutex_unlock(&sh->mu);
			free_retired(sh);
			continue;
		}
		sh->have_request = 0;
		pthread_mutex_unlock(&sh->mu);
		if (atomic_load(&sh->stop))
			break;
		free_retired(sh);
		o = (struct dir_read_opts){.cfg = &sh->cfg,
		                           .id = &sh->id,
		                           .site =
		                               sh->id.site != NULL ? sh->id.site : sh->learnt_site,
		                           .krb = sh->krb,
		                           .password = sh->password,
		                           .cancel = &sh->stop};
		started = dir_now();
		{
			struct dir_raw *raw = dir_read(&o, what);

			if (sh->id.site == NULL)
				learn_site(sh, raw);
			r = make_result(sh, what, raw, started);
		}
		/*
		 * The loop owns R once it is sent. Sending under the mutex, and
		 * not at all once stop is set, means a loop that sets stop and
		 * then drains the channel finds every result that was sent.
		 */
		pthread_mutex_lock(&sh->mu);
		if (atomic_load(&sh->stop) ||
		    send(sh->fd, &r, sizeof(r), MSG_NOSIGNAL | MSG_DONTWAIT) !=
		        (ssize_t)sizeof(r)) {
			dir_result_free(r);
			r = NULL;
		}
		pthread_mutex_unlock(&sh->mu);
	}
	pthread_mutex_lock(&sh->mu);
	sh->exited = 1;
	pthread_cond_broadcast(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
	shared_unref(sh);
	return NULL;
}

/* ---- the loop side ------------------------------------------------------------------------ */

static void
on_result(evutil_socket_t fd, short what, void *arg)
{
	struct dir_discovery *d = arg;
	struct dir_result *r = NULL;
	ssize_t n;

	(void)what;
	n = recv(fd, &r, sizeof(r), MSG_DONTWAIT);
	if (n != (ssize_t)sizeof(r)) {
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		log_err("discovery: lost the worker's result channel: %s",
		        n < 0 ? strerror(errno) : "short message");
		d->busy = 0;
		return;
	}
	d->busy = 0;
	/* One result per callback: DONE may free D. */
	d->done(r, d->arg);
}

static int
read_password(struct shared *sh, char **ret_cause)
{
	const char *path = sh->cfg.bind_password_file;
	char *buf;
	FILE *fp;
	size_t n;

	if (path == NULL) {
		*ret_cause = xstrdup("simple bind needs ldap_bind_password_file");
		return -1;
	}
	fp = fopen(path, "re");
	if (fp == NULL) {
		*ret_cause = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	buf = xmalloc(PASSWORD_MAX + 1);
	n = fread(buf, 1, PASSWORD_MAX + 1, fp);
	(void)fclose(fp);
	if (n > PASSWORD_MAX) {
		free(buf);
		*ret_cause = xasprintf("%s: too long for a password", path);
		return -1;
	}
	/* The file's last line end is not part of the password. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	sh->password = buf;
	return 0;
}

/* The keys (GSSAPI: required) and who we are. */
static int
identify(struct shared *sh, char **ret_cause)
{
	struct dir_identity_facts f = {
	    .cfg_domain = sh->cfg.domain, .cfg_realm = sh->cfg.realm, .cfg_site = sh->cfg.site};
	char *cause = NULL, *from = NULL, *desc;
	struct dir_krb *k = dir_krb_new(sh->cfg.keytab, sh->cfg.principal, sh->cfg.realm, &cause);

	if (k == NULL && sh->cfg.bind == DIR_BIND_GSSAPI) {
		*ret_cause = cause;
		return -1;
	}
	if (k != NULL) {
		f.principal = dir_krb_principal(k);
		from = sh->cfg.principal != NULL ? xstrdup("config")
		                                 : xasprintf("keytab %s", dir_krb_keytab_name(k));
		f.principal_from = from;
	} else {
		log_debug("discovery: no machine principal from the keytab (%s)", log_esc(cause).s);
		free(cause);
	}
	dir_identity_detect(&f, &sh->id, &sh->origin);
	free(from);
	if (sh->cfg.bind == DIR_BIND_GSSAPI) {
		sh->krb = k;
		log_info("discovery: Kerberos principal %s, keys from %s held in memory",
		         log_esc(dir_krb_principal(k)).s, log_esc(dir_krb_keytab_name(k)).s);
	} else {
		dir_krb_free(k);
	}
	desc = dir_identity_describe(&sh->id, &sh->origin);
	log_info("discovery: identity: %s", log_esc(desc).s);
	free(desc);
	return 0;
}

static int
start_thread(struct dir_discovery *d, char **ret_cause)
{
	sigset_t all, old;
	int r;

	/* The worker takes no signals: they belong to the loop, and a write to a
	 * closed socket then fails with EPIPE instead of killing the process. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	d->sh->refs++;
	r = pthread_create(&d->thread, NULL, worker, d->sh);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		d->sh->refs--;
		*ret_cause = xasprintf("cannot start the discovery thread: %s", strerror(r));
		return -1;
	}
	(void)pthread_setname_np(d->thread, "domtimed-dir");
	d->started = 1;
	return 0;
}

struct dir_discovery *
dir_discovery_new(struct event_base *base, const struct dir_config *cfg,
                  void (*done)(struct dir_result *r, void *arg), void *arg, char **ret_cause)
{
	struct dir_discovery *d = xcalloc(1, sizeof(*d));
	int sv[2];

	d->base = base;
	d->done = done;
	d->arg = arg;
	d->fd = -1;
	d->sh = shared_new(cfg);
	if ((cfg->bind == DIR_BIND_SIMPLE && read_password(d->sh, ret_cause) < 0) ||
	    identify(d->sh, ret_cause) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0) {
		*ret_cause = xasprintf("socketpair: %s", strerror(errno));
		goto fail;
	}
	d->fd = sv[0];
	d->sh->fd = sv[1];
	d->ev = loop_event_new(base, d->fd, EV_READ | EV_PERSIST, on_result, d);
	if (evutil_make_socket_nonblocking(d->fd) < 0 || loop_watch(d->ev) < 0) {
		*ret_cause = xstrdup("cannot watch the discovery result channel");
		goto fail;
	}
	return d;
fail:
	dir_discovery_free(d);
	return NULL;
}

/* Wait for the worker's exit until DEADLINE (monotonic); 1 when it exited. */
static int
wait_exit(struct shared *sh, double deadline)
{
	struct timespec ts = {0};
	int exited;

	ts_add(&ts, deadline);
	pthread_mutex_lock(&sh->mu);
	while (!sh->exited && pthread_cond_timedwait(&sh->cv, &sh->mu, &ts) != ETIMEDOUT)
		;
	exited = sh->exited;
	pthread_mutex_unlock(&sh->mu);
	return exited;
}

void
dir_discovery_free(struct dir_discovery *d)
{
	if (d == NULL)
		return;
	loop_event_free(&d->ev);
	if (d->started) {
		pthread_mutex_lock(&d->sh->mu);
		atomic_store(&d->sh->stop, 1);
		pthread_cond_broadcast(&d->sh->cv);
		pthread_mutex_unlock(&d->sh->mu);
		/* Every wait in the worker notices the stop within 0.2 s, except a DNS
		 * query in progress, bounded by the timeout. */
		if (wait_exit(d->sh, dir_now() + d->sh->cfg.timeout + 1.0))
			(void)pthread_join(d->thread, NULL);
		else
			(void)pthread_detach(
			    d->thread); /* it frees the shared block when it ends */
	}
	if (d->fd >= 0) {
		struct dir_result *r;

		/* Results sent but not yet delivered (see worker()). */
		while (recv(d->fd, &r, sizeof(r), MSG_DONTWAIT) == (ssize_t)sizeof(r))
			dir_result_free(r);
		close(d->fd);
	}
	shared_unref(d->sh);
	free(d);
}

const struct dir_identity *
dir_discovery_identity(const struct dir_discovery *d)
{
	return &d->sh->id;
}

int
dir_discovery_start(struct dir_discovery *d, enum dir_read what)
{
	char *cause = NULL;

	if (d->busy)
		return -1;
	/* The worker starts with the first read: by then the daemon has dropped root. */
	if (!d->started && start_thread(d, &cause) < 0) {
		log_err("discovery: %s", cause);
		free(cause);
		return -1;
	}
	pthread_mutex_lock(&d->sh->mu);
	d->sh->request = what;
	d->sh->have_request = 1;
	pthread_cond_signal(&d->sh->cv);
	pthread_mutex_unlock(&d->sh->mu);
	d->busy = 1;
	return 0;
}

int
dir_discovery_busy(const struct dir_discovery *d)
{
	return d->busy;
}

void
dir_discovery_retire(struct dir_discovery *d, struct hier_forest *f)
{
	struct shared *sh = d->sh;

	if (f == NULL)
		return;
	pthread_mutex_lock(&sh->mu);
	sh->retired = xreallocarray(sh->retired, sh->n_retired + 1, sizeof(*sh->retired));
	sh->retired[sh->n_retired++] = f;
	pthread_cond_signal(&sh->cv);
	pthread_mutex_unlock(&sh->mu);
}

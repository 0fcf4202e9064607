/*
 * discovery.h - reading the forest without blocking the event loop.
 *
 * All DNS, Kerberos and LDAP work happens on one worker thread; the loop
 * only hands it a request and receives back a complete dir_raw (see raw.h)
 * through a socketpair watched by an ordinary libevent event (no
 * evthread_use_pthreads() needed), so the NTP server keeps answering while
 * a DC or the KDC hangs. Every network step has a timeout, and a stop
 * request interrupts every wait but a DNS query and a TLS handshake (which
 * libldap bounds by the timeout) within 0.2 s.
 */
#ifndef DOMTIMED_LDAP_DISCOVERY_H
#define DOMTIMED_LDAP_DISCOVERY_H

#include "raw.h"

struct event_base;

enum dir_bind {
	DIR_BIND_GSSAPI, /* SASL GSSAPI from the keytab, integrity protected (default) */
	DIR_BIND_SIMPLE, /* bind DN + password file: tests and odd directories only */
	DIR_BIND_ANONYMOUS,
};
/* The names, by enum dir_bind ("gssapi", "simple", "anonymous"); NULL after the last. */
extern const char *const dir_bind_names[];

/*
 * TLS under the LDAP connection. An ldaps:// URI always means LDAPS for its
 * server; STARTTLS upgrades every ldap:// connection (configured URIs, DCs
 * found in DNS and in the configuration NC). Certificates are always
 * verified (name and chain); with TLS the GSSAPI bind asks for no SASL
 * security layer of its own, since AD refuses signing or sealing inside TLS.
 */
enum dir_tls {
	DIR_TLS_NONE,
	DIR_TLS_STARTTLS,
	DIR_TLS_LDAPS,
};

/*
 * What one discovery may take, over all its connections: entries, octets
 * (DNs, attribute names and values) and result pages read, and seconds
 * from start to end. A read that reaches one stops there, says so in its
 * errors and is incomplete (struct dir_result): a hostile or broken DC can
 * neither exhaust memory nor keep discovery busy past its deadline.
 */
struct dir_limits {
	size_t max_entries, max_bytes, max_pages;
	double timeout;
};

struct dir_config {
	const char *domain, *realm;   /* NULL: detect (keytab, krb5.conf, sssd.conf, smb.conf) */
	const char *keytab;           /* NULL: KRB5_KTNAME or /etc/krb5.keytab */
	const char *principal;        /* NULL: HOST$@REALM from the keytab */
	const char *const *ldap_uris; /* NULL-terminated; empty: DNS SRV */
	enum dir_bind bind;
	const char *bind_dn, *bind_password_file;
	int nocanon;              /* LDAP_OPT_X_SASL_NOCANON */
	int starttls;             /* StartTLS on ldap:// connections */
	const char *tls_ca_file;  /* PEM CAs to trust; NULL: libldap's (ldap.conf TLS_CACERT) */
	const char *site;         /* configured site, or NULL */
	double timeout;           /* seconds, per network operation */
	struct dir_limits limits; /* zero fields: no limit */
	/*
	 * Added by the discovery worker (both optional, zero = default):
	 * DNS_SERVER "IPv4ADDR[:PORT]" asks only that server for SRV and
	 * address records instead of /etc/resolv.conf's (the test world's
	 * dnsmasq, or a DC when resolv.conf points elsewhere); PING_PORT is
	 * the UDP port of LDAP pings (389 unless a test says otherwise).
	 */
	const char *dns_server;
	unsigned ping_port;
	int keep_raw; /* hand what was read to the loop too (struct dir_result): tools only */
};

enum dir_read {
	DIR_READ_FULL,     /* everything in raw.h */
	DIR_READ_PDC_ONLY, /* rootDSE, crossRefs and each domain's NC head: a cheap FSMO check */
};

struct dir_discovery;
struct dir_pdc_owners;
struct hier_forest;

/*
 * What one read gives the loop. Everything in it was made on the worker
 * thread: the loop does no work in proportion to the forest's size, and
 * frees the old picture through dir_discovery_retire().
 */
struct dir_result {
	enum dir_read what;
	char *read_from;               /* URI of the server bound to, or NULL: nothing read */
	char *error;                   /* the first thing that went wrong, or NULL */
	char *incomplete;              /* why the read stopped short (a limit), or NULL */
	struct dir_pdc_owners *owners; /* who holds each PDC role, as this read says */
	struct hier_forest
	    *forest; /* a whole full read (crossRefs, no limit hit): the picture, else NULL */
	size_t entries, bytes, pages; /* what the read took, against the limits */
	double seconds;               /* how long the read took (monotonic) */
	double build_seconds;         /* of that, building the picture */
	struct dir_raw *raw;          /* what was read, with cfg->keep_raw; else NULL */
	long self_rid;                /* our account's RID (objectSid), -1 when not read */
};
/* Free R and what it still owns; NULL is fine. */
void dir_result_free(struct dir_result *r);

/*
 * A discovery worker for CFG (copied). DONE runs on BASE's loop with each
 * result, which it owns (free with dir_result_free); DONE may free the
 * discovery. Who we are, and where each value came from, is logged here
 * once (info). NULL with *RET_CAUSE on failure (e.g. the keytab cannot be
 * read: it is read into memory here, as root; so is a bind password file).
 * No thread runs and nothing is sent until the first dir_discovery_start(),
 * so a daemon can read its secrets here, then drop root, then start.
 */
struct dir_discovery *dir_discovery_new(struct event_base *base, const struct dir_config *cfg,
                                        void (*done)(struct dir_result *r, void *arg), void *arg,
                                        char **ret_cause);
/* Stops the worker (waiting at most one timeout) and frees everything. */
void dir_discovery_free(struct dir_discovery *d);

/* Who we are (config wins over detection); valid for the discovery's life. */
const struct dir_identity *dir_discovery_identity(const struct dir_discovery *d);

/*
 * Start a read now unless one is running (the first call starts the
 * worker thread). Returns 0, or -1 when busy or the thread cannot start.
 */
int dir_discovery_start(struct dir_discovery *d, enum dir_read what);
int dir_discovery_busy(const struct dir_discovery *d);
/*
 * Hand F (a picture no longer used; NULL is fine) to the worker to free:
 * freeing tens of thousands of entries is work the loop must not do.
 */
void dir_discovery_retire(struct dir_discovery *d, struct hier_forest *f);

#endif

/*
 * conn.h - one LDAP connection of the discovery worker: connect, bind,
 * pipelined paged searches, each step bounded by the timeout.
 *
 * The TCP connection is ours (non-blocking connect to an address our own
 * resolver found, then ldap_init_fd), so the connect timeout and the
 * addresses tried are under our control and the SRV target name stays the
 * URI's host, which is what GSSAPI names the service after (ldap/<host>)
 * with LDAP_OPT_X_SASL_NOCANON. TLS (LDAPS, or StartTLS) is installed on
 * that connection by libldap, bounded by the timeout. Referrals are not
 * chased. Every LDAP request counts one round trip in *round_trips.
 */
#ifndef DOMTIMED_LDAP_CONN_H
#define DOMTIMED_LDAP_CONN_H

#include <stdatomic.h>
#include <stdint.h>

#include "discovery.h"
#include "raw.h"

struct dir_krb;
struct dir_resolver;

/* What the connections of one read took so far, against LIM (see struct dir_limits). */
struct dir_budget {
	struct dir_limits lim;
	size_t entries, bytes, pages;
	char *exceeded; /* the first limit reached, a sentence (then every search stops) */
};

struct dir_conn_opts {
	enum dir_bind bind;
	const char *bind_dn, *password; /* DIR_BIND_SIMPLE */
	int nocanon;                    /* name the SASL service after the URI's host */
	enum dir_tls tls;
	const char *tls_ca_file; /* NULL: libldap's default trust */
	struct dir_krb *krb;     /* DIR_BIND_GSSAPI; a TGT is the caller's job */
	double timeout;          /* per connect, bind step and search page */
	const atomic_int *cancel;
	unsigned *round_trips;
	struct dir_budget *budget; /* shared by the read's connections; NULL: no limits */
};

struct dir_conn;

/*
 * Connect to HOST:PORT (each of its addresses in turn) and bind as O says.
 * O is copied; its pointers are borrowed for the connection's life. NULL
 * with *RET_CAUSE (a sentence naming the server and what failed).
 */
struct dir_conn *dir_conn_open(const char *host, uint16_t port, struct dir_resolver *res,
                               const struct dir_conn_opts *o, char **ret_cause);
/* Unbind, close and free C; NULL is fine. */
void dir_conn_free(struct dir_conn *c);

const char *dir_conn_uri(const struct dir_conn *c);           /* "ldaps://dc1.example.com:636" */
const char *dir_conn_host(const struct dir_conn *c);          /* "dc1.example.com" */
const char *dir_conn_local_address(const struct dir_conn *c); /* "10.1.0.5" */
/* A timeout or a broken connection was seen: do not send more. */
int dir_conn_dead(const struct dir_conn *c);

struct dir_search {
	const char *what; /* for errors: "the crossRefs" */
	const char *base;
	int scope; /* LDAP_SCOPE_BASE, _ONELEVEL, _SUBTREE */
	const char *filter;
	const char *const *attrs;   /* NULL-terminated; NULL: all user attributes */
	int paged;                  /* RFC 2696 pages of 1000, each counted against the budget */
	struct dir_entry_list *out; /* entries are appended here */

	char *error;     /* set when the search failed (allocated sentence) */
	int ldap_result; /* the server's result code, -1 if none came */
	/* private */
	int msgid, done;
	double deadline;
	void *cookie;
};

/*
 * Run the N searches in S at once (all requests are sent, then answers are
 * taken as they come; each next page is asked for when its page ends).
 * Returns how many failed; each failure is in its s->error.
 */
size_t dir_conn_search(struct dir_conn *c, struct dir_search *s, size_t n);

/* s->error and the page cookie of each of the N searches. */
void dir_search_clear(struct dir_search *s, size_t n);

#endif

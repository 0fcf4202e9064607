/*
 * read.h - one discovery: locate a DC, bind, read the forest into a dir_raw.
 *
 * Blocking, for the worker thread. The order, and why:
 *   1. Kerberos: a TGT from the in-memory keys (GSSAPI binds only).
 *   2. The DC: each configured URI, else each DC of our domain in DNS
 *      (our site's first), until one connects and binds.
 *   3. Its rootDSE (one request): where the configuration NC is.
 *   4. At once, pipelined: the crossRefs; one paged subtree search of
 *      CN=Sites for sites, servers, NTDS settings and subnets (the number
 *      of requests does not grow with the DCs, only with pages of 1000);
 *      our computer object; an LDAP ping over TCP.
 *   5. At once: the NC head of every domain that DC holds; the heads of
 *      the others (and our object, if our domain is not there) from a DC
 *      of that domain, found by DNS (PDC first) or the configuration NC.
 *   6. LDAP pings over UDP to the DCs of our domain and of its parent, all
 *      at once.
 * DIR_READ_PDC_ONLY does 1-3, the crossRefs and 5. Whatever fails is a
 * sentence in raw->errors and the rest goes on.
 */
#ifndef DOMTIMED_LDAP_READ_H
#define DOMTIMED_LDAP_READ_H

#include <stdatomic.h>

#include "discovery.h"
#include "raw.h"

struct dir_krb;

struct dir_read_opts {
	const struct dir_config *cfg;
	const struct dir_identity *id;
	const char *site;     /* the site to prefer in DNS: configured, or the last ping's; NULL */
	struct dir_krb *krb;  /* DIR_BIND_GSSAPI */
	const char *password; /* DIR_BIND_SIMPLE */
	const atomic_int *cancel;
};

/* Never NULL. The caller owns the result (dir_raw_free). */
struct dir_raw *dir_read(const struct dir_read_opts *o, enum dir_read what);

#endif

/*
 * dir_private.h - the daemon's directory state, shared by directory.c (the
 * discovery schedule), policy.c (what the rules make of it) and
 * directory_json.c (what domtimectl shows of it); nothing else includes it.
 */
#ifndef DOMTIMED_DIR_PRIVATE_H
#define DOMTIMED_DIR_PRIVATE_H

#include "../hierarchy/hierarchy.h"
#include "../ldap/discovery.h"
#include "../ldap/forest.h"

struct dmn;

struct dmn_dir {
	struct dmn *d;
	struct dir_discovery *disc;
	enum dir_read reading;
	int full_wanted;            /* a full read was asked for while another ran */
	struct hier_forest *forest; /* the last good picture, or NULL */
	struct hier_choice choice;  /* what the rules made of it */
	struct event *rediscover_ev, *pdc_ev, *retry_ev;
	unsigned failures;                     /* failed full reads in a row */
	unsigned long long reads, read_errors; /* full reads done, failed (for metrics) */
	double last_read_seconds;              /* NAN before the first full read */
	char last_error[400];
	char incomplete[400]; /* why the last full read stopped short, else "" (a problem) */
	char *unavailable;    /* why discovery cannot run at all, or NULL (see directory.h) */
	struct dir_pdc_owners *owners; /* who held each PDC role at the last full read */
};

/* What the sources come from now: the rules' choice, or before the first read the type's. */
enum hier_use dmn_dir_use(const struct dmn *d, const struct dmn_dir *dir);

#endif

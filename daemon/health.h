/*
 * health.h - why the clock is not synchronised, or what is degraded, in one
 * sentence: the "reason" of domtimectl status, the sd_notify STATUS= line
 * and the log. Pure: the caller gathers the facts.
 */
#ifndef DOMTIMED_HEALTH_H
#define DOMTIMED_HEALTH_H

#include <stddef.h>

struct health_facts {
	int synchronised;            /* what the server tells its clients */
	int serving_local;           /* ... and it is our own clock (reliable) */
	const char *client_state;    /* ntp_client_status.state */
	const char *client_message;  /* ntp_client_status.message, "" when none */
	size_t n_sources;            /* sources the client has */
	size_t n_silent;             /* of which none answers (unreachable, denied, unresolved) */
	int manual_configured;       /* ntp_server is set */
	int root_pdc;                /* this machine is the forest root's PDC emulator */
	int in_domain;               /* directory discovery was wanted */
	const char *dir_setup_error; /* discovery could not start (keytab...), or NULL */
	int have_forest;             /* a picture of the forest was read */
	unsigned dir_failures;       /* failed reads in a row */
	const char *dir_error;       /* the last failure, or NULL */
	const char *dir_why;         /* the hierarchy's word on its choice, or NULL */
};

/*
 * The reason, written into BUF (SIZE octets) and returned, or NULL when the
 * clock is synchronised and nothing is degraded.
 */
const char *health_reason(const struct health_facts *f, char *buf, size_t size);

#endif

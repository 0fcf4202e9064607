/*
 * client.h - the NTP client: a set of sources that can change at run time,
 * selection among them, the discipline of our clock, and the reference
 * state the server announces.
 *
 * Sources are added and removed by (host, port): the configuration adds the
 * manual list, the hierarchy adds and removes the domain's time servers.
 * Names are resolved without blocking the loop, and resolved again after a
 * source stops answering.
 */
#ifndef DOMTIMED_NTP_CLIENT_H
#define DOMTIMED_NTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "discipline.h"
#include "peer.h"
#include "reference.h"
#include "select.h"

struct event_base;
struct evdns_base;
struct nts_session;
struct ntp_client;

struct ntp_client_options {
	int min_poll, max_poll;       /* log2 seconds */
	double special_poll_interval; /* seconds, for sources with flag 0x1 */
	double refused_retry; /* seconds before a server that sent KoD DENY/RSTR is asked again */
	double max_distance;  /* sources whose root distance is larger are not used */
	struct ntp_dsc_params discipline;
	double holdover_period; /* seconds without samples before rediscovery and unsync */
	const char *drift_file; /* NULL: none */
	double drift_interval;  /* seconds between drift file writes while synchronised */
	int reliable;           /* serve the local clock when no source can be used */
	int local_stratum;
	const struct ntp_keys *keys; /* key_file (borrowed, outlives the client); NULL: none */
	const char *nts_ca_file;     /* NTS-KE trust anchors, read as NTS sources are added; NULL:
	                                the system store (borrowed until the next set_options) */
	const struct mssntp_auth *mssntp; /* for sources flagged NTP_PEER_MSSNTP; NULL: none */
};

struct ntp_client_hooks {
	/* No sample for holdover_period: the hierarchy should look again. */
	void (*holdover_expired)(void *arg);
	/* Every source has failed its last 8 polls (or was refused). */
	void (*all_unreachable)(void *arg);
	void *arg;
};

struct ntp_source_report {
	const char *host;
	int port;
	unsigned flags;
	uint32_t key_id;               /* RFC 8573 key, 0 for none */
	const char *auth;              /* "nts", "symmetric", "mssntp", "none" */
	const struct nts_session *nts; /* NTS state, NULL unless auth is nts */
	const char *origin;            /* who added it: "manual", "hierarchy" ... */
	const char *state;             /* "resolving", "resolve-failed", or the peer state */
	const char *verdict;           /* selection verdict */
	char address[64];              /* resolved address:port, "" before */
	int stratum;                   /* -1 before the first answer */
	char refid[32];
	int reach;
	int poll, peer_poll;
	double next_poll_in; /* seconds */
	int have_sample;
	double offset, delay; /* last sample */
	double jitter;        /* filter's, or NAN */
	double root_distance; /* as selection saw it, or NAN */
	const char *last_error;
	const char *auth_reason;            /* why not mssntp when asked (ntp_peer_auth_reason) */
	const struct ntp_peer_stats *stats; /* NULL before resolution */
};

struct ntp_client_status {
	const char *state;  /* "synchronised", "holdover", "no-majority", "refused",
	                       "unsynchronised", "local" */
	char message[256];  /* why, in a sentence */
	const char *source; /* system peer host, or NULL */
	char source_address[64];
	double offset;           /* last combined offset, NAN before any */
	double freq_ppm;         /* frequency correction in effect (base) */
	int poll;                /* system peer's poll, log2 s */
	double last_sync;        /* Unix time of the last clock update, NAN before */
	double since_sync;       /* seconds since then, NAN before */
	const char *last_action; /* "slew", "step", ... */
	unsigned steps;          /* clock steps so far */
	size_t n_sources;
};

/*
 * A client steering CLOCK and keeping *REF up to date, on BASE, resolving
 * names with DNS. All borrowed. Reads the drift file. NULL with an allocated
 * *RET_CAUSE on failure.
 */
struct ntp_client *ntp_client_new(struct event_base *base, struct evdns_base *dns,
                                  struct clk *clock, struct ntp_ref *ref,
                                  const struct ntp_client_options *opts,
                                  const struct ntp_client_hooks *hooks, char **ret_cause);
/* Writes the drift file, stops polling, frees everything. */
struct ntp_client *ntp_client_free(struct ntp_client *c);

/*
 * Add HOST:PORT with W32Time FLAGS, authenticated with KEY_ID of the key
 * file (0: not), or with NTS when NTS_PORT is not 0: the key exchange with
 * HOST:NTS_PORT then names the NTP server and port. Adding one already
 * present updates its flags and key,
 * and asks it again if it had refused us (see ntp_peer_reoffer).
 */
void ntp_client_add(struct ntp_client *c, const char *host, int port, unsigned flags,
                    uint32_t key_id, int nts_port, const char *origin);
/* Remove HOST:PORT; returns 0, or -1 when there is no such source. */
int ntp_client_remove(struct ntp_client *c, const char *host, int port);
/* Remove every source added by ORIGIN. */
void ntp_client_remove_origin(struct ntp_client *c, const char *origin);
void ntp_client_set_options(struct ntp_client *c, const struct ntp_client_options *opts);
/* Poll every source now, in a burst (w32tm /resync), those that refused us too. */
void ntp_client_resync(struct ntp_client *c);

size_t ntp_client_n_sources(const struct ntp_client *c);
void ntp_client_source_report(const struct ntp_client *c, size_t i, struct ntp_source_report *ret);
/*
 * What a report's source shows: while it answers with usable time, the
 * selection's verdict; otherwise why it does not (resolving, unreachable,
 * denied...). The verdict dates from the last selection, so a source that
 * has since gone silent is shown silent, never "selected".
 */
const char *ntp_source_shown_state(const struct ntp_source_report *r);
void ntp_client_status(const struct ntp_client *c, struct ntp_client_status *ret);

/* Read a drift file: frequency correction in ppm. 0 or -errno. Exposed for tests. */
int ntp_client_read_drift(const char *path, double *ret_ppm);
/*
 * Write it atomically: a fresh temporary beside it (O_EXCL, mode 0644), fsync,
 * rename, fsync of the directory. 0 or -errno.
 */
int ntp_client_write_drift(const char *path, double ppm);

#endif

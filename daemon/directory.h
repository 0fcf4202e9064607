/*
 * directory.h - the daemon's view of the domain: discovery on a schedule
 * and on demand, the forest picture, the hierarchy's choice, and the policy
 * that turns configuration and that choice into the NTP client's sources
 * and the server's announcements.
 */
#ifndef DOMTIMED_DIRECTORY_H
#define DOMTIMED_DIRECTORY_H

#include <jansson.h>

#include "../hierarchy/forest.h"

struct cfg;
struct dmn;
struct dmn_dir;

/*
 * Set up discovery if this machine belongs to a domain (configured, or a
 * machine keytab is present); NULL and no *RET_CAUSE when it does not. NULL
 * with an allocated *RET_CAUSE on failure. Runs as root: reads the keytab
 * into memory (and makes the process non-dumpable first), but starts no
 * thread and reads nothing from the network: dmn_dir_start() does, after
 * the daemon dropped root. Keys that cannot be read are no failure: the
 * directory is then unavailable (below) and the daemon runs on without it.
 */
struct dmn_dir *dmn_dir_new(struct dmn *d, char **ret_cause);
/*
 * Would dmn_dir_new() set up discovery with CFG (joined: configured so, a
 * Samba DC, or holding a machine keytab; and a type that reads it)?
 */
int dmn_dir_wanted(const struct dmn *d, const struct cfg *cfg);
/* Arm the periodic reads and start the first one (DIR may be NULL). */
void dmn_dir_start(struct dmn_dir *dir);
void dmn_dir_free(struct dmn_dir *dir);

/*
 * Why discovery cannot run at all (e.g. "cannot open the keytab ...": read
 * once at start, so fixed by a restart), or NULL. Meanwhile NTP keeps
 * serving and the client follows the manual list (ntp_server), if any.
 * For status: the reason the daemon gives for not following the domain.
 */
const char *dmn_dir_unavailable(const struct dmn_dir *dir);

/*
 * Read the forest again now (logged with WHY); 0, or -1 when a read is
 * running (it is then read again after it) or the type no longer reads it.
 */
int dmn_dir_rediscover(struct dmn_dir *dir, const char *why);
/* The configuration changed: re-arm timers and rediscover, or stop reading (type ntp, nosync). */
void dmn_dir_reconfigure(struct dmn_dir *dir);

/*
 * Make the client's sources, the server's announcements and the local
 * reference what the configuration and the hierarchy call for now. DIR may
 * be NULL (no domain).
 */
void dmn_apply_policy(struct dmn *d, struct dmn_dir *dir);

/* For domtimectl: the forest (hierarchy) and the candidates (source --explain). */
json_t *dmn_dir_hierarchy_json(const struct dmn_dir *dir);
json_t *dmn_dir_explain_json(const struct dmn *d, const struct dmn_dir *dir);
/* Who discovery says we are; NULL without a directory. */
const struct dir_identity *dmn_dir_identity(const struct dmn_dir *dir);
/* This machine's role and the effective type, announce flags (for status). */
enum hier_role dmn_dir_role(const struct dmn_dir *dir);
const char *dmn_dir_role_name(const struct dmn_dir *dir);
const char *dmn_type_name(const struct dmn *d, const struct dmn_dir *dir);
int dmn_announce_flags(const struct dmn *d, const struct dmn_dir *dir);

/* How discovery fares, for status reasons and metrics (strings borrowed until the next read). */
struct dmn_dir_health {
	int have_forest;        /* a picture has been read (it may be an old one) */
	unsigned failures;      /* failed full reads in a row */
	const char *last_error; /* of the last failed read; NULL after a good one */
	const char *why;        /* the hierarchy's word on its choice; NULL before a picture */
	unsigned long long reads, read_errors; /* full reads finished, and those that failed */
	double last_read_seconds; /* how long the last full read took; NAN before one */
};
void dmn_dir_health(const struct dmn_dir *dir, struct dmn_dir_health *ret);

#endif

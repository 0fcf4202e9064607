/*
 * hierarchy.h - the domain time hierarchy's rules: from the picture of the
 * forest and this machine's place in it, which time sources to follow and
 * why. Pure: no I/O, no clock, no libldap; every rule is a function tested
 * on hand-made topologies.
 *
 * The rules are W32Time's (MS-SNTP 3.1.3.2, "How the Windows Time Service
 * Works"): six locator steps, stopping where W32Time stops only in that we
 * collect candidates from the steps in order until max_sources are found
 * (W32Time follows one; following a few lets NTP selection out-vote a wrong
 * one):
 *
 *   1. a time server of the parent domain in our site (reliable preferred)
 *   2. a reliable time server of our domain in our site      (not on an RODC)
 *   3. our domain's PDC emulator in our site                  (not on a PDC)
 *   4. a time server of the parent domain in any site (reliable preferred)
 *   5. a reliable time server of our domain in any site      (not on an RODC)
 *   6. our domain's PDC emulator in any site                  (not on a PDC)
 *
 * The parent domain for time (NetrLogonGetTimeServiceParentDomain): a
 * non-DC's own domain; none for the forest root's DCs; the forest root for
 * another tree root; otherwise the parent domain. Within a step candidates
 * are ranked by W32Time's score: same site 8, reliable 4, parent domain 2,
 * PDC 1. cross_site_sync limits the any-site steps (4-6): none skips them,
 * pdc_only (the default) keeps only step 6, all keeps them all. Nobody picks
 * itself. The forest root's PDC follows the manual list (or, when reliable,
 * its own clock).
 *
 * When the directory cannot answer LDAP pings (OpenLDAP), the DC flags are
 * unknown, not false: every DC is then taken as a time server, and only the
 * forest root's PDC as reliable, which is exactly what W32Time's default
 * AnnounceFlags (0xA: reliable automatically on the root PDC) announce. The
 * NTP layer still refuses any candidate that answers unsynchronised or from
 * a loop.
 */
#ifndef DOMTIMED_HIERARCHY_H
#define DOMTIMED_HIERARCHY_H

#include <stddef.h>
#include <stdint.h>

#include "forest.h"

/* DS_* flags from LDAP pings that the rules use. */
#define HIER_DS_PDC 0x1u
#define HIER_DS_TIMESERV 0x40u
#define HIER_DS_GOOD_TIMESERV 0x200u

/* W32Time's Type. */
enum hier_type {
	HIER_NT5DS,   /* the domain hierarchy only */
	HIER_NTP,     /* the manual list only */
	HIER_NOSYNC,  /* no synchronisation: serve the clock as it is */
	HIER_ALLSYNC, /* the hierarchy, and the manual list when it gives nothing */
};

/* W32Time's CrossSiteSyncFlags. */
enum hier_cross_site {
	HIER_CROSS_NONE,
	HIER_CROSS_PDC_ONLY,
	HIER_CROSS_ALL,
};

/* The part of the forest the rules look at (indices as in struct hier_forest). */
struct hier_view {
	const struct hier_domain *domains;
	size_t n_domains;
	const struct hier_dc *dcs;
	size_t n_dcs;
	struct hier_self self;
};

struct hier_params {
	enum hier_type type;
	enum hier_cross_site cross_site;
	unsigned max_sources; /* hierarchy_sources */
};

struct hier_candidate {
	int dc;          /* index into the view's DCs */
	int step;        /* locator step 1-6 that found it */
	int score;       /* site 8 + reliable 4 + parent domain 2 + PDC 1 */
	int chosen;      /* among the max_sources followed */
	char reason[160];
};

/* What to follow. */
enum hier_use {
	HIER_USE_DCS,    /* the chosen candidates */
	HIER_USE_MANUAL, /* the manual list (ntp_server) */
	HIER_USE_NONE,   /* nothing: free-running, or serving the local clock if reliable */
};

struct hier_choice {
	enum hier_use use;
	struct hier_candidate *cands; /* every candidate, in step then score order */
	size_t n_cands;
	int parent_domain;            /* the parent domain for time, -1 for none */
	char why[200];                /* one sentence: what was decided and why */
};

/*
 * Apply the rules to V. HAVE_MANUAL: the manual list is not empty. Fills
 * *RET (free with hier_choice_clear). Pure and total.
 */
void hier_choose(const struct hier_view *v, const struct hier_params *p, int have_manual,
		 struct hier_choice *ret);
void hier_choice_clear(struct hier_choice *c);

/* The parent domain for time of a machine in V (see above); -1 for none. */
int hier_time_parent(const struct hier_view *v);
/* Is DC reliable / a time server, by its ping flags or the default above? */
int hier_dc_reliable(const struct hier_view *v, const struct hier_dc *dc);
int hier_dc_timeserv(const struct hier_dc *dc);

/* The view of F (arrays allocated; free with hier_view_clear). */
void hier_view_from_forest(const struct hier_forest *f, struct hier_view *ret);
void hier_view_clear(struct hier_view *v);

const char *hier_type_name(enum hier_type t);
const char *hier_cross_site_name(enum hier_cross_site c);

#endif

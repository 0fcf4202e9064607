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

/*
 * W32Time's Type, and AUTO: the configuration's "let the machine's place
 * decide" (hier_type_effective). The rules below are always given an
 * effective type; they take AUTO as NT5DS, which it is inside a domain.
 */
enum hier_type {
	HIER_AUTO,
	HIER_NT5DS,   /* the domain hierarchy only */
	HIER_NTP,     /* the manual list only */
	HIER_NOSYNC,  /* no synchronisation: serve the clock as it is */
	HIER_ALLSYNC, /* the hierarchy, and the manual list when it gives nothing */
};
/* The names, by enum hier_type ("auto", "nt5ds", ...); NULL after the last. */
extern const char *const hier_type_names[];

/* W32Time's CrossSiteSyncFlags. */
enum hier_cross_site {
	HIER_CROSS_NONE,
	HIER_CROSS_PDC_ONLY,
	HIER_CROSS_ALL,
};
/* The names, by enum hier_cross_site ("none", "pdc_only", "all"); NULL after the last. */
extern const char *const hier_cross_site_names[];

/*
 * W32Time's AnnounceFlags: what a machine announces about its time service
 * (in LDAP ping answers) and so whether it serves time at all.
 */
#define HIER_ANNOUNCE_TIMESERV 0x1u      /* always a time server */
#define HIER_ANNOUNCE_AUTO_TIMESERV 0x2u /* a time server while synchronised */
#define HIER_ANNOUNCE_RELIABLE 0x4u      /* always a reliable time server */
#define HIER_ANNOUNCE_AUTO_RELIABLE 0x8u /* reliable when PDC emulator of the forest root */

/* What to follow. */
enum hier_use {
	HIER_USE_DCS,    /* the chosen candidates */
	HIER_USE_MANUAL, /* the manual list (ntp_server) */
	HIER_USE_NONE,   /* nothing: free-running, or serving the local clock if reliable */
};

/* How far this machine's place is known, for the defaults that depend on it. */
enum hier_membership {
	HIER_NO_DOMAIN,     /* not in a domain: no directory to read */
	HIER_DOMAIN_UNREAD, /* in a domain whose picture has not been read yet */
	HIER_DOMAIN_READ,   /* the picture says which role it has */
	HIER_SAMBA_DC,      /* a Samba AD DC (its smb.conf says so), read or not */
};

/*
 * The AnnounceFlags in effect: CONFIGURED when >= 0, else W32Time's
 * default for the machine's place: AUTO_TIMESERV | AUTO_RELIABLE (0xA) on
 * a DC, and on a domain machine whose role is not read yet (a DC must not
 * fall silent while it reads); nothing on a member; TIMESERV off any
 * domain, where a machine that runs us is there to serve. RELIABLE (the
 * reliable = yes key) adds HIER_ANNOUNCE_RELIABLE. ROLE counts only when M
 * is HIER_DOMAIN_READ.
 */
unsigned hier_announce_flags(int configured, int reliable, enum hier_membership m,
                             enum hier_role role);

/* When the NTP server answers clients. */
enum hier_serve {
	HIER_SERVE_NEVER,
	HIER_SERVE_SYNCHRONISED, /* only while synchronised (or reliable) */
	HIER_SERVE_ALWAYS,
};
/* What FLAGS announce: TIMESERV always, else AUTO_TIMESERV while synchronised, else never. */
enum hier_serve hier_announce_serve(unsigned flags);
/*
 * Whether FLAGS make a machine of ROLE a reliable source (its own clock is
 * the reference). AUTO_RELIABLE makes the forest root PDC reliable only when
 * it HAS_EXTERNAL sources (ntp_server): its own clock then stands in when they
 * fail, but with none at all it would pass a free-running clock to the whole
 * forest as stratum 1, so only RELIABLE (reliable = yes) does that.
 */
int hier_announce_reliable(unsigned flags, enum hier_role role, int has_external);

/* The type in effect: CONFIGURED, or for AUTO NT5DS in a domain and NTP off one. */
enum hier_type hier_type_effective(enum hier_type configured, int in_domain);
/* Whether type T (as configured) has any use for the directory. */
int hier_type_reads_directory(enum hier_type t);
/*
 * What to follow before the forest has been read: the manual list when T
 * allows it, or when the directory cannot be read at all (UNREADABLE: no
 * keys), since following what we can beats following nothing.
 */
enum hier_use hier_use_unread(enum hier_type t, int unreadable);

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
	int dc;     /* index into the view's DCs */
	int step;   /* locator step 1-6 that found it */
	int score;  /* site 8 + reliable 4 + parent domain 2 + PDC 1 */
	int chosen; /* among the max_sources followed */
	char reason[160];
};

struct hier_choice {
	enum hier_use use;
	struct hier_candidate *cands; /* every candidate, in step then score order */
	size_t n_cands;
	int parent_domain; /* the parent domain for time, -1 for none */
	char why[200];     /* one sentence: what was decided and why */
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

/*
 * hierarchy.c - W32Time's domain hierarchy rules over the forest picture.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/util.h"
#include "../common/xmalloc.h"
#include "hierarchy.h"

enum need {
	NEED_TIMESERV, /* any time server, reliable ones preferred by the score */
	NEED_RELIABLE,
	NEED_PDC,
};

struct step {
	int parent_domain; /* look in the parent domain (else our own) */
	int in_site;       /* only DCs in our site */
	enum need need;
	int not_on_rodc; /* an RODC skips it */
	int not_on_pdc;  /* a PDC skips it: it would find itself */
	const char *what;
};

/* MS-SNTP 3.1.3.2, in order; the index + 1 is the step number. */
static const struct step steps[] = {
    {1, 1, NEED_TIMESERV, 0, 0, "time server of the parent domain in our site"},
    {0, 1, NEED_RELIABLE, 1, 0, "reliable time server of our domain in our site"},
    {0, 1, NEED_PDC, 0, 1, "our domain's PDC emulator, in our site"},
    {1, 0, NEED_TIMESERV, 0, 0, "time server of the parent domain"},
    {0, 0, NEED_RELIABLE, 1, 0, "reliable time server of our domain"},
    {0, 0, NEED_PDC, 0, 1, "our domain's PDC emulator"},
};
#define N_STEPS ((int)ARRAY_LEN(steps))

const char *const hier_type_names[] = {
    [HIER_AUTO] = "auto",     [HIER_NT5DS] = "nt5ds",     [HIER_NTP] = "ntp",
    [HIER_NOSYNC] = "nosync", [HIER_ALLSYNC] = "allsync", NULL,
};
const char *const hier_cross_site_names[] = {
    [HIER_CROSS_NONE] = "none",
    [HIER_CROSS_PDC_ONLY] = "pdc_only",
    [HIER_CROSS_ALL] = "all",
    NULL, /* after the last */
};

const char *
hier_type_name(enum hier_type t)
{
	return (unsigned)t <= HIER_ALLSYNC ? hier_type_names[t] : "?";
}

const char *
hier_cross_site_name(enum hier_cross_site c)
{
	return (unsigned)c <= HIER_CROSS_ALL ? hier_cross_site_names[c] : "?";
}

/* ---- W32Time's settings ---------------------------------------------------------- */

unsigned
hier_announce_flags(int configured, int reliable, enum hier_membership m, enum hier_role role)
{
	unsigned flags = (unsigned)configured;

	if (configured < 0) {
		if (m == HIER_NO_DOMAIN)
			flags = HIER_ANNOUNCE_TIMESERV;
		else if (m == HIER_SAMBA_DC)
			/* Samba advertises every DC as a time server: it answers, in sync or not.
			 */
			flags = HIER_ANNOUNCE_TIMESERV | HIER_ANNOUNCE_AUTO_RELIABLE;
		else if (m == HIER_DOMAIN_UNREAD || hier_role_is_dc(role))
			flags = HIER_ANNOUNCE_AUTO_TIMESERV | HIER_ANNOUNCE_AUTO_RELIABLE;
		else
			flags = 0;
	}
	return flags | (reliable ? HIER_ANNOUNCE_RELIABLE : 0);
}

enum hier_serve
hier_announce_serve(unsigned flags)
{
	if (flags & HIER_ANNOUNCE_TIMESERV)
		return HIER_SERVE_ALWAYS;
	if (flags & HIER_ANNOUNCE_AUTO_TIMESERV)
		return HIER_SERVE_SYNCHRONISED;
	return HIER_SERVE_NEVER;
}

int
hier_announce_reliable(unsigned flags, enum hier_role role, int has_external)
{
	return (flags & HIER_ANNOUNCE_RELIABLE) || ((flags & HIER_ANNOUNCE_AUTO_RELIABLE) &&
	                                            role == HIER_ROLE_ROOT_PDC && has_external);
}

enum hier_type
hier_type_effective(enum hier_type configured, int in_domain)
{
	if (configured != HIER_AUTO)
		return configured;
	return in_domain ? HIER_NT5DS : HIER_NTP;
}

int
hier_type_reads_directory(enum hier_type t)
{
	return t != HIER_NTP && t != HIER_NOSYNC;
}

enum hier_use
hier_use_unread(enum hier_type t, int unreadable)
{
	if (unreadable)
		return HIER_USE_MANUAL;
	return t == HIER_NTP || t == HIER_ALLSYNC ? HIER_USE_MANUAL : HIER_USE_NONE;
}

/* ---- facts about the view ---------------------------------------------------- */

static const struct hier_domain *
domain_at(const struct hier_view *v, int i)
{
	return i >= 0 && (size_t)i < v->n_domains ? &v->domains[i] : NULL;
}

static int
forest_root(const struct hier_view *v)
{
	for (size_t i = 0; i < v->n_domains; i++)
		if (v->domains[i].forest_root)
			return (int)i;
	return -1;
}

int
hier_time_parent(const struct hier_view *v)
{
	const struct hier_domain *own = domain_at(v, v->self.domain);

	if (own == NULL)
		return -1;
	if (!hier_role_is_dc(v->self.role))
		return v->self.domain;
	if (own->forest_root)
		return -1;
	/* A tree root's DCs look to the forest root (there is no parent). */
	if (own->parent < 0)
		return forest_root(v);
	return own->parent;
}

int
hier_dc_timeserv(const struct hier_dc *dc)
{
	return !dc->ping_answered || (dc->ping_flags & HIER_DS_TIMESERV) != 0;
}

int
hier_dc_reliable(const struct hier_view *v, const struct hier_dc *dc)
{
	const struct hier_domain *d;

	if (dc->ping_answered)
		return (dc->ping_flags & HIER_DS_GOOD_TIMESERV) != 0;
	/* Unknown flags: W32Time's default announces only the root PDC as reliable. */
	d = domain_at(v, dc->domain);
	return dc->pdc && d != NULL && d->forest_root;
}

static int
is_pdc(const struct hier_dc *dc)
{
	if (dc->ping_answered && (dc->ping_flags & HIER_DS_PDC))
		return 1;
	return dc->pdc;
}

static int
in_our_site(const struct hier_view *v, const struct hier_dc *dc)
{
	return v->self.site >= 0 && dc->site == v->self.site;
}

static int
score(const struct hier_view *v, const struct hier_dc *dc, int parent)
{
	return (in_our_site(v, dc) ? 8 : 0) + (hier_dc_reliable(v, dc) ? 4 : 0) +
	       (parent >= 0 && dc->domain == parent ? 2 : 0) + (is_pdc(dc) ? 1 : 0);
}

/* ---- the steps ------------------------------------------------------------------- */

static int
step_applies(const struct hier_view *v, const struct hier_params *p, const struct step *s,
             int parent)
{
	enum hier_role r = v->self.role;

	if (s->parent_domain && parent < 0)
		return 0;
	if (s->not_on_rodc && r == HIER_ROLE_RODC)
		return 0;
	if (s->not_on_pdc && (r == HIER_ROLE_PDC || r == HIER_ROLE_ROOT_PDC))
		return 0;
	if (!s->in_site && p->cross_site == HIER_CROSS_NONE)
		return 0;
	if (!s->in_site && p->cross_site == HIER_CROSS_PDC_ONLY && s->need != NEED_PDC)
		return 0;
	return 1;
}

static int
matches(const struct hier_view *v, const struct step *s, int parent, const struct hier_dc *dc)
{
	int want_domain = s->parent_domain ? parent : v->self.domain;

	if (dc->domain != want_domain || want_domain < 0)
		return 0;
	if (s->in_site && !in_our_site(v, dc))
		return 0;
	switch (s->need) {
	case NEED_TIMESERV:
		return hier_dc_timeserv(dc);
	case NEED_RELIABLE:
		return hier_dc_timeserv(dc) && hier_dc_reliable(v, dc);
	case NEED_PDC:
		return is_pdc(dc);
	}
	return 0;
}

static void __attribute__((format(printf, 2, 3))) say(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(((struct hier_candidate *)0)->reason), fmt, ap);
	va_end(ap);
}

/* Within a step: higher score first, then host name, for a stable order. */
static int
cmp_candidates(const void *a, const void *b, void *arg)
{
	const struct hier_view *v = arg;
	const struct hier_candidate *x = a, *y = b;

	if (x->step != y->step)
		return x->step - y->step;
	if (x->score != y->score)
		return y->score - x->score;
	return strcmp(v->dcs[x->dc].host, v->dcs[y->dc].host);
}

static int
already(const struct hier_choice *c, int dc)
{
	for (size_t i = 0; i < c->n_cands; i++)
		if (c->cands[i].dc == dc)
			return 1;
	return 0;
}

static void
add_candidate(struct hier_choice *c, int dc, int step, int sc, const char *what)
{
	struct hier_candidate *k;

	c->cands = xreallocarray(c->cands, c->n_cands + 1, sizeof(*c->cands));
	k = &c->cands[c->n_cands++];
	*k = (struct hier_candidate){.dc = dc, .step = step, .score = sc};
	say(k->reason, "step %d: %s", step, what);
}

/* Run the six steps, collecting every DC each finds, in order. */
static void
run_steps(const struct hier_view *v, const struct hier_params *p, int parent, struct hier_choice *c)
{
	for (int i = 0; i < N_STEPS; i++) {
		const struct step *s = &steps[i];
		size_t first = c->n_cands;

		if (!step_applies(v, p, s, parent))
			continue;
		for (size_t d = 0; d < v->n_dcs; d++) {
			if ((int)d == v->self.dc || already(c, (int)d) ||
			    !matches(v, s, parent, &v->dcs[d]))
				continue;
			add_candidate(c, (int)d, i + 1, score(v, &v->dcs[d], parent), s->what);
		}
		if (c->n_cands - first > 1)
			qsort_r(c->cands + first, c->n_cands - first, sizeof(*c->cands),
			        cmp_candidates, (void *)v);
	}
}

/* The DCs no step found, in our and the parent domain: say why not. */
static void
explain_others(const struct hier_view *v, const struct hier_params *p, int parent,
               struct hier_choice *c)
{
	for (size_t d = 0; d < v->n_dcs; d++) {
		const struct hier_dc *dc = &v->dcs[d];
		struct hier_candidate *k;

		if (already(c, (int)d) ||
		    (dc->domain != v->self.domain && (parent < 0 || dc->domain != parent)))
			continue;
		add_candidate(c, (int)d, 0, score(v, dc, parent), "");
		k = &c->cands[c->n_cands - 1];
		if ((int)d == v->self.dc)
			say(k->reason, "this machine: nobody follows itself");
		else if (!hier_dc_timeserv(dc))
			say(k->reason, "not announcing the time service (LDAP ping flags)");
		else if (!in_our_site(v, dc) && p->cross_site != HIER_CROSS_ALL)
			say(k->reason, "in another site and cross_site_sync = %s",
			    hier_cross_site_name(p->cross_site));
		else if (v->self.role == HIER_ROLE_RODC)
			say(k->reason, "an RODC looks only at the parent domain and its PDC");
		else
			say(k->reason, "not reliable, and no step looks for any DC of our domain");
	}
}

static void
choose_first(struct hier_choice *c, unsigned max)
{
	unsigned chosen = 0;

	for (size_t i = 0; i < c->n_cands && chosen < max; i++) {
		if (c->cands[i].step == 0)
			continue;
		c->cands[i].chosen = 1;
		chosen++;
	}
}

static void __attribute__((format(printf, 2, 3)))
decide(struct hier_choice *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}

static void
use_manual_or_none(struct hier_choice *c, int have_manual, const char *because)
{
	c->use = have_manual ? HIER_USE_MANUAL : HIER_USE_NONE;
	decide(c, "%s: %s", because,
	       have_manual ? "following the manual list (ntp_server)"
	                   : "no manual list either, so no source");
}

void
hier_choose(const struct hier_view *v, const struct hier_params *p, int have_manual,
            struct hier_choice *ret)
{
	size_t n_found = 0;

	*ret = (struct hier_choice){.use = HIER_USE_NONE, .parent_domain = hier_time_parent(v)};
	switch (p->type) {
	case HIER_NOSYNC:
		decide(ret, "type = nosync: not synchronising, serving the clock as it is");
		return;
	case HIER_NTP:
		use_manual_or_none(ret, have_manual, "type = ntp");
		return;
	case HIER_AUTO: /* in a domain, as here: NT5DS */
	case HIER_NT5DS:
	case HIER_ALLSYNC:
		break;
	}
	if (v->self.role == HIER_ROLE_STANDALONE) {
		use_manual_or_none(ret, have_manual && p->type == HIER_ALLSYNC,
		                   "not a member of a domain");
		return;
	}
	if (v->self.role == HIER_ROLE_ROOT_PDC) {
		use_manual_or_none(
		    ret, have_manual,
		    "PDC emulator of the forest root: nothing above it in the domain");
		return;
	}
	run_steps(v, p, ret->parent_domain, ret);
	n_found = ret->n_cands;
	explain_others(v, p, ret->parent_domain, ret);
	if (n_found == 0) {
		use_manual_or_none(ret, have_manual && p->type == HIER_ALLSYNC,
		                   "no time source found in the domain hierarchy");
		return;
	}
	choose_first(ret, p->max_sources ? p->max_sources : 1);
	ret->use = HIER_USE_DCS;
	decide(ret,
	       "following the best %u of %zu domain time source(s) found by the locator "
	       "steps",
	       p->max_sources < n_found ? p->max_sources : (unsigned)n_found, n_found);
}

void
hier_choice_clear(struct hier_choice *c)
{
	free(c->cands);
	*c = (struct hier_choice){0};
}

void
hier_view_from_forest(const struct hier_forest *f, struct hier_view *ret)
{
	struct hier_domain *domains = xcalloc(hier_forest_n_domains(f), sizeof(*domains));
	struct hier_dc *dcs = xcalloc(hier_forest_n_dcs(f), sizeof(*dcs));

	for (size_t i = 0; i < hier_forest_n_domains(f); i++)
		domains[i] = *hier_forest_domain(f, i);
	for (size_t i = 0; i < hier_forest_n_dcs(f); i++)
		dcs[i] = *hier_forest_dc(f, i);
	*ret = (struct hier_view){
	    .domains = domains,
	    .n_domains = hier_forest_n_domains(f),
	    .dcs = dcs,
	    .n_dcs = hier_forest_n_dcs(f),
	    .self = *hier_forest_self(f),
	};
}

void
hier_view_clear(struct hier_view *v)
{
	free((void *)v->domains);
	free((void *)v->dcs);
	*v = (struct hier_view){0};
}

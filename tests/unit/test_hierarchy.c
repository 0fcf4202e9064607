/*
 * test_hierarchy.c - conformance of the time hierarchy rules: hand-made
 * topologies (roles, sites, domain depths, missing parents and PDCs, ping
 * flags, cross_site_sync, types) and the ranked sources each machine picks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "../../hierarchy/hierarchy.h"

enum { HQ, BRANCH, LAB };

struct topo {
	struct hier_domain dom[8];
	size_t n_dom;
	struct hier_dc dc[24];
	size_t n_dc;
};

static int
add_domain(struct topo *t, const char *name, int parent)
{
	t->dom[t->n_dom] = (struct hier_domain){
	    .name = name, .dn = name, .parent = parent, .pdc = -1, .forest_root = t->n_dom == 0};
	return (int)t->n_dom++;
}

static int
add_dc(struct topo *t, const char *host, int domain, int site, int pdc, int rodc)
{
	t->dc[t->n_dc] = (struct hier_dc){
	    .host = host, .name = host, .domain = domain, .site = site, .pdc = pdc, .rodc = rodc};
	if (pdc)
		t->dom[domain].pdc = (int)t->n_dc;
	return (int)t->n_dc++;
}

/* The test world: forest.test (HQ: rootdc1 PDC, rootdc2; Branch: rodc1) and
 * child.forest.test (Branch: childdc1 PDC, childdc2). */
static struct topo
test_forest(void)
{
	struct topo t = {0};
	int root = add_domain(&t, "forest.test", -1);
	int child = add_domain(&t, "child.forest.test", root);

	add_dc(&t, "rootdc1", root, HQ, 1, 0);
	add_dc(&t, "rootdc2", root, HQ, 0, 0);
	add_dc(&t, "rodc1", root, BRANCH, 0, 1);
	add_dc(&t, "childdc1", child, BRANCH, 1, 0);
	add_dc(&t, "childdc2", child, BRANCH, 0, 0);
	return t;
}

static int
find_dc(const struct topo *t, const char *host)
{
	for (size_t i = 0; i < t->n_dc; i++)
		if (strcmp(t->dc[i].host, host) == 0)
			return (int)i;
	return -1;
}

/* SELF: a DC's host name, or "member@DOMAIN" for a member. */
static struct hier_view
view_as(const struct topo *t, int domain, int site, enum hier_role role, const char *dc)
{
	return (struct hier_view){
	    .domains = t->dom,
	    .n_domains = t->n_dom,
	    .dcs = t->dc,
	    .n_dcs = t->n_dc,
	    .self = {.name = "self",
	             .domain = domain,
	             .site = site,
	             .role = role,
	             .dc = dc ? find_dc(t, dc) : -1},
	};
}

/* The chosen sources, space separated, in order. */
static void
chosen(const struct hier_view *v, const struct hier_choice *c, char *buf, size_t size)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->n_cands; i++)
		if (c->cands[i].chosen)
			o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "",
			                      v->dcs[c->cands[i].dc].host);
}

static const struct hier_params defaults = {HIER_NT5DS, HIER_CROSS_PDC_ONLY, 3};

static void
expect(const struct topo *t, int domain, int site, enum hier_role role, const char *dc,
       const struct hier_params *p, int have_manual, enum hier_use use, const char *want)
{
	struct hier_view v = view_as(t, domain, site, role, dc);
	struct hier_choice c;
	char got[256];

	hier_choose(&v, p, have_manual, &c);
	chosen(&v, &c, got, sizeof(got));
	if (c.use != use || strcmp(got, want) != 0)
		fail_msg("as %s in domain %d site %d: use %d '%s', want %d '%s' (%s)",
		         dc ? dc : "member", domain, site, c.use, got, use, want, c.why);
	hier_choice_clear(&c);
}

/* 1 */
static void
test_member_hq(void **state)
{
	struct topo t = test_forest();

	(void)state;
	/* Step 1 for a member is its own domain in its site: the PDC (15) then rootdc2 (10). */
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rootdc1 rootdc2");
}

/* 2 */
static void
test_member_branch_root_domain(void **state)
{
	struct topo t = test_forest();

	(void)state;
	/* In-site: only the RODC; then step 6 adds the PDC across sites. */
	expect(&t, 0, BRANCH, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rodc1 rootdc1");
}

/* 3 */
static void
test_member_child_out_of_site(void **state)
{
	struct topo t = test_forest();

	(void)state;
	/* No child DC in HQ; pdc_only lets only the PDC be found across sites. */
	expect(&t, 1, HQ, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "childdc1");
}

/* 4 */
static void
test_member_child_cross_site_all(void **state)
{
	struct topo t = test_forest();
	struct hier_params p = {HIER_NT5DS, HIER_CROSS_ALL, 3};

	(void)state;
	expect(&t, 1, HQ, HIER_ROLE_MEMBER, NULL, &p, 0, HIER_USE_DCS, "childdc1 childdc2");
}

/* 5 */
static void
test_member_child_cross_site_none(void **state)
{
	struct topo t = test_forest();
	struct hier_params p = {HIER_NT5DS, HIER_CROSS_NONE, 3};

	(void)state;
	expect(&t, 1, HQ, HIER_ROLE_MEMBER, NULL, &p, 0, HIER_USE_NONE, "");
}

/* 6 */
static void
test_root_dc(void **state)
{
	struct topo t = test_forest();

	(void)state;
	/* Forest-root DCs have no parent domain: the reliable root PDC, step 2. */
	expect(&t, 0, HQ, HIER_ROLE_DC, "rootdc2", &defaults, 0, HIER_USE_DCS, "rootdc1");
}

/* 7 */
static void
test_rodc(void **state)
{
	struct topo t = test_forest();
	struct hier_view v = view_as(&t, 0, BRANCH, HIER_ROLE_RODC, "rodc1");
	struct hier_choice c;

	(void)state;
	/* Steps 2 and 5 skipped; the PDC is found at step 6. */
	hier_choose(&v, &defaults, 0, &c);
	assert_int_equal(c.use, HIER_USE_DCS);
	assert_int_equal(c.n_cands >= 1, 1);
	assert_string_equal(t.dc[c.cands[0].dc].host, "rootdc1");
	assert_int_equal(c.cands[0].step, 6);
	hier_choice_clear(&c);
}

/* 8 */
static void
test_child_pdc(void **state)
{
	struct topo t = test_forest();
	struct hier_params all = {HIER_NT5DS, HIER_CROSS_ALL, 3};

	(void)state;
	/* Parent domain in site: the RODC there. */
	expect(&t, 1, BRANCH, HIER_ROLE_PDC, "childdc1", &defaults, 0, HIER_USE_DCS, "rodc1");
	/* Across sites too: the reliable root PDC outranks rootdc2. */
	expect(&t, 1, BRANCH, HIER_ROLE_PDC, "childdc1", &all, 0, HIER_USE_DCS,
	       "rodc1 rootdc1 rootdc2");
}

/* 9 */
static void
test_child_dc(void **state)
{
	struct topo t = test_forest();

	(void)state;
	/* Step 1: parent domain in site (rodc1); step 3: own PDC in site. */
	expect(&t, 1, BRANCH, HIER_ROLE_DC, "childdc2", &defaults, 0, HIER_USE_DCS,
	       "rodc1 childdc1");
}

/* 10 */
static void
test_root_pdc(void **state)
{
	struct topo t = test_forest();

	(void)state;
	expect(&t, 0, HQ, HIER_ROLE_ROOT_PDC, "rootdc1", &defaults, 1, HIER_USE_MANUAL, "");
	expect(&t, 0, HQ, HIER_ROLE_ROOT_PDC, "rootdc1", &defaults, 0, HIER_USE_NONE, "");
}

/* 11 */
static void
test_types(void **state)
{
	struct topo t = test_forest();
	struct hier_params ntp = {HIER_NTP, HIER_CROSS_PDC_ONLY, 3};
	struct hier_params nosync = {HIER_NOSYNC, HIER_CROSS_PDC_ONLY, 3};
	struct hier_params allsync = {HIER_ALLSYNC, HIER_CROSS_NONE, 3};

	(void)state;
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &ntp, 1, HIER_USE_MANUAL, "");
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &nosync, 1, HIER_USE_NONE, "");
	/* allsync: the hierarchy when it gives something... */
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &allsync, 1, HIER_USE_DCS, "rootdc1 rootdc2");
	/* ...and the manual list when it gives nothing. */
	expect(&t, 1, HQ, HIER_ROLE_MEMBER, NULL, &allsync, 1, HIER_USE_MANUAL, "");
	assert_string_equal(hier_type_name(HIER_ALLSYNC), "allsync");
}

/* 12 */
static void
test_standalone(void **state)
{
	struct topo t = test_forest();
	struct hier_params allsync = {HIER_ALLSYNC, HIER_CROSS_PDC_ONLY, 3};

	(void)state;
	expect(&t, -1, -1, HIER_ROLE_STANDALONE, NULL, &defaults, 1, HIER_USE_NONE, "");
	expect(&t, -1, -1, HIER_ROLE_STANDALONE, NULL, &allsync, 1, HIER_USE_MANUAL, "");
}

/* 13: ping flags known decide reliability and time service */
static void
test_ping_flags(void **state)
{
	struct topo t = test_forest();

	(void)state;
	for (size_t i = 0; i < t.n_dc; i++) {
		t.dc[i].ping_answered = 1;
		t.dc[i].ping_flags = HIER_DS_TIMESERV | (t.dc[i].pdc ? HIER_DS_PDC : 0);
	}
	t.dc[find_dc(&t, "rootdc2")].ping_flags |= HIER_DS_GOOD_TIMESERV;
	/* Now rootdc2 is the reliable one: 8+4+2 beats the PDC's 8+2+1. */
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rootdc2 rootdc1");
	/* A root DC finds rootdc2 at step 2, the PDC at step 3. */
	expect(&t, 0, HQ, HIER_ROLE_DC, "rootdc2", &defaults, 0, HIER_USE_DCS, "rootdc1");
}

/* 14: a DC not announcing the time service is passed over, with a reason */
static void
test_not_timeserv(void **state)
{
	struct topo t = test_forest();
	struct hier_view v;
	struct hier_choice c;
	int d = find_dc(&t, "rootdc2");

	(void)state;
	t.dc[d].ping_answered = 1;
	t.dc[d].ping_flags = 0;
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rootdc1");
	v = view_as(&t, 0, HQ, HIER_ROLE_MEMBER, NULL);
	hier_choose(&v, &defaults, 0, &c);
	for (size_t i = 0; i < c.n_cands; i++)
		if (c.cands[i].dc == d) {
			assert_int_equal(c.cands[i].step, 0);
			assert_non_null(strstr(c.cands[i].reason, "not announcing"));
		}
	hier_choice_clear(&c);
}

/* 15 */
static void
test_max_sources(void **state)
{
	struct topo t = test_forest();
	struct hier_params one = {HIER_NT5DS, HIER_CROSS_PDC_ONLY, 1};

	(void)state;
	expect(&t, 0, HQ, HIER_ROLE_MEMBER, NULL, &one, 0, HIER_USE_DCS, "rootdc1");
}

/* 16: a member whose site is unknown: only the PDC (pdc_only across sites) */
static void
test_unknown_site(void **state)
{
	struct topo t = test_forest();

	(void)state;
	expect(&t, 0, -1, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rootdc1");
}

/* A three-level tree and a second tree, for 17-19. */
static struct topo
deep_forest(void)
{
	struct topo t = {0};
	int root = add_domain(&t, "corp.test", -1);
	int emea = add_domain(&t, "emea.corp.test", root);
	int paris = add_domain(&t, "paris.emea.corp.test", emea);
	int other = add_domain(&t, "other.test", -1); /* a second tree root */

	add_dc(&t, "root1", root, HQ, 1, 0);
	add_dc(&t, "emea1", emea, BRANCH, 1, 0);
	add_dc(&t, "emea2", emea, LAB, 0, 0);
	add_dc(&t, "paris1", paris, LAB, 1, 0);
	add_dc(&t, "paris2", paris, LAB, 0, 0);
	add_dc(&t, "other1", other, HQ, 1, 0);
	add_dc(&t, "other2", other, HQ, 0, 0);
	return t;
}

/* 17: a grandchild DC looks to its direct parent, not the root */
static void
test_grandchild_dc(void **state)
{
	struct topo t = deep_forest();
	struct hier_view v = view_as(&t, 2, LAB, HIER_ROLE_DC, "paris2");

	(void)state;
	assert_int_equal(hier_time_parent(&v), 1);
	/* emea2 (parent domain, our site), then our PDC in site. */
	expect(&t, 2, LAB, HIER_ROLE_DC, "paris2", &defaults, 0, HIER_USE_DCS, "emea2 paris1");
}

/* 18: a grandchild PDC: the parent domain's DC in site only (pdc_only) */
static void
test_grandchild_pdc(void **state)
{
	struct topo t = deep_forest();
	struct hier_params all = {HIER_NT5DS, HIER_CROSS_ALL, 3};

	(void)state;
	expect(&t, 2, LAB, HIER_ROLE_PDC, "paris1", &defaults, 0, HIER_USE_DCS, "emea2");
	expect(&t, 2, LAB, HIER_ROLE_PDC, "paris1", &all, 0, HIER_USE_DCS, "emea2 emea1");
}

/* 19: another tree's root domain looks to the forest root */
static void
test_tree_root(void **state)
{
	struct topo t = deep_forest();
	struct hier_view v = view_as(&t, 3, HQ, HIER_ROLE_PDC, "other1");

	(void)state;
	assert_int_equal(hier_time_parent(&v), 0);
	/* root1 is the reliable root PDC and in our site: step 1. */
	expect(&t, 3, HQ, HIER_ROLE_PDC, "other1", &defaults, 0, HIER_USE_DCS, "root1");
	expect(&t, 3, HQ, HIER_ROLE_DC, "other2", &defaults, 0, HIER_USE_DCS, "root1 other1");
}

/* 20: a domain whose parent was dropped (contradictions) acts as a tree root */
static void
test_missing_parent(void **state)
{
	struct topo t = test_forest();

	(void)state;
	t.dom[1].parent = -1;
	/* Falls back to the forest root as parent: the same answer as with it. */
	expect(&t, 1, BRANCH, HIER_ROLE_DC, "childdc2", &defaults, 0, HIER_USE_DCS,
	       "rodc1 childdc1");
}

/* 21: a member in a site with no DC at all */
static void
test_empty_site(void **state)
{
	struct topo t = test_forest();

	(void)state;
	expect(&t, 0, LAB, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS, "rootdc1");
}

/* 22: a domain whose PDC is unknown (missing fSMORoleOwner) */
static void
test_unknown_pdc(void **state)
{
	struct topo t = test_forest();

	(void)state;
	t.dc[find_dc(&t, "childdc1")].pdc = 0;
	t.dom[1].pdc = -1;
	/* The child DC finds only the parent domain's in-site DC. */
	expect(&t, 1, BRANCH, HIER_ROLE_DC, "childdc2", &defaults, 0, HIER_USE_DCS, "rodc1");
	/* And a member of the child domain, its in-site DCs. */
	expect(&t, 1, BRANCH, HIER_ROLE_MEMBER, NULL, &defaults, 0, HIER_USE_DCS,
	       "childdc1 childdc2");
}

/* 23: nobody picks itself, even the best candidate */
static void
test_never_itself(void **state)
{
	struct topo t = test_forest();
	struct hier_view v = view_as(&t, 0, HQ, HIER_ROLE_DC, "rootdc2");
	struct hier_choice c;

	(void)state;
	t.dc[find_dc(&t, "rootdc2")].ping_answered = 1;
	t.dc[find_dc(&t, "rootdc2")].ping_flags = HIER_DS_TIMESERV | HIER_DS_GOOD_TIMESERV;
	hier_choose(&v, &defaults, 0, &c);
	for (size_t i = 0; i < c.n_cands; i++) {
		if (c.cands[i].dc != v.self.dc)
			continue;
		assert_false(c.cands[i].chosen);
		assert_non_null(strstr(c.cands[i].reason, "itself"));
	}
	hier_choice_clear(&c);
}

/* 24: an RODC never takes a reliable DC of its own domain by steps 2/5 */
static void
test_rodc_skips_reliable_steps(void **state)
{
	struct topo t = test_forest();
	int rodc = add_dc(&t, "childrodc", 1, BRANCH, 0, 1);
	struct hier_view v;
	struct hier_choice c;

	(void)state;
	t.dc[find_dc(&t, "childdc2")].ping_answered = 1;
	t.dc[find_dc(&t, "childdc2")].ping_flags = HIER_DS_TIMESERV | HIER_DS_GOOD_TIMESERV;
	v = view_as(&t, 1, BRANCH, HIER_ROLE_RODC, "childrodc");
	(void)rodc;
	hier_choose(&v, &defaults, 0, &c);
	for (size_t i = 0; i < c.n_cands; i++)
		assert_true(c.cands[i].step != 2 && c.cands[i].step != 5);
	hier_choice_clear(&c);
	/* Parent domain in site (rodc1), then own PDC in site (childdc1). */
	expect(&t, 1, BRANCH, HIER_ROLE_RODC, "childrodc", &defaults, 0, HIER_USE_DCS,
	       "rodc1 childdc1");
}

/* 25: scores are W32Time's, and every candidate says why */
static void
test_scores_and_reasons(void **state)
{
	struct topo t = test_forest();
	struct hier_view v = view_as(&t, 0, HQ, HIER_ROLE_MEMBER, NULL);
	struct hier_choice c;

	(void)state;
	hier_choose(&v, &defaults, 0, &c);
	for (size_t i = 0; i < c.n_cands; i++) {
		const char *h = t.dc[c.cands[i].dc].host;

		assert_true(c.cands[i].reason[0] != '\0');
		if (strcmp(h, "rootdc1") == 0)
			assert_int_equal(c.cands[i].score, 8 + 4 + 2 + 1);
		if (strcmp(h, "rootdc2") == 0)
			assert_int_equal(c.cands[i].score, 8 + 2);
		if (strcmp(h, "rodc1") == 0)
			assert_int_equal(c.cands[i].score, 2);
	}
	assert_int_equal(c.parent_domain, 0);
	assert_true(c.why[0] != '\0');
	hier_choice_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_member_hq),
	    cmocka_unit_test(test_member_branch_root_domain),
	    cmocka_unit_test(test_member_child_out_of_site),
	    cmocka_unit_test(test_member_child_cross_site_all),
	    cmocka_unit_test(test_member_child_cross_site_none),
	    cmocka_unit_test(test_root_dc),
	    cmocka_unit_test(test_rodc),
	    cmocka_unit_test(test_child_pdc),
	    cmocka_unit_test(test_child_dc),
	    cmocka_unit_test(test_root_pdc),
	    cmocka_unit_test(test_types),
	    cmocka_unit_test(test_standalone),
	    cmocka_unit_test(test_ping_flags),
	    cmocka_unit_test(test_not_timeserv),
	    cmocka_unit_test(test_max_sources),
	    cmocka_unit_test(test_unknown_site),
	    cmocka_unit_test(test_grandchild_dc),
	    cmocka_unit_test(test_grandchild_pdc),
	    cmocka_unit_test(test_tree_root),
	    cmocka_unit_test(test_missing_parent),
	    cmocka_unit_test(test_empty_site),
	    cmocka_unit_test(test_unknown_pdc),
	    cmocka_unit_test(test_never_itself),
	    cmocka_unit_test(test_rodc_skips_reliable_steps),
	    cmocka_unit_test(test_scores_and_reasons),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

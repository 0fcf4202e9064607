/*
 * test_hier_forest.c - the forest picture as pure data: adders copy the
 * entries, kept strings live (and die) with the forest, indices follow the
 * order of adding, accessors out of range give NULL, and the rules' view of
 * a picture holds its entries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../common/xmalloc.h"
#include "../../hierarchy/hierarchy.h"

static struct hier_forest *
small_forest(void)
{
	char uri[] = "ldap://rootdc1.forest.test";
	struct hier_forest *f = hier_forest_new(uri, 42.5);
	const char *name = hier_forest_keep(f, xstrdup("forest.test"));
	const char *host = hier_forest_keep(f, xstrdup("rootdc1.forest.test"));

	hier_forest_add_domain(f, &(struct hier_domain){.name = name,
	                                                .dn = "dc=forest,dc=test",
	                                                .parent = -1,
	                                                .root_trust = -1,
	                                                .pdc = 0,
	                                                .tree_root = 1,
	                                                .forest_root = 1});
	hier_forest_add_site(f, &(struct hier_site){.name = "HQ", .dn = "cn=hq"});
	hier_forest_add_dc(
	    f,
	    &(struct hier_dc){.host = host, .name = "ROOTDC1", .domain = 0, .site = 0, .pdc = 1});
	hier_forest_add_subnet(
	    f, &(struct hier_subnet){
	           .family = 2, .addr = {10, 1}, .prefix = 16, .site = 0, .text = "10.1.0.0/16"});
	hier_forest_set_self(f, &(struct hier_self){.name = "member1",
	                                            .domain = 0,
	                                            .site = 0,
	                                            .site_source = "subnet 10.1.0.0/16",
	                                            .role = HIER_ROLE_MEMBER,
	                                            .dc = -1});
	hier_forest_set_root(f, 0);
	hier_forest_set_source_dc(f, 0);
	hier_forest_add_problem(f, "one thing was odd");
	/* The server's name is a copy: the caller's may change. */
	memset(uri, 'x', sizeof(uri) - 1);
	return f;
}

static void
test_empty(void **state)
{
	struct hier_forest *f = hier_forest_new(NULL, 0);
	const struct hier_self *s = hier_forest_self(f);

	(void)state;
	assert_int_equal(hier_forest_n_domains(f), 0);
	assert_int_equal(hier_forest_n_dcs(f), 0);
	assert_null(hier_forest_domain(f, 0));
	assert_null(hier_forest_dc(f, 0));
	assert_null(hier_forest_site(f, 0));
	assert_null(hier_forest_subnet(f, 0));
	assert_null(hier_forest_problem(f, 0));
	assert_null(hier_forest_read_from(f));
	assert_int_equal(hier_forest_root(f), -1);
	assert_int_equal(hier_forest_source_dc(f), -1);
	assert_int_equal(s->role, HIER_ROLE_STANDALONE);
	assert_int_equal(s->domain, -1);
	assert_int_equal(s->site, -1);
	assert_int_equal(s->dc, -1);
	assert_string_equal(s->site_source, "unknown");
	hier_forest_free(f);
	hier_forest_free(NULL);
}

static void
test_copies_and_indices(void **state)
{
	struct hier_forest *f = small_forest();

	(void)state;
	assert_string_equal(hier_forest_domain(f, 0)->name, "forest.test");
	assert_null(hier_forest_domain(f, 0)->netbios);
	assert_string_equal(hier_forest_dc(f, 0)->host, "rootdc1.forest.test");
	assert_int_equal(hier_forest_dc(f, 0)->domain, 0);
	assert_true(hier_forest_dc(f, 0)->pdc);
	assert_string_equal(hier_forest_site(f, 0)->name, "HQ");
	assert_string_equal(hier_forest_subnet(f, 0)->text, "10.1.0.0/16");
	assert_int_equal(hier_forest_subnet(f, 0)->prefix, 16);
	assert_string_equal(hier_forest_self(f)->site_source, "subnet 10.1.0.0/16");
	assert_null(hier_forest_self(f)->fqdn);
	assert_int_equal(hier_forest_root(f), 0);
	assert_int_equal(hier_forest_source_dc(f), 0);
	assert_int_equal(hier_forest_n_problems(f), 1);
	assert_string_equal(hier_forest_problem(f, 0), "one thing was odd");
	assert_string_equal(hier_forest_read_from(f), "ldap://rootdc1.forest.test");
	assert_true(hier_forest_read_at(f) == 42.5);
	assert_null(hier_forest_dc(f, 1));
	hier_forest_free(f);
}

static void
test_view(void **state)
{
	struct hier_forest *f = small_forest();
	struct hier_view v;

	(void)state;
	hier_view_from_forest(f, &v);
	assert_int_equal(v.n_domains, 1);
	assert_int_equal(v.n_dcs, 1);
	assert_string_equal(v.dcs[0].host, "rootdc1.forest.test");
	assert_int_equal(v.self.role, HIER_ROLE_MEMBER);
	/* A member's parent for time is its own domain. */
	assert_int_equal(hier_time_parent(&v), 0);
	hier_view_clear(&v);
	assert_int_equal(v.n_dcs, 0);
	hier_forest_free(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_copies_and_indices),
	    cmocka_unit_test(test_view),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

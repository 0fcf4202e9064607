/*
 * test_locate.c - SRV record order (RFC 2782), SRV answer parsing, names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../ldap/locate.h"

/* ---- ordering ------------------------------------------------------------------- */

/* A "random" source that returns the queued values, then 0. */
struct seq {
	const uint32_t *v;
	size_t n, i;
	uint32_t last_bound;
};

static uint32_t
next(void *arg, uint32_t bound)
{
	struct seq *s = arg;
	uint32_t x = s->i < s->n ? s->v[s->i++] : 0;

	s->last_bound = bound;
	return x;
}

static void
set(struct dir_srv *r, const char *t, uint16_t prio, uint16_t weight)
{
	*r = (struct dir_srv){.target = (char *)t, .port = 389, .priority = prio, .weight = weight};
}

static void
test_priority_first(void **state)
{
	struct dir_srv v[4];
	struct seq s = {0};

	(void)state;
	set(&v[0], "c", 20, 0);
	set(&v[1], "a", 0, 0);
	set(&v[2], "d", 30, 0);
	set(&v[3], "b", 10, 0);
	dir_srv_order(v, 4, next, &s);
	assert_string_equal(v[0].target, "a");
	assert_string_equal(v[1].target, "b");
	assert_string_equal(v[2].target, "c");
	assert_string_equal(v[3].target, "d");
}

static void
test_weighted_pick(void **state)
{
	/* Weights 10, 30, 60 in one priority: running sums 10, 40, 100. */
	struct dir_srv v[3];
	uint32_t picks[] = {50, 5};
	struct seq s = {.v = picks, .n = 2};

	(void)state;
	set(&v[0], "w10", 5, 10);
	set(&v[1], "w30", 5, 30);
	set(&v[2], "w60", 5, 60);
	dir_srv_order(v, 3, next, &s);
	/* 50 falls in the third's range (41..100); then of 10, 30 (sums 10, 40) 5 picks the first.
	 */
	assert_string_equal(v[0].target, "w60");
	assert_string_equal(v[1].target, "w10");
	assert_string_equal(v[2].target, "w30");
	assert_int_equal(s.last_bound, 40);
}

static void
test_boundaries(void **state)
{
	struct dir_srv v[2];
	uint32_t pick_10[] = {10}, pick_11[] = {11};
	struct seq s1 = {.v = pick_10, .n = 1}, s2 = {.v = pick_11, .n = 1};

	(void)state;
	/* "the first whose running sum is greater than or equal to the number". */
	set(&v[0], "a", 0, 10);
	set(&v[1], "b", 0, 10);
	dir_srv_order(v, 2, next, &s1);
	assert_string_equal(v[0].target, "a");
	assert_int_equal(s1.last_bound, 20);
	set(&v[0], "a", 0, 10);
	set(&v[1], "b", 0, 10);
	dir_srv_order(v, 2, next, &s2);
	assert_string_equal(v[0].target, "b");
}

static void
test_zero_weights(void **state)
{
	struct dir_srv v[3];
	uint32_t zero[] = {0, 0};
	struct seq s = {.v = zero, .n = 2};

	(void)state;
	/* Weight 0 goes first in the running sum: a 0 picks it, anything else does not. */
	set(&v[0], "heavy", 1, 100);
	set(&v[1], "zero", 1, 0);
	set(&v[2], "light", 1, 1);
	dir_srv_order(v, 3, next, &s);
	assert_string_equal(v[0].target, "zero");
	/* Then among heavy (100) and light (1): 0 picks the first in order, heavy. */
	assert_string_equal(v[1].target, "heavy");
	assert_string_equal(v[2].target, "light");
}

static void
test_all_zero_and_empty(void **state)
{
	struct dir_srv v[3];
	struct seq s = {0};

	(void)state;
	set(&v[0], "x", 0, 0);
	set(&v[1], "y", 0, 0);
	set(&v[2], "z", 0, 0);
	dir_srv_order(v, 3, next, &s);
	assert_string_equal(v[0].target, "x");
	assert_string_equal(v[1].target, "y");
	assert_string_equal(v[2].target, "z");
	assert_int_equal(s.last_bound, 0);
	dir_srv_order(NULL, 0, next, &s);
}

/* An out-of-range generator must not break the order's completeness. */
static uint32_t
too_big(void *arg, uint32_t bound)
{
	(void)arg;
	return bound + 1000;
}

static void
test_bad_generator(void **state)
{
	struct dir_srv v[3];

	(void)state;
	set(&v[0], "a", 0, 1);
	set(&v[1], "b", 0, 2);
	set(&v[2], "c", 0, 3);
	dir_srv_order(v, 3, too_big, NULL);
	/* Every record is still there exactly once. */
	assert_int_equal((v[0].target[0] - 'a') + (v[1].target[0] - 'a') + (v[2].target[0] - 'a'),
	                 3);
	assert_true(v[0].target != v[1].target && v[1].target != v[2].target &&
	            v[0].target != v[2].target);
}

/* ---- parsing ------------------------------------------------------------------------ */

struct msg {
	uint8_t b[1024];
	size_t n;
};

static void
put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void
put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void
put_name(struct msg *m, const char *name)
{
	while (*name != '\0') {
		size_t len = strcspn(name, ".");

		put8(m, (unsigned)len);
		memcpy(m->b + m->n, name, len);
		m->n += len;
		name += len;
		if (*name == '.')
			name++;
	}
	put8(m, 0);
}

/* An SRV answer record whose owner points at the question (offset 12). */
static void
put_srv(struct msg *m, unsigned prio, unsigned weight, unsigned port, const char *target,
        int compress_to, int rdlen_delta)
{
	size_t rdlen_at;

	put16(m, 0xc00c);
	put16(m, 33); /* SRV */
	put16(m, 1);  /* IN */
	put16(m, 0);
	put16(m, 600);
	rdlen_at = m->n;
	put16(m, 0);
	put16(m, prio);
	put16(m, weight);
	put16(m, port);
	if (compress_to >= 0) {
		put8(m, (unsigned)strlen(target));
		memcpy(m->b + m->n, target, strlen(target));
		m->n += strlen(target);
		put16(m, 0xc000 | (unsigned)compress_to);
	} else {
		put_name(m, target);
	}
	m->b[rdlen_at] = (uint8_t)((m->n - rdlen_at - 2 + (size_t)rdlen_delta) >> 8);
	m->b[rdlen_at + 1] = (uint8_t)((m->n - rdlen_at - 2 + (size_t)rdlen_delta) & 0xff);
}

/* Header + question for NAME with ANCOUNT answers to follow. */
static void
start(struct msg *m, const char *name, unsigned ancount)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, 0x8180);
	put16(m, 1);
	put16(m, ancount);
	put16(m, 0);
	put16(m, 0);
	put_name(m, name);
	put16(m, 33);
	put16(m, 1);
}

static void
test_parse(void **state)
{
	const char *q = "_ldap._tcp.dc._msdcs.forest.test";
	/* "forest.test" starts after "_ldap._tcp.dc._msdcs." in the question. */
	int forest_at = 12 + (int)strlen("_ldap._tcp.dc._msdcs.") + 0;
	struct dir_srv_list l;
	struct msg m;
	char *cause = NULL;

	(void)state;
	start(&m, q, 4);
	put_srv(&m, 0, 100, 389, "RootDC1.Forest.Test", -1, 0);
	put_srv(&m, 10, 5, 3268, "rootdc2", forest_at, 0);
	put_srv(&m, 0, 0, 0, "", -1, 0);                         /* "." : no service here */
	put_srv(&m, 0, 100, 389, "rootdc1.forest.test.", -1, 0); /* duplicate */
	assert_int_equal(dir_srv_parse(m.b, m.n, &l, &cause), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].target, "rootdc1.forest.test");
	assert_int_equal(l.v[0].port, 389);
	assert_int_equal(l.v[0].weight, 100);
	assert_string_equal(l.v[1].target, "rootdc2.forest.test");
	assert_int_equal(l.v[1].port, 3268);
	assert_int_equal(l.v[1].priority, 10);
	assert_int_equal(l.v[1].weight, 5);
	dir_srv_list_clear(&l);
}

static void
test_parse_bad(void **state)
{
	struct dir_srv_list l = {0};
	struct msg m;
	char *cause = NULL;

	(void)state;
	/* rdata shorter than the fixed fields. */
	start(&m, "_ldap._tcp.x", 1);
	put16(&m, 0xc00c);
	put16(&m, 33);
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 600);
	put16(&m, 5);
	put16(&m, 0);
	put16(&m, 0);
	put8(&m, 0);
	assert_int_equal(dir_srv_parse(m.b, m.n, &l, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* A compression pointer forward, out of the message. */
	start(&m, "_ldap._tcp.x", 1);
	put_srv(&m, 0, 0, 389, "dc", 0x3ff, 0);
	assert_int_equal(dir_srv_parse(m.b, m.n, &l, &cause), -1);
	free(cause);
	cause = NULL;
	/* Every truncation of a good message fails cleanly or parses fewer records. */
	start(&m, "_ldap._tcp.dc._msdcs.forest.test", 2);
	put_srv(&m, 0, 100, 389, "rootdc1.forest.test", -1, 0);
	put_srv(&m, 0, 100, 389, "rootdc2.forest.test", -1, 0);
	for (size_t len = 0; len < m.n; len++) {
		uint8_t *copy = malloc(len + 1);

		memcpy(copy, m.b, len);
		if (dir_srv_parse(copy, len, &l, &cause) == 0)
			dir_srv_list_clear(&l);
		free(cause);
		cause = NULL;
		free(copy);
	}
}

static void
test_names(void **state)
{
	char *s;

	(void)state;
	s = dir_srv_name("dc", "HQ", "forest.test");
	assert_string_equal(s, "_ldap._tcp.HQ._sites.dc._msdcs.forest.test");
	free(s);
	s = dir_srv_name("dc", NULL, "forest.test");
	assert_string_equal(s, "_ldap._tcp.dc._msdcs.forest.test");
	free(s);
	s = dir_srv_name("pdc", "", "child.forest.test");
	assert_string_equal(s, "_ldap._tcp.pdc._msdcs.child.forest.test");
	free(s);
}

static void
test_list_add(void **state)
{
	struct dir_srv_list l = {0};
	char t1[] = "dc1.x", t2[] = "DC1.X";
	struct dir_srv a = {.target = t1, .port = 389}, b = {.target = t2, .port = 389},
	               c = {.target = t1, .port = 636};

	(void)state;
	dir_srv_list_add(&l, &a);
	dir_srv_list_add(&l, &b);
	dir_srv_list_add(&l, &c);
	assert_int_equal(l.n, 2);
	dir_srv_list_clear(&l);
	assert_int_equal(l.n, 0);
}

static void
test_resolver_server(void **state)
{
	char *cause = NULL;
	struct dir_resolver *r;
	static const char *const bad[] = {"",     "::1",      "1.2.3.4:0", "1.2.3.4:70000",
	                                  "x:53", "1.2.3.4:", "1.2.3.4:5x"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(dir_resolver_new(bad[i], 1, &cause));
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	r = dir_resolver_new("127.0.0.1:5353", 1, &cause);
	assert_non_null(r);
	dir_resolver_free(r);
	r = dir_resolver_new(NULL, 1, &cause);
	assert_non_null(r);
	dir_resolver_free(r);
}

static void
test_resolve_numeric(void **state)
{
	struct dir_resolver *r;
	struct dir_addr *a = NULL;
	size_t n = 0;
	char *cause = NULL;

	(void)state;
	/* A server nobody runs: numeric names and localhost never ask it. */
	r = dir_resolver_new("127.0.0.1:9", 1, &cause);
	assert_non_null(r);
	assert_int_equal(dir_resolve_host(r, "192.0.2.7", 389, &a, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].ss.ss_family, AF_INET);
	free(a);
	assert_int_equal(dir_resolve_host(r, "2001:db8::1", 88, &a, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_int_equal(a[0].ss.ss_family, AF_INET6);
	free(a);
	assert_int_equal(dir_resolve_host(r, "LocalHost", 389, &a, &n, &cause), 0);
	assert_int_equal(n, 2);
	free(a);
	dir_resolver_free(r);
}

static int
collect(const char *addr, void *arg)
{
	char *buf = arg;

	strcat(buf, addr);
	strcat(buf, " ");
	return 1;
}

static void
test_hosts_lookup(void **state)
{
	static const char hosts[] = "127.0.0.1 localhost\n"
	                            "# 10.0.0.9 rootdc1.forest.test commented out\n"
	                            "10.1.0.11\trootdc1.forest.test rootdc1 # trailing comment\n"
	                            "fd00::11 ROOTDC1.forest.test\n"
	                            "10.1.0.12 rootdc2.forest.test";
	char buf[256] = "";

	(void)state;
	assert_int_equal(dir_hosts_lookup(hosts, "rootdc1.FOREST.test", collect, buf), 2);
	assert_string_equal(buf, "10.1.0.11 fd00::11 ");
	buf[0] = '\0';
	assert_int_equal(dir_hosts_lookup(hosts, "rootdc2.forest.test", collect, buf), 1);
	assert_int_equal(dir_hosts_lookup(hosts, "rootdc1.forest", collect, buf), 0);
	assert_int_equal(dir_hosts_lookup("", "x", collect, buf), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hosts_lookup),    cmocka_unit_test(test_priority_first),
	    cmocka_unit_test(test_weighted_pick),   cmocka_unit_test(test_boundaries),
	    cmocka_unit_test(test_zero_weights),    cmocka_unit_test(test_all_zero_and_empty),
	    cmocka_unit_test(test_bad_generator),   cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_bad),       cmocka_unit_test(test_names),
	    cmocka_unit_test(test_list_add),        cmocka_unit_test(test_resolver_server),
	    cmocka_unit_test(test_resolve_numeric),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

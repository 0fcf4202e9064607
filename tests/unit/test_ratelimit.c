/*
 * test_ratelimit.c - token buckets per client in a table of fixed size.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "../../ntp/ratelimit.h"

static struct sockaddr_in
v4(uint32_t host)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(123)};

	in.sin_addr.s_addr = htonl(host);
	return in;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void
test_burst_then_interval(void **state)
{
	/* One request per 2^3 = 8 s, bursts of 4. */
	struct ntp_rl *rl = ntp_rl_new(64, 3, 4, 42);
	struct sockaddr_in a = v4(0x7f000001);
	double t = 1000.0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_true(ntp_rl_allow(rl, SA(a), t));
	assert_false(ntp_rl_allow(rl, SA(a), t));
	/* Half an interval later: still nothing. */
	assert_false(ntp_rl_allow(rl, SA(a), t + 4.0));
	/* A full interval after the last refill point: one more. */
	assert_true(ntp_rl_allow(rl, SA(a), t + 8.5));
	assert_false(ntp_rl_allow(rl, SA(a), t + 8.6));
	/* A long pause refills the burst, no more. */
	for (int i = 0; i < 4; i++)
		assert_true(ntp_rl_allow(rl, SA(a), t + 1000.0));
	assert_false(ntp_rl_allow(rl, SA(a), t + 1000.0));
	ntp_rl_free(rl);
}

static void
test_clients_are_independent(void **state)
{
	struct ntp_rl *rl = ntp_rl_new(64, 3, 1, 7);
	struct sockaddr_in a = v4(0x0a000001), b = v4(0x0a000002);
	struct sockaddr_in6 c = {.sin6_family = AF_INET6};

	(void)state;
	c.sin6_addr.s6_addr[15] = 1;
	assert_true(ntp_rl_allow(rl, SA(a), 10.0));
	assert_false(ntp_rl_allow(rl, SA(a), 10.0));
	assert_true(ntp_rl_allow(rl, SA(b), 10.0));
	assert_true(ntp_rl_allow(rl, SA(c), 10.0));
	assert_false(ntp_rl_allow(rl, SA(c), 10.0));
	ntp_rl_free(rl);
}

static void
test_memory_is_bounded(void **state)
{
	struct ntp_rl *rl = ntp_rl_new(1000, 0, 1, 99);
	size_t mem = ntp_rl_memory(rl);

	(void)state;
	/* 1,000,000 distinct clients: the table neither grows nor overflows. */
	for (uint32_t i = 0; i < 1000000; i++) {
		struct sockaddr_in a = v4(0x7f000000 + i);

		assert_true(ntp_rl_allow(rl, SA(a), 1.0 + i * 1e-6));
	}
	assert_int_equal(ntp_rl_memory(rl), mem);
	assert_true(ntp_rl_used(rl) <= 1024);
	/* The most recent clients are still remembered and limited. */
	struct sockaddr_in last = v4(0x7f000000 + 999999);

	assert_false(ntp_rl_allow(rl, SA(last), 1.0 + 999999e-6));
	ntp_rl_free(rl);
}

static void
test_unknown_family_is_refused(void **state)
{
	struct ntp_rl *rl = ntp_rl_new(8, 0, 1, 1);
	struct sockaddr sa = {.sa_family = AF_UNIX};

	(void)state;
	assert_false(ntp_rl_allow(rl, &sa, 1.0));
	ntp_rl_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_interval),
		cmocka_unit_test(test_clients_are_independent),
		cmocka_unit_test(test_memory_is_bounded),
		cmocka_unit_test(test_unknown_family_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

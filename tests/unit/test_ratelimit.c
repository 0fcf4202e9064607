/*
 * test_ratelimit.c - leaky buckets per client in a table of fixed size.
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

/* 2001:db8:0:NET::HOST */
static struct sockaddr_in6
v6(uint16_t net, uint32_t host)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(123)};

	in6.sin6_addr.s6_addr[0] = 0x20;
	in6.sin6_addr.s6_addr[1] = 0x01;
	in6.sin6_addr.s6_addr[2] = 0x0d;
	in6.sin6_addr.s6_addr[3] = 0xb8;
	in6.sin6_addr.s6_addr[6] = (uint8_t)(net >> 8);
	in6.sin6_addr.s6_addr[7] = (uint8_t)net;
	host = htonl(host);
	memcpy(&in6.sin6_addr.s6_addr[12], &host, 4);
	return in6;
}

#define SA(x) ((const struct sockaddr *)&(x))

static struct ntp_rl *
table(size_t n, int interval, unsigned burst, unsigned leak)
{
	struct ntp_rl_params p = {.interval = interval,
	                          .burst = burst,
	                          .leak = leak,
	                          .ipv4_prefix = 32,
	                          .ipv6_prefix = 64};

	return ntp_rl_new(n, &p, 42);
}

static void
test_burst_then_interval(void **state)
{
	/* One request per 2^3 = 8 s, bursts of 4. */
	struct ntp_rl *rl = table(64, 3, 4, 2);
	struct sockaddr_in a = v4(0x7f000001);
	double t = 1000.0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_int_equal(ntp_rl_check(rl, SA(a), t), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), t), NTP_RL_PASS);
	/* Half an interval later: still nothing. */
	assert_int_not_equal(ntp_rl_check(rl, SA(a), t + 4.0), NTP_RL_PASS);
	/* A full interval after the last refill point: one more. */
	assert_int_equal(ntp_rl_check(rl, SA(a), t + 8.5), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), t + 8.6), NTP_RL_PASS);
	/* A long pause refills the burst, no more. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(ntp_rl_check(rl, SA(a), t + 1000.0), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), t + 1000.0), NTP_RL_PASS);
	ntp_rl_free(rl);
}

static void
test_limited_requests_leak_one_in_2_pow_leak(void **state)
{
	struct ntp_rl *rl = table(64, 6, 2, 2);
	struct sockaddr_in a = v4(0x0a000001);
	int leaked = 0, dropped = 0;

	(void)state;
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_PASS);
	/* The first limited request is answered (the client learns at once), then every 4th. */
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_LEAK);
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_DROP);
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_DROP);
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_DROP);
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_LEAK);
	/* A flood of 100,000 more (over the 16-bit counter's wrap): exactly a quarter answered. */
	for (int i = 0; i < 100000; i++) {
		enum ntp_rl_verdict v = ntp_rl_check(rl, SA(a), 1.0 + i * 1e-6);

		leaked += v == NTP_RL_LEAK;
		dropped += v == NTP_RL_DROP;
	}
	assert_int_equal(leaked, 25000);
	assert_int_equal(dropped, 75000);
	ntp_rl_free(rl);
}

static void
test_clients_are_independent(void **state)
{
	struct ntp_rl *rl = table(64, 3, 1, 1);
	struct sockaddr_in a = v4(0x0a000001), b = v4(0x0a000002);
	struct sockaddr_in6 c = v6(1, 1);

	(void)state;
	assert_int_equal(ntp_rl_check(rl, SA(a), 10.0), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(b), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(c), 10.0), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(c), 10.0), NTP_RL_PASS);
	ntp_rl_free(rl);
}

static void
test_ipv6_is_keyed_by_64(void **state)
{
	struct ntp_rl *rl = table(64, 3, 1, 1);
	struct sockaddr_in6 a = v6(1, 1), same64 = v6(1, 0xdeadbeef), other64 = v6(2, 1);

	(void)state;
	assert_int_equal(ntp_rl_check(rl, SA(a), 10.0), NTP_RL_PASS);
	/* Another address in the same /64 is the same client: no fresh burst. */
	assert_int_not_equal(ntp_rl_check(rl, SA(same64), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(other64), 10.0), NTP_RL_PASS);
	ntp_rl_free(rl);
}

/* IPv4 clients seen through a dual-stack socket are still one client per address. */
static void
test_v4_mapped_is_keyed_as_ipv4(void **state)
{
	struct ntp_rl *rl = table(64, 3, 1, 1);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6}, b;
	struct sockaddr_in a4 = v4(0xc0000201);

	(void)state;
	a.sin6_addr.s6_addr[10] = a.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&a.sin6_addr.s6_addr[12], &a4.sin_addr, 4);
	b = a;
	b.sin6_addr.s6_addr[15] = 2;
	assert_int_equal(ntp_rl_check(rl, SA(a), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(b), 10.0), NTP_RL_PASS);
	/* And the same client as over an IPv4 socket. */
	assert_int_not_equal(ntp_rl_check(rl, SA(a4), 10.0), NTP_RL_PASS);
	ntp_rl_free(rl);
}

static void
test_prefixes_are_configurable(void **state)
{
	struct ntp_rl_params p = {
	    .interval = 3, .burst = 1, .leak = 1, .ipv4_prefix = 24, .ipv6_prefix = 128};
	struct ntp_rl *rl = ntp_rl_new(64, &p, 1);
	struct sockaddr_in a = v4(0xc0000201), same24 = v4(0xc00002fe), other24 = v4(0xc0000301);
	struct sockaddr_in6 b = v6(1, 1), same64 = v6(1, 2);

	(void)state;
	assert_int_equal(ntp_rl_check(rl, SA(a), 10.0), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(same24), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(other24), 10.0), NTP_RL_PASS);
	/* /128: every IPv6 address on its own. */
	assert_int_equal(ntp_rl_check(rl, SA(b), 10.0), NTP_RL_PASS);
	assert_int_equal(ntp_rl_check(rl, SA(same64), 10.0), NTP_RL_PASS);
	assert_true(ntp_rl_same_keys(rl, &p));
	p.ipv6_prefix = 64;
	assert_false(ntp_rl_same_keys(rl, &p));
	ntp_rl_free(rl);
}

static void
test_memory_is_bounded(void **state)
{
	struct ntp_rl *rl = table(1000, 0, 1, 1);
	size_t mem = ntp_rl_memory(rl);

	(void)state;
	assert_int_equal(ntp_rl_capacity(rl), 1024);
	/* 1,000,000 distinct clients: the table neither grows nor overflows. */
	for (uint32_t i = 0; i < 1000000; i++) {
		struct sockaddr_in a = v4(0x7f000000 + i);

		assert_int_equal(ntp_rl_check(rl, SA(a), 1.0 + i * 1e-6), NTP_RL_PASS);
	}
	assert_int_equal(ntp_rl_memory(rl), mem);
	assert_true(ntp_rl_used(rl) <= 1024);
	/* The most recent clients are still remembered and limited. */
	struct sockaddr_in last = v4(0x7f000000 + 999999);

	assert_int_not_equal(ntp_rl_check(rl, SA(last), 1.0 + 999999e-6), NTP_RL_PASS);
	ntp_rl_free(rl);
}

/*
 * 64 clients that come back (polling every 64 s) hold their records through
 * a flood of 200,000 one-shot sources, 200 times the table's size: their
 * buckets stay as empty as they left them. With plain least-recently-seen
 * eviction every one of them would have been forgotten and handed a fresh
 * burst.
 */
static void
test_flood_cannot_push_out_returning_clients(void **state)
{
	struct ntp_rl *rl = table(1024, 10, 1, 1);
	double t = 100.0;

	(void)state;
	for (int round = 0; round < 2; round++, t += 64.0)
		for (uint32_t i = 0; i < 64; i++) {
			struct sockaddr_in a = v4(0x0a000000 + i);

			(void)ntp_rl_check(rl, SA(a), t);
		}
	for (uint32_t i = 0; i < 200000; i++) {
		struct sockaddr_in6 f = v6((uint16_t)i, 1);

		f.sin6_addr.s6_addr[5] = (uint8_t)(i >> 16); /* each in its own /64 */
		(void)ntp_rl_check(rl, SA(f), t + i * 1e-5);
	}
	t += 64.0;
	for (uint32_t i = 0; i < 64; i++) {
		struct sockaddr_in a = v4(0x0a000000 + i);

		assert_int_not_equal(ntp_rl_check(rl, SA(a), t), NTP_RL_PASS);
	}
	ntp_rl_free(rl);
}

/* A reload changes the rate but must not hand limited clients a fresh burst. */
static void
test_set_rate_keeps_records(void **state)
{
	struct ntp_rl *rl = table(64, 6, 1, 1);
	struct ntp_rl_params p = {
	    .interval = 6, .burst = 8, .leak = 3, .ipv4_prefix = 32, .ipv6_prefix = 64};
	struct sockaddr_in a = v4(0x0a000001);

	(void)state;
	assert_int_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_PASS);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_PASS);
	ntp_rl_set_rate(rl, &p);
	assert_int_equal(ntp_rl_used(rl), 1);
	assert_int_not_equal(ntp_rl_check(rl, SA(a), 1.0), NTP_RL_PASS);
	ntp_rl_free(rl);
}

static void
test_unknown_family_is_dropped(void **state)
{
	struct ntp_rl *rl = table(8, 0, 1, 1);
	struct sockaddr sa = {.sa_family = AF_UNIX};

	(void)state;
	assert_int_equal(ntp_rl_check(rl, &sa, 1.0), NTP_RL_DROP);
	assert_int_equal(ntp_rl_used(rl), 0);
	ntp_rl_free(rl);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_interval),
	    cmocka_unit_test(test_limited_requests_leak_one_in_2_pow_leak),
	    cmocka_unit_test(test_clients_are_independent),
	    cmocka_unit_test(test_ipv6_is_keyed_by_64),
	    cmocka_unit_test(test_v4_mapped_is_keyed_as_ipv4),
	    cmocka_unit_test(test_prefixes_are_configurable),
	    cmocka_unit_test(test_memory_is_bounded),
	    cmocka_unit_test(test_flood_cannot_push_out_returning_clients),
	    cmocka_unit_test(test_set_rate_keeps_records),
	    cmocka_unit_test(test_unknown_family_is_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
